"""The set-up a newcomer meets: package metadata, environment.yml and the lock file agree."""
from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_lists_the_same_runtime_dependencies_as_pyproject():
    runtime = {_name(r) for r in _pyproject()["project"]["dependencies"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert conda == runtime, f"only in environment.yml: {conda - runtime}; only in pyproject: {runtime - conda}"
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_section, "environment.yml must install crmlab itself for Binder"


def test_lower_bounds_of_environment_yml_match_pyproject():
    bounds = {_name(r): r.split(">=")[1] for r in _pyproject()["project"]["dependencies"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    for dep in env["dependencies"]:
        if isinstance(dep, str) and ">=" in dep:
            assert bounds[_name(dep)] == dep.split(">=")[1].split()[0], dep


def test_constraints_pin_every_dependency_exactly_and_satisfy_the_lower_bounds():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[_name(name)] = version
    project = _pyproject()["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
    for req in wanted:
        name, lower = _name(req), req.split(">=")[1]
        assert name in pins, f"{name} is not pinned in constraints.txt"
        as_tuple = lambda v: tuple(int(x) for x in re.findall(r"\d+", v)[:3])
        assert as_tuple(pins[name]) >= as_tuple(lower), f"{name}=={pins[name]} is below the bound {lower}"


def test_the_installed_versions_are_the_pinned_ones():
    # Stored notebook outputs depend on these: the test environment must be the locked one.
    from importlib.metadata import version

    pins = dict(l.split("==") for l in (ROOT / "constraints.txt").read_text().splitlines() if "==" in l)
    for pkg in ("pandas", "numpy", "matplotlib", "scipy", "seaborn"):
        assert version(pkg) == pins[pkg], f"{pkg} {version(pkg)} installed, {pins[pkg]} pinned"


def test_readme_quickstart_has_exactly_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^\s*(python3 -m crmlab\.bootstrap \w+)\s*$", quick, flags=re.M)
    assert commands == ["python3 -m crmlab.bootstrap lab", "python3 -m crmlab.bootstrap test"], commands
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert ci[-1].strip() == "python3 -m crmlab.bootstrap test"


def test_import_crmlab_is_light():
    # Heavy libraries load on first use only (the speed target is measured in benchmarks/).
    code = "import sys, crmlab; print(sorted(m for m in ('pandas','scipy','matplotlib','sklearn') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_cli_lists_its_commands():
    out = subprocess.run([sys.executable, "-m", "crmlab.cli", "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("datasets", "release", "grade", "casestudy"):
        assert command in out


def test_bootstrap_refuses_an_unknown_action():
    res = subprocess.run([sys.executable, "-m", "crmlab.bootstrap", "nope"], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode != 0 and "unknown action 'nope'" in res.stderr
