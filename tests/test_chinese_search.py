"""Searching Chinese: every turn that holds a run of Han characters is found,
folded for traditional characters and compatibility forms, ranked, with the
turn's own characters highlighted; who, timeline and list agree with search;
an older archive gains the index when opened; stock SQLite reads it.
"""

from __future__ import annotations

import json
import random
import sqlite3 as stdlib_sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefings import query, store
from briefings.cli import cli
from briefings.ingest import ingest
from briefings.models import Briefing, Turn
from briefings.people import Entities
from briefings.query import MARK_END, MARK_START
from briefings.sqlite import sqlite3
from briefings.store import Archive
from briefings.text import HAN_RUN, fold_han


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def T(seq, speaker, kind, text, outlet=None):
    return Turn(seq=seq, label=speaker, speaker=speaker, role=None, kind=kind, outlet=outlet, text=text)


ZH = [
    Briefing(
        id="mfa-zh-1",
        source="mfa",
        url=None,
        title="外交部发言人华春莹主持例行记者会",
        date="2019-05-20",
        published=None,
        language="zh",
        participants=(),
        fingerprint="z1",
        turns=(
            T(
                1,
                "彭博社记者",
                "question",
                "美国商务部将华为列入实体清单，中方有何评论？",
                outlet="Bloomberg",
            ),
            T(
                2,
                "Hua Chunying",
                "answer",
                "我们坚决反对。华为是中国企业，华为的合法权益应当得到保护。中国政府一贯坚持一个中国原则。",
            ),
            T(3, "路透社记者", "question", "Reuters asks about Huawei: 华为是否会受影响？", outlet="路透社"),
            T(
                4,
                "Hua Chunying",
                "answer",
                "我们在台湾问题上的立场是一贯的。中国，人民的选择不会改变。今天就到这里。莹",
            ),
        ),
    ),
    Briefing(
        id="mfa-zh-2",
        source="mfa",
        url=None,
        title="外交部发言人耿爽主持例行记者会",
        date="2020-02-03",
        published=None,
        language="zh",
        participants=(),
        fingerprint="z2",
        turns=(
            T(1, "海港晚报记者", "question", "關於香港和臺灣的報道，華為公司有何回應？", outlet="海港晚报"),
            T(
                2,
                "耿爽",
                "answer",
                "新冠肺炎疫情发生以来，中方始终以公开、透明的态度。⼈民的健康至上，\uf900能不顾。",
            ),
            T(
                3,
                "耿爽",
                "answer",
                "这是一个很长的回答，它提到了很多事情，但只有一次提到新冠肺炎，"
                "其余都是关于合作、发展、交流、互信、共赢以及各国人民之间友好往来的内容。",
            ),
        ),
    ),
]
EN = [
    Briefing(
        id="mfa-en-1",
        source="mfa",
        url=None,
        title="Regular Press Conference",
        date="2019-05-20",
        published=None,
        language="en",
        participants=(),
        fingerprint="e1",
        turns=(
            T(1, "Reuters", "question", "What about Huawei and the entity list?", outlet="Reuters"),
            T(2, "Hua Chunying", "answer", "We firmly oppose it. Huawei is a Chinese company."),
            T(3, "Hua Chunying", "answer", "Next question, please."),
            T(4, "Hua Chunying", "answer", "That is all for today."),
        ),
    ),
]


@pytest.fixture
def archive(db_path):
    with Archive(db_path, write=True) as a:
        for b in ZH + EN:
            a.save(b)
    return db_path


def hits(db_path, *args) -> list[dict]:
    result = run("search", *args, "--json", "--all-kinds", "--limit", 1000, "--db", db_path)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def keys(rows) -> set[tuple[str, int]]:
    return {(r["briefing_id"], r["seq"]) for r in rows}


def scan(*needles) -> set[tuple[str, int]]:
    """The turns whose text holds every needle, folded as the index folds."""
    return {
        (b.id, t.seq)
        for b in ZH + EN
        for t in b.turns
        if all(fold_han(n) in fold_han(t.text) for n in needles)
    }


@pytest.mark.parametrize(
    "term",
    ["华为", "华", "莹", "一个中国", "中国", "新冠肺炎", "人民", "国人", "香港", "台湾", "这里。莹", "的"],
)
def test_every_turn_that_holds_the_characters(archive, term):
    """One character and up, the last of a run too (莹 ends a turn); a pair across
    punctuation is not one (中国，人民 does not hold 国人)."""
    assert keys(hits(archive, term)) == scan(*HAN_RUN.findall(term))
    if term == "国人":
        assert ("mfa-zh-1", 4) not in keys(hits(archive, term))
    if term == "莹":
        assert ("mfa-zh-1", 4) in keys(hits(archive, term))


def test_traditional_and_simplified_find_the_same_turns(archive):
    assert keys(hits(archive, "臺灣")) == keys(hits(archive, "台湾")) == {("mfa-zh-1", 4), ("mfa-zh-2", 1)}
    assert (
        keys(hits(archive, "華為"))
        == keys(hits(archive, "华为"))
        == {("mfa-zh-1", 1), ("mfa-zh-1", 2), ("mfa-zh-1", 3), ("mfa-zh-2", 1)}
    )


def test_compatibility_forms_fold_in_the_index_only(archive, db_path):
    """A Kangxi radical (⼈) and a compatibility ideograph (豈) are found by the
    ordinary characters, and the stored text keeps them as the page had them."""
    assert keys(hits(archive, "人民的健康")) == {("mfa-zh-2", 2)}
    assert keys(hits(archive, "豈能")) == {("mfa-zh-2", 2)}
    conn = sqlite3.connect(db_path)
    text = conn.execute(
        "SELECT text FROM turns t JOIN briefings b ON b.pk = t.briefing_pk "
        "WHERE b.id = 'mfa-zh-2' AND t.seq = 2"
    ).fetchone()[0]
    assert "⼈民" in text and "\uf900" in text


def test_ranked_by_bm25(archive):
    """The short answer that says 新冠肺炎 beats the long one that says it once."""
    rows = hits(archive, "新冠肺炎")
    assert [(r["briefing_id"], r["seq"]) for r in rows] == [("mfa-zh-2", 2), ("mfa-zh-2", 3)]


def test_snippets_mark_the_turns_own_characters(archive):
    """Searched in simplified, the traditional turn is highlighted in traditional."""
    row = next(r for r in hits(archive, "台湾") if r["seq"] == 1)
    assert "<mark>臺灣</mark>" in row["snippet"]
    row = next(r for r in hits(archive, "华为") if r["briefing_id"] == "mfa-zh-1" and r["seq"] == 2)
    assert row["snippet"].count("<mark>华为</mark>") == 2
    assert "<mark>" not in row["text"]
    with Archive(archive) as a:  # in process, the marks are query's own
        found = query.search(a.db, "臺灣", query.Filters(), limit=5)
    assert all(
        f"{MARK_START}{c}{MARK_END}" in r["snippet"]
        for r, c in zip(sorted(found, key=lambda r: r["briefing_id"]), ("台湾", "臺灣"))
    )


def test_the_terminal_table_highlights_too(archive):
    result = run("search", "台湾", "--db", archive)
    assert result.exit_code == 0 and "臺灣" in result.stdout and "台湾" in result.stdout


def test_mixed_query_needs_both(archive):
    rows = hits(archive, "华为 Huawei")
    assert keys(rows) == {("mfa-zh-1", 3)}
    assert "<mark>Huawei</mark>" in rows[0]["snippet"] and "<mark>华为</mark>" in rows[0]["snippet"]


def test_phrase_and_chinese_filter_values(archive):
    assert keys(hits(archive, '"一个中国" speaker:华春莹')) == {("mfa-zh-1", 2)}
    assert keys(hits(archive, "华为 outlet:彭博社")) == {("mfa-zh-1", 1)}  # the entities' alias of Bloomberg
    assert keys(hits(archive, "香港 outlet:海港晚报")) == {
        ("mfa-zh-2", 1)
    }  # an outlet the entities do not know, by its stored name
    assert keys(hits(archive, "华为 since:2020")) == {("mfa-zh-2", 1)}
    assert keys(hits(archive, "华为 kind:answer")) == {("mfa-zh-1", 2)}


def test_lang_filter(archive, db_path):
    assert keys(hits(archive, "Huawei", "--lang", "zh")) == {("mfa-zh-1", 3)}
    assert keys(hits(archive, "Huawei", "--lang", "en")) == {("mfa-en-1", 1), ("mfa-en-1", 2)}
    assert keys(hits(archive, "华为", "--lang", "en")) == set()
    listed = json.loads(run("list", "--lang", "zh", "--json", "--db", db_path).stdout)
    assert sorted(b["id"] for b in listed) == ["mfa-zh-1", "mfa-zh-2"]
    bad = run("search", "华为", "--lang", "fr", "--db", db_path)
    assert bad.exit_code == 2 and "fr" in bad.output


@pytest.mark.parametrize("text", ["华为", "中国", "Huawei", "华为 Huawei"])
def test_who_and_timeline_count_what_search_finds(archive, db_path, text):
    found = hits(archive, text)
    who = json.loads(run("who", text, "--all-kinds", "--json", "--db", db_path).stdout)
    assert sum(r["turns"] for r in who) == len(found)
    line = json.loads(run("timeline", text, "--all-kinds", "--json", "--db", db_path).stdout)
    assert sum(r["matches"] for r in line) == len(found)


def test_timeline_rate_is_per_turn_of_the_languages_searched(archive, db_path):
    """An English word's rate counts English turns; a Chinese one's, Chinese turns;
    --lang says which outright."""

    def year(text, *args):
        rows = json.loads(run("timeline", text, "--all-kinds", "--json", *args, "--db", db_path).stdout)
        return {r["period"]: (r["matches"], r["turns"]) for r in rows}

    # The matches are what search finds (a Chinese turn that quotes Huawei too); the
    # turns, mfa-en-1's four English ones, not the eight of that year.
    assert year("Huawei")["2019"] == (3, 4)
    assert year("华为")["2019"] == (3, 4)
    assert year("Huawei", "--lang", "zh")["2019"] == (1, 4)


def test_an_older_archive_gains_the_index_when_opened(tmp_path):
    """Built at version 5 with Chinese turns in it: the first open migrates it in
    one transaction, and prints no progress bar where stderr is no terminal."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for step in store.MIGRATIONS[:5]:
        for sql in step:
            conn.execute(sql)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '5'), ('application', 'briefings')")
    conn.execute(
        "INSERT INTO briefings (pk, id, source, title, date, language, turn_count, fingerprint, ingested_at)"
        " VALUES (1, 'mfa-old', 'mfa', '例行记者会', '2019-01-02', 'zh', 2, 'f', 'x')"
    )
    conn.execute(
        "INSERT INTO turns (briefing_pk, seq, kind, speaker, text) VALUES "
        "(1, 1, 'question', '记者', '华为的问题。'), (1, 2, 'answer', '陆慷', 'No Chinese here.')"
    )
    conn.close()
    exe = Path(sys.executable).parent / "briefings"
    result = subprocess.run(
        [str(exe), "search", "华为", "--json", "--db", str(path)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
        str(store.SCHEMA_VERSION),
    )
    assert conn.execute(f"SELECT rowid FROM {store.HAN_INDEX}").fetchall() == [(1,)]
    assert [r["seq"] for r in json.loads(result.stdout)] == [1]
    assert result.stderr == ""


def test_a_failed_migration_leaves_the_archive_as_it_was(tmp_path, monkeypatch):
    """The index is filled inside the migration's transaction: if filling fails,
    the archive stays at version 5, without the new table."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for step in store.MIGRATIONS[:5]:
        for sql in step:
            conn.execute(sql)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '5'), ('application', 'briefings')")
    conn.execute(
        "INSERT INTO briefings (pk, id, source, title, date, language, turn_count, fingerprint, ingested_at)"
        " VALUES (1, 'mfa-old', 'mfa', '例行记者会', '2019-01-02', 'zh', 1, 'f', 'x')"
    )
    conn.execute("INSERT INTO turns (briefing_pk, seq, kind, text) VALUES (1, 1, 'answer', '华为')")
    conn.close()

    def broken(text):
        raise RuntimeError("interrupted")

    monkeypatch.setattr(store, "han_grams", broken)
    with pytest.raises(RuntimeError):
        Archive(path, write=True)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("5",)
    assert conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE name = ?", (store.HAN_INDEX,)
    ).fetchone() == (0,)


def test_stock_sqlite_reads_the_index(archive):
    """The standard library's SQLite (3.40 here), with nothing of this package
    loaded, finds the turns by the pairs and characters."""
    conn = stdlib_sqlite3.connect(archive)
    found = conn.execute(
        "SELECT b.id, t.seq FROM turns_han JOIN turns t ON t.pk = turns_han.rowid "
        "JOIN briefings b ON b.pk = t.briefing_pk WHERE turns_han MATCH ? ORDER BY bm25(turns_han)",
        ('bi:"新冠 冠肺 肺炎"',),
    ).fetchall()
    assert found == [("mfa-zh-2", 2), ("mfa-zh-2", 3)]
    assert conn.execute("SELECT count(*) FROM turns_han WHERE turns_han MATCH 'uni:莹'").fetchone() == (1,)
    conn.execute(
        "DELETE FROM turns WHERE pk = (SELECT min(rowid) FROM turns_han)"
    )  # the trigger needs nothing of ours
    conn.commit()
    assert conn.execute(
        "SELECT count(*) FROM turns_han WHERE rowid NOT IN (SELECT pk FROM turns)"
    ).fetchone() == (0,)


def test_check_finds_a_turn_missing_from_the_chinese_index(archive):
    conn = sqlite3.connect(archive, isolation_level=None)
    conn.execute("DELETE FROM turns_han WHERE rowid = (SELECT min(rowid) FROM turns_han)")
    conn.close()
    result = run("check", "--json", "--db", archive)
    problems = json.loads(result.stdout)["problems"]
    assert any(p["message"].startswith("search index turns_han is missing 1 turn") for p in problems), (
        problems
    )
    assert run("check", "--repair", "--db", archive).exit_code == 0
    assert json.loads(run("check", "--json", "--db", archive).stdout)["ok"]


# -- recall over the real Chinese pages ---------------------------------------------


@pytest.fixture(scope="module")
def real_zh(tmp_path_factory):
    from conftest import CORPUS

    folder = CORPUS / "zh"
    if not folder.is_dir():
        pytest.skip("../shared/corpus/mfa/zh is not present")
    path = tmp_path_factory.mktemp("zh") / "archive.db"
    with Archive(path, write=True) as a:
        ingest([folder], a, Entities.load())
    return path


def test_the_mfa_chinese_pages_are_stored_as_chinese(real_zh):
    conn = sqlite3.connect(real_zh)
    assert conn.execute("SELECT DISTINCT language FROM briefings").fetchall() == [("zh",)]


def test_recall_against_a_substring_scan_over_the_real_pages(real_zh):
    """Terms of one to six characters sampled from the turns (seeded): search
    finds exactly the turns whose folded text holds the term, and so every turn
    whose text holds it as typed."""
    conn = sqlite3.connect(real_zh)
    turns = [
        (bid, seq, text)
        for bid, seq, text in conn.execute(
            "SELECT b.id, t.seq, t.text FROM turns t JOIN briefings b ON b.pk = t.briefing_pk"
        )
    ]
    rng = random.Random(20240601)
    terms = {"华为", "香港", "台湾", "新冠肺炎"}
    while len(terms) < 124:
        runs = HAN_RUN.findall(rng.choice(turns)[2])
        if runs:
            run_ = rng.choice(runs)
            k = min(len(run_), 1 + len(terms) % 6)
            i = rng.randrange(len(run_) - k + 1)
            terms.add(run_[i : i + k])
    folded = [(bid, seq, fold_han(text), text) for bid, seq, text in turns]
    with Archive(real_zh) as archive:
        for term in sorted(terms):
            got = {
                (r["briefing_id"], r["seq"])
                for r in query.search(archive.db, term, query.Filters(all_kinds=True), limit=100_000)
            }
            plain = {(bid, seq) for bid, seq, _, text in folded if term in text}
            assert plain <= got, (term, len(plain - got))
            assert got == {(bid, seq) for bid, seq, f, _ in folded if fold_han(term) in f}, term
    assert {len(t) for t in terms} == {1, 2, 3, 4, 5, 6}


def test_the_reported_terms_on_the_real_pages(real_zh):
    conn = sqlite3.connect(real_zh)
    for term in ("华为", "香港", "台湾", "新冠肺炎"):
        want = conn.execute("SELECT count(*) FROM turns WHERE instr(text, ?)", (term,)).fetchone()[0]
        result = run("search", term, "--all-kinds", "--limit", 10000, "--json", "--db", real_zh)
        assert len(json.loads(result.stdout)) == want > 0, term
