"""Listing parsing on the real MFA listings, and crawls of a local mirror."""

from __future__ import annotations

from datetime import date

import pytest

from briefings.crawl import crawl, next_listing_url, parse_listing, skip_reason
from briefings.http import PoliteClient
from briefings.raw import read_manifest
from site_server import CORPUS, FIXTURES, FakeClock

EN_LIST = "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/"
ZH_LIST = "https://www.fmprc.gov.cn/web/wjdt_674879/fyrbt_674889/"
SCIO_HUB = "/pressroom/node_8020819.html"
UUID = "3f1c2a9e-5b7d-4e21-9c0a-7d3b8e6f1a25"


def corpus_listing(lang: str, n: int) -> str:
    name = "default.html" if n == 0 else f"default_{n}.html"
    path = CORPUS / lang / name
    if not path.is_file():
        pytest.skip("recorded corpus not present")
    return path.read_bytes().decode("utf-8")


@pytest.fixture
def clock():
    return FakeClock()


def run_crawl(source, raw, clock, **kw):
    with PoliteClient(clock=clock, rng=lambda: 0.5, timeout=2.0) as client:
        return crawl(source, raw_dir=raw, client=client, **kw)


def page_paths(site):
    return [s.path for s in site.log if s.path != "/robots.txt"]


def listing_page(site, path, links, next_href=None):
    """Serve a listing of (href, title) links at path, with a Next link if given; returns its URL."""
    items = "".join(f'<li><a href="{href}">{title}</a></li>' for href, title in links)
    pager = f'<a href="{next_href}">Next</a>' if next_href else ""
    site.add(path, f"<html><body><ul>{items}</ul>{pager}</body></html>", {"Content-Type": "text/html"})
    return site.url(path)


# -- listing pages ----------------------------------------------------------------


def test_real_mfa_english_listing():
    listing = parse_listing("mfa", EN_LIST + "default.shtml", corpus_listing("en", 0))
    assert len(listing.items) == 40  # the menu's links are not transcripts
    first = listing.items[0]
    assert first.url == EN_LIST + "t1794629.shtml"
    assert (
        first.title == "Foreign Ministry Spokesperson Zhao Lijian's Regular Press Conference on July 3, 2020"
    )
    assert first.date == date(2020, 7, 3)
    assert listing.items[-1].date == date(2020, 5, 6)
    assert listing.next_url == EN_LIST + "default_1.shtml"  # written by script from currentPage


def test_real_mfa_last_listing_page_has_no_next():
    listing = parse_listing("mfa", EN_LIST + "default_12.shtml", corpus_listing("en", 12))
    assert listing.next_url is None
    assert listing.items[-1].date.year == 2018


def test_real_mfa_listing_statements_are_not_transcripts():
    listing = parse_listing("mfa", EN_LIST + "default_5.shtml", corpus_listing("en", 5))
    reasons = {i.title: skip_reason("mfa", i.title) for i in listing.items}
    pelosi = next(t for t in reasons if "Pelosi" in t)
    assert reasons[pelosi] is not None
    # a Q&A published as "Remarks on <date>" during the summer break is a briefing
    assert reasons["Foreign Ministry Spokesperson Hua Chunying's Remarks on August 6, 2019"] is None
    kept = [t for t, r in reasons.items() if r is None]
    assert len(kept) == 38


def test_real_mfa_chinese_listing_dates_and_news_items():
    listing = parse_listing("mfa", ZH_LIST + "default_3.shtml", corpus_listing("zh", 3))
    assert listing.next_url == ZH_LIST + "default_4.shtml"
    first = listing.items[0]
    assert first.title == "2020年5月7日外交部发言人华春莹主持例行记者会" and first.date == date(2020, 5, 7)
    news = [i for i in listing.items if skip_reason("mfa", i.title)]
    assert news and all("例行记者会" not in i.title for i in news)
    assert any("专家组" in i.title for i in news)


def test_scio_hub_listing_from_conventions():
    html = (FIXTURES / "pressroom/node_8020819.html").read_text("utf-8")
    listing = parse_listing("scio", "http://h" + SCIO_HUB, html)
    assert [i.url.rsplit("/", 1)[1] for i in listing.items] == [
        "content_900010.html",
        "content_900001.html",
        "content_900002.html",
    ]  # the link to page 2 of a transcript is not a transcript
    assert listing.items[1].date == date(2025, 12, 16)
    assert skip_reason("scio", listing.items[0].title).startswith("notice")
    assert listing.next_url == "http://h/pressroom/node_8020819_2.html"


def test_next_page_by_label_and_by_trs_script():
    html = '<a href="/list?p=2" rel="next">Next</a>'
    assert next_listing_url("http://h/list", html) == "http://h/list?p=2"
    html = '<script>createPageHTML(5, 0, "index", "html");</script>'
    assert (
        next_listing_url("http://h/eng/xw/fyrbt/lxjzh/", html) == "http://h/eng/xw/fyrbt/lxjzh/index_1.html"
    )
    html = '<script>createPageHTML(5, 4, "index", "html");</script>'
    assert next_listing_url("http://h/eng/xw/fyrbt/lxjzh/index_4.html", html) is None


# -- crawling a mirror ----------------------------------------------------------------


def test_crawl_scio_skips_notices_and_walks_every_list_page(site, clock, tmp_path):
    report = run_crawl("scio", tmp_path, clock, base_url=site.base)
    assert report.listing_pages == 2
    assert report.transcripts == 4
    assert [s.reason for s in report.skipped] == ["notice of a coming briefing, not a transcript"]
    assert not site.requests("/pressroom/2025-12/20/content_900010.html")
    assert report.fetched == 4 + 1 + 1 + 1
    [gap] = report.incomplete
    assert gap.url == site.url("/pressroom/2025-12/10/content_900002.html")
    assert [m.page for m in gap.missing] == [2]
    stored = {p.name for p in (tmp_path / "scio").iterdir()}
    assert not any(n.startswith("node_") for n in stored)  # listings are not raw pages
    entries = read_manifest(tmp_path / "scio")
    assert entries["content_900001_4.html"]["what"] == "transcript page 4 of 4"


def test_crawl_limit(site, clock, tmp_path):
    report = run_crawl("scio", tmp_path, clock, base_url=site.base, limit=1)
    assert report.transcripts == 1
    assert not site.requests("/pressroom/2025-12/10/content_900002.html")
    assert not site.requests("/pressroom/node_8020819_2.html")


def test_crawl_date_bounds_stop_paging(site, clock, tmp_path):
    report = run_crawl("scio", tmp_path, clock, base_url=site.base, since="2025-11-01", until="2025-12-12")
    fetched = {p.url.rsplit("/", 1)[1] for p in report.pages if p.outcome == "fetched"}
    assert fetched == {"content_900002.html", "content_900003.html"}
    reasons = [s.reason for s in report.skipped]
    assert "dated 2025-12-16, after --until 2025-12-12" in reasons
    assert "dated 2025-10-02, before --since 2025-11-01" in reasons


def test_crawl_stops_at_a_list_page_wholly_before_since(site, clock, tmp_path):
    site.add(
        "/pressroom/node_8020819_2.html",
        '<a href="2025-10/02/content_900004.html">Old one</a> <a href="node_8020819_3.html">3</a>',
    )
    report = run_crawl("scio", tmp_path, clock, base_url=site.base, since="2025-12-01")
    assert report.listing_pages == 2
    assert not site.requests("/pressroom/node_8020819_3.html")


UNDATED = [(f"/Statics/{UUID}.html", "Speech at the State Council Information Office Press Conference")]


def test_undated_links_are_kept_without_bounds(site, clock, tmp_path):
    start = listing_page(site, "/News/undated.html", UNDATED)
    report = run_crawl("gac", tmp_path, clock, base_url=site.base, start=[start])
    assert report.transcripts == 1 and report.fetched == 2


@pytest.mark.parametrize("bounds", [{"since": "2030"}, {"until": "2020"}, {"since": "2020", "until": "2030"}])
def test_undated_links_are_skipped_with_a_reason_when_bounds_are_given(site, clock, tmp_path, bounds):
    bounds = {k: date(int(v), 1, 1) for k, v in bounds.items()}
    start = listing_page(site, "/News/undated.html", UNDATED, next_href="/News/undated_2.html")
    listing_page(site, "/News/undated_2.html", UNDATED)
    report = run_crawl("gac", tmp_path, clock, base_url=site.base, start=[start], **bounds)
    assert report.transcripts == 0 and not site.requests(UNDATED[0][0])
    assert report.skipped[0].reason.startswith(
        "the listing shows no date for it, so --since/--until cannot place it"
    )
    # with --since, a listing page showing nothing dated on or after it ends the walk
    assert report.listing_pages == (1 if "since" in bounds else 2)


def test_rerun_of_an_interrupted_crawl_fetches_only_what_is_missing(site, clock, tmp_path):
    run_crawl("scio", tmp_path, clock, base_url=site.base, limit=2)
    site.log.clear()
    report = run_crawl("scio", tmp_path, clock, base_url=site.base, limit=3)
    transcript_requests = [p for p in page_paths(site) if "/content_" in p]
    assert transcript_requests == [
        "/pressroom/2025-12/10/content_900002_2.html",  # still missing, tried again
        "/pressroom/2025-11/20/content_900003.html",
    ]
    assert report.present == 5 and report.fetched == 1


def test_crawl_gac_keeps_speeches_and_skips_news(site, clock, tmp_path):
    report = run_crawl("gac", tmp_path, clock, base_url=site.base)
    assert report.transcripts == 1 and report.fetched == 2
    [skip] = report.skipped
    assert "news item" in skip.reason and "winter fruit" in skip.title
    entry = read_manifest(tmp_path / "gac")[f"{UUID}_2.html"]
    assert entry["charset"] == "gb18030" and entry["what"] == "transcript page 2 of 2"


def test_crawl_rewrites_live_links_onto_the_mirror(site, clock, tmp_path):
    start = listing_page(
        site,
        "/custom/list.html",
        [
            ("https://english.scio.gov.cn/pressroom/2025-11/20/content_900003.html", "Weather"),
            ("https://elsewhere.example/pressroom/2025-11/21/content_1234567.html", "Elsewhere"),
        ],
    )
    report = run_crawl("scio", tmp_path, clock, base_url=site.base, start=[start])
    assert report.fetched == 1
    assert site.requests("/pressroom/2025-11/20/content_900003.html")
    assert [s.reason for s in report.skipped] == ["link to another site"]


def test_a_malformed_link_on_a_listing_is_skipped_and_the_crawl_goes_on(site, clock, tmp_path):
    start = listing_page(
        site,
        "/custom/list.html",
        [
            ("http://[oops/pressroom/2025-11/21/content_1234567.html", "Broken"),
            ("/pressroom/2025-11/20/content_900003.html", "Weather"),
        ],
    )
    report = run_crawl("scio", tmp_path, clock, base_url=site.base, start=[start])
    assert report.fetched == 1 and site.requests("/pressroom/2025-11/20/content_900003.html")
    [skip] = report.skipped
    assert skip.url == "http://[oops/pressroom/2025-11/21/content_1234567.html" and skip.title == "Broken"
    assert skip.reason.startswith("link not followed: malformed URL")


def test_crawl_respects_robots_on_listings(site, clock, tmp_path):
    site.robots("User-agent: *\nDisallow: /pressroom/node_\n")
    report = run_crawl("scio", tmp_path, clock, base_url=site.base)
    assert not site.requests(SCIO_HUB)
    assert report.errors and "disallowed by robots.txt" in report.errors[0]
    assert not report.ok


def test_crawl_listing_rate_limited(site, clock, tmp_path):
    run_crawl("scio", tmp_path, clock, base_url=site.base, limit=1, rate=1.0)
    # robots + list + 4 pages: every request after the first waited its second
    assert clock.sleeps == [pytest.approx(1.0)] * 5


def test_crawl_recorded_mfa_mirror(server, clock, tmp_path):
    if not (CORPUS / "zh" / "manifest.jsonl").is_file():
        pytest.skip("recorded corpus not present")
    server.reset()
    server.add_corpus(CORPUS / "en")
    server.add_corpus(CORPUS / "zh")
    report = run_crawl("mfa", tmp_path, clock, base_url=server.base, since="2020-06-29", until="2020-06-30")
    # The listings link June 29 and 30 in each language; what the corpus recorded is fetched, and the
    # mirror answers 404 for the rest, which the crawl reports as failed
    linked = ["t1793427.shtml", "t1793120.shtml", "t1793409.shtml", "t1793110.shtml"]
    recorded = set(read_manifest(CORPUS / "en")) | set(read_manifest(CORPUS / "zh"))
    recorded = {name.replace(".html", ".shtml") for name in recorded}
    assert "t1793427.shtml" in recorded and "t1793110.shtml" not in recorded
    assert [p.url.rsplit("/", 1)[1] for p in report.pages if p.outcome == "fetched"] == [
        name for name in linked if name in recorded
    ]
    assert [(p.url.rsplit("/", 1)[1], p.status) for p in report.failed] == [
        (name, 404) for name in linked if name not in recorded
    ]
    # each second listing page is wholly before June 29, so paging stops there
    lists = [p for p in page_paths(server) if "default" in p]
    assert lists == [
        "/mfa_eng/xwfw_665399/s2510_665401/2511_665403/default.shtml",
        "/mfa_eng/xwfw_665399/s2510_665401/2511_665403/default_1.shtml",
        "/web/wjdt_674879/fyrbt_674889/default.shtml",
        "/web/wjdt_674879/fyrbt_674889/default_1.shtml",
    ]
    entry = read_manifest(tmp_path / "mfa")["t1793427.shtml"]
    assert entry["source"] == "mfa" and entry["charset"] == "utf-8"


def test_crawl_mfa_reads_the_chinese_listing_too(server, clock, tmp_path):
    if not (CORPUS / "zh" / "manifest.jsonl").is_file():
        pytest.skip("recorded corpus not present")
    server.reset()
    server.add_corpus(CORPUS / "zh")
    report = run_crawl("mfa", tmp_path, clock, base_url=server.base, since="2020-06-23", until="2020-06-23")
    fetched = [p.url for p in report.pages if p.outcome == "fetched"]
    assert fetched == [server.url("/web/wjdt_674879/fyrbt_674889/t1791535.shtml")]


def test_crawl_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="unknown source"):
        crawl("bbc", raw_dir=tmp_path)
    with pytest.raises(ValueError, match="after"):
        crawl("scio", raw_dir=tmp_path, since="2025-02-01", until="2025-01-01")
    with pytest.raises(ValueError, match="malformed URL"):
        crawl("scio", raw_dir=tmp_path, base_url="http://[bad")


def test_a_transcript_linked_twice_is_fetched_once_and_counts_once(site, clock, tmp_path):
    listing = (FIXTURES / "pressroom" / "node_8020819.html").read_text(encoding="utf-8")
    listing = listing.replace(
        '<li><a href="2025-12/10/content_900002.html">',
        '<li><a href="/m/pressroom/2025-12/16/content_900001.html">SCIO press conference on constructed port '
        'statistics</a><span>2025-12-16</span></li>\n<li><a href="2025-12/10/content_900002.html">',
    )
    site.add("/pressroom/node_8020819.html", listing, {"Content-Type": "text/html"})
    report = run_crawl("scio", tmp_path, clock, base_url=site.base, limit=2)
    assert report.transcripts == 2
    assert not site.requests("/m/pressroom/2025-12/16/content_900001.html")
    assert site.requests("/pressroom/2025-12/10/content_900002.html")
