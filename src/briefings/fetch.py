"""Whole transcripts into the raw store, and an honest report of what came back.

`Fetcher` asks for page 1 of a transcript and every later page its pager
names (or the site's page-numbering implies, `sites.py`), through the polite
client of `http.py`, and hands each body to the raw store (`raw.py`). The
report says, page by page, what was fetched, unchanged, already stored,
skipped or failed. Parsing listings belongs to `crawl.py`; parsing
transcripts to `sources/`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from . import sites
from .decode import decode, header
from .hosts import HostMemory
from .http import (
    Disallowed,
    FetchError,
    PoliteClient,
    TLSError,
    as_http,
    join_url,
    url_problem,
)
from .raw import RawStore, sha256
from .screen import MAX_PAGES

_HREF = re.compile(r"""href\s*=\s*["']([^"'#\s]+)""", re.IGNORECASE)


def detect_source(url: str) -> str | None:
    """The page family of a URL, from its host, else from its path shape."""
    return sites.detect(url)


def split_page(url: str, source: str | None = None) -> tuple[str, int]:
    """(URL of page 1, page number) of a transcript page's URL, as its site numbers pages."""
    source = source or detect_source(url)
    if source is None:
        return url, 1
    return sites.first_page(source, url), sites.page_number(source, url)


def page_links(url: str, text: str, source: str | None = None) -> dict[int, str]:
    """Links from a page to other pages of the same document, by page number.

    A link is a later page when it is in the same folder on the same host and
    names the same document with a page number, as SCIO, china.org.cn and their
    pager links name later pages.
    """
    source = source or detect_source(url)
    if source is None:
        return {}
    first = urlsplit(split_page(url, source)[0])
    folder = first.path.rpartition("/")[0]
    named = sites.read_name(source, sites.page_name(first.geturl()))
    if named is None or not named.document.paged:
        return {}
    found: dict[int, str] = {}
    for href in _HREF.findall(text):
        joined, _ = join_url(url, href)
        if joined is None:
            continue  # a malformed link names no page
        target = urlsplit(joined)
        if target.netloc and target.netloc != first.netloc:
            continue
        folder_t, _, name = target.path.rpartition("/")
        other = sites.read_name(source, name)
        if (
            folder_t == folder
            and other is not None
            and other.numbered
            and other.doc.lower() == named.doc.lower()
            and 2 <= other.page <= MAX_PAGES  # a link past any transcript's length is no page of it
        ):
            found.setdefault(other.page, urlunsplit((first.scheme, first.netloc, target.path, "", "")))
    return found


def nth_page(first: str, n: int, source: str | None = None) -> str:
    """The conventional URL of page n, when no pager link names it."""
    return sites.nth_page(source or detect_source(first) or "text", first, n)


def _page_name(url: str) -> str:
    """The last path segment, which names a page on these sites whatever the host or scheme."""
    return urlsplit(url).path.rpartition("/")[2]


def _validators(headers: dict | None) -> tuple[str | None, str | None]:
    return header(headers, "etag"), header(headers, "last-modified")


# -- reporting ---------------------------------------------------------------


@dataclass
class PageResult:
    """What happened to one page. outcome: fetched | changed | unchanged | present | skipped | failed."""

    url: str
    outcome: str
    source: str | None = None
    file: str | None = None
    status: int | None = None
    reason: str | None = None
    page: int | None = None


@dataclass
class MissingPage:
    page: int
    url: str
    reason: str


@dataclass
class Incomplete:
    """A transcript some of whose pages could not be had."""

    url: str
    source: str
    missing: list[MissingPage]
    pages: int | None = None


@dataclass
class Skipped:
    """Something not fetched on purpose (a notice, a date out of range, robots)."""

    url: str
    reason: str
    title: str | None = None


@dataclass
class FetchReport:
    pages: list[PageResult] = field(default_factory=list)
    incomplete: list[Incomplete] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    transcripts: int = 0
    listing_pages: int = 0
    errors: list[str] = field(default_factory=list)  # listing or setup failures

    def _count(self, outcome: str) -> int:
        return sum(1 for p in self.pages if p.outcome == outcome)

    @property
    def fetched(self) -> int:
        """Pages written: new ones and changed ones."""
        return self._count("fetched") + self._count("changed")

    @property
    def changed(self) -> int:
        return self._count("changed")

    @property
    def unchanged(self) -> int:
        return self._count("unchanged")

    @property
    def present(self) -> int:
        return self._count("present")

    @property
    def failed(self) -> list[PageResult]:
        return [p for p in self.pages if p.outcome == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.incomplete and not self.errors

    def summary(self) -> str:
        parts = [f"{self.transcripts} transcript{'s' if self.transcripts != 1 else ''}"]
        parts.append(f"{self.fetched} page{'s' if self.fetched != 1 else ''} fetched")
        if self.changed:
            parts[-1] += f" ({self.changed} changed)"
        parts.append(f"{self.unchanged} unchanged")
        parts.append(f"{self.present} already stored")
        skipped = len(self.skipped) + self._count("skipped")
        parts.append(f"{skipped} skipped")
        parts.append(f"{len(self.failed) + len(self.errors)} failed")
        line = ", ".join(parts)
        if self.incomplete:
            n = len(self.incomplete)
            line += f"; {n} transcript{'s' if n != 1 else ''} incomplete"
        return line

    def to_dict(self) -> dict:
        return {
            "transcripts": self.transcripts,
            "listing_pages": self.listing_pages,
            "fetched": self.fetched,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "present": self.present,
            "skipped": [asdict(s) for s in self.skipped]
            + [
                {"url": p.url, "reason": p.reason, "title": None}
                for p in self.pages
                if p.outcome == "skipped"
            ],
            "failed": [asdict(p) for p in self.failed],
            "errors": list(self.errors),
            "incomplete": [asdict(i) for i in self.incomplete],
            "pages": [asdict(p) for p in self.pages],
        }


# -- fetching transcripts ----------------------------------------------------


def _insecure_sources(value: bool | Iterable[str]) -> frozenset[str]:
    if value is True:
        return frozenset(sites.FETCHABLE)
    if not value:
        return frozenset()
    return frozenset(value)


class Fetcher:
    """Fetches whole transcripts (every page) into a RawStore and keeps the report."""

    def __init__(
        self,
        client: PoliteClient,
        raw_dir: str | Path = "data/raw",
        *,
        refresh: bool = False,
        insecure_http: bool | Iterable[str] = False,
        report: FetchReport | None = None,
        on_page: Callable[[PageResult], None] | None = None,
    ):
        self.client = client
        self.store = RawStore(raw_dir)
        if client.memory is None:
            client.memory = HostMemory(raw_dir)
        self.refresh = refresh
        self.insecure = _insecure_sources(insecure_http)
        self.report = report if report is not None else FetchReport()
        self.on_page = on_page

    def _result(self, result: PageResult) -> PageResult:
        self.report.pages.append(result)
        if self.on_page:
            self.on_page(result)
        return result

    def prepare(self, url: str, source: str) -> str:
        """Apply the per-source plain-http choice to a URL and its host."""
        if source in self.insecure:
            host = urlsplit(url).hostname
            if host:
                self.client.insecure_hosts.add(host)
            return as_http(url)
        return url

    @staticmethod
    def explain(exc: FetchError, source: str) -> str:
        """The reason for a failure, with what to do about a certificate that does not verify."""
        if isinstance(exc, TLSError):
            return (
                f"{exc.reason}. The {source} site is known to serve broken certificates; "
                f"rerun with --insecure-http {source} to fetch it over plain http"
            )
        return exc.reason

    def fetch_transcript(self, url: str, source: str | None = None) -> Incomplete | None:
        """Fetch page 1 and every later page; returns the gap, if any.

        The transcript runs to the last page any pager names, and at least to the
        page the URL names: that page is always asked for, even when page 1 shows
        no pager or cannot be had.
        """
        problem = url_problem(url)
        if problem:
            self._result(PageResult(url, "failed", source, reason=problem))
            return None
        source = source or detect_source(url)
        if source is None:
            self._result(
                PageResult(
                    url,
                    "failed",
                    reason="cannot tell which site this URL belongs to; pass --source "
                    + "|".join(sites.FETCHABLE),
                )
            )
            return None
        url = self.prepare(url, source)
        paged = sites.paged(source, url)
        first, named = split_page(url, source)
        if named > MAX_PAGES:
            reason = f"page number {named} is beyond any transcript's length (at most {MAX_PAGES} pages)"
            self._result(PageResult(url, "failed", source, reason=reason))
            return None
        self.report.transcripts += 1
        missing: list[MissingPage] = []

        got = self._page(source, first, page=1, total=None, at_least=named, transcript=first, missing=missing)
        # Later pages hang off where page 1 really was, after redirects.
        text, base = got if got is not None else ("", first)
        links: dict[int, str] = page_links(base, text, source) if paged else {}
        total = max(max(links, default=1), named)
        n = 2
        while n <= total:
            page_url = url if n == named else links.get(n) or nth_page(base, n, source)
            got_n = self._page(source, page_url, page=n, total=total, transcript=first, missing=missing)
            if got_n is not None:
                more = page_links(base, got_n[0], source)
                for k, v in more.items():
                    links.setdefault(k, v)
                total = max(total, max(more, default=1))
            n += 1
        if paged and self.refresh and links:
            # Only a pager actually seen says how many pages there are now.
            self.store.retire_beyond(source, first, total, self.client.clock.time())
        if missing:
            incomplete = Incomplete(first, source, missing, pages=total if got is not None else None)
            self.report.incomplete.append(incomplete)
            return incomplete
        return None

    def _page(
        self,
        source: str,
        url: str,
        *,
        page: int,
        total: int | None,
        transcript: str,
        missing: list[MissingPage],
        at_least: int = 1,
    ) -> tuple[str, str] | None:
        """Get one page (from disk when already stored); returns (text, final URL) or None."""
        what = f"transcript page {page} of {total}" if total else "transcript page 1"
        extra = {"what": what, "transcript": transcript, "page": page}
        have = self.store.stored(source, url)
        if have and not self.refresh:
            name, entry = have
            self._result(PageResult(url, "present", source, name, entry.get("status"), page=page))
            return self._stored_text(source, name, entry)

        headers: dict[str, str] = {}
        if have:
            etag, modified = _validators(have[1].get("headers"))
            if etag:
                headers["If-None-Match"] = etag
            if modified:
                headers["If-Modified-Since"] = modified

        try:
            resp = self.client.get(url, headers=headers)
        except Disallowed as exc:
            self._record_missing(source, url, None, exc.reason, extra, have)
            missing.append(MissingPage(page, url, exc.reason))
            self._result(PageResult(url, "skipped", source, status=None, reason=exc.reason, page=page))
            return None
        except FetchError as exc:
            return self._failed(
                source, url, exc.status, self.explain(exc, source), extra, have, missing, page
            )

        now = self.client.clock.time()
        if resp.status == 304 and have:
            name, entry = have
            self._result(PageResult(url, "unchanged", source, name, 304, page=page))
            return self._stored_text(source, name, entry)
        if resp.status != 200:
            return self._failed(source, url, resp.status, f"HTTP {resp.status}", extra, have, missing, page)
        if page > 1 and resp.final_url != url and _page_name(resp.final_url) != _page_name(url):
            # A site that sends a missing page back to page 1 (or elsewhere) must not have
            # that page stored as this one: its turns would be read twice.
            reason = f"redirected to {resp.final_url}, which is not page {page} of this transcript"
            return self._failed(source, url, resp.status, reason, extra, have, missing, page)

        if total is None and sites.paged(source, url):
            text, _ = decode(resp.body, resp.headers)
            n = max(max(page_links(resp.final_url, text, source), default=1), at_least)
            extra["what"] = f"transcript page 1 of {n}"
        elif total is None:
            extra["what"] = "transcript page 1 of 1"
        if have and have[1].get("sha256") == sha256(resp.body):
            name, entry = have
            if _validators(resp.headers) != _validators(entry.get("headers")):
                # Only new validators are worth a line: the next refresh sends them.
                # A new Date header or fetch time alone would grow the manifest every run.
                self.store.touch(source, name, entry, resp, now)
            self._result(PageResult(url, "unchanged", source, name, 200, page=page))
            return self._stored_text(source, name, self.store.entries(source)[name])
        entry, replaced = self.store.save(source, url, resp, fetched_at=now, extra=extra)
        self._result(
            PageResult(url, "changed" if replaced else "fetched", source, entry["file"], 200, page=page)
        )
        return self._stored_text(source, entry["file"], entry)

    def _stored_text(self, source: str, name: str, entry: dict) -> tuple[str, str]:
        return self.store.read_text(source, name, entry), entry.get("final_url") or entry["url"]

    def _record_missing(self, source, url, status, reason, extra, have) -> None:
        if have:
            return  # the stored copy is still good; the failure is in the report
        self.store.record_failure(
            source, url, status=status, error=reason, fetched_at=self.client.clock.time(), extra=extra
        )

    def _failed(self, source, url, status, reason, extra, have, missing, page) -> tuple[str, str] | None:
        self._record_missing(source, url, status, reason, extra, have)
        self._result(PageResult(url, "failed", source, status=status, reason=reason, page=page))
        if have:
            return self._stored_text(source, have[0], have[1])
        missing.append(MissingPage(page, url, reason))
        return None


def fetch(
    urls: Iterable[str],
    *,
    raw_dir: str | Path = "data/raw",
    source: str | None = None,
    refresh: bool = False,
    rate: float = 1.0,
    timeout: float = 30.0,
    insecure_http: bool | Iterable[str] = False,
    client: PoliteClient | None = None,
    on_page: Callable[[PageResult], None] | None = None,
) -> FetchReport:
    """Fetch each URL's whole transcript into `<raw_dir>/<source>/`."""
    own = client is None
    client = client or PoliteClient(rate=rate, timeout=timeout)
    try:
        fetcher = Fetcher(client, raw_dir, refresh=refresh, insecure_http=insecure_http, on_page=on_page)
        for url in urls:
            fetcher.fetch_transcript(url, source)
        return fetcher.report
    finally:
        if own:
            client.close()


__all__ = [
    "Fetcher",
    "FetchReport",
    "PageResult",
    "Incomplete",
    "MissingPage",
    "Skipped",
    "fetch",
    "detect_source",
    "split_page",
    "page_links",
    "nth_page",
]
