"""Find transcripts on each site's listing pages and fetch the ones in range.

Listing parsing is a pure function of (source, URL, HTML): links are picked by
the shape of a transcript URL (the site's record in `sites.py`, with its start
pages) rather than by page layout, because only the MFA
listings have been seen and the other layouts are reported or guessed. Which
links are transcripts and which are notices is a table of patterns, so a new
kind of non-transcript is one line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup

from . import dates, sites
from .decode import decode
from .fetch import Fetcher, FetchReport, PageResult, Skipped
from .http import FetchError, PoliteClient, join_url, url_problem
from .sites import StartPage

# (source or "*", pattern on the link title, reason to skip). A link that
# matches no rule is a transcript; a rule with reason None keeps it.
TITLE_RULES: tuple[tuple[str, re.Pattern[str], str | None], ...] = (
    (
        "*",
        re.compile(r"^\s*notice\b|\bnotice of\b.*\bpress conference", re.I),
        "notice of a coming briefing, not a transcript",
    ),
    (
        "*",
        re.compile(r"^\s*(live|video|photos?|in pics|infographics?)\s*[:|]", re.I),
        "media item, not a transcript",
    ),
    ("mfa", re.compile(r"regular press conference|daily briefing online|press conference", re.I), None),
    (
        "mfa",
        re.compile(
            r"'s remarks on (jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}, \d{4}\s*$",
            re.I,
        ),
        None,
    ),
    ("mfa", re.compile(r"例行记者会|答记者问"), None),
    ("mfa", re.compile(r"."), "not a regular press conference (a statement or news item)"),
    (
        "gac",
        re.compile(r"press conference|briefing|interview|speech|remarks|q\s*&\s*a|answers? questions", re.I),
        None,
    ),
    ("gac", re.compile(r"新闻发布会|发布会|访谈|讲话|致辞|答记者问"), None),
    ("gac", re.compile(r"."), "news item, not a briefing or speech"),
)

_PAGER_VARS = re.compile(
    r"countPage\s*=\s*(\d+).*?currentPage\s*=\s*(\d+)|currentPage\s*=\s*(\d+).*?countPage\s*=\s*(\d+)", re.S
)
_PAGER_NAME = re.compile(
    r"""["'](\w+)["']\s*\+\s*["']_["']\s*\+\s*nextPage\s*\+\s*["']\.["']\s*\+\s*["'](\w+)"""
)
_CREATE_PAGE = re.compile(r"""createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*["'](\w+)["']\s*,\s*["'](\w+)["']""")
_NEXT_TEXT = re.compile(r"^\s*(next( page)?|下一页|>|»|›)\s*$", re.I)


@dataclass(frozen=True)
class ListingItem:
    url: str
    title: str
    date: date | None


@dataclass(frozen=True)
class Listing:
    url: str
    items: tuple[ListingItem, ...]
    next_url: str | None
    malformed: tuple[
        tuple[str, str, str], ...
    ] = ()  # (href, title, what is wrong) of links no one can follow


def _day(iso: str | None) -> date | None:
    return date.fromisoformat(iso) if iso else None


def item_date(source: str, url: str, title: str, context: str) -> date | None:
    """The briefing's date as the listing shows it.

    Where the site's titles carry the date of the conference (MFA re-published
    old ones under new dates) the title wins; elsewhere the date printed beside
    the link, then the date in the URL. Dates are read by `dates.py`.
    """
    if sites.site(source).title_dates and (day := _day(dates.find_date(title))):
        return day
    for m in dates.NUMERIC.finditer(context.replace(title, " ")):
        if day := _day(dates.iso_date(*(int(x) for x in m.groups()))):
            return day
    return _day(dates.date_in_url(urlsplit(url).path))


def skip_reason(source: str, title: str) -> str | None:
    """Why a listed link is not a transcript, or None when it is one."""
    for rule_source, pattern, reason in TITLE_RULES:
        if rule_source in ("*", source) and pattern.search(title):
            return reason
    return None


def _page_number(url: str) -> tuple[str, int]:
    """(stem, n) of a listing page `<stem>_<n>.<ext>` (the one page-number pattern); n 0 for none."""
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0]
    m = sites.PAGE.match(stem)
    if m:
        return m.group("doc"), int(m.group("n"))
    return stem, 0


def next_listing_url(url: str, html: str, soup: BeautifulSoup | None = None) -> str | None:
    """The listing page after this one.

    Seen on MFA: the pager is written by script from `currentPage` and
    `countPage` (`default_<n>.shtml`, counting from 0). Otherwise the lowest
    numbered `<stem>_<n>` link after this page, then a link labelled "Next".
    """
    m = _CREATE_PAGE.search(html)
    if m:
        count, current, name, ext = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
        return urljoin(url, f"{name}_{current + 1}.{ext}") if current + 1 < count else None
    m = _PAGER_VARS.search(html)
    if m:
        if m.group(1):
            count, current = int(m.group(1)), int(m.group(2))
        else:
            current, count = int(m.group(3)), int(m.group(4))
        if current + 1 >= count:
            return None
        named = _PAGER_NAME.search(html)
        if named:
            name, ext = named.group(1), named.group(2)
        else:
            stem, _ = _page_number(url)
            last = urlsplit(url).path.rsplit("/", 1)[-1]
            name = stem or "index"
            ext = last.rsplit(".", 1)[-1] if "." in last else "html"
        return urljoin(url, f"{name}_{current + 1}.{ext}")

    soup = soup or BeautifulSoup(html, "lxml")
    stem, current = _page_number(url)
    here = urlsplit(url)
    folder = here.path.rsplit("/", 1)[0]
    best: tuple[int, str] | None = None
    fallback: str | None = None
    for a in soup.find_all("a", href=True):
        target, _ = join_url(url, a["href"])
        if target is None:
            continue  # parse_listing reports malformed links
        parts = urlsplit(target)
        if parts.netloc != here.netloc:
            continue
        t_stem, n = _page_number(target)
        if parts.path.rsplit("/", 1)[0] == folder and t_stem == stem and n > current:
            if best is None or n < best[0]:
                best = (n, urlunsplit(parts._replace(fragment="")))
        rel = a.get("rel") or []
        if fallback is None and ("next" in rel or _NEXT_TEXT.match(a.get_text(" ", strip=True))):
            if target != url:
                fallback = urlunsplit(parts._replace(fragment=""))
    if best:
        return best[1]
    return fallback


def parse_listing(source: str, url: str, html: str) -> Listing:
    """Transcript links on one listing page, in page order, and the next page."""
    pattern = sites.site(source).transcripts
    assert pattern is not None, f"{source} has no transcript URLs to crawl"
    soup = BeautifulSoup(html, "lxml")
    items: list[ListingItem] = []
    malformed: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for a in soup.find_all("a", href=True):
        href = a["href"].strip()
        if href.startswith(("javascript:", "mailto:", "#")):
            continue
        title = " ".join(a.get_text(" ", strip=True).split()) or (a.get("title") or "").strip()
        target, problem = join_url(url, href)
        if target is None:
            if problem and problem.startswith("malformed") and href not in seen:
                seen.add(href)
                malformed.append((href, title, problem))
            continue
        if not pattern.search(urlsplit(target).path) or target in seen:
            continue
        if not title:
            continue  # an image link beside the titled one
        seen.add(target)
        holder = a.find_parent(["li", "tr", "dd", "p", "div"]) or a
        context = holder.get_text(" ", strip=True)
        items.append(ListingItem(target, title, item_date(source, target, title, context)))
    return Listing(url, tuple(items), next_listing_url(url, html, soup), tuple(malformed))


def out_of_bounds(day: date | None, since: date | None, until: date | None) -> str | None:
    """Why a listed transcript falls outside --since/--until, or None to fetch it.

    With either bound given, a link the listing shows no date for is skipped:
    only its pages could place it, and fetching everything undated to find out
    would walk the whole site.
    """
    if day is None:
        if since or until:
            return "the listing shows no date for it, so --since/--until cannot place it; fetch it by URL"
        return None
    if until and day > until:
        return f"dated {day}, after --until {until}"
    if since and day < since:
        return f"dated {day}, before --since {since}"
    return None


def _as_date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


class Mirror:
    """Maps the live sites' URLs onto a mirror (for tests, or a local copy)."""

    def __init__(self, source: str, base_url: str | None):
        self.base = base_url.rstrip("/") if base_url else None
        self.source = source

    def __call__(self, url: str) -> str:
        if not self.base:
            return url
        parts = urlsplit(url)
        if sites.on_site(self.source, url):
            base = urlsplit(self.base)
            return urlunsplit((base.scheme, base.netloc, base.path + parts.path, parts.query, ""))
        return url

    def on_site(self, url: str, listing_url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        if host == (urlsplit(listing_url).hostname or "").lower():
            return True
        return sites.on_site(self.source, url)


def crawl(
    source: str,
    *,
    since: date | str | None = None,
    until: date | str | None = None,
    limit: int | None = None,
    base_url: str | None = None,
    start: Iterable[str] | None = None,
    languages: Iterable[str] | None = None,
    raw_dir: str | Path = "data/raw",
    rate: float = 1.0,
    timeout: float = 30.0,
    refresh: bool = False,
    insecure_http: bool | Iterable[str] = False,
    client: PoliteClient | None = None,
    on_page: Callable[[PageResult], None] | None = None,
    max_listing_pages: int = 2000,
) -> FetchReport:
    """Walk a source's listings newest first and fetch the transcripts in range.

    Stops paging at a listing page that shows nothing dated on or after
    `since` (all older, or nothing dated at all), or after `limit` transcripts
    (already stored ones count, so a rerun resumes the same selection and
    fetches only what is missing). See `out_of_bounds` for undated links.
    """
    if source not in sites.FETCHABLE:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(sites.FETCHABLE)}")
    since, until = _as_date(since), _as_date(until)
    if since and until and since > until:
        raise ValueError("--since is after --until")
    for given in ([base_url] if base_url else []) + list(start or []):
        if problem := url_problem(given):
            raise ValueError(f"{given!r} cannot be fetched: {problem}")
    mirror = Mirror(source, base_url)
    if start:
        starts = [StartPage(u) for u in start]
    else:
        starts = [
            s
            for s in sites.starts(source, tuple(languages) if languages else None)
            if not (since and s.last and s.last < since) and not (until and s.first and s.first > until)
        ]

    own = client is None
    client = client or PoliteClient(rate=rate, timeout=timeout)
    fetcher = Fetcher(client, raw_dir, refresh=refresh, insecure_http=insecure_http, on_page=on_page)
    report = fetcher.report
    chosen: set[str] = set()
    try:
        for start_page in starts:
            url: str | None = fetcher.prepare(mirror(start_page.url), source)
            visited: set[str] = set()
            while url and url not in visited and report.listing_pages < max_listing_pages:
                visited.add(url)
                try:
                    resp = client.get(url)
                except FetchError as exc:
                    report.errors.append(f"listing {url}: {fetcher.explain(exc, source)}")
                    break
                if resp.status != 200:
                    report.errors.append(f"listing {url}: HTTP {resp.status}")
                    break
                report.listing_pages += 1
                text, _ = decode(resp.body, resp.headers)
                listing = parse_listing(source, resp.final_url, text)
                dated = [i.date for i in listing.items if i.date]
                for href, title, problem in listing.malformed:
                    report.skipped.append(Skipped(href, f"link not followed: {problem}", title or None))
                for item in listing.items:
                    target = fetcher.prepare(mirror(item.url), source)
                    if _same_transcript_key(source, target) in chosen:
                        continue  # a desktop and a mobile link to one transcript are one
                    if not mirror.on_site(target, resp.final_url):
                        report.skipped.append(Skipped(target, "link to another site", item.title))
                        continue
                    reason = skip_reason(source, item.title) or out_of_bounds(item.date, since, until)
                    if reason:
                        report.skipped.append(Skipped(target, reason, item.title))
                        continue
                    if limit is not None and len(chosen) >= limit:
                        return report
                    chosen.add(_same_transcript_key(source, target))
                    fetcher.fetch_transcript(target, source)
                if limit is not None and len(chosen) >= limit:
                    return report
                if since and not any(d >= since for d in dated):
                    break  # listings run newest first: nothing further can be in bounds
                url = listing.next_url
                if url:
                    url = fetcher.prepare(mirror(url), source)
        return report
    finally:
        if own:
            client.close()


def _same_transcript_key(source: str, url: str) -> str:
    """One key for every link to one transcript, whichever copy (desktop, mobile `/m/`,
    http or https, another host of the site) the listing links to: where the site's
    numbers are unique site-wide, the briefing id they make."""
    if sites.site(source).site_wide_ids and (bid := sites.briefing_id_of_url(source, url)):
        return bid
    return sites.transcript_key(source, url)


__all__ = [
    "TITLE_RULES",
    "StartPage",
    "ListingItem",
    "Listing",
    "parse_listing",
    "next_listing_url",
    "skip_reason",
    "item_date",
    "out_of_bounds",
    "crawl",
]
