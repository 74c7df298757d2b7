"""Grading exercises (批改练习): run every submission, count its checks, write a gradebook.

``crmlab grade SOURCE SUBMISSIONS --out gradebook.csv`` grades one exercise for a class,
in the spirit of nbgrader's autograde step (Jupyter Development Team, nbgrader), with
crmlab's check cells as the tests:

* SOURCE is the exercise source notebook (``exercises/source/00_start_here.ipynb``) or its
  name (``00_start_here``); it names the checks (the gradebook's columns).
* SUBMISSIONS is a folder holding ``<student_id>.ipynb`` files or ``<student_id>/NN_topic.ipynb``
  folders. The id is the notebook's metadata ``crmlab.student_id`` when present, else the
  folder or file name. A folder without the notebook, or an id of ``--roster`` without a
  submission, is graded ``missing``.
* Each submission is copied into its own temporary folder and executed there (nbclient,
  the ``python3`` kernel of the current environment) with ``CRMLAB_STUDENT_ID`` set to its
  id, so the checks compute that student's expected answers from that student's data.
  Submissions are only read, never written.
* Cells run with ``allow_errors``: a cell that raises does not stop the notebook, so one
  unfinished exercise does not cost the points of the others. The row's status says what
  raised. A whole-notebook ``--timeout`` (seconds) stops a notebook that loops forever.
* Results are the check outputs of mimetype ``application/vnd.crmlab.check+json``; a check
  that did not run scores 0. When a notebook's checks used another student id than the
  submission's (its ``STUDENT_ID`` line), the status says ``id mismatch`` and names both.

The gradebook has one row per student: ``student_id``, one column per check (points),
``total``, ``max``, ``status`` (``ok``, ``error: ...``, ``timeout: ...``,
``invalid notebook: ...``, ``missing``, ``id mismatch: ...``), ``written_answers`` (Markdown
answers filled in, for the instructor to read), ``file`` and ``seconds``. With
``--feedback DIR`` each student gets ``DIR/<student_id>.md`` with every check's message and
their written answers. Notebooks run in ``--workers`` processes in parallel.
"""
from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Submission", "find_submissions", "exercise_name", "grade_notebook", "grade", "register"]


@dataclass(frozen=True)
class Submission:
    """One student's submission: ``path`` is None when it is missing."""

    student_id: str
    path: str | None
    note: str = ""


def exercise_name(source: str | Path) -> str:
    """The exercise name of a source notebook path or name.

    Examples
    --------
    >>> exercise_name("exercises/source/00_start_here.ipynb")
    '00_start_here'
    """
    return Path(str(source)).name.removesuffix(".ipynb")


def _metadata_id(path: Path) -> str | None:
    import json

    try:
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        sid = meta.get("crmlab", {}).get("student_id")
    except Exception:  # noqa: BLE001 - an unreadable notebook is reported when graded
        return None
    return str(sid).strip() if isinstance(sid, (str, int)) and str(sid).strip() else None


def find_submissions(folder: str | Path, exercise: str, roster: list[str] | None = None) -> list[Submission]:
    """The submissions in ``folder`` (and ``missing`` ones for a roster), sorted by id."""
    root = Path(folder)
    found: list[Submission] = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix == ".ipynb":
            found.append(Submission(_metadata_id(entry) or entry.stem, str(entry)))
        elif entry.is_dir():
            nb = entry / f"{exercise}.ipynb"
            if nb.is_file():
                found.append(Submission(_metadata_id(nb) or entry.name, str(nb)))
            else:
                found.append(Submission(entry.name, None, f"no {exercise}.ipynb in {entry.name}/"))
    ids = {s.student_id for s in found}
    for sid in roster or []:
        if sid not in ids:
            found.append(Submission(sid, None, "no submission"))
    return sorted(found, key=lambda s: (s.student_id, s.path or ""))


def _collect(nb, exercise: str) -> tuple[dict, list[str], set]:
    """Check payloads (last one per check), error descriptions and the ids the checks used."""
    from crmlab.checks import MIMETYPE

    results, errors, ids = {}, [], set()
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                errors.append(f"{out.get('ename', 'Error')} in cell {number}")
            payload = out.get("data", {}).get(MIMETYPE) if out.get("output_type") in ("display_data", "execute_result") else None
            if isinstance(payload, dict) and payload.get("exercise") == exercise and "name" in payload:
                results[payload["name"]] = payload
                ids.add(payload.get("student_id"))
    return results, errors, ids


def _written_answers(nb) -> tuple[list[str], int]:
    """Texts of the Markdown answer cells the student filled in, and how many there are."""
    from crmlab.release import TEXT_STUB

    cells = [c for c in nb.cells
             if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution")]
    answers = [c.source.strip() for c in cells if TEXT_STUB not in c.source]
    return answers, len(cells)


def _kernel_env(student_id: str) -> dict:
    import crmlab
    from crmlab.checks import ENV_STUDENT_ID

    env = dict(os.environ)
    env[ENV_STUDENT_ID] = student_id
    root = str(Path(crmlab.__file__).resolve().parent.parent)  # so the kernel imports this crmlab
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def grade_notebook(path: str | None, exercise: str, student_id: str, *, timeout: float = 120,
                   note: str = "", save_executed: str | Path | None = None) -> dict:
    """Execute one submission (a copy, in a temporary folder) and score its checks.

    ``save_executed`` is a path where the executed copy is written, for inspection.

    Returns a dict with ``student_id``, ``file``, ``status``, ``points`` and ``messages``
    (per check), ``total``, ``max``, ``written`` (answers), ``written_answers`` and ``seconds``.
    Never raises for a bad submission: the status says what went wrong.
    """
    import nbformat

    from crmlab.checks import checks_for

    specs = checks_for(exercise)
    started = time.monotonic()
    row = {"student_id": student_id, "file": path or "", "status": "ok",
           "points": {n: 0 for n in specs}, "messages": {}, "written": [], "written_answers": "",
           "max": sum(s.points for s in specs.values())}
    status: list[str] = []
    nb = None
    if path is None:
        status.append("missing" + (f": {note}" if note else ""))
    else:
        with tempfile.TemporaryDirectory(prefix="crmlab-grade-") as tmp:
            copy = Path(tmp) / f"{exercise}.ipynb"
            shutil.copyfile(path, copy)
            try:
                nb = nbformat.read(copy, as_version=4)
                nbformat.validate(nb)
            except Exception as exc:  # noqa: BLE001 - any unreadable notebook
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                status.append(f"invalid notebook: {first[:160]}")
                nb = None
            if nb is not None:
                for cell in nb.cells:  # only what runs now counts, never outputs stored in the file
                    if cell.cell_type == "code":
                        cell.outputs, cell.execution_count = [], None
                status += _execute(nb, tmp, student_id, timeout)
                if save_executed is not None:
                    Path(save_executed).parent.mkdir(parents=True, exist_ok=True)
                    nbformat.write(nb, save_executed)
    if nb is not None:
        results, errors, ids = _collect(nb, exercise)
        for name, spec in specs.items():
            payload = results.get(name)
            if payload is None:
                row["messages"][name] = (f"✘ {name}: this check did not run (its check cell is missing, "
                                         f"or the notebook stopped before it).")
                continue
            row["points"][name] = float(payload.get("points", 0)) if payload.get("passed") else 0.0
            row["messages"][name] = str(payload.get("message", ""))
        if errors and not any(s.startswith("timeout") for s in status):
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            status.insert(0, f"error: {errors[0]}{more}")
        other = sorted(str(i) for i in ids if i != student_id)
        if other:
            status.append(f"id mismatch: the notebook's checks used student id {', '.join(map(repr, other))}, "
                          f"the submission is {student_id!r}")
        written, n_written = _written_answers(nb)
        row["written"] = written
        row["written_answers"] = f"{len(written)} of {n_written}" if n_written else ""
    row["total"] = sum(row["points"].values())
    row["status"] = "; ".join(status) if status else "ok"
    row["seconds"] = round(time.monotonic() - started, 2)
    return row


def _execute(nb, cwd: str, student_id: str, timeout: float) -> list[str]:
    """Run the notebook in place; return status notes (empty when it ran to the end)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    deadline = time.monotonic() + timeout
    client = NotebookClient(
        nb, kernel_name="python3", allow_errors=True, record_timing=False,
        timeout=timeout, timeout_func=lambda cell: max(1.0, deadline - time.monotonic()),
        interrupt_on_timeout=False, startup_timeout=60, shutdown_kernel="immediate", resources={"metadata": {"path": cwd}},
    )
    try:  # the kernel's own log lines (and its complaints when stopped) are not the student's
        client.execute(env=_kernel_env(student_id), stderr=subprocess.DEVNULL)
    except CellTimeoutError:
        return [f"timeout: still running after {timeout:g} s"]
    except DeadKernelError as exc:
        return [f"error: the kernel died ({str(exc).strip()[:120] or 'no reason given'})"]
    except Exception as exc:  # noqa: BLE001 - the batch must go on
        return [f"error: {type(exc).__name__}: {str(exc).strip()[:160]}"]
    return []


def _grade_task(task: dict) -> dict:
    return grade_notebook(task["path"], task["exercise"], task["student_id"],
                          timeout=task["timeout"], note=task["note"])


def _write_gradebook(rows: list[dict], check_names: list[str], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["student_id", *check_names, "total", "max", "status", "written_answers", "file", "seconds"])
        for r in rows:
            w.writerow([r["student_id"], *(_num(r["points"][n]) for n in check_names), _num(r["total"]),
                        _num(r["max"]), r["status"], r["written_answers"], r["file"], r["seconds"]])


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _write_feedback(row: dict, exercise: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"# {exercise}: feedback for {row['student_id']}", "",
             f"**Score: {_num(row['total'])} of {_num(row['max'])} points.** Status: {row['status']}.", ""]
    lines += [f"- {msg}" for msg in row["messages"].values()]
    if row["written"]:
        lines += ["", "## Your written answers (read by your instructor)", ""]
        for text in row["written"]:
            lines += ["> " + line for line in text.splitlines()] + [""]
    (folder / f"{row['student_id']}.md").write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")


def grade(source: str | Path, submissions: str | Path, out: str | Path, *, workers: int = 2,
          timeout: float = 120, feedback: str | Path | None = None, roster: list[str] | None = None,
          progress: bool = True) -> list[dict]:
    """Grade every submission of one exercise; write the gradebook (and feedback files).

    Returns the rows (as :func:`grade_notebook` gives them), sorted by student id.
    """
    from concurrent.futures import ProcessPoolExecutor, as_completed
    import multiprocessing

    from tqdm import tqdm

    from crmlab._validate import CRMDataError
    from crmlab.checks import checks_for

    exercise = exercise_name(source)
    names = list(checks_for(exercise))
    folder = Path(submissions)
    if not folder.is_dir():
        raise CRMDataError(f"the submissions folder {folder} does not exist; pass the folder that holds "
                           f"<student_id>.ipynb files or <student_id>/{exercise}.ipynb folders.")
    subs = find_submissions(folder, exercise, roster)
    tasks = [{"path": s.path, "exercise": exercise, "student_id": s.student_id, "timeout": timeout,
              "note": s.note} for s in subs]
    rows: list[dict] = []
    bar = tqdm(total=len(tasks), desc=f"grading {exercise}", unit="notebook", file=sys.stderr,
               disable=not progress)
    if workers <= 1:
        for t in tasks:
            rows.append(_grade_task(t))
            bar.update()
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = {pool.submit(_grade_task, t): t for t in tasks}
            for fut in as_completed(futures):
                t = futures[fut]
                try:
                    rows.append(fut.result())
                except Exception as exc:  # noqa: BLE001 - a crashed worker must not stop the batch
                    row = grade_notebook(None, exercise, t["student_id"], note="")
                    row.update(status=f"error: grading failed ({type(exc).__name__}: {exc})", file=t["path"] or "")
                    rows.append(row)
                bar.update()
    bar.close()
    rows.sort(key=lambda r: (r["student_id"], r["file"]))
    seen: dict[str, int] = {}
    for r in rows:
        seen[r["student_id"]] = seen.get(r["student_id"], 0) + 1
    for r in rows:
        if seen[r["student_id"]] > 1:
            r["status"] += f"; duplicate: {seen[r['student_id']]} submissions for this id"
    _write_gradebook(rows, names, Path(out))
    if feedback is not None:
        for r in rows:
            _write_feedback(r, exercise, Path(feedback))
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
    p = subparsers.add_parser("grade", help="execute submitted exercise notebooks and write a gradebook")
    p.add_argument("source", help="exercise source notebook (exercises/source/NN_topic.ipynb) or its name")
    p.add_argument("submissions", help="folder of <student_id>.ipynb files or <student_id>/NN_topic.ipynb folders")
    p.add_argument("--out", required=True, help="gradebook CSV to write")
    p.add_argument("--workers", type=int, default=2, help="notebooks run in parallel (default: %(default)s)")
    p.add_argument("--timeout", type=float, default=120, help="seconds allowed per notebook (default: %(default)s)")
    p.add_argument("--feedback", default=None, help="folder for one Markdown feedback file per student")
    p.add_argument("--roster", default=None, help="file of expected student ids (one per line, or CSV, first column)")
    p.set_defaults(func=_cli)


def _cli(args) -> int:
    from crmlab._validate import CRMDataError

    try:
        rows = grade(args.source, args.submissions, args.out, workers=args.workers, timeout=args.timeout,
                     feedback=args.feedback, roster=_read_roster(args.roster))
    except CRMDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    ok = sum(r["status"] == "ok" for r in rows)
    print(f"graded {len(rows)} submission(s) ({ok} ok); gradebook: {args.out}"
          + (f"; feedback: {args.feedback}/" if args.feedback else ""))
    return 0
