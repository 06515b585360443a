"""Crash safety: SIGKILL `briefings ingest` anywhere; the archive is whole, a rerun completes it.

Real subprocesses of the command line, killed at points chosen by what they
have done (the archive's hidden file made, its name given, so many briefings
committed), never by delays guessed from a timed run: each is stopped the moment
its point is seen, then killed. After
every kill: SQLite and FTS5 integrity checks pass, no briefing is half
written, and running the same ingest again ends with exactly the briefings
of an uninterrupted run, no duplicates.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from briefings import store
from briefings.sqlite import sqlite3
from conftest import CORPUS

CLI = [
    sys.executable,
    "-c",
    "from briefings.cli import main; main()",
]  # the command, wherever the checkout is
KILLS = 10


def assert_whole(db_path: Path) -> int:
    """The archive at db_path is consistent; return how many briefings it holds.

    An archive is built under a hidden name and given its name whole, so a file
    under the name always has the whole schema, however early the kill."""
    if not db_path.exists():
        return 0
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert names >= {name for _, name, _, _ in store.expected_schema()}, names
        for fts in store.fts_indexes():
            conn.execute(f"INSERT INTO {fts.name}({fts.name}) VALUES('integrity-check')")
            conn.execute(f"INSERT INTO {fts.name}({fts.name}, rank) VALUES('integrity-check', 1)")
        half = conn.execute(
            "SELECT b.id FROM briefings b WHERE b.turn_count != (SELECT count(*) FROM turns t WHERE t.briefing_pk = b.pk)"
        ).fetchall()
        assert half == [], f"half-written briefings: {half}"
        for table in ("turns", "participants"):
            orphans = conn.execute(
                f"SELECT count(*) FROM {table} WHERE briefing_pk NOT IN (SELECT pk FROM briefings)"
            ).fetchone()[0]
            assert orphans == 0, f"{orphans} orphan {table}"
        assert (
            conn.execute("SELECT count(*) FROM turns").fetchone()[0]
            == conn.execute("SELECT count(*) FROM turns_fts_docsize").fetchone()[0]
        )
        return conn.execute("SELECT count(*) FROM briefings").fetchone()[0]
    finally:
        conn.close()


def content(db_path: Path) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    rows = conn.execute(
        "SELECT b.id, b.fingerprint, t.seq, t.speaker, t.text FROM turns t "
        "JOIN briefings b ON b.pk = t.briefing_pk ORDER BY b.id, t.seq"
    ).fetchall()
    conn.close()
    return rows


def generated_pages(folder: Path, n: int = 120) -> Path:
    """Plain-text transcripts, for when the recorded MFA corpus is not here."""
    folder.mkdir()
    for i in range(n):
        turns = "\n".join(
            f"Q: Question {j} about tariffs number {i}?\nA: Answer {j} on smuggling {i}." for j in range(40)
        )
        (folder / f"briefing_{i:03}.txt").write_text(
            f"Press briefing number {i}\nSpeakers: Mr. Ann Example, spokesperson\nDate: 2024-01-{i % 28 + 1:02}\n{turns}\n",
            encoding="utf-8",
        )
    return folder


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> Path:
    folder = CORPUS / "en"
    if folder.is_dir():
        return folder
    return generated_pages(tmp_path_factory.mktemp("crash") / "pages")


def ingest(pages: Path, db_path: Path) -> subprocess.Popen:
    env = {**os.environ, "BRIEFINGS_DB": str(db_path)}
    return subprocess.Popen(
        [*CLI, "ingest", str(pages), "--db", str(db_path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def stored(db_path: Path) -> int | None:
    """Briefings committed so far, as another reader sees them; None before the archive has its name."""
    if not db_path.exists():
        return None
    conn = sqlite3.connect(db_path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM briefings").fetchone()[0]
    except sqlite3.DatabaseError:  # the schema not readable yet (it is being given its name)
        return None
    finally:
        conn.close()


def kill_when(proc: subprocess.Popen, happened, limit: float = 60) -> None:
    """SIGKILL proc the moment happened() is true (or once it has exited), never after a guessed delay.

    The process is stopped first (SIGSTOP), so what happened() saw is where it is killed."""
    waited = 0.0
    while proc.poll() is None and not happened() and waited < limit:  # the limit only guards a hung test
        time.sleep(0.001)
        waited += 0.001
    if proc.poll() is None:
        proc.send_signal(signal.SIGSTOP)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)


@pytest.mark.timeout(300)
def test_sigkill_anywhere_loses_nothing(pages, tmp_path):
    reference = tmp_path / "reference.db"
    proc = ingest(pages, reference)
    assert proc.wait(120) == 0, proc.stderr.read()
    total = assert_whole(reference)
    assert total > 10

    # Kill points chosen by what the run has done: while the archive is being built, then
    # once 1, ... briefings are committed, evenly spread up to a few before the last.
    last = total - max(3, total // 10)
    points = [None] + [1 + (last - 1) * k // (KILLS - 2) for k in range(KILLS - 1)]
    partial = []
    for k, point in enumerate(points):
        db = tmp_path / f"killed{k}.db"
        proc = ingest(pages, db)
        if point is None:
            kill_when(proc, lambda: any(p.name.startswith(".killed") for p in tmp_path.iterdir()))
        else:
            kill_when(proc, lambda: (stored(db) or 0) >= point)
        count = assert_whole(db)
        assert count <= total
        partial.append(count)
    resumes = [(db, ingest(pages, db)) for db in (tmp_path / f"killed{k}.db" for k in range(len(points)))]
    for db, proc in resumes:
        assert proc.wait(180) == 0, proc.stderr.read()
        assert assert_whole(db) == total
        assert content(db) == content(reference)
    # The kills landed mid-run: a process stopped the moment a count was seen cannot have finished.
    print("briefings at each kill:", partial, "of", total)
    assert partial[0] < total
    assert all(point <= n < total for point, n in zip(points[1:], partial[1:])), (points, partial)


@pytest.mark.timeout(300)
def test_sigkill_while_the_archive_is_built_leaves_none_or_a_whole_one(pages, tmp_path):
    """Kills at each step of start-up and schema creation: the name never holds an archive with no
    tables, so a reading command never says it is not an archive; at most a hidden temporary file is left."""
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    (tiny / "one.txt").write_text("A briefing\nDate: 2024-01-02\nQ: Here?\nA: Yes.\n", encoding="utf-8")
    moments = {
        "at once": lambda folder, db: True,
        "the first file appears (the schema is being written)": lambda folder, db: any(folder.iterdir()),
        "the archive has its name": lambda folder, db: db.exists(),
        "the first briefing is committed": lambda folder, db: (stored(db) or 0) >= 1,
        "the run has ended": lambda folder, db: False,
    }
    outcomes = []
    for k in range(20):
        what = list(moments)[k % len(moments)]
        folder = tmp_path / f"k{k}"
        folder.mkdir()
        db = folder / "archive.db"
        proc = ingest(tiny, db)
        kill_when(proc, lambda: moments[what](folder, db))
        outcomes.append(db.exists())
        if db.exists():
            assert_whole(db)
            listing = subprocess.run(
                [*CLI, "list", "--json", "--db", str(db)], capture_output=True, text=True
            )
            assert listing.returncode == 0, listing.stderr
        assert all(
            p.name.startswith(".archive.db.") or p.name.startswith("archive.db") for p in folder.iterdir()
        ), list(folder.iterdir())
        assert ingest(tiny, db).wait(60) == 0  # and a rerun builds or completes it
        assert assert_whole(db) == 1
    assert any(outcomes) and not all(outcomes), outcomes
