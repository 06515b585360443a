"""Customs (GACC) English site: speeches and online interviews.

Speeches carry no speaker labels: the speaker is named once in a header line
("Mr. Wang Lingjun, Vice Minister of ..."), and the page's own date may
precede the date of the speech given in the body ("January 13,2025").
Online interviews print each turn as `[Name]: text MM/DD/YYYY HH:MM:SS`.
The Chinese site's pages are read by gac_zh.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..dates import find_date, is_date_line, iso_date
from ..labels import Context, is_asker
from ..models import Participant, RawPage
from ..people import Entities, Roster, strip_title
from ..segment import segment
from ..text import looks_chinese
from . import gac_zh
from .base import (
    ROSTER_KEY,
    ROSTER_KINDS,
    PageText,
    decoded,
    html_lines,
    is_role_line,
    is_title_line,
    make_briefing,
    page_text,
    participant_from,
    plain_lines,
    roster_entries,
)

BODY = (".content", "#content", ".article", ".TRS_Editor", ".detail", "#detail", ".main")
TITLE = ("h1", ".title", "h2")
# A turn's time: `06/18/2024 10:00:05` on the English site, `2024-06-18 10:00:05` on the Chinese one.
_INTERVIEW = re.compile(
    r"^\[(?P<name>[^\]]{1,80})\]\s*[:：]\s*(?P<text>.*?)\s*"
    r"(?P<when>(?:\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{1,2}-\d{1,2})\s+\d{1,2}:\d{2}(?::\d{2})?)?$"
)
INTERVIEW = _INTERVIEW
_PAGE_DATE = re.compile(r"\d{4}/\d{1,2}/\d{1,2}")
_HOST = re.compile(r"\b(?:host|moderator|presenter|anchor)\b|主持人", re.I)


def read(page: RawPage, number: int) -> PageText:
    if not page.is_html:
        return page_text(page, number, plain_lines(page))
    if gac_zh.is_chinese_site(page.url) or (not page.url and gac_zh.names_chinese_site(page)):
        return gac_zh.read(page, number)
    lines, title, doc = html_lines(decoded(page), BODY, TITLE)
    return page_text(page, number, lines, title=title, published=_page_date(doc))


def _page_date(doc) -> str | None:
    """The page's own `YYYY/MM/DD`, wherever the template puts it (inside or above the body)."""
    for text in doc.itertext():
        if _PAGE_DATE.fullmatch(text.strip()):
            return find_date(text)
    return None


def _interview_date(when: str) -> str | None:
    """`MM/DD/YYYY` (or `YYYY-MM-DD`) as the interviews stamp their turns; None for a day that does not exist."""
    m = re.match(r"(\d{1,2})/(\d{1,2})/(\d{4})", when)
    if m:
        return iso_date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
    return find_date(when)


def build(id: str, pages: list[PageText], entities: Entities):
    pages = sorted(pages, key=lambda p: p.number)
    if gac_zh.is_chinese_site(pages[0].url) or looks_chinese(
        (pages[0].title or "") + "".join(pages[0].lines[:20])
    ):
        return gac_zh.build(id, pages, entities)
    lines = [ln for p in pages for ln in p.lines]
    title = pages[0].title
    published, date = pages[0].published, None
    participants: list[Participant] = []
    body_start = 0
    head = lines[:16]
    speaker_line = next(
        (i for i, line in enumerate(head) if is_role_line(line) and not _INTERVIEW.match(line)), None
    )
    for i, line in enumerate(head):
        if title is None and is_title_line(line, entities) and not is_role_line(line):
            title = line
        elif title is not None and re.sub(r"\W", "", line).casefold() == re.sub(r"\W", "", title).casefold():
            pass
        elif is_date_line(line):
            if re.match(r"^\d{4}[/-]\d{1,2}[/-]\d{1,2}$", line.strip()):
                published = published or find_date(line)
            else:
                date = date or find_date(line)
        elif ROSTER_KEY.match(line):
            m = ROSTER_KEY.match(line)
            kind = ROSTER_KINDS[m.group("key").casefold()]
            value = m.group("value").strip()
            if kind == "date":
                date = date or find_date(value)
            elif kind in ("official", "chair") and value:
                for p in roster_entries(value, kind):
                    participants.append(p if p.role else replace(p, role=m.group("key").capitalize()))
        elif is_role_line(line) and not _INTERVIEW.match(line):
            p = participant_from(line, "official")
            if p is None:
                break
            participants.append(p)
        elif speaker_line is not None and i < speaker_line and _headline(line):
            pass  # a headline above the speaker's line: "Speech by Vice Minister Wang Lingjun at ..."
        else:
            break
        body_start = i + 1
    body = lines[body_start:]
    if any(_INTERVIEW.match(b) for b in body):
        turns, people, when = interview(body, participants, entities, date or published)
        participants = people
        date = date or when
    else:
        speaker = participants[0] if len(participants) == 1 else None
        ctx = Context(
            entities=entities,
            roster=Roster(participants),
            default=speaker,
            opening_is_default=speaker is not None,
            unknown_labels="text",
            date=date or published,
        )
        turns = segment([(1, b) for b in body], ctx)
    return make_briefing(
        id=id,
        source="gac",
        pages=pages,
        title=title,
        date=date,
        published=published,
        participants=participants,
        turns=turns,
        text_sample=" ".join(t.text for t in turns[:3]),
    )


def _headline(line: str) -> bool:
    """A short line with no sentence ending: a heading, not the start of the speech."""
    return len(line) <= 200 and not re.search(r"[.!?。！？:：]$", line)


def interview(body: list[str], roster: list[Participant], entities: Entities, date: str | None):
    """Interview turns: hosts moderate, netizens ask, everyone else answers."""
    people = {p.name: p for p in roster}
    paras: list[tuple[int, str]] = []
    first_when = None
    for line in body:
        m = _INTERVIEW.match(line)
        if not m:
            paras.append((1, line))
            continue
        name = strip_title(m.group("name"))
        if m.group("when") and first_when is None:
            first_when = _interview_date(m.group("when"))
        text = m.group("text").strip()
        if is_asker(name):
            paras.append((1, f"{m.group('name').strip()}: {text}".rstrip()))
            continue
        if name not in people:
            kind = "chair" if _HOST.search(name) else "official"
            people[name] = Participant(name=name, role=None, kind=kind, label=m.group("name"))
        # "[Name]:" with nothing after it is a label alone; what follows is theirs.
        paras.append((1, f"{name}: {text}".rstrip()))
    ctx = Context(
        entities=entities,
        roster=Roster(list(people.values())),
        unknown_labels="text",
        date=date or first_when,
    )
    return segment(paras, ctx), list(people.values()), first_when
