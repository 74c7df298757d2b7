"""What the exercise tests share (练习测试的共用部分): notebooks, check payloads, personal data.

A plain module that the ``tests/test_exercises_*.py`` files import (pytest puts ``tests/`` on
the path). ``tests/test_exercises_all.py`` runs the checks every exercise must pass, for every
``exercises/source/*.ipynb``; the per-chapter files keep what is particular to one exercise:
the hand-built data, the right answers and the typical wrong ones.

A chapter file defines ``NAME`` (the exercise) and ``small_<dataset>()`` functions that build its
hand-made data (``small_retail()``, ``small_b2b()``, ...); the fixtures ``small`` (the exercise
on that data, :func:`on_hand_built_data`) and ``shipped`` (on the shipped data) in
``tests/conftest.py`` give it the two exercises its tests run checks on.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, Callable, Mapping

import nbformat

from crmlab.checks import ENV_STUDENT_ID, MIMETYPE, CheckResult, Exercise, exercise

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "exercises" / "source"
STUDENT = ROOT / "exercises" / "student"


def exercise_names() -> list[str]:
    """Every exercise with a source notebook, in order (found by glob: new chapters are included)."""
    return sorted(p.stem for p in SOURCE.glob("*.ipynb"))


@functools.cache
def executed_student_version(name: str) -> nbformat.NotebookNode:
    """The released student notebook of ``name``, executed unsolved in a fresh kernel, once per session.

    Cells run in order with errors allowed, as a student who runs everything would see it
    (each unanswered exercise raises ``NotImplementedError`` in its own cell). The kernel runs
    on the shipped data: ``$CRMLAB_STUDENT_ID`` is removed from its environment.
    """
    from nbclient import NotebookClient

    path = STUDENT / f"{name}.ipynb"
    assert path.exists(), f"{path.name} is missing from exercises/student: run `crmlab release`."
    nb = nbformat.read(path, as_version=4)
    saved = os.environ.pop(ENV_STUDENT_ID, None)
    try:
        NotebookClient(
            nb, timeout=120, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(STUDENT)}}
        ).execute()
    finally:
        if saved is not None:
            os.environ[ENV_STUDENT_ID] = saved
    return nb


def check_cells(nb: nbformat.NotebookNode) -> list:
    """The code cells that call ``ex.check(...)``."""
    return [c for c in nb.cells if c.cell_type == "code" and "ex.check(" in c.source]


def payloads(cells: list) -> list[dict]:
    """The check results (autograder payloads) in the outputs of ``cells``."""
    return [
        o["data"][MIMETYPE]
        for c in cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if MIMETYPE in o.get("data", {})
    ]


def stored_payloads(name: str) -> list[dict]:
    """The check results stored in the executed source notebook of ``name``."""
    return payloads(nbformat.read(SOURCE / f"{name}.ipynb", as_version=4).cells)


def on_hand_built_data(name: str, builders: Mapping[str, Callable[[], Any]]) -> Exercise:
    """Exercise ``name`` whose ``ex.data(d)`` is a fresh ``builders[d]()``, whatever the student id.

    Used through the ``small`` fixture (tests/conftest.py), with the test module's
    ``small_<dataset>()`` functions as ``builders``.
    """

    def loader(dataset: str, student_id: str | None) -> Any:
        assert dataset in builders, f"{name}: the test builds no {dataset!r} data (define small_{dataset}())"
        return builders[dataset]()

    return exercise(name, loader=loader)


def run(ex: Exercise, name: str, answer: Any) -> CheckResult:
    """Run check ``name`` on ``answer`` and insist that it reached a verdict (no error inside the check)."""
    res = ex.run(name, answer)
    assert res.error is None, res.message
    return res


def assert_answers_are_personal(
    name: str, check: str, answer_of: Callable[[Exercise], Any], ids: tuple[str, str] = ("s001", "s002")
) -> tuple[Any, Any]:
    """Two students get different expected answers: each one's right answer passes for them and
    fails for the other. ``answer_of(ex)`` computes the right answer from ``ex.data(...)``.

    Returns both answers, for further chapter-specific assertions.
    """
    ex1, ex2 = exercise(name, student_id=ids[0]), exercise(name, student_id=ids[1])
    a1, a2 = answer_of(ex1), answer_of(ex2)
    assert run(ex1, check, a1).passed, f"{ids[0]}'s own answer fails {check}"
    assert run(ex2, check, a2).passed, f"{ids[1]}'s own answer fails {check}"
    res = run(ex2, check, a1)
    assert not res.passed and res.student_id == ids[1], f"{ids[0]}'s answer also passes for {ids[1]}"
    return a1, a2
