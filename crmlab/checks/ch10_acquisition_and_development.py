"""Checks of exercise 10 · Acquisition and development (客户获取, 客户开发).

The exercise notebook is ``exercises/source/10_acquisition_and_development.ipynb``. Every
expected answer is computed from the student's own data through :mod:`crmlab.acquisition`:
the acquisition cost per new customer of one channel and the channel with the lowest
acquisition equity (retail), the share of wallet (钱包份额) of every account (b2b), and the lift of one category pair for cross-selling (交叉销售, retail).
"""

from __future__ import annotations

import pandas as pd

from crmlab.checks import Fail, expect_choice, expect_number, expect_series, register
from crmlab.checks._compare import expect_bars, expect_labels, once

EXERCISE = "10_acquisition_and_development"
#: The channel of exercise 1.
CHANNEL = "social"
#: The year of exercise 2.
YEAR = 2024
#: The category pair (A -> B) of exercise 3.
PAIR = ("beauty", "household")


def quality(ds):
    """Acquisition quality by channel on the retail data (crmlab.acquisition.acquisition_quality)."""
    from crmlab.acquisition import acquisition_quality

    return acquisition_quality(ds.customers, ds.orders, as_of=ds.as_of)


def wallet_year(b2b):
    """Share of wallet of every account in :data:`YEAR` (returns left out)."""
    from crmlab.acquisition import share_of_wallet

    return share_of_wallet(b2b.orders, b2b.wallets).xs(YEAR, level="year")


def pair_rule(ds):
    """The co-purchase rule PAIR[0] -> PAIR[1] at customer level, returned orders left out."""
    from crmlab.acquisition import co_purchase

    rules = co_purchase(ds.orders).set_index(["antecedent", "consequent"])
    return rules.loc[PAIR], rules.attrs["transactions"]


@register(EXERCISE, "acq_cost_social", points=2)
def _(answer, ctx):
    ds = ctx.data("retail")
    cu = ds.customers
    mine = cu.loc[cu["acquisition_channel"] == CHANNEL, "acquisition_cost"]
    expected = float(once(ctx, "quality", lambda: quality(ds)).loc[CHANNEL, "acquisition_cost"])

    mistakes = [
        (
            mine.sum() / len(cu),
            f"You divided the {CHANNEL} spend by all customers: divide by the customers acquired "
            f"through {CHANNEL} only (10.1).",
        ),
        (mine.sum(), "That is the channel's total acquisition spend: divide it by the customers it brought."),
        (
            cu["acquisition_cost"].mean(),
            f"That is the acquisition cost over all channels: keep the {CHANNEL} customers only.",
        ),
    ]
    return expect_number(
        answer,
        expected,
        decimals=2,
        mistakes=mistakes,
        what=f"the acquisition cost per new customer of the {CHANNEL} channel",
        hint="Acquisition cost = the channel's spend ÷ the customers it acquired: select the "
        f"rows of ds.customers with acquisition_channel == '{CHANNEL}'.",
    )


def sow_case(b2b) -> tuple[pd.Series, list[tuple[pd.Series, str]]]:
    """Share of wallet in :data:`YEAR` of every account that bought from us (returns left out), and
    what typical mistakes give instead."""
    o = b2b.orders
    in_year = o.loc[o["order_date"].dt.year == YEAR]
    kept = in_year.loc[~in_year["returned"].astype(bool)]
    spend = kept.groupby("account_id")["amount"].sum()
    spend = spend[spend > 0]
    wallets = b2b.wallets.set_index(["account_id", "year"])["category_spend"]
    wallet = wallets.xs(YEAR, level="year").reindex(spend.index)
    expected = (spend / wallet).rename("share_of_wallet")
    expected.index = expected.index.astype(str)
    with_returns = (in_year.groupby("account_id")["amount"].sum().reindex(spend.index) / wallet).rename(index=str)
    total = float(b2b.wallets.loc[b2b.wallets["year"] == YEAR, "category_spend"].sum())
    before = (spend / wallets.xs(YEAR - 1, level="year").reindex(spend.index)).rename(index=str)
    mistakes = [
        (with_returns, "You counted returned orders as spend: leave out the orders with returned == True."),
        (
            (spend / total).rename(index=str),
            f"You divided by the wallets of all accounts: divide each account's spend "
            f"by its own category spend in {YEAR}.",
        ),
        (before, f"You divided by the category spend of {YEAR - 1}: take each account's wallet of {YEAR}."),
        (100 * expected, "Your shares are in percent: give them between 0 and 1."),
    ]
    return expected, mistakes


@register(EXERCISE, "sow_2024", points=2)
def _(answer, ctx):
    expected, mistakes = once(ctx, "sow", lambda: sow_case(ctx.data("b2b")))

    def diagnose(got, exp):
        import numpy as np

        for other, text in mistakes:
            o = other.reindex(got.index).to_numpy(dtype=float)
            if np.allclose(got.to_numpy(dtype=float), o, rtol=1e-6, atol=5e-4, equal_nan=True):
                return text
        return None

    return expect_series(
        answer,
        expected,
        decimals=3,
        what=f"the share of wallet of every account in {YEAR}",
        entity="accounts",
        diagnose=diagnose,
        hint=f"Sum each account's {YEAR} orders (returns left out), then divide by its "
        f"category_spend of {YEAR} in b2b.wallets.",
    )


def lift_case(ds) -> tuple[float, list[tuple[float, str]]]:
    """The lift of :data:`PAIR` over the customers with kept orders, and what typical mistakes give."""
    rule, n = pair_rule(ds)
    expected = float(rule["lift"])
    a, b = PAIR
    o = ds.orders
    bought = o.groupby([o["customer_id"], o["category"].astype(str)]).size().unstack(fill_value=0) > 0
    with_returns = float((bought[a] & bought[b]).mean() / (bought[a].mean() * bought[b].mean()))
    mistakes = [
        (
            rule["confidence"],
            f"That is the confidence of {a} -> {b} (10.7): divide it by the share of customers who "
            f"bought {b} to get the lift.",
        ),
        (
            rule["support"],
            "That is the support: the share of customers who bought both. Lift = confidence ÷ the share who bought B.",
        ),
        (rule["n_both"], "That is the number of customers who bought both: turn it into shares first."),
        (
            with_returns,
            "Your lift counts returned orders: a returned purchase was undone, so leave those orders out "
            "before asking who bought what.",
        ),
        (
            0.0,
            "A lift of 0 means no transaction holds both: in the shop data each order has one category, so count "
            "per customer (everything a customer bought), not per order.",
        ),
    ]
    return expected, mistakes


@register(EXERCISE, "lift_pair", points=2)
def _(answer, ctx):
    expected, mistakes = once(ctx, "lift", lambda: lift_case(ctx.data("retail")))
    a, b = PAIR
    return expect_number(
        answer,
        expected,
        decimals=3,
        mistakes=mistakes,
        what=f"the lift of {a} -> {b}",
        hint=f"Over the customers with kept orders: lift = P(bought {a} and {b}) ÷ (P(bought {a}) × "
        f"P(bought {b})), each P a share of those customers.",
    )


@register(EXERCISE, "cut_channel", points=1)
def _(answer, ctx):
    q = once(ctx, "quality", lambda: quality(ctx.data("retail"))).drop(index="all")
    expected = str(q["acquisition_equity"].idxmin())
    channels = [str(c) for c in q.index]
    if isinstance(answer, str):
        given = answer.strip().casefold()
        if given == str(q["acquisition_cost"].idxmax()).casefold() and given != expected.casefold():
            raise Fail(
                "That channel has the highest acquisition cost, but its customers earn it back: look at "
                "the acquisition equity (first-year margin - cost) per customer.",
                "Pick the channel with the lowest acquisition_equity.",
            )
        if given == str(q["acquisition_equity"].idxmax()).casefold():
            raise Fail("That channel brings the highest acquisition equity: the one to cut brings the lowest.")
    return expect_choice(
        answer,
        expected,
        choices=channels,
        what="the channel to cut",
        hint="Compare acquisition_equity across the channels of acquisition_quality.",
    )


@register(EXERCISE, "cost_chart", points=1)
def _(answer, ctx):
    q = once(ctx, "quality", lambda: quality(ctx.data("retail")))
    costs = q.drop(index="all")["acquisition_cost"].rename(index=str)
    return expect_bars(
        answer,
        costs,
        what="the acquisition cost per new customer of each channel",
        entity="channels",
        unit=("currency",),
        value_axis_words="acquisition cost",
        mistakes=[
            (
                q.drop(index="all")["acquisition_equity"].rename(index=str),
                "Your bars show the acquisition equity; the chart asks for the acquisition cost.",
            )
        ],
        hint="Plot the acquisition cost per channel only, without the 'all' row, and say the unit (currency "
        "units) in the axis label.",
    )


# --------------------------------------------------------------------------------------
# Exercise 6 · Up-selling (追加销售)
# --------------------------------------------------------------------------------------
#: A customer is an up-selling candidate below this share of the median order value.
SPEND_RATIO = 0.75


def _upsell_case(ds):
    """The revenue potential of the up-selling candidates and what typical mistakes give."""
    from crmlab.acquisition import upsell_candidates

    cand = upsell_candidates(ds.orders, spend_ratio=SPEND_RATIO)
    expected = float(cand["potential"].sum())
    with_returns = upsell_candidates(ds.orders, spend_ratio=SPEND_RATIO, returned=None)
    kept = ds.orders.loc[~ds.orders["returned"].astype(bool)]
    g = kept.groupby("customer_id")["amount"]
    per = pd.DataFrame({"orders": g.size(), "aov": g.mean()})
    mean_based = per.loc[(per["orders"] >= per["orders"].mean()) & (per["aov"] < SPEND_RATIO * per["aov"].mean())]
    mistakes = [
        (float(len(cand)), "That is the number of candidates; the question asks for their revenue potential."),
        (
            float(with_returns["potential"].sum()),
            "Your orders include returned ones: leave them out before computing order counts and order values.",
        ),
        (
            float(((per["aov"].mean() - mean_based["aov"]) * mean_based["orders"]).sum()),
            "You compared with the mean customer; the rule uses the median customer (medians are not pulled up by "
            "a few very large orders).",
        ),
        (
            float((cand["segment_median_aov"] - cand["avg_order_value"]).sum()),
            "You added the gap per order only: multiply each candidate's gap by their number of orders.",
        ),
    ]
    return expected, mistakes


@register(EXERCISE, "upsell_potential", points=2)
def _(answer, ctx):
    expected, mistakes = once(ctx, "upsell", lambda: _upsell_case(ctx.data("retail")))
    return expect_number(
        answer,
        expected,
        decimals=2,
        mistakes=mistakes,
        what="the revenue potential of the up-selling candidates",
        hint="Per customer (kept orders): number of orders and mean order value. Candidates order at "
        "least as often as the median customer and spend under 0.75 × the median order value; "
        "potential = (median order value − their mean order value) × their orders.",
    )


# --------------------------------------------------------------------------------------
# Exercise 7 · Identify, win, keep (客户识别, 客户获取, 客户保持)
# --------------------------------------------------------------------------------------
#: The statements of exercise 7: identifying customers (choosing the target market, searching for
#: prospects), winning new customers, keeping existing ones (the course's notes on customer
#: identification and its lecture on keeping and winning customers).
ACTIONS: dict[str, tuple[str, str]] = {
    "A": (
        "Split the market by region, age and buying behaviour, and pick the segment that matches what the "
        "firm does best.",
        "identify",
    ),
    "B": ("For business buyers, find out who decides, who uses and who pays, and address each of them.", "identify"),
    "C": ("Collect the names of potential customers from a market survey and contact them.", "win"),
    "D": ("Run a prize draw at a trade fair to gather the contacts of visitors.", "win"),
    "E": ("Ask contract customers who are happy with the service to recommend the firm.", "win"),
    "F": ("Train staff so that every service contact meets what the customer expected.", "keep"),
    "G": ("Inspect every batch before it ships, so that no faulty product reaches a customer.", "keep"),
    "H": ("Put the retention plan into action within weeks, faster than competitors can react.", "keep"),
}
_ACTION_LABELS = {
    "identify": "identify",
    "identification": "identify",
    "win": "win",
    "acquire": "win",
    "acquisition": "win",
    "keep": "keep",
    "retain": "keep",
    "retention": "keep",
}


@register(EXERCISE, "identify_win_keep", points=1)
def _(answer, ctx):
    return expect_labels(
        answer,
        {k: v for k, (_, v) in ACTIONS.items()},
        _ACTION_LABELS,
        what="your labels",
        hint="Identify = decide who the customers should be (the target market, who to address in a prospect); "
        "win = reach and acquire new customers; keep = hold the customers you have (service, product "
        "quality, execution).",
    )
