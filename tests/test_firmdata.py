"""A firm's own data: exports (CSV, Excel, Parquet, SQLite) mapped onto the data contract, the validation
report, and the retail case study on the real CDNOW orders."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest
import yaml

from crmlab import datasets, firmdata
from crmlab.case_parameters import CaseStudyParameterError
from crmlab.case_data import firm_case
from crmlab.casestudy import load_param_file, read_figures, run_batch

ROOT = Path(__file__).resolve().parent.parent
RETAIL = ROOT / "notebooks" / "case_retailer.ipynb"

EXPORT = pd.DataFrame(
    {
        "Order No": ["A1", "A2", "A3", "A4"],
        "Client": ["007", "007", "012", "031"],  # leading zeros must survive
        "Day": ["2024-01-05", "2024-02-10", "2024-03-01", "2024-12-30"],
        "Net": [120.0, 35.5, 60.0, 0.0],
        "Refunded": ["no", "yes", "no", "no"],
    }
)
COLUMNS = {
    "order_id": "Order No",
    "customer_id": "Client",
    "order_date": "Day",
    "amount": "Net",
    "returned": "Refunded",
}


def write_mapping(folder: Path, orders: dict, **more) -> Path:
    path = folder / "mapping.yaml"
    path.write_text(
        yaml.safe_dump({"scenario": "retail", "firm": "Test firm", "tables": {"orders": orders, **more}}),
        encoding="utf-8",
    )
    return path


def errors(firm) -> list[tuple[str, str]]:
    r = firm.report
    return list(zip(r.loc[r["level"] == "error", "table"], r.loc[r["level"] == "error", "column"]))


# ---------------------------------------------------------------- reading and mapping


def test_a_csv_export_is_mapped_onto_the_contract(tmp_path):
    EXPORT.to_csv(tmp_path / "orders.csv", index=False)
    firm = firmdata.check_firm_data(write_mapping(tmp_path, {"file": "orders.csv", "columns": COLUMNS}))
    assert firm.ok, firm.report_markdown()
    orders = firm.tables["orders"]
    assert orders["customer_id"].tolist() == ["007", "007", "012", "031"]
    assert orders["returned"].tolist() == [False, True, False, False]
    assert orders["order_date"].dt.strftime("%Y-%m-%d").tolist() == EXPORT["Day"].tolist()
    assert orders["amount"].sum() == 215.5 and len(orders) == len(EXPORT)  # no row dropped
    assert firm.as_of == pd.Timestamp("2024-12-30")  # the last order day when the mapping gives none
    # no customer table: derived from the orders, and the report says so
    customers = firm.tables["customers"].set_index("customer_id")["signup_date"]
    assert customers.to_dict() == {
        "007": pd.Timestamp("2024-01-05"),
        "012": pd.Timestamp("2024-03-01"),
        "031": pd.Timestamp("2024-12-30"),
    }
    notes = firm.report.loc[firm.report["level"] == "note"]
    assert "customers are taken from the orders" in " ".join(notes["problem"])
    assert "satisfaction drivers" in " ".join(notes["problem"])


@pytest.mark.parametrize("kind", ["xlsx", "parquet"])
def test_excel_and_parquet_exports_give_the_same_tables_as_csv(tmp_path, kind):
    EXPORT.to_csv(tmp_path / "orders.csv", index=False)
    if kind == "xlsx":
        EXPORT.to_excel(tmp_path / "orders.xlsx", index=False, sheet_name="Orders", engine="openpyxl")
        spec = {"file": "orders.xlsx", "sheet": "Orders"}
    else:
        EXPORT.to_parquet(tmp_path / "orders.parquet", index=False)
        spec = {"file": "orders.parquet"}
    from_csv = firmdata.check_firm_data(write_mapping(tmp_path, {"file": "orders.csv", "columns": COLUMNS}))
    other = firmdata.check_firm_data(write_mapping(tmp_path, {**spec, "columns": COLUMNS}))
    assert other.ok, other.report_markdown()
    pd.testing.assert_frame_equal(other.tables["orders"], from_csv.tables["orders"], check_dtype=False)


def test_a_sqlite_database_through_a_sqlalchemy_url(tmp_path):
    db = tmp_path / "crm.db"
    with sqlite3.connect(db) as conn:  # a real database file, as a firm would have it
        EXPORT.rename(columns={"Order No": "order_no"}).to_sql("sales", conn, index=False)
        pd.DataFrame(
            {
                "cust": ["007", "012", "031"],
                "since": ["2023-11-01", "2024-02-20", "2024-12-01"],
                "how": ["search", "store", "store"],
                "cac": [40.0, 10.0, 12.5],
            }
        ).to_sql("clients", conn, index=False)
    columns = {**COLUMNS, "order_id": "order_no"}
    firm = firmdata.check_firm_data(
        write_mapping(
            tmp_path,
            {"sql": "sqlite:///crm.db", "query": "SELECT * FROM sales WHERE Net >= 0", "columns": columns},
            customers={
                "sql": "sqlite:///crm.db",
                "table": "clients",
                "columns": {
                    "customer_id": "cust",
                    "signup_date": "since",
                    "acquisition_channel": "how",
                    "acquisition_cost": "cac",
                },
            },
        )
    )
    assert firm.ok, firm.report_markdown()
    assert firm.tables["orders"]["amount"].tolist() == EXPORT["Net"].tolist()
    assert firm.tables["customers"]["acquisition_cost"].sum() == 62.5
    assert firmdata.sections_missing(firm.dataset()) == {
        "satisfaction drivers": ["surveys", "survey_items"],
        "complaint handling": ["interactions"],
    }


# ---------------------------------------------------------------- the validation report


def test_the_report_lists_every_problem_by_table_and_column_with_the_fix(tmp_path):
    bad = EXPORT.assign(Day=["2024-01-05", "5 Jan", "2024-03-01", ""], Net=[120.0, -3.0, 60.0, 1.0])
    bad.to_csv(tmp_path / "orders.csv", index=False)
    columns = {**COLUMNS, "returned": "Returned?"}
    firm = firmdata.check_firm_data(
        write_mapping(tmp_path, {"file": "orders.csv", "columns": columns}, survey={"file": "s.csv"})
    )
    assert not firm.ok
    assert set(errors(firm)) == {("orders", "order_date"), ("orders", "amount"), ("orders", "returned"), ("survey", "")}
    report = firm.report.set_index(["table", "column"])
    assert "'Returned?', which the export does not have" in report.loc[("orders", "returned"), "problem"]
    assert "negative" in report.loc[("orders", "amount"), "problem"]
    assert "returned" in report.loc[("orders", "amount"), "fix"]
    assert "YYYY-MM-DD" in report.loc[("orders", "order_date"), "fix"]
    assert "use one of orders, customers" in report.loc[("survey", ""), "fix"]
    with pytest.raises(firmdata.FirmDataError) as info:
        firmdata.load_firm_data(tmp_path / "mapping.yaml")
    message = str(info.value)
    for table, column in errors(firm):
        assert f"table '{table}'" in message and (not column or f"column '{column}'" in message)


def test_unmapped_required_columns_missing_files_and_foreign_customers(tmp_path):
    EXPORT.to_csv(tmp_path / "orders.csv", index=False)
    pd.DataFrame({"customer_id": ["007"], "signup_date": ["2023-01-01"]}).to_csv(tmp_path / "c.csv", index=False)
    firm = firmdata.check_firm_data(
        write_mapping(
            tmp_path,
            {"file": "orders.csv", "columns": {**COLUMNS, "amount": None}},
            customers={"file": "c.csv"},
            interactions={"file": "missing.csv"},
        )
    )
    report = firm.report.set_index(["table", "column"])
    assert "is required and not mapped" in report.loc[("orders", "amount"), "problem"]
    assert "does not exist" in report.loc[("interactions", ""), "problem"]
    firm = firmdata.check_firm_data(
        write_mapping(tmp_path, {"file": "orders.csv", "columns": COLUMNS}, customers={"file": "c.csv"})
    )
    problem = firm.report.set_index(["table", "column"]).loc[("orders", "customer_id"), "problem"]
    assert "2 order(s) name customers missing from 'customers' (first: '012')" in problem  # 012 and 031


def test_a_mapping_file_that_is_not_yaml_names_the_line(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("scenario: retail\ntables:\n  orders: [file: x\n")
    with pytest.raises(firmdata.FirmDataError, match=r"m.yaml', line 4, column 1: not valid YAML"):
        firmdata.check_firm_data(path)


def test_firm_case_needs_a_margin_and_a_year_of_orders(tmp_path):
    EXPORT.to_csv(tmp_path / "orders.csv", index=False)
    columns = {k: v for k, v in COLUMNS.items()}
    firm = firmdata.check_firm_data(write_mapping(tmp_path, {"file": "orders.csv", "columns": columns}))
    with pytest.raises(CaseStudyParameterError, match="parameter 'margin_rate' = None, and the orders"):
        firm_case(firm)
    ds = firm_case(firm, margin_rate=0.25, money_scale=2.0)
    assert ds.orders["gross_margin"].tolist() == [60.0, 17.76, 30.0, 0.0]  # 0.25 x amount to cents, then x 2
    assert ds.orders["amount"].tolist() == [240.0, 71.0, 120.0, 0.0]
    with pytest.raises(CaseStudyParameterError, match="'analysis_date' = '2024-06-30' is outside 2025-01-05"):
        firm_case(firm, margin_rate=0.3, analysis_date="2024-06-30")


# ---------------------------------------------------------------- the case study on CDNOW


@pytest.fixture(scope="module")
def cdnow_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cdnow")
    sets = load_param_file(ROOT / "notebooks" / "case_firm_cdnow_runs.yaml")
    summary = run_batch(RETAIL, sets, out, progress=False).set_index("run")
    return summary, out


def test_the_retail_case_runs_on_the_cdnow_orders(cdnow_run):
    summary, out = cdnow_run
    assert summary.loc["cdnow", "status"] == "ok", summary.loc["cdnow", "error"]
    fig = read_figures(out / "cdnow.ipynb")
    orders = datasets.load("cdnow").orders  # the real data, read independently of the mapping
    as_of = pd.Timestamp("1998-06-30")
    year = orders.loc[orders["order_date"] > as_of - pd.DateOffset(years=1)]
    assert fig["customers"] == orders["customer_id"].nunique() == 2357  # Fader, Hardie & Lee (2005)
    assert fig["active_customers"] == year["customer_id"].nunique()
    assert fig["revenue"] == pytest.approx(year["amount"].sum())  # USD as in the data (scale 1)
    assert fig["margin_rate"] == pytest.approx(0.3)
    # the sections without data are left out with a note, and their figures are empty
    assert fig["nps"] is None and fig["complaint_recovery"] is None and fig["best_channel"] is None
    import nbformat

    nb = nbformat.read(out / "cdnow.ipynb", as_version=4)
    shown = "".join(
        o.get("data", {}).get("text/markdown", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
    )
    assert shown.count("*Left out: the data have no") == 3
    assert "no customer table: the 2,357 customers are taken from the orders" in shown
    summary_md = [o["data"]["text/markdown"] for o in nb.cells[-1].outputs if "text/markdown" in o.get("data", {})][0]
    assert "Satisfaction: left out" in summary_md and "Acquisition: left out" in summary_md
    assert summary_md.count("**Retention") == 1 and "**Satisfaction" not in summary_md
