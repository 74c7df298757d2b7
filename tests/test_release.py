"""Releasing exercises: solutions stripped, reproducible bytes, drift detected, sources in step."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from crmlab import cli
from crmlab.checks import MIMETYPE, checks_for
from crmlab.release import CODE_STUB, TEXT_STUB, ReleaseError, release, release_notebook, strip_solutions

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "exercises" / "source").glob("*.ipynb"))


def make_source(folder: Path, name: str = "98_demo.ipynb", extra_cells=()) -> Path:
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Demo"),
            new_code_cell(
                "total = None\nfor i in range(3):\n    ### BEGIN SOLUTION\n    total = (total or 0) + i\n"
                "    ### END SOLUTION\nprint(total)",
                execution_count=4,
                outputs=[new_output("stream", name="stdout", text="3\n")],
                metadata={"execution": {"iopub.status.busy": "2024-01-01T00:00:00"}, "tags": ["keep"]},
            ),
            new_markdown_cell("**Your answer:**\n\n### BEGIN SOLUTION\nThe web channel.\n### END SOLUTION"),
            new_code_cell("secret = 42", metadata={"nbgrader": {"solution": True}}),
            *extra_cells,
        ]
    )
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell{i}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    nbformat.write(nb, path)
    return path


def test_strip_solutions_keeps_indentation_and_outside_code():
    text, replaced = strip_solutions("a = 1\n  ### BEGIN SOLUTION\n  a = 2\n  ### END SOLUTION\nb = a")
    assert replaced
    assert text == "a = 1\n  # YOUR CODE HERE\n  raise NotImplementedError()\nb = a"
    assert strip_solutions("x = 1") == ("x = 1", False)
    assert strip_solutions("Hi\n### BEGIN SOLUTION\nsecret\n### END SOLUTION", "markdown")[0] == "Hi\n" + TEXT_STUB


@pytest.mark.parametrize(
    "source, words",
    [
        ("### BEGIN SOLUTION\nx = 1", "'### BEGIN SOLUTION' on line 1 has no matching '### END SOLUTION'"),
        ("x = 1\n### END SOLUTION", "'### END SOLUTION' on line 2 without a '### BEGIN SOLUTION'"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "on line 2 inside the solution opened on line 1"),
    ],
)
def test_unbalanced_markers_are_refused(source, words):
    with pytest.raises(ReleaseError, match=re.escape(words)):
        strip_solutions(source, where="x.ipynb, cell 2")


def test_release_strips_solutions_outputs_and_run_metadata(tmp_path):
    make_source(tmp_path / "source")
    assert release(tmp_path / "source", tmp_path / "student") == ["98_demo.ipynb"]
    out = tmp_path / "student" / "98_demo.ipynb"
    nb = nbformat.read(out, as_version=4)
    code, answer, whole = nb.cells[1], nb.cells[2], nb.cells[3]
    assert (
        code.source == "total = None\nfor i in range(3):\n    " + CODE_STUB.replace("\n", "\n    ") + "\nprint(total)"
    )
    assert code.outputs == [] and code.execution_count is None
    assert code.metadata == {"tags": ["keep"]}
    assert answer.source == "**Your answer:**\n\n" + TEXT_STUB
    assert whole.source == CODE_STUB  # an nbgrader solution cell without markers, as nbgrader does
    assert [c.id for c in nb.cells] == ["cell0", "cell1", "cell2", "cell3"]
    text = out.read_text(encoding="utf-8")
    assert "SOLUTION" not in text and "secret" not in text and "The web channel" not in text
    assert text.endswith("}\n")


def test_release_is_byte_identical_on_rerun_and_check_detects_drift(tmp_path, capsys):
    src, dst = tmp_path / "source", tmp_path / "student"
    make_source(src)
    args = ["release", "--source", str(src), "--dest", str(dst)]
    assert cli.main(args) == 0
    first = (dst / "98_demo.ipynb").read_bytes()
    assert release(src, dst) == []  # nothing to rewrite
    assert (dst / "98_demo.ipynb").read_bytes() == first
    assert cli.main(args + ["--check"]) == 0
    (dst / "98_demo.ipynb").write_bytes(first.replace(b"YOUR CODE HERE", b"my own edit"))
    (dst / "97_orphan.ipynb").write_bytes(first)
    capsys.readouterr()
    assert cli.main(args + ["--check"]) == 1
    out = capsys.readouterr().out
    assert "98_demo.ipynb" in out and "97_orphan.ipynb (no source)" in out
    assert b"my own edit" in (dst / "98_demo.ipynb").read_bytes()  # --check writes nothing


def test_release_refuses_unbalanced_source_naming_file_and_cell(tmp_path, capsys):
    make_source(tmp_path / "source", extra_cells=[new_code_cell("### BEGIN SOLUTION\nx = 1")])
    assert cli.main(["release", "--source", str(tmp_path / "source"), "--dest", str(tmp_path / "student")]) == 2
    err = capsys.readouterr().err
    assert "98_demo.ipynb, cell 5 (code): '### BEGIN SOLUTION' on line 1 has no matching" in err
    assert not (tmp_path / "student").exists()


def test_cells_without_ids_get_stable_ones(tmp_path):
    path = make_source(tmp_path)
    raw = path.read_text().replace('"id": "cell1",', "")
    path.write_text(raw)
    assert release_notebook(path) == release_notebook(path)
    assert re.search(r'"id": "[0-9a-f]{8}"', release_notebook(path))


def test_committed_student_versions_are_what_release_produces():
    assert SOURCES, "no exercise sources found"
    assert release(ROOT / "exercises" / "source", ROOT / "exercises" / "student", check=True) == []


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_source_uses_exactly_its_registered_checks_and_is_stored_passing(source):
    """Every check cell names a registered check, every check has a cell, and the stored
    outputs (the source executed top to bottom) show every check passed."""
    nb = nbformat.read(source, as_version=4)
    specs = checks_for(source.stem)
    used = [m for c in nb.cells if c.cell_type == "code" for m in re.findall(r'ex\.check\(\s*"(\w+)"', c.source)]
    assert sorted(used) == sorted(specs)
    stored = {
        o["data"][MIMETYPE]["name"]: o["data"][MIMETYPE]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if MIMETYPE in o.get("data", {})
    }
    assert sorted(stored) == sorted(specs)
    assert all(p["passed"] for p in stored.values()), [p["message"] for p in stored.values()]
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_source_solution_cells_are_marked_for_nbgrader(source):
    """nbgrader (and the grader's written-answer count) needs solution cells marked in metadata."""
    nb = nbformat.read(source, as_version=4)
    for number, cell in enumerate(nb.cells, start=1):
        has_markers = strip_solutions(cell.source, cell.cell_type)[1]
        marked = bool(cell.metadata.get("nbgrader", {}).get("solution"))
        assert has_markers == marked, f"{source.name}, cell {number}: markers and nbgrader metadata disagree"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_every_written_answer_has_registered_points_shown_to_the_student(source):
    """Each Markdown solution cell is a registered written answer (crmlab/checks/_written.py) and the
    student version says what it is worth; every registered answer names a cell of the source."""
    from crmlab.checks._written import points_note, written_for

    nb = nbformat.read(source, as_version=4)
    answer_cells = [
        c.id for c in nb.cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution")
    ]
    specs = written_for(source.stem)
    assert [s.cell_id for s in specs.values()] == answer_cells  # registered in notebook order
    student = nbformat.reads(release_notebook(source), as_version=4)
    by_id = {c.id: c for c in student.cells}
    for spec in specs.values():
        assert by_id[spec.cell_id].source.startswith(points_note(spec.points) + "\n\n"), spec.name
        assert TEXT_STUB in by_id[spec.cell_id].source
