"""Figures for customer lifetime value (客户终身价值), customer equity (客户资产) and the BTYD models.

Each function takes the result of a :mod:`crmlab.clv` function and returns the
matplotlib Axes; the figure text is English and every axis states its unit.
"""

from __future__ import annotations

from typing import Any

from crmlab.plots._common import heatmap, new_axes

__all__ = [
    "plot_clv_curve",
    "plot_clv_table",
    "plot_clv_components",
    "plot_customer_equity",
    "plot_repeat_frequency_check",
    "plot_p_alive_matrix",
    "plot_tracking",
    "plot_calibration_holdout",
    "plot_p_alive_path",
    "plot_model_comparison",
]

_BLUE, _ORANGE, _GREEN, _RED = "#0072B2", "#E69F00", "#009E73", "#D55E00"
_UNIT_WORDS = {"D": "days", "W": "weeks"}


def _unit(result: Any) -> str:
    u = result.attrs.get("time_unit", "W")
    return _UNIT_WORDS.get(u, u)


def plot_clv_curve(curve: Any, *, ax: Any = None):
    """CLV against the retention rate, from :func:`crmlab.clv.clv_curve`.

    Examples
    --------
    >>> from crmlab.clv import clv_curve
    >>> ax = plot_clv_curve(clv_curve(100, 0.1))
    >>> ax.get_xlabel()
    'Retention rate per period'
    """
    ax = new_axes(ax)
    ax.plot(curve["retention"], curve["clv"], color=_BLUE, marker="o", ms=3)
    a = curve.attrs
    horizon = "infinite horizon" if a.get("periods") is None else f"{a['periods']} periods"
    ax.set_title(f"CLV rises steeply with retention (discount {a.get('discount', 0):.0%}, {horizon})")
    ax.set_xlabel("Retention rate per period")
    ax.set_ylabel("CLV (currency units)")
    return ax


def plot_clv_table(table: Any, *, ax: Any = None):
    """Present value per period (bars) and cumulative CLV (line), from :func:`crmlab.clv.clv_table`.

    Examples
    --------
    >>> from crmlab.clv import clv_table
    >>> ax = plot_clv_table(clv_table(100, 0.8, 0.1, 10))
    >>> ax.get_ylabel()
    'Present value (currency units)'
    """
    ax = new_axes(ax)
    ax.bar(table["period"], table["pv"], color=_ORANGE, label="PV of the period")
    ax.plot(table["period"], table["cumulative_pv"], color=_BLUE, marker="o", label="Cumulative PV (CLV so far)")
    a = table.attrs
    ax.set_title(f"CLV period by period (retention {a.get('retention', 0):.0%}, discount {a.get('discount', 0):.0%})")
    ax.set_xlabel("Period")
    ax.set_ylabel("Present value (currency units)")
    ax.legend()
    return ax


def plot_clv_components(components: Any, *, ax: Any = None):
    """Waterfall of the four CLV sources up to the total, from :func:`crmlab.clv.clv_components`.

    Examples
    --------
    >>> from crmlab.clv import clv_components
    >>> ax = plot_clv_components(clv_components(100, 0.8, 0.1, growth_rate=0.02))
    >>> [t.get_text() for t in ax.get_xticklabels()][-1]
    'total CLV'
    """
    ax = new_axes(ax)
    values = components["value"].to_numpy(dtype=float)
    names = [str(n) for n in components.index]
    bottoms = [float(values[:i].sum()) for i in range(len(values))]
    colors = [_BLUE, _GREEN, _ORANGE, "#CC79A7"][: len(values)]
    ax.bar(range(len(values)), values, bottom=bottoms, color=colors)
    total = float(values.sum())
    ax.bar(len(values), total, color="#555555")
    ax.set_xticks(range(len(values) + 1), names + ["total CLV"])
    for i, v in enumerate(list(values) + [total]):
        top = (bottoms[i] + max(v, 0)) if i < len(values) else max(total, 0)
        ax.annotate(f"{v:,.0f}", (i, top), ha="center", va="bottom", fontsize=9)
    ax.set_title("Where a customer's lifetime value comes from")
    ax.set_xlabel("Source of value")
    ax.set_ylabel("Present value (currency units)")
    return ax


def _thousands(ax: Any) -> None:
    """Plain numbers with thousands separators on the y axis (no '1e6' offset)."""
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))


def plot_customer_equity(equity: Any, *, ax: Any = None):
    """Customer equity built up from the current base and each future cohort.

    Takes :func:`crmlab.clv.customer_equity`; bars are present values, stacked
    from left to right, the last bar is the total.

    Examples
    --------
    >>> from crmlab.clv import customer_equity
    >>> ax = plot_customer_equity(customer_equity((100, 50.0), discount=0.1, prospects=50,
    ...                                           acquisition_rate=0.2, acquisition_cost=2, cohorts=3))
    >>> ax.get_title()
    'Customer equity: current base plus future cohorts'
    >>> ax.figure.canvas.draw(); ax.yaxis.get_offset_text().get_text()  # no '1e6' above the axis
    ''
    """
    ax = new_axes(ax)
    pv = equity["present_value"].to_numpy(dtype=float)
    bottoms = [float(pv[:i].sum()) for i in range(len(pv))]
    colors = [_BLUE] + [_GREEN] * (len(pv) - 1)
    ax.bar(range(len(pv)), pv, bottom=bottoms, color=colors)
    ax.bar(len(pv), pv.sum(), color="#555555")
    for i, (b, v) in enumerate(zip(bottoms + [0.0], list(pv) + [pv.sum()])):
        ax.annotate(
            f"{v:,.0f}",
            (i, b + max(v, 0)),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_xticks(range(len(pv) + 1), [str(s) for s in equity.index] + ["customer equity"], rotation=30, ha="right")
    _thousands(ax)
    ax.set_title("Customer equity: current base plus future cohorts")
    ax.set_xlabel("Source (cohorts net of acquisition cost, discounted)")
    ax.set_ylabel("Present value (currency units)")
    return ax


def plot_repeat_frequency_check(check: Any, *, ax: Any = None):
    """Actual vs BG/NBD-expected customers by number of repeat purchases in calibration.

    Takes :func:`crmlab.clv.repeat_frequency_check` (the calibration check of
    Fader, Hardie & Lee 2005, fig. 2).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab.clv import BGNBDResult, repeat_frequency_check
    >>> m = BGNBDResult(0.243, 4.414, 0.793, 2.426, 0.0, 3, "W", True)
    >>> s = pd.DataFrame({"frequency": [0, 1, 2], "recency": [0, 5, 9], "T": [30, 30, 30]})
    >>> ax = plot_repeat_frequency_check(repeat_frequency_check(m, s, max_frequency=2))
    >>> ax.get_ylabel()
    'Number of customers'
    """
    import numpy as np

    ax = new_axes(ax)
    x = np.arange(len(check))
    ax.bar(x - 0.2, check["actual"], width=0.4, color=_BLUE, label="Actual")
    ax.bar(x + 0.2, check["expected"], width=0.4, color=_ORANGE, label="BG/NBD expected")
    ax.set_xticks(x, check["repeat_purchases"])
    ax.set_title("Calibration check: repeat purchases per customer")
    ax.set_xlabel(f"Repeat purchases in the calibration period ({_unit(check)} as time unit)")
    ax.set_ylabel("Number of customers")
    ax.legend()
    return ax


def plot_p_alive_matrix(matrix: Any, *, ax: Any = None):
    """Heatmap of P(alive) by frequency and recency, from ``BGNBDResult.probability_alive_matrix``.

    Examples
    --------
    >>> from crmlab.clv import BGNBDResult
    >>> m = BGNBDResult(0.243, 4.414, 0.793, 2.426, 0.0, 3, "W", True)
    >>> ax = plot_p_alive_matrix(m.probability_alive_matrix(10, T=39))
    >>> ax.get_xlabel()
    'Recency: first to last purchase (weeks)'
    """
    ax = new_axes(ax)
    rec = matrix.columns.to_numpy(dtype=float)
    freq = matrix.index.to_numpy()
    heatmap(
        ax,
        matrix.to_numpy(dtype=float),
        colorbar="P(alive) (probability, 0-1)",
        cmap="viridis",
        vmin=0,
        vmax=1,
        origin="lower",
        aspect="auto",
        extent=(rec.min(), rec.max(), freq.min() - 0.5, freq.max() + 0.5),
    )
    unit = _unit(matrix)
    ax.set_title(f"P(alive) for customers aged T = {matrix.attrs.get('T', rec.max()):g} {unit}")
    ax.set_xlabel(f"Recency: first to last purchase ({unit})")
    ax.set_ylabel("Frequency (repeat purchases)")
    return ax


def plot_tracking(tracking: Any, *, ax: Any = None, model: str = "BG/NBD"):
    """Cumulative repeat purchases, actual vs a model's expectation, from :func:`crmlab.clv.tracking_table`.

    ``model`` names the model whose expectation is drawn (any model of
    :mod:`crmlab.btyd_models`; its ``name``).

    A dashed line marks the end of the calibration period: to its right the
    model forecasts data it has not seen (Fader, Hardie & Lee 2005, fig. 4).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"period": [1, 2, 3], "actual": [0, 2, 5], "expected": [0.5, 2.0, 4.0]})
    >>> t.attrs.update(time_unit="W", calibration_end_period=2.0)
    >>> plot_tracking(t).get_xlabel()
    'Weeks since the first order in the data'
    """
    ax = new_axes(ax)
    ax.plot(tracking["period"], tracking["actual"], color=_BLUE, label="Actual")
    ax.plot(tracking["period"], tracking["expected"], color=_ORANGE, ls="--", label=f"{model} expected")
    cal = tracking.attrs.get("calibration_end_period")
    if cal is not None:
        ax.axvline(cal, color="grey", ls=":", lw=1.5)
        ax.annotate("end of calibration", (cal, 0), xytext=(3, 3), textcoords="offset points", fontsize=9, color="grey")
    unit = _unit(tracking)
    ax.set_title("Tracking: cumulative repeat purchases")
    ax.set_xlabel(f"{unit.capitalize()} since the first order in the data")
    ax.set_ylabel("Cumulative repeat purchases")
    ax.legend()
    return ax


def plot_calibration_holdout(tables: Any, *, ax: Any = None):
    """Mean holdout purchases by calibration frequency: actual against each model's prediction.

    Takes :func:`crmlab.btyd_models.calibration_holdout_table` of one model, or a
    dict ``{model name: table}`` to compare models on one figure (Fader, Hardie
    & Lee 2005, fig. 5).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"customers": [5, 3], "actual": [0.2, 1.5], "predicted": [0.3, 1.2]},
    ...                  index=pd.Index(["0", "1+"], name="calibration_frequency"))
    >>> t.attrs.update(model="BG/NBD", time_unit="W", holdout=39.0)
    >>> [l.get_label() for l in plot_calibration_holdout(t).get_lines()]
    ['Actual', 'BG/NBD']
    """
    import numpy as np

    if not isinstance(tables, dict):
        tables = {tables.attrs.get("model", "model"): tables}
    ax = new_axes(ax)
    first = next(iter(tables.values()))
    x = np.arange(len(first))
    ax.plot(x, first["actual"], color="black", marker="o", lw=2, label="Actual")
    colors = [_ORANGE, _BLUE, _GREEN, _RED]
    styles = ["--", "-.", ":", (0, (5, 1))]
    for i, (name, t) in enumerate(tables.items()):
        ax.plot(x, t["predicted"], color=colors[i % 4], ls=styles[i % 4], marker="s", ms=4, label=name)
    ax.set_xticks(x, list(first.index))
    unit = _unit(first)
    ax.set_title(f"Holdout check: mean purchases in the {first.attrs.get('holdout', 0):g} holdout {unit}")
    ax.set_xlabel("Repeat purchases in the calibration period")
    ax.set_ylabel("Mean purchases per customer in the holdout")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left")
    return ax


def plot_p_alive_path(path: Any, *, ax: Any = None):
    """One customer's P(alive) over time, with their purchases marked, from ``p_alive_path``.

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"time": [0.0, 1.0, 2.0, 3.0], "frequency": [0, 1, 1, 1],
    ...                   "recency": [0.0, 1.0, 1.0, 1.0], "p_alive": [1.0, 0.9, 0.7, 0.5]})
    >>> p.attrs.update(model="BG/NBD", time_unit="W", purchases=[1.0])
    >>> plot_p_alive_path(p).get_ylabel()
    'P(alive) (probability)'
    """
    ax = new_axes(ax)
    ax.plot(path["time"], path["p_alive"], color=_BLUE, lw=2, label=f"P(alive), {path.attrs.get('model', '')}")
    for i, t in enumerate(path.attrs.get("purchases", [])):
        ax.axvline(t, color=_ORANGE, lw=1, ls=":", label="repeat purchase" if i == 0 else None)
    unit = _unit(path)
    ax.set_ylim(0, 1.05)
    ax.set_title("P(alive) jumps at each purchase and fades in silence")
    ax.set_xlabel(f"Time since the first purchase ({unit})")
    ax.set_ylabel("P(alive) (probability)")
    ax.legend(loc="lower left")
    return ax


def plot_model_comparison(comparison: Any, *, ax: Any = None):
    """Holdout purchases per customer, actual against each model, overall and for one-time buyers.

    Takes :func:`crmlab.btyd_models.compare_models`.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"holdout_actual": [100.0, 100.0], "holdout_predicted": [90.0, 95.0],
    ...                   "one_time_actual": [0.2, 0.2], "one_time_predicted": [0.1, 0.15]},
    ...                  index=pd.Index(["A", "B"], name="model"))
    >>> c.attrs.update(customers=50, holdout=39.0, time_unit="W")
    >>> [t.get_text() for t in plot_model_comparison(c).get_xticklabels()]
    ['all customers', 'one-time buyers']
    """
    import numpy as np

    ax = new_axes(ax)
    n = comparison.attrs.get("customers", 1)
    groups = ["all customers", "one-time buyers"]
    actual = [comparison["holdout_actual"].iloc[0] / n, comparison["one_time_actual"].iloc[0]]
    k = len(comparison) + 1
    width = 0.8 / k
    x = np.arange(2)
    bars = ax.bar(x - 0.4 + width / 2, actual, width, color="black", label="Actual")
    ax.bar_label(bars, fmt="%.3f", fontsize=8)
    colors = [_ORANGE, _BLUE, _GREEN, _RED]
    for i, (name, row) in enumerate(comparison.iterrows(), start=1):
        vals = [row["holdout_predicted"] / n, row["one_time_predicted"]]
        bars = ax.bar(x - 0.4 + width / 2 + i * width, vals, width, color=colors[(i - 1) % 4], label=str(name))
        ax.bar_label(bars, fmt="%.3f", fontsize=8)
    ax.set_xticks(x, groups)
    unit = _unit(comparison)
    ax.set_title(f"Holdout forecast by model ({comparison.attrs.get('holdout', 0):g} {unit})")
    ax.set_ylabel("Mean purchases per customer in the holdout")
    ax.set_ylim(0, max(actual + list(comparison["holdout_predicted"] / n)) * 1.25)
    ax.legend(loc="upper right")
    return ax
