"""Checks of exercise 03 · Segmentation (客户细分).

The exercise notebook is ``exercises/source/03_segmentation.ipynb``. Expected answers are
computed from the student's own retail data with crmlab:

1. the share of revenue (kept orders, :func:`crmlab.profitability.customer_revenue`) brought by
   the top 20 % of customers (:func:`crmlab.segmentation.top_share`) and the Pareto figure;
2. the number of customers in each ABC class at 80 % / 95 % of cumulative revenue
   (:func:`crmlab.segmentation.abc_classes`);
3. k-means with k = 4 on the chapter's features (:func:`crmlab.segmentation.customer_features`,
   :func:`crmlab.segmentation.kmeans_segments` with ``seed=0, n_init=4``): the segment with the
   largest mean order value and the product category that dominates its spend.

Typical mistakes diagnosed: sorting ascending (the bottom 20 %), returned orders counted as
revenue, percentages for fractions, the customer who crosses the 80 % line put in class B,
classes cut by share of customers (as the pyramid does), the largest segment for the one with
the largest baskets.
"""

from __future__ import annotations

import math

import pandas as pd

from crmlab.checks import Fail, expect_axes, expect_choice, expect_number, expect_series, register
from crmlab.checks._compare import once
from crmlab.checks._messages import _fmt, _plural

EXERCISE = "03_segmentation"
K, SEED, N_INIT = 4, 0, 4


def revenue(ds, *, with_returns: bool = False) -> pd.Series:
    """Revenue per customer from kept orders (or, for the typical mistake, from all orders)."""
    from crmlab.profitability import customer_revenue

    return customer_revenue(ds.orders, customer="customer_id", returned=None if with_returns else "returned")["revenue"]


# --------------------------------------------------------------------------------------
# Exercise 1 · The 80/20 rule
# --------------------------------------------------------------------------------------
def top20_alternatives(rev: pd.Series) -> list[float]:
    """Other right answers to "the top 20 %'s share": summing the first ⌊0.2 n⌋ or ⌈0.2 n⌉ customers
    instead of reading the interpolated curve (:func:`crmlab.segmentation.top_share`)."""
    values = rev.sort_values(ascending=False).to_numpy()
    total = float(values.sum())
    k = 0.2 * len(values)
    return [float(values[:n].sum()) / total for n in sorted({math.floor(k), math.ceil(k)}) if n > 0]


@register(EXERCISE, "top20_share", points=2)
def _(answer, ctx):
    from crmlab.segmentation import top_share

    ds = ctx.data("retail")
    rev = once(ctx, "revenue", lambda: revenue(ds))
    exp = top_share(rev, 0.2)
    with_returns = once(ctx, "revenue_with_returns", lambda: revenue(ds, with_returns=True))
    mistakes = [
        (
            1 - top_share(rev, 0.8),
            "This is the share of the *bottom* 20 % of customers: sort the revenues in "
            "descending order (ascending=False) before taking the top 20 %.",
        ),
        (
            top_share(with_returns, 0.2),
            "Your revenue includes returned orders; they were refunded and bring no revenue.",
        ),
        *[
            (v, "Your revenue includes returned orders; they were refunded and bring no revenue.")
            for v in top20_alternatives(with_returns)
        ],
        *[
            (100 * v, "Your answer is a percentage: give the share as a fraction, e.g. 0.71 for 71 %.")
            for v in (exp, *top20_alternatives(rev))
        ],
        (
            float(rev.sort_values().iloc[: int(0.2 * len(rev))].sum() / rev.sum()),
            "This is the share of the *bottom* 20 % of customers: sort the revenues in descending order "
            "(ascending=False) before taking the top 20 %.",
        ),
        (0.2, "0.2 is the share of customers; the question asks for their share of revenue."),
    ]
    return expect_number(
        answer,
        exp,
        decimals=3,
        also=top20_alternatives(rev),
        mistakes=mistakes,
        what="the share of revenue of the top 20 % of customers",
        hint="Revenue per customer from kept orders, sorted from largest to smallest; the "
        "first 20 % of customers' revenue divided by total revenue.",
    )


def _curve_at(line: dict, x0: float) -> float | None:
    """The value of a drawn line at the share ``x0`` of customers (shares or percentages), or None."""
    import numpy as np

    try:
        xs = np.array([np.nan if v is None else float(v) for v in line.get("x", [])])
        ys = np.array([np.nan if v is None else float(v) for v in line.get("y", [])])
    except (TypeError, ValueError):  # a line over text categories
        return None
    ok = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = xs[ok], ys[ok]
    if len(xs) < 3 or np.any(np.diff(xs) < 0):
        return None
    x_scale = 100.0 if xs.max() > 1.5 else 1.0
    y_scale = 100.0 if ys.max() > 1.5 else 1.0
    return float(np.interp(x0 * x_scale, xs, ys)) / y_scale


@register(EXERCISE, "pareto_figure", points=1)
def _(answer, ctx):
    from crmlab.checks._answers import describe_figure
    from crmlab.segmentation import top_share

    expect_axes(answer, hint="plots.plot_pareto(segmentation.pareto_table(revenue)) returns the Axes.")
    d = describe_figure(answer)
    if d.get("kind") == "figure":
        d = d["axes"][0]
    rev = once(ctx, "revenue", lambda: revenue(ctx.data("retail")))
    top, bottom = top_share(rev, 0.2), 1 - top_share(rev, 0.8)
    at = [v for v in (_curve_at(line, 0.2) for line in d.get("lines", [])) if v is not None]
    if any(abs(v - top) <= 0.01 for v in at):
        return None
    if any(abs(v - bottom) <= 0.01 for v in at):
        raise Fail(
            "Your curve starts with the smallest customers (a Lorenz curve): the Pareto curve ranks customers "
            "from the most valuable down.",
            "Sort by revenue in descending order, or use plots.plot_pareto.",
        )
    raise Fail(
        "Your figure does not show the cumulative share of revenue by customers ranked from the most "
        "valuable: at 20 % of the customers the curve should reach the top 20 %'s share of exercise 1.",
        "plots.plot_pareto(segmentation.pareto_table(revenue)) draws it.",
    )


# --------------------------------------------------------------------------------------
# Exercise 2 · ABC classes
# --------------------------------------------------------------------------------------
def abc_counts(ds) -> pd.Series:
    from crmlab.segmentation import abc_classes

    classes = abc_classes(revenue(ds), thresholds=(0.8, 0.95))["class"]
    counts = classes.value_counts().reindex(["A", "B", "C"])
    counts.index = counts.index.astype(str)
    return counts.rename("customers")


@register(EXERCISE, "abc_counts", points=2)
def _(answer, ctx):
    ds = ctx.data("retail")
    expected = once(ctx, "abc", lambda: abc_counts(ds))

    def diagnose(got, exp):
        d = (got - exp).to_numpy()
        if d[0] == -1 and d.sum() == 0:
            return (
                "One customer too few in class A: the customer whose revenue crosses the 80 % line is "
                "still an A (a class is decided by the share reached by the customers ranked above)."
            )
        n = int(exp.sum())
        by_customers = pd.Series([round(0.2 * n), round(0.3 * n), n - round(0.2 * n) - round(0.3 * n)], index=exp.index)
        if (got - by_customers).abs().max() <= 1 and (got - exp).abs().max() > 1:
            return (
                "You split the customers by share of customers (20 / 30 / 50 %). ABC classes cut the "
                "cumulative share of *revenue* at 80 % and 95 %."
            )
        if int(got.sum()) != n:
            return (
                f"Your classes hold {_plural(int(got.sum()), 'customers')}, but {n:,} customers have revenue "
                f"from kept orders."
            )
        return None

    return expect_series(
        answer,
        expected,
        what="the number of customers per ABC class",
        entity="classes",
        diagnose=diagnose,
        hint="segmentation.abc_classes(revenue, thresholds=(0.8, 0.95)) and count each class.",
    )


# --------------------------------------------------------------------------------------
# Exercise 3 · Need-based segments
# --------------------------------------------------------------------------------------
def kmeans_result(ds):
    from crmlab.segmentation import customer_features, kmeans_segments

    features = customer_features(ds.orders, ds.customers, ds.surveys, as_of=ds.as_of)
    return kmeans_segments(features, K, seed=SEED, n_init=N_INIT)


def _kmeans(ctx):
    cache = ctx.__dict__.setdefault("_ch03", {})
    if "kmeans" not in cache:
        cache["kmeans"] = kmeans_result(ctx.data("retail"))
    return cache["kmeans"]


def big_basket(result) -> tuple[int, str]:
    """The segment with the largest mean order value and its dominant product category."""
    profile = result.profile
    segment = int(profile["mean_order_value"].idxmax())
    shares = profile.loc[segment, [c for c in profile.columns if c.startswith("share_cat_")]]
    return segment, str(shares.idxmax()).removeprefix("share_cat_")


@register(EXERCISE, "big_basket_segment", points=1)
def _(answer, ctx):
    result = _kmeans(ctx)
    segment, _ = big_basket(result)
    choices = [str(s) for s in result.profile.index]
    if isinstance(answer, str) and answer.strip().casefold().startswith("segment"):
        answer = answer.strip()[len("segment") :].strip()
    try:
        expect_choice(answer, str(segment), choices=choices)
    except Fail:
        raise Fail(
            f"{_fmt(answer)} is not the segment with the highest mean order value; the segments are "
            f"{', '.join(choices)}, numbered by size (1 is the largest, not the one with the largest "
            "baskets).",
            hint="Use need.profile['mean_order_value'].idxmax().",
        ) from None
    return None


@register(EXERCISE, "big_basket_category", points=1)
def _(answer, ctx):
    result = _kmeans(ctx)
    _, category = big_basket(result)
    categories = [c.removeprefix("share_cat_") for c in result.profile.columns if c.startswith("share_cat_")]
    if isinstance(answer, str):
        answer = answer.strip().removeprefix("share_cat_")
    return expect_choice(
        answer,
        category,
        choices=categories,
        what="the category that dominates the spend of the segment with the largest baskets",
        hint="In that segment's profile, compare the columns share_cat_...: the largest wins.",
    )


# --------------------------------------------------------------------------------------
# Exercise 4 · Segmentation variables and the target segment (细分变量, 目标市场)
# --------------------------------------------------------------------------------------
#: The kinds of segmentation variable of the course: geographic, demographic, psychographic, behavioural.
VARIABLE_KINDS = ("geographic", "demographic", "psychographic", "behavioural")
#: The variables of exercise 4a (columns of the shop's tables or measures built from them) and their kind.
VARIABLES: dict[str, str] = {
    "region": "geographic",
    "age_band": "demographic",
    "income_band": "demographic",
    "attitude": "psychographic",
    "frequency": "behavioural",
    "share_cat_kitchen": "behavioural",
}
_KIND_ALIASES = {k: k for k in VARIABLE_KINDS} | {
    "behavioral": "behavioural",
    "geography": "geographic",
    "demography": "demographic",
    "psychology": "psychographic",
    "lifestyle": "psychographic",
    "behaviour": "behavioural",
    "behavior": "behavioural",
}

#: Exercise 4b: four candidate segments scored 1-5 on the segment's attractiveness (size and growth,
#: margin, little competition) and on how well they match the firm's capabilities.
SEGMENTS = pd.DataFrame(
    {"size_growth": [5, 3, 4, 2], "margin": [5, 3, 5, 3], "competition": [3, 5, 1, 5], "capability_fit": [2, 4, 3, 5]},
    index=pd.Index(["young online", "families", "premium home", "seniors in town"], name="segment"),
)
#: The weights of the attractiveness score, and the lowest capability fit the firm can serve well.
WEIGHTS = {"size_growth": 0.4, "margin": 0.4, "competition": 0.2}
MIN_FIT = 3


def segment_scores(table: pd.DataFrame = SEGMENTS) -> pd.Series:
    """Weighted attractiveness of each segment (weights :data:`WEIGHTS`)."""
    return sum(w * table[c] for c, w in WEIGHTS.items()).rename("attractiveness")


def target_segment(table: pd.DataFrame = SEGMENTS) -> str:
    """The most attractive segment among those the firm can serve (capability fit at least :data:`MIN_FIT`)."""
    score = segment_scores(table)
    return str(score[table["capability_fit"] >= MIN_FIT].idxmax())


@register(EXERCISE, "variable_kinds", points=1)
def _(answer, ctx):
    from crmlab.checks._compare import expect_labels

    return expect_labels(
        answer,
        VARIABLES,
        _KIND_ALIASES,
        what="the kind of each variable",
        hint="Geographic: where the customer is; demographic: who they are (age, income); "
        "psychographic: what they think and value; behavioural: what they do (how often, "
        "what they buy).",
    )


@register(EXERCISE, "target_segment", points=1)
def _(answer, ctx):
    score = segment_scores()
    expected = target_segment()
    choices = [str(s) for s in SEGMENTS.index]
    if isinstance(answer, str) and _norm(answer) != _norm(expected):
        given = _norm(answer)
        if given == _norm(str(score.idxmax())):
            raise Fail(
                "That is the most attractive segment, but the firm's capabilities fit it badly: a segment "
                "is a target only if the firm can serve it better than rivals.",
                f"Leave out the segments with capability_fit below {MIN_FIT} first.",
            )
        if given == _norm(str(SEGMENTS["capability_fit"].idxmax())):
            raise Fail(
                "That segment fits the firm best, but it is not the most attractive of those the firm can serve.",
                "Among the segments with enough capability fit, take the highest weighted score.",
            )
        unweighted = SEGMENTS[list(WEIGHTS)].sum(axis=1)[SEGMENTS["capability_fit"] >= MIN_FIT].idxmax()
        if given == _norm(str(unweighted)) and unweighted != expected:
            raise Fail("That is the best segment by the unweighted sum of the scores: use the weights.")
    return expect_choice(
        answer,
        expected,
        choices=choices,
        what="the target segment",
        hint="attractiveness = 0.4 size_growth + 0.4 margin + 0.2 competition; keep the segments "
        f"with capability_fit >= {MIN_FIT} and take the most attractive.",
    )


def _norm(text: str) -> str:
    return str(text).strip().casefold()
