"""Money in a currency (货币): amounts in each currency's own magnitude, formatted with the currency.

The synthetic scenarios are drawn in euro. A case study in another currency
multiplies every money column by that currency's units per euro
(:data:`UNITS_PER_EUR`), so a Korean report speaks of hundreds of thousands of
won where a German one speaks of hundreds of euro. The rates are the yearly
averages of 2024 of the euro foreign exchange reference rates of the European
Central Bank, rounded to three significant digits (TWD, which the ECB does not
publish, from market rates of 2024); they make magnitudes plausible, they are
not for accounting. A firm's own data are already in its currency: their
scale is 1 unless stated otherwise.

Which columns hold money is read from the data dictionary
(:mod:`crmlab._schema`: the columns whose unit is currency units), so one
policy decides it for every table.

Examples
--------
>>> format_money(465.2, "KRW")
'465 KRW'
>>> format_money(465.2 * UNITS_PER_EUR["KRW"], "KRW")
'688,496 KRW'
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Mapping

from crmlab._validate import CRMDataError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["UNITS_PER_EUR", "CURRENCIES", "currency_scale", "format_money", "money_columns", "scale_money"]

#: Units of each currency per euro: 2024 yearly averages of the ECB reference rates, 3 significant digits.
UNITS_PER_EUR: dict[str, float] = {
    "EUR": 1.0,
    "USD": 1.08,
    "GBP": 0.847,
    "CHF": 0.953,
    "CNY": 7.79,
    "HKD": 8.45,
    "TWD": 34.9,
    "JPY": 164.0,
    "KRW": 1480.0,
    "SGD": 1.45,
}

#: Currency codes a case study accepts.
CURRENCIES = tuple(UNITS_PER_EUR)


def currency_scale(currency: str, scale: float | None = None) -> float:
    """How many units of ``currency`` one unit of the generated (euro) data is worth.

    Parameters
    ----------
    currency : an ISO code in :data:`CURRENCIES`.
    scale : an explicit factor (> 0) that overrides the table; ``None`` for the table.

    Examples
    --------
    >>> currency_scale("JPY"), currency_scale("JPY", 100.0)
    (164.0, 100.0)
    """
    if currency not in UNITS_PER_EUR:
        raise CRMDataError(f"currency {currency!r} is not known: use one of {', '.join(CURRENCIES)}.")
    if scale is None:
        return UNITS_PER_EUR[currency]
    if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
        raise CRMDataError(
            f"currency_scale = {scale!r}: give a positive factor (units of {currency} per data "
            "unit), or None for the stated rate."
        )
    return float(scale)


def format_money(x: Any, currency: str) -> str:
    """An amount with thousands separators and the currency code, no decimals.

    Examples
    --------
    >>> format_money(1234567.8, "EUR"), format_money(None, "EUR")
    ('1,234,568 EUR', 'n/a')
    """
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"{x:,.0f} {currency}"


def money_columns(dataset: str, table: str) -> list[str]:
    """Columns of a shipped table that hold money (unit: currency units, or per year, per unit, in the data dictionary).

    Examples
    --------
    >>> money_columns("retail", "orders")
    ['amount', 'gross_margin']
    """
    from crmlab import _schema

    spec = _schema.DATASETS[dataset]["tables"].get(table, {}).get("columns", {})
    return [c for c, col in spec.items() if col[2].startswith(_schema.CURRENCY)]


def scale_money(dataset: str, tables: Mapping[str, "pd.DataFrame"], factor: float) -> dict[str, "pd.DataFrame"]:
    """The tables with every money column multiplied by ``factor`` (others unchanged, copies).

    Examples
    --------
    >>> import pandas as pd
    >>> t = scale_money("retail", {"orders": pd.DataFrame({"amount": [2.5], "returned": [False]})}, 10)
    >>> t["orders"].to_dict("list")
    {'amount': [25.0], 'returned': [False]}
    """
    out = {}
    for name, table in tables.items():
        cols = [c for c in money_columns(dataset, name) if c in table]
        if cols and factor != 1:
            table = table.copy()
            table[cols] = table[cols] * factor
        out[name] = table
    return out
