"""Drive a notebook in JupyterLab inside headless Chromium (used by test_browser.py).

Starts JupyterLab from the running Python environment on 127.0.0.1 with a
fresh configuration, a free port and a token; opens one notebook in the
system's Chromium through Playwright; runs all cells; reports what rendered;
moves the first slider; reports what changed. Only the server this module
started is stopped, by its own process id.

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
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
# JupyterLab settings for a quiet, non-writing session: no news or update toast,
# and no autosave (the notebook is a copy anyway).
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
    """A JupyterLab server on localhost serving a temporary copy of one notebook."""

    notebook: Path
    token: str = "crmlab-browser-test"
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    home: Path | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/lab/tree/{self.notebook.name}?reset&token={self.token}"

    def start(self, timeout: float = 90.0) -> "LabServer":
        self.home = Path(tempfile.mkdtemp(prefix="crmlab-lab-"))
        root = self.home / "root"
        settings = self.home / "settings"
        root.mkdir()
        settings.mkdir()
        shutil.copy(self.notebook, root / self.notebook.name)
        (settings / "overrides.json").write_text(json.dumps(LAB_OVERRIDES))
        env = dict(os.environ,
                   JUPYTER_CONFIG_DIR=str(self.home / "config"),
                   JUPYTER_RUNTIME_DIR=str(self.home / "runtime"),
                   JUPYTER_DATA_DIR=str(self.home / "data"),
                   JUPYTER_PLATFORM_DIRS="1",
                   PYTHONDONTWRITEBYTECODE="1")
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={self.port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
               "--ServerApp.ip=127.0.0.1", "--allow-root", f"--ServerApp.root_dir={root}",
               "--LabApp.news_url=None", f"--LabApp.app_settings_dir={settings}"]
        self.log = self.home / "server.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(cmd, env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
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
        "errors": front.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts(),
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
                has_text=re.compile(r"^(?!No Kernel).+ \| Idle$")).first.wait_for(timeout=ms)
            timings["kernel_ready"] = time.monotonic() - t0
            page.locator(".lm-MenuBar-itemLabel:text-is('Run')").click()
            page.locator(".lm-Menu-itemLabel:text-is('Run All Cells')").click()
            front = page.locator(FRONT)
            front.locator(SLIDER).first.wait_for(timeout=ms)
            front.locator(PNG).first.wait_for(timeout=ms)
            # wait for the run to finish: no cell shows the busy prompt [*]
            page.wait_for_function(
                """sel => ![...document.querySelectorAll(sel + ' .jp-InputArea-prompt')]
                         .some(p => p.textContent.includes('*'))""", arg=FRONT, timeout=ms)
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
    return {"before": before, "after": after, "after_keys": after_keys, "timings": timings,
            "moved_by": moved_by}


if __name__ == "__main__":  # pragma: no cover - manual use
    nb = Path(sys.argv[1])
    shot = sys.argv[2] if len(sys.argv) > 2 else None
    with LabServer(nb) as srv:
        res = run_in_browser(srv, screenshot=shot)
    for k in ("before", "after", "after_keys"):
        res[k]["images"] = [s[:40] + "..." for s in res[k]["images"]]
    print(json.dumps(res, indent=1, ensure_ascii=False))
