"""Figures for satisfaction (顾客满意度), loyalty and churn (客户忠诚, 客户流失) and acquisition (客户获取).

Each function draws a result of :mod:`crmlab.satisfaction`, :mod:`crmlab.loyalty`
or :mod:`crmlab.acquisition` and returns the matplotlib Axes.
"""

from __future__ import annotations

from typing import Any

from crmlab.plots._common import heatmap, label, legend_outside, new_axes, percent_axis, series_colours

__all__ = [
    "plot_nps",
    "plot_importance_performance",
    "plot_servqual_gaps",
    "plot_expectation_simulation",
    "plot_complainer_churn",
    "plot_retention_rates",
    "plot_cohort_heatmap",
    "plot_cohort_curves",
    "plot_sbg",
    "plot_warning_point",
    "plot_churn_management",
    "plot_retention_economics",
    "plot_loyalty_matrix",
    "plot_acquisition_quality",
    "plot_wallet_segments",
    "plot_lift_heatmap",
]

# Colour-blind-safe (Okabe-Ito) colours.
_GOOD, _MID, _BAD, _BLUE, _GREY = "#009E73", "#F0E442", "#D55E00", "#0072B2", "#999999"
_SIZE = (7.0, 4.2)  # inches, the default figure of this module
_CYCLE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


# ---------------------------------------------------------------- satisfaction
def plot_nps(result: Any, *, ax: Any = None):
    """Stacked bar of detractors, passives and promoters, with the NPS in the title."""
    ax = new_axes(ax, (7.0, 2.4))
    left = 0.0
    for name, colour in (("detractors", _BAD), ("passives", _MID), ("promoters", _GOOD)):
        v = getattr(result, name)
        ax.barh([0], [v], left=left, color=colour, label=f"{name} {v:.0%}")
        left += v
    ax.set_yticks([])
    ax.set_xlim(0, 1)
    percent_axis(ax.xaxis)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=3, frameon=False)
    return label(ax, f"Net Promoter Score = {result.nps:+.1f} points (n = {result.n})", "share of respondents (%)", "")


def plot_importance_performance(ipa: Any, *, ax: Any = None):
    """Importance-performance grid: attributes, crosshairs and the four quadrant names."""
    ax = new_axes(ax, (7.5, 5.5))
    x, y = ipa["performance"], ipa["importance"]
    colours = {
        "Concentrate here": _BAD,
        "Keep up the good work": _GOOD,
        "Low priority": _GREY,
        "Possible overkill": _BLUE,
    }
    ax.scatter(x, y, c=[colours.get(q, _GREY) for q in ipa["quadrant"]], s=50, zorder=3)
    px, py = ipa.attrs.get("performance_line", x.mean()), ipa.attrs.get("importance_line", y.mean())
    for name, xi, yi in zip(ipa.index, x, y):
        # the label points away from the vertical crosshair, so it never crosses it or its marker
        right = xi >= px
        ax.annotate(
            str(name),
            (xi, yi),
            textcoords="offset points",
            xytext=(6 if right else -6, 5),
            ha="left" if right else "right",
            fontsize=8,
        )
    ax.axvline(px, color="k", lw=0.8)
    ax.axhline(py, color="k", lw=0.8)
    pad = 0.4
    span = max(x.max(), px) - min(x.min(), px)
    ax.set_xlim(min(x.min(), px) - pad - 0.35 * span, max(x.max(), px) + pad + 0.35 * span)  # room for labels
    ax.set_ylim(min(y.min(), py) - pad, max(y.max(), py) + pad)
    corners = {
        "Concentrate here": (0.02, 0.97, "left", "top"),
        "Keep up the good work": (0.98, 0.97, "right", "top"),
        "Low priority": (0.02, 0.03, "left", "bottom"),
        "Possible overkill": (0.98, 0.03, "right", "bottom"),
    }
    for name, (cx, cy, ha, va) in corners.items():
        ax.text(cx, cy, name, transform=ax.transAxes, ha=ha, va=va, fontsize=9, color=colours[name], fontweight="bold")
    return label(
        ax,
        f"Importance-performance analysis (crosshairs: {ipa.attrs.get('crosshair', 'mean')})",
        "performance (mean perception, 1-7)",
        "importance (mean, 1-7)",
    )


def plot_servqual_gaps(gaps: Any, *, ax: Any = None):
    """SERVQUAL gap (perception - expectation) by dimension; negative gaps in red."""
    ax = new_axes(ax, _SIZE)
    g = gaps["gap"]
    ax.bar([str(i) for i in g.index], g, color=[_BAD if v < 0 else _GOOD for v in g])
    ax.axhline(0, color="k", lw=0.8)
    return label(ax, "SERVQUAL gaps by dimension", "dimension", "gap: perception - expectation (scale points)")


def plot_expectation_simulation(sim: Any, *, ax: Any = None):
    """Expectation management: first purchase, satisfaction and repurchase against the expectation set."""
    ax = new_axes(ax, _SIZE)
    x = sim.index.to_numpy(dtype=float)
    for col, text, colour in (
        ("first_purchase_rate", "first purchase (share of prospects)", _BLUE),
        ("share_satisfied", "satisfied (share of buyers)", _GOOD),
        ("repurchase_rate", "repurchase (share of buyers)", "#E69F00"),
        ("repeat_rate_of_prospects", "repeat buyers (share of prospects)", "k"),
    ):
        ax.plot(x, sim[col], marker="o", ms=3, label=text, color=colour, lw=2.2 if colour == "k" else 1.5)
    opt = sim.attrs.get("optimum_expectation")
    if opt is not None:
        ax.axvline(opt, color=_GREY, ls="--", lw=1)
        ax.text(
            opt,
            0.5,
            f" most repeat buyers: {opt:g}",
            ha="left",
            va="center",
            fontsize=8,
            transform=ax.get_xaxis_transform(),
        )
    tq = sim.attrs.get("true_quality")
    if tq is not None:
        ax.axvline(tq, color=_GREY, ls=":", lw=1, label=f"true quality {tq:g}")
    ax.set_ylim(-0.03, 1.08)  # from zero, with room for the markers at 0% and 100%
    ax.set_xlim(x.min() - 0.25, x.max() + 0.25)
    percent_axis(ax.yaxis)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    return label(
        ax,
        "Expectation management: promise too little or too much?",
        "expectation set by the firm (1-7 scale)",
        "share (%)",
    )


def plot_complainer_churn(result: Any, *, ax: Any = None):
    """Churn rate of non-complainers and of recovered and unrecovered complainers."""
    ax = new_axes(ax, _SIZE)
    r = result["churn_rate"]
    bars = ax.bar([str(i).replace(": ", ":\n") for i in r.index], r, color=[_BLUE, _GOOD, _BAD][: len(r)])
    for b, n in zip(bars, result["customers"]):
        ax.text(b.get_x() + b.get_width() / 2, b.get_height(), f"n={n}", ha="center", va="bottom", fontsize=8)
    ax.set_ylim(0, 1.05)
    percent_axis(ax.yaxis)
    days = result.attrs.get("inactive_days", "?")
    return label(
        ax,
        "Churn after complaints: does recovery help?",
        "customer group",
        f"churn rate (no order in last {days} days, %)",
    )


# ---------------------------------------------------------------- retention and churn
def plot_retention_rates(rates: Any, *, ax: Any = None):
    """Retention and churn rate per period (textbook and strict retention)."""
    ax = new_axes(ax, _SIZE)
    x = [str(p) for p in rates.index]
    ax.plot(x, rates["retention"], marker="o", label="retention (end - new) / start", color=_BLUE)
    ax.plot(x, rates["retention_strict"], marker="s", ls="--", label="retention, strict", color=_GOOD)
    ax.plot(x, rates["churn"], marker="^", label="churn = 1 - retention", color=_BAD)
    ax.tick_params(axis="x", rotation=45)
    ax.set_ylim(0, 1.05)  # shares start at zero
    percent_axis(ax.yaxis)
    legend_outside(ax, fontsize=8)
    unit = rates.attrs.get("period", "period")
    return label(ax, f"Retention and churn per {unit}", unit, "rate (%)")


def plot_cohort_heatmap(matrix: Any, *, ax: Any = None):
    """Cohort retention matrix as a heatmap (share of each cohort active k periods later)."""
    ax = new_axes(ax, (9.0, 5.5))
    heatmap(
        ax,
        matrix.to_numpy(dtype=float),
        colorbar="share of cohort active (0-1)",
        cmap="Blues",
        vmin=0,
        vmax=1,
        aspect="auto",
    )
    step = max(1, len(matrix.index) // 12)
    ax.set_yticks(range(0, len(matrix.index), step), [str(c) for c in matrix.index[::step]])
    unit = matrix.attrs.get("period", "month")
    return label(ax, "Cohort retention by signup cohort", f"{unit}s since acquisition (k)", "cohort")


def plot_cohort_curves(matrix: Any, *, max_cohorts: int = 12, ax: Any = None):
    """Retention curves of up to ``max_cohorts`` cohorts (every n-th when there are more) and the mean curve.

    Cohorts are coloured in order of acquisition along one sequential colour map
    (oldest dark, newest light), so even twelve curves stay distinguishable and
    their order readable; the legend sits beside the plot, off the data.
    """
    ax = new_axes(ax, (8.0, 4.5))
    step = max(1, -(-len(matrix) // min(max_cohorts, 12)))
    shown = matrix.iloc[::step]
    for colour, (c, row) in zip(series_colours(max(len(shown), 1), ordered=True), shown.iterrows()):
        ax.plot(row.index, row.to_numpy(dtype=float), lw=1.3, color=colour, label=str(c))
    ax.plot(matrix.columns, matrix.mean(axis=0), color="k", lw=2.5, label="mean of cohorts")
    percent_axis(ax.yaxis)
    ax.set_ylim(0, 1.02)
    legend_outside(ax, fontsize=7, title="cohort", title_fontsize=8)
    unit = matrix.attrs.get("period", "month")
    return label(ax, "Cohort retention curves", f"{unit}s since acquisition (k)", "share of cohort active (%)")


def plot_sbg(fit: Any, *, horizon: int | None = None, which: str = "survival", held_out: Any = None, ax: Any = None):
    """sBG fit: observed vs fitted survival (or retention), projected beyond the data.

    ``held_out`` (survival only) is the observed survival after the periods the
    model was fitted on, a Series indexed by period (e.g. a row of
    :func:`crmlab.loyalty.cohort_survival` from the first unfitted period on);
    it is marked with crosses, so the projection can be judged against it.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab.loyalty import fit_sbg
    >>> fit = fit_sbg([0.6, 0.45, 0.38], period="quarter")
    >>> ax = plot_sbg(fit, horizon=5, held_out=pd.Series([0.33, 0.30], index=[4, 5]))
    >>> [line.get_label() for line in ax.get_lines()][-1], ax.get_xlabel()
    ('held out', 'quarters since acquisition')
    """
    from crmlab._validate import CRMDataError, check_choice

    check_choice("which", which, ["survival", "retention"])
    if held_out is not None and which != "survival":
        raise CRMDataError("parameter 'held_out': held-out data is survival; draw it with which='survival'.")
    ax = new_axes(ax, _SIZE)
    n_obs = len(fit.observed) - 1
    proj = fit.project(horizon or 2 * max(n_obs, 1))
    t = proj.index.to_numpy()
    ax.plot(t, proj[f"{which}_fitted"], color=_BLUE, lw=2, label=f"sBG (alpha={fit.alpha:.3f}, beta={fit.beta:.3f})")
    ax.plot(t, proj[f"{which}_observed"], "o", color="k", label="observed")
    ax.axvline(n_obs, color=_GREY, ls="--", lw=1)
    ax.text(n_obs, 0.02, " projection ->", transform=ax.get_xaxis_transform(), fontsize=8, color=_GREY)
    if held_out is not None:
        ax.plot(held_out.index.to_numpy(), held_out.to_numpy(dtype=float), "x", color=_BAD, ms=9, label="held out")
    ax.set_ylim(0, 1.05)  # shares start at zero
    percent_axis(ax.yaxis)
    legend_outside(ax, fontsize=8)
    title = "Share of cohort surviving" if which == "survival" else "Retention rate rises as the cohort sorts itself"
    return label(ax, f"{title} (shifted-beta-geometric)", f"{fit.period}s since acquisition", f"{which} (%)")


def plot_warning_point(
    gaps: Any, warning_points: Any, customer: Any = None, *, bins: int = 40, ax: Any = None, clip_quantile: float = 0.99
):
    """Inter-purchase gaps with the churn warning point: one customer's, or the population's.

    The x-axis runs to the ``clip_quantile`` of the gaps (or past the warning
    point, whichever is larger), so that a few very long gaps do not squeeze the
    bulk of the data into one bar; the number of longer gaps left off is written
    in the plot.
    """
    import numpy as np

    ax = new_axes(ax, _SIZE)
    if customer is None:
        g = gaps.to_numpy()
        w = warning_points.attrs.get("population_warning_days")
        who = "all customers"
    else:
        g = gaps.loc[[customer]].to_numpy() if customer in gaps.index else gaps.iloc[:0].to_numpy()
        w = float(warning_points.loc[customer, "warning_days"])
        who = f"customer {customer} ({warning_points.loc[customer, 'source']} threshold)"
    g = np.asarray(g, dtype=float)
    upper = float(np.quantile(g, clip_quantile)) if len(g) else 1.0
    upper = max(upper, 1.2 * w if w is not None else 0.0, 1.0)
    beyond = int((g > upper).sum())
    ax.hist(
        g[g <= upper],
        bins=bins if customer is None else max(5, min(bins, len(g))),
        range=(0, upper),
        color=_BLUE,
        alpha=0.8,
    )
    ax.set_xlim(0, upper)
    if beyond:
        ax.text(
            0.98,
            0.6,
            f"{beyond:,} gaps longer than {upper:.0f} days\nnot shown",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=8,
            color=_GREY,
        )
    if w is not None:
        ax.axvline(w, color=_BAD, lw=2, label=f"warning point {w:.0f} days")
        ax.legend(loc="upper right")
    return label(ax, f"Inter-purchase gaps, {who}", "days between purchases", "number of gaps")


def plot_churn_management(plan: Any, *, ax: Any = None):
    """Step 4 of churn management: CLV saved, cost and net benefit against the churn reduction.

    Draws a :func:`crmlab.loyalty.churn_management` result (one row per
    reduction target) and marks the target with the highest net benefit.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab.loyalty import churn_management
    >>> risk = pd.DataFrame(index=pd.Index(["a", "b"], name="customer_id"))
    >>> plan = churn_management(risk, pd.Series({"a": 300.0, "b": 100.0}), reduction_points=[5, 10, 20],
    ...                         cost=lambda x: 0.1 * x ** 2)
    >>> ax = plot_churn_management(plan)
    >>> ax.get_xlabel(), [line.get_label() for line in ax.get_lines()][:3]
    ('churn reduction (percentage points)', ['CLV saved', 'cost', 'net benefit'])
    """
    ax = new_axes(ax, _SIZE)
    x = plan.index.to_numpy(dtype=float)
    for col, text, colour in (
        ("clv_saved", "CLV saved", _GOOD),
        ("cost", "cost", _BAD),
        ("net_benefit", "net benefit", _BLUE),
    ):
        ax.plot(
            x,
            plan[col].to_numpy(dtype=float),
            marker="o",
            label=text,
            color=colour,
            lw=2.2 if col == "net_benefit" else 1.5,
        )
    ax.axhline(0, color="k", lw=0.8)
    best = plan.attrs.get("best_reduction_points")
    if best is not None and best == best:  # not NaN
        ax.axvline(best, color=_GREY, ls="--", lw=1)
        ax.text(
            best,
            0.98,
            f" best net benefit: {best:g} points",
            transform=ax.get_xaxis_transform(),
            fontsize=8,
            color=_GREY,
            va="top",
        )
    ax.legend(fontsize=8)
    n = int(plan["customers_at_risk"].iloc[0]) if len(plan) else 0
    return label(
        ax, f"Reducing churn among the {n:,} at-risk customers", "churn reduction (percentage points)", "currency units"
    )


def plot_retention_economics(results: Any, *, measure: str = "profit", ax: Any = None):
    """Change in profit (or another measure) from a retention gain, for one or several gains.

    ``results`` is one :func:`crmlab.loyalty.retention_economics` result or a
    list of them (e.g. for gains of 1 to 15 points); each is drawn at its
    ``attrs["gain_points"]`` with its ``change_%`` of ``measure``.

    Examples
    --------
    >>> from crmlab.loyalty import retention_economics
    >>> runs = [retention_economics(0.8, 100, 0.1, gain_points=g, period="year") for g in (1, 5, 10)]
    >>> ax = plot_retention_economics(runs)
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('retention gain (percentage points per year)', 'change in profit (%)')
    """
    from crmlab._validate import CRMDataError, check_choice

    runs = [results] if hasattr(results, "attrs") else list(results)
    if not runs:
        raise CRMDataError("parameter 'results': give at least one retention_economics result.")
    measures = [c for c in runs[0].columns if c not in ("retention", "churn")]
    check_choice("measure", measure, measures)
    gains = [float(r.attrs["gain_points"]) for r in runs]
    change = [float(r.loc["change_%", measure]) for r in runs]
    order = sorted(range(len(runs)), key=gains.__getitem__)
    ax = new_axes(ax, _SIZE)
    ax.plot([gains[i] for i in order], [change[i] for i in order], marker="o", color=_BLUE)
    ax.axhline(0, color="k", lw=0.8)
    words = measure.replace("_", " ")
    period = runs[0].attrs.get("period", "period")
    title = (
        "Profit gain from better retention (steady state)"
        if measure == "profit"
        else f"Change in {words} from better retention"
    )
    return label(ax, title, f"retention gain (percentage points per {period})", f"change in {words} (%)")


def plot_loyalty_matrix(matrix: Any, *, ax: Any = None):
    """Dick & Basu loyalty matrix: customers by relative attitude and repeat patronage."""
    import numpy as np

    ax = new_axes(ax, (7.0, 5.5))
    colours = {"true loyalty": _GOOD, "latent loyalty": _BLUE, "spurious loyalty": "#E69F00", "no loyalty": _GREY}
    rng = np.random.default_rng(0)  # small fixed jitter so tied survey scores stay visible
    jit = 0.15 * rng.standard_normal(len(matrix))
    for name, colour in colours.items():
        m = (matrix["loyalty"] == name).to_numpy()
        ax.scatter(
            matrix["patronage"].to_numpy()[m],
            matrix["attitude"].to_numpy()[m] + jit[m],
            s=12,
            alpha=0.6,
            color=colour,
            label=f"{name} ({m.sum()})",
        )
    ax.axvline(matrix.attrs.get("patronage_cut"), color="k", lw=0.8)
    ax.axhline(matrix.attrs.get("attitude_cut"), color="k", lw=0.8)
    ax.legend(fontsize=8, loc="lower right")
    return label(ax, "Loyalty matrix (Dick & Basu 1994)", "repeat patronage", "relative attitude")


# ---------------------------------------------------------------- acquisition and development
#: Reader-facing names of the columns of :func:`crmlab.acquisition.acquisition_quality`.
ACQUISITION_LABELS = {
    "acquisition_cost": "acquisition cost (all new customers)",
    "first_period_cost": "acquisition cost",
    "first_period_margin": "first-year margin",
    "acquisition_equity": "acquisition equity (margin - cost)",
    "retention_revenue": "second-year revenue per customer won",
    "revenue_per_retained": "second-year revenue per customer kept",
}


def plot_acquisition_quality(
    quality: Any,
    *,
    measures: tuple[str, ...] = ("first_period_cost", "first_period_margin", "acquisition_equity", "retention_revenue"),
    ax: Any = None,
):
    """Acquisition quality by channel: grouped bars of cost, margin, equity and retention revenue.

    The default cost is that of the customers whose first year is complete, so
    margin - cost = equity holds bar by bar; the legend sits above the plot.
    """
    import numpy as np

    ax = new_axes(ax, (8.0, 4.8))
    q = quality.drop(index="all", errors="ignore")
    x = np.arange(len(q))
    w = 0.8 / len(measures)
    for i, m in enumerate(measures):
        ax.bar(
            x + i * w - 0.4 + w / 2,
            q[m],
            width=w,
            label=ACQUISITION_LABELS.get(m, m.replace("_", " ")),
            color=_CYCLE[i % len(_CYCLE)],
        )
    ax.set_xticks(x, [str(c).replace("_", " ") for c in q.index])
    ax.axhline(0, color="k", lw=0.8)
    ax.legend(fontsize=8, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)
    return label(ax, "Acquisition quality by channel", "acquisition channel", "currency units per new customer")


def plot_wallet_segments(segments: Any, *, ax: Any = None):
    """Share of wallet against wallet size, with the cut lines and the four strategies."""
    ax = new_axes(ax, (7.5, 5.5))
    for i, (name, g) in enumerate(segments.groupby("segment", sort=True)):
        ax.scatter(g["wallet"], g["share_of_wallet"], s=14, alpha=0.7, color=_CYCLE[i], label=f"{name} ({len(g)})")
    ax.set_xscale("log")
    ax.axvline(segments.attrs.get("wallet_cut"), color="k", lw=0.8)
    ax.axhline(segments.attrs.get("share_cut"), color="k", lw=0.8)
    percent_axis(ax.yaxis)
    ax.legend(fontsize=8, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False)
    year = segments.attrs.get("year", "")
    return label(
        ax,
        f"Share of wallet segments {year}",
        "wallet: category spend per year (currency units, log scale)",
        "share of wallet (%)",
    )


def plot_lift_heatmap(rules: Any, *, ax: Any = None):
    """Lift of each category pair A -> B (rows: bought A, columns: B)."""
    import numpy as np

    ax = new_axes(ax, (7.0, 6.0))
    items = sorted(set(rules["antecedent"]) | set(rules["consequent"]))
    m = rules.pivot_table(index="antecedent", columns="consequent", values="lift", observed=True)
    m = m.reindex(index=items, columns=items)
    v = m.to_numpy(dtype=float)
    lim = max(abs(np.nanmax(v) - 1), abs(1 - np.nanmin(v)), 0.05) if np.isfinite(v).any() else 1
    heatmap(ax, v, colorbar="lift (1 = independent)", cmap="RdBu", fmt=".2f", vmin=1 - lim, vmax=1 + lim)
    ax.set_xticks(range(len(items)), items, rotation=45, ha="right")
    ax.set_yticks(range(len(items)), items)
    return label(ax, "Category co-purchase lift", "then also bought (B)", "bought (A)")
