"""Comparators (答案比较): compare an answer with the expected one, tolerating harmless differences.

Each raises :class:`~crmlab.checks.Fail` with a specific message when the answer is wrong:
:func:`expect_number`, :func:`expect_choice`, :func:`expect_series`, :func:`expect_frame`,
:func:`expect_axes`, :func:`expect_type`; :func:`first_match` turns typical wrong answers into a
``diagnose`` function.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from crmlab.checks._messages import _examples, _fmt, _how_far, _kind, _plural, _verb
from crmlab.checks._results import NOT_ANSWERED, Fail

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd


def expect_type(answer: Any, types: type | tuple, what: str, hint: str = "") -> Any:
    """Fail unless ``answer`` is an instance of ``types``; ``what`` names the expected kind.

    Examples
    --------
    >>> expect_type("12", int, "a whole number")
    Traceback (most recent call last):
    ...
    crmlab.checks.Fail: Your answer is the text '12', but a whole number is expected.
    """
    if answer is None:
        raise Fail(NOT_ANSWERED)
    if not isinstance(answer, types):
        raise Fail(f"Your answer is {_kind(answer)}, but {what} is expected.", hint)
    return answer


def _as_scalar(answer: Any, what: str, hint: str) -> float:
    import numpy as np
    import pandas as pd

    if answer is None:
        raise Fail(NOT_ANSWERED)
    if isinstance(answer, (pd.Series, pd.DataFrame, pd.Index, np.ndarray, list, tuple)):
        size = np.size(answer) if not isinstance(answer, pd.DataFrame) else answer.size
        if size == 1:
            answer = np.asarray(answer).ravel()[0]
        else:
            raise Fail(
                f"Your answer is {_kind(answer)}, but {what} (one number) is expected.",
                hint or "Reduce it to one number, e.g. with len(...), .sum() or .mean().",
            )
    if isinstance(answer, (bool, np.bool_)):
        raise Fail(f"Your answer is {answer}, but {what} (a number) is expected.", hint)
    if isinstance(answer, str):
        raise Fail(
            f"Your answer is the text {_fmt(answer[:40])}, but {what} (a number) is expected.",
            "Give the number itself, not text: e.g. 1234, not '1,234'.",
        )
    try:
        value = float(answer)
    except (TypeError, ValueError):
        raise Fail(f"Your answer is {_kind(answer)}, but {what} (a number) is expected.", hint) from None
    return value


#: Decimals beyond which a number is taken as unrounded (the rounding policy looks no further).
_MAX_DECIMALS = 12


def decimals_of(values: Any) -> "np.ndarray":
    """How many decimals each number is written with (its shortest exact decimal form), at most 12.

    Examples
    --------
    >>> decimals_of([4.19, 0.707, 12.0, 1/3]).tolist()
    [2, 3, 0, 12]
    """
    import numpy as np

    v = np.asarray(values, dtype=float)
    out = np.full(v.shape, _MAX_DECIMALS, dtype=int)
    todo = np.isfinite(v)
    for d in range(_MAX_DECIMALS):
        hit = todo & (np.abs(v - np.round(v, d)) <= 1e-9 * 10.0**-d * np.maximum(1.0, np.abs(v)))
        out[hit] = d
        todo &= ~hit
    return out


def rounded_match(got: Any, expected: Any, decimals: int | None) -> "np.ndarray":
    """The rounding policy of every check: where ``got`` is ``expected`` as rounded by the answer.

    An answer written with ``k`` decimals passes when it is the expected value rounded to
    ``max(k, decimals)`` decimals, ``decimals`` being the precision the chapter prints (half a
    unit of that last decimal, a hair more for float noise; a number stored with fewer decimals,
    such as 4.2 for 4.20, is read at the printed precision). So 4.19 passes for 4.1873 when the
    chapter prints two decimals, 4.2 passes for 4.1973, 1.145 passes for 1.14548, 0.709 fails
    for 0.7074 and 4.2 fails for 4.23: the more decimals a student writes, the closer they must be. ``decimals=None``
    accepts no rounding (only the comparator's ``rtol``/``atol``).

    Examples
    --------
    >>> rounded_match([4.19, 4.2, 4.2, 1.145, 0.709], [4.1873, 4.1873, 4.1973, 1.14548, 0.7074], 2).tolist()
    [True, False, True, True, False]
    """
    import numpy as np

    g = np.asarray(got, dtype=float)
    e = np.asarray(expected, dtype=float)
    if decimals is None:
        return np.zeros(np.broadcast(g, e).shape, dtype=bool)
    k = decimals_of(g)
    # 4.20 is stored as 4.2: an answer with fewer decimals than printed is read at the printed precision
    half = 0.5 * 10.0 ** -np.maximum(k, decimals).astype(float)
    return (k < _MAX_DECIMALS) & (np.abs(g - e) <= half * (1 + 1e-6) + 1e-12)


def _number_passes(value: float, exp: float, rtol: float, atol: float, decimals: int | None) -> bool:
    return math.isclose(value, exp, rel_tol=rtol, abs_tol=atol) or bool(rounded_match(value, exp, decimals))


def expect_number(
    answer: Any,
    expected: float,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    decimals: int | None = None,
    also: Iterable[float] = (),
    mistakes: Iterable[tuple[float, str]] = (),
    what: str = "the number",
    hint: str = "",
    reveal: bool = False,
    diagnose: Callable[[float, float], str | None] | None = None,
) -> None:
    """Compare a number within ``rtol``/``atol``, or rounded as the chapter prints it.

    Ints, floats and numpy scalars all count; a one-element Series/array is accepted as its
    value. ``decimals`` is the precision the chapter prints: an answer rounded to that many
    decimals (or more) passes (:func:`rounded_match`, the one rounding policy of the checks).
    ``also`` are other right values (another correct method). ``mistakes`` are
    ``(value, message)`` pairs of typical wrong answers computed from the same data: an answer
    that *is* a mistake's value (to float precision) gets its message even where rounding
    would have let it pass, so a mistake is graded the same for every student; an answer
    that is the mistake rounded gets it too, after the answer has failed. ``diagnose(got,
    expected)`` may return a specific message for any other typical mistake. The expected
    value is not shown unless ``reveal=True``; the message says whether the answer is too
    high or too low.

    Examples
    --------
    >>> expect_number(3.0000001, 3)
    >>> expect_number(4.19, 4.1873, decimals=2)
    >>> expect_number(4, 3, what="the number of channels")
    Traceback (most recent call last):
    ...
    crmlab.checks.Fail: Your answer 4 is not the number of channels: it is too high (by 33.33%).
    >>> expect_number(0.71003, 0.70744, decimals=3, mistakes=[(0.71003, "Returns are not revenue.")])
    Traceback (most recent call last):
    ...
    crmlab.checks.Fail: Returns are not revenue.
    """
    value = _as_scalar(answer, what, hint)
    exp = float(expected)
    if math.isnan(value):
        raise Fail(
            f"Your answer is NaN (not a number), but {what} is expected.",
            hint or "NaN often comes from the mean of an empty selection or a division by zero: check your filter.",
        )
    rights = [exp, *(float(a) for a in also)]
    wrongs = [
        (float(v), text)
        for v, text in mistakes
        if math.isfinite(float(v)) and not any(math.isclose(float(v), r, rel_tol=1e-9, abs_tol=1e-12) for r in rights)
    ]
    exact = [text for v, text in wrongs if math.isclose(value, v, rel_tol=1e-9, abs_tol=1e-12)]
    if exact and not math.isclose(value, exp, rel_tol=rtol, abs_tol=atol):  # named, whatever the rounding allowance
        raise Fail(_either(exact), hint)
    if any(_number_passes(value, r, rtol, atol, decimals) for r in rights):
        return None
    near = [text for v, text in wrongs if _number_passes(value, v, rtol, atol, decimals)]
    if near:
        raise Fail(_either(near), hint)
    if diagnose is not None:
        special = diagnose(value, exp)
        if special:
            raise Fail(special, hint)
    if reveal:
        raise Fail(f"Your answer is {_fmt(value)}, but {what} is {_fmt(exp)}.", hint)
    direction = "too high" if value > exp else "too low"
    raise Fail(f"Your answer {_fmt(value)} is not {what}: it is {direction}{_how_far(value, exp)}.", hint)


def _either(texts: list[str]) -> str:
    """One message for the typical mistakes that all give the student's number (usually one)."""
    texts = list(dict.fromkeys(texts))
    if len(texts) == 1:
        return texts[0]
    return "Your number is what more than one slip gives: " + " Or: ".join(texts)


def first_match(got: float, expected: float, variants: Iterable[tuple[float, str]], tol: float) -> str | None:
    """The message of the first typical wrong answer that ``got`` matches, or ``None``.

    ``variants`` are ``(value, message)`` pairs, one per typical mistake (the total
    instead of the mean, the wrong denominator, ...), each value computed from the
    same data as ``expected``. A variant matches when ``got`` is within ``tol`` of its
    value; variants that happen to equal the right answer (within ``tol``) are
    skipped, so a correct answer is never told it is a mistake. Use it as the
    ``diagnose`` of :func:`expect_number`.

    Examples
    --------
    >>> orders = [30.0, 50.0, 100.0]   # mean 60, total 180
    >>> variants = [(sum(orders), "That is the total: divide it by the number of orders."),
    ...             (max(orders), "That is the largest order, not the mean.")]
    >>> first_match(180.0, 60.0, variants, tol=0.01)
    'That is the total: divide it by the number of orders.'
    >>> first_match(75.0, 60.0, variants, tol=0.01) is None
    True
    >>> first_match(60.0, 60.0, [(60.0, "never said")], tol=0.01) is None
    True
    >>> expect_number(180, 60, diagnose=lambda got, exp: first_match(got, exp, variants, 0.01))
    Traceback (most recent call last):
    ...
    crmlab.checks.Fail: That is the total: divide it by the number of orders.
    """
    for value, text in variants:
        value = float(value)
        if abs(got - value) <= tol and abs(value - expected) > tol:
            return text
    return None


def _norm_label(x: Any) -> str:
    return str(x).strip().casefold()


def expect_choice(
    answer: Any,
    expected: Any,
    *,
    choices: Sequence[Any] | None = None,
    what: str = "the answer",
    hint: str = "",
) -> None:
    """Compare a label (e.g. a region's name), ignoring case and surrounding spaces.

    ``expected`` may be one label or a list of labels that all count (ties). With
    ``choices``, an answer that is none of them gets a message listing them.

    Examples
    --------
    >>> expect_choice(" north", "North")
    >>> expect_choice("Nort", "North", choices=["North", "South"], what="the region")
    Traceback (most recent call last):
    ...
    crmlab.checks.Fail: 'Nort' is not one of the possible answers for the region: 'North', 'South'.
    """
    import numpy as np
    import pandas as pd

    if answer is None:
        raise Fail(NOT_ANSWERED)
    if isinstance(answer, (pd.Series, pd.DataFrame)) and answer.size != 1:
        raise Fail(
            f"Your answer is {_kind(answer)}, but {what} (one label) is expected.",
            "Pick the one label you need, e.g. with .idxmax() on a Series of totals.",
        )
    if isinstance(answer, (pd.Series, pd.DataFrame, pd.Index, np.ndarray, list, tuple)):
        if np.size(answer) != 1:
            raise Fail(f"Your answer holds {np.size(answer)} values, but {what} (one label) is expected.", hint)
        answer = np.asarray(answer).ravel()[0]
    if isinstance(answer, float) and math.isnan(answer):
        raise Fail(f"Your answer is NaN, but {what} (a label) is expected.", hint)
    if isinstance(answer, (dict, set, frozenset)) or hasattr(answer, "axes") or hasattr(answer, "figure"):
        raise Fail(f"Your answer is {_kind(answer)}, but {what} (one label) is expected.", hint)
    accepted = list(expected) if isinstance(expected, (list, tuple, set, frozenset)) else [expected]
    got = _norm_label(answer)
    if got in {_norm_label(e) for e in accepted}:
        return None
    if choices is not None and got not in {_norm_label(c) for c in choices}:
        options = ", ".join(_fmt(str(c)) for c in choices)
        raise Fail(f"{_fmt(answer)} is not one of the possible answers for {what}: {options}.", hint)
    raise Fail(f"{_fmt(answer)} is not {what}.", hint)


def _normalize_keys(got: "pd.Series", exp: "pd.Series") -> "pd.Series":
    """Bring the answer's key values to the expected key's kind (text, number or date)."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(exp):
        return pd.to_datetime(got, errors="coerce")
    if (
        pd.api.types.is_numeric_dtype(exp)
        and not pd.api.types.is_bool_dtype(exp)
        and pd.api.types.is_numeric_dtype(got)
    ):
        return got.astype("float64")
    return got.astype(str)


def _exp_keys(exp: "pd.Series") -> "pd.Series":
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(exp):
        return exp
    if pd.api.types.is_numeric_dtype(exp) and not pd.api.types.is_bool_dtype(exp):
        return exp.astype("float64")
    return exp.astype(str)


def _compare_column(got: "pd.Series", exp: "pd.Series", rtol: float, atol: float, decimals: int | None = None):
    """Boolean Series: where ``got`` differs from ``exp`` (aligned, same index).

    Raises Fail when the column's values are of the wrong kind altogether.
    """
    import numpy as np
    import pandas as pd

    name = exp.name
    if pd.api.types.is_bool_dtype(exp):
        if not (pd.api.types.is_bool_dtype(got) or pd.api.types.is_numeric_dtype(got)):
            raise Fail(f"Column {name!r} should hold True/False values, but it holds {got.dtype} values.")
        return got.astype(float).to_numpy() != exp.astype(float).to_numpy()
    if pd.api.types.is_numeric_dtype(exp):
        if pd.api.types.is_timedelta64_dtype(got):
            raise Fail(
                f"Column {name!r} holds time spans (Timedelta), but numbers are expected.",
                "Convert a time span to a number of days with .dt.days.",
            )
        if not pd.api.types.is_numeric_dtype(got) or pd.api.types.is_bool_dtype(got):
            raise Fail(
                f"Column {name!r} holds {got.dtype} values, but numbers are expected.",
                "Convert text to numbers with pd.to_numeric(...).",
            )
        g = got.astype("float64").to_numpy()
        e = exp.astype("float64").to_numpy()
        return ~(np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True) | rounded_match(g, e, decimals))
    if pd.api.types.is_datetime64_any_dtype(exp):
        g = pd.to_datetime(got, errors="coerce")
        return ~((g.to_numpy() == exp.to_numpy()) | (g.isna().to_numpy() & exp.isna().to_numpy()))
    g = got.astype(object).where(got.notna(), None).map(lambda v: None if v is None else _norm_label(v))
    e = exp.astype(object).where(exp.notna(), None).map(lambda v: None if v is None else _norm_label(v))
    return g.to_numpy() != e.to_numpy()


def _value_mismatch(got, exp, bad, entity: str, column_label: str, hint: str) -> Fail:
    n_bad = int(bad.sum())
    first = got.index[bad][0]
    key_text = ", ".join(map(str, first)) if isinstance(first, tuple) else str(first)
    return Fail(
        f"{n_bad:,} of {_plural(len(exp), entity)} {_verb(n_bad, 'has', 'have')} a different {column_label}, "
        f"e.g. {key_text}: "
        f"you have {_fmt(got.loc[first])}, expected {_fmt(exp.loc[first])}.",
        hint,
    )


def _series_from(answer: Any, what: str, hint: str) -> "pd.Series":
    import pandas as pd

    if answer is None:
        raise Fail(NOT_ANSWERED)
    if isinstance(answer, dict):
        return pd.Series(answer)
    if isinstance(answer, pd.DataFrame):
        if answer.shape[1] == 1:
            return answer.iloc[:, 0]
        if answer.shape[1] == 2 and isinstance(answer.index, pd.RangeIndex):
            return answer.set_index(answer.columns[0]).iloc[:, 0]
        raise Fail(
            f"Your answer is {_kind(answer)}, but {what} (a Series, one value per label) is expected.",
            hint or "Select the one column you need, e.g. table['column'].",
        )
    if not isinstance(answer, pd.Series):
        raise Fail(f"Your answer is {_kind(answer)}, but {what} (a pandas Series) is expected.", hint)
    return answer


def expect_series(
    answer: Any,
    expected: "pd.Series",
    *,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    decimals: int | None = None,
    what: str = "the Series",
    entity: str = "labels",
    ordered: bool = False,
    hint: str = "",
    order_hint: str = "",
    diagnose: Callable[["pd.Series", "pd.Series"], str | None] | None = None,
) -> None:
    """Compare a Series label by label (index), in any order unless ``ordered=True``.

    Also accepted: a dict, a one-column table, or a two-column table of labels and values.
    ``decimals``: values rounded as the chapter prints them pass (:func:`rounded_match`).

    Examples
    --------
    >>> import pandas as pd
    >>> exp = pd.Series({"store": 5, "web": 3}, name="orders")
    >>> expect_series(pd.Series({"web": 3.0, "store": 5.0}), exp)
    >>> expect_series(pd.Series({"web": 4, "store": 5}), exp, entity="channels")
    Traceback (most recent call last):
    ...
    crmlab.checks.Fail: 1 of 2 channels has a different value, e.g. web: you have 4, expected 3.
    """
    import pandas as pd

    s = _series_from(answer, what, hint)
    exp = expected.copy()
    exp.index = pd.Index(_exp_keys(exp.index.to_series()).to_numpy())
    s = s.copy()
    s.index = pd.Index(_normalize_keys(s.index.to_series(), exp.index.to_series()).to_numpy())
    if s.index.has_duplicates:
        dup = s.index[s.index.duplicated()][0]
        raise Fail(
            f"The label {dup} appears more than once in your answer; each of the {entity} should appear once.",
            hint or "Group by the label before aggregating.",
        )
    _check_same_labels(s.index, exp.index, entity, hint)
    got = s.reindex(exp.index).rename(exp.name)
    bad = _compare_column(got, exp, rtol, atol, decimals)
    if bad.any():
        if diagnose is not None:
            special = diagnose(got, exp)
            if special:
                raise Fail(special, hint)
        raise _value_mismatch(got, exp, bad, entity, "value", hint)
    if ordered and list(s.index) != list(exp.index):
        raise Fail(
            f"Your values are right but not in the expected order (expected: "
            f"{_examples(exp.index, 5)}{' ...' if len(exp) > 5 else ''}).",
            order_hint or hint,
        )
    return None


def _check_same_labels(got_index, exp_index, entity: str, hint: str) -> None:
    missing = exp_index.difference(got_index, sort=False)
    extra = got_index.difference(exp_index, sort=False)
    if len(missing) or len(extra):
        parts = [f"Your answer has {_plural(len(got_index), entity)}, expected {len(exp_index):,}"]
        if len(missing):
            parts.append(f"{len(missing):,} missing (e.g. {_examples(missing)})")
        if len(extra):
            parts.append(f"{len(extra):,} not expected (e.g. {_examples(extra)})")
        raise Fail(": ".join(parts[:1]) + (": " + "; ".join(parts[1:]) if len(parts) > 1 else "") + ".", hint)


def _frame_with_key(df: "pd.DataFrame", keys: list[str], expected: bool) -> "pd.DataFrame":
    """Move the key into columns, whether it is given as columns or as the index."""
    import pandas as pd

    if all(k in df.columns for k in keys):
        return df.reset_index(drop=True)
    names = [n for n in df.index.names if n is not None]
    if all(k in names or k in df.columns for k in keys):
        return df.reset_index()
    if not expected and len(keys) == 1 and df.index.nlevels == 1 and not isinstance(df.index, pd.RangeIndex):
        # an unnamed index of labels: take it as the key
        return df.rename_axis(keys[0]).reset_index()
    raise Fail(
        f"Your table has no {', '.join(repr(k) for k in keys)} column or index "
        f"(it has columns {list(map(str, df.columns))[:10]}).",
        f"Keep the key: group with .groupby({keys[0]!r}) and keep it as index or column.",
    )


def expect_frame(
    answer: Any,
    expected: "pd.DataFrame",
    *,
    key: str | list[str] | None = None,
    columns: Sequence[str] | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    decimals: int | None = None,
    what: str = "the table",
    entity: str = "rows",
    hints: Mapping[str, str] | None = None,
    hint: str = "",
    ordered: bool = False,
    order_hint: str = "",
    diagnose: Callable[["pd.DataFrame", "pd.DataFrame"], str | None] | None = None,
) -> None:
    """Compare a table row by row (matched on ``key``) and column by column.

    Harmless differences are ignored: column order, extra columns, the key as index or as
    a column, row order (unless ``ordered=True``), float rounding (``rtol``/``atol``), int
    vs float, category vs text, values rounded to ``decimals`` or more (:func:`rounded_match`). ``hints`` gives a hint per column; ``entity`` names the
    rows in messages ("customers"). ``diagnose(got, expected)`` gets both tables aligned
    on the key (key as index, the compared columns) when values differ and may return a
    specific message for a typical mistake.

    Examples
    --------
    >>> import pandas as pd
    >>> exp = pd.DataFrame({"customer_id": ["a", "b"], "frequency": [2, 1]})
    >>> expect_frame(pd.DataFrame({"frequency": [1.0, 2.0]}, index=pd.Index(["b", "a"], name="customer_id")),
    ...              exp, key="customer_id")
    >>> expect_frame(exp.assign(frequency=[3, 1]), exp, key="customer_id", entity="customers",
    ...              hints={"frequency": "Count orders, not order lines."})
    Traceback (most recent call last):
    ...
    crmlab.checks.Fail: 1 of 2 customers has a different 'frequency', e.g. a: you have 3, expected 2. Hint: Count orders, not order lines.
    """
    import pandas as pd

    hints = dict(hints or {})
    if answer is None:
        raise Fail(NOT_ANSWERED)
    if isinstance(answer, pd.Series):
        value_cols = [
            c for c in (columns or expected.columns) if c not in ([key] if isinstance(key, str) else key or [])
        ]
        if len(value_cols) == 1:
            answer = answer.rename(value_cols[0]).to_frame()
        else:
            raise Fail(
                f"Your answer is {_kind(answer)}, but {what} (a DataFrame with columns "
                f"{', '.join(value_cols)}) is expected.",
                hint,
            )
    if not isinstance(answer, pd.DataFrame):
        raise Fail(f"Your answer is {_kind(answer)}, but {what} (a pandas DataFrame) is expected.", hint)
    keys = [key] if isinstance(key, str) else list(key or [])
    exp = expected
    got = answer
    if keys:
        exp = _frame_with_key(expected, keys, expected=True)
        got = _frame_with_key(answer, keys, expected=False)
    cols = list(columns) if columns is not None else [c for c in exp.columns if c not in keys]
    got.columns = [str(c) for c in got.columns]
    missing = [c for c in cols if c not in got.columns]
    if missing:
        near = {c.casefold().replace(" ", "_"): c for c in got.columns}
        renames = [f"{near[m.casefold()]!r} → {m!r}" for m in missing if m.casefold() in near]
        msg = (
            f"Your table has no column {', '.join(repr(m) for m in missing)} "
            f"(it has: {', '.join(map(str, got.columns[:10]))})."
        )
        return_hint = (
            ("Rename: " + ", ".join(renames) + " with .rename(columns={...}).")
            if renames
            else (hints.get(missing[0]) or hint)
        )
        raise Fail(msg, return_hint)
    if keys:
        for k in keys:
            got[k] = _normalize_keys(got[k], exp[k]).to_numpy()
            exp = exp.assign(**{k: _exp_keys(exp[k]).to_numpy()})
        if got.duplicated(subset=keys).any():
            first = got.loc[got.duplicated(subset=keys), keys].iloc[0].tolist()
            raise Fail(
                f"{', '.join(map(str, first))} appears more than once in your table; each of the "
                f"{entity} should appear once.",
                hint or f"Group by {', '.join(keys)} before aggregating.",
            )
        g = got.set_index(keys)
        e = exp.set_index(keys)
        _check_same_labels(g.index, e.index, entity, hint)
        g = g.reindex(e.index)
    else:
        if len(got) != len(exp):
            raise Fail(f"Your table has {_plural(len(got), entity)}, expected {len(exp):,}.", hint)
        g = got.reset_index(drop=True)
        e = exp.reset_index(drop=True)
    g = g[cols]
    e = e[cols]
    bads = {c: _compare_column(g[c], e[c], rtol, atol, decimals) for c in cols}
    wrong = [c for c in cols if bads[c].any()]
    if wrong:
        if diagnose is not None:
            special = diagnose(g, e)
            if special:
                raise Fail(special, hints.get(wrong[0], hint))
        fail = _value_mismatch(
            g[wrong[0]], e[wrong[0]], bads[wrong[0]], entity, repr(wrong[0]), hints.get(wrong[0], hint)
        )
        if len(wrong) > 1:
            fail = Fail(fail.message + f" (Also different: {', '.join(wrong[1:])}.)", fail.hint)
        raise fail
    if ordered and keys:
        got_order = list(got.set_index(keys).index)
        if got_order != list(e.index):
            raise Fail("Your values are right but the rows are not in the expected order.", order_hint or hint)
    return None


def describe_axes(answer: Any, hint: str = "") -> dict:
    """What a figure shows, as data: title, axis labels, bars (label and value) and how much is drawn.

    ``answer`` is a matplotlib Axes, a Figure (its first Axes), or the description
    :func:`crmlab.checks._answers.describe_figure` makes of one (the form in which the grader
    hands a figure out of a student's kernel); both are read through that one description.
    Each bar of a bar chart gets its value (the height of a vertical bar, the width of a
    horizontal one) and its label (the category tick at its centre). Raises :class:`Fail`
    when ``answer`` is no figure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(); _ = ax.barh(["web", "store"], [3.0, 5.0]); _ = ax.set_title("Orders")
    >>> d = describe_axes(ax)
    >>> d["title"], d["bars"]
    ('Orders', [{'label': 'web', 'value': 3.0}, {'label': 'store', 'value': 5.0}])
    >>> describe_axes(d)["bars"] == d["bars"]
    True
    >>> plt.close(fig)
    """
    from crmlab.checks._answers import describe_figure

    if answer is None:
        raise Fail(NOT_ANSWERED)
    if isinstance(answer, dict) and answer.get("kind") == "bars":
        return answer
    try:
        d = describe_figure(answer)
    except TypeError:
        raise Fail(
            f"Your answer is {_kind(answer)}, but a matplotlib Axes (the `ax` a plot returns) is expected.",
            hint or "Keep what the plot returns, e.g. ax = series.plot.bar().",
        ) from None
    if d.get("kind") == "figure":
        if not d.get("axes"):
            raise Fail("Your figure has no axes: nothing is drawn.", hint)
        d = d["axes"][0]
    bars = []
    for b in d.get("bars", []):
        if b.get("orientation") not in ("vertical", "horizontal"):
            continue
        horizontal = b["orientation"] == "horizontal"
        axis = "y" if horizontal else "x"
        centre = b["y"] + b["height"] / 2 if horizontal else b["x"] + b["width"] / 2
        ticks, labels = d.get(f"{axis}ticks") or [], d.get(f"{axis}ticklabels") or []
        near = [
            lab for loc, lab in zip(ticks, labels) if loc is not None and abs(loc - centre) < 1e-6 + 1e-3 * abs(centre)
        ]
        bars.append({"label": str(near[0]) if near else "", "value": float(b["width"] if horizontal else b["height"])})
    drawn = len(d.get("bars", [])) + len(d.get("lines", [])) + len(d.get("collections", [])) + len(d.get("images", []))
    return {
        "kind": "bars",
        "title": str(d.get("title", "")),
        "xlabel": str(d.get("xlabel", "")),
        "ylabel": str(d.get("ylabel", "")),
        "bars": bars,
        "artists": drawn,
    }


def expect_axes(
    answer: Any,
    *,
    title: bool = True,
    labels: bool = True,
    min_artists: int = 1,
    hint: str = "",
) -> dict:
    """Check a figure: a matplotlib Axes (or a Figure with one, or its :func:`describe_axes`
    description) with something drawn on it, a title and labelled axes. Returns the description.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(); _ = ax.bar(["a", "b"], [1, 2])
    >>> expect_axes(ax)
    Traceback (most recent call last):
    ...
    crmlab.checks.Fail: Your figure has no title. Hint: Add one with ax.set_title(...).
    >>> plt.close(fig)
    """
    d = describe_axes(answer, hint)
    if d["artists"] < min_artists:
        raise Fail("Your axes are empty: nothing is drawn on them.", hint)
    if title and not d["title"]:
        raise Fail("Your figure has no title.", hint or "Add one with ax.set_title(...).")
    if labels and not (d["xlabel"] and d["ylabel"]):
        axis = "x" if not d["xlabel"] else "y"
        raise Fail(f"Your {axis} axis has no label.", hint or f"Add one with ax.set_{axis}label('... (unit)').")
    return d


def expect_bars(
    answer: Any,
    expected: "pd.Series",
    *,
    what: str = "the values",
    entity: str = "bars",
    unit: Sequence[str] = (),
    value_axis_words: str = "",
    decimals: int | None = 2,
    mistakes: Iterable[tuple["pd.Series", str]] = (),
    allow_missing: Sequence[str] = (),
    hint: str = "",
) -> None:
    """Check a bar chart's content: one bar per label of ``expected``, each as high as its value.

    The figure must pass :func:`expect_axes` (title, both axes labelled). Bars are matched by
    their category label (case and spaces ignored; any order, vertical or horizontal); values
    pass under the rounding policy of :func:`rounded_match` or within 1e-6 relative. ``unit``:
    words of which one must appear in an axis label (e.g. ``("currency",)``). ``mistakes``:
    ``(series, message)`` pairs, the bars a typical mistake draws (performance instead of
    importance, ...). ``allow_missing``: labels that may be left out (e.g. an absorbing phase).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> fig, ax = plt.subplots(); _ = pd.Series({"web": 3.0, "store": 5.0}).plot.bar(ax=ax)
    >>> _ = ax.set(title="Revenue", xlabel="channel", ylabel="revenue")
    >>> expect_bars(ax, pd.Series({"store": 5.0, "web": 3.0}), unit=("currency",))
    Traceback (most recent call last):
    ...
    crmlab.checks.Fail: Your axis labels do not say the unit (currency). Hint: Put the unit in the value axis's label, e.g. ax.set_ylabel('revenue (currency)').
    >>> plt.close(fig)
    """
    import numpy as np

    d = expect_axes(answer, hint=hint)
    bars = d["bars"]
    if not bars:
        raise Fail("Your figure has no bars: a bar chart is expected.", hint or "Draw it with series.plot.bar().")
    got: dict[str, float] = {}
    for b in bars:
        key = _norm_label(b["label"])
        got[key] = got.get(key, 0.0) + float(b["value"]) if key in got else float(b["value"])
    exp = {_norm_label(k): float(v) for k, v in expected.items()}
    optional = {_norm_label(k) for k in allow_missing}
    if unit and not any(u.casefold() in (d["xlabel"] + " " + d["ylabel"]).casefold() for u in unit):
        raise Fail(
            f"Your axis labels do not say the unit ({' or '.join(unit)}).",
            hint
            or f"Put the unit in the value axis's label, e.g. ax.set_ylabel('{value_axis_words or 'revenue'} "
            f"({unit[0]})').",
        )

    def same(values: dict) -> bool:
        if set(got) - set(values) or (set(values) - set(got)) - optional:
            return False
        g = np.array([got[k] for k in got])
        e = np.array([values[k] for k in got])
        return bool(np.all(np.isclose(g, e, rtol=1e-6, atol=1e-9) | rounded_match(g, e, decimals)))

    if same(exp):
        return None
    for series, text in mistakes:
        alt = {_norm_label(k): float(v) for k, v in series.items()}
        if alt != exp and same(alt):
            raise Fail(text, hint)
    unknown = sorted(set(got) - set(exp))
    missing = sorted((set(exp) - set(got)) - optional)
    if unknown or missing:
        parts = [
            f"Your chart has {_plural(len(bars), 'bars')}, expected one per {_plural(1, entity).split(' ', 1)[1]} "
            f"({len(exp):,})"
        ]
        if missing:
            parts.append(f"missing: {_examples(missing)}")
        if unknown:
            parts.append(f"not expected: {_examples(unknown)}")
        raise Fail("; ".join(parts) + ".", hint)
    wrong = [
        k
        for k in got
        if not (np.isclose(got[k], exp[k], rtol=1e-6, atol=1e-9) or rounded_match(got[k], exp[k], decimals))
    ]
    first = wrong[0] if wrong else next(iter(got))
    raise Fail(
        f"Your bars do not show {what}: the bar {first!r} is {_fmt(got[first])}, "
        f"{'higher' if got[first] > exp[first] else 'lower'} than it should be.",
        hint,
    )


def expect_labels(
    answer: Any,
    truth: Mapping[str, str],
    aliases: Mapping[str, str],
    *,
    what: str = "your labels",
    hint: str = "",
) -> None:
    """Check a dict that labels each statement (letter → label), e.g. ``{"A": "keep", ...}``.

    ``truth`` maps each statement to its right label; ``aliases`` maps every accepted spelling
    (case and spaces ignored) to a label. A Series is taken as a dict. The message counts the
    wrong statements and names them, never the right labels.

    Examples
    --------
    >>> truth = {"A": "short-term", "B": "long-term"}
    >>> aliases = {"short": "short-term", "short-term": "short-term", "long": "long-term", "long-term": "long-term"}
    >>> expect_labels({"a": "Short", "B": "long"}, truth, aliases)
    >>> expect_labels({"A": "long", "B": "long"}, truth, aliases)
    Traceback (most recent call last):
    ...
    crmlab.checks.Fail: 1 of 2 statements is labelled wrongly: A.
    """
    import pandas as pd

    if answer is None:
        raise Fail(NOT_ANSWERED)
    if isinstance(answer, pd.Series):
        answer = answer.to_dict()
    if not isinstance(answer, Mapping):
        raise Fail(
            f"Your answer is {_kind(answer)}, but {what} (a dict such as "
            f"{{'{next(iter(truth))}': '{next(iter(truth.values()))}', ...}}) is expected.",
            hint,
        )
    got = {str(k).strip().casefold(): v for k, v in answer.items()}
    missing = [k for k in truth if k.casefold() not in got]
    if missing:
        raise Fail(
            f"Your answer has no label for {_examples(missing, 8)}.", f"Label every statement: {', '.join(truth)}."
        )
    names = sorted(set(aliases.values()))
    wrong = []
    for key, right in truth.items():
        value = got[key.casefold()]
        label = aliases.get(_norm_label(value)) if isinstance(value, str) else None
        if label is None:
            raise Fail(
                f"Statement {key}: {_fmt(value)} is not one of the labels.",
                f"Label each statement with one of: {', '.join(repr(n) for n in names)}.",
            )
        if label != right:
            wrong.append(key)
    if wrong:
        raise Fail(
            f"{len(wrong)} of {_plural(len(truth), 'statements')} {_verb(len(wrong), 'is', 'are')} labelled "
            f"wrongly: {', '.join(wrong)}.",
            hint,
        )
    return None


def once(ctx: Any, key: str, make: Callable[[], Any]) -> Any:
    """``make()`` computed once per check session (one student's data) and kept on the context.

    The expected answer of a check and its typical mistakes depend on the data only, not on the
    answer: a student who checks five attempts, or a grader who checks a class, computes them
    once. ``key`` names the computation within the exercise.

    Examples
    --------
    >>> class Ctx: pass
    >>> ctx, calls = Ctx(), []
    >>> once(ctx, "x", lambda: calls.append(1) or 42), once(ctx, "x", lambda: calls.append(1) or 42), len(calls)
    (42, 42, 1)
    """
    store = ctx.__dict__.setdefault("_once", {})
    if key not in store:
        store[key] = make()
    return store[key]
