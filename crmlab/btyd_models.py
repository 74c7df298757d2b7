"""One interface for the "buy 'til you die" models (客户终身价值的概率模型): fit, check, compare.

Every transaction model of crmlab -- BG/NBD (Fader, Hardie & Lee 2005,
*Marketing Science* 24(2)), Pareto/NBD (Schmittlein, Morrison & Colombo 1987,
*Management Science* 33(1)), MBG/NBD (Batislam, Denizel & Filiztekin 2007,
*IJRM* 24(3)) and the discrete-time BG/BB (Fader, Hardie & Shang 2010,
*Marketing Science* 29(6)) -- is a :class:`TransactionModel` with the same
methods, so a notebook can loop over them:

* ``params``, ``param_table()`` (standard errors and confidence intervals from
  the inverse Hessian of the log-likelihood), ``log_likelihood``, ``aic``, ``bic``;
* ``p_alive``, ``expected_purchases`` (conditional on each customer's history),
  ``expected_purchases_new`` and ``probability_of_purchases`` (a new customer),
  ``conditional_probability_of_purchases`` (P(X(t) = n | history));
* ``expected_purchases_grid`` (frequency x recency), ``probability_alive_matrix``,
  ``p_alive_path`` (one customer's P(alive) over time);
* ``simulate`` (seeded customers drawn from the fitted model) and
  ``sample_params`` (seeded parameter draws from the asymptotic normal
  distribution of the log-parameters, for intervals).

Functions shared by all models: :func:`fit_model` (by name),
:func:`calibration_holdout_table`, :func:`compare_models`,
:func:`fit_spend_model` (Gamma-Gamma with standard errors) and
:func:`clv_interval` (CLV with a seeded interval).

Uncertainty. The fit maximises the likelihood over the logarithms of the
parameters. The covariance of the log-parameters is the inverse of the Hessian
of the negative log-likelihood there (computed by central differences), so a
parameter's standard error is ``estimate * se(log estimate)`` (delta method) and
its confidence interval is ``exp(log estimate +- z * se)`` -- never below zero.

Thread discipline: every fit runs inside :func:`crmlab._threads.single_threaded`.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Iterable

import numpy as np
import pandas as pd

from crmlab._threads import single_threaded
from crmlab._validate import CRMDataError, check_choice, check_range, check_table
from crmlab import btyd as _btyd

__all__ = [
    "TransactionModel",
    "BGNBD",
    "GammaGamma",
    "TRANSACTION_MODELS",
    "fit_model",
    "fit_spend_model",
    "summary_arrays",
    "calibration_holdout_table",
    "compare_models",
    "clv_interval",
    "customer_purchase_times",
]

_UNIT_WORDS = {"D": "days", "W": "weeks", "P": "periods"}


# --------------------------------------------------------------------------- input


def summary_arrays(
    summary: Any,
    *,
    weights: str | None = None,
    table: str = "summary",
    time_unit: str | None = None,
    need_unit: bool = True,
):
    """Validated (summary, x, t_x, T, w, unit) of a continuous-time summary table.

    ``weights`` names a column of customer counts when each row is a *pattern*
    shared by several customers (e.g. 130 customers with x = 2, t_x = 30, T = 39);
    without it every row is one customer.
    """
    summary, x, tx, T = _btyd._summary_arrays(summary, table)
    _no_doubles(summary, table, [x, tx, T], ["frequency", "recency", "T"])
    if np.any(x != np.round(x)):
        raise CRMDataError(f"table '{table}', column 'frequency': counts must be whole numbers.")
    w = _weights(summary, weights, table)
    unit = _btyd._time_unit_of(summary, time_unit) if need_unit else (time_unit or summary.attrs.get("time_unit"))
    return summary, x, tx, T, w, unit


def _no_doubles(summary: pd.DataFrame, table: str, arrays: list[np.ndarray], names: list[str]) -> None:
    """Refuse infinite values and repeated customers (a customer counted twice would weigh twice)."""
    for name, v in zip(names, arrays):
        if not np.isfinite(v).all():
            raise CRMDataError(
                f"table '{table}', column '{name}': {int((~np.isfinite(v)).sum())} infinite value(s). "
                f"Every customer needs a finite {name}; rebuild the summary."
            )
    if summary.index.has_duplicates:
        first = summary.index[summary.index.duplicated()][0]
        raise CRMDataError(
            f"table '{table}': {int(summary.index.duplicated().sum())} customer id(s) appear more than once "
            f"(first: {first!r}), so they would count twice. Build one row per customer (summary_from_transactions), "
            f"or give a pattern table a fresh index (reset_index(drop=True)) and its counts with weights=."
        )


def _weights(summary: pd.DataFrame, weights: str | None, table: str) -> np.ndarray:
    if weights is None:
        return np.ones(len(summary))
    check_table(summary, table, {weights: "nonneg"})
    w = summary[weights].to_numpy(dtype=float)
    if not np.isfinite(w).all() or w.sum() <= 0:
        raise CRMDataError(
            f"table '{table}', column '{weights}': the weights (customers per pattern) must be finite and add "
            f"up to more than 0. Give the number of customers of each row."
        )
    return w


def _compress(cols: list[np.ndarray], w: np.ndarray):
    """Unique rows of the columns with their summed weights (identical customers share one term)."""
    stacked = np.column_stack(cols)
    uniq, inverse = np.unique(stacked, axis=0, return_inverse=True)
    ww = np.bincount(inverse.ravel(), weights=w, minlength=len(uniq))
    keep = ww > 0
    return [uniq[keep, i] for i in range(uniq.shape[1])], ww[keep]


# --------------------------------------------------------------------------- fitting


def _optimise(fun, x0: np.ndarray, *, jac: bool, bound: float = 12.0):
    """L-BFGS-B on log-parameters, single-threaded; returns (result, ran-off-to-a-bound flag)."""
    from scipy.optimize import minimize

    with single_threaded():
        res = minimize(
            fun,
            x0,
            jac=jac if jac else None,
            method="L-BFGS-B",
            bounds=[(-bound, bound)] * len(x0),
            options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-8},
        )
    at_bound = bool(np.any(np.abs(res.x) > min(bound - 1e-6, 9.0)))
    return res, at_bound


def _hessian(f, x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian of a scalar function (here: total negative log-likelihood)."""
    k = len(x)
    H = np.empty((k, k))
    f0 = f(x)
    E = np.eye(k) * h
    for i in range(k):
        H[i, i] = (f(x + E[i]) - 2 * f0 + f(x - E[i])) / h**2
        for j in range(i + 1, k):
            H[i, j] = H[j, i] = (f(x + E[i] + E[j]) - f(x + E[i] - E[j]) - f(x - E[i] + E[j]) + f(x - E[i] - E[j])) / (
                4 * h**2
            )
    return H


def _hessian_from_gradient(g, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Hessian as central differences of an analytic gradient (2k gradients instead of ~4k^2/2 values)."""
    k = len(x)
    H = np.empty((k, k))
    for i in range(k):
        e = np.zeros(k)
        e[i] = h
        H[:, i] = (g(x + e) - g(x - e)) / (2 * h)
    return (H + H.T) / 2


def _covariance(f_total, logp: np.ndarray, grad_total=None) -> tuple[np.ndarray, str]:
    """Covariance of the log-parameters (inverse Hessian) and a note; NaN if not positive definite.

    ``grad_total`` (the analytic gradient of the total negative log-likelihood), when the
    model has one, gives the Hessian from 2k gradients; otherwise it comes from values.
    """
    with single_threaded():
        H = _hessian(f_total, logp) if grad_total is None else _hessian_from_gradient(grad_total, logp)
    try:
        np.linalg.cholesky(H)
    except np.linalg.LinAlgError:
        return np.full((len(logp), len(logp)), np.nan), (
            "the Hessian of the log-likelihood is not positive definite at the estimate: the data do not pin "
            "the parameters down, so no standard errors are given"
        )
    return np.linalg.inv(H), ""


# --------------------------------------------------------------------------- the shared interface


class _Fitted:
    """Parameters, likelihood and uncertainty: shared by transaction and spend models."""

    name: ClassVar[str] = ""
    param_names: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        params: dict[str, float],
        *,
        log_likelihood: float,
        n: float,
        covariance: np.ndarray | None = None,
        penalizer: float = 0.0,
        note: str = "",
        iterations: int = 0,
    ):
        self.params = {k: float(params[k]) for k in self.param_names}
        self.log_likelihood = float(log_likelihood)
        self.n = float(n)
        k = len(self.param_names)
        self.covariance = np.full((k, k), np.nan) if covariance is None else np.asarray(covariance, float)
        self.penalizer = float(penalizer)
        self.note = note
        self.iterations = int(iterations)

    def __repr__(self) -> str:
        ps = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        return f"{type(self).__name__}({ps}, log_likelihood={self.log_likelihood:.2f}, n={self.n:g})"

    @property
    def aic(self) -> float:
        """Akaike's information criterion, 2k - 2 LL (smaller is better)."""
        return 2 * len(self.params) - 2 * self.log_likelihood

    @property
    def bic(self) -> float:
        """Schwarz's Bayesian information criterion, k ln(n) - 2 LL (smaller is better)."""
        return len(self.params) * math.log(self.n) - 2 * self.log_likelihood

    @property
    def _logp(self) -> np.ndarray:
        return np.log([self.params[k] for k in self.param_names])

    def param_table(self, level: float = 0.95) -> pd.DataFrame:
        """Estimates with standard errors and confidence intervals.

        The standard error is the delta-method ``estimate * se(log estimate)``;
        the interval is ``exp(log estimate +- z * se(log estimate))``, so it is
        never below zero and is not symmetric around the estimate.
        """
        from scipy.stats import norm

        level = check_range("level", level, lo=0, hi=1, lo_open=True, hi_open=True, hint="e.g. 0.95")
        z = norm.ppf(0.5 + level / 2)
        est = np.array([self.params[k] for k in self.param_names])
        se_log = np.sqrt(np.diag(self.covariance))
        lo, hi = f"ci_lower_{level:.0%}", f"ci_upper_{level:.0%}"
        out = pd.DataFrame(
            {"estimate": est, "std_error": est * se_log, lo: est * np.exp(-z * se_log), hi: est * np.exp(z * se_log)},
            index=pd.Index(self.param_names, name="parameter"),
        )
        out.attrs.update(model=self.name, level=level, note=self.note)
        return out

    def sample_params(self, draws: int = 200, *, seed: int = 0) -> pd.DataFrame:
        """Parameter sets drawn from the asymptotic normal distribution of the log-parameters (seeded)."""
        draws = int(check_range("draws", draws, lo=1))
        if not np.isfinite(self.covariance).all():
            raise CRMDataError(
                f"{self.name}: no standard errors are available ({self.note or 'covariance unknown'}), so "
                f"parameters cannot be sampled. Fit on more customers or add a small penalizer."
            )
        rng = np.random.default_rng(seed)
        z = rng.multivariate_normal(self._logp, self.covariance, size=draws, method="cholesky")
        return pd.DataFrame(np.exp(z), columns=list(self.param_names))

    def with_params(self, params: dict[str, float]):
        """The same model with other parameter values (likelihood and covariance are not carried)."""
        return type(self)(params, log_likelihood=math.nan, n=self.n, **self._extra())

    def _extra(self) -> dict:
        return {}


class TransactionModel(_Fitted):
    """A fitted model of repeat purchases and dropout with the methods every such model offers.

    Subclasses provide the likelihood and four formulas: P(alive), the
    conditional expectation, the expectation and the distribution of purchases
    of a new customer. Everything else (grids, paths, comparison, intervals) is
    built on them here, once.
    """

    discrete: ClassVar[bool] = False
    time_column: ClassVar[str] = "T"

    def __init__(
        self,
        params: dict[str, float],
        *,
        log_likelihood: float,
        n: float,
        time_unit: str,
        covariance: np.ndarray | None = None,
        penalizer: float = 0.0,
        note: str = "",
        iterations: int = 0,
    ):
        super().__init__(
            params,
            log_likelihood=log_likelihood,
            n=n,
            covariance=covariance,
            penalizer=penalizer,
            note=note,
            iterations=iterations,
        )
        self.time_unit = time_unit

    def _extra(self) -> dict:
        return {"time_unit": self.time_unit}

    # ---- to be provided by each model -------------------------------------------------
    @classmethod
    def _nll(cls, logp: np.ndarray, x, tx, T, w) -> tuple[float, np.ndarray] | float:  # pragma: no cover
        raise NotImplementedError

    def _p_alive(self, x, tx, T) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _conditional(self, x, tx, T, t: float) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _mean_new(self, t: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _pmf_new(self, n_max: int, t: float) -> np.ndarray:  # pragma: no cover
        """P(X(t) = k), k = 0..n_max, for a new customer."""
        raise NotImplementedError

    def _alive_pmf(self, x, tx, T, t: float, n_max: int) -> np.ndarray:  # pragma: no cover
        """P(X(T, T + t) = k | history, alive at T), k = 0..n_max; shape (n_max + 1, customers).

        Each model's posterior given the history makes an alive customer look like a new one
        with updated parameters; the subclass says which.
        """
        raise NotImplementedError

    def _pmf_conditional(self, x, tx, T, t: float, n_max: int) -> np.ndarray:
        """P(X(T, T + t) = k | history), k = 0..n_max: alive with P(alive), else no purchase."""
        x, tx, T = (np.asarray(v, float) for v in (x, tx, T))
        pa = self._p_alive(x, tx, T)
        P = self._alive_pmf(x, tx, T, t, n_max) * pa
        P[0] += 1 - pa
        return P

    def _simulate(self, rng, T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
        raise NotImplementedError

    # ---- shared ------------------------------------------------------------------------
    def _arrays(self, summary: Any, table: str = "summary"):
        summary, x, tx, T, _w, _u = summary_arrays(summary, table=table, need_unit=False)
        unit = summary.attrs.get("time_unit")
        if unit is not None and unit != self.time_unit:
            raise CRMDataError(
                f"table '{table}' is in {_UNIT_WORDS.get(unit, unit)} but the {self.name} model was fitted in "
                f"{_UNIT_WORDS.get(self.time_unit, self.time_unit)}. Rebuild the summary with "
                f"time_unit={self.time_unit!r} or refit."
            )
        return summary, x, tx, T

    def _t(self, t: Any, name: str = "t") -> float:
        t = check_range(name, t, lo=0, hint=f"A length of time in {_UNIT_WORDS.get(self.time_unit)}.")
        if self.discrete and t != int(t):
            raise CRMDataError(f"parameter '{name}' = {t!r} must be a whole number of periods for {self.name}.")
        return t

    def p_alive(self, summary: pd.DataFrame) -> pd.Series:
        """P(alive | frequency, recency, T) of each customer at the end of the calibration period."""
        summary, x, tx, T = self._arrays(summary)
        return pd.Series(self._p_alive(x, tx, T), index=summary.index, name="p_alive")

    def expected_purchases(self, summary: pd.DataFrame, t: float) -> pd.Series:
        """Expected purchases in the next ``t`` time units, given each customer's history."""
        summary, x, tx, T = self._arrays(summary)
        t = self._t(t)
        return pd.Series(
            self._conditional(x, tx, T, t), index=summary.index, name=f"expected_purchases_{t:g}{self.time_unit}"
        )

    def expected_purchases_new(self, t: Any) -> np.ndarray | float:
        """E[X(t)]: expected repeat purchases of a new customer in ``t`` time units."""
        arr = np.asarray(t, dtype=float)
        if np.any(arr < 0):
            raise CRMDataError("parameter 't' must be >= 0 (a length of time).")
        out = self._mean_new(np.atleast_1d(arr)).reshape(arr.shape)
        return float(out) if out.ndim == 0 else out

    def probability_of_purchases(self, t: float, max_n: int = 10) -> pd.Series:
        """P(X(t) = n), n = 0..max_n, for a new customer; the last entry is "max_n or more"."""
        t = self._t(t)
        max_n = int(check_range("max_n", max_n, lo=1))
        p = self._pmf_new(max_n, t)
        p = np.r_[p[:max_n], max(1.0 - p[:max_n].sum(), 0.0)]
        labels = [str(k) for k in range(max_n)] + [f"{max_n}+"]
        return pd.Series(p, index=pd.Index(labels, name="purchases"), name=f"P(X({t:g}) = n)")

    def conditional_probability_of_purchases(self, summary: pd.DataFrame, t: float, max_n: int = 5) -> pd.DataFrame:
        """P(X(T, T + t) = n | history) for each customer: columns 0..max_n - 1 and "max_n+" (rows sum to 1)."""
        summary, x, tx, T = self._arrays(summary)
        t = self._t(t)
        max_n = int(check_range("max_n", max_n, lo=1))
        P = self._pmf_conditional(x, tx, T, t, max_n)[:max_n]
        P = np.vstack([P, np.maximum(1.0 - P.sum(axis=0), 0.0)])
        cols = [str(k) for k in range(max_n)] + [f"{max_n}+"]
        out = pd.DataFrame(P.T, index=summary.index, columns=cols)
        out.attrs.update(model=self.name, t=t, time_unit=self.time_unit)
        return out

    def _grid(self, T: float, max_frequency: int, n_recency: int):
        T = self._t(T, "T")
        if T <= 0:
            raise CRMDataError("parameter 'T' must be > 0: the age of the customers pictured.")
        max_frequency = int(check_range("max_frequency", max_frequency, lo=1))
        if self.discrete:
            rec = np.arange(int(T) + 1, dtype=float)
        else:
            rec = np.linspace(0, T, int(check_range("n_recency", n_recency, lo=2)))
        X, R = np.meshgrid(np.arange(max_frequency + 1, dtype=float), rec, indexing="ij")
        impossible = ((X == 0) & (R > 0)) | ((X > 0) & (R == 0)) if self.discrete else (X == 0) & (R > 0)
        if self.discrete:
            impossible |= X > R
        return T, X, R, impossible, rec

    def _grid_frame(self, P, rec, max_frequency, **attrs) -> pd.DataFrame:
        out = pd.DataFrame(
            P,
            index=pd.Index(np.arange(max_frequency + 1), name="frequency"),
            columns=pd.Index(np.round(rec, 3), name="recency"),
        )
        out.attrs.update(time_unit=self.time_unit, model=self.name, **attrs)
        return out

    def probability_alive_matrix(self, max_frequency: int = 20, T: float = 52.0, n_recency: int = 40) -> pd.DataFrame:
        """P(alive) on a grid: rows frequency 0..max_frequency, columns recency 0..T (NaN where impossible)."""
        T, X, R, bad, rec = self._grid(T, max_frequency, n_recency)
        P = self._p_alive(X.ravel(), R.ravel(), np.full(X.size, T)).reshape(X.shape)
        P[bad] = np.nan
        return self._grid_frame(P, rec, int(max_frequency), T=T)

    def expected_purchases_grid(
        self, t: float, T: float = 52.0, max_frequency: int = 20, n_recency: int = 40
    ) -> pd.DataFrame:
        """Expected purchases in the next ``t`` units on a frequency x recency grid, for customers of age ``T``."""
        t = self._t(t)
        T, X, R, bad, rec = self._grid(T, max_frequency, n_recency)
        E = self._conditional(X.ravel(), R.ravel(), np.full(X.size, T), t).reshape(X.shape)
        E[bad] = np.nan
        return self._grid_frame(E, rec, int(max_frequency), T=T, t=t)

    def p_alive_path(self, purchase_times: Iterable[float], end: float, n_points: int = 200) -> pd.DataFrame:
        """One customer's P(alive) over time, from the first purchase (time 0) to ``end``.

        ``purchase_times`` are the times of the repeat purchases after the first
        one (in the model's time unit; see :func:`customer_purchase_times`). At
        each time the customer's history so far (x, t_x, T) gives P(alive): it
        jumps up at each purchase and decays while the customer is silent.
        """
        times = np.sort(np.asarray(list(purchase_times), dtype=float))
        end = self._t(end, "end")
        if len(times) and (times.min() <= 0 or times.max() > end):
            raise CRMDataError(
                "parameter 'purchase_times': repeat purchases must lie after the first purchase (time 0) and "
                f"not after end = {end:g}. Give times since the first purchase in {_UNIT_WORDS.get(self.time_unit)}."
            )
        if self.discrete:
            grid = np.arange(int(end) + 1, dtype=float)
        else:
            grid = np.unique(
                np.r_[
                    np.linspace(0, end, int(check_range("n_points", n_points, lo=2))),
                    times,
                    np.maximum(times - 1e-9, 0),
                ]
            )
        x = np.searchsorted(times, grid, side="right").astype(float)
        tx = np.where(x > 0, times[np.maximum(x.astype(int) - 1, 0)] if len(times) else 0.0, 0.0)
        out = pd.DataFrame({"time": grid, "frequency": x, "recency": tx, "p_alive": self._p_alive(x, tx, grid)})
        out.attrs.update(model=self.name, time_unit=self.time_unit, purchases=times)
        return out

    def simulate(self, n_customers: int, T: Any, *, seed: int = 0) -> pd.DataFrame:
        """Customers drawn from the fitted model (seeded): frequency, recency and T as in a summary.

        ``T`` is every customer's age (a number) or one age per customer (an array).
        Fitting the model to a large simulated base recovers its parameters,
        which is how the estimators are tested.
        """
        n = int(check_range("n_customers", n_customers, lo=1))
        TT = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
        if np.any(TT <= 0) or (self.discrete and np.any(TT != np.round(TT))):
            raise CRMDataError("parameter 'T' must be > 0" + (" and whole periods" if self.discrete else "") + ".")
        rng = np.random.default_rng(seed)
        x, tx = self._simulate(rng, TT)
        out = pd.DataFrame(
            {"frequency": x.astype(np.int64), "recency": tx, self.time_column: TT},
            index=pd.RangeIndex(n, name="customer"),
        )
        out.attrs.update(time_unit=self.time_unit, simulated_from=self.name, seed=seed)
        return out

    def discounted_purchases(self, summary: pd.DataFrame, horizon: int, discount_rate: float) -> pd.Series:
        """Expected purchases over ``horizon`` units, each unit's purchases discounted by (1 + d) ** k."""
        summary, x, tx, T = self._arrays(summary)
        h = int(self._t(horizon, "horizon"))
        pv = self._discounted(x, tx, T, h, float(discount_rate))
        return pd.Series(pv, index=summary.index, name="discounted_purchases")

    def _discounted(self, x, tx, T, h: int, d: float) -> np.ndarray:
        prev = np.zeros_like(x)
        pv = np.zeros_like(x)
        for k in range(1, h + 1):
            cur = self._conditional(x, tx, T, float(k))
            pv += (cur - prev) / (1 + d) ** k
            prev = cur
        return pv

    @classmethod
    def _start(cls, x, tx, T, w) -> np.ndarray:
        rate = max(float(w @ x / w.sum()), 0.05) / max(float(w @ T / w.sum()), 1e-9)
        return np.log([1.0, 1.0 / rate, 1.0, 1.0])

    @classmethod
    def fit(
        cls, summary: pd.DataFrame, *, weights: str | None = None, penalizer: float = 0.0, time_unit: str | None = None
    ):
        """Fit by maximum likelihood; see the model's ``fit_*`` function for the details."""
        summary, x, tx, T, w, unit = cls._fit_arrays(summary, weights, time_unit)
        with single_threaded():  # the whole fit: optimiser, likelihood and Hessian
            return cls._fit_from(x, tx, T, w, unit, penalizer)

    @classmethod
    def _fit_arrays(cls, summary, weights, time_unit):
        summary, x, tx, T, w, unit = summary_arrays(summary, weights=weights, time_unit=time_unit)
        return summary, x, tx, T, w, unit

    @classmethod
    def _fit_from(cls, x, tx, T, w, unit, penalizer: float):
        penalizer = check_range("penalizer", penalizer, lo=0)
        if w.sum() < _btyd.MIN_CUSTOMERS:
            raise CRMDataError(
                f"table 'summary': {w.sum():g} customers is too few to fit {cls.name} (at least "
                f"{_btyd.MIN_CUSTOMERS}). Use more customers (a longer period or a larger sample)."
            )
        if not np.any((x > 0) & (w > 0)):
            raise CRMDataError(
                "table 'summary', column 'frequency': no customer made a repeat purchase, so repeat buying "
                "and dropout cannot be estimated. Use a longer calibration period or more customers."
            )
        (xc, txc, Tc), wc = _compress([x, tx, T], w)
        W = wc.sum()
        theta_pen = penalizer

        def mean_nll(logp):
            out = cls._nll(logp, xc, txc, Tc, wc)
            if isinstance(out, tuple):
                nll, grad = out
                nll, grad = nll / W, grad / W
                if theta_pen:
                    th = np.exp(logp)
                    nll, grad = nll + theta_pen * np.sum(th**2), grad + theta_pen * 2 * th**2
                return nll, grad
            nll = out / W
            return nll + theta_pen * np.sum(np.exp(logp) ** 2) if theta_pen else nll

        def total(logp):
            out = cls._nll(logp, xc, txc, Tc, wc)
            return out[0] if isinstance(out, tuple) else out

        analytic = isinstance(cls._nll(cls._start(xc, txc, Tc, wc), xc, txc, Tc, wc), tuple)
        res, at_bound = _optimise(mean_nll, cls._start(xc, txc, Tc, wc), jac=analytic)
        if not (res.success or "ABNORMAL" in str(res.message)) or at_bound or not np.all(np.isfinite(res.x)):
            raise _btyd._not_converged(
                cls.name, res, list(cls.param_names), at_bound, unit if unit in ("D", "W") else "W"
            )

        def gradient(logp):
            out = cls._nll(logp, xc, txc, Tc, wc)
            assert isinstance(out, tuple)
            return out[1]

        grad = gradient if analytic else None
        cov, note = _covariance(total, res.x, grad)
        params = dict(zip(cls.param_names, np.exp(res.x)))
        return cls(
            params,
            log_likelihood=-total(res.x),
            n=W,
            time_unit=unit,
            covariance=cov,
            penalizer=penalizer,
            note=note,
            iterations=int(res.nit),
        )


# --------------------------------------------------------------------------- BG/NBD in the interface


def _nb_terms(r, al, t, n_max: int) -> np.ndarray:
    """NBD probabilities Γ(r+j)/(Γ(r) j!) (α/(α+t))^r (t/(α+t))^j, j = 0..n_max; shape (n_max+1, m)."""
    from scipy.special import gammaln

    r, al, t = np.broadcast_arrays(
        np.atleast_1d(np.asarray(r, float)), np.atleast_1d(np.asarray(al, float)), np.atleast_1d(np.asarray(t, float))
    )
    j = np.arange(n_max + 1)[:, None]
    with np.errstate(divide="ignore"):
        logq = np.where(t > 0, np.log(t) - np.log(al + t), -np.inf)
        out = (
            gammaln(r + j)
            - gammaln(r)
            - gammaln(j + 1)
            + r * (np.log(al) - np.log(al + t))
            + np.where(j > 0, j * logq, 0.0)
        )
    return np.exp(out)


def _bg_pmf(r, al, a, b, t, n_max: int) -> np.ndarray:
    """BG/NBD P(X(t) = k), k = 0..n_max (Fader, Hardie & Lee 2005, eq. 8), parameters broadcast per column."""
    from scipy.special import betaln

    nb = _nb_terms(r, al, t, n_max)
    r, al, a, b, t = np.broadcast_arrays(*[np.atleast_1d(np.asarray(v, float)) for v in (r, al, a, b, t)])
    k = np.arange(n_max + 1)[:, None]
    cum_before = np.cumsum(nb, axis=0) - nb  # sum over j < k
    P = np.exp(betaln(a, b + k) - betaln(a, b)) * nb
    P[1:] += np.exp(betaln(a + 1, b + k[1:] - 1) - betaln(a, b)) * np.clip(1 - cum_before[1:], 0, None)
    return P


def _nbd_simulate(rng, lam, T, J):
    """Purchase count and last purchase time when a Poisson(lam) buyer stops after J purchases (J may be inf)."""
    k = rng.poisson(lam * T)
    x = np.minimum(k, J).astype(np.int64)
    # the x-th of k uniform arrival times on (0, T] is T * Beta(x, k - x + 1)
    tx = np.zeros(len(T))
    pos = x > 0
    tx[pos] = T[pos] * rng.beta(x[pos], k[pos] - x[pos] + 1)
    return x, tx


class BGNBD(TransactionModel):
    """BG/NBD (Fader, Hardie & Lee 2005) in the shared interface.

    The formulas are those of :mod:`crmlab.btyd` (its likelihood with analytic
    gradient, P(alive), the conditional and unconditional expectations); this
    class adds weights, standard errors and the shared methods.
    """

    name = "BG/NBD"
    param_names = ("r", "alpha", "a", "b")

    @classmethod
    def _nll(cls, logp, x, tx, T, w):
        nll, grad = _btyd._bgnbd_nll(logp, x, tx, T, w, 0.0)
        W = w.sum()
        return nll * W, grad * W

    def _core(self) -> Any:
        p = self.params
        return _btyd.BGNBDResult(
            p["r"],
            p["alpha"],
            p["a"],
            p["b"],
            self.log_likelihood,
            int(self.n),
            self.time_unit if self.time_unit in _btyd.TIME_UNITS else "W",
            True,
        )

    def _p_alive(self, x, tx, T):
        return self._core()._p_alive(np.asarray(x, float), np.asarray(tx, float), np.asarray(T, float))

    def _conditional(self, x, tx, T, t):
        return self._core()._conditional(np.asarray(x, float), np.asarray(tx, float), np.asarray(T, float), t)

    def _mean_new(self, t):
        return np.asarray(self._core().expected_purchases_new(t), float)

    def _pmf_new(self, n_max, t):
        p = self.params
        return _bg_pmf(p["r"], p["alpha"], p["a"], p["b"], t, n_max)[:, 0]

    def _alive_pmf(self, x, tx, T, t, n_max):
        # posterior of an alive customer: purchase rate Gamma(r + x, alpha + T), dropout Beta(a, b + x)
        p = self.params
        return _bg_pmf(p["r"] + x, p["alpha"] + T, p["a"], p["b"] + x, t, n_max)

    def _simulate(self, rng, T):
        p = self.params
        n = len(T)
        lam = rng.gamma(p["r"], 1 / p["alpha"], n)
        drop = rng.beta(p["a"], p["b"], n)
        J = rng.geometric(drop)  # purchases until (and including) the one after which the customer leaves
        return _nbd_simulate(rng, lam, T, J)


def customer_purchase_times(
    orders: pd.DataFrame,
    customer_id: Any,
    *,
    customer: str = "customer_id",
    date: str = "order_date",
    time_unit: str = "W",
) -> np.ndarray:
    """Times of one customer's repeat purchases after the first, in ``time_unit`` (same-day orders combined).

    The input of :meth:`TransactionModel.p_alive_path`.

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                   "order_date": ["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-03"]})
    >>> customer_purchase_times(o, "a")
    array([2.])
    """
    unit = _btyd._unit_days(time_unit)
    orders = check_table(orders, "orders", {customer: "id", date: "datetime"})
    rows = orders[orders[customer] == customer_id]
    if rows.empty:
        raise CRMDataError(
            f"table 'orders', column '{customer}': no orders of customer {customer_id!r}. "
            f"Pick an id that appears in the table."
        )
    days = np.unique(rows[date].to_numpy().astype("datetime64[D]").astype(np.int64))
    return (days[1:] - days[0]) / unit


# --------------------------------------------------------------------------- Gamma-Gamma in the interface


class GammaGamma(_Fitted):
    """Gamma-Gamma spend model (Fader, Hardie & Lee 2005, JMR) with standard errors.

    The formulas are those of :mod:`crmlab.btyd`; ``expected_spend`` is its
    conditional expected mean spend per transaction.
    """

    name = "Gamma-Gamma"
    param_names = ("p", "q", "gamma")

    def expected_spend(self, summary: pd.DataFrame) -> pd.Series:
        """E[mean spend | frequency, monetary_value] per customer (one-time buyers: the population mean)."""
        p = self.params
        core = _btyd.GammaGammaResult(p["p"], p["q"], p["gamma"], self.log_likelihood, int(self.n), True, math.nan, "")
        return core.expected_spend(summary)


def fit_spend_model(summary: pd.DataFrame, *, penalizer: float = 0.0) -> GammaGamma:
    """Fit Gamma-Gamma (through :func:`crmlab.btyd.fit_gamma_gamma`) and add standard errors.

    Examples
    --------
    >>> from crmlab import datasets
    >>> s = _btyd.summary_from_transactions(datasets.load("cdnow").orders, calibration_end="1997-09-30")
    >>> gg = fit_spend_model(s)
    >>> gg.param_table().round(2).iloc[:, :2]
               estimate  std_error
    parameter
    p              6.25       1.19
    q              3.74       0.29
    gamma         15.44       4.16
    """
    with single_threaded():
        res = _btyd.fit_gamma_gamma(summary, penalizer=penalizer)
    x_all = summary["frequency"].to_numpy(dtype=float)
    m_all = summary["monetary_value"].to_numpy(dtype=float)
    use = (x_all > 0) & (m_all > 0)
    (xc, mc), w = _compress([x_all[use], m_all[use]], np.ones(int(use.sum())))
    W = w.sum()

    def total(logp):
        return _btyd._gg_nll(logp, xc, mc, w, 0.0)[0] * W

    def grad(logp):
        return _btyd._gg_nll(logp, xc, mc, w, 0.0)[1] * W

    logp = np.log([res.p, res.q, res.gamma])
    cov, note = _covariance(total, logp, grad)
    return GammaGamma(
        {"p": res.p, "q": res.q, "gamma": res.gamma},
        log_likelihood=res.log_likelihood,
        n=res.n,
        covariance=cov,
        penalizer=penalizer,
        note=note,
    )


# --------------------------------------------------------------------------- registry and shared checks


def _registry() -> dict[str, type[TransactionModel]]:
    from crmlab.bgbb import BGBB
    from crmlab.mbgnbd import MBGNBD
    from crmlab.paretonbd import ParetoNBD

    return {"bgnbd": BGNBD, "paretonbd": ParetoNBD, "mbgnbd": MBGNBD, "bgbb": BGBB}


#: Names of the continuous-time transaction models, for loops over models.
TRANSACTION_MODELS: tuple[str, ...] = ("bgnbd", "paretonbd", "mbgnbd")


def fit_model(
    model: str,
    summary: pd.DataFrame,
    *,
    weights: str | None = None,
    penalizer: float = 0.0,
    time_unit: str | None = None,
) -> TransactionModel:
    """Fit a transaction model by name: ``"bgnbd"``, ``"paretonbd"``, ``"mbgnbd"`` or ``"bgbb"``.

    Examples
    --------
    >>> from crmlab import datasets
    >>> s = _btyd.summary_from_transactions(datasets.load("cdnow").orders, calibration_end="1997-09-30")
    >>> for name in TRANSACTION_MODELS:
    ...     m = fit_model(name, s)
    ...     print(f"{m.name:10s} LL {m.log_likelihood:9.2f}  BIC {m.bic:8.1f}")
    BG/NBD     LL  -9582.43  BIC  19195.9
    Pareto/NBD LL  -9594.98  BIC  19221.0
    MBG/NBD    LL  -9582.14  BIC  19195.3
    """
    reg = _registry()
    check_choice("model", model, list(reg))
    return reg[model].fit(summary, weights=weights, penalizer=penalizer, time_unit=time_unit)


def calibration_holdout_table(model: TransactionModel, summary: pd.DataFrame, max_frequency: int = 7) -> pd.DataFrame:
    """Mean holdout purchases, actual against predicted, by repeat purchases in calibration.

    ``summary`` must come from ``summary_from_transactions(..., calibration_end=...)``
    (columns ``frequency_holdout`` and ``duration_holdout``). The last row pools
    ``max_frequency`` or more. The conditional-expectation check of Fader, Hardie
    & Lee (2005, fig. 5).
    """
    check_table(summary, "summary", {"frequency_holdout": "nonneg", "duration_holdout": "nonneg"})
    max_frequency = int(check_range("max_frequency", max_frequency, lo=1))
    summary, x, tx, T = model._arrays(summary)
    dur = summary["duration_holdout"].to_numpy(float)
    pred = np.empty(len(x))
    for d in np.unique(dur):
        sel = dur == d
        pred[sel] = model._conditional(x[sel], tx[sel], T[sel], float(d))
    group = np.minimum(x, max_frequency).astype(int)
    df = pd.DataFrame({"group": group, "actual": summary["frequency_holdout"].to_numpy(float), "predicted": pred})
    out = df.groupby("group").agg(
        customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean")
    )
    out.index = pd.Index(
        [str(k) if k < max_frequency else f"{max_frequency}+" for k in out.index], name="calibration_frequency"
    )
    out.attrs.update(model=model.name, time_unit=model.time_unit, holdout=float(dur.max()))
    return out


def compare_models(summary: pd.DataFrame, models: Iterable[str] = TRANSACTION_MODELS) -> pd.DataFrame:
    """Fit several models to one calibration/holdout summary and compare fit and forecast.

    Columns: number of parameters, log-likelihood, AIC, BIC (in-sample fit;
    smaller AIC/BIC is better), and on the holdout: total actual and predicted
    purchases, the error of the total in %, the mean absolute and root mean
    squared error per customer, and the same mean error among one-time buyers.
    """
    check_table(summary, "summary", {"frequency_holdout": "nonneg", "duration_holdout": "nonneg"})
    rows = {}
    actual = summary["frequency_holdout"].to_numpy(float)
    one_time = summary["frequency"].to_numpy() == 0
    for name in models:
        m = fit_model(name, summary)
        pred = m.expected_purchases(summary, float(summary["duration_holdout"].iloc[0])).to_numpy()
        err = pred - actual
        rows[m.name] = {
            "parameters": len(m.params),
            "log_likelihood": m.log_likelihood,
            "aic": m.aic,
            "bic": m.bic,
            "holdout_actual": actual.sum(),
            "holdout_predicted": pred.sum(),
            "total_error_pct": 100 * (pred.sum() - actual.sum()) / actual.sum(),
            "mae": np.abs(err).mean(),
            "rmse": math.sqrt(np.mean(err**2)),
            "one_time_actual": actual[one_time].mean(),
            "one_time_predicted": pred[one_time].mean(),
        }
    out = pd.DataFrame(rows).T
    out.index.name = "model"
    out["parameters"] = out["parameters"].astype(int)
    out.attrs.update(
        customers=len(summary),
        holdout=float(summary["duration_holdout"].iloc[0]),
        time_unit=summary.attrs.get("time_unit"),
    )
    return out


def clv_interval(
    model: TransactionModel,
    spend: GammaGamma,
    summary: pd.DataFrame,
    *,
    horizon: int,
    discount_rate: float,
    margin: float = 1.0,
    level: float = 0.9,
    draws: int = 200,
    seed: int = 0,
) -> pd.DataFrame:
    """Discounted CLV per customer with an interval from parameter uncertainty (seeded).

    The point value is computed at the estimates (as :func:`crmlab.btyd.probabilistic_clv`
    does for BG/NBD); the interval holds the central ``level`` share of the CLVs
    obtained with ``draws`` parameter sets of both models drawn from their
    asymptotic distributions. ``horizon`` and ``discount_rate`` are in the
    model's time unit. The interval reflects estimation uncertainty only, not
    how one customer's purchases scatter around their expectation.
    """
    summary, x, tx, T = model._arrays(summary)
    h = int(model._t(horizon, "horizon"))
    d = check_range(
        "discount_rate",
        discount_rate,
        lo=0,
        hi=0.5,
        hint="A rate per time unit of the model, e.g. 1.10 ** (1/52) - 1 per week.",
    )
    margin = check_range("margin", margin, lo=0, hi=1, hint="Profit share of spend, e.g. 0.3; 1 = revenue.")
    level = check_range("level", level, lo=0, hi=1, lo_open=True, hi_open=True)
    spend0 = spend.expected_spend(summary).to_numpy()
    point = model._discounted(x, tx, T, h, d) * spend0 * margin
    tp = model.sample_params(draws, seed=seed)
    sp = spend.sample_params(draws, seed=seed + 1)
    sims = np.empty((int(draws), len(x)))
    for i in range(int(draws)):
        m = model.with_params(tp.iloc[i].to_dict())
        g = spend.with_params(sp.iloc[i].to_dict())
        sims[i] = m._discounted(x, tx, T, h, d) * g.expected_spend(summary).to_numpy() * margin
    lo, hi = np.quantile(sims, [(1 - level) / 2, (1 + level) / 2], axis=0)
    out = pd.DataFrame({"clv": point, f"clv_lower_{level:.0%}": lo, f"clv_upper_{level:.0%}": hi}, index=summary.index)
    out.attrs.update(
        model=model.name,
        horizon=h,
        discount_rate=d,
        margin=margin,
        draws=int(draws),
        seed=seed,
        time_unit=model.time_unit,
        level=level,
    )
    return out
