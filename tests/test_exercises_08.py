"""Exercise 08 · Satisfaction and complaints: the checks pass right answers, fail typical wrong
ones with the right message, never crash, and follow each student's own data."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from exercise_support import assert_answers_are_personal

from crmlab import datasets
from crmlab.checks import exercise

NAME = "08_satisfaction_and_complaints"


# --------------------------------------------------------------------------------------
# A hand-built survey and complaint log.
#   recommend: 10, 8, 7, 7, 6, 6, 2, 2, 1, 0 -> promoters {10} 10%, passives {8,7,7} 30%,
#     detractors {6,6,2,2,1,0} 60% -> NPS = 10 - 60 = -50 points.
#     detractors 0-5: 40% -> -30; promoters 7-10: 40% -> -20; promoters 8-10: 20% -> -40;
#     passives as detractors: 90% -> -80; promoters only: 10; mean answer: 4.9.
#   survey items (two responses):      E       P       importance
#     delivery      (reliability)    7, 6    4, 5      7, 7   -> gap 4.5 - 6.5 = -2 (worst)
#     staff         (assurance)      5, 5    6, 6      3, 4   -> gap +1 (best)
#     staff friendliness  (tangibles)      5, 5    4, 4      6, 6   -> gap -1, lowest perception 4
#   IPA at the means: importance line (7 + 3.5 + 6)/3 = 5.5, performance line (4.5 + 6 + 4)/3 = 4.83
#     staff friendliness: importance 6 (high), performance 4 (low) -> "Concentrate here";
#     midpoint crosshairs (4): 6 >= 4, 4 >= 4 -> "Keep up the good work"; swapped -> "Possible overkill".
#   complaints: delivery hours 10, 40, 20 resolved T, F, T -> share 2/3, median 20 (mean 23.33);
#     billing 5 resolved T -> share 1, median 5. Inquiries: billing 1 F, delivery 2 T
#     (with them: delivery 3/4 and 15, billing 1/2 and 3).
# --------------------------------------------------------------------------------------
def small_retail() -> datasets.Dataset:
    surveys = pd.DataFrame(
        {
            "response_id": [f"S{i}" for i in range(10)],
            "customer_id": [f"R{i}" for i in range(10)],
            "recommend": [10, 8, 7, 7, 6, 6, 2, 2, 1, 0],
        }
    )
    items = pd.DataFrame(
        {
            "response_id": ["S0", "S0", "S0", "S1", "S1", "S1"],
            "attribute": ["delivery", "staff", "staff friendliness"] * 2,
            "dimension": ["reliability", "assurance", "tangibles"] * 2,
            "expectation": [7, 5, 5, 6, 5, 5],
            "perception": [4, 6, 4, 5, 6, 4],
            "importance": [7, 3, 6, 7, 4, 6],
        }
    )
    inter = pd.DataFrame(
        {
            "customer_id": ["R1", "R2", "R3", "R1", "R2", "R3"],
            "date": pd.to_datetime(["2024-01-05"] * 6),
            "kind": ["complaint", "complaint", "complaint", "complaint", "inquiry", "inquiry"],
            "topic": ["delivery", "delivery", "delivery", "billing", "billing", "delivery"],
            "resolution_hours": [10.0, 40.0, 20.0, 5.0, 1.0, 2.0],
            "resolved": [True, False, True, True, False, True],
            "satisfaction_after": [6.0, 2.0, 5.0, 7.0, 4.0, 6.0],
        }
    )
    return datasets.Dataset(
        "retail", {"surveys": surveys, "survey_items": items, "interactions": inter}, pd.Timestamp("2024-12-31")
    )


@pytest.fixture
def ex():
    ds = small_retail()
    return exercise(NAME, loader=lambda name, sid: ds.copy())


GAPS = {"delivery": -2.0, "staff": 1.0, "staff friendliness": -1.0}  # mean perception - mean expectation


def bars(n: int = 3, title: str = "Gaps", values: dict | None = None):
    values = dict(list((values or GAPS).items())[:n])
    fig, ax = plt.subplots()
    ax.barh(list(values), list(values.values()))
    ax.set_title(title)
    ax.set_xlabel("disconfirmation (scale points)")
    ax.set_ylabel("attribute")
    return ax


def test_right_answers_pass(ex):
    handling = pd.DataFrame(
        {"topic": ["billing", "delivery"], "median_hours": [5, 20.0], "share_resolved": [1.0, 2 / 3]}
    )  # topic as a column, columns reordered
    assert ex.run("nps", -50).passed
    assert ex.run("nps", -50.0).passed  # rounded to one decimal is fine
    assert not ex.run("nps", -50.04).passed  # two decimals must be right to two decimals
    assert ex.run("worst_gap", " Delivery ").passed
    assert ex.run("ipa_quadrant", "concentrate here").passed
    assert ex.run("complaint_handling", handling).passed
    assert ex.run("complaint_handling", handling.set_index("topic").round(4)).passed
    assert ex.run("gap_chart", bars(3)).passed
    plt.close("all")


@pytest.mark.parametrize(
    "name, answer, words",
    [
        ("nps", -30, "detractors as 0-5"),
        ("nps", -20, "7 and 8 as promoters"),
        ("nps", -40, "counted 8 as a promoter"),
        ("nps", -80, "passives (7-8) as detractors"),
        ("nps", 10, "share of promoters only"),
        ("nps", 4.9, "mean answer"),
        ("nps", -0.5, "multiply"),
        ("nps", 50, "wrong sign"),
        ("nps", "-50", "the text '-50'"),
        ("worst_gap", "staff", "largest *positive* gap"),
        ("worst_gap", "staff friendliness", "lowest perception"),
        ("worst_gap", "speed", "not one of the possible answers"),
        ("ipa_quadrant", "Keep up the good work", "scale midpoint"),
        ("ipa_quadrant", "Possible overkill", "importance and performance swapped"),
    ],
)
def test_typical_wrong_answers_fail_with_the_right_message(ex, name, answer, words):
    res = ex.run(name, answer)
    assert not res.passed and res.error is None
    assert words in res.message, res.message


@pytest.mark.parametrize(
    "table, words",
    [
        ({"share_resolved": [0.5, 0.75], "median_hours": [3.0, 15.0]}, "include the inquiries"),
        ({"share_resolved": [1.0, 2 / 3], "median_hours": [5.0, 70 / 3]}, "mean time to resolve"),
        ({"share_resolved": [100.0, 200 / 3], "median_hours": [5.0, 20.0]}, "in percent"),
        ({"share_resolved": [1.0, 2 / 3]}, "no column 'median_hours'"),
    ],
)
def test_complaint_table_mistakes(ex, table, words):
    answer = pd.DataFrame(table, index=pd.Index(["billing", "delivery"], name="topic"))
    res = ex.run("complaint_handling", answer)
    assert not res.passed and words in res.message, res.message


def test_chart_mistakes(ex):
    assert "expected one per attribute (3)" in ex.run("gap_chart", bars(2)).message
    assert (
        "mean perception"
        in ex.run("gap_chart", bars(values={"delivery": 4.5, "staff": 6.0, "staff friendliness": 4.0})).message
    )
    assert "wrong sign" in ex.run("gap_chart", bars(values={k: -v for k, v in GAPS.items()})).message
    assert "the bar 'staff' is 2" in ex.run("gap_chart", bars(values={**GAPS, "staff": 2.0})).message
    assert "no title" in ex.run("gap_chart", bars(3, title="")).message
    plt.close("all")


def nps_of(ex):
    """The right NPS for the student of ``ex``, from their own surveys."""
    r = ex.data("retail").surveys["recommend"]
    return 100 * ((r >= 9).mean() - (r <= 6).mean())


def test_two_students_get_different_answers(monkeypatch):
    monkeypatch.delenv("CRMLAB_STUDENT_ID", raising=False)
    n1, n2 = assert_answers_are_personal(NAME, "nps", nps_of)
    assert abs(n1 - n2) > 0.1
