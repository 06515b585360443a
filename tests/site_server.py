"""A local stand-in for the sites, on 127.0.0.1 only, with faults on demand.

`FakeSite` (pytest-httpserver underneath) replays the recorded MFA corpus at
its original URL paths with its recorded headers, and the constructed SCIO and
GACC pages under tests/fixtures/fetch/site. `RawServer` speaks HTTP at the
socket level for the faults a framework will not produce: a reset connection
and a body shorter than its Content-Length.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import re
import shutil
import socket
import ssl
import struct
import subprocess
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from briefings.http import Clock

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / ".." / "shared" / "corpus" / "mfa"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "fetch" / "site"

_DROP_HEADERS = {"content-length", "transfer-encoding", "connection", "content-encoding", "date", "server"}


class FakeClock(Clock):
    """Virtual time: sleep returns at once, advances the clock and is recorded."""

    def __init__(self, wall: float = 1_767_225_600.0):  # 2026-01-01T00:00:00Z
        self.t = 0.0
        self.wall = wall
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def time(self) -> float:
        return self.wall + self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += max(0.0, seconds)


@dataclass
class Route:
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    at: float | None = None  # the shared virtual clock's time when the request arrived, if there is one


class FakeSite:
    """Routes by URL path; `fault(path, ...)` queues misbehaviour before the real answer."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True, ssl_context=ssl_context)
        self.scheme = "https" if ssl_context else "http"
        self.routes: dict[str, Route] = {}
        self.faults: dict[str, list] = defaultdict(list)
        self.log: list[Seen] = []
        self.clock: FakeClock | None = None  # set to log arrivals in the client's virtual time
        self.server.expect_request(re.compile(r".*")).respond_with_handler(self._handle)

    def __enter__(self) -> FakeSite:
        self.server.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()

    def reset(self) -> None:
        """Forget routes, faults and the log, so one server can serve many tests."""
        self.routes.clear()
        self.faults.clear()
        self.log.clear()
        self.clock = None

    @property
    def base(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, body: bytes | str, headers: dict | None = None, status: int = 200) -> None:
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.routes[path] = Route(body, dict(headers or {}), status)

    def add_fixtures(self, root: Path = FIXTURES, *, validators: bool = True) -> None:
        """Serve every file under root at its relative path; index.html also at its folder."""
        for f in sorted(root.rglob("*")):
            if not f.is_file():
                continue
            path = "/" + f.relative_to(root).as_posix()
            body = f.read_bytes()
            headers = {"Content-Type": "text/html"}
            if validators:
                headers["ETag"] = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                headers["Last-Modified"] = formatdate(1_765_000_000, usegmt=True)
            self.add(path, body, headers)
            if f.name == "index.html":
                self.add(path[: -len("index.html")], body, headers)

    def add_corpus(self, folder: Path) -> int:
        """Replay recorded pages at their original paths, with their recorded headers."""
        count = 0
        for line in (folder / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            path = urlsplit(entry["url"]).path
            headers = {k: v for k, v in entry["headers"].items() if k.lower() not in _DROP_HEADERS}
            self.add(path, (folder / entry["file"]).read_bytes(), headers, entry.get("status", 200))
            count += 1
        return count

    def robots(self, text: str) -> None:
        self.add("/robots.txt", text, {"Content-Type": "text/plain"})

    def fault(self, path: str, *actions) -> None:
        """Queue answers for the next requests to path, before the route answers.

        An action is an int status; ("retry-after", status, value);
        ("delay", seconds) then the route; ("redirect", location, status);
        "gzip", "gzip-corrupt" or "gzip-cut": the route's body gzipped, then
        damaged or cut in half, with a Content-Length that matches what is sent;
        ("late", seconds): the request reaches the server that much later on
        the virtual `clock` (then the next action, if any, applies).
        """
        self.faults[path].extend(actions)

    def requests(self, path: str | None = None) -> list[Seen]:
        return [s for s in self.log if path is None or s.path == path]

    def _handle(self, request: Request) -> Response:
        path = request.path
        action = self.faults[path].pop(0) if self.faults.get(path) else None
        if isinstance(action, tuple) and action[0] == "late":
            self.clock.t += action[1]  # the request spent this long on its way here
            action = self.faults[path].pop(0) if self.faults.get(path) else None
        self.log.append(Seen(path, dict(request.headers), self.clock.monotonic() if self.clock else None))
        if action is not None:
            if isinstance(action, int):
                return Response(f"error {action}", status=action)
            if action in ("gzip", "gzip-corrupt", "gzip-cut"):
                return self._gzipped(path, action)
            kind = action[0]
            if kind == "retry-after":
                return Response("slow down", status=action[1], headers={"Retry-After": action[2]})
            if kind == "redirect":
                status = action[2] if len(action) > 2 else 301
                return Response("", status=status, headers={"Location": action[1]})
            if kind == "delay":
                time.sleep(action[1])
        route = self.routes.get(path)
        if route is None:
            return Response("not found", status=404)
        etag = route.headers.get("ETag")
        if etag and request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        return Response(route.body, status=route.status, headers=route.headers)

    def _gzipped(self, path: str, how: str) -> Response:
        route = self.routes[path]
        body = gzip.compress(route.body)
        if how == "gzip-corrupt":
            body = body[:10] + b"garbage" * 20
        elif how == "gzip-cut":
            body = body[: len(body) // 2]
        return Response(body, status=route.status, headers={**route.headers, "Content-Encoding": "gzip"})


@contextlib.contextmanager
def tls_site(folder: Path):
    """A FakeSite over https with a self-signed certificate made on the spot (needs openssl)."""
    if not shutil.which("openssl"):
        pytest.skip("openssl not available to make a self-signed certificate")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    site = FakeSite(ssl_context=ctx)
    with site:
        yield site


class RawServer:
    """Answers each page request with the next scripted action, at the socket level.

    Actions: "reset" (RST, no answer), ("truncate", body, declared_length),
    ("ok", body), ("drip", body, seconds): one byte every so many seconds,
    ("redirect", location): a 302 to location exactly as given.
    /robots.txt always gets a 404 (no rules).
    """

    def __init__(self, actions: list):
        self.actions = list(actions)
        self.served: list[str] = []
        self.dripped: list[tuple[int, str]] = []  # per drip: bytes sent, and "hung up", "stopped" or "done"
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                self._serve(conn)

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(2)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
        path = data.split(b" ", 2)[1].decode("ascii", "replace")
        if path == "/robots.txt":
            conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        self.served.append(path)
        action = self.actions.pop(0) if self.actions else "reset"
        if action == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return  # closing with linger 0 sends RST
        if action[0] == "redirect":  # werkzeug would refuse to send a malformed Location
            conn.sendall(
                f"HTTP/1.1 302 Found\r\nLocation: {action[1]}\r\nContent-Length: 0\r\n"
                "Connection: close\r\n\r\n".encode("ascii")
            )
            return
        kind, body = action[0], action[1]
        declared = action[2] if kind == "truncate" else len(body)
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {declared}\r\nConnection: close\r\n\r\n"
        ).encode("ascii")
        if kind != "drip":
            conn.sendall(head + body)
            return
        conn.sendall(head)
        for i in range(len(body)):
            if self._stop.is_set():
                self.dripped.append((i, "stopped"))
                return
            try:
                conn.sendall(body[i : i + 1])
            except OSError:
                self.dripped.append((i, "hung up"))  # the client gave up, as it should
                return
            time.sleep(action[2])
        self.dripped.append((len(body), "done"))
