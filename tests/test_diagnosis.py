"""crmlab.diagnosis: case data, rolling-year figures, the service-level plan and the recommendation rules."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmlab import acquisition, datasets, diagnosis, loyalty
from crmlab._validate import CRMDataError
from crmlab.casestudy import CaseStudyParameterError

RETAIL_FIGURES = dict(
    churn_rate=0.42,
    at_risk_count=198,
    value_at_risk=33500.0,
    lapsed_count=1750,
    top20_share=0.63,
    champions=419,
    nps=27.8,
    concentrate_here="on-time delivery; quick answers",
    complaint_recovery=0.54,
    unrecovered_churn_ratio=1.8,
    best_channel="referral",
    best_channel_equity=155.0,
    worst_channel="social",
    worst_channel_equity=66.0,
    acquisition_cost=22.3,
    mean_clv=160.0,
)
B2B_FIGURES = dict(
    unprofitable_share=0.37,
    profit_destroyed=149000.0,
    whale_peak=1.2,
    self_service_accounts=60,
    key_accounts=30,
    unused_capacity_cost=60000.0,
    cost_to_serve=500000.0,
    overloaded_departments="order desk and warehouse",
    mean_share_of_wallet=0.2,
    wallet_not_won=9e6,
    churn_rate=0.34,
    accounts_in_decline=2,
    accounts_in_exploration=20,
    complaint_recovery=0.48,
    unrecovered_churn_ratio=2.2,
)


def tags(recommendations):
    return [r.split("]:")[0] + "]" for r in recommendations]


# ---------------------------------------------------------------- loading and cutting


def test_load_case_refuses_student_id_with_another_seed():
    with pytest.raises(
        CaseStudyParameterError,
        match=r"parameter 'student_id' = 's1'.*leave n_customers = 3000 "
        r"and seed = 2024",
    ):
        diagnosis.load_case("retail", seed=7, student_id="s1")


def test_load_case_refuses_an_analysis_date_outside_the_data():
    with pytest.raises(
        CaseStudyParameterError,
        match=r"'analysis_date' = '2023-06-30' is outside 2023-12-31 to "
        r"2024-12-31",
    ):
        diagnosis.load_case("b2b", analysis_date="2023-06-30")


def test_load_case_picks_shipped_generated_or_personal_data():
    assert diagnosis.load_case("b2b").source == "shipped"
    assert diagnosis.load_case("b2b", n_customers=50, seed=1).source == "generated"
    personal = diagnosis.load_case("b2b", student_id="s042")
    assert personal.source == "personal" and personal.seed == datasets.student_seed("s042", "b2b")


def test_cut_at_leaves_out_everything_after_the_date():
    ds = diagnosis.cut_at(datasets.load("retail"), "2024-03-31")
    day = pd.Timestamp("2024-03-31")
    assert ds.as_of == day
    assert ds.orders["order_date"].max() <= day and ds.interactions["date"].max() <= day
    assert ds.customers["signup_date"].max() <= day and ds.surveys["survey_date"].max() <= day
    assert set(ds.survey_items["response_id"]) == set(ds.surveys["response_id"])
    full = datasets.load("retail")
    assert len(ds.orders) == int((full.orders["order_date"] <= day).sum())  # nothing else dropped


def test_analysis_year_is_the_twelve_months_up_to_the_date():
    t = pd.DataFrame({"date": pd.to_datetime(["2023-06-30", "2023-07-01", "2024-06-30", "2024-07-01"])})
    assert diagnosis.analysis_year(t, "2024-06-30", date="date")["date"].dt.strftime("%m-%d").tolist() == [
        "07-01",
        "06-30",
    ]


def test_yearly_retention_matches_calendar_retention_at_a_year_end():
    # at 31 December the rolling year is the calendar year, so loyalty.retention_rates must agree
    orders = datasets.load("retail").orders
    calendar = loyalty.retention_rates(orders, freq="YE").loc["2024"]
    rolling = diagnosis.yearly_retention(orders, "2024-12-31")
    for col in ("customers_start", "new", "customers_end", "retained", "retention", "churn"):
        assert rolling[col] == pytest.approx(calendar[col]), col


def test_yearly_retention_without_an_earlier_year_says_so():
    o = pd.DataFrame({"customer_id": ["a"], "order_date": pd.to_datetime(["2024-05-01"])})
    with pytest.raises(CRMDataError, match=r"table 'orders', column 'order_date': no order in the year before"):
        diagnosis.yearly_retention(o, "2024-12-31")


def test_active_customers_count_a_returned_order_as_a_visit():
    # window 2023-07-01 .. 2024-06-30: a (2024-01-10), c (2024-06-30, returned); b's order is a day too early,
    # d's a day too late
    o = pd.DataFrame(
        {
            "customer_id": ["b", "a", "c", "d"],
            "returned": [False, False, True, False],
            "order_date": pd.to_datetime(["2023-06-30", "2024-01-10", "2024-06-30", "2024-07-01"]),
        }
    )
    active = diagnosis.active_customers(o, "2024-06-30")
    assert active.tolist() == ["a", "c"] and active.name == "customer_id"


def test_active_customers_are_the_end_of_the_yearly_retention():
    orders = datasets.load("retail").orders
    for day in ("2024-06-30", "2024-12-31"):
        assert len(diagnosis.active_customers(orders, day)) == diagnosis.yearly_retention(orders, day)["customers_end"]


def test_yearly_nps_uses_only_the_answers_of_the_year():
    # 2024-03-31 window is 2023-04-01 .. 2024-03-31: answers 10, 10, 6, 8 -> 50% promoters - 25% detractors;
    # the 0 of 2023-03-31 and the 0 of 2024-04-01 fall outside
    s = pd.DataFrame(
        {
            "recommend": [0, 10, 10, 6, 8, 0],
            "survey_date": pd.to_datetime(
                ["2023-03-31", "2023-04-01", "2023-12-01", "2024-02-01", "2024-03-31", "2024-04-01"]
            ),
        }
    )
    r = diagnosis.yearly_nps(s, "2024-03-31")
    assert r.n == 4 and r.nps == pytest.approx(25.0)


def test_yearly_nps_without_answers_in_the_year_says_so():
    s = pd.DataFrame({"recommend": [9], "survey_date": pd.to_datetime(["2022-05-01"])})
    with pytest.raises(
        CRMDataError,
        match=r"table 'surveys', column 'survey_date': no survey answer in the twelve "
        r"months up to 2024-12-31",
    ):
        diagnosis.yearly_nps(s, "2024-12-31")


def test_window_share_of_wallet_equals_calendar_share_at_a_year_end():
    ds = datasets.load("b2b")
    calendar = acquisition.share_of_wallet(ds.orders, ds.wallets).xs(2024, level="year")
    window = diagnosis.window_share_of_wallet(ds.orders, ds.wallets, as_of="2024-12-31").xs(2024, level="year")
    pd.testing.assert_series_equal(window["share_of_wallet"], calendar["share_of_wallet"])


def test_warning_list_keeps_the_actionable_customers_most_valuable_first():
    # a: gaps 10 days, quiet 15 -> 1.5x past (listed); b: gaps 10, quiet 12 -> 1.2x (listed);
    # c: gaps 10, quiet 40 -> 4x past (lapsed); d: gaps 10, quiet 5 (not at risk)
    days = {"a": "2024-03-16", "b": "2024-03-19", "c": "2024-02-20", "d": "2024-03-26"}
    rows = [(c, pd.Timestamp(last) - pd.Timedelta(days=10 * k)) for c, last in days.items() for k in range(4)]
    o = pd.DataFrame(rows, columns=["customer_id", "order_date"])
    w = diagnosis.warning_list(o, pd.Series({"a": 10.0, "b": 90.0}), as_of="2024-03-31")
    assert w.index.tolist() == ["b", "a"] and w["clv"].tolist() == [90.0, 10.0]
    assert w.attrs["lapsed"] == 1
    assert diagnosis.warning_list(o, pd.Series(dtype=float), as_of="2024-03-31", multiplier=2.0).index.tolist() == ["c"]


def test_capacity_findings_do_not_count_overload_as_idle():
    cap = pd.DataFrame(
        {"unused_cost": [500.0, -80.0, 0.0], "utilisation": [0.7, 1.05, 1.0]}, index=["sales", "desk", "service"]
    )
    found = diagnosis.capacity_findings(cap)
    assert found["unused_cost_positive"].sum() == 500.0
    assert found["overloaded"].tolist() == [False, True, False]


# ---------------------------------------------------------------- service-level plan


def test_service_level_plan_by_hand():
    # 10 accounts, top 20% = the 2 most profitable (j, i); cut at share 0.5
    profit = pd.DataFrame(
        {"profit": [-50.0, -20.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 500.0, 900.0], "revenue": [100.0] * 10},
        index=list("abcdefghij"),
    )
    share = pd.Series([0.9, 0.1, 0.6, 0.2, 0.7, 0.3, 0.8, 0.4, 0.2, 0.9], index=list("abcdefghij"))
    plan = diagnosis.service_level_plan(profit, share, share_cut=0.5)
    level = plan["service_level"].astype(str)
    assert level["j"] == "Key account" and level["i"] == "Growth account"
    assert level["a"] == "Cost-to-serve review" and level["b"] == "Self-service"
    assert (level[["c", "e", "g"]] == "Standard").all() and (level[["d", "f", "h"]] == "Develop").all()
    summary = diagnosis.plan_summary(plan)
    assert summary["accounts"].tolist() == [1, 1, 3, 3, 1, 1]
    assert summary["profit"].sum() == pytest.approx(profit["profit"].sum())
    assert summary.loc["Standard", "profit"] == 10.0 + 30.0 + 50.0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e4, 1e4), st.floats(0, 1)), min_size=1, max_size=40), st.floats(0.05, 0.5))
def test_service_level_plan_invariants(rows, top):
    ids = [f"A{i:03d}" for i in range(len(rows))]
    profit = pd.DataFrame({"profit": [p for p, _ in rows]}, index=ids)
    share = pd.Series([s for _, s in rows], index=ids)
    plan = diagnosis.service_level_plan(profit, share, top=top)
    assert sorted(plan.index) == ids and plan["service_level"].notna().all()
    best = plan["service_level"].isin(["Key account", "Growth account"])
    assert best.sum() <= math.ceil(top * len(rows))
    loss = plan["profit"] < 0
    assert plan.loc[loss, "service_level"].isin(["Cost-to-serve review", "Self-service"]).all()
    assert not plan.loc[~loss, "service_level"].isin(["Cost-to-serve review", "Self-service"]).any()


def test_service_level_plan_refuses_bad_input():
    with pytest.raises(CRMDataError, match="share_cut = 'mode'"):
        diagnosis.service_level_plan(pd.DataFrame({"profit": [1.0]}), pd.Series([0.1]), share_cut="mode")
    with pytest.raises(CRMDataError, match="table 'profit' has no column 'profit'"):
        diagnosis.service_level_plan(pd.DataFrame({"margin": [1.0]}), pd.Series([0.1]))


# ---------------------------------------------------------------- recommendations


def test_retail_rules_switch_with_the_figures():
    base = tags(diagnosis.retail_recommendations(RETAIL_FIGURES))
    assert base[0] == "Retention [churn >= 35%]"  # urgent first
    calm = dict(RETAIL_FIGURES, churn_rate=0.15, top20_share=0.40, nps=45.0, complaint_recovery=0.8)
    assert sorted(tags(diagnosis.retail_recommendations(calm))) == [
        "Acquisition [all channels pay back]",
        "Complaints [recovery >= 60%]",
        "Customer value [top 20% <= 45%]",
        "Retention [churn <= 20%]",
        "Satisfaction [NPS >= 30]",
    ]
    losing = dict(RETAIL_FIGURES, worst_channel_equity=-12.0, nps=-5.0)
    text = diagnosis.retail_recommendations(losing, currency="KRW")
    assert "Acquisition [a channel loses money]" in tags(text) and "Satisfaction [NPS < 0]" in tags(text)
    assert any("cut it and move the budget to referral" in t and "-12 KRW" in t for t in text)
    assert any("on-time delivery and quick answers" in t for t in text)


def test_retail_rules_can_be_set_by_the_trainer():
    strict = diagnosis.RetailRules(high_churn=0.5)
    assert tags(diagnosis.retail_recommendations(RETAIL_FIGURES, rules=strict))[0] != "Retention [churn >= 50%]"
    assert "Retention [20% < churn < 50%]" in tags(diagnosis.retail_recommendations(RETAIL_FIGURES, rules=strict))


def test_recommendations_name_missing_figures():
    with pytest.raises(CRMDataError, match="lack 'nps'"):
        diagnosis.retail_recommendations({k: v for k, v in RETAIL_FIGURES.items() if k != "nps"})
    with pytest.raises(CRMDataError, match="lack 'whale_peak'"):
        diagnosis.b2b_recommendations({k: v for k, v in B2B_FIGURES.items() if k != "whale_peak"})


def test_b2b_rules_switch_with_the_figures():
    base = tags(diagnosis.b2b_recommendations(B2B_FIGURES))
    assert base[:2] == ["Profitability [loss makers >= 25%]", "Capacity [a department over capacity]"]
    healthy = dict(
        B2B_FIGURES,
        unprofitable_share=0.1,
        whale_peak=1.8,
        overloaded_departments="",
        mean_share_of_wallet=0.6,
        churn_rate=0.1,
        accounts_in_decline=0,
        complaint_recovery=0.9,
    )
    text = diagnosis.b2b_recommendations(healthy)
    assert sorted(tags(text)) == [
        "Capacity [idle >= 10% of cost to serve]",
        "Complaints [handling adequate]",
        "Profitability [whale peak >= 150%]",
        "Relationships [churn < 25%]",
        "Share of wallet [mean >= 50%]",
    ]
    assert any("no account is in decline" in t for t in text)
    one = diagnosis.b2b_recommendations(dict(B2B_FIGURES, accounts_in_decline=1))
    assert any("call the 1 account in decline" in t for t in one)


def test_executive_summary_wraps_and_numbers():
    text = diagnosis.executive_summary("Shop", ["fact " * 30], ["a", "b"], width=40)
    lines = text.splitlines()
    assert lines[:3] == ["Shop", "====", "Key facts"]
    assert all(len(line) <= 40 for line in lines)
    assert lines[-2:] == ["  1. a", "  2. b"]


def test_figure_book_refuses_names_outside_the_catalogue(capsys):
    book = diagnosis.FigureBook(diagnosis.B2B_FIGURES, currency="CNY")
    book.record(profit=12.5)
    assert capsys.readouterr().out == "Sum of account profits (time-driven ABC): 12.50 CNY  [profit]\n"
    with pytest.raises(CRMDataError, match="'proft' are not in the catalogue"):
        book.record(proft=1.0)


def test_whale_peak_comes_before_the_share_of_loss_makers():
    # a peak of 180% means the loss makers destroy 80/180 = 44% of what the others earn: the more severe state
    both = tags(diagnosis.b2b_recommendations(dict(B2B_FIGURES, whale_peak=1.8, unprofitable_share=0.4)))
    assert both[0] == "Profitability [whale peak >= 150%]"
    assert "Profitability [loss makers >= 25%]" in tags(diagnosis.b2b_recommendations(B2B_FIGURES))


def test_areas_without_data_are_left_out_with_a_note():
    f = dict(
        RETAIL_FIGURES,
        nps=None,
        concentrate_here=None,
        complaint_recovery=None,
        unrecovered_churn_ratio=None,
        best_channel=None,
    )
    advice = diagnosis.retail_recommendations(f)
    assert sorted(t.split(" [")[0] for t in tags(advice)) == ["Customer value", "Retention"]
    assert diagnosis.missing_areas(f, "retail") == [
        "Satisfaction: left out, the data have no survey answers (tables surveys and survey_items).",
        "Complaints: left out, the data have no complaint records (table interactions).",
        "Acquisition: left out, the data have no acquisition channel and cost per customer (table customers).",
    ]
    assert diagnosis.missing_areas(RETAIL_FIGURES, "retail") == []


def test_every_documented_rule_is_one_the_rules_can_give():
    from crmlab.recommendations import rule_tags

    seen = set(tags(diagnosis.retail_recommendations(RETAIL_FIGURES)))
    assert seen <= set(rule_tags("retail")) and len(rule_tags("retail")) == 15
    strict = diagnosis.RetailRules(high_churn=0.5)
    assert "Retention [20% < churn < 50%]" in rule_tags("retail", strict)


# ---------------------------------------------------------------- money, KPIs, models


def test_money_is_converted_at_the_stated_rate_and_formatted_with_the_currency():
    from crmlab import currency

    ds = diagnosis.load_case("retail", n_customers=200, seed=5)
    krw = diagnosis.load_case("retail", n_customers=200, seed=5, money_scale=currency.currency_scale("KRW"))
    assert currency.UNITS_PER_EUR["KRW"] == 1480.0  # ECB 2024 average EUR/KRW 1,475.4, three digits
    assert (krw.orders["amount"] == ds.orders["amount"] * 1480.0).all()
    assert (krw.customers["acquisition_cost"] == ds.customers["acquisition_cost"] * 1480.0).all()
    assert krw.orders["order_date"].equals(ds.orders["order_date"])  # only money moves
    assert currency.format_money(473.4 * 1480.0, "KRW") == "700,632 KRW"
    with pytest.raises(CRMDataError, match="currency 'XYZ' is not known"):
        currency.currency_scale("XYZ")
    with pytest.raises(CRMDataError, match="currency_scale = -1"):
        currency.currency_scale("EUR", -1)


def test_kpis_have_one_home_and_the_old_names_still_work():
    from crmlab import dashboard, kpi

    assert diagnosis.yearly_retention is kpi.yearly_retention and diagnosis.active_customers is kpi.active_customers
    assert "crmlab.kpi" in dashboard.kpi_dashboard.__doc__ or "kpi." in open(dashboard.__file__).read()


def test_gamma_gamma_refit_in_other_units_gives_the_same_model():
    import dataclasses

    from crmlab import clv

    ds = datasets.generate("retail", n_customers=400, seed=8)
    kept = ds.orders.loc[~ds.orders["returned"]]
    summary = clv.summary_from_transactions(kept, time_unit="W", observation_end=ds.as_of)
    direct = clv.fit_gamma_gamma(summary)
    # the fallback's rescaling (amounts in units of their median), done by hand: gamma scales, p and q do not
    scale = float(summary.loc[summary["frequency"] > 0, "monetary_value"].median())
    refit = clv.fit_gamma_gamma(summary.assign(monetary_value=summary["monetary_value"] / scale))
    back = dataclasses.replace(refit, gamma=refit.gamma * scale)
    assert (back.p, back.q, back.gamma) == pytest.approx((direct.p, direct.q, direct.gamma), rel=1e-5)
    assert diagnosis._fit_gamma_gamma(summary).gamma == pytest.approx(direct.gamma)


def test_parameter_table_shows_every_value_readably():
    from crmlab.case_parameters import parameter_table

    table = parameter_table({"company": "林氏商店", "seed": 7, "student_id": None, "note": "a|b"})
    assert "| company | 林氏商店 |" in table and "| seed | 7 |" in table
    assert "| student\\_id | – |" in table and "a\\|b" in table  # escaped, still one cell


def test_service_level_plan_uses_the_customer_column_and_counts_missing_wallets():
    # Accounts in a column (not the index) are matched by that column, and an account with no
    # wallet estimate is counted, not silently read as "low".
    profit = pd.DataFrame({"acct": ["a", "b", "c"], "profit": [900.0, 300.0, -50.0]})
    share = pd.Series({"a": 0.6, "b": 0.1})
    plan = diagnosis.service_level_plan(profit, share, share_cut=0.5, customer="acct")
    assert plan.loc["a", "service_level"] == "Key account"
    assert plan.loc["b", "share_class"] == "low"
    assert plan.attrs["no_wallet_estimate"] == 1


def test_service_level_plan_refuses_ids_that_never_match():
    profit = pd.DataFrame({"profit": [900.0, 300.0]}, index=["1", "2"])
    with pytest.raises(CRMDataError, match="share.*none of its 2 account ids"):
        diagnosis.service_level_plan(profit, pd.Series({1: 0.6, 2: 0.1}))


def test_service_level_plan_refuses_repeated_accounts_and_a_non_series_share():
    profit = pd.DataFrame({"account_id": ["a", "a"], "profit": [1.0, 2.0]})
    with pytest.raises(CRMDataError, match="'a' appears more than once"):
        diagnosis.service_level_plan(profit, pd.Series({"a": 0.5}))
    with pytest.raises(CRMDataError, match="parameter 'share' must be a Series"):
        diagnosis.service_level_plan(pd.DataFrame({"profit": [1.0]}), {"a": 0.5})
