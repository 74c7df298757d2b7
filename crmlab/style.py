"""The workbook's plot style (图表样式) and its standard for readable figures.

One call, :func:`use`, gives every chapter the same look: seaborn's clean
"whitegrid" theme, text sizes readable in a notebook and on a projector, one
colour palette (colour-blind safe, after Okabe & Ito 2008), figures at 100 dpi
so stored notebooks stay small, and ``savefig`` defaults for reports.

Figure text is English only: matplotlib's bundled DejaVu Sans has no Chinese
or Korean glyphs, so Chinese terms belong in the Markdown around a figure.
The style is deterministic - the same rcParams every time, whatever was set
before - so stored figures do not change between runs.

The readable-figure standard
----------------------------
Every figure of the workbook (the functions of :mod:`crmlab.plots` and the
figures drawn in chapter cells) follows these rules; the helpers of
``crmlab.plots._common`` implement them and :func:`crmlab.plots._common.figure_problems`
finds the breaches a program can see (``tests/test_figures.py`` runs it):

1. **Words, not column names.** Axis labels, tick labels, legend entries and
   colour-bar labels are words a reader understands, with the unit
   ("share of spend in kitchen goods (%)", not ``share_cat_kitchen``).
2. **Series can be told apart.** Up to 8 series take the Okabe & Ito colours
   of :data:`PALETTE`; 9 to 12 series take :func:`crmlab.plots._common.series_colours`
   (distinguishable, ordered series in an ordered colour map) *and* a direct
   label at the end of each line; more than 12 series are grouped or split
   into panels.
3. **Zero-based axes for shares and amounts.** A bar or an axis of a share,
   a count or an amount of money starts at 0, so lengths compare truly; a
   narrow range is shown by value labels, not by cutting the axis.
4. **Legends off the data.** A legend sits where it covers no point, line or
   bar - outside the axes when the data fill them
   (:func:`crmlab.plots._common.legend_outside`) - or is replaced by direct labels.
5. **No bare offset notation.** An axis never shows "1e6" alone: amounts get
   thousands separators (:func:`crmlab.plots._common.amount_axis`), and a bar
   whose value matters carries a value label.
6. **Nothing clipped.** Markers at the ends of a series stay whole (the axes
   get margins), text stays inside the figure and inside the bar it labels,
   and tick labels never overlap each other (fewer ticks, rotation or wrapping).
7. **Signed values on a diverging scale.** Profit, change or a z-score, which
   can be negative, use a diverging colour map centred on 0 (red for losses,
   blue for gains), never a sequential one.
"""

from __future__ import annotations

__all__ = ["PALETTE", "rc", "use"]

#: The workbook's colours (Okabe & Ito 2008, colour-blind safe), in the order plots use them.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)


def rc(*, dpi: int = 100) -> dict:
    """The rcParams the workbook sets on top of seaborn's theme.

    Parameters
    ----------
    dpi : figure resolution in dots per inch for display and for ``savefig``.

    Examples
    --------
    >>> rc()["figure.dpi"], rc(dpi=150)["savefig.dpi"]
    (100, 150)
    """
    from crmlab._validate import check_range

    dpi = int(check_range("dpi", dpi, lo=30, hi=600, hint="Use 100 for notebooks, 200-300 for print."))
    return {
        "figure.figsize": (7.0, 4.2),
        "figure.dpi": dpi,
        "savefig.dpi": dpi,
        "savefig.bbox": "tight",
        "savefig.format": "png",
        "savefig.facecolor": "white",
        "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans"],
        "font.size": 11.0,
        "axes.titlesize": 13.0,
        "axes.titleweight": "bold",
        "axes.labelsize": 11.0,
        "xtick.labelsize": 10.0,
        "ytick.labelsize": 10.0,
        "legend.fontsize": 10.0,
        "legend.frameon": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "lines.linewidth": 2.0,
        "image.cmap": "viridis",
        "svg.hashsalt": "crmlab",  # stable ids in SVG output
        "path.simplify": True,
    }


def use(*, dpi: int = 100) -> dict:
    """Apply the workbook's plot style; call it once at the top of a notebook.

    Resets matplotlib to its defaults first, then applies seaborn's
    ``whitegrid`` theme, the workbook palette and :func:`rc`, so the result
    does not depend on what was set before and calling it twice changes nothing.

    Parameters
    ----------
    dpi : figure resolution (default 100, right for stored notebooks).

    Returns
    -------
    dict : the rcParams that were set (for the record; safe to ignore).

    Examples
    --------
    >>> import matplotlib
    >>> _ = use()
    >>> matplotlib.rcParams["figure.dpi"], matplotlib.rcParams["axes.spines.top"]
    (100.0, False)
    """
    import matplotlib as mpl
    import seaborn as sns
    from cycler import cycler

    settings = rc(dpi=dpi)
    mpl.rcdefaults()
    sns.set_theme(context="notebook", style="whitegrid", palette=list(PALETTE))
    settings["axes.prop_cycle"] = cycler(color=list(PALETTE))
    mpl.rcParams.update(settings)
    return settings
