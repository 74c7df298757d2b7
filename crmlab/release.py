"""Releasing exercises (发布练习): student notebooks generated from the solution sources.

An exercise source (``exercises/source/NN_topic.ipynb``) holds its solutions between
nbgrader's markers (Jupyter Development Team, nbgrader ``ClearSolutions``), so a source also
works with nbgrader as it is::

    answer = None
    ### BEGIN SOLUTION
    answer = len(ds.customers)
    ### END SOLUTION

``release`` replaces each marked region of a code cell by ``# YOUR CODE HERE`` and
``raise NotImplementedError()`` at the marker's indentation, keeping every line outside
the markers; in a Markdown cell the region becomes ``YOUR ANSWER HERE``, and a written answer
registered in :mod:`crmlab.checks._written` gets a first line saying its points. A cell whose
metadata says ``nbgrader.solution`` but has no markers is replaced whole, as nbgrader does.
Outputs and execution counts are cleared, run-time metadata is dropped, cell ids are kept
(or derived from the file name and position when missing), and the notebook is written
with nbformat's stable JSON and a trailing newline: releasing twice gives the same bytes.
A source with unbalanced markers is refused with its file and cell number.

``crmlab release --check`` writes nothing and exits 1 listing the student notebooks that
differ from what release would produce.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from crmlab._extras import require

require("teach", "crmlab.release")  # nbformat, nbclient, ...: pip install "crmlab[teach]"

__all__ = [
    "BEGIN",
    "END",
    "CODE_STUB",
    "TEXT_STUB",
    "ReleaseError",
    "strip_solutions",
    "release_notebook",
    "release",
    "register",
]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"

#: Cell metadata written by running a notebook, not by its author.
VOLATILE_CELL_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime")


class ReleaseError(ValueError):
    """A source notebook cannot be released as it is (the message names file and cell)."""


def strip_solutions(source: str, cell_type: str = "code", *, where: str = "cell") -> tuple[str, bool]:
    """Replace the solution regions of one cell's text; return ``(text, replaced)``.

    Examples
    --------
    >>> text = "x = None\\nif True:\\n    ### BEGIN SOLUTION\\n    x = 1\\n    ### END SOLUTION\\nprint(x)"
    >>> print(strip_solutions(text)[0])
    x = None
    if True:
        # YOUR CODE HERE
        raise NotImplementedError()
    print(x)
    >>> strip_solutions("### BEGIN SOLUTION\\nx = 1", where="a.ipynb, cell 3")
    Traceback (most recent call last):
    ...
    crmlab.release.ReleaseError: a.ipynb, cell 3: '### BEGIN SOLUTION' on line 1 has no matching '### END SOLUTION'.
    """
    stub = (CODE_STUB if cell_type == "code" else TEXT_STUB).split("\n")
    out: list[str] = []
    begin_line = None
    replaced = False
    for i, line in enumerate(source.split("\n"), start=1):
        mark = line.strip()
        if mark == BEGIN:
            if begin_line is not None:
                raise ReleaseError(
                    f"{where}: '{BEGIN}' on line {i} inside the solution opened on line "
                    f"{begin_line}; close it with '{END}' first."
                )
            begin_line = i
            replaced = True
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + s for s in stub)
        elif mark == END:
            if begin_line is None:
                raise ReleaseError(f"{where}: '{END}' on line {i} without a '{BEGIN}' before it.")
            begin_line = None
        elif begin_line is None:
            out.append(line)
    if begin_line is not None:
        raise ReleaseError(f"{where}: '{BEGIN}' on line {begin_line} has no matching '{END}'.")
    return "\n".join(out), replaced


def _stable_id(name: str, index: int) -> str:
    return hashlib.sha1(f"{name}:{index}".encode()).hexdigest()[:8]


def release_notebook(source_path: str | Path) -> str:
    """The student version of one source notebook, as the exact text release writes."""
    import nbformat

    path = Path(source_path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("nbformat") == 4:  # give id-less cells stable ids before nbformat makes random ones
            raw["nbformat_minor"] = max(raw.get("nbformat_minor", 0), 5)
            for index, cell in enumerate(raw.get("cells", [])):
                cell.setdefault("id", _stable_id(path.name, index))
        nb = nbformat.reads(json.dumps(raw), as_version=4)
    except Exception as exc:  # noqa: BLE001 - report any unreadable source the same way
        raise ReleaseError(f"{path.name}: not a readable notebook ({type(exc).__name__}: {exc}).") from None
    for index, cell in enumerate(nb.cells):
        where = f"{path.name}, cell {index + 1} ({cell.cell_type})"
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type in ("code", "markdown"):
            text, replaced = strip_solutions(cell.source, cell.cell_type, where=where)
            if not replaced and cell.metadata.get("nbgrader", {}).get("solution"):
                text = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
            cell.source = text
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    _note_written_points(nb, path.stem)
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("papermill", None)
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def _note_written_points(nb, exercise: str) -> None:
    """Say in each written answer cell what it is worth (its registered points)."""
    from crmlab.checks._written import points_note, written_for

    points = {spec.cell_id: spec.points for spec in written_for(exercise).values()}
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.get("id") in points:
            cell.source = points_note(points[cell.id]) + "\n\n" + cell.source


def release(
    source: str | Path = "exercises/source", dest: str | Path = "exercises/student", *, check: bool = False
) -> list[str]:
    """Release every ``*.ipynb`` of ``source`` into ``dest``; return the names that changed.

    With ``check=True`` nothing is written: the returned names are the student notebooks
    that are missing, differ from what release produces, or have no source any more.
    Files are only rewritten when their bytes change.
    """
    src, dst = Path(source), Path(dest)
    if not src.is_dir():
        raise ReleaseError(
            f"source folder {src} does not exist; pass --source with the folder of exercise sources (NN_topic.ipynb)."
        )
    changed = []
    names = set()
    for path in sorted(src.glob("*.ipynb")):
        names.add(path.name)
        text = release_notebook(path).encode("utf-8")
        target = dst / path.name
        if not target.exists() or target.read_bytes() != text:
            changed.append(path.name)
            if not check:
                dst.mkdir(parents=True, exist_ok=True)
                target.write_bytes(text)
    if check and dst.is_dir():
        changed += [f"{p.name} (no source)" for p in sorted(dst.glob("*.ipynb")) if p.name not in names]
    return changed


def register(subparsers) -> None:
    """The ``crmlab release`` command."""
    p = subparsers.add_parser("release", help="generate the student exercise notebooks from the sources")
    p.add_argument("--source", default="exercises/source", help="folder of source notebooks (default: %(default)s)")
    p.add_argument("--dest", default="exercises/student", help="folder of student notebooks (default: %(default)s)")
    p.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 listing student notebooks that are not what release produces",
    )
    p.set_defaults(func=_cli)


def _cli(args) -> int:
    try:
        changed = release(args.source, args.dest, check=args.check)
    except ReleaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if changed:
            print("student notebooks out of date (run `crmlab release`): " + ", ".join(changed))
            return 1
        print("student notebooks are current")
        return 0
    print(("released: " + ", ".join(changed)) if changed else "nothing changed: the student notebooks were current")
    return 0
