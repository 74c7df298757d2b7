"""Exercise 10 (acquisition and development): its checks pass right answers and diagnose wrong ones."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from exercise_support import assert_answers_are_personal, run

from crmlab import datasets
from crmlab.checks import ch10_acquisition_and_development as ch10
from crmlab.checks import exercise

NAME = "10_acquisition_and_development"


# --------------------------------------------------------------------------------------
# A hand-built scenario, as_of 2024-12-31.
# retail: 4 customers; social = {s1 (cost 20), s2 (cost 40)}, store = {t1 (cost 6)}, email_list = {e1 (cost 2)}
#   acquisition cost of social = (20 + 40) / 2 = 30; divided by all customers: 60 / 4 = 15;
#   total social spend 60; mean over all customers (20 + 40 + 6 + 2) / 4 = 17
#   first-year margin (signup 2023-01-01, orders in 2023): s1 50, s2 10, t1 30, e1 12
#   acquisition equity: social ((50-20) + (10-40)) / 2 = 0, store 24, email_list 10 -> cut social
#   (the most expensive channel is social too; see the b2b-free test below for a split case)
#   categories per customer: s1 {beauty, household}, s2 {beauty}, t1 {household, toys}, e1 {toys}
#   beauty 2/4, household 2/4, both 1/4 -> lift (1/4) / (2/4 * 2/4) = 1; confidence 1/2, support 1/4
# b2b: 2024 spend (returns out): A 300 (+ a returned 500), B 400; wallets 2024: A 600, B 1000
#   share of wallet 2024: A 300 / 600 = 0.5, B 400 / 1000 = 0.4; with returns A 800 / 600 = 1.333;
#   over all wallets A 300 / 1600, B 400 / 1600
# --------------------------------------------------------------------------------------
def small_retail() -> datasets.Dataset:
    customers = pd.DataFrame(
        {
            "customer_id": ["s1", "s2", "t1", "e1"],
            "signup_date": pd.to_datetime(["2023-01-01"] * 4),
            "acquisition_channel": ["social", "social", "store", "email_list"],
            "acquisition_cost": [20.0, 40.0, 6.0, 2.0],
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(6)],
            "customer_id": ["s1", "s1", "s2", "t1", "t1", "e1"],
            "order_date": pd.to_datetime(
                ["2023-02-01", "2023-03-01", "2023-04-01", "2023-05-01", "2023-06-01", "2023-07-01"]
            ),
            "amount": [100.0, 50.0, 40.0, 60.0, 40.0, 30.0],
            "gross_margin": [30.0, 20.0, 10.0, 20.0, 10.0, 12.0],
            "category": ["beauty", "household", "beauty", "household", "toys", "toys"],
            "returned": [False] * 6,
        }
    )
    return datasets.Dataset("retail", {"customers": customers, "orders": orders}, pd.Timestamp("2024-12-31"))


def small_b2b() -> datasets.Dataset:
    orders = pd.DataFrame(
        {
            "order_id": ["p1", "p2", "p3", "p4"],
            "account_id": ["A", "A", "B", "B"],
            "order_date": pd.to_datetime(["2024-02-01", "2024-03-01", "2024-04-01", "2023-05-01"]),
            "amount": [300.0, 500.0, 400.0, 900.0],
            "returned": [False, True, False, False],
        }
    )
    wallets = pd.DataFrame(
        {"account_id": ["A", "B", "B"], "year": [2024, 2024, 2023], "category_spend": [600.0, 1000.0, 2000.0]}
    )
    return datasets.Dataset("b2b", {"orders": orders, "wallets": wallets}, pd.Timestamp("2024-12-31"))


def test_expected_values_by_hand():
    q = ch10.quality(small_retail())
    assert q.loc["social", "acquisition_cost"] == 30
    assert q.drop(index="all")["acquisition_equity"].to_dict() == {"email_list": 10.0, "social": 0.0, "store": 24.0}
    rule, n = ch10.pair_rule(small_retail())
    assert n == 4 and rule[["support", "confidence", "lift"]].tolist() == [0.25, 0.5, 1.0]
    sow = ch10.wallet_year(small_b2b())
    assert sow["share_of_wallet"].to_dict() == {"A": 0.5, "B": 0.4}


@pytest.mark.parametrize(
    ("check", "answer", "passed", "words"),
    [
        ("acq_cost_social", 30, True, "correct"),
        ("acq_cost_social", 30.00, True, "correct"),
        ("acq_cost_social", 30.001, False, "too high"),  # three decimals must be right to three decimals
        ("acq_cost_social", pd.Series([30.0]), True, "correct"),
        ("acq_cost_social", 15, False, "divided the social spend by all customers"),
        ("acq_cost_social", 60, False, "total acquisition spend"),
        ("acq_cost_social", 17, False, "over all channels"),
        ("acq_cost_social", 35, False, "too high"),
        ("acq_cost_social", "30", False, "not text"),
        ("sow_2024", pd.Series({"A": 0.5, "B": 0.4}), True, "correct"),
        ("sow_2024", {"B": 0.400, "A": 0.5}, True, "correct"),
        ("sow_2024", pd.Series({"A": 800 / 600, "B": 0.4}), False, "returned orders"),
        ("sow_2024", pd.Series({"A": 300 / 1600, "B": 0.25}), False, "wallets of all accounts"),
        ("sow_2024", pd.Series({"A": 50.0, "B": 40.0}), False, "percent"),
        ("sow_2024", pd.Series({"A": 0.5, "B": 0.3}), False, "1 of 2 accounts has a different value, e.g. B"),
        ("sow_2024", pd.Series({"B": 0.4}), False, "missing (e.g. A)"),
        ("sow_2024", 0.4, False, "a pandas Series"),
        ("lift_pair", 1.0, True, "correct"),
        ("lift_pair", 0.25, False, "support"),
        ("lift_pair", 0.0, False, "per customer"),
        ("lift_pair", 1.3, False, "too high"),
        ("cut_channel", "social", True, "correct"),
        ("cut_channel", " Social ", True, "correct"),
        ("cut_channel", "store", False, "highest acquisition equity"),
        ("cut_channel", "email_list", False, "the channel to cut"),
        ("cut_channel", "tiktok", False, "social"),
    ],
)
def test_answers_on_the_hand_built_data(small, check, answer, passed, words):
    res = run(small, check, answer)
    assert res.passed is passed and words in res.message, res.message


def test_lift_pair_confidence_on_the_shipped_data(shipped):
    rule, _ = ch10.pair_rule(shipped.data("retail"))
    assert run(shipped, "lift_pair", float(rule["lift"])).passed
    res = run(shipped, "lift_pair", float(rule["confidence"]))
    assert not res.passed and "confidence of beauty -> household" in res.message


def test_cut_channel_most_expensive_is_diagnosed_on_the_shipped_data(shipped):
    q = ch10.quality(shipped.data("retail")).drop(index="all")
    cheapest_equity, dearest = q["acquisition_equity"].idxmin(), q["acquisition_cost"].idxmax()
    assert cheapest_equity != dearest  # social vs search on the shipped data
    res = run(shipped, "cut_channel", dearest)
    assert not res.passed and "highest acquisition cost" in res.message


def test_cost_chart(small):
    fig, ax = plt.subplots()
    ax.bar(["social", "store", "email_list"], [30, 6, 2])
    ax.set_title("Acquisition cost"), ax.set_xlabel("channel"), ax.set_ylabel("currency units per customer")
    assert run(small, "cost_chart", ax).passed
    fig2, ax2 = plt.subplots()
    ax2.bar(["social", "store", "email_list", "all"], [30, 6, 2, 17])
    ax2.set_title("t"), ax2.set_xlabel("x"), ax2.set_ylabel("currency units")
    assert "4 bars, expected one per channel (3); not expected: all" in run(small, "cost_chart", ax2).message
    fig3, ax3 = plt.subplots()
    ax3.bar(["social", "store", "email_list"], [0, 24, 10])  # the acquisition equity
    ax3.set_title("t"), ax3.set_xlabel("x"), ax3.set_ylabel("currency units")
    assert "acquisition equity" in run(small, "cost_chart", ax3).message
    fig4, ax4 = plt.subplots()
    ax4.bar(["social", "store", "email_list"], [30, 6, 2])
    ax4.set_title("t"), ax4.set_xlabel("x"), ax4.set_ylabel("cost per customer")
    assert "unit" in run(small, "cost_chart", ax4).message
    plt.close("all")


@pytest.mark.parametrize(
    ("answer", "ok", "words"),
    [
        (
            {
                "A": "identify",
                "B": "identify",
                "C": "win",
                "D": "win",
                "E": "win",
                "F": "keep",
                "G": "keep",
                "H": "keep",
            },
            True,
            "correct",
        ),
        (
            {"A": "identify", "B": "win", "C": "win", "D": "win", "E": "win", "F": "keep", "G": "keep", "H": "retain"},
            False,
            "1 of 8 statements is labelled wrongly: B",
        ),
        ({"A": "find"}, False, "no label for B, C, D"),
        ({**dict.fromkeys("ABCDEFGH", "keep"), "A": "find"}, False, "'find' is not one of the labels"),
    ],
)
def test_identify_win_keep(small, answer, ok, words):
    res = run(small, "identify_win_keep", answer)
    assert res.passed == ok and words in res.message, res.message


def test_upsell_potential_by_hand():
    # kept orders per customer: a 4 x 10, b 4 x 50, c 1 x 60, d 2 x 40 -> orders median 3, mean order value
    # median (10, 50, 60, 40) = 45; candidates order >= 3 times with a mean order < 0.75 x 45 = 33.75: a;
    # potential = (45 - 10) x 4 = 140. With b's returned order of 5 the median order value changes.
    orders = pd.DataFrame(
        {
            "customer_id": list("aaaabbbbcdd") + ["b"],
            "amount": [10.0] * 4 + [50.0] * 4 + [60.0, 40.0, 40.0, 5.0],
            "returned": [False] * 11 + [True],
        }
    )
    ds = datasets.Dataset("retail", {"orders": orders}, pd.Timestamp("2024-12-31"))
    ex = exercise(NAME, loader=lambda name, sid: ds.copy())
    assert ex.run("upsell_potential", 140).passed
    assert ex.run("upsell_potential", 140.00).passed
    for answer, words in [(1, "number of candidates"), (35, "gap per order only"), (150, "too high")]:
        res = ex.run("upsell_potential", answer)
        assert not res.passed and words in res.message, (words, res.message)


# --------------------------------------------------------------------------------------
# Personal data (the notebooks: test_exercises_all.py and test_release.py, for every exercise)
# --------------------------------------------------------------------------------------
def test_two_students_get_different_expected_answers():
    assert_answers_are_personal(
        NAME, "acq_cost_social", lambda ex: float(ch10.quality(ex.data("retail")).loc["social", "acquisition_cost"])
    )

    assert_answers_are_personal(NAME, "sow_2024", lambda ex: ch10.sow_case(ex.data("b2b"))[0])
