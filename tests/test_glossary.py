"""Tests for crmlab.glossary: lookups in English, Chinese and Korean, aliases, completeness."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmlab import glossary
from crmlab._validate import CRMDataError
from crmlab.glossary import CHAPTERS, Term, UnknownTermError, lookup, search, table

CJK = re.compile(r"[\u4e00-\u9fff]")
HANGUL = re.compile(r"[\uac00-\ud7a3]")


# --- the examples of the issue and the brief ---------------------------------------
def test_issue_examples():
    clv = lookup("客户终身价值")
    assert isinstance(clv, Term)
    assert (clv.en, clv.ko, clv.chapter) == ("customer lifetime value", "고객생애가치", 5)
    assert lookup("share of wallet").zh == "钱包份额"
    assert lookup("CLV") is clv


@pytest.mark.parametrize(
    "name, en",
    [
        # English, any case, hyphens or spaces
        ("Customer Lifetime Value", "customer lifetime value"),
        ("SHARE-OF-WALLET", "share of wallet"),
        ("cross selling", "cross-selling"),
        # Chinese, as the course writes it
        ("钱包份额", "share of wallet"),
        ("流失警戒点", "churn warning point"),
        ("交叉销售", "cross-selling"),
        ("追加销售", "up-selling"),
        ("客户信息库", "customer information base"),
        ("客户让渡价值", "customer delivered value"),
        # Korean
        ("고객생애가치", "customer lifetime value"),
        ("지갑점유율", "share of wallet"),
        ("고객이탈", "customer churn"),
        ("교차판매", "cross-selling"),
        ("고객만족도", "customer satisfaction"),
        # aliases and abbreviations
        ("LTV", "customer lifetime value"),
        ("客户终生价值", "customer lifetime value"),
        ("SOW", "share of wallet"),
        ("NPS", "Net Promoter Score"),
        ("80/20 rule", "Pareto principle"),
        ("360° view", "360-degree customer view"),
        ("single customer view", "360-degree customer view"),
        ("sBG", "shifted-beta-geometric model"),
        ("BG/NBD", "BG/NBD model"),
        ("P(alive)", "P(alive)"),
        ("TDABC", "time-driven activity-based costing"),
        ("6σ", "six sigma"),
        ("10C", "10C structure"),
        ("IPA", "importance-performance analysis"),
        ("Dick & Basu", "loyalty matrix"),
        ("pattern C", "early exit pattern"),
        ("ＣＬＶ", "customer lifetime value"),  # full-width letters from a Chinese keyboard
    ],
)
def test_lookup_in_all_languages_and_aliases(name, en):
    assert lookup(name).en == en


def test_course_concepts_are_all_there():
    # The CRM triangle: philosophy, implementation, technology (理念 / 实施 / 技术).
    assert [lookup(z).en for z in ("管理理念", "实施途径", "技术支持")] == [
        "CRM philosophy",
        "CRM implementation",
        "CRM technology",
    ]
    # Lifecycle stages and patterns A-D (陈明亮 2003), taught in chapter 06.
    stages = [lookup(z) for z in ("考察期", "形成期", "稳定期", "退化期")]
    assert {t.chapter for t in stages} == {6}
    assert [lookup(f"pattern {p}").zh for p in "ABCD"] == ["早期流产型", "中途夭折型", "提前退出型", "长久保持型"]
    # Relationship phases (Dwyer, Schurr & Oh 1987), chapter 07.
    phases = [lookup(z).en for z in ("注意", "熟悉", "深入", "信赖", "解散")]
    assert phases == [
        "awareness phase",
        "exploration phase",
        "expansion phase",
        "commitment phase",
        "dissolution phase",
    ]
    # The four parts of lifetime value, chapter 05.
    parts = [lookup(z) for z in ("交易价值", "推荐价值", "成长价值", "知识价值")]
    assert [t.en for t in parts] == ["transaction value", "referral value", "growth value", "knowledge value"]
    assert {t.chapter for t in parts} == {5}
    # Kotler's delivered value and its eight components, chapter 02.
    ch2 = set(table(chapter=2).english)
    assert {
        "customer delivered value",
        "total customer value",
        "total customer cost",
        "product value",
        "service value",
        "personnel value",
        "image value",
        "monetary cost",
        "time cost",
        "energy cost",
        "psychic cost",
        "perceived benefits",
        "perceived sacrifices",
    } <= ch2
    # Dick & Basu's four loyalty types, chapter 09.
    assert {lookup(x).chapter for x in ("true loyalty", "latent loyalty", "spurious loyalty", "no loyalty")} == {9}
    for en in (
        "relationship marketing",
        "transaction marketing",
        "database marketing",
        "one-to-one marketing",
        "customer share",
        "RFM analysis",
        "customer equity",
        "customer profitability",
        "activity-based costing",
        "whale curve",
        "SERVQUAL",
        "service recovery",
        "complaint handling",
        "churn rate",
        "cohort",
        "acquisition cost",
        "acquisition equity",
        "data quality",
        "CRM implementation steps",
        "expectation-disconfirmation",
        "retention rate",
    ):
        assert lookup(en).en == en


# --- completeness and uniqueness ----------------------------------------------------
ENTRIES = glossary._entries()


def test_size_and_every_chapter_has_terms():
    assert 90 <= len(ENTRIES) <= 200
    counts = table().chapter.value_counts()
    assert set(counts.index) == set(CHAPTERS)


@pytest.mark.parametrize("term", ENTRIES, ids=lambda t: t.en)
def test_every_entry_is_complete(term):
    for field in ("en", "zh", "ko", "definition"):
        value = getattr(term, field)
        assert isinstance(value, str) and value.strip() == value and value, field
    assert term.chapter in CHAPTERS
    assert "\n" not in term.definition and 20 <= len(term.definition) <= 300
    assert term.definition[0].isupper() or term.definition[0].isdigit() or term.definition.startswith("r/")
    assert not CJK.search(term.en) and not HANGUL.search(term.en)
    assert CJK.search(term.zh) and not HANGUL.search(term.zh)
    term.zh.encode("gb2312")  # simplified characters, as the course writes them
    assert HANGUL.search(term.ko) and not CJK.search(term.ko)
    assert all(isinstance(a, str) and a.strip() for a in term.aliases)


@pytest.mark.parametrize("field", ["en", "zh", "ko"])
def test_terms_are_unique(field):
    values = [getattr(t, field).casefold() for t in ENTRIES]
    repeated = sorted({v for v in values if values.count(v) > 1})
    assert repeated == []


def test_no_name_points_to_two_concepts():
    owner: dict[str, str] = {}
    clashes = []
    for t in ENTRIES:
        for name in {glossary._key(n) for n in (t.en, t.zh, t.ko, *t.aliases)}:
            if owner.setdefault(name, t.en) != t.en:
                clashes.append((name, owner[name], t.en))
    assert clashes == []


@pytest.mark.parametrize("term", ENTRIES, ids=lambda t: t.en)
def test_every_name_finds_its_entry(term):
    for name in (term.en, term.zh, term.ko, *term.aliases):
        assert lookup(name) is term
    assert lookup(term.en.upper()) is term
    assert lookup(f"  {term.zh} ") is term


# --- unknown terms and bad input ---------------------------------------------------
def test_unknown_term_lists_close_matches():
    with pytest.raises(UnknownTermError) as err:
        lookup("customer lifetime valeu")
    msg = str(err.value)
    assert "'customer lifetime valeu' is not in the crmlab glossary" in msg
    assert "Close matches: " in msg and "'customer lifetime value'" in msg
    assert "glossary.search" in msg


def test_unknown_chinese_term_suggests_the_full_term():
    with pytest.raises(UnknownTermError, match="客户终身价值"):
        lookup("客户终身")


def test_unknown_term_without_any_match_still_helps():
    with pytest.raises(UnknownTermError) as err:
        lookup("qqqqzzzz")
    assert "Close matches" not in str(err.value) and "glossary.table()" in str(err.value)


def test_unknown_term_error_is_a_lookup_and_data_error():
    assert issubclass(UnknownTermError, LookupError) and issubclass(UnknownTermError, CRMDataError)


@pytest.mark.parametrize("bad", ["", "   ", None, 42])
def test_lookup_needs_a_string(bad):
    with pytest.raises(UnknownTermError, match="non-empty string"):
        lookup(bad)


@given(st.text(max_size=20))
@settings(max_examples=100, deadline=None)
def test_lookup_returns_a_term_or_explains(text):
    try:
        t = lookup(text)
    except UnknownTermError as e:
        assert "glossary" in str(e)
    else:
        assert glossary._key(text) in {glossary._key(n) for n in (t.en, t.zh, t.ko, *t.aliases)}


# --- table and search ---------------------------------------------------------------
def test_table_of_all_terms():
    df = table()
    assert list(df.columns) == ["english", "chinese", "korean", "chapter", "definition", "aliases"]
    assert len(df) == len(ENTRIES)
    assert df.chapter.is_monotonic_increasing
    row = df[df.english == "share of wallet"].iloc[0]
    assert (row.chinese, row.korean, row.chapter) == ("钱包份额", "지갑점유율", 10)
    assert "SOW" in row.aliases.split("; ")


def test_table_of_one_chapter():
    df = table(chapter=9)
    assert set(df.chapter) == {9}
    assert {"customer churn", "churn rate", "churn warning point", "cohort"} <= set(df.english)


@pytest.mark.parametrize("bad", [12, -1, "5", 2.0, True])
def test_table_rejects_a_chapter_that_does_not_exist(bad):
    with pytest.raises(CRMDataError, match="parameter 'chapter'.*0..11"):
        table(chapter=bad)


def test_search_in_every_language():
    assert {"share of wallet", "wallet allocation rule"} <= set(search("WALLET").english)
    assert {"customer churn", "churn rate", "churn warning point"} <= set(search("이탈").english)
    assert "customer equity" in set(search("客户资产").english)
    # definitions are searched too
    assert "whale curve" in set(search("most to least profitable").english)
    assert search("no such words here").empty


def test_search_needs_text():
    with pytest.raises(CRMDataError, match="non-empty string"):
        search(" ")


def test_term_display():
    t = lookup("NPS")
    assert str(t).startswith("Net Promoter Score | 净推荐值 | 순추천지수 (chapter 08)")
    md = t._repr_markdown_()
    assert "**Net Promoter Score**" in md and "*also:*" in md and "Satisfaction and complaints" in md
    assert t.chapter_title == "Satisfaction and complaints"


# --- the chapters speak the glossary's Chinese ------------------------------------------
import json  # noqa: E402
from pathlib import Path  # noqa: E402

_ROOT = Path(__file__).resolve().parent.parent
_NOTEBOOKS = sorted(p.stem for p in (_ROOT / "notebooks").glob("*.ipynb"))
# A term in parentheses after its English name: "(客户满意度)", "(顾客满意度, 投诉)", "(忠诚, ...)".
_PARENS = re.compile(r"[(（]([^()（）]*[\u4e00-\u9fff][^()（）]*)[)）]")
# Words that introduce another name on purpose: "the course's 光顾间歇", "also 顾客满意度", "又称 ...".
_NAMED_AS_ALIAS = re.compile(r"(?:course's|\balso\b|\bor\b|又称|亦称|也称|即)")


def alias_terms_in(text: str) -> list[tuple[str, str]]:
    """(term used, glossary term) for every Chinese name in parentheses that is an alias, not the glossary's term.

    >>> alias_terms_in("satisfaction (顾客满意度) and loyalty (客户忠诚度); recency (the course's 光顾间歇)")
    [('顾客满意度', '客户满意度')]
    >>> alias_terms_in("share of wallet (also the spending composition, 客户的支出构成)")
    []
    """
    primary = {t.zh for t in glossary._entries()}
    alias_of = {a: t.zh for t in glossary._entries() for a in t.aliases if CJK.search(a) and a not in primary}
    found = []
    for m in _PARENS.finditer(text):
        start = 0
        for part in re.split(r"[,，、;；]", m.group(1)):
            word = part.strip()
            before = m.group(1)[: m.group(1).find(part, start)]
            start += len(part) + 1
            core = re.sub(r"^(?:the course's|also|or|又称|亦称|也称|即)\s*", "", word)
            if core in alias_of and not _NAMED_AS_ALIAS.search(before + word[: len(word) - len(core)]):
                found.append((core, alias_of[core]))
    return found


@pytest.mark.parametrize("name", _NOTEBOOKS)
def test_chapters_use_the_glossary_chinese_term(name):
    """One concept, one Chinese name: the glossary's (客户满意度, not 客户满意 / 顾客满意度)."""
    cells = json.loads((_ROOT / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
    used = [
        (i, a, z)
        for i, c in enumerate(cells)
        if c["cell_type"] == "markdown"
        for a, z in alias_terms_in("".join(c["source"]))
    ]
    assert not used, f"{name}: write the glossary's term: " + "; ".join(f"cell {i}: {a} -> {z}" for i, a, z in used)
