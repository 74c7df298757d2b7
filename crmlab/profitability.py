"""Customer profitability (客户盈利能力).

Profit per customer three ways:

* **traditional allocation** -- indirect (overhead) costs spread over customers
  in proportion to their revenue or their direct cost, as many accounting
  systems still do;
* **activity-based costing** (ABC) -- revenue minus cost of goods minus, for
  each cost-driving activity, the driver rate times the customer's driver
  quantity (visits, calls, rush orders, returns);
* **time-driven ABC** (Kaplan & Anderson 2004, *Harvard Business Review*
  82(11)) -- the driver rate is the capacity cost rate (cost of the capacity
  supplied / practical capacity in minutes) times the minutes one unit takes;
  capacity not used by any customer is shown separately instead of being
  loaded onto customers.

The whale curve (Kaplan & Narayanan 2001, *J. Cost Management* 15(5)) plots
cumulative profit against customers ranked from most to least profitable:
it typically rises well above 100% of total profit and then sinks back, because
the least profitable customers destroy profit.

Tables follow the B2B data dictionary (``crmlab._schema.B2B``): ``orders``
(``account_id``, ``amount``, ``gross_margin``, ``returned``), ``activities``
(``account_id``, ``activity``, ``quantity``), ``activity_rates`` (``activity``,
``unit_cost``, ``unit_minutes``) and ``capacity`` (``department``,
``annual_cost``, ``practical_minutes``). Money is in currency units over the
period the orders and activities cover.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd

from crmlab._validate import (
    CRMDataError,
    check_choice,
    check_range,
    check_same_ids,
    check_table,
    note_excluded,
    returned_column,
)
from crmlab._contract import checked

__all__ = [
    "customer_revenue",
    "traditional_allocation",
    "activity_based_profit",
    "TimeDrivenABC",
    "time_driven_abc",
    "WhaleCurve",
    "whale_curve",
]

_MONEY = "currency units"


@checked
def customer_revenue(
    orders: pd.DataFrame,
    *,
    customer: str = "account_id",
    amount: str = "amount",
    gross_margin: str = "gross_margin",
    returned: str | None = "returned",
) -> pd.DataFrame:
    """Revenue, cost of goods and gross margin per customer.

    Returned orders are refunded and the goods come back, so they add neither
    revenue nor cost of goods (handling the return is an activity cost); their
    number is recorded in ``attrs["excluded"]``.

    Examples
    --------
    >>> o = pd.DataFrame({"account_id": ["x", "x", "y"], "amount": [100.0, 50.0, 80.0],
    ...     "gross_margin": [30.0, 10.0, 20.0], "returned": [False, True, False]})
    >>> customer_revenue(o)[["revenue", "cost_of_goods", "gross_margin"]].to_dict("index")
    {'x': {'revenue': 100.0, 'cost_of_goods': 70.0, 'gross_margin': 30.0}, 'y': {'revenue': 80.0, 'cost_of_goods': 60.0, 'gross_margin': 20.0}}
    """
    returned = returned_column(orders, returned)  # the default flag is optional
    spec = {customer: "id", amount: "nonneg", gross_margin: "number"} | ({returned: "bool"} if returned else {})
    df = check_table(orders, "orders", spec)
    keep = np.ones(len(df), dtype=bool) if returned is None else ~df[returned].to_numpy(dtype=bool)
    kept = df[keep]
    g = kept.groupby(customer, sort=True)
    out = pd.DataFrame({"orders": g.size(), "revenue": g[amount].sum(), "gross_margin": g[gross_margin].sum()})
    out.insert(2, "cost_of_goods", out["revenue"] - out["gross_margin"])
    out[["revenue", "cost_of_goods", "gross_margin"]] = out[["revenue", "cost_of_goods", "gross_margin"]].astype(float)
    note_excluded(out, "returned orders", int((~keep).sum()))
    note_excluded(out, "customers with no kept order", df[customer].nunique() - len(out))
    out.attrs["units"] = {"revenue": _MONEY, "cost_of_goods": _MONEY, "gross_margin": _MONEY}
    return out


@checked
def traditional_allocation(
    orders: pd.DataFrame,
    indirect_costs: float,
    *,
    basis: str = "revenue",
    customer: str = "account_id",
    amount: str = "amount",
    gross_margin: str = "gross_margin",
    returned: str | None = "returned",
) -> pd.DataFrame:
    """Profit per customer when indirect costs are spread by a single base.

    ``indirect_cost_i = indirect_costs * base_i / sum(base)``, with base the
    customer's revenue (``basis="revenue"``) or direct cost = cost of goods
    (``basis="direct_cost"``). Every customer then looks like a slice of the
    average, whatever it really demands: the blind spot ABC removes.

    Parameters
    ----------
    orders : orders (or one row per customer) with amount and gross margin.
    indirect_costs : total indirect cost of the same period (currency units, >= 0).

    Returns
    -------
    Per customer: ``revenue``, ``cost_of_goods``, ``gross_margin``,
    ``allocation_share``, ``indirect_cost``, ``profit``.

    Examples
    --------
    >>> o = pd.DataFrame({"account_id": ["x", "y"], "amount": [300.0, 100.0], "gross_margin": [90.0, 40.0]})
    >>> traditional_allocation(o, 80.0, returned=None)["profit"].to_dict()
    {'x': 30.0, 'y': 20.0}
    """
    check_choice("basis", basis, ["revenue", "direct_cost"])
    total = check_range("indirect_costs", indirect_costs, lo=0, hint="Give the period's total indirect cost.")
    out = customer_revenue(orders, customer=customer, amount=amount, gross_margin=gross_margin, returned=returned)
    base = out["revenue"] if basis == "revenue" else out["cost_of_goods"]
    if base.sum() <= 0:
        raise CRMDataError(
            f"table 'orders': the allocation base ({basis}) sums to 0, so costs cannot be spread by it. "
            f"Use the other basis."
        )
    out["allocation_share"] = base / base.sum()
    out["indirect_cost"] = total * out["allocation_share"]
    out["profit"] = out["gross_margin"] - out["indirect_cost"]
    out.attrs.update(basis=basis, indirect_costs=total)
    out.attrs["units"].update(indirect_cost=_MONEY, profit=_MONEY)
    return out


def _driver_costs(
    activities: pd.DataFrame, rates: pd.Series, *, customer: str, activity: str, quantity: str, rates_table: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Driver quantity x driver rate per customer and activity.

    Returns the costs (columns ``cost_<activity>``) and the quantities (columns
    named by activity). An activity without a rate is refused, by name.
    """
    act = check_table(activities, "activities", {customer: "id", activity: "category", quantity: "nonneg"})
    used = pd.Index(act[activity].astype(str).unique())
    missing = used.difference(rates.index)
    if len(missing):
        raise CRMDataError(
            f"table '{rates_table}': no cost driver rate for activit{'y' if len(missing) == 1 else 'ies'} "
            f"{', '.join(repr(m) for m in missing)} (used in table 'activities'). Add a row for "
            f"{'it' if len(missing) == 1 else 'each'} to '{rates_table}' (rate 0 if it truly costs nothing)."
        )
    qty = act.groupby([customer, act[activity].astype(str)], observed=True)[quantity].sum().unstack(fill_value=0)
    cost = qty * rates.reindex(qty.columns).to_numpy()
    cost.columns = [f"cost_{c}" for c in cost.columns]
    return cost.astype(float), qty


def _rate_series(activity_rates: pd.DataFrame, *, activity: str, rate: str, table: str = "activity_rates") -> pd.Series:
    r = check_table(activity_rates, table, {activity: "category", rate: "nonneg"}, unique=activity)
    return pd.Series(r[rate].to_numpy(dtype=float), index=r[activity].astype(str).to_numpy())


@checked
def activity_based_profit(
    orders: pd.DataFrame,
    activities: pd.DataFrame,
    activity_rates: pd.DataFrame,
    *,
    customer: str = "account_id",
    activity: str = "activity",
    quantity: str = "quantity",
    rate: str = "unit_cost",
    amount: str = "amount",
    gross_margin: str = "gross_margin",
    returned: str | None = "returned",
) -> pd.DataFrame:
    """Activity-based profit per customer.

    ``profit = revenue - cost of goods - sum_a(rate_a x quantity_a)``: each
    activity's cost is its driver rate (currency units per visit, call, rush
    order, return...) times the customer's driver quantity. Customers with
    activities but no kept order appear with revenue 0 (they cost money too).

    Parameters
    ----------
    orders, activities, activity_rates : the B2B tables (see module docstring).
    rate : column of ``activity_rates`` holding the driver rate: ``"unit_cost"``
        (conventional ABC) or ``"driver_rate"`` from :func:`time_driven_abc`'s
        ``rates`` table.

    Returns
    -------
    Per customer: ``revenue``, ``cost_of_goods``, ``gross_margin``, one
    ``cost_<activity>`` column per activity, ``cost_to_serve`` (their sum) and
    ``profit``. An activity without a rate raises :class:`CRMDataError`
    naming it.

    Examples
    --------
    >>> o = pd.DataFrame({"account_id": ["x", "y"], "amount": [1000.0, 400.0], "gross_margin": [300.0, 120.0]})
    >>> a = pd.DataFrame({"account_id": ["x", "x", "y"], "activity": ["visit", "rush", "visit"],
    ...                   "quantity": [10, 4, 1]})
    >>> r = pd.DataFrame({"activity": ["visit", "rush"], "unit_cost": [20.0, 30.0]})
    >>> activity_based_profit(o, a, r, returned=None)[["cost_to_serve", "profit"]].to_dict("index")
    {'x': {'cost_to_serve': 320.0, 'profit': -20.0}, 'y': {'cost_to_serve': 20.0, 'profit': 100.0}}
    """
    rates = _rate_series(activity_rates, activity=activity, rate=rate)
    rev = customer_revenue(orders, customer=customer, amount=amount, gross_margin=gross_margin, returned=returned)
    if isinstance(activities, pd.DataFrame) and customer in activities.columns:
        check_same_ids(orders[customer], "orders", customer, activities[customer], "activities", customer)
    cost, _ = _driver_costs(
        activities, rates, customer=customer, activity=activity, quantity=quantity, rates_table="activity_rates"
    )
    out = rev.drop(columns="orders").join(cost, how="outer").fillna(0.0)
    out.index.name = customer
    cost_cols = list(cost.columns)
    out["cost_to_serve"] = out[cost_cols].sum(axis=1)
    out["profit"] = out["gross_margin"] - out["cost_to_serve"]
    out.attrs.update(rev.attrs)
    out.attrs.update(rates=rates.to_dict(), rate_column=rate, units={c: _MONEY for c in out.columns})
    return out


@dataclass(frozen=True)
class TimeDrivenABC:
    """Result of :func:`time_driven_abc` (money in currency units, time in minutes).

    ``capacity``: per department the cost and minutes supplied over the period,
    ``cost_per_minute``, minutes used, ``unused_minutes``, ``unused_cost`` and
    ``utilisation``. ``rates``: per activity ``unit_minutes``,
    ``cost_per_minute``, ``driver_rate`` (= cost per minute x unit minutes),
    the quantity performed, minutes and cost. ``by_customer``: minutes, cost
    per activity and ``cost_to_serve``.
    """

    capacity: pd.DataFrame
    rates: pd.DataFrame
    by_customer: pd.DataFrame
    years: float

    @property
    def unused_cost(self) -> float:
        """Cost of the capacity supplied but used by no customer."""
        return float(self.capacity["unused_cost"].sum())

    @property
    def unused_minutes(self) -> float:
        """Minutes of practical capacity used by no customer."""
        return float(self.capacity["unused_minutes"].sum())


@checked
def time_driven_abc(
    activities: pd.DataFrame,
    activity_rates: pd.DataFrame,
    capacity: pd.DataFrame,
    *,
    years: float = 1.0,
    customer: str = "account_id",
    activity: str = "activity",
    quantity: str = "quantity",
    minutes: str = "unit_minutes",
    department: str = "department",
    departments: Mapping[str, str] | None = None,
) -> TimeDrivenABC:
    """Time-driven activity-based costing (Kaplan & Anderson 2004).

    1. capacity cost rate = cost of the capacity supplied / practical capacity
       (currency units per minute), per department;
    2. driver rate of an activity = cost rate x minutes one unit takes;
    3. cost of a customer = sum over activities of driver rate x quantity;
    4. unused capacity = practical minutes - minutes used (also in money):
       reported, not charged to customers.

    Parameters
    ----------
    activities : what was done for whom (``customer``, ``activity``, ``quantity``).
    activity_rates : one row per activity with ``unit_minutes``; a
        ``department`` column says which capacity it uses (not needed when
        ``capacity`` has one row or ``departments`` is given).
    capacity : one row per department with ``annual_cost`` (per year) and
        ``practical_minutes`` (per year).
    years : length of the period ``activities`` covers, in years; the yearly
        capacity and cost are multiplied by it (0.25 for a quarter).
    departments : ``{activity: department}``, instead of a ``department``
        column in ``activity_rates``.

    Examples
    --------
    >>> a = pd.DataFrame({"account_id": ["x", "y"], "activity": ["call", "call"], "quantity": [30, 10]})
    >>> r = pd.DataFrame({"activity": ["call"], "unit_minutes": [10.0]})
    >>> c = pd.DataFrame({"department": ["service"], "annual_cost": [1000.0], "practical_minutes": [500.0]})
    >>> t = time_driven_abc(a, r, c)
    >>> float(t.rates.loc["call", "driver_rate"]), t.unused_minutes, t.unused_cost
    (20.0, 100.0, 200.0)
    """
    yrs = check_range("years", years, lo=0, lo_open=True, hint="The period the activities cover, in years.")
    cap = check_table(
        capacity,
        "capacity",
        {department: "id", "annual_cost": "nonneg", "practical_minutes": "positive"},
        unique=department,
    )
    cap = cap.set_index(department)
    r = check_table(activity_rates, "activity_rates", {activity: "category", minutes: "nonneg"}, unique=activity)
    r = r.set_index(r[activity].astype(str))
    if departments is not None:
        dept = pd.Series({str(k): str(v) for k, v in departments.items()}).reindex(r.index)
        if dept.isna().any():
            raise CRMDataError(
                f"parameter 'departments': no department for activit(ies) {list(dept.index[dept.isna()])}. "
                f"Map every activity of table 'activity_rates' to a department of table 'capacity'."
            )
    elif department in r.columns:
        dept = r[department].astype(str)
    elif len(cap) == 1:
        dept = pd.Series(str(cap.index[0]), index=r.index)
    else:
        raise CRMDataError(
            f"table 'activity_rates': missing column '{department}'. With {len(cap)} departments in table "
            f"'capacity', say which department performs each activity: add that column, or pass "
            f"departments={{activity: department, ...}}."
        )
    unknown = sorted(set(dept) - set(cap.index.astype(str)))
    if unknown:
        raise CRMDataError(
            f"department(s) {unknown} of table 'activity_rates' are not in table 'capacity' "
            f"(column '{department}'). Add them to 'capacity' or correct the names."
        )
    cap.index = cap.index.astype(str)
    supplied_cost = cap["annual_cost"] * yrs
    supplied_min = cap["practical_minutes"] * yrs
    per_minute = supplied_cost / supplied_min
    rates = pd.DataFrame({"department": dept, "unit_minutes": r[minutes].astype(float)})
    rates["cost_per_minute"] = per_minute.reindex(dept).to_numpy()
    rates["driver_rate"] = rates["cost_per_minute"] * rates["unit_minutes"]
    rates.index.name = activity
    cost, qty = _driver_costs(
        activities,
        rates["driver_rate"],
        customer=customer,
        activity=activity,
        quantity=quantity,
        rates_table="activity_rates",
    )
    mins = qty * rates["unit_minutes"].reindex(qty.columns).to_numpy()
    rates["quantity"] = qty.sum().reindex(rates.index).fillna(0.0)
    rates["minutes"] = mins.sum().reindex(rates.index).fillna(0.0)
    rates["cost"] = rates["minutes"] * rates["cost_per_minute"]
    used = rates.groupby("department")["minutes"].sum().reindex(cap.index).fillna(0.0)
    table = pd.DataFrame(
        {
            "cost_supplied": supplied_cost,
            "minutes_supplied": supplied_min,
            "cost_per_minute": per_minute,
            "minutes_used": used,
        }
    )
    table["cost_used"] = table["minutes_used"] * table["cost_per_minute"]
    table["unused_minutes"] = table["minutes_supplied"] - table["minutes_used"]
    table["unused_cost"] = table["unused_minutes"] * table["cost_per_minute"]
    table["utilisation"] = table["minutes_used"] / table["minutes_supplied"]
    table.index.name = department
    table.attrs["over_capacity"] = list(table.index[table["unused_minutes"] < 0])
    by_customer = cost.copy()
    by_customer.insert(0, "minutes", mins.sum(axis=1).astype(float))
    by_customer["cost_to_serve"] = cost.sum(axis=1)
    by_customer.index.name = customer
    return TimeDrivenABC(table, rates, by_customer, yrs)


@dataclass(frozen=True)
class WhaleCurve:
    """Result of :func:`whale_curve`.

    ``table``: customers from most to least profitable with ``profit``,
    ``cumulative_profit`` (currency units), ``cumulative_share`` (of total
    profit) and ``customer_share``. ``peak_share`` is the highest point of the
    curve, reached at ``peak_customer_share``; ``share_unprofitable`` is the
    share of customers with profit < 0, who together destroy
    ``profit_destroyed`` (currency units, a positive number).
    """

    table: pd.DataFrame
    total_profit: float
    peak_share: float
    peak_customer_share: float
    share_unprofitable: float
    profit_destroyed: float

    def top_share(self, top: float = 0.2) -> float:
        """Share of total profit earned by the most profitable ``top`` fraction of customers."""
        from crmlab.segmentation import _curve_at

        check_range("top", top, lo=0, hi=1)
        return _curve_at(self.table["customer_share"].to_numpy(), self.table["cumulative_share"].to_numpy(), top)


@checked
def whale_curve(profit: Any, *, customer: str = "account_id", value: str = "profit") -> WhaleCurve:
    """Cumulative profit by customer rank: the whale curve.

    Parameters
    ----------
    profit : profit per customer -- a Series indexed by customer, or a table
        such as :func:`activity_based_profit`'s result (its ``value`` column;
        the customer is taken from a ``customer`` column or the index).
        Negative values are expected. Total profit must be positive to express
        the curve as shares of it.

    Examples
    --------
    >>> w = whale_curve(pd.Series({"a": 150.0, "b": 50.0, "c": -100.0}))
    >>> w.peak_share, round(w.share_unprofitable, 3), w.profit_destroyed
    (2.0, 0.333, 100.0)
    """
    from crmlab.segmentation import _customer_values, _ranked

    if isinstance(profit, pd.DataFrame) and customer not in profit.columns and value in profit.columns:
        profit = profit[value]
    s = _customer_values(profit, customer=customer, value=value, allow_negative=True, table="profit")
    total = float(s.sum())
    if total <= 0:
        raise CRMDataError(
            f"table 'profit': total profit is {total:,.2f} (not positive), so the whale curve cannot be drawn "
            f"as shares of it. Look at the cumulative profit in money instead (profit.sort_values().cumsum())."
        )
    r = _ranked(s)
    n = len(r)
    cum = np.cumsum(r.to_numpy())
    table = pd.DataFrame(
        {
            "rank": np.arange(1, n + 1),
            "profit": r.to_numpy(),
            "cumulative_profit": cum,
            "cumulative_share": cum / total,
            "customer_share": np.arange(1, n + 1) / n,
        },
        index=r.index,
    )
    peak = int(np.argmax(cum))
    neg = r.to_numpy() < 0
    table.attrs["units"] = {"profit": _MONEY, "cumulative_profit": _MONEY, "cumulative_share": "share of total profit"}
    return WhaleCurve(
        table,
        total,
        float(cum[peak] / total),
        float((peak + 1) / n),
        float(neg.mean()),
        float(-r.to_numpy()[neg].sum()),
    )
