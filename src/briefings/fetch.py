"""Download transcript pages politely into the raw store, and say honestly what came back.

Only HTTP and files live here: a client that keeps to a per-host rate, reads
robots.txt, retries what is worth retrying and never mistakes a cut-off body for
a page; and a writer for the raw store described in `raw.py`. Parsing listings
belongs to `crawl.py`; parsing transcripts to `sources/`.

Time and randomness come in through `Clock` and `rng` so that tests can assert
the waits without waiting.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import ssl
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from protego import Protego

from . import __version__
from .decode import decode, header
from .hosts import HostMemory
from .raw import MANIFEST, SIDECAR_SUFFIX, append_manifest, read_manifest, sha256

USER_AGENT = f"briefings/{__version__} (archive of government press-briefing transcripts)"

# Which site a URL belongs to, by host; the path patterns cover mirrors and
# local copies whose host says nothing.
SOURCE_HOSTS: dict[str, tuple[str, ...]] = {
    "scio": ("scio.gov.cn",),
    "chinaorg": ("china.org.cn",),
    "gac": ("customs.gov.cn",),
    "mfa": ("fmprc.gov.cn", "mfa.gov.cn"),
}
SOURCE_PATHS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("scio", re.compile(r"^/(m/)?(pressroom|topnews)/")),
    ("gac", re.compile(r"^/(statics|onlineinterview)/", re.IGNORECASE)),
    # Chinese pages sit under numbered sections: /web/wjdt_674879/fyrbt_674889/t1415586.shtml
    ("mfa", re.compile(r"^/(mfa_eng|eng/xw|web/wjdt(_\d+)?|web/fyrbt(_\d+)?)/")),
    ("chinaorg", re.compile(r"^/(china/)?\d{4}-\d{2}/\d{2}/content_\d+")),
)
# Families whose transcripts run over several pages named `<stem>_<n>.<ext>`.
PAGED_SOURCES = frozenset({"scio", "chinaorg", "gac"})

# `_<n>` with at most three digits after an id is a page number; longer runs
# are ids (MFA's t20240105_11218830.html is one page, not page 11218830), and
# a word is no id (`content_2.html` is not page 2 of `content.html`).
_PAGE_SUFFIX = re.compile(r"^(?P<stem>.*[0-9A-Fa-f]{4})_(?P<n>\d{1,3})$")
_HREF = re.compile(r"""href\s*=\s*["']([^"'#\s]+)""", re.IGNORECASE)
_REDIRECTS = (301, 302, 303, 307, 308)
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


class FetchError(Exception):
    """A page that could not be had, with a reason a person can act on."""

    def __init__(self, url: str, reason: str, status: int | None = None):
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status


class TLSError(FetchError):
    """The server's certificate did not verify; retrying will not help."""


class Disallowed(FetchError):
    """robots.txt asks us not to fetch this URL."""


class RobotsUnreadable(FetchError):
    """robots.txt could not be had (server error, no answer), so the host is left alone."""


class Clock:
    """Real time. Tests substitute one whose sleep records and advances."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


@dataclass(frozen=True)
class Response:
    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    body: bytes
    attempts: int = 1


def url_problem(url: str) -> str | None:
    """What makes a URL unfetchable (malformed, not http(s), no host, bad port), or None."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises for a port that is no number or out of range
    except ValueError as exc:
        return f"malformed URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return "not an http(s) URL"
    if not parts.hostname:
        return "no host in the URL"
    return None


def join_url(base: str, href: str) -> tuple[str | None, str | None]:
    """(absolute URL without fragment, None), or (None, what is wrong with it)."""
    try:
        url = urlunsplit(urlsplit(urljoin(base, href.strip()))._replace(fragment=""))
    except ValueError as exc:
        return None, f"malformed URL ({exc})"
    problem = url_problem(url)
    return (None, problem) if problem else (url, None)


def detect_source(url: str) -> str | None:
    """The page family of a URL, from its host, else from its path shape."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    for source, hosts in SOURCE_HOSTS.items():
        if any(host == h or host.endswith("." + h) for h in hosts):
            return source
    for source, pattern in SOURCE_PATHS:
        if pattern.search(parts.path):
            return source
    return None


def _page_name(url: str) -> str:
    """The last path segment, which names a page on these sites whatever the host or scheme."""
    return urlsplit(url).path.rpartition("/")[2]


def _unpaged(path: str) -> tuple[str, str, str, int | None]:
    """(folder/stem without any `_<n>` page suffix, ".", extension, n or None) of a URL path."""
    folder, _, name = path.rpartition("/")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    m = _PAGE_SUFFIX.match(stem)
    if not m:
        return f"{folder}/{stem}", dot, ext, None
    return f"{folder}/{m.group('stem')}", dot, ext, int(m.group("n"))


def split_page(url: str) -> tuple[str, int]:
    """(URL of page 1, page number) for a `<stem>_<n>.<ext>` page URL.

    Page 1 is the URL without a suffix, except in a scheme whose page 1 is
    `_1` itself (china.org.cn from late 2025: `content_<id>_1.shtml`), where a
    `_1` URL is page 1 as given.
    """
    parts = urlsplit(url)
    stem, dot, ext, n = _unpaged(parts.path)
    if n is None or n < 2:
        return url, 1
    first = f"{stem}_1{dot}{ext}" if _first_is_numbered(url) else f"{stem}{dot}{ext}"
    return urlunsplit((parts.scheme, parts.netloc, first, parts.query, "")), n


def _first_is_numbered(url: str) -> bool:
    """Whether page 1 of this URL's transcript carries `_1` (china.org.cn's `.shtml` pages)."""
    parts = urlsplit(url)
    return (
        parts.path.lower().endswith(".shtml")
        and _unpaged(parts.path)[3] is not None
        and detect_source(url) == "chinaorg"
    )


def page_links(url: str, text: str) -> dict[int, str]:
    """Links from a page to other pages of the same document, by page number.

    Matches `<stem>_<n>.htm[l]`/`.shtml` in the same folder as page 1, which is
    how SCIO, china.org.cn and the pager links of both name later pages.
    """
    first, _ = split_page(url)
    parts = urlsplit(first)
    stem = _unpaged(parts.path)[0]
    pattern = re.compile(re.escape(stem) + r"_(\d{1,3})\.(s?html?)$", re.IGNORECASE)
    found: dict[int, str] = {}
    for href in _HREF.findall(text):
        joined, _ = join_url(url, href)
        if joined is None:
            continue  # a malformed link names no page
        target = urlsplit(joined)
        if target.netloc and target.netloc != parts.netloc:
            continue
        m = pattern.search(target.path)
        if m and int(m.group(1)) >= 2:
            found.setdefault(int(m.group(1)), urlunsplit((parts.scheme, parts.netloc, target.path, "", "")))
    return found


def nth_page(first: str, n: int) -> str:
    """The conventional URL of page n, when no pager link names it."""
    parts = urlsplit(first)
    stem, dot, ext, _ = _unpaged(parts.path)
    return urlunsplit((parts.scheme, parts.netloc, f"{stem}_{n}{dot}{ext}", "", ""))


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def _validators(headers: dict | None) -> tuple[str | None, str | None]:
    return header(headers, "etag"), header(headers, "last-modified")


def _is_tls_failure(exc: BaseException) -> bool:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, ssl.SSLError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(cur) or "SSL:" in str(cur):
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def _as_http(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return urlunsplit(("http",) + tuple(parts[1:]))
    return url


class PoliteClient:
    """An HTTP GET that waits its turn per host, obeys robots.txt and retries sensibly.

    `get` returns any final answer the server gave on purpose (2xx, 304, 4xx);
    it raises FetchError when the server kept failing (5xx, 429, timeouts,
    resets, bodies shorter than their Content-Length) past the retry budget.
    """

    def __init__(
        self,
        *,
        rate: float = 1.0,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        retry_after_cap: float = 120.0,
        max_redirects: int = 5,
        user_agent: str = USER_AGENT,
        robots: bool = True,
        insecure_hosts: Iterable[str] = (),
        clock: Clock | None = None,
        rng: Callable[[], float] | None = None,
        transport: httpx.BaseTransport | None = None,
        memory: HostMemory | None = None,
    ):
        if rate <= 0:
            raise ValueError("rate must be a positive number of requests per second")
        self.interval = 1.0 / rate
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.retry_after_cap = retry_after_cap
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self.use_robots = robots
        self.insecure_hosts = set(insecure_hosts)
        self.clock = clock or Clock()
        self.rng = rng or random.random
        # Kept across runs in the raw store (hosts.py); None keeps politeness to this process.
        self.memory = memory
        self._last_request: dict[str, float] = {}
        self._away_until: dict[str, float] = {}  # hosts whose Retry-After was longer than the cap
        self._robots: dict[str, Protego | FetchError | None] = {}
        # robots.txt groups name a product token ("briefings"), matched against this alone.
        self._robot_name = user_agent.split("/", 1)[0].split()[0]
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout),
            # Only the codings _decompress undoes, whatever optional decoders httpx has.
            headers={
                "User-Agent": user_agent,
                "Accept": "text/html,*/*;q=0.8",
                "Accept-Encoding": "gzip, deflate",
            },
            follow_redirects=False,
            transport=transport,
        )

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def rewrite(self, url: str) -> str:
        """Plain http for hosts the user allowed to skip TLS."""
        if urlsplit(url).hostname in self.insecure_hosts:
            return _as_http(url)
        return url

    def get(self, url: str, headers: dict[str, str] | None = None) -> Response:
        url = self.rewrite(url)
        current = url
        attempts = 0
        for _ in range(self.max_redirects + 1):
            self._check_robots(current)
            resp, body, tries = self._send(current, headers or {})
            attempts += tries
            location = resp.headers.get("location")
            if resp.status_code in _REDIRECTS and location:
                target, problem = join_url(current, location)
                if target is None:
                    raise FetchError(url, f"redirected to {location!r}: {problem}", resp.status_code)
                current = self.rewrite(target)
                continue
            return Response(
                url=url,
                final_url=current,
                status=resp.status_code,
                headers=_plain_headers(resp.headers),
                body=body,
                attempts=attempts,
            )
        raise FetchError(url, f"more than {self.max_redirects} redirects")

    # -- politeness ---------------------------------------------------------

    def _wait_turn(self, host: str) -> None:
        last = self._last_request.get(host)
        if last is not None:
            self.clock.sleep(last + self._interval_for(host) - self.clock.monotonic())
        elif self.memory is not None:
            # The first request of this run to a host an earlier run asked: wait out that run's turn.
            # A wall clock set back since then could ask for a longer wait; never more than the interval.
            before = self.memory.last_request(host)
            if before is not None:
                interval = self._interval_for(host)
                self.clock.sleep(min(interval, before + interval - self.clock.time()))

    def _keep_away(self, url: str, host: str) -> None:
        """A host that asked for a longer wait than we keep to gets no requests until then."""
        left = self._away_until.get(host, 0.0) - self.clock.monotonic()
        if left > 0:
            raise FetchError(url, f"server asked to wait {left:.0f} s more; not asked again; run again later")

    def _booked(self, host: str) -> None:
        """The next request to host waits from now: after the answer began, or the attempt failed.

        Counting from the moment the server has answered, not from when we
        planned to send, keeps the gap the server sees at least the interval;
        and the interval is looked up when the next request is due, so a
        Crawl-delay read from robots.txt already spaces the request after it.
        """
        self._last_request[host] = self.clock.monotonic()
        if self.memory is not None:
            self.memory.booked(host, self.clock.time())

    def _interval_for(self, host: str) -> float:
        rules = self._robots.get(host)
        if isinstance(rules, Protego):
            delay = rules.crawl_delay(self._robot_name)
            if delay:
                return max(self.interval, float(delay))
        return self.interval

    def _check_robots(self, url: str) -> None:
        if not self.use_robots:
            return
        parts = urlsplit(url)
        if parts.path == "/robots.txt":
            return
        host = parts.netloc
        if host not in self._robots:
            kept = self.memory.robots(host, self.clock.time()) if self.memory is not None else None
            self._robots[host] = (
                _robot_rules(*kept)
                if kept is not None
                else self._load_robots(f"{parts.scheme}://{host}/robots.txt", host)
            )
        rules = self._robots[host]
        if rules is None:
            return
        if isinstance(rules, TLSError):
            raise TLSError(url, rules.reason)  # the certificate, not the rules, is what stops us
        if isinstance(rules, FetchError):
            raise RobotsUnreadable(
                url,
                f"robots.txt could not be read: {rules.reason}; nothing is fetched from this host",
                rules.status,
            )
        if not rules.can_fetch(url, self._robot_name):
            raise Disallowed(url, "disallowed by robots.txt")

    def _load_robots(self, robots_url: str, host: str) -> Protego | FetchError | None:
        """RFC 9309: a 4xx means no rules; a server error, 429 or no answer means stay away.

        Returns the rules, None for none, or the failure that keeps us away.
        """
        try:
            resp = self.get(robots_url)
        except FetchError as exc:
            return exc
        if resp.status >= 500 or resp.status == 429:
            return FetchError(robots_url, f"HTTP {resp.status}", resp.status)
        text = "" if _no_rules(resp.status) else decode(resp.body, resp.headers)[0]
        if self.memory is not None:
            self.memory.keep_robots(host, resp.status, text, self.clock.time())
        return _robot_rules(resp.status, text)

    # -- retries ------------------------------------------------------------

    def _backoff_delay(self, attempt: int) -> float:
        base = min(self.max_backoff, self.backoff * (2**attempt))
        return base * (0.5 + self.rng())  # jitter: between half and one and a half times

    def _send(self, url: str, headers: dict[str, str]) -> tuple[httpx.Response, bytes, int]:
        host = urlsplit(url).netloc
        reason = "no attempt made"
        status: int | None = None
        for attempt in range(self.retries + 1):
            self._keep_away(url, host)
            self._wait_turn(host)
            delay: float | None = None
            try:
                resp, body = self._exchange(url, headers, host)
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                raise FetchError(url, f"not a URL that can be fetched: {exc}") from exc
            except httpx.ConnectError as exc:
                if _is_tls_failure(exc):
                    raise TLSError(
                        url, f"TLS certificate check failed for {urlsplit(url).hostname}: {exc}"
                    ) from exc
                reason, status = f"connection failed: {exc}", None
            except httpx.TimeoutException:
                reason, status = f"timed out after {self.timeout:g}s", None
            except httpx.RemoteProtocolError as exc:
                reason, status = f"connection closed before the whole body arrived: {exc}", None
            except httpx.TransportError as exc:
                reason, status = f"network error: {type(exc).__name__}: {exc}", None
            except _BadBody as exc:
                reason, status = exc.reason, exc.status
                if not exc.retry:
                    raise FetchError(url, reason, status) from None
            else:
                status = resp.status_code
                if status == 429 or status >= 500:
                    reason = f"HTTP {status}"
                    if status in (429, 503):
                        after = parse_retry_after(resp.headers.get("retry-after"), self.clock.time())
                        if after is not None and after > self.retry_after_cap:
                            # Asking again sooner than asked would be rude; give up now instead.
                            self._away_until[host] = self.clock.monotonic() + after
                            raise FetchError(
                                url, f"server asked to wait {after:.0f} s; run again later", status
                            )
                        delay = after
                else:
                    return resp, body, attempt + 1
            if attempt == self.retries:
                break
            self.clock.sleep(delay if delay is not None else self._backoff_delay(attempt))
        raise FetchError(url, f"{reason} (gave up after {self.retries + 1} attempts)", status)

    def _exchange(self, url: str, headers: dict[str, str], host: str) -> tuple[httpx.Response, bytes]:
        """One request, its body read as raw bytes against an overall deadline, then decoded.

        httpx's own timeouts bound each connect and each read; a server that
        drips a byte at a time never trips them, so the whole exchange also has
        to finish within `timeout` seconds, by the client's clock (real time,
        unless a test gives it another).
        """
        deadline = self.clock.monotonic() + self.timeout
        request = self._http.build_request("GET", url, headers=headers)
        try:
            resp = self._http.send(request, stream=True)
        finally:
            self._booked(host)  # the server has the request now, or it never will
        chunks = []
        try:
            for chunk in resp.iter_raw():
                chunks.append(chunk)
                if self.clock.monotonic() > deadline:
                    raise _BadBody(
                        f"no complete answer within {self.timeout:g}s (the body kept trickling in)",
                        resp.status_code,
                    )
        finally:
            resp.close()
        raw = b"".join(chunks)
        short = _truncated(resp, raw)
        if short:
            raise _BadBody(short, resp.status_code)
        return resp, _decompress(raw, resp.headers.get("content-encoding"), resp.status_code)


def _no_rules(status: int) -> bool:
    return status >= 400 or status in _REDIRECTS


def _robot_rules(status: int, text: str) -> Protego | None:
    """The rules of a robots.txt answer that settles them: its body, or none for a 4xx."""
    return None if _no_rules(status) else Protego.parse(text)


class _BadBody(Exception):
    """An answer whose body cannot be trusted: cut short, corrupt, or too slow."""

    def __init__(self, reason: str, status: int | None, retry: bool = True):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry = retry


def _truncated(resp: httpx.Response, raw: bytes) -> str | None:
    """A body shorter than its declared length is damaged, whatever the status.

    Content-Length counts the bytes on the wire, compressed or not.
    """
    declared = resp.headers.get("content-length")
    if not declared or not declared.strip().isdigit():
        return None
    if len(raw) < int(declared):
        return f"body shorter than Content-Length: got {len(raw)} of {declared.strip()} bytes"
    return None


def _decompress(raw: bytes, content_encoding: str | None, status: int) -> bytes:
    """Undo the Content-Encoding ourselves, so that a stream cut short is caught, not stored.

    zlib stops quietly at the end of whatever it was given; only `eof` says
    whether the compressed stream really ended.
    """
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    data = raw
    for coding in reversed(codings):  # the last coding applied is the first undone
        if coding == "identity" or not data:
            continue
        if coding in ("gzip", "x-gzip"):
            data = _inflate(data, 16 + zlib.MAX_WBITS, coding, status)
        elif coding == "deflate":
            try:
                data = _inflate(data, zlib.MAX_WBITS, coding, status)
            except _BadBody:
                data = _inflate(data, -zlib.MAX_WBITS, coding, status)  # raw deflate, as some servers send
        else:
            raise _BadBody(f"unsupported Content-Encoding {coding!r}", status, retry=False)
    return data


def _inflate(data: bytes, wbits: int, coding: str, status: int) -> bytes:
    out = []
    while data:  # gzip allows several members one after another
        d = zlib.decompressobj(wbits)
        try:
            out.append(d.decompress(data))
            out.append(d.flush())
        except zlib.error as exc:
            raise _BadBody(f"corrupt {coding} body: {exc}", status) from None
        if not d.eof:
            raise _BadBody(
                f"{coding} body cut short: the compressed stream ends before its end marker", status
            )
        data = d.unused_data if wbits > 16 else b""
    return b"".join(out)


def _plain_headers(headers: httpx.Headers) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in headers.multi_items():
        if key.lower() in _HOP_BY_HOP:
            continue
        name = "-".join(w.capitalize() for w in key.split("-"))
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


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


# -- the raw store -----------------------------------------------------------


def _stamp(epoch: float | None) -> str:
    when = datetime.fromtimestamp(epoch or 0, tz=UTC)
    return when.strftime("%Y%m%dT%H%M%SZ")


def _sweep_stale_temp_files(folder: Path) -> None:
    """Remove `.tmp-<pid>-<name>` bodies left by a fetch that was killed mid-write.

    A temp file belongs to a running fetch only while its process lives; one of
    another live process (a second fetch into the same store) is left alone.
    """
    if not folder.is_dir():
        return
    for path in folder.glob(".tmp-*-*"):
        pid = path.name.split("-", 2)[1]
        if not pid.isdigit():
            continue
        if int(pid) != os.getpid() and _process_alive(int(pid)):
            continue
        with contextlib.suppress(OSError):
            path.unlink()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # someone else's process, or a number we cannot ask about: leave its file be
    return True


class RawStore:
    """Writes `<raw-dir>/<source>/` in the layout `raw.py` reads."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._entries: dict[str, dict[str, dict]] = {}
        self._by_url: dict[str, dict[str, str]] = {}

    def folder(self, source: str) -> Path:
        return self.root / source

    def entries(self, source: str) -> dict[str, dict]:
        if source not in self._entries:
            _sweep_stale_temp_files(self.folder(source))
            self._entries[source] = read_manifest(self.folder(source))
            self._by_url[source] = {e["url"]: n for n, e in self._entries[source].items() if e.get("url")}
        return self._entries[source]

    def _remember(self, source: str, name: str, entry: dict) -> None:
        self.entries(source)[name] = entry
        self._by_url[source][entry["url"]] = name

    def lookup(self, source: str, url: str) -> tuple[str, dict] | None:
        """The latest manifest entry for a URL, and its file name."""
        entries = self.entries(source)
        name = self._by_url[source].get(url)
        if name is None or entries.get(name, {}).get("url") != url:
            return None
        return name, entries[name]

    def stored(self, source: str, url: str) -> tuple[str, dict] | None:
        """The entry of a URL whose file is on disk and matches its recorded hash."""
        found = self.lookup(source, url)
        if not found:
            return None
        name, entry = found
        path = self.folder(source) / name
        if not entry.get("sha256") or not path.is_file():
            return None
        if path.stat().st_size != entry.get("bytes") or sha256(path.read_bytes()) != entry["sha256"]:
            return None
        return found

    def file_for(self, source: str, url: str) -> str:
        """A file name that keeps the URL's last segment and is unique in the folder."""
        found = self.lookup(source, url)
        if found:
            return found[0]
        path = urlsplit(url).path
        name = path.rstrip("/").rsplit("/", 1)[-1] or "index.html"
        name = re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip("._") or "index.html"
        if "." not in name:
            name += ".html"
        taken = self.entries(source)
        folder = self.folder(source)
        if name in taken or (folder / (name + SIDECAR_SUFFIX)).exists() or name == MANIFEST:
            stem, _, ext = name.rpartition(".")
            name = f"{stem}--{sha256(url.encode())[:8]}.{ext}"
        return name

    def save(
        self, source: str, url: str, resp: Response, *, fetched_at: float, extra: dict
    ) -> tuple[dict, bool]:
        """Store a body atomically, then record it. Returns (entry, replaced an older version)."""
        folder = self.folder(source)
        folder.mkdir(parents=True, exist_ok=True)
        name = self.file_for(source, url)
        _, charset = decode(resp.body, resp.headers)
        entry = {
            "file": name,
            "url": url,
            "final_url": resp.final_url,
            "status": resp.status,
            "headers": resp.headers,
            "fetched_at": fetched_at,
            "sha256": sha256(resp.body),
            "bytes": len(resp.body),
            "charset": charset,
            "source": source,
            **extra,
        }
        tmp = folder / f".tmp-{os.getpid()}-{name}"
        with tmp.open("wb") as fh:
            fh.write(resp.body)
            fh.flush()
            os.fsync(fh.fileno())
        target = folder / name
        old = self.entries(source).get(name)
        replaced = False
        if target.is_file() and old and old.get("sha256") and old["sha256"] != entry["sha256"]:
            self._keep_history(folder, name, old)
            replaced = True
        os.replace(tmp, target)
        append_manifest(folder, entry)
        self._remember(source, name, entry)
        return entry, replaced

    def touch(self, source: str, name: str, old: dict, resp: Response, fetched_at: float) -> None:
        """Same bytes, new validators: record them so the next refresh can use them."""
        entry = dict(old, headers=resp.headers, fetched_at=fetched_at, final_url=resp.final_url)
        append_manifest(self.folder(source), entry)
        self._remember(source, name, entry)

    def record_failure(
        self, source: str, url: str, *, status: int | None, error: str, fetched_at: float, extra: dict
    ) -> dict:
        """An entry with status and error and no file: ingest reads it as a missing page."""
        folder = self.folder(source)
        name = self.file_for(source, url)
        entry = {
            "file": name,
            "url": url,
            "status": status,
            "error": error,
            "fetched_at": fetched_at,
            "source": source,
            **extra,
        }
        append_manifest(folder, entry)
        self._remember(source, name, entry)
        return entry

    def retire_beyond(self, source: str, transcript: str, total: int, fetched_at: float) -> list[str]:
        """Move a transcript's stored pages past its last page into .history/.

        When a site re-paginates a transcript into fewer pages, the old last
        pages would otherwise be read again after the new ones.
        """
        folder = self.folder(source)
        retired = []
        for name, entry in list(self.entries(source).items()):
            page = entry.get("page")
            if (
                entry.get("transcript") == transcript
                and isinstance(page, int)
                and page > total
                and entry.get("sha256")
                and (folder / name).is_file()
            ):
                self._keep_history(folder, name, entry)
                note = {k: v for k, v in entry.items() if k not in ("sha256", "bytes", "charset")}
                note.update(retired=f"the transcript has {total} page(s) now", fetched_at=fetched_at)
                append_manifest(folder, note)
                self._remember(source, name, note)
                retired.append(name)
        return retired

    def _keep_history(self, folder: Path, name: str, old: dict) -> None:
        """Move a superseded version into .history/ under a name no other version has.

        The name carries the version's fetch time and hash; two versions fetched
        within one second, or the same bytes superseded twice, get a counter, so
        no kept version is ever overwritten.
        """
        history = folder / ".history"
        history.mkdir(exist_ok=True)
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        base = f"{stem}.{_stamp(old.get('fetched_at'))}.{(old.get('sha256') or 'unknown')[:8]}"
        kept, n = f"{base}{dot}{ext}", 1
        recorded = read_manifest(history)
        while (history / kept).exists() or kept in recorded:
            n += 1
            kept = f"{base}-{n}{dot}{ext}"
        shutil.move(str(folder / name), str(history / kept))
        append_manifest(history, dict(old, file=kept))

    def read_text(self, source: str, name: str, entry: dict) -> str:
        body = (self.folder(source) / name).read_bytes()
        return decode(body, entry.get("headers"), entry.get("charset"))[0]


# -- fetching transcripts ----------------------------------------------------


def _insecure_sources(value: bool | Iterable[str]) -> frozenset[str]:
    if value is True:
        return frozenset(SOURCE_HOSTS)
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
            return _as_http(url)
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
                    reason="cannot tell which site this URL belongs to; pass --source scio|chinaorg|gac|mfa",
                )
            )
            return None
        url = self.prepare(url, source)
        self.report.transcripts += 1
        paged = source in PAGED_SOURCES
        first, named = split_page(url) if paged else (url, 1)
        missing: list[MissingPage] = []

        got = self._page(source, first, page=1, total=None, at_least=named, transcript=first, missing=missing)
        # Later pages hang off where page 1 really was, after redirects.
        text, base = got if got is not None else ("", first)
        links: dict[int, str] = page_links(base, text) if paged else {}
        total = max(max(links, default=1), named)
        n = 2
        while n <= total:
            page_url = url if n == named else links.get(n) or nth_page(base, n)
            got_n = self._page(source, page_url, page=n, total=total, transcript=first, missing=missing)
            if got_n is not None:
                more = page_links(base, got_n[0])
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

        if total is None and source in PAGED_SOURCES:
            text, _ = decode(resp.body, resp.headers)
            n = max(max(page_links(resp.final_url, text), default=1), at_least)
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

    def _failed(self, source, url, status, reason, extra, have, missing, page) -> str | None:
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
    "USER_AGENT",
    "Clock",
    "PoliteClient",
    "Response",
    "FetchError",
    "TLSError",
    "Disallowed",
    "RobotsUnreadable",
    "RawStore",
    "Fetcher",
    "FetchReport",
    "PageResult",
    "Incomplete",
    "MissingPage",
    "Skipped",
    "fetch",
    "detect_source",
    "url_problem",
    "join_url",
    "split_page",
    "page_links",
]
