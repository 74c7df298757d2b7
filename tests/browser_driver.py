"""Drive the workbook in JupyterLab inside headless Chromium (used by test_browser.py).

Starts JupyterLab the way the README's Quickstart does - the command line of
``crmlab.bootstrap.lab_command``, which serves the repository's top folder - from
the running Python environment on 127.0.0.1, with a fresh configuration, a free
port, a token and autosave off (nothing in the repository is written). Then, in
the system's Chromium through Playwright, it either runs a chapter (all cells,
what rendered, the first slider moved, what changed) or follows a chapter's link
to its exercises and reports what opened. Only the server this module started is
stopped, by its own process id.

Run it by hand to look at a notebook (writes a screenshot)::

    python tests/browser_driver.py notebooks/05_customer_lifetime_value.ipynb shot.png
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# JupyterLab settings for a quiet, non-writing session: no news or update toast,
# and no autosave (the repository itself is served: nothing may be written to it).
LAB_OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
}
FRONT = ".jp-NotebookPanel:not(.lm-mod-hidden)"
PNG = "img[src^='data:image/png']"
SLIDER = ".jupyter-widgets.widget-slider"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LabServer:
    """A JupyterLab server on localhost serving the workbook as the README's Quickstart does.

    ``notebook`` is the notebook to open, a path inside the repository. The server's root is
    the repository's top folder (``crmlab.bootstrap.lab_command``), so the chapters' relative
    links to ``exercises/``, ``datasets/README.md`` and ``README.md`` resolve as for a student.
    """

    notebook: Path
    token: str = "crmlab-browser-test"
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    home: Path | None = None
    log: Path | None = None
    root: Path | None = None
    extra: list = field(default_factory=list)  # further JupyterLab options
    served: Path | None = None  # None: the Quickstart's root (the repository); a folder: serve that instead

    def url_of(self, path: str | Path) -> str:
        """The JupyterLab address that opens ``path`` (relative to the served root)."""
        return f"http://127.0.0.1:{self.port}/lab/tree/{Path(path).as_posix()}?reset&token={self.token}"

    @property
    def url(self) -> str:
        return self.url_of(Path(self.notebook).resolve().relative_to(self.root))

    def start(self, timeout: float = 90.0) -> "LabServer":
        from crmlab import bootstrap

        self.root = bootstrap.ROOT if self.served is None else Path(self.served)
        self.home = Path(tempfile.mkdtemp(prefix="crmlab-lab-"))
        settings = self.home / "settings"
        settings.mkdir()
        (settings / "overrides.json").write_text(json.dumps(LAB_OVERRIDES))
        root = self.root
        env = dict(
            os.environ,
            JUPYTER_CONFIG_DIR=str(self.home / "config"),
            JUPYTER_RUNTIME_DIR=str(self.home / "runtime"),
            JUPYTER_DATA_DIR=str(self.home / "data"),
            JUPYTER_PLATFORM_DIRS="1",
            PYTHONDONTWRITEBYTECODE="1",
        )
        jupyter = Path(sys.executable).parent / "jupyter"
        options = [
            "--no-browser",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            "--ServerApp.ip=127.0.0.1",
            "--allow-root",
            "--LabApp.news_url=None",
            f"--LabApp.app_settings_dir={settings}",
            # opening a notebook writes a checkpoint; keep it out of the repository
            f"--FileCheckpoints.checkpoint_dir={self.home / 'checkpoints'}",
            *self.extra,
        ]
        cmd = (
            bootstrap.lab_command(jupyter, options)
            if self.served is None
            else [str(jupyter), "lab", f"--ServerApp.root_dir={self.root}", *options]
        )
        self.log = self.home / "server.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                cmd, env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        status = f"http://127.0.0.1:{self.port}/api/status?token={self.token}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(status, timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise TimeoutError(f"JupyterLab did not answer on port {self.port} within {timeout:.0f} s")

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the server we started (its own process group) and wait until it has exited."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=timeout)
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> "LabServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _outputs(page) -> dict:
    """What the front notebook shows: figures, widget-output text, slider readouts."""
    front = page.locator(FRONT)
    return {
        "images": [front.locator(PNG).nth(i).get_attribute("src") for i in range(front.locator(PNG).count())],
        "output_text": front.locator(".widget-output").all_inner_texts(),
        "readouts": front.locator(f"{SLIDER} .widget-readout").all_inner_texts(),
        "sliders": front.locator(SLIDER).count(),
        "errors": front.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
        ).all_inner_texts(),
    }


def _press(handle, key: str, times: int) -> None:
    handle.focus()
    for _ in range(times):
        handle.press(key)


def _settled(page, reference: dict, timeout_s: float) -> dict:
    """The outputs once they differ from ``reference`` and stay unchanged for a second.

    The kernel redraws once per intermediate slider value, so the first change seen
    may not be the last.
    """
    deadline = time.monotonic() + timeout_s
    current, since = _outputs(page), time.monotonic()
    while time.monotonic() < deadline:
        page.wait_for_timeout(200)
        now = _outputs(page)
        if now != current:
            current, since = now, time.monotonic()
        elif current != reference and time.monotonic() - since >= 1.0:
            break
    return current


def run_in_browser(server: LabServer, *, screenshot: str | Path | None = None, timeout_s: float = 45) -> dict:
    """Open the server's notebook, run all cells, move the first slider; return observations.

    Returns a dict with ``before`` (after Run All), ``after`` (the slider dragged
    towards its right end), ``after_keys`` (then two ArrowLeft presses on the
    focused handle) - each as in :func:`_outputs` -, ``timings`` in seconds since
    the start, and ``moved_by`` ("drag", or "keyboard" when the drag did not move it).
    """
    from playwright.sync_api import sync_playwright

    t0 = time.monotonic()
    timings = {}
    ms = int(timeout_s * 1000)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(server.url, timeout=ms)
            page.locator(FRONT).wait_for(timeout=ms)
            # The status bar names the kernel and says Idle once a kernel really exists.
            page.locator(".jp-StatusBar-TextItem").filter(
                has_text=re.compile(r"^(?!No Kernel).+ \| Idle$")
            ).first.wait_for(timeout=ms)
            timings["kernel_ready"] = time.monotonic() - t0
            page.locator(".lm-MenuBar-itemLabel:text-is('Run')").click()
            page.locator(".lm-Menu-itemLabel:text-is('Run All Cells')").click()
            front = page.locator(FRONT)
            front.locator(SLIDER).first.wait_for(timeout=ms)
            front.locator(PNG).first.wait_for(timeout=ms)
            # wait for the run to finish: no cell shows the busy prompt [*]
            page.wait_for_function(
                """sel => ![...document.querySelectorAll(sel + ' .jp-InputArea-prompt')]
                         .some(p => p.textContent.includes('*'))""",
                arg=FRONT,
                timeout=ms,
            )
            timings["run_all"] = time.monotonic() - t0
            before = _outputs(page)

            slider = front.locator(SLIDER).first
            slider.scroll_into_view_if_needed()
            handle = slider.locator(".noUi-handle").first
            track = slider.locator(".noUi-target, .slider").first
            box_h, box_t = handle.bounding_box(), track.bounding_box()
            moved_by = "drag"
            page.mouse.move(box_h["x"] + box_h["width"] / 2, box_h["y"] + box_h["height"] / 2)
            page.mouse.down()
            page.mouse.move(box_t["x"] + box_t["width"] * 0.9, box_h["y"] + box_h["height"] / 2, steps=8)
            page.mouse.up()
            readout = slider.locator(".widget-readout").first
            for key in ("ArrowRight", "ArrowLeft"):  # a handle already at the far end moves back
                if readout.inner_text() != before["readouts"][0]:
                    break
                moved_by = "keyboard"
                _press(handle, key, 3)
            after = _settled(page, before, timeout_s / 2)
            timings["slider_moved"] = time.monotonic() - t0
            # Then the keyboard: arrows on the focused handle step the slider.
            _press(handle, "ArrowLeft", 2)
            after_keys = _settled(page, after, timeout_s / 2)
            timings["keys_pressed"] = time.monotonic() - t0
            if screenshot:
                page.screenshot(path=str(screenshot), full_page=False)
        finally:
            browser.close()
    return {"before": before, "after": after, "after_keys": after_keys, "timings": timings, "moved_by": moved_by}


def follow_exercise_link(
    server: LabServer, chapter: str, *, timeout_s: float = 60, chapter_path: str | None = None
) -> dict:
    """Open ``notebooks/<chapter>.ipynb``, click its link to ``exercises/student/<chapter>.ipynb``, report.

    Returns ``href`` (the link as the chapter renders it), ``url`` (the address JupyterLab shows
    afterwards), ``front_text`` (the first cells of the notebook in front), ``tab_titles`` and
    ``errors`` (error dialogs, e.g. "File Load Error") and ``something_opened`` (False when neither a
    tab for the exercise nor a dialog appeared within ``timeout_s``).
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    ms = int(timeout_s * 1000)
    target = f"exercises/student/{chapter}.ipynb"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(server.url_of(chapter_path or f"notebooks/{chapter}.ipynb"), timeout=ms)
            page.locator(FRONT).wait_for(timeout=ms)
            link = page.locator(FRONT).locator(f"a[href*='exercises/student/{chapter}.ipynb']").first
            link.wait_for(state="attached", timeout=ms)
            href = link.get_attribute("href")
            link.scroll_into_view_if_needed()
            link.click()
            waited = True
            try:
                page.wait_for_function(
                    """([sel, target]) => {
                        const tabs = [...document.querySelectorAll('.lm-TabBar-tab.lm-mod-current')];
                        return tabs.some(t => (t.getAttribute('title') || '').includes(target))
                            || document.querySelector('.jp-Dialog') !== null;
                    }""",
                    arg=[FRONT, target],
                    timeout=ms,
                )
            except PlaywrightTimeout:  # nothing opened: reported below, the caller decides
                waited = False
            page.locator(FRONT).locator(".jp-Cell").first.wait_for(timeout=ms)
            front_text = page.locator(FRONT).locator(".jp-Cell").first.inner_text()
            tabs = [t.get_attribute("title") or "" for t in page.locator(".lm-TabBar-tab").all()]
            errors = page.locator(".jp-Dialog").all_inner_texts()
            url = page.url
        finally:
            browser.close()
    return {
        "href": href,
        "url": url,
        "front_text": front_text,
        "tab_titles": tabs,
        "errors": errors,
        "something_opened": waited,
    }


if __name__ == "__main__":  # pragma: no cover - manual use
    nb = Path(sys.argv[1])
    shot = sys.argv[2] if len(sys.argv) > 2 else None
    with LabServer(nb) as srv:
        res = run_in_browser(srv, screenshot=shot)
    for k in ("before", "after", "after_keys"):
        res[k]["images"] = [s[:40] + "..." for s in res[k]["images"]]
    print(json.dumps(res, indent=1, ensure_ascii=False))
