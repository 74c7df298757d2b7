"""Tests for crmlab.widgets._clv: the retention-model CLV explorer of chapter 05."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest

from crmlab import widgets
from crmlab._validate import CRMDataError


def parts(box):
    retention, margin, discount, readout, out = box.children
    return retention, margin, discount, readout, out


def test_layout_and_starting_readout():
    import ipywidgets as w

    box = widgets.retention_clv_explorer(100, 0.8, 0.1)
    assert isinstance(box, w.VBox)
    retention, margin, discount, readout, out = parts(box)
    assert [s.description for s in (retention, margin, discount)] == ["retention", "margin", "discount"]
    assert all(isinstance(s, w.FloatSlider) for s in (retention, margin, discount))
    assert isinstance(readout, w.HTML) and isinstance(out, w.Output)
    # Gupta & Lehmann (2003): 100 * 0.8 / (1 + 0.1 - 0.8) = 266.67, multiple 0.8 / 0.3 = 2.67
    assert readout.value.startswith("CLV = 266.67 currency units (margin multiple 2.67")
    assert margin.max == 300  # default right end: 3 x the starting margin


def test_moving_a_slider_changes_the_readout():
    box = widgets.retention_clv_explorer(100, 0.8, 0.1)
    retention, margin, discount, readout, _ = parts(box)
    before = readout.value
    retention.value = 0.9
    # 100 * 0.9 / (1.1 - 0.9) = 450; multiple 4.50
    assert readout.value != before
    assert readout.value.startswith("CLV = 450.00 currency units (margin multiple 4.50")
    discount.value = 0.0
    # 100 * 0.9 / (1 - 0.9) = 900: without discount the value doubles
    assert readout.value.startswith("CLV = 900.00")
    margin.value = 200
    assert readout.value.startswith("CLV = 1,800.00")


def test_readout_share_of_first_periods_hand_computed():
    # share earned in the first n periods = 1 - (r/(1+d))**n; r = 0.5, d = 0: 1 - 0.5**3 = 87.5 % -> "88%"
    text = widgets.retention_clv_readout(10, 0.5, 0.0, periods=3)
    assert text == (
        "CLV = 10.00 currency units (margin multiple 1.00 = r/(1+d-r)); 88% of it is earned in the first 3 periods."
    )
    assert widgets.retention_clv_readout(10, 0.0, 0.1).endswith("all of it is earned in the first 10 periods.")


def test_figure_is_redrawn_in_the_output_widget():
    import base64

    box = widgets.retention_clv_explorer(100, 0.8, 0.1, periods=5)
    out = box.children[4]
    (first,) = out.outputs
    assert first["data"]["text/plain"] == "<CLV figure: CLV period by period (retention 80%, discount 10%)>"
    png = base64.b64decode(first["data"]["image/png"])
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    box.children[0].value = 0.6
    (second,) = out.outputs  # replaced, not appended
    assert second["data"]["text/plain"] == "<CLV figure: CLV period by period (retention 60%, discount 10%)>"
    assert second["data"]["image/png"] != first["data"]["image/png"]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"retention": 0.99}, "retention"),
        ({"discount": 0.5}, "discount"),
        ({"margin": -5}, "margin"),
        ({"periods": 0}, "periods"),
        ({"margin": 100, "max_margin": 50}, "max_margin"),
    ],
)
def test_bad_starting_values_are_refused_by_name(kwargs, name):
    with pytest.raises(CRMDataError, match=f"'{name}'"):
        widgets.retention_clv_explorer(**kwargs)


def test_chapter_05_widget_opens_on_the_chapters_own_numbers():
    # chapter 05 computes the b2b account's net margin and retention, prints the CLV readout, then
    # opens the explorer on the same values: its first readout must be the printed one
    import json
    from pathlib import Path

    from crmlab import datasets, loyalty, profitability

    nb = json.loads(
        (Path(__file__).resolve().parent.parent / "notebooks" / "05_customer_lifetime_value.ipynb").read_text(
            encoding="utf-8"
        )
    )
    printed = [
        o
        for c in nb["cells"]
        if c["cell_type"] == "code" and "retention_clv_readout" in "".join(c["source"])
        for o in c["outputs"]
        if o.get("output_type") == "stream"
    ]
    line = "".join(printed[0]["text"]).strip()
    b2b = datasets.load("b2b")
    r = loyalty.retention_rates(b2b.orders, customer="account_id", freq="YE").loc["2024", "retention"]
    o24 = b2b.orders[b2b.orders["order_date"].dt.year == 2024]
    a24 = b2b.activities[b2b.activities["date"].dt.year == 2024]
    m = (
        profitability.activity_based_profit(o24, a24, b2b.activity_rates)
        .loc[o24["account_id"].unique(), "profit"]
        .mean()
    )
    box = widgets.retention_clv_explorer(margin=m, retention=r, discount=0.10)
    assert box.children[3].value == line
    assert box.children[0].value == r and box.children[1].value == m
