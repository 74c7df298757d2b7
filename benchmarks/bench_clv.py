"""Speed of every BTYD fit against lifetimes 0.11.3, idle and under CPU load; memory of the summary.

Run from the repository root:

    .venv/bin/python benchmarks/bench_clv.py [--master PATH] [--customers 200000] [--orders 10000000]
                                             [--repeat 3] [--no-load] [--summary-only]

``--master`` (or the environment variable ``CRMLAB_CDNOW_MASTER``) is the full CDNOW file
``CDNOW_master.txt`` (23,570 customers; whitespace-separated, a header line). Without it
the master cases are skipped and the report says so.

What it measures, in one run, side by side:

* the fits BG/NBD, Pareto/NBD, MBG/NBD, Gamma-Gamma (crmlab's ``fit_model`` /
  ``fit_spend_model``, which include the standard errors) against lifetimes'
  ``BetaGeoFitter``, ``ParetoNBDFitter``, ``ModifiedBetaGeoFitter``, ``GammaGammaFitter``
  on the same summaries: the CDNOW sample (39-week calibration, weeks), the master file
  (39-week calibration, in days and in weeks) and a base of synthetic customers drawn
  from a Pareto/NBD model (weeks); BG/BB (``fit_bgbb`` against ``BetaGeoBetaBinomFitter``)
  on the donation patterns and on synthetic donors over 10 occasions;
* each case twice: on an idle machine and with every core kept busy by a load
  generator this script starts (one busy-looping process per core) and stops;
* ``summary_from_transactions`` on a seeded log of ``--orders`` orders: wall time as a ratio to
  one pandas groupby over the same frame (the least a per-customer summary must do) and the
  tracemalloc peak as a ratio to the memory of the input frame.

Ratios are lifetimes time / crmlab time (>= 1: crmlab is no slower). Times are the best of
``--repeat`` runs (one run for cases where lifetimes needs more than ~20 s). The parameters
of both sides are printed too, so agreement is visible (max relative difference).

lifetimes is never a dependency of crmlab and does not install next to it (it needs
setuptools < 82), so its side runs in its own virtual environment,
``benchmarks/.venv-lifetimes`` (created on first use from PyPI, ignored by git), in a
subprocess.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
import venv
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LIFETIMES_VENV = HERE / ".venv-lifetimes"
LIFETIMES_PINS = ["lifetimes==0.11.3", "setuptools<82"]
CALIBRATION_END = "1997-09-30"
#: lifetimes fits slower than this (seconds, idle) are not repeated under load; see run_cases.
SLOW_S = 20.0
MODELS = ("bgnbd", "paretonbd", "mbgnbd", "gamma_gamma", "bgbb")

LIFETIMES_SCRIPT = r"""
import json, sys, time, warnings
import pandas as pd
from lifetimes import (BetaGeoFitter, ParetoNBDFitter, ModifiedBetaGeoFitter, GammaGammaFitter,
                       BetaGeoBetaBinomFitter)
warnings.simplefilter("ignore")
cases = json.loads(sys.argv[1])
out = {}
for key, (path, model, repeat) in cases.items():
    s = pd.read_csv(path)
    best, params = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        if model == "bgnbd":
            f = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
        elif model == "mbgnbd":
            f = ModifiedBetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
        elif model == "paretonbd":
            f = ParetoNBDFitter().fit(s["frequency"], s["recency"], s["T"])
        elif model == "gamma_gamma":
            r = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
            f = GammaGammaFitter().fit(r["frequency"], r["monetary_value"])
        else:
            f = BetaGeoBetaBinomFitter().fit(s["frequency"], s["recency"], s["periods"], s["weights"])
        best = min(best, time.perf_counter() - t)
        params = {k: float(v) for k, v in f.params_.items()}
    out[key] = {"s": best, "params": params}
    print(json.dumps({key: out[key]}), flush=True)
"""

# lifetimes' parameter names -> crmlab's
RENAME = {"v": "gamma"}


def lifetimes_python() -> Path | None:
    """The interpreter of the lifetimes venv, creating it if missing; None if that fails."""
    py = LIFETIMES_VENV / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    if py.exists():
        return py
    print(f"creating {LIFETIMES_VENV.relative_to(ROOT)} with {' '.join(LIFETIMES_PINS)} ...", flush=True)
    try:
        venv.create(LIFETIMES_VENV, with_pip=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *LIFETIMES_PINS], check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"could not set up lifetimes ({exc}); baseline skipped")
        return None
    return py


# --------------------------------------------------------------------------- data


def read_master(path: str) -> pd.DataFrame:
    raw = pd.read_csv(path, sep=r"\s+", dtype={"customer_id": str, "date": str})
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "order_date": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "amount": raw["dollar_value"].astype(float),
        }
    )


def synthetic_customers(n: int, seed: int = 7) -> pd.DataFrame:
    """n customers drawn from a Pareto/NBD model (weeks), with Gamma-Gamma spend."""
    from crmlab.paretonbd import ParetoNBD

    truth = ParetoNBD({"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7}, log_likelihood=np.nan, n=1, time_unit="W")
    rng = np.random.default_rng(seed)
    T = rng.integers(1, 53 * 7, n) / 7.0  # first purchases spread over a year, observed in whole days
    s = truth.simulate(n, T, seed=seed)
    s["recency"] = np.round(s["recency"] * 7) / 7  # purchases fall on days
    nu = rng.gamma(3.7, 1 / 15.4, n)
    s["monetary_value"] = np.where(
        s["frequency"] > 0,
        rng.gamma(6.25 * np.maximum(s["frequency"], 1), 1) / (nu * np.maximum(s["frequency"], 1)),
        0.0,
    ).round(2)
    s.attrs["time_unit"] = "W"
    return s


def synthetic_donors(n: int, seed: int = 7) -> pd.DataFrame:
    from crmlab.bgbb import BGBB

    truth = BGBB({"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.8}, log_likelihood=np.nan, n=1)
    sim = truth.simulate(n, 10, seed=seed)
    return sim.value_counts().rename("weights").reset_index()


def synthetic_log(n_orders: int, n_customers: int, seed: int = 7) -> pd.DataFrame:
    """A seeded order log (string customer ids, two years of dates)."""
    rng = np.random.default_rng(seed)
    weight = rng.gamma(0.8, 1.0, n_customers)
    cust = np.r_[
        rng.permutation(n_customers), rng.choice(n_customers, size=n_orders - n_customers, p=weight / weight.sum())
    ]
    first = rng.integers(0, 365, n_customers)
    day = np.minimum(first[cust] + rng.exponential(120, n_orders).astype(int), 729)
    ids = np.char.add("C", np.char.zfill(np.arange(n_customers).astype(str), 7)).astype(object)
    return pd.DataFrame(
        {
            "customer_id": ids[cust],
            "order_date": pd.Timestamp("2023-01-01") + pd.to_timedelta(day, unit="D"),
            "amount": rng.gamma(2.0, 25.0, n_orders).round(2),
        }
    )


# --------------------------------------------------------------------------- load


class Load:
    """One busy-looping process per core, started and stopped by this script only."""

    def __init__(self, n: int):
        self.procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
        time.sleep(0.5)

    def stop(self) -> None:
        for p in self.procs:
            p.kill()
        for p in self.procs:
            p.wait()


# --------------------------------------------------------------------------- crmlab side


def crmlab_fit(model: str, summary: pd.DataFrame):
    from crmlab import btyd_models

    if model == "gamma_gamma":
        return btyd_models.fit_spend_model(summary)
    if model == "bgbb":
        return btyd_models.fit_model("bgbb", summary, weights="weights")
    return btyd_models.fit_model(model, summary)


def best_of(fn, repeat: int):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def run_cases(cases: dict, tmp: Path, py: Path | None, repeat: int, label: str, skip: frozenset = frozenset()) -> dict:
    """Fit every case on both sides; returns {case: {crmlab_s, lifetimes_s, crmlab params, lifetimes params}}.

    ``skip``: cases whose lifetimes side is not run (its idle time stands as a lower bound).
    """
    res = {}
    for key, (summary, model, reps) in cases.items():
        crmlab_fit(model, summary)  # warm-up (imports)
        t, fit = best_of(lambda: crmlab_fit(model, summary), min(repeat, reps))
        res[key] = {"crmlab_s": t, "crmlab": fit.params}
        print(f"  [{label}] crmlab    {key:34s} {t * 1000:9.1f} ms", flush=True)
    if py is not None:
        spec = {}
        for key, (summary, model, reps) in cases.items():
            if key in skip:
                continue
            path = tmp / f"{key.replace('/', '_').replace(' ', '_')}.csv"
            if not path.exists():
                summary.to_csv(path, index=False)
            spec[key] = (str(path), model, min(repeat, reps))
        proc = subprocess.Popen(
            [str(py), "-c", LIFETIMES_SCRIPT, json.dumps(spec)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for line in proc.stdout:
            for key, val in json.loads(line).items():
                res[key]["lifetimes_s"] = val["s"]
                res[key]["lifetimes"] = {RENAME.get(k, k): v for k, v in val["params"].items()}
                print(f"  [{label}] lifetimes {key:34s} {val['s'] * 1000:9.1f} ms", flush=True)
        if proc.wait() != 0:
            print("lifetimes run failed:\n" + proc.stderr.read()[-2000:])
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--master",
        default=os.environ.get("CRMLAB_CDNOW_MASTER"),
        help="path of CDNOW_master.txt (or set CRMLAB_CDNOW_MASTER)",
    )
    ap.add_argument("--customers", type=int, default=200_000, help="synthetic customers for the fits")
    ap.add_argument("--orders", type=int, default=10_000_000, help="orders of the synthetic log for the summary")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-load", action="store_true", help="skip the run under CPU load")
    ap.add_argument("--summary-only", action="store_true", help="only the summary of the large order log")
    args = ap.parse_args()

    sys.path.insert(0, str(ROOT))
    from crmlab import btyd, datasets

    if args.summary_only:
        return summary_benchmark(args.orders)

    # ---- summaries, built once by crmlab and given to both sides
    cases: dict[str, tuple[pd.DataFrame, str, int]] = {}
    sample = btyd.summary_from_transactions(
        datasets.load("cdnow").orders, calibration_end=CALIBRATION_END, time_unit="W"
    )
    for m in MODELS[:4]:
        cases[f"{m} / CDNOW sample (W)"] = (sample, m, 5)
    if args.master:
        master = read_master(args.master)
        for unit in ("D", "W"):
            s = btyd.summary_from_transactions(master, calibration_end=CALIBRATION_END, time_unit=unit)
            for m in MODELS[:4]:
                cases[f"{m} / CDNOW master ({unit})"] = (s, m, 3)
        print(f"CDNOW master: {len(s):,} customers")
    else:
        print("CDNOW master not given (--master or CRMLAB_CDNOW_MASTER): its cases are skipped")
    syn = synthetic_customers(args.customers)
    for m in MODELS[:4]:
        cases[f"{m} / {args.customers // 1000}k synthetic (W)"] = (syn, m, 1)
    donations = datasets.load("donations").patterns
    cases["bgbb / donations (22 patterns)"] = (donations, "bgbb", 5)
    cases[f"bgbb / {args.customers // 1000}k synthetic donors"] = (synthetic_donors(args.customers), "bgbb", 3)

    py = lifetimes_python()
    results = {}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        print("idle machine:")
        results["idle"] = run_cases(cases, tmp, py, args.repeat, "idle")
        if not args.no_load:
            n = os.cpu_count() or 2
            print(f"under load: {n} busy-looping processes, one per core")
            load = Load(n)
            try:
                # lifetimes cases that took more than SLOW_S idle are not rerun under load (a loaded machine
                # cannot make them faster): their idle time is a lower bound of their busy time
                slow = frozenset(k for k, r in results["idle"].items() if r.get("lifetimes_s", 0) > SLOW_S)
                results["busy"] = run_cases(cases, tmp, py, 1, "busy", skip=slow)
                for k in slow:
                    results["busy"][k]["lifetimes_min_s"] = results["idle"][k]["lifetimes_s"]
            finally:
                load.stop()

    print("\nratios lifetimes time / crmlab time (target >= 1) and parameter agreement:")
    print(f"  {'case':38s} {'idle':>7s} {'busy':>7s}   max rel. param diff")
    for key in cases:
        row = [f"  {key:38s}"]
        for phase in ("idle", "busy"):
            r = results.get(phase, {}).get(key, {})
            if "lifetimes_s" in r:
                row.append(f"{r['lifetimes_s'] / r['crmlab_s']:7.2f}")
            elif "lifetimes_min_s" in r:
                row.append(f"{'>=' + format(r['lifetimes_min_s'] / r['crmlab_s'], '.1f'):>7s}")
            else:
                row.append(f"{'-':>7s}")
        r = results["idle"][key]
        if "lifetimes" in r:
            diff = max(abs(r["crmlab"][k] - r["lifetimes"][k]) / abs(r["lifetimes"][k]) for k in r["crmlab"])
            row.append(f"   {diff:.1e}")
        print(" ".join(row))

    return summary_benchmark(args.orders)


def summary_benchmark(n_orders: int) -> int:
    """Summary of a large order log: wall time against one pass of pandas over the same frame, peak memory
    against the frame's own memory."""
    from crmlab import btyd

    print(f"\nsummary_from_transactions on {n_orders:,} orders:")
    orders = synthetic_log(n_orders, max(n_orders // 20, 1))
    input_mb = orders.memory_usage(deep=True).sum() / 1e6
    end = orders["order_date"].max()
    # baseline: the least any per-customer summary must do, one groupby over the input frame
    base, _ = best_of(lambda: orders.groupby("customer_id", sort=False)["order_date"].agg(["min", "max", "count"]), 2)
    wall, _ = best_of(lambda: btyd.summary_from_transactions(orders, observation_end=end, time_unit="D"), 2)
    tracemalloc.start()
    btyd.summary_from_transactions(orders, observation_end=end, time_unit="D")
    peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    print(
        f"  input frame {input_mb:,.0f} MB; wall time {wall:.1f} s = {wall / base:.2f}x one pandas groupby over "
        f"the frame ({base:.1f} s); {n_orders / wall / 1e6:.2f} M orders/s"
    )
    print(f"  peak memory {peak_mb:,.0f} MB = {peak_mb / input_mb:.2f}x the input frame")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
