"""Case-study batches (案例分析批量运行): run a parameterized notebook for many firms or scenarios.

A case-study notebook is an ordinary notebook that a trainer runs with other
parameters for each company, class or scenario, following the conventions of
papermill (nteract, https://papermill.readthedocs.io): the first code cell is
tagged ``parameters`` and holds the defaults. What runs *inside* the kernel
lives elsewhere: parameter checks in :mod:`crmlab.case_parameters`, recorded
figures in :mod:`crmlab.case_figures` (their names are importable from here too).
This module starts the kernels: parameter files, planning, resume, the process
pool, the HTML reports and the command line.

Running many
------------
``crmlab casestudy run NOTEBOOK --params FILE --out DIR`` (or
:func:`run_batch`) executes the notebook once per parameter set with
papermill, in separate processes with ``--jobs N`` (each with one BLAS thread,
so N runs do not fight over the cores), writing ``DIR/<run>.ipynb``,
optionally ``DIR/<run>.html`` (a report for managers: code hidden unless
``show_code``, the injected parameters cell left out), and
``DIR/summary.csv`` / ``DIR/summary.json`` with one row per run: name, status
(``ok``, ``failed``, ``skipped-existing``), error, duration, one
``param_<name>`` column per parameter the notebook declares (the notebook's
default where a run did not set it, in the notebook's order) and one column per
recorded figure (in the order of the notebook's first successful run). A
failing run never stops the others; a run whose notebook already succeeded
with the same parameters is skipped (resume), keeping its figures, unless
``force``. Every file written is readable by all (mode 0644), like a notebook
saved by Jupyter. Exit status of the command: 0 all runs ok (or skipped), 1 at
least one failed, 2 usage error.
"""

from __future__ import annotations

import csv
import datetime as _dt
import difflib
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from crmlab._validate import CRMDataError
from crmlab.case_figures import FIGURE_MIMETYPE, read_figures, record
from crmlab.case_parameters import CaseStudyParameterError, Param, validate_params

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

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

STATUSES = ("ok", "failed", "skipped-existing")
_BASE_COLUMNS = ("run", "status", "error", "duration_s", "notebook", "html")
_NAME_KEY = "name"
#: Environment of every kernel the runner starts: numerical libraries use one thread each.
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class ParamFileError(CRMDataError):
    """A parameter file (or parameter set) cannot be used; the message says where and why."""


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
                    f"{where}, row {i}: {len(row)} values for {len(header)} columns; quote values that contain commas."
                )
            # an empty cell keeps the notebook's default for that parameter
            sets.append({h: _scalar(v) for h, v in zip(header, row) if v.strip() != ""})
            places.append(f"row {i}")
    elif suffix in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text)
            node = yaml.compose(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            at = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            what = "; ".join(str(x) for x in (exc.context, exc.problem) if x)
            if exc.context_mark is not None and mark is not None and exc.context_mark.line != mark.line:
                what += f"; what is unfinished starts on line {exc.context_mark.line + 1}"
            raise ParamFileError(
                f"{where}{at}: not valid YAML ({what}). Check the indentation and quoting there; "
                "each run is one '- name: ...' entry with 'parameter: value' lines."
            ) from None
        except yaml.YAMLError as exc:
            raise ParamFileError(f"{where}: not valid YAML: {exc}".replace("\n", " ")) from None
        if data is None:
            raise ParamFileError(
                f"{where}: the file holds no parameter sets (it is empty or only comments). "
                "Write one entry per run, e.g. '- name: acme' followed by indented 'seed: 7' lines."
            )
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
                    f"{where}, {place}: expected a mapping of parameter: value, found {type(entry).__name__} {entry!r}."
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
    """The parameter names of the notebook's ``parameters`` cell, in order (papermill's inspection)."""
    return list(_parameter_defaults(notebook))


def _parameter_defaults(notebook: Path) -> dict[str, Any]:
    """``{name: default}`` of the notebook's ``parameters`` cell, read by papermill's own inspection.

    papermill's Python translator parses the cell (as ``papermill.inspect_notebook`` does, without
    needing the notebook's kernel name); a default that is not a Python literal (an expression)
    is kept as its source text.
    """
    import ast

    from papermill.iorw import load_notebook_node
    from papermill.translators import PythonTranslator
    from papermill.utils import find_first_tagged_cell_index

    try:
        nb = load_notebook_node(str(notebook))
    except Exception as exc:
        raise ParamFileError(f"notebook '{notebook}': not a readable notebook ({exc}).") from None
    index = find_first_tagged_cell_index(nb, "parameters")
    found = {}
    if index >= 0:
        try:
            ast.parse(nb.cells[index].source)
        except SyntaxError as exc:
            raise ParamFileError(
                f"notebook '{notebook}': the cell tagged 'parameters' is not valid Python "
                f"(line {exc.lineno}: {exc.msg}); it must hold plain assignments such as seed = 42."
            ) from None
        found = {p.name: {"default": p.default} for p in PythonTranslator.inspect(nb.cells[index])}
    if not found:
        raise ParamFileError(
            f"notebook '{notebook}': no code cell tagged 'parameters' with defaults; "
            f"tag the first code cell 'parameters' (View > Cell Toolbar / property inspector)."
        )
    defaults: dict[str, Any] = {}
    for name, info in found.items():
        try:
            defaults[name] = _plain_param(ast.literal_eval(info["default"]))
        except (ValueError, SyntaxError):
            defaults[name] = info["default"]
    return defaults


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
            # one BLAS/OpenMP thread per kernel: with --jobs N, N kernels share the cores
            kw.setdefault("env", {**os.environ, **ONE_THREAD})
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


_RELATIVE_LINK = re.compile(r"(?<!!)\[([^\]]+)\]\((?![a-zA-Z][a-zA-Z0-9+.-]*:|#)[^)]*\)")


def _report_notebook(nb: Any, show_code: bool) -> Any:
    """The executed notebook as a manager reads it.

    One parameters cell: the cell papermill injected (with text escaped as
    ``\\u6797...``) is left out, and the run's values are written into the
    defaults cell, as plain Python text with its comments, so the code shown is
    the code that ran (the notebook also shows all values as a table). Links to
    files beside the notebook (``[text](CASESTUDIES.md)``) are dead in a mailed
    report, so their text stays and the link goes.
    """
    import copy

    nb = copy.deepcopy(nb)
    given = dict(nb.metadata.get("papermill", {}).get("parameters", {}) or {})
    cells = []
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags:
            continue
        if "parameters" in tags and given:
            cell.source = _with_values(cell.source, given)
        if cell.cell_type == "markdown":
            cell.source = _RELATIVE_LINK.sub(r"\1", cell.source)
        cells.append(cell)
    nb.cells = cells
    return nb


_ASSIGNMENT = re.compile(r"^(?P<name>[A-Za-z_]\w*)(?P<eq>\s*=\s*)(?P<value>.*?)(?P<comment>\s+#.*)?$")


def _with_values(source: str, given: Mapping[str, Any]) -> str:
    """The parameters cell with the run's values in place of the defaults (readable text, comments kept)."""
    lines = []
    for line in source.splitlines():
        m = _ASSIGNMENT.match(line)
        if m and m["name"] in given:
            value = repr(given[m["name"]])
            line = f"{m['name']}{m['eq']}{value}{m['comment'] or ''}"
        lines.append(line)
    return "\n".join(lines)


def _export_html(nb_path: Path, html_path: Path, show_code: bool = False) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    hide = not show_code
    exporter = HTMLExporter(exclude_input=hide, exclude_input_prompt=hide, exclude_output_prompt=hide)
    # Widget and MathJax scripts are only referenced (CDN), never fetched: works offline.
    body, _ = exporter.from_notebook_node(_report_notebook(nbformat.read(nb_path, as_version=4), show_code))
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
    result: dict[str, Any] = {"status": "ok", "error": "", "figures": {}, "html": ""}
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
                _export_html(nb_path, html_path, task["show_code"])
                result["html"] = html_path.name
        except Exception as exc:
            result.update(
                status="failed",
                error=(result["error"] + " | " if result["error"] else "") + f"HTML report: {_error_text(exc)}",
            )
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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())  # readable like any file Jupyter or papermill writes
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _figure_column(name: str) -> str:
    return f"figure_{name}" if name in _BASE_COLUMNS or name.startswith("param_") else name


def _figure_order(rows: Sequence[dict]) -> list[str]:
    """Figure names in a stable order: that of the successful run recording the most (ties: first by
    run name), then any others alphabetically; so the columns do not depend on which run ran first."""
    ok = sorted(
        (r for r in rows if r.get("status") in ("ok", "skipped-existing") and r["figures"]),
        key=lambda r: (-len(r["figures"]), str(r["run"])),
    )
    order = list(ok[0]["figures"]) if ok else []
    rest = sorted({k for r in rows for k in r["figures"]} - set(order))
    return order + rest


def _summary_frame(rows: Sequence[dict], defaults: Mapping[str, Any] | None = None) -> "pd.DataFrame":
    """One line per run; parameters in the notebook's order, a run's unset ones at the notebook's default."""
    import pandas as pd

    defaults = dict(defaults or {})
    params: dict[str, None] = dict.fromkeys(defaults)
    for row in rows:
        params.update(dict.fromkeys(row["parameters"]))
    figures = _figure_order(rows)
    flat = []
    for row in rows:
        line = {c: row.get(c, "") for c in _BASE_COLUMNS}
        line.update({f"param_{k}": row["parameters"].get(k, defaults.get(k)) for k in params})
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


def _write_summary(
    out_dir: Path, notebook: Path, rows: Sequence[dict], defaults: Mapping[str, Any] | None = None
) -> "pd.DataFrame":
    frame = _summary_frame(rows, defaults)
    _atomic_write(out_dir / "summary.csv", frame.to_csv(index=False))
    doc = {
        "notebook": notebook.name,
        "defaults": dict(defaults or {}),
        "columns_units": frame.attrs["units"],
        "runs": list(rows),
    }
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
    show_code: bool = False,
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
    show_code : keep the code cells in the HTML reports (by default they show text, tables,
        figures and the executive summary only).
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
    defaults = _parameter_defaults(notebook)
    runs = _plan(param_sets, list(defaults), notebook, [f"parameter set {i}" for i in range(1, len(param_sets) + 1)])
    if out_dir.exists() and not out_dir.is_dir():
        raise ParamFileError(f"out '{out_dir}' exists and is not a folder.")
    out_dir.mkdir(parents=True, exist_ok=True)

    previous = {r["run"]: r for r in _previous_rows(out_dir)}
    rows: dict[str, dict] = dict(previous)
    todo: list[dict] = []
    for name, params in runs:
        nb_path, html_path = out_dir / f"{name}.ipynb", out_dir / f"{name}.html"
        row = {
            "run": name,
            "status": "",
            "error": "",
            "duration_s": None,
            "notebook": nb_path.name,
            "html": "",
            "parameters": params,
            "figures": {},
        }
        state, nb = ("absent", None) if force else _existing(nb_path, params)
        if state == "ok" and nb is not None:
            old = previous.get(name, {})
            meta_duration = nb.metadata["papermill"].get("duration")
            row.update(
                status="skipped-existing",
                figures=read_figures(nb, details=True),
                duration_s=old.get("duration_s", None if meta_duration is None else round(meta_duration, 2)),
            )
            if html and not html_path.exists():
                _export_html(nb_path, html_path, show_code)
            row["html"] = html_path.name if html_path.exists() else ""
        elif state in ("other-params", "foreign"):
            why = "was run with other parameters" if state == "other-params" else "was not written by a case-study run"
            row.update(
                status="failed",
                error=(
                    f"{nb_path.name} exists and {why}; it is kept. Rerun with --force (force=True) "
                    f"to replace it, or give this run another name."
                ),
            )
            if nb is not None:  # the kept notebook's own parameters and figures stay in the summary
                row.update(
                    parameters=_plain_param(dict(nb.metadata["papermill"]["parameters"])),
                    figures=read_figures(nb, details=True),
                )
        else:
            todo.append(
                {
                    "name": name,
                    "notebook": str(notebook),
                    "out_nb": str(nb_path),
                    "out_html": str(html_path) if html else "",
                    "params": params,
                    "cwd": str(notebook.parent),
                    "timeout": timeout,
                    "show_code": show_code,
                }
            )
        rows[name] = row

    from tqdm.auto import tqdm

    done_before = len(runs) - len(todo)
    bar = tqdm(
        total=len(runs),
        initial=done_before,
        desc=notebook.stem,
        unit="run",
        file=sys.stderr,
        disable=not progress,
        leave=True,
    )

    def finish(task: dict, result: dict) -> None:
        row = rows[task["name"]]
        row.update(
            status=result["status"],
            error=result["error"],
            duration_s=result["duration_s"],
            figures=result["figures"],
            html=result["html"],
        )
        _write_summary(out_dir, notebook, list(rows.values()), defaults)
        bar.update(1)
        bar.set_postfix(failed=sum(rows[n]["status"] == "failed" for n, _ in runs))

    _write_summary(out_dir, notebook, list(rows.values()), defaults)
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
            ctx: Any
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
                        result = {
                            "status": "failed",
                            "error": f"worker process died: {exc}",
                            "figures": {},
                            "html": "",
                            "duration_s": None,
                        }
                    finish(task, result)
    finally:
        bar.close()
    frame = _summary_frame([rows[name] for name, _ in runs], defaults)
    return frame


# ---------------------------------------------------------------- command line


def _cmd_run(args) -> int:
    try:
        notebook = Path(args.notebook)
        if not notebook.is_file():
            raise ParamFileError(f"notebook '{notebook}': no such file.")
        sets, places = _load_with_places(Path(args.params))
        _plan(sets, _declared_parameters(notebook), notebook, places)  # messages name file and entry
        summary = run_batch(
            notebook,
            sets,
            args.out,
            jobs=args.jobs,
            html=args.html,
            show_code=args.show_code,
            force=args.force,
            timeout=args.timeout,
        )
    except ParamFileError as exc:
        print(f"crmlab casestudy run: error: {exc}", file=sys.stderr)
        return 2
    counts = summary["status"].value_counts()
    print(
        f"{len(summary)} run(s): "
        + ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES)
        + f". Summary: {Path(args.out) / 'summary.csv'}"
    )
    failed = summary[summary["status"] == "failed"]
    for run, error in zip(failed["run"], failed["error"]):
        print(f"  failed {run}: {error}")
    return 1 if len(failed) else 0


def register(subparsers) -> None:
    """Add ``crmlab casestudy run`` to the ``crmlab`` command."""
    parser = subparsers.add_parser(
        "casestudy",
        help="run a parameterized case-study notebook for many parameter sets",
        description="Case studies: run one notebook for many companies or scenarios with papermill.",
    )
    actions = parser.add_subparsers(dest="casestudy_action", metavar="ACTION")
    run = actions.add_parser(
        "run",
        help="run NOTEBOOK once per parameter set in FILE",
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
    run.add_argument(
        "--show-code", action="store_true", help="keep the code cells in the HTML reports (hidden by default)"
    )
    run.add_argument("--force", action="store_true", help="rerun and overwrite runs that already succeeded")
    run.add_argument("--timeout", type=float, default=None, metavar="S", help="seconds a single cell may take")
    run.set_defaults(func=_cmd_run)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])
