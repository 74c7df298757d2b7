"""Shared drawing helpers (绘图辅助) for the figure modules of :mod:`crmlab.plots`.

Every plot function takes ``ax=None`` and draws into a new figure when it is not
given; :func:`new_axes` is that one rule, with the size each figure wants. Shares
(0-1) are shown as percentages with :func:`percent_axis`; grids of cells
(R x F, cohorts, lift, profiles) are drawn by :func:`heatmap`. Okabe & Ito (2008) give
the colour-blind-safe colours the modules use.
"""

from __future__ import annotations

from typing import Any

__all__: list[str] = []  # helpers for the plot modules; not re-exported by crmlab.plots


def new_axes(ax: Any = None, size: tuple[float, float] | None = None) -> Any:
    """``ax`` itself, or the Axes of a new figure of ``size`` inches (``None``: the rcParams size).

    Examples
    --------
    >>> ax = new_axes(size=(5.0, 3.0))
    >>> ax.figure.get_size_inches().tolist()
    [5.0, 3.0]
    >>> new_axes(ax) is ax
    True
    """
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=size)[1]


def percent_axis(*axes: Any) -> None:
    """Show shares (0-1) on the given axes (``ax.xaxis``, ``ax.yaxis``) as percentages.

    Examples
    --------
    >>> ax = new_axes()
    >>> percent_axis(ax.yaxis)
    >>> ax.yaxis.get_major_formatter().format_pct(0.25, 1.0)
    '25%'
    """
    from matplotlib.ticker import PercentFormatter

    for axis in axes:
        axis.set_major_formatter(PercentFormatter(1.0))


def label(ax: Any, title: str, xlabel: str, ylabel: str) -> Any:
    """Set the title and both axis labels; return ``ax``.

    Examples
    --------
    >>> label(new_axes(), "Sales", "month", "revenue (currency units)").get_ylabel()
    'revenue (currency units)'
    """
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def text_colour(image: Any, value: float) -> str:
    """``"white"`` where ``value`` is drawn in a dark colour of ``image``'s colour map, else ``"black"``.

    Uses the cell colour's luminance (0.299 R + 0.587 G + 0.114 B), so it works
    for diverging maps, dark at both ends, as well as for sequential ones.

    Examples
    --------
    >>> ax = new_axes()
    >>> im = ax.imshow([[0.0, 1.0]], cmap="Blues", vmin=0, vmax=1)
    >>> text_colour(im, 0.0), text_colour(im, 1.0)
    ('black', 'white')
    """
    r, g, b, _ = image.cmap(image.norm(value))
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black"


def heatmap(
    ax: Any,
    values: Any,
    *,
    colorbar: str,
    cmap: str,
    fmt: str | None = None,
    fontsize: float = 8,
    colorbar_kw: dict | None = None,
    **imshow: Any,
) -> Any:
    """Draw a 2-D array as a grid of coloured cells on ``ax``; return the image.

    The style's grid lines are turned off (they would cut through the cells),
    the colour bar is labelled ``colorbar`` (say the unit there), missing
    values (NaN) are left blank and, with ``fmt``, every other cell shows its
    value, in white on dark cells and black on light ones (:func:`text_colour`).
    Further keyword arguments go to ``ax.imshow`` (``vmin``, ``aspect``, ...).

    Examples
    --------
    >>> ax = new_axes()
    >>> im = heatmap(ax, [[0.0, 1.0], [float("nan"), 0.5]], colorbar="share of customers", cmap="Blues",
    ...              fmt=".1f", vmin=0, vmax=1)
    >>> [(t.get_text(), t.get_color()) for t in ax.texts]
    [('0.0', 'black'), ('1.0', 'white'), ('0.5', 'black')]
    >>> any(line.get_visible() for line in ax.get_xgridlines() + ax.get_ygridlines())
    False
    >>> im.colorbar.ax.get_ylabel()
    'share of customers'
    """
    import numpy as np

    v = np.asarray(values, dtype=float)
    image = ax.imshow(np.ma.masked_invalid(v), cmap=cmap, **imshow)
    ax.figure.colorbar(image, ax=ax, label=colorbar, **(colorbar_kw or {}))
    ax.grid(False)
    if fmt is not None:
        for (i, j), x in np.ndenumerate(v):
            if np.isfinite(x):
                ax.text(j, i, format(x, fmt), ha="center", va="center", fontsize=fontsize, color=text_colour(image, x))
    return image


# ---------------------------------------------------------------- the readable-figure standard
# (the rules are written down in crmlab.style's module docstring; these helpers implement them)

#: Four colours added to the Okabe & Ito palette for 9-12 unordered series (Tol 2021, "muted" scheme).
_EXTRA = ("#882255", "#44AA99", "#999933", "#332288")


def series_colours(n: int, *, ordered: bool = False) -> list:
    """``n`` distinguishable colours: Okabe & Ito for up to 8, four of Tol's muted colours up to 12.

    ``ordered=True`` (cohorts, months, scores) samples the ordered ``viridis`` map instead,
    so neighbouring series get neighbouring colours. Beyond 12 series no palette stays
    readable: group the series or draw panels.

    Examples
    --------
    >>> len(set(series_colours(12))), series_colours(2)
    (12, ['#0072B2', '#E69F00'])
    >>> len(series_colours(12, ordered=True))
    12
    >>> series_colours(13)
    Traceback (most recent call last):
    ...
    crmlab._validate.CRMDataError: parameter 'n' = 13: at most 12 series can be told apart by colour. Group the series or draw one panel per group.
    """
    from crmlab._validate import CRMDataError
    from crmlab.style import PALETTE

    if n > 12:
        raise CRMDataError(
            f"parameter 'n' = {n}: at most 12 series can be told apart by colour. "
            "Group the series or draw one panel per group."
        )
    if ordered:
        import matplotlib

        cmap = matplotlib.colormaps["viridis"]
        return [cmap(0.9 * i / max(n - 1, 1)) for i in range(n)]
    return list((PALETTE[:7] + _EXTRA + (PALETTE[7],))[:n]) if n > 8 else list(PALETTE[:n])


def legend_outside(ax: Any, **kw: Any) -> Any:
    """Put the legend to the right of the axes, where it cannot cover data; return the legend.

    Examples
    --------
    >>> ax = new_axes()
    >>> _ = ax.plot([0, 1], [0, 1], label="a")
    >>> bool(legend_outside(ax).get_bbox_to_anchor().bounds[0] > ax.get_window_extent().x1 - 1)
    True
    """
    kw = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "borderaxespad": 0.0, **kw}
    return ax.legend(**kw)


def amount_axis(axis: Any) -> None:
    """Amounts with thousands separators (12,500) instead of an offset such as "1e6".

    Examples
    --------
    >>> ax = new_axes()
    >>> amount_axis(ax.yaxis)
    >>> ax.yaxis.get_major_formatter()(1234567.0)
    '1,234,567'
    """
    from matplotlib.ticker import StrMethodFormatter

    axis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


#: How the workbook's column names read in a figure (rule 1 of the standard).
_WORDS = {"cat": "spend in", "ch": "spend via", "share": "share of", "pct": "%", "avg": "mean", "n": "number of"}


def readable(name: str) -> str:
    """A column name as words for a figure: ``share_cat_kitchen`` -> ``share of spend in kitchen``.

    Examples
    --------
    >>> readable("share_cat_kitchen"), readable("share_ch_app"), readable("orders_per_year")
    ('share of spend in kitchen', 'share of spend via app', 'orders per year')
    >>> readable("overall_satisfaction")
    'overall satisfaction'
    """
    parts = str(name).split("_")
    if len(parts) >= 3 and parts[0] == "share" and parts[1] in ("cat", "ch"):
        return f"share of {_WORDS[parts[1]]} {' '.join(parts[2:])}"
    return " ".join(parts)


_SNAKE = __import__("re").compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
#: Axis labels of shares, counts and money: such an axis starts at 0 (rule 3 of the standard).
_AMOUNT = __import__("re").compile(r"%|\bshare\b|currency units|\(count\)", __import__("re").I)


def _boxes_overlap(a: Any, b: Any, pad: float = 0.0) -> bool:
    return a.x0 < b.x1 - pad and b.x0 < a.x1 - pad and a.y0 < b.y1 - pad and b.y0 < a.y1 - pad


def _tick_labels_overlap(ticks: list, renderer: Any, dpi: float) -> bool:
    """Whether any two tick labels overlap; rotated labels are compared as the slanted lines they are.

    A label rotated by an angle t (not 0 or 90 degrees) is a slanted strip: two of them, anchored d
    pixels apart, are d * |sin t| apart across the strips and overlap when that is less than the
    text height. Their upright bounding boxes would overlap long before the letters do.
    """
    import math

    angles = {round(t.get_rotation()) % 180 for t in ticks}
    if len(angles) == 1 and angles.pop() not in (0, 90):
        theta = math.radians(ticks[0].get_rotation())
        boxes = [t.get_window_extent(renderer) for t in ticks]
        anchors = sorted((box.x1, box.y1) for box in boxes)
        height = max(t.get_fontsize() for t in ticks) * dpi / 72
        return any(math.dist(a, b) * abs(math.sin(theta)) < 0.9 * height for a, b in zip(anchors, anchors[1:]))
    boxes = [t.get_window_extent(renderer) for t in ticks]
    return any(_boxes_overlap(a, b, pad=1.0) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def _data_points(ax: Any) -> Any:
    """Display coordinates of what an Axes plots: line vertices, scatter points, bar corners."""
    import numpy as np

    pts = []
    for line in ax.get_lines():
        xy = line.get_xydata()
        if len(xy) and line.get_visible() and not line.get_label().startswith("_child"):
            # only data lines: skip reference lines spanning the axes (axhline/axvline use axes coordinates)
            if line.get_transform() == ax.transData:
                d = ax.transData.transform(np.asarray(xy, dtype=float))
                if line.get_linestyle() not in ("None", "", " ") and len(d) > 1:  # the segments, not only the vertices
                    t = np.linspace(0, 1, 12)[:, None, None]
                    d = (d[:-1][None] * (1 - t) + d[1:][None] * t).reshape(-1, 2)
                pts.append(d)
    for coll in ax.collections:
        offsets = coll.get_offsets()
        if len(offsets) and coll.get_visible() and hasattr(coll, "get_sizes") and len(coll.get_sizes()):
            pts.append(coll.get_offset_transform().transform(np.asarray(offsets, dtype=float)))
    for patch in ax.patches:
        if patch.get_visible() and hasattr(patch, "get_bbox") and patch.get_transform() is not None:
            try:
                box = patch.get_window_extent()
            except Exception:  # pragma: no cover - patches without an extent
                continue
            if box.width > 0 and box.height > 0:
                xs, ys = np.linspace(box.x0, box.x1, 5), np.linspace(box.y0, box.y1, 5)
                pts.append(np.array([(x, y) for x in xs for y in ys]))
    pts = [p for p in pts if len(p)]
    return np.concatenate(pts) if pts else np.empty((0, 2))


def figure_problems(fig: Any) -> list[str]:
    """What breaks the workbook's readable-figure standard in ``fig``, as sentences (empty: none found).

    Checks what a program can see: a legend over plotted points, lines or bars; tick labels
    that overlap each other; text outside the figure, over a marker or spilling out of the bar
    it labels; axis, tick, legend and colour-bar text that is a raw snake_case column name; an
    offset ("1e6") on an axis; an axis of shares, counts or money (its label says "%", "share",
    "currency units" or "(count)") that does not start at 0; end markers cut by the axes' edge.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot(range(10), range(10), "o-", label="revenue")
    >>> _ = ax.set_xlim(0, 9)
    >>> _ = ax.legend(loc="center")
    >>> _ = ax.set_xlabel("share_cat_kitchen")
    >>> for problem in figure_problems(fig): print(problem)
    axes 'untitled': the legend covers plotted data
    axes 'untitled': x label 'share_cat_kitchen' is a column name, not words
    axes 'untitled': markers at the ends of the data are cut by the axes' edge (add margins)
    >>> plt.close(fig)
    """
    import numpy as np
    from matplotlib.colors import to_hex

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    fig_box = fig.bbox
    problems = []
    for ax in fig.axes:
        name = ax.get_title() or (ax.get_label() if ax.get_label() and not ax.get_label().startswith("<") else "")
        where = f"axes {name!r}" if name else "axes 'untitled'"
        if ax.get_label() == "<colorbar>":
            if _SNAKE.match(ax.get_ylabel() or "") or _SNAKE.match(ax.get_xlabel() or ""):
                problems.append(f"colour bar label {ax.get_ylabel() or ax.get_xlabel()!r} is a column name, not words")
            continue
        legend = ax.get_legend()
        if legend is not None and legend.get_visible():
            box = legend.get_window_extent(renderer)
            pts = _data_points(ax)
            inside = (pts[:, 0] > box.x0) & (pts[:, 0] < box.x1) & (pts[:, 1] > box.y0) & (pts[:, 1] < box.y1)
            if inside.any():
                problems.append(f"{where}: the legend covers plotted data")
            looks = []
            for handle in getattr(legend, "legend_handles", getattr(legend, "legendHandles", [])):
                colour = (
                    handle.get_color()
                    if hasattr(handle, "get_color") and not hasattr(handle, "get_facecolor")
                    else handle.get_facecolor()
                )
                try:
                    colour = to_hex(
                        np.asarray(colour, dtype=float).reshape(-1, 4)[0] if not isinstance(colour, str) else colour
                    )
                except (ValueError, TypeError):
                    colour = str(colour)
                style = getattr(handle, "get_linestyle", lambda: "")()
                marker = getattr(handle, "get_marker", lambda: "")()
                looks.append((colour, str(style), str(marker)))
            if len(looks) != len(set(looks)):
                problems.append(
                    f"{where}: two legend entries look the same (colour, line and marker); "
                    "use series_colours or direct labels"
                )
            for t in legend.get_texts():
                if _SNAKE.match(t.get_text()):
                    problems.append(f"{where}: legend entry {t.get_text()!r} is a column name, not words")
        for axis_name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            label = axis.get_label().get_text()
            if _SNAKE.match(label):
                problems.append(f"{where}: {axis_name} label {label!r} is a column name, not words")
            ticks = [t for t in axis.get_ticklabels() if t.get_visible() and t.get_text()]
            raw = [t.get_text() for t in ticks if _SNAKE.match(t.get_text())]
            if raw:
                problems.append(f"{where}: {axis_name} tick labels are column names, not words ({raw[0]!r} ...)")
            if _tick_labels_overlap(ticks, renderer, fig.dpi):
                problems.append(f"{where}: {axis_name} tick labels overlap each other")
            offset = axis.get_offset_text().get_text()
            if offset and axis.get_offset_text().get_visible():
                problems.append(f"{where}: the {axis_name} axis shows the offset {offset!r}; use amount_axis")
        for axis_name, label, (lo, hi), scale in (
            ("x", ax.get_xlabel(), ax.get_xlim(), ax.get_xscale()),
            ("y", ax.get_ylabel(), ax.get_ylim(), ax.get_yscale()),
        ):
            if _AMOUNT.search(label or "") and min(lo, hi) > 0 and scale == "linear":  # a log axis has no 0
                problems.append(
                    f"{where}: the {axis_name} axis of a share or an amount ({label!r}) does not start at 0"
                )
        from matplotlib.container import BarContainer

        for bars in (c for c in ax.containers if isinstance(c, BarContainer)):
            vertical = getattr(bars, "orientation", "vertical") == "vertical"
            lo, hi = ax.get_ylim() if vertical else ax.get_xlim()
            scale = ax.get_yscale() if vertical else ax.get_xscale()
            if scale == "linear" and min(lo, hi) > 0:
                problems.append(f"{where}: bars on an axis that does not start at 0 (their lengths mislead)")
                break
        view = ax.get_window_extent(renderer)
        for line in ax.get_lines():
            if line.get_marker() in (None, "None", "", " ") or not line.get_visible() or not line.get_clip_on():
                continue
            xy = line.get_xydata()
            if not len(xy) or line.get_transform() != ax.transData:
                continue
            r = line.get_markersize() / 2 * fig.dpi / 72
            d = ax.transData.transform(np.asarray(xy, dtype=float)[[0, -1]])
            if (
                (d[:, 0] - r < view.x0 - 0.5)
                | (d[:, 0] + r > view.x1 + 0.5)
                | (d[:, 1] - r < view.y0 - 0.5)
                | (d[:, 1] + r > view.y1 + 0.5)
            ).any():
                problems.append(f"{where}: markers at the ends of the data are cut by the axes' edge (add margins)")
                break
        markers = [
            coll.get_offset_transform().transform(np.asarray(coll.get_offsets(), dtype=float))
            for coll in ax.collections
            if len(coll.get_offsets()) and hasattr(coll, "get_sizes") and len(coll.get_sizes()) and coll.get_visible()
        ]
        markers = np.concatenate(markers) if markers else np.empty((0, 2))
        bars = [
            p.get_window_extent(renderer)
            for p in ax.patches
            if p.get_visible() and type(p).__name__ == "Rectangle" and p.get_width() != 0
        ]
        for text in ax.texts:
            if text.get_visible() and text.get_text().strip():
                box = text.get_window_extent(renderer)
                if (
                    len(markers)
                    and (
                        (markers[:, 0] > box.x0 + 1)
                        & (markers[:, 0] < box.x1 - 1)
                        & (markers[:, 1] > box.y0 + 1)
                        & (markers[:, 1] < box.y1 - 1)
                    ).any()
                ):
                    problems.append(f"{where}: text {text.get_text()[:30]!r} is written over a marker")
                cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
                home = [b for b in bars if b.x0 <= cx <= b.x1 and b.y0 <= cy <= b.y1]
                if home and text.get_ha() == "center" and (box.x0 < home[0].x0 - 1 or box.x1 > home[0].x1 + 1):
                    problems.append(f"{where}: text {text.get_text()[:30]!r} spills out of the bar it labels")
                if (
                    box.x0 < fig_box.x0 - 1
                    or box.x1 > fig_box.x1 + 1
                    or box.y0 < fig_box.y0 - 1
                    or box.y1 > fig_box.y1 + 1
                ):
                    problems.append(f"{where}: text {text.get_text()[:30]!r} runs outside the figure")
    return problems
