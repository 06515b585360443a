"""The whole archive as JSON Lines, and back: a backup that needs no raw pages.

`briefings export --all --format jsonl` writes one briefing per line in the
export JSON shape of docs/interface.md, plus what that shape leaves out and a
restore needs: each participant's printed `label` and the briefing's
`fingerprint` (so that re-ingesting the original pages later finds the
restored briefing unchanged). `briefings ingest FILE.jsonl` reads it back
through the same `Archive.save` as any page, one briefing per transaction.
A line that is not a briefing is rejected with its line number and the rest
go on, as for pages.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import IO, Iterator

import sqlite_utils

from . import query
from .models import SOURCES, TURN_KINDS, Briefing, Participant, Rejected, Turn

SUFFIX = ".jsonl"


def is_jsonl(path: str | Path) -> bool:
    return Path(path).suffix.lower() == SUFFIX


# -- writing -------------------------------------------------------------------


def records(db: sqlite_utils.Database) -> Iterator[dict]:
    """Every briefing, in the order it entered the archive, from one read snapshot."""
    conn = db.conn
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")
    try:
        ids = [r[0] for r in conn.execute("SELECT id FROM briefings ORDER BY pk").fetchall()]
        for bid in ids:
            b = query.get_briefing(db, bid)
            if b is None:  # pragma: no cover - cannot happen inside one snapshot
                continue
            pk, fingerprint = conn.execute("SELECT pk, fingerprint FROM briefings WHERE id = ?", (bid,)).fetchone()
            labels = [r[0] for r in conn.execute(
                "SELECT label FROM participants WHERE briefing_pk = ? ORDER BY position", (pk,)).fetchall()]
            for p, label in zip(b["participants"], labels):
                p["label"] = label
            b["fingerprint"] = fingerprint
            yield b
    finally:
        if own and conn.in_transaction:
            conn.execute("ROLLBACK")


# Characters Python's str.splitlines (and some editors) break lines at that
# JSON leaves raw: escaped, so a line is one line to every reader.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def line(record: dict) -> str:
    """One record as one line: no raw line breaks, however the text is written."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).translate(_LINE_BREAKS) + "\n"


def write(db: sqlite_utils.Database, fh: IO[str]) -> int:
    n = 0
    for record in records(db):
        fh.write(line(record))
        n += 1
    return n


# -- reading -------------------------------------------------------------------


def _str(d: dict, key: str, *, optional: bool = False) -> str | None:
    value = d.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key!r} must be {'a string or null' if optional else 'a string'}")
    return value


def _int(d: dict, key: str, *, optional: bool = False, default: int | None = None) -> int | None:
    value = d.get(key, default)
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{key!r} must be a whole number")
    return value


def _list(d: dict, key: str) -> list:
    value = d.get(key, [])
    if not isinstance(value, list):
        raise ValueError(f"{key!r} must be a list")
    return value


def to_briefing(d: object) -> Briefing:
    """A record as written by `records` -> Briefing. Raises ValueError saying what is wrong."""
    if not isinstance(d, dict):
        raise ValueError("not a JSON object")
    source = _str(d, "source")
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    participants = []
    for p in _list(d, "participants"):
        if not isinstance(p, dict):
            raise ValueError("a participant is not a JSON object")
        participants.append(Participant(name=_str(p, "name"), role=_str(p, "role", optional=True),
                                        kind=_str(p, "kind"), label=_str(p, "label", optional=True)))
    turns = []
    for i, t in enumerate(_list(d, "turns"), 1):
        if not isinstance(t, dict):
            raise ValueError("a turn is not a JSON object")
        if _int(t, "seq") != i:
            raise ValueError(f"turn {i} has seq {t.get('seq')!r}; turns must be numbered 1, 2, 3 ...")
        kind = _str(t, "kind")
        if kind not in TURN_KINDS:
            raise ValueError(f"turn {i} has unknown kind {kind!r}")
        also = _list(t, "also_asked")
        if not all(isinstance(a, str) for a in also):
            raise ValueError(f"turn {i}: 'also_asked' must be a list of strings")
        turns.append(Turn(seq=i, label=_str(t, "label", optional=True), speaker=_str(t, "speaker", optional=True),
                          role=_str(t, "role", optional=True), kind=kind, outlet=_str(t, "outlet", optional=True),
                          text=_str(t, "text"), answers=_int(t, "answers", optional=True),
                          also_asked=tuple(also), page=_int(t, "page", default=1)))
    pages = _list(d, "pages")
    missing = _list(d, "missing_pages")
    if not all(isinstance(p, str) for p in pages) or not all(isinstance(n, int) for n in missing):
        raise ValueError("'pages' must list strings and 'missing_pages' whole numbers")
    bid = _str(d, "id")
    if not bid.strip():
        raise ValueError("empty id")
    fingerprint = d.get("fingerprint")
    if not isinstance(fingerprint, str) or not fingerprint:
        # A hand-made line: fingerprint its content, so loading it twice changes nothing.
        fingerprint = "jsonl:" + hashlib.sha256(line({**d, "fingerprint": None}).encode()).hexdigest()
    for key in ("date", "published"):
        value = _str(d, key, optional=True)
        if value is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(f"{key!r} must be YYYY-MM-DD or null, not {value!r}")
    return Briefing(
        id=bid, source=source, url=_str(d, "url", optional=True), title=_str(d, "title"),
        date=_str(d, "date", optional=True), published=_str(d, "published", optional=True),
        language=_str(d, "language"), participants=tuple(participants), turns=tuple(turns),
        pages=tuple(pages), missing_pages=tuple(missing), fingerprint=fingerprint,
    )


def read(path: str | Path) -> Iterator[Briefing | Rejected]:
    """Each line of a JSONL file as a Briefing, or Rejected("line N: why", path:N).

    Streams: memory does not grow with the file. Raises OSError if it cannot be read."""
    path = Path(path)
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, 1):
            where = f"{path}:{n}"
            if not raw.strip():
                continue
            try:
                yield to_briefing(json.loads(raw))
            except UnicodeDecodeError:
                yield Rejected(f"line {n} is not UTF-8 text", where)
            except json.JSONDecodeError as exc:
                yield Rejected(f"line {n} is not JSON ({exc.msg})", where)
            except (ValueError, TypeError, RecursionError) as exc:
                yield Rejected(f"line {n} is not a briefing: {exc}", where)
