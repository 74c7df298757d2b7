"""Running checks (运行检查): a check's verdict, never a traceback, on the student's own data.

:func:`run_check` turns whatever a check does into a :class:`CheckResult`; an
:class:`Exercise` is one notebook's session (its data, its checks, the score so far);
:func:`resolve_student_id` says whose data is used. The grader calls :func:`run_check` in its
own process with the submission's id, so the expected answers are computed there.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from crmlab.checks._messages import _fmt_points, _num
from crmlab.checks._registry import CheckSpec, checks_for
from crmlab.checks._results import ENV_STUDENT_ID, NOT_ANSWERED, CheckResult, Fail

#: Environment variable set by ``crmlab grade`` inside the sandbox: the file where check cells
#: hand out their answers as data (JSON lines) instead of scoring them.
ENV_ANSWERS = "CRMLAB_ANSWERS"


def grading_answers_file() -> str | None:
    """The answers file when this kernel runs under ``crmlab grade``, else ``None``."""
    path = os.environ.get(ENV_ANSWERS, "").strip()
    return path or None


def _default_loader(name: str, student_id: str | None):
    from crmlab import datasets

    return datasets.load(name, student_id=student_id)


def resolve_student_id(student_id: str | None) -> str | None:
    """The id in effect: the argument if set, else ``$CRMLAB_STUDENT_ID``, else ``None``.

    Under ``crmlab grade`` (``$CRMLAB_ANSWERS`` set) the grader's id wins: every submission
    works on the data of the student who submitted it, whatever its ``STUDENT_ID`` line says
    (the gradebook notes a disagreement).

    Examples
    --------
    >>> resolve_student_id(" s042 ")
    's042'
    """
    candidates = (student_id, os.environ.get(ENV_STUDENT_ID))
    if grading_answers_file() and os.environ.get(ENV_STUDENT_ID, "").strip():
        candidates = candidates[::-1]
    for candidate in candidates:
        if candidate is not None and str(candidate).strip():
            return str(candidate).strip()
    return None


class CheckContext:
    """What a check may use: the exercise, the student id and the (untouched) data.

    ``ctx.data(name)`` loads the dataset the student works on, separately from the copy
    the student has, so changes the student made to their tables never change the
    expected answer.
    """

    def __init__(self, exercise: str, student_id: str | None, loader: Callable | None = None):
        self.exercise = exercise
        self.student_id = student_id
        self._loader = loader or _default_loader
        self._cache: dict[str, Any] = {}

    def data(self, name: str):
        if name not in self._cache:
            self._cache[name] = self._loader(name, self.student_id)
        return self._cache[name]


def run_check(spec: CheckSpec, answer: Any, ctx: CheckContext) -> CheckResult:
    """Run one check and turn any outcome into a :class:`CheckResult` (never raises)."""

    def result(passed: bool, text: str, error: str | None = None) -> CheckResult:
        mark = "✔" if passed else "✘"
        points = spec.points if passed else 0
        label = f"{spec.name} ({_num(points)} of {_fmt_points(spec.points)})"
        return CheckResult(
            spec.name, passed, points, spec.points, f"{mark} {label}: {text}", spec.exercise, ctx.student_id, error
        )

    if answer is None and not spec.allow_none:
        return result(False, NOT_ANSWERED)
    try:
        extra = spec.func(answer, ctx)
    except Fail as exc:
        return result(False, exc.text)
    except NotImplementedError:
        return result(False, "This check is not written yet; tell your instructor.", "NotImplementedError")
    except Exception as exc:  # noqa: BLE001 - a check must never show a traceback
        err = f"{type(exc).__name__}: {exc}"
        return result(
            False,
            f"The check could not read your answer ({err}). Look at the exercise text for what "
            f"kind of answer is expected (a number, a table, a name ...) and check its type "
            f"with type(answer).",
            err,
        )
    text = "correct, well done."
    if isinstance(extra, str) and extra.strip():
        text += " " + extra.strip()
    return result(True, text)


class Exercise:
    """One exercise notebook's session: its data, its checks and the score so far."""

    def __init__(self, name: str, student_id: str | None = None, *, loader: Callable | None = None):
        self.name = name
        self.checks = checks_for(name)
        self.student_id = resolve_student_id(student_id)
        self.notebook_student_id = None if student_id is None else (str(student_id).strip() or None)
        self._loader = loader or _default_loader
        self._ctx = CheckContext(name, self.student_id, loader)
        self.results: dict[str, CheckResult] = {}

    def __repr__(self) -> str:
        who = f"student {self.student_id!r}" if self.student_id else "the shipped data"
        return f"Exercise {self.name!r} ({who}): {len(self.checks)} checks, {_fmt_points(self.max_points)}"

    @property
    def max_points(self) -> float:
        return sum(s.points for s in self.checks.values())

    def data(self, name: str):
        """The dataset ``name`` for this student (``crmlab.datasets.load(name, student_id=...)``)."""
        return self._loader(name, self.student_id)

    def run(self, name: str, answer: Any) -> CheckResult:
        """Run check ``name`` on ``answer`` silently and return its result (never raises)."""
        spec = self.checks.get(name)
        if spec is None:
            known = ", ".join(self.checks) or "none"
            res = CheckResult(
                name,
                False,
                0,
                0,
                f"✘ {name}: there is no check called {name!r} in exercise {self.name!r}. The checks are: {known}.",
                self.name,
                self.student_id,
                "unknown check",
            )
        else:
            res = run_check(spec, answer, self._ctx)
        self.results[name] = res
        return res

    def check(self, name: str, answer: Any) -> CheckResult | None:
        """Check ``answer``, show a one-paragraph verdict and return the :class:`CheckResult`.

        Under ``crmlab grade`` the answer is only handed out, as data, for the grader to
        check in its own process; nothing is scored here and ``None`` is returned.
        """
        path = grading_answers_file()
        if path is not None:
            self._hand_in(path, name, answer)
            return None
        res = self.run(name, answer)
        res.show()
        return res

    def _hand_in(self, path: str, name: str, answer: Any) -> None:
        import json

        from crmlab.checks._answers import encode

        line = json.dumps(
            {"exercise": self.name, "name": name, "answer": encode(answer)}, allow_nan=False, ensure_ascii=False
        )
        try:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        except OSError as exc:
            print(f"{name}: the answer could not be handed in for grading ({exc.strerror}).")
            return
        print(f"{name}: answer handed in; the grader checks it.")

    def score(self) -> tuple[float, float]:
        """Points earned so far and the most there are."""
        got = sum(r.points for n, r in self.results.items() if n in self.checks)
        return got, self.max_points

    def summary(self) -> None:
        """Print the score so far and what is still to do."""
        if grading_answers_file() is not None:
            print(f"{self.name}: the grader scores this notebook; see your feedback.")
            return
        got, top = self.score()
        todo = [
            f"{n} ({_fmt_points(s.points)})"
            for n, s in self.checks.items()
            if not (n in self.results and self.results[n].passed)
        ]
        passed = len(self.checks) - len(todo)
        text = f"{self.name}: {passed} of {len(self.checks)} checks passed, {_num(got)} of {_fmt_points(top)}."
        text += (" Still to do: " + ", ".join(todo) + ".") if todo else " All done, well done!"
        print(text)


def exercise(name: str, student_id: str | None = None, *, loader: Callable | None = None) -> Exercise:
    """Start an exercise notebook: ``ex = exercise("04_rfm", student_id=STUDENT_ID)``.

    Parameters
    ----------
    name : the exercise notebook's name (``NN_topic``).
    student_id : the student's id for personal data; ``None`` falls back to
        ``$CRMLAB_STUDENT_ID`` and then to the shipped data.
    loader : ``loader(dataset_name, student_id)`` returning a dataset; default
        :func:`crmlab.datasets.load` (tests pass small tables here).

    Examples
    --------
    >>> from crmlab.checks import expect_number, register
    >>> @register("99_doc", "answer")
    ... def _(answer, ctx):
    ...     return expect_number(answer, 42)
    >>> ex = exercise("99_doc", loader=lambda name, sid: None)
    >>> ex.run("answer", 41).passed, ex.run("answer", 42.0).passed
    (False, True)
    """
    return Exercise(name, student_id, loader=loader)
