"""Tests for crmlab.satisfaction: disconfirmation, CSAT, NPS, IPA, SERVQUAL, expectations, complaints."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmlab import plots
from crmlab._validate import CRMDataError
from crmlab.satisfaction import (
    complainer_churn,
    complaint_summary,
    csat,
    disconfirmation,
    expectation_simulation,
    importance_performance,
    nps,
    servqual_gaps,
)

ITEMS = pd.DataFrame(
    {
        "response_id": ["r1", "r1", "r1", "r2", "r2", "r2"],
        "attribute": ["on time", "friendly", "clean", "on time", "friendly", "clean"],
        "dimension": ["reliability", "empathy", "tangibles", "reliability", "empathy", "tangibles"],
        "expectation": [7, 5, 4, 6, 5, 6],
        "perception": [4, 6, 5, 5, 6, 6],
        "importance": [7, 3, 2, 6, 4, 3],
    }
)


def test_disconfirmation_per_attribute():
    d = disconfirmation(ITEMS)
    # on time: (4-7 + 5-6)/2 = -2; friendly: +1; clean: (1 + 0)/2 = 0.5
    assert d["disconfirmation"].to_dict() == {"on time": -2.0, "clean": 0.5, "friendly": 1.0}
    assert d.loc["clean", "share_zero"] == 0.5 and d.loc["on time", "share_negative"] == 1.0


def test_csat_top_box_and_groups():
    s = pd.DataFrame({"overall_satisfaction": [7, 6, 5, 1, 7], "region": ["N", "N", "S", "S", "S"]})
    r = csat(s)
    assert r["top_box_share"] == pytest.approx(3 / 5) and r["mean"] == pytest.approx(26 / 5)
    g = csat(s, by="region")
    assert g.loc["N", "csat"] == 100.0 and g.loc["S", "csat"] == pytest.approx(100 / 3)


def test_nps_hand_example():
    # Reichheld (2003): promoters 9-10, passives 7-8, detractors 0-6.
    # 10 answers: 4 promoters (10, 9, 9, 10), 3 passives (8, 7, 7), 3 detractors (6, 0, 5)
    # NPS = 40% - 30% = +10 points
    r = nps([10, 9, 8, 7, 7, 6, 0, 9, 10, 5])
    assert (r.promoters, r.passives, r.detractors) == pytest.approx((0.4, 0.3, 0.3))
    assert r.nps == pytest.approx(10.0)
    assert nps([6, 6]).nps == -100.0 and nps([9, 10]).nps == 100.0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=60))
def test_nps_shares_sum_to_one_and_score_in_range(answers):
    r = nps(answers)
    assert r.promoters + r.passives + r.detractors == pytest.approx(1.0)
    assert -100 <= r.nps <= 100


def test_nps_rejects_answers_off_the_scale():
    with pytest.raises(CRMDataError, match="table 'surveys', column 'recommend'.*0..10"):
        nps(pd.Series([3, 11], name="recommend"))
    with pytest.raises(CRMDataError, match="missing value"):
        nps([3.0, np.nan])


def test_importance_performance_quadrants_mean_and_midpoint():
    # means per attribute: on time imp 6.5 perf 4.5; friendly imp 3.5 perf 6; clean imp 2.5 perf 5.5
    # mean crosshairs: importance (6.5+3.5+2.5)/3 = 4.167, performance (4.5+6+5.5)/3 = 5.333
    ipa = importance_performance(ITEMS)
    assert ipa.attrs["importance_line"] == pytest.approx(12.5 / 3)
    assert ipa["quadrant"].to_dict() == {
        "on time": "Concentrate here",
        "friendly": "Possible overkill",
        "clean": "Possible overkill",
    }
    mid = importance_performance(ITEMS, crosshair="midpoint")  # crosshairs at 4 on a 1-7 scale
    assert mid.loc["on time", "quadrant"] == "Keep up the good work"  # performance 4.5 >= 4
    assert mid.loc["clean", "quadrant"] == "Possible overkill"
    with pytest.raises(CRMDataError, match="crosshair"):
        importance_performance(ITEMS, crosshair="median")


def test_servqual_gaps_by_dimension_in_pzb_order():
    g = servqual_gaps(ITEMS)
    assert g.index.tolist() == ["tangibles", "reliability", "empathy"]
    assert g["gap"].tolist() == [0.5, -2.0, 1.0]
    assert g.attrs["overall_gap"] == pytest.approx(-0.5 / 3)
    with pytest.raises(CRMDataError, match="table 'survey_items'.*'dimension'"):
        servqual_gaps(ITEMS.drop(columns="dimension"))


def test_expectation_management_three_facts_from_the_course():
    levels = np.arange(1.0, 7.01, 0.5)
    sim = expectation_simulation(levels, true_quality=5.0, n=4000, seed=3)
    # 1. raising expectations attracts more first purchases
    assert (np.diff(sim["first_purchase_rate"]) > 0).all()
    low, high = sim.iloc[0], sim.iloc[-1]
    # 2. too low: buyers are satisfied, but few
    assert low["share_satisfied"] > 0.95 and low["first_purchase_rate"] < 0.1
    # 3. too high: many first buyers, mostly dissatisfied, rarely returning
    assert high["first_purchase_rate"] > 0.9 and high["share_satisfied"] < 0.05 and high["repurchase_rate"] < 0.1
    # the best level for repeat buyers lies strictly in between
    best = sim.attrs["optimum_expectation"]
    assert levels[0] < best < levels[-1]
    assert sim.loc[best, "repeat_buyers"] > 3 * max(low["repeat_buyers"], high["repeat_buyers"])


def test_expectation_simulation_is_seeded():
    a = expectation_simulation([3, 5], seed=7, n=500)
    b = expectation_simulation([3, 5], seed=7, n=500)
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(CRMDataError, match="expectation_levels"):
        expectation_simulation([0.5])


INTER = pd.DataFrame(
    {
        "interaction_id": ["i1", "i2", "i3", "i4", "i5"],
        "customer_id": ["a", "a", "b", "c", "d"],
        "date": ["2024-01-05", "2024-02-01", "2024-01-08", "2024-01-10", "2024-11-30"],
        "kind": ["complaint", "complaint", "complaint", "inquiry", "complaint"],
        "topic": ["delivery", "billing", "delivery", "delivery", "billing"],
        "resolution_hours": [2.0, 10.0, 30.0, 1.0, 6.0],
        "resolved": [True, True, False, True, True],
        "satisfaction_after": [6.0, 5.0, 2.0, 7.0, np.nan],
    }
)
ORDERS = pd.DataFrame(
    {
        "customer_id": ["a", "b", "c", "d", "e", "e", "f"],
        "order_date": [
            "2024-12-01",
            "2024-01-10",
            "2024-12-20",
            "2024-02-01",
            "2024-01-01",
            "2024-10-01",
            "2024-01-01",
        ],
    }
)


def test_complaint_summary_hand_values():
    s = complaint_summary(INTER, orders=ORDERS, by="topic")
    all_ = s.loc["all"]
    # 4 complaints over 6 customers in orders and 7 orders
    assert all_["complaints"] == 4 and all_["complaints_per_customer"] == pytest.approx(4 / 6)
    assert all_["complaints_per_1000_orders"] == pytest.approx(4000 / 7)
    assert all_["median_hours"] == 8.0  # hours 2, 6, 10, 30
    assert all_["p90_hours"] == pytest.approx(10 + 0.7 * 20)  # linear quantile at 2.7 of 0..3
    assert all_["share_resolved"] == 0.75
    assert all_["rated"] == 3 and all_["mean_satisfaction_after"] == pytest.approx(13 / 3)
    assert all_["share_recovered"] == 0.5  # i1 and i2; i5 is unrated
    assert s.loc["delivery", "complaints"] == 2


def test_complaint_summary_needs_a_base_and_complaints():
    with pytest.raises(CRMDataError, match="customer base"):
        complaint_summary(INTER)
    with pytest.raises(CRMDataError, match="no row has the value 'complaint'"):
        complaint_summary(INTER.assign(kind="inquiry"), orders=ORDERS)


def test_complainer_churn_groups():
    # as_of 2024-12-31, 180-day window -> cutoff 2024-07-04.
    # a: complaints resolved, rated 6 and 5 -> recovered; last order Dec -> kept
    # b: unresolved -> not recovered; last order Jan -> churned
    # d: complaint on 2024-11-30 is too recent -> left out of the comparison
    # non-complainers: c (Dec, kept), e (Oct, kept), f (Jan, churned) -> 1/3
    r = complainer_churn(INTER, ORDERS, as_of="2024-12-31")
    assert r["customers"].tolist() == [3, 1, 1]
    assert r["churn_rate"].tolist() == pytest.approx([1 / 3, 0.0, 1.0])
    assert r.loc["complainers: not recovered", "relative_churn"] == pytest.approx(3.0)
    assert r.attrs["excluded"]["customers whose complaints all fall in the last inactive_days"] == 1
    # a stricter recovery threshold moves a to "not recovered"
    r6 = complainer_churn(INTER, ORDERS, as_of="2024-12-31", recovered_at=6)
    assert r6["customers"].tolist() == [3, 0, 2]


def test_satisfaction_plots_return_axes():
    import matplotlib.pyplot as plt

    axes = [
        plots.plot_nps(nps([10, 9, 3])),
        plots.plot_importance_performance(importance_performance(ITEMS)),
        plots.plot_servqual_gaps(servqual_gaps(ITEMS)),
        plots.plot_expectation_simulation(expectation_simulation([2, 4, 6], n=200)),
        plots.plot_complainer_churn(complainer_churn(INTER, ORDERS, as_of="2024-12-31")),
    ]
    for ax in axes:
        assert ax.get_title() and ax.get_xlabel()
    plt.close("all")


def test_smoke_on_shipped_retail_data():
    from crmlab import datasets

    ds = datasets.load("retail")
    assert -100 <= nps(ds.surveys["recommend"]).nps <= 100
    assert len(importance_performance(ds.survey_items)) == ds.survey_items["attribute"].nunique()
    cc = complainer_churn(ds.interactions, ds.orders, as_of=ds.as_of)
    assert cc["customers"].sum() <= len(ds.customers)
