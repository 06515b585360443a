"""HTTP for the fetcher: a polite client, and only that.

A client that keeps to a per-host rate (remembered across runs by `hosts.py`),
reads robots.txt, retries what is worth retrying and never mistakes a
cut-off body for a page. What to fetch is `fetch.py`'s business; where the
bodies go is `raw.py`'s.

Time and randomness come in through `Clock` and `rng` so that tests can assert
the waits without waiting.
"""

from __future__ import annotations

import random
import ssl
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from protego import Protego

from . import __version__
from .decode import decode
from .hosts import HostMemory

USER_AGENT = f"briefings/{__version__} (archive of government press-briefing transcripts)"

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


def as_http(url: str) -> str:
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
            return as_http(url)
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


__all__ = [
    "USER_AGENT",
    "Clock",
    "PoliteClient",
    "Response",
    "FetchError",
    "TLSError",
    "Disallowed",
    "RobotsUnreadable",
    "as_http",
    "url_problem",
    "join_url",
    "parse_retry_after",
]
