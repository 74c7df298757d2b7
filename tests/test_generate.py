"""The synthetic customer information base: determinism, schema, and the realism chapters rely on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmlab._generate import PHASES, generate_tables
from crmlab._schema import DATASETS

KEY = {"retail": "customer_id", "b2b": "account_id"}
PEOPLE = {"retail": "customers", "b2b": "accounts"}
ALLOWED_MISSING = {("truth", "churn_date"), ("interactions", "satisfaction_after")}
CSV = dict(index=False, float_format="%.2f", date_format="%Y-%m-%d", lineterminator="\n")


@pytest.fixture(scope="module")
def retail():
    return generate_tables("retail", n_customers=3000, seed=2024)


@pytest.fixture(scope="module")
def b2b():
    return generate_tables("b2b", n_customers=400, seed=2025)


@pytest.fixture(scope="module")
def tables(retail, b2b):
    return {"retail": retail, "b2b": b2b}


def csv_bytes(tables: dict) -> dict:
    return {name: df.to_csv(**CSV).encode() for name, df in tables.items()}


# ---------------------------------------------------------------- determinism
@pytest.mark.parametrize("name", ["retail", "b2b"])
def test_same_seed_same_tables_and_same_csv_bytes(name):
    a = generate_tables(name, n_customers=200, seed=11)
    b = generate_tables(name, n_customers=200, seed=11)
    for table in a:
        pd.testing.assert_frame_equal(a[table], b[table])
    assert csv_bytes(a) == csv_bytes(b)


@pytest.mark.parametrize("name", ["retail", "b2b"])
def test_another_seed_gives_other_data(name):
    a = generate_tables(name, n_customers=200, seed=11)
    c = generate_tables(name, n_customers=200, seed=12)
    assert not a["orders"]["amount"].equals(c["orders"]["amount"])
    assert not a["truth"]["true_pattern"].equals(c["truth"]["true_pattern"])


def test_money_is_rounded_to_cents_so_the_csv_round_trips(retail):
    for table, col in [("orders", "amount"), ("orders", "gross_margin"), ("customers", "acquisition_cost")]:
        x = retail[table][col].to_numpy()
        assert np.array_equal(x, np.round(x, 2)), f"{table}.{col}"


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "cdnow"},
        {"name": "Retail"},
        {"name": "b2b", "start": "2024-01-01", "end": "2023-12-31"},
        {"name": "retail", "start": "2024-01-01", "end": "2024-01-01"},
    ],
)
def test_refuses_unknown_names_and_empty_windows(bad):
    kwargs = {"n_customers": 10, "seed": 1, **bad}
    with pytest.raises(ValueError, match="retail' or 'b2b|must end after it starts"):
        generate_tables(kwargs.pop("name"), **kwargs)


# ---------------------------------------------------------------- schema
@pytest.mark.parametrize("name", ["retail", "b2b"])
def test_every_table_column_and_dtype_of_the_data_dictionary(tables, name):
    out, spec = tables[name], DATASETS[name]["tables"]
    assert list(out) == list(spec)
    for table, tspec in spec.items():
        df = out[table]
        assert list(df.columns) == list(tspec["columns"]), table
        assert len(df) > 0, table
        for col, (kind, dtype, _unit, _meaning) in tspec["columns"].items():
            assert str(df[col].dtype) == dtype, f"{table}.{col}: {df[col].dtype} != {dtype}"
            if (table, col) not in ALLOWED_MISSING:
                assert not df[col].isna().any(), f"{table}.{col} has missing values"
            if kind in ("nonneg", "positive"):
                assert (df[col] >= 0).all() and (kind == "nonneg" or (df[col] > 0).all()), f"{table}.{col}"
        key = tspec["key"]
        if key:
            assert not df.duplicated(subset=[key] if isinstance(key, str) else key).any(), f"{table} key repeats"


@pytest.mark.parametrize(
    "name, pattern",
    [
        ("retail", {"customers": r"R\d{5}", "orders": r"RO\d{6}", "interactions": r"RI\d{6}", "surveys": r"RS\d{6}"}),
        ("b2b", {"accounts": r"B\d{4}", "orders": r"BO\d{6}", "activities": r"BA\d{6}", "interactions": r"BI\d{6}"}),
    ],
)
def test_ids_have_their_documented_form_and_follow_the_sort_order(tables, name, pattern):
    out = tables[name]
    for table, regex in pattern.items():
        ids = out[table].iloc[:, 0]
        assert ids.str.fullmatch(regex).all(), table
        assert ids.is_monotonic_increasing, table
    for table, date in [("orders", "order_date"), ("interactions", "date")]:
        assert out[table][date].is_monotonic_increasing, table
    assert out[PEOPLE[name]][KEY[name]].iloc[0] == ("R00001" if name == "retail" else "B0001")


def test_missing_values_only_where_documented(tables):
    for name, out in tables.items():
        truth = out["truth"]
        assert (truth["churn_date"].isna() == (truth["true_pattern"] == "active")).all(), name
        inter = out["interactions"]
        missing = inter["satisfaction_after"].isna()
        assert (inter.loc[missing, "kind"] == "inquiry").all(), name
        assert 0 < missing[inter["kind"] == "inquiry"].mean() < 0.2, name


@pytest.mark.parametrize("name", ["retail", "b2b"])
def test_every_event_lies_inside_its_relationship(tables, name):
    out, key = tables[name], KEY[name]
    people = out[PEOPLE[name]].set_index(key)
    end = pd.Timestamp(DATASETS[name]["as_of"])
    stop = out["truth"].set_index(key)["churn_date"].fillna(end)
    for table, date in [("orders", "order_date"), ("interactions", "date")] + (
        [("surveys", "survey_date")] if name == "retail" else [("activities", "date")]
    ):
        df = out[table]
        signup = people["signup_date"].reindex(df[key]).to_numpy()
        last = stop.reindex(df[key]).to_numpy()
        d = df[date].to_numpy()
        assert (d >= signup).all(), f"{table} before sign-up"
        assert (d <= last).all(), f"{table} after churn_date"
    assert out["orders"][key].nunique() == len(people), "every customer orders at least once"
    orders = out["orders"]
    assert (orders["amount"] >= 0).all() and (orders["gross_margin"] < orders["amount"]).all()


# ---------------------------------------------------------------- lifecycle truth
@pytest.mark.parametrize("name", ["retail", "b2b"])
def test_every_lifecycle_pattern_is_present_in_a_plausible_mix(tables, name):
    share = tables[name]["truth"]["true_pattern"].value_counts(normalize=True)
    for pattern in ["A", "B", "C", "D"]:
        assert 0.05 <= share[pattern] <= 0.35, (pattern, share[pattern])
    assert 0.3 <= share["active"] <= 0.55


@pytest.mark.parametrize("name", ["retail", "b2b"])
def test_patterns_can_be_read_from_the_orders_by_a_transparent_rule(tables, name):
    # Months from the first to the last order month: A <= 3, B <= 9, C <= 17, D longer.
    out, key = tables[name], KEY[name]
    truth = out["truth"].set_index(key)["true_pattern"].astype(str)
    months = out["orders"]["order_date"].dt.year * 12 + out["orders"]["order_date"].dt.month
    span = months.groupby(out["orders"][key]).agg(lambda m: m.max() - m.min() + 1)
    ended = truth[truth != "active"]
    span = span.reindex(ended.index)
    rule = np.select([span <= 3, span <= 9, span <= 17], ["A", "B", "C"], "D")
    assert (rule == ended.to_numpy()).mean() >= 0.8


@pytest.mark.parametrize("name", ["retail", "b2b"])
def test_phases_are_month_ends_that_never_go_back(tables, name):
    out, key = tables[name], KEY[name]
    ph = out["truth_phases"]
    assert ph["month"].dt.is_month_end.all()
    assert list(ph["phase"].cat.categories) == PHASES
    code = ph["phase"].cat.codes
    assert (code.groupby(ph[key]).diff().dropna() >= 0).all()
    first = ph.groupby(key)["month"].min()
    signup = out[PEOPLE[name]].set_index(key)["signup_date"]
    assert (first.reindex(signup.index).dt.to_period("M") == signup.dt.to_period("M")).all()
    # ended relationships close with dissolution in the month after the churn month (if inside the window)
    truth = out["truth"].set_index(key)
    last = ph.groupby(key).tail(1).set_index(key)
    ended = truth.index[truth["true_pattern"] != "active"]
    assert (last.loc[ended, "phase"] == "dissolution").all()
    months = ph.groupby(key).size()
    assert months.max() <= 36


# ---------------------------------------------------------------- retail realism
def test_revenue_is_concentrated_in_the_top_fifth(retail):
    rev = retail["orders"].groupby("customer_id")["amount"].sum().sort_values(ascending=False)
    top = rev.iloc[: len(rev) // 5].sum() / rev.sum()
    assert 0.55 <= top <= 0.85
    assert 25_000 <= len(retail["orders"]) <= 50_000


def test_november_and_december_sell_more_per_day_than_the_year(retail):
    o = retail["orders"]
    for year, g in o.groupby(o["order_date"].dt.year):
        per_day = g["amount"].sum() / 365
        holiday = g.loc[g["order_date"].dt.month >= 11, "amount"].sum() / 61
        assert holiday > 1.1 * per_day, year


def test_returns_and_margins_are_plausible(retail):
    o = retail["orders"]
    assert 0.02 <= o["returned"].mean() <= 0.07
    assert (o.loc[o["returned"], "amount"] > 0).all()
    rate = o.groupby("category", observed=True).apply(lambda g: g["gross_margin"].sum() / g["amount"].sum())
    assert rate.between(0.15, 0.5).all() and rate.max() - rate.min() > 0.1


def test_acquisition_channels_differ_in_cost_and_quality(retail):
    c = retail["customers"].set_index("customer_id")
    cost = c.groupby("acquisition_channel", observed=True)["acquisition_cost"].median()
    assert list(cost.sort_values(ascending=False).index) == ["search", "social", "referral", "store", "email_list"]
    churned = retail["truth"].set_index("customer_id")["churn_date"].notna()
    by = churned.groupby(c["acquisition_channel"], observed=True).mean()
    assert by["social"] > by["referral"] + 0.05
    assert 0.05 <= (c["customer_type"] == "business").mean() <= 0.11


def churn_by_recovery(out: dict, key: str) -> pd.Series:
    """Churn share of non-complainers, complainers all recovered, and complainers not recovered."""
    inter = out["interactions"]
    comp = inter[inter["kind"] == "complaint"]
    recovered = (comp["resolved"] & (comp["satisfaction_after"] >= 5)).groupby(comp[key]).all()
    churned = out["truth"].set_index(key)["churn_date"].notna()
    group = pd.Series("none", index=churned.index)
    group[recovered.index[recovered]] = "recovered"
    group[recovered.index[~recovered]] = "not recovered"
    return churned.groupby(group).mean()


@pytest.mark.parametrize("name", ["retail", "b2b"])
def test_service_recovery_unrecovered_complainers_churn_more(tables, name):
    rate = churn_by_recovery(tables[name], KEY[name])
    assert rate["not recovered"] > rate["recovered"] + 0.15
    assert rate["not recovered"] > rate["none"] + 0.15


def test_complaints_are_rarer_than_inquiries_and_take_about_a_day(retail):
    inter = retail["interactions"]
    comp = inter[inter["kind"] == "complaint"]
    assert (inter["kind"] == "inquiry").sum() > 2 * len(comp)
    assert 12 <= comp["resolution_hours"].median() <= 48
    assert comp["resolution_hours"].max() > 10 * comp["resolution_hours"].median()  # heavy tail
    assert 0.7 <= inter["resolved"].mean() <= 0.9
    customers, truth = retail["customers"], retail["truth"]
    for year in (2022, 2023, 2024):
        active = (
            (customers["signup_date"].dt.year <= year)
            & (truth["churn_date"].isna() | (truth["churn_date"].dt.year >= year))
        ).sum()
        rate = comp.loc[comp["date"].dt.year == year, "customer_id"].nunique() / active
        assert 0.04 <= rate <= 0.12, (year, rate)


def test_surveys_scales_nps_and_respondents(retail):
    s = retail["surveys"]
    assert s["overall_satisfaction"].between(1, 7).all() and s["attitude"].between(1, 7).all()
    assert s["recommend"].between(0, 10).all()
    nps = 100 * ((s["recommend"] >= 9).mean() - (s["recommend"] <= 6).mean())
    assert -10 <= nps <= 40
    assert 0.25 <= s["customer_id"].nunique() / len(retail["customers"]) <= 0.35
    assert s.groupby("customer_id").size().max() == 2


def test_satisfied_respondents_churn_less(retail):
    s = retail["surveys"].groupby("customer_id")["overall_satisfaction"].mean()
    churned = retail["truth"].set_index("customer_id")["churn_date"].notna().reindex(s.index)
    assert churned[s <= 4].mean() > churned[s >= 6].mean() + 0.1


def test_attitude_and_frequency_show_all_four_loyalty_cells(retail):
    # Dick & Basu (1994): attitude and repeat patronage are related but not the same thing.
    att = retail["surveys"].groupby("customer_id")["attitude"].mean()
    freq = retail["orders"].groupby("customer_id").size().reindex(att.index)
    assert 0.1 < att.corr(freq, method="spearman") < 0.6
    seg = retail["truth"].set_index("customer_id")["true_segment"].reindex(att.index)
    hi_f = freq > freq.median()
    spurious = (~(att > att.median()) & hi_f).groupby(seg, observed=True).mean()
    latent = ((att > att.median()) & ~hi_f).groupby(seg, observed=True).mean()
    assert spurious.idxmax() == "convenience seekers"
    assert latent.idxmax() == "quality seekers"


def test_servqual_gaps_point_to_a_few_important_attributes(retail):
    items = retail["survey_items"]
    assert len(items) == 10 * len(retail["surveys"])
    assert set(items["dimension"].astype(str)) == {"tangibles", "reliability", "responsiveness", "assurance", "empathy"}
    for col in ("expectation", "perception", "importance"):
        assert items[col].between(1, 7).all()
    g = items.assign(gap=items["perception"] - items["expectation"]).groupby("attribute", observed=True)
    gap, imp = g["gap"].mean(), g["importance"].mean()
    concentrate = gap[(gap < -0.7) & (imp > imp.mean())]
    assert 2 <= len(concentrate) <= 3
    assert (gap < 0).mean() >= 0.6


def test_needs_segments_differ_in_what_they_buy(retail):
    o = retail["orders"].merge(retail["truth"][["customer_id", "true_segment"]], on="customer_id")
    mix = pd.crosstab(o["true_segment"], o["category"], normalize="index")
    assert mix.loc["quality seekers", "electronics"] > 2 * mix.drop("quality seekers")["electronics"].max()
    aov = o.groupby("true_segment", observed=True)["amount"].mean()
    assert aov.idxmax() == "quality seekers" and aov.max() > 2 * aov.min()


# ---------------------------------------------------------------- b2b realism
def abc_profit(b2b: dict) -> pd.Series:
    """Gross margin minus activity cost (ABC rates) per account, most profitable first."""
    cost = (
        b2b["activities"]
        .merge(b2b["activity_rates"], on="activity")
        .assign(cost=lambda d: d["quantity"] * d["unit_cost"])
        .groupby("account_id")["cost"]
        .sum()
    )
    margin = b2b["orders"].groupby("account_id")["gross_margin"].sum()
    ids = b2b["accounts"]["account_id"]
    return (margin.reindex(ids, fill_value=0) - cost.reindex(ids, fill_value=0)).sort_values(ascending=False)


def test_whale_curve_rises_well_above_total_profit(b2b):
    # Kaplan & Narayanan (2001): the most profitable 20% often earn 150-300% of total profit.
    profit = abc_profit(b2b)
    cum = profit.cumsum() / profit.sum()
    assert profit.sum() > 0
    assert cum.max() > 1.3
    assert cum.iloc[len(cum) // 5 - 1] > 1.2
    assert 0.1 < (profit < 0).mean() < 0.7


def test_activity_batches_count_the_accounts_own_orders(b2b):
    o, act = b2b["orders"], b2b["activities"]
    month = o["order_date"].dt.to_period("M")
    expected = {
        "order_processing": o.groupby([o["account_id"], month]).size(),
        "rush_order": o[o["rush"]].groupby([o["account_id"], month]).size(),
        "return_handling": o[o["returned"]].groupby([o["account_id"], month]).size(),
    }
    for activity, counts in expected.items():
        a = act[act["activity"] == activity]
        got = a.groupby([a["account_id"], a["date"].dt.to_period("M")])["quantity"].sum()
        pd.testing.assert_series_equal(got.sort_index(), counts.sort_index(), check_names=False)
    assert (act["quantity"] > 0).all()


def test_rush_and_return_rates(b2b):
    o = b2b["orders"]
    assert 0.05 <= o["rush"].mean() <= 0.11 and 0.015 <= o["returned"].mean() <= 0.05
    per_account = o.groupby("account_id")["rush"].mean()
    assert (per_account > 0.25).sum() >= 5  # some accounts rush far more often
    assert 12_000 <= len(o) <= 30_000


def test_capacity_is_mostly_but_not_fully_used(b2b):
    act = b2b["activities"].merge(b2b["activity_rates"], on="activity")
    years = 1096 / 365.25
    used = (act["quantity"] * act["unit_minutes"]).sum() / years
    share = used / b2b["capacity"]["practical_minutes"].sum()
    assert 0.75 <= share <= 0.9
    rates = b2b["activity_rates"].set_index("activity")
    assert list(rates["driver"]) == ["visits", "calls", "orders", "returns", "orders"]
    assert rates.loc["sales_visit", "unit_minutes"] == 120 and 150 <= rates.loc["sales_visit", "unit_cost"] <= 220


def test_wallets_share_and_size_bands(b2b):
    w, o, acc = b2b["wallets"], b2b["orders"], b2b["accounts"]
    ours = o.groupby(["account_id", o["order_date"].dt.year.rename("year")])["amount"].sum()
    sow = ours / w.set_index(["account_id", "year"])["category_spend"].reindex(ours.index)
    assert sow.max() <= 0.9 + 1e-9 and sow.quantile(0.95) > 0.5 and sow.quantile(0.1) < 0.1
    size = acc.set_index("account_id")["size_band"]
    median = w.groupby(w["account_id"].map(size), observed=True)["category_spend"].median()
    assert 10 <= median["large"] / median["small"] <= 50
    first = w.groupby("account_id")["year"].min()
    assert (first == acc.set_index("account_id")["signup_date"].dt.year.reindex(first.index)).all()
    growth = w.groupby("account_id")["category_spend"].pct_change().dropna()
    assert growth.abs().median() < 0.1
    assert acc["account_name"].is_unique and acc["account_manager"].nunique() == 8


# ---------------------------------------------------------------- any window, any size
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(["retail", "b2b"]),
    n=st.integers(1, 60),
    seed=st.integers(0, 2**32 - 1),
    start=st.dates(min_value=pd.Timestamp("2015-01-01").date(), max_value=pd.Timestamp("2024-01-01").date()),
    days=st.integers(91, 2000),
)
def test_invariants_hold_for_any_window_and_size(name, n, seed, start, days):
    start = pd.Timestamp(start)
    end = start + pd.Timedelta(days=days)
    out = generate_tables(name, n_customers=n, seed=seed, start=str(start.date()), end=str(end.date()))
    key = KEY[name]
    assert len(out[PEOPLE[name]]) == n
    for table, df in out.items():
        for col in df.columns:
            if (table, col) not in ALLOWED_MISSING:
                assert not df[col].isna().any(), (table, col)
        for col in df.select_dtypes("datetime").columns:
            assert df[col].dropna().between(start, end + pd.offsets.MonthEnd(0)).all(), (table, col)
    orders, truth = out["orders"], out["truth"].set_index(key)
    stop = truth["churn_date"].fillna(end).reindex(orders[key]).to_numpy()
    assert (orders["order_date"].to_numpy() <= stop).all()
    assert (orders["amount"] >= 0).all()


# ---------------------------------------------------------------- firm-profile levers
from crmlab._generate import Levers  # noqa: E402
from crmlab.datasets import CSV_OPTIONS, DEFAULTS, data_dir  # noqa: E402


@pytest.mark.parametrize("name", ["retail", "b2b"])
def test_levers_at_their_defaults_give_the_shipped_files_byte_for_byte(name):
    # every lever written out at its default value, as a profile mapping would give it
    defaults = {f: getattr(Levers(), f) for f in Levers.__dataclass_fields__}
    tables = generate_tables(name, **DEFAULTS[name], profile=defaults)
    for table, df in tables.items():
        shipped = (data_dir() / name / f"{table}.csv").read_bytes()
        assert df.to_csv(**CSV_OPTIONS).encode() == shipped, f"{name}/{table}.csv"


def test_unknown_levers_and_names_are_refused_with_the_usable_ones():
    with pytest.raises(ValueError, match="unknown firm-profile lever.*churny.*use .*churn"):
        generate_tables("retail", n_customers=20, seed=1, profile={"churny": 1.0})
    with pytest.raises(ValueError, match="lever 'channel_cost': unknown name.*'tv'.*use 'search'"):
        generate_tables("retail", n_customers=20, seed=1, profile={"channel_cost": {"tv": 2.0}})


def _churn_share(tables, name):
    return tables["truth"]["true_pattern"].isin(["A", "B", "C", "D"]).mean()


@pytest.mark.parametrize("name", ["retail", "b2b"])
def test_churn_lever_moves_churn_both_ways(name):
    base, more, less = (generate_tables(name, n_customers=600, seed=3, profile={"churn": c}) for c in (0, 1.0, -1.5))
    assert _churn_share(less, name) < _churn_share(base, name) < _churn_share(more, name)


def test_channel_cost_mix_and_price_levers_do_what_they_say():
    base = generate_tables("retail", n_customers=1500, seed=4)
    lev = generate_tables(
        "retail",
        n_customers=1500,
        seed=4,
        profile={"channel_cost": {"search": 3.0}, "channel_mix": {"referral": 0.8}, "price_level": 2.0},
    )
    cost = lambda t: t["customers"].groupby("acquisition_channel", observed=True)["acquisition_cost"].mean()  # noqa: E731
    assert cost(lev)["search"] == pytest.approx(3 * cost(base)["search"], rel=0.15)
    assert cost(lev)["store"] == pytest.approx(cost(base)["store"], rel=0.15)
    # referral weight 0.8 against the others' shipped 0.26 + 0.24 + 0.25 + 0.13: 0.8 / 1.68 of new customers
    share = (lev["customers"]["acquisition_channel"] == "referral").mean()
    assert share == pytest.approx(0.8 / 1.68, abs=0.04)
    per_order = lambda t: t["orders"]["amount"].median()  # noqa: E731
    assert per_order(lev) / per_order(base) == pytest.approx(2.0, rel=0.15)


def test_capacity_lever_sets_the_practical_capacity_of_a_department():
    base = generate_tables("b2b", n_customers=200, seed=5)["capacity"].set_index("department")
    lev = generate_tables("b2b", n_customers=200, seed=5, profile={"capacity": {"field sales": 0.4}})
    lev = lev["capacity"].set_index("department")
    # practical minutes = minutes used / utilisation, shipped utilisation of field sales 0.80
    ratio = lev.loc["field sales", "practical_minutes"] / base.loc["field sales", "practical_minutes"]
    assert ratio == pytest.approx(0.80 / 0.4, rel=1e-3)
    assert lev.loc["customer service", "practical_minutes"] == base.loc["customer service", "practical_minutes"]


def test_attribute_gap_lever_moves_that_attribute_only():
    base = generate_tables("retail", n_customers=800, seed=6)["survey_items"]
    lev = generate_tables("retail", n_customers=800, seed=6, profile={"attribute_gaps": {"quick answers": 2.0}})
    lev = lev["survey_items"]
    gap = lambda t: (t["perception"] - t["expectation"]).groupby(t["attribute"], observed=True).mean()  # noqa: E731
    moved = gap(lev) - gap(base)
    assert moved["quick answers"] > 1.0  # +2 points asked, less where the 1-7 scale clips
    assert moved.drop("quick answers").abs().max() < 0.1
