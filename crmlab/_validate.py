"""Shared validation layer for every public entry point of crmlab.

Analytics functions call :func:`check_table` once, at their entry point, so a
student who passes the wrong table meets one clear message that names the
table, the column and the fix -- never a KeyError three frames deep. Parameter
checks go through :func:`check_range` and :func:`check_choice`.

Nothing here drops rows. Where an analytic function deliberately excludes rows
(returned orders, for instance) it records how many and why with
:func:`note_excluded`, and the count travels with the result in
``result.attrs["excluded"]``.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

__all__ = [
    "CRMDataError",
    "check_table",
    "check_range",
    "check_choice",
    "note_excluded",
]

# Column kinds understood by check_table.
#   "id"       non-missing, string-like identifiers (ints are accepted and compared as given)
#   "datetime" datetime64 values; strings are parsed, an unparseable value is an error
#   "number"   numeric, no missing values
#   "nonneg"   numeric, no missing values, >= 0
#   "positive" numeric, no missing values, > 0
#   "bool"     boolean (True/False)
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


def check_table(
    df: Any,
    table: str,
    columns: Mapping[str, str] | Iterable[str],
    *,
    unique: str | Iterable[str] | None = None,
    min_rows: int = 1,
    allow_missing: Iterable[str] = (),
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
        if kind == "datetime" and not pd.api.types.is_datetime64_any_dtype(s):
            parsed = pd.to_datetime(s, errors="coerce")
            bad = parsed.isna() & s.notna()
            if bad.any():
                first, value = _first(s, bad)
                raise CRMDataError(
                    f"{_where(table, col)}: {int(bad.sum())} value(s) are not dates "
                    f"(first at row {first!r}: {value!r}). Use ISO dates like '2024-03-31' "
                    f"or convert with pd.to_datetime(..., format=...)."
                )
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
            vals = set(s.dropna().unique().tolist())
            if not vals <= {0, 1, True, False}:
                raise CRMDataError(
                    f"{_where(table, col)}: expected True/False, found values like {sorted(map(str, vals))[:3]}. "
                    f"Convert with df[{col!r}] = df[{col!r}].map({{'yes': True, 'no': False}}) or similar."
                )
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
        raise CRMDataError(f"parameter '{name}' = {value!r} is outside {left}, {right}. {hint}")
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
        raise CRMDataError(
            f"parameter '{name}' = {value!r} is not one of: {', '.join(repr(c) for c in options)}."
        )
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
