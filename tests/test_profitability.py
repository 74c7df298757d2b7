"""Customer profitability (客户盈利能力): traditional allocation, ABC, time-driven ABC, whale curve."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from crmlab._validate import CRMDataError  # noqa: E402
from crmlab.plots import plot_profit_comparison, plot_whale_curve  # noqa: E402
from crmlab.profitability import (  # noqa: E402
    activity_based_profit,
    time_driven_abc,
    traditional_allocation,
    whale_curve,
)


@pytest.fixture
def two_accounts():
    orders = pd.DataFrame(
        {
            "account_id": ["X", "X", "Y", "Y"],
            "amount": [6000.0, 4000.0, 10000.0, 900.0],
            "gross_margin": [1800.0, 1200.0, 3000.0, 300.0],
            "returned": [False, False, False, True],
        }
    )
    activities = pd.DataFrame(
        {
            "account_id": ["X", "X", "X", "Y"],
            "activity": ["sales_visit", "sales_visit", "rush_order", "sales_visit"],
            "quantity": [12, 8, 5, 2],
        }
    )
    rates = pd.DataFrame(
        {"activity": ["sales_visit", "rush_order"], "unit_cost": [100.0, 150.0], "unit_minutes": [90.0, 30.0]}
    )
    return orders, activities, rates


def test_activity_based_profit_worked_example(two_accounts):
    orders, activities, rates = two_accounts
    t = activity_based_profit(orders, activities, rates)
    # X: revenue 6000 + 4000 = 10000, gross margin 1800 + 1200 = 3000 (cost of goods 7000);
    #    visits 12 + 8 = 20 x 100 = 2000, rush orders 5 x 150 = 750 -> cost to serve 2750, profit 3000 - 2750 = 250
    # Y: revenue 10000 (the returned 900 order is excluded), margin 3000;
    #    visits 2 x 100 = 200 -> profit 3000 - 200 = 2800
    assert t.loc["X", ["revenue", "cost_of_goods", "gross_margin"]].tolist() == [10000, 7000, 3000]
    assert t.loc["X", ["cost_sales_visit", "cost_rush_order", "cost_to_serve", "profit"]].tolist() == [
        2000,
        750,
        2750,
        250,
    ]
    assert t.loc["Y", ["cost_sales_visit", "cost_rush_order", "cost_to_serve", "profit"]].tolist() == [
        200,
        0,
        200,
        2800,
    ]
    assert t.attrs["excluded"]["returned orders"] == 1
    # the same 2950 of indirect cost spread by revenue share (10000 each): 1475 each -> both earn 1525
    trad = traditional_allocation(orders, 2950.0)
    assert trad["profit"].tolist() == [1525.0, 1525.0]


def test_customer_with_activities_but_no_orders_costs_money(two_accounts):
    orders, activities, rates = two_accounts
    more = pd.concat([activities, pd.DataFrame({"account_id": ["Z"], "activity": ["sales_visit"], "quantity": [3]})])
    t = activity_based_profit(orders, more, rates)
    assert t.loc["Z", ["revenue", "profit"]].tolist() == [0.0, -300.0]


def test_traditional_allocation_by_revenue_and_direct_cost():
    o = pd.DataFrame({"account_id": ["X", "Y"], "amount": [10000.0, 5000.0], "gross_margin": [2000.0, 2000.0]})
    by_rev = traditional_allocation(o, 3000.0)
    # shares of revenue 10000 / 15000 and 5000 / 15000 -> 2000 and 1000 of the 3000
    assert by_rev["indirect_cost"].tolist() == pytest.approx([2000.0, 1000.0])
    assert by_rev["profit"].tolist() == pytest.approx([0.0, 1000.0])
    by_cost = traditional_allocation(o, 3000.0, basis="direct_cost")
    # direct cost (cost of goods) 8000 and 3000 of 11000
    assert by_cost["indirect_cost"].tolist() == pytest.approx([3000 * 8 / 11, 3000 * 3 / 11])
    with pytest.raises(CRMDataError, match="basis"):
        traditional_allocation(o, 3000.0, basis="headcount")


def test_missing_cost_driver_named(two_accounts):
    orders, activities, rates = two_accounts
    with pytest.raises(CRMDataError, match=r"table 'activity_rates': no cost driver rate for activity 'rush_order'"):
        activity_based_profit(orders, activities, rates[rates.activity != "rush_order"])
    with pytest.raises(CRMDataError, match=r"no cost driver rate for activity 'rush_order'"):
        time_driven_abc(
            activities,
            rates[rates.activity != "rush_order"],
            pd.DataFrame({"department": ["d"], "annual_cost": [1.0], "practical_minutes": [1.0]}),
        )


def test_tdabc_kaplan_anderson_2004():
    # Kaplan & Anderson (2004), "Time-Driven Activity-Based Costing", HBR 82(11): a customer service
    # department costs $560,000 a quarter and supplies 700,000 practical minutes -> $0.80 per minute.
    # Orders take 8 minutes ($6.40), inquiries 44 ($35.20), credit checks 50 ($40.00). In the quarter,
    # 49,000 orders, 1,400 inquiries and 2,500 credit checks use 392,000 + 61,600 + 125,000 = 578,600
    # minutes ($462,880), 83% of capacity; 121,400 minutes ($97,120) stay unused.
    acts = pd.DataFrame(
        {
            "account_id": ["all"] * 3,
            "activity": ["order", "inquiry", "credit_check"],
            "quantity": [49_000, 1_400, 2_500],
        }
    )
    rates = pd.DataFrame({"activity": ["order", "inquiry", "credit_check"], "unit_minutes": [8.0, 44.0, 50.0]})
    cap = pd.DataFrame(
        {"department": ["customer service"], "annual_cost": [4 * 560_000.0], "practical_minutes": [4 * 700_000.0]}
    )
    t = time_driven_abc(acts, rates, cap, years=0.25)
    c = t.capacity.loc["customer service"]
    assert c["cost_per_minute"] == pytest.approx(0.80)
    assert t.rates["driver_rate"].to_dict() == pytest.approx({"order": 6.40, "inquiry": 35.20, "credit_check": 40.00})
    assert c["minutes_used"] == 578_600 and c["cost_used"] == pytest.approx(462_880)
    assert t.unused_minutes == 121_400 and t.unused_cost == pytest.approx(97_120)
    assert c["utilisation"] == pytest.approx(0.83, abs=0.005)
    assert t.by_customer.loc["all", "cost_to_serve"] == pytest.approx(462_880)


def test_tdabc_two_departments_and_rates_feed_abc(two_accounts):
    orders, activities, rates = two_accounts
    cap = pd.DataFrame(
        {"department": ["sales", "logistics"], "annual_cost": [36000.0, 6000.0], "practical_minutes": [3600.0, 600.0]}
    )
    with pytest.raises(CRMDataError, match=r"missing column 'department'"):
        time_driven_abc(activities, rates, cap)
    r = rates.assign(department=["sales", "logistics"])
    t = time_driven_abc(activities, r, cap)
    # sales: 36000 / 3600 = 10 per minute; a visit takes 90 minutes -> 900; 22 visits x 90 = 1980 of 3600 minutes
    # logistics: 6000 / 600 = 10 per minute; a rush order 30 minutes -> 300; 5 x 30 = 150 of 600 minutes
    assert t.rates["driver_rate"].to_dict() == {"sales_visit": 900.0, "rush_order": 300.0}
    assert t.capacity["unused_minutes"].to_dict() == {"sales": 1620.0, "logistics": 450.0}
    assert t.unused_cost == pytest.approx(16200 + 4500)
    mapped = time_driven_abc(activities, rates, cap, departments={"sales_visit": "sales", "rush_order": "logistics"})
    pd.testing.assert_frame_equal(mapped.capacity, t.capacity)
    with pytest.raises(CRMDataError, match=r"not in table 'capacity'"):
        time_driven_abc(activities, rates, cap, departments={"sales_visit": "sales", "rush_order": "shipping"})
    abc = activity_based_profit(orders, activities, t.rates.reset_index(), rate="driver_rate")
    assert abc.loc["X", "cost_to_serve"] == 20 * 900 + 5 * 300


def test_whale_curve_by_hand():
    w = whale_curve(pd.Series({"a": 500.0, "b": 300.0, "c": 200.0, "d": -100.0, "e": -400.0}))
    # total 500; cumulative 500, 800, 1000, 900, 500 -> 100%, 160%, 200%, 180%, 100%
    assert w.table["cumulative_share"].tolist() == pytest.approx([1.0, 1.6, 2.0, 1.8, 1.0])
    assert (w.peak_share, w.peak_customer_share) == pytest.approx((2.0, 0.6))
    assert w.share_unprofitable == pytest.approx(0.4) and w.profit_destroyed == 500.0
    assert w.top_share(0.4) == pytest.approx(1.6)  # "the top 40% earn 160% of profit"
    with pytest.raises(CRMDataError, match="not positive"):
        whale_curve(pd.Series({"a": 1.0, "b": -2.0}))


def test_whale_curve_takes_abc_table_and_plots(two_accounts):
    orders, activities, rates = two_accounts
    abc = activity_based_profit(orders, activities, rates)
    w = whale_curve(abc)
    assert w.total_profit == 250 + 2800
    trad = traditional_allocation(orders, 2950.0)
    for ax in (plot_whale_curve(w), plot_profit_comparison(trad, abc)):
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
        plt.close(ax.figure)
