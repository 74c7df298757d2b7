"""Checks of exercise 11 · CRM in practice (客户关系管理实践).

The exercise notebook is ``exercises/source/11_crm_in_practice.ipynb``. The student computes
two KPIs of the dashboard by hand from their own ``retail`` data -- the yearly churn rate of
2024 (definition 9.1) and the Net Promoter Score of the 2024 survey answers -- and then reads
the dashboard of :func:`crmlab.dashboard.kpi_dashboard` against the targets in
:data:`TARGETS`. Every expected answer is computed from the same data through crmlab.
"""
from __future__ import annotations

from crmlab.checks import Fail, expect_number, expect_type, first_match, register

EXERCISE = "11_crm_in_practice"
#: The KPI year of the exercise (the dataset's as_of is its last day).
YEAR = 2024
#: Targets of exercise 3: KPI -> ("at most" | "at least", target).
TARGETS: dict[str, tuple[str, float]] = {
    "churn_rate": ("at most", 0.35),
    "nps": ("at least", 30.0),
    "complaints_resolved": ("at least", 0.80),
    "acquisition_cost": ("at most", 25.0),
    "top20_share": ("at most", 0.70),
}


def yearly_rates(orders):
    """Yearly retention table (crmlab.loyalty.retention_rates, freq 'YE')."""
    from crmlab.loyalty import retention_rates

    return retention_rates(orders, freq="YE")


def survey_answers(surveys, year: int | None = YEAR):
    """The 0-10 recommend answers of one year (all years with ``None``)."""
    if year is None:
        return surveys["recommend"]
    return surveys.loc[surveys["survey_date"].dt.year == year, "recommend"]


def missed(kpi) -> set[str]:
    """The KPIs of :data:`TARGETS` that miss their target on a dashboard."""
    out = set()
    for k, (direction, target) in TARGETS.items():
        v = float(kpi.loc[k, "value"])
        if (direction == "at most" and v > target) or (direction == "at least" and v < target):
            out.add(k)
    return out


@register(EXERCISE, "churn_2024", points=2)
def _(answer, ctx):
    row = yearly_rates(ctx.data("retail").orders).loc[str(YEAR)]
    expected = float(row["churn"])
    start = row["customers_start"]

    def diagnose(got, exp):
        variants = [
            (1 - row["customers_end"] / start, "You counted the new customers of 2024 as retained: subtract them "
                                               "from the customers active in 2024, as in (9.1)."),
            (1 - row["retained"] / start, "That is the strict churn (active in both years): (9.1) counts "
                                          "customers who came back after a pause as kept."),
            (1 - exp, "That is the retention rate: churn = 1 - retention."),
            (100 * exp, "Your answer is in percent: give the churn rate as a share between 0 and 1."),
        ]
        return first_match(got, exp, variants, 5e-4)

    return expect_number(answer, expected, rtol=0, atol=5e-4, what=f"the churn rate of {YEAR}",
                         hint=f"start = customers active in {YEAR - 1}, end = active in {YEAR}, new = first order "
                              f"ever in {YEAR}; churn = 1 - (end - new) / start.",
                         diagnose=diagnose)


@register(EXERCISE, "nps_2024", points=2)
def _(answer, ctx):
    from crmlab.satisfaction import nps

    surveys = ctx.data("retail").surveys
    year = survey_answers(surveys)
    expected = nps(year).nps

    def diagnose(got, exp):
        variants = [
            (nps(survey_answers(surveys, None)).nps, f"You used the answers of every year: keep the surveys of {YEAR}."),
            (exp / 100, "Your NPS is a share: give it in points, i.e. 100 × (share of promoters - share of detractors)."),
            (100 * ((year >= 8).mean() - (year <= 6).mean()), "Promoters answer 9 or 10; 7 and 8 are passives."),
            (100 * ((year >= 9).mean() - (year <= 5).mean()), "Detractors answer 0 to 6, not 0 to 5."),
            (100 * ((year >= 9).mean() - (year <= 8).mean()), "Passives (7-8) are neither promoters nor "
                                                              "detractors: leave them out of both."),
            (float(year.mean()), "That is the mean answer: NPS = % promoters (9-10) - % detractors (0-6)."),
        ]
        return first_match(got, exp, variants, 0.05)

    return expect_number(answer, expected, rtol=0, atol=0.05, what=f"the NPS of the {YEAR} answers",
                         hint="NPS = 100 × (share answering 9-10 - share answering 0-6) of the recommend item.",
                         diagnose=diagnose)


@register(EXERCISE, "missed_targets", points=2)
def _(answer, ctx):
    import numpy as np
    import pandas as pd

    from crmlab.dashboard import kpi_dashboard

    expected = missed(kpi_dashboard(ctx.data("retail")))
    if isinstance(answer, str):
        raise Fail("Your answer is one text: give a list of KPI names, e.g. ['churn_rate', 'nps'].")
    if isinstance(answer, (pd.Series, pd.Index, np.ndarray)):
        answer = list(answer)
    expect_type(answer, (list, tuple, set), "a list of KPI names")
    given = {str(x).strip() for x in answer}
    unknown = sorted(given - set(TARGETS))
    if unknown:
        raise Fail(f"{unknown} {'is' if len(unknown) == 1 else 'are'} not among the KPIs with a target "
                   f"({', '.join(TARGETS)}).", "Use the KPI names as in the index of the dashboard.")
    if given == set(TARGETS) - expected and given != expected:
        raise Fail("You listed the KPIs that meet their target: the question asks for those that miss it.")
    extra, lacking = sorted(given - expected), sorted(expected - given)
    if extra:
        raise Fail(f"{', '.join(extra)} meet{'s' if len(extra) == 1 else ''} {'its' if len(extra) == 1 else 'their'} "
                   "target: leave it out.",
                   "'at most' targets are missed when the KPI is above them, 'at least' targets when it is below.")
    if lacking:
        raise Fail(f"{len(lacking)} KPI{'s' if len(lacking) > 1 else ''} that miss their target "
                   f"{'are' if len(lacking) > 1 else 'is'} not in your list.",
                   "Compare every KPI of the targets table with the dashboard's value.")
    return None
