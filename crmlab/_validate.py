"""The data contract (数据约定): one policy for every public entry point of crmlab.

Analytics functions validate their input once, at their entry point, through this
module, so a student who passes the wrong table meets one clear message that names the
table, the column or the parameter, and the fix -- never a traceback from pandas three
frames deep, and never a silently wrong number. What each public function accepts is
declared once, in :mod:`crmlab._contract`; the rules are here.

The policy
----------
Dates (columns of kind ``datetime`` and date parameters)
    * datetime64 columns are used as they are; strings are parsed as ISO 8601
      (``2024-03-31``, ``2024-03-31 14:05``). Any other format is refused with the
      ``pd.to_datetime(..., format=...)`` fix, so a day and a month are never swapped
      and the message blames the first value that really is not ISO.
    * **time-zone-aware dates are refused**, with the one-line fix: a calendar day
      depends on the zone, and crmlab will not pick one for you. Convert with
      ``.dt.tz_convert("UTC").dt.tz_localize(None)`` (UTC days) or
      ``.dt.tz_localize(None)`` (the local clock).
    * **numbers are refused as dates**: ``19970101`` (what ``read_csv`` gives for the
      CDNOW files) would otherwise be read as nanoseconds after 1970. The message gives
      ``pd.to_datetime(df[col].astype(str), format="%Y%m%d")``.
    * a date parameter (``as_of``, ``calibration_end``, ``observation_end``, ...) must be a
      date: ``None`` where a date is required, ``NaT``, an unparseable string or a
      time-zone-aware value is an error naming the parameter, and so is a year outside
      1900-2200. Where the data are known it must not fall before their first date (where
      the function needs data up to it) nor more than ``DATE_SLACK_YEARS`` (5) years after
      their last date (a later date is almost always a typo such as 2924 for 2024).
Returned flags
    ``bool`` or the integers 0/1 (0/1 are turned into bool, so ``~flag`` is right).
    Strings such as "yes"/"no" are refused. The default column ``returned`` may be absent
    (a log without returns, such as CDNOW): then no order is excluded and the result says
    so in ``attrs["excluded"]``. Any other named column must exist.
Ids across tables
    Tables are joined on ids only when both id columns hold the same kind of value
    (text with text, whole numbers with whole numbers); ``R001`` against ``1`` is refused
    with the ``.astype(str)`` fix, never a silent empty or doubled join.
Duplicate order ids
    When an orders table has an ``order_id`` column, each id must appear once: a
    repeated id is refused (counted in the message), because it would count an order
    twice. A table with one row per order *line* says so with ``order="order_id"``
    where the function offers it.
Counts, horizons, bins
    whole numbers only (``2.5`` is refused, never truncated; ``3.0`` is taken as 3;
    ``True`` is not a number), within the range the function declares.
Survey scores
    within the declared scale of their question (1-7, 0-10, ...) and whole numbers.
Meaning carried in ``DataFrame.attrs``
    (time units, bins, exclusions) is lost by a merge or a join. A function that needs it
    accepts it as a parameter and, when both are missing, names the parameter to pass.
Size
    A function that would build a table far larger than its input (more than ``MAX_ROWS``
    rows, or more than a million rows and ``MAX_GROWTH`` times its input) refuses and says
    how many rows it would build.
Tables
    A table parameter must be a DataFrame (or a Series where declared) and not empty unless
    its declaration in :mod:`crmlab._contract` says an empty table is meaningful.

Nothing here drops rows. Where an analytic function deliberately excludes rows
(returned orders, for instance) it records how many and why with
:func:`note_excluded`, and the count travels with the result in
``result.attrs["excluded"]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Literal, Mapping, overload

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "CRMDataError",
    "check_table",
    "check_range",
    "check_choice",
    "check_count",
    "check_date",
    "check_date_bounds",
    "check_same_ids",
    "check_scale",
    "check_size",
    "returned_column",
    "check_order_ids",
    "returned_flag",
    "as_of_date",
    "note_excluded",
    "DATE_SLACK_YEARS",
    "MAX_ROWS",
    "MAX_GROWTH",
]

DATE_SLACK_YEARS = 5
MAX_ROWS = 20_000_000
MAX_GROWTH = 200

# Column kinds understood by check_table.
#   "id"       non-missing, string-like identifiers (ints are accepted and compared as given)
#   "datetime" datetime64 values; ISO strings are parsed; other strings, numbers and zoned dates are errors
#   "number"   numeric, no missing values
#   "nonneg"   numeric, no missing values, >= 0
#   "positive" numeric, no missing values, > 0
#   "bool"     boolean (True/False), or 0/1 (turned into bool)
#   "category" anything (strings or pandas categorical), no missing values
#   "any"      present; no further check
KINDS = ("id", "datetime", "number", "nonneg", "positive", "bool", "category", "any")


class CRMDataError(ValueError):
    """Raised when a table or a parameter cannot be used as given.

    The message always says what was wrong, where (table and column), and what to
    do about it.
    """


def _plain(value: Any) -> Any:
    """A numpy scalar as the plain Python value (for readable messages)."""
    return value.item() if hasattr(value, "item") else value


def _first(s: Any, mask: Any) -> tuple[Any, Any]:
    """Row label and value of the first row where ``mask`` holds (safe with repeated labels)."""
    pos = int(mask.to_numpy().argmax())
    return _plain(s.index[pos]), _plain(s.iloc[pos])


def _where(table: str, column: str | None = None) -> str:
    return f"table '{table}'" + (f", column '{column}'" if column else "")


def _date_column(s: Any, table: str, col: str) -> Any:
    """A date column under the policy: datetime64 kept, ISO strings parsed, the rest refused."""
    import pandas as pd

    fix_tz = (
        f"Convert it with df[{col!r}] = df[{col!r}].dt.tz_convert('UTC').dt.tz_localize(None) "
        f"(UTC days) or .dt.tz_localize(None) (the local clock)."
    )
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        raise CRMDataError(
            f"{_where(table, col)}: the dates carry a time zone ({s.dtype.tz}); crmlab works "
            f"with plain calendar dates and will not choose a zone for you. {fix_tz}"
        )
    if pd.api.types.is_datetime64_dtype(s):
        return s
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        sample = _plain(s.dropna().iloc[0]) if s.notna().any() else None
        raise CRMDataError(
            f"{_where(table, col)}: the dates are numbers (dtype {s.dtype}, e.g. {sample!r}), which pandas "
            f"would read as nanoseconds after 1970. If they are written as YYYYMMDD, convert with "
            f"df[{col!r}] = pd.to_datetime(df[{col!r}].astype('int64').astype(str), format='%Y%m%d')."
        )
    try:
        parsed = pd.to_datetime(s, format="ISO8601", errors="coerce")
    except (TypeError, ValueError, OverflowError) as exc:  # e.g. mixed time zones
        raise CRMDataError(
            f"{_where(table, col)}: the values cannot be read as dates ({exc}). "
            f"Use ISO dates like '2024-03-31' without time zones."
        ) from None
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        raise CRMDataError(
            f"{_where(table, col)}: the date strings carry a time-zone offset; crmlab works "
            f"with plain calendar dates. Parse them first with pd.to_datetime(df[{col!r}]) and "
            f"then {fix_tz[0].lower() + fix_tz[1:]}"
        )
    if not pd.api.types.is_datetime64_dtype(parsed):
        raise CRMDataError(
            f"{_where(table, col)}: the values cannot be read as dates (dtype {s.dtype}). "
            f"Use ISO dates like '2024-03-31'."
        )
    bad = parsed.isna() & s.notna()
    if bad.any():
        first, value = _first(s, bad)
        raise CRMDataError(
            f"{_where(table, col)}: {int(bad.sum())} value(s) are not ISO dates "
            f"(first at row {first!r}: {value!r}). Use ISO dates like '2024-03-31', or convert the "
            f"column yourself with pd.to_datetime(df[{col!r}], format='%d/%m/%Y') (your format)."
        )
    return parsed


def _bool_column(s: Any, table: str, col: str) -> Any:
    """A flag column under the policy: bool, or 0/1 turned into bool; anything else refused."""
    import pandas as pd

    numeric = pd.api.types.is_numeric_dtype(s)
    vals = s.dropna().unique().tolist() if len(s) else []
    ok = all(isinstance(v, (bool, int, float)) or hasattr(v, "dtype") for v in vals) and all(v in (0, 1) for v in vals)
    if not ok or not (numeric or pd.api.types.is_object_dtype(s)):
        shown = sorted(map(repr, vals))[:3]
        raise CRMDataError(
            f"{_where(table, col)}: expected True/False (or 1/0), found values like {', '.join(shown)}. "
            f"Convert with df[{col!r}] = df[{col!r}].map({{'yes': True, 'no': False}}) (your labels), "
            f"checking that no value is left unmapped."
        )
    return s.astype(bool)


def _is_missing_scalar(value: Any) -> bool:
    try:
        import pandas as pd

        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


@overload
def check_date(name: str, value: Any, *, required: Literal[True] = True) -> "pd.Timestamp": ...
@overload
def check_date(name: str, value: Any, *, required: bool) -> "pd.Timestamp | None": ...
def check_date(name: str, value: Any, *, required: bool = True) -> "pd.Timestamp | None":
    """A date parameter as a plain (time-zone-free) Timestamp, or ``None`` when optional and absent.

    Examples
    --------
    >>> check_date("as_of", "2024-12-31")
    Timestamp('2024-12-31 00:00:00')
    >>> check_date("as_of", "soon")
    Traceback (most recent call last):
    ...
    crmlab._validate.CRMDataError: parameter 'as_of' = 'soon' is not a date. Use an ISO date such as '2024-12-31' (for the shipped data: ds.as_of).
    """
    import datetime as _dt
    import numbers

    import numpy as np
    import pandas as pd

    fix = "Use an ISO date such as '2024-12-31' (for the shipped data: ds.as_of)."
    if value is None:
        if required:
            raise CRMDataError(f"parameter '{name}' is required and was None. {fix}")
        return None
    if isinstance(value, (bool, numbers.Number)) and not _is_missing_scalar(value):
        raise CRMDataError(f"parameter '{name}' = {value!r} is a number, not a date. {fix}")
    if not isinstance(value, (str, _dt.date, np.datetime64)) and not _is_missing_scalar(value):
        raise CRMDataError(f"parameter '{name}' = {value!r} ({type(value).__name__}) is not a date. {fix}")
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError, OverflowError):
        raise CRMDataError(f"parameter '{name}' = {value!r} is not a date. {fix}") from None
    if ts is pd.NaT or pd.isna(ts):
        raise CRMDataError(f"parameter '{name}' is NaT (a missing date). {fix}")
    if ts.tzinfo is not None:
        raise CRMDataError(
            f"parameter '{name}' = {value!r} carries a time zone; crmlab works with plain calendar dates. "
            f"Pass pd.Timestamp(...).tz_convert('UTC').tz_localize(None) or the plain date."
        )
    if not 1900 <= ts.year <= 2200:
        raise CRMDataError(f"parameter '{name}' = {ts.date()} is outside the years 1900-2200. {fix}")
    return ts


def check_date_bounds(
    name: str, ts: "pd.Timestamp", first: Any, last: Any, *, table: str, column: str, before_first: bool = False
) -> "pd.Timestamp":
    """Check a date parameter against the dates of the data it describes.

    It may not fall before ``first`` (unless ``before_first``) and not more than
    ``DATE_SLACK_YEARS`` years after ``last``.

    Examples
    --------
    >>> import pandas as pd
    >>> check_date_bounds("as_of", pd.Timestamp("2999-12-31"), pd.Timestamp("2022-01-01"),
    ...                   pd.Timestamp("2024-12-31"), table="orders", column="order_date")
    Traceback (most recent call last):
    ...
    crmlab._validate.CRMDataError: parameter 'as_of' = 2999-12-31 is more than 5 years after the last date in table 'orders', column 'order_date' (2024-12-31). Choose a date near the end of the data (usually ds.as_of); a later one is most likely a typo.
    """
    import pandas as pd

    if pd.isna(first) or pd.isna(last):
        return ts
    first, last = pd.Timestamp(first), pd.Timestamp(last)
    if not before_first and ts < first.normalize():
        raise CRMDataError(
            f"parameter '{name}' = {ts.date()} is before the first date in {_where(table, column)} "
            f"({first.date()}). Choose a date on or after {first.date()} (usually the end of the "
            f"observation window, ds.as_of)."
        )
    if ts > last + pd.DateOffset(years=DATE_SLACK_YEARS):
        raise CRMDataError(
            f"parameter '{name}' = {ts.date()} is more than {DATE_SLACK_YEARS} years after the last date in "
            f"{_where(table, column)} ({last.date()}). Choose a date near the end of the data (usually "
            f"ds.as_of); a later one is most likely a typo."
        )
    return ts


def check_count(
    name: str, value: Any, *, lo: int | None = 0, hi: int | None = None, allow_none: bool = False, hint: str = ""
) -> "int | None":
    """A whole-number parameter (count, horizon, bins, periods): never truncated.

    Examples
    --------
    >>> check_count("horizon", 3.0, lo=1)
    3
    >>> check_count("horizon", 2.5, lo=1)
    Traceback (most recent call last):
    ...
    crmlab._validate.CRMDataError: parameter 'horizon' = 2.5 must be a whole number (2.5 would be cut to 2). Pass 2 or 3.
    """
    import math
    import numbers

    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise CRMDataError(f"parameter '{name}' must be a whole number, got {value!r}. {hint}".rstrip())
    v = float(value)
    if math.isnan(v) or math.isinf(v):
        raise CRMDataError(f"parameter '{name}' must be a whole number, got {value!r}. {hint}".rstrip())
    if v != int(v):
        raise CRMDataError(
            f"parameter '{name}' = {_plain(value)!r} must be a whole number "
            f"({_plain(value)!r} would be cut to {math.floor(v)}). "
            f"Pass {math.floor(v)} or {math.ceil(v)}. {hint}".rstrip()
        )
    n = int(v)
    if (lo is not None and n < lo) or (hi is not None and n > hi):
        rng = f"{'-inf' if lo is None else lo} .. {'inf' if hi is None else hi}"
        use = hint or (
            "Use a whole number"
            + (f" from {lo}" if lo is not None else "")
            + (f" to {hi}" if hi is not None else " up")
            + "."
        )
        raise CRMDataError(f"parameter '{name}' = {n} is outside {rng}. {use}")
    return n


def _id_kind(s: Any) -> str:
    import pandas as pd

    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype):
        return "number"
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        # object columns: judged by their first and last value (cheap; a mixed column shows as "mixed")
        kinds = {
            "number" if isinstance(v, (int, float)) and not isinstance(v, bool) else "text"
            for v in (s.dropna().iloc[:1].tolist() + s.dropna().iloc[-1:].tolist())
        }
        return kinds.pop() if len(kinds) == 1 else ("mixed" if kinds else "text")
    return str(dtype)


def check_same_ids(left: Any, left_table: str, left_col: str, right: Any, right_table: str, right_col: str) -> None:
    """Refuse a join of two id columns that hold different kinds of value (text against numbers).

    Examples
    --------
    >>> import pandas as pd
    >>> check_same_ids(pd.Series(["B001"]), "orders", "account_id", pd.Series([1]), "wallets", "account_id")
    Traceback (most recent call last):
    ...
    crmlab._validate.CRMDataError: table 'orders', column 'account_id' holds text ids but table 'wallets', column 'account_id' holds number ids, so no row would match (or rows would match by accident). Make them the same, e.g. wallets['account_id'] = wallets['account_id'].astype(str) -- and check that the ids then look alike ('B001' vs '1').
    """
    a, b = _id_kind(left), _id_kind(right)
    if a != b:
        ex_a = _plain(left.dropna().iloc[0]) if left.notna().any() else None
        ex_b = _plain(right.dropna().iloc[0]) if right.notna().any() else None
        raise CRMDataError(
            f"{_where(left_table, left_col)} holds {a} ids but {_where(right_table, right_col)} holds {b} ids, "
            f"so no row would match (or rows would match by accident). Make them the same, e.g. "
            f"{right_table}[{right_col!r}] = {right_table}[{right_col!r}].astype(str) -- and check that the "
            f"ids then look alike ({str(ex_a)!r} vs {str(ex_b)!r})."
        )


def check_scale(s: Any, table: str, column: str, lo: float, hi: float, *, whole: bool = True) -> None:
    """Survey scores must lie on their declared scale (e.g. 1-7) and be whole numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> check_scale(pd.Series([5, 99]), "surveys", "overall_satisfaction", 1, 7)
    Traceback (most recent call last):
    ...
    crmlab._validate.CRMDataError: table 'surveys', column 'overall_satisfaction': 1 value(s) outside the 1-7 scale (first at row 1: 99). Correct them, or remove those answers deliberately before calling.
    """
    import pandas as pd

    if not (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)):
        raise CRMDataError(
            f"{_where(table, column)}: expected scores on the {lo:g}-{hi:g} scale, found dtype "
            f"{s.dtype}. Convert with pd.to_numeric(...)."
        )
    v = s.dropna()
    bad = (v < lo) | (v > hi)
    if bad.any():
        first, value = _first(v, bad)
        raise CRMDataError(
            f"{_where(table, column)}: {int(bad.sum())} value(s) outside the {lo:g}-{hi:g} scale "
            f"(first at row {first!r}: {value!r}). Correct them, or remove those answers "
            f"deliberately before calling."
        )
    if whole:
        frac = v != v.round()
        if frac.any():
            first, value = _first(v, frac)
            raise CRMDataError(
                f"{_where(table, column)}: {int(frac.sum())} value(s) are not whole points of "
                f"the {lo:g}-{hi:g} scale (first at row {first!r}: {value!r}). Round or correct them."
            )


def check_size(rows: int, *, what: str, input_rows: int, hint: str = "") -> None:
    """Refuse to build a table far larger than the input (``MAX_ROWS`` or ``MAX_GROWTH`` x input).

    Examples
    --------
    >>> check_size(35_000_000, what="the stage history", input_rows=20_000)
    Traceback (most recent call last):
    ...
    crmlab._validate.CRMDataError: the stage history would have 35,000,000 rows (from 20,000 input rows; the limit is 4,000,000). Check the dates (as_of) or work on a sample.
    """
    limit = min(MAX_ROWS, max(MAX_GROWTH * int(input_rows), 1_000_000))
    if rows > limit:
        raise CRMDataError(
            f"{what} would have {int(rows):,} rows (from {int(input_rows):,} input rows; the limit "
            f"is {limit:,}). {hint or 'Check the dates (as_of) or work on a sample.'}"
        )


def returned_column(df: Any, returned: "str | None") -> "str | None":
    """The returned-flag column to use: ``None`` when not wanted, or when the default ``'returned'`` is absent.

    Any other name must exist (a misspelt name is refused by :func:`check_table`).
    """
    import pandas as pd

    if returned == "returned" and isinstance(df, pd.DataFrame) and returned not in df.columns:
        return None
    return returned


def returned_flag(df: Any, returned: "str | None", table: str = "orders") -> Any:
    """The returned flag of an orders table as a bool array, or ``None`` when there is none.

    The policy: ``None`` means no flag; the default ``'returned'`` may be absent; any other
    named column must exist; values must be bool or 0/1 with none missing.

    Examples
    --------
    >>> import pandas as pd
    >>> returned_flag(pd.DataFrame({"returned": [1, 0]}), "returned").tolist()
    [True, False]
    >>> returned_flag(pd.DataFrame({"returned": [1, 0]}), "retuned")
    Traceback (most recent call last):
    ...
    crmlab._validate.CRMDataError: table 'orders': missing column 'retuned' (the returned flag). The table has: returned. Pass the right name with returned=..., or returned=None to keep every order.
    """
    col = returned_column(df, returned)
    if col is None:
        return None
    if col not in df.columns:
        have = ", ".join(map(str, df.columns[:12])) + (" ..." if df.shape[1] > 12 else "")
        raise CRMDataError(
            f"{_where(table)}: missing column {col!r} (the returned flag). The table has: {have}. "
            f"Pass the right name with returned=..., or returned=None to keep every order."
        )
    s = df[col]
    if s.isna().any():
        first, _ = _first(s, s.isna())
        raise CRMDataError(
            f"{_where(table, col)}: {int(s.isna().sum())} missing value(s) (first at row {first!r}). "
            f"Fill them (e.g. .fillna(False)) deliberately before calling."
        )
    import pandas as pd

    if not pd.api.types.is_bool_dtype(s):
        s = _bool_column(s, table, col)
    return s.to_numpy(dtype=bool)


def as_of_date(
    value: Any,
    dates: Any,
    *,
    name: str = "as_of",
    table: str = "orders",
    column: str = "order_date",
    required: bool = False,
    before_first: bool = False,
) -> "pd.Timestamp":
    """A date parameter checked against the dates it describes; ``None`` gives the last date (if allowed).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.Series(pd.to_datetime(["2024-01-05", "2024-03-01"]))
    >>> as_of_date(None, d)
    Timestamp('2024-03-01 00:00:00')
    >>> as_of_date("2023-01-01", d)
    Traceback (most recent call last):
    ...
    crmlab._validate.CRMDataError: parameter 'as_of' = 2023-01-01 is before the first date in table 'orders', column 'order_date' (2024-01-05). Choose a date on or after 2024-01-05 (usually the end of the observation window, ds.as_of).
    """
    import pandas as pd

    ts = check_date(name, value, required=required)
    first, last = dates.min(), dates.max()
    if ts is None:
        return pd.Timestamp(last)
    return check_date_bounds(name, ts, first, last, table=table, column=column, before_first=before_first)


def check_order_ids(df: Any, table: str = "orders", column: str = "order_id") -> None:
    """Refuse repeated order ids when the table has an order-id column (an order would count twice)."""
    if column not in getattr(df, "columns", ()) or df[column].is_unique:  # one hash pass, the cheapest
        return
    dup = df[column].duplicated()
    if dup.any():
        first, value = _first(df[column], dup)
        raise CRMDataError(
            f"{_where(table, column)}: {int(dup.sum())} repeated order id(s) (first at row {first!r}: {value!r}), "
            f"so those orders would be counted twice. Drop exact copies with "
            f"{table}.drop_duplicates({column!r}), or, if the rows are lines of one order, add them up first "
            f"({table}.groupby({column!r}).agg(...)) or pass order={column!r} where the function offers it."
        )


def check_table(
    df: Any,
    table: str,
    columns: Mapping[str, str] | Iterable[str],
    *,
    unique: str | Iterable[str] | None = None,
    min_rows: int = 1,
    allow_missing: Iterable[str] = (),
    order_lines: bool = False,
) -> "pd.DataFrame":
    """Validate a table and return it ready to use (dates parsed, never rows dropped).

    Parameters
    ----------
    df : the table given by the caller.
    table : its name as the student knows it ("orders", "customers", ...).
    columns : ``{column: kind}`` (kinds: id, datetime, number, nonneg, positive,
        bool, category, any) or just column names (kind "any").
    unique : a column (or columns) whose values must not repeat.
    min_rows : the least number of rows that makes sense (default 1: not empty).
    allow_missing : columns in which missing values are allowed.
    order_lines : the table has one row per order line, so its ``order_id`` may repeat.
        Otherwise a table named ``orders`` with an ``order_id`` column must not repeat an
        id (the duplicate-order policy of this module).

    Returns
    -------
    The same table, or a copy in which string dates were parsed to datetime64.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"customer_id": ["a"], "amount": [-5.0]})
    >>> check_table(orders, "orders", {"customer_id": "id", "amount": "nonneg"})
    Traceback (most recent call last):
    ...
    crmlab._validate.CRMDataError: table 'orders', column 'amount': 1 negative value(s) (first at row 0: -5.0). Amounts must be >= 0; record returns in the 'returned' column instead of as negative amounts, or filter them out before calling.
    """
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise CRMDataError(
            f"{_where(table)}: expected a pandas DataFrame, got {type(df).__name__}. "
            f"Pass the table itself, e.g. ds.{table}."
        )
    spec = dict(columns) if isinstance(columns, Mapping) else {c: "any" for c in columns}
    missing = [c for c in spec if c not in df.columns]
    if missing:
        have = ", ".join(map(str, df.columns[:12])) + (" ..." if df.shape[1] > 12 else "")
        raise CRMDataError(
            f"{_where(table)}: missing column(s) {', '.join(repr(m) for m in missing)}. "
            f"The table has: {have}. Rename your column (df.rename(columns={{...}})) or pass "
            f"its name with the matching keyword argument."
        )
    if len(df) < min_rows:
        raise CRMDataError(
            f"{_where(table)}: the table has {len(df)} row(s), at least {min_rows} needed. "
            f"Check the filter that produced it."
        )
    allow = set(allow_missing)
    out = df
    for col, kind in spec.items():
        if kind not in KINDS:
            raise ValueError(f"unknown column kind {kind!r} for {col!r}; use one of {KINDS}")
        s = out[col]
        if kind != "any" and col not in allow and s.isna().any():
            first, _ = _first(s, s.isna())
            raise CRMDataError(
                f"{_where(table, col)}: {int(s.isna().sum())} missing value(s) (first at row {first!r}). "
                f"Fill them or remove those rows deliberately before calling."
            )
        if kind == "datetime":
            parsed = _date_column(s, table, col)
            if parsed is not s:
                if out is df:
                    out = df.copy()
                out[col] = parsed
        elif kind in ("number", "nonneg", "positive"):
            if not (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)):
                raise CRMDataError(
                    f"{_where(table, col)}: expected numbers, found dtype {s.dtype}. "
                    f"Convert with pd.to_numeric(...) and check for text such as '1,234' or '$5'."
                )
            if kind == "nonneg":
                bad = s < 0
                if bad.any():
                    first, value = _first(s, bad)
                    raise CRMDataError(
                        f"{_where(table, col)}: {int(bad.sum())} negative value(s) (first at row {first!r}: "
                        f"{value!r}). Amounts must be >= 0; record returns in the 'returned' column "
                        f"instead of as negative amounts, or filter them out before calling."
                    )
            if kind == "positive":
                bad = s <= 0
                if bad.any():
                    first, value = _first(s, bad)
                    raise CRMDataError(
                        f"{_where(table, col)}: {int(bad.sum())} value(s) <= 0 (first at row {first!r}: "
                        f"{value!r}). Only positive values make sense here; remove or correct them."
                    )
        elif kind == "bool" and not pd.api.types.is_bool_dtype(s):
            flag = _bool_column(s, table, col)
            if out is df:
                out = df.copy()
            out[col] = flag
    if table == "orders" and not order_lines and unique is None:
        check_order_ids(out, table)
    if unique is not None:
        keys = [unique] if isinstance(unique, str) else list(unique)
        dup = out.duplicated(subset=keys, keep="first")
        if dup.any():
            pos = int(dup.to_numpy().argmax())
            row = out[keys].iloc[pos]
            val = _plain(row.iloc[0]) if len(keys) == 1 else tuple(map(_plain, row))
            raise CRMDataError(
                f"{_where(table, ', '.join(keys))}: {int(dup.sum())} duplicate id(s) (first: {val!r}). "
                f"Each row must have its own {', '.join(keys)}; drop exact copies with "
                f"df.drop_duplicates() or aggregate first."
            )
    return out


def check_range(
    name: str,
    value: Any,
    *,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    hi_open: bool = False,
    hint: str = "",
) -> float:
    """Check that a numeric parameter lies in its interval; return it as float.

    Examples
    --------
    >>> check_range("retention", 0.8, lo=0, hi=1, hi_open=True)
    0.8
    >>> check_range("retention", 1.0, lo=0, hi=1, hi_open=True)
    Traceback (most recent call last):
    ...
    crmlab._validate.CRMDataError: parameter 'retention' = 1.0 is outside [0, 1).
    """
    import math

    try:
        v = float(value)
    except (TypeError, ValueError):
        raise CRMDataError(f"parameter '{name}' must be a number, got {value!r}. {hint}".rstrip()) from None
    if math.isnan(v):
        raise CRMDataError(f"parameter '{name}' is NaN. {hint}".rstrip())
    bad = (lo is not None and (v < lo or (lo_open and v == lo))) or (
        hi is not None and (v > hi or (hi_open and v == hi))
    )
    if bad:
        left = ("(" if lo_open else "[") + ("-inf" if lo is None else f"{lo:g}")
        right = ("inf" if hi is None else f"{hi:g}") + (")" if hi_open else "]")
        raise CRMDataError(f"parameter '{name}' = {value!r} is outside {left}, {right}. {hint}".rstrip())
    return v


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """Check that a parameter is one of the allowed choices.

    Examples
    --------
    >>> check_choice("monetary", "sum", ["total", "mean"])
    Traceback (most recent call last):
    ...
    crmlab._validate.CRMDataError: parameter 'monetary' = 'sum' is not one of: 'total', 'mean'.
    """
    options = list(choices)
    if value not in options:
        raise CRMDataError(f"parameter '{name}' = {value!r} is not one of: {', '.join(repr(c) for c in options)}.")
    return value


def note_excluded(result: Any, reason: str, n: int) -> Any:
    """Record on ``result.attrs['excluded']`` that ``n`` rows were left out and why.

    Returns the result so it can be used inline. Zero counts are recorded too, so
    a caller can always look the policy up.

    Examples
    --------
    >>> import pandas as pd
    >>> r = note_excluded(pd.DataFrame(), "returned orders", 3)
    >>> r.attrs["excluded"]
    {'returned orders': 3}
    """
    attrs = getattr(result, "attrs", None)
    if attrs is None:
        raise TypeError("note_excluded needs a result with an .attrs dict (DataFrame or Series)")
    attrs.setdefault("excluded", {})[reason] = int(n)
    return result
