"""The two case studies run end to end through the batch runner, with several parameter sets.

Each batch runs once per module (papermill costs seconds per run); the tests read
the recorded figures and recompute them from the same data with crmlab calls.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from crmlab import dashboard, datasets, diagnosis, loyalty, satisfaction, segmentation
from crmlab.casestudy import load_param_file, read_figures, run_batch
from crmlab.currency import UNITS_PER_EUR, scale_money
from crmlab.firm_profiles import ARCHETYPES
from crmlab.recommendations import rule_tags

ROOT = Path(__file__).resolve().parent.parent
RETAIL = ROOT / "notebooks" / "case_retailer.ipynb"
B2B = ROOT / "notebooks" / "case_b2b_distributor.ipynb"
BAD_DISCOUNT = "parameter 'discount_rate' = 1.5 is outside [0, 1): use a yearly rate such as 0.1"

RETAIL_SETS = [
    {"name": "default"},
    {"name": "small", "n_customers": 200, "seed": 5, "currency": "CNY"},
    {"name": "student", "student_id": "s042", "company": "Class 3A"},
    {"name": "bad-discount", "discount_rate": 1.5},
]
B2B_SETS = [
    {"name": "default"},
    {"name": "seed7", "seed": 7},
    {"name": "midyear", "analysis_date": "2024-06-30", "currency": "KRW"},
    {"name": "bad-student", "student_id": "s042", "seed": 3},
]


@pytest.fixture(scope="module")
def retail(tmp_path_factory):
    out = tmp_path_factory.mktemp("retail")
    summary = run_batch(RETAIL, RETAIL_SETS, out, jobs=2, progress=False).set_index("run")
    return summary, out


@pytest.fixture(scope="module")
def b2b(tmp_path_factory):
    out = tmp_path_factory.mktemp("b2b")
    summary = run_batch(B2B, B2B_SETS, out, jobs=2, progress=False).set_index("run")
    return summary, out


def _summary_text(path: Path) -> str:
    """The executive summary (the Markdown the last code cell displays)."""
    nb = nbformat.read(path, as_version=4)
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    return "".join(o.get("data", {}).get("text/markdown", "") for o in last.outputs)


def _in(currency: str, name: str, ds):
    """The dataset in a report currency: every money column times that currency's units per euro."""
    tables = scale_money(name, dict(ds.items()), UNITS_PER_EUR[currency])
    return datasets.Dataset(ds.name, tables, ds.as_of, ds.student_id, ds.seed, ds.source)


def _rules(recommendations: list[str]) -> list[str]:
    """The area and rule tag of each recommendation, e.g. 'Retention [churn >= 35%]'."""
    return sorted(r.split("]:")[0] + "]" for r in recommendations)


def _year(table: pd.DataFrame, as_of: pd.Timestamp, date: str = "order_date") -> pd.DataFrame:
    """The twelve months up to as_of (the analysis year of the case, the KPI year of the dashboard)."""
    when = table[date]
    return table.loc[(when > as_of - pd.DateOffset(years=1)) & (when <= as_of)]


def _kept_year(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    year = _year(orders, as_of)
    return year.loc[~year["returned"]]


# ---------------------------------------------------------------- retail


def test_retail_batch_runs_good_sets_and_reports_the_bad_one(retail):
    summary, _ = retail
    assert summary.loc[["default", "small", "student"], "status"].eq("ok").all(), summary["error"].to_dict()
    assert summary.loc["bad-discount", "status"] == "failed"
    assert summary.loc["bad-discount", "error"] == f"CaseStudyParameterError: {BAD_DISCOUNT}"


@pytest.mark.parametrize(
    "run,data",
    [
        ("default", lambda: datasets.load("retail")),
        ("small", lambda: _in("CNY", "retail", datasets.generate("retail", n_customers=200, seed=5))),
        ("student", lambda: datasets.load("retail", student_id="s042")),
    ],
)
def test_retail_figures_match_a_recomputation(retail, run, data):
    _, out = retail
    fig = read_figures(out / f"{run}.ipynb")
    assert set(fig) == set(diagnosis.RETAIL_FIGURES)
    ds = data()
    year = _kept_year(ds.orders, ds.as_of)
    per_customer = year.groupby("customer_id")["amount"].sum()
    assert fig["customers"] == len(ds.customers)
    # active = at least one order in the year, a returned one included (chapter 09's definition)
    active = _year(ds.orders, ds.as_of)["customer_id"].nunique()
    assert fig["active_customers"] == active >= per_customer.size
    assert fig["revenue"] == pytest.approx(per_customer.sum())
    assert fig["revenue_per_active"] == pytest.approx(per_customer.sum() / active)
    # top 20%: the largest 20% of customers' revenue over the total (interpolated at 0.2 n)
    assert fig["top20_share"] == pytest.approx(segmentation.top_share(per_customer, 0.2))
    ranked = np.sort(per_customer.to_numpy())[::-1]
    assert ranked[: int(0.2 * ranked.size)].sum() / ranked.sum() <= fig["top20_share"] + 1e-9
    # churn: customers active in 2023 who did not buy in 2024, textbook rate (reactivated count as kept)
    when, who = ds.orders["order_date"], ds.orders["customer_id"]
    end = set(who[when > ds.as_of - pd.DateOffset(years=1)])
    start = set(who[(when > ds.as_of - pd.DateOffset(years=2)) & (when <= ds.as_of - pd.DateOffset(years=1))])
    new = end - set(who[when <= ds.as_of - pd.DateOffset(years=1)])
    assert fig["churn_rate"] == pytest.approx(1 - (len(end) - len(new)) / len(start))
    # NPS of the answers of the analysis year only: % promoters (9-10) - % detractors (0-6)
    answers = _year(ds.surveys, ds.as_of, "survey_date")["recommend"]
    assert 0 < len(answers) < len(ds.surveys)
    assert fig["nps"] == pytest.approx(100 * ((answers >= 9).mean() - (answers <= 6).mean()), abs=1e-6)
    # retention model m r / (1 + d - r), m = margin rate x revenue per active customer, d = 0.1
    r = 1 - fig["churn_rate"]
    assert fig["retention_model_clv"] == pytest.approx(fig["margin_rate"] * per_customer.sum() / active * r / (1.1 - r))
    risk = loyalty.at_risk(ds.orders, loyalty.churn_warning_points(ds.orders), as_of=ds.as_of)
    assert fig["at_risk_count"] == int((risk["ratio"] <= 2).sum())
    assert fig["lapsed_count"] == int((risk["ratio"] > 2).sum())
    assert fig["value_at_risk"] >= 0 and fig["mean_clv"] > 0
    complaints = ds.interactions.loc[
        (ds.interactions["kind"] == "complaint") & (ds.interactions["date"] > ds.as_of - pd.DateOffset(years=1))
    ]
    assert fig["complaint_rate"] == pytest.approx(
        len(complaints) / diagnosis.analysis_year(ds.orders, ds.as_of)["customer_id"].nunique()
    )
    channels = ds.customers["acquisition_channel"].astype(str).unique()
    assert fig["best_channel"] in channels and fig["worst_channel"] in channels
    assert fig["best_channel_equity"] >= fig["worst_channel_equity"]


def test_retail_case_and_dashboard_report_the_same_kpis(retail):
    # same data, same date (the end of the data), same discount rate 0.1, margin rate from the data
    _, out = retail
    fig = read_figures(out / "default.ipynb")
    kpi = dashboard.kpi_dashboard(datasets.load("retail"))["value"]
    for case, board in [
        ("active_customers", "active_customers"),
        ("revenue", "revenue"),
        ("revenue_per_active", "revenue_per_active"),
        ("top20_share", "top20_share"),
        ("churn_rate", "churn_rate"),
        ("nps", "nps"),
        ("retention_model_clv", "mean_clv"),
    ]:
        assert fig[case] == pytest.approx(kpi[board]), case


def test_retail_summary_speaks_about_its_own_run(retail):
    summary, out = retail
    for run in ("default", "small", "student"):
        fig = read_figures(out / f"{run}.ipynb")
        text = _summary_text(out / f"{run}.ipynb")
        currency = "CNY" if run == "small" else "EUR"
        assert text.startswith(("### Class 3A: " if run == "student" else "### Harbour Street Stores: "))
        assert f"{fig['active_customers']:,} of {fig['customers']:,} customers" in text
        assert f"{fig['revenue']:,.0f} {currency}" in text
        for rule in _rules(diagnosis.retail_recommendations(fig, currency=currency)):
            assert rule.split(" [")[0] in text


def test_retail_recommendations_change_with_the_data(retail):
    _, out = retail
    default, small = (read_figures(out / f"{r}.ipynb") for r in ("default", "small"))
    a, b = (_rules(diagnosis.retail_recommendations(f)) for f in (default, small))
    assert a != b  # other rules fire, not just other numbers
    assert ("Satisfaction [NPS < 0]" in b) == (small["nps"] < 0)


# ---------------------------------------------------------------- b2b


def test_b2b_batch_runs_good_sets_and_reports_the_bad_one(b2b):
    summary, _ = b2b
    assert summary.loc[["default", "seed7", "midyear"], "status"].eq("ok").all(), summary["error"].to_dict()
    assert summary.loc["bad-student", "status"] == "failed"
    error = summary.loc["bad-student", "error"]
    assert error.startswith("CaseStudyParameterError: parameter 'student_id' = 's042'")
    assert "leave n_customers = 400 and seed = 2025" in error


@pytest.mark.parametrize(
    "run,data",
    [
        ("default", lambda: datasets.load("b2b")),
        ("seed7", lambda: datasets.generate("b2b", seed=7)),
    ],
)
def test_b2b_figures_match_a_recomputation(b2b, run, data):
    _, out = b2b
    fig = read_figures(out / f"{run}.ipynb")
    assert set(fig) == set(diagnosis.B2B_FIGURES)
    ds = data()
    year = _kept_year(ds.orders, ds.as_of)
    assert fig["accounts"] == len(ds.accounts)
    active = _year(ds.orders, ds.as_of)["account_id"].unique()  # a returned order counts as a visit
    assert fig["active_accounts"] == len(active) == dashboard.kpi_dashboard(ds).loc["active_customers", "value"]
    assert fig["revenue"] == pytest.approx(year["amount"].sum())
    assert fig["gross_margin"] == pytest.approx(year["gross_margin"].sum())
    # time-driven ABC over 2024: driver rate = department cost per minute x unit minutes
    acts = ds.activities.loc[ds.activities["date"].dt.year == ds.as_of.year]
    rates = ds.activity_rates.merge(ds.capacity, on="department")
    rates["cost_per_minute"] = rates["annual_cost"] / rates["practical_minutes"]
    done = acts.merge(rates, on="activity")
    done["cost"] = done["quantity"] * done["unit_minutes"] * done["cost_per_minute"]
    cost = done.groupby("account_id")["cost"].sum()
    margin = year.groupby("account_id")["gross_margin"].sum()
    accounts = margin.index.union(cost.index)
    profit = margin.reindex(accounts, fill_value=0.0) - cost.reindex(accounts, fill_value=0.0)
    assert fig["cost_to_serve"] == pytest.approx(cost.sum())
    assert fig["profit"] == pytest.approx(profit.sum())
    assert fig["unprofitable_share"] == pytest.approx((profit < 0).mean())
    assert fig["profit_destroyed"] == pytest.approx(-profit[profit < 0].sum())
    assert fig["whale_peak"] == pytest.approx(profit.sort_values(ascending=False).cumsum().max() / profit.sum())
    capacity = ds.capacity.set_index("department")
    used = (done["quantity"] * done["unit_minutes"]).groupby(done["department"]).sum()
    idle = (capacity["practical_minutes"] - used) * capacity["annual_cost"] / capacity["practical_minutes"]
    assert fig["unused_capacity_cost"] == pytest.approx(idle.clip(lower=0).sum())
    sow = ds.wallets.loc[ds.wallets["year"] == 2024].set_index("account_id")["category_spend"]
    # over all active accounts: one whose orders were all returned spent 0 with us
    spend = year.groupby("account_id")["amount"].sum().reindex(active, fill_value=0.0)
    assert fig["mean_share_of_wallet"] == pytest.approx((spend / sow.reindex(active)).mean())
    assert fig["key_accounts"] <= math.ceil(0.2 * fig["active_accounts"])
    handling = satisfaction.complaint_summary(ds.interactions, orders=ds.orders, customer="account_id")
    assert 0 <= fig["complaint_recovery"] <= 1 and handling.loc["all", "complaints"] > 0


def test_b2b_midyear_run_uses_only_data_known_then(b2b):
    _, out = b2b
    fig = read_figures(out / "midyear.ipynb")
    ds = datasets.load("b2b")
    as_of = pd.Timestamp("2024-06-30")
    year = _kept_year(ds.orders, as_of)
    assert fig["accounts"] == int((ds.accounts["signup_date"] <= as_of).sum())
    # the report speaks in won, in the won's own magnitude: 1,480 KRW per euro of the generated data
    assert fig["revenue"] == pytest.approx(year["amount"].sum() * UNITS_PER_EUR["KRW"])
    assert f"{fig['revenue']:,.0f} KRW" in _summary_text(out / "midyear.ipynb")


def test_b2b_recommendations_change_with_the_data(b2b):
    _, out = b2b
    figures = {r: read_figures(out / f"{r}.ipynb") for r in ("default", "seed7", "midyear")}
    rules = {r: _rules(diagnosis.b2b_recommendations(f)) for r, f in figures.items()}
    assert rules["default"] != rules["midyear"]
    assert figures["default"]["self_service_accounts"] != figures["seed7"]["self_service_accounts"]
    assert figures["default"]["profit"] != pytest.approx(figures["seed7"]["profit"], rel=0.01)
    for run, fig in figures.items():
        text = _summary_text(out / f"{run}.ipynb")
        assert f"{fig['active_accounts']:,} of {fig['accounts']:,} accounts" in text
        assert re.search(r"^1\. \*\*\w", text, re.MULTILINE)  # a numbered list, area in bold


def test_example_scenario_file_fits_both_case_studies():
    sets = load_param_file(ROOT / "notebooks" / "case_params_example.yaml")
    assert 3 <= len(sets) <= 4
    from crmlab.casestudy import _declared_parameters  # the runner's own check of the names

    for notebook in (RETAIL, B2B):
        declared = set(_declared_parameters(notebook))
        assert all(set(s) - {"name"} <= declared for s in sets), notebook.name


# ---------------------------------------------------------------- archetypes: other firms, other advice


def _archetype_batch(notebook: Path, params: Path, out: Path, n_customers: int) -> dict[str, list[str]]:
    """Run the archetypes' scenario file through the real case study (smaller firms); the fired rules by run."""
    sets = [{**s, "n_customers": n_customers} for s in load_param_file(params)]  # the shipped firm too: smaller
    summary = run_batch(notebook, sets, out, jobs=2, progress=False).set_index("run")
    assert summary["status"].eq("ok").all(), summary["error"].to_dict()
    fired = {}
    for run in summary.index:
        text = _summary_text(out / f"{run}.ipynb")
        fired[run] = sorted(re.findall(r"^\d+\. \*\*(.+?\\\]):\*\*", text, re.MULTILINE))
        fired[run] = [f.replace("\\", "") for f in fired[run]]
    return fired


# retail archetypes at 800 customers to keep the test short (the scenario file has 3,000: same rules fire);
# b2b at the scenario file's 250 accounts
@pytest.mark.parametrize("case,notebook,n_customers", [("retail", RETAIL, 800), ("b2b", B2B, 250)])
def test_archetypes_fire_every_rule_and_no_two_give_the_same_advice(tmp_path, case, notebook, n_customers):
    params = ROOT / "notebooks" / f"case_archetypes_{case}.yaml"
    sets = load_param_file(params)
    assert {s.get("archetype") for s in sets} - {None} == set(ARCHETYPES[case])  # every archetype, once
    fired = _archetype_batch(notebook, params, tmp_path, n_customers)
    every = set(rule_tags(case))
    for run, rules in fired.items():
        assert len(rules) == 5 and set(rules) <= every, (run, rules)  # one rule per area, all documented
    assert every == set().union(*fired.values()), every - set().union(*fired.values())
    archetypes = {run: tuple(rules) for run, rules in fired.items() if run != "shipped"}
    assert len(set(archetypes.values())) == len(archetypes), archetypes
