"""The common test of the data contract: every public analytics function, every kind of bad input.

In the manner of scikit-learn's common estimator checks, the functions are enumerated
from the ``__all__`` of the analytics modules, so a new public function fails here until
it (1) is wrapped by ``crmlab._contract.checked``, (2) has every parameter declared in
``crmlab._contract`` and (3) has a valid call in ``VALID`` below. The sweep then derives
hostile variants of that valid call from the declarations -- tables that are not tables,
empty tables, missing columns, numbers as dates, zoned dates, text flags, negative amounts,
missing values, decimal counts, NaN and infinite numbers, unparseable or absurd dates,
unknown choices and frequencies -- and requires of each one a ``CRMDataError`` that names
the parameter, table or column (never a pandas/numpy/scikit-learn traceback, never a
silently computed result).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import warnings

import numpy as np
import pandas as pd
import pytest

from crmlab._contract import (
    Choice,
    Col,
    Count,
    Date,
    Freq,
    Instance,
    Matrix,
    Num,
    NumMap,
    Numeric,
    Seq,
    Table,
    declaration,
)
from crmlab._validate import CRMDataError

MODULES = (
    "rfm",
    "lifecycle",
    "loyalty",
    "profitability",
    "acquisition",
    "segmentation",
    "satisfaction",
    "relationship",
    "value",
    "profile",
    "dashboard",
    "btyd",
    "clv",
)


def public_functions() -> dict[str, object]:
    """Every public function of the analytics modules, by name (re-exports counted once)."""
    out: dict[str, object] = {}
    for m in MODULES:
        mod = importlib.import_module(f"crmlab.{m}")
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.isfunction(obj):
                out.setdefault(name, obj)
    return out


FUNCTIONS = public_functions()


class Data:
    """Small generated scenarios and the intermediate results the functions take."""

    @functools.cached_property
    def retail(self):
        from crmlab.datasets import generate

        return generate("retail", n_customers=150, seed=3)

    @functools.cached_property
    def b2b(self):
        from crmlab.datasets import generate

        return generate("b2b", n_customers=40, seed=3)

    @property
    def orders(self):
        return self.retail.orders.copy()

    @property
    def as_of(self):
        return self.retail.as_of

    @functools.cached_property
    def rfm(self):
        from crmlab.rfm import rfm_table

        return rfm_table(self.orders, as_of=self.as_of)

    @functools.cached_property
    def scores(self):
        from crmlab.rfm import score

        return score(self.rfm)

    @functools.cached_property
    def by_period(self):
        from crmlab.rfm import rfm_by_period

        return rfm_by_period(self.orders, as_of=self.as_of, freq="YE")

    @functools.cached_property
    def summary(self):
        from crmlab.btyd import summary_from_transactions

        return summary_from_transactions(self.orders, observation_end=self.as_of)

    @functools.cached_property
    def bgnbd(self):
        from crmlab.btyd import fit_bgnbd

        return fit_bgnbd(self.summary)

    @functools.cached_property
    def gamma_gamma(self):
        from crmlab.btyd import fit_gamma_gamma

        return fit_gamma_gamma(self.summary)

    @functools.cached_property
    def history(self):
        from crmlab.lifecycle import stage_history

        return stage_history(self.orders, as_of=self.as_of)

    @functools.cached_property
    def stages(self):
        from crmlab.lifecycle import classify_stages

        return classify_stages(self.orders, as_of=self.as_of, history=self.history)

    @functools.cached_property
    def patterns(self):
        from crmlab.lifecycle import classify_patterns

        return classify_patterns(self.orders, as_of=self.as_of, history=self.history)

    @functools.cached_property
    def features(self):
        from crmlab.segmentation import customer_features

        return customer_features(self.orders, as_of=self.as_of)[["orders_per_year", "mean_order_value"]]

    @functools.cached_property
    def P(self):
        from crmlab.relationship import transition_matrix

        return transition_matrix(self.retail.truth_phases)

    @functools.cached_property
    def sow(self):
        from crmlab.acquisition import share_of_wallet

        return share_of_wallet(self.b2b.orders, self.b2b.wallets)

    @functools.cached_property
    def warning_points(self):
        from crmlab.loyalty import churn_warning_points

        return churn_warning_points(self.orders)

    @functools.cached_property
    def at_risk(self):
        from crmlab.loyalty import at_risk

        return at_risk(self.orders, self.warning_points, as_of=self.as_of)

    @functools.cached_property
    def profit(self):
        from crmlab.profitability import activity_based_profit

        b = self.b2b
        return activity_based_profit(b.orders, b.activities, b.activity_rates)


def valid_calls(d: Data) -> dict[str, dict]:
    """One valid call of every public function: ``{name: kwargs}``."""
    r, b = d.retail, d.b2b
    spend = d.rfm["monetary"]
    offers = pd.DataFrame(
        {
            "offer": ["A", "B"],
            "product": [100, 60],
            "service": [20, 10],
            "personnel": [10, 5],
            "image": [5, 5],
            "monetary": [80, 40],
            "time": [5, 5],
            "energy": [2, 2],
            "psychic": [1, 1],
        }
    )
    return {
        # rfm
        "rfm_table": dict(orders=d.orders, as_of=d.as_of),
        "score": dict(rfm=d.rfm, bins=5),
        "segment": dict(scores=d.scores),
        "segment_grid": dict(bins=5),
        "rfm_by_period": dict(orders=d.orders, as_of=d.as_of, freq="YE"),
        "segment_migration": dict(by_period=d.by_period, start="2023-12-31", end="2024-12-31"),
        "rfm_with_cost": dict(scores=d.scores, cost_to_serve=spend * 0.1),
        # lifecycle
        "monthly_activity": dict(orders=d.orders, as_of=d.as_of),
        "stage_history": dict(orders=d.orders, as_of=d.as_of),
        "classify_stages": dict(orders=d.orders, as_of=d.as_of),
        "classify_patterns": dict(orders=d.orders, as_of=d.as_of),
        "pattern_trajectories": dict(history=d.history, patterns=d.patterns),
        "stage_input_output": dict(
            orders=d.orders, history=d.history, customers=r.customers, interactions=r.interactions
        ),
        "pattern_recovery": dict(predicted=d.patterns, truth=r.truth),
        "stage_counts": dict(stages=d.stages),
        "rules_outcome": dict(orders=d.orders, truth=r.truth, as_of=d.as_of),
        "rule_sensitivity": dict(orders=d.orders, truth=r.truth, rule="stability_after", values=[6, 12], as_of=d.as_of),
        # loyalty
        "retention_rates": dict(orders=d.orders, freq="QE"),
        "repeat_purchase_rate": dict(orders=d.orders),
        "cohort_matrix": dict(orders=d.orders, customers=r.customers),
        "cohort_survival": dict(orders=d.orders, customers=r.customers),
        "fit_sbg": dict(active=[869, 743, 653, 593, 551, 517, 491], cohort_size=1000),
        "sbg_survival": dict(alpha=1.0, beta=1.0, t=[1, 2]),
        "sbg_retention": dict(alpha=1.0, beta=1.0, t=[1, 2]),
        "sbg_derl": dict(alpha=2.0, beta=1.0, discount=0.1, renewals=1),
        "purchase_gaps": dict(orders=d.orders),
        "churn_warning_points": dict(orders=d.orders),
        "at_risk": dict(orders=d.orders, warning_points=d.warning_points, as_of=d.as_of),
        "churn_management": dict(at_risk=d.at_risk, clv=spend.reindex(d.at_risk.index).fillna(0.0)),
        "retention_economics": dict(retention=0.8, margin=100.0, discount=0.1),
        "loyalty_matrix": dict(
            attitude=(att := r.surveys.groupby("customer_id")["attitude"].mean()),
            patronage=d.rfm["frequency"].reindex(att.index).fillna(0),
        ),
        # profitability
        "customer_revenue": dict(orders=b.orders),
        "traditional_allocation": dict(orders=b.orders, indirect_costs=10000.0),
        "activity_based_profit": dict(orders=b.orders, activities=b.activities, activity_rates=b.activity_rates),
        "time_driven_abc": dict(
            activities=b.activities, activity_rates=b.activity_rates, capacity=b.capacity, years=3.0
        ),
        "whale_curve": dict(profit=d.profit),
        # acquisition
        "acquisition_quality": dict(customers=r.customers, orders=d.orders, as_of=d.as_of),
        "share_of_wallet": dict(orders=b.orders, wallets=b.wallets),
        "wallet_segments": dict(sow=d.sow),
        "wallet_allocation_rule": dict(rank=1, n=3),
        "co_purchase": dict(orders=d.orders),
        "next_best_category": dict(
            orders=d.orders, rules=__import__("crmlab.acquisition", fromlist=["x"]).co_purchase(d.orders)
        ),
        "upsell_candidates": dict(orders=d.orders),
        # segmentation
        "pareto_table": dict(data=spend),
        "top_share": dict(data=spend, top=0.2),
        "concentration": dict(data=spend),
        "lorenz_curve": dict(data=spend),
        "gini": dict(data=spend),
        "abc_classes": dict(data=spend),
        "customer_pyramid": dict(data=spend),
        "tier_summary": dict(table=__import__("crmlab.segmentation", fromlist=["x"]).abc_classes(spend), by="class"),
        "value_segments": dict(data=spend, bins=3),
        "customer_features": dict(orders=d.orders, customers=r.customers, surveys=r.surveys, as_of=d.as_of),
        "kmeans_segments": dict(features=d.features, k=3),
        "elbow": dict(features=d.features, ks=[2, 3], n_init=2),
        "silhouette": dict(features=d.features, ks=[2, 3], n_init=2),
        "compare_segmentations": dict(a=d.scores["R"], b=d.scores["F"]),
        # satisfaction
        "disconfirmation": dict(survey_items=r.survey_items),
        "csat": dict(surveys=r.surveys),
        "nps": dict(recommend=r.surveys["recommend"]),
        "importance_performance": dict(survey_items=r.survey_items),
        "servqual_gaps": dict(survey_items=r.survey_items),
        "expectation_simulation": dict(expectation_levels=[3, 5, 7], n=500),
        "complaint_summary": dict(interactions=r.interactions, customers=r.customers, orders=d.orders),
        "complainer_churn": dict(interactions=r.interactions, orders=d.orders, as_of=d.as_of),
        # relationship
        "transition_matrix": dict(phase_history=r.truth_phases),
        "phase_mix": dict(phase_history=r.truth_phases),
        "project_mix": dict(P=d.P, start_mix=[100, 0, 0, 0, 0], periods=3),
        "adjusted_transitions": dict(P=d.P, changes={("exploration", "expansion"): 0.3}),
        "expected_time_to_absorption": dict(P=d.P),
        "markov_clv": dict(P=d.P, rewards=[0, 10, 30, 50, 0], discount=0.01, horizon=12),
        "simulate_cohort": dict(n=20, P=d.P, periods=6),
        # value
        "delivered_value": dict(product=600, service=150, personnel=100, image=150, monetary=700),
        "compare_offers": dict(offers=offers),
        "perceived_value": dict(benefits={"quality": 6, "service": 4}, sacrifices={"price": 5, "effort": 2}),
        # profile
        "customer_view": dict(
            customers=r.customers, orders=d.orders, interactions=r.interactions, surveys=r.surveys, as_of=d.as_of
        ),
        "customer_360": dict(ds=r, customer_id=str(r.customers["customer_id"].iloc[0])),
        "data_quality": dict(table=d.orders, name="orders", key="order_id", as_of=d.as_of),
        "data_quality_report": dict(ds=r),
        # dashboard
        "kpi_dashboard": dict(ds=r),
        "kpi_history": dict(ds=r, dates=["2023-12-31", "2024-12-31"]),
        "implementation_steps": dict(),
        "sigma_level": dict(defects=5, opportunities=1000),
        # clv
        "retention_clv": dict(margin=100.0, retention=0.8, discount=0.1),
        "clv_table": dict(margin=100.0, retention=0.8, discount=0.1, periods=5),
        "clv_curve": dict(margin=100.0, discount=0.1),
        "clv_components": dict(margin=100.0, retention=0.8, discount=0.1, periods=10),
        "customer_equity": dict(current=spend, discount=0.1),
        # btyd
        "summary_from_transactions": dict(orders=d.orders, observation_end=d.as_of),
        "fit_bgnbd": dict(summary=d.summary),
        "fit_gamma_gamma": dict(summary=d.summary),
        "spend_frequency_correlation": dict(summary=d.summary),
        "probabilistic_clv": dict(
            bgnbd=d.bgnbd, gamma_gamma=d.gamma_gamma, summary=d.summary, horizon=52, discount_rate=0.01, time_unit="W"
        ),
        "repeat_frequency_check": dict(model=d.bgnbd, summary=d.summary),
        "tracking_table": dict(model=d.bgnbd, orders=d.orders, summary=d.summary),
    }


@functools.lru_cache(maxsize=1)
def data() -> Data:
    return Data()


@functools.lru_cache(maxsize=1)
def calls() -> dict[str, dict]:
    return valid_calls(data())


def call(name: str, kwargs: dict):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # a numpy warning is a silent failure
        return FUNCTIONS[name](**kwargs)


# ----------------------------------------------------------------- coverage of the sweep


def test_every_public_function_is_wrapped_declared_and_has_a_valid_call():
    unwrapped = [n for n, f in FUNCTIONS.items() if not getattr(f, "__contract__", False)]
    assert not unwrapped, f"public functions not wrapped by crmlab._contract.checked: {unwrapped}"
    undeclared = {n: [p for p, k in declaration(f).items() if k is None] for n, f in FUNCTIONS.items()}
    undeclared = {n: ps for n, ps in undeclared.items() if ps}
    assert not undeclared, f"parameters without a declaration in crmlab._contract: {undeclared}"
    assert set(calls()) == set(FUNCTIONS), (
        f"functions without a valid call here: {sorted(set(FUNCTIONS) - set(calls()))}; "
        f"valid calls of functions that are gone: {sorted(set(calls()) - set(FUNCTIONS))}"
    )


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_valid_call_runs(name):
    call(name, calls()[name])


# ----------------------------------------------------------------- hostile variants


def _column_name(fn, kwargs: dict, key: str) -> str | None:
    if key.startswith("="):
        return key[1:]
    if key in kwargs:
        return kwargs[key]
    p = inspect.signature(inspect.unwrap(fn)).parameters.get(key)
    return None if p is None or p.default is inspect.Parameter.empty else p.default


def _replace_first(df: pd.DataFrame, col: str, value, *, dtype=object) -> pd.DataFrame:
    out = df.copy()
    s = out[col].astype(dtype)
    s.iloc[0] = value
    out[col] = s
    return out


def hostile_cases(name: str, kwargs: dict):
    """``(case id, kwargs, words)``: each call must raise CRMDataError naming one of ``words``."""
    fn = FUNCTIONS[name]
    decl = declaration(fn)
    sig = inspect.signature(inspect.unwrap(fn))
    for param, kind in decl.items():
        p = sig.parameters[param]
        optional = p.default is None or "None" in str(p.annotation)
        if isinstance(kind, Table) and param in kwargs:
            words = (param, kind.name)
            if not optional:
                yield f"{param}=None", {**kwargs, param: None}, words
            yield f"{param}=dict", {**kwargs, param: {"a": 1}}, words
            yield f"{param}=str", {**kwargs, param: kind.name}, words
            value = kwargs[param]
            if isinstance(value, (pd.DataFrame, pd.Series)) and not kind.empty_ok:
                yield f"{param}=empty", {**kwargs, param: value.iloc[:0]}, words
            if not isinstance(value, pd.DataFrame):
                continue
            for key, ckind in kind.columns.items():
                col = _column_name(fn, kwargs, key)
                if col is None or col not in value.columns:
                    continue
                cw = (col,)
                if ckind != "flag?":
                    yield f"{param}.{col} missing", {**kwargs, param: value.drop(columns=col)}, cw
                if ckind == "datetime":
                    yield (
                        f"{param}.{col} tz-aware",
                        {**kwargs, param: value.assign(**{col: pd.to_datetime(value[col]).dt.tz_localize("UTC")})},
                        cw,
                    )
                    as_int = pd.to_datetime(value[col]).dt.strftime("%Y%m%d").astype("int64")
                    yield f"{param}.{col} as YYYYMMDD int", {**kwargs, param: value.assign(**{col: as_int})}, cw
                    yield f"{param}.{col} not a date", {**kwargs, param: _replace_first(value, col, "soon")}, cw
                    yield (
                        f"{param}.{col} NaT",
                        {**kwargs, param: _replace_first(value, col, pd.NaT, dtype=value[col].dtype)},
                        cw,
                    )
                elif ckind in ("nonneg", "positive", "number"):
                    yield f"{param}.{col} text", {**kwargs, param: value.assign(**{col: value[col].astype(str)})}, cw
                    yield f"{param}.{col} NaN", {**kwargs, param: _replace_first(value, col, np.nan, dtype=float)}, cw
                    if ckind != "number":
                        yield (
                            f"{param}.{col} negative",
                            {**kwargs, param: _replace_first(value, col, -5.0, dtype=float)},
                            cw,
                        )
                elif ckind == "id":
                    yield f"{param}.{col} missing id", {**kwargs, param: _replace_first(value, col, None)}, cw
                elif ckind == "flag?":
                    yes_no = value[col].map({True: "yes", False: "no"})
                    yield f"{param}.{col} yes/no", {**kwargs, param: value.assign(**{col: yes_no})}, cw
                    yield f"{param}.{col} misspelt", {**kwargs, param: value, key: col + "x"}, (col + "x",)
            if "order_id" in value.columns and kind.name == "orders" and not kind.order_lines:
                dup = pd.concat([value, value.iloc[:1]], ignore_index=True)
                yield f"{param} repeated order_id", {**kwargs, param: dup}, ("order_id",)
        elif isinstance(kind, Count):
            if param not in kwargs and p.default is inspect.Parameter.empty:
                continue
            words = (param,)
            yield f"{param}=2.5", {**kwargs, param: 2.5}, words
            yield f"{param}=text", {**kwargs, param: "3"}, words
            yield f"{param}=True", {**kwargs, param: True}, words
            if kind.lo is not None:
                yield f"{param} below {kind.lo}", {**kwargs, param: kind.lo - 1}, words
        elif isinstance(kind, Num):
            words = (param,)
            yield f"{param}=text", {**kwargs, param: "x" if "x" not in kind.also else "y"}, words
            yield f"{param}=nan", {**kwargs, param: float("nan")}, words
            yield f"{param}=inf", {**kwargs, param: float("inf")}, words
        elif isinstance(kind, Date):
            words = (param,)
            if not optional:
                yield f"{param}=None", {**kwargs, param: None}, words
            yield f"{param}=NaT", {**kwargs, param: pd.NaT}, words
            yield f"{param}=soon", {**kwargs, param: "soon"}, words
            yield f"{param}=2999", {**kwargs, param: "2999-12-31"}, words
            if any(isinstance(k, Table) and k.name == "orders" for k in decl.values()):
                yield f"{param}=2040 (15 years after the data)", {**kwargs, param: "2040-01-01"}, words
            yield f"{param}=number", {**kwargs, param: 19970101}, words
            yield f"{param}=zoned", {**kwargs, param: pd.Timestamp("2024-12-31", tz="Asia/Shanghai")}, words
        elif isinstance(kind, (Choice, Freq)):
            yield f"{param}=bogus", {**kwargs, param: "fortnight"}, (param,)
        elif isinstance(kind, Seq) and param in kwargs:
            yield f"{param}=empty", {**kwargs, param: []}, (param,)
            yield f"{param}=text items", {**kwargs, param: ["x"]}, (param,)
        elif isinstance(kind, Matrix):
            if not optional:
                yield f"{param}=None", {**kwargs, param: None}, (param,)
            yield f"{param}=text", {**kwargs, param: "P"}, (param,)
            yield f"{param}=dict", {**kwargs, param: {"a": 1}}, (param,)
        elif isinstance(kind, NumMap) and param in kwargs:
            key = next(iter(kwargs[param]))
            yield f"{param} text value", {**kwargs, param: {**kwargs[param], key: "high"}}, (param,)
            yield f"{param} NaN value", {**kwargs, param: {**kwargs[param], key: float("nan")}}, (param,)
            yield f"{param}=list", {**kwargs, param: [1, 2]}, (param,)
        elif isinstance(kind, Numeric):
            yield f"{param}=text", {**kwargs, param: "two"}, (param,)
            yield f"{param}=nan", {**kwargs, param: float("nan")}, (param,)
            if kind.lo is not None:
                yield f"{param} below {kind.lo}", {**kwargs, param: kind.lo - 1}, (param,)
        elif isinstance(kind, Instance):
            yield f"{param}=dict", {**kwargs, param: {}}, (param,)
        elif isinstance(kind, Col) and isinstance(kwargs.get(param, p.default), str):
            yield f"{param}=number", {**kwargs, param: 7}, (param,)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_hostile_inputs_are_refused_with_a_named_error(name):
    failures = []
    n = 0
    for case, kwargs, words in hostile_cases(name, calls()[name]):
        n += 1
        try:
            call(name, kwargs)
        except CRMDataError as exc:
            msg = str(exc)
            if not any(str(w) in msg for w in words):
                failures.append(f"{case}: the message names none of {words}: {msg}")
        except Exception as exc:  # noqa: BLE001 -- the point of the sweep
            failures.append(f"{case}: internal {type(exc).__name__}: {exc}")
        else:
            failures.append(f"{case}: accepted silently")
    assert not failures, f"{name}: {len(failures)} of {n} hostile cases failed:\n" + "\n".join(failures)


def test_sweep_size():
    """At least 150 hostile cases over all public functions (the issue's measure)."""
    total = sum(sum(1 for _ in hostile_cases(n, calls()[n])) for n in FUNCTIONS)
    uncovered = [
        n for n, f in FUNCTIONS.items() if declaration(f) and not any(True for _ in hostile_cases(n, calls()[n]))
    ]
    assert total >= 150, total
    assert not uncovered, f"functions with parameters but no hostile case: {uncovered}"


def _flag_cases():
    for name, fn in sorted(FUNCTIONS.items()):
        for param, kind in declaration(fn).items():
            if isinstance(kind, Table) and any(k == "flag?" for k in kind.columns.values()):
                yield name, param


@pytest.mark.parametrize("name, param", list(_flag_cases()))
def test_returned_flag_as_0_1_gives_the_same_result_as_bool(name, param):
    """0/1 is an accepted returned flag; it must mean what True/False means (``~1`` is -2, not False)."""
    kwargs = calls()[name]
    orders = kwargs[param]
    assert orders["returned"].any()  # the test means something only if some orders are returned
    as_int = orders.assign(returned=orders["returned"].astype(int))
    expected, got = call(name, kwargs), call(name, {**kwargs, param: as_int})
    if isinstance(expected, (pd.DataFrame, pd.Series)):
        pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(expected), check_dtype=False)
    else:
        assert repr(got) == repr(expected)


# ----------------------------------------------------------------- the reported cases, one test each
# Each input below once ended in a pandas/numpy/scipy/scikit-learn traceback or a silently
# wrong number. Now each is refused with a message naming the parameter, table or column and
# the fix -- or, where the input is fine, gives the right number.


def _r():
    return data().retail


def _b():
    return data().b2b


def _zoned(o):
    return o.assign(order_date=o["order_date"].dt.tz_localize("Asia/Shanghai"))


@pytest.mark.parametrize("fn", ["rfm_table", "retention_rates", "monthly_activity", "summary_from_transactions"])
def test_time_zone_aware_dates_are_refused_everywhere_with_the_fix(fn):
    kwargs = {**calls()[fn], "orders": _zoned(data().orders)}
    with pytest.raises(CRMDataError, match=r"column 'order_date': the dates carry a time zone.*tz_convert\('UTC'\)"):
        FUNCTIONS[fn](**kwargs)


@pytest.mark.parametrize("fn", ["summary_from_transactions", "rfm_table"])
def test_integer_yyyymmdd_dates_are_refused_with_the_one_line_fix(fn):
    o = data().orders
    o = o.assign(order_date=o["order_date"].dt.strftime("%Y%m%d").astype("int64"))  # what read_csv gives CDNOW
    with pytest.raises(CRMDataError, match=r"column 'order_date': the dates are numbers.*format='%Y%m%d'"):
        FUNCTIONS[fn](**{**calls()[fn], "orders": o})


@pytest.mark.parametrize(
    "fn, param",
    [
        ("rfm_table", "as_of"),
        ("summary_from_transactions", "observation_end"),
        ("at_risk", "as_of"),
        ("stage_history", "as_of"),
    ],
)
@pytest.mark.parametrize("when", ["2999-12-31", "2031-01-01"])
def test_as_of_far_after_the_data_is_refused(fn, param, when):
    with pytest.raises(CRMDataError, match=f"parameter '{param}' = {when}"):
        FUNCTIONS[fn](**{**calls()[fn], param: when})


def test_as_of_within_five_years_after_the_data_is_accepted():
    from crmlab.rfm import rfm_table

    t = rfm_table(data().orders, as_of="2029-12-31")  # the bound: 5 years after the last order (2024-12-31)
    last = data().orders.loc[~data().orders["returned"], "order_date"].max()
    assert t["recency_days"].min() == (pd.Timestamp("2029-12-31") - last).days


@pytest.mark.parametrize(
    "fn, value, message",
    [
        (fn, value, message)
        for fn in ["rfm_table", "monthly_activity", "at_risk", "customer_view", "complainer_churn"]
        for value, message in [
            (None, "'as_of' is required and was None"),
            (pd.NaT, "'as_of' is NaT"),
            ("soon", "'as_of' = 'soon' is not a date"),
        ]
        # as_of=None is documented in monthly_activity and complainer_churn: the last order date
        if not (value is None and fn in ("monthly_activity", "complainer_churn"))
    ],
)
def test_missing_or_unparseable_as_of_gives_one_message_everywhere(fn, value, message):
    with pytest.raises(CRMDataError, match=message):
        FUNCTIONS[fn](**{**calls()[fn], "as_of": value})


def test_mixed_date_formats_blame_the_value_that_is_not_iso():
    from crmlab.rfm import rfm_table

    o = data().orders
    o = o.assign(order_date=o["order_date"].dt.strftime("%Y-%m-%d").astype(object))
    o.loc[5, "order_date"] = "03/15/2023"
    with pytest.raises(CRMDataError, match=r"1 value\(s\) are not ISO dates \(first at row 5: '03/15/2023'\)"):
        rfm_table(o, as_of=data().as_of)


@pytest.mark.parametrize("fn", ["rfm_table", "customer_revenue"])
def test_a_repeated_order_id_is_refused_not_counted_twice(fn):
    kwargs = calls()[fn]
    o = kwargs["orders"]
    with pytest.raises(CRMDataError, match=r"column 'order_id': 1 repeated order id\(s\).*counted twice"):
        FUNCTIONS[fn](**{**kwargs, "orders": pd.concat([o, o.iloc[:1]], ignore_index=True)})


def test_order_lines_with_order_are_one_order_and_mean_is_per_order():
    from crmlab.rfm import rfm_table

    lines = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a"],
            "order_id": ["o1", "o1", "o2"],
            "order_date": ["2024-01-01"] * 3,
            "amount": [10.0, 20.0, 30.0],
        }
    )
    t = rfm_table(lines, as_of="2024-01-31", order="order_id", monetary="mean")
    # two orders (o1 = 10 + 20, o2 = 30): mean spend per order 60 / 2 = 30, not 60 / 3 rows = 20
    assert t.loc["a", "frequency"] == 2
    assert t.loc["a", "monetary"] == 30.0


@pytest.mark.parametrize("fn", ["share_of_wallet", "upsell_candidates"])
def test_returned_as_yes_no_is_refused(fn):
    kwargs = dict(calls()[fn])
    if fn == "upsell_candidates":
        kwargs = {"orders": _b().orders, "customer": "account_id"}
    o = kwargs["orders"]
    kwargs["orders"] = o.assign(returned=o["returned"].map({True: "yes", False: "no"}))
    with pytest.raises(CRMDataError, match=r"column 'returned': expected True/False \(or 1/0\).*'no', 'yes'"):
        FUNCTIONS[fn](**kwargs)


def test_a_misspelt_returned_column_is_refused():
    from crmlab.lifecycle import monthly_activity

    with pytest.raises(CRMDataError, match=r"missing column 'returnd' \(the returned flag\)"):
        monthly_activity(data().orders, returned="returnd")


def test_integer_ids_against_text_ids_are_refused_in_activity_based_profit():
    from crmlab.profitability import activity_based_profit

    b = _b()
    number = {a: i for i, a in enumerate(b.accounts["account_id"])}
    acts = b.activities.assign(account_id=b.activities["account_id"].map(number))
    with pytest.raises(CRMDataError, match=r"'orders', column 'account_id' holds text ids but table 'activities'"):
        activity_based_profit(b.orders, acts, b.activity_rates)


def test_integer_ids_in_customers_are_refused_in_customer_features_not_ignored():
    from crmlab.segmentation import customer_features

    cust = _r().customers.assign(customer_id=_r().customers["customer_id"].str[1:].astype(int))
    with pytest.raises(CRMDataError, match=r"table 'customers', column 'customer_id' holds number ids"):
        customer_features(data().orders, cust, as_of=data().as_of)


def test_a_wallet_of_zero_with_spend_counts_as_over_wallet():
    from crmlab.acquisition import share_of_wallet

    b = _b()
    w = b.wallets.copy()
    base = share_of_wallet(b.orders, w).attrs["over_wallet"]
    row = w.index[0]
    w.loc[row, "category_spend"] = 0.0
    out = share_of_wallet(b.orders, w)
    key = (w.loc[row, "account_id"], int(w.loc[row, "year"]))
    assert out.loc[key, "spend"] > 0 and np.isnan(out.loc[key, "share_of_wallet"])
    assert out.attrs["over_wallet"] == base + 1


def test_a_nan_cost_to_serve_is_refused_not_flagged_profitable():
    from crmlab.rfm import rfm_with_cost

    cost = pd.Series(5.0, index=data().scores.index)
    cost.iloc[0] = np.nan
    with pytest.raises(CRMDataError, match=r"parameter 'cost_to_serve': 1 value\(s\) are NaN"):
        rfm_with_cost(data().scores, cost)


def test_csat_refuses_a_score_off_its_scale():
    from crmlab.satisfaction import csat

    s = _r().surveys.copy()
    s.loc[s.index[0], "overall_satisfaction"] = 99
    with pytest.raises(CRMDataError, match=r"column 'overall_satisfaction': 1 value\(s\) outside the 1-7 scale"):
        csat(s)


def test_gamma_gamma_on_absurd_amounts_does_not_report_convergence():
    from crmlab.btyd import fit_gamma_gamma

    s = data().summary
    with pytest.raises(CRMDataError, match="did not converge.*rescale the amounts"):
        fit_gamma_gamma(s.assign(monetary_value=s["monetary_value"] * 1e15))


@pytest.mark.parametrize("active", [[0, 0, 0], [1.0, 1.0, 1.0]])
def test_fit_sbg_refuses_a_cohort_without_information(active):
    from crmlab.loyalty import fit_sbg

    with pytest.raises(CRMDataError, match="parameter 'active'"):
        fit_sbg(active)


@pytest.mark.parametrize(
    "fn, kwargs, param",
    [
        ("markov_clv", {"horizon": 2.5}, "horizon"),
        ("simulate_cohort", {"periods": 2.5}, "periods"),
        ("sbg_derl", {"renewals": 2.5}, "renewals"),
        ("score", {"bins": 3.7}, "bins"),
    ],
)
def test_decimal_counts_are_refused_not_truncated(fn, kwargs, param):
    with pytest.raises(CRMDataError, match=f"parameter '{param}' = .* must be a whole number"):
        FUNCTIONS[fn](**{**calls()[fn], **kwargs})


@pytest.mark.parametrize("t", [-3, 2.5, float("nan")])
def test_sbg_survival_refuses_periods_that_are_not_whole_and_nonnegative(t):
    from crmlab.loyalty import sbg_survival

    with pytest.raises(CRMDataError, match="parameter 't' must be whole period numbers t >= 0"):
        sbg_survival(1.0, 1.0, t)


def test_sbg_survival_at_a_whole_period_is_the_published_closed_form():
    from crmlab.loyalty import sbg_survival

    # Fader & Hardie (2007), "How to project customer retention", eq. (5): with alpha = beta = 1
    # (theta uniform) S(t) = B(1, 1 + t) / B(1, 1) = 1 / (1 + t).
    assert np.allclose(sbg_survival(1.0, 1.0, [0, 1, 3]), [1.0, 0.5, 0.25])


@pytest.mark.parametrize(
    "call_, pattern",
    [
        (lambda: FUNCTIONS["fit_bgnbd"]([1, 2, 3]), r"table 'summary': expected a pandas DataFrame, got list"),
        (lambda: FUNCTIONS["stage_counts"](None), r"table 'stages': expected a pandas DataFrame, got NoneType"),
        (
            lambda: FUNCTIONS["probabilistic_clv"](
                None, data().gamma_gamma, data().summary, horizon=52, discount_rate=0.01, time_unit="W"
            ),
            r"needs a fitted BG/NBD model .* parameter 'bgnbd', got NoneType",
        ),
        (lambda: FUNCTIONS["fit_sbg"]({"a": 1}), r"parameter 'active' of fit_sbg\(\) must be a sequence"),
        (
            lambda: FUNCTIONS["perceived_value"]({"quality": "high"}, {"price": 3}),
            r"parameter 'benefits'.*'quality' must be a finite number, got 'high'",
        ),
        (lambda: FUNCTIONS["wallet_allocation_rule"](1, "two"), r"parameter 'n' .* got 'two'"),
        (lambda: FUNCTIONS["nps"](_r().surveys), r"nps\(ds.surveys\['recommend'\]\)"),
        (lambda: FUNCTIONS["kmeans_segments"](data().features, len(data().features)), r"parameter 'k' = \d+: only"),
        (lambda: FUNCTIONS["elbow"](data().features, ks=[0, 2]), r"parameter 'ks' = 0 is outside"),
        (
            lambda: FUNCTIONS["rfm_by_period"](data().orders, as_of=data().as_of, freq="fortnight"),
            r"parameter 'freq' = 'fortnight'.*not a pandas frequency",
        ),
    ],
)
def test_wrong_types_give_a_named_error_not_an_internal_one(call_, pattern):
    with pytest.raises(CRMDataError, match=pattern):
        call_()


def test_rfm_by_period_skips_and_counts_an_early_snapshot_with_too_few_customers():
    from crmlab.rfm import rfm_by_period

    o = data().orders
    early = o[o["order_date"] <= "2022-03-31"]
    two = early[early["customer_id"].isin(early["customer_id"].unique()[:2])]
    o2 = pd.concat([o[o["order_date"] > "2022-03-31"], two], ignore_index=True)
    t = rfm_by_period(o2, as_of=data().as_of, freq="QE", bins=5)
    assert t.attrs["skipped_period_ends"] == ["2022-03-31"]
    assert t.attrs["excluded"]["snapshots with fewer customers than bins"] == 1
    assert pd.Timestamp("2022-03-31") not in set(t["period_end"])
    with pytest.raises(CRMDataError, match=r"parameter 'bins' = 5: no snapshot"):
        rfm_by_period(two, as_of="2022-03-31", freq="QE", bins=5)


def test_clv_components_names_the_growth_ratio_when_it_diverges():
    from crmlab.clv import clv_components

    # r (1 + g) / (1 + d) = 0.9 x 1.2 / 1.05 = 1.0286 >= 1: the growth value has no finite sum
    with pytest.raises(CRMDataError, match=r"retention x \(1\+growth_rate\)/\(1\+discount\) = 1\.029"):
        clv_components(100, 0.9, 0.05, growth_rate=0.2)


def test_fit_bgnbd_after_a_merge_names_the_missing_time_unit_and_accepts_it():
    from crmlab.btyd import fit_bgnbd

    s = data().summary
    merged = s.merge(pd.DataFrame({"x": 1}, index=s.index), left_index=True, right_index=True)
    assert "time_unit" not in merged.attrs  # what a merge does to attrs
    with pytest.raises(CRMDataError, match="time_unit='W' or 'D'"):
        fit_bgnbd(merged)
    assert fit_bgnbd(merged, time_unit="W").params == fit_bgnbd(s).params


def test_stage_history_refuses_a_table_far_larger_than_its_input(monkeypatch):
    import crmlab._validate as validate
    from crmlab.lifecycle import stage_history

    with pytest.raises(CRMDataError, match="'as_of' = 2999-12-31"):
        stage_history(data().orders, as_of="2999-12-31")
    # the guard itself: ~35 million rows from 20,000 orders is refused with the size
    with pytest.raises(CRMDataError, match="would have 35,000,000 rows"):
        validate.check_size(35_000_000, what="the stage history", input_rows=20_000)
    # and stage_history goes through it: with a limit of 100 rows, 150 customers x 36 months is refused
    monkeypatch.setattr(validate, "MAX_ROWS", 100)
    with pytest.raises(CRMDataError, match=r"activity grid .* would have [\d,]+ rows .* the limit is 100"):
        stage_history(data().orders, as_of=data().as_of)


def _id_mismatch_cases():
    """Functions taking two or more tables joined on one id column: number ids in the second table."""
    for name, fn in sorted(FUNCTIONS.items()):
        decl = declaration(fn)
        tables = [
            (p, k)
            for p, k in decl.items()
            if isinstance(k, Table) and any(c == "id" and not key.startswith("=") for key, c in k.columns.items())
        ]
        keys: dict[str, list[str]] = {}
        for p, k in tables:
            for key, c in k.columns.items():
                if c == "id":
                    keys.setdefault(key, []).append(p)
        for key, params in keys.items():
            if len(params) >= 2:
                yield name, key, params[1]


@pytest.mark.parametrize("name, key, param", list(_id_mismatch_cases()))
def test_number_ids_against_text_ids_are_refused_never_joined(name, key, param):
    fn = FUNCTIONS[name]
    kwargs = calls()[name]
    table = kwargs.get(param)
    assert isinstance(table, pd.DataFrame), f"the valid call of {name} must pass {param}"
    col = _column_name(fn, kwargs, key)
    numbers = table.assign(**{col: pd.factorize(table[col])[0]})
    with pytest.raises(CRMDataError, match=f"holds text ids but table '[a-z_]+', column '{col}' holds number ids"):
        call(name, {**kwargs, param: numbers})


def test_a_history_that_lost_its_attrs_is_read_by_its_customer_column_not_by_position():
    from crmlab.lifecycle import classify_patterns, classify_stages

    h = data().history
    moved = h[list(h.columns[1:]) + [h.columns[0]]].copy()  # customer column last, as after some joins
    moved.attrs = {}
    for fn in (classify_stages, classify_patterns):
        expected = fn(data().orders, as_of=data().as_of, history=h)
        got = fn(data().orders, as_of=data().as_of, history=moved)
        pd.testing.assert_frame_equal(got[expected.columns], expected, check_like=True)
    nameless = moved.rename(columns={"customer_id": "who"})
    with pytest.raises(CRMDataError, match=r"table 'history' does not say which column holds the customer"):
        classify_stages(data().orders, as_of=data().as_of, history=nameless)
    with pytest.raises(CRMDataError, match=r"table 'history': missing column\(s\) 'stage'"):
        classify_patterns(data().orders, as_of=data().as_of, history=h.drop(columns="stage"))


@pytest.mark.parametrize(
    "fn, col",
    [
        ("disconfirmation", "expectation"),
        ("disconfirmation", "perception"),
        ("servqual_gaps", "perception"),
        ("importance_performance", "importance"),
    ],
)
@pytest.mark.parametrize(
    "value, message",
    [(9, "outside the 1-7 scale"), (0, "outside the 1-7 scale"), (5.5, "not whole points of the 1-7 scale")],
)
def test_survey_items_off_their_scale_are_refused(fn, col, value, message):
    items = _r().survey_items.copy()
    items[col] = items[col].astype(float)
    items.loc[items.index[3], col] = value
    with pytest.raises(CRMDataError, match=f"table 'survey_items', column '{col}': 1 value\\(s\\) (are )?{message}"):
        FUNCTIONS[fn](items)
