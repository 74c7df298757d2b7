"""Speed of the foundation: `import crmlab` and `datasets.load(...)`.

Targets (issue 2): `import crmlab` under 0.5 s, `load("retail")` under 1 s on the
reference machine. Machines are noisy, so each figure is also given as a ratio
against a baseline measured in the same run:
- import: against a bare interpreter start (`python -c pass`) and `import pandas`;
- load: against `pandas.read_csv` of the same files with no dtypes.

Run: .venv/bin/python benchmarks/bench_datasets.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def wall(cmd: list[str], repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    py = sys.executable
    bare = wall([py, "-c", "pass"])
    imp = wall([py, "-c", "import crmlab"])
    pandas_imp = wall([py, "-c", "import pandas"])
    print(f"interpreter start        {bare:6.3f} s")
    print(
        f"import crmlab            {imp:6.3f} s   ({imp - bare:.3f} s above a bare start; "
        f"{imp / pandas_imp:.2f}x the time of `import pandas`)  target < 0.5 s"
    )

    import pandas as pd
    from crmlab import datasets

    def raw():
        for table in datasets.DATASETS["retail"]["tables"]:
            pd.read_csv(datasets.data_dir() / "retail" / f"{table}.csv")

    def cold_load():
        datasets._cached.cache_clear()
        datasets.load("retail")

    base = best(raw)
    cold = best(cold_load)
    warm = best(lambda: datasets.load("retail"))
    print(f"read_csv retail (raw)    {base:6.3f} s")
    print(f"load('retail') cold      {cold:6.3f} s   ({cold / base:.2f}x raw read_csv)  target < 1 s")
    print(f"load('retail') cached    {warm:6.3f} s   ({warm / base:.2f}x raw read_csv)")
    personal = best(lambda: (datasets._cached.cache_clear(), datasets.load("retail", student_id="s042")), repeat=3)
    print(
        f"load('retail', student)  {personal:6.3f} s   ({personal / base:.2f}x raw read_csv; generated on the fly, then cached)"
    )


if __name__ == "__main__":
    main()
