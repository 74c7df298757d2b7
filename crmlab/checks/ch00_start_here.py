"""Checks of exercise 00 · Start here: a tour of the customer information base (客户信息库).

The exercise notebook is ``exercises/source/00_start_here.ipynb``. Every expected answer
is computed from the student's own ``retail`` data: who the customers are, what they
ordered and through which channel -- the customer database every CRM analysis starts
from (Hughes 1994, *Strategic Database Marketing*).
"""

from __future__ import annotations

from crmlab.checks import expect_choice, expect_frame, expect_number, register
from crmlab.checks._compare import expect_bars

EXERCISE = "00_start_here"
SIGNUP_YEAR = 2023


def signups_in_year(customers, year: int = SIGNUP_YEAR) -> int:
    """Number of customers whose ``signup_date`` falls in ``year``."""
    return int((customers["signup_date"].dt.year == year).sum())


def channel_table(orders):
    """Orders (all) and revenue (orders not returned) per sales channel."""
    import pandas as pd

    kept = orders[~orders["returned"].astype(bool)]
    table = pd.DataFrame(
        {
            "orders": orders.groupby("channel", observed=True).size(),
            "revenue": kept.groupby("channel", observed=True)["amount"].sum(),
        }
    )
    table.index = table.index.astype(str)
    table.index.name = "channel"
    return table.fillna({"revenue": 0.0})


def revenue_by_region(customers, orders):
    """Revenue of orders not returned, per customer region."""
    kept = orders[~orders["returned"].astype(bool)]
    region = kept["customer_id"].map(customers.set_index("customer_id")["region"].astype(str))
    return kept["amount"].groupby(region).sum().sort_values(ascending=False)


@register(EXERCISE, "signups_2023", points=1)
def _(answer, ctx):
    customers = ctx.data("retail").customers
    expected = signups_in_year(customers)
    year = customers["signup_date"].dt.year

    mistakes = [
        (len(customers), "Your answer is the number of all customers: keep only those who signed up in 2023."),
        (int((year >= SIGNUP_YEAR).sum()), "Your answer counts 2023 and later: keep only sign-ups within 2023."),
        (
            int((year == SIGNUP_YEAR - 1).sum()),
            "Your answer is the number of sign-ups of another year: check the year you compare with.",
        ),
        (
            int((year == SIGNUP_YEAR + 1).sum()),
            "Your answer is the number of sign-ups of another year: check the year you compare with.",
        ),
    ]
    return expect_number(
        answer,
        expected,
        rtol=0,
        atol=0,
        decimals=0,
        mistakes=mistakes,
        what="the number of customers who signed up in 2023",
        hint="Compare customers['signup_date'].dt.year with 2023 and count the matches.",
    )


@register(EXERCISE, "orders_per_channel", points=2)
def _(answer, ctx):
    orders = ctx.data("retail").orders
    expected = channel_table(orders)

    def diagnose(got, exp):
        if (got["orders"] == exp["orders"]).all():
            with_returns = orders.groupby("channel", observed=True)["amount"].sum()
            mean_kept = orders[~orders["returned"]].groupby("channel", observed=True)["amount"].mean()
            with_returns.index = with_returns.index.astype(str)
            mean_kept.index = mean_kept.index.astype(str)
            if (abs(got["revenue"] - with_returns.reindex(got.index)) < 0.01).all():
                return (
                    "Your revenue includes returned orders: a returned order was refunded, so leave "
                    "orders with returned == True out of the revenue (but count them in orders)."
                )
            if (abs(got["revenue"] - mean_kept.reindex(got.index)) < 0.01).all():
                return "Your revenue is the mean order value of each channel, not the total: use .sum()."
        return None

    return expect_frame(
        answer,
        expected,
        key="channel",
        columns=["orders", "revenue"],
        rtol=1e-6,
        decimals=2,
        what="the table of orders and revenue per channel",
        entity="channels",
        hints={
            "orders": "Count every order of the channel, returned or not: .size() after grouping.",
            "revenue": "Sum the amount of the orders that were not returned.",
        },
        diagnose=diagnose,
    )


@register(EXERCISE, "top_region", points=1)
def _(answer, ctx):
    ds = ctx.data("retail")
    revenue = revenue_by_region(ds.customers, ds.orders)
    best = revenue[revenue == revenue.max()].index.tolist()
    regions = sorted(ds.customers["region"].astype(str).unique())
    return expect_choice(
        answer,
        best,
        choices=regions,
        what="the region with the most revenue",
        hint="Revenue, not customers or orders: join each order to its customer's region "
        "(orders.merge(customers, on='customer_id')), keep orders not returned, and sum the "
        "amount per region.",
    )


@register(EXERCISE, "channel_chart", points=1)
def _(answer, ctx):
    orders = ctx.data("retail").orders
    table = channel_table(orders)
    with_returns = orders.groupby("channel", observed=True)["amount"].sum()
    with_returns.index = with_returns.index.astype(str)
    return expect_bars(
        answer,
        table["revenue"],
        what="the revenue per channel",
        entity="channels",
        unit=("currency",),
        value_axis_words="revenue",
        mistakes=[
            (table["orders"], "Your bars show the number of orders; the chart asks for the revenue."),
            (with_returns, "Your bars include returned orders: plot the revenue column of your table."),
        ],
        hint="Plot the revenue column of your channel table: table['revenue'].plot.bar(), and say the unit "
        "(currency units) in the axis label.",
    )
