"""crmlab: a Jupyter workbook for Customer Relationship Management (客户关系管理).

Importing crmlab is light: submodules (and pandas, scipy, matplotlib behind
them) load on first use, e.g. ``crmlab.rfm.rfm_table(...)`` or
``from crmlab import datasets``.

``pip install crmlab`` gives the core: the datasets, the analytics and the plots.
The widgets and the teaching tools (release, grade, case-study runner) are extras
(``pip install "crmlab[widgets]"``, ``"crmlab[teach]"``); using one without its
packages says which extra to install (:mod:`crmlab._extras`). The version is
``crmlab.__version__``; CHANGELOG.md says what each version changed.
"""

from __future__ import annotations

import importlib
import os

__version__ = "0.2.0"

#: Every public submodule (no leading underscore), found in the package folder, so a new
#: module is reachable as ``crmlab.<name>`` without being listed anywhere.
_SUBMODULES = {
    entry.name.removesuffix(".py")
    for entry in os.scandir(os.path.dirname(__file__))
    if not entry.name.startswith(("_", "conftest"))
    and (entry.name.endswith(".py") or os.path.isfile(os.path.join(entry.path, "__init__.py")))
}

__all__ = sorted(_SUBMODULES) + ["__version__"]


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = importlib.import_module(f"crmlab.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'crmlab' has no attribute {name!r}")


def __dir__():
    return __all__
