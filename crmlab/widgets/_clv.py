"""Explorer for customer lifetime value (客户终身价值) under the retention model.

Sliders for margin, retention and discount drive :func:`crmlab.clv.retention_clv`
and :func:`crmlab.clv.clv_table` (Gupta & Lehmann 2003, *J. Interactive
Marketing* 17(1): CLV = m·r/(1+d−r)) and redraw
:func:`crmlab.plots.plot_clv_table`; a text readout states the CLV and the
margin multiple, so the effect of each lever can be read as well as seen.
"""

from __future__ import annotations

from typing import Any

from crmlab.widgets._common import explorer_box, show_axes

__all__ = ["retention_clv_explorer", "retention_clv_readout"]


def retention_clv_readout(margin: float, retention: float, discount: float, periods: int = 10) -> str:
    """The explorer's text: CLV, margin multiple and the share earned within ``periods``.

    Parameters
    ----------
    margin, retention, discount : as in :func:`crmlab.clv.retention_clv`, all per period.
    periods : the horizon drawn in the figure.

    Examples
    --------
    >>> retention_clv_readout(100, 0.8, 0.1, periods=10)  # 1 - (0.8/1.1)**10 = 0.96
    'CLV = 266.67 currency units (margin multiple 2.67 = r/(1+d-r)); 96% of it is earned in the first 10 periods.'
    """
    from crmlab.clv import retention_clv

    value = retention_clv(margin, retention, discount)
    first = retention_clv(margin, retention, discount, periods)
    multiple = retention_clv(1.0, retention, discount)
    share = f"{first / value:.0%}" if value else "all"
    return (
        f"CLV = {value:,.2f} currency units (margin multiple {multiple:.2f} = r/(1+d-r)); "
        f"{share} of it is earned in the first {periods} periods."
    )


def retention_clv_explorer(
    margin: float = 100.0,
    retention: float = 0.8,
    discount: float = 0.1,
    *,
    periods: int = 10,
    max_margin: float | None = None,
) -> Any:
    """Sliders for retention, margin and discount; a CLV readout and the period-by-period figure.

    Parameters
    ----------
    margin : starting margin per period (currency units).
    retention : starting retention rate per period, in [0, 0.95].
    discount : starting discount rate per period, in [0, 0.3].
    periods : number of periods drawn (the readout's CLV is the infinite-horizon value).
    max_margin : right end of the margin slider (default: 3 × ``margin``, at least 10).

    Returns
    -------
    ipywidgets.VBox with children ``(retention, margin, discount, readout, output)``:
    three ``FloatSlider`` (descriptions "retention", "margin", "discount"), an
    ``HTML`` readout whose text is :func:`retention_clv_readout`, and an
    ``Output`` that holds the figure. Moving a slider updates both.

    Examples
    --------
    >>> box = retention_clv_explorer(100, 0.8, 0.1)
    >>> [c.description for c in box.children[:3]]
    ['retention', 'margin', 'discount']
    >>> box.children[0].value = 0.9
    >>> box.children[3].value.startswith("CLV = 450.00")
    True
    """
    import ipywidgets as w

    from crmlab._validate import check_range

    check_range("margin", margin, lo=0, hint="Give the margin per period in currency units.")
    check_range("retention", retention, lo=0, hi=0.95, hint="The slider runs from 0 to 0.95.")
    check_range("discount", discount, lo=0, hi=0.3, hint="The slider runs from 0 to 0.3 (30 % per period).")
    periods = int(check_range("periods", periods, lo=1, hi=100))
    top = float(max_margin) if max_margin is not None else max(3.0 * float(margin), 10.0)
    check_range("max_margin", top, lo=float(margin), hint="The right end must be at least the starting margin.")
    style = {"description_width": "80px"}
    layout = w.Layout(width="460px")
    r = w.FloatSlider(
        value=retention,
        min=0.0,
        max=0.95,
        step=0.01,
        description="retention",
        readout_format=".2f",
        continuous_update=False,
        style=style,
        layout=layout,
    )
    m = w.FloatSlider(
        value=margin,
        min=0.0,
        max=top,
        step=max(round(top / 100, 2), 0.01),
        description="margin",
        readout_format=",.0f",
        continuous_update=False,
        style=style,
        layout=layout,
    )
    d = w.FloatSlider(
        value=discount,
        min=0.0,
        max=0.3,
        step=0.01,
        description="discount",
        readout_format=".2f",
        continuous_update=False,
        style=style,
        layout=layout,
    )

    def redraw(readout: Any, out: Any) -> None:
        readout.value = retention_clv_readout(m.value, r.value, d.value, periods)
        show_axes(out, lambda ax: _draw(ax, m.value, r.value, d.value, periods), figsize=(7.0, 3.8), label="CLV figure")

    return explorer_box([r, m, d], redraw)


def _draw(ax: Any, margin: float, retention: float, discount: float, periods: int) -> None:
    """The CLV table of the current values, on a y axis fixed by the infinite-horizon CLV."""
    from crmlab.clv import clv_table
    from crmlab.plots import plot_clv_table

    plot_clv_table(clv_table(margin, retention, discount, periods), ax=ax)
    ax.set_ylim(0, max(margin * retention / (1 + discount - retention), margin, 1.0) * 1.05)
