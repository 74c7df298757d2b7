"""Speed of the lifecycle and relationship analytics on 1,000,000 orders.

Run: .venv/bin/python benchmarks/bench_lifecycle.py [n_orders]

Synthetic, seeded orders (about 10 per customer over three years) are
classified into lifecycle stages and patterns; a phase history of the same
size feeds the transition-matrix estimate. Each figure is set against a
baseline measured in the same run: a plain pandas group-by of the same rows
(monthly spend per customer, and consecutive-phase pairs counted with
groupby-shift + crosstab).
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from crmlab.lifecycle import classify_patterns, classify_stages, stage_history
from crmlab.relationship import PHASES, simulate_cohort, transition_matrix


def synthetic_orders(n_orders: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_customers = max(1, n_orders // 10)
    start = pd.Timestamp("2022-01-01")
    first = rng.integers(0, 900, n_customers)
    life = rng.exponential(400, n_customers)
    cust = rng.integers(0, n_customers, n_orders)
    offset = (rng.random(n_orders) * life[cust]).astype(np.int64)
    day = np.minimum(first[cust] + offset, 1095)
    return pd.DataFrame(
        {
            "customer_id": pd.Series(cust).map(lambda i: f"C{i:07d}")
            if n_orders < 10_000
            else np.char.add("C", np.char.zfill(cust.astype(str), 7)),
            "order_date": start + pd.to_timedelta(day, unit="D"),
            "amount": np.round(rng.gamma(2.0, 30.0, n_orders), 2),
        }
    )


def clock(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def main(n_orders: int = 1_000_000) -> None:
    orders, t_gen = clock(synthetic_orders, n_orders)
    as_of = "2024-12-31"
    print(f"{len(orders):,} orders, {orders.customer_id.nunique():,} customers (made in {t_gen:.2f} s)")

    def baseline_monthly():
        return orders.groupby([orders.customer_id, orders.order_date.dt.to_period("M")])["amount"].sum()

    _, t_base = clock(baseline_monthly)
    hist, t_hist = clock(stage_history, orders, as_of=as_of)
    _, t_stages = clock(classify_stages, orders, as_of=as_of)
    _, t_patterns = clock(classify_patterns, orders, as_of=as_of)
    _, t_patterns_h = clock(classify_patterns, orders, as_of=as_of, history=hist)
    print(f"baseline: pandas groupby monthly spend          {t_base:6.2f} s")
    print(f"stage_history ({len(hist):,} customer-months)    {t_hist:6.2f} s  ({t_hist / t_base:4.1f}x baseline)")
    print(f"classify_stages                                {t_stages:6.2f} s  ({t_stages / t_base:4.1f}x baseline)")
    print(f"classify_patterns                              {t_patterns:6.2f} s  ({t_patterns / t_base:4.1f}x baseline)")
    print(f"classify_patterns (history reused)             {t_patterns_h:6.2f} s")

    n_cust = max(1, n_orders // 25)
    phases = simulate_cohort(n_cust, periods=24, seed=3)
    phases = phases.rename(columns={"period": "month"})
    print(f"phase history: {len(phases):,} rows ({n_cust:,} customers x 25 months)")

    def baseline_pairs():
        nxt = phases.groupby("customer_id")["phase"].shift(-1)
        ok = nxt.notna()
        return pd.crosstab(phases["phase"][ok].astype(str), nxt[ok].astype(str))

    _, t_pairs = clock(baseline_pairs)
    tm, t_tm = clock(transition_matrix, phases)
    assert np.allclose(tm.probabilities.sum(axis=1), 1) and tm.states == PHASES
    print(f"baseline: groupby-shift + crosstab             {t_pairs:6.2f} s")
    print(f"transition_matrix                              {t_tm:6.2f} s  ({t_tm / t_pairs:4.1f}x baseline)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
