"""The set-up a newcomer meets: package metadata, extras, environment.yml, the lock and bootstrap agree."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from crmlab import bootstrap
from crmlab._extras import EXTRAS

ROOT = Path(__file__).resolve().parent.parent
CORE = {"pandas", "numpy", "scipy", "scikit-learn", "matplotlib", "seaborn", "pyyaml"}
NOT_CORE = {
    "jupyterlab",
    "notebook",
    "ipywidgets",
    "ipykernel",
    "nbformat",
    "nbclient",
    "nbconvert",
    "nbval",
    "papermill",
    "tqdm",
    "pytest",
    "hypothesis",
    "playwright",
}


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _reqs(names: list[str]) -> dict[str, Requirement]:
    reqs = [Requirement(r) for r in names]
    return {canonicalize_name(r.name): r for r in reqs if r.name != "crmlab"}


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", f"constraints.txt pins exactly: {line}"
            name = canonicalize_name(req.name)
            assert name not in pins, f"{name} is pinned twice in constraints.txt"
            pins[name] = spec.version
    return pins


def test_core_dependencies_are_what_the_analytics_need():
    # A user with their own Jupyter installs the analytics without a second JupyterLab.
    # (tests/test_package.py proves the core is enough: the analytics run in a venv with only it.)
    core = set(_reqs(_pyproject()["project"]["dependencies"]))
    assert CORE <= core, f"missing from the core: {CORE - core}"
    assert not core & NOT_CORE, f"these belong in an extra: {core & NOT_CORE}"


def test_the_extras_hold_the_rest_and_all_holds_every_extra():
    extras = _pyproject()["project"]["optional-dependencies"]
    assert {"widgets", "teach", "lab", "test", "all"} <= set(extras)
    assert "jupyterlab" not in _reqs(extras["widgets"]) | _reqs(extras["teach"])
    assert {"pytest", "nbval"} <= set(_reqs(extras["test"]))
    (everything,) = extras["all"]
    assert set(Requirement(everything).extras) == set(extras) - {"all"}
    # crmlab._extras names the import names that each extra provides; pyproject installs them.
    for extra, modules in EXTRAS.items():
        names = set(_reqs(extras[extra]))
        for module in modules:
            assert canonicalize_name(module) in names, f"{module} (crmlab._extras) is not in [{extra}]"


def test_environment_yml_installs_the_workbook_that_binder_opens():
    # Binder needs the core, the widgets, the teaching tools and JupyterLab, with pyproject's bounds.
    project = _pyproject()["project"]
    extras = project["optional-dependencies"]
    wanted = _reqs(project["dependencies"] + extras["widgets"] + extras["teach"] + extras["lab"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and dep.split(">=")[0].split("=")[0] not in ("python", "pip"):
            req = Requirement(dep)
            conda[canonicalize_name(req.name)] = req
    assert set(conda) == set(wanted), (
        f"only in environment.yml: {set(conda) - set(wanted)}; missing: {set(wanted) - set(conda)}"
    )
    for name, req in conda.items():
        assert req.specifier == wanted[name].specifier, (
            f"{name}: environment.yml {req.specifier}, pyproject {wanted[name].specifier}"
        )
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_section, "environment.yml must install crmlab itself for Binder"
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert Version(python.split("=")[-1]) >= Version(".".join(map(str, bootstrap.MIN_PYTHON[:2])))


def test_constraints_pin_every_dependency_exactly_and_satisfy_the_bounds():
    pins = _pins()
    project = _pyproject()["project"]
    everything = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    for name, req in _reqs(everything).items():
        assert name in pins, f"{name} is not pinned in constraints.txt"
        assert req.specifier.contains(pins[name]), f"{name}=={pins[name]} is outside pyproject's {req.specifier}"


def test_the_installed_versions_are_the_pinned_ones():
    # Stored notebook outputs depend on these: the test environment must be the locked one.
    from importlib.metadata import version

    pins = _pins()
    for pkg in ("pandas", "numpy", "matplotlib", "scipy", "seaborn", "scikit-learn", "ruff", "mypy"):
        assert version(pkg) == pins[pkg], f"{pkg} {version(pkg)} installed, {pins[pkg]} pinned"


def _resolve(folder: Path, platform: str, python: str) -> tuple[str, str, subprocess.CompletedProcess]:
    uv = Path(sys.executable).parent / "uv"
    reqs = folder / f"{platform}-{python}.in"
    reqs.write_text("\n".join(bootstrap.requirements()) + "\n")
    out = subprocess.run(
        [
            str(uv),
            "pip",
            "compile",
            str(reqs),
            "-c",
            str(ROOT / "constraints.txt"),
            "--python-platform",
            platform,
            "--python-version",
            python,
            "--only-binary",
            ":all:",
            "--no-header",
            "--no-annotate",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    return platform, python, out


@pytest.mark.index
def test_the_lock_installs_the_same_versions_on_every_stated_platform(tmp_path):
    # For every platform and Python the README names: every package of crmlab[all] has a wheel
    # there at its pinned version, and nothing that platform needs is left unpinned.
    pins = _pins()
    pairs = [(p, v) for p in bootstrap.PLATFORMS for v in bootstrap.PYTHONS]
    with ThreadPoolExecutor(max_workers=len(pairs)) as pool:
        results = list(pool.map(lambda pair: _resolve(tmp_path, *pair), pairs))
    for platform, python, out in results:
        assert out.returncode == 0, f"{platform}, Python {python}: the lock does not install:\n{out.stderr}"
        for line in out.stdout.splitlines():
            if "==" in line:
                req = Requirement(line)
                name, (spec,) = canonicalize_name(req.name), req.specifier
                assert name in pins, f"{platform}, Python {python} needs {name}, which constraints.txt does not pin"
                assert spec.version == pins[name], f"{platform}, Python {python}: {name} {spec.version} != {pins[name]}"


@pytest.mark.index
def test_the_lock_refuses_a_python_below_the_stated_minimum(tmp_path):
    # The minimum in bootstrap (and the README) is the real one: the release before it fails,
    # and the oldest release of the minimum (3.11.0; Debian 12 has 3.11.2) installs.
    major, minor = bootstrap.MIN_PYTHON
    _, _, below = _resolve(tmp_path, bootstrap.PLATFORMS[0], f"{major}.{minor - 1}")
    assert below.returncode != 0 and "No solution found" in below.stderr
    _, _, oldest = _resolve(tmp_path, bootstrap.PLATFORMS[0], f"{major}.{minor}.0")
    assert oldest.returncode == 0, oldest.stderr


def test_readme_states_the_platforms_the_lock_is_tested_on():
    development = (ROOT / "README.md").read_text().split("## Development", 1)[1].split("\n## ", 1)[0]
    assert f"CPython {'.'.join(map(str, bootstrap.MIN_PYTHON))} to {bootstrap.PYTHONS[-1]}" in development
    for words in ("Linux x86_64", "Linux aarch64", "macOS arm64", "3.13"):
        assert words in development, f"README's Development section does not name {words}"
    quick = (ROOT / "README.md").read_text().split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    assert f"Python {'.'.join(map(str, bootstrap.MIN_PYTHON))} or newer" in quick


def test_readme_quickstart_has_exactly_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^\s*(python3 -m crmlab\.bootstrap \w+)\s*$", quick, flags=re.M)
    assert commands == ["python3 -m crmlab.bootstrap lab", "python3 -m crmlab.bootstrap test"], commands
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert ci[-1].strip() == "python3 -m crmlab.bootstrap test"


def test_bootstrap_installs_everything_with_the_pins():
    # The workbook's own set-up keeps installing every extra, at the versions of constraints.txt.
    assert bootstrap.EVERYTHING in _pyproject()["project"]["optional-dependencies"]
    assert bootstrap.CONSTRAINTS == ROOT / "constraints.txt"


def test_import_crmlab_is_light():
    # Heavy libraries load on first use only (the speed target is measured in benchmarks/).
    code = "import sys, crmlab; print(sorted(m for m in ('pandas','scipy','matplotlib','sklearn') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_cli_lists_its_commands():
    out = subprocess.run(
        [sys.executable, "-m", "crmlab.cli", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("datasets", "release", "grade", "casestudy"):
        assert command in out


def test_bootstrap_refuses_an_unknown_action():
    res = subprocess.run([sys.executable, "-m", "crmlab.bootstrap", "nope"], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode != 0 and "unknown action 'nope'" in res.stderr


@pytest.mark.parametrize("action", ["setup", "lock", "test"])
def test_bootstrap_refuses_politely_outside_a_clone(tmp_path, action):
    # An installed crmlab has bootstrap.py but no workbook around it: it must not create a .venv
    # in site-packages, and it must say what to do instead.
    package = tmp_path / "site-packages" / "crmlab"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    shutil.copy(ROOT / "crmlab" / "bootstrap.py", package / "bootstrap.py")
    res = subprocess.run(
        [sys.executable, "-m", "crmlab.bootstrap", action],
        capture_output=True,
        text=True,
        cwd=package.parent,
        timeout=60,
    )
    assert res.returncode != 0
    assert "from a clone of its repository" in res.stderr and 'pip install "crmlab[all]"' in res.stderr
    assert not (package.parent / ".venv").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_bootstrap_lab_serves_the_whole_workbook_and_opens_the_start_notebook(tmp_path):
    # The exact command bootstrap runs, plus options to run it headless on a free port: the
    # root must be the repository (chapters link to exercises/ and datasets/README.md), and
    # the start notebook must be the file JupyterLab opens.
    port, token = _free_port(), "crmlab-setup-test"
    command = bootstrap.lab_command(
        Path(sys.executable).parent / "jupyter",
        [
            "--no-browser",
            f"--port={port}",
            "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={token}",
            "--allow-root",
            "--ServerApp.open_browser=False",
        ],
    )
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
    }
    proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        listing = None
        for _ in range(240):
            try:
                req = urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/contents?content=1", headers={"Authorization": f"token {token}"}
                )
                listing = json.load(urllib.request.urlopen(req, timeout=5))
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"JupyterLab exited with {proc.returncode}")
                time.sleep(0.5)
        assert listing is not None, "JupyterLab did not answer within two minutes"
        names = {item["name"] for item in listing["content"]}
        assert {"notebooks", "exercises", "datasets", "README.md"} <= names, names
        # the page JupyterLab opens for the file it was given (beside the plain jpserver-PID-open.html)
        for _ in range(60):
            opened = list((tmp_path / "runtime").glob("jpserver-file-to-run-*-open.html"))
            if opened:
                break
            time.sleep(0.5)
        assert opened, "JupyterLab wrote no page to open the start notebook"
        page = opened[0].read_text()
        assert "lab/tree/notebooks/00_start_here.ipynb" in page, page
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_every_public_module_is_reachable_from_the_package():
    # `crmlab.<module>` loads on first use, for every public module, with no list to keep up.
    import importlib

    import crmlab

    names = {p.stem for p in (ROOT / "crmlab").glob("*.py") if not p.name.startswith("_") and p.stem != "conftest"}
    names |= {p.parent.name for p in (ROOT / "crmlab").glob("*/__init__.py") if not p.parent.name.startswith("_")}
    assert names == set(crmlab.__all__) - {"__version__"}
    assert crmlab.btyd is importlib.import_module("crmlab.btyd")
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = crmlab.nope


@pytest.mark.index
def test_bootstrap_lock_pins_one_version_of_everything_every_platform_needs():
    # What `python3 -m crmlab.bootstrap lock` writes, resolved now (newest allowed versions):
    # every requirement and the packages only macOS or Windows need, each once.
    uv = Path(sys.executable).parent / "uv"
    pins = bootstrap.resolve_lock(uv, bootstrap.requirements())
    names = {canonicalize_name(n) for n in pins}
    assert len(names) == len(pins)
    assert set(_reqs(bootstrap.requirements())) <= names
    assert {"appnope", "pexpect"} <= names  # macOS only; not on Windows
    for version in pins.values():
        Version(version)  # raises on anything but a plain version
    assert all(line.startswith("# ") for line in bootstrap.LOCK_HEADER.splitlines())
