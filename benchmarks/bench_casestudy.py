"""Case-study batches: one run, and a batch of 8 with --jobs 1 against --jobs 2.

Run from the repository root:

    .venv/bin/python benchmarks/bench_casestudy.py [NOTEBOOK] [--runs 8] [--repeat 2]

NOTEBOOK defaults to the test fixture tests/fixtures/casestudy_demo.ipynb; give a
real case study (notebooks/...) to time it instead. The 8 parameter sets differ
only by seed, so every run does the same amount of work. Targets: one case study
under 30 s; jobs 2 clearly faster than jobs 1 (ratio below 1).
"""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from crmlab.casestudy import run_batch

ROOT = Path(__file__).resolve().parent.parent


def timed_batch(notebook: Path, sets: list[dict], jobs: int) -> tuple[float, "object"]:
    out = Path(tempfile.mkdtemp(prefix="bench_casestudy_"))
    try:
        start = time.perf_counter()
        summary = run_batch(notebook, sets, out, jobs=jobs, progress=False)
        return time.perf_counter() - start, summary
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", nargs="?", default=str(ROOT / "tests/fixtures/casestudy_demo.ipynb"))
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=2, help="batches per setting (best is reported)")
    args = parser.parse_args()
    notebook = Path(args.notebook)

    one, summary = timed_batch(notebook, [{"seed": 1}], jobs=1)
    assert (summary["status"] == "ok").all(), summary["error"].tolist()
    print(f"load average (1 min) at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"one run ({notebook.name}): {one:.2f} s wall, {summary['duration_s'].iloc[0]:.2f} s in the run"
          f"  [target < 30 s]")

    sets = [{"seed": s} for s in range(1, args.runs + 1)]
    results: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(args.repeat):  # interleaved, best of each: other load on the machine hits both alike
        for jobs in (1, 2):
            seconds, summary = timed_batch(notebook, sets, jobs=jobs)
            assert (summary["status"] == "ok").all(), summary["error"].tolist()
            results[jobs].append(seconds)
    for jobs, times in results.items():
        best = min(times)
        print(f"batch of {args.runs}, jobs {jobs}: {best:.2f} s best of {len(times)} "
              f"({best / args.runs:.2f} s per run; all: {', '.join(f'{t:.1f}' for t in times)})")
    print(f"ratio jobs 2 / jobs 1: {min(results[2]) / min(results[1]):.2f}  [target clearly < 1]")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

if __name__ == "__main__":
    main()
