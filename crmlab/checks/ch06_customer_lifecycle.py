"""Checks of exercise 06 · The customer lifecycle (客户生命周期).

The exercise notebook is ``exercises/source/06_customer_lifecycle.ipynb``. Every expected
answer is computed from the student's own ``retail`` data through :mod:`crmlab.lifecycle`
(the stages and patterns A-D of 陈明亮 2003, read with the default
:class:`~crmlab.lifecycle.LifecycleRules`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmlab.checks import Fail, expect_number, expect_series, register
from crmlab.checks._compare import expect_bars, once

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

EXERCISE = "06_customer_lifecycle"
#: The date of the stage-count exercise (not the end of the data, on purpose).
STAGE_DATE = "2024-06-30"


def complete_labels(answer: Any, expected: "pd.Series") -> Any:
    """The answer as a Series with text labels, with the expected labels whose value is 0 added.

    ``value_counts`` leaves out labels that never occur; a student who used it has not
    made a mistake, so those labels are filled in with 0 before comparing. Anything that
    is not a Series or dict is returned unchanged (the comparator explains what is wrong).
    """
    import pandas as pd

    if isinstance(answer, dict):
        answer = pd.Series(answer)
    if not isinstance(answer, pd.Series):
        return answer
    s = answer.copy()
    s.index = pd.Index([str(k) for k in s.index])
    missing = [k for k in expected.index if k not in s.index and expected[k] == 0]
    if missing:
        s = pd.concat([s, pd.Series(0, index=missing, dtype=float)])
    return s


def _close(got: "pd.Series", other: "pd.Series", atol: float = 1e-6) -> bool:
    import numpy as np

    return bool(
        np.allclose(
            got.to_numpy(dtype=float),
            other.reindex(got.index).to_numpy(dtype=float),
            rtol=1e-6,
            atol=atol,
            equal_nan=False,
        )
    )


def near(got: float, value: float, atol: float) -> bool:
    """Whether a number is ``value`` within ``atol`` (plus a relative 1e-6): the diagnoses' test."""
    return abs(got - value) <= atol + 1e-6 * abs(value)


def matches(answer: Any, other: "pd.Series", atol: float = 1e-6) -> bool:
    """Whether a Series/dict answer holds exactly ``other`` (labels filled in as by :func:`complete_labels`)."""
    import pandas as pd

    got = complete_labels(answer, other)
    if not isinstance(got, pd.Series) or set(got.index) != set(map(str, other.index)):
        return False
    try:
        return _close(got.astype(float), other.rename(index=str), atol)
    except (TypeError, ValueError):
        return False


def stage_counts(ds, as_of: Any = STAGE_DATE) -> "pd.Series":
    """Customers in each lifecycle stage as of ``as_of`` (default rules), all five stages."""
    from crmlab import lifecycle

    stages = lifecycle.classify_stages(ds.orders, as_of=as_of)
    counts = stages["stage"].astype(str).value_counts().reindex(list(lifecycle.STAGES), fill_value=0)
    counts.index.name = "stage"
    return counts.rename("customers")


def pattern_shares(ds) -> dict[str, float]:
    """Share of pattern A among ended relationships (classifier), and the usual wrong variants."""
    from crmlab import lifecycle

    p = lifecycle.classify_patterns(ds.orders, as_of=ds.as_of)
    ended = p.loc[p["ended"], "pattern"].astype(str)
    truth = ds.truth["true_pattern"].astype(str)
    true_ended = truth[truth != "active"]
    return {
        "share": float((ended == "A").mean()),
        "n_a": float((ended == "A").sum()),
        "share_of_all": float((p["pattern"].astype(str) == "A").mean()),
        "true_share": float((true_ended == "A").mean()),
    }


def stage_economics(ds) -> dict[str, "pd.DataFrame"]:
    """Input-output by stage: with all costs, and without acquisition and/or service costs."""
    from crmlab import lifecycle

    h = lifecycle.stage_history(ds.orders, as_of=ds.as_of)
    io = lambda **kw: lifecycle.stage_input_output(ds.orders, h, **kw)  # noqa: E731
    return {
        "full": io(customers=ds.customers, interactions=ds.interactions),
        "no_acquisition": io(interactions=ds.interactions),
        "no_service": io(customers=ds.customers),
        "margin_only": io(),
    }


@register(EXERCISE, "stage_counts", points=2)
def _(answer, ctx):
    ds = ctx.data("retail")
    expected = once(ctx, "stages", lambda: stage_counts(ds))
    at_end = once(ctx, "stages_end", lambda: stage_counts(ds, ds.as_of))
    if matches(answer, at_end) and not matches(answer, expected):
        raise Fail(
            f"These are the counts as of the end of the data ({ds.as_of.date()}), not as of {STAGE_DATE}.",
            f'Pass as_of="{STAGE_DATE}" to classify_stages.',
        )

    def diagnose(got, exp):
        if abs(float(got.sum()) - 1.0) < 1e-6:
            return "Your values are shares of customers; the exercise asks for numbers of customers."
        return None

    return expect_series(
        complete_labels(answer, expected),
        expected,
        rtol=0,
        atol=1e-9,
        what="the number of customers per stage",
        entity="stages",
        hint=(
            f"lifecycle.classify_stages(ds.orders, as_of=\"{STAGE_DATE}\")['stage'].value_counts() "
            "gives one count per stage, 'ended' included."
        ),
        diagnose=diagnose,
    )


@register(EXERCISE, "share_pattern_a", points=1)
def _(answer, ctx):
    shares = once(ctx, "patterns", lambda: pattern_shares(ctx.data("retail")))
    exp = shares["share"]
    mistakes = [
        (100 * exp, "Your answer looks like a percentage: give the share as a number between 0 and 1."),
        (shares["n_a"], "Your answer is the number of pattern-A relationships; divide it by the number that ended."),
        (
            shares["share_of_all"],
            "Your share counts all customers, the active ones too: divide by the relationships "
            "that ended (patterns ['ended'] is True) only.",
        ),
        (
            shares["true_share"],
            "Your share comes from the true patterns in ds.truth, which a firm cannot see: use "
            "the patterns the classifier gives (lifecycle.classify_patterns).",
        ),
    ]
    return expect_number(
        answer,
        exp,
        decimals=3,
        mistakes=mistakes,
        what="the share of ended relationships that are pattern A",
        hint="Keep the rows of classify_patterns(...) with ended == True and take the mean of (pattern == 'A').",
    )


@register(EXERCISE, "net_per_explorer", points=2)
def _(answer, ctx):
    io = once(ctx, "economics", lambda: stage_economics(ctx.data("retail")))
    exp = float(io["full"].loc["exploration", "net_per_customer"])
    full = io["full"].loc["exploration"]
    mistakes = [
        (
            float(full["net_per_customer_month"]),
            "Your answer is the net per customer-month; the exercise asks for the net per customer.",
        ),
        (float(full["net"]), "Your answer is the total net of the stage; divide it by the number of customers in it."),
        (
            float(io["no_acquisition"].loc["exploration", "net_per_customer"]),
            "Your net leaves out the acquisition cost: pass customers=ds.customers to stage_input_output.",
        ),
        (
            float(io["no_service"].loc["exploration", "net_per_customer"]),
            "Your net leaves out the service contacts: pass interactions=ds.interactions to stage_input_output.",
        ),
        (
            float(io["margin_only"].loc["exploration", "net_per_customer"]),
            "Your net leaves out both the acquisition cost and the service contacts: pass customers=ds.customers "
            "and interactions=ds.interactions.",
        ),
    ]
    return expect_number(
        answer,
        exp,
        decimals=2,
        mistakes=mistakes,
        what="the net result per customer in exploration",
        hint="stage_input_output(...).loc['exploration', 'net_per_customer'], with the "
        "customers and interactions tables passed.",
    )


@register(EXERCISE, "stage_chart", points=1)
def _(answer, ctx):
    ds = ctx.data("retail")
    counts = once(ctx, "stages", lambda: stage_counts(ds))
    return expect_bars(
        answer,
        counts,
        what="the number of customers per stage",
        entity="stages",
        decimals=0,
        mistakes=[
            (counts / counts.sum(), "Your bars show shares of customers; the chart asks for numbers of customers."),
            (
                once(ctx, "stages_end", lambda: stage_counts(ds, ds.as_of)),
                f"Your bars show the stages as of the end of the data, not as of {STAGE_DATE}.",
            ),
        ],
        hint="Plot your stage counts as bars: stage_counts.plot.bar(), or plots.stage_bar(stages); one bar per "
        "stage, 'ended' included.",
    )
