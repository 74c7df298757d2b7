"""Exercise 04 (RFM): its checks pass right answers and diagnose the classic wrong ones.

The RFM table and scores run on six hand-built customers worked out below; the checks that
need ties and real segment sizes on the shipped data, with the wrong answers built by plain
pandas as a student would. The shared tests (test_exercises_all.py) run the stored source and
the unsolved student version.
"""

from __future__ import annotations

import pandas as pd
import pytest

from crmlab import datasets, rfm
from crmlab.checks import ch04_rfm as ch04
from exercise_support import assert_answers_are_personal, run

NAME = "04_rfm"

# --------------------------------------------------------------------------------------
# Orders as of 2024-12-31 (* = returned)
#   C1: 2024-06-01 30*, 2024-12-01 100, 2024-12-21 50 -> R 10, F 2, M 150 (mean 75; with return F 3, M 180)
#   C2: 2024-10-02 40                                 -> R 90, F 1, M 40
#   C3: 2024-09-01 20, 2024-11-01 20, 2024-12-31 20   -> R 0,  F 3, M 60 (mean 20)
#   C4: 2024-03-01 200*                               -> no kept order: no row
#   C5: 2023-12-31 500                                -> R 366, F 1, M 500
#   C6: 2024-07-01 10, 2024-08-01 10                  -> R 152 (30 + 30 + 31 + 30 + 31), F 2, M 20 (mean 10)
# Scores (5 customers, 5 levels: position + 1; ties by id):
#   R: C5 1, C6 2, C2 3, C1 4, C3 5;  F: C2 1, C5 2, C1 3, C6 4, C3 5;  M: C6 1, C2 2, C3 3, C1 4, C5 5
# Segments (R, F): C3 (5, 5) Champions; C1 (4, 3) Potential loyalist; C2 (3, 1) About to sleep;
#   C6 (2, 4) At risk; C5 (1, 2) Hibernating -> 1 Champion with 60 / 770 = 0.0779 of spend
# --------------------------------------------------------------------------------------
ROWS = [
    ("C1", "2024-06-01", 30.0, True),
    ("C1", "2024-12-01", 100.0, False),
    ("C1", "2024-12-21", 50.0, False),
    ("C2", "2024-10-02", 40.0, False),
    ("C3", "2024-09-01", 20.0, False),
    ("C3", "2024-11-01", 20.0, False),
    ("C3", "2024-12-31", 20.0, False),
    ("C4", "2024-03-01", 200.0, True),
    ("C5", "2023-12-31", 500.0, False),
    ("C6", "2024-07-01", 10.0, False),
    ("C6", "2024-08-01", 10.0, False),
]
RIGHT = pd.DataFrame(
    {"recency_days": [10, 90, 0, 366, 152], "frequency": [2, 1, 3, 1, 2], "monetary": [150.0, 40.0, 60.0, 500.0, 20.0]},
    index=pd.Index(["C1", "C2", "C3", "C5", "C6"], name="customer_id"),
)
SCORES = pd.DataFrame({"R": [4, 3, 5, 1, 2], "F": [3, 1, 5, 2, 4], "M": [4, 2, 3, 5, 1]}, index=RIGHT.index)


def small_retail() -> datasets.Dataset:
    orders = pd.DataFrame(ROWS, columns=["customer_id", "order_date", "amount", "returned"])
    orders["order_date"] = pd.to_datetime(orders["order_date"])
    return datasets.Dataset("retail", {"orders": orders}, pd.Timestamp("2024-12-31"))


def test_expected_values_by_hand():
    got = ch04.rfm_expected(small_retail())[["recency_days", "frequency", "monetary"]]
    pd.testing.assert_frame_equal(got.sort_index(), RIGHT, check_dtype=False)
    pd.testing.assert_frame_equal(
        ch04.scores_expected(small_retail())[["R", "F", "M"]].sort_index(), SCORES, check_dtype=False
    )
    assert ch04.champions(small_retail()).sum() == 1


@pytest.mark.parametrize(
    ("name", "answer"),
    [
        ("rfm_table", RIGHT),
        ("rfm_table", RIGHT.reset_index().iloc[::-1]),
        ("rfm_table", RIGHT.astype(float)),
        ("rfm_scores", SCORES),
        ("rfm_scores", SCORES.reset_index()),
        ("n_champions", 1),
        ("n_champions", 1.0),
        ("champions_spend_share", 60 / 770),
    ],
)
def test_right_answers_pass(small, name, answer):
    assert run(small, name, answer).passed


@pytest.mark.parametrize(
    ("name", "answer", "words"),
    [
        ("rfm_table", RIGHT.assign(recency_days=RIGHT["recency_days"] + 1), "exactly 1 day more"),
        ("rfm_table", RIGHT.assign(recency_days=RIGHT["recency_days"] - 1), "exactly 1 day less"),
        ("rfm_table", RIGHT.assign(frequency=[3, 1, 3, 1, 2]), "frequency counts returned orders"),
        ("rfm_table", RIGHT.assign(monetary=[75.0, 40.0, 20.0, 500.0, 10.0]), "mean spend per order"),
        ("rfm_table", RIGHT.assign(monetary=[180.0, 40.0, 60.0, 500.0, 20.0]), "includes returned orders"),
        # everything computed on all orders: C1 R 10 F 3 M 180, and C4 (only a return) appears
        (
            "rfm_table",
            pd.concat(
                [
                    RIGHT.assign(frequency=[3, 1, 3, 1, 2], monetary=[180.0, 40, 60, 500, 20]),
                    pd.DataFrame(
                        {"recency_days": [305], "frequency": [1], "monetary": [200.0]},
                        index=pd.Index(["C4"], name="customer_id"),
                    ),
                ]
            ),
            "counts returned orders",
        ),
        ("rfm_table", RIGHT.drop(columns="monetary"), "no column 'monetary'"),
        ("rfm_table", RIGHT.iloc[:3], "missing"),
        ("rfm_scores", SCORES.assign(R=6 - SCORES["R"]), "wrong way"),
        ("rfm_scores", SCORES.assign(M=[1, 2, 3, 4, 5]), "different 'M'"),
        ("n_champions", 0, "only the code 555"),  # C3 is 553: no customer has 555
        ("n_champions", 2, "too high"),
        ("champions_spend_share", 0.2, "share of *customers*"),  # 1 of 5 customers
        ("champions_spend_share", 100 * 60 / 770, "percentage"),
    ],
)
def test_typical_wrong_answers(small, name, answer, words):
    res = run(small, name, answer)
    assert not res.passed
    assert words in res.message, res.message


def shipped_rfm(ds) -> pd.DataFrame:
    return rfm.rfm_table(ds.orders, as_of=ds.as_of)


def test_scores_with_ties_split_another_way_or_quantiles_are_diagnosed(shipped):
    table = shipped_rfm(shipped.data("retail"))
    right = rfm.score(table)
    # a student's pd.qcut on ranks in order of appearance: ties split by row order, not by id
    by_row_order = right.assign(F=pd.qcut(table["frequency"].rank(method="first"), 5, labels=False) + 1)
    assert (by_row_order["F"] != right["F"]).any()
    res = run(shipped, "rfm_scores", by_row_order)
    assert not res.passed and "ties are split another way" in res.message
    res = run(shipped, "rfm_scores", rfm.score(table, method="quantile"))
    assert not res.passed and "quantile scores" in res.message


def test_champion_miscounts_are_diagnosed(shipped):
    scores = rfm.score(shipped_rfm(shipped.data("retail")))
    code_555 = int((scores["RFM"] == "555").sum())
    every_r5 = int((scores["R"] == 5).sum())
    champions = int(((scores["R"] == 5) & (scores["F"] >= 4)).sum())  # the map: Champions = 5[4-5]
    assert len({code_555, every_r5, champions}) == 3
    assert run(shipped, "n_champions", champions).passed
    assert "only the code 555" in run(shipped, "n_champions", code_555).message
    assert "every customer with R = 5" in run(shipped, "n_champions", every_r5).message
    quantile = rfm.score(shipped_rfm(shipped.data("retail")), method="quantile")
    n_quantile = int(((quantile["R"] == 5) & (quantile["F"] >= 4)).sum())
    if n_quantile not in (champions, code_555, every_r5):
        assert "quantile scores" in run(shipped, "n_champions", n_quantile).message


def test_two_students_get_different_expected_answers():
    def answer(ex):
        return shipped_rfm(ex.data("retail"))

    a1, a2 = assert_answers_are_personal(NAME, "rfm_table", answer)
    assert len(a1) != len(a2) or not a1.index.equals(a2.index) or not a1["monetary"].equals(a2["monetary"])
