"""Exercise 06 (customer lifecycle): its checks pass right answers and diagnose wrong ones."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from exercise_support import assert_answers_are_personal, run

from crmlab import datasets, lifecycle
from crmlab.checks import exercise
from crmlab.checks import ch06_customer_lifecycle as ch06

NAME = "06_customer_lifecycle"


# --------------------------------------------------------------------------------------
# A hand-built retail scenario, default rules (ended after > max(2, usual gap) silent months):
#   C1: 2024-01-05, 2024-02-07          June: 4 silent months -> ended; pattern A (never left exploration)
#   C2: 2024-06-02                      June: exploration; December: 6 silent months -> ended, A
#   C5: the 10th of every month Jan-Jun June: 6 orders, 5 months old (< 9: not yet stable), level
#       steady at 50 -> formation; December: 6 silent months -> ended, reached formation -> B
#   C3: 2024-09-01                      December: 3 silent months -> ended, A
#   C4: 2024-12-10                      December: exploration, active
# As of 2024-06-30: exploration 1, formation 1, ended 1 (C3, C4 have not ordered yet).
# As of 2024-12-31: exploration 1, ended 4.  Patterns: A = C1, C2, C3; B = C5; active = C4.
#   share of A among ended = 3/4 = 0.75; among all customers 3/5 = 0.6
#   true patterns (below): C1 A, C2 B, C3 A, C5 C -> true share of A among ended = 2/4 = 0.5
# --------------------------------------------------------------------------------------
def small_retail() -> datasets.Dataset:
    rows = (
        [("C1", "2024-01-05", 10.0), ("C1", "2024-02-07", 20.0), ("C2", "2024-06-02", 30.0)]
        + [("C5", f"2024-{m:02d}-10", 50.0) for m in range(1, 7)]
        + [("C3", "2024-09-01", 40.0), ("C4", "2024-12-10", 25.0)]
    )
    orders = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])
    orders["order_date"] = pd.to_datetime(orders["order_date"])
    orders["gross_margin"] = orders["amount"] / 2
    orders["returned"] = False
    truth = pd.DataFrame(
        {"customer_id": ["C1", "C2", "C3", "C4", "C5"], "true_pattern": ["A", "B", "A", "active", "C"]}
    )
    return datasets.Dataset("retail", {"orders": orders, "truth": truth}, pd.Timestamp("2024-12-31"))


@pytest.fixture(scope="module")
def small():
    return exercise(NAME, loader=lambda name, sid: small_retail())


@pytest.fixture(scope="module")
def shipped():
    return exercise(NAME)


def test_expected_values_by_hand():
    ds = small_retail()
    assert ch06.stage_counts(ds).to_dict() == {
        "exploration": 1,
        "formation": 1,
        "stability": 0,
        "decline": 0,
        "ended": 1,
    }
    assert ch06.stage_counts(ds, ds.as_of).to_dict() == {
        "exploration": 1,
        "formation": 0,
        "stability": 0,
        "decline": 0,
        "ended": 4,
    }
    shares = ch06.pattern_shares(ds)
    assert shares == {"share": 0.75, "n_a": 3.0, "share_of_all": 0.6, "true_share": 0.5}


@pytest.mark.parametrize(
    "answer",
    [
        pd.Series({"exploration": 1, "formation": 1, "stability": 0, "decline": 0, "ended": 1}),
        {"ended": 1, "formation": 1, "exploration": 1},  # value_counts leaves out empty stages
        pd.Series([1.0, 1.0, 1.0], index=pd.CategoricalIndex(["ended", "formation", "exploration"])),
    ],
)
def test_stage_counts_right_answers_pass(small, answer):
    assert run(small, "stage_counts", answer).passed


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ({"exploration": 1, "ended": 4}, "end of the data"),
        ({"exploration": 1 / 3, "formation": 1 / 3, "ended": 1 / 3}, "shares of customers"),
        ({"exploration": 1, "formation": 1}, "1 missing (e.g. ended)"),
        ({"exploration": 2, "formation": 1, "ended": 1}, "different value"),
    ],
)
def test_stage_counts_wrong_answers(small, answer, words):
    res = run(small, "stage_counts", answer)
    assert not res.passed and words in res.message, res.message


@pytest.mark.parametrize(
    ("answer", "passed", "words"),
    [
        (0.75, True, "correct"),
        (0.750, True, "correct"),  # rounded to three decimals
        (0.7501, False, "too high"),  # four decimals must be right to four decimals
        (75, False, "percentage"),
        (3, False, "number of pattern-A relationships"),
        (0.6, False, "active ones too"),
        (0.5, False, "true patterns"),
        (0.9, False, "too high"),
    ],
)
def test_share_pattern_a(small, answer, passed, words):
    res = run(small, "share_pattern_a", answer)
    assert res.passed is passed and words in res.message, res.message


def test_net_per_explorer_on_the_shipped_data(shipped):
    ds = datasets.load("retail")
    h = lifecycle.stage_history(ds.orders, as_of=ds.as_of)

    def io(**kw):
        return lifecycle.stage_input_output(ds.orders, h, **kw).loc["exploration"]

    full = io(customers=ds.customers, interactions=ds.interactions)
    # the net per customer is margin minus every cost, divided by the customers in exploration
    by_hand = (full["gross_margin"] - full["acquisition_cost"] - full["service_cost"] - full["marketing_cost"]) / full[
        "customers"
    ]
    assert run(shipped, "net_per_explorer", by_hand).passed
    assert run(shipped, "net_per_explorer", round(by_hand, 2)).passed
    wrong = {
        "net per customer-month": full["net_per_customer_month"],
        "total net of the stage": full["net"],
        "leaves out the acquisition cost": io(interactions=ds.interactions)["net_per_customer"],
        "leaves out the service contacts": io(customers=ds.customers)["net_per_customer"],
        "leaves out both": io()["net_per_customer"],
    }
    for words, answer in wrong.items():
        res = run(shipped, "net_per_explorer", answer)
        assert not res.passed and words in res.message, (words, res.message)


def test_stage_chart():
    ex = exercise(NAME, loader=lambda name, sid: small_retail())
    fig, ax = plt.subplots()
    ax.bar(list(lifecycle.STAGES), [1, 1, 0, 0, 1])
    ax.set_title("Customers by stage")
    ax.set_xlabel("stage")
    ax.set_ylabel("customers")
    assert run(ex, "stage_chart", ax).passed
    fig2, ax2 = plt.subplots()
    ax2.bar(["exploration", "formation", "ended"], [1, 1, 1])
    ax2.set_title("t"), ax2.set_xlabel("x"), ax2.set_ylabel("y")
    assert "3 bars, expected one per stage (5" in run(ex, "stage_chart", ax2).message
    fig3, ax3 = plt.subplots()
    ax3.bar(list(lifecycle.STAGES), [1, 1, 0, 0, 1])
    assert "no title" in run(ex, "stage_chart", ax3).message
    plt.close("all")


# --------------------------------------------------------------------------------------
# Personal data (the notebooks: test_exercises_all.py, test_release.py)
# --------------------------------------------------------------------------------------
def test_two_students_get_different_expected_answers():
    a, b = datasets.load("retail", student_id="s001"), datasets.load("retail", student_id="s002")
    counts_a = ch06.stage_counts(a)
    assert not counts_a.equals(ch06.stage_counts(b))
    assert ch06.pattern_shares(a)["share"] != ch06.pattern_shares(b)["share"]
    assert_answers_are_personal(NAME, "stage_counts", lambda ex: ch06.stage_counts(ex.data("retail")))
