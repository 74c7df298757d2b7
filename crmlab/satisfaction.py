"""Customer satisfaction and complaint handling (顾客满意度, 投诉处理).

* **Expectation-disconfirmation** (Oliver 1980, *JMR* 17(4)): satisfaction
  follows from how perceived performance compares with what was expected;
  per attribute, disconfirmation = perception - expectation (> 0 positive,
  < 0 negative disconfirmation). Kotler states the same idea: satisfaction is
  perceived performance relative to expectations.
* **CSAT**: mean and top-box share of an overall satisfaction item.
* **Net Promoter Score** (Reichheld 2003, *HBR* 81(12)): on the 0-10
  "would you recommend" item, promoters answer 9-10, passives 7-8, detractors
  0-6; NPS = % promoters - % detractors, in points from -100 to 100.
* **Importance-performance analysis** (Martilla & James 1977, *JM* 41(1)):
  attributes placed by mean importance and mean performance; the crosshairs
  (means of the attributes, or the scale midpoint -- a choice to state) give
  four quadrants: *Concentrate here* (important, performing poorly),
  *Keep up the good work*, *Low priority*, *Possible overkill*.
* **SERVQUAL gaps** (Parasuraman, Zeithaml & Berry 1988, *J. Retailing* 64(1)):
  perception - expectation averaged by dimension (tangibles, reliability,
  responsiveness, assurance, empathy).
* **Expectation management**, as the course puts it: raising expectations
  helps win the first purchase; expectations set too low give satisfied but
  few buyers; set too high, they give many buyers who end up dissatisfied and
  rarely buy again -- so a firm should guide expectations to a fitting level.
  :func:`expectation_simulation` is a small seeded model of that argument.
* **Complaint handling**: complaint rate, time to resolve, share resolved,
  satisfaction after recovery, and the churn of complainers (recovered or
  not) against customers who never complained.

Scales: survey items are on 1-7, "recommend" on 0-10; times are in hours,
churn windows in days.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from crmlab._validate import (
    CRMDataError,
    as_of_date,
    check_choice,
    check_range,
    check_scale,
    check_table,
    note_excluded,
)
from crmlab._contract import checked

__all__ = [
    "disconfirmation",
    "csat",
    "NPSResult",
    "nps",
    "IPA_QUADRANTS",
    "importance_performance",
    "SERVQUAL_DIMENSIONS",
    "servqual_gaps",
    "expectation_simulation",
    "complaint_summary",
    "complainer_churn",
]

#: Quadrants of importance-performance analysis (Martilla & James 1977), keyed by
#: (high importance, high performance).
IPA_QUADRANTS: dict[tuple[bool, bool], str] = {
    (True, False): "Concentrate here",
    (True, True): "Keep up the good work",
    (False, False): "Low priority",
    (False, True): "Possible overkill",
}

#: The five SERVQUAL dimensions (Parasuraman, Zeithaml & Berry 1988), in their order.
SERVQUAL_DIMENSIONS: tuple[str, ...] = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")


def _group_means(df: pd.DataFrame, by: str, cols: Sequence[str]) -> pd.DataFrame:
    """Per-group answer count and means of ``cols`` (groups in order of appearance)."""
    g = df.groupby(by, sort=False, observed=True)
    out = g[list(cols)].mean()
    out.insert(0, "n", g.size())
    return out


# ---------------------------------------------------------------- disconfirmation, CSAT, NPS
@checked
def disconfirmation(
    survey_items: pd.DataFrame,
    *,
    attribute: str = "attribute",
    expectation: str = "expectation",
    perception: str = "perception",
    scale: tuple[int, int] = (1, 7),
) -> pd.DataFrame:
    """Expectation-disconfirmation per attribute: mean perception - mean expectation.

    Both answers must be whole points of ``scale`` (default 1-7, the scale of the
    shipped survey items); a value off the scale is refused, never averaged in.

    Returns
    -------
    DataFrame indexed by attribute, worst first: ``n`` answers, mean
    ``expectation`` and ``perception``, ``disconfirmation`` (scale points) and the
    shares of answers with positive (P > E), zero and negative disconfirmation.

    Examples
    --------
    >>> items = pd.DataFrame({"attribute": ["speed", "speed", "staff"],
    ...                       "expectation": [6, 5, 4], "perception": [4, 5, 6]})
    >>> disconfirmation(items)["disconfirmation"].to_dict()  # speed: (-2 + 0) / 2
    {'speed': -1.0, 'staff': 2.0}
    """
    df = check_table(survey_items, "survey_items", {attribute: "category", expectation: "number", perception: "number"})
    for col in (expectation, perception):
        check_scale(df[col], "survey_items", col, *scale)
    d = (df[perception] - df[expectation]).to_numpy()
    work = pd.DataFrame(
        {
            attribute: df[attribute].to_numpy(),
            expectation: df[expectation].to_numpy(),
            perception: df[perception].to_numpy(),
            "disconfirmation": d,
            "share_positive": d > 0,
            "share_zero": d == 0,
            "share_negative": d < 0,
        }
    )
    out = _group_means(
        work, attribute, [expectation, perception, "disconfirmation", "share_positive", "share_zero", "share_negative"]
    )
    out = out.sort_values("disconfirmation", kind="stable")
    out.attrs["unit"] = "scale points (perception - expectation)"
    return out


@checked
def csat(
    surveys: pd.DataFrame,
    *,
    column: str = "overall_satisfaction",
    top_box: Sequence[int] = (6, 7),
    by: str | None = None,
    scale: tuple[int, int] = (1, 7),
) -> pd.Series | pd.DataFrame:
    """Customer satisfaction (CSAT): answers, mean score and top-box share.

    ``top_box_share`` is the share of answers in ``top_box`` (default 6 and 7 on
    a 1-7 scale) and ``csat`` the same in percent. With ``by``, one row per group.
    Answers must be whole points of ``scale`` (default 1-7, the scale of the shipped
    surveys); a value off the scale is refused, never averaged in.

    Examples
    --------
    >>> s = pd.DataFrame({"overall_satisfaction": [7, 6, 4, 2]})
    >>> float(csat(s)["csat"])  # 2 of 4 answers are 6 or 7
    50.0
    """
    cols = {column: "number"} | ({by: "category"} if by else {})
    df = check_table(surveys, "surveys", cols)
    check_scale(df[column], "surveys", column, *scale)
    bad_box = [v for v in top_box if not scale[0] <= v <= scale[1]]
    if bad_box:
        raise CRMDataError(
            f"parameter 'top_box' = {tuple(top_box)!r}: {bad_box} lie outside the {scale[0]}-{scale[1]} "
            f"scale of column '{column}'. Give the top answers of that scale, e.g. (6, 7) on 1-7."
        )
    top = df[column].isin(list(top_box)).to_numpy()
    work = pd.DataFrame({"g": df[by].to_numpy() if by else 0, "mean": df[column].to_numpy(), "top_box_share": top})
    out = _group_means(work, "g", ["mean", "top_box_share"])
    out["csat"] = 100 * out["top_box_share"]
    if by is None:
        res = out.iloc[0].rename("csat")
        res["n"] = int(res["n"])
    else:
        res = out.rename_axis(by)
    res.attrs.update(top_box=tuple(top_box), unit="share of answers (top_box_share), percent (csat)")
    return res


@dataclass(frozen=True)
class NPSResult:
    """Net Promoter Score: shares of promoters (9-10), passives (7-8), detractors (0-6); NPS in points."""

    n: int
    promoters: float
    passives: float
    detractors: float
    nps: float

    def as_series(self) -> pd.Series:
        """The result as a pandas Series (shares in [0, 1], nps in points)."""
        return pd.Series(
            {
                "n": self.n,
                "promoters": self.promoters,
                "passives": self.passives,
                "detractors": self.detractors,
                "nps": self.nps,
            }
        )


@checked
def nps(recommend: Any) -> NPSResult:
    """Net Promoter Score (Reichheld 2003) from 0-10 likelihood-to-recommend answers.

    Parameters
    ----------
    recommend : the answers (Series, list or array), whole numbers 0..10.

    Examples
    --------
    >>> r = nps([10, 9, 8, 7, 6, 0, 10, 9, 3, 10])  # 5 promoters, 2 passives, 3 detractors
    >>> r.nps  # 50% - 30%
    20.0
    """
    s = pd.Series(recommend, name=getattr(recommend, "name", None) or "recommend")
    col = str(s.name)
    check_table(s.to_frame(), "surveys", {col: "number"})
    v = s.to_numpy(dtype=float)
    bad = (v < 0) | (v > 10) | (v != np.round(v))
    if bad.any():
        first = s.index[bad][0]
        raise CRMDataError(
            f"table 'surveys', column '{col}': {int(bad.sum())} answer(s) are not whole numbers "
            f"0..10 (first at row {first!r}: {s.loc[first]!r}). NPS needs the 0-10 recommend item."
        )
    n = len(v)
    pro, det = float((v >= 9).mean()), float((v <= 6).mean())
    return NPSResult(n=n, promoters=pro, passives=1 - pro - det, detractors=det, nps=round(100 * (pro - det), 10))


# ---------------------------------------------------------------- IPA and SERVQUAL
@checked
def importance_performance(
    survey_items: pd.DataFrame,
    *,
    attribute: str = "attribute",
    importance: str = "importance",
    performance: str = "perception",
    crosshair: str = "mean",
    scale: tuple[float, float] = (1, 7),
) -> pd.DataFrame:
    """Importance-performance analysis (Martilla & James 1977) per attribute.

    Each attribute gets its mean importance and mean performance. The
    crosshairs are the means over attributes (``crosshair="mean"``, the data-
    centred choice) or the scale midpoint (``"midpoint"``, absolute). An
    attribute at or above a crosshair counts as high.

    Returns
    -------
    DataFrame indexed by attribute: ``n``, ``importance``, ``performance``,
    ``quadrant``; ``attrs["importance_line"]`` and ``attrs["performance_line"]``
    give the crosshairs.

    Examples
    --------
    >>> items = pd.DataFrame({"attribute": ["price", "speed", "decor", "wifi"],
    ...     "importance": [7, 6, 2, 3], "perception": [3, 6, 2, 7]})
    >>> importance_performance(items, crosshair="midpoint")["quadrant"].to_dict()
    {'price': 'Concentrate here', 'speed': 'Keep up the good work', 'decor': 'Low priority', 'wifi': 'Possible overkill'}
    """
    check_choice("crosshair", crosshair, ["mean", "midpoint"])
    df = check_table(survey_items, "survey_items", {attribute: "category", importance: "number", performance: "number"})
    for col in (importance, performance):
        check_scale(df[col], "survey_items", col, *scale)
    out = _group_means(df, attribute, [importance, performance])
    out.columns = ["n", "importance", "performance"]
    if crosshair == "mean":
        y, x = float(out["importance"].mean()), float(out["performance"].mean())
    else:
        x = y = (float(scale[0]) + float(scale[1])) / 2
    hi_i, hi_p = out["importance"] >= y, out["performance"] >= x
    out["quadrant"] = [IPA_QUADRANTS[(bool(a), bool(b))] for a, b in zip(hi_i, hi_p)]
    out.attrs.update(crosshair=crosshair, importance_line=y, performance_line=x, scale=tuple(scale))
    return out


@checked
def servqual_gaps(
    survey_items: pd.DataFrame,
    *,
    dimension: str = "dimension",
    attribute: str = "attribute",
    expectation: str = "expectation",
    perception: str = "perception",
    scale: tuple[int, int] = (1, 7),
) -> pd.DataFrame:
    """SERVQUAL gap (perception - expectation) by service-quality dimension (PZB 1988).

    Both answers must be whole points of ``scale`` (default 1-7, as shipped).

    Returns
    -------
    DataFrame indexed by dimension (the five SERVQUAL dimensions first, in
    their order): ``n`` answers, ``items`` (distinct attributes), mean
    ``expectation``, ``perception`` and ``gap``; ``attrs["overall_gap"]`` is the
    unweighted mean of the dimension gaps.

    Examples
    --------
    >>> items = pd.DataFrame({"dimension": ["reliability", "reliability", "empathy"],
    ...     "attribute": ["on time", "as promised", "listens"],
    ...     "expectation": [7, 6, 5], "perception": [5, 5, 6]})
    >>> servqual_gaps(items)["gap"].to_dict()  # reliability: (-2 - 1) / 2
    {'reliability': -1.5, 'empathy': 1.0}
    """
    df = check_table(
        survey_items,
        "survey_items",
        {dimension: "category", attribute: "category", expectation: "number", perception: "number"},
    )
    for col in (expectation, perception):
        check_scale(df[col], "survey_items", col, *scale)
    work = df[[dimension, expectation, perception]].copy()
    work["gap"] = work[perception] - work[expectation]
    out = _group_means(work, dimension, [expectation, perception, "gap"])
    out.insert(1, "items", df.groupby(dimension, sort=False, observed=True)[attribute].nunique())
    known = [d for d in SERVQUAL_DIMENSIONS if d in out.index]
    out = out.loc[known + [d for d in out.index if d not in known]]
    out.attrs.update(overall_gap=float(out["gap"].mean()), unit="scale points (perception - expectation)")
    return out


# ---------------------------------------------------------------- expectation management
def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@checked
def expectation_simulation(
    expectation_levels: Sequence[float],
    *,
    true_quality: float = 5.0,
    n: int = 10_000,
    seed: int = 0,
    attraction: float = 1.2,
    quality_sd: float = 0.8,
    satisfaction_slope: float = 1.5,
    repurchase_slope: float = 1.5,
    satisfied_at: float = 5.0,
) -> pd.DataFrame:
    """Simulate how the expectation a firm sets drives first purchase, satisfaction and repurchase.

    The model (all scores on a 1-7 scale), for each stated expectation level e
    and ``n`` prospects:

    1. *Attraction*: a prospect buys a first time with probability
       ``logistic(attraction × (e - 4))`` -- a higher promise attracts more.
    2. *Experience*: each buyer perceives quality ``p ~ Normal(true_quality, quality_sd)``.
    3. *Disconfirmation → satisfaction* (Oliver 1980):
       ``s = clip(4 + satisfaction_slope × (p - e), 1, 7)``; satisfied if
       ``s >= satisfied_at``.
    4. *Repurchase*: with probability ``logistic(repurchase_slope × (s - 4))``.

    Expected outcome, which the tests check: too-low expectations give
    satisfied but few buyers; too-high expectations give many first buyers who
    are mostly dissatisfied and rarely return; the number of repeat buyers
    peaks at a level in between (``attrs["optimum_expectation"]``).

    Returns
    -------
    DataFrame indexed by expectation level: ``prospects``, ``first_buyers``,
    ``first_purchase_rate``, ``mean_disconfirmation``, ``mean_satisfaction``,
    ``share_satisfied``, ``repeat_buyers``, ``repurchase_rate`` (among first
    buyers) and ``repeat_rate_of_prospects``.

    Examples
    --------
    >>> sim = expectation_simulation([2, 4.5, 7], n=2000, seed=1)
    >>> sim.attrs["optimum_expectation"]
    4.5
    """
    levels = np.asarray([check_range("expectation_levels", e, lo=1, hi=7) for e in expectation_levels])
    if levels.size == 0:
        raise CRMDataError("parameter 'expectation_levels': give at least one level on the 1-7 scale.")
    q = check_range("true_quality", true_quality, lo=1, hi=7)
    n = int(check_range("n", n, lo=1))
    sd = check_range("quality_sd", quality_sd, lo=0)
    for name, v in (
        ("attraction", attraction),
        ("satisfaction_slope", satisfaction_slope),
        ("repurchase_slope", repurchase_slope),
    ):
        check_range(name, v, lo=0, lo_open=True)
    rng = np.random.default_rng(seed)
    rows = []
    for e in levels:
        buy = rng.random(n) < _logistic(attraction * (e - 4.0))
        k = int(buy.sum())
        p = q + sd * rng.standard_normal(k)
        s = np.clip(4.0 + satisfaction_slope * (p - e), 1.0, 7.0)
        again = rng.random(k) < _logistic(repurchase_slope * (s - 4.0))
        r = int(again.sum())
        rows.append(
            {
                "prospects": n,
                "first_buyers": k,
                "first_purchase_rate": k / n,
                "mean_disconfirmation": float(np.mean(p - e)) if k else np.nan,
                "mean_satisfaction": float(s.mean()) if k else np.nan,
                "share_satisfied": float((s >= satisfied_at).mean()) if k else np.nan,
                "repeat_buyers": r,
                "repurchase_rate": r / k if k else np.nan,
                "repeat_rate_of_prospects": r / n,
            }
        )
    out = pd.DataFrame(rows, index=pd.Index(levels, name="expectation"))
    out.attrs.update(
        true_quality=q,
        seed=seed,
        scale="1-7",
        optimum_expectation=float(out["repeat_buyers"].idxmax()),
        model="logistic attraction; satisfaction = f(perception - expectation); logistic repurchase",
    )
    return out


# ---------------------------------------------------------------- complaints
def _complaints(
    interactions: Any,
    customer: str,
    date: str,
    kind: str,
    complaint: str,
    extra: dict[str, str],
    allow_missing: Sequence[str] = (),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    df = check_table(
        interactions,
        "interactions",
        {customer: "id", date: "datetime", kind: "category", **extra},
        allow_missing=allow_missing,
    )
    if not (df[kind] == complaint).any():
        raise CRMDataError(
            f"table 'interactions', column '{kind}': no row has the value {complaint!r}, so there are "
            f"no complaints to analyse. Check the label with interactions['{kind}'].unique() and pass "
            f"it as complaint=..."
        )
    return df, df.loc[(df[kind] == complaint).to_numpy()]


@checked
def complaint_summary(
    interactions: pd.DataFrame,
    *,
    customers: pd.DataFrame | None = None,
    orders: pd.DataFrame | None = None,
    customer: str = "customer_id",
    date: str = "date",
    kind: str = "kind",
    complaint: str = "complaint",
    resolution_hours: str = "resolution_hours",
    resolved: str = "resolved",
    satisfaction_after: str = "satisfaction_after",
    recovered_at: float = 5.0,
    by: str | None = None,
) -> pd.DataFrame:
    """Complaint-handling figures: rate, time to resolve, share resolved, satisfaction after recovery.

    * ``complaints_per_customer`` = complaints ÷ customers in the base (rows of
      ``customers`` if given, otherwise distinct customers in ``orders``; one of
      the two is needed),
    * ``complaints_per_1000_orders`` when ``orders`` is given,
    * ``complainant_share`` = share of the base that complained at least once,
    * ``median_hours`` and ``p90_hours`` to resolve, ``share_resolved``,
    * ``mean_satisfaction_after`` (1-7, unrated cases left out and counted in
      ``rated``) and ``share_recovered`` = resolved and satisfaction_after >=
      ``recovered_at``.

    With ``by`` (e.g. "topic") one row per group plus an ``all`` row.

    Examples
    --------
    >>> inter = pd.DataFrame({"customer_id": ["a", "a", "b", "c"],
    ...     "date": ["2024-01-02"] * 4, "kind": ["complaint", "complaint", "complaint", "inquiry"],
    ...     "resolution_hours": [2.0, 10.0, 4.0, 1.0], "resolved": [True, False, True, True],
    ...     "satisfaction_after": [6.0, 2.0, 5.0, 7.0]})
    >>> cust = pd.DataFrame({"customer_id": list("abcd")})
    >>> s = complaint_summary(inter, customers=cust).loc["all"]
    >>> s[["complaints", "complaints_per_customer", "median_hours", "share_recovered"]].tolist()
    [3.0, 0.75, 4.0, 0.6666666666666666]
    """
    extra = {resolution_hours: "nonneg", resolved: "bool", satisfaction_after: "number"}
    if by:
        extra[by] = "category"
    _, comp = _complaints(interactions, customer, date, kind, complaint, extra, allow_missing=[satisfaction_after])
    n_orders = None
    base: int | None = None
    if customers is not None:
        base = len(check_table(customers, "customers", {customer: "id"}, unique=customer))
    elif orders is None:
        raise CRMDataError(
            "complaint_summary needs the customer base: pass customers=ds.customers or orders=ds.orders."
        )
    if orders is not None:
        o = check_table(orders, "orders", {customer: "id"})
        n_orders = len(o)
        if base is None:
            base = int(o[customer].nunique())
    assert base is not None  # customers or orders gave it (the else above raised otherwise)
    sat = comp[satisfaction_after]
    work = pd.DataFrame(
        {
            "g": comp[by].to_numpy() if by else "all",
            "customer": comp[customer].to_numpy(),
            "hours": comp[resolution_hours].to_numpy(dtype=float),
            "resolved": comp[resolved].astype(bool).to_numpy(),
            "sat": sat.to_numpy(dtype=float),
            "recovered": (comp[resolved].astype(bool) & (sat >= recovered_at)).to_numpy(),
        }
    )

    def summarise(w: pd.DataFrame) -> dict:
        k = len(w)
        return {
            "complaints": k,
            "complainants": int(w["customer"].nunique()),
            "complaints_per_customer": k / base,
            "complaints_per_1000_orders": 1000 * k / n_orders if n_orders else np.nan,
            "complainant_share": w["customer"].nunique() / base,
            "median_hours": float(np.median(w["hours"])),
            "p90_hours": float(np.quantile(w["hours"], 0.9)),
            "share_resolved": float(w["resolved"].mean()),
            "rated": int(w["sat"].notna().sum()),
            "mean_satisfaction_after": float(w["sat"].mean()),
            "share_recovered": float(w["recovered"].mean()),
        }

    rows = {g: summarise(w) for g, w in work.groupby("g", sort=True, observed=True)} if by else {}
    rows["all"] = summarise(work)
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = by or "group"
    out.attrs.update(
        customers=base,
        orders=n_orders,
        recovered_at=recovered_at,
        units="hours (time to resolve); 1-7 (satisfaction after)",
    )
    return out


@checked
def complainer_churn(
    interactions: pd.DataFrame,
    orders: pd.DataFrame,
    *,
    as_of: Any = None,
    inactive_days: int = 180,
    recovered_at: float = 5.0,
    customer: str = "customer_id",
    date: str = "date",
    order_date: str = "order_date",
    kind: str = "kind",
    complaint: str = "complaint",
    resolved: str = "resolved",
    satisfaction_after: str = "satisfaction_after",
) -> pd.DataFrame:
    """Churn of complainers, recovered or not, against customers who never complained.

    Churn is read from the orders, without any latent truth: a customer has
    *churned* at ``as_of`` (default: the last order date) if their last order
    on or before it lies more than ``inactive_days`` back.

    Only complaints made at least ``inactive_days`` before ``as_of`` count, so
    every complainer had a full window to come back; customers whose only
    complaints are later are left out of the comparison (counted in
    ``attrs["excluded"]``), as are complainers without any order.

    A complainer is *recovered* when every counted complaint was resolved and
    rated ``satisfaction_after >= recovered_at`` (an unrated complaint is not
    recovered).

    Returns
    -------
    DataFrame with rows ``non-complainers``, ``complainers: recovered``,
    ``complainers: not recovered``: ``customers``, ``churned``, ``churn_rate``
    and ``relative_churn`` (churn rate ÷ that of non-complainers).

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": list("abcd"),
    ...     "order_date": ["2024-12-01", "2024-01-10", "2024-12-20", "2024-02-01"]})
    >>> inter = pd.DataFrame({"customer_id": ["a", "b"], "date": ["2024-01-05", "2024-01-08"],
    ...     "kind": "complaint", "resolved": [True, False], "satisfaction_after": [6.0, 2.0]})
    >>> complainer_churn(inter, orders, as_of="2024-12-31")["churn_rate"].tolist()
    [0.5, 0.0, 1.0]
    """
    o = check_table(orders, "orders", {customer: "id", order_date: "datetime"})
    inter, comp = _complaints(
        interactions,
        customer,
        date,
        kind,
        complaint,
        {resolved: "bool", satisfaction_after: "number"},
        allow_missing=[satisfaction_after],
    )
    as_of = as_of_date(as_of, o[order_date], column=order_date)
    w = int(check_range("inactive_days", inactive_days, lo=1))
    cutoff = as_of - pd.Timedelta(days=w)
    o_in = o.loc[(o[order_date] <= as_of).to_numpy()]
    last = o_in.groupby(customer, observed=True)[order_date].max()
    churned = last < cutoff
    early = comp.loc[(comp[date] <= cutoff).to_numpy()]
    ok = early[resolved].astype(bool) & (early[satisfaction_after] >= recovered_at)
    recovered = ok.groupby(early[customer].to_numpy()).all()
    late_only = pd.Index(comp[customer].unique()).difference(recovered.index)
    no_orders = recovered.index.difference(last.index)
    recovered = recovered.drop(no_orders)
    non = churned.index.difference(recovered.index).difference(late_only)
    groups = {
        "non-complainers": churned.loc[non],
        "complainers: recovered": churned.loc[recovered.index[recovered.to_numpy()]],
        "complainers: not recovered": churned.loc[recovered.index[~recovered.to_numpy()]],
    }
    out = pd.DataFrame(
        {
            "customers": [len(s) for s in groups.values()],
            "churned": [int(s.sum()) for s in groups.values()],
        },
        index=pd.Index(list(groups), name="group"),
    )
    out["churn_rate"] = out["churned"] / out["customers"].replace(0, np.nan)
    out["relative_churn"] = out["churn_rate"] / out.loc["non-complainers", "churn_rate"]
    out.attrs.update(as_of=as_of, inactive_days=w, recovered_at=recovered_at, unit="days")
    note_excluded(out, "customers whose complaints all fall in the last inactive_days", len(late_only))
    return note_excluded(out, "complainers without any order", len(no_orders))
