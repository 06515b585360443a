"""Which briefing a page is: ids from URLs or text, never file names; conflicts, duplicates, removal.

Real MFA pages are copied into the test's own folder under the names people
save them by (`transcript1.html`, `draft1.html`), with no manifest beside them.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile

import pytest
from click.testing import CliRunner

from briefings import store
from briefings.cli import cli
from briefings.sqlite import sqlite3
from briefings.store import Archive
from conftest import CORPUS, ROOT

SEEDS = ROOT / "data" / "raw" / "seeds"
MARCH = "t1646384.html"  # Geng Shuang, 2019-03-18
SEPTEMBER = "t1693811.html"  # Geng Shuang, 2019-09-02
JUNE = "t1793427.html"  # Zhao Lijian, 2020-06-30
ZH_2024 = "t20240403_11276141.shtml"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def ingest_json(*args):
    result = run("ingest", *args, "--json")
    return result, json.loads(result.stdout)


def ids(db) -> list[str]:
    return sorted(b["id"] for b in json.loads(run("list", "--json", "--db", db).stdout))


@pytest.fixture
def en(corpus_en):
    return corpus_en


def saved_as(src, folder, name):
    """A page saved by hand: its bytes under another name, no manifest or sidecar beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    return shutil.copyfile(src, folder / name)


# -- 1. ids: from the URL, else from the text ---------------------------------------------------------------


def test_two_conferences_saved_as_transcript1_are_two_briefings(en, tmp_path, db_path):
    a = saved_as(en / MARCH, tmp_path / "a", "transcript1.html")
    b = saved_as(en / SEPTEMBER, tmp_path / "b", "transcript1.html")
    first = run("ingest", a.parent, "--db", db_path)
    second = run("ingest", b.parent, "--db", db_path)
    assert first.exit_code == second.exit_code == 0
    assert second.stdout.startswith("1 briefing from 1 page, 1 added, 0 updated")
    assert len(ids(db_path)) == 2 and "mfa-1" not in ids(db_path)
    dates = {
        h["date"]
        for h in json.loads(run("search", "Italy", "--json", "--limit", "50", "--db", db_path).stdout)
    }
    assert {"2019-03-18", "2019-09-02"} <= dates  # both conferences are found


def test_names_ending_in_a_digit_are_no_mfa_document_number(en, tmp_path, db_path):
    folder = tmp_path / "saved"
    for src, name in ((MARCH, "draft1.html"), (SEPTEMBER, "part1.html"), (JUNE, "inject2.html")):
        saved_as(en / src, folder, name)
    result, data = ingest_json(folder, "--db", db_path)
    assert result.exit_code == 0 and data["added"] == 3
    assert all(re.fullmatch(r"mfa-[0-9a-f]{12}", i) for i in data["ids"]), data["ids"]


def test_the_same_page_saved_again_has_the_same_id(en, tmp_path):
    """The id is a digest of page 1's text: other bytes for the same text (CRLF, a BOM) give the same id."""
    page = (en / MARCH).read_bytes()
    saved_as(en / MARCH, tmp_path / "one", "conference.html")
    (tmp_path / "two").mkdir()
    (tmp_path / "two" / "other name.html").write_bytes(b"\xef\xbb\xbf" + page.replace(b"\n", b"\r\n"))
    got = []
    for folder in ("one", "two"):
        _, data = ingest_json(tmp_path / folder, "--db", tmp_path / f"{folder}.db")
        got += data["ids"]
    assert len(got) == 2 and got[0] == got[1]


def test_ids_from_known_urls_are_as_they_were(en, tmp_path, db_path):
    _, data = ingest_json(SEEDS, en, "--db", db_path)
    assert {"mfa-1646384", "mfa-1693811", "scio-118230968", "gac-29ac2c50a773"} <= set(data["ids"])


def test_a_seed_without_a_url_keeps_the_id_its_sidecar_names(tmp_path, db_path):
    meta = json.loads((SEEDS / "gac_speech_2025-01-13.txt.meta.json").read_text(encoding="utf-8"))
    assert meta["url"] is None and meta["id"] == "gac-29ac2c50a773"
    _, data = ingest_json(SEEDS / "gac_speech_2025-01-13.txt", "--db", db_path)
    assert data["ids"] == ["gac-29ac2c50a773"]
    # Without the sidecar the same text gets an id made from that text.
    saved_as(SEEDS / "gac_speech_2025-01-13.txt", tmp_path / "bare", "speech.txt")
    _, data = ingest_json(tmp_path / "bare", "--db", tmp_path / "bare.db")
    assert re.fullmatch(r"gac-[0-9a-f]{12}", data["ids"][0]) and data["ids"] != ["gac-29ac2c50a773"]


def test_a_sidecar_id_that_is_not_an_id_is_rejected(tmp_path, db_path):
    page = saved_as(SEEDS / "gac_speech_2025-01-13.txt", tmp_path / "s", "speech.txt")
    (tmp_path / "s" / "speech.txt.meta.json").write_text(json.dumps({"id": "../x y"}), encoding="utf-8")
    result, data = ingest_json(page, "--db", db_path)
    assert result.exit_code == 1
    assert data["rejected"] == [
        {
            "path": str(page),
            "reason": "its metadata names the id '../x y', which is not one "
            "(letters, digits, '.', '_' and '-', at most 100)",
        }
    ]


def test_a_chinese_page_saved_by_hand_takes_its_id_and_url_from_its_meta_url(tmp_path, db_path):
    folder = CORPUS / "zh-2020s"
    if not folder.is_dir():
        pytest.skip("../shared/corpus/mfa/zh-2020s is not present")
    page = saved_as(folder / ZH_2024, tmp_path / "saved", "外交部发言人.shtml")
    url = re.search(r'<meta name="Url" content="([^"]+)"', page.read_text(encoding="utf-8")).group(1)
    _, data = ingest_json(page, "--db", db_path)
    assert data["ids"] == ["mfa-11276141"]
    assert json.loads(run("export", "mfa-11276141", "--format", "json", "--db", db_path).stdout)["url"] == url
    # The recorded page (its manifest URL) is the same briefing: unchanged, not a second one.
    _, again = ingest_json(folder / ZH_2024, "--db", db_path)
    assert (again["ids"], again["unchanged"], again["duplicates"]) == (["mfa-11276141"], 1, [])


def test_a_canonical_link_gives_the_id(en, tmp_path, db_path):
    url = "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t1646384.shtml"
    body = (
        (en / MARCH).read_bytes().replace(b"<head>", f'<head><link href="{url}" rel="canonical">'.encode(), 1)
    )
    (tmp_path / "page.html").write_bytes(body)
    _, data = ingest_json(tmp_path / "page.html", "--db", db_path)
    assert data["ids"] == ["mfa-1646384"]


def _scio_page(n: int, text: str) -> str:
    return f"<html><body><h1>Ports</h1><!--enpcontent-->{text}<!--/enpcontent--></body></html>"


def test_a_transcript_without_urls_keeps_its_id_when_its_next_page_comes(tmp_path, db_path):
    folder = tmp_path / "copy"
    folder.mkdir()
    (folder / "content_999.html").write_text(
        _scio_page(
            1, "<p>Speakers:</p><p>Ms. Lin Qiaoyun, director of ports</p><p>Lin Qiaoyun:</p><p>Up.</p>"
        ),
        encoding="utf-8",
    )
    _, first = ingest_json(folder / "content_999.html", "--db", db_path)
    (folder / "content_999_2.html").write_text(
        _scio_page(2, "<p>Reuters:</p><p>By how much?</p>"), encoding="utf-8"
    )
    _, both = ingest_json(folder, "--db", db_path)
    assert both["ids"] == first["ids"] and both["updated"] == 1 and ids(db_path) == first["ids"]
    turns = json.loads(run("export", first["ids"][0], "--format", "json", "--db", db_path).stdout)["turns"]
    assert [(t["speaker"], t["page"]) for t in turns] == [("Lin Qiaoyun", 1), ("Reuters", 2)]


# -- 2. a different transcript never replaces a stored one ------------------------------------------------


def _claims_url_of_march(en, tmp_path):
    """The September conference, saved with a canonical link to the March one's URL."""
    url = "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t1646384.shtml"
    body = (
        (en / SEPTEMBER)
        .read_bytes()
        .replace(b"<head>", f'<head><link rel="canonical" href="{url}">'.encode(), 1)
    )
    (tmp_path / "wrong").mkdir()
    (tmp_path / "wrong" / "saved.html").write_bytes(body)
    return tmp_path / "wrong" / "saved.html"


def test_a_page_claiming_a_stored_briefings_url_is_a_conflict(en, tmp_path, db_path):
    run("ingest", en / MARCH, "--db", db_path)
    march = run("export", "mfa-1646384", "--format", "json", "--db", db_path).stdout
    wrong = _claims_url_of_march(en, tmp_path)
    result = run("ingest", wrong, "--db", db_path)
    assert result.exit_code == 1
    [line] = [x for x in result.stderr.splitlines() if x.startswith("conflict ")]
    assert line.startswith(
        f"conflict {wrong}: stored mfa-1646384 is \"Foreign Ministry Spokesperson Geng Shuang's "
        'Regular Press Conference on March 18, 2019" (2019-03-18)'
    )
    own = re.search(r"this one stored as (mfa-[0-9a-f]{12})$", line).group(1)
    assert run("export", "mfa-1646384", "--format", "json", "--db", db_path).stdout == march
    assert json.loads(run("export", own, "--format", "json", "--db", db_path).stdout)["date"] == "2019-09-02"
    # Again: the same conflict, the newcomer unchanged under its own id.
    result, data = ingest_json(wrong, "--db", db_path)
    assert result.exit_code == 1 and (data["unchanged"], data["ids"]) == (1, [own])
    [c] = data["conflicts"]
    assert (c["path"], c["id"], c["stored_as"]) == (str(wrong), "mfa-1646384", own)
    assert "share 0% of their paragraphs" in c["reason"]


def test_a_corrected_page_at_the_same_url_updates_it(en, tmp_path, db_path):
    folder = tmp_path / "en"
    folder.mkdir()
    shutil.copy(en / MARCH, folder / MARCH)
    entry = next(
        json.loads(x)
        for x in (en / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
        if json.loads(x)["file"] == MARCH
    )
    (folder / "manifest.jsonl").write_text(json.dumps(entry) + "\n", encoding="utf-8")
    run("ingest", folder, "--db", db_path)
    page = (folder / MARCH).read_bytes()
    assert b"win-win" in page
    (folder / MARCH).write_bytes(page.replace(b"win-win", b"mutually beneficial", 1))
    result, data = ingest_json(folder, "--db", db_path)
    assert result.exit_code == 0 and (data["updated"], data["conflicts"], data["ids"]) == (
        1,
        [],
        ["mfa-1646384"],
    )


def _legacy_archive(path, text: str):
    """An archive as briefings at schema version 5 left it: a briefing stored from a file saved
    without a URL, given the id of the document number its name happened to hold."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    for step in store.MIGRATIONS[:5]:
        for sql in step:
            conn.execute(sql)
    conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '5'), ('application', 'briefings')")
    conn.execute(
        "INSERT INTO briefings (pk, id, source, title, date, language, pages, turn_count, fingerprint, "
        "ingested_at) VALUES (1, 'mfa-1646384', 'mfa', 'Another conference', '2019-01-02', 'en', "
        "'[\"/old/t1646384.html\"]', 1, 'f', 'x')"
    )
    conn.execute(
        "INSERT INTO turns (briefing_pk, seq, kind, speaker, text) VALUES (1, 1, 'answer', 'Lu Kang', ?)",
        (text,),
    )
    conn.close()


def test_a_briefing_stored_under_a_file_names_id_is_not_replaced(en, tmp_path, db_path):
    _legacy_archive(db_path, "Nothing like the March conference.")
    result, data = ingest_json(en / MARCH, "--db", db_path)
    assert result.exit_code == 1
    [c] = data["conflicts"]
    assert c["id"] == "mfa-1646384" and c["reason"].startswith(
        "stored mfa-1646384 was read from /old/t1646384.html with no URL"
    )
    assert (
        json.loads(run("export", "mfa-1646384", "--format", "json", "--db", db_path).stdout)["title"]
        == "Another conference"
    )
    assert set(ids(db_path)) == {"mfa-1646384", c["stored_as"]}


def test_the_migration_digests_stored_text_so_the_same_text_is_the_same_briefing(tmp_path, db_path):
    """Version 6 digests each stored briefing's turns: a stored copy of the same text is no conflict."""
    page = saved_as(SEEDS / "gac_speech_2025-01-13.txt", tmp_path / "s", "speech.txt")
    _, parsed = ingest_json(page, "--db", tmp_path / "new.db")
    turn = json.loads(run("export", parsed["ids"][0], "--format", "json", "--db", tmp_path / "new.db").stdout)
    [only] = turn["turns"]
    _legacy_archive(db_path, only["text"])
    with Archive(db_path) as archive:  # opening migrates it
        (content,) = archive.db.execute("SELECT content FROM briefings WHERE id = 'mfa-1646384'").fetchone()
    assert content == store.transcript_digest([only["text"]])
    result, data = ingest_json(page, "--db", db_path)
    assert result.exit_code == 0 and data["conflicts"] == []
    assert data["duplicates"][0]["id"] == "mfa-1646384"


# -- 3. the same content under two names is stored once ---------------------------------------------------


def test_a_stored_page_saved_under_another_name_is_a_duplicate(en, tmp_path, db_path):
    run("ingest", en, "--db", db_path)
    before = run("who", "Belt and Road", "--json", "--db", db_path).stdout
    copy = saved_as(en / MARCH, tmp_path / "z", "Foreign Ministry Spokesperson Zhao Lijian.html")
    result, data = ingest_json(copy.parent, "--db", db_path)
    assert result.exit_code == 0 and data["added"] == 0
    [d] = data["duplicates"]
    assert (d["path"], d["id"], d["first"]) == (str(copy), "mfa-1646384", str(en / MARCH))
    assert (
        d["reason"] == f"the same transcript as briefing mfa-1646384, already stored from {en / MARCH}; "
        "not stored again"
    )
    assert run("who", "Belt and Road", "--json", "--db", db_path).stdout == before


def test_a_page_from_a_zip_is_a_duplicate_of_the_one_stored(en, tmp_path, db_path):
    run("ingest", en / JUNE, "--db", db_path)
    with zipfile.ZipFile(tmp_path / "pages.zip", "w") as z:
        z.write(en / JUNE, "downloads/press conference.html")
    with zipfile.ZipFile(tmp_path / "pages.zip") as z:
        z.extractall(tmp_path / "unzipped")
    _, data = ingest_json(tmp_path / "unzipped", "--db", db_path)
    assert [(d["id"], d["first"]) for d in data["duplicates"]] == [("mfa-1793427", str(en / JUNE))]
    assert ids(db_path) == ["mfa-1793427"]


def test_a_page_without_a_url_under_two_names_is_stored_once(en, tmp_path, db_path):
    first = saved_as(en / MARCH, tmp_path / "a", "transcript1.html")
    second = saved_as(en / MARCH, tmp_path / "b", "copy of transcript1.html")
    _, one = ingest_json(first, "--db", db_path)
    result, two = ingest_json(second, "--db", db_path)
    assert result.exit_code == 0 and two["added"] == two["unchanged"] == 0
    assert [(d["path"], d["id"], d["first"]) for d in two["duplicates"]] == [
        (str(second), one["ids"][0], str(first))
    ]
    # In one run: one stored, the other named as its duplicate.
    _, both = ingest_json(first, second, "--db", tmp_path / "both.db")
    assert both["added"] == 1 and [(d["path"], d["first"]) for d in both["duplicates"]] == [
        (str(second), str(first))
    ]
    # Its first file moved away: the same page again, unchanged, not a duplicate.
    first.unlink()
    _, moved = ingest_json(second, "--db", db_path)
    assert (moved["unchanged"], moved["duplicates"]) == (1, [])


def test_a_duplicate_with_a_url_says_how_to_keep_it(en, tmp_path, db_path):
    run("ingest", saved_as(en / MARCH, tmp_path / "a", "transcript1.html"), "--db", db_path)
    _, data = ingest_json(en / MARCH, "--db", db_path)
    [d] = data["duplicates"]
    assert d["reason"].endswith(
        f"; it has no URL and this page has: to keep this one, `briefings remove {d['id']}` and ingest again"
    )


# -- 4. briefings remove -----------------------------------------------------------------------------------


def test_remove_deletes_a_briefing_whole_and_ingest_brings_it_back(en, db_path):
    run("ingest", en, SEEDS, "--db", db_path)
    assert json.loads(run("search", "Italy", "--json", "--limit", "1000", "--db", db_path).stdout)
    before = ids(db_path)
    dry = run("remove", "mfa-1646384", "--dry-run", "--db", db_path)
    assert dry.exit_code == 0 and dry.stdout.startswith("would remove mfa-1646384: 2019-03-18, ")
    assert ids(db_path) == before
    result = run("remove", "mfa-1646384", "gac-29ac2c50a773", "--json", "--db", db_path)
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["dry_run"] is False and [b["id"] for b in data["removed"]] == [
        "mfa-1646384",
        "gac-29ac2c50a773",
    ]
    assert set(before) - set(ids(db_path)) == {"mfa-1646384", "gac-29ac2c50a773"}
    hits = json.loads(run("search", "Italy", "--json", "--limit", "1000", "--db", db_path).stdout)
    assert "mfa-1646384" not in {h["briefing_id"] for h in hits}
    check = run("check", "--db", db_path)
    assert check.exit_code == 0, check.stdout  # no turn, index row or change record left behind
    _, again = ingest_json(en, SEEDS, "--db", db_path)
    assert again["added"] == 2 and ids(db_path) == before


def test_removing_an_unknown_id_names_it_and_removes_nothing(en, db_path):
    run("ingest", en / MARCH, "--db", db_path)
    result = run("remove", "mfa-1646384", "mfa-404", "mfa-405", "--db", db_path)
    assert result.exit_code == 1 and result.stdout == ""
    assert (
        result.stderr == "Error: no briefings mfa-404, mfa-405 in the archive; nothing was removed "
        "(see `briefings list`)\n"
    )
    assert ids(db_path) == ["mfa-1646384"]
    assert run("remove", "x", "--dry-run", "--db", db_path).exit_code == 1


# -- 5. exit codes -----------------------------------------------------------------------------------------


def test_an_ingest_that_rejected_everything_fails(tmp_path, db_path):
    (tmp_path / "empty.html").write_bytes(b"")
    result = run("ingest", tmp_path / "empty.html", "--db", db_path)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "Error: nothing stored: the one input was rejected"
    assert (
        run("ingest", tmp_path / "empty.html", SEEDS, "--db", db_path).exit_code == 0
    )  # something was stored


def test_an_ingest_of_listing_pages_only_stores_nothing_and_succeeds(en, db_path):
    result = run("ingest", en / "default.html", "--db", db_path)
    assert result.exit_code == 0 and "0 rejected, 1 skipped" in result.stdout
