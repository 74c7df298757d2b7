"""Customer segmentation (客户细分): concentration, ABC, pyramid and k-means."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from crmlab._validate import CRMDataError  # noqa: E402
from crmlab.plots import plot_elbow, plot_lorenz, plot_pareto, plot_pyramid, plot_segment_profile  # noqa: E402
from crmlab.segmentation import (  # noqa: E402
    abc_classes,
    compare_segmentations,
    concentration,
    customer_features,
    customer_pyramid,
    elbow,
    gini,
    kmeans_segments,
    lorenz_curve,
    pareto_table,
    silhouette,
    tier_summary,
    top_share,
    value_segments,
)

values_strategy = st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=80).filter(lambda v: sum(v) > 0)


@settings(max_examples=50, deadline=None)
@given(values_strategy)
def test_shares_sum_to_one_and_curve_ends_at_one(values):
    t = pareto_table(pd.Series(values, index=[f"c{i}" for i in range(len(values))]))
    assert t["share"].sum() == pytest.approx(1.0)
    assert t["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    assert (np.diff(t["cumulative_share"]) >= -1e-12).all()
    g = gini(pd.Series(values))
    assert -1e-12 <= g <= (len(values) - 1) / len(values) + 1e-12


def test_pareto_from_orders_sums_per_customer():
    orders = pd.DataFrame({"customer_id": ["a", "b", "a", "c"], "amount": [10.0, 30.0, 40.0, 20.0]})
    t = pareto_table(orders)
    # a = 10 + 40 = 50 of 100, b = 30, c = 20
    assert t.index.tolist() == ["a", "b", "c"]
    assert t["cumulative_share"].tolist() == pytest.approx([0.5, 0.8, 1.0])


def test_top_share_by_hand():
    v = pd.Series({"a": 70.0, "b": 10.0, "c": 10.0, "d": 5.0, "e": 5.0})
    assert top_share(v, 0.2) == pytest.approx(0.7)  # 1 of 5 customers holds 70 of 100
    # 30% lies halfway between 20% (70%) and 40% (80%) of customers -> 75%
    assert top_share(v, 0.3) == pytest.approx(0.75)
    assert top_share(v, 1.0) == pytest.approx(1.0)
    c = concentration(v, tops=(0.2,))
    assert c["top 20% share"] == pytest.approx(0.7)


def test_gini_hand_examples():
    assert gini(pd.Series([5.0] * 7)) == pytest.approx(0.0)
    for n in (2, 5, 10):
        assert gini(pd.Series([0.0] * (n - 1) + [9.0])) == pytest.approx((n - 1) / n)
    # [1, 2, 3, 4]: sum over pairs |xi - xj| = 1+2+3+1+2+1 = 10, both orders 20;
    # G = 20 / (2 * n^2 * mean) = 20 / (2 * 16 * 2.5) = 0.25
    assert gini(pd.Series([4.0, 1.0, 3.0, 2.0])) == pytest.approx(0.25)
    lc = lorenz_curve(pd.Series([1.0, 2.0, 3.0, 4.0]))
    assert lc["value_share"].tolist() == pytest.approx([0, 0.1, 0.3, 0.6, 1.0])
    assert lc.attrs["gini"] == pytest.approx(0.25)


def test_negative_values_refused_with_pointer():
    with pytest.raises(CRMDataError, match=r"table 'values', column 'amount'.*negative"):
        pareto_table(pd.DataFrame({"customer_id": ["a"], "amount": [-1.0]}))
    with pytest.raises(CRMDataError, match=r"missing column\(s\) 'revenue'"):
        pareto_table(pd.DataFrame({"customer_id": ["a"], "amount": [1.0]}), value="revenue")


def test_abc_thresholds():
    v = pd.Series({"a": 50.0, "b": 30.0, "c": 10.0, "d": 5.0, "e": 5.0})
    # before each customer: 0, .50, .80, .90, .95 -> A (<.8), A, B (.8 not < .8), B (< .95), C
    assert abc_classes(v)["class"].tolist() == ["A", "A", "B", "B", "C"]
    # with 70/90: 0, .5 < .7 -> A, A; .8 < .9 -> B; .9, .95 -> C
    assert abc_classes(v, (0.7, 0.9))["class"].tolist() == ["A", "A", "B", "C", "C"]
    # one dominant customer: still an A even though it crosses 80% alone
    assert abc_classes(pd.Series({"x": 95.0, "y": 5.0}))["class"].tolist() == ["A", "C"]
    with pytest.raises(CRMDataError, match="increasing"):
        abc_classes(v, (0.9, 0.8))


def test_pyramid_counts_and_order():
    v = pd.Series(np.arange(100, 0, -1, dtype=float), index=[f"c{i:03d}" for i in range(100)])
    t = customer_pyramid(v)
    counts = t["tier"].value_counts().reindex(["Platinum", "Gold", "Iron", "Lead"]).tolist()
    assert counts == [1, 4, 15, 80]  # 1% / 4% / 15% / 80% of 100 customers
    s = tier_summary(t)
    assert s["value_share"].sum() == pytest.approx(1.0)
    with pytest.raises(CRMDataError, match="sum to"):
        customer_pyramid(v, {"Top": 0.5, "Rest": 0.4})


@settings(max_examples=30, deadline=None)
@given(values_strategy)
def test_pyramid_tiers_sorted(values):
    t = customer_pyramid(pd.Series(values, index=[f"c{i:02d}" for i in range(len(values))]))
    codes = t["tier"].cat.codes.to_numpy()
    assert (np.diff(codes) >= 0).all()  # tiers never go back up as value falls
    lows = t.groupby("tier", observed=True)["value"].min()
    highs = t.groupby("tier", observed=True)["value"].max()
    assert all(lows.iloc[i] >= highs.iloc[i + 1] for i in range(len(lows) - 1))


def test_value_segments_equal_counts():
    v = pd.Series(np.arange(9, dtype=float), index=list("abcdefghi"))
    seg = value_segments(v, 3)
    assert seg.value_counts().tolist() == [3, 3, 3]
    assert seg["i"] == "high value" and seg["a"] == "low value"


def _blobs(seed=0, n=40):
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0], [10, 0], [0, 10]])
    truth = np.repeat([0, 1, 2], n)
    x = centres[truth] + rng.normal(0, 0.5, (3 * n, 2))
    idx = [f"c{i:03d}" for i in range(3 * n)]
    return pd.DataFrame(x, columns=["spend", "visits"], index=idx), pd.Series(truth, index=idx)


def test_kmeans_recovers_three_blobs_and_is_deterministic():
    f, truth = _blobs()
    r1 = kmeans_segments(f, 3, seed=7)
    r2 = kmeans_segments(f, 3, seed=7)
    pd.testing.assert_series_equal(r1.labels, r2.labels)
    assert compare_segmentations(truth, r1.labels).adjusted_rand == pytest.approx(1.0)
    assert r1.profile["customers"].tolist() == [40, 40, 40]
    assert r1.profile["share"].sum() == pytest.approx(1.0)
    assert r1.silhouette > 0.8
    e = elbow(f, ks=range(1, 6))
    assert e["inertia"].is_monotonic_decreasing
    # the bend is at 3: going 2 -> 3 removes far more than 3 -> 4
    assert e.loc[2, "inertia"] - e.loc[3, "inertia"] > 10 * (e.loc[3, "inertia"] - e.loc[4, "inertia"])
    s = silhouette(f, ks=[2, 3, 4])
    assert s["silhouette"].idxmax() == 3


def test_compare_segmentations_crosstab():
    a = pd.Series(["hi", "hi", "lo", "lo"], index=list("pqrs"), name="value")
    b = pd.Series([1, 2, 2, 2], index=list("srqp"), name="needs")
    c = compare_segmentations(a, b)
    assert c.table.loc["hi", 2] == 2 and c.table.loc["lo", 1] == 1
    assert c.n == 4 and c.adjusted_rand < 1
    with pytest.raises(CRMDataError, match="different customers"):
        compare_segmentations(a, b.drop("p"))


def test_customer_features_by_hand():
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b"],
            "order_date": ["2024-01-01", "2024-03-01", "2024-05-01", "2024-06-01"],
            "amount": [30.0, 10.0, 99.0, 50.0],
            "category": ["home", "garden", "home", "home"],
            "channel": ["web", "store", "web", "store"],
            "returned": [False, False, True, False],
        }
    )
    surveys = pd.DataFrame(
        {"customer_id": ["a", "a"], "overall_satisfaction": [6, 4], "attitude": [5, 3], "recommend": [9, 7]}
    )
    f = customer_features(orders, surveys=surveys, as_of="2024-12-31")
    # a: kept orders 30 (home, web) and 10 (garden, store); returned 99 excluded
    assert f.loc["a", "mean_order_value"] == 20.0
    assert f.loc["a", ["share_cat_home", "share_cat_garden", "share_ch_web"]].tolist() == [0.75, 0.25, 0.75]
    # 2 orders over 2024-01-01 .. 2024-12-31 = 365 days = 365/365.25 years
    assert f.loc["a", "orders_per_year"] == pytest.approx(2 / (365 / 365.25))
    # a's survey means 5 / 4 / 8; b has none and gets those means (recorded)
    assert f.loc["a", "overall_satisfaction"] == 5.0 and f.loc["b", "recommend"] == 8.0
    assert f.attrs["imputed"]["attitude"] == 1
    assert f.attrs["excluded"]["returned orders"] == 1


def test_segmentation_plots():
    f, _ = _blobs()
    v = pd.Series(np.arange(1, 101, dtype=float), index=[f"c{i}" for i in range(100)])
    r = kmeans_segments(f, 3, seed=0)
    axes = [
        plot_pareto(pareto_table(v)),
        plot_lorenz(lorenz_curve(v)),
        plot_pyramid(tier_summary(customer_pyramid(v))),
        plot_elbow(elbow(f, ks=[2, 3]), silhouette(f, ks=[2, 3])),
        plot_segment_profile(r),
        plot_segment_profile(r.profile),
    ]
    for ax in axes:
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
        plt.close(ax.figure)
