"""The check registry (检查登记): which checks an exercise has and what each is worth.

Checks of exercise ``NN_topic`` live in ``crmlab/checks/chNN_topic.py`` and register
themselves with :func:`register`; :func:`checks_for` imports that module on first use. The
points of a registered :class:`CheckSpec` are the only points the grader counts.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pragma: no cover
    from crmlab.checks._runner import CheckContext

_PACKAGE = "crmlab.checks"
_PACKAGE_DIR = str(Path(__file__).resolve().parent)


@dataclass(frozen=True)
class CheckSpec:
    exercise: str
    name: str
    points: float
    func: Callable[[Any, "CheckContext"], Any]
    allow_none: bool = False


_REGISTRY: dict[str, dict[str, CheckSpec]] = {}


def register(exercise: str, name: str, *, points: float = 1, allow_none: bool = False):
    """Decorator: make ``func(answer, ctx)`` the check ``name`` of ``exercise``.

    Parameters
    ----------
    exercise : the exercise notebook's name, e.g. ``"04_rfm"``.
    name : the check's name, used in the check cell and as the gradebook column.
    points : what a pass is worth.
    allow_none : let the function see ``None`` answers (by default they are refused
        with a "not answered yet" message before the function runs).

    Examples
    --------
    >>> from crmlab.checks import expect_number
    >>> @register("99_demo", "answer", points=2)
    ... def _(answer, ctx):
    ...     return expect_number(answer, 42)
    >>> [(s.name, s.points) for s in checks_for("99_demo").values()]
    [('answer', 2)]
    """
    if not isinstance(points, (int, float)) or points <= 0:
        raise ValueError(f"points of check {exercise}/{name} must be > 0, got {points!r}")

    def deco(func):
        _REGISTRY.setdefault(exercise, {})[name] = CheckSpec(exercise, name, points, func, allow_none)
        return func

    return deco


def _module_name(exercise: str) -> str:
    return f"{_PACKAGE}.ch{exercise}"


def list_exercises() -> list[str]:
    """Names of the exercises that have a check module (``chNN_topic.py``).

    Examples
    --------
    >>> "00_start_here" in list_exercises()
    True
    """
    return sorted(m.name[2:] for m in pkgutil.iter_modules([_PACKAGE_DIR]) if m.name.startswith("ch"))


def checks_for(exercise: str) -> dict[str, CheckSpec]:
    """The checks of an exercise, in the order they were registered (importing its module).

    Examples
    --------
    >>> list(checks_for("00_start_here"))[:1]
    ['signups_2023']
    """
    if exercise not in _REGISTRY:
        try:
            importlib.import_module(_module_name(exercise))
        except ModuleNotFoundError as exc:
            if exc.name != _module_name(exercise):
                raise
            from crmlab._validate import CRMDataError

            raise CRMDataError(
                f"there is no exercise {exercise!r}: no module crmlab/checks/ch{exercise}.py. "
                f"The exercises are: {', '.join(list_exercises())}."
            ) from None
    return dict(_REGISTRY.get(exercise, {}))
