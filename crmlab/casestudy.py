"""Case studies (案例分析): parameterized notebooks, run one or many.

A case-study notebook is an ordinary notebook that a trainer runs with other
parameters for each company, class or scenario. It follows the conventions of
papermill (nteract, https://papermill.readthedocs.io): the first code cell is
tagged ``parameters`` and holds the defaults; papermill inserts a cell with the
given values after it. This module gives the notebook two helpers and the
trainer a batch runner.

Inside the notebook
-------------------
``validate_params(globals(), SPEC)`` checks every parameter against its
:class:`Param` (type, range, choices, date) right after the parameters cell and
raises :class:`CaseStudyParameterError` with a message that names the
parameter, its value and the fix. The run stops there; papermill marks the
notebook failed and the batch runner puts the message in its summary.

``record(name, value, unit=..., label=...)`` records a key figure.

The recorded-figures contract
-----------------------------
Each ``record`` call leaves one ``display_data`` output in the executed
notebook whose bundle holds two representations:

* ``application/vnd.crmlab.figures+json``:
  ``{"name": str, "value": number | str | bool | None, "unit": str, "label": str}``
  (``name`` is an identifier such as ``top20_share``; numpy numbers become
  plain numbers, dates ISO strings, NaN/inf ``None``);
* ``text/plain``: one readable line, e.g. ``Revenue: 12,345.67 EUR  [revenue]``.

So the figures survive in the ``.ipynb`` (and show as text in Jupyter and in the
HTML report) and :func:`read_figures` collects them with nbformat alone, in
cell order; a name recorded twice keeps its last value.

Running many
------------
``crmlab casestudy run NOTEBOOK --params FILE --out DIR`` (or
:func:`run_batch`) executes the notebook once per parameter set with
papermill, in separate processes with ``--jobs N``, writing ``DIR/<run>.ipynb``,
optionally ``DIR/<run>.html``, and ``DIR/summary.csv`` / ``DIR/summary.json``
with one row per run: name, status (``ok``, ``failed``, ``skipped-existing``),
error, duration, ``param_<name>`` columns and one column per recorded figure.
A failing run never stops the others; a run whose notebook already succeeded
with the same parameters is skipped (resume) unless ``force``. Exit status of
the command: 0 all runs ok (or skipped), 1 at least one failed, 2 usage error.
"""
from __future__ import annotations

import csv
import datetime as _dt
import difflib
import hashlib
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from crmlab._validate import CRMDataError, check_choice, check_range

__all__ = [
    "FIGURE_MIMETYPE",
    "CaseStudyParameterError",
    "ParamFileError",
    "Param",
    "validate_params",
    "record",
    "read_figures",
    "load_param_file",
    "run_batch",
    "register",
]

FIGURE_MIMETYPE = "application/vnd.crmlab.figures+json"
STATUSES = ("ok", "failed", "skipped-existing")
_BASE_COLUMNS = ("run", "status", "error", "duration_s", "notebook", "html")
_NAME_KEY = "name"
_FIGURE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class CaseStudyParameterError(CRMDataError):
    """A case-study parameter cannot be used; the message names it and the fix."""


class ParamFileError(CRMDataError):
    """A parameter file (or parameter set) cannot be used; the message says where and why."""


# ---------------------------------------------------------------- in the notebook


@dataclass(frozen=True)
class Param:
    """What one case-study parameter may be.

    Parameters
    ----------
    type : ``int``, ``float``, ``str``, ``bool`` or ``"date"`` (a date string
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
    raise TypeError(f"Param type {kind!r} for '{name}' is not supported; use int, float, str, bool or 'date'")


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
    crmlab.casestudy.CaseStudyParameterError: parameter 'discount_rate' = 1.5 is outside [0, 1): use a yearly rate such as 0.1
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


def _plain(value: Any) -> Any:
    """A JSON-safe plain version of a figure value."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if hasattr(value, "isoformat"):  # date, datetime, pd.Timestamp
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict)):  # numpy scalar
        value = value.item()
    if isinstance(value, bool) or isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    raise TypeError(f"a recorded figure must be a number, text, bool, date or None; got {type(value).__name__}")


def _format_value(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "n/a" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}"
    return f"{value:.3g}"


def record(name: str, value: Any, *, unit: str = "", label: str = "") -> None:
    """Record a key figure of a case study in the notebook's outputs.

    Displays one output with the JSON figure (mimetype
    ``application/vnd.crmlab.figures+json``) and a readable text line; see the
    module docstring for the contract. Outside Jupyter only the text line is
    printed.

    Parameters
    ----------
    name : an identifier (letters, digits, ``_``) used as the summary column.
    value : a number, text, bool, date or None.
    unit : e.g. ``"EUR"``, ``"customers"``, ``"share"``, ``"days"``.
    label : a short human description; the name is used when empty.

    Examples
    --------
    >>> record("top20_share", 0.6234, unit="share", label="Revenue share of the top 20% customers")
    Revenue share of the top 20% customers: 0.623 share  [top20_share]
    """
    if not isinstance(name, str) or not _FIGURE_NAME.match(name):
        raise CaseStudyParameterError(
            f"figure name {name!r} is not usable: use letters, digits and '_' (e.g. 'top20_share')."
        )
    data = {"name": name, "value": _plain(value), "unit": str(unit), "label": str(label)}
    text = f"{label or name}: {_format_value(data['value'])} {unit}".rstrip() + f"  [{name}]"
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        get_ipython = lambda: None  # noqa: E731
    if get_ipython() is None:
        print(text)
        return
    from IPython.display import display

    display({FIGURE_MIMETYPE: data, "text/plain": text}, raw=True)


def read_figures(notebook: str | os.PathLike | Any, *, details: bool = False) -> dict[str, Any]:
    """Collect the recorded figures of an executed notebook.

    Parameters
    ----------
    notebook : path of an executed ``.ipynb`` (or an nbformat notebook object).
    details : return ``{name: {"value", "unit", "label"}}`` instead of ``{name: value}``.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook()
    >>> out = nbformat.v4.new_output("display_data", data={
    ...     FIGURE_MIMETYPE: {"name": "customers", "value": 120, "unit": "customers", "label": ""},
    ...     "text/plain": "customers: 120 customers  [customers]"})
    >>> nb.cells.append(nbformat.v4.new_code_cell("record(...)", outputs=[out]))
    >>> read_figures(nb)
    {'customers': 120}
    """
    import nbformat

    nb = notebook if hasattr(notebook, "cells") else nbformat.read(os.fspath(notebook), as_version=4)
    found: dict[str, Any] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", ()) if cell.get("cell_type") == "code" else ():
            data = output.get("data", {}).get(FIGURE_MIMETYPE)
            if isinstance(data, str):  # some writers keep JSON bundles as text
                data = json.loads(data)
            if not isinstance(data, Mapping) or "name" not in data:
                continue
            found.pop(data["name"], None)  # a repeated name moves to its last place
            found[data["name"]] = (
                {"value": data.get("value"), "unit": data.get("unit", ""), "label": data.get("label", "")}
                if details
                else data.get("value")
            )
    return found


# ---------------------------------------------------------------- parameter files


def _scalar(text: str) -> Any:
    """A CSV cell as int, float or bool where it looks like one, else the text."""
    t = text.strip()
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    if re.fullmatch(r"[+-]?\d+", t):
        return int(t)
    if re.fullmatch(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?", t):
        return float(t)
    return t


def _plain_param(value: Any) -> Any:
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain_param(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain_param(v) for k, v in value.items()}
    return value


def _load_with_places(path: Path) -> tuple[list[dict], list[str]]:
    """The parameter sets of a file and, for messages, where each one sits."""
    where = f"params file '{path}'"
    if not path.is_file():
        raise ParamFileError(f"{where}: no such file. Give a YAML (.yaml/.yml) or CSV (.csv) file.")
    suffix = path.suffix.lower()
    text = path.read_text(encoding="utf-8-sig")
    if suffix == ".csv":
        rows = list(csv.reader(text.splitlines()))
        rows = [r for r in rows if any(c.strip() for c in r)]
        if not rows:
            raise ParamFileError(f"{where}: the file is empty; the first line must name the parameters.")
        header = [h.strip() for h in rows[0]]
        dup = sorted({h for h in header if header.count(h) > 1})
        if "" in header or dup:
            problem = "an empty column name" if "" in header else f"repeated column(s) {', '.join(dup)}"
            raise ParamFileError(f"{where}: the header line has {problem}; give every column one parameter name.")
        sets, places = [], []
        for i, row in enumerate(rows[1:], start=1):
            if len(row) > len(header):
                raise ParamFileError(
                    f"{where}, row {i}: {len(row)} values for {len(header)} columns; "
                    f"quote values that contain commas."
                )
            # an empty cell keeps the notebook's default for that parameter
            sets.append({h: _scalar(v) for h, v in zip(header, row) if v.strip() != ""})
            places.append(f"row {i}")
    elif suffix in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text)
            node = yaml.compose(text)
        except yaml.YAMLError as exc:
            raise ParamFileError(f"{where}: not valid YAML: {exc}".replace("\n", " ")) from None
        defaults: dict = {}
        entries_node = node
        if isinstance(data, dict):
            unknown = sorted(set(data) - {"runs", "defaults"})
            if "runs" not in data or unknown:
                raise ParamFileError(
                    f"{where}: a mapping at the top must have the key 'runs' (a list of parameter sets) "
                    f"and optionally 'defaults'" + (f"; found {', '.join(map(str, unknown))}" if unknown else "") + "."
                )
            defaults = data.get("defaults") or {}
            if not isinstance(defaults, dict):
                raise ParamFileError(f"{where}: 'defaults' must be a mapping of parameter: value.")
            entries_node = next(v for k, v in node.value if k.value == "runs")
            data = data["runs"]
        if not isinstance(data, list):
            raise ParamFileError(
                f"{where}: expected a list of parameter sets (one '- name: ...' entry per run) "
                f"or a mapping with 'runs:', found {type(data).__name__}."
            )
        sets, places = [], []
        marks = [n.start_mark.line + 1 for n in getattr(entries_node, "value", [])]
        for i, entry in enumerate(data, start=1):
            place = f"entry {i}" + (f" (line {marks[i - 1]})" if i - 1 < len(marks) else "")
            if entry is None:
                entry = {}
            if not isinstance(entry, dict):
                raise ParamFileError(
                    f"{where}, {place}: expected a mapping of parameter: value, found "
                    f"{type(entry).__name__} {entry!r}."
                )
            bad_keys = [k for k in entry if not isinstance(k, str)]
            if bad_keys:
                raise ParamFileError(f"{where}, {place}: parameter names must be text, found {bad_keys[0]!r}.")
            sets.append(_plain_param({**defaults, **entry}))
            places.append(place)
    else:
        raise ParamFileError(f"{where}: unknown file type '{path.suffix}'; use .yaml, .yml or .csv.")
    if not sets:
        raise ParamFileError(f"{where}: no parameter sets found; add at least one run.")
    return sets, [f"{where}, {p}" for p in places]


def load_param_file(path: str | os.PathLike) -> list[dict]:
    """Read the parameter sets of a batch from a YAML or CSV file.

    YAML: a list of mappings, or a mapping with ``runs:`` (that list) and
    optionally ``defaults:`` (merged into every run). CSV: a header line with
    parameter names, one row per run; values that look like ints, floats or
    ``true``/``false`` are converted, an empty cell keeps the notebook's
    default. The key/column ``name`` names the run. Dates become ISO strings.

    Raises :class:`ParamFileError` naming the file, the entry or row, and the
    problem.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "runs.csv"
    >>> _ = p.write_text("name,n_customers,discount_rate,scenario\\nacme,500,0.1,b2b\\n")
    >>> load_param_file(p)
    [{'name': 'acme', 'n_customers': 500, 'discount_rate': 0.1, 'scenario': 'b2b'}]
    """
    return _load_with_places(Path(path))[0]


# ---------------------------------------------------------------- planning a batch


def _safe(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text).strip("._-")


def _derived_name(params: Mapping[str, Any]) -> str:
    parts = [f"{_safe(str(k))}-{_safe(str(v))}" for k, v in params.items()]
    name = "_".join(p for p in parts if p) or "defaults"
    if len(name) > 60:
        digest = hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:8]
        name = f"{name[:51].rstrip('._-')}-{digest}"
    return name


def _plan(
    param_sets: Sequence[Mapping[str, Any]], declared: Iterable[str], notebook: Path, places: Sequence[str]
) -> list[tuple[str, dict]]:
    """Name every run and check its parameter names against the notebook."""
    declared = list(declared)
    runs: list[tuple[str, dict]] = []
    taken: dict[str, str] = {}  # lower-case name -> place (file systems may ignore case)
    for params, place in zip(param_sets, places):
        if not isinstance(params, Mapping):
            raise ParamFileError(f"{place}: expected a mapping of parameter: value, got {type(params).__name__}.")
        params = dict(params)
        given = params.pop(_NAME_KEY, None)
        for key in params:
            if key not in declared:
                close = difflib.get_close_matches(str(key), declared, n=1)
                raise ParamFileError(
                    f"{place}: unknown parameter '{key}'"
                    + (f" (did you mean '{close[0]}'?)" if close else "")
                    + f". The notebook '{notebook.name}' declares: {', '.join(declared)}."
                )
        if given is not None:
            name = _safe(str(given))
            if not name:
                raise ParamFileError(f"{place}: run name {given!r} has no usable characters; use letters or digits.")
            if name.lower() in taken:
                raise ParamFileError(
                    f"{place}: run name '{name}' is used twice (also {taken[name.lower()]}); "
                    f"each run writes <name>.ipynb, so names must be unique."
                )
        else:
            base = name = _derived_name(params)
            k = 2
            while name.lower() in taken:
                name, k = f"{base}-{k}", k + 1
        taken[name.lower()] = place
        runs.append((name, params))
    return runs


def _declared_parameters(notebook: Path) -> list[str]:
    import ast

    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    cell = next((c for c in nb.cells if "parameters" in c.metadata.get("tags", ())), None)
    declared: list[str] = []
    if cell is not None:
        try:
            tree = ast.parse(cell.source)
        except SyntaxError as exc:
            raise ParamFileError(
                f"notebook '{notebook}': the cell tagged 'parameters' is not valid Python "
                f"(line {exc.lineno}: {exc.msg}); it must hold plain assignments such as seed = 42."
            ) from None
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            declared += [t.id for t in targets if isinstance(t, ast.Name) and t.id not in declared]
    if not declared:
        raise ParamFileError(
            f"notebook '{notebook}': no code cell tagged 'parameters' with defaults; "
            f"tag the first code cell 'parameters' (View > Cell Toolbar / property inspector)."
        )
    return declared


# ---------------------------------------------------------------- executing


def _current_env_kernel_manager():
    """A kernel manager that starts the python3 kernel of this very interpreter."""
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpec

    class CurrentEnvKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw):
            # the kernel process's own log lines (transport warnings, shutdown notes) would
            # garble the progress bar; cell output and errors travel over the kernel protocol
            kw.setdefault("stderr", subprocess.DEVNULL)
            return await super().start_kernel(**kw)

        @property
        def kernel_spec(self):
            if self._kernel_spec is None:
                self._kernel_spec = KernelSpec(
                    argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                    display_name="Python 3 (ipykernel)",
                    language="python",
                )
            return self._kernel_spec

    return CurrentEnvKernelManager


def _export_html(nb_path: Path, html_path: Path, hide_input: bool) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        exclude_input=hide_input, exclude_input_prompt=hide_input, exclude_output_prompt=hide_input
    )
    # Widget and MathJax scripts are only referenced (CDN), never fetched: works offline.
    body, _ = exporter.from_notebook_node(nbformat.read(nb_path, as_version=4))
    _atomic_write(html_path, body)


def _error_text(exc: BaseException) -> str:
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename:
        return f"{ename}: {evalue}".strip()
    return f"{type(exc).__name__}: {exc}".strip()


def _execute(task: dict) -> dict:
    """Run one notebook (in this process); never raises. Top level so worker processes can pickle it."""
    import papermill

    start = time.perf_counter()
    nb_path, html_path = Path(task["out_nb"]), task["out_html"] and Path(task["out_html"])
    result = {"status": "ok", "error": "", "figures": {}, "html": ""}
    try:
        papermill.execute_notebook(
            task["notebook"],
            str(nb_path),
            parameters=task["params"],
            cwd=task["cwd"],
            progress_bar=False,
            log_output=False,
            execution_timeout=task["timeout"],
            kernel_name="python3",
            language="python",
            kernel_manager_class=_current_env_kernel_manager(),
        )
    except Exception as exc:  # a failed run is a result, not a crash of the batch
        result.update(status="failed", error=_error_text(exc))
    if nb_path.is_file():
        try:
            result["figures"] = read_figures(nb_path, details=True)
            if html_path:
                _export_html(nb_path, html_path, task["hide_input"])
                result["html"] = html_path.name
        except Exception as exc:
            result.update(status="failed", error=(result["error"] + " | " if result["error"] else "") + f"HTML report: {_error_text(exc)}")
    result["duration_s"] = round(time.perf_counter() - start, 2)
    return result


def _existing(nb_path: Path, params: Mapping[str, Any]) -> tuple[str, Any]:
    """State of an earlier output: absent, ok, unfinished (rerun), other-params or foreign (keep)."""
    if not nb_path.exists():
        return "absent", None
    try:
        import nbformat

        nb = nbformat.read(nb_path, as_version=4)
    except Exception:
        return "foreign", None
    meta = nb.metadata.get("papermill")
    if not meta or "parameters" not in meta:
        return "foreign", None
    if meta.get("exception") or not meta.get("end_time"):
        return "unfinished", nb
    if dict(meta["parameters"]) != dict(params):
        return "other-params", nb
    return "ok", nb


# ---------------------------------------------------------------- the summary


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _figure_column(name: str) -> str:
    return f"figure_{name}" if name in _BASE_COLUMNS or name.startswith("param_") else name


def _summary_frame(rows: Sequence[dict]) -> "pd.DataFrame":
    import pandas as pd

    params: dict[str, None] = {}
    figures: dict[str, None] = {}
    for row in rows:
        params.update(dict.fromkeys(row["parameters"]))
        figures.update(dict.fromkeys(row["figures"]))
    flat = []
    for row in rows:
        line = {c: row.get(c, "") for c in _BASE_COLUMNS}
        line.update({f"param_{k}": row["parameters"].get(k) for k in params})
        line.update({_figure_column(k): row["figures"].get(k, {}).get("value") for k in figures})
        flat.append(line)
    columns = list(_BASE_COLUMNS) + [f"param_{k}" for k in params] + [_figure_column(k) for k in figures]
    frame = pd.DataFrame(flat, columns=columns, dtype=object)
    for col in columns:  # keep whole numbers whole where a run lacks the value
        values = [v for v in frame[col] if v is not None and v == v]
        if values and all(isinstance(v, bool) for v in values):
            frame[col] = frame[col].astype("boolean")
        elif values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            frame[col] = frame[col].astype("Int64")
        else:
            frame[col] = frame[col].infer_objects()
    units = {}
    for row in rows:
        units.update({_figure_column(k): v.get("unit", "") for k, v in row["figures"].items()})
    frame.attrs["units"] = units
    return frame


def _write_summary(out_dir: Path, notebook: Path, rows: Sequence[dict]) -> "pd.DataFrame":
    frame = _summary_frame(rows)
    _atomic_write(out_dir / "summary.csv", frame.to_csv(index=False))
    doc = {"notebook": notebook.name, "columns_units": frame.attrs["units"], "runs": list(rows)}
    _atomic_write(out_dir / "summary.json", json.dumps(doc, indent=1, ensure_ascii=False, default=str) + "\n")
    return frame


def _previous_rows(out_dir: Path) -> list[dict]:
    path = out_dir / "summary.json"
    if not path.is_file():
        return []
    try:
        runs = json.loads(path.read_text(encoding="utf-8"))["runs"]
        return [r for r in runs if isinstance(r, dict) and "run" in r and "parameters" in r and "figures" in r]
    except (ValueError, KeyError, TypeError):
        import warnings

        warnings.warn(f"{path} is unreadable; the summary is rebuilt from this batch only", stacklevel=3)
        return []


def run_batch(
    notebook: str | os.PathLike,
    param_sets: Sequence[Mapping[str, Any]],
    out_dir: str | os.PathLike,
    *,
    jobs: int = 1,
    html: bool = False,
    hide_input: bool = False,
    force: bool = False,
    timeout: float | None = None,
    progress: bool = True,
) -> "pd.DataFrame":
    """Run a case-study notebook once per parameter set; return the summary table.

    Each run (named by its ``name`` key, or after its parameters) writes
    ``out_dir/<run>.ipynb`` (and ``<run>.html`` with ``html``). Runs execute
    with papermill in the notebook's folder, on the python3 kernel of this
    interpreter, ``jobs`` at a time in separate processes. A failing run is
    recorded as failed and the others go on. Without ``force`` an earlier
    successful run with the same parameters is skipped (``skipped-existing``)
    and an output made otherwise is never overwritten. ``out_dir/summary.csv``
    and ``summary.json`` combine earlier rows with this batch's and are
    rewritten atomically after every run.

    Parameters
    ----------
    notebook : the case-study ``.ipynb`` (with a cell tagged ``parameters``).
    param_sets : one mapping of parameter values per run (see :func:`load_param_file`).
    out_dir : folder for the outputs (created if needed).
    jobs : how many runs execute at the same time (processes).
    html : also write an HTML report per run (nbconvert).
    hide_input : leave code cells out of the HTML report.
    force : rerun and overwrite every run.
    timeout : seconds a single cell may take (papermill's execution timeout).
    progress : show a progress bar on stderr.

    Returns
    -------
    The summary rows of this batch's runs: ``run``, ``status``, ``error``,
    ``duration_s`` (seconds), ``notebook``, ``html``, ``param_<name>``, then one
    column per recorded figure (units in ``attrs["units"]``).

    Examples
    --------
    >>> import nbformat, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> nb = nbformat.v4.new_notebook(cells=[
    ...     nbformat.v4.new_code_cell("rate = 0.1", metadata={"tags": ["parameters"]}),
    ...     nbformat.v4.new_code_cell("assert 0 <= rate < 1, 'rate must be in [0, 1)'")])
    >>> nbformat.write(nb, d / "case.ipynb")
    >>> s = run_batch(d / "case.ipynb", [{"rate": 0.2}, {"rate": 2}], d / "out", progress=False)
    >>> s[["run", "status", "error", "param_rate"]].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'run': 'rate-0.2', 'status': 'ok', 'error': '', 'param_rate': 0.2},
     {'run': 'rate-2', 'status': 'failed', 'error': 'AssertionError: rate must be in [0, 1)', 'param_rate': 2.0}]
    """
    notebook = Path(notebook).resolve()
    out_dir = Path(out_dir).resolve()  # papermill runs in the notebook's folder
    if not notebook.is_file():
        raise ParamFileError(f"notebook '{notebook}': no such file.")
    if int(jobs) < 1:
        raise ParamFileError(f"jobs = {jobs!r}: use 1 or more parallel runs.")
    if timeout is not None and timeout <= 0:
        raise ParamFileError(f"timeout = {timeout!r}: give a positive number of seconds per cell, or none.")
    runs = _plan(param_sets, _declared_parameters(notebook),
                 notebook, [f"parameter set {i}" for i in range(1, len(param_sets) + 1)])
    if out_dir.exists() and not out_dir.is_dir():
        raise ParamFileError(f"out '{out_dir}' exists and is not a folder.")
    out_dir.mkdir(parents=True, exist_ok=True)

    previous = {r["run"]: r for r in _previous_rows(out_dir)}
    rows: dict[str, dict] = dict(previous)
    todo: list[dict] = []
    for name, params in runs:
        nb_path, html_path = out_dir / f"{name}.ipynb", out_dir / f"{name}.html"
        row = {"run": name, "status": "", "error": "", "duration_s": None, "notebook": nb_path.name,
               "html": "", "parameters": params, "figures": {}}
        state, nb = ("absent", None) if force else _existing(nb_path, params)
        if state == "ok":
            old = previous.get(name, {})
            meta_duration = nb.metadata["papermill"].get("duration")
            row.update(status="skipped-existing", figures=read_figures(nb, details=True),
                       duration_s=old.get("duration_s", None if meta_duration is None else round(meta_duration, 2)))
            if html and not html_path.exists():
                _export_html(nb_path, html_path, hide_input)
            row["html"] = html_path.name if html_path.exists() else ""
        elif state in ("other-params", "foreign"):
            why = ("was run with other parameters" if state == "other-params"
                   else "was not written by a case-study run")
            row.update(status="failed", error=(
                f"{nb_path.name} exists and {why}; it is kept. Rerun with --force (force=True) "
                f"to replace it, or give this run another name."))
        else:
            todo.append({"name": name, "notebook": str(notebook), "out_nb": str(nb_path),
                         "out_html": str(html_path) if html else "", "params": params,
                         "cwd": str(notebook.parent), "timeout": timeout, "hide_input": hide_input})
        rows[name] = row

    from tqdm.auto import tqdm

    done_before = len(runs) - len(todo)
    bar = tqdm(total=len(runs), initial=done_before, desc=notebook.stem, unit="run",
               file=sys.stderr, disable=not progress, leave=True)

    def finish(task: dict, result: dict) -> None:
        row = rows[task["name"]]
        row.update(status=result["status"], error=result["error"], duration_s=result["duration_s"],
                   figures=result["figures"], html=result["html"])
        _write_summary(out_dir, notebook, list(rows.values()))
        bar.update(1)
        bar.set_postfix(failed=sum(rows[n]["status"] == "failed" for n, _ in runs))

    _write_summary(out_dir, notebook, list(rows.values()))
    try:
        if jobs == 1 or len(todo) <= 1:
            for task in todo:
                finish(task, _execute(task))
        else:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor, as_completed
            from concurrent.futures.process import BrokenProcessPool

            # Never fork this (possibly threaded) process: workers come from a fresh
            # fork server that has papermill imported once, or are spawned where there is none.
            if "forkserver" in multiprocessing.get_all_start_methods():
                ctx = multiprocessing.get_context("forkserver")
                ctx.set_forkserver_preload(["crmlab.casestudy", "papermill"])
            else:  # pragma: no cover - Windows
                ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=min(int(jobs), len(todo)), mp_context=ctx) as pool:
                futures = {pool.submit(_execute, task): task for task in todo}
                for future in as_completed(futures):
                    task = futures[future]
                    try:
                        result = future.result()
                    except BrokenProcessPool as exc:
                        result = {"status": "failed", "error": f"worker process died: {exc}",
                                  "figures": {}, "html": "", "duration_s": None}
                    finish(task, result)
    finally:
        bar.close()
    frame = _summary_frame([rows[name] for name, _ in runs])
    return frame


# ---------------------------------------------------------------- command line


def _cmd_run(args) -> int:
    try:
        notebook = Path(args.notebook)
        if not notebook.is_file():
            raise ParamFileError(f"notebook '{notebook}': no such file.")
        sets, places = _load_with_places(Path(args.params))
        _plan(sets, _declared_parameters(notebook), notebook, places)  # messages name file and entry
        summary = run_batch(notebook, sets, args.out, jobs=args.jobs, html=args.html,
                            hide_input=args.hide_input, force=args.force, timeout=args.timeout)
    except ParamFileError as exc:
        print(f"crmlab casestudy run: error: {exc}", file=sys.stderr)
        return 2
    counts = summary["status"].value_counts()
    print(f"{len(summary)} run(s): " + ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES)
          + f". Summary: {Path(args.out) / 'summary.csv'}")
    failed = summary[summary["status"] == "failed"]
    for run, error in zip(failed["run"], failed["error"]):
        print(f"  failed {run}: {error}")
    return 1 if len(failed) else 0


def register(subparsers) -> None:
    """Add ``crmlab casestudy run`` to the ``crmlab`` command."""
    parser = subparsers.add_parser(
        "casestudy", help="run a parameterized case-study notebook for many parameter sets",
        description="Case studies: run one notebook for many companies or scenarios with papermill.",
    )
    actions = parser.add_subparsers(dest="casestudy_action", metavar="ACTION")
    run = actions.add_parser(
        "run", help="run NOTEBOOK once per parameter set in FILE",
        description="Run NOTEBOOK once per parameter set in FILE (YAML list / 'runs:' mapping, or CSV with "
                    "one row per run; key or column 'name' names a run). Writes DIR/<run>.ipynb, "
                    "DIR/<run>.html with --html, and DIR/summary.csv + summary.json. "
                    "Runs that already succeeded with the same parameters are skipped unless --force. "
                    "Exit status: 0 all ok, 1 some run failed, 2 usage error.",
    )
    run.add_argument("notebook", metavar="NOTEBOOK", help="case-study notebook with a cell tagged 'parameters'")
    run.add_argument("--params", required=True, metavar="FILE", help="parameter sets: .yaml/.yml or .csv")
    run.add_argument("--out", required=True, metavar="DIR", help="output folder")
    run.add_argument("--jobs", type=int, default=1, metavar="N", help="runs at the same time (default 1)")
    run.add_argument("--html", action="store_true", help="also write an HTML report per run")
    run.add_argument("--hide-input", action="store_true", help="leave code cells out of the HTML reports")
    run.add_argument("--force", action="store_true", help="rerun and overwrite runs that already succeeded")
    run.add_argument("--timeout", type=float, default=None, metavar="S", help="seconds a single cell may take")
    run.set_defaults(func=_cmd_run)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])
