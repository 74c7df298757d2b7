"""Size and install cost of the crmlab package: the wheel, a clean venv with the core or everything.

Figures (issue 13): wheel size; install time of the wheel into a clean venv with the core only
and with every extra (``crmlab[all]``), both at the pins of constraints.txt; ``import crmlab``
and ``datasets.load("cdnow")`` from the installed wheel. Installs come from pip's cache where it
has the files, as on a machine that installed them before; each install is also given as a
ratio against a baseline measured in the same run: installing numpy alone into a clean venv.

Run: .venv/bin/python benchmarks/bench_package.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / "constraints.txt"


def timed(cmd: list, cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run([str(c) for c in cmd], cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def fresh_venv(folder: Path) -> Path:
    venv.EnvBuilder(with_pip=True).create(folder)
    return folder / "bin" / "python"


def install(tmp: Path, name: str, target: str) -> tuple[float, Path]:
    py = fresh_venv(tmp / name)
    seconds = timed([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-c", CONSTRAINTS, target], tmp)
    return seconds, py


def median_run(py: Path, code: str, cwd: Path, repeat: int = 5) -> float:
    return statistics.median(timed([py, "-c", code], cwd) for _ in range(repeat))


def site_size(py: Path) -> float:
    (site,) = (py.parent.parent / "lib").glob("python*/site-packages")
    return sum(f.stat().st_size for f in site.rglob("*") if f.is_file()) / 1e6


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        build = timed([sys.executable, "-m", "build", "--wheel", "--outdir", tmp / "dist", ROOT], tmp)
        (wheel,) = (tmp / "dist").glob("crmlab-*.whl")
        print(
            f"wheel                     {wheel.stat().st_size / 1e6:6.2f} MB   ({wheel.name}; built in {build:.1f} s)"
        )

        base, _ = install(tmp, "numpy", "numpy")
        core, core_py = install(tmp, "core", str(wheel))
        full, full_py = install(tmp, "full", f"{wheel}[all]")
        print(f"install numpy (baseline)  {base:6.1f} s")
        print(
            f"install crmlab (core)     {core:6.1f} s   ({core / base:.1f}x the baseline; "
            f"{site_size(core_py):.0f} MB of site-packages)"
        )
        print(
            f"install crmlab[all]       {full:6.1f} s   ({full / base:.1f}x the baseline; "
            f"{site_size(full_py):.0f} MB of site-packages)"
        )

        bare = median_run(core_py, "pass", tmp)
        imp = median_run(core_py, "import crmlab", tmp)
        load = median_run(core_py, "from crmlab import datasets; datasets.load('cdnow')", tmp, repeat=3)
        pandas = median_run(core_py, "import pandas", tmp, repeat=3)
        print(f"interpreter start         {bare:6.3f} s")
        print(f"import crmlab (wheel)     {imp:6.3f} s   ({imp - bare:.3f} s above a bare start)")
        print(f"load('cdnow') (wheel)     {load:6.3f} s   ({load / pandas:.2f}x `import pandas` alone)")


if __name__ == "__main__":
    main()
