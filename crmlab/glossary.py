"""Glossary of CRM terms (客户关系管理术语表) in English, Chinese and Korean.

Every concept the workbook teaches, with its English term, the Chinese term the
course uses (simplified characters), the Korean term, other names it goes by,
a one-line definition and the chapter that teaches it. The entries live in
``glossary.yml`` next to this module; their sources are the course material and
the references cited in each chapter (Kotler's *Marketing Management* for
delivered value, 陈明亮 (2003) for the lifecycle patterns, Dwyer, Schurr & Oh
(1987) for the relationship phases, Dick & Basu (1994) for loyalty types, and
so on).

>>> lookup("客户终身价值").en
'customer lifetime value'
>>> lookup("share of wallet").zh
'钱包份额'
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from crmlab._validate import CRMDataError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Term", "UnknownTermError", "lookup", "table", "search", "CHAPTERS"]

#: Chapter numbers and titles of the workbook (notebooks/NN_topic.ipynb).
CHAPTERS: dict[int, str] = {
    0: "Start here",
    1: "What CRM is",
    2: "Customer value",
    3: "Segmentation",
    4: "RFM",
    5: "Customer lifetime value and customer equity",
    6: "The customer lifecycle",
    7: "Relationship development",
    8: "Satisfaction and complaints",
    9: "Loyalty, retention and churn",
    10: "Acquisition and development",
    11: "CRM in practice",
}

_DATA = Path(__file__).with_name("glossary.yml")


class UnknownTermError(CRMDataError, LookupError):
    """Raised by :func:`lookup` for a term the glossary does not know."""


@dataclass(frozen=True)
class Term:
    """One glossary entry.

    Attributes
    ----------
    en, zh, ko : the term in English, Chinese (simplified) and Korean.
    definition : one line in English.
    chapter : number of the chapter that teaches it (see ``CHAPTERS``).
    aliases : other names, abbreviations and spellings (any language).
    """

    en: str
    zh: str
    ko: str
    definition: str
    chapter: int
    aliases: tuple[str, ...] = ()

    @property
    def chapter_title(self) -> str:
        """Title of the chapter that teaches the term."""
        return CHAPTERS[self.chapter]

    def __str__(self) -> str:
        return f"{self.en} | {self.zh} | {self.ko} (chapter {self.chapter:02d})\n  {self.definition}"

    def _repr_markdown_(self) -> str:
        also = f"  \n*also:* {', '.join(self.aliases)}" if self.aliases else ""
        return (
            f"**{self.en}** · {self.zh} · {self.ko} — chapter {self.chapter:02d} "
            f"({self.chapter_title})  \n{self.definition}{also}"
        )


def _key(text: str) -> str:
    """Normalise a term for matching: width, case, spaces, hyphens and apostrophes."""
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    for ch in " \t-_'’‐–—·":
        text = text.replace(ch, "")
    return text


@lru_cache(maxsize=1)
def _entries() -> tuple[Term, ...]:
    import yaml

    raw = yaml.safe_load(_DATA.read_text(encoding="utf-8"))
    names = {f.name for f in fields(Term)}
    out = []
    for i, item in enumerate(raw):
        missing = sorted(names - set(item))
        extra = sorted(set(item) - names)
        if missing or extra:
            raise ValueError(f"glossary.yml entry {i} ({item.get('en')!r}): missing {missing}, unknown {extra}")
        out.append(
            Term(
                en=str(item["en"]),
                zh=str(item["zh"]),
                ko=str(item["ko"]),
                definition=str(item["definition"]),
                chapter=int(item["chapter"]),
                aliases=tuple(str(a) for a in item["aliases"] or ()),
            )
        )
    return tuple(out)


@lru_cache(maxsize=1)
def _index() -> dict[str, Term]:
    index: dict[str, Term] = {}
    for term in _entries():
        for name in (term.en, term.zh, term.ko, *term.aliases):
            k = _key(name)
            other = index.setdefault(k, term)
            if other is not term:
                raise ValueError(f"glossary.yml: {name!r} names both {other.en!r} and {term.en!r}")
    return index


def _names() -> list[str]:
    return [n for t in _entries() for n in (t.en, t.zh, t.ko, *t.aliases)]


def lookup(term: str) -> Term:
    """Find a CRM term by its English, Chinese or Korean name or an alias.

    Matching ignores case, spaces, hyphens and full-/half-width differences, so
    ``"Share of Wallet"``, ``"share-of-wallet"`` and ``"SOW"`` find the same entry.

    Parameters
    ----------
    term : the term in any of the three languages, or an abbreviation.

    Returns
    -------
    Term : ``en``, ``zh``, ``ko``, ``definition``, ``chapter``, ``aliases``.

    Raises
    ------
    UnknownTermError
        If nothing matches; the message lists the closest terms the glossary knows.

    Examples
    --------
    >>> t = lookup("CLV")
    >>> t.en, t.zh, t.ko, t.chapter
    ('customer lifetime value', '客户终身价值', '고객생애가치', 5)
    >>> lookup("지갑점유율").en
    'share of wallet'
    """
    if not isinstance(term, str) or not term.strip():
        raise UnknownTermError(f"glossary lookup needs a non-empty string, got {term!r}.")
    found = _index().get(_key(term))
    if found is not None:
        return found
    names = _names()
    by_key = {_key(n): n for n in names}
    key = _key(term)
    close = difflib.get_close_matches(key, list(by_key), n=5, cutoff=0.6)
    close += [k for k in by_key if key in k and k not in close][: max(0, 5 - len(close))]
    hint = ", ".join(repr(by_key[k]) for k in close)
    raise UnknownTermError(
        f"'{term}' is not in the crmlab glossary. "
        + (f"Close matches: {hint}. " if hint else "")
        + "Use glossary.search(text) to search definitions, or glossary.table() to see every term."
    )


def table(chapter: int | None = None) -> "pd.DataFrame":
    """All glossary terms as a DataFrame, or only those taught in one chapter.

    Parameters
    ----------
    chapter : a chapter number 0-11, or ``None`` for all.

    Returns
    -------
    DataFrame with columns english, chinese, korean, chapter, definition, aliases
    (aliases joined by "; "), in chapter order.

    Examples
    --------
    >>> t = table(chapter=6)
    >>> t.loc[t.english == "exploration stage", "chinese"].item()
    '考察期'
    >>> list(t.columns)
    ['english', 'chinese', 'korean', 'chapter', 'definition', 'aliases']
    """
    import pandas as pd

    if chapter is not None:
        if isinstance(chapter, bool) or not isinstance(chapter, int) or chapter not in CHAPTERS:
            raise CRMDataError(
                f"parameter 'chapter' = {chapter!r} is not a chapter; "
                f"use one of {min(CHAPTERS)}..{max(CHAPTERS)} or None for all."
            )
    rows = [
        {
            "english": t.en,
            "chinese": t.zh,
            "korean": t.ko,
            "chapter": t.chapter,
            "definition": t.definition,
            "aliases": "; ".join(t.aliases),
        }
        for t in _entries()
        if chapter is None or t.chapter == chapter
    ]
    df = pd.DataFrame(rows, columns=["english", "chinese", "korean", "chapter", "definition", "aliases"])
    df = df.sort_values("chapter", kind="stable").reset_index(drop=True)
    df.attrs["source"] = "crmlab glossary"
    return df


def search(text: str) -> "pd.DataFrame":
    """Terms whose names, aliases or definition contain ``text`` (any language, any case).

    Examples
    --------
    >>> search("wallet").english.tolist()
    ['share of wallet', 'wallet allocation rule']
    >>> search("流失").english.tolist()[:2]
    ['customer churn', 'churn rate']
    """
    if not isinstance(text, str) or not text.strip():
        raise CRMDataError(f"glossary search needs a non-empty string, got {text!r}.")
    needle = unicodedata.normalize("NFKC", text).casefold().strip()
    df = table()
    hay = (df.english + " " + df.chinese + " " + df.korean + " " + df.aliases + " " + df.definition).map(
        lambda s: unicodedata.normalize("NFKC", s).casefold()
    )
    return df[hay.str.contains(needle, regex=False)].reset_index(drop=True)
