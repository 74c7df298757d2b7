"""The customer information base: loading, personal data, generation, the data dictionary."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlab import datasets
from crmlab._schema import DATASETS
from crmlab._validate import CRMDataError


@pytest.mark.parametrize("name", ["retail", "b2b", "cdnow"])
def test_load_gives_every_documented_table_with_its_dtypes(name):
    ds = datasets.load(name)
    spec = DATASETS[name]["tables"]
    assert list(ds) == list(spec)
    for table, tspec in spec.items():
        df = getattr(ds, table)
        assert df is ds[table]
        assert list(df.columns) == list(tspec["columns"]), table
        for col, (_kind, dtype, _unit, _meaning) in tspec["columns"].items():
            assert str(df[col].dtype) == dtype, f"{table}.{col}: {df[col].dtype} != {dtype}"
        key = tspec["key"]
        if key:
            assert not df.duplicated(subset=[key] if isinstance(key, str) else key).any(), f"{table} key repeats"
    assert ds.as_of == pd.Timestamp(DATASETS[name]["as_of"])


def test_cdnow_is_the_published_sample():
    # Fader, Hardie & Lee (2005), Marketing Science 24(2): 2,357 customers who first bought in
    # 1997 Q1, purchases through June 1998; the file has 6,919 purchase records.
    orders = datasets.load("cdnow").orders
    assert len(orders) == 6919
    assert orders["customer_id"].nunique() == 2357
    first = orders.groupby("customer_id")["order_date"].min()
    assert first.min() == pd.Timestamp("1997-01-01") and first.max() <= pd.Timestamp("1997-03-31")
    assert orders["order_date"].max() <= pd.Timestamp("1998-06-30")


def test_each_load_returns_fresh_copies():
    ds = datasets.load("cdnow")
    ds.orders.loc[0, "amount"] = -1.0
    assert datasets.load("cdnow").orders.loc[0, "amount"] > 0


def test_unknown_dataset_lists_the_real_ones():
    with pytest.raises(CRMDataError, match="no dataset 'nope'.*" + ", ".join(sorted(DATASETS))):
        datasets.load("nope")


def test_unknown_table_names_the_tables():
    ds = datasets.load("cdnow")
    with pytest.raises(AttributeError, match="has no table 'customers'; its tables are: orders"):
        _ = ds.customers


@pytest.mark.parametrize("name", ["retail", "b2b"])
def test_personal_data_same_id_same_data_other_id_other_data(name):
    a1 = datasets.load(name, student_id="s001")
    a2 = datasets.load(name, student_id="s001")
    b = datasets.load(name, student_id="s002")
    shipped = datasets.load(name)
    for table in shipped:
        pd.testing.assert_frame_equal(a1[table], a2[table])
        assert list(a1[table].columns) == list(shipped[table].columns)
        assert a1[table].dtypes.equals(shipped[table].dtypes) or table in ("truth_phases",)
    orders = "orders"
    assert not a1[orders]["amount"].sum() == pytest.approx(b[orders]["amount"].sum())
    assert a1.student_id == "s001" and a1.seed == datasets.student_seed("s001", name)


def test_personal_cdnow_is_a_seeded_sample_of_the_real_customers():
    real = datasets.load("cdnow").orders
    mine = datasets.load("cdnow", student_id="s042").orders
    assert mine["customer_id"].nunique() == datasets.CDNOW_PERSONAL_SAMPLE
    # every record is a real one
    merged = mine.merge(real, how="left", indicator=True)
    assert (merged["_merge"] == "both").all()


@pytest.mark.parametrize("bad", ["", "   ", 42, None.__class__])
def test_bad_student_id_says_what_to_do(bad):
    with pytest.raises(CRMDataError, match="STUDENT_ID"):
        datasets.load("retail", student_id=bad)


def test_generate_is_deterministic_and_sized():
    a = datasets.generate("retail", n_customers=150, seed=7)
    b = datasets.generate("retail", n_customers=150, seed=7)
    c = datasets.generate("retail", n_customers=150, seed=8)
    assert len(a.customers) == 150
    for table in a:
        pd.testing.assert_frame_equal(a[table], b[table])
    assert not a.orders["amount"].equals(c.orders["amount"])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_customers": 0}, r"'n_customers' = 0 is outside \[1, 200000\]"),
        ({"n_customers": 2.5}, "whole number"),
        ({"seed": -1}, "non-negative whole number"),
        ({"start": "2024-01-01", "end": "2024-02-01"}, "too short"),
        ({"end": "not a date"}, "not a date"),
    ],
)
def test_generate_says_what_is_allowed(kwargs, message):
    with pytest.raises(CRMDataError, match=message):
        datasets.generate("retail", **kwargs)


def test_real_data_is_not_generated():
    with pytest.raises(CRMDataError, match="real data and cannot be generated"):
        datasets.generate("cdnow")


def test_committed_files_are_exactly_what_build_produces(tmp_path):
    # Same seed, same bytes, on any run: build into an empty folder and compare bytes.
    written = datasets.build(tmp_path)
    assert "README.md" in written and "retail/orders.csv" in written
    for rel in written:
        committed = datasets.data_dir() / rel
        assert committed.read_bytes() == (tmp_path / rel).read_bytes(), f"{rel} differs: run `crmlab datasets build`"
    assert not (tmp_path / "cdnow").exists(), "build must leave the real data alone"


def test_describe_covers_every_column():
    d = datasets.describe("retail")
    n = sum(len(t["columns"]) for t in DATASETS["retail"]["tables"].values())
    assert len(d.columns) == n and d.columns["unit"].notna().all()
    assert "retail" in d._repr_markdown_()


def test_cli_datasets_build_check_passes_on_the_committed_files(capsys):
    from crmlab.cli import main

    assert main(["datasets", "build", "--check"]) == 0
    assert "current" in capsys.readouterr().out


# ---------------------------------------------------------------- where the shipped files are


@pytest.fixture
def fresh_cache():
    datasets._cached.cache_clear()
    yield
    datasets._cached.cache_clear()


def test_shipped_data_says_where_it_was_read_from(fresh_cache):
    ds = datasets.load("cdnow")
    assert ds.source == "shipped"
    root, where = datasets.data_root()
    assert ds.location == f"{where}: {root.joinpath('cdnow')}"
    assert root.joinpath("cdnow", "orders.csv").is_file()


def test_a_missing_shipped_file_is_an_error_never_a_silent_regeneration(tmp_path, monkeypatch, fresh_cache):
    # A careless copy of the data folder without retail/orders.csv: the old behaviour generated
    # the tables on the fly and still said "shipped"; now the missing file is named with the fix.
    import shutil

    shutil.copytree(datasets.data_dir(), tmp_path / "data")
    (tmp_path / "data" / "retail" / "orders.csv").unlink()
    monkeypatch.setenv("CRMLAB_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(
        CRMDataError, match=r"retail/orders\.csv is missing from CRMLAB_DATA_DIR=.*crmlab datasets build"
    ):
        datasets.load("retail")
    (tmp_path / "data" / "cdnow" / "orders.csv").unlink()
    with pytest.raises(CRMDataError, match=r"cdnow/orders\.csv is missing.*real data and cannot be regenerated"):
        datasets.load("cdnow")
    # the other datasets of that folder still load, from that folder
    ds = datasets.load("b2b")
    assert ds.source == "shipped" and str(tmp_path / "data") in ds.location


def test_build_never_writes_into_an_installed_package(monkeypatch):
    folder = datasets.data_dir()
    monkeypatch.setattr(datasets, "data_root", lambda: (folder, datasets.PACKAGED))
    with pytest.raises(CRMDataError, match="package data.*--out FOLDER"):
        datasets.build()
    assert datasets.build(check=True) == []  # checking the installed files is fine


def test_the_package_maps_datasets_into_crmlab_data():
    # pyproject.toml ships every data folder as package data of crmlab._data (the wheel test
    # in test_package.py proves the files arrive); a new dataset folder must be listed there.
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["package-dir"]["crmlab._data"] == "datasets"
    folders = {p.name for p in (root / "datasets").iterdir() if p.is_dir()}
    listed = {p.split(".")[-1] for p in config["packages"] if p.startswith("crmlab._data.")}
    assert folders == listed, f"datasets/ folders not listed as packages in pyproject.toml: {folders - listed}"
    assert folders == set(DATASETS)
