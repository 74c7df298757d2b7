"""The BG/BB model for discrete-time repeat transactions (离散时间的 BG/BB 模型).

Fader, Hardie & Shang (2010), "Customer-Base Analysis in a Discrete-Time
Noncontractual Setting", *Marketing Science* 29(6), 1086-1108. Some firms see
their customers only at fixed occasions -- a yearly fund drive, an annual
conference, a weekly market day. At each of n occasions an alive customer
transacts with probability p ~ Beta(alpha, beta); at the start of each
occasion they leave for good with probability theta ~ Beta(gamma, delta).

A customer's history is (x, t_x, n): x repeat transactions, the last at
occasion t_x, out of n occasions. Customers with the same history are pooled in
a pattern table with a ``weights`` column (the paper's donation data: 11,104
donors in 22 patterns; the ``donations`` dataset).

Formulas (FHS 2010, with B the beta function):

* likelihood (eq. 5):
  L = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
      + Σ_{i=0}^{n−t_x−1} B(α+x, β+t_x−x+i)/B(α,β) · B(γ+1, δ+t_x+i)/B(γ,δ);
* P(alive after occasion n | x, t_x, n) = first term / L;
* E[X(n)] of a new customer (eq. 9):
  α/(α+β) · δ/(γ−1) · [1 − Γ(γ+δ)Γ(1+δ+n) / (Γ(1+δ)Γ(γ+δ+n))];
* P(X(n) = x) of a new customer (eq. 7);
* conditional forecasts: an alive customer's posterior is p ~ Beta(α+x, β+n−x),
  θ ~ Beta(γ, δ+n), and their future is that of a new customer with those
  parameters (their eq. 13 follows).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab._validate import CRMDataError, check_table
from crmlab.btyd_models import TransactionModel, _no_doubles, _weights

__all__ = ["BGBB", "fit_bgbb"]


def _bgbb_ll(al, be, ga, de, x, tx, n):
    from scipy.special import betaln

    base_a, base_g = betaln(al, be), betaln(ga, de)
    alive = betaln(al + x, be + n - x) - base_a + betaln(ga, de + n) - base_g
    terms = [alive]
    k_max = int(np.max(n - tx)) if len(n) else 0
    for i in range(k_max):
        ok = i < n - tx
        term = betaln(al + x, be + tx - x + i) - base_a + betaln(ga + 1, de + tx + i) - base_g
        terms.append(np.where(ok, term, -np.inf))
    from scipy.special import logsumexp

    return logsumexp(np.vstack(terms), axis=0), alive


def _bgbb_mean(al, be, ga, de, t):
    from scipy.special import gammaln

    al, be, ga, de, t = (np.asarray(v, float) for v in (al, be, ga, de, t))
    ratio = np.exp(gammaln(ga + de) - gammaln(1 + de) + gammaln(1 + de + t) - gammaln(ga + de + t))
    return al / (al + be) * de / (ga - 1) * (1 - ratio)


def _bgbb_pmf(al, be, ga, de, t: int, n_max: int):
    """P(X(t) = k), k = 0..n_max, for a customer alive at 0 (FHS 2010, eq. 7); parameters per column."""
    from scipy.special import betaln, gammaln

    al, be, ga, de = np.broadcast_arrays(*[np.atleast_1d(np.asarray(v, float)) for v in (al, be, ga, de)])
    t = int(t)
    P = np.zeros((n_max + 1, al.size))
    base_a, base_g = betaln(al, be), betaln(ga, de)

    def lchoose(nn, kk):
        return gammaln(nn + 1) - gammaln(kk + 1) - gammaln(nn - kk + 1)

    for k in range(min(n_max, t) + 1):
        acc = np.exp(lchoose(t, k) + betaln(al + k, be + t - k) - base_a + betaln(ga, de + t) - base_g)
        for i in range(k, t):
            acc += np.exp(lchoose(i, k) + betaln(al + k, be + i - k) - base_a + betaln(ga + 1, de + i) - base_g)
        P[k] = acc
    return P


class BGBB(TransactionModel):
    """A fitted BG/BB model: transaction probability ~ Beta(alpha, beta), dropout probability ~ Beta(gamma, delta).

    Time is counted in transaction opportunities (``time_unit`` ``"P"``,
    periods); the summary has columns ``frequency``, ``recency`` and ``periods``.
    """

    name = "BG/BB"
    param_names = ("alpha", "beta", "gamma", "delta")
    discrete = True
    time_column = "periods"

    def __init__(self, params, *, log_likelihood, n, time_unit="P", **kw):
        super().__init__(params, log_likelihood=log_likelihood, n=n, time_unit=time_unit, **kw)

    @staticmethod
    def _check(summary, table="summary", weights=None):
        summary = check_table(summary, table, {"frequency": "nonneg", "recency": "nonneg", "periods": "nonneg"})
        x, tx, n = (summary[c].to_numpy(float) for c in ("frequency", "recency", "periods"))
        _no_doubles(summary, table, [x, tx, n], ["frequency", "recency", "periods"])
        for name, v in (("frequency", x), ("recency", tx), ("periods", n)):
            if np.any(v != np.round(v)):
                raise CRMDataError(
                    f"table '{table}', column '{name}': BG/BB counts whole occasions; "
                    f"found fractions. Count transaction opportunities, not days."
                )
        bad = (x > tx) | (tx > n) | ((x > 0) & (tx == 0))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise CRMDataError(
                f"table '{table}': {int(bad.sum())} row(s) break 0 <= frequency <= recency <= periods with recency > 0 "
                f"when frequency > 0 (first: row {summary.index[i]!r}: frequency {x[i]:g}, recency {tx[i]:g}, "
                f"periods {n[i]:g}). Recency is the occasion of the last repeat transaction, at most one per occasion."
            )
        return summary, x, tx, n, _weights(summary, weights, table)

    def _arrays(self, summary, table="summary"):
        summary, x, tx, n, _ = self._check(summary, table)
        return summary, x, tx, n

    @classmethod
    def _fit_arrays(cls, summary, weights, time_unit):
        summary, x, tx, n, w = cls._check(summary, "summary", weights)
        return summary, x, tx, n, w, "P"

    @classmethod
    def _start(cls, x, tx, T, w):
        return np.log([1.0, 1.0, 1.0, 1.0])

    @classmethod
    def _nll(cls, logp, x, tx, n, w):
        al, be, ga, de = np.exp(logp)
        ll, _ = _bgbb_ll(al, be, ga, de, x, tx, n)
        return -float(w @ ll)

    def _p_alive(self, x, tx, n):
        p = self.params
        x, tx, n = (np.atleast_1d(np.asarray(v, float)) for v in (x, tx, n))
        ll, alive = _bgbb_ll(p["alpha"], p["beta"], p["gamma"], p["delta"], x, tx, n)
        return np.exp(alive - ll)

    def p_alive_next_period(self, summary: pd.DataFrame) -> pd.Series:
        """P(alive at the next occasion n + 1 | x, t_x, n): FHS (2010) eq. 11 and their table 6."""
        summary, x, tx, n = self._arrays(summary)
        de, ga = self.params["delta"], self.params["gamma"]
        return pd.Series(self._p_alive(x, tx, n) * (de + n) / (ga + de + n), index=summary.index, name="p_alive_next")

    def _conditional(self, x, tx, n, t):
        p = self.params
        x, tx, n = (np.asarray(v, float) for v in (x, tx, n))
        if t == 0:
            return np.zeros_like(x)
        return self._p_alive(x, tx, n) * _bgbb_mean(p["alpha"] + x, p["beta"] + n - x, p["gamma"], p["delta"] + n, t)

    def _mean_new(self, t):
        p = self.params
        return _bgbb_mean(p["alpha"], p["beta"], p["gamma"], p["delta"], t)

    def _pmf_new(self, n_max, t):
        p = self.params
        return _bgbb_pmf(p["alpha"], p["beta"], p["gamma"], p["delta"], int(t), n_max)[:, 0]

    def _alive_pmf(self, x, tx, n, t, n_max):
        # alive after occasion n: p ~ Beta(alpha + x, beta + n - x), theta ~ Beta(gamma, delta + n)
        p = self.params
        return _bgbb_pmf(p["alpha"] + x, p["beta"] + n - x, p["gamma"], p["delta"] + n, int(t), n_max)

    def _simulate(self, rng, T):
        p = self.params
        m = len(T)
        prob = rng.beta(p["alpha"], p["beta"], m)
        theta = rng.beta(p["gamma"], p["delta"], m)
        alive = np.ones(m, dtype=bool)
        x = np.zeros(m, dtype=np.int64)
        tx = np.zeros(m)
        for occasion in range(1, int(T.max()) + 1):
            alive &= (rng.random(m) >= theta) & (occasion <= T)
            buy = alive & (rng.random(m) < prob)
            x += buy
            tx[buy] = occasion
        return x, tx


def fit_bgbb(summary: pd.DataFrame, *, weights: str | None = None, penalizer: float = 0.0) -> BGBB:
    """Fit the BG/BB model by maximum likelihood to customers or to a weighted pattern table.

    Parameters
    ----------
    summary : columns ``frequency`` (repeat transactions), ``recency`` (occasion of the last
        one, 0 if none) and ``periods`` (occasions observed), one row per customer or per pattern.
    weights : column with the number of customers of each pattern; None = one each.
    penalizer : L2 penalty on the parameters (0 = plain maximum likelihood).

    Returns
    -------
    BGBB with parameters, standard errors (``param_table()``), log-likelihood, AIC and BIC.

    Examples
    --------
    The donation data of Fader, Hardie & Shang (2010): they report alpha = 1.204,
    beta = 0.750, gamma = 0.657, delta = 2.783 and LL = -33,225.6:

    >>> from crmlab import datasets
    >>> m = fit_bgbb(datasets.load("donations").patterns, weights="weights")
    >>> [round(v, 3) for v in m.params.values()], round(m.log_likelihood, 1)
    ([1.204, 0.75, 0.657, 2.783], -33225.6)
    """
    return BGBB.fit(summary, weights=weights, penalizer=penalizer)
