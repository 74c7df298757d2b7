"""Set the workbook up and start it: the two Quickstart commands.

Run from the top folder of the workbook with any Python 3.11+ (only the standard
library is used here, so it works before anything is installed)::

    python3 -m crmlab.bootstrap lab      # set up (first time) and open JupyterLab at the start notebook
    python3 -m crmlab.bootstrap test     # set up (first time) and run the whole test suite

Both create a project-local virtual environment in ``.venv/`` and install the
pinned versions of ``constraints.txt`` (stored notebook outputs depend on the
pandas and matplotlib versions) plus crmlab itself in editable mode with every
extra (``crmlab[all]``: widgets, teaching tools, JupyterLab, tests). A second run
reuses the environment: it reinstalls only when ``pyproject.toml`` or
``constraints.txt`` changed. ``lab`` serves the whole workbook (chapters, exercises,
datasets, README) and opens the start notebook. This module works only in a clone
of the workbook; an installed crmlab (``pip install crmlab``) refuses it politely.
Other actions:

    python3 -m crmlab.bootstrap kernel   # register .venv as a Jupyter kernel for a Jupyter that lives elsewhere
    python3 -m crmlab.bootstrap lock     # refresh constraints.txt from the newest allowed versions
    python3 -m crmlab.bootstrap setup    # only set up
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: What makes ROOT a clone of the workbook (an installed crmlab has none of these beside it).
CHECKOUT_MARKERS = ("pyproject.toml", "constraints.txt", "notebooks", "exercises", "datasets")
#: The extra that holds everything the workbook itself uses (pyproject.toml).
EVERYTHING = "all"
#: The oldest Python every pin of constraints.txt installs on (numpy 2.4 needs 3.11; Debian 12 has 3.11.2,
#: so no pin may need a later 3.11 release: soupsieve stays below 3, which needs 3.11.5).
MIN_PYTHON = (3, 11)
#: Where constraints.txt installs the same versions: these platforms (uv's target names)
#: with these Python versions. tests/test_setup.py resolves the lock for every pair.
#: Linux with glibc 2.28 or newer (Debian 10+, Ubuntu 20.04+, RHEL 8+); Apple-silicon macOS.
#: Not Intel macOS: argon2-cffi-bindings (under JupyterLab) has no wheel for it.
PLATFORMS = ("x86_64-manylinux_2_28", "aarch64-manylinux_2_28", "aarch64-apple-darwin")
PYTHONS = ("3.11", "3.12", "3.13")
VENV = ROOT / ".venv"
CONSTRAINTS = ROOT / "constraints.txt"
STAMP = VENV / ".crmlab-installed"
START_NOTEBOOK = "notebooks/00_start_here.ipynb"
# Quiet JupyterLab: no news pop-up, no update checks (also keeps screenshots clean).
LAB_OVERRIDES = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}


def say(msg: str) -> None:
    print(f"[crmlab] {msg}", flush=True)


def venv_python(env: Path = VENV) -> Path:
    return env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _fingerprint() -> str:
    h = hashlib.sha256()
    for path in (ROOT / "pyproject.toml", CONSTRAINTS):
        h.update(path.read_bytes() if path.exists() else b"")
    h.update(sys.version.encode())
    return h.hexdigest()


def check_checkout(root: Path = ROOT) -> None:
    """Refuse politely unless ``root`` is a clone of the workbook (not an installed crmlab)."""
    missing = [name for name in CHECKOUT_MARKERS if not (root / name).exists()]
    if missing:
        raise SystemExit(
            f"[crmlab] `python3 -m crmlab.bootstrap` sets up the workbook from a clone of its repository, "
            f"but this crmlab lives in {root} without {', '.join(missing)} beside it (an installed package?).\n"
            "Clone the workbook and run the command from its top folder; to use crmlab in your own "
            'environment instead, pip install "crmlab[all]" (or just crmlab for the analytics).'
        )


def _run(cmd: list, **kw) -> None:
    result = subprocess.run([str(c) for c in cmd], **kw)
    if result.returncode != 0:
        raise SystemExit(f"[crmlab] this step failed (exit {result.returncode}): {' '.join(map(str, cmd))}")


def setup() -> Path:
    """Create ``.venv`` if needed and install the pinned environment; return its python."""
    if sys.version_info < MIN_PYTHON:
        raise SystemExit(
            f"[crmlab] Python {'.'.join(map(str, MIN_PYTHON))} or newer is needed (the pinned packages "
            f"need it); this is {sys.version.split()[0]}."
        )
    check_checkout()
    py = venv_python()
    if not py.exists():
        say(f"creating the virtual environment {VENV.name}/ ...")
        try:
            venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
        except Exception as exc:  # Debian/Ubuntu without python3-venv
            raise SystemExit(
                f"[crmlab] could not create {VENV}: {exc}\n"
                "On Debian/Ubuntu install the venv module first: sudo apt install python3-venv"
            ) from None
    fingerprint = _fingerprint()
    if STAMP.exists() and STAMP.read_text().strip() == fingerprint:
        say("environment is up to date (.venv/)")
        return py
    say("installing the pinned packages (first run takes a minute) ...")
    quiet = ["-q"] if os.environ.get("CI") else []
    _run(
        [
            py,
            "-m",
            "pip",
            "install",
            *quiet,
            "--disable-pip-version-check",
            "-c",
            CONSTRAINTS,
            "-e",
            f"{ROOT}[{EVERYTHING}]",
        ]
    )
    settings = VENV / "share" / "jupyter" / "lab" / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "overrides.json").write_text(json.dumps(LAB_OVERRIDES, indent=2) + "\n")
    STAMP.write_text(fingerprint + "\n")
    say("environment ready")
    return py


def lab_command(jupyter: Path, extra: list[str]) -> list[str]:
    """The JupyterLab command line: the repository's top folder served, the start notebook opened.

    Naming a file alone would make its folder (notebooks/) the root, and the chapters'
    links to exercises/, datasets/README.md and README.md would lead nowhere.
    """
    return [str(jupyter), "lab", f"--ServerApp.root_dir={ROOT}", str(ROOT / START_NOTEBOOK), *extra]


def open_lab(extra: list[str]) -> None:
    py = setup()
    jupyter = py.parent / "jupyter"
    say(f"opening JupyterLab at {START_NOTEBOOK}, serving {ROOT.name}/ (stop it with Ctrl+C) ...")
    os.chdir(ROOT)
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in extra:
        say("running as root (a container?): passing --allow-root to JupyterLab")
        extra = ["--allow-root", *extra]
    command = lab_command(jupyter, extra)
    os.execv(command[0], command)


def run_tests(extra: list[str]) -> None:
    py = setup()
    os.chdir(ROOT)
    say("running the test suite: unit tests, doctests, notebooks (nbval), exercises, case studies, browser ...")
    os.execv(str(py), [str(py), "-m", "pytest", *extra])


def kernel() -> None:
    py = setup()
    _run([py, "-m", "ipykernel", "install", "--user", "--name", "crmlab", "--display-name", "Python 3 (crmlab)"])
    say("added the kernel 'Python 3 (crmlab)' to your own Jupyter")


def requirements(root: Path = ROOT) -> list[str]:
    """Every requirement of crmlab[all] as pyproject.toml states it (the input of ``lock``)."""
    import tomllib

    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += [r for r in extra if not r.startswith("crmlab")]
    return sorted(set(reqs))


LOCK_HEADER = (
    "# Pinned versions for the workbook's own environment (python3 -m crmlab.bootstrap lock).\n"
    "# Stored notebook outputs were made with these; refresh, rerun the notebooks, commit both.\n"
    "# One version per package for every supported platform (README, Development): a package\n"
    "# that only some platforms or Python versions need is pinned here too (tests/test_setup.py).\n"
)


def resolve_lock(uv: Path, requirements_in: list[str]) -> dict[str, str]:
    """The newest versions the requirements allow, one per package, for every platform at once.

    uv resolves once for all platforms and Python versions (``--universal``), preferring one
    version of a package for all of them over the newest for each; a package that
    only some of them need (appnope on macOS, aiohttp on Python 3.12) is pinned too, so every
    platform installs the same versions. Environment markers are dropped: a constraint only
    applies where the package is needed anyway.
    """
    with tempfile.TemporaryDirectory() as tmp:
        reqs = Path(tmp) / "requirements.in"
        reqs.write_text("\n".join(requirements_in) + "\n")
        # --fork-strategy fewest: one version that suits every Python, rather than the newest for each
        command = [
            str(uv),
            "pip",
            "compile",
            str(reqs),
            "--universal",
            "--python-version",
            PYTHONS[0],
            "--fork-strategy",
            "fewest",
        ]
        out = subprocess.run([*command, "--no-header", "--no-annotate", "--quiet"], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"[crmlab] the lock could not be resolved:\n{out.stderr}")
    pins: dict[str, str] = {}
    for line in out.stdout.splitlines():
        pin = line.split(";")[0].strip()
        if "==" in pin:
            name, version = pin.split("==")
            if pins.get(name, version) != version:
                raise SystemExit(f"[crmlab] {name} resolves to two versions ({pins[name]}, {version}); pin one")
            pins[name] = version
    return pins


def lock() -> None:
    """Resolve the newest versions pyproject.toml allows, for every supported platform, into constraints.txt."""
    py = setup()  # uv comes with the test extra
    pins = resolve_lock(py.parent / "uv", requirements())
    CONSTRAINTS.write_text(LOCK_HEADER + "".join(f"{name}=={pins[name]}\n" for name in sorted(pins, key=str.lower)))
    say(f"wrote {CONSTRAINTS.name} ({len(pins)} packages)")


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    action = args.pop(0) if args else "lab"
    actions = {
        "lab": lambda: open_lab(args),
        "test": lambda: run_tests(args),
        "setup": setup,
        "kernel": kernel,
        "lock": lock,
    }
    if action not in actions:
        raise SystemExit(f"[crmlab] unknown action {action!r}; use one of: {', '.join(actions)}")
    actions[action]()


if __name__ == "__main__":
    main()
