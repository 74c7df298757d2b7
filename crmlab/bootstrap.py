"""Set the workbook up and start it: the two Quickstart commands.

Run from the top folder of the workbook with any Python 3.11+ (only the standard
library is used here, so it works before anything is installed)::

    python3 -m crmlab.bootstrap lab      # set up (first time) and open JupyterLab at the start notebook
    python3 -m crmlab.bootstrap test     # set up (first time) and run the whole test suite

Both create a project-local virtual environment in ``.venv/`` and install the
pinned versions of ``constraints.txt`` (stored notebook outputs depend on the
pandas and matplotlib versions) plus crmlab itself in editable mode. A second run
reuses the environment: it reinstalls only when ``pyproject.toml`` or
``constraints.txt`` changed. Other actions:

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
VENV = ROOT / ".venv"
CONSTRAINTS = ROOT / "constraints.txt"
STAMP = VENV / ".crmlab-installed"
START_NOTEBOOK = "notebooks/00_start_here.ipynb"
# Quiet JupyterLab: no news pop-up, no update checks (also keeps screenshots clean).
LAB_OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}
}


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


def _run(cmd: list, **kw) -> None:
    result = subprocess.run([str(c) for c in cmd], **kw)
    if result.returncode != 0:
        raise SystemExit(f"[crmlab] this step failed (exit {result.returncode}): {' '.join(map(str, cmd))}")


def setup() -> Path:
    """Create ``.venv`` if needed and install the pinned environment; return its python."""
    if sys.version_info < (3, 11):
        raise SystemExit(f"[crmlab] Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
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
    _run([py, "-m", "pip", "install", *quiet, "--disable-pip-version-check", "-c", CONSTRAINTS, "-e", f"{ROOT}[dev]"])
    settings = VENV / "share" / "jupyter" / "lab" / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "overrides.json").write_text(json.dumps(LAB_OVERRIDES, indent=2) + "\n")
    STAMP.write_text(fingerprint + "\n")
    say("environment ready")
    return py


def open_lab(extra: list[str]) -> None:
    py = setup()
    jupyter = py.parent / "jupyter"
    say(f"opening JupyterLab at {START_NOTEBOOK} (stop it with Ctrl+C) ...")
    os.chdir(ROOT)
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in extra:
        say("running as root (a container?): passing --allow-root to JupyterLab")
        extra = ["--allow-root", *extra]
    os.execv(str(jupyter), [str(jupyter), "lab", START_NOTEBOOK, *extra])


def run_tests(extra: list[str]) -> None:
    py = setup()
    os.chdir(ROOT)
    say("running the test suite: unit tests, doctests, notebooks (nbval), exercises, case studies, browser ...")
    os.execv(str(py), [str(py), "-m", "pytest", *extra])


def kernel() -> None:
    py = setup()
    _run([py, "-m", "ipykernel", "install", "--user", "--name", "crmlab", "--display-name", "Python 3 (crmlab)"])
    say("added the kernel 'Python 3 (crmlab)' to your own Jupyter")


def lock() -> None:
    """Resolve the newest versions pyproject.toml allows and write them to constraints.txt."""
    with tempfile.TemporaryDirectory() as tmp:
        env = Path(tmp) / "env"
        venv.EnvBuilder(with_pip=True).create(env)
        py = venv_python(env)
        _run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", f"{ROOT}[dev]"])
        frozen = subprocess.run([str(py), "-m", "pip", "freeze", "--exclude", "crmlab"],
                                capture_output=True, text=True, check=True).stdout
    lines = sorted(l for l in frozen.splitlines() if l and not l.startswith(("crmlab", "-e ")))
    CONSTRAINTS.write_text(
        "# Pinned versions for the workbook's own environment (python3 -m crmlab.bootstrap lock).\n"
        "# Stored notebook outputs were made with these; refresh, rerun the notebooks, commit both.\n"
        + "\n".join(lines) + "\n"
    )
    say(f"wrote {CONSTRAINTS.name} ({len(lines)} packages)")


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    action = args.pop(0) if args else "lab"
    actions = {"lab": lambda: open_lab(args), "test": lambda: run_tests(args), "setup": setup,
               "kernel": kernel, "lock": lock}
    if action not in actions:
        raise SystemExit(f"[crmlab] unknown action {action!r}; use one of: {', '.join(actions)}")
    actions[action]()


if __name__ == "__main__":
    main()
