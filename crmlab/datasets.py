"""The customer information base (客户信息库): every table the chapters use.

Three datasets ship with the workbook (``list_datasets()``):

* ``retail`` -- a B2C retailer, synthetic, generated from a seed;
* ``b2b`` -- an industrial distributor and its business accounts, synthetic;
* ``cdnow`` -- real data: the CDNOW sample of Fader, Hardie & Lee (2005);
* ``donations`` -- real data: the donation patterns of Fader, Hardie & Shang (2010).

``load(name)`` reads the shipped CSV files and gives every column its documented
dtype (see ``describe(name)`` and ``datasets/README.md``,
both made from :mod:`crmlab._schema`). ``load(name, student_id="s042")`` gives
that student a personal version: the same scenario generated from a seed derived
from the id -- same shape, different numbers, always the same for the same id.
``generate(name, n_customers=..., seed=...)`` builds a scenario from any seed;
``crmlab datasets build`` regenerates the shipped CSVs byte for byte.

Where the shipped files are: in a clone of the workbook, the ``datasets/`` folder at
its top; in an installed crmlab (``pip install crmlab``), the same files are the
package data of ``crmlab._data`` (``pyproject.toml`` maps that folder into the
package), read with :mod:`importlib.resources`. ``ds.location`` says which it was.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from crmlab._schema import DATASETS, GENERATED
from crmlab._validate import CRMDataError, check_range

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Dataset",
    "Description",
    "list_datasets",
    "describe",
    "load",
    "generate",
    "build",
    "student_seed",
    "DEFAULTS",
]

#: Shipped scenarios: how they were generated. ``crmlab datasets build`` uses these.
DEFAULTS: dict[str, dict] = {
    "retail": {"n_customers": 3000, "seed": 2024, "start": "2022-01-01", "end": "2024-12-31"},
    "b2b": {"n_customers": 400, "seed": 2025, "start": "2022-01-01", "end": "2024-12-31"},
}

#: Personal versions of the real CDNOW data are a seeded sample of this many customers.
CDNOW_PERSONAL_SAMPLE = 2000

#: Categories with a natural order (others are sorted alphabetically).
CATEGORY_ORDER: dict[str, list[str]] = {
    "age_band": ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"],
    "income_band": ["low", "middle", "high"],
    "size_band": ["small", "medium", "large"],
    "phase": ["awareness", "exploration", "expansion", "commitment", "dissolution"],
    "true_pattern": ["A", "B", "C", "D", "active"],
    "kind": ["inquiry", "complaint"],
}

CSV_OPTIONS = dict(index=False, float_format="%.2f", date_format="%Y-%m-%d", lineterminator="\n")


#: The package whose data files are the shipped tables (``datasets/`` mapped into crmlab).
DATA_PACKAGE = "crmlab._data"
PACKAGED = "crmlab's package data"
#: The checkout's folder of shipped tables, used when crmlab runs from a clone of the workbook.
CHECKOUT_DATA = Path(__file__).resolve().parent.parent / "datasets"


def data_root() -> tuple[Traversable, str]:
    """Where the shipped tables are read from, and how that place is described.

    ``CRMLAB_DATA_DIR`` wins when set; then the package data of an installed crmlab
    (:mod:`importlib.resources`, so it works from a wheel as from a zip); then the
    ``datasets/`` folder of a clone of the workbook.

    Returns
    -------
    (root, where) : the folder (a :class:`~importlib.resources.abc.Traversable`) and a
        short description of it for messages and ``Dataset.location``.

    Examples
    --------
    >>> root, where = data_root()
    >>> root.joinpath("cdnow", "orders.csv").is_file()
    True
    """
    env = os.environ.get("CRMLAB_DATA_DIR")
    if env:
        return Path(env), f"CRMLAB_DATA_DIR={env}"
    try:
        packaged = resources.files(DATA_PACKAGE)
    except ModuleNotFoundError:  # a clone of the workbook: datasets/ is not a package there
        return CHECKOUT_DATA, "the workbook's datasets/ folder"
    # The wheel's crmlab/_data has no __init__.py: a namespace package, whose files() is a
    # MultiplexedPath that is no folder path; its README.md (a plain Path then) names the folder.
    readme = packaged.joinpath("README.md")
    return (readme.parent if isinstance(readme, Path) else packaged), PACKAGED


def data_dir() -> Path:
    """Folder of the shipped CSV files as a file-system path (for tools that need one).

    Returns
    -------
    Path : the folder; ``load`` itself also reads from a zipped install, this needs a folder.

    Examples
    --------
    >>> (data_dir() / "cdnow" / "orders.csv").exists()
    True
    """
    root, where = data_root()
    if not isinstance(root, Path):
        raise CRMDataError(
            f"the shipped datasets ({where}) are inside an archive, not a folder on disk: {root}. "
            "Install crmlab unzipped (pip does), or set CRMLAB_DATA_DIR to a copy of the datasets folder."
        )
    return root


@dataclass
class Dataset:
    """A scenario's tables, as attributes (``ds.orders``) and by name (``ds["orders"]``).

    Iterating gives the table names; ``ds.items()`` gives ``(name, table)`` pairs.
    ``as_of`` is the end of the observation window: analyses "as of today" use it.
    ``source`` is ``"shipped"`` (read from the shipped files, and then ``location`` says
    where they were), ``"personal"`` (a student's version) or ``"generated"``.
    """

    name: str
    tables: dict
    as_of: "pd.Timestamp"
    student_id: str | None = None
    seed: int | None = None
    source: str = "shipped"
    location: str | None = None
    _names: tuple = field(default=(), repr=False)

    def __post_init__(self):
        self._names = tuple(self.tables)

    def __getattr__(self, item):
        tables = self.__dict__.get("tables", {})
        if item in tables:
            return tables[item]
        raise AttributeError(
            f"dataset '{self.__dict__.get('name')}' has no table {item!r}; its tables are: {', '.join(tables)}"
        )

    def __getitem__(self, item):
        try:
            return self.tables[item]
        except KeyError:
            raise KeyError(
                f"dataset '{self.name}' has no table {item!r}; its tables are: {', '.join(self.tables)}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._names))

    def items(self):
        return self.tables.items()

    def copy(self) -> "Dataset":
        return Dataset(
            self.name,
            {k: v.copy() for k, v in self.tables.items()},
            self.as_of,
            self.student_id,
            self.seed,
            self.source,
            self.location,
        )

    def summary(self) -> "pd.DataFrame":
        """One row per table: rows, columns and what it holds."""
        import pandas as pd

        about = DATASETS[self.name]["tables"]
        return pd.DataFrame(
            {
                "rows": [len(t) for t in self.tables.values()],
                "columns": [t.shape[1] for t in self.tables.values()],
                "about": [about[n]["about"] for n in self.tables],
            },
            index=pd.Index(list(self.tables), name="table"),
        )

    def _who(self) -> str:
        who = f"student {self.student_id!r}" if self.student_id else self.source
        return f"Dataset '{self.name}' ({who}), as of {self.as_of.date()}"

    def __repr__(self) -> str:
        return f"{self._who()}\n{self.summary().to_string()}"

    def _repr_html_(self) -> str:
        return f"<p><b>{self._who()}</b></p>" + self.summary().to_html()


@dataclass(frozen=True)
class Description:
    """What a dataset holds: its story and its data dictionary (one row per column)."""

    name: str
    story: str
    columns: "pd.DataFrame"

    def __str__(self) -> str:
        return f"{self.name}: {self.story}\n\n{self.columns.to_string(index=False)}"

    def _repr_markdown_(self) -> str:
        return f"**{self.name}** — {self.story}\n\n" + _markdown_table(self.columns)


def list_datasets() -> list[str]:
    """Names of the datasets that ship with crmlab.

    Examples
    --------
    >>> list_datasets()
    ['b2b', 'cdnow', 'donations', 'retail']
    """
    return sorted(DATASETS)


def _check_name(name: str) -> dict:
    if name not in DATASETS:
        raise CRMDataError(
            f"there is no dataset {name!r}. The datasets are: {', '.join(list_datasets())} "
            f"(see crmlab.datasets.describe(name))."
        )
    return DATASETS[name]


def describe(name: str) -> Description:
    """The story and the data dictionary of a dataset: tables, columns, types, units.

    Examples
    --------
    >>> d = describe("cdnow")
    >>> list(d.columns["column"])
    ['customer_id', 'order_date', 'quantity', 'amount']
    """
    import pandas as pd

    spec = _check_name(name)
    rows = [
        {"table": t, "column": c, "dtype": dtype, "unit": unit, "meaning": meaning}
        for t, tspec in spec["tables"].items()
        for c, (_kind, dtype, unit, meaning) in tspec["columns"].items()
    ]
    return Description(name, spec["story"], pd.DataFrame(rows))


def student_seed(student_id: str, name: str = "") -> int:
    """The seed of a student's personal data: a stable hash of the id (and dataset name).

    Examples
    --------
    >>> student_seed("s042") == student_seed(" s042 ")
    True
    >>> student_seed("s042") != student_seed("s043")
    True
    """
    if not isinstance(student_id, str) or not student_id.strip():
        raise CRMDataError(
            f"student_id must be a non-empty text such as 's042', got {student_id!r}. "
            f"Set STUDENT_ID at the top of the notebook, or leave it None for the shipped data."
        )
    digest = hashlib.sha256(f"crmlab:{name}:{student_id.strip()}".encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big")


def _coerce(name: str, table: str, df: "pd.DataFrame") -> "pd.DataFrame":
    """Give every column its documented dtype, in the documented order."""
    import pandas as pd

    cols = DATASETS[name]["tables"][table]["columns"]
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise CRMDataError(
            f"table '{table}' of dataset '{name}': missing column(s) {missing} in the data file. "
            f"Regenerate it with `crmlab datasets build`."
        )
    out = {}
    for col, (_kind, dtype, _unit, _meaning) in cols.items():
        s = df[col]
        if dtype.startswith("datetime64"):
            s = pd.to_datetime(s).astype("datetime64[ns]")
        elif dtype == "category":
            values = s.astype("string")
            order = CATEGORY_ORDER.get(col)
            present = sorted(values.dropna().unique())
            cats = (
                [c for c in order if c in set(present)] + [c for c in present if c not in order] if order else present
            )
            s = values.astype(pd.CategoricalDtype(cats, ordered=bool(order)))
        elif dtype == "string":
            s = s.astype("string")
        else:
            s = s.astype(dtype)
        out[col] = s
    return pd.DataFrame(out)


def _read_shipped(name: str) -> tuple[dict, str]:
    """The shipped tables of a dataset and where they were read from; a missing file is an error."""
    import pandas as pd

    spec = DATASETS[name]
    root, where = data_root()
    folder = root.joinpath(name)
    tables = {}
    for table, tspec in spec["tables"].items():
        path = folder.joinpath(f"{table}.csv")
        if not path.is_file():
            fix = (
                "Rebuild the synthetic tables with `crmlab datasets build`"
                if name in GENERATED
                else "It is real data and cannot be regenerated: restore it from the workbook's repository"
            )
            raise CRMDataError(
                f"dataset '{name}': the data file {name}/{table}.csv is missing from {where} ({root}). "
                f"{fix}, or set CRMLAB_DATA_DIR to a folder that holds the shipped datasets."
            )
        id_cols = {c: "string" for c, v in tspec["columns"].items() if v[1] == "string"}
        with path.open("rb") as handle:
            df = pd.read_csv(handle, dtype=id_cols, keep_default_na=True)
        tables[table] = _coerce(name, table, df)
    return tables, f"{where}: {root.joinpath(name)}"


def _generate_tables(name: str, *, n_customers: int, seed: int, start: str, end: str) -> dict:
    from crmlab._generate import generate_tables

    raw = generate_tables(name, n_customers=n_customers, seed=seed, start=start, end=end)
    return {t: _coerce(name, t, raw[t]) for t in DATASETS[name]["tables"]}


def _personal_cdnow(seed: int) -> dict:
    """A student's CDNOW: a seeded sample of customers of the real data (it cannot be regenerated)."""
    import numpy as np

    orders = _cached("cdnow", None).tables["orders"]
    ids = np.sort(orders["customer_id"].unique())
    rng = np.random.default_rng(seed)
    keep = rng.choice(ids, size=CDNOW_PERSONAL_SAMPLE, replace=False)
    sub = orders[orders["customer_id"].isin(keep)].reset_index(drop=True)
    return {"orders": sub}


@lru_cache(maxsize=16)
def _cached(name: str, student_id: str | None) -> Dataset:
    import pandas as pd

    spec = DATASETS[name]
    as_of = pd.Timestamp(spec["as_of"])
    if student_id is None:
        tables, location = _read_shipped(name)
        return Dataset(name, tables, as_of, None, DEFAULTS.get(name, {}).get("seed"), "shipped", location)
    seed = student_seed(student_id, name)
    if name in GENERATED:
        tables = _generate_tables(name, **{**DEFAULTS[name], "seed": seed})
    else:
        tables = _personal_cdnow(seed) if name == "cdnow" else _read_shipped(name)[0]
    return Dataset(name, tables, as_of, student_id, seed, "personal")


def load(name: str, *, student_id: str | None = None) -> Dataset:
    """Load a dataset: the shipped tables, or a student's personal version.

    Parameters
    ----------
    name : one of ``list_datasets()``.
    student_id : ``None`` for the shipped data; a student id such as ``"s042"`` for that
        student's own version (generated from a seed derived from the id; cached, so
        the second load is instant). For ``cdnow``, which is real data, a personal
        version is a seeded sample of 2,000 of its 2,357 customers.

    Returns
    -------
    Dataset : tables as attributes (``ds.orders``), ``ds.as_of`` the end of the window.
    Each call returns fresh copies, so changing a table never changes the next load.

    Examples
    --------
    >>> ds = load("cdnow")
    >>> ds.orders.shape, str(ds.as_of.date())
    ((6919, 4), '1998-06-30')
    """
    _check_name(name)
    if student_id is not None:
        student_seed(student_id)  # validates the id with a clear message
        student_id = student_id.strip()
    return _cached(name, student_id).copy()


def generate(
    name: str,
    *,
    n_customers: int | None = None,
    seed: int | None = None,
    start: str | None = None,
    end: str | None = None,
) -> Dataset:
    """Generate a synthetic scenario from a seed (same seed, same tables).

    Parameters
    ----------
    name : ``"retail"`` or ``"b2b"`` (``cdnow`` is real data and is not generated).
    n_customers : number of customers/accounts, 1 .. 200,000 (default as shipped).
    seed : any non-negative integer (default as shipped).
    start, end : the observation window as ISO dates (default 2022-01-01 .. 2024-12-31).

    Examples
    --------
    >>> ds = generate("b2b", n_customers=20, seed=1)
    >>> len(ds.accounts)
    20
    """
    import pandas as pd

    _check_name(name)
    if name not in GENERATED:
        raise CRMDataError(
            f"dataset {name!r} is real data and cannot be generated; use load({name!r}). "
            f"Generated scenarios: {', '.join(GENERATED)}."
        )
    opts = dict(DEFAULTS[name])
    if n_customers is not None:
        if isinstance(n_customers, bool) or not isinstance(n_customers, int):
            raise CRMDataError(f"parameter 'n_customers' must be a whole number, got {n_customers!r}.")
        check_range(
            "n_customers",
            n_customers,
            lo=1,
            hi=200_000,
            hint="Use at least 1 customer; 200,000 is the most the generator makes.",
        )
        opts["n_customers"] = n_customers
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise CRMDataError(f"parameter 'seed' must be a non-negative whole number, got {seed!r}.")
        opts["seed"] = seed
    for key, value in (("start", start), ("end", end)):
        if value is not None:
            try:
                opts[key] = str(pd.Timestamp(value).date())
            except (ValueError, TypeError):
                raise CRMDataError(
                    f"parameter '{key}' = {value!r} is not a date; use ISO form like '2024-12-31'."
                ) from None
    if pd.Timestamp(opts["end"]) <= pd.Timestamp(opts["start"]) + pd.Timedelta(days=90):
        raise CRMDataError(
            f"the window {opts['start']} .. {opts['end']} is too short: 'end' must be at least 90 days after 'start'."
        )
    tables = _generate_tables(name, **opts)
    return Dataset(name, tables, pd.Timestamp(opts["end"]), None, opts["seed"], "generated")


def _markdown_table(df: "pd.DataFrame") -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |")
    return "\n".join(lines)


README_HEAD = """# Datasets: the customer information base (客户信息库)

This file is generated from `crmlab/_schema.py` by `crmlab datasets build`; edit the schema,
not this file. Load any dataset with `crmlab.datasets.load(name)`; `describe(name)` shows the
same dictionary in a notebook.

Conventions: ids are text; dates are ISO (`YYYY-MM-DD`); money is in neutral *currency units*
(the case studies let you name the currency) with two decimals; amounts are never negative —
a returned order keeps its amount and has `returned = True`.

Licences: `retail` and `b2b` are synthetic, made by crmlab's own generator, and are under the
MIT licence of the code (`LICENSE`). `cdnow` is real data with its own terms: see its
"Source and terms" below. These files travel inside the installed package too (`pip install
crmlab` ships them as the package data of `crmlab._data`).
"""

README_GENERATED = """
### How it was generated
Synthetic, by `crmlab._generate.generate_tables("{name}", n_customers={n_customers}, seed={seed},
start="{start}", end="{end}")` (see that module's docstring for the model: heterogeneous purchase
rates and spend, seasonality, lifecycle stages and patterns A–D, satisfaction that moves churn,
complaints that are sometimes recovered). `crmlab datasets build` rewrites these files byte for
byte; `load("{name}", student_id="s042")` makes a student's own version from a seed derived
from the id.
"""

README_CDNOW = """
### Source and terms
Real data, not generated (`crmlab datasets build` leaves it alone). The CDNOW sample used by
Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An Alternative to the
Pareto/NBD Model", *Marketing Science* 24(2), 275–284, and in Fader, Hardie & Lee (2005),
"RFM and CLV: Using Iso-Value Curves for Customer Base Analysis", *Journal of Marketing
Research* 42(4). Originally distributed by Bruce Hardie for teaching and research; this copy
comes from the file shipped in the MIT-licensed `lifetimes` 0.11.3 package
(`lifetimes/datasets/CDNOW_sample.txt`), converted to CSV: the sample's customer id (1..2357,
zero-padded), the date, the number of CDs and the dollar value of each purchase record. The
customer id of the full CDNOW data set was dropped. Published results on it: BG/NBD
r = 0.243, α = 4.414, a = 0.793, b = 2.426 (39-week calibration, weekly units); Gamma-Gamma
p = 6.25, q = 3.74, γ = 15.44. A personal version (`student_id=...`) is a seeded sample of
2,000 of the 2,357 customers.

Terms: Bruce Hardie distributes the CDNOW sample for teaching and research; it is
redistributed in the MIT-licensed `lifetimes` package, whose copy this is. Use it for teaching
and research, and cite Fader, Hardie & Lee (2005) when you report results on it.
"""


def readme_text() -> str:
    """The data dictionary ``datasets/README.md``, made from the schema."""
    parts = [README_HEAD]
    for name in ("retail", "b2b", "cdnow", "donations"):
        spec = DATASETS[name]
        parts.append(f"\n## `{name}`\n\n{spec['story']}\n\nObservation window ends {spec['as_of']} (`ds.as_of`).\n")
        for table, tspec in spec["tables"].items():
            key = tspec["key"]
            keytxt = f" Key: `{', '.join(key) if isinstance(key, list) else key}`." if key else ""
            parts.append(f"\n### `{name}.{table}`\n\n{tspec['about']}{keytxt}\n\n")
            parts.append("| column | dtype | unit | meaning |\n|---|---|---|---|\n")
            for col, (_k, dtype, unit, meaning) in tspec["columns"].items():
                parts.append(f"| `{col}` | {dtype} | {unit} | {meaning} |\n")
        if name in GENERATED:
            parts.append(README_GENERATED.format(name=name, **DEFAULTS[name]))
        else:
            parts.append(str(spec.get("source") or README_CDNOW))
    return "".join(parts)


def build(out_dir: str | Path | None = None, *, check: bool = False) -> list[str]:
    """Regenerate the shipped CSVs of the synthetic datasets and ``datasets/README.md``.

    With ``check=True`` nothing is written; the names of files whose bytes would change
    are returned (an empty list means the committed files are current). Real data
    (``cdnow``) is never touched.
    """
    if out_dir is None and not check and data_root()[1] == PACKAGED:
        raise CRMDataError(
            "the shipped datasets of an installed crmlab are package data and are not rewritten; "
            "pass a folder to write to (crmlab datasets build --out FOLDER)."
        )
    out = Path(out_dir) if out_dir is not None else data_dir()
    changed = []

    def emit(path: Path, text: str):
        old = path.read_bytes() if path.exists() else None
        new = text.encode("utf-8")
        if old != new:
            changed.append(str(path.relative_to(out)))
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(new)

    for name in GENERATED:
        tables = _generate_tables(name, **DEFAULTS[name])
        for table, df in tables.items():
            emit(out / name / f"{table}.csv", df.to_csv(**CSV_OPTIONS))
    emit(out / "README.md", readme_text())
    if not check:
        _cached.cache_clear()
    return changed


def register(subparsers) -> None:
    """The ``crmlab datasets`` command (build, list, describe)."""
    p = subparsers.add_parser("datasets", help="list, describe or rebuild the shipped datasets")
    sub = p.add_subparsers(dest="datasets_command", metavar="ACTION", required=True)
    b = sub.add_parser("build", help="regenerate the synthetic CSVs and datasets/README.md (same bytes every time)")
    b.add_argument("--out", default=None, help="folder to write to (default: the workbook's datasets/)")
    b.add_argument("--check", action="store_true", help="write nothing; exit 1 if any file would change")
    b.set_defaults(func=_cli_build)
    sub.add_parser("list", help="list the datasets").set_defaults(func=lambda a: print("\n".join(list_datasets())) or 0)
    d = sub.add_parser("describe", help="the data dictionary of one dataset")
    d.add_argument("name")
    d.set_defaults(func=_cli_describe)


def _cli_build(args) -> int:
    changed = build(args.out, check=args.check)
    if args.check:
        print("datasets are current" if not changed else "would change: " + ", ".join(changed))
        return 1 if changed else 0
    print("wrote: " + ", ".join(changed) if changed else "nothing changed: the files were already current")
    return 0


def _cli_describe(args) -> int:
    try:
        print(describe(args.name))
    except CRMDataError as exc:
        print(f"error: {exc}")
        return 2
    return 0
