"""Benchmark: what the data contract costs on 1,000,000 orders.

Run with ``python benchmarks/bench_contract.py``. Times ``crmlab.rfm.rfm_table`` and
``crmlab.btyd.summary_from_transactions`` on the seeded order log of
``bench_rfm.py`` (1,000,000 orders from 200,000 customers) against plain pandas/numpy
baselines measured in the same run, interleaved, best of five. The ratios
(crmlab time / baseline time) are the figures to compare before and after a change
to the validation layer: validation must not cost a second pass over the data. On a
shared machine the ratios move with the load (the string factorisation inside
rfm_table suffers most), so the run also times the validation alone -- the checks of
the orders table and of ``as_of`` that both functions run -- as a share of rfm_table --
and rfm_table on the same log with an ``order_id`` column, whose repeated ids the
contract refuses (one hash pass over the ids: the one check that costs a pass).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_rfm import AS_OF, baseline, order_log  # noqa: E402
from crmlab._validate import as_of_date, check_table  # noqa: E402
from crmlab.btyd import summary_from_transactions  # noqa: E402
from crmlab.rfm import rfm_table  # noqa: E402

REPEATS = 5


def summary_baseline(orders):
    """The same per-customer day counts with pandas alone: combine same-day rows, then aggregate."""
    day = orders["order_date"].dt.normalize()
    per_day = orders.assign(day=day).groupby(["customer_id", "day"], sort=False)["amount"].sum().reset_index()
    g = per_day.groupby("customer_id", sort=False)
    return g.agg(first=("day", "min"), last=("day", "max"), n=("day", "size"), total=("amount", "sum"))


def crmlab_rfm(orders):
    return rfm_table(orders, as_of=AS_OF)


def crmlab_summary(orders):
    return summary_from_transactions(orders, observation_end=AS_OF)


def validation_only(orders):
    """What rfm_table's entry point checks: the orders table's columns and as_of against its dates."""
    df = check_table(
        orders, "orders", {"customer_id": "any", "order_date": "datetime", "amount": "nonneg", "returned": "bool"}
    )
    return as_of_date(AS_OF, df["order_date"], required=True)


def best_times(fns, orders) -> list[float]:
    best = [float("inf")] * len(fns)
    for _ in range(REPEATS):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn(orders)
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def main() -> None:
    orders = order_log()
    # same answers as the baselines before timing anything
    ours, base = crmlab_summary(orders), summary_baseline(orders)
    assert len(ours) == len(base)
    assert (ours["frequency"].to_numpy() == (base["n"] - 1).reindex(ours.index).to_numpy()).all()
    t_rfm, t_rfm_base, t_sum, t_sum_base, t_val = best_times(
        [crmlab_rfm, baseline, crmlab_summary, summary_baseline, validation_only], orders
    )
    print(f"data contract cost on {len(orders):,} orders (best of {REPEATS}, interleaved)")
    print(
        f"  rfm_table                  : {t_rfm:7.3f} s   pandas baseline {t_rfm_base:7.3f} s   "
        f"ratio {t_rfm / t_rfm_base:5.2f}"
    )
    print(
        f"  summary_from_transactions  : {t_sum:7.3f} s   pandas baseline {t_sum_base:7.3f} s   "
        f"ratio {t_sum / t_sum_base:5.2f}"
    )
    print(f"  validation alone           : {t_val:7.3f} s   = {t_val / t_rfm:.1%} of rfm_table")
    with_ids = orders.assign(order_id=pd.array([f"O{i:07d}" for i in range(len(orders))], dtype="str"))
    t_plain, t_ids = best_times([lambda _: crmlab_rfm(orders), lambda _: crmlab_rfm(with_ids)], orders)
    print(f"  rfm_table with order_id    : {t_ids:7.3f} s   ({t_ids / t_plain:.2f}x without; the repeated-id check)")
    assert np.isfinite(t_rfm)


if __name__ == "__main__":
    main()
