"""Exercise 05 (customer lifetime value): its checks pass right answers and diagnose wrong ones.

The retail checks run on a hand-built scenario whose answers are worked out below; the
BG/NBD checks on the real CDNOW data, where the published parameters must pass.
"""

from __future__ import annotations

import math
import pandas as pd
import pytest
from exercise_support import assert_answers_are_personal, run

from crmlab import clv, datasets
from crmlab.checks import exercise
from crmlab.checks import ch05_customer_lifetime_value as ch05

NAME = "05_customer_lifetime_value"


# --------------------------------------------------------------------------------------
# A hand-built retail scenario (orders of the schema; * = returned)
#   C6: 2022-12-01                         -> active 2022, absent 2023, back in 2024
#   C1: 2023-03-01; 2024 margins 30, 10
#   C2: 2023-04-01; 2024 margins 50*, 20
#   C3: 2023-05-01 only;  C4: 2023-06-01 only
#   C5: first order 2024 (new), margin 40;  C6 2024 margin 60
# 2024: start = active 2023 = {C1..C4} = 4; end = {C1, C2, C5, C6} = 4; new = {C5} = 1
#   retention = (4 - 1) / 4 = 0.75; strict = |{C1, C2}| / 4 = 0.5
# margin 2024 per customer (returns out): C1 40, C2 20, C5 40, C6 60 -> mean 40, total 160
#   with the return: C2 70 -> mean 52.5; per kept order: (30+10+20+40+60)/5 = 32
#   revenue = 4 x margin -> mean revenue 160
# CLV = 40 * 0.75 / (1.1 - 0.75) = 85.714...
# --------------------------------------------------------------------------------------
def small_retail() -> datasets.Dataset:
    rows = [  # customer, date, gross margin, returned
        ("C6", "2022-12-01", 5.0, False),
        ("C1", "2023-03-01", 5.0, False),
        ("C2", "2023-04-01", 5.0, False),
        ("C3", "2023-05-01", 5.0, False),
        ("C4", "2023-06-01", 5.0, False),
        ("C1", "2024-05-01", 30.0, False),
        ("C1", "2024-06-01", 10.0, False),
        ("C2", "2024-02-01", 50.0, True),
        ("C2", "2024-03-01", 20.0, False),
        ("C5", "2024-07-01", 40.0, False),
        ("C6", "2024-08-01", 60.0, False),
    ]
    orders = pd.DataFrame(rows, columns=["customer_id", "order_date", "gross_margin", "returned"])
    orders["order_date"] = pd.to_datetime(orders["order_date"])
    orders["amount"] = 4 * orders["gross_margin"]
    return datasets.Dataset("retail", {"orders": orders}, pd.Timestamp("2024-12-31"))


def loader(name, student_id):
    return small_retail() if name == "retail" else datasets.load(name, student_id=student_id)


@pytest.fixture(scope="module")
def ex():
    return exercise(NAME, loader=loader)


M, R, N, D = 40.0, 0.75, 4, 0.10
CLV = M * R / (1 + D - R)


def clv_with_cost(r, cost):
    # (5.3): m r/(1+d-r) - c (1+d)^(1/2) / (1+d-r)   [cost on r^(t-1) customers at t - 1/2]
    return M * r / (1 + D - r) - cost * math.sqrt(1 + D) / (1 + D - r)


GAIN_A = N * (clv_with_cost(R + 0.04, 5) - CLV)  # 4 * (101.94 - 16.92 - 85.71) = -2.78
GAIN_B = N * (clv_with_cost(R + 0.08, 24) - CLV)  # 4 * (122.96 - 93.23 - 85.71) = -223.92


def test_expected_values_by_hand():
    x = ch05.retail_inputs(small_retail())
    assert x["retention"] == pytest.approx(0.75) and x["retention_strict"] == pytest.approx(0.5)
    assert x["margin"] == pytest.approx(40) and x["customers"] == 4
    assert x["margin_with_returns"] == pytest.approx(52.5) and x["margin_per_order"] == pytest.approx(32)
    gains = ch05.programme_gains(small_retail())
    assert gains["A"] == pytest.approx(-2.7803, abs=1e-4) and gains["B"] == pytest.approx(-223.9151, abs=1e-4)
    assert gains["A"] == pytest.approx(GAIN_A) and gains["B"] == pytest.approx(GAIN_B)


@pytest.mark.parametrize(
    ("name", "answer"),
    [
        ("retention_2024", 0.75),
        ("retention_2024", pd.Series([0.75])),
        ("margin_2024", 40),
        ("clv_retail", 85.7143),
        ("equity_gain_A", GAIN_A),
        ("equity_gain_B", GAIN_B),
        ("best_programme", " a"),
    ],
)
def test_right_answers_pass(ex, name, answer):
    assert run(ex, name, answer).passed


@pytest.mark.parametrize(
    ("name", "answer", "words"),
    [
        ("retention_2024", 0.5, "strict retention rate"),
        ("retention_2024", 0.25, "churn rate"),
        ("retention_2024", 75, "percentage"),
        ("margin_2024", 160, "total margin"),
        ("margin_2024", 160.0, "total margin"),
        ("margin_2024", 52.5, "counts returned orders"),
        ("margin_2024", 32, "margin per order"),
        ("clv_retail", M * R / (1 - R), "discount is missing"),  # 120
        ("clv_retail", M * (1 + D) / (1 + D - R), "adds this year's margin"),  # 125.71
        ("clv_retail", M * R / (11 - R), "discount rate of 10"),
        ("clv_retail", R / (1 + D - R), "margin multiple"),
        ("clv_retail", M * 0.5 / (1 + D - 0.5), "strict retention"),
        ("clv_retail", "85.7", "not text"),
        ("equity_gain_A", N * (M * 0.79 / (1.1 - 0.79) - CLV), "leaves out what programme A costs"),
        ("equity_gain_A", GAIN_A / N, "gain per customer"),
        ("equity_gain_A", N * clv_with_cost(0.79, 5), "not the gain"),
        ("equity_gain_B", N * (clv_with_cost(0.75 * 1.08, 24) - CLV), "percentage points"),
        ("best_programme", "C", "possible answers"),
    ],
)
def test_typical_wrong_answers(ex, name, answer, words):
    res = run(ex, name, answer)
    assert not res.passed
    assert words in res.message, res.message


def test_undiscounted_gain_is_diagnosed(ex):
    # d = 0: m r/(1-r) - c / (1-r)^... as retention_clv computes it with discount 0
    undiscounted = N * ((M * 0.79 - 5) / (1 - 0.79) - M * R / (1 - R))
    res = run(ex, "equity_gain_A", undiscounted)
    assert not res.passed and "not discounted" in res.message


def test_best_programme_follows_the_gains():
    # On the hand-built data both programmes lose money; A loses less, so A is the better one.
    assert GAIN_A > GAIN_B
    ex = exercise(NAME, loader=loader)
    assert run(ex, "best_programme", "A").passed
    res = run(ex, "best_programme", "B")
    assert not res.passed and "net of what each programme costs" in res.message


# --------------------------------------------------------------------------------------
# BG/NBD on CDNOW (shipped: all 2,357 customers)
# --------------------------------------------------------------------------------------
def test_published_parameters_pass_and_units_are_diagnosed(ex):
    # Fader, Hardie & Lee (2005), Marketing Science 24(2): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert run(ex, "bgnbd_params", published).passed
    in_days = dict(published, alpha=7 * 4.414)  # a rate per day: alpha scales with the unit
    assert "you measured time in days" in run(ex, "bgnbd_params", in_days).message
    assert "no value for 'b'" in run(ex, "bgnbd_params", {"r": 0.243, "alpha": 4.414, "a": 0.793}).message
    assert "not a finite number" in run(ex, "bgnbd_params", dict(published, a="x")).message
    assert "the fitted model" in run(ex, "bgnbd_params", [0.243, 4.414]).message


def test_fit_without_calibration_split_and_p_alive_count(ex):
    summary = ch05.cdnow_summary(datasets.load("cdnow"), calibration=False)
    wrong = clv.fit_bgnbd(summary)
    assert "all 78 weeks" in run(ex, "bgnbd_params", wrong).message
    right_summary = ch05.cdnow_summary(datasets.load("cdnow"))
    model = clv.fit_bgnbd(right_summary)
    assert run(ex, "bgnbd_params", model).passed
    p = model.p_alive(right_summary)
    n = int((p < 0.5).sum())
    assert run(ex, "n_p_alive_below_half", n).passed
    assert run(ex, "n_p_alive_below_half", float(n)).passed
    assert "at least 0.5" in run(ex, "n_p_alive_below_half", len(p) - n).message
    assert "number of all customers" in run(ex, "n_p_alive_below_half", len(p)).message
    n_wrong = int((wrong.p_alive(summary) < 0.5).sum())
    assert n_wrong != n
    assert "all 78 weeks" in run(ex, "n_p_alive_below_half", n_wrong).message


# --------------------------------------------------------------------------------------
# Personal data (the notebooks: test_exercises_all.py, test_release.py)
# --------------------------------------------------------------------------------------
def test_two_students_get_different_expected_answers():
    a, b = datasets.load("retail", student_id="s001"), datasets.load("retail", student_id="s002")
    assert ch05.programme_gains(a)["A"] != ch05.programme_gains(b)["A"]
    assert ch05.retail_inputs(a)["margin"] != ch05.retail_inputs(b)["margin"]
    assert_answers_are_personal(NAME, "retention_2024", lambda ex: ch05.retail_inputs(ex.data("retail"))["retention"])
    ex1, ex2 = exercise(NAME, student_id="s001"), exercise(NAME, student_id="s002")
    c1 = ch05.cdnow_summary(datasets.load("cdnow", student_id="s001"))
    c2 = ch05.cdnow_summary(datasets.load("cdnow", student_id="s002"))
    m1 = clv.fit_bgnbd(c1)
    assert ex1.run("bgnbd_params", m1).passed
    assert not ex2.run("bgnbd_params", m1).passed
    assert len(c1) == len(c2) == datasets.CDNOW_PERSONAL_SAMPLE


# --------------------------------------------------------------------------------------
# Exercise 4 (model comparison) and exercise 5 (direct-cost basis)
# --------------------------------------------------------------------------------------
STUDENTS = [f"s{i:03d}" for i in range(1, 21)]


def test_model_comparison_checks_on_the_shipped_data(ex):
    from crmlab import btyd_models

    summary = ch05.cdnow_summary(datasets.load("cdnow"))
    comparison = btyd_models.compare_models(summary)
    # on the shipped CDNOW sample Pareto/NBD has the smallest holdout error per customer while
    # MBG/NBD fits the calibration weeks best (chapter 05's comparison table)
    assert comparison["mae"].idxmin() == "Pareto/NBD" and comparison["log_likelihood"].idxmax() == "MBG/NBD"
    assert run(ex, "best_holdout_model", " pareto/nbd").passed
    assert "fits the calibration weeks best" in run(ex, "best_holdout_model", "MBG/NBD").message
    assert "largest mean absolute error" in run(ex, "best_holdout_model", "BG/NBD").message
    assert "possible answers" in run(ex, "best_holdout_model", "NBD").message
    mbg = btyd_models.fit_model("mbgnbd", summary)
    p = mbg.p_alive(summary)
    once = summary["frequency"] == 0
    assert run(ex, "p_alive_one_time_mbg", p[once].mean()).passed
    assert run(ex, "p_alive_one_time_mbg", round(p[once].mean(), 3)).passed  # rounded as the chapter prints it
    assert "BG/NBD's P(alive)" in run(ex, "p_alive_one_time_mbg", 1.0).message
    assert "mean over all customers" in run(ex, "p_alive_one_time_mbg", p.mean()).message
    pareto = btyd_models.fit_model("paretonbd", summary).p_alive(summary)[once].mean()
    assert "Pareto/NBD" in run(ex, "p_alive_one_time_mbg", pareto).message


def test_direct_cost_basis_check_on_the_shipped_data(ex):
    from crmlab import profitability

    b2b = datasets.load("b2b")
    indirect = b2b.capacity["annual_cost"].sum() * 3
    by_cost = profitability.traditional_allocation(b2b.orders, indirect, basis="direct_cost")
    share = (by_cost["profit"] < 0).mean()
    # chapter 05 prints 1.5 % on the direct-cost basis against 0.5 % on the revenue basis
    assert round(share, 3) == 0.015
    assert run(ex, "share_loss_direct_cost", share).passed and run(ex, "share_loss_direct_cost", 0.015).passed
    assert "revenue basis" in run(ex, "share_loss_direct_cost", 0.005).message
    assert "percentage" in run(ex, "share_loss_direct_cost", 100 * share).message
    assert "number of accounts" in run(ex, "share_loss_direct_cost", int((by_cost["profit"] < 0).sum())).message


@pytest.mark.parametrize("student", STUDENTS)
def test_new_checks_pass_and_diagnose_for_every_student(student):
    from crmlab import btyd_models, profitability

    ex = exercise(NAME, student_id=student)
    # exercise 5: the right share passes, each typical mistake is named
    b2b = datasets.load("b2b", student_id=student)
    x = ch05.allocation_shares(b2b)
    indirect = b2b.capacity["annual_cost"].sum() * 3
    right = (profitability.traditional_allocation(b2b.orders, indirect, basis="direct_cost")["profit"] < 0).mean()
    assert x["direct_cost"] == pytest.approx(right)
    assert ex.run("share_loss_direct_cost", right).passed
    assert "percentage" in ex.run("share_loss_direct_cost", 100 * right).message
    assert "number of accounts" in ex.run("share_loss_direct_cost", x["count"]).message
    if abs(x["revenue"] - right) > 1e-9:
        assert "revenue basis" in ex.run("share_loss_direct_cost", x["revenue"]).message
    # exercise 4b: MBG/NBD's mean P(alive) of the one-time buyers on the student's own CDNOW sample
    summary = ch05.cdnow_summary(datasets.load("cdnow", student_id=student))
    p = btyd_models.fit_model("mbgnbd", summary).p_alive(summary)
    once = summary["frequency"] == 0
    assert ex.run("p_alive_one_time_mbg", p[once].mean()).passed
    assert "BG/NBD's P(alive)" in ex.run("p_alive_one_time_mbg", 1.0).message
    assert "mean over all customers" in ex.run("p_alive_one_time_mbg", p.mean()).message
    assert "percentage" in ex.run("p_alive_one_time_mbg", 100 * p[once].mean()).message
    # exercise 4a: the model with the smallest holdout error passes
    best = btyd_models.compare_models(summary)["mae"].idxmin()
    assert ex.run("best_holdout_model", best).passed
