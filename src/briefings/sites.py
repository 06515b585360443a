"""What the archive knows about each site, one record per page family.

Everything a stage needs to know about a site lives here and nowhere else:
its hosts, the URL shapes its transcripts have had in every era, how a page
number and a transcript's key are read from a URL, where its listings start
(Chinese ones too), its languages and the parser module that reads it. Fetch,
crawl, ingest and the command line all read these records, so adding a
family or a URL scheme is one record here and one parser module in
`sources/`. This module imports nothing heavy: the command line reads it at
start-up for its `--source` choices.

Evidence: "seen" means in real pages (../corpus, the seeds); "reported" means a
third-party scraper relies on it; "guessed" means neither, and a listing so
marked is walked only when asked for (`crawl --lang`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath
from urllib.parse import urlsplit


@dataclass(frozen=True)
class StartPage:
    """Where one of a site's listings begins, the span of dates it covers and its language."""

    url: str
    first: date | None = None
    last: date | None = None
    language: str = "en"
    evidence: str = "reported"


@dataclass(frozen=True)
class Document:
    """One way a site names a transcript in the last segment of its URL.

    `pattern` matches the name without any page suffix and extension, with the
    document's number as group `id`; `briefing_id` makes the briefing's id from
    it. When `paged`, page n of the document is `<name>_<n>.<ext>` (the one page
    number pattern, `PAGE`); `numbered_first` gives the extensions whose page 1
    carries `_1` too (china.org.cn's `.shtml` pages from late 2025).
    """

    pattern: re.Pattern[str]
    briefing_id: str | None = "{family}-{id}"  # None: the number is only the site's, no id of ours
    paged: bool = False
    numbered_first: tuple[str, ...] = ()
    extensions: tuple[str, ...] = (".htm", ".html", ".shtml")


@dataclass(frozen=True)
class Site:
    family: str
    name: str
    hosts: tuple[str, ...]  # each host and its subdomains; a longer (more precise) host wins
    languages: tuple[str, ...]  # what its parsers read; crawl walks these languages' listings by default
    parser: str  # the module in sources/ that reads its pages
    reader: str  # its function: (RawPage, page number) -> PageText
    builder: str | None  # its function: pages -> Briefing; None: the roster builder (sources/base.py)
    # The URL path of any of its pages (a mirror's host says nothing, its paths do).
    sections: re.Pattern[str] | None = None
    # The URL path of a transcript, every era: what crawl follows on a listing.
    transcripts: re.Pattern[str] | None = None
    documents: tuple[Document, ...] = ()
    # Its document numbers are unique across the site: the number alone names a transcript
    # wherever it is served (desktop, mobile, http or https, a mirror, another host of the site).
    site_wide_ids: bool = False
    start_pages: tuple[StartPage, ...] = ()
    # What a page of it shows of itself, read when no URL says where it came from (its hosts too).
    markers: tuple[str, ...] = ()
    marker_pattern: re.Pattern[str] | None = None
    own_names: tuple[str, ...] = ()  # its name as its pages' <title> or SiteName print it
    # Its listings date each link by the title (MFA re-published old conferences under new dates).
    title_dates: bool = False
    fetchable: bool = True
    # The hosts of its Chinese site, where the family has one beside an English site (its bare
    # domain, one of `hosts`, is the Chinese site too: the English one is english.<domain>).
    chinese_hosts: tuple[str, ...] = ()


# The one page-number pattern: a document's name, then `_<n>` for its page n. Any number of
# digits is read: a page numbered past screen.MAX_PAGES is refused as no page of its transcript
# (that bound is the one limit); which names carry a page suffix at all is the documents' say.
PAGE = re.compile(r"^(?P<doc>.+?)_(?P<n>\d+)$")

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_CONTENT = re.compile(r"content_(?P<id>\d+)", re.I)

SITES: tuple[Site, ...] = (
    Site(
        family="scio",
        name="State Council Information Office",
        hosts=("scio.gov.cn",),
        languages=("en",),
        parser="scio",
        reader="read_scio",
        builder="build",  # the Chinese site's transcripts by their own rules, the English by the roster
        # English: /pressroom/, /m/pressroom/, /m/topnews/; Chinese (reported): /xwfbh/, /xwfb/.
        sections=re.compile(r"^/(m/)?(pressroom|topnews)/|^/xwfbh?/"),
        transcripts=re.compile(
            r"/pressroom/\d{4}-\d{2}/\d{2}/content_\d+\.html?$"  # seen: .htm to 2024, .html from 2025
            r"|^/xwfbh?/.*/Document/\d+/\d+\.htm$"  # reported: the Chinese site's older documents
            r"|^/xwfbh?/.*/t\d{8}_\d+\.html?$"  # guessed: the Chinese site's CMS of the 2020s
        ),
        documents=(
            Document(_CONTENT, paged=True),
            Document(
                re.compile(r"node_(?P<id>\d+)", re.I), "scio-node-{id}"
            ),  # a hub: the node is the briefing
        ),
        site_wide_ids=True,
        start_pages=(
            StartPage("https://english.scio.gov.cn/pressroom/node_8020819.html"),
            # sites.md: press conferences under /xwfbh/ on the Chinese site; no page seen yet.
            StartPage("http://www.scio.gov.cn/xwfbh/", language="zh", evidence="reported"),
        ),
        markers=("enpcontent",),
        marker_pattern=re.compile(r"^\s*(Speakers?|Chairperson)\s*:", re.M),
        own_names=("国务院新闻办",),  # the Chinese site's SiteName
        chinese_hosts=("www.scio.gov.cn", "m.scio.gov.cn"),
    ),
    Site(
        family="chinaorg",
        name="China.org.cn",
        hosts=("china.org.cn",),
        languages=("en",),
        parser="scio",
        reader="read_chinaorg",
        builder=None,
        sections=re.compile(r"^/(china/)?\d{4}-\d{2}/\d{2}/content_\d+"),
        transcripts=re.compile(r"^/(china/)?\d{4}-\d{2}/\d{2}/content_\d+\.s?html?$"),
        documents=(Document(_CONTENT, paged=True, numbered_first=(".shtml",)),),
        site_wide_ids=True,
        start_pages=(StartPage("http://www.china.org.cn/china/node_7075073.htm"),),
        markers=("container_txt",),
    ),
    Site(
        family="gac",
        name="General Administration of Customs",
        hosts=("customs.gov.cn",),
        languages=("en",),
        parser="gac",
        reader="read",
        builder="build",
        sections=re.compile(r"^/(statics|onlineinterview|customs)/", re.I),
        transcripts=re.compile(
            rf"^/(statics/{_UUID}\.html|onlineinterview/detail/{_UUID})$"  # seen, the English site
            r"|^/customs/(?:[\w-]+/)*\d+/index\.html$",  # guessed: the Chinese site's articles
            re.I,
        ),
        documents=(
            # `<uuid>_2.html` is page 2; an interview's detail page has no extension
            Document(re.compile(rf"(?P<id>{_UUID})", re.I), "gac-{uuid12}", True, (), (".html", ".htm", "")),
        ),
        start_pages=(
            StartPage("http://english.customs.gov.cn/News/"),
            # sites.md: the English pages link `中文站`; its press releases' listing is not recorded.
            StartPage(
                "http://www.customs.gov.cn/customs/xwfb34/302425/index.html",
                language="zh",
                evidence="guessed",
            ),
        ),
        markers=("Home|中文站", "General Administration of Customs of the People"),
        own_names=("海关总署",),  # the Chinese site's SiteName
        chinese_hosts=("www.customs.gov.cn",),
    ),
    Site(
        family="mfa",
        name="Ministry of Foreign Affairs",
        hosts=("fmprc.gov.cn", "mfa.gov.cn"),
        languages=("en", "zh"),
        parser="mfa",
        reader="read",
        builder="build",
        # Chinese pages sit under numbered sections: /web/wjdt_674879/fyrbt_674889/t1415586.shtml
        sections=re.compile(r"^/(mfa_eng|eng/xw|web/wjdt(_\d+)?|web/fyrbt(_\d+)?)/"),
        # to 2021 t<id>.shtml; from 2021 YYYYMM/tYYYYMMDD_<n>.html (English) and .shtml (Chinese)
        transcripts=re.compile(r"/t\d+\.shtml$|/t\d{8}_\d+\.s?html$"),
        documents=(Document(re.compile(r"t(?:\d{8}_)?(?P<id>\d+)", re.I)),),  # one page each, never `_<n>`
        site_wide_ids=True,
        start_pages=(
            StartPage("https://www.mfa.gov.cn/eng/xw/fyrbt/lxjzh/", first=date(2021, 1, 1)),
            StartPage(
                "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/default.shtml",
                last=date(2021, 12, 31),
                evidence="seen",
            ),
            # The Chinese conferences (例行记者会), recorded in ../corpus/mfa/zh (2016-2020).
            StartPage(
                "https://www.fmprc.gov.cn/web/wjdt_674879/fyrbt_674889/default.shtml",
                last=date(2020, 12, 31),
                language="zh",
                evidence="seen",
            ),
            # The same listing on the ministry's new host, which the 2020s pages link as 发言人表态
            # (../corpus/mfa/zh-2020s); its conferences are `YYYYMM/tYYYYMMDD_<n>.shtml` there.
            StartPage(
                "https://www.mfa.gov.cn/web/wjdt_674879/fyrbt_674889/",
                first=date(2020, 9, 1),
                language="zh",
                evidence="seen",
            ),
        ),
        marker_pattern=re.compile(r"Foreign Ministry Spokesperson|外交部发言人"),
        own_names=("中华人民共和国外交部", "Ministry of Foreign Affairs of the People's Republic of China"),
        title_dates=True,
    ),
    Site(
        family="text",
        name="any other site",
        hosts=(),
        languages=("en", "zh"),
        parser="generic",
        reader="read",
        builder="build",
        # pages saved as content_<id>_<n> still group; another site's number makes no id
        documents=(Document(_CONTENT, None, paged=True),),
        fetchable=False,
    ),
)

BY_FAMILY: dict[str, Site] = {s.family: s for s in SITES}
FAMILIES: tuple[str, ...] = tuple(BY_FAMILY)
FETCHABLE: tuple[str, ...] = tuple(s.family for s in SITES if s.fetchable)
LANGUAGES: tuple[str, ...] = ("en", "zh")


def site(family: str) -> Site:
    return BY_FAMILY[family]


def site_of_host(host: str | None) -> Site | None:
    """The site a host belongs to: the most precise host any record names (www.scio.gov.cn
    before scio.gov.cn), matched as itself or a subdomain of it."""
    host = (host or "").lower().rstrip(".")
    best: tuple[int, Site] | None = None
    for s in SITES:
        for h in s.hosts:
            if (host == h or host.endswith("." + h)) and (best is None or len(h) > best[0]):
                best = (len(h), s)
    return best[1] if best else None


def family_of_url(url: str | None) -> str | None:
    """The family of a URL from its host alone; None for a host no record names."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    s = site_of_host(host)
    return s.family if s else None


def detect(url: str) -> str | None:
    """The family of a URL from its host, else from its path's shape (a mirror, a local copy)."""
    family = family_of_url(url)
    if family:
        return family
    path = urlsplit(url).path
    for s in SITES:
        if s.sections is not None and s.sections.search(path):
            return s.family
    return None


def on_chinese_site(family: str, url: str | None) -> bool:
    """Whether a URL is on the family's Chinese site (its bare domain or a host named for it)."""
    if not url:
        return False
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return False
    s = site(family)
    return bool(s.chinese_hosts) and (host in s.chinese_hosts or host in s.hosts)


def on_site(family: str, url: str) -> bool:
    s = site_of_host(urlsplit(url).hostname)
    return s is not None and s.family == family


def _split_name(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    return (stem, dot + ext) if dot else (name, "")


@dataclass(frozen=True)
class Named:
    """What a page's name says: its document, the number in it, and which page it is."""

    document: Document
    doc: str  # the name without its page suffix or extension
    id: str
    page: int
    ext: str
    numbered: bool  # the name carries a `_<n>` suffix


def read_name(family: str, name: str) -> Named | None:
    """The document and page number a URL's last segment (or a file's name) gives, by
    the family's documents; None for a name none of them has."""
    stem, ext = _split_name(name)
    for d in site(family).documents:
        if ext.lower() not in d.extensions:
            continue
        m = PAGE.match(stem) if d.paged else None
        if m:
            whole = d.pattern.fullmatch(m.group("doc"))
            if whole:
                return Named(d, m.group("doc"), whole.group("id"), int(m.group("n")), ext, True)
        whole = d.pattern.fullmatch(stem)
        if whole:
            return Named(d, stem, whole.group("id"), 1, ext, False)
    return None


def page_name(url_or_path: str) -> str:
    """The last segment of a URL's path, or of a file's path."""
    if "://" in url_or_path:
        return PurePosixPath(urlsplit(url_or_path).path).name
    return PurePosixPath(url_or_path).name


def page_number(family: str, url: str) -> int:
    named = read_name(family, page_name(url))
    return named.page if named and named.document.paged else 1


def first_page(family: str, url: str) -> str:
    """The URL of page 1 of the transcript a page URL belongs to.

    Page 1 is the URL without its `_<n>` suffix, except in a scheme whose page 1
    is `_1` itself (`numbered_first`), where a `_1` URL is page 1 as given.
    """
    named = read_name(family, page_name(url))
    if named is None or not named.document.paged or named.page < 2:
        return url
    parts = urlsplit(url)
    suffix = "_1" if named.ext.lower() in named.document.numbered_first else ""
    folder = parts.path.rpartition("/")[0]
    return parts._replace(path=f"{folder}/{named.doc}{suffix}{named.ext}", fragment="").geturl()


def nth_page(family: str, first: str, n: int) -> str:
    """The conventional URL of page n, when no pager link names it."""
    parts = urlsplit(first)
    named = read_name(family, page_name(first))
    folder, _, name = parts.path.rpartition("/")
    doc, ext = (named.doc, named.ext) if named else _split_name(name)
    return parts._replace(path=f"{folder}/{doc}_{n}{ext}", query="", fragment="").geturl()


def paged(family: str, url: str) -> bool:
    """Whether the transcript at url may run over several pages."""
    named = read_name(family, page_name(url))
    return named is not None and named.document.paged


def transcript_key(family: str, url: str) -> str:
    """The same key for every page of a transcript and every copy of it.

    Where the site's numbers are unique site-wide the number alone names the
    transcript, wherever it is served (desktop, mobile `/m/`, http or https, a
    mirror), and it is the briefing's id: copies of one transcript are one group,
    never two briefings overwriting each other. Elsewhere: page 1's URL.
    """
    named = read_name(family, page_name(url))
    if named is not None and named.document.paged:
        if site(family).site_wide_ids:
            return f"{family}:content_{named.id}"
        if family == "text":
            name = page_name(url)
            return f"{family}:{url[: url.rfind(name)]}content_{named.id}"
    return f"{family}:{first_page(family, url)}"


def briefing_id_of_url(family: str, url: str) -> str | None:
    """The briefing id a site's own document number makes, or None where the URL has none."""
    named = read_name(family, page_name(url))
    if named is None:
        return None
    template = named.document.briefing_id
    if template is None:
        return None
    if "{uuid12}" in template:
        return template.format(uuid12=named.id.replace("-", "").lower()[:12])
    return template.format(family=family, id=named.id)


def starts(family: str, languages: tuple[str, ...] | None = None) -> tuple[StartPage, ...]:
    """The listings crawl walks: of the given languages, else of the languages the site's parsers read."""
    wanted = languages or site(family).languages
    return tuple(p for p in site(family).start_pages if p.language in wanted)


__all__ = [
    "SITES",
    "FAMILIES",
    "FETCHABLE",
    "LANGUAGES",
    "PAGE",
    "Site",
    "Document",
    "StartPage",
    "site",
    "site_of_host",
    "family_of_url",
    "detect",
    "on_site",
    "read_name",
    "page_number",
    "first_page",
    "nth_page",
    "paged",
    "transcript_key",
    "briefing_id_of_url",
    "starts",
]
