"""The shared validation layer: every refusal names the table, the column and the fix."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlab._validate import CRMDataError, check_choice, check_range, check_table, note_excluded

SPEC = {"customer_id": "id", "order_date": "datetime", "amount": "nonneg", "returned": "bool"}


def orders(**overrides):
    base = {
        "customer_id": ["a", "b"],
        "order_date": ["2024-01-02", "2024-02-03"],
        "amount": [10.0, 20.0],
        "returned": [False, True],
    }
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
        (
            orders(order_date=["2024-01-02", "31/31/2024"]),
            r"column 'order_date': 1 value\(s\) are not ISO dates.*'31/31/2024'",
        ),
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
    with pytest.raises(
        CRMDataError, match=r"table 'customers', column 'customer_id': 1 duplicate id\(s\) \(first: 'a'\)"
    ):
        check_table(
            pd.DataFrame({"customer_id": ["a", "a", "b"]}), "customers", {"customer_id": "id"}, unique="customer_id"
        )


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


# ---------------------------------------------------------------- the policy of the data contract
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from crmlab._validate import (  # noqa: E402
    as_of_date,
    check_count,
    check_date,
    check_same_ids,
    check_scale,
    check_size,
    returned_flag,
)


def test_dates_policy_iso_strings_parsed_numbers_and_zones_refused():
    good = check_table(orders(order_date=["2024-01-02", "2024-02-03 14:05"]), "orders", SPEC)
    assert good["order_date"].tolist() == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-02-03 14:05")]
    with pytest.raises(CRMDataError, match=r"the dates are numbers .*format='%Y%m%d'"):
        check_table(orders(order_date=[20240102, 20240203]), "orders", SPEC)
    with pytest.raises(CRMDataError, match=r"the dates carry a time zone \(UTC\)"):
        check_table(orders(order_date=pd.to_datetime(["2024-01-02", "2024-02-03"]).tz_localize("UTC")), "orders", SPEC)
    with pytest.raises(CRMDataError, match=r"carry a time-zone offset"):
        check_table(orders(order_date=["2024-01-02T10:00+08:00", "2024-02-03T10:00+08:00"]), "orders", SPEC)
    with pytest.raises(CRMDataError, match=r"not ISO dates \(first at row 1: '03/02/2024'\)"):
        check_table(orders(order_date=["2024-01-02", "03/02/2024"]), "orders", SPEC)


def test_flags_0_1_become_bool_so_negation_is_right():
    df = check_table(orders(returned=[0, 1]), "orders", SPEC)
    assert df["returned"].dtype == bool and (~df["returned"]).tolist() == [True, False]
    assert returned_flag(orders(returned=[1, 0]), "returned").tolist() == [True, False]
    assert returned_flag(orders().drop(columns="returned"), "returned") is None  # a log without returns
    with pytest.raises(CRMDataError, match=r"missing column 'retuned' \(the returned flag\)"):
        returned_flag(orders(), "retuned")
    for bad in (["yes", "no"], ["True", "False"], [2, 0]):
        with pytest.raises(CRMDataError, match=r"column 'returned': expected True/False \(or 1/0\)"):
            check_table(orders(returned=bad), "orders", SPEC)


def test_repeated_order_ids_refused_unless_the_rows_are_order_lines():
    df = orders().assign(order_id=["o1", "o1"])
    with pytest.raises(CRMDataError, match=r"column 'order_id': 1 repeated order id\(s\)"):
        check_table(df, "orders", SPEC)
    assert check_table(df, "orders", SPEC, order_lines=True) is not None


@given(st.integers(-1000, 1000))
def test_whole_numbers_pass_as_int(n):
    assert check_count("n", n, lo=None) == n
    assert check_count("n", float(n), lo=None) == n


@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: x != int(x)))
def test_decimals_are_refused_never_truncated(x):
    with pytest.raises(CRMDataError, match="must be a whole number"):
        check_count("n", x, lo=None)


@pytest.mark.parametrize("bad", [True, "3", None, float("nan"), float("inf"), [3]])
def test_counts_refuse_what_is_not_a_number(bad):
    with pytest.raises(CRMDataError, match="parameter 'n'"):
        check_count("n", bad)


@pytest.mark.parametrize(
    "bad, message",
    [
        (None, "is required"),
        (pd.NaT, "is NaT"),
        ("soon", "is not a date"),
        (20240101, "is a number"),
        (pd.Timestamp("2024-01-01", tz="Europe/Berlin"), "carries a time zone"),
        ("2999-12-31", "1900-2200"),
    ],
)
def test_date_parameters_refuse_with_the_parameter_name(bad, message):
    with pytest.raises(CRMDataError, match=f"parameter 'as_of'.*{message}"):
        check_date("as_of", bad)


def test_as_of_bounds_relative_to_the_data():
    d = pd.Series(pd.to_datetime(["2024-01-05", "2024-12-31"]))
    assert as_of_date(None, d) == pd.Timestamp("2024-12-31")
    assert as_of_date("2029-12-31", d) == pd.Timestamp("2029-12-31")  # 5 years after the last date: allowed
    with pytest.raises(CRMDataError, match="more than 5 years after the last date"):
        as_of_date("2030-01-01", d)
    with pytest.raises(CRMDataError, match="before the first date"):
        as_of_date("2024-01-04", d)
    assert as_of_date("2023-01-01", d, before_first=True) == pd.Timestamp("2023-01-01")


def test_id_kinds_must_match_across_tables():
    check_same_ids(
        pd.Series(["a"]), "orders", "customer_id", pd.Series(["b"], dtype="category"), "customers", "customer_id"
    )
    check_same_ids(pd.Series([1]), "orders", "customer_id", pd.Series([2.0]), "customers", "customer_id")
    with pytest.raises(CRMDataError, match="holds text ids but table 'customers', column 'customer_id' holds number"):
        check_same_ids(pd.Series(["R001"]), "orders", "customer_id", pd.Series([1]), "customers", "customer_id")


def test_scales_and_sizes():
    check_scale(pd.Series([1, 7, None]), "surveys", "attitude", 1, 7)
    with pytest.raises(CRMDataError, match="not whole points of the 1-7 scale"):
        check_scale(pd.Series([1, 6.5]), "surveys", "attitude", 1, 7)
    with pytest.raises(CRMDataError, match="outside the 0-10 scale"):
        check_scale(pd.Series([11]), "surveys", "recommend", 0, 10)
    check_size(999_999, what="x", input_rows=1)  # below a million rows is always fine
    with pytest.raises(
        CRMDataError, match=r"x would have 2,000,001 rows \(from 10,000 input rows; the limit is 2,000,000\)"
    ):
        check_size(2_000_001, what="x", input_rows=10_000)
