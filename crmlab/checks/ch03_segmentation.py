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

EXERCISE = "03_segmentation"
K, SEED, N_INIT = 4, 0, 4


def revenue(ds, *, with_returns: bool = False) -> pd.Series:
    """Revenue per customer from kept orders (or, for the typical mistake, from all orders)."""
    from crmlab.profitability import customer_revenue

    return customer_revenue(ds.orders, customer="customer_id", returned=None if with_returns else "returned")["revenue"]


def _close(a: float, b: float, atol: float = 2e-3) -> bool:
    return math.isclose(a, b, rel_tol=0, abs_tol=atol)


# --------------------------------------------------------------------------------------
# Exercise 1 · The 80/20 rule
# --------------------------------------------------------------------------------------
@register(EXERCISE, "top20_share", points=2)
def _(answer, ctx):
    from crmlab.segmentation import top_share

    ds = ctx.data("retail")
    rev = revenue(ds)

    def diagnose(got, exp):
        if _close(got, 1 - top_share(rev, 0.8)):
            return ("This is the share of the *bottom* 20 % of customers: sort the revenues in descending "
                    "order (ascending=False) before taking the top 20 %.")
        if _close(got, top_share(revenue(ds, with_returns=True), 0.2)) and not _close(exp, got):
            return "Your revenue includes returned orders; they were refunded and bring no revenue."
        if _close(got, 100 * exp, atol=0.2):
            return "Your answer is a percentage: give the share as a fraction, e.g. 0.71 for 71 %."
        if _close(got, 0.2):
            return "0.2 is the share of customers; the question asks for their share of revenue."
        return None

    # a student summing the first int(0.2 n) customers differs from the interpolated curve by less
    # than one customer's share: atol covers it
    return expect_number(answer, top_share(rev, 0.2), rtol=0, atol=2e-3,
                         what="the share of revenue of the top 20 % of customers", diagnose=diagnose,
                         hint="Revenue per customer from kept orders, sorted from largest to smallest; the "
                              "first 20 % of customers' revenue divided by total revenue.")


@register(EXERCISE, "pareto_figure", points=1)
def _(answer, ctx):
    return expect_axes(answer, hint="plots.plot_pareto(segmentation.pareto_table(revenue)) returns the Axes.")


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
    expected = abc_counts(ds)

    def diagnose(got, exp):
        d = (got - exp).to_numpy()
        if d[0] == -1 and d.sum() == 0:
            return ("One customer too few in class A: the customer whose revenue crosses the 80 % line is "
                    "still an A (a class is decided by the share reached by the customers ranked above).")
        n = int(exp.sum())
        by_customers = pd.Series([round(0.2 * n), round(0.3 * n), n - round(0.2 * n) - round(0.3 * n)],
                                 index=exp.index)
        if (got - by_customers).abs().max() <= 1 and (got - exp).abs().max() > 1:
            return ("You split the customers by share of customers (20 / 30 / 50 %). ABC classes cut the "
                    "cumulative share of *revenue* at 80 % and 95 %.")
        if int(got.sum()) != n:
            return (f"Your classes hold {int(got.sum()):,} customers, but {n:,} customers have revenue "
                    f"from kept orders.")
        return None

    return expect_series(answer, expected, what="the number of customers per ABC class", entity="classes",
                         diagnose=diagnose,
                         hint="segmentation.abc_classes(revenue, thresholds=(0.8, 0.95)) and count each class.")


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
        answer = answer.strip()[len("segment"):].strip()
    try:
        expect_choice(answer, str(segment), choices=choices)
    except Fail:
        if str(answer).strip() == "1" and segment != 1:
            raise Fail("Segment 1 is the largest segment (segments are numbered by size), not the one with "
                       "the largest baskets.", hint="Look at the row 'mean_order_value' of the profile.") from None
        raise Fail(f"{answer!r} is not the segment with the highest mean order value; the segments are "
                   f"{', '.join(choices)}.", hint="Use need.profile['mean_order_value'].idxmax().") from None
    return None


@register(EXERCISE, "big_basket_category", points=1)
def _(answer, ctx):
    result = _kmeans(ctx)
    _, category = big_basket(result)
    categories = [c.removeprefix("share_cat_") for c in result.profile.columns if c.startswith("share_cat_")]
    if isinstance(answer, str):
        answer = answer.strip().removeprefix("share_cat_")
    return expect_choice(answer, category, choices=categories, what="the category that dominates the spend of "
                         "the segment with the largest baskets",
                         hint="In that segment's profile, compare the columns share_cat_...: the largest wins.")
