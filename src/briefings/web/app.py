"""The read-only web interface: a small Starlette app over web.archive.

Every page is a Jinja2 template with autoescaping on, so transcript text is
shown as characters, never as markup; a Content-Security-Policy allowing only
this server's own CSS and script goes on every response. Bad parameters are
a 400 page saying what is wrong; no error shows a traceback.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from . import chart
from .archive import (
    SOURCES,
    TURN_KINDS,
    ArchiveError,
    Filters,
    QueryError,
    Source,
    check_raw,
    marks,
    user_date,
)

HERE = Path(__file__).parent
PAGE_SIZE = 20
MAX_PAGE = 10_000
MAX_QUERY = 20_000  # characters; the query language refuses long ones itself, this bounds the URL
CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
log = logging.getLogger("briefings.web")


class BadRequest(Exception):
    """A parameter the page cannot use: 400 with this message."""


def snippet_html(snippet: str) -> Markup:
    """A search snippet with its matched words in <mark>, everything else escaped."""
    start, end = marks()
    out, rest = [], snippet
    while start in rest:
        before, _, after = rest.partition(start)
        hit, _, rest = after.partition(end)
        out.append(escape(before))
        out.append(Markup("<mark>") + escape(hit) + Markup("</mark>"))
    out.append(escape(rest))
    return Markup("").join(out)


def paragraphs(text: str | None) -> Markup:
    return Markup("").join(
        Markup("<p>") + escape(p.strip()) + Markup("</p>") for p in (text or "").split("\n\n") if p.strip()
    )


def citation(b: dict, t: dict, page_url: str) -> str:
    """Speaker, date, briefing title, source URL and archive id: what a quote needs."""
    who = t.get("speaker") or t.get("label") or "Unattributed"
    title = b.get("title") or "(no title)"
    bits = [who, b.get("date") or "undated", f"“{title}”"]
    if b.get("url"):
        bits.append(b["url"])
    bits.append(f"archive {b['id']}#t{t['seq']} ({page_url})")
    return ", ".join(bits)


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True
    )
    env.filters["snippet"] = snippet_html
    env.filters["paragraphs"] = paragraphs
    env.filters["q"] = lambda v: quote(str(v), safe="")
    return env


def _text(request: Request, name: str) -> str:
    value = request.query_params.get(name, "")
    if "\x00" in value:
        raise BadRequest(f"{name}: holds a NUL character")
    return value.strip()


def _choice(request: Request, name: str, choices, what: str) -> str | None:
    value = _text(request, name).lower()
    if not value:
        return None
    if value not in choices:
        raise BadRequest(f"{name}={value!r} is not {what}; use one of {', '.join(choices)}")
    return value


def _flag(request: Request, name: str) -> bool:
    value = _text(request, name).lower()
    if value in ("", "0", "off", "false", "no"):
        return False
    if value in ("1", "on", "true", "yes"):
        return True
    raise BadRequest(f"{name}={value!r} is not on or off; use 1 or 0")


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    value = _text(request, name)
    if not value:
        return default
    if not value.isascii() or not value.isdigit():
        raise BadRequest(f"{name}={value!r} is not a whole number")
    n = int(value)
    if not low <= n <= high:
        raise BadRequest(f"{name}={n} is out of range; use {low} to {high}")
    return n


def _date(request: Request, name: str, end: bool) -> str | None:
    value = _text(request, name)
    if not value:
        return None
    try:
        return user_date(value, end=end)
    except ValueError as exc:
        raise BadRequest(f"{name}: {exc}") from None


class Params:
    """A search's parameters, read and checked as the command line checks its options."""

    FIELDS = (
        "q",
        "speaker",
        "outlet",
        "kind",
        "source",
        "lang",
        "since",
        "until",
        "raw",
        "all_kinds",
        "sort",
    )

    def __init__(self, request: Request):
        self.q = _text(request, "q")
        if len(self.q) > MAX_QUERY:
            raise BadRequest(f"q: the query is {len(self.q):,} characters; at most {MAX_QUERY:,}")
        self.raw = _flag(request, "raw")
        self.all_kinds = _flag(request, "all_kinds")
        self.sort = _choice(request, "sort", ("rank", "date"), "an order") or "rank"
        self.view = _choice(request, "view", ("hits", "who", "timeline"), "a view") or "hits"
        self.by = _choice(request, "by", ("year", "month"), "a period") or "year"
        self.page = _int(request, "page", 1, 1, MAX_PAGE)
        self.given = {k: _text(request, k) for k in self.FIELDS if _text(request, k)}
        self.filters = Filters(
            speaker=_text(request, "speaker") or None,
            outlet=_text(request, "outlet") or None,
            kind=_choice(request, "kind", TURN_KINDS, "a kind of turn"),
            source=_choice(request, "source", SOURCES, "a source"),
            lang=_choice(request, "lang", ("en", "zh"), "a language"),
            since=_date(request, "since", False),
            until=_date(request, "until", True),
            all_kinds=self.all_kinds,
        )
        if self.filters.since and self.filters.until and self.filters.since > self.filters.until:
            raise BadRequest(
                f"since {self.filters.since} is after until {self.filters.until}; nothing can match"
            )
        if self.raw and self.q:
            try:
                check_raw(self.q)
            except QueryError as exc:
                raise BadRequest(str(exc)) from None

    def url(self, path: str = "/search", **changes) -> str:
        """This search's URL with some parameters changed (None drops one)."""
        params = dict(self.given)
        params.update({"view": self.view, "by": self.by} if self.view != "hits" else {})
        for k, v in changes.items():
            if v is None:
                params.pop(k, None)
            else:
                params[k] = str(v)
        if params.get("view") == "hits":
            params.pop("view")
        if params.get("page") == "1":
            params.pop("page")
        return f"{path}?{urlencode(params)}" if params else path


class SecurityHeaders:
    """The security headers on every response, static files and errors included."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                extra = [
                    (k.lower().encode(), v.encode())
                    for k, v in HEADERS.items()
                    if k.lower().encode() not in have
                ]
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(db_path: Path) -> Starlette:
    """The app over the archive at db_path; ArchiveError if it cannot be read."""
    source = Source(db_path)
    env = _env()

    def page(template: str, status: int = 200, **context) -> HTMLResponse:
        html = env.get_template(template).render(**context)
        return HTMLResponse(html, status_code=status, headers=HEADERS)

    def index(request: Request) -> Response:
        return page("index.html", recent=source.recent(), p=None)

    def search(request: Request) -> Response:
        p = Params(request)
        context: dict = {"p": p, "kinds": TURN_KINDS, "sources": SOURCES}
        if not p.q:
            return page("search.html", **context)
        try:
            if p.view == "who":
                rows = source.who(p.q, p.filters, raw=p.raw)
                context.update(
                    who=rows, chart=chart.bars([(r["name"], r["turns"]) for r in rows[:30]], "turns")
                )
            elif p.view == "timeline":
                rows = source.timeline(p.q, p.filters, raw=p.raw, by=p.by)
                context.update(
                    timeline=rows,
                    chart=chart.columns([(r["period"], r["per_1000"]) for r in rows], "per 1,000 turns"),
                )
            else:
                found = source.search(
                    p.q, p.filters, raw=p.raw, sort=p.sort, limit=PAGE_SIZE, offset=(p.page - 1) * PAGE_SIZE
                )
                context.update(found=found, first=(p.page - 1) * PAGE_SIZE + 1)
                context["facets"] = source.facets(p.q, p.filters, raw=p.raw)
                total = found.total or 0
                context["pages"] = max(1, -(-total // PAGE_SIZE))
        except QueryError as exc:
            raise BadRequest(str(exc)) from None
        return page("search.html", **context)

    def search_json(request: Request) -> Response:
        p = Params(request)
        if not p.q:
            raise BadRequest("q: give a query, as in /search.json?q=Taiwan")
        limit = _int(request, "limit", PAGE_SIZE, 0, 100_000)
        offset = _int(request, "offset", 0, 0, 100_000_000)
        try:
            body = source.search_json(p.q, p.filters, raw=p.raw, sort=p.sort, limit=limit, offset=offset)
        except QueryError as exc:
            raise BadRequest(str(exc)) from None
        return Response(body + "\n", media_type="application/json; charset=utf-8", headers=HEADERS)

    def briefing(request: Request) -> Response:
        bid = request.path_params["bid"]
        for ext, fmt, media in ((".md", "md", "text/markdown"), (".json", "json", "application/json")):
            if bid.endswith(ext):
                text = source.export(bid[: -len(ext)], fmt)
                if text is None:
                    break
                return Response(text, media_type=f"{media}; charset=utf-8", headers=HEADERS)
        else:
            b = source.briefing(bid, originals=True)
            if b is not None:
                base = str(request.url_for("briefing", bid=b["id"]))
                for t in b["turns"]:
                    t["citation"] = citation(b, t, f"{base}#t{t['seq']}")
                return page("briefing.html", b=b, p=None)
        near = source.similar(bid.removesuffix(".md").removesuffix(".json"))
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        raise HTTPException(404, f"no briefing with id {bid!r}{hint}")

    def quality(request: Request) -> Response:
        report = source.quality()
        return page("quality.html", lines=report.lines(50), p=None)

    async def bad_request(request: Request, exc: Exception) -> Response:
        return page("error.html", status=400, status_text="Bad request", message=str(exc), p=None)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return page(
            "error.html",
            status=exc.status_code,
            status_text="Not found" if exc.status_code == 404 else "Error",
            message=exc.detail,
            p=None,
        )

    async def archive_error(request: Request, exc: Exception) -> Response:
        return page(
            "error.html", status=500, status_text="The archive cannot be read", message=str(exc), p=None
        )

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("error serving %s: %r", request.url.path, exc)
        return PlainTextResponse("Internal error; the server log names it.", status_code=500, headers=HEADERS)

    routes = [
        Route("/", index),
        Route("/search", search),
        Route("/search.json", search_json),
        Route("/quality", quality),
        Route("/briefing/{bid}", briefing, name="briefing"),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={
            BadRequest: bad_request,
            HTTPException: http_error,
            ArchiveError: archive_error,
            Exception: server_error,
        },
    )

    return app
