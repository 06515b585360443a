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
from .base import PageText, decoded, html_lines, link, page_text, plain_lines

SCIO_BODY = ("#content", ".content", ".TRS_Editor", "#Zoom", ".article", "#article", ".main-content")
SCIO_TITLE = ("h1", ".title h1", "#title", ".tit", "h2.title", ".title")
CHINAORG_BODY = ("#container_txt", "#artibody", "#content", ".content")
CHINAORG_TITLE = ("#title", "h1", ".title")


def read_scio(page: RawPage, number: int) -> PageText:
    if not page.is_html:
        return page_text(page, number, plain_lines(page))
    lines, title, doc = html_lines(
        decoded(page), SCIO_BODY, SCIO_TITLE, markers=("<!--enpcontent-->", "<!--/enpcontent-->")
    )
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
