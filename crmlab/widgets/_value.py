"""Explorers for customer value (客户价值), segmentation (客户细分) and RFM.

Three widgets for chapters 02-04, each a thin shell around crmlab's analytics
and plots with a text readout that states the key number:

* :func:`offer_explorer` -- two offers' value and cost components (Kotler's
  customer delivered value, *Marketing Management*) on sliders; the readout
  names the winner by difference and by ratio (:func:`crmlab.value.compare_offers`).
* :func:`segment_explorer` -- the number of k-means segments on a slider; the
  profile heatmap and the silhouette (:func:`crmlab.segmentation.kmeans_segments`).
* :func:`rfm_explorer` -- the as-of date of an RFM snapshot (Hughes 1994) and
  what the R x F cells show; the heatmap and the Champions readout
  (:func:`crmlab.rfm.rfm_table`, :func:`crmlab.rfm.score`, :func:`crmlab.rfm.segment`).

The ``*_readout`` functions compute the readout text without any widget, so
they can be tested and reused. Each explorer keeps handles for tests and
notebooks: ``box.readout`` (the HTML readout), ``box.output`` (the Output with
the figure) and ``box.sliders`` (the controls).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import pandas as pd

__all__ = [
    "offer_readout",
    "offer_explorer",
    "segment_readout",
    "segment_explorer",
    "rfm_readout",
    "rfm_explorer",
]

from crmlab.widgets._common import explorer_box, show_axes

_STYLE = {"description_width": "90px"}


# ---------------------------------------------------------------- offers (chapter 02)


def offer_readout(offers: pd.DataFrame) -> str:
    """The offer explorer's text: delivered value and ratio of each offer, and the winners.

    Parameters
    ----------
    offers : the result of :func:`crmlab.value.compare_offers` (two or more offers).

    Examples
    --------
    >>> from crmlab.value import compare_offers
    >>> t = compare_offers(pd.DataFrame({"offer": ["A", "B"], "product": [100, 60], "service": [20, 10],
    ...     "personnel": [10, 5], "image": [20, 5], "monetary": [90, 30], "time": [10, 5],
    ...     "energy": [0, 5], "psychic": [0, 0]}))
    >>> offer_readout(t)  # A: 150 - 100 = 50, 150/100 = 1.5; B: 80 - 40 = 40, 80/40 = 2.0
    'A: delivered value 50 (ratio 1.50) | B: delivered value 40 (ratio 2.00) | by difference A wins; by ratio B wins.'
    """
    from crmlab._validate import check_table

    check_table(offers, "offers", {"delivered_value": "number", "value_ratio": "number"}, min_rows=2)
    parts = [
        f"{name}: delivered value {row.delivered_value:,.0f} (ratio {row.value_ratio:.2f})"
        for name, row in zip(offers.index.astype(str), offers.itertuples())
    ]

    def winner(column: str) -> str:
        best = offers[column].max()
        names = list(offers.index.astype(str)[offers[column] == best])
        return f"{names[0]} wins" if len(names) == 1 else f"{' and '.join(names)} tie"

    return " | ".join(parts) + f" | by difference {winner('delivered_value')}; by ratio {winner('value_ratio')}."


def offer_explorer(offers: pd.DataFrame, *, offer: str = "offer", max_value: float | None = None) -> Any:
    """Sliders for the value and cost components of two offers; readout and stacked bars.

    Parameters
    ----------
    offers : the input table of :func:`crmlab.value.compare_offers` (one row
        per offer, columns product, service, personnel, image, monetary, time,
        energy, psychic); its first two offers start on the sliders.
    offer : column naming the offers.
    max_value : right end of every slider (default: twice the largest
        component, rounded up to a multiple of 50).

    Returns
    -------
    ipywidgets.VBox with children ``(columns, readout, output)``: ``columns``
    is an HBox of two VBoxes, one per offer, each an HTML title followed by
    eight ``FloatSlider`` (descriptions as the component names, value first,
    then cost); ``readout`` is an ``HTML`` whose text is :func:`offer_readout`;
    ``output`` holds the figure (:func:`crmlab.plots.plot_offers`).
    ``box.sliders[(offer name, component)]`` is the slider of one component.

    Examples
    --------
    >>> t = pd.DataFrame({"offer": ["A", "B"], "product": [100, 60], "service": [20, 10],
    ...     "personnel": [10, 5], "image": [20, 5], "monetary": [90, 30], "time": [10, 5],
    ...     "energy": [0, 5], "psychic": [0, 0]})
    >>> box = offer_explorer(t)
    >>> box.children[0].children[1].children[5].description
    'monetary'
    >>> box.sliders[("B", "monetary")].value = 80   # B doubles its price: 80 - 90 = -10, ratio 0.89
    >>> box.readout.value.endswith("by difference A wins; by ratio A wins.")
    True
    """
    import ipywidgets as w

    from crmlab._validate import CRMDataError, check_range
    from crmlab.value import COST_COMPONENTS, VALUE_COMPONENTS, compare_offers

    table = compare_offers(offers, offer=offer)
    if len(table) < 2:
        raise CRMDataError("table 'offers': the explorer compares two offers; give at least two rows.")
    components = list(VALUE_COMPONENTS) + list(COST_COMPONENTS)
    start = table.iloc[:2][components]
    top = max_value if max_value is not None else max(50.0, 50.0 * -(-2 * float(start.to_numpy().max()) // 50))
    check_range("max_value", top, lo=float(start.to_numpy().max()), hint="Every starting value must fit on a slider.")
    layout = w.Layout(width="300px")
    names = [str(n) for n in start.index]
    sliders = {
        (name, c): w.FloatSlider(
            value=float(row[c]),
            min=0.0,
            max=float(top),
            step=float(top) / 100,
            description=c,
            readout_format=",.0f",
            continuous_update=False,
            style=_STYLE,
            layout=layout,
        )
        for name, (_, row) in zip(names, start.iterrows())
        for c in components
    }

    def redraw(readout: Any, out: Any) -> None:
        current = pd.DataFrame([[sliders[(name, c)].value for c in components] for name in names], columns=components)
        current.insert(0, "offer", names)
        try:
            result = compare_offers(current)
        except CRMDataError as exc:  # e.g. all costs of an offer at 0: the ratio is undefined
            readout.value = str(exc)
            return
        readout.value = offer_readout(result)
        from crmlab.plots import plot_offers

        show_axes(out, lambda ax: plot_offers(result, ax=ax), figsize=(8.0, 4.2), label="offers figure")

    box = explorer_box(list(sliders.values()), redraw)
    columns = [
        w.VBox(
            [w.HTML(f"<b>offer {name}</b> (value: first four; cost: last four)")]
            + [sliders[(name, c)] for c in components]
        )
        for name in names
    ]
    box.children = (w.HBox(columns), box.readout, box.output)
    box.sliders = sliders
    return box


# ---------------------------------------------------------------- k-means (chapter 03)


def segment_readout(result: Any) -> str:
    """The segment explorer's text: k, the silhouette and the segment sizes.

    Parameters
    ----------
    result : a :class:`crmlab.segmentation.KMeansSegments`.

    Examples
    --------
    >>> from crmlab.segmentation import kmeans_segments
    >>> f = pd.DataFrame({"x": [0, 0.1, 0.2, 10, 10.1, 10.2, 20.0]}, index=list("abcdefg"))
    >>> segment_readout(kmeans_segments(f, 2, seed=1))
    'k = 2 segments: mean silhouette 0.78 (-1 to 1, higher = better separated); sizes 57%, 43%.'
    """
    sizes = ", ".join(f"{s:.0%}" for s in result.profile["share"])
    return (
        f"k = {result.k} segments: mean silhouette {result.silhouette:.2f} "
        f"(-1 to 1, higher = better separated); sizes {sizes}."
    )


def segment_explorer(
    features: pd.DataFrame,
    k: int = 4,
    *,
    ks: Sequence[int] = range(2, 9),
    seed: int = 0,
    n_init: int = 4,
    columns: Sequence[str] | None = None,
) -> Any:
    """A slider for the number of k-means segments; the profile heatmap and the silhouette.

    Parameters
    ----------
    features : one row per customer, numeric columns (e.g.
        :func:`crmlab.segmentation.customer_features`).
    k : starting number of segments, within ``ks``.
    ks : the values the slider offers (consecutive integers >= 2).
    seed, n_init, columns : passed to :func:`crmlab.segmentation.kmeans_segments`;
        each k is fitted once and remembered.

    Returns
    -------
    ipywidgets.VBox with children ``(slider, readout, output)``: an
    ``IntSlider`` described "segments k", an ``HTML`` readout with
    :func:`segment_readout`, and an ``Output`` with
    :func:`crmlab.plots.plot_segment_profile`; also ``box.sliders["segments k"]``,
    ``box.readout``, ``box.output``.

    Examples
    --------
    >>> f = pd.DataFrame({"x": [0, 0.1, 0.2, 10, 10.1, 10.2, 20.0, 20.1]})
    >>> box = segment_explorer(f, 2, ks=range(2, 4), seed=1)
    >>> box.readout.value.startswith("k = 2 segments")
    True
    >>> box.sliders["segments k"].value = 3
    >>> box.readout.value.startswith("k = 3 segments")
    True
    """
    import ipywidgets as w

    from crmlab._validate import CRMDataError, check_range
    from crmlab.segmentation import kmeans_segments

    options = sorted(int(check_range("ks", v, lo=2, hint="k-means needs at least 2 segments.")) for v in ks)
    if not options or options != list(range(options[0], options[-1] + 1)):
        raise CRMDataError(f"parameter 'ks' = {list(ks)}: give consecutive integers >= 2, e.g. range(2, 9).")
    k = int(check_range("k", k, lo=options[0], hi=options[-1], hint=f"Start within ks ({options[0]}..{options[-1]})."))
    slider = w.IntSlider(
        value=k,
        min=options[0],
        max=options[-1],
        step=1,
        description="segments k",
        continuous_update=False,
        style=_STYLE,
        layout=w.Layout(width="420px"),
    )
    fitted: dict[int, Any] = {}

    def redraw(readout: Any, out: Any) -> None:
        if slider.value not in fitted:
            fitted[slider.value] = kmeans_segments(features, slider.value, seed=seed, n_init=n_init, columns=columns)
        result = fitted[slider.value]
        readout.value = segment_readout(result)
        from crmlab.plots import plot_segment_profile

        show_axes(out, lambda ax: plot_segment_profile(result, ax=ax), figsize=(8.0, 4.8), label="segment profiles")

    return explorer_box([slider], redraw)


# ---------------------------------------------------------------- RFM (chapter 04)


def rfm_readout(scores: pd.DataFrame, segments: pd.Series, *, focus: str = "Champions") -> str:
    """The RFM explorer's text: customers scored, and one segment's size and share of spend.

    Parameters
    ----------
    scores : the result of :func:`crmlab.rfm.score` (column ``monetary``).
    segments : :func:`crmlab.rfm.segment` of the same customers.
    focus : the segment to report.

    Examples
    --------
    >>> s = pd.DataFrame({"monetary": [300.0, 100.0, 100.0]}, index=list("abc"))
    >>> rfm_readout(s, pd.Series(["Champions", "Lost", "Lost"], index=list("abc")))
    'As of (not given): 3 customers scored; Champions: 1 (33% of customers) bring 60% of spend.'
    """
    from crmlab._validate import check_table

    check_table(scores, "scores", {"monetary": "number"})
    when = scores.attrs.get("as_of")
    when = pd.Timestamp(when).date().isoformat() if when is not None else "(not given)"
    mask = (segments.reindex(scores.index).astype(str) == focus).to_numpy()
    total = float(scores["monetary"].sum())
    spend = float(scores["monetary"].to_numpy()[mask].sum()) / total if total > 0 else 0.0
    n = int(mask.sum())
    return (
        f"As of {when}: {len(scores):,} customers scored; {focus}: {n:,} "
        f"({n / len(scores):.0%} of customers) bring {spend:.0%} of spend."
    )


_CELL_MEASURES = {
    "customers": ("monetary", "count"),
    "mean monetary": ("monetary", "mean"),
    "mean frequency": ("frequency", "mean"),
    "mean recency (days)": ("recency_days", "mean"),
}


def rfm_explorer(
    orders: pd.DataFrame,
    *,
    as_of: Any,
    freq: str = "QE",
    show: str = "customers",
    rfm_options: Mapping[str, Any] | None = None,
) -> Any:
    """Pick the as-of date of an RFM snapshot and what the R x F cells show; heatmap and readout.

    RFM is a snapshot (the course's second weakness): moving the date shows the
    same customers landing in other cells.

    Parameters
    ----------
    orders : the orders table (as for :func:`crmlab.rfm.rfm_table`).
    as_of : the last snapshot date (end of the observation window); the
        slider offers every period end of ``freq`` up to it, and ``as_of``.
    freq : spacing of the dates offered ("QE" quarter ends, "ME" month ends).
    show : what the cells show first: "customers", "mean monetary",
        "mean frequency" or "mean recency (days)".
    rfm_options : extra keyword arguments for :func:`crmlab.rfm.rfm_table`
        (e.g. ``{"customer": "account_id"}``).

    Returns
    -------
    ipywidgets.VBox with children ``(date, measure, readout, output)``: a
    ``SelectionSlider`` described "as of" (option labels are ISO dates), a
    ``Dropdown`` described "cells show", an ``HTML`` readout with
    :func:`rfm_readout` and an ``Output`` with :func:`crmlab.plots.plot_rfm_heatmap`;
    also ``box.sliders["as of"]``, ``box.sliders["cells show"]``, ``box.readout``, ``box.output``.

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": list("abcdefabca"), "amount": [10.0] * 10,
    ...     "order_date": pd.date_range("2024-01-15", periods=10, freq="20D")})
    >>> box = rfm_explorer(o, as_of="2024-07-31")
    >>> box.children[0].options[-2:]
    ('2024-06-30', '2024-07-31')
    >>> box.readout.value
    'As of 2024-07-31: 6 customers scored; Champions: 1 (17% of customers) bring 30% of spend.'
    >>> box.sliders["as of"].value = "2024-06-30"
    >>> box.readout.value.startswith("As of 2024-06-30: 6 customers")
    True
    """
    import ipywidgets as w

    from crmlab._validate import CRMDataError, check_choice
    from crmlab.rfm import rfm_table, score, segment

    check_choice("show", show, list(_CELL_MEASURES))
    opts = dict(rfm_options or {})
    date_col = opts.get("date", "order_date")
    last = pd.Timestamp(as_of)
    first = rfm_table(orders, as_of=last, **opts)["first_purchase"].min()
    ends = [d for d in pd.date_range(first, last, freq=freq) if d < last] + [last]
    labels = tuple(d.date().isoformat() for d in ends)
    if len(labels) < 2:
        raise CRMDataError(
            f"table 'orders', column '{date_col}': only one {freq!r} period between the first order "
            f"({first.date()}) and as_of ({last.date()}). Use a shorter freq, e.g. 'ME'."
        )
    date = w.SelectionSlider(
        options=labels,
        value=labels[-1],
        description="as of",
        continuous_update=False,
        style=_STYLE,
        layout=w.Layout(width="520px"),
    )
    measure = w.Dropdown(options=list(_CELL_MEASURES), value=show, description="cells show", style=_STYLE)
    cache: dict[str, Any] = {}

    def redraw(readout: Any, out: Any) -> None:
        if date.value not in cache:
            try:
                scored = score(rfm_table(orders, as_of=date.value, **opts))
            except CRMDataError as exc:  # e.g. fewer customers than score levels on an early date
                readout.value = f"As of {date.value}: {exc}"
                out.outputs = ()
                return
            cache[date.value] = (scored, segment(scored))
        scored, segs = cache[date.value]
        readout.value = rfm_readout(scored, segs)
        value, agg = _CELL_MEASURES[measure.value]
        from crmlab.plots import plot_rfm_heatmap

        show_axes(
            out,
            lambda ax: plot_rfm_heatmap(scored, value=value, agg=agg, ax=ax),
            figsize=(6.8, 4.6),
            label="RFM heatmap",
        )

    return explorer_box([date, measure], redraw)
