"""Tests for crmlab.profile: the single customer view, the 360-degree view, data quality."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmlab import datasets
from crmlab._validate import CRMDataError
from crmlab.datasets import Dataset
from crmlab.profile import customer_360, customer_view, data_quality, data_quality_report

AS_OF = pd.Timestamp("2024-12-31")


def tables():
    """A tiny retail information base following crmlab/_schema.py (hand-checked below)."""
    customers = pd.DataFrame(
        {
            "customer_id": ["R1", "R2", "R3"],
            "signup_date": pd.to_datetime(["2023-01-01", "2024-06-01", "2024-12-01"]),
            "region": pd.Categorical(["North", "South", "East"]),
            "acquisition_cost": [20.0, 35.0, 10.0],
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3", "o4", "o5", "o6"],
            "customer_id": ["R1", "R1", "R1", "R2", "R2", "R9"],
            "order_date": pd.to_datetime(
                ["2024-01-10", "2024-03-05", "2024-12-01", "2024-07-01", "2025-01-15", "2024-05-05"]
            ),
            "amount": [100.0, 50.0, 30.0, 200.0, 80.0, 60.0],
            "gross_margin": [40.0, 20.0, 10.0, 50.0, 30.0, 25.0],
            "category": pd.Categorical(["home", "home", "garden", "fashion", "home", "home"]),
            "channel": pd.Categorical(["web", "store", "web", "app", "app", "web"]),
            "returned": [False, False, True, False, False, False],
        }
    )
    interactions = pd.DataFrame(
        {
            "interaction_id": ["i1", "i2", "i3"],
            "customer_id": ["R1", "R1", "R2"],
            "date": pd.to_datetime(["2024-02-01", "2024-03-01", "2024-08-01"]),
            "kind": pd.Categorical(["complaint", "inquiry", "complaint"]),
            "topic": pd.Categorical(["delivery", "billing", "product quality"]),
            "resolution_hours": [10.0, 2.0, 48.0],
            "resolved": [True, True, False],
            "satisfaction_after": [6.0, 7.0, 2.0],
        }
    )
    surveys = pd.DataFrame(
        {
            "response_id": ["s1", "s2", "s3"],
            "customer_id": ["R1", "R1", "R2"],
            "survey_date": pd.to_datetime(["2024-02-01", "2024-10-01", "2024-09-01"]),
            "overall_satisfaction": [5, 6, 3],
            "recommend": [8, 9, 4],
            "attitude": [5, 6, 2],
        }
    )
    return customers, orders, interactions, surveys


def small_dataset() -> Dataset:
    c, o, i, s = tables()
    return Dataset("retail", {"customers": c, "orders": o, "interactions": i, "surveys": s}, AS_OF)


# --- customer_view -----------------------------------------------------------------
def test_customer_view_by_hand():
    c, o, i, s = tables()
    v = customer_view(c, o, i, s, as_of=AS_OF).set_index("customer_id")
    assert list(v.index) == ["R1", "R2", "R3"]
    r1, r2, r3 = v.loc["R1"], v.loc["R2"], v.loc["R3"]
    # R1: 3 orders, one returned (30.00): revenue 100 + 50 = 150, margin 40 + 20 = 60, AOV 150 / 2 = 75.
    assert (r1.orders, r1.returns, r1.revenue, r1.gross_margin, r1.avg_order_value) == (3, 1, 150.0, 60.0, 75.0)
    # last order 2024-12-01 -> 30 days to 2024-12-31; signup 2023-01-01 -> 365 + 365 = 730 days.
    assert (r1.first_order, r1.last_order) == (pd.Timestamp("2024-01-10"), pd.Timestamp("2024-12-01"))
    assert (r1.recency_days, r1.tenure_days) == (30.0, 730)
    assert (r1.main_category, r1.main_channel) == ("home", "web")  # home 2 of 3, web 2 of 3
    # contacts: a resolved complaint (10 h, 6) and an inquiry (2 h, 7): mean 6 h, 6.5.
    assert (r1.contacts, r1.complaints, r1.complaints_resolved) == (2, 1, 1)
    assert (r1.mean_resolution_hours, r1.satisfaction_after) == (6.0, 6.5)
    # surveys: the later answer (2024-10-01) is the latest.
    assert (r1.surveys, r1.last_satisfaction, r1.last_recommend, r1.last_attitude) == (2, 6, 9, 6)
    # R2: the 2025 order is after as_of and left out; 2024-07-01 -> 183 days; signup 2024-06-01 -> 213 days.
    assert (r2.orders, r2.revenue, r2.recency_days, r2.tenure_days) == (1, 200.0, 183.0, 213)
    assert (r2.complaints, r2.complaints_resolved, r2.last_recommend) == (1, 0, 4)
    # R3 never ordered: zero counts, empty dates, no average.
    assert (r3.orders, r3.returns, r3.revenue, r3.contacts, r3.surveys) == (0, 0, 0.0, 0, 0)
    assert pd.isna(r3.first_order) and pd.isna(r3.recency_days) and pd.isna(r3.avg_order_value)
    assert pd.isna(r3.last_satisfaction)


def test_customer_view_says_what_it_left_out():
    c, o, i, s = tables()
    v = customer_view(c, o, i, s, as_of=AS_OF)
    assert v.attrs["excluded"] == {
        "orders after as_of 2024-12-31": 1,  # o5
        "orders of customers not in the customers table": 1,  # o6 of R9
        "interactions after as_of 2024-12-31": 0,
        "survey responses after as_of 2024-12-31": 0,
    }
    assert v.attrs["as_of"] == AS_OF and "days" in v.attrs["unit"]


def test_customer_view_without_optional_tables_and_columns():
    c, o, _, _ = tables()
    o = o.drop(columns=["gross_margin", "returned", "category", "channel"])
    v = customer_view(c.drop(columns="signup_date"), o, as_of="2024-12-31")
    assert "tenure_days" not in v and "gross_margin" not in v and "contacts" not in v
    # without a returned flag every order counts: R1 = 100 + 50 + 30
    assert v.set_index("customer_id").loc["R1", "revenue"] == 180.0


def test_customer_view_uses_the_keyword_column_names():
    c, o, i, _ = tables()
    ren = {"customer_id": "account_id"}
    v = customer_view(
        c.rename(columns=ren),
        o.rename(columns={**ren, "order_date": "day", "amount": "net"}),
        i.rename(columns=ren),
        as_of=AS_OF,
        customer="account_id",
        date="day",
        amount="net",
    )
    assert v.set_index("account_id").loc["R1", "revenue"] == 150.0


def test_customer_view_does_not_modify_its_inputs():
    c, o, i, s = tables()
    copies = [t.copy() for t in (c, o, i, s)]
    customer_view(c, o, i, s, as_of=AS_OF)
    for before, after in zip(copies, (c, o, i, s)):
        pd.testing.assert_frame_equal(before, after)


@pytest.mark.parametrize(
    "change, table, column",
    [
        (lambda c, o: (pd.concat([c, c.iloc[[0]]]), o), "customers", "customer_id"),
        (lambda c, o: (c, o.assign(amount=[100.0, -5, 30, 200, 80, 60])), "orders", "amount"),
        (
            lambda c, o: (
                c,
                o.assign(order_date=["2024-01-10", "soon", "2024-12-01", "2024-07-01", "2025-01-15", "2024-05-05"]),
            ),
            "orders",
            "order_date",
        ),
        (lambda c, o: (c, o.drop(columns="amount")), "orders", "amount"),
        (lambda c, o: (c.drop(columns="customer_id"), o), "customers", "customer_id"),
    ],
)
def test_bad_tables_are_refused_with_table_and_column(change, table, column):
    c, o, _, _ = tables()
    c, o = change(c, o)
    with pytest.raises(CRMDataError) as err:
        customer_view(c, o, as_of=AS_OF)
    assert f"table '{table}'" in str(err.value) and repr(column) in str(err.value)


def test_bad_interactions_are_refused():
    c, o, i, _ = tables()
    with pytest.raises(CRMDataError, match="table 'interactions'.*'kind'"):
        customer_view(c, o, i.drop(columns="kind"), as_of=AS_OF)


@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.integers(0, 800), st.floats(0, 500, allow_nan=False), st.booleans()),
        min_size=0,
        max_size=40,
    )
)
@settings(max_examples=40, deadline=None)
def test_view_accounts_for_every_order(rows):
    """Every order in the window lands with exactly one customer: counts and sums are preserved."""
    customers = pd.DataFrame({"customer_id": [f"C{k}" for k in range(4)]})  # C4 is not a customer
    orders = pd.DataFrame(
        {
            "customer_id": [f"C{k}" for k, *_ in rows],
            "order_date": pd.Timestamp("2023-01-01") + pd.to_timedelta([d for _, d, *_ in rows], unit="D"),
            "amount": [round(a, 2) for _, _, a, _ in rows],
            "returned": [r for *_, r in rows],
        }
    ).astype({"customer_id": "string", "amount": "float64", "returned": "bool"})
    v = customer_view(customers, orders, as_of="2024-12-31")
    inside = orders[(orders.order_date <= "2024-12-31") & (orders.customer_id != "C4")]
    assert v.orders.sum() == len(inside)
    assert v.returns.sum() == inside.returned.sum()
    assert v.revenue.sum() == pytest.approx(inside.amount[~inside.returned].sum(), abs=0.02)
    ex = v.attrs["excluded"]
    assert ex["orders after as_of 2024-12-31"] + ex["orders of customers not in the customers table"] + len(
        inside
    ) == len(orders)
    assert (v.recency_days.dropna() >= 0).all()


# --- customer_360 ------------------------------------------------------------------
def test_customer_360_of_one_customer():
    c = customer_360(small_dataset(), "R1")
    assert c.name == "R1" and c["region"] == "North"
    assert (c["orders"], c["revenue"], c["complaints"], c["last_recommend"]) == (3, 150.0, 1, 9)
    assert c["categories"] == "home (2), garden (1)"
    assert c["channels"] == "web (2), store (1)"
    assert c["complaint_topics"] == "delivery (1)"
    assert c.attrs["as_of"] == AS_OF and c.attrs["dataset"] == "retail"


def test_customer_360_agrees_with_the_view():
    ds = small_dataset()
    view = customer_view(ds.customers, ds.orders, ds.interactions, ds.surveys, as_of=ds.as_of)
    for _, row in view.iterrows():
        one = customer_360(ds, row.customer_id)
        pd.testing.assert_series_equal(one[row.index], row, check_names=False)


def test_customer_360_unknown_customer():
    with pytest.raises(CRMDataError, match=r"table 'customers', column 'customer_id': no customer 'R77'.*R1, R2, R3"):
        customer_360(small_dataset(), "R77")
    with pytest.raises(CRMDataError, match="must be a string"):
        customer_360(small_dataset(), 1)


def test_customer_360_on_cdnow():
    # Customer 0001 of the CDNOW sample bought on 1997-01-01, 01-18, 08-02 and 12-12 for
    # 29.33 + 29.73 + 14.96 + 26.48 = 100.50 dollars (datasets/cdnow/orders.csv).
    c = customer_360(datasets.load("cdnow"), "0001")
    assert (c["orders"], c["revenue"]) == (4, 100.5)
    assert c["last_order"] == pd.Timestamp("1997-12-12")
    assert c["recency_days"] == 200.0  # 1997-12-12 -> 1998-06-30: 19 + 31+28+31+30+31+30


def test_customer_360_on_the_shipped_retail_and_b2b_data():
    ds = datasets.load("retail")
    cid = ds.customers.customer_id.iloc[0]
    c = customer_360(ds, cid)
    mine = ds.orders[ds.orders.customer_id == cid]
    assert c["orders"] == len(mine)
    assert c["revenue"] == pytest.approx(mine.amount[~mine.returned].sum(), abs=0.01)
    assert c["last_order"] == mine.order_date.max()
    b2b = datasets.load("b2b")
    aid = b2b.accounts.account_id.iloc[0]
    a = customer_360(b2b, aid)
    assert a["account_id"] == aid and a["orders"] == (b2b.orders.account_id == aid).sum()


def test_single_customer_view_on_retail_matches_the_orders():
    ds = datasets.load("retail")
    v = customer_view(ds.customers, ds.orders, ds.interactions, ds.surveys, as_of=ds.as_of)
    assert len(v) == len(ds.customers) and v.customer_id.is_unique
    kept = ds.orders[~ds.orders.returned]
    assert v.revenue.sum() == pytest.approx(kept.amount.sum(), rel=1e-9)
    assert v.complaints.sum() == (ds.interactions.kind == "complaint").sum()
    assert v.surveys.sum() == len(ds.surveys)
    assert set(v.attrs["excluded"].values()) == {0}


# --- data quality ------------------------------------------------------------------
def messy_orders():
    return pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o2", "o4"],
            "customer_id": ["R1", "R1", None, "R2"],
            "order_date": pd.to_datetime(["2024-01-05", "2031-01-01", "2024-02-02", None]),
            "amount": [10.0, -4.0, np.nan, -1.0],
            "gross_margin": [-2.0, 1.0, 1.0, 1.0],  # a negative margin is allowed
        }
    )


def test_data_quality_counts_by_hand():
    q = data_quality(messy_orders(), "orders", as_of=AS_OF).set_index("column")
    assert list(q.index) == ["order_id", "customer_id", "order_date", "amount", "gross_margin"]
    assert q.loc["customer_id", "missing"] == 1 and q.loc["customer_id", "missing_share"] == 0.25
    assert q.loc["order_id", "distinct"] == 3
    assert q.loc["order_id", "duplicate_keys"] == 1  # o2 twice; the documented key
    assert pd.isna(q.loc["amount", "duplicate_keys"])
    assert q.loc["order_date", "out_of_range"] == 1  # 2031 is after as_of
    assert q.loc["amount", "out_of_range"] == 2  # -4 and -1
    assert q.loc["amount", "rule"] == ">= 0"
    assert pd.isna(q.loc["gross_margin", "out_of_range"]) and q.loc["gross_margin", "rule"] == ""
    assert q.attrs["rows"] == 4 and q.attrs["key"] == ["order_id"] and q.attrs["duplicate_rows"] == 0


def test_data_quality_checks_scales_of_survey_answers():
    surveys = pd.DataFrame(
        {
            "response_id": ["s1", "s2"],
            "customer_id": ["R1", "R2"],
            "survey_date": pd.to_datetime(["2024-01-01", "2024-01-02"]),
            "overall_satisfaction": [9, 4],
            "recommend": [10, 11],
            "attitude": [0, 7],
        }
    )
    q = data_quality(surveys, "surveys", as_of=AS_OF).set_index("column")
    assert q.loc["overall_satisfaction", ["rule", "out_of_range"]].tolist() == ["in [1, 7]", 1]
    assert q.loc["recommend", ["rule", "out_of_range"]].tolist() == ["in [0, 10]", 1]
    assert q.loc["attitude", "out_of_range"] == 1


def test_data_quality_of_a_table_outside_the_dictionary():
    t = pd.DataFrame({"sku": ["a", "a", "b"], "price": [1.0, -2.0, 3.0], "note": ["x", "x", "y"]})
    q = data_quality(t, "price_list", key="sku", as_of=AS_OF).set_index("column")
    assert q.loc["price", "out_of_range"] == 1 and q.loc["sku", "duplicate_keys"] == 1
    assert pd.isna(q.loc["note", "out_of_range"])
    assert data_quality(t, "price_list").attrs["key"] == []
    t2 = pd.concat([t, t.iloc[[0]]])
    assert data_quality(t2, "price_list").attrs["duplicate_rows"] == 1  # the copy of row 0


def test_data_quality_reports_and_never_raises_on_bad_values_or_modifies():
    t = messy_orders()
    before = t.copy()
    data_quality(t, "orders")
    pd.testing.assert_frame_equal(t, before)


def test_data_quality_refuses_what_is_not_a_table():
    with pytest.raises(CRMDataError, match="table 'orders': expected a pandas DataFrame"):
        data_quality([1, 2], "orders")
    with pytest.raises(CRMDataError, match="table 'orders': missing column.*'nope'"):
        data_quality(messy_orders(), "orders", key="nope")


def test_data_quality_of_an_empty_table():
    q = data_quality(messy_orders().iloc[:0], "orders", as_of=AS_OF)
    assert (q.missing == 0).all() and (q.missing_share == 0).all()


def test_data_quality_report_over_a_dataset():
    r = data_quality_report(small_dataset())
    assert list(r.columns[:2]) == ["table", "column"]
    assert list(r.table.unique()) == ["customers", "orders", "interactions", "surveys"]
    row = r[(r.table == "orders") & (r.column == "order_date")].iloc[0]
    assert row.out_of_range == 1  # the 2025-01-15 order is after ds.as_of
    assert r.attrs["tables"]["orders"] == {"rows": 6, "duplicate_rows": 0}
    with pytest.raises(CRMDataError, match="needs a dataset"):
        data_quality_report({"orders": messy_orders()})


def test_shipped_data_passes_its_own_quality_checks():
    for name in ("retail", "b2b", "cdnow"):
        r = data_quality_report(datasets.load(name))
        assert (r.out_of_range.fillna(0) == 0).all(), name
        assert (r.duplicate_keys.fillna(0) == 0).all(), name
