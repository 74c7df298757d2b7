"""Tests for crmlab.lifecycle: stages, patterns A-D, input-output, pattern recovery."""

import pandas as pd
import pytest

from crmlab._validate import CRMDataError
from crmlab.lifecycle import (
    STAGES,
    LifecycleRules,
    classify_patterns,
    classify_stages,
    monthly_activity,
    pattern_recovery,
    pattern_trajectories,
    rule_sensitivity,
    rules_outcome,
    stage_counts,
    stage_history,
    stage_input_output,
)

AS_OF = "2024-12-31"


def trajectory(customer, start, spends, margin_rate=0.3):
    """One order on the 10th of each month with the given spend (0 = no order that month)."""
    months = pd.date_range(start, periods=len(spends), freq="MS") + pd.Timedelta(days=9)
    return pd.DataFrame(
        {
            "customer_id": customer,
            "order_date": months,
            "amount": spends,
            "gross_margin": [s * margin_rate for s in spends],
        }
    ).query("amount > 0")


def orders_of(*parts):
    return pd.concat(parts, ignore_index=True)


STEADY = [20, 50, 80] + [100] * 33  # 36 months, Jan 2022 .. Dec 2024


@pytest.fixture(scope="module")
def stage_cases():
    return orders_of(
        trajectory("explore", "2024-11-01", [30, 25]),  # 2 trial orders
        trajectory("form", "2024-05-01", [10, 20, 30, 45, 60, 80, 110, 150]),  # still rising
        trajectory("stable", "2022-01-01", STEADY),  # high and steady
        trajectory("decline", "2022-01-01", STEADY[:28] + [10] * 8),  # volume falls
        trajectory("ended", "2022-01-01", STEADY[:18] + [10] * 6),  # silent since end 2023
    )


def test_stages_of_hand_built_trajectories(stage_cases):
    st = classify_stages(stage_cases, as_of=AS_OF)
    assert st["stage"].astype(str).to_dict() == {
        "decline": "decline",
        "ended": "ended",
        "explore": "exploration",
        "form": "formation",
        "stable": "stability",
    }
    assert st.loc["stable", "tenure_months"] == 36
    assert st.loc["ended", "recency_months"] == 12  # last order Dec 2023, as of Dec 2024
    assert st.loc["explore", "stage_zh"] == "考察期"


def test_stage_history_passes_through_the_stages_in_order(stage_cases):
    h = stage_history(stage_cases, as_of=AS_OF)
    seq = h.loc[h.customer_id == "ended", "stage"].astype(str)
    # collapse runs: exploration -> formation -> stability -> decline -> ended
    runs = [s for i, s in enumerate(seq) if i == 0 or s != seq.iloc[i - 1]]
    assert runs == ["exploration", "formation", "stability", "decline", "ended"]
    assert h.attrs["unit"] == "month"
    assert h.attrs["rules"]["window"] == 6
    # rolling level by hand for 'stable': March 2022 (fewer than 6 months yet) (20 + 50 + 80) / 3 = 50;
    # June 2022: (20 + 50 + 80 + 100 + 100 + 100) / 6 = 75
    row = h[(h.customer_id == "stable") & (h.period == "2022-03-31")]
    assert row["level"].item() == pytest.approx(50.0)
    assert h[(h.customer_id == "stable") & (h.period == "2022-06-30")]["level"].item() == pytest.approx(75.0)


def test_decline_needs_the_customers_own_business_to_hold_up(stage_cases):
    wallets = pd.DataFrame(
        {"customer_id": ["decline"] * 3, "year": [2022, 2023, 2024], "category_spend": [1500.0, 1500.0, 1500.0]}
    )
    st = classify_stages(stage_cases, as_of=AS_OF, wallets=wallets)
    assert st.loc["decline", "stage"] == "decline"
    # same fall in volume, but the customer's own category spend halved in 2024: not a relationship decline
    shrunk = wallets.assign(category_spend=[1500.0, 1500.0, 700.0])
    st2 = classify_stages(stage_cases, as_of=AS_OF, wallets=shrunk)
    assert st2.loc["decline", "stage"] == "stability"


def test_stability_needs_a_high_share_of_wallet_where_known(stage_cases):
    # 'stable' spends 100 a month = 1,200 a year. Wallet 1,500 -> share .8; wallet 6,000 -> share .2
    big = pd.DataFrame({"customer_id": ["stable"] * 3, "year": [2022, 2023, 2024], "category_spend": [6000.0] * 3})
    st = classify_stages(stage_cases, as_of=AS_OF, wallets=big)
    assert st.loc["stable", "share_of_wallet"] == pytest.approx(0.2)
    assert st.loc["stable", "stage"] == "formation"
    ok = big.assign(category_spend=1500.0)
    assert classify_stages(stage_cases, as_of=AS_OF, wallets=ok).loc["stable", "stage"] == "stability"


def test_decline_can_start_in_exploration():
    # a customer still on trial orders (fewer than 10 orders) whose monthly volume collapses;
    # with a 1-month level: 50, 50, 50, 5, 5 -> 5 <= 0.2 x peak 50 from the 4th month
    o = trajectory("t", "2024-05-01", [50, 50, 50, 5, 5])
    h = stage_history(o, as_of="2024-09-30", window=1, exploration_orders=10)
    assert h["stage"].astype(str).tolist() == ["exploration"] * 3 + ["decline"] * 2


@pytest.fixture(scope="module")
def pattern_cases():
    return orders_of(
        trajectory("A", "2022-03-01", [40, 35]),  # trial orders only
        trajectory("B", "2022-02-01", [10, 20, 40, 70, 100]),  # rising, then gone
        trajectory("C", "2022-01-01", [30, 60, 100] + [100] * 9),  # short stability
        trajectory("D", "2022-01-01", [30, 60, 100] + [100] * 22),  # long stability
        trajectory("live", "2022-01-01", STEADY),  # still buying
        trajectory("new", "2024-12-01", [25]),  # just arrived
    )


def test_patterns_of_hand_built_trajectories(pattern_cases):
    p = classify_patterns(pattern_cases, as_of=AS_OF)
    assert p["pattern"].astype(str).to_dict() == {
        "A": "A",
        "B": "B",
        "C": "C",
        "D": "D",
        "live": "active",
        "new": "active",
    }
    assert p.loc["A", "pattern_zh"] == "早期流产型" and p.loc["D", "pattern_zh"] == "长久保持型"
    assert bool(p.loc["A", "ended"]) and not bool(p.loc["live", "ended"])
    assert p.loc["B", "duration_months"] == 5
    assert p.loc["C", "stability_months"] < 12 <= p.loc["D", "stability_months"]


def test_rules_are_parameters(pattern_cases):
    # C's 3 months of stability (months 10-12): with a 3-month bar for 'long-kept' it counts as D
    assert classify_patterns(pattern_cases, as_of=AS_OF).loc["C", "stability_months"] == 3
    p = classify_patterns(pattern_cases, as_of=AS_OF, late_stability_months=3)
    assert p.loc["C", "pattern"] == "D"
    p2 = classify_patterns(pattern_cases, as_of=AS_OF, rules=LifecycleRules(exploration_orders=6))
    assert p2.loc["B", "pattern"] == "A"  # five orders are now still 'trial orders'
    p3 = classify_patterns(pattern_cases, as_of=AS_OF, stability_after=13)
    assert p3.loc["C", "pattern"] == "B"  # stability only possible from month 14: C never got there


def test_tenure_pattern_rule_at_its_boundaries():
    # Default rules: exploration_months 3, stability_after 9, min_stability_months 1, late_stability_months 9.
    # Monthly orders from January 2020, silent long before as_of, so every relationship has ended.
    # Last order in month d (duration d):  d <= 3 -> A;  4 <= d <= 9 -> B;  stability months = d - 9:
    # 1..8 -> C (d = 10..17), 9 or more -> D (d >= 18). One order only -> A whatever the timing.
    durations = {"d3": 3, "d4": 4, "d9": 9, "d10": 10, "d17": 17, "d18": 18}
    o = orders_of(
        *[trajectory(k, "2020-01-01", [50] * d) for k, d in durations.items()],
        trajectory("one", "2020-01-01", [0] * 6 + [50]),
    )
    p = classify_patterns(o, as_of=AS_OF)
    assert p["pattern"].astype(str).to_dict() == {
        "d3": "A",
        "d4": "B",
        "d9": "B",
        "d10": "C",
        "d17": "C",
        "d18": "D",
        "one": "A",
    }
    assert p["stability_months"].to_dict() == {"d3": 0, "d4": 0, "d9": 0, "d10": 1, "d17": 8, "d18": 9, "one": 0}
    assert p.loc["d10", "furthest_stage"] == "stability" and p.loc["d9", "furthest_stage"] == "formation"
    assert p.attrs["rules"]["pattern_rule"] == "tenure"


def test_stages_pattern_rule_counts_the_stage_history(pattern_cases):
    # The alternative reading: the furthest stage of the month-by-month history up to the last order.
    h = stage_history(pattern_cases, as_of=AS_OF, pattern_rule="stages")
    p = classify_patterns(pattern_cases, as_of=AS_OF, history=h)
    assert p["pattern"].astype(str).to_dict() == {
        "A": "A",
        "B": "B",
        "C": "C",
        "D": "D",
        "live": "active",
        "new": "active",
    }
    # C is classified stable in months 10-12 of its history (t = 9, 10, 11): 3 months, as in the tenure rule
    upto = h[(h.customer_id == "C") & (h.t <= 11)]
    assert (upto["stage"] == "stability").sum() == p.loc["C", "stability_months"] == 3
    # the pattern rules can also be changed on a given history; stage rules cannot (its stages are fixed)
    default_h = stage_history(pattern_cases, as_of=AS_OF)
    again = classify_patterns(pattern_cases, as_of=AS_OF, history=default_h, pattern_rule="stages")
    assert again["stability_months"].equals(p["stability_months"])
    assert again.attrs["rules"]["pattern_rule"] == "stages"
    with pytest.raises(CRMDataError, match=r"option\(s\) \['window'\] cannot be applied to a given 'history'"):
        classify_patterns(pattern_cases, as_of=AS_OF, history=default_h, window=3)
    with pytest.raises(CRMDataError, match="cannot be applied to a given 'history'"):
        classify_stages(pattern_cases, as_of=AS_OF, history=default_h, wallets=None)
    # spend doubling every month for 14 months, then gone: by its age the tenure rule says it had reached
    # stability (14 - 9 = 5 months -> C); its history never looks steady (the level is always far more
    # than (1 + rise) = 3 times the level 6 months before), so the stage reading says formation -> B
    climber = trajectory("n", "2022-01-01", [2.0**k for k in range(14)])
    assert classify_patterns(climber, as_of=AS_OF)["pattern"].item() == "C"
    assert classify_patterns(climber, as_of=AS_OF, pattern_rule="stages")["pattern"].item() == "B"


def test_rule_validation():
    with pytest.raises(CRMDataError, match="'decline_share'.*must be below 'stable_share'"):
        LifecycleRules(decline_share=0.8, stable_share=0.7)
    with pytest.raises(CRMDataError, match="'window' = 0"):
        LifecycleRules(window=0)
    with pytest.raises(CRMDataError, match=r"unknown rule\(s\) \['windw'\]"):
        classify_stages(trajectory("a", "2024-01-01", [1]), as_of=AS_OF, windw=3)
    with pytest.raises(CRMDataError, match="'pattern_rule'"):
        LifecycleRules(pattern_rule="peak")


def test_bad_orders_name_table_and_column():
    bad = trajectory("a", "2024-01-01", [10, 20]).assign(amount=[-1.0, 20.0])
    with pytest.raises(CRMDataError, match="table 'orders', column 'amount'"):
        classify_stages(bad, as_of=AS_OF)
    with pytest.raises(CRMDataError, match=r"table 'orders': missing column\(s\) 'customer'"):
        monthly_activity(trajectory("a", "2024-01-01", [10]), customer="customer")
    with pytest.raises(CRMDataError, match=r"'as_of' = 2023-01-01 is before the first date in table 'orders'"):
        classify_stages(trajectory("a", "2024-01-01", [10]), as_of="2023-01-01")
    with pytest.raises(CRMDataError, match="'freq'"):
        monthly_activity(trajectory("a", "2024-01-01", [10]), freq="D")


def test_monthly_activity_fills_gaps_and_counts_exclusions():
    o = trajectory("a", "2024-01-01", [10, 0, 30]).assign(returned=False)
    o = pd.concat(
        [o, o.iloc[[0]].assign(returned=True, amount=99.0), o.iloc[[0]].assign(order_date=pd.Timestamp("2025-02-01"))],
        ignore_index=True,
    )
    act = monthly_activity(o, as_of="2024-04-30")
    assert act["spend"].tolist() == [10, 0, 30, 0]  # Jan..Apr, the gap month filled with 0
    assert act["orders"].tolist() == [1, 0, 1, 0]
    assert act.attrs["excluded"] == {"returned orders": 1, "orders after as_of": 1}
    assert act["period"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"]


def test_pattern_trajectories_average_by_month_since_first_order(pattern_cases):
    h = stage_history(pattern_cases, as_of=AS_OF)
    p = classify_patterns(pattern_cases, as_of=AS_OF, history=h)
    tr = pattern_trajectories(h, p)
    assert tr.loc[0, "A"] == 40 and tr.loc[1, "A"] == 35 and tr.loc[2, "A"] == 0
    # active: 'live' spent 20 in its first month, 'new' 25 -> mean 22.5
    assert tr.loc[0, "active"] == pytest.approx(22.5)


def test_stage_input_output_by_hand():
    # one customer: Jan-Mar 2024, orders 100 / 100 / 100 with margin 30 each; as of March all exploration
    o = trajectory("a", "2024-01-01", [100, 100, 100])
    h = stage_history(o, as_of="2024-03-31")
    customers = pd.DataFrame({"customer_id": ["a", "zz"], "acquisition_cost": [50.0, 999.0]})
    inter = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a"],
            "date": ["2024-01-20", "2024-02-03", "2023-06-01"],
            "kind": ["inquiry", "complaint", "inquiry"],
        }
    )
    io = stage_input_output(
        o,
        h,
        customers=customers,
        interactions=inter,
        cost_per_inquiry=8,
        cost_per_complaint=25,
        marketing_per_month={"exploration": 6.0},
    )
    e = io.loc["exploration"]
    # margin 3 x 30 = 90; costs: acquisition 50 ('zz' has no orders) + service 8 + 25 + marketing 3 x 6
    assert e["gross_margin"] == pytest.approx(90)
    assert e["acquisition_cost"] == 50 and e["service_cost"] == 33 and e["marketing_cost"] == 18
    assert e["net"] == pytest.approx(90 - 101)
    assert e["customers"] == 1 and e["customer_months"] == 3
    assert io.attrs["excluded"]["interactions outside the stage history"] == 1
    assert io.loc["formation", "customers"] == 0


def test_stage_input_output_refuses_a_history_of_other_orders():
    o = trajectory("a", "2024-01-01", [100, 100])
    h = stage_history(trajectory("b", "2024-01-01", [5, 5]), as_of="2024-02-29")
    with pytest.raises(CRMDataError, match="table 'orders'.*outside the stage history"):
        stage_input_output(o, h)


def test_pattern_recovery_by_hand():
    pred = pd.DataFrame(
        {"pattern": ["A", "A", "B", "D", "active", "active"]}, index=["c1", "c2", "c3", "c4", "c5", "c6"]
    )
    truth = pd.DataFrame(
        {"customer_id": ["c1", "c2", "c3", "c4", "c5", "c6"], "true_pattern": ["A", "B", "B", "C", "active", "D"]}
    )
    rec = pattern_recovery(pred, truth)
    # correct: c1, c3, c5 -> 3/6; among true A-D (c1, c2, c3, c4, c6): c1, c3 -> 2/5
    assert rec.accuracy == pytest.approx(0.5)
    assert rec.accuracy_ended == pytest.approx(0.4)
    assert rec.confusion.loc["B", "A"] == 1 and rec.confusion.loc["D", "active"] == 1
    assert rec.confusion.to_numpy().sum() == 6
    assert rec.accuracy_by_pattern["B"] == pytest.approx(0.5)
    with pytest.raises(CRMDataError, match="unknown pattern label"):
        pattern_recovery(pd.Series({"c1": "E"}), truth)


def test_lifecycle_plots_return_axes(pattern_cases):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crmlab import plots

    h = stage_history(pattern_cases, as_of=AS_OF)
    p = classify_patterns(pattern_cases, as_of=AS_OF, history=h)
    io = stage_input_output(pattern_cases, h)
    rec = pattern_recovery(p, pd.Series(p["pattern"].astype(str)))
    for ax in (
        plots.lifecycle_curve(h, "D"),
        plots.stage_bar(classify_stages(pattern_cases, as_of=AS_OF, history=h)),
        plots.pattern_curves(pattern_trajectories(h, p)),
        plots.stage_io_bars(io),
        plots.confusion_heatmap(rec),
    ):
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    plt.close("all")


def test_pattern_recovery_on_the_shipped_retail_data():
    # The generator's latent truth.true_pattern against the rule-based classifier with its default
    # (documented) thresholds. Measured on the shipped data (3,000 customers, seed 2024, as of
    # 2024-12-31): accuracy 0.855 overall, 0.822 on ended relationships (true A-D); per pattern
    # A .949, B .675, C .763, D .786, active .911. The earlier reading of the pattern from the
    # month-by-month stages (pattern_rule="stages") gives .820 / .764 (C .58, D .61).
    # Floors sit a little below the measured values.
    from crmlab import datasets

    ds = datasets.load("retail")
    pred = classify_patterns(ds.orders, as_of=ds.as_of)
    rec = pattern_recovery(pred, ds.truth)
    assert rec.accuracy >= 0.84
    assert rec.accuracy_ended >= 0.80  # the target
    by = rec.accuracy_by_pattern
    assert by["A"] >= 0.93 and by["B"] >= 0.65 and by["C"] >= 0.73 and by["D"] >= 0.75 and by["active"] >= 0.89
    old = pattern_recovery(classify_patterns(ds.orders, as_of=ds.as_of, pattern_rule="stages"), ds.truth)
    assert old.accuracy_ended < rec.accuracy_ended - 0.04
    # every customer with a kept order is classified; customers whose only orders were returned are not
    assert rec.n == len(pred) and pred.attrs["excluded"]["returned orders"] > 0


@pytest.mark.parametrize("seed", [1, 3])
def test_pattern_recovery_on_other_generated_seeds(seed):
    # The defaults were chosen on the shipped seed; on other draws of the same generator they hold up.
    # Measured (3,000 customers): seed 1 accuracy .858, ended .819; seed 3 .856 / .824
    # (seeds 2 and 4: .854 / .825 and .849 / .814).
    from crmlab import datasets

    ds = datasets.generate("retail", seed=seed)
    rec = pattern_recovery(classify_patterns(ds.orders, as_of=ds.as_of), ds.truth)
    assert rec.accuracy >= 0.83
    assert rec.accuracy_ended >= 0.80


def test_pattern_recovery_on_the_b2b_data_with_and_without_wallets():
    # b2b accounts (400, as of 2024-12-31). Measured: accuracy .912, ended .865 (A .92, B .88, C .88,
    # D .71, active .97), the same with wallets: the wallets change the stages, not where an ended
    # relationship stood at its last order. (With pattern_rule="stages" and wallets: .805 / .665.)
    from crmlab import datasets

    ds = datasets.load("b2b")
    plain = classify_patterns(ds.orders, as_of=ds.as_of, customer="account_id")
    walleted = classify_patterns(ds.orders, as_of=ds.as_of, customer="account_id", wallets=ds.wallets)
    for pred in (plain, walleted):
        rec = pattern_recovery(pred, ds.truth, customer="account_id")
        assert rec.accuracy >= 0.89 and rec.accuracy_ended >= 0.84


# --------------------------------------------------------------------------------------
# Rule sensitivity. Hand-built base, as of 2024-06-30, default rules (ended_after = 2):
#   a: orders 2024-01-05 (15) and 2024-02-07 (20); in June 4 silent months > max(2, gap 1)
#      -> ended; it never left exploration before its last order -> pattern A
#   b: one order 2024-06-02 -> exploration, active
# With ended_after = 6, a's 4 silent months are not enough: a is active again, and in June
#   it is 5 months old with 2 orders (past exploration), level 35/6 = 5.83 > 0.2 x peak 17.5
#   (no decline), younger than 9 months (no stability) -> formation. True patterns: a A, b active.
# --------------------------------------------------------------------------------------
ORDERS = pd.DataFrame(
    {
        "customer_id": ["a", "a", "b"],
        "order_date": ["2024-01-05", "2024-02-07", "2024-06-02"],
        "amount": [15.0, 20.0, 30.0],
    }
)
TRUTH = pd.DataFrame({"customer_id": ["a", "b"], "true_pattern": ["A", "active"]})


def test_stage_counts_and_rules_outcome_by_hand():
    stages, rec = rules_outcome(ORDERS, TRUTH, as_of="2024-06-30", ended_after=6)
    assert stage_counts(stages).tolist() == [1, 1, 0, 0, 0]  # b exploration, a formation
    assert rec.accuracy == 0.5 and rec.accuracy_ended == 0.0  # a (true A) is not ended any more
    with pytest.raises(CRMDataError, match="table 'stages': missing column 'stage'"):
        stage_counts(stages.drop(columns="stage"))


def test_rule_sensitivity_by_hand_and_refusals():
    s = rule_sensitivity(ORDERS, TRUTH, rule="ended_after", values=[2, 6], as_of="2024-06-30")
    assert list(s.index) == [2, 6] and s.index.name == "ended_after"
    assert s.loc[2, ["exploration", "ended"]].tolist() == [1, 1]
    assert s.loc[6, ["formation", "ended", "accuracy", "accuracy_ended"]].tolist() == [1, 0, 0.5, 0.0]
    with pytest.raises(CRMDataError, match="'rule' = 'patience' is not a lifecycle rule"):
        rule_sensitivity(ORDERS, TRUTH, rule="patience")
    with pytest.raises(CRMDataError, match="'values' is empty"):
        rule_sensitivity(ORDERS, TRUTH, values=[])
    with pytest.raises(CRMDataError, match="do not also pass it"):
        rule_sensitivity(ORDERS, TRUTH, rule="window", values=[3], window=4)


def test_rule_sensitivity_on_the_shipped_data_matches_the_default_classifier():
    from crmlab import datasets

    ds = datasets.load("retail")
    s = rule_sensitivity(ds.orders, ds.truth, rule="stability_after", values=[9], as_of=ds.as_of)
    patterns = classify_patterns(ds.orders, as_of=ds.as_of)
    rec = pattern_recovery(patterns, ds.truth)
    assert s.loc[9, "accuracy"] == pytest.approx(rec.accuracy)
    # every customer with an order that was not returned is in exactly one stage
    kept = ds.orders.loc[~ds.orders["returned"], "customer_id"].nunique()
    assert s.loc[9, list(STAGES)].sum() == kept
    assert rec.accuracy >= 0.8  # the target for the default rules
