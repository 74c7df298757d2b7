"""What every exercise promises (exercises/README.md, "shared tests"), for every source notebook.

The released student version of each ``exercises/source/*.ipynb`` is executed once, unsolved, in
a fresh kernel on the shipped data: every registered check of the exercise must report ✘ with a
kind message (no traceback from a check cell, no error inside a check), and every result must be
countable by the grader (its payload names a registered check, with 0 of that check's points).
That the stored sources show every check ✔ is tested in ``test_release.py``; chapter-specific
right and wrong answers are in ``test_exercises_NN.py``.
"""

from __future__ import annotations

import pytest
from exercise_support import check_cells, executed_student_version, exercise_names, payloads

from crmlab.checks import NOT_ANSWERED, checks_for, exercise

NAMES = exercise_names()


@pytest.fixture(scope="module", params=NAMES)
def unsolved(request):
    """(exercise name, its student notebook executed unsolved): one kernel run per exercise."""
    return request.param, executed_student_version(request.param)


def test_there_are_exercises():
    assert len(NAMES) >= 1 and "00_start_here" in NAMES


def test_every_check_cell_reports_a_kind_failure(unsolved):
    name, nb = unsolved
    cells = check_cells(nb)
    assert cells, f"{name}: no ex.check(...) cell"
    for cell in cells:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"{name}: a check cell raised {errors[0].get('ename')}:\n{cell.source}"
        assert "Traceback" not in "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        (payload,) = payloads([cell])
        assert not payload["passed"] and payload["error"] is None, (name, payload["message"])
        assert payload["message"].startswith(f"✘ {payload['name']} (0 of ")
        assert NOT_ANSWERED.split(":")[0] in payload["message"], payload["message"]


def test_every_registered_check_is_reported_and_countable(unsolved):
    name, nb = unsolved
    specs = checks_for(name)
    results = payloads(check_cells(nb))
    assert sorted(p["name"] for p in results) == sorted(specs), name
    for p in results:
        assert p["exercise"] == name and p["student_id"] is None
        assert p["points"] == 0 and p["max_points"] == specs[p["name"]].points > 0


def test_the_summary_counts_nothing_passed(unsolved):
    name, nb = unsolved
    ex = exercise(name)
    shown = "".join(
        o.get("text", "")
        for c in nb.cells
        if c.cell_type == "code" and "ex.summary()" in c.source
        for o in c.outputs
        if o.output_type == "stream"
    )
    expected = f"{name}: 0 of {len(ex.checks)} checks passed, 0 of {ex.max_points:g} point"
    assert expected in shown, shown
