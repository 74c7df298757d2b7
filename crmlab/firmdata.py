"""A firm's own data (企业自有数据) for a case study: exports mapped onto crmlab's data contract.

A trainer working with a real company points a case study at that company's
export: CSV, Excel (``.xlsx``, openpyxl), Parquet (pyarrow) files, or a SQL
database through a SQLAlchemy URL. A *mapping file* (YAML) says which file or
query holds each table and which of the firm's columns is which column of the
customer information base (:mod:`crmlab._schema`)::

    scenario: retail              # the case study: retail (or b2b)
    firm: CDNOW                   # optional: shown in the report
    as_of: 1998-06-30             # optional: the end of the data (default: the last order day)
    tables:
      orders:
        file: ../datasets/cdnow/orders.csv     # relative to this mapping file
        columns:                               # crmlab column: the firm's column
          customer_id: customer_id
          order_date: order_date
          amount: amount
        values:                                # constants for columns the export does not have
          returned: false
      surveys:
        sql: sqlite:///crm.db                  # any SQLAlchemy URL
        query: SELECT * FROM nps_answers       # or   table: nps_answers

Before any analysis, :func:`check_firm_data` builds a *validation report*: one
line per problem, by table and column, with the fix (a missing file, an
unmapped or absent column, dates that do not parse, negative amounts, repeated
ids, ...), checked with the input contract of :mod:`crmlab._validate`.
:func:`load_firm_data` refuses to go on while the report holds an error, and
otherwise gives the tables as a :class:`crmlab.datasets.Dataset`. A table the
firm does not have is not an error: the case study leaves out the sections that
need it, with a visible note (:data:`SECTIONS`). Nothing is dropped silently:
rows are never removed, and a derived table (customers from their first order)
is announced in the report.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from crmlab._validate import CRMDataError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from crmlab.datasets import Dataset

__all__ = [
    "FirmDataError",
    "NEEDS",
    "SECTIONS",
    "FirmData",
    "check_firm_data",
    "load_firm_data",
    "read_source",
    "sections_missing",
]

FILE_TYPES = (".csv", ".xlsx", ".xlsm", ".parquet", ".pq")

#: What a retail or b2b case study needs of each table: required columns (kind) and optional ones.
NEEDS: dict[str, dict[str, dict[str, dict[str, str]]]] = {
    "retail": {
        "orders": {
            "required": {"customer_id": "id", "order_date": "datetime", "amount": "nonneg"},
            "optional": {"order_id": "id", "gross_margin": "number", "returned": "bool"},
        },
        "customers": {
            "required": {"customer_id": "id", "signup_date": "datetime"},
            "optional": {"acquisition_channel": "category", "acquisition_cost": "nonneg"},
        },
        "interactions": {
            "required": {"customer_id": "id", "date": "datetime", "kind": "category", "resolved": "bool"},
            "optional": {"satisfaction_after": "number", "interaction_id": "id"},
        },
        "surveys": {
            "required": {"response_id": "id", "customer_id": "id", "survey_date": "datetime", "recommend": "number"},
            "optional": {},
        },
        "survey_items": {
            "required": {"response_id": "id", "attribute": "category", "perception": "number", "importance": "number"},
            "optional": {"expectation": "number"},
        },
    },
}

#: Which sections of a case study need which tables (and columns: ``table.column``).
SECTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "retail": {
        "customer base and revenue": ("orders",),
        "revenue concentration": ("orders",),
        "RFM segments": ("orders",),
        "customer lifetime value": ("orders",),
        "churn warning list": ("orders",),
        "satisfaction drivers": ("surveys", "survey_items"),
        "complaint handling": ("interactions",),
        "acquisition quality": ("customers.acquisition_channel", "customers.acquisition_cost"),
    },
}


class FirmDataError(CRMDataError):
    """A firm's data cannot be used as mapped; the message holds the validation report."""


@dataclass
class FirmData:
    """A firm's tables after mapping and checking, with the validation report.

    ``report`` has one row per finding: ``table``, ``column``, ``level``
    (``error`` stops the case study, ``note`` is information), ``problem`` and
    ``fix``. ``tables`` holds the tables that passed, ready for crmlab.
    """

    scenario: str
    firm: str
    tables: dict = field(default_factory=dict)
    report: "pd.DataFrame | None" = None
    as_of: "pd.Timestamp | None" = None
    source: str = ""

    @property
    def ok(self) -> bool:
        """True when the report holds no error."""
        return self.report is None or not (self.report["level"] == "error").any()

    def report_markdown(self) -> str:
        """The validation report as a Markdown table (or one line when all is well)."""
        rows = [] if self.report is None else self.report.itertuples(index=False)
        lines = ["| table | column | level | problem | fix |", "|---|---|---|---|---|"]
        for r in rows:
            cells = [
                str(x).replace("|", "\\|").replace("\n", " ") for x in (r.table, r.column, r.level, r.problem, r.fix)
            ]
            lines.append("| " + " | ".join(cells) + " |")
        if len(lines) == 2:
            return f"The data of {self.firm} meet the data contract: nothing missing or malformed."
        return "\n".join(lines)

    def dataset(self) -> "Dataset":
        """The tables as a :class:`crmlab.datasets.Dataset` (``source`` = ``"firm"``)."""
        from crmlab.datasets import Dataset

        if not self.ok:
            raise FirmDataError(_report_text(self))
        return Dataset(self.scenario, dict(self.tables), self.as_of, None, None, "firm", self.source)


def _finding(table: str, column: str, level: str, problem: str, fix: str) -> dict:
    return {"table": table, "column": column, "level": level, "problem": problem, "fix": fix}


def _report_text(firm: FirmData) -> str:
    report = firm.report
    assert report is not None, "check_firm_data() fills the report"
    errors = report.loc[report["level"] == "error"]
    lines = [f"the data of {firm.firm} ({firm.source}) cannot be used: {len(errors)} problem(s)."]
    lines += [
        f"  table '{r.table}', column '{r.column}': {r.problem} Fix: {r.fix}"
        if r.column
        else f"  table '{r.table}': {r.problem} Fix: {r.fix}"
        for r in errors.itertuples(index=False)
    ]
    return "\n".join(lines)


def read_source(spec: Mapping[str, Any], *, base: Path, table: str = "table") -> "pd.DataFrame":
    """Read one table of a mapping: ``file`` (CSV, Excel, Parquet) or ``sql`` with ``query``/``table``.

    Parameters
    ----------
    spec : the table's entry of the mapping file.
    base : folder that relative file names and ``sqlite:///`` paths are relative to.
    table : the table's name, for messages.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "o.csv").write_text("id,day,value\\n7,2024-01-02,3.5\\n")
    >>> read_source({"file": "o.csv"}, base=d).to_dict("records")  # CSV cells as text; the check converts
    [{'id': '7', 'day': '2024-01-02', 'value': '3.5'}]
    """
    import pandas as pd

    if "sql" in spec:
        from sqlalchemy import create_engine, text

        url = str(spec["sql"])
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            path = Path(url[len("sqlite:///") :])
            path = path if path.is_absolute() else base / path
            if not path.is_file():
                raise FirmDataError(
                    f"table '{table}': the SQLite database {path} does not exist; "
                    "check the 'sql' URL (sqlite:///relative/path.db or sqlite:////absolute/path.db)."
                )
            url = f"sqlite:///{path}"
        if ("query" in spec) == ("table" in spec):
            raise FirmDataError(
                f"table '{table}': with 'sql' give either 'query' (a SELECT) or 'table' "
                "(a table name), not both or neither."
            )
        query = spec["query"] if "query" in spec else f'SELECT * FROM "{spec["table"]}"'
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                frame = pd.read_sql(text(query), conn)
        finally:
            engine.dispose()
        return frame
    if "file" not in spec:
        raise FirmDataError(
            f"table '{table}': say where it is with 'file: path' (CSV, Excel, Parquet) or "
            "'sql: URL' with 'query' or 'table'."
        )
    path = Path(os.path.expanduser(str(spec["file"])))
    path = path if path.is_absolute() else base / path
    if not path.is_file():
        raise FirmDataError(
            f"table '{table}': the file {path} does not exist; check 'file' in the mapping "
            "(relative paths start at the mapping file's folder)."
        )
    suffix = path.suffix.lower()
    if suffix == ".csv":
        # ids stay text (leading zeros kept); dates and numbers are checked by the contract
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    if suffix in (".xlsx", ".xlsm"):
        return pd.read_excel(path, sheet_name=spec.get("sheet", 0), engine="openpyxl", dtype=str)
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    raise FirmDataError(
        f"table '{table}': {path.name} is of a type crmlab does not read; use one of "
        f"{', '.join(FILE_TYPES)} or a SQL database."
    )


_TRUE, _FALSE = {"true", "1", "yes", "y", "t"}, {"false", "0", "no", "n", "f"}


def _typed(s: "pd.Series", kind: str, table: str, col: str) -> "pd.Series":
    """Text from a CSV as the kind's type; a value that does not convert is a finding, not a guess."""
    import pandas as pd

    if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
        return s
    if kind in ("number", "nonneg", "positive"):
        converted = pd.to_numeric(s, errors="coerce")
        bad = s.notna() & converted.isna()
        if bad.any():
            raise CRMDataError(
                f"table '{table}', column '{col}': {int(bad.sum()):,} value(s) are not numbers "
                f"(first at row {int(bad.to_numpy().argmax())}: {s[bad].iloc[0]!r})."
            )
        return converted
    if kind == "bool":
        text = s.astype("string").str.strip().str.lower()
        bad = text.notna() & ~text.isin(_TRUE | _FALSE)
        if bad.any():
            raise CRMDataError(
                f"table '{table}', column '{col}': {int(bad.sum()):,} value(s) are not true/false "
                f"(first: {s[bad].iloc[0]!r})."
            )
        return text.isin(_TRUE).astype(bool).where(text.notna(), None)
    return s


def _load_mapping(path: Path) -> dict:
    import yaml

    if not path.is_file():
        raise FirmDataError(f"mapping file '{path}': no such file. Write one as shown in notebooks/CASESTUDIES.md.")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        at = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise FirmDataError(f"mapping file '{path}'{at}: not valid YAML ({exc.problem}).") from None
    if not isinstance(data, dict) or not isinstance(data.get("tables"), dict) or not data["tables"]:
        raise FirmDataError(
            f"mapping file '{path}': expected 'scenario:' and 'tables:' with at least one "
            "table (e.g. 'orders:' with 'file:' and 'columns:')."
        )
    return data


def check_firm_data(
    mapping: str | os.PathLike | Mapping[str, Any], *, base: str | os.PathLike | None = None
) -> FirmData:
    """Read a firm's tables through a mapping and check them; never raises for data problems.

    Parameters
    ----------
    mapping : path of the mapping file (YAML), or the mapping itself.
    base : folder for relative paths when ``mapping`` is given as a mapping.

    Returns
    -------
    :class:`FirmData` with the tables that passed and the validation report
    (``report``), listing by table and column what is missing or malformed and the fix.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "o.csv").write_text("cust,day,value\\na,2024-01-02,3.5\\nb,2024-13-01,-1\\n")
    >>> firm = check_firm_data({"scenario": "retail", "tables": {"orders": {"file": "o.csv",
    ...     "columns": {"customer_id": "cust", "order_date": "day", "amount": "value"}}}}, base=d)
    >>> firm.ok, firm.report.loc[firm.report["level"] == "error", "column"].tolist()
    (False, ['order_date', 'amount'])
    """
    import pandas as pd

    from crmlab._validate import check_table

    if isinstance(mapping, Mapping):
        spec, where, base_dir = dict(mapping), "the mapping", Path(base or ".")
    else:
        path = Path(mapping)
        spec, where, base_dir = _load_mapping(path), str(path), path.parent
    scenario = spec.get("scenario", "retail")
    if scenario not in NEEDS:
        raise FirmDataError(
            f"{where}: scenario {scenario!r} cannot run on a firm's own data yet; use {', '.join(NEEDS)}."
        )
    needs = NEEDS[scenario]
    firm = FirmData(scenario, str(spec.get("firm") or "the firm"), source=where)
    findings: list[dict] = []
    unknown = sorted(set(spec["tables"]) - set(needs))
    for name in unknown:
        findings.append(
            _finding(
                name,
                "",
                "error",
                "is not a table of the case study.",
                f"use one of {', '.join(needs)} (the names of the data dictionary).",
            )
        )
    for name, need in needs.items():
        entry = spec["tables"].get(name)
        if entry is None:
            continue
        try:
            raw = read_source(entry, base=base_dir, table=name)
        except FirmDataError as exc:
            findings.append(_finding(name, "", "error", str(exc).split(": ", 1)[-1], "fix the source in the mapping."))
            continue
        except Exception as exc:  # a driver's own error (bad SQL, a broken file): reported, not raised
            findings.append(
                _finding(
                    name,
                    "",
                    "error",
                    f"could not be read ({type(exc).__name__}: {exc}).",
                    "check the file or the query.",
                )
            )
            continue
        columns = dict(entry.get("columns") or {})
        values = dict(entry.get("values") or {})
        kinds = {**need["required"], **need["optional"]}
        for ours in sorted(set(columns) | set(values)):
            if ours not in kinds:
                findings.append(
                    _finding(
                        name, ours, "error", "is not a column the case study uses.", f"map one of {', '.join(kinds)}."
                    )
                )
        table = pd.DataFrame(index=raw.index)
        for ours, kind in kinds.items():
            theirs = columns.get(ours, ours if ours in raw.columns and ours not in values else None)
            if ours in values:
                table[ours] = values[ours]
                findings.append(
                    _finding(
                        name,
                        ours,
                        "note",
                        f"not in the export; set to {values[ours]!r} for every row (values: in the mapping).",
                        "map a column if the firm has one.",
                    )
                )
            elif theirs is not None and theirs in raw.columns:
                table[ours] = raw[theirs]
            elif theirs is not None:
                have = ", ".join(map(str, raw.columns[:12]))
                findings.append(
                    _finding(
                        name,
                        ours,
                        "error",
                        f"is mapped to '{theirs}', which the export does not have (it has: {have}).",
                        "correct the column name in 'columns:'.",
                    )
                )
            elif ours in need["required"]:
                findings.append(
                    _finding(
                        name,
                        ours,
                        "error",
                        "is required and not mapped.",
                        f"add '{ours}: <the firm's column>' under 'columns:' of '{name}'.",
                    )
                )
        present = {c: k for c, k in kinds.items() if c in table.columns}
        for col, kind in present.items():
            if kind == "id":
                table[col] = table[col].astype("string").str.strip()
            try:
                table[col] = _typed(table[col], kind, name, col)
                checked = check_table(
                    table[[col]],
                    name,
                    {col: kind},
                    allow_missing=[col] if col in need["optional"] and kind == "number" else (),
                )
                table[col] = checked[col]
            except CRMDataError as exc:
                problem = str(exc).split(f"column '{col}': ", 1)[-1]
                findings.append(_finding(name, col, "error", problem, _fix_for(kind, col)))
        if not any(f["table"] == name and f["level"] == "error" for f in findings):
            firm.tables[name] = table.reset_index(drop=True)
    findings += _derive_and_relate(firm, needs, spec)
    firm.report = pd.DataFrame(findings, columns=["table", "column", "level", "problem", "fix"])
    if "orders" in firm.tables:
        last = firm.tables["orders"]["order_date"].max()
        firm.as_of = pd.Timestamp(spec["as_of"]) if spec.get("as_of") is not None else pd.Timestamp(last).normalize()
    return firm


def _fix_for(kind: str, col: str) -> str:
    return {
        "datetime": "give dates as YYYY-MM-DD (or convert the column in the export); every row needs one.",
        "nonneg": "amounts must be numbers >= 0; flag returns in a 'returned' column instead of negative amounts.",
        "number": "give numbers (a point as decimal separator, no currency sign).",
        "bool": "use true/false (or 1/0) in every row.",
        "id": "every row needs an id; fill the empty ones in the export.",
        "category": "every row needs a value.",
    }.get(kind, f"check the column '{col}'.")


def _derive_and_relate(firm: FirmData, needs: Mapping[str, Any], spec: Mapping[str, Any]) -> list[dict]:
    """Tables derived from others (announced), defaults for optional columns, and cross-table checks."""
    findings: list[dict] = []
    orders = firm.tables.get("orders")
    if orders is None:
        if "orders" not in spec["tables"]:
            findings.append(
                _finding(
                    "orders",
                    "",
                    "error",
                    "is missing: every case study needs the orders.",
                    "add 'orders:' under 'tables:' with its file and columns.",
                )
            )
        return findings
    if "returned" not in orders:
        orders["returned"] = False
        findings.append(
            _finding(
                "orders",
                "returned",
                "note",
                "not in the export: no order counts as returned.",
                "map the firm's return flag if it has one.",
            )
        )
    if "order_id" not in orders:
        width = len(str(len(orders)))
        orders.insert(0, "order_id", [f"O{i:0{width}d}" for i in range(1, len(orders) + 1)])
        findings.append(
            _finding(
                "orders",
                "order_id",
                "note",
                "not in the export: rows are numbered O1, O2, ... (each row is one order).",
                "map the firm's order number if it has one.",
            )
        )
    if "gross_margin" not in orders:
        findings.append(
            _finding(
                "orders",
                "gross_margin",
                "note",
                "not in the export: customer value needs a margin rate.",
                "set the case parameter margin_rate (e.g. 0.3), or map the column.",
            )
        )
    if "customers" not in firm.tables and "customers" not in spec["tables"]:
        first = orders.groupby("customer_id", sort=True)["order_date"].min()
        firm.tables["customers"] = first.rename("signup_date").reset_index()
        findings.append(
            _finding(
                "customers",
                "",
                "note",
                f"no customer table: the {len(first):,} customers are "
                "taken from the orders, each signed up on the day of their first order.",
                "add 'customers:' to the mapping to use the firm's own sign-up dates.",
            )
        )
    customers = firm.tables.get("customers")
    if customers is not None:
        unknown = ~orders["customer_id"].isin(customers["customer_id"])
        if unknown.any():
            findings.append(
                _finding(
                    "orders",
                    "customer_id",
                    "error",
                    f"{int(unknown.sum()):,} order(s) name customers missing from 'customers' "
                    f"(first: {orders.loc[unknown, 'customer_id'].iloc[0]!r}).",
                    "export the customer table completely, or leave it out to derive it.",
                )
            )
    sections = SECTIONS.get(firm.scenario, {})
    for section, wanted in sections.items():
        lacking = [w for w in wanted if not _has(firm.tables, w)]
        if lacking:
            findings.append(
                _finding(
                    lacking[0].split(".")[0],
                    lacking[0].partition(".")[2],
                    "note",
                    f"no data for '{section}': that section is left out of the report.",
                    f"map {', '.join(lacking)} to include it.",
                )
            )
    return findings


def _has(tables: Mapping[str, Any], wanted: str) -> bool:
    table, _, column = wanted.partition(".")
    return table in tables and (not column or column in tables[table])


def sections_missing(ds: Any, scenario: str = "retail") -> dict[str, list[str]]:
    """The sections a dataset cannot fill, each with the tables or columns it lacks.

    Examples
    --------
    >>> from crmlab import datasets
    >>> sections_missing(datasets.load("retail"))
    {}
    """
    tables = {name: table for name, table in ds.items()}
    out = {}
    for section, wanted in SECTIONS.get(scenario, {}).items():
        lacking = [w for w in wanted if not _has(tables, w)]
        if lacking:
            out[section] = lacking
    return out


def load_firm_data(
    mapping: str | os.PathLike | Mapping[str, Any], *, base: str | os.PathLike | None = None
) -> FirmData:
    """:func:`check_firm_data`, then refuse to go on if the report holds an error.

    Raises
    ------
    FirmDataError with every error of the report (table, column, problem, fix).
    """
    firm = check_firm_data(mapping, base=base)
    if not firm.ok:
        raise FirmDataError(_report_text(firm))
    return firm
