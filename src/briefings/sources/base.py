"""What every page family shares: a page's text, its header, the briefing record.

A family module turns one raw page into a `PageText` (title, dates it shows,
body lines) and says what it knows about who speaks; `assemble` joins the
pages of one transcript in order, drops what pages 2..n repeat, reads the
roster and hands the paragraphs to the segmenter.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from urllib.parse import urljoin, urlsplit

from .. import chrome
from ..dates import date_in_url, find_date, is_date_line
from ..decode import decode
from ..html import between_comments, first, largest_text_block, paragraphs, parse, text_of
from ..html import title as title_text
from ..labels import GENERIC_LABELS, Context, is_asker, looks_like_name
from ..models import Briefing, Participant, RawPage, Rejected, Turn
from ..people import Entities, Roster, strip_title
from ..segment import segment
from ..text import clean_line, fold, looks_chinese, text_paragraphs

# Bump when parsing changes what a page yields: re-ingest then rewrites it.
PARSER_VERSION = "3"


@dataclass
class PageText:
    number: int
    url: str | None
    path: str
    sha256: str
    lines: list[str]
    title: str | None = None
    published: str | None = None
    held: str | None = None
    pager_total: int | None = None
    raw_head: list[str] = field(default_factory=list)  # the first lines before chrome removal
    other_language: str | None = None  # the page's own link to its version in the other language


def page_text(
    page: RawPage,
    number: int,
    body_lines: list[str],
    *,
    title: str | None = None,
    published: str | None = None,
    held: str | None = None,
    doc=None,
    other_language: str | None = None,
) -> PageText:
    cleaned, total = chrome.clean(body_lines)
    if total is None and doc is not None:
        total = pager_of(doc)
    return PageText(
        number=number,
        url=page.url,
        path=page.path,
        sha256=hashlib.sha256(page.body).hexdigest(),
        lines=cleaned,
        title=clean_line(title) if title else None,
        published=published,
        held=held,
        pager_total=total,
        raw_head=body_lines[:20],
        other_language=other_language,
    )


def link(base: str | None, href: str) -> str | None:
    """An http(s) link of a page, joined to its URL; None for one a page's damage left unreadable
    (`http://>...`): a link is a hint for pairing, never a reason to reject the page."""
    try:
        url = urljoin(base or "", href)
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        return None
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or any(c.isspace() or c in "<>" for c in parts.netloc)
    ):
        return None
    return url


def decoded(page: RawPage) -> str:
    return decode(page.body, page.headers, page.charset)[0]


def html_lines(
    text: str,
    body_selectors: tuple[str, ...],
    title_selectors: tuple[str, ...],
    *,
    markers: tuple[str, str] | None = None,
) -> tuple[list[str], str | None, object]:
    """Body lines and title of an HTML page, with the generic extractor as fallback."""
    doc = parse(text)
    title_node = first(doc, *title_selectors) if title_selectors else None
    title = clean_line(text_of(title_node)) if title_node is not None else None
    lines: list[str] = []
    if markers:
        inner = between_comments(text, *markers)
        if inner is not None:
            inner_doc = parse(inner)
            lines = paragraphs(
                inner_doc.find(".//body") if inner_doc.find(".//body") is not None else inner_doc
            )
    if not lines:
        node = first(doc, *body_selectors) if body_selectors else None
        lines = paragraphs(node)
    if not lines:
        lines = paragraphs(largest_text_block(doc))
    if not title:
        t = title_text(doc)
        title = clean_line(re.split(r"\s+[-—|_]\s+", t)[0]) if t.strip() else None
    return lines, title, doc


def pager_of(doc) -> int | None:
    """The page count a pager outside the body shows (SCIO `#autopage`, china.org.cn lists)."""
    node = first(doc, "#autopage", "div.pager", "div.page", "div.pages")
    if node is None:
        return None
    return chrome.pager_total(clean_line(text_of(node, " ")))


def plain_lines(page: RawPage) -> list[str]:
    return text_paragraphs(decoded(page))


_BYLINE_DATE = re.compile(r"^(?:China\.org\.cn|Source|Updated|Beijing|english\.scio\.gov\.cn)\b.*", re.I)
ROSTER_KEY = re.compile(
    r"^(?P<key>Speakers?|Guests?|Chairpersons?|Chair|Moderator|Host|Date|Time|Venue|Location)\s*[:：]\s*(?P<value>.*)$",
    re.IGNORECASE,
)
ROSTER_KINDS = {
    "speaker": "official",
    "speakers": "official",
    "guest": "official",
    "guests": "official",
    "chairperson": "chair",
    "chairpersons": "chair",
    "chair": "chair",
    "moderator": "chair",
    "host": "chair",
    "date": "date",
    "time": "date",
    "venue": "skip",
    "location": "skip",
}
_DATELINE = re.compile(r"^Beijing\s*\|\s*(.+)$")
_ROLE_START = re.compile(r"^(?:Mr|Mrs|Ms|Madam|Dr|Prof)\.?\s", re.I)


def participant_from(value: str, kind: str) -> Participant | None:
    """ "Ms. Sun Meijun, minister of the GAC" -> Sun Meijun, role "minister of the GAC"."""
    value = clean_line(value).rstrip(";；")
    name, _, role = value.partition(",")
    # The name is who they are, compared with labels: its marks folded. The label is as printed.
    name = strip_title(re.sub(r"\s*[（(][^()（）]*[)）]\s*$", "", fold(name)))  # "Wang Jun (via video link)"
    if not name or not (looks_like_name(name) or re.fullmatch(r"[\u4e00-\u9fff·]{2,8}", name)):
        return None
    return Participant(name=name, role=role.strip() or None, kind=kind, label=value.partition(",")[0].strip())


@dataclass
class Header:
    title: str | None
    published: str | None
    date: str | None
    participants: list[Participant]
    body: list[str]


def read_header(page: PageText, *, first_page: bool = True, entities: Entities | None = None) -> Header:
    """Title, dates and roster at the top of page 1; the rest is the body.

    A page with no title of its own (a text dump, a page with no <h1> or
    <title>) takes its first line for one only if the line is a title (see
    is_title_line); otherwise it has none, and every line is body. On later
    pages (first_page=False) nothing is taken for a title that is not page 1's
    title repeated.
    """
    title = page.title
    published = page.published
    date = page.held
    participants: list[Participant] = []
    for raw in page.raw_head:
        if _BYLINE_DATE.match(raw) and not published:
            published = find_date(raw)
    key: str | None = None
    body_start = 0
    lines = page.lines
    i = 0
    seen_roster = False
    while i < len(lines):
        line = lines[i]
        m = ROSTER_KEY.match(line)
        dl = _DATELINE.match(line)
        if m:
            key = ROSTER_KINDS[m.group("key").casefold()]
            seen_roster = True
            value = m.group("value").strip()
            if value and key in ("official", "chair") and not _add_inline_roster(key, value, participants):
                break  # "Moderator: First question." is the chair speaking, not a roster entry
            if value:
                if key == "date":
                    date = date or find_date(value)
                    key = None
            i += 1
            body_start = i
            continue
        if dl:
            date = date or find_date(dl.group(1))
            i += 1
            body_start = i
            continue
        if key == "date":
            if find_date(line):
                date = date or find_date(line)
                key = None
                i += 1
                body_start = i
                continue
            key = None
        if key in ("official", "chair"):
            p = participant_from(line, key) if ":" not in line and "：" not in line else None
            if p is None and ":" not in line and any(ROSTER_KEY.match(x) for x in lines[i + 1 : i + 6]):
                # An entry of an odd shape with more roster below it: still a roster entry, as printed.
                name, _, role = clean_line(line).partition(",")
                p = Participant(
                    name=strip_title(name), role=role.strip() or None, kind=key, label=name.strip()
                )
            if p is not None:
                participants.append(p)
                i += 1
                body_start = i
                continue
            key = None
        if key == "skip":
            key = None
            i += 1
            body_start = i
            continue
        if not seen_roster and i < 6:
            if title is None and first_page and is_title_line(line, entities):
                title = line
                i += 1
                body_start = i
                continue
            if title is not None and _same(line, title):
                i += 1
                body_start = i
                continue
            if is_date_line(line):
                published = published or find_date(line)
                i += 1
                body_start = i
                continue
        break
    unique: dict[str, Participant] = {}
    for p in participants:
        unique.setdefault(p.name, p)
    return Header(title, published, date, list(unique.values()), lines[body_start:])


def roster_entries(value: str, kind: str) -> list[Participant]:
    """`Speaker: Mr. Li Hua, director of ...; Ms. Wang, ...`: the entries on a roster key's own line."""
    return [
        p for p in (participant_from(part, kind) for part in re.split(r"\s*[;；]\s*", value)) if p is not None
    ]


def _add_inline_roster(key: str, value: str, participants: list[Participant]) -> bool:
    found = roster_entries(value, key)
    participants.extend(found)
    return bool(found)


MAX_TITLE = 200  # characters; the longest real title is under 100
_OPENING_LABEL = re.compile(r"^(?P<label>[^:：]{1,60}?)\s*[:：]")
_SENTENCE_END = re.compile(r"[.!?。？！:：;；,，…]$")
_CLOSERS = "\"')）]」』"


def is_title_line(line: str, entities: Entities | None = None) -> bool:
    """Is this line, at the top of a page with no title element, the page's title?

    A title on these sites is a short line that ends in no punctuation: not a
    sentence (". ? !", or a colon leading into the speech), not a date, not a
    roster line, and not a speaker's turn (`Q: ...`, `Reuters: ...`, a name the
    archive knows). Taking a paragraph for the title would drop it from the
    turns, so anything else is body.
    """
    text = fold(line).strip()
    if not text or len(text) > MAX_TITLE or is_date_line(text) or ROSTER_KEY.match(text):
        return False
    if _SENTENCE_END.search(text.rstrip(_CLOSERS)):
        return False
    m = _OPENING_LABEL.match(text)
    if m:
        label = m.group("label").strip().rstrip(".")
        if label.casefold() in GENERIC_LABELS or is_asker(label):
            return False
        if entities is not None and (entities.person(label) or entities.outlet(label)):
            return False
    return True


def _same(a: str, b: str) -> bool:
    return re.sub(r"\W+", "", a).casefold() == re.sub(r"\W+", "", b).casefold()


def later_page_body(page: PageText, title: str | None) -> list[str]:
    """Pages 2..n repeat the title, date line and sometimes the roster: keep the rest."""
    return read_header(replace(page, title=title, raw_head=[]), first_page=False).body


def fingerprint(pages: list[PageText]) -> str:
    h = hashlib.sha256(PARSER_VERSION.encode())
    for p in pages:
        h.update(f"{p.number}:{p.sha256};".encode())
    return h.hexdigest()


def missing_pages(pages: list[PageText], declared: int | None = None) -> tuple[int, ...]:
    numbers = {p.number for p in pages}
    total = max([declared or 0, *(p.pager_total or 0 for p in pages), *numbers])
    return tuple(n for n in range(1, total + 1) if n not in numbers)


def make_briefing(
    *,
    id: str,
    source: str,
    pages: list[PageText],
    title: str | None,
    date: str | None,
    published: str | None,
    participants: list[Participant],
    turns: list[Turn],
    text_sample: str,
) -> Briefing:
    if not turns:
        raise Rejected("no transcript text found after removing page chrome")
    first_page = min(pages, key=lambda p: p.number)
    return Briefing(
        id=id,
        source=source,
        url=first_page.url,
        title=title or "",  # the page prints none: stored empty, never made up
        date=date,
        published=published,
        language="zh" if looks_chinese(text_sample) else "en",
        participants=tuple(participants),
        turns=tuple(turns),
        pages=tuple(p.url or p.path for p in pages),
        missing_pages=missing_pages(pages),
        fingerprint=fingerprint(pages),
        pages_declared=max((p.pager_total for p in pages if p.pager_total), default=None),
        counterpart_url=first_page.other_language,
    )


def roster_briefing(
    source: str, id: str, pages: list[PageText], entities: Entities, *, default: Participant | None = None
) -> Briefing:
    """Assemble a transcript whose speakers are named in a roster (SCIO, china.org.cn, generic)."""
    pages = sorted(pages, key=lambda p: p.number)
    head = read_header(pages[0], entities=entities)
    published = head.published or pages[0].published or date_in_url(pages[0].url)
    paras = [(pages[0].number, line) for line in head.body]
    for p in pages[1:]:
        paras.extend((p.number, line) for line in later_page_body(p, head.title))
    ctx = Context(
        entities=entities, roster=Roster(head.participants), default=default, date=head.date or published
    )
    turns = segment(paras, ctx)
    participants = head.participants
    if default is not None and all(p.name != default.name for p in participants):
        participants = [*participants, default]
    return make_briefing(
        id=id,
        source=source,
        pages=pages,
        title=head.title,
        date=head.date,
        published=published,
        participants=participants,
        turns=turns,
        text_sample=" ".join(t.text for t in turns[:5]),
    )


# "Wang Lingjun, Vice Minister of ...": a name, then an office, with no title before the name.
_NAME_THEN_OFFICE = re.compile(
    r"^[A-Z][a-z]+(?: [A-Z][a-z]+){1,3},\s+(?:the\s+)?(?:[Vv]ice |[Dd]eputy |[Aa]ssistant |[Ee]xecutive )?"
    r"(?:Minister|Director|Commissioner|Chairman|Chairperson|Chairwoman|Head|Spokesperson|Spokesman|President"
    r"|Secretary|Governor|Mayor|Administrator|Ambassador)\b"
)


def is_role_line(line: str) -> bool:
    """A header line naming a speaker and their office: "Mr. Wang Lingjun, Vice Minister of ..."."""
    if len(line) > 300:
        return False
    return (bool(_ROLE_START.match(line)) and "," in line) or bool(_NAME_THEN_OFFICE.match(line))
