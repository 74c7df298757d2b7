"""Tests for crmlab.btyd_models: the shared interface, uncertainty, comparison, diagnostics, threads."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from crmlab import btyd, btyd_models as bm, datasets
from crmlab._threads import single_threaded
from crmlab._validate import CRMDataError


@pytest.fixture(scope="module")
def orders():
    return datasets.load("cdnow").orders


@pytest.fixture(scope="module")
def cdnow(orders):
    return btyd.summary_from_transactions(
        orders, calibration_end="1997-09-30", observation_end="1998-06-30", time_unit="W"
    )


@pytest.fixture(scope="module")
def models(cdnow):
    return {name: bm.fit_model(name, cdnow) for name in bm.TRANSACTION_MODELS}


def test_bgnbd_in_the_interface_is_btyds_bgnbd(cdnow, models):
    core = btyd.fit_bgnbd(cdnow)
    m = models["bgnbd"]
    assert m.params == pytest.approx(core.params, rel=1e-6)
    assert m.log_likelihood == pytest.approx(core.log_likelihood, rel=1e-10)
    assert np.allclose(m.p_alive(cdnow), core.p_alive(cdnow))
    assert np.allclose(m.expected_purchases(cdnow, 39), core.expected_purchases(cdnow, 39))


@pytest.mark.parametrize("name", ["bgnbd", "paretonbd", "mbgnbd"])
def test_every_model_offers_the_same_methods(name, models, cdnow):
    m = models[name]
    t = m.param_table()
    assert list(t.index) == list(m.param_names)
    assert (t["std_error"] > 0).all() and (t.iloc[:, 2] < t["estimate"]).all() and (t["estimate"] < t.iloc[:, 3]).all()
    assert (t.iloc[:, 2] > 0).all()
    k = len(m.params)
    assert m.aic == pytest.approx(2 * k - 2 * m.log_likelihood)
    assert m.bic == pytest.approx(k * math.log(2357) - 2 * m.log_likelihood)
    pa = m.p_alive(cdnow)
    assert ((pa >= 0) & (pa <= 1)).all()
    assert m.conditional_probability_of_purchases(cdnow.head(5), 10, 3).shape == (5, 4)
    grid = m.expected_purchases_grid(39, T=39, max_frequency=5, n_recency=5)
    one = pd.DataFrame({"frequency": [3], "recency": [grid.columns[2]], "T": [39.0]})
    assert grid.iloc[3, 2] == pytest.approx(m.expected_purchases(one, 39).iloc[0])
    assert np.isnan(grid.iloc[0, 1])
    tracking = btyd.tracking_table(m, datasets.load("cdnow").orders, cdnow)  # the tracking plot of every model
    assert tracking["expected"].is_monotonic_increasing
    assert tracking["expected"].iloc[-1] == pytest.approx(tracking["actual"].iloc[-1], rel=0.15)
    if name == "bgnbd":
        core = btyd.tracking_table(btyd.fit_bgnbd(cdnow), datasets.load("cdnow").orders, cdnow)
        assert np.allclose(tracking["expected"], core["expected"], rtol=1e-5)


def test_standard_errors_shrink_with_the_square_root_of_the_base(cdnow):
    pat = cdnow[["frequency", "recency", "T"]].value_counts().rename("w").reset_index()
    pat.attrs["time_unit"] = "W"
    one = bm.fit_model("paretonbd", pat, weights="w")
    four = bm.fit_model("paretonbd", pat.assign(w=pat["w"] * 4), weights="w")
    assert four.params == pytest.approx(one.params, rel=1e-4)
    ratio = four.param_table()["std_error"] / one.param_table()["std_error"]
    assert ratio.to_numpy() == pytest.approx(0.5, rel=0.02)


def test_simulated_standard_errors_match_the_spread_of_refits():
    # the inverse-Hessian standard error should describe how much the estimate varies from sample to sample
    truth = bm.BGNBD({"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}, log_likelihood=math.nan, n=1, time_unit="W")
    fits = [bm.fit_model("bgnbd", truth.simulate(2000, 39.0, seed=s)) for s in range(12)]
    spread = np.std([f.params["r"] for f in fits], ddof=1)
    se = np.median([f.param_table().loc["r", "std_error"] for f in fits])
    assert 0.5 < spread / se < 2.0


def test_calibration_holdout_table_counts_and_means(models, cdnow):
    t = bm.calibration_holdout_table(models["bgnbd"], cdnow, max_frequency=4)
    assert t["customers"].sum() == 2357 and list(t.index) == ["0", "1", "2", "3", "4+"]
    direct = cdnow.groupby(cdnow["frequency"].clip(upper=4))["frequency_holdout"].mean()
    assert t["actual"].to_numpy() == pytest.approx(direct.to_numpy())
    with pytest.raises(CRMDataError, match="frequency_holdout"):
        bm.calibration_holdout_table(models["bgnbd"], cdnow[["frequency", "recency", "T"]])


def test_compare_models(cdnow):
    c = bm.compare_models(cdnow)
    assert list(c.index) == ["BG/NBD", "Pareto/NBD", "MBG/NBD"]
    assert (c["holdout_actual"] == cdnow["frequency_holdout"].sum()).all()
    once = cdnow["frequency"] == 0
    assert c.loc["BG/NBD", "one_time_actual"] == pytest.approx(cdnow.loc[once, "frequency_holdout"].mean())
    # Pareto/NBD: published log-likelihood -9594.98 (Fader, Hardie & Lee 2005, MATLAB note)
    assert c.loc["Pareto/NBD", "log_likelihood"] == pytest.approx(-9594.98, abs=0.01)


def test_p_alive_path_ends_at_the_summary_value(models, orders, cdnow):
    m = models["paretonbd"]
    cal = orders[orders["order_date"] <= "1997-09-30"]
    cid = cdnow.index[cdnow["frequency"] == 3][0]
    times = bm.customer_purchase_times(cal, cid, time_unit="W")
    path = m.p_alive_path(times, end=float(cdnow.loc[cid, "T"]))
    assert path["p_alive"].iloc[-1] == pytest.approx(m.p_alive(cdnow.loc[[cid]]).iloc[0])
    at = path["time"].isin(times).to_numpy()
    before = np.flatnonzero(at) - 1
    assert (path["p_alive"].to_numpy()[at] >= path["p_alive"].to_numpy()[before]).all()  # each purchase lifts it
    with pytest.raises(CRMDataError, match="purchase_times"):
        m.p_alive_path([-1.0], end=10)
    with pytest.raises(CRMDataError, match="no orders of customer"):
        bm.customer_purchase_times(cal, "nobody")


def test_simulation_is_seeded(models):
    m = models["mbgnbd"]
    a, b, c = m.simulate(100, 39, seed=1), m.simulate(100, 39, seed=1), m.simulate(100, 39, seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    assert (a["recency"] <= a["T"]).all() and ((a["frequency"] > 0) | (a["recency"] == 0)).all()


def test_clv_interval(models, cdnow):
    spend = bm.fit_spend_model(cdnow)
    weekly = 1.10 ** (1 / 52) - 1
    sub = cdnow.head(60)
    out = bm.clv_interval(models["bgnbd"], spend, sub, horizon=52, discount_rate=weekly, margin=0.3, draws=40, seed=3)
    again = bm.clv_interval(models["bgnbd"], spend, sub, horizon=52, discount_rate=weekly, margin=0.3, draws=40, seed=3)
    pd.testing.assert_frame_equal(out, again)
    ref = btyd.probabilistic_clv(
        btyd.fit_bgnbd(cdnow),
        btyd.fit_gamma_gamma(cdnow),
        sub,
        horizon=52,
        discount_rate=weekly,
        time_unit="W",
        margin=0.3,
    )
    assert out["clv"].to_numpy() == pytest.approx(ref["clv"].to_numpy(), rel=1e-5)
    lo, hi = out.iloc[:, 1], out.iloc[:, 2]
    assert (lo < hi).all() and ((lo <= out["clv"]) & (out["clv"] <= hi)).mean() > 0.9
    with pytest.raises(CRMDataError, match="discount_rate"):
        bm.clv_interval(models["bgnbd"], spend, sub, horizon=52, discount_rate=0.8)


def test_fit_model_rejects_unknown_names_and_bad_units(cdnow):
    with pytest.raises(CRMDataError, match="'bgnbd', 'paretonbd'"):
        bm.fit_model("pareto", cdnow)
    with pytest.raises(CRMDataError, match="time_unit"):
        bm.fit_model("mbgnbd", cdnow, time_unit="D")
    with pytest.raises(CRMDataError, match="too few"):
        bm.fit_model("paretonbd", cdnow.head(10))


def test_fits_run_single_threaded():
    from threadpoolctl import threadpool_info

    with single_threaded():
        assert all(lib["num_threads"] == 1 for lib in threadpool_info())


def test_hostile_summaries_are_refused_by_name(cdnow):
    cases = [
        (cdnow.assign(T=np.inf), "infinite"),
        (pd.concat([cdnow, cdnow]), "more than once"),
        (cdnow.astype({"frequency": str}), "expected numbers"),
        (cdnow.assign(frequency=cdnow["frequency"] + 0.5), "whole numbers"),
        (cdnow.iloc[:0], "0 row"),
    ]
    for table, words in cases:
        for name in bm.TRANSACTION_MODELS:
            with pytest.raises(CRMDataError, match=words):
                bm.fit_model(name, table)
    with pytest.raises(CRMDataError, match="missing column"):
        bm.fit_model("bgnbd", cdnow, weights="customers")
    with pytest.raises(CRMDataError, match="add up to more than 0"):
        bm.fit_model("mbgnbd", cdnow.assign(w=0.0), weights="w")
    donations = datasets.load("donations").patterns
    with pytest.raises(CRMDataError, match="more than once"):
        bm.fit_model("bgbb", pd.concat([donations, donations]), weights="weights")


def test_hostile_parameters_are_refused_by_name(models, cdnow):
    m = models["paretonbd"]
    for call, words in [
        (lambda: m.conditional_probability_of_purchases(cdnow, 5, 0), "max_n"),
        (lambda: m.simulate(0, 39), "n_customers"),
        (lambda: m.simulate(5, -1), "'T'"),
        (lambda: m.expected_purchases_grid(5, T=0), "'T'"),
        (lambda: m.expected_purchases(cdnow, -3), "'t'"),
        (lambda: m.param_table(95), "level"),
        (lambda: m.sample_params(0), "draws"),
    ]:
        with pytest.raises(CRMDataError, match=words):
            call()


@pytest.mark.parametrize("name", ["bgnbd", "paretonbd", "bgbb"])
def test_the_optimiser_runs_with_one_blas_thread(name, monkeypatch, cdnow):
    # every likelihood evaluation of a fit happens while BLAS/OpenMP are limited to one thread
    from threadpoolctl import threadpool_info

    seen = []
    cls = type(
        bm.fit_model(
            name,
            datasets.load("donations").patterns if name == "bgbb" else cdnow,
            **({"weights": "weights"} if name == "bgbb" else {}),
        )
    )
    original = cls._nll.__func__

    def spy(klass, *args):
        seen.append(max(lib["num_threads"] for lib in threadpool_info()))
        return original(klass, *args)

    monkeypatch.setattr(cls, "_nll", classmethod(spy))
    if name == "bgbb":
        bm.fit_model(name, datasets.load("donations").patterns, weights="weights")
    else:
        bm.fit_model(name, cdnow)
    assert seen and max(seen) == 1
