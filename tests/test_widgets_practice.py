"""Tests for crmlab.widgets._practice: the explorers of chapters 10 and 11."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

from crmlab import widgets
from crmlab._validate import CRMDataError
from crmlab.acquisition import co_purchase


def sow_table():
    # four accounts in 2024: (share, wallet)
    return pd.DataFrame(
        {"share_of_wallet": [0.6, 0.1, 0.7, 0.2], "wallet": [900.0, 800.0, 100.0, 50.0]},
        index=pd.MultiIndex.from_product([list("abcd"), [2024]], names=["account_id", "year"]),
    )


def test_wallet_explorer_counts_and_moves():
    import ipywidgets as w

    box = widgets.wallet_segment_explorer(sow_table(), share_cut=0.5, wallet_cut=500)
    assert isinstance(box, w.VBox) and isinstance(box.readout, w.HTML) and isinstance(box.output, w.Output)
    text = box.readout.value
    # a defend, b grow, c maintain, d serve; b still spends 800 x (1 - 0.1) = 720 elsewhere
    assert "Defend: key account: <b>1</b>" in text and "Grow share: cross-/up-sell: <b>1</b>" in text
    assert "<b>720</b> a year with competitors" in text
    box.sliders["share-of-wallet cut"].value = 0.65
    # now a (0.6) is low share with a large wallet too: grow = a + b -> 900 x 0.4 + 720 = 1,080
    assert "Grow share: cross-/up-sell: <b>2</b>" in box.readout.value
    assert "<b>1,080</b>" in box.readout.value
    box.sliders["wallet cut (currency units/year)"].value = 0.0
    assert "Maintain efficiently: <b>0</b>" in box.readout.value


def test_wallet_explorer_default_cuts_are_medians():
    box = widgets.wallet_segment_explorer(sow_table())
    # median share (0.1, 0.2, 0.6, 0.7) = 0.4; median wallet (50, 100, 800, 900) = 450
    assert box.sliders["share-of-wallet cut"].value == pytest.approx(0.4)
    assert box.sliders["wallet cut (currency units/year)"].value == pytest.approx(450)


def test_cross_sell_explorer_reacts_to_min_lift():
    # 5 customers: a, b {tea, cups}, c {tea}, d {cake}, e {cups, cake}
    # tea <-> cups: lift (2/3) / (3/5) = 1.11; cups <-> cake: (1/3) / (2/5) = 0.83
    o = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b", "c", "d", "e", "e"],
            "category": ["tea", "cups", "tea", "cups", "tea", "cake", "cups", "cake"],
        }
    )
    box = widgets.cross_sell_explorer(o, co_purchase(o), min_lift=1.0)
    lift = box.sliders["minimum lift"]
    assert (lift.min, lift.max) == (0.83, 1.11)
    # lift >= 1: c gets cups (tea -> cups), e gets tea (cups -> tea)
    assert "Rules with lift ≥ 1.00: 2 of 4. <b>2</b> suggestions; <b>2</b> of 5 customers" in box.readout.value
    lift.value = 0.83
    # every rule: a and b get cake, c cups, d cups, e tea
    assert "Rules with lift ≥ 0.83: 4 of 4. <b>5</b> suggestions; <b>5</b> of 5 customers" in box.readout.value
    lift.value = 1.11
    assert "Rules with lift ≥ 1.11: 2 of 4. <b>2</b> suggestions" in box.readout.value


def history():
    h = pd.DataFrame(
        {"churn_rate": [0.30, 0.28, 0.25], "nps": [10.0, 12.0, 20.0], "at_risk": [40.0, 35.0, 30.0]},
        index=pd.to_datetime(["2023-12-31", "2024-06-30", "2024-12-31"]),
    )
    h.attrs.update(
        labels={
            "churn_rate": "yearly churn rate",
            "nps": "Net Promoter Score",
            "at_risk": "customers on the early-warning list",
        },
        units={"churn_rate": "share 0-1 per year", "nps": "points", "at_risk": "customers"},
    )
    return h


def test_dashboard_explorer_readout_and_change_over_a_year():
    other = history() * 2
    other.attrs = history().attrs
    box = widgets.dashboard_explorer({"shop": history(), "other": other})
    text = box.readout.value
    # 2024-12-31 against 2023-12-31: churn 25% (-5 points), NPS 20 (+10), at risk 30 (-10)
    assert "<b>shop</b>, KPI year to 2024-12-31" in text
    assert "yearly churn rate <b>25.0%</b> (-5.0 pts)" in text and "Net Promoter Score <b>20.0</b> (+10.0)" in text
    assert "customers on the early-warning list <b>30</b> (-10)" in text
    box.sliders["as of"].value = pd.Timestamp("2024-06-30")
    assert "KPI year to 2024-06-30" in box.readout.value and "(-" not in box.readout.value  # no year before
    box.sliders["dataset"].value = "other"
    assert "<b>other</b>, KPI year to 2024-12-31" in box.readout.value
    assert "yearly churn rate <b>50.0%</b> (-10.0 pts)" in box.readout.value


def test_dashboard_explorer_refuses_unknown_choices():
    with pytest.raises(CRMDataError, match="dataset"):
        widgets.dashboard_explorer({"shop": history()}, dataset="b2b")
    with pytest.raises(CRMDataError, match="as_of"):
        widgets.dashboard_explorer({"shop": history()}, as_of="2020-01-01")
    with pytest.raises(CRMDataError, match="histories"):
        widgets.dashboard_explorer({})
