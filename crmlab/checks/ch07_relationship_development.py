"""Checks of exercise 07 · Relationship development (关系发展过程).

The exercise notebook is ``exercises/source/07_relationship_development.ipynb``. Expected
answers come from the student's own ``retail`` data: the monthly migration matrix between
the phases of Dwyer, Schurr & Oh (1987) estimated from ``truth_phases`` with
:func:`crmlab.relationship.transition_matrix`, the expected time to dissolution from its
fundamental matrix, and the Markov-chain customer value of Pfeifer & Carraway (2000).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmlab.checks import expect_number, expect_series, register
from crmlab.checks._compare import expect_bars, once
from crmlab.checks.ch06_customer_lifecycle import complete_labels, matches

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

EXERCISE = "07_relationship_development"
#: Net cash flow per customer and month in each phase, given in the exercise.
REWARDS: dict[str, float] = {
    "awareness": 0.0,
    "exploration": 5.0,
    "expansion": 20.0,
    "commitment": 30.0,
    "dissolution": 0.0,
}
#: Discount rate per month given in the exercise (and the yearly rate a student might use instead).
DISCOUNT = 0.01
YEARLY = 0.12


def migration(ds) -> Any:
    """The monthly transition matrix estimated from the dataset's ``truth_phases``."""
    from crmlab import relationship

    return relationship.transition_matrix(ds.truth_phases)


def exploration_variants(ds) -> dict[str, "pd.Series"]:
    """The right exploration row and the rows that typical mistakes give."""
    from crmlab.relationship import PHASES

    tp = ds.truth_phases.sort_values(["customer_id", "month"])
    phase = tp["phase"].astype(str)
    right = migration(ds)
    no_group = phase.shift(-1)  # next row, even when it belongs to another customer
    expl = phase == "exploration"

    def shares(s: "pd.Series") -> "pd.Series":
        return s.value_counts(normalize=True).reindex(list(PHASES), fill_value=0.0)

    into = right.counts["exploration"].astype(float)
    return {
        "right": right.probabilities.loc["exploration"].rename("probability"),
        "counts": right.counts.loc["exploration"].astype(float),
        "no_group": shares(no_group[expl].dropna()),
        "row_shares": shares(phase),
        "into": into / into.sum() if into.sum() else into,
    }


@register(EXERCISE, "exploration_row", points=2)
def _(answer, ctx):
    v = once(ctx, "exploration", lambda: exploration_variants(ctx.data("retail")))
    expected = v["right"]
    expected.index = expected.index.astype(str)

    def same(got, other) -> bool:
        return matches(got, other, atol=5e-4)

    def diagnose(got, exp):
        if same(got, v["counts"]):
            return (
                "These are the numbers of moves out of exploration, not probabilities: divide each by "
                "their total so that the row sums to 1."
            )
        if abs(float(got.sum()) - 1.0) > 1e-3:
            return (
                f"Your probabilities add up to {float(got.sum()):.3f}, not 1: every customer in exploration "
                "goes somewhere next month (staying included), so divide by all moves out of exploration."
            )
        if same(got, v["row_shares"]):
            return (
                "These are the shares of all rows in each phase, not where explorers go next: pair each "
                "row with the same customer's next month."
            )
        if same(got, v["into"]):
            return (
                "These are the moves *into* exploration (a column of the matrix); the exercise asks for "
                "the moves *out of* exploration (its row)."
            )
        if same(got, v["no_group"]):
            return (
                "Your next phases run across customers: the last month of one customer was paired with "
                "the first month of the next. Shift within each customer: "
                ".groupby('customer_id')['phase'].shift(-1)."
            )
        return None

    return expect_series(
        complete_labels(answer, expected),
        expected,
        rtol=1e-6,
        decimals=3,
        what="the transition probabilities out of exploration",
        entity="phases",
        hint="Sort by customer and month, pair each month with the same customer's next month, keep the "
        "pairs that start in exploration and take value_counts(normalize=True) of the next phase.",
        diagnose=diagnose,
    )


@register(EXERCISE, "months_to_dissolution", points=1)
def _(answer, ctx):
    from crmlab.relationship import expected_time_to_absorption

    tm = once(ctx, "migration", lambda: migration(ctx.data("retail")))
    exp = float(expected_time_to_absorption(tm)["expansion"])
    p = tm.probabilities.loc["expansion"]
    mistakes = [
        (
            exp - 1,
            "Your answer is exactly one month short: the expected time counts the current month too "
            "(t = N 1 with N = (I - Q)^-1).",
        )
    ]
    if p["dissolution"] > 0:
        mistakes.append(
            (
                1 / p["dissolution"],
                "1 / P(dissolve) treats expansion as if customers stayed there until "
                "they dissolve; many move on to commitment first, where they stay "
                "longer. Use the fundamental matrix.",
            )
        )
    if p["expansion"] < 1:
        mistakes.append(
            (
                1 / (1 - p["expansion"]),
                "That is the expected time spent in expansion only, not until "
                "dissolution: use the fundamental matrix of all transient phases.",
            )
        )
    return expect_number(
        answer,
        exp,
        decimals=2,
        mistakes=mistakes,
        what="the expected months to dissolution from expansion",
        hint="relationship.expected_time_to_absorption(tm) gives the expected months from every phase.",
    )


def clv_variants(ds) -> dict[str, "pd.Series"]:
    """Markov CLV per phase with the exercise's rewards: right, undiscounted, yearly rate as monthly."""
    from crmlab.relationship import markov_clv

    from crmlab._validate import CRMDataError

    tm = migration(ds)
    right = markov_clv(tm, REWARDS, DISCOUNT)
    try:
        undiscounted = markov_clv(tm, REWARDS, 0.0)
    except CRMDataError:  # a phase never left that pays a reward: the undiscounted sum is infinite
        undiscounted = right * float("nan")
    return {"right": right, "undiscounted": undiscounted, "yearly": markov_clv(tm, REWARDS, YEARLY)}


@register(EXERCISE, "clv_by_phase", points=2)
def _(answer, ctx):
    v = once(ctx, "clv", lambda: clv_variants(ctx.data("retail")))
    expected = v["right"].copy()
    expected.index = expected.index.astype(str)

    def diagnose(got, exp):
        def same(other):
            return matches(got, other, atol=0.01)

        if same(v["undiscounted"]):
            return (
                "Your values are not discounted: future months count at full value. Discount at 1% a "
                "month (discount=0.01)."
            )
        if same(v["yearly"]):
            return (
                "You used 12% per month: the discount rate must be per month, like the transition "
                "probabilities (1% a month)."
            )
        if same(v["right"] - v["right"].index.map(REWARDS).to_numpy(dtype=float)):
            return "Your values leave out the current month's reward; V includes it (t = 0, undiscounted)."
        return None

    return expect_series(
        complete_labels(answer, expected),
        expected,
        rtol=1e-6,
        decimals=2,
        what="the Markov customer value of each phase",
        entity="phases",
        hint="relationship.markov_clv(tm, rewards, discount=0.01), or V = (I - P/(1+d))^-1 R.",
        diagnose=diagnose,
    )


@register(EXERCISE, "max_onboarding_spend", points=1)
def _(answer, ctx):
    clv = once(ctx, "clv", lambda: clv_variants(ctx.data("retail")))["right"]
    exp = float(clv["expansion"] - clv["exploration"])
    mistakes = [
        (-exp, "The sign is the wrong way round: the gain is V(expansion) - V(exploration)."),
        (
            float(clv["expansion"]),
            "That is the whole value of an expansion customer; the explorer is already worth "
            "V(exploration), so only the difference is gained.",
        ),
        (
            float(clv["commitment"] - clv["exploration"]),
            "That is the gain of moving an explorer to commitment; the exercise asks about expansion.",
        ),
    ]
    return expect_number(
        answer,
        exp,
        decimals=2,
        mistakes=mistakes,
        what="the value gained by moving an explorer to expansion",
        hint="Subtract the value of a customer in exploration from the value in expansion.",
    )


@register(EXERCISE, "clv_chart", points=1)
def _(answer, ctx):
    v = once(ctx, "clv", lambda: clv_variants(ctx.data("retail")))
    right = v["right"].rename(index=str)
    return expect_bars(
        answer,
        right,
        what="the Markov customer value of each phase",
        entity="phases",
        allow_missing=("dissolution",),
        mistakes=[
            (
                v["undiscounted"].rename(index=str),
                "Your bars are not discounted: plot the values of exercise 3 (discount=0.01).",
            ),
            (v["yearly"].rename(index=str), "Your bars use 12% per month: plot the values of exercise 3 (1% a month)."),
        ],
        hint="Plot your values as bars, one per phase: clv.plot.bar() (dissolution may be left out).",
    )
