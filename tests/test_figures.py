"""Every figure of every chapter meets the readable-figure standard (written down in crmlab.style).

Each chapter's code cells are run here, in order, in one namespace with matplotlib's Agg
backend; every figure a cell shows is measured with ``crmlab.plots._common.figure_problems``:
legends over data, overlapping tick labels, text outside the figure, raw column names,
offset notation, cut markers. What a program cannot judge (is a colour map diverging for
signed values, is an axis of amounts zero-based) is asserted for the figures that need it.
"""

from __future__ import annotations

import ast
import functools
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from crmlab.plots._common import figure_problems, legend_outside, series_colours  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@functools.lru_cache(maxsize=2)
def run_chapter(name):
    """Run a chapter's code cells in order.

    Returns (figures, widgets): (cell index, figure problems) for every figure shown, and
    (cell index, readout text) for every widget a cell ends with - the text of its HTML and
    Label parts as the reader first sees it.
    """
    import ipywidgets

    cells = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
    found, widgets, current = [], [], {"cell": None}

    def show(*_a, **_k):
        for num in plt.get_fignums():
            fig = plt.figure(num)
            found.append((current["cell"], figure_problems(fig)))
        plt.close("all")

    namespace = {"display": lambda *a, **k: None, "__name__": "__chapter__"}
    original = plt.show
    plt.show = show
    try:
        for i, cell in enumerate(cells):
            if cell["cell_type"] != "code":
                continue
            current["cell"] = i
            source = "".join(cell["source"])
            source = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
            tree = ast.parse(source)
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            exec(compile(tree, f"{name} cell {i}", "exec"), namespace)  # noqa: S102 - the chapter's own code
            if last is not None:
                result = eval(compile(ast.Expression(last.value), f"{name} cell {i}", "eval"), namespace)  # noqa: S307
                if isinstance(result, ipywidgets.Widget):
                    widgets.append((i, _readout_text(result)))
            show()
    finally:
        plt.show = original
        plt.close("all")
    return found, widgets


def _readout_text(widget) -> str:
    """The text of a widget's HTML and Label parts (its readout), tags removed."""
    import re

    import ipywidgets

    texts = []
    if isinstance(widget, (ipywidgets.HTML, ipywidgets.Label)):
        texts.append(re.sub(r"<[^>]+>", " ", widget.value))
    for child in getattr(widget, "children", ()):
        texts.append(_readout_text(child))
    return " ".join(t for t in texts if t.strip())


def chapter_figures(name):
    return run_chapter(name)[0]


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_figure_of_the_chapter_is_readable(name):
    figures = chapter_figures(name)
    assert figures, f"{name}: no figure was drawn"
    bad = [f"cell {cell}: {p}" for cell, problems in figures for p in problems]
    assert not bad, f"{name}: figures that break the standard of crmlab.style:\n" + "\n".join(bad)


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_widget_opens_with_the_chapter_numbers(name):
    """A widget's first readout states numbers the chapter's own stored outputs show (same rounding rule
    as the prose, tests/test_prose_numbers.py): a slider grid that rounds the chapter's inputs shows up here."""
    sys.path.insert(0, str(ROOT / "tests"))
    import test_prose_numbers as prose

    cells = prose._cells(name)
    for index, text in run_chapter(name)[1]:
        values = set()
        for i, cell in enumerate(cells):
            if cell["cell_type"] == "code" and i != index:
                values |= prose.output_numbers(prose.output_text(cell))
        stray = [n["text"] for n in prose.prose_numbers(text, name) if not prose.backed(n, values)]
        assert not stray, (
            f"{name} cell {index}: the widget opens with {stray}, numbers no other output of the "
            f"chapter shows (readout: {text[:300]!r})"
        )


# ------------------------------------------------------------------ the checker can fail


def _fresh():
    from crmlab import style

    style.use()
    return plt.subplots()


def test_a_legend_over_a_line_is_found_and_one_outside_is_not():
    fig, ax = _fresh()
    ax.plot(np.arange(10), np.arange(10), label="revenue")
    ax.legend(loc="center")
    assert any("legend covers" in p for p in figure_problems(fig))
    legend_outside(ax)
    assert not any("legend covers" in p for p in figure_problems(fig))
    plt.close(fig)


def test_a_legend_over_bars_is_found():
    fig, ax = _fresh()
    ax.bar(range(4), [8, 8, 8, 8], label="customers")
    ax.legend(loc="upper left")
    assert any("legend covers" in p for p in figure_problems(fig))
    plt.close(fig)


def test_overlapping_tick_labels_are_found():
    fig, ax = _fresh()
    labels = [f"a long category name {i}" for i in range(12)]
    ax.bar(labels, range(12))
    assert any("tick labels overlap" in p for p in figure_problems(fig))
    plt.close(fig)


def test_slanted_tick_labels_are_measured_as_slanted():
    """Long labels at 30 degrees that do not touch are accepted; squeezed together they are found."""
    fig, ax = _fresh()
    ax.bar(["current customers", "cohort 1", "cohort 2", "customer equity"], [5, 1, 1, 7])
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    assert not any("tick labels overlap" in p for p in figure_problems(fig))
    ax.clear()
    ax.bar([f"cohort number {i}" for i in range(40)], range(40))
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    assert any("tick labels overlap" in p for p in figure_problems(fig))
    plt.close(fig)


def test_raw_column_names_and_offsets_are_found():
    fig, ax = _fresh()
    ax.plot([1e6, 2e6, 3e6], label="share_cat_kitchen")
    ax.set_ylabel("mean_order_value")
    ax.set_yticks([1.0e6 + 1, 1.0e6 + 2])
    ax.legend(loc="lower right")
    problems = " | ".join(figure_problems(fig))
    assert "y label 'mean_order_value' is a column name" in problems
    assert "legend entry 'share_cat_kitchen'" in problems
    assert "offset" in problems
    plt.close(fig)


def test_text_outside_the_figure_and_cut_markers_are_found():
    fig, ax = _fresh()
    ax.plot([0, 1, 2], [0, 1, 2], "o-")
    ax.set_xlim(0, 2)
    ax.text(5, 1, "far away label")
    problems = " | ".join(figure_problems(fig))
    assert "runs outside the figure" in problems and "cut by the axes' edge" in problems
    plt.close(fig)


def test_text_over_a_marker_and_text_spilling_out_of_its_bar_are_found():
    fig, ax = _fresh()
    ax.scatter([1, 2], [1, 2])
    ax.text(1, 1, "label on its point", ha="center", va="center")
    ax.barh([5], [0.2], left=1.4)
    ax.text(1.5, 5, "a label much wider than its narrow bar", ha="center", va="center")
    problems = " | ".join(figure_problems(fig))
    assert "written over a marker" in problems and "spills out of the bar" in problems
    plt.close(fig)


def test_twelve_series_from_the_default_cycle_are_found_and_series_colours_fix_them():
    fig, ax = _fresh()
    for i in range(12):
        ax.plot([0, 1], [i, i + 1], label=f"cohort {i + 1}")
    legend_outside(ax)
    assert any("look the same" in p for p in figure_problems(fig))
    for line, colour in zip(ax.get_lines(), series_colours(12, ordered=True)):
        line.set_color(colour)
    legend_outside(ax)
    assert not any("look the same" in p for p in figure_problems(fig))
    plt.close(fig)


def test_bars_on_a_cut_axis_are_found():
    fig, ax = _fresh()
    ax.bar(["a", "b"], [62.5, 64.1])
    ax.set_ylim(62, 65)
    assert any("bars on an axis that does not start at 0" in p for p in figure_problems(fig))
    ax.set_ylim(0, 70)
    assert not any("bars on an axis" in p for p in figure_problems(fig))
    plt.close(fig)


def test_an_axis_of_shares_that_does_not_start_at_zero_is_found():
    fig, ax = _fresh()
    ax.plot([2022, 2023, 2024], [0.625, 0.641, 0.63])
    ax.set_ylabel("revenue share of the top 20% (%)")
    assert any("does not start at 0" in p for p in figure_problems(fig))
    ax.set_ylim(0, 1)
    assert not any("does not start at 0" in p for p in figure_problems(fig))
    plt.close(fig)


def test_twelve_series_get_twelve_distinguishable_colours():
    from matplotlib.colors import to_rgb

    for ordered in (False, True):
        rgb = np.array([to_rgb(c) for c in series_colours(12, ordered=ordered)])
        distance = np.sqrt(((rgb[:, None] - rgb[None]) ** 2).sum(-1))
        assert distance[np.triu_indices(12, 1)].min() > 0.05


def test_profit_heatmap_of_chapter_04_uses_a_diverging_scale_centred_on_zero():
    """Signed values (profit) must not share one sequential colour ramp (rule 7)."""
    from crmlab import datasets, plots, profitability, rfm

    b2b = datasets.load("b2b")
    scores = rfm.score(rfm.rfm_table(b2b.orders, as_of=b2b.as_of, customer="account_id"))
    costs = profitability.activity_based_profit(b2b.orders, b2b.activities, b2b.activity_rates)
    with_cost = rfm.rfm_with_cost(scores, costs["cost_to_serve"], margin=costs["gross_margin"])
    ax = plots.plot_rfm_heatmap(with_cost, value="profit")
    image = ax.images[0]
    assert image.cmap.name.startswith(("RdBu", "coolwarm", "PuOr", "BrBG"))
    lo, hi = image.norm.vmin, image.norm.vmax
    assert lo < 0 < hi and abs(lo + hi) < 1e-9 * max(abs(lo), 1)
    plt.close("all")
