"""Any other site: the generic main-text extractor and roster/label conventions.

The body is the element holding the most paragraph text; the title the page's
<h1> (else <title>); the publication date its <time> or article metadata. An
editorial lede ("The following is a transcript of the briefing given on May
13, 2024 by Daniel Okoro, spokesperson for ...") names the day and the
briefer: it is read as header, and `A:` answers are that briefer's.
"""

from __future__ import annotations

import re

from ..dates import find_date
from ..html import largest_text_block, paragraphs, parse, text_of
from ..html import title as title_text
from ..labels import looks_like_name
from ..models import Participant, RawPage
from ..people import Entities, strip_title
from ..text import clean_line
from .base import PageText, decoded, page_text, plain_lines, roster_briefing

_LEDE = re.compile(
    r"^\(?The following is (?:an? )?(?:edited |full |partial )?(?:transcript|text)\b(?P<rest>.*)$", re.I
)
_BY = re.compile(
    r"\bby (?P<name>(?:Mr\.|Ms\.|Mrs\.|Dr\.)?\s*[A-Z][\w.'\-]+(?: [A-Z][\w.'\-]+){0,3}),\s*(?P<role>[^.()]+)"
)


def read(page: RawPage, number: int) -> PageText:
    if not page.is_html:
        return page_text(page, number, plain_lines(page))
    doc = parse(decoded(page))
    h1 = doc.find(".//h1")
    title = clean_line(text_of(h1)) if h1 is not None else None
    if not title and title_text(doc):
        title = clean_line(re.split(r"\s+[|—–-]\s+", title_text(doc))[0]) or None
    published = None
    for node in (doc.find(".//time"), doc.find(".//meta[@property='article:published_time']")):
        if node is not None:
            value = node.get("datetime") or node.get("content") or text_of(node, " ")
            published = find_date(value or "")
            if published:
                break
    lines = paragraphs(largest_text_block(doc))
    return page_text(page, number, lines, title=title, published=published)


def build(id: str, pages: list[PageText], entities: Entities):
    pages = sorted(pages, key=lambda p: p.number)
    first = pages[0]
    briefer = None
    # The lede comes first in the text, after at most the headline and a dateline.
    at = next((i for i, line in enumerate(first.lines[:4]) if _LEDE.match(line)), None)
    if at is not None:
        lede = first.lines.pop(at)
        first.held = first.held or find_date(lede)
        m = _BY.search(lede)
        if m and looks_like_name(strip_title(m.group("name"))):
            briefer = Participant(
                name=strip_title(m.group("name")),
                role=m.group("role").strip(),
                kind="spokesperson",
                label=m.group("name").strip(),
            )
    return roster_briefing("text", id, pages, entities, default=briefer)
