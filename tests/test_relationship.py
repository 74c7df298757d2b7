"""Tests for crmlab.relationship: the relationship development process as a Markov chain."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmlab._validate import CRMDataError
from crmlab.relationship import (
    ALLOWED_TRANSITIONS,
    DEFAULT_TRANSITIONS,
    EXPLORATION_SUBPROCESSES,
    PHASE_CHINESE,
    PHASES,
    adjusted_transitions,
    expected_time_to_absorption,
    markov_clv,
    phase_mix,
    project_mix,
    simulate_cohort,
    transition_matrix,
)


def history(rows):
    """rows: {customer: [phase, phase, ...]} -> long table with month 1..n."""
    out = [(c, m + 1, p) for c, seq in rows.items() for m, p in enumerate(seq)]
    return pd.DataFrame(out, columns=["customer_id", "month", "phase"])


# ---------------------------------------------------------------- state model


def test_state_model_is_the_five_phases_of_dwyer_schurr_oh():
    assert PHASES == ("awareness", "exploration", "expansion", "commitment", "dissolution")
    assert [PHASE_CHINESE[p] for p in PHASES] == ["注意", "熟悉", "深入", "信赖", "解散"]
    assert len(EXPLORATION_SUBPROCESSES) == 5 and "norm development" in EXPLORATION_SUBPROCESSES
    # dissolution can happen from every phase and is absorbing
    assert all("dissolution" in ALLOWED_TRANSITIONS[p] for p in PHASES)
    assert ALLOWED_TRANSITIONS["dissolution"] == ("dissolution",)
    P = np.array(DEFAULT_TRANSITIONS)
    assert np.allclose(P.sum(axis=1), 1)


# ---------------------------------------------------------------- transition matrix


def test_transition_matrix_counts_and_probabilities_by_hand():
    h = history(
        {
            "a": ["awareness", "exploration", "exploration", "expansion"],
            "b": ["awareness", "exploration", "dissolution", "dissolution"],
            "c": ["awareness", "awareness", "exploration", "expansion"],
        }
    )
    tm = transition_matrix(h)
    # awareness: a->exploration, b->exploration, c->awareness, c->exploration => 1/4 stay, 3/4 explore
    assert tm.counts.loc["awareness", "awareness"] == 1
    assert tm.counts.loc["awareness", "exploration"] == 3
    assert tm.probabilities.loc["awareness", "exploration"] == pytest.approx(0.75)
    # exploration: a stays once, a->expansion, b->dissolution, c->expansion => 1/4, 2/4, 1/4
    assert tm.probabilities.loc["exploration"].tolist() == pytest.approx([0, 0.25, 0.5, 0, 0.25])
    # dissolution is absorbing; expansion and commitment are never left in the data
    assert tm.probabilities.loc["dissolution", "dissolution"] == 1
    assert tm.unobserved == ("expansion", "commitment")
    assert tm.disallowed == 0
    assert tm.counts.to_numpy().sum() == 9


def test_transitions_are_counted_within_customers_only_and_in_period_order():
    # rows shuffled: sorting by period must restore the sequence; no transition b->a across customers
    h = history({"a": ["awareness", "exploration"], "b": ["commitment", "commitment"]}).sample(frac=1, random_state=3)
    tm = transition_matrix(h)
    assert tm.counts.to_numpy().sum() == 2
    assert tm.counts.loc["awareness", "exploration"] == 1
    assert tm.counts.loc["commitment", "commitment"] == 1


def test_disallowed_moves_are_counted_not_dropped():
    h = history({"a": ["awareness", "commitment", "dissolution", "exploration"]})
    tm = transition_matrix(h)
    # awareness->commitment skips two phases; dissolution->exploration leaves an absorbing state
    assert tm.disallowed == 2
    assert tm.counts.to_numpy().sum() == 3
    assert tm.probabilities.loc["dissolution", "dissolution"] == 1  # absorbing whatever the data say


phase_seq = st.lists(st.sampled_from(PHASES), min_size=1, max_size=8)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(list("abcdefgh")), phase_seq, min_size=1))
def test_rows_of_estimated_matrix_sum_to_one(rows):
    tm = transition_matrix(history(rows))
    P = tm.probabilities.to_numpy()
    assert np.allclose(P.sum(axis=1), 1.0)
    assert (P >= 0).all()
    assert tm.counts.to_numpy().sum() == sum(len(s) - 1 for s in rows.values())


def test_bad_phase_history_is_refused_with_table_and_column():
    h = history({"a": ["awareness", "explore"]})
    with pytest.raises(CRMDataError, match=r"table 'phase_history', column 'phase': unknown state"):
        transition_matrix(h)
    with pytest.raises(CRMDataError, match=r"table 'phase_history'.*missing column\(s\) 'stage'"):
        transition_matrix(history({"a": ["awareness"]}), phase="stage")
    dup = pd.concat([history({"a": ["awareness"]})] * 2)
    with pytest.raises(CRMDataError, match="two rows for the same period"):
        transition_matrix(dup)


# ---------------------------------------------------------------- projection


def test_project_mix_by_hand():
    P = pd.DataFrame([[0.8, 0.2], [0.1, 0.9]], index=["x", "y"], columns=["x", "y"])
    mix = project_mix(P, {"x": 100}, 2)
    # step 1: x = 100*.8 = 80, y = 20; step 2: x = 80*.8 + 20*.1 = 66, y = 80*.2 + 20*.9 = 34
    assert mix.loc[1].tolist() == pytest.approx([80, 20])
    assert mix.loc[2].tolist() == pytest.approx([66, 34])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0, 1), min_size=25, max_size=25),
    st.lists(st.floats(0, 1000), min_size=5, max_size=5).filter(lambda v: sum(v) > 0),
    st.integers(0, 12),
)
def test_projection_preserves_mass(raw, start, periods):
    M = np.array(raw).reshape(5, 5) + 1e-3
    M = M / M.sum(axis=1, keepdims=True)
    mix = project_mix(M, start, periods)
    assert np.allclose(mix.sum(axis=1), sum(start))
    assert (mix.to_numpy() >= -1e-9).all()


def test_project_mix_refuses_a_matrix_whose_rows_do_not_sum_to_one():
    with pytest.raises(CRMDataError, match="row 's1' sums to 0.9"):
        project_mix([[0.5, 0.4], [0, 1]], [1, 0], 3)
    with pytest.raises(CRMDataError, match="'periods'"):
        project_mix([[1.0]], [1], -1)


# ---------------------------------------------------------------- absorption


def test_expected_time_to_absorption_two_state_hand_example():
    # Stay with probability q = 0.75 each period: time until leaving is geometric, mean 1/(1-q) = 4.
    P = pd.DataFrame([[0.75, 0.25], [0, 1]], index=["active", "dissolution"], columns=["active", "dissolution"])
    t = expected_time_to_absorption(P)
    assert t.index.tolist() == ["active"]
    assert t["active"] == pytest.approx(4.0)


def test_expected_time_chain_by_hand():
    # a -> b surely, b stays w.p. .5 else dissolves: t_b = 2, t_a = 1 + t_b = 3
    P = [[0, 1, 0], [0, 0.5, 0.5], [0, 0, 1]]
    assert expected_time_to_absorption(P).tolist() == pytest.approx([3.0, 2.0])


def test_expected_time_needs_a_reachable_absorbing_state():
    with pytest.raises(CRMDataError, match="no absorbing state"):
        expected_time_to_absorption([[0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(CRMDataError, match="never reach an absorbing state"):
        expected_time_to_absorption([[0, 1, 0], [1, 0, 0], [0, 0, 1]])


# ---------------------------------------------------------------- Markov-chain CLV


def recency_chain(p, nc, m):
    """The recency-state structure of Pfeifer & Carraway (2000, J. Interactive Marketing 14(2), 43-55):
    state k = periods since the last purchase; a customer in state k buys with probability p_k and
    returns to state 1, else moves to k+1; the last state is 'lost' (absorbing, no mailings).
    Reward: contribution NC minus marketing M in state 1, -M in the others, 0 when lost."""
    k = len(p) + 1
    P = np.zeros((k, k))
    for i, pi in enumerate(p):
        P[i, 0] = pi
        P[i, i + 1] = 1 - pi
    P[-1, -1] = 1
    R = np.array([nc - m] + [-m] * (len(p) - 1) + [0.0])
    return P, R


def test_markov_clv_recency_example_against_hand_back_substitution():
    # The published table of P&C's catalog example could not be verified here, so the expected values
    # come from an independent hand calculation on the same structure with p = (.30, .20, .15, .05),
    # NC = 40, M = 4, d = 0.2 per period. With delta = 1/1.2 and V_5 = 0, write V_k = a_k + b_k V_1:
    #   V_4 = -4 + delta*.05*V_1
    #   V_3 = -4 + delta*(.15*V_1 + .85*V_4)
    #   V_2 = -4 + delta*(.20*V_1 + .80*V_3)
    #   V_1 = 36 + delta*(.30*V_1 + .70*V_2)   -> V_1 = 52.3196, V_2 = 5.5538, V_3 = 1.2508, V_4 = -1.8200
    P, R = recency_chain([0.30, 0.20, 0.15, 0.05], 40, 4)
    V = markov_clv(P, R, 0.2)
    assert V.tolist() == pytest.approx([52.3196, 5.5538, 1.2508, -1.8200, 0.0], abs=1e-4)
    # the same by back-substitution in code (not by matrix inversion)
    d = 1 / 1.2
    a4, b4 = -4.0, d * 0.05
    a3, b3 = -4 + d * 0.85 * a4, d * 0.15 + d * 0.85 * b4
    a2, b2 = -4 + d * 0.80 * a3, d * 0.20 + d * 0.80 * b3
    v1 = (36 + d * 0.70 * a2) / (1 - d * 0.30 - d * 0.70 * b2)
    assert V.iloc[0] == pytest.approx(v1)
    assert V.iloc[1] == pytest.approx(a2 + b2 * v1)


def test_markov_clv_finite_horizon_by_hand_and_convergence():
    P, R = recency_chain([0.30, 0.20, 0.15, 0.05], 40, 4)
    # T = 0: the reward of the current period only
    assert markov_clv(P, R, 0.2, horizon=0).tolist() == pytest.approx(R.tolist())
    # T = 1 from state 1: 36 + (.3*36 + .7*(-4))/1.2 = 36 + 8/1.2 = 42.6667
    assert markov_clv(P, R, 0.2, horizon=1).iloc[0] == pytest.approx(42.6667, abs=1e-4)
    # long horizons approach the infinite value
    assert markov_clv(P, R, 0.2, horizon=200).tolist() == pytest.approx(markov_clv(P, R, 0.2).tolist())


def test_markov_clv_retention_special_case_matches_closed_form():
    # Two states (customer, lost), retention r, margin m, discount d: V = m(1+d)/(1+d-r)
    # (Gupta & Lehmann's formula with the first-period margin). m=100, r=.8, d=.1 -> 110/.3 = 366.67
    V = markov_clv([[0.8, 0.2], [0, 1]], [100, 0], 0.1)
    assert V.iloc[0] == pytest.approx(366.6667, abs=1e-3)


def test_markov_clv_validation():
    with pytest.raises(CRMDataError, match="'discount'"):
        markov_clv([[1.0]], [1.0], -1)
    with pytest.raises(CRMDataError, match="'rewards' has 1 entries for 2 states"):
        markov_clv([[0.5, 0.5], [0, 1]], [1.0], 0.1)
    with pytest.raises(CRMDataError, match="does not converge"):
        markov_clv([[1.0]], [5.0], 0.0)


# ---------------------------------------------------------------- simulation


def test_simulate_cohort_is_seeded_and_follows_the_matrix():
    a = simulate_cohort(500, periods=12, seed=7)
    b = simulate_cohort(500, periods=12, seed=7)
    c = simulate_cohort(500, periods=12, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert not a["phase"].equals(c["phase"])
    assert a.shape == (500 * 13, 3) and a.attrs["period"] == "month"
    tm = transition_matrix(a, period="period")
    assert tm.disallowed == 0  # the default matrix only makes allowed moves
    # the estimate is close to the matrix that generated the moves (2,500+ awareness moves)
    assert tm.probabilities.loc["awareness", "exploration"] == pytest.approx(DEFAULT_TRANSITIONS[0][1], abs=0.05)


def test_simulated_mix_matches_projection_on_a_large_cohort():
    sim = simulate_cohort(20000, periods=6, seed=1)
    observed = phase_mix(sim, period="period")
    projected = project_mix(pd.DataFrame(DEFAULT_TRANSITIONS, index=PHASES, columns=PHASES), "awareness", 6)
    assert np.abs(observed.to_numpy() - projected.to_numpy()).max() < 0.02


def test_simulate_cohort_validation():
    with pytest.raises(CRMDataError, match="'n'"):
        simulate_cohort(0)
    with pytest.raises(CRMDataError, match="'start'"):
        simulate_cohort(5, start="dating")


# ---------------------------------------------------------------- plots


def test_relationship_plots_return_axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crmlab import plots

    sim = simulate_cohort(50, periods=10, seed=2)
    tm = transition_matrix(sim, period="period")
    for ax in (
        plots.transition_heatmap(tm),
        plots.phase_mix_area(project_mix(tm, "awareness", 10)),
        plots.phase_mix_area(phase_mix(sim, period="period")),
        plots.cohort_paths(sim),
    ):
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    plt.close("all")


# --------------------------------------------------------------------------------------
# What-if transition matrices
# --------------------------------------------------------------------------------------
P3 = pd.DataFrame(
    [[0.7, 0.2, 0.1], [0.0, 0.9, 0.1], [0.0, 0.0, 1.0]],
    index=["new", "loyal", "gone"],
    columns=["new", "loyal", "gone"],
)


def test_adjusted_transitions_moves_the_slack_to_staying():
    M = adjusted_transitions(P3, {("new", "loyal"): 0.4, ("loyal", "gone"): 0.3})
    # new: stay 0.7 - (0.4 - 0.2) = 0.5; loyal: stay 0.9 - (0.3 - 0.1) = 0.7
    assert M.loc["new"].tolist() == pytest.approx([0.5, 0.4, 0.1])
    assert M.loc["loyal"].tolist() == pytest.approx([0.0, 0.7, 0.3])
    assert P3.loc["new", "new"] == 0.7  # the input is not changed


def test_adjusted_transitions_refusals():
    with pytest.raises(CRMDataError, match="leaving 'new' add up to 1.100 > 1"):
        adjusted_transitions(P3, {("new", "loyal"): 1.0})
    with pytest.raises(CRMDataError, match="probability of staying"):
        adjusted_transitions(P3, {("new", "new"): 0.5})
    with pytest.raises(CRMDataError, match="'lost' is not one of the states"):
        adjusted_transitions(P3, {("new", "lost"): 0.5})
    with pytest.raises(CRMDataError, match="row 'new' sums to"):
        adjusted_transitions(P3.assign(gone=[0.5, 0.1, 1.0]), {})


@settings(max_examples=40, deadline=None)
@given(st.floats(0, 0.6), st.floats(0, 0.4), st.floats(0, 0.2))
def test_adjusted_rows_still_sum_to_one(expand, d_expl, d_comm):
    base = pd.DataFrame(DEFAULT_TRANSITIONS, index=PHASES, columns=PHASES)
    M = adjusted_transitions(
        base,
        {
            ("exploration", "expansion"): expand,
            ("exploration", "dissolution"): d_expl,
            ("commitment", "dissolution"): d_comm,
        },
    )
    assert np.allclose(M.sum(axis=1), 1.0) and (M.to_numpy() >= 0).all()


def test_phase_mix_states_its_time_unit_and_the_figure_uses_it():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crmlab import plots

    # both customers start in awareness in month 1; the unit comes from the column name
    h = history({"a": ["awareness", "exploration"], "b": ["awareness", "dissolution"]})
    mix = phase_mix(h)
    assert (mix.attrs["period"], mix.attrs["period_column"], mix.attrs["start"]) == ("month", "month", "awareness")
    assert plots.phase_mix_area(mix).get_xlabel() == "months since awareness"
    # a simulated cohort states its unit in attrs; phase_mix carries it, an explicit unit wins
    sim = simulate_cohort(20, periods=3, seed=1)
    sim.attrs["period"] = "quarter"
    assert phase_mix(sim, period="period").attrs["period"] == "quarter"
    assert phase_mix(sim, period="period", unit="week").attrs["period"] == "week"
    # customers who start in different phases: no common start, the column and its unit
    mixed = history({"a": ["awareness", "exploration"], "b": ["exploration", "expansion"]})
    assert phase_mix(mixed).attrs["start"] is None
    assert plots.phase_mix_area(phase_mix(mixed, unit="week")).get_xlabel() == "month (weeks)"
    plt.close("all")
