"""Key performance indicators (关键绩效指标) of a year: one definition per KPI.

The *analysis year* (case studies) or *KPI year* (the chapter 11 dashboard) is
the twelve months up to a date. :func:`active_customers`,
:func:`yearly_retention` and :func:`yearly_nps` define the active customers,
the retention and churn rate and the Net Promoter Score of that year; the
case studies (:mod:`crmlab.diagnosis`), the dashboard
(:func:`crmlab.dashboard.kpi_dashboard`) and chapter 11 all call these, so they
give the same numbers for the same data and date. Retention follows the
textbook rate of chapter 09 (:func:`crmlab.loyalty.retention_rates`); NPS is
Reichheld's (2003) (:func:`crmlab.satisfaction.nps`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmlab._validate import CRMDataError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["analysis_year", "active_customers", "yearly_retention", "yearly_nps"]


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


def active_customers(
    orders: "pd.DataFrame", as_of: Any, *, customer: str = "customer_id", date: str = "order_date"
) -> "pd.Index":
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


def yearly_nps(surveys: "pd.DataFrame", as_of: Any, *, date: str = "survey_date", recommend: str = "recommend") -> Any:
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


def yearly_retention(
    orders: "pd.DataFrame", as_of: Any, *, customer: str = "customer_id", date: str = "order_date"
) -> "pd.Series":
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
    return pd.Series(
        {
            "customers_start": len(start),
            "new": len(new),
            "customers_end": len(end),
            "retained": len(end & start),
            "retention": retention,
            "churn": 1 - retention,
        },
        name="rolling year",
        dtype=float,
    )
