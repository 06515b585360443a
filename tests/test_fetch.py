"""The polite client and the raw store, against a local site that misbehaves on cue."""

from __future__ import annotations

import json
import time
from email.utils import formatdate

import pytest

from briefings import __version__
from briefings.fetch import Fetcher, detect_source, fetch, page_links, split_page
from briefings.http import USER_AGENT, PoliteClient, parse_retry_after
from briefings.raw import iter_page_files, load_page, read_manifest, sha256
from site_server import CORPUS, FIXTURES, FakeClock, FakeSite, RawServer, tls_site

T1 = "/pressroom/2025-12/16/content_900001.html"
T1_PAGES = [T1] + [f"/pressroom/2025-12/16/content_900001_{n}.html" for n in (2, 3, 4)]
T2 = "/pressroom/2025-12/10/content_900002.html"
GAC = "/Statics/3f1c2a9e-5b7d-4e21-9c0a-7d3b8e6f1a25.html"


@pytest.fixture(scope="module")
def servers():
    """Two hosts (two ports), started once: stopping a server costs half a second."""
    with FakeSite() as a, FakeSite() as b:
        yield a, b


@pytest.fixture
def site(servers):
    servers[0].reset()
    servers[0].add_fixtures()
    return servers[0]


@pytest.fixture
def other(servers):
    servers[1].reset()
    return servers[1]


@pytest.fixture
def clock():
    return FakeClock()


def client_for(clock, **kw) -> PoliteClient:
    kw.setdefault("rng", lambda: 0.5)  # jitter factor exactly 1.0
    kw.setdefault("timeout", 2.0)
    return PoliteClient(clock=clock, **kw)


def run(urls, raw, clock, *, source=None, refresh=False, insecure_http=False, **kw):
    with client_for(clock, **kw) as client:
        return fetch(
            urls, raw_dir=raw, source=source, refresh=refresh, insecure_http=insecure_http, client=client
        )


def page_requests(site, paths):
    return [s.path for s in site.log if s.path in paths]


# -- URL helpers ----------------------------------------------------------------


def test_split_page_knows_page_suffixes_from_ids():
    assert split_page("http://h/pressroom/2025-12/16/content_118230968_3.html") == (
        "http://h/pressroom/2025-12/16/content_118230968.html",
        3,
    )
    assert split_page("http://h/pressroom/2025-12/16/content_118230968.html")[1] == 1
    # MFA's date_id names are one page, not page 11218830
    url = "https://www.mfa.gov.cn/eng/xw/fyrbt/lxjzh/202401/t20240105_11218830.html"
    assert split_page(url) == (url, 1)
    assert split_page("http://h/x/content_2.html")[1] == 1  # no id before the suffix
    uuid = "http://h/Statics/3f1c2a9e-5b7d-4e21-9c0a-7d3b8e6f1a25"
    assert split_page(uuid + "_2.html") == (uuid + ".html", 2)


def test_page_links_reads_the_pager_including_gaps():
    text = (FIXTURES / T1.lstrip("/")).read_text(encoding="utf-8")
    links = page_links("http://h" + T1, text)
    assert sorted(links) == [2, 4]  # "1 2 ... 4 >": page 3 is implied, not linked
    assert links[4] == "http://h/pressroom/2025-12/16/content_900001_4.html"


def test_detect_source_by_host_then_path():
    assert detect_source("https://english.scio.gov.cn/pressroom/2025-12/16/content_9001.html") == "scio"
    assert detect_source("http://www.china.org.cn/china/2024-08/21/content_1.htm") == "chinaorg"
    assert detect_source("https://www.fmprc.gov.cn/mfa_eng/x/t1.shtml") == "mfa"
    assert detect_source("http://english.customs.gov.cn/Statics/x.html") == "gac"
    assert detect_source("http://127.0.0.1:1" + T1) == "scio"
    assert detect_source("http://127.0.0.1:1/china/2024-08/21/content_7.htm") == "chinaorg"
    assert detect_source("http://127.0.0.1:1/somewhere/page.html") is None
    # the Chinese MFA pages, on a mirror, by their numbered sections
    assert detect_source("http://127.0.0.1:1/web/wjdt_674879/fyrbt_674889/t1415586.shtml") == "mfa"
    assert (
        detect_source("http://127.0.0.1:1/web/wjdt_674879/fyrbt_674889/202401/t20240105_11218839.shtml")
        == "mfa"
    )


def test_retry_after_seconds_and_http_date():
    assert parse_retry_after("7", now=0) == 7.0
    assert parse_retry_after(formatdate(1000 + 30, usegmt=True), now=1000) == pytest.approx(30)
    assert parse_retry_after(formatdate(500, usegmt=True), now=1000) == 0.0
    assert parse_retry_after("soon", now=0) is None


# -- a whole transcript ---------------------------------------------------------


def test_fetches_every_page_and_writes_the_manifest(site, clock, tmp_path):
    report = run([site.url(T1)], tmp_path, clock)

    assert report.fetched == 4 and not report.failed and not report.incomplete
    folder = tmp_path / "scio"
    names = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name != "manifest.jsonl")
    assert names == [
        "content_900001.html",
        "content_900001_2.html",
        "content_900001_3.html",
        "content_900001_4.html",
    ]
    entries = read_manifest(folder)
    e3 = entries["content_900001_3.html"]
    body = (folder / "content_900001_3.html").read_bytes()
    assert body == (FIXTURES / T1_PAGES[2].lstrip("/")).read_bytes()
    assert e3["url"] == site.url(T1_PAGES[2]) == e3["final_url"]
    assert e3["status"] == 200
    assert e3["sha256"] == sha256(body) and e3["bytes"] == len(body)
    assert e3["charset"] == "utf-8"
    assert e3["source"] == "scio"
    assert e3["what"] == "transcript page 3 of 4"
    assert e3["headers"]["Etag"].startswith('"')
    assert e3["fetched_at"] == pytest.approx(clock.time(), abs=10)
    assert entries["content_900001.html"]["what"] == "transcript page 1 of 4"
    assert not list(folder.glob(".tmp-*"))


def test_a_later_page_url_fetches_the_whole_transcript(site, clock, tmp_path):
    report = run([site.url(T1_PAGES[2])], tmp_path, clock)
    assert [p.page for p in report.pages] == [1, 2, 3, 4]
    assert report.fetched == 4


def _unpaged(text):
    return f"<html><body><!--enpcontent--><p>He Wenbo:</p><p>{text}</p><!--/enpcontent--></body></html>"


def test_the_named_page_is_fetched_when_page_1_shows_no_pager(other, clock, tmp_path):
    stem = "/pressroom/2025-09/05/content_800001"
    for n, suffix in enumerate(("", "_2", "_3"), 1):
        other.add(f"{stem}{suffix}.html", _unpaged(f"page {n}"), {"Content-Type": "text/html"})
    report = run([other.url(f"{stem}_3.html")], tmp_path, clock)
    assert [(p.page, p.outcome) for p in report.pages] == [(1, "fetched"), (2, "fetched"), (3, "fetched")]
    assert not report.incomplete and report.ok
    entries = read_manifest(tmp_path / "scio")
    assert entries["content_800001.html"]["what"] == "transcript page 1 of 3"
    assert entries["content_800001_3.html"]["what"] == "transcript page 3 of 3"


def test_the_named_page_is_fetched_even_when_page_1_fails(other, clock, tmp_path):
    stem = "/pressroom/2025-09/05/content_800002"
    other.add(f"{stem}_2.html", _unpaged("page 2"), {"Content-Type": "text/html"})
    report = run([other.url(f"{stem}_2.html")], tmp_path, clock)  # page 1 is a 404
    assert [(p.page, p.outcome) for p in report.pages] == [(1, "failed"), (2, "fetched")]
    [gap] = report.incomplete
    assert [m.page for m in gap.missing] == [1]
    assert (tmp_path / "scio" / "content_800002_2.html").is_file()


def test_ingest_can_load_what_fetch_wrote(site, clock, tmp_path):
    run([site.url(GAC)], tmp_path, clock)
    files = list(iter_page_files([tmp_path]))
    assert [f.name for f in files] == [
        GAC.rsplit("/", 1)[1],
        GAC.rsplit("/", 1)[1].replace(".html", "_2.html"),
    ]
    page = load_page(files[1])
    assert page.source == "gac"
    assert page.url == site.url(GAC.replace(".html", "_2.html"))
    assert page.charset == "gb18030"  # declared gb2312 in <meta>; decode.py widens it
    assert "谢谢" in page.body.decode(page.charset)


def test_recorded_mfa_page_is_replayed_and_stored_byte_for_byte(other, clock, tmp_path):
    if not (CORPUS / "en" / "manifest.jsonl").is_file():
        pytest.skip("recorded corpus not present")
    recorded = {}
    for line in (CORPUS / "en" / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        recorded[entry["file"]] = entry
    other.add_corpus(CORPUS / "en")
    path = "/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t1558711.shtml"
    report = run([other.url(path)], tmp_path, clock, source="mfa")
    assert report.fetched == 1
    entry = read_manifest(tmp_path / "mfa")["t1558711.shtml"]
    assert entry["sha256"] == recorded["t1558711.html"]["sha256"]
    assert entry["bytes"] == recorded["t1558711.html"]["bytes"]
    assert entry["headers"]["Content-Type"] == "text/html"  # no charset in the header...
    assert entry["charset"] == "utf-8"  # ...so the <meta> declaration decides
    assert entry["what"] == "transcript page 1 of 1"


def test_a_recorded_chinese_mfa_page_on_a_mirror_needs_no_source(other, clock, tmp_path):
    if not (CORPUS / "zh" / "manifest.jsonl").is_file():
        pytest.skip("recorded corpus not present")
    other.add_corpus(CORPUS / "zh")
    report = run([other.url("/web/wjdt_674879/fyrbt_674889/t1415586.shtml")], tmp_path, clock)
    assert report.fetched == 1 and report.ok
    assert read_manifest(tmp_path / "mfa")["t1415586.shtml"]["source"] == "mfa"


def test_same_last_segment_from_two_urls_gets_two_files(site, clock, tmp_path):
    mobile = "/m" + T1
    site.add(mobile, "<html><p>mobile copy</p></html>", {"Content-Type": "text/html"})
    run([site.url(mobile)], tmp_path, clock)
    run([site.url(T1)], tmp_path, clock)
    entries = read_manifest(tmp_path / "scio")
    by_url = {e["url"]: name for name, e in entries.items()}
    first, second = by_url[site.url(mobile)], by_url[site.url(T1)]
    assert first == "content_900001.html"
    assert second != first and second.startswith("content_900001") and second.endswith(".html")
    assert (tmp_path / "scio" / second).read_bytes() == (FIXTURES / T1.lstrip("/")).read_bytes()


def test_unknown_source_is_an_error_naming_the_option(other, clock, tmp_path):
    other.add("/somewhere/page.html", "<html></html>")
    report = run([other.url("/somewhere/page.html")], tmp_path, clock)
    assert not other.requests("/somewhere/page.html")
    assert report.failed and "--source" in report.failed[0].reason


def test_forced_source_is_used_for_a_url_that_does_not_tell(other, clock, tmp_path):
    other.add("/somewhere/page.html", "<html><p>hello</p></html>", {"Content-Type": "text/html"})
    report = run([other.url("/somewhere/page.html")], tmp_path, clock, source="gac")
    assert report.fetched == 1
    assert read_manifest(tmp_path / "gac")["page.html"]["source"] == "gac"


# -- politeness -----------------------------------------------------------------


def test_rate_limit_spaces_requests_per_host(site, clock, tmp_path):
    run([site.url(T1)], tmp_path, clock, rate=1.0)
    # robots.txt + 4 pages = 5 requests, so 4 waits of a second each
    assert clock.sleeps == [pytest.approx(1.0)] * 4

    clock2 = FakeClock()
    run([site.url(T1)], tmp_path / "again", clock2, rate=4.0)
    assert clock2.sleeps == [pytest.approx(0.25)] * 4


def test_rate_limit_is_per_host(site, other, clock, tmp_path):
    other.add_fixtures()
    with client_for(clock, rate=1.0) as client:
        fetcher = Fetcher(client, tmp_path)
        fetcher.fetch_transcript(site.url(GAC))  # robots + 2 pages on host A
        waits_after_a = len(clock.sleeps)
        fetcher.fetch_transcript(other.url("/pressroom/2025-11/20/content_900003.html"))
    assert waits_after_a == 2
    # host B's robots.txt went out at once; only its second request waited
    assert len(clock.sleeps) == 3


def test_user_agent_names_tool_and_version(site, clock, tmp_path):
    run([site.url(GAC)], tmp_path, clock)
    agents = {s.headers.get("User-Agent") for s in site.log}
    assert agents == {USER_AGENT}
    assert USER_AGENT.startswith(f"briefings/{__version__} ")


def test_robots_disallow_is_honoured_and_read_once(site, clock, tmp_path):
    site.robots("User-agent: *\nDisallow: /pressroom/2025-12/10/\n")
    report = run([site.url(T2), site.url(T1)], tmp_path, clock)
    assert not site.requests(T2)
    assert len(site.requests("/robots.txt")) == 1
    skipped = [p for p in report.pages if p.outcome == "skipped"]
    assert [p.url for p in skipped] == [site.url(T2)]
    assert skipped[0].reason == "disallowed by robots.txt"
    assert report.fetched == 4
    entry = read_manifest(tmp_path / "scio")["content_900002.html"]
    assert entry["error"] == "disallowed by robots.txt"
    assert not (tmp_path / "scio" / "content_900002.html").exists()


def test_robots_disallowing_one_page_leaves_the_transcript_incomplete(site, clock, tmp_path):
    site.robots("User-agent: briefings\nDisallow: /pressroom/2025-12/16/content_900001_4.html\n")
    report = run([site.url(T1)], tmp_path, clock)
    assert report.fetched == 3
    [gap] = report.incomplete
    assert [(m.page, m.reason) for m in gap.missing] == [(4, "disallowed by robots.txt")]


def test_robots_wildcards_and_the_longest_rule_win(site, clock, tmp_path):
    # RFC 9309: `*` and `$` in paths; the longest matching rule decides, Allow winning a tie.
    site.robots(
        "User-agent: *\n"
        "Disallow: /pressroom/2025-12/\n"
        "Allow: /pressroom/2025-12/16/\n"
        "Disallow: /pressroom/2025-12/16/*_3.html$\n"
    )
    report = run([site.url(T1), site.url(T2)], tmp_path, clock)
    assert [(p.page, p.outcome) for p in report.pages] == [
        (1, "fetched"),
        (2, "fetched"),
        (3, "skipped"),
        (4, "fetched"),
        (1, "skipped"),
    ]
    assert not site.requests(T1_PAGES[2]) and not site.requests(T2)


def test_crawl_delay_spaces_every_request_after_robots_txt(site, clock, tmp_path):
    site.robots("User-agent: *\nCrawl-delay: 3\n")
    run([site.url(GAC)], tmp_path, clock, rate=1.0)
    assert clock.sleeps == [pytest.approx(3.0)] * 2  # robots.txt, then two pages three seconds apart


def test_the_gap_the_server_sees_is_never_shorter_than_the_interval(site, clock, tmp_path):
    site.clock = clock
    site.fault(GAC, ("late", 0.6))  # page 1 reaches the server 0.6 s after it was sent
    run([site.url(GAC)], tmp_path, clock, rate=1.0)
    arrivals = [s.at for s in site.log]
    assert [s.path for s in site.log] == ["/robots.txt", GAC, GAC.replace(".html", "_2.html")]
    assert all(b - a >= 1.0 - 1e-9 for a, b in zip(arrivals, arrivals[1:])), arrivals


@pytest.mark.parametrize(
    "fault, reason",
    [
        ((500,) * 4, "robots.txt could not be read: HTTP 500 (gave up after 4 attempts); nothing is fetched"),
        ((("delay", 0.5),) * 4, "robots.txt could not be read: timed out after 0.2s"),
    ],
)
def test_robots_txt_that_cannot_be_read_says_why(site, clock, tmp_path, fault, reason):
    site.fault("/robots.txt", *fault)
    report = run([site.url(GAC)], tmp_path, clock, timeout=0.2)
    assert not site.requests(GAC)
    assert report.failed[0].reason.startswith(reason)


def test_a_host_that_refuses_connections_says_so(clock, tmp_path):
    report = run(["http://127.0.0.1:1" + T1], tmp_path, clock, backoff=0.01)
    assert "connection failed" in report.failed[0].reason and "server error" not in report.failed[0].reason


def test_robots_server_error_keeps_us_away(site, clock, tmp_path):
    site.fault("/robots.txt", 500, 500, 500, 500)
    report = run([site.url(GAC)], tmp_path, clock)
    assert not site.requests(GAC)
    assert report.fetched == 0
    assert "robots.txt" in report.pages[0].reason


# -- robustness -----------------------------------------------------------------


def test_server_error_then_success_backs_off_exponentially(site, clock, tmp_path):
    site.fault(T1_PAGES[1], 500, 502)
    report = run([site.url(T1)], tmp_path, clock, backoff=1.0)
    assert report.fetched == 4 and not report.failed
    assert page_requests(site, [T1_PAGES[1]]) == [T1_PAGES[1]] * 3
    # backoff 1 s then 2 s (jitter factor pinned to 1.0), between the rate-limit waits
    assert 1.0 in clock.sleeps and 2.0 in clock.sleeps


def test_backoff_jitter_varies_the_wait(site, clock, tmp_path):
    site.fault(T1_PAGES[1], 500)
    run([site.url(T1)], tmp_path, clock, backoff=4.0, rng=lambda: 0.9)
    assert pytest.approx(4.0 * 1.4) in clock.sleeps


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_seconds_is_honoured(site, clock, tmp_path, status):
    site.fault(GAC, ("retry-after", status, "7"))
    report = run([site.url(GAC)], tmp_path, clock)
    assert report.fetched == 2
    assert 7.0 in clock.sleeps


def test_retry_after_http_date_is_honoured(site, clock, tmp_path):
    when = formatdate(clock.time() + 30, usegmt=True)
    site.fault(GAC, ("retry-after", 503, when))
    report = run([site.url(GAC)], tmp_path, clock, retry_after_cap=120.0)
    assert report.fetched == 2
    assert [s for s in clock.sleeps if s > 5] == [pytest.approx(30, abs=2)]


def test_retry_after_longer_than_the_cap_gives_up_without_asking_early(site, clock, tmp_path):
    site.fault(GAC, ("retry-after", 429, "86400"))
    report = run([site.url(GAC), site.url(T1)], tmp_path, clock, retry_after_cap=120.0)
    assert len(site.requests(GAC)) == 1  # never asked again a day early
    assert not site.requests(T1)  # nor is anything else on that host
    assert [s for s in clock.sleeps if s > 5] == []
    first, *rest = report.failed
    assert first.url == site.url(GAC) and first.status == 429
    assert first.reason == "server asked to wait 86400 s; run again later"
    assert rest and all("server asked to wait" in p.reason for p in rest)
    assert read_manifest(tmp_path / "gac")[GAC.rsplit("/", 1)[1]]["error"] == first.reason


def test_a_page_that_keeps_failing_is_recorded_as_missing(site, clock, tmp_path):
    site.fault(T1_PAGES[1], 500, 500, 500, 500)
    report = run([site.url(T1)], tmp_path, clock, retries=3)
    assert report.fetched == 3
    [failed] = report.failed
    assert failed.status == 500 and "HTTP 500" in failed.reason and "4 attempts" in failed.reason
    [gap] = report.incomplete
    assert gap.url == site.url(T1) and gap.pages == 4
    assert [(m.page, m.url) for m in gap.missing] == [(2, site.url(T1_PAGES[1]))]
    entry = read_manifest(tmp_path / "scio")["content_900001_2.html"]
    assert entry["status"] == 500 and "HTTP 500" in entry["error"]
    assert entry["what"] == "transcript page 2 of 4" and entry["transcript"] == site.url(T1)
    assert "sha256" not in entry
    assert not (tmp_path / "scio" / "content_900001_2.html").exists()


def test_a_missing_page_is_not_retried_and_named(site, clock, tmp_path):
    report = run([site.url(T2)], tmp_path, clock)
    page2 = T2.replace(".html", "_2.html")
    assert len(site.requests(page2)) == 1  # a 404 is an answer, not a hiccup
    [gap] = report.incomplete
    assert [(m.page, m.reason) for m in gap.missing] == [(2, "HTTP 404")]
    assert read_manifest(tmp_path / "scio")["content_900002_2.html"]["status"] == 404
    assert "1 transcript incomplete" in report.summary()


def test_timeout_is_retried(site, clock, tmp_path):
    site.fault(GAC, ("delay", 0.6))
    report = run([site.url(GAC)], tmp_path, clock, timeout=0.2)
    assert report.fetched == 2
    assert len(site.requests(GAC)) == 2


def test_timeout_every_time_fails_with_reason(site, clock, tmp_path):
    site.fault(GAC, ("delay", 0.3), ("delay", 0.3))
    report = run([site.url(GAC)], tmp_path, clock, timeout=0.1, retries=1)
    assert report.fetched == 0
    assert "timed out" in report.failed[0].reason


def test_reset_connection_is_retried(clock, tmp_path):
    body = b"<html><p>after a reset</p></html>"
    with RawServer(["reset", ("ok", body)]) as raw:
        report = run([raw.base + "/pressroom/2025-12/01/content_9001.html"], tmp_path, clock)
        assert len(raw.served) == 2
    assert report.fetched == 1
    assert (tmp_path / "scio" / "content_9001.html").read_bytes() == body


def test_truncated_body_is_never_stored(clock, tmp_path):
    full = b"<html><p>" + b"x" * 200 + b"</p></html>"
    url = "/pressroom/2025-12/01/content_9002.html"
    with RawServer([("truncate", full[:50], len(full))] * 3) as raw:
        report = run([raw.base + url], tmp_path, clock, retries=2)
    assert report.fetched == 0
    assert "body" in report.failed[0].reason
    assert not (tmp_path / "scio" / "content_9002.html").exists()
    entry = read_manifest(tmp_path / "scio")["content_9002.html"]
    assert "error" in entry and "sha256" not in entry

    with RawServer([("truncate", full[:50], len(full)), ("ok", full)]) as raw:
        report = run([raw.base + url], tmp_path / "second", clock)
    assert report.fetched == 1
    assert (tmp_path / "second" / "scio" / "content_9002.html").read_bytes() == full


def test_gzip_body_is_stored_decompressed(site, clock, tmp_path):
    site.fault(GAC, "gzip")
    report = run([site.url(GAC)], tmp_path, clock)
    assert report.fetched == 2 and report.ok
    assert (tmp_path / "gac" / GAC.rsplit("/", 1)[1]).read_bytes() == (
        FIXTURES / GAC.lstrip("/")
    ).read_bytes()


@pytest.mark.parametrize(
    "damage, reason", [("gzip-cut", "gzip body cut short"), ("gzip-corrupt", "corrupt gzip body")]
)
def test_a_damaged_gzip_body_is_retried_then_never_stored(site, clock, tmp_path, damage, reason):
    name = GAC.rsplit("/", 1)[1]
    site.fault(GAC, damage, damage)
    report = run([site.url(GAC)], tmp_path, clock, retries=1)
    assert len(site.requests(GAC)) == 2
    [failed] = report.failed
    assert failed.reason.startswith(reason) and "gave up after 2 attempts" in failed.reason
    assert not (tmp_path / "gac" / name).exists()
    assert "sha256" not in read_manifest(tmp_path / "gac")[name]

    site.fault(GAC, damage)  # once, then whole: the retry stores the whole page
    report = run([site.url(GAC)], tmp_path / "again", clock)
    assert (
        report.ok
        and (tmp_path / "again" / "gac" / name).read_bytes() == (FIXTURES / GAC.lstrip("/")).read_bytes()
    )


class TickingClock(FakeClock):
    """Virtual time that moves a tenth of a second each time it is read: a network on
    which every step takes that long, however fast the machine really is."""

    def monotonic(self) -> float:
        self.t += 0.1
        return self.t


def test_a_body_that_trickles_in_meets_the_overall_deadline(tmp_path):
    """Each byte arrives well within the read timeout; the whole never could (10,000 bytes, a
    byte each 20 ms): the client gives up at its deadline, by its own clock, and hangs up."""
    body = b"<html><p>" + b"x" * 10_000 + b"</p></html>"
    clock = TickingClock()
    with RawServer([("drip", body, 0.02)]) as raw:
        report = run(
            [raw.base + "/pressroom/2025-12/01/content_9003.html"], tmp_path, clock, timeout=0.5, retries=0
        )
        [failed] = report.failed
        assert failed.reason.startswith("no complete answer within 0.5s")
        deadline = 10  # seconds: a safety net for a hung test, not a measure of speed
        while not raw.dripped and deadline > 0:
            time.sleep(0.05)
            deadline -= 0.05
    [(sent, how)] = raw.dripped
    assert how == "hung up" and sent < len(body)  # it stopped reading; it did not wait for the end
    assert not (tmp_path / "scio" / "content_9003.html").exists()


def test_a_redirect_to_a_malformed_url_fails_that_page_and_the_run_goes_on(clock, tmp_path):
    body = b"<html><p>the next one</p></html>"
    with RawServer([("redirect", "http://[bad/x"), ("ok", body)]) as raw:
        report = run(
            [
                raw.base + "/pressroom/2025-12/01/content_9004.html",
                raw.base + "/pressroom/2025-12/01/content_9005.html",
            ],
            tmp_path,
            clock,
        )
    first, second = report.pages
    assert first.outcome == "failed" and first.reason.startswith(
        "redirected to 'http://[bad/x': malformed URL"
    )
    assert second.outcome == "fetched"  # the run went on


def test_a_malformed_url_given_to_the_library_is_one_failure(clock, tmp_path):
    report = run(["http://[::1/pressroom/2025-12/16/content_1.html"], tmp_path, clock)
    [failed] = report.failed
    assert failed.reason.startswith("malformed URL")


def test_redirect_records_requested_and_final_url(site, clock, tmp_path):
    old = T1.replace(".html", ".htm")
    site.fault(old, ("redirect", T1, 301))
    report = run([site.url(old)], tmp_path, clock)
    assert report.fetched == 4  # later pages follow the page where page 1 really was
    entry = read_manifest(tmp_path / "scio")["content_900001.htm"]
    assert entry["url"] == site.url(old)
    assert entry["final_url"] == site.url(T1)


# -- resuming and refreshing ----------------------------------------------------


def test_rerun_fetches_only_what_is_missing(site, clock, tmp_path):
    site.fault(T1_PAGES[2], 500, 500, 500, 500)
    first = run([site.url(T1)], tmp_path, clock)
    assert first.fetched == 3 and first.incomplete
    site.log.clear()

    second = run([site.url(T1)], tmp_path, clock)
    assert [s.path for s in site.log if s.path != "/robots.txt"] == [T1_PAGES[2]]
    assert second.present == 3 and second.fetched == 1 and not second.incomplete
    assert read_manifest(tmp_path / "scio")["content_900001_3.html"]["status"] == 200


def test_a_page_lost_from_disk_is_fetched_again(site, clock, tmp_path):
    run([site.url(T1)], tmp_path, clock)
    (tmp_path / "scio" / "content_900001_4.html").unlink()
    (tmp_path / "scio" / "content_900001_2.html").write_bytes(b"torn")
    site.log.clear()
    report = run([site.url(T1)], tmp_path, clock)
    assert sorted(s.path for s in site.log if s.path != "/robots.txt") == sorted([T1_PAGES[1], T1_PAGES[3]])
    assert report.fetched == 2 and report.present == 2


def test_refresh_sends_validators_and_keeps_old_versions(site, clock, tmp_path):
    run([site.url(T1)], tmp_path, clock)
    old_body = (tmp_path / "scio" / "content_900001_2.html").read_bytes()
    site.log.clear()

    same = run([site.url(T1)], tmp_path, clock, refresh=True)
    assert same.unchanged == 4 and same.fetched == 0
    sent = site.requests(T1_PAGES[1])[0].headers
    assert sent["If-None-Match"].startswith('"') and "If-Modified-Since" in sent

    new_body = old_body.replace(b"simplify clearance procedures", b"simplify and digitise clearance")
    site.add(T1_PAGES[1], new_body, {"Content-Type": "text/html", "ETag": '"v2"'})
    changed = run([site.url(T1)], tmp_path, clock, refresh=True)
    assert changed.changed == 1 and changed.unchanged == 3
    folder = tmp_path / "scio"
    assert (folder / "content_900001_2.html").read_bytes() == new_body
    [kept] = [p for p in (folder / ".history").iterdir() if p.name != "manifest.jsonl"]
    assert kept.read_bytes() == old_body
    assert kept.name.startswith("content_900001_2.") and kept.suffix == ".html"
    history = read_manifest(folder / ".history")
    assert history[kept.name]["sha256"] == sha256(old_body)
    assert read_manifest(folder)["content_900001_2.html"]["sha256"] == sha256(new_body)
    # the history folder is invisible to ingest
    assert all(".history" not in str(p) for p in iter_page_files([tmp_path]))


def test_every_superseded_version_is_kept_even_within_one_second(other, clock, tmp_path):
    path = "/pressroom/2025-09/05/content_810001.html"
    versions = [
        f"<html><body><!--enpcontent--><p>He Wenbo:</p><p>version {v}</p><!--/enpcontent--></body></html>"
        for v in (1, 2, 3, 2, 4)
    ]  # version 2 comes back, and is superseded again
    for n, body in enumerate(versions):
        other.add(path, body, {"Content-Type": "text/html"})
        run([other.url(path)], tmp_path, clock, refresh=n > 0, rate=1000)  # all within one second
    history = tmp_path / "scio" / ".history"
    kept = sorted(p for p in history.iterdir() if p.name != "manifest.jsonl")
    assert sorted(p.read_text() for p in kept) == sorted(versions[:-1])
    recorded = read_manifest(history)
    assert sorted(recorded) == [p.name for p in kept]
    assert all(recorded[p.name]["sha256"] == sha256(p.read_bytes()) for p in kept)
    assert (tmp_path / "scio" / "content_810001.html").read_text() == versions[-1]


def test_a_refresh_that_changes_nothing_adds_no_manifest_line(other, clock, tmp_path):
    path = "/pressroom/2025-09/05/content_810002.html"
    manifest = tmp_path / "scio" / "manifest.jsonl"
    other.add(path, _unpaged("same"), {"Content-Type": "text/html", "X-Served-By": "cache-1"})
    run([other.url(path)], tmp_path, clock)
    lines = manifest.read_text().splitlines()
    other.add(path, _unpaged("same"), {"Content-Type": "text/html", "X-Served-By": "cache-2"})
    report = run([other.url(path)], tmp_path, clock, refresh=True)
    assert report.unchanged == 1 and manifest.read_text().splitlines() == lines
    # new validators are worth a line: the next refresh asks with them
    other.add(path, _unpaged("same"), {"Content-Type": "text/html", "ETag": '"v9"'})
    run([other.url(path)], tmp_path, clock, refresh=True)
    assert len(manifest.read_text().splitlines()) == len(lines) + 1
    assert read_manifest(tmp_path / "scio")["content_810002.html"]["headers"]["Etag"] == '"v9"'


def test_temp_files_of_a_killed_fetch_are_swept_on_the_next_run(site, clock, tmp_path):
    import os

    folder = tmp_path / "scio"
    folder.mkdir()
    stale = folder / ".tmp-999999999-content_900001.html"  # no such process
    stale.write_bytes(b"half a body")
    live = folder / f".tmp-{os.getppid()}-content_900002.html"  # a fetch still running
    live.write_bytes(b"being written")
    run([site.url(T1)], tmp_path, clock)
    assert not stale.exists() and live.exists()


def test_refresh_failure_keeps_the_good_copy(site, clock, tmp_path):
    run([site.url(GAC)], tmp_path, clock)
    site.fault(GAC, 500, 500, 500, 500)
    report = run([site.url(GAC)], tmp_path, clock, refresh=True)
    assert report.failed and not report.incomplete
    entry = read_manifest(tmp_path / "gac")[GAC.rsplit("/", 1)[1]]
    assert entry["status"] == 200 and "error" not in entry


# -- TLS --------------------------------------------------------------------------


@pytest.fixture
def tls_server(tmp_path):
    with tls_site(tmp_path) as server:
        server.add_fixtures()
        yield server


@pytest.mark.parametrize("robots", [True, False])
def test_broken_certificate_names_the_plain_http_option(tls_server, clock, tmp_path, robots):
    url = tls_server.url(T1)
    report = run([url], tmp_path, clock, robots=robots)
    [failed] = report.failed  # robots.txt meets the certificate first, and says so
    assert (
        "TLS certificate check failed" in failed.reason and "rerun with --insecure-http scio" in failed.reason
    )
    assert "robots.txt could not be read" not in failed.reason
    assert len(tls_server.log) == 0  # no retries against a bad certificate


def test_insecure_http_fetches_over_plain_http(site, clock, tmp_path):
    url = site.url(GAC).replace("http://", "https://")
    report = run([url], tmp_path, clock, insecure_http={"gac"})
    assert report.fetched == 2
    entry = read_manifest(tmp_path / "gac")[GAC.rsplit("/", 1)[1]]
    assert entry["url"].startswith("http://127.0.0.1:")


# -- the report -------------------------------------------------------------------


def test_report_summary_and_json(site, clock, tmp_path):
    report = run([site.url(T1), site.url(T2)], tmp_path, clock)
    assert report.summary() == (
        "2 transcripts, 5 pages fetched, 0 unchanged, 0 already stored, 0 skipped, 1 failed; 1 transcript incomplete"
    )
    data = json.loads(json.dumps(report.to_dict()))
    assert data["fetched"] == 5 and data["transcripts"] == 2
    assert data["failed"][0]["status"] == 404
    assert data["incomplete"][0]["missing"][0]["page"] == 2
    assert not report.ok
