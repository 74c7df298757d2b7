"""Customer value (客户价值): delivered value and perceived value.

Kotler's customer delivered value (客户让渡价值, *Marketing Management*): the
total customer value of an offer -- product, service, personnel and image
value -- minus the total customer cost -- monetary, time, energy and psychic
cost. It can be read as a difference or as a ratio (TCV / TCC); the two can
rank offers differently. All components must be on one scale, usually money
(what the customer would pay for the benefit, or what the cost is worth to
them).

Customer value as a trade-off between perceived benefits (感知利得) and
perceived sacrifices (感知利失) is the same idea on rating scales:
:func:`perceived_value` weighs both sides by importance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from crmlab._validate import CRMDataError, check_range, check_table
from crmlab._contract import checked

__all__ = [
    "VALUE_COMPONENTS",
    "COST_COMPONENTS",
    "DeliveredValue",
    "delivered_value",
    "compare_offers",
    "PerceivedValue",
    "perceived_value",
]

VALUE_COMPONENTS = ("product", "service", "personnel", "image")
COST_COMPONENTS = ("monetary", "time", "energy", "psychic")


@dataclass(frozen=True)
class DeliveredValue:
    """Kotler's customer delivered value of one offer (all figures in ``unit``)."""

    product: float
    service: float
    personnel: float
    image: float
    monetary: float
    time: float
    energy: float
    psychic: float
    unit: str = "currency units"

    @property
    def total_value(self) -> float:
        """Total customer value: product + service + personnel + image."""
        return self.product + self.service + self.personnel + self.image

    @property
    def total_cost(self) -> float:
        """Total customer cost: monetary + time + energy + psychic."""
        return self.monetary + self.time + self.energy + self.psychic

    @property
    def delivered_value(self) -> float:
        """Total customer value minus total customer cost."""
        return self.total_value - self.total_cost

    @property
    def value_ratio(self) -> float:
        """Total customer value divided by total customer cost (> 1: value exceeds cost)."""
        return self.total_value / self.total_cost


@checked
def delivered_value(
    *,
    product: float,
    service: float,
    personnel: float,
    image: float,
    monetary: float,
    time: float = 0.0,
    energy: float = 0.0,
    psychic: float = 0.0,
    unit: str = "currency units",
) -> DeliveredValue:
    """Customer delivered value of one offer.

    Parameters
    ----------
    product, service, personnel, image : the four parts of total customer
        value, each >= 0, in ``unit``.
    monetary, time, energy, psychic : the four parts of total customer cost,
        each >= 0 and together > 0 (the ratio divides by them).
    unit : the common scale of all eight figures.

    Examples
    --------
    >>> d = delivered_value(product=600, service=150, personnel=100, image=150,
    ...                     monetary=500, time=100, energy=50, psychic=50)
    >>> d.total_value, d.total_cost, d.delivered_value, round(d.value_ratio, 4)
    (1000, 700, 300, 1.4286)
    """
    parts = dict(
        product=product,
        service=service,
        personnel=personnel,
        image=image,
        monetary=monetary,
        time=time,
        energy=energy,
        psychic=psychic,
    )
    for name, v in parts.items():
        check_range(name, v, lo=0, hint="Value and cost components are amounts, never negative.")
    if monetary + time + energy + psychic <= 0:
        raise CRMDataError(
            "total customer cost is 0: the value ratio is undefined. Give at least the price (monetary cost)."
        )
    return DeliveredValue(**parts, unit=unit)


@checked
def compare_offers(
    offers: pd.DataFrame,
    *,
    offer: str | None = "offer",
    value_columns: tuple[str, ...] = VALUE_COMPONENTS,
    cost_columns: tuple[str, ...] = COST_COMPONENTS,
) -> pd.DataFrame:
    """Delivered value of several offers side by side.

    Parameters
    ----------
    offers : one row per offer with the value and cost components (>= 0).
    offer : column naming the offers (``None``: use the index).
    value_columns, cost_columns : which columns make up total customer value
        and total customer cost.

    Returns
    -------
    The components plus ``total_customer_value``, ``total_customer_cost``,
    ``delivered_value``, ``value_ratio``, ``rank`` (by delivered value, 1 =
    best) and ``rank_by_ratio``, indexed by offer.

    Examples
    --------
    >>> offers = pd.DataFrame({"offer": ["A", "B"], "product": [100, 60], "service": [20, 10],
    ...     "personnel": [10, 5], "image": [20, 5], "monetary": [90, 30], "time": [10, 5],
    ...     "energy": [0, 5], "psychic": [0, 0]})
    >>> compare_offers(offers)[["delivered_value", "value_ratio", "rank", "rank_by_ratio"]]  # doctest: +NORMALIZE_WHITESPACE
           delivered_value  value_ratio  rank  rank_by_ratio
    offer
    A                   50          1.5     1              2
    B                   40          2.0     2              1
    """
    cols = list(value_columns) + list(cost_columns)
    df = check_table(offers, "offers", {c: "nonneg" for c in cols} | ({offer: "id"} if offer else {}), unique=offer)
    out = (df.set_index(offer) if offer else df)[cols].copy()
    out["total_customer_value"] = out[list(value_columns)].sum(axis=1)
    out["total_customer_cost"] = out[list(cost_columns)].sum(axis=1)
    zero = out["total_customer_cost"] <= 0
    if zero.any():
        raise CRMDataError(
            f"table 'offers': total customer cost is 0 for {list(out.index[zero])[:5]}; the value ratio is "
            f"undefined. Give at least the price in column '{cost_columns[0]}'."
        )
    out["delivered_value"] = out["total_customer_value"] - out["total_customer_cost"]
    out["value_ratio"] = out["total_customer_value"] / out["total_customer_cost"]
    out["rank"] = out["delivered_value"].rank(ascending=False, method="min").astype("int64")
    out["rank_by_ratio"] = out["value_ratio"].rank(ascending=False, method="min").astype("int64")
    out.attrs.update(
        value_columns=list(value_columns),
        cost_columns=list(cost_columns),
        unit="as given (one scale for all components, usually currency units)",
    )
    return out


@dataclass(frozen=True)
class PerceivedValue:
    """Perceived benefits against perceived sacrifices (weighted means on the rating scale).

    ``table`` lists every item with its side, score, normalised weight and
    weighted contribution.
    """

    benefits: float
    sacrifices: float
    table: pd.DataFrame

    @property
    def net_value(self) -> float:
        """Perceived benefits minus perceived sacrifices."""
        return self.benefits - self.sacrifices

    @property
    def ratio(self) -> float:
        """Perceived benefits divided by perceived sacrifices."""
        return self.benefits / self.sacrifices


def _weighted_side(side: str, scores: Mapping[str, float], weights: Mapping[str, float] | None) -> pd.DataFrame:
    s = pd.Series(scores, dtype=float)
    if s.empty:
        raise CRMDataError(f"parameter '{side}': give at least one item, e.g. {{'quality': 6}}.")
    for item, v in s.items():
        check_range(f"{side}[{item!r}]", v, lo=0, hint="Ratings are >= 0 (e.g. a 1-7 scale).")
    if weights is None:
        w = pd.Series(1.0, index=s.index)
    else:
        w = pd.Series(weights, dtype=float)
        if set(w.index) != set(s.index):
            missing = sorted(set(s.index) ^ set(w.index))
            raise CRMDataError(
                f"parameter '{side}_weights': items differ from '{side}' ({missing}). Give one weight per item."
            )
        for item, v in w.items():
            check_range(f"{side}_weights[{item!r}]", v, lo=0)
        if w.sum() <= 0:
            raise CRMDataError(f"parameter '{side}_weights': the weights sum to 0; give at least one positive weight.")
        w = w.reindex(s.index)
    w = w / w.sum()
    return pd.DataFrame({"side": side, "score": s, "weight": w, "contribution": s * w})


@checked
def perceived_value(
    benefits: Mapping[str, float],
    sacrifices: Mapping[str, float],
    *,
    benefits_weights: Mapping[str, float] | None = None,
    sacrifices_weights: Mapping[str, float] | None = None,
) -> PerceivedValue:
    """Perceived customer value: weighted benefits versus weighted sacrifices.

    Parameters
    ----------
    benefits : ratings of what the customer gets (quality, service, support...).
    sacrifices : ratings of what it costs them (price, effort, risk...), on the
        same scale, where higher means a heavier sacrifice.
    benefits_weights, sacrifices_weights : importance of each item (>= 0);
        normalised to sum to 1 on each side, so each side stays on the rating
        scale. Default: equal weights.

    Examples
    --------
    >>> pv = perceived_value({"quality": 6, "service": 4}, {"price": 5, "effort": 2},
    ...                      benefits_weights={"quality": 3, "service": 1})
    >>> pv.benefits, pv.sacrifices, pv.net_value
    (5.5, 3.5, 2.0)
    """
    b = _weighted_side("benefits", benefits, benefits_weights)
    s = _weighted_side("sacrifices", sacrifices, sacrifices_weights)
    sac = float(s["contribution"].sum())
    if np.isclose(sac, 0):
        raise CRMDataError("perceived sacrifices are 0: the ratio is undefined. Rate at least the price.")
    table = pd.concat([b, s])
    table.index.name = "item"
    return PerceivedValue(float(b["contribution"].sum()), sac, table)
