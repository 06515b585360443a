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
import json
import os
import sqlite3
from pathlib import Path

from .models import Briefing, Rejected

SCHEMA_VERSION = 5
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

# Each entry takes the archive from version i to i + 1.
MIGRATIONS: list[list[str]] = [_V1, _V2, _V3, _V4, _V5]


class Reader:
    """What reading commands need of a connection: execute and table names.

    Searches are started as processes many times a day; importing sqlite-utils
    costs them a fifth of their start-up and reading uses none of it.
    """

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def execute(self, sql: str, params=()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def table_names(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


class _OlderSchema(Exception):
    def __init__(self, version: int):
        super().__init__(version)
        self.version = version


class ArchiveError(Exception):
    """Anything wrong with the archive file itself, worded for the user."""


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


class Archive:
    """An open archive. Read-only opens never create a file, and change one only
    to migrate an archive left by an older briefings, as any open does."""

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
        try:
            if write:
                conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
            else:
                uri = self.path.resolve().as_uri() + "?mode=ro"
                if _read_only_folder(self.path):
                    uri += "&immutable=1"
                conn = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 30000")
            if write:
                import sqlite_utils

                self.db = sqlite_utils.Database(conn)
            else:
                self.db = Reader(conn)
            self._check_and_migrate()
        except sqlite3.DatabaseError as exc:
            raise ArchiveError(_explain(exc, self.path)) from exc
        except _OlderSchema:
            self.db.conn.close()
            raise

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- schema -------------------------------------------------------------

    def version(self) -> int:
        if "meta" not in self.db.table_names():
            return 0
        row = self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _check_and_migrate(self) -> None:
        tables = self.db.table_names()
        if tables and "meta" not in tables:
            raise ArchiveError(f"{self.path} is a SQLite database but not a briefings archive")
        current = self.version()
        if current > SCHEMA_VERSION:
            raise ArchiveError(
                f"{self.path} has schema version {current}, newer than this briefings "
                f"(version {SCHEMA_VERSION}); upgrade briefings to open it"
            )
        if current == SCHEMA_VERSION:
            if self.write:
                self.db.execute("PRAGMA journal_mode = WAL")
            return
        if not self.write:
            if current == 0:
                raise ArchiveError(f"{self.path} is not a briefings archive")
            raise _OlderSchema(current)
        self.db.execute("PRAGMA journal_mode = WAL")
        with self.transaction() as conn:
            if self.version() != current:
                return  # another process migrated it while we waited for the lock
            for step in MIGRATIONS[current:]:
                for statement in step:
                    conn.execute(statement)
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('application', ?)", (APPLICATION,)
            )

    # -- writing ------------------------------------------------------------

    def save(self, b: Briefing, paths: tuple[str, ...] = ()) -> str:
        """Write one briefing atomically: 'added', 'updated' or 'unchanged'.

        `paths` are the raw files it came from: an earlier rejection of them is cleared.
        """
        with self.transaction() as conn:
            row = conn.execute("SELECT pk, fingerprint, pages, missing_pages FROM briefings WHERE id = ?",
                               (b.id,)).fetchone()
            if row and row[1] != b.fingerprint:
                _refuse_shrinking(b, json.loads(row[2]), json.loads(row[3]))
            if row and row[1] == b.fingerprint:
                conn.executemany("DELETE FROM rejects WHERE path = ?", [(p,) for p in paths])
                return "unchanged"
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
            }
            if row:
                pk = row[0]
                self._record_changes(conn, pk, b, values["ingested_at"])
                conn.execute("DELETE FROM turns WHERE briefing_pk = ?", (pk,))
                conn.execute("DELETE FROM participants WHERE briefing_pk = ?", (pk,))
                sets = ", ".join(f"{k} = :{k}" for k in values)
                conn.execute(f"UPDATE briefings SET {sets} WHERE pk = :pk", {**values, "pk": pk})
                outcome = "updated"
            else:
                cols = ", ".join(values)
                params = ", ".join(f":{k}" for k in values)
                pk = conn.execute(f"INSERT INTO briefings ({cols}) VALUES ({params})", values).lastrowid
                outcome = "added"
            conn.executemany(
                "INSERT INTO participants (briefing_pk, position, name, role, kind, label) VALUES (?, ?, ?, ?, ?, ?)",
                [(pk, i, p.name, p.role, p.kind, p.label) for i, p in enumerate(b.participants, 1)],
            )
            conn.executemany(
                "INSERT INTO turns (briefing_pk, seq, label, speaker, role, kind, outlet, answers, also_asked, page, text)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (pk, t.seq, t.label, t.speaker, t.role, t.kind, t.outlet, t.answers,
                     json.dumps(list(t.also_asked), ensure_ascii=False), t.page, t.text)
                    for t in b.turns
                ],
            )
            conn.executemany("DELETE FROM rejects WHERE path = ?", [(p,) for p in paths])
        return outcome

    def _record_changes(self, conn, pk: int, b: Briefing, at: str) -> None:
        from .changes import diff

        title, date, published, missing = conn.execute(
            "SELECT title, date, published, missing_pages FROM briefings WHERE pk = ?", (pk,)).fetchone()
        old_meta = {"title": title, "date": date, "published": published, "missing_pages": json.loads(missing)}
        old_turns = [
            {"seq": s, "speaker": sp, "kind": k, "text": t}
            for s, sp, k, t in conn.execute(
                "SELECT seq, speaker, kind, text FROM turns WHERE briefing_pk = ? ORDER BY seq", (pk,))
        ]
        new_meta = {"title": b.title, "date": b.date, "published": b.published, "missing_pages": list(b.missing_pages)}
        new_turns = [{"seq": t.seq, "speaker": t.speaker, "kind": t.kind, "text": t.text} for t in b.turns]
        conn.executemany(
            "INSERT INTO changes (briefing_pk, at, seq, change, field, old, new) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(pk, at, r["seq"], r["change"], r["field"], r["old"], r["new"])
             for r in diff(old_meta, old_turns, new_meta, new_turns)],
        )

    def record_reject(self, path: str, reason: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO rejects (path, reason, at) VALUES (?, ?, ?) "
                "ON CONFLICT(path) DO UPDATE SET reason = excluded.reason, at = excluded.at "
                "WHERE reason != excluded.reason",  # the same page rejected again changes nothing
                (path, reason, _now()),
            )

    @contextlib.contextmanager
    def transaction(self):
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error; SQLite errors reworded."""
        conn = self.db.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise ArchiveError(_explain(exc, self.path)) from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.DatabaseError):
                raise ArchiveError(_explain(exc, self.path)) from exc
            raise


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


def _refuse_shrinking(b: Briefing, stored_pages: list, stored_missing: list) -> None:
    """A transcript parsed from fewer pages than are stored never replaces it.

    Ingesting one page of a stored transcript, or a raw store that lost a
    page, would otherwise drop every turn of the other pages. A site that
    re-paginates a transcript shows it in its pager, and that is let through.
    """
    lost = sorted(set(b.missing_pages) - set(stored_missing))
    # Fewer pages than stored is a re-paginated transcript only when its own pager says so.
    repaginated = b.pages_declared is not None and b.pages_declared == len(b.pages)
    if (len(b.pages) < len(stored_pages) and not repaginated) or lost:
        detail = f"page(s) {', '.join(map(str, lost))} missing" if lost else \
            f"{len(b.pages)} of the {len(stored_pages)} pages stored"
        raise Rejected(f"{b.id} is stored whole and this copy is not ({detail}); "
                       "ingest all of its pages together to update it")


def _explain(exc: sqlite3.DatabaseError, path: Path) -> str:
    msg = str(exc)
    if "malformed" in msg:
        return (f"{path} is damaged ({msg}); restore it from a backup "
                "(`briefings ingest backup.jsonl`) or rebuild it from the raw pages")
    if "file is not a database" in msg or "file is encrypted" in msg:
        return f"{path} is not a briefings archive (not a SQLite database)"
    if "readonly" in msg or "read-only" in msg:
        return f"{path} is read-only; cannot write to the archive"
    if "locked" in msg or "busy" in msg:
        return f"{path} is busy: another briefings process is writing; try again when it finishes"
    if "disk is full" in msg or "database or disk is full" in msg:
        return f"no space left to write {path}; nothing was changed"
    if "unable to open" in msg:
        reason = "permission denied" if path.exists() and not os.access(path, os.R_OK) else msg
        if path.exists() and reason == msg and not os.access(path.parent, os.W_OK):
            reason = f"its folder {path.parent} is read-only (SQLite keeps -wal and -shm files beside the archive)"
        return f"cannot open archive {path}: {reason}"
    return f"archive error in {path}: {msg}"
