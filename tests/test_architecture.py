"""The layers of ARCHITECTURE.md hold in the code: a lower layer never imports a higher one.

The layers are listed once, in the table of ARCHITECTURE.md; this test reads that table.
Imports are read from the source (every ``import``/``from ... import``, inside functions too,
and ``importlib.import_module("crmlab....")`` with a literal name), so a lazy import that
would break the layering counts like any other.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "crmlab"
#: Not in a layer: the lazy facade (it only names submodules) and the doctest configuration.
OUTSIDE = {"crmlab", "crmlab.conftest"}


def layers_of(text: str) -> list[tuple[str, list[str]]]:
    """The rows of ARCHITECTURE.md's layer table, lowest first: (layer, module names)."""
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and re.match(r"^\d+ ", cells[0]):
            rows.append((cells[0], re.findall(r"`([\w.]+)`", cells[1])))
    return sorted(rows, key=lambda row: int(row[0].split()[0]))


def modules_of(package: Path = PACKAGE) -> dict[str, Path]:
    """Every module of crmlab by its dotted name."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The crmlab modules one module imports, anywhere in its source."""
    found = set()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != "crmlab":
                continue
            for alias in node.names:  # `from crmlab import datasets` imports crmlab.datasets
                sub = f"{module}.{alias.name}"
                found.add(sub if sub in known else module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "crmlab"}
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and str(node.args[0].value).split(".")[0] == "crmlab"
        ):
            found.add(node.args[0].value)
    return found - {name}


def layer_index(layers: list[tuple[str, list[str]]]) -> dict[str, int]:
    """Each listed name (module or package) to the position of its layer, lowest 0."""
    index = {}
    for position, (_layer, names) in enumerate(layers):
        for short in names:
            full = f"crmlab.{short}"
            assert full not in index, f"{short} is in two layers of ARCHITECTURE.md"
            index[full] = position
    return index


def layer_of(module: str, index: dict[str, int]) -> int | None:
    """The layer of a module: its own entry, or that of the package it is in."""
    parts = module.split(".")
    for end in range(len(parts), 1, -1):
        prefix = ".".join(parts[:end])
        if prefix in index:
            return index[prefix]
    return None


@pytest.fixture(scope="module")
def layers():
    return layers_of((ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8"))


def test_the_table_lists_the_five_layers_of_the_design(layers):
    assert [layer for layer, _ in layers] == [
        "1 data contract",
        "2 analytics",
        "3 presentation",
        "4 teaching",
        "5 runners",
    ]


def test_every_module_is_in_exactly_one_layer(layers):
    index = layer_index(layers)
    modules = set(modules_of()) - OUTSIDE
    unplaced = sorted(m for m in modules if layer_of(m, index) is None)
    assert not unplaced, f"modules in no layer of ARCHITECTURE.md (add them to its table): {unplaced}"
    stale = sorted(n for n in index if n not in modules)
    assert not stale, f"ARCHITECTURE.md lists modules that do not exist: {stale}"


def test_no_module_imports_a_higher_layer(layers):
    index = layer_index(layers)
    modules = modules_of()
    known = set(modules)
    upward = []
    for name, path in modules.items():
        if name in OUTSIDE:
            continue
        mine = layer_of(name, index)
        for dep in sorted(imports_of(name, path, known)):
            theirs = layer_of(dep, index)
            if dep not in OUTSIDE and theirs is not None and mine is not None and theirs > mine:
                upward.append(f"{name} ({layers[mine][0]}) imports {dep} ({layers[theirs][0]})")
    assert not upward, "imports against the layers:\n" + "\n".join(upward)


def test_the_import_reader_sees_lazy_relative_and_dynamic_imports(tmp_path):
    # The rule above is only as good as this reader: prove it on a module made for it.
    pkg = tmp_path / "crmlab"
    (pkg / "plots").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "rfm.py").write_text("")
    (pkg / "plots" / "__init__.py").write_text("")
    (pkg / "plots" / "_x.py").write_text(
        "import importlib\n"
        "def f():\n    from crmlab import rfm\n    from .. import rfm as again\n"
        "    from . import _y\n    importlib.import_module('crmlab.grade')\n"
    )
    modules = modules_of(pkg)
    assert set(modules) == {"crmlab", "crmlab.rfm", "crmlab.plots", "crmlab.plots._x"}
    got = imports_of("crmlab.plots._x", modules["crmlab.plots._x"], set(modules) | {"crmlab.plots._y"})
    assert got == {"crmlab.rfm", "crmlab.plots._y", "crmlab.grade"}


def test_an_upward_import_is_reported(layers):
    # A made-up analytics module that imports the case-study runner must be caught.
    index = layer_index(layers)
    assert layer_of("crmlab.rfm", index) < layer_of("crmlab.casestudy", index)
    assert layer_of("crmlab.checks.ch04_rfm", index) == layer_of("crmlab.checks", index)
    assert layer_of("crmlab.nope", index) is None


def test_importing_the_lower_layers_loads_nothing_above_them(layers):
    # What the source says, checked at run time too: importing every module of layers 1-3
    # (as the analytics' users do) must not load a teaching or runner module.
    index = layer_index(layers)
    low = [m for m in modules_of() if m not in OUTSIDE and (layer_of(m, index) or 0) <= 2]
    high = [m for m in index if index[m] >= 3]
    code = (
        "import importlib, sys\n"
        f"for m in {low!r}: importlib.import_module(m)\n"
        f"high = {high!r}\n"
        "print(sorted(m for m in sys.modules if any(m == h or m.startswith(h + '.') for h in high)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", f"loaded from a higher layer: {out.stdout}"


def test_the_picture_shows_the_layers_in_the_tables_order(layers):
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    picture = text.split("```", 2)[1]
    positions = [picture.index(layer) for layer, _ in layers]
    assert positions == sorted(positions, reverse=True), "the picture draws the highest layer on top"
    for _layer, names in layers:
        for short in names:
            assert re.search(rf"(?<![\w.]){re.escape(short)}(?![\w.])", picture), f"{short} is not in the picture"
