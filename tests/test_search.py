"""`briefings search` as researchers and scripts use it: safe words, phrases, raw FTS5,
inline filters, ranking, context and every output format.

Most tests run on a small archive written through the real store from
constructed briefings, so that ranking and filters can be asserted exactly;
the rest run on the seeds and, where present, the recorded MFA corpus.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from click.testing import CliRunner

from briefings import query, render, store
from briefings.cli import cli
from briefings.models import Briefing, Turn
from briefings.sqlite import sqlite3
from briefings.store import Archive
from conftest import ROOT

SEEDS = ROOT / "data" / "raw" / "seeds"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def T(seq, speaker, kind, text, outlet=None, also_asked=()):
    return Turn(
        seq=seq,
        label=speaker,
        speaker=speaker,
        role=None,
        kind=kind,
        outlet=outlet,
        text=text,
        also_asked=tuple(also_asked),
    )


FILLER = (
    "Thank you.",
    "Next question, please.",
    "I have nothing to add.",
    "Please refer to the competent authorities.",
    "We have noted the reports.",
    "I am not aware of that.",
    "Our position is consistent and clear.",
    "That is all for today.",
    "Good afternoon.",
    "See you next week.",
)

CONSTRUCTED = [
    # Turns that mention none of the words searched below, so that the words'
    # inverse document frequency, and with it BM25, means something.
    Briefing(
        id="mfa-0",
        source="mfa",
        url=None,
        title="Regular Press Conference, June 1, 2018",
        date="2018-06-01",
        published=None,
        language="en",
        participants=(),
        fingerprint="0",
        turns=tuple(T(i, "Lu Kang", "answer", text) for i, text in enumerate(FILLER, 1)),
    ),
    Briefing(
        id="mfa-1",
        source="mfa",
        url="https://example.org/mfa/1",
        title="Regular Press Conference, March 5, 2019",
        date="2019-03-05",
        published=None,
        language="en",
        participants=(),
        fingerprint="1",
        turns=(
            T(1, "Geng Shuang", "statement", "Good afternoon. The Belt and Road Forum opens next month."),
            T(
                2,
                "Reuters",
                "question",
                "Will the U.S. tariffs affect COVID-19 testing kits?",
                outlet="Reuters",
            ),
            T(
                3,
                "Geng Shuang",
                "answer",
                "Tariffs hurt both sides. Tariffs, tariffs and more tariffs help no one.",
            ),
            T(
                4,
                "AFP",
                "question",
                "A follow-up on the 14th Five-Year Plan and the road ahead.",
                outlet="AFP",
            ),
            T(
                5,
                "Geng Shuang",
                "answer",
                "The plan is on the road to completion, and [bold] claims aside, "
                "the U.S. side should know that trade talks on tariffs continue in a long and patient process "
                "that covers many other subjects besides.",
            ),
        ),
    ),
    Briefing(
        id="mfa-2",
        source="mfa",
        url="https://example.org/mfa/2",
        title="Regular Press Conference, March 10, 2020",
        date="2020-03-10",
        published=None,
        language="en",
        participants=(),
        fingerprint="2",
        turns=(
            T(1, "Zhao Lijian", "moderator", "Now the floor is open for questions about tariffs."),
            T(
                2,
                "Bloomberg",
                "question",
                "Is the belt of road works and tariffs on steel a concern?",
                outlet="Bloomberg",
            ),
            T(
                3,
                "Zhao Lijian",
                "answer",
                "We oppose unilateral tariffs. The Belt and Road Initiative is open.",
            ),
        ),
    ),
    Briefing(
        id="scio-3",
        source="scio",
        url=None,
        title="Customs briefing",
        date="2020-04-20",
        published=None,
        language="en",
        participants=(),
        fingerprint="3",
        turns=(
            T(1, "Sun Meijun", "statement", "Customs seized smuggled goods; tariff revenue rose."),
            T(2, "CCTV", "question", "How will tariffs change in 2020?", outlet="CCTV", also_asked=("AFP",)),
            T(3, "Sun Meijun", "answer", "Tariff policy stays stable."),
        ),
    ),
]


def build_constructed(path):
    with Archive(path, write=True) as archive:
        for b in CONSTRUCTED:
            archive.save(b)
    return path


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    return build_constructed(tmp_path_factory.mktemp("made") / "archive.db")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    db = tmp_path_factory.mktemp("seeded") / "archive.db"
    assert run("ingest", SEEDS, "--db", db).exit_code == 0
    return db


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory):
    folder = ROOT.parent / "shared" / "corpus" / "mfa" / "en"
    if not folder.is_dir():
        pytest.skip("../shared/corpus/mfa/en is not present")
    db = tmp_path_factory.mktemp("corpus") / "archive.db"
    assert run("ingest", folder, SEEDS, "--db", db).exit_code == 0
    return db


def hits(db, *args):
    result = run("search", *args, "--json", "--db", db)
    assert result.exit_code == 0, result.output
    return [(r["briefing_id"], r["seq"]) for r in json.loads(result.stdout)]


# -- words, punctuation, phrases ------------------------------------------------


def test_fts_query_quotes_every_term():
    assert query.fts_query("U.S. COVID-19") == '"U.S." "COVID-19"'
    assert query.fts_query("14th Five-Year Plan") == '"14th" "Five-Year" "Plan"'
    assert query.fts_query('"Belt and Road" forum') == '"Belt and Road" "forum"'
    assert query.fts_query('tariffs "') == '"tariffs"'  # a stray quote is punctuation
    assert query.fts_query("AND OR NOT NEAR(") == '"AND" "OR" "NOT" "NEAR("'
    assert query.fts_query("tariff*", raw=True) == "tariff*"
    with pytest.raises(query.QueryError, match="empty query"):
        query.fts_query(" -- ... ")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("U.S.", [("mfa-1", 2), ("mfa-1", 5)]),
        ("COVID-19", [("mfa-1", 2)]),
        ("14th Five-Year Plan", [("mfa-1", 4)]),
        ("Belt and Road", [("mfa-2", 2), ("mfa-1", 1), ("mfa-2", 3)]),
        ('steel "', [("mfa-2", 2)]),
        ("AND OR NOT", []),
    ],
)
def test_punctuation_and_operators_are_words(made, text, expected):
    assert sorted(hits(made, text)) == sorted(expected)


def test_quoted_phrase_matches_exactly(made):
    assert hits(made, '"Belt and Road"') == [("mfa-1", 1), ("mfa-2", 3)]
    assert hits(made, '"road belt"') == []


def test_stemming(made):
    assert sorted(hits(made, "smuggling")) == [("scio-3", 1)]


# -- raw FTS5 -------------------------------------------------------------------


def test_raw_passes_fts5_syntax(made):
    assert sorted(hits(made, "tariff* NOT steel NOT unilateral", "--raw")) == [
        ("mfa-1", 2),
        ("mfa-1", 3),
        ("mfa-1", 5),
        ("scio-3", 1),
        ("scio-3", 2),
        ("scio-3", 3),
    ]
    assert sorted(hits(made, "smuggled OR COVID", "--raw")) == [("mfa-1", 2), ("scio-3", 1)]
    assert sorted(hits(made, "NEAR(belt road, 1)", "--raw")) == [("mfa-1", 1), ("mfa-2", 2), ("mfa-2", 3)]
    assert sorted(hits(made, "follow*", "--raw")) == [("mfa-1", 4)]


@pytest.mark.parametrize("command", ["search", "who", "timeline"])
@pytest.mark.parametrize(
    "text",
    [
        "AND OR (",
        '"unterminated',
        "NEAR(",
        "text:",
        "NEAR(Taiwan Hong, x)",
        "NEAR(belt road, -1)",
        "tariffs : steel",
        "*",
        "road +",
    ],
)
def test_raw_syntax_error_is_one_line_and_exit_2(made, command, text):
    result = run(command, text, "--raw", "--db", made)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert len(result.stderr.splitlines()) == 1
    error = result.stderr.strip()
    assert error.startswith(f"Error: cannot understand the query {text!r}")
    assert error.endswith("see https://www.sqlite.org/fts5.html#full_text_query_syntax")


@pytest.mark.parametrize("query", ["tariffs", '"Belt and Road"', "tariff* NOT steel"])
def test_an_archive_error_while_searching_is_one_line_and_exit_1(tmp_path, query):
    # The index lost a table: not the query's fault, so not exit 2 and never a traceback.
    db = build_constructed(tmp_path / "broken.db")
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE turns_fts_data")
    conn.execute("DROP TABLE turns_exact_data")
    conn.commit()
    conn.close()
    for command in ("search", "who", "timeline"):
        result = run(command, query, "--raw", "--db", db)
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith(f"Error: cannot read {db}: ") and len(result.stderr.splitlines()) == 1


# -- exact phrases ----------------------------------------------------------------------

PHRASES = [
    Briefing(
        id="mfa-10",
        source="mfa",
        url=None,
        title="Regular Press Conference, May 13, 2019",
        date="2019-05-13",
        published=None,
        language="en",
        participants=(),
        fingerprint="10",
        turns=(
            T(
                1,
                "Reuters",
                "question",
                "The US will raise tariffs again on Friday. Is China prepared for a long trade war?",
                outlet="Reuters",
            ),
            T(
                2,
                "Geng Shuang",
                "answer",
                "China does not want a trade war with anyone, but we are not afraid "
                "of one, and we will take the measures needed to defend our interests.",
            ),
            T(
                3,
                "Bloomberg",
                "question",
                "Will China be generous to the countries worst hit?",
                outlet="Bloomberg",
            ),
            T(
                4,
                "Geng Shuang",
                "answer",
                "The general situation is stable. Generally speaking, the generals "
                "do not comment on such matters.",
            ),
        ),
    ),
    *(
        Briefing(
            id=f"mfa-1{i}",
            source="mfa",
            url=None,
            title=f"Regular Press Conference, June {i}, 2019",
            date=f"2019-06-{i:02d}",
            published=None,
            language="en",
            participants=(),
            fingerprint=f"1{i}",
            turns=(T(1, "Geng Shuang", "answer", "Trade wars have no winners, China says."),),
        )
        for i in range(1, 6)
    ),
    Briefing(
        id="scio-20",
        source="scio",
        url=None,
        title="Customs briefing",
        date="2020-04-20",
        published=None,
        language="en",
        participants=(),
        fingerprint="20",
        turns=(T(1, "Sun Meijun", "statement", "Tariff exemptions granted until 2019 have expired."),),
    ),
]


@pytest.fixture(scope="module")
def phrases(tmp_path_factory):
    db = tmp_path_factory.mktemp("phrases") / "archive.db"
    with Archive(db, write=True) as archive:
        for b in CONSTRUCTED + PHRASES:
            archive.save(b)
    return db


def test_quoted_phrase_is_not_stemmed(phrases):
    # Stemmed, "generous" is "gener", like general, generally and generals.
    assert hits(phrases, '"generous"') == [("mfa-10", 3)]
    assert hits(phrases, '"trade war"') == [("mfa-10", 1), ("mfa-10", 2)]
    assert hits(phrases, '"trade wars"') == [("mfa-1" + str(i), 1) for i in (5, 4, 3, 2, 1)]
    # Unquoted words keep stemming; case and accents never matter.
    assert len(hits(phrases, "trade war")) == 7
    assert hits(phrases, '"TRADE WAR"') == hits(phrases, '"trade wär"') == hits(phrases, '"trade war"')
    rows = json.loads(run("search", '"trade war"', "--json", "--db", phrases).stdout)
    assert all(re.search(r"<mark>trade war</mark>(?!s)", r["snippet"]) for r in rows)


def test_phrase_and_words_together(phrases):
    # The phrase exactly, the other words stemmed ("tariffs" finds "tariffs").
    assert hits(phrases, '"trade war" tariffs') == [("mfa-10", 1)]
    assert hits(phrases, 'China "trade war"', "--sort", "date") == [("mfa-10", 1), ("mfa-10", 2)]
    assert json.loads(run("who", '"trade war"', "--json", "--db", phrases).stdout) == [
        {"name": "Geng Shuang", "turns": 1, "briefings": 1, "first": "2019-05-13", "last": "2019-05-13"},
        {"name": "Reuters", "turns": 1, "briefings": 1, "first": "2019-05-13", "last": "2019-05-13"},
    ]
    years = json.loads(run("timeline", '"trade war"', "--json", "--db", phrases).stdout)
    assert sum(y["matches"] for y in years) == 2


def test_exact_phrase_fills_the_limit_past_the_ranked_window(phrases, monkeypatch):
    # Five short "trade wars" turns rank above both "trade war" ones in the stemmed
    # index, so the best few candidates hold no exact match; search must look further.
    assert {b for b, _ in hits(phrases, "China trade war", "--limit", "5")} == {
        f"mfa-1{i}" for i in range(1, 6)
    }
    monkeypatch.setattr(query, "RANK_WINDOW", 1)  # the window is then 4 x --limit
    monkeypatch.setattr(query, "FILTERED_WIDENING", 1)
    assert hits(phrases, 'China "trade war"', "--limit", "1") == [("mfa-10", 1)]
    assert hits(phrases, 'China "trade war"', "--limit", "2") == [("mfa-10", 1), ("mfa-10", 2)]


def test_curly_and_unmatched_quotes(phrases, made):
    assert (
        hits(made, "\u201cBelt and Road\u201d")
        == hits(made, '"Belt and Road"')
        == [("mfa-1", 1), ("mfa-2", 3)]
    )
    assert hits(phrases, "\u201ctrade war\u201d") == hits(phrases, '"trade war"')
    # An odd quote is punctuation; the balanced phrase before it still counts.
    assert query.fts_query('"Belt and Road" forum "') == '"Belt and Road" "forum"'
    assert query.exact_query('"Belt and Road" forum "') == '"Belt and Road"'
    assert query.fts_query('forum " "Belt and Road"') == '"forum" "Belt and Road"'
    assert query.exact_query("\u201eBelt and Road\u201c tariffs") == '"Belt and Road"'
    assert hits(made, '"Belt and Road" Initiative "') == [("mfa-2", 3)]
    assert hits(phrases, '"trade war" China "') == hits(phrases, '"trade war" China')


def test_filters_inside_quotes_are_words(phrases):
    words, f = query.parse_query('"mentioned until:2019 the" speaker:"Zhao Lijian"')
    assert (words, f.until, f.speaker) == ('"mentioned until:2019 the"', None, "Zhao Lijian")
    # A filter would leave out this 2020 turn; as words, the phrase finds it.
    assert hits(phrases, '"granted until:2019"') == [("scio-20", 1)]
    assert hits(phrases, "tariff until:2019", "--all-kinds") != hits(phrases, "tariff", "--all-kinds")


def test_an_older_archive_gets_the_exact_index(tmp_path):
    db = tmp_path / "v4.db"
    conn = sqlite3.connect(db, isolation_level=None)
    for step in store.MIGRATIONS[:4]:
        for sql in step:
            conn.execute(sql)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '4'), ('application', 'briefings')")
    conn.execute(
        "INSERT INTO briefings (pk, id, source, title, date, language, turn_count, fingerprint, ingested_at) "
        "VALUES (1, 'text-1', 'text', 'Old', '2019-01-02', 'en', 2, 'f', 'x')"
    )
    conn.execute(
        "INSERT INTO turns (briefing_pk, seq, kind, text) VALUES (1, 1, 'answer', 'No trade wars.'), "
        "(1, 2, 'answer', 'No trade war.')"
    )
    conn.close()
    assert hits(db, '"trade war"') == [("text-1", 2)]
    assert run("check", "--db", db).exit_code == 0


# -- filters, as options and inline -----------------------------------------------


@pytest.mark.parametrize(
    "inline, options, expected",
    [
        (
            'speaker:"Geng Shuang" tariffs',
            ["tariffs", "--speaker", "Geng Shuang"],
            [("mfa-1", 3), ("mfa-1", 5)],
        ),
        ("outlet:Reuters tariffs", ["tariffs", "--outlet", "Reuters"], [("mfa-1", 2)]),
        ("outlet:afp tariffs", ["tariffs", "--outlet", "AFP"], [("scio-3", 2)]),  # also asked
        (
            "kind:question tariffs",
            ["tariffs", "--kind", "question"],
            [("mfa-1", 2), ("mfa-2", 2), ("scio-3", 2)],
        ),
        (
            "tariffs source:scio",
            ["tariffs", "--source", "scio"],
            [("scio-3", 1), ("scio-3", 2), ("scio-3", 3)],
        ),
        (
            "since:2020 tariffs",
            ["tariffs", "--since", "2020"],
            [("mfa-2", 2), ("mfa-2", 3), ("scio-3", 1), ("scio-3", 2), ("scio-3", 3)],
        ),
        (
            "tariffs until:2020-03",
            ["tariffs", "--until", "2020-03"],
            [("mfa-1", 2), ("mfa-1", 3), ("mfa-1", 5), ("mfa-2", 2), ("mfa-2", 3)],
        ),
        (
            "SINCE:2020-04 tariffs Until:2020-04-20",
            ["tariffs", "--since", "2020-04", "--until", "2020-04-20"],
            [("scio-3", 1), ("scio-3", 2), ("scio-3", 3)],
        ),
    ],
)
def test_inline_filters_equal_options(made, inline, options, expected):
    assert sorted(hits(made, inline)) == expected
    assert sorted(hits(made, *options)) == expected


def test_parse_query_splits_words_and_filters():
    words, f = query.parse_query(
        'speaker:"Zhao Lijian" outlet:Reuters trade war kind:question source:mfa '
        "since:2019 until:2020-03 note:this"
    )
    assert words.split() == ["trade", "war", "note:this"]
    assert (f.speaker, f.outlet, f.kind, f.source, f.since, f.until) == (
        "Zhao Lijian",
        "Reuters",
        "question",
        "mfa",
        "2019-01-01",
        "2020-03-31",
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["kind:speech tariffs"],
            "Error: kind:speech is not a kind of turn; use one of statement, question, answer, moderator, other",
        ),
        (
            ["source:bbc tariffs"],
            "Error: source:bbc is not a source; use one of scio, chinaorg, gac, mfa, text",
        ),
        (["since:March tariffs"], "Error: since: 'March' is not a date; use YYYY, YYYY-MM or YYYY-MM-DD"),
        (["until:2020-13 tariffs"], "Error: until: '2020-13' is not a real date"),
        (["speaker: tariffs"], 'Error: speaker: needs a value, as in speaker:"Zhao Lijian"'),
        (['tariffs speaker:"Zhao'], 'Error: speaker:"Zhao has no closing quote; write speaker:"Zhao"'),
        (["outlet:AFP outlet:CCTV tariffs"], "Error: outlet: is given twice ('AFP' and 'CCTV'); keep one"),
        (
            ["kind:answer tariffs", "--kind", "question"],
            "Error: kind is given both as an option ('question') and in the query ('answer'); keep one",
        ),
        (
            ["since:2021 until:2020 tariffs"],
            "Error: since 2021-01-01 is after until 2020-12-31; nothing can match",
        ),
        (["kind:question"], "Error: empty query: give at least one word to search for"),
        (["tariffs", "--json", "--csv"], "Error: choose one of --json and --csv"),
    ],
)
def test_query_that_cannot_be_understood(made, args, message):
    result = run("search", *args, "--db", made)
    assert result.exit_code == 2
    assert result.stderr == message + "\n"


def speakers_found(db, *args):
    return {
        r["speaker"]
        for r in json.loads(run("search", *args, "--limit", "10000", "--json", "--db", db).stdout)
    }


def test_a_short_speaker_is_whole_words_of_a_name(corpus_db):
    # "Hua" once matched inside Geng sHUAng and XinHUA News Agency.
    assert speakers_found(corpus_db, "China", "--speaker", "Hua") == {"Hua Chunying"}
    assert speakers_found(corpus_db, "China speaker:hua") == {"Hua Chunying"}
    assert speakers_found(corpus_db, "China", "--speaker", "Shuang") == {"Geng Shuang"}
    assert speakers_found(corpus_db, "China", "--speaker", "Xinhua") == {"Xinhua News Agency"}
    assert speakers_found(corpus_db, "China", "--speaker", "Ms. Hua Chunying") == {"Hua Chunying"}
    result = run("search", "China", "--speaker", "Hua", "-n", "0", "--json", "--db", corpus_db)
    assert result.stderr == ""


def test_a_speaker_that_fits_several_names_uses_all_and_says_so(corpus_db):
    # Zhao Lijian speaks; Zhao Zenglian is on the SCIO roster and has no turn on page 1.
    result = run("search", "China", "--speaker", "Zhao", "--limit", "500", "--json", "--db", corpus_db)
    assert result.exit_code == 0
    assert {r["speaker"] for r in json.loads(result.stdout)} == {"Zhao Lijian"}
    assert result.stderr == (
        "note: speaker 'Zhao' fits 2 names: Zhao Lijian, Zhao Zenglian; all are included "
        "(give a full name for one)\n"
    )
    ids = [r["id"] for r in json.loads(run("list", "--speaker", "Zhao", "--json", "--db", corpus_db).stdout)]
    assert ids[0] == "scio-118230968" and len(ids) == 1 + len(
        json.loads(run("list", "--speaker", "Zhao Lijian", "--json", "--db", corpus_db).stdout)
    )
    result = run("search", "China", "--speaker", "Nobody", "--json", "--db", corpus_db)
    assert result.stdout == "[]\n"
    assert (
        result.stderr
        == "note: no speaker in the archive is called 'Nobody'; `briefings speakers` lists them\n"
    )


def test_list_speaker_finds_roster_participants(seeded, corpus_db):
    for db in (seeded, corpus_db):
        for name in ("Zhao Zenglian", "zhao zenglian", "Mr. Zhao Zenglian", "Zenglian"):
            rows = json.loads(run("list", "--speaker", name, "--json", "--db", db).stdout)
            assert [r["id"] for r in rows] == ["scio-118230968"], name
    hua = {r["id"] for r in json.loads(run("list", "--speaker", "Hua", "--json", "--db", corpus_db).stdout)}
    assert hua == {
        r["id"]
        for r in json.loads(run("list", "--speaker", "Hua Chunying", "--json", "--db", corpus_db).stdout)
    }


def test_speakers_lists_roster_participants_with_no_turns(seeded):
    rows = {r["name"]: r for r in json.loads(run("speakers", "--json", "--db", seeded).stdout)}
    assert rows["Zhao Zenglian"] == {
        "name": "Zhao Zenglian",
        "kind": "person",
        "turns": 0,
        "briefings": 1,
        "first": "2025-08-25",
        "last": "2025-08-25",
        "roles": ["vice minister of the GAC"],
        "aliases": [],
    }
    assert rows["Sun Meijun"]["turns"] == 1 and rows["Sun Meijun"]["briefings"] == 1
    names = [r["name"] for r in json.loads(run("speakers", "--json", "--db", seeded).stdout)]
    assert names.index("Zhao Zenglian") > names.index("Sun Meijun")  # most turns first
    table = run("speakers", "--db", seeded).stdout
    assert "Zhao Zenglian" in table


def test_moderator_turns_only_with_all_kinds(made):
    assert ("mfa-2", 1) not in hits(made, "floor tariffs")
    assert hits(made, "floor", "--all-kinds") == [("mfa-2", 1)]
    assert hits(made, "floor kind:moderator") == [("mfa-2", 1)]


# -- ranking and sorting --------------------------------------------------------------


def test_ranking_bm25_best_first(made):
    rows = json.loads(run("search", "tariffs", "--json", "--db", made).stdout)
    # Four mentions in a short answer first; then one mention each, shortest
    # turn first; the long answer that mentions it once comes last.
    assert [(r["briefing_id"], r["seq"], len(r["text"].split())) for r in rows] == [
        ("mfa-1", 3, 12),
        ("scio-3", 3, 4),
        ("scio-3", 2, 6),
        ("scio-3", 1, 7),
        ("mfa-1", 2, 8),
        ("mfa-2", 3, 11),
        ("mfa-2", 2, 12),
        ("mfa-1", 5, 35),
    ]
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores) and all(s < 0 for s in scores)


def test_limit_keeps_the_best(made):
    assert hits(made, "tariffs", "--limit", "2") == [("mfa-1", 3), ("scio-3", 3)]
    assert hits(made, "tariffs", "--limit", "3", "--sort", "date") == [
        ("scio-3", 1),
        ("scio-3", 2),
        ("scio-3", 3),
    ]


def test_ranked_search_widens_past_filtered_out_hits(made, monkeypatch):
    # With a window of one, the best hit is filtered out; search must look further.
    monkeypatch.setattr(query, "RANK_WINDOW", 1)
    monkeypatch.setattr(query, "FILTERED_WIDENING", 1)
    assert hits(made, "tariffs", "--speaker", "Bloomberg") == [("mfa-2", 2)]
    assert hits(made, "tariffs", "--limit", "3") == [("mfa-1", 3), ("scio-3", 3), ("scio-3", 2)]


class Recording:
    """A connection that notes every statement run through it, and its parameters."""

    def __init__(self, db):
        self.db, self.sql, self.params = db, [], []

    def execute(self, sql, params=()):
        self.sql.append(sql)
        self.params.append(params)
        return self.db.execute(sql, params)


def test_a_filter_widens_the_ranked_window(phrases, monkeypatch):
    # Six turns that say China rank above Reuters' question: a window of 4 holds none
    # of Reuters' and all must be scored again; a filtered window is wider from the start.
    monkeypatch.setattr(query, "RANK_WINDOW", 1)
    passes = {}
    for widening in (1, 8):
        monkeypatch.setattr(query, "FILTERED_WIDENING", widening)
        with Archive(phrases) as archive:
            db = Recording(archive.db)
            rows = query.search(db, "China", query.Filters(speaker="Reuters"), limit=1)
        assert [(r["briefing_id"], r["seq"]) for r in rows] == [("mfa-10", 1)]
        passes[widening] = sum("bm25(" in sql for sql in db.sql)
    assert passes == {1: 2, 8: 1}


# Every kind of query that joins matches to their turns and briefings, filtered.
LOOP_ORDER_QUERIES = [
    ("search", "tariffs", {"speaker": "Geng Shuang", "since": "2019-01-01"}, {}),
    ("search", "tariffs", {"speaker": "Bloomberg"}, {"limit": 1}),  # not in the window: every match scored
    ("search", '"Belt and Road"', {"speaker": "Zhao Lijian"}, {}),
    ("search", 'tariffs "Belt and Road"', {"outlet": "Reuters"}, {}),
    ("search", "tariffs", {"speaker": "Geng Shuang"}, {"sort": "date"}),
    ("count_matches", "tariffs", {"speaker": "Geng Shuang", "kind": "answer"}, {}),
    ("who", "tariffs", {"since": "2019-01-01"}, {}),
    ("timeline", "tariffs", {"speaker": "Geng Shuang"}, {}),
]


def statistics(conn) -> list:
    """The statistics ANALYZE leaves; an archive as ingest writes it has none."""
    return conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'sqlite_stat%'").fetchall()


def loop_order(conn, sql: str, params) -> list[str]:
    """The loops of the statement's plan that read the matches, outermost first: the
    full-text index (or the ranked window) and what is joined in the same loop nest."""
    plan = conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    parent = next(
        p for _, p, _, step in plan if re.match(r"(SCAN|SEARCH) (turns_fts|turns_exact|best)\b", step)
    )
    return [step for _, p, _, step in plan if p == parent and re.match(r"SCAN|SEARCH", step)]


def test_matches_are_read_from_the_index_first(made, monkeypatch):
    # briefings never runs ANALYZE. Left to guess without statistics, SQLite starts a
    # filtered query from the filter's index (a speaker's turns, a range of dates) and
    # searches the full-text index once for each turn: at a million turns that took a
    # filtered search 50 s. Every statement must loop over the index's matches, or the
    # ranked window of them, and reach each turn by its key. A window of one makes the
    # filtered search score every match too.
    monkeypatch.setattr(query, "RANK_WINDOW", 1)
    monkeypatch.setattr(query, "FILTERED_WIDENING", 1)
    conn = sqlite3.connect(made)
    assert not statistics(conn)  # as ingest leaves an archive
    checked = set()
    for n, (fn, text, filters, options) in enumerate(LOOP_ORDER_QUERIES):
        with Archive(made) as archive:
            db = Recording(archive.db)
            getattr(query, fn)(db, text, query.Filters(**filters), **options)
        for sql, params in zip(db.sql, db.params):
            if "JOIN turns t" not in sql:
                continue
            loops = loop_order(conn, sql, params)
            assert re.match(r"SCAN (turns_fts|turns_exact|best)\b", loops[0]), (fn, text, loops)
            assert loops[1].startswith("SEARCH t USING INTEGER PRIMARY KEY"), (fn, text, loops)
            assert loops[2].startswith("SEARCH b USING INTEGER PRIMARY KEY"), (fn, text, loops)
            checked.add((n, "bm25(" in sql))
    conn.close()
    assert {n for n, _ in checked} == set(range(len(LOOP_ORDER_QUERIES)))
    assert (1, True) in checked  # the search that scored every match


def test_a_briefings_turns_are_found_by_the_briefing(made):
    # `list --speaker` and `speakers` ask, briefing by briefing, whether someone spoke
    # there. Without statistics SQLite answers from the speaker index, reading all of
    # the speaker's turns for every briefing (minutes at a million turns): a subquery
    # run once per row must find a briefing's turns by the briefing.
    conn = sqlite3.connect(made)
    assert not statistics(conn)  # as ingest leaves an archive
    plans = []
    for call in (
        lambda db: query.list_briefings(db, query.Filters(speaker="Geng Shuang", since="2019")),
        lambda db: query.list_briefings(db, query.Filters(speaker="Geng Shuang"), limit=1),
        lambda db: query.speakers(db),
    ):
        with Archive(made) as archive:
            db = Recording(archive.db)
            assert call(db)
        plans += [
            conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
            for sql, params in zip(db.sql, db.params)
            if re.search(r"\bturns t\b", sql)
        ]
    conn.close()
    per_row = [(plan, step[0]) for plan in plans for step in plan if step[3].startswith("CORRELATED")]
    checked = 0
    for plan, subquery in per_row:
        steps = [s[3] for s in plan if s[1] == subquery and re.match(r"(SEARCH|SCAN) t ", s[3])]
        if steps:  # a subquery that reads turns (not, say, the one that finds a briefing's counterpart)
            checked += 1
            assert all("(briefing_pk=?)" in step for step in steps), steps
    assert checked  # the roster check of `speakers`


def test_sort_by_date_newest_first(made):
    assert hits(made, "tariffs", "--sort", "date") == [
        ("scio-3", 1),
        ("scio-3", 2),
        ("scio-3", 3),
        ("mfa-2", 2),
        ("mfa-2", 3),
        ("mfa-1", 2),
        ("mfa-1", 3),
        ("mfa-1", 5),
    ]
    rows = json.loads(run("search", "tariffs", "--sort", "date", "--json", "--db", made).stdout)
    assert {r["score"] for r in rows} == {None}


# -- ranking split across cores -------------------------------------------------------

SPLIT_QUERIES = [
    ("tariffs", {}, False),
    ('"Belt and Road"', {}, False),
    ("tariffs U.S.", {}, False),
    ("tariffs", {"speaker": "Geng Shuang"}, False),
    ("tariffs OR road", {}, True),
]


def split_into(monkeypatch, parts: int) -> list:
    """Rank in `parts` ranges whatever the archive's size; return what each split ranking gave."""
    monkeypatch.setattr(query, "PARALLEL_MIN_TURNS", 0 if parts > 1 else 10**12)
    monkeypatch.setattr(query, "_cores", lambda: parts)
    outcomes = []
    real = query._best_in_parts

    def spy(*args):
        outcomes.append(real(*args))
        return outcomes[-1]

    monkeypatch.setattr(query, "_best_in_parts", spy)
    return outcomes


def searched(db_path, queries=SPLIT_QUERIES, limit=50):
    with Archive(db_path) as archive:
        return [
            query.search(archive.db, q, query.Filters(**f), raw=raw, limit=limit) for q, f, raw in queries
        ]


@pytest.mark.parametrize("archive", ["made", "corpus_db"])
def test_ranking_split_across_cores_finds_the_same_turns_and_scores(archive, request, monkeypatch):
    db_path = request.getfixturevalue(archive)
    queries = (
        SPLIT_QUERIES
        if archive == "made"
        else [("Taiwan", {}, False), ('"trade war"', {}, False), ("China", {"speaker": "Geng Shuang"}, False)]
    )
    split_into(monkeypatch, 1)
    whole = searched(db_path, queries)
    assert all(whole)
    for parts in (2, 3, 4):
        outcomes = split_into(monkeypatch, parts)
        assert searched(db_path, queries) == whole
        assert len(outcomes) == len(queries) and all(o is not None for o in outcomes)  # it did split


def test_a_commit_while_the_ranges_are_read_ranks_again_in_one_piece(tmp_path, monkeypatch):
    db_path = build_constructed(tmp_path / "archive.db")
    outcomes = split_into(monkeypatch, 2)
    real_sibling = store.Reader.sibling

    def sibling_after_a_commit(self, i):
        # Another connection commits while the first range is ranked: the best turn
        # for "tariffs" no longer says it.
        writer = sqlite3.connect(db_path, timeout=30)
        with writer:
            writer.execute("UPDATE turns SET text = 'Nothing to add.' WHERE text LIKE 'Tariffs hurt%'")
        writer.close()
        return real_sibling(self, i)

    monkeypatch.setattr(store.Reader, "sibling", sibling_after_a_commit)
    found = [(r["briefing_id"], r["seq"]) for r in searched(db_path, [("tariffs", {}, False)])[0]]
    assert outcomes == [None]  # the split ranking was set aside
    assert found and ("mfa-1", 3) not in found


def test_a_range_that_cannot_be_read_ranks_again_in_one_piece(made, monkeypatch):
    split_into(monkeypatch, 1)
    whole = searched(made)
    outcomes = split_into(monkeypatch, 2)

    def no_connection(self, i):
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(store.Reader, "sibling", no_connection)
    assert searched(made) == whole
    assert outcomes and all(o is None for o in outcomes)


# -- output ---------------------------------------------------------------------------


def test_json_record(made):
    rows = json.loads(run("search", "COVID-19", "--json", "--db", made).stdout)
    assert rows == [
        {
            "briefing_id": "mfa-1",
            "date": "2019-03-05",
            "title": "Regular Press Conference, March 5, 2019",
            "seq": 2,
            "speaker": "Reuters",
            "kind": "question",
            "outlet": "Reuters",
            "role": None,
            "label": "Reuters",
            "answers": None,
            "answered_by": [],
            "snippet": "Will the U.S. tariffs affect <mark>COVID-19</mark> testing kits?",
            "text": "Will the U.S. tariffs affect COVID-19 testing kits?",
            "url": "https://example.org/mfa/1",
            "source": "mfa",
            "score": rows[0]["score"],
        }
    ]


def test_context_json(made):
    rows = json.loads(run("search", "COVID-19", "--context", "1", "--json", "--db", made).stdout)
    assert rows[0]["context"] == [
        {
            "seq": 1,
            "speaker": "Geng Shuang",
            "kind": "statement",
            "outlet": None,
            "role": None,
            "label": "Geng Shuang",
            "text": "Good afternoon. The Belt and Road Forum opens next month.",
        },
        {
            "seq": 3,
            "speaker": "Geng Shuang",
            "kind": "answer",
            "outlet": None,
            "role": None,
            "label": "Geng Shuang",
            "text": "Tariffs hurt both sides. Tariffs, tariffs and more tariffs help no one.",
        },
    ]
    # Context stops at the edges of the briefing and includes the chair's turns.
    rows = json.loads(run("search", "steel", "-C", "5", "--json", "--db", made).stdout)
    assert [c["seq"] for c in rows[0]["context"]] == [1, 3]
    assert "context" not in json.loads(run("search", "steel", "--json", "--db", made).stdout)[0]


def test_terminal_table_with_context(made):
    result = run("search", "COVID-19", "-C", "1", "--db", made)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [h.strip() for h in lines[1].split("┃")[1:-1]] == ["Date, turn", "Speaker", "Kind", "Says"]
    text = " ".join(line.split("│")[4].strip() for line in lines[3:-1])
    assert text.startswith(
        "Geng Shuang: Good afternoon. The Belt and Road Forum opens next month. » Will the U.S."
    )
    assert "Geng Shuang: Tariffs hurt both sides." in text
    assert "mfa-1#2" in result.stdout


def test_terminal_prints_brackets_as_said(made):
    result = run("search", "bold claims", "--db", made)
    assert "[bold]" in result.stdout


def test_nl_output(made):
    result = run("search", "tariffs", "--nl", "--limit", "3", "--db", made)
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert [(json.loads(x)["briefing_id"], json.loads(x)["seq"]) for x in lines] == [
        ("mfa-1", 3),
        ("scio-3", 3),
        ("scio-3", 2),
    ]
    assert run("search", "zebra", "--nl", "--db", made).stdout == ""


def test_csv_output(made):
    result = run("search", "steel", "--csv", "-C", "1", "--db", made)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == [
        "briefing_id",
        "date",
        "title",
        "seq",
        "speaker",
        "kind",
        "outlet",
        "role",
        "label",
        "answers",
        "answered_by",
        "snippet",
        "text",
        "url",
        "source",
        "score",
        "context",
    ]
    assert (rows[0]["briefing_id"], rows[0]["seq"], rows[0]["snippet"]) == (
        "mfa-2",
        "2",
        "Is the belt of road works and tariffs on <mark>steel</mark> a concern?",
    )
    assert [c["seq"] for c in json.loads(rows[0]["context"])] == [1, 3]
    # No hits: the header row alone, so a script reading the columns still finds them.
    assert run("search", "zebra", "--csv", "--db", made).stdout == ",".join(render.SEARCH_KEYS) + "\n"
    assert (
        run("search", "zebra", "--csv", "-C", "1", "--db", made).stdout
        == ",".join(render.SEARCH_KEYS) + ",context\n"
    )


def test_empty_results(made):
    assert run("search", "zebra", "--json", "--db", made).stdout == "[]\n"
    assert run("search", "zebra", "--db", made).stdout == "No turns match.\n"


def test_help_has_examples():
    result = run("search", "-h")
    assert result.exit_code == 0
    for option in ("--raw", "--sort", "--context", "--json", "--nl", "--csv", "--all-kinds", "--outlet"):
        assert option in result.stdout
    assert 'speaker:"Zhao Lijian"' in result.stdout and "Examples:" in result.stdout
    assert "briefings search --limit 5 -- -Taiwan" in result.stdout


@pytest.mark.parametrize("command", ["search", "who", "timeline"])
@pytest.mark.parametrize("word", ["-tariffs", "-Covid", "-nuclear"])
def test_a_query_that_starts_with_a_dash(made, command, word):
    # Click reads -tariffs as options (-t, -a, ...) and -Covid as -C ovid: say what to do.
    result = run(command, word, "--db", made)
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert f"a QUERY that starts with '-' goes after --, as in briefings {command} -- {word}" in result.stderr
    assert run(command, "--db", made, "--", "-tariffs").exit_code == 0
    assert "goes after --" not in run(command, "tariffs", "--limt", "3", "--db", made).stderr


# -- the real pages -----------------------------------------------------------------------


def test_seeds_phrase_and_punctuation(seeded):
    assert hits(seeded, '"14th Five-Year Plan"') == [("scio-118230968", 2)]
    assert hits(seeded, '"14th Five-Year Plan"', "--all-kinds") == [
        ("scio-118230968", 1),
        ("scio-118230968", 2),
    ]
    assert hits(seeded, "Belt and Road") == [("scio-118230968", 2)]
    assert hits(seeded, "customs source:gac") == [("gac-29ac2c50a773", 1)]


def test_corpus_inline_filters_equal_options(corpus_db):
    pairs = [
        ('speaker:"Geng Shuang" trade', ["trade", "--speaker", "Geng Shuang"]),
        ("outlet:Reuters Taiwan", ["Taiwan", "--outlet", "Reuters"]),
        (
            "kind:question COVID-19 since:2020 until:2020-03",
            ["COVID-19", "--kind", "question", "--since", "2020", "--until", "2020-03"],
        ),
    ]
    for inline, options in pairs:
        found = hits(corpus_db, inline, "--limit", "500")
        assert found and found == hits(corpus_db, *options, "--limit", "500")


def test_corpus_ranking_is_by_score_and_filters_hold(corpus_db):
    rows = json.loads(run("search", "trade war", "--json", "--db", corpus_db).stdout)
    assert len(rows) == 20
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores)
    assert all("<mark>" in r["snippet"] for r in rows)
    rows = json.loads(
        run(
            "search", "Taiwan outlet:Reuters since:2019-06", "--limit", "500", "--json", "--db", corpus_db
        ).stdout
    )
    assert rows and all(r["outlet"] == "Reuters" and r["date"] >= "2019-06-01" for r in rows)
    assert all(r["kind"] != "moderator" for r in rows)


def test_corpus_punctuation(corpus_db):
    for text in (
        "U.S.",
        "COVID-19",
        "14th Five-Year Plan",
        "Belt and Road",
        '"Belt and Road"',
        'Hong Kong "',
    ):
        result = run("search", text, "--json", "--db", corpus_db)
        assert result.exit_code == 0, text
        assert json.loads(result.stdout), text
