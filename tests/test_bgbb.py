"""Tests for crmlab.bgbb on the donation data of Fader, Hardie & Shang (2010)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import betaln

from crmlab import datasets
from crmlab._validate import CRMDataError
from crmlab.bgbb import BGBB, fit_bgbb


@pytest.fixture(scope="module")
def donations():
    return datasets.load("donations").patterns


@pytest.fixture(scope="module")
def model(donations):
    return fit_bgbb(donations, weights="weights")


def test_dataset_is_the_published_one(donations):
    # FHS (2010): 11,104 donors of the 1995 cohort, 6 opportunities (1996-2001), 22 patterns
    assert donations["weights"].sum() == 11_104 and len(donations) == 22
    assert (donations["periods"] == 6).all()


def test_reproduces_published_estimates(model):
    # Fader, Hardie & Shang (2010), Marketing Science 29(6): alpha = 1.204, beta = 0.750,
    # gamma = 0.657, delta = 2.783, LL = -33,225.6
    published = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
    for k, v in published.items():
        assert model.params[k] == pytest.approx(v, rel=0.01), k
    assert model.log_likelihood == pytest.approx(-33_225.6, abs=0.1)
    assert model.n == 11_104 and model.time_unit == "P"


def test_p_alive_in_2002_matches_table_6(model, donations):
    # FHS (2010), table 6, P(alive in 2002): 0.11 for no repeat donation, 0.59 for x = 2 with the
    # last in 1999 (t_x = 4), 0.93 for a donation every year (x = t_x = 6)
    pa = model.p_alive_next_period(donations).to_numpy()
    pick = lambda x, tx: pa[((donations["frequency"] == x) & (donations["recency"] == tx)).to_numpy()][0]  # noqa: E731
    assert [round(pick(0, 0), 2), round(pick(2, 4), 2), round(pick(6, 6), 2)] == [0.11, 0.59, 0.93]


def test_in_sample_and_conditional_totals_match_hardies_spreadsheet(model, donations):
    # Hardie's BG/BB spreadsheet (brucehardie.com/notes/010): expected donors with 0 and 6 repeat
    # donations in 1996-2001 are 3,454.9 and 1,253.1; the 11,104 donors are expected to make
    # 12,884.2 repeat donations in 2002-2006
    dist = model.probability_of_purchases(6, 7) * 11_104
    assert dist.iloc[0] == pytest.approx(3454.9, abs=0.1)
    assert dist.iloc[6] == pytest.approx(1253.1, abs=0.1)
    assert (model.expected_purchases(donations, 5) * donations["weights"]).sum() == pytest.approx(12_884.2, abs=0.1)


def test_mean_formula_equals_the_sum_over_opportunities(model):
    # E[X(n)] = sum_t P(alive at t) * E[p] = alpha/(alpha+beta) * sum_t B(gamma, delta+t)/B(gamma, delta)
    p = model.params
    direct = np.cumsum(
        [
            p["alpha"]
            / (p["alpha"] + p["beta"])
            * math.exp(betaln(p["gamma"], p["delta"] + t) - betaln(p["gamma"], p["delta"]))
            for t in range(1, 11)
        ]
    )
    assert model.expected_purchases_new(np.arange(1, 11)) == pytest.approx(direct, rel=1e-10)


def test_pmf_sums_to_one_and_conditional_rows_too(model, donations):
    p = model.probability_of_purchases(6, 7)
    assert p.sum() == pytest.approx(1.0) and p.iloc[-1] == pytest.approx(0.0, abs=1e-12)
    assert p.to_numpy()[:7] @ np.arange(7) == pytest.approx(model.expected_purchases_new(6))
    c = model.conditional_probability_of_purchases(donations, 5, 6)
    assert np.allclose(c.sum(axis=1), 1.0)
    assert np.allclose(c.iloc[:, :-1].to_numpy() @ np.arange(6), model.expected_purchases(donations, 5))


def test_simulation_recovers_the_parameters(model):
    sim = model.simulate(40_000, 6, seed=5)
    pat = sim.value_counts().rename("w").reset_index()
    fit = fit_bgbb(pat, weights="w")
    t = fit.param_table()
    for k, v in model.params.items():
        assert t.loc[k].iloc[2] * 0.9 < v < t.loc[k].iloc[3] * 1.1, (k, v)


def test_pattern_table_and_one_row_per_donor_agree(donations, model):
    rows = donations.loc[donations.index.repeat(donations["weights"])].drop(columns="weights")
    other = fit_bgbb(rows.reset_index(drop=True))
    assert other.params == pytest.approx(model.params, rel=1e-4)
    assert other.log_likelihood == pytest.approx(model.log_likelihood, rel=1e-9)


def test_grid_and_path(model):
    grid = model.probability_alive_matrix(max_frequency=6, T=6)
    assert np.isnan(grid.loc[3, 2.0]) and np.isnan(grid.loc[1, 0.0]) and grid.loc[0, 0.0] > 0
    # a donor who gave in 1996-1998 and then stopped: P(alive) rises with each gift, falls after
    path = model.p_alive_path([1, 2, 3], end=6)
    pa = path["p_alive"].to_numpy()
    assert list(path["time"]) == [0, 1, 2, 3, 4, 5, 6]
    assert pa[4] > pa[5] > pa[6]


def test_bad_patterns_are_named(donations):
    bad = donations.copy()
    bad.loc[0, "frequency"] = 3  # 3 donations but the last in period 0
    with pytest.raises(CRMDataError, match="frequency <= recency <= periods"):
        fit_bgbb(bad, weights="weights")
    frac = donations.astype({"recency": float})
    frac.loc[1, "recency"] = 1.5
    with pytest.raises(CRMDataError, match="whole occasions"):
        fit_bgbb(frac, weights="weights")
    with pytest.raises(CRMDataError, match="periods"):
        fit_bgbb(donations.drop(columns="periods"), weights="weights")
    with pytest.raises(CRMDataError, match="whole number of periods"):
        BGBB({"alpha": 1, "beta": 1, "gamma": 1, "delta": 1}, log_likelihood=0, n=1).expected_purchases(donations, 2.5)
