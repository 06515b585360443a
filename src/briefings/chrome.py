"""Page chrome as data: lines that are never part of what anyone said.

Each rule is (name, pattern, action). `drop` removes the line, `cut` ends the
body there (footers: nothing after them is speech), `strip` removes the match
inside a line. The names are what the quality report and tests talk about.
"""

from __future__ import annotations

import re

RULES: list[tuple[str, re.Pattern[str], str]] = [
    ("editor token", re.compile(r"_ueditor_page_break_tag_"), "strip"),
    ("breadcrumb", re.compile(r"^(?:Home\s*>\s*)?Press Room\s*>?\s*Press Conference", re.I), "drop"),
    ("breadcrumb", re.compile(r"^(?:Home|Press Room)\s*(?:>|»)\s*\S.*(?:>|»)", re.I), "drop"),
    ("language link", re.compile(r"^(?:Read in Chinese|中文版?|Chinese Version)$", re.I), "drop"),
    ("site header", re.compile(r"^Home\s*\|\s*中文站"), "drop"),
    ("byline", re.compile(r"^China\.org\.cn\s*(?:\||,|Updated:|\d)", re.I), "drop"),
    ("byline", re.compile(r"^(?:Source|Editor|Author|Updated)\s*[:：]\s*\S.{0,80}$", re.I), "drop"),
    ("byline", re.compile(r"^(?:english\.)?scio\.gov\.cn\s*\|", re.I), "drop"),
    (
        "share bar",
        re.compile(r"^(?:Share|Share to|Print|Close|Print Close|E-mail|Email|Favorite)\s*:?$", re.I),
        "drop",
    ),
    (
        "related links",
        re.compile(r"^MORE FROM\b"),
        "cut",
    ),  # the heading is in capitals; "More from" is speech
    ("forum link", re.compile(r"^Go to Forum\s*>>", re.I), "drop"),
    ("photo caption", re.compile(r"^\[?\s*(?:Photo|Photos|Image)\s*(?:by|/|:)\s*[^\]]*\]?$", re.I), "drop"),
    ("photo caption", re.compile(r"^\[.{0,200}/China SCIO\]$", re.I), "drop"),
    # A caption paragraph: a description of the picture ending in its credit.
    ("photo caption", re.compile(r"^.{0,400}\[(?:Photo|Photos)\s*(?:by\s+|/)[^\]]{1,120}\]$", re.I), "drop"),
    ("photo caption", re.compile(r"^\(Photo[^)]*\)$", re.I), "drop"),
    ("translation note", re.compile(r"^\(The Chinese version shall prevail\.?\)$", re.I), "drop"),
    ("footer", re.compile(r"^STATEMENT$"), "cut"),
    ("footer", re.compile(r"^Links\s*[:：]"), "cut"),
    ("footer", re.compile(r"^Copyright\s*(?:©|\(c\)|&copy;)", re.I), "cut"),
    ("footer", re.compile(r"^Suggest to a friend", re.I), "cut"),
    ("footer", re.compile(r"^Address\s*[:：].{0,200}Postcode\s*[:：]", re.I), "cut"),
    ("advert", re.compile(r"^(?:Advertisement|Advertising|Sponsored)$", re.I), "drop"),
    ("back to top", re.compile(r"^(?:Back to top|Top)$", re.I), "drop"),
]

_PAGER_TOKEN = re.compile(
    r"<<|>>|<|>|«|»|‹|›|Prev(?:ious)?|Next|First|Last|上一页|下一页|首页|尾页|\d{1,3}", re.I
)


# Everything a pager line may hold; one match tells most lines apart before any counting.
_PAGER_LINE = re.compile(
    r"^(?:[\s|.…<>«»‹›\d]|Prev(?:ious)?|Next|First|Last|上一页|下一页|首页|尾页)+$", re.I
)


def pager_total(line: str) -> int | None:
    """The page count a pager line shows ("1 2 3 ... 11 >"), or None if not a pager."""
    if len(line) > 400 or not _PAGER_LINE.match(line):
        return None
    compact = line.replace("...", " ").replace("…", " ")
    tokens = _PAGER_TOKEN.findall(compact)
    if not tokens or _PAGER_TOKEN.sub("", compact).strip(" |"):
        return None
    numbers = [int(t) for t in tokens if t.isdigit()]
    if len(numbers) < 2 or numbers[0] != 1 or numbers != sorted(set(numbers)):
        return None
    return numbers[-1]


def clean(lines: list[str]) -> tuple[list[str], int | None]:
    """Drop chrome from a page's lines; also return the pager's page count, if any."""
    out: list[str] = []
    total: int | None = None
    for line in lines:
        n = pager_total(line)
        if n is not None:
            total = max(total or 0, n)
            continue
        action = None
        for _name, pattern, act in RULES:
            if act == "strip":
                if pattern.search(line):
                    line = pattern.sub("", line).strip()
                continue
            if pattern.search(line):
                action = act
                break
        if action == "cut":
            break
        if action == "drop" or not line:
            continue
        out.append(line)
    return out, total
