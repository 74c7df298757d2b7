"""CRM diagnosis (客户关系诊断): the measures of a case study that the analytics modules do not give as such.

The case-study notebooks (``notebooks/case_*.ipynb``) compute their figures with
the analytics modules (rfm, segmentation, clv, loyalty, satisfaction,
acquisition, profitability, lifecycle) and the KPIs of :mod:`crmlab.kpi`. This
module holds the few measures they need in another form: the probabilistic
customer value of the retail case (BG/NBD + Gamma-Gamma, Fader, Hardie & Lee
2005), the churn warning list with the value at risk, and share of wallet over
the analysis year (Keiningham et al. 2011).

The rest of a diagnosis lives in modules named for what they hold, and is
importable from here as well (the case studies call ``diagnosis.<name>``):
the data of a case (:mod:`crmlab.case_data`), the KPI definitions
(:mod:`crmlab.kpi`), the recorded-figure catalogues (:mod:`crmlab.case_figures`),
the B2B service-level plan (:mod:`crmlab.service_levels`), the
recommendation rules (:mod:`crmlab.recommendations`), the executive summary
(:mod:`crmlab.case_report`), currencies (:mod:`crmlab.currency`) and firm
profiles (:mod:`crmlab.firm_profiles`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from crmlab._validate import CRMDataError, check_range
from crmlab.case_data import cut_at, date_limits, firm_case, load_case
from crmlab.case_figures import B2B_FIGURES, RETAIL_FIGURES, Figure, FigureBook
from crmlab.case_report import b2b_facts, executive_summary, executive_summary_markdown, retail_facts
from crmlab.currency import CURRENCIES, format_money
from crmlab.kpi import active_customers, analysis_year, yearly_nps, yearly_retention
from crmlab.recommendations import B2BRules, RetailRules, b2b_recommendations, missing_areas, retail_recommendations
from crmlab.service_levels import SERVICE_LEVELS, capacity_findings, plan_summary, service_level_plan

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "CURRENCIES",
    "ACTIONABLE_RATIO",
    "CLV_HORIZON_YEARS",
    "Figure",
    "RETAIL_FIGURES",
    "B2B_FIGURES",
    "FigureBook",
    "date_limits",
    "load_case",
    "cut_at",
    "firm_case",
    "analysis_year",
    "active_customers",
    "yearly_retention",
    "yearly_nps",
    "customer_value",
    "warning_list",
    "window_share_of_wallet",
    "capacity_findings",
    "SERVICE_LEVELS",
    "service_level_plan",
    "plan_summary",
    "RetailRules",
    "B2BRules",
    "retail_recommendations",
    "b2b_recommendations",
    "missing_areas",
    "retail_facts",
    "b2b_facts",
    "executive_summary",
    "executive_summary_markdown",
    "format_money",
]

#: (a win-back case), not as at risk: the warning list holds those between 1x and 2x.
ACTIONABLE_RATIO = 2.0

#: L2 penalty of the BG/NBD refit when the plain fit does not converge (few dropouts).
BGNBD_PENALIZER = 0.001

#: Horizon of the probabilistic CLV in the retail case, in years.
CLV_HORIZON_YEARS = 3


def customer_value(
    orders: "pd.DataFrame",
    *,
    as_of: Any,
    discount_rate: float,
    margin_rate: float,
    years: int = CLV_HORIZON_YEARS,
    customer: str = "customer_id",
) -> "pd.DataFrame":
    """Probabilistic CLV per customer: BG/NBD + Gamma-Gamma on the kept orders, weekly.

    Fits both models on every order up to ``as_of`` (returned orders left
    out; when BG/NBD does not converge, as with a very loyal base whose dropout
    parameters run to a boundary, it is refit with the L2 penalty
    :data:`BGNBD_PENALIZER`, recorded in ``attrs["bgnbd_penalizer"]``), then :func:`crmlab.clv.probabilistic_clv` over ``years`` years with
    the yearly ``discount_rate`` turned into a weekly one, ``(1+d)^(1/52) - 1``,
    and gross margin ``margin_rate`` of revenue.

    Returns the per-customer table of :func:`crmlab.clv.probabilistic_clv`
    (``p_alive``, ``expected_purchases``, ``expected_spend``, ``clv``).

    Examples
    --------
    >>> from crmlab import datasets
    >>> ds = datasets.generate("retail", n_customers=300, seed=5)
    >>> v = customer_value(ds.orders, as_of=ds.as_of, discount_rate=0.1, margin_rate=0.3)
    >>> bool((v["clv"] >= 0).all()), v.attrs["time_unit"]
    (True, 'W')
    """
    from crmlab import clv

    check_range("discount_rate", discount_rate, lo=0, hi=1, hi_open=True, hint="use a yearly rate such as 0.1")
    check_range("margin_rate", margin_rate, lo=0, hi=1, lo_open=True, hint="use a share of revenue such as 0.3")
    kept = orders.loc[~orders["returned"]] if "returned" in orders else orders
    summary = clv.summary_from_transactions(kept, customer=customer, time_unit="W", observation_end=as_of)
    penalizer = 0.0
    try:
        bgnbd = clv.fit_bgnbd(summary)
    except CRMDataError as exc:
        if "did not converge" not in str(exc):
            raise
        # Few dropouts (a loyal base) push BG/NBD's dropout parameters to a boundary: refit with the
        # small L2 penalty that the lifetimes package recommends for this case, and say so.
        penalizer = BGNBD_PENALIZER
        bgnbd = clv.fit_bgnbd(summary, penalizer=penalizer)
    gamma_gamma = _fit_gamma_gamma(summary)
    value = clv.probabilistic_clv(
        bgnbd,
        gamma_gamma,
        summary,
        horizon=52 * years,
        discount_rate=(1 + discount_rate) ** (1 / 52) - 1,
        time_unit="W",
        margin=margin_rate,
    )
    value.attrs["bgnbd_penalizer"] = penalizer
    return value


def _fit_gamma_gamma(summary: "pd.DataFrame") -> Any:
    """Gamma-Gamma, refit on amounts in units of their median when the optimiser stops early
    (and with the small L2 penalty :data:`BGNBD_PENALIZER` if that fails too, as when all
    customers spend alike and ``p`` runs off to infinity).

    The model is scale-equivariant: spend divided by ``s`` gives the same ``p`` and ``q`` and
    ``gamma / s``, so multiplying ``gamma`` back by ``s`` gives the fit on the original amounts;
    large amounts (a big export, a currency such as KRW) can otherwise stop the optimiser.
    """
    import dataclasses

    from crmlab import clv

    try:
        return clv.fit_gamma_gamma(summary)
    except CRMDataError as exc:
        if "did not converge" not in str(exc):
            raise
    repeat = summary.loc[summary["frequency"] > 0, "monetary_value"]
    scale = float(repeat.median()) if len(repeat) and repeat.median() > 0 else 1.0
    scaled = summary.assign(monetary_value=summary["monetary_value"] / scale)
    try:
        fit = clv.fit_gamma_gamma(scaled)
    except CRMDataError as exc:
        if "did not converge" not in str(exc):
            raise
        # customers who all spend alike send p to infinity: the small L2 penalty keeps it finite
        fit = clv.fit_gamma_gamma(scaled, penalizer=BGNBD_PENALIZER)
    return dataclasses.replace(fit, gamma=fit.gamma * scale)


def warning_list(
    orders: "pd.DataFrame",
    value: "pd.Series",
    *,
    as_of: Any,
    multiplier: float = 1.0,
    within: float = ACTIONABLE_RATIO,
    customer: str = "customer_id",
) -> "pd.DataFrame":
    """The churn warning list (流失预警名单): who to call first, with the value at stake.

    Customers past their own churn warning point
    (:func:`crmlab.loyalty.churn_warning_points` with ``multiplier``) but not
    more than ``within`` times it (beyond that they are treated as lost, a
    win-back case), with their CLV from ``value`` (0 if unknown), sorted by
    CLV, largest first. ``attrs["lapsed"]`` counts those beyond ``within``.

    Examples
    --------
    >>> import pandas as pd
    >>> o = pd.DataFrame({"customer_id": list("aaaabbbb"), "order_date": pd.to_datetime(
    ...     ["2024-01-01", "2024-01-11", "2024-01-21", "2024-01-31",
    ...      "2024-03-01", "2024-03-11", "2024-03-21", "2024-03-31"])})
    >>> w = warning_list(o, pd.Series({"a": 50.0, "b": 80.0}), as_of="2024-04-15")
    >>> w.index.tolist(), w.attrs["lapsed"]  # a: 75 days quiet, > 2 x 10 -> lapsed; b: 15 days
    (['b'], 1)
    """
    from crmlab import loyalty

    check_range("multiplier", multiplier, lo=0, lo_open=True, hint="use a factor such as 1.0")
    points = loyalty.churn_warning_points(orders, customer=customer, multiplier=multiplier)
    risk = loyalty.at_risk(orders, points, as_of=as_of, customer=customer)
    listed = risk.loc[risk["ratio"] <= within].copy()
    listed["clv"] = value.reindex(listed.index).fillna(0.0)
    listed = listed.sort_values(["clv", "ratio"], ascending=[False, True], kind="stable")
    listed.attrs.update(lapsed=int((risk["ratio"] > within).sum()), multiplier=multiplier, within=within)
    return listed


def window_share_of_wallet(
    orders: "pd.DataFrame",
    wallets: "pd.DataFrame",
    *,
    as_of: Any,
    accounts: Sequence[Any] | None = None,
    customer: str = "account_id",
    date: str = "order_date",
) -> "pd.DataFrame":
    """Share of wallet over the twelve months up to ``as_of``, against the wallet of ``as_of``'s year.

    :func:`crmlab.acquisition.share_of_wallet` works by calendar year; for an
    analysis date inside a year this takes the spend of the last twelve months
    (returned orders left out) and the yearly wallet estimate of the analysis
    date's year. At a year end it equals the calendar-year share. ``accounts``
    limits the result to those accounts (e.g. the active ones).

    Returns
    -------
    :func:`crmlab.acquisition.share_of_wallet`'s table (index account and
    year, columns ``spend``, ``wallet``, ``share_of_wallet``), ready for
    :func:`crmlab.acquisition.wallet_segments`.

    Examples
    --------
    >>> import pandas as pd
    >>> o = pd.DataFrame({"account_id": ["a", "a", "b"], "amount": [300.0, 100.0, 50.0],
    ...     "order_date": pd.to_datetime(["2023-09-01", "2024-03-01", "2024-05-01"])})
    >>> w = pd.DataFrame({"account_id": ["a", "b"], "year": [2024, 2024], "category_spend": [1000.0, 500.0]})
    >>> window_share_of_wallet(o, w, as_of="2024-06-30")["share_of_wallet"].tolist()
    [0.4, 0.1]
    """
    import pandas as pd

    from crmlab.acquisition import share_of_wallet

    as_of = pd.Timestamp(as_of)
    window = analysis_year(orders, as_of, date=date).assign(**{date: as_of})
    year_wallets = wallets.loc[wallets["year"] == as_of.year]
    if accounts is not None:
        window = window.loc[window[customer].isin(accounts)]
        year_wallets = year_wallets.loc[year_wallets[customer].isin(accounts)]
    return share_of_wallet(window, year_wallets, customer=customer, date=date)
