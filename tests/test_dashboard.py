"""Tests for crmlab.dashboard (the KPI dashboard of chapter 11) and its figure."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmlab import dashboard, datasets, loyalty
from crmlab._validate import CRMDataError
from crmlab.datasets import Dataset
from crmlab.plots._practice import plot_kpi_dashboard

AS_OF = pd.Timestamp("2024-12-31")


def tiny(with_wallets: bool = False) -> Dataset:
    """Four customers, hand-checkable (see the arithmetic in the tests)."""
    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "signup_date": pd.to_datetime(["2022-03-01", "2023-02-01", "2024-02-01", "2024-05-01"]),
            "acquisition_channel": pd.Categorical(["web", "web", "store", "store"]),
            "acquisition_cost": [10.0, 20.0, 30.0, 50.0],
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(6)],
            "customer_id": ["a", "a", "b", "c", "c", "d"],
            "order_date": pd.to_datetime(
                ["2023-03-01", "2024-03-01", "2023-04-01", "2024-02-10", "2024-06-01", "2024-07-01"]
            ),
            "amount": [100.0, 200.0, 50.0, 300.0, 100.0, 80.0],
            "gross_margin": [40.0, 80.0, 20.0, 90.0, 30.0, 20.0],
            "returned": [False, False, False, False, True, False],
        }
    )
    surveys = pd.DataFrame(
        {
            "customer_id": ["a", "c", "d", "a", "b"],
            "survey_date": pd.to_datetime(["2024-04-01", "2024-05-01", "2024-08-01", "2024-09-01", "2023-05-01"]),
            "recommend": [10, 9, 7, 3, 0],
        }
    )
    interactions = pd.DataFrame(
        {
            "customer_id": ["a", "c", "d", "b"],
            "date": pd.to_datetime(["2024-03-05", "2024-06-03", "2024-07-02", "2023-04-05"]),
            "kind": ["complaint", "complaint", "inquiry", "complaint"],
            "resolution_hours": [5.0, 30.0, 1.0, 4.0],
            "resolved": [True, False, True, True],
            "satisfaction_after": [6.0, 2.0, 7.0, 5.0],
        }
    )
    tables = {"customers": customers, "orders": orders, "surveys": surveys, "interactions": interactions}
    if with_wallets:
        tables = {
            "accounts": customers.rename(columns={"customer_id": "account_id"}),
            "orders": orders.rename(columns={"customer_id": "account_id"}),
            "interactions": interactions.rename(columns={"customer_id": "account_id"}),
            "wallets": pd.DataFrame(
                {
                    "account_id": ["a", "a", "b", "c", "d"],
                    "year": [2023, 2024, 2023, 2024, 2024],
                    "category_spend": [500.0, 1000.0, 100.0, 1500.0, 100.0],
                }
            ),
        }
    return Dataset("tiny", tables, AS_OF)


@pytest.fixture(scope="module")
def board():
    return dashboard.kpi_dashboard(tiny())


def test_kpis_by_hand(board):
    v = board["value"]
    assert v["customers"] == 4
    # active 2023 = {a, b}; active 2024 = {a, c, d} (c's returned order is still a visit); new 2024 = {c, d}
    assert v["active_customers"] == 3
    assert v["retention_rate"] == pytest.approx((3 - 2) / 2) and v["churn_rate"] == pytest.approx(0.5)
    assert v["new_customers"] == 2 and v["acquisition_cost"] == pytest.approx((30 + 50) / 2)
    # 2024 without the return: 200 + 300 + 80 revenue, 80 + 90 + 20 margin
    assert v["revenue"] == pytest.approx(580) and v["gross_margin"] == pytest.approx(190)
    assert v["revenue_per_active"] == pytest.approx(580 / 3)
    # top 20% of 3 buyers: interpolate (0, 0) -> (1/3, 300/580) at 0.2
    assert v["top20_share"] == pytest.approx(0.2 * 3 * 300 / 580)
    # retention model m r / (1 + d - r): m = 190/3, r = 0.5, d = 0.1
    assert v["mean_clv"] == pytest.approx(190 / 3 * 0.5 / 0.6)
    assert v["customer_equity"] == pytest.approx(190 / 3 * 0.5 / 0.6 * 3)
    # 2024 answers 10, 9, 7, 3: 50% promoters - 25% detractors (the 2023 answer 0 is outside the year)
    assert v["nps"] == pytest.approx(25.0)
    # 2 complaints in 2024 over 4 orders placed in 2024; one resolved -> sigma = Phi^-1(0.5) + 1.5
    assert v["complaints_per_1000_orders"] == pytest.approx(500.0)
    assert v["complaints_resolved"] == pytest.approx(0.5)
    assert v["complaint_sigma"] == pytest.approx(1.5)
    assert math.isnan(v["share_of_wallet"]) and "b2b" in board.attrs["notes"]["share_of_wallet"]


def test_every_kpi_has_label_unit_chapter(board):
    assert list(board.index) == list(dashboard.KPIS)
    assert board["label"].str.len().gt(0).all() and board["unit"].str.len().gt(0).all()
    assert board["chapter"].str.match(r"^\d\d_[a-z_]+$").all()
    assert board.attrs["window_start"] == pd.Timestamp("2024-01-01") and board.attrs["as_of"] == AS_OF


def test_at_risk_and_decline_match_their_chapters(board):
    ds = tiny()
    risk = loyalty.at_risk(ds.orders, loyalty.churn_warning_points(ds.orders), as_of=AS_OF)
    assert board.loc["at_risk", "value"] == int((risk["ratio"] <= 2).sum())
    assert board.loc["in_decline", "value"] >= 0


def test_the_kpi_year_ends_at_as_of():
    kpi = dashboard.kpi_dashboard(tiny(), as_of="2024-06-30")
    v = kpi["value"]
    # window 2023-07-01 .. 2024-06-30: a (2024-03-01) and c (2024-02-10; 2024-06-01 returned) are active
    assert kpi.attrs["window_start"] == pd.Timestamp("2023-07-01")
    assert v["active_customers"] == 2 and v["revenue"] == pytest.approx(200 + 300)
    # the year before (2022-07-01 .. 2023-06-30): a and b; new in the KPI year: c -> (2 - 1) / 2
    assert v["retention_rate"] == pytest.approx(0.5)
    # signed up in the window: c (2024-02-01) and d (2024-05-01); d has not ordered yet
    assert v["new_customers"] == 2 and v["customers"] == 4


def test_first_year_has_no_churn_and_says_why():
    kpi = dashboard.kpi_dashboard(tiny(), as_of="2023-12-31")
    assert math.isnan(kpi.loc["churn_rate", "value"]) and math.isnan(kpi.loc["mean_clv", "value"])
    assert "year before" in kpi.attrs["notes"]["churn_rate"]
    # by then a and b have each bought once: no gaps, no warning points
    assert math.isnan(kpi.loc["at_risk", "value"]) and "two different days" in kpi.attrs["notes"]["at_risk"]


def test_b2b_share_of_wallet_and_missing_surveys():
    ds = tiny(with_wallets=True)
    kpi = dashboard.kpi_dashboard(ds)
    # 2024 spend without the return: a 200, c 300, d 80 over wallets 1000 + 1500 + 100
    assert kpi.loc["share_of_wallet", "value"] == pytest.approx(580 / 2600)
    assert math.isnan(kpi.loc["nps", "value"]) and "no surveys" in kpi.attrs["notes"]["nps"]
    # as of mid-2024 the last complete year is 2023: a 100 of 500, b 50 of 100
    mid = dashboard.kpi_dashboard(ds, as_of="2024-06-30")
    assert mid.loc["share_of_wallet", "value"] == pytest.approx(150 / 600)


def test_bad_input_is_refused_clearly():
    with pytest.raises(CRMDataError, match="as_of.*2023-03-01 to 2024-12-31"):
        dashboard.kpi_dashboard(tiny(), as_of="2025-03-31")
    with pytest.raises(CRMDataError, match="'customers' or 'accounts'"):
        dashboard.kpi_dashboard(Dataset("x", {"orders": tiny().orders}, AS_OF))
    with pytest.raises(CRMDataError, match="discount"):
        dashboard.kpi_dashboard(tiny(), discount=-0.5)
    with pytest.raises(CRMDataError, match="dates"):
        dashboard.kpi_history(tiny(), [])
    bad = tiny()
    bad.tables["orders"] = bad.orders.drop(columns="gross_margin")
    with pytest.raises(CRMDataError, match="orders.*gross_margin"):
        dashboard.kpi_dashboard(bad)


def test_history_rows_are_the_dashboards():
    ds = tiny()
    h = dashboard.kpi_history(ds, ["2024-06-30", "2024-12-31"])
    assert list(h.index) == [pd.Timestamp("2024-06-30"), AS_OF]
    assert h.loc[AS_OF, "churn_rate"] == pytest.approx(0.5)
    assert h.loc[pd.Timestamp("2024-06-30"), "revenue"] == pytest.approx(500)
    assert h.attrs["chapters"]["nps"] == "08_satisfaction_and_complaints"


def test_retail_churn_agrees_with_the_calendar_year():
    ds = datasets.load("retail")
    kpi = dashboard.kpi_dashboard(ds)
    rates = loyalty.retention_rates(ds.orders, freq="YE")
    assert kpi.loc["churn_rate", "value"] == pytest.approx(rates.loc["2024", "churn"])
    assert kpi.loc["active_customers", "value"] == rates.loc["2024", "customers_end"]
    assert 0 < kpi.loc["top20_share", "value"] < 1 and kpi.loc["nps", "value"] > -100


@pytest.mark.parametrize("as_of", ["2024-12-31", "2024-06-30"])
def test_retail_kpis_recomputed_from_the_tables(as_of):
    ds = datasets.load("retail")
    t = pd.Timestamp(as_of)
    kpi = dashboard.kpi_dashboard(ds, as_of=t)["value"]
    o, s = ds.orders, ds.surveys
    year = o.loc[(o["order_date"] > t - pd.DateOffset(years=1)) & (o["order_date"] <= t)]
    # active: at least one order in the KPI year, a returned one included (chapter 09)
    active = year["customer_id"].nunique()
    assert active > year.loc[~year["returned"], "customer_id"].nunique()  # the data have return-only customers
    assert kpi["active_customers"] == active
    assert kpi["revenue_per_active"] == pytest.approx(year.loc[~year["returned"], "amount"].sum() / active)
    # NPS of the KPI year's answers only: % promoters (9-10) - % detractors (0-6)
    answers = s.loc[(s["survey_date"] > t - pd.DateOffset(years=1)) & (s["survey_date"] <= t), "recommend"]
    assert kpi["nps"] == pytest.approx(100 * ((answers >= 9).mean() - (answers <= 6).mean()))


def test_the_kpi_year_is_the_case_studies_analysis_year():
    # 2024 is a leap year but the twelve months to 15 January 2024 hold no 29 February:
    # the KPI year is 2023-01-16 .. 2024-01-15, as in crmlab.diagnosis.analysis_year
    kpi = dashboard.kpi_dashboard(tiny(), as_of="2024-01-15")
    assert kpi.attrs["window_start"] == pd.Timestamp("2023-01-16")


# Standard Six Sigma conversion table (1.5 sigma shift), e.g. Harry & Schroeder (2000), *Six Sigma*:
# 690,000 DPMO = 1 sigma, 308,537 = 2, 66,807 = 3, 6,210 = 4, 233 = 5, 3.4 = 6.
@pytest.mark.parametrize("dpmo, sigma", [(690_000, 1), (308_537, 2), (66_807, 3), (6_210, 4), (233, 5), (3.4, 6)])
def test_sigma_level_published_table(dpmo, sigma):
    assert dashboard.sigma_level(dpmo, 1_000_000) == pytest.approx(sigma, abs=0.01)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 10_000), st.floats(0, 1), st.floats(0, 1))
def test_sigma_level_falls_as_defects_rise(n, p1, p2):
    lo, hi = sorted([p1 * n, p2 * n])
    assert dashboard.sigma_level(lo, n) >= dashboard.sigma_level(hi, n)


def test_sigma_level_refuses_impossible_counts():
    assert dashboard.sigma_level(0, 10) == math.inf
    with pytest.raises(CRMDataError, match="defects"):
        dashboard.sigma_level(11, 10)
    with pytest.raises(CRMDataError, match="opportunities"):
        dashboard.sigma_level(0, 0)


def test_implementation_steps_follow_the_course():
    steps = dashboard.implementation_steps()
    assert list(steps.index) == [1, 2, 3, 4, 5]
    assert steps["chinese"].tolist() == [
        "确立业务计划",
        "建立CRM员工队伍",
        "评估销售、服务过程",
        "明确实际需求",
        "开发与部署",
    ]
    assert steps[["step_name", "what", "deliverable"]].map(len).gt(0).all().all()


def test_plot_kpi_dashboard_small_multiples():
    h = dashboard.kpi_history(tiny(), ["2024-06-30", "2024-09-30", "2024-12-31"])
    axes = plot_kpi_dashboard(h, kpis=["churn_rate", "nps", "share_of_wallet", "revenue"], ncols=2, mark="2024-09-30")
    shown = [ax for ax in axes if ax.get_visible()]
    # share_of_wallet is all NaN without wallets: skipped, so 3 panels on a 2 x 2 grid
    assert len(axes) == 4 and len(shown) == 3
    assert [ax.get_title() for ax in shown] == ["yearly churn rate", "Net Promoter Score", "revenue (returns left out)"]
    assert all(ax.get_ylabel() for ax in shown)
    assert shown[-1].get_xlabel() and "dashboard" in axes[0].figure.get_suptitle()
    assert len(shown[0].lines) == 2  # the KPI and the marked date
    plt.close("all")


def test_plot_kpi_dashboard_on_a_given_figure_and_errors():
    h = dashboard.kpi_history(tiny(), ["2024-12-31"])
    fig = plt.figure()
    axes = plot_kpi_dashboard(h, kpis=["nps"], axes=fig)
    assert axes[0].figure is fig and len(fig.axes) == 1
    with pytest.raises(CRMDataError, match="not in the history"):
        plot_kpi_dashboard(h, kpis=["nope"])
    with pytest.raises(CRMDataError, match="NaN"):
        plot_kpi_dashboard(h, kpis=["share_of_wallet"])
    plt.close("all")
