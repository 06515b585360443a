"""Nothing cut short in silence, and a query's cost bounded by its length.

`search`, `who`, `list` and `speakers` print a page (--limit, 0 for all;
--offset to page on) and, when more results exist than were printed, say how
many and how to get them: under the table, or on stderr when stdout is JSON,
NDJSON or CSV. Queries of any length are answered in time linear in their
length, or refused naming the limit; that is asserted here by what is sent to
SQLite, never by a clock (bench/run.py times a long query).
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from click.testing import CliRunner

from briefings import query
from briefings.cli import cli
from briefings.models import Briefing, Participant, Turn
from briefings.sqlite import sqlite3
from briefings.store import Archive
from test_search import Recording, loop_order, statistics

SPEAKERS = ("Geng Shuang", "Hua Chunying", "Lu Kang")
OUTLETS = ("Reuters", "AFP", "Bloomberg", "CCTV")


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def briefings():
    """Twelve briefings, 95 turns that say Taiwan (a chair's turn too, left out), the
    rest not: answers of three spokespersons, questions of four outlets."""
    made, out = 0, []
    for i in range(12):
        turns = [
            Turn(
                seq=1,
                label="Chair",
                speaker="Chair",
                role=None,
                kind="moderator",
                outlet=None,
                text="Questions on Taiwan, please.",
            )
        ]
        for seq in range(2, 12):
            asking = seq % 2 == 0
            speaker = OUTLETS[(i + seq) % 4] if asking else SPEAKERS[(i + seq) % 3]
            says = made < 95 and (i * 10 + seq) % 8 != 1
            made += says
            words = " ".join(["cooperation"] * ((i + seq) % 5)) + " and trade"
            text = f"On Taiwan {words}, said on day {i}." if says else f"On {words} only, day {i}."
            turns.append(
                Turn(
                    seq=seq,
                    label=speaker,
                    speaker=speaker,
                    role=None,
                    kind="question" if asking else "answer",
                    outlet=speaker if asking else None,
                    text=text,
                )
            )
        out.append(
            Briefing(
                id=f"mfa-{100 + i}",
                source="mfa",
                url=None,
                title=f"Press conference {i}",
                date=f"2019-{i + 1:02d}-10",
                published=None,
                language="en",
                fingerprint=str(i),
                participants=(Participant(name="Wang Yi", role=None, kind="official"),),
                turns=tuple(turns),
            )
        )
    assert made == 95
    return out


@pytest.fixture(scope="module")
def paged(tmp_path_factory):
    db = tmp_path_factory.mktemp("paged") / "archive.db"
    with Archive(db, write=True) as archive:
        for b in briefings():
            archive.save(b)
    return db


def keys(result) -> list[tuple[str, int]]:
    assert result.exit_code == 0, result.output
    return [(r["briefing_id"], r["seq"]) for r in json.loads(result.stdout)]


# -- saying what was left out -------------------------------------------------------------


def test_csv_of_a_page_says_on_stderr_how_many_more_there_are(paged):
    result = run("search", "Taiwan", "--csv", "--db", paged)
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 20 and {r["briefing_id"] for r in rows} <= {f"mfa-{100 + i}" for i in range(12)}
    assert result.stderr == "note: 20 of 95 turns; --limit 0 for all, --offset 20 for the next\n"


@pytest.mark.parametrize("fmt", ["--json", "--nl"])
def test_json_output_stays_pure_and_the_count_goes_to_stderr(paged, fmt):
    result = run("search", "Taiwan", fmt, "-n", "7", "--db", paged)
    out = (
        json.loads(result.stdout)
        if fmt == "--json"
        else [json.loads(line) for line in result.stdout.splitlines()]
    )
    assert isinstance(out, list) and len(out) == 7
    assert result.stderr == "note: 7 of 95 turns; --limit 0 for all, --offset 7 for the next\n"


def test_limit_0_prints_every_hit_and_nothing_else(paged):
    result = run("search", "Taiwan", "--limit", "0", "--json", "--db", paged)
    assert len(keys(result)) == 95 == len(set(keys(result)))
    assert result.stderr == ""
    with Archive(paged) as archive:
        assert query.count_matches(archive.db, "Taiwan", query.Filters()) == 95
    # More than the old ceiling of 10,000 is no longer refused.
    assert run("search", "Taiwan", "--limit", "20000", "--json", "--db", paged).exit_code == 0


def test_the_table_says_under_it_what_is_left_out(paged):
    result = run("search", "Taiwan", "-n", "3", "--offset", "3", "--db", paged)
    assert result.exit_code == 0
    lines = result.stdout.rstrip("\n").splitlines()
    assert (
        lines[-2].startswith("└")
        and lines[-1] == "4-6 of 95 turns; --limit 0 for all, --offset 6 for the next"
    )
    last = run("search", "Taiwan", "-n", "10", "--offset", "90", "--db", paged)
    assert (
        last.stdout.rstrip("\n").splitlines()[-1] == "91-95 of 95 turns; the first 90 skipped (--offset 90)"
    )
    whole = run("search", "Taiwan", "-n", "0", "--db", paged)
    assert whole.stdout.rstrip("\n").splitlines()[-1].startswith("└")


def test_an_offset_past_the_end_says_how_many_there_are(paged):
    result = run("search", "Taiwan", "--offset", "500", "--json", "--db", paged)
    assert result.exit_code == 0 and json.loads(result.stdout) == []
    assert result.stderr == "note: no turns past --offset 500: there are 95; --offset 0 for the first\n"
    table = run("search", "Taiwan", "--offset", "500", "--db", paged)
    assert table.stdout == "no turns past --offset 500: there are 95; --offset 0 for the first\n"
    assert run("search", "nowhere", "--offset", "5", "--db", paged).stdout == "No turns match.\n"


def test_a_page_that_holds_everything_says_nothing_more(paged):
    result = run("search", "Taiwan", "--speaker", "Lu Kang", "--json", "--db", paged)
    assert 0 < len(keys(result)) < 20 and result.stderr == ""


@pytest.mark.parametrize(
    "options",
    [
        [],
        ["--sort", "date"],
        ["--speaker", "Hua Chunying"],
        ["--kind", "question"],
        ["--all-kinds"],
        ["--outlet", "Reuters", "--since", "2019-03"],
    ],
)
@pytest.mark.parametrize("window", [200, 1])
def test_pages_put_together_are_the_whole_list(paged, monkeypatch, options, window):
    # A window of one makes ranking fall back to scoring every match on most pages.
    monkeypatch.setattr(query, "RANK_WINDOW", window)
    whole = keys(run("search", "Taiwan", *options, "-n", "0", "--json", "--db", paged))
    pages, notes = [], []
    for offset in range(0, len(whole) + 7, 7):
        result = run("search", "Taiwan", *options, "-n", "7", "--offset", offset, "--json", "--db", paged)
        pages += keys(result)
        notes.append(result.stderr)
    assert pages == whole
    assert len(whole) == len(set(whole))
    assert all(f" of {len(whole)} turns;" in note or f"there are {len(whole)};" in note for note in notes[1:])


def test_the_total_is_what_every_page_counts(paged, monkeypatch):
    # Told by a short page, by a window that held every match, or counted: always the same.
    for window in (1, 200, 10_000):
        monkeypatch.setattr(query, "RANK_WINDOW", window)
        with Archive(paged) as archive:
            for f in (query.Filters(), query.Filters(speaker="Geng Shuang"), query.Filters(all_kinds=True)):
                counted = query.count_matches(archive.db, "Taiwan", f)
                for limit, offset in ((5, 0), (5, 40), (200, 0), (None, 3)):
                    rows = query.search(archive.db, "Taiwan", f, limit=limit, offset=offset, count=True)
                    assert rows.total == counted, (window, f, limit, offset)


@pytest.mark.parametrize(
    "command, noun, total",
    [(["who", "Taiwan"], "speakers", 7), (["list"], "briefings", 12), (["speakers"], "speakers", 9)],
)
def test_who_list_and_speakers_page_and_say_so(paged, command, noun, total):
    every = run(*command, "--json", "--db", paged)
    assert every.exit_code == 0 and every.stderr == ""
    every = json.loads(every.stdout)
    assert isinstance(every, list) and len(every) == total
    assert json.loads(run(*command, "-n", "0", "--json", "--db", paged).stdout) == every
    first = run(*command, "-n", "3", "--json", "--db", paged)
    assert json.loads(first.stdout) == every[:3]
    assert first.stderr == f"note: 3 of {total} {noun}; --limit 0 for all, --offset 3 for the next\n"
    rest = run(*command, "--offset", "3", "--json", "--db", paged)
    assert json.loads(rest.stdout) == every[3:]
    assert rest.stderr == f"note: 4-{total} of {total} {noun}; the first 3 skipped (--offset 3)\n"
    table = run(*command, "-n", "2", "--db", paged)
    assert table.stdout.rstrip("\n").splitlines()[-1] == (
        f"2 of {total} {noun}; --limit 0 for all, --offset 2 for the next"
    )


def test_list_counts_only_a_full_page_and_with_the_plans_it_is_given(paged):
    with Archive(paged) as archive:
        db = Recording(archive.db)
        rows = query.list_briefings(db, query.Filters(speaker="Geng Shuang"), limit=4, count=True)
        assert len(rows) == 4 and rows.total == 12
        assert sum("COUNT(*)" in sql for sql in db.sql) == 1
        db = Recording(archive.db)
        assert query.list_briefings(db, query.Filters(since="2019-11"), limit=4, count=True).total == 2
        assert not any("COUNT(*)" in sql for sql in db.sql)  # the short page says it


def test_counting_reads_the_index_first(paged, monkeypatch):
    # The count a full page needs is planned like the search (see test_search): from the
    # full-text index, each match's turn and briefing by key, with no statistics.
    monkeypatch.setattr(query, "RANK_WINDOW", 1)
    monkeypatch.setattr(query, "FILTERED_WIDENING", 1)
    conn = sqlite3.connect(paged)
    assert not statistics(conn)
    counted = 0
    for f in (query.Filters(), query.Filters(speaker="Geng Shuang", since="2019-03")):
        with Archive(paged) as archive:
            db = Recording(archive.db)
            query.search(db, "Taiwan", f, limit=2, count=True)
        for sql, params in zip(db.sql, db.params):
            if sql.startswith("SELECT COUNT(*)"):
                loops = loop_order(conn, sql, params)
                assert loops[0].startswith("SCAN turns_fts") and "INTEGER PRIMARY KEY" in loops[1], loops
                counted += 1
    conn.close()
    assert counted == 2


def test_limit_and_offset_must_be_whole_numbers_not_below_0(paged):
    for args in (["-n", "-1"], ["--offset", "-2"], ["-n", "x"]):
        result = run("search", "Taiwan", *args, "--db", paged)
        assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1


# -- queries of any length ----------------------------------------------------------------


def phrases_in(match: str) -> int:
    return len(re.findall(r'"(?:[^"]|"")*"', match))


def test_a_word_given_again_is_searched_once(paged):
    long = " ".join(["Taiwan", "taiwan", "TAIWAN", "trade", "Trade"] * 2000)  # 10,000 words
    assert query.fts_query(long) == '"Taiwan" "trade"'
    assert query.fts_query('"on Taiwan" "On  Taiwan" Taiwan') == '"on Taiwan" "Taiwan"'
    assert query.fts_query("cooperation cooperate") == '"cooperation"'  # one stem
    with Archive(paged) as archive:
        once = query.search(archive.db, "Taiwan trade", query.Filters(), limit=0)
        again = query.search(archive.db, long, query.Filters(), limit=0)
    assert [(r["briefing_id"], r["seq"], r["score"]) for r in again] == [
        (r["briefing_id"], r["seq"], r["score"]) for r in once
    ]


def test_only_the_tokenizer_decides_two_spellings_are_one():
    # Different tokens stay different, however alike they look.
    assert phrases_in(query.fts_query("U.S. US u.s us. U-S")) == 2  # "u s" and "us"
    assert phrases_in(query.fts_query("Straße strasse")) == 2
    assert phrases_in(query.fts_query('"trade war" "trade wars" trade')) == 3


def test_a_pasted_passage_finds_its_turn_and_its_snippet_marks_a_bounded_part(paged, tmp_path):
    text = " ".join(f"word{i} filler{i % 50} and the of" for i in range(1500))  # 7,500 words, 1,553 different
    db = tmp_path / "long.db"
    with Archive(db, write=True) as archive:
        archive.save(
            Briefing(
                id="mfa-9",
                source="mfa",
                url=None,
                title="Long",
                date="2020-01-01",
                published=None,
                language="en",
                participants=(),
                fingerprint="9",
                turns=(
                    Turn(
                        seq=1,
                        label="Lu Kang",
                        speaker="Lu Kang",
                        role=None,
                        kind="statement",
                        outlet=None,
                        text=text,
                    ),
                ),
            )
        )
    with Archive(db) as archive:
        recorded = Recording(archive.db)
        rows = query.search(recorded, text, query.Filters())
    assert [(r["briefing_id"], r["seq"]) for r in rows] == [("mfa-9", 1)]
    ranked = [p["q"] for sql, p in zip(recorded.sql, recorded.params) if "bm25(" in sql]
    marked = [p["q"] for sql, p in zip(recorded.sql, recorded.params) if "snippet(" in sql]
    assert ranked and {phrases_in(q) for q in ranked} == {1553}
    assert marked and {phrases_in(q) for q in marked} == {query.SNIPPET_TERMS}
    assert "\x02word0\x03" in rows[0]["snippet"]


def test_a_query_at_the_limit_runs_and_one_past_it_is_refused(paged):
    at_limit = " ".join(f"w{i}x" for i in range(query.MAX_QUERY_TERMS))
    with Archive(paged) as archive:
        recorded = Recording(archive.db)
        assert query.search(recorded, at_limit + " " + at_limit, query.Filters()) == []
    assert {phrases_in(p["q"]) for p in recorded.params if isinstance(p, dict) and "q" in p} == {
        query.MAX_QUERY_TERMS
    }
    for command in ("search", "who", "timeline"):
        result = run(command, at_limit + " one more", "--db", paged)
        assert result.exit_code == 2
        assert result.stderr == (
            f"Error: a query may hold at most {query.MAX_QUERY_TERMS:,} different words "
            f"and phrases, and this one has {query.MAX_QUERY_TERMS + 2:,}; search for a "
            "shorter part of the text\n"
        )


def test_a_raw_query_has_a_limit_of_its_own(paged):
    at_limit = " OR ".join(["Taiwan"] * 50) + " trade"  # 51 words and 49 operators: 100
    assert keys(run("search", at_limit, "--raw", "-n", "0", "--json", "--db", paged))
    result = run("search", at_limit + " talks", "--raw", "--db", paged)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: a --raw query may hold at most {query.MAX_RAW_WORDS} words, and this one "
        "has 101; drop --raw to search for every word of a longer text\n"
    )


def test_filters_in_a_long_query_are_read_as_one(paged):
    long = " ".join(["Taiwan kind:question", 'speaker:"Reuters"'] * 2500)
    words, filters = query.parse_query(long)
    assert words == " ".join(["Taiwan"] * 2500)
    assert (filters.kind, filters.speaker) == ("question", "Reuters")
    result = run("search", long, "-n", "0", "--json", "--db", paged)
    assert {r["speaker"] for r in json.loads(result.stdout)} == {"Reuters"}


def test_a_count_split_across_cores_is_the_count_in_one_piece(paged, monkeypatch):
    filters = [
        query.Filters(),
        query.Filters(speaker="Geng Shuang"),
        query.Filters(kind="question", since="2019-06"),
    ]
    with Archive(paged) as archive:
        whole = [query.count_matches(archive.db, "Taiwan", f) for f in filters]
    monkeypatch.setattr(query, "PARALLEL_MIN_TURNS", 0)
    monkeypatch.setattr(query, "_cores", lambda: 3)
    split, real = [], query._in_parts
    monkeypatch.setattr(query, "_in_parts", lambda *args: split.append(real(*args)) or split[-1])
    with Archive(paged) as archive:
        assert [query.count_matches(archive.db, "Taiwan", f) for f in filters] == whole
    assert all(n > 0 for n in whole)
    assert len(split) == 3 and all(len(parts) == 3 for parts in split)  # each read in three ranges
