"""Customer value (客户价值): Kotler's delivered value and perceived benefits vs sacrifices."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from crmlab._validate import CRMDataError  # noqa: E402
from crmlab.plots import plot_offers  # noqa: E402
from crmlab.value import compare_offers, delivered_value, perceived_value  # noqa: E402


def test_delivered_value_by_hand():
    d = delivered_value(product=800, service=120, personnel=50, image=30, monetary=600, time=80, energy=20, psychic=100)
    # TCV = 800 + 120 + 50 + 30 = 1000; TCC = 600 + 80 + 20 + 100 = 800
    assert d.total_value == 1000 and d.total_cost == 800
    assert d.delivered_value == 200  # 1000 - 800
    assert d.value_ratio == pytest.approx(1.25)  # 1000 / 800


def test_delivered_value_refuses_bad_components():
    with pytest.raises(CRMDataError, match="'time' = -5"):
        delivered_value(product=1, service=1, personnel=1, image=1, monetary=1, time=-5)
    with pytest.raises(CRMDataError, match="total customer cost is 0"):
        delivered_value(product=1, service=1, personnel=1, image=1, monetary=0)


def _offers():
    return pd.DataFrame(
        {
            "offer": ["premium", "budget", "online"],
            "product": [700, 400, 450],
            "service": [200, 50, 60],
            "personnel": [100, 30, 0],
            "image": [100, 20, 40],
            "monetary": [800, 350, 380],
            "time": [50, 60, 10],
            "energy": [30, 40, 10],
            "psychic": [20, 10, 40],
        }
    )


def test_compare_offers_ranks_by_difference_and_ratio():
    t = compare_offers(_offers())
    # premium: TCV 1100, TCC 900 -> 200, 1.222; budget: 500, 460 -> 40, 1.087; online: 550, 440 -> 110, 1.25
    assert t["total_customer_value"].tolist() == [1100, 500, 550]
    assert t["total_customer_cost"].tolist() == [900, 460, 440]
    assert t["delivered_value"].tolist() == [200, 40, 110]
    assert t["rank"].tolist() == [1, 3, 2]
    assert t["rank_by_ratio"].tolist() == [2, 3, 1]  # the ratio prefers the online offer


def test_compare_offers_errors():
    with pytest.raises(CRMDataError, match=r"table 'offers'.*missing column\(s\) 'psychic'"):
        compare_offers(_offers().drop(columns="psychic"))
    with pytest.raises(CRMDataError, match=r"table 'offers', column 'image'.*negative"):
        compare_offers(_offers().assign(image=[-1, 0, 0]))
    zero = _offers().assign(monetary=0, time=0, energy=0, psychic=0)
    with pytest.raises(CRMDataError, match="total customer cost is 0"):
        compare_offers(zero)


def test_perceived_value_by_hand():
    pv = perceived_value(
        {"quality": 6, "support": 3},
        {"price": 4, "risk": 2, "effort": 6},
        benefits_weights={"quality": 2, "support": 1},
        sacrifices_weights={"price": 2, "risk": 1, "effort": 1},
    )
    # benefits: (2*6 + 1*3) / 3 = 5; sacrifices: (2*4 + 1*2 + 1*6) / 4 = 4
    assert pv.benefits == pytest.approx(5.0) and pv.sacrifices == pytest.approx(4.0)
    assert pv.net_value == pytest.approx(1.0) and pv.ratio == pytest.approx(1.25)
    assert pv.table.groupby("side")["weight"].sum().tolist() == pytest.approx([1.0, 1.0])
    with pytest.raises(CRMDataError, match="items differ"):
        perceived_value({"quality": 6}, {"price": 4}, benefits_weights={"design": 1})


def test_offer_plot():
    ax = plot_offers(compare_offers(_offers()))
    assert ax.get_title() and "currency" in ax.get_ylabel() and ax.get_xlabel()
    plt.close(ax.figure)
