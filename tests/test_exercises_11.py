"""Exercise 11 (CRM in practice): its checks pass right answers and diagnose wrong ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from exercise_support import assert_answers_are_personal, run

from crmlab import datasets
from crmlab.checks import ch11_crm_in_practice as ch11

NAME = "11_crm_in_practice"


# --------------------------------------------------------------------------------------
# A hand-built shop, as_of 2024-12-31. Orders: c in 2022; a, b, d, e in 2023; a, b, c, x, y in 2024.
#   start (active 2023) 4, end (active 2024) 5, new in 2024 2 (x, y), retained 2 (a, b), reactivated 1 (c)
#   churn (9.1) = 1 - (5 - 2) / 4 = 0.25; strict = 1 - 2/4 = 0.5; new counted as retained = 1 - 5/4 = -0.25
# Amounts: 10 each before 2024; in 2024 a 50, b 20, c 15, x 10 (+ a returned order of 40), y 5 -> total 100.
#   Top 20 % of the 5 buyers of 2024 = 1 customer (a): 50 / 100 = 0.5 (the curve at 0.2 is exactly a);
#   bottom 20 % = 5 / 100 = 0.05; with the return x = 50: 50 / 140 = 0.357 (a or x);
#   all years: a 60, b 30, c 25, d 10, e 10, x 10, y 5 = 150 over 7 buyers: the curve at 0.2 = 0.48,
#   the first int(1.4) = 1 customer 60 / 150 = 0.4.
# Surveys 2024 recommend: 10, 9, 8, 7, 6, 5, 0, 10 -> promoters 3/8, detractors 3/8 -> NPS 0
#   promoters >= 8: 4/8 - 3/8 -> 12.5; detractors <= 5: 3/8 - 2/8 -> 12.5 (same value, first message wins)
#   all years (+ a 2023 answer 0): 3/9 - 4/9 -> -11.1; mean 6.875
# --------------------------------------------------------------------------------------
def small_retail() -> datasets.Dataset:
    rows = [
        ("c", "2022-06-01"),
        ("a", "2023-02-01"),
        ("b", "2023-03-01"),
        ("d", "2023-04-01"),
        ("e", "2023-05-01"),
        ("a", "2024-02-01"),
        ("b", "2024-03-01"),
        ("c", "2024-04-01"),
        ("x", "2024-05-01"),
        ("y", "2024-06-01"),
    ]
    rows += [("x", "2024-07-01")]
    orders = pd.DataFrame(rows, columns=["customer_id", "order_date"])
    orders["order_date"] = pd.to_datetime(orders["order_date"])
    orders["amount"] = [10.0] * 5 + [50.0, 20.0, 15.0, 10.0, 5.0, 40.0]
    orders["returned"] = [False] * 10 + [True]
    surveys = pd.DataFrame(
        {
            "customer_id": list("abcxyabcd"),
            "survey_date": pd.to_datetime(["2024-07-01"] * 8 + ["2023-07-01"]),
            "recommend": [10, 9, 8, 7, 6, 5, 0, 10, 0],
        }
    )
    return datasets.Dataset("retail", {"orders": orders, "surveys": surveys}, pd.Timestamp("2024-12-31"))


def test_expected_values_by_hand():
    orders = small_retail().orders
    assert ch11.revenue_per_buyer(orders).to_dict() == {"a": 50.0, "b": 20.0, "c": 15.0, "x": 10.0, "y": 5.0}
    assert ch11.top_share_variants(ch11.revenue_per_buyer(orders)) == pytest.approx([0.5, 0.5])
    assert ch11.top_share_variants(ch11.revenue_per_buyer(orders, None)) == pytest.approx([0.48, 0.4, 0.6])


@pytest.mark.parametrize(
    ("check", "answer", "passed", "words"),
    [
        ("top20_kpi_year", 0.5, True, "correct"),
        ("top20_kpi_year", np.float64(0.500), True, "correct"),
        ("top20_kpi_year", 0.48, False, "share over all years"),
        ("top20_kpi_year", 0.4, False, "share over all years"),
        ("top20_kpi_year", 50 / 140, False, "includes returned orders"),
        ("top20_kpi_year", 0.05, False, "*bottom* 20 %"),
        ("top20_kpi_year", 50, False, "percentage"),
        ("top20_kpi_year", 0.2, False, "share of customers"),
        ("top20_kpi_year", 0.7, False, "too high"),
        ("nps_2024", 0.0, True, "correct"),
        ("nps_2024", -0.0, True, "correct"),
        ("nps_2024", 0.04, False, "too high"),  # two decimals must be right to two decimals
        ("nps_2024", 12.5, False, "Promoters answer 9 or 10"),
        ("nps_2024", -100 / 9, False, "every year"),
        ("nps_2024", 6.875, False, "mean answer"),
        ("nps_2024", 30, False, "too high"),
    ],
)
def test_answers_on_the_hand_built_data(small, check, answer, passed, words):
    res = run(small, check, answer)
    assert res.passed is passed and words in res.message, res.message


def test_nps_share_instead_of_points_on_the_shipped_data(shipped):
    from crmlab.satisfaction import nps

    sv = shipped.data("retail").surveys
    value = nps(sv.loc[sv["survey_date"].dt.year == 2024, "recommend"]).nps
    assert run(shipped, "nps_2024", value).passed
    res = run(shipped, "nps_2024", value / 100)
    assert not res.passed and "in points" in res.message


def test_missed_targets_on_the_shipped_data(shipped):
    from crmlab.dashboard import kpi_dashboard

    kpi = kpi_dashboard(shipped.data("retail"))
    # shipped retail 2024: churn 0.41 > 0.35, NPS 27.8 < 30, resolved 0.71 < 0.80 miss;
    # acquisition cost 21.6 <= 25 and top-20% share 0.63 <= 0.70 meet their targets
    assert ch11.missed(kpi) == {"churn_rate", "nps", "complaints_resolved"}
    for answer in (
        ["churn_rate", "nps", "complaints_resolved"],
        ("nps", "complaints_resolved", "churn_rate"),
        {"churn_rate", " nps", "complaints_resolved"},
        pd.Index(["churn_rate", "nps", "complaints_resolved"]),
    ):
        assert run(shipped, "missed_targets", answer).passed
    wrong = {
        "meet their target": ["acquisition_cost", "top20_share"],
        "over all years (chapter 03)": ["churn_rate", "nps", "complaints_resolved", "top20_share"],
        "acquisition_cost meets its target": ["churn_rate", "nps", "complaints_resolved", "acquisition_cost"],
        "2 KPIs that miss their target are not in your list": ["churn_rate"],
        "not among the KPIs with a target": ["churn_rate", "nps", "complaints_resolved", "revenue"],
        "one text": "churn_rate, nps",
        "a list of KPI names": 3,
    }
    for words, answer in wrong.items():
        res = run(shipped, "missed_targets", answer)
        assert not res.passed and words in res.message, (words, res.message)


# The notebooks (stored source all ✔, unsolved student version ✘ kindly) are tested for every
# exercise in test_exercises_all.py and test_release.py.
def test_two_students_get_different_expected_answers():
    assert_answers_are_personal(
        NAME, "top20_kpi_year", lambda ex: ch11.top_share_variants(ch11.revenue_per_buyer(ex.data("retail").orders))[0]
    )
