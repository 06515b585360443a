"""`briefings who` and `briefings timeline`, and the archive as Datasette sees it."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
import sqlite_utils

from briefings import store
from briefings.sqlite import sqlite3
from test_search import SEEDS, build_constructed, run


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    return build_constructed(tmp_path_factory.mktemp("made") / "archive.db")


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory):
    from conftest import CORPUS

    folder = CORPUS / "en"
    if not folder.is_dir():
        pytest.skip("../shared/corpus/mfa/en is not present")
    db = tmp_path_factory.mktemp("corpus") / "archive.db"
    assert run("ingest", folder, SEEDS, "--db", db).exit_code == 0
    return db


def as_json(*args):
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# -- who -------------------------------------------------------------------------


def test_who_ranks_speakers_by_matching_turns(made):
    assert as_json("who", "tariffs", "--db", made) == [
        {"name": "Sun Meijun", "turns": 2, "briefings": 1, "first": "2020-04-20", "last": "2020-04-20"},
        {"name": "Geng Shuang", "turns": 2, "briefings": 1, "first": "2019-03-05", "last": "2019-03-05"},
        {"name": "CCTV", "turns": 1, "briefings": 1, "first": "2020-04-20", "last": "2020-04-20"},
        {"name": "Bloomberg", "turns": 1, "briefings": 1, "first": "2020-03-10", "last": "2020-03-10"},
        {"name": "Zhao Lijian", "turns": 1, "briefings": 1, "first": "2020-03-10", "last": "2020-03-10"},
        {"name": "Reuters", "turns": 1, "briefings": 1, "first": "2019-03-05", "last": "2019-03-05"},
    ]


def test_who_filters_options_and_inline(made):
    answers = [
        {"name": "Geng Shuang", "turns": 2, "briefings": 1, "first": "2019-03-05", "last": "2019-03-05"},
        {"name": "Sun Meijun", "turns": 1, "briefings": 1, "first": "2020-04-20", "last": "2020-04-20"},
        {"name": "Zhao Lijian", "turns": 1, "briefings": 1, "first": "2020-03-10", "last": "2020-03-10"},
    ]
    assert as_json("who", "tariffs", "--kind", "answer", "--db", made) == answers
    assert as_json("who", "kind:answer tariffs", "--db", made) == answers
    assert as_json("who", "tariffs since:2020", "--kind", "answer", "--limit", "1", "--db", made) == [
        answers[1]
    ]
    # The chair's turn counts only when asked for.
    assert as_json("who", "floor", "--db", made) == []
    assert as_json("who", "floor", "--all-kinds", "--db", made)[0]["name"] == "Zhao Lijian"
    assert [r["name"] for r in as_json("who", "tariff* NOT unilateral NOT steel", "--raw", "--db", made)] == [
        "Sun Meijun",
        "Geng Shuang",
        "CCTV",
        "Reuters",
    ]


def test_who_table_and_machine_formats(made):
    result = run("who", "tariffs", "--db", made)
    lines = result.stdout.splitlines()
    assert [h.strip() for h in lines[1].split("┃")[1:-1]] == [
        "Speaker",
        "Turns",
        "Briefings",
        "First",
        "Last",
    ]
    assert [c.strip() for c in lines[3].split("│")[1:-1]] == [
        "Sun Meijun",
        "2",
        "1",
        "2020-04-20",
        "2020-04-20",
    ]
    assert run("who", "tariffs", "--csv", "--limit", "2", "--db", made).stdout == (
        "name,turns,briefings,first,last\n"
        "Sun Meijun,2,1,2020-04-20,2020-04-20\n"
        "Geng Shuang,2,1,2019-03-05,2019-03-05\n"
    )
    nl = run("who", "tariffs", "--nl", "--db", made).stdout.splitlines()
    assert json.loads(nl[-1]) == {
        "name": "Reuters",
        "turns": 1,
        "briefings": 1,
        "first": "2019-03-05",
        "last": "2019-03-05",
    }
    assert run("who", "zebra", "--db", made).stdout == "No turns match.\n"
    assert run("who", "zebra", "--json", "--db", made).stdout == "[]\n"
    assert run("who", "zebra", "--csv", "--db", made).stdout == "name,turns,briefings,first,last\n"


def test_who_errors(made):
    result = run("who", "kind:speech tariffs", "--db", made)
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("Error: kind:speech is not a kind of turn")
    result = run("who", "(", "--raw", "--db", made)
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("Error: cannot understand the query")


# -- timeline ------------------------------------------------------------------------


def test_timeline_by_year_per_thousand_turns(made):
    assert as_json("timeline", "tariffs", "--db", made) == [
        {"period": "2018", "matches": 0, "turns": 10, "per_1000": 0.0},
        {"period": "2019", "matches": 3, "turns": 5, "per_1000": 600.0},
        {"period": "2020", "matches": 5, "turns": 5, "per_1000": 1000.0},
    ]


def test_timeline_filters_apply_to_the_denominator_too(made):
    assert as_json("timeline", "tariffs", "--by", "month", "--speaker", "Geng Shuang", "--db", made) == [
        {"period": "2019-03", "matches": 2, "turns": 3, "per_1000": 666.67},
    ]
    assert as_json("timeline", 'tariffs speaker:"Geng Shuang"', "--by", "month", "--db", made) == [
        {"period": "2019-03", "matches": 2, "turns": 3, "per_1000": 666.67},
    ]
    assert as_json("timeline", "tariffs", "--all-kinds", "--since", "2020", "--db", made) == [
        {"period": "2020", "matches": 6, "turns": 6, "per_1000": 1000.0},
    ]


def test_timeline_shows_every_period_so_gaps_show(made):
    # The mfa briefings are in 2018-06, 2019-03 and 2020-03: every month between is
    # listed with no turns, in JSON and in the chart, rather than left out.
    months = as_json("timeline", "road source:mfa", "--by", "month", "--db", made)
    assert [m["period"] for m in months] == [
        f"{y}-{m:02d}" for y in (2018, 2019, 2020) for m in range(1, 13)
    ][5:27]
    found = {m["period"]: m for m in months}
    assert found["2018-06"] == {"period": "2018-06", "matches": 0, "turns": 10, "per_1000": 0.0}
    assert found["2018-07"] == {"period": "2018-07", "matches": 0, "turns": 0, "per_1000": 0.0}
    assert found["2019-03"] == {"period": "2019-03", "matches": 3, "turns": 5, "per_1000": 600.0}
    assert found["2020-03"] == {"period": "2020-03", "matches": 2, "turns": 2, "per_1000": 1000.0}
    assert sum(1 for m in months if m["turns"] == 0) == 19
    chart = run("timeline", "road source:mfa", "--by", "month", "--db", made).stdout.splitlines()
    assert [line.split()[0] for line in chart[1:]] == [m["period"] for m in months]
    assert chart[2].split() == ["2018-07", "0.00", "0", "0"]


def test_corpus_timeline_shows_the_years_the_archive_lacks(corpus_db):
    # The MFA pages end in 2020 and the seeds are of 2025: 2021 to 2024 are there, empty.
    years = as_json("timeline", "customs", "--db", corpus_db)
    assert [y["period"] for y in years] == [str(y) for y in range(2018, 2026)]
    assert [y["turns"] for y in years if y["period"] in ("2021", "2022", "2023", "2024")] == [0, 0, 0, 0]
    assert all(y["turns"] for y in years if y["period"] not in ("2021", "2022", "2023", "2024"))


def test_timeline_bar_chart(made):
    result = run("timeline", "tariffs", "--db", made)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Year", "Per", "1,000", "turns", "Matches", "Turns"]
    assert lines[1].split() == ["2018", "0.00", "0", "10"]
    assert lines[2].split()[:2] == ["2019", "600.00"] and lines[2].split()[-2:] == ["3", "5"]
    bar_2019 = lines[2].count("█")
    bar_2020 = lines[3].count("█")
    assert bar_2020 == 40 and bar_2019 == 24  # 600/1000 of the full width
    assert run("timeline", "zebra", "--db", made).stdout == "No turns match.\n"


def test_timeline_csv_and_errors(made):
    assert run("timeline", "tariffs", "--csv", "--db", made).stdout == (
        "period,matches,turns,per_1000\n2018,0,10,0.0\n2019,3,5,600.0\n2020,5,5,1000.0\n"
    )
    result = run("timeline", "tariffs", "--by", "week", "--db", made)
    assert result.exit_code == 2 and "'week' is not one of 'year', 'month'" in result.stderr
    assert (
        run("timeline", "tariffs", "--since", "2021", "--csv", "--db", made).stdout
        == "period,matches,turns,per_1000\n"
    )


def test_help_has_examples():
    for command in ("who", "timeline"):
        result = run(command, "-h")
        assert result.exit_code == 0
        assert "Examples:" in result.stdout and f"briefings {command} " in result.stdout
        for option in (
            "--speaker",
            "--since",
            "--until",
            "--source",
            "--kind",
            "--outlet",
            "--all-kinds",
            "--raw",
            "--json",
        ):
            assert option in result.stdout, (command, option)


def test_corpus_who_and_timeline_agree_with_search(corpus_db):
    found = as_json("search", "trade war", "--limit", "10000", "--db", corpus_db)
    people = as_json("who", "trade war", "--db", corpus_db)
    assert sum(p["turns"] for p in people) == sum(1 for r in found if r["speaker"])
    assert people[0]["turns"] >= people[-1]["turns"]
    for p in people:
        dates = [r["date"] for r in found if r["speaker"] == p["name"] and r["date"]]
        assert (p["first"], p["last"]) == ((min(dates), max(dates)) if dates else (None, None))
    years = as_json("timeline", "trade war", "--db", corpus_db)
    assert sum(y["matches"] for y in years) == sum(1 for r in found if r["date"])  # undated turns left out
    for y in years:
        assert y["per_1000"] == (round(1000 * y["matches"] / y["turns"], 2) if y["turns"] else 0.0)
    months = as_json("timeline", "trade war", "--by", "month", "--db", corpus_db)
    assert sum(m["turns"] for m in months) == sum(y["turns"] for y in years)


# -- Datasette ----------------------------------------------------------------------------


def test_sqlite_utils_and_datasette_detect_the_fts_index(made):
    db = sqlite_utils.Database(made)
    assert "turns_exact" in db.table_names()
    assert db["turns"].detect_fts() == "turns_fts"
    assert [r["pk"] for r in db["turns"].search("smuggling")] == [
        db.execute(
            "SELECT t.pk FROM turns t JOIN briefings b ON b.pk = t.briefing_pk "
            "WHERE b.id = 'scio-3' AND t.seq = 1"
        ).fetchone()[0]
    ]


def test_datasette_full_text_search_on_turns(made):
    pytest.importorskip("datasette")
    from datasette.app import Datasette
    from datasette.utils import detect_fts

    conn = sqlite3.connect(made)
    assert detect_fts(conn, "turns") == "turns_fts"
    # The exact index is there, and stays out of the way: not the turns table's, and hidden.
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'turns_exact'").fetchone() == (1,)
    hidden = asyncio.run(Datasette([str(made)]).get_database("archive").hidden_table_names())
    assert {"turns_fts", "turns_exact", "turns_exact_data", "turns_exact_idx"} <= set(hidden)

    async def search():
        ds = Datasette([str(made)])
        response = await ds.client.get("/archive/turns.json?_search=COVID-19&_shape=array&_col=text")
        return response.status_code, response.json()

    status, rows = asyncio.run(search())
    assert status == 200
    assert [r["text"] for r in rows] == ["Will the U.S. tariffs affect COVID-19 testing kits?"]


def test_an_archive_of_version_1_is_migrated_and_detected(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for statement in store.MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1'), ('application', 'briefings')")
    conn.execute(
        "INSERT INTO briefings (pk, id, source, title, language, fingerprint, ingested_at) "
        "VALUES (1, 'text-1', 'text', 'Old', 'en', 'f', 'then')"
    )
    conn.execute(
        "INSERT INTO turns (briefing_pk, seq, kind, text) VALUES (1, 1, 'statement', 'Smuggling fell.')"
    )
    conn.commit()
    conn.close()
    assert sqlite_utils.Database(path)["turns"].detect_fts() is None
    with store.Archive(path, write=True) as archive:
        assert archive.version() == store.SCHEMA_VERSION
    assert sqlite_utils.Database(path)["turns"].detect_fts() == "turns_fts"
    assert [r["briefing_id"] for r in as_json("search", "smuggle", "--db", path)] == ["text-1"]


def readme_sql() -> str:
    from conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Browse in Datasette") :]
    return re.search(r"```sql\n(.*?)```", section, re.S).group(1)


@pytest.mark.parametrize(
    "q, found",
    [
        ("COVID-19", [("mfa-1", 2)]),
        ("U.S. tariffs", [("mfa-1", 2)]),
        ('steel "', [("mfa-2", 2)]),
        ("belt and road", [("mfa-1", 1), ("mfa-2", 3)]),
        ("Belt and Road OR steel", []),
    ],
)
def test_readme_datasette_sql_takes_what_people_type(made, q, found):
    # Pasted into Datasette with q=COVID-19, FTS5 syntax said "no such column: 19".
    rows = sqlite3.connect(made).execute(readme_sql(), {"q": q}).fetchall()
    assert sorted((r[1], r[2]) for r in rows) == found
