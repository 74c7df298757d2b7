"""Customer contribution value by RFM (客户贡献价值的RFM测算).

Recency, frequency and monetary value after Hughes (1994, *Strategic Database
Marketing*): how long ago a customer last bought, how many purchases they made
and how much they spent. Each is scored 5 (best) ... 1 by quintiles and the three
digits form a code from 555 to 111. The named segments built on the R x F grid
are a software convention, not an academic result.

Policies, stated once and carried on every result in ``attrs``:

* **recency** is *marketing* recency: whole days from the last purchase to
  ``as_of`` (column ``recency_days``). It is not the BG/NBD "recency" of
  :mod:`crmlab.clv`, which is the time from the first to the last purchase.
* **frequency** counts orders (rows of the orders table, or distinct ``order``
  ids when a table has one row per order line). Two orders on the same day count
  as two here; the BG/NBD summary counts purchase *days* instead.
* **returns**: orders flagged in the ``returned`` column are left out and their
  number recorded in ``attrs["excluded"]``. Zero amounts are kept (and counted
  in ``attrs["zero_amount_orders"]``); negative amounts are refused.
* **orders after as_of** are left out and counted, never silently.

The weaknesses the course names are visible here: RFM says nothing about the
cost to serve a customer (:func:`rfm_with_cost`) and it is a snapshot computed
period by period, so customers move between cells (:func:`rfm_by_period`).
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from crmlab._validate import (
    CRMDataError,
    as_of_date,
    check_choice,
    check_range,
    check_table,
    note_excluded,
    returned_column,
)
from crmlab._contract import checked

__all__ = [
    "DEFAULT_SEGMENT_MAP",
    "rfm_table",
    "score",
    "segment",
    "segment_grid",
    "rfm_by_period",
    "segment_migration",
    "rfm_with_cost",
]

# R x F map, patterns over the two-digit "RF" code. This is the map copied from
# blog to blog and package to package (a software convention, not a published
# result); crmlab names the lowest cell (R=1, F=1) "Lost" instead of lumping it
# with "Hibernating". Replace it with your own through segment(segment_map=...).
DEFAULT_SEGMENT_MAP: dict[str, str] = {
    "Champions": "5[4-5]",
    "Loyal": "[3-4][4-5]",
    "Potential loyalist": "[4-5][2-3]",
    "New": "51",
    "Promising": "41",
    "Need attention": "33",
    "About to sleep": "3[1-2]",
    "Can't lose them": "[1-2]5",
    "At risk": "[1-2][3-4]",
    "Hibernating": "12|2[1-2]",
    "Lost": "11",
}

_TIE_RULE = (
    "equal-count scores: customers are sorted by value, ties split by customer id "
    "(among equal values the id that sorts first gets the lower score)"
)


class _OrderLog:
    """A validated orders table with its kept-row mask and customer codes."""

    def __init__(
        self, df: pd.DataFrame, keep: np.ndarray, as_of: pd.Timestamp, excluded: dict[str, int], customer: str
    ) -> None:
        self.df, self.keep, self.as_of, self.excluded = df, keep, as_of, excluded
        ids = df[customer]
        codes, uniques = pd.factorize(ids if isinstance(ids.dtype, pd.CategoricalDtype) else ids.to_numpy())
        if (codes < 0).any():
            first = ids.index[codes < 0][0]
            raise CRMDataError(
                f"table 'orders', column '{customer}': {int((codes < 0).sum())} missing value(s) "
                f"(first at row {first!r}). Fill them or remove those rows deliberately before calling."
            )
        self.codes = codes
        self.ids = pd.Index(np.asarray(uniques), name=customer)

    def kept(self) -> pd.DataFrame:
        return self.df if self.keep.all() else self.df[self.keep]


def _order_log(
    orders: pd.DataFrame,
    *,
    customer: str,
    date: str,
    amount: str | None,
    returned: str | None,
    as_of: Any,
    extra: Mapping[str, str] | None = None,
    order_lines: bool = False,
) -> _OrderLog:
    """Validate an orders table and apply the returns / after-as_of policy.

    Rows are never dropped here: the result carries a mask of the kept rows and
    the counts of excluded rows (both keys always present) for
    :func:`note_excluded`.
    """
    spec = {customer: "any", date: "datetime"}
    if amount is not None:
        spec[amount] = "nonneg"
    returned = returned_column(orders, returned)  # the default flag is optional: a log without returns (CDNOW)
    if returned is not None:
        spec[returned] = "bool"
    spec.update(extra or {})
    df = check_table(orders, "orders", spec, order_lines=order_lines)
    keep = np.ones(len(df), dtype=bool)
    excluded = {"returned orders": 0, "orders after as_of": 0}
    if returned is not None:
        ret = df[returned].to_numpy(dtype=bool)
        excluded["returned orders"] = int(ret.sum())
        keep &= ~ret
    ts = as_of_date(as_of, df[date], column=date, required=True)
    after = (df[date] > ts).to_numpy()
    excluded["orders after as_of"] = int(after.sum())
    keep &= ~after
    return _OrderLog(df, keep, ts, excluded, customer)


def _rfm_core(
    log: _OrderLog, keep: np.ndarray, as_of: pd.Timestamp, *, date: str, amount: str, order: str | None, monetary: str
) -> pd.DataFrame:
    """R, F, M of the customers with at least one kept order (vectorised, no groupby)."""
    k = len(log.ids)
    c = log.codes[keep]
    when = log.df[date].to_numpy()[keep]
    unit = np.datetime_data(when.dtype)[0]
    stamp = when.view("int64")
    n = np.bincount(c, minlength=k)
    last = np.full(k, np.iinfo(np.int64).min)
    first = np.full(k, np.iinfo(np.int64).max)
    np.maximum.at(last, c, stamp)
    np.minimum.at(first, c, stamp)
    total = np.bincount(c, weights=log.df[amount].to_numpy(dtype=float)[keep], minlength=k)
    has = n > 0
    last_dt = last[has].view(f"datetime64[{unit}]")
    now = as_of.to_datetime64().astype(f"datetime64[{unit}]")
    frequency = n[has]
    if order:
        frequency = (
            pd.Series(log.df[order].to_numpy()[keep]).groupby(c).nunique().reindex(np.flatnonzero(has)).to_numpy()
        )
    out = pd.DataFrame(
        {
            "recency_days": (now - last_dt) // np.timedelta64(1, "D"),
            "frequency": frequency.astype("int64"),
            "monetary": total[has] if monetary == "total" else total[has] / frequency,
            "first_purchase": first[has].view(f"datetime64[{unit}]"),
            "last_purchase": last_dt,
        },
        index=log.ids[has],
    )
    return out


@checked
def rfm_table(
    orders: pd.DataFrame,
    *,
    as_of: Any,
    customer: str = "customer_id",
    date: str = "order_date",
    amount: str = "amount",
    returned: str | None = "returned",
    order: str | None = None,
    monetary: str = "total",
) -> pd.DataFrame:
    """Recency, frequency and monetary value of every customer at ``as_of``.

    Parameters
    ----------
    orders : one row per order (or per order line, then pass ``order``).
    as_of : the day the table describes (end of the observation window).
    customer, date, amount : column names.
    returned : bool column flagging returned orders, which are excluded and
        counted; ``None`` to count every order. If the default column
        ``"returned"`` is absent, all orders are counted (recorded in attrs).
    order : order-id column when a table has several rows per order; frequency
        then counts distinct order ids. Default: every row is one order.
    monetary : ``"total"`` spend in the window or ``"mean"`` spend per order.

    Returns
    -------
    DataFrame indexed by customer (in order of first appearance in ``orders``;
    ``.sort_index()`` sorts by id) with ``recency_days`` (whole days since the
    last purchase), ``frequency`` (orders), ``monetary`` (currency units),
    ``first_purchase`` and ``last_purchase``. ``attrs`` holds the units,
    ``as_of``, the policies and the ``excluded`` counts. Customers whose every
    order was returned or lies after ``as_of`` do not appear (counted in
    ``attrs["excluded"]["customers with no kept order"]``).

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...     "order_date": ["2024-01-01", "2024-03-01", "2024-02-01"],
    ...     "amount": [10.0, 30.0, 5.0], "returned": [False, False, True]})
    >>> t = rfm_table(orders, as_of="2024-03-31")
    >>> t[["recency_days", "frequency", "monetary"]]  # doctest: +NORMALIZE_WHITESPACE
                 recency_days  frequency  monetary
    customer_id
    a                      30          2      40.0
    >>> t.attrs["excluded"]["returned orders"]
    1
    """
    check_choice("monetary", monetary, ["total", "mean"])
    log = _order_log(
        orders,
        customer=customer,
        date=date,
        amount=amount,
        returned=returned,
        as_of=as_of,
        extra={order: "id"} if order else None,
        order_lines=bool(order),
    )
    if not log.keep.any():
        raise CRMDataError(
            f"table 'orders': no order is left after excluding {log.excluded['returned orders']} returned "
            f"order(s) and {log.excluded['orders after as_of']} after as_of={log.as_of.date()}. Check as_of "
            f"and the '{returned}' column."
        )
    out = _rfm_core(log, log.keep, log.as_of, date=date, amount=amount, order=order, monetary=monetary)
    for reason, n in log.excluded.items():
        note_excluded(out, reason, n)
    note_excluded(out, "customers with no kept order", len(log.ids) - len(out))
    has_flag = returned is not None and returned in log.df.columns
    out.attrs.update(
        as_of=log.as_of,
        units={"recency_days": "days", "frequency": "orders", "monetary": f"currency units ({monetary} per customer)"},
        monetary=monetary,
        returns_policy=("returned orders excluded" if has_flag else "no returns flag: every order counted"),
        zero_amount_orders=int((log.df[amount].to_numpy()[log.keep] == 0).sum()),
        frequency_counts="orders (several orders on one day count separately)",
    )
    return out


# ---------------------------------------------------------------- scoring


def _equal_count_scores(goodness: np.ndarray, ids: np.ndarray, bins: int) -> np.ndarray:
    """Scores 1..bins in equal-count groups; higher goodness -> higher score.

    Sorted by goodness, ties split by id (stable), position p of n gets
    ``floor(p * bins / n) + 1``.
    """
    n = len(goodness)
    order = np.lexsort((ids, goodness))
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    return pos * bins // n + 1


def _quantile_scores(goodness: np.ndarray, bins: int) -> np.ndarray:
    """Scores from type-7 quantile cut points: equal values share a score."""
    inner = np.quantile(goodness, np.linspace(0, 1, bins + 1)[1:-1])
    return np.searchsorted(inner, goodness, side="left") + 1


_DIMENSIONS = (("R", "recency_days", -1), ("F", "frequency", 1), ("M", "monetary", 1))


@checked
def score(
    rfm: pd.DataFrame,
    bins: int | Mapping[str, Sequence[float]] = 5,
    *,
    method: str = "rank",
) -> pd.DataFrame:
    """Score recency, frequency and monetary value 1..bins (recency reversed).

    Parameters
    ----------
    rfm : the result of :func:`rfm_table` (columns ``recency_days``,
        ``frequency``, ``monetary``, customer ids in the index).
    bins : number of score levels (2..9, default 5 = quintiles), or custom
        edges per dimension, ``{"R": [...], "F": [...], "M": [...]}``, given on
        the raw scale (days, orders, currency units) in increasing order. With
        edges, intervals are right-closed and the score counts up from the
        *worst* interval: the shortest recency interval gets the top R score.
    method : how ``bins`` (an int) is turned into groups:

        ``"rank"`` (default) equal-count groups as in Hughes (1994): customers
        are sorted by value and ties are split by customer id, so equal values
        may get different scores but the result is the same on every run;
        ``"quantile"`` type-7 quantile cut points (as R's ``rfm`` package):
        equal values share a score and the groups may be unequal.

    Returns
    -------
    The input columns plus ``R``, ``F``, ``M`` (ints, higher is better),
    ``RFM`` (code string like ``"545"``) and ``score_total`` (R + F + M).

    Examples
    --------
    >>> rfm = pd.DataFrame({"recency_days": [5, 50, 500], "frequency": [9, 3, 1],
    ...     "monetary": [900.0, 300.0, 10.0]}, index=pd.Index(["a", "b", "c"], name="customer_id"))
    >>> score(rfm, bins=3)[["R", "F", "M", "RFM"]]  # doctest: +NORMALIZE_WHITESPACE
                 R  F  M  RFM
    customer_id
    a            3  3  3  333
    b            2  2  2  222
    c            1  1  1  111
    """
    check_choice("method", method, ["rank", "quantile"])
    check_table(rfm, "rfm", {"recency_days": "number", "frequency": "nonneg", "monetary": "number"})
    out = rfm.copy()
    ids = out.index.to_numpy()
    n = len(out)
    levels: dict[str, int] = {}
    if isinstance(bins, Mapping):
        missing = [d for d, _, _ in _DIMENSIONS if d not in bins]
        if missing:
            raise CRMDataError(
                f"parameter 'bins': custom edges are missing for {missing}. Give edges for R, F and M, "
                f"e.g. bins={{'R': [0, 30, 90, 365, 10_000], 'F': [...], 'M': [...]}}."
            )
        for dim, col, sign in _DIMENSIONS:
            edges = np.asarray(bins[dim], dtype=float)
            if len(edges) < 3 or len(edges) > 10 or np.any(np.diff(edges) <= 0):
                raise CRMDataError(
                    f"parameter 'bins[{dim!r}]' = {list(edges)}: give 3 to 10 strictly increasing edges "
                    f"(2 to 9 score levels)."
                )
            x = out[col].to_numpy(dtype=float)
            outside = (x < edges[0]) | (x > edges[-1])
            if outside.any():
                raise CRMDataError(
                    f"table 'rfm', column '{col}': {int(outside.sum())} value(s) outside the edges "
                    f"[{edges[0]:g}, {edges[-1]:g}] (first: {x[outside][0]:g}). Widen bins[{dim!r}], "
                    f"e.g. with -np.inf / np.inf at the ends."
                )
            k = len(edges) - 1
            interval = np.clip(np.searchsorted(edges, x, side="left"), 1, k)  # 1..k, right-closed
            out[dim] = (interval if sign > 0 else k + 1 - interval).astype("int64")
            levels[dim] = k
    else:
        k = int(check_range("bins", bins, lo=2, hi=9, hint="Use 2..9 score levels (5 = quintiles)."))
        if method == "rank" and n < k:
            raise CRMDataError(f"table 'rfm': {n} customer(s) cannot be split into {k} equal groups. Use fewer bins.")
        for dim, col, sign in _DIMENSIONS:
            goodness = sign * out[col].to_numpy(dtype=float)
            s = _equal_count_scores(goodness, ids, k) if method == "rank" else _quantile_scores(goodness, k)
            out[dim] = s.astype("int64")
            levels[dim] = k
    out["RFM"] = out["R"].astype(str) + out["F"].astype(str) + out["M"].astype(str)
    out["score_total"] = out["R"] + out["F"] + out["M"]
    out.attrs.update(rfm.attrs)
    out.attrs.update(
        bins=levels,
        score_method=("custom edges" if isinstance(bins, Mapping) else method),
        ties=(_TIE_RULE if method == "rank" and not isinstance(bins, Mapping) else "equal values share a score"),
    )
    return out


# ---------------------------------------------------------------- segments


@checked
def segment_grid(segment_map: Mapping[str, str] | None = None, bins: int = 5) -> pd.DataFrame:
    """The R x F grid of segment names; refuses a map with gaps or overlaps.

    Rows are R (bins .. 1, top row most recent), columns F (1 .. bins).

    Examples
    --------
    >>> segment_grid().loc[5, 5]
    'Champions'
    >>> segment_grid({"Good": "[4-5].", "Rest": "[1-3]."}).loc[3, 1]
    'Rest'
    """
    smap = dict(DEFAULT_SEGMENT_MAP if segment_map is None else segment_map)
    grid = pd.DataFrame(
        "", index=pd.Index(range(bins, 0, -1), name="R"), columns=pd.Index(range(1, bins + 1), name="F"), dtype=object
    )
    gaps, overlaps = [], []
    for r in range(1, bins + 1):
        for f in range(1, bins + 1):
            hits = [name for name, pattern in smap.items() if re.fullmatch(pattern, f"{r}{f}")]
            if not hits:
                gaps.append(f"{r}{f}")
            elif len(hits) > 1:
                overlaps.append(f"{r}{f} -> {hits}")
            else:
                grid.loc[r, f] = hits[0]
    if gaps or overlaps:
        raise CRMDataError(
            "parameter 'segment_map' must give every R,F cell exactly one segment. "
            + (f"Not covered: {', '.join(gaps)}. " if gaps else "")
            + (f"Covered twice: {'; '.join(overlaps)}. " if overlaps else "")
            + "Patterns are regular expressions over the two-digit code 'RF', e.g. '5[4-5]'."
        )
    return grid


@checked
def segment(scores: pd.DataFrame, *, segment_map: Mapping[str, str] | None = None) -> pd.Series:
    """Name each customer's segment from their R and F scores.

    Parameters
    ----------
    scores : the result of :func:`score` (columns ``R`` and ``F``).
    segment_map : ``{segment name: regex over the two-digit "RF" code}``. The
        default, :data:`DEFAULT_SEGMENT_MAP`, is the widely copied software
        convention (Champions = R 5 and F 4-5, ...). Every R,F combination must
        match exactly one pattern; otherwise a :class:`CRMDataError` lists the
        gaps and overlaps.

    Returns
    -------
    Categorical Series ``segment`` indexed like ``scores`` (categories in the
    order of the map).

    Examples
    --------
    >>> s = pd.DataFrame({"R": [5, 1, 3], "F": [5, 1, 3]}, index=["a", "b", "c"])
    >>> segment(s).tolist()
    ['Champions', 'Lost', 'Need attention']
    """
    check_table(scores, "scores", {"R": "number", "F": "number"})
    levels = scores.attrs.get("bins") or {}
    bins = int(max(levels.get("R", 0), levels.get("F", 0), scores["R"].max(), scores["F"].max()))
    if segment_map is None and bins != 5:
        raise CRMDataError(
            f"table 'scores': the default segment map is for 5-level scores, these have {bins}. "
            f"Pass your own segment_map={{name: pattern over 'RF'}} covering 1..{bins}."
        )
    grid = segment_grid(segment_map, bins)
    smap = DEFAULT_SEGMENT_MAP if segment_map is None else segment_map
    lookup = grid.stack()
    keys = pd.MultiIndex.from_arrays([scores["R"].to_numpy(), scores["F"].to_numpy()])
    names = lookup.reindex(keys).to_numpy()
    return pd.Series(pd.Categorical(names, categories=list(smap)), index=scores.index, name="segment")


# ---------------------------------------------------------------- weaknesses


@checked
def rfm_by_period(
    orders: pd.DataFrame,
    *,
    as_of: Any,
    freq: str = "QE",
    period_ends: Iterable[Any] | None = None,
    bins: int = 5,
    method: str = "rank",
    segment_map: Mapping[str, str] | None = None,
    customer: str = "customer_id",
    date: str = "order_date",
    amount: str = "amount",
    returned: str | None = "returned",
    monetary: str = "total",
) -> pd.DataFrame:
    """RFM scores and segments recomputed at the end of every period.

    RFM is a snapshot: scored at each period end on the history up to that day,
    the same customer moves from cell to cell (compare two periods with
    :func:`segment_migration`). Each snapshot only ranks customers against each
    other at that moment, so a score of 5 means "top fifth now", not a stable
    trait.

    Parameters
    ----------
    as_of : end of the observation window (last snapshot at or before it).
    freq : pandas frequency of the snapshots ("QE" quarter ends, "ME", "YE").
    period_ends : explicit snapshot dates instead of ``freq``.
    bins, method, segment_map : as in :func:`score` and :func:`segment`.

    Returns
    -------
    Long table: one row per (``period_end``, customer) with ``recency_days``,
    ``frequency``, ``monetary``, ``R``, ``F``, ``M``, ``RFM``, ``segment``.
    Customers appear from the first snapshot after their first order. An early
    snapshot with fewer customers than ``bins`` cannot be scored: it is left out,
    counted in ``attrs["excluded"]`` and listed in ``attrs["skipped_period_ends"]``.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": list("aabbc"),
    ...     "order_date": ["2024-01-05", "2024-05-01", "2024-02-01", "2024-02-20", "2024-04-10"],
    ...     "amount": [10.0, 20, 30, 40, 50]})
    >>> t = rfm_by_period(orders, as_of="2024-06-30", bins=2,
    ...                   segment_map={"Active": "2.", "Lapsing": "1."})
    >>> t[t.customer_id == "a"]["segment"].tolist()  # a bought again in May
    ['Lapsing', 'Active']

    """
    log = _order_log(orders, customer=customer, date=date, amount=amount, returned=returned, as_of=as_of)
    dates = log.df[date]
    start, ts = dates[log.keep].min(), log.as_of
    if period_ends is None:
        ends = pd.date_range(start, ts, freq=freq)
    else:
        ends = pd.DatetimeIndex(pd.to_datetime(list(period_ends))).sort_values()
    ends = ends[(ends >= start) & (ends <= ts)]
    if len(ends) == 0:
        raise CRMDataError(
            f"no period end between the first order ({start.date()}) and as_of ({ts.date()}) "
            f"for freq={freq!r}. Use a shorter freq (e.g. 'ME') or pass period_ends=[...]."
        )
    parts, skipped = [], []
    n_bins = bins if isinstance(bins, int) else None
    for end in ends:
        snap = _rfm_core(
            log, log.keep & (dates <= end).to_numpy(), end, date=date, amount=amount, order=None, monetary=monetary
        )
        if n_bins is not None and len(snap) < n_bins:
            skipped.append(end)  # too few customers yet to split into `bins` groups: left out and counted
            continue
        scored = score(snap, bins, method=method)
        scored["segment"] = segment(scored, segment_map=segment_map).astype(str)
        scored.insert(0, "period_end", end)
        parts.append(scored.drop(columns=["first_purchase", "last_purchase"]).reset_index())
    if not parts:
        raise CRMDataError(
            f"parameter 'bins' = {bins}: no snapshot up to as_of ({ts.date()}) has {bins} or more customers to "
            f"split into {bins} groups. Use fewer bins or a later as_of."
        )
    out = pd.concat(parts, ignore_index=True)
    for reason, n in log.excluded.items():
        note_excluded(out, reason, n)
    note_excluded(out, "snapshots with fewer customers than bins", len(skipped))
    out.attrs["skipped_period_ends"] = [str(e.date()) for e in skipped]
    out.attrs.update(
        as_of=ts,
        freq=(freq if period_ends is None else "given period ends"),
        units={"recency_days": "days", "frequency": "orders", "monetary": "currency units"},
    )
    return out


@checked
def segment_migration(
    by_period: pd.DataFrame, start: Any, end: Any, *, customer: str = "customer_id", column: str = "segment"
) -> pd.DataFrame:
    """Cross-tab of segments at two snapshots of :func:`rfm_by_period`.

    Rows: segment at ``start``; columns: segment at ``end``; cells: customers.
    Customers absent at ``start`` (not yet bought) show as ``"(not yet a customer)"``.

    Examples
    --------
    >>> t = pd.DataFrame({"period_end": pd.to_datetime(["2024-03-31"] * 2 + ["2024-06-30"] * 2),
    ...     "customer_id": ["a", "b", "a", "b"], "segment": ["New", "New", "Lost", "New"]})
    >>> segment_migration(t, "2024-03-31", "2024-06-30").loc["New", "Lost"]
    np.int64(1)
    """
    check_table(by_period, "by_period", {"period_end": "datetime", customer: "id", column: "any"})
    a = by_period[by_period["period_end"] == pd.Timestamp(start)].set_index(customer)[column]
    b = by_period[by_period["period_end"] == pd.Timestamp(end)].set_index(customer)[column]
    for when, part in (("start", a), ("end", b)):
        if part.empty:
            raise CRMDataError(
                f"table 'by_period', column 'period_end': no snapshot at {when}. "
                f"Available: {sorted(by_period['period_end'].dt.date.unique())[:8]}."
            )
    a = a.reindex(b.index).astype(object).fillna("(not yet a customer)")
    return pd.crosstab(a.rename(f"{column} at start"), b.rename(f"{column} at end"))


@checked
def rfm_with_cost(
    scores: pd.DataFrame,
    cost_to_serve: pd.Series,
    *,
    margin: pd.Series | None = None,
) -> pd.DataFrame:
    """Put the cost to serve next to the RFM scores: what RFM does not see.

    RFM ranks customers by what they buy, never by what serving them costs. A
    customer with a top code can still lose money once visits, calls, rush
    orders and returns are paid for (see :mod:`crmlab.profitability`).

    Parameters
    ----------
    scores : the result of :func:`score` (customer ids in the index).
    cost_to_serve : cost per customer over the same window (currency units),
        indexed by customer id, e.g. ``activity_based_profit(...)["cost_to_serve"]``.
        Every scored customer needs a value (fill 0 deliberately if none).
    margin : gross margin per customer over the same window. ``None`` uses
        ``monetary`` (revenue), which overstates profit: it is an upper bound.

    Returns
    -------
    ``scores`` with ``margin``, ``cost_to_serve``, ``profit`` and bool
    ``unprofitable``; ``attrs["top_unprofitable"]`` counts customers with the
    top score total who lose money.

    Examples
    --------
    >>> s = pd.DataFrame({"R": [5, 1], "F": [5, 1], "M": [5, 1], "score_total": [15, 3],
    ...     "monetary": [100.0, 10.0]}, index=["a", "b"])
    >>> rfm_with_cost(s, pd.Series({"a": 150.0, "b": 2.0}))["profit"].tolist()
    [-50.0, 8.0]
    """
    check_table(scores, "scores", {"score_total": "number", "monetary": "number"})
    for name, s in (("cost_to_serve", cost_to_serve), ("margin", margin)):
        if s is None:
            continue
        if not isinstance(s, pd.Series):
            raise CRMDataError(f"parameter '{name}': expected a Series indexed by customer id, got {type(s).__name__}.")
        nan = s.reindex(scores.index).isna() & scores.index.isin(s.index)
        if nan.any():
            raise CRMDataError(
                f"parameter '{name}': {int(nan.sum())} value(s) are NaN (first: {scores.index[nan.to_numpy()][0]!r}), "
                f"so their profit would be NaN and never flagged. Fill them deliberately (e.g. "
                f"{name}.fillna(0)) or compute them first."
            )
        missing = scores.index.difference(s.index)
        if len(missing):
            raise CRMDataError(
                f"parameter '{name}': no value for {len(missing)} scored customer(s) (first: {missing[0]!r}). "
                f"Give every customer a value, e.g. {name}.reindex(scores.index, fill_value=0) if none is right."
            )
    out = scores.copy()
    out["margin"] = (scores["monetary"] if margin is None else margin.reindex(scores.index)).astype(float)
    out["cost_to_serve"] = cost_to_serve.reindex(scores.index).astype(float)
    out["profit"] = out["margin"] - out["cost_to_serve"]
    out["unprofitable"] = out["profit"] < 0
    top = out["score_total"] == out["score_total"].max()
    out.attrs.update(
        margin_source="monetary (revenue: an upper bound)" if margin is None else "given margin",
        top_unprofitable=int((top & out["unprofitable"]).sum()),
        units={
            **scores.attrs.get("units", {}),
            "margin": "currency units",
            "cost_to_serve": "currency units",
            "profit": "currency units",
        },
    )
    return out
