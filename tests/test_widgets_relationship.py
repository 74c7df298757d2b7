"""Widgets of chapters 06 and 07: lifecycle rules explorer and phase simulation."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

from crmlab import lifecycle, relationship, widgets
from crmlab._validate import CRMDataError
from crmlab.widgets import (
    lifecycle_rules_explorer,
    phase_simulation_explorer,
    phase_simulation_readout,
)


# --------------------------------------------------------------------------------------
# A hand-built base, as of 2024-06-30, default rules (ended_after = 2, 6-month window):
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


def test_lifecycle_explorer_readout_follows_the_sliders():
    box = lifecycle_rules_explorer(ORDERS, TRUTH, as_of="2024-06-30")
    s_after, e_after, late, readout, out = box.children
    assert (s_after.value, e_after.value, late.value) == (9, 2, 9)
    assert readout.value == (
        "As of 2024-06-30: exploration 1, formation 0, stability 0, decline 0, ended 1 "
        "customers. Patterns recovered: 100% of all customers, 100% of ended relationships."
    )
    assert out.outputs[0]["data"]["image/png"]
    first_png = out.outputs[0]["data"]["image/png"]
    e_after.value = 6
    assert readout.value == (
        "As of 2024-06-30: exploration 1, formation 1, stability 0, decline 0, ended 0 "
        "customers. Patterns recovered: 50% of all customers, 0% of ended relationships."
    )
    assert out.outputs[0]["data"]["image/png"] != first_png
    e_after.value = 2  # back to a cached setting: same text
    assert "ended 1 customers" in readout.value


def test_the_analytics_the_explorers_use_are_reexported_from_their_modules():
    assert widgets.rule_sensitivity is lifecycle.rule_sensitivity
    assert widgets.adjusted_transitions is relationship.adjusted_transitions


def test_lifecycle_explorer_refuses_bad_input():
    with pytest.raises(CRMDataError, match="stability_after"):
        lifecycle_rules_explorer(ORDERS, TRUTH, stability_after=40)
    with pytest.raises(CRMDataError, match="table 'orders'.*amount"):
        lifecycle_rules_explorer(ORDERS.drop(columns="amount"), TRUTH)


# --------------------------------------------------------------------------------------
# Transition matrices
# --------------------------------------------------------------------------------------
def test_phase_simulation_readout_by_hand():
    # Every active phase dissolves with probability 1/2 a month: expected time 1 / (1/2) = 2 months
    # from any phase; a reward of 10 in awareness with d = 0 is worth 10 / (1 - 1/2) = 20.
    phases = list(relationship.PHASES)
    P = pd.DataFrame(0.0, index=phases, columns=phases)
    for p in phases[:4]:
        P.loc[p, p] = P.loc[p, "dissolution"] = 0.5
    P.loc["dissolution", "dissolution"] = 1.0
    sim = relationship.simulate_cohort(1000, P, periods=12, seed=3)
    rewards = {"awareness": 10, "exploration": 0, "expansion": 0, "commitment": 0, "dissolution": 0}
    text = phase_simulation_readout(P, sim, rewards=rewards, discount=0.0)
    assert text == (
        "Expected months to dissolution: 2.0 from awareness (2.0 from exploration, 2.0 from "
        "expansion, 2.0 from commitment). Simulated cohort of 1,000: after 12 months 100% "
        "dissolved, 0% in commitment. Markov CLV of a customer in awareness: 20.00 currency "
        "units at 0.0% a month."
    )


def test_phase_simulation_explorer_slider_changes_readout_and_figure():
    box = phase_simulation_explorer(n=200, periods=24, seed=5)
    expand, d_expl, d_comm, readout, out = box.children
    # starting values are those of DEFAULT_TRANSITIONS
    assert (expand.value, d_expl.value, d_comm.value) == (0.18, 0.12, 0.02)
    before, png = readout.value, out.outputs[0]["data"]["image/png"]
    d_comm.value = 0.15
    assert readout.value != before and out.outputs[0]["data"]["image/png"] != png
    # more dissolution in commitment -> shorter expected time from commitment
    t = lambda text: float(text.split("from expansion, ")[1].split(" from commitment")[0])  # noqa: E731
    assert t(readout.value) < t(before)


def test_phase_simulation_explorer_refuses_bad_input():
    three_states = pd.DataFrame(
        [[0.7, 0.2, 0.1], [0.0, 0.9, 0.1], [0.0, 0.0, 1.0]],
        index=["new", "loyal", "gone"],
        columns=["new", "loyal", "gone"],
    )
    with pytest.raises(CRMDataError, match="missing phase"):
        phase_simulation_explorer(three_states)
    with pytest.raises(CRMDataError, match="'n'"):
        phase_simulation_explorer(n=0)
