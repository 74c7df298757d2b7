"""Real-browser test: a chapter with widgets runs in JupyterLab inside headless Chromium.

JupyterLab is started from this test's own Python environment on 127.0.0.1
(free port, fresh config, token); Debian's Chromium is driven with Playwright
(never ``playwright install``: the system browser is used). The notebook is the
CLV chapter when it exists, otherwise a small fixture with the same kind of
widget (a slider driving a figure and a text readout). The test needs
``/usr/bin/chromium`` (``apt-get install -y chromium``; ``.ci/run`` installs it)
and skips without it.
"""
from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import pytest

from browser_driver import CHROMIUM, LabServer, run_in_browser

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "notebooks" / "05_customer_lifetime_value.ipynb"
FIXTURE = ROOT / "tests" / "fixtures" / "widget_demo.ipynb"
NOTEBOOK = CHAPTER if CHAPTER.exists() else FIXTURE

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} not found: install Debian's Chromium (apt-get install -y chromium) to run the browser test",
)


@pytest.fixture(scope="module")
def session():
    """Run the notebook once in the browser; yield what was observed and the stopped server."""
    t0 = time.monotonic()
    server = LabServer(NOTEBOOK).start()
    try:
        observed = run_in_browser(server, timeout_s=90)
    finally:
        server.stop()
    observed["total_s"] = time.monotonic() - t0
    return observed, server


def test_figures_and_slider_render(session):
    observed, _ = session
    before = observed["before"]
    assert before["images"], f"no PNG figure rendered in {NOTEBOOK.name}"
    assert all(src.startswith("data:image/png;base64,") and len(src) > 1000 for src in before["images"])
    assert before["sliders"] >= 1, "no ipywidgets slider rendered"
    assert before["readouts"] and before["readouts"][0].strip(), "slider shows no value"
    assert before["errors"] == [], f"cells wrote to stderr: {before['errors']}"


def test_moving_the_slider_changes_the_output(session):
    observed, _ = session
    before, after = observed["before"], observed["after"]
    assert after["readouts"][0] != before["readouts"][0], "the slider did not move"
    assert (after["images"] != before["images"]) or (after["output_text"] != before["output_text"]), \
        "moving the slider did not change the figure or the text output"
    assert after["errors"] == []
    if NOTEBOOK == FIXTURE:
        # The fixture prints the customers left after 10 periods: 100 * r**10.
        # Before: r = 0.70 -> 100 * 0.7**10 = 2.82..., shown as 2.8.
        assert before["output_text"] == ["retention 70%: 2.8 of 100 customers left after 10 periods\n"]
        value = int(after["readouts"][0])
        assert value > 70
        expected = f"retention {value}%: {100 * (value / 100) ** 10:.1f} of 100 customers left after 10 periods"
        assert after["output_text"][0].strip() == expected
        assert after["images"] != before["images"]


def test_arrow_keys_on_the_focused_handle_move_the_slider(session):
    observed, _ = session
    after, keys = observed["after"], observed["after_keys"]
    assert keys["readouts"][0] != after["readouts"][0]
    assert (keys["images"] != after["images"]) or (keys["output_text"] != after["output_text"])
    if NOTEBOOK == FIXTURE:
        # two ArrowLeft presses, step 5: the value falls by 10
        value = int(keys["readouts"][0])
        assert value == int(after["readouts"][0]) - 10
        assert keys["output_text"][0].startswith(f"retention {value}%: {100 * (value / 100) ** 10:.1f} of 100")


def test_server_is_gone_afterwards(session):
    # Speed is not asserted here (machines are noisy); the browser driver has its own time limit.
    observed, server = session
    assert server.proc.poll() is not None, "the JupyterLab server is still running"
    with socket.socket() as s:  # nothing listens on its port any more
        assert s.connect_ex(("127.0.0.1", server.port)) != 0
    assert not server.home.exists()


def test_skip_reason_names_the_browser():
    mark = pytestmark
    assert re.search(r"/usr/bin/chromium not found: install", mark.kwargs["reason"])
