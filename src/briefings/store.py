"""The archive on disk: the only module that writes SQLite.

Schema is ensured on every open and migrated in place, in one transaction,
through the numbered steps in MIGRATIONS; an archive from a newer version is
refused rather than guessed at. Each briefing is written in one transaction,
so a crash leaves the archive as it was before that briefing, never half of it.
Turn text is indexed by an external-content FTS5 table kept in sync by
triggers; it needs the explicit integer primary key `turns.pk`, because
implicit rowids are not stable across VACUUM.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from .models import Briefing, Rejected
from .sqlite import sqlite3
from .text import han_grams, has_controls, has_han, loose, strip_controls

SCHEMA_VERSION = 9
APPLICATION = "briefings"

# FTS5 settings as data: Porter stemming over unicode61 word splitting, with
# diacritics folded, so "smuggle" finds "smuggling" and "Kyōdo" finds "Kyodo".
FTS_TOKENIZE = "porter unicode61 remove_diacritics 2"
# The exact index: the same word splitting and folding, no stemming, so that a
# "quoted phrase" can be held to exactly its words ("generous" is not
# "general", "trade war" is not "trade wars").
EXACT_TOKENIZE = "unicode61 remove_diacritics 2"


def _sync_triggers(index: str, prefix: str) -> list[str]:
    """Triggers that keep the external-content FTS5 `index` over turns.text in step with turns."""
    return [
        f"""CREATE TRIGGER {prefix}_ai AFTER INSERT ON turns BEGIN
        INSERT INTO {index} (rowid, text) VALUES (new.pk, new.text);
    END""",
        f"""CREATE TRIGGER {prefix}_ad AFTER DELETE ON turns BEGIN
        INSERT INTO {index} ({index}, rowid, text) VALUES ('delete', old.pk, old.text);
    END""",
        f"""CREATE TRIGGER {prefix}_au AFTER UPDATE ON turns BEGIN
        INSERT INTO {index} ({index}, rowid, text) VALUES ('delete', old.pk, old.text);
        INSERT INTO {index} (rowid, text) VALUES (new.pk, new.text);
    END""",
    ]


_V1 = [
    """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE briefings (
        pk INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        url TEXT,
        title TEXT NOT NULL,
        date TEXT,
        published TEXT,
        language TEXT NOT NULL,
        pages TEXT NOT NULL DEFAULT '[]',
        missing_pages TEXT NOT NULL DEFAULT '[]',
        turn_count INTEGER NOT NULL DEFAULT 0,
        fingerprint TEXT NOT NULL,
        ingested_at TEXT NOT NULL
    )""",
    "CREATE INDEX briefings_date ON briefings(date)",
    """CREATE TABLE participants (
        pk INTEGER PRIMARY KEY,
        briefing_pk INTEGER NOT NULL REFERENCES briefings(pk),
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        role TEXT,
        kind TEXT NOT NULL,
        label TEXT
    )""",
    "CREATE INDEX participants_briefing ON participants(briefing_pk)",
    """CREATE TABLE turns (
        pk INTEGER PRIMARY KEY,
        briefing_pk INTEGER NOT NULL REFERENCES briefings(pk),
        seq INTEGER NOT NULL,
        label TEXT,
        speaker TEXT,
        role TEXT,
        kind TEXT NOT NULL,
        outlet TEXT,
        answers INTEGER,
        also_asked TEXT NOT NULL DEFAULT '[]',
        page INTEGER NOT NULL DEFAULT 1,
        text TEXT NOT NULL,
        UNIQUE (briefing_pk, seq)
    )""",
    "CREATE INDEX turns_speaker ON turns(speaker)",
    "CREATE INDEX turns_outlet ON turns(outlet)",
    f"""CREATE VIRTUAL TABLE turns_fts USING fts5(
        text, content='turns', content_rowid='pk', tokenize='{FTS_TOKENIZE}'
    )""",
    *_sync_triggers("turns_fts", "turns"),
    """CREATE TABLE rejects (
        pk INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        reason TEXT NOT NULL,
        at TEXT NOT NULL
    )""",
]

# Version 2: the same index, declared with content="turns" in double quotes,
# the spelling Datasette and sqlite-utils look for when they detect a table's
# FTS index (`Table.detect_fts()`); with content='turns' they find none.
_V2 = [
    "DROP TABLE turns_fts",
    f"""CREATE VIRTUAL TABLE turns_fts USING fts5(
        text, content="turns", content_rowid="pk", tokenize='{FTS_TOKENIZE}'
    )""",
    "INSERT INTO turns_fts (turns_fts) VALUES ('rebuild')",
]

# Version 3: what re-ingesting changed, turn by turn (see changes.py).
_V3 = [
    """CREATE TABLE changes (
        pk INTEGER PRIMARY KEY,
        briefing_pk INTEGER NOT NULL REFERENCES briefings(pk),
        at TEXT NOT NULL,
        seq INTEGER,
        change TEXT NOT NULL,
        field TEXT,
        old TEXT,
        new TEXT
    )""",
    "CREATE INDEX changes_briefing ON changes(briefing_pk)",
]

# Version 4: indexes that let `speakers` and `timeline` count turns from an
# index instead of reading every turn's text (2-3x faster at a million turns).
_V4 = [
    "DROP INDEX turns_speaker",
    "CREATE INDEX turns_speaker ON turns(speaker, kind, outlet, role, briefing_pk)",
    "CREATE INDEX turns_briefing_kind ON turns(briefing_pk, kind)",
]

# Version 5: a second index over turn text, unstemmed, for exact phrases (see
# EXACT_TOKENIZE and query.py), kept in sync by its own triggers and built here
# from the turns already stored, inside the migration's transaction. Declared
# with content='turns' in single quotes, so that Datasette and sqlite-utils,
# which look for content="turns", still find only turns_fts for the turns
# table's search box.
_V5 = [
    f"""CREATE VIRTUAL TABLE turns_exact USING fts5(
        text, content='turns', content_rowid='pk', tokenize='{EXACT_TOKENIZE}'
    )""",
    *_sync_triggers("turns_exact", "turns_exact"),
    "INSERT INTO turns_exact (turns_exact) VALUES ('rebuild')",
]


def transcript_digest(texts) -> str | None:
    """sha256 of a transcript's turn texts, compared loosely (Unicode compatibility forms,
    odd spaces and quotes folded, runs of space collapsed); None for no text at all."""
    joined = "\n".join(loose(t) for t in texts)
    return hashlib.sha256(joined.encode()).hexdigest() if joined.strip() else None


def _digest_stored(conn: sqlite3.Connection) -> None:
    """Version 6, for the briefings already stored: their text's digest, from their turns."""
    pks = [r[0] for r in conn.execute("SELECT pk FROM briefings WHERE content IS NULL")]
    for pk in pks:
        texts = [
            r[0] for r in conn.execute("SELECT text FROM turns WHERE briefing_pk = ? ORDER BY seq", (pk,))
        ]
        conn.execute("UPDATE briefings SET content = ? WHERE pk = ?", (transcript_digest(texts), pk))


# Version 6: what a briefing's id was made from (`origin`: "url", "content:<sha256 of page 1's
# text>", "given" by the page's metadata; NULL when stored before it was recorded), the digest of
# its text (`content`), so the same transcript under another name is found, and the files it was
# read from (`paths`, a JSON list), to name them.
_V6 = [
    "ALTER TABLE briefings ADD COLUMN origin TEXT",
    "ALTER TABLE briefings ADD COLUMN content TEXT",
    "ALTER TABLE briefings ADD COLUMN paths TEXT",
    "CREATE INDEX briefings_content ON briefings(content)",
    "UPDATE briefings SET origin = 'url' WHERE url IS NOT NULL",
    _digest_stored,
]

# Version 7: the Chinese index (see text.han_grams and README's "Searching
# Chinese"). unicode61 keeps a run of Han characters as one token, so neither
# index above finds a word inside a Chinese sentence. turns_han holds, per turn
# with Han characters, the folded characters one by one (`uni`, for a
# one-character query) and their overlapping pairs (`bi`, a longer query being
# the phrase of its pairs): stock FTS5 and unicode61, which the sqlite3 shell
# and Datasette read as they are. Its text is derived in Python (folding
# needs zhconv's table), so it keeps its own content and is written by save();
# a trigger deletes a turn's row with the turn, whoever deletes it.
HAN_INDEX = "turns_han"
_V7 = [
    f"""CREATE VIRTUAL TABLE {HAN_INDEX} USING fts5(uni, bi, tokenize='unicode61')""",
    f"""CREATE TRIGGER {HAN_INDEX}_ad AFTER DELETE ON turns BEGIN
        DELETE FROM {HAN_INDEX} WHERE rowid = old.pk;
    END""",
    f"""CREATE TRIGGER {HAN_INDEX}_au AFTER UPDATE OF text ON turns BEGIN
        DELETE FROM {HAN_INDEX} WHERE rowid = old.pk;
    END""",
]

# Version 8: bilingual pairs (see pairing.py and align.py). A briefing's own
# link to its other-language version; each pair, stored from both sides; and
# each turn's links to the turns of the other version it translates, one row
# per linked turn, from both sides, keyed by seq (turn pks change when a
# briefing is written again).
_V8 = [
    "ALTER TABLE briefings ADD COLUMN counterpart_url TEXT",
    """CREATE TABLE counterparts (
        briefing_pk INTEGER PRIMARY KEY REFERENCES briefings(pk),
        other_pk INTEGER NOT NULL REFERENCES briefings(pk),
        rule TEXT NOT NULL
    )""",
    "CREATE INDEX counterparts_other ON counterparts(other_pk)",
    """CREATE TABLE turn_links (
        pk INTEGER PRIMARY KEY,
        briefing_pk INTEGER NOT NULL REFERENCES briefings(pk),
        seq INTEGER NOT NULL,
        other_pk INTEGER NOT NULL REFERENCES briefings(pk),
        other_seq INTEGER NOT NULL,
        score REAL NOT NULL
    )""",
    "CREATE INDEX turn_links_turn ON turn_links(briefing_pk, seq)",
    "CREATE INDEX turn_links_other ON turn_links(other_pk)",
    "CREATE INDEX briefings_url ON briefings(url)",
    "CREATE INDEX briefings_counterpart_url ON briefings(counterpart_url)",
]

# Version 9: staying current (see update.py and watch.py). Saved searches, each with
# the query and filters as typed; the turns each has shown, as (briefing id, digest of
# the text compared loosely), so a turn renumbered by a correction is not shown again
# and one whose words changed is; and per source, the day its last whole update ran to.
_V9 = [
    """CREATE TABLE watches (
        pk INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        query TEXT NOT NULL,
        filters TEXT NOT NULL DEFAULT '{}',
        created TEXT NOT NULL,
        last_run TEXT
    )""",
    """CREATE TABLE watch_seen (
        watch_pk INTEGER NOT NULL REFERENCES watches(pk),
        briefing_id TEXT NOT NULL,
        digest TEXT NOT NULL,
        PRIMARY KEY (watch_pk, briefing_id, digest)
    )""",
    """CREATE TABLE updates (
        source TEXT PRIMARY KEY,
        last_day TEXT NOT NULL,
        at TEXT NOT NULL
    )""",
]

# Each entry takes the archive from version i to i + 1: SQL statements, or a function of the
# connection for what SQL alone cannot compute (FILLS, below, adds what Python derives).
MIGRATIONS: list[list] = [_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8, _V9]


# How stored text is decoded: strictly, as the driver does, but a value that is not
# UTF-8 (a damaged page of the file, bytes written by another program) raises
# UnicodeDecodeError, which readers tell from a damaged file (sqlite3.DatabaseError)
# and report as the briefing's damage; never replaced in silence, as a quote must
# not change. As fast as the driver's own decoding: no Python frame per value.
decode_text = functools.partial(str, encoding="utf-8")


class Reader:
    """What reading commands need of a connection: execute and table names.

    Searches are started as processes many times a day; importing sqlite-utils
    costs them a fifth of their start-up and reading uses none of it. A reader
    also opens, when asked, more read-only connections to the same file, for
    a query split across cores (see query._best).
    """

    def __init__(self, conn: sqlite3.Connection, uri: str | None = None):
        self.conn = conn
        self._uri = uri
        self._siblings: dict[int, sqlite3.Connection] = {}

    def execute(self, sql: str, params=()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def table_names(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]

    def sibling(self, i: int) -> sqlite3.Connection | None:
        """Read-only connection i to the same file, opened once; None if there is no file to open.

        Threads ask for different i, each opening its own in parallel; each
        connection is used by one thread at a time, so it may be handed between
        threads.
        """
        if self._uri is None:
            return None
        conn = self._siblings.get(i)
        if conn is None:
            conn = sqlite3.connect(
                self._uri, uri=True, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.text_factory = decode_text
            conn.execute("PRAGMA busy_timeout = 30000")
            self._siblings[i] = conn
        return conn

    def close(self) -> None:
        for conn in self._siblings.values():
            conn.close()
        self._siblings.clear()
        self.conn.close()


class _OlderSchema(Exception):
    def __init__(self, version: int):
        super().__init__(version)
        self.version = version


class ArchiveError(Exception):
    """Anything wrong with the archive file itself, worded for the user.

    `reason` is the message without what it meant for the write under way
    ("; nothing was changed"), for a caller that can say that better."""

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.reason = reason or message


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


class Archive:
    """An open archive. Read-only opens never create a file, and change one only
    to migrate an archive left by an older briefings, as any open does. Nothing
    is changed in a file before it is known to be a briefings archive."""

    def __init__(self, path: str | Path, *, write: bool = False):
        self.path = Path(path)
        self.write = write
        try:
            self._open()
        except _OlderSchema as older:
            # Reading an older archive: migrate it in place with a writing open, then read.
            try:
                Archive(self.path, write=True).close()
            except ArchiveError as exc:
                raise ArchiveError(
                    f"{self.path} has schema version {older.version} and must be migrated to version "
                    f"{SCHEMA_VERSION} before it can be read, which failed: {exc}"
                ) from None
            self._open()

    def _open(self) -> None:
        write = self.write
        if not write and not self.path.exists():
            raise ArchiveError(f"no archive at {self.path}; build one with `briefings ingest PATH`")
        if _not_sqlite(self.path):
            raise ArchiveError(f"{self.path} is not a briefings archive (not a SQLite database)")
        if write:
            parent = self.path.parent
            if not parent.exists():
                try:
                    parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise ArchiveError(f"cannot create {parent}: {exc.strerror}") from exc
            if not os.path.lexists(self.path):
                self._create()
        try:
            if write:
                conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
            else:
                uri = self.path.resolve().as_uri() + "?mode=ro"
                if _read_only_folder(self.path):
                    uri += "&immutable=1"
                conn = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
            conn.text_factory = decode_text
            conn.execute("PRAGMA busy_timeout = 30000")
            if write:
                import sqlite_utils

                self.db = sqlite_utils.Database(conn)
            else:
                self.db = Reader(conn, uri)
            self._check_and_migrate()
        except sqlite3.DatabaseError as exc:
            raise _error(exc, self.path) from exc
        except (_OlderSchema, ArchiveError):
            self.db.conn.close()
            raise

    def _create(self) -> None:
        """Build a new archive under a hidden name beside it, then give it its name.

        A process killed while the schema is written leaves at most that hidden
        file, never a file with no tables under the archive's name. The name is
        given by a hard link, which never replaces: when two ingests start at
        once, the one that loses uses the other's archive."""
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{os.urandom(4).hex()}.new")
        try:
            conn = sqlite3.connect(str(tmp), isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("BEGIN IMMEDIATE")
                _build(conn, 0)
                conn.execute("COMMIT")
            finally:
                conn.close()
            try:
                os.link(tmp, self.path)
            except FileExistsError:
                pass
            except OSError:  # a file system without hard links
                if not os.path.lexists(self.path):
                    os.replace(tmp, self.path)
        except sqlite3.DatabaseError as exc:
            raise _error(exc, self.path) from exc
        except OSError as exc:
            raise ArchiveError(f"cannot create archive {self.path}: {exc.strerror or exc}") from exc
        finally:
            for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
                with contextlib.suppress(OSError):
                    leftover.unlink()

    def close(self) -> None:
        (self.db if isinstance(self.db, Reader) else self.db.conn).close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- schema -------------------------------------------------------------

    def version(self) -> int:
        """The schema version the archive records; 0 for a file with no tables yet."""
        tables = self.db.table_names()
        return self._ours(tables) if tables else 0

    def _ours(self, tables: list[str]) -> int:
        """The schema version of a file that holds tables, once its meta table says it
        is a briefings archive. Raises ArchiveError for any other file."""
        foreign = ArchiveError(f"{self.path} is a SQLite database but not a briefings archive")
        if "meta" not in tables:
            raise foreign
        try:
            meta = dict(
                self.db.execute(
                    "SELECT key, value FROM meta WHERE key IN ('application', 'schema_version')"
                ).fetchall()
            )
        except sqlite3.OperationalError:  # a meta table of another shape
            raise foreign from None
        if meta.get("application") != APPLICATION:
            raise foreign
        value = meta.get("schema_version")
        if not (isinstance(value, str) and value.isascii() and value.isdigit()):
            what = (
                "it records no schema version"
                if value is None
                else f"its schema version is {value!r}, not a whole number"
            )
            raise ArchiveError(
                f"{self.path} is damaged: {what}; restore it from a backup "
                "(`briefings ingest backup.jsonl --db NEW.db`) or rebuild it from the raw pages"
            )
        return int(value)

    def _check_and_migrate(self) -> None:
        tables = self.db.table_names()
        if not tables and not self.write:
            raise ArchiveError(
                f"{self.path} is an empty archive, not built yet; build it with "
                f"`briefings ingest PATH --db {self.path}`"
            )
        current = self._ours(tables) if tables else 0
        if current > SCHEMA_VERSION:
            raise ArchiveError(
                f"{self.path} has schema version {current}, newer than this briefings "
                f"(version {SCHEMA_VERSION}); upgrade briefings to open it"
            )
        if current == SCHEMA_VERSION:
            if self.write:
                self.db.execute("PRAGMA journal_mode = WAL")
                # In WAL mode NORMAL syncs at checkpoints, not at every commit: a killed
                # process still loses nothing committed, and only a power cut can undo
                # the last briefings written, never corrupt the file. Ingest is twice as fast.
                self.db.execute("PRAGMA synchronous = NORMAL")
            return
        if not self.write:
            raise _OlderSchema(current)
        self.db.execute("PRAGMA journal_mode = WAL")
        with self.transaction() as conn:
            if self.version() != current:
                return  # another process migrated it while we waited for the lock
            _build(conn, current)

    # -- writing ------------------------------------------------------------

    def save(
        self,
        b: Briefing,
        paths: tuple[str, ...] = (),
        history: tuple[dict, ...] = (),
        *,
        kept: str | None = None,
    ) -> Saved:
        """Write one briefing atomically: 'added', 'updated', 'repaired' or 'unchanged' (a
        `Saved`, which also says under which id, and why not under its own).

        `paths` are the raw files it came from: an earlier rejection of them is
        cleared. A briefing stored from the same pages is left alone unless its
        stored rows no longer match its record (turns lost or renumbered, a
        damaged JSON column, text that is not UTF-8): then it is written again, 'repaired'. `history`
        is change records (as in the `changes` table) to keep with it, from a
        backup; those already held are not added twice. Control characters are
        never stored.

        A briefing parsed from pages (its `origin` known) is checked first:
        - a stored briefing with its id that is another transcript (`_different`)
          is left as it is, and this one is stored under its own id, made from its
          page 1's text: the conflict is returned;
        - the same text stored under another id, or (an id made from text) from
          other files that are still there, raises Duplicate: it is stored once;
        - `kept`: the file this run already stored this id from, never replaced.
        A briefing from a backup restores what it holds.
        """
        b = _without_controls(b)
        content = transcript_digest(t.text for t in b.turns)
        where = [os.path.abspath(p) for p in paths]
        conflict = None
        with self.transaction() as conn:
            row = _stored_row(conn, b.id)
            if b.origin is not None:
                if row is not None and (why := _different(conn, row, b, content)):
                    first = b.id
                    b, row = _own_id(conn, b, content)
                    conflict = Conflict(first, why, b.id)
                if row is None:
                    others = (
                        conn.execute(
                            "SELECT id, paths, url, pages, origin FROM briefings WHERE content = ? "
                            "ORDER BY pk",
                            (content,),
                        ).fetchall()
                        if content
                        else []
                    )
                    by_text = (b.origin or "").startswith("content:")
                    mine = next(
                        (
                            o
                            for o in others
                            if by_text and (o[4] or "").startswith("content:") and _same_files(o[1], where)
                        ),
                        None,
                    )
                    if mine is not None:
                        # These files, read again (under another family, or by a parser that reads page 1
                        # otherwise) to the same text: the briefing they are, under the id it has.
                        b = replace(b, id=mine[0])
                        row = _stored_row(conn, b.id)
                    elif others:
                        other = others[0]
                        hint = (
                            (
                                f"; it has no URL and this page has: to keep this one, `briefings remove {other[0]}` "
                                "and ingest again"
                            )
                            if b.url and not other[2]
                            else ""
                        )
                        raise Duplicate(other[0], _first_source(other[1], other[2], other[3]), "stored", hint)
                if row is not None:
                    if row["content"] == content and kept is not None:
                        raise Duplicate(b.id, kept, "run")
                    if (
                        row["content"] == content
                        and (row["origin"] or "").startswith("content:")
                        and (elsewhere := _other_files(row["paths"], where))
                    ):
                        raise Duplicate(b.id, elsewhere, "stored")
                    if kept is not None:
                        raise Rejected(f"same briefing id {b.id} as {kept}; kept that one")
            origin = b.origin or (row["origin"] if row else None) or ("url" if b.url else None)
            if row and row["fingerprint"] == b.fingerprint:
                if _whole(conn, row["pk"], b):
                    _add_history(conn, row["pk"], history)
                    conn.executemany("DELETE FROM rejects WHERE path = ?", [(p,) for p in paths])
                    conn.execute(
                        "UPDATE briefings SET content = ?, origin = ?, paths = coalesce(?, paths) "
                        "WHERE pk = ? AND (content IS NOT ? OR origin IS NOT ? OR paths IS NOT ?)",
                        (content, origin, _paths(where), row["pk"], content, origin, _paths(where)),
                    )
                    return Saved("unchanged", b.id, conflict)
                outcome = "repaired"  # the same pages: what changed is the damage, not the transcript
            elif row:
                _refuse_shrinking(b, _json_list(row["pages"]), _json_list(row["missing_pages"]))
                outcome = "updated"
            else:
                outcome = "added"
            values = {
                "id": b.id,
                "source": b.source,
                "url": b.url,
                "title": b.title,
                "date": b.date,
                "published": b.published,
                "language": b.language,
                "pages": json.dumps(list(b.pages), ensure_ascii=False),
                "missing_pages": json.dumps(list(b.missing_pages)),
                "turn_count": len(b.turns),
                "fingerprint": b.fingerprint,
                "ingested_at": _now(),
                "origin": origin,
                "content": content,
                "counterpart_url": b.counterpart_url,
            }
            if where or not row:
                values["paths"] = _paths(where)
            if row:
                pk = row["pk"]
                if outcome == "updated":
                    self._record_changes(conn, pk, b, values["ingested_at"])
                conn.execute("DELETE FROM turns WHERE briefing_pk = ?", (pk,))
                conn.execute("DELETE FROM participants WHERE briefing_pk = ?", (pk,))
                _unlink(conn, pk)  # links to the old turns: `link` makes them again
                sets = ", ".join(f"{k} = :{k}" for k in values)
                conn.execute(f"UPDATE briefings SET {sets} WHERE pk = :pk", {**values, "pk": pk})
            else:
                cols = ", ".join(values)
                params = ", ".join(f":{k}" for k in values)
                pk = conn.execute(f"INSERT INTO briefings ({cols}) VALUES ({params})", values).lastrowid
            conn.executemany(
                "INSERT INTO participants (briefing_pk, position, name, role, kind, label) VALUES (?, ?, ?, ?, ?, ?)",
                [(pk, i, p.name, p.role, p.kind, p.label) for i, p in enumerate(b.participants, 1)],
            )
            conn.executemany(
                "INSERT INTO turns (briefing_pk, seq, label, speaker, role, kind, outlet, answers, also_asked, page, text)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        pk,
                        t.seq,
                        t.label,
                        t.speaker,
                        t.role,
                        t.kind,
                        t.outlet,
                        t.answers,
                        json.dumps(list(t.also_asked), ensure_ascii=False),
                        t.page,
                        t.text,
                    )
                    for t in b.turns
                ],
            )
            _index_han(conn, "SELECT pk, text FROM turns WHERE briefing_pk = ?", (pk,))
            _add_history(conn, pk, history)
            conn.executemany("DELETE FROM rejects WHERE path = ?", [(p,) for p in paths])
        return Saved(outcome, b.id, conflict)

    def removal(self, ids: list[str]) -> list[dict]:
        """What removing these briefings would delete: each one's id, date, title, turns and
        change records, in the order given. Raises UnknownIds naming those not stored."""
        found, unknown = [], []
        for bid in dict.fromkeys(ids):
            row = self.db.execute(
                "SELECT b.id, b.date, b.title, b.turn_count, (SELECT count(*) FROM changes c WHERE c.briefing_pk = b.pk) "
                "FROM briefings b WHERE b.id = ?",
                (bid,),
            ).fetchone()
            if row is None:
                unknown.append(bid)
            else:
                found.append(dict(zip(("id", "date", "title", "turns", "changes"), row)))
        if unknown:
            raise UnknownIds(unknown)
        return found

    def remove(self, ids: list[str]) -> list[dict]:
        """Delete these briefings whole (turns, their search index rows, participants, change
        records) in one transaction; all or none: an id not stored deletes nothing."""
        with self.transaction():
            gone = self.removal(ids)
            conn = self.db.conn
            for b in gone:
                (pk,) = conn.execute("SELECT pk FROM briefings WHERE id = ?", (b["id"],)).fetchone()
                for table in (
                    "turns",
                    "participants",
                    "changes",
                ):  # the triggers keep the FTS indexes in step
                    conn.execute(f"DELETE FROM {table} WHERE briefing_pk = ?", (pk,))
                conn.execute("DELETE FROM briefings WHERE pk = ?", (pk,))
        return gone

    def _record_changes(self, conn, pk: int, b: Briefing, at: str) -> None:
        from .changes import diff

        title, date, published, missing = conn.execute(
            "SELECT title, date, published, missing_pages FROM briefings WHERE pk = ?", (pk,)
        ).fetchone()
        old_meta = {
            "title": title,
            "date": date,
            "published": published,
            "missing_pages": _json_list(missing) or [],
        }
        old_turns = [
            {"seq": s, "speaker": sp, "kind": k, "text": t}
            for s, sp, k, t in conn.execute(
                "SELECT seq, speaker, kind, text FROM turns WHERE briefing_pk = ? ORDER BY seq", (pk,)
            )
        ]
        new_meta = {
            "title": b.title,
            "date": b.date,
            "published": b.published,
            "missing_pages": list(b.missing_pages),
        }
        new_turns = [{"seq": t.seq, "speaker": t.speaker, "kind": t.kind, "text": t.text} for t in b.turns]
        conn.executemany(
            "INSERT INTO changes (briefing_pk, at, seq, change, field, old, new) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (pk, at, r["seq"], r["change"], r["field"], r["old"], r["new"])
                for r in diff(old_meta, old_turns, new_meta, new_turns)
            ],
        )

    def link(self, briefing_id: str) -> str | None:
        """Pair a stored briefing with its other-language version, if stored, and
        write their turn links afresh; the counterpart's id, or None.

        Called after each briefing is stored, so whichever version comes first,
        the second links both; a pair found again is aligned again, since
        either side may have changed."""
        from . import align, pairing

        with self.transaction() as conn:
            row = conn.execute("SELECT pk FROM briefings WHERE id = ?", (briefing_id,)).fetchone()
            if row is None:
                return None
            pk = row[0]
            found = pairing.find(conn, pk)
            _unlink(conn, pk)
            if found is None:
                return None
            other, rule = found
            _unlink(conn, other)
            conn.executemany(
                "INSERT INTO counterparts (briefing_pk, other_pk, rule) VALUES (?, ?, ?)",
                [(pk, other, rule), (other, pk, rule)],
            )
            mine, theirs = (_turns_for_align(conn, x) for x in (pk, other))
            links = align.align(mine[1], mine[0], theirs[1], theirs[0])
            _write_links(conn, pk, other, [(link.a, link.b, link.score) for link in links])
            return conn.execute("SELECT id FROM briefings WHERE pk = ?", (other,)).fetchone()[0]

    def restore_links(self, briefing_id: str, other_id: str, links: list[tuple[tuple, tuple, float]]) -> bool:
        """Write a pair and its links as a backup recorded them; False if either briefing is absent."""
        with self.transaction() as conn:
            pks = [
                conn.execute("SELECT pk FROM briefings WHERE id = ?", (i,)).fetchone()
                for i in (briefing_id, other_id)
            ]
            if None in pks:
                return False
            pk, other = pks[0][0], pks[1][0]
            rule = (
                conn.execute(
                    "SELECT rule FROM counterparts WHERE briefing_pk = ? AND other_pk = ?", (pk, other)
                ).fetchone()
                or ("restored",)
            )[0]
            _unlink(conn, pk)
            _unlink(conn, other)
            conn.executemany(
                "INSERT INTO counterparts (briefing_pk, other_pk, rule) VALUES (?, ?, ?)",
                [(pk, other, rule), (other, pk, rule)],
            )
            _write_links(conn, pk, other, links)
            return True

    def has_counterpart(self, briefing_id: str) -> bool:
        return (
            self.db.conn.execute(
                "SELECT 1 FROM counterparts c JOIN briefings b ON b.pk = c.briefing_pk WHERE b.id = ?",
                (briefing_id,),
            ).fetchone()
            is not None
        )

    def record_reject(self, path: str, reason: str, at: str | None = None) -> None:
        """Note that a page was rejected and why (`at`: when, if not now, as from a backup)."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO rejects (path, reason, at) VALUES (?, ?, ?) "
                "ON CONFLICT(path) DO UPDATE SET reason = excluded.reason, at = excluded.at "
                "WHERE reason != excluded.reason",  # the same page rejected again changes nothing
                (path, strip_controls(reason), at or _now()),
            )

    def repair(self) -> list[str]:
        """Mend in one transaction what can be mended in place; return what was done.

        Tables, indexes and triggers the schema declares but the file lacks (or
        holds in another form) are made again; rows whose briefing is gone are
        deleted; control characters are stripped from stored text; and every
        full-text index is rebuilt from the turns. Turns lost from a briefing
        cannot be made here: re-ingesting its pages rewrites it (see `save`).
        """
        done: list[str] = []
        fts = fts_indexes()
        shadows = {f"{f.name}_{part}" for f in fts for part in FTS_SHADOWS}
        with self.transaction() as conn:
            have = {(t, n): sql for t, n, sql in conn.execute("SELECT type, name, sql FROM sqlite_master")}
            for kind, name, _table, sql in expected_schema():
                if sql is None or name in shadows:
                    continue  # made by SQLite itself: UNIQUE indexes, FTS5's own tables
                if (kind, name) not in have:
                    conn.execute(sql)
                    done.append(f"made the missing {kind} {name} again")
                elif kind in ("index", "trigger") and same_sql(have[(kind, name)]) != same_sql(sql):
                    conn.execute(f'DROP {kind.upper()} "{name}"')
                    conn.execute(sql)
                    done.append(f"made the {kind} {name} again, as the schema declares it")
            for table in ("turns", "participants", "changes", "counterparts", "turn_links"):
                other = (
                    " OR other_pk NOT IN (SELECT pk FROM briefings)"
                    if table in ("counterparts", "turn_links")
                    else ""
                )
                n = conn.execute(
                    f"DELETE FROM {table} WHERE briefing_pk NOT IN (SELECT pk FROM briefings){other}"
                ).rowcount
                if n:
                    done.append(f"deleted {n} {table} row{'s' if n != 1 else ''} whose briefing is gone")
            conn.create_function("has_controls", 1, has_controls, deterministic=True)
            conn.create_function(
                "strip_controls", 1, lambda v: v if v is None else strip_controls(v), deterministic=True
            )
            for table, columns in TEXT_COLUMNS.items():
                sets = ", ".join(f"{c} = strip_controls({c})" for c in columns)
                where = " OR ".join(f"has_controls({c})" for c in columns)
                n = conn.execute(f"UPDATE {table} SET {sets} WHERE {where}").rowcount
                if n:
                    done.append(f"stripped control characters from {n} {table} row{'s' if n != 1 else ''}")
            for f in fts:
                if f.name == HAN_INDEX:
                    conn.execute(f"DELETE FROM {HAN_INDEX}")
                    _index_han(conn)
                else:
                    conn.execute(f"INSERT INTO {f.name} ({f.name}) VALUES ('rebuild')")
                done.append(f"rebuilt the search index {f.name} from the turns")
        return done

    @contextlib.contextmanager
    def transaction(self):
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error; SQLite errors reworded."""
        conn = self.db.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise _error(exc, self.path) from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.DatabaseError):
                raise _error(exc, self.path) from exc
            raise


@dataclass(frozen=True)
class Conflict:
    """A stored briefing that holds a parsed one's id but is another transcript."""

    id: str  # the id both have
    reason: str
    stored_as: str  # the newcomer's own id, made from its text


class Saved(str):
    """What `save` did ('added', 'updated', 'repaired', 'unchanged'), under which id, and
    the conflict that kept it from its own id, if one did."""

    id: str
    conflict: Conflict | None

    def __new__(cls, outcome: str, id: str, conflict: Conflict | None = None):
        saved = super().__new__(cls, outcome)
        saved.id, saved.conflict = id, conflict
        return saved

    @property
    def outcome(self) -> str:
        return str(self)


class Duplicate(Exception):
    """A transcript the archive (or this run) holds already, from other files."""

    def __init__(self, of: str, first: str, where: str, hint: str = ""):
        self.of, self.first = of, first
        what = "already read in this run" if where == "run" else "already stored"
        super().__init__(f"the same transcript as briefing {of}, {what} from {first}; not stored again{hint}")
        self.reason = str(self)


class UnknownIds(ArchiveError):
    def __init__(self, ids: list[str]):
        self.ids = ids
        noun = "briefing" if len(ids) == 1 else "briefings"
        super().__init__(
            f"no {noun} {', '.join(ids)} in the archive; nothing was removed (see `briefings list`)"
        )


_ROW = ("pk", "fingerprint", "pages", "missing_pages", "origin", "content", "url", "title", "date", "paths")


def _stored_row(conn: sqlite3.Connection, bid: str) -> dict | None:
    try:
        row = conn.execute(f"SELECT {', '.join(_ROW)} FROM briefings WHERE id = ?", (bid,)).fetchone()
    except UnicodeDecodeError:
        # Stored text that is not UTF-8 (damage `check` names): read it with the bad bytes marked,
        # so the rewrite that mends it can compare what is there.
        columns = ", ".join(
            f"CASE WHEN typeof({c}) = 'text' THEN CAST({c} AS BLOB) ELSE {c} END" for c in _ROW
        )
        raw = conn.execute(f"SELECT {columns} FROM briefings WHERE id = ?", (bid,)).fetchone()
        row = tuple(v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in raw) if raw else None
    return dict(zip(_ROW, row)) if row else None


def _paths(where: list[str]) -> str | None:
    return json.dumps(where, ensure_ascii=False) if where else None


def _first_source(paths: str | None, url: str | None, pages: str | None) -> str:
    """Where a stored briefing was read from, to name it: its first file, else its URL."""
    for value in (_json_list(paths), [url] if url else None, _json_list(pages)):
        if value and isinstance(value[0], str):
            return value[0]
    return "an earlier ingest"


def _same_files(stored: str | None, where: list[str]) -> bool:
    mine = {os.path.realpath(p) for p in where}
    return (
        bool(mine) and {os.path.realpath(p) for p in _json_list(stored) or [] if isinstance(p, str)} == mine
    )


def _other_files(stored: str | None, where: list[str]) -> str | None:
    """A stored briefing's first file if it is still there and is none of these files
    (when every one is gone, the raw store was moved: the same pages, not a copy)."""
    mine = {os.path.realpath(p) for p in where}
    files = [p for p in _json_list(stored) or [] if isinstance(p, str)]
    if not where or any(os.path.realpath(p) in mine for p in files):
        return None
    return next((p for p in files if os.path.isfile(p)), None)


def _paragraphs(texts) -> set[str]:
    return {loose(p) for t in texts for p in t.split("\n\n")} - {""}


def _different(conn: sqlite3.Connection, row: dict, b: Briefing, content: str | None) -> str | None:
    """Why the stored briefing `row`, which has b's id, is another transcript, if it is.

    The same text, or an id named by the pages' metadata, is the same briefing. Else what
    the ids were made from decides: a URL against a page's text, or two texts (ids alike by
    chance), are two transcripts; so is a stored briefing from before origins were recorded
    and read without a URL (its id came from a file name). Two URLs that give one id name one
    document, by the site's own numbering: the site corrected it, unless the two share less
    than half the paragraphs of the shorter and differ in title or day too (a page giving
    some other page's URL as its own).
    """
    s_origin, n_origin = row["origin"], b.origin
    if row["content"] == content or "given" in (s_origin, n_origin):
        return None
    stored = f"stored {b.id}"
    if s_origin is None:
        return (
            f"{stored} was read from {_first_source(row['paths'], None, row['pages'])} with no URL, "
            "before briefings recorded what ids are made from, and has another text"
        )
    s_kind, n_kind = s_origin.split(":")[0], n_origin.split(":")[0]
    if s_kind != n_kind:
        if s_kind == "url":
            return f"{stored} is the page at {row['url']}; this page has no URL, and another text"
        return f"{stored} has no URL (its id is made from its text); this page is {b.url}, with another text"
    if n_kind == "content":
        return None if s_origin == n_origin else f"{stored} is another text whose digest begins alike"
    old = _paragraphs(
        r[0] for r in conn.execute("SELECT text FROM turns WHERE briefing_pk = ?", (row["pk"],))
    )
    new = _paragraphs(t.text for t in b.turns)
    shared = len(old & new) / max(min(len(old), len(new)), 1)  # a part of it (one page) shares all it has
    if shared >= 0.5 or (
        row["title"] == b.title and (not row["date"] or not b.date or row["date"] == b.date)
    ):
        return None
    this = "this page gives the same URL" if row["url"] == b.url else f"this page, from {b.url},"
    return (
        f'{stored} is "{row["title"]}" ({row["date"] or "no date"}), from {row["url"]}; {this} but is '
        f'"{b.title}" ({b.date or "no date"}), and they share {shared:.0%} of their paragraphs'
    )


def _own_id(conn: sqlite3.Connection, b: Briefing, content: str | None) -> tuple[Briefing, dict | None]:
    """b under an id of its own, made from its page 1's text, that no other transcript holds."""
    digest = b.text_digest or content or hashlib.sha256(b.id.encode()).hexdigest()
    for k in (12, 16, 24, 32, 64):
        candidate = f"{b.source}-{digest[:k]}"
        if candidate == b.id:
            continue
        other = replace(b, id=candidate)
        row = _stored_row(conn, candidate)
        if row is None or not _different(conn, row, other, content):
            return other, row
    raise ArchiveError(f"no id of its own is free for the transcript of {b.id}")


def _build(conn: sqlite3.Connection, current: int) -> None:
    """Take the archive from schema version `current` to this one (inside a transaction)."""
    for version, step in enumerate(MIGRATIONS[current:], current + 1):
        for statement in step:
            if callable(statement):
                statement(conn)
            else:
                conn.execute(statement)
        if version in FILLS:
            FILLS[version](conn)
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
    )
    conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('application', ?)", (APPLICATION,))


def _index_han(
    conn: sqlite3.Connection, sql: str = "SELECT pk, text FROM turns", params=(), progress=None
) -> int:
    """Write the Chinese index's rows for the turns `sql` selects that hold Han characters."""
    n = 0
    rows = conn.execute(sql, params)
    while batch := rows.fetchmany(2000):
        conn.executemany(
            f"INSERT INTO {HAN_INDEX} (rowid, uni, bi) VALUES (?, ?, ?)",
            [(pk, *han_grams(text)) for pk, text in batch if has_han(text)],
        )
        n += len(batch)
        if progress:
            progress(len(batch))
    return n


def _fill_han(conn: sqlite3.Connection) -> None:
    """Index the turns already stored, with a progress bar when stderr is a terminal."""
    total = conn.execute("SELECT count(*) FROM turns").fetchone()[0]
    if not total:
        return
    import sys

    if not sys.stderr.isatty():
        _index_han(conn)
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("indexing Chinese text", total=total)
        _index_han(conn, progress=lambda n: bar.advance(task, n))


# Python steps of a migration, by the version they complete: run after its SQL, in its transaction.
FILLS = {7: _fill_han}


# Stored text a page or backup supplies, by table: never holds control characters.
TEXT_COLUMNS = {
    "briefings": ("title",),
    "participants": ("name", "role", "label"),
    "turns": ("label", "speaker", "role", "outlet", "text"),
}


def _unlink(conn: sqlite3.Connection, pk: int) -> None:
    """Forget a briefing's pair and every turn link to or from it."""
    others = [r[0] for r in conn.execute("SELECT other_pk FROM counterparts WHERE briefing_pk = ?", (pk,))]
    for x in (pk, *others):
        conn.execute("DELETE FROM turn_links WHERE briefing_pk = ? OR other_pk = ?", (x, x))
        conn.execute("DELETE FROM counterparts WHERE briefing_pk = ? OR other_pk = ?", (x, x))


def _turns_for_align(conn: sqlite3.Connection, pk: int) -> tuple[str, list[dict]]:
    language = conn.execute("SELECT language FROM briefings WHERE pk = ?", (pk,)).fetchone()[0]
    turns = [
        {"seq": s, "kind": k, "speaker": sp, "outlet": o, "text": t}
        for s, k, sp, o, t in conn.execute(
            "SELECT seq, kind, speaker, outlet, text FROM turns WHERE briefing_pk = ? ORDER BY seq", (pk,)
        )
    ]
    return language, turns


def _write_links(conn: sqlite3.Connection, pk: int, other: int, links) -> None:
    """Each link (seqs here, seqs there, score) as one row per linked turn, from both sides."""
    rows = []
    for a, b, score in links:
        rows += [(pk, s, other, o, score) for s in a for o in b]
        rows += [(other, o, pk, s, score) for s in a for o in b]
    conn.executemany(
        "INSERT INTO turn_links (briefing_pk, seq, other_pk, other_seq, score) VALUES (?, ?, ?, ?, ?)", rows
    )


def _without_controls(b: Briefing) -> Briefing:
    def clean(record, *fields):
        changed = {
            f: strip_controls(v)
            for f in fields
            if isinstance(v := getattr(record, f), str) and strip_controls(v) is not v
        }
        return replace(record, **changed) if changed else record  # nearly always unchanged

    return replace(
        clean(b, "title"),
        participants=tuple(clean(p, "name", "role", "label") for p in b.participants),
        turns=tuple(clean(t, "label", "speaker", "role", "outlet", "text") for t in b.turns),
    )


def _whole(conn: sqlite3.Connection, pk: int, b: Briefing) -> bool:
    """Do the stored rows of briefing pk still hold all of b? Cheap: counts, numbering and
    JSON, from the indexes; what only the search index could tell is `check`'s to find."""
    n, lo, hi = conn.execute(
        "SELECT count(*), min(seq), max(seq) FROM turns WHERE briefing_pk = ?", (pk,)
    ).fetchone()
    if n != len(b.turns) or (n and (lo != 1 or hi != n)):
        return False
    said, pages_ok, missing_ok = conn.execute(
        "SELECT turn_count, json_valid(pages), json_valid(missing_pages) FROM briefings WHERE pk = ?", (pk,)
    ).fetchone()
    if said != n or not (pages_ok and missing_ok):
        return False
    if conn.execute("SELECT count(*) FROM participants WHERE briefing_pk = ?", (pk,)).fetchone()[0] != len(
        b.participants
    ):
        return False
    bad = conn.execute(
        "SELECT count(*) FROM turns WHERE briefing_pk = ? AND (NOT json_valid(also_asked) OR (answers IS NOT NULL "
        "AND answers NOT IN (SELECT seq FROM turns WHERE briefing_pk = ?)))",
        (pk, pk),
    ).fetchone()[0]
    return bad == 0 and _decodes(conn, pk)


def _decodes(conn: sqlite3.Connection, pk: int) -> bool:
    """Is every stored text of briefing pk UTF-8? Reading it through decode_text tells."""
    try:
        for table, columns in TEXT_COLUMNS.items():
            where = "pk" if table == "briefings" else "briefing_pk"
            conn.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE {where} = ?", (pk,)).fetchall()
    except UnicodeDecodeError:
        return False
    return True


CHANGE_KEYS = ("at", "seq", "change", "field", "old", "new")  # a change record, as a backup holds it


def _add_history(conn: sqlite3.Connection, pk: int, history: tuple[dict, ...]) -> None:
    for h in history:
        row = tuple(h.get(k) for k in CHANGE_KEYS)
        if not conn.execute(
            "SELECT 1 FROM changes WHERE briefing_pk = ? AND at IS ? AND seq IS ? AND change IS ? "
            "AND field IS ? AND old IS ? AND new IS ?",
            (pk, *row),
        ).fetchone():
            conn.execute(
                "INSERT INTO changes (briefing_pk, at, seq, change, field, old, new) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (pk, *row),
            )


# -- the schema this code expects ------------------------------------------------

FTS_SHADOWS = ("data", "idx", "docsize", "config", "content")


@dataclass(frozen=True)
class FtsIndex:
    name: str
    content: str | None  # the table it indexes (external content), if any
    rowid: str | None  # that table's column the index's rowid is
    docsize: bool  # whether it keeps a row per document (`<name>_docsize`)


@functools.lru_cache(maxsize=1)
def expected_schema() -> tuple[tuple[str, str, str, str | None], ...]:
    """(type, name, table, sql) of every schema object MIGRATIONS make, in the order made.

    Built once, in memory, from the migrations themselves, so that a new version's
    tables, indexes, triggers and FTS indexes are expected without a second list."""
    conn = sqlite3.connect(":memory:")
    try:
        _build(conn, 0)
        return tuple(
            conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid").fetchall()
        )
    finally:
        conn.close()


_FTS_OPTION = r"""\b{}\s*=\s*['"]?(\w+)['"]?"""


@functools.lru_cache(maxsize=1)
def fts_indexes() -> tuple[FtsIndex, ...]:
    """Every FTS5 index the schema declares."""
    out = []
    schema = expected_schema()
    names = {name for _, name, _, _ in schema}
    for kind, name, _table, sql in schema:
        if kind == "table" and sql and re.match(r"CREATE VIRTUAL TABLE \S+ USING fts5\b", sql, re.I):
            content = re.search(_FTS_OPTION.format("content"), sql)
            rowid = re.search(_FTS_OPTION.format("content_rowid"), sql)
            out.append(
                FtsIndex(
                    name,
                    content and content.group(1),
                    rowid.group(1) if rowid else "rowid",
                    f"{name}_docsize" in names,
                )
            )
    return tuple(out)


def same_sql(sql: str | None) -> str:
    """Schema SQL as compared: SQLite keeps it as written, spaces and line breaks included."""
    return " ".join((sql or "").split())


def damaged_briefing(briefing_id: str, exc: Exception) -> ArchiveError:
    """A briefing that cannot be read back: a JSON column of it does not hold JSON, or
    its stored text is not UTF-8 (see decode_text)."""
    if isinstance(exc, UnicodeDecodeError):
        what = f"stored text that is not UTF-8: {_bad_bytes(exc)}"
    else:
        what = f"a JSON column does not hold JSON: {exc}"
    return ArchiveError(
        f"briefing {briefing_id} is damaged in the archive ({what}); "
        "`briefings check` names it, and re-ingesting its pages or backup rewrites it"
    )


def _bad_bytes(exc: UnicodeDecodeError) -> str:
    """The bytes that do not decode, with a little on either side: enough to find them."""
    start, end = max(exc.start - 10, 0), min(exc.end + 10, len(exc.object))
    return f"{bytes(exc.object[start:end])!r} at byte {exc.start}"


def _not_sqlite(path: Path) -> bool:
    """A non-empty file without SQLite's header. SQLite itself would take a very
    short one for an empty database and overwrite it with an archive."""
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError:
        return False  # missing or unreadable: SQLite's own error says which
    return bool(head) and head != b"SQLite format 3\x00"


def _read_only_folder(path: Path) -> bool:
    """An archive on read-only media: SQLite cannot create the -shm file a WAL read
    needs there. With no -wal file beside it nothing is left uncommitted, so the
    file can be read as immutable."""
    return not os.access(path.parent, os.W_OK) and not Path(f"{path}-wal").exists()


def _json_list(text: str | None) -> list | None:
    """A stored JSON list column, or None when it is damaged."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, list) else None


def _refuse_shrinking(b: Briefing, stored_pages: list | None, stored_missing: list | None) -> None:
    """A transcript parsed from fewer pages than are stored never replaces it.

    Ingesting one page of a stored transcript, or a raw store that lost a
    page, would otherwise drop every turn of the other pages. A site that
    re-paginates a transcript shows it in its pager, and that is let through.
    A stored record too damaged to say (its page lists are not JSON) is replaced.
    """
    if stored_pages is None or stored_missing is None:
        return
    lost = sorted(set(b.missing_pages) - set(stored_missing))
    # Fewer pages than stored is a re-paginated transcript only when its own pager says so.
    repaginated = b.pages_declared is not None and b.pages_declared == len(b.pages)
    if (len(b.pages) < len(stored_pages) and not repaginated) or lost:
        detail = (
            f"page(s) {', '.join(map(str, lost))} missing"
            if lost
            else f"{len(b.pages)} of the {len(stored_pages)} pages stored"
        )
        raise Rejected(
            f"{b.id} is stored whole and this copy is not ({detail}); "
            "ingest all of its pages together to update it"
        )


def _error(exc: sqlite3.DatabaseError, path: Path) -> ArchiveError:
    """The error a failed statement is to the user. Whatever failed was inside a
    transaction that is rolled back, so a full disk changed nothing."""
    reason = _explain(exc, path)
    if reason.startswith("no space left"):
        return ArchiveError(f"{reason}; nothing was changed", reason)
    return ArchiveError(reason)


def _explain(exc: sqlite3.DatabaseError, path: Path) -> str:
    msg = str(exc)
    if "malformed" in msg:
        return (
            f"{path} is damaged ({msg}); restore it from a backup "
            "(`briefings ingest backup.jsonl`) or rebuild it from the raw pages"
        )
    if "file is not a database" in msg or "file is encrypted" in msg:
        return f"{path} is not a briefings archive (not a SQLite database)"
    if "readonly" in msg or "read-only" in msg:
        return f"{path} is read-only; cannot write to the archive"
    if "locked" in msg or "busy" in msg:
        return f"{path} is busy: another briefings process is writing; try again when it finishes"
    if "disk is full" in msg or "database or disk is full" in msg:
        return f"no space left to write {path}"
    if "unable to open" in msg:
        reason = "permission denied" if path.exists() and not os.access(path, os.R_OK) else msg
        if path.exists() and reason == msg and not os.access(path.parent, os.W_OK):
            reason = (
                f"its folder {path.parent} is read-only (SQLite keeps -wal and -shm files beside the archive)"
            )
        return f"cannot open archive {path}: {reason}"
    return f"archive error in {path}: {msg}"
