"""Exercise 09 · Loyalty, retention and churn: the checks pass right answers, fail typical wrong
ones with the right message, never crash, and follow each student's own data."""

from __future__ import annotations


import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from exercise_support import assert_answers_are_personal

from crmlab import datasets, loyalty
from crmlab.checks import exercise
from crmlab.checks import ch09_loyalty_retention_churn as ch09

NAME = "09_loyalty_retention_churn"


# --------------------------------------------------------------------------------------
# Hand-built orders for the quarterly churn rate.
#   2024Q1: f.  2024Q2: a, b, c, d.  2024Q3: a, b, e (first order ever), f (back after a pause).
#   start = 4, end = 4, new = 1 -> retention (4 - 1) / 4 = 0.75, churn 0.25.
#   Counting e as retained: 1 - 4/4 = 0; strict (a, b kept): 1 - 2/4 = 0.5.
# --------------------------------------------------------------------------------------
def quarter_orders() -> datasets.Dataset:
    rows = [
        ("f", "2024-01-10"),
        ("a", "2024-04-02"),
        ("b", "2024-05-02"),
        ("c", "2024-05-20"),
        ("d", "2024-06-30"),
        ("a", "2024-07-01"),
        ("b", "2024-08-15"),
        ("e", "2024-09-01"),
        ("f", "2024-09-30"),
    ]
    orders = pd.DataFrame(rows, columns=["customer_id", "order_date"])
    orders["order_date"] = pd.to_datetime(orders["order_date"])
    return datasets.Dataset("retail", {"orders": orders}, pd.Timestamp("2024-12-31"))


@pytest.fixture
def ex_hand():
    ds = quarter_orders()
    return exercise(NAME, loader=lambda name, sid: ds.copy())


@pytest.fixture(scope="module")
def small():
    """A small generated shop (fast enough for the CLV fit in the checks)."""
    return datasets.generate("retail", n_customers=400, seed=7)


@pytest.fixture(scope="module")
def ex_small(small):
    return exercise(NAME, loader=lambda name, sid: small.copy())


@pytest.fixture(scope="module")
def solution(small):
    """The exercise's solution code, as a student would write it."""
    risk = loyalty.at_risk(small.orders, loyalty.churn_warning_points(small.orders), as_of=small.as_of)
    early = risk[risk["ratio"] <= 2]
    value = ch09.customer_value(small.orders, small.as_of)  # given to the student in the notebook
    at_risk_value = value.reindex(early.index).fillna(0.0)
    risk_value = value.reindex(risk.index).fillna(0.0)
    saved = 5 / 100 * at_risk_value.sum()
    cost = len(early) * 1.5 * 5
    return {
        "risk": risk,
        "early": early,
        "saved": saved,
        "cost": cost,
        "net": saved - cost,
        "all_net": 5 / 100 * risk_value.sum() - len(risk) * 1.5 * 5,
    }


def test_churn_by_hand(ex_hand):
    assert ex_hand.run("churn_q3", 0.25).passed
    assert ex_hand.run("churn_q3", pd.Series([0.250])).passed  # a one-value Series and rounding are fine
    assert not ex_hand.run("churn_q3", 0.2501).passed  # four decimals must be right to four decimals


@pytest.mark.parametrize(
    "answer, words",
    [
        (0.0, "new customers of the quarter as retained"),
        (0.5, "strict churn"),
        (0.75, "retention rate: churn = 1 - retention"),
        (25, "in percent"),
        (0.3, "too high"),
    ],
)
def test_churn_typical_mistakes(ex_hand, answer, words):
    res = ex_hand.run("churn_q3", answer)
    assert not res.passed and words in res.message, res.message


def test_at_risk_count(ex_small, solution):
    assert len(solution["risk"]) > len(solution["early"]) > 0
    assert ex_small.run("n_at_risk", len(solution["early"])).passed
    res = ex_small.run("n_at_risk", len(solution["risk"]))
    assert not res.passed and "including customers lost long ago" in res.message


def test_net_benefit_and_break_even(ex_small, solution):
    net = solution["net"]
    assert ex_small.run("net_benefit", net).passed
    assert ex_small.run("net_benefit", round(net, 2)).passed
    # break-even: 5/100 x V - n x c x 5 = 0  <=>  c = V / (100 n)
    n = len(solution["early"])
    be = solution["saved"] / 5 / n
    assert solution["saved"] - n * be * 5 == pytest.approx(0, abs=1e-6)
    assert ex_small.run("break_even_cost", be).passed
    assert ex_small.run("break_even_cost", round(be, 2)).passed
    for answer, words in [
        (100 * be, "mean CLV"),
        (n * be, "whole list"),
        (be - 1.5, "above today's 1.5"),
        (net / (5 * n), "net benefit per customer and point"),
        (be + 1, "too high"),
    ]:
        res = ex_small.run("break_even_cost", answer)
        assert not res.passed and words in res.message, (words, res.message)


def test_profit_gain_of_two_points_by_hand(ex_small, small):
    x = ch09.retention_inputs(small)
    r, m, a = x["retention"], x["margin"], x["acquisition_cost"]
    new = 1000 * (1 - r)  # what keeps a base of 1,000 constant
    profit = [c * m - new * a for c in (1000, new / (1 - (r + 0.02)))]
    gain = 100 * (profit[1] - profit[0]) / profit[0]
    assert ex_small.run("profit_gain_2pts", gain).passed
    assert ex_small.run("profit_gain_2pts", round(gain, 1)).passed
    res = ex_small.run("profit_gain_2pts", profit[1] - profit[0])
    assert not res.passed and "currency units" in res.message, res.message


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda s: s["saved"], "CLV saved only"),
        (lambda s: s["saved"] - 1.5 * 5, "cost of one customer only"),
        (lambda s: 100 * s["saved"] - s["cost"], "5/100 of the value at risk"),
        (lambda s: s["saved"] - s["cost"] / 5, "multiply by the 5 points"),
        (lambda s: s["all_net"], "early-warning list"),
    ],
)
def test_net_benefit_typical_mistakes(ex_small, solution, wrong, words):
    res = ex_small.run("net_benefit", wrong(solution))
    assert not res.passed and words in res.message, res.message


def test_loyalty_chart_compares_the_bars(ex_small, small):
    attitude = small.surveys.groupby("customer_id")["attitude"].mean()
    recent = small.orders[small.orders["order_date"] > small.as_of - pd.Timedelta(days=365)]
    patronage = recent.groupby("customer_id").size().reindex(attitude.index, fill_value=0)
    counts = loyalty.loyalty_matrix(attitude, patronage, attitude_cut=5, patronage_cut="median")["loyalty"]
    counts = counts.astype(str).value_counts()
    fig, ax = plt.subplots()
    counts.plot.bar(ax=ax)
    ax.set_title("Loyalty")
    ax.set_xlabel("kind of loyalty")
    ax.set_ylabel("customers")
    assert ex_small.run("loyalty_chart", ax).passed
    fig2, ax2 = plt.subplots()
    ax2.bar(["true", "latent", "spurious", "none"], [4, 3, 2, 1])  # any four bars no longer pass
    ax2.set(title="Loyalty", xlabel="kind", ylabel="customers")
    assert not ex_small.run("loyalty_chart", ax2).passed
    fig3, ax3 = plt.subplots()
    counts.iloc[:3].plot.bar(ax=ax3)
    ax3.set(title="Loyalty", xlabel="kind", ylabel="customers")
    assert "expected one per kind of loyalty (4)" in ex_small.run("loyalty_chart", ax3).message
    plt.close("all")


def churn_q3_of(ex):
    """The right 2024Q3 churn rate for the student of ``ex``, from their own orders."""
    o = ex.data("retail").orders
    quarter = o["order_date"].dt.to_period("Q")
    first = quarter.groupby(o["customer_id"]).transform("min")
    start = o.loc[quarter == pd.Period("2024Q2"), "customer_id"].nunique()
    end = o.loc[quarter == pd.Period("2024Q3"), "customer_id"].nunique()
    new = o.loc[first == pd.Period("2024Q3"), "customer_id"].nunique()
    return 1 - (end - new) / start


def test_two_students_get_different_answers(monkeypatch):
    monkeypatch.delenv("CRMLAB_STUDENT_ID", raising=False)
    c1, c2 = assert_answers_are_personal(NAME, "churn_q3", churn_q3_of)
    assert abs(c1 - c2) > 1e-3
