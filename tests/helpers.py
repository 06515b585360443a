"""Test helpers: parse pages the way `ingest` does, without a database."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from briefings.ingest import parse_paths
from briefings.models import Briefing, Rejected
from briefings.people import Entities


def dump(path, uri: bool = False) -> list[str]:
    """Every schema line and row of an SQLite file: equal dumps show nothing changed.

    Through the standard library's driver, which has iterdump (pysqlite3 has
    not) and reads the archive as well as the driver that wrote it.
    """
    with closing(sqlite3.connect(str(path), uri=uri)) as conn:
        return list(conn.iterdump())


def entities() -> Entities:
    return Entities.load()


def parse_one(*paths: Path, source: str | None = None) -> Briefing:
    results = list(parse_paths(paths, entities(), source))
    assert len(results) == 1, f"expected one transcript, got {len(results)}"
    _, result = results[0]
    if isinstance(result, Rejected):
        raise AssertionError(f"rejected: {result.reason}")
    return result


def parse_all(*paths: Path, source: str | None = None) -> list[Briefing]:
    out = []
    for _, result in parse_paths(paths, entities(), source):
        if isinstance(result, Briefing):
            out.append(result)
    return out


def golden_dict(b: Briefing) -> dict:
    """The export shape, with page locations reduced to names so it is the same on any machine."""
    d = b.to_dict()
    d["pages"] = [Path(p).name if "://" not in p else p for p in d["pages"]]
    return d
