"""Explorers for the customer lifecycle (客户生命周期) and relationship development (关系发展过程).

:func:`lifecycle_rules_explorer` moves the thresholds of the rule-based stage
classifier of :mod:`crmlab.lifecycle` (陈明亮 2003 for the stages and the
patterns A-D) and shows how the stage counts and the recovery of the true
patterns change; :func:`crmlab.lifecycle.rule_sensitivity` (re-exported here)
gives the same numbers for a whole range of one rule, for a static figure.
:func:`phase_simulation_explorer` changes the monthly transition probabilities of the phase model of Dwyer,
Schurr & Oh (1987, *JM* 51(2)) in :mod:`crmlab.relationship` and simulates a
seeded cohort, with the expected time to dissolution and, given rewards, the
Markov-chain customer value of Pfeifer & Carraway (2000, *J. Interactive
Marketing* 14(2)). Every time-based number is in months.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmlab._validate import CRMDataError, check_range
from crmlab.lifecycle import rule_sensitivity, rules_outcome, stage_counts
from crmlab.relationship import adjusted_transitions
from crmlab.widgets._common import explorer_box, show_figure

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "rule_sensitivity",
    "lifecycle_rules_readout",
    "lifecycle_rules_explorer",
    "adjusted_transitions",
    "phase_simulation_readout",
    "phase_simulation_explorer",
]


# --------------------------------------------------------------------------------------
# Lifecycle rules
# --------------------------------------------------------------------------------------
def lifecycle_rules_readout(stages: "pd.DataFrame", recovery: Any) -> str:
    """The explorer's text: customers per stage and how well the patterns are recovered.

    Parameters
    ----------
    stages : a :func:`crmlab.lifecycle.classify_stages` result.
    recovery : a :func:`crmlab.lifecycle.pattern_recovery` result.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab import lifecycle
    >>> orders = pd.DataFrame({"customer_id": ["a", "b"],
    ...     "order_date": ["2024-01-05", "2024-06-02"], "amount": [15.0, 30.0]})
    >>> stages = lifecycle.classify_stages(orders, as_of="2024-06-30")
    >>> rec = lifecycle.pattern_recovery(pd.Series({"a": "A", "b": "active"}),
    ...                                  pd.Series({"a": "A", "b": "active"}))
    >>> lifecycle_rules_readout(stages, rec)
    'As of 2024-06-30: exploration 1, formation 0, stability 0, decline 0, ended 1 customers. Patterns recovered: 100% of all customers, 100% of ended relationships.'
    """
    counts = stage_counts(stages)
    as_of = stages.attrs.get("as_of")
    when = f"As of {as_of.date()}: " if hasattr(as_of, "date") else ""
    listed = ", ".join(f"{s} {n:,}" for s, n in counts.items())
    return (
        f"{when}{listed} customers. Patterns recovered: {recovery.accuracy:.0%} of all customers, "
        f"{recovery.accuracy_ended:.0%} of ended relationships."
    )


def lifecycle_rules_explorer(
    orders: "pd.DataFrame",
    truth: "pd.DataFrame",
    *,
    as_of: Any = None,
    customer: str = "customer_id",
    stability_after: int = 9,
    ended_after: int = 2,
    late_stability_months: int = 9,
    **options: Any,
) -> Any:
    """Sliders for three lifecycle rules; the stage counts and the pattern confusion matrix follow.

    Parameters
    ----------
    orders, truth, as_of, customer : as in :func:`crmlab.lifecycle.rule_sensitivity`.
    stability_after : starting value: months before a relationship can be stable (1-24).
    ended_after : starting value: silent months after which it has ended (1-12).
    late_stability_months : starting value: months of stability that separate
        pattern C (early exit) from D (long-kept) (1-24).
    **options : other rules or keywords of :func:`crmlab.lifecycle.stage_history`.

    Returns
    -------
    ipywidgets.VBox with children ``(stability_after, ended_after,
    late_stability_months, readout, output)``: three ``IntSlider``, an ``HTML``
    readout whose text is :func:`lifecycle_rules_readout`, and an ``Output``
    with the figure (stage bar and confusion matrix). Results are cached per
    combination of rules, so going back to a setting is instant.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...     "order_date": ["2024-01-05", "2024-02-07", "2024-06-02"], "amount": [15.0, 20.0, 30.0]})
    >>> truth = pd.DataFrame({"customer_id": ["a", "b"], "true_pattern": ["A", "active"]})
    >>> box = lifecycle_rules_explorer(orders, truth, as_of="2024-06-30")
    >>> [c.description for c in box.children[:3]]
    ['stability after', 'ended after', 'C/D boundary']
    >>> box.children[1].value = 6
    >>> "ended 0 customers" in box.children[3].value
    True
    """
    import ipywidgets as w

    for name, value, hi in (
        ("stability_after", stability_after, 24),
        ("ended_after", ended_after, 12),
        ("late_stability_months", late_stability_months, 24),
    ):
        check_range(name, value, lo=1, hi=hi, hint=f"The slider runs from 1 to {hi} months.")
    style = {"description_width": "120px"}
    layout = w.Layout(width="460px")

    def slider(value: int, hi: int, description: str) -> Any:
        return w.IntSlider(
            value=int(value),
            min=1,
            max=hi,
            step=1,
            description=description,
            continuous_update=False,
            style=style,
            layout=layout,
        )

    s_after = slider(stability_after, 24, "stability after")
    e_after = slider(ended_after, 12, "ended after")
    late = slider(late_stability_months, 24, "C/D boundary")
    cache: dict[tuple[int, int, int], tuple] = {}

    def results() -> tuple:
        key = (s_after.value, e_after.value, late.value)
        if key not in cache:
            rules = {**options, "stability_after": key[0], "ended_after": key[1], "late_stability_months": key[2]}
            if late.value < rules.get("min_stability_months", 1):
                rules["min_stability_months"] = late.value
            cache[key] = rules_outcome(orders, truth, as_of=as_of, customer=customer, **rules)
        return cache[key]

    def redraw(readout: Any, out: Any) -> None:
        stages, rec = results()
        readout.value = lifecycle_rules_readout(stages, rec)
        show_figure(out, _draw_lifecycle, stages, rec, figsize=(12.5, 4.2), layout="constrained")

    return explorer_box([s_after, e_after, late], redraw)


def _draw_lifecycle(fig: Any, stages: "pd.DataFrame", recovery: Any) -> None:
    from crmlab.plots import confusion_heatmap, stage_bar

    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1.0]})
    stage_bar(stages, ax=left)
    confusion_heatmap(recovery, ax=right)


# --------------------------------------------------------------------------------------
# Relationship phases
# --------------------------------------------------------------------------------------
def phase_simulation_readout(
    P: Any,
    sim: "pd.DataFrame",
    *,
    rewards: Any = None,
    discount: float = 0.01,
) -> str:
    """The simulation explorer's text: expected time to dissolution, the cohort's end state, Markov CLV.

    Parameters
    ----------
    P : the transition matrix simulated (monthly).
    sim : a :func:`crmlab.relationship.simulate_cohort` result.
    rewards : optional net cash flow per phase and month; with it the readout adds
        the Markov-chain value (Pfeifer & Carraway 2000) of a customer starting in
        the cohort's first phase.
    discount : discount rate per month for that value.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab import relationship as rl
    >>> P = pd.DataFrame(rl.DEFAULT_TRANSITIONS, index=rl.PHASES, columns=rl.PHASES)
    >>> sim = rl.simulate_cohort(100, P, periods=12, seed=1)
    >>> # commitment: t_C = 1 + .95 t_C + .03 t_X; expansion: t_X = 1 + .80 t_X + .14 t_C
    >>> # -> t_X = 3.8 / .116 = 32.76, t_C = 20 + .6 t_X = 39.66; t_E = (1 + .18 t_X) / .3 = 22.99
    >>> print(phase_simulation_readout(P, sim).split(". ")[0])
    Expected months to dissolution: 20.4 from awareness (23.0 from exploration, 32.8 from expansion, 39.7 from commitment)
    """
    import numpy as np

    from crmlab.relationship import expected_time_to_absorption, markov_clv

    start = str(sim.loc[sim["period"] == sim["period"].min(), "phase"].iloc[0])
    horizon = int(sim["period"].max())
    end = sim.loc[sim["period"] == horizon, "phase"].astype(str).value_counts(normalize=True)
    times = expected_time_to_absorption(P)
    text = f"Expected months to dissolution: {times.get(start, np.nan):.1f} from {start}"
    others = [s for s in ("exploration", "expansion", "commitment") if s in times.index and s != start]
    if others:
        text += " (" + ", ".join(f"{times[s]:.1f} from {s}" for s in others) + ")"
    n = sim["customer_id"].nunique() if "customer_id" in sim.columns else len(sim) // (horizon + 1)
    text += (
        f". Simulated cohort of {n:,}: after {horizon} months {end.get('dissolution', 0.0):.0%} dissolved, "
        f"{end.get('commitment', 0.0):.0%} in commitment."
    )
    if rewards is not None:
        value = markov_clv(P, rewards, discount)[start]
        text += f" Markov CLV of a customer in {start}: {value:,.2f} currency units at {discount:.1%} a month."
    return text


def phase_simulation_explorer(
    P: Any = None,
    *,
    n: int = 300,
    periods: int = 36,
    seed: int = 7,
    rewards: Any = None,
    discount: float = 0.01,
) -> Any:
    """Sliders for three monthly transition probabilities; a seeded cohort moves through the phases.

    The sliders set the probability of moving from exploration to expansion, of
    dissolving in exploration and of dissolving in commitment (staying takes up
    the rest of each row, see :func:`crmlab.relationship.adjusted_transitions`). Each move simulates
    the same seeded cohort again, so differences come from the probabilities,
    not from chance.

    Parameters
    ----------
    P : monthly transition matrix over the five phases (a
        :class:`~crmlab.relationship.TransitionMatrix` or DataFrame); default
        :data:`crmlab.relationship.DEFAULT_TRANSITIONS`.
    n : customers in the simulated cohort (all start in awareness).
    periods : months simulated.
    seed : random seed of the simulation.
    rewards, discount : as in :func:`phase_simulation_readout`.

    Returns
    -------
    ipywidgets.VBox with children ``(explore_to_expand, dissolve_exploration,
    dissolve_commitment, readout, output)``: three ``FloatSlider``, an ``HTML``
    readout (:func:`phase_simulation_readout`) and an ``Output`` with the
    cohort's paths and phase mix. The sliders show two decimals; until one is
    moved its probability keeps the exact value of ``P``, so the first readout
    equals the numbers computed from ``P`` itself.

    Examples
    --------
    >>> box = phase_simulation_explorer(n=50, periods=12)
    >>> [c.description for c in box.children[:3]]
    ['explore → expand', 'dissolve (expl.)', 'dissolve (comm.)']
    >>> before = box.children[3].value
    >>> box.children[1].value = 0.3
    >>> box.children[3].value != before
    True
    """
    import ipywidgets as w
    import pandas as pd

    from crmlab.relationship import DEFAULT_TRANSITIONS, PHASES, phase_mix, simulate_cohort

    if P is None:
        P = pd.DataFrame(DEFAULT_TRANSITIONS, index=list(PHASES), columns=list(PHASES))
    base = adjusted_transitions(P, {})
    missing = [s for s in PHASES if s not in base.index]
    if missing:
        raise CRMDataError(
            f"transition matrix: missing phase(s) {missing}; the explorer needs the five phases {', '.join(PHASES)}."
        )
    n = int(check_range("n", n, lo=1, hi=5000, hint="A cohort of 100-1,000 customers draws quickly."))
    periods = int(check_range("periods", periods, lo=1, hi=120, hint="Months to simulate, 1-120."))
    style = {"description_width": "120px"}
    layout = w.Layout(width="460px")

    def slider(value: float, hi: float, description: str) -> Any:
        return w.FloatSlider(
            value=round(float(value), 2),
            min=0.0,
            max=hi,
            step=0.01,
            description=description,
            readout_format=".2f",
            continuous_update=False,
            style=style,
            layout=layout,
        )

    cells = {("exploration", "expansion"): 0.6, ("exploration", "dissolution"): 0.4, ("commitment", "dissolution"): 0.2}
    exact = {cell: float(base.loc[cell]) for cell in cells}
    expand, d_expl, d_comm = (
        slider(min(exact[cell], hi), hi, text)
        for cell, hi, text in zip(cells, cells.values(), ("explore → expand", "dissolve (expl.)", "dissolve (comm.)"))
    )
    start = {cell: s.value for cell, s in zip(cells, (expand, d_expl, d_comm))}

    def redraw(readout: Any, out: Any) -> None:
        # A slider shows two decimals; while it stays where it started, the matrix keeps the
        # exact estimate, so the first readout is the chapter's own numbers.
        moved = {cell: s.value for cell, s in zip(cells, (expand, d_expl, d_comm)) if s.value != start[cell]}
        M = adjusted_transitions(base, moved)
        sim = simulate_cohort(n, M, periods=periods, seed=seed)
        sim.attrs["period"] = "month"  # the explorer's matrices are monthly
        readout.value = phase_simulation_readout(M, sim, rewards=rewards, discount=discount)
        show_figure(
            out, _draw_simulation, sim, phase_mix(sim, period="period"), figsize=(12.5, 4.2), layout="constrained"
        )

    return explorer_box([expand, d_expl, d_comm], redraw)


def _draw_simulation(fig: Any, sim: "pd.DataFrame", mix: "pd.DataFrame") -> None:
    from crmlab.plots import cohort_paths, phase_mix_area

    left, right = fig.subplots(1, 2)
    cohort_paths(sim, ax=left)
    left.get_legend().remove()
    phase_mix_area(mix, ax=right)
    right.set_title("Simulated phase mix of the cohort")
