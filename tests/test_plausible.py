"""What is a transcript, what is its title, and its words as published."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefings import screen
from briefings.changes import diff
from briefings.cli import cli
from briefings.dates import find_date
from briefings.ingest import parse_paths
from briefings.models import Briefing, Rejected
from briefings.sources.base import is_title_line
from briefings.store import Archive
from briefings.text import clean_line, fold
from conftest import CORPUS, FIXTURES, ROOT
from helpers import entities, parse_one

QA = (
    "Q: What did the minister say about the port?\nA: He said the port will reopen next week.\n"
    "Q: And the tariffs?\nA: Those stay.\n"
)


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


# -- 1. no first paragraph lost --------------------------------------------------------------------------------


def test_a_text_dump_that_opens_with_a_question_keeps_it_as_a_turn(tmp_path):
    (tmp_path / "dump.txt").write_text(QA, encoding="utf-8")
    b = parse_one(tmp_path / "dump.txt")
    assert b.title == ""
    assert [(t.kind, t.text) for t in b.turns] == [
        ("question", "What did the minister say about the port?"),
        ("answer", "He said the port will reopen next week."),
        ("question", "And the tariffs?"),
        ("answer", "Those stay."),
    ]


def test_a_page_with_no_title_element_keeps_its_first_paragraph(tmp_path):
    paragraphs = "".join(f"<p>{line}</p>" for line in QA.splitlines())
    (tmp_path / "page.html").write_text(
        f"<html><body><div>{paragraphs}</div></body></html>", encoding="utf-8"
    )
    b = parse_one(tmp_path / "page.html")
    assert b.title == "" and len(b.turns) == 4
    assert b.turns[0].text == "What did the minister say about the port?"


def test_a_title_line_is_still_taken_for_the_title(tmp_path):
    (tmp_path / "dump.txt").write_text(
        "Harbour Authority press briefing on May 13, 2024\n" + QA, encoding="utf-8"
    )
    b = parse_one(tmp_path / "dump.txt")
    assert (b.title, len(b.turns)) == ("Harbour Authority press briefing on May 13, 2024", 4)


def _seed_titles() -> list[str]:
    """The first line after the page chrome of each seed dump: its title, as its sidecar describes it."""
    from briefings.sources import base

    titles = []
    for page in sorted((ROOT / "data" / "raw" / "seeds").glob("*.txt")):
        lines = [ln for ln in (clean_line(x) for x in page.read_text(encoding="utf-8").splitlines()) if ln]
        titles.append(base.chrome.clean(lines)[0][0])
    return titles


@pytest.mark.parametrize(
    "line",
    [
        *_seed_titles(),
        "Foreign Ministry Spokesperson Hua Chunying's Regular Press Conference on December 18, 2018",
        "Online Interview: Customs Support for Cross-border E-commerce Exports",
        "2020年9月2日外交部发言人汪文斌主持例行记者会",
    ],
)
def test_lines_that_are_titles(line):
    assert is_title_line(line, entities())


@pytest.mark.parametrize(
    "line",
    [
        "Q: What did the minister say about the port?",
        "Q: Tariffs",  # a label, however short what follows
        "Follow\u2011up: and the tariffs",
        "Reuters: the tariffs",  # a known outlet
        "Hua Chunying: the tariffs",  # a known person
        "Shou Xiaoli:",
        "Ladies and gentlemen, good morning. Welcome to this press conference.",
        "Will the port reopen?",
        "Aug. 25, 2025",
        "Speakers: Mr. Li Hua, director",
        "x" * 201,
    ],
)
def test_lines_that_are_not_titles(line):
    assert not is_title_line(line, entities())


def test_list_show_and_export_say_a_briefing_has_no_title(tmp_path, db_path):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "dump.txt").write_text(QA, encoding="utf-8")
    assert run("ingest", tmp_path / "raw", "--db", db_path).exit_code == 0
    [row] = json.loads(run("list", "--db", db_path, "--json").stdout)
    assert row["title"] == ""
    assert "(no title)" in run("list", "--db", db_path).stdout
    shown = run("show", row["id"], "--db", db_path)
    assert shown.exit_code == 0 and shown.stdout.splitlines()[0] == "(no title)"
    assert "What did the minister say about the port?" in shown.stdout
    exported = run("export", row["id"], "--db", db_path)
    assert exported.exit_code == 0 and exported.stdout.startswith("# (no title)\n")


# -- 2. non-transcripts rejected --------------------------------------------------------------------------------


def _machine_files(tmp_path: Path) -> Path:
    """Real files of this machine that are no transcripts, copied so that the test reads fixed bytes."""
    out = tmp_path / "files"
    out.mkdir()
    found = []
    if Path("/etc/passwd").is_file():
        found.append((Path("/etc/passwd"), "passwd"))
    doc = Path("/usr/share/doc")
    for name in ("copyright", "README", "changelog.Debian.gz", "NEWS.gz"):
        found += [(p, f"{p.parent.name}-{p.name}") for p in sorted(doc.glob(f"*/{name}"))[:4]]
    found += [(p, p.name) for p in sorted(Path("/usr/share/distro-info").glob("*.csv"))[:1]]
    for path, name in found:
        try:
            body = path.read_bytes()
        except OSError:
            continue
        if name.endswith(".gz"):
            body, name = gzip.decompress(body), name[:-3]
        (out / name).write_bytes(body)
    if len(list(out.iterdir())) < 5:
        pytest.skip("too few system files (/etc/passwd, /usr/share/doc) on this machine")
    return out


def test_system_files_are_skipped_as_not_transcripts(tmp_path, db_path):
    files = _machine_files(tmp_path)
    result = run("ingest", files, "--db", db_path, "--json")
    # Nothing was stored and nothing was a transcript: the ingest failed, and says so
    assert result.exit_code == 1
    report = json.loads(result.stdout.split("\nError: ")[0])
    assert report["added"] == 0 and report["rejected"] == [], report
    assert report["pages"] >= 5 and len(report["skipped"]) == report["pages"]
    for item in report["skipped"]:
        assert item["reason"].startswith("not a transcript: no roster of speakers, "), item


def test_verbose_ingest_says_what_a_non_transcript_lacks(tmp_path, db_path):
    (tmp_path / "copyright").write_text(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: zlib\n\n"
        "Files: *\nCopyright: 1995-2013 Jean-loup Gailly and Mark Adler\nLicense: Zlib\n",
        encoding="utf-8",
    )
    quiet = run("ingest", tmp_path / "copyright", "--db", db_path)
    assert quiet.exit_code == 1 and "0 briefings from 1 page," in quiet.output and "1 skipped" in quiet.output
    assert "Error: nothing stored: the one input is not a transcript (-v says why)" in quiet.output
    listing = run("ingest", CORPUS / "en" / "default.html", "--db", db_path)
    if (CORPUS / "en").is_dir():  # a listing page is skipped too, but it is no failure
        assert listing.exit_code == 0 and "1 skipped" in listing.output
    loud = run("ingest", tmp_path / "copyright", "--db", db_path, "-v")
    assert (
        f"skipped {tmp_path / 'copyright'}: not a transcript: no roster of speakers, no speaker labels the "
        "archive knows"
    ) in loud.output
    assert "no dated title or date line" in loud.output


def test_a_date_alone_makes_no_transcript_nor_one_answer(tmp_path):
    """A release note with a dated title, a README with one `A:`: not exchanges."""
    with pytest.raises(Rejected, match="a date but no labelled turns") as exc:
        _ingest_parse(tmp_path, "libpng 1.6.39 - November 20, 2022\nThis is a public release of libpng.\n")
    assert exc.value.skip
    with pytest.raises(Rejected, match="one speaker label the archive knows"):
        _ingest_parse(tmp_path, "Algorithm::Diff\nA: the longest common subsequence.\nSee the manual.\n")


def _ingest_parse(folder, text: str):
    """A notes file through ingest's own grouping and parsing (which screens the text)."""
    from briefings.ingest import parse, plan

    (folder / "notes.txt").write_text(text, encoding="utf-8")
    with plan([folder / "notes.txt"]) as p:
        (g,) = p.groups()
        return parse(g, entities(), p.manifests)


def _real_folders() -> list[Path]:
    return [f for f in (CORPUS / "en", CORPUS / "zh", CORPUS / "zh-2020s") if f.is_dir()]


def test_every_real_page_and_fixture_is_still_a_transcript():
    """The gate after parsing lets through every real page and every transcript fixture: only the
    listing pages and notices the sites' screens name are left out, as before the gate."""
    folders = [*_real_folders(), ROOT / "data" / "raw", FIXTURES / "constructed"]
    stored = 0
    for _g, result in parse_paths(folders, entities()):
        if isinstance(result, Rejected):
            assert result.skip and ("listing page" in result.reason or "notice" in result.reason), (
                result.path,
                result.reason,
            )
            continue
        stored += 1
        screen.check_transcript(result)  # parse_paths has passed it; and again without help from its URL:
        if result.source == "text" or not result.url:
            screen.check_transcript(replace(result, url=None))
    assert stored >= 2 + 12  # the seeds and the constructed transcripts, at least
    if not _real_folders():
        pytest.skip("../shared/corpus/mfa is not present: only the seeds and fixtures were read")


def test_a_spokespersons_statement_is_the_sites_own_page():
    """外交部发言人就...发表谈话 names no speaker and no day: the site's URL is what vouches for it."""
    folder = CORPUS / "zh-2020s"
    if not folder.is_dir():
        pytest.skip("../shared/corpus/mfa/zh-2020s is not present")
    statements = [
        r
        for _, r in parse_paths([folder], entities())
        if isinstance(r, Briefing)
        and not r.participants
        and "发言人" in r.title
        and not any(t.label for t in r.turns)
    ]
    assert statements
    for b in statements:  # the day it gives is the page's own date, which the page shows beside its URL
        with pytest.raises(Rejected, match="not a transcript"):
            screen.check_transcript(replace(b, url=None, date=None))


# -- 3. words as published --------------------------------------------------------------------------------------

HTML_PAGE = FIXTURES / "constructed" / "scio_desktop_html"


def test_stored_text_keeps_the_pages_quotes_and_tidies_its_spacing():
    b = next(b for _, b in parse_paths([HTML_PAGE], entities()) if isinstance(b, Briefing))
    text = "\n".join(t.text for t in b.turns)
    assert "I’ll give the floor" in text and "“sky, air and ground”" in text
    assert not any(c in text for c in "\u00a0\u2002\u3000")  # spacing is layout: one plain space
    reuters = [t for t in b.turns if t.label == "Reuters"]  # printed "Reuters:" + U+3000
    assert reuters and all(t.speaker == "Reuters" and t.kind == "question" for t in reuters)


def test_labels_and_dates_are_matched_with_their_marks_folded(tmp_path):
    (tmp_path / "dump.txt").write_text(
        "Harbour Authority press briefing\nDate: 2024\u201105\u201113\nQ: Will the “new” terminal open?\n"
        "A: It opens in June.\nFollow\u2011up: And the ferry\u2019s timetable?\nA: It stays.\n",
        encoding="utf-8",
    )
    b = parse_one(tmp_path / "dump.txt")
    assert b.date == "2024-05-13"
    assert [(t.label, t.kind) for t in b.turns] == [
        ("Q", "question"),
        ("A", "answer"),
        ("Follow\u2011up", "question"),
        ("A", "answer"),
    ]
    assert (
        b.turns[0].text == "Will the “new” terminal open?" and b.turns[2].text == "And the ferry’s timetable?"
    )
    assert find_date("2024\u201105\u201113") == "2024-05-13"


def test_search_with_straight_quotes_finds_curly_ones(tmp_path, db_path):
    assert run("ingest", HTML_PAGE, "--db", db_path).exit_code == 0
    for query in ('"sky, air and ground"', "park's brand", "“sky, air and ground”"):
        hits = json.loads(run("search", query, "--db", db_path, "--json", "--all-kinds").stdout)
        assert hits, query
        assert all("’" in h["text"] or "“" in h["text"] for h in hits), query


def test_a_change_in_marks_alone_is_no_change():
    meta = {
        "title": "Briefing on the “new” port",
        "date": "2025-01-01",
        "published": None,
        "missing_pages": [],
    }
    old = [{"seq": 1, "speaker": "Lin", "kind": "answer", "text": 'The "new" port\u00a0opens; it\'s ready.'}]
    new = [{"seq": 1, "speaker": "Lin", "kind": "answer", "text": "The “new” port opens; it’s ready."}]
    assert diff(dict(meta, title='Briefing on the "new" port'), old, meta, new) == []
    edited = [dict(new[0], text="The “new” port opens; it’s nearly ready.")]
    assert [r["change"] for r in diff(meta, old, meta, edited)] == ["changed"]


def test_an_archive_of_folded_text_ingested_again_records_no_change(tmp_path, db_path):
    """An archive stored when text was folded: the new parse writes the page's marks, and
    `quality` lists no change, for no word changed."""
    (g,) = [g for g, _ in parse_paths([HTML_PAGE], entities())]
    b = next(r for _, r in parse_paths([HTML_PAGE], entities()) if isinstance(r, Briefing))
    folded = replace(b, fingerprint="0" * 64, turns=tuple(replace(t, text=fold(t.text)) for t in b.turns))
    with Archive(db_path, write=True) as archive:
        assert archive.save(folded) == "added"
        assert archive.save(b) == "updated"
        assert archive.db.execute("SELECT count(*) FROM changes").fetchone()[0] == 0
        texts = [r[0] for r in archive.db.execute("SELECT text FROM turns ORDER BY seq")]
    assert texts == [t.text for t in b.turns] and any("’" in t for t in texts)
    del g
