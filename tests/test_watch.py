"""`briefings watch`: saved searches over real press conferences, what each shows as new
or changed, its Markdown digest and Atom feed, and its place in a backup."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

from briefings.cli import cli

URL = "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t{}.shtml"
WAS, NOW = "No country in the world would tolerate", "No country anywhere would tolerate"
ATOM = "{http://www.w3.org/2005/Atom}"


def run(*args, db):
    return CliRunner().invoke(cli, [str(a) for a in args] + ["--db", str(db)])


def ok(*args, db):
    result = run(*args, db=db)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def pages(corpus_en):
    return {n: corpus_en / f"t{n}.html" for n in ("1780283", "1781773", "1784166", "1785898")}


def edited(tmp_path, original, old: str, new: str):
    """A copy of a recorded page the site has corrected: the same URL, other words."""
    folder = tmp_path / f"corrected-{original.stem}"
    folder.mkdir(exist_ok=True)
    body = original.read_bytes()
    assert body.count(old.encode()) == 1
    copy = folder / original.name
    copy.write_bytes(body.replace(old.encode(), new.encode()))
    number = original.stem[1:]
    (folder / (original.name + ".meta.json")).write_text(
        json.dumps({"url": URL.format(number), "source": "mfa"})
    )
    return copy


def hits(db, *args) -> list[dict]:
    return json.loads(ok("watch", "run", *args, "--json", db=db).stdout)


def test_every_watch_command_has_help_with_an_example():
    for command in (
        ["update"],
        ["watch"],
        ["watch", "add"],
        ["watch", "list"],
        ["watch", "remove"],
        ["watch", "run"],
    ):
        result = CliRunner().invoke(cli, [*command, "-h"])
        assert result.exit_code == 0 and "Example" in result.stdout, command


def test_add_list_remove_and_one_line_errors(pages, db_path):
    ok("ingest", pages["1780283"], db=db_path)
    added = ok("watch", "add", "hk", '"Hong Kong"', "--kind", "answer", db=db_path)
    assert added.stdout.startswith("watch hk saved: 1 turn match now;")
    cases = [
        (("watch", "add", "hk", "Taiwan"), 1, "a watch named 'hk' already exists"),
        (("watch", "add", "empty", "  "), 2, "empty query"),
        (("watch", "add", "bad", "Taiwan kind:nosuch"), 2, "kind:nosuch is not a kind of turn"),
        (("watch", "add", "", "Taiwan"), 1, "a watch needs a name"),
        (("watch", "run", "nosuch"), 1, "no watch named 'nosuch'"),
        (("watch", "remove", "nosuch"), 1, "no watch named 'nosuch'"),
        (("watch", "run", "--md", "--json"), 2, "choose one of"),
        (("watch", "add", "neg", "-Taiwan"), 2, "goes after --, as in briefings watch add NAME -- -Taiwan"),
    ]
    for args, code, words in cases:
        result = run(*args, db=db_path)
        assert result.exit_code == code, (args, result.output)
        assert len(result.stderr.splitlines()) == 1 and words in result.stderr, result.stderr
    listed = json.loads(ok("watch", "list", "--json", db=db_path).stdout)
    assert [(w["name"], w["query"], w["filters"], w["seen"]) for w in listed] == [
        ("hk", '"Hong Kong"', {"kind": "answer"}, 1)
    ]
    assert ok("watch", "remove", "hk", db=db_path).stdout == "removed watch hk\n"
    assert json.loads(ok("watch", "list", "--json", db=db_path).stdout) == []


def test_a_watch_takes_the_filters_of_search(pages, db_path):
    ok("ingest", pages["1780283"], db=db_path)
    ok(
        "watch",
        "add",
        "zhao",
        "security since:2020-05",
        "--speaker",
        "Zhao Lijian",
        "--kind",
        "answer",
        db=db_path,
    )
    assert hits(db_path) == []  # what the archive held when it was added counts as seen
    ok("ingest", pages["1784166"], pages["1785898"], db=db_path)
    found = hits(db_path)
    expected = json.loads(
        ok(
            "search", "security since:2020-05", "--speaker", "Zhao Lijian", "--kind", "answer",
            "--limit", "0", "--json", db=db_path,
        ).stdout
    )  # fmt: skip
    expected = {(h["briefing_id"], h["seq"]) for h in expected if h["briefing_id"] != "mfa-1780283"}
    assert expected and {(h["briefing_id"], h["seq"]) for h in found} == expected
    assert all(
        h["speaker"] == "Zhao Lijian" and h["kind"] == "answer" and h["status"] == "new" for h in found
    )
    assert hits(db_path) == []


def test_a_corrected_turn_is_changed_with_its_old_words_and_a_renumbered_one_is_not_shown(
    pages, db_path, tmp_path
):
    ok("ingest", pages["1780283"], pages["1781773"], db=db_path)
    ok("watch", "add", "hk", '"Hong Kong"', db=db_path)
    ok("watch", "add", "world", '"No country in the world would tolerate"', db=db_path)
    # The site corrects one answer of May 22, and drops May 18's first exchange, which
    # renumbers the turns after it.
    may18 = pages["1780283"].read_text("utf-8")
    first = re.search(r"<P[^>]*><B>CCTV: Health ministers.*?(?=<P[^>]*><B>The Australian)", may18, re.S)
    assert first and first.group(0).count("<P") == 4
    ok(
        "ingest",
        edited(tmp_path, pages["1781773"], WAS, NOW),
        edited(tmp_path, pages["1780283"], first.group(0), ""),
        db=db_path,
    )
    found = hits(db_path, "hk", "--dry-run")
    assert [(h["briefing_id"], h["status"], h["matches"]) for h in found] == [
        ("mfa-1781773", "changed", True)
    ]
    (hit,) = found
    assert WAS in hit["old_text"] and NOW in hit["text"] and hit["old_text"].replace(WAS, NOW) == hit["text"]
    assert hit["changes"] == [{"old": "in the world", "new": "anywhere"}]

    # The watch for the words the site took out shows the turn it had shown, as changed.
    (away,) = hits(db_path, "world", "--dry-run")
    assert (away["briefing_id"], away["seq"]) == (hit["briefing_id"], hit["seq"])
    assert (away["status"], away["matches"], away["old_text"], away["text"]) == (
        "changed", False, hit["old_text"], hit["text"]
    )  # fmt: skip

    digest = ok("watch", "run", "hk", "--md", "--dry-run", db=db_path).stdout
    assert "Changed: 2020-05-22, Zhao Lijian (answer), mfa-1781773" in digest
    assert "- was: in the world; now: anywhere" in digest
    html = MarkdownIt().render(digest)
    assert "<h3>Changed: 2020-05-22" in html and "<blockquote>" in html and NOW in html and WAS in html

    table = ok("watch", "run", db=db_path).stdout
    assert "changed" in table and "anywhere" in table
    assert hits(db_path) == [] and ok("watch", "run", "--md", db=db_path).stdout == ""


def feed_entries(path) -> list[ET.Element]:
    root = ET.parse(path).getroot()
    assert root.tag == ATOM + "feed"
    for tag in ("id", "title", "updated"):
        assert (root.findtext(ATOM + tag) or "").strip(), tag
    assert root.find(ATOM + "author") is not None  # RFC 4287: a feed's author, or every entry's
    entries = root.findall(ATOM + "entry")
    for e in entries:
        for tag in ("id", "title", "updated"):
            assert (e.findtext(ATOM + tag) or "").strip(), tag
        assert re.fullmatch(r"tag:briefings,2026:mfa-\d+/\d+/[0-9a-f]{16}", e.findtext(ATOM + "id"))
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", e.findtext(ATOM + "updated"))
        assert e.find(ATOM + "content").get("type") == "text"
    ids = [e.findtext(ATOM + "id") for e in entries]
    assert len(ids) == len(set(ids))
    return entries


def test_the_atom_feed_keeps_each_hit_once_across_runs(pages, db_path, tmp_path):
    feed = tmp_path / "watches.xml"
    ok("ingest", pages["1780283"], db=db_path)
    ok("watch", "add", "hk", '"Hong Kong"', db=db_path)
    ok("watch", "add", "council", '"Security Council"', db=db_path)
    ok("ingest", pages["1784166"], db=db_path)
    shown = hits(db_path, "--dry-run")
    ok("watch", "run", "--atom", feed, db=db_path)
    entries = feed_entries(feed)
    # A turn both watches found is one entry, with both watches as categories.
    assert len(entries) == len({h["id"] for h in shown}) < len(shown)
    both = [e for e in entries if len(e.findall(ATOM + "category")) == 2]
    assert both and {c.get("term") for c in both[0].findall(ATOM + "category")} == {"hk", "council"}

    again = ok("watch", "run", "--atom", feed, db=db_path)
    assert again.output == ""
    assert [e.findtext(ATOM + "id") for e in feed_entries(feed)] == [e.findtext(ATOM + "id") for e in entries]

    ok("ingest", edited(tmp_path, pages["1781773"], WAS, NOW), db=db_path)
    ok("watch", "run", "--atom", feed, db=db_path)
    later = feed_entries(feed)
    old_ids = {e.findtext(ATOM + "id") for e in entries}
    added = [e for e in later if e.findtext(ATOM + "id") not in old_ids]
    assert added and later[: len(added)] == added  # the new ones first, the earlier ones kept
    assert {e.findtext(ATOM + "id") for e in later} >= old_ids

    (tmp_path / "notes.xml").write_text("<html><body>mine</body></html>")
    refused = run("watch", "run", "--atom", tmp_path / "notes.xml", db=db_path)
    assert refused.exit_code == 1 and "is not an Atom feed of watches" in refused.stderr
    assert (tmp_path / "notes.xml").read_text() == "<html><body>mine</body></html>"


def test_watches_survive_backup_and_restore(pages, db_path, tmp_path):
    ok("ingest", pages["1780283"], db=db_path)
    ok("watch", "add", "hk", '"Hong Kong"', "--speaker", "Zhao Lijian", db=db_path)
    ok("watch", "add", "raw", "security NOT Taiwan", "--raw", db=db_path)
    ok("ingest", pages["1784166"], db=db_path)
    ok("watch", "run", "hk", db=db_path)  # hk has seen more than it was added with
    backup = tmp_path / "backup.jsonl"
    written = ok("export", "--all", "-o", backup, db=db_path)
    assert written.stderr == f"wrote 2 briefings to {backup}\n"
    assert [
        json.loads(line)["name"] for line in backup.read_text().splitlines() if '"type":"watch"' in line
    ] == [
        "hk",
        "raw",
    ]

    restored = tmp_path / "restored.db"
    ok("ingest", backup, db=restored)
    listed = json.loads(ok("watch", "list", "--json", db=db_path).stdout)
    assert json.loads(ok("watch", "list", "--json", db=restored).stdout) == listed
    ok("ingest", backup, db=restored)  # again: nothing changes
    assert json.loads(ok("watch", "list", "--json", db=restored).stdout) == listed

    ok("ingest", pages["1785898"], db=db_path)
    ok("ingest", pages["1785898"], db=restored)
    assert hits(restored) == hits(db_path)
    assert hits(restored) == []


def test_a_damaged_watch_line_in_a_backup_is_rejected_with_its_line(db_path, tmp_path):
    backup = tmp_path / "b.jsonl"
    backup.write_text(json.dumps({"type": "watch", "name": "x", "query": "", "seen": []}) + "\n")
    result = run("ingest", backup, db=db_path)
    assert "line 1 is not a briefing: a watch with an empty query" in result.stderr
