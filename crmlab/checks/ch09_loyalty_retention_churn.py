"""Checks of exercise 09 · Loyalty, retention and churn (客户忠诚, 客户保持, 客户流失).

The exercise notebook is ``exercises/source/09_loyalty_retention_churn.ipynb``. Every
expected answer is computed from the student's own ``retail`` data through
:mod:`crmlab.loyalty`: the period churn rate ``1 - (end - new) / start``, the early-warning
list from churn warning points (流失警戒点) and the net benefit of reducing churn against
the lifetime value it saves -- the course's churn management steps.
"""
from __future__ import annotations

from crmlab.checks import Fail, expect_axes, expect_number, expect_type, register

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


def customer_value(orders, as_of):
    """CLV per customer as in chapter 09: BG/NBD + Gamma-Gamma on orders not returned,
    156 weeks, 10% a year, the shop's gross margin share."""
    from crmlab import clv

    kept = orders.loc[~orders["returned"].astype(bool)]
    summary = clv.summary_from_transactions(kept, time_unit="W", observation_end=as_of)
    margin = round(float(kept["gross_margin"].sum() / kept["amount"].sum()), 2)
    return clv.probabilistic_clv(clv.fit_bgnbd(summary), clv.fit_gamma_gamma(summary), summary, horizon=156,
                                 discount_rate=1.10 ** (1 / 52) - 1, time_unit="W", margin=margin)["clv"]


def programme(ds):
    """The churn_management row of the 5-point programme on the early-warning list, and the CLV used."""
    from crmlab.loyalty import churn_management

    _, early = early_warning(ds.orders, ds.as_of)
    value = customer_value(ds.orders, ds.as_of)
    plan = churn_management(early, value.reindex(early.index).fillna(0.0), reduction_points=[POINTS],
                            cost=COST_PER_POINT)
    return plan.iloc[0], value


def _ctx_cache(ctx, key, make):
    """Compute once per exercise session (the CLV fit takes a second)."""
    cache = ctx.__dict__.setdefault("_ch09", {})
    if key not in cache:
        cache[key] = make()
    return cache[key]


@register(EXERCISE, "churn_q3", points=2)
def _(answer, ctx):
    rates = quarter_rates(ctx.data("retail").orders)
    row = rates.loc[QUARTER]
    expected = float(row["churn"])
    start = row["customers_start"]

    def diagnose(got, exp):
        variants = {
            "new_as_retained": (1 - row["customers_end"] / start,
                                "You counted the new customers of the quarter as retained: subtract them from "
                                "the customers active at the end, as in (9.1)."),
            "strict": (1 - row["retained"] / start,
                       "That is the strict churn (customers active in both quarters): this exercise uses "
                       "(9.1), where customers who came back after a pause count as kept."),
            "retention": (1 - exp, "That is the retention rate: churn = 1 - retention."),
            "percent": (100 * exp, "Your answer is in percent: give the churn rate as a share between 0 and 1."),
        }
        for value, text in variants.values():
            if abs(got - value) < 5e-4 and abs(value - exp) >= 5e-4:
                return text
        return None

    return expect_number(answer, expected, rtol=0, atol=5e-4, what=f"the churn rate of {QUARTER}",
                         hint="Start = customers active in 2024Q2, end = active in 2024Q3, new = first order "
                              "ever in 2024Q3; churn = 1 - (end - new) / start.",
                         diagnose=diagnose)


@register(EXERCISE, "n_at_risk", points=1)
def _(answer, ctx):
    ds = ctx.data("retail")
    risk, early = early_warning(ds.orders, ds.as_of)

    def diagnose(got, exp):
        if got == len(risk) and len(risk) != exp:
            return ("That is everyone past their warning point, including customers lost long ago: keep "
                    f"those at most {MAX_RATIO:g} times past it (ratio <= {MAX_RATIO:g}).")
        if got == int((risk["ratio"] < MAX_RATIO).sum()) and got != exp:
            return f"Keep the customers with ratio <= {MAX_RATIO:g} (at most, not less than)."
        if got == int((risk["days_past"] <= MAX_RATIO).sum()) and got != exp:
            return "Filter on the column ratio (days since last purchase ÷ warning point), not days_past."
        return None

    return expect_number(answer, len(early), rtol=0, atol=0, what="the number of customers on the early-warning list",
                         hint="risk = loyalty.at_risk(ds.orders, loyalty.churn_warning_points(ds.orders), "
                              "as_of=ds.as_of); count the rows with risk['ratio'] <= 2.",
                         diagnose=diagnose)


@register(EXERCISE, "net_benefit", points=2)
def _(answer, ctx):
    ds = ctx.data("retail")
    plan, value = _ctx_cache(ctx, "programme", lambda: programme(ds))
    expected = float(plan["net_benefit"])
    n = plan["customers_at_risk"]
    risk, _ = early_warning(ds.orders, ds.as_of)
    all_value = float(value.reindex(risk.index).fillna(0.0).sum())

    def diagnose(got, exp):
        saved, cost = float(plan["clv_saved"]), float(plan["cost"])
        variants = [
            (saved, "That is the CLV saved only: subtract the cost of the programme."),
            (saved - COST_PER_POINT * POINTS, "You subtracted the cost of one customer only: the programme "
                                              "costs 1.5 per point for every customer on the list."),
            (100 * saved - cost, "The reduction is 5 percentage points: the CLV saved is 5/100 of the value at risk."),
            (saved - cost / POINTS, "The cost is 1.5 per customer per point: multiply by the 5 points too."),
            (POINTS / 100 * all_value - COST_PER_POINT * POINTS * len(risk),
             "You used everyone past their warning point: the programme targets the early-warning list "
             "(ratio <= 2)."),
        ]
        for value_, text in variants:
            if abs(got - value_) <= max(0.5, 1e-4 * abs(value_)) and abs(value_ - exp) > 0.5:
                return text
        return None

    return expect_number(answer, expected, rtol=1e-4, atol=0.5,
                         what=f"the net benefit of cutting churn by {POINTS} points among the {int(n)} at-risk customers",
                         hint="CLV saved = 5/100 x the sum of their CLV; cost = number at risk x 1.5 x 5; "
                              "net benefit = CLV saved - cost.",
                         diagnose=diagnose)


@register(EXERCISE, "launch", points=1)
def _(answer, ctx):
    ds = ctx.data("retail")
    plan, _ = _ctx_cache(ctx, "programme", lambda: programme(ds))
    expected = bool(plan["net_benefit"] > 0)
    import numpy as np

    if isinstance(answer, str) and answer.strip().casefold() in {"yes", "no", "true", "false"}:
        raise Fail(f"Your answer is the text {answer.strip()!r}: give True or False (without quotes).")
    expect_type(answer, (bool, np.bool_), "True or False")
    if bool(answer) != expected:
        raise Fail("Look at the sign of the net benefit you computed: launch when it is above 0.",
                   "launch = net_benefit_5 > 0")
    return None


@register(EXERCISE, "loyalty_chart", points=1)
def _(answer, ctx):
    expect_axes(answer, title=True, labels=True, min_artists=1)
    bars = len(answer.patches) if hasattr(answer, "patches") else len(answer.axes[0].patches)
    if bars != 4:
        raise Fail(f"Your chart has {bars} bars, expected one per kind of loyalty (4).",
                   "Plot the counts: matrix['loyalty'].value_counts().plot.bar().")
    return None
