"""Explorers for acquisition and development (客户获取, 客户开发) and CRM in practice (客户关系管理实践).

* :func:`wallet_segment_explorer` -- move the share-of-wallet and wallet-size cuts
  of the two-by-two wallet segmentation (:func:`crmlab.acquisition.wallet_segments`)
  and see how many accounts fall in each strategy and how much of their wallets
  the "grow share" accounts still spend elsewhere.
* :func:`cross_sell_explorer` -- raise the minimum lift a co-purchase rule needs
  before it may suggest a category (:func:`crmlab.acquisition.next_best_category`)
  and see how many customers still get a cross-selling suggestion.
* :func:`dashboard_explorer` -- pick a dataset and a date and read the KPI
  dashboard of :mod:`crmlab.dashboard` with its change over a year.

Each function returns an ``ipywidgets.VBox``: controls, an HTML readout with the key
numbers (``box.readout``) and an Output with a crmlab.plots figure.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from crmlab._validate import CRMDataError, check_range
from crmlab.widgets._common import explorer_box, float_slider, show_axes

__all__ = ["wallet_segment_explorer", "cross_sell_explorer", "dashboard_explorer"]


def wallet_segment_explorer(
    sow: Any,
    *,
    year: int | None = None,
    share_cut: float | None = None,
    wallet_cut: float | None = None,
) -> Any:
    """Share-of-wallet cut and wallet-size cut → accounts per wallet segment and the wallet left to win.

    The figure is :func:`crmlab.plots.plot_wallet_segments`; the readout gives the
    number of accounts in each of the four segments and, for the "grow share"
    segment (large wallet, low share), the category spend that still goes to
    competitors: the sum of ``wallet × (1 − share of wallet)``.

    Parameters
    ----------
    sow : the result of :func:`crmlab.acquisition.share_of_wallet`.
    year : the year segmented (default the latest).
    share_cut : starting share cut (0-1); default the median share of that year.
    wallet_cut : starting wallet cut (currency units per year); default the median wallet.

    Examples
    --------
    >>> import pandas as pd
    >>> sow = pd.DataFrame({"share_of_wallet": [0.6, 0.1, 0.7, 0.2], "wallet": [900., 800., 100., 50.]},
    ...     index=pd.MultiIndex.from_product([list("abcd"), [2024]], names=["account_id", "year"]))
    >>> box = wallet_segment_explorer(sow, share_cut=0.5, wallet_cut=500)
    >>> "720" in box.readout.value  # b: 800 x (1 - 0.1) still spent elsewhere
    True
    """
    from crmlab.acquisition import WALLET_STRATEGIES, wallet_segments
    from crmlab.plots import plot_wallet_segments

    base = wallet_segments(sow, year=year)
    shares, sizes = base["share_of_wallet"], base["wallet"]
    s0 = float(base.attrs["share_cut"]) if share_cut is None else check_range("share_cut", share_cut, lo=0, hi=1)
    w0 = float(base.attrs["wallet_cut"]) if wallet_cut is None else check_range("wallet_cut", wallet_cut, lo=0)
    w_hi = float(sizes.max())
    s_share = float_slider("share-of-wallet cut", s0, 0.0, max(0.5, round(float(shares.max()), 2)), 0.01)
    s_wallet = float_slider(
        "wallet cut (currency units/year)",
        min(w0, w_hi),
        0.0,
        w_hi,
        max(1.0, float(10 ** np.floor(np.log10(max(w_hi, 10)) - 2))),
        ",.0f",
    )

    def redraw(readout: Any, out: Any) -> None:
        seg = wallet_segments(
            sow, year=base.attrs["year"], share_cut=float(s_share.value), wallet_cut=float(s_wallet.value)
        )
        counts = seg["segment"].value_counts()
        grow = seg.loc[seg["segment"] == WALLET_STRATEGIES[(False, True)]]
        elsewhere = float((grow["wallet"] * (1 - grow["share_of_wallet"])).sum())
        parts = ", ".join(f"{name}: <b>{int(counts.get(name, 0))}</b>" for name in WALLET_STRATEGIES.values())
        readout.value = (
            f"{seg.attrs['year']}, share cut {seg.attrs['share_cut']:.0%}, wallet cut "
            f"{seg.attrs['wallet_cut']:,.0f}. Accounts per segment: {parts}. The grow-share accounts "
            f"still spend <b>{elsewhere:,.0f}</b> a year with competitors."
        )
        show_axes(out, lambda ax: plot_wallet_segments(seg, ax=ax))

    return explorer_box([s_share, s_wallet], redraw)


def cross_sell_explorer(
    orders: Any,
    rules: Any,
    *,
    min_lift: float = 1.0,
    top_n: int = 3,
    customer: str = "customer_id",
    item: str = "category",
) -> Any:
    """Minimum lift of a rule → customers who get a next-best-category suggestion, and which categories.

    For each position of the slider, :func:`crmlab.acquisition.next_best_category`
    keeps only the rules with lift ≥ the minimum (ranked by lift) and suggests
    up to ``top_n`` categories per customer. The figure counts the suggestions
    per category; the readout gives the customers reached and the most suggested
    category.

    Parameters
    ----------
    orders : orders with ``customer`` and ``item`` columns.
    rules : the result of :func:`crmlab.acquisition.co_purchase`.
    min_lift : starting minimum lift.
    top_n : suggestions per customer.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab.acquisition import co_purchase
    >>> o = pd.DataFrame({"customer_id": ["a", "a", "b", "b", "c", "d"],
    ...                   "category": ["tea", "cups", "tea", "cups", "tea", "cake"]})
    >>> box = cross_sell_explorer(o, co_purchase(o))
    >>> "<b>1</b> of 4 customers" in box.readout.value  # only c: bought tea, tea -> cups (lift 1.33)
    True
    """
    from crmlab.acquisition import next_best_category

    top_n = int(check_range("top_n", top_n, lo=1))
    lifts = rules["lift"].to_numpy(float) if len(rules) else np.array([1.0])
    hi = max(1.0, float(np.floor(lifts.max() * 100) / 100))  # at the right end the best rule still counts
    lo = min(1.0, float(np.floor(lifts.min() * 100) / 100))
    n_customers = int(orders[customer].nunique())
    s_lift = float_slider("minimum lift", min(max(float(min_lift), lo), hi), lo, hi, 0.01)

    def redraw(readout: Any, out: Any) -> None:
        m = float(s_lift.value)
        nb = next_best_category(orders, rules, customer=customer, item=item, top_n=top_n, min_lift=m)
        reached = int(nb[customer].nunique()) if len(nb) else 0
        counts = nb[item].value_counts() if len(nb) else None
        best = f", most often <b>{counts.index[0]}</b>" if counts is not None and len(counts) else ""
        kept = int((rules["lift"] >= m).sum())
        readout.value = (
            f"Rules with lift ≥ {m:.2f}: {kept} of {len(rules)}. <b>{len(nb):,}</b> suggestions; "
            f"<b>{reached:,}</b> of {n_customers:,} customers get at least one "
            f"({reached / max(n_customers, 1):.0%}){best}."
        )

        def draw(ax: Any) -> None:
            if counts is not None and len(counts):
                counts.sort_index().plot.bar(ax=ax, color="#0072B2", rot=30)
            ax.set_title(f"Next-best-category suggestions (lift >= {m:.2f})")
            ax.set_xlabel("suggested category")
            ax.set_ylabel("customers")

        show_axes(out, draw)

    return explorer_box([s_lift], redraw)


def dashboard_explorer(histories: Mapping[str, Any], *, dataset: str | None = None, as_of: Any = None) -> Any:
    """Pick a dataset and an ``as_of`` date; read its KPI dashboard and the change over a year.

    Parameters
    ----------
    histories : ``{name: kpi_history}``, each the result of
        :func:`crmlab.dashboard.kpi_history` for one dataset (e.g. retail and b2b).
    dataset : the dataset shown first (default the first).
    as_of : the date shown first (default the last of its history).

    The figure is :func:`crmlab.plots.plot_kpi_dashboard` with the chosen date
    marked; the readout lists the main KPIs at that date with their change
    against the same date a year earlier (when the history has it).

    Examples
    --------
    >>> import pandas as pd
    >>> h = pd.DataFrame({"churn_rate": [0.30, 0.25], "nps": [10.0, 20.0]},
    ...                  index=pd.to_datetime(["2023-12-31", "2024-12-31"]))
    >>> h.attrs.update(labels={"churn_rate": "yearly churn rate", "nps": "Net Promoter Score"})
    >>> box = dashboard_explorer({"shop": h})
    >>> "yearly churn rate <b>25.0%</b> (-5.0 pts)" in box.readout.value
    True
    """
    import ipywidgets as w
    import pandas as pd

    if not histories:
        raise CRMDataError("parameter 'histories': give at least one {name: kpi_history(...)}.")
    names = list(histories)
    first = names[0] if dataset is None else dataset
    if first not in histories:
        raise CRMDataError(f"parameter 'dataset' = {dataset!r}: choose one of {names}.")
    pick = w.Dropdown(options=names, value=first, description="dataset")

    def dates_of(name: str) -> list:
        return [(d.strftime("%Y-%m-%d"), d) for d in pd.DatetimeIndex(histories[name].index)]

    opts = dates_of(first)
    start = opts[-1][1] if as_of is None else pd.Timestamp(as_of)
    if start not in [d for _, d in opts]:
        raise CRMDataError(f"parameter 'as_of' = {as_of!r}: not a date of the history; have {[t for t, _ in opts]}.")
    when = w.SelectionSlider(
        options=opts,
        value=start,
        description="as of",
        continuous_update=False,
        style={"description_width": "initial"},
        layout=w.Layout(width="480px"),
    )
    from crmlab.plots._practice import DEFAULT_DASHBOARD_KPIS, plot_kpi_dashboard

    shares = {"top20_share", "retention_rate", "churn_rate", "complaints_resolved", "share_of_wallet"}

    def fmt(k: str, x: float, units: Mapping[str, str], sign: str = "", size: float | None = None) -> str:
        if k in shares:
            return f"{100 * x:{sign}.1f} pts" if sign else f"{x:.1%}"
        digits = 0 if units.get(k) == "customers" or abs(x if size is None else size) >= 100 else 1
        return f"{x:{sign},.{digits}f}"

    def on_dataset(_change: Any) -> None:
        new = dates_of(pick.value)
        when.options = new
        when.value = new[-1][1]

    pick.observe(on_dataset, names="value")

    def redraw(readout: Any, out: Any) -> None:
        h = histories[pick.value]
        t = pd.Timestamp(when.value)
        if t not in h.index:  # the dataset changed and the date follows next
            return
        labels, units = h.attrs.get("labels", {}), h.attrs.get("units", {})
        before = t - pd.DateOffset(years=1)
        row = h.loc[t]
        prev = h.loc[before] if before in h.index else pd.Series(np.nan, index=h.columns)
        items = []
        for k in [k for k in DEFAULT_DASHBOARD_KPIS if k in h.columns and np.isfinite(row[k])]:
            x, y = float(row[k]), float(prev[k])
            delta = f" ({fmt(k, x - y, units, '+', x)})" if np.isfinite(y) else ""
            items.append(f"{labels.get(k, k)} <b>{fmt(k, x, units)}</b>{delta}")
        readout.value = f"<b>{pick.value}</b>, KPI year to {t.date()}: " + "; ".join(items) + "."
        show_axes(out, lambda ax: plot_kpi_dashboard(h, mark=t, axes=ax.figure))

    return explorer_box([pick, when], redraw)
