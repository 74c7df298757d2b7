"""Case-study runner: parameter checks, recorded figures, batches, resume and --force.

Executing a notebook costs a kernel start (1-3 s), so the executions are few and
shared through module-scoped fixtures that build on each other:
``batch`` (3 runs, one bad, --jobs 2, HTML) -> ``resumed`` (rerun, no force)
-> ``forced`` (one run replaced with force). Each stage keeps a snapshot of
what its tests look at.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmlab import cli
from crmlab.casestudy import (
    FIGURE_MIMETYPE,
    CaseStudyParameterError,
    Param,
    ParamFileError,
    _derived_name,
    _plan,
    _scalar,
    load_param_file,
    read_figures,
    record,
    run_batch,
    validate_params,
)

FIXTURES = Path(__file__).parent / "fixtures"
NOTEBOOK = FIXTURES / "casestudy_demo.ipynb"
PARAMS_YAML = FIXTURES / "casestudy_params.yaml"
BAD_DISCOUNT = (
    "CaseStudyParameterError: parameter 'discount_rate' = 1.5 is outside [0, 1): use a yearly rate such as 0.1"
)


# ---------------------------------------------------------------- helpers


def fixture_defaults() -> dict:
    """The defaults of the fixture's parameters cell, as the notebook sees them."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    scope: dict = {}
    exec(cell.source, scope)
    return {k: v for k, v in scope.items() if not k.startswith("__")}


def fixture_orders(**params) -> pd.DataFrame:
    """The orders table the fixture generates for these parameters (its data cell, run here)."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    source = next(c.source for c in nb.cells if c.cell_type == "code" and "orders = pd.DataFrame" in c.source)
    P = {**fixture_defaults(), **params}
    P["analysis_date"] = pd.Timestamp(P["analysis_date"])
    scope = {"P": P}
    exec(source, scope)
    return scope["orders"]


def expected_figures(orders: pd.DataFrame, *, as_of: str, threshold: int, margin: float, discount: float) -> dict:
    """The figures by their stated definitions, computed independently of the notebook code."""
    revenue_by = {}
    last_by = {}
    for cid, day, amount in orders[["customer_id", "order_date", "amount"]].itertuples(index=False):
        revenue_by[cid] = revenue_by.get(cid, 0.0) + amount
        last_by[cid] = max(last_by.get(cid, day), day)
    n = len(revenue_by)
    total = sum(revenue_by.values())
    best = sorted(revenue_by.values(), reverse=True)[: math.ceil(n / 5)]
    at_risk = sum((pd.Timestamp(as_of) - d).days > threshold for d in last_by.values())
    r = 1 - at_risk / n
    # Gupta & Lehmann (2003): CLV = m * r / (1 + i - r), m = yearly margin per customer
    clv = margin * total / n * r / (1 + discount - r)
    return {
        "customers": n,
        "revenue": total,
        "top20_share": sum(best) / total,
        "at_risk": at_risk,
        "churn_rate": at_risk / n,
        "mean_clv": clv,
    }


def assert_figures_match(recorded: dict, expected: dict) -> None:
    assert set(recorded) == set(expected)
    for name, value in expected.items():
        assert recorded[name] == pytest.approx(value, rel=1e-9), name


# ---------------------------------------------------------------- validate_params (no kernel)

SPEC = {
    "scenario": Param(str, choices=["retail", "b2b"]),
    "n_customers": Param(int, lo=50, hi=20000, hint="use a number of customers between 50 and 20000"),
    "discount_rate": Param(float, lo=0, hi=1, hi_open=True, hint="use a yearly rate such as 0.1"),
    "analysis_date": Param("date"),
    "export": Param(bool),
    "student_id": Param(str, optional=True),
}
GOOD = {
    "scenario": "b2b",
    "n_customers": 500,
    "discount_rate": 0.1,
    "analysis_date": "2024-12-31",
    "export": False,
    "student_id": None,
}


def test_validate_params_converts_and_keeps_spec_order():
    got = validate_params({**GOOD, "n_customers": "800", "export": "yes", "unrelated": object()}, SPEC)
    assert list(got) == list(SPEC)
    assert got["n_customers"] == 800 and isinstance(got["n_customers"], int)
    assert got["export"] is True
    assert got["analysis_date"] == pd.Timestamp(2024, 12, 31)
    assert got["student_id"] is None


@pytest.mark.parametrize(
    "change, message",
    [
        ({"discount_rate": 1.5}, "parameter 'discount_rate' = 1.5 is outside [0, 1): use a yearly rate such as 0.1"),
        (
            {"discount_rate": 1},  # the upper end is open
            "parameter 'discount_rate' = 1 is outside [0, 1): use a yearly rate such as 0.1",
        ),
        (
            {"n_customers": 10},
            "parameter 'n_customers' = 10 is outside [50, 20000]: use a number of customers between 50 and 20000",
        ),
        (
            {"n_customers": 120.5},
            "parameter 'n_customers' = 120.5 must be a whole number: use a number of customers between 50 and 20000",
        ),
        (
            {"n_customers": True},
            "parameter 'n_customers' = True must be a number, not True/False: "
            "use a number of customers between 50 and 20000",
        ),
        ({"scenario": "shop"}, "parameter 'scenario' = 'shop' is not one of: 'retail', 'b2b'."),
        (
            {"analysis_date": "2024-13-45"},
            "parameter 'analysis_date' = '2024-13-45' is not a date (use the ISO form, e.g. '2024-12-31').",
        ),
        ({"export": "maybe"}, "parameter 'export' = 'maybe' is not True/False."),
        ({"scenario": None}, "parameter 'scenario' is None (give it a value)."),
    ],
)
def test_validate_params_messages_name_parameter_value_and_fix(change, message):
    with pytest.raises(CaseStudyParameterError) as err:
        validate_params({**GOOD, **change}, SPEC)
    assert str(err.value) == message


def test_validate_params_reports_every_problem_and_missing_ones():
    params = {k: v for k, v in GOOD.items() if k != "export"}
    with pytest.raises(CaseStudyParameterError) as err:
        validate_params({**params, "scenario": "shop", "discount_rate": -0.1}, SPEC)
    text = str(err.value)
    assert text.startswith("3 parameters cannot be used: ")
    assert "'scenario' = 'shop'" in text and "'discount_rate' = -0.1 is outside [0, 1)" in text
    assert "parameter 'export' is missing: define it in the cell tagged 'parameters'." in text


def test_validate_params_rejects_a_spec_that_is_not_param():
    with pytest.raises(TypeError, match="spec\\['x'\\] must be a Param"):
        validate_params({"x": 1}, {"x": int})


# ---------------------------------------------------------------- record / read_figures (no kernel)


def test_record_outside_jupyter_prints_one_readable_line(capsys):
    record("revenue", np.float64(12345.678), unit="EUR", label="Revenue in the year")
    record("churn_rate", float("nan"), unit="share")
    assert capsys.readouterr().out.splitlines() == [
        "Revenue in the year: 12,346 EUR  [revenue]",
        "churn_rate: n/a share  [churn_rate]",
    ]


@pytest.mark.parametrize("name", ["", "top 20%", "2nd", None])
def test_record_refuses_names_unusable_as_columns(name):
    with pytest.raises(CaseStudyParameterError, match="figure name"):
        record(name, 1)


def test_read_figures_details_and_last_value_wins():
    def out(name, value, unit=""):
        return nbformat.v4.new_output(
            "display_data",
            data={FIGURE_MIMETYPE: {"name": name, "value": value, "unit": unit, "label": ""}, "text/plain": "x"},
        )

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("", outputs=[out("customers", 10, "customers"), out("nps", 12.5)]),
            nbformat.v4.new_markdown_cell("not code"),
            nbformat.v4.new_code_cell(
                "", outputs=[out("customers", 11, "customers"), nbformat.v4.new_output("stream", text="noise")]
            ),
        ]
    )
    assert read_figures(nb) == {"nps": 12.5, "customers": 11}
    assert read_figures(nb, details=True)["customers"] == {"value": 11, "unit": "customers", "label": ""}


# ---------------------------------------------------------------- parameter files (no kernel)


def test_load_yaml_list_and_runs_with_defaults(tmp_path):
    listed = tmp_path / "a.yml"
    listed.write_text("- {name: x, seed: 1}\n- scenario: b2b\n")
    assert load_param_file(listed) == [{"name": "x", "seed": 1}, {"scenario": "b2b"}]
    # the fixture: defaults merged into every run, the YAML date as an ISO string
    runs = load_param_file(PARAMS_YAML)
    assert [r["name"] for r in runs] == ["demo-retail", "acme-b2b", "bad-discount"]
    assert runs[1] == {
        "n_customers": 300,
        "analysis_date": "2024-12-31",
        "name": "acme-b2b",
        "scenario": "b2b",
        "company": "ACME Distribution",
        "seed": 7,
        "churn_threshold_days": 120,
    }


def test_load_csv_converts_values_that_look_like_numbers_or_bools(tmp_path):
    p = tmp_path / "runs.csv"
    p.write_text(
        "name,n_customers,discount_rate,export,company,seed\n"
        'a,500,0.1,TRUE,"Lee, Kim & Co",\n'
        "b,-3,1e-2,false,007 Ltd,12\n"
    )
    assert load_param_file(p) == [
        {"name": "a", "n_customers": 500, "discount_rate": 0.1, "export": True, "company": "Lee, Kim & Co"},
        {"name": "b", "n_customers": -3, "discount_rate": 0.01, "export": False, "company": "007 Ltd", "seed": 12},
    ]


@pytest.mark.parametrize(
    "filename, text, fragment",
    [
        ("p.yaml", "- seed: 1\n- just text\n", "entry 2 (line 2): expected a mapping of parameter: value, found str"),
        ("p.yaml", "seed: 1\n", "a mapping at the top must have the key 'runs'"),
        ("p.yaml", "- seed: [1\n", "not valid YAML"),
        ("p.yaml", "[]\n", "no parameter sets found"),
        ("p.csv", "seed,scenario\n1,retail,extra\n", "row 1: 3 values for 2 columns; quote values that contain commas"),
        ("p.csv", "seed,seed\n1,2\n", "repeated column(s) seed"),
        ("p.json", "[]", "unknown file type '.json'; use .yaml, .yml or .csv"),
    ],
)
def test_bad_param_files_name_file_place_and_problem(tmp_path, filename, text, fragment):
    p = tmp_path / filename
    p.write_text(text)
    with pytest.raises(ParamFileError) as err:
        load_param_file(p)
    assert str(err.value).startswith(f"params file '{p}'")
    assert fragment in str(err.value)


def test_runs_are_named_safely_and_uniquely():
    declared = ["company", "seed"]
    runs = _plan(
        [{"company": "A/B Co", "seed": 1}, {"company": "A/B Co", "seed": 1}, {"name": "Acme #1"}, {}],
        declared,
        NOTEBOOK,
        ["e1", "e2", "e3", "e4"],
    )
    assert [n for n, _ in runs] == ["company-A_B_Co_seed-1", "company-A_B_Co_seed-1-2", "Acme_1", "defaults"]
    assert runs[2][1] == {}  # the name is not passed to the notebook
    with pytest.raises(ParamFileError, match="e2: run name 'acme' is used twice \\(also e1\\)"):
        _plan([{"name": "Acme"}, {"name": "acme"}], declared, NOTEBOOK, ["e1", "e2"])
    with pytest.raises(ParamFileError, match="e1: unknown parameter 'sed' \\(did you mean 'seed'\\?\\)"):
        _plan([{"sed": 3}], declared, NOTEBOOK, ["e1"])


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=12),
        st.one_of(st.text(max_size=30), st.integers(), st.floats(allow_nan=False)),
        max_size=6,
    )
)
def test_derived_names_are_filesystem_safe(params):
    name = _derived_name(params)
    assert 0 < len(name) <= 60
    assert all(ch.isalnum() or ch in "._-" for ch in name)
    assert name not in (".", "..")


@given(st.integers(-(10**12), 10**12), st.floats(allow_nan=False, allow_infinity=False))
def test_csv_values_round_trip(i, f):
    assert _scalar(str(i)) == i and type(_scalar(str(i))) is int
    assert _scalar(repr(f)) == f


# ---------------------------------------------------------------- one run with papermill -p


@pytest.fixture(scope="module")
def single_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("single") / "acme.ipynb"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            str(NOTEBOOK),
            str(out),
            "--no-progress-bar",
            "-p",
            "scenario",
            "b2b",
            "-p",
            "seed",
            "7",
            "-p",
            "n_customers",
            "250",
            "-p",
            "margin",
            "0.25",
            "-k",
            "python3",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


def test_papermill_run_with_p_records_the_figures(single_run):
    orders = fixture_orders(scenario="b2b", seed=7, n_customers=250, margin=0.25)
    expected = expected_figures(orders, as_of="2024-12-31", threshold=90, margin=0.25, discount=0.1)
    assert expected["customers"] == 250  # every generated customer orders at least once
    assert_figures_match(read_figures(single_run), expected)
    units = {k: v["unit"] for k, v in read_figures(single_run, details=True).items()}
    assert units == {
        "customers": "customers",
        "revenue": "EUR",
        "top20_share": "share",
        "at_risk": "customers",
        "churn_rate": "share per year",
        "mean_clv": "EUR",
    }


def test_recorded_figure_is_a_json_and_text_bundle_in_the_notebook(single_run):
    nb = nbformat.read(single_run, as_version=4)
    bundles = [
        o["data"] for c in nb.cells if c.cell_type == "code" for o in c.outputs if FIGURE_MIMETYPE in o.get("data", {})
    ]
    assert len(bundles) == 6
    first = bundles[0]
    assert first[FIGURE_MIMETYPE] == {
        "name": "customers",
        "value": 250,
        "unit": "customers",
        "label": "Customers who ordered",
    }
    assert first["text/plain"] == "Customers who ordered: 250 customers  [customers]"
    summary = nb.cells[-1].outputs[0]["data"]["text/markdown"]
    assert summary.startswith("**Demo Shop** (b2b), year to 2024-12-31: 250 customers")


# ---------------------------------------------------------------- a batch, resumed, forced


def mtimes(folder: Path) -> dict:
    return {p.name: p.stat().st_mtime_ns for p in folder.glob("*.ipynb")}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("batch")
    summary = run_batch(NOTEBOOK, load_param_file(PARAMS_YAML), out, jobs=2, html=True, progress=False)
    return {
        "out": out,
        "summary": summary,
        "csv": pd.read_csv(out / "summary.csv"),
        "json": json.loads((out / "summary.json").read_text()),
        "mtimes": mtimes(out),
        "html": {p.stem: p.read_text() for p in out.glob("*.html")},
    }


def test_batch_marks_the_bad_set_failed_and_runs_the_others(batch):
    s = batch["summary"].set_index("run")
    assert s["status"].to_dict() == {"demo-retail": "ok", "acme-b2b": "ok", "bad-discount": "failed"}
    assert s.loc["bad-discount", "error"] == BAD_DISCOUNT
    assert s.loc["demo-retail", "error"] == ""
    assert (s["duration_s"] > 0).all()
    assert pd.isna(s.loc["bad-discount", "customers"])


def test_batch_summary_holds_parameters_and_figures(batch):
    csv = batch["csv"].set_index("run")
    assert list(batch["csv"].columns[:6]) == ["run", "status", "error", "duration_s", "notebook", "html"]
    assert csv.loc["acme-b2b", "param_seed"] == 7
    assert csv.loc["acme-b2b", "param_company"] == "ACME Distribution"
    assert csv.loc["bad-discount", "param_discount_rate"] == 1.5
    assert csv.loc["demo-retail", "notebook"] == "demo-retail.ipynb"
    for run, params in [
        ("demo-retail", {"scenario": "retail", "n_customers": 300}),
        ("acme-b2b", {"scenario": "b2b", "n_customers": 300, "seed": 7}),
    ]:
        threshold = 120 if run == "acme-b2b" else 90
        expected = expected_figures(
            fixture_orders(**params), as_of="2024-12-31", threshold=threshold, margin=0.3, discount=0.1
        )
        assert_figures_match(csv.loc[run, list(expected)].to_dict(), expected)
    # the scenario changes the data, not just a label: b2b customers spend far more
    assert csv.loc["acme-b2b", "revenue"] > 10 * csv.loc["demo-retail", "revenue"]
    assert batch["json"]["columns_units"]["revenue"] == "EUR"
    assert [r["status"] for r in batch["json"]["runs"]] == ["ok", "ok", "failed"]


def test_batch_outputs_are_readable_by_all_like_the_notebooks(batch):
    import stat

    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in batch["out"].iterdir() if p.is_file()}
    notebook_mode = modes["acme-b2b.ipynb"]
    assert notebook_mode & 0o044 == 0o044  # what papermill writes under this umask
    for name in ("acme-b2b.html", "summary.csv", "summary.json"):
        assert modes[name] == notebook_mode, name


def test_batch_summary_fills_defaults_in_the_notebooks_order(batch):
    csv = batch["csv"].set_index("run")
    defaults = fixture_defaults()
    assert [c for c in batch["csv"].columns if c.startswith("param_")] == [f"param_{k}" for k in defaults]
    assert csv.loc["demo-retail", "param_seed"] == defaults["seed"]  # not set by the run: the default
    assert csv.loc["demo-retail", "param_currency"] == defaults["currency"]
    assert batch["json"]["defaults"] == defaults | {"analysis_date": "2024-12-31"}


def test_batch_html_reports_hide_the_code_but_show_results(batch):
    html = batch["html"]
    assert set(html) == {"demo-retail", "acme-b2b", "bad-discount"}
    assert "Revenue share of the top 20% of customers" in html["acme-b2b"]
    assert "ACME Distribution" in html["acme-b2b"]
    assert "default_rng" not in html["acme-b2b"]  # input cells left out
    assert "is outside [0, 1)" in html["bad-discount"]


@pytest.fixture(scope="module")
def resumed(batch):
    out = batch["out"]
    summary = run_batch(NOTEBOOK, load_param_file(PARAMS_YAML), out, jobs=1, progress=False)
    return {"summary": summary, "mtimes": mtimes(out), "csv": pd.read_csv(out / "summary.csv")}


def test_resume_skips_ok_runs_and_reruns_the_failed_one(batch, resumed):
    s = resumed["summary"].set_index("run")
    assert s["status"].to_dict() == {
        "demo-retail": "skipped-existing",
        "acme-b2b": "skipped-existing",
        "bad-discount": "failed",
    }
    before, after = batch["mtimes"], resumed["mtimes"]
    assert after["demo-retail.ipynb"] == before["demo-retail.ipynb"]
    assert after["acme-b2b.ipynb"] == before["acme-b2b.ipynb"]
    assert after["bad-discount.ipynb"] > before["bad-discount.ipynb"]
    old = batch["summary"].set_index("run")
    assert s.loc["acme-b2b", "duration_s"] == old.loc["acme-b2b", "duration_s"]
    assert s.loc["acme-b2b", "revenue"] == old.loc["acme-b2b", "revenue"]
    assert s.loc["acme-b2b", "html"] == "acme-b2b.html"  # the earlier report is still there
    assert s.loc["bad-discount", "error"] == BAD_DISCOUNT


@pytest.fixture(scope="module")
def forced(resumed, batch):
    out = batch["out"]
    changed = [{"name": "demo-retail", "scenario": "retail", "n_customers": 300, "seed": 99}]
    refused = run_batch(NOTEBOOK, changed, out, progress=False)
    after_refusal = mtimes(out)
    replaced = run_batch(NOTEBOOK, changed, out, force=True, progress=False)
    return {
        "refused": refused,
        "after_refusal": after_refusal,
        "replaced": replaced,
        "mtimes": mtimes(out),
        "csv": pd.read_csv(out / "summary.csv"),
    }


def test_other_parameters_do_not_overwrite_without_force(resumed, forced):
    row = forced["refused"].iloc[0]
    assert row["status"] == "failed"
    assert "demo-retail.ipynb exists and was run with other parameters; it is kept" in row["error"]
    assert forced["after_refusal"] == resumed["mtimes"]
    # the kept notebook keeps its figures (and its own parameters) in the summary
    kept = resumed["summary"].set_index("run").loc["demo-retail"]
    assert row["revenue"] == kept["revenue"] and row["param_seed"] == kept["param_seed"] != 99


def test_force_reruns_and_the_summary_keeps_the_other_runs(resumed, forced):
    row = forced["replaced"].iloc[0]
    assert row["status"] == "ok" and row["param_seed"] == 99
    assert forced["mtimes"]["demo-retail.ipynb"] > resumed["mtimes"]["demo-retail.ipynb"]
    csv = forced["csv"].set_index("run")
    assert list(csv.index) == ["demo-retail", "acme-b2b", "bad-discount"]
    assert csv.loc["demo-retail", "param_seed"] == 99
    expected = expected_figures(
        fixture_orders(n_customers=300, seed=99), as_of="2024-12-31", threshold=90, margin=0.3, discount=0.1
    )
    assert csv.loc["demo-retail", "revenue"] == pytest.approx(expected["revenue"])
    assert csv.loc["acme-b2b", "status"] == "skipped-existing"


def test_a_foreign_notebook_with_a_run_name_is_kept(tmp_path):
    foreign = tmp_path / "mine.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), foreign)
    summary = run_batch(NOTEBOOK, [{"name": "mine"}], tmp_path, progress=False)
    assert summary.loc[0, "status"] == "failed"
    assert "was not written by a case-study run" in summary.loc[0, "error"]
    assert nbformat.read(foreign, as_version=4).cells == []


# ---------------------------------------------------------------- the command line


def test_cli_csv_batch_exit_code_html_and_typed_parameters(tmp_path, capsys, monkeypatch):
    params = tmp_path / "runs.csv"
    params.write_text(
        'name,scenario,n_customers,discount_rate,company\nlee,b2b,120,0.05,"Lee, Kim & Co"\ntiny,retail,10,,\n'
    )
    monkeypatch.chdir(tmp_path)  # a relative --out is relative to where the command runs
    out = tmp_path / "out"
    code = cli.main(
        ["casestudy", "run", str(NOTEBOOK), "--params", "runs.csv", "--out", "out", "--html", "--timeout", "60"]
    )
    printed = capsys.readouterr().out
    assert code == 1  # one run failed
    assert "2 run(s): 1 ok, 1 failed, 0 skipped-existing" in printed
    assert (
        "failed tiny: CaseStudyParameterError: parameter 'n_customers' = 10 is outside [50, 20000]: "
        "use a number of customers between 50 and 20000"
    ) in printed
    meta = nbformat.read(out / "lee.ipynb", as_version=4).metadata.papermill["parameters"]
    assert meta == {"scenario": "b2b", "n_customers": 120, "discount_rate": 0.05, "company": "Lee, Kim & Co"}
    assert read_figures(out / "lee.ipynb")["customers"] == 120
    assert "default_rng" not in (out / "lee.html").read_text()  # code hidden without --show-code
    csv = pd.read_csv(out / "summary.csv").set_index("run")
    # an empty cell keeps the notebook's default, and the summary says which value that was
    assert csv.loc["tiny", "param_n_customers"] == 10 and csv.loc["tiny", "param_discount_rate"] == 0.1
    assert csv.loc["lee", "param_seed"] == fixture_defaults()["seed"]

    # only the successful run again: skipped, nothing failed -> exit code 0
    params.write_text('name,scenario,n_customers,discount_rate,company\nlee,b2b,120,0.05,"Lee, Kim & Co"\n')
    before = (out / "lee.ipynb").stat().st_mtime_ns
    assert cli.main(["casestudy", "run", str(NOTEBOOK), "--params", str(params), "--out", str(out)]) == 0
    assert "1 run(s): 0 ok, 0 failed, 1 skipped-existing" in capsys.readouterr().out
    assert (out / "lee.ipynb").stat().st_mtime_ns == before
    assert list(pd.read_csv(out / "summary.csv")["run"]) == ["lee", "tiny"]  # earlier rows kept


@pytest.mark.parametrize(
    "text, fragment",
    [
        (
            "- seed: 1\n- discont_rate: 0.2\n",
            "entry 2 (line 2): unknown parameter 'discont_rate' (did you mean 'discount_rate'?)",
        ),
        ("- name: a\n- name: a\n", "entry 2 (line 2): run name 'a' is used twice (also params file"),
        ("runs: 3\n", "expected a list of parameter sets"),
        (
            "- name: a\n  seed: [1, 2\n- name: b\n",
            "line 3, column 7: not valid YAML (while parsing a flow sequence; expected ',' or ']', but got ':'; what is unfinished starts on line 2)",
        ),
        ("- name: a\n   seed: 1\n", "line 2, column 8: not valid YAML (mapping values are not allowed here)"),
        ("", "holds no parameter sets (it is empty or only comments)"),
        ("# only a comment\n", "holds no parameter sets (it is empty or only comments)"),
    ],
)
def test_cli_bad_param_file_is_a_usage_error(tmp_path, capsys, text, fragment):
    params = tmp_path / "runs.yaml"
    params.write_text(text)
    code = cli.main(["casestudy", "run", str(NOTEBOOK), "--params", str(params), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"crmlab casestudy run: error: params file '{params}'")
    assert fragment in err
    assert not (tmp_path / "o").exists()  # nothing ran


def test_cli_show_code_keeps_the_code_and_one_parameters_cell(tmp_path):
    params = tmp_path / "runs.yaml"
    params.write_text("- name: lin\n  company: 林氏商店\n  n_customers: 120\n")
    assert (
        cli.main(
            [
                "casestudy",
                "run",
                str(NOTEBOOK),
                "--params",
                str(params),
                "--out",
                str(tmp_path / "o"),
                "--html",
                "--show-code",
            ]
        )
        == 0
    )
    html = (tmp_path / "o" / "lin.html").read_text(encoding="utf-8")
    assert "default_rng" in html
    assert "林氏商店" in html and "\\u6797" not in html  # the injected cell (escaped text) is left out
    assert html.count("parameters") >= 1 and "injected-parameters" not in html


def test_cli_missing_notebook_and_missing_params_file(tmp_path, capsys):
    assert (
        cli.main(
            ["casestudy", "run", str(tmp_path / "none.ipynb"), "--params", str(PARAMS_YAML), "--out", str(tmp_path)]
        )
        == 2
    )
    assert "none.ipynb': no such file" in capsys.readouterr().err
    assert (
        cli.main(["casestudy", "run", str(NOTEBOOK), "--params", str(tmp_path / "x.yaml"), "--out", str(tmp_path)]) == 2
    )
    assert "x.yaml': no such file" in capsys.readouterr().err


def test_notebook_without_parameters_cell_is_refused(tmp_path):
    plain = tmp_path / "plain.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), plain)
    with pytest.raises(ParamFileError, match="no code cell tagged 'parameters'"):
        run_batch(plain, [{}], tmp_path / "o", progress=False)
    shutil.rmtree(tmp_path / "o", ignore_errors=True)


# ---------------------------------------------------------------- reports and the summary, in detail


def test_summary_columns_do_not_depend_on_which_run_finished_first():
    from crmlab.casestudy import _summary_frame

    def row(run, status, figures):
        return {
            "run": run,
            "status": status,
            "error": "",
            "duration_s": 1.0,
            "notebook": "",
            "html": "",
            "parameters": {},
            "figures": {k: {"value": v, "unit": ""} for k, v in figures},
        }

    failed = row("a-failed", "failed", [("customers", 10)])  # stopped after its first figure
    full = row("b-full", "ok", [("customers", 10), ("revenue", 5.0), ("nps", 3.0)])
    other = row("c-other", "ok", [("revenue", 4.0), ("customers", 9), ("nps", 1.0), ("extra", 1)])
    orders = [[failed, full, other], [other, full, failed], [full, other, failed]]
    columns = {tuple(_summary_frame(rows, {"seed": 1}).columns) for rows in orders}
    assert len(columns) == 1
    assert list(columns.pop())[6:] == ["param_seed", "revenue", "customers", "nps", "extra"]  # c-other: most


def test_every_kernel_runs_numerical_libraries_on_one_thread(tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell(
                "import os\nfrom crmlab.case_figures import record\n"
                "for k in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):\n"
                "    record(k.lower(), os.environ.get(k))"
            ),
        ]
    )
    nbformat.write(nb, tmp_path / "env.ipynb")
    summary = run_batch(tmp_path / "env.ipynb", [{"x": 1}, {"x": 2}], tmp_path / "out", jobs=2, progress=False)
    assert summary["status"].eq("ok").all(), summary["error"].tolist()
    for col in ("openblas_num_threads", "omp_num_threads", "mkl_num_threads"):
        assert summary[col].astype(str).eq("1").all(), col


def test_reports_drop_relative_links_and_the_injected_cell_but_keep_web_links():
    from crmlab.casestudy import _report_notebook

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(
                "See [the guide](CASESTUDIES.md), [papermill](https://papermill.readthedocs.io) and [below](#summary)."
            ),
            nbformat.v4.new_code_cell("seed = 1", metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell('company = "\\u6797"', metadata={"tags": ["injected-parameters"]}),
        ]
    )
    nb.cells[1].source = 'company = "Acme"   # name in the report\nseed = 1   # the seed'
    nb.metadata["papermill"] = {"parameters": {"company": "林氏商店"}}
    shown = _report_notebook(nb, show_code=True)
    assert shown.cells[0].source == (
        "See the guide, [papermill](https://papermill.readthedocs.io) and [below](#summary)."
    )
    assert [c.metadata.get("tags") for c in shown.cells[1:]] == [["parameters"]]  # one parameters cell
    assert shown.cells[1].source == "company = '林氏商店'   # name in the report\nseed = 1   # the seed"
    assert len(nb.cells) == 3  # the executed notebook itself is not changed
