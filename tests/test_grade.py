"""Grading: a batch of good, wrong, erroring, looping, invalid and missing submissions;
unsolved student versions, graded, score nothing and fail kindly."""
from __future__ import annotations

import contextlib
import csv
import hashlib
import io
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from exercise_support import STUDENT, check_cells, payloads

from crmlab import cli
from crmlab.checks import checks_for
from crmlab.grade import find_submissions, grade_notebook

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "exercises" / "source" / "00_start_here.ipynb"
TIMEOUT = 30  # seconds per notebook: the good ones take about 4 s; generous so a busy machine never times them out


def _edit(cell_text: str, old: str, new: str, nb) -> None:
    cells = [c for c in nb.cells if old in c.source and cell_text in c.source]
    assert len(cells) == 1, (cell_text, old)
    cells[0].source = cells[0].source.replace(old, new)


def _digest(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grading")
    subs = tmp / "submissions"
    subs.mkdir()
    good = nbformat.read(SOURCE, as_version=4)
    nbformat.write(good, subs / "s001.ipynb")  # the solution, graded on s001's own data

    wrong = nbformat.read(SOURCE, as_version=4)  # named by metadata, two typical mistakes
    _edit("n_signups_2023 = int", "== 2023", ">= 2023", wrong)
    _edit("channel_table = pd.DataFrame", 'kept.groupby("channel"', 'orders.groupby("channel"', wrong)
    wrong.metadata["crmlab"] = {"student_id": "s004"}
    nbformat.write(wrong, subs / "anna.ipynb")

    broken = nbformat.read(SOURCE, as_version=4)  # raises twice, and names another student's id
    broken.cells.insert(2, new_code_cell("1 / 0"))
    _edit("top_region = revenue.idxmax()", "top_region = revenue.idxmax()", 'raise KeyError("region")', broken)
    _edit("STUDENT_ID = None", "STUDENT_ID = None", 'STUDENT_ID = "s001"', broken)
    nbformat.write(broken, subs / "s007.ipynb")

    looping = nbformat.read(SOURCE, as_version=4)
    looping.cells.insert(2, new_code_cell("while True:\n    pass"))
    nbformat.write(looping, subs / "s005.ipynb")

    (subs / "s003.ipynb").write_text('{"cells": [', encoding="utf-8")  # not valid JSON
    (subs / "s006").mkdir()  # a student folder without the notebook
    roster = tmp / "roster.csv"
    roster.write_text("student_id\ns001\ns008\n", encoding="utf-8")

    before = _digest(subs)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = cli.main(["grade", "00_start_here", str(subs), "--out", str(tmp / "gradebook.csv"),
                         "--workers", "2", "--timeout", str(TIMEOUT), "--feedback", str(tmp / "feedback"),
                         "--roster", str(roster)])
    with open(tmp / "gradebook.csv", newline="", encoding="utf-8") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    return {"code": code, "rows": rows, "before": before, "after": _digest(subs), "stderr": err.getvalue(),
            "tmp": tmp, "header": (tmp / "gradebook.csv").read_text().splitlines()[0]}


def test_gradebook_layout(batch):
    assert batch["code"] == 0
    assert batch["header"] == ("student_id,signups_2023,orders_per_channel,top_region,channel_chart,"
                               "total,max,status,written_answers,file,seconds")
    assert sorted(batch["rows"]) == ["s001", "s003", "s004", "s005", "s006", "s007", "s008"]
    assert {r["max"] for r in batch["rows"].values()} == {"5"}


def test_good_submission_gets_full_points_on_its_own_data(batch):
    r = batch["rows"]["s001"]
    assert (r["total"], r["status"], r["written_answers"]) == ("5", "ok", "1 of 1")


def test_wrong_submission_named_by_metadata(batch):
    r = batch["rows"]["s004"]
    assert r["file"].endswith("anna.ipynb") and r["status"] == "ok"
    assert (r["signups_2023"], r["orders_per_channel"], r["top_region"], r["total"]) == ("0", "0", "1", "2")
    feedback = (batch["tmp"] / "feedback" / "s004.md").read_text(encoding="utf-8")
    assert "**Score: 2 of 5 points.**" in feedback
    assert "counts 2023 and later" in feedback and "includes returned orders" in feedback


def test_erroring_submission_keeps_the_points_of_cells_that_ran(batch):
    r = batch["rows"]["s007"]
    assert r["status"].startswith("error: ZeroDivisionError in cell 3 (and 1 more)")
    assert "id mismatch: the notebook's checks used student id 's001', the submission is 's007'" in r["status"]
    assert (r["top_region"], r["total"]) == ("0", "4")


def test_timeout_invalid_and_missing_rows(batch):
    rows = batch["rows"]
    assert rows["s005"]["status"] == f"timeout: still running after {TIMEOUT} s"
    assert rows["s005"]["total"] == "0"
    assert rows["s003"]["status"].startswith("invalid notebook: ") and rows["s003"]["total"] == "0"
    assert rows["s006"]["status"] == "missing: no 00_start_here.ipynb in s006/"
    assert rows["s008"]["status"] == "missing: no submission"
    assert "this check did not run" in (batch["tmp"] / "feedback" / "s005.md").read_text(encoding="utf-8")


def test_submissions_are_never_modified(batch):
    assert batch["before"] == batch["after"]


def test_progress_bar_on_stderr(batch):
    assert "grading 00_start_here" in batch["stderr"] and "7/7" in batch["stderr"]


def test_find_submissions_layouts(tmp_path):
    (tmp_path / "s1.ipynb").write_text("{}")
    (tmp_path / "s2").mkdir()
    (tmp_path / "s2" / "00_start_here.ipynb").write_text('{"metadata": {"crmlab": {"student_id": "s9"}}}')
    (tmp_path / ".ipynb_checkpoints").mkdir()
    subs = find_submissions(tmp_path, "00_start_here", roster=["s1", "s3"])
    assert [(s.student_id, bool(s.path)) for s in subs] == [("s1", True), ("s3", False), ("s9", True)]


# The grader's own path on unsolved work. That every student version fails every check kindly is
# tested once per exercise in test_exercises_all.py; two suffice here: one exercise on retail data
# and one that also checks b2b data, each run by the grader under a student id.
GRADED_UNSOLVED = ["00_start_here", "10_acquisition_and_development"]


@pytest.fixture(scope="module", params=GRADED_UNSOLVED)
def unsolved(request, tmp_path_factory):
    """(name, gradebook row, executed notebook) of a released student notebook graded unsolved as s001."""
    name = request.param
    executed = tmp_path_factory.mktemp("unsolved") / f"{name}.ipynb"
    row = grade_notebook(str(STUDENT / f"{name}.ipynb"), name, "s001", timeout=120, save_executed=executed)
    return name, row, nbformat.read(executed, as_version=4)


def test_student_versions_exist_for_every_source():
    sources = {p.stem for p in (ROOT / "exercises" / "source").glob("*.ipynb")}
    assert sources and sources == {p.stem for p in STUDENT.glob("*.ipynb")}


def test_graded_unsolved_student_version_scores_zero_on_the_students_data(unsolved):
    name, row, nb = unsolved
    assert row["total"] == 0 and row["status"].startswith("error: NotImplementedError"), (name, row["status"])
    cells = check_cells(nb)
    assert len(cells) == len(checks_for(name))
    for cell in cells:
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
        (payload,) = payloads([cell])
        assert not payload["passed"] and payload["error"] is None
        assert payload["message"].startswith("✘") and payload["student_id"] == "s001"
