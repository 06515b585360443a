"""Is the archive whole? The checks behind `briefings check`.

A crash, a disk error or a hand edit can leave an archive that still opens
but lies: an FTS index out of step with the turns it indexes, turns whose
briefing is gone, a briefing that says it has 40 turns and holds 39, a
dropped trigger that will let the index fall behind from the next ingest on.
Each check here reads, never repairs, and words what it finds as one line a
person can act on, naming the command that mends it:

- `briefings check --repair` (see `Archive.repair`): the search indexes, the
  schema's own indexes and triggers, rows whose briefing is gone, control
  characters in stored text;
- re-ingesting the briefing's pages or backup, which rewrites a briefing whose
  stored rows do not match its record (see `Archive.save`);
- a backup or the raw pages, for damage SQLite itself finds in the file.

Nothing is committed: FTS5 spells its own check as an INSERT, so that
statement runs on a read-write handle inside a transaction that is always
rolled back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from .sqlite import sqlite3
from .store import FTS_SHADOWS, HAN_INDEX, TEXT_COLUMNS, expected_schema, fts_indexes, same_sql
from .text import has_controls, has_han

# How many offending rows a check names before it only counts the rest:
# one line per problem, but not ten thousand lines for one broken table.
SHOW = 5

# What mends each kind of problem, as the problem's `fix` and the end of its message.
REPAIR = "repair"
REINGEST = "reingest"
RESTORE = "restore"
FIXES = {
    REPAIR: "`briefings check --repair` mends it",
    REINGEST: "re-ingest its pages or backup (`briefings ingest PATH`) to rewrite it",
    RESTORE: "it cannot be mended in place: restore a backup (`briefings ingest backup.jsonl --db NEW.db`) "
    "or rebuild from the raw pages (`briefings ingest data/raw --db NEW.db`)",
}


@dataclass(frozen=True)
class Problem:
    check: str  # integrity | schema | fts | orphans | counts | seq | answers | json | text | encoding
    message: str
    fix: str = REPAIR  # repair | reingest | restore

    def to_dict(self) -> dict:
        return asdict(self)


def _problem(check: str, what: str, fix: str) -> Problem:
    return Problem(check, f"{what}; {FIXES[fix]}", fix)


@dataclass
class CheckReport:
    problems: list[Problem]
    skipped: list[str]
    briefings: int
    turns: int

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "briefings": self.briefings,
            "turns": self.turns,
            "problems": [p.to_dict() for p in self.problems],
            "skipped": self.skipped,
        }


def _named(ids: list, noun: str) -> str:
    shown = ", ".join(str(i) for i in ids[:SHOW])
    more = f" and {len(ids) - SHOW} more" if len(ids) > SHOW else ""
    return f"{len(ids)} {noun}{'s' if len(ids) != 1 else ''}: {shown}{more}"


def sqlite_integrity(conn: sqlite3.Connection) -> list[Problem]:
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    if rows == ["ok"]:
        return []
    problems = [_problem("integrity", f"SQLite integrity check: {r}", RESTORE) for r in rows[:SHOW]]
    if len(rows) > SHOW:
        problems.append(
            _problem("integrity", f"SQLite integrity check: {len(rows) - SHOW} more like these", RESTORE)
        )
    return problems


def schema(conn: sqlite3.Connection) -> list[Problem]:
    """Every table, index and trigger the schema declares is there, as declared.

    A dropped trigger loses nothing today and lets the search index fall behind
    on the next ingest; a dropped index makes searches slow. Objects the file
    has beyond the schema (a user's own index, a column a user added to a table)
    are not a problem."""
    have = {(t, n): sql for t, n, sql in conn.execute("SELECT type, name, sql FROM sqlite_master")}
    lost_fts = {f.name for f in fts_indexes() if ("table", f.name) not in have}
    problems = []
    for kind, name, _table, sql in expected_schema():
        if sql is None or name.rpartition("_")[0] in lost_fts:
            continue  # SQLite's own index for a UNIQUE column, or a lost FTS index's own tables
        if (kind, name) not in have:
            fix = RESTORE if kind == "table" and name in ("briefings", "turns", "participants") else REPAIR
            problems.append(_problem("schema", f"the {kind} {name} is missing", fix))
        elif kind in ("index", "trigger") and same_sql(have[(kind, name)]) != same_sql(sql):
            problems.append(_problem("schema", f"the {kind} {name} is not as the schema declares it", REPAIR))
    return problems


def fts_counts(conn: sqlite3.Connection) -> list[Problem]:
    """Each index's own row list (fts5 docsize) against the table it indexes, both ways."""
    problems = []
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for fts in fts_indexes():
        docsize = f"{fts.name}_docsize"
        if fts.name == HAN_INDEX and docsize in tables and "turns" in tables:
            # Its own content, derived: every turn with Han characters, and only those, has a row.
            conn.create_function("has_han", 1, has_han, deterministic=True)
            wanted = "SELECT pk AS k FROM turns WHERE has_han(text)"
        elif not (fts.content and fts.docsize) or docsize not in tables or fts.content not in tables:
            continue  # nothing to compare row by row; a missing table is the schema check's
        else:
            wanted = f"SELECT {fts.rowid} AS k FROM {fts.content}"
        unindexed = [
            r[0]
            for r in conn.execute(
                f"SELECT k FROM ({wanted}) WHERE k NOT IN (SELECT id FROM {docsize}) ORDER BY k"
            ).fetchall()
        ]
        stale = [
            r[0]
            for r in conn.execute(
                f"SELECT id FROM {docsize} WHERE id NOT IN (SELECT k FROM ({wanted})) ORDER BY id"
            ).fetchall()
        ]
        if unindexed:
            problems.append(
                _problem(
                    "fts",
                    f"search index {fts.name} is missing " + _named(unindexed, "turn") + " (pk)",
                    REPAIR,
                )
            )
        if stale:
            problems.append(
                _problem(
                    "fts", f"search index {fts.name} holds " + _named(stale, "deleted turn") + " (pk)", REPAIR
                )
            )
    return problems


def orphans(conn: sqlite3.Connection) -> list[Problem]:
    problems = []
    for table, noun in (("turns", "turn"), ("participants", "participant"), ("changes", "change record")):
        rows = [
            r[0]
            for r in conn.execute(
                f"SELECT pk FROM {table} WHERE briefing_pk NOT IN (SELECT pk FROM briefings) ORDER BY pk"
            ).fetchall()
        ]
        if rows:
            problems.append(_problem("orphans", f"{_named(rows, noun)} (pk) belong to no briefing", REPAIR))
    for table, noun in (("counterparts", "pair record"), ("turn_links", "turn link")):
        n = conn.execute(
            f"SELECT count(*) FROM {table} WHERE briefing_pk NOT IN (SELECT pk FROM briefings) "
            "OR other_pk NOT IN (SELECT pk FROM briefings)"
        ).fetchone()[0]
        if n:
            problems.append(
                _problem("orphans", f"{n} {noun}{'s' if n != 1 else ''} name a briefing that is gone", REPAIR)
            )
    return problems


def counts(conn: sqlite3.Connection) -> list[Problem]:
    rows = conn.execute(
        "SELECT b.id, b.turn_count, (SELECT count(*) FROM turns t WHERE t.briefing_pk = b.pk) AS n "
        "FROM briefings b WHERE b.turn_count != n OR n = 0 ORDER BY b.pk"
    ).fetchall()
    return [
        _problem(
            "counts",
            f"briefing {bid} holds no turns"
            if n == 0 and said == 0
            else f"briefing {bid} says it has {said} turns but holds {n}",
            REINGEST,
        )
        for bid, said, n in rows
    ]


def seq_gaps(conn: sqlite3.Connection) -> list[Problem]:
    """Turns of each briefing are numbered 1..n with no gap (UNIQUE rules out repeats)."""
    rows = conn.execute(
        "SELECT b.id, count(t.pk), min(t.seq), max(t.seq) FROM turns t JOIN briefings b ON b.pk = t.briefing_pk "
        "GROUP BY t.briefing_pk HAVING min(t.seq) != 1 OR max(t.seq) != count(t.pk) ORDER BY b.pk"
    ).fetchall()
    return [
        _problem("seq", f"briefing {bid} has {n} turns numbered {lo}..{hi}, not 1..{n}", REINGEST)
        for bid, n, lo, hi in rows
    ]


def answers(conn: sqlite3.Connection) -> list[Problem]:
    """An answer names the seq of its question: that turn must exist in the same briefing."""
    rows = conn.execute(
        "SELECT b.id, group_concat(t.seq, ', ') FROM turns t JOIN briefings b ON b.pk = t.briefing_pk "
        "WHERE t.answers IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM turns q WHERE q.briefing_pk = t.briefing_pk AND q.seq = t.answers) "
        "GROUP BY t.briefing_pk ORDER BY b.pk"
    ).fetchall()
    return [
        _problem("answers", f"briefing {bid}: turn(s) {seqs} answer a question that is not there", REINGEST)
        for bid, seqs in rows
    ]


# JSON columns: (table, column, what the value must be, the id of the row's briefing).
JSON_COLUMNS = (
    ("briefings", "pages", "array", "id"),
    ("briefings", "missing_pages", "array", "id"),
    ("turns", "also_asked", "array", "(SELECT id FROM briefings b WHERE b.pk = briefing_pk)"),
)


def damaged_json(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """(briefing id, table, column) of every JSON column that does not hold a JSON list."""
    out = []
    for table, column, kind, bid in JSON_COLUMNS:
        out += [
            (r[0], table, column)
            for r in conn.execute(
                f"SELECT DISTINCT {bid} FROM {table} "
                f"WHERE CASE WHEN json_valid({column}) THEN json_type({column}) != '{kind}' ELSE 1 END ORDER BY pk"
            )
        ]
    return out


def json_columns(conn: sqlite3.Connection) -> list[Problem]:
    by_column: dict[tuple[str, str], list] = {}
    for bid, table, column in damaged_json(conn):
        by_column.setdefault((table, column), []).append(bid)
    return [
        _problem("json", f"{table}.{column} is not a JSON list in {_named(ids, 'briefing')}", REINGEST)
        for (table, column), ids in by_column.items()
    ]


def control_characters(conn: sqlite3.Connection) -> list[Problem]:
    """Stored text never holds control characters (an archive from before they were
    dropped may): printed, an ESC or BEL can rewrite what a terminal shows."""
    conn.create_function("has_controls", 1, has_controls, deterministic=True)
    problems = []
    for table, columns in TEXT_COLUMNS.items():
        where = " OR ".join(f"has_controls({c})" for c in columns)
        bid = "id" if table == "briefings" else "(SELECT id FROM briefings b WHERE b.pk = briefing_pk)"
        ids = [r[0] for r in conn.execute(f"SELECT DISTINCT {bid} FROM {table} WHERE {where}")]
        if ids:
            problems.append(
                _problem(
                    "text", f"{table} text holds control characters in {_named(ids, 'briefing')}", REPAIR
                )
            )
    return problems


def _not_utf8(value) -> bool:
    if not isinstance(value, bytes):
        return False
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _shown_id(value: bytes) -> str:
    """A briefing id as a message names it, even when the id itself is the damaged text."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return repr(value)


def text_encoding(conn: sqlite3.Connection) -> list[Problem]:
    """Every stored text is UTF-8. A damaged page of the file, or another program writing
    to it, can leave bytes that are not: the reading commands refuse such a briefing
    (it cannot be shown as it was published), so it must be found here."""
    conn.create_function("not_utf8", 1, _not_utf8, deterministic=True)
    problems = []
    for table, columns in _text_columns(conn).items():
        where = " OR ".join(f"not_utf8(CAST({c} AS BLOB))" for c in columns)
        if table in ("briefings", "turns", "participants", "changes"):
            bid = "id" if table == "briefings" else "(SELECT id FROM briefings b WHERE b.pk = briefing_pk)"
            ids = [
                _shown_id(r[0])
                for r in conn.execute(
                    f"SELECT DISTINCT CAST({bid} AS BLOB) FROM {table} WHERE {where} ORDER BY pk"
                )
            ]
            if ids:
                which = [
                    c
                    for c in columns
                    if conn.execute(
                        f"SELECT 1 FROM {table} WHERE not_utf8(CAST({c} AS BLOB)) LIMIT 1"
                    ).fetchone()
                ]
                problems.append(
                    _problem(
                        "encoding",
                        f"{table}.{'/'.join(which)} holds text that is not UTF-8 in "
                        f"{_named(ids, 'briefing')}",
                        REINGEST,
                    )
                )
        else:
            n = conn.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0]
            if n:
                problems.append(
                    _problem(
                        "encoding",
                        f"{table} holds text that is not UTF-8 in {n} row{'s' if n != 1 else ''}",
                        RESTORE,
                    )
                )
    return problems


def _text_columns(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """The TEXT columns of the archive's own tables (not the search indexes' shadow tables)."""
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' "
            "AND name NOT LIKE 'sqlite%' ORDER BY rowid"
        )
    ]
    fts = {f.name for f in fts_indexes()}
    out = {}
    for table in tables:
        if table.rpartition("_")[0] in fts:
            continue
        columns = [
            r[1] for r in conn.execute(f"PRAGMA table_info({table})") if "TEXT" in (r[2] or "").upper()
        ]
        if columns:
            out[table] = columns
    return out


def fts_integrity(path: Path) -> tuple[list[Problem], str | None]:
    """FTS5's own checks of every index: it is consistent, and (rank 1) it matches the turns.

    Returns (problems, why it was skipped or None)."""
    uri = Path(path).resolve().as_uri() + "?mode=rw"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
    except sqlite3.Error as exc:
        return [], f"FTS5 integrity-check (cannot open {path} for it: {exc})"
    problems: list[Problem] = []
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for fts in fts_indexes():
            if fts.name not in tables or any(f"{fts.name}_{s}" not in tables for s in FTS_SHADOWS[:2]):
                continue  # the schema check says it is missing
            for label, sql in (
                ("index", f"INSERT INTO {fts.name}({fts.name}) VALUES('integrity-check')"),
                (
                    f"index against {fts.content or 'its content'}",
                    f"INSERT INTO {fts.name}({fts.name}, rank) VALUES('integrity-check', 1)",
                ),
            ):
                try:
                    # IMMEDIATE: the check is spelled as an INSERT, so it needs the write lock;
                    # taken up front it waits out a running ingest's transaction instead of
                    # failing "database is locked" when that ingest commits under it.
                    conn.execute("BEGIN IMMEDIATE")
                    conn.execute(sql)
                except sqlite3.DatabaseError as exc:
                    if _read_only(exc):
                        return problems, f"FTS5 integrity-check ({path} is read-only)"
                    problems.append(
                        _problem("fts", f"FTS5 integrity-check of {fts.name} ({label}) failed: {exc}", REPAIR)
                    )
                finally:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
    except sqlite3.DatabaseError as exc:
        if _read_only(exc):
            return problems, f"FTS5 integrity-check ({path} is read-only)"
        problems.append(_problem("fts", f"FTS5 integrity-check could not run: {exc}", RESTORE))
    finally:
        conn.close()
    return problems, None


def _read_only(exc: sqlite3.DatabaseError) -> bool:
    return any(s in str(exc) for s in ("readonly", "read-only", "unable to open"))


CHECKS: list[tuple[str, Callable[[sqlite3.Connection], list[Problem]]]] = [
    ("integrity", sqlite_integrity),
    ("schema", schema),
    ("fts", fts_counts),
    ("orphans", orphans),
    ("counts", counts),
    ("seq", seq_gaps),
    ("answers", answers),
    ("json", json_columns),
    ("text", control_characters),
    ("encoding", text_encoding),
]


def check_archive(conn: sqlite3.Connection, path: Path) -> CheckReport:
    """Run every check on one snapshot of the archive at path (opened as conn)."""
    problems: list[Problem] = []
    skipped: list[str] = []
    briefings = turns = 0
    conn.execute("BEGIN")  # one read snapshot, even while an ingest writes
    try:
        for name, run in CHECKS:
            try:
                problems.extend(run(conn))
            except sqlite3.DatabaseError as exc:
                problems.append(_problem(name, f"{name} check could not run: {exc}", RESTORE))
        try:
            briefings = conn.execute("SELECT count(*) FROM briefings").fetchone()[0]
            turns = conn.execute("SELECT count(*) FROM turns").fetchone()[0]
        except sqlite3.DatabaseError:
            pass
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    fts_problems, skip = fts_integrity(path)
    problems.extend(fts_problems)
    if skip:
        skipped.append(skip)
    return CheckReport(problems, skipped, briefings, turns)
