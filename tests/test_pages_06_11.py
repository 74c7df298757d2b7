"""What chapters 06-11 teach, held by tests: the semantic fixes behind their pages.

Each test states the rule a page relies on and checks it on a hand-made example whose
answer is worked out in the comment, so that a page cannot drift back into saying one
thing while the code does another:

* cross-selling suggestions follow lift (what the advice says), and say the confidence
  of their rule; returned orders are no purchase for co-purchase rules;
* acquisition equity subtracts the cost of the same customers whose margin it counts, and
  the cost share is named for what it holds (cost ÷ first-year margin);
* the explorers of chapters 07 and 08 start on the exact numbers of their chapter, not on
  numbers rounded by a slider;
* figures: long gaps are counted, not hidden; twelve cohorts get twelve colours; the
  dashboard's axes start at zero; no raw column names in a legend.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from crmlab import acquisition, loyalty, plots, relationship, satisfaction, widgets  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ----------------------------------------------------------------------------- cross-selling
# Ten customers. Everyone but x buys "milk"; "jam" is bought by a, b, c only, and a, b, c, d
# bought "bread". Rules from bread: bread -> milk has confidence 4/4 = 1.0 but lift 1.0 / (9/10)
# = 1.11; bread -> jam has confidence 3/4 = 0.75 and lift 0.75 / (3/10) = 2.5.
BASKETS = pd.DataFrame(
    {
        "customer_id": ["a", "a", "a", "b", "b", "b", "c", "c", "c", "d", "d", "e", "f", "g", "h", "i", "x", "x"],
        "category": [
            "bread",
            "milk",
            "jam",
            "bread",
            "milk",
            "jam",
            "bread",
            "milk",
            "jam",
            "bread",
            "milk",
            "milk",
            "milk",
            "milk",
            "milk",
            "milk",
            "tea",
            "cake",
        ],
    }
)


def test_next_best_category_ranks_by_lift_and_reports_confidence():
    rules = acquisition.co_purchase(BASKETS)
    # d bought bread and milk: the only candidate left with a rule from them is jam
    nb = acquisition.next_best_category(BASKETS, rules)
    d = nb.loc[nb["customer_id"] == "d"].iloc[0]
    assert (d["category"], d["because"]) == ("jam", "bread")
    assert d["score"] == pytest.approx(2.5)  # lift of bread -> jam
    assert d["confidence"] == pytest.approx(0.75)  # 3 of the 4 bread buyers bought jam


def test_ranking_by_confidence_favours_the_popular_category():
    # Add j (jam, milk) and z (jam only): 12 customers; milk 10 buyers, bread 4, jam 5 (a, b, c, j, z).
    # For z: jam -> bread has confidence 3/5 = 0.6 and lift 0.6 / (4/12) = 1.8; jam -> milk has
    # confidence 4/5 = 0.8 and lift 0.8 / (10/12) = 0.96. By lift bread comes first, by confidence milk.
    orders = pd.concat([BASKETS, pd.DataFrame({"customer_id": ["j", "j", "z"], "category": ["jam", "milk", "jam"]})])
    rules = acquisition.co_purchase(orders)
    z = {
        metric: acquisition.next_best_category(orders, rules, min_lift=0.0, metric=metric).query("customer_id == 'z'")
        for metric in ("lift", "confidence")
    }
    assert z["lift"]["category"].tolist() == ["bread", "milk"]
    assert z["lift"]["score"].round(2).tolist() == [1.8, 0.96]
    assert z["confidence"]["category"].tolist() == ["milk", "bread"]


def test_co_purchase_leaves_out_returned_orders_and_counts_them():
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b"],
            "category": ["tea", "cups", "tea", "cups"],
            "returned": [False, True, False, False],
        }
    )
    kept = acquisition.co_purchase(orders).set_index(["antecedent", "consequent"])
    # without a's returned cups: tea bought by a, b; cups by b only -> tea -> cups confidence 1/2
    assert kept.loc[("tea", "cups"), "confidence"] == pytest.approx(0.5)
    assert kept.attrs["excluded"] == {"returned orders": 1}
    every = acquisition.co_purchase(orders, returned=None).set_index(["antecedent", "consequent"])
    assert every.loc[("tea", "cups"), "confidence"] == pytest.approx(1.0)


# ----------------------------------------------------------------------------- acquisition quality
def test_acquisition_equity_is_margin_minus_the_cost_of_the_same_customers():
    # a (cost 50) and b (cost 30) signed up in January 2023, c (cost 100) in June 2024: on
    # 2024-12-31 only a and b have a complete first year. First-year margins: a 80, b 20.
    cu = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "acquisition_channel": ["web"] * 3,
            "acquisition_cost": [50.0, 30.0, 100.0],
            "signup_date": ["2023-01-01", "2023-01-01", "2024-06-01"],
        }
    )
    o = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c"],
            "order_date": ["2023-02-01", "2024-02-01", "2023-03-01", "2024-07-01"],
            "amount": [200.0, 100.0, 60.0, 90.0],
            "gross_margin": [80.0, 40.0, 20.0, 30.0],
        }
    )
    q = acquisition.acquisition_quality(cu, o, as_of="2024-12-31").loc["web"]
    assert q["acquisition_cost"] == pytest.approx(60.0)  # (50 + 30 + 100) / 3, eq. 10.1 over all acquired
    assert q["first_period_cost"] == pytest.approx(40.0)  # (50 + 30) / 2, the customers whose margin counts
    assert q["first_period_margin"] == pytest.approx(50.0)  # (80 + 20) / 2
    assert q["acquisition_equity"] == pytest.approx(q["first_period_margin"] - q["first_period_cost"])
    assert q["cost_share_of_margin"] == pytest.approx(80 / 100)
    assert "cost_share_of_equity" not in q.index
    # second year complete for a and b: a spent 100 in it, b nothing
    assert q["retention_revenue"] == pytest.approx(50.0)  # per customer won, b counts 0
    assert q["revenue_per_retained"] == pytest.approx(100.0)  # per customer who stayed


# ----------------------------------------------------------------------------- widgets on exact numbers
def _unround_matrix() -> pd.DataFrame:
    """A monthly phase matrix whose probabilities have more than two decimals."""
    p = pd.DataFrame(0.0, index=relationship.PHASES, columns=relationship.PHASES)
    p.loc["awareness", ["awareness", "exploration", "dissolution"]] = [0.2346, 0.7457, 0.0197]
    p.loc["exploration", ["exploration", "expansion", "dissolution"]] = [0.4757, 0.3794, 0.1449]
    p.loc["expansion", ["expansion", "commitment", "dissolution"]] = [0.7914, 0.1483, 0.0603]
    p.loc["commitment", ["commitment", "dissolution"]] = [0.9573, 0.0427]
    p.loc["dissolution", "dissolution"] = 1.0
    return p


def test_phase_explorer_opens_on_the_exact_matrix_and_returns_to_it():
    p = _unround_matrix()
    rewards = {"awareness": 0.0, "exploration": -3.17, "expansion": 14.89, "commitment": 21.12, "dissolution": 0.0}
    exact = relationship.markov_clv(p, rewards, 0.01)["awareness"]
    rounded = relationship.markov_clv(
        relationship.adjusted_transitions(
            p,
            {
                ("exploration", "expansion"): 0.38,
                ("exploration", "dissolution"): 0.14,
                ("commitment", "dissolution"): 0.04,
            },
        ),
        rewards,
        0.01,
    )["awareness"]
    assert round(exact, 2) != round(rounded, 2)  # the example would catch a slider-rounded start
    box = widgets.phase_simulation_explorer(p, n=50, periods=12, seed=1, rewards=rewards, discount=0.01)
    assert f"{exact:,.2f}" in box.readout.value
    slider = box.children[2]  # dissolve (comm.)
    start = slider.value
    slider.value = 0.1
    assert f"{exact:,.2f}" not in box.readout.value
    slider.value = start
    assert f"{exact:,.2f}" in box.readout.value


def test_expectation_explorer_uses_the_chapter_grid():
    sim = satisfaction.expectation_simulation(np.arange(1, 7.01, 0.5), true_quality=5.0, seed=0)
    box = widgets.expectation_explorer(expectation=5.0, true_quality=5.0)
    text = box.readout.value
    assert f"{int(sim.loc[5.0, 'first_buyers']):,}</b> first buyers" in text
    assert f"{int(sim.loc[5.0, 'repeat_buyers']):,}</b> repeat buyers" in text
    assert f"at expectation {sim.attrs['optimum_expectation']:g}" in text


# ----------------------------------------------------------------------------- figures
def test_warning_point_histogram_counts_the_gaps_it_leaves_off():
    # 99 gaps of 10 days and one of 800: the axis stops well before 800 and says so
    gaps = pd.Series([10.0] * 99 + [800.0], index=[f"c{i}" for i in range(100)])
    wp = pd.DataFrame({"warning_days": [20.0]}, index=["c0"])
    wp.attrs["population_warning_days"] = 20.0
    ax = plots.plot_warning_point(gaps, wp)
    assert ax.get_xlim()[1] < 800
    assert any("1 gaps longer than" in t.get_text() for t in ax.texts)


def test_twelve_cohorts_get_twelve_colours_and_a_legend_off_the_data():
    k = np.arange(12)
    matrix = pd.DataFrame(
        [np.where(k <= 11 - c, 0.9 * 0.9**k, np.nan) for c in range(12)], index=[f"C{c}" for c in range(12)], columns=k
    )
    ax = plots.plot_cohort_curves(matrix)
    colours = {matplotlib.colors.to_hex(line.get_color()) for line in ax.lines[:12]}
    assert len(ax.lines) == 13 and len(colours) == 12
    legend = ax.get_legend()
    fig = ax.figure
    fig.canvas.draw()
    assert legend.get_window_extent().x0 >= ax.get_window_extent().x1  # beside the axes, not on them


def test_dashboard_axes_start_at_zero():
    h = pd.DataFrame(
        {"active_customers": [1500.0, 1650.0], "churn_rate": [0.40, 0.42]},
        index=pd.to_datetime(["2023-12-31", "2024-12-31"]),
    )
    axes = plots.plot_kpi_dashboard(h, kpis=["active_customers", "churn_rate"])
    assert [ax.get_ylim()[0] for ax in axes[:2]] == [0.0, 0.0]


def test_acquisition_figure_names_its_measures_in_words():
    q = pd.DataFrame(
        {
            "first_period_cost": [10.0],
            "first_period_margin": [50.0],
            "acquisition_equity": [40.0],
            "retention_revenue": [70.0],
        },
        index=pd.Index(["email_list"], name="acquisition_channel"),
    )
    ax = plots.plot_acquisition_quality(q)
    labels = [t.get_text() for t in ax.get_legend().get_texts()] + [t.get_text() for t in ax.get_xticklabels()]
    assert labels and not any("_" in t for t in labels)


def test_ipa_labels_point_away_from_the_vertical_crosshair():
    ipa = pd.DataFrame(
        {"importance": [6.0, 4.0], "performance": [4.0, 6.0], "quadrant": ["Concentrate here", "Possible overkill"]},
        index=["slow", "clean"],
    )
    ipa.attrs.update(performance_line=5.0, importance_line=5.0)
    ax = plots.plot_importance_performance(ipa)
    align = {t.get_text(): t.get_ha() for t in ax.texts if t.get_text() in ("slow", "clean")}
    assert align == {"slow": "right", "clean": "left"}


def test_early_warning_window_moves_with_the_multiplier():
    # One customer buying every 10 days until day 100, as of day 130: 30 days silent. With m = 1 the
    # warning point is 10 days (3x past: not on the early list); with m = 2 it is 20 (1.5x: on it).
    dates = pd.to_datetime("2024-01-01") + pd.to_timedelta(np.arange(0, 101, 10), unit="D")
    orders = pd.DataFrame({"customer_id": "a", "order_date": dates})
    as_of = pd.Timestamp("2024-01-01") + pd.Timedelta(days=130)
    counts = []
    for m in (1.0, 2.0):
        risk = loyalty.at_risk(orders, loyalty.churn_warning_points(orders, multiplier=m), as_of=as_of)
        counts.append((len(risk), int((risk["ratio"] <= 2).sum())))
    assert counts == [(1, 0), (1, 1)]


# ----------------------------------------------------------------------------- chapter 06's rules as the page states them
def test_level_divides_by_the_months_elapsed_until_the_window_is_full():
    # eq. 6.1: one order of 60 in the first month, nothing after; window w = 6.
    # n_t = min(6, t + 1): levels 60/1, 60/2, 60/3, 60/4, 60/5, 60/6, then the order leaves the window.
    from crmlab import lifecycle

    orders = pd.DataFrame({"customer_id": ["a"], "order_date": ["2024-01-10"], "amount": [60.0]})
    h = lifecycle.stage_history(orders, as_of="2024-07-31")
    assert h["level"].round(6).tolist() == [60.0, 30.0, 20.0, 15.0, 12.0, 10.0, 0.0]


def test_ended_is_a_verdict_a_new_order_reverses():
    # Orders in January and May: silent February-April. After 3 silent months (> ended_after = 2 and
    # > the customer's own usual gap, none yet) April is "ended"; May's order brings the customer back.
    from crmlab import lifecycle

    orders = pd.DataFrame(
        {"customer_id": ["a", "a"], "order_date": ["2024-01-10", "2024-05-10"], "amount": [20.0, 90.0]}
    )
    stages = lifecycle.stage_history(orders, as_of="2024-05-31")["stage"].astype(str).tolist()
    assert stages[3] == "ended" and stages[4] != "ended"
