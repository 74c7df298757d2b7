"""Tests for crmlab.acquisition: acquisition quality, share of wallet, cross- and up-selling."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmlab import plots
from crmlab._validate import CRMDataError
from crmlab.acquisition import (
    acquisition_quality,
    co_purchase,
    next_best_category,
    share_of_wallet,
    upsell_candidates,
    wallet_allocation_rule,
    wallet_segments,
)

CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["a", "b", "c", "d"],
        "acquisition_channel": ["web", "web", "store", "store"],
        "acquisition_cost": [50.0, 30.0, 10.0, 20.0],
        "signup_date": ["2023-01-01", "2023-01-01", "2023-06-01", "2024-06-01"],
    }
)
ORDERS = pd.DataFrame(
    {
        "customer_id": ["a", "a", "b", "c", "c", "d", "a"],
        "order_date": [
            "2023-02-01",
            "2024-02-01",
            "2023-03-01",
            "2023-07-01",
            "2024-07-01",
            "2024-07-01",
            "2023-05-01",
        ],
        "amount": [200.0, 100.0, 60.0, 40.0, 80.0, 90.0, 999.0],
        "gross_margin": [80.0, 40.0, 20.0, 15.0, 30.0, 35.0, 500.0],
        "returned": [False, False, False, False, False, False, True],
    }
)


def test_acquisition_quality_hand_values():
    q = acquisition_quality(CUSTOMERS, ORDERS, as_of="2024-12-31")
    web, store, all_ = q.loc["web"], q.loc["store"], q.loc["all"]
    assert web["acquisition_cost"] == 40.0 and store["acquisition_spend"] == 30.0
    # web: first-year margins a 80, b 20 -> equity (80-50) + (20-30) = 20, per customer 10
    assert web["acquisition_equity"] == 10.0 and web["acquisition_equity_total"] == 20.0
    assert web["cost_share_of_margin"] == pytest.approx(80 / 100)
    # second year (days 365..730): a bought 100 -> retained 1 of 2, retention revenue 50 per customer
    assert web["retained_share"] == 0.5 and web["retention_revenue"] == 50.0
    assert web["cost_to_retention_revenue"] == pytest.approx(40 / 50)
    # store: d signed up 2024-06-01, first year not over -> only c matured; c's second year not over
    assert store["matured"] == 1 and store["matured_2"] == 0
    assert store["acquisition_equity"] == pytest.approx(15 - 10)
    # new-customer revenue: first-year orders a 200, b 60, c 40, d 90 = 390 of 570 (returns excluded)
    assert all_["new_revenue_share"] == pytest.approx(390 / 570)
    assert web["new_revenue_share"] + store["new_revenue_share"] == pytest.approx(all_["new_revenue_share"])
    assert q.attrs["excluded"]["returned orders"] == 1
    assert q.attrs["excluded"]["customers whose first period is not over by as_of"] == 1


def test_acquisition_equity_share_of_clv():
    clv = pd.Series({"a": 100.0, "b": 100.0, "c": 50.0, "d": 50.0})
    q = acquisition_quality(CUSTOMERS, ORDERS, clv=clv, as_of="2024-12-31")
    assert q.loc["web", "equity_share_of_clv"] == pytest.approx(10 / 100)
    with pytest.raises(CRMDataError, match="have no CLV"):
        acquisition_quality(CUSTOMERS, ORDERS, clv=clv.drop("a"))


def test_acquisition_quality_unknown_customer():
    bad = pd.concat([ORDERS, ORDERS.iloc[[0]].assign(customer_id="zz")])
    with pytest.raises(CRMDataError, match="table 'orders', column 'customer_id'.*not found in 'customers'"):
        acquisition_quality(CUSTOMERS, bad)


WALLETS = pd.DataFrame(
    {
        "account_id": ["x", "y", "x", "z"],
        "year": [2023, 2023, 2024, 2024],
        "category_spend": [1000.0, 400.0, 800.0, 0.0],
    }
)
B2B_ORDERS = pd.DataFrame(
    {
        "account_id": ["x", "x", "y", "x", "q"],
        "order_date": ["2023-02-01", "2023-09-01", "2023-05-01", "2024-03-01", "2024-03-01"],
        "amount": [100.0, 150.0, 500.0, 80.0, 10.0],
        "returned": [False, False, False, False, False],
    }
)


def test_share_of_wallet_per_account_year():
    s = share_of_wallet(B2B_ORDERS, WALLETS)
    assert s.loc[("x", 2023), "share_of_wallet"] == 0.25  # 250 / 1000
    assert s.loc[("y", 2023), "share_of_wallet"] == 1.25  # over the estimate: kept and counted
    assert s.loc[("x", 2024), "share_of_wallet"] == 0.1
    assert np.isnan(s.loc[("z", 2024), "share_of_wallet"])  # no wallet, no share
    assert s.attrs["over_wallet"] == 1
    assert s.attrs["excluded"]["orders in customer-years without a wallet estimate"] == 1  # q
    with pytest.raises(CRMDataError, match="table 'wallets'.*duplicate"):
        share_of_wallet(B2B_ORDERS, pd.concat([WALLETS, WALLETS.iloc[[0]]]))


def test_wallet_segments_strategies():
    sow = pd.DataFrame(
        {"share_of_wallet": [0.6, 0.1, 0.7, 0.2, 0.3], "wallet": [900.0, 800.0, 100.0, 50.0, 1.0]},
        index=pd.MultiIndex.from_arrays([list("abcde"), [2024] * 4 + [2023]]),
    )
    seg = wallet_segments(sow, share_cut=0.5, wallet_cut=500)
    assert seg["segment"].to_dict() == {
        "a": "Defend: key account",
        "b": "Grow share: cross-/up-sell",
        "c": "Maintain efficiently",
        "d": "Serve at low cost",
    }
    assert seg.attrs["year"] == 2024
    with pytest.raises(CRMDataError, match="year"):
        wallet_segments(sow, year=2020)


def test_wallet_allocation_rule_hand_values():
    # Keiningham et al. (2011): SOW = (1 - rank/(N+1)) * 2/N
    assert wallet_allocation_rule(1, 1) == 1.0
    assert wallet_allocation_rule(1, 2) == pytest.approx(2 / 3)  # (1 - 1/3) * 1
    assert wallet_allocation_rule(2, 2) == pytest.approx(1 / 3)
    assert wallet_allocation_rule(2, 4) == pytest.approx((1 - 2 / 5) * 0.5)  # 0.3
    with pytest.raises(CRMDataError, match="rank"):
        wallet_allocation_rule(5, 4)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 40))
def test_wallet_allocation_shares_sum_to_one_and_fall_with_rank(n):
    s = wallet_allocation_rule(np.arange(1, n + 1), n)
    assert s.sum() == pytest.approx(1.0)
    assert np.all(np.diff(s) < 0)


BASKETS = pd.DataFrame(
    {
        "order_id": ["o1", "o1", "o2", "o2", "o3", "o4", "o4"],
        "customer_id": ["a", "a", "b", "b", "a", "c", "c"],
        "category": ["tea", "cups", "tea", "cake", "cake", "cups", "cake"],
    }
)


def test_co_purchase_support_confidence_lift_hand_example():
    # baskets: {tea, cups}, {tea, cake}, {cake}, {cups, cake}; N = 4
    r = co_purchase(BASKETS, level="basket").set_index(["antecedent", "consequent"])
    # tea -> cups: both 1 -> support 1/4, confidence 1/2, lift (1/2) / (2/4) = 1
    assert r.loc[("tea", "cups"), ["support", "confidence", "lift"]].tolist() == pytest.approx([0.25, 0.5, 1.0])
    # cups -> cake: both 1, n(cups) 2, n(cake) 3 -> confidence 1/2, lift (1/2)/(3/4) = 2/3
    assert r.loc[("cups", "cake"), "lift"] == pytest.approx(2 / 3)
    # customers: a {tea, cups, cake}, b {tea, cake}, c {cups, cake}; tea -> cake: 2/3 support, conf 1
    c = co_purchase(BASKETS).set_index(["antecedent", "consequent"])
    assert c.loc[("tea", "cake"), ["support", "confidence", "lift"]].tolist() == pytest.approx([2 / 3, 1.0, 1.0])
    assert r.attrs["transactions"] == 4 and c.attrs["transactions"] == 3


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcdef"), st.sampled_from(["x", "y", "z", "w"])), min_size=2, max_size=40))
def test_co_purchase_lift_is_symmetric(rows):
    o = pd.DataFrame(rows, columns=["customer_id", "category"])
    r = co_purchase(o)
    if len(r):
        back = r.set_index(["consequent", "antecedent"])["lift"]
        fwd = r.set_index(["antecedent", "consequent"])["lift"]
        assert np.allclose(fwd.sort_index().to_numpy(), back.sort_index().to_numpy())
        assert (r["confidence"] <= 1 + 1e-12).all()


def test_next_best_category_never_suggests_what_was_bought():
    o = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b", "c", "d", "d", "e"],
            "category": ["tea", "cups", "tea", "cups", "tea", "cake", "cups", "cake"],
        }
    )
    rules = co_purchase(o)
    nb = next_best_category(o, rules, min_lift=0.0, metric="confidence")
    bought = set(map(tuple, o[["customer_id", "category"]].to_numpy()))
    assert not any((c, i) in bought for c, i in nb[["customer_id", "category"]].to_numpy())
    # c bought tea only: tea -> cups has confidence 2/3, tea -> cake has none
    top_c = nb.loc[nb["customer_id"] == "c"].iloc[0]
    assert (top_c["category"], top_c["because"]) == ("cups", "tea")
    assert top_c["score"] == pytest.approx(2 / 3)
    # e bought cake: cake -> cups confidence 1/2
    assert nb.loc[nb["customer_id"] == "e", "category"].tolist()[0] == "cups"


def test_upsell_candidates_by_segment():
    o = pd.DataFrame(
        {
            "customer_id": list("aaabbbcdeeef"),
            "amount": [10.0, 10.0, 10.0, 50.0, 50.0, 50.0, 40.0, 60.0, 300.0, 300.0, 300.0, 500.0],
        }
    )
    seg = pd.Series({"a": "small", "b": "small", "c": "small", "d": "small", "e": "big", "f": "big"})
    u = upsell_candidates(o, seg)
    # small: median orders 2, median AOV (10, 50, 40, 60) -> 45; a orders 3 >= 2 and 10 < 0.75*45
    assert u.index.tolist() == ["a"]
    assert u.loc["a", "potential"] == pytest.approx((45 - 10) * 3)
    with pytest.raises(CRMDataError, match="have no segment"):
        upsell_candidates(o, seg.drop("a"))


def test_acquisition_plots_return_axes():
    import matplotlib.pyplot as plt

    sow = pd.DataFrame(
        {"share_of_wallet": [0.6, 0.1], "wallet": [900.0, 80.0]},
        index=pd.MultiIndex.from_arrays([list("ab"), [2024] * 2]),
    )
    for ax in (
        plots.plot_acquisition_quality(acquisition_quality(CUSTOMERS, ORDERS)),
        plots.plot_wallet_segments(wallet_segments(sow)),
        plots.plot_lift_heatmap(co_purchase(BASKETS, level="basket")),
    ):
        assert ax.get_title() and ax.get_ylabel()
    plt.close("all")


def test_smoke_on_shipped_b2b_data():
    from crmlab import datasets

    b = datasets.load("b2b")
    s = share_of_wallet(b.orders, b.wallets)
    assert len(s) == len(b.wallets)
    assert (s["share_of_wallet"].dropna() >= 0).all()
