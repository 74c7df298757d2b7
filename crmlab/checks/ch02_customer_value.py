"""Checks of exercise 02 · Customer value (客户价值).

The exercise notebook is ``exercises/source/02_customer_value.ipynb``. Expected answers are
computed with crmlab:

1. Kotler's customer delivered value (客户让渡价值) of the "Showroom" offer of :data:`OFFERS`
   (:func:`crmlab.value.delivered_value`): TCV − TCC and TCV / TCC;
2. the winner among the offers by difference and by ratio (:func:`crmlab.value.compare_offers`);
3. what the student's own retail customers value: the mean importance of every survey attribute,
   and the important attribute where the retailer performs worst
   (:func:`crmlab.satisfaction.importance_performance`), plus a bar chart.

The computing checks diagnose the typical mistakes: only the price subtracted, value and cost
swapped, the ratio inverted or taken of the delivered value, perception or expectation averaged
instead of importance, sums instead of means, the most important attribute instead of the
important one performing worst.
"""

from __future__ import annotations

import math

import pandas as pd

from crmlab.checks import Fail, expect_choice, expect_number, expect_series, register
from crmlab.checks._compare import _norm_label, expect_bars, once
from crmlab.checks._messages import _examples, _plural

EXERCISE = "02_customer_value"

#: The offers of exercises 1 and 2 (a sofa bought in a showroom or from a web shop), in currency units.
OFFERS: dict[str, dict[str, float]] = {
    "Showroom": {
        "product": 1200,
        "service": 300,
        "personnel": 150,
        "image": 250,
        "monetary": 1400,
        "time": 120,
        "energy": 80,
        "psychic": 60,
    },
    "Web shop": {
        "product": 1100,
        "service": 120,
        "personnel": 30,
        "image": 100,
        "monetary": 900,
        "time": 40,
        "energy": 100,
        "psychic": 90,
    },
}


def offers_table() -> pd.DataFrame:
    """:data:`OFFERS` as the input table of :func:`crmlab.value.compare_offers`."""
    return pd.DataFrame.from_dict(OFFERS, orient="index").rename_axis("offer").reset_index()


def showroom():
    from crmlab.value import delivered_value

    return delivered_value(**OFFERS["Showroom"])


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


# --------------------------------------------------------------------------------------
# Exercise 1 · Delivered value of one offer
# --------------------------------------------------------------------------------------
@register(EXERCISE, "delivered_value", points=1)
def _(answer, ctx):
    d = showroom()

    def diagnose(got, exp):
        if _close(got, d.total_value - d.monetary):
            return (
                "You subtracted only the price. Total customer cost (顾客总成本) also counts the time, "
                "energy and psychic costs."
            )
        if _close(got, -exp):
            return "Your sign is reversed: delivered value = total customer value − total customer cost."
        if _close(got, d.total_value):
            return "This is the total customer value; subtract the total customer cost from it."
        return None

    return expect_number(
        answer,
        d.delivered_value,
        decimals=2,
        what="the delivered value of the Showroom offer",
        hint="Add the four value components, add the four cost components, subtract.",
        diagnose=diagnose,
    )


@register(EXERCISE, "value_ratio", points=1)
def _(answer, ctx):
    d = showroom()

    def diagnose(got, exp):
        if _close(got, d.total_cost / d.total_value):
            return "You divided cost by value: the value ratio is total customer value / total customer cost."
        if _close(got, d.delivered_value / d.total_cost):
            return "You divided the delivered value (TCV − TCC) by the cost. The value ratio (2.3) is TCV / TCC."
        if _close(got, d.total_value / d.monetary):
            return "You divided by the price only; divide by the total customer cost (all four costs)."
        return None

    return expect_number(
        answer,
        d.value_ratio,
        decimals=2,
        what="the value ratio of the Showroom offer",
        hint="value ratio = total customer value / total customer cost.",
        diagnose=diagnose,
    )


# --------------------------------------------------------------------------------------
# Exercise 2 · Which offer wins?
# --------------------------------------------------------------------------------------
def winners() -> tuple[list[str], list[str]]:
    """Offers ranked first by delivered value and by value ratio (ties: all of them)."""
    from crmlab.value import compare_offers

    t = compare_offers(offers_table())
    return list(t.index[t["rank"] == 1]), list(t.index[t["rank_by_ratio"] == 1])


#: criterion -> (its name in messages, its formula, the rank column of compare_offers, what it measures)
_CRITERIA = {
    "difference": ("difference (TCV − TCC)", "TCV − TCC", "rank", "delivered value"),
    "ratio": ("ratio (TCV / TCC)", "TCV / TCC", "rank_by_ratio", "value ratio"),
}


def _winner(answer, criterion: str) -> None:
    """The winner by one criterion; an answer that wins by the other one gets its own message."""
    by_diff, by_ratio = winners()
    mine, other = (by_diff, by_ratio) if criterion == "difference" else (by_ratio, by_diff)
    name, formula, column, measure = _CRITERIA[criterion]
    other_name = _CRITERIA["ratio" if criterion == "difference" else "difference"][0]
    try:
        expect_choice(answer, other, choices=list(OFFERS))
    except Fail:
        pass
    else:
        if set(mine) != set(other):
            raise Fail(
                f"That offer wins by {other_name}, not by {name}.",
                hint=f"Compare {formula} (value.compare_offers gives '{column}').",
            )
    return expect_choice(
        answer,
        mine,
        choices=list(OFFERS),
        what=f"the winner by {measure}",
        hint=f"Compare {formula} of the two offers.",
    )


@register(EXERCISE, "winner_by_difference", points=1)
def _(answer, ctx):
    return _winner(answer, "difference")


@register(EXERCISE, "winner_by_ratio", points=1)
def _(answer, ctx):
    return _winner(answer, "ratio")


# --------------------------------------------------------------------------------------
# Exercise 3 · What do our customers value?
# --------------------------------------------------------------------------------------
def ipa(ds) -> pd.DataFrame:
    from crmlab.satisfaction import importance_performance

    return importance_performance(ds.survey_items)


def _mean_of(ds, column: str) -> pd.Series:
    items = ds.survey_items
    return items.groupby(items["attribute"].astype(str))[column].mean()


@register(EXERCISE, "mean_importance", points=2)
def _(answer, ctx):
    ds = ctx.data("retail")
    expected = once(ctx, "ipa", lambda: ipa(ds))["importance"].rename("importance")
    expected.index = expected.index.astype(str)
    items = ds.survey_items

    def diagnose(got, exp):
        for column in ("perception", "expectation"):
            if (got - _mean_of(ds, column).reindex(got.index)).abs().max() < 1e-6:
                return f"You averaged the '{column}' column; the importance is in the column 'importance'."
        sums = items.groupby(items["attribute"].astype(str))["importance"].sum().reindex(got.index)
        if (got - sums).abs().max() < 1e-6:
            return "These are sums of the ratings; take the mean importance of each attribute."
        medians = items.groupby(items["attribute"].astype(str))["importance"].median().reindex(got.index)
        if (got - medians).abs().max() < 1e-6:
            return "These are medians; take the mean importance of each attribute."
        return None

    return expect_series(
        answer,
        expected,
        decimals=2,
        what="the mean importance per attribute",
        entity="attributes",
        diagnose=diagnose,
        hint="Group ds.survey_items by 'attribute' and take the mean of 'importance'.",
    )


def concentrate_set(t: pd.DataFrame) -> list[str]:
    """The attributes customers find important (importance at or above the mean over the attributes)
    on which the retailer performs below its mean performance: where more value is won first."""
    hit = (t["importance"] >= t["importance"].mean()) & (t["performance"] < t["performance"].mean())
    return sorted(str(a) for a in t.index[hit])


def _names(answer) -> list[str]:
    """A list, tuple, set, Index or Series of names (a Series: its values, or its index if boolean)."""
    import numpy as np

    if isinstance(answer, pd.Series):
        answer = list(answer.index[answer.astype(bool)]) if answer.dtype == bool else list(answer)
    if isinstance(answer, (pd.Index, np.ndarray)):
        answer = list(answer)
    if isinstance(answer, str):
        raise Fail(
            f"Your answer is the one name {answer.strip()!r}; the exercise asks for a list of names.",
            "Put the names in a list, e.g. list(important.index).",
        )
    if not isinstance(answer, (list, tuple, set, frozenset)):
        raise Fail("Your answer is not a list of attribute names.", "Store a list, e.g. ['quick answers', ...].")
    return [str(a).strip() for a in answer]


@register(EXERCISE, "concentrate_here", points=1)
def _(answer, ctx):
    t = once(ctx, "ipa", lambda: ipa(ctx.data("retail")))
    expected = concentrate_set(t)
    names = _names(answer)
    known = {_norm_label(a): str(a) for a in t.index}
    unknown = [n for n in names if _norm_label(n) not in known]
    if unknown:
        raise Fail(
            f"{_examples(unknown)} {'is' if len(unknown) == 1 else 'are'} not among the survey attributes.",
            "Use the names of the index of the importance-performance table.",
        )
    got = {known[_norm_label(n)] for n in names}
    exp = set(expected)
    if got == exp:
        return None
    important = {str(a) for a in t.index[t["importance"] >= t["importance"].mean()]}
    weak = {str(a) for a in t.index[t["performance"] < t["performance"].mean()]}
    if got == {str(t["importance"].idxmax())}:
        raise Fail(
            "That is only the most important attribute; the exercise asks for every important attribute "
            "on which the retailer performs below the average.",
            "Keep every attribute with importance at or above the mean AND performance below the mean.",
        )
    if got == weak:
        raise Fail(
            "These are all the attributes that perform below the average, the unimportant ones too: "
            "customers care less about some of them.",
            "Keep only attributes with importance at or above the mean importance.",
        )
    if got == important:
        raise Fail(
            "These are all the important attributes, also those the retailer already does well.",
            "Keep only those whose mean performance (perception) is below the mean performance.",
        )
    extra, lacking = sorted(got - exp), sorted(exp - got)
    parts = []
    if extra:
        parts.append(f"{_examples(extra, 5)} should not be in it")
    if lacking:
        parts.append(f"{_plural(len(lacking), 'attributes')} {'is' if len(lacking) == 1 else 'are'} missing")
    raise Fail(
        "Your list is not right: " + "; ".join(parts) + ".",
        "satisfaction.importance_performance(ds.survey_items) gives both means per attribute; compare "
        "each with the mean over the attributes.",
    )


@register(EXERCISE, "importance_chart", points=1)
def _(answer, ctx):
    ds = ctx.data("retail")
    t = once(ctx, "ipa", lambda: ipa(ds))
    return expect_bars(
        answer,
        t["importance"],
        what="the mean importance of each attribute",
        entity="attributes",
        unit=("1-7", "1–7", "1 to 7", "scale"),
        value_axis_words="mean importance",
        mistakes=[
            (
                t["performance"],
                "Your bars show the mean performance (perception); the chart asks for the mean importance.",
            ),
            (
                _mean_of(ds, "expectation"),
                "Your bars show the mean expectation; the chart asks for the mean importance.",
            ),
        ],
        hint="Draw e.g. mean_importance.sort_values().plot.barh(), then set a title and label both axes "
        "(with the scale, 1-7).",
    )


# --------------------------------------------------------------------------------------
# Exercise 4 · The principles of value design (价值设计的原则)
# --------------------------------------------------------------------------------------
#: The four principles of value design of the course: 1 allocate resources by customer lifetime
#: value; 2 adjust the value mix as the customer's lifecycle changes; 3 interactive and two-way,
#: drawing on the initiative of staff and customers; 4 creating value does not always mean adding.
PRINCIPLES: dict[int, str] = {
    1: "allocate resources by customer lifetime value",
    2: "adjust the value mix to the customer's lifecycle stage",
    3: "interactive and two-way: use the initiative of staff and customers",
    4: "creating value does not always mean adding something",
}
#: The statements of exercise 4 and the principle each one applies.
DESIGNS: dict[str, tuple[str, int]] = {
    "A": (
        "Customers with the highest expected lifetime value get a personal adviser; occasional buyers are "
        "served well online.",
        1,
    ),
    "B": (
        "New customers get a welcome guide and a first-order check call; long-standing customers get early "
        "access to new ranges.",
        2,
    ),
    "C": (
        "Customers vote on next season's fabrics, and shop staff propose the service changes they see are needed.",
        3,
    ),
    "D": ("The shop stops printing a catalogue few customers read and gives faster delivery instead.", 4),
}


@register(EXERCISE, "design_principles", points=1)
def _(answer, ctx):
    from crmlab.checks._compare import expect_labels

    aliases = {str(k): str(k) for k in PRINCIPLES} | {f"{k}.0": str(k) for k in PRINCIPLES}
    if isinstance(answer, dict):
        answer = {
            k: str(int(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer() else v
            for k, v in answer.items()
        }
    return expect_labels(
        answer,
        {k: str(p) for k, (_, p) in DESIGNS.items()},
        aliases,
        what="your principle numbers",
        hint="Ask of each design: does it spend by what a customer is worth (1), change with the "
        "stage of the relationship (2), involve customers and staff (3), or take something "
        "away (4)?",
    )
