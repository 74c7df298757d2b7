"""Every check grades every student alike: right answers pass and every diagnosed mistake is named,
for 20 students' own data.

For each exercise, ``tests/student_cases.py`` computes from one student's data the right answers
(also rounded as the chapter prints them: the one rounding policy) and the typical mistakes each
check diagnoses, each with the words its message must contain. Each student's data is generated
once and reused by every check. A mistake whose answer happens to be right in one student's data
does not exist for that student; every mistake must exist, and be named, for at least 20 of them
-- the check's data (profiled customer, attribute, segment) is chosen so that it does.

Check messages are also scanned: no Python repr of a numpy or pandas object, no multi-line dump,
no "1 customers", no absurd percentage, "an int" not "a int".
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from student_cases import CASES

from crmlab import datasets
from crmlab.checks import checks_for, exercise

#: The students: s001-s018 and the two ids whose grading differed before (s042, s117). The shipped data
#: is checked by every exercise's own tests and by the stored source notebooks.
IDS: tuple[str, ...] = tuple(f"s{i:03d}" for i in range(1, 19)) + ("s042", "s117")
#: Each mistake must exist (and be named) in this many students' data at least.
MIN_STUDENTS = 20

#: What no check message may contain.
REPRS = [
    (re.compile(r"\bnp\.\w+\("), "a numpy repr such as np.float64(...)"),
    (re.compile(r"\b(array|Series|DataFrame|Index)\("), "a numpy/pandas repr"),
    (re.compile(r"\bdtype[:=]"), "a dtype from a pandas dump"),
    (re.compile(r"\bName: \w+"), "the footer of a Series dump"),
    (
        re.compile(
            r"(?<![\d,.])1 (customers|orders|values|rows|items|statements|attributes|channels|stages|"
            r"topics|phases|classes|labels|bars)\b"
        ),
        "a plural after 1",
    ),
    (re.compile(r"\ba (int|ndarray|object|array|Index|integer|element)\b"), "a wrong article"),
    (re.compile(r"by \d{4,}[\d,.]*%"), "an absurd percentage"),
]


@pytest.fixture(scope="module")
def student_data():
    """Each student's datasets, generated once for the module (the checks get fresh copies)."""
    return {
        sid: {"retail": datasets.load("retail", student_id=sid), "b2b": datasets.load("b2b", student_id=sid)}
        for sid in IDS
    }


def _exercise(name: str, sid, data):
    ex = exercise(name, student_id=sid, loader=lambda dataset, _sid: data[dataset].copy())
    ex.student_id = sid
    return ex


def message_problems(message: str) -> list[str]:
    """What is wrong with the wording of a check message (empty when nothing)."""
    found = [what for pattern, what in REPRS if pattern.search(message)]
    if "\n" in message:
        found.append("a line break (a multi-line dump)")
    return found


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_student_is_graded_alike(name, student_data):
    registered = set(checks_for(name))
    problems: list[str] = []
    existed: dict[tuple, int] = defaultdict(int)
    covered: set[str] = set()
    for sid in IDS:
        data = student_data[sid]
        ex = _exercise(name, sid, data)
        for case in CASES[name](data, ex._ctx):
            assert case.check in registered, f"{name}: the cases name an unknown check {case.check!r}"
            covered.add(case.check)
            if not case.exists:
                continue
            existed[case.key] += 1
            res = ex.run(case.check, case.answer)
            who = sid
            if res.error is not None:
                problems.append(f"{who} {case.key}: the check raised {res.error}")
            elif res.passed != case.ok:
                problems.append(f"{who} {case.key}: {'failed' if case.ok else 'passed'}: {res.message}")
            elif not case.ok and case.words.casefold() not in res.message.casefold():
                problems.append(f"{who} {case.key}: the message does not say {case.words!r}: {res.message}")
            for p in message_problems(res.message):
                problems.append(f"{who} {case.key}: the message holds {p}: {res.message}")
    assert covered == registered, f"{name}: checks without cases: {sorted(registered - covered)}"
    rare = {k: n for k, n in existed.items() if n < MIN_STUDENTS}
    assert not rare, f"{name}: mistakes that exist for fewer than {MIN_STUDENTS} students: {rare}"
    assert not problems, f"{name}: {len(problems)} problems:\n" + "\n".join(problems[:25])


def test_the_message_scan_finds_what_it_looks_for():
    """The wording test is able to fail: each bad pattern is found in a sentence that has it."""
    bad = [
        "Your answer np.float64(156.63) is too high.",
        "3 of 1 customers differ.",
        "Your answer is a int.",
        "It is too high (by 325327.98%).",
        "0    1.0\nName: x, dtype: float64",
        "1 customers have",
    ]
    assert all(message_problems(m) for m in bad)
    assert not message_problems("1 of 3 customers has a different 'frequency', e.g. R00017: you have 5, expected 4.")
