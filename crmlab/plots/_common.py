"""Shared drawing helpers (绘图辅助) for the figure modules of :mod:`crmlab.plots`.

Every plot function takes ``ax=None`` and draws into a new figure when it is not
given; :func:`new_axes` is that one rule, with the size each figure wants. Shares
(0-1) are shown as percentages with :func:`percent_axis`; grids of cells
(R x F, cohorts, lift, profiles) are drawn by :func:`heatmap`. Okabe & Ito (2008) give
the colour-blind-safe colours the modules use.
"""
from __future__ import annotations

from typing import Any

__all__: list[str] = []  # helpers for the plot modules; not re-exported by crmlab.plots


def new_axes(ax: Any = None, size: tuple[float, float] | None = None) -> Any:
    """``ax`` itself, or the Axes of a new figure of ``size`` inches (``None``: the rcParams size).

    Examples
    --------
    >>> ax = new_axes(size=(5.0, 3.0))
    >>> ax.figure.get_size_inches().tolist()
    [5.0, 3.0]
    >>> new_axes(ax) is ax
    True
    """
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=size)[1]


def percent_axis(*axes: Any) -> None:
    """Show shares (0-1) on the given axes (``ax.xaxis``, ``ax.yaxis``) as percentages.

    Examples
    --------
    >>> ax = new_axes()
    >>> percent_axis(ax.yaxis)
    >>> ax.yaxis.get_major_formatter().format_pct(0.25, 1.0)
    '25%'
    """
    from matplotlib.ticker import PercentFormatter

    for axis in axes:
        axis.set_major_formatter(PercentFormatter(1.0))


def label(ax: Any, title: str, xlabel: str, ylabel: str) -> Any:
    """Set the title and both axis labels; return ``ax``.

    Examples
    --------
    >>> label(new_axes(), "Sales", "month", "revenue (currency units)").get_ylabel()
    'revenue (currency units)'
    """
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def text_colour(image: Any, value: float) -> str:
    """``"white"`` where ``value`` is drawn in a dark colour of ``image``'s colour map, else ``"black"``.

    Uses the cell colour's luminance (0.299 R + 0.587 G + 0.114 B), so it works
    for diverging maps, dark at both ends, as well as for sequential ones.

    Examples
    --------
    >>> ax = new_axes()
    >>> im = ax.imshow([[0.0, 1.0]], cmap="Blues", vmin=0, vmax=1)
    >>> text_colour(im, 0.0), text_colour(im, 1.0)
    ('black', 'white')
    """
    r, g, b, _ = image.cmap(image.norm(value))
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black"


def heatmap(ax: Any, values: Any, *, colorbar: str, cmap: str, fmt: str | None = None, fontsize: float = 8,
            colorbar_kw: dict | None = None, **imshow: Any) -> Any:
    """Draw a 2-D array as a grid of coloured cells on ``ax``; return the image.

    The style's grid lines are turned off (they would cut through the cells),
    the colour bar is labelled ``colorbar`` (say the unit there), missing
    values (NaN) are left blank and, with ``fmt``, every other cell shows its
    value, in white on dark cells and black on light ones (:func:`text_colour`).
    Further keyword arguments go to ``ax.imshow`` (``vmin``, ``aspect``, ...).

    Examples
    --------
    >>> ax = new_axes()
    >>> im = heatmap(ax, [[0.0, 1.0], [float("nan"), 0.5]], colorbar="share of customers", cmap="Blues",
    ...              fmt=".1f", vmin=0, vmax=1)
    >>> [(t.get_text(), t.get_color()) for t in ax.texts]
    [('0.0', 'black'), ('1.0', 'white'), ('0.5', 'black')]
    >>> any(line.get_visible() for line in ax.get_xgridlines() + ax.get_ygridlines())
    False
    >>> im.colorbar.ax.get_ylabel()
    'share of customers'
    """
    import numpy as np

    v = np.asarray(values, dtype=float)
    image = ax.imshow(np.ma.masked_invalid(v), cmap=cmap, **imshow)
    ax.figure.colorbar(image, ax=ax, label=colorbar, **(colorbar_kw or {}))
    ax.grid(False)
    if fmt is not None:
        for (i, j), x in np.ndenumerate(v):
            if np.isfinite(x):
                ax.text(j, i, format(x, fmt), ha="center", va="center", fontsize=fontsize,
                        color=text_colour(image, x))
    return image
