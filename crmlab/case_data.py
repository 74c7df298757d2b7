"""The data of a case study (案例数据): the scenario for a set of parameters, cut at the analysis date.

:func:`load_case` gives the shipped data, a scenario generated with a size, a
seed and a firm profile (:mod:`crmlab.firm_profiles`), or a student's personal
data; :func:`cut_at` leaves out what happened after the analysis date, so a
diagnosis can be made as of any day the data allow (:func:`date_limits`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from crmlab._validate import CRMDataError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from crmlab.datasets import Dataset

__all__ = ["date_limits", "load_case", "cut_at"]

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
    levers: Mapping[str, Any] | None = None,
    money_scale: float = 1.0,
) -> "Dataset":
    """The data of one case-study run, cut at the analysis date.

    * ``student_id`` given: the student's personal data (``datasets.load(name,
      student_id=...)``; size and seed as shipped, the seed derived from the id).
      Giving also a size or seed other than the shipped ones is refused.
    * size and seed as shipped (``datasets.DEFAULTS``): the shipped tables.
    * otherwise the scenario generated with that size and seed.

    ``levers`` (from :func:`crmlab.firm_profiles.profile_levers`) make another
    firm: the scenario is generated with them (from the student's seed when a
    ``student_id`` is given). ``money_scale`` multiplies every money column
    (:func:`crmlab.currency.scale_money`), e.g. the units of the report's
    currency per euro. ``analysis_date`` (default: the end of the data) must lie
    within :func:`date_limits`; tables are cut with :func:`cut_at`.

    Raises
    ------
    crmlab.case_parameters.CaseStudyParameterError naming the parameter and the fix.

    Examples
    --------
    >>> ds = load_case("b2b", n_customers=60, seed=3, analysis_date="2024-06-30")
    >>> ds.as_of.date().isoformat(), bool(ds.orders["order_date"].max() <= ds.as_of)
    ('2024-06-30', True)
    """
    import pandas as pd

    from crmlab import datasets
    from crmlab.case_parameters import CaseStudyParameterError

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
    if levers:
        from crmlab._generate import generate_tables
        from crmlab.datasets import Dataset, _coerce

        seed = datasets.student_seed(student_id, name) if student_id is not None else seed
        window = {k: shipped[k] for k in ("start", "end")}
        raw = generate_tables(name, n_customers=n_customers, seed=seed, profile=levers, **window)
        tables = {t: _coerce(name, t, raw[t]) for t in raw}
        ds = Dataset(
            name,
            tables,
            pd.Timestamp(shipped["end"]),
            student_id,
            seed,
            "personal" if student_id is not None else "generated",
        )
    elif student_id is not None:
        ds = datasets.load(name, student_id=student_id)
    elif as_shipped:
        ds = datasets.load(name)
    else:
        ds = datasets.generate(name, n_customers=n_customers, seed=seed)
    if money_scale != 1:
        from crmlab.currency import scale_money
        from crmlab.datasets import Dataset

        ds = Dataset(
            ds.name, scale_money(name, dict(ds.items()), money_scale), ds.as_of, ds.student_id, ds.seed, ds.source
        )
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
        tables["survey_items"] = items.loc[items["response_id"].isin(tables["surveys"]["response_id"])].reset_index(
            drop=True
        )
    return Dataset(ds.name, tables, date, ds.student_id, ds.seed, ds.source)


def firm_case(
    firm: Any, *, analysis_date: Any = None, margin_rate: float | None = None, money_scale: float = 1.0
) -> "Dataset":
    """The data of a case-study run on a firm's own data, cut at the analysis date.

    ``firm`` is :func:`crmlab.firmdata.check_firm_data`'s result; a report with
    an error stops here with every problem listed. Orders without a
    ``gross_margin`` get ``amount * margin_rate`` (so ``margin_rate`` is then
    required). ``analysis_date`` (default: the end of the data) must leave a
    full year of orders before it, since retention compares two years.

    Raises
    ------
    crmlab.firmdata.FirmDataError (the report's errors) or
    crmlab.case_parameters.CaseStudyParameterError naming the parameter and the fix.
    """
    import pandas as pd

    from crmlab.case_parameters import CaseStudyParameterError
    from crmlab.currency import scale_money
    from crmlab.datasets import Dataset

    ds = firm.dataset()  # raises with the report's errors
    tables = dict(ds.items())
    orders = tables["orders"]
    if "gross_margin" not in orders:
        if margin_rate is None:
            raise CaseStudyParameterError(
                "parameter 'margin_rate' = None, and the orders of the firm's data have no 'gross_margin': "
                "give a share of revenue such as 0.3, or map the firm's margin column."
            )
        tables["orders"] = orders.assign(gross_margin=(orders["amount"] * margin_rate).round(2))
    if money_scale != 1:
        tables = scale_money(ds.name, tables, money_scale)
    ds = Dataset(ds.name, tables, ds.as_of, None, None, "firm", ds.location)
    if analysis_date is None:
        return cut_at(ds, ds.as_of)
    date = pd.Timestamp(analysis_date)
    lo = pd.Timestamp(orders["order_date"].min()) + pd.DateOffset(years=1)
    if not lo <= date <= ds.as_of:
        raise CaseStudyParameterError(
            f"parameter 'analysis_date' = {str(analysis_date)!r} is outside {lo.date()} to {ds.as_of.date()}: "
            "the firm's orders must cover the year before the date (retention compares two years)."
        )
    return cut_at(ds, date)
