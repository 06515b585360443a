"""The whole archive as JSON Lines, and back: a backup that needs no raw pages.

`briefings export --all --format jsonl` writes one briefing per line in the
export JSON shape of docs/interface.md, plus what that shape leaves out and a
restore needs: each participant's printed `label`, the briefing's
`fingerprint` (so that re-ingesting the original pages later finds the
restored briefing unchanged) and its `changes`, the history of what
re-ingesting it changed (researchers cite it, and no raw page holds it).
After the briefings come the archive's rejected pages, one line each:
`{"type": "reject", "path", "reason", "at"}`, then its watches (`"type": "watch"`). `briefings ingest FILE.jsonl`
reads it back through the same `Archive.save` as any page, one briefing per
transaction. A line that is neither is rejected with its line number and the
rest go on, as for pages.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

import sqlite_utils

from . import query
from .models import SOURCES, TURN_KINDS, Briefing, Participant, Rejected, Turn
from .store import CHANGE_KEYS, ArchiveError, damaged_briefing

if TYPE_CHECKING:
    from .watch import Watch

SUFFIX = ".jsonl"


def is_jsonl(path: str | Path) -> bool:
    return Path(path).suffix.lower() == SUFFIX


# -- writing -------------------------------------------------------------------


def records(db: sqlite_utils.Database, unreadable: list[tuple[str, str]] | None = None) -> Iterator[dict]:
    """Every briefing, in the order it entered the archive, then every rejected page,
    from one read snapshot.

    A briefing that cannot be read back (a JSON column that is not JSON, text that
    is not UTF-8) raises ArchiveError, unless `unreadable` is given: then it goes
    there as (briefing id, why) and the rest are written, so that a backup saves
    every briefing it can."""
    conn = db.conn
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")
    try:
        keys = conn.execute("SELECT pk, CAST(id AS BLOB) FROM briefings ORDER BY pk").fetchall()
        for pk, raw_id in keys:
            try:
                bid = raw_id.decode("utf-8")
                b = _record(db, pk, bid)
            except UnicodeDecodeError as exc:  # the id itself
                error = damaged_briefing(f"{raw_id!r} (pk {pk})", exc)
                if unreadable is None:
                    raise error from None
                unreadable.append((f"{raw_id!r} (pk {pk})", str(error)))
                continue
            except ArchiveError as exc:
                if unreadable is None:
                    raise
                unreadable.append((bid, str(exc)))
                continue
            if b is not None:
                yield b
        for (pk,) in conn.execute("SELECT pk FROM rejects ORDER BY pk").fetchall():
            try:
                path, reason, at = conn.execute(
                    "SELECT path, reason, at FROM rejects WHERE pk = ?", (pk,)
                ).fetchone()
            except UnicodeDecodeError as exc:
                error = f"rejected page record {pk} is damaged in the archive (stored text that is not UTF-8: {exc})"
                if unreadable is None:
                    raise ArchiveError(error) from None
                unreadable.append((f"rejects row {pk}", error))
                continue
            yield {"type": "reject", "path": path, "reason": reason, "at": at}
        yield from _watch_records(db)
    finally:
        if own and conn.in_transaction:
            conn.execute("ROLLBACK")


def _record(db: sqlite_utils.Database, pk: int, bid: str) -> dict | None:
    """One briefing's backup record. Raises ArchiveError for one that cannot be read back."""
    conn = db.conn
    b = query.get_briefing(db, bid)
    if b is None:  # pragma: no cover - cannot happen inside one snapshot
        return None
    query.add_counterparts(db, b)
    try:
        fingerprint, counterpart_url = conn.execute(
            "SELECT fingerprint, counterpart_url FROM briefings WHERE pk = ?", (pk,)
        ).fetchone()
        labels = [
            r[0]
            for r in conn.execute(
                "SELECT label FROM participants WHERE briefing_pk = ? ORDER BY position", (pk,)
            ).fetchall()
        ]
        changes = [
            dict(zip(CHANGE_KEYS, r))
            for r in conn.execute(
                f"SELECT {', '.join(CHANGE_KEYS)} FROM changes WHERE briefing_pk = ? ORDER BY pk", (pk,)
            )
        ]
    except UnicodeDecodeError as exc:
        raise damaged_briefing(bid, exc) from None
    for p, label in zip(b["participants"], labels):
        p["label"] = label
    b["fingerprint"] = fingerprint
    b["counterpart_url"] = counterpart_url
    b["changes"] = changes
    return b


# Characters Python's str.splitlines (and some editors) break lines at that
# JSON leaves raw: escaped, so a line is one line to every reader.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def line(record: dict) -> str:
    """One record as one line: no raw line breaks, however the text is written."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).translate(_LINE_BREAKS) + "\n"


def write(
    db: sqlite_utils.Database, fh: IO[str], unreadable: list[tuple[str, str]] | None = None
) -> tuple[int, int]:
    """Write every record; return how many briefings and how many rejected pages
    (see `records` for `unreadable`)."""
    n = rejects = 0
    for record in records(db, unreadable):
        fh.write(line(record))
        if record.get("type") == "reject":
            rejects += 1
        elif record.get("type") != "watch":
            n += 1
    return n, rejects


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
        participants.append(
            Participant(
                name=_str(p, "name"),
                role=_str(p, "role", optional=True),
                kind=_str(p, "kind"),
                label=_str(p, "label", optional=True),
            )
        )
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
        turns.append(
            Turn(
                seq=i,
                label=_str(t, "label", optional=True),
                speaker=_str(t, "speaker", optional=True),
                role=_str(t, "role", optional=True),
                kind=kind,
                outlet=_str(t, "outlet", optional=True),
                text=_str(t, "text"),
                answers=_int(t, "answers", optional=True),
                also_asked=tuple(also),
                page=_int(t, "page", default=1),
            )
        )
    if not turns:
        raise ValueError("it has no turns")
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
        id=bid,
        source=source,
        url=_str(d, "url", optional=True),
        title=_str(d, "title"),
        date=_str(d, "date", optional=True),
        published=_str(d, "published", optional=True),
        language=_str(d, "language"),
        participants=tuple(participants),
        turns=tuple(turns),
        pages=tuple(pages),
        missing_pages=tuple(missing),
        fingerprint=fingerprint,
        counterpart_url=_str(d, "counterpart_url", optional=True),
    )


@dataclass(frozen=True)
class Restored:
    """A briefing from a backup, with the change records to keep with it."""

    briefing: Briefing
    history: tuple[dict, ...] = ()
    links: tuple | None = None  # (the counterpart's id, [(seqs here, seqs there, score)]) as exported


@dataclass(frozen=True)
class StoredReject:
    """A rejected page as the archive recorded it."""

    path: str
    reason: str
    at: str | None


# -- watches ---------------------------------------------------------------------
# After the rejected pages, one line per watch (watch.py): `{"type": "watch", "name",
# "query", "filters", "raw", "created", "last_run", "seen"}`, `seen` being the
# [briefing id, text digest] of each turn it has shown, so that a restored watch
# shows nothing again.


def _watch_records(db) -> Iterator[dict]:
    from . import watch

    if "watches" in db.table_names():
        yield from watch.backup_records(db)


@dataclass(frozen=True)
class StoredWatch:
    """A watch from a backup, with what it had shown."""

    watch: Watch
    seen: tuple[tuple[str, str], ...]

    def restore(self, archive) -> bool:
        """Store it, unless the archive has a watch of that name already (then False)."""
        from .watch import save_watch

        with archive.transaction() as conn:
            return save_watch(conn, self.watch, self.seen)


def _to_watch(d: dict) -> StoredWatch:
    from .watch import Watch, WatchError, check_name, to_filters

    name, text = _str(d, "name") or "", _str(d, "query") or ""
    try:
        check_name(name)
    except WatchError as exc:
        raise ValueError(str(exc)) from None
    if not text.strip():
        raise ValueError("a watch with an empty query")
    raw = d.get("raw", False)
    if not isinstance(raw, bool):
        raise ValueError("'raw' must be true or false")
    seen = []
    for pair in _list(d, "seen"):
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            raise ValueError("'seen' must list [briefing id, digest] pairs")
        seen.append((pair[0], pair[1]))
    w = Watch(
        name,
        text,
        to_filters(d.get("filters", {})),
        raw,
        _str(d, "created", optional=True),
        _str(d, "last_run", optional=True),
    )
    return StoredWatch(w, tuple(seen))


def _history(d: dict) -> tuple[dict, ...]:
    out = []
    for c in _list(d, "changes"):
        if not isinstance(c, dict):
            raise ValueError("a change is not a JSON object")
        out.append(
            {
                "at": _str(c, "at"),
                "seq": _int(c, "seq", optional=True),
                "change": _str(c, "change"),
                "field": _str(c, "field", optional=True),
                "old": _str(c, "old", optional=True),
                "new": _str(c, "new", optional=True),
            }
        )
    return tuple(out)


def to_record(d: object) -> Restored | StoredReject | StoredWatch:
    """A line's object -> what it restores. Raises ValueError saying what is wrong."""
    if isinstance(d, dict) and d.get("type") == "reject":
        return StoredReject(_str(d, "path"), _str(d, "reason"), _str(d, "at", optional=True))
    if isinstance(d, dict) and d.get("type") == "watch":
        return _to_watch(d)
    return Restored(to_briefing(d), _history(d), _links(d))


def _links(d: dict) -> tuple | None:
    """The pair and turn links a backup line records, grouped back into links."""
    other = d.get("counterpart")
    if not isinstance(other, dict) or not isinstance(other.get("id"), str):
        return None
    groups: dict[tuple, list[int]] = {}
    scores: dict[tuple, float] = {}
    for t in d["turns"]:
        seqs = t.get("counterpart") or []
        if not isinstance(seqs, list) or not all(isinstance(s, int) for s in seqs):
            raise ValueError(f"turn {t.get('seq')}: 'counterpart' must be a list of seq numbers")
        if seqs:
            key = tuple(seqs)
            groups.setdefault(key, []).append(t["seq"])
            score = t.get("counterpart_score")
            scores[key] = float(score) if isinstance(score, (int, float)) else 0.0
    return other["id"], [(tuple(mine), theirs, scores[theirs]) for theirs, mine in groups.items()]


def read(path: str | Path) -> Iterator[Restored | StoredReject | StoredWatch | Rejected]:
    """Each line of a JSONL file as what it restores, or Rejected("line N: why", path:N).

    Streams: memory does not grow with the file. Raises OSError if it cannot be read."""
    path = Path(path)
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, 1):
            where = f"{path}:{n}"
            if not raw.strip():
                continue
            try:
                yield to_record(json.loads(raw))
            except UnicodeDecodeError:
                yield Rejected(f"line {n} is not UTF-8 text", where)
            except json.JSONDecodeError as exc:
                yield Rejected(f"line {n} is not JSON ({exc.msg})", where)
            except (ValueError, TypeError, RecursionError) as exc:
                yield Rejected(f"line {n} is not a briefing: {exc}", where)
