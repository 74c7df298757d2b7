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
    """A value as a student would write it: 1,234 / 12.35 / 0.1235 / 'North' / 2024-03-01."""
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
        if v.is_integer() and abs(v) < 1e15:
            return f"{int(v):,}"
        if abs(v) >= 100:
            return f"{v:,.2f}"
        return f"{v:.4g}"
    if isinstance(v, pd.Timestamp):
        return str(v.date()) if v == v.normalize() else str(v)
    if isinstance(v, str):
        return repr(v)
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(x: Any) -> str:
    """How to call the type of ``x`` in a message."""
    import pandas as pd

    if isinstance(x, pd.DataFrame):
        return f"a table (DataFrame) with {len(x):,} rows and columns {list(map(str, x.columns))[:8]}"
    if isinstance(x, pd.Series):
        return f"a Series with {len(x):,} values"
    if isinstance(x, (bool,)):
        return f"True/False ({x})"
    if isinstance(x, str):
        return f"the text {_fmt(x[:40])}"
    return f"a {type(x).__name__}"


def _examples(values: Iterable[Any], n: int = 3) -> str:
    vals = [str(v) for v in list(values)[:n]]
    return ", ".join(vals)
