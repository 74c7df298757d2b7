"""Exercise checks: comparators, never-raising check runs, personal data, chapter 00's checks."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st

from crmlab import datasets
from crmlab._validate import CRMDataError
from crmlab.checks import (
    MIMETYPE,
    CheckResult,
    Fail,
    checks_for,
    exercise,
    expect_axes,
    expect_choice,
    expect_frame,
    expect_number,
    expect_series,
    list_exercises,
    register,
)
from crmlab.checks import ch00_start_here as ch00


# --------------------------------------------------------------------------------------
# A hand-built retail scenario (schema columns of customers and orders).
#   signups: R1 2022; R2, R3, R5 2023; R4, R6 2024 -> 3 in 2023, 5 in 2023 or later, 6 in all
#   regions: North {R1}, South {R2, R3, R6}, East {R4, R5} -> most customers: South
#   orders (returned marked *):
#     store: O1 500, O6 100, O8 25            -> 3 orders, revenue 625
#     web:   O2 20, O3 30*, O5 10, O9 15, O10 5 -> 5 orders, revenue 50 (80 with the return)
#     app:   O4 40, O7 60*                      -> 2 orders, revenue 40 (100 with the return)
#   revenue per region: North 500, South 20+40+10 = 70, East 100+25+15+5 = 145 -> top: North
#   orders per region: North 1, South 4, East 5 -> most orders: East
# --------------------------------------------------------------------------------------
def small_retail() -> datasets.Dataset:
    customers = pd.DataFrame(
        {
            "customer_id": pd.array(["R1", "R2", "R3", "R4", "R5", "R6"], dtype="string"),
            "signup_date": pd.to_datetime(
                ["2022-05-01", "2023-01-15", "2023-12-31", "2024-02-01", "2023-06-30", "2024-03-03"]
            ),
            "region": pd.Categorical(["North", "South", "South", "East", "East", "South"]),
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": [f"O{i}" for i in range(1, 11)],
            "customer_id": ["R1", "R2", "R2", "R3", "R6", "R4", "R5", "R5", "R4", "R4"],
            "order_date": pd.to_datetime(["2024-01-01"] * 10),
            "amount": [500.0, 20.0, 30.0, 40.0, 10.0, 100.0, 60.0, 25.0, 15.0, 5.0],
            "channel": pd.Categorical(["store", "web", "web", "app", "web", "store", "app", "store", "web", "web"]),
            "returned": [False, False, True, False, False, False, True, False, False, False],
        }
    )
    return datasets.Dataset("retail", {"customers": customers, "orders": orders}, pd.Timestamp("2024-12-31"))


@pytest.fixture
def ex():
    ds = small_retail()
    return exercise("00_start_here", loader=lambda name, sid: ds.copy())


def hand_channel_table():
    return pd.DataFrame({"channel": ["store", "web", "app"], "orders": [3, 5, 2], "revenue": [625.0, 50.0, 40.0]})


# --------------------------------------------------------------------------------------
# Comparators
# --------------------------------------------------------------------------------------
def test_expect_number_tolerates_type_and_rounding():
    expect_number(np.int64(3), 3.0)
    expect_number(pd.Series([3.0000001]), 3)
    expect_number(2.004, 2.0, rtol=0, atol=0.01)


@pytest.mark.parametrize(
    "answer, words",
    [
        (True, "True"),
        ("12", "text '12'"),
        (float("nan"), "NaN"),
        ([1, 2], "holds"),
        (pd.Series([1, 2]), "Series with 2 values"),
        (5, "too high (by 66.67%)"),
        (1, "too low"),
    ],
)
def test_expect_number_messages(answer, words):
    with pytest.raises(Fail) as info:
        expect_number(answer, 3)
    text = str(info.value)
    assert words in text or (words == "holds" and "one number" in text), text


def test_expect_number_diagnose_and_reveal():
    with pytest.raises(Fail, match="off by one"):
        expect_number(4, 3, diagnose=lambda got, exp: "off by one" if got - exp == 1 else None)
    with pytest.raises(Fail, match=r"Your answer is 4, but the number is 3\."):
        expect_number(4, 3, reveal=True)


def test_expect_choice():
    expect_choice(" NORTH ", "North")
    expect_choice(pd.Series(["East"]), ["North", "East"])  # ties: either counts
    with pytest.raises(Fail, match="'South' is not the region"):
        expect_choice("South", "North", what="the region")
    with pytest.raises(Fail, match="possible answers for the region: 'East', 'North'"):
        expect_choice("Nort", "North", choices=["East", "North"], what="the region")
    with pytest.raises(Fail, match="idxmax"):
        expect_choice(pd.Series({"North": 1.0, "East": 2.0}), "North")


def test_expect_frame_tolerates_harmless_differences():
    exp = hand_channel_table()
    # key as index, columns and rows reordered, ints as floats, category key, rounding
    got = exp.set_index("channel")[["revenue", "orders"]].iloc[::-1].astype(float)
    got.index = pd.CategoricalIndex(got.index, name="channel")
    got["revenue"] += 1e-9
    expect_frame(got, exp, key="channel")
    # an unnamed index of channel labels and an extra column are fine too
    expect_frame(exp.set_index("channel").rename_axis(None).assign(extra=1), exp, key="channel")


def test_expect_frame_value_message_names_row_and_hint():
    got = hand_channel_table().assign(orders=[3, 6, 2])
    with pytest.raises(Fail) as info:
        expect_frame(got, hand_channel_table(), key="channel", entity="channels", hints={"orders": "Count orders."})
    assert str(info.value) == (
        "1 of 3 channels has a different 'orders', e.g. web: you have 6, expected 5. Hint: Count orders."
    )


@pytest.mark.parametrize(
    "mutate, words",
    [
        (lambda d: d.drop(columns="revenue"), "no column 'revenue'"),
        (lambda d: d.rename(columns={"revenue": "Revenue"}), "'Revenue' → 'revenue'"),
        (lambda d: d.iloc[:2], "2 channels, expected 3: 1 missing (e.g. app)"),
        (lambda d: pd.concat([d, d.iloc[:1]]), "store appears more than once"),
        (lambda d: d.drop(columns="channel"), "no 'channel' column or index"),
        (lambda d: d.assign(orders=d["orders"].astype(str)), "'orders' holds"),
        (lambda d: d.assign(revenue=[1.0, 2.0, 3.0], orders=[0, 0, 0]), "Also different: revenue"),
    ],
)
def test_expect_frame_failures_are_specific(mutate, words):
    with pytest.raises(Fail) as info:
        expect_frame(mutate(hand_channel_table()), hand_channel_table(), key="channel", entity="channels")
    assert words in str(info.value)


def test_expect_frame_diagnose_sees_aligned_tables():
    exp = pd.DataFrame({"customer_id": ["a", "b"], "recency_days": [3, 10]})
    got = pd.DataFrame({"customer_id": ["b", "a"], "recency_days": [11, 4]})

    def off_by_one(g, e):
        if ((g["recency_days"] - e["recency_days"]) == 1).all():
            return "Your recency is exactly 1 day more than expected for every customer."
        return None

    with pytest.raises(Fail, match="exactly 1 day more"):
        expect_frame(got, exp, key="customer_id", diagnose=off_by_one)


def test_expect_frame_timedelta_hint():
    exp = pd.DataFrame({"customer_id": ["a"], "recency_days": [3]})
    got = pd.DataFrame({"customer_id": ["a"], "recency_days": [pd.Timedelta(days=3)]})
    with pytest.raises(Fail, match=r"\.dt\.days"):
        expect_frame(got, exp, key="customer_id")


def test_expect_frame_ordered():
    exp = pd.DataFrame({"tier": ["gold", "silver", "bronze"], "n": [1, 2, 3]})
    expect_frame(exp.iloc[::-1], exp, key="tier")
    with pytest.raises(Fail, match="not in the expected order"):
        expect_frame(exp.iloc[::-1], exp, key="tier", ordered=True)


def test_expect_series():
    exp = pd.Series({"store": 3, "web": 5, "app": 2})
    expect_series({"web": 5.0, "app": 2.0, "store": 3.0}, exp)
    expect_series(exp.rename_axis("channel").reset_index(), exp)  # label and value columns
    with pytest.raises(Fail, match="2 channels, expected 3"):
        expect_series(exp.iloc[:2], exp, entity="channels")
    with pytest.raises(Fail, match="not in the expected order"):
        expect_series(exp.sort_values(), exp, ordered=True)
    with pytest.raises(Fail, match="a pandas Series"):
        expect_series(3, exp)


def test_expect_axes():
    fig, ax = plt.subplots()
    try:
        with pytest.raises(Fail, match="empty"):
            expect_axes(ax)
        ax.bar(["a", "b"], [1, 2])
        with pytest.raises(Fail, match="no title"):
            expect_axes(ax)
        ax.set_title("t")
        with pytest.raises(Fail, match="x axis has no label"):
            expect_axes(ax)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        expect_axes(ax)
        expect_axes(fig)
        with pytest.raises(Fail, match="matplotlib Axes"):
            expect_axes("a chart")
    finally:
        plt.close(fig)


# --------------------------------------------------------------------------------------
# Running checks: results, display payload, never raising
# --------------------------------------------------------------------------------------
def test_check_result_payload_and_display(ex, capsys):
    res = ex.check("signups_2023", 3)
    assert isinstance(res, CheckResult)
    assert (res.name, res.passed, res.points, res.max_points) == ("signups_2023", True, 1, 1)
    assert capsys.readouterr().out.startswith("✔ signups_2023 (1 of 1 point): correct")
    bundle = res._repr_mimebundle_()
    assert bundle["text/plain"] == res.message
    payload = json.loads(json.dumps(bundle[MIMETYPE]))
    assert payload == {
        "name": "signups_2023",
        "passed": True,
        "points": 1,
        "max_points": 1,
        "message": res.message,
        "exercise": "00_start_here",
        "student_id": None,
        "error": None,
    }


def test_none_unknown_check_and_summary(ex, capsys):
    res = ex.check("signups_2023", None)
    assert not res.passed and "not answered yet" in res.message and res.error is None
    assert not ex.check("no_such_check", 1).passed
    assert "The checks are: signups_2023, orders_per_channel" in capsys.readouterr().out
    ex.run("orders_per_channel", hand_channel_table())
    ex.summary()
    out = capsys.readouterr().out
    assert out.startswith("00_start_here: 1 of 4 checks passed, 2 of 5 points. Still to do: signups_2023")


def test_unknown_exercise_is_a_clear_error():
    with pytest.raises(CRMDataError, match="no exercise '99_nothing'.*00_start_here"):
        exercise("99_nothing")


def test_a_check_that_crashes_reports_kindly():
    @register("99_test_crash", "boom")
    def _(answer, ctx):
        return answer.columns  # a check that trusts the answer's type

    res = exercise("99_test_crash", loader=lambda n, s: None).run("boom", 5)
    assert not res.passed and res.error.startswith("AttributeError")
    assert "could not read your answer" in res.message


answers = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.floats(allow_nan=True), max_size=3),
    st.builds(
        lambda cols, n: pd.DataFrame({c: np.arange(n) for c in cols}),
        st.lists(st.sampled_from(["channel", "orders", "revenue", "x"]), unique=True, max_size=3),
        st.integers(0, 4),
    ),
    st.builds(lambda v: pd.Series(v, dtype=float), st.lists(st.floats(allow_nan=True), max_size=3)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answer=answers, name=st.sampled_from(list(checks_for("00_start_here"))))
def test_any_answer_gives_a_verdict_never_an_exception(ex, answer, name):
    res = ex.run(name, answer)
    assert res.error is None, res.message
    assert res.message.startswith("✔" if res.passed else "✘")
    assert "Traceback" not in res.message


@pytest.mark.parametrize("exercise_name", list_exercises())
def test_every_check_of_every_exercise_fails_kindly_on_junk(exercise_name):
    """On the real (shipped) data: nonsense answers fail with a message, never an error."""
    ex = exercise(exercise_name)
    junk = [
        None,
        object(),
        "some text",
        float("nan"),
        [1, 2],
        pd.DataFrame(),
        pd.DataFrame({"unrelated": [1, 2]}),
        pd.Series(dtype=float),
    ]
    for name in ex.checks:
        for answer in junk:
            res = ex.run(name, answer)
            assert not res.passed and res.error is None, (name, answer, res.message)
            assert res.message.startswith(f"✘ {name} (0 of ")


# --------------------------------------------------------------------------------------
# Student id and personal data
# --------------------------------------------------------------------------------------
def test_student_id_precedence(monkeypatch):
    seen = []
    loader = lambda name, sid: seen.append(sid)  # noqa: E731
    monkeypatch.delenv("CRMLAB_STUDENT_ID", raising=False)
    assert exercise("00_start_here", loader=loader).student_id is None
    monkeypatch.setenv("CRMLAB_STUDENT_ID", "s009")
    assert exercise("00_start_here", loader=loader).student_id == "s009"  # the grader's id fills in
    ex = exercise("00_start_here", student_id=" s001 ", loader=loader)  # the notebook line wins
    assert ex.student_id == "s001"
    ex.data("retail")
    assert seen == ["s001"]
    assert ex.run("signups_2023", None).student_id == "s001"


def solution_answers(ds):
    """The exercise's solution code, as a student would write it."""
    kept = ds.orders[~ds.orders["returned"]]
    table = pd.DataFrame(
        {
            "orders": ds.orders.groupby("channel", observed=True).size(),
            "revenue": kept.groupby("channel", observed=True)["amount"].sum(),
        }
    )
    region = (
        kept.merge(ds.customers[["customer_id", "region"]], on="customer_id")
        .groupby("region", observed=True)["amount"]
        .sum()
        .idxmax()
    )
    return {
        "signups_2023": int((ds.customers["signup_date"].dt.year == 2023).sum()),
        "orders_per_channel": table,
        "top_region": region,
    }


def test_personal_data_gives_personal_answers(monkeypatch):
    monkeypatch.delenv("CRMLAB_STUDENT_ID", raising=False)
    ex1 = exercise("00_start_here", student_id="s001")
    ex2 = exercise("00_start_here", student_id="s002")
    a1 = solution_answers(ex1.data("retail"))
    a2 = solution_answers(ex2.data("retail"))
    assert not a1["orders_per_channel"].equals(a2["orders_per_channel"])
    assert ex1.run("orders_per_channel", a1["orders_per_channel"]).passed
    assert ex1.run("signups_2023", a1["signups_2023"]).passed
    # s001's correct table is wrong for s002
    res = ex2.run("orders_per_channel", a1["orders_per_channel"])
    assert not res.passed and "a different" in res.message and res.student_id == "s002"


def test_student_changes_to_their_tables_do_not_move_the_expected_answer(ex):
    ds = ex.data("retail")
    ds.customers["signup_date"] = pd.Timestamp("2023-05-05")  # everyone in 2023 now
    assert (ds.customers["signup_date"].dt.year == 2023).sum() == 6
    assert ex.run("signups_2023", 3).passed


# --------------------------------------------------------------------------------------
# Chapter 00's checks on the hand-built scenario (expected values computed above by hand)
# --------------------------------------------------------------------------------------
def test_ch00_expected_values_by_hand():
    ds = small_retail()
    assert ch00.signups_in_year(ds.customers) == 3
    table = ch00.channel_table(ds.orders)
    assert table.loc["store"].tolist() == [3, 625.0]
    assert table.loc["web"].tolist() == [5, 50.0]
    assert table.loc["app"].tolist() == [2, 40.0]
    assert ch00.revenue_by_region(ds.customers, ds.orders).to_dict() == {"North": 500.0, "East": 145.0, "South": 70.0}


def test_ch00_correct_answers_pass(ex):
    assert ex.run("signups_2023", 3).passed
    assert ex.run("orders_per_channel", hand_channel_table()).passed
    assert ex.run("top_region", "north").passed
    fig, ax = plt.subplots()
    try:
        hand_channel_table().set_index("channel")["revenue"].plot.bar(ax=ax, title="Revenue per channel")
        ax.set_xlabel("channel")
        ax.set_ylabel("revenue (currency units)")
        assert ex.run("channel_chart", ax).passed
    finally:
        plt.close(fig)


@pytest.mark.parametrize(
    "name, answer, words",
    [
        ("signups_2023", 6, "number of all customers"),
        ("signups_2023", 5, "counts 2023 and later"),
        ("signups_2023", 2, "sign-ups of another year"),
        ("signups_2023", 4, "too high"),
        ("orders_per_channel", hand_channel_table().assign(revenue=[625.0, 80.0, 100.0]), "includes returned orders"),
        ("orders_per_channel", hand_channel_table().assign(revenue=[625 / 3, 12.5, 40.0]), "mean order value"),
        (
            "orders_per_channel",
            hand_channel_table().assign(orders=[3, 4, 1]),
            "Count every order of the channel, returned or not",
        ),
        ("orders_per_channel", hand_channel_table().drop(columns="orders"), "no column 'orders'"),
        ("top_region", "South", "not the region with the most revenue"),
        ("top_region", "East", "not the region with the most revenue"),
        ("top_region", "Westt", "not one of the possible answers"),
        ("top_region", pd.Series({"North": 500.0, "East": 145.0}), "idxmax"),
    ],
)
def test_ch00_typical_wrong_answers(ex, name, answer, words):
    res = ex.run(name, answer)
    assert not res.passed and res.points == 0 and res.error is None
    assert words in res.message, res.message


def test_ch00_chart_wrong_bar_count(ex):
    fig, ax = plt.subplots()
    try:
        ax.bar(["store", "web"], [1, 2])
        ax.set_title("t"), ax.set_xlabel("x"), ax.set_ylabel("revenue (currency units)")
        res = ex.run("channel_chart", ax)
        assert not res.passed and "2 bars, expected one per channel (3)" in res.message
    finally:
        plt.close(fig)


# --------------------------------------------------------------------------------------
# Answers handed out as data (what the grader checks): crmlab/checks/_answers.py
# --------------------------------------------------------------------------------------
from crmlab.checks._answers import AnswerDataError, OpaqueAnswer, decode, describe_figure, encode  # noqa: E402
from crmlab.checks._compare import describe_axes  # noqa: E402


def _through_json(value):
    return decode(json.loads(json.dumps(encode(value), allow_nan=False)))


@pytest.mark.parametrize("name", ["customers", "orders"])
def test_shipped_tables_come_back_exactly(name):
    table = getattr(datasets.load("retail"), name)
    back = _through_json(table)
    pd.testing.assert_frame_equal(back, table)


@pytest.mark.parametrize(
    "value",
    [
        3,
        -(2**40),
        2.5,
        float("nan"),
        float("inf"),
        True,
        "北京",
        None,
        pd.Timestamp("2024-03-01"),
        pd.Timedelta(days=3),
        [1, "a", None],
        (1, 2),
        {"a": 1, ("x", 1): [2.5]},
    ],
)
def test_scalars_and_containers_come_back(value):
    back = _through_json(value)
    if isinstance(value, float) and np.isnan(value):
        assert np.isnan(back)
    elif isinstance(value, dict):
        assert back == {"a": 1, "('x', 1)": [2.5]} or back == value
    else:
        assert back == value and type(back) is type(value)


def test_series_with_multiindex_nulls_and_categories_come_back():
    idx = pd.MultiIndex.from_tuples([("a", 1), ("b", 2), ("c", 3)], names=["k", "n"])
    s = pd.Series([1.5, None, 3.0], index=idx, name="v")
    pd.testing.assert_series_equal(_through_json(s), s)
    cat = pd.Series(pd.Categorical(["low", None, "high"], categories=["low", "high"], ordered=True))
    pd.testing.assert_series_equal(_through_json(cat), cat)
    ints = pd.Series([1, None], dtype="Int64")
    assert _through_json(ints).tolist() == [1, pd.NA]


def test_anything_else_is_opaque_named_after_its_type():
    class Model:
        def __repr__(self):
            return "Model(k=4)"

    back = _through_json(Model())
    assert isinstance(back, OpaqueAnswer) and type(back).__name__ == "Model" and repr(back) == "Model(k=4)"
    with pytest.raises(Fail, match="Your answer is a Model, but the number of customers"):
        expect_number(back, 3, what="the number of customers")


def test_hostile_objects_never_stop_the_hand_out():
    class Bad:
        def __repr__(self):
            raise RuntimeError("no")

    class BadFloat(float):
        def __float__(self):
            raise RuntimeError("no")

    assert encode(Bad()) == {"kind": "opaque", "type": "Bad", "text": "<Bad>"}
    (item,) = encode([BadFloat(1.0)])["items"]
    assert item == {"kind": "opaque", "type": "BadFloat", "text": "(could not be read: RuntimeError)"}
    deep: list = []
    for _ in range(50):
        deep = [deep]
    assert json.dumps(encode(deep))  # cut, not a recursion error


@pytest.mark.parametrize(
    "data, words",
    [
        ([1, 2], "must be an object with a kind"),
        ({"kind": "pickle", "value": "gASV"}, "unknown answer kind 'pickle'"),
        (
            {"kind": "frame", "index": {"range": 2}, "columns": [{"name": "a", "dtype": "int64", "values": [1]}]},
            "column 'a' has 1 values for 2 rows",
        ),
        ({"kind": "float", "value": "1e3; import os"}, "not a number"),
    ],
)
def test_malformed_answer_data_is_refused(data, words):
    with pytest.raises(AnswerDataError, match=words):
        decode(data)


@pytest.mark.parametrize(
    "draw",
    [
        lambda ax: pd.Series({"web": 3.0, "store": 5.0}).plot.bar(ax=ax),
        lambda ax: pd.Series({"web": 3.0, "store": 5.0}).plot.barh(ax=ax),
        lambda ax: ax.bar(["a", "b", "c"], [1, 2, 3]),
        lambda ax: pd.DataFrame({"x": [1, 2], "y": [3, 4]}, index=["p", "q"]).plot.bar(ax=ax),
        lambda ax: (ax.plot([1, 2, 3], [4, 5, 6], label="line"), ax.scatter([1], [2]), ax.legend()),
    ],
)
def test_a_figure_drawn_again_from_its_description_reads_the_same(draw):
    fig, ax = plt.subplots()
    draw(ax)
    ax.set(title="Revenue per channel", xlabel="channel", ylabel="revenue (currency)")
    try:
        again = _through_json(ax)
        assert describe_axes(again) == describe_axes(ax)
        assert describe_figure(again) == describe_figure(ax)
    finally:
        plt.close(fig)


def test_grading_mode_hands_answers_out_and_uses_the_graders_id(tmp_path, monkeypatch, capsys):
    """Under the grader a check cell scores nothing: it appends its answer as data to the answers file."""
    answers = tmp_path / "answers.jsonl"
    monkeypatch.setenv("CRMLAB_ANSWERS", str(answers))
    monkeypatch.setenv("CRMLAB_STUDENT_ID", "s042")
    ex = exercise("00_start_here", student_id="s001", loader=lambda name, sid: small_retail())
    assert ex.student_id == "s042"  # the grader's id wins over the STUDENT_ID line
    assert ex.check("signups_2023", 3) is None and not ex.results
    ex.check("top_region", "North")
    ex.summary()
    lines = [json.loads(line) for line in answers.read_text(encoding="utf-8").splitlines()]
    assert [(d["exercise"], d["name"], decode(d["answer"])) for d in lines] == [
        ("00_start_here", "signups_2023", 3),
        ("00_start_here", "top_region", "North"),
    ]
    out = capsys.readouterr().out
    assert "signups_2023: answer handed in; the grader checks it." in out and "✔" not in out
    assert "the grader scores this notebook" in out
    monkeypatch.delenv("CRMLAB_ANSWERS")
    assert exercise("00_start_here", student_id="s001", loader=lambda n, s: None).student_id == "s001"


def test_crmlab_results_come_back_as_themselves_other_records_as_dicts():
    import dataclasses

    from crmlab.btyd import BGNBDResult

    fit = BGNBDResult(r=0.24, alpha=4.41, a=0.79, b=2.43, log_likelihood=-9582.4, n=2357, time_unit="W", converged=True)
    back = _through_json(fit)
    assert type(back) is BGNBDResult and back == fit

    @dataclasses.dataclass
    class Elsewhere:
        x: int

    assert _through_json(Elsewhere(3)) == {"x": 3}
    forged = {
        "kind": "record",
        "module": "os",
        "type": "system",
        "fields": {"command": {"kind": "text", "value": "id"}},
    }
    assert decode(forged) == {"command": "id"}  # only crmlab's own classes are ever built
