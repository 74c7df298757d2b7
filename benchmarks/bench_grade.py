"""Benchmark: grading a class of 30 submissions with 2 workers, sandboxed and not.

Target: 30 submissions of ``04_rfm`` graded with ``--workers 2`` in under 3 minutes, sandbox
included. Makes 30 submissions (the solution; every third one with a typical mistake, every
tenth unsolved), grades them with ``--sandbox none`` (the baseline) and ``--sandbox bwrap`` in
the same run, and prints the seconds of each, the sandbox's overhead per notebook as a ratio,
the CPU seconds per notebook (countable without the sandbox), whether both gave the same scores, and whether the target is met. The machine's load
average is printed too: on a machine shared with other work the wall time grows with it, while
the CPU seconds do not.

    .venv/bin/python benchmarks/bench_grade.py [--n 30] [--exercise 04_rfm]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import nbformat

from crmlab.grade import grade
from crmlab.sandbox import bwrap_problem

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 180
#: A typical mistake per exercise (text replaced in the solution), so that scores differ.
MISTAKES = {
    "04_rfm": ('n_champions = int((segments == "Champions").sum())', "n_champions = int(len(segments))"),
    "00_start_here": ('["signup_date"].dt.year == 2023', '["signup_date"].dt.year >= 2023'),
}


def make_class(folder: Path, exercise: str, n: int) -> None:
    source = ROOT / "exercises" / "source" / f"{exercise}.ipynb"
    student = ROOT / "exercises" / "student" / f"{exercise}.ipynb"
    old, new = MISTAKES.get(exercise, ("", ""))
    folder.mkdir(parents=True)
    for i in range(1, n + 1):
        sid = f"s{i:03d}"
        if i % 10 == 0:
            shutil.copyfile(student, folder / f"{sid}.ipynb")
            continue
        nb = nbformat.read(source, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
                if i % 3 == 0 and old:
                    cell.source = cell.source.replace(old, new)
        nbformat.write(nb, folder / f"{sid}.ipynb")


def _cpu() -> float:
    """CPU seconds of this process and of every finished process it started (workers, kernels)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(exercise: str, folder: Path, out: Path, sandbox: str) -> tuple[float, float, list[dict]]:
    start, cpu = time.perf_counter(), _cpu()
    with contextlib.redirect_stderr(io.StringIO()):
        rows = grade(exercise, folder, out, workers=2, timeout=120, progress=False, sandbox=sandbox)
    return time.perf_counter() - start, _cpu() - cpu, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="number of submissions (default 30)")
    parser.add_argument("--exercise", default="04_rfm", help="exercise to grade (default 04_rfm)")
    args = parser.parse_args()
    problem = bwrap_problem()
    if problem:
        raise SystemExit(f"the sandbox does not work here: {problem}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "submissions"
        make_class(folder, args.exercise, args.n)
        load = os.getloadavg()[0]
        t_none, cpu_none, rows_none = run(args.exercise, folder, Path(tmp) / "none.csv", "none")
        t_box, _, rows_box = run(args.exercise, folder, Path(tmp) / "bwrap.csv", "bwrap")
        load = max(load, os.getloadavg()[0])
    totals = [r["total"] for r in rows_box]
    same = [(r["student_id"], r["total"]) for r in rows_none] == [(r["student_id"], r["total"]) for r in rows_box]
    ok = sum(r["status"] == "ok" for r in rows_box)
    print(
        f"{args.exercise}: {args.n} submissions, 2 workers (totals: "
        f"{', '.join(f'{t:g} x{totals.count(t)}' for t in sorted(set(totals)))}; {ok} ok)"
    )
    cores = os.cpu_count() or 1
    ratio = t_box / t_none
    print(
        f"machine: {cores} cores, load average up to {load:.1f} during the run "
        f"(above {cores}, other work shares the cores and every time grows with it)"
    )
    print(f"--sandbox none (baseline): {t_none:6.1f} s  ({t_none / args.n:.2f} s per notebook)")
    print(f"--sandbox bwrap:           {t_box:6.1f} s  ({t_box / args.n:.2f} s per notebook)")
    print(f"sandbox overhead: {ratio:.2f}x the time without it; same scores: {same}")
    # CPU can be counted only without the sandbox: a sandboxed kernel's CPU is not reported back
    # to the grader (its PID namespace is torn down, not waited for).
    print(
        f"CPU per notebook without the sandbox: {cpu_none / args.n:.2f} s (kernel and grader); the class's "
        f"CPU work over {cores} cores: {cpu_none / cores:.0f} s, x{ratio:.2f} with the sandbox: "
        f"{cpu_none / cores * ratio:.0f} s (the time on an otherwise idle machine)"
    )
    print(
        f"target: a class of {args.n} sandboxed under {TARGET_SECONDS} s -> "
        f"{'met' if t_box < TARGET_SECONDS else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
