"""`export --all --format jsonl` then `ingest FILE.jsonl` rebuilds the same archive.

Same ids in the same order, same participants (with their printed labels),
same turns and text, same fingerprints, the same history of what changed when
a briefing was ingested again, the same rejected pages: a restored archive is
indistinguishable from the one it was exported from, and re-ingesting the
original pages into it changes nothing.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from briefings.cli import cli
from briefings.sqlite import sqlite3
from conftest import CORPUS, FIXTURES, ROOT

SEEDS = ROOT / "data" / "raw" / "seeds"
SOURCES = [SEEDS, FIXTURES / "constructed"] + ([CORPUS / "en"] if (CORPUS / "en").is_dir() else [])

# Every column a restore must reproduce (ingested_at is when, not what).
TABLES = {
    "briefings": "id, source, url, title, date, published, language, pages, missing_pages, turn_count, fingerprint",
    "participants": "(SELECT id FROM briefings b WHERE b.pk = briefing_pk), position, name, role, kind, label",
    "turns": "(SELECT id FROM briefings b WHERE b.pk = briefing_pk), seq, label, speaker, role, kind, outlet, "
    "answers, also_asked, page, text",
    # What changed when a briefing was ingested again: no raw page holds it, so a backup must.
    "changes": "(SELECT id FROM briefings b WHERE b.pk = briefing_pk), at, seq, change, field, old, new",
    "rejects": "path, reason, at",
}


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def contents(db_path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db_path)
    return {t: conn.execute(f"SELECT {cols} FROM {t} ORDER BY pk").fetchall() for t, cols in TABLES.items()}


def transcript(answer: str) -> str:
    return (
        "Briefing on revisions\nSpeakers: Mr. Ann Example, spokesperson\nDate: 2024-03-04\n"
        f"Q: Was the figure revised?\nA: {answer}\n"
    )


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> list:
    """The seeds, the constructed pages, the MFA corpus, and a page that changed and one that is broken."""
    extra = tmp_path_factory.mktemp("extra")
    (extra / "revised.txt").write_text(transcript("It was not."), encoding="utf-8")
    (extra / "revised.txt.meta.json").write_text(json.dumps({"url": "https://example.org/briefings/revised"}))
    (extra / "broken.html").write_bytes(b"")
    return [*SOURCES, extra]


@pytest.fixture(scope="module")
def original(tmp_path_factory, sources):
    db = tmp_path_factory.mktemp("original") / "archive.db"
    result = run("ingest", *sources, "--db", db)
    assert result.exit_code == 0, result.output
    (sources[-1] / "revised.txt").write_text(
        transcript("It was, twice: to 5.2% and then to 5.3%."), encoding="utf-8"
    )
    result = run("ingest", sources[-1], "--db", db, "--json")
    assert json.loads(result.stdout)["updated"] == 1
    counts = contents(db)
    assert counts["changes"] and counts["rejects"]
    return db


def test_round_trip_rebuilds_an_identical_archive(original, tmp_path):
    backup = tmp_path / "backup.jsonl"
    result = run("export", "--all", "--format", "jsonl", "-o", backup, "--db", original)
    assert result.exit_code == 0, result.output
    n, rejects = len(contents(original)["briefings"]), len(contents(original)["rejects"])
    assert (
        result.stderr
        == f"wrote {n} briefings and {rejects} rejected page{'s' if rejects > 1 else ''} to {backup}\n"
    )
    lines = backup.read_text(encoding="utf-8").splitlines()
    assert len(lines) == n + rejects

    restored = tmp_path / "restored.db"
    result = run("ingest", backup, "--db", restored, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["added"] == n and report["rejected"] == []

    assert contents(restored) == contents(original)
    assert run("check", "--db", restored).exit_code == 0
    # And back out again: byte for byte the same file.
    again = tmp_path / "again.jsonl"
    assert run("export", "--all", "-o", again, "--db", restored).exit_code == 0
    assert again.read_bytes() == backup.read_bytes()


def test_each_line_is_the_export_shape_plus_what_restores_it(original, tmp_path):
    first = json.loads(run("export", "--all", "--db", original).stdout.splitlines()[0])
    shape = json.loads(run("export", first["id"], "--format", "json", "--db", original).stdout)
    fingerprint = first.pop("fingerprint")
    labels = [p.pop("label") for p in first["participants"]]
    assert first.pop("changes") == []
    assert first.pop("counterpart_url") is None  # the page's own link to its other version: a seed has none
    assert first == shape
    assert len(fingerprint) == 64 and len(labels) == len(shape["participants"])


def test_reingest_is_idempotent_both_ways(original, tmp_path, sources):
    backup = tmp_path / "backup.jsonl"
    assert run("export", "--all", "-o", backup, "--db", original).exit_code == 0
    restored = tmp_path / "restored.db"
    assert run("ingest", backup, "--db", restored).exit_code == 0
    before = contents(restored)
    # The same export again, then the original pages: every briefing is found unchanged.
    again = json.loads(run("ingest", backup, "--db", restored, "--json").stdout)
    assert again["added"] == again["updated"] == 0
    pages = json.loads(run("ingest", *sources, "--db", restored, "--json").stdout)
    assert pages["added"] == pages["updated"] == 0 and pages["unchanged"] == len(before["briefings"])
    assert contents(restored) == before


def test_stdout_and_file_agree(original, tmp_path):
    out = tmp_path / "b.jsonl"
    assert run("export", "--all", "-o", out, "--db", original).exit_code == 0
    assert run("export", "--all", "--db", original).stdout == out.read_text(encoding="utf-8")


def record(**changes) -> dict:
    base = {
        "id": "text-handmade",
        "source": "text",
        "url": None,
        "title": "A hand-made line",
        "date": "2024-01-02",
        "published": None,
        "language": "en",
        "participants": [{"name": "Ann Example", "role": None, "kind": "official"}],
        "turns": [
            {
                "seq": 1,
                "label": "Ann Example",
                "speaker": "Ann Example",
                "role": None,
                "kind": "statement",
                "outlet": None,
                "text": "Hello.",
            }
        ],
    }
    return base | changes


def test_awkward_text_survives(tmp_path, db_path):
    text = (
        'Line one\nline two\u2028still two\r\n\ttabbed "quoted" \\ back\\slash \x00 nul <b>&amp;</b> 中文 🙂'
    )
    path = tmp_path / "in.jsonl"
    path.write_text(
        json.dumps(record(turns=[{**record()["turns"][0], "text": text}])) + "\n", encoding="utf-8"
    )
    assert run("ingest", path, "--db", db_path).exit_code == 0
    out = run("export", "--all", "--db", db_path).stdout
    assert len(out.splitlines()) == 1 and out.endswith("\n")
    # Every character but the controls, which are never stored (a carriage return is a line break).
    assert json.loads(out)["turns"][0]["text"] == text.replace("\r\n", "\n").replace("\x00", "")


def test_bad_lines_are_rejected_with_their_number(tmp_path, db_path):
    path = tmp_path / "mixed.jsonl"
    good = json.dumps(record())
    lines = [
        good,
        "{not json",
        json.dumps(record(id="text-2", turns=[{**record()["turns"][0], "seq": 3}])),
        json.dumps(record(id="text-3", source="nowhere")),
        json.dumps([1, 2]),
        "",
        json.dumps(record(id="text-4", turns="none")),
        json.dumps(record(id="text-5", date="<b>soon</b>")),
    ]
    path.write_bytes("\n".join(lines).encode() + b"\n\xff\xfe\n")
    result = run("ingest", path, "--db", db_path)
    assert result.exit_code == 0
    assert result.stdout.startswith("1 briefing from 8 pages, 1 added")
    assert result.stderr.splitlines() == [
        f"rejected {path}:2: line 2 is not JSON (Expecting property name enclosed in double quotes)",
        f"rejected {path}:3: line 3 is not a briefing: turn 1 has seq 3; turns must be numbered 1, 2, 3 ...",
        f"rejected {path}:4: line 4 is not a briefing: unknown source 'nowhere'",
        f"rejected {path}:5: line 5 is not a briefing: not a JSON object",
        f"rejected {path}:7: line 7 is not a briefing: 'turns' must be a list",
        f"rejected {path}:8: line 8 is not a briefing: 'date' must be YYYY-MM-DD or null, not '<b>soon</b>'",
        f"rejected {path}:9: line 9 is not UTF-8 text",
    ]
    assert run("check", "--db", db_path).exit_code == 0


def test_a_handmade_line_without_fingerprint_loads_once(tmp_path, db_path):
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(record()) + "\n", encoding="utf-8")
    assert json.loads(run("ingest", path, "--db", db_path, "--json").stdout)["added"] == 1
    assert json.loads(run("ingest", path, "--db", db_path, "--json").stdout)["unchanged"] == 1


def test_jsonl_in_a_folder_is_not_read(tmp_path, db_path, original):
    """Only a .jsonl named on the command line is an export; in a folder it may be a fetch manifest."""
    folder = tmp_path / "raw"
    folder.mkdir()
    assert run("export", "--all", "-o", folder / "backup.jsonl", "--db", original).exit_code == 0
    result = run("ingest", folder, "--db", db_path)
    assert result.exit_code == 0
    assert result.stdout.startswith("0 briefings from 0 pages")


def test_export_all_usage_errors(original, tmp_path):
    for args, message in [
        (["export"], "give the ID of a briefing"),
        (["export", "x", "--all"], "give an ID or --all, not both"),
        (["export", "--all", "--format", "md"], "--all writes JSON Lines"),
    ]:
        result = run(*args, "--db", original)
        assert result.exit_code == 2
        assert len(result.stderr.splitlines()) == 1 and message in result.stderr


def test_export_all_does_not_overwrite(original, tmp_path):
    out = tmp_path / "b.jsonl"
    out.write_text("keep me\n")
    result = run("export", "--all", "-o", out, "--db", original)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {out} exists; use --force to overwrite it\n"
    assert out.read_text() == "keep me\n"
    assert run("export", "--all", "-o", out, "--force", "--db", original).exit_code == 0
    assert out.read_text().count("\n") == len(contents(original)["briefings"]) + len(
        contents(original)["rejects"]
    )
