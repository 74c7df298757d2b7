"""Benchmark: grading a class of 30 submissions of one exercise with 1 and 2 workers.

Target: 30 submissions of ``00_start_here`` graded with 2 workers in under 3 minutes.
Makes 30 copies of the solution (every third one with a typical mistake, every tenth
unsolved), grades them with ``--workers 1`` (the baseline) and ``--workers 2``, and prints
the seconds, the ratio and whether the target is met.

    .venv/bin/python benchmarks/bench_grade.py [--n 30]
"""
from __future__ import annotations

import argparse
import csv
import shutil
import tempfile
import time
from pathlib import Path

import nbformat

from crmlab.grade import grade

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "exercises" / "source" / "00_start_here.ipynb"
STUDENT = ROOT / "exercises" / "student" / "00_start_here.ipynb"
TARGET_SECONDS = 180


def make_class(folder: Path, n: int) -> None:
    folder.mkdir(parents=True)
    for i in range(1, n + 1):
        sid = f"s{i:03d}"
        if i % 10 == 0:
            shutil.copyfile(STUDENT, folder / f"{sid}.ipynb")
            continue
        nb = nbformat.read(SOURCE, as_version=4)
        if i % 3 == 0:
            for cell in nb.cells:
                cell.source = cell.source.replace('["signup_date"].dt.year == 2023', '["signup_date"].dt.year >= 2023')
        nbformat.write(nb, folder / f"{sid}.ipynb")


def run(folder: Path, out: Path, workers: int) -> tuple[float, list[dict]]:
    start = time.perf_counter()
    grade("00_start_here", folder, out, workers=workers, timeout=120, progress=False)
    seconds = time.perf_counter() - start
    with open(out, newline="", encoding="utf-8") as fh:
        return seconds, list(csv.DictReader(fh))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="number of submissions (default 30)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "submissions"
        make_class(folder, args.n)
        t1, rows1 = run(folder, Path(tmp) / "gb1.csv", 1)
        t2, rows2 = run(folder, Path(tmp) / "gb2.csv", 2)
    totals = [r["total"] for r in rows2]
    same = [(r["student_id"], r["total"]) for r in rows1] == [(r["student_id"], r["total"]) for r in rows2]
    print(f"submissions: {args.n} (totals: {', '.join(f'{t} x{totals.count(t)}' for t in sorted(set(totals)))})")
    print(f"workers=1 (baseline): {t1:6.1f} s  ({t1 / args.n:.2f} s per notebook)")
    print(f"workers=2:            {t2:6.1f} s  ({t2 / args.n:.2f} s per notebook)")
    print(f"speed-up 1 -> 2 workers: {t1 / t2:.2f}x; same gradebook: {same}")
    print(f"target: 2 workers under {TARGET_SECONDS} s for 30 -> {'met' if t2 < TARGET_SECONDS else 'NOT met'}")


if __name__ == "__main__":
    main()
