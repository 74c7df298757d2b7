"""RFM (客户贡献价值的RFM测算): hand-computed tables, scores, segments and the two weaknesses."""

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
from crmlab.plots import plot_rfm_heatmap, plot_segment_sizes  # noqa: E402
from crmlab.rfm import (  # noqa: E402
    DEFAULT_SEGMENT_MAP,
    rfm_by_period,
    rfm_table,
    rfm_with_cost,
    score,
    segment,
    segment_grid,
    segment_migration,
)


@pytest.fixture
def tiny_orders() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b", "c", "c", "d"],
            "order_date": [
                "2024-01-10",
                "2024-03-01",
                "2024-03-01",
                "2024-02-15",
                "2024-01-31",
                "2024-03-31",
                "2024-04-05",
                "2024-02-01",
            ],
            "amount": [100.0, 50.0, 0.0, 200.0, 80.0, 40.0, 500.0, 70.0],
            "returned": [False, False, False, True, False, False, False, True],
        }
    )


def test_rfm_table_by_hand(tiny_orders):
    t = rfm_table(tiny_orders, as_of="2024-03-31")
    # a: kept orders 01-10 (100), 03-01 (50), 03-01 (0) -> last 03-01, 31 - 1 = 30 days before 03-31;
    #    3 orders (two on one day count separately here); total 100 + 50 + 0 = 150.
    # b: 02-15 returned -> excluded; 01-31 (80) -> Jan 31 .. Mar 31 = 29 (Feb 2024) + 31 = 60 days; 1 order; 80.
    # c: 04-05 is after as_of -> excluded; 03-31 (40) -> 0 days; 1 order; 40.
    # d: its only order was returned -> not in the table.
    assert sorted(t.index) == ["a", "b", "c"]
    assert t.loc["a", ["recency_days", "frequency", "monetary"]].tolist() == [30, 3, 150.0]
    assert t.loc["b", ["recency_days", "frequency", "monetary"]].tolist() == [60, 1, 80.0]
    assert t.loc["c", ["recency_days", "frequency", "monetary"]].tolist() == [0, 1, 40.0]
    assert t.loc["a", "first_purchase"] == pd.Timestamp("2024-01-10")
    assert t.attrs["excluded"] == {"returned orders": 2, "orders after as_of": 1, "customers with no kept order": 1}
    assert t.attrs["zero_amount_orders"] == 1
    assert t.attrs["units"]["recency_days"] == "days"


def test_rfm_mean_monetary_and_returns_kept(tiny_orders):
    t = rfm_table(tiny_orders, as_of="2024-03-31", monetary="mean", returned=None)
    # a: 150 / 3 orders = 50; b now counts the returned 200 too: (200 + 80) / 2 = 140, last order 02-15 -> 45 days
    assert t.loc["a", "monetary"] == 50.0
    assert t.loc["b", ["recency_days", "frequency", "monetary"]].tolist() == [45, 2, 140.0]
    assert "d" in t.index
    assert t.attrs["excluded"]["returned orders"] == 0


def test_rfm_counts_distinct_order_ids_for_line_tables():
    lines = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a"],
            "order_id": ["o1", "o1", "o2"],
            "order_date": ["2024-01-01"] * 3,
            "amount": [5.0, 5.0, 5.0],
        }
    )
    t = rfm_table(lines, as_of="2024-01-31", order="order_id")
    assert t.loc["a", "frequency"] == 2  # two orders, three lines
    assert t.loc["a", "monetary"] == 15.0


def test_rfm_errors_name_table_column_and_fix(tiny_orders):
    with pytest.raises(CRMDataError, match=r"as_of.*before the first date.*'orders'.*'order_date'"):
        rfm_table(tiny_orders, as_of="2023-12-31")
    with pytest.raises(CRMDataError, match=r"table 'orders'.*missing column\(s\) 'amount'"):
        rfm_table(tiny_orders.drop(columns="amount"), as_of="2024-03-31")
    neg = tiny_orders.assign(amount=[-1.0] + [1.0] * 7)
    with pytest.raises(CRMDataError, match=r"table 'orders', column 'amount'.*negative.*'returned'"):
        rfm_table(neg, as_of="2024-03-31")
    with pytest.raises(CRMDataError, match="monetary"):
        rfm_table(tiny_orders, as_of="2024-03-31", monetary="sum")
    with pytest.raises(CRMDataError, match=r"column 'customer_id': 1 missing"):
        rfm_table(tiny_orders.assign(customer_id=[None] + list("aabbccd")), as_of="2024-03-31")


def _rfm(recency, frequency, monetary, ids):
    return pd.DataFrame(
        {"recency_days": recency, "frequency": frequency, "monetary": monetary}, index=pd.Index(ids, name="customer_id")
    )


def test_score_ties_split_by_id_and_deterministic():
    rfm = _rfm([10, 10, 50, 5, 100], [3, 1, 1, 1, 2], [10.0, 20, 30, 40, 50], list("abcde"))
    s = score(rfm, 5)
    # F sorted by (frequency, id): b(1) c(1) d(1) e(2) a(3) -> 1..5: the tie b, c, d is split by id.
    assert s["F"].to_dict() == {"a": 5, "b": 1, "c": 2, "d": 3, "e": 4}
    # R sorted by (-recency, id): e(-100) c(-50) a(-10) b(-10) d(-5) -> 1..5 (recent = 5).
    assert s["R"].to_dict() == {"a": 3, "b": 4, "c": 2, "d": 5, "e": 1}
    assert s.loc["a", "RFM"] == "351" and s.loc["a", "score_total"] == 9
    shuffled = score(rfm.iloc[[3, 0, 4, 2, 1]], 5)
    pd.testing.assert_frame_equal(shuffled.loc[list("abcde")], s)


def test_score_quantile_method_ties_share_a_score():
    rfm = _rfm([10, 10, 50, 5, 100], [3, 1, 1, 1, 2], [10.0, 20, 30, 40, 50], list("abcde"))
    s = score(rfm, 5, method="quantile")
    # type-7 cut points of [1, 1, 1, 2, 3] at 20/40/60/80%: positions 0.8, 1.6, 2.4, 3.2 -> 1, 1, 1.4, 2.2
    # 1 <= 1 -> score 1 (b, c, d share it); 2 lies above 1.4 -> 4; 3 above 2.2 -> 5.
    assert s["F"].to_dict() == {"a": 5, "b": 1, "c": 1, "d": 1, "e": 4}


def test_score_custom_edges():
    rfm = _rfm([0, 30, 31, 100, 400], [1, 2, 3, 4, 10], [5.0, 50, 500, 5000, 50000], list("abcde"))
    edges = {"R": [0, 30, 90, 365, np.inf], "F": [0, 1, 3, 100], "M": [0, 100, 1000, np.inf]}
    s = score(rfm, edges)
    # R: (..30] -> 4, (30, 90] -> 3, (90, 365] -> 2, (365, inf) -> 1 (shortest recency best)
    assert s["R"].tolist() == [4, 4, 3, 2, 1]
    assert s["F"].tolist() == [1, 2, 2, 3, 3]
    assert s["M"].tolist() == [1, 1, 2, 3, 3]
    with pytest.raises(CRMDataError, match=r"column 'frequency'.*outside the edges"):
        score(rfm, {**edges, "F": [1, 2, 3]})
    with pytest.raises(CRMDataError, match="missing for"):
        score(rfm, {"R": [0, 1, 2]})


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 60), st.integers(1, 6), st.floats(0, 1e4)), min_size=5, max_size=60),
    st.integers(2, 9),
)
def test_scores_within_range_and_equal_counts(rows, bins):
    if len(rows) < bins:
        bins = len(rows)
    rfm = _rfm(*zip(*rows), [f"c{i:03d}" for i in range(len(rows))])
    s = score(rfm, bins)
    for dim in "RFM":
        assert s[dim].between(1, bins).all()
        counts = s[dim].value_counts().reindex(range(1, bins + 1), fill_value=0)
        assert counts.max() - counts.min() <= 1  # equal parts (Hughes 1994)
    q = score(rfm, bins, method="quantile")
    assert all(q[d].between(1, bins).all() for d in "RFM")


def test_more_recent_never_scores_lower():
    rfm = _rfm(list(range(20)), [1] * 20, [1.0] * 20, [f"c{i:02d}" for i in range(20)])
    r = score(rfm, 5)["R"].to_numpy()
    assert (np.diff(r) <= 0).all()  # recency grows down the table, so R never rises


def test_default_map_covers_every_cell_exactly_once():
    grid = segment_grid()
    assert grid.shape == (5, 5) and (grid != "").all().all()
    assert set(grid.to_numpy().ravel()) == set(DEFAULT_SEGMENT_MAP)  # every segment is used
    assert grid.loc[5, 5] == "Champions" and grid.loc[5, 1] == "New" and grid.loc[1, 5] == "Can't lose them"
    assert grid.loc[1, 1] == "Lost" and grid.loc[2, 2] == "Hibernating" and grid.loc[2, 3] == "At risk"


def test_segment_map_gaps_and_overlaps_refused():
    with pytest.raises(CRMDataError, match=r"Not covered: .*11"):
        segment_grid({"Good": "[2-5]."})
    with pytest.raises(CRMDataError, match="Covered twice"):
        segment_grid({"All": "..", "Top": "55"})


def test_segment_names_and_custom_map():
    s = pd.DataFrame({"R": [5, 4, 1, 3, 2], "F": [4, 1, 5, 3, 3]}, index=list("abcde"))
    assert segment(s).tolist() == ["Champions", "Promising", "Can't lose them", "Need attention", "At risk"]
    own = segment(s, segment_map={"recent": "[4-5].", "not recent": "[1-3]."})
    assert own.tolist() == ["recent", "recent", "not recent", "not recent", "not recent"]


def _two_quarter_orders():
    # q1: a buys often and recently, e rarely; q2: a stops, e comes back often.
    rows = [("a", d, 100.0) for d in ["2024-01-05", "2024-02-10", "2024-03-20", "2024-03-25"]]
    rows += [("b", "2024-01-20", 30.0), ("c", "2024-02-05", 20.0), ("d", "2024-03-01", 10.0), ("e", "2024-01-02", 5.0)]
    rows += [("e", d, 300.0) for d in ["2024-04-10", "2024-05-10", "2024-06-10", "2024-06-25", "2024-06-28"]]
    return pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])


def test_rfm_by_period_customers_move():
    t = rfm_by_period(_two_quarter_orders(), as_of="2024-06-30", bins=5, freq="QE")
    assert sorted(t["period_end"].dt.strftime("%Y-%m-%d").unique()) == ["2024-03-31", "2024-06-30"]
    seg = t.set_index(["period_end", "customer_id"])["segment"]
    q1, q2 = pd.Timestamp("2024-03-31"), pd.Timestamp("2024-06-30")
    assert seg[(q1, "a")] == "Champions"  # a: last order 6 days ago, 4 orders: R 5, F 5
    assert seg[(q2, "a")] != "Champions"
    assert seg[(q2, "e")] == "Champions"
    mig = segment_migration(t, q1, q2)
    assert mig.to_numpy().sum() == 5
    assert mig.loc["Champions"].sum() == 1


def test_rfm_with_cost_shows_unprofitable_top_customer():
    s = score(_rfm([1, 2, 50, 60, 90], [9, 8, 2, 1, 1], [900.0, 800, 100, 50, 20], list("abcde")), 5)
    cost = pd.Series({"a": 1200.0, "b": 100.0, "c": 10.0, "d": 5.0, "e": 1.0})
    out = rfm_with_cost(s, cost)
    # a has the top code 555 but 900 revenue - 1200 cost to serve = -300
    assert s.loc["a", "RFM"] == "555"
    assert out.loc["a", "profit"] == -300.0 and out.loc["a", "unprofitable"]
    assert out.attrs["top_unprofitable"] == 1
    with pytest.raises(CRMDataError, match=r"no value for 1 scored customer.*'e'"):
        rfm_with_cost(s, cost.drop("e"))


def test_rfm_plots_return_labelled_axes(tiny_orders):
    s = score(rfm_table(_two_quarter_orders(), as_of="2024-06-30"), 5)
    for ax in (plot_rfm_heatmap(s), plot_rfm_heatmap(s, agg="count"), plot_segment_sizes(segment(s))):
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
        plt.close(ax.figure)


def test_rfm_with_cost_keeps_the_units_of_the_scores():
    import pandas as pd
    from crmlab import rfm

    orders = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "order_date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-15"]),
            "amount": [10.0, 20.0, 5.0],
            "returned": [False, False, False],
        }
    )
    scores = rfm.score(rfm.rfm_table(orders, as_of="2024-03-01"), bins=2)
    out = rfm.rfm_with_cost(scores, pd.Series({"a": 40.0, "b": 1.0}))
    assert out.attrs["units"]["recency_days"] == "days"
    assert out.attrs["units"]["profit"] == "currency units"
