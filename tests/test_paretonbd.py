"""Tests for crmlab.paretonbd: published estimates, numerical stability, forecasts, recovery."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from scipy.special import gammaln, hyp2f1

from crmlab import btyd, datasets
from crmlab._validate import CRMDataError
from crmlab.paretonbd import ParetoNBD, _ll, fit_paretonbd


@pytest.fixture(scope="module")
def cdnow():
    return btyd.summary_from_transactions(
        datasets.load("cdnow").orders, calibration_end="1997-09-30", observation_end="1998-06-30", time_unit="W"
    )


@pytest.fixture(scope="module")
def model(cdnow):
    return fit_paretonbd(cdnow)


def test_reproduces_published_cdnow_estimates(model):
    # Fader, Hardie & Lee (2005), "A Note on Implementing the Pareto/NBD Model in MATLAB"
    # (brucehardie.com/notes/008): r = 0.5533, alpha = 10.5776, s = 0.6061, beta = 11.6687,
    # LL = -9594.98 on the CDNOW sample, 39-week calibration, weeks.
    published = {"r": 0.5533, "alpha": 10.5776, "s": 0.6061, "beta": 11.6687}
    for k, v in published.items():
        assert model.params[k] == pytest.approx(v, rel=0.01), k
    assert model.log_likelihood == pytest.approx(-9594.98, abs=0.01)
    assert model.n == 2357 and model.time_unit == "W"


def test_p_alive_and_forecast_match_btyd_walkthrough():
    # R package BTYD, "Buy 'Til You Die - A Walkthrough" (Dziurzynski, Wadsworth & McCarthy), p. 8:
    # with r, alpha, s, beta = 0.5534, 10.5802, 0.6061, 11.6562 a customer with x = 26,
    # t_x = 30.86, T = 31 has P(alive) = 0.9979 and is expected to buy 25.46 times in 52 weeks.
    m = ParetoNBD(
        {"r": 0.5534, "alpha": 10.5802, "s": 0.6061, "beta": 11.6562}, log_likelihood=math.nan, n=1, time_unit="W"
    )
    one = pd.DataFrame({"frequency": [26], "recency": [30.86], "T": [31.0]})
    assert m.p_alive(one).iloc[0] == pytest.approx(0.9979, abs=0.0005)
    assert m.expected_purchases(one, 52).iloc[0] == pytest.approx(25.46, abs=0.01)


def test_unconditional_expectation_matches_btyd():
    # BTYD manual (pnbd.Expectation on the CDNOW fit): E[X(t)] for t = 1..3 weeks
    # 0.0508, 0.0992, 0.1454 (to 0.002: the manual's parameters differ in the 4th digit)
    m = ParetoNBD(
        {"r": 0.5533, "alpha": 10.5776, "s": 0.6061, "beta": 11.6687}, log_likelihood=math.nan, n=1, time_unit="W"
    )
    assert m.expected_purchases_new([1, 2, 3]) == pytest.approx([0.0508, 0.0992, 0.1454], abs=0.002)


def _ll_textbook(r, al, s, be, x, tx, T):
    """The likelihood as written in the MATLAB note, with the original hypergeometric terms (small x only)."""
    if al >= be:
        z = lambda t: (al - be) / (al + t)  # noqa: E731
        A0 = hyp2f1(r + s + x, s + 1, r + s + x + 1, z(tx)) / (al + tx) ** (r + s + x) - hyp2f1(
            r + s + x, s + 1, r + s + x + 1, z(T)
        ) / (al + T) ** (r + s + x)
    else:
        z = lambda t: (be - al) / (be + t)  # noqa: E731
        A0 = hyp2f1(r + s + x, r + x, r + s + x + 1, z(tx)) / (be + tx) ** (r + s + x) - hyp2f1(
            r + s + x, r + x, r + s + x + 1, z(T)
        ) / (be + T) ** (r + s + x)
    L = (
        math.exp(gammaln(r + x) - gammaln(r))
        * al**r
        * be**s
        * (1 / ((al + T) ** (r + x) * (be + T) ** s) + s / (r + s + x) * A0)
    )
    return math.log(L)


@pytest.mark.parametrize("params", [(0.55, 10.6, 0.61, 11.7), (0.55, 10.6, 0.61, 4.0), (2.0, 3.0, 1.5, 30.0)])
@pytest.mark.parametrize("hist", [(0, 0.0, 39.0), (3, 20.0, 39.0), (12, 38.0, 38.5), (5, 5.0, 30.0)])
def test_stable_likelihood_equals_the_textbook_formula(params, hist):
    x, tx, T = hist
    ours = _ll(np.log(params), np.array([x], float), np.array([tx]), np.array([T]))[0]
    assert ours == pytest.approx(_ll_textbook(*params, x, tx, T), rel=1e-9, abs=1e-9)


def _ll_by_quadrature(r, al, s, be, x, tx, T):
    """log L from its integral over the dropout time, scaled by (alpha + t_x)^(r+x) against underflow."""
    c = gammaln(r + x) - gammaln(r) + r * math.log(al) + s * math.log(be) - (r + x) * math.log(al + tx)
    alive = math.exp(-(r + x) * (math.log(al + T) - math.log(al + tx))) * (be + T) ** -s
    f = lambda t: s * math.exp(-(r + x) * (math.log(al + t) - math.log(al + tx))) * (be + t) ** -(s + 1)  # noqa: E731
    left, _ = integrate.quad(f, tx, T, epsabs=0, epsrel=1e-12, limit=200)
    return c + math.log(alive + left)


@pytest.mark.parametrize("hist", [(500, 30.0, 38.0), (500, 1.0, 37.0), (400, 5.0, 6.0), (133, 200.0, 200.0)])
def test_frequency_500_is_finite_and_exact(hist):
    # lifetimes 0.11.3 underflows here; the log-space form must stay exact
    params = (0.5533, 10.5776, 0.6061, 11.6687)
    x, tx, T = hist
    ours = _ll(np.log(params), np.array([x], float), np.array([tx]), np.array([T]))[0]
    assert np.isfinite(ours)
    assert ours == pytest.approx(_ll_by_quadrature(*params, x, tx, T), rel=1e-8)
    m = ParetoNBD(dict(zip(("r", "alpha", "s", "beta"), params)), log_likelihood=math.nan, n=1, time_unit="W")
    one = pd.DataFrame({"frequency": [x], "recency": [tx], "T": [T]})
    pa = m.p_alive(one).iloc[0]
    assert 0 <= pa <= 1 and np.isfinite(m.expected_purchases(one, 10).iloc[0])


def test_forecast_is_continuous_in_frequency():
    # a small change of history gives a small change of forecast (no underflow cliff)
    m = ParetoNBD({"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67}, log_likelihood=math.nan, n=1, time_unit="W")
    s = pd.DataFrame({"frequency": [132, 133, 500, 501], "recency": [200.0, 200.0, 200.0, 200.0], "T": [200.0] * 4})
    e = m.expected_purchases(s, 10).to_numpy()
    assert abs(e[0] - e[1]) < 0.05 and abs(e[2] - e[3]) < 0.05 and e[2] > e[0]


def test_pmf_sums_to_one_and_has_the_closed_form_mean(model, cdnow):
    p = model._pmf_new(400, 39.0)
    assert p.sum() == pytest.approx(1.0, abs=1e-6)
    assert p @ np.arange(401) == pytest.approx(model.expected_purchases_new(39.0), rel=1e-4)
    c = model.conditional_probability_of_purchases(cdnow.head(50), 39, 300)
    assert np.allclose(c.sum(axis=1), 1.0)
    mean = c.iloc[:, :-1].to_numpy() @ np.arange(300)
    assert np.allclose(mean, model.expected_purchases(cdnow.head(50), 39), rtol=1e-3, atol=1e-6)


def test_pmf_agrees_with_simulation(model):
    sim = model.simulate(200_000, 39.0, seed=3)
    freq = np.bincount(sim["frequency"], minlength=4)[:4] / len(sim)
    assert freq == pytest.approx(model.probability_of_purchases(39, 5).to_numpy()[:4], abs=0.004)


def test_simulation_recovers_parameters():
    truth = ParetoNBD({"r": 0.8, "alpha": 8.0, "s": 0.9, "beta": 12.0}, log_likelihood=math.nan, n=1, time_unit="W")
    sim = truth.simulate(20_000, np.random.default_rng(1).uniform(20, 60, 20_000).round(1), seed=7)
    fit = fit_paretonbd(sim)
    table = fit.param_table()
    for k, v in truth.params.items():
        lo, hi = table.loc[k].iloc[2], table.loc[k].iloc[3]
        assert lo * 0.9 < v < hi * 1.1, (k, v, lo, hi)


def test_weighted_patterns_fit_like_the_expanded_table(cdnow):
    pat = cdnow[["frequency", "recency", "T"]].round(1).value_counts().rename("weights").reset_index()
    pat.attrs["time_unit"] = "W"
    expanded = pat.loc[pat.index.repeat(pat["weights"])].drop(columns="weights").reset_index(drop=True)
    expanded.attrs["time_unit"] = "W"
    a, b = fit_paretonbd(pat, weights="weights"), fit_paretonbd(expanded)
    assert a.params == pytest.approx(b.params, rel=1e-4)
    assert a.log_likelihood == pytest.approx(b.log_likelihood, rel=1e-9) and a.n == b.n == 2357


def test_bad_input_is_named(cdnow):
    bad = cdnow.copy()
    bad.iloc[0, bad.columns.get_loc("recency")] = 100.0
    with pytest.raises(CRMDataError, match="recency > T"):
        fit_paretonbd(bad)
    w = cdnow.assign(weights=-1.0)
    with pytest.raises(CRMDataError, match="weights"):
        fit_paretonbd(w, weights="weights")
    with pytest.raises(CRMDataError, match="no customer made a repeat purchase"):
        fit_paretonbd(cdnow.assign(frequency=0, recency=0.0))
    days = btyd.summary_from_transactions(datasets.load("cdnow").orders, calibration_end="1997-09-30", time_unit="D")
    m = fit_paretonbd(cdnow)
    with pytest.raises(CRMDataError, match="weeks"):
        m.p_alive(days)
