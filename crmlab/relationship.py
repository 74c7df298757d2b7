"""Relationship development process (关系发展过程) as a Markov chain.

Dwyer, Schurr & Oh (1987, *Journal of Marketing* 51(2)) describe how a
buyer-seller relationship develops in five phases:

============ ====== ==========================================================
phase        中文    what happens
============ ====== ==========================================================
awareness    注意    one side notices the other as a possible exchange partner;
                     no interaction yet
exploration  熟悉    trial exchanges; five sub-processes: attraction,
                     communication and bargaining, development and exercise of
                     power, norm development, expectation development
expansion    深入    benefits keep coming, interdependence and trust grow,
                     exchanges multiply
commitment   信赖    an implicit or explicit pledge to continue; exchange may
                     run on routine
dissolution  解散    the relationship ends; it can end in any earlier phase
============ ====== ==========================================================

The module treats the phases as states of a discrete-time Markov chain
("customer migration"): :func:`transition_matrix` estimates the one-period
transition probabilities from observed phase sequences, :func:`project_mix`
moves a phase mix forward, :func:`expected_time_to_absorption` gives the
expected number of periods until dissolution from the fundamental matrix
``N = (I - Q)^-1`` of an absorbing chain, and :func:`markov_clv` values a
customer in each state with the Markov-chain model of Pfeifer & Carraway
(2000, *Journal of Interactive Marketing* 14(2)):
``V_T = sum_{t=0..T} [(1+d)^-1 P]^t R`` and, for an infinite horizon,
``V = [I - (1+d)^-1 P]^-1 R``. :func:`simulate_cohort` lets a class watch a
seeded cohort move through the phases. Every result states its period unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from crmlab._validate import CRMDataError, check_range, check_table
from crmlab._contract import checked

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

__all__ = [
    "PHASES",
    "PHASE_CHINESE",
    "EXPLORATION_SUBPROCESSES",
    "ALLOWED_TRANSITIONS",
    "DEFAULT_TRANSITIONS",
    "TransitionMatrix",
    "transition_matrix",
    "phase_mix",
    "project_mix",
    "adjusted_transitions",
    "expected_time_to_absorption",
    "markov_clv",
    "simulate_cohort",
]

#: The five phases of Dwyer, Schurr & Oh (1987), in order.
PHASES: tuple[str, ...] = ("awareness", "exploration", "expansion", "commitment", "dissolution")

#: The course's Chinese name of each phase.
PHASE_CHINESE: dict[str, str] = {
    "awareness": "注意",
    "exploration": "熟悉",
    "expansion": "深入",
    "commitment": "信赖",
    "dissolution": "解散",
}

#: The sub-processes through which exploration (熟悉) unfolds (Dwyer, Schurr & Oh 1987).
EXPLORATION_SUBPROCESSES: tuple[str, ...] = (
    "attraction",
    "communication and bargaining",
    "development and exercise of power",
    "norm development",
    "expectation development",
)

#: Moves the state model allows in one period: stay, advance one phase, or
#: dissolve from any phase. Dissolution is absorbing (a relationship that has
#: ended stays ended; a returning customer is a new relationship). Commitment
#: may also weaken back to expansion, the one backward move the model admits.
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "awareness": ("awareness", "exploration", "dissolution"),
    "exploration": ("exploration", "expansion", "dissolution"),
    "expansion": ("expansion", "commitment", "dissolution"),
    "commitment": ("commitment", "expansion", "dissolution"),
    "dissolution": ("dissolution",),
}

#: Illustrative monthly transition probabilities used by :func:`simulate_cohort`
#: when no matrix is given. Rows are "from", columns "to", in PHASES order.
#: Exploration is the riskiest phase (trial orders that disappoint end the
#: relationship); commitment the most stable.
DEFAULT_TRANSITIONS: tuple[tuple[float, ...], ...] = (
    (0.50, 0.40, 0.00, 0.00, 0.10),  # awareness
    (0.00, 0.70, 0.18, 0.00, 0.12),  # exploration
    (0.00, 0.00, 0.80, 0.14, 0.06),  # expansion
    (0.00, 0.00, 0.03, 0.95, 0.02),  # commitment
    (0.00, 0.00, 0.00, 0.00, 1.00),  # dissolution
)


@dataclass(frozen=True)
class TransitionMatrix:
    """A one-period transition matrix estimated from phase sequences.

    Attributes
    ----------
    counts : observed transitions, rows "from", columns "to".
    probabilities : counts divided by their row sums; absorbing states and
        states never left in the data get 1 on the diagonal.
    states : the state order of rows and columns.
    absorbing : the states treated as absorbing.
    unobserved : states with no observed transition out (given a diagonal 1).
    disallowed : number of observed moves outside ``ALLOWED_TRANSITIONS``
        (counted, never dropped; 0 when ``check_allowed=False``).
    period : the time unit of one step (e.g. "month").
    """

    counts: "pd.DataFrame"
    probabilities: "pd.DataFrame"
    states: tuple[str, ...]
    absorbing: tuple[str, ...]
    unobserved: tuple[str, ...] = ()
    disallowed: int = 0
    period: str = "period"
    n_customers: int = 0
    notes: dict[str, Any] = field(default_factory=dict)


def _as_matrix(P: Any, states: Sequence[str] | None = None) -> tuple["np.ndarray", tuple[str, ...]]:
    """Turn a TransitionMatrix, DataFrame or array into a checked square float array."""
    import numpy as np
    import pandas as pd

    if isinstance(P, TransitionMatrix):
        names = P.states
        M = P.probabilities.to_numpy(dtype=float)
    elif isinstance(P, pd.DataFrame):
        if list(P.index) != list(P.columns):
            raise CRMDataError(
                "transition matrix: row labels and column labels differ "
                f"({list(P.index)} vs {list(P.columns)}). Use the same states in the same order."
            )
        names = tuple(map(str, P.columns))
        M = P.to_numpy(dtype=float)
    else:
        M = np.asarray(P, dtype=float)
        names = tuple(states) if states is not None else tuple(f"s{i + 1}" for i in range(M.shape[0] if M.ndim else 0))
    if M.ndim != 2 or M.shape[0] != M.shape[1] or M.shape[0] == 0:
        raise CRMDataError(f"transition matrix: expected a square matrix, got shape {M.shape}.")
    if len(names) != M.shape[0]:
        raise CRMDataError(f"transition matrix: {len(names)} state names for a {M.shape[0]}x{M.shape[0]} matrix.")
    if not np.isfinite(M).all() or (M < 0).any():
        raise CRMDataError("transition matrix: entries must be finite probabilities >= 0.")
    rows = M.sum(axis=1)
    bad = np.flatnonzero(np.abs(rows - 1) > 1e-8)
    if bad.size:
        i = int(bad[0])
        raise CRMDataError(
            f"transition matrix: row '{names[i]}' sums to {rows[i]:.6g}, not 1. "
            "Each row holds the probabilities of where a customer in that state goes next."
        )
    return M, names


@checked
def transition_matrix(
    phase_history: "pd.DataFrame",
    *,
    customer: str = "customer_id",
    period: str = "month",
    phase: str = "phase",
    states: Sequence[str] = PHASES,
    absorbing: Sequence[str] = ("dissolution",),
    check_allowed: bool = True,
    period_unit: str = "month",
) -> TransitionMatrix:
    """Estimate the one-period phase transition matrix from observed sequences.

    Each customer's rows are sorted by ``period``; every pair of consecutive
    rows is one observed transition. The maximum-likelihood estimate is the
    count of ``i -> j`` divided by all moves out of ``i``. Absorbing states
    (dissolution) get a 1 on the diagonal whatever the data say; a state that
    is never left in the data also gets a diagonal 1 and is listed in
    ``unobserved``.

    Parameters
    ----------
    phase_history : long table, one row per customer and period.
    customer, period, phase : its column names.
    states : the state order (default: the five phases of Dwyer, Schurr & Oh).
    absorbing : states that, once entered, are never left.
    check_allowed : count moves outside :data:`ALLOWED_TRANSITIONS` (only
        meaningful with the default phases) in ``result.disallowed``.
    period_unit : the time unit of one step, carried in the result.

    Returns
    -------
    TransitionMatrix with ``counts`` and row-normalised ``probabilities``.

    Examples
    --------
    >>> import pandas as pd
    >>> h = pd.DataFrame({"customer_id": ["a"] * 3 + ["b"] * 3,
    ...                   "month": [1, 2, 3] * 2,
    ...                   "phase": ["awareness", "exploration", "expansion",
    ...                             "awareness", "awareness", "dissolution"]})
    >>> tm = transition_matrix(h)
    >>> tm.probabilities.loc["awareness"].round(3).tolist()
    [0.333, 0.333, 0.0, 0.0, 0.333]
    >>> tm.unobserved
    ('expansion', 'commitment')
    """
    import numpy as np
    import pandas as pd

    states = tuple(states)
    if len(set(states)) != len(states) or not states:
        raise CRMDataError(f"parameter 'states' must list distinct state names, got {states!r}.")
    df = check_table(phase_history, "phase_history", {customer: "id", period: "any", phase: "category"})
    if df[period].isna().any():
        raise CRMDataError(
            f"table 'phase_history', column '{period}': {int(df[period].isna().sum())} missing value(s). "
            "Every row needs its period."
        )
    codes = pd.Index(states).get_indexer(df[phase].astype(str))
    if (codes < 0).any():
        unknown = sorted(set(df[phase].astype(str)[codes < 0]))[:5]
        raise CRMDataError(
            f"table 'phase_history', column '{phase}': unknown state(s) {unknown}. "
            f"Allowed: {', '.join(states)}. Map your labels to these names first."
        )
    absorbing = tuple(absorbing)
    for a in absorbing:
        if a not in states:
            raise CRMDataError(f"parameter 'absorbing': {a!r} is not one of the states {states}.")
    if df.duplicated([customer, period]).any():
        raise CRMDataError(
            f"table 'phase_history', columns '{customer}, {period}': a customer has two rows for the same "
            "period. Keep one phase per customer and period."
        )
    cust = pd.factorize(df[customer])[0]
    order = np.lexsort((df[period].to_numpy(), cust))
    c = cust[order]
    s = codes[order].astype(np.int64)
    same = c[1:] == c[:-1]
    frm, to = s[:-1][same], s[1:][same]
    k = len(states)
    counts = np.bincount(frm * k + to, minlength=k * k).reshape(k, k).astype(np.int64)

    disallowed = 0
    if check_allowed and set(states) == set(PHASES):
        allowed = np.zeros((k, k), dtype=bool)
        for a, targets in ALLOWED_TRANSITIONS.items():
            for b in targets:
                allowed[states.index(a), states.index(b)] = True
        disallowed = int(counts[~allowed].sum())

    probs = counts.astype(float)
    rows = probs.sum(axis=1)
    unobserved = []
    for i, name in enumerate(states):
        if name in absorbing:
            probs[i] = 0.0
            probs[i, i] = 1.0
        elif rows[i] == 0:
            probs[i, i] = 1.0
            unobserved.append(name)
        else:
            probs[i] /= rows[i]
    idx = pd.Index(states, name="from")
    cols = pd.Index(states, name="to")
    return TransitionMatrix(
        counts=pd.DataFrame(counts, index=idx, columns=cols),
        probabilities=pd.DataFrame(probs, index=idx, columns=cols),
        states=states,
        absorbing=absorbing,
        unobserved=tuple(unobserved),
        disallowed=disallowed,
        period=period_unit,
        n_customers=int(cust.max() + 1) if len(cust) else 0,
        notes={"transitions": int(counts.sum())},
    )


@checked
def phase_mix(
    phase_history: "pd.DataFrame",
    *,
    period: str = "month",
    phase: str = "phase",
    states: Sequence[str] = PHASES,
    customer: str = "customer_id",
    unit: str | None = None,
) -> "pd.DataFrame":
    """Share of customers in each phase per period (rows: periods, columns: states).

    Parameters
    ----------
    phase_history : long table, one row per customer and period (e.g. a
        :func:`simulate_cohort` result).
    period, phase, customer : its column names.
    states : the phases, in order (the columns of the result).
    unit : the time unit of ``period``, e.g. ``"month"``. Default: the unit the
        table states in ``attrs["period"]`` (as :func:`simulate_cohort` does),
        otherwise the name of the period column.

    Returns
    -------
    DataFrame of shares; ``attrs``: ``period`` (the time unit), ``period_column``,
    ``unit`` ("share of customers") and ``start``, the phase every customer is
    in at the first period (``None`` when they start in different phases).

    Examples
    --------
    >>> import pandas as pd
    >>> h = pd.DataFrame({"customer_id": ["a", "b", "a", "b"], "month": [1, 1, 2, 2],
    ...                   "phase": ["awareness", "awareness", "exploration", "dissolution"]})
    >>> mix = phase_mix(h)
    >>> mix["exploration"].tolist(), mix.attrs["period"], mix.attrs["start"]
    ([0.0, 0.5], 'month', 'awareness')
    """
    import pandas as pd

    df = check_table(phase_history, "phase_history", {customer: "id", period: "any", phase: "category"})
    counts = pd.crosstab(df[period], df[phase].astype(str))
    extra = [c for c in counts.columns if c not in states]
    if extra:
        raise CRMDataError(
            f"table 'phase_history', column '{phase}': unknown state(s) {extra[:5]}. Allowed: {', '.join(states)}."
        )
    counts = counts.reindex(columns=list(states), fill_value=0)
    counts.columns = pd.Index(list(states), name="phase")
    mix = counts.div(counts.sum(axis=1), axis=0)
    first = mix.iloc[0] if len(mix) else pd.Series(dtype=float)
    start = str(first.idxmax()) if len(first) and first.max() == 1.0 else None
    time_unit = unit if unit is not None else str(phase_history.attrs.get("period", period))
    mix.attrs.update({"unit": "share of customers", "period": time_unit, "period_column": period, "start": start})
    return mix


def _mix_vector(start_mix: Any, states: tuple[str, ...]) -> "np.ndarray":
    import numpy as np
    import pandas as pd

    if isinstance(start_mix, str):
        if start_mix not in states:
            raise CRMDataError(f"parameter 'start_mix' = {start_mix!r} is not one of the states {states}.")
        v = np.zeros(len(states))
        v[states.index(start_mix)] = 1.0
        return v
    if isinstance(start_mix, (Mapping, pd.Series)):
        extra = [k for k in dict(start_mix) if k not in states]
        if extra:
            raise CRMDataError(f"parameter 'start_mix': unknown state(s) {extra}; use {states}.")
        v = np.array([float(dict(start_mix).get(s, 0.0)) for s in states])
    else:
        v = np.asarray(start_mix, dtype=float).ravel()
        if v.size != len(states):
            raise CRMDataError(f"parameter 'start_mix' has {v.size} entries for {len(states)} states.")
    if not np.isfinite(v).all() or (v < 0).any() or v.sum() <= 0:
        raise CRMDataError("parameter 'start_mix' must hold counts or shares >= 0 that are not all zero.")
    return v


@checked
def project_mix(P: Any, start_mix: Any, periods: int) -> "pd.DataFrame":
    """Project a phase mix ``periods`` steps ahead: ``m_{t+1} = m_t P``.

    Parameters
    ----------
    P : a :class:`TransitionMatrix`, a square DataFrame (index = columns =
        states) or an array (states named s1, s2, ...).
    start_mix : counts or shares per state (dict, Series or array), or the
        name of one state for a cohort that all starts there. Counts stay
        counts (mass is preserved), shares stay shares.
    periods : number of steps, >= 0.

    Returns
    -------
    DataFrame indexed by step 0..periods, one column per state.

    Examples
    --------
    >>> P = [[0.9, 0.1], [0.0, 1.0]]
    >>> project_mix(P, [100, 0], 2).round(1).to_numpy().tolist()
    [[100.0, 0.0], [90.0, 10.0], [81.0, 19.0]]
    """
    import numpy as np
    import pandas as pd

    M, states = _as_matrix(P)
    n = int(check_range("periods", periods, lo=0, hint="Give a whole number of periods."))
    if n != periods:
        raise CRMDataError(f"parameter 'periods' = {periods!r} must be a whole number.")
    v = _mix_vector(start_mix, states)
    out = np.empty((n + 1, len(states)))
    out[0] = v
    for t in range(n):
        out[t + 1] = out[t] @ M
    res = pd.DataFrame(out, index=pd.RangeIndex(n + 1, name="step"), columns=pd.Index(states, name="phase"))
    res.attrs["period"] = P.period if isinstance(P, TransitionMatrix) else "period"
    return res


@checked
def adjusted_transitions(P: Any, changes: Mapping[tuple[str, str], float]) -> "pd.DataFrame":
    """A transition matrix with some moves set to new probabilities; the rest of each row stays put.

    Each change ``(from, to): p`` sets the probability of moving from ``from``
    to ``to`` in one period; the probability of staying in ``from`` absorbs the
    difference, so every row still sums to 1. This is the what-if of a
    relationship programme: "if onboarding moved 40 % of explorers to expansion
    each month instead of 20 %, ...".

    Parameters
    ----------
    P : a :class:`TransitionMatrix` or a square DataFrame.
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

    M, states = _as_matrix(P)
    out = pd.DataFrame(M.copy(), index=pd.Index(states, name="from"), columns=pd.Index(states, name="to"))
    for key, p in dict(changes).items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise CRMDataError(f"parameter 'changes': key {key!r} must be a pair (from_state, to_state).")
        a, b = key
        for s in (a, b):
            if s not in states:
                raise CRMDataError(f"parameter 'changes': {s!r} is not one of the states {states}.")
        if a == b:
            raise CRMDataError(
                f"parameter 'changes': ({a!r}, {b!r}) is the probability of staying; "
                "change the moves out of a state and staying follows."
            )
        p = check_range(f"changes[{key!r}]", p, lo=0, hi=1)
        out.loc[a, a] += out.loc[a, b] - p
        out.loc[a, b] = p
    rows = out.index[out.to_numpy().diagonal() < -1e-12]
    if len(rows):
        a = rows[0]
        leave = float(out.loc[a].sum() - out.loc[a, a])
        raise CRMDataError(
            f"parameter 'changes': the probabilities of leaving '{a}' add up to {leave:.3f} > 1. Lower one of them."
        )
    out[out.abs() < 1e-12] = 0.0
    return out


def _split_absorbing(M: "np.ndarray", states: tuple[str, ...]) -> tuple[list[int], list[int]]:
    import numpy as np

    absorbing = [i for i in range(len(states)) if np.isclose(M[i, i], 1.0)]
    transient = [i for i in range(len(states)) if i not in absorbing]
    return absorbing, transient


@checked
def expected_time_to_absorption(P: Any) -> "pd.Series":
    """Expected number of periods until absorption (e.g. dissolution) from each transient state.

    With the transient block ``Q`` of ``P`` the fundamental matrix is
    ``N = (I - Q)^-1``; ``N[i, j]`` is the expected number of periods spent in
    ``j`` starting from ``i``, and ``t = N 1`` the expected time to absorption
    (counting the starting period).

    Examples
    --------
    >>> P = [[0.5, 0.5], [0.0, 1.0]]   # leave with probability 1/2 each period
    >>> expected_time_to_absorption(P).tolist()
    [2.0]
    """
    import numpy as np
    import pandas as pd

    M, states = _as_matrix(P)
    absorbing, transient = _split_absorbing(M, states)
    if not absorbing:
        raise CRMDataError(
            "transition matrix: no absorbing state (a row with 1 on the diagonal), so the chain never "
            "ends. Add dissolution as an absorbing state."
        )
    Q = M[np.ix_(transient, transient)]
    A = np.eye(len(transient)) - Q
    if np.linalg.matrix_rank(A) < len(transient):
        raise CRMDataError(
            "transition matrix: some transient state can never reach an absorbing state, so the "
            "expected time is infinite. Check rows that keep all their probability among themselves."
        )
    t = np.linalg.solve(A, np.ones(len(transient)))
    res = pd.Series(t, index=pd.Index([states[i] for i in transient], name="from"), name="expected_periods")
    res.attrs["unit"] = (P.period if isinstance(P, TransitionMatrix) else "period") + "s"
    return res


@checked
def markov_clv(
    P: Any,
    rewards: Any,
    discount: float,
    horizon: int | None = None,
) -> "pd.Series":
    """Customer lifetime value in each state of a Markov chain (Pfeifer & Carraway 2000).

    ``V_T = sum_{t=0..T} [(1+d)^-1 P]^t R``; with ``horizon=None`` the infinite
    sum ``V = [I - (1+d)^-1 P]^-1 R``. The reward of the current period
    (t = 0) is included, undiscounted.

    Parameters
    ----------
    P : transition matrix (TransitionMatrix, square DataFrame or array).
    rewards : net cash flow per state and period (dict/Series by state, or array).
    discount : discount rate per period, > -1 (and > 0 for the infinite
        horizon unless the chain is absorbed in a zero-reward state).
    horizon : last period T (>= 0), or ``None`` for the infinite horizon.

    Examples
    --------
    >>> P = [[0.5, 0.5], [0.0, 1.0]]
    >>> markov_clv(P, [100, 0], 0.0).tolist()   # 100 + 50 + 25 + ... = 200
    [200.0, 0.0]
    """
    import numpy as np
    import pandas as pd

    M, states = _as_matrix(P)
    d = check_range("discount", discount, lo=-1, lo_open=True, hint="A rate per period such as 0.01 for 1%.")
    if isinstance(rewards, (Mapping, pd.Series)):
        r = dict(rewards)
        missing = [s for s in states if s not in r]
        if missing:
            raise CRMDataError(f"parameter 'rewards': no reward for state(s) {missing}.")
        R = np.array([float(r[s]) for s in states])
    else:
        R = np.asarray(rewards, dtype=float).ravel()
        if R.size != len(states):
            raise CRMDataError(f"parameter 'rewards' has {R.size} entries for {len(states)} states.")
    if not np.isfinite(R).all():
        raise CRMDataError("parameter 'rewards' must be finite numbers.")
    B = M / (1.0 + d)
    if horizon is None:
        # Absorbing states that pay nothing contribute nothing: solve on the rest,
        # which keeps the undiscounted (d = 0) case finite for an absorbing chain.
        absorbing, _ = _split_absorbing(M, states)
        keep = [i for i in range(len(states)) if not (i in absorbing and R[i] == 0)]
        A = np.eye(len(keep)) - B[np.ix_(keep, keep)]
        if np.linalg.matrix_rank(A) < len(keep):
            raise CRMDataError(
                "markov_clv: the infinite sum does not converge (discount 0 with a state that is never "
                "left and pays a reward). Give a positive discount rate or a finite horizon."
            )
        V = np.zeros(len(states))
        V[keep] = np.linalg.solve(A, R[keep])
    else:
        T = int(check_range("horizon", horizon, lo=0, hint="A whole number of periods, or None."))
        V = R.copy()
        term = R.copy()
        for _ in range(T):
            term = B @ term
            V += term
    res = pd.Series(V, index=pd.Index(states, name="state"), name="clv")
    res.attrs.update(
        {
            "discount_per_period": d,
            "horizon": horizon,
            "period": P.period if isinstance(P, TransitionMatrix) else "period",
        }
    )
    return res


@checked
def simulate_cohort(
    n: int,
    P: Any = None,
    periods: int = 24,
    seed: int = 0,
    *,
    start: str = "awareness",
    states: Sequence[str] = PHASES,
) -> "pd.DataFrame":
    """Simulate a cohort of ``n`` customers moving through the phases.

    Every customer starts in ``start`` at period 0 and then moves each period
    according to ``P`` (default :data:`DEFAULT_TRANSITIONS`, monthly).

    Returns
    -------
    Long table with columns ``customer_id`` ('S0001', ...), ``period``
    (0..periods) and ``phase``; ``attrs['period']`` gives the unit.

    Examples
    --------
    >>> sim = simulate_cohort(3, periods=2, seed=1)
    >>> sim.shape
    (9, 3)
    >>> sim.loc[sim.period == 0, "phase"].unique().tolist()
    ['awareness']
    """
    import numpy as np
    import pandas as pd

    if P is None:
        P = pd.DataFrame(DEFAULT_TRANSITIONS, index=list(PHASES), columns=list(PHASES))
        unit = "month"
    else:
        unit = P.period if isinstance(P, TransitionMatrix) else "period"
    M, names = _as_matrix(P, states)
    n = int(check_range("n", n, lo=1, hint="The number of customers in the cohort."))
    T = int(check_range("periods", periods, lo=0))
    if start not in names:
        raise CRMDataError(f"parameter 'start' = {start!r} is not one of the states {names}.")
    rng = np.random.default_rng(seed)
    cum = np.cumsum(M, axis=1)
    cum[:, -1] = 1.0
    path = np.empty((T + 1, n), dtype=np.int64)
    path[0] = names.index(start)
    for t in range(T):
        u = rng.random(n)
        path[t + 1] = (u[:, None] > cum[path[t]]).sum(axis=1)
    width = max(4, len(str(n)))
    ids = np.array([f"S{i + 1:0{width}d}" for i in range(n)])
    out = pd.DataFrame(
        {
            "customer_id": np.tile(ids, T + 1),
            "period": np.repeat(np.arange(T + 1), n),
            "phase": pd.Categorical.from_codes(path.ravel(), categories=list(names)),
        }
    ).sort_values(["customer_id", "period"], kind="stable", ignore_index=True)
    out.attrs.update({"period": unit, "seed": seed})
    return out
