"""The wording and the rounding policy of every check.

* Every registered check, given the kinds of wrong answer students hand in (text, numpy numbers,
  a Series, a table, a list, a dict of numpy values, NaN, a figure without a title ...), answers
  with a message that holds no Python repr of a numpy or pandas object, no multi-line dump, no
  "1 customers", no absurd percentage and "an int", not "a int" (tests/test_checks_students.py
  scans the messages of every diagnosed mistake the same way).
* One rounding policy (crmlab.checks._compare.rounded_match): an answer rounded as the chapter
  prints it passes, in a number, a Series and a table alike, and an answer with more decimals
  must be right to those decimals.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from test_checks_students import message_problems  # noqa: E402

from crmlab.checks import Fail, checks_for, exercise, expect_frame, expect_number, expect_series  # noqa: E402
from crmlab.checks._compare import rounded_match  # noqa: E402
from exercise_support import exercise_names  # noqa: E402


def _figure_without_title():
    fig, ax = plt.subplots()
    ax.bar(["a", "b"], [1.0, 2.0])
    return ax


#: Wrong answers of every kind, as students hand them in.
JUNK = {
    "text": "about 42",
    "numpy float": np.float64(156.638123),
    "numpy int": np.int64(0),
    "huge": 3253.27,
    "negative": -1.5,
    "nan": float("nan"),
    "bool": True,
    "series": pd.Series([1.0, 2.0, 3.0], index=["x", "y", "z"]),
    "frame": pd.DataFrame({"a": [1, 2], "b": [3.0, 4.0]}),
    "list": [np.float64(0.5), "x"],
    "dict of numpy": {"A": np.int64(0), "B": np.float64(1.5)},
    "array": np.arange(3),
    "figure without title": "figure",
}


@pytest.fixture(scope="module")
def junk_results():
    """Every check of every exercise on every junk answer (shipped data), once."""
    out = []
    for name in exercise_names():
        ex = exercise(name)
        for check in checks_for(name):
            for kind, answer in JUNK.items():
                if kind == "figure without title":
                    answer = _figure_without_title()
                res = ex.run(check, answer)
                out.append((name, check, kind, res))
            plt.close("all")
    return out


def test_no_check_raises_on_junk(junk_results):
    errors = [f"{n}/{c} on {k}: {r.error}" for n, c, k, r in junk_results if r.error is not None]
    assert not errors, "\n".join(errors[:20])


def test_no_message_holds_a_repr_or_a_slip_of_grammar(junk_results):
    bad = [f"{n}/{c} on {k}: {p}: {r.message}" for n, c, k, r in junk_results for p in message_problems(r.message)]
    assert not bad, "\n".join(bad[:20])


def test_junk_never_passes(junk_results):
    passed = [f"{n}/{c} on {k}" for n, c, k, r in junk_results if r.passed]
    assert not passed, passed


# ---------------------------------------------------------------------------------- rounding policy
values = st.floats(min_value=-1e5, max_value=1e5, allow_nan=False).filter(lambda v: abs(v) > 1e-3)


@given(values, st.integers(min_value=0, max_value=4), st.integers(min_value=0, max_value=3))
def test_an_answer_rounded_as_printed_passes_everywhere(value, decimals, extra):
    """Rounded to the printed decimals or more: passes as a number, in a Series and in a table."""
    answer = round(value, decimals + extra)
    expect_number(answer, value, decimals=decimals)
    expect_series(pd.Series({"a": answer, "b": 1.0}), pd.Series({"a": value, "b": 1.0}), decimals=decimals)
    expect_frame(
        pd.DataFrame({"k": ["a"], "v": [answer]}), pd.DataFrame({"k": ["a"], "v": [value]}), key="k", decimals=decimals
    )


@given(values, st.integers(min_value=0, max_value=4))
def test_an_answer_off_by_more_than_half_a_printed_unit_fails(value, decimals):
    off = round(value, decimals) + 0.6 * 10.0**-decimals + 2e-6 * abs(value)  # beyond float noise (rtol 1e-6)
    with pytest.raises(Fail):
        expect_number(off, value, decimals=decimals)
    with pytest.raises(Fail):
        expect_series(pd.Series({"a": off}), pd.Series({"a": value}), decimals=decimals)


@pytest.mark.parametrize(
    ("answer", "expected", "decimals", "ok"),
    [
        (4.19, 4.1873, 2, True),  # the case: the chapter prints 4.19
        (1.145, 1.14548, 2, True),  # the case: more decimals than printed, right to those decimals
        (4.2, 4.1973, 2, True),  # 4.20 is stored as 4.2
        (4.2, 4.23, 2, False),  # but 4.2 is not 4.23 rounded
        (0.709, 0.7074, 3, False),  # three decimals must be right to three decimals
        (0.7074, 0.70744, 3, True),
        (12, 12.4, 0, True),
        (13, 12.4, 0, False),
    ],
)
def test_rounding_policy_cases(answer, expected, decimals, ok):
    assert bool(rounded_match(answer, expected, decimals)) is ok


def test_a_known_mistake_is_named_whatever_the_rounding():
    """A mistake within the rounding allowance of the right answer is still named (the same for every student)."""
    with pytest.raises(Fail, match="returned orders"):
        expect_number(0.71003, 0.70744, decimals=2, mistakes=[(0.71003, "Your revenue includes returned orders.")])
    expect_number(0.71, 0.70744, decimals=2, mistakes=[(0.71003, "Your revenue includes returned orders.")])
