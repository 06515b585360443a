"""Which turn of one language version translates which turn of the other.

The two versions of a conference keep the same order, so the alignment is
monotone and found by dynamic programming over both turn lists. Each step
links one turn to one, one to two (a version that splits an answer into two
paragraphs-as-turns), or leaves a turn unlinked (a question and answer one
version left out). A link is scored 0 to 1 from what a translation keeps:
the kind of turn, who spoke or asked (canonical names, so every alias added
to entities.json makes more of them comparable), the numbers and dates it
cites (Chinese numerals read as numbers), and its length (Chinese characters
against English words). The score is stored with the link, so an unsure one
says so instead of being dropped or passed off as sure.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .text import HAN_CHAR

# A step's score must beat this to be worth linking rather than leaving both
# turns unlinked; the links below LOW are listed by `quality` as unsure.
LINK_FLOOR = 0.35
LOW = 0.5
# Splitting one turn over two costs a little, so a 1-1 link wins when both fit.
SPLIT_PENALTY = 0.08
MIXED_PENALTY = 0.15

# Chinese characters per English word in MFA translations (median over the
# 105 real pairs whose turns correspond one to one: 1.56; half of all turns
# lie within a factor 1.25 of it).
ZH_PER_EN_WORD = 1.43
LENGTH_SIGMA = 0.35  # spread of log(ratio)
# Added to both lengths: "Please ask the Ministry of Commerce" may be 请向商务部询问,
# a ratio that would mean nothing in a long answer says little in a short one.
LENGTH_SMOOTHING = 5.0
# How much more a link is worth for each turn past two that it covers.
COVER = 0.5

UNKNOWN_SPEAKERS = {None, "", "Unidentified journalist"}

_WORD = re.compile(r"[A-Za-z0-9]+(?:['’.-][A-Za-z0-9]+)*")
_DIGITS = re.compile(r"\d+(?:[,，]\d{3})*(?:\.\d+)?")
_ZH_DIGIT = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_ZH_UNIT = {"十": 10, "百": 100, "千": 1000}
_ZH_BIG = {"万": 10**4, "亿": 10**8}
_ZH_NUMBER = re.compile(r"[〇零一二两三四五六七八九十百千万亿]+")
_ZH_SCALED = re.compile(r"(\d+(?:\.\d+)?)\s*([万亿])")
_EN_SCALED = re.compile(r"(\d+(?:\.\d+)?)\s*(thousand|million|billion|trillion)\b", re.I)
_EN_SCALE = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        1,
    )
}
_EN_MONTH = re.compile(
    r"\b(" + "|".join(_MONTHS) + r"|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?\s+(\d{1,2})\b", re.I
)


_EN_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
}
_EN_WORDS.update(
    {
        w: i
        for i, w in enumerate(
            "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
            "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split()
        )
    }
)
_EN_WORDS.update(
    {
        "thirty": 30,
        "forty": 40,
        "fifty": 50,
        "sixty": 60,
        "seventy": 70,
        "eighty": 80,
        "ninety": 90,
        "hundred": 100,
        "thirtieth": 30,
        "fortieth": 40,
        "fiftieth": 50,
        "sixtieth": 60,
        "seventieth": 70,
        "hundredth": 100,
    }
)
_EN_WORD_NUMBER = re.compile(r"\b(" + "|".join(_EN_WORDS) + r")\b", re.I)


def zh_numeral(s: str) -> int | None:
    """二〇二〇 -> 2020, 十五 -> 15, 三百二十 -> 320, 一万五千 -> 15000; None if not a number."""
    if not s:
        return None
    if all(c in _ZH_DIGIT for c in s):  # digit by digit, as years are written
        return int("".join(str(_ZH_DIGIT[c]) for c in s))
    total, section, digit = 0, 0, None
    for c in s:
        if c in _ZH_DIGIT:
            digit = _ZH_DIGIT[c]
        elif c in _ZH_UNIT:
            section += (1 if digit is None else digit) * _ZH_UNIT[c]
            digit = None
        elif c in _ZH_BIG:
            total = (total + section + (digit or 0)) * _ZH_BIG[c]
            section, digit = 0, None
        else:
            return None
    return total + section + (digit or 0)


def _num(s: str) -> float:
    return float(s.replace(",", "").replace("，", ""))


def _key(x: float) -> str:
    return f"{x:.6g}"


def numbers(text: str, language: str) -> set[str]:
    """The numbers a text cites, as comparable keys: 3.5亿 and 350 million are one key."""
    out: set[str] = set()
    if language == "zh":
        for m in _ZH_SCALED.finditer(text):
            out.add(_key(_num(m.group(1)) * _ZH_BIG[m.group(2)]))
        rest = _ZH_SCALED.sub(" ", text)
        for m in _DIGITS.finditer(rest):
            out.add(_key(_num(m.group())))
        for m in _ZH_NUMBER.finditer(rest):
            word = m.group()
            if len(word) == 1 and word in "一两":  # 一个, 两国: words, not figures
                continue
            value = zh_numeral(word)
            if value is not None and (value > 1 or len(word) > 1):
                out.add(_key(value))
    else:
        for m in _EN_SCALED.finditer(text):
            out.add(_key(_num(m.group(1)) * _EN_SCALE[m.group(2).lower()]))
        rest = _EN_SCALED.sub(" ", text)
        for m in _EN_MONTH.finditer(rest):
            name = m.group(1).lower()
            month = next(v for k, v in _MONTHS.items() if k.startswith(name[:3]))
            out.add(_key(month))
        for m in _DIGITS.finditer(rest):
            out.add(_key(_num(m.group())))
        for m in _EN_WORD_NUMBER.finditer(rest):
            out.add(_key(_EN_WORDS[m.group(1).lower()]))
    out.discard(_key(1))
    return out


def size(text: str, language: str) -> float:
    """Length in comparable units: English words, Chinese characters over ZH_PER_EN_WORD."""
    if language == "zh":
        return max(1.0, len(HAN_CHAR.findall(text)) + len(_WORD.findall(text))) / ZH_PER_EN_WORD
    return max(1.0, len(_WORD.findall(text)))


@dataclass(frozen=True)
class Side:
    """What the aligner reads of one turn (or of two run together)."""

    seqs: tuple[int, ...]
    kind: str
    who: str | None  # the outlet of a question, else the speaker; canonical
    size: float
    numbers: frozenset


def side(turn: dict, language: str) -> Side:
    who = turn.get("outlet") if turn.get("kind") == "question" and turn.get("outlet") else turn.get("speaker")
    return Side(
        (turn["seq"],),
        turn["kind"],
        who,
        size(turn["text"], language),
        frozenset(numbers(turn["text"], language)),
    )


def joined(a: Side, b: Side) -> Side:
    """Two turns read as one, of the first one's kind."""
    return Side(
        a.seqs + b.seqs,
        a.kind,
        a.who if a.who not in UNKNOWN_SPEAKERS else b.who,
        a.size + b.size,
        a.numbers | b.numbers,
    )


def _comparable(name: str | None) -> bool:
    """A name resolved to the canonical (Latin) one; a Chinese label no alias knows yet is not."""
    return name not in UNKNOWN_SPEAKERS and not HAN_CHAR.search(name or "")


def similarity(a: Side, b: Side) -> float:
    """0 to 1: how well b reads as a's translation."""
    if a.kind != b.kind:
        if {a.kind, b.kind} <= {"statement", "answer", "other"}:
            kind = 0.4  # the spokesperson's words either way
        else:
            return 0.0
    else:
        kind = 1.0
    ratio = math.log((a.size + LENGTH_SMOOTHING) / (b.size + LENGTH_SMOOTHING))
    sigma = LENGTH_SIGMA * (1.5 if a.kind == "question" else 1.0)  # questions are paraphrased more freely
    length = math.exp(-(ratio**2) / (2 * sigma**2))
    evidence = [(length, 2.0)]
    if _comparable(a.who) and _comparable(b.who):
        evidence.append((1.0 if a.who == b.who else 0.0, 3.0 if a.kind == "question" else 1.5))
    if a.numbers and b.numbers:
        shared = len(a.numbers & b.numbers)
        union = len(a.numbers | b.numbers)
        evidence.append((shared / union, min(3.0, 0.75 * union + 0.75)))
    elif a.numbers or b.numbers:  # a figure one version spells out in words, or leaves out
        evidence.append((0.0, 0.5))
    total = sum(w for _, w in evidence)
    return kind * sum(s * w for s, w in evidence) / total


@dataclass(frozen=True)
class Link:
    a: tuple[int, ...]  # seqs in the first version
    b: tuple[int, ...]  # seqs in the second
    score: float


# The steps the alignment may take: (turns of the first version, of the second).
STEPS = ((1, 1), (1, 2), (2, 1), (1, 3), (3, 1))


def _run(sides: list[Side], i: int, n: int) -> tuple[Side, float] | None:
    """sides[i:i+n] read as one turn, and what reading them so costs; None past the end."""
    if i + n > len(sides):
        return None
    run = sides[i]
    for s in sides[i + 1 : i + n]:
        run = joined(run, s)
    kinds = {s.kind for s in sides[i : i + n]}
    if n == 1:
        return run, 0.0
    # One version splits a turn in two (same kind), or prints a question and its
    # answer, or a journalist's aside, as one turn (mixed): the second is less sure.
    return run, SPLIT_PENALTY * (n - 1) if len(kinds) == 1 else MIXED_PENALTY * (n - 1)


def align(turns_a: list[dict], lang_a: str, turns_b: list[dict], lang_b: str) -> list[Link]:
    """The best monotone alignment of two versions' turns: links, in order."""
    A = [side(t, lang_a) for t in turns_a]
    B = [side(t, lang_b) for t in turns_b]
    n, m = len(A), len(B)
    NEG = float("-inf")
    best = [[NEG] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0

    def offer(i, j, value, step):
        if value > best[i][j]:
            best[i][j] = value
            back[i][j] = step

    for i in range(n + 1):
        for j in range(m + 1):
            here = best[i][j]
            if here == NEG:
                continue
            if i < n:
                offer(i + 1, j, here, (i, j, None))
            if j < m:
                offer(i, j + 1, here, (i, j, None))
            for di, dj in STEPS:
                ra, rb = _run(A, i, di), _run(B, j, dj)
                if ra is None or rb is None:
                    continue
                s = similarity(ra[0], rb[0]) - ra[1] - rb[1]
                if s > LINK_FLOOR:
                    mixed = ra[1] > SPLIT_PENALTY * (di - 1) or rb[1] > SPLIT_PENALTY * (dj - 1)
                    shown = s + (0.0 if mixed else ra[1] + rb[1])
                    # A link's worth grows with the turns it covers, so a turn is left
                    # out only when no reading of it as part of a translation fits.
                    offer(
                        i + di, j + dj, here + (s - LINK_FLOOR) * (1 + COVER * (di + dj - 2)), (i, j, shown)
                    )
    links: list[Link] = []
    i, j = n, m
    while (i, j) != (0, 0):
        step = back[i][j]
        assert step is not None, "every cell on the path back was reached from another"
        pi, pj, s = step
        if s is not None:
            links.append(
                Link(
                    tuple(x.seqs[0] for x in A[pi:i]),
                    tuple(x.seqs[0] for x in B[pj:j]),
                    round(min(1.0, s), 3),
                )
            )
        i, j = pi, pj
    links.reverse()
    return links
