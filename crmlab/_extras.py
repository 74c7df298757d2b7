"""Optional parts of crmlab and the packages they need (the extras of ``pip install crmlab[...]``).

The core of crmlab -- the datasets, the analytics and the plots -- needs only the
scientific stack (pandas, numpy, scipy, scikit-learn, matplotlib, seaborn, pyyaml).
The rest is optional, and each optional part is an *extra* of the package:

* ``widgets`` -- the sliders of the Explore sections (ipywidgets, in a live kernel);
* ``teach`` -- ``crmlab release``, ``crmlab grade`` and ``crmlab casestudy run``
  (nbformat, nbclient, nbconvert, papermill, tqdm);
* ``lab`` -- the workbook's own JupyterLab; ``test`` -- the test suite.

A module that needs an extra calls :func:`require` when it is imported or used, so
a missing package is reported as the extra to install, never as a bare
``No module named ...``. ``pyproject.toml`` lists the same extras (a test keeps the
two in step).
"""

from __future__ import annotations

import importlib.util

__all__ = ["EXTRAS", "MissingExtraError", "require", "extra_of"]

#: The import names each extra provides (its distributions are in pyproject.toml).
EXTRAS: dict[str, tuple[str, ...]] = {
    "widgets": ("ipywidgets",),
    "teach": (
        "ipykernel",
        "nbformat",
        "nbclient",
        "nbconvert",
        "papermill",
        "tqdm",
        "openpyxl",
        "pyarrow",
        "sqlalchemy",
    ),
}


class MissingExtraError(ModuleNotFoundError):
    """A part of crmlab was used whose optional packages are not installed."""

    def __init__(self, feature: str, extra: str, missing: list[str]):
        self.feature, self.extra, self.missing = feature, extra, missing
        super().__init__(
            f"{feature} needs the optional package(s) {', '.join(missing)}, which are not installed. "
            f'Install them with: pip install "crmlab[{extra}]"',
            name=missing[0],
        )


def require(extra: str, feature: str) -> None:
    """Check that the packages of an extra are installed, or say which extra to install.

    Parameters
    ----------
    extra : the name of the extra, one of ``EXTRAS``.
    feature : what needs it, as the reader knows it (``"crmlab grade"``, ``"crmlab.widgets"``).

    Returns
    -------
    None when every package of the extra can be imported.

    Raises
    ------
    MissingExtraError
        Naming the missing packages and the ``pip install "crmlab[extra]"`` command.

    Examples
    --------
    >>> require("nope", "a feature")
    Traceback (most recent call last):
    ...
    ValueError: unknown extra 'nope'; the extras are: widgets, teach
    """
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}; the extras are: {', '.join(EXTRAS)}")
    missing = [name for name in EXTRAS[extra] if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingExtraError(feature, extra, missing)


def extra_of(module: str | None) -> str | None:
    """The extra that provides an importable module (``"nbformat.v4"`` -> ``"teach"``), or None.

    Parameters
    ----------
    module : a dotted module name, e.g. the ``name`` of a ``ModuleNotFoundError``.

    Returns
    -------
    The name of the first extra that provides the module's top-level package, or None.

    Examples
    --------
    >>> extra_of("nbclient.exceptions"), extra_of("ipywidgets"), extra_of("pandas")
    ('teach', 'widgets', None)
    """
    top = (module or "").split(".")[0]
    return next((extra for extra, names in EXTRAS.items() if top in names), None)
