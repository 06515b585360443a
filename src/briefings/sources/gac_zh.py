"""Customs (GACC) Chinese site, www.customs.gov.cn: speeches and online interviews.

No real page has been recorded yet. Public scrapers of the site read an
article's title from `div.easysite-news-title h2`, its date from
`.easysite-news-describe` ("2024-03-01 10:30") and its text from
`div.easysite-news-text#easysiteText`, each article an `index.html` under
`/customs/<column>/<id>/`. A Chinese speech prints, under its title, the
occasion ("——在……上的讲话"), the speaker's office and name ("海关总署副署长　陈厚明")
and the day in brackets ("（2024年3月7日）"); an online interview opens with
its topic, time, guests and host and prints each turn `[姓名]：……`, as the
English site does.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .. import sites
from ..dates import find_date, is_date_line
from ..html import first, text_of
from ..labels import Context
from ..models import Participant, RawPage
from ..people import Entities, Roster
from ..segment import segment
from . import zh
from .base import PageText, decoded, html_lines, make_briefing, page_text

BODY = ("#easysiteText", "div.easysite-news-text", "div.easysite-news-content")
TITLE = ("div.easysite-news-title h2", "div.easysite-news-title")
_DESCRIBE = (".easysite-news-describe",)
_OCCASION = re.compile(r"^[—-]{1,2}\s*(?:在|于).{2,80}(?:讲话|致辞|发言|报告)$")
_SITE_NAME = re.compile(
    rb"<meta\s+name=[\"']?SiteName[\"']?\s+content=[\"']?[^\"'>]*" + "海关总署".encode(), re.I
)


def is_chinese_site(url: str | None) -> bool:
    return sites.on_chinese_site("gac", url)


def names_chinese_site(page: RawPage) -> bool:
    """A page without its address that names itself the Chinese site (SiteName, its article template)."""
    head = page.body[: 64 * 1024]
    return bool(_SITE_NAME.search(head)) or b"easysiteText" in page.body


def read(page: RawPage, number: int) -> PageText:
    lines, title, doc = html_lines(decoded(page), BODY, TITLE)
    describe = first(doc, *_DESCRIBE)
    published = find_date(text_of(describe, " ")) if describe is not None else None
    return page_text(page, number, lines, title=title, published=published, doc=doc)


def _same(a: str, b: str) -> bool:
    return re.sub(r"\W+", "", a) == re.sub(r"\W+", "", b)


def _header(lines: list[str], title: str | None) -> tuple[list[Participant], str | None, int]:
    """Speaker or guests and host, and the day, from the top of the page; and where the text begins."""
    people: list[Participant] = []
    date = None
    key: str | None = None
    i = 0
    while i < min(len(lines), 16):
        line = lines[i]
        m = zh.ROSTER_KEY.match(line)
        if m:
            kind = zh.ROSTER_KINDS[m.group("key")]
            value = m.group("value").strip()
            if kind in ("official", "chair"):
                found = zh.entries(value, kind) if value else []
                if value and not found:
                    break
                # A host printed without an office is the host ("主持人：徐岚"), as the English site says "Host".
                people += [p if p.role else replace(p, role=m.group("key")) for p in found]
            elif kind == "date":
                date = date or find_date(value)
            key = kind if not value else None
            i += 1
            continue
        if key in ("official", "chair") and (p := zh.entry(line, key)) is not None:
            people.append(p)
            i += 1
            continue
        key = None
        if (title and _same(line, title)) or _OCCASION.match(line):
            i += 1
            continue
        if is_date_line(line):
            date = date or find_date(line)
            i += 1
            continue
        if not people and len(line) <= 40 and not re.search(r"[。！？：:，,]", line):
            p = zh.entry(line, "official")  # "海关总署副署长　陈厚明": who gives the speech
            if p is not None and p.role:
                people.append(p)
                i += 1
                continue
        break
    return people, date, i


def build(id: str, pages: list[PageText], entities: Entities):
    from .gac import INTERVIEW, interview  # the turns are printed as on the English site

    pages = sorted(pages, key=lambda p: p.number)
    lines = [ln for p in pages for ln in p.lines]
    title = pages[0].title
    people, date, start = _header(lines, title)
    body = lines[start:]
    published = pages[0].published
    if any(INTERVIEW.match(b) for b in body):
        turns, people, when = interview(body, people, entities, date or published)
        date = date or when
    else:
        speaker = people[0] if len(people) == 1 else None
        ctx = Context(
            entities=entities,
            roster=Roster(people),
            default=speaker,
            opening_is_default=speaker is not None,
            unknown_labels="text",
            date=date or published,
        )
        turns = segment([(1, b) for b in body], ctx)
    people, turns = zh.canonical(people, turns, entities)
    return make_briefing(
        id=id,
        source="gac",
        pages=pages,
        title=title,
        date=date,
        published=published,
        participants=people,
        turns=turns,
        text_sample=(title or "") + " ".join(t.text for t in turns[:3]),
    )
