"""Checks of exercise 04 · RFM (客户贡献价值的RFM测算).

The exercise notebook is ``exercises/source/04_rfm.ipynb``. Expected answers are computed from
the student's own retail data with crmlab, as of ``ds.as_of`` (Hughes 1994):

1. the RFM table (:func:`crmlab.rfm.rfm_table`): recency in days since the last kept order,
   frequency = kept orders, monetary = total spend of kept orders;
2. the quintile scores (:func:`crmlab.rfm.score`, equal-count groups, ties split by id);
3. the number of Champions (:func:`crmlab.rfm.segment`) and their share of total spend.

Typical mistakes diagnosed: recency off by one day, returned orders counted (in frequency, in
monetary, or customers whose every order was returned kept), the mean instead of the total
spend, recency scores not reversed, quantile cut points instead of equal-count groups, ties split
another way, Champions counted as code 555 only or as every R = 5 customer, the share of
customers instead of the share of spend.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from crmlab.checks import Fail, expect_frame, expect_number, register

EXERCISE = "04_rfm"
RFM_COLUMNS = ["recency_days", "frequency", "monetary"]
SCORE_COLUMNS = ["R", "F", "M"]


def rfm_expected(ds, **kw) -> pd.DataFrame:
    """The RFM table as the chapter computes it (``kw`` gives the variants of typical mistakes)."""
    from crmlab.rfm import rfm_table

    return rfm_table(ds.orders, as_of=ds.as_of, **kw)


def scores_expected(ds, **kw) -> pd.DataFrame:
    from crmlab.rfm import score

    return score(rfm_expected(ds), **kw)


def _cache(ctx, name, make):
    store = ctx.__dict__.setdefault("_ch04", {})
    if name not in store:
        store[name] = make()
    return store[name]


def _matches(answer, expected, key, columns, **kw) -> bool:
    """True if ``answer`` equals ``expected`` under the same tolerances as the check."""
    try:
        expect_frame(answer, expected, key=key, columns=columns, **kw)
    except Fail:
        return False
    return True


# --------------------------------------------------------------------------------------
# Exercise 1 · The RFM table
# --------------------------------------------------------------------------------------
@register(EXERCISE, "rfm_table", points=3)
def _(answer, ctx):
    ds = ctx.data("retail")
    expected = _cache(ctx, "rfm", lambda: rfm_expected(ds))
    orders = ds.orders
    all_orders = orders.groupby("customer_id")
    kept = orders[~orders["returned"]].groupby("customer_id")

    if isinstance(answer, pd.DataFrame) and not _matches(answer, expected, "customer_id", RFM_COLUMNS, rtol=1e-6):
        with_returns = _cache(ctx, "with_returns", lambda: rfm_expected(ds, returned=None))
        if _matches(answer, with_returns, "customer_id", RFM_COLUMNS, rtol=1e-6):
            raise Fail(
                "Your table counts returned orders: they were refunded, so they are neither purchases "
                "nor spend (and customers whose every order was returned have no RFM row).",
                hint="Keep only orders with returned == False, or use rfm.rfm_table, which does.",
            )

    def diagnose(got, exp):
        d = (got["recency_days"] - exp["recency_days"]).to_numpy(dtype=float)
        if np.all(d == 1) or np.all(d == -1):
            return (
                f"Your recency is exactly 1 day {'more' if d[0] > 0 else 'less'} than expected for every "
                f"customer. Recency is as_of − last purchase in whole days: a purchase on as_of itself "
                f"has recency 0."
            )
        freq_all = all_orders.size().reindex(got.index)
        if not np.allclose(got["frequency"], exp["frequency"]) and np.allclose(got["frequency"], freq_all):
            return "Your frequency counts returned orders too; count only the kept orders (returned == False)."
        m = got["monetary"].to_numpy(dtype=float)
        if np.allclose(m, kept["amount"].mean().reindex(got.index)):
            return "Your monetary value is the mean spend per order; the chapter uses the total spend."
        if np.allclose(m, all_orders["amount"].sum().reindex(got.index)):
            return "Your monetary value includes returned orders; they were refunded."
        return None

    return expect_frame(
        answer,
        expected,
        key="customer_id",
        columns=RFM_COLUMNS,
        rtol=1e-6,
        decimals=2,
        what="the RFM table",
        entity="customers",
        diagnose=diagnose,
        hints={
            "recency_days": "Days from the last kept order to ds.as_of.",
            "frequency": "The number of kept orders.",
            "monetary": "The total amount of the kept orders.",
        },
        hint="rfm.rfm_table(ds.orders, as_of=ds.as_of) follows the chapter's policy.",
    )


# --------------------------------------------------------------------------------------
# Exercise 2 · Scores
# --------------------------------------------------------------------------------------
@register(EXERCISE, "rfm_scores", points=2)
def _(answer, ctx):
    ds = ctx.data("retail")
    expected = _cache(ctx, "scores", lambda: scores_expected(ds))

    if isinstance(answer, pd.DataFrame) and not _matches(answer, expected, "customer_id", SCORE_COLUMNS):
        quantile = _cache(ctx, "quantile", lambda: scores_expected(ds, method="quantile"))
        if _matches(answer, quantile, "customer_id", SCORE_COLUMNS):
            raise Fail(
                "These are quantile scores (ties share a score, groups of unequal size). The chapter "
                "uses equal-count fifths with ties split by customer id.",
                hint="rfm.score(rfm_table) with the default method='rank'.",
            )

    def diagnose(got, exp):
        if (got["R"] == 6 - exp["R"]).mean() > 0.9:
            return "Your R scores run the wrong way: a *short* recency is good, so the most recent customers get R = 5."
        wrong = [c for c in SCORE_COLUMNS if (got[c] != exp[c]).any()]
        col = {"R": "recency_days", "F": "frequency", "M": "monetary"}[wrong[0]]
        raw = expected[col].reindex(got.index)
        lo = exp[wrong[0]].groupby(raw).transform("min")
        hi = exp[wrong[0]].groupby(raw).transform("max")
        bad = got[wrong[0]] != exp[wrong[0]]
        if ((got[wrong[0]] >= lo) & (got[wrong[0]] <= hi))[bad].all():
            return (
                f"Your {wrong[0]} scores differ only among customers with equal {col}: ties are split "
                f"another way. The chapter splits ties by customer id (rfm.score does it)."
            )
        return None

    return expect_frame(
        answer,
        expected,
        key="customer_id",
        columns=SCORE_COLUMNS,
        what="the RFM scores",
        entity="customers",
        diagnose=diagnose,
        hint="rfm.score(rfm_table, bins=5) scores R, F and M from 1 to 5.",
    )


# --------------------------------------------------------------------------------------
# Exercise 3 · Champions
# --------------------------------------------------------------------------------------
def champions(ds) -> pd.Series:
    """Bool Series: is the customer a Champion (default segment map)?"""
    from crmlab.rfm import segment

    return segment(scores_expected(ds)).astype(str) == "Champions"


@register(EXERCISE, "n_champions", points=1)
def _(answer, ctx):
    ds = ctx.data("retail")
    s = _cache(ctx, "scores", lambda: scores_expected(ds))
    champ = _cache(ctx, "champions", lambda: champions(ds))

    def diagnose(got, exp):
        if math.isclose(got, int((s["RFM"] == "555").sum())):
            return "You counted only the code 555. Champions are R = 5 and F = 4 or 5, whatever M is."
        if math.isclose(got, int((s["R"] == 5).sum())):
            return "You counted every customer with R = 5; Champions also need F = 4 or 5."
        from crmlab.rfm import segment

        quantile = scores_expected(ds, method="quantile")
        if math.isclose(got, int((segment(quantile).astype(str) == "Champions").sum())):
            return "You counted Champions on quantile scores; use the equal-count scores of exercise 2."
        return None

    return expect_number(
        answer,
        int(champ.sum()),
        what="the number of Champions",
        diagnose=diagnose,
        hint="rfm.segment(scores) names every customer's segment; count 'Champions'.",
    )


@register(EXERCISE, "champions_spend_share", points=1)
def _(answer, ctx):
    ds = ctx.data("retail")
    s = _cache(ctx, "scores", lambda: scores_expected(ds))
    champ = _cache(ctx, "champions", lambda: champions(ds))
    expected = float(s.loc[champ, "monetary"].sum() / s["monetary"].sum())

    mistakes = [
        (
            float(champ.mean()),
            "This is the Champions' share of *customers*; the question asks for their share of spend.",
        ),
        (100 * expected, "Your answer is a percentage: give the share as a fraction, e.g. 0.36 for 36 %."),
    ]
    return expect_number(
        answer,
        expected,
        decimals=3,
        mistakes=mistakes,
        what="the Champions' share of total spend",
        hint="Sum 'monetary' over the Champions, divide by the total.",
    )
