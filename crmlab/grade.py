"""Grading exercises (批改练习): run every submission sandboxed, check its answers, write a gradebook.

``crmlab grade SOURCE SUBMISSIONS --out gradebook.csv`` grades one exercise for a class, in
the spirit of nbgrader's autograde step (Jupyter Development Team, nbgrader): the check cells
are restored from the source, the student's code runs in a sandbox, and the score is computed
by the grader alone.

* SOURCE is the exercise source notebook (``exercises/source/04_rfm.ipynb``) or its name
  (``04_rfm``); its check cells are the ones that run, whatever a submission did to them.
* SUBMISSIONS is a folder holding ``<student_id>.ipynb`` files or ``<student_id>/NN_topic.ipynb``
  folders. The file or folder name is the student id (it comes from the collection, not from
  the student); a notebook's metadata ``crmlab.student_id`` or ``STUDENT_ID`` line that names
  another id is noted in the status. A folder without the notebook, or an id of ``--roster``
  without a submission, is graded ``missing``.
* Integrity: each check cell (found by its cell id in the source) is put back as the source
  has it, missing ones inserted where the source has them. The student's kernel scores
  nothing: under the grader each check cell only hands its answer out as data
  (:mod:`crmlab.checks._answers`), and the grader runs the registered checks itself, in its
  own process, on that student's data. Points come only from the registered check specs, so
  a total can never exceed its maximum. Output that imitates a check result (mimetype
  ``application/vnd.crmlab.check+json``) is ignored and named in the status.
* Isolation: each kernel runs in the bubblewrap sandbox of :mod:`crmlab.sandbox`
  (``--sandbox auto|bwrap|none``; ``auto`` says loudly, on the terminal and in every row,
  when it had to run without it), with limits on memory, processes, file size, output and a
  whole-notebook ``--timeout``. Submissions are only read, never written.
* Cells run with errors allowed, so one unfinished exercise does not cost the others.

The gradebook, feedback files and the written answers to score are written by
:mod:`crmlab.gradebook`. Notebooks run in ``--workers`` processes in parallel.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from crmlab._extras import require

require("teach", "crmlab.grade")  # nbformat, nbclient, ...: pip install "crmlab[teach]"

__all__ = [
    "Submission",
    "find_submissions",
    "exercise_name",
    "source_path",
    "restore_check_cells",
    "grade_notebook",
    "grade",
    "register",
]

#: A submission larger than this is not read (a notebook of an exercise is a few hundred kB).
MAX_NOTEBOOK_BYTES = 50 * 1024**2
#: Answer data read from a kernel (the largest answer, a table of every customer, is ~0.5 MB).
MAX_ANSWER_BYTES = 32 * 1024**2
#: Where a check cell hands out its answer, in the submission's temporary folder.
ANSWERS_FILE = "answers.jsonl"

_CHECK_CALL = re.compile(r"""\bex\.check\(\s*["']([A-Za-z0-9_]+)["']""")
_STUDENT_ID_LINE = re.compile(r"""^\s*STUDENT_ID\s*=\s*(?:["']([^"'\n]*)["']|None)""", re.MULTILINE)


@dataclass(frozen=True)
class Submission:
    """One student's submission: ``path`` is None when it is missing."""

    student_id: str
    path: str | None
    note: str = ""
    metadata_id: str | None = None


def exercise_name(source: str | Path) -> str:
    """The exercise name of a source notebook path or name.

    Examples
    --------
    >>> exercise_name("exercises/source/00_start_here.ipynb")
    '00_start_here'
    """
    return Path(str(source)).name.removesuffix(".ipynb")


def source_path(source: str | Path) -> Path:
    """The source notebook of an exercise given by path or by name (``04_rfm``).

    Examples
    --------
    >>> source_path("04_rfm").name
    '04_rfm.ipynb'
    """
    from crmlab._validate import CRMDataError

    path = Path(str(source))
    if path.suffix == ".ipynb" and path.is_file():
        return path
    shipped = Path(__file__).resolve().parent.parent / "exercises" / "source" / f"{exercise_name(source)}.ipynb"
    if shipped.is_file():
        return shipped
    raise CRMDataError(
        f"no exercise source {source}: pass the source notebook (exercises/source/NN_topic.ipynb) "
        f"whose check cells the grader restores."
    )


def _metadata_id(path: Path) -> str | None:
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            return None
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        sid = meta.get("crmlab", {}).get("student_id")
    except Exception:  # noqa: BLE001 - an unreadable notebook is reported when graded
        return None
    return str(sid).strip() if isinstance(sid, (str, int)) and str(sid).strip() else None


def find_submissions(folder: str | Path, exercise: str, roster: list[str] | None = None) -> list[Submission]:
    """The submissions in ``folder`` (and ``missing`` ones for a roster), sorted by id.

    The id is the file's or the folder's name; ``metadata_id`` is what the notebook's
    metadata claims (the grader notes a disagreement, it never files a row under it).
    """
    root = Path(folder)
    found: list[Submission] = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix == ".ipynb":
            found.append(Submission(entry.stem, str(entry), metadata_id=_metadata_id(entry)))
        elif entry.is_dir():
            nb = entry / f"{exercise}.ipynb"
            if nb.is_file():
                found.append(Submission(entry.name, str(nb), metadata_id=_metadata_id(nb)))
            else:
                found.append(Submission(entry.name, None, f"no {exercise}.ipynb in {entry.name}/"))
    ids = {s.student_id for s in found}
    for sid in roster or []:
        if sid not in ids:
            found.append(Submission(sid, None, "no submission"))
    return sorted(found, key=lambda s: (s.student_id, s.path or ""))


# --------------------------------------------------------------------------------------
# Restoring the check cells
# --------------------------------------------------------------------------------------
def check_cells_of(nb) -> dict[str, object]:
    """The check cells of a source notebook by cell id (code cells calling ``ex.check``)."""
    return {
        c.id: c
        for c in nb.cells
        if c.cell_type == "code" and _CHECK_CALL.search(c.source) and not c.metadata.get("nbgrader", {}).get("solution")
    }


def restore_check_cells(nb, source_nb) -> dict[str, list[str]]:
    """Put every check cell of ``source_nb`` back into ``nb`` as the source has it (in place).

    A check cell is found by its cell id. A changed one gets the source's text back; a
    missing one is inserted after the cell that precedes it in the source (or at the end).
    A cell of the submission that calls ``ex.check`` for a check of the source but is not
    that check cell is left as it is (its answer counts only if the real check cell does
    not run).

    Returns
    -------
    ``{"missing": [check names], "changed": [check names]}``
    """
    import nbformat

    restored: dict[str, list[str]] = {"missing": [], "changed": []}
    order = [c.id for c in source_nb.cells]
    checks = check_cells_of(source_nb)
    by_id = {c.get("id"): i for i, c in enumerate(nb.cells)}
    for cell_id, cell in checks.items():  # a notebook saved without cell ids: the same text is the same cell
        if cell_id not in by_id:
            same = [
                c
                for c in nb.cells
                if c.cell_type == "code" and c.get("id") not in checks and c.source.strip() == cell.source.strip()
            ]
            if len(same) == 1:
                same[0]["id"] = cell_id
    by_id = {c.get("id"): i for i, c in enumerate(nb.cells)}
    for cell_id, cell in checks.items():
        name = _CHECK_CALL.search(cell.source).group(1)
        if cell_id in by_id:
            mine = nb.cells[by_id[cell_id]]
            if mine.cell_type != "code" or mine.source != cell.source:
                nb.cells[by_id[cell_id]] = nbformat.v4.new_code_cell(cell.source, id=cell_id)
                restored["changed"].append(name)
            continue
        at = len(nb.cells)
        for prev_id in reversed(order[: order.index(cell_id)]):
            if prev_id in by_id:
                at = by_id[prev_id] + 1
                break
        nb.cells.insert(at, nbformat.v4.new_code_cell(cell.source, id=cell_id))
        restored["missing"].append(name)
        by_id = {c.get("id"): i for i, c in enumerate(nb.cells)}
    return restored


def student_id_line(nb) -> str | None:
    """The id of the notebook's ``STUDENT_ID = "..."`` line (``None`` when unset)."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            m = _STUDENT_ID_LINE.search(cell.source)
            if m:
                return (m.group(1) or "").strip() or None
    return None


# --------------------------------------------------------------------------------------
# Executing one notebook
# --------------------------------------------------------------------------------------
@dataclass
class _Run:
    """What happened while a notebook ran."""

    notes: list[str] = field(default_factory=list)
    timeout_cell: int | None = None
    forged: list[int] = field(default_factory=list)
    output_cut: bool = False


def _client_class():
    from nbclient import NotebookClient

    from crmlab.checks import MIMETYPE

    class GradingClient(NotebookClient):
        """nbclient that notes the running cell, caps the output it keeps and spots forged results."""

        max_output_bytes = 2 * 1024**2
        kept_bytes = 0
        running: int | None = None

        def __init__(self, *a, run: _Run, **kw):
            super().__init__(*a, **kw)
            self.run_info = run
            self.on_cell_execute = self._note_cell

        def _note_cell(self, cell, cell_index):
            self.running = cell_index

        def output(self, outs, msg, display_id, cell_index):
            content = msg.get("content", {})
            data = content.get("data") or {}
            if any(str(k).startswith(MIMETYPE.split("+")[0]) for k in data):
                if cell_index not in self.run_info.forged:
                    self.run_info.forged.append(cell_index)
                return None  # never kept: it is not the grader's result
            size = len(json.dumps(content, default=str)) if msg["msg_type"] != "error" else 0
            if self.kept_bytes + size > self.max_output_bytes:
                self.run_info.output_cut = True
                return None
            self.kept_bytes += size
            return super().output(outs, msg, display_id, cell_index)

    return GradingClient


def _prepare_workdir(workdir: Path, uid: int | None) -> None:
    """Folders the kernel expects, matplotlib's font list (so it is not rebuilt), ownership."""
    mpl = workdir / ".config" / "matplotlib"
    mpl.mkdir(parents=True)
    try:
        import matplotlib

        for f in Path(matplotlib.get_cachedir()).glob("fontlist-*.json"):
            shutil.copyfile(f, mpl / f.name)
    except Exception:  # noqa: BLE001 - without the cache matplotlib only starts slower
        pass
    if uid is not None:
        for path in [workdir, *workdir.rglob("*")]:
            os.chown(path, uid, uid, follow_symlinks=False)


def _execute(nb, workdir: Path, student_id: str, timeout: float, sandboxed: bool, uid: int | None, limits) -> _Run:
    """Run the notebook in place in its sandbox; return what happened."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from crmlab.sandbox import SandboxKernelManager, kernel_environment

    from crmlab.sandbox import ControlGroup

    run = _Run()
    env = kernel_environment(workdir, student_id, workdir / ANSWERS_FILE)
    group = ControlGroup(workdir.name, limits) if sandboxed else None
    km = SandboxKernelManager(workdir=workdir, env=env, limits=limits, sandbox=sandboxed, uid=uid, cgroup=group)
    deadline = time.monotonic() + timeout
    client = _client_class()(
        nb,
        km=km,
        run=run,
        kernel_name="python3",
        allow_errors=True,
        record_timing=False,
        extra_arguments=["--HistoryManager.enabled=False"],
        timeout=timeout,
        timeout_func=lambda cell: max(1.0, deadline - time.monotonic()),
        interrupt_on_timeout=False,
        startup_timeout=60,
        shutdown_kernel="immediate",
        resources={"metadata": {"path": str(workdir)}},
    )
    client.max_output_bytes = limits.output_bytes
    try:  # the kernel's own log lines (and its complaints when stopped) are not the student's
        import subprocess

        client.execute(env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except CellTimeoutError:
        run.timeout_cell = client.running
        run.notes.append("timeout")
    except DeadKernelError as exc:
        why = (
            "its memory limit was reached"
            if group is not None and group.oom_killed()
            else f"{str(exc).strip()[:120] or 'no reason given'}; a memory or process limit?"
        )
        run.notes.append(f"error: the kernel died in {_cell_label(nb, client.running)} ({why})")
    except Exception as exc:  # noqa: BLE001 - the batch must go on
        run.notes.append(f"error: {type(exc).__name__}: {str(exc).strip()[:160]}")
    finally:
        try:  # whatever happened, the kernel (and with it its whole sandbox) is gone
            if km.has_kernel:
                from jupyter_core.utils import run_sync

                run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001
            pass
        if group is not None:
            group.remove()
    return run


def _code_number(nb, index: int | None) -> int | None:
    """The code cell number a student sees (1 = the first code cell) of cell ``index``."""
    if index is None or index >= len(nb.cells):
        return None
    return sum(1 for c in nb.cells[: index + 1] if c.cell_type == "code")


def _cell_label(nb, index: int | None) -> str:
    number = _code_number(nb, index)
    if number is None:
        return "an unknown cell"
    first = next((line.strip() for line in nb.cells[index].source.splitlines() if line.strip()), "")
    first = first if len(first) <= 40 else first[:37] + "..."
    return f"code cell {number}" + (f" (`{first}`)" if first else "")


def _errors(nb) -> list[dict]:
    """Errors raised by code cells: cell index, label, name and text (a SyntaxError with its line)."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                ename, evalue = str(out.get("ename", "Error")), str(out.get("evalue", ""))
                found.append(
                    {
                        "index": index,
                        "label": _cell_label(nb, index),
                        "ename": ename,
                        "text": f"{ename}: {evalue}".strip().rstrip(":")[:300],
                    }
                )
    return found


def _read_answers(path: Path, exercise: str) -> tuple[dict, list[str]]:
    """The last answer handed out per check, read without following links, size-capped."""
    notes: list[str] = []
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return {}, notes
    except OSError:
        return {}, ["the answers file was replaced by something else (ignored)"]
    with os.fdopen(fd, "rb") as fh:
        import stat

        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            return {}, ["the answers file was replaced by something else (ignored)"]
        raw = fh.read(MAX_ANSWER_BYTES + 1)
    if len(raw) > MAX_ANSWER_BYTES:
        notes.append(f"answers larger than {MAX_ANSWER_BYTES // 1024**2} MB were cut")
        raw = raw[:MAX_ANSWER_BYTES]
    answers: dict = {}
    bad = 0
    for line in raw.decode("utf-8", errors="replace").splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if isinstance(item, dict) and item.get("exercise") == exercise and isinstance(item.get("name"), str):
            answers[item["name"]] = item.get("answer")
    if bad:
        notes.append(f"{bad} unreadable answer line(s) ignored")
    return answers, notes


# --------------------------------------------------------------------------------------
# Grading one submission
# --------------------------------------------------------------------------------------
def _written(nb, exercise: str, source_nb) -> list[dict]:
    """The written answers of a submission (by answer cell id), with question and points."""
    from crmlab.checks._written import POINTS_NOTE, written_for
    from crmlab.release import TEXT_STUB

    by_id = {c.get("id"): c for c in nb.cells}
    src_cells = list(source_nb.cells)
    items = []
    for spec in written_for(exercise).values():
        question = []
        for i, c in enumerate(src_cells):
            if c.id == spec.cell_id:
                j = i - 1
                while j >= 0 and src_cells[j].cell_type == "markdown" and len(question) < 3:
                    question.insert(0, src_cells[j].source.strip())
                    j -= 1
                break
        cell = by_id.get(spec.cell_id)
        text = ""
        if cell is not None and cell.cell_type == "markdown":
            lines = [ln for ln in cell.source.splitlines() if not ln.startswith(POINTS_NOTE)]
            text = "\n".join(lines).strip()
            if TEXT_STUB in text or text.replace("**Your answer:**", "").strip() == "":
                text = ""
        items.append(
            {
                "name": spec.name,
                "cell_id": spec.cell_id,
                "max": spec.points,
                "question": "\n\n".join(question),
                "answer": text,
                "points": None,
                "comment": "",
            }
        )
    return items


def grade_notebook(
    path: str | None,
    exercise: str,
    student_id: str,
    *,
    timeout: float = 120,
    note: str = "",
    save_executed: str | Path | None = None,
    sandbox: str | bool = "auto",
    source: str | Path | None = None,
    metadata_id: str | None = None,
    index: int = 0,
    limits=None,
) -> dict:
    """Execute one submission (a copy, sandboxed, check cells restored) and score its answers.

    Parameters
    ----------
    path : the submitted notebook, or ``None`` when it is missing.
    exercise : the exercise name (``04_rfm``).
    student_id : the submission's id; the checks compute this student's expected answers.
    timeout : seconds for the whole notebook.
    note : why a submission is missing.
    save_executed : where to write the executed notebook (for the instructor to read).
    sandbox : ``"auto"``, ``"bwrap"``, ``"none"`` or an already resolved ``True``/``False``.
    source : the exercise source notebook (default: the shipped one of ``exercise``).
    metadata_id : the id the notebook's metadata claims (noted when it differs).
    index : the submission's number in the batch (gives the sandbox its own uid).
    limits : :class:`crmlab.sandbox.Limits` (default limits when ``None``).

    Returns
    -------
    dict with ``student_id``, ``file``, ``status``, ``points`` and ``messages`` (per check),
    ``total``, ``max``, ``written`` (written answers), ``written_answers``, ``errors`` and
    ``seconds``. Never raises for a bad submission: the status says what went wrong.
    """
    import nbformat

    from crmlab import sandbox as sb
    from crmlab.checks import CheckContext, checks_for, run_check
    from crmlab.checks._answers import decode

    specs = checks_for(exercise)
    limits = limits or sb.Limits()
    # a resolved True/False comes from grade(), which notes an unsandboxed run in every row itself
    sandboxed, sandbox_note = (sandbox, "") if isinstance(sandbox, bool) else sb.choose(sandbox)
    started = time.monotonic()
    row = {
        "student_id": student_id,
        "file": path or "",
        "status": "ok",
        "points": {n: 0.0 for n in specs},
        "messages": {},
        "written": [],
        "written_answers": "",
        "errors": [],
        "max": float(sum(s.points for s in specs.values())),
    }
    status: list[str] = []
    nb = None
    source_nb = nbformat.read(source_path(source or exercise), as_version=4)
    if path is None:
        status.append("missing" + (f": {note}" if note else ""))
    else:
        try:
            if Path(path).stat().st_size > MAX_NOTEBOOK_BYTES:
                raise ValueError(f"the file is larger than {MAX_NOTEBOOK_BYTES // 1024**2} MB")
            nb = nbformat.reads(Path(path).read_text(encoding="utf-8"), as_version=4)
            nbformat.validate(nb)
        except Exception as exc:  # noqa: BLE001 - any unreadable notebook
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            status.append(f"invalid notebook: {first[:160]}")
            nb = None
    answers: dict = {}
    if nb is not None:
        submitted = nbformat.from_dict(json.loads(json.dumps(nb)))  # the student's text, for written answers
        line_id = student_id_line(nb)
        restored = restore_check_cells(nb, source_nb)
        for cell in nb.cells:  # only what runs now counts, never outputs stored in the file
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        workdir = Path(tempfile.mkdtemp(prefix="crmlab-grade-"))
        uid = sb.uid_for(index) if sandboxed else None
        try:
            _prepare_workdir(workdir, uid)
            run = _execute(nb, workdir, student_id, timeout, sandboxed, uid, limits)
            answers, answer_notes = _read_answers(workdir / ANSWERS_FILE, exercise)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        if save_executed is not None:
            Path(save_executed).parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, save_executed)
        errors = _errors(nb)
        row["errors"] = errors
        if "timeout" in run.notes:
            status.append(f"timeout: still running after {timeout:g} s in {_cell_label(nb, run.timeout_cell)}")
        status += [n for n in run.notes if n != "timeout"]
        if errors:
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            status.append(f"error: {errors[0]['text'][:120]} in {errors[0]['label']}{more}")
        if restored["missing"]:
            status.append(f"check cells missing (restored): {', '.join(restored['missing'])}")
        if restored["changed"]:
            status.append(f"check cells changed (restored): {', '.join(restored['changed'])}")
        if run.forged:
            cells = ", ".join(str(_code_number(nb, i)) for i in sorted(run.forged))
            status.append(f"forged output ignored: output imitating a check result in code cell(s) {cells}")
        if run.output_cut:
            status.append(f"output cut at {limits.output_bytes // 1024**2} MB")
        status += answer_notes
        ids = []
        if metadata_id and metadata_id != student_id:
            ids.append(f"the notebook's metadata says {metadata_id!r}")
        if line_id and line_id != student_id:
            ids.append(f"its STUDENT_ID line says {line_id!r}")
        if ids:
            status.append(f"id mismatch: {' and '.join(ids)}; graded as {student_id!r} (the file name)")
        row["written"] = _written(submitted, exercise, source_nb)
        if row["written"]:
            answered = sum(1 for w in row["written"] if w["answer"])
            row["written_answers"] = f"{answered} of {len(row['written'])}"
        ctx = CheckContext(exercise, student_id)
        check_cells = {
            _CHECK_CALL.search(c.source).group(1): i
            for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and c.id in check_cells_of(source_nb)
        }
        for name, spec in specs.items():
            if name in answers:
                try:
                    answer = decode(answers[name])
                except Exception as exc:  # noqa: BLE001 - malformed data is a wrong answer, not a crash
                    row["messages"][name] = f"✘ {name}: the answer handed in could not be read ({exc})."
                    continue
                result = run_check(spec, answer, ctx)
                row["points"][name] = float(spec.points) if result.passed else 0.0
                row["messages"][name] = result.message
            else:
                row["messages"][name] = f"✘ {name}: " + _why_no_answer(nb, check_cells.get(name), errors, run)
    if sandbox_note:
        status.insert(0, sandbox_note)
    row["total"] = min(sum(row["points"].values()), row["max"])
    row["status"] = "; ".join(status) if status else "ok"
    row["seconds"] = round(time.monotonic() - started, 2)
    return row


def _why_no_answer(nb, cell_index: int | None, errors: list[dict], run: _Run) -> str:
    """Why a check got no answer, in words for the student."""
    if cell_index is None:
        return "no answer: its check cell did not run."
    label = _cell_label(nb, cell_index)
    own = [e for e in errors if e["index"] == cell_index]
    if own:
        earlier = [e for e in errors if e["index"] < cell_index]
        before = f" Earlier, {earlier[-1]['label']} raised {earlier[-1]['text']}." if earlier else ""
        return f"no answer: the check cell ({label}) raised {own[0]['text']}.{before}"
    if nb.cells[cell_index].get("execution_count") is None:
        if run.timeout_cell is not None or "timeout" in run.notes:
            return (
                f"no answer: the notebook was stopped (time limit) in {_cell_label(nb, run.timeout_cell)} "
                f"before this check ({label}) ran."
            )
        return f"no answer: the notebook stopped before this check ({label}) ran."
    return f"no answer: the check cell ({label}) ran but handed in nothing."


# --------------------------------------------------------------------------------------
# A class
# --------------------------------------------------------------------------------------
def _one_thread() -> None:
    """A grading worker computes expected answers with one thread, like its kernels (set before numpy loads)."""
    from crmlab.sandbox import ONE_THREAD

    for name in ONE_THREAD:
        os.environ.setdefault(name, "1")


def _grade_task(task: dict) -> dict:
    return grade_notebook(
        task["path"],
        task["exercise"],
        task["student_id"],
        timeout=task["timeout"],
        note=task["note"],
        sandbox=task["sandbox"],
        source=task["source"],
        metadata_id=task["metadata_id"],
        index=task["index"],
        save_executed=task["save_executed"],
        limits=task["limits"],
    )


def grade(
    source: str | Path,
    submissions: str | Path,
    out: str | Path,
    *,
    workers: int = 2,
    timeout: float = 120,
    feedback: str | Path | None = None,
    roster: list[str] | None = None,
    progress: bool = True,
    sandbox: str = "auto",
    keep_executed: str | Path | None = None,
    written: str | Path | None = None,
    export: str | None = None,
    limits=None,
) -> list[dict]:
    """Grade every submission of one exercise; write the gradebook (and feedback, written answers).

    Parameters
    ----------
    source : the exercise source notebook or its name.
    submissions : the folder of submissions.
    out : the gradebook CSV to write.
    workers : notebooks run in parallel.
    timeout : seconds per notebook.
    feedback : folder for one Markdown feedback file per student.
    roster : expected student ids (missing ones get a ``missing`` row).
    progress : show a progress bar on stderr.
    sandbox : ``auto``, ``bwrap`` or ``none`` (see :mod:`crmlab.sandbox`).
    keep_executed : folder where each executed notebook is kept (``<student_id>.ipynb``).
    written : the file of written answers to score (default: ``<out>`` with ``.written.yaml``).
    export : also write an LMS gradebook: ``canvas`` or ``moodle`` (``<out>`` with ``.canvas.csv``).
    limits : :class:`crmlab.sandbox.Limits` of each kernel.

    Returns
    -------
    The rows (as :func:`grade_notebook` gives them), sorted by student id.
    """
    from concurrent.futures import ProcessPoolExecutor, as_completed
    import multiprocessing

    from tqdm import tqdm

    from crmlab import gradebook
    from crmlab import sandbox as sb
    from crmlab._validate import CRMDataError
    from crmlab.checks import checks_for

    exercise = exercise_name(source)
    src = source_path(source)
    checks_for(exercise)  # an exercise without checks is refused here, before any notebook runs
    folder = Path(submissions)
    if not folder.is_dir():
        raise CRMDataError(
            f"the submissions folder {folder} does not exist; pass the folder that holds "
            f"<student_id>.ipynb files or <student_id>/{exercise}.ipynb folders."
        )
    if export not in (None, "canvas", "moodle"):
        raise CRMDataError(f"--export must be canvas or moodle, got {export!r}")
    sandboxed, sandbox_note = sb.choose(sandbox)
    if sandbox_note.startswith("NOT SANDBOXED"):
        print(
            f"WARNING: {sandbox_note}. Submissions run with the grader's rights: every row's status "
            f"says so. Install bubblewrap (apt install bubblewrap) to grade untrusted notebooks.",
            file=sys.stderr,
        )
    subs = find_submissions(folder, exercise, roster)
    keep = Path(keep_executed) if keep_executed else None
    tasks = [
        {
            "path": s.path,
            "exercise": exercise,
            "student_id": s.student_id,
            "timeout": timeout,
            "note": s.note,
            "sandbox": sandboxed,
            "source": str(src),
            "metadata_id": s.metadata_id,
            "index": i,
            "limits": limits,
            "save_executed": str(keep / f"{s.student_id}.ipynb") if keep and s.path else None,
        }
        for i, s in enumerate(subs)
    ]
    seen: dict[str, int] = {}
    for t in tasks:
        seen[t["student_id"]] = seen.get(t["student_id"], 0) + 1
        if keep and t["save_executed"] and seen[t["student_id"]] > 1:
            t["save_executed"] = str(keep / f"{t['student_id']}-{seen[t['student_id']]}.ipynb")
    rows: list[dict] = []
    bar = tqdm(total=len(tasks), desc=f"grading {exercise}", unit="notebook", file=sys.stderr, disable=not progress)
    if workers <= 1:
        for t in tasks:
            rows.append(_grade_task(t))
            bar.update()
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_one_thread) as pool:
            futures = {pool.submit(_grade_task, t): t for t in tasks}
            for fut in as_completed(futures):
                t = futures[fut]
                try:
                    rows.append(fut.result())
                except Exception as exc:  # noqa: BLE001 - a crashed worker must not stop the batch
                    row = grade_notebook(None, exercise, t["student_id"], note="", source=src, sandbox=sandboxed)
                    row.update(status=f"error: grading failed ({type(exc).__name__}: {exc})", file=t["path"] or "")
                    rows.append(row)
                bar.update()
    bar.close()
    if sandbox_note and not sandboxed:
        for r in rows:
            if not r["status"].startswith(sandbox_note):
                r["status"] = f"{sandbox_note}; {r['status']}"
    rows.sort(key=lambda r: (r["student_id"], r["file"]))
    for r in rows:
        if seen[r["student_id"]] > 1:
            r["status"] += f"; duplicate: {seen[r['student_id']]} submissions for this id"
    out = Path(out)
    gradebook.write_gradebook(rows, exercise, out)
    gradebook.write_record(rows, exercise, out)
    gradebook.write_written(rows, exercise, Path(written) if written else gradebook.written_path(out))
    if feedback is not None:
        for r in rows:
            gradebook.write_feedback(r, exercise, Path(feedback))
    if export:
        gradebook.export_lms(rows, exercise, export, gradebook.export_path(out, export))
    return rows


def _read_roster(path: str | None) -> list[str] | None:
    if not path:
        return None
    ids = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        first = line.split(",")[0].strip()
        if first and first != "student_id":
            ids.append(first)
    return ids


def register(subparsers) -> None:
    """The ``crmlab grade`` command."""
    p = subparsers.add_parser("grade", help="execute submitted exercise notebooks (sandboxed) and write a gradebook")
    p.add_argument("source", help="exercise source notebook (exercises/source/NN_topic.ipynb) or its name")
    p.add_argument("submissions", help="folder of <student_id>.ipynb files or <student_id>/NN_topic.ipynb folders")
    p.add_argument("--out", required=True, help="gradebook CSV to write")
    p.add_argument("--workers", type=int, default=2, help="notebooks run in parallel (default: %(default)s)")
    p.add_argument("--timeout", type=float, default=120, help="seconds allowed per notebook (default: %(default)s)")
    p.add_argument("--feedback", default=None, help="folder for one Markdown feedback file per student")
    p.add_argument("--roster", default=None, help="file of expected student ids (one per line, or CSV, first column)")
    p.add_argument(
        "--sandbox",
        default="auto",
        choices=["auto", "bwrap", "none"],
        help="run each kernel in bubblewrap: auto (when it works, else say so loudly), bwrap "
        "(required), none (trusted notebooks only) (default: %(default)s)",
    )
    p.add_argument(
        "--keep-executed", default=None, metavar="DIR", help="keep each executed notebook as DIR/<student_id>.ipynb"
    )
    p.add_argument(
        "--written",
        default=None,
        metavar="FILE",
        help="written answers to score (default: the gradebook's name with .written.yaml)",
    )
    p.add_argument(
        "--export",
        default=None,
        choices=["canvas", "moodle"],
        help="also write the gradebook for an LMS import (the gradebook's name with .canvas.csv / .moodle.csv)",
    )
    p.set_defaults(func=_cli)


def _cli(args) -> int:
    from crmlab._validate import CRMDataError
    from crmlab.sandbox import SandboxError

    try:
        rows = grade(
            args.source,
            args.submissions,
            args.out,
            workers=args.workers,
            timeout=args.timeout,
            feedback=args.feedback,
            roster=_read_roster(args.roster),
            sandbox=args.sandbox,
            keep_executed=args.keep_executed,
            written=args.written,
            export=args.export,
        )
    except (CRMDataError, SandboxError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from crmlab import gradebook

    ok = sum(r["status"] == "ok" for r in rows)
    written = args.written or gradebook.written_path(Path(args.out))
    print(
        f"graded {len(rows)} submission(s) ({ok} ok); gradebook: {args.out}"
        + (f"; feedback: {args.feedback}/" if args.feedback else "")
        + (f"; written answers to score: {written}" if any(r["written"] for r in rows) else "")
    )
    return 0
