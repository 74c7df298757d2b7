"""CRM in practice (客户关系管理实践): the KPI dashboard and the implementation steps.

A firm that runs CRM needs a handful of figures it watches every period, each
one explained by a part of the workbook: how many customers it has and how
many are active, what they bring (revenue, top-20% share, customer lifetime
value and customer equity), how many it keeps (retention and churn, the
customers past their churn warning point, those in decline), what they say
(NPS, complaints and how they are handled) and what new customers cost. The
dashboard computes them for one dataset as of a date by calling the crmlab
modules that define them, and names the chapter that explains each.

The implementation steps are the five the course lists for putting CRM into a
firm (成功实施CRM战略的主要步骤): business plan, CRM team, review of the sales
and service processes, requirements, development and deployment.

The sigma level of a process (6σ流程管理) uses the usual conversion of the
defect rate with the conventional long-term shift of 1.5 standard deviations,
so that 3.4 defects per million opportunities is "six sigma" (Harry &
Schroeder 2000, *Six Sigma*).

Every figure covers the *KPI year*: the twelve months that end at ``as_of``,
``as_of - 1 year < date <= as_of``. The KPI year, the active customers, the
retention rate and the NPS come from the same functions as the case studies'
(:func:`crmlab.kpi.analysis_year`, :func:`~crmlab.kpi.active_customers`,
:func:`~crmlab.kpi.yearly_retention`, :func:`~crmlab.kpi.yearly_nps`),
so both report the same figures for the same data and date.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import pandas as pd

from crmlab._validate import CRMDataError, check_range
from crmlab._contract import checked

__all__ = ["KPIS", "kpi_dashboard", "kpi_history", "implementation_steps", "sigma_level"]

#: Every KPI of the dashboard: key -> (label, unit, chapter notebook, area).
KPIS: dict[str, tuple[str, str, str, str]] = {
    "customers": ("customers in the base", "customers", "01_what_is_crm", "base"),
    "active_customers": ("active customers (KPI year)", "customers", "09_loyalty_retention_churn", "base"),
    "new_customers": ("new customers (KPI year)", "customers", "10_acquisition_and_development", "acquisition"),
    "acquisition_cost": (
        "acquisition cost per new customer",
        "currency units per customer",
        "10_acquisition_and_development",
        "acquisition",
    ),
    "revenue": ("revenue (returns left out)", "currency units per year", "01_what_is_crm", "value"),
    "gross_margin": ("gross margin", "currency units per year", "05_customer_lifetime_value", "value"),
    "revenue_per_active": ("revenue per active customer", "currency units per customer per year", "04_rfm", "value"),
    "top20_share": ("revenue share of the top 20% of customers (KPI year)", "share 0-1", "03_segmentation", "value"),
    "retention_rate": ("yearly retention rate (9.1)", "share 0-1 per year", "09_loyalty_retention_churn", "retention"),
    "churn_rate": ("yearly churn rate", "share 0-1 per year", "09_loyalty_retention_churn", "retention"),
    "mean_clv": ("mean customer lifetime value", "currency units per customer", "05_customer_lifetime_value", "value"),
    "customer_equity": ("customer equity of the active base", "currency units", "05_customer_lifetime_value", "value"),
    "at_risk": ("customers on the early-warning list", "customers", "09_loyalty_retention_churn", "retention"),
    "in_decline": ("customers in the decline stage", "customers", "06_customer_lifecycle", "retention"),
    "nps": ("Net Promoter Score", "points -100..100", "08_satisfaction_and_complaints", "satisfaction"),
    "complaints_per_1000_orders": (
        "complaints per 1,000 orders",
        "complaints per 1,000 orders",
        "08_satisfaction_and_complaints",
        "satisfaction",
    ),
    "complaints_resolved": (
        "share of complaints resolved",
        "share 0-1",
        "08_satisfaction_and_complaints",
        "satisfaction",
    ),
    "complaint_sigma": ("sigma level of complaint handling", "sigma (1.5 shift)", "11_crm_in_practice", "satisfaction"),
    "share_of_wallet": (
        "share of wallet of the accounts",
        "share 0-1 of their category spend",
        "10_acquisition_and_development",
        "acquisition",
    ),
}


@checked
def sigma_level(defects: float, opportunities: float, *, shift: float = 1.5) -> float:
    """Sigma level of a process from its defects: ``Φ⁻¹(1 - defects/opportunities) + shift``.

    Parameters
    ----------
    defects : number of defects found (e.g. complaints not resolved).
    opportunities : number of chances for a defect (e.g. complaints handled), > 0.
    shift : the conventional long-term shift in standard deviations (1.5).

    Returns
    -------
    The sigma level (short-term), ``inf`` for a process without defects.

    Examples
    --------
    >>> round(sigma_level(3.4, 1_000_000), 2)        # the "six sigma" of 3.4 DPMO
    6.0
    >>> round(sigma_level(66_807, 1_000_000), 2)     # three sigma
    3.0
    """
    from scipy.special import ndtri

    n = check_range("opportunities", opportunities, lo=0, lo_open=True)
    d = check_range("defects", defects, lo=0, hi=n, hint="There cannot be more defects than opportunities.")
    return float(-ndtri(d / n) + shift)


def _base_table(ds: Any) -> tuple[str, str]:
    """(table, key) of the customer base: retail ``customers``/``customer_id``, b2b ``accounts``/``account_id``."""
    names = set(ds) if hasattr(ds, "__iter__") else set()
    if "customers" in names:
        return "customers", "customer_id"
    if "accounts" in names:
        return "accounts", "account_id"
    raise CRMDataError(
        "dataset: expected a crmlab dataset with a 'customers' or 'accounts' table and an 'orders' table "
        "(e.g. crmlab.datasets.load('retail')); got one with tables "
        f"{sorted(names) if names else type(ds).__name__}."
    )


def _as_of(ds: Any, as_of: Any, orders: pd.DataFrame, date: str) -> pd.Timestamp:
    end = pd.Timestamp(ds.as_of).normalize()
    t = end if as_of is None else pd.Timestamp(as_of).normalize()
    first = orders[date].min().normalize()
    if t > end or t < first:
        raise CRMDataError(
            f"parameter 'as_of' = {t.date()}: the orders cover {first.date()} to {end.date()}. "
            "Pick a date inside that window (default: the dataset's as_of)."
        )
    return t


@checked
def kpi_dashboard(
    ds: Any,
    *,
    as_of: Any = None,
    discount: float = 0.10,
    max_ratio: float = 2.0,
    top: float = 0.2,
) -> pd.DataFrame:
    """The firm's key CRM figures for the twelve months ending at ``as_of``.

    Each KPI is computed by the crmlab module of the chapter that explains it
    (column ``chapter``); returned orders are left out of revenue and margin.

    * base: ``customers`` signed up by ``as_of``; ``active_customers`` with at
      least one order in the KPI year, a returned one included (chapter 09's
      definition, :func:`crmlab.kpi.active_customers`); ``new_customers``
      signed up in it and their mean ``acquisition_cost``
      (:func:`crmlab.acquisition.acquisition_quality`);
    * value: ``revenue``, ``gross_margin``, ``revenue_per_active`` (revenue ÷
      active customers), ``top20_share`` (share of revenue of the top ``top``
      of buyers, the customers with revenue,
      :func:`crmlab.segmentation.top_share`), ``mean_clv`` = the retention
      model ``m·r/(1+d−r)`` with m = gross margin per active customer, r = the
      yearly retention rate and d = ``discount``
      (:func:`crmlab.clv.retention_clv`), ``customer_equity`` = mean CLV ×
      active customers;
    * retention: ``retention_rate`` and ``churn_rate`` of the KPI year against
      the twelve months before (:func:`crmlab.kpi.yearly_retention`, the
      rate of :func:`crmlab.loyalty.retention_rates`: (end − new) ÷ start),
      ``at_risk`` = customers past their churn warning point by at most
      ``max_ratio`` times (:func:`crmlab.loyalty.at_risk`), ``in_decline`` =
      customers in the decline stage (:func:`crmlab.lifecycle.classify_stages`);
    * satisfaction: ``nps`` of the survey answers of the KPI year
      (:func:`crmlab.kpi.yearly_nps`), ``complaints_per_1000_orders``
      and ``complaints_resolved`` (:func:`crmlab.satisfaction.complaint_summary`)
      and ``complaint_sigma``, the sigma level of complaint handling with an
      unresolved complaint as the defect (:func:`sigma_level`);
    * ``share_of_wallet``: our revenue ÷ the accounts' category spend in the
      last complete calendar year (datasets with ``wallets`` only).

    A KPI the data cannot give (no surveys, no wallets, no year before the KPI
    year) is NaN and ``attrs["notes"]`` says why.

    Parameters
    ----------
    ds : a dataset from :func:`crmlab.datasets.load` (``retail`` or ``b2b``).
    as_of : last day of the KPI year; default ``ds.as_of``.
    discount : yearly discount rate for the CLV.
    max_ratio : how far past the warning point a customer may be and still count as at risk.
    top : the top share of customers for ``top20_share``.

    Returns
    -------
    DataFrame indexed by ``kpi``: ``label``, ``value``, ``unit``, ``chapter``
    (the notebook that explains it), ``area``; ``attrs``: dataset, as_of,
    window_start, discount, notes.

    Examples
    --------
    >>> from crmlab import datasets
    >>> kpi = kpi_dashboard(datasets.load("retail"))
    >>> kpi.loc["churn_rate", "chapter"]
    '09_loyalty_retention_churn'
    >>> bool(abs(kpi.loc["churn_rate", "value"] + kpi.loc["retention_rate", "value"] - 1) < 1e-12)
    True
    """
    from crmlab import acquisition, clv, kpi, lifecycle, loyalty, profitability, satisfaction, segmentation

    table, key = _base_table(ds)
    d = check_range("discount", discount, lo=0, lo_open=False)
    ratio = check_range("max_ratio", max_ratio, lo=1)
    top = check_range("top", top, lo=0, hi=1, lo_open=True)
    base = ds[table]
    orders = ds["orders"]
    if not len(orders):
        raise CRMDataError("table 'orders' is empty: the dashboard needs orders. Load a dataset with orders.")
    t = _as_of(ds, as_of, orders, "order_date")
    start = t - pd.DateOffset(years=1) + pd.Timedelta(days=1)  # first day of the KPI year
    notes: dict[str, str] = {}
    upto = orders.loc[orders["order_date"] <= t]
    year = kpi.analysis_year(upto, t)
    v: dict[str, float] = {}

    v["customers"] = int((base["signup_date"] <= t).sum())
    v["active_customers"] = len(kpi.active_customers(upto, t, customer=key))
    try:
        rates = kpi.yearly_retention(upto, t, customer=key)
        v["retention_rate"], v["churn_rate"] = float(rates["retention"]), float(rates["churn"])
    except CRMDataError:  # nobody ordered in the twelve months before the KPI year
        v["retention_rate"] = v["churn_rate"] = np.nan
        notes["retention_rate"] = notes["churn_rate"] = "no orders in the year before the KPI year"

    new = kpi.analysis_year(base.loc[base["signup_date"] <= t], t, date="signup_date")
    v["new_customers"] = len(new)
    if len(new):
        theirs = upto.loc[upto[key].isin(new[key])]
        v["acquisition_cost"] = float(
            acquisition.acquisition_quality(new, theirs, customer=key, as_of=t).loc["all", "acquisition_cost"]
        )
    else:
        v["acquisition_cost"] = np.nan
        notes["acquisition_cost"] = "no customer signed up in the KPI year"

    money = profitability.customer_revenue(year, customer=key)
    v["revenue"] = float(money["revenue"].sum())
    v["gross_margin"] = float(money["gross_margin"].sum())
    active = max(v["active_customers"], 1)
    v["revenue_per_active"] = v["revenue"] / active
    buyers = money["revenue"].loc[money["revenue"] > 0]
    v["top20_share"] = segmentation.top_share(buyers, top) if len(buyers) else np.nan
    r = v["retention_rate"]
    if 0 <= r < 1:
        v["mean_clv"] = clv.retention_clv(v["gross_margin"] / active, r, d)
    else:
        v["mean_clv"] = np.nan
        notes["mean_clv"] = "the retention model needs a yearly retention rate in [0, 1)"
    v["customer_equity"] = v["mean_clv"] * v["active_customers"]

    try:
        warning = loyalty.churn_warning_points(upto, customer=key)
    except CRMDataError:  # nobody has bought twice yet: no gaps to learn a warning point from
        v["at_risk"] = np.nan
        notes["at_risk"] = "no customer has bought on two different days yet: no warning points"
    else:
        risk = loyalty.at_risk(upto, warning, as_of=t, customer=key)
        v["at_risk"] = int((risk["ratio"] <= ratio).sum())
    wallets = ds["wallets"] if "wallets" in set(ds) else None
    stages = lifecycle.classify_stages(upto, as_of=t, customer=key, wallets=wallets)
    v["in_decline"] = int((stages["stage"] == "decline").sum())

    if "surveys" in set(ds) and len(ds["surveys"]):
        sv = ds["surveys"]
        if len(kpi.analysis_year(sv, t, date="survey_date")):
            v["nps"] = kpi.yearly_nps(sv, t).nps
        else:
            v["nps"] = np.nan
            notes["nps"] = "no survey answers in the KPI year"
    else:
        v["nps"] = np.nan
        notes["nps"] = "the dataset has no surveys"

    inter = ds["interactions"] if "interactions" in set(ds) else None
    complaints = 0
    if inter is not None:
        inter = kpi.analysis_year(inter, t, date="date")
        complaints = int((inter["kind"] == "complaint").sum())
    if complaints:
        cs = satisfaction.complaint_summary(inter, orders=year, customer=key).loc["all"]
        v["complaints_per_1000_orders"] = float(cs["complaints_per_1000_orders"])
        v["complaints_resolved"] = float(cs["share_resolved"])
        v["complaint_sigma"] = sigma_level(complaints * (1 - v["complaints_resolved"]), complaints)
    else:
        v["complaints_per_1000_orders"] = 0.0 if inter is not None else np.nan
        v["complaints_resolved"] = v["complaint_sigma"] = np.nan
        notes["complaints_resolved"] = notes["complaint_sigma"] = "no complaints in the KPI year"

    if wallets is not None:
        wy = t.year if (t.month, t.day) == (12, 31) else t.year - 1
        sow = acquisition.share_of_wallet(upto, wallets, customer=key)
        if wy in set(sow.index.get_level_values(1)):
            cur = sow.xs(wy, level=1)
            v["share_of_wallet"] = float(cur["spend"].sum() / cur["wallet"].sum())
        else:
            v["share_of_wallet"] = np.nan
            notes["share_of_wallet"] = f"no wallet estimates for {wy}, the last complete year"
    else:
        v["share_of_wallet"] = np.nan
        notes["share_of_wallet"] = "the dataset has no wallet estimates (b2b only)"

    out = pd.DataFrame(
        {
            "label": [KPIS[k][0] for k in KPIS],
            "value": [float(v[k]) for k in KPIS],
            "unit": [KPIS[k][1] for k in KPIS],
            "chapter": [KPIS[k][2] for k in KPIS],
            "area": [KPIS[k][3] for k in KPIS],
        },
        index=pd.Index(list(KPIS), name="kpi"),
    )
    out.attrs.update(
        dataset=getattr(ds, "name", ""),
        as_of=t,
        window_start=start,
        discount=d,
        max_ratio=ratio,
        top=top,
        notes=notes,
        window="the twelve months ending at as_of (the KPI year)",
    )
    return out


@checked
def kpi_history(ds: Any, dates: Iterable[Any], **options: Any) -> pd.DataFrame:
    """:func:`kpi_dashboard` at several dates: one row per ``as_of``, one column per KPI.

    Parameters
    ----------
    ds : a dataset from :func:`crmlab.datasets.load`.
    dates : the ``as_of`` dates (e.g. quarter ends).
    options : passed on to :func:`kpi_dashboard`.

    Returns
    -------
    DataFrame indexed by ``as_of``; ``attrs["labels"]``, ``attrs["units"]`` and
    ``attrs["chapters"]`` give each KPI's label, unit and chapter.

    Examples
    --------
    >>> from crmlab import datasets
    >>> h = kpi_history(datasets.load("retail"), ["2023-12-31", "2024-12-31"])
    >>> h.shape[0], "nps" in h.columns
    (2, True)
    """
    stamps = [pd.Timestamp(x) for x in dates]
    if not stamps:
        raise CRMDataError("parameter 'dates': give at least one as_of date, e.g. ['2023-12-31', '2024-12-31'].")
    boards = [kpi_dashboard(ds, as_of=x, **options) for x in stamps]
    out = pd.DataFrame(
        [b["value"] for b in boards], index=pd.DatetimeIndex([b.attrs["as_of"] for b in boards], name="as_of")
    )
    out.columns.name = "kpi"
    first = boards[0]
    out.attrs.update(
        dataset=first.attrs["dataset"],
        labels=first["label"].to_dict(),
        units=first["unit"].to_dict(),
        chapters=first["chapter"].to_dict(),
        window=first.attrs["window"],
    )
    return out


#: The course's steps for putting CRM into a firm (成功实施CRM战略的主要步骤).
_STEPS = [
    (
        "Set the business plan",
        "确立业务计划",
        "Decide what the system must achieve before choosing it: e.g. higher customer satisfaction, "
        "a shorter sales cycle, a higher close rate.",
        "goals stated as KPIs with targets",
    ),
    (
        "Build the CRM team",
        "建立CRM员工队伍",
        "Management looks at the business as a whole and forms a team with a representative of every "
        "department that will use the system.",
        "a cross-department team",
    ),
    (
        "Review the sales and service processes",
        "评估销售、服务过程",
        "Map how selling and serving actually work, ask the staff what they need, and involve top "
        "management in choosing the best approach.",
        "process maps and the problems in them",
    ),
    (
        "State the real requirements",
        "明确实际需求",
        "From the users' side: sales managers want forecasts, channel management and reports; sales staff "
        "want quick quotes, product catalogues and customer data.",
        "the functions each user group needs",
    ),
    (
        "Develop and deploy",
        "开发与部署",
        "Firm and vendor build it together: the most needed functions first, more in phases, tested with "
        "one user group, with a training plan.",
        "a phased roll-out and training",
    ),
]


@checked
def implementation_steps() -> pd.DataFrame:
    """The course's five steps for implementing a CRM strategy, as a table.

    Returns
    -------
    DataFrame indexed by ``step`` (1-5): ``step_name``, ``chinese``, ``what``, ``deliverable``.

    Examples
    --------
    >>> steps = implementation_steps()
    >>> len(steps), steps.loc[1, "chinese"]
    (5, '确立业务计划')
    """
    out = pd.DataFrame(
        _STEPS,
        columns=["step_name", "chinese", "what", "deliverable"],
        index=pd.RangeIndex(1, len(_STEPS) + 1, name="step"),
    )
    out.attrs["source"] = "course training notes on CRM (客户关系管理), main steps of a successful CRM strategy"
    return out
