"""Customer loyalty, retention and churn (客户忠诚, 客户保持, 客户流失).

What the module measures, and where each idea comes from:

* **Retention and churn per period.** A customer is *active* in a period when
  they placed at least one order in it. The period retention rate is
  ``r_t = (customers at end - new customers) / customers at start`` with
  "customers at start" = active in the previous period, "customers at end" =
  active in this period and "new" = first order ever in this period; churn is
  ``1 - r_t``. Because returning (reactivated) customers count as kept, the
  strict rate ``|active now and before| / |active before|`` is given beside it.
* **Cohort retention matrix** by signup month: the share of each cohort active
  k months after acquisition; and the cohort's **survival** in a non-contractual
  setting, the share whose last order comes k months after acquisition or later.
* **Shifted-beta-geometric model** (sBG) of Fader & Hardie (2007, "How to
  project customer retention", *Journal of Interactive Marketing* 21(1)):
  each customer has a constant churn probability θ, θ ~ Beta(α, β) across the
  cohort, so ``P(T = t) = B(α+1, β+t-1) / B(α, β)`` and
  ``S(t) = B(α, β+t) / B(α, β)``. The retention rate of the cohort,
  ``r_t = (β + t - 1) / (α + β + t - 1)``, rises over time although nobody's
  own θ changes: the cohort sorts itself, the churn-prone leave first.
* **Churn warning points** (流失警戒点): a per-customer threshold on the days
  without a purchase, from the customer's own inter-purchase gaps, and the list
  of customers past it -- the first steps of the course's churn management
  procedure (warning point → identify → value at risk → cost of reducing churn).
* **Retention economics**: what a gain of a few retention points does to the
  value of the customer base and to steady-state profit. Reichheld & Sasser
  (1990, *HBR* 68(5)) reported that cutting defections by 5 points raised
  profits by 25-85% in the businesses they studied; the "acquiring costs five
  times as much as retaining" ratio is folklore, and Pfeifer (2005, *J. Targeting,
  Measurement and Analysis for Marketing* 13(2)) shows how such cost ratios are
  misused (an average cost per customer is not the marginal cost of one more).
* **Loyalty matrix** of Dick & Basu (1994, *JAMS* 22(2)): relative attitude ×
  repeat patronage → true loyalty, latent loyalty, spurious loyalty, no loyalty.

Time units: retention tables state their period (``attrs["period"]``);
gaps and warning points are in days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from crmlab._validate import (
    CRMDataError,
    as_of_date,
    check_choice,
    check_range,
    check_table,
    note_excluded,
    returned_flag,
)
from crmlab._contract import checked

__all__ = [
    "retention_rates",
    "repeat_purchase_rate",
    "cohort_matrix",
    "cohort_survival",
    "SBGFit",
    "fit_sbg",
    "sbg_survival",
    "sbg_retention",
    "sbg_derl",
    "purchase_gaps",
    "churn_warning_points",
    "at_risk",
    "churn_management",
    "retention_economics",
    "LOYALTY_TYPES",
    "loyalty_matrix",
]

# Period aliases accepted for ``freq``: pandas offset aliases and period aliases.
_FREQS = {"ME": "M", "M": "M", "QE": "Q", "Q": "Q", "YE": "Y", "Y": "Y", "W": "W"}
_FREQ_UNIT = {"M": "month", "Q": "quarter", "Y": "year", "W": "week"}


# ---------------------------------------------------------------- shared helpers
def _orders(
    orders: Any,
    customer: str,
    date: str,
    extra: dict[str, str] | None = None,
    table: str = "orders",
    allow_missing: Sequence[str] = (),
) -> pd.DataFrame:
    """Validate an orders-like table with a customer and a date column."""
    spec = {customer: "id", date: "datetime"}
    spec.update(extra or {})
    return check_table(orders, table, spec, allow_missing=allow_missing)


def _period_freq(freq: str) -> str:
    check_choice("freq", freq, list(_FREQS))
    return _FREQS[freq]


def _period_ordinals(dates: pd.Series, pfreq: str) -> np.ndarray:
    """Integer period number of each date; consecutive periods differ by 1."""
    return dates.dt.to_period(pfreq).array.asi8


def _periods(t: Any, lo: int) -> np.ndarray:
    """Period numbers of the discrete-time sBG model: whole numbers >= lo (never truncated)."""
    try:
        v = np.asarray(t, dtype=float)
    except (TypeError, ValueError):
        raise CRMDataError(f"parameter 't' must be whole period numbers t >= {lo}, got {t!r}.") from None
    bad = ~np.isfinite(v) | (v < lo) | (v != np.round(v))
    if bad.any():
        raise CRMDataError(
            f"parameter 't' must be whole period numbers t >= {lo} (the sBG model counts renewals), "
            f"got {v[bad].ravel()[0]!r}."
        )
    return v


def _day_numbers(dates: pd.Series) -> np.ndarray:
    """Whole days since 1970-01-01 (dates are truncated to the day)."""
    return dates.to_numpy().astype("datetime64[D]").astype(np.int64)


def _unique_pairs(codes: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (code, value) pairs, sorted by code then value."""
    lo = values.min()
    span = np.int64(values.max() - lo + 1)
    key = np.unique(codes.astype(np.int64) * span + (values - lo))
    return key // span, key % span + lo


def _drop_returns(df: pd.DataFrame, returned: str | None, result_attrs: dict) -> pd.DataFrame:
    """Leave out returned orders (if the flag column exists) and record how many."""
    n = 0
    flag = returned_flag(df, returned)
    if flag is not None:
        n = int(flag.sum())
        df = df.loc[~flag]
    result_attrs.setdefault("excluded", {})["returned orders"] = n
    return df


def _group_quantile(codes: np.ndarray, values: np.ndarray, q: float, n_groups: int) -> np.ndarray:
    """Per-group q-quantile (linear interpolation, as numpy's default); NaN for empty groups."""
    order = np.lexsort((values, codes))
    v = values[order].astype(float)
    counts = np.bincount(codes, minlength=n_groups)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    out = np.full(n_groups, np.nan)
    has = counts > 0
    h = (counts[has] - 1) * q
    lo = np.floor(h).astype(np.int64)
    hi = np.minimum(lo + 1, counts[has] - 1)
    frac = h - lo
    s = starts[has]
    out[has] = v[s + lo] + frac * (v[s + hi] - v[s + lo])
    return out


# ---------------------------------------------------------------- retention per period
@checked
def retention_rates(
    orders: pd.DataFrame,
    *,
    customer: str = "customer_id",
    date: str = "order_date",
    freq: str = "QE",
) -> pd.DataFrame:
    """Retention and churn rate of the customer base per period.

    A customer is *active* in a period if they placed at least one order in it
    (returned orders count: the visit happened). For each period t:

    * ``customers_start`` = active in period t-1, ``customers_end`` = active in t,
    * ``new`` = customers whose first order ever falls in t,
    * ``retention = (customers_end - new) / customers_start`` (the textbook rate;
      it counts reactivated customers as kept and can exceed 1),
    * ``churn = 1 - retention``,
    * ``retained`` = active in both t-1 and t, ``retention_strict = retained /
      customers_start``, ``reactivated = customers_end - new - retained``.

    The first period has no start and gives NaN rates. Periods without any
    order are kept (all zero), so the index has no holes.

    Parameters
    ----------
    orders : one row per order.
    customer, date : column names.
    freq : period length: "ME"/"M" month, "QE"/"Q" quarter, "YE"/"Y" year, "W" week.

    Returns
    -------
    DataFrame indexed by period; ``attrs["period"]`` names the unit and
    ``attrs["partial_last_period"]`` says whether the data end before the last
    period does (its rates then understate retention).

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": ["a", "b", "a", "c", "b"],
    ...                   "order_date": ["2024-01-05", "2024-02-01", "2024-04-02",
    ...                                  "2024-05-09", "2024-07-01"]})
    >>> r = retention_rates(o, freq="QE")
    >>> r[["customers_start", "new", "customers_end", "retention", "retention_strict"]]  # doctest: +NORMALIZE_WHITESPACE
            customers_start  new  customers_end  retention  retention_strict
    period
    2024Q1                0    2              2        NaN               NaN
    2024Q2                2    1              2        0.5               0.5
    2024Q3                2    0              1        0.5               0.0
    """
    pfreq = _period_freq(freq)
    df = _orders(orders, customer, date)
    cust = pd.factorize(df[customer])[0]
    per = _period_ordinals(df[date], pfreq)
    c, p = _unique_pairs(cust, per)
    p0, p1 = int(p.min()), int(p.max())
    n = p1 - p0 + 1
    idx = p - p0
    first = np.r_[True, c[1:] != c[:-1]]
    kept = np.r_[False, (c[1:] == c[:-1]) & (p[1:] - p[:-1] == 1)]
    active = np.bincount(idx, minlength=n)
    new = np.bincount(idx[first], minlength=n)
    retained = np.bincount(idx[kept], minlength=n)
    start = np.r_[0, active[:-1]]
    with np.errstate(divide="ignore", invalid="ignore"):
        retention = np.where(start > 0, (active - new) / np.where(start > 0, start, 1), np.nan)
        strict = np.where(start > 0, retained / np.where(start > 0, start, 1), np.nan)
    periods = pd.PeriodIndex.from_ordinals(np.arange(p0, p1 + 1), freq=pfreq)
    out = pd.DataFrame(
        {
            "customers_start": start,
            "new": new,
            "retained": retained,
            "reactivated": active - new - retained,
            "customers_end": active,
            "retention": retention,
            "churn": 1 - retention,
            "retention_strict": strict,
        },
        index=pd.Index(periods, name="period"),
    )
    last_end = periods[-1].end_time.normalize()
    out.attrs.update(
        period=_FREQ_UNIT[pfreq],
        definition="active = at least one order in the period; retention = (end - new) / start",
        partial_last_period=bool(df[date].max().normalize() < last_end),
    )
    return out


@checked
def repeat_purchase_rate(
    orders: pd.DataFrame,
    *,
    customer: str = "customer_id",
    date: str = "order_date",
    within_days: float | None = None,
) -> pd.Series:
    """Share of customers who bought again after their first purchase.

    A repeat purchase is an order on a later *day* than the customer's first
    one (two orders on the first day are one purchase occasion). With
    ``within_days`` only repeats within that many days of the first purchase
    count, and only customers whose first purchase lies at least ``within_days``
    before the last date in the data are judged (the others are excluded and
    counted in ``attrs["excluded"]``).

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "c"],
    ...                   "order_date": ["2024-01-01", "2024-02-01", "2024-01-03",
    ...                                  "2024-01-04", "2024-01-04"]})
    >>> repeat_purchase_rate(o)["repeat_purchase_rate"]  # only a bought on a second day
    0.3333333333333333
    """
    df = _orders(orders, customer, date)
    cust, _ = pd.factorize(df[customer])
    c, d = _unique_pairs(cust, _day_numbers(df[date]))
    fi = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])  # each customer's first purchase day
    first_day = d[fi]
    has_second = np.r_[c[1:] == c[:-1], False][fi]
    second_day = np.where(has_second, d[np.minimum(fi + 1, len(d) - 1)], -1)
    n_excl = 0
    if within_days is None:
        judged = np.ones(len(fi), bool)
        repeat = has_second
    else:
        w = check_range("within_days", within_days, lo=0, lo_open=True)
        judged = first_day + w <= d.max()
        n_excl = int((~judged).sum())
        repeat = has_second & (second_day - first_day <= w)
    n = int(judged.sum())
    k = int((repeat & judged).sum())
    out = pd.Series(
        {"customers": n, "repeat_customers": k, "repeat_purchase_rate": k / n if n else float("nan")}, dtype=object
    )
    out.attrs["within_days"] = within_days
    return note_excluded(out, "customers first seen less than within_days before the data end", n_excl)


@checked
def cohort_matrix(
    orders: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    *,
    customer: str = "customer_id",
    date: str = "order_date",
    signup: str = "signup_date",
    cohort_freq: str = "M",
    max_periods: int | None = None,
) -> pd.DataFrame:
    """Cohort retention matrix: share of each acquisition cohort active k periods later.

    The cohort of a customer is the period of ``customers[signup]`` when the
    customers table is given (customers who never ordered then count in the
    cohort size as inactive), otherwise the period of their first order. Cell
    (cohort, k) is the share of the cohort with at least one order in period
    cohort + k. Cells after the last period with data are NaN (not yet
    observed), not 0.

    Parameters
    ----------
    orders, customers : the tables; ``customers`` optional.
    customer, date, signup : column names.
    cohort_freq : "M"/"ME" month, "Q"/"QE" quarter, "Y"/"YE" year.
    max_periods : keep columns k = 0 .. max_periods only.

    Returns
    -------
    DataFrame: index cohort (Period), columns k = 0, 1, ...; ``attrs["cohort_size"]``
    is the number of customers per cohort, ``attrs["period"]`` the unit of k.

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": ["a", "a", "b", "c"],
    ...                   "order_date": ["2024-01-03", "2024-02-10", "2024-01-20", "2024-02-02"]})
    >>> cohort_matrix(o)  # doctest: +NORMALIZE_WHITESPACE
    k          0    1
    cohort
    2024-01  1.0  0.5
    2024-02  1.0  NaN
    """
    co = _cohorts(orders, customers, customer, date, signup, cohort_freq)
    c, p = _unique_pairs(co.cust, co.per)
    k = p - co.cohort[c]
    early = k < 0
    c, k = c[~early], k[~early]
    counts = np.zeros((co.n_cohorts, co.n_k))
    np.add.at(counts, (co.cohort[c] - co.c0, k), 1)
    out = _cohort_frame(counts, co, max_periods)
    return note_excluded(out, "customer-periods with orders before the signup date", int(early.sum()))


@checked
def cohort_survival(
    orders: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    *,
    customer: str = "customer_id",
    date: str = "order_date",
    signup: str = "signup_date",
    cohort_freq: str = "M",
    max_periods: int | None = None,
) -> pd.DataFrame:
    """Survival of each acquisition cohort in a non-contractual business: still buying at k or later.

    Nobody cancels in a shop, so "still a customer after k periods" is read
    from the orders: cell (cohort, k) is the share of the cohort whose *last*
    order falls in period cohort + k or later. Unlike the active share of
    :func:`cohort_matrix`, a customer who skips a period but buys again later
    still counts, so each row never rises -- the survival curve the
    shifted-beta-geometric model (:func:`fit_sbg`) describes. Near the end of
    the data the share is an upper bound: customers whose last order is recent
    may already have left without the data showing it yet.

    Parameters
    ----------
    orders, customers, customer, date, signup, cohort_freq, max_periods : as in
        :func:`cohort_matrix` (customers who never ordered count in the cohort
        size, as not surviving).

    Returns
    -------
    DataFrame: index cohort (Period), columns k = 0, 1, ..., shares 0-1; NaN
    after the last period with data. ``attrs["cohort_size"]`` and
    ``attrs["period"]`` (the unit of k) as in :func:`cohort_matrix`.

    Examples
    --------
    Customer a skips February but buys in March, so a is still a customer at k = 1:

    >>> o = pd.DataFrame({"customer_id": ["a", "a", "b", "c"],
    ...     "order_date": ["2024-01-03", "2024-03-10", "2024-01-20", "2024-02-02"]})
    >>> cohort_survival(o)  # doctest: +NORMALIZE_WHITESPACE
    k          0    1    2
    cohort
    2024-01  1.0  0.5  0.5
    2024-02  1.0  0.0  NaN
    """
    co = _cohorts(orders, customers, customer, date, signup, cohort_freq)
    never = np.iinfo(np.int64).min
    last = np.full(len(co.cohort), never)
    np.maximum.at(last, co.cust, co.per)
    counted = last >= co.cohort  # bought on or after signup (never-buyers keep `never`)
    before = (last > never) & ~counted  # every order before the signup date
    ends = np.zeros((co.n_cohorts, co.n_k))
    np.add.at(ends, (co.cohort[counted] - co.c0, last[counted] - co.cohort[counted]), 1)
    counts = ends[:, ::-1].cumsum(axis=1)[:, ::-1]  # last order in period k or later
    out = _cohort_frame(counts, co, max_periods)
    return note_excluded(out, "customers whose orders all fall before the signup date", int(before.sum()))


@dataclass(frozen=True)
class _Cohorts:
    """Orders and customers laid out for cohort tables: period and cohort numbers."""

    pfreq: str
    cust: np.ndarray  # per order: customer code
    per: np.ndarray  # per order: period ordinal
    cohort: np.ndarray  # per customer: cohort period ordinal
    c0: int  # first cohort
    last: int  # last period with data
    n_cohorts: int
    n_k: int
    size: np.ndarray  # customers per cohort (c0, c0 + 1, ...)


def _cohorts(orders: Any, customers: Any, customer: str, date: str, signup: str, cohort_freq: str) -> _Cohorts:
    pfreq = _period_freq(cohort_freq)
    if pfreq == "W":
        raise CRMDataError("parameter 'cohort_freq' = 'W': use a month, quarter or year for cohorts.")
    df = _orders(orders, customer, date)
    per = _period_ordinals(df[date], pfreq)
    if customers is not None:
        cu = check_table(customers, "customers", {customer: "id", signup: "datetime"}, unique=customer)
        ids = pd.Index(cu[customer])
        cust = ids.get_indexer(df[customer])
        if (cust < 0).any():
            bad = df[customer].to_numpy()[cust < 0]
            raise CRMDataError(
                f"table 'orders', column '{customer}': {len(set(bad))} customer(s) not in table "
                f"'customers' (first: {bad[0]!r}). Pass the matching customers table or filter "
                f"the orders to known customers first."
            )
        cohort = _period_ordinals(cu[signup], pfreq)
    else:
        codes, ids = pd.factorize(df[customer])
        cust = codes
        cohort = np.full(len(ids), np.iinfo(np.int64).max)
        np.minimum.at(cohort, cust, per)
    last = int(per.max())
    c0 = int(cohort.min())
    n_cohorts = int(cohort.max()) - c0 + 1
    return _Cohorts(
        pfreq,
        cust,
        per,
        cohort,
        c0,
        last,
        n_cohorts,
        max(last - c0 + 1, 1),
        np.bincount(cohort - c0, minlength=n_cohorts),
    )


def _cohort_frame(counts: np.ndarray, co: _Cohorts, max_periods: int | None) -> pd.DataFrame:
    """Counts per (cohort, k) -> shares of the cohort, NaN where period cohort + k is not observed yet."""
    with np.errstate(divide="ignore", invalid="ignore"):
        share = counts / co.size[:, None]
    rows = np.arange(co.n_cohorts)[:, None] + co.c0
    share[rows + np.arange(co.n_k)[None, :] > co.last] = np.nan
    keep = co.size > 0
    labels = pd.PeriodIndex.from_ordinals(np.arange(co.c0, co.c0 + co.n_cohorts), freq=co.pfreq)
    out = pd.DataFrame(
        share[keep], index=pd.Index(labels[keep], name="cohort"), columns=pd.Index(range(co.n_k), name="k")
    )
    out = out.dropna(axis=1, how="all")
    if max_periods is not None:
        out = out.loc[:, : int(max_periods)]
    out.attrs["cohort_size"] = pd.Series(co.size[keep], index=out.index, name="customers")
    out.attrs["period"] = _FREQ_UNIT[co.pfreq]
    return out


# ---------------------------------------------------------------- shifted-beta-geometric
@checked
def sbg_survival(alpha: float, beta: float, t: Any) -> np.ndarray:
    """sBG survival ``S(t) = B(α, β+t) / B(α, β)``: share of a cohort still active after t periods.

    Examples
    --------
    >>> float(sbg_survival(1.0, 1.0, 1))  # θ ~ Uniform(0,1): S(1) = 1/2
    0.5
    """
    from scipy.special import betaln

    a = check_range("alpha", alpha, lo=0, lo_open=True)
    b = check_range("beta", beta, lo=0, lo_open=True)
    t = _periods(t, lo=0)
    return np.exp(betaln(a, b + t) - betaln(a, b))


@checked
def sbg_retention(alpha: float, beta: float, t: Any) -> np.ndarray:
    """sBG retention rate in period t >= 1: ``r_t = S(t)/S(t-1) = (β+t-1)/(α+β+t-1)``.

    It rises with t: the customers with a high churn probability leave first.

    Examples
    --------
    >>> sbg_retention(1.0, 1.0, [1, 2, 3]).round(3).tolist()  # 1/2, 2/3, 3/4
    [0.5, 0.667, 0.75]
    """
    a = check_range("alpha", alpha, lo=0, lo_open=True)
    b = check_range("beta", beta, lo=0, lo_open=True)
    t = _periods(t, lo=1)
    if np.any(t < 1):
        raise CRMDataError("parameter 't': retention is defined for periods t >= 1.")
    return (b + t - 1) / (a + b + t - 1)


@checked
def sbg_derl(alpha: float, beta: float, discount: float, renewals: int = 0) -> float:
    """Discounted expected residual lifetime (DERL) of a customer under the sBG model.

    Fader & Hardie (2010, *Marketing Science* 29(1)): for a customer who has
    made ``renewals`` = n renewals so far, valued just before the next renewal
    decision, ``DERL = Σ_{k>=0} S(n+1+k) / S(n) / (1+d)^k
    = (β+n)/(α+β+n) · 2F1(1, β+n+1; α+β+n+1; 1/(1+d))``: the expected number of
    further periods they pay for, the next one undiscounted. Multiply by the
    margin per period to get the residual lifetime value.

    Examples
    --------
    >>> round(sbg_derl(2.0, 1.0, 0.0), 3)  # no discount: E[T] - 1 = (α+β-1)/(α-1) - 1
    1.0
    >>> sbg_derl(1.0, 1.0, 0.0)  # heavy tail: E[T] is infinite for α <= 1
    inf
    """
    from scipy.special import hyp2f1

    a = check_range("alpha", alpha, lo=0, lo_open=True)
    b = check_range("beta", beta, lo=0, lo_open=True)
    d = check_range("discount", discount, lo=0)
    n = int(check_range("renewals", renewals, lo=0))
    if d == 0 and a <= 1.0:
        return float("inf")
    return float((b + n) / (a + b + n) * hyp2f1(1.0, b + n + 1, a + b + n + 1, 1.0 / (1.0 + d)))


@dataclass
class SBGFit:
    """A fitted shifted-beta-geometric retention model (Fader & Hardie 2007).

    Attributes
    ----------
    alpha, beta : Beta(α, β) parameters of the churn probability θ.
    loglik : maximised log-likelihood (in the units of the counts given).
    observed : share of the cohort active at the end of periods 0..n (starts at 1).
    cohort_size : number of customers at period 0 (1.0 when shares were given).
    period : name of the period unit.
    """

    alpha: float
    beta: float
    loglik: float
    observed: np.ndarray = field(repr=False)
    cohort_size: float = 1.0
    period: str = "period"

    @property
    def mean_churn(self) -> float:
        """Mean churn probability in the cohort at the start, E[θ] = α/(α+β)."""
        return self.alpha / (self.alpha + self.beta)

    def survival(self, t: Any) -> np.ndarray:
        """Fitted share of the cohort active after t periods."""
        return sbg_survival(self.alpha, self.beta, t)

    def retention(self, t: Any) -> np.ndarray:
        """Fitted retention rate in period t >= 1."""
        return sbg_retention(self.alpha, self.beta, t)

    def project(self, horizon: int) -> pd.DataFrame:
        """Observed and fitted survival and retention for t = 0 .. horizon (projection beyond the data).

        Examples
        --------
        >>> fit = fit_sbg([0.5, 0.333333])
        >>> fit.project(3).round(3)["survival_fitted"].tolist()
        [1.0, 0.5, 0.333, 0.25]
        """
        h = int(check_range("horizon", horizon, lo=1))
        t = np.arange(h + 1)
        obs = np.full(h + 1, np.nan)
        m = min(len(self.observed), h + 1)
        obs[:m] = self.observed[:m]
        surv = self.survival(t)
        out = pd.DataFrame({"survival_observed": obs, "survival_fitted": surv}, index=pd.Index(t, name="t"))
        out["retention_observed"] = out["survival_observed"] / out["survival_observed"].shift()
        out["retention_fitted"] = np.r_[np.nan, self.retention(t[1:])]
        out["observed"] = t < len(self.observed)
        out.attrs.update(period=self.period, alpha=self.alpha, beta=self.beta)
        return out


@checked
def fit_sbg(
    active: Sequence[float] | pd.Series,
    *,
    cohort_size: float | None = None,
    period: str = "period",
) -> SBGFit:
    """Fit the shifted-beta-geometric model to a cohort's survival by maximum likelihood.

    The log-likelihood (Fader & Hardie 2007, eq. 7) of a cohort of which
    ``n_t`` customers are active at the end of periods t = 1..T is
    ``Σ_t (n_{t-1} - n_t) ln P(T=t) + n_T ln S(T)``; it is maximised over
    ln α, ln β with scipy (L-BFGS-B, then Nelder-Mead to polish).

    Parameters
    ----------
    active : customers (or shares) still active at the end of periods 1..T,
        non-increasing. Do not include period 0.
    cohort_size : customers at period 0. Default: 1.0 when all values are
        shares (<= 1); counts need it.
    period : name of the period unit, carried by the result.

    Examples
    --------
    High End segment of Fader & Hardie (2007): survivors per 1,000 in years 1-7.

    >>> fit = fit_sbg([869, 743, 653, 593, 551, 517, 491], cohort_size=1000, period="year")
    >>> round(fit.alpha, 3), round(fit.beta, 3)
    (0.668, 3.806)
    """
    from scipy.optimize import minimize
    from scipy.special import betaln

    s = np.asarray(active, dtype=float).ravel()
    if s.size < 1:
        raise CRMDataError("parameter 'active': give the number (or share) active for at least one period.")
    if np.isnan(s).any() or (s < 0).any():
        raise CRMDataError("parameter 'active': values must be numbers >= 0 without gaps (NaN).")
    if cohort_size is None:
        if s.max() > 1:
            raise CRMDataError(
                "parameter 'cohort_size' is needed when 'active' holds counts: pass the number of "
                "customers at period 0, e.g. fit_sbg([869, 743, ...], cohort_size=1000)."
            )
        cohort_size = 1.0
    n0 = check_range("cohort_size", cohort_size, lo=0, lo_open=True)
    n = np.r_[n0, s]
    if (np.diff(n) > 1e-9 * n0).any():
        raise CRMDataError(
            "parameter 'active': the number active must not increase over time (nor exceed "
            "cohort_size); a cohort only loses customers in this model."
        )
    lost = n[:-1] - n[1:]
    if s[-1] <= 1e-12 * n0 and lost[1:].sum() <= 1e-12 * n0:
        raise CRMDataError(
            "parameter 'active': the whole cohort is gone after period 1, so the sBG model cannot tell how "
            "churn probabilities differ between customers (its parameters run off to 0). Give the counts of "
            "a cohort observed over several periods with some customers left."
        )
    if lost.sum() <= 1e-12 * n0:
        raise CRMDataError(
            "parameter 'active': no customer was lost in any period, so there is no churn to fit. Check the "
            "counts, or observe the cohort for longer."
        )
    t = np.arange(1, s.size + 1, dtype=float)
    T = float(s.size)

    def nll(x: np.ndarray) -> float:
        a, b = np.exp(x)
        base = betaln(a, b)
        ll = lost @ (betaln(a + 1, b + t - 1) - base) + s[-1] * (betaln(a, b + T) - base)
        return -ll

    res = minimize(nll, np.zeros(2), method="L-BFGS-B", bounds=[(-10, 10), (-10, 10)])
    res = minimize(nll, res.x, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000})
    a, b = np.exp(res.x)
    return SBGFit(alpha=float(a), beta=float(b), loglik=float(-res.fun), observed=n / n0, cohort_size=n0, period=period)


# ---------------------------------------------------------------- churn warning points
@checked
def purchase_gaps(
    orders: pd.DataFrame,
    *,
    customer: str = "customer_id",
    date: str = "order_date",
) -> pd.Series:
    """Days between each customer's consecutive purchase days (inter-purchase gaps).

    Several orders on one day are one purchase occasion (no zero gaps).

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                   "order_date": ["2024-01-01", "2024-01-11", "2024-01-31", "2024-01-05"]})
    >>> purchase_gaps(o).tolist()
    [10, 20]
    """
    gaps, cust, ids, _ = _gaps(_orders(orders, customer, date), customer, date)
    return pd.Series(gaps, index=pd.Index(ids[cust], name=customer), name="gap_days").rename_axis(customer)


def _gaps(df: pd.DataFrame, customer: str, date: str):
    """Gaps (days), the customer code of each gap, the ids, and (codes, days) of distinct purchase days."""
    codes, ids = pd.factorize(df[customer])
    c, d = _unique_pairs(codes, _day_numbers(df[date]))
    same = c[1:] == c[:-1]
    return (d[1:] - d[:-1])[same], c[1:][same], ids, (c, d)


@checked
def churn_warning_points(
    orders: pd.DataFrame,
    *,
    customer: str = "customer_id",
    date: str = "order_date",
    method: str = "gap_quantile",
    q: float = 0.9,
    multiplier: float | None = None,
    min_orders: int = 4,
) -> pd.DataFrame:
    """Per-customer churn warning point (流失警戒点): days without a purchase that signal risk.

    From each customer's own inter-purchase gaps (see :func:`purchase_gaps`):

    * ``method="gap_quantile"``: warning = ``multiplier`` × the q-quantile of the
      customer's gaps (default multiplier 1: "longer than 90% of their own gaps").
    * ``method="mean_gap"``: warning = ``multiplier`` × the customer's mean gap
      (default multiplier 2).

    **Population fallback.** A customer with fewer than ``min_orders`` purchase
    days has too few gaps to say what is normal for them; they get the
    population warning point, the same rule applied to all gaps of all
    customers pooled. Column ``source`` says which applied.

    Returns
    -------
    DataFrame indexed by customer: ``purchase_days``, ``first_purchase``,
    ``last_purchase``, ``n_gaps``, ``warning_days``, ``source``;
    ``attrs`` hold the parameters and ``population_warning_days`` (unit: days).

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": list("aaaab"),
    ...     "order_date": ["2024-01-01", "2024-01-11", "2024-01-21", "2024-02-10", "2024-01-05"]})
    >>> w = churn_warning_points(o, method="mean_gap", min_orders=4)
    >>> # a: gaps 10, 10, 20 -> mean 13.33, times 2; b has no gap and gets the pooled value
    >>> w[["n_gaps", "warning_days", "source"]]  # doctest: +NORMALIZE_WHITESPACE
                 n_gaps  warning_days      source
    customer_id
    a                 3     26.666667         own
    b                 0     26.666667  population
    """
    check_choice("method", method, ["gap_quantile", "mean_gap"])
    q = check_range("q", q, lo=0, hi=1)
    if multiplier is None:
        multiplier = 1.0 if method == "gap_quantile" else 2.0
    mult = check_range("multiplier", multiplier, lo=0, lo_open=True)
    min_orders = int(check_range("min_orders", min_orders, lo=2))
    df = _orders(orders, customer, date)
    gaps, gc, ids, (c, d) = _gaps(df, customer, date)
    if gaps.size == 0:
        raise CRMDataError(
            f"table 'orders', column '{date}': no customer bought on two different days, so there "
            f"are no inter-purchase gaps to learn a warning point from. Use a longer order history."
        )
    n = len(ids)
    n_gaps = np.bincount(gc, minlength=n)
    if method == "gap_quantile":
        own = _group_quantile(gc, gaps, q, n) * mult
        pop = float(np.quantile(gaps, q)) * mult
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            own = np.bincount(gc, weights=gaps, minlength=n) / n_gaps * mult
        pop = float(gaps.mean()) * mult
    days = n_gaps + 1
    use_own = days >= min_orders
    first_idx = np.r_[True, c[1:] != c[:-1]]
    last_idx = np.r_[c[1:] != c[:-1], True]
    epoch = np.datetime64("1970-01-01", "D")
    out = pd.DataFrame(
        {
            "purchase_days": days,
            "first_purchase": pd.to_datetime(epoch + d[first_idx]),
            "last_purchase": pd.to_datetime(epoch + d[last_idx]),
            "n_gaps": n_gaps,
            "warning_days": np.where(use_own, own, pop),
            "source": np.where(use_own, "own", "population"),
        },
        index=pd.Index(ids, name=customer),
    )
    out.attrs.update(
        method=method, q=q, multiplier=mult, min_orders=min_orders, population_warning_days=pop, unit="days"
    )
    return out


@checked
def at_risk(
    orders: pd.DataFrame,
    warning_points: pd.DataFrame,
    *,
    as_of: Any,
    customer: str = "customer_id",
    date: str = "order_date",
    warning: str = "warning_days",
) -> pd.DataFrame:
    """Customers past their churn warning point as of a date, most overdue first.

    Only orders on or before ``as_of`` count (later ones are excluded and
    counted). ``days_since_last`` = days from the last purchase to ``as_of``;
    a customer is at risk when it exceeds their warning point.

    Returns
    -------
    DataFrame indexed by customer: ``last_purchase``, ``days_since_last``,
    ``warning_days``, ``days_past`` (days beyond the warning point) and
    ``ratio`` (days_since_last / warning_days), sorted by ratio, largest first.

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": ["a", "b"], "order_date": ["2024-01-01", "2024-03-01"]})
    >>> w = pd.DataFrame({"warning_days": [30.0, 30.0]}, index=pd.Index(["a", "b"], name="customer_id"))
    >>> at_risk(o, w, as_of="2024-03-16")[["days_since_last", "days_past", "ratio"]]  # doctest: +NORMALIZE_WHITESPACE
                 days_since_last  days_past  ratio
    customer_id
    a                         75       45.0    2.5
    """
    df = _orders(orders, customer, date)
    as_of = as_of_date(as_of, df[date], column=date, required=True)
    if not isinstance(warning_points, pd.DataFrame) or warning not in warning_points.columns:
        raise CRMDataError(
            f"table 'warning_points': expected the DataFrame from churn_warning_points() with a '{warning}' column."
        )
    check_table(warning_points, "warning_points", {warning: "nonneg"}, min_rows=1)
    later = (df[date] > as_of).to_numpy()
    df = df.loc[~later]
    last = df.groupby(customer, sort=False, observed=True)[date].max()
    wp = warning_points[warning]
    last = last.reindex(wp.index)
    no_orders = int(last.isna().sum())
    since = (as_of.normalize() - last.dt.normalize()).dt.days
    out = pd.DataFrame({"last_purchase": last, "days_since_last": since, "warning_days": wp})
    out = out.loc[since.notna() & (since > wp)]
    out["days_since_last"] = out["days_since_last"].astype(np.int64)
    out["days_past"] = out["days_since_last"] - out["warning_days"]
    out["ratio"] = out["days_since_last"] / out["warning_days"]
    out = out.sort_values("ratio", ascending=False)
    out.index.name = wp.index.name or customer
    out.attrs.update(as_of=as_of, unit="days", customers_checked=int(len(wp) - no_orders))
    note_excluded(out, "orders after as_of", int(later.sum()))
    return note_excluded(out, "customers without an order on or before as_of", no_orders)


# ---------------------------------------------------------------- churn management
@checked
def churn_management(
    at_risk: pd.DataFrame,
    clv: pd.Series,
    *,
    reduction_points: Sequence[float] = (5, 10, 20, 30),
    cost: float | Callable[[float], float] = 1.0,
    churn_probability: float = 1.0,
) -> pd.DataFrame:
    """The churn management steps as one calculation, for several targets of churn reduction.

    1. Warning point and 2. identification: ``at_risk`` (from :func:`at_risk`).
    3. Value at risk: ``churn_probability`` × the sum of their CLV
       (``churn_probability`` = share of at-risk customers expected to leave if
       nothing is done).
    4. Cost of reducing churn by x points (churn among the at-risk falls from
       p to p - x/100) against the CLV it saves: expected customers saved =
       n × x/100, CLV saved = x/100 × Σ CLV, net benefit = CLV saved - cost,
       ROI = net benefit / cost.

    Parameters
    ----------
    at_risk : at-risk customers (index = customer id).
    clv : CLV per customer (index = customer id); every at-risk customer needs one.
    reduction_points : churn reductions to evaluate, in percentage points.
    cost : a number = cost per at-risk customer per point of reduction (linear),
        or a function ``cost(points) -> cost per at-risk customer`` (e.g. convex).
    churn_probability : baseline churn probability of an at-risk customer, in (0, 1].

    Examples
    --------
    >>> risk = pd.DataFrame(index=pd.Index(["a", "b"], name="customer_id"))
    >>> clv = pd.Series({"a": 300.0, "b": 100.0})
    >>> r = churn_management(risk, clv, reduction_points=[10], cost=2.0)
    >>> r.loc[10, ["clv_saved", "cost", "net_benefit", "roi"]].tolist()  # 0.1*400, 2*2*10
    [40.0, 40.0, 0.0, 0.0]
    """
    if not isinstance(at_risk, pd.DataFrame):
        raise CRMDataError("table 'at_risk': expected the DataFrame returned by at_risk().")
    if not isinstance(clv, pd.Series):
        raise CRMDataError("parameter 'clv': expected a pandas Series of CLV indexed by customer id.")
    p = check_range("churn_probability", churn_probability, lo=0, hi=1, lo_open=True)
    values = clv.reindex(at_risk.index)
    if values.isna().any():
        miss = at_risk.index[values.isna().to_numpy()]
        raise CRMDataError(
            f"parameter 'clv': {len(miss)} at-risk customer(s) have no CLV (first: {miss[0]!r}). "
            f"Compute CLV for every customer, or fill the missing ones deliberately (e.g. .fillna(0))."
        )
    pts = np.asarray(
        [
            check_range(
                "reduction_points",
                x,
                lo=0,
                hi=100 * p,
                lo_open=True,
                hint="a reduction cannot exceed the baseline churn probability.",
            )
            for x in reduction_points
        ]
    )
    n = len(at_risk)
    total = float(values.sum())
    per_cust = np.array([float(cost(x)) for x in pts]) if callable(cost) else check_range("cost", cost, lo=0) * pts
    spend = n * per_cust
    saved = pts / 100 * total
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = np.where(spend > 0, (saved - spend) / np.where(spend > 0, spend, 1), np.nan)
    out = pd.DataFrame(
        {
            "customers_at_risk": n,
            "value_at_risk": p * total,
            "customers_saved": n * pts / 100,
            "clv_saved": saved,
            "cost": spend,
            "net_benefit": saved - spend,
            "roi": roi,
        },
        index=pd.Index(pts, name="reduction_points"),
    )
    out.attrs.update(
        steps=[
            "set warning points",
            "identify at-risk customers",
            "value at risk (their CLV)",
            "cost of reducing churn vs CLV saved",
        ],
        churn_probability=p,
        best_reduction_points=float(out["net_benefit"].idxmax()) if n else float("nan"),
    )
    return out


# ---------------------------------------------------------------- retention economics
@checked
def retention_economics(
    retention: float,
    margin: float,
    discount: float,
    *,
    gain_points: float = 5,
    base_customers: int = 1000,
    acquisition_cost: float = 0.0,
    retention_cost: float = 0.0,
    period: str = "period",
) -> pd.DataFrame:
    """What a retention gain of a few points does to customer base value and profit.

    ``retention``, ``margin``, ``discount`` and the costs are all per ``period``
    (e.g. ``"year"``), which the result states in ``attrs["period"]``.

    For the base retention r and the improved r' = r + gain_points/100 (per period):

    * ``expected_lifetime = 1 / (1 - r)`` periods,
    * ``clv = (margin - retention_cost) (1 + d) / (1 + d - r)`` per customer
      (Gupta & Lehmann 2003, first period's margin included),
    * ``base_value = base_customers × clv``,
    * steady state: the firm keeps acquiring ``new = base_customers (1 - r)``
      customers per period (what holds today's base constant); the base then
      settles at ``new / (1 - r')`` customers and earns
      ``profit = customers (margin - retention_cost) - new × acquisition_cost``
      per period,
    * ``acquisition_spend = new × acquisition_cost`` per period (replacing
      churned customers) against ``retention_spend = customers × retention_cost``.

    Rows: ``base``, ``improved``, ``change`` and ``change_%``. Compare
    Reichheld & Sasser (1990), who report 25-85% more profit from 5 points
    fewer defections in their industries -- the figure here depends entirely on
    the inputs. A cost ratio such as "acquisition costs 5 × retention" is only
    meaningful per customer *gained* versus per customer *kept* (Pfeifer 2005);
    ``attrs["acquisition_to_retention_cost"]`` reports that ratio for the inputs.

    Examples
    --------
    >>> e = retention_economics(0.8, 100, 0.1, gain_points=5)
    >>> e.loc["base", "clv"].round(2), e.loc["improved", "clv"].round(2)  # 110/0.3, 110/0.25
    (np.float64(366.67), np.float64(440.0))
    >>> round(float(e.loc["improved", "steady_state_customers"]), 2)  # 200 new / 0.15
    1333.33
    """
    r = check_range("retention", retention, lo=0, hi=1, hi_open=True)
    g = check_range(
        "gain_points",
        gain_points,
        lo=-100 * r,
        hi=100 * (1 - r),
        hi_open=True,
        hint="the improved retention must stay below 1.",
    )
    m = check_range("margin", margin)
    d = check_range("discount", discount, lo=-1, lo_open=True)
    n = check_range("base_customers", base_customers, lo=0, lo_open=True)
    a = check_range("acquisition_cost", acquisition_cost, lo=0)
    c = check_range("retention_cost", retention_cost, lo=0)
    rs = np.array([r, r + g / 100])
    new = n * (1 - r)
    customers = new / (1 - rs)
    net = m - c
    from crmlab.clv import retention_clv

    clv = np.array([retention_clv(net, x, d, initial_margin=True) for x in rs])
    out = pd.DataFrame(
        {
            "retention": rs,
            "churn": 1 - rs,
            "expected_lifetime": 1 / (1 - rs),
            "clv": clv,
            "base_value": n * clv,
            "steady_state_customers": customers,
            "acquisition_spend": [new * a] * 2,
            "retention_spend": customers * c,
            "profit": customers * net - new * a,
        },
        index=["base", "improved"],
    )
    change = out.loc["improved"] - out.loc["base"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100 * change / out.loc["base"].abs().replace(0, np.nan)
    out.loc["change"] = change
    out.loc["change_%"] = pct
    out.attrs.update(
        gain_points=g,
        margin=m,
        discount=d,
        period=str(period),
        acquisition_to_retention_cost=(a / c) if c > 0 else float("inf") if a > 0 else float("nan"),
        note="Reichheld & Sasser (1990) report +25-85% profit for 5 points; this depends on the inputs.",
    )
    return out


# ---------------------------------------------------------------- Dick & Basu loyalty matrix
LOYALTY_TYPES: tuple[str, ...] = ("true loyalty", "latent loyalty", "spurious loyalty", "no loyalty")


def _cut(name: str, s: pd.Series, cut: float | str) -> float:
    if isinstance(cut, str):
        check_choice(f"{name}_cut", cut, ["median", "mean"])
        return float(s.median() if cut == "median" else s.mean())
    return check_range(f"{name}_cut", cut)


@checked
def loyalty_matrix(
    attitude: pd.Series,
    patronage: pd.Series,
    *,
    attitude_cut: float | str = "median",
    patronage_cut: float | str = "median",
) -> pd.DataFrame:
    """Dick & Basu (1994) loyalty matrix: relative attitude × repeat patronage.

    ============= ================ =================
    attitude      high patronage   low patronage
    ============= ================ =================
    high          true loyalty     latent loyalty
    low           spurious loyalty no loyalty
    ============= ================ =================

    A value at or above its cut is "high". Cuts are numbers or "median"/"mean".

    Parameters
    ----------
    attitude : relative attitude per customer (e.g. survey 1-7), indexed by customer.
    patronage : repeat patronage per customer (e.g. orders per year, share of
        periods active or share of wallet), indexed by the same customers.

    Examples
    --------
    >>> att = pd.Series({"a": 6, "b": 6, "c": 2, "d": 2})
    >>> pat = pd.Series({"a": 9, "b": 1, "c": 9, "d": 1})
    >>> loyalty_matrix(att, pat, attitude_cut=4, patronage_cut=5)["loyalty"].tolist()
    ['true loyalty', 'latent loyalty', 'spurious loyalty', 'no loyalty']
    """
    for name, s in (("attitude", attitude), ("patronage", patronage)):
        if not isinstance(s, pd.Series):
            raise CRMDataError(f"parameter '{name}': expected a pandas Series indexed by customer id.")
        check_table(s.rename(name).to_frame(), name, {name: "number"})
    if not attitude.index.sort_values().equals(patronage.index.sort_values()) or attitude.index.has_duplicates:
        raise CRMDataError(
            "parameters 'attitude' and 'patronage' must be indexed by the same customers, once each "
            f"({attitude.index.nunique()} vs {patronage.index.nunique()} ids). Align them first, "
            "e.g. patronage.reindex(attitude.index)."
        )
    pat = patronage.reindex(attitude.index)
    ac, pc = _cut("attitude", attitude, attitude_cut), _cut("patronage", pat, patronage_cut)
    hi_a = attitude.to_numpy() >= ac
    hi_p = pat.to_numpy() >= pc
    label = np.where(
        hi_a, np.where(hi_p, LOYALTY_TYPES[0], LOYALTY_TYPES[1]), np.where(hi_p, LOYALTY_TYPES[2], LOYALTY_TYPES[3])
    )
    out = pd.DataFrame(
        {
            "attitude": attitude.to_numpy(),
            "patronage": pat.to_numpy(),
            "high_attitude": hi_a,
            "high_patronage": hi_p,
            "loyalty": pd.Categorical(label, categories=list(LOYALTY_TYPES)),
        },
        index=attitude.index,
    )
    out.attrs.update(attitude_cut=ac, patronage_cut=pc)
    return out
