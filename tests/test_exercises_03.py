"""Exercise 03 (segmentation): its checks pass right answers and diagnose wrong ones.

Revenue concentration and ABC classes run on ten hand-built customers worked out below; the
k-means checks on the shipped data, against a profile recomputed here with plain pandas. The
shared tests (test_exercises_all.py) run the stored source and the unsolved student version.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from crmlab import datasets, plots, segmentation  # noqa: E402
from crmlab.checks import ch03_segmentation as ch03  # noqa: E402
from exercise_support import assert_answers_are_personal, run  # noqa: E402

NAME = "03_segmentation"

# --------------------------------------------------------------------------------------
# Ten customers, revenue from kept orders (total 1,000), best first:
#   a 500, b 200, c 120, d 60, e 50, f 30, g 20, h 10, i 6, j 4
#   cumulative share: .50 .70 .82 .88 .93 .96 .98 .99 .996 1
# top 20 % (2 customers) = 700 / 1000 = 0.70; bottom 20 % = (6 + 4) / 1000 = 0.01
# j also returned an order of 300: with it, j = 304, top 2 = (500 + 304) / 1300 = 0.6185
# ABC at 80 / 95 %: A = a, b, c (c crosses 80 %), B = d, e, f (f crosses 95 %), C = g..j -> 3, 3, 4
#   "cumulative share <= 80 % is A" puts c in B and f in C -> 2, 3, 5
# --------------------------------------------------------------------------------------
REVENUE = dict(zip("abcdefghij", [500, 200, 120, 60, 50, 30, 20, 10, 6, 4]))


def small_retail() -> datasets.Dataset:
    rows = [(c, v, False) for c, v in REVENUE.items()] + [("j", 300, True)]
    orders = pd.DataFrame(rows, columns=["customer_id", "amount", "returned"])
    orders["gross_margin"] = orders["amount"] / 4
    orders["order_date"] = pd.Timestamp("2024-06-01")
    return datasets.Dataset("retail", {"orders": orders}, pd.Timestamp("2024-12-31"))


def test_expected_values_by_hand():
    rev = ch03.revenue(small_retail())
    assert rev.to_dict() == pytest.approx({k: float(v) for k, v in REVENUE.items()})
    assert segmentation.top_share(rev, 0.2) == pytest.approx(0.70)
    assert ch03.abc_counts(small_retail()).to_dict() == {"A": 3, "B": 3, "C": 4}


@pytest.mark.parametrize(
    ("name", "answer"),
    [
        ("top20_share", 0.70),
        ("top20_share", 0.7000001),
        ("top20_share", np.float64(0.7)),
        ("abc_counts", pd.Series({"C": 4, "A": 3, "B": 3})),
        ("abc_counts", {"A": 3, "B": 3, "C": 4}),
    ],
)
def test_right_answers_pass(small, name, answer):
    assert run(small, name, answer).passed


@pytest.mark.parametrize(
    ("name", "answer", "words"),
    [
        ("top20_share", 0.01, "bottom"),
        ("top20_share", 804 / 1300, "includes returned orders"),
        ("top20_share", 0.618, "includes returned orders"),  # the mistake rounded as the chapter prints
        ("top20_share", 0.7009, "too high"),  # four decimals must be right to four decimals
        ("top20_share", 70.0, "percentage"),
        ("top20_share", 0.2, "share of customers"),
        ("top20_share", 0.75, "too high"),
        ("abc_counts", pd.Series({"A": 2, "B": 3, "C": 5}), "crosses the 80 % line is still an A"),
        ("abc_counts", pd.Series({"A": 3, "B": 3, "C": 5}), "hold 11 customers"),
        ("abc_counts", pd.Series({"A": 3, "B": 3}), "missing"),
    ],
)
def test_typical_wrong_answers(small, name, answer, words):
    res = run(small, name, answer)
    assert not res.passed
    assert words in res.message, res.message


def test_abc_by_share_of_customers_is_diagnosed(shipped):
    n = len(ch03.revenue(shipped.data("retail")))
    by_customers = pd.Series({"A": round(0.2 * n), "B": round(0.3 * n), "C": n - round(0.2 * n) - round(0.3 * n)})
    res = run(shipped, "abc_counts", by_customers)
    assert not res.passed and "share of customers (20 / 30 / 50 %)" in res.message


def test_pareto_figure(small):
    ax = plots.plot_pareto(segmentation.pareto_table(pd.Series(REVENUE, dtype=float)))
    assert run(small, "pareto_figure", ax).passed
    assert "matplotlib Axes" in run(small, "pareto_figure", segmentation.pareto_table(pd.Series(REVENUE))).message
    # the curve is compared: at 20 % of the customers it must reach 0.70 (exercise 1)
    fig, ax2 = plt.subplots()
    ax2.plot([0, 0.1, 0.2, 1.0], [0, 0.5, 0.60, 1.0])
    ax2.set(title="Pareto", xlabel="customers", ylabel="revenue")
    assert "does not show the cumulative share" in run(small, "pareto_figure", ax2).message
    fig, ax3 = plt.subplots()
    ax3.plot([0, 10, 20, 100], [0, 50, 70, 100])  # in percent: fine
    ax3.set(title="Pareto", xlabel="customers (%)", ylabel="revenue (%)")
    assert run(small, "pareto_figure", ax3).passed
    fig, ax4 = plt.subplots()
    ax4.plot([0, 0.1, 0.2, 1.0], [0, 0.004, 0.01, 1.0])  # ranked from the smallest: a Lorenz curve
    ax4.set(title="Lorenz", xlabel="customers", ylabel="revenue")
    assert "Lorenz curve" in run(small, "pareto_figure", ax4).message
    plt.close("all")


def test_kmeans_answers_on_the_shipped_data(shipped):
    ds = shipped.data("retail")
    features = segmentation.customer_features(ds.orders, ds.customers, ds.surveys, as_of=ds.as_of)
    labels = segmentation.kmeans_segments(features, 4, seed=0, n_init=4).labels
    # the profile recomputed with plain pandas: mean of each feature per segment
    means = features.groupby(labels).mean()
    big = int(means["mean_order_value"].idxmax())
    category = means.loc[big].filter(like="share_cat_").idxmax().removeprefix("share_cat_")
    assert run(shipped, "big_basket_segment", big).passed
    assert run(shipped, "big_basket_segment", f"segment {big}").passed
    assert run(shipped, "big_basket_category", category).passed
    assert run(shipped, "big_basket_category", f"share_cat_{category}").passed
    assert big != 1  # on the shipped data the big baskets are not the largest segment
    res = run(shipped, "big_basket_segment", 1)
    assert not res.passed and "1 is the largest" in res.message
    assert "segments are 1, 2, 3, 4" in run(shipped, "big_basket_segment", 9).message
    assert "possible answers" in run(shipped, "big_basket_category", "garden").message


def test_two_students_get_different_expected_answers():
    def answer(ex):
        return segmentation.top_share(ch03.revenue(ex.data("retail")), 0.2)

    a1, a2 = assert_answers_are_personal(NAME, "top20_share", answer)
    assert abs(a1 - a2) > 2e-3


# --------------------------------------------------------------------------------------
# Exercise 4 · Segmentation variables and the target segment
# --------------------------------------------------------------------------------------
def test_target_segment_by_hand():
    # attractiveness = 0.4 size_growth + 0.4 margin + 0.2 competition:
    #   young online 2 + 2 + 0.6 = 4.6 (fit 2: out), families 1.2 + 1.2 + 1 = 3.4,
    #   premium home 1.6 + 2 + 0.2 = 3.8, seniors in town 0.8 + 1.2 + 1 = 3.0 -> premium home;
    #   unweighted among those the firm can serve: families 11, premium home 10, seniors 10.
    assert ch03.segment_scores().round(6).to_dict() == {
        "young online": 4.6,
        "families": 3.4,
        "premium home": 3.8,
        "seniors in town": 3.0,
    }
    assert ch03.target_segment() == "premium home"


@pytest.mark.parametrize(
    ("answer", "ok", "words"),
    [
        ("premium home", True, "correct"),
        (" Premium Home", True, "correct"),
        ("young online", False, "most attractive segment, but the firm's capabilities fit it badly"),
        ("seniors in town", False, "fits the firm best"),
        ("families", False, "unweighted sum"),
        ("students", False, "not one of the possible answers"),
    ],
)
def test_target_segment(small, answer, ok, words):
    res = run(small, "target_segment", answer)
    assert res.passed == ok and words in res.message, res.message


RIGHT_KINDS = {
    "region": "geographic",
    "age_band": "demographic",
    "income_band": "demographic",
    "attitude": "psychographic",
    "frequency": "behavioural",
    "share_cat_kitchen": "behavioural",
}


@pytest.mark.parametrize(
    ("answer", "ok", "words"),
    [
        (RIGHT_KINDS, True, "correct"),
        ({**RIGHT_KINDS, "frequency": "behavioral", "region": " Geographic"}, True, "correct"),
        ({**RIGHT_KINDS, "attitude": "demographic"}, False, "1 of 6 statements is labelled wrongly: attitude"),
        ({**RIGHT_KINDS, "region": "place"}, False, "'place' is not one of the labels"),
    ],
)
def test_variable_kinds(small, answer, ok, words):
    res = run(small, "variable_kinds", answer)
    assert res.passed == ok and words in res.message, res.message
