"""Checks of exercise 05 · Customer lifetime value and customer equity (客户终身价值与客户资产).

The exercise notebook is ``exercises/source/05_customer_lifetime_value.ipynb``. Expected
answers are computed from the student's own data with crmlab:

1. the retention-model CLV of a retail customer (Gupta & Lehmann 2003): the 2024 yearly
   retention rate (:func:`crmlab.loyalty.retention_rates`), the gross margin per active
   customer in 2024 (:func:`crmlab.profitability.customer_revenue`) and
   CLV = m·r/(1+d−r) at a 10 % yearly discount rate;
2. the BG/NBD model (Fader, Hardie & Lee 2005) fitted to the student's CDNOW sample with the
   published 39-week calibration period, in weeks, and the number of customers whose
   P(alive) is below one half;
3. a choice between two retention programmes by the gain in the equity of the current base,
   N × (CLV with the programme, net of its cost − CLV without);
4. BG/NBD, Pareto/NBD and MBG/NBD compared on the holdout of the student's CDNOW sample
   (:func:`crmlab.btyd_models.compare_models`) and the mean MBG/NBD P(alive) of the one-time
   buyers (Batislam, Denizel & Filiztekin 2007);
5. indirect costs allocated on the direct-cost basis (cost of goods) of
   :func:`crmlab.profitability.traditional_allocation`: the share of accounts with a loss.

Each computing check diagnoses the typical mistakes: the strict retention rate, churn for
retention, percentages for fractions, total instead of mean margin, revenue for margin,
returned orders kept, the discount forgotten (m·r/(1−r)), the first period's margin added,
days instead of weeks, no calibration split, the programme's cost or the base size left out,
the in-sample fit or the total error taken for the holdout error, BG/NBD's or Pareto/NBD's
P(alive), all customers instead of the one-time buyers, the revenue basis or ABC instead of the
direct-cost basis, one year's indirect costs, a count or a percentage instead of a share.
"""

from __future__ import annotations

import math
from typing import Any

from crmlab.checks import Fail, expect_choice, expect_number, expect_type, register

EXERCISE = "05_customer_lifetime_value"
YEAR = "2024"
DISCOUNT = 0.10
CALIBRATION_END = "1997-09-30"
OBSERVATION_END = "1998-06-30"
#: The two programmes of exercise 3: retention gain (points, as a fraction) and cost per customer and year.
PROGRAMMES = {"A": (0.04, 5.0), "B": (0.08, 24.0)}


# --------------------------------------------------------------------------------------
# Expected answers (shared with the tests)
# --------------------------------------------------------------------------------------
def retail_inputs(ds) -> dict:
    """Retention (textbook and strict), margin per active customer and base size in 2024."""
    from crmlab import loyalty, profitability

    rates = loyalty.retention_rates(ds.orders, freq="YE").loc[YEAR]
    orders = ds.orders[ds.orders["order_date"].dt.year == int(YEAR)]
    revenue = profitability.customer_revenue(orders, customer="customer_id")
    return {
        "retention": float(rates["retention"]),
        "retention_strict": float(rates["retention_strict"]),
        "customers": int(rates["customers_end"]),
        "margin": float(revenue["gross_margin"].mean()),
        "margin_total": float(revenue["gross_margin"].sum()),
        "revenue_mean": float(revenue["revenue"].mean()),
        "margin_with_returns": float(orders.groupby("customer_id")["gross_margin"].sum().mean()),
        "margin_per_order": float(orders.loc[~orders["returned"], "gross_margin"].mean()),
    }


def programme_gains(ds) -> dict:
    """Gain in the equity of the current base from each programme (currency units)."""
    from crmlab.clv import retention_clv

    x = retail_inputs(ds)
    m, r, n = x["margin"], x["retention"], x["customers"]
    base = retention_clv(m, r, DISCOUNT)
    return {
        name: n * (retention_clv(m, r + up, DISCOUNT, retention_cost=cost) - base)
        for name, (up, cost) in PROGRAMMES.items()
    }


def cdnow_summary(ds, *, calibration: bool = True, time_unit: str = "W"):
    from crmlab import clv

    return clv.summary_from_transactions(
        ds.orders,
        calibration_end=CALIBRATION_END if calibration else None,
        observation_end=OBSERVATION_END,
        time_unit=time_unit,
    )


def _fits(ctx) -> dict:
    """The BG/NBD fits a check may compare with, computed once per exercise session."""
    cache = ctx.__dict__.setdefault("_ch05_fits", {})
    if "right" not in cache:
        from crmlab import clv

        summary = cdnow_summary(ctx.data("cdnow"))
        cache["summary"] = summary
        cache["right"] = clv.fit_bgnbd(summary)
    return cache


def _other_fit(ctx, key: str):
    cache = _fits(ctx)
    if key not in cache:
        from crmlab import clv

        ds = ctx.data("cdnow")
        summary = cdnow_summary(ds, calibration=False) if key == "no_split" else cdnow_summary(ds, time_unit="D")
        cache[key] = (summary, clv.fit_bgnbd(summary))
    return cache[key]


def _close(a: float, b: float, rtol: float = 1e-3) -> bool:
    return math.isclose(a, b, rel_tol=rtol, abs_tol=1e-9)


# --------------------------------------------------------------------------------------
# Exercise 1 · The CLV of a retail customer
# --------------------------------------------------------------------------------------
@register(EXERCISE, "retention_2024", points=1)
def _(answer, ctx):
    x = retail_inputs(ctx.data("retail"))

    def diagnose(got, exp):
        if _close(got, x["retention_strict"], 1e-6) and not _close(exp, x["retention_strict"], 1e-6):
            return (
                "Your answer is the strict retention rate (customers active in both years / customers "
                "of 2023). The chapter's rate is (customers at end − new customers) / customers at "
                "start: the column 'retention'."
            )
        if _close(got, 1 - exp, 1e-6):
            return "Your answer is the churn rate (1 − retention): give the retention rate itself."
        if _close(got, 100 * exp, 1e-4):
            return "Your answer is a percentage: give the rate as a fraction, e.g. 0.59 for 59 %."
        return None

    return expect_number(
        answer,
        x["retention"],
        rtol=1e-4,
        what="the yearly retention rate of 2024",
        hint="loyalty.retention_rates(ds.orders, freq='YE') has one row per year; take the 'retention' of 2024.",
        diagnose=diagnose,
    )


@register(EXERCISE, "margin_2024", points=1)
def _(answer, ctx):
    x = retail_inputs(ctx.data("retail"))

    def diagnose(got, exp):
        if _close(got, x["margin_total"]):
            return "Your answer is the total margin of all customers: give the mean per customer."
        if _close(got, x["revenue_mean"]):
            return "Your answer is the mean revenue (amount) per customer: CLV needs the gross margin."
        if _close(got, x["margin_with_returns"]):
            return (
                "Your answer counts returned orders: they were refunded, so they bring no margin. "
                "profitability.customer_revenue leaves them out for you."
            )
        if _close(got, x["margin_per_order"]):
            return (
                "Your answer is the margin per order: the retention model needs the margin per "
                "customer and year (all of a customer's 2024 orders together)."
            )
        return None

    return expect_number(
        answer,
        x["margin"],
        rtol=1e-4,
        what="the mean gross margin per customer in 2024 (currency units)",
        hint="Keep the orders of 2024, then profitability.customer_revenue(orders_2024, "
        "customer='customer_id')['gross_margin'].mean().",
        diagnose=diagnose,
    )


@register(EXERCISE, "clv_retail", points=2)
def _(answer, ctx):
    from crmlab.clv import retention_clv

    x = retail_inputs(ctx.data("retail"))
    m, r, d = x["margin"], x["retention"], DISCOUNT

    def diagnose(got, exp):
        if _close(got, m * r / (1 - r)):
            return (
                "Your answer is m·r/(1−r): the discount is missing. Money received later is worth "
                "less today: use m·r/(1+d−r) with d = 0.10."
            )
        if _close(got, retention_clv(m, r, d, initial_margin=True)):
            return (
                "Your answer adds this year's margin, m·(1+d)/(1+d−r) (formula 5.2). The exercise asks "
                "for the value of the future years only, formula (5.1)."
            )
        if _close(got, m * r / (1 + 10 - r)):
            return "Your answer uses a discount rate of 10 instead of 0.10: give rates as fractions."
        if _close(got, r / (1 + d - r)):
            return "Your answer is the margin multiple r/(1+d−r): multiply it by the margin."
        if _close(got, retention_clv(m, x["retention_strict"], d)):
            return "Your CLV uses the strict retention rate: use the 'retention' column, as in exercise 1a."
        return None

    return expect_number(
        answer,
        retention_clv(m, r, d),
        rtol=1e-3,
        what="the CLV of a retail customer (currency units)",
        hint="clv.retention_clv(margin, retention, 0.10) with the margin and retention of 2024.",
        diagnose=diagnose,
    )


# --------------------------------------------------------------------------------------
# Exercise 2 · BG/NBD on your CDNOW sample
# --------------------------------------------------------------------------------------
def _params_of(answer: Any) -> dict:
    from crmlab.clv import BGNBDResult

    expect_type(
        answer,
        (BGNBDResult, dict),
        "the fitted model (the result of clv.fit_bgnbd) or a dict {'r': ..., 'alpha': ..., 'a': ..., 'b': ...}",
    )
    params = answer.params if isinstance(answer, BGNBDResult) else answer
    missing = [k for k in ("r", "alpha", "a", "b") if k not in params]
    if missing:
        raise Fail(
            f"Your answer has no value for {', '.join(repr(k) for k in missing)}.",
            "Give the model itself (model = clv.fit_bgnbd(summary)) or model.params.",
        )
    out = {}
    for k in ("r", "alpha", "a", "b"):
        v = params[k]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
            raise Fail(f"The value for {k!r} in your answer is {v!r}, not a finite number.")
        out[k] = float(v)
    if isinstance(answer, BGNBDResult) and answer.time_unit != "W":
        raise Fail(
            f"Your model was fitted in {answer.time_unit!r}, not in weeks ('W').",
            "summary_from_transactions(..., time_unit='W'), as in the chapter.",
        )
    return out


@register(EXERCISE, "bgnbd_params", points=2)
def _(answer, ctx):
    got = _params_of(answer)
    exp = _fits(ctx)["right"].params
    if all(_close(got[k], exp[k], 2e-3) for k in exp):
        return None
    if _close(got["r"], exp["r"], 2e-3) and _close(got["alpha"], 7 * exp["alpha"], 5e-3):
        raise Fail(
            "Your r, a and b are right but alpha is 7 times too large: you measured time in days.",
            "Use time_unit='W' in summary_from_transactions: the chapter works in weeks.",
        )
    no_split = _other_fit(ctx, "no_split")[1].params
    if all(_close(got[k], no_split[k], 2e-3) for k in exp):
        raise Fail(
            "Your model was fitted on all 78 weeks: the fit must use the calibration period only.",
            f"Pass calibration_end='{CALIBRATION_END}' and observation_end='{OBSERVATION_END}' to "
            f"summary_from_transactions.",
        )
    wrong = [k for k in exp if not _close(got[k], exp[k], 2e-3)]
    raise Fail(
        f"Your parameter{'s' if len(wrong) > 1 else ''} {', '.join(wrong)} differ from the fit on your "
        f"data (e.g. {wrong[0]} = {got[wrong[0]]:.4g}).",
        f"Build the summary with calibration_end='{CALIBRATION_END}', observation_end='{OBSERVATION_END}', "
        f"time_unit='W' from ds.orders (your own sample), then clv.fit_bgnbd(summary).",
    )


@register(EXERCISE, "n_p_alive_below_half", points=1)
def _(answer, ctx):
    fits = _fits(ctx)
    p = fits["right"].p_alive(fits["summary"])
    expected = int((p < 0.5).sum())

    def diagnose(got, exp):
        if got == len(p) - exp:
            return "Your answer counts the customers with P(alive) of at least 0.5: count those below 0.5."
        if got == len(p):
            return "Your answer is the number of all customers: keep only those with P(alive) < 0.5."
        summary, model = _other_fit(ctx, "no_split")
        if got == int((model.p_alive(summary) < 0.5).sum()):
            return (
                "Your count comes from a model fitted on all 78 weeks: use the calibration summary "
                "and the model of exercise 2a."
            )
        return None

    if isinstance(answer, float) and answer.is_integer():
        answer = int(answer)
    return expect_number(
        answer,
        expected,
        rtol=0,
        atol=0,
        what="the number of customers with P(alive) < 0.5",
        hint="model.p_alive(summary) gives one probability per customer; (p < 0.5).sum() counts them.",
        diagnose=diagnose,
    )


# --------------------------------------------------------------------------------------
# Exercise 3 · Which retention programme?
# --------------------------------------------------------------------------------------
def _gain_check(name: str):
    up, cost = PROGRAMMES[name]

    def check(answer, ctx):
        from crmlab.clv import retention_clv

        ds = ctx.data("retail")
        x = retail_inputs(ds)
        m, r, n = x["margin"], x["retention"], x["customers"]
        expected = programme_gains(ds)[name]
        base = retention_clv(m, r, DISCOUNT)

        def diagnose(got, exp):
            if _close(got, n * (retention_clv(m, r + up, DISCOUNT) - base)):
                return (
                    f"Your gain leaves out what programme {name} costs ({cost:g} per customer and year): "
                    f"pass retention_cost={cost:g} for the programme's CLV."
                )
            if _close(got, exp / n):
                return f"Your answer is the gain per customer: multiply by the {n:,} customers of the current base."
            if _close(got, n * (retention_clv(m, r + up, 0.0, retention_cost=cost) - retention_clv(m, r, 0.0))):
                return "Your gain is not discounted: use the discount rate d = 0.10 in both CLVs."
            if _close(got, n * retention_clv(m, r + up, DISCOUNT, retention_cost=cost)):
                return (
                    "Your answer is the equity of the base with the programme, not the gain: subtract the "
                    "equity without it."
                )
            if _close(got, n * (retention_clv(m, r * (1 + up), DISCOUNT, retention_cost=cost) - base)):
                return (
                    f"You raised retention by {up:.0%} of itself; the programme adds {up * 100:g} "
                    f"percentage points: retention + {up}."
                )
            return None

        return expect_number(
            answer,
            expected,
            rtol=1e-3,
            what=f"the gain in customer equity from programme {name} (currency units)",
            hint=f"customers × (clv.retention_clv(m, r + {up}, 0.10, retention_cost={cost:g}) "
            f"− clv.retention_clv(m, r, 0.10)).",
            diagnose=diagnose,
        )

    return check


register(EXERCISE, "equity_gain_A", points=1)(_gain_check("A"))
register(EXERCISE, "equity_gain_B", points=1)(_gain_check("B"))


@register(EXERCISE, "best_programme", points=1)
def _(answer, ctx):
    gains = programme_gains(ctx.data("retail"))
    best = max(gains, key=gains.get)
    other = "B" if best == "A" else "A"
    try:
        expect_choice(answer, best, choices=list(PROGRAMMES), what="the programme that raises customer equity more")
    except Fail as exc:
        if str(answer).strip().upper() == other:
            up, cost = PROGRAMMES[other]
            raise Fail(
                f"Programme {other} raises retention by {up * 100:g} points, but compare the gains in "
                f"equity net of what each programme costs (your equity_gain_A and equity_gain_B).",
                "Choose the programme with the larger gain.",
            ) from None
        raise exc
    return None


# --------------------------------------------------------------------------------------
# Exercise 4 · Which purchase model forecasts best?
# --------------------------------------------------------------------------------------
MODEL_NAMES = ("BG/NBD", "Pareto/NBD", "MBG/NBD")


def model_comparison(ctx) -> Any:
    """``btyd_models.compare_models`` on the student's calibration summary (computed once)."""
    cache = _fits(ctx)
    if "comparison" not in cache:
        from crmlab import btyd_models

        cache["comparison"] = btyd_models.compare_models(cache["summary"])
    return cache["comparison"]


def one_time_p_alive(ctx, model: str = "mbgnbd", *, calibration: bool = True, all_customers: bool = False) -> float:
    """Mean P(alive) of the one-time buyers (or of everyone) under a model of ``btyd_models``."""
    cache = _fits(ctx)
    key = ("p_alive", model, calibration, all_customers)
    if key not in cache:
        from crmlab import btyd_models

        summary = cache["summary"] if calibration else _other_fit(ctx, "no_split")[0]
        p = btyd_models.fit_model(model, summary).p_alive(summary)
        cache[key] = float(p.mean() if all_customers else p[summary["frequency"] == 0].mean())
    return cache[key]


@register(EXERCISE, "best_holdout_model", points=1)
def _(answer, ctx):
    c = model_comparison(ctx)
    best = str(c["mae"].idxmin())
    try:
        expect_choice(answer, best, choices=list(MODEL_NAMES), what="the model with the smallest holdout error")
    except Fail:
        got = str(answer).strip().casefold()
        if got == str(c["log_likelihood"].idxmax()).casefold():
            raise Fail(
                "You picked the model that fits the calibration weeks best (the highest log-likelihood). "
                "The question asks which model forecasts the holdout best.",
                "Take the smallest value of the column 'mae': comparison['mae'].idxmin().",
            ) from None
        if got == str(c["total_error_pct"].abs().idxmin()).casefold():
            raise Fail(
                "You compared the error of the total holdout purchases. Errors of opposite sign cancel in a "
                "total: the question asks for the mean absolute error per customer.",
                "Use the column 'mae'.",
            ) from None
        if got == str(c["mae"].idxmax()).casefold():
            raise Fail(
                "You picked the model with the largest mean absolute error: the best has the smallest.",
                "comparison['mae'].idxmin()",
            ) from None
        raise
    return None


@register(EXERCISE, "p_alive_one_time_mbg", points=2)
def _(answer, ctx):
    expected = one_time_p_alive(ctx)
    mistakes = [
        (
            1.0,
            "That is BG/NBD's P(alive) of a one-time buyer (always 1). MBG/NBD lets a customer leave at the "
            "first purchase: fit it with btyd_models.fit_model('mbgnbd', summary).",
        ),
        (one_time_p_alive(ctx, "paretonbd"), "That is the mean P(alive) under Pareto/NBD: fit MBG/NBD ('mbgnbd')."),
        (
            one_time_p_alive(ctx, all_customers=True),
            "That is the mean over all customers: keep the one-time buyers (frequency 0) only.",
        ),
        (100 * expected, "Your answer is a percentage: give the probability as a fraction between 0 and 1."),
        (
            one_time_p_alive(ctx, calibration=False),
            "Your model was fitted on all 78 weeks: use the calibration summary of exercise 2.",
        ),
    ]
    return expect_number(
        answer,
        expected,
        rtol=1e-4,
        decimals=3,
        mistakes=mistakes,
        what="the mean P(alive) of the one-time buyers under MBG/NBD",
        hint="p = mbg.p_alive(summary); p[summary['frequency'] == 0].mean()",
    )


# --------------------------------------------------------------------------------------
# Exercise 5 · Indirect costs on a direct-cost basis
# --------------------------------------------------------------------------------------
def allocation_shares(ds) -> dict:
    """Share of accounts with a loss under each way of charging the indirect costs (and the count)."""
    from crmlab import profitability

    indirect = float(ds.capacity["annual_cost"].sum()) * 3
    direct = profitability.traditional_allocation(ds.orders, indirect, basis="direct_cost")
    revenue = profitability.traditional_allocation(ds.orders, indirect)
    one_year = profitability.traditional_allocation(ds.orders, indirect / 3, basis="direct_cost")
    abc = profitability.activity_based_profit(ds.orders, ds.activities, ds.activity_rates)
    return {
        "direct_cost": float((direct["profit"] < 0).mean()),
        "count": int((direct["profit"] < 0).sum()),
        "revenue": float((revenue["profit"] < 0).mean()),
        "one_year": float((one_year["profit"] < 0).mean()),
        "abc": float((abc["profit"] < 0).mean()),
    }


@register(EXERCISE, "share_loss_direct_cost", points=2)
def _(answer, ctx):
    x = allocation_shares(ctx.data("b2b"))
    mistakes = [
        (
            x["revenue"],
            "That is the share under the revenue basis (the chapter's allocation): pass basis='direct_cost'.",
        ),
        (
            x["abc"],
            "That is the share under activity-based costing: the exercise asks for traditional allocation "
            "on the direct-cost basis.",
        ),
        (
            x["one_year"],
            "Your indirect costs are one year's: the orders cover three years, so multiply the yearly cost by 3.",
        ),
        (100 * x["direct_cost"], "Your answer is a percentage: give the share as a fraction, e.g. 0.02."),
        (float(x["count"]), "Your answer is the number of accounts with a loss: divide by the number of accounts."),
    ]
    return expect_number(
        answer,
        x["direct_cost"],
        rtol=1e-6,
        decimals=3,
        mistakes=mistakes,
        what="the share of accounts with a loss on the direct-cost basis",
        hint="by_cost = profitability.traditional_allocation(b2b.orders, indirect, "
        "basis='direct_cost'); (by_cost['profit'] < 0).mean()",
    )
