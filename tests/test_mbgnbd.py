"""Tests for crmlab.mbgnbd.

No published MBG/NBD estimate exists on data we can ship: Batislam, Denizel &
Filiztekin (2007) fitted it to a Turkish grocery chain's data, which are not
public. The model is therefore tested against independent facts: its
likelihood equals a direct numerical integration of the individual-level
likelihood over the gamma and beta mixing distributions; it reduces to the NBD
likelihood when nobody drops out; simulation from known parameters recovers
them; its distribution of purchases sums to one and has the closed-form mean.
``benchmarks/bench_clv.py`` compares it with lifetimes' ModifiedBetaGeoFitter.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.special import beta as beta_fn
from scipy.special import gammaln, roots_genlaguerre, roots_jacobi

from crmlab import btyd, datasets
from crmlab.mbgnbd import MBGNBD, fit_mbgnbd


@pytest.fixture(scope="module")
def cdnow():
    return btyd.summary_from_transactions(
        datasets.load("cdnow").orders, calibration_end="1997-09-30", observation_end="1998-06-30", time_unit="W"
    )


@pytest.fixture(scope="module")
def model(cdnow):
    return fit_mbgnbd(cdnow)


def _ll(params, x, tx, T):
    nll = MBGNBD._nll(np.log(params), np.array([x], float), np.array([tx], float), np.array([T], float), np.ones(1))
    return -nll[0]


@pytest.mark.parametrize("hist", [(0, 0.0, 30.0), (2, 10.0, 30.0), (5, 29.0, 30.0)])
def test_likelihood_equals_direct_integration(hist):
    # individual level (Batislam et al. 2007): leave with probability p at every purchase, the first included:
    # L(lambda, p) = (1-p)^(x+1) lambda^x e^(-lambda T) + p (1-p)^x lambda^x e^(-lambda t_x),
    # integrated numerically over lambda ~ Gamma(r, alpha) (Gauss-Laguerre) and p ~ Beta(a, b) (Gauss-Jacobi)
    r, al, a, b = 0.6, 5.0, 0.9, 1.8
    x, tx, T = hist
    u, wu = roots_genlaguerre(120, r - 1)
    lam, wl = u / al, wu / math.gamma(r)
    v, wv = roots_jacobi(60, b - 1, a - 1)
    p, wp = (1 + v) / 2, wv / 2 ** (a + b - 1) / beta_fn(a, b)
    L, P = np.meshgrid(lam, p, indexing="ij")
    ind = (1 - P) ** (x + 1) * L**x * np.exp(-L * T) + P * (1 - P) ** x * L**x * np.exp(-L * tx)
    val = wl @ ind @ wp
    assert wl.sum() == pytest.approx(1.0) and wp.sum() == pytest.approx(1.0)
    assert _ll((r, al, a, b), x, tx, T) == pytest.approx(math.log(val), abs=1e-6)


def test_without_dropout_it_is_the_nbd():
    # a -> 0 puts all mass of Beta(a, b) at p = 0: the likelihood becomes the NBD's
    # Gamma(r+x) alpha^r / (Gamma(r) (alpha+T)^(r+x))
    r, al, x, tx, T = 0.7, 6.0, 3, 12.0, 40.0
    nbd = gammaln(r + x) - gammaln(r) + r * math.log(al) - (r + x) * math.log(al + T)
    assert _ll((r, al, 1e-9, 2.0), x, tx, T) == pytest.approx(nbd, abs=1e-6)


def test_gradient_is_the_derivative(cdnow):
    x, tx, T = (cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    w = np.ones(len(x))
    p0 = np.log([0.5, 6.0, 0.9, 1.6])
    _, g = MBGNBD._nll(p0, x, tx, T, w)
    h = 1e-6
    num = [
        (MBGNBD._nll(p0 + h * e, x, tx, T, w)[0] - MBGNBD._nll(p0 - h * e, x, tx, T, w)[0]) / (2 * h) for e in np.eye(4)
    ]
    assert g == pytest.approx(num, rel=1e-5)


def test_one_time_buyers_are_not_certainly_alive(model, cdnow):
    pa = model.p_alive(cdnow)
    once = cdnow["frequency"] == 0
    assert (pa[once] < 1).all()
    # the longer a one-time buyer has been silent, the less likely they are alive
    assert pa[once].corr(cdnow.loc[once, "T"], method="spearman") < -0.99


def test_pmf_sums_to_one_and_matches_the_means(model, cdnow):
    p = model._pmf_new(300, 39.0)
    assert p.sum() == pytest.approx(1.0, abs=1e-8)
    assert p @ np.arange(301) == pytest.approx(model.expected_purchases_new(39.0), rel=1e-6)
    c = model.conditional_probability_of_purchases(cdnow.head(40), 39, 200)
    assert np.allclose(c.sum(axis=1), 1.0)
    assert np.allclose(
        c.iloc[:, :-1].to_numpy() @ np.arange(200), model.expected_purchases(cdnow.head(40), 39), rtol=1e-5
    )


def test_simulation_agrees_with_pmf_and_recovers_parameters():
    truth = MBGNBD({"r": 0.6, "alpha": 5.0, "a": 0.9, "b": 2.5}, log_likelihood=math.nan, n=1, time_unit="W")
    sim = truth.simulate(30_000, 39.0, seed=11)
    freq = np.bincount(sim["frequency"], minlength=3)[:3] / len(sim)
    assert freq == pytest.approx(truth.probability_of_purchases(39, 4).to_numpy()[:3], abs=0.01)
    fit = fit_mbgnbd(sim)
    t = fit.param_table()
    for k, v in truth.params.items():
        assert t.loc[k].iloc[2] * 0.9 < v < t.loc[k].iloc[3] * 1.1, (k, v)


def test_holdout_forecast_is_in_the_range_of_bgnbd(model, cdnow):
    # on CDNOW MBG/NBD and BG/NBD fit almost equally well (their LLs differ by < 1);
    # their 39-week holdout totals must be of the same size as the actual 1,882
    total = model.expected_purchases(cdnow, 39).sum()
    assert 0.8 * 1882 < total < 1.05 * 1882
    assert abs(model.log_likelihood - btyd.fit_bgnbd(cdnow).log_likelihood) < 1.0


def test_weights(cdnow):
    pat = cdnow[["frequency", "recency", "T"]].value_counts().rename("n").reset_index()
    pat.attrs["time_unit"] = "W"
    a, b = fit_mbgnbd(pat, weights="n"), fit_mbgnbd(cdnow)
    assert a.params == pytest.approx(b.params, rel=1e-5)
    assert isinstance(
        a.conditional_probability_of_purchases(pd.DataFrame({"frequency": [1], "recency": [3.0], "T": [5.0]}), 4, 3),
        pd.DataFrame,
    )
