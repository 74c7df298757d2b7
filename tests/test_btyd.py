"""Tests for crmlab.btyd (re-exported by crmlab.clv): summary, BG/NBD, Gamma-Gamma, probabilistic CLV."""

from __future__ import annotations


import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from crmlab import clv, datasets
from crmlab._validate import CRMDataError


@pytest.fixture(scope="module")
def cdnow_orders():
    return datasets.load("cdnow").orders


@pytest.fixture(scope="module")
def cdnow(cdnow_orders):
    # 39-week calibration period 1997-01-01..1997-09-30, weekly units (Fader, Hardie & Lee 2005)
    return clv.summary_from_transactions(
        cdnow_orders, calibration_end="1997-09-30", observation_end="1998-06-30", time_unit="W"
    )


@pytest.fixture(scope="module")
def bgnbd(cdnow):
    return clv.fit_bgnbd(cdnow)


@pytest.fixture(scope="module")
def gg(cdnow):
    return clv.fit_gamma_gamma(cdnow)


# --------------------------------------------------------------------------- summary


def tiny_orders():
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "a", "a", "c", "b"],
            "order_date": [
                "2024-01-01",
                "2024-01-01",
                "2024-01-15",
                "2024-02-05",
                "2024-02-05",
                "2024-02-12",
                "2024-01-08",
                "2024-02-01",
            ],
            "amount": [10.0, 5.0, 20.0, 8.0, 4.0, 30.0, 9.0, 50.0],
        }
    )


def test_summary_hand_example_with_holdout():
    s = clv.summary_from_transactions(
        tiny_orders(), calibration_end="2024-01-28", observation_end="2024-02-25", time_unit="W"
    )
    # b first buys after the calibration end: not in the calibration cohort
    assert list(s.index) == ["a", "c"]
    assert s.attrs["customers_first_buying_after_calibration"] == 1
    assert s.attrs["excluded"] == {"customers whose first purchase is after calibration_end": 1}
    a, c = s.loc["a"], s.loc["c"]
    # a buys on Jan 1 (two rows = one transaction), Jan 15: one repeat purchase day
    assert a["frequency"] == 1
    assert a["recency"] == pytest.approx(14 / 7)  # Jan 1 -> Jan 15, last minus first
    assert a["T"] == pytest.approx(27 / 7)  # Jan 1 -> Jan 28
    assert a["monetary_value"] == 20.0  # repeat purchases only, first day excluded
    # holdout: Feb 5 (8 + 4, one day) and Feb 12 (30): 2 transactions, mean (12 + 30) / 2 = 21,
    # not (8 + 4 + 30) / 3 = 14 -- the same day-combining as in calibration
    assert a["frequency_holdout"] == 2
    assert a["monetary_holdout"] == pytest.approx(21.0)
    assert a["duration_holdout"] == pytest.approx(28 / 7)
    # c: one purchase on Jan 8: a one-time buyer
    assert (c["frequency"], c["recency"], c["monetary_value"]) == (0, 0, 0)
    assert c["T"] == pytest.approx(20 / 7)
    assert s.attrs["time_unit"] == "W"
    assert s.attrs["combined_same_day"] == 2  # two rows merged into other rows


def test_summary_in_days_and_without_holdout():
    s = clv.summary_from_transactions(tiny_orders(), time_unit="D")
    assert s.loc["a", "frequency"] == 3  # Jan 15, Feb 5, Feb 12 after Jan 1
    assert s.loc["a", "recency"] == 42  # Jan 1 -> Feb 12
    assert s.loc["a", "T"] == 42  # ends at the last order date by default
    assert s.loc["a", "monetary_value"] == pytest.approx((20 + 12 + 30) / 3)
    assert s.loc["b", "T"] == 11  # Feb 1 -> Feb 12
    assert "frequency_holdout" not in s
    assert s.attrs["time_unit"] == "D"


def test_summary_column_names_as_keywords():
    o = tiny_orders().rename(columns={"customer_id": "cust", "order_date": "day", "amount": "eur"})
    s = clv.summary_from_transactions(o, customer="cust", date="day", amount="eur", time_unit="D")
    assert s.index.name == "cust" and s.loc["a", "frequency"] == 3


def test_summary_bad_input():
    o = tiny_orders()
    with pytest.raises(CRMDataError, match="table 'orders'.*missing column.*'order_date'"):
        clv.summary_from_transactions(o.drop(columns="order_date"))
    with pytest.raises(CRMDataError, match="'calibration_end'.*before the first order"):
        clv.summary_from_transactions(o, calibration_end="2023-01-01")
    with pytest.raises(CRMDataError, match="'calibration_end'.*not before observation_end"):
        clv.summary_from_transactions(o, calibration_end="2024-03-01", observation_end="2024-02-25")
    with pytest.raises(CRMDataError, match="column 'order_date'.*after observation_end"):
        clv.summary_from_transactions(o, observation_end="2024-02-01")
    with pytest.raises(CRMDataError, match="'time_unit'"):
        clv.summary_from_transactions(o, time_unit="M")
    o2 = o.copy()
    o2.loc[0, "amount"] = -3.0
    with pytest.raises(CRMDataError, match="table 'orders', column 'amount'.*negative"):
        clv.summary_from_transactions(o2)


def test_cdnow_summary_matches_published_counts(cdnow):
    # Fader, Hardie & Lee (2005): 2,357 customers; 946 made at least one repeat purchase in
    # the 39-week calibration period, whose mean spend per repeat transaction is $35.08 (JMR).
    assert len(cdnow) == 2357
    rep = cdnow[cdnow["frequency"] > 0]
    assert len(rep) == 946
    assert rep["monetary_value"].mean() == pytest.approx(35.08, abs=0.005)


# --------------------------------------------------------------------------- BG/NBD


def test_bgnbd_reproduces_published_cdnow_parameters(bgnbd):
    # Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way", Marketing Science 24(2),
    # CDNOW, 39-week calibration: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4.
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert getattr(bgnbd, name) == pytest.approx(value, rel=0.01), name
    assert bgnbd.log_likelihood == pytest.approx(-9582.4, abs=0.1)
    assert bgnbd.converged and bgnbd.n == 2357 and bgnbd.time_unit == "W"


def test_p_alive_hand_computed(bgnbd):
    # P(alive | x, t_x, T) = 1 / (1 + a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x))  (FHL 2005, eq. 11)
    s = pd.DataFrame({"frequency": [0, 2], "recency": [0.0, 10.0], "T": [30.0, 30.0]})
    p = bgnbd.p_alive(s)
    r, al, a, b = bgnbd.r, bgnbd.alpha, bgnbd.a, bgnbd.b
    assert p.iloc[0] == 1.0  # one-time buyers cannot have dropped out in BG/NBD
    assert p.iloc[1] == pytest.approx(1 / (1 + a / (b + 1) * ((al + 30) / (al + 10)) ** (r + 2)))


def test_conditional_expectation_of_brand_new_customer_is_unconditional(bgnbd):
    # A customer with x = 0, t_x = 0, T = 0 carries no information: E[Y(t) | 0, 0, 0] = E[X(t)].
    s = pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [0.0]})
    for t in (1.0, 10.0, 39.0, 78.0):
        assert bgnbd.expected_purchases(s, t).iloc[0] == pytest.approx(bgnbd.expected_purchases_new(t), rel=1e-9)
    # E[X(t)] grows with t and starts at 0
    ex = bgnbd.expected_purchases_new(np.array([0.0, 1.0, 10.0, 50.0]))
    assert ex[0] == pytest.approx(0.0, abs=1e-12) and np.all(np.diff(ex) > 0)


def test_expected_purchases_rise_with_frequency_and_recency(bgnbd):
    s = pd.DataFrame({"frequency": [1, 5, 5], "recency": [30.0, 30.0, 10.0], "T": [38.0, 38.0, 38.0]})
    e = bgnbd.expected_purchases(s, 39).to_numpy()
    assert e[1] > e[0]  # more purchases, same recency
    assert e[1] > e[2]  # same purchases, but the last one long ago


def test_repeat_frequency_check_on_cdnow(bgnbd, cdnow):
    chk = clv.repeat_frequency_check(bgnbd, cdnow, max_frequency=7)
    assert chk["actual"].sum() == 2357 and chk["expected"].sum() == pytest.approx(2357)
    assert chk.loc[0, "actual"] == 2357 - 946
    # the model fits the calibration histogram closely (FHL 2005, fig. 2)
    assert np.abs(chk["actual"] - chk["expected"]).max() < 25


def test_tracking_table_counts_all_repeat_days(bgnbd, cdnow, cdnow_orders):
    tt = clv.tracking_table(bgnbd, cdnow_orders, cdnow)
    total_repeat = int((cdnow["frequency"] + cdnow["frequency_holdout"]).sum())
    assert tt["actual"].iloc[-1] == total_repeat
    assert tt.attrs["calibration_end_period"] == 39.0
    assert (np.diff(tt["expected"]) >= 0).all()
    # at the end of calibration the model's cumulative total is close to the actual one
    at39 = tt.loc[tt["period"] == 39].iloc[0]
    assert at39["expected"] == pytest.approx(at39["actual"], rel=0.05)


def test_probability_alive_matrix(bgnbd):
    grid = bgnbd.probability_alive_matrix(max_frequency=5, T=39, n_recency=5)
    assert grid.shape == (6, 5) and grid.attrs["time_unit"] == "W"
    assert grid.iloc[0, 0] == 1.0 and np.isnan(grid.iloc[0, 1])
    assert (np.diff(grid.iloc[3].to_numpy()) > 0).all()  # more recent last purchase -> more likely alive


def test_bgnbd_too_few_customers():
    s = pd.DataFrame({"frequency": [0, 1, 2], "recency": [0, 3, 5], "T": [10, 10, 10]})
    with pytest.raises(CRMDataError, match="3 customers is too few"):
        clv.fit_bgnbd(s, time_unit="W")


def test_bgnbd_without_time_unit_refused():
    s = pd.DataFrame({"frequency": [0, 1, 2] * 20, "recency": [0, 3, 5] * 20, "T": [10, 10, 10] * 20})
    with pytest.raises(CRMDataError, match="no time unit"):
        clv.fit_bgnbd(s)


def test_bgnbd_non_convergence_says_why_and_how():
    # Everybody keeps buying up to the end: no sign of dropout, a and b run off to infinity.
    s = pd.DataFrame(
        {
            "frequency": [0, 1, 2, 5, 0, 3] * 10,
            "recency": [0, 10, 20, 30, 0, 12] * 10,
            "T": [40, 35, 38, 39, 20, 30] * 10,
        }
    )
    s.attrs["time_unit"] = "W"
    with pytest.raises(CRMDataError, match="did not converge.*ran off.*penalizer"):
        clv.fit_bgnbd(s)
    m = clv.fit_bgnbd(s, penalizer=0.01)  # the suggested fix works
    assert m.converged and m.penalizer == 0.01


def test_bgnbd_refuses_recency_beyond_T():
    s = pd.DataFrame({"frequency": [1] * 40, "recency": [12.0] * 40, "T": [10.0] * 40})
    with pytest.raises(CRMDataError, match="column 'recency'.*recency > T"):
        clv.fit_bgnbd(s, time_unit="W")


def test_daily_fit_is_the_weekly_fit_rescaled(cdnow_orders, bgnbd):
    # Only alpha carries the time unit: alpha_days = 7 * alpha_weeks.
    daily = clv.summary_from_transactions(cdnow_orders, calibration_end="1997-09-30", time_unit="D")
    m = clv.fit_bgnbd(daily)
    assert m.time_unit == "D"
    assert m.alpha == pytest.approx(7 * bgnbd.alpha, rel=1e-3)
    assert m.r == pytest.approx(bgnbd.r, rel=1e-3)


# --------------------------------------------------------------------------- Gamma-Gamma


def test_gamma_gamma_reproduces_published_cdnow_parameters(gg):
    # Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves for Customer Base
    # Analysis", JMR 42(4): p = 6.25, q = 3.74, gamma = 15.44 on the 946 repeat customers,
    # mean spend per repeat transaction in the 39-week calibration period.
    assert gg.p == pytest.approx(6.25, rel=0.02)
    assert gg.q == pytest.approx(3.74, rel=0.02)
    assert gg.gamma == pytest.approx(15.44, rel=0.02)
    assert gg.n == 946 and gg.excluded["one-time buyers (frequency 0)"] == 1411


def test_independence_check_reported(gg):
    # FHL (2005, JMR) report a correlation of 0.11 between frequency and average spend on CDNOW.
    assert gg.spend_frequency_corr == pytest.approx(0.11, abs=0.01)
    assert gg.independence_check.startswith("OK")


def test_independence_warning_when_spend_follows_frequency():
    s = pd.DataFrame({"frequency": np.arange(1, 41), "monetary_value": 10.0 * np.arange(1, 41)})
    corr, note = clv.spend_frequency_correlation(s)
    assert corr == pytest.approx(1.0) and note.startswith("WARNING")


def test_expected_spend_hand_computed(gg):
    # E[M | x, m_x] = p (gamma + m_x x) / (p x + q - 1); one-time buyers: p gamma / (q - 1)
    s = pd.DataFrame({"frequency": [2, 0], "monetary_value": [40.0, 0.0]})
    e = gg.expected_spend(s)
    p, q, g = gg.p, gg.q, gg.gamma
    assert e.iloc[0] == pytest.approx(p * (g + 80) / (2 * p + q - 1))
    assert e.iloc[1] == pytest.approx(p * g / (q - 1)) and e.iloc[1] == pytest.approx(gg.population_mean_spend)
    # shrinkage: between the population mean and the customer's own mean
    assert gg.population_mean_spend < e.iloc[0] < 40


def test_gamma_gamma_too_few_repeat_customers():
    s = pd.DataFrame({"frequency": [0] * 50 + [1] * 5, "monetary_value": [0.0] * 50 + [10.0] * 5})
    with pytest.raises(CRMDataError, match="5 repeat customers.*too few"):
        clv.fit_gamma_gamma(s)


# --------------------------------------------------------------------------- discounted CLV


def test_probabilistic_clv_undiscounted_is_purchases_times_spend(bgnbd, gg, cdnow):
    sub = cdnow.iloc[:50]
    c = clv.probabilistic_clv(bgnbd, gg, sub, horizon=39, discount_rate=0.0, time_unit="W", margin=0.3)
    assert c["expected_purchases"].to_numpy() == pytest.approx(bgnbd.expected_purchases(sub, 39).to_numpy())
    assert c["clv"].to_numpy() == pytest.approx(
        0.3 * c["expected_purchases"].to_numpy() * gg.expected_spend(sub).to_numpy()
    )
    assert c.attrs["time_unit"] == "W" and c.attrs["horizon"] == 39
    d = clv.probabilistic_clv(bgnbd, gg, sub, horizon=39, discount_rate=0.002, time_unit="W", margin=0.3)
    assert (d["clv"] <= c["clv"] + 1e-12).all() and (d["clv"] >= 0).all()


def test_probabilistic_clv_units_are_explicit(bgnbd, gg, cdnow):
    with pytest.raises(CRMDataError, match="fitted in 'W'"):
        clv.probabilistic_clv(bgnbd, gg, cdnow, horizon=365, discount_rate=0.0003, time_unit="D")
    with pytest.raises(CRMDataError, match="looks like a yearly rate"):
        clv.probabilistic_clv(bgnbd, gg, cdnow, horizon=52, discount_rate=0.9, time_unit="W")
    with pytest.raises(CRMDataError, match="'horizon'.*whole"):
        clv.probabilistic_clv(bgnbd, gg, cdnow, horizon=12.5, discount_rate=0.001, time_unit="W")


# --------------------------------------------------------------------------- plots


def test_btyd_plots(bgnbd, cdnow, cdnow_orders):
    import matplotlib.pyplot as plt

    from crmlab import plots

    axes = [
        plots.plot_repeat_frequency_check(clv.repeat_frequency_check(bgnbd, cdnow)),
        plots.plot_p_alive_matrix(bgnbd.probability_alive_matrix(15, T=39)),
        plots.plot_tracking(clv.tracking_table(bgnbd, cdnow_orders, cdnow)),
    ]
    for ax in axes:
        assert ax.get_title() and ax.get_ylabel()
        assert "weeks" in ax.get_xlabel().lower()
    plt.close("all")
