"""Customer segmentation (客户细分).

Two families, side by side:

* **value-based**: how concentrated revenue is (the Pareto "x% of customers
  bring y% of revenue" figure, the Lorenz curve and Gini coefficient), ABC
  classes by cumulative value share, and the customer pyramid of Zeithaml,
  Rust & Lemon (2001, *California Management Review* 43(4)) with tiers
  Platinum, Gold, Iron and Lead;
* **need-based**: k-means (scikit-learn) on standardised behavioural and
  attitudinal features, with elbow and silhouette helpers and a profile of
  each segment.

:func:`compare_segmentations` cross-tabulates any two of them, with the
adjusted Rand index (Hubert & Arabie 1985) as a one-number summary of agreement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from crmlab._validate import CRMDataError, check_range, check_table, note_excluded, check_same_ids
from crmlab._contract import checked

__all__ = [
    "pareto_table",
    "top_share",
    "concentration",
    "lorenz_curve",
    "gini",
    "abc_classes",
    "customer_pyramid",
    "tier_summary",
    "value_segments",
    "customer_features",
    "KMeansSegments",
    "kmeans_segments",
    "elbow",
    "silhouette",
    "SegmentationComparison",
    "compare_segmentations",
]

DEFAULT_TIERS: dict[str, float] = {"Platinum": 0.01, "Gold": 0.04, "Iron": 0.15, "Lead": 0.80}


# ---------------------------------------------------------------- value per customer


def _customer_values(
    data: Any, *, customer: str, value: str, allow_negative: bool = False, table: str = "values"
) -> pd.Series:
    """One value per customer from a Series (index = customer) or a table (summed by customer)."""
    if isinstance(data, pd.Series):
        frame = pd.DataFrame({value: data.to_numpy()}, index=data.index)
        check_table(frame, table, {value: "number" if allow_negative else "nonneg"})
        s = data.astype(float)
        if s.index.has_duplicates:
            raise CRMDataError(
                f"table '{table}': {int(s.index.duplicated().sum())} duplicate customer id(s) in the index "
                f"(first: {s.index[s.index.duplicated()][0]!r}). Sum per customer first: s.groupby(level=0).sum()."
            )
    else:
        df = check_table(data, table, {customer: "id", value: "number" if allow_negative else "nonneg"})
        s = df.groupby(customer, sort=False)[value].sum().astype(float)
    if len(s) == 0:
        raise CRMDataError(f"table '{table}' is empty: there is no customer to analyse.")
    s.name = value if not isinstance(data, pd.Series) else (data.name or "value")
    return s


def _ranked(s: pd.Series) -> pd.Series:
    """Sort descending by value; ties in the order of customer id (deterministic)."""
    order = np.lexsort((s.index.to_numpy().astype(str), -s.to_numpy()))
    return s.iloc[order]


def _curve_at(x: np.ndarray, y: np.ndarray, at: float) -> float:
    """Linear interpolation on a cumulative curve that starts at (0, 0)."""
    return float(np.interp(at, np.concatenate([[0.0], x]), np.concatenate([[0.0], y])))


@checked
def pareto_table(data: Any, *, customer: str = "customer_id", value: str = "amount") -> pd.DataFrame:
    """Customers ranked by value with their cumulative share (the Pareto table).

    Parameters
    ----------
    data : a Series of values indexed by customer, or a table (orders or one
        row per customer) whose ``value`` column is summed per ``customer``.
    customer, value : column names when ``data`` is a table.

    Returns
    -------
    One row per customer, best first: ``rank`` (1 = largest), ``value``,
    ``share`` of the total, ``cumulative_share`` (ends at 1) and
    ``customer_share`` (rank / n). Ties are ordered by customer id.

    Examples
    --------
    >>> t = pareto_table(pd.Series({"a": 10.0, "b": 60.0, "c": 30.0}))
    >>> t[["rank", "cumulative_share"]].round(2).to_dict("list")
    {'rank': [1, 2, 3], 'cumulative_share': [0.6, 0.9, 1.0]}
    """
    s = _customer_values(data, customer=customer, value=value)
    total = s.sum()
    if total <= 0:
        raise CRMDataError(f"table 'values', column '{value}': the total is 0, so shares are undefined.")
    r = _ranked(s)
    n = len(r)
    out = pd.DataFrame(
        {
            "rank": np.arange(1, n + 1),
            "value": r.to_numpy(),
            "share": r.to_numpy() / total,
            "cumulative_share": np.cumsum(r.to_numpy()) / total,
            "customer_share": np.arange(1, n + 1) / n,
        },
        index=r.index,
    )
    out.attrs.update(total=float(total), n_customers=n, units={"value": "as given (e.g. currency units)"})
    return out


@checked
def top_share(data: Any, top: float = 0.2, *, customer: str = "customer_id", value: str = "amount") -> float:
    """Share of total value brought by the top ``top`` fraction of customers.

    "20% of customers bring y% of revenue": ``top_share(values, 0.2)`` is y.
    Between two customers the cumulative curve is interpolated linearly, so the
    answer does not jump with n.

    Examples
    --------
    >>> top_share(pd.Series({"a": 70.0, "b": 10.0, "c": 10.0, "d": 5.0, "e": 5.0}), 0.2)
    0.7
    """
    check_range("top", top, lo=0, hi=1)
    t = pareto_table(data, customer=customer, value=value)
    return round(_curve_at(t["customer_share"].to_numpy(), t["cumulative_share"].to_numpy(), top), 12)


@checked
def lorenz_curve(data: Any, *, customer: str = "customer_id", value: str = "amount") -> pd.DataFrame:
    """Points of the Lorenz curve: customers sorted from smallest to largest value.

    Returns
    -------
    DataFrame with ``customer_share`` and ``value_share`` from (0, 0) to
    (1, 1); the diagonal is perfect equality. ``attrs["gini"]`` holds the Gini
    coefficient.

    Examples
    --------
    >>> lorenz_curve(pd.Series({"a": 1.0, "b": 3.0}))["value_share"].tolist()
    [0.0, 0.25, 1.0]
    """
    s = _customer_values(data, customer=customer, value=value)
    x = np.sort(s.to_numpy())
    if x.sum() <= 0:
        raise CRMDataError(f"table 'values', column '{value}': the total is 0, so shares are undefined.")
    n = len(x)
    out = pd.DataFrame(
        {"customer_share": np.arange(n + 1) / n, "value_share": np.concatenate([[0.0], np.cumsum(x) / x.sum()])}
    )
    out.attrs["gini"] = _gini(x)
    return out


def _gini(sorted_values: np.ndarray) -> float:
    n = len(sorted_values)
    i = np.arange(1, n + 1)
    return float(np.sum((2 * i - n - 1) * sorted_values) / (n * sorted_values.sum()))


@checked
def gini(data: Any, *, customer: str = "customer_id", value: str = "amount") -> float:
    """Gini coefficient of value across customers: 0 = all equal, (n-1)/n = one has all.

    ``G = sum_i (2i - n - 1) x_(i) / (n * sum x)`` with values sorted
    ascending, i = 1..n (the mean absolute difference over twice the mean).

    Examples
    --------
    >>> gini(pd.Series([1.0, 2.0, 3.0, 4.0]))
    0.25
    """
    s = _customer_values(data, customer=customer, value=value)
    x = np.sort(s.to_numpy())
    if x.sum() <= 0:
        raise CRMDataError(f"table 'values', column '{value}': the total is 0, so the Gini is undefined.")
    return _gini(x)


@checked
def concentration(
    data: Any,
    tops: Sequence[float] = (0.01, 0.05, 0.1, 0.2, 0.5),
    *,
    customer: str = "customer_id",
    value: str = "amount",
) -> pd.Series:
    """One-line summary of concentration: Gini and the share of the top x%.

    Examples
    --------
    >>> concentration(pd.Series([0.0, 0.0, 0.0, 10.0]), tops=(0.25,)).to_dict()
    {'customers': 4.0, 'gini': 0.75, 'top 25% share': 1.0}
    """
    t = pareto_table(data, customer=customer, value=value)
    x, y = t["customer_share"].to_numpy(), t["cumulative_share"].to_numpy()
    out = {"customers": float(len(t)), "gini": _gini(np.sort(t["value"].to_numpy()))}
    for top in tops:
        out[f"top {top:.0%} share"] = round(_curve_at(x, y, check_range("tops", top, lo=0, hi=1)), 12)
    return pd.Series(out, name="concentration")


# ---------------------------------------------------------------- ABC and pyramid


@checked
def abc_classes(
    data: Any,
    thresholds: Sequence[float] = (0.8, 0.95),
    *,
    labels: Sequence[str] = ("A", "B", "C"),
    customer: str = "customer_id",
    value: str = "amount",
) -> pd.DataFrame:
    """ABC classes by cumulative share of value.

    Customers are ranked by value (ties by id). A customer belongs to the first
    class whose threshold is not yet reached by the customers ranked *above* it,
    so the customer who crosses the 80% line is still an A.

    Parameters
    ----------
    thresholds : increasing cumulative-share cut points in (0, 1), one fewer
        than ``labels`` (default 80% / 95%: A, B, C).

    Returns
    -------
    :func:`pareto_table` plus ``class`` (ordered categorical).

    Examples
    --------
    >>> t = abc_classes(pd.Series({"a": 50.0, "b": 30.0, "c": 10.0, "d": 5.0, "e": 5.0}))
    >>> t["class"].tolist()
    ['A', 'A', 'B', 'B', 'C']
    """
    th = [check_range("thresholds", t, lo=0, hi=1, lo_open=True, hi_open=True) for t in thresholds]
    if any(b <= a for a, b in zip(th, th[1:])) or len(labels) != len(th) + 1:
        raise CRMDataError(
            f"parameter 'thresholds' = {list(thresholds)}: give strictly increasing shares in (0, 1), "
            f"one fewer than the {len(labels)} labels {list(labels)}."
        )
    t = pareto_table(data, customer=customer, value=value)
    before = t["cumulative_share"].to_numpy() - t["share"].to_numpy()
    idx = np.searchsorted(np.asarray(th), before + 1e-12, side="right")
    t["class"] = pd.Categorical.from_codes(idx, categories=list(labels), ordered=True)
    t.attrs["thresholds"] = dict(zip(labels, th + [1.0]))
    return t


@checked
def customer_pyramid(
    data: Any, tiers: Mapping[str, float] | None = None, *, customer: str = "customer_id", value: str = "amount"
) -> pd.DataFrame:
    """The customer pyramid: tiers holding given shares of customers, best first.

    Zeithaml, Rust & Lemon (2001) sort customers by profitability (or value)
    into tiers served differently. The default shares 1% Platinum, 4% Gold,
    15% Iron, 80% Lead are an illustration, not a rule; pass your own.

    Parameters
    ----------
    tiers : ``{name: share of customers}`` from the top tier down; shares > 0
        summing to 1.

    Returns
    -------
    :func:`pareto_table` plus ``tier`` (ordered categorical, top tier first).
    The customer at rank position p (0-based) of n is in the first tier whose
    cumulative share exceeds p / n.

    Examples
    --------
    >>> v = pd.Series(range(10, 0, -1), index=list("abcdefghij"), dtype=float)
    >>> customer_pyramid(v, {"Top": 0.2, "Rest": 0.8})["tier"].value_counts().to_dict()
    {'Rest': 8, 'Top': 2}
    """
    tiers = dict(DEFAULT_TIERS if tiers is None else tiers)
    shares = np.array([check_range(f"tiers[{k!r}]", v, lo=0, hi=1, lo_open=True) for k, v in tiers.items()])
    if abs(shares.sum() - 1) > 1e-9:
        raise CRMDataError(
            f"parameter 'tiers': shares sum to {shares.sum():g}, not 1. The tiers must cover every customer, "
            f"e.g. {DEFAULT_TIERS}."
        )
    t = pareto_table(data, customer=customer, value=value)
    n = len(t)
    bounds = np.round(np.cumsum(shares) * n, 9)
    idx = np.minimum(np.searchsorted(bounds, np.arange(n), side="right"), len(shares) - 1)
    t["tier"] = pd.Categorical.from_codes(idx, categories=list(tiers), ordered=True)
    t.attrs["tiers"] = tiers
    return t


@checked
def tier_summary(table: pd.DataFrame, by: str = "tier") -> pd.DataFrame:
    """Customers and value per tier or class (input: customer_pyramid / abc_classes).

    Examples
    --------
    >>> t = abc_classes(pd.Series({"a": 80.0, "b": 15.0, "c": 5.0}))
    >>> tier_summary(t, "class")[["customers", "value_share"]].to_dict("list")
    {'customers': [1, 1, 1], 'value_share': [0.8, 0.15, 0.05]}
    """
    check_table(table, "table", {by: "category", "value": "number"})
    g = table.groupby(by, observed=False)["value"]
    out = pd.DataFrame({"customers": g.size(), "value": g.sum(), "mean_value": g.mean()})
    out["customer_share"] = out["customers"] / out["customers"].sum()
    out["value_share"] = (out["value"] / out["value"].sum()).round(12)
    return out


@checked
def value_segments(
    data: Any,
    bins: int = 3,
    *,
    labels: Sequence[str] | None = None,
    customer: str = "customer_id",
    value: str = "amount",
) -> pd.Series:
    """Equal-count value tiers (e.g. low / mid / high), ties split by customer id.

    Examples
    --------
    >>> value_segments(pd.Series({"a": 1.0, "b": 5.0, "c": 9.0}), 3).tolist()
    ['low value', 'mid value', 'high value']
    """
    from crmlab.rfm import _equal_count_scores

    k = int(check_range("bins", bins, lo=2, hi=10))
    names = (
        list(labels)
        if labels is not None
        else (["low value", "mid value", "high value"] if k == 3 else [f"value tier {i}" for i in range(1, k + 1)])
    )
    if len(names) != k:
        raise CRMDataError(f"parameter 'labels': {len(names)} label(s) for {k} bins; give one per bin, lowest first.")
    s = _customer_values(data, customer=customer, value=value)
    if len(s) < k:
        raise CRMDataError(f"table 'values': {len(s)} customer(s) cannot be split into {k} equal groups.")
    codes = _equal_count_scores(s.to_numpy(), s.index.to_numpy().astype(str), k) - 1
    return pd.Series(
        pd.Categorical.from_codes(codes, categories=names, ordered=True), index=s.index, name="value_segment"
    )


# ---------------------------------------------------------------- need-based


@checked
def customer_features(
    orders: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
    *,
    as_of: Any,
    customer: str = "customer_id",
    date: str = "order_date",
    amount: str = "amount",
    returned: str | None = "returned",
    category: str | None = "category",
    channel: str | None = "channel",
    signup: str = "signup_date",
    attitudes: Sequence[str] = ("overall_satisfaction", "attitude", "recommend"),
) -> pd.DataFrame:
    """Behavioural and attitudinal features per customer, ready for k-means.

    Behaviour (from kept orders, returns and orders after ``as_of`` excluded as
    in :func:`crmlab.rfm.rfm_table`): ``orders_per_year`` (orders / years from
    sign-up, or from the first order without ``customers``, at least 30 days),
    ``mean_order_value`` (currency units), ``share_cat_<category>`` and
    ``share_ch_<channel>`` (share of the customer's spend; each set sums to 1).
    Attitude (from ``surveys``, mean of each customer's answers):
    one column per name in ``attitudes``. Customers with no survey answer get
    the mean of those who answered; how many is recorded in
    ``attrs["imputed"]``.

    Only customers with at least one kept order appear; the others are counted
    in ``attrs["excluded"]``. Features are on their own scales:
    :func:`kmeans_segments` standardises them.

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": ["a", "a", "b"], "order_date": ["2024-01-01", "2024-06-30", "2024-06-01"],
    ...     "amount": [10.0, 30.0, 50.0], "category": ["home", "garden", "home"], "channel": ["web", "web", "store"]})
    >>> f = customer_features(o, as_of="2024-12-31")
    >>> f.loc["a", ["mean_order_value", "share_cat_garden", "share_ch_web"]].tolist()
    [20.0, 0.75, 1.0]
    """
    from crmlab.rfm import _order_log

    extra = {c: "category" for c in (category, channel) if c is not None}
    log = _order_log(orders, customer=customer, date=date, amount=amount, returned=returned, as_of=as_of, extra=extra)
    kept = log.kept()
    g = kept.groupby(customer, sort=True)
    n = g.size()
    spend = g[amount].sum()
    out = pd.DataFrame({"mean_order_value": spend / n}, index=n.index)
    start = g[date].min()
    if customers is not None:
        cust = check_table(customers, "customers", {customer: "id", signup: "datetime"}, unique=customer)
        check_same_ids(kept[customer], "orders", customer, cust[customer], "customers", customer)
        start = cust.set_index(customer)[signup].reindex(n.index).fillna(start)
    years = np.maximum((log.as_of - start).dt.days.to_numpy(), 30) / 365.25
    out.insert(0, "orders_per_year", n.to_numpy() / years)
    for col, prefix in ((category, "share_cat_"), (channel, "share_ch_")):
        if col is None:
            continue
        by = kept.groupby([customer, col], observed=True)[amount].sum().unstack(fill_value=0.0)
        total = by.sum(axis=1)
        shares = by.div(total.where(total > 0), axis=0)
        # a customer whose kept orders all have amount 0 spreads evenly by order count instead
        counts = kept.groupby([customer, col], observed=True).size().unstack(fill_value=0)
        shares = shares.fillna(counts.div(counts.sum(axis=1), axis=0))
        shares.columns = [f"{prefix}{c}" for c in shares.columns]
        out = out.join(shares)
    imputed: dict[str, int] = {}
    if surveys is not None:
        att = list(attitudes)
        sv = check_table(surveys, "surveys", {customer: "id", **{a: "number" for a in att}})
        check_same_ids(kept[customer], "orders", customer, sv[customer], "surveys", customer)
        means = sv.groupby(customer)[att].mean().reindex(out.index)
        for a in att:
            imputed[a] = int(means[a].isna().sum())
        if means.notna().any().all():
            means = means.fillna(means.mean())
        else:
            raise CRMDataError("table 'surveys': none of the customers with orders answered the survey.")
        out = out.join(means)
    out = out.astype(float)
    for reason, k in log.excluded.items():
        note_excluded(out, reason, k)
    note_excluded(out, "customers with no kept order", len(log.ids) - len(out))
    out.attrs.update(
        imputed=imputed,
        as_of=log.as_of,
        units={
            "orders_per_year": "orders per year",
            "mean_order_value": "currency units per order",
            "share_*": "share of spend (0-1)",
            "attitudes": "survey scale",
        },
    )
    return out


def _feature_matrix(features: pd.DataFrame, columns: Sequence[str] | None) -> tuple[np.ndarray, list[str]]:
    cols = list(features.columns if columns is None else columns)
    check_table(features, "features", {c: "number" for c in cols}, min_rows=2)
    x = features[cols].to_numpy(dtype=float)
    sd = x.std(axis=0)
    scaled = np.divide(x - x.mean(axis=0), sd, out=np.zeros_like(x), where=sd > 0)
    return scaled, cols


def _fit_kmeans(x: np.ndarray, k: int, seed: int, n_init: int):
    from sklearn.cluster import KMeans

    if k >= len(x):
        raise CRMDataError(
            f"parameter 'k' = {k}: only {len(x)} customers; k must be below that (at most "
            f"{len(x) - 1}) so that no segment is a single customer by force."
        )
    # One thread: on small data (a few thousand customers) OpenMP threads cost far more than
    # they save, and on a busy 2-core machine they made a fit ten times slower.
    with _one_thread():
        return KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(x)


def _one_thread():
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


@dataclass(frozen=True)
class KMeansSegments:
    """Result of :func:`kmeans_segments`.

    ``labels``: segment of each customer (1 = largest segment); ``profile``:
    size, share and mean of every raw feature per segment; ``centers``: cluster
    centres in standardised units (z-scores); ``inertia``: within-cluster sum
    of squares (standardised units); ``silhouette``: mean silhouette (-1..1).
    """

    labels: pd.Series
    profile: pd.DataFrame
    centers: pd.DataFrame
    inertia: float
    silhouette: float
    k: int
    seed: int
    columns: list[str] = field(default_factory=list)


@checked
def kmeans_segments(
    features: pd.DataFrame, k: int, *, seed: int = 0, n_init: int = 10, columns: Sequence[str] | None = None
) -> KMeansSegments:
    """Need-based segments: k-means on standardised features.

    Every feature is standardised (mean 0, standard deviation 1; a constant
    feature becomes 0) so that no feature dominates by its unit. KMeans runs
    ``n_init`` times from seeded starts; the labels are then renumbered by
    segment size (1 = largest, ties by centre), so the same data and seed give
    the same labels every time.

    Examples
    --------
    >>> f = pd.DataFrame({"x": [0, 0.1, 0.2, 10, 10.1, 10.2]}, index=list("abcdef"))
    >>> kmeans_segments(f, 2, seed=1).labels.tolist()
    [1, 1, 1, 2, 2, 2]
    """
    from sklearn.metrics import silhouette_score

    k = int(check_range("k", k, lo=2, hint="Use at least 2 segments."))
    x, cols = _feature_matrix(features, columns)
    km = _fit_kmeans(x, k, seed, n_init)
    sizes = np.bincount(km.labels_, minlength=k)
    order = sorted(range(k), key=lambda c: (-sizes[c], tuple(km.cluster_centers_[c])))
    relabel = np.empty(k, dtype=int)
    relabel[order] = np.arange(1, k + 1)
    labels = pd.Series(relabel[km.labels_], index=features.index, name="segment")
    raw = features[cols].groupby(labels.to_numpy()).mean()
    raw.index.name = "segment"
    profile = pd.concat([labels.value_counts().sort_index().rename("customers"), raw], axis=1)
    profile.insert(1, "share", profile["customers"] / len(labels))
    centers = pd.DataFrame(km.cluster_centers_[order], index=pd.Index(range(1, k + 1), name="segment"), columns=cols)
    with _one_thread():
        sil = float(silhouette_score(x, km.labels_)) if len(np.unique(km.labels_)) > 1 else float("nan")
    return KMeansSegments(labels, profile, centers, float(km.inertia_), sil, k, seed, cols)


@checked
def elbow(
    features: pd.DataFrame,
    ks: Iterable[int] = range(2, 9),
    *,
    seed: int = 0,
    n_init: int = 10,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Within-cluster sum of squares (standardised units) for each k: look for the bend.

    Examples
    --------
    >>> f = pd.DataFrame({"x": [0, 0.1, 0.2, 10, 10.1, 10.2, 20, 20.1]})
    >>> e = elbow(f, ks=[1, 2, 3])
    >>> bool(e["inertia"].is_monotonic_decreasing)
    True
    """
    x, _ = _feature_matrix(features, columns)
    rows = [{"k": int(k), "inertia": float(_fit_kmeans(x, int(k), seed, n_init).inertia_)} for k in ks]
    return pd.DataFrame(rows).set_index("k")


@checked
def silhouette(
    features: pd.DataFrame,
    ks: Iterable[int] = range(2, 9),
    *,
    seed: int = 0,
    n_init: int = 10,
    sample_size: int | None = 2000,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Mean silhouette (-1..1, higher = better separated) for each k >= 2.

    Above ``sample_size`` customers the silhouette is computed on a seeded
    random sample (its cost grows with n squared).

    Examples
    --------
    >>> f = pd.DataFrame({"x": [0, 0.1, 0.2, 10, 10.1, 10.2]})
    >>> float(silhouette(f, ks=[2]).loc[2, "silhouette"]) > 0.9
    True
    """
    from sklearn.metrics import silhouette_score

    x, _ = _feature_matrix(features, columns)
    rows = []
    for k in ks:
        k = int(check_range("ks", k, lo=2, hint="The silhouette needs at least 2 clusters."))
        labels = _fit_kmeans(x, k, seed, n_init).labels_
        size = sample_size if sample_size is not None and len(x) > sample_size else None
        with _one_thread():
            score = silhouette_score(x, labels, sample_size=size, random_state=seed)
        rows.append({"k": k, "silhouette": float(score)})
    return pd.DataFrame(rows).set_index("k")


@dataclass(frozen=True)
class SegmentationComparison:
    """Result of :func:`compare_segmentations`: the cross-tab and the adjusted Rand index."""

    table: pd.DataFrame
    adjusted_rand: float
    n: int


@checked
def compare_segmentations(
    a: pd.Series, b: pd.Series, *, names: tuple[str, str] | None = None, normalize: bool = False
) -> SegmentationComparison:
    """Cross-tabulate two segmentations of the same customers.

    Parameters
    ----------
    a, b : segment labels indexed by customer id (e.g. value tiers and k-means
        segments). Both must cover the same customers.
    normalize : show row shares instead of counts.

    Returns
    -------
    :class:`SegmentationComparison` with the cross-tab (rows ``a``, columns
    ``b``) and the adjusted Rand index (1 = identical partitions, about 0 =
    no more agreement than chance).

    Examples
    --------
    >>> a = pd.Series(["x", "x", "y", "y"], index=list("pqrs"))
    >>> b = pd.Series([2, 2, 1, 1], index=list("pqrs"))
    >>> compare_segmentations(a, b).adjusted_rand
    1.0
    """
    from sklearn.metrics import adjusted_rand_score

    for nm, s in (("a", a), ("b", b)):
        if not isinstance(s, pd.Series):
            raise CRMDataError(f"parameter '{nm}': expected a Series of labels indexed by customer id.")
    only_a, only_b = a.index.difference(b.index), b.index.difference(a.index)
    if len(only_a) or len(only_b):
        raise CRMDataError(
            f"the two segmentations cover different customers ({len(only_a)} only in a, {len(only_b)} only in b; "
            f"first: {(list(only_a) + list(only_b))[0]!r}). Restrict both to the same customers, "
            f"e.g. b = b.reindex(a.index)."
        )
    b = b.reindex(a.index)
    na, nb = names or (a.name or "a", b.name or "b")
    if na == nb:
        na, nb = f"{na} (a)", f"{nb} (b)"
    table = pd.crosstab(a.rename(na), b.rename(nb), normalize="index" if normalize else False)
    ari = float(adjusted_rand_score(a.astype(str), b.astype(str)))
    return SegmentationComparison(table, round(ari, 12), len(a))
