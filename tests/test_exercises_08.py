"""Exercise 08 · Satisfaction and complaints: the checks pass right answers, fail typical wrong
ones with the right message, never crash, and follow each student's own data."""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import pytest

from crmlab import datasets
from crmlab.checks import MIMETYPE, exercise

NAME = "08_satisfaction_and_complaints"
ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------------------
# A hand-built survey and complaint log.
#   recommend: 10, 8, 7, 7, 6, 6, 2, 2, 1, 0 -> promoters {10} 10%, passives {8,7,7} 30%,
#     detractors {6,6,2,2,1,0} 60% -> NPS = 10 - 60 = -50 points.
#     detractors 0-5: 40% -> -30; promoters 7-10: 40% -> -20; promoters 8-10: 20% -> -40;
#     passives as detractors: 90% -> -80; promoters only: 10; mean answer: 4.9.
#   survey items (two responses):      E       P       importance
#     delivery      (reliability)    7, 6    4, 5      7, 7   -> gap 4.5 - 6.5 = -2 (worst)
#     staff         (assurance)      5, 5    6, 6      3, 4   -> gap +1 (best)
#     website ease  (tangibles)      5, 5    4, 4      6, 6   -> gap -1, lowest perception 4
#   IPA at the means: importance line (7 + 3.5 + 6)/3 = 5.5, performance line (4.5 + 6 + 4)/3 = 4.83
#     website ease: importance 6 (high), performance 4 (low) -> "Concentrate here";
#     midpoint crosshairs (4): 6 >= 4, 4 >= 4 -> "Keep up the good work"; swapped -> "Possible overkill".
#   complaints: delivery hours 10, 40, 20 resolved T, F, T -> share 2/3, median 20 (mean 23.33);
#     billing 5 resolved T -> share 1, median 5. Inquiries: billing 1 F, delivery 2 T
#     (with them: delivery 3/4 and 15, billing 1/2 and 3).
# --------------------------------------------------------------------------------------
def small_retail() -> datasets.Dataset:
    surveys = pd.DataFrame({"response_id": [f"S{i}" for i in range(10)],
                            "customer_id": [f"R{i}" for i in range(10)],
                            "recommend": [10, 8, 7, 7, 6, 6, 2, 2, 1, 0]})
    items = pd.DataFrame({
        "response_id": ["S0", "S0", "S0", "S1", "S1", "S1"],
        "attribute": ["delivery", "staff", "website ease"] * 2,
        "dimension": ["reliability", "assurance", "tangibles"] * 2,
        "expectation": [7, 5, 5, 6, 5, 5],
        "perception": [4, 6, 4, 5, 6, 4],
        "importance": [7, 3, 6, 7, 4, 6],
    })
    inter = pd.DataFrame({
        "customer_id": ["R1", "R2", "R3", "R1", "R2", "R3"],
        "date": pd.to_datetime(["2024-01-05"] * 6),
        "kind": ["complaint", "complaint", "complaint", "complaint", "inquiry", "inquiry"],
        "topic": ["delivery", "delivery", "delivery", "billing", "billing", "delivery"],
        "resolution_hours": [10.0, 40.0, 20.0, 5.0, 1.0, 2.0],
        "resolved": [True, False, True, True, False, True],
        "satisfaction_after": [6.0, 2.0, 5.0, 7.0, 4.0, 6.0],
    })
    return datasets.Dataset("retail", {"surveys": surveys, "survey_items": items, "interactions": inter},
                            pd.Timestamp("2024-12-31"))


@pytest.fixture
def ex():
    ds = small_retail()
    return exercise(NAME, loader=lambda name, sid: ds.copy())


def bars(n: int, title: str = "Gaps"):
    fig, ax = plt.subplots()
    ax.barh([f"a{i}" for i in range(n)], range(n))
    ax.set_title(title)
    ax.set_xlabel("disconfirmation (scale points)")
    ax.set_ylabel("attribute")
    return ax


def test_right_answers_pass(ex):
    handling = pd.DataFrame({"topic": ["billing", "delivery"], "median_hours": [5, 20.0],
                             "share_resolved": [1.0, 2 / 3]})  # topic as a column, columns reordered
    assert ex.run("nps", -50).passed
    assert ex.run("nps", -50.04).passed  # rounded to one decimal is fine
    assert ex.run("worst_gap", " Delivery ").passed
    assert ex.run("ipa_quadrant", "concentrate here").passed
    assert ex.run("complaint_handling", handling).passed
    assert ex.run("complaint_handling", handling.set_index("topic").round(4)).passed
    assert ex.run("gap_chart", bars(3)).passed
    plt.close("all")


@pytest.mark.parametrize("name, answer, words", [
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
    ("worst_gap", "website ease", "lowest perception"),
    ("worst_gap", "speed", "not one of the possible answers"),
    ("ipa_quadrant", "Keep up the good work", "scale midpoint"),
    ("ipa_quadrant", "Possible overkill", "importance and performance swapped"),
])
def test_typical_wrong_answers_fail_with_the_right_message(ex, name, answer, words):
    res = ex.run(name, answer)
    assert not res.passed and res.error is None
    assert words in res.message, res.message


@pytest.mark.parametrize("table, words", [
    ({"share_resolved": [0.5, 0.75], "median_hours": [3.0, 15.0]}, "include the inquiries"),
    ({"share_resolved": [1.0, 2 / 3], "median_hours": [5.0, 70 / 3]}, "mean time to resolve"),
    ({"share_resolved": [100.0, 200 / 3], "median_hours": [5.0, 20.0]}, "in percent"),
    ({"share_resolved": [1.0, 2 / 3]}, "no column 'median_hours'"),
])
def test_complaint_table_mistakes(ex, table, words):
    answer = pd.DataFrame(table, index=pd.Index(["billing", "delivery"], name="topic"))
    res = ex.run("complaint_handling", answer)
    assert not res.passed and words in res.message, res.message


def test_chart_mistakes(ex):
    assert "expected one per attribute (3)" in ex.run("gap_chart", bars(2)).message
    assert "no title" in ex.run("gap_chart", bars(3, title="")).message
    plt.close("all")


def run_unsolved(name: str):
    """Run a released notebook's code cells as Jupyter would (a cell that raises stops, the next
    runs) on the shipped data; return its exercise session. Also used by test_exercises_09."""
    nb = nbformat.read(ROOT / "exercises" / "student" / f"{name}.ipynb", as_version=4)
    ns: dict = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            try:
                exec(compile(cell.source, name, "exec"), ns)
            except NotImplementedError:
                pass
    plt.close("all")
    return ns["ex"]


def stored_payloads(name: str) -> list[dict]:
    """The check results stored in the executed source notebook."""
    nb = json.loads((ROOT / "exercises" / "source" / f"{name}.ipynb").read_text(encoding="utf-8"))
    return [o["data"][MIMETYPE] for c in nb["cells"] if c["cell_type"] == "code"
            for o in c["outputs"] if MIMETYPE in o.get("data", {})]


def test_unsolved_student_version_fails_every_check_kindly(monkeypatch, capsys):
    monkeypatch.delenv("CRMLAB_STUDENT_ID", raising=False)
    ex = run_unsolved(NAME)
    assert sorted(ex.results) == sorted(ex.checks)
    for res in ex.results.values():
        assert not res.passed and res.error is None
        assert "You have not answered yet" in res.message
    assert "0 of 5 checks passed" in capsys.readouterr().out


def test_source_is_stored_with_every_check_passing():
    payloads = stored_payloads(NAME)
    assert len(payloads) == 5 and all(p["passed"] for p in payloads)


def test_two_students_get_different_answers(monkeypatch):
    monkeypatch.delenv("CRMLAB_STUDENT_ID", raising=False)
    ex1, ex2 = exercise(NAME, student_id="s001"), exercise(NAME, student_id="s002")
    r1, r2 = ex1.data("retail").surveys["recommend"], ex2.data("retail").surveys["recommend"]
    n1 = 100 * ((r1 >= 9).mean() - (r1 <= 6).mean())
    n2 = 100 * ((r2 >= 9).mean() - (r2 <= 6).mean())
    assert abs(n1 - n2) > 0.1
    assert ex1.run("nps", n1).passed and ex2.run("nps", n2).passed
    assert not ex2.run("nps", n1).passed
