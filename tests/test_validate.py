"""The shared validation layer: every refusal names the table, the column and the fix."""
from __future__ import annotations

import pandas as pd
import pytest

from crmlab._validate import CRMDataError, check_choice, check_range, check_table, note_excluded

SPEC = {"customer_id": "id", "order_date": "datetime", "amount": "nonneg", "returned": "bool"}


def orders(**overrides):
    base = {"customer_id": ["a", "b"], "order_date": ["2024-01-02", "2024-02-03"],
            "amount": [10.0, 20.0], "returned": [False, True]}
    base.update(overrides)
    return pd.DataFrame(base)


def test_a_good_table_passes_and_string_dates_are_parsed_without_touching_the_input():
    df = orders()
    out = check_table(df, "orders", SPEC)
    assert pd.api.types.is_datetime64_any_dtype(out["order_date"])
    assert df["order_date"].dtype == object or str(df["order_date"].dtype).startswith(("str", "string"))
    assert len(out) == len(df)


@pytest.mark.parametrize(
    "df, pattern",
    [
        (orders().drop(columns="amount"), r"table 'orders': missing column\(s\) 'amount'.*rename"),
        (orders(amount=["10", "x"]), r"table 'orders', column 'amount': expected numbers.*pd.to_numeric"),
        (orders().iloc[:0], r"table 'orders': the table has 0 row\(s\)"),
        (orders(order_date=["2024-01-02", "31/31/2024"]), r"column 'order_date': 1 value\(s\) are not ISO dates.*'31/31/2024'"),
        (orders(amount=[10.0, -3.0]), r"column 'amount': 1 negative value\(s\).*-3.0.*returned"),
        (orders(customer_id=["a", None]), r"column 'customer_id': 1 missing value\(s\)"),
        (orders(returned=["yes", "no"]), r"column 'returned': expected True/False"),
        ("not a table", r"table 'orders': expected a pandas DataFrame, got str"),
    ],
)
def test_bad_tables_are_refused_with_table_column_and_fix(df, pattern):
    with pytest.raises(CRMDataError, match=pattern):
        check_table(df, "orders", SPEC)


def test_duplicate_ids_are_named():
    with pytest.raises(CRMDataError, match=r"table 'customers', column 'customer_id': 1 duplicate id\(s\) \(first: 'a'\)"):
        check_table(pd.DataFrame({"customer_id": ["a", "a", "b"]}), "customers", {"customer_id": "id"}, unique="customer_id")


def test_allowed_missing_values_pass():
    df = pd.DataFrame({"x": [1.0, None]})
    assert len(check_table(df, "t", {"x": "number"}, allow_missing=["x"])) == 2


def test_ranges_and_choices():
    assert check_range("r", 0, lo=0, hi=1, hi_open=True) == 0.0
    with pytest.raises(CRMDataError, match=r"'discount' = -1 is outside \(-1, inf\]"):
        check_range("discount", -1, lo=-1, lo_open=True)
    with pytest.raises(CRMDataError, match="must be a number"):
        check_range("margin", "ten")
    assert check_choice("m", "total", ["total", "mean"]) == "total"


def test_note_excluded_accumulates_reasons():
    s = pd.Series([1])
    note_excluded(s, "returned orders", 4)
    note_excluded(s, "orders after as_of", 0)
    assert s.attrs["excluded"] == {"returned orders": 4, "orders after as_of": 0}


def test_duplicate_ids_are_named_even_when_index_labels_repeat():
    df = pd.DataFrame({"customer_id": ["a", "b", "a"]}, index=[0, 0, 1])
    with pytest.raises(CRMDataError, match=r"1 duplicate id\(s\) \(first: 'a'\)"):
        check_table(df, "customers", {"customer_id": "id"}, unique="customer_id")


def test_bad_values_are_reported_even_when_index_labels_repeat():
    df = pd.DataFrame({"amount": [1.0, -2.0]}, index=[7, 7])
    with pytest.raises(CRMDataError, match="negative"):
        check_table(df, "orders", {"amount": "nonneg"})
