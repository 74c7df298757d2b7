"""Checks of exercise 08 · Satisfaction and complaints (顾客满意度, 投诉处理).

The exercise notebook is ``exercises/source/08_satisfaction_and_complaints.ipynb``. Every
expected answer is computed from the student's own ``retail`` data through
:mod:`crmlab.satisfaction`: the Net Promoter Score (Reichheld 2003), expectation-
disconfirmation per attribute (Oliver 1980), the importance-performance quadrant
(Martilla & James 1977) and the complaint-handling measures.
"""

from __future__ import annotations

from crmlab.checks import Fail, expect_choice, expect_frame, expect_number, register
from crmlab.checks._compare import expect_bars, once

EXERCISE = "08_satisfaction_and_complaints"
#: The attribute whose importance-performance quadrant exercise 3 asks for: one whose quadrant
#: changes when the crosshairs sit at the scale midpoint or when the two axes are swapped, so that
#: both typical mistakes show (tests/test_checks_students.py holds this for every student).
IPA_ATTRIBUTE = "staff friendliness"
#: The chapter prints shares and hours with two decimals.
DECIMALS = 2
#: How near a typical mistake's table must be to be named (half a unit of the printed decimals).
ROUNDING = 0.005 + 1e-9


def nps_variants(recommend) -> dict[str, float]:
    """NPS in points, and what typical slips give instead (for the diagnoses)."""
    import numpy as np

    v = np.asarray(recommend, dtype=float)

    def pts(pro, det):
        return float(100 * (pro.mean() - det.mean()))

    return {
        "right": pts(v >= 9, v <= 6),
        "detractors 0-5": pts(v >= 9, v <= 5),
        "promoters 7-10": pts(v >= 7, v <= 6),
        "promoters 8-10": pts(v >= 8, v <= 6),
        "passives as detractors": pts(v >= 9, v <= 8),
        "promoters share": float(100 * (v >= 9).mean()),
        "mean": float(v.mean()),
    }


def complaint_handling(interactions):
    """Share of complaints resolved and median hours to resolve, per topic (complaints only)."""
    from crmlab.satisfaction import complaint_summary

    base = interactions[["customer_id"]].drop_duplicates()
    table = complaint_summary(interactions, customers=base, by="topic").drop(index="all")
    table.index = table.index.astype(str)
    table.index.name = "topic"
    return table[["share_resolved", "median_hours"]]


@register(EXERCISE, "nps", points=2)
def _(answer, ctx):
    variants = nps_variants(ctx.data("retail").surveys["recommend"])
    expected = variants["right"]
    messages = {
        "detractors 0-5": "You counted detractors as 0-5: detractors answer 0 to 6.",
        "promoters 7-10": "You counted 7 and 8 as promoters: those are passives, promoters answer 9 or 10.",
        "promoters 8-10": "You counted 8 as a promoter: promoters answer 9 or 10, 7-8 are passives.",
        "passives as detractors": (
            "You counted the passives (7-8) as detractors: passives count in the base but in neither share."
        ),
        "promoters share": "That is the share of promoters only: subtract the share of detractors.",
        "mean": "That is the mean answer, not the NPS: count promoters (9-10) and detractors (0-6).",
    }
    mistakes = [
        (
            expected / 100,
            "Your answer is a share between -1 and 1: NPS is given in points, so multiply "
            "the difference of the shares by 100.",
        ),
        (-expected, "Your answer has the wrong sign: NPS = % promoters - % detractors."),
    ]
    mistakes += [(variants[name], text) for name, text in messages.items()]
    return expect_number(
        answer,
        expected,
        decimals=1,
        what="the Net Promoter Score in points",
        mistakes=mistakes,
        hint="Promoters answer 9-10, detractors 0-6, passives 7-8 count in neither; "
        "NPS = 100 x (share of promoters - share of detractors).",
    )


@register(EXERCISE, "worst_gap", points=1)
def _(answer, ctx):
    from crmlab.satisfaction import disconfirmation

    items = ctx.data("retail").survey_items
    disc = disconfirmation(items)
    worst = disc.index[disc["disconfirmation"] == disc["disconfirmation"].min()].astype(str).tolist()
    if isinstance(answer, str) and answer.strip().casefold() not in {w.casefold() for w in worst}:
        a = answer.strip().casefold()
        lowest_p = str(disc["perception"].idxmin())
        highest_e = str(disc["expectation"].idxmax())
        best = str(disc["disconfirmation"].idxmax())
        if a == best.casefold():
            raise Fail(
                f"{answer.strip()!r} has the largest *positive* gap: the gap is perception - "
                "expectation, and you need the most negative one."
            )
        if a == lowest_p.casefold():
            raise Fail(
                f"{answer.strip()!r} has the lowest perception, but satisfaction compares perception with expectation.",
                "Subtract the mean expectation from the mean perception per attribute.",
            )
        if a == highest_e.casefold():
            raise Fail(
                f"{answer.strip()!r} has the highest expectation, but the gap compares it with the perception.",
                "Subtract the mean expectation from the mean perception per attribute.",
            )
    return expect_choice(
        answer,
        worst,
        choices=sorted(disc.index.astype(str)),
        what="the attribute with the largest negative gap",
        hint="Group survey_items by attribute, take mean perception - mean expectation, "
        "and pick the smallest (most negative) value with .idxmin().",
    )


@register(EXERCISE, "ipa_quadrant", points=1)
def _(answer, ctx):
    from crmlab.satisfaction import IPA_QUADRANTS, importance_performance

    items = ctx.data("retail").survey_items
    ipa = importance_performance(items)
    expected = str(ipa.loc[IPA_ATTRIBUTE, "quadrant"])
    if isinstance(answer, str) and answer.strip().casefold() != expected.casefold():
        a = answer.strip().casefold()
        mid = str(importance_performance(items, crosshair="midpoint").loc[IPA_ATTRIBUTE, "quadrant"])
        row = ipa.loc[IPA_ATTRIBUTE]
        swapped = IPA_QUADRANTS[
            (
                bool(row["performance"] >= ipa.attrs["performance_line"]),
                bool(row["importance"] >= ipa.attrs["importance_line"]),
            )
        ]
        if a == mid.casefold() and mid != expected:
            raise Fail(
                f"{answer.strip()!r} is the quadrant with the crosshairs at the scale midpoint (4); "
                "this exercise puts them at the means over the attributes.",
                "Compare the attribute with the mean importance and the mean performance of all attributes.",
            )
        if a == swapped.casefold() and swapped != expected:
            raise Fail(
                f"{answer.strip()!r} is what you get with importance and performance swapped.",
                "High importance and low performance is 'Concentrate here'.",
            )
    return expect_choice(
        answer,
        expected,
        choices=sorted(set(IPA_QUADRANTS.values())),
        what=f"the quadrant of {IPA_ATTRIBUTE!r}",
        hint="satisfaction.importance_performance(ds.survey_items) gives every attribute's quadrant.",
    )


@register(EXERCISE, "complaint_handling", points=2)
def _(answer, ctx):
    inter = ctx.data("retail").interactions
    expected = once(ctx, "complaints", lambda: complaint_handling(inter))

    def diagnose(got, exp):
        alt = once(ctx, "complaints_all", lambda: complaint_handling(inter.assign(kind="complaint")))
        if ((got["share_resolved"] - alt["share_resolved"]).abs() < ROUNDING).all():
            return (
                "Your figures include the inquiries: keep only the rows with kind == 'complaint' "
                "before grouping by topic."
            )
        mean_h = inter[inter["kind"] == "complaint"].groupby("topic", observed=True)["resolution_hours"].mean()
        mean_h.index = mean_h.index.astype(str)
        if ((got["median_hours"] - mean_h.reindex(got.index)).abs() < ROUNDING).all():
            return "Your hours are the mean time to resolve: the exercise asks for the median."
        if ((got["share_resolved"] * 0.01 - exp["share_resolved"]).abs() < ROUNDING).all():
            return "Your share resolved is in percent: give it as a share between 0 and 1."
        return None

    return expect_frame(
        answer,
        expected,
        key="topic",
        columns=["share_resolved", "median_hours"],
        decimals=DECIMALS,
        what="the table of complaint handling per topic",
        entity="topics",
        hints={
            "share_resolved": "The mean of the True/False column resolved is the share resolved.",
            "median_hours": "Use .median() of resolution_hours.",
        },
        diagnose=diagnose,
    )


@register(EXERCISE, "gap_chart", points=1)
def _(answer, ctx):
    from crmlab.satisfaction import disconfirmation

    disc = disconfirmation(ctx.data("retail").survey_items)
    disc.index = disc.index.astype(str)
    return expect_bars(
        answer,
        disc["disconfirmation"],
        what="the gap (perception - expectation) of each attribute",
        entity="attributes",
        mistakes=[
            (
                disc["perception"],
                "Your bars show the mean perception; the chart asks for the gap, perception - expectation.",
            ),
            (
                disc["expectation"],
                "Your bars show the mean expectation; the chart asks for the gap, perception - expectation.",
            ),
            (
                -disc["disconfirmation"],
                "Your gaps have the wrong sign: the gap is perception - "
                "expectation, negative where the shop disappoints.",
            ),
        ],
        hint="Plot the disconfirmation column of the table: disc['disconfirmation'].plot.barh().",
    )
