"""Speed and memory of the CLV inputs and the BG/NBD fit, against lifetimes 0.11.3.

Run from the repository root:

    .venv/bin/python benchmarks/bench_clv.py [--orders 1000000] [--customers 200000] [--repeat 3]

What it measures, all in the same run:

* ``crmlab.clv.summary_from_transactions`` and ``crmlab.rfm.rfm_table`` on a
  seeded synthetic order log (default 1,000,000 orders from 200,000 customers,
  string customer ids, two years of dates), against lifetimes'
  ``summary_data_from_transaction_data`` on the same CSV file;
* ``crmlab.clv.fit_bgnbd`` on CDNOW (39-week calibration) against lifetimes'
  ``BetaGeoFitter.fit`` on the same summary;
* the tracemalloc peak of ``summary_from_transactions`` against the memory of
  the input frame (target: within 3x).

lifetimes is never a dependency of crmlab and does not install next to it
(it needs setuptools < 82 and several of its helpers fail on pandas 3), so its
side runs in its own virtual environment, ``benchmarks/.venv-lifetimes``
(created on first use, ignored by git), in a subprocess. Times are the best of
``--repeat`` runs.
"""
from __future__ import annotations

import argparse
import json
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

LIFETIMES_SCRIPT = r"""
import json, sys, time
import pandas as pd
from lifetimes import BetaGeoFitter
from lifetimes.utils import summary_data_from_transaction_data

log_csv, end, cdnow_csv, cal_end, repeat = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
orders = pd.read_csv(log_csv, dtype={"customer_id": str}, parse_dates=["order_date"])
best = float("inf")
for _ in range(repeat):
    t = time.perf_counter()
    summary_data_from_transaction_data(orders, "customer_id", "order_date", "amount",
                                       observation_period_end=end, freq="D")
    best = min(best, time.perf_counter() - t)
cd = pd.read_csv(cdnow_csv, dtype={"customer_id": str}, parse_dates=["order_date"])
cd = cd[cd["order_date"] <= cal_end]
s = summary_data_from_transaction_data(cd, "customer_id", "order_date", observation_period_end=cal_end, freq="D")
s["recency"] /= 7.0
s["T"] /= 7.0
fit_best = float("inf")
for _ in range(max(repeat, 5)):
    t = time.perf_counter()
    bg = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    fit_best = min(fit_best, time.perf_counter() - t)
print(json.dumps({"summary_s": best, "fit_s": fit_best, "params": {k: float(v) for k, v in bg.params_.items()}}))
"""


def synthetic_log(n_orders: int, n_customers: int, seed: int = 7) -> pd.DataFrame:
    """A seeded order log: customers with gamma-distributed activity, dates over two years."""
    rng = np.random.default_rng(seed)
    weight = rng.gamma(0.8, 1.0, n_customers)
    # every customer buys at least once; the other orders follow the activity weights
    cust = np.r_[rng.permutation(n_customers),
                 rng.choice(n_customers, size=n_orders - n_customers, p=weight / weight.sum())]
    first = rng.integers(0, 365, n_customers)
    day = np.minimum(first[cust] + rng.exponential(120, n_orders).astype(int), 729)
    return pd.DataFrame({
        "customer_id": pd.Series(cust).map("C{:06d}".format),
        "order_date": pd.Timestamp("2023-01-01") + pd.to_timedelta(day, unit="D"),
        "amount": rng.gamma(2.0, 25.0, n_orders).round(2),
    })


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--customers", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    sys.path.insert(0, str(ROOT))
    from crmlab import clv, datasets

    with tempfile.TemporaryDirectory() as tmp:
        log_csv = Path(tmp) / "orders.csv"
        cdnow_csv = Path(tmp) / "cdnow.csv"
        synthetic_log(args.orders, args.customers).to_csv(log_csv, index=False)
        datasets.load("cdnow").orders.to_csv(cdnow_csv, index=False)
        # both sides read the same file the same way
        orders = pd.read_csv(log_csv, dtype={"customer_id": str}, parse_dates=["order_date"])
        end = orders["order_date"].max().strftime("%Y-%m-%d")
        n_cust = orders["customer_id"].nunique()
        input_mb = orders.memory_usage(deep=True).sum() / 1e6
        print(f"order log: {len(orders):,} orders, {n_cust:,} customers, {input_mb:.1f} MB in memory")

        res: dict[str, float] = {}
        res["summary"], s = best_of(lambda: clv.summary_from_transactions(orders, observation_end=end,
                                                                          time_unit="D"), args.repeat)
        print(f"crmlab summary_from_transactions: {res['summary']:.3f} s ({len(s):,} customers)")
        try:
            from crmlab import rfm
        except ImportError as exc:
            print(f"crmlab.rfm not available ({exc}); rfm_table not timed")
        else:
            res["rfm"], _ = best_of(lambda: rfm.rfm_table(orders, as_of=end), args.repeat)
            print(f"crmlab rfm_table:                 {res['rfm']:.3f} s")

        tracemalloc.start()
        clv.summary_from_transactions(orders, observation_end=end, time_unit="D")
        peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        print(f"memory: summary peak {peak_mb:.1f} MB = {peak_mb / input_mb:.2f}x the input frame "
              f"(target <= 3x): {'OK' if peak_mb <= 3 * input_mb else 'OVER'}")

        cd = clv.summary_from_transactions(pd.read_csv(cdnow_csv, dtype={"customer_id": str},
                                                       parse_dates=["order_date"]),
                                           calibration_end=CALIBRATION_END, time_unit="W")
        clv.fit_bgnbd(cd)  # warm-up: imports scipy.optimize
        res["fit"], m = best_of(lambda: clv.fit_bgnbd(cd), max(args.repeat, 5))
        print(f"crmlab fit_bgnbd on CDNOW:        {res['fit'] * 1000:.1f} ms "
              f"(r={m.r:.3f}, alpha={m.alpha:.3f}, a={m.a:.3f}, b={m.b:.3f})")

        py = lifetimes_python()
        if py is None:
            return 0
        out = subprocess.run([str(py), "-c", LIFETIMES_SCRIPT, str(log_csv), end, str(cdnow_csv), CALIBRATION_END,
                              str(args.repeat)], capture_output=True, text=True)
        if out.returncode != 0:
            print("lifetimes run failed:\n" + out.stderr[-2000:])
            return 1
        lt = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"lifetimes summary_data_from_transaction_data: {lt['summary_s']:.3f} s")
    print(f"lifetimes BetaGeoFitter.fit on CDNOW:         {lt['fit_s'] * 1000:.1f} ms "
          f"({', '.join(f'{k}={v:.3f}' for k, v in lt['params'].items())})")
    print("ratios (lifetimes time / crmlab time; target: summary and rfm >= 2, fit >= 1):")
    print(f"  summary_from_transactions: {lt['summary_s'] / res['summary']:.1f}x")
    if "rfm" in res:
        print(f"  rfm_table:                 {lt['summary_s'] / res['rfm']:.1f}x")
    print(f"  fit_bgnbd:                 {lt['fit_s'] / res['fit']:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
