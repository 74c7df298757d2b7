"""Recorded figures (关键指标记录) of a case study: one contract between the kernel and the batch runner.

``record(name, value, unit=..., label=...)`` records a key figure in the
notebook's outputs; :func:`read_figures` collects them from an executed
notebook; :class:`FigureBook` records the documented figures of a case study
(catalogues :data:`RETAIL_FIGURES` and :data:`B2B_FIGURES`).

The recorded-figures contract
-----------------------------
Each ``record`` call leaves one ``display_data`` output in the executed
notebook whose bundle holds two representations:

* ``application/vnd.crmlab.figures+json``:
  ``{"name": str, "value": number | str | bool | None, "unit": str, "label": str}``
  (``name`` is an identifier such as ``top20_share``; numpy numbers become
  plain numbers, dates ISO strings, NaN/inf ``None``);
* ``text/plain``: one readable line, e.g. ``Revenue: 12,346 EUR  [revenue]``.

So the figures survive in the ``.ipynb`` (and show as text in Jupyter and in the
HTML report) and :func:`read_figures` collects them with nbformat alone, in
cell order; a name recorded twice keeps its last value.

This module runs inside the notebook's kernel; it never starts a kernel.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from typing import Any, Mapping

from crmlab._validate import CRMDataError
from crmlab.case_parameters import CaseStudyParameterError

__all__ = ["FIGURE_MIMETYPE", "record", "read_figures", "Figure", "FigureBook", "RETAIL_FIGURES", "B2B_FIGURES"]

FIGURE_MIMETYPE = "application/vnd.crmlab.figures+json"
_FIGURE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _plain(value: Any) -> Any:
    """A JSON-safe plain version of a figure value."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if hasattr(value, "isoformat"):  # date, datetime, pd.Timestamp
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict)):  # numpy scalar
        value = value.item()
    if isinstance(value, bool) or isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    raise TypeError(f"a recorded figure must be a number, text, bool, date or None; got {type(value).__name__}")


def _format_value(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "n/a" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}"
    return f"{value:.3g}"


def record(name: str, value: Any, *, unit: str = "", label: str = "") -> None:
    """Record a key figure of a case study in the notebook's outputs.

    Displays one output with the JSON figure (mimetype
    ``application/vnd.crmlab.figures+json``) and a readable text line; see the
    module docstring for the contract. Outside Jupyter only the text line is
    printed.

    Parameters
    ----------
    name : an identifier (letters, digits, ``_``) used as the summary column.
    value : a number, text, bool, date or None.
    unit : e.g. ``"EUR"``, ``"customers"``, ``"share"``, ``"days"``.
    label : a short human description; the name is used when empty.

    Examples
    --------
    >>> record("top20_share", 0.6234, unit="share", label="Revenue share of the top 20% customers")
    Revenue share of the top 20% customers: 0.623 share  [top20_share]
    """
    if not isinstance(name, str) or not _FIGURE_NAME.match(name):
        raise CaseStudyParameterError(
            f"figure name {name!r} is not usable: use letters, digits and '_' (e.g. 'top20_share')."
        )
    data = {"name": name, "value": _plain(value), "unit": str(unit), "label": str(label)}
    text = f"{label or name}: {_format_value(data['value'])} {unit}".rstrip() + f"  [{name}]"
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        get_ipython = lambda: None  # noqa: E731
    if get_ipython() is None:
        print(text)
        return
    from IPython.display import display

    display({FIGURE_MIMETYPE: data, "text/plain": text}, raw=True)


def read_figures(notebook: str | os.PathLike | Any, *, details: bool = False) -> dict[str, Any]:
    """Collect the recorded figures of an executed notebook.

    Parameters
    ----------
    notebook : path of an executed ``.ipynb`` (or an nbformat notebook object).
    details : return ``{name: {"value", "unit", "label"}}`` instead of ``{name: value}``.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook()
    >>> out = nbformat.v4.new_output("display_data", data={
    ...     FIGURE_MIMETYPE: {"name": "customers", "value": 120, "unit": "customers", "label": ""},
    ...     "text/plain": "customers: 120 customers  [customers]"})
    >>> nb.cells.append(nbformat.v4.new_code_cell("record(...)", outputs=[out]))
    >>> read_figures(nb)
    {'customers': 120}
    """
    import nbformat

    nb = notebook if hasattr(notebook, "cells") else nbformat.read(os.fspath(notebook), as_version=4)
    found: dict[str, Any] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", ()) if cell.get("cell_type") == "code" else ():
            data = output.get("data", {}).get(FIGURE_MIMETYPE)
            if isinstance(data, str):  # some writers keep JSON bundles as text
                data = json.loads(data)
            if not isinstance(data, Mapping) or "name" not in data:
                continue
            found.pop(data["name"], None)  # a repeated name moves to its last place
            found[data["name"]] = (
                {"value": data.get("value"), "unit": data.get("unit", ""), "label": data.get("label", "")}
                if details
                else data.get("value")
            )
    return found


@dataclass(frozen=True)
class Figure:
    """Unit and label of one recorded figure; ``{currency}`` in the unit is filled in."""

    unit: str
    label: str


#: The figures the retail case study records (name -> unit, label). Money in the run's currency.
RETAIL_FIGURES: dict[str, Figure] = {
    "customers": Figure("customers", "Customers in the base (signed up by the analysis date)"),
    "active_customers": Figure("customers", "Active customers (ordered in the analysis year)"),
    "revenue": Figure("{currency}", "Revenue in the analysis year (returns excluded)"),
    "revenue_per_active": Figure("{currency}", "Revenue per active customer"),
    "top20_share": Figure("share", "Revenue share of the top 20% of buying customers"),
    "champions": Figure("customers", "RFM Champions"),
    "rfm_at_risk": Figure("customers", "RFM 'At risk' and 'Can't lose them' customers"),
    "margin_rate": Figure("share", "Gross margin rate used for customer value"),
    "retention_rate": Figure("share per year", "Retention rate over the analysis year"),
    "churn_rate": Figure("share per year", "Churn rate over the analysis year"),
    "mean_clv": Figure("{currency}", "Mean customer lifetime value (BG/NBD, 3 years)"),
    "retention_model_clv": Figure("{currency}", "CLV of an active customer, retention model"),
    "at_risk_count": Figure("customers", "Customers on the churn warning list"),
    "value_at_risk": Figure("{currency}", "Customer lifetime value on the warning list"),
    "lapsed_count": Figure("customers", "Customers long past their warning point (win-back)"),
    "nps": Figure("points", "Net Promoter Score (survey answers of the analysis year)"),
    "concentrate_here": Figure("", "Attributes to concentrate on (importance-performance)"),
    "complaint_rate": Figure("complaints per active customer", "Complaints in the analysis year"),
    "complaint_recovery": Figure("share", "Complaints resolved to satisfaction (recovered)"),
    "unrecovered_churn_ratio": Figure("x non-complainers", "Churn of unrecovered complainers"),
    "acquisition_cost": Figure("{currency} per new customer", "Mean acquisition cost"),
    "best_channel": Figure("", "Best acquisition channel (first-year acquisition equity)"),
    "best_channel_equity": Figure("{currency} per new customer", "Acquisition equity of the best channel"),
    "worst_channel": Figure("", "Weakest acquisition channel (first-year acquisition equity)"),
    "worst_channel_equity": Figure("{currency} per new customer", "Acquisition equity of the weakest channel"),
}

#: The figures the B2B case study records (name -> unit, label). Money in the run's currency.
B2B_FIGURES: dict[str, Figure] = {
    "accounts": Figure("accounts", "Accounts in the base (signed up by the analysis date)"),
    "active_accounts": Figure("accounts", "Active accounts (ordered in the analysis year)"),
    "revenue": Figure("{currency}", "Revenue in the analysis year (returns excluded)"),
    "gross_margin": Figure("{currency}", "Gross margin in the analysis year"),
    "cost_to_serve": Figure("{currency}", "Cost to serve the accounts (time-driven ABC)"),
    "profit": Figure("{currency}", "Sum of account profits (time-driven ABC)"),
    "unused_capacity_cost": Figure("{currency}", "Cost of unused capacity (not charged to accounts)"),
    "overloaded_departments": Figure("", "Departments working beyond practical capacity"),
    "top20_profit_share": Figure("share of profit", "Profit share of the top 20% of accounts"),
    "whale_peak": Figure("share of profit", "Peak of the whale curve"),
    "unprofitable_share": Figure("share", "Share of accounts that destroy profit"),
    "profit_destroyed": Figure("{currency}", "Profit destroyed by loss-making accounts"),
    "mean_share_of_wallet": Figure("share", "Mean share of wallet of active accounts"),
    "wallet_not_won": Figure("{currency}", "Category spend of active accounts that goes elsewhere"),
    "churn_rate": Figure("share per year", "Account churn rate over the analysis year"),
    "accounts_in_decline": Figure("accounts", "Accounts in the decline stage"),
    "accounts_in_exploration": Figure("accounts", "Accounts in the exploration stage"),
    "complaint_rate": Figure("complaints per active account", "Complaints in the analysis year"),
    "complaint_recovery": Figure("share", "Complaints resolved to satisfaction (recovered)"),
    "unrecovered_churn_ratio": Figure("x non-complainers", "Churn of unrecovered complainers"),
    "key_accounts": Figure("accounts", "Accounts on the key-account service level"),
    "self_service_accounts": Figure("accounts", "Accounts moved to self-service"),
    "account_clv": Figure("{currency}", "Value of an active account (retention model, profit after cost to serve)"),
}


class FigureBook:
    """Records a case's key figures (via :func:`crmlab.casestudy.record`) and keeps them.

    Units and labels come from a catalogue such as :data:`RETAIL_FIGURES`, so
    every run records the same documented names; ``figures`` holds the values
    for the executive summary and the recommendations.

    Examples
    --------
    >>> book = FigureBook(RETAIL_FIGURES, currency="EUR")
    >>> book.record(revenue=1234.5, customers=10)
    Revenue in the analysis year (returns excluded): 1,234 EUR  [revenue]
    Customers in the base (signed up by the analysis date): 10 customers  [customers]
    >>> book.figures
    {'revenue': 1234.5, 'customers': 10}
    """

    def __init__(self, catalogue: Mapping[str, Figure], *, currency: str):
        self.catalogue = dict(catalogue)
        self.currency = currency
        self.figures: dict[str, Any] = {}

    def record(self, **values: Any) -> None:
        """Record each ``name=value`` (names must be in the catalogue)."""
        unknown = [n for n in values if n not in self.catalogue]
        if unknown:
            raise CRMDataError(
                f"figure(s) {', '.join(map(repr, unknown))} are not in the catalogue: "
                f"use one of {', '.join(self.catalogue)} or add it to the catalogue."
            )
        for name, value in values.items():
            if hasattr(value, "item"):  # numpy scalar -> plain number
                value = value.item()
            spec = self.catalogue[name]
            record(name, value, unit=spec.unit.format(currency=self.currency), label=spec.label)
            self.figures[name] = value
