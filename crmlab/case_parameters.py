"""Case-study parameters (案例参数): what each parameter of a case study may be, checked in the kernel.

A case-study notebook follows the conventions of papermill (nteract,
https://papermill.readthedocs.io): the first code cell is tagged ``parameters``
and holds the defaults; papermill inserts a cell with the given values after it.
Right after, ``validate_params(globals(), SPEC)`` checks every parameter against
its :class:`Param` (type, range, choices, date) and raises
:class:`CaseStudyParameterError` naming the parameter, its value and the fix;
:func:`parameter_table` shows the values a run used, defaults included.

This module runs inside the notebook's kernel; the batch runner that starts
kernels is :mod:`crmlab.casestudy`.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from crmlab._validate import CRMDataError, check_choice, check_range

__all__ = ["CaseStudyParameterError", "Param", "validate_params", "parameter_table"]


class CaseStudyParameterError(CRMDataError):
    """A case-study parameter cannot be used; the message names it and the fix."""


@dataclass(frozen=True)
class Param:
    """What one case-study parameter may be.

    Parameters
    ----------
    type : ``int``, ``float``, ``str``, ``bool``, ``dict`` or ``"date"`` (a date string
        such as ``"2024-12-31"``, a ``datetime.date`` or a ``pd.Timestamp``).
    lo, hi : bounds for numbers and dates (inclusive unless ``lo_open``/``hi_open``).
    choices : allowed values (after conversion).
    hint : a sentence added to the error message, saying what to use instead.
    optional : ``None`` is accepted (e.g. ``student_id = None``).
    """

    type: Any
    lo: Any = None
    hi: Any = None
    lo_open: bool = False
    hi_open: bool = False
    choices: Sequence[Any] | None = None
    hint: str = ""
    optional: bool = False


def _problem(text: str, spec: Param) -> CaseStudyParameterError:
    """One parameter problem, with the spec's hint after a colon (or a full stop)."""
    text = text.rstrip(" .")
    return CaseStudyParameterError(f"{text}: {spec.hint}" if spec.hint else f"{text}.")


def _as_type(name: str, value: Any, spec: Param) -> Any:
    """Convert ``value`` to the parameter's type or raise CaseStudyParameterError."""
    kind, said = spec.type, f"parameter '{name}' = {value!r}"
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "yes", "1"):
            return True
        if text in ("false", "no", "0"):
            return False
        raise _problem(f"{said} is not True/False", spec)
    if kind in (int, float):
        if isinstance(value, bool):
            raise _problem(f"{said} must be a number, not True/False", spec)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise _problem(f"{said} is not a number", spec) from None
        if kind is float:
            return number
        if not number.is_integer():
            raise _problem(f"{said} must be a whole number", spec)
        return int(number)
    if kind is str:
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise _problem(f"{said} must be text", spec)
    if kind in ("date", _dt.date, _dt.datetime):
        import pandas as pd

        try:
            stamp = pd.Timestamp(value)
        except (TypeError, ValueError):
            stamp = None
        if stamp is None or stamp is pd.NaT:
            raise _problem(f"{said} is not a date (use the ISO form, e.g. '2024-12-31')", spec)
        return stamp
    if kind is dict:
        if isinstance(value, Mapping):
            return dict(value)
        raise _problem(f"{said} must be a mapping such as {{'churn': 0.5}}", spec)
    raise TypeError(f"Param type {kind!r} for '{name}' is not supported; use int, float, str, bool, dict or 'date'")


def _check_one(name: str, value: Any, spec: Param) -> Any:
    if value is None:
        if spec.optional:
            return None
        raise _problem(f"parameter '{name}' is None (give it a value)", spec)
    converted = _as_type(name, value, spec)
    if spec.type in (int, float) and (spec.lo is not None or spec.hi is not None):
        try:
            check_range(name, converted, lo=spec.lo, hi=spec.hi, lo_open=spec.lo_open, hi_open=spec.hi_open)
        except CRMDataError as exc:  # same wording as the rest of crmlab, with the value as given
            raise _problem(str(exc).replace(f"= {converted!r}", f"= {value!r}", 1), spec) from None
    elif spec.type not in (int, float, str, bool) and (spec.lo is not None or spec.hi is not None):
        import pandas as pd

        lo = None if spec.lo is None else pd.Timestamp(spec.lo)
        hi = None if spec.hi is None else pd.Timestamp(spec.hi)
        if (lo is not None and converted < lo) or (hi is not None and converted > hi):
            span = f"{'...' if lo is None else lo.date()} to {'...' if hi is None else hi.date()}"
            raise _problem(f"parameter '{name}' = {value!r} is outside {span}", spec)
    if spec.choices is not None:
        try:
            check_choice(name, converted, spec.choices)
        except CRMDataError as exc:
            raise _problem(str(exc), spec) from None
    return converted


def validate_params(params: Mapping[str, Any], spec: Mapping[str, Param]) -> dict[str, Any]:
    """Check case-study parameters; return them converted (dates as ``pd.Timestamp``).

    Call it right after the ``parameters`` cell, usually as
    ``P = validate_params(globals(), SPEC)``. Only the names in ``spec`` are
    looked at. Every problem is reported at once in one
    :class:`CaseStudyParameterError`, which stops the notebook run.

    Parameters
    ----------
    params : the parameter values by name (``globals()`` in a notebook).
    spec : ``{name: Param(...)}`` for every parameter the notebook uses.

    Returns
    -------
    ``{name: value}`` in the order of ``spec``, converted to each declared type.

    Examples
    --------
    >>> spec = {"n_customers": Param(int, lo=50, hi=20000),
    ...         "discount_rate": Param(float, lo=0, hi=1, hi_open=True,
    ...                                hint="use a yearly rate such as 0.1"),
    ...         "scenario": Param(str, choices=["retail", "b2b"])}
    >>> validate_params({"n_customers": 500, "discount_rate": 0.1, "scenario": "b2b"}, spec)
    {'n_customers': 500, 'discount_rate': 0.1, 'scenario': 'b2b'}
    >>> validate_params({"n_customers": 500, "discount_rate": 1.5, "scenario": "b2b"}, spec)
    Traceback (most recent call last):
    ...
    crmlab.case_parameters.CaseStudyParameterError: parameter 'discount_rate' = 1.5 is outside [0, 1): use a yearly rate such as 0.1
    """
    out: dict[str, Any] = {}
    problems: list[str] = []
    for name, one in spec.items():
        if not isinstance(one, Param):
            raise TypeError(f"spec['{name}'] must be a Param(...), got {type(one).__name__}")
        if name not in params:
            problems.append(f"parameter '{name}' is missing: define it in the cell tagged 'parameters'.")
            continue
        try:
            out[name] = _check_one(name, params[name], one)
        except CaseStudyParameterError as exc:
            problems.append(str(exc))
    if len(problems) == 1:
        raise CaseStudyParameterError(problems[0])
    if problems:
        raise CaseStudyParameterError(f"{len(problems)} parameters cannot be used: " + " | ".join(problems))
    return out


def _cell(value: Any) -> str:
    """A value as a Markdown table cell: dates as ISO days, None as a dash, '|' escaped."""
    if value is None:
        return "–"
    if hasattr(value, "strftime") and not isinstance(value, str):
        text = value.strftime("%Y-%m-%d")
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = str(value)
    for ch in "\\`*_[]<|":
        text = text.replace(ch, "\\" + ch)
    return text.replace("\n", " ")


def parameter_table(values: Mapping[str, Any], *, notes: Mapping[str, str] | None = None) -> str:
    """The parameters of a run as a Markdown table (every parameter, defaults included).

    Show it with ``display(Markdown(parameter_table(P)))`` right after
    :func:`validate_params`: a reader of the report sees the values the run
    used, written as they are (Unicode names stay readable), in one place.

    Parameters
    ----------
    values : the validated parameters, ``{name: value}``.
    notes : optional text per parameter (e.g. what ``None`` meant in this run).

    Examples
    --------
    >>> import pandas as pd
    >>> print(parameter_table({"company": "林氏商店", "analysis_date": pd.Timestamp("2024-06-30"), "margin_rate": None},
    ...                       notes={"margin_rate": "from the data"}))
    | parameter | value |
    |---|---|
    | company | 林氏商店 |
    | analysis\\_date | 2024-06-30 |
    | margin\\_rate | – (from the data) |
    """
    notes = dict(notes or {})
    lines = ["| parameter | value |", "|---|---|"]
    for name, value in values.items():
        note = f" ({_cell(notes[name])})" if name in notes else ""
        lines.append(f"| {_cell(name)} | {_cell(value)}{note} |")
    return "\n".join(lines)
