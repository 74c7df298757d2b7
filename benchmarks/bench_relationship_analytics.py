"""Speed of the satisfaction, loyalty and acquisition analytics on 1,000,000 orders.

Run: ``python benchmarks/bench_relationship_analytics.py [n_orders]``. Builds a
seeded synthetic table (100,000 customers, three years, schema of the retail
data), times every public function that takes orders, and prints seconds and
the ratio to a baseline measured in the same run (a plain
``orders.groupby("customer_id")["amount"].sum()``).
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from crmlab import acquisition, loyalty, satisfaction


def synthetic(n_orders: int, seed: int = 42) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n_cust = max(n_orders // 10, 10)
    start, days = np.datetime64("2022-01-01"), 1096
    ids = np.char.add("C", np.char.zfill(np.arange(n_cust).astype(str), 6))
    signup = start + rng.integers(0, days - 30, n_cust).astype("timedelta64[D]")
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "signup_date": signup,
            "acquisition_channel": rng.choice(["search", "social", "referral", "store", "email_list"], n_cust),
            "acquisition_cost": rng.gamma(2.0, 12.0, n_cust).round(2),
        }
    )
    who = np.minimum((rng.pareto(1.5, n_orders) * n_cust / 20).astype(np.int64), n_cust - 1)
    who = rng.permutation(n_cust)[who]
    room = (start + np.timedelta64(days - 1, "D") - signup[who]).astype(np.int64)
    when = signup[who] + (rng.random(n_orders) * (room + 1)).astype("timedelta64[D]")
    amount = rng.lognormal(3.5, 0.8, n_orders).round(2)
    orders = pd.DataFrame(
        {
            "order_id": np.char.add("O", np.arange(n_orders).astype(str)),
            "customer_id": ids[who],
            "order_date": when,
            "amount": amount,
            "gross_margin": (amount * rng.uniform(0.2, 0.45, n_orders)).round(2),
            "category": pd.Categorical(
                rng.choice(
                    ["apparel", "beauty", "electronics", "household", "kitchen", "toys", "garden", "books"], n_orders
                )
            ),
            "returned": rng.random(n_orders) < 0.03,
        }
    )
    n_int = n_orders // 20
    inter = pd.DataFrame(
        {
            "customer_id": ids[rng.integers(0, n_cust, n_int)],
            "date": start + rng.integers(0, days, n_int).astype("timedelta64[D]"),
            "kind": rng.choice(["complaint", "inquiry"], n_int),
            "topic": rng.choice(["delivery", "product quality", "billing", "staff", "website"], n_int),
            "resolution_hours": rng.gamma(1.5, 20.0, n_int),
            "resolved": rng.random(n_int) < 0.75,
            "satisfaction_after": rng.integers(1, 8, n_int).astype(float),
        }
    )
    years = np.repeat([2022, 2023, 2024], n_cust)
    wallets = pd.DataFrame(
        {"customer_id": np.tile(ids, 3), "year": years, "category_spend": rng.lognormal(7.5, 1.0, 3 * n_cust).round(2)}
    )
    return {"customers": customers, "orders": orders, "interactions": inter, "wallets": wallets}


def timed(fn, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main(n_orders: int = 1_000_000) -> None:
    t0 = time.perf_counter()
    d = synthetic(n_orders)
    o, cu, inter, wal = d["orders"], d["customers"], d["interactions"], d["wallets"]
    print(
        f"synthetic data: {len(o):,} orders, {len(cu):,} customers, {len(inter):,} interactions "
        f"({time.perf_counter() - t0:.1f} s to build)"
    )
    base = timed(lambda: o.groupby("customer_id")["amount"].sum(), repeat=3)
    print(f"baseline groupby-sum: {base:.3f} s\n")
    w = loyalty.churn_warning_points(o)
    rules = acquisition.co_purchase(o)
    cases = {
        "loyalty.retention_rates (QE)": lambda: loyalty.retention_rates(o),
        "loyalty.retention_rates (ME)": lambda: loyalty.retention_rates(o, freq="ME"),
        "loyalty.repeat_purchase_rate": lambda: loyalty.repeat_purchase_rate(o, within_days=90),
        "loyalty.cohort_matrix (with customers)": lambda: loyalty.cohort_matrix(o, cu),
        "loyalty.purchase_gaps": lambda: loyalty.purchase_gaps(o),
        "loyalty.churn_warning_points": lambda: loyalty.churn_warning_points(o),
        "loyalty.at_risk": lambda: loyalty.at_risk(o, w, as_of="2024-12-31"),
        "satisfaction.complaint_summary": lambda: satisfaction.complaint_summary(inter, orders=o, by="topic"),
        "satisfaction.complainer_churn": lambda: satisfaction.complainer_churn(inter, o, as_of="2024-12-31"),
        "acquisition.acquisition_quality": lambda: acquisition.acquisition_quality(cu, o),
        "acquisition.share_of_wallet": lambda: acquisition.share_of_wallet(o, wal, customer="customer_id"),
        "acquisition.co_purchase (customer)": lambda: acquisition.co_purchase(o),
        "acquisition.co_purchase (basket)": lambda: acquisition.co_purchase(o, level="basket"),
        "acquisition.next_best_category": lambda: acquisition.next_best_category(o, rules),
        "acquisition.upsell_candidates": lambda: acquisition.upsell_candidates(o),
    }
    print(f"{'function':45s} {'seconds':>8s} {'x baseline':>11s}")
    for name, fn in cases.items():
        s = timed(fn)
        print(f"{name:45s} {s:8.2f} {s / base:11.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
