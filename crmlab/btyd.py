"""Probabilistic customer lifetime value (客户终身价值的概率模型): "buy 'til you die" models.

The BG/NBD model of repeat buying (Fader, Hardie & Lee 2005, "Counting Your
Customers the Easy Way", *Marketing Science* 24(2), 275-284) and the
Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and
CLV: Using Iso-Value Curves for Customer Base Analysis", *JMR* 42(4), 415-430),
fitted by maximum likelihood with analytic gradients, and the discounted CLV
that combines them.

Conventions, stated once and carried by every result:

* **Time unit.** Every summary, fit and forecast says its unit (``"D"`` days or
  ``"W"`` weeks of 7 days) in ``attrs["time_unit"]`` or a ``time_unit`` field.
  Horizons and discount rates are given in that same unit; nothing converts
  "months" behind your back.
* **Repeat purchases are counted in days.** BG/NBD assumes a customer makes at
  most one transaction at a time, so all purchases of one customer on the same
  calendar day are combined into one transaction (their amounts added). This
  is how Fader, Hardie & Lee prepared the CDNOW data. Times are then measured
  in days and divided by 7 for weeks, so ``recency`` and ``T`` may be fractional.
* **Two different recencies.** BTYD ``recency`` is the time from a customer's
  first to their last purchase (large = good: they were still buying late).
  RFM ``recency_days`` (``crmlab.rfm``) is the time since the last purchase
  (large = bad). Same word, opposite directions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crmlab._validate import (
    CRMDataError,
    check_choice,
    check_date,
    check_date_bounds,
    check_range,
    check_table,
    note_excluded,
)
from crmlab._contract import checked

__all__ = [
    "TIME_UNITS",
    "summary_from_transactions",
    "BGNBDResult",
    "fit_bgnbd",
    "GammaGammaResult",
    "fit_gamma_gamma",
    "spend_frequency_correlation",
    "probabilistic_clv",
    "repeat_frequency_check",
    "tracking_table",
]

#: Time units understood by the BTYD functions: name -> length in days.
TIME_UNITS: dict[str, int] = {"D": 1, "W": 7}
_UNIT_WORDS = {"D": "days", "W": "weeks"}

#: The fewest customers a BG/NBD or Gamma-Gamma fit accepts.
MIN_CUSTOMERS = 30


def _unit_days(time_unit: str) -> int:
    check_choice("time_unit", time_unit, list(TIME_UNITS))
    return TIME_UNITS[time_unit]


def _as_day(value: Any, name: str) -> np.int64:
    """A date-like parameter as an integer day number (days since 1970-01-01)."""
    ts = check_date(name, value)
    return np.int64(ts.normalize().to_datetime64().astype("datetime64[D]").astype(np.int64))


def _day_of(n: np.int64) -> pd.Timestamp:
    return pd.Timestamp(int(n), unit="D")


# --------------------------------------------------------------------------- summary


def _combine_days(codes: np.ndarray, days: np.ndarray, amounts: np.ndarray):
    """Combine purchases of one customer on one day; return (codes, days, amounts) sorted."""
    span = np.int64(days.max() - days.min() + 1) if len(days) else np.int64(1)
    key = codes.astype(np.int64) * span + (days - days.min())
    order = np.argsort(key, kind="stable")
    key = key[order]
    start = np.empty(len(key), dtype=bool)
    start[:1] = True
    np.not_equal(key[1:], key[:-1], out=start[1:])
    idx = np.flatnonzero(start)
    return codes[order][idx], days[order][idx], np.add.reduceat(amounts[order], idx) if len(idx) else amounts[:0]


def _per_customer(codes: np.ndarray, days: np.ndarray, amounts: np.ndarray, n: int):
    """From day-combined transactions sorted by (customer, day): count, first, last, totals."""
    count = np.bincount(codes, minlength=n)
    total = np.bincount(codes, weights=amounts, minlength=n)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else np.array([], dtype=int)
    ends = np.r_[starts[1:], len(codes)] - 1 if len(codes) else starts
    first = np.full(n, -1, dtype=np.int64)
    last = np.full(n, -1, dtype=np.int64)
    first_amount = np.zeros(n)
    first[codes[starts]] = days[starts]
    last[codes[starts]] = days[ends]
    first_amount[codes[starts]] = amounts[starts]
    return count, total, first, last, first_amount


@checked
def summary_from_transactions(
    orders: pd.DataFrame,
    *,
    customer: str = "customer_id",
    date: str = "order_date",
    amount: str | None = "amount",
    calibration_end: Any = None,
    observation_end: Any = None,
    time_unit: str = "W",
) -> pd.DataFrame:
    """Per-customer frequency, recency, T and mean spend: the input of BG/NBD and Gamma-Gamma.

    All purchases of a customer on the same calendar day are combined into one
    transaction (amounts added), because the BG/NBD model assumes one
    transaction at a time; Fader, Hardie & Lee counted CDNOW purchases this way.

    Parameters
    ----------
    orders : one row per purchase.
    customer, date, amount : column names. ``amount=None`` skips the spend columns.
    calibration_end : last day of the calibration (model-fitting) period. If
        given, only orders up to and including this day build the calibration
        columns, only customers whose first purchase falls in it are kept, and
        holdout columns describe the days after it up to ``observation_end``.
    observation_end : last day observed (default: the last order date). Without
        ``calibration_end`` it is where ``T`` ends.
    time_unit : ``"W"`` (weeks of 7 days, fractional) or ``"D"`` (days).

    Returns
    -------
    DataFrame indexed by customer with columns

    * ``frequency`` -- number of *repeat* purchase days (purchase days minus one);
    * ``recency`` -- time from the first to the last purchase (BTYD ``t_x``; 0 for
      one-time buyers). Not RFM's ``recency_days``, which is time *since* the last
      purchase;
    * ``T`` -- time from the first purchase to the end of the calibration period;
    * ``monetary_value`` -- mean spend per repeat purchase day (first purchase
      excluded, as in Fader, Hardie & Lee 2005); 0 for one-time buyers;
    * with ``calibration_end``: ``frequency_holdout`` (purchase days after the
      calibration end), ``monetary_holdout`` (mean spend per holdout purchase
      day, combined the same way; 0 if none) and ``duration_holdout``.

    ``attrs`` holds ``time_unit``, ``calibration_end``, ``observation_end`` and
    ``combined_same_day`` (how many order rows were merged into other rows).

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...     "order_date": ["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-08"],
    ...     "amount": [10.0, 5.0, 20.0, 7.0]})
    >>> s = summary_from_transactions(orders, observation_end="2024-01-29")
    >>> s  # doctest: +NORMALIZE_WHITESPACE
                 frequency  recency    T  monetary_value
    customer_id
    a                    1      2.0  4.0            20.0
    b                    0      0.0  3.0             0.0
    >>> s.attrs["time_unit"]
    'W'
    """
    unit = _unit_days(time_unit)
    spec = {customer: "id", date: "datetime"}
    if amount is not None:
        spec[amount] = "nonneg"
    orders = check_table(orders, "orders", spec)
    days = orders[date].to_numpy().astype("datetime64[D]").astype(np.int64)
    last_day = days.max()
    obs_end = last_day if observation_end is None else _as_day(observation_end, "observation_end")
    cal_end = None if calibration_end is None else _as_day(calibration_end, "calibration_end")
    for name, value in (("observation_end", obs_end), ("calibration_end", cal_end)):
        if value is not None:
            check_date_bounds(
                name,
                _day_of(value),
                _day_of(days.min()),
                _day_of(last_day),
                table="orders",
                column=date,
                before_first=True,
            )
    if obs_end < last_day and cal_end is None:
        n_after = int((days > obs_end).sum())
        raise CRMDataError(
            f"table 'orders', column '{date}': {n_after} order(s) fall after observation_end "
            f"{_day_of(obs_end).date()}. Filter them out first or move observation_end to "
            f"{_day_of(last_day).date()} or later."
        )
    if cal_end is not None:
        if cal_end < days.min():
            raise CRMDataError(
                f"parameter 'calibration_end' = {_day_of(cal_end).date()} is before the first order "
                f"({_day_of(days.min()).date()}) in table 'orders', column '{date}'. Choose a later date."
            )
        if cal_end >= obs_end:
            raise CRMDataError(
                f"parameter 'calibration_end' = {_day_of(cal_end).date()} is not before observation_end "
                f"({_day_of(obs_end).date()}): no holdout period is left. Choose an earlier calibration_end "
                f"or leave it out."
            )
        n_after = int((days > obs_end).sum())
        if n_after:
            raise CRMDataError(
                f"table 'orders', column '{date}': {n_after} order(s) fall after observation_end "
                f"{_day_of(obs_end).date()}. Filter them out first or move observation_end later."
            )
    codes, uniques = pd.factorize(orders[customer], sort=False)
    n = len(uniques)
    amounts = orders[amount].to_numpy(dtype=float) if amount is not None else np.zeros(len(days))
    c_codes, c_days, c_amounts = _combine_days(codes, days, amounts)
    end = obs_end if cal_end is None else cal_end
    if cal_end is not None:
        in_cal = c_days <= cal_end
        h_codes, h_amounts = c_codes[~in_cal], c_amounts[~in_cal]
        c_codes, c_days, c_amounts = c_codes[in_cal], c_days[in_cal], c_amounts[in_cal]
    count, total, first, last, first_amount = _per_customer(c_codes, c_days, c_amounts, n)
    keep = count > 0  # with a calibration split: first purchase in the calibration period
    freq = count - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(freq > 0, (total - first_amount) / np.maximum(freq, 1), 0.0)
    cols = {
        "frequency": freq,
        "recency": (last - first) / unit,
        "T": (end - first) / unit,
    }
    if amount is not None:
        cols["monetary_value"] = monetary
    if cal_end is not None:
        h_count = np.bincount(h_codes, minlength=n)
        h_total = np.bincount(h_codes, weights=h_amounts, minlength=n)
        cols["frequency_holdout"] = h_count
        if amount is not None:
            cols["monetary_holdout"] = np.where(h_count > 0, h_total / np.maximum(h_count, 1), 0.0)
        cols["duration_holdout"] = np.full(n, (obs_end - cal_end) / unit)
    index = pd.Index(uniques, name=customer)
    out = pd.DataFrame(cols, index=index)
    if not keep.all():
        out = out[keep]
    if cal_end is not None:
        note_excluded(out, "customers whose first purchase is after calibration_end", int((~keep).sum()))
    if unit == 1:
        for c in ("recency", "T", "duration_holdout"):
            if c in out:
                out[c] = out[c].astype(np.int64)
    out.attrs.update(
        time_unit=time_unit,
        time_unit_words=_UNIT_WORDS[time_unit],
        calibration_end=None if cal_end is None else _day_of(cal_end),
        observation_end=_day_of(obs_end),
        combined_same_day=int(len(days) - (len(c_days) + (0 if cal_end is None else len(h_codes)))),
        customers_first_buying_after_calibration=int((~keep).sum()),
    )
    return out


def _summary_arrays(summary: Any, table: str, need_money: bool = False):
    cols = {"frequency": "nonneg", "recency": "nonneg", "T": "nonneg"}
    if need_money:
        cols["monetary_value"] = "nonneg"
    summary = check_table(summary, table, cols)
    x = summary["frequency"].to_numpy(dtype=float)
    tx = summary["recency"].to_numpy(dtype=float)
    T = summary["T"].to_numpy(dtype=float)
    if np.any(tx > T + 1e-9):
        i = int(np.flatnonzero(tx > T + 1e-9)[0])
        raise CRMDataError(
            f"table '{table}', column 'recency': {int((tx > T + 1e-9).sum())} customer(s) have recency > T "
            f"(first: {summary.index[i]!r}). Recency is first-to-last purchase, T is first purchase to the end "
            f"of calibration; build the table with summary_from_transactions."
        )
    if np.any((x == 0) & (tx > 0)):
        raise CRMDataError(
            f"table '{table}', column 'recency': customers with frequency 0 must have recency 0. "
            f"Build the table with summary_from_transactions."
        )
    return summary, x, tx, T


def _time_unit_of(summary: pd.DataFrame, given: str | None) -> str:
    unit = summary.attrs.get("time_unit")
    if given is not None:
        _unit_days(given)
        if unit is not None and unit != given:
            raise CRMDataError(
                f"parameter 'time_unit' = {given!r} but the summary is in {unit!r} "
                f"({_UNIT_WORDS.get(unit, unit)}). Rebuild the summary with time_unit={given!r}."
            )
        return given
    if unit is None:
        raise CRMDataError(
            "table 'summary' carries no time unit (attrs['time_unit']). Build it with "
            "summary_from_transactions or pass time_unit='W' or 'D'."
        )
    return unit


# --------------------------------------------------------------------------- ML helper


def _minimise(nll_grad, x0: np.ndarray, bound: float = 12.0):
    """L-BFGS-B on log-parameters; returns (scipy result, reached-a-bound flag)."""
    from scipy.optimize import minimize

    from crmlab._threads import single_threaded

    with single_threaded():  # small vector operations: extra BLAS threads only fight other processes
        res = minimize(
            nll_grad,
            x0,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-bound, bound)] * len(x0),
            options={"maxiter": 1000, "ftol": 1e-13, "gtol": 1e-8},
        )
    at_bound = bool(np.any(np.abs(res.x) > min(bound - 1e-6, 9.0)))  # beyond e^9 ~ 8000: ran off
    return res, at_bound


def _not_converged(model: str, res, names: list[str], at_bound: bool, unit: str | None) -> CRMDataError:
    values = ", ".join(f"{n}={math.exp(v):.4g}" for n, v in zip(names, res.x))
    cause = (
        "a parameter ran off towards 0 or infinity (" + values + "), so the data cannot pin it down"
        if at_bound
        else f"the optimiser stopped early: {res.message} ({values})"
    )
    scale = {
        "D": "the time unit is days, which makes alpha large: refit on a summary with time_unit='W'; ",
        "W": "check the time unit (weeks here) suits how often customers buy; ",
        None: "rescale the amounts (e.g. to hundreds or thousands of currency units); ",
    }[unit]
    return CRMDataError(
        f"{model} fit did not converge: {cause}. Likely causes and fixes: {scale}too few repeat buyers, "
        f"too short a calibration period or no visible dropout (use more customers or a longer "
        f"calibration period); or add a small penalty, e.g. penalizer=0.001, to keep the parameters finite."
    )


# --------------------------------------------------------------------------- BG/NBD


@dataclass(frozen=True)
class BGNBDResult:
    """A fitted BG/NBD model: purchase rate ~ Gamma(r, alpha), dropout p ~ Beta(a, b).

    ``alpha`` is in the time unit ``time_unit``: the mean purchase rate of a
    customer who is alive is ``r / alpha`` transactions per unit.
    """

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n: int
    time_unit: str
    converged: bool
    penalizer: float = 0.0
    iterations: int = 0
    message: str = ""

    @property
    def params(self) -> dict[str, float]:
        """The four parameters as a dict."""
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}

    def expected_purchases_new(self, t: Any) -> np.ndarray | float:
        """E[X(t)]: expected repeat purchases of a *new* customer in ``t`` time units.

        Fader, Hardie & Lee (2005), eq. 9.
        """
        from scipy.special import hyp2f1

        r, al, a, b = self.r, self.alpha, self.a, self.b
        t = np.asarray(t, dtype=float)
        z = t / (al + t)
        out = (a + b - 1) / (a - 1) * (1 - (al / (al + t)) ** r * hyp2f1(r, b, a + b - 1, z))
        return float(out) if out.ndim == 0 else out

    def p_alive(self, summary: pd.DataFrame) -> pd.Series:
        """P(alive | frequency, recency, T) for each customer (Fader, Hardie & Lee 2005, eq. 11).

        A one-time buyer (frequency 0) has P(alive) = 1 in the BG/NBD model: a
        customer can only drop out right after a repeat purchase. This is a known
        artefact of the model, not a sign that the customer is loyal.
        """
        summary, x, tx, T = _summary_arrays(summary, "summary")
        return pd.Series(self._p_alive(x, tx, T), index=summary.index, name="p_alive")

    def _p_alive(self, x, tx, T):
        r, al, a, b = self.r, self.alpha, self.a, self.b
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ratio = np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) + (r + x) * (np.log(al + T) - np.log(al + tx))
        odds = np.where(x > 0, np.exp(np.minimum(log_ratio, 700)), 0.0)
        return 1.0 / (1.0 + odds)

    def expected_purchases(self, summary: pd.DataFrame, t: float) -> pd.Series:
        """Expected repeat purchases in the next ``t`` time units, given each customer's history.

        Fader, Hardie & Lee (2005), eq. 10: the conditional expectation
        E[Y(t) | frequency, recency, T].
        """
        summary, x, tx, T = _summary_arrays(summary, "summary")
        check_range("t", t, lo=0)
        return pd.Series(
            self._conditional(x, tx, T, float(t)), index=summary.index, name=f"expected_purchases_{t:g}{self.time_unit}"
        )

    def _conditional(self, x, tx, T, t):
        from scipy.special import hyp2f1

        r, al, a, b = self.r, self.alpha, self.a, self.b
        if t == 0:
            return np.zeros_like(x)
        z = t / (al + T + t)
        num = (
            (a + b + x - 1)
            / (a - 1)
            * (1 - ((al + T) / (al + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))
        )
        return num * self._p_alive(x, tx, T)

    def probability_alive_matrix(self, max_frequency: int = 20, T: float = 52.0, n_recency: int = 40) -> pd.DataFrame:
        """P(alive) on a grid: rows = frequency 0..max_frequency, columns = recency 0..T.

        ``T`` is the age of the customers pictured (first purchase to now), in
        ``time_unit``. Cells that cannot occur (frequency 0 with recency > 0) are NaN.

        Examples
        --------
        >>> m = BGNBDResult(0.243, 4.414, 0.793, 2.426, 0.0, 1, "W", True)
        >>> grid = m.probability_alive_matrix(max_frequency=2, T=10, n_recency=3)
        >>> grid.round(2)  # x=1, t_x=0: 1/(1 + 0.793/2.426 * (14.414/4.414)**1.243) = 0.41  # doctest: +NORMALIZE_WHITESPACE
        recency    0.0   5.0   10.0
        frequency
        0          1.00   NaN   NaN
        1          0.41  0.64  0.75
        2          0.23  0.62  0.81
        """
        max_frequency = int(check_range("max_frequency", max_frequency, lo=1))
        T = check_range("T", T, lo=0, lo_open=True)
        rec = np.linspace(0, T, int(check_range("n_recency", n_recency, lo=2)))
        freq = np.arange(max_frequency + 1)
        X, R = np.meshgrid(freq.astype(float), rec, indexing="ij")
        P = self._p_alive(X, R, np.full_like(R, T))
        P[(X == 0) & (R > 0)] = np.nan
        out = pd.DataFrame(
            P, index=pd.Index(freq, name="frequency"), columns=pd.Index(np.round(rec, 3), name="recency")
        )
        out.attrs.update(time_unit=self.time_unit, T=T)
        return out


def _bgnbd_nll(logp: np.ndarray, x, tx, T, w, penalizer: float):
    """Negative mean log-likelihood of BG/NBD and its gradient in log-parameters."""
    from scipy.special import betaln, digamma, gammaln

    r, al, a, b = np.exp(logp)
    pos = x > 0
    A1 = gammaln(r + x) - gammaln(r) + r * np.log(al)
    A2 = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(al + T)
    A3 = np.full_like(x, -np.inf)
    A3[pos] = betaln(a + 1, b + x[pos] - 1) - betaln(a, b) - (r + x[pos]) * np.log(al + tx[pos])
    m = np.maximum(A2, A3)
    lse = m + np.log(np.exp(A2 - m) + np.exp(A3 - m))
    ll = A1 + lse
    w2 = np.exp(A2 - lse)
    w3 = np.exp(A3 - lse)
    dab = digamma(a + b)
    dabx = digamma(a + b + x)
    g_r = digamma(r + x) - digamma(r) + np.log(al) - w2 * np.log(al + T) - w3 * np.log(al + tx)
    g_al = r / al - w2 * (r + x) / (al + T) - w3 * (r + x) / (al + tx)
    g_a = w2 * (dab - dabx) + w3 * (digamma(a + 1) - dabx - digamma(a) + dab)
    bx1 = np.where(pos, b + x - 1, 1.0)
    g_b = w2 * (digamma(b + x) - dabx - digamma(b) + dab) + w3 * np.where(
        pos, digamma(bx1) - dabx - digamma(b) + dab, 0.0
    )
    W = w.sum()
    theta = np.array([r, al, a, b])
    grad = -np.array([w @ g_r, w @ g_al, w @ g_a, w @ g_b]) / W * theta
    nll = -(w @ ll) / W
    if penalizer:
        nll += penalizer * np.sum(theta**2)
        grad += penalizer * 2 * theta**2
    return nll, grad


def _compress(*cols: np.ndarray):
    """Unique rows of the given columns with their counts (identical customers share one term)."""
    stacked = np.column_stack(cols)
    uniq, counts = np.unique(stacked, axis=0, return_counts=True)
    return [uniq[:, i] for i in range(uniq.shape[1])], counts.astype(float)


@checked
def fit_bgnbd(summary: pd.DataFrame, *, penalizer: float = 0.0, time_unit: str | None = None) -> BGNBDResult:
    """Fit the BG/NBD model by maximum likelihood (Fader, Hardie & Lee 2005).

    The likelihood (their eq. 6) is vectorised over customers with
    ``gammaln``/``betaln``; L-BFGS-B works on the log-parameters with the
    analytic gradient. Customers with identical (frequency, recency, T) share
    one likelihood term.

    Parameters
    ----------
    summary : output of :func:`summary_from_transactions` (columns frequency, recency, T).
    penalizer : L2 penalty on the parameters (0 = plain maximum likelihood). A
        small value (0.001-0.1) keeps a fit finite when the data cannot identify it.
    time_unit : unit of recency and T; read from ``summary.attrs`` if not given.

    Returns
    -------
    BGNBDResult with r, alpha, a, b, the log-likelihood, n, time unit and a
    converged flag. A fit that does not converge raises ``CRMDataError`` naming
    the likely cause and the fix, rather than returning silent garbage.

    Examples
    --------
    The CDNOW sample with the 39-week calibration period of Fader, Hardie & Lee
    (2005) gives their published r = 0.243, alpha = 4.414, a = 0.793, b = 2.426:

    >>> from crmlab import datasets
    >>> s = summary_from_transactions(datasets.load("cdnow").orders,
    ...                               calibration_end="1997-09-30", time_unit="W")
    >>> m = fit_bgnbd(s)
    >>> [round(v, 3) for v in m.params.values()], m.n, m.time_unit
    ([0.243, 4.414, 0.793, 2.426], 2357, 'W')
    """
    unit = _time_unit_of(summary, time_unit)
    summary, x, tx, T = _summary_arrays(summary, "summary")
    penalizer = check_range("penalizer", penalizer, lo=0)
    if len(x) < MIN_CUSTOMERS:
        raise CRMDataError(
            f"table 'summary': {len(x)} customers is too few to fit BG/NBD (at least {MIN_CUSTOMERS}). "
            f"Use more customers (a longer period or a larger sample)."
        )
    if not np.any(x > 0):
        raise CRMDataError(
            "table 'summary', column 'frequency': no customer made a repeat purchase, so repeat buying "
            "and dropout cannot be estimated. Use a longer calibration period or more customers."
        )
    if np.any(x != np.round(x)):
        raise CRMDataError("table 'summary', column 'frequency': counts must be whole numbers.")
    (xc, txc, Tc), w = _compress(x, tx, T)
    rate = max(x.mean(), 0.05) / max(T.mean(), 1e-9)
    x0 = np.log([1.0, 1.0 / rate, 1.0, 1.0])
    res, at_bound = _minimise(lambda p: _bgnbd_nll(p, xc, txc, Tc, w, penalizer), x0)
    converged = bool(res.success) and not at_bound and bool(np.all(np.isfinite(res.x)))
    if not converged:
        raise _not_converged("BG/NBD", res, ["r", "alpha", "a", "b"], at_bound, unit)
    r, al, a, b = np.exp(res.x)
    nll, _ = _bgnbd_nll(res.x, xc, txc, Tc, w, 0.0)
    return BGNBDResult(
        float(r),
        float(al),
        float(a),
        float(b),
        float(-nll * w.sum()),
        int(len(x)),
        unit,
        converged,
        penalizer,
        int(res.nit),
        str(res.message),
    )


@checked
def repeat_frequency_check(model: BGNBDResult, summary: pd.DataFrame, max_frequency: int = 7) -> pd.DataFrame:
    """Actual vs expected number of customers by repeat purchases in calibration.

    The calibration check of Fader, Hardie & Lee (2005, fig. 2): the model's
    P(X(T_i) = x) (their eq. 8) summed over customers, each at their own T,
    against the observed counts; the last bin is ``max_frequency`` or more.

    Examples
    --------
    >>> m = BGNBDResult(0.243, 4.414, 0.793, 2.426, 0.0, 3, "W", True)
    >>> s = pd.DataFrame({"frequency": [0, 1, 2], "recency": [0, 5, 9], "T": [30, 30, 30]})
    >>> t = repeat_frequency_check(m, s, max_frequency=2)
    >>> round(float(t["expected"].sum()), 6), list(t["actual"])
    (3.0, [1, 1, 1])
    """
    from scipy.special import betaln, gammaln

    summary, x, tx, T = _summary_arrays(summary, "summary")
    max_frequency = int(check_range("max_frequency", max_frequency, lo=1))
    r, al, a, b = model.r, model.alpha, model.a, model.b
    Tu, counts = np.unique(T, return_counts=True)
    ks = np.arange(max_frequency)
    K, TT = np.meshgrid(ks, Tu, indexing="ij")
    log_q = np.log(TT / (al + TT)) if np.all(Tu > 0) else np.log(np.maximum(TT, 1e-300) / (al + TT))
    # Poisson-gamma (NBD) terms for j = 0..k
    log_nbd = gammaln(r + K) - gammaln(r) - gammaln(K + 1) + r * np.log(al / (al + TT)) + K * log_q
    nbd = np.exp(log_nbd)
    cum = np.cumsum(nbd, axis=0) - nbd  # sum_{j<k}
    P = np.exp(betaln(a, b + K) - betaln(a, b)) * nbd
    P[1:] += np.exp(betaln(a + 1, b + K[1:] - 1) - betaln(a, b)) * (1 - cum[1:])
    expected = P @ counts
    expected = np.r_[expected, len(x) - expected.sum()]
    actual = np.bincount(np.minimum(x.astype(int), max_frequency), minlength=max_frequency + 1)
    labels = [str(k) for k in range(max_frequency)] + [f"{max_frequency}+"]
    out = pd.DataFrame({"repeat_purchases": labels, "actual": actual, "expected": expected})
    out.attrs.update(time_unit=model.time_unit, n=len(x))
    return out


@checked
def tracking_table(
    model: BGNBDResult,
    orders: pd.DataFrame,
    summary: pd.DataFrame,
    *,
    customer: str = "customer_id",
    date: str = "order_date",
) -> pd.DataFrame:
    """Cumulative repeat purchases per time unit: actual against the BG/NBD expectation.

    The tracking plot of Fader, Hardie & Lee (2005, fig. 4). Customers are those
    of ``summary`` (built with ``calibration_end``); a customer who first bought
    at time s contributes E[X(tau - s)] to the expected total at time tau.
    Repeat purchases are counted in days, as in the summary.

    Returns a DataFrame with ``period`` (1, 2, ... in ``time_unit`` after the
    first order date), ``actual`` and ``expected`` cumulative repeat purchases;
    ``attrs['calibration_end_period']`` marks the calibration end.
    """
    unit_name = model.time_unit
    unit = _unit_days(unit_name)
    summary, x, tx, T = _summary_arrays(summary, "summary")
    orders = check_table(orders, "orders", {customer: "id", date: "datetime"})
    known = orders[customer].isin(summary.index).to_numpy()
    days = orders[date].to_numpy().astype("datetime64[D]").astype(np.int64)[known]
    codes, _ = pd.factorize(orders[customer][known])
    c_codes, c_days, _ = _combine_days(codes, days, np.zeros(len(days)))
    starts = np.r_[True, c_codes[1:] != c_codes[:-1]]
    origin = c_days.min()
    end = summary.attrs.get("observation_end")
    last = _as_day(end, "observation_end") if end is not None else c_days.max()
    n_periods = int(np.ceil((last - origin + 1) / unit))
    edges = origin + unit * np.arange(1, n_periods + 1)  # period k covers days < edges[k-1]
    repeat_days = c_days[~starts]
    actual = np.searchsorted(np.sort(repeat_days), edges, side="left")
    first_days, n_first = np.unique(c_days[starts], return_counts=True)
    tau = (edges[None, :] - first_days[:, None] - 1) / unit  # time since first purchase, end of period
    ex = np.where(tau > 0, model.expected_purchases_new(np.maximum(tau, 0)), 0.0)
    expected = n_first @ ex
    out = pd.DataFrame({"period": np.arange(1, n_periods + 1), "actual": actual, "expected": expected})
    cal = summary.attrs.get("calibration_end")
    out.attrs.update(
        time_unit=unit_name,
        origin=_day_of(origin),
        calibration_end_period=None if cal is None else float((_as_day(cal, "calibration_end") - origin + 1) / unit),
    )
    return out


# --------------------------------------------------------------------------- Gamma-Gamma


@dataclass(frozen=True)
class GammaGammaResult:
    """A fitted Gamma-Gamma spend model: spend per transaction ~ Gamma(p, nu), nu ~ Gamma(q, gamma).

    The mean spend of a customer is ``p / nu``; across customers its mean is
    ``p * gamma / (q - 1)`` (finite only when q > 1).
    ``spend_frequency_corr`` is the Pearson correlation between frequency and
    mean spend among the repeat customers; the model assumes it is near zero.
    """

    p: float
    q: float
    gamma: float
    log_likelihood: float
    n: int
    converged: bool
    spend_frequency_corr: float
    independence_check: str
    penalizer: float = 0.0
    excluded: dict = field(default_factory=dict)

    @property
    def params(self) -> dict[str, float]:
        """The three parameters as a dict."""
        return {"p": self.p, "q": self.q, "gamma": self.gamma}

    @property
    def population_mean_spend(self) -> float:
        """Mean spend per transaction across customers, p·gamma/(q−1) (inf when q <= 1)."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else math.inf

    def expected_spend(self, summary: pd.DataFrame) -> pd.Series:
        """Conditional expected mean spend per transaction, E[M | frequency, monetary_value].

        A weighted average of the population mean and the customer's own mean
        (Fader, Hardie & Lee 2005 JMR, eq. 5): the more repeat purchases, the
        more weight on the customer's own mean. One-time buyers get the
        population mean.
        """
        summary = check_table(summary, "summary", {"frequency": "nonneg", "monetary_value": "nonneg"})
        x = summary["frequency"].to_numpy(dtype=float)
        m = summary["monetary_value"].to_numpy(dtype=float)
        p, q, g = self.p, self.q, self.gamma
        out = (g + m * x) * p / (p * x + q - 1)
        return pd.Series(out, index=summary.index, name="expected_spend")


@checked
def spend_frequency_correlation(summary: pd.DataFrame) -> tuple[float, str]:
    """Check the Gamma-Gamma assumption that spend does not depend on purchase frequency.

    Returns the Pearson correlation between ``frequency`` and ``monetary_value``
    among repeat customers (frequency > 0) and a sentence judging it: |corr| < 0.3
    is read as compatible with independence (Fader, Hardie & Lee report 0.11 on
    CDNOW), larger values as a warning.

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [1, 2, 3, 4], "monetary_value": [10.0, 20.0, 30.0, 40.0]})
    >>> corr, note = spend_frequency_correlation(s)
    >>> round(corr, 2), note.split(":")[0]
    (1.0, 'WARNING')
    """
    summary = check_table(summary, "summary", {"frequency": "nonneg", "monetary_value": "nonneg"})
    rep = summary[summary["frequency"] > 0]
    if len(rep) < 3 or rep["frequency"].nunique() < 2 or rep["monetary_value"].nunique() < 2:
        return math.nan, "not checked: fewer than 3 repeat customers or no variation."
    corr = float(np.corrcoef(rep["frequency"].to_numpy(float), rep["monetary_value"].to_numpy(float))[0, 1])
    if abs(corr) < 0.3:
        note = (
            f"OK: correlation between frequency and mean spend is {corr:.2f} (|r| < 0.3), "
            f"compatible with the Gamma-Gamma independence assumption."
        )
    else:
        note = (
            f"WARNING: correlation between frequency and mean spend is {corr:.2f} (|r| >= 0.3). "
            f"The Gamma-Gamma model assumes spend is independent of frequency; its expected spend "
            f"and CLV will be biased. Segment the customers or use a model that links the two."
        )
    return corr, note


def _gg_nll(logp: np.ndarray, x, m, w, penalizer: float):
    from scipy.special import digamma, gammaln

    p, q, g = np.exp(logp)
    px = p * x
    lgm = np.log(g + m * x)
    ll = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(g)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * lgm
    )
    dpq = digamma(px + q)
    g_p = x * (dpq - digamma(px) + np.log(m) + np.log(x) - lgm)
    g_q = dpq - digamma(q) + np.log(g) - lgm
    g_g = q / g - (px + q) / (g + m * x)
    W = w.sum()
    theta = np.array([p, q, g])
    nll = -(w @ ll) / W
    grad = -np.array([w @ g_p, w @ g_q, w @ g_g]) / W * theta
    if penalizer:
        nll += penalizer * np.sum(theta**2)
        grad += penalizer * 2 * theta**2
    return nll, grad


@checked
def fit_gamma_gamma(summary: pd.DataFrame, *, penalizer: float = 0.0) -> GammaGammaResult:
    """Fit the Gamma-Gamma spend model by maximum likelihood on the repeat customers.

    Only customers with frequency > 0 and positive ``monetary_value`` inform
    the model (one-time buyers have no repeat spend); the others are counted in
    ``result.excluded``. The independence of spend and frequency, which the
    model assumes, is checked and reported in ``spend_frequency_corr`` and
    ``independence_check``.

    Examples
    --------
    On the CDNOW calibration period, Fader, Hardie & Lee (2005, JMR) report
    p = 6.25, q = 3.74, gamma = 15.44 for the 946 repeat customers:

    >>> from crmlab import datasets
    >>> s = summary_from_transactions(datasets.load("cdnow").orders, calibration_end="1997-09-30")
    >>> gg = fit_gamma_gamma(s)
    >>> [round(v, 2) for v in gg.params.values()], gg.n
    ([6.25, 3.74, 15.44], 946)
    >>> gg.independence_check[:3]
    'OK:'
    """
    summary = check_table(summary, "summary", {"frequency": "nonneg", "monetary_value": "nonneg"})
    penalizer = check_range("penalizer", penalizer, lo=0)
    x_all = summary["frequency"].to_numpy(dtype=float)
    m_all = summary["monetary_value"].to_numpy(dtype=float)
    use = (x_all > 0) & (m_all > 0)
    excluded = {
        "one-time buyers (frequency 0)": int((x_all == 0).sum()),
        "repeat customers with zero spend": int(((x_all > 0) & (m_all <= 0)).sum()),
    }
    x, m = x_all[use], m_all[use]
    if len(x) < MIN_CUSTOMERS:
        raise CRMDataError(
            f"table 'summary': {len(x)} repeat customers with positive spend is too few to fit Gamma-Gamma "
            f"(at least {MIN_CUSTOMERS}). Use a longer calibration period or more customers."
        )
    (xc, mc), w = _compress(x, m)
    mean, var = m.mean(), m.var() + 1e-9
    x0 = np.log([max(mean**2 / var, 0.5), 4.0, max(3.0 * var / mean, 1e-3)])
    res, at_bound = _minimise(lambda p: _gg_nll(p, xc, mc, w, penalizer), x0, bound=20.0)
    converged = bool(res.success) and not np.any(np.abs(res.x) > 20.0 - 1e-6)
    if not converged:
        raise _not_converged("Gamma-Gamma", res, ["p", "q", "gamma"], at_bound, None)
    p, q, g = np.exp(res.x)
    nll, _ = _gg_nll(res.x, xc, mc, w, 0.0)
    corr, note = spend_frequency_correlation(summary.loc[use])
    return GammaGammaResult(
        float(p), float(q), float(g), float(-nll * w.sum()), int(len(x)), converged, corr, note, penalizer, excluded
    )


# --------------------------------------------------------------------------- CLV


@checked
def probabilistic_clv(
    bgnbd: BGNBDResult,
    gamma_gamma: GammaGammaResult,
    summary: pd.DataFrame,
    *,
    horizon: int,
    discount_rate: float,
    time_unit: str,
    margin: float = 1.0,
) -> pd.DataFrame:
    """Discounted CLV per customer from BG/NBD (how many purchases) and Gamma-Gamma (how much each).

    The horizon is cut into ``horizon`` steps of one ``time_unit`` each; the
    purchases expected in step k (difference of the conditional expectations at
    k and k−1) times the expected spend times ``margin`` are discounted by
    ``(1 + discount_rate) ** k``. ``horizon`` and ``discount_rate`` are in the
    *same explicit unit* as the fit (``time_unit`` must equal it): a yearly rate
    of 10 % is a weekly rate of ``1.10 ** (1/52) - 1``, about 0.18 %. No month is
    ever assumed to be 30 days.

    Reading the result:

    * ``p_alive`` -- BG/NBD gives one-time buyers P(alive) = 1 (they cannot have
      dropped out yet in the model); their CLV is still low because their
      purchase rate is estimated from zero repeats.
    * CLV is never negative when ``margin`` >= 0: it is a sum of expected
      purchases times positive spend. A negative profit view needs costs
      (retention spend) subtracted outside the model.
    * Inflated values come from customers with many purchases in a short
      recent history (high frequency, recency close to T): the model extrapolates
      their rate. Compare with the holdout and cap the horizon.

    Returns
    -------
    DataFrame indexed by customer: ``p_alive``, ``expected_purchases`` (over
    the horizon, undiscounted), ``expected_spend`` (per purchase), ``clv``
    (discounted). ``attrs`` carries horizon, discount rate, time unit and margin.

    Examples
    --------
    >>> m = BGNBDResult(0.243, 4.414, 0.793, 2.426, 0.0, 2, "W", True)
    >>> gg = GammaGammaResult(6.25, 3.74, 15.44, 0.0, 2, True, 0.11, "")
    >>> s = pd.DataFrame({"frequency": [0, 4], "recency": [0.0, 30.0], "T": [38.0, 38.0],
    ...                   "monetary_value": [0.0, 40.0]})
    >>> s.attrs["time_unit"] = "W"
    >>> c = probabilistic_clv(m, gg, s, horizon=52, discount_rate=0.0, time_unit="W")
    >>> bool(c.loc[1, "clv"] > c.loc[0, "clv"] > 0)
    True
    """
    _unit_days(time_unit)
    if bgnbd.time_unit != time_unit:
        raise CRMDataError(
            f"parameter 'time_unit' = {time_unit!r} but the BG/NBD model was fitted in {bgnbd.time_unit!r} "
            f"({_UNIT_WORDS[bgnbd.time_unit]}). Give horizon and discount_rate in {_UNIT_WORDS[bgnbd.time_unit]} "
            f"and time_unit={bgnbd.time_unit!r}, or refit."
        )
    if summary.attrs.get("time_unit"):
        _time_unit_of(summary, time_unit)  # a summary that states its unit must agree
    summary, x, tx, T = _summary_arrays(summary, "summary", need_money=True)
    h = check_range("horizon", horizon, lo=0, lo_open=True, hint="Give the number of time units, e.g. 52 weeks.")
    if h != int(h):
        raise CRMDataError(f"parameter 'horizon' = {horizon!r} must be a whole number of {_UNIT_WORDS[time_unit]}.")
    d = check_range("discount_rate", discount_rate, lo=0, hint=f"A rate per {_UNIT_WORDS[time_unit][:-1]}.")
    margin = check_range("margin", margin, lo=0, hi=1, hint="Profit share of spend, e.g. 0.3; 1 = revenue.")
    if d > 0.5:
        raise CRMDataError(
            f"parameter 'discount_rate' = {discount_rate!r} per {_UNIT_WORDS[time_unit][:-1]} looks like a yearly "
            f"rate. Convert it: per-week rate = (1 + yearly) ** (1/52) - 1, per-day = (1 + yearly) ** (1/365) - 1."
        )
    spend = gamma_gamma.expected_spend(summary).to_numpy()
    prev = np.zeros_like(x)
    pv = np.zeros_like(x)
    for k in range(1, int(h) + 1):
        cur = bgnbd._conditional(x, tx, T, float(k))
        pv += (cur - prev) / (1 + d) ** k
        prev = cur
    out = pd.DataFrame(
        {
            "p_alive": bgnbd._p_alive(x, tx, T),
            "expected_purchases": prev,
            "expected_spend": spend,
            "clv": pv * spend * margin,
        },
        index=summary.index,
    )
    out.attrs.update(
        horizon=int(h),
        discount_rate=d,
        time_unit=time_unit,
        margin=margin,
        note=f"horizon {int(h)} {_UNIT_WORDS[time_unit]}, discount rate {d:g} per {_UNIT_WORDS[time_unit][:-1]}",
    )
    return out
