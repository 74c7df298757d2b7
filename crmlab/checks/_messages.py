"""Wording of check messages (提示信息): numbers, labels and values as a student writes them.

Shared by the comparators and the runner so every message formats a value the same way
(``1,234``, ``12.35``, ``'North'``, ``2024-03-01``).
"""

from __future__ import annotations

import math
from typing import Any, Iterable


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _fmt_points(p: float) -> str:
    return f"{_num(p)} point" + ("" if p == 1 else "s")


def _fmt(v: Any) -> str:
    """A value as a student would write it: 1,234 / 12.35 / 0.1235 / 'North' / 2024-03-01.

    Never a Python repr of a numpy or pandas object: a table or a Series is described by its
    size, a list by its items.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> _fmt(np.float64(156.63812)), _fmt(np.int64(0)), _fmt(1234567.891), _fmt("North")
    ('156.64', '0', '1,234,567.89', "'North'")
    >>> _fmt(pd.Series([1, 2, 3])), _fmt(["a", np.int64(2)]), _fmt({"A": np.float64(1.5)})
    ('a Series with 3 values', "['a', 2]", "{'A': 1.5}")
    """
    import numpy as np
    import pandas as pd

    if v is None:
        return "None"
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "infinity" if v > 0 else "minus infinity"
        if v.is_integer() and abs(v) < 1e15:
            return f"{int(v):,}"
        if abs(v) >= 100:
            return f"{v:,.2f}"
        return f"{v:.4g}"
    if isinstance(v, pd.Timestamp):
        return str(v.date()) if v == v.normalize() else str(v)
    if isinstance(v, (str, np.str_)):
        return repr(str(v))
    if isinstance(v, (pd.Series, pd.DataFrame, pd.Index, np.ndarray)) or hasattr(v, "dtype"):
        return _kind(v)
    if isinstance(v, dict):
        items = [f"{_fmt(k)}: {_fmt(x)}" for k, x in list(v.items())[:6]]
        return "{" + ", ".join(items) + (", ..." if len(v) > 6 else "") + "}"
    if isinstance(v, (list, tuple, set, frozenset)):
        items = [_fmt(x) for x in list(v)[:6]]
        text = ", ".join(items) + (", ..." if len(v) > 6 else "")
        return f"[{text}]"
    text = str(v).splitlines()[0] if str(v) else type(v).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def _plural(n: float, noun: str) -> str:
    """``n`` and the noun, singular for exactly one: "1 customer", "3 customers", "1 class".

    Examples
    --------
    >>> _plural(1, "customers"), _plural(2, "customers"), _plural(1, "classes"), _plural(1, "categories")
    ('1 customer', '2 customers', '1 class', '1 category')
    >>> _plural(1, "kinds of loyalty")
    '1 kind of loyalty'
    """
    count = f"{int(n):,}" if float(n).is_integer() else f"{n:g}"
    return f"{count} {_singular(noun) if n == 1 else noun}"


def _singular(noun: str) -> str:
    """The singular of a plural English noun of the messages (customers, classes, categories,
    kinds of loyalty)."""
    if " of " in noun:
        head, tail = noun.split(" of ", 1)
        return f"{_singular(head)} of {tail}"
    words = noun.split(" ")
    last = words[-1]
    if last.endswith("ies"):
        last = last[:-3] + "y"
    elif last.endswith(("sses", "ches", "shes", "xes")):
        last = last[:-2]
    elif last.endswith("s") and not last.endswith("ss"):
        last = last[:-1]
    return " ".join(words[:-1] + [last])


def _verb(n: float, singular: str, plural: str) -> str:
    """The verb agreeing with a count: ``_verb(1, "has", "have")`` is "has"."""
    return singular if n == 1 else plural


def _article(word: str) -> str:
    """``word`` with its indefinite article: "an int", "a float".

    Examples
    --------
    >>> _article("int"), _article("float")
    ('an int', 'a float')
    """
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def _how_far(value: float, exp: float) -> str:
    """How far a wrong number is from the expected one, in words a student can act on.

    Up to twice the expected size: the relative difference ("by 3.25%"); beyond: the factor,
    rounded, which points at a unit mistake (a percentage for a share, cents for units).

    Examples
    --------
    >>> _how_far(4, 3), _how_far(2, 3), _how_far(3253.3, 1.0), _how_far(-5, 3)
    (' (by 33.33%)', ' (by 33.33%)', ' (about 3,253 times as large)', ' (and of the opposite sign)')
    """
    if exp == 0 or not math.isfinite(value):
        return ""
    if value * exp < 0:
        return " (and of the opposite sign)"
    ratio = abs(value / exp)
    if ratio >= 2:
        return f" (about {ratio:,.0f} times as large)" if ratio >= 10 else f" (about {ratio:.1f} times as large)"
    return f" (by {abs(value - exp) / abs(exp):.2%})"


def _kind(x: Any) -> str:
    """How to call the type of ``x`` in a message: "a Series with 3 values", "an int".

    Examples
    --------
    >>> import numpy as np
    >>> _kind(3), _kind(np.float64(1.5)), _kind(np.arange(4))
    ('an int', 'a number (1.5)', 'an array of 4 values')
    """
    import numpy as np
    import pandas as pd

    if isinstance(x, pd.DataFrame):
        return (
            f"a table (DataFrame) with {_plural(len(x), 'rows')} and columns "
            f"{', '.join(map(str, list(x.columns)[:8]))}{', ...' if x.shape[1] > 8 else ''}"
        )
    if isinstance(x, pd.Series):
        return f"a Series with {_plural(len(x), 'values')}"
    if isinstance(x, pd.Index):
        return f"an Index with {_plural(len(x), 'values')}"
    if isinstance(x, np.ndarray):
        return f"an array of {_plural(x.size, 'values')}"
    if isinstance(x, (bool, np.bool_)):
        return f"True/False ({bool(x)})"
    if isinstance(x, (np.integer, np.floating)):
        return f"a number ({_fmt(x)})"
    if isinstance(x, str):
        return f"the text {_fmt(x[:40])}"
    if isinstance(x, (list, tuple, set, dict)):
        return f"{_article(type(x).__name__)} of {_plural(len(x), 'items')}"
    return _article(type(x).__name__)


def _examples(values: Iterable[Any], n: int = 3) -> str:
    vals = [
        _fmt(v).strip("'") if isinstance(v, str) else (_fmt(v) if not isinstance(v, tuple) else ", ".join(map(str, v)))
        for v in list(values)[:n]
    ]
    return ", ".join(vals)
