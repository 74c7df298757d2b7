"""A hostile class, graded in the real sandbox: every row right, nothing outside changed, nothing survives.

Sixteen submissions of ``04_rfm`` (the cells the hostile ones add are in
``tests/fixtures/grading/``): the solution; the unsolved student version; another student's
notebook with that student's numbers copied; an endless loop; a syntax error; not JSON; check
cells deleted; writes outside its folder; changes crmlab's checks; changes another submission;
starts background processes; prints 10 MB; forges check results with inflated points; claims
another student's id in its metadata; a memory hog; a fork bomb. They are graded once, with
``--sandbox bwrap --workers 2``, through the command line an instructor uses.

The sandbox is bubblewrap (``bwrap``); the test fails, saying so, where it does not work
(``.ci/run`` installs it).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import time
import uuid
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from crmlab import cli, datasets, rfm
from crmlab.checks import checks_for
from crmlab.sandbox import FIRST_UID, bwrap_problem

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "exercises" / "source" / "04_rfm.ipynb"
STUDENT = ROOT / "exercises" / "student" / "04_rfm.ipynb"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "grading"
TIMEOUT = 60  # seconds per notebook; a good one takes about 7 s sandboxed, on a busy machine up to 30
FULL = 7  # points of the four checks of 04_rfm: 3 + 2 + 1 + 1 (crmlab/checks/ch04_rfm.py)
SKIP_DIRS = {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", ".ipynb_checkpoints"}


def _digest(folder: Path, skip: set[str] = frozenset()) -> dict[str, str]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d not in skip]
        for name in filenames:
            p = Path(dirpath) / name
            with contextlib.suppress(OSError):
                out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _solution():
    nb = nbformat.read(SOURCE, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def _unsolved():
    return nbformat.read(STUDENT, as_version=4)


def _with(nb, fixture: str, subst: dict[str, str]):
    """``nb`` with the fixture's cell inserted right after the set-up cell (it becomes code cell 2)."""
    text = (FIXTURES / fixture).read_text(encoding="utf-8")
    for key, value in subst.items():
        text = text.replace(key, value)
    setup = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells.insert(setup + 1, new_code_cell(text))
    return nb


def _set_line(nb, old: str, new: str):
    cells = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
    assert len(cells) == 1, old
    cells[0].source = cells[0].source.replace(old, new)
    return nb


def _sandbox_processes(token: str) -> list[str]:
    """Processes of a sandbox uid, or whose command line carries the token."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            uid = int(
                next(line.split()[1] for line in (proc / "status").read_text().splitlines() if line.startswith("Uid:"))
            )
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if uid >= FIRST_UID or token in cmd:
                found.append(f"{proc.name} uid={uid} {cmd[:80]}")
    return found


def _other_students_numbers(student_id: str) -> tuple[int, float]:
    """Champions and their share of spend on another student's data, computed as the chapter does."""
    ds = datasets.load("retail", student_id=student_id)
    scores = rfm.score(rfm.rfm_table(ds.orders, as_of=ds.as_of), bins=5)
    champions = rfm.segment(scores) == "Champions"
    return int(champions.sum()), float(scores.loc[champions, "monetary"].sum() / scores["monetary"].sum())


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    problem = bwrap_problem()
    if problem:
        pytest.fail(f"the grading sandbox is needed for this test: {problem}")
    token = f"PWNED{uuid.uuid4().hex[:12]}"
    tmp = tmp_path_factory.mktemp("hostile")
    subs, outside, out = tmp / "submissions", tmp / "outside", tmp / "out"
    for folder in (subs, outside, out):
        folder.mkdir()
    (outside / "canary.txt").write_text("must stay as it is\n", encoding="utf-8")
    gradebook = out / "gradebook.csv"
    subst = {
        "__TOKEN__": token,
        "__ROOT__": str(ROOT),
        "__OTHER__": str(subs / "s01.ipynb"),
        "__OUTSIDE__": str(outside),
        "__GRADEBOOK__": str(gradebook),
    }

    n_champions, share = _other_students_numbers("s01")
    copied = _set_line(_solution(), "STUDENT_ID = None", 'STUDENT_ID = "s01"')
    _set_line(copied, 'n_champions = int((segments == "Champions").sum())', f"n_champions = {n_champions}")
    champions_line = next(
        line for c in copied.cells for line in c.source.splitlines() if line.startswith("champions_share = scores.loc")
    )
    _set_line(copied, champions_line, f"champions_share = {share!r}")
    no_checks = _solution()
    no_checks.cells = [c for c in no_checks.cells if "ex.check(" not in c.source]
    syntax = _set_line(
        _solution(),
        "rfm_table = rfm.rfm_table(ds.orders, as_of=ds.as_of)",
        "rfm_table = rfm.rfm_table(ds.orders, as_of=ds.as_of",
    )
    metadata = _solution()
    metadata.metadata["crmlab"] = {"student_id": "s01"}

    notebooks = {
        "s01": _solution(),
        "s02": _unsolved(),
        "s03": copied,
        "s04": _with(_solution(), "endless_loop.py", subst),
        "s05": syntax,
        "s07": no_checks,
        "s08": _with(_solution(), "writes_outside.py", subst),
        "s09": _with(_unsolved(), "modifies_checks.py", subst),
        "s10": _with(_solution(), "modifies_other.py", subst),
        "s11": _with(_solution(), "background.py", subst),
        "s12": _with(_solution(), "prints_10mb.py", subst),
        "s13": _with(_unsolved(), "forges_results.py", subst),
        "s14": metadata,
        "s15": _with(_unsolved(), "memory_hog.py", subst),
        "s16": _with(_solution(), "fork_bomb.py", subst),
    }
    for sid, nb in notebooks.items():
        nbformat.write(nb, subs / f"{sid}.ipynb")
    (subs / "s06.ipynb").write_text('{"cells": [', encoding="utf-8")

    before = {"checkout": _digest(ROOT, SKIP_DIRS), "submissions": _digest(subs), "outside": _digest(outside)}
    err, said = io.StringIO(), io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(said):
        code = cli.main(
            [
                "grade",
                "04_rfm",
                str(subs),
                "--out",
                str(gradebook),
                "--workers",
                "2",
                "--timeout",
                str(TIMEOUT),
                "--feedback",
                str(out / "feedback"),
                "--sandbox",
                "bwrap",
                "--keep-executed",
                str(out / "executed"),
            ]
        )
    seconds = time.monotonic() - started
    gradebook_bytes = gradebook.read_bytes()
    time.sleep(5)  # what a surviving process would do, it has had time to do
    after = {"checkout": _digest(ROOT, SKIP_DIRS), "submissions": _digest(subs), "outside": _digest(outside)}
    with open(gradebook, newline="", encoding="utf-8") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    return {
        "code": code,
        "rows": rows,
        "before": before,
        "after": after,
        "token": token,
        "out": out,
        "gradebook_bytes": gradebook_bytes,
        "gradebook_after": gradebook.read_bytes(),
        "processes": _sandbox_processes(token),
        "seconds": seconds,
        "stdout": said.getvalue(),
    }


def _feedback(hostile, sid: str) -> str:
    return (hostile["out"] / "feedback" / f"{sid}.md").read_text(encoding="utf-8")


def test_every_submission_has_a_row(hostile):
    assert hostile["code"] == 0
    assert sorted(hostile["rows"]) == [f"s{i:02d}" for i in range(1, 17)]
    assert {r["max"] for r in hostile["rows"].values()} == {str(FULL + 2)}  # checks + the written answer


def test_zero_forged_points(hostile):
    rows = hostile["rows"]
    for sid, r in rows.items():
        checks = sum(float(r[n]) for n in checks_for("04_rfm"))
        assert checks <= FULL and float(r["total"]) <= float(r["max"]), sid
    forged = rows["s13"]
    assert forged["total"] == "0"
    assert "forged output ignored: output imitating a check result in code cell(s) 2" in forged["status"]
    patched = rows["s09"]  # changed crmlab in its own kernel: the grader's checks are untouched
    assert patched["total"] == "0" and "forged" not in patched["status"]
    assert rows["s02"]["total"] == "0"


def test_solution_and_its_variants_score_full(hostile):
    rows = hostile["rows"]
    assert (rows["s01"]["total"], rows["s01"]["status"], rows["s01"]["written_answers"]) == (str(FULL), "ok", "1 of 1")
    for sid in ("s08", "s10", "s11", "s16"):  # the attacks failed; the solution in the same notebook counts
        assert (sid, rows[sid]["total"], rows[sid]["status"]) == (sid, str(FULL), "ok")


def test_unsolved_scores_nothing_and_says_why(hostile):
    r = hostile["rows"]["s02"]
    assert r["total"] == "0"
    assert r["status"] == "error: NotImplementedError in code cell 2 (`rfm_table = None`) (and 3 more)"
    assert "You have not answered yet" in _feedback(hostile, "s02")


def test_copied_numbers_fail_and_the_id_line_is_noted(hostile):
    r = hostile["rows"]["s03"]
    own = _other_students_numbers("s03")
    assert own != _other_students_numbers("s01")  # the copied numbers are another student's
    assert (r["rfm_table"], r["rfm_scores"], r["n_champions"], r["champions_spend_share"]) == ("3", "2", "0", "0")
    assert r["status"] == "id mismatch: its STUDENT_ID line says 's01'; graded as 's03' (the file name)"


def test_endless_loop_times_out_naming_the_cell(hostile):
    r = hostile["rows"]["s04"]
    assert r["total"] == "0"
    assert r["status"] == f"timeout: still running after {TIMEOUT} s in code cell 2 (`# Never finish.`)"
    assert "stopped (time limit) in code cell 2" in _feedback(hostile, "s04")


def test_syntax_error_is_shown_to_the_student(hostile):
    r = hostile["rows"]["s05"]
    assert r["status"].startswith("error: SyntaxError: ") and "in code cell 2 (`rfm_table = None`)" in r["status"]
    text = _feedback(hostile, "s05")
    assert "## Errors in your notebook" in text and "SyntaxError" in text
    assert "raised NameError: name 'rfm_table' is not defined. Earlier, code cell 2" in text
    assert r["total"] == "0"


def test_invalid_notebook(hostile):
    r = hostile["rows"]["s06"]
    assert r["status"].startswith("invalid notebook: ") and r["total"] == "0"


def test_deleted_check_cells_are_restored(hostile):
    r = hostile["rows"]["s07"]
    assert r["total"] == str(FULL)
    assert r["status"] == "check cells missing (restored): rfm_table, rfm_scores, n_champions, champions_spend_share"


def test_flood_of_output_is_cut(hostile):
    r = hostile["rows"]["s12"]
    assert (r["total"], r["status"]) == (str(FULL), "output cut at 2 MB")
    kept = hostile["out"] / "executed" / "s12.ipynb"
    assert kept.stat().st_size < 4 * 1024**2


def test_metadata_id_of_another_student_is_noted_not_followed(hostile):
    r = hostile["rows"]["s14"]
    assert r["total"] == str(FULL)
    assert r["status"] == "id mismatch: the notebook's metadata says 's01'; graded as 's14' (the file name)"


def test_memory_hog_is_stopped(hostile):
    r = hostile["rows"]["s15"]
    assert r["status"].startswith("error: MemoryError in code cell 2 (`# Take all the memory there is.`)")
    assert r["total"] == "0"


def test_nothing_outside_the_sandbox_changed(hostile):
    before, after = hostile["before"], hostile["after"]
    assert after["submissions"] == before["submissions"]
    assert after["outside"] == before["outside"]
    assert hostile["gradebook_after"] == hostile["gradebook_bytes"]
    # The checkout is shared with other work in progress: any file that changed during the run
    # must not carry the token every hostile write carries.
    token = hostile["token"].encode()
    changed = [
        p
        for p in set(before["checkout"]) | set(after["checkout"])
        if before["checkout"].get(p) != after["checkout"].get(p)
    ]
    for rel in changed:
        path = ROOT / rel
        assert not (path.exists() and token in path.read_bytes()), rel
    assert not [p for p in after["checkout"] if hostile["token"] in p]
    assert token not in (ROOT / "crmlab" / "checks" / "ch04_rfm.py").read_bytes()


def test_no_process_survives(hostile):
    assert hostile["processes"] == []


def test_executed_notebooks_are_kept(hostile):
    kept = sorted(p.stem for p in (hostile["out"] / "executed").glob("*.ipynb"))
    assert kept == [f"s{i:02d}" for i in range(1, 17) if i != 6]
    nb = nbformat.read(hostile["out"] / "executed" / "s01.ipynb", as_version=4)
    texts = [o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert any("rfm_table: answer handed in; the grader checks it." in t for t in texts)
