"""Customer lifecycle (客户生命周期): stages, patterns and input-output.

陈明亮 (2003, 《客户生命周期模式研究》, 浙江大学学报) describes a customer
relationship by its *relationship level* -- usually the transaction volume --
over time, and divides it into four stages:

* exploration 考察期 -- trial orders, little mutual knowledge, high uncertainty;
* formation 形成期 -- volume rising quickly as both sides gain from the relationship;
* stability 稳定期 -- the highest, steady level of exchange; its mark is a high
  share of the customer's business (share of wallet);
* decline 退化期 -- volume falling while the customer's own business has not;
  it can start from any stage.

Relationships end in one of these stages, which gives four lifecycle patterns:
A 早期流产型 (ended in exploration), B 中途夭折型 (ended in formation),
C 提前退出型 (ended early in stability) and D 长久保持型 (kept long in stability).

Here the stages are read from order data with explicit, parameterised rules
(:class:`LifecycleRules`) on a rolling monthly spend -- a transparent classroom
classifier, not a latent-state model (for those see the hidden Markov
relationship states of Netzer, Lattin & Srinivasan 2008, *Marketing Science*
27(2), or the P(alive) cut-off of Reinartz & Kumar 2000, *JM* 64(4)). The
pattern of an ended relationship is read from how far it had come by its last
order -- its number of orders and its age then, against the stage lengths of
the rules -- because the month-by-month stages of a customer who orders a few
times a month at most are too noisy to count plateau months reliably.
:func:`stage_input_output` sets what the firm spends on a customer in each
stage against the gross margin it earns there. All time-based results are
in months unless ``freq`` says otherwise.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from crmlab._validate import (
    CRMDataError,
    as_of_date,
    check_choice,
    check_range,
    check_size,
    check_table,
    note_excluded,
    returned_flag,
)
from crmlab._contract import checked

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

__all__ = [
    "STAGES",
    "STAGE_CHINESE",
    "PATTERNS",
    "PATTERN_CHINESE",
    "DEFAULT_MARKETING_PER_MONTH",
    "LifecycleRules",
    "PatternRecovery",
    "monthly_activity",
    "stage_history",
    "classify_stages",
    "classify_patterns",
    "pattern_trajectories",
    "stage_input_output",
    "pattern_recovery",
    "stage_counts",
    "rules_outcome",
    "rule_sensitivity",
]

#: Lifecycle stages in the order a relationship passes through them, plus "ended".
STAGES: tuple[str, ...] = ("exploration", "formation", "stability", "decline", "ended")

STAGE_CHINESE: dict[str, str] = {
    "exploration": "考察期",
    "formation": "形成期",
    "stability": "稳定期",
    "decline": "退化期",
    "ended": "关系结束",
}

#: Lifecycle patterns (by the stage in which an ended relationship ended) and "active".
PATTERNS: tuple[str, ...] = ("A", "B", "C", "D", "active")

PATTERN_CHINESE: dict[str, str] = {
    "A": "早期流产型",
    "B": "中途夭折型",
    "C": "提前退出型",
    "D": "长久保持型",
    "active": "仍在进行",
}

#: Illustrative marketing and relationship-management spend per active customer
#: and month in each stage (currency units). Exploration costs most (finding out
#: whether the customer is worth developing), stability least (routine contact);
#: a declining customer draws win-back effort.
DEFAULT_MARKETING_PER_MONTH: dict[str, float] = {
    "exploration": 6.0,
    "formation": 4.0,
    "stability": 2.0,
    "decline": 5.0,
}

#: How :func:`classify_patterns` decides the stage an ended relationship ended in.
_PATTERN_RULES = ("tenure", "stages")

_FREQS = {"ME": "M", "QE": "Q", "W": "W"}
_UNITS = {"ME": "month", "QE": "quarter", "W": "week"}


@dataclass(frozen=True)
class LifecycleRules:
    """The thresholds of the rule-based stage classifier (all documented, all adjustable).

    The *level* of a customer in a month is the mean spend over the last
    ``window`` months (zeros included); the *peak* is the highest level so far;
    *recency* is the number of months since the last month with an order.
    Rules are applied in this order, each month:

    1. **ended** -- no order for more than ``max(ended_after, ended_gap_multiple
       x the customer's mean gap between orders)`` months;
    2. **decline** -- the level has fallen to ``decline_share`` of the peak or
       less, the relationship is older than ``exploration_months``, and, where
       the customer's wallet is known, the wallet did not shrink by more than
       ``wallet_drop`` against the year before (otherwise the fall is the
       customer's own business, not the relationship);
    3. **exploration** -- fewer than ``exploration_orders`` orders so far, or
       younger than ``exploration_months``;
    4. **stability** -- the relationship is at least ``stability_after`` months
       old (formation takes time), the level is at least ``stable_share`` of
       the peak and rose by no more than ``rise`` (as a fraction) over the last
       ``window`` months (where the wallet is known, share of wallet also at
       least ``min_share_of_wallet``);
       once reached, stability holds while the level stays above
       ``decline_share`` of the peak (or while a fall follows the wallet);
    5. **formation** -- otherwise (the level is still building up).

    The defaults were set on the shipped retail data, whose customers buy a
    few times a month at most: monthly counts are noisy, so the level is a
    6-month mean, the peak it is compared with is inflated by noise (hence
    the low shares), and a relationship counts as ended after more than
    ``max(2, 1 x usual gap)`` silent months. For steadier data (b2b accounts
    with regular orders) raise ``stable_share`` and ``decline_share``. The
    pattern thresholds (3, 9 and 9 months) recover about 82% of the ended
    relationships on the shipped retail data and 81-83% on other samples of the
    same generator; moving ``stability_after`` or ``late_stability_months`` by
    a month changes that by less than one point.

    Patterns (:func:`classify_patterns`) name the stage an ended relationship had
    reached when it ended. With ``pattern_rule="tenure"`` (the default) that
    stage is read from the relationship's age at its last order, measured
    against the stage lengths above: A if it placed fewer than
    ``exploration_orders`` orders or its last order fell within the first
    ``exploration_months`` months (it never got past the trial orders); B if
    its last order came before ``stability_after + min_stability_months``
    months (it left while formation was still under way); otherwise the
    *stability months* are the months from month ``stability_after`` to the
    last order, and it is C if they are fewer than ``late_stability_months``,
    D if not. The final decline is short (a few months before the silence), so
    the last order marks where the relationship stood when volume began to
    fall. With ``pattern_rule="stages"`` the pattern is instead the furthest
    stage of the month-by-month stage history up to the last order (stability
    months = months classified as stability) -- closer to the definition of the
    stages but noisier, because a customer who orders a few times a month at
    most rarely shows a steady rolling level.
    """

    window: int = 6
    exploration_months: int = 3
    exploration_orders: int = 2
    stability_after: int = 9
    rise: float = 2.0
    stable_share: float = 0.35
    decline_share: float = 0.2
    ended_after: int = 2
    ended_gap_multiple: float = 1.0
    min_stability_months: int = 1
    late_stability_months: int = 9
    min_share_of_wallet: float = 0.5
    wallet_drop: float = 0.1
    pattern_rule: str = "tenure"

    def __post_init__(self):
        for name in (
            "window",
            "exploration_months",
            "exploration_orders",
            "ended_after",
            "stability_after",
            "min_stability_months",
            "late_stability_months",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise CRMDataError(f"parameter '{name}' = {value!r} must be a whole number >= 1 (months or orders).")
        check_range("rise", self.rise, lo=0)
        check_range("stable_share", self.stable_share, lo=0, hi=1, lo_open=True)
        check_range("decline_share", self.decline_share, lo=0, hi=1, hi_open=True)
        check_range("ended_gap_multiple", self.ended_gap_multiple, lo=0)
        check_range("min_share_of_wallet", self.min_share_of_wallet, lo=0, hi=1)
        check_range("wallet_drop", self.wallet_drop, lo=0, hi=1)
        check_choice("pattern_rule", self.pattern_rule, list(_PATTERN_RULES))
        if self.decline_share >= self.stable_share:
            raise CRMDataError(
                f"parameter 'decline_share' = {self.decline_share} must be below 'stable_share' = "
                f"{self.stable_share}: a level cannot be both stable and declining."
            )
        if self.late_stability_months < self.min_stability_months:
            raise CRMDataError(
                "parameter 'late_stability_months' must be >= 'min_stability_months' "
                f"({self.late_stability_months} < {self.min_stability_months})."
            )


def _rules(rules: LifecycleRules | None, overrides: Mapping[str, Any]) -> LifecycleRules:
    base = rules if rules is not None else LifecycleRules()
    if not isinstance(base, LifecycleRules):
        raise CRMDataError(f"parameter 'rules' must be a LifecycleRules, got {type(base).__name__}.")
    unknown = [k for k in overrides if k not in LifecycleRules.__dataclass_fields__]
    if unknown:
        raise CRMDataError(
            f"unknown rule(s) {unknown}; the rules are: {', '.join(LifecycleRules.__dataclass_fields__)}."
        )
    return LifecycleRules(**{**asdict(base), **overrides}) if overrides else base


#: Rules that only shape the patterns, not the stage history: they may be changed on a given history.
_PATTERN_ONLY_RULES = ("pattern_rule", "min_stability_months", "late_stability_months")


def _given_history(
    history: "pd.DataFrame | None",
    orders: "pd.DataFrame",
    as_of: Any,
    options: Mapping[str, Any],
    allowed: tuple[str, ...] = (),
) -> tuple["pd.DataFrame", dict[str, Any]]:
    """The history to use (built from ``options`` if not given) and the ``allowed`` options to apply on top."""
    if history is None:
        return stage_history(orders, as_of=as_of, **options), {}
    refused = [k for k in options if k not in allowed]
    if refused:
        raise CRMDataError(
            f"option(s) {refused} cannot be applied to a given 'history': its stages were classified "
            "already. Pass them to stage_history(...) instead, or leave out history=."
            + (f" On a given history only {list(allowed)} can be changed." if allowed else "")
        )
    return _checked_history(history), dict(options)


def _checked_history(history: "pd.DataFrame") -> "pd.DataFrame":
    """A given stage history: the columns the classifiers read, and its customer column named.

    The customer column's name travels in ``attrs["customer"]``, which a merge or a join
    drops; then a column ``customer_id`` or ``account_id`` is taken, or the error says how
    to name it.
    """
    h = check_table(history, "history", {"period": "datetime", "t": "number", "orders": "number", "stage": "any"})
    customer = h.attrs.get("customer")
    if customer is None or customer not in h.columns:
        found = [c for c in ("customer_id", "account_id") if c in h.columns]
        if len(found) != 1:
            raise CRMDataError(
                "table 'history' does not say which column holds the customer (attrs['customer'], which a merge "
                "or a join drops). Name that column 'customer_id' (history.rename(columns={...})), or pass the "
                "history made by stage_history(...) itself."
            )
        h = h.copy(deep=False) if h is history else h
        h.attrs = {**history.attrs, "customer": found[0]}
    return h


def _prepare_orders(
    orders: "pd.DataFrame",
    customer: str,
    date: str,
    amount: str,
    as_of: Any,
    returned: str | None,
    extra: Mapping[str, str] | None = None,
) -> tuple["pd.DataFrame", "pd.Timestamp", dict]:
    """Validate orders, drop (and count) returned orders and orders after as_of."""
    import pandas as pd

    spec = {customer: "id", date: "datetime", amount: "nonneg", **(extra or {})}
    df = check_table(orders, "orders", spec)
    as_of = as_of_date(as_of, df[date], column=date)
    excluded = {}
    keep = pd.Series(True, index=df.index)
    ret = returned_flag(df, returned)
    if ret is not None:
        excluded["returned orders"] = int(ret.sum())
        keep &= ~ret
    late = df[date] > as_of
    excluded["orders after as_of"] = int((late & keep).sum())
    keep &= ~late
    if not keep.any():
        raise CRMDataError(
            f"table 'orders': no order left on or before as_of = {as_of.date()} (after leaving out returns). "
            "Choose a later as_of or check the dates."
        )
    return (df[keep] if not keep.all() else df), as_of, excluded


def _activity_grid(
    df: "pd.DataFrame",
    customer: str,
    date: str,
    amount: str,
    freq: str,
    as_of: "pd.Timestamp",
    margin: str | None = None,
) -> "pd.DataFrame":
    import numpy as np
    import pandas as pd

    pfreq = _FREQS[freq]
    per = df[date].dt.to_period(pfreq)
    ordinal = per.array.asi8 if hasattr(per.array, "asi8") else per.map(lambda p: p.ordinal).to_numpy()
    end_ord = pd.Period(as_of, pfreq).ordinal
    codes, uniques = pd.factorize(df[customer], sort=True)
    key = codes.astype(np.int64)
    first = np.full(len(uniques), np.iinfo(np.int64).max)
    np.minimum.at(first, key, ordinal)
    length = end_ord - first + 1
    starts = np.concatenate(([0], np.cumsum(length)[:-1]))
    total = int(length.sum())
    check_size(
        total, what=f"the activity grid (one row per customer and {_UNITS[freq]} up to as_of)", input_rows=len(df)
    )
    cust_idx = np.repeat(np.arange(len(uniques)), length)
    t = np.arange(total) - np.repeat(starts, length)
    pos = starts[key] + (ordinal - first[key])
    n_orders = np.bincount(pos, minlength=total)
    spend = np.bincount(pos, weights=df[amount].to_numpy(dtype=float), minlength=total)
    period_ord = first[cust_idx] + t
    periods = (
        pd.PeriodIndex.from_ordinals(period_ord, freq=pfreq)
        if hasattr(pd.PeriodIndex, "from_ordinals")
        else pd.PeriodIndex(pd.arrays.PeriodArray(period_ord, dtype=pd.PeriodDtype(pfreq)))
    )
    out = pd.DataFrame(
        {
            customer: uniques.take(cust_idx) if hasattr(uniques, "take") else np.asarray(uniques)[cust_idx],
            "period": periods.to_timestamp(how="end").normalize(),
            "t": t,
            "orders": n_orders,
            "spend": spend,
        }
    )
    if margin is not None:
        out["margin"] = np.bincount(pos, weights=df[margin].to_numpy(dtype=float), minlength=total)
    return out


@checked
def monthly_activity(
    orders: "pd.DataFrame",
    *,
    customer: str = "customer_id",
    date: str = "order_date",
    amount: str = "amount",
    freq: str = "ME",
    as_of: Any = None,
    returned: str | None = "returned",
) -> "pd.DataFrame":
    """Each customer's relationship level per period: number of orders and spend.

    One row per customer and period from the period of the first order up to
    the period containing ``as_of`` -- periods without orders appear with zeros,
    so the table is the customer's full trajectory.

    Parameters
    ----------
    orders : the orders table.
    customer, date, amount : its column names.
    freq : ``"ME"`` (month, default), ``"QE"`` (quarter) or ``"W"`` (week).
    as_of : last day observed (default: the last order date). Later orders are
        left out and counted in ``attrs['excluded']``.
    returned : column flagging returned orders; if present in the table, those
        orders are left out (and counted). ``None`` keeps every order.

    Returns
    -------
    DataFrame with ``customer``, ``period`` (period end date), ``t`` (periods
    since the first order, 0-based), ``orders`` and ``spend``.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"customer_id": ["a", "a"],
    ...                        "order_date": ["2024-01-05", "2024-03-10"],
    ...                        "amount": [10.0, 30.0]})
    >>> monthly_activity(orders)[["t", "orders", "spend"]].to_numpy().tolist()
    [[0.0, 1.0, 10.0], [1.0, 0.0, 0.0], [2.0, 1.0, 30.0]]
    """
    check_choice("freq", freq, list(_FREQS))
    df, as_of, excluded = _prepare_orders(orders, customer, date, amount, as_of, returned)
    out = _activity_grid(df, customer, date, amount, freq, as_of)
    for reason, n in excluded.items():
        note_excluded(out, reason, n)
    out.attrs.update({"unit": _UNITS[freq], "freq": freq, "as_of": as_of, "spend_unit": "currency units"})
    return out


def _wallet_by_period(
    grid: "pd.DataFrame",
    wallets: "pd.DataFrame",
    customer: str,
    wallet_year: str,
    wallet: str,
) -> tuple["np.ndarray", "np.ndarray"]:
    """Yearly wallet of each grid row and of the year before (NaN where unknown)."""
    import pandas as pd

    w = check_table(
        wallets, "wallets", {customer: "id", wallet_year: "number", wallet: "nonneg"}, unique=[customer, wallet_year]
    )
    lookup = pd.Series(
        w[wallet].to_numpy(dtype=float),
        index=pd.MultiIndex.from_arrays([w[customer].astype(str), w[wallet_year].astype(int)]),
    )
    year = grid["period"].dt.year.to_numpy()
    ids = grid[customer].astype(str).to_numpy()
    now = lookup.reindex(pd.MultiIndex.from_arrays([ids, year])).to_numpy()
    before = lookup.reindex(pd.MultiIndex.from_arrays([ids, year - 1])).to_numpy()
    return now, before


@checked
def stage_history(
    orders: "pd.DataFrame",
    *,
    as_of: Any = None,
    wallets: "pd.DataFrame | None" = None,
    rules: LifecycleRules | None = None,
    customer: str = "customer_id",
    date: str = "order_date",
    amount: str = "amount",
    returned: str | None = "returned",
    wallet_year: str = "year",
    wallet: str = "category_spend",
    **rule_overrides: Any,
) -> "pd.DataFrame":
    """The lifecycle stage of every customer in every month from the first order to ``as_of``.

    Applies the rules of :class:`LifecycleRules` (see there) month by month.
    Keyword arguments named like a rule (``window=6``, ``decline_share=0.3``)
    override that rule.

    Parameters
    ----------
    orders : orders table (``customer``, ``date``, ``amount``; returned orders
        are left out if the ``returned`` column is present).
    as_of : the last day observed (default: last order date).
    wallets : optional yearly wallet per customer (b2b ``wallets`` table:
        ``customer``, ``wallet_year``, ``wallet`` = total category spend per year).
        With it, stability also needs a high share of wallet and a fall in
        volume that follows a fall in the customer's own business is not decline.
    rules : a :class:`LifecycleRules`; default thresholds if ``None``.

    Returns
    -------
    DataFrame, one row per customer and month: ``period``, ``t``, ``orders``,
    ``spend``, ``level`` (rolling mean monthly spend), ``peak``, ``recency``
    (months since last order), ``share_of_wallet`` (NaN without wallets) and
    ``stage``. ``attrs`` carry the rules and units.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"customer_id": ["a"] * 3,
    ...                        "order_date": ["2024-01-05", "2024-02-10", "2024-03-08"],
    ...                        "amount": [10.0, 30.0, 20.0]})
    >>> stage_history(orders, as_of="2024-08-31")["stage"].tolist()
    ['exploration', 'exploration', 'exploration', 'formation', 'formation', 'ended', 'ended', 'ended']
    """
    import numpy as np
    import pandas as pd

    r = _rules(rules, rule_overrides)
    df, as_of, excluded = _prepare_orders(orders, customer, date, amount, as_of, returned)
    g = _activity_grid(df, customer, date, amount, "ME", as_of)
    n = len(g)
    t = g["t"].to_numpy()
    spend = g["spend"].to_numpy()
    has = g["orders"].to_numpy() > 0
    start = np.flatnonzero(t == 0)
    group_start = np.repeat(start, np.diff(np.append(start, n)))
    idx = np.arange(n)

    # Rolling mean over the last `window` months (fewer at the start of a relationship).
    cs = np.concatenate(([0.0], np.cumsum(spend)))
    lo = np.maximum(idx - r.window + 1, group_start)
    level = (cs[idx + 1] - cs[lo]) / (idx - lo + 1)
    back = idx - r.window
    prev = np.where(back >= group_start, level[np.maximum(back, 0)], 0.0)
    peak = pd.Series(level).groupby(group_start).cummax().to_numpy()

    cum_orders = np.cumsum(g["orders"].to_numpy())
    cum_orders = cum_orders - np.concatenate(([0], cum_orders))[group_start]
    last = np.maximum.accumulate(np.where(has, idx, -1))
    recency = idx - last
    # Mean gap between ordering months so far (the first-to-last span over the repeats).
    first_to_last = last - group_start
    n_months_ordered = np.cumsum(has) - np.concatenate(([0], np.cumsum(has)))[group_start]
    mean_gap = np.where(n_months_ordered > 1, first_to_last / np.maximum(n_months_ordered - 1, 1), 0.0)
    ended = recency > np.maximum(r.ended_after, r.ended_gap_multiple * mean_gap)

    sow = np.full(n, np.nan)
    wallet_fell = np.zeros(n, dtype=bool)
    if wallets is not None:
        now, before = _wallet_by_period(g, wallets, customer, wallet_year, wallet)
        with np.errstate(divide="ignore", invalid="ignore"):
            sow = np.where(now > 0, 12.0 * level / now, np.nan)
            wallet_fell = (before > 0) & (now < (1 - r.wallet_drop) * before)

    young = (cum_orders < r.exploration_orders) | (t < r.exploration_months)
    low = level <= r.decline_share * peak
    decline = low & (t >= r.exploration_months) & ~wallet_fell
    steady = (level >= r.stable_share * peak) & (level <= (1 + r.rise) * prev)
    if wallets is not None:
        steady &= ~(sow < r.min_share_of_wallet)
    # Once stable, a relationship stays stable until it declines (or shrinks with its wallet).
    stable_now = steady & ~young & (t >= r.stability_after)
    reached = pd.Series(stable_now).groupby(group_start).cummax().to_numpy()
    stable = stable_now | (reached & (~low | wallet_fell))

    code = np.full(n, 1, dtype=np.int8)  # formation
    code[stable] = 2
    code[young] = 0
    code[decline] = 3
    code[ended] = 4
    g["level"] = level
    g["peak"] = peak
    g["recency"] = recency
    g["share_of_wallet"] = sow
    g["stage"] = pd.Categorical.from_codes(code, categories=list(STAGES))
    for reason, k in excluded.items():
        note_excluded(g, reason, k)
    g.attrs.update(
        {
            "unit": "month",
            "as_of": as_of,
            "rules": asdict(r),
            "customer": customer,
            "level_unit": "currency units per month",
        }
    )
    return g


@checked
def classify_stages(
    orders: "pd.DataFrame",
    *,
    as_of: Any,
    history: "pd.DataFrame | None" = None,
    **options: Any,
) -> "pd.DataFrame":
    """Each customer's lifecycle stage as of a date (the last month of :func:`stage_history`).

    Parameters
    ----------
    orders, as_of : as in :func:`stage_history`.
    history : a :func:`stage_history` result to reuse (then ``orders`` is not read again
        and no other option may be given: the stages were classified already).
    **options : any other keyword of :func:`stage_history` (``wallets``, ``rules``,
        column names, single rule overrides such as ``window=3``).

    Returns
    -------
    DataFrame indexed by customer: ``stage``, ``stage_zh``, ``tenure_months``,
    ``orders`` (total), ``level``, ``peak``, ``recency_months``,
    ``share_of_wallet``.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"customer_id": ["a", "b", "b", "b", "b"],
    ...     "order_date": ["2024-12-01", "2023-01-05", "2023-02-05", "2023-03-05", "2023-04-05"],
    ...     "amount": [20.0] * 5})
    >>> classify_stages(orders, as_of="2024-12-31")["stage"].tolist()
    ['exploration', 'ended']
    """
    h, _ = _given_history(history, orders, as_of, options)
    return _last_month(h, h.attrs.get("customer", h.columns[0]))


def _last_month(h: "pd.DataFrame", customer: str) -> "pd.DataFrame":
    import numpy as np

    total = h.groupby(customer, sort=False, observed=True)["orders"].sum()
    ends = np.append(np.flatnonzero(h["t"].to_numpy() == 0)[1:], len(h)) - 1
    last = h.iloc[ends].set_index(customer)
    out = last[["stage"]].copy()
    out["stage_zh"] = out["stage"].map(STAGE_CHINESE).astype(str)
    out["tenure_months"] = last["t"] + 1
    out["orders"] = total.reindex(out.index).to_numpy()
    out["level"] = last["level"]
    out["peak"] = last["peak"]
    out["recency_months"] = last["recency"]
    out["share_of_wallet"] = last["share_of_wallet"]
    out.attrs.update(h.attrs)
    out.attrs["as_of_period"] = str(last["period"].max().date()) if len(last) else None
    return out


@checked
def classify_patterns(
    orders: "pd.DataFrame",
    *,
    as_of: Any,
    history: "pd.DataFrame | None" = None,
    **options: Any,
) -> "pd.DataFrame":
    """Lifecycle pattern A-D of every ended relationship; ``"active"`` for the others.

    A relationship has ended when its stage as of ``as_of`` is "ended". Its
    pattern is the stage it had reached when it ended (see
    :class:`LifecycleRules`): with the default ``pattern_rule="tenure"``,
    A = fewer than ``exploration_orders`` orders or the last order within the
    first ``exploration_months`` months; B = last order before month
    ``stability_after + min_stability_months``; then C if the months of
    stability (from month ``stability_after`` to the last order) are fewer
    than ``late_stability_months``, D otherwise. With ``pattern_rule="stages"``
    the stages of the month-by-month history up to the last order are counted
    instead (A = exploration only, B = fewer than ``min_stability_months``
    months of stability). Either way the decline that precedes an end does not
    count: decline can start from any stage, and the pattern names the stage
    it started from. Parameters as in :func:`classify_stages`; with a given
    ``history`` only the pattern rules (``pattern_rule``,
    ``min_stability_months``, ``late_stability_months``) may still be changed.

    Returns
    -------
    DataFrame indexed by customer: ``pattern``, ``pattern_zh``, ``ended``
    (bool), ``furthest_stage``, ``stability_months``, ``duration_months``
    (first to last ordering month, inclusive), ``orders``. ``attrs`` carry the
    rules (``attrs["rules"]["pattern_rule"]`` says which rule was used).

    Examples
    --------
    A: two orders in the first two months, silent since. B: last order in
    month 5, past exploration but before stability. Active: ordered this month.

    >>> import pandas as pd
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b", "b", "c"],
    ...     "order_date": ["2023-01-05", "2023-02-07", "2023-01-10", "2023-05-20", "2024-12-02"],
    ...     "amount": [15.0, 20.0, 30.0, 60.0, 30.0]})
    >>> classify_patterns(orders, as_of="2024-12-31")["pattern"].tolist()
    ['A', 'B', 'active']
    """
    import numpy as np
    import pandas as pd

    h, pattern_options = _given_history(history, orders, as_of, options, allowed=_PATTERN_ONLY_RULES)
    customer = h.attrs.get("customer", h.columns[0])
    r = _rules(LifecycleRules(**h.attrs["rules"]) if "rules" in h.attrs else None, pattern_options)
    code = h["stage"].cat.codes.to_numpy()
    key = pd.factorize(h[customer], sort=False)[0]
    has = h["orders"].to_numpy() > 0
    t = h["t"].to_numpy()
    last_t = np.zeros(key.max() + 1, dtype=np.int64)
    np.maximum.at(last_t, key[has], t[has])
    duration = last_t + 1
    last = _last_month(h, customer)
    ended = (last["stage"] == "ended").to_numpy()
    n_orders = last["orders"].to_numpy()
    if r.pattern_rule == "tenure":
        # The stage reached by the last order, read from the relationship's age then.
        stab = np.maximum(duration - r.stability_after, 0)
        trial = (n_orders < r.exploration_orders) | (duration <= r.exploration_months)
        furthest = np.where(trial, 0, np.where(stab >= r.min_stability_months, 2, 1))
        stab = np.where(furthest == 2, stab, 0)
    else:
        # The stages count up to the last month with an order: the silence after it is the ending.
        upto = t <= last_t[key]
        stab = np.bincount(key, weights=(code == 2) & upto).astype(int)
        form = np.bincount(key, weights=(code == 1) & upto).astype(int)
        furthest = np.where(stab >= r.min_stability_months, 2, np.where(form + stab > 0, 1, 0))
    pattern = np.where(
        furthest == 0, "A", np.where(furthest == 1, "B", np.where(stab < r.late_stability_months, "C", "D"))
    )
    pattern = np.where(ended, pattern, "active")
    out = pd.DataFrame(
        {
            "pattern": pd.Categorical(pattern, categories=list(PATTERNS)),
            "ended": ended,
            "furthest_stage": pd.Categorical.from_codes(furthest, categories=list(STAGES)),
            "stability_months": stab.astype(int),
            "duration_months": duration,
            "orders": n_orders,
        },
        index=last.index,
    )
    out.insert(1, "pattern_zh", out["pattern"].map(PATTERN_CHINESE).astype(str))
    out.attrs.update(h.attrs)
    out.attrs["rules"] = asdict(r)
    return out


@checked
def pattern_trajectories(
    history: "pd.DataFrame",
    patterns: "pd.DataFrame | pd.Series",
    *,
    customer: str = "customer_id",
    value: str = "spend",
    pattern: str = "pattern",
) -> "pd.DataFrame":
    """Average relationship level by months since the first order, per pattern.

    Parameters
    ----------
    history : :func:`stage_history` or :func:`monthly_activity` result.
    patterns : :func:`classify_patterns` result (or a Series customer -> pattern).
    value : the column to average (``"spend"``, ``"orders"`` or ``"level"``).

    Returns
    -------
    DataFrame indexed by month since first order (``t``), one column per
    pattern, mean of ``value`` over that pattern's customers (customers who had
    not reached month ``t`` by ``as_of`` do not count there).

    Examples
    --------
    >>> import pandas as pd
    >>> h = pd.DataFrame({"customer_id": ["a", "a", "b"], "t": [0, 1, 0], "spend": [10.0, 0.0, 30.0]})
    >>> pattern_trajectories(h, pd.Series({"a": "A", "b": "A"}))["A"].tolist()
    [20.0, 0.0]
    """
    import pandas as pd

    h = check_table(history, "history", {customer: "id", "t": "number", value: "number"})
    if isinstance(patterns, pd.DataFrame):
        if pattern not in patterns.columns:
            raise CRMDataError(f"table 'patterns': missing column '{pattern}'. Pass classify_patterns(...) output.")
        patterns = patterns[pattern]
    lab = h[customer].map(patterns)
    if lab.isna().any():
        raise CRMDataError(
            f"table 'patterns': {int(lab.isna().sum())} history row(s) belong to customers without a pattern "
            f"(e.g. {h.loc[lab.isna(), customer].iloc[0]!r}). Classify the same customers as in the history."
        )
    out = h.groupby([h["t"], lab.astype(str).rename(pattern)], observed=True)[value].mean().unstack(pattern)
    out = out.reindex(columns=[p for p in PATTERNS if p in out.columns])
    out.index.name = "t"
    out.attrs.update({"unit": "months since first order", "value": value})
    return out


@checked
def stage_input_output(
    orders: "pd.DataFrame",
    history: "pd.DataFrame",
    *,
    customers: "pd.DataFrame | None" = None,
    interactions: "pd.DataFrame | None" = None,
    customer: str = "customer_id",
    date: str = "order_date",
    amount: str = "amount",
    margin: str = "gross_margin",
    returned: str | None = "returned",
    acquisition_cost: str = "acquisition_cost",
    interaction_date: str = "date",
    interaction_kind: str = "kind",
    cost_per_inquiry: float = 8.0,
    cost_per_complaint: float = 25.0,
    marketing_per_month: Mapping[str, float] | None = None,
) -> "pd.DataFrame":
    """What the firm spends on and earns from customers in each lifecycle stage.

    Costs (inputs): the acquisition cost of each customer (``customers``
    table), booked in exploration; service contacts from ``interactions``
    priced at ``cost_per_inquiry`` / ``cost_per_complaint`` per contact and
    booked in the stage of the month they happened; relationship marketing at
    ``marketing_per_month[stage]`` per customer and month (default
    :data:`DEFAULT_MARKETING_PER_MONTH`). Earnings (outputs): the gross margin
    of the orders placed in that stage (returned orders left out). Months after
    a relationship ended carry neither.

    Returns
    -------
    DataFrame indexed by stage (exploration, formation, stability, decline):
    ``customers`` (who spent at least one month there), ``customer_months``,
    ``revenue``, ``gross_margin``, ``acquisition_cost``, ``service_cost``,
    ``marketing_cost``, ``total_cost``, ``net``, and per customer:
    ``margin_per_customer``, ``cost_per_customer``, ``net_per_customer``;
    ``net_per_customer_month``. Money in currency units; ``attrs`` hold the
    unit costs used.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"customer_id": ["a"], "order_date": ["2024-01-05"],
    ...                        "amount": [100.0], "gross_margin": [40.0]})
    >>> h = stage_history(orders, as_of="2024-01-31")
    >>> io = stage_input_output(orders, h, marketing_per_month={"exploration": 5.0})
    >>> io.loc["exploration", ["gross_margin", "marketing_cost", "net"]].tolist()
    [40.0, 5.0, 35.0]
    """
    import numpy as np
    import pandas as pd

    active = list(STAGES[:4])
    mk = dict(DEFAULT_MARKETING_PER_MONTH if marketing_per_month is None else marketing_per_month)
    for k, v in mk.items():
        check_choice("marketing_per_month key", k, active)
        check_range(f"marketing_per_month[{k!r}]", v, lo=0)
    cpi = check_range("cost_per_inquiry", cost_per_inquiry, lo=0)
    cpc = check_range("cost_per_complaint", cost_per_complaint, lo=0)
    h = check_table(history, "history", {customer: "id", "period": "datetime", "stage": "category"})
    df, _, excluded = _prepare_orders(
        orders, customer, date, amount, h["period"].max(), returned, extra={margin: "number"}
    )
    stage_of = pd.Series(
        h["stage"].astype(str).to_numpy(), index=pd.MultiIndex.from_arrays([h[customer].astype(str), h["period"]])
    )

    def lookup(ids: "pd.Series", dates: "pd.Series", table: str) -> "np.ndarray":
        month_end = dates.dt.to_period("M").dt.to_timestamp(how="end").dt.normalize()
        st = stage_of.reindex(pd.MultiIndex.from_arrays([ids.astype(str), month_end])).to_numpy()
        if pd.isna(st).any():
            i = int(np.flatnonzero(pd.isna(st))[0])
            raise CRMDataError(
                f"table '{table}': row {ids.index[i]!r} (customer {ids.iloc[i]!r}, {dates.iloc[i].date()}) falls "
                "outside the stage history. Use the history made from the same orders and as_of."
            )
        return st

    o_stage = lookup(df[customer], df[date], "orders")
    res = pd.DataFrame(
        0.0,
        index=pd.Index(active, name="stage"),
        columns=["revenue", "gross_margin", "acquisition_cost", "service_cost", "marketing_cost"],
    )
    by = pd.DataFrame({"s": o_stage, "a": df[amount].to_numpy(float), "m": df[margin].to_numpy(float)})
    sums = by.groupby("s")[["a", "m"]].sum()
    res["revenue"] = sums["a"].reindex(active, fill_value=0.0)
    res["gross_margin"] = sums["m"].reindex(active, fill_value=0.0)
    hs = h["stage"].astype(str)
    months = hs.value_counts().reindex(active, fill_value=0)
    res.insert(0, "customer_months", months.astype(int))
    res.insert(0, "customers", h[hs.isin(active)].groupby(hs)[customer].nunique().reindex(active, fill_value=0))
    res["marketing_cost"] = [months[s] * float(mk.get(s, 0.0)) for s in active]
    if customers is not None:
        c = check_table(customers, "customers", {customer: "id", acquisition_cost: "nonneg"}, unique=customer)
        known = set(h[customer].astype(str))
        res.loc["exploration", "acquisition_cost"] = float(
            c.loc[c[customer].astype(str).isin(known), acquisition_cost].sum()
        )
    if interactions is not None:
        it = check_table(
            interactions, "interactions", {customer: "id", interaction_date: "datetime", interaction_kind: "category"}
        )
        first = h.groupby(customer, observed=True)["period"].min()
        in_hist = (it[interaction_date] <= h["period"].max()) & it[customer].isin(first.index)
        in_hist &= it[interaction_date] > (it[customer].map(first) - pd.offsets.MonthBegin(1))
        note_excluded(res, "interactions outside the stage history", int((~in_hist).sum()))
        it = it[in_hist]
        st = lookup(it[customer], it[interaction_date], "interactions")
        unit = np.where(it[interaction_kind].astype(str).to_numpy() == "complaint", cpc, cpi)
        res["service_cost"] = pd.Series(unit).groupby(st).sum().reindex(active, fill_value=0.0).to_numpy()
    res["total_cost"] = res[["acquisition_cost", "service_cost", "marketing_cost"]].sum(axis=1)
    res["net"] = res["gross_margin"] - res["total_cost"]
    with np.errstate(divide="ignore", invalid="ignore"):
        n = res["customers"].replace(0, np.nan)
        res["margin_per_customer"] = res["gross_margin"] / n
        res["cost_per_customer"] = res["total_cost"] / n
        res["net_per_customer"] = res["net"] / n
        res["net_per_customer_month"] = res["net"] / res["customer_months"].replace(0, np.nan)
    for reason, k in excluded.items():
        note_excluded(res, reason, k)
    res.attrs.update(
        {
            "unit": "currency units",
            "cost_per_inquiry": cpi,
            "cost_per_complaint": cpc,
            "marketing_per_month": mk,
            "acquisition_cost_included": customers is not None,
            "service_cost_included": interactions is not None,
        }
    )
    return res


@dataclass(frozen=True)
class PatternRecovery:
    """How well predicted lifecycle patterns match the true ones.

    Attributes
    ----------
    confusion : counts, rows = true pattern, columns = predicted pattern.
    accuracy : share of all customers classified correctly.
    accuracy_ended : share correct among customers whose true pattern is A-D.
    accuracy_by_pattern : share correct per true pattern (recall).
    n : number of customers compared.
    """

    confusion: "pd.DataFrame"
    accuracy: float
    accuracy_ended: float
    accuracy_by_pattern: "pd.Series"
    n: int


@checked
def pattern_recovery(
    predicted: "pd.DataFrame | pd.Series",
    truth: "pd.DataFrame | pd.Series",
    *,
    customer: str = "customer_id",
    predicted_col: str = "pattern",
    truth_col: str = "true_pattern",
) -> PatternRecovery:
    """Confusion matrix and accuracy of predicted patterns against the true ones.

    Parameters
    ----------
    predicted : :func:`classify_patterns` result (indexed by customer) or a
        Series customer -> pattern.
    truth : the truth table (``customer``, ``truth_col``) or a Series.

    Examples
    --------
    >>> import pandas as pd
    >>> pred = pd.Series({"a": "A", "b": "B", "c": "active"})
    >>> true = pd.Series({"a": "A", "b": "C", "c": "active"})
    >>> rec = pattern_recovery(pred, true)
    >>> round(rec.accuracy, 3), rec.accuracy_ended
    (0.667, 0.5)
    """
    import numpy as np
    import pandas as pd

    def series(obj: Any, col: str, table: str) -> "pd.Series":
        if isinstance(obj, pd.Series):
            return obj.astype(str)
        if isinstance(obj, pd.DataFrame):
            if col in obj.columns:
                if customer in obj.columns:
                    return obj.set_index(customer)[col].astype(str)
                return obj[col].astype(str)
            raise CRMDataError(f"table '{table}': missing column '{col}'. Pass the column name with {table}_col=.")
        raise CRMDataError(f"table '{table}': expected a DataFrame or Series, got {type(obj).__name__}.")

    p = series(predicted, predicted_col, "predicted")
    t = series(truth, truth_col, "truth")
    p.index = p.index.astype(str)
    t.index = t.index.astype(str)
    common = p.index.intersection(t.index)
    if len(common) == 0:
        raise CRMDataError(
            "pattern_recovery: no customer id appears in both 'predicted' and 'truth'. "
            "Check that both use the same id column."
        )
    missing = t.index.difference(p.index)
    for name, s in (("predicted", p), ("truth", t)):
        bad = sorted(set(s) - set(PATTERNS))
        if bad:
            raise CRMDataError(f"table '{name}': unknown pattern label(s) {bad[:5]}; use {', '.join(PATTERNS)}.")
    p, t = p.loc[common], t.loc[common]
    conf = pd.crosstab(
        pd.Categorical(t, categories=list(PATTERNS)), pd.Categorical(p, categories=list(PATTERNS)), dropna=False
    ).reindex(index=list(PATTERNS), columns=list(PATTERNS), fill_value=0)
    conf.index.name, conf.columns.name = "true", "predicted"
    ok = p.to_numpy() == t.to_numpy()
    ended = t.isin(list(PATTERNS[:4])).to_numpy()
    diag = np.diag(conf.to_numpy())
    rows = conf.sum(axis=1).to_numpy()
    by = pd.Series(np.where(rows > 0, diag / np.maximum(rows, 1), np.nan), index=conf.index, name="recall")
    conf.attrs["not_predicted"] = int(len(missing))
    return PatternRecovery(
        confusion=conf,
        accuracy=float(ok.mean()),
        accuracy_ended=float(ok[ended].mean()) if ended.any() else float("nan"),
        accuracy_by_pattern=by,
        n=int(len(common)),
    )


# --------------------------------------------------------------------------------------
# How the rules shape the result
# --------------------------------------------------------------------------------------
@checked
def stage_counts(stages: "pd.DataFrame", *, column: str = "stage") -> "pd.Series":
    """Customers per lifecycle stage, in the order of :data:`STAGES` (0 where a stage is empty).

    Examples
    --------
    >>> import pandas as pd
    >>> stage_counts(pd.DataFrame({"stage": ["ended", "exploration", "ended"]})).tolist()
    [1, 0, 0, 0, 2]
    """
    if column not in stages.columns:
        raise CRMDataError(f"table 'stages': missing column '{column}'. Pass a classify_stages result.")
    counts = stages[column].astype(str).value_counts().reindex(list(STAGES), fill_value=0)
    counts.index.name = "stage"
    counts.name = "customers"
    return counts


@checked
def rules_outcome(
    orders: "pd.DataFrame",
    truth: "pd.DataFrame",
    *,
    as_of: Any = None,
    customer: str = "customer_id",
    **options: Any,
) -> tuple["pd.DataFrame", PatternRecovery]:
    """Stages as of ``as_of`` and the recovery of the true patterns under one set of rules.

    Parameters
    ----------
    orders : orders table, as for :func:`stage_history`.
    truth : the truth table with ``customer`` and ``true_pattern`` (generated data).
    as_of : the last day observed (default: the last order date).
    customer : the customer id column of ``orders`` and ``truth``.
    **options : rules (fields of :class:`LifecycleRules`) and other keywords of
        :func:`stage_history`.

    Returns
    -------
    ``(stages, recovery)``: the :func:`classify_stages` table and the
    :func:`pattern_recovery` of :func:`classify_patterns` against ``truth``.

    Examples
    --------
    One trial order in January, silent until June: ended in exploration, pattern A.

    >>> import pandas as pd
    >>> trial = pd.DataFrame({"customer_id": ["c"], "order_date": ["2024-01-05"], "amount": [15.0]})
    >>> stages, rec = rules_outcome(trial, pd.Series({"c": "A"}), as_of="2024-06-30", ended_after=2)
    >>> stages["stage"].astype(str).tolist(), rec.accuracy
    (['ended'], 1.0)
    """
    history = stage_history(orders, as_of=as_of, customer=customer, **options)
    stages = classify_stages(orders, as_of=as_of, history=history)
    patterns = classify_patterns(orders, as_of=as_of, history=history)
    return stages, pattern_recovery(patterns, truth, customer=customer)


@checked
def rule_sensitivity(
    orders: "pd.DataFrame",
    truth: "pd.DataFrame",
    *,
    rule: str = "stability_after",
    values: Iterable[Any] = range(3, 19),
    as_of: Any = None,
    customer: str = "customer_id",
    **options: Any,
) -> "pd.DataFrame":
    """Stage counts and pattern accuracy for each value of one lifecycle rule.

    For every value of ``rule`` (a field of :class:`LifecycleRules`) the stages
    as of ``as_of`` and the patterns A-D are classified again, and the patterns
    are compared with the true ones (:func:`rules_outcome`).

    Parameters
    ----------
    orders : orders table, as for :func:`stage_history`.
    truth : the truth table with ``customer`` and ``true_pattern`` (generated data).
    rule : the rule to vary, e.g. ``"stability_after"`` or ``"ended_after"``.
    values : the values to try.
    as_of : the last day observed (default: the last order date).
    customer : the customer id column of ``orders`` and ``truth``.
    **options : any other keyword of :func:`stage_history`
        (other rules, ``wallets``, column names).

    Returns
    -------
    DataFrame indexed by the rule's value: the number of customers in each stage
    (``exploration`` ... ``ended``), ``accuracy`` and ``accuracy_ended`` (shares,
    0-1). ``attrs`` name the rule and ``as_of``.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...     "order_date": ["2024-01-05", "2024-02-07", "2024-06-02"], "amount": [15.0, 20.0, 30.0]})
    >>> truth = pd.DataFrame({"customer_id": ["a", "b"], "true_pattern": ["A", "active"]})
    >>> s = rule_sensitivity(orders, truth, rule="ended_after", values=[2, 6], as_of="2024-06-30")
    >>> s[["ended", "accuracy"]].to_numpy().tolist()
    [[1.0, 1.0], [0.0, 0.5]]
    """
    import pandas as pd

    if rule not in LifecycleRules.__dataclass_fields__:
        raise CRMDataError(
            f"parameter 'rule' = {rule!r} is not a lifecycle rule; the rules are: "
            f"{', '.join(LifecycleRules.__dataclass_fields__)}."
        )
    if rule in options:
        raise CRMDataError(f"rule '{rule}' is varied by 'values'; do not also pass it as a keyword.")
    values = list(values)
    if not values:
        raise CRMDataError("parameter 'values' is empty: give the values of the rule to try, e.g. range(3, 19).")
    rows = []
    for v in values:
        stages, rec = rules_outcome(orders, truth, as_of=as_of, customer=customer, **{**options, rule: v})
        row = stage_counts(stages).astype(float)
        row["accuracy"] = rec.accuracy
        row["accuracy_ended"] = rec.accuracy_ended
        rows.append(row.rename(v))
    out = pd.DataFrame(rows)
    out.index.name = rule
    out.columns.name = None
    out.attrs.update(
        {"rule": rule, "as_of": stages.attrs.get("as_of"), "unit": "customers (stage columns); share 0-1 (accuracy)"}
    )
    return out
