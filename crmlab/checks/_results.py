"""Check results (检查结果): what a check found, countable by the grader.

:class:`CheckResult` is what a check cell returns and shows; :class:`Fail` is raised by a
comparator or a check when the answer is wrong, with a message that says how. The display
payload of mimetype :data:`MIMETYPE` is for the student's notebook only: ``crmlab grade``
never counts it (it recomputes every check itself from the answers handed out as data).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

#: Mimetype of the check results a check cell displays (shown, never trusted by the grader).
MIMETYPE = "application/vnd.crmlab.check+json"
#: Environment variable with the student id (set by the grader).
ENV_STUDENT_ID = "CRMLAB_STUDENT_ID"

NOT_ANSWERED = (
    "You have not answered yet: the answer is still None. Write your code in the cell above, "
    "in place of `raise NotImplementedError()`, and run it before this check."
)


@dataclass(frozen=True)
class CheckResult:
    """What a check found: countable by an autograder.

    ``error`` is set (to the exception's text) only when the check could not run to a
    verdict because the answer, or the check itself, raised; the student still sees a
    kind message.

    Examples
    --------
    >>> r = CheckResult("x", True, 1.0, 1.0, "✔ x: correct.")
    >>> r.passed, r.points
    (True, 1.0)
    """

    name: str
    passed: bool
    points: float
    max_points: float
    message: str
    exercise: str = ""
    student_id: str | None = None
    error: str | None = None
    _shown: list = field(default_factory=list, repr=False, compare=False)

    def to_dict(self) -> dict:
        """The JSON payload emitted with mimetype :data:`MIMETYPE`."""
        d = asdict(self)
        d.pop("_shown")
        return d

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {MIMETYPE: self.to_dict(), "text/plain": self.message}

    def _ipython_display_(self):
        # ``ex.check(...)`` displays the result itself; when it is also the cell's last
        # expression, showing it a second time would only repeat the paragraph.
        if self._shown:
            return
        self.show()

    def show(self) -> None:
        """Display the message (and the autograder payload) once."""
        self._shown.append(True)
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:  # pragma: no cover - IPython ships with Jupyter
            get_ipython = None
        if get_ipython is not None and get_ipython() is not None:
            display(self._repr_mimebundle_(), raw=True)
        else:
            print(self.message)


class Fail(Exception):
    """Raised by a comparator or a check: the answer is wrong; ``message`` says how.

    Examples
    --------
    >>> str(Fail("3 customers are missing.", hint="Keep every customer."))
    '3 customers are missing. Hint: Keep every customer.'
    """

    __module__ = "crmlab.checks"  # shown in tracebacks as the public name

    def __init__(self, message: str, hint: str = ""):
        self.message = message.strip()
        self.hint = hint.strip()
        super().__init__(self.text)

    @property
    def text(self) -> str:
        return self.message + (f" Hint: {self.hint}" if self.hint else "")
