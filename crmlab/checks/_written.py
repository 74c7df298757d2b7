"""Written answers (书面回答): the questions an instructor scores by reading, and their points.

A written answer is a Markdown cell of an exercise whose model answer sits between the solution
markers (nbgrader's manually graded answers). Each is registered here with its exercise, a
name (the gradebook column ``written:<name>``), the id of its answer cell and the points it is
worth. ``crmlab release`` shows the points in the student version; ``crmlab grade`` collects
the answers into a file the instructor fills in (points and a comment per answer), and
``crmlab gradebook merge`` brings those scores into the gradebook and the feedback.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["WrittenSpec", "register_written", "written_for", "POINTS_NOTE"]


@dataclass(frozen=True)
class WrittenSpec:
    """One written answer: where it is (``cell_id`` of the answer cell) and what it is worth."""

    exercise: str
    name: str
    cell_id: str
    points: float


_WRITTEN: dict[str, dict[str, WrittenSpec]] = {}


def register_written(exercise: str, name: str, cell_id: str, points: float) -> WrittenSpec:
    """Declare a written answer of ``exercise`` (its answer cell's id and its points).

    Examples
    --------
    >>> spec = register_written("99_demo", "advice", "abc123", 2)
    >>> [(s.name, s.points) for s in written_for("99_demo").values()]
    [('advice', 2)]
    >>> register_written("99_demo", "bad", "x", 0)
    Traceback (most recent call last):
    ...
    ValueError: points of written answer 99_demo/bad must be > 0, got 0
    """
    if not isinstance(points, (int, float)) or isinstance(points, bool) or points <= 0:
        raise ValueError(f"points of written answer {exercise}/{name} must be > 0, got {points!r}")
    known = _WRITTEN.setdefault(exercise, {})
    for other in known.values():
        if other.cell_id == cell_id and other.name != name:
            raise ValueError(f"cell {cell_id} of {exercise} is already the written answer {other.name!r}")
    spec = WrittenSpec(exercise, name, cell_id, points)
    known[name] = spec
    return spec


def written_for(exercise: str) -> dict[str, WrittenSpec]:
    """The written answers of an exercise, in the order of the notebook.

    Examples
    --------
    >>> [(s.name, s.points) for s in written_for("04_rfm").values()]
    [('catalogue_campaign', 2)]
    """
    return dict(_WRITTEN.get(exercise, {}))


def points_note(points: float) -> str:
    """The line release adds to a written answer cell of the student version.

    Examples
    --------
    >>> points_note(2)
    '*Written answer, 2 points: your instructor reads and scores it.*'
    """
    text = str(int(points)) if float(points).is_integer() else f"{points:g}"
    return f"*Written answer, {text} point{'' if points == 1 else 's'}: your instructor reads and scores it.*"


#: The start of the line of :func:`points_note` (the grader leaves it out of the answer text).
POINTS_NOTE = "*Written answer, "

# The written answers of the exercises, in notebook order: (name, answer cell id, points). A new written answer in a
# source is registered here; tests/test_release.py fails until it is.
# A longer answer asked for (four to eight sentences) is worth 3 points, a shorter one 2.
_DECLARED = {
    "00_start_here": [("channel_advice", "20697dd4", 2)],
    "01_what_is_crm": [("data_quality_faults", "ex01-13", 2), ("failed_project", "ex01-18", 2)],
    "02_customer_value": [
        ("two_criteria", "baf74491", 2),
        ("budget_priority", "ac1a85fc", 2),
        ("value_by_design", "h4c4329e98", 2),
    ],
    "03_segmentation": [
        ("serve_class_c", "0b8eba8c", 2),
        ("segment_actions", "c895fe4c", 2),
        ("target_segment", "h4ae413eb2", 2),
    ],
    "04_rfm": [("catalogue_campaign", "3a4fe9db", 2)],
    "05_customer_lifetime_value": [
        ("one_time_buyers", "3a68b35a", 2),
        ("programme_choice", "9388e88b", 2),
        ("model_choice", "d387ace5", 2),
    ],
    "06_customer_lifecycle": [("stage_investment", "ex06-15", 3)],
    "07_relationship_development": [("onboarding_or_retention", "ex07-18", 2)],
    "08_satisfaction_and_complaints": [("recommendation", "dc508499", 2)],
    "09_loyalty_retention_churn": [
        ("agency_offer", "h46cdb518a", 2),
        ("why_customers_leave", "h49ffa4899", 2),
        ("break_even_cost", "h418d699df", 2),
        ("advice_to_manager", "16e34480", 2),
    ],
    "10_acquisition_and_development": [("first_actions_per_job", "h4e772b42c", 2), ("channel_cut", "035c5c41", 2)],
    "11_crm_in_practice": [("first_actions", "eeb1b98e", 3)],
}
for _exercise, _answers in _DECLARED.items():
    for _name, _cell, _points in _answers:
        register_written(_exercise, _name, _cell, _points)
