"""Figures for the customer lifecycle (客户生命周期) and relationship development (关系发展过程).

Each function draws a result of :mod:`crmlab.lifecycle` or
:mod:`crmlab.relationship` and returns the matplotlib Axes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmlab.plots._common import heatmap, label, legend_outside, new_axes

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = [
    "lifecycle_curve",
    "stage_bar",
    "pattern_curves",
    "stage_io_bars",
    "confusion_heatmap",
    "transition_heatmap",
    "phase_mix_area",
    "cohort_paths",
]

_SIZE = (7.0, 4.2)  # inches, the default figure of this module
_STAGE_COLOURS = {
    "exploration": "#56B4E9",
    "formation": "#009E73",
    "stability": "#0072B2",
    "decline": "#E69F00",
    "ended": "#BBBBBB",
}
_PHASE_COLOURS = {
    "awareness": "#F0E442",
    "exploration": "#56B4E9",
    "expansion": "#009E73",
    "commitment": "#0072B2",
    "dissolution": "#BBBBBB",
}


def _colour(name: str, table: dict[str, str], i: int) -> str:
    from crmlab.style import PALETTE

    return table.get(name, PALETTE[i % len(PALETTE)])


def _heatmap(
    table: "pd.DataFrame", ax: "Axes | None", size: tuple[float, float], fmt: str, cmap: str, unit: str
) -> "Axes":
    """A table as an annotated heatmap (rows down, columns across) whose colour bar says ``unit``."""
    ax = new_axes(ax, size)
    heatmap(
        ax,
        table.to_numpy(),
        colorbar=unit,
        cmap=cmap,
        fmt=fmt,
        fontsize=9,
        colorbar_kw={"fraction": 0.046, "pad": 0.04},
        aspect="auto",
        vmin=0,
    )
    ax.set_xticks(range(table.shape[1]), list(map(str, table.columns)), rotation=30, ha="right")
    ax.set_yticks(range(table.shape[0]), list(map(str, table.index)))
    return ax


def lifecycle_curve(
    history: "pd.DataFrame", customer: Any = None, *, customer_col: str = "customer_id", ax: "Axes | None" = None
) -> "Axes":
    """One customer's relationship level over time, with the lifecycle stages as coloured bands.

    ``history`` is a :func:`crmlab.lifecycle.stage_history` result; ``customer``
    picks the customer (default: the first one).
    """
    import pandas as pd
    from matplotlib.patches import Patch

    if customer is None:
        customer = history[customer_col].iloc[0]
    h = history[history[customer_col] == customer]
    if h.empty:
        raise ValueError(f"customer {customer!r} is not in the history")
    ax = new_axes(ax, _SIZE)
    x = h["period"].to_numpy()
    stages = h["stage"].astype(str).to_numpy()
    start = 0
    for i in range(1, len(h) + 1):
        if i == len(h) or stages[i] != stages[start]:
            left = x[start] - (x[1] - x[0] if len(x) > 1 else 0) if start == 0 else x[start - 1]
            ax.axvspan(left, x[i - 1], color=_STAGE_COLOURS.get(stages[start], "#DDDDDD"), alpha=0.25, lw=0)
            start = i
    ax.bar(
        h["period"] - pd.Timedelta(days=14),
        h["spend"].to_numpy(),
        width=pd.Timedelta(days=24),
        color="#777777",
        alpha=0.7,
        label="spend in month",
        zorder=2,
    )
    ax.plot(x, h["level"], color="black", lw=2, label="relationship level (rolling mean)", zorder=3)
    present = [s for s in _STAGE_COLOURS if s in set(stages)]
    handles = [Patch(color=_STAGE_COLOURS[s], alpha=0.4, label=s) for s in present]
    legend_outside(ax, handles=ax.get_legend_handles_labels()[0] + handles, fontsize=8)
    ax.set_title(f"Customer lifecycle of {customer}")
    ax.set_xlabel("month")
    ax.set_ylabel("spend (currency units per month)")
    return ax


def stage_bar(stages: "pd.DataFrame", *, column: str = "stage", ax: "Axes | None" = None) -> "Axes":
    """Number of customers in each lifecycle stage (a :func:`classify_stages` result)."""
    from crmlab.lifecycle import STAGES

    counts = stages[column].astype(str).value_counts().reindex(list(STAGES), fill_value=0)
    ax = new_axes(ax, _SIZE)
    ax.bar(counts.index, counts.to_numpy(), color=[_STAGE_COLOURS[s] for s in counts.index])
    for i, v in enumerate(counts.to_numpy()):
        ax.text(i, v, f"{v:,}", ha="center", va="bottom", fontsize=9)
    as_of = stages.attrs.get("as_of")
    ax.set_title("Customers by lifecycle stage" + (f" as of {as_of.date()}" if hasattr(as_of, "date") else ""))
    ax.set_xlabel("stage")
    ax.set_ylabel("customers")
    return ax


def pattern_curves(trajectories: "pd.DataFrame", *, ax: "Axes | None" = None) -> "Axes":
    """Average relationship level by month since the first order for each pattern A-D (and active).

    ``trajectories`` is a :func:`crmlab.lifecycle.pattern_trajectories` result.
    """
    names = {"A": "A early abort", "B": "B midway", "C": "C early exit", "D": "D long-kept", "active": "active"}
    ax = new_axes(ax, _SIZE)
    for i, col in enumerate(trajectories.columns):
        ax.plot(
            trajectories.index,
            trajectories[col],
            lw=2,
            label=names.get(str(col), str(col)),
            ls="--" if col == "active" else "-",
            color=_colour(str(col), {}, i),
        )
    legend_outside(ax, title="pattern")
    ax.set_title("Lifecycle patterns: average trajectory")
    ax.set_xlabel(trajectories.attrs.get("unit", "months since first order"))
    ax.set_ylabel(f"mean {trajectories.attrs.get('value', 'spend')} (per customer and month)")
    return ax


def stage_io_bars(io: "pd.DataFrame", *, per: str = "customer", ax: "Axes | None" = None) -> "Axes":
    """Cost (input) and gross margin (output) per customer in each stage (:func:`stage_input_output`)."""
    import numpy as np

    if per not in ("customer", "customer_month"):
        raise ValueError("per must be 'customer' or 'customer_month'")
    div = io["customers"] if per == "customer" else io["customer_months"]
    div = div.replace(0, np.nan)
    x = np.arange(len(io))
    ax = new_axes(ax, _SIZE)
    bottom = np.zeros(len(io))
    for col, colour, name in (
        ("acquisition_cost", "#D55E00", "acquisition"),
        ("service_cost", "#CC79A7", "service"),
        ("marketing_cost", "#E69F00", "marketing"),
    ):
        v = (io[col] / div).fillna(0).to_numpy()
        ax.bar(x - 0.2, v, width=0.4, bottom=bottom, color=colour, label=f"cost: {name}")
        bottom += v
    ax.bar(x + 0.2, (io["gross_margin"] / div).fillna(0).to_numpy(), width=0.4, color="#0072B2", label="gross margin")
    ax.set_xticks(x, list(io.index))
    ax.axhline(0, color="black", lw=0.8)
    ax.legend(fontsize=8)
    ax.set_title("Input and output by lifecycle stage")
    ax.set_xlabel("stage")
    ax.set_ylabel(f"currency units per {per.replace('_', '-')}")
    return ax


def confusion_heatmap(recovery: Any, *, ax: "Axes | None" = None) -> "Axes":
    """Confusion matrix of predicted against true lifecycle patterns (:func:`pattern_recovery`)."""
    ax = _heatmap(recovery.confusion, ax, (6.0, 4.8), ".0f", "Blues", "customers")
    return label(
        ax,
        f"Pattern recovery: accuracy {recovery.accuracy:.0%} (ended: {recovery.accuracy_ended:.0%})",
        "predicted pattern",
        "true pattern",
    )


def transition_heatmap(tm: Any, *, ax: "Axes | None" = None) -> "Axes":
    """Transition probabilities between phases (a :class:`TransitionMatrix` or a square DataFrame)."""
    ax = _heatmap(getattr(tm, "probabilities", tm), ax, (6.4, 5.0), ".2f", "Greens", "transition probability (0-1)")
    return label(ax, f"Phase transitions per {getattr(tm, 'period', 'period')}", "to phase", "from phase")


def phase_mix_area(mix: "pd.DataFrame", *, ax: "Axes | None" = None) -> "Axes":
    """Stacked area of the phase mix over time (:func:`project_mix` or :func:`phase_mix`).

    The x axis is labelled with the time unit the mix states (``attrs["period"]``),
    counted from the phase the cohort started in when :func:`phase_mix` found one.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab.relationship import phase_mix
    >>> h = pd.DataFrame({"customer_id": ["a", "b", "a", "b"], "period": [0, 0, 1, 1],
    ...                   "phase": ["awareness", "awareness", "exploration", "dissolution"]})
    >>> phase_mix_area(phase_mix(h, period="period", unit="month")).get_xlabel()
    'months since awareness'
    """
    import numpy as np

    ax = new_axes(ax, _SIZE)
    cols = list(mix.columns)
    ax.stackplot(
        np.asarray(mix.index),
        mix.to_numpy().T,
        labels=cols,
        colors=[_colour(str(c), _PHASE_COLOURS, i) for i, c in enumerate(cols)],
        alpha=0.9,
    )
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9)
    total = mix.sum(axis=1)
    shares = bool(np.allclose(total.to_numpy(), 1.0))
    ax.set_ylabel("share of customers" if shares else "customers")
    unit, start = mix.attrs.get("period", "period"), mix.attrs.get("start")
    if mix.index.name == "step":  # project_mix: steps of the chain
        ax.set_xlabel(f"{unit}s from start")
    elif start:  # phase_mix of a cohort that started together
        ax.set_xlabel(f"{unit}s since {start}")
    else:
        column = str(mix.index.name or "period")
        ax.set_xlabel(column if column == unit else f"{column} ({unit}s)")
    ax.set_title("Relationship phase mix over time")
    ax.margins(x=0)
    return ax


def cohort_paths(
    sim: "pd.DataFrame",
    *,
    max_customers: int = 60,
    customer: str = "customer_id",
    period: str = "period",
    phase: str = "phase",
    ax: "Axes | None" = None,
) -> "Axes":
    """Each simulated customer's phase path as one row of coloured cells (:func:`simulate_cohort`)."""
    import numpy as np
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    from crmlab.relationship import PHASES

    ids = sim[customer].drop_duplicates().iloc[:max_customers]
    sub = sim[sim[customer].isin(ids)]
    grid = sub.pivot(index=customer, columns=period, values=phase)
    cats = list(PHASES)
    codes = np.vectorize(lambda v: cats.index(str(v)) if str(v) in cats else -1)(grid.to_numpy())
    ax = new_axes(ax, _SIZE)
    cmap = ListedColormap([_PHASE_COLOURS[c] for c in cats])
    ax.imshow(
        np.ma.masked_less(codes, 0),
        cmap=cmap,
        vmin=0,
        vmax=len(cats) - 1,
        aspect="auto",
        interpolation="nearest",
        extent=(grid.columns.min() - 0.5, grid.columns.max() + 0.5, len(grid), 0),
    )
    ax.legend(
        handles=[Patch(color=_PHASE_COLOURS[c], label=c) for c in cats],
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        fontsize=9,
    )
    ax.set_title(f"Simulated cohort: {len(grid)} customers' relationship phases")
    ax.set_xlabel(f"{sim.attrs.get('period', 'period')} since awareness")
    ax.set_ylabel("customer")
    ax.set_yticks([])
    ax.grid(False)
    return ax
