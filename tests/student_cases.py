"""Right answers and typical mistakes of every exercise check, computed from one student's data.

A plain module used by ``tests/test_checks_students.py`` (pytest puts ``tests/`` on the path).
For each exercise, ``CASES[name](data, ctx)`` returns a list of :class:`Case`: an answer computed
the way a student would (mostly plain pandas, the crmlab function where the exercise says to use
it), whether it must pass, and for a mistake the words its message must contain. Where the
exercise tells the student to call a slow crmlab function (lifecycle economics, k-means, the
dashboard), its result is shared with the check through ``once(ctx, ...)`` (the check session of
that student), so it is computed once. A mistake whose
answer equals the right one in this student's data does not exist for them (``exists=False``);
the test then counts on the other students. Figures are drawn here and described as data by
:func:`crmlab.checks._answers.describe_figure`, the form in which the grader hands them out.

Numbers are rounded the way the chapters print them in the ``rounded`` cases: the one rounding
policy of the checks says such an answer passes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from crmlab.checks._answers import describe_figure  # noqa: E402
from crmlab.checks._compare import once  # noqa: E402


@dataclass
class Case:
    check: str
    answer: Any
    ok: bool
    words: str = ""  # for a mistake: what its message must say
    exists: bool = True  # False: in this student's data the mistake gives the right answer
    label: str = ""  # a name for the case in failure reports

    @property
    def key(self) -> tuple[str, str]:
        return self.check, self.label or self.words or "right"


def _same(a: Any, b: Any) -> bool:
    """Whether two answers are the same (numbers to 1e-9, tables by value), so a mistake does not exist."""
    if isinstance(a, (int, float, np.number)) and isinstance(b, (int, float, np.number)):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, pd.Series) and isinstance(b, pd.Series):
        a2, b2 = a.rename(index=str).sort_index(), b.rename(index=str).sort_index()
        return a2.index.equals(b2.index) and np.allclose(a2.to_numpy(float), b2.to_numpy(float), rtol=1e-9)
    if isinstance(a, str) and isinstance(b, str):
        return a.strip().casefold() == b.strip().casefold()
    return False


def right(check: str, answer: Any, label: str = "right") -> Case:
    return Case(check, answer, True, label=label)


def wrong(check: str, answer: Any, words: str, correct: Any = None, label: str = "") -> Case:
    """A typical mistake; it exists only where it differs from ``correct``."""
    exists = correct is None or not _same(answer, correct)
    return Case(check, answer, False, words, exists, label or words)


def bars(
    values: pd.Series,
    *,
    title: str = "A chart",
    xlabel: str = "category",
    ylabel: str = "value (currency units)",
    horizontal: bool = False,
) -> dict:
    """Draw the bars the way a student does (pandas), and describe the figure as data."""
    fig, ax = plt.subplots()
    (values.plot.barh if horizontal else values.plot.bar)(ax=ax)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    d = describe_figure(ax)
    plt.close(fig)
    return d


def kept(orders: pd.DataFrame) -> pd.DataFrame:
    return orders.loc[~orders["returned"]]


# ---------------------------------------------------------------------------------- 00
def cases_00(d, ctx) -> list[Case]:
    ds = d["retail"]
    cu, o = ds.customers, ds.orders
    year = cu["signup_date"].dt.year
    n23 = int((year == 2023).sum())
    orders = o.groupby("channel", observed=True).size()
    revenue = kept(o).groupby("channel", observed=True)["amount"].sum()
    table = pd.DataFrame({"orders": orders, "revenue": revenue})
    table.index = table.index.astype(str)
    with_returns = o.groupby("channel", observed=True)["amount"].sum().rename(index=str)
    mean_kept = kept(o).groupby("channel", observed=True)["amount"].mean().rename(index=str)
    region = kept(o).merge(cu[["customer_id", "region"]], on="customer_id")
    by_region = region.groupby("region", observed=True)["amount"].sum()
    top = str(by_region.idxmax())
    return [
        right("signups_2023", n23),
        wrong("signups_2023", len(cu), "all customers", n23),
        wrong("signups_2023", int((year >= 2023).sum()), "2023 and later", n23),
        wrong("signups_2023", int((year == 2022).sum()), "another year", n23),
        right("orders_per_channel", table),
        right("orders_per_channel", table.round(2), "rounded"),
        wrong("orders_per_channel", table.assign(revenue=with_returns), "includes returned orders"),
        wrong("orders_per_channel", table.assign(revenue=mean_kept), "mean order value"),
        right("top_region", top),
        wrong("top_region", "nowhere", "not one of the possible answers"),
        right("channel_chart", bars(table["revenue"], ylabel="revenue (currency units)")),
        wrong("channel_chart", bars(table["orders"], ylabel="orders (currency units)"), "number of orders"),
        wrong("channel_chart", bars(with_returns), "include returned orders"),
        wrong("channel_chart", bars(table["revenue"], ylabel="revenue"), "unit"),
    ]


# ---------------------------------------------------------------------------------- 01
def cases_01(d, ctx) -> list[Case]:
    from crmlab.checks.ch01_what_is_crm import BENEFITS, STATEMENTS, damaged_orders, profiled_customer

    ds = d["retail"]
    who = profiled_customer(ds)
    mine = ds.orders[ds.orders["customer_id"] == who]
    contacts = ds.interactions[ds.interactions["customer_id"] == who]
    row = {
        "orders": len(mine),
        "revenue": float(kept(mine)["amount"].sum()),
        "complaints": int((contacts["kind"] == "complaint").sum()),
    }
    bad = damaged_orders(ds)
    problems = {
        "missing_amounts": int(bad["amount"].isna().sum()),
        "negative_amounts": int((bad["amount"] < 0).sum()),
        "future_dates": int((bad["order_date"] > ds.as_of).sum()),
        "duplicate_orders": int(bad["order_id"].duplicated().sum()),
    }
    labels = {k: kind for k, (_, kind) in STATEMENTS.items()}
    benefits = {k: kind for k, (_, kind) in BENEFITS.items()}
    return [
        right("customer_row", row),
        right("customer_row", {**row, "revenue": round(row["revenue"], 2)}, "rounded"),
        wrong("customer_row", {**row, "revenue": float(mine["amount"].sum())}, "includes returned orders"),
        wrong("customer_row", {**row, "orders": len(kept(mine))}, "left the returned orders out"),
        wrong("customer_row", {**row, "complaints": len(contacts)}, "every service contact"),
        wrong("customer_row", {**row, "revenue": float(kept(mine)["amount"].mean())}, "mean order value"),
        right("data_quality_counts", problems),
        wrong(
            "data_quality_counts",
            {**problems, "duplicate_orders": int(bad["order_id"].duplicated(keep=False).sum())},
            "both copies",
        ),
        wrong(
            "data_quality_counts",
            {**problems, "future_dates": int((bad["order_date"] > pd.Timestamp.today()).sum())},
            "compared the dates with today",
        ),
        right("marketing_types", labels),
        wrong("marketing_types", {k: "relationship" for k in labels}, "labelled wrongly"),
        wrong("marketing_types", {k: np.int64(0) for k in labels}, "not one of the labels"),
        right("info_base_benefits", benefits),
        wrong("info_base_benefits", {k: "short-term" for k in benefits}, "labelled wrongly"),
    ]


# ---------------------------------------------------------------------------------- 02
def cases_02(d, ctx) -> list[Case]:
    from crmlab.checks.ch02_customer_value import DESIGNS, OFFERS

    ds = d["retail"]
    s = OFFERS["Showroom"]
    tv = s["product"] + s["service"] + s["personnel"] + s["image"]
    tc = s["monetary"] + s["time"] + s["energy"] + s["psychic"]
    web = OFFERS["Web shop"]
    wv = web["product"] + web["service"] + web["personnel"] + web["image"]
    wc = web["monetary"] + web["time"] + web["energy"] + web["psychic"]
    by_diff = "Showroom" if tv - tc > wv - wc else "Web shop"
    by_ratio = "Showroom" if tv / tc > wv / wc else "Web shop"
    items = ds.survey_items
    g = items.groupby(items["attribute"].astype(str))
    imp, perf = g["importance"].mean(), g["perception"].mean()
    important, weak = imp >= imp.mean(), perf < perf.mean()
    concentrate = sorted(imp.index[important & weak])
    return [
        right("delivered_value", tv - tc),
        wrong("delivered_value", tv - s["monetary"], "only the price"),
        wrong("delivered_value", tc - tv, "sign is reversed"),
        wrong("delivered_value", tv, "total customer value"),
        right("value_ratio", tv / tc),
        right("value_ratio", round(tv / tc, 2), "rounded"),
        wrong("value_ratio", tc / tv, "divided cost by value"),
        wrong("value_ratio", (tv - tc) / tc, "delivered value"),
        wrong("value_ratio", tv / s["monetary"], "price only"),
        right("winner_by_difference", by_diff),
        wrong("winner_by_difference", by_ratio, "wins by ratio", by_diff),
        right("winner_by_ratio", by_ratio),
        wrong("winner_by_ratio", by_diff, "wins by difference", by_ratio),
        right("mean_importance", imp),
        right("mean_importance", imp.round(2), "rounded"),
        wrong("mean_importance", perf, "'perception' column"),
        wrong("mean_importance", g["importance"].sum(), "sums of the ratings"),
        wrong("mean_importance", g["importance"].median(), "medians"),
        right("concentrate_here", concentrate),
        wrong("concentrate_here", [str(imp.idxmax())], "only the most important"),
        wrong("concentrate_here", sorted(perf.index[weak]), "unimportant ones"),
        wrong("concentrate_here", sorted(imp.index[important]), "already does well"),
        right("importance_chart", bars(imp.sort_values(), horizontal=True, xlabel="mean importance (1-7 scale)")),
        wrong("importance_chart", bars(perf, xlabel="attribute", ylabel="mean (1-7 scale)"), "performance"),
        wrong("importance_chart", bars(imp, ylabel="mean importance"), "unit"),
        right("design_principles", {k: p for k, (_, p) in DESIGNS.items()}),
        wrong("design_principles", {"A": 2, "B": 1, "C": 3, "D": 4}, "labelled wrongly"),
    ]


# ---------------------------------------------------------------------------------- 03
def _top(values: pd.Series, share: float = 0.2) -> float:
    v = values.sort_values(ascending=False)
    return float(v.iloc[: int(share * len(v))].sum() / v.sum())


def cases_03(d, ctx) -> list[Case]:
    from crmlab import plots, segmentation
    from crmlab.checks.ch03_segmentation import VARIABLES

    ds = d["retail"]
    o = ds.orders
    rev = kept(o).groupby("customer_id")["amount"].sum()
    rev = rev[rev > 0]
    rev_all = o.groupby("customer_id")["amount"].sum()
    top = _top(rev)
    bottom = float(rev.sort_values().iloc[: int(0.2 * len(rev))].sum() / rev.sum())
    fig, ax = plt.subplots()
    plots.plot_pareto(segmentation.pareto_table(rev), ax=ax)
    pareto = describe_figure(ax)
    plt.close(fig)
    fig, ax = plt.subplots()
    lorenz = rev.sort_values().cumsum() / rev.sum()
    ax.plot(np.arange(1, len(rev) + 1) / len(rev), lorenz.to_numpy())
    ax.set(title="Revenue curve", xlabel="share of customers", ylabel="share of revenue")
    ascending = describe_figure(ax)
    plt.close(fig)
    classes = segmentation.abc_classes(rev, thresholds=(0.8, 0.95))["class"].astype(str)
    counts = classes.value_counts().reindex(["A", "B", "C"])
    n = int(counts.sum())
    by_customers = pd.Series([round(0.2 * n), round(0.3 * n), n - round(0.2 * n) - round(0.3 * n)], index=counts.index)
    from crmlab.checks.ch03_segmentation import _kmeans

    profile = _kmeans(ctx).profile  # k-means with the exercise's settings, shared with the check
    big = int(profile["mean_order_value"].idxmax())
    shares = profile.loc[big, [c for c in profile.columns if c.startswith("share_cat_")]]
    category = str(shares.idxmax()).removeprefix("share_cat_")
    return [
        right("top20_share", top),
        right("top20_share", round(top, 3), "rounded"),
        wrong("top20_share", _top(rev_all), "includes returned orders"),
        wrong("top20_share", bottom, "bottom"),
        wrong("top20_share", 100 * top, "percentage"),
        wrong("top20_share", 0.2, "share of customers"),
        right("pareto_figure", pareto),
        wrong("pareto_figure", {**pareto, "title": ""}, "no title"),
        wrong("pareto_figure", ascending, "Lorenz curve"),
        right("abc_counts", counts),
        wrong("abc_counts", counts + pd.Series([-1, 1, 0], index=counts.index), "crosses the 80 % line"),
        wrong("abc_counts", by_customers, "share of customers", counts),
        right("big_basket_segment", big),
        right("big_basket_segment", f"segment {big}", "named"),
        wrong("big_basket_segment", str(big % 4 + 1), "numbered by size"),
        right("big_basket_category", category),
        right("big_basket_category", f"share_cat_{category}", "column name"),
        right("variable_kinds", dict(VARIABLES)),
        wrong("variable_kinds", {**VARIABLES, "region": "demographic"}, "labelled wrongly"),
        right("target_segment", "premium home"),
        wrong("target_segment", "young online", "most attractive"),
        wrong("target_segment", "seniors in town", "fits the firm best"),
        wrong("target_segment", "families", "unweighted"),
    ]


# ---------------------------------------------------------------------------------- 04
def cases_04(d, ctx) -> list[Case]:
    from crmlab import rfm

    ds = d["retail"]
    k = kept(ds.orders).groupby("customer_id")
    table = pd.DataFrame(
        {
            "recency_days": (ds.as_of - k["order_date"].max()).dt.days,
            "frequency": k.size(),
            "monetary": k["amount"].sum(),
        }
    )
    a = ds.orders.groupby("customer_id")
    with_returns = pd.DataFrame(
        {
            "recency_days": (ds.as_of - a["order_date"].max()).dt.days,
            "frequency": a.size(),
            "monetary": a["amount"].sum(),
        }
    )
    scores = rfm.score(rfm.rfm_table(ds.orders, as_of=ds.as_of))
    seg = rfm.segment(scores).astype(str)
    champ = seg == "Champions"
    share = float(scores.loc[champ, "monetary"].sum() / scores["monetary"].sum())
    return [
        right("rfm_table", table),
        right("rfm_table", table.round(2), "rounded"),
        wrong("rfm_table", table.assign(recency_days=table["recency_days"] + 1), "exactly 1 day more"),
        wrong("rfm_table", with_returns, "counts returned orders"),
        wrong("rfm_table", table.assign(monetary=k["amount"].mean()), "mean spend per order"),
        right("rfm_scores", scores[["R", "F", "M"]]),
        wrong("rfm_scores", scores[["R", "F", "M"]].assign(R=6 - scores["R"]), "wrong way"),
        wrong(
            "rfm_scores",
            rfm.score(rfm.rfm_table(ds.orders, as_of=ds.as_of), method="quantile")[["R", "F", "M"]],
            "quantile scores",
        ),
        right("n_champions", int(champ.sum())),
        wrong("n_champions", int((scores["RFM"] == "555").sum()), "code 555", int(champ.sum())),
        wrong("n_champions", int((scores["R"] == 5).sum()), "every customer with R = 5", int(champ.sum())),
        right("champions_spend_share", share),
        right("champions_spend_share", round(share, 3), "rounded"),
        wrong("champions_spend_share", float(champ.mean()), "share of *customers*"),
        wrong("champions_spend_share", 100 * share, "percentage"),
    ]


# ---------------------------------------------------------------------------------- 06
def cases_06(d, ctx) -> list[Case]:
    from crmlab import lifecycle
    from crmlab.checks.ch06_customer_lifecycle import stage_counts, stage_economics

    ds = d["retail"]
    counts = once(ctx, "stages", lambda: stage_counts(ds)).rename(None)
    at_end = once(ctx, "stages_end", lambda: stage_counts(ds, ds.as_of)).rename(None)
    p = lifecycle.classify_patterns(ds.orders, as_of=ds.as_of)
    ended = p.loc[p["ended"], "pattern"].astype(str)
    share_a = float((ended == "A").mean())
    truth = ds.truth["true_pattern"].astype(str)
    io = once(ctx, "economics", lambda: stage_economics(ds))
    row = io["full"].loc["exploration"]
    no_acq, no_srv, margin = (io[k].loc["exploration"] for k in ("no_acquisition", "no_service", "margin_only"))
    net = float(row["net_per_customer"])
    return [
        right("stage_counts", counts),
        right("stage_counts", counts[counts > 0], "value_counts"),
        wrong("stage_counts", at_end, "end of the data", counts),
        wrong("stage_counts", counts / counts.sum(), "shares of customers"),
        right("share_pattern_a", share_a),
        right("share_pattern_a", round(share_a, 3), "rounded"),
        wrong("share_pattern_a", 100 * share_a, "percentage"),
        wrong("share_pattern_a", float((ended == "A").sum()), "number of pattern-A"),
        wrong("share_pattern_a", float((p["pattern"].astype(str) == "A").mean()), "active ones too"),
        wrong("share_pattern_a", float((truth[truth != "active"] == "A").mean()), "true patterns"),
        right("net_per_explorer", net),
        right("net_per_explorer", round(net, 2), "rounded"),
        wrong("net_per_explorer", float(row["net_per_customer_month"]), "customer-month"),
        wrong("net_per_explorer", float(row["net"]), "total net"),
        wrong("net_per_explorer", float(no_acq["net_per_customer"]), "leaves out the acquisition cost"),
        wrong("net_per_explorer", float(no_srv["net_per_customer"]), "leaves out the service contacts"),
        wrong("net_per_explorer", float(margin["net_per_customer"]), "leaves out both"),
        right("stage_chart", bars(counts, ylabel="customers")),
        wrong("stage_chart", bars(counts / counts.sum(), ylabel="share"), "shares of customers"),
        wrong("stage_chart", bars(at_end, ylabel="customers"), "end of the data", bars(counts, ylabel="customers")),
    ]


# ---------------------------------------------------------------------------------- 07
def cases_07(d, ctx) -> list[Case]:
    from crmlab import relationship
    from crmlab.checks.ch07_relationship_development import DISCOUNT, REWARDS

    ds = d["retail"]
    tp = ds.truth_phases.sort_values(["customer_id", "month"])
    phase = tp["phase"].astype(str)
    nxt = phase.groupby(tp["customer_id"]).shift(-1)
    phases = list(relationship.PHASES)
    moves = nxt[(phase == "exploration") & nxt.notna()].value_counts().reindex(phases, fill_value=0)
    row = moves / moves.sum()
    no_group = phase.shift(-1)[phase == "exploration"].dropna().value_counts(normalize=True)
    row_shares = phase.value_counts(normalize=True).reindex(phases, fill_value=0.0)
    into = nxt[nxt == "exploration"].groupby(phase[nxt == "exploration"]).size().reindex(phases, fill_value=0)
    tm = relationship.transition_matrix(ds.truth_phases)
    t = float(relationship.expected_time_to_absorption(tm)["expansion"])
    pe = tm.probabilities.loc["expansion"]
    clv = relationship.markov_clv(tm, REWARDS, DISCOUNT)
    gain = float(clv["expansion"] - clv["exploration"])
    chart = bars(clv.drop("dissolution"), ylabel="value (currency units)")
    return [
        right("exploration_row", row),
        right("exploration_row", row.round(3), "rounded"),
        right("exploration_row", row[row > 0], "value_counts"),
        wrong("exploration_row", moves.astype(float), "numbers of moves"),
        wrong("exploration_row", no_group.reindex(phases, fill_value=0.0), "across customers", row),
        wrong("exploration_row", row_shares, "shares of all rows"),
        wrong("exploration_row", into / into.sum(), "*into* exploration", row),
        right("months_to_dissolution", t),
        right("months_to_dissolution", round(t, 2), "rounded"),
        wrong("months_to_dissolution", t - 1, "one month short"),
        wrong("months_to_dissolution", 1 / pe["dissolution"], "1 / P(dissolve)", t),
        wrong("months_to_dissolution", 1 / (1 - pe["expansion"]), "in expansion only", t),
        right("clv_by_phase", clv),
        right("clv_by_phase", clv.round(2), "rounded"),
        wrong("clv_by_phase", relationship.markov_clv(tm, REWARDS, 0.0), "not discounted"),
        wrong("clv_by_phase", relationship.markov_clv(tm, REWARDS, 0.12), "12% per month"),
        wrong("clv_by_phase", clv - clv.index.map(REWARDS).to_numpy(dtype=float), "current month's reward"),
        right("max_onboarding_spend", gain),
        right("max_onboarding_spend", round(gain, 2), "rounded"),
        wrong("max_onboarding_spend", -gain, "wrong way round"),
        wrong("max_onboarding_spend", float(clv["expansion"]), "whole value"),
        wrong("max_onboarding_spend", float(clv["commitment"] - clv["exploration"]), "to commitment"),
        right("clv_chart", chart),
        right("clv_chart", bars(clv.round(2), ylabel="value (currency units)"), "rounded"),
        wrong("clv_chart", bars(relationship.markov_clv(tm, REWARDS, 0.0).drop("dissolution")), "not discounted"),
    ]


# ---------------------------------------------------------------------------------- 08
def cases_08(d, ctx) -> list[Case]:
    from crmlab import satisfaction
    from crmlab.checks.ch08_satisfaction_and_complaints import IPA_ATTRIBUTE

    ds = d["retail"]
    v = ds.surveys["recommend"].astype(float)

    def pts(pro, det):
        return float(100 * (pro.mean() - det.mean()))

    nps = pts(v >= 9, v <= 6)
    items = ds.survey_items
    g = items.groupby(items["attribute"].astype(str))
    perc, expc = g["perception"].mean(), g["expectation"].mean()
    gap = perc - expc
    worst = str(gap.idxmin())
    ipa = satisfaction.importance_performance(items)
    mid = satisfaction.importance_performance(items, crosshair="midpoint")
    row = ipa.loc[IPA_ATTRIBUTE]
    hi_imp = row["importance"] >= ipa["importance"].mean()
    hi_perf = row["performance"] >= ipa["performance"].mean()
    swapped = satisfaction.IPA_QUADRANTS[(bool(hi_perf), bool(hi_imp))]
    inter = ds.interactions
    comp = inter[inter["kind"] == "complaint"]
    t = comp.groupby(comp["topic"].astype(str)).agg(
        share_resolved=("resolved", "mean"), median_hours=("resolution_hours", "median")
    )
    everything = inter.groupby(inter["topic"].astype(str)).agg(
        share_resolved=("resolved", "mean"), median_hours=("resolution_hours", "median")
    )
    mean_h = comp.groupby(comp["topic"].astype(str))["resolution_hours"].mean()
    return [
        right("nps", nps),
        right("nps", round(nps, 1), "rounded"),
        wrong("nps", nps / 100, "share between -1 and 1"),
        wrong("nps", -nps, "wrong sign", nps),
        wrong("nps", pts(v >= 9, v <= 5), "0-5"),
        wrong("nps", pts(v >= 7, v <= 6), "7 and 8 as promoters"),
        wrong("nps", pts(v >= 8, v <= 6), "8 as a promoter"),
        wrong("nps", pts(v >= 9, v <= 8), "passives (7-8) as detractors"),
        wrong("nps", float(100 * (v >= 9).mean()), "promoters only"),
        wrong("nps", float(v.mean()), "mean answer"),
        right("worst_gap", worst),
        wrong("worst_gap", str(gap.idxmax()), "*positive*"),
        wrong("worst_gap", str(perc.idxmin()), "lowest perception", worst),
        wrong("worst_gap", str(expc.idxmax()), "highest expectation", worst),
        right("ipa_quadrant", str(row["quadrant"])),
        wrong("ipa_quadrant", str(mid.loc[IPA_ATTRIBUTE, "quadrant"]), "scale midpoint", str(row["quadrant"])),
        wrong("ipa_quadrant", swapped, "swapped", str(row["quadrant"])),
        right("complaint_handling", t),
        right("complaint_handling", t.round(2), "rounded"),
        wrong("complaint_handling", everything, "include the inquiries"),
        wrong("complaint_handling", t.assign(median_hours=mean_h), "mean time"),
        wrong("complaint_handling", t.assign(share_resolved=100 * t["share_resolved"]), "in percent"),
        right("gap_chart", bars(gap.sort_values(), horizontal=True, xlabel="perception - expectation (points)")),
        wrong("gap_chart", bars(perc), "mean perception"),
        wrong("gap_chart", bars(-gap), "wrong sign"),
    ]


# ---------------------------------------------------------------------------------- 09
def cases_09(d, ctx) -> list[Case]:
    from crmlab import loyalty
    from crmlab.checks.ch09_loyalty_retention_churn import early_warning, economics, programme, retention_inputs

    ds = d["retail"]
    o = ds.orders
    q = o["order_date"].dt.to_period("Q")
    first = q.groupby(o["customer_id"]).transform("min")
    start = set(o.loc[q == pd.Period("2024Q2"), "customer_id"])
    end = set(o.loc[q == pd.Period("2024Q3"), "customer_id"])
    new = set(o.loc[first == pd.Period("2024Q3"), "customer_id"])
    churn = 1 - (len(end) - len(new)) / len(start)
    risk, _ = once(ctx, "risk", lambda: early_warning(o, ds.as_of))  # the exercise's loyalty.at_risk call
    early = risk[risk["ratio"] <= 2]
    n = len(early)
    value = once(ctx, "programme", lambda: programme(ds))[1]
    at_risk_value = value.reindex(early.index).fillna(0.0).sum()
    all_value = value.reindex(risk.index).fillna(0.0).sum()
    saved, cost = 5 / 100 * at_risk_value, n * 1.5 * 5
    net = float(saved - cost)
    be = float(at_risk_value / (100 * n))
    lost = set(risk.index[risk["ratio"] > 2])
    c = ds.interactions[ds.interactions["kind"] == "complaint"]
    pairs = c[["topic", "customer_id"]].astype(str).drop_duplicates()
    lost_share = pairs["customer_id"].isin(lost).groupby(pairs["topic"]).mean()
    per_complaint = c["customer_id"].isin(lost).groupby(c["topic"].astype(str)).mean()
    all_risk = pairs["customer_id"].isin(set(risk.index)).groupby(pairs["topic"]).mean()
    attitude = ds.surveys.groupby("customer_id")["attitude"].mean()
    recent = o[o["order_date"] > ds.as_of - pd.Timedelta(days=365)]
    patronage = recent.groupby("customer_id").size().reindex(attitude.index, fill_value=0)
    kinds = loyalty.loyalty_matrix(attitude, patronage, attitude_cut=5, patronage_cut="median")["loyalty"]
    counts = kinds.astype(str).value_counts()
    every = o.groupby("customer_id").size().reindex(attitude.index, fill_value=0)
    counts_all = loyalty.loyalty_matrix(attitude, every, attitude_cut=5, patronage_cut="median")["loyalty"]
    x = retention_inputs(ds)
    econ = loyalty.retention_economics(
        x["retention"], x["margin"], 0.10, gain_points=2, acquisition_cost=x["acquisition_cost"], period="year"
    )
    gain = float(econ.loc["change_%", "profit"])
    return [
        right("churn_q3", churn),
        right("churn_q3", round(churn, 3), "rounded"),
        wrong("churn_q3", 1 - len(end) / len(start), "new customers of the quarter as retained"),
        wrong("churn_q3", 1 - len(start & end) / len(start), "strict churn"),
        wrong("churn_q3", 1 - churn, "retention rate"),
        wrong("churn_q3", 100 * churn, "in percent"),
        right("n_at_risk", n),
        wrong("n_at_risk", len(risk), "lost long ago"),
        wrong("n_at_risk", int((risk["days_past"] <= 2).sum()), "not days_past", n),
        right("net_benefit", net),
        right("net_benefit", round(net, 2), "rounded"),
        wrong("net_benefit", float(saved), "CLV saved only"),
        wrong("net_benefit", float(saved - 1.5 * 5), "one customer only"),
        wrong("net_benefit", float(100 * saved - cost), "5/100 of the value"),
        wrong("net_benefit", float(saved - cost / 5), "multiply by the 5 points"),
        wrong("net_benefit", float(5 / 100 * all_value - len(risk) * 1.5 * 5), "everyone past their warning point"),
        right("break_even_cost", be),
        right("break_even_cost", round(be, 2), "rounded"),
        wrong("break_even_cost", float(at_risk_value / n), "mean CLV"),
        wrong("break_even_cost", float(at_risk_value / 100), "whole list"),
        wrong("break_even_cost", float(all_value / (100 * len(risk))), "everyone past their warning point"),
        wrong("break_even_cost", be - 1.5, "above today's 1.5"),
        right("lost_share_by_topic", lost_share),
        right("lost_share_by_topic", lost_share.round(3), "rounded"),
        wrong("lost_share_by_topic", per_complaint, "counted complaints", lost_share),
        wrong("lost_share_by_topic", all_risk, "everyone past their warning point"),
        wrong(
            "lost_share_by_topic",
            pairs["customer_id"].isin(lost).groupby(pairs["topic"]).sum().astype(float),
            "numbers of lost customers",
        ),
        right("loyalty_chart", bars(counts, ylabel="customers")),
        wrong("loyalty_chart", bars(counts / counts.sum(), ylabel="share"), "shares"),
        wrong(
            "loyalty_chart",
            bars(counts_all.astype(str).value_counts(), ylabel="customers"),
            "every year",
            bars(counts, ylabel="customers"),
        ),
        right("profit_gain_2pts", gain),
        right("profit_gain_2pts", round(gain, 1), "rounded"),
        wrong("profit_gain_2pts", float(economics(ds, 0.02).loc["change_%", "profit"]), "as a share (0.02)"),
        wrong("profit_gain_2pts", float(econ.loc["change", "profit"]), "in currency units"),
        wrong("profit_gain_2pts", float(econ.loc["change_%", "clv"]), "CLV of one customer"),
        wrong("profit_gain_2pts", float(econ.loc["change_%", "steady_state_customers"]), "number of customers"),
        wrong("profit_gain_2pts", gain / 100, "in percent, as the row"),
    ]


# ---------------------------------------------------------------------------------- 10
def cases_10(d, ctx) -> list[Case]:
    from crmlab import acquisition
    from crmlab.checks.ch10_acquisition_and_development import ACTIONS

    ds, b2b = d["retail"], d["b2b"]
    cu = ds.customers
    social = cu[cu["acquisition_channel"] == "social"]
    acq = float(social["acquisition_cost"].sum() / len(social))
    bo = b2b.orders[b2b.orders["order_date"].dt.year == 2024]
    spend = kept(bo).groupby("account_id")["amount"].sum()
    wallet = b2b.wallets[b2b.wallets["year"] == 2024].set_index("account_id")["category_spend"]
    sow = spend / wallet.reindex(spend.index)
    spend_r = bo.groupby("account_id")["amount"].sum().reindex(spend.index)
    total_wallet = float(wallet.sum())
    wallet_before = b2b.wallets[b2b.wallets["year"] == 2023].set_index("account_id")["category_spend"]
    k = kept(ds.orders)
    bought = k.groupby([k["customer_id"], k["category"].astype(str)]).size().unstack(fill_value=0) > 0
    both = bought["beauty"] & bought["household"]
    lift = float(both.mean() / (bought["beauty"].mean() * bought["household"].mean()))
    o = ds.orders
    allb = o.groupby([o["customer_id"], o["category"].astype(str)]).size().unstack(fill_value=0) > 0
    lift_r = float((allb["beauty"] & allb["household"]).mean() / (allb["beauty"].mean() * allb["household"].mean()))
    q = acquisition.acquisition_quality(cu, ds.orders, as_of=ds.as_of).drop(index="all")
    q.index = q.index.astype(str)
    cut = str(q["acquisition_equity"].idxmin())
    per = k.groupby("customer_id")["amount"].agg(orders="size", aov="mean")
    cand = per[(per["orders"] >= per["orders"].median()) & (per["aov"] < 0.75 * per["aov"].median())]
    upsell = float(((per["aov"].median() - cand["aov"]) * cand["orders"]).sum())
    per_r = ds.orders.groupby("customer_id")["amount"].agg(orders="size", aov="mean")
    cand_r = per_r[(per_r["orders"] >= per_r["orders"].median()) & (per_r["aov"] < 0.75 * per_r["aov"].median())]
    cand_m = per[(per["orders"] >= per["orders"].mean()) & (per["aov"] < 0.75 * per["aov"].mean())]
    jobs = {key: job for key, (_, job) in ACTIONS.items()}
    return [
        right("acq_cost_social", acq),
        right("acq_cost_social", round(acq, 2), "rounded"),
        wrong("acq_cost_social", float(social["acquisition_cost"].sum() / len(cu)), "by all customers"),
        wrong("acq_cost_social", float(social["acquisition_cost"].sum()), "total acquisition spend"),
        wrong("acq_cost_social", float(cu["acquisition_cost"].mean()), "over all channels"),
        right("sow_2024", sow),
        right("sow_2024", sow.round(3), "rounded"),
        wrong("sow_2024", spend_r / wallet.reindex(spend.index), "returned orders as spend", sow),
        wrong("sow_2024", spend / total_wallet, "wallets of all accounts"),
        wrong("sow_2024", spend / wallet_before.reindex(spend.index), "category spend of 2023"),
        wrong("sow_2024", 100 * sow, "in percent"),
        right("lift_pair", lift),
        right("lift_pair", round(lift, 3), "rounded"),
        wrong("lift_pair", float(both.sum() / bought["beauty"].sum()), "confidence"),
        wrong("lift_pair", float(both.mean()), "support"),
        wrong("lift_pair", float(both.sum()), "number of customers who bought both"),
        wrong("lift_pair", lift_r, "counts returned orders", lift),
        wrong("lift_pair", 0.0, "count per customer"),
        right("cut_channel", cut),
        wrong("cut_channel", str(q["acquisition_cost"].idxmax()), "highest acquisition cost", cut),
        wrong("cut_channel", str(q["acquisition_equity"].idxmax()), "highest acquisition equity"),
        right("cost_chart", bars(q["acquisition_cost"], ylabel="currency units per customer")),
        wrong("cost_chart", bars(q["acquisition_equity"], ylabel="currency units per customer"), "acquisition equity"),
        wrong("cost_chart", bars(q["acquisition_cost"], ylabel="cost per customer"), "unit"),
        right("upsell_potential", upsell),
        right("upsell_potential", round(upsell, 2), "rounded"),
        wrong("upsell_potential", len(cand), "number of candidates"),
        wrong(
            "upsell_potential",
            float(((per_r["aov"].median() - cand_r["aov"]) * cand_r["orders"]).sum()),
            "include returned ones",
            upsell,
        ),
        wrong(
            "upsell_potential", float(((per["aov"].mean() - cand_m["aov"]) * cand_m["orders"]).sum()), "median customer"
        ),
        wrong("upsell_potential", float((per["aov"].median() - cand["aov"]).sum()), "gap per order only"),
        right("identify_win_keep", jobs),
        wrong("identify_win_keep", {**jobs, "B": "win"}, "labelled wrongly"),
    ]


# ---------------------------------------------------------------------------------- 11
def cases_11(d, ctx) -> list[Case]:
    from crmlab import dashboard
    from crmlab.checks.ch11_crm_in_practice import TARGETS

    ds = d["retail"]
    o = ds.orders
    y = o["order_date"].dt.year == 2024
    rev = kept(o[y]).groupby("customer_id")["amount"].sum()
    rev = rev[rev > 0]
    top = _top(rev)
    rev_all = kept(o).groupby("customer_id")["amount"].sum()
    rev_r = o[y].groupby("customer_id")["amount"].sum()
    bottom = float(rev.sort_values().iloc[: int(0.2 * len(rev))].sum() / rev.sum())
    s = ds.surveys
    v = s.loc[s["survey_date"].dt.year == 2024, "recommend"]
    nps = float(100 * ((v >= 9).mean() - (v <= 6).mean()))
    va = s["recommend"]
    kpi = once(ctx, "kpi", lambda: dashboard.kpi_dashboard(ds))
    missed = []
    for name, (direction, target) in TARGETS.items():
        value = float(kpi.loc[name, "value"])
        if (direction == "at most" and value > target) or (direction == "at least" and value < target):
            missed.append(name)
    all_years = _top(rev_all[rev_all > 0])
    flip = [m for m in missed if m != "top20_share"] + (
        ["top20_share"] if all_years > TARGETS["top20_share"][1] else []
    )
    return [
        right("top20_kpi_year", top),
        right("top20_kpi_year", round(top, 3), "rounded"),
        wrong("top20_kpi_year", all_years, "over all years"),
        wrong("top20_kpi_year", _top(rev_r[rev_r > 0]), "includes returned orders"),
        wrong("top20_kpi_year", 100 * top, "percentage"),
        wrong("top20_kpi_year", bottom, "bottom"),
        right("nps_2024", nps),
        right("nps_2024", round(nps, 1), "rounded"),
        wrong("nps_2024", float(100 * ((va >= 9).mean() - (va <= 6).mean())), "every year"),
        wrong("nps_2024", nps / 100, "is a share"),
        wrong("nps_2024", float(100 * ((v >= 8).mean() - (v <= 6).mean())), "7 and 8 are passives"),
        wrong("nps_2024", float(100 * ((v >= 9).mean() - (v <= 5).mean())), "not 0 to 5"),
        wrong("nps_2024", float(100 * ((v >= 9).mean() - (v <= 8).mean())), "neither promoters nor detractors"),
        wrong("nps_2024", float(v.mean()), "mean answer"),
        right("missed_targets", missed),
        wrong("missed_targets", [t for t in TARGETS if t not in missed], "meet their target"),
        Case("missed_targets", flip, False, "over all years", set(flip) != set(missed), "top20 all years"),
    ]


CASES: dict[str, Callable[[dict, Any], list[Case]]] = {
    "00_start_here": cases_00,
    "01_what_is_crm": cases_01,
    "02_customer_value": cases_02,
    "03_segmentation": cases_03,
    "04_rfm": cases_04,
    "06_customer_lifecycle": cases_06,
    "07_relationship_development": cases_07,
    "08_satisfaction_and_complaints": cases_08,
    "09_loyalty_retention_churn": cases_09,
    "10_acquisition_and_development": cases_10,
    "11_crm_in_practice": cases_11,
}
