"""Checks of exercise 01 · What CRM is (什么是客户关系管理).

The exercise notebook is ``exercises/source/01_what_is_crm.ipynb``. It asks for one
customer's row of the single customer view (客户360度视图), for the data-quality problems
(数据质量) of a damaged copy of the orders, and for the difference between relationship
marketing (关系营销) and transaction marketing (交易营销) (Grönroos 1994, *Management
Decision* 32(2); the course's comparison table). Expected numbers are computed from the
student's own ``retail`` data through :mod:`crmlab.profile`, never written down.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmlab.checks import Fail, _as_scalar, expect_type, register
from crmlab.checks._messages import _fmt

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

EXERCISE = "01_what_is_crm"

#: The statements of exercise 3 and the kind of marketing each one describes.
STATEMENTS: dict[str, tuple[str, str]] = {
    "A": ("Success is the number of units sold this quarter.", "transaction"),
    "B": ("We track how often each customer buys again and what share of their spending we get.", "relationship"),
    "C": ("A discount for anyone who buys today; then on to the next prospect.", "transaction"),
    "D": ("After a complaint is solved, we call the customer to ask whether they are satisfied.", "relationship"),
    "E": ("Service is the after-sales department's job; marketing's job ends with the sale.", "transaction"),
    "F": ("The next offer is tailored to what this customer bought and told us before.", "relationship"),
}
KINDS = ("relationship", "transaction")

#: The fields of a single-customer-view row asked for in exercise 1.
ROW_FIELDS = ("orders", "revenue", "complaints")
#: The problems counted in exercise 2.
PROBLEMS = ("missing_amounts", "negative_amounts", "future_dates", "duplicate_orders")


# --------------------------------------------------------------------------- the exercise's data
def profiled_customer(ds) -> str:
    """The customer of exercise 1, chosen so that every typical mistake shows in the numbers.

    Among the customers with a returned order, at least two orders kept, a complaint and an
    inquiry (so that "all orders", "kept orders", "all contacts" and "complaints" all differ):
    the most complaints, then the most service contacts, then the smallest id. A dataset
    without such a customer falls back to the most complaints among all customers.

    Examples
    --------
    >>> from crmlab import datasets
    >>> ds = datasets.load("retail")
    >>> who = profiled_customer(ds)
    >>> mine = ds.orders[ds.orders["customer_id"] == who]
    >>> bool(mine["returned"].any()), int((~mine["returned"]).sum()) >= 2
    (True, True)
    """
    import pandas as pd

    it = ds.interactions
    ids = it["customer_id"].astype(str)
    kind = it["kind"].astype(str)
    counts = pd.DataFrame(
        {
            "complaints": (kind == "complaint").groupby(ids).sum(),
            "inquiries": (kind != "complaint").groupby(ids).sum(),
            "contacts": ids.value_counts(),
        }
    )
    if counts.empty:  # a dataset without service contacts: the first customer
        return str(ds.customers["customer_id"].iloc[0])
    o = ds.orders
    oid = o["customer_id"].astype(str)
    returned = o["returned"].astype(bool)
    counts["returns"] = returned.groupby(oid).sum().reindex(counts.index, fill_value=0)
    counts["kept"] = (~returned).groupby(oid).sum().reindex(counts.index, fill_value=0)
    telling = counts[
        (counts["returns"] > 0) & (counts["kept"] >= 2) & (counts["complaints"] > 0) & (counts["inquiries"] > 0)
    ]
    pool = (telling if len(telling) else counts).rename_axis("customer_id").reset_index()
    best = pool.sort_values(["complaints", "contacts", "customer_id"], ascending=[False, False, True])
    return str(best["customer_id"].iloc[0])


def damaged_orders(ds) -> "pd.DataFrame":
    """A copy of the last year's orders with deliberate faults, the same for the same data.

    A few amounts are lost (NaN), a few returns are typed in as negative amounts, a few
    dates lie after ``ds.as_of``, and a few orders are entered twice (exact copies next to
    their original). How many of each depends on the data (the generator is seeded with
    the number of orders), so two students' tables differ. No row has two faults.

    Examples
    --------
    >>> from crmlab import datasets
    >>> ds = datasets.load("retail")
    >>> bad = damaged_orders(ds)
    >>> bad.equals(damaged_orders(ds)), bool(bad["amount"].isna().any()), bool((bad["amount"] < 0).any())
    (True, True, True)
    """
    import numpy as np
    import pandas as pd

    orders = ds.orders
    last = orders[orders["order_date"].dt.year == pd.Timestamp(ds.as_of).year].reset_index(drop=True)
    rng = np.random.default_rng(len(orders))
    n_missing, n_negative, n_future, n_duplicate = (int(k) for k in rng.integers(2, 9, size=4))
    positive = np.flatnonzero(last["amount"].to_numpy() > 0)
    rows = rng.choice(positive, size=n_missing + n_negative + n_future + n_duplicate, replace=False)
    missing, negative, future, copies = np.split(rows, np.cumsum([n_missing, n_negative, n_future]))
    bad = last.copy()
    bad.loc[missing, "amount"] = np.nan
    bad.loc[negative, "amount"] = -bad.loc[negative, "amount"]
    days = pd.to_timedelta(rng.integers(1, 90, size=n_future), unit="D")
    bad.loc[future, "order_date"] = pd.Timestamp(ds.as_of) + days
    bad = pd.concat([bad, bad.loc[copies]], ignore_index=True)
    bad = bad.sort_values("order_id", kind="stable").reset_index(drop=True)
    bad.attrs["faults"] = {
        "missing_amounts": n_missing,
        "negative_amounts": n_negative,
        "future_dates": n_future,
        "duplicate_orders": n_duplicate,
    }
    return bad


def expected_row(ds, customer_id: str) -> dict:
    """Orders, revenue (not returned) and complaints of one customer, from the single customer view."""
    from crmlab.profile import customer_view

    one = ds.customers[ds.customers["customer_id"].astype(str) == customer_id]
    view = customer_view(one, ds.orders, ds.interactions, as_of=ds.as_of)
    row = view.iloc[0]
    return {f: float(row[f]) for f in ROW_FIELDS}


def expected_problems(ds) -> dict:
    """The four counts of exercise 2: the faults :func:`damaged_orders` typed in (no row has two)."""
    return dict(damaged_orders(ds).attrs["faults"])


# --------------------------------------------------------------------------- reading answers
def _as_mapping(answer: Any, fields: tuple[str, ...], what: str, example: str) -> dict:
    """A dict, a Series or a one-row DataFrame as ``{field: value}`` (keys matched ignoring case)."""
    import pandas as pd

    if isinstance(answer, pd.DataFrame):
        if len(answer) != 1:
            raise Fail(
                f"Your answer is a table with {len(answer):,} rows, but {what} is one row.",
                "Select the one row you need, e.g. with .loc[...] or .query(...).",
            )
        answer = answer.iloc[0]
    if isinstance(answer, pd.Series):
        answer = answer.to_dict()
    expect_type(answer, dict, f"{what} (a dict such as {example})")
    got = {str(k).strip().casefold(): v for k, v in answer.items()}
    missing = [f for f in fields if f.casefold() not in got]
    if missing:
        raise Fail(
            f"Your answer has no {', '.join(repr(m) for m in missing)} "
            f"(it has: {', '.join(map(repr, answer)) or 'nothing'}).",
            f"Use exactly these keys: {', '.join(fields)}.",
        )
    return {f: got[f.casefold()] for f in fields}


def _numbers(mapping: dict) -> dict:
    """Each value as a number, or a Fail naming the field."""
    import math

    out = {}
    for field, value in mapping.items():
        try:
            out[field] = _as_scalar(value, f"the value of {field!r}", "")
        except Fail as fail:
            raise Fail(f"{field!r}: {fail.message}", fail.hint) from None
        if math.isnan(out[field]):
            raise Fail(
                f"{field!r} is NaN (not a number).",
                "NaN comes from an empty selection or a missing value: check your filter.",
            )
    return out


def _verdict(got: dict, exp: dict, special: dict, hints: dict, prefix: str = "") -> None:
    """Fail on the first field that differs: with a diagnosis when a typical mistake fits."""
    wrong = [f for f in exp if abs(got[f] - exp[f]) > 0.01 + 1e-9 * abs(exp[f])]
    for f in wrong:
        for value, message in special.get(f, []):
            if abs(got[f] - value) <= 0.01 + 1e-9 * abs(value):
                raise Fail(f"{f!r}{prefix}: {message}", hints[f])
    if wrong:
        f = wrong[0]
        also = f" (Also different: {', '.join(wrong[1:])}.)" if len(wrong) > 1 else ""
        raise Fail(f"{f!r}{prefix} is {'too high' if got[f] > exp[f] else 'too low'}.{also}", hints[f])


# --------------------------------------------------------------------------- checks
def _row_case(ds) -> tuple[str, dict, dict]:
    """The profiled customer, their expected row and the values typical mistakes give."""
    who = profiled_customer(ds)
    orders = ds.orders[ds.orders["customer_id"].astype(str) == who]
    kept = orders[~orders["returned"].astype(bool)]
    contacts = int((ds.interactions["customer_id"].astype(str) == who).sum())
    special = {
        "orders": [
            (
                len(kept),
                "you left the returned orders out: count every order the customer placed "
                "(the view counts returns separately).",
            )
        ],
        "revenue": [
            (
                float(orders["amount"].sum()),
                "your revenue includes returned orders: a returned order "
                "was refunded, so leave orders with returned == True out.",
            ),
            (
                float(kept["amount"].mean()) if len(kept) else -1.0,
                "your revenue is the customer's mean order value: use .sum(), not .mean().",
            ),
        ],
        "complaints": [
            (
                contacts,
                "you counted every service contact: keep only interactions whose kind "
                "is 'complaint' (inquiries are not complaints).",
            )
        ],
    }
    return who, expected_row(ds, who), special


@register(EXERCISE, "customer_row", points=2)
def _(answer, ctx):
    from crmlab.checks._compare import once

    who, expected, special = once(ctx, "row", lambda: _row_case(ctx.data("retail")))
    got = _numbers(
        _as_mapping(answer, ROW_FIELDS, "the customer's row", "{'orders': 12, 'revenue': 850.5, 'complaints': 2}")
    )
    hints = {
        "orders": "Count the customer's rows in ds.orders.",
        "revenue": "Sum the amount of the customer's orders that were not returned.",
        "complaints": "Count the customer's rows in ds.interactions with kind == 'complaint'.",
    }
    _verdict(got, expected, special, hints, prefix=f" of customer {who}")
    return None


@register(EXERCISE, "data_quality_counts", points=2)
def _(answer, ctx):
    import pandas as pd

    from crmlab.checks._compare import once

    ds = ctx.data("retail")
    bad = once(ctx, "damaged", lambda: damaged_orders(ds))
    exp = dict(bad.attrs["faults"])
    got = _numbers(
        _as_mapping(
            answer,
            PROBLEMS,
            "the four counts",
            "{'missing_amounts': 3, 'negative_amounts': 1, 'future_dates': 2, 'duplicate_orders': 1}",
        )
    )
    special = {
        "duplicate_orders": [
            (
                2 * exp["duplicate_orders"],
                "you counted both copies of each repeated order. Count only the rows that "
                "repeat an earlier order_id: .duplicated() marks the later copies.",
            )
        ],
        "future_dates": [
            (
                int((bad["order_date"] > pd.Timestamp.today().normalize()).sum()),
                "you compared the dates with today. The data end on ds.as_of: a date after "
                "ds.as_of is in the future of this database.",
            )
        ],
        "negative_amounts": [
            (int((bad["amount"] <= 0).sum()), "you counted zero amounts too: only amounts below 0 are negative.")
        ],
    }
    hints = {
        "missing_amounts": "damaged['amount'].isna().sum().",
        "negative_amounts": "(damaged['amount'] < 0).sum().",
        "future_dates": "(damaged['order_date'] > ds.as_of).sum().",
        "duplicate_orders": "damaged['order_id'].duplicated().sum().",
    }
    _verdict(got, exp, special, hints)
    return None


#: Accepted spellings of the two labels of exercise 3.
_LABELS = {
    "r": "relationship",
    "relationship": "relationship",
    "relationship marketing": "relationship",
    "t": "transaction",
    "transaction": "transaction",
    "transaction marketing": "transaction",
    "transactional": "transaction",
}


@register(EXERCISE, "marketing_types", points=1)
def _(answer, ctx):
    got = _as_mapping(answer, tuple(STATEMENTS), "your labels", "{'A': 'transaction', 'B': 'relationship', ...}")
    labels = {}
    for key, value in got.items():
        labels[key] = _LABELS.get(str(value).strip().casefold()) if isinstance(value, str) else None
        if labels[key] is None:
            raise Fail(
                f"Statement {key}: {_fmt(value)} is not one of the labels.",
                "Label each statement 'relationship' or 'transaction'.",
            )
    wrong = [k for k, (_, truth) in STATEMENTS.items() if labels[k] != truth]
    if wrong:
        raise Fail(
            f"{len(wrong)} of {len(STATEMENTS)} statements are labelled wrongly: {', '.join(wrong)}.",
            "Ask of each statement: does it aim at this one sale, or at the customer's next purchases "
            "and loyalty? Compare with the table in chapter 01.",
        )
    return None


#: Exercise 4: what a customer information base (客户信息库) brings, short or long term. The short-term
#: benefits are its convenience, continuity, timeliness and interactivity; the long-term ones a
#: stronger competitive position, better new products and services, loyalty, lower operating and
#: marketing cost, and core competence (the course's notes on building a customer information base).
BENEFITS: dict[str, tuple[str, str]] = {
    "A": (
        "A clerk sees a caller's whole purchase and service history on one screen, without asking colleagues.",
        "short-term",
    ),
    "B": ("When an account manager leaves, the successor knows the customers from the first day.", "short-term"),
    "C": ("A complaint reaches the person who can solve it on the day it is made.", "short-term"),
    "D": (
        "Customers update their own details and preferences, and the firm answers them in the same place.",
        "short-term",
    ),
    "E": ("Years of purchase data show which new product lines the customers would buy.", "long-term"),
    "F": ("Knowing its customers better than its rivals do makes the firm hard to displace.", "long-term"),
    "G": ("Mailings go only to customers likely to respond, so marketing costs less per sale.", "long-term"),
    "H": ("Customers who feel known and well served stay longer.", "long-term"),
}
_HORIZONS = {
    "short": "short-term",
    "short-term": "short-term",
    "short term": "short-term",
    "long": "long-term",
    "long-term": "long-term",
    "long term": "long-term",
}


@register(EXERCISE, "info_base_benefits", points=1)
def _(answer, ctx):
    from crmlab.checks._compare import expect_labels

    return expect_labels(
        answer,
        {k: v for k, (_, v) in BENEFITS.items()},
        _HORIZONS,
        what="your labels",
        hint="Short-term benefits are how daily work changes (convenience, continuity, timeliness, "
        "interactivity); long-term ones build up over years (competitive position, new products, loyalty, "
        "lower cost, core competence).",
    )
