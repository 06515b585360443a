"""`briefings check`: a whole archive passes; each kind of damage is named on its own line.

The damage is done by hand with sqlite3, the way a crash, a disk error or a
careless edit would leave it: triggers dropped so the index falls behind,
rows deleted or renumbered behind the store's back.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from briefings import store
from briefings.check import FIXES
from briefings.cli import cli
from briefings.sqlite import sqlite3
from conftest import FIXTURES, ROOT
from helpers import dump

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


REPAIR = FIXES["repair"]
REINGEST = FIXES["reingest"]


def assert_repaired(db_path, *done: str) -> None:
    """`check --repair` says it did these (and rebuilt every search index), and leaves a whole archive."""
    result = run("check", "--repair", "--db", db_path)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    rebuilt = [f"repaired: rebuilt the search index {f.name} from the turns" for f in store.fts_indexes()]
    assert lines == [f"repaired: {d}" for d in done] + rebuilt + [lines[-1]]
    assert lines[-1].startswith("ok: ") and lines[-1].endswith(", no problems left")
    assert problems(db_path) == []


def assert_reingest_repairs(db_path) -> None:
    """Re-ingesting the same pages rewrites a briefing whose stored rows do not match its record."""
    data = json.loads(run("ingest", SEEDS, "--db", db_path, "--json").stdout)
    assert data["repaired"] == 1 and data["added"] == data["updated"] == 0
    assert problems(db_path) == []
    # And changes nothing more the next time; no change is recorded for what was only damage.
    again = json.loads(run("ingest", SEEDS, "--db", db_path, "--json").stdout)
    assert again["repaired"] == 0 and again["unchanged"] == 2
    assert sqlite3.connect(db_path).execute("SELECT count(*) FROM changes").fetchone()[0] == 0


def test_a_whole_archive_passes(archive):
    result = run("check", "--db", archive)
    assert result.exit_code == 0, result.output
    n = (
        sqlite3.connect(archive)
        .execute("SELECT count(*), (SELECT count(*) FROM turns) FROM briefings")
        .fetchone()
    )
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
    assert found[0]["message"].startswith("3 turns: ")
    assert found[0]["message"].endswith(" (pk) belong to no briefing; `briefings check --repair` mends it")
    assert found[1]["message"].startswith("5 participants: ")
    assert {p["fix"] for p in found} == {"repair"}
    assert_repaired(
        archive,
        "deleted 3 turns rows whose briefing is gone",
        "deleted 5 participants rows whose briefing is gone",
    )


def test_turn_count_that_does_not_add_up(archive):
    damage(archive, "UPDATE briefings SET turn_count = turn_count + 2 WHERE id = 'scio-118230968'")
    assert problems(archive) == [
        {
            "check": "counts",
            "message": "briefing scio-118230968 says it has 5 turns but holds 3; " + REINGEST,
            "fix": "reingest",
        }
    ]
    assert_reingest_repairs(archive)


def test_gap_in_seq(archive):
    damage(
        archive,
        "UPDATE turns SET seq = 7 WHERE seq = 2 AND briefing_pk = "
        "(SELECT pk FROM briefings WHERE id = 'scio-118230968')",
    )
    assert problems(archive) == [
        {
            "check": "seq",
            "message": "briefing scio-118230968 has 3 turns numbered 1..7, not 1..3; " + REINGEST,
            "fix": "reingest",
        }
    ]
    assert_reingest_repairs(archive)


def test_index_missing_a_turn(archive):
    damage(
        archive,
        "DROP TRIGGER turns_ai",
        "INSERT INTO turns (briefing_pk, seq, kind, text) SELECT pk, turn_count + 1, 'other', 'unindexed words' "
        "FROM briefings WHERE id = 'scio-118230968'",
        "UPDATE briefings SET turn_count = turn_count + 1 WHERE id = 'scio-118230968'",
    )
    found = problems(archive)
    assert found[0] == {
        "check": "schema",
        "message": "the trigger turns_ai is missing; " + REPAIR,
        "fix": "repair",
    }
    assert found[1]["check"] == "fts"
    assert found[1]["message"].startswith("search index turns_fts is missing 1 turn: ")
    # FTS5's own check against the content table sees it too.
    assert any("integrity-check of turns_fts (index against turns) failed" in p["message"] for p in found)
    assert_repaired(archive, "made the missing trigger turns_ai again")


def test_index_holding_deleted_turns(archive):
    damage(archive, "DROP TRIGGER turns_ad", "DELETE FROM turns WHERE pk = (SELECT max(pk) FROM turns)")
    found = problems(archive)
    checks = [p["check"] for p in found]
    assert "fts" in checks and "counts" in checks
    assert any(p["message"].startswith("search index turns_fts holds 1 deleted turn: ") for p in found)


def test_index_with_stale_text(archive):
    # Same rows, different words: only FTS5's integrity-check against the content can see it.
    damage(
        archive, "DROP TRIGGER turns_au", "UPDATE turns SET text = 'entirely different words' WHERE pk = 1"
    )
    found = problems(archive)
    assert [p["check"] for p in found] == ["schema", "fts"]
    assert "integrity-check of turns_fts (index against turns) failed" in found[1]["message"]
    assert_repaired(archive, "made the missing trigger turns_au again")


def test_each_problem_on_its_own_line(archive):
    damage(
        archive, "UPDATE briefings SET turn_count = 99", "DELETE FROM briefings WHERE id = 'scio-118230968'"
    )
    result = run("check", "--db", archive)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == len(problems(archive)) >= 3
    assert all(line.split(":")[0] in ("orphans", "counts") for line in lines)
    # Repair mends the orphans, and says what it could not mend and what will.
    result = run("check", "--repair", "--db", archive)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.startswith("repaired: ")][:2] == [
        "repaired: deleted 3 turns rows whose briefing is gone",
        "repaired: deleted 5 participants rows whose briefing is gone",
    ]
    left = [line for line in lines if not line.startswith("repaired: ")]
    assert left and all(line.startswith("counts: ") and line.endswith(REINGEST) for line in left)
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
    before = dump(archive)
    assert run("check", "--db", archive).exit_code == 0
    assert dump(archive) == before


def test_orphan_change_records(archive):
    damage(
        archive,
        "INSERT INTO changes (briefing_pk, at, seq, change, field, old, new) "
        "VALUES (999, '2024-01-01T00:00:00+00:00', 1, 'text', 'text', 'a', 'b')",
    )
    found = problems(archive)
    assert [p["message"] for p in found] == ["1 change record: 1 (pk) belong to no briefing; " + REPAIR]
    assert_repaired(archive, "deleted 1 changes row whose briefing is gone")


def test_an_answer_to_a_question_that_is_not_there(archive):
    damage(
        archive,
        "UPDATE turns SET answers = 99 WHERE seq = 2 AND briefing_pk = "
        "(SELECT pk FROM briefings WHERE id = 'scio-118230968')",
    )
    assert problems(archive) == [
        {
            "check": "answers",
            "fix": "reingest",
            "message": "briefing scio-118230968: turn(s) 2 answer a question that is not there; " + REINGEST,
        }
    ]
    assert_reingest_repairs(archive)


@pytest.mark.parametrize(
    "column, table", [("pages", "briefings"), ("missing_pages", "briefings"), ("also_asked", "turns")]
)
def test_a_damaged_json_column(archive, column, table):
    where = (
        "id = 'scio-118230968'"
        if table == "briefings"
        else "briefing_pk = (SELECT pk FROM briefings WHERE id = 'scio-118230968')"
    )
    damage(archive, f"UPDATE {table} SET {column} = 'not json' WHERE {where}")
    assert problems(archive) == [
        {
            "check": "json",
            "fix": "reingest",
            "message": f"{table}.{column} is not a JSON list in 1 briefing: scio-118230968; " + REINGEST,
        }
    ]
    assert_reingest_repairs(archive)


def test_a_briefing_with_no_turns(archive):
    damage(
        archive,
        "DELETE FROM turns WHERE briefing_pk = (SELECT pk FROM briefings WHERE id = 'scio-118230968')",
        "UPDATE briefings SET turn_count = 0 WHERE id = 'scio-118230968'",
    )
    assert problems(archive) == [
        {
            "check": "counts",
            "fix": "reingest",
            "message": "briefing scio-118230968 holds no turns; " + REINGEST,
        }
    ]
    assert_reingest_repairs(archive)


@pytest.mark.parametrize(
    "kind, name",
    [(kind, name) for kind, name, _, sql in store.expected_schema() if kind in ("index", "trigger") and sql],
)
def test_a_dropped_index_or_trigger(archive, kind, name):
    """Compared with the schema the code declares: every index and trigger, whatever version added it."""
    damage(archive, f"DROP {kind.upper()} {name}")
    found = problems(archive)
    assert found[0] == {
        "check": "schema",
        "fix": "repair",
        "message": f"the {kind} {name} is missing; " + REPAIR,
    }
    assert_repaired(archive, f"made the missing {kind} {name} again")


@pytest.mark.parametrize("fts", store.fts_indexes(), ids=lambda f: f.name)
def test_every_search_index_is_checked(archive, fts):
    """Each FTS index the schema declares, not only turns_fts: a turn dropped from it is found and mended."""
    if fts.name == store.HAN_INDEX:  # its own content: a turn with Han characters, then its row dropped
        damage(archive, "UPDATE turns SET text = text || ' 中国' WHERE pk = (SELECT min(pk) FROM turns)")
    else:
        damage(
            archive,
            f"INSERT INTO {fts.name} ({fts.name}, rowid, text) SELECT 'delete', pk, text FROM turns "
            "WHERE pk = (SELECT min(pk) FROM turns)",
        )
    found = problems(archive)
    assert found and all(p["check"] == "fts" and fts.name in p["message"] for p in found), found
    assert any(p["message"].startswith(f"search index {fts.name} is missing 1 turn: ") for p in found)
    assert_repaired(archive)


def test_control_characters_in_an_older_archive(archive):
    damage(archive, "UPDATE turns SET text = text || char(27) || '[2J' WHERE pk = 1")
    (found,) = problems(archive)
    assert found["check"] == "text" and found["message"].endswith(REPAIR)
    assert_repaired(archive, "stripped control characters from 1 turns row")
    assert (
        sqlite3.connect(archive).execute("SELECT text FROM turns WHERE pk = 1").fetchone()[0].endswith("[2J")
    )


def test_repair_never_creates_an_archive(db_path):
    result = run("check", "--repair", "--db", db_path)
    assert result.exit_code == 1 and not db_path.exists()


def test_repair_json(archive):
    damage(archive, "DROP TRIGGER turns_ai")
    data = json.loads(run("check", "--repair", "--json", "--db", archive).stdout)
    assert data["ok"] and data["problems"] == []
    assert data["repaired"][0] == "made the missing trigger turns_ai again"
