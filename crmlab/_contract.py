"""What every public analytics function accepts, declared once (the data contract, 数据约定).

Each parameter of each public function of the analytics modules has a *kind*: a table
(with the columns it must have and their validation kinds), a column name, a whole
number, a real number, a date, a choice, a sequence of these, or a free value whose
meaning the function checks itself. Kinds are declared by parameter name in
``BY_NAME`` (``as_of`` is a date everywhere, ``horizon`` a whole number everywhere)
and per function in ``FUNCTIONS`` where a name means something else there.

:func:`checked` wraps a public function so that, before it runs, its scalar parameters
pass the rules of :mod:`crmlab._validate` (whole numbers never truncated, dates never
None/NaT/unparseable/zoned, numbers finite, tables really tables). The tables' values
are checked by the function itself through :func:`crmlab._validate.check_table`, in the
same pass that reads them. ``tests/test_contract.py`` enumerates every public function,
requires a declaration for every parameter and sweeps hostile values of every kind
through it (in the manner of scikit-learn's common estimator checks).
"""

from __future__ import annotations

import functools
import inspect
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from crmlab._validate import CRMDataError, check_count, check_date, check_same_ids

__all__ = [
    "Table",
    "Col",
    "Count",
    "Num",
    "Date",
    "Choice",
    "Freq",
    "Seq",
    "Free",
    "Instance",
    "Matrix",
    "NumMap",
    "Numeric",
    "BY_NAME",
    "FUNCTIONS",
    "checked",
    "declaration",
]


@dataclass(frozen=True)
class Table:
    """A table parameter: its name for the reader and ``{column parameter or 'name': kind}``.

    A column key is the name of the function's parameter that holds the column name
    (``"customer"``), or a literal column name prefixed with ``=`` (``"=order_id"``).
    Kinds are those of :func:`crmlab._validate.check_table`, plus ``"flag?"`` for the
    returned flag whose default column may be absent.
    """

    name: str
    columns: Mapping[str, str] = field(default_factory=dict)
    series: bool = False  # a Series (or array-like) is accepted too
    frame: bool = True  # a DataFrame is accepted
    empty_ok: bool = False  # an empty table is a valid input (otherwise refused)
    order_lines: bool = False  # rows are items of orders, so an order id may repeat
    hint: str = ""  # how to pass it, when the usual "ds.<name>" is not right


@dataclass(frozen=True)
class Col:
    """A parameter naming a column (a string)."""


@dataclass(frozen=True)
class Count:
    """A whole number within [lo, hi]."""

    lo: int | None = 0
    hi: int | None = None
    also: tuple = ()  # other accepted types (e.g. a Mapping of bin edges)


@dataclass(frozen=True)
class Num:
    """A finite real number within [lo, hi] (open ends with lo_open / hi_open)."""

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    also: tuple = ()  # other accepted values or types (e.g. "median", a callable)


@dataclass(frozen=True)
class Date:
    """A date (``as_of``, ``calibration_end`` ...)."""


@dataclass(frozen=True)
class Choice:
    options: tuple


@dataclass(frozen=True)
class Freq:
    """A pandas frequency alias such as ``"ME"`` or ``"QE"``."""


@dataclass(frozen=True)
class Seq:
    """A sequence whose items are of kind ``item``."""

    item: Any
    min_len: int = 1


@dataclass(frozen=True)
class Free:
    """A value the function checks itself (a matrix, a rule set, labels ...); ``why`` says what."""

    why: str


@dataclass(frozen=True)
class Matrix:
    """A transition matrix: a TransitionMatrix, a square DataFrame or a 2-D array of probabilities."""


@dataclass(frozen=True)
class NumMap:
    """A mapping whose values are finite real numbers (scores, weights, changes)."""

    lo: float | None = None


@dataclass(frozen=True)
class Numeric:
    """A finite real number or an array-like of them (vectorised functions)."""

    lo: float | None = None


@dataclass(frozen=True)
class Instance:
    """An object made by crmlab (a fitted model, a dataset): the class names accepted."""

    names: tuple


ORDERS = Table("orders", {"customer": "id", "date": "datetime", "amount": "nonneg", "returned": "flag?"})

# Kinds by parameter name: the default everywhere the name appears.
BY_NAME: dict[str, Any] = {
    # tables
    "orders": ORDERS,
    "customers": Table("customers", {"customer": "id"}),
    "interactions": Table("interactions", {"customer": "id"}),
    "surveys": Table("surveys", {}),
    "survey_items": Table("survey_items", {"attribute": "category"}),
    "wallets": Table("wallets", {"customer": "id", "year": "number", "wallet": "nonneg"}),
    "activities": Table("activities", {"customer": "id", "activity": "category", "quantity": "positive"}),
    "activity_rates": Table("activity_rates", {"activity": "category"}),
    "capacity": Table("capacity", {}),
    "history": Table("history", {}),
    "truth": Table("truth", {}, series=True),
    "summary": Table("summary", {"=frequency": "nonneg", "=recency": "nonneg", "=T": "nonneg"}),
    "features": Table("features", {}),
    "stages": Table("stages", {}),
    "phase_history": Table("phase_history", {"customer": "id"}),
    "offers": Table("offers", {}),
    "rfm": Table("rfm", {"=recency_days": "number", "=frequency": "nonneg", "=monetary": "number"}),
    "scores": Table("scores", {"=R": "number", "=F": "number"}),
    "by_period": Table("by_period", {"=period_end": "datetime", "customer": "id"}),
    "sow": Table("sow", {}),
    "warning_points": Table("warning_points", {"warning": "nonneg"}),
    "at_risk": Table("at_risk", {}),
    "table": Table("table", {}),
    "data": Table("data", {}, series=True),
    "predicted": Table("predicted", {}, series=True),
    "patterns": Table("patterns", {}, series=True),
    "profit": Table("profit", {}, series=True),
    "clv": Table("clv", {}, series=True, frame=False),
    "segments": Table("segments", {}, series=True, frame=False),
    "cost_to_serve": Table("cost_to_serve", {}, series=True, frame=False),
    "wallet_size": Table("wallet_size", {}, series=True, frame=False),
    "attitude": Table("attitude", {}, series=True, frame=False),
    "patronage": Table("patronage", {}, series=True, frame=False),
    "a": Table("a", {}, series=True, frame=False),
    "b": Table("b", {}, series=True, frame=False),
    "recommend": Table(
        "recommend",
        {},
        series=True,
        frame=False,
        hint="Pass the answers to the 0-10 question, e.g. nps(ds.surveys['recommend']).",
    ),
    # column names
    **{
        c: Col()
        for c in (
            "customer",
            "date",
            "amount",
            "returned",
            "order",
            "gross_margin",
            "signup",
            "category",
            "channel",
            "attribute",
            "expectation",
            "perception",
            "importance",
            "performance",
            "dimension",
            "kind",
            "resolution_hours",
            "resolved",
            "satisfaction_after",
            "interaction_date",
            "interaction_kind",
            "order_date",
            "year",
            "wallet",
            "wallet_year",
            "activity",
            "quantity",
            "rate",
            "minutes",
            "department",
            "item",
            "basket",
            "warning",
            "column",
            "value",
            "pattern",
            "predicted_col",
            "truth_col",
            "phase",
            "period",
            "offer",
            "by",
        )
    },
    # dates
    **{d: Date() for d in ("as_of", "calibration_end", "observation_end")},
    # whole numbers
    "horizon": Count(0),
    "periods": Count(0),
    "renewals": Count(0),
    "bins": Count(2),
    "top_n": Count(1),
    "min_orders": Count(1),
    "max_periods": Count(1),
    "max_frequency": Count(1),
    "n_init": Count(1),
    "cohorts": Count(0),
    "inactive_days": Count(1),
    "horizon_days": Count(1),
    "min_count": Count(1),
    "k": Count(1),
    "n": Count(1),
    "seed": Count(0),
    "sample_size": Count(2),
    "base_customers": Count(1),
    # real numbers
    **{
        x: Num()
        for x in (
            "discount",
            "discount_rate",
            "margin",
            "retention",
            "retention_cost",
            "growth_rate",
            "referrals_per_period",
            "referral_value",
            "knowledge_value",
            "prospects",
            "acquisition_rate",
            "acquisition_cost",
            "new_customer_clv",
            "cost_per_inquiry",
            "cost_per_complaint",
            "indirect_costs",
            "spend_ratio",
            "q",
            "multiplier",
            "churn_probability",
            "gain_points",
            "top",
            "max_ratio",
            "defects",
            "opportunities",
            "shift",
            "true_quality",
            "attraction",
            "quality_sd",
            "satisfaction_slope",
            "repurchase_slope",
            "satisfied_at",
            "recovered_at",
            "min_lift",
            "penalizer",
            "cohort_size",
            "years",
            "product",
            "service",
            "personnel",
            "image",
            "monetary",
            "time",
            "energy",
            "psychic",
            "within_days",
        )
    },
    "alpha": Num(0, lo_open=True),
    "beta": Num(0, lo_open=True),
    "share_cut": Num(also=("median", "mean")),
    "wallet_cut": Num(also=("median", "mean")),
    "attitude_cut": Num(also=("median", "mean")),
    "patronage_cut": Num(also=("median", "mean")),
    # choices and frequencies
    "freq": Freq(),
    "cohort_freq": Freq(),
    "time_unit": Choice(("W", "D")),
    "method": Free("its own choice list, checked by the function"),
    "metric": Choice(("confidence", "lift")),
    "level": Choice(("customer", "basket")),
    "basis": Choice(("revenue", "direct_cost")),
    "crosshair": Choice(("mean", "midpoint")),
    # sequences
    "thresholds": Seq(Num(0, 1)),
    "tops": Seq(Num(0, 1, lo_open=True)),
    "ks": Seq(Count(1)),
    "reduction_points": Seq(Num(0, 100)),
    "retentions": Seq(Num(0, 1)),
    "expectation_levels": Seq(Num()),
    "top_box": Seq(Count(0)),
    "active": Seq(Num(0)),
    "dates": Seq(Date()),
    "period_ends": Seq(Date()),
    "values": Seq(Num()),
    "P": Matrix(),
    "benefits": NumMap(),
    "sacrifices": NumMap(),
    "benefits_weights": NumMap(0),
    "sacrifices_weights": NumMap(0),
    "changes": NumMap(0),
    "rank": Numeric(1),
    # crmlab objects
    "bgnbd": Instance(("BGNBDResult",)),
    "model": Instance(("BGNBDResult",)),
    "gamma_gamma": Instance(("GammaGammaResult",)),
    "ds": Instance(("Dataset",)),
    # values the function checks itself
    **{
        x: Free(why)
        for x, why in {
            "rules": "a rule set or a table of association rules, checked by the function",
            "options": "keyword options passed on to a documented function",
            "rule_overrides": "LifecycleRules fields, checked by LifecycleRules",
            "segment_map": "a mapping of segment names to patterns, checked by the function",
            "states": "state names",
            "absorbing": "state names",
            "check_allowed": "a flag",
            "initial_margin": "a flag",
            "normalize": "a flag",
            "names": "two labels",
            "labels": "labels",
            "tiers": "tier shares, checked by the function",
            "columns": "column names, checked by the function",
            "value_columns": "column names",
            "cost_columns": "column names",
            "attitudes": "column names",
            "start_mix": "a mix over states, checked by the function",
            "rewards": "rewards per state, checked by the function",
            "marketing_per_month": "spend per stage, checked by the function",
            "departments": "a mapping of activities to departments",
            "scale": "the (low, high) of the scale",
            "unit": "a label",
            "period_unit": "a label",
            "key": "key column name(s)",
            "name": "the table's name",
            "customer_id": "an id",
            "rule": "a LifecycleRules field name",
            "current": "current customers",
            "t": "periods (numbers), checked by the function",
            "complaint": "a label",
            "start": "a state name",
            "cost": "a number or a cost function",
        }.items()
    },
}

# Where a name means something else in one function.
FUNCTIONS: dict[str, dict[str, Any]] = {
    "crmlab.rfm.score": {"bins": Count(2, also=(Mapping,))},
    "crmlab.rfm.segment_migration": {"start": Date(), "end": Date()},
    "crmlab.rfm.rfm_table": {"monetary": Choice(("total", "mean"))},
    "crmlab.rfm.rfm_by_period": {"monetary": Choice(("total", "mean"))},
    "crmlab.rfm.rfm_with_cost": {
        "margin": Table("margin", {}, series=True, frame=False),
        "scores": Table("scores", {"=score_total": "number", "=monetary": "number"}),
    },
    "crmlab.lifecycle.pattern_trajectories": {
        "history": Table("history", {"customer": "id", "value": "number", "=t": "number"})
    },
    "crmlab.lifecycle.stage_input_output": {
        "margin": Col(),
        "acquisition_cost": Col(),
        "history": Table("history", {}),
    },
    "crmlab.lifecycle.rule_sensitivity": {"values": Free("values of the rule, checked by LifecycleRules")},
    "crmlab.lifecycle.stage_history": {"wallets": Table("wallets", {})},
    "crmlab.acquisition.acquisition_quality": {"acquisition_cost": Col(), "cost": Col(), "margin": Col()},
    "crmlab.acquisition.co_purchase": {"orders": Table("orders", ORDERS.columns, order_lines=True)},
    "crmlab.acquisition.next_best_category": {"orders": Table("orders", ORDERS.columns, order_lines=True)},
    "crmlab.acquisition.wallet_allocation_rule": {"n": Numeric(1)},
    "crmlab.acquisition.wallet_segments": {"year": Count(1900, 2200)},
    "crmlab.profitability.time_driven_abc": {"years": Num(0, lo_open=True)},
    "crmlab.loyalty.fit_sbg": {"period": Free("a label for the period")},
    "crmlab.loyalty.sbg_derl": {"discount": Num(0)},
    "crmlab.loyalty.churn_management": {"at_risk": Table("at_risk", {}, empty_ok=True)},
    "crmlab.lifecycle.stage_counts": {"stages": Table("stages", {}, empty_ok=True)},
    "crmlab.profile.data_quality": {"table": Table("table", {}, empty_ok=True)},
    "crmlab.btyd.fit_gamma_gamma": {"summary": Table("summary", {"=frequency": "nonneg", "=monetary_value": "nonneg"})},
    "crmlab.btyd.tracking_table": {"model": Instance(("BGNBDResult", "BGNBD", "ParetoNBD", "MBGNBD"))},
    "crmlab.btyd.spend_frequency_correlation": {
        "summary": Table("summary", {"=frequency": "nonneg", "=monetary_value": "nonneg"})
    },
    "crmlab.segmentation.top_share": {"top": Num(0, 1, lo_open=True)},
    "crmlab.segmentation.silhouette": {"ks": Seq(Count(2))},
    "crmlab.segmentation.elbow": {"ks": Seq(Count(1))},
    "crmlab.segmentation.kmeans_segments": {"k": Count(1)},
    "crmlab.satisfaction.expectation_simulation": {"n": Count(2)},
    "crmlab.satisfaction.complaint_summary": {"complaint": Free("the kind value that marks a complaint")},
    "crmlab.relationship.simulate_cohort": {"n": Count(1), "periods": Count(1)},
    "crmlab.relationship.markov_clv": {"horizon": Count(0)},
    "crmlab.dashboard.kpi_dashboard": {"top": Num(0, 1, lo_open=True)},
    "crmlab.profile.customer_view": {
        "margin": Col(),
        "orders": Table("orders", ORDERS.columns, empty_ok=True),
        "interactions": Table("interactions", {}, empty_ok=True),
        "surveys": Table("surveys", {}, empty_ok=True),
    },
    "crmlab.clv.clv_table": {"periods": Count(1)},
    "crmlab.btyd.probabilistic_clv": {"horizon": Count(1), "time_unit": Choice(("W", "D"))},
    "crmlab.btyd.fit_bgnbd": {"time_unit": Choice(("W", "D"))},
}


def declaration(fn: Callable) -> dict[str, Any]:
    """``{parameter: kind}`` of a public function; a parameter without a declaration maps to ``None``."""
    target = inspect.unwrap(fn)
    key = f"{target.__module__}.{target.__name__}"
    own = FUNCTIONS.get(key, {})
    return {p: own.get(p, BY_NAME.get(p)) for p in inspect.signature(target).parameters}


def _type_name(value: Any) -> str:
    return type(value).__name__


def _check_value(fn_name: str, name: str, kind: Any, value: Any, optional: bool, table_name: str | None = None) -> Any:
    """Check one parameter value against its kind; return it (counts as int)."""
    import pandas as pd

    if value is None and optional and not isinstance(kind, Table):
        return value
    if isinstance(kind, Table):
        if value is None and optional:
            return value
        ok = (kind.frame and isinstance(value, pd.DataFrame)) or (
            kind.series
            and (isinstance(value, (pd.Series, pd.Index, list, tuple)) or hasattr(value, "__array__"))
            and not isinstance(value, pd.DataFrame)
        )
        if ok and not kind.empty_ok and len(value) == 0:
            tname = table_name or kind.name
            raise CRMDataError(
                f"table '{tname}' (parameter '{name}' of {fn_name}) is empty. Check the filter that produced it."
            )
        if not ok:
            want = " or ".join(
                w for w, on in (("a pandas DataFrame", kind.frame), ("a pandas Series", kind.series)) if on
            )
            tname = table_name or kind.name
            raise CRMDataError(
                f"table '{tname}': expected {want}, got {_type_name(value)} (parameter '{name}' of {fn_name}). "
                + (kind.hint or f"Pass the table itself, e.g. ds.{tname}, or the result of the step before.")
            )
        return value
    if isinstance(kind, Col):
        if not isinstance(value, str):
            raise CRMDataError(f"parameter '{name}' of {fn_name} names a column and must be a string, got {value!r}.")
        return value
    if isinstance(kind, Count):
        if kind.also and isinstance(value, kind.also):
            return value
        return check_count(name, value, lo=kind.lo, hi=kind.hi)
    if isinstance(kind, Num):
        if kind.also and (
            any(isinstance(value, t) for t in kind.also if isinstance(t, type))
            or (isinstance(value, str) and value in kind.also)
        ):
            return value
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            extra = (
                f" or one of {', '.join(map(repr, [a for a in kind.also if isinstance(a, str)]))}" if kind.also else ""
            )
            raise CRMDataError(f"parameter '{name}' of {fn_name} must be a number{extra}, got {value!r}.")
        v = float(value)
        if v != v:
            raise CRMDataError(f"parameter '{name}' is NaN (in {fn_name}). Pass a finite number.")
        if v in (float("inf"), float("-inf")):
            raise CRMDataError(f"parameter '{name}' of {fn_name} must be a finite number, got {value!r}.")
        if (kind.lo is not None and (v < kind.lo or (kind.lo_open and v == kind.lo))) or (
            kind.hi is not None and (v > kind.hi or (kind.hi_open and v == kind.hi))
        ):
            left = ("(" if kind.lo_open else "[") + ("-inf" if kind.lo is None else f"{kind.lo:g}")
            right = ("inf" if kind.hi is None else f"{kind.hi:g}") + (")" if kind.hi_open else "]")
            raise CRMDataError(f"parameter '{name}' = {value!r} of {fn_name} is outside {left}, {right}.")
        return value
    if isinstance(kind, Date):
        check_date(name, value, required=True)
        return value
    if isinstance(kind, Choice):
        if not isinstance(value, str) or value not in kind.options:
            raise CRMDataError(
                f"parameter '{name}' = {value!r} of {fn_name} is not one of: {', '.join(map(repr, kind.options))}."
            )
        return value
    if isinstance(kind, Freq):
        from pandas.tseries.frequencies import to_offset

        try:
            if not isinstance(value, str):
                raise TypeError
            try:
                to_offset(value)
            except ValueError:
                pd.Period("2000-01-01", freq=value)  # a period alias such as 'M' or 'Q'
        except (TypeError, ValueError):
            raise CRMDataError(
                f"parameter '{name}' = {value!r} of {fn_name} is not a pandas frequency. Use "
                f"e.g. 'ME' (month end), 'QE' (quarter end), 'YE' (year end), 'W' (week)."
            ) from None
        return value
    if isinstance(kind, Seq):
        if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
            raise CRMDataError(f"parameter '{name}' of {fn_name} must be a sequence, got {value!r}.")
        items = list(value)
        if len(items) < kind.min_len:
            raise CRMDataError(f"parameter '{name}' of {fn_name} is empty; give at least {kind.min_len} value(s).")
        for item in items:
            _check_value(fn_name, name, kind.item, item, False)
        return value
    if isinstance(kind, Matrix):
        if not (
            hasattr(value, "probabilities")
            or isinstance(value, pd.DataFrame)
            or (hasattr(value, "__len__") and not isinstance(value, (str, bytes, Mapping)))
        ):
            raise CRMDataError(
                f"parameter '{name}' of {fn_name} must be a transition matrix (transition_matrix(...) "
                f"or a square DataFrame of probabilities), got {_type_name(value)}."
            )
        return value
    if isinstance(kind, NumMap):
        if not isinstance(value, Mapping):
            raise CRMDataError(
                f"parameter '{name}' of {fn_name} must be a mapping {{name: number}}, got {_type_name(value)}."
            )
        for key, v in value.items():
            if (
                isinstance(v, bool)
                or not isinstance(v, numbers.Real)
                or v != v
                or abs(float(v)) == float("inf")
                or (kind.lo is not None and v < kind.lo)
            ):
                low = "" if kind.lo is None else f" >= {kind.lo:g}"
                raise CRMDataError(
                    f"parameter '{name}' of {fn_name}: the value of {key!r} must be a finite number"
                    f"{low}, got {v!r}. Score it on a numeric scale, e.g. {{'quality': 6}}."
                )
        return value
    if isinstance(kind, Numeric):
        import numpy as np

        try:
            arr = np.asarray(value)
            ok = arr.dtype.kind in "iuf" and arr.size > 0 and bool(np.isfinite(arr).all())
        except (TypeError, ValueError):
            ok = False
        if not ok or (kind.lo is not None and bool((arr < kind.lo).any())):
            low = "" if kind.lo is None else f" >= {kind.lo:g}"
            raise CRMDataError(
                f"parameter '{name}' of {fn_name} must be a finite number{low} (or an array of them), got {value!r}."
            )
        return value
    if isinstance(kind, Instance):
        if _type_name(value) not in kind.names:
            what = {
                "Dataset": "dataset (crmlab.datasets.load(...))",
                "BGNBDResult": "fitted BG/NBD model (fit_bgnbd(...))",
                "GammaGammaResult": "fitted Gamma-Gamma model (fit_gamma_gamma(...))",
            }
            raise CRMDataError(
                f"{fn_name} needs a {' or '.join(what.get(n, n) for n in kind.names)} as parameter "
                f"'{name}', got {_type_name(value)}."
            )
        return value
    return value  # Free or undeclared: the function checks it


def _check_id_kinds(kinds: Mapping[str, Any], arguments: Mapping[str, Any], sig: inspect.Signature) -> None:
    """Tables joined on the same id column must hold the same kind of id (text or numbers).

    Reads dtypes and two values per column only, so it costs nothing on large tables.
    """
    import pandas as pd

    seen: dict[str, tuple[str, str, Any]] = {}
    for name, kind in kinds.items():
        if not isinstance(kind, Table) or not isinstance(arguments.get(name), pd.DataFrame):
            continue
        for key, ckind in kind.columns.items():
            if ckind != "id":
                continue
            if key.startswith("="):
                col = key[1:]
            else:
                col = arguments.get(key, sig.parameters[key].default if key in sig.parameters else None)
            df = arguments[name]
            if not isinstance(col, str) or col not in df.columns:
                continue
            if key in seen:
                t0, c0, s0 = seen[key]
                check_same_ids(s0, t0, c0, df[col], kind.name, col)
            else:
                seen[key] = (kind.name, col, df[col])


def checked(fn: Callable) -> Callable:
    """Wrap a public function so that its declared parameters are checked before it runs.

    The checks read parameters only (never a table's values), so they cost microseconds.
    Whole-number parameters reach the function as ``int``.
    """
    sig = inspect.signature(fn)
    fn_name = f"{fn.__name__}()"
    kinds = None

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal kinds
        if kinds is None:
            kinds = declaration(fn)
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError as exc:
            raise CRMDataError(f"{fn_name}: {exc}. See help({fn.__name__}).") from None
        for name, value in list(bound.arguments.items()):
            p = sig.parameters[name]
            if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                continue
            kind = kinds.get(name)
            if kind is None:
                continue
            optional = p.default is None or "None" in str(p.annotation)
            tname = bound.arguments.get("name") if isinstance(kind, Table) and kind.name == "table" else None
            new = _check_value(fn_name, name, kind, value, optional, tname if isinstance(tname, str) else None)
            if new is not value:
                bound.arguments[name] = new
        _check_id_kinds(kinds, bound.arguments, sig)
        return fn(*bound.args, **bound.kwargs)

    setattr(wrapper, "__contract__", True)  # noqa: B010 -- the common test looks for it
    return wrapper
