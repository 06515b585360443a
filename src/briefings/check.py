"""Is the archive whole? The checks behind `briefings check`.

A crash, a disk error or a hand edit can leave an archive that still opens
but lies: an FTS index out of step with the turns it indexes, turns whose
briefing is gone, a briefing that says it has 40 turns and holds 39. Each
check here reads, never repairs, and words what it finds as one line a
person can act on. Nothing is committed: FTS5 spells its own check as an
INSERT, so that statement runs on a read-write handle inside a transaction
that is always rolled back.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

# How many offending rows a check names before it only counts the rest:
# one line per problem, but not ten thousand lines for one broken table.
SHOW = 5


@dataclass(frozen=True)
class Problem:
    check: str  # integrity | fts | orphans | counts | seq
    message: str

    def to_dict(self) -> dict:
        return asdict(self)


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
    return [Problem("integrity", f"SQLite integrity check: {r}") for r in rows]


def fts_counts(conn: sqlite3.Connection) -> list[Problem]:
    """The index's own row list (fts5 docsize) against the turns table, both ways."""
    problems = []
    unindexed = [r[0] for r in conn.execute(
        "SELECT pk FROM turns WHERE pk NOT IN (SELECT id FROM turns_fts_docsize) ORDER BY pk").fetchall()]
    stale = [r[0] for r in conn.execute(
        "SELECT id FROM turns_fts_docsize WHERE id NOT IN (SELECT pk FROM turns) ORDER BY id").fetchall()]
    if unindexed:
        problems.append(Problem("fts", "search index is missing " + _named(unindexed, "turn") +
                                " (pk); rebuild the index or re-ingest"))
    if stale:
        problems.append(Problem("fts", "search index holds " + _named(stale, "deleted turn") +
                                " (pk); rebuild the index or re-ingest"))
    return problems


def orphans(conn: sqlite3.Connection) -> list[Problem]:
    problems = []
    for table in ("turns", "participants"):
        rows = [r[0] for r in conn.execute(
            f"SELECT pk FROM {table} WHERE briefing_pk NOT IN (SELECT pk FROM briefings) ORDER BY pk").fetchall()]
        if rows:
            problems.append(Problem("orphans", f"{_named(rows, table[:-1])} (pk) belong to no briefing"))
    return problems


def counts(conn: sqlite3.Connection) -> list[Problem]:
    rows = conn.execute(
        "SELECT b.id, b.turn_count, (SELECT count(*) FROM turns t WHERE t.briefing_pk = b.pk) AS n "
        "FROM briefings b WHERE b.turn_count != n ORDER BY b.pk").fetchall()
    return [Problem("counts", f"briefing {bid} says it has {said} turns but holds {n}") for bid, said, n in rows]


def seq_gaps(conn: sqlite3.Connection) -> list[Problem]:
    """Turns of each briefing are numbered 1..n with no gap (UNIQUE rules out repeats)."""
    rows = conn.execute(
        "SELECT b.id, count(t.pk), min(t.seq), max(t.seq) FROM turns t JOIN briefings b ON b.pk = t.briefing_pk "
        "GROUP BY t.briefing_pk HAVING min(t.seq) != 1 OR max(t.seq) != count(t.pk) ORDER BY b.pk").fetchall()
    return [Problem("seq", f"briefing {bid} has {n} turns numbered {lo}..{hi}, not 1..{n}")
            for bid, n, lo, hi in rows]


def fts_integrity(path: Path) -> tuple[list[Problem], str | None]:
    """FTS5's own checks: the index is consistent, and (rank 1) it matches the turns.

    Returns (problems, why it was skipped or None)."""
    uri = Path(path).resolve().as_uri() + "?mode=rw"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
    except sqlite3.Error as exc:
        return [], f"FTS5 integrity-check skipped: cannot open {path} for it ({exc})"
    problems = []
    try:
        for label, sql in (
            ("index", "INSERT INTO turns_fts(turns_fts) VALUES('integrity-check')"),
            ("index against turns", "INSERT INTO turns_fts(turns_fts, rank) VALUES('integrity-check', 1)"),
        ):
            try:
                # IMMEDIATE: the check is spelled as an INSERT, so it needs the write lock;
                # taken up front it waits out a running ingest's transaction instead of
                # failing "database is locked" when that ingest commits under it.
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(sql)
            except sqlite3.OperationalError as exc:
                if "readonly" in str(exc) or "read-only" in str(exc) or "unable to open" in str(exc):
                    return problems, f"FTS5 integrity-check skipped: {path} is read-only"
                problems.append(Problem("fts", f"FTS5 integrity-check ({label}) failed: {exc}"))
            except sqlite3.DatabaseError as exc:
                problems.append(Problem("fts", f"FTS5 integrity-check ({label}) failed: {exc}; "
                                        "rebuild the index or re-ingest"))
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
    finally:
        conn.close()
    return problems, None


CHECKS: list[tuple[str, Callable[[sqlite3.Connection], list[Problem]]]] = [
    ("integrity", sqlite_integrity),
    ("fts", fts_counts),
    ("orphans", orphans),
    ("counts", counts),
    ("seq", seq_gaps),
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
                problems.append(Problem(name, f"{name} check could not run: {exc}"))
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
