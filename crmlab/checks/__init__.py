"""Exercise checks (练习自动检查): instant, kind feedback and countable points.

A student's exercise notebook starts with::

    STUDENT_ID = None   # put your student id here, e.g. "s042", to get your own data
    from crmlab.checks import exercise
    ex = exercise("00_start_here", student_id=STUDENT_ID)
    ds = ex.data("retail")

and each exercise ends with a check cell such as ``ex.check("signups_2023", n_signups)``.
A check compares the answer with the expected one computed *from the same data* (the
student's personal data when an id is set), prints one friendly paragraph (``✔`` passed, or
``✘`` what is wrong and a hint) and returns a :class:`CheckResult`. A check never raises,
whatever it is given (``None``, a wrong type, a table with missing columns, ``NaN``).
``ex.summary()`` prints the score so far.

The idea of solution markers and autograded check cells follows nbgrader (Jupyter
Development Team, https://nbgrader.readthedocs.io), whose marker format the exercise
sources use.

Student id (personal data)
--------------------------
The id used is, in this order: the ``student_id`` argument (the notebook's ``STUDENT_ID``
line) when it is set; else the environment variable ``CRMLAB_STUDENT_ID``; else none, and the
shipped data is used. Under ``crmlab grade`` the grader's id (the submission's file name) wins
over the ``STUDENT_ID`` line, and the gradebook notes a disagreement.

Autograding
-----------
In a student's notebook each check cell shows its verdict (with a display output of mimetype
``application/vnd.crmlab.check+json`` beside ``text/plain``). Under ``crmlab grade`` nothing is
scored in the student's kernel: a check cell only hands its answer out as data
(:mod:`crmlab.checks._answers`), and the grader runs the registered check in its own process
on that student's data. The grader never counts a check-result output; one found in a graded
notebook is named as forged.

Writing checks for a chapter
----------------------------
Checks of exercise ``NN_topic`` live in ``crmlab/checks/chNN_topic.py`` and are found by
that name. A check is a function of the student's answer and a context; it computes the
expected answer from ``ctx.data(...)`` (never a literal) and returns the result of one of
the comparators, which raise :class:`Fail` with a specific message when the answer is
wrong::

    import crmlab
    from crmlab.checks import register, expect_frame, Fail

    @register("04_rfm", "rfm_table", points=2)
    def _(answer, ctx):
        ds = ctx.data("retail")
        expected = crmlab.rfm.rfm_table(ds.orders, as_of=ds.as_of)
        return expect_frame(
            answer, expected, key="customer_id",
            columns=["recency_days", "frequency", "monetary"], what="customers",
            hints={"recency_days": "Recency counts days from the last order to as_of."},
            diagnose=lambda got, exp: (
                "Your recency is exactly 1 day more than expected for every customer."
                if ((got["recency_days"] - exp["recency_days"]) == 1).all() else None),
        )

Comparators (all tolerate harmless differences and raise :class:`Fail` otherwise):
:func:`expect_number`, :func:`expect_choice`, :func:`expect_series`, :func:`expect_frame`,
:func:`expect_axes`; :func:`expect_type` for a custom check. ``raise Fail("message",
hint="...")`` gives any other specific feedback. :func:`first_match` turns a list of typical
wrong answers into the ``diagnose`` of :func:`expect_number`. A check function that returns normally
passes (a returned string is added to the success message). ``None`` answers are refused
before the function runs ("you have not answered yet").
"""

from __future__ import annotations

from crmlab.checks._results import ENV_STUDENT_ID, MIMETYPE, NOT_ANSWERED, CheckResult, Fail
from crmlab.checks._registry import CheckSpec, checks_for, list_exercises, register
from crmlab.checks._runner import CheckContext, Exercise, exercise, resolve_student_id, run_check
from crmlab.checks._compare import (
    _as_scalar as _as_scalar,
    expect_axes,
    expect_choice,
    expect_frame,
    expect_number,
    expect_series,
    expect_type,
    first_match,
)

__all__ = [
    "MIMETYPE",
    "ENV_STUDENT_ID",
    "NOT_ANSWERED",
    "CheckResult",
    "Fail",
    "CheckSpec",
    "CheckContext",
    "Exercise",
    "exercise",
    "register",
    "checks_for",
    "list_exercises",
    "resolve_student_id",
    "run_check",
    "expect_type",
    "expect_number",
    "first_match",
    "expect_choice",
    "expect_series",
    "expect_frame",
    "expect_axes",
]
