"""Grading: a batch of good, wrong, erroring, looping, invalid and missing submissions; written
answers scored and merged; LMS exports; the kernel's environment; the sandbox fallback.

The attacks of a hostile class (forged results, writes outside, background processes, fork
bombs ...) are in ``test_grade_hostile.py``.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
from pathlib import Path

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell

from crmlab import cli, gradebook, sandbox
from crmlab.checks import NOT_ANSWERED, checks_for
from crmlab.checks._written import written_for
from crmlab.grade import find_submissions, grade, grade_notebook, restore_check_cells

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "exercises" / "source" / "00_start_here.ipynb"
STUDENT = ROOT / "exercises" / "student"
TIMEOUT = 60  # seconds per notebook: the good ones take about 7 s; generous so a busy machine never times them out
CHECKS = (
    5  # 00_start_here: signups 1 + orders per channel 2 + top region 1 + chart 1 (crmlab/checks/ch00_start_here.py)
)
WRITTEN = 2  # its written answer (crmlab/checks/_written.py)


def _edit(cell_text: str, old: str, new: str, nb) -> None:
    cells = [c for c in nb.cells if old in c.source and cell_text in c.source]
    assert len(cells) == 1, (cell_text, old)
    cells[0].source = cells[0].source.replace(old, new)


def _digest(folder: Path) -> dict:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grading")
    subs = tmp / "submissions"
    subs.mkdir()
    good = nbformat.read(SOURCE, as_version=4)
    nbformat.write(good, subs / "s001.ipynb")  # the solution, graded on s001's own data

    wrong = nbformat.read(SOURCE, as_version=4)  # two typical mistakes; its metadata claims another id
    _edit("n_signups_2023 = int", "== 2023", ">= 2023", wrong)
    _edit("channel_table = pd.DataFrame", 'kept.groupby("channel"', 'orders.groupby("channel"', wrong)
    wrong.metadata["crmlab"] = {"student_id": "s001"}
    nbformat.write(wrong, subs / "s004.ipynb")

    broken = nbformat.read(SOURCE, as_version=4)  # raises twice, and its STUDENT_ID line names another student
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
    err, said = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(said):
        code = cli.main(
            [
                "grade",
                "00_start_here",
                str(subs),
                "--out",
                str(tmp / "gradebook.csv"),
                "--workers",
                "2",
                "--timeout",
                str(TIMEOUT),
                "--feedback",
                str(tmp / "feedback"),
                "--roster",
                str(roster),
                "--export",
                "moodle",
            ]
        )
    with open(tmp / "gradebook.csv", newline="", encoding="utf-8") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    return {
        "code": code,
        "rows": rows,
        "before": before,
        "after": _digest(subs),
        "stderr": err.getvalue(),
        "stdout": said.getvalue(),
        "tmp": tmp,
        "header": (tmp / "gradebook.csv").read_text().splitlines()[0],
    }


def test_gradebook_layout(batch):
    assert batch["code"] == 0
    assert batch["header"] == (
        "student_id,signups_2023,orders_per_channel,top_region,channel_chart,"
        "written:channel_advice,total,max,status,written_answers,file,seconds"
    )
    assert sorted(batch["rows"]) == ["s001", "s003", "s004", "s005", "s006", "s007", "s008"]
    assert {r["max"] for r in batch["rows"].values()} == {str(CHECKS + WRITTEN)}
    assert "written answers to score: " in batch["stdout"]


def test_good_submission_gets_full_points_on_its_own_data(batch):
    r = batch["rows"]["s001"]
    assert (r["total"], r["status"], r["written_answers"], r["written:channel_advice"]) == (
        str(CHECKS),
        "ok",
        "1 of 1",
        "",
    )


def test_wrong_submission_filed_under_its_file_name_with_the_metadata_noted(batch):
    r = batch["rows"]["s004"]
    assert r["file"].endswith("s004.ipynb")
    assert r["status"] == "id mismatch: the notebook's metadata says 's001'; graded as 's004' (the file name)"
    # the chart shows the revenue with the returns in it, so it is wrong too
    assert (r["signups_2023"], r["orders_per_channel"], r["top_region"], r["channel_chart"], r["total"]) == (
        "0",
        "0",
        "1",
        "0",
        "1",
    )
    feedback = (batch["tmp"] / "feedback" / "s004.md").read_text(encoding="utf-8")
    assert f"**Score: 1 of {CHECKS + WRITTEN} points** (1 of {CHECKS} from the checks" in feedback
    assert "counts 2023 and later" in feedback and "includes returned orders" in feedback


def test_erroring_submission_keeps_the_points_of_cells_that_ran(batch):
    r = batch["rows"]["s007"]
    assert r["status"].startswith("error: ZeroDivisionError: division by zero in code cell 2 (`1 / 0`) (and 1 more)")
    assert r["status"].endswith("id mismatch: its STUDENT_ID line says 's001'; graded as 's007' (the file name)")
    assert (r["top_region"], r["total"]) == ("0", "4")  # graded on s007's own data, whatever the line says
    feedback = (batch["tmp"] / "feedback" / "s007.md").read_text(encoding="utf-8")
    assert "- code cell 2 (`1 / 0`): ZeroDivisionError: division by zero" in feedback


def test_timeout_invalid_and_missing_rows(batch):
    rows = batch["rows"]
    assert rows["s005"]["status"] == f"timeout: still running after {TIMEOUT} s in code cell 2 (`while True:`)"
    assert rows["s005"]["total"] == "0"
    assert rows["s003"]["status"].startswith("invalid notebook: ") and rows["s003"]["total"] == "0"
    assert rows["s006"]["status"] == "missing: no 00_start_here.ipynb in s006/"
    assert rows["s008"]["status"] == "missing: no submission"
    assert "the notebook was stopped (time limit) in code cell 2 (`while True:`) before this check" in (
        batch["tmp"] / "feedback" / "s005.md"
    ).read_text(encoding="utf-8")


def test_submissions_are_never_modified(batch):
    assert batch["before"] == batch["after"]


def test_progress_bar_on_stderr(batch):
    assert "grading 00_start_here" in batch["stderr"] and "7/7" in batch["stderr"]


def test_moodle_export_maps_id_total_and_feedback(batch):
    with open(batch["tmp"] / "gradebook.moodle.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["ID number", "00_start_here", "Feedback"]
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id["s001"] == ["s001", str(CHECKS), "ok"]
    assert by_id["s008"] == ["s008", "0", "missing: no submission"]


def test_written_answers_are_scored_and_merged(batch, tmp_path):
    written = batch["tmp"] / "gradebook.written.yaml"
    data = yaml.safe_load(written.read_text(encoding="utf-8"))
    (question,) = data["questions"]
    assert (question["question"], question["max_points"]) == ("channel_advice", WRITTEN)
    assert "marketing manager" in question["text"] and question["model_answer"]
    answers = {a["student_id"]: a for a in question["answers"]}
    assert sorted(answers) == ["s001", "s004", "s005", "s007"]  # the notebooks that could be read
    assert "BEGIN SOLUTION" in answers["s001"]["answer"]
    assert all(a["points"] is None for a in answers.values())

    answers["s001"].update(points=1.5, comment="Good; say which channel.")
    answers["s004"].update(points=2)
    filled = tmp_path / "filled.yaml"
    filled.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    gb, fb = tmp_path / "gradebook.csv", tmp_path / "feedback"
    for name in ("gradebook.csv", "gradebook.record.json"):
        (tmp_path / name).write_bytes((batch["tmp"] / name).read_bytes())
    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        assert cli.main(["gradebook", "merge", str(gb), str(filled), "--feedback", str(fb)]) == 0
    assert "merged 2 written score(s)" in said.getvalue()
    with open(gb, newline="", encoding="utf-8") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert (rows["s001"]["written:channel_advice"], rows["s001"]["total"]) == ("1.5", "6.5")
    assert (rows["s004"]["written:channel_advice"], rows["s004"]["total"]) == ("2", "3")
    assert (rows["s005"]["written:channel_advice"], rows["s005"]["total"]) == ("", "0")
    text = (fb / "s001.md").read_text(encoding="utf-8")
    assert "**Score: 6.5 of 7 points**" in text and "### channel_advice (1.5 of 2 points)" in text
    assert "Comment: Good; say which channel." in text
    assert "✔ signups_2023" in text  # the check messages are kept


@pytest.mark.parametrize(
    "points, words",
    [
        (3, "points 3 outside 0 to 2"),
        (-1, "points -1 outside 0 to 2"),
        ("two", "points 'two' is not a number"),
    ],
)
def test_merge_refuses_bad_scores_naming_question_and_student(batch, tmp_path, points, words):
    data = yaml.safe_load((batch["tmp"] / "gradebook.written.yaml").read_text(encoding="utf-8"))
    data["questions"][0]["answers"][0]["points"] = points
    filled = tmp_path / "filled.yaml"
    filled.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(gradebook.GradebookError, match=words) as info:
        gradebook.merge_written(batch["tmp"] / "gradebook.csv", filled)
    assert "question 'channel_advice', student 's001'" in str(info.value)


def test_merge_refuses_unknown_students(batch, tmp_path):
    data = yaml.safe_load((batch["tmp"] / "gradebook.written.yaml").read_text(encoding="utf-8"))
    data["questions"][0]["answers"].append({"student_id": "s999", "answer": "x", "points": 1, "comment": ""})
    filled = tmp_path / "filled.yaml"
    filled.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(gradebook.GradebookError, match="student.s. s999 are not in gradebook.csv"):
        gradebook.merge_written(batch["tmp"] / "gradebook.csv", filled)


def test_canvas_export_from_the_command_line(batch, tmp_path):
    out = tmp_path / "canvas.csv"
    with contextlib.redirect_stdout(io.StringIO()):
        assert (
            cli.main(
                [
                    "gradebook",
                    "export",
                    str(batch["tmp"] / "gradebook.csv"),
                    "--lms",
                    "canvas",
                    "--out",
                    str(out),
                    "--name",
                    "Exercise 00",
                ]
            )
            == 0
        )
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Exercise 00"]
    assert rows[1] == ["Points Possible", "", "", "", "", str(CHECKS + WRITTEN)]
    assert ["", "", "s001", "", "", str(CHECKS)] in rows[2:]


def test_find_submissions_ids_come_from_file_names(tmp_path):
    (tmp_path / "s1.ipynb").write_text("{}")
    (tmp_path / "s2").mkdir()
    (tmp_path / "s2" / "00_start_here.ipynb").write_text('{"metadata": {"crmlab": {"student_id": "s9"}}}')
    (tmp_path / ".ipynb_checkpoints").mkdir()
    subs = find_submissions(tmp_path, "00_start_here", roster=["s1", "s3"])
    assert [(s.student_id, bool(s.path), s.metadata_id) for s in subs] == [
        ("s1", True, None),
        ("s2", True, "s9"),
        ("s3", False, None),
    ]


def test_restore_check_cells_puts_back_changed_and_missing_ones():
    source = nbformat.read(SOURCE, as_version=4)
    nb = nbformat.read(SOURCE, as_version=4)
    nb.cells = [c for c in nb.cells if c.id != "2477c761"]  # the signups check cell deleted
    changed = next(c for c in nb.cells if c.id == "95711ce0")
    changed.source = "print('✔ orders_per_channel: correct')"
    restored = restore_check_cells(nb, source)
    assert restored == {"missing": ["signups_2023"], "changed": ["orders_per_channel"]}
    assert [c.id for c in nb.cells] == [c.id for c in source.cells]
    assert [c.source for c in nb.cells if "ex.check(" in c.source] == [
        c.source for c in source.cells if "ex.check(" in c.source
    ]


def test_auto_without_a_working_sandbox_says_so_loudly(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "bwrap_problem", lambda: "bwrap is not installed (test)")
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "s1.ipynb").write_text("not a notebook", encoding="utf-8")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        rows = grade("00_start_here", subs, tmp_path / "gb.csv", workers=1, roster=["s2"], progress=False)
    assert "WARNING: NOT SANDBOXED: bwrap is not installed (test)" in err.getvalue()
    assert [r["status"] for r in rows] == [
        "NOT SANDBOXED: bwrap is not installed (test); invalid notebook: "
        "Notebook does not appear to be JSON: 'not a notebook'",
        "NOT SANDBOXED: bwrap is not installed (test); missing: no submission",
    ]
    with pytest.raises(sandbox.SandboxError, match="--sandbox bwrap asked for, but bwrap is not installed"):
        grade("00_start_here", subs, tmp_path / "gb.csv", workers=1, sandbox="bwrap", progress=False)


def test_the_kernel_sees_nothing_of_the_grader(tmp_path, monkeypatch):
    """No grader variable in the kernel's environment, no grader process or command line in its /proc."""
    monkeypatch.setenv("CRMLAB_GRADER_SECRET", "do-not-leak")
    nb = nbformat.read(SOURCE, as_version=4)
    nb.cells.insert(
        2,
        new_code_cell(
            "import os\n"
            "print(sorted(os.environ))\n"
            "print('pids:', sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))\n"
            "print('cmdlines:', [open(f'/proc/{p}/cmdline').read() for p in os.listdir('/proc') if p.isdigit()])"
        ),
    )
    path = tmp_path / "s001.ipynb"
    nbformat.write(nb, path)
    executed = tmp_path / "executed.ipynb"
    row = grade_notebook(str(path), "00_start_here", "s001", timeout=TIMEOUT, sandbox="bwrap", save_executed=executed)
    assert (row["total"], row["status"]) == (CHECKS, "ok")
    out = nbformat.read(executed, as_version=4).cells[2].outputs[0]["text"]
    assert "do-not-leak" not in out and "CRMLAB_GRADER_SECRET" not in out
    assert "'OPENBLAS_NUM_THREADS'" in out and "'CRMLAB_STUDENT_ID'" in out
    pids = eval(out.split("pids: ")[1].splitlines()[0])  # noqa: S307 - our own printed list of ints
    assert max(pids) < 50  # its own PID namespace: the host's processes are not there
    assert "pytest" not in out.split("cmdlines: ")[1]


# The grader's own path on unsolved work. That every student version fails every check kindly in
# a student's kernel is tested once per exercise in test_exercises_all.py; here two are graded:
# one exercise on retail data and one that also checks b2b data, each under a student id.
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
    cells = [c for c in nb.cells if c.cell_type == "code" and "ex.check(" in c.source]
    assert len(cells) == len(checks_for(name))
    for cell in cells:  # every check cell handed its answer in; the grader, not the kernel, said no
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
        assert any("answer handed in; the grader checks it." in o.get("text", "") for o in cell.outputs)
    for check, message in row["messages"].items():
        assert message.startswith(f"✘ {check} (0 of ") and NOT_ANSWERED in message, message
    assert [w["name"] for w in row["written"]] == list(written_for(name))
    assert all(w["answer"] == "" for w in row["written"])


def test_a_notebook_saved_with_other_cell_ids_keeps_its_check_cells_in_place():
    source = nbformat.read(SOURCE, as_version=4)
    nb = nbformat.read(SOURCE, as_version=4)
    for number, cell in enumerate(nb.cells):
        cell["id"] = f"other{number}"
    assert restore_check_cells(nb, source) == {"missing": [], "changed": []}
    assert len(nb.cells) == len(source.cells)


def test_written_file_carries_any_answer_text_and_never_overwrites_scores(tmp_path, capsys):
    """Answers with YAML syntax, indentation, tabs, CR, Chinese text survive the fill-in file as they are."""
    text = (
        "points: 2\n- item\n  indented: yes\n---\n...\n# not a comment\n|\n\ttabbed\r\n"
        "客户终身价值 matters.  \nlast line"
    )
    spec = next(iter(written_for("04_rfm").values()))
    row = {
        "student_id": "s1",
        "written": [
            {
                "name": spec.name,
                "cell_id": spec.cell_id,
                "max": spec.points,
                "question": "Q?",
                "answer": text,
                "points": None,
                "comment": "",
            }
        ],
    }
    path = tmp_path / "gb.written.yaml"
    gradebook.write_written([row], "04_rfm", path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    (answer,) = data["questions"][0]["answers"]
    expected = "\n".join(line.rstrip() for line in text.replace("\t", "    ").splitlines())
    assert answer == {"student_id": "s1", "answer": expected, "points": None, "comment": ""}
    exercise, scores, maxima = gradebook.read_written(path)
    assert (exercise, scores, maxima) == ("04_rfm", {("s1", spec.name): (None, "")}, {spec.name: spec.points})
    gradebook.write_written([row], "04_rfm", path)  # a second run keeps the first file
    assert (tmp_path / "gb.written-2.yaml").is_file() and "gb.written-2.yaml" in capsys.readouterr().err


SOURCES = sorted((ROOT / "exercises" / "source").glob("*.ipynb"))


@pytest.fixture(scope="module")
def graded_sources():
    """Every stored source graded as s001, sandboxed, two at a time (as --workers 2 does)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {
            p.stem: pool.submit(grade_notebook, str(p), p.stem, "s001", timeout=300, sandbox="bwrap") for p in SOURCES
        }
        return {name: fut.result() for name, fut in futures.items()}


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_every_solution_scores_full_points_when_the_grader_checks_its_answers(source, graded_sources):
    """Answers handed out as data (tables, figures, fitted models ...) reach every check as they
    would in the student's notebook: each stored source, graded sandboxed, gets every point."""
    row = graded_sources[source.stem]
    assert row["status"] == "ok", row["status"]
    assert row["total"] == row["max"] == sum(s.points for s in checks_for(source.stem).values()), row["messages"]


def test_a_control_group_holds_the_memory_of_all_processes_of_a_sandbox():
    """Many processes each under the per-process limit cannot together take more than the sandbox's
    memory: where the grader may create control groups, the group's limit stops them."""
    import os
    import subprocess
    import sys

    group = sandbox.ControlGroup("crmlab-test-memory", sandbox.Limits(memory_bytes=200 * 1024**2, processes=16))
    try:
        if not group.paths:  # not root, or no memory/pids controllers: per-process limits only
            assert not (
                os.geteuid() == 0
                and (
                    Path("/sys/fs/cgroup/memory/cgroup.procs").is_file()
                    or Path("/sys/fs/cgroup/cgroup.controllers").is_file()
                )
            )
            return
        hog = (
            "import os, time\n"
            "for _ in range(3):\n"
            "    if os.fork() == 0:\n"
            "        block = bytearray(os.urandom(1)) * (120 * 1024**2)  # 120 MB, touched\n"
            "        time.sleep(5)\n"
            "        os._exit(0)\n"
            "codes = [os.waitstatus_to_exitcode(os.wait()[1]) for _ in range(3)]\n"
            "print(sorted(codes))\n"
        )
        proc = subprocess.run(group.command([sys.executable, "-c", hog]), capture_output=True, text=True, timeout=60)
        killed = eval(proc.stdout.strip())  # noqa: S307 - our own printed list of exit codes
        assert -9 in killed  # three times 120 MB do not fit in 200 MB: the group's limit killed one
        assert group.oom_killed()
    finally:
        group.remove()
    assert not any(p.exists() for p in group.paths)
