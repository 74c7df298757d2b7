"""Shared drawing helpers (绘图辅助) for the figure modules of :mod:`crmlab.plots`.

Every plot function takes ``ax=None`` and draws into a new figure when it is not
given; :func:`new_axes` is that one rule, with the size each figure wants. Shares
(0-1) are shown as percentages with :func:`percent_axis`. Okabe & Ito (2008) give
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
