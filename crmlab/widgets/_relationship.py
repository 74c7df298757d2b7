"""Explorers for the customer lifecycle (客户生命周期) and relationship development (关系发展过程).

:func:`lifecycle_rules_explorer` moves the thresholds of the rule-based stage
classifier of :mod:`crmlab.lifecycle` (陈明亮 2003 for the stages and the
patterns A-D) and shows how the stage counts and the recovery of the true
patterns change; :func:`rule_sensitivity` gives the same numbers for a whole
range of one rule, for a static figure. :func:`phase_simulation_explorer`
changes the monthly transition probabilities of the phase model of Dwyer,
Schurr & Oh (1987, *JM* 51(2)) in :mod:`crmlab.relationship` and simulates a
seeded cohort, with the expected time to dissolution and, given rewards, the
Markov-chain customer value of Pfeifer & Carraway (2000, *J. Interactive
Marketing* 14(2)). Every time-based number is in months.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping

from crmlab._validate import CRMDataError, check_range

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
def _evaluate(orders: "pd.DataFrame", truth: "pd.DataFrame", as_of: Any, customer: str,
              options: Mapping[str, Any]) -> tuple["pd.DataFrame", Any]:
    """Stages as of ``as_of`` and the pattern recovery under the rules in ``options``."""
    from crmlab import lifecycle

    history = lifecycle.stage_history(orders, as_of=as_of, customer=customer, **options)
    stages = lifecycle.classify_stages(orders, as_of=as_of, history=history)
    patterns = lifecycle.classify_patterns(orders, as_of=as_of, history=history)
    return stages, lifecycle.pattern_recovery(patterns, truth, customer=customer)


def _stage_counts(stages: "pd.DataFrame") -> "pd.Series":
    from crmlab.lifecycle import STAGES

    return stages["stage"].astype(str).value_counts().reindex(list(STAGES), fill_value=0)


def rule_sensitivity(
    orders: "pd.DataFrame",
    truth: "pd.DataFrame",
    *,
    rule: str = "stability_after",
    values: Iterable[Any] = range(3, 19),
    as_of: Any = None,
    customer: str = "customer_id",
    **options: Any,
) -> "pd.DataFrame":
    """Stage counts and pattern accuracy for each value of one lifecycle rule.

    For every value of ``rule`` (a field of :class:`crmlab.lifecycle.LifecycleRules`)
    the stages as of ``as_of`` and the patterns A-D are classified again, and the
    patterns are compared with the true ones (:func:`crmlab.lifecycle.pattern_recovery`).

    Parameters
    ----------
    orders : orders table, as for :func:`crmlab.lifecycle.stage_history`.
    truth : the truth table with ``customer`` and ``true_pattern`` (generated data).
    rule : the rule to vary, e.g. ``"stability_after"`` or ``"ended_after"``.
    values : the values to try.
    as_of : the last day observed (default: the last order date).
    customer : the customer id column of ``orders`` and ``truth``.
    **options : any other keyword of :func:`crmlab.lifecycle.stage_history`
        (other rules, ``wallets``, column names).

    Returns
    -------
    DataFrame indexed by the rule's value: the number of customers in each stage
    (``exploration`` ... ``ended``), ``accuracy`` and ``accuracy_ended`` (shares,
    0-1). ``attrs`` name the rule and ``as_of``.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...     "order_date": ["2024-01-05", "2024-02-07", "2024-06-02"], "amount": [15.0, 20.0, 30.0]})
    >>> truth = pd.DataFrame({"customer_id": ["a", "b"], "true_pattern": ["A", "active"]})
    >>> s = rule_sensitivity(orders, truth, rule="ended_after", values=[2, 6], as_of="2024-06-30")
    >>> s[["ended", "accuracy"]].to_numpy().tolist()
    [[1.0, 1.0], [0.0, 0.5]]
    """
    import pandas as pd

    from crmlab.lifecycle import LifecycleRules

    if rule not in LifecycleRules.__dataclass_fields__:
        raise CRMDataError(
            f"parameter 'rule' = {rule!r} is not a lifecycle rule; the rules are: "
            f"{', '.join(LifecycleRules.__dataclass_fields__)}."
        )
    if rule in options:
        raise CRMDataError(f"rule '{rule}' is varied by 'values'; do not also pass it as a keyword.")
    values = list(values)
    if not values:
        raise CRMDataError("parameter 'values' is empty: give the values of the rule to try, e.g. range(3, 19).")
    rows = []
    for v in values:
        stages, rec = _evaluate(orders, truth, as_of, customer, {**options, rule: v})
        row = _stage_counts(stages).astype(float)
        row["accuracy"] = rec.accuracy
        row["accuracy_ended"] = rec.accuracy_ended
        rows.append(row.rename(v))
    out = pd.DataFrame(rows)
    out.index.name = rule
    out.columns.name = None
    out.attrs.update({"rule": rule, "as_of": stages.attrs.get("as_of"),
                      "unit": "customers (stage columns); share 0-1 (accuracy)"})
    return out


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
    counts = _stage_counts(stages)
    as_of = stages.attrs.get("as_of")
    when = f"As of {as_of.date()}: " if hasattr(as_of, "date") else ""
    listed = ", ".join(f"{s} {n:,}" for s, n in counts.items())
    return (f"{when}{listed} customers. Patterns recovered: {recovery.accuracy:.0%} of all customers, "
            f"{recovery.accuracy_ended:.0%} of ended relationships.")


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
    orders, truth, as_of, customer : as in :func:`rule_sensitivity`.
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

    for name, value, hi in (("stability_after", stability_after, 24), ("ended_after", ended_after, 12),
                            ("late_stability_months", late_stability_months, 24)):
        check_range(name, value, lo=1, hi=hi, hint=f"The slider runs from 1 to {hi} months.")
    style = {"description_width": "120px"}
    layout = w.Layout(width="460px")

    def slider(value: int, hi: int, description: str) -> Any:
        return w.IntSlider(value=int(value), min=1, max=hi, step=1, description=description,
                           continuous_update=False, style=style, layout=layout)

    s_after = slider(stability_after, 24, "stability after")
    e_after = slider(ended_after, 12, "ended after")
    late = slider(late_stability_months, 24, "C/D boundary")
    readout = w.HTML()
    out = w.Output()
    cache: dict[tuple[int, int, int], tuple] = {}

    def results() -> tuple:
        key = (s_after.value, e_after.value, late.value)
        if key not in cache:
            rules = {**options, "stability_after": key[0], "ended_after": key[1], "late_stability_months": key[2]}
            if late.value < rules.get("min_stability_months", 1):
                rules["min_stability_months"] = late.value
            cache[key] = _evaluate(orders, truth, as_of, customer, rules)
        return cache[key]

    def redraw(_change: Any = None) -> None:
        stages, rec = results()
        readout.value = lifecycle_rules_readout(stages, rec)
        _show(out, _draw_lifecycle, stages, rec)

    for s in (s_after, e_after, late):
        s.observe(redraw, names="value")
    redraw()
    return w.VBox([s_after, e_after, late, readout, out])


def _draw_lifecycle(fig: Any, stages: "pd.DataFrame", recovery: Any) -> None:
    from crmlab.plots import confusion_heatmap, stage_bar

    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1.0]})
    stage_bar(stages, ax=left)
    confusion_heatmap(recovery, ax=right)


def _show(out: Any, draw: Any, *args: Any, figsize: tuple[float, float] = (12.5, 4.2)) -> None:
    """Draw a new figure with ``draw(fig, *args)`` and make it the content of the Output ``out``.

    The PNG is put on the widget's ``outputs`` directly rather than displayed
    inside ``with out:``, so it renders wherever widgets render and never leaks
    into the cell's own outputs (which nbval compares).
    """
    import base64
    import io

    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize, layout="constrained")
    draw(fig, *args)
    titles = "; ".join(ax.get_title() for ax in fig.axes if ax.get_title())
    png = io.BytesIO()
    fig.savefig(png, format="png")
    plt.close(fig)
    out.outputs = ({"output_type": "display_data", "metadata": {},
                    "data": {"image/png": base64.b64encode(png.getvalue()).decode("ascii"),
                             "text/plain": f"<figure: {titles}>"}},)


# --------------------------------------------------------------------------------------
# Relationship phases
# --------------------------------------------------------------------------------------
def adjusted_transitions(P: Any, changes: Mapping[tuple[str, str], float]) -> "pd.DataFrame":
    """A transition matrix with some moves set to new probabilities; the rest of each row stays put.

    Each change ``(from, to): p`` sets the probability of moving from ``from``
    to ``to`` in one period; the probability of staying in ``from`` absorbs the
    difference, so every row still sums to 1.

    Parameters
    ----------
    P : a :class:`crmlab.relationship.TransitionMatrix` or a square DataFrame.
    changes : ``{(from_state, to_state): probability}``; ``from_state`` and
        ``to_state`` must differ.

    Returns
    -------
    DataFrame of probabilities (rows "from", columns "to").

    Examples
    --------
    >>> import pandas as pd
    >>> P = pd.DataFrame([[0.7, 0.2, 0.1], [0.0, 0.9, 0.1], [0.0, 0.0, 1.0]],
    ...                  index=["new", "loyal", "gone"], columns=["new", "loyal", "gone"])
    >>> adjusted_transitions(P, {("new", "loyal"): 0.4}).loc["new"].round(2).tolist()
    [0.5, 0.4, 0.1]
    """
    import pandas as pd

    from crmlab.relationship import _as_matrix

    M, states = _as_matrix(getattr(P, "probabilities", P))
    out = pd.DataFrame(M.copy(), index=pd.Index(states, name="from"), columns=pd.Index(states, name="to"))
    for key, p in dict(changes).items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise CRMDataError(f"parameter 'changes': key {key!r} must be a pair (from_state, to_state).")
        a, b = key
        for s in (a, b):
            if s not in states:
                raise CRMDataError(f"parameter 'changes': {s!r} is not one of the states {states}.")
        if a == b:
            raise CRMDataError(f"parameter 'changes': ({a!r}, {b!r}) is the probability of staying; "
                               "change the moves out of a state and staying follows.")
        p = check_range(f"changes[{key!r}]", p, lo=0, hi=1)
        out.loc[a, a] += out.loc[a, b] - p
        out.loc[a, b] = p
    rows = out.index[out.to_numpy().diagonal() < -1e-12]
    if len(rows):
        a = rows[0]
        leave = float(out.loc[a].sum() - out.loc[a, a])
        raise CRMDataError(
            f"parameter 'changes': the probabilities of leaving '{a}' add up to {leave:.3f} > 1. "
            "Lower one of them."
        )
    out[out.abs() < 1e-12] = 0.0
    return out


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
    text += (f". Simulated cohort of {n:,}: after {horizon} months {end.get('dissolution', 0.0):.0%} dissolved, "
             f"{end.get('commitment', 0.0):.0%} in commitment.")
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
    the rest of each row, see :func:`adjusted_transitions`). Each move simulates
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
    cohort's paths and phase mix.

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
        raise CRMDataError(f"transition matrix: missing phase(s) {missing}; the explorer needs the five phases "
                           f"{', '.join(PHASES)}.")
    n = int(check_range("n", n, lo=1, hi=5000, hint="A cohort of 100-1,000 customers draws quickly."))
    periods = int(check_range("periods", periods, lo=1, hi=120, hint="Months to simulate, 1-120."))
    style = {"description_width": "120px"}
    layout = w.Layout(width="460px")

    def slider(value: float, hi: float, description: str) -> Any:
        return w.FloatSlider(value=round(float(value), 2), min=0.0, max=hi, step=0.01, description=description,
                             readout_format=".2f", continuous_update=False, style=style, layout=layout)

    expand = slider(min(base.loc["exploration", "expansion"], 0.6), 0.6, "explore → expand")
    d_expl = slider(min(base.loc["exploration", "dissolution"], 0.4), 0.4, "dissolve (expl.)")
    d_comm = slider(min(base.loc["commitment", "dissolution"], 0.2), 0.2, "dissolve (comm.)")
    readout = w.HTML()
    out = w.Output()

    def redraw(_change: Any = None) -> None:
        M = adjusted_transitions(base, {("exploration", "expansion"): expand.value,
                                        ("exploration", "dissolution"): d_expl.value,
                                        ("commitment", "dissolution"): d_comm.value})
        sim = simulate_cohort(n, M, periods=periods, seed=seed)
        sim.attrs["period"] = "month"
        readout.value = phase_simulation_readout(M, sim, rewards=rewards, discount=discount)
        _show(out, _draw_simulation, sim, phase_mix(sim, period="period"))

    for s in (expand, d_expl, d_comm):
        s.observe(redraw, names="value")
    redraw()
    return w.VBox([expand, d_expl, d_comm, readout, out])


def _draw_simulation(fig: Any, sim: "pd.DataFrame", mix: "pd.DataFrame") -> None:
    from crmlab.plots import cohort_paths, phase_mix_area

    left, right = fig.subplots(1, 2)
    cohort_paths(sim, ax=left)
    left.get_legend().remove()
    phase_mix_area(mix, ax=right)
    right.set_xlabel("months since awareness")
    right.set_title("Simulated phase mix of the cohort")
