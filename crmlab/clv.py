"""Customer lifetime value (客户终身价值) and customer equity (客户资产).

The retention model of Gupta & Lehmann (2003, *J. Interactive Marketing*
17(1); *Managing Customers as Investments*, 2005): a customer who is still with
the firm brings margin m each period, stays with probability r, and cash is
discounted at rate d per period, so CLV = m·r/(1+d−r) over an infinite horizon.
Berger & Nasr (1998, *J. Interactive Marketing* 12(1)) add a retention spend
per period, paid mid-period. The four sources of a customer's value named in
the course -- transaction, referral, growth and knowledge value -- are valued
with the same survival-and-discount weights. Customer equity is the value of
the current base plus the cohorts still to be acquired (Blattberg & Deighton
1996, *HBR* 74(4); Rust, Lemon & Zeithaml 2004, *JM* 68(1)).

The probabilistic models (BG/NBD, Gamma-Gamma, discounted CLV from
transaction logs) live in :mod:`crmlab.btyd` and are re-exported here; Pareto/NBD,
MBG/NBD and the discrete-time BG/BB live in :mod:`crmlab.paretonbd`,
:mod:`crmlab.mbgnbd` and :mod:`crmlab.bgbb`, and :mod:`crmlab.btyd_models` gives all
of them one interface (standard errors, AIC/BIC, holdout comparison, CLV intervals).

Every result states its period: the margin, the discount rate and the
retention rate all refer to the same period (a year, a month, ...).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import pandas as pd

from crmlab._validate import CRMDataError, check_range
from crmlab._contract import checked
from crmlab import btyd as _btyd
from crmlab.btyd import *  # noqa: F401,F403  re-exported: the probabilistic CLV models

__all__ = [
    "retention_clv",
    "clv_table",
    "clv_curve",
    "clv_components",
    "customer_equity",
] + _btyd.__all__


# --------------------------------------------------------------------------- shared checks


def _check_inputs(retention: float, discount: float, periods: int | None) -> tuple[float, float, int | None]:
    r = check_range(
        "retention",
        retention,
        lo=0,
        hi=1,
        hi_open=True,
        hint="Give the share of customers kept per period, e.g. 0.8 for 80 %; "
        "a retention of 1 means nobody ever leaves and CLV is infinite.",
    )
    d = check_range(
        "discount",
        discount,
        lo=-1,
        lo_open=True,
        hint="Give the discount rate per period as a fraction, e.g. 0.1 for 10 %.",
    )
    if periods is not None:
        p = check_range("periods", periods, lo=0, hint="Give a whole number of periods, or None for no end.")
        if p != int(p):
            raise CRMDataError(f"parameter 'periods' = {periods!r} must be a whole number of periods.")
        periods = int(p)
    return r, d, periods


def _weight_sum(q: float, periods: int | None, start: int, what: str, ratio: str = "retention/(1+discount)") -> float:
    """Sum of q**t for t = start..periods (start is 0 or 1); periods None = infinite."""
    if periods is None:
        if q >= 1:
            raise CRMDataError(
                f"the infinite {what} series diverges: {ratio} = {q:.4g} >= 1, so each "
                f"future period is worth at least as much as the last. "
                + (
                    "Use a discount rate above retention - 1 (a positive rate always works) "
                    if ratio.startswith("retention/")
                    else "Use a growth rate with retention x (1 + growth) below 1 + discount "
                )
                + "or give a finite number of periods."
            )
        return q**start / (1 - q)
    if periods < start:
        return 0.0
    if q == 1:
        return float(periods - start + 1)
    return (q**start - q ** (periods + 1)) / (1 - q)


def _check_number(name: str, value: float) -> float:
    v = check_range(name, value)
    if not math.isfinite(v):
        raise CRMDataError(f"parameter '{name}' = {value!r} must be a finite number.")
    return v


# --------------------------------------------------------------------------- retention model


@checked
def retention_clv(
    margin: float,
    retention: float,
    discount: float,
    periods: int | None = None,
    *,
    initial_margin: bool = False,
    retention_cost: float = 0.0,
) -> float:
    """Lifetime value of one customer under a constant retention rate.

    CLV = sum over t = 1..periods of m·r^t/(1+d)^t; with ``periods=None`` the
    infinite closed form m·r/(1+d−r) (Gupta & Lehmann 2003).

    Parameters
    ----------
    margin : profit per period from a retained customer.
    retention : probability the customer stays each period, in [0, 1).
    discount : discount rate per period, > -1.
    periods : horizon in periods; ``None`` for the infinite closed form
        ``m * r / (1 + d - r)``.
    initial_margin : also count the margin of the current period (t = 0, certain
        and undiscounted): adds m, giving m·(1+d)/(1+d−r) in the infinite case.
    retention_cost : spend per period on each customer still present at the
        start of that period, paid mid-period (discounted by (1+d)^(t−0.5)),
        as in Berger & Nasr (1998), case 1.

    Returns
    -------
    The CLV in the currency of ``margin``.

    Examples
    --------
    >>> round(retention_clv(100, 0.8, 0.1), 2)
    266.67
    >>> round(retention_clv(100, 0.8, 0.1, initial_margin=True), 2)
    366.67
    """
    m = _check_number("margin", margin)
    c = _check_number("retention_cost", retention_cost)
    r, d, periods = _check_inputs(retention, discount, periods)
    q = r / (1 + d)
    value = m * _weight_sum(q, periods, 0 if initial_margin else 1, "CLV")
    if c:
        # cost for period t (t = 1..T) on the r^(t-1) customers present, at time t - 0.5
        value -= c / math.sqrt(1 + d) * (_weight_sum(q, None if periods is None else periods - 1, 0, "cost"))
    return float(value)


@checked
def clv_table(
    margin: float,
    retention: float,
    discount: float,
    periods: int,
    *,
    initial_margin: bool = False,
    retention_cost: float = 0.0,
) -> pd.DataFrame:
    """The retention-model CLV period by period.

    Parameters are those of :func:`retention_clv`; ``periods`` is required here.

    Returns
    -------
    DataFrame with one row per period: ``period`` t, ``survival`` r^t (share of
    the starting customers still there), ``margin``, ``retention_cost`` (spent on
    those present at the start of the period), ``discount_factor`` 1/(1+d)^t,
    ``pv`` (expected, discounted net value of the period) and ``cumulative_pv``.
    The last ``cumulative_pv`` equals ``retention_clv(...)`` with the same
    arguments. ``attrs`` holds the parameters.

    Examples
    --------
    >>> t = clv_table(100, 0.5, 0.0, 3)
    >>> t[["period", "survival", "pv", "cumulative_pv"]]
       period  survival    pv  cumulative_pv
    0       1     0.500  50.0           50.0
    1       2     0.250  25.0           75.0
    2       3     0.125  12.5           87.5
    """
    m = _check_number("margin", margin)
    c = _check_number("retention_cost", retention_cost)
    r, d, n_periods = _check_inputs(retention, discount, periods)
    if n_periods is None or n_periods < 1:
        raise CRMDataError(f"parameter 'periods' = {periods!r}: a table needs at least 1 period.")
    periods = n_periods
    t = np.arange(0 if initial_margin else 1, periods + 1)
    survival = r ** t.astype(float)
    factor = (1 + d) ** -t.astype(float)
    cost = np.where(t >= 1, c, 0.0)
    cost_pv = cost * r ** np.maximum(t - 1, 0) * (1 + d) ** -(t - 0.5)
    pv = m * survival * factor - cost_pv
    out = pd.DataFrame(
        {
            "period": t,
            "survival": survival,
            "margin": m,
            "retention_cost": cost,
            "discount_factor": factor,
            "pv": pv,
            "cumulative_pv": np.cumsum(pv),
        }
    )
    out.attrs.update(
        margin=m,
        retention=r,
        discount=d,
        periods=periods,
        initial_margin=initial_margin,
        retention_cost=c,
        unit="period",
    )
    return out


@checked
def clv_curve(
    margin: float,
    discount: float,
    retentions: Sequence[float] | None = None,
    periods: int | None = None,
    *,
    initial_margin: bool = False,
) -> pd.DataFrame:
    """CLV and the margin multiple over a range of retention rates.

    The margin multiple is CLV / margin, r/(1+d−r) in the infinite case
    (Gupta & Lehmann 2003): how many periods' margin a customer is worth.

    Examples
    --------
    >>> clv_curve(100, 0.12, [0.6, 0.8]).round(3)
       retention  margin_multiple      clv
    0        0.6            1.154  115.385
    1        0.8            2.500  250.000
    """
    m = _check_number("margin", margin)
    rs = np.linspace(0.0, 0.95, 20) if retentions is None else np.asarray(list(retentions), dtype=float)
    if rs.size == 0:
        raise CRMDataError("parameter 'retentions' is empty. Give at least one retention rate in [0, 1).")
    mult = np.array([retention_clv(1.0, r, discount, periods, initial_margin=initial_margin) for r in rs])
    out = pd.DataFrame({"retention": rs, "margin_multiple": mult, "clv": m * mult})
    out.attrs.update(margin=m, discount=float(discount), periods=periods, initial_margin=initial_margin, unit="period")
    return out


# --------------------------------------------------------------------------- CLV components


@checked
def clv_components(
    margin: float,
    retention: float,
    discount: float,
    periods: int | None = None,
    *,
    referrals_per_period: float = 0.0,
    referral_value: float = 0.0,
    growth_rate: float = 0.0,
    knowledge_value: float = 0.0,
    initial_margin: bool = False,
) -> pd.DataFrame:
    """CLV split into the course's four sources: transaction, referral, growth and knowledge value.

    Each source is a stream received while the customer is still there, with
    the same survival r^t and discount 1/(1+d)^t weights as :func:`retention_clv`:

    * transaction value -- the constant ``margin`` per period (core purchases);
    * referral value -- ``referrals_per_period`` new customers brought in per
      period (word of mouth), each worth ``referral_value`` to the firm
      (e.g. their own CLV net of any referral reward);
    * growth value -- the extra margin when the customer's margin grows by
      ``growth_rate`` per period (more categories, cross- and up-buying):
      m·((1+g)^t − 1) in period t;
    * knowledge value -- ``knowledge_value`` per period from the customer's
      feedback, ideas and data (what the firm would otherwise pay for research).

    Returns
    -------
    DataFrame indexed by ``component`` with ``value`` and ``share`` of the total;
    ``attrs["total"]`` is their sum, with the parameters alongside.

    Examples
    --------
    >>> c = clv_components(100, 0.8, 0.1, referrals_per_period=0.1, referral_value=200,
    ...                    knowledge_value=5)
    >>> c["value"].round(2).tolist()
    [266.67, 53.33, 0.0, 13.33]
    >>> round(c.attrs["total"], 2)
    333.33
    """
    m = _check_number("margin", margin)
    k = check_range("referrals_per_period", referrals_per_period, lo=0)
    v = _check_number("referral_value", referral_value)
    g = check_range(
        "growth_rate",
        growth_rate,
        lo=-1,
        lo_open=True,
        hint="Give the margin growth per period as a fraction, e.g. 0.05.",
    )
    kv = _check_number("knowledge_value", knowledge_value)
    r, d, periods = _check_inputs(retention, discount, periods)
    start = 0 if initial_margin else 1
    base = _weight_sum(r / (1 + d), periods, start, "CLV")
    grown = (
        _weight_sum(
            r * (1 + g) / (1 + d), periods, start, "growth value", ratio="retention x (1+growth_rate)/(1+discount)"
        )
        if g
        else base
    )
    values = {
        "transaction": m * base,
        "referral": k * v * base,
        "growth": m * (grown - base),
        "knowledge": kv * base,
    }
    total = sum(values.values())
    out = pd.DataFrame({"value": list(values.values())}, index=pd.Index(list(values), name="component"))
    out["share"] = out["value"] / total if total else np.nan
    out.attrs.update(
        total=float(total),
        margin=m,
        retention=r,
        discount=d,
        periods=periods,
        referrals_per_period=k,
        referral_value=v,
        growth_rate=g,
        knowledge_value=kv,
        initial_margin=initial_margin,
        unit="period",
    )
    return out


# --------------------------------------------------------------------------- customer equity


def _current_base(current: Any) -> tuple[int, float]:
    """(number of customers, total CLV) from per-customer values or an (n, clv) pair."""
    if isinstance(current, tuple) and len(current) == 2:
        n = check_range("current[0] (number of customers)", current[0], lo=0)
        if n != int(n):
            raise CRMDataError(f"parameter 'current': the number of customers {current[0]!r} must be whole.")
        clv = _check_number("current[1] (CLV per customer)", current[1])
        return int(n), int(n) * clv
    values = (
        pd.Series(current, dtype=float if len(current) == 0 else None)
        if not isinstance(current, pd.Series)
        else current
    )
    if len(values) == 0:
        raise CRMDataError("parameter 'current' is empty. Give the CLV of each current customer.")
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise CRMDataError(
            "parameter 'current': expected per-customer CLV values (a Series, list or array of numbers) "
            "or a pair (number of customers, CLV per customer)."
        )
    if values.isna().any() or not np.isfinite(values.to_numpy(dtype=float)).all():
        raise CRMDataError(
            f"parameter 'current': {int((~np.isfinite(values.to_numpy(dtype=float))).sum())} missing or infinite "
            f"CLV value(s). Fill or remove them before calling."
        )
    return len(values), float(values.sum())


@checked
def customer_equity(
    current: Any,
    *,
    discount: float,
    prospects: float = 0.0,
    acquisition_rate: float = 0.0,
    acquisition_cost: float = 0.0,
    new_customer_clv: float | None = None,
    cohorts: int = 0,
) -> pd.DataFrame:
    """Customer equity: the current base plus the future cohorts, net of acquisition cost.

    The current customers are worth the sum of their CLVs today. Each of the
    next ``cohorts`` periods, ``prospects`` are targeted; a share
    ``acquisition_rate`` of them becomes customers worth ``new_customer_clv``
    each, at a spend of ``acquisition_cost`` per prospect targeted (Blattberg &
    Deighton 1996: value per prospect a·CLV − A; the cost per customer won is
    acquisition_cost / acquisition_rate). Cohort j is acquired at the start of
    period j and discounted by (1+d)^j (Rust, Lemon & Zeithaml 2004: customer
    equity sums the CLV of current and future customers).

    Parameters
    ----------
    current : per-customer CLV of the current base (Series, list, array), or a
        pair ``(number of customers, CLV per customer)``.
    discount : discount rate per period (the period of the cohorts).
    prospects : prospects targeted per period.
    acquisition_rate : share of prospects acquired, in [0, 1].
    acquisition_cost : acquisition spend per prospect targeted.
    new_customer_clv : CLV of a newly acquired customer at acquisition; default
        the mean CLV of the current base.
    cohorts : number of future periods of acquisition included.

    Returns
    -------
    DataFrame indexed by ``source`` ("current customers", "cohort 1", ...)
    with ``period``, ``customers``, ``clv_per_customer``, ``acquisition_cost``
    (total for the row), ``value`` (customers × CLV − cost), ``discount_factor``
    and ``present_value``. ``attrs`` holds ``total`` (the customer equity),
    ``current_equity``, ``future_equity`` and the parameters.

    Examples
    --------
    >>> ce = customer_equity((1000, 250.0), discount=0.1, prospects=500,
    ...                      acquisition_rate=0.2, acquisition_cost=10, cohorts=2)
    >>> ce["present_value"].round(1).tolist()
    [250000.0, 18181.8, 16528.9]
    >>> round(ce.attrs["total"], 1)
    284710.7
    """
    d = check_range("discount", discount, lo=-1, lo_open=True, hint="Give the rate per period, e.g. 0.1.")
    n0, total0 = _current_base(current)
    prospects = check_range("prospects", prospects, lo=0)
    a = check_range(
        "acquisition_rate",
        acquisition_rate,
        lo=0,
        hi=1,
        hint="Give the share of targeted prospects who become customers, e.g. 0.05.",
    )
    cost = check_range("acquisition_cost", acquisition_cost, lo=0, hint="Spend per prospect targeted.")
    k = check_range("cohorts", cohorts, lo=0)
    if k != int(k):
        raise CRMDataError(f"parameter 'cohorts' = {cohorts!r} must be a whole number of periods.")
    k = int(k)
    if new_customer_clv is None:
        new_clv = total0 / n0 if n0 else 0.0
    else:
        new_clv = _check_number("new_customer_clv", new_customer_clv)
    j = np.arange(k + 1)
    customers = np.r_[n0, np.full(k, prospects * a)]
    clv = np.r_[total0 / n0 if n0 else 0.0, np.full(k, new_clv)]
    spend = np.r_[0.0, np.full(k, prospects * cost)]
    value = np.r_[total0, customers[1:] * new_clv - spend[1:]]
    factor = (1 + d) ** -j.astype(float)
    out = pd.DataFrame(
        {
            "period": j,
            "customers": customers,
            "clv_per_customer": clv,
            "acquisition_cost": spend,
            "value": value,
            "discount_factor": factor,
            "present_value": value * factor,
        },
        index=pd.Index(["current customers"] + [f"cohort {i}" for i in range(1, k + 1)], name="source"),
    )
    out.attrs.update(
        total=float(out["present_value"].sum()),
        current_equity=float(total0),
        future_equity=float(out["present_value"].iloc[1:].sum()),
        discount=d,
        prospects=prospects,
        acquisition_rate=a,
        acquisition_cost=cost,
        new_customer_clv=new_clv,
        cohorts=k,
        unit="period",
    )
    return out
