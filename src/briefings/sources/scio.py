"""SCIO transcripts (english.scio.gov.cn) and their china.org.cn republications.

Both print the same transcript text (roster, `Date:` line, bare-name labels);
they differ in where the body sits in the DOM, which is reported rather than
seen, so each selector list ends in the generic extractor.
"""

from __future__ import annotations

import re

from ..dates import date_in_url, find_date
from ..html import first, text_of
from ..models import RawPage
from ..people import Entities
from ..text import looks_chinese
from . import scio_zh
from .base import PageText, decoded, html_lines, link, page_text, plain_lines, roster_briefing

SCIO_BODY = ("#content", ".content", ".TRS_Editor", "#Zoom", ".article", "#article", ".main-content")
SCIO_TITLE = ("h1", ".title h1", "#title", ".tit", "h2.title", ".title")
CHINAORG_BODY = ("#container_txt", "#artibody", "#content", ".content")
CHINAORG_TITLE = ("#title", "h1", ".title")


def read_scio(page: RawPage, number: int) -> PageText:
    if not page.is_html:
        return page_text(page, number, plain_lines(page))
    if scio_zh.is_chinese_site(page.url) or (not page.url and _names_chinese_site(page)):
        return scio_zh.read(page, number)
    lines, title, doc = html_lines(
        decoded(page), SCIO_BODY, SCIO_TITLE, markers=("<!--enpcontent-->", "<!--/enpcontent-->")
    )
    if not page.url and looks_chinese("".join(lines[:20])):
        return scio_zh.read(page, number)  # a Chinese page saved without its address or its site's name
    published = date_in_url(page.url) or _byline_date(doc)
    return page_text(
        page,
        number,
        lines,
        title=title,
        published=published,
        doc=doc,
        other_language=chinese_version(doc, page.url),
    )


# The Chinese site's pages name it in their head: <meta name="SiteName" content="国务院新闻办公室网站">.
_CHINESE_SITE = re.compile(
    rb"<meta\s+name=[\"']?SiteName[\"']?\s+content=[\"']?" + "国务院新闻办".encode(), re.I
)


def _names_chinese_site(page: RawPage) -> bool:
    return bool(_CHINESE_SITE.search(page.body[: 64 * 1024]))


def build(id: str, pages: list[PageText], entities: Entities):
    """A transcript of the Chinese site is read by its own rules; the English site's by the roster."""
    head = min(pages, key=lambda p: p.number)
    if scio_zh.is_chinese_site(head.url) or looks_chinese((head.title or "") + "".join(head.lines[:20])):
        return scio_zh.build(id, pages, entities)
    return roster_briefing("scio", id, pages, entities)


def chinese_version(doc, base: str | None) -> str | None:
    """The transcript's "Read in Chinese" link, `<a id="cn">`."""
    a = first(doc, "a#cn")
    href = (a.get("href") or "").strip() if a is not None else ""
    return link(base, href) if href else None


_BYLINE = re.compile(
    r"^\s*(?:China\.org\.cn|(?:english\.)?scio\.gov\.cn)\s*(?:\||,|Updated:)\s*(?P<date>.{6,40})", re.I
)


def _byline_date(doc) -> str | None:
    """The page's own date from its byline ("China.org.cn | March 20, 2023"), wherever the template puts it."""
    for text in doc.itertext():
        m = _BYLINE.match(text)
        if m and (day := find_date(m.group("date"))):
            return day
    return None


def read_chinaorg(page: RawPage, number: int) -> PageText:
    if not page.is_html:
        return page_text(page, number, plain_lines(page))
    lines, title, doc = html_lines(decoded(page), CHINAORG_BODY, CHINAORG_TITLE)
    byline = first(doc, "#guild dd", "#guild")
    published = find_date(text_of(byline, " ")) if byline is not None else None
    return page_text(page, number, lines, title=title, published=published or date_in_url(page.url), doc=doc)
