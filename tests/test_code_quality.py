"""Habits of a well-kept project: ruff (lint and format) and mypy pass; configured in pyproject.toml.

Lint: ``ruff check crmlab tests benchmarks`` with the rules of ``[tool.ruff.lint]``.
Format: ``ruff format --check`` holds for every Python file except those still waiting for
the one-off formatting of the whole tree, listed in ``tests/ruff_format_pending.txt``; once a
file is formatted it must leave that list, so the list only shrinks. After
``ruff format crmlab tests benchmarks`` formats everything, delete that file: from then on
every file is held formatted. Notebooks are never formatted (their stored outputs belong to
their code cells as written).
Types: ``mypy`` over crmlab/ with the gradual settings of ``[tool.mypy]``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TREES = ["crmlab", "tests", "benchmarks"]

#: Python files not yet run through ``ruff format`` (one path a line). Never add to it.
PENDING_FILE = ROOT / "tests" / "ruff_format_pending.txt"
PENDING_FORMAT: frozenset[str] = frozenset(
    PENDING_FILE.read_text(encoding="utf-8").split() if PENDING_FILE.exists() else ()
)


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_lint_passes():
    res = _run(BIN / "ruff", "check", "--no-cache", *TREES)
    assert res.returncode == 0, res.stdout + res.stderr


def _unformatted() -> set[str]:
    res = _run(BIN / "ruff", "format", "--check", "--no-cache", "--output-format", "concise", *TREES)
    assert res.returncode in (0, 1), res.stderr
    files = set(re.findall(r"^(\S+?\.py):\d+:\d+: unformatted", res.stdout, flags=re.M))
    # exit 1 means some file would change: the reader above must have found it
    assert bool(files) == (res.returncode == 1), res.stdout[-2000:]
    return files


def test_ruff_format_holds_except_for_the_files_waiting_for_it():
    unformatted = _unformatted()
    new = sorted(unformatted - PENDING_FORMAT)
    assert not new, f"{len(new)} file(s) not formatted; run `.venv/bin/ruff format FILE` on: {', '.join(new[:30])}"
    done = sorted(f for f in PENDING_FORMAT if f not in unformatted)
    assert not done, f"formatted now: remove them from {PENDING_FILE.name} so they stay formatted: {done}"


def test_ruff_never_touches_a_notebook():
    # `ruff format crmlab tests benchmarks` (and even naming notebooks/) must leave .ipynb files alone.
    res = _run(BIN / "ruff", "check", "--show-files", *TREES, "notebooks", "exercises")
    assert res.returncode == 0, res.stderr
    listed = [line for line in res.stdout.splitlines() if line.strip()]
    assert any(line.endswith(".py") for line in listed)
    assert not [line for line in listed if line.endswith(".ipynb")], "ruff would touch notebooks"


def test_mypy_passes():
    res = _run(sys.executable, "-m", "mypy", "--cache-dir", str(ROOT / ".mypy_cache"))
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-2000:]
