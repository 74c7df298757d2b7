"""Figures for segmentation (客户细分), RFM, customer value (客户价值) and profitability (客户盈利能力).

Each function takes the result of a :mod:`crmlab.segmentation`,
:mod:`crmlab.rfm`, :mod:`crmlab.value` or :mod:`crmlab.profitability`
function and returns the matplotlib Axes. Figure text is English; every axis
states its unit.
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pandas as pd

from crmlab.plots._common import heatmap, legend_outside, new_axes, percent_axis, readable

__all__ = [
    "plot_pareto",
    "plot_lorenz",
    "plot_pyramid",
    "plot_rfm_heatmap",
    "plot_segment_sizes",
    "plot_elbow",
    "plot_segment_profile",
    "plot_offers",
    "plot_whale_curve",
    "plot_profit_comparison",
    "plot_customer_timeline",
]

_BLUE, _ORANGE, _GREEN, _RED, _GREY = "#0072B2", "#E69F00", "#009E73", "#D55E00", "#999999"
_SIZE = (6.4, 4.4)  # inches, the default figure of this module
#: Units of the columns an R x F grid can average (rfm_table, rfm_with_cost).
_RFM_UNITS = {
    "recency_days": "days",
    "frequency": "orders",
    "monetary": "currency units",
    "margin": "currency units",
    "cost_to_serve": "currency units",
    "profit": "currency units",
}


def _percent_axes(ax: Any, xlabel: str, ylabel: str, title: str) -> None:
    percent_axis(ax.xaxis, ax.yaxis)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)


def plot_pareto(pareto: pd.DataFrame, *, mark: float = 0.2, ax: Any = None):
    """Cumulative share of value against share of customers (from :func:`~crmlab.segmentation.pareto_table`).

    The point at ``mark`` (default the top 20% of customers) is annotated with
    the share of value they bring.
    """
    ax = new_axes(ax, _SIZE)
    x = np.concatenate([[0.0], pareto["customer_share"].to_numpy()])
    y = np.concatenate([[0.0], pareto["cumulative_share"].to_numpy()])
    ax.plot(x, y, color=_BLUE, lw=2, label="customers ranked by value")
    ax.plot([0, 1], [0, 1], color=_GREY, ls="--", lw=1, label="all customers equal")
    y_mark = float(np.interp(mark, x, y))
    ax.plot([mark, mark, 0], [0, y_mark, y_mark], color=_ORANGE, lw=1, ls=":")
    ax.scatter([mark], [y_mark], color=_ORANGE, zorder=3)
    ax.annotate(
        f"top {mark:.0%} of customers\nbring {y_mark:.0%} of value",
        (mark, y_mark),
        xytext=(mark + 0.08, max(y_mark - 0.25, 0.05)),
        arrowprops={"arrowstyle": "->"},
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    _percent_axes(
        ax,
        "customers, ranked from most valuable (% of customers)",
        "cumulative value (% of total)",
        "Pareto curve: concentration of customer value",
    )
    ax.legend(loc="lower right")
    return ax


def plot_lorenz(lorenz: pd.DataFrame, *, ax: Any = None):
    """Lorenz curve (from :func:`~crmlab.segmentation.lorenz_curve`) with the Gini coefficient."""
    ax = new_axes(ax, _SIZE)
    x, y = lorenz["customer_share"].to_numpy(), lorenz["value_share"].to_numpy()
    ax.plot(x, y, color=_BLUE, lw=2, label="Lorenz curve")
    ax.fill_between(x, y, x, color=_BLUE, alpha=0.15, label="inequality area")
    ax.plot([0, 1], [0, 1], color=_GREY, ls="--", lw=1, label="perfect equality")
    gini = lorenz.attrs.get("gini")
    title = "Lorenz curve of customer value" + (f" (Gini = {gini:.2f})" if gini is not None else "")
    _percent_axes(ax, "customers, from least to most valuable (% of customers)", "cumulative value (% of total)", title)
    ax.legend(loc="upper left")
    return ax


def plot_pyramid(summary: pd.DataFrame, *, ax: Any = None):
    """Customer pyramid (from :func:`~crmlab.segmentation.tier_summary`), top tier at the top.

    Bar widths are schematic (a pyramid); the label beside each bar gives the
    tier's share of customers and of value, so no label has to fit inside a
    narrow top bar.
    """
    ax = new_axes(ax, (7.4, 4.4))
    tiers = list(summary.index.astype(str))
    n = len(tiers)
    colors = [_BLUE, _ORANGE, _GREEN, _GREY, _RED][:n] + [_GREY] * max(0, n - 5)
    for i, tier in enumerate(tiers):
        width = (i + 1) / n
        level = n - 1 - i
        ax.barh(level, width, left=-width / 2, height=0.9, color=colors[i], alpha=0.85)
        row = summary.iloc[i]
        ax.text(
            0.55,
            level,
            f"{row['customer_share']:.0%} of customers\n{row['value_share']:.0%} of value",
            ha="left",
            va="center",
            fontsize=9,
        )
    ax.set_xlim(-0.52, 1.25)
    ax.set_yticks(range(n), tiers[::-1])
    ax.set_xticks([])
    ax.set(
        xlabel="width is schematic (tier order, not size)",
        ylabel="tier (best at top)",
        title="Customer pyramid: share of customers and of value by tier",
    )
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    return ax


def plot_rfm_heatmap(scores: pd.DataFrame, *, value: str = "monetary", agg: str = "mean", ax: Any = None):
    """R x F grid (from :func:`~crmlab.rfm.score`): ``agg`` of ``value`` per cell, or the customer count.

    The colour bar carries the unit of what the cells show:
    customers (accounts for B2B) for ``agg="count"``, else the unit of
    ``value`` (``scores.attrs["units"]``, or days, orders and currency units
    for the RFM and profit columns). Values that can be negative (profit) are
    drawn on a diverging scale centred on 0, losses red and gains blue, so a
    loss never looks like a small gain.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"R": [5, 5, 1], "F": [5, 4, 1], "RFM": ["555", "545", "111"],
    ...                   "monetary": [900.0, 300.0, 20.0]}, index=pd.Index(["a", "b", "c"], name="customer_id"))
    >>> plot_rfm_heatmap(s).images[0].colorbar.ax.get_ylabel()
    'mean monetary (currency units)'
    >>> plot_rfm_heatmap(s, agg="count").get_title()
    'RFM grid: customers by recency and frequency score'
    >>> s["profit"] = [500.0, -200.0, 10.0]
    >>> im = plot_rfm_heatmap(s, value="profit").images[0]
    >>> im.cmap.name, im.norm.vmin, im.norm.vmax
    ('RdBu', -500.0, 500.0)
    """
    ax = new_axes(ax, _SIZE)
    if agg == "count":
        grid = scores.pivot_table(index="R", columns="F", values="RFM", aggfunc="size", fill_value=0)
        what = label = "accounts" if scores.index.name == "account_id" else "customers"
    else:
        grid = scores.pivot_table(index="R", columns="F", values=value, aggfunc=agg)
        unit = _RFM_UNITS.get(value) or scores.attrs.get("units", {}).get(value)
        what = f"{agg} {value.replace('_', ' ')}"
        label = what + (f" ({unit})" if unit else "")
    grid = grid.sort_index(ascending=False)
    cells = grid.to_numpy(dtype=float)
    if agg != "count" and np.nanmin(cells) < 0:  # signed values (profit): diverging, centred on 0, red = loss
        lim = float(np.nanmax(np.abs(cells)))
        heatmap(ax, cells, colorbar=label, cmap="RdBu", fmt=",.0f", aspect="auto", vmin=-lim, vmax=lim)
    else:
        heatmap(ax, cells, colorbar=label, cmap="Blues", fmt=",.0f", aspect="auto")
    ax.set_xticks(range(grid.shape[1]), grid.columns)
    ax.set_yticks(range(grid.shape[0]), grid.index)
    ax.set(
        xlabel="F score (1 = fewest orders, 5 = most)",
        ylabel="R score (5 = most recent)",
        title=f"RFM grid: {what} by recency and frequency score",
    )
    return ax


def plot_segment_sizes(segments: pd.Series, *, ax: Any = None):
    """Customers per segment (a Series of segment labels, e.g. :func:`~crmlab.rfm.segment`)."""
    ax = new_axes(ax, _SIZE)
    counts = segments.value_counts(sort=False)
    if not isinstance(segments.dtype, pd.CategoricalDtype):
        counts = counts.sort_values()
    ax.barh(counts.index.astype(str), counts.to_numpy(), color=_BLUE)
    for i, v in enumerate(counts.to_numpy()):
        ax.text(v, i, f" {v:,} ({v / counts.sum():.0%})", va="center", fontsize=8)
    ax.set(xlabel="customers (count)", ylabel="segment", title="Segment sizes")
    ax.margins(x=0.2)
    return ax


def plot_elbow(elbow: pd.DataFrame, silhouette: pd.DataFrame | None = None, *, ax: Any = None):
    """Inertia by k (from :func:`~crmlab.segmentation.elbow`), with the silhouette on a second axis."""
    ax = new_axes(ax, _SIZE)
    ax.plot(elbow.index, elbow["inertia"], "o-", color=_BLUE, label="inertia")
    ax.set(
        xlabel="number of segments k",
        ylabel="within-segment sum of squares (standardised units)",
        title="Choosing k: elbow" + (" and silhouette" if silhouette is not None else ""),
    )
    ax.grid(alpha=0.3)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if silhouette is not None:
        ax2 = ax.twinx()
        ax2.plot(silhouette.index, silhouette["silhouette"], "s--", color=_ORANGE, label="silhouette")
        ax2.set_ylabel("mean silhouette (-1 to 1, higher = better separated)")
        lines = ax.get_lines() + ax2.get_lines()
        ax.legend(
            lines,
            [line.get_label() for line in lines],
            loc="lower left",
            bbox_to_anchor=(0.0, 1.08),
            ncol=2,
            borderaxespad=0.0,
        )
    return ax


def plot_segment_profile(result: Any, *, ax: Any = None):
    """Heatmap of segment profiles in z-scores (from :func:`~crmlab.segmentation.kmeans_segments`).

    Accepts the :class:`~crmlab.segmentation.KMeansSegments` result (its
    standardised centres) or any table of segment means (standardised here,
    column by column). Segments are labelled by name alone, wrapped onto
    short lines so that long names do not overlap.

    Examples
    --------
    >>> import pandas as pd
    >>> means = pd.DataFrame({"spend": [10.0, 30.0], "visits": [4.0, 2.0]},
    ...                      index=["convenience seekers", "bargain hunters"])
    >>> [t.get_text().splitlines() for t in plot_segment_profile(means).get_xticklabels()]
    [['convenience', 'seekers'], ['bargain', 'hunters']]
    """
    ax = new_axes(ax, (7.5, 4.4))
    if hasattr(result, "centers"):
        z = result.centers
    else:
        prof = result.drop(columns=[c for c in ("customers", "share") if c in result.columns])
        sd = prof.std(ddof=0).replace(0, 1)
        z = (prof - prof.mean()) / sd
    lim = max(float(np.abs(z.to_numpy()).max()), 1e-9)
    heatmap(
        ax,
        z.to_numpy(dtype=float).T,
        colorbar="segment mean (z-score, standard deviations)",
        cmap="RdBu_r",
        vmin=-lim,
        vmax=lim,
        aspect="auto",
    )
    ax.set_xticks(range(z.shape[0]), [textwrap.fill(str(s), 12) for s in z.index])
    ax.set_yticks(range(z.shape[1]), [readable(c) for c in z.columns])
    ax.set(xlabel="segment", ylabel="feature", title="Segment profiles: how each segment differs from the average")
    return ax


def plot_offers(offers: pd.DataFrame, *, ax: Any = None):
    """Stacked value and cost bars per offer (from :func:`~crmlab.value.compare_offers`)."""
    ax = new_axes(ax, _SIZE)
    vcols, ccols = offers.attrs.get("value_columns"), offers.attrs.get("cost_columns")
    if vcols is None or ccols is None:
        from crmlab.value import COST_COMPONENTS, VALUE_COMPONENTS

        vcols, ccols = list(VALUE_COMPONENTS), list(COST_COMPONENTS)
    x = np.arange(len(offers))
    w = 0.38
    blues = ["#08519c", "#3182bd", "#6baed6", "#bdd7e7"]
    reds = ["#a50f15", "#de2d26", "#fb6a4a", "#fcae91"]
    for side, cols, shift, palette in (("value", vcols, -w / 2, blues), ("cost", ccols, w / 2, reds)):
        bottom = np.zeros(len(offers))
        for i, c in enumerate(cols):
            v = offers[c].to_numpy(dtype=float)
            ax.bar(x + shift, v, w, bottom=bottom, color=palette[i % 4], label=f"{side}: {c}")
            bottom += v
    for xi, dv in zip(x, offers["delivered_value"]):
        top = max(offers["total_customer_value"].iloc[xi], offers["total_customer_cost"].iloc[xi])
        ax.text(xi, top, f"delivered {dv:,.0f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, offers.index.astype(str))
    ax.set(
        xlabel="offer",
        ylabel="value / cost (currency units)",
        title="Customer delivered value: total value (left) vs total cost (right)",
    )
    ax.legend(fontsize=7, ncol=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.margins(y=0.15)
    return ax


def plot_whale_curve(whale: Any, *, ax: Any = None):
    """The whale curve (from :func:`~crmlab.profitability.whale_curve`), peak and loss makers marked."""
    ax = new_axes(ax, _SIZE)
    t = whale.table
    x = np.concatenate([[0.0], t["customer_share"].to_numpy()])
    y = np.concatenate([[0.0], t["cumulative_share"].to_numpy()])
    ax.plot(x, y, color=_BLUE, lw=2, label="cumulative profit")
    ax.axhline(1.0, color=_GREY, ls="--", lw=1, label="100% of total profit")
    ax.scatter([whale.peak_customer_share], [whale.peak_share], color=_ORANGE, zorder=3)
    ax.annotate(
        f"peak: top {whale.peak_customer_share:.0%} of customers\nearn {whale.peak_share:.0%} of profit",
        (whale.peak_customer_share, whale.peak_share),
        xytext=(0.45, whale.peak_share * 0.55 + 0.3),
        arrowprops={"arrowstyle": "->"},
    )
    ax.axvspan(
        1 - whale.share_unprofitable,
        1,
        color=_RED,
        alpha=0.12,
        label=f"loss-making customers ({whale.share_unprofitable:.0%})",
    )
    ax.set_xlim(0, 1)
    _percent_axes(
        ax,
        "customers, ranked from most to least profitable (% of customers)",
        "cumulative profit (% of total profit)",
        "Whale curve of customer profitability",
    )
    ax.legend(loc="lower center")
    return ax


def plot_profit_comparison(traditional: pd.DataFrame, abc: pd.DataFrame, *, ax: Any = None):
    """Profit per customer: traditional allocation (x) against activity-based costing (y).

    Takes :func:`~crmlab.profitability.traditional_allocation` and
    :func:`~crmlab.profitability.activity_based_profit` results. Points below
    the diagonal look better under traditional allocation than they are.
    """
    ax = new_axes(ax, _SIZE)
    both = pd.concat([traditional["profit"].rename("traditional"), abc["profit"].rename("abc")], axis=1).fillna(0.0)
    hidden = (both["traditional"] >= 0) & (both["abc"] < 0)
    ax.scatter(
        both.loc[~hidden, "traditional"], both.loc[~hidden, "abc"], s=14, color=_BLUE, alpha=0.7, label="customers"
    )
    ax.scatter(
        both.loc[hidden, "traditional"],
        both.loc[hidden, "abc"],
        s=18,
        color=_RED,
        label=f"profitable only on paper ({int(hidden.sum())})",
    )
    lo = float(min(both.min().min(), 0))
    hi = float(max(both.max().max(), 0))
    ax.plot([lo, hi], [lo, hi], color=_GREY, ls="--", lw=1, label="same under both")
    ax.axhline(0, color="black", lw=0.6)
    ax.axvline(0, color="black", lw=0.6)
    ax.set(
        xlabel="profit with indirect costs allocated traditionally (currency units)",
        ylabel="profit under activity-based costing (currency units)",
        title="Customer profit: traditional allocation vs ABC",
    )
    from matplotlib.ticker import MaxNLocator, StrMethodFormatter

    ticks = MaxNLocator(6).tick_values(lo, hi)  # round limits, so the losses get labelled ticks too
    ax.set_xlim(ticks[0], ticks[-1])
    ax.set_ylim(ticks[0], ticks[-1])
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MaxNLocator(6))
        axis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    return ax


def plot_customer_timeline(orders: pd.DataFrame, interactions: pd.DataFrame, customer: str, *, ax: Any = None):
    """One customer's orders over time (kept and returned told apart) and complaints, with a legend.

    Takes the ``orders`` and ``interactions`` tables of a dataset (columns ``customer_id``,
    ``order_date``, ``amount``, ``returned``; ``date``, ``kind``). Every legend entry says how
    many of its kind the customer has, so an entry with 0 is visibly empty rather than missing.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b"], "amount": [10.0, 20.0, 5.0],
    ...     "order_date": pd.to_datetime(["2024-01-05", "2024-03-01", "2024-02-01"]),
    ...     "returned": [False, True, False]})
    >>> contacts = pd.DataFrame({"customer_id": ["a"], "date": pd.to_datetime(["2024-02-10"]), "kind": ["complaint"]})
    >>> ax = plot_customer_timeline(orders, contacts, "a")
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['kept order (1)', 'returned order (1)', 'complaint (1)']
    """
    import matplotlib.dates as mdates

    ax = new_axes(ax, (7.6, 4.2))
    mine = orders[orders["customer_id"] == customer]
    kept, returned = mine[~mine["returned"].astype(bool)], mine[mine["returned"].astype(bool)]
    ax.scatter(kept["order_date"], kept["amount"], s=20, color=_BLUE, label=f"kept order ({len(kept)})")
    ax.scatter(
        returned["order_date"],
        returned["amount"],
        s=36,
        marker="x",
        color=_ORANGE,
        label=f"returned order ({len(returned)})",
    )
    complaints = interactions[(interactions["customer_id"] == customer) & (interactions["kind"] == "complaint")]
    for i, day in enumerate(complaints["date"]):
        ax.axvline(day, color=_RED, ls="--", lw=1, label=f"complaint ({len(complaints)})" if i == 0 else None)
    if complaints.empty:
        ax.plot([], [], color=_RED, ls="--", lw=1, label="complaint (0)")
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter("{x:,.0f}")
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=7))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))  # month and year on every tick
    ax.set(title=f"Orders and complaints of customer {customer}", xlabel="date", ylabel="order amount (currency units)")
    legend_outside(ax)
    return ax
