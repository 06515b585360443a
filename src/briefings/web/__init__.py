"""`briefings serve`: a read-only web interface on the archive.

The command line calls serve(); tests call start() for a server on an
OS-chosen port in a background thread.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 lets the OS choose. OSError if it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(512)
    sock.set_inheritable(True)
    return sock


def _server(db_path: Path, quiet: bool):
    import uvicorn

    from .app import create_app

    app = create_app(db_path)
    config = uvicorn.Config(
        app, log_level="warning" if quiet else "info", access_log=not quiet, server_header=False
    )
    return uvicorn.Server(config)


def serve(db_path: Path, host: str, port: int, on_ready=None) -> None:
    """Serve until interrupted; on_ready(url) once the socket is bound."""
    server = _server(db_path, quiet=False)
    sock = bind(host, port)
    shown_host = f"[{host}]" if ":" in host else host
    if on_ready:
        on_ready(f"http://{shown_host}:{sock.getsockname()[1]}/")
    server.run(sockets=[sock])


class Running:
    """A server in a background thread, for tests and the benchmark."""

    def __init__(self, db_path: Path, host: str = "127.0.0.1"):
        self.server = _server(db_path, quiet=True)
        self.sock = bind(host, 0)
        self.url = f"http://{host}:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        while not self.server.started and self.thread.is_alive():
            threading.Event().wait(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


def start(db_path: Path) -> Running:
    return Running(db_path)
