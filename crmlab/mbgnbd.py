"""The MBG/NBD model of repeat buying (修正的 BG/NBD 模型).

Batislam, Denizel & Filiztekin (2007), "Empirical validation and comparison of
models for customer base analysis", *International Journal of Research in
Marketing* 24(3), 201-209. Like BG/NBD (Fader, Hardie & Lee 2005), an alive
customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha) and may
drop out with probability p ~ Beta(a, b) -- but at *every* purchase, the first
one included. A one-time buyer can therefore already be gone, and their
P(alive) is below 1, which removes BG/NBD's best-known artefact.

Likelihood (Batislam et al. 2007, eq. 3), with B the beta function:

    L = B(a, b+x+1)/B(a, b) * Γ(r+x) α^r / Γ(r)
        * [ (α+T)^-(r+x) + a/(b+x) * (α+t_x)^-(r+x) ]

P(alive) = 1 / (1 + a/(b+x) * ((α+T)/(α+t_x))^(r+x)). A customer alive at T
has posterior rate Gamma(r+x, α+T) and dropout Beta(a, b+x+1) and, like a
BG/NBD customer, next faces dropout after their next purchase, so the
conditional forecasts are BG/NBD forecasts with those parameters.

The paper's grocery data are not public, so no published estimate on data we
can ship exists; the implementation is tested against the likelihood's limits,
a direct numerical integration of the likelihood, parameter recovery from
simulated customers, and (in ``benchmarks/bench_clv.py``) lifetimes'
``ModifiedBetaGeoFitter``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.btyd_models import TransactionModel, _bg_pmf, _nbd_simulate

__all__ = ["MBGNBD", "fit_mbgnbd", "bg_mean"]


def bg_mean(r, al, a, b, t):
    """E[X(t)] of a BG/NBD customer alive at 0 (Fader, Hardie & Lee 2005, eq. 9), vectorised.

    Examples
    --------
    >>> from crmlab.btyd import BGNBDResult
    >>> m = BGNBDResult(0.243, 4.414, 0.793, 2.426, 0.0, 1, "W", True)
    >>> bool(np.isclose(bg_mean(0.243, 4.414, 0.793, 2.426, 39.0), m.expected_purchases_new(39.0)))
    True
    """
    from scipy.special import hyp2f1

    r, al, a, b, t = (np.asarray(v, float) for v in (r, al, a, b, t))
    z = t / (al + t)
    return (a + b - 1) / (a - 1) * (1 - np.exp(r * (np.log(al) - np.log(al + t))) * hyp2f1(r, b, a + b - 1, z))


class MBGNBD(TransactionModel):
    """A fitted MBG/NBD model: purchase rate ~ Gamma(r, alpha), dropout p ~ Beta(a, b) at every purchase."""

    name = "MBG/NBD"
    param_names = ("r", "alpha", "a", "b")

    @classmethod
    def _nll(cls, logp, x, tx, T, w):
        from scipy.special import betaln, digamma, gammaln

        r, al, a, b = np.exp(logp)
        A2 = -(r + x) * np.log(al + T)
        A3 = np.log(a) - np.log(b + x) - (r + x) * np.log(al + tx)
        lse = np.logaddexp(A2, A3)
        ll = gammaln(r + x) - gammaln(r) + r * np.log(al) + betaln(a, b + x + 1) - betaln(a, b) + lse
        w2, w3 = np.exp(A2 - lse), np.exp(A3 - lse)
        dab, dabx = digamma(a + b), digamma(a + b + x + 1)
        g_r = digamma(r + x) - digamma(r) + np.log(al) - w2 * np.log(al + T) - w3 * np.log(al + tx)
        g_al = r / al - (r + x) * (w2 / (al + T) + w3 / (al + tx))
        g_a = dab - dabx + w3 / a
        g_b = digamma(b + x + 1) - dabx - digamma(b) + dab - w3 / (b + x)
        theta = np.array([r, al, a, b])
        grad = -np.array([w @ g_r, w @ g_al, w @ g_a, w @ g_b]) * theta
        return -float(w @ ll), grad

    def _p_alive(self, x, tx, T):
        p = self.params
        x, tx, T = (np.asarray(v, float) for v in (x, tx, T))
        log_odds = (
            np.log(p["a"]) - np.log(p["b"] + x) + (p["r"] + x) * (np.log(p["alpha"] + T) - np.log(p["alpha"] + tx))
        )
        return 1.0 / (1.0 + np.exp(np.minimum(log_odds, 700)))

    def _conditional(self, x, tx, T, t):
        p = self.params
        x, tx, T = (np.asarray(v, float) for v in (x, tx, T))
        if t == 0:
            return np.zeros_like(x)
        return self._p_alive(x, tx, T) * bg_mean(p["r"] + x, p["alpha"] + T, p["a"], p["b"] + x + 1, t)

    def _mean_new(self, t):
        # with probability a/(a+b) the customer leaves at once; otherwise p | stayed ~ Beta(a, b+1)
        p = self.params
        a, b = p["a"], p["b"]
        return b / (a + b) * bg_mean(p["r"], p["alpha"], a, b + 1, t)

    def _pmf_new(self, n_max, t):
        p = self.params
        a, b = p["a"], p["b"]
        P = b / (a + b) * _bg_pmf(p["r"], p["alpha"], a, b + 1, t, n_max)[:, 0]
        P[0] += a / (a + b)
        return P

    def _alive_pmf(self, x, tx, T, t, n_max):
        # alive after x + 1 dropout chances: dropout Beta(a, b + x + 1); next chance after the next purchase
        p = self.params
        return _bg_pmf(p["r"] + x, p["alpha"] + T, p["a"], p["b"] + x + 1, t, n_max)

    def _simulate(self, rng, T):
        p = self.params
        n = len(T)
        lam = rng.gamma(p["r"], 1 / p["alpha"], n)
        drop = rng.beta(p["a"], p["b"], n)
        J = rng.geometric(drop) - 1  # may leave right at the first purchase: J = 0
        return _nbd_simulate(rng, lam, T, J)


def fit_mbgnbd(
    summary: pd.DataFrame, *, weights: str | None = None, penalizer: float = 0.0, time_unit: str | None = None
) -> MBGNBD:
    """Fit the MBG/NBD model by maximum likelihood (analytic gradient, log-parameters).

    Parameters
    ----------
    summary : output of :func:`crmlab.btyd.summary_from_transactions`, or a pattern table.
    weights : column with the number of customers of each row; None = one each.
    penalizer : L2 penalty on the parameters (0 = plain maximum likelihood).
    time_unit : unit of recency and T; read from ``summary.attrs`` if not given.

    Returns
    -------
    MBGNBD with parameters, standard errors (``param_table()``), log-likelihood, AIC and BIC.

    Examples
    --------
    >>> from crmlab import datasets
    >>> from crmlab.btyd import summary_from_transactions
    >>> s = summary_from_transactions(datasets.load("cdnow").orders, calibration_end="1997-09-30")
    >>> m = fit_mbgnbd(s)
    >>> m.p_alive(s.head(3)).round(3).tolist()  # one-time buyers are no longer certainly alive
    [0.706, 0.171, 0.39]
    """
    return MBGNBD.fit(summary, weights=weights, penalizer=penalizer, time_unit=time_unit)
