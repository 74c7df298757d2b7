"""Real-browser tests: the workbook opened as the README says, in JupyterLab inside headless Chromium.

JupyterLab is started with the Quickstart's command line (``crmlab.bootstrap.lab_command``:
the repository's top folder is served) from this test's own Python environment on 127.0.0.1
(free port, fresh config, token, autosave off); Debian's Chromium is driven with Playwright
(never ``playwright install``: the system browser is used). A student's first steps are
checked: a chapter's link to its exercises opens the exercise notebook (a server rooted in
``notebooks/`` would answer it with "File Load Error"), and a chapter with widgets runs - the
CLV chapter when it exists, otherwise a small fixture with the same kind of widget (a slider
driving a figure and a text readout). The tests need ``/usr/bin/chromium``
(``apt-get install -y chromium``; ``.ci/run`` installs it) and skip without it.
"""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import pytest

from browser_driver import CHROMIUM, LabServer, follow_exercise_link, run_in_browser

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


def test_a_chapter_link_opens_its_exercise_in_the_workbook_as_the_readme_opens_it():
    """Served as the Quickstart serves it, chapter 04's Exercises link opens exercises/student/04_rfm.ipynb."""
    server = LabServer(ROOT / "notebooks" / "04_rfm.ipynb").start()
    try:
        assert server.root == ROOT, "the browser test must serve the repository, as the README's lab command does"
        seen = follow_exercise_link(server, "04_rfm")
    finally:
        server.stop()
    assert "/exercises/student/04_rfm.ipynb" in seen["href"], seen["href"]  # resolved from ../exercises/...
    assert seen["something_opened"] and not seen["errors"], f"following the link failed: {seen}"
    assert "exercises/student/04_rfm.ipynb" in seen["url"], seen["url"]
    assert any("exercises/student/04_rfm.ipynb" in t for t in seen["tab_titles"]), seen["tab_titles"]
    assert seen["front_text"].startswith("04 · Exercises"), f"the exercise did not open: {seen['front_text'][:200]!r}"
    assert server.proc.poll() is not None


def test_the_link_check_fails_when_only_notebooks_is_served():
    """The old Quickstart served notebooks/ alone; the same check must see that the exercise does not open."""
    server = LabServer(ROOT / "notebooks" / "04_rfm.ipynb", served=ROOT / "notebooks").start()
    try:
        seen = follow_exercise_link(server, "04_rfm", timeout_s=20, chapter_path="04_rfm.ipynb")
    finally:
        server.stop()
    opened = any("exercises/student/04_rfm.ipynb" in t for t in seen["tab_titles"]) and seen["front_text"].startswith(
        "04 · Exercises"
    )
    assert not opened, seen
    assert seen["errors"] or not seen["something_opened"], seen


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
    assert (after["images"] != before["images"]) or (after["output_text"] != before["output_text"]), (
        "moving the slider did not change the figure or the text output"
    )
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


def test_nothing_is_written_into_the_repository(session):
    """Served as the Quickstart serves it, the test still leaves the workbook untouched (no checkpoints)."""
    written = [
        p
        for folder in ("notebooks", "exercises", "tests", "datasets")
        for p in (ROOT / folder).glob("**/.ipynb_checkpoints/*")
    ]
    assert not written, f"written into the repository: {written}"


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
