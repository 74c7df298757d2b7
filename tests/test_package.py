"""crmlab as a package: the wheel and the sdist, installed into a throwaway venv away from this clone.

What a user with their own Jupyter meets after ``pip install crmlab``: the wheel holds every
module, the shipped datasets (package data read with importlib.resources) and the licence;
with the core alone, ``import crmlab``, ``datasets.load("cdnow")`` and a BG/NBD fit work, and
the parts that need an extra say which one; with ``[widgets,teach]`` added, a chapter runs.

These tests reach the package index (marker ``index``): the venv installs the pinned versions
of constraints.txt, from pip's cache where it has them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import textwrap
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import crmlab

pytestmark = pytest.mark.index

ROOT = Path(__file__).resolve().parent.parent
UV = Path(sys.executable).parent / "uv"
CHAPTER = "05_customer_lifetime_value.ipynb"  # cdnow, BG/NBD and Gamma-Gamma, widgets


def _run(cmd: list, cwd: Path, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def _ok(res: subprocess.CompletedProcess) -> str:
    assert res.returncode == 0, f"exit {res.returncode}\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    """The sdist, and the wheel built from it (so the sdist is proven complete)."""
    out = tmp_path_factory.mktemp("dist")
    _ok(_run([sys.executable, "-m", "build", "--outdir", out, ROOT], cwd=out))
    (wheel,) = out.glob("crmlab-*.whl")
    (sdist,) = out.glob("crmlab-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


@pytest.fixture(scope="module")
def env(dist, tmp_path_factory) -> dict[str, Path]:
    """A throwaway venv with the wheel and only its core dependencies (pinned), and a folder outside the clone."""
    home = tmp_path_factory.mktemp("user")
    _ok(_run([UV, "venv", "-q", "--python", sys.executable, home / "venv"], cwd=home))
    py = home / "venv" / "bin" / "python"
    _install(py, str(dist["wheel"]), home)
    return {"python": py, "home": home}


def _install(py: Path, target: str, cwd: Path) -> None:
    # uv installs like pip (same index, same constraints) in a fraction of the time;
    # benchmarks/bench_package.py measures pip's own install times.
    _ok(_run([UV, "pip", "install", "-q", "--python", py, "-c", ROOT / "constraints.txt", target], cwd=cwd))


def _python(env, code: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return _run([env["python"], "-c", textwrap.dedent(code)], cwd=env["home"], timeout=timeout)


# ---------------------------------------------------------------- what the wheel and the sdist hold


def test_the_wheel_holds_every_module_every_dataset_and_the_licence(dist):
    names = set(zipfile.ZipFile(dist["wheel"]).namelist())
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "crmlab").rglob("*.py") if "__pycache__" not in p.parts}
    missing = sorted(m for m in modules if m not in names)
    assert not missing, f"modules missing from the wheel (list their package in pyproject.toml): {missing}"
    data = {
        f"crmlab/_data/{p.relative_to(ROOT / 'datasets')}"
        for p in (ROOT / "datasets").rglob("*")
        if p.is_file() and p.suffix in (".csv", ".md")
    }
    assert data, "no shipped datasets found"
    assert not sorted(data - names), f"data files missing from the wheel: {sorted(data - names)}"
    assert "crmlab/glossary.yml" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


def test_the_wheel_metadata_names_the_core_the_extras_and_the_version(dist):
    with zipfile.ZipFile(dist["wheel"]) as whl:
        (meta,) = [n for n in whl.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(whl.read(meta).decode())
    assert metadata["Version"] == crmlab.__version__
    assert metadata["License-Expression"] == "MIT"
    core = {Requirement(r).name for r in metadata.get_all("Requires-Dist") if "extra ==" not in r}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert core == {Requirement(r).name for r in project["dependencies"]}
    assert set(metadata.get_all("Provides-Extra")) == set(project["optional-dependencies"])


def test_the_changelog_describes_this_version():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    newest = next(line for line in changelog.splitlines() if line.startswith("## "))
    assert newest.split()[1] == crmlab.__version__, f"CHANGELOG.md's newest entry is {newest!r}"


def test_the_sdist_holds_the_sources_the_data_and_the_licence(dist):
    with tarfile.open(dist["sdist"]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for needed in ("pyproject.toml", "README.md", "LICENSE", "datasets/cdnow/orders.csv", "crmlab/datasets.py"):
        assert needed in names, f"{needed} is missing from the sdist"


# ---------------------------------------------------------------- the core alone, away from the clone


def test_core_install_has_no_jupyter(env):
    out = _ok(
        _python(
            env,
            """
        import importlib.util
        print([m for m in ("jupyterlab", "notebook", "ipywidgets", "nbformat", "nbclient", "papermill", "nbval", "pytest")
               if importlib.util.find_spec(m)])
    """,
        )
    )
    assert out.strip() == "[]", f"the core install brought: {out}"


def test_core_install_loads_the_shipped_datasets_from_package_data(env):
    out = _ok(
        _python(
            env,
            """
        import json, crmlab
        from crmlab import datasets
        assert not crmlab.__file__.startswith(%r), crmlab.__file__
        rows = {}
        for name in datasets.list_datasets():
            ds = datasets.load(name)
            rows[name] = [ds.source, ds.location, {t: len(df) for t, df in ds.items()}]
        print(json.dumps(rows))
    """
            % str(ROOT),
        )
    )
    rows = json.loads(out)
    # the installed files are a folder on disk (what the grading sandbox hands to a kernel),
    # byte for byte what `crmlab datasets build` makes
    out = _ok(
        _python(
            env,
            """
        from crmlab import datasets
        print(datasets.data_dir())
        print(datasets.build(check=True))
    """,
        )
    )
    folder, changed = out.splitlines()
    assert folder.endswith("site-packages/crmlab/_data") and changed == "[]", out
    for name, (source, location, sizes) in rows.items():
        assert source == "shipped" and location.startswith("crmlab's package data"), (name, location)
        assert str(ROOT) not in location and all(n > 0 for n in sizes.values()), (name, sizes)
    # Fader, Hardie & Lee (2005): the CDNOW sample has 6,919 purchase records.
    assert rows["cdnow"][2] == {"orders": 6919}


def test_core_install_fits_bgnbd_to_the_published_cdnow_parameters(env):
    out = _ok(
        _python(
            env,
            """
        from crmlab import btyd, datasets
        orders = datasets.load("cdnow").orders
        summary = btyd.summary_from_transactions(orders, calibration_end="1997-09-30",
                                                 observation_end="1998-06-30", time_unit="W")
        m = btyd.fit_bgnbd(summary)
        print(m.r, m.alpha, m.a, m.b)
    """,
        )
    )
    r, alpha, a, b = map(float, out.split())
    # Fader, Hardie & Lee (2005), Marketing Science 24(2), 39-week calibration:
    # r = 0.243, alpha = 4.414, a = 0.793, b = 2.426.
    for got, published in ((r, 0.243), (alpha, 4.414), (a, 0.793), (b, 2.426)):
        assert got == pytest.approx(published, rel=0.01)


def test_core_install_says_which_extra_a_part_needs(env):
    res = _python(env, "import crmlab.widgets")
    assert res.returncode != 0
    assert "crmlab.widgets needs the optional package(s) ipywidgets" in res.stderr
    assert 'pip install "crmlab[widgets]"' in res.stderr
    for module in ("crmlab.grade", "crmlab.release"):
        res = _python(env, f"import {module}")
        assert f"{module} needs the optional package(s) " in res.stderr and "nbformat" in res.stderr, res.stderr
        assert 'pip install "crmlab[teach]"' in res.stderr
    crmlab_cmd = env["python"].parent / "crmlab"
    listing = _ok(_run([crmlab_cmd, "--help"], cwd=env["home"]))
    assert "grade" in listing and "crmlab[teach]" in listing
    (env["home"] / "scenarios.yaml").write_text("- {company: Acme, seed: 7}\n")
    case = ROOT / "notebooks" / "case_retailer.ipynb"
    for command in (
        ["grade", "00_start_here", "subs", "--out", "g.csv"],
        ["release", "--check"],
        ["casestudy", "run", case, "--params", "scenarios.yaml", "--out", "out"],
    ):
        res = _run([crmlab_cmd, *command], cwd=env["home"])
        assert res.returncode == 2, (command, res.stdout, res.stderr)
        assert not (env["home"] / "out").exists()
        assert 'pip install "crmlab[teach]"' in res.stderr and "Traceback" not in res.stderr, (command, res.stderr)
    assert "cdnow" in _ok(_run([crmlab_cmd, "datasets", "list"], cwd=env["home"]))


def test_bootstrap_in_an_installed_crmlab_refuses_politely(env):
    res = _run([env["python"], "-m", "crmlab.bootstrap", "setup"], cwd=env["home"])
    assert res.returncode != 0 and "from a clone of its repository" in res.stderr
    assert not list(env["home"].glob("venv/lib/python*/site-packages/.venv"))


# ---------------------------------------------------------------- with the extras, a chapter runs


def test_with_widgets_and_teach_a_chapter_runs_from_the_installed_package(env, dist, tmp_path):
    _install(env["python"], f"{dist['wheel']}[widgets,teach]", env["home"])
    chapter = tmp_path / CHAPTER  # a copy away from the clone: only the installed package is there
    chapter.write_bytes((ROOT / "notebooks" / CHAPTER).read_bytes())
    out = _ok(
        _python(
            env,
            f"""
        import json, nbformat
        from nbclient import NotebookClient
        nb = nbformat.read({str(chapter)!r}, as_version=4)
        stored = [[o for o in c.get("outputs", [])] for c in nb.cells]
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={{"metadata": {{"path": {str(tmp_path)!r}}}}}).execute()
        def texts(outputs):
            return [o.get("text") or o.get("data", {{}}).get("text/plain") for o in outputs
                    if o["output_type"] in ("stream", "execute_result")]
        errors = [o for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
        differ = [[i, texts(stored[i]), texts(c.get("outputs", []))] for i, c in enumerate(nb.cells)
                  if texts(c.get("outputs", [])) != texts(stored[i])]
        images = sum("image/png" in o.get("data", {{}}) for c in nb.cells for o in c.get("outputs", []))
        print(json.dumps({{"errors": len(errors), "differ": differ, "images": images}}))
    """,
        )
    )
    result = json.loads(out.strip().splitlines()[-1])
    assert result["errors"] == 0
    assert result["differ"] == [], f"cells whose text output differs from the stored one: {result['differ']}"
    assert result["images"] > 0
