"""`briefings check`: a whole archive passes; each kind of damage is named on its own line.

The damage is done by hand with sqlite3, the way a crash, a disk error or a
careless edit would leave it: triggers dropped so the index falls behind,
rows deleted or renumbered behind the store's back.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from briefings.cli import cli
from conftest import FIXTURES, ROOT

SEEDS = ROOT / "data" / "raw" / "seeds"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def archive(db_path):
    for folder in (SEEDS, FIXTURES / "constructed"):
        assert run("ingest", folder, "--db", db_path).exit_code == 0
    return db_path


def damage(db_path, *statements):
    conn = sqlite3.connect(db_path, isolation_level=None)
    for sql in statements:
        conn.execute(sql)
    conn.close()


def problems(db_path) -> list[dict]:
    result = run("check", "--json", "--db", db_path)
    data = json.loads(result.stdout)
    assert (result.exit_code == 0) == data["ok"]
    return data["problems"]


def test_a_whole_archive_passes(archive):
    result = run("check", "--db", archive)
    assert result.exit_code == 0, result.output
    n = sqlite3.connect(archive).execute("SELECT count(*), (SELECT count(*) FROM turns) FROM briefings").fetchone()
    assert result.stdout == f"ok: {n[0]} briefings, {n[1]} turns, no problems found\n"
    data = json.loads(run("check", "--json", "--db", archive).stdout)
    assert data == {"ok": True, "briefings": n[0], "turns": n[1], "problems": [], "skipped": []}


def test_an_empty_archive_passes(db_path, tmp_path):
    (tmp_path / "nothing").mkdir()
    assert run("ingest", tmp_path / "nothing", "--db", db_path).exit_code == 0
    assert run("check", "--db", db_path).exit_code == 0


def test_orphan_turns_and_participants(archive):
    damage(archive, "DELETE FROM briefings WHERE id = 'scio-118230968'")
    found = problems(archive)
    assert [p["check"] for p in found] == ["orphans", "orphans"]
    assert found[0]["message"].startswith("3 turns: ") and found[0]["message"].endswith(" (pk) belong to no briefing")
    assert found[1]["message"].startswith("5 participants: ")


def test_turn_count_that_does_not_add_up(archive):
    damage(archive, "UPDATE briefings SET turn_count = turn_count + 2 WHERE id = 'scio-118230968'")
    assert problems(archive) == [
        {"check": "counts", "message": "briefing scio-118230968 says it has 5 turns but holds 3"}]


def test_gap_in_seq(archive):
    damage(archive, "UPDATE turns SET seq = 7 WHERE seq = 2 AND briefing_pk = "
                    "(SELECT pk FROM briefings WHERE id = 'scio-118230968')")
    assert problems(archive) == [
        {"check": "seq", "message": "briefing scio-118230968 has 3 turns numbered 1..7, not 1..3"}]


def test_index_missing_a_turn(archive):
    damage(archive, "DROP TRIGGER turns_ai",
           "INSERT INTO turns (briefing_pk, seq, kind, text) SELECT pk, turn_count + 1, 'other', 'unindexed words' "
           "FROM briefings WHERE id = 'scio-118230968'",
           "UPDATE briefings SET turn_count = turn_count + 1 WHERE id = 'scio-118230968'")
    found = problems(archive)
    assert found[0]["check"] == "fts"
    assert found[0]["message"].startswith("search index is missing 1 turn: ")
    # FTS5's own check against the content table sees it too.
    assert any("integrity-check (index against turns) failed" in p["message"] for p in found)


def test_index_holding_deleted_turns(archive):
    damage(archive, "DROP TRIGGER turns_ad", "DELETE FROM turns WHERE pk = (SELECT max(pk) FROM turns)")
    found = problems(archive)
    checks = [p["check"] for p in found]
    assert "fts" in checks and "counts" in checks
    assert any(p["message"].startswith("search index holds 1 deleted turn: ") for p in found)


def test_index_with_stale_text(archive):
    # Same rows, different words: only FTS5's integrity-check against the content can see it.
    damage(archive, "DROP TRIGGER turns_au", "UPDATE turns SET text = 'entirely different words' WHERE pk = 1")
    found = problems(archive)
    assert [p["check"] for p in found] == ["fts"]
    assert "integrity-check (index against turns) failed" in found[0]["message"]


def test_each_problem_on_its_own_line(archive):
    damage(archive, "UPDATE briefings SET turn_count = 99",
           "DELETE FROM briefings WHERE id = 'scio-118230968'")
    result = run("check", "--db", archive)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == len(problems(archive)) >= 3
    assert all(line.split(":")[0] in ("orphans", "counts") for line in lines)
    assert "Traceback" not in result.output


def test_damaged_file_is_reported_not_raised(archive):
    """Bytes overwritten inside the file: SQLite's own check names the damage."""
    conn = sqlite3.connect(archive)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'turns_speaker'").fetchone()[0]
    conn.close()
    with open(archive, "r+b") as fh:
        fh.seek((root - 1) * page_size + 8)
        fh.write(b"\xff" * 64)
    result = run("check", "--db", archive)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stdout.startswith("integrity: ")


def test_check_never_creates_an_archive(db_path):
    result = run("check", "--db", db_path)
    assert result.exit_code == 1
    assert result.stderr == f"Error: no archive at {db_path}; build one with `briefings ingest PATH`\n"
    assert not db_path.exists()


def test_check_changes_nothing(archive):
    def dump():
        return list(sqlite3.connect(archive).iterdump())

    before = dump()
    assert run("check", "--db", archive).exit_code == 0
    assert dump() == before
