"""Every number a chapter's prose states is backed by a stored output of that notebook.

A reader checks a page against what it shows: "158 of the 398 Champions (40 %)" must be
visible in (or a stated rounding of) a printed table, value or readout of the same notebook.
A number no output shows is either a constant of a formula or the literature - and then it is
listed, with its reason, in :data:`ALLOWED` below, the one reviewed allowance list - or it is a
claim nobody can verify, and this test names the cell and the sentence.

What counts as a match (:func:`backed`): a prose number written with ``d`` decimals matches an
output number ``x`` when ``x`` rounds to it at ``d`` decimals; shares match as fractions or
percentages (``14 %`` ~ ``0.1412``), amounts with "million"/"thousand" are scaled, and a sign
stated in words ("loses 13,067") matches the negative output. Figures (PNG) are not text: a
number read off a figure must also be printed by the cell that draws it.
"""

from __future__ import annotations

import functools
import json
import math
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))

#: The reviewed allowance list: (notebooks it applies to - a prefix, "" for all -, a regular
#: expression matched in the prose, why that number needs no output). Matched text is removed
#: before numbers are read. Keep it short; add an entry only with a reason a reviewer accepts.
ALLOWED: list[tuple[str, str, str]] = [
    # --- structure of the workbook, not results
    (
        "",
        r"\b(?:chapters?|ch\.|exercises?|cells?|sections?|steps?|questions?|parts?|figures?|tables?)"
        r"\s+\d+(?:\.\d+)?(?:\s*(?:[-–,]|and|or|to)\s*\d+(?:\.\d+)?)*",
        "chapter, exercise, cell, step and figure numbers are references, not results",
    ),
    (
        "",
        r"\b\d{1,2}\s+(?:January|February|March|April|May|June|July|August|September|October|November|December)\b",
        "the day of a date (31 December 2024): the as-of date is stated in the code cell that sets it",
    ),
    (
        "",
        r"(?<![\d.,])(?:19|20)\d\d(?:[a-z]\b|(?![\d%]|[.,]\d))",
        "years and citation years (Hughes 1994, Reichheld 2003a)",
    ),
    ("", r"\bQ[1-4]\b", "quarter names (Q4 is a period, not a result)"),
    ("", r"\b(?:top|bottom)\s+(?:10|20|25|50)\s*%", "the share of customers a concentration measure is taken at"),
    (
        "",
        r"\b(?:\d+\s*[-–]\s*\d+|\d+(?:\s*,\s*\d+)+)\s+(?:scale|points?)\b",
        "the points of a rating scale (1-5, 0-10)",
    ),
    (
        "",
        r"\b[1-5]\s*[-–]\s*5\b|\b1\s*…\s*5\b|\b5\s*…\s*1\b|\b555\b|\b111\b",
        "RFM's score range 1-5 and codes 555 ... 111",
    ),
    (
        "",
        r"\b0\s*[-–]\s*10\b|\b0\s*[-–]\s*6\b|\b9\s*[-–]\s*10\b|\b7\s*[-–]\s*8\b",
        "the NPS answer scale 0-10 and its bands 0-6, 7-8, 9-10 (Reichheld 2003)",
    ),
    (
        "",
        r"\b80\s*/\s*20\b|\b20\s*%\s+of\s+(?:the\s+)?customers?\b[^.]{0,40}?\b80\s*%",
        "the name of the Pareto rule (80/20) and its statement",
    ),
    ("", r"\b360\s*°", "the 360° customer profile (a name)"),
    ("", r"\b10C\b|\b4Ps?\b|\b7Ps?\b|\b4Cs?\b", "names of frameworks: 10C, 4P, 4C"),
    ("", r"\bA\s*[-–]\s*D\b|\bABC\b", "pattern and class letters"),
    ("", r"\bShift\s*\+\s*Enter\b", "key names such as Shift+Enter (not numbers)"),
    # --- constants from formulas and from the literature (each with its source)
    ("09", r"\b2\s*%[^.]{0,60}?\b10\s*%", "the course's rule of thumb: 2 % less churn is worth 10 % lower cost"),
    ("", r"[-−]\s*100\s+to\s+\+?\s*100\b", "the range of NPS, -100 to +100 points (Reichheld 2003)"),
    ("03", r"\b1\s*[-–]\s*4\s*[-–]\s*15\s*[-–]\s*80\b", "the customer pyramid's 1-4-15-80 split (Curry & Curry 2000)"),
    ("", r"\b25\s*[-–]\s*85\s*%", "Reichheld & Sasser (1990): 5 points fewer defections, 25-85 % more profit"),
    ("05", r"\b150\s*[-–]\s*300\s*%", "Kaplan & Narayanan (2001): the top 20 % earn 150-300 % of profit (whale curve)"),
]

# A number as written in prose: optional sign, thousands separators, decimals, then an optional
# percent sign or a scale word. Digits inside identifiers (R00944, s042, b2b, py3) are not numbers.
NUMBER = re.compile(
    r"(?<![\w.$\\/#-])(?P<sign>[-−])?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\w])"
    r"(?P<pct>\s?%|\s?per\s?cent)?(?:\s+(?P<scale>million|thousand|billion))?"
)
OUT_NUMBER = re.compile(r"[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?")
SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9}
#: Whole numbers up to this size are counts in words ("two accounts", "five stages", scores 1-5);
#: the test reads them as language, not as results.
SMALL = 10


def _cells(name):
    return json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]


@functools.lru_cache(maxsize=1)
def equation_numbers() -> frozenset[str]:
    """The equation numbers the chapters define with ``\\tag{N.k}``: "(4.1)" or "eq. 6.1" refers to one."""
    tags = set()
    for name in NOTEBOOKS:
        for cell in _cells(name):
            if cell["cell_type"] == "markdown":
                tags |= set(re.findall(r"\\tag\{([^}]*)\}", "".join(cell["source"])))
    return frozenset(tags)


EQUATION = re.compile(r"(?:\beq(?:uation)?s?\.?\s*\(?|\()(\d{1,2}\.\d{1,2}[a-z]?)(?:\s*[-–]\s*(\d{1,2}\.\d{1,2}))?\)?")


def _clean_markdown(src: str, name: str) -> str:
    """Prose without math, code, links' targets, HTML tags, allowed constants and Discuss questions.

    The questions of a ``## Discuss`` section pose what-if cases ("a retailer cuts prices by
    10 %"), not results; the section is left out up to the next heading.
    """
    tags = equation_numbers()
    src = EQUATION.sub(lambda m: " " if m[1] in tags and (m[2] is None or m[2] in tags) else m[0], src)
    src = re.sub(r"^##\s+Discuss\b.*?(?=^#|\Z)", " ", src, flags=re.S | re.M)
    src = re.sub(r"\$\$.*?\$\$", " ", src, flags=re.S)
    src = re.sub(r"(?<!\\)\$.+?(?<!\\)\$", " ", src)
    src = re.sub(r"```.*?```", " ", src, flags=re.S)
    src = re.sub(r"`[^`]*`", " ", src)
    src = re.sub(r"\]\([^)]*\)", "] ", src)
    src = re.sub(r"<[^>]+>", " ", src)
    src = re.sub(r"https?://\S+", " ", src)
    src = re.sub(r"^#+\s*\d+\s*·", "#", src, flags=re.M)  # the chapter number of a title
    src = re.sub(r"^\s*(?:\d+\.|[①-⑳])\s", " ", src, flags=re.M)  # list numbering
    for prefix, pattern, _reason in ALLOWED:
        if name.startswith(prefix):
            src = re.sub(pattern, " ", src, flags=re.I)
    return src


def prose_numbers(src: str, name: str = "") -> list[dict]:
    """The numbers a Markdown cell states, each with its context.

    >>> [n["text"] for n in prose_numbers("In 2024, 158 of 398 Champions (40 %) lost 1.5 million; see chapter 07 and (4.1).")]
    ['158', '398', '40 %', '1.5 million']
    """
    text = _clean_markdown(src, name)
    found = []
    for m in NUMBER.finditer(text):
        value = float(m["num"].replace(",", ""))
        decimals = len(m["num"].split(".")[1]) if "." in m["num"] else 0
        if decimals == 0 and not m["pct"] and not m["scale"] and value <= SMALL:
            continue
        found.append(
            {
                "text": m.group(0).strip(),
                "value": value,
                "decimals": decimals,
                "percent": bool(m["pct"]),
                "scale": SCALES.get(m["scale"] or "", 1.0),
                "context": text[max(0, m.start() - 60) : m.end() + 40].replace("\n", " "),
            }
        )
    return found


def output_text(cell) -> str:
    """All text a code cell's stored outputs show: printed values, tables (tags stripped), streams."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append("".join(out.get("text", "")))
        for mime in ("text/plain", "text/html", "text/markdown", "text/latex"):
            if mime in out.get("data", {}):
                body = "".join(out["data"][mime])
                parts.append(re.sub(r"<[^>]+>", " ", body) if mime == "text/html" else body)
    return "\n".join(parts)


def output_numbers(text: str) -> set[float]:
    """Every number in ``text``: thousands separators read both ways, signs kept.

    >>> sorted(output_numbers("1,437 rows; -13067.4; 0.1412; 1.2e+06"))
    [-13067.4, 0.1412, 1.0, 437.0, 1437.0, 1200000.0]
    """
    values = set()
    for m in OUT_NUMBER.finditer(text):
        token = m.group(0).replace("−", "-")
        values.add(float(token.replace(",", "")))
        if "," in token:  # "1,437" in a list could be 1 and 437
            values.update(float(p) for p in re.split(r",", token.lstrip("-")) if re.fullmatch(r"\d+(?:\.\d+)?", p))
    return values


def code_literals(source: str) -> set[float]:
    """The numbers a code cell sets as inputs (``n=300``, ``seed=7``): a page may state its own inputs.

    Only exact values count here - an input is quoted, never rounded.

    >>> sorted(code_literals("damaged(orders, n=300, share=0.05)  # 12 rows"))
    [0.05, 300.0]
    """
    code = "\n".join(line.split("#", 1)[0] for line in source.splitlines())
    code = re.sub(r"(['\"]).*?\1", " ", code)
    return {float(m.group(0).replace("_", "")) for m in re.finditer(r"(?<![\w.])\d[\d_]*(?:\.\d+)?(?![\w])", code)}


def backed(number: dict, values) -> bool:
    """Whether an output value rounds to the prose number (as a share, a percentage or a scaled amount).

    >>> n = prose_numbers("about 14 % of customers")[0]
    >>> backed(n, {0.1412}), backed(n, {14.4}), backed(n, {0.146})
    (True, True, False)
    >>> backed(prose_numbers("it loses 13,067")[0], {-13067.4})
    True
    >>> backed(prose_numbers("margin is 158.01 per customer")[0], {158.0149}), backed(prose_numbers("margin is 158.01")[0], {150.84})
    (True, False)
    """
    p, d, scale = number["value"], number["decimals"], number["scale"]
    half = 0.5 * 10**-d + 1e-9
    factors = [1.0, 100.0] if number["percent"] else [1.0, 100.0, 0.01] if d else [1.0]
    for x in values:
        for f in factors:
            y = abs(x) * f / scale
            if math.isfinite(y) and abs(y - p) <= half:
                return True
    return False


def unbacked(name: str) -> list[str]:
    """The prose numbers of a notebook that no stored output of it shows, as readable lines."""
    cells = _cells(name)
    values, inputs = set(), set()
    for cell in cells:
        if cell["cell_type"] == "code":
            values |= output_numbers(output_text(cell))
            inputs |= code_literals("".join(cell["source"]))
    problems = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        for n in prose_numbers("".join(cell["source"]), name):
            if not backed(n, values) and not (n["value"] * n["scale"] in inputs and not n["percent"]):
                problems.append(f"{name} cell {i}: {n['text']!s} in '…{n['context'].strip()}…'")
    return problems


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_number_in_the_prose_is_shown_by_an_output(name):
    problems = unbacked(name)
    assert not problems, (
        f"{len(problems)} number(s) in the prose of {name} appear in no stored output (print the value in "
        "the cell that computes it, correct the sentence, or - for a constant of a formula or the "
        "literature - add it with its reason to ALLOWED):\n" + "\n".join(problems)
    )


# ------------------------------------------------------------------ the test can fail


def test_a_planted_wrong_sentence_is_caught(monkeypatch):
    """A sentence whose number no output shows is reported with its cell; a true one is not."""
    cells = [
        {
            "cell_type": "code",
            "outputs": [{"output_type": "execute_result", "data": {"text/plain": "0.5762\n1437"}}],
            "source": "x",
        },
        {"cell_type": "markdown", "source": "57.6 % of the list had churned; 1,437 returned orders."},
        {"cell_type": "markdown", "source": "The lower multiplier flags 214 customers."},
    ]
    monkeypatch.setattr(__import__(__name__), "_cells", lambda name: cells)
    problems = unbacked("99_planted")
    assert len(problems) == 1 and "cell 2" in problems[0] and "214" in problems[0]


def test_a_rounding_must_be_a_true_rounding():
    """57.6 % backs 0.5762; 57.7 % and 58.6 % do not; a wrong digit in a count is caught."""
    assert backed(prose_numbers("57.6 % churned")[0], {0.5762})
    assert not backed(prose_numbers("57.7 % churned")[0], {0.5762})
    assert not backed(prose_numbers("58.6 % churned")[0], {0.5762})
    assert not backed(prose_numbers("1,473 returned orders")[0], {1437.0})


def test_references_and_allowed_constants_are_not_read_as_claims():
    text = (
        "See chapter 05 and exercises 3-4; eq. (6.1) on 31 December 2024 (Reichheld 2003). "
        "Scores 1–5, the 80/20 rule, the 360° profile, codes 555 … 111, customer R00944, s042."
    )
    assert prose_numbers(text) == []


def test_every_allowance_has_a_reason_and_is_used():
    """An entry nobody needs is noise in a list meant to be reviewed."""
    prose = {
        name: "\n".join("".join(c["source"]) for c in _cells(name) if c["cell_type"] == "markdown")
        for name in NOTEBOOKS
    }
    for prefix, pattern, reason in ALLOWED:
        assert len(reason) > 15, f"give a reason for {pattern!r}"
        used = any(re.search(pattern, text, flags=re.I) for name, text in prose.items() if name.startswith(prefix))
        assert used, f"ALLOWED entry {pattern!r} ({reason}) matches no chapter's prose: remove it"
