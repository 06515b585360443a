"""Fetch then ingest: the raw store the fetcher writes makes the same archive as the files themselves."""

from __future__ import annotations

import json
import re
import shutil
from urllib.parse import urlsplit

import pytest

from briefings.fetch import fetch
from briefings.http import PoliteClient
from briefings.ingest import ingest
from briefings.people import Entities
from briefings.query import get_briefing
from briefings.store import Archive
from conftest import CORPUS
from site_server import FakeClock

T1 = "/pressroom/2025-12/16/content_900001.html"


def fetch_into(raw, urls, source=None):
    with PoliteClient(clock=FakeClock(), rng=lambda: 0.5, timeout=2.0) as client:
        return fetch(urls, raw_dir=raw, source=source, client=client)


def archive_of(db, *paths):
    with Archive(db, write=True) as archive:
        report = ingest(paths, archive, Entities.load())
    return report


def briefing(db, bid):
    with Archive(db) as archive:
        return get_briefing(archive.db, bid)


def test_a_page_that_could_not_be_fetched_makes_the_briefing_incomplete(server, tmp_path):
    server.reset()
    server.add_fixtures()
    server.fault(T1.replace(".html", "_2.html"), 500, 500, 500, 500)
    report = fetch_into(tmp_path / "raw", [server.url(T1)])
    assert [m.page for gap in report.incomplete for m in gap.missing] == [2]
    ingested = archive_of(tmp_path / "a.db", tmp_path / "raw")
    assert ingested.briefings == 1
    [(bid, missing)] = ingested.incomplete
    assert (bid, missing) == ("scio-900001", (2,))
    b = briefing(tmp_path / "a.db", bid)
    assert b["missing_pages"] == [2] and b["incomplete"] is True
    assert {t["page"] for t in b["turns"]} == {1, 3, 4}
    # What opens page 3 cannot be joined to page 1's last turn across the lost page.
    first_on_3 = next(t for t in b["turns"] if t["page"] == 3)
    assert (first_on_3["label"], first_on_3["speaker"], first_on_3["kind"]) == (None, None, "other")
    assert first_on_3["text"] == "and extend them to inland ports."
    # Pages 3 and 4 follow each other: the answer on page 4 answers the question asked on page 3.
    assert [(t["speaker"], t["kind"], t["answers"]) for t in b["turns"] if t["page"] == 4][0] == (
        "Lin Qiaoyun",
        "answer",
        next(t["seq"] for t in b["turns"] if t["label"] == "Bloomberg News"),
    )


def test_a_named_later_page_joins_its_transcript(server, tmp_path):
    server.reset()
    stem = "/pressroom/2025-09/05/content_800001"
    for suffix, body in (
        ("", "<p>Speakers:</p><p>Mr. He Wenbo, official</p><p>He Wenbo:</p><p>First.</p>"),
        ("_2", "<p>Reuters:</p><p>Second?</p>"),
    ):
        server.add(
            f"{stem}{suffix}.html",
            f"<html><head><title>Rivers</title></head><body><h1>Rivers</h1>"
            f"<!--enpcontent-->{body}<!--/enpcontent--></body></html>",
            {"Content-Type": "text/html"},
        )
    report = fetch_into(tmp_path / "raw", [server.url(f"{stem}_2.html")])  # page 1 shows no pager
    assert report.fetched == 2 and report.ok
    ingested = archive_of(tmp_path / "a.db", tmp_path / "raw")
    assert ingested.ids == ["scio-800001"] and not ingested.incomplete
    b = briefing(tmp_path / "a.db", "scio-800001")
    assert len(b["pages"]) == 2 and {t["page"] for t in b["turns"]} == {1, 2}


def assert_fetched_ingests_like_the_files(tmp_path, urls, files, source=None, briefings=None):
    report = fetch_into(tmp_path / "raw", urls, source=source)
    assert report.ok and report.fetched == len(files)
    via_fetch = archive_of(tmp_path / "fetched.db", tmp_path / "raw")
    direct = archive_of(tmp_path / "direct.db", *files)
    assert sorted(via_fetch.ids) == sorted(direct.ids)
    assert len(direct.ids) == (briefings or len(files)) and not direct.incomplete and not via_fetch.incomplete
    for bid in direct.ids:
        a, b = briefing(tmp_path / "fetched.db", bid), briefing(tmp_path / "direct.db", bid)
        assert len(a.pop("pages")) == len(b.pop("pages"))
        for d in (a, b):  # the mirror's address stands where the live site's would
            d.pop("url")
        assert a == b, bid


def test_fetched_corpus_pages_ingest_like_the_files(server, tmp_path):
    folder = CORPUS / "en"
    if not folder.is_dir():
        pytest.skip("../shared/corpus/mfa/en is not present")
    server.reset()
    server.add_corpus(folder)
    entries = [
        json.loads(line) for line in (folder / "manifest.jsonl").read_text().splitlines() if line.strip()
    ]
    picked = [e for e in entries if e["file"].startswith("t")][:6]
    assert_fetched_ingests_like_the_files(
        tmp_path,
        [server.url(urlsplit(e["url"]).path) for e in picked],
        [folder / e["file"] for e in picked],
        source="mfa",
    )


def placed_by_hand(site, tmp_path, paths):
    """Copies of the site's pages with a sidecar naming each one's URL, as a person would save them."""
    from site_server import FIXTURES

    folder = tmp_path / "by-hand"
    folder.mkdir()
    files = []
    for path in paths:
        copy = folder / path.rsplit("/", 1)[1]
        copy.write_bytes((FIXTURES / path.lstrip("/")).read_bytes())
        copy.with_name(copy.name + ".meta.json").write_text(
            json.dumps({"url": site.url(path)}), encoding="utf-8"
        )
        files.append(copy)
    return files


def test_a_fetched_multi_page_scio_transcript_ingests_like_its_files(site, tmp_path):
    pages = [T1] + [T1.replace(".html", f"_{n}.html") for n in (2, 3, 4)]
    files = placed_by_hand(site, tmp_path, pages)
    assert_fetched_ingests_like_the_files(tmp_path, [site.url(T1)], files, briefings=1)


def test_a_fetched_two_page_gacc_speech_ingests_like_its_files(site, tmp_path):
    gac = "/Statics/3f1c2a9e-5b7d-4e21-9c0a-7d3b8e6f1a25.html"
    files = placed_by_hand(site, tmp_path, [gac, gac.replace(".html", "_2.html")])
    assert_fetched_ingests_like_the_files(tmp_path, [site.url(gac)], files, briefings=1)


def test_a_failed_last_page_in_the_manifest_is_named(tmp_path):
    """No gap in the page numbers and no pager: only the manifest knows page 3 exists."""
    folder = tmp_path / "raw" / "scio"
    folder.mkdir(parents=True)
    base = "https://english.scio.gov.cn/pressroom/2025-12/16/content_777"
    pages = {
        "content_777.html": "<p>Speakers:</p><p>Ms. Lin Qiaoyun, director of ports</p><p>Date:</p><p>Dec. 2, 2025</p>"
        "<p>Lin Qiaoyun:</p><p>Port throughput rose.</p>",
        "content_777_2.html": "<p>Reuters:</p><p>By how much?</p>",
    }
    lines = []
    for n, (name, body) in enumerate(pages.items(), 1):
        html = f"<html><head><title>Ports</title></head><body><h1>Ports</h1><!--enpcontent-->{body}<!--/enpcontent--></body></html>"
        (folder / name).write_text(html, encoding="utf-8")
        lines.append(
            {
                "file": name,
                "url": f"{base}{'' if n == 1 else '_2'}.html",
                "status": 200,
                "sha256": "x",
                "source": "scio",
                "transcript": f"{base}.html",
                "page": n,
            }
        )
    lines.append(
        {
            "file": "content_777_3.html",
            "url": f"{base}_3.html",
            "status": 503,
            "error": "HTTP 503 after 4 attempts",
            "source": "scio",
            "transcript": f"{base}.html",
            "page": 3,
        }
    )
    (folder / "manifest.jsonl").write_text("".join(json.dumps(e) + "\n" for e in lines), encoding="utf-8")
    report = archive_of(tmp_path / "a.db", tmp_path / "raw")
    assert report.incomplete == [("scio-777", (3,))]
    b = briefing(tmp_path / "a.db", "scio-777")
    assert b["missing_pages"] == [3]
    assert [(t["speaker"], t["page"]) for t in b["turns"]] == [("Lin Qiaoyun", 1), ("Reuters", 2)]


def test_desktop_and_mobile_copies_of_a_transcript_are_one_briefing(tmp_path):
    folder = tmp_path / "raw" / "scio"
    folder.mkdir(parents=True)
    body = (
        "<html><body><h1>Ports</h1><!--enpcontent--><p>Speakers:</p><p>Ms. Lin Qiaoyun, director of ports</p>"
        "<p>Date:</p><p>Dec. 2, 2025</p><p>Lin Qiaoyun:</p><p>Port throughput rose.</p><!--/enpcontent--></body></html>"
    )
    entries = []
    for name, url in (
        ("content_888.html", "https://english.scio.gov.cn/pressroom/2025-12/16/content_888.html"),
        ("m_content_888.html", "https://english.scio.gov.cn/m/pressroom/2025-12/16/content_888.html"),
    ):
        (folder / name).write_text(body, encoding="utf-8")
        entries.append({"file": name, "url": url, "status": 200, "source": "scio"})
    (folder / "manifest.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    report = archive_of(tmp_path / "a.db", tmp_path / "raw")
    assert (report.briefings, report.ids) == (1, ["scio-888"])
    again = archive_of(tmp_path / "a.db", tmp_path / "raw")
    assert (again.unchanged, again.updated) == (1, 0)


def test_two_pages_that_make_the_same_briefing_id_never_overwrite_each_other(tmp_path):
    folder = tmp_path / "raw"
    for sub, text in (("a", "Port throughput rose."), ("b", "Port throughput fell.")):
        (folder / sub).mkdir(parents=True)
        (folder / sub / "t1558711.html").write_text(
            "<html><body><div class='content_mod'><h2 class='title'>Foreign Ministry Spokesperson Geng Shuang's "
            f"Regular Press Conference on May 11, 2018</h2><div class='content'><p>{text}</p></div></div></body></html>",
            encoding="utf-8",
        )
        (folder / sub / "manifest.jsonl").write_text(
            json.dumps(
                {
                    "file": "t1558711.html",
                    "status": 200,
                    "source": "mfa",
                    "url": f"https://www.fmprc.gov.cn/{sub}/t1558711.shtml",
                }
            )
            + "\n",
            encoding="utf-8",
        )
    report = archive_of(tmp_path / "a.db", folder)
    assert report.ids == ["mfa-1558711"] and report.added == 1
    [(path, reason)] = report.rejected
    assert path.endswith("b/t1558711.html")
    assert reason == f"same briefing id mfa-1558711 as {folder / 'a' / 't1558711.html'}; kept that one"
    assert briefing(tmp_path / "a.db", "mfa-1558711")["turns"][0]["text"] == "Port throughput rose."


def test_part_of_a_stored_transcript_never_replaces_it(tmp_path):
    from conftest import FIXTURES

    folder = tmp_path / "s"
    shutil.copytree(FIXTURES / "constructed" / "scio_desktop_html", folder)
    db = tmp_path / "a.db"
    assert archive_of(db, folder).added == 1
    whole = briefing(db, "scio-118162347")
    report = archive_of(db, folder / "content_118162347_2.html")
    assert report.updated == 0
    [(path, reason)] = report.rejected
    assert reason == (
        "scio-118162347 is stored whole and this copy is not (page(s) 1 missing); "
        "ingest all of its pages together to update it"
    )
    assert briefing(db, "scio-118162347") == whole


def test_content_numbers_of_other_sites_do_not_make_one_id(tmp_path):
    db = tmp_path / "a.db"
    for sub, host, text in (
        ("a", "www.example.org/news", "rivers"),
        ("b", "www.other.net/press", "mountains"),
    ):
        folder = tmp_path / sub
        folder.mkdir()
        (folder / "content_5.html").write_text(
            f"<html><body><h1>Briefing on {text}</h1><p>Q: What about {text}?</p><p>A: They are fine.</p></body></html>",
            encoding="utf-8",
        )
        (folder / "content_5.html.meta.json").write_text(
            json.dumps({"url": f"https://{host}/content_5.html", "source": "text"}), encoding="utf-8"
        )
        assert archive_of(db, folder).added == 1
    with Archive(db) as archive:
        titles = sorted(r[0] for r in archive.db.execute("SELECT title FROM briefings"))
    assert titles == ["Briefing on mountains", "Briefing on rivers"]


def test_a_page_saved_without_its_url_joins_its_transcript(tmp_path):
    folder = tmp_path / "raw"
    (folder / "copy").mkdir(parents=True)
    for n, text in (
        (1, "<p>Speakers:</p><p>Ms. Lin Qiaoyun, director of ports</p><p>Lin Qiaoyun:</p><p>Up.</p>"),
        (2, "<p>Reuters:</p><p>By how much?</p>"),
    ):
        name = "content_999.html" if n == 1 else "content_999_2.html"
        html = f"<html><body><h1>Ports</h1><!--enpcontent-->{text}<!--/enpcontent--></body></html>"
        (folder / "copy" / name).write_text(html, encoding="utf-8")
    report = archive_of(tmp_path / "a.db", folder / "copy")  # the SCIO body markers tell the family
    # One briefing of both pages; with no URL its id is made from page 1's text, not the file name.
    [bid] = report.ids
    assert re.fullmatch(r"scio-[0-9a-f]{12}", bid) and not report.incomplete
    assert [(t["speaker"], t["page"]) for t in briefing(tmp_path / "a.db", bid)["turns"]] == [
        ("Lin Qiaoyun", 1),
        ("Reuters", 2),
    ]


def test_a_torn_manifest_line_is_refetched_and_later_entries_survive(site, tmp_path):
    raw = tmp_path / "raw"
    fetch_into(raw, [site.url(T1)])
    manifest = raw / "scio" / "manifest.jsonl"
    data = manifest.read_bytes()
    manifest.write_bytes(data[:-80])  # a run killed while writing the last line
    (raw / "scio" / "content_900001_4.html").unlink()  # its page was being replaced too
    again = fetch_into(raw, [site.url(T1)])
    assert again.fetched == 1
    from briefings.raw import read_manifest

    entries = read_manifest(raw / "scio")
    assert sorted(entries) == [f"content_900001{s}.html" for s in ("", "_2", "_3", "_4")]
    report = archive_of(tmp_path / "a.db", raw)
    assert report.ids == ["scio-900001"] and not report.incomplete


def test_a_later_page_that_redirects_to_page_1_is_missing_not_a_copy(site, tmp_path):
    page3 = T1.replace(".html", "_3.html")
    site.fault(page3, ("redirect", T1, 302))
    report = fetch_into(tmp_path / "raw", [site.url(T1)])
    [gap] = report.incomplete
    [(n, reason)] = [(m.page, m.reason) for m in gap.missing]
    assert n == 3 and reason.startswith(f"redirected to {site.url(T1)}, which is not page 3")
    assert not (tmp_path / "raw" / "scio" / "content_900001_3.html").exists()
    ingested = archive_of(tmp_path / "a.db", tmp_path / "raw")
    assert ingested.incomplete == [("scio-900001", (3,))]
    b = briefing(tmp_path / "a.db", "scio-900001")
    assert {t["page"] for t in b["turns"]} == {1, 2, 4}


def test_an_unreadable_manifest_line_is_reported(site, tmp_path):
    raw = tmp_path / "raw"
    fetch_into(raw, [site.url(T1)])
    manifest = raw / "scio" / "manifest.jsonl"
    manifest.write_bytes(manifest.read_bytes()[:-80] + b"\n\xff\xfe not json\n")
    report = archive_of(tmp_path / "a.db", raw)
    assert report.ids == ["scio-900001"]  # the page with the torn entry joins by its file name
    [(path, reason)] = report.rejected
    assert path == str(manifest) and reason.startswith("line(s) 4, 5 unreadable (an interrupted fetch?)")


def test_a_refresh_after_the_site_repaginates_leaves_no_stale_page(site, tmp_path):
    raw = tmp_path / "raw"
    fetch_into(raw, [site.url(T1)])
    db = tmp_path / "a.db"
    archive_of(db, raw)
    # The site now prints the transcript on 3 pages: page 4's text moves to page 3.
    base = T1.rsplit("/", 1)[0]
    root = site_fixture_root()
    page1 = (root / T1.lstrip("/")).read_text(encoding="utf-8")
    page1 = page1.replace('<a href="content_900001_4.html">4</a>', '<a href="content_900001_3.html">3</a>')
    page1 = page1.replace("Good morning.", "Good morning, all.")
    page3 = (root / f"{base}/content_900001_3.html".lstrip("/")).read_text(encoding="utf-8")
    page4 = (root / f"{base}/content_900001_4.html".lstrip("/")).read_text(encoding="utf-8")
    body4 = page4[page4.index("<!--enpcontent-->") + 17 : page4.index("<!--/enpcontent-->")]
    page3 = page3.replace("<!--/enpcontent-->", body4 + "<!--/enpcontent-->")
    page2 = (root / f"{base}/content_900001_2.html".lstrip("/")).read_text(encoding="utf-8")
    unlink4 = (' <a href="content_900001_4.html">4</a>', ' <a href="content_900001_4.html">&gt;</a>')
    for old_link in unlink4:
        page2, page3 = page2.replace(old_link, ""), page3.replace(old_link, "")
    assert "content_900001_4" not in page1 + page2 + page3
    site.add(T1, page1, {"Content-Type": "text/html"})
    site.add(f"{base}/content_900001_2.html", page2, {"Content-Type": "text/html"})
    site.add(f"{base}/content_900001_3.html", page3, {"Content-Type": "text/html"})
    del site.routes[f"{base}/content_900001_4.html"]
    with PoliteClient(clock=FakeClock(), rng=lambda: 0.5, timeout=2.0) as client:
        fetch([site.url(T1)], raw_dir=raw, client=client, refresh=True)
    assert not (raw / "scio" / "content_900001_4.html").exists()
    assert list((raw / "scio" / ".history").glob("content_900001_4.*.html"))
    report = archive_of(db, raw)
    assert report.updated == 1 and not report.incomplete
    texts = [t["text"] for t in briefing(db, "scio-900001")["turns"]]
    assert len(texts) == len(set(texts)), texts  # nothing read twice


def site_fixture_root():
    from site_server import FIXTURES

    return FIXTURES
