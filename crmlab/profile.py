"""Customer profile and the 360-degree view (客户档案与客户360度视图), and data quality.

A customer information base (客户信息库) is only useful when its tables can be
joined into one picture of each customer - who they are, what they bought,
when they called or complained, what they said in surveys - and when its data
can be trusted. This module builds the single customer view (one row per
customer, :func:`customer_view`), the full profile of one customer
(:func:`customer_360`), and a per-column data-quality report
(:func:`data_quality`, :func:`data_quality_report`) that checks completeness,
uniqueness of keys and validity (no negative amounts, no future dates, answers
inside their scale), the usual dimensions of data quality (Wang & Strong 1996,
*J. Management Information Systems* 12(4)).

Every time-based figure is in days, counted to the dataset's ``as_of`` date.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable

from crmlab._validate import CRMDataError, as_of_date, check_date, check_table, note_excluded
from crmlab._contract import checked

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["customer_view", "customer_360", "data_quality", "data_quality_report"]

#: Which table holds the customer profile, by preference.
_PROFILE_TABLES = ("customers", "accounts")


# --------------------------------------------------------------------------- helpers
def _optional(df, spec: dict) -> dict:
    """The part of ``{column: kind}`` whose columns the table has."""
    return {c: k for c, k in spec.items() if c in df.columns}


def _latest_per_customer(df, customer: str, date: str):
    """The last row (by date) of each customer; ties keep the later row."""
    return df.sort_values([customer, date], kind="stable").drop_duplicates(customer, keep="last").set_index(customer)


def _main_value(df, customer: str, column: str):
    """Each customer's most frequent value of ``column`` (ties: the first in sort order)."""
    counts = df.groupby([customer, column], observed=True).size().rename("n").reset_index()
    counts[column] = counts[column].astype("string")
    counts = counts.sort_values([customer, "n", column], ascending=[True, False, True], kind="stable")
    return counts.drop_duplicates(customer).set_index(customer)[column]


def _breakdown(s) -> str:
    """'home (3), garden (1)': counts of each value, most frequent first."""
    counts = s.astype("string").value_counts()
    counts = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
    return ", ".join(f"{k} ({v})" for k, v in counts.items()) or "none"


# --------------------------------------------------------------------------- single customer view
@checked
def customer_view(
    customers: "pd.DataFrame",
    orders: "pd.DataFrame",
    interactions: "pd.DataFrame | None" = None,
    surveys: "pd.DataFrame | None" = None,
    *,
    as_of: Any,
    customer: str = "customer_id",
    date: str = "order_date",
    amount: str = "amount",
    margin: str = "gross_margin",
) -> "pd.DataFrame":
    """The single customer view: one row per customer joining all tables.

    Parameters
    ----------
    customers : profile table, one row per customer (``customer`` must be unique).
        A ``signup_date`` column, when present, gives the tenure.
    orders : one row per order with ``customer``, ``date``, ``amount`` and, when
        present, ``margin``, ``returned``, ``category`` and ``channel``.
    interactions : optional service contacts (``date``, ``kind`` inquiry/complaint,
        and optionally ``resolved``, ``resolution_hours``, ``satisfaction_after``).
    surveys : optional survey responses (``survey_date`` and optionally
        ``overall_satisfaction``, ``recommend``, ``attitude``).
    as_of : the date the view is taken (e.g. ``ds.as_of``); later records are
        left out and counted in ``result.attrs["excluded"]``.
    customer, date, amount, margin : column names.

    Returns
    -------
    DataFrame, one row per customer in the order of ``customers``: the profile
    columns, ``tenure_days``; ``orders`` (all orders), ``returns``, ``revenue``,
    ``gross_margin`` and ``avg_order_value`` (kept, i.e. not returned, orders),
    ``first_order``, ``last_order``, ``recency_days``, ``main_category``,
    ``main_channel``; with interactions ``contacts``, ``complaints``,
    ``complaints_resolved``, ``mean_resolution_hours``, ``satisfaction_after``
    (mean); with surveys ``surveys``, ``last_satisfaction``, ``last_recommend``,
    ``last_attitude``. Customers without orders have 0 orders and revenue and
    empty dates. Currency sums are rounded to cents; time is in days.

    Examples
    --------
    >>> import pandas as pd
    >>> customers = pd.DataFrame({"customer_id": ["a", "b"],
    ...                           "signup_date": pd.to_datetime(["2024-01-01", "2024-06-01"])})
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...     "order_date": pd.to_datetime(["2024-02-01", "2024-11-30", "2024-07-01"]),
    ...     "amount": [50.0, 30.0, 20.0], "returned": [False, False, True]})
    >>> v = customer_view(customers, orders, as_of="2024-12-31")
    >>> v[["customer_id", "orders", "returns", "revenue", "recency_days", "tenure_days"]]
      customer_id  orders  returns  revenue  recency_days  tenure_days
    0           a       2        0     80.0          31.0          365
    1           b       1        1      0.0         183.0          213
    """
    import pandas as pd

    if hasattr(customers, "reset_index"):  # positions, so a repeated index label cannot hide a repeated id
        customers = customers.reset_index(drop=True)
    customers = check_table(
        customers,
        "customers",
        {customer: "id", **_optional(customers, {"signup_date": "datetime"})},
        unique=customer,
        allow_missing=["signup_date"],
    )
    orders = check_table(
        orders,
        "orders",
        {
            customer: "id",
            date: "datetime",
            amount: "nonneg",
            **_optional(orders, {margin: "number", "returned": "bool"}),
        },
        min_rows=0,
    )
    # a view at an earlier date is allowed (later orders are left out and counted)
    as_of = (
        as_of_date(as_of, orders[date], column=date, required=True, before_first=True)
        if len(orders)
        else check_date("as_of", as_of)
    )

    out = customers.copy()
    ids = out[customer]
    excluded: dict[str, int] = {}

    if "signup_date" in out.columns:
        out["tenure_days"] = (as_of - out["signup_date"]).dt.days.astype("Int64")

    late = orders[date] > as_of
    excluded[f"orders after as_of {as_of.date()}"] = int(late.sum())
    orphan = ~orders[customer].isin(ids)
    excluded["orders of customers not in the customers table"] = int((orphan & ~late).sum())
    o = orders[~late & ~orphan]
    returned = o["returned"].astype(bool) if "returned" in o.columns else pd.Series(False, index=o.index)
    kept = o[~returned]

    g_all = o.groupby(customer, observed=True)
    g_kept = kept.groupby(customer, observed=True)
    stats = pd.DataFrame(index=pd.Index(ids, name=customer))
    stats["orders"] = g_all.size()
    stats["returns"] = returned.groupby(o[customer], observed=True).sum()
    stats["revenue"] = g_kept[amount].sum()
    if margin in o.columns:
        stats["gross_margin"] = g_kept[margin].sum()
    stats = stats.fillna(0)
    stats[["orders", "returns"]] = stats[["orders", "returns"]].astype("int64")
    stats["avg_order_value"] = (stats["revenue"] / g_kept.size().reindex(stats.index)).round(2)
    for col in ("revenue", "gross_margin"):
        if col in stats.columns:
            stats[col] = stats[col].round(2)
    stats["first_order"] = g_all[date].min()
    stats["last_order"] = g_all[date].max()
    stats["recency_days"] = (as_of - stats["last_order"]).dt.days.astype("float64")
    for col, name in (("category", "main_category"), ("channel", "main_channel")):
        if col in o.columns:
            stats[name] = _main_value(o, customer, col).reindex(stats.index)

    if interactions is not None:
        spec = {
            customer: "id",
            "date": "datetime",
            "kind": "category",
            **_optional(
                interactions, {"resolved": "bool", "resolution_hours": "nonneg", "satisfaction_after": "number"}
            ),
        }
        it = check_table(
            interactions, "interactions", spec, min_rows=0, allow_missing=["resolution_hours", "satisfaction_after"]
        )
        late = it["date"] > as_of
        excluded[f"interactions after as_of {as_of.date()}"] = int(late.sum())
        it = it[~late & it[customer].isin(ids)]
        complaint = it["kind"].astype("string") == "complaint"
        by = it[customer]
        stats["contacts"] = by.value_counts().reindex(stats.index, fill_value=0).astype("int64")
        stats["complaints"] = complaint.groupby(by).sum().reindex(stats.index, fill_value=0).astype("int64")
        if "resolved" in it.columns:
            solved = complaint & it["resolved"].astype(bool)
            stats["complaints_resolved"] = solved.groupby(by).sum().reindex(stats.index, fill_value=0).astype("int64")
        if "resolution_hours" in it.columns:
            stats["mean_resolution_hours"] = it.groupby(customer)["resolution_hours"].mean().round(1)
        if "satisfaction_after" in it.columns:
            stats["satisfaction_after"] = it.groupby(customer)["satisfaction_after"].mean().round(2)

    if surveys is not None:
        answers = ("overall_satisfaction", "recommend", "attitude")
        sv = check_table(
            surveys,
            "surveys",
            {customer: "id", "survey_date": "datetime", **_optional(surveys, dict.fromkeys(answers, "number"))},
            min_rows=0,
        )
        late = sv["survey_date"] > as_of
        excluded[f"survey responses after as_of {as_of.date()}"] = int(late.sum())
        sv = sv[~late & sv[customer].isin(ids)]
        stats["surveys"] = sv[customer].value_counts().reindex(stats.index, fill_value=0).astype("int64")
        last = _latest_per_customer(sv, customer, "survey_date")
        names = {
            "overall_satisfaction": "last_satisfaction",
            "recommend": "last_recommend",
            "attitude": "last_attitude",
        }
        for col in answers:
            if col in last.columns:
                stats[names[col]] = last[col].reindex(stats.index).astype("Float64")

    stats = stats.reset_index(drop=True)
    result = pd.concat([out, stats], axis=1)
    result.attrs.update({"as_of": as_of, "unit": "days (tenure, recency); currency units (revenue, margin)"})
    for reason, n in excluded.items():
        note_excluded(result, reason, n)
    return result


def _profile_table(ds) -> tuple[str | None, str]:
    """Name of the dataset's profile table and its customer key column."""
    names = list(ds)
    if "orders" not in names:
        raise CRMDataError(
            f"dataset '{getattr(ds, 'name', '?')}' has no orders table "
            f"(it has: {', '.join(names)}); pass a dataset from crmlab.datasets.load()."
        )
    table = next((t for t in _PROFILE_TABLES if t in names), None)
    cols = ds["orders"].columns
    key = next((k for k in ("customer_id", "account_id") if k in cols), None)
    if key is None:
        raise CRMDataError(
            "table 'orders': no 'customer_id' or 'account_id' column to identify customers; "
            "rename the customer column to 'customer_id'."
        )
    return table, key


@checked
def customer_360(ds, customer_id: str) -> "pd.Series":
    """The 360-degree view of one customer, from every table of a dataset.

    Parameters
    ----------
    ds : a dataset from :func:`crmlab.datasets.load` (tables as attributes,
        iterable by name, ``ds.as_of``). Retail customers are keyed by
        ``customer_id``, b2b accounts by ``account_id``; CDNOW has orders only.
    customer_id : the customer (or account) to describe.

    Returns
    -------
    Series: the row of :func:`customer_view` for this customer plus
    ``categories`` and ``channels`` (order counts per value), ``complaint_topics``
    and the answers of the latest survey. Time in days to ``ds.as_of``.

    Examples
    --------
    >>> from crmlab import datasets
    >>> c = customer_360(datasets.load("cdnow"), "0001")
    >>> int(c["orders"]), float(c["revenue"]), str(c["first_order"].date())  # 29.33+29.73+14.96+26.48
    (4, 100.5, '1997-01-01')
    """
    import pandas as pd

    table, key = _profile_table(ds)
    if not isinstance(customer_id, str):
        raise CRMDataError(f"customer_360: customer_id must be a string such as 'R00042', got {customer_id!r}.")
    orders = check_table(ds["orders"], "orders", {key: "id"}, min_rows=0)
    if table is None:
        profile = pd.DataFrame({key: orders[key].drop_duplicates().to_numpy()})
    else:
        profile = check_table(ds[table], table, {key: "id"})
    one = profile[profile[key] == customer_id]
    if one.empty:
        examples = ", ".join(map(str, profile[key].head(3)))
        raise CRMDataError(
            f"table '{table or 'orders'}', column '{key}': no customer {customer_id!r}. Ids look like: {examples}."
        )

    def rows(name):
        if name not in ds:
            return None
        t = ds[name]
        return t[t[key] == customer_id] if key in t.columns else None

    interactions, surveys = rows("interactions"), rows("surveys")
    my_orders = orders[orders[key] == customer_id]
    view = customer_view(one, my_orders, interactions, surveys, as_of=ds.as_of, customer=key)
    s = view.iloc[0].copy()
    for col, name in (("category", "categories"), ("channel", "channels")):
        if col in my_orders.columns:
            s[name] = _breakdown(my_orders[col])
    if interactions is not None and "topic" in interactions.columns:
        complaints = interactions[interactions["kind"].astype("string") == "complaint"]
        s["complaint_topics"] = _breakdown(complaints["topic"])
    s.name = customer_id
    s.attrs.update(view.attrs)
    s.attrs["dataset"] = getattr(ds, "name", None)
    return s


# --------------------------------------------------------------------------- data quality
_SCALE = re.compile(r"^(\d+)-(\d+) scale")


def _known(name: str) -> tuple[dict, str | list | None]:
    """Column kinds/units and key of a table name from the data dictionary (any dataset)."""
    from crmlab._schema import DATASETS

    for spec in DATASETS.values():
        if name in spec["tables"]:
            t = spec["tables"][name]
            return t["columns"], t["key"]
    return {}, None


def _rule(col: str, s, known: dict, as_of) -> tuple[str, "pd.Series | None"]:
    """The validity rule for a column and a boolean mask of values breaking it."""
    import pandas as pd

    kind, _dtype, unit, _ = known.get(col, (None, None, "", None))
    m = _SCALE.match(unit or "")
    if pd.api.types.is_datetime64_any_dtype(s):
        return f"<= {as_of.date()}", s > as_of
    if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
        return "", None
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        return f"in [{lo}, {hi}]", (s < lo) | (s > hi)
    if kind == "positive":
        return "> 0", s <= 0
    if kind == "nonneg" or (kind is None and re.search(r"amount|cost|price|quantity|spend", col)):
        return ">= 0", s < 0
    return "", None


@checked
def data_quality(
    table: "pd.DataFrame",
    name: str,
    *,
    key: str | Iterable[str] | None = None,
    as_of: Any = None,
) -> "pd.DataFrame":
    """A per-column data-quality report of one table.

    Parameters
    ----------
    table : the table to examine; it is never modified, and bad values are
        reported, not raised.
    name : its name ("orders", "customers", ...). For tables of the data
        dictionary the known rules apply (amounts >= 0, answers inside their
        1-7 or 0-10 scale, the documented key); for others, columns named like
        amounts or costs must be >= 0.
    key : the column(s) that should identify a row; default: the documented key.
    as_of : dates later than this are out of range ("future dates");
        default: today.

    Returns
    -------
    DataFrame, one row per column: ``column``, ``dtype``, ``missing`` (count),
    ``missing_share`` (0-1), ``distinct`` (values), ``rule`` (the validity rule
    applied, empty if none), ``out_of_range`` (values breaking it, missing if
    no rule), ``duplicate_keys`` (on key columns: rows repeating an earlier
    key; missing elsewhere). ``attrs`` holds ``rows``, ``key``,
    ``duplicate_rows`` (exact copies) and ``as_of``.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"order_id": ["o1", "o2", "o2"],
    ...     "order_date": pd.to_datetime(["2024-01-05", "2031-01-01", None]),
    ...     "amount": [10.0, -4.0, None]})
    >>> q = data_quality(orders, "orders", as_of="2024-12-31")
    >>> q[["column", "missing", "distinct", "out_of_range", "duplicate_keys"]]
           column  missing  distinct  out_of_range  duplicate_keys
    0    order_id        0         2          <NA>               1
    1  order_date        1         2             1            <NA>
    2      amount        1         2             1            <NA>
    >>> q["rule"].tolist()
    ['', '<= 2024-12-31', '>= 0']
    """
    import pandas as pd

    table = check_table(table, name, [], min_rows=0, order_lines=True)  # repeats are reported, not refused
    known, known_key = _known(name)
    if key is None:
        key = known_key
        keys = [key] if isinstance(key, str) else list(key or [])
        keys = keys if all(k in table.columns for k in keys) else []
    else:
        keys = [key] if isinstance(key, str) else list(key)
        check_table(table, name, keys, min_rows=0, order_lines=True)
    as_of = pd.Timestamp.today().normalize() if as_of is None else check_date("as_of", as_of)

    dup_keys = int(table.duplicated(subset=keys).sum()) if keys and len(table) else 0
    rows = []
    for col in table.columns:
        s = table[col]
        rule, bad = _rule(str(col), s, known, as_of)
        rows.append(
            {
                "column": col,
                "dtype": str(s.dtype),
                "missing": int(s.isna().sum()),
                "missing_share": float(s.isna().mean()) if len(s) else 0.0,
                "distinct": int(s.nunique(dropna=True)),
                "rule": rule,
                "out_of_range": pd.NA if bad is None else int(bad.fillna(False).sum()),
                "duplicate_keys": dup_keys if col in keys else pd.NA,
            }
        )
    report = pd.DataFrame(rows)
    for col in ("out_of_range", "duplicate_keys"):
        report[col] = report[col].astype("Int64")
    report["missing_share"] = report["missing_share"].round(4)
    report.attrs.update(
        {
            "table": name,
            "rows": len(table),
            "key": keys,
            "duplicate_rows": int(table.duplicated().sum()) if len(table) else 0,
            "as_of": as_of,
        }
    )
    return report


@checked
def data_quality_report(ds) -> "pd.DataFrame":
    """:func:`data_quality` over every table of a dataset, dates checked against ``ds.as_of``.

    Returns
    -------
    DataFrame with a leading ``table`` column and one row per column of every
    table; ``attrs["tables"]`` holds each table's rows and exact duplicate rows.

    Examples
    --------
    >>> from crmlab import datasets
    >>> r = data_quality_report(datasets.load("cdnow"))
    >>> r[["table", "column", "missing", "out_of_range"]].to_string(index=False)
    ' table      column  missing  out_of_range\\norders customer_id        0          <NA>\\norders  order_date        0             0\\norders    quantity        0             0\\norders      amount        0             0'
    """
    import pandas as pd

    if not hasattr(ds, "as_of"):
        raise CRMDataError(
            "data_quality_report needs a dataset from crmlab.datasets.load() "
            f"(with tables and as_of), got {type(ds).__name__}."
        )
    parts, tables = [], {}
    for name in ds:
        q = data_quality(ds[name], name, as_of=ds.as_of)
        tables[name] = {"rows": q.attrs["rows"], "duplicate_rows": q.attrs["duplicate_rows"]}
        parts.append(q.assign(table=name))
    report = pd.concat(parts, ignore_index=True)
    report = report[["table", *[c for c in report.columns if c != "table"]]]
    report.attrs.update({"dataset": getattr(ds, "name", None), "as_of": ds.as_of, "tables": tables})
    return report
