"""Checks of exercise 09 · Loyalty, retention and churn (客户忠诚, 客户保持, 客户流失).

The exercise notebook is ``exercises/source/09_loyalty_retention_churn.ipynb``. Every
expected answer is computed from the student's own ``retail`` data through
:mod:`crmlab.loyalty`: the period churn rate ``1 - (end - new) / start``, the early-warning
list from churn warning points (流失警戒点) and the net benefit of reducing churn against
the lifetime value it saves -- the course's churn management steps.
"""

from __future__ import annotations

from crmlab.checks import expect_number, expect_series, register
from crmlab.checks._compare import expect_bars, once

EXERCISE = "09_loyalty_retention_churn"
#: The quarter whose churn rate exercise 1 asks for.
QUARTER = "2024Q3"
#: Early-warning list: customers at most this many times past their warning point.
MAX_RATIO = 2.0
#: Churn reduction (points) and its cost per at-risk customer per point in exercise 3.
POINTS = 5
COST_PER_POINT = 1.5


def quarter_rates(orders):
    """The retention table per quarter (crmlab.loyalty.retention_rates)."""
    from crmlab.loyalty import retention_rates

    return retention_rates(orders, freq="QE")


def early_warning(orders, as_of):
    """At-risk customers with the default warning points (all, and the early-warning list)."""
    from crmlab.loyalty import at_risk, churn_warning_points

    risk = at_risk(orders, churn_warning_points(orders), as_of=as_of)
    return risk, risk.loc[risk["ratio"] <= MAX_RATIO]


#: Penalties tried in turn for the Gamma-Gamma fit: none first, a small one if the fit does not
#: converge on a student's data (it fails on a few of them without one).
PENALIZERS = (0.0, 0.001, 0.01)


def customer_value(orders, as_of):
    """CLV per customer as in chapter 09: BG/NBD + Gamma-Gamma on orders not returned,
    156 weeks, 10% a year, the shop's gross margin share. The cell of exercise 3 calls it.

    The Gamma-Gamma spend model is fitted without a penalty; where that fit does not converge on
    a student's data, with the smallest penalty of :data:`PENALIZERS` that converges.
    """
    from crmlab import clv
    from crmlab._validate import CRMDataError

    kept = orders.loc[~orders["returned"].astype(bool)]
    summary = clv.summary_from_transactions(kept, time_unit="W", observation_end=as_of)
    margin = round(float(kept["gross_margin"].sum() / kept["amount"].sum()), 2)
    for penalizer in PENALIZERS:
        try:
            spend = clv.fit_gamma_gamma(summary, penalizer=penalizer)
            break
        except CRMDataError:
            if penalizer == PENALIZERS[-1]:
                raise
    return clv.probabilistic_clv(
        clv.fit_bgnbd(summary),
        spend,
        summary,
        horizon=156,
        discount_rate=1.10 ** (1 / 52) - 1,
        time_unit="W",
        margin=margin,
    )["clv"]


def programme(ds):
    """The churn_management row of the 5-point programme on the early-warning list, and the CLV used."""
    from crmlab.loyalty import churn_management

    _, early = early_warning(ds.orders, ds.as_of)
    value = customer_value(ds.orders, ds.as_of)
    plan = churn_management(
        early, value.reindex(early.index).fillna(0.0), reduction_points=[POINTS], cost=COST_PER_POINT
    )
    return plan.iloc[0], value


def _ctx_cache(ctx, key, make):
    """Compute once per exercise session (the CLV fit takes a second)."""
    return once(ctx, key, make)


@register(EXERCISE, "churn_q3", points=2)
def _(answer, ctx):
    rates = once(ctx, "quarters", lambda: quarter_rates(ctx.data("retail").orders))
    row = rates.loc[QUARTER]
    expected = float(row["churn"])
    start = row["customers_start"]

    mistakes = [
        (
            1 - row["customers_end"] / start,
            "You counted the new customers of the quarter as retained: subtract them "
            "from the customers active at the end, as in (9.1).",
        ),
        (
            1 - row["retained"] / start,
            "That is the strict churn (customers active in both quarters): this exercise "
            "uses (9.1), where customers who came back after a pause count as kept.",
        ),
        (1 - expected, "That is the retention rate: churn = 1 - retention."),
        (100 * expected, "Your answer is in percent: give the churn rate as a share between 0 and 1."),
    ]
    return expect_number(
        answer,
        expected,
        decimals=3,
        mistakes=mistakes,
        what=f"the churn rate of {QUARTER}",
        hint="Start = customers active in 2024Q2, end = active in 2024Q3, new = first order "
        "ever in 2024Q3; churn = 1 - (end - new) / start.",
    )


@register(EXERCISE, "n_at_risk", points=1)
def _(answer, ctx):
    ds = ctx.data("retail")
    risk, early = once(ctx, "risk", lambda: early_warning(ds.orders, ds.as_of))

    def diagnose(got, exp):
        if got == len(risk) and len(risk) != exp:
            return (
                "That is everyone past their warning point, including customers lost long ago: keep "
                f"those at most {MAX_RATIO:g} times past it (ratio <= {MAX_RATIO:g})."
            )
        if got == int((risk["days_past"] <= MAX_RATIO).sum()) and got != exp:
            return "Filter on the column ratio (days since last purchase ÷ warning point), not days_past."
        return None

    return expect_number(
        answer,
        len(early),
        rtol=0,
        atol=0,
        decimals=0,
        what="the number of customers on the early-warning list",
        hint="risk = loyalty.at_risk(ds.orders, loyalty.churn_warning_points(ds.orders), "
        "as_of=ds.as_of); count the rows with risk['ratio'] <= 2.",
        diagnose=diagnose,
    )


@register(EXERCISE, "net_benefit", points=2)
def _(answer, ctx):
    ds = ctx.data("retail")
    plan, value = _ctx_cache(ctx, "programme", lambda: programme(ds))
    expected = float(plan["net_benefit"])
    n = plan["customers_at_risk"]
    risk, _ = once(ctx, "risk", lambda: early_warning(ds.orders, ds.as_of))
    all_value = float(value.reindex(risk.index).fillna(0.0).sum())

    saved, cost = float(plan["clv_saved"]), float(plan["cost"])
    mistakes = [
        (saved, "That is the CLV saved only: subtract the cost of the programme."),
        (
            saved - COST_PER_POINT * POINTS,
            "You subtracted the cost of one customer only: the programme costs 1.5 per "
            "point for every customer on the list.",
        ),
        (100 * saved - cost, "The reduction is 5 percentage points: the CLV saved is 5/100 of the value at risk."),
        (saved - cost / POINTS, "The cost is 1.5 per customer per point: multiply by the 5 points too."),
        (
            POINTS / 100 * all_value - COST_PER_POINT * POINTS * len(risk),
            "You used everyone past their warning point: the programme targets the early-warning list (ratio <= 2).",
        ),
    ]
    return expect_number(
        answer,
        expected,
        decimals=2,
        mistakes=mistakes,
        what=f"the net benefit of cutting churn by {POINTS} points among the {int(n)} at-risk customers",
        hint="CLV saved = 5/100 x the sum of their CLV; cost = number at risk x 1.5 x 5; "
        "net benefit = CLV saved - cost.",
    )


@register(EXERCISE, "break_even_cost", points=2)
def _(answer, ctx):
    ds = ctx.data("retail")
    plan, value = _ctx_cache(ctx, "programme", lambda: programme(ds))
    risk, early = once(ctx, "risk", lambda: early_warning(ds.orders, ds.as_of))
    at_risk_value = float(value.reindex(early.index).fillna(0.0).sum())
    n = len(early)
    expected = at_risk_value / (100 * n)
    all_value = float(value.reindex(risk.index).fillna(0.0).sum())
    mistakes = [
        (
            at_risk_value / n,
            "That is the mean CLV of a customer on the list: one point of churn saves only 1/100 of it.",
        ),
        (
            at_risk_value / 100,
            "That is what one point saves on the whole list: divide by the number of customers "
            "it costs, since the cost is per customer.",
        ),
        (
            all_value / (100 * len(risk)),
            "You used everyone past their warning point: the programme targets the early-warning list (ratio <= 2).",
        ),
        (
            expected - COST_PER_POINT,
            "That is how far the break-even lies above today's 1.5 (the net benefit per "
            "customer and point): the question asks for the cost itself.",
        ),
    ]
    return expect_number(
        answer,
        expected,
        decimals=2,
        mistakes=mistakes,
        what="the break-even cost per at-risk customer per point",
        hint="Net benefit = x/100 × ΣCLV − n × c × x is 0 when c = ΣCLV / (100 n), whatever x is.",
    )


def lost_share_by_topic(ds, risk=None):
    """Per complaint topic: the share of the customers who complained about it who are lost
    (past their churn warning point by more than :data:`MAX_RATIO` times) -- why customers leave.
    ``risk``: the at-risk table of :func:`early_warning`, if already computed."""
    if risk is None:
        risk, _ = early_warning(ds.orders, ds.as_of)
    lost = set(risk.index[risk["ratio"] > MAX_RATIO].astype(str))
    c = ds.interactions.loc[ds.interactions["kind"].astype(str) == "complaint"]
    pairs = c[["topic", "customer_id"]].astype(str).drop_duplicates()
    share = pairs["customer_id"].isin(lost).groupby(pairs["topic"]).mean()
    share.index.name = "topic"
    return share.rename("share_lost"), c, lost, risk


def _lost_case(ds, risk):
    """The shares of exercise 6 and what typical mistakes give: per complaint, everyone at risk, counts."""
    expected, c, lost, risk = lost_share_by_topic(ds, risk)
    per_complaint = c["customer_id"].astype(str).isin(lost).groupby(c["topic"].astype(str)).mean()
    everyone = set(risk.index.astype(str))
    pairs = c[["topic", "customer_id"]].astype(str).drop_duplicates()
    all_risk = pairs["customer_id"].isin(everyone).groupby(pairs["topic"]).mean()
    counts = pairs["customer_id"].isin(lost).groupby(pairs["topic"]).sum().astype(float)
    return expected, per_complaint, all_risk, counts


@register(EXERCISE, "lost_share_by_topic", points=2)
def _(answer, ctx):
    ds = ctx.data("retail")
    risk, _ = once(ctx, "risk", lambda: early_warning(ds.orders, ds.as_of))
    expected, per_complaint, all_risk, counts = once(ctx, "lost", lambda: _lost_case(ds, risk))

    def diagnose(got, exp):
        import numpy as np

        for other, text in [
            (
                per_complaint,
                "You counted complaints, not customers: a customer who complained three times about "
                "delivery counts once. Drop duplicate (topic, customer) pairs first.",
            ),
            (
                all_risk,
                "You counted everyone past their warning point as lost, the early-warning list too: lost "
                f"means more than {MAX_RATIO:g} times past it (ratio > {MAX_RATIO:g}).",
            ),
            (counts, "These are numbers of lost customers; divide by the customers who complained about the topic."),
        ]:
            o = other.reindex(got.index).to_numpy(dtype=float)
            if np.allclose(got.to_numpy(dtype=float), o, rtol=1e-6, atol=5e-4) and not np.allclose(
                o, exp.to_numpy(dtype=float)
            ):
                return text
        return None

    return expect_series(
        answer,
        expected,
        decimals=3,
        what="the share of complainers lost per topic",
        entity="topics",
        diagnose=diagnose,
        hint="Lost = risk['ratio'] > 2. Per topic, take the customers who complained about it "
        "(each once) and the share of them who are lost.",
    )


@register(EXERCISE, "loyalty_chart", points=1)
def _(answer, ctx):
    import pandas as pd
    from crmlab.loyalty import loyalty_matrix

    ds = ctx.data("retail")
    attitude = ds.surveys.groupby("customer_id")["attitude"].mean()
    recent = ds.orders[ds.orders["order_date"] > ds.as_of - pd.Timedelta(days=365)]
    patronage = recent.groupby("customer_id").size().reindex(attitude.index, fill_value=0)
    counts = loyalty_matrix(attitude, patronage, attitude_cut=5, patronage_cut="median")["loyalty"].astype(str)
    counts = counts.value_counts()
    every = ds.orders.groupby("customer_id").size().reindex(attitude.index, fill_value=0)
    all_years = loyalty_matrix(attitude, every, attitude_cut=5, patronage_cut="median")["loyalty"].astype(str)
    return expect_bars(
        answer,
        counts,
        what="the number of customers of each kind of loyalty",
        entity="kinds of loyalty",
        decimals=0,
        mistakes=[
            (counts / counts.sum(), "Your bars show shares; the chart asks for numbers of customers."),
            (
                all_years.value_counts(),
                "Your patronage counts orders of every year: count the orders in the 365 days before ds.as_of.",
            ),
        ],
        hint="Plot the counts: matrix['loyalty'].value_counts().plot.bar().",
    )


#: Churn reduction of exercise 6 ("2% less churn is worth as much as 10% lower costs").
GAIN_POINTS = 2
#: Yearly discount rate of exercise 6.
DISCOUNT = 0.10


def retention_inputs(ds) -> dict[str, float]:
    """The shop's yearly figures for exercise 6, given to the student: the retention rate of the
    last year (9.1), the gross margin of kept orders per active customer in it, and the mean
    acquisition cost of the customers who signed up in it."""
    from crmlab.loyalty import retention_rates

    year = ds.as_of.year
    rates = retention_rates(ds.orders, freq="YE")
    o = ds.orders
    in_year = o.loc[o["order_date"].dt.year == year]
    kept = in_year.loc[~in_year["returned"].astype(bool)]
    new = ds.customers.loc[ds.customers["signup_date"].dt.year == year, "acquisition_cost"]
    return {
        "retention": round(float(rates.loc[str(year), "retention"]), 4),
        "margin": round(float(kept["gross_margin"].sum()) / in_year["customer_id"].nunique(), 2),
        "acquisition_cost": round(float(new.mean()), 2),
    }


def economics(ds, gain_points: float = GAIN_POINTS):
    from crmlab.loyalty import retention_economics

    x = retention_inputs(ds)
    return retention_economics(
        x["retention"],
        x["margin"],
        DISCOUNT,
        gain_points=gain_points,
        acquisition_cost=x["acquisition_cost"],
        period="year",
    )


@register(EXERCISE, "profit_gain_2pts", points=2)
def _(answer, ctx):
    ds = ctx.data("retail")
    e = once(ctx, "economics", lambda: economics(ds))
    expected = float(e.loc["change_%", "profit"])
    mistakes = [
        (
            float(economics(ds, GAIN_POINTS / 100).loc["change_%", "profit"]),
            "You passed 2 % as a share (0.02): gain_points counts percentage points, so pass 2.",
        ),
        (
            float(e.loc["change", "profit"]),
            "That is the change of profit in currency units: the question asks by "
            "how many percent it changes (the row 'change_%').",
        ),
        (
            float(e.loc["change_%", "clv"]),
            "That is the change of the CLV of one customer: the claim is about the "
            "firm's profit (the column 'profit').",
        ),
        (
            float(e.loc["change_%", "steady_state_customers"]),
            "That is the change of the number of customers; the question asks for the change of profit.",
        ),
        (expected / 100, "Give the change in percent, as the row 'change_%' does (e.g. 12.5 for 12.5 %)."),
    ]
    return expect_number(
        answer,
        expected,
        decimals=1,
        mistakes=mistakes,
        what=f"the change of yearly profit, in percent, from {GAIN_POINTS} points less churn",
        hint="loyalty.retention_economics(retention, margin, 0.10, gain_points=2, "
        "acquisition_cost=...) and read .loc['change_%', 'profit'].",
    )
