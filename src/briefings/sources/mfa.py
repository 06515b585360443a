"""Foreign ministry press conferences (fmprc.gov.cn, mfa.gov.cn), English and Chinese.

The title names the spokesperson and the day ("Foreign Ministry Spokesperson
Geng Shuang's Regular Press Conference on May 11, 2018"); the page's date
element is empty and old conferences were re-published under new dates, so
the title is the only trustworthy date. `A:` turns and the unlabelled
opening announcements are the spokesperson's; every other label is an asker.
"""

from __future__ import annotations

import re

from ..dates import date_before, date_in_url, find_date, iso_date
from ..html import first, text_of
from ..labels import Context
from ..models import Participant, RawPage
from ..people import Entities, Roster
from ..segment import segment
from .base import PageText, decoded, html_lines, is_title_line, link, make_briefing, page_text, plain_lines

BODY = ("div.content_mod div.content", "#News_Body_Txt_A", ".content_text", "#content", "div.content")
TITLE = ("div.content_mod h2.title", "#News_Body_Title", ".news_header_title", "h2.title", "h1")
_EN_SPOKESPERSON = re.compile(r"Spokesperson\s+(?P<name>[A-Z][\w.\- ]+?)['’]s\b")
_ZH_SPOKESPERSON = re.compile(r"发言人(?P<name>[\u4e00-\u9fff]{2,4}?)(?:主持|答记者问|就|在|发表|宣布|表示)")
# An announcement page whose title names no one opens "外交部发言人耿爽宣布：" or
# "Foreign Ministry Spokesperson Geng Shuang announced:".
_OPENING = re.compile(
    r"^(?:Foreign Ministry )?Spokesperson (?P<en>[A-Z][\w\- ]+?) (?:announced|said)\b|^外交部发言人(?P<zh>[\u4e00-\u9fff]{2,4}?)(?:宣布|表示)"
)
_STAMP = re.compile(r"\bW0(\d{8})\d*\.")
ROLE_EN = "Foreign Ministry spokesperson"
ROLE_ZH = "外交部发言人"


def read(page: RawPage, number: int) -> PageText:
    if not page.is_html:
        lines = plain_lines(page)
        title = lines[0] if lines and is_title_line(lines[0]) else None
        return page_text(
            page, number, lines[1:] if title else lines, title=title, held=find_date(title or "")
        )
    text = decoded(page)
    lines, title, doc = html_lines(text, BODY, TITLE)
    dated = first(doc, ".xltime", "#News_Body_Time", "div.news-title p.time", "p.time")
    published = find_date(text_of(dated, " ")) if dated is not None else None
    if published is None:
        meta = _PUB_DATE.search(text[:50_000])
        published = find_date(meta.group(1)) if meta else date_in_url(page.url)
    held = find_date(title or "") or date_before(title or "", published or _upload_day(text))
    return page_text(
        page,
        number,
        lines,
        title=title,
        published=published,
        held=held,
        other_language=english_version(doc, page.url),
    )


def english_version(doc, base: str | None) -> str | None:
    """A Chinese page's link to its English version, in `div.lan_btn` (英文, or an mfa_eng path)."""
    box = first(doc, "div.lan_btn")
    if box is None:
        return None
    for a in box.iter("a"):
        href = (a.get("href") or "").strip()
        descs = " ".join(i.get("data-desc") or i.get("alt") or "" for i in a.iter("img")) + text_of(a)
        if href and ("英文" in descs or "English" in descs or "/mfa_eng/" in href or "/eng/" in href):
            return link(base, href)
    return None


# The later template's day of publication: <meta name="PubDate" content="2024-04-03">.
_PUB_DATE = re.compile(r"<meta\s+name=[\"']?PubDate[\"']?\s+content=[\"']([^\"']+)", re.I)


def _upload_day(html: str) -> str | None:
    """The day the page's files were uploaded, from the CMS's stamped file names
    (`W020180910...jpg`): the latest day the conference can have been held on,
    for a title that prints no year."""
    stamps = [s for s in (_iso_stamp(m) for m in _STAMP.findall(html)) if s]
    return max(stamps) if stamps else None


def _iso_stamp(digits: str) -> str | None:
    return iso_date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))


def spokesperson(title: str, entities: Entities, date: str | None, opening: str = "") -> Participant | None:
    m = _EN_SPOKESPERSON.search(title) or _ZH_SPOKESPERSON.search(title)
    if m:
        printed = m.group("name").strip()
    else:
        m = _OPENING.search(opening)
        if not m:
            return None
        printed = (m.group("en") or m.group("zh")).strip()
    known = entities.person(printed)
    name = known.name if known else printed
    zh = bool(re.search(r"[\u4e00-\u9fff]", printed))
    role = (known.role_on(date) if known else None) or (ROLE_ZH if zh else ROLE_EN)
    return Participant(name=name, role=role, kind="spokesperson", label=printed)


def build(id: str, pages: list[PageText], entities: Entities):
    pages = sorted(pages, key=lambda p: p.number)
    head = pages[0]
    date = head.held
    speaker = spokesperson(
        head.title or "", entities, date or head.published, head.lines[0] if head.lines else ""
    )
    participants = [speaker] if speaker else []
    ctx = Context(
        entities=entities,
        roster=Roster(participants),
        default=speaker,
        opening_is_default=speaker is not None,
        unknown_labels="outlets",
        bold_questions=True,
        date=date,
    )
    paras: list[tuple[int, str]] = []
    for p in pages:
        paras.extend((p.number, line) for line in p.lines if not (head.title and line == head.title))
    turns = segment(paras, ctx)
    # A spokesperson's remarks on one question (答记者问) print no date in their
    # title: they are published the day they are given, so the page's date is theirs.
    return make_briefing(
        id=id,
        source="mfa",
        pages=pages,
        title=head.title,
        date=date or head.published,
        published=head.published,
        participants=participants,
        turns=turns,
        text_sample=(head.title or "") + " ".join(t.text for t in turns[:3]),
    )
