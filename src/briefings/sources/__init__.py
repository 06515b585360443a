"""Page families: which one a page belongs to, and raw pages -> Briefing.

The family comes from the URL when there is one, else from markers in the
page, else from the raw store's metadata; `source` given by the user wins.
Pages of one transcript are keyed and numbered as the family's record in
`sites.py` reads their URLs or file names, and read by the parser module the
record names.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import importlib
import re
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from .. import sites
from ..models import Briefing, RawPage, Rejected
from ..people import Entities
from ..screen import MAX_PAGES
from ..text import loose
from . import base, scio_zh

FAMILIES = sites.FAMILIES
_UUID = re.compile(r"([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})", re.I)


def family_from_url(url: str | None) -> str | None:
    return sites.family_of_url(url)


# What a page says of itself (the CMS's <meta name="Url">, SiteDomain, SiteName,
# the site's name in <title>): read before the links in its header and footer,
# which name every other government site.
_OWN_SITE = re.compile(r"<meta\s+name=[\"']?(?:Url|SiteDomain)[\"']?\s+content=[\"']([^\"']+)", re.I)
_OWN_NAME = re.compile(
    r"<title[^>]*>([^<]*)|<meta\s+name=[\"']?SiteName[\"']?\s+content=[\"']([^\"']+)", re.I
)


def family_from_markers(head: bytes) -> str:
    text = head[:200_000].decode("utf-8", "ignore")
    top = text[:50_000]
    for m in _OWN_SITE.finditer(top):
        url = m.group(1) if "//" in m.group(1) else f"//{m.group(1)}"
        family = family_from_url(url)
        if family is not None:
            return family
    names = " ".join(a or b for a, b in _OWN_NAME.findall(top))
    for s in sites.SITES:
        if any(n in names for n in s.own_names):
            return s.family
    if "News_Body_Txt_A" in text:  # the MFA CMS's body, in both languages
        return "mfa"
    for s in sites.SITES:
        if any(m in text for m in (*s.markers, *s.hosts)) or (
            s.marker_pattern and s.marker_pattern.search(text)
        ):
            return s.family
    return "text"


def family_of(page: RawPage, forced: str | None = None) -> str:
    return (
        forced
        or family_from_url(page.url)
        or (page.source if page.source in FAMILIES else None)
        or family_from_markers(page.body)
    )


@dataclass(frozen=True)
class Group:
    key: str
    family: str
    pages: tuple[tuple[int, RawPage], ...]
    missing: tuple[int, ...] = ()  # pages known to exist that could not be fetched


def transcript_key(family: str, url: str) -> str:
    return sites.transcript_key(family, url)


def page_slot(page: RawPage, family: str) -> tuple[str, int]:
    """(transcript key, page number): as the fetcher recorded it, else from the URL or file name.

    A page numbered past MAX_PAGES is no page of its transcript: it is keyed on its
    own, to be rejected alone, and the transcript is stored with that page missing."""
    key, n = _slot(page, family)
    return (f"{family}:{page.path}", n) if n > MAX_PAGES else (key, n)


def _slot(page: RawPage, family: str) -> tuple[str, int]:
    if page.transcript and page.page:
        return sites.transcript_key(family, page.transcript), page.page
    if zh_slot := scio_zh.page_slot(family, page.url, page.path):
        return zh_slot  # the Chinese SCIO site's `t<date>_<n>_<k>.html`: page k+1
    named = sites.read_name(family, sites.page_name(page.url or page.path))
    if named is None and page.url:
        named = sites.read_name(family, sites.page_name(page.path))
    if named is None or not named.document.paged:
        return f"{family}:{page.url or page.path}", 1
    if page.url:
        return sites.transcript_key(family, page.url), named.page
    if sites.site(family).site_wide_ids:
        return f"{family}:content_{named.id}", named.page  # the same key its fetched copies have
    return f"{family}:{PurePosixPath(page.path).parent}:{named.id}", named.page


def briefing_id(family: str, first: RawPage, text_digest: str) -> tuple[str, str]:
    """(id, origin): from the page's URL, else from page 1's text; never from a file name.

    A URL names a document: the site's own number where it has one (SCIO and
    china.org.cn `content_<id>`, a hub's `node_<id>`, MFA `t<id>`, a customs
    uuid), else a digest of the URL. With no URL known, the id is a digest of
    page 1's normalised text (`text_digest`), so the same page saved under any
    name, in any folder, is the same briefing, and two pages saved as
    `transcript1.html` in two folders are two. Page 1 alone, so that a
    transcript's later pages, added when found, keep its id. An id the page's
    metadata names (`"id"` in its sidecar) wins: a hand-placed page keeps the
    id scripts know it by.
    """
    if first.given_id:
        return first.given_id, "given"
    if first.url:
        return url_id(family, first.url), "url"
    return f"{family}-{text_digest[:12]}", f"content:{text_digest}"


def url_id(family: str, url: str) -> str:
    bid = sites.briefing_id_of_url(family, url)
    if bid is not None:
        return bid
    m = _UUID.search(url)
    if m and family == "gac":
        return "gac-" + "".join(m.groups()).lower()[:12]
    return f"{family}-" + hashlib.sha256(url.encode()).hexdigest()[:12]


def text_digest(page: base.PageText) -> str:
    """sha256 of a page's title and body lines as read, compared loosely: Unicode
    compatibility forms, odd spaces and quotes folded, runs of space collapsed. A page
    saved again by a browser or an editor (another encoding, a BOM, CRLF) digests the same."""
    lines = [page.title or "", *page.lines]
    return hashlib.sha256("\n".join(loose(line) for line in lines).encode()).hexdigest()


# A URL the page gives for itself, read from its head when its manifest or sidecar has none:
# <link rel="canonical" href=...>, or <meta name="Url" content=...> (MFA's Chinese pages of the 2020s).
_LINK = re.compile(rb"<link\b[^>]*>", re.I)
_META = re.compile(rb"<meta\b[^>]*>", re.I)
_ATTR = re.compile(rb"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""")
_OWN_URL = re.compile(r"https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?\Z", re.I)


def url_in_page(body: bytes) -> str | None:
    head = body[:PAGE_HEAD]
    for tag, key, value in ((_LINK, b"rel", b"canonical"), (_META, b"name", b"url")):
        for m in tag.finditer(head):
            attrs = {
                a.group(1).lower(): a.group(2) or a.group(3) or a.group(4) or b""
                for a in _ATTR.finditer(m.group(0))
            }
            if attrs.get(key, b"").strip().lower() != value:
                continue
            url = html_lib.unescape(
                (attrs.get(b"href") or attrs.get(b"content") or b"").decode("latin-1")
            ).strip()
            if _OWN_URL.match(url):
                return url
    return None


PAGE_HEAD = 64 * 1024


def with_own_url(page: RawPage) -> RawPage:
    """The page with the URL it gives for itself, when nothing else recorded one."""
    if page.url or not page.body:
        return page
    url = url_in_page(page.body)
    return replace(page, url=url) if url else page


_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}\Z")


def parse_group(g: Group, entities: Entities) -> Briefing:
    """One transcript's pages -> Briefing. Raises Rejected with the reason."""
    first = g.pages[0][1]
    if not first.body.strip():
        raise Rejected("empty page", first.path)
    last = g.pages[-1][0]
    if last > MAX_PAGES:
        raise Rejected(
            f"page number {last} is beyond any transcript's length (at most {MAX_PAGES} pages)",
            g.pages[-1][1].path,
        )
    _reject_non_transcripts(first, g.family)
    if first.given_id is not None and not (isinstance(first.given_id, str) and _ID.match(first.given_id)):
        raise Rejected(
            f"its metadata names the id {first.given_id!r}, which is not one "
            "(letters, digits, '.', '_' and '-', at most 100)",
            first.path,
        )
    site = sites.site(g.family)
    parser = importlib.import_module(f"{__name__}.{site.parser}")  # the parsers load when first used
    reader = getattr(parser, site.reader)
    texts = [reader(page, n) for n, page in g.pages]
    digest = text_digest(texts[0])
    bid, origin = briefing_id(g.family, first, digest)
    builder = getattr(parser, site.builder) if site.builder else None
    if builder is not None:
        b = builder(bid, texts, entities)
    else:
        b = base.roster_briefing(g.family, bid, texts, entities)
    if g.missing:
        b = replace(b, missing_pages=tuple(sorted(set(b.missing_pages) | set(g.missing))))
    # Who a label names depends on the lists of people and outlets as much as on the pages.
    return replace(
        b,
        fingerprint=hashlib.sha256(f"{b.fingerprint}:{entities.digest}".encode()).hexdigest(),
        origin=origin,
        text_digest=digest,
    )


# Searched in the page's bytes folded to lower case: plain substring tests, no regex over 40 KB.
_LISTING = (b'class="newslst_mod"', b'class="rebox_news"', b'class="list"', b'class="news_list"')
_BODY_MARKERS = (
    b'class="content"',
    b"enpcontent",
    b"news_body_txt",
    b"content_text",
    b'id="container_txt"',
    b'id="easysitetext"',  # the customs site's Chinese pages, each an `index.html`
)
_NOTICE = re.compile(r"^\s*Notice of (?:the )?SCIO press conference", re.I | re.M)


def _reject_non_transcripts(page: RawPage, family: str) -> None:
    """Listing pages and notices share the transcripts' paths: skip them, saying why."""
    name = PurePosixPath(page.path).name
    if family == "text":
        return  # an unknown site's page is judged by what it yields, never by its name
    listing_name = re.match(r"^(?:default|index|node_\d+_\d+)(?:_\d+)?\.s?html?$", name)
    folded = page.body.lower()
    if (listing_name or any(m in folded[:400_000] for m in _LISTING)) and not any(
        m in folded for m in _BODY_MARKERS
    ):
        raise Rejected("listing page, not a transcript", page.path, skip=True)
    head = page.body[:20_000].decode("utf-8", "ignore")
    m = re.search(r"<title[^>]*>(.*?)</title>", head, re.I | re.S)
    title = m.group(1) if m else head.lstrip().split("\n", 1)[0]
    if _NOTICE.search(title):
        raise Rejected("notice of a press conference, not a transcript", page.path, skip=True)
