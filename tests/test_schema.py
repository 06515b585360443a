"""Schema versions: recorded, migrated in place in one transaction, newer refused.

An older archive is built the way an older briefings left it: the migration
steps up to that version, run by hand. A future version is simulated by
appending a step to MIGRATIONS; a newer archive by writing 999 into meta.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from briefings import store
from briefings.cli import cli
from briefings.sqlite import sqlite3
from briefings.store import Archive, ArchiveError
from conftest import ROOT
from helpers import dump

SEEDS = ROOT / "data" / "raw" / "seeds"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def meta(path) -> dict:
    return dict(sqlite3.connect(path).execute("SELECT key, value FROM meta").fetchall())


@pytest.fixture
def seeded(db_path):
    assert run("ingest", SEEDS, "--db", db_path).exit_code == 0
    return db_path


def build_at(path, version: int) -> None:
    """An archive as briefings at `version` left it, with one briefing in it."""
    conn = sqlite3.connect(path, isolation_level=None)
    for step in store.MIGRATIONS[:version]:
        for sql in step:
            sql(conn) if callable(sql) else conn.execute(sql)
    if version >= 1:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', ?), ('application', 'briefings')",
            (str(version),),
        )
        conn.execute(
            "INSERT INTO briefings (pk, id, source, title, date, language, turn_count, fingerprint, "
            "ingested_at) VALUES (1, 'text-old', 'text', 'An old briefing', '2001-02-03', 'en', 2, 'f', 'x')"
        )
        conn.execute(
            "INSERT INTO turns (briefing_pk, seq, kind, speaker, text) VALUES "
            "(1, 1, 'statement', 'Old Speaker', 'archaeology of smuggling'), "
            "(1, 2, 'question', 'Old Outlet', 'what about tariffs')"
        )
    conn.close()


def test_a_new_archive_records_its_version(seeded):
    assert meta(seeded) == {"schema_version": str(store.SCHEMA_VERSION), "application": "briefings"}
    assert len(store.MIGRATIONS) == store.SCHEMA_VERSION


@pytest.mark.parametrize("older", range(1, store.SCHEMA_VERSION))
def test_every_older_version_migrates_in_place(db_path, older):
    build_at(db_path, older)
    # Any open migrates, a reading one too: after an upgrade, search just works.
    rows = json.loads(run("search", "smuggling", "--json", "--db", db_path).stdout)
    assert meta(db_path)["schema_version"] == str(store.SCHEMA_VERSION)
    assert [(r["briefing_id"], r["seq"]) for r in rows] == [("text-old", 1)]
    assert run("check", "--db", db_path).exit_code == 0


def test_an_empty_file_becomes_an_archive(db_path, tmp_path):
    db_path.write_bytes(b"")
    assert run("ingest", SEEDS, "--db", db_path).exit_code == 0
    assert meta(db_path)["schema_version"] == str(store.SCHEMA_VERSION)


def future(monkeypatch, *step: str) -> None:
    """Pretend this is the next briefings, whose last migration is `step`."""
    monkeypatch.setattr(store, "MIGRATIONS", [*store.MIGRATIONS, list(step)])
    monkeypatch.setattr(store, "SCHEMA_VERSION", store.SCHEMA_VERSION + 1)


def test_next_version_migrates_with_data_kept(seeded, monkeypatch):
    before = json.loads(run("export", "--all", "--db", seeded).stdout.splitlines()[0])
    current = store.SCHEMA_VERSION
    future(
        monkeypatch,
        "ALTER TABLE briefings ADD COLUMN note TEXT",
        "CREATE INDEX briefings_note ON briefings(note)",
    )
    with Archive(seeded, write=True) as archive:
        assert archive.version() == current + 1
    conn = sqlite3.connect(seeded)
    assert "note" in [c[1] for c in conn.execute("PRAGMA table_info(briefings)")]
    assert json.loads(run("export", "--all", "--db", seeded).stdout.splitlines()[0]) == before


def test_a_failing_migration_leaves_the_archive_as_it_was(seeded, monkeypatch):
    before = dump(seeded)
    future(monkeypatch, "ALTER TABLE briefings ADD COLUMN note TEXT", "INSERT INTO no_such_table VALUES (1)")
    result = run("ingest", SEEDS, "--db", seeded)
    assert result.exit_code == 1
    assert result.stderr == f"Error: archive error in {seeded}: no such table: no_such_table\n"
    monkeypatch.undo()
    assert dump(seeded) == before  # the ALTER TABLE before the failure was rolled back too


@pytest.mark.parametrize("command", [["list"], ["check"], ["ingest", SEEDS], ["export", "--all"]])
def test_a_newer_archive_is_refused(seeded, command):
    conn = sqlite3.connect(seeded, isolation_level=None)
    conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    conn.close()
    before = dump(seeded)
    result = run(*command, "--db", seeded)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {seeded} has schema version 999, newer than this briefings "
        f"(version {store.SCHEMA_VERSION}); upgrade briefings to open it\n"
    )
    assert dump(seeded) == before


@pytest.mark.parametrize("command", [["list"], ["ingest", SEEDS]])
def test_another_programs_database_is_refused(db_path, command):
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.execute("INSERT INTO recipes VALUES ('soup')")
    conn.close()
    before = dump(db_path)
    result = run(*command, "--db", db_path)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {db_path} is a SQLite database but not a briefings archive\n"
    assert dump(db_path) == before


def test_version_errors_are_archive_errors(seeded, monkeypatch):
    monkeypatch.setattr(store, "SCHEMA_VERSION", store.SCHEMA_VERSION - 1)
    with pytest.raises(ArchiveError, match="newer than this briefings"):
        Archive(seeded)


def test_an_older_archive_that_cannot_be_written_is_refused_clearly(db_path, monkeypatch):
    build_at(db_path, 1)

    def read_only(self):
        raise store.ArchiveError(f"{db_path} is read-only; cannot write to the archive")

    monkeypatch.setattr(store.Archive, "transaction", read_only)
    result = run("list", "--db", db_path)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {db_path} has schema version 1 and must be migrated to version {store.SCHEMA_VERSION} "
        f"before it can be read, which failed: {db_path} is read-only; cannot write to the archive\n"
    )
    assert meta(db_path)["schema_version"] == "1"
