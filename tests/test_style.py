"""Tests for crmlab.style: the workbook's plot style is applied, complete and idempotent."""

from __future__ import annotations

import io
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from crmlab import style  # noqa: E402
from crmlab._validate import CRMDataError  # noqa: E402


@pytest.fixture(autouse=True)
def restore_rcparams():
    with matplotlib.rc_context():
        yield
    plt.close("all")


def test_use_sets_the_workbook_rcparams():
    style.use()
    rc = matplotlib.rcParams
    assert rc["figure.dpi"] == 100 and rc["savefig.dpi"] == 100
    assert rc["savefig.bbox"] == "tight" and rc["savefig.format"] == "png"
    assert rc["axes.prop_cycle"].by_key()["color"] == list(style.PALETTE)
    assert rc["font.sans-serif"][0] == "DejaVu Sans"
    assert rc["axes.titlesize"] == 13 and rc["axes.labelsize"] == 11
    assert rc["axes.spines.top"] is False and rc["axes.spines.right"] is False
    assert rc["axes.grid"] is True  # seaborn's whitegrid theme
    assert rc["axes.facecolor"] == "white"


def test_use_is_idempotent_and_independent_of_earlier_settings():
    style.use()
    first = dict(matplotlib.rcParams)
    style.use()
    assert dict(matplotlib.rcParams) == first
    matplotlib.rcParams.update({"figure.dpi": 300, "lines.linewidth": 7, "axes.grid": False, "font.size": 30})
    style.use()
    assert dict(matplotlib.rcParams) == first


def test_use_returns_what_it_set():
    settings = style.use(dpi=150)
    assert settings["figure.dpi"] == 150 == matplotlib.rcParams["savefig.dpi"]
    for key, value in settings.items():
        if key != "axes.prop_cycle":
            # matplotlib stores lists for tuple and for font-family values
            expected = matplotlib.rcParams.validate[key](value)
            assert matplotlib.rcParams[key] == expected, key


@pytest.mark.parametrize("bad", [0, 10_000, "high", None])
def test_bad_dpi_is_refused(bad):
    with pytest.raises(CRMDataError, match="parameter 'dpi'"):
        style.use(dpi=bad)


def test_palette_is_distinct_hex_colours():
    assert len(set(style.PALETTE)) == len(style.PALETTE) == 8
    assert all(matplotlib.colors.is_color_like(c) and c.startswith("#") for c in style.PALETTE)


def test_an_english_figure_renders_without_warnings_at_100_dpi():
    style.use()
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([1, 2, 3], [3, 1, 2], label="customers")
    ax.set(title="Customers by month", xlabel="month", ylabel="customers (count)")
    ax.legend()
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.savefig(buf)
    png = buf.getvalue()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert fig.canvas.get_width_height() == (400, 300)  # 4 x 3 inches at 100 dpi
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert 300 < width <= 420 and 250 < height <= 330  # savefig trims to the drawn area ("tight")
    assert ax.lines[0].get_color() == style.PALETTE[0]


def test_same_figure_same_bytes():
    """Deterministic: the same plot under the style gives identical PNG bytes."""

    def render():
        style.use()
        fig, ax = plt.subplots()
        ax.bar(["A", "B", "C"], [5, 3, 1])
        ax.set(title="Revenue by class", xlabel="ABC class", ylabel="revenue (currency units)")
        buf = io.BytesIO()
        fig.savefig(buf, metadata={"Software": None})
        plt.close(fig)
        return buf.getvalue()

    assert render() == render()
