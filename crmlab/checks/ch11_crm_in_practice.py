"""Checks of exercise 11 · CRM in practice (客户关系管理实践).

The exercise notebook is ``exercises/source/11_crm_in_practice.ipynb``. The student computes
two KPIs of the dashboard by hand from their own ``retail`` data -- the yearly churn rate of
2024 (definition 9.1) and the Net Promoter Score of the 2024 survey answers -- and then reads
the dashboard of :func:`crmlab.dashboard.kpi_dashboard` against the targets in
:data:`TARGETS`. Every expected answer is computed from the same data through crmlab.
"""

from __future__ import annotations

from crmlab.checks import Fail, expect_number, expect_type, register
from crmlab.checks._compare import once

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


def revenue_per_buyer(orders, year: int | None = YEAR, *, with_returns: bool = False):
    """Revenue per customer from the orders of ``year`` (all years with ``None``), returns left out,
    customers with revenue only -- the base of the dashboard's ``top20_share``."""
    o = orders if year is None else orders.loc[orders["order_date"].dt.year == year]
    if not with_returns:
        o = o.loc[~o["returned"].astype(bool)]
    rev = o.groupby("customer_id")["amount"].sum()
    return rev[rev > 0]


def top_share_variants(rev) -> list[float]:
    """The share of the top 20 %: the interpolated curve and the sums over ⌊0.2 n⌋ and ⌈0.2 n⌉ customers."""
    import math

    from crmlab.segmentation import top_share

    values = rev.sort_values(ascending=False).to_numpy()
    k = 0.2 * len(values)
    sums = [float(values[:n].sum() / values.sum()) for n in sorted({math.floor(k), math.ceil(k)}) if n > 0]
    return [top_share(rev, 0.2), *sums]


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


@register(EXERCISE, "top20_kpi_year", points=2)
def _(answer, ctx):
    from crmlab.segmentation import top_share

    orders = ctx.data("retail").orders
    rev = once(ctx, "revenue", lambda: revenue_per_buyer(orders))
    right, *also = top_share_variants(rev)
    all_years = top_share_variants(revenue_per_buyer(orders, None))
    with_returns = top_share_variants(revenue_per_buyer(orders, with_returns=True))
    values = rev.sort_values().to_numpy()
    bottoms = [float(values[: int(0.2 * len(values))].sum() / values.sum()), 1 - top_share(rev, 0.8)]
    mistakes = [
        (
            v,
            "That is the share over all years, chapter 03's 80/20 figure: the dashboard's KPI counts the "
            f"revenue of the KPI year {YEAR} only.",
        )
        for v in all_years
    ]
    mistakes += [(v, "Your revenue includes returned orders; they were refunded.") for v in with_returns]
    mistakes += [
        (100 * v, "Your answer is a percentage: give the share as a fraction, e.g. 0.63 for 63 %.")
        for v in (right, *also)
    ]
    mistakes += [
        (v, "This is the share of the *bottom* 20 % of customers: sort from the largest revenue down.") for v in bottoms
    ]
    mistakes.append((0.2, "0.2 is the share of customers; the KPI is their share of revenue."))
    return expect_number(
        answer,
        right,
        decimals=3,
        also=also,
        mistakes=mistakes,
        what=f"the top 20 %'s share of revenue in {YEAR}",
        hint=f"Kept orders of {YEAR}, revenue per customer, sorted from largest to smallest: the "
        "first 20 % of these customers' revenue ÷ the total.",
    )


@register(EXERCISE, "nps_2024", points=2)
def _(answer, ctx):
    from crmlab.satisfaction import nps

    surveys = ctx.data("retail").surveys
    year = survey_answers(surveys)
    expected = nps(year).nps

    mistakes = [
        (nps(survey_answers(surveys, None)).nps, f"You used the answers of every year: keep the surveys of {YEAR}."),
        (
            expected / 100,
            "Your NPS is a share: give it in points, i.e. 100 × (share of promoters - share of detractors).",
        ),
        (100 * ((year >= 8).mean() - (year <= 6).mean()), "Promoters answer 9 or 10; 7 and 8 are passives."),
        (100 * ((year >= 9).mean() - (year <= 5).mean()), "Detractors answer 0 to 6, not 0 to 5."),
        (
            100 * ((year >= 9).mean() - (year <= 8).mean()),
            "Passives (7-8) are neither promoters nor detractors: leave them out of both.",
        ),
        (float(year.mean()), "That is the mean answer: NPS = % promoters (9-10) - % detractors (0-6)."),
    ]
    return expect_number(
        answer,
        expected,
        decimals=1,
        mistakes=mistakes,
        what=f"the NPS of the {YEAR} answers",
        hint="NPS = 100 × (share answering 9-10 - share answering 0-6) of the recommend item.",
    )


@register(EXERCISE, "missed_targets", points=2)
def _(answer, ctx):
    import numpy as np
    import pandas as pd

    from crmlab.dashboard import kpi_dashboard

    expected = missed(once(ctx, "kpi", lambda: kpi_dashboard(ctx.data("retail"))))
    if isinstance(answer, str):
        raise Fail("Your answer is one text: give a list of KPI names, e.g. ['churn_rate', 'nps'].")
    if isinstance(answer, (pd.Series, pd.Index, np.ndarray)):
        answer = list(answer)
    expect_type(answer, (list, tuple, set), "a list of KPI names")
    given = {str(x).strip() for x in answer}
    unknown = sorted(given - set(TARGETS))
    if unknown:
        raise Fail(
            f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not among the KPIs with a target "
            f"({', '.join(TARGETS)}).",
            "Use the KPI names as in the index of the dashboard.",
        )
    if given == set(TARGETS) - expected and given != expected:
        raise Fail("You listed the KPIs that meet their target: the question asks for those that miss it.")
    share_all_years = top_share_variants(revenue_per_buyer(ctx.data("retail").orders, None))[0]
    direction, target = TARGETS["top20_share"]
    if ("top20_share" in given) != ("top20_share" in expected) and (share_all_years > target) == (
        "top20_share" in given
    ):
        raise Fail(
            "Your verdict on top20_share follows the share over all years (chapter 03): the dashboard's KPI, "
            f"and the target, are about the KPI year {YEAR} (your answer to exercise 1).",
            "Compare the dashboard's value of top20_share with its target.",
        )
    extra, lacking = sorted(given - expected), sorted(expected - given)
    if extra:
        raise Fail(
            f"{', '.join(extra)} meet{'s' if len(extra) == 1 else ''} {'its' if len(extra) == 1 else 'their'} "
            "target: leave it out.",
            "'at most' targets are missed when the KPI is above them, 'at least' targets when it is below.",
        )
    if lacking:
        raise Fail(
            f"{len(lacking)} KPI{'s' if len(lacking) > 1 else ''} that miss their target "
            f"{'are' if len(lacking) > 1 else 'is'} not in your list.",
            "Compare every KPI of the targets table with the dashboard's value.",
        )
    return None
