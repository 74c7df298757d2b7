"""Widgets of chapters 08 and 09: expectation management and churn management explorers."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")
import pandas as pd
import pytest

from crmlab._validate import CRMDataError
from crmlab.satisfaction import expectation_simulation
from crmlab.widgets import churn_management_explorer, expectation_explorer
from crmlab.widgets._loyalty import EXPECTATION_GRID


def numbers(text: str) -> list[float]:
    """The numbers of a readout, in order (thousands separators removed)."""
    return [float(x.replace(",", "")) for x in re.findall(r"-?\d[\d,]*\.?\d*", re.sub(r"<[^>]+>", "", text))]


def test_expectation_explorer_readout_moves_with_the_slider():
    box = expectation_explorer(expectation=3.0, true_quality=5.0, n=2000, seed=3)
    before = box.readout.value
    # the widget simulates the whole grid 1, 1.25, ..., 7 in one seeded run
    sim = expectation_simulation(EXPECTATION_GRID, true_quality=5.0, n=2000, seed=3)
    assert f"{int(sim.loc[3.0, 'first_buyers']):,}</b> first buyers" in before
    box.sliders["expectation set (1-7)"].value = 6.0
    after = box.readout.value
    assert after != before and after.startswith("<b>Expectation 6</b>")
    # a higher promise wins more first buyers (the course's point 1) ...
    assert numbers(after)[2] > numbers(before)[2]
    assert f"{int(sim.loc[6.0, 'repeat_buyers']):,}</b> repeat buyers" in after
    # ... and the figure is redrawn as a PNG in the Output widget
    assert box.output.outputs[0]["data"]["image/png"]


def test_expectation_explorer_quality_slider_moves_the_optimum():
    box = expectation_explorer(n=2000)
    low = re.search(r"Most repeat buyers at expectation (\d+(?:\.\d+)?)", box.readout.value).group(1)
    box.sliders["true quality (1-7)"].value = 6.5
    high = re.search(r"Most repeat buyers at expectation (\d+(?:\.\d+)?)", box.readout.value).group(1)
    assert float(high) > float(low)  # better quality can carry a higher promise


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"expectation": 9}, "expectation"),
        ({"true_quality": 1}, "true_quality"),
    ],
)
def test_expectation_explorer_rejects_out_of_range(kwargs, words):
    with pytest.raises(CRMDataError, match=words):
        expectation_explorer(**kwargs)


# Hand-built orders (as_of 2024-03-01):
#   a buys every 10 days: Jan 1, 11, 21, 31 -> 4 purchase days, own warning point 10 days;
#     30 days since the last purchase (2024 is a leap year) -> ratio 3.0: at risk, not on the early list
#   b buys every 30 days: Jan 1, 31 and Mar 1 -> 3 purchase days < 4 -> pooled warning point
#   c buys every 5 days: Feb 5, 10, 15, 20 -> own warning point 5; 10 days since -> ratio 2.0: early list
#   pooled gaps: 10, 10, 10, 30, 30, 5, 5, 5 -> 90th percentile = 30 (b: 0 days since, not at risk)
def hand_orders():
    days = {
        "a": ["2024-01-01", "2024-01-11", "2024-01-21", "2024-01-31"],
        "b": ["2024-01-01", "2024-01-31", "2024-03-01"],
        "c": ["2024-02-05", "2024-02-10", "2024-02-15", "2024-02-20"],
    }
    rows = [(c, d) for c, ds in days.items() for d in ds]
    return pd.DataFrame(rows, columns=["customer_id", "order_date"])


def test_churn_management_explorer_by_hand():
    clv = pd.Series({"a": 400.0, "b": 100.0, "c": 300.0})
    box = churn_management_explorer(hand_orders(), clv, as_of="2024-03-01", reduction_points=10, cost_per_point=2.0)
    text = box.readout.value
    # only c is on the early list: value at risk 300; 10 points save 30 for 1 x 2 x 10 = 20 -> net 10
    assert "<b>1</b> customers at risk" in text
    assert "value at risk <b>300</b>" in text
    assert "saves CLV 30 for a cost of 20: net benefit <b>10</b> (pays off)" in text
    assert "typical customer: 30 days" in text


def test_churn_management_explorer_multiplier_and_cost_sliders():
    clv = pd.Series({"a": 400.0, "b": 100.0, "c": 300.0})
    box = churn_management_explorer(hand_orders(), clv, as_of="2024-03-01", reduction_points=10, cost_per_point=2.0)
    box.sliders["warning point multiplier"].value = 1.5
    # warning points x 1.5: a 15 days (30 / 15 = 2.0 -> early list), c 7.5 (10 / 7.5 = 1.33)
    text = box.readout.value
    assert "<b>2</b> customers at risk" in text and "value at risk <b>700</b>" in text
    box.sliders["cost per customer per point"].value = 5.0
    # 10 points save 70 for 2 x 5 x 10 = 100 -> net -30
    assert "net benefit <b>-30</b> (does not pay off)" in box.readout.value
    assert box.output.outputs[0]["data"]["image/png"]


def test_churn_management_explorer_customers_without_clv_count_zero():
    box = churn_management_explorer(hand_orders(), pd.Series({"a": 1.0}), as_of="2024-03-01")
    assert "value at risk <b>0</b>" in box.readout.value


def test_churn_management_explorer_names_bad_input():
    with pytest.raises(CRMDataError, match="multiplier"):
        churn_management_explorer(hand_orders(), pd.Series(dtype=float), as_of="2024-03-01", multiplier=5)
    with pytest.raises(CRMDataError, match="orders.*order_date"):
        churn_management_explorer(hand_orders().drop(columns="order_date"), pd.Series(dtype=float), as_of="2024-03-01")
