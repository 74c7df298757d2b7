"""Explorers of chapters 02-04: offers, k-means segments and RFM snapshots.

Each test builds a widget, moves a control as a student would, and checks that the readout
(and the figure) follow. Expected readouts are worked out by hand in the comments.
"""

from __future__ import annotations

import pandas as pd
import pytest

from crmlab._validate import CRMDataError
from crmlab.value import compare_offers
from crmlab.widgets import offer_explorer, offer_readout, rfm_explorer, rfm_readout, segment_explorer, segment_readout

OFFERS = pd.DataFrame(
    {
        "offer": ["Store", "Outlet"],
        "product": [900, 650],
        "service": [250, 60],
        "personnel": [200, 40],
        "image": [150, 50],
        "monetary": [800, 380],
        "time": [150, 60],
        "energy": [100, 60],
        "psychic": [50, 40],
    }
)


def figure_text(box) -> str:
    (shown,) = box.output.outputs
    assert "image/png" in shown["data"]
    return shown["data"]["text/plain"]


# ---------------------------------------------------------------- offers


def test_offer_readout_names_different_winners_by_difference_and_ratio():
    # Store: 1500 - 1100 = 400, 1500/1100 = 1.36; Outlet: 800 - 540 = 260, 800/540 = 1.48
    text = offer_readout(compare_offers(OFFERS))
    assert text == (
        "Store: delivered value 400 (ratio 1.36) | Outlet: delivered value 260 (ratio 1.48) | "
        "by difference Store wins; by ratio Outlet wins."
    )


def test_offer_readout_reports_a_tie():
    same = OFFERS.assign(
        offer=["X", "Y"],
        product=[650, 650],
        service=[60, 60],
        personnel=[40, 40],
        image=[50, 50],
        monetary=[380, 380],
        time=[60, 60],
        energy=[60, 60],
        psychic=[40, 40],
    )
    assert offer_readout(compare_offers(same)).endswith("by difference X and Y tie; by ratio X and Y tie.")


def test_moving_a_price_slider_changes_readout_and_figure():
    box = offer_explorer(OFFERS)
    before = box.readout.value
    assert figure_text(box).startswith("<offers figure: Customer delivered value")
    # sliders run from 0 to 2 x 900 = 1800 (a multiple of 50)
    assert box.sliders[("Store", "product")].max == 1800
    box.sliders[("Store", "monetary")].value = 500  # Store: 1500 - 800 = 700, ratio 1500/800 = 1.875
    assert box.readout.value != before
    assert box.readout.value == (
        "Store: delivered value 700 (ratio 1.88) | Outlet: delivered value 260 "
        "(ratio 1.48) | by difference Store wins; by ratio Store wins."
    )
    # the columns show the two offers side by side, value components first
    store_column = box.children[0].children[0]
    assert [s.description for s in store_column.children[1:]] == [
        "product",
        "service",
        "personnel",
        "image",
        "monetary",
        "time",
        "energy",
        "psychic",
    ]


def test_zero_cost_is_explained_in_the_readout_not_raised():
    box = offer_explorer(OFFERS)
    for c in ("monetary", "time", "energy", "psychic"):
        box.sliders[("Outlet", c)].value = 0
    assert "total customer cost is 0" in box.readout.value


def test_offer_explorer_refuses_a_single_offer_and_a_short_slider_range():
    with pytest.raises(CRMDataError, match="table 'offers'.*two offers"):
        offer_explorer(OFFERS.iloc[:1])
    with pytest.raises(CRMDataError, match="max_value"):
        offer_explorer(OFFERS, max_value=100)
    with pytest.raises(CRMDataError, match="table 'offers'.*'monetary'"):
        offer_explorer(OFFERS.drop(columns="monetary"))


# ---------------------------------------------------------------- segments

FEATURES = pd.DataFrame(
    {"spend": [0, 0.1, 0.2, 10, 10.1, 10.2, 20.0, 20.1], "visits": [1.0, 1.1, 0.9, 5.0, 5.1, 4.9, 9.0, 9.2]},
    index=list("abcdefgh"),
)


def test_segment_explorer_refits_when_k_moves():
    box = segment_explorer(FEATURES, 2, ks=range(2, 5), seed=1)
    assert box.readout.value.startswith("k = 2 segments")
    assert figure_text(box) == "<segment profiles: Segment profiles: how each segment differs from the average>"
    box.sliders["segments k"].value = 3
    # three tight groups of 3, 3 and 2 customers: sizes 38%, 38%, 25%, well separated
    assert box.readout.value.startswith("k = 3 segments: mean silhouette 0.9")
    assert box.readout.value.endswith("sizes 38%, 38%, 25%.")


def test_segment_readout_states_k_silhouette_and_sizes():
    from crmlab.segmentation import kmeans_segments

    result = kmeans_segments(FEATURES, 3, seed=0)
    text = segment_readout(result)
    assert text.startswith("k = 3 segments: mean silhouette ")
    assert f"{result.silhouette:.2f}" in text


@pytest.mark.parametrize(
    ("ks", "k", "words"),
    [
        ([2, 4], 2, "consecutive integers"),
        (range(2, 5), 7, "parameter 'k'"),
        ([1, 2], 2, "parameter 'ks'"),
    ],
)
def test_segment_explorer_refuses_bad_choices_of_k(ks, k, words):
    with pytest.raises(CRMDataError, match=words):
        segment_explorer(FEATURES, k, ks=ks)


# ---------------------------------------------------------------- RFM


def small_orders() -> pd.DataFrame:
    # a: Jan 15, May 14, Jul 13; b: Feb 4, Jun 3; c: Feb 24, Jun 23; d: Mar 15; e: Apr 4; f: Apr 24
    return pd.DataFrame(
        {
            "customer_id": list("abcdefabca"),
            "amount": [10.0] * 10,
            "order_date": pd.date_range("2024-01-15", periods=10, freq="20D"),
        }
    )


def test_rfm_readout_counts_champions_and_their_spend():
    s = pd.DataFrame({"monetary": [300.0, 100.0, 100.0, 0.0]}, index=list("abcd"))
    s.attrs["as_of"] = pd.Timestamp("2024-12-31")
    seg = pd.Series(["Champions", "Champions", "Lost", "Lost"], index=list("abcd"))
    # 2 of 4 customers = 50 %, (300 + 100) / 500 = 80 % of spend
    assert rfm_readout(s, seg) == (
        "As of 2024-12-31: 4 customers scored; Champions: 2 (50% of customers) bring 80% of spend."
    )
    assert "Lost: 2 (50% of customers) bring 20% of spend" in rfm_readout(s, seg, focus="Lost")


def test_moving_the_as_of_date_changes_the_readout():
    box = rfm_explorer(small_orders(), as_of="2024-07-31")
    # quarter ends after the first order, then as_of: 2024-03-31, 2024-06-30, 2024-07-31
    assert box.sliders["as of"].options == ("2024-03-31", "2024-06-30", "2024-07-31")
    # On Jul 31: a is the only R=5 F=5 customer (3 orders, last Jul 13): 1 of 6, 30 of 100 spend
    assert box.readout.value == (
        "As of 2024-07-31: 6 customers scored; Champions: 1 (17% of customers) bring 30% of spend."
    )
    assert figure_text(box) == "<RFM heatmap: RFM grid: customers by recency and frequency score>"
    box.sliders["as of"].value = "2024-06-30"
    assert box.readout.value.startswith("As of 2024-06-30: 6 customers scored")
    box.sliders["cells show"].value = "mean monetary"
    assert "mean monetary" in figure_text(box)


def test_too_early_a_date_is_explained_in_the_readout():
    box = rfm_explorer(small_orders(), as_of="2024-07-31")
    box.sliders["as of"].value = "2024-03-31"  # only 4 customers (a, b, c, d): cannot fill 5 score levels
    assert box.readout.value.startswith("As of 2024-03-31: table 'rfm': 4 customer(s) cannot be split")
    assert box.output.outputs == ()


def test_rfm_explorer_passes_column_names_and_refuses_bad_input():
    orders = small_orders().rename(columns={"customer_id": "account_id"})
    box = rfm_explorer(orders, as_of="2024-07-31", rfm_options={"customer": "account_id"})
    assert "6 customers scored" in box.readout.value
    with pytest.raises(CRMDataError, match="parameter 'show'"):
        rfm_explorer(small_orders(), as_of="2024-07-31", show="median")
    with pytest.raises(CRMDataError, match="only one 'QE' period"):
        rfm_explorer(small_orders(), as_of="2024-03-01")
    with pytest.raises(CRMDataError, match="table 'orders'.*'customer_id'"):
        rfm_explorer(orders, as_of="2024-07-31")
