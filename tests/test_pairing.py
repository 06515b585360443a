"""Bilingual pairs: an English briefing and its Chinese original are linked whichever
is ingested first, their turn links follow either version's changes, survive a
backup and restore, and `compare` lists what one version left out."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from briefings.cli import cli
from briefings.sqlite import sqlite3
from conftest import CORPUS
from helpers import parse_one

EN_ID, ZH_ID = "mfa-1558711", "mfa-1558642"  # Geng Shuang, May 11, 2018, in both languages
EN_PAGE, ZH_PAGE = CORPUS / "en" / "t1558711.html", CORPUS / "zh" / "t1558642.html"
needs_corpus = pytest.mark.skipif(
    not EN_PAGE.exists() or not ZH_PAGE.exists(), reason="../shared/corpus/mfa/en and zh are not present"
)


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def exported(db, bid) -> dict:
    result = run("export", bid, "--format", "json", "--db", db)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def listed(db) -> dict[str, str | None]:
    return {row["id"]: row["counterpart"] for row in json.loads(run("list", "--json", "--db", db).stdout)}


def copy_page(src, folder, url):
    """A recorded page placed by hand, with the URL its manifest gives it."""
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / src.name
    shutil.copy(src, dest)
    (folder / f"{src.name}.meta.json").write_text(json.dumps({"url": url, "source": "mfa"}), encoding="utf-8")
    return dest


def manifest_url(page) -> str:
    for line in (page.parent / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["file"] == page.name:
            return record["url"]
    raise AssertionError(f"{page.name} is not in its manifest")


@needs_corpus
@pytest.mark.parametrize(
    "order", [(EN_PAGE, ZH_PAGE), (ZH_PAGE, EN_PAGE)], ids=["english-first", "chinese-first"]
)
def test_an_mfa_conference_and_its_chinese_original_are_paired_whichever_comes_first(tmp_path, order):
    db = tmp_path / "a.db"
    first, second = order
    assert run("ingest", first, "--db", db).exit_code == 0
    assert listed(db)[first.name.replace("t", "mfa-", 1).removesuffix(".html")] is None
    assert exported(db, EN_ID if first == EN_PAGE else ZH_ID)["counterpart"] is None
    assert run("ingest", second, "--db", db).exit_code == 0
    assert listed(db) == {EN_ID: ZH_ID, ZH_ID: EN_ID}
    en, zh = exported(db, EN_ID), exported(db, ZH_ID)
    assert en["counterpart"] == {"id": ZH_ID, "language": "zh", "url": zh["url"]}
    assert zh["counterpart"] == {"id": EN_ID, "language": "en", "url": en["url"]}
    # The two pages print the same 21 turns in the same order, each translating the other.
    assert [t["counterpart"] for t in en["turns"]] == [[t["seq"]] for t in en["turns"]]
    assert [t["counterpart"] for t in zh["turns"]] == [[t["seq"]] for t in zh["turns"]]
    assert all(0 < t["counterpart_score"] <= 1 for t in en["turns"] + zh["turns"])
    assert [t["counterpart_score"] for t in en["turns"]] == [t["counterpart_score"] for t in zh["turns"]]


@needs_corpus
def test_a_regular_press_conference_is_not_paired_with_a_statement_of_the_same_day(tmp_path):
    """The same spokesperson's remarks on one question (答记者问) are not the conference."""
    db = tmp_path / "a.db"
    statements = [
        p
        for p in sorted((CORPUS / "zh").glob("t*.html"))
        if "答记者问" in p.read_text(encoding="utf-8", errors="replace")[:3000]
    ][:3]
    assert statements
    assert run("ingest", *statements, "--db", db).exit_code == 0
    assert run("ingest", CORPUS / "en", "--db", db).exit_code == 0
    assert not any(cp for bid, cp in listed(db).items() if bid in {f"mfa-{p.stem[1:]}" for p in statements})


def test_a_chinese_mfa_page_links_its_english_version():
    page = CORPUS.parent / "mfa" / "zh-2020s" / "t20230109_11004570.shtml"
    if not page.exists():
        pytest.skip("../shared/corpus/mfa/zh-2020s is not present")
    b = parse_one(page)
    assert b.language == "zh"
    assert b.counterpart_url == (
        "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/202301/t20230109_11004534.html"
    )


SCIO_EN = """<html><head><title>SCIO press conference on customs work</title></head><body>
<h1>SCIO press conference on customs work</h1>
<a id="cn" href="http://www.scio.gov.cn/xwfbh/2025-03/08/content_117000099.htm">Read in Chinese</a>
<!--enpcontent--><p>Speakers:</p><p>Ms. Sun Meijun, minister of the GAC</p>
<p>Chairperson:</p><p>Ms. Shou Xiaoli, spokesperson of the SCIO</p><p>Date:</p><p>March 8, 2025</p>
<p>Shou Xiaoli:</p><p>Good morning. Welcome to this press conference on customs work in 2024.</p>
<p>Sun Meijun:</p><p>In 2024, China's foreign trade reached 43.85 trillion yuan, up 5 percent.</p>
<!--/enpcontent--></body></html>"""
SCIO_ZH = """<html><head><title>国务院新闻办公室举行海关工作新闻发布会</title></head><body>
<h1>国务院新闻办公室举行海关工作新闻发布会</h1>
<!--enpcontent--><p>发布人：</p><p>海关总署署长 孙梅君</p><p>时间：</p><p>2025年3月8日</p>
<p>寿小丽：</p><p>女士们、先生们，上午好。欢迎出席2024年海关工作新闻发布会。</p>
<p>孙梅君：</p><p>2024年，我国货物贸易进出口总值43.85万亿元，增长5%。</p>
<!--/enpcontent--></body></html>"""


@pytest.mark.parametrize("chinese_first", [False, True])
def test_an_scio_transcript_is_paired_through_its_read_in_chinese_link(tmp_path, chinese_first):
    pages = {}
    for name, body, url in (
        ("en.html", SCIO_EN, "https://english.scio.gov.cn/pressroom/2025-03/08/content_117000001.html"),
        ("zh.html", SCIO_ZH, "http://www.scio.gov.cn/xwfbh/2025-03/08/content_117000099.htm"),
    ):
        (tmp_path / name).write_text(body, encoding="utf-8")
        (tmp_path / f"{name}.meta.json").write_text(
            json.dumps({"url": url, "source": "scio"}), encoding="utf-8"
        )
        pages[name] = tmp_path / name
    db = tmp_path / "a.db"
    for name in ["zh.html", "en.html"] if chinese_first else ["en.html", "zh.html"]:
        assert run("ingest", pages[name], "--db", db).exit_code == 0
    assert listed(db) == {"scio-117000001": "scio-117000099", "scio-117000099": "scio-117000001"}
    with sqlite3.connect(str(db)) as conn:
        assert {r[0] for r in conn.execute("SELECT rule FROM counterparts")} == {"link"}


@needs_corpus
def test_links_follow_a_changed_version_and_compare_lists_what_it_lost(tmp_path):
    """The Chinese page, fetched again without the film question and its answer
    (turns 8 and 9): the English keeps an exchange the Chinese drops."""
    en = copy_page(EN_PAGE, tmp_path / "en", manifest_url(EN_PAGE))
    zh = copy_page(ZH_PAGE, tmp_path / "zh", manifest_url(ZH_PAGE))
    db = tmp_path / "a.db"
    assert run("ingest", en, zh, "--db", db).exit_code == 0
    assert exported(db, EN_ID)["turns"][7]["counterpart"] == [8]

    html = zh.read_text(encoding="utf-8")
    start, end = html.index("据报道，日本首相安倍晋三"), html.index("据报道，天主教台湾主教团")
    start, end = (
        html.rindex("<P", 0, start),
        html.rindex("<P", 0, end),
    )  # the page writes its tags in capitals
    zh.write_text(html[:start] + html[end:], encoding="utf-8")
    result = run("ingest", zh, "--db", db)
    assert result.exit_code == 0 and "1 updated" in result.output

    turns = exported(db, EN_ID)["turns"]
    assert [t["counterpart"] for t in turns[5:11]] == [[6], [7], [], [], [8], [9]]
    assert turns[7]["counterpart_score"] is None and turns[9]["counterpart_score"] > 0.5
    assert [t["counterpart"] for t in exported(db, ZH_ID)["turns"][7:9]] == [[10], [11]]

    result = run("compare", EN_ID, "--json", "--db", db)
    assert result.exit_code == 0
    found = json.loads(result.stdout)
    assert found["counterpart"]["id"] == ZH_ID
    assert [(t["seq"], t["kind"]) for t in found["only_here"]] == [(8, "question"), (9, "answer")]
    assert found["only_here"][0]["text"].startswith(
        "According to reports, Japanese Prime Minister Shinzo Abe"
    )
    assert found["only_there"] == []
    reverse = json.loads(run("compare", ZH_ID, "--json", "--db", db).stdout)
    assert reverse["only_here"] == [] and [t["seq"] for t in reverse["only_there"]] == [8, 9]

    text = run("compare", EN_ID, "--db", db)
    assert text.exit_code == 0
    assert f"Only in {EN_ID} (en), left out of {ZH_ID}:" in text.output
    assert "#8 question, Unidentified journalist" in text.output and "Shinzo Abe" in text.output

    report = json.loads(run("quality", "--json", "--db", db).stdout)
    assert report["pairs"] == 1
    assert report["pairs_with_omissions"] == [
        {"id": EN_ID, "counterpart": ZH_ID, "only_here": [8, 9], "only_there": []}
    ]


@needs_corpus
def test_backup_and_restore_keep_the_pair_and_its_links(tmp_path):
    db, restored, backup = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "backup.jsonl"
    assert run("ingest", EN_PAGE, ZH_PAGE, "--db", db).exit_code == 0
    with sqlite3.connect(str(db)) as conn:  # a link as a backup must keep it, whatever the aligner says now
        conn.execute("UPDATE turn_links SET score = 0.123 WHERE seq = 5")
    assert run("export", "--all", "-o", backup, "--db", db).exit_code == 0
    assert run("ingest", backup, "--db", restored).exit_code == 0
    for bid in (EN_ID, ZH_ID):
        assert exported(restored, bid) == exported(db, bid)
    assert exported(restored, EN_ID)["turns"][4]["counterpart_score"] == 0.123
    again = tmp_path / "again.jsonl"
    assert run("export", "--all", "-o", again, "--db", restored).exit_code == 0
    assert again.read_bytes() == backup.read_bytes()


@needs_corpus
def test_compare_errors_are_one_line(tmp_path):
    db = tmp_path / "a.db"
    assert run("ingest", EN_PAGE, "--db", db).exit_code == 0
    for bid, words in (("mfa-0000000", "no briefing with id"), (EN_ID, "has no counterpart")):
        result = run("compare", bid, "--db", db)
        assert result.exit_code == 1
        assert words in result.output and len(result.output.strip().splitlines()) == 1
        assert "Traceback" not in result.output
    assert run("compare", "--db", db).exit_code == 2


@needs_corpus
def test_an_archive_with_no_links_yet_is_paired_at_the_next_ingest(tmp_path):
    """As an archive from before pairing: the pages unchanged, the pair made all the same."""
    db = tmp_path / "a.db"
    assert run("ingest", EN_PAGE, ZH_PAGE, "--db", db).exit_code == 0
    with sqlite3.connect(str(db)) as conn:
        conn.execute("DELETE FROM turn_links")
        conn.execute("DELETE FROM counterparts")
    assert listed(db) == {EN_ID: None, ZH_ID: None}
    result = run("ingest", EN_PAGE, ZH_PAGE, "--db", db)
    assert result.exit_code == 0 and "2 unchanged" in result.output
    assert listed(db) == {EN_ID: ZH_ID, ZH_ID: EN_ID}
    assert exported(db, EN_ID)["turns"][0]["counterpart"] == [1]


def test_repair_drops_links_to_a_briefing_that_is_gone(tmp_path):
    pages = {}
    for name, body, url in (
        ("en.html", SCIO_EN, "https://english.scio.gov.cn/pressroom/2025-03/08/content_117000001.html"),
        ("zh.html", SCIO_ZH, "https://www.scio.gov.cn/xwfbh/2025-03/08/content_117000099.html"),
    ):
        (tmp_path / name).write_text(body, encoding="utf-8")
        (tmp_path / f"{name}.meta.json").write_text(
            json.dumps({"url": url, "source": "scio"}), encoding="utf-8"
        )
        pages[name] = tmp_path / name
    db = tmp_path / "a.db"
    assert run("ingest", *pages.values(), "--db", db).exit_code == 0
    assert listed(db)["scio-117000001"] == "scio-117000099"  # https and www. and .html: the same page
    with sqlite3.connect(str(db)) as conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        pk = conn.execute("SELECT pk FROM briefings WHERE id = 'scio-117000099'").fetchone()[0]
        for table in ("turns", "participants"):
            conn.execute(f"DELETE FROM {table} WHERE briefing_pk = ?", (pk,))
        conn.execute("DELETE FROM briefings WHERE pk = ?", (pk,))
    found = run("check", "--db", db)
    assert found.exit_code == 1 and "name a briefing that is gone" in found.output
    assert run("check", "--repair", "--db", db).exit_code == 0
    with sqlite3.connect(str(db)) as conn:
        assert conn.execute("SELECT count(*) FROM counterparts").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM turn_links").fetchone()[0] == 0
    assert exported(db, "scio-117000001")["counterpart"] is None


@needs_corpus
def test_show_export_and_search_give_each_turn_its_original(tmp_path, monkeypatch):
    db = tmp_path / "a.db"
    assert run("ingest", EN_PAGE, ZH_PAGE, "--db", db).exit_code == 0
    with sqlite3.connect(str(db)) as conn:  # the Chinese page without its film question, as fetched again
        pk = conn.execute("SELECT pk FROM briefings WHERE id = ?", (ZH_ID,)).fetchone()[0]
        conn.execute(
            "DELETE FROM turn_links WHERE (briefing_pk = ? AND seq IN (8, 9)) "
            "OR (other_pk = ? AND other_seq IN (8, 9))",
            (pk, pk),
        )

    monkeypatch.setenv("COLUMNS", "160")
    wide = run("show", EN_ID, "--original", "--db", db)
    assert wide.exit_code == 0
    lines = wide.output.splitlines()
    # Side by side: the English answer and its Chinese original on one line of the table.
    row = next(line for line in lines if "I have not seen the report mentioned by you" in line)
    assert "我还没有看到你提到的消息" in row
    assert any("(not in the other version)" in line for line in lines)

    monkeypatch.setenv("COLUMNS", "80")
    narrow = run("show", EN_ID, "--original", "--db", db).output
    english, chinese = (
        narrow.index("I have not seen the report mentioned by you"),
        narrow.index("我还没有看到你提到的消息"),
    )
    assert english < chinese  # one under the other
    assert not any("我还没有看到" in line and "I have not seen" in line for line in narrow.splitlines())

    md = run("export", EN_ID, "--original", "--db", db)
    assert md.exit_code == 0
    assert f"- **Other version:** {ZH_ID} (zh)" in md.output
    assert f"> *{ZH_ID} #11:*\n>\n> 我还没有看到你提到的消息" in md.output
    assert f"> *Not in {ZH_ID}.*" in md.output
    assert f"## Only in {ZH_ID}" in md.output  # the Chinese film question and answer, linked to nothing now
    assert run("export", EN_ID, "--original", "--format", "json", "--db", db).exit_code == 2

    hits = json.loads(run("search", "Catholic Archbishop", "--original", "--json", "--db", db).stdout)
    assert hits[0]["briefing_id"] == EN_ID and hits[0]["seq"] == 10
    assert hits[0]["original"]["briefing_id"] == ZH_ID and hits[0]["original"]["seq"] == 10
    assert hits[0]["original"]["text"].startswith("据报道，天主教台湾主教团主席")
    film = json.loads(run("search", "Shinzo Abe film", "--original", "--json", "--db", db).stdout)
    assert film[0]["seq"] == 8 and film[0]["original"] is None
    plain = json.loads(run("search", "Catholic Archbishop", "--json", "--db", db).stdout)
    assert "original" not in plain[0]


@pytest.mark.parametrize(
    "href, joined",
    [
        ("content_118230968.htm", "https://english.scio.gov.cn/pressroom/2025-12/16/content_118230968.htm"),
        ("http://www.scio.gov.cn/xwfbh/1.htm", "http://www.scio.gov.cn/xwfbh/1.htm"),
        (
            "http://>Journalists raise questions. [Photo by Zhang San/China SCIO]</p>",
            None,
        ),  # a page cut mid-tag
        ("http://[broken", None),
        ("javascript:void(0)", None),
    ],
)
def test_a_link_to_the_other_version_is_a_hint_never_a_parse_error(href, joined):
    from briefings.sources.base import link

    assert link("https://english.scio.gov.cn/pressroom/2025-12/16/content_1.html", href) == joined
