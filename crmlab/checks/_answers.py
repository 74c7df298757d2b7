"""Answers as data (答案数据): what a student's kernel hands to the grader, and back.

When ``crmlab grade`` runs a submission, the student's kernel does not score anything: each
check cell only hands its answer out, as JSON data, and the grader runs the registered checks
itself, in its own process, on the answer rebuilt from that data. The data form holds only
numbers, text, lists, tables (columns with their dtypes) and figures described as data; it is
never a pickle, so reading it runs no code of the student's.

:func:`encode` turns an answer into that form, :func:`decode` rebuilds it (a table as a
DataFrame, a figure as a matplotlib Axes drawn from its description), :func:`describe_figure`
is the description of a figure that both the grader and the figure checks use.

The idea of keeping the grader's verdict out of the student's reach follows nbgrader's
autograding, which restores the test cells from the source before running a submission
(Jupyter Development Team, https://nbgrader.readthedocs.io).
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["encode", "decode", "describe_figure", "figure_from_description", "OpaqueAnswer"]

#: Items kept of a list, a dict or a table's rows; answers are small, a larger one is cut.
MAX_ITEMS = 200_000
#: Points kept per drawn line, scatter or bar container of a figure.
MAX_POINTS = 20_000


class OpaqueAnswer:
    """An answer of a kind the data form does not carry (a function, a model object ...).

    The grader sees its type's name and a short ``repr``; any comparator then says
    "your answer is a <type>" as it would in the student's notebook.
    """

    def __init__(self, type_name: str, text: str):
        self.type_name = type_name
        self.text = text

    def __repr__(self) -> str:
        return self.text


# --------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------
def _floats(values) -> list:
    out = []
    for v in list(values)[:MAX_POINTS]:
        try:
            f = float(v)
        except (TypeError, ValueError):
            out.append(None)
            continue
        out.append(f if math.isfinite(f) else None)
    return out


def _describe_axes(ax) -> dict:
    from matplotlib.container import BarContainer
    from matplotlib.patches import Rectangle

    bars, in_containers = [], set()
    for group, container in enumerate(c for c in ax.containers if isinstance(c, BarContainer)):
        orientation = getattr(container, "orientation", None) or "vertical"
        for p in container.patches[:MAX_POINTS]:
            in_containers.add(id(p))
            bars.append(
                {
                    "x": float(p.get_x()),
                    "y": float(p.get_y()),
                    "width": float(p.get_width()),
                    "height": float(p.get_height()),
                    "orientation": orientation,
                    "group": group,
                }
            )
    bars += [
        {
            "x": float(p.get_x()),
            "y": float(p.get_y()),
            "width": float(p.get_width()),
            "height": float(p.get_height()),
            "orientation": None,
            "group": None,
        }
        for p in ax.patches[:MAX_POINTS]
        if isinstance(p, Rectangle) and id(p) not in in_containers
    ]
    xlabels = [t.get_text() for t in ax.get_xticklabels()]
    ylabels = [t.get_text() for t in ax.get_yticklabels()]
    if not any(xlabels + ylabels) and ax.figure is not None and hasattr(ax.figure.canvas, "draw"):
        with _quiet():
            ax.figure.canvas.draw()  # category labels are only set when the figure is drawn
        xlabels = [t.get_text() for t in ax.get_xticklabels()]
        ylabels = [t.get_text() for t in ax.get_yticklabels()]
    lines = []
    for line in ax.lines:
        x, y = line.get_data()
        lines.append(
            {
                "x": _floats(x) if _numeric(x) else [str(v) for v in list(x)[:MAX_POINTS]],
                "y": _floats(y),
                "label": str(line.get_label()),
            }
        )
    collections = []
    for coll in ax.collections:
        try:
            offsets = coll.get_offsets()
            pts = [[a, b] for a, b in zip(_floats(offsets[:, 0]), _floats(offsets[:, 1]))]
        except Exception:  # noqa: BLE001 - a collection without points (e.g. a filled area)
            pts = []
        collections.append({"type": type(coll).__name__, "offsets": pts, "label": str(coll.get_label())})
    legend = ax.get_legend()
    return {
        "title": ax.get_title(),
        "xlabel": ax.get_xlabel(),
        "ylabel": ax.get_ylabel(),
        "xticklabels": xlabels,
        "yticklabels": ylabels,
        "xticks": _floats(ax.get_xticks()),
        "yticks": _floats(ax.get_yticks()),
        "xlim": _floats(ax.get_xlim()),
        "ylim": _floats(ax.get_ylim()),
        "bars": bars,
        "lines": lines,
        "collections": collections,
        "images": [{"shape": list(getattr(im.get_array(), "shape", ()))} for im in ax.images],
        "texts": [t.get_text() for t in ax.texts],
        "legend": [t.get_text() for t in legend.get_texts()] if legend is not None else [],
    }


def _quiet():
    import contextlib
    import warnings

    stack = contextlib.ExitStack()
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore")
    return stack


def _numeric(values) -> bool:
    import numpy as np

    try:
        return np.asarray(values).dtype.kind in "biuf"
    except Exception:  # noqa: BLE001
        return False


def describe_figure(ax_or_fig: Any) -> dict:
    """A matplotlib figure or Axes described as data (JSON-able, no pickle).

    Keys of an Axes' description: ``title``, ``xlabel``, ``ylabel`` (text);
    ``xticklabels``, ``yticklabels`` (text of each tick label), ``xticks``, ``yticks``,
    ``xlim``, ``ylim`` (numbers); ``bars`` (one ``{"x", "y", "width", "height",
    "orientation", "group"}`` per rectangle drawn: bars of a bar chart first, ``group``
    numbering their bar container and ``orientation`` ``"vertical"`` or ``"horizontal"``
    (a horizontal bar has its length in ``width``), then other rectangles with both ``None``);
    ``lines`` (``{"x", "y", "label"}`` per line; ``x`` holds text for categorical data);
    ``collections`` (``{"type", "offsets", "label"}`` per scatter or filled area,
    ``offsets`` as ``[x, y]`` pairs); ``images`` (``{"shape"}`` per heatmap/image);
    ``texts`` (annotation texts) and ``legend`` (legend entries). Missing numbers are
    ``None``.

    The description of an Axes has ``"kind": "axes"``; of a Figure ``"kind": "figure"``,
    ``"suptitle"`` and ``"axes"`` (the description of each of its Axes). A description
    given again is returned as it is.

    Parameters
    ----------
    ax_or_fig : a matplotlib ``Axes`` or ``Figure``, or a description made before.

    Returns
    -------
    dict

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.bar(["store", "web"], [5, 3]); _ = ax.set_title("Orders")
    >>> d = describe_figure(ax)
    >>> d["kind"], d["title"], [b["height"] for b in d["bars"]], d["xticklabels"]
    ('axes', 'Orders', [5.0, 3.0], ['store', 'web'])
    >>> plt.close(fig)
    """
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    if isinstance(ax_or_fig, dict) and ax_or_fig.get("kind") in ("axes", "figure"):
        return ax_or_fig
    if isinstance(ax_or_fig, Axes):
        return {"kind": "axes", **_describe_axes(ax_or_fig)}
    if isinstance(ax_or_fig, Figure):
        sup = ax_or_fig._suptitle.get_text() if getattr(ax_or_fig, "_suptitle", None) is not None else ""
        return {"kind": "figure", "suptitle": sup, "axes": [_describe_axes(a) for a in ax_or_fig.axes]}
    raise TypeError(f"describe_figure needs a matplotlib Axes or Figure, got {type(ax_or_fig).__name__}")


def _draw(ax, d: dict) -> None:
    from matplotlib.patches import Rectangle

    groups: dict = {}
    for b in d.get("bars", []):
        vals = [b.get(k) for k in ("x", "y", "width", "height")] if isinstance(b, dict) else []
        if len(vals) != 4 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
            continue
        x, y, w, h = map(float, vals)
        if b.get("orientation") in ("vertical", "horizontal") and isinstance(b.get("group"), int):
            groups.setdefault((b["group"], b["orientation"]), []).append((x, y, w, h))
        else:
            ax.add_patch(Rectangle((x, y), w, h))
    for (_, orientation), rects in sorted(groups.items()):
        xs, ys, ws, hs = (list(v) for v in zip(*rects))
        if orientation == "vertical":
            ax.bar([x + w / 2 for x, w in zip(xs, ws)], hs, width=ws, bottom=ys, align="center")
        else:
            ax.barh([y + h / 2 for y, h in zip(ys, hs)], ws, height=hs, left=xs, align="center")
    for line in d.get("lines", []):
        x = [math.nan if v is None else v for v in line.get("x", [])]
        y = [math.nan if v is None else v for v in line.get("y", [])]
        if len(x) == len(y):
            ax.plot(x, y, label=str(line.get("label", "")))
    for coll in d.get("collections", []):
        pts = [p for p in coll.get("offsets", []) if isinstance(p, list) and len(p) == 2]
        xs = [math.nan if p[0] is None else p[0] for p in pts]
        ys = [math.nan if p[1] is None else p[1] for p in pts]
        ax.scatter(xs, ys, label=str(coll.get("label", "")))
    for im in d.get("images", []):
        shape = [int(s) for s in im.get("shape", [])][:2]
        if len(shape) == 2 and 0 < shape[0] * shape[1] <= MAX_POINTS:
            import numpy as np

            ax.imshow(np.zeros(shape))
    for text in d.get("texts", []):
        ax.text(0, 0, str(text))
    ax.set_title(str(d.get("title", "")))
    ax.set_xlabel(str(d.get("xlabel", "")))
    ax.set_ylabel(str(d.get("ylabel", "")))
    for axis in ("x", "y"):
        ticks, labels = d.get(f"{axis}ticks") or [], d.get(f"{axis}ticklabels") or []
        if ticks and len(ticks) == len(labels) and all(isinstance(t, (int, float)) for t in ticks):
            getattr(ax, f"set_{axis}ticks")(ticks, [str(t) for t in labels])
        lim = d.get(f"{axis}lim") or []
        if len(lim) == 2 and all(isinstance(v, (int, float)) for v in lim) and lim[0] != lim[1]:
            getattr(ax, f"set_{axis}lim")(*lim)
    if d.get("legend"):
        ax.legend(list(map(str, d["legend"])))


def figure_from_description(d: dict):
    """Draw a description of :func:`describe_figure` again: an Axes (or a Figure) to check.

    The figure is drawn on matplotlib's Agg canvas without pyplot, so nothing is shown and
    nothing stays open. Bars become rectangles (``ax.patches``), lines lines, scatters
    collections; titles, labels, tick labels, limits and legend entries are set as described.

    Examples
    --------
    >>> ax = figure_from_description({"kind": "axes", "title": "Orders", "xlabel": "channel",
    ...     "ylabel": "orders", "bars": [{"x": -0.4, "y": 0, "width": 0.8, "height": 5}]})
    >>> ax.get_title(), len(ax.patches), ax.patches[0].get_height()
    ('Orders', 1, 5.0)
    """
    from matplotlib.figure import Figure

    fig = Figure()
    if d.get("kind") == "figure":
        for sub in d.get("axes", [])[:20]:
            _draw(fig.add_subplot(), sub if isinstance(sub, dict) else {})
        if d.get("suptitle"):
            fig.suptitle(str(d["suptitle"]))
        return fig
    ax = fig.add_subplot()
    _draw(ax, d)
    return ax


# --------------------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------------------
def _scalar(v: Any) -> Any:
    """A JSON-able scalar with its kind, or None when ``v`` is not a scalar."""
    import datetime as dt

    import numpy as np
    import pandas as pd

    if v is None or v is pd.NA or v is pd.NaT:
        return {"kind": "none"} if v is None else {"kind": "missing"}
    if isinstance(v, (bool, np.bool_)):
        return {"kind": "bool", "value": bool(v)}
    if isinstance(v, (int, np.integer)):
        return {"kind": "int", "value": int(v)} if abs(int(v)) < 2**63 else {"kind": "float", "value": float(v)}
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return {"kind": "float", "value": f if math.isfinite(f) else repr(f)}
    if isinstance(v, str):
        return {"kind": "text", "value": str(v)}
    if isinstance(v, (pd.Timestamp, dt.datetime, dt.date, np.datetime64)):
        return {"kind": "timestamp", "value": pd.Timestamp(v).isoformat()}
    if isinstance(v, (pd.Timedelta, dt.timedelta, np.timedelta64)):
        return {"kind": "timedelta", "value": int(pd.Timedelta(v).value)}
    return None


def _column(values) -> dict:
    """One column (or index level) with its dtype and JSON-able values (None for missing)."""
    import numpy as np
    import pandas as pd

    s = pd.Series(values).iloc[:MAX_ITEMS]
    dtype = s.dtype
    out: dict = {"dtype": str(dtype)}
    missing = s.isna().to_numpy()
    if isinstance(dtype, pd.CategoricalDtype):
        out["categories"] = [str(c) for c in dtype.categories]
        out["ordered"] = bool(dtype.ordered)
        vals = [None if m else str(v) for v, m in zip(s.astype(object), missing)]
    elif pd.api.types.is_bool_dtype(dtype):
        vals = [None if m else bool(v) for v, m in zip(s.astype(object), missing)]
    elif pd.api.types.is_integer_dtype(dtype):
        vals = [None if m else int(v) for v, m in zip(s.astype(object), missing)]
    elif pd.api.types.is_float_dtype(dtype):
        arr = s.to_numpy(dtype="float64", na_value=np.nan)
        vals = [float(v) if math.isfinite(v) else (None if math.isnan(v) else repr(float(v))) for v in arr]
    elif pd.api.types.is_datetime64_any_dtype(dtype):
        unit = getattr(dtype, "unit", "ns")
        out["dtype"] = f"datetime64[{unit}]"
        vals = [None if m else pd.Timestamp(v).tz_localize(None).isoformat() for v, m in zip(s, missing)]
    elif pd.api.types.is_timedelta64_dtype(dtype):
        vals = [None if m else int(pd.Timedelta(v).value) for v, m in zip(s, missing)]
    else:
        out["dtype"] = str(dtype) if str(dtype) in ("str", "string") else "object"
        vals = []
        for v, m in zip(s.astype(object), missing):
            if m:
                vals.append(None)
                continue
            enc = _scalar(v)
            vals.append(enc if enc is not None else {"kind": "text", "value": str(v)[:200]})
    out["values"] = vals
    return out


def _index(idx) -> dict:
    import pandas as pd

    if isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1 and idx.name is None:
        return {"range": len(idx)}
    if isinstance(idx, pd.MultiIndex):
        levels = [_column(idx.get_level_values(i)) for i in range(idx.nlevels)]
    else:
        levels = [_column(idx)]
    return {"names": [None if n is None else str(n) for n in idx.names], "levels": levels}


def encode(answer: Any, _depth: int = 0) -> dict:
    """An answer as JSON-able data: ``{"kind": ..., ...}``; never raises.

    Kinds: ``none``, ``bool``, ``int``, ``float`` (``"nan"``/``"inf"`` as text),
    ``text``, ``timestamp``, ``timedelta`` (nanoseconds), ``list``, ``tuple``, ``dict``,
    ``array`` (numpy), ``series`` and ``frame`` (columns with their dtype and the index),
    ``axes``/``figure`` (:func:`describe_figure`), ``record`` (a dataclass such as a fitted
    model: its module, type and fields), and ``opaque`` for anything else (its type's name and
    a short text).

    Examples
    --------
    >>> encode(3)
    {'kind': 'int', 'value': 3}
    >>> import pandas as pd
    >>> e = encode(pd.Series({"web": 3.0}, name="orders"))
    >>> e["kind"], e["name"], e["values"]["values"], e["index"]["levels"][0]["values"]
    ('series', 'orders', [3.0], [{'kind': 'text', 'value': 'web'}])
    """
    import numpy as np
    import pandas as pd

    try:
        scalar = _scalar(answer)
        if scalar is not None:
            return scalar
        if _depth > 20:
            return {"kind": "opaque", "type": type(answer).__name__, "text": "(nested too deeply)"}
        if isinstance(answer, pd.DataFrame):
            frame = answer.iloc[:MAX_ITEMS]
            return {
                "kind": "frame",
                "index": _index(frame.index),
                "columns": [
                    {"name": _scalar(c) or {"kind": "text", "value": str(c)}, **_column(frame[c])}
                    for c in _unique_columns(frame)
                ],
            }
        if isinstance(answer, pd.Series):
            return {
                "kind": "series",
                "name": None if answer.name is None else str(answer.name),
                "index": _index(answer.index[:MAX_ITEMS]),
                "values": _column(answer),
            }
        if isinstance(answer, pd.Index):
            return {"kind": "list", "items": [encode(v, _depth + 1) for v in list(answer)[:MAX_ITEMS]]}
        if isinstance(answer, np.ndarray):
            flat = answer.ravel()[:MAX_ITEMS]
            return {"kind": "array", "shape": list(answer.shape), "values": _column(flat)}
        if isinstance(answer, (list, tuple, set, frozenset)):
            items = list(answer)[:MAX_ITEMS]
            kind = "tuple" if isinstance(answer, tuple) else "list"
            return {"kind": kind, "items": [encode(v, _depth + 1) for v in items]}
        if isinstance(answer, dict):
            items = list(answer.items())[:MAX_ITEMS]
            return {"kind": "dict", "items": [[encode(k, _depth + 1), encode(v, _depth + 1)] for k, v in items]}
        try:
            from matplotlib.axes import Axes
            from matplotlib.figure import Figure
        except ImportError:  # pragma: no cover
            Axes = Figure = ()
        if isinstance(answer, (Axes, Figure)):
            return describe_figure(answer)
        import dataclasses

        if dataclasses.is_dataclass(answer) and not isinstance(answer, type):
            cls = type(answer)
            return {
                "kind": "record",
                "module": cls.__module__,
                "type": cls.__qualname__,
                "fields": {f.name: encode(getattr(answer, f.name), _depth + 1) for f in dataclasses.fields(answer)},
            }
    except Exception as exc:  # noqa: BLE001 - a hostile object must not stop the hand-out
        return {"kind": "opaque", "type": type(answer).__name__, "text": f"(could not be read: {type(exc).__name__})"}
    try:
        text = repr(answer)[:200]
    except Exception:  # noqa: BLE001
        text = f"<{type(answer).__name__}>"
    return {"kind": "opaque", "type": type(answer).__name__, "text": text}


def _unique_columns(frame) -> list:
    seen, cols = set(), []
    for c in frame.columns:
        if str(c) not in seen:
            seen.add(str(c))
            cols.append(c)
    return cols


# --------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------
class AnswerDataError(ValueError):
    """The answer data is not in the form :func:`encode` writes."""


def _float(v: Any) -> float:
    if isinstance(v, str) and v in ("nan", "inf", "-inf"):
        return float(v)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise AnswerDataError(f"not a number: {v!r:.40}")
    return float(v)


def _decode_scalar(d: dict) -> Any:
    import pandas as pd

    kind = d.get("kind")
    v = d.get("value")
    if kind == "none":
        return None
    if kind == "missing":
        return pd.NA
    if kind == "bool" and isinstance(v, bool):
        return v
    if kind == "int" and isinstance(v, int) and not isinstance(v, bool):
        return v
    if kind == "float":
        return _float(v)
    if kind == "text" and isinstance(v, str):
        return v
    if kind == "timestamp" and isinstance(v, str):
        return pd.Timestamp(v)
    if kind == "timedelta" and isinstance(v, int):
        return pd.Timedelta(v, unit="ns")
    raise AnswerDataError(f"bad scalar {kind!r}")


def _decode_column(d: dict):
    import numpy as np
    import pandas as pd

    if not isinstance(d, dict) or not isinstance(d.get("values"), list):
        raise AnswerDataError("a column without values")
    dtype, vals = str(d.get("dtype", "object")), d["values"][:MAX_ITEMS]
    if "categories" in d:
        cats = [str(c) for c in d["categories"]]
        return pd.Categorical(
            [None if v is None else str(v) for v in vals], categories=cats, ordered=bool(d.get("ordered"))
        )
    if dtype in ("bool", "boolean"):
        if any(v is None for v in vals):
            return pd.array([None if v is None else bool(v) for v in vals], dtype="boolean")
        return np.array([bool(v) for v in vals], dtype=bool)
    if dtype.lower().startswith(("int", "uint")):
        if any(v is None for v in vals):
            return pd.array([None if v is None else int(v) for v in vals], dtype="Int64")
        return np.array([int(v) for v in vals], dtype="int64")
    if dtype.lower().startswith("float"):
        return np.array([np.nan if v is None else _float(v) for v in vals], dtype="float64")
    if dtype.startswith("datetime64"):
        unit = dtype[len("datetime64[") : -1] if dtype.endswith("]") else "ns"
        stamps = pd.to_datetime(pd.Series([v if isinstance(v, str) else None for v in vals], dtype=object))
        return stamps.astype(f"datetime64[{unit if unit in ('s', 'ms', 'us', 'ns') else 'ns'}]").to_numpy()
    if dtype.startswith("timedelta64"):
        return pd.to_timedelta([None if v is None else int(v) for v in vals], unit="ns")
    items = [None if v is None else (_decode_scalar(v) if isinstance(v, dict) else str(v)) for v in vals]
    if dtype in ("str", "string"):
        return pd.array([None if v is None else str(v) for v in items], dtype=dtype)
    arr = np.empty(len(items), dtype=object)
    arr[:] = items
    return arr


def _decode_index(d: dict, n: int | None = None):
    import pandas as pd

    if "range" in d:
        return pd.RangeIndex(int(d["range"]))
    levels = [_decode_column(lv) for lv in d.get("levels", [])]
    names = list(d.get("names") or [None] * len(levels))
    if len(levels) == 1:
        return pd.Index(levels[0], name=names[0])
    if not levels:
        raise AnswerDataError("an index without levels")
    return pd.MultiIndex.from_arrays(levels, names=names)


def _decode_record(data: dict, depth: int) -> Any:
    """A dataclass of crmlab's own (a fitted model, a result) built again from its fields; any
    other record comes back as a dict of its fields. Only crmlab's classes are ever imported."""
    import dataclasses
    import importlib

    fields = data.get("fields")
    if not isinstance(fields, dict):
        raise AnswerDataError("a record without fields")
    values = {str(k): decode(v, depth + 1) for k, v in fields.items()}
    module, name = str(data.get("module", "")), str(data.get("type", ""))
    if (module == "crmlab" or module.startswith("crmlab.")) and name.isidentifier():
        try:
            cls = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            cls = None
        if cls is not None and dataclasses.is_dataclass(cls):
            init = {f.name for f in dataclasses.fields(cls) if f.init}
            try:
                return cls(**{k: v for k, v in values.items() if k in init})
            except Exception:  # noqa: BLE001 - fields that do not fit: the checks see them as a dict
                pass
    return values


def decode(data: Any, _depth: int = 0) -> Any:
    """Rebuild an answer from its data form (see :func:`encode`).

    Tables come back as DataFrames with their dtypes, figures as a matplotlib Axes (or
    Figure) drawn from the description (:func:`figure_from_description`), a record of one
    of crmlab's dataclasses as that dataclass (any other record as a dict of its fields),
    anything the form does not carry as an :class:`OpaqueAnswer` named after its type.

    Raises
    ------
    AnswerDataError
        when ``data`` is not in the form :func:`encode` writes.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"channel": ["web", "store"], "orders": [3, 5]}).set_index("channel")
    >>> back = decode(encode(t))
    >>> back.equals(t), back.index.name, str(back["orders"].dtype)
    (True, 'channel', 'int64')
    >>> decode(encode(float("nan")))
    nan
    """
    import pandas as pd

    if not isinstance(data, dict):
        raise AnswerDataError(f"an answer must be an object with a kind, got {type(data).__name__}")
    if _depth > 20:
        raise AnswerDataError("nested too deeply")
    kind = data.get("kind")
    if kind in ("none", "missing", "bool", "int", "float", "text", "timestamp", "timedelta"):
        return _decode_scalar(data)
    if kind in ("list", "tuple"):
        items = [decode(v, _depth + 1) for v in list(data.get("items", []))[:MAX_ITEMS]]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        out = {}
        for pair in list(data.get("items", []))[:MAX_ITEMS]:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise AnswerDataError("a dict item is not a [key, value] pair")
            key = decode(pair[0], _depth + 1)
            try:
                hash(key)
            except TypeError:
                key = str(key)
            out[key] = decode(pair[1], _depth + 1)
        return out
    if kind == "array":
        import numpy as np

        values = _decode_column(data.get("values", {}))
        shape = [int(s) for s in data.get("shape", [])]
        arr = np.asarray(values)
        return arr.reshape(shape) if math.prod(shape) == arr.size else arr
    if kind == "series":
        values = _decode_column(data.get("values", {}))
        index = _decode_index(data.get("index", {"range": len(values)}))
        if len(index) != len(values):
            raise AnswerDataError("a series whose index and values differ in length")
        return pd.Series(values, index=index, name=data.get("name"))
    if kind == "frame":
        index = _decode_index(data.get("index", {"range": 0}))
        columns = {}
        names = []
        for col in data.get("columns", []):
            name = col.get("name")
            name = _decode_scalar(name) if isinstance(name, dict) else str(name)
            values = _decode_column(col)
            if len(values) != len(index):
                raise AnswerDataError(f"column {name!r} has {len(values)} values for {len(index)} rows")
            columns[name] = values
            names.append(name)
        return pd.DataFrame(columns, index=index, columns=names)
    if kind in ("axes", "figure"):
        return figure_from_description(data)
    if kind == "record":
        return _decode_record(data, _depth)
    if kind == "opaque":
        type_name = str(data.get("type", "object"))[:60] or "object"
        cls = type(type_name if type_name.isidentifier() else "object", (OpaqueAnswer,), {})
        return cls(type_name, str(data.get("text", ""))[:200])
    raise AnswerDataError(f"unknown answer kind {kind!r}")
