"""Exercise 01 · What CRM is: the checks pass right answers, fail typical wrong ones with the
right message, follow the student's own data, and fail the unsolved student version kindly."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from exercise_support import assert_answers_are_personal

from crmlab import datasets
from crmlab.checks import checks_for, exercise
from crmlab.checks import ch01_what_is_crm as ch01

ROOT = Path(__file__).resolve().parent.parent
AS_OF = pd.Timestamp("2024-12-31")


# --------------------------------------------------------------------------------------
# A hand-built retail scenario.
#   interactions: R1 4 inquiries (4 contacts, 0 complaints); R2 2 complaints + 1 inquiry
#   (3 contacts); R3 2 complaints (2 contacts) -> most complaints: R2 and R3, more contacts: R2.
#   R2's orders: 10, 20, 30 (returned), 40 -> orders 4, revenue 10 + 20 + 40 = 70,
#   revenue with the return 100, mean kept order 70 / 3 = 23.33, purchase days 3 (two on 03-01).
#   Everyone else: 36 orders of 5.00 in 2024 and one order in 2023 (not in last year's copy).
# --------------------------------------------------------------------------------------
def small_retail(r3_contacts: int = 2) -> datasets.Dataset:
    customers = pd.DataFrame(
        {
            "customer_id": pd.array(["R1", "R2", "R3", "R4"], dtype="string"),
            "signup_date": pd.to_datetime(["2023-01-01"] * 4),
        }
    )
    others = [("R1", "R3", "R4")[i % 3] for i in range(36)]
    orders = pd.DataFrame(
        {
            "order_id": [f"O{i:03d}" for i in range(1, 42)],
            "customer_id": ["R2"] * 4 + others + ["R4"],
            "order_date": pd.to_datetime(
                ["2024-03-01", "2024-03-01", "2024-05-01", "2024-07-01"]
                + [f"2024-{1 + i % 12:02d}-15" for i in range(36)]
                + ["2023-06-01"]
            ),
            "amount": [10.0, 20.0, 30.0, 40.0] + [5.0] * 36 + [99.0],
            "returned": [False, False, True, False] + [False] * 37,
        }
    )
    kinds = (
        [("R1", "inquiry")] * 4
        + [("R2", "complaint"), ("R2", "inquiry"), ("R2", "complaint")]
        + [("R3", "complaint")] * 2
        + [("R3", "inquiry")] * (r3_contacts - 2)
    )
    interactions = pd.DataFrame(
        {
            "interaction_id": [f"I{i}" for i in range(len(kinds))],
            "customer_id": [c for c, _ in kinds],
            "date": pd.to_datetime(["2024-06-01"] * len(kinds)),
            "kind": pd.Categorical([k for _, k in kinds], categories=["inquiry", "complaint"]),
        }
    )
    return datasets.Dataset("retail", {"customers": customers, "orders": orders, "interactions": interactions}, AS_OF)


@pytest.fixture
def ds():
    return small_retail()


@pytest.fixture
def ex(ds):
    return exercise("01_what_is_crm", loader=lambda name, sid: ds.copy())


RIGHT_ROW = {"orders": 4, "revenue": 70.0, "complaints": 2}
RIGHT_LABELS = {
    "A": "transaction",
    "B": "relationship",
    "C": "transaction",
    "D": "relationship",
    "E": "transaction",
    "F": "relationship",
}


def test_the_exercise_has_four_checks_worth_six_points(ex):
    assert sorted(checks_for("01_what_is_crm")) == [
        "customer_row",
        "data_quality_counts",
        "info_base_benefits",
        "marketing_types",
    ]
    assert ex.max_points == 6


# --------------------------------------------------------------------------------------
# Exercise 1: one row of the single customer view
# --------------------------------------------------------------------------------------
def test_profiled_customer_is_one_whose_mistakes_show():
    # R2 returned an order, kept three, complained and asked: every typical mistake changes a number.
    assert ch01.profiled_customer(small_retail()) == "R2"
    # R3 has as many complaints and more contacts, but no returned order: returns would not show.
    assert ch01.profiled_customer(small_retail(r3_contacts=4)) == "R2"
    # R3 with a returned order, two kept orders and more contacts wins over R2.
    ds = small_retail(r3_contacts=4)
    r3 = ds.orders.index[ds.orders["customer_id"] == "R3"]
    ds.orders.loc[r3[0], "returned"] = True
    assert ch01.profiled_customer(ds) == "R3"
    # a full tie: the smaller id
    ds = small_retail(r3_contacts=3)
    ds.orders.loc[r3[0], "returned"] = True
    assert ch01.profiled_customer(ds) == "R2"


def test_profiled_customer_without_a_telling_customer_falls_back_to_most_complaints():
    ds = small_retail()
    ds.orders["returned"] = False
    assert ch01.profiled_customer(ds) == "R2"  # 2 complaints and 3 contacts beat R3's 2 and 2


def test_expected_row_by_hand(ds):
    assert ch01.expected_row(ds, "R2") == {"orders": 4.0, "revenue": 70.0, "complaints": 2.0}


@pytest.mark.parametrize(
    "answer",
    [
        RIGHT_ROW,
        {"Orders": np.int64(4), "REVENUE": np.float64(70.004), "complaints": 2.0},  # case, numpy, rounding
        pd.Series(RIGHT_ROW),
        pd.DataFrame([RIGHT_ROW], index=["R2"]),
        {**RIGHT_ROW, "customer_id": "R2"},  # extra entries are fine
    ],
)
def test_customer_row_accepts_harmless_variants(ex, answer):
    res = ex.run("customer_row", answer)
    assert res.passed, res.message


@pytest.mark.parametrize(
    "change, words",
    [
        ({"revenue": 100.0}, "includes returned orders"),
        ({"revenue": 70 / 3}, "mean order value"),
        ({"orders": 3}, "left the returned orders out"),
        ({"complaints": 3}, "every service contact"),
        ({"revenue": 75.0}, "'revenue' of customer R2 is too high"),
        ({"orders": 9, "complaints": 0}, "'orders' of customer R2 is too high. (Also different: complaints.)"),
    ],
)
def test_customer_row_typical_mistakes(ex, change, words):
    res = ex.run("customer_row", {**RIGHT_ROW, **change})
    assert not res.passed and res.error is None
    assert words in res.message, res.message


@pytest.mark.parametrize(
    "answer, words",
    [
        ({"orders": 4, "revenue": 70.0}, "no 'complaints'"),
        ({"orders": "4", "revenue": 70.0, "complaints": 2}, "'orders': Your answer is the text '4'"),
        ({"orders": 4, "revenue": float("nan"), "complaints": 2}, "'revenue' is NaN"),
        (pd.DataFrame([RIGHT_ROW, RIGHT_ROW]), "a table with 2 rows"),
        (70.0, "a dict such as"),
    ],
)
def test_customer_row_wrong_form(ex, answer, words):
    res = ex.run("customer_row", answer)
    assert not res.passed and res.error is None and words in res.message, res.message


# --------------------------------------------------------------------------------------
# Exercise 2: data-quality problems of the damaged copy
# --------------------------------------------------------------------------------------
def hand_counts(bad: pd.DataFrame) -> dict:
    """The four counts with plain pandas, independently of crmlab.profile.data_quality."""
    return {
        "missing_amounts": int(bad["amount"].isna().sum()),
        "negative_amounts": int((bad["amount"] < 0).sum()),
        "future_dates": int((bad["order_date"] > AS_OF).sum()),
        "duplicate_orders": int(bad["order_id"].duplicated().sum()),
    }


def test_damaged_orders_is_deterministic_and_each_fault_is_one_row(ds):
    bad = ch01.damaged_orders(ds)
    assert bad.equals(ch01.damaged_orders(ds.copy()))
    counts = hand_counts(bad)
    assert all(2 <= n <= 8 for n in counts.values()), counts
    original = ds.orders[ds.orders["order_date"].dt.year == 2024].set_index("order_id")
    assert set(bad["order_id"]) == set(original.index)  # only last year's orders
    first = bad.drop_duplicates("order_id").set_index("order_id").loc[original.index]
    changed = (
        first["amount"].isna()
        | (first["amount"] != original["amount"])
        | (first["order_date"] != original["order_date"])
    )
    # every changed row has exactly one fault, and repeated rows are exact copies of their first
    assert int(changed.sum()) == counts["missing_amounts"] + counts["negative_amounts"] + counts["future_dates"]
    assert len(bad.drop_duplicates()) == len(bad.drop_duplicates("order_id"))
    assert ch01.expected_problems(ds) == counts


def test_data_quality_counts_pass_and_typical_mistakes(ex, ds):
    right = hand_counts(ch01.damaged_orders(ds))
    assert ex.run("data_quality_counts", right).passed
    assert ex.run("data_quality_counts", pd.Series(right)).passed
    res = ex.run("data_quality_counts", {**right, "duplicate_orders": 2 * right["duplicate_orders"]})
    assert "both copies" in res.message, res.message
    res = ex.run("data_quality_counts", {**right, "future_dates": 0})  # the future dates lie before today
    assert "compared the dates with today" in res.message, res.message
    res = ex.run("data_quality_counts", {**right, "missing_amounts": right["missing_amounts"] + 1})
    assert "'missing_amounts' is too high" in res.message, res.message
    res = ex.run("data_quality_counts", {k: v for k, v in right.items() if k != "future_dates"})
    assert "no 'future_dates'" in res.message, res.message


def test_zero_amounts_counted_as_negative_is_diagnosed():
    ds = small_retail()
    ds.orders.loc[39, "amount"] = 0.0  # a free order: valid, not negative
    bad = ch01.damaged_orders(ds)
    right = hand_counts(bad)
    assert bad.loc[bad["order_id"] == "O040", "amount"].tolist() == [0.0]  # the free order was not damaged
    ex = exercise("01_what_is_crm", loader=lambda name, sid: ds.copy())
    res = ex.run("data_quality_counts", {**right, "negative_amounts": right["negative_amounts"] + 1})
    assert "zero amounts" in res.message, res.message


# --------------------------------------------------------------------------------------
# Exercise 3: relationship or transaction marketing
# --------------------------------------------------------------------------------------
def test_marketing_labels(ex):
    assert ex.run("marketing_types", RIGHT_LABELS).passed
    short = {k.lower(): v[0].upper() for k, v in RIGHT_LABELS.items()}  # 'a': 'T' ...
    assert ex.run("marketing_types", short).passed
    res = ex.run("marketing_types", {**RIGHT_LABELS, "C": "relationship", "E": "relationship"})
    assert "2 of 6 statements are labelled wrongly: C, E." in res.message, res.message
    res = ex.run("marketing_types", {**RIGHT_LABELS, "B": "loyalty"})
    assert "Statement B: 'loyalty' is not one of the labels" in res.message, res.message
    res = ex.run("marketing_types", {"A": "transaction"})
    assert "no 'B', 'C', 'D', 'E', 'F'" in res.message, res.message


def test_statements_in_the_notebook_are_the_checked_ones():
    source = nbformat.read(ROOT / "exercises" / "source" / "01_what_is_crm.ipynb", as_version=4)
    text = "\n".join(c.source for c in source.cells)
    for key, (statement, _) in ch01.STATEMENTS.items():
        assert f"**{key}** — {statement}" in text


# --------------------------------------------------------------------------------------
# Personal data (the unsolved student version: test_exercises_all.py)
# --------------------------------------------------------------------------------------
def test_two_students_get_different_expected_answers(monkeypatch):
    monkeypatch.delenv("CRMLAB_STUDENT_ID", raising=False)

    def row_of(ex):
        d = ex.data("retail")
        return ch01.expected_row(d, ch01.profiled_customer(d))

    row1, row2 = assert_answers_are_personal("01_what_is_crm", "customer_row", row_of)
    counts1, counts2 = assert_answers_are_personal(
        "01_what_is_crm", "data_quality_counts", lambda ex: ch01.expected_problems(ex.data("retail"))
    )
    assert row1 != row2 and counts1 != counts2


# --------------------------------------------------------------------------------------
# Exercise 5: short- and long-term benefits of a customer information base
# --------------------------------------------------------------------------------------
RIGHT_BENEFITS = {
    "A": "short-term",
    "B": "short-term",
    "C": "short-term",
    "D": "short-term",
    "E": "long-term",
    "F": "long-term",
    "G": "long-term",
    "H": "long-term",
}


def test_info_base_benefits_follow_the_course():
    # the course: short-term = convenience, continuity, timeliness, interactivity; the rest build up over years
    assert {k for k, (_, v) in ch01.BENEFITS.items() if v == "short-term"} == {"A", "B", "C", "D"}


@pytest.mark.parametrize(
    "answer, ok, words",
    [
        (RIGHT_BENEFITS, True, "correct"),
        ({k.lower(): v.replace("-", " ").upper() for k, v in RIGHT_BENEFITS.items()}, True, "correct"),
        (
            {**RIGHT_BENEFITS, "B": "long-term", "E": "short-term"},
            False,
            "2 of 8 statements are labelled wrongly: B, E",
        ),
        ({**RIGHT_BENEFITS, "A": "soon"}, False, "Statement A: 'soon' is not one of the labels"),
        ({k: np.int64(1) for k in RIGHT_BENEFITS}, False, "Statement A: 1 is not one of the labels"),
        ({"A": "short-term"}, False, "no label for B, C, D"),
        (["short-term"] * 8, False, "a list of 8 items"),
    ],
)
def test_info_base_benefits(ex, answer, ok, words):
    res = ex.run("info_base_benefits", answer)
    assert res.passed == ok and res.error is None and words in res.message, res.message
