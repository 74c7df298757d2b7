"""Figures for CRM in practice (客户关系管理实践): the KPI dashboard as small multiples.

Draws the result of :func:`crmlab.dashboard.kpi_history` and returns the Axes.
"""

from __future__ import annotations

import textwrap
from typing import Any, Sequence

__all__ = ["plot_kpi_dashboard", "plot_crm_triangle"]

#: The KPIs drawn by default: one per question a manager asks of the customer base.
DEFAULT_DASHBOARD_KPIS: tuple[str, ...] = (
    "active_customers",
    "revenue_per_active",
    "top20_share",
    "churn_rate",
    "mean_clv",
    "at_risk",
    "nps",
    "complaints_resolved",
    "acquisition_cost",
    "share_of_wallet",
)

_SHARES = {"top20_share", "retention_rate", "churn_rate", "complaints_resolved", "share_of_wallet"}


def plot_kpi_dashboard(
    history: Any, *, kpis: Sequence[str] | None = None, ncols: int = 3, mark: Any = None, axes: Any = None
):
    """Small multiples: one panel per KPI over the ``as_of`` dates of a KPI history.

    Parameters
    ----------
    history : the result of :func:`crmlab.dashboard.kpi_history`.
    kpis : the KPIs to draw (default :data:`DEFAULT_DASHBOARD_KPIS`; KPIs that are
        all NaN, such as NPS without surveys, are skipped).
    ncols : panels per row.
    mark : one of the ``as_of`` dates, marked with a vertical line in every panel.
    axes : an array of at least as many Axes as panels, or a Figure to lay the
        panels out on (it is cleared); a new figure if ``None``.

    Returns
    -------
    The numpy array of Axes (one per panel, unused ones hidden).
    """
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    from crmlab._validate import CRMDataError

    labels, units = history.attrs.get("labels", {}), history.attrs.get("units", {})
    wanted = list(kpis) if kpis is not None else [k for k in DEFAULT_DASHBOARD_KPIS if k in history.columns]
    missing = [k for k in wanted if k not in history.columns]
    if missing:
        raise CRMDataError(f"parameter 'kpis': {missing} are not in the history; it has {list(history.columns)}.")
    shown = [k for k in wanted if history[k].notna().any()]
    if not shown:
        raise CRMDataError("table 'history': every KPI asked for is NaN; nothing to draw.")
    ncols = max(1, min(int(ncols), len(shown)))
    nrows = -(-len(shown) // ncols)
    size = (3.6 * ncols, 2.6 * nrows)
    if axes is None:
        _, axes = plt.subplots(nrows, ncols, figsize=size, squeeze=False, sharex=True)
    elif isinstance(axes, Figure):  # lay the panels out on the given figure
        axes.clf()
        axes.set_size_inches(*size)
        axes = axes.subplots(nrows, ncols, squeeze=False, sharex=True)
    axes = np.asarray(axes).ravel()
    if len(axes) < len(shown):
        raise CRMDataError(f"parameter 'axes': {len(shown)} panels need as many Axes, got {len(axes)}.")
    dates = pd.DatetimeIndex(history.index)
    x = np.arange(len(dates))
    step = max(1, -(-len(dates) // 5))
    for i, (ax, k) in enumerate(zip(axes, shown)):
        ax.plot(x, history[k].to_numpy(float), marker="o", ms=4, color="#0072B2")
        if mark is not None and pd.Timestamp(mark) in dates:
            ax.axvline(dates.get_loc(pd.Timestamp(mark)), color="#D55E00", lw=1.5, alpha=0.7)
        ax.set_xticks(x[::step], [d.strftime("%b %Y") for d in dates[::step]])
        ax.set_title("\n".join(textwrap.wrap(labels.get(k, k), 34)), fontsize=10)  # long labels wrap
        ax.set_ylabel(units.get(k, "").replace("share 0-1", "%"), fontsize=8)
        if k in _SHARES:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        # counts, amounts and shares start at zero, so a small change does not look like a collapse
        lo, hi = ax.get_ylim()
        lo, hi = min(lo, 0.0), max(hi, 0.0)
        pad = 0.06 * (hi - lo)  # headroom, so no marker is cut by the frame
        ax.set_ylim(lo if lo == 0 else lo - pad, hi + pad)
        ax.set_xlim(-0.4, len(x) - 0.6)
        ax.tick_params(axis="both", labelsize=8)
        ax.tick_params(axis="x", labelrotation=30)
        bottom = i + ncols >= len(shown)  # no panel below: this one shows the dates
        ax.xaxis.set_tick_params(labelbottom=bottom)
        ax.set_xlabel("as of (end of the KPI year)" if bottom else "", fontsize=8)
    for ax in axes[len(shown) :]:
        ax.set_visible(False)
    fig = axes[0].figure
    name = history.attrs.get("dataset", "")
    fig.suptitle(
        f"CRM dashboard{' - ' + name if name else ''}: KPIs over the twelve months to each date",
        fontsize=12,
        fontweight="bold",
    )
    fig.tight_layout()
    return axes


def plot_crm_triangle(*, ax: Any = None) -> Any:
    """The CRM triangle (chapter 01): philosophy, implementation and technology around the customer.

    The course defines CRM on three sides at once -- a customer-centred philosophy (理念),
    its implementation in processes and people (实施), and the information technology that
    supports both (技术); none of them alone is CRM. Returns the Axes.

    Examples
    --------
    >>> ax = plot_crm_triangle()
    >>> ax.get_title()
    'The CRM triangle'
    """
    from crmlab.plots._common import new_axes

    ax = new_axes(ax, (6, 4.6))
    corners = [(0.0, 0.0), (1.0, 0.0), (0.5, 0.87), (0.0, 0.0)]
    ax.fill(*zip(*corners), alpha=0.12)
    ax.plot(*zip(*corners), lw=3)
    ax.text(0.12, 0.51, "Philosophy\n(customer-centred idea)", rotation=60, ha="center", va="center")
    ax.text(0.88, 0.51, "Implementation\n(processes, people)", rotation=-60, ha="center", va="center")
    ax.text(0.5, -0.09, "Technology (information systems, CRM software)", ha="center", va="center")
    ax.text(0.5, 0.3, "the\ncustomer", ha="center", va="center", fontsize=14, fontweight="bold")
    ax.set(title="The CRM triangle", xlim=(-0.15, 1.15), ylim=(-0.18, 0.95), aspect="equal")
    ax.axis("off")
    return ax
