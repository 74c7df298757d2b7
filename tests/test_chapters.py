"""The chapters as a student meets them: all there, in order, complete, stored with outputs.

nbval (run over notebooks/ by the same pytest command) re-executes each chapter and
compares its stored text outputs; this file checks what nbval does not: that every
chapter exists and has the parts a chapter must have.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = [
    "00_start_here",
    "01_what_is_crm",
    "02_customer_value",
    "03_segmentation",
    "04_rfm",
    "05_customer_lifetime_value",
    "06_customer_lifecycle",
    "07_relationship_development",
    "08_satisfaction_and_complaints",
    "09_loyalty_retention_churn",
    "10_acquisition_and_development",
    "11_crm_in_practice",
]
# Chapter 00 is the tour: it has no exercises of its own beyond the warm-up and no Discuss section.
SECTIONS = ["You will learn", "## Discuss", "## Exercises", "## Summary"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def load(name):
    return json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))


def text(nb, kind):
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == kind)


def test_every_chapter_exists_in_order():
    present = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert present == CHAPTERS


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_has_title_objectives_sections_and_chinese_terms(name):
    nb = load(name)
    first = "".join(nb["cells"][0]["source"])
    assert first.startswith(f"# {name[:2]} · "), f"{name}: the first cell must be the title '# {name[:2]} · ...'"
    md = text(nb, "markdown")
    for section in SECTIONS if name != "00_start_here" else ["You will learn", "## Summary"]:
        assert section in md, f"{name}: missing section {section!r}"
    assert CJK.search(md), f"{name}: name the concepts with the course's Chinese terms"
    if name != "00_start_here":
        link = f"exercises/student/{name}.ipynb"
        assert link in md, f"{name}: the Exercises section must link to {link}"
        assert (ROOT / link).exists(), f"{link} does not exist"


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_is_stored_executed_in_order_with_a_figure_and_no_errors(name):
    nb = load(name)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), f"{name}: run top to bottom on a fresh kernel before storing"
    outputs = [o for c in code for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"], f"{name}: stored with an error"
    assert not [o for o in outputs if o.get("name") == "stderr"], f"{name}: stored with warnings on stderr"
    assert any("image/png" in o.get("data", {}) for o in outputs), f"{name}: no figure"


@pytest.mark.parametrize("name", CHAPTERS)
def test_cells_stay_short_and_logic_lives_in_crmlab(name):
    nb = load(name)
    for i, c in enumerate(nb["cells"]):
        if c["cell_type"] == "code":
            src = "".join(c["source"])
            assert len(src.splitlines()) <= 15, f"{name} cell {i}: keep code cells short"
            assert not re.search(r"^\s*(def|class) ", src, flags=re.M), f"{name} cell {i}: define functions in crmlab"


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_relative_link_of_a_chapter_leads_to_a_file(name):
    """Links resolve from the chapter's folder, as JupyterLab resolves them when the repository is served."""
    md = text(load(name), "markdown")
    targets = [t.split("#")[0] for t in re.findall(r"\]\(([^)\s]+)\)", md) if not re.match(r"[a-z]+:", t)]
    missing = [t for t in targets if t and not (ROOT / "notebooks" / t).resolve().exists()]
    assert not missing, f"{name}: links to files that do not exist: {missing}"
