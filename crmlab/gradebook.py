"""The gradebook (成绩册): rows of a graded class, feedback, written answers and LMS exports.

``crmlab grade`` writes, for one exercise:

* the gradebook CSV: ``student_id``, one column per check (points), one ``written:<name>``
  column per written answer (empty until scored), ``total``, ``max`` (checks and written
  answers), ``status``, ``written_answers`` (how many were answered), ``file``, ``seconds``;
* a feedback file per student (``--feedback DIR``): score, every check's message, the errors
  of the notebook, the written answers (with the instructor's points and comment once merged);
* the written answers to score, ``<gradebook>.written.yaml``: one entry per question with its
  text, points and model answer, then every student's answer with empty ``points`` and
  ``comment`` for the instructor to fill in.

The grader also keeps its full record of the class, ``<gradebook>.record.json``.
``crmlab gradebook merge GRADEBOOK WRITTEN [--feedback DIR]`` brings the filled-in points into
the gradebook and the record (and rewrites the feedback files); ``crmlab gradebook export GRADEBOOK --lms
canvas|moodle`` writes the CSV those systems import (column mapping in
:func:`export_lms`). Nothing is dropped silently: a score above a question's points, a student
or question the gradebook does not know, or a non-number is refused with its place in the file.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

__all__ = [
    "write_gradebook",
    "read_gradebook",
    "write_feedback",
    "write_written",
    "read_written",
    "write_record",
    "merge_written",
    "export_lms",
    "written_path",
    "record_path",
    "export_path",
    "GradebookError",
    "register",
]

FIXED_TAIL = ["total", "max", "status", "written_answers", "file", "seconds"]


class GradebookError(ValueError):
    """A gradebook or a file of written scores cannot be used as it is (the message says where)."""


def _num(v: float | None) -> str:
    if v is None or v == "":
        return ""
    v = float(v)
    return str(int(v)) if v.is_integer() else f"{v:g}"


def written_path(gradebook: Path) -> Path:
    """The default file of written answers next to a gradebook.

    Examples
    --------
    >>> written_path(Path("out/gradebook.csv")).as_posix()
    'out/gradebook.written.yaml'
    """
    return gradebook.with_suffix(".written.yaml")


def export_path(gradebook: Path, lms: str) -> Path:
    """The default LMS export next to a gradebook (``gradebook.canvas.csv``)."""
    return gradebook.with_suffix(f".{lms}.csv")


def _written_columns(exercise: str) -> list[str]:
    from crmlab.checks._written import written_for

    return [f"written:{name}" for name in written_for(exercise)]


def write_gradebook(rows: list[dict], exercise: str, out: Path) -> None:
    """Write the gradebook CSV of :mod:`crmlab.grade` rows."""
    from crmlab.checks import checks_for
    from crmlab.checks._written import written_for

    checks = list(checks_for(exercise))
    written = written_for(exercise)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["student_id", *checks, *_written_columns(exercise), *FIXED_TAIL])
        for r in rows:
            scored = {item["name"]: item.get("points") for item in r.get("written", [])}
            w_points = [scored.get(n) for n in written]
            total = sum(r["points"].values()) + sum(p for p in w_points if p is not None)
            top = r["max"] + sum(s.points for s in written.values())
            w.writerow(
                [
                    r["student_id"],
                    *(_num(r["points"][n]) for n in checks),
                    *(_num(p) for p in w_points),
                    _num(min(total, top)),
                    _num(top),
                    r["status"],
                    r.get("written_answers", ""),
                    r["file"],
                    r.get("seconds", ""),
                ]
            )


def read_gradebook(path: Path) -> tuple[list[str], list[dict]]:
    """The header and rows of a gradebook CSV written by :func:`write_gradebook`."""
    if not path.is_file():
        raise GradebookError(f"no gradebook {path}: pass the CSV that crmlab grade wrote (--out).")
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    missing = [c for c in ["student_id", *FIXED_TAIL] if c not in header]
    if missing:
        raise GradebookError(f"{path} is not a crmlab gradebook: it has no column {', '.join(missing)}.")
    return header, rows


def write_feedback(row: dict, exercise: str, folder: Path) -> None:
    """Write ``folder/<student_id>.md``: score, check messages, errors and written answers."""
    folder.mkdir(parents=True, exist_ok=True)
    written = row.get("written", [])
    w_max = sum(w["max"] for w in written)
    w_got = [w["points"] for w in written if w.get("points") is not None]
    total = sum(row["points"].values()) + sum(w_got)
    top = row["max"] + w_max
    lines = [
        f"# {exercise}: feedback for {row['student_id']}",
        "",
        f"**Score: {_num(min(total, top))} of {_num(top)} points**"
        + (
            f" ({_num(sum(row['points'].values()))} of {_num(row['max'])} from the checks"
            + (", written answers not scored yet" if written and len(w_got) < len(written) else "")
            + ")."
            if written
            else "."
        ),
        f"Status: {row['status']}.",
        "",
    ]
    lines += [f"- {msg}" for msg in row["messages"].values()]
    if row.get("errors"):
        lines += ["", "## Errors in your notebook", ""]
        lines += [f"- {e['label']}: {e['text']}" for e in row["errors"]]
    if written:
        lines += ["", "## Your written answers (scored by your instructor)", ""]
        for w in written:
            score = (
                f"{_num(w['points'])} of {_num(w['max'])} points"
                if w.get("points") is not None
                else f"not scored yet, {_num(w['max'])} points"
            )
            lines += [f"### {w['name']} ({score})", ""]
            lines += (["> " + ln for ln in w["answer"].splitlines()] if w["answer"] else ["*(no answer)*"]) + [""]
            if w.get("comment"):
                lines += [f"Comment: {w['comment']}", ""]
    (folder / f"{row['student_id']}.md").write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")


# --------------------------------------------------------------------------------------
# Written answers: the file to fill in, and merging it back
# --------------------------------------------------------------------------------------
class _Literal(str):
    """Text written as a YAML block (``|``), readable as it is."""


def _yaml_dumper():
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def literal(dumper, data):
        return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style="|")

    Dumper.add_representer(_Literal, literal)
    return Dumper


def _block(text: str) -> str:
    # YAML block scalars cannot carry trailing spaces on a line or some control characters
    clean = "\n".join(line.rstrip() for line in str(text).replace("\t", "    ").splitlines())
    clean = "".join(ch for ch in clean if ch == "\n" or ch.isprintable())
    return _Literal(clean) if "\n" in clean else clean


def write_written(rows: list[dict], exercise: str, path: Path) -> None:
    """Write the written answers of a class for the instructor to score (YAML, by question).

    Each question lists its text, its points and the model answer of the source, then every
    student's answer with ``points:`` (empty: fill in a number from 0 to the question's
    points) and ``comment:``. An existing file is never overwritten: scores already entered
    are not lost (the new file gets a number).
    """
    import yaml

    from crmlab.checks._written import written_for
    from crmlab.grade import source_path
    from crmlab.release import BEGIN, END

    specs = written_for(exercise)
    if not specs:
        return
    import nbformat

    source = nbformat.read(source_path(exercise), as_version=4)
    model = {}
    for c in source.cells:
        if BEGIN in c.source:
            model[c.id] = c.source.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    questions = []
    for spec in specs.values():
        items = []
        question = ""
        for r in rows:
            for w in r.get("written", []):
                if w["name"] == spec.name:
                    question = question or w["question"]
                    items.append(
                        {
                            "student_id": r["student_id"],
                            "answer": _block(w["answer"] or "(no answer)"),
                            "points": w.get("points"),
                            "comment": w.get("comment", ""),
                        }
                    )
        questions.append(
            {
                "question": spec.name,
                "max_points": spec.points,
                "text": _block(question),
                "model_answer": _block(model.get(spec.cell_id, "")),
                "answers": items,
            }
        )
    head = (
        f"# Written answers of {exercise}: fill in `points` (0 to max_points) and, if you like, a\n"
        f"# `comment` for each answer, then run:\n"
        f"#   crmlab gradebook merge <gradebook.csv> {path.name} --feedback <feedback folder>\n"
        f"# An answer left without points stays 'not scored yet'.\n"
    )
    body = yaml.dump(
        {"exercise": exercise, "questions": questions},
        Dumper=_yaml_dumper(),
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    target = path
    n = 2
    while target.exists():
        target = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    if target != path:
        print(
            f"note: {path} exists (scores may have been entered); the written answers went to {target}", file=sys.stderr
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(head + body, encoding="utf-8")


def read_written(path: Path) -> tuple[str, dict[tuple[str, str], tuple[float | None, str]], dict[str, float]]:
    """The scores of a filled-in written-answers file: exercise, {(student, question): (points, comment)}.

    Raises
    ------
    GradebookError
        naming the question and student of a score that is not a number, negative or above the
        question's points, or of a student listed twice.
    """
    import yaml

    if not path.is_file():
        raise GradebookError(
            f"no file of written answers {path}: crmlab grade wrote it next to the gradebook "
            f"(<gradebook>.written.yaml)."
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise GradebookError(
            f"{path} is not readable YAML ({str(exc).splitlines()[0]}); check the lines you edited."
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise GradebookError(f"{path} has no 'questions' list: use the file crmlab grade wrote.")
    scores: dict = {}
    maxima: dict[str, float] = {}
    for q in data["questions"]:
        name = str(q.get("question"))
        top = float(q.get("max_points") or 0)
        maxima[name] = top
        for a in q.get("answers") or []:
            sid = str(a.get("student_id"))
            where = f"{path.name}, question {name!r}, student {sid!r}"
            raw = a.get("points")
            if raw in (None, ""):
                points = None
            else:
                try:
                    points = float(raw)
                except (TypeError, ValueError):
                    raise GradebookError(f"{where}: points {raw!r} is not a number (0 to {_num(top)}).") from None
                if not 0 <= points <= top:
                    raise GradebookError(f"{where}: points {_num(points)} outside 0 to {_num(top)}.")
            if (sid, name) in scores:
                raise GradebookError(f"{where}: the student appears twice under this question; keep one entry.")
            scores[(sid, name)] = (points, str(a.get("comment") or "").strip())
    return str(data.get("exercise", "")), scores, maxima


def record_path(gradebook: Path) -> Path:
    """The grader's full record of a class next to its gradebook (messages, errors, written answers)."""
    return gradebook.with_suffix(".record.json")


def write_record(rows: list[dict], exercise: str, gradebook: Path) -> None:
    """Keep every row in full, so feedback can be rewritten after the written answers are scored."""
    import json

    record_path(gradebook).write_text(
        json.dumps({"exercise": exercise, "rows": rows}, ensure_ascii=False, indent=1), encoding="utf-8"
    )


def merge_written(gradebook_path: Path, written: Path, feedback: Path | None = None) -> list[dict]:
    """Bring the instructor's written scores into the gradebook (rewritten) and the feedback files.

    Reads the grader's record next to the gradebook (``<gradebook>.record.json``), sets each
    written answer's points and comment from ``written``, and rewrites the gradebook, the
    record and (with ``feedback``) every feedback file. Returns the rows.
    """
    import json

    from crmlab.checks._written import written_for

    read_gradebook(gradebook_path)  # a clear message when it is not a gradebook
    rec = record_path(gradebook_path)
    if not rec.is_file():
        raise GradebookError(
            f"no {rec.name} next to {gradebook_path.name}: merge needs the record crmlab grade "
            f"writes beside the gradebook."
        )
    record = json.loads(rec.read_text(encoding="utf-8"))
    exercise, rows = record["exercise"], record["rows"]
    w_exercise, scores, maxima = read_written(written)
    if w_exercise != exercise:
        raise GradebookError(
            f"{written.name} holds the written answers of {w_exercise!r}, but {gradebook_path.name} "
            f"is the gradebook of {exercise!r}."
        )
    specs = written_for(exercise)
    unknown_q = sorted({q for (_, q) in scores} - set(specs))
    if unknown_q:
        raise GradebookError(
            f"{written.name}: question(s) {', '.join(unknown_q)} are not written answers of "
            f"{exercise} ({', '.join(specs)})."
        )
    for name, spec in specs.items():
        if name in maxima and maxima[name] != spec.points:
            raise GradebookError(
                f"{written.name}: question {name!r} says max_points {_num(maxima[name])}, but it is "
                f"worth {_num(spec.points)}; do not edit max_points."
            )
    ids = {r["student_id"] for r in rows}
    unknown_s = sorted({s for (s, _) in scores} - ids)
    if unknown_s:
        raise GradebookError(f"{written.name}: student(s) {', '.join(unknown_s)} are not in {gradebook_path.name}.")
    for r in rows:
        for w in r.get("written", []):
            points, comment = scores.get((r["student_id"], w["name"]), (None, ""))
            w["points"], w["comment"] = points, comment
    write_gradebook(rows, exercise, gradebook_path)
    write_record(rows, exercise, gradebook_path)
    if feedback is not None:
        for r in rows:
            write_feedback(r, exercise, Path(feedback))
    return rows


# --------------------------------------------------------------------------------------
# LMS exports
# --------------------------------------------------------------------------------------
def export_lms(
    rows: list[dict] | None, exercise: str, lms: str, out: Path, *, gradebook_path: Path | None = None
) -> Path:
    """Write the gradebook as Canvas or Moodle import it.

    Column mapping (one row per student; the score is ``total``, points of the checks and of
    the written answers scored so far):

    * **Canvas** (Grades → Import): ``Student`` (empty), ``ID`` (empty), ``SIS User ID``
      (= ``student_id``), ``SIS Login ID`` (empty), ``Section`` (empty), then one column named
      after the exercise holding ``total``. The second row, ``Points Possible``, holds ``max``.
      Canvas matches students by ``SIS User ID``; use student ids that are SIS ids.
    * **Moodle** (Grades → Import → CSV file): ``ID number`` (= ``student_id``), the exercise's
      column (``total``) and ``Feedback`` (the status). When importing, map ``ID number`` to
      the user field "ID number", the exercise column to the grade item and ``Feedback`` to
      its feedback.

    Missing submissions get 0 (an empty cell would leave the LMS grade unchanged).

    Examples
    --------
    >>> import tempfile, csv
    >>> rows = [{"student_id": "s001", "points": {"a": 2.0}, "max": 3.0, "status": "ok", "written": []}]
    >>> p = Path(tempfile.mkdtemp()) / "g.canvas.csv"
    >>> _ = export_lms(rows, "04_rfm", "canvas", p)
    >>> p.read_text().splitlines()
    ['Student,ID,SIS User ID,SIS Login ID,Section,04_rfm', 'Points Possible,,,,,3', ',,s001,,,2']
    """
    if lms not in ("canvas", "moodle"):
        raise GradebookError(f"the LMS must be canvas or moodle, got {lms!r}")
    if rows is None:
        if gradebook_path is None:
            raise GradebookError("pass the rows or the gradebook to export")
        _, table = read_gradebook(gradebook_path)
        simple = [(r["student_id"], r["total"] or "0", r["max"], r["status"]) for r in table]
    else:
        simple = []
        for r in rows:
            written = r.get("written", [])
            total = sum(r["points"].values()) + sum(w["points"] for w in written if w.get("points") is not None)
            top = r["max"] + sum(w["max"] for w in written)
            simple.append((r["student_id"], _num(min(total, top)), _num(top), r["status"]))
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        if lms == "canvas":
            w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", exercise])
            top = simple[0][2] if simple else ""
            w.writerow(["Points Possible", "", "", "", "", top])
            for sid, total, _, _ in simple:
                w.writerow(["", "", sid, "", "", total])
        else:
            w.writerow(["ID number", exercise, "Feedback"])
            for sid, total, _, status in simple:
                w.writerow([sid, total, status])
    return out


# --------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------
def register(subparsers) -> None:
    """The ``crmlab gradebook`` command: merge written scores, export for an LMS."""
    p = subparsers.add_parser(
        "gradebook", help="merge written-answer scores into a gradebook; export it for Canvas/Moodle"
    )
    sub = p.add_subparsers(dest="gradebook_command", metavar="ACTION")
    m = sub.add_parser("merge", help="bring the instructor's written-answer scores into the gradebook and feedback")
    m.add_argument("gradebook", help="the gradebook CSV crmlab grade wrote")
    m.add_argument("written", help="the filled-in written answers (<gradebook>.written.yaml)")
    m.add_argument("--feedback", default=None, help="the feedback folder to update")
    m.set_defaults(func=_merge_cli)
    e = sub.add_parser("export", help="write the gradebook as Canvas or Moodle import it")
    e.add_argument("gradebook", help="the gradebook CSV crmlab grade wrote")
    e.add_argument("--lms", required=True, choices=["canvas", "moodle"])
    e.add_argument("--out", default=None, help="CSV to write (default: <gradebook>.<lms>.csv)")
    e.add_argument(
        "--name", default=None, help="the assignment's column name in the LMS (default: the gradebook's name)"
    )
    e.set_defaults(func=_export_cli)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _merge_cli(args) -> int:
    try:
        rows = merge_written(Path(args.gradebook), Path(args.written), Path(args.feedback) if args.feedback else None)
    except GradebookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    scored = sum(1 for r in rows for w in r.get("written", []) if w.get("points") is not None)
    print(
        f"merged {scored} written score(s) into {args.gradebook}"
        + (f"; feedback updated in {args.feedback}/" if args.feedback else "")
    )
    return 0


def _export_cli(args) -> int:
    gb = Path(args.gradebook)
    try:
        read_gradebook(gb)
        exercise = args.name or gb.stem
        out = export_lms(
            None, exercise, args.lms, Path(args.out) if args.out else export_path(gb, args.lms), gradebook_path=gb
        )
    except GradebookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {out} for {args.lms}")
    return 0
