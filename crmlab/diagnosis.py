"""CRM diagnosis (客户关系诊断): from analytics results to a plan a manager can act on.

The case-study notebooks (``notebooks/case_*.ipynb``) compute their figures with
the analytics modules (rfm, segmentation, clv, loyalty, satisfaction,
acquisition, profitability, lifecycle). This module holds what is left: loading
a case's data for a set of parameters and cutting it at the analysis date, a
few figures the analytics modules do not give in this form (the active
customers, retention and NPS of the twelve months before any date, the churn
warning list with the value at risk, share of wallet over those twelve months),
the catalogue of recorded figures
(:data:`RETAIL_FIGURES`, :data:`B2B_FIGURES`), the service-level plan of the
B2B case and the rules that turn the figures into recommendations.

Recommendations are rules over the figures, with thresholds written down in
:class:`RetailRules` and :class:`B2BRules`: which advice is given depends on
the data (a retailer that loses few customers is not told to start a win-back
campaign), and the rule that fired is named with each piece of advice. The
thresholds are teaching defaults, not industry norms; a trainer can pass
others. Sources for the measures: Reichheld (2003) for NPS, Martilla & James
(1977) for importance-performance, Kaplan & Anderson (2004) and Kaplan &
Narayanan (2001) for time-driven ABC and the whale curve, Keiningham et al.
(2011) for share of wallet, Zeithaml, Rust & Lemon (2001) for serving customer
tiers differently.

The twelve months up to the analysis date are the *analysis year*; the chapter
11 dashboard (:func:`crmlab.dashboard.kpi_dashboard`) calls the same functions
for its *KPI year*, so a case study and the dashboard give the same active
customers, retention and NPS for the same data and date.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from crmlab._validate import CRMDataError, check_range

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from crmlab.datasets import Dataset

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
    "retail_facts",
    "b2b_facts",
    "executive_summary",
]

#: Currency labels a case study accepts (amounts in the data are currency units; the label names them).
CURRENCIES = ("EUR", "USD", "GBP", "CHF", "CNY", "HKD", "TWD", "JPY", "KRW", "SGD")

#: A customer more than this many times past their churn warning point is treated as already lost
#: (a win-back case), not as at risk: the warning list holds those between 1x and 2x.
ACTIONABLE_RATIO = 2.0

#: Horizon of the probabilistic CLV in the retail case, in years.
CLV_HORIZON_YEARS = 3

#: Tables cut at the analysis date by their event date (other tables are kept whole).
_EVENT_DATES = {
    "customers": "signup_date",
    "accounts": "signup_date",
    "orders": "order_date",
    "interactions": "date",
    "surveys": "survey_date",
    "activities": "date",
    "truth_phases": "month",
}


# ---------------------------------------------------------------- recorded figures


@dataclass(frozen=True)
class Figure:
    """Unit and label of one recorded figure; ``{currency}`` in the unit is filled in."""

    unit: str
    label: str


#: The figures the retail case study records (name -> unit, label). Money in the run's currency.
RETAIL_FIGURES: dict[str, Figure] = {
    "customers": Figure("customers", "Customers in the base (signed up by the analysis date)"),
    "active_customers": Figure("customers", "Active customers (ordered in the analysis year)"),
    "revenue": Figure("{currency}", "Revenue in the analysis year (returns excluded)"),
    "revenue_per_active": Figure("{currency}", "Revenue per active customer"),
    "top20_share": Figure("share", "Revenue share of the top 20% of buying customers"),
    "champions": Figure("customers", "RFM Champions"),
    "rfm_at_risk": Figure("customers", "RFM 'At risk' and 'Can't lose them' customers"),
    "margin_rate": Figure("share", "Gross margin rate used for customer value"),
    "retention_rate": Figure("share per year", "Retention rate over the analysis year"),
    "churn_rate": Figure("share per year", "Churn rate over the analysis year"),
    "mean_clv": Figure("{currency}", "Mean customer lifetime value (BG/NBD, 3 years)"),
    "retention_model_clv": Figure("{currency}", "CLV of an active customer, retention model"),
    "at_risk_count": Figure("customers", "Customers on the churn warning list"),
    "value_at_risk": Figure("{currency}", "Customer lifetime value on the warning list"),
    "lapsed_count": Figure("customers", "Customers long past their warning point (win-back)"),
    "nps": Figure("points", "Net Promoter Score (survey answers of the analysis year)"),
    "concentrate_here": Figure("", "Attributes to concentrate on (importance-performance)"),
    "complaint_rate": Figure("complaints per active customer", "Complaints in the analysis year"),
    "complaint_recovery": Figure("share", "Complaints resolved to satisfaction (recovered)"),
    "unrecovered_churn_ratio": Figure("x non-complainers", "Churn of unrecovered complainers"),
    "acquisition_cost": Figure("{currency} per new customer", "Mean acquisition cost"),
    "best_channel": Figure("", "Best acquisition channel (first-year acquisition equity)"),
    "best_channel_equity": Figure("{currency} per new customer", "Acquisition equity of the best channel"),
    "worst_channel": Figure("", "Weakest acquisition channel (first-year acquisition equity)"),
    "worst_channel_equity": Figure("{currency} per new customer", "Acquisition equity of the weakest channel"),
}

#: The figures the B2B case study records (name -> unit, label). Money in the run's currency.
B2B_FIGURES: dict[str, Figure] = {
    "accounts": Figure("accounts", "Accounts in the base (signed up by the analysis date)"),
    "active_accounts": Figure("accounts", "Active accounts (ordered in the analysis year)"),
    "revenue": Figure("{currency}", "Revenue in the analysis year (returns excluded)"),
    "gross_margin": Figure("{currency}", "Gross margin in the analysis year"),
    "cost_to_serve": Figure("{currency}", "Cost to serve the accounts (time-driven ABC)"),
    "profit": Figure("{currency}", "Sum of account profits (time-driven ABC)"),
    "unused_capacity_cost": Figure("{currency}", "Cost of unused capacity (not charged to accounts)"),
    "overloaded_departments": Figure("", "Departments working beyond practical capacity"),
    "top20_profit_share": Figure("share of profit", "Profit share of the top 20% of accounts"),
    "whale_peak": Figure("share of profit", "Peak of the whale curve"),
    "unprofitable_share": Figure("share", "Share of accounts that destroy profit"),
    "profit_destroyed": Figure("{currency}", "Profit destroyed by loss-making accounts"),
    "mean_share_of_wallet": Figure("share", "Mean share of wallet of active accounts"),
    "wallet_not_won": Figure("{currency}", "Category spend of active accounts that goes elsewhere"),
    "churn_rate": Figure("share per year", "Account churn rate over the analysis year"),
    "accounts_in_decline": Figure("accounts", "Accounts in the decline stage"),
    "accounts_in_exploration": Figure("accounts", "Accounts in the exploration stage"),
    "complaint_rate": Figure("complaints per active account", "Complaints in the analysis year"),
    "complaint_recovery": Figure("share", "Complaints resolved to satisfaction (recovered)"),
    "unrecovered_churn_ratio": Figure("x non-complainers", "Churn of unrecovered complainers"),
    "key_accounts": Figure("accounts", "Accounts on the key-account service level"),
    "self_service_accounts": Figure("accounts", "Accounts moved to self-service"),
    "account_clv": Figure("{currency}", "Value of an active account (retention model, profit after cost to serve)"),
}


class FigureBook:
    """Records a case's key figures (via :func:`crmlab.casestudy.record`) and keeps them.

    Units and labels come from a catalogue such as :data:`RETAIL_FIGURES`, so
    every run records the same documented names; ``figures`` holds the values
    for the executive summary and the recommendations.

    Examples
    --------
    >>> book = FigureBook(RETAIL_FIGURES, currency="EUR")
    >>> book.record(revenue=1234.5, customers=10)
    Revenue in the analysis year (returns excluded): 1,234 EUR  [revenue]
    Customers in the base (signed up by the analysis date): 10 customers  [customers]
    >>> book.figures
    {'revenue': 1234.5, 'customers': 10}
    """

    def __init__(self, catalogue: Mapping[str, Figure], *, currency: str):
        self.catalogue = dict(catalogue)
        self.currency = currency
        self.figures: dict[str, Any] = {}

    def record(self, **values: Any) -> None:
        """Record each ``name=value`` (names must be in the catalogue)."""
        from crmlab.casestudy import record

        unknown = [n for n in values if n not in self.catalogue]
        if unknown:
            raise CRMDataError(
                f"figure(s) {', '.join(map(repr, unknown))} are not in the catalogue: "
                f"use one of {', '.join(self.catalogue)} or add it to the catalogue."
            )
        for name, value in values.items():
            if hasattr(value, "item"):  # numpy scalar -> plain number
                value = value.item()
            spec = self.catalogue[name]
            record(name, value, unit=spec.unit.format(currency=self.currency), label=spec.label)
            self.figures[name] = value


# ---------------------------------------------------------------- the data of a case


def date_limits(name: str) -> tuple["pd.Timestamp", "pd.Timestamp"]:
    """Earliest and latest analysis date of a generated scenario.

    The analysis needs two full years before the date (one for the analysis
    year, one before it for retention), so the earliest date is two years after
    the start of the generated window.

    Examples
    --------
    >>> [d.date().isoformat() for d in date_limits("retail")]
    ['2023-12-31', '2024-12-31']
    """
    import pandas as pd

    from crmlab.datasets import DEFAULTS

    if name not in DEFAULTS:
        raise CRMDataError(f"scenario {name!r} has no generated window; use one of {', '.join(DEFAULTS)}.")
    start, end = (pd.Timestamp(DEFAULTS[name][k]) for k in ("start", "end"))
    return start + pd.DateOffset(years=2) - pd.Timedelta(days=1), end


def load_case(
    name: str,
    *,
    n_customers: int | None = None,
    seed: int | None = None,
    student_id: str | None = None,
    analysis_date: Any = None,
) -> "Dataset":
    """The data of one case-study run, cut at the analysis date.

    * ``student_id`` given: the student's personal data (``datasets.load(name,
      student_id=...)``; size and seed as shipped, the seed derived from the id).
      Giving also a size or seed other than the shipped ones is refused.
    * size and seed as shipped (``datasets.DEFAULTS``): the shipped tables.
    * otherwise the scenario generated with that size and seed.

    ``analysis_date`` (default: the end of the data) must lie within
    :func:`date_limits`; tables are cut with :func:`cut_at`.

    Raises
    ------
    crmlab.casestudy.CaseStudyParameterError naming the parameter and the fix.

    Examples
    --------
    >>> ds = load_case("b2b", n_customers=60, seed=3, analysis_date="2024-06-30")
    >>> ds.as_of.date().isoformat(), bool(ds.orders["order_date"].max() <= ds.as_of)
    ('2024-06-30', True)
    """
    import pandas as pd

    from crmlab import datasets
    from crmlab.casestudy import CaseStudyParameterError

    shipped = datasets.DEFAULTS[name]
    n_customers = shipped["n_customers"] if n_customers is None else n_customers
    seed = shipped["seed"] if seed is None else seed
    as_shipped = n_customers == shipped["n_customers"] and seed == shipped["seed"]
    if student_id is not None and not as_shipped:
        raise CaseStudyParameterError(
            f"parameter 'student_id' = {student_id!r} comes with its own data of the shipped size: "
            f"leave n_customers = {shipped['n_customers']} and seed = {shipped['seed']}, "
            "or set student_id = None to generate data from n_customers and seed."
        )
    if student_id is not None:
        ds = datasets.load(name, student_id=student_id)
    elif as_shipped:
        ds = datasets.load(name)
    else:
        ds = datasets.generate(name, n_customers=n_customers, seed=seed)
    if analysis_date is None:
        return ds
    date = pd.Timestamp(analysis_date)
    lo, hi = date_limits(name)
    if not lo <= date <= hi:
        raise CaseStudyParameterError(
            f"parameter 'analysis_date' = {str(analysis_date)!r} is outside {lo.date()} to {hi.date()}: "
            "the data cover three years and the analysis needs the two years before the date."
        )
    return cut_at(ds, date)


def cut_at(ds: "Dataset", date: Any) -> "Dataset":
    """The dataset as it was known on ``date``: later events left out.

    Customers/accounts signed up after the date, orders, interactions, surveys
    (and their items), activities and truth phases after it, and wallet
    estimates of later years are removed; ``as_of`` becomes ``date``. Reference
    tables (activity rates, capacity) and the latent ``truth`` are kept.

    Examples
    --------
    >>> from crmlab import datasets
    >>> ds = cut_at(datasets.generate("b2b", n_customers=30, seed=1), "2023-12-31")
    >>> int(ds.wallets["year"].max()), str(ds.as_of.date())
    (2023, '2023-12-31')
    """
    import pandas as pd

    from crmlab.datasets import Dataset

    date = pd.Timestamp(date)
    tables = {}
    for name, table in ds.items():
        column = _EVENT_DATES.get(name)
        if column is not None:
            table = table.loc[table[column] <= date]
        elif name == "wallets":
            table = table.loc[table["year"] <= date.year]
        tables[name] = table.reset_index(drop=True)
    if "survey_items" in tables and "surveys" in tables:
        items = tables["survey_items"]
        tables["survey_items"] = items.loc[items["response_id"].isin(tables["surveys"]["response_id"])].reset_index(drop=True)
    return Dataset(ds.name, tables, date, ds.student_id, ds.seed, ds.source)


def analysis_year(table: "pd.DataFrame", as_of: Any, *, date: str = "order_date") -> "pd.DataFrame":
    """Rows of the twelve months up to ``as_of``: ``as_of - 1 year < date <= as_of``.

    This is the *analysis year* of the case studies and the *KPI year* of
    :func:`crmlab.dashboard.kpi_dashboard`.

    Examples
    --------
    >>> import pandas as pd
    >>> o = pd.DataFrame({"order_date": pd.to_datetime(["2023-12-31", "2024-01-01", "2024-12-31"])})
    >>> len(analysis_year(o, "2024-12-31"))
    2
    """
    import pandas as pd

    as_of = pd.Timestamp(as_of)
    when = table[date]
    return table.loc[(when > as_of - pd.DateOffset(years=1)) & (when <= as_of)]


def active_customers(orders: "pd.DataFrame", as_of: Any, *, customer: str = "customer_id",
                     date: str = "order_date") -> "pd.Index":
    """The customers active in the analysis year: at least one order in the twelve months up to ``as_of``.

    The definition of chapter 09 (:func:`crmlab.loyalty.retention_rates`):
    a returned order counts, because the visit happened, so a customer whose
    only orders of the year were returned is active with zero revenue. These
    are the ``customers_end`` of :func:`yearly_retention`, the denominator of
    revenue per active customer and of complaints per active customer, and the
    ``active_customers`` of :func:`crmlab.dashboard.kpi_dashboard`.

    Returns
    -------
    The sorted customer ids (``pd.Index`` named ``customer``).

    Examples
    --------
    >>> import pandas as pd
    >>> o = pd.DataFrame({"customer_id": ["a", "b", "c", "a"], "returned": [False, False, True, False],
    ...     "order_date": pd.to_datetime(["2023-12-31", "2024-03-01", "2024-05-01", "2024-07-01"])})
    >>> active_customers(o, "2024-12-31").tolist()  # c returned its only order and still counts
    ['a', 'b', 'c']
    """
    import pandas as pd

    ids = analysis_year(orders, as_of, date=date)[customer].unique()
    return pd.Index(sorted(ids), name=customer)


def yearly_nps(surveys: "pd.DataFrame", as_of: Any, *, date: str = "survey_date",
               recommend: str = "recommend") -> Any:
    """Net Promoter Score of the survey answers given in the twelve months up to ``as_of``.

    :func:`crmlab.satisfaction.nps` (Reichheld 2003) over the answers of the
    analysis year only, like every other figure of the year: older answers
    describe how customers felt then, not now.

    Returns
    -------
    :class:`crmlab.satisfaction.NPSResult` (``nps`` in points, -100..100, and
    the shares of promoters, passives and detractors).

    Raises
    ------
    CRMDataError when no answer falls in the analysis year.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"recommend": [0, 10, 9, 7, 3],
    ...     "survey_date": pd.to_datetime(["2023-05-01", "2024-04-01", "2024-05-01", "2024-08-01", "2024-09-01"])})
    >>> yearly_nps(s, "2024-12-31").nps  # 2023's 0 left out: 50% promoters - 25% detractors
    25.0
    """
    import pandas as pd

    from crmlab import satisfaction

    answers = analysis_year(surveys, as_of, date=date)[recommend]
    if not len(answers):
        raise CRMDataError(
            f"table 'surveys', column '{date}': no survey answer in the twelve months up to "
            f"{pd.Timestamp(as_of).date()}, so there is no NPS for that year; choose a later date or add survey answers."
        )
    return satisfaction.nps(answers)


def yearly_retention(orders: "pd.DataFrame", as_of: Any, *, customer: str = "customer_id",
                     date: str = "order_date") -> "pd.Series":
    """Retention and churn over the twelve months up to ``as_of`` (a rolling year).

    Same textbook definition as :func:`crmlab.loyalty.retention_rates`, with the
    two periods being the twelve months up to ``as_of`` and the twelve before:
    ``retention = (customers_end - new) / customers_start``, ``churn = 1 - retention``;
    ``new`` = customers whose first order ever falls in the last twelve months.
    Unlike calendar years, this works for any analysis date.

    Examples
    --------
    >>> import pandas as pd
    >>> o = pd.DataFrame({"customer_id": ["a", "b", "c", "a", "d"],
    ...     "order_date": pd.to_datetime(["2023-03-01", "2023-05-01", "2023-06-01", "2024-02-01", "2024-03-01"])})
    >>> r = yearly_retention(o, "2024-12-31")  # a stayed of a, b, c; d is new
    >>> r[["customers_start", "new", "customers_end", "retention"]].round(3).to_dict()
    {'customers_start': 3.0, 'new': 1.0, 'customers_end': 2.0, 'retention': 0.333}
    """
    import pandas as pd

    as_of = pd.Timestamp(as_of)
    year = pd.DateOffset(years=1)
    when, who = orders[date], orders[customer]
    end = set(active_customers(orders, as_of, customer=customer, date=date))
    start = set(active_customers(orders, as_of - year, customer=customer, date=date))
    before = set(who[when <= as_of - year])
    new = end - before
    if not start:
        raise CRMDataError(
            f"table 'orders', column '{date}': no order in the year before {(as_of - year).date()}, "
            "so retention over the analysis year is undefined; choose a later analysis date."
        )
    retention = (len(end) - len(new)) / len(start)
    return pd.Series({"customers_start": len(start), "new": len(new), "customers_end": len(end),
                      "retained": len(end & start), "retention": retention, "churn": 1 - retention},
                     name="rolling year", dtype=float)


def customer_value(orders: "pd.DataFrame", *, as_of: Any, discount_rate: float, margin_rate: float,
                   years: int = CLV_HORIZON_YEARS, customer: str = "customer_id") -> "pd.DataFrame":
    """Probabilistic CLV per customer: BG/NBD + Gamma-Gamma on the kept orders, weekly.

    Fits both models on every order up to ``as_of`` (returned orders left
    out), then :func:`crmlab.clv.probabilistic_clv` over ``years`` years with
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
    bgnbd, gamma_gamma = clv.fit_bgnbd(summary), clv.fit_gamma_gamma(summary)
    return clv.probabilistic_clv(bgnbd, gamma_gamma, summary, horizon=52 * years,
                                 discount_rate=(1 + discount_rate) ** (1 / 52) - 1, time_unit="W",
                                 margin=margin_rate)


def warning_list(orders: "pd.DataFrame", value: "pd.Series", *, as_of: Any, multiplier: float = 1.0,
                 within: float = ACTIONABLE_RATIO, customer: str = "customer_id") -> "pd.DataFrame":
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


def window_share_of_wallet(orders: "pd.DataFrame", wallets: "pd.DataFrame", *, as_of: Any,
                           accounts: Sequence[Any] | None = None, customer: str = "account_id",
                           date: str = "order_date") -> "pd.DataFrame":
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


def capacity_findings(capacity: "pd.DataFrame") -> "pd.DataFrame":
    """Unused and overloaded capacity per department, from ``time_driven_abc(...).capacity``.

    Adds ``unused_cost_positive`` (cost of idle capacity, 0 where none) and
    ``overloaded`` (minutes used beyond practical capacity, i.e. utilisation
    above 1: overtime, queues or quality problems; Kaplan & Anderson 2004).

    Examples
    --------
    >>> import pandas as pd
    >>> cap = pd.DataFrame({"unused_cost": [100.0, -20.0], "utilisation": [0.8, 1.1]}, index=["sales", "desk"])
    >>> capacity_findings(cap)[["unused_cost_positive", "overloaded"]].to_dict("list")
    {'unused_cost_positive': [100.0, 0.0], 'overloaded': [False, True]}
    """
    out = capacity.copy()
    out["unused_cost_positive"] = out["unused_cost"].clip(lower=0.0)
    out["overloaded"] = out["utilisation"] > 1.0
    return out


# ---------------------------------------------------------------- service-level plan (B2B)

#: Service levels of the B2B plan, best served first: (profit class, share-of-wallet class) and what the level gets.
SERVICE_LEVELS: dict[str, dict[str, str]] = {
    "Key account": {"profit": "top", "share": "high",
                    "service": "named account manager, quarterly business review, priority line, free rush orders"},
    "Growth account": {"profit": "top", "share": "low",
                       "service": "account plan to win share: sales visits, category trials, volume pricing"},
    "Standard": {"profit": "profitable", "share": "high",
                 "service": "service desk and web ordering, two retention contacts a year"},
    "Develop": {"profit": "profitable", "share": "low",
                "service": "inside sales with targeted cross-selling offers, web ordering"},
    "Cost-to-serve review": {"profit": "loss", "share": "high",
                             "service": "reprice and redesign service: minimum order, rush fee, fewer visits"},
    "Self-service": {"profit": "loss", "share": "low",
                     "service": "web shop and phone desk only, no field visits, minimum order size"},
}


def service_level_plan(profit: "pd.DataFrame", share: "pd.Series", *, top: float = 0.2,
                       share_cut: float | str = "median", customer: str = "account_id") -> "pd.DataFrame":
    """Which account gets which service level: profitability x share of wallet.

    Profit class: ``top`` = the most profitable ``top`` fraction of accounts
    (at least one), ``loss`` = profit below 0, ``profitable`` = the rest.
    Share class: ``high`` at or above ``share_cut`` (a share, or "median"/"mean"
    of the accounts planned), else ``low``; an account without a wallet
    estimate counts as low. The level then follows :data:`SERVICE_LEVELS`
    (e.g. top & high -> Key account, loss & low -> Self-service): serve the
    valuable, loyal accounts best, grow the valuable ones we share with
    competitors, and make loss makers cheaper to serve (Zeithaml, Rust & Lemon
    2001).

    Parameters
    ----------
    profit : per account, a ``profit`` column (e.g. from
        :func:`crmlab.profitability.activity_based_profit`), other columns kept.
    share : share of wallet per account (e.g. from :func:`window_share_of_wallet`).

    Returns
    -------
    ``profit`` with ``share_of_wallet``, ``profit_class``, ``share_class``,
    ``service_level`` (ordered categorical) and ``service``, best first.

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"profit": [900.0, 300.0, 200.0, -50.0, -80.0]}, index=list("abcde"))
    >>> s = pd.Series({"a": 0.6, "b": 0.1, "c": 0.7, "d": 0.8, "e": 0.05})
    >>> service_level_plan(p, s, share_cut=0.5)["service_level"].astype(str).to_dict()
    {'a': 'Key account', 'c': 'Standard', 'b': 'Develop', 'd': 'Cost-to-serve review', 'e': 'Self-service'}
    """
    import numpy as np
    import pandas as pd

    check_range("top", top, lo=0, hi=1, lo_open=True, hint="use a share of accounts such as 0.2")
    if "profit" not in profit:
        raise CRMDataError("table 'profit' has no column 'profit': pass activity_based_profit(...)'s result.")
    plan = profit.copy()
    plan["share_of_wallet"] = share.reindex(plan.index).astype(float)
    if isinstance(share_cut, str) and share_cut not in ("median", "mean"):
        raise CRMDataError(f"share_cut = {share_cut!r}: use a share such as 0.3, 'median' or 'mean'.")
    known = plan["share_of_wallet"].dropna()
    cut = float(getattr(known, share_cut)()) if isinstance(share_cut, str) else float(share_cut)
    n_top = max(1, int(np.ceil(top * len(plan))))
    order = plan.assign(_id=plan.index.astype(str)).sort_values(["profit", "_id"], ascending=[False, True]).index
    plan["profit_class"] = np.where(plan["profit"] < 0, "loss", "profitable")
    plan.loc[order[:n_top], "profit_class"] = np.where(plan.loc[order[:n_top], "profit"] < 0, "loss", "top")
    plan["share_class"] = np.where(plan["share_of_wallet"].fillna(-1.0) >= cut, "high", "low")
    lookup = {(v["profit"], v["share"]): k for k, v in SERVICE_LEVELS.items()}
    level = [lookup[pc, sc] for pc, sc in zip(plan["profit_class"], plan["share_class"])]
    plan["service_level"] = pd.Categorical(level, categories=list(SERVICE_LEVELS), ordered=True)
    plan["service"] = [SERVICE_LEVELS[x]["service"] for x in level]
    plan = plan.loc[plan.assign(_p=-plan["profit"]).sort_values(["service_level", "_p"], kind="stable").index]
    plan.attrs.update(top=top, share_cut=cut, customer=customer)
    return plan


def plan_summary(plan: "pd.DataFrame") -> "pd.DataFrame":
    """Accounts, revenue, cost to serve and profit per service level (money summed).

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"profit": [900.0, -80.0], "revenue": [5000.0, 300.0]}, index=["a", "b"])
    >>> t = plan_summary(service_level_plan(p, pd.Series({"a": 0.6, "b": 0.1})))
    >>> t.loc[["Key account", "Self-service"], ["accounts", "profit"]].to_dict("index")
    {'Key account': {'accounts': 1, 'profit': 900.0}, 'Self-service': {'accounts': 1, 'profit': -80.0}}
    """
    money = [c for c in ("revenue", "cost_to_serve", "profit") if c in plan]
    out = plan.groupby("service_level", observed=False).agg(
        accounts=("profit", "size"), **{c: (c, "sum") for c in money},
        mean_share_of_wallet=("share_of_wallet", "mean"))
    out["accounts"] = out["accounts"].astype(int)
    out["service"] = [SERVICE_LEVELS[x]["service"] for x in out.index]
    return out


# ---------------------------------------------------------------- recommendations


@dataclass(frozen=True)
class RetailRules:
    """Thresholds of :func:`retail_recommendations` (teaching defaults; state the ones you use).

    high_churn, low_churn : yearly churn at or above which retention comes first,
        and at or below which retention is called strong.
    concentrated, spread : top-20% revenue share at or above which revenue
        rests on few customers (Pareto), and at or below which it is spread widely.
    weak_nps, strong_nps : NPS (points) below which detractors dominate, and at
        or above which a referral programme pays (Reichheld 2003).
    weak_recovery : share of complaints recovered below which complaint handling
        needs work; with ``costly_complaints`` (churn of unrecovered complainers
        in multiples of non-complainers) at or above which it is urgent.
    """

    high_churn: float = 0.35
    low_churn: float = 0.20
    concentrated: float = 0.60
    spread: float = 0.45
    weak_nps: float = 0.0
    strong_nps: float = 30.0
    weak_recovery: float = 0.60
    costly_complaints: float = 1.5


@dataclass(frozen=True)
class B2BRules:
    """Thresholds of :func:`b2b_recommendations` (teaching defaults; state the ones you use).

    many_loss_makers : share of accounts with a loss at or above which cost to
        serve is the first topic (Kaplan & Narayanan 2001 report 20-40% typical).
    steep_whale : whale-curve peak (share of total profit) at or above which
        profit is said to rest on few accounts.
    low_share : mean share of wallet below which growing share is the main
        opportunity, ``high_share`` at or above which defending it is.
    idle_capacity : unused capacity cost as a share of cost to serve at or above
        which capacity should be redeployed or cut.
    high_churn : yearly account churn at or above which retention is urgent.
    weak_recovery, costly_complaints : as in :class:`RetailRules`.
    """

    many_loss_makers: float = 0.25
    steep_whale: float = 1.5
    low_share: float = 0.30
    high_share: float = 0.50
    idle_capacity: float = 0.10
    high_churn: float = 0.25
    weak_recovery: float = 0.60
    costly_complaints: float = 1.5


@dataclass(order=True)
class _Advice:
    """One recommendation: urgent ones first (priority 0), then by area order."""

    priority: int
    position: int
    text: str = field(compare=False)


def _need(figures: Mapping[str, Any], names: Sequence[str], case: str) -> None:
    missing = [n for n in names if n not in figures]
    if missing:
        raise CRMDataError(
            f"figures for {case} recommendations lack {', '.join(map(repr, missing))}: "
            "record them first (FigureBook.record) and pass book.figures."
        )


def _money(x: float, currency: str) -> str:
    return f"{x:,.0f} {currency}"


def _count(n: int, noun: str) -> str:
    """'1 account', '3 accounts'."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _listing(text: str | None) -> str:
    """'a; b; c' as 'a, b and c'."""
    items = [t.strip() for t in (text or "").split(";") if t.strip()]
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def _complaint_state(f: Mapping[str, Any], rules: Any) -> tuple[str, float, str]:
    """'urgent' (weak recovery and costly), 'weak' or 'ok'; the recovery share and the churn ratio as text."""
    recovery, ratio = f["complaint_recovery"], f["unrecovered_churn_ratio"]
    ratio_text = "n/a" if ratio is None else f"{ratio:.1f}x"
    if recovery >= rules.weak_recovery:
        return "ok", recovery, ratio_text
    costly = ratio is not None and ratio >= rules.costly_complaints
    return ("urgent" if costly else "weak"), recovery, ratio_text


def _ordered(advice: list[_Advice]) -> list[str]:
    return [a.text for a in sorted(advice)]


def retail_recommendations(figures: Mapping[str, Any], *, currency: str = "EUR",
                           rules: RetailRules | None = None) -> list[str]:
    """Recommendations for a retailer, chosen by rules over its figures.

    One recommendation per area -- retention, customer value, satisfaction,
    complaints, acquisition -- whose content depends on which side of the
    :class:`RetailRules` thresholds the figures fall; urgent ones come first.
    Each starts with the area and the rule that fired in brackets.

    Parameters
    ----------
    figures : the recorded figures (``FigureBook.figures``) with at least
        churn_rate, at_risk_count, value_at_risk, lapsed_count, top20_share,
        champions, nps, concentrate_here, complaint_recovery,
        unrecovered_churn_ratio, best_channel, best_channel_equity,
        worst_channel, worst_channel_equity, acquisition_cost, mean_clv.

    Examples
    --------
    >>> f = dict(churn_rate=0.42, at_risk_count=198, value_at_risk=33500.0, lapsed_count=1750,
    ...          top20_share=0.63, champions=419, nps=27.8, concentrate_here="on-time delivery",
    ...          complaint_recovery=0.54, unrecovered_churn_ratio=1.8, best_channel="referral",
    ...          best_channel_equity=155.0, worst_channel="social", worst_channel_equity=66.0,
    ...          acquisition_cost=22.3, mean_clv=160.0)
    >>> [r.split("]")[0] + "]" for r in retail_recommendations(f)]  # doctest: +NORMALIZE_WHITESPACE
    ['Retention [churn >= 35%]', 'Complaints [recovery < 60%, unrecovered churn >= 1.5x]',
     'Customer value [top 20% >= 60%]', 'Satisfaction [0 <= NPS < 30]', 'Acquisition [all channels pay back]']
    """
    rules = rules or RetailRules()
    _need(figures, ["churn_rate", "at_risk_count", "value_at_risk", "lapsed_count", "top20_share", "champions",
                    "nps", "concentrate_here", "complaint_recovery", "unrecovered_churn_ratio", "best_channel",
                    "best_channel_equity", "worst_channel", "worst_channel_equity", "acquisition_cost",
                    "mean_clv"], "retail")
    f, cur = figures, currency
    advice: list[_Advice] = []

    churn = f["churn_rate"]
    call = (f"{f['at_risk_count']:,} customers are past their warning point (CLV {_money(f['value_at_risk'], cur)}): "
            "contact them this month, highest value first")
    if churn >= rules.high_churn:
        advice.append(_Advice(0, 0, f"Retention [churn >= {rules.high_churn:.0%}]: {churn:.0%} of last year's "
                              f"customers did not come back. Retention comes before acquisition: {call}, and "
                              f"send a win-back offer to the {f['lapsed_count']:,} lapsed customers."))
    elif churn <= rules.low_churn:
        advice.append(_Advice(1, 0, f"Retention [churn <= {rules.low_churn:.0%}]: churn is low ({churn:.0%}); "
                              f"keep the service as it is and check the warning list monthly ({call})."))
    else:
        advice.append(_Advice(1, 0, f"Retention [{rules.low_churn:.0%} < churn < {rules.high_churn:.0%}]: "
                              f"churn is {churn:.0%}; {call}."))

    top = f["top20_share"]
    if top >= rules.concentrated:
        advice.append(_Advice(1, 1, f"Customer value [top 20% >= {rules.concentrated:.0%}]: the top 20% bring "
                              f"{top:.0%} of revenue. Protect them: a loyalty tier for the {f['champions']:,} "
                              "Champions with early access and a personal contact."))
    elif top <= rules.spread:
        advice.append(_Advice(1, 1, f"Customer value [top 20% <= {rules.spread:.0%}]: revenue is spread widely "
                              f"(top 20% bring {top:.0%}); grow the middle with cross-selling and bundles "
                              "rather than a VIP programme."))
    else:
        advice.append(_Advice(1, 1, f"Customer value [{rules.spread:.0%} < top 20% < {rules.concentrated:.0%}]: "
                              f"the top 20% bring {top:.0%} of revenue; move mid-value customers up with "
                              f"cross-selling and keep the {f['champions']:,} Champions close."))

    score, fix = f["nps"], _listing(f["concentrate_here"]) or "no attribute (none is in 'concentrate here')"
    if score < rules.weak_nps:
        advice.append(_Advice(0, 2, f"Satisfaction [NPS < {rules.weak_nps:g}]: NPS is {score:+.0f}, more detractors "
                              f"than promoters. Fix {fix} before spending more on winning customers."))
    elif score >= rules.strong_nps:
        advice.append(_Advice(1, 2, f"Satisfaction [NPS >= {rules.strong_nps:g}]: NPS is {score:+.0f}; customers "
                              f"recommend you, so start a referral programme; keep an eye on {fix}."))
    else:
        advice.append(_Advice(1, 2, f"Satisfaction [{rules.weak_nps:g} <= NPS < {rules.strong_nps:g}]: NPS is "
                              f"{score:+.0f}. Concentrate on {fix}: important to customers and rated below "
                              "the others."))

    state, recovery, ratio_text = _complaint_state(f, rules)
    if state == "urgent":
        advice.append(_Advice(0, 3, f"Complaints [recovery < {rules.weak_recovery:.0%}, unrecovered churn >= "
                              f"{rules.costly_complaints:g}x]: only {recovery:.0%} of complaints end with a "
                              f"satisfied customer, and the others churn {ratio_text} as often as customers who "
                              "never complained. Resolve within 24 hours and let staff compensate on the spot."))
    elif state == "weak":
        advice.append(_Advice(1, 3, f"Complaints [recovery < {rules.weak_recovery:.0%}]: {recovery:.0%} of "
                              "complaints are recovered; train the service team on recovery, although "
                              f"unrecovered complainers churn only {ratio_text} as often as others."))
    else:
        advice.append(_Advice(1, 3, f"Complaints [recovery >= {rules.weak_recovery:.0%}]: {recovery:.0%} of "
                              "complaints are recovered; keep the process and ask recovered complainers for "
                              "a review."))

    best, worst = f["best_channel"], f["worst_channel"]
    if f["worst_channel_equity"] < 0:
        advice.append(_Advice(0, 4, f"Acquisition [a channel loses money]: customers from {worst} do not pay back "
                              f"their acquisition cost in the first year (equity "
                              f"{_money(f['worst_channel_equity'], cur)} each); cut it and move the budget "
                              f"to {best} ({_money(f['best_channel_equity'], cur)} each)."))
    elif f["mean_clv"] < f["acquisition_cost"]:
        advice.append(_Advice(0, 4, f"Acquisition [CLV < acquisition cost]: an average customer is worth "
                              f"{_money(f['mean_clv'], cur)} but costs {_money(f['acquisition_cost'], cur)} to "
                              f"win; stop paid acquisition outside {best} until retention improves."))
    else:
        advice.append(_Advice(1, 4, f"Acquisition [all channels pay back]: {best} brings the most first-year "
                              f"equity ({_money(f['best_channel_equity'], cur)} per new customer), {worst} the "
                              f"least ({_money(f['worst_channel_equity'], cur)}); shift budget towards {best}."))
    return _ordered(advice)


def b2b_recommendations(figures: Mapping[str, Any], *, currency: str = "EUR",
                        rules: B2BRules | None = None) -> list[str]:
    """Recommendations for a B2B distributor, chosen by rules over its figures.

    One recommendation per area -- profitability, capacity, share of wallet,
    relationships, complaints -- whose content depends on the
    :class:`B2BRules` thresholds; urgent ones come first, each naming the rule.

    Parameters
    ----------
    figures : the recorded figures with at least unprofitable_share,
        profit_destroyed, whale_peak, self_service_accounts, key_accounts,
        unused_capacity_cost, cost_to_serve, overloaded_departments,
        mean_share_of_wallet, wallet_not_won, churn_rate, accounts_in_decline,
        accounts_in_exploration, complaint_recovery, unrecovered_churn_ratio.

    Examples
    --------
    >>> f = dict(unprofitable_share=0.37, profit_destroyed=149000.0, whale_peak=1.2,
    ...          self_service_accounts=60, key_accounts=30, unused_capacity_cost=60000.0,
    ...          cost_to_serve=500000.0, overloaded_departments="order desk and warehouse",
    ...          mean_share_of_wallet=0.2, wallet_not_won=9e6, churn_rate=0.34, accounts_in_decline=2,
    ...          accounts_in_exploration=20, complaint_recovery=0.48, unrecovered_churn_ratio=2.2)
    >>> [r.split(" [")[0] for r in b2b_recommendations(f)]
    ['Profitability', 'Capacity', 'Relationships', 'Complaints', 'Share of wallet']
    """
    rules = rules or B2BRules()
    _need(figures, ["unprofitable_share", "profit_destroyed", "whale_peak", "self_service_accounts", "key_accounts",
                    "unused_capacity_cost", "cost_to_serve", "overloaded_departments", "mean_share_of_wallet",
                    "wallet_not_won", "churn_rate", "accounts_in_decline", "accounts_in_exploration",
                    "complaint_recovery", "unrecovered_churn_ratio"], "b2b")
    f, cur = figures, currency
    advice: list[_Advice] = []

    loss, peak = f["unprofitable_share"], f["whale_peak"]
    if loss >= rules.many_loss_makers:
        advice.append(_Advice(0, 0, f"Profitability [loss makers >= {rules.many_loss_makers:.0%}]: {loss:.0%} of "
                              f"accounts cost more to serve than they earn and destroy "
                              f"{_money(f['profit_destroyed'], cur)}; move {f['self_service_accounts']:,} of them "
                              "to self-service and put a minimum order and a rush fee in place."))
    elif peak >= rules.steep_whale:
        advice.append(_Advice(1, 0, f"Profitability [whale peak >= {rules.steep_whale:.0%}]: the most profitable "
                              f"accounts earn {peak:.0%} of total profit; protect the {f['key_accounts']:,} key "
                              "accounts and review the cost to serve of the tail."))
    else:
        advice.append(_Advice(1, 0, f"Profitability [few loss makers]: {loss:.0%} of accounts lose money "
                              f"(whale peak {peak:.0%}); serve the {f['key_accounts']:,} key accounts with a "
                              "named manager and keep cost to serve in check."))

    idle = f["unused_capacity_cost"] / f["cost_to_serve"] if f["cost_to_serve"] else 0.0
    over = f["overloaded_departments"]
    if over:
        advice.append(_Advice(0, 1, f"Capacity [a department over capacity]: {over} "
                              f"{'work' if ',' in over else 'works'} beyond practical capacity; cut demand first (fewer rush orders, web ordering for small "
                              f"accounts) before hiring. Idle capacity elsewhere costs "
                              f"{_money(f['unused_capacity_cost'], cur)}."))
    elif idle >= rules.idle_capacity:
        advice.append(_Advice(1, 1, f"Capacity [idle >= {rules.idle_capacity:.0%} of cost to serve]: unused "
                              f"capacity costs {_money(f['unused_capacity_cost'], cur)} a year; use it for growth "
                              "accounts or reduce it."))
    else:
        advice.append(_Advice(1, 1, f"Capacity [balanced]: unused capacity costs "
                              f"{_money(f['unused_capacity_cost'], cur)} ({idle:.0%} of cost to serve); no "
                              "department is overloaded."))

    share = f["mean_share_of_wallet"]
    if share < rules.low_share:
        advice.append(_Advice(1, 2, f"Share of wallet [mean < {rules.low_share:.0%}]: active accounts buy only "
                              f"{share:.0%} of their category spend from us; {_money(f['wallet_not_won'], cur)} goes "
                              "to competitors. Give Growth accounts an account plan to win share."))
    elif share >= rules.high_share:
        advice.append(_Advice(1, 2, f"Share of wallet [mean >= {rules.high_share:.0%}]: accounts buy {share:.0%} "
                              "of their category spend from us; defend it with service and contracts rather "
                              "than discounts."))
    else:
        advice.append(_Advice(1, 2, f"Share of wallet [{rules.low_share:.0%} <= mean < {rules.high_share:.0%}]: "
                              f"mean share {share:.0%}; grow it with cross-selling in the Growth and Develop "
                              "accounts."))

    churn, decline, new = f["churn_rate"], f["accounts_in_decline"], f["accounts_in_exploration"]
    watch = (f"call the {_count(decline, 'account')} in decline now" if decline
             else "no account is in decline at the moment")
    onboard = f"give the {_count(new, 'account')} in exploration an onboarding contact"
    if churn >= rules.high_churn:
        advice.append(_Advice(0, 3, f"Relationships [churn >= {rules.high_churn:.0%}]: {churn:.0%} of last year's "
                              f"accounts stopped ordering; {watch}, and {onboard}."))
    else:
        advice.append(_Advice(1, 3, f"Relationships [churn < {rules.high_churn:.0%}]: account churn is {churn:.0%}; "
                              f"{watch}, and {onboard}."))

    state, recovery, ratio_text = _complaint_state(f, rules)
    if state == "urgent":
        advice.append(_Advice(0, 4, f"Complaints [recovery < {rules.weak_recovery:.0%}, unrecovered churn >= "
                              f"{rules.costly_complaints:g}x]: {recovery:.0%} of complaints are recovered and "
                              f"accounts left unsatisfied churn {ratio_text} as often; give each complaint an "
                              "owner and a 48-hour answer."))
    else:
        advice.append(_Advice(1, 4, f"Complaints [handling adequate]: {recovery:.0%} of complaints recovered, "
                              f"unrecovered churn {ratio_text}; keep tracking time to resolve."))
    return _ordered(advice)


def retail_facts(figures: Mapping[str, Any], *, currency: str = "EUR") -> list[str]:
    """The key facts of the retail case as sentences, from its recorded figures.

    Examples
    --------
    >>> f = dict(customers=3000, active_customers=1650, revenue=780537.0, revenue_per_active=473.1,
    ...          top20_share=0.625, churn_rate=0.412, mean_clv=161.6, at_risk_count=198,
    ...          value_at_risk=33531.6, nps=27.8, complaint_rate=0.2, complaint_recovery=0.54,
    ...          best_channel="referral", worst_channel="social")
    >>> retail_facts(f)[0]
    '1,650 of 3,000 customers ordered in the analysis year, for 780,537 EUR (473 EUR per active customer).'
    """
    f, cur = figures, currency
    return [
        f"{f['active_customers']:,} of {f['customers']:,} customers ordered in the analysis year, for "
        f"{_money(f['revenue'], cur)} ({_money(f['revenue_per_active'], cur)} per active customer).",
        f"The top 20% of buying customers bring {f['top20_share']:.0%} of revenue.",
        f"Churn over the year: {f['churn_rate']:.0%}; a customer is worth {_money(f['mean_clv'], cur)} on average "
        f"over the next {CLV_HORIZON_YEARS} years.",
        f"{f['at_risk_count']:,} customers are on the churn warning list, holding "
        f"{_money(f['value_at_risk'], cur)} of customer lifetime value.",
        f"NPS {f['nps']:+.0f} over the year; {f['complaint_rate']:.2f} complaints per active customer, "
        f"{f['complaint_recovery']:.0%} of them recovered.",
        f"Best acquisition channel: {f['best_channel']}; weakest: {f['worst_channel']}.",
    ]


def b2b_facts(figures: Mapping[str, Any], *, currency: str = "EUR") -> list[str]:
    """The key facts of the B2B case as sentences, from its recorded figures.

    Examples
    --------
    >>> f = dict(accounts=400, active_accounts=254, revenue=5.09e6, profit=735251.0, cost_to_serve=5.2e5,
    ...          unused_capacity_cost=60620.0, top20_profit_share=0.9, whale_peak=1.2,
    ...          unprofitable_share=0.37, mean_share_of_wallet=0.2, churn_rate=0.34,
    ...          complaint_rate=0.2, complaint_recovery=0.48, key_accounts=30)
    >>> b2b_facts(f)[0]
    '254 of 400 accounts ordered in the analysis year, for 5,090,000 EUR.'
    """
    f, cur = figures, currency
    return [
        f"{f['active_accounts']:,} of {f['accounts']:,} accounts ordered in the analysis year, for "
        f"{_money(f['revenue'], cur)}.",
        f"After a cost to serve of {_money(f['cost_to_serve'], cur)} the accounts earn "
        f"{_money(f['profit'], cur)}; unused capacity costs a further {_money(f['unused_capacity_cost'], cur)}.",
        f"The top 20% of accounts earn {f['top20_profit_share']:.0%} of profit (whale curve peak "
        f"{f['whale_peak']:.0%}); {f['unprofitable_share']:.0%} of accounts lose money.",
        f"Mean share of wallet {f['mean_share_of_wallet']:.0%}; account churn over the year {f['churn_rate']:.0%}.",
        f"{f['complaint_rate']:.2f} complaints per active account, {f['complaint_recovery']:.0%} of them recovered.",
        f"{f['key_accounts']:,} accounts qualify for the key-account service level.",
    ]


def executive_summary(title: str, facts: Sequence[str], recommendations: Sequence[str], *,
                      width: int = 96) -> str:
    """A plain-text executive summary: a title, the key facts, numbered recommendations.

    Examples
    --------
    >>> print(executive_summary("ACME", ["120 customers."], ["Retention [x]: call them."]))
    ACME
    ====
    Key facts
      - 120 customers.
    Recommendations
      1. Retention [x]: call them.
    """
    lines = [title, "=" * len(title), "Key facts"]
    for fact in facts:
        lines += textwrap.wrap(fact, width, initial_indent="  - ", subsequent_indent="    ")
    lines.append("Recommendations")
    for i, text in enumerate(recommendations, 1):
        lines += textwrap.wrap(text, width, initial_indent=f"  {i}. ", subsequent_indent="     ")
    return "\n".join(lines)
