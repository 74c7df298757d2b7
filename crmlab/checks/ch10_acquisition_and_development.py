"""Checks of exercise 10 · Acquisition and development (客户获取, 客户开发).

The exercise notebook is ``exercises/source/10_acquisition_and_development.ipynb``. Every
expected answer is computed from the student's own data through :mod:`crmlab.acquisition`:
the acquisition cost per new customer of one channel and the channel with the lowest
acquisition equity (retail), the share of wallet (钱包份额) of the account that buys most
from us (b2b), and the lift of one category pair for cross-selling (交叉销售, retail).
"""
from __future__ import annotations

from crmlab.checks import Fail, expect_axes, expect_choice, expect_number, first_match, register

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
    """The co-purchase rule PAIR[0] -> PAIR[1] at customer level."""
    from crmlab.acquisition import co_purchase

    rules = co_purchase(ds.orders, returned=None).set_index(["antecedent", "consequent"])
    return rules.loc[PAIR], rules.attrs["transactions"]


@register(EXERCISE, "acq_cost_social", points=2)
def _(answer, ctx):
    ds = ctx.data("retail")
    cu = ds.customers
    mine = cu.loc[cu["acquisition_channel"] == CHANNEL, "acquisition_cost"]
    expected = float(quality(ds).loc[CHANNEL, "acquisition_cost"])

    def diagnose(got, exp):
        variants = [
            (mine.sum() / len(cu), f"You divided the {CHANNEL} spend by all customers: divide by the customers "
                                   f"acquired through {CHANNEL} only (10.1)."),
            (mine.sum(), "That is the channel's total acquisition spend: divide it by the customers it brought."),
            (cu["acquisition_cost"].mean(), "That is the acquisition cost over all channels: keep the "
                                            f"{CHANNEL} customers only."),
        ]
        return first_match(got, exp, variants, 5e-3)

    return expect_number(answer, expected, rtol=0, atol=5e-3,
                         what=f"the acquisition cost per new customer of the {CHANNEL} channel",
                         hint="Acquisition cost = the channel's spend ÷ the customers it acquired: select the "
                              f"rows of ds.customers with acquisition_channel == '{CHANNEL}'.",
                         diagnose=diagnose)


@register(EXERCISE, "sow_top", points=2)
def _(answer, ctx):
    b2b = ctx.data("b2b")
    sow = wallet_year(b2b)
    top = sow["spend"].idxmax()
    expected = float(sow.loc[top, "share_of_wallet"])
    o = b2b.orders
    in_year = o.loc[o["order_date"].dt.year == YEAR]
    with_returns = in_year.groupby("account_id")["amount"].sum()
    w = b2b.wallets.set_index(["account_id", "year"])["category_spend"]
    total_wallet = float(b2b.wallets.loc[b2b.wallets["year"] == YEAR, "category_spend"].sum())

    def diagnose(got, exp):
        top_r = with_returns.idxmax()
        variants = [
            (with_returns[top_r] / w[(top_r, YEAR)], "You counted returned orders as spend: leave out the "
                                                      "orders with returned == True."),
            (sow["share_of_wallet"].max(), "That is the highest share of wallet of any account: the exercise asks "
                                           "for the account that spends most with us."),
            (sow.loc[top, "spend"] / total_wallet, f"You divided by the wallets of all accounts: divide by the "
                                                   f"top account's own category spend in {YEAR}."),
            (100 * exp, "Your answer is in percent: give the share between 0 and 1."),
        ]
        return first_match(got, exp, variants, 5e-4)

    return expect_number(answer, expected, rtol=0, atol=5e-4,
                         what=f"the share of wallet in {YEAR} of the account that spends most with us",
                         hint=f"Sum each account's {YEAR} orders (returns left out), take the account with the "
                              f"largest sum and divide by its category_spend of {YEAR} in b2b.wallets.",
                         diagnose=diagnose)


@register(EXERCISE, "lift_pair", points=2)
def _(answer, ctx):
    ds = ctx.data("retail")
    rule, n = pair_rule(ds)
    expected = float(rule["lift"])
    a, b = PAIR

    def diagnose(got, exp):
        variants = [
            (rule["confidence"], f"That is the confidence of {a} -> {b} (10.7): divide it by the share of "
                                 f"customers who bought {b} to get the lift."),
            (rule["support"], "That is the support: the share of customers who bought both. Lift = "
                              "confidence ÷ the share who bought B."),
            (rule["n_both"], "That is the number of customers who bought both: turn it into shares first."),
        ]
        if abs(got) < 1e-12 < abs(exp):
            return ("A lift of 0 means no transaction holds both: in the shop data each order has one "
                    "category, so count per customer (everything a customer bought), not per order.")
        return first_match(got, exp, variants, 5e-4)

    return expect_number(answer, expected, rtol=0, atol=5e-4, what=f"the lift of {a} -> {b}",
                         hint=f"Over all customers: lift = P(bought {a} and {b}) ÷ (P(bought {a}) × "
                              f"P(bought {b})), each P a share of the customers who ordered.",
                         diagnose=diagnose)


@register(EXERCISE, "cut_channel", points=1)
def _(answer, ctx):
    q = quality(ctx.data("retail")).drop(index="all")
    expected = str(q["acquisition_equity"].idxmin())
    channels = [str(c) for c in q.index]
    if isinstance(answer, str):
        given = answer.strip().casefold()
        if given == str(q["acquisition_cost"].idxmax()).casefold() and given != expected.casefold():
            raise Fail("That channel has the highest acquisition cost, but its customers earn it back: look at "
                       "the acquisition equity (first-year margin - cost) per customer.",
                       "Pick the channel with the lowest acquisition_equity.")
        if given == str(q["acquisition_equity"].idxmax()).casefold():
            raise Fail("That channel brings the highest acquisition equity: the one to cut brings the lowest.")
    return expect_choice(answer, expected, choices=channels, what="the channel to cut",
                         hint="Compare acquisition_equity across the channels of acquisition_quality.")


@register(EXERCISE, "cost_chart", points=1)
def _(answer, ctx):
    expect_axes(answer, title=True, labels=True, min_artists=1)
    ax = answer if hasattr(answer, "patches") else answer.axes[0]
    n = ctx.data("retail").customers["acquisition_channel"].nunique()
    if len(ax.patches) != n:
        raise Fail(f"Your chart has {len(ax.patches)} bars, expected one per acquisition channel ({n}).",
                   "Plot the acquisition cost per channel only, without the 'all' row.")
    return None
