"""Shared building blocks (共用组件) of the chapter explorers in :mod:`crmlab.widgets`.

An explorer is a column of controls, an HTML readout with the key number and an
Output holding a crmlab.plots figure, redrawn whenever a control moves. Widget
modules build one with these helpers rather than repeating the wiring:

* :func:`explorer_box` -- the ``VBox`` of controls, readout and output, with the
  redraw function observed on every control and called once at the start;
* :func:`show_figure` / :func:`show_axes` -- draw a new matplotlib figure and make
  its PNG the content of an ``Output`` widget;
* :func:`float_slider` -- a ``FloatSlider`` that only reports when released.

The figure is set on the Output widget's ``outputs`` directly rather than
displayed inside ``with out:``. It renders wherever widgets render, and it never
leaks into the cell's own stored outputs, which the notebook tests compare.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

__all__: list[str] = []  # helpers for the widget modules; not re-exported by crmlab.widgets


def show_figure(
    out: Any,
    draw: Callable[..., Any],
    *args: Any,
    figsize: tuple[float, float] = (7.0, 4.2),
    layout: str | None = None,
    label: str = "figure",
) -> None:
    """Draw a new figure with ``draw(fig, *args)`` and make it the only content of the Output ``out``.

    Parameters
    ----------
    out : an ``ipywidgets.Output``.
    draw : called with the new figure (and ``args``); adds its Axes and draws.
    figsize : figure size in inches.
    layout : matplotlib layout engine, e.g. ``"constrained"`` for several panels.
    label : first word of the text shown where images cannot be: ``<label: titles>``.

    Examples
    --------
    >>> import ipywidgets as w
    >>> out = w.Output()
    >>> show_figure(out, lambda fig: fig.subplots().set_title("Demo"))
    >>> out.outputs[0]["data"]["text/plain"]
    '<figure: Demo>'
    """
    import base64
    import io

    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize, layout=layout)
    try:
        draw(fig, *args)
        titles = "; ".join(ax.get_title() for ax in fig.axes if ax.get_title())
        png = io.BytesIO()
        fig.savefig(png, format="png")
    finally:
        plt.close(fig)
    out.outputs = (
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {
                "image/png": base64.b64encode(png.getvalue()).decode("ascii"),
                "text/plain": f"<{label}: {titles}>",
            },
        },
    )


def show_axes(
    out: Any, draw: Callable[[Any], Any], figsize: tuple[float, float] = (7.5, 4.2), label: str = "figure"
) -> None:
    """:func:`show_figure` for a figure of one Axes: ``draw(ax)`` draws into it.

    Examples
    --------
    >>> import ipywidgets as w
    >>> out = w.Output()
    >>> show_axes(out, lambda ax: ax.set_title("One panel"), label="CLV figure")
    >>> out.outputs[0]["data"]["text/plain"]
    '<CLV figure: One panel>'
    """
    show_figure(out, lambda fig: draw(fig.subplots()), figsize=figsize, label=label)


def explorer_box(controls: Sequence[Any], redraw: Callable[[Any, Any], None]) -> Any:
    """A ``VBox`` of ``controls``, an HTML readout and an Output, redrawn by ``redraw(readout, out)``.

    ``redraw`` runs once now and again whenever a control's value changes. The
    box keeps handles for tests and notebooks: ``box.readout``, ``box.output``
    and ``box.sliders`` (the controls by description).

    Examples
    --------
    >>> s = float_slider("price", 2.0, 0.0, 10.0, 0.5)
    >>> box = explorer_box([s], lambda readout, out: setattr(readout, "value", f"price {s.value:g}"))
    >>> s.value = 3.5
    >>> box.readout.value, len(box.children)
    ('price 3.5', 3)
    """
    import ipywidgets as w

    readout = w.HTML()
    out = w.Output()

    def update(_change: Any = None) -> None:
        redraw(readout, out)

    for control in controls:
        control.observe(update, names="value")
    update()
    box = w.VBox([*controls, readout, out])
    box.readout = readout
    box.output = out
    box.sliders = {c.description: c for c in controls}
    return box


def float_slider(description: str, value: float, lo: float, hi: float, step: float, fmt: str = ".2f") -> Any:
    """A ``FloatSlider`` from ``lo`` to ``hi`` that updates on release, with its value shown as ``fmt``.

    Examples
    --------
    >>> s = float_slider("discount", 0.1, 0.0, 0.3, 0.01)
    >>> s.description, s.max, s.continuous_update
    ('discount', 0.3, False)
    """
    import ipywidgets as w

    return w.FloatSlider(
        value=value,
        min=lo,
        max=hi,
        step=step,
        description=description,
        readout=True,
        readout_format=fmt,
        continuous_update=False,
        style={"description_width": "initial"},
        layout=w.Layout(width="480px"),
    )
