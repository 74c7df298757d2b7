"""Exercise 02 (customer value): its checks pass right answers and diagnose wrong ones.

The offer checks use the exercise's two offers, worked out by hand below; the survey checks a
hand-built set of survey answers. The shared tests (test_exercises_all.py) run the stored source
and the unsolved student version.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from crmlab import datasets  # noqa: E402
from crmlab.checks import ch02_customer_value as ch02  # noqa: E402
from crmlab.checks import exercise  # noqa: E402
from exercise_support import assert_answers_are_personal, run  # noqa: E402

NAME = "02_customer_value"

# Showroom: TCV = 1200 + 300 + 150 + 250 = 1900; TCC = 1400 + 120 + 80 + 60 = 1660
#   delivered value 240, ratio 1900 / 1660 = 1.144578
# Web shop: TCV = 1100 + 120 + 30 + 100 = 1350; TCC = 900 + 40 + 100 + 90 = 1130
#   delivered value 220, ratio 1350 / 1130 = 1.194690
# -> Showroom wins by difference, Web shop by ratio.


# --------------------------------------------------------------------------------------
# Hand-built survey: three answers per attribute
#   x: importance 7, 7, 1 -> mean 5 (median 7, sum 15); perception 3, 4, 2 -> 3; expectation 6
#   y: importance 7, 7, 7 -> mean 7;                     perception 6;          expectation 5
#   z: importance 2, 2, 2 -> mean 2;                     perception 1, 3, 2 -> 2; expectation 3
# mean importance over attributes = 14 / 3 = 4.67: x and y are important; mean performance = 11 / 3 =
# 3.67: x and z perform below it. Concentrate here: x only (y is important but performs well, z is
# weak but unimportant).
# --------------------------------------------------------------------------------------
def small_retail() -> datasets.Dataset:
    items = pd.DataFrame(
        {
            "response_id": [f"r{i}" for i in (1, 2, 3)] * 3,
            "attribute": pd.Categorical(["x"] * 3 + ["y"] * 3 + ["z"] * 3),
            "importance": [7, 7, 1, 7, 7, 7, 2, 2, 2],
            "perception": [3, 4, 2, 6, 6, 6, 1, 3, 2],
            "expectation": [6, 6, 6, 5, 5, 5, 3, 3, 3],
        }
    )
    return datasets.Dataset("retail", {"survey_items": items}, pd.Timestamp("2024-12-31"))


@pytest.fixture(scope="module")
def ex():
    return exercise(NAME, loader=lambda name, sid: small_retail())


def test_expected_values_by_hand():
    d = ch02.showroom()
    assert (d.total_value, d.total_cost, d.delivered_value) == (1900, 1660, 240)
    assert d.value_ratio == pytest.approx(1900 / 1660)
    assert ch02.winners() == (["Showroom"], ["Web shop"])
    t = ch02.ipa(small_retail())
    assert t["importance"].to_dict() == pytest.approx({"x": 5.0, "y": 7.0, "z": 2.0})


@pytest.mark.parametrize(
    ("name", "answer"),
    [
        ("delivered_value", 240),
        ("delivered_value", 240.0),
        ("value_ratio", 1.1446),
        ("winner_by_difference", " showroom"),
        ("winner_by_ratio", "Web shop"),
        ("mean_importance", pd.Series({"z": 2.0, "x": 5.0, "y": 7.0})),
        ("mean_importance", {"x": 5, "y": 7, "z": 2}),
        ("concentrate_here", ["x"]),
        ("concentrate_here", pd.Index(["x"])),
        ("concentrate_here", (" X",)),
        ("design_principles", {"A": 1, "B": 2, "C": 3, "D": 4}),
        ("design_principles", {"a": "1", "b": 2.0, "C": 3, "D": 4}),
    ],
)
def test_right_answers_pass(ex, name, answer):
    assert run(ex, name, answer).passed


@pytest.mark.parametrize(
    ("name", "answer", "words"),
    [
        ("delivered_value", 500, "only the price"),  # 1900 - 1400
        ("delivered_value", -240, "sign is reversed"),
        ("delivered_value", 1900, "total customer value"),
        ("delivered_value", "240", "not text"),
        ("value_ratio", 1660 / 1900, "divided cost by value"),
        ("value_ratio", 240 / 1660, "divided the delivered value"),
        ("value_ratio", 1900 / 1400, "price only"),
        ("winner_by_difference", "Web shop", "wins by ratio"),
        ("winner_by_ratio", "Showroom", "wins by difference"),
        ("winner_by_ratio", "Outlet", "possible answers"),
        ("mean_importance", pd.Series({"x": 3.0, "y": 6.0, "z": 2.0}), "'perception'"),
        ("mean_importance", pd.Series({"x": 6.0, "y": 5.0, "z": 3.0}), "'expectation'"),
        ("mean_importance", pd.Series({"x": 15.0, "y": 21.0, "z": 6.0}), "sums"),
        ("mean_importance", pd.Series({"x": 7.0, "y": 7.0, "z": 2.0}), "medians"),
        ("mean_importance", pd.Series({"x": 5.0, "y": 7.0}), "missing"),
        ("concentrate_here", ["y"], "only the most important attribute"),
        ("concentrate_here", ["x", "z"], "the unimportant ones too"),
        ("concentrate_here", ["x", "y"], "already does well"),
        ("concentrate_here", ["x", "w"], "not among the survey attributes"),
        ("concentrate_here", "x", "a list of names"),
        ("concentrate_here", [], "1 attribute is missing"),
        ("design_principles", {"A": 2, "B": 1, "C": 3, "D": 4}, "2 of 4 statements are labelled wrongly: A, B"),
        ("design_principles", {"A": 1, "B": 2, "C": 3}, "no label for D"),
        ("design_principles", {"A": 1, "B": 2, "C": 3, "D": 5}, "not one of the labels"),
    ],
)
def test_typical_wrong_answers(ex, name, answer, words):
    res = run(ex, name, answer)
    assert not res.passed
    assert words in res.message, res.message


def _chart(values, title="What customers value", xlabel="mean importance (1-7)", ylabel="attribute"):
    fig, ax = plt.subplots()
    pd.Series(values).plot.barh(ax=ax)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return fig, ax


@pytest.mark.parametrize(
    ("values", "labels", "words"),
    [
        ({"x": 5.0, "y": 7.0, "z": 2.0}, {}, "correct"),
        ({"z": 2.0, "x": 5.0, "y": 7.0}, {"xlabel": "mean importance (scale 1 to 7)"}, "correct"),
        ({"x": 5.0, "y": 7.0, "z": 2.0}, {"title": ""}, "no title"),
        ({"x": 5.0, "y": 7.0, "z": 2.0}, {"xlabel": "mean importance"}, "unit"),
        ({"x": 3.0, "y": 6.0, "z": 2.0}, {}, "mean performance"),  # perception, drawn with the same labels
        ({"x": 6.0, "y": 5.0, "z": 3.0}, {}, "mean expectation"),
        ({"x": 5.0, "y": 7.0}, {}, "missing: z"),
        ({"x": 5.0, "y": 6.0, "z": 2.0}, {}, "the bar 'y' is 6"),
    ],
)
def test_importance_chart_compares_the_bars(ex, values, labels, words):
    fig, ax = _chart(values, **labels)
    res = run(ex, "importance_chart", ax)
    plt.close(fig)
    assert res.passed == (words == "correct") and words in res.message, res.message


def test_two_students_get_different_expected_answers():
    def answer(ex):
        return ch02.ipa(ex.data("retail"))["importance"]

    a1, a2 = assert_answers_are_personal(NAME, "mean_importance", answer)
    assert not a1.equals(a2)
