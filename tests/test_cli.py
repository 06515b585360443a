"""The CLI as users and scripts use it: exit codes, exact lines, stable JSON."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

from briefings.cli import cli
from briefings.sqlite import sqlite3
from conftest import ROOT

SEEDS = ROOT / "data" / "raw" / "seeds"
SCIO_ID = "scio-118230968"


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


@pytest.fixture
def seeded(db_path):
    result = run("ingest", SEEDS, "--db", db_path)
    assert result.exit_code == 0, result.output
    return db_path


def gac_id(db_path) -> str:
    rows = json.loads(run("list", "--source", "gac", "--json", "--db", db_path).output)
    return rows[0]["id"]


def test_ingest_reports_a_summary(db_path):
    result = run("ingest", SEEDS, "--db", db_path)
    assert result.exit_code == 0
    assert (
        result.stdout
        == "2 briefings from 2 pages, 2 added, 0 updated, 0 unchanged, 0 rejected, 1 incomplete\n"
    )
    assert result.stderr == "incomplete scio-118230968: page(s) 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 missing\n"


def test_reingest_changes_nothing(seeded):
    before = (
        sqlite3.connect(seeded).execute("SELECT pk, id, ingested_at FROM briefings ORDER BY pk").fetchall()
    )
    turns_before = sqlite3.connect(seeded).execute("SELECT * FROM turns ORDER BY pk").fetchall()
    result = run("ingest", SEEDS, "--db", seeded)
    assert result.stdout.startswith("2 briefings from 2 pages, 0 added, 0 updated, 2 unchanged")
    after = (
        sqlite3.connect(seeded).execute("SELECT pk, id, ingested_at FROM briefings ORDER BY pk").fetchall()
    )
    assert after == before
    assert sqlite3.connect(seeded).execute("SELECT * FROM turns ORDER BY pk").fetchall() == turns_before


def test_ingest_json(db_path):
    result = run("ingest", SEEDS, "--db", db_path, "--json")
    data = json.loads(result.stdout)
    assert data["added"] == 2 and data["briefings"] == 2 and data["pages"] == 2
    assert data["incomplete"] == [{"id": SCIO_ID, "missing_pages": list(range(2, 12))}]


def test_ingest_reports_a_bad_page_and_goes_on(db_path, tmp_path):
    folder = tmp_path / "raw"
    shutil.copytree(SEEDS, folder)
    (folder / "empty.html").write_bytes(b"")
    (folder / "junk.html").write_bytes(b"<html><body><div class='nav'></div></body></html>")
    result = run("ingest", folder, "--db", db_path)
    assert result.exit_code == 0
    assert "2 added" in result.stdout and "2 rejected" in result.stdout
    assert f"rejected {folder / 'empty.html'}: empty page" in result.stderr
    assert (
        f"rejected {folder / 'junk.html'}: no transcript text found after removing page chrome"
        in result.stderr
    )
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE rejects SET at = '2000-01-01T00:00:00+00:00'")  # as if noted long ago
    rejects = conn.execute("SELECT path, reason, at FROM rejects ORDER BY path").fetchall()
    conn.close()
    assert [r[0] for r in rejects] == [str(folder / "empty.html"), str(folder / "junk.html")]
    # Running it again reports the same and changes nothing, not even when the rejection was noted.
    again = run("ingest", folder, "--db", db_path)
    assert "2 unchanged" in again.stdout and "2 rejected" in again.stdout
    assert (
        sqlite3.connect(db_path).execute("SELECT path, reason, at FROM rejects ORDER BY path").fetchall()
        == rejects
    )


def test_ingest_missing_path_is_a_usage_error(db_path):
    result = run("ingest", "no/such/folder", "--db", db_path)
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
    assert not db_path.exists()


def test_search_json_shape_and_ranking(seeded):
    result = run("search", "smuggling", "--json", "--db", seeded)
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [(r["briefing_id"], r["seq"], r["speaker"], r["kind"]) for r in rows] == [
        (SCIO_ID, 2, "Sun Meijun", "statement")
    ]
    row = rows[0]
    for key in ("briefing_id", "date", "title", "seq", "speaker", "kind", "snippet", "text", "url"):
        assert key in row
    assert "<mark>smuggling</mark>" in row["snippet"]
    assert row["date"] == "2025-08-25"
    assert row["url"] == "https://english.scio.gov.cn/m/pressroom/2025-12/16/content_118230968.html"


def test_search_filters(seeded):
    def ids(*args):
        return [
            (r["speaker"], r["seq"])
            for r in json.loads(run("search", *args, "--json", "--db", seeded).stdout)
        ]

    assert ids("customs", "--speaker", "Wang Lingjun") == [("Wang Lingjun", 1)]
    assert ids("customs", "--source", "scio", "--kind", "statement") == [("Sun Meijun", 2)]
    assert ids("customs", "--until", "2025-01-31") == [("Wang Lingjun", 1)]
    assert ids("customs", "--since", "2025-02") == [("Sun Meijun", 2)]
    # The chair's procedural turns are left out unless asked for.
    assert ids("floor") == []
    assert sorted(ids("floor", "--all-kinds")) == [("Shou Xiaoli", 1), ("Shou Xiaoli", 3)]


def test_search_phrase_and_punctuation(seeded):
    found = json.loads(run("search", '"Belt and Road Initiative"', "--json", "--db", seeded).stdout)
    assert [r["speaker"] for r in found] == ["Sun Meijun"]
    assert run("search", 'U.S. COVID-19 "', "--db", seeded).exit_code == 0
    none = run("search", "zebra", "--db", seeded)
    assert none.exit_code == 0 and none.stdout == "No turns match.\n"


def test_search_terminal_table(seeded):
    result = run("search", "smuggling", "--db", seeded)
    assert result.exit_code == 0
    assert "Sun Meijun" in result.stdout and "scio-118230968#2" in result.stdout
    assert "smuggling" in result.stdout


def test_empty_query_is_a_usage_error(seeded):
    result = run("search", " ... ", "--db", seeded)
    assert result.exit_code == 2
    assert "empty query" in result.stderr


def test_raw_query_syntax_error(seeded):
    result = run("search", "AND OR (", "--raw", "--db", seeded)
    assert result.exit_code == 2
    assert "cannot understand the query" in result.stderr
    assert "Traceback" not in result.output


def test_list_json_newest_first(seeded):
    rows = json.loads(run("list", "--json", "--db", seeded).stdout)
    assert [(r["date"], r["source"], r["turns"]) for r in rows] == [
        ("2025-08-25", "scio", 3),
        ("2025-01-13", "gac", 1),
    ]
    assert rows[0]["id"] == SCIO_ID and rows[0]["incomplete"] is True
    for key in ("id", "date", "title", "source", "url", "turns"):
        assert key in rows[0]


def test_list_filters(seeded):
    def ids(*args):
        return [r["source"] for r in json.loads(run("list", *args, "--json", "--db", seeded).stdout)]

    assert ids("--speaker", "Sun Meijun") == ["scio"]
    assert ids("--speaker", "Wang Lingjun") == ["gac"]
    assert ids("--since", "2025-06") == ["scio"]
    assert ids("--source", "mfa") == []


def test_bad_date_is_a_usage_error(seeded):
    result = run("list", "--since", "2025-02-30", "--db", seeded)
    assert result.exit_code == 2
    assert "'2025-02-30' is not a real date" in result.stderr


def test_speakers(seeded):
    rows = json.loads(run("speakers", "--json", "--db", seeded).stdout)
    by_name = {r["name"]: r for r in rows}
    assert by_name["Shou Xiaoli"]["turns"] == 2
    assert by_name["Sun Meijun"] == {
        "name": "Sun Meijun",
        "kind": "person",
        "turns": 1,
        "briefings": 1,
        "first": "2025-08-25",
        "last": "2025-08-25",
        "roles": ["minister of the General Administration of Customs (GAC)"],
        "aliases": [],
    }


def test_speakers_resolve_spellings_to_one_outlet(db_path, corpus_en):
    assert run("ingest", corpus_en, "--db", db_path).exit_code == 0
    rows = {r["name"]: r for r in json.loads(run("speakers", "--json", "--db", db_path).stdout)}
    assert "Bloomberg News" not in rows and "Agence France-Presse" not in rows
    assert rows["Bloomberg"]["kind"] == "outlet" and "Bloomberg News" in rows["Bloomberg"]["aliases"]
    assert rows["Geng Shuang"]["roles"] == ["Foreign Ministry spokesperson"]
    # Any spelling finds the same turns.
    by_alias = json.loads(
        run("search", "Taiwan", "--speaker", "Bloomberg News", "--json", "--db", db_path).stdout
    )
    by_name = json.loads(run("search", "Taiwan", "--speaker", "Bloomberg", "--json", "--db", db_path).stdout)
    assert by_alias == by_name and by_name and {r["speaker"] for r in by_name} == {"Bloomberg"}


def test_show(seeded):
    result = run("show", SCIO_ID, "--db", seeded)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert (
        lines[0]
        == "SCIO briefing series on 'high-quality achievements during the 14th Five-Year Plan period': Customs"
    )
    assert lines[1] == "2025-08-25 (published 2025-12-16) · scio · scio-118230968"
    assert "Incomplete: page(s) 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 missing" in result.stdout


def test_unknown_id(seeded):
    result = run("show", "scio-1", "--db", seeded)
    assert result.exit_code == 1
    assert result.stderr == "Error: no briefing with id 'scio-1'; `briefings list` shows the ids\n"
    slip = run("export", "11823096", "--db", seeded)
    assert slip.exit_code == 1
    assert slip.stderr == "Error: no briefing with id '11823096'; did you mean scio-118230968?\n"


def test_read_commands_never_create_an_archive(db_path):
    for args in (
        ["list"],
        ["search", "x"],
        ["speakers"],
        ["show", "x"],
        ["export", "x"],
        ["export", "--all"],
        ["who", "x"],
        ["timeline", "x"],
        ["check"],
        ["check", "--repair"],
    ):
        result = run(*args, "--db", db_path)
        assert result.exit_code == 1
        assert result.stderr == f"Error: no archive at {db_path}; build one with `briefings ingest PATH`\n"
    assert not db_path.exists()


def test_export_json_matches_interface(seeded):
    data = json.loads(run("export", SCIO_ID, "--format", "json", "--db", seeded).stdout)
    assert data["id"] == SCIO_ID and data["source"] == "scio" and data["language"] == "en"
    assert [t["seq"] for t in data["turns"]] == [1, 2, 3]
    assert data["turns"][0] | {"text": None} == {
        "seq": 1,
        "label": "Shou Xiaoli",
        "speaker": "Shou Xiaoli",
        "role": "director general of the Press Bureau of the State Council Information Office (SCIO) and spokesperson of the SCIO",
        "kind": "moderator",
        "outlet": None,
        "answers": None,
        "also_asked": [],
        "page": 1,
        "text": None,
        "counterpart": [],
        "counterpart_score": None,  # no other-language version stored
    }
    assert data["counterpart"] is None
    assert data["participants"][0] == {
        "name": "Sun Meijun",
        "role": "minister of the General Administration of Customs (GAC)",
        "kind": "official",
    }


def test_export_markdown_is_citable(seeded):
    md = run("export", SCIO_ID, "--db", seeded).stdout
    lines = md.splitlines()
    assert (
        lines[0]
        == "# SCIO briefing series on 'high-quality achievements during the 14th Five-Year Plan period': Customs"
    )
    assert "- **Date:** 2025-08-25" in lines
    assert (
        "- **Source:** <https://english.scio.gov.cn/m/pressroom/2025-12/16/content_118230968.html>" in lines
    )
    assert (
        "- Shou Xiaoli (chairperson), director general of the Press Bureau of the State Council Information Office (SCIO) and spokesperson of the SCIO"
        in lines
    )
    assert "**Sun Meijun** (minister of the General Administration of Customs (GAC); statement)" in lines
    tokens = MarkdownIt("commonmark").parse(md)
    # html_inline tokens are children of the inline tokens, never at the top level: walk both.
    every = [t for top in tokens for t in (top, *(top.children or []))]
    assert any(t.type == "text" for t in every)
    assert not [t for t in every if t.type in ("html_block", "html_inline")]
    assert [t.content for t in tokens if t.type == "inline"][0].startswith("SCIO briefing series")


def test_export_to_file_refuses_to_overwrite(seeded, tmp_path):
    out = tmp_path / "b.md"
    assert run("export", SCIO_ID, "-o", out, "--db", seeded).exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("# SCIO briefing")
    again = run("export", SCIO_ID, "-o", out, "--db", seeded)
    assert again.exit_code == 1
    assert again.stderr == f"Error: {out} exists; use --force to overwrite it\n"
    assert run("export", SCIO_ID, "-o", out, "--force", "--format", "json", "--db", seeded).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["id"] == SCIO_ID


def test_help_everywhere():
    for command in ("ingest", "search", "list", "speakers", "show", "export"):
        result = run(command, "-h")
        assert result.exit_code == 0
        assert "Example" in result.stdout, command


def test_not_an_archive(tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello, this is not SQLite " * 100)
    result = run("list", "--db", bogus)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {bogus} is not a briefings archive (not a SQLite database)\n"


def test_what_reuters_asked_about_taiwan_and_who_answered(db_path, corpus_en):
    assert run("ingest", corpus_en, "--db", db_path).exit_code == 0
    rows = json.loads(
        run(
            "search",
            "Taiwan",
            "--outlet",
            "Reuters",
            "--kind",
            "question",
            "--since",
            "2020",
            "--json",
            "--db",
            db_path,
        ).stdout
    )
    hits = {(r["briefing_id"], r["seq"]): r["answered_by"] for r in rows}
    assert hits[("mfa-1778378", 6)] == [{"seq": 7, "speaker": "Zhao Lijian"}]
    assert all(r["outlet"] == "Reuters" and r["kind"] == "question" for r in rows)
    table = run("search", "Taiwan outlet:Reuters kind:question since:2020", "--db", db_path).stdout
    assert "answered by Zhao Lijian (#7)" in table


def test_terminal_output_never_carries_a_control_character_from_the_archive(seeded):
    """An archive written by hand (or by an older version) may hold ESC or BEL in its text;
    the terminal gets the words without them."""
    with sqlite3.connect(seeded) as conn:
        conn.execute(
            "UPDATE turns SET text = text || ' \x1b[2J\x1b]2;owned\x07smuggling', label = label || '\x1b[31m'"
            " WHERE seq = 2 AND briefing_pk = (SELECT pk FROM briefings WHERE id = ?)",
            (SCIO_ID,),
        )
        conn.execute("UPDATE briefings SET title = title || '\x9b31m' WHERE id = ?", (SCIO_ID,))
    for args in (["show", SCIO_ID], ["search", "owned"], ["list"], ["speakers"], ["who", "smuggling"]):
        result = run(*args, "--db", seeded)
        assert result.exit_code == 0, (args, result.output)
        assert not any(c in result.stdout for c in "\x1b\x07\x9b"), args
    assert "[2J]2;owned" in run("show", SCIO_ID, "--db", seeded).stdout
