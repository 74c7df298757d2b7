"""Explorers for satisfaction (顾客满意度) and churn management (客户流失管理).

* :func:`expectation_explorer` -- expectation management as the course states it:
  slide the expectation a firm sets and watch first buyers, satisfaction and repeat
  buyers move (the model of :func:`crmlab.satisfaction.expectation_simulation`,
  after Oliver's 1980 expectation-disconfirmation).
* :func:`churn_management_explorer` -- the churn management steps (warning point →
  identify → value at risk → cost of reducing churn against the CLV it saves), with
  the warning-point multiplier, the churn reduction and its cost on sliders
  (:func:`crmlab.loyalty.churn_warning_points`, :func:`crmlab.loyalty.at_risk`,
  :func:`crmlab.loyalty.churn_management`).

Each function returns an ``ipywidgets.VBox``: sliders, an HTML readout with the key
numbers (``box.readout``) and an Output with a crmlab.plots figure.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from crmlab._validate import check_range
from crmlab.widgets._common import explorer_box, float_slider, show_axes

__all__ = ["expectation_explorer", "churn_management_explorer"]

#: Expectation levels (1-7 scale) simulated by :func:`expectation_explorer`: the grid of chapter 08,
#: so that the same seed gives the chapter's own numbers (the simulation draws level after level,
#: so another grid would give other draws at the same level).
EXPECTATION_GRID = np.round(np.arange(1.0, 7.0001, 0.5), 2)


def expectation_explorer(
    *,
    expectation: float = 5.0,
    true_quality: float = 5.0,
    n: int = 10_000,
    seed: int = 0,
) -> Any:
    """Slide the expectation a firm sets (1-7) and its true quality; see buyers, satisfaction, repeat buyers.

    The figure is :func:`crmlab.plots.plot_expectation_simulation` over the levels
    1, 1.5, ..., 7 (:data:`EXPECTATION_GRID`) with the chosen level marked; the readout gives, at that level,
    the first buyers, the share of them satisfied and the repeat buyers out of ``n``
    prospects (seeded: the same numbers every time).

    Parameters
    ----------
    expectation : starting position of the expectation slider (1-7 scale).
    true_quality : starting position of the quality slider (mean perceived quality, 1-7).
    n : prospects simulated per expectation level.
    seed : random seed of the simulation.

    Examples
    --------
    >>> box = expectation_explorer(expectation=4.5)
    >>> "repeat buyers" in box.readout.value
    True
    """
    from crmlab.plots import plot_expectation_simulation
    from crmlab.satisfaction import expectation_simulation

    e0 = check_range("expectation", expectation, lo=1, hi=7)
    q0 = check_range("true_quality", true_quality, lo=2, hi=7)
    n = int(check_range("n", n, lo=100))
    s_exp = float_slider("expectation set (1-7)", e0, 1.0, 7.0, 0.5)
    s_q = float_slider("true quality (1-7)", q0, 2.0, 7.0, 0.25)
    cache: dict[float, Any] = {}

    def redraw(readout: Any, out: Any) -> None:
        q = round(float(s_q.value), 2)
        if q not in cache:
            cache[q] = expectation_simulation(EXPECTATION_GRID, true_quality=q, n=n, seed=seed)
        sim = cache[q]
        e = float(EXPECTATION_GRID[np.abs(EXPECTATION_GRID - s_exp.value).argmin()])
        row = sim.loc[e]
        readout.value = (
            f"<b>Expectation {e:g}</b> (true quality {q:g}): "
            f"<b>{int(row['first_buyers']):,}</b> first buyers of {n:,} prospects "
            f"({row['first_purchase_rate']:.0%}), {row['share_satisfied']:.0%} of them satisfied, "
            f"<b>{int(row['repeat_buyers']):,}</b> repeat buyers. "
            f"Most repeat buyers at expectation {sim.attrs['optimum_expectation']:g}."
        )

        def draw(ax: Any) -> None:
            plot_expectation_simulation(sim, ax=ax)
            ax.axvline(e, color="#D55E00", lw=2, alpha=0.6)

        show_axes(out, draw)

    return explorer_box([s_exp, s_q], redraw)


def churn_management_explorer(
    orders: Any,
    clv: Any,
    *,
    as_of: Any,
    multiplier: float = 1.0,
    reduction_points: float = 5.0,
    cost_per_point: float = 1.0,
    max_ratio: float = 2.0,
    customer: str = "customer_id",
    date: str = "order_date",
) -> Any:
    """Warning-point multiplier, churn reduction and its cost → at-risk customers, value at risk, net benefit.

    Steps, redone whenever a slider moves:

    1. warning points: ``churn_warning_points(orders, multiplier=...)`` (90th
       percentile of each customer's own gaps, times the multiplier);
    2. identify: ``at_risk(orders, warning_points, as_of=as_of)``, keeping the
       customers at most ``max_ratio`` times past their warning point (the early
       warning list; those further past are treated as already lost);
    3. value at risk: the sum of their CLV (``clv``, a Series by customer;
       customers without one count 0);
    4. ``churn_management`` for the chosen churn reduction (points) at
       ``cost_per_point`` per at-risk customer per point.

    The figure is :func:`crmlab.plots.plot_warning_point` for all customers (the
    pooled gaps and the pooled warning point).

    Examples
    --------
    >>> import pandas as pd
    >>> o = pd.DataFrame({"customer_id": list("aaaabbbb"), "order_date": pd.to_datetime(
    ...     ["2024-01-01", "2024-01-11", "2024-01-21", "2024-01-31",
    ...      "2024-01-01", "2024-01-31", "2024-03-01", "2024-03-31"])})
    >>> box = churn_management_explorer(o, pd.Series({"a": 100.0, "b": 50.0}), as_of="2024-02-15")
    >>> "1</b> customers at risk" in box.readout.value  # a: 15 days since the last purchase > 10
    True
    """
    import pandas as pd

    from crmlab.loyalty import at_risk, churn_management, churn_warning_points, purchase_gaps
    from crmlab.plots import plot_warning_point

    check_range("multiplier", multiplier, lo=0.5, hi=3)
    check_range("reduction_points", reduction_points, lo=1, hi=50)
    check_range("cost_per_point", cost_per_point, lo=0, hi=20)
    max_ratio = check_range("max_ratio", max_ratio, lo=1, lo_open=True)
    gaps = purchase_gaps(orders, customer=customer, date=date)
    values = pd.Series(clv, dtype=float)
    s_mult = float_slider("warning point multiplier", multiplier, 0.5, 3.0, 0.1, ".1f")
    s_pts = float_slider("churn reduction (points)", reduction_points, 1.0, 50.0, 1.0, ".0f")
    s_cost = float_slider("cost per customer per point", cost_per_point, 0.0, 20.0, 0.25)

    def redraw(readout: Any, out: Any) -> None:
        wp = churn_warning_points(orders, customer=customer, date=date, multiplier=float(s_mult.value))
        risk = at_risk(orders, wp, as_of=as_of, customer=customer, date=date)
        early = risk.loc[risk["ratio"] <= max_ratio]
        pts = float(s_pts.value)
        plan = churn_management(
            early, values.reindex(early.index).fillna(0.0), reduction_points=[pts], cost=float(s_cost.value)
        ).iloc[0]
        verdict = "pays off" if plan["net_benefit"] > 0 else "does not pay off"
        readout.value = (
            f"Warning point of a typical customer: {wp.attrs['population_warning_days']:.0f} days. "
            f"<b>{len(early):,}</b> customers at risk (at most {max_ratio:g} × past their warning point), "
            f"value at risk <b>{plan['value_at_risk']:,.0f}</b>. Cutting their churn by {pts:g} points "
            f"saves CLV {plan['clv_saved']:,.0f} for a cost of {plan['cost']:,.0f}: "
            f"net benefit <b>{plan['net_benefit']:,.0f}</b> ({verdict})."
        )
        show_axes(out, lambda ax: plot_warning_point(gaps, wp, ax=ax))

    return explorer_box([s_mult, s_pts, s_cost], redraw)
