"""Service levels for B2B accounts (客户服务等级): who gets which service, by profit and share of wallet.

Accounts are placed by profitability after cost to serve (time-driven ABC,
Kaplan & Anderson 2004; the whale curve of Kaplan & Narayanan 2001) and by
share of wallet (Keiningham et al. 2011); each cell gets a service level:
serve the valuable, loyal accounts best, grow the valuable ones we share with
competitors, and make loss makers cheaper to serve (Zeithaml, Rust & Lemon
2001). :func:`capacity_findings` reads the capacity side of time-driven ABC.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmlab._validate import CRMDataError, check_range

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["SERVICE_LEVELS", "service_level_plan", "plan_summary", "capacity_findings"]


def capacity_findings(capacity: "pd.DataFrame") -> "pd.DataFrame":
    """Unused and overloaded capacity per department, from ``time_driven_abc(...).capacity``.

    Adds ``unused_cost_positive`` (cost of idle capacity, 0 where none) and
    ``overloaded`` (minutes used beyond practical capacity, i.e. utilisation
    above 1: overtime, queues or quality problems; Kaplan & Anderson 2004).

    Examples
    --------
    >>> import pandas as pd
    >>> cap = pd.DataFrame({"unused_cost": [100.0, -20.0], "utilisation": [0.8, 1.1]}, index=["sales", "desk"])
    >>> capacity_findings(cap)[["unused_cost_positive", "overloaded"]].to_dict("list")
    {'unused_cost_positive': [100.0, 0.0], 'overloaded': [False, True]}
    """
    out = capacity.copy()
    out["unused_cost_positive"] = out["unused_cost"].clip(lower=0.0)
    out["overloaded"] = out["utilisation"] > 1.0
    return out


#: Service levels of the B2B plan, best served first: (profit class, share-of-wallet class) and what the level gets.
SERVICE_LEVELS: dict[str, dict[str, str]] = {
    "Key account": {
        "profit": "top",
        "share": "high",
        "service": "named account manager, quarterly business review, priority line, free rush orders",
    },
    "Growth account": {
        "profit": "top",
        "share": "low",
        "service": "account plan to win share: sales visits, category trials, volume pricing",
    },
    "Standard": {
        "profit": "profitable",
        "share": "high",
        "service": "service desk and web ordering, two retention contacts a year",
    },
    "Develop": {
        "profit": "profitable",
        "share": "low",
        "service": "inside sales with targeted cross-selling offers, web ordering",
    },
    "Cost-to-serve review": {
        "profit": "loss",
        "share": "high",
        "service": "reprice and redesign service: minimum order, rush fee, fewer visits",
    },
    "Self-service": {
        "profit": "loss",
        "share": "low",
        "service": "web shop and phone desk only, no field visits, minimum order size",
    },
}


def service_level_plan(
    profit: "pd.DataFrame",
    share: "pd.Series",
    *,
    top: float = 0.2,
    share_cut: float | str = "median",
    customer: str = "account_id",
) -> "pd.DataFrame":
    """Which account gets which service level: profitability x share of wallet.

    Profit class: ``top`` = the most profitable ``top`` fraction of accounts
    (at least one), ``loss`` = profit below 0, ``profitable`` = the rest.
    Share class: ``high`` at or above ``share_cut`` (a share, or "median"/"mean"
    of the accounts planned), else ``low``; an account without a wallet
    estimate counts as low. The level then follows :data:`SERVICE_LEVELS`
    (e.g. top & high -> Key account, loss & low -> Self-service): serve the
    valuable, loyal accounts best, grow the valuable ones we share with
    competitors, and make loss makers cheaper to serve (Zeithaml, Rust & Lemon
    2001).

    Parameters
    ----------
    profit : per account, a ``profit`` column (e.g. from
        :func:`crmlab.profitability.activity_based_profit`), other columns kept.
    share : share of wallet per account (e.g. from :func:`window_share_of_wallet`),
        indexed by the same account ids as ``profit``.
    top : the most profitable fraction of accounts that forms the ``top`` class, in (0, 1].
    share_cut : the share of wallet at or above which an account is ``high``; a number or
        ``"median"`` / ``"mean"`` of the accounts with an estimate.
    customer : the account id column of ``profit``; when ``profit`` has no such column its
        index holds the accounts.

    Returns
    -------
    ``profit`` with ``share_of_wallet``, ``profit_class``, ``share_class``,
    ``service_level`` (ordered categorical) and ``service``, best first. Accounts
    without a wallet estimate count as ``low`` and are counted in
    ``attrs["no_wallet_estimate"]``.

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"profit": [900.0, 300.0, 200.0, -50.0, -80.0]}, index=list("abcde"))
    >>> s = pd.Series({"a": 0.6, "b": 0.1, "c": 0.7, "d": 0.8, "e": 0.05})
    >>> service_level_plan(p, s, share_cut=0.5)["service_level"].astype(str).to_dict()
    {'a': 'Key account', 'c': 'Standard', 'b': 'Develop', 'd': 'Cost-to-serve review', 'e': 'Self-service'}
    """
    import numpy as np
    import pandas as pd

    check_range("top", top, lo=0, hi=1, lo_open=True, hint="use a share of accounts such as 0.2")
    if "profit" not in profit:
        raise CRMDataError("table 'profit' has no column 'profit': pass activity_based_profit(...)'s result.")
    if not isinstance(share, pd.Series):
        raise CRMDataError(
            f"parameter 'share' must be a Series of share of wallet per account, got {type(share).__name__}; "
            "pass e.g. window_share_of_wallet(...)['share_of_wallet']."
        )
    plan = profit.set_index(customer) if customer in profit.columns else profit.copy()
    if plan.index.has_duplicates:
        first = plan.index[plan.index.duplicated()][0]
        raise CRMDataError(
            f"table 'profit', accounts ('{customer}'): account {first!r} appears more than once; "
            "pass one row per account (e.g. activity_based_profit's result)."
        )
    plan["share_of_wallet"] = share.reindex(plan.index).astype(float)
    if len(share) and len(plan) and plan["share_of_wallet"].isna().all():
        raise CRMDataError(
            f"parameter 'share': none of its {len(share)} account ids matches an account of table 'profit' "
            f"(e.g. {share.index[0]!r} vs {plan.index[0]!r}); use the same ids, of the same kind (text or numbers), "
            f"in both, with the accounts ('{customer}') as the index of 'share'."
        )
    if isinstance(share_cut, str) and share_cut not in ("median", "mean"):
        raise CRMDataError(f"share_cut = {share_cut!r}: use a share such as 0.3, 'median' or 'mean'.")
    known = plan["share_of_wallet"].dropna()
    cut = float(getattr(known, share_cut)()) if isinstance(share_cut, str) else float(share_cut)
    n_top = max(1, int(np.ceil(top * len(plan))))
    order = plan.assign(_id=plan.index.astype(str)).sort_values(["profit", "_id"], ascending=[False, True]).index
    plan["profit_class"] = np.where(plan["profit"] < 0, "loss", "profitable")
    plan.loc[order[:n_top], "profit_class"] = np.where(plan.loc[order[:n_top], "profit"] < 0, "loss", "top")
    plan["share_class"] = np.where(plan["share_of_wallet"].fillna(-1.0) >= cut, "high", "low")
    lookup = {(v["profit"], v["share"]): k for k, v in SERVICE_LEVELS.items()}
    level = [lookup[pc, sc] for pc, sc in zip(plan["profit_class"], plan["share_class"])]
    plan["service_level"] = pd.Categorical(level, categories=list(SERVICE_LEVELS), ordered=True)
    plan["service"] = [SERVICE_LEVELS[x]["service"] for x in level]
    plan = plan.loc[plan.assign(_p=-plan["profit"]).sort_values(["service_level", "_p"], kind="stable").index]
    plan.attrs.update(
        top=top,
        share_cut=cut,
        customer=customer,
        no_wallet_estimate=int(plan["share_of_wallet"].isna().sum()),
    )
    return plan


def plan_summary(plan: "pd.DataFrame") -> "pd.DataFrame":
    """Accounts, revenue, cost to serve and profit per service level (money summed).

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"profit": [900.0, -80.0], "revenue": [5000.0, 300.0]}, index=["a", "b"])
    >>> t = plan_summary(service_level_plan(p, pd.Series({"a": 0.6, "b": 0.1})))
    >>> t.loc[["Key account", "Self-service"], ["accounts", "profit"]].to_dict("index")
    {'Key account': {'accounts': 1, 'profit': 900.0}, 'Self-service': {'accounts': 1, 'profit': -80.0}}
    """
    money = [c for c in ("revenue", "cost_to_serve", "profit") if c in plan]
    out = plan.groupby("service_level", observed=False).agg(
        accounts=("profit", "size"), **{c: (c, "sum") for c in money}, mean_share_of_wallet=("share_of_wallet", "mean")
    )
    out["accounts"] = out["accounts"].astype(int)
    out["service"] = [SERVICE_LEVELS[x]["service"] for x in out.index]
    return out
