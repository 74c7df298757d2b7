"""Exercise 07 (relationship development): its checks pass right answers and diagnose wrong ones."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from exercise_support import assert_answers_are_personal, run

from crmlab import datasets, relationship
from crmlab.checks import exercise
from crmlab.checks import ch07_relationship_development as ch07

NAME = "07_relationship_development"
PHASES = list(relationship.PHASES)


# --------------------------------------------------------------------------------------
# A hand-built phase history (E exploration, X expansion, C commitment, A awareness, D dissolution):
#   a (months 1-4): E E X C      b (months 1-2): A E      c (months 1-3): A E D
# Moves out of E within a customer: a E->E, a E->X, c E->D -> 3 moves: E 1/3, X 1/3, D 1/3.
# Pairing rows across customers adds b's last E -> c's first A: E, X, A, D 1/4 each.
# Shares of all 9 rows: E 4/9, A 2/9, X 1/9, C 1/9, D 1/9.
# Moves *into* E: from E 1 (a), from A 2 (b, c) -> A 2/3, E 1/3.
# --------------------------------------------------------------------------------------
def small_retail() -> datasets.Dataset:
    rows = [
        ("a", 1, "exploration"),
        ("a", 2, "exploration"),
        ("a", 3, "expansion"),
        ("a", 4, "commitment"),
        ("b", 1, "awareness"),
        ("b", 2, "exploration"),
        ("c", 1, "awareness"),
        ("c", 2, "exploration"),
        ("c", 3, "dissolution"),
    ]
    tp = pd.DataFrame(rows, columns=["customer_id", "month", "phase"]).sample(frac=1, random_state=1)
    tp["phase"] = pd.Categorical(tp["phase"], categories=PHASES)
    return datasets.Dataset("retail", {"truth_phases": tp}, pd.Timestamp("2024-12-31"))


def row(**shares):
    return pd.Series({p: shares.get(p, 0.0) for p in PHASES})


@pytest.fixture(scope="module")
def small():
    return exercise(NAME, loader=lambda name, sid: small_retail())


@pytest.fixture(scope="module")
def shipped():
    return exercise(NAME)


@pytest.mark.parametrize(
    "answer",
    [
        row(exploration=1 / 3, expansion=1 / 3, dissolution=1 / 3),
        {"exploration": 0.333, "expansion": 0.333, "dissolution": 0.333},  # rounded; zeros left out
    ],
)
def test_exploration_row_by_hand(small, answer):
    assert run(small, "exploration_row", answer).passed


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ({"exploration": 1, "expansion": 1, "dissolution": 1}, "not probabilities"),
        (row(exploration=0.25, expansion=0.25, awareness=0.25, dissolution=0.25), "run across customers"),
        (
            row(exploration=4 / 9, awareness=2 / 9, expansion=1 / 9, commitment=1 / 9, dissolution=1 / 9),
            "shares of all rows",
        ),
        (row(awareness=2 / 3, exploration=1 / 3), "*into* exploration"),
        (row(exploration=0.5, expansion=0.5, dissolution=0.5), "add up to 1.500"),
        ({"exploration": 1 / 3, "expansion": 1 / 3}, "missing (e.g. dissolution)"),
    ],
)
def test_exploration_row_wrong_answers(small, answer, words):
    res = run(small, "exploration_row", answer)
    assert not res.passed and words in res.message, res.message


# --------------------------------------------------------------------------------------
# On the shipped data: the expected answers recomputed here with numpy from the estimated P
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def P():
    return relationship.transition_matrix(datasets.load("retail").truth_phases).probabilities


def by_hand_time(P):
    transient = PHASES[:4]
    Q = P.loc[transient, transient].to_numpy()
    t = np.linalg.solve(np.eye(4) - Q, np.ones(4))  # t = (I - Q)^-1 1
    return pd.Series(t, index=transient)


def by_hand_clv(P, d):
    transient = PHASES[:4]  # dissolution pays 0 and is never left: its value is 0
    R = np.array([ch07.REWARDS[p] for p in transient])
    V = np.linalg.solve(np.eye(4) - P.loc[transient, transient].to_numpy() / (1 + d), R)
    return pd.Series(list(V) + [0.0], index=PHASES)


def test_months_to_dissolution(shipped, P):
    t = by_hand_time(P)["expansion"]
    assert run(shipped, "months_to_dissolution", t).passed
    assert run(shipped, "months_to_dissolution", round(t, 2)).passed
    for answer, words in [
        (t - 1, "one month short"),
        (1 / P.loc["expansion", "dissolution"], "1 / P(dissolve)"),
        (1 / (1 - P.loc["expansion", "expansion"]), "in expansion only"),
        (t + 5, "too high"),
    ]:
        res = run(shipped, "months_to_dissolution", answer)
        assert not res.passed and words in res.message, (answer, res.message)


def test_clv_by_phase(shipped, P):
    right = by_hand_clv(P, 0.01)
    assert run(shipped, "clv_by_phase", right).passed
    assert run(shipped, "clv_by_phase", right.drop("dissolution").round(2)).passed  # zero value left out
    rewards = pd.Series(ch07.REWARDS)
    for answer, words in [
        (by_hand_clv(P, 0.0), "not discounted"),
        (by_hand_clv(P, 0.12), "12% per month"),
        (right - rewards, "current month's reward"),
        (right * 1.1, "different value"),
    ]:
        res = run(shipped, "clv_by_phase", answer)
        assert not res.passed and words in res.message, (words, res.message)


def test_max_onboarding_spend(shipped, P):
    v = by_hand_clv(P, 0.01)
    gain = v["expansion"] - v["exploration"]
    assert run(shipped, "max_onboarding_spend", gain).passed
    for answer, words in [
        (-gain, "sign"),
        (v["expansion"], "whole value"),
        (v["commitment"] - v["exploration"], "to commitment"),
    ]:
        res = run(shipped, "max_onboarding_spend", answer)
        assert not res.passed and words in res.message, (words, res.message)


def _bars(values, ylabel="value (currency units)"):
    fig, ax = plt.subplots()
    ax.bar(list(values.index), list(values.to_numpy()))
    ax.set_title("Value by phase"), ax.set_xlabel("phase"), ax.set_ylabel(ylabel)
    return ax


def test_clv_chart_compares_the_bars(small):
    v = ch07.clv_variants(small.data("retail"))
    right = v["right"]
    assert run(small, "clv_chart", _bars(right)).passed
    assert run(small, "clv_chart", _bars(right.drop("dissolution"))).passed  # dissolution may be left out
    assert run(small, "clv_chart", _bars(right.round(2))).passed  # rounded as printed
    res = run(small, "clv_chart", _bars(pd.Series([1.0, 2, 3, 4], index=PHASES[:4])))
    assert not res.passed and "do not show the Markov customer value" in res.message, res.message
    res = run(small, "clv_chart", _bars(v["yearly"]))
    assert not res.passed and "12% per month" in res.message, res.message
    res = run(small, "clv_chart", _bars(right.iloc[:2]))
    assert not res.passed and "2 bars" in res.message and "missing" in res.message, res.message
    plt.close("all")


# --------------------------------------------------------------------------------------
# Personal data (the notebooks: test_exercises_all.py, test_release.py)
# --------------------------------------------------------------------------------------
def test_two_students_get_different_expected_answers():
    a, b = datasets.load("retail", student_id="s001"), datasets.load("retail", student_id="s002")
    row_a = ch07.exploration_variants(a)["right"]
    assert not np.allclose(row_a.to_numpy(), ch07.exploration_variants(b)["right"].to_numpy())
    assert_answers_are_personal(
        NAME, "exploration_row", lambda ex: ch07.exploration_variants(ex.data("retail"))["right"]
    )
    assert_answers_are_personal(NAME, "clv_by_phase", lambda ex: ch07.clv_variants(ex.data("retail"))["right"])
