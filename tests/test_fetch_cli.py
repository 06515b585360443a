"""`briefings fetch` and `briefings crawl` as a user runs them, against the local site."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from briefings.cli import cli
from site_server import tls_site

T1 = "/pressroom/2025-12/16/content_900001.html"
T2 = "/pressroom/2025-12/10/content_900002.html"
FAST = ("--rate", "1000")  # the real clock runs here: keep the polite waits to a millisecond


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_fetch_prints_one_line_and_writes_the_raw_store(site, tmp_path):
    raw = tmp_path / "raw"
    result = run("fetch", site.url(T1), "--raw-dir", raw, *FAST)
    assert result.exit_code == 0, result.output
    assert (
        result.stdout == "1 transcript, 4 pages fetched, 0 unchanged, 0 already stored, 0 skipped, 0 failed\n"
    )
    assert result.stderr == ""
    assert (raw / "scio" / "content_900001_4.html").is_file()
    assert (raw / "scio" / "manifest.jsonl").is_file()

    again = run("fetch", site.url(T1), "--raw-dir", raw, *FAST)
    assert (
        again.stdout == "1 transcript, 0 pages fetched, 0 unchanged, 4 already stored, 0 skipped, 0 failed\n"
    )

    refreshed = run("fetch", site.url(T1), "--raw-dir", raw, "--refresh", *FAST)
    assert (
        refreshed.stdout
        == "1 transcript, 0 pages fetched, 4 unchanged, 0 already stored, 0 skipped, 0 failed\n"
    )


def test_fetch_json(site, tmp_path):
    result = run("fetch", site.url(T1), "--raw-dir", tmp_path, "--json", *FAST)
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["fetched"] == 4 and data["failed"] == [] and data["incomplete"] == []
    assert [p["page"] for p in data["pages"]] == [1, 2, 3, 4]


def test_fetch_missing_page_exits_1_and_names_it(site, tmp_path):
    result = run("fetch", site.url(T2), "--raw-dir", tmp_path, *FAST)
    assert result.exit_code == 1
    page2 = site.url(T2.replace(".html", "_2.html"))
    assert result.stderr.splitlines() == [
        f"failed {page2}: HTTP 404",
        f"incomplete {site.url(T2)}: page(s) 2 missing",
        "Error: some pages could not be fetched (listed above); a rerun of the same command fetches only what is missing",
    ]
    assert result.stdout.endswith("1 failed; 1 transcript incomplete\n")


def test_fetch_names_the_reason_for_each_page_skipped(site, tmp_path):
    site.robots("User-agent: *\nDisallow: /pressroom/2025-12/16/content_900001_3.html\n")
    result = run("fetch", site.url(T1), "--raw-dir", tmp_path, *FAST)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        f"skipped {site.url(T1.replace('.html', '_3.html'))}: disallowed by robots.txt",
        f"incomplete {site.url(T1)}: page(s) 3 missing",
    ]


def test_a_broken_certificate_names_the_option_with_robots_txt_on(tmp_path):
    with tls_site(tmp_path) as tls:
        tls.add_fixtures()
        result = run("fetch", tls.url(T1), "--raw-dir", tmp_path / "raw", *FAST)
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"failed {tls.url(T1)}: TLS certificate check failed for 127.0.0.1")
    assert first.endswith("rerun with --insecure-http scio to fetch it over plain http")


def test_fetch_source_for_a_url_that_does_not_tell(site, tmp_path):
    site.add(
        "/plain/speech.html", "<html><p>Friends from the media</p></html>", {"Content-Type": "text/html"}
    )
    result = run("fetch", site.url("/plain/speech.html"), "--raw-dir", tmp_path, *FAST)
    assert result.exit_code == 1
    assert "pass --source" in result.stderr
    result = run("fetch", site.url("/plain/speech.html"), "--source", "gac", "--raw-dir", tmp_path, *FAST)
    assert result.exit_code == 0
    assert (tmp_path / "gac" / "speech.html").is_file()


@pytest.mark.parametrize(
    "args",
    [
        ("fetch", "english.scio.gov.cn/pressroom/x.html"),
        ("fetch", "http://127.0.0.1:9/x.html", "--rate", "0"),
        ("fetch", "http://127.0.0.1:9/x.html", "--timeout", "0"),
        ("crawl", "scio", "--timeout", "soon"),
        ("fetch", "http://127.0.0.1:9/x.html", "--source", "text"),
        ("crawl", "bbc"),
        ("crawl", "scio", "--since", "2025-02", "--until", "2025-01"),
        ("crawl", "scio", "--since", "last week"),
        ("crawl", "scio", "--base-url", "127.0.0.1:8000"),
        ("crawl", "scio", "--base-url", "http://[bad"),
        ("crawl", "scio", "--start", "http://[oops/pressroom/node_1.html"),
        ("fetch", "http://[::1/x"),
        ("fetch", "http:///pressroom/2025-12/16/content_1.html"),
        ("fetch", "http://127.0.0.1:99999/pressroom/2025-12/16/content_1.html"),
        ("fetch",),
    ],
)
def test_usage_errors_exit_2(args, tmp_path):
    result = run(*args, "--raw-dir", tmp_path)
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("Error: "), result.stderr
    assert not (tmp_path / "scio").exists()


def test_timeout_bounds_each_request(site, tmp_path):
    GAC = "/Statics/3f1c2a9e-5b7d-4e21-9c0a-7d3b8e6f1a25.html"
    site.fault(GAC, ("delay", 1.5))
    result = run("fetch", site.url(GAC), "--raw-dir", tmp_path, "--timeout", "0.3", *FAST)
    assert result.exit_code == 0, result.output
    assert len(site.requests(GAC)) == 2  # the slow answer was given up on and asked again


def test_crawl_a_mirror(site, tmp_path):
    result = run("crawl", "gac", "--base-url", site.base, "--raw-dir", tmp_path, *FAST)
    assert result.exit_code == 0, result.output
    assert (
        result.stdout == "1 transcript, 2 pages fetched, 0 unchanged, 0 already stored, 1 skipped, 0 failed\n"
    )


def test_crawl_json_with_bounds_and_limit(site, tmp_path):
    result = run(
        "crawl",
        "scio",
        "--base-url",
        site.base,
        "--raw-dir",
        tmp_path,
        "--since",
        "2025-11",
        "--until",
        "2025-11",
        "--limit",
        "1",
        "--json",
        *FAST,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["transcripts"] == 1 and data["listing_pages"] == 2
    assert [p["url"].rsplit("/", 1)[1] for p in data["pages"]] == ["content_900003.html"]
    reasons = {s["reason"] for s in data["skipped"]}
    assert "notice of a coming briefing, not a transcript" in reasons


def test_crawl_reports_incomplete_transcripts_with_exit_1(site, tmp_path):
    result = run("crawl", "scio", "--base-url", site.base, "--raw-dir", tmp_path, *FAST)
    assert result.exit_code == 1
    assert f"incomplete {site.url(T2)}: page(s) 2 missing" in result.stderr.splitlines()
    assert result.stdout == (
        "4 transcripts, 7 pages fetched, 0 unchanged, 0 already stored, 1 skipped, 1 failed; 1 transcript incomplete\n"
    )


def test_commands_have_help_with_examples():
    for name in ("fetch", "crawl"):
        result = run(name, "-h")
        assert result.exit_code == 0
        assert "Example" in result.stdout and "--raw-dir" in result.stdout and "--rate" in result.stdout
        assert "--timeout SECONDS" in result.stdout
    assert "--base-url" in run("crawl", "--help").stdout
    assert "--insecure-http" in run("fetch", "--help").stdout


def test_insecure_http_is_per_source_and_off_by_default(site, tmp_path):
    GAC = "/Statics/3f1c2a9e-5b7d-4e21-9c0a-7d3b8e6f1a25.html"
    url = site.url(GAC).replace("http://", "https://")  # the local site speaks no TLS at all
    plain = run("fetch", url, "--raw-dir", tmp_path, "--insecure-http", "gac", *FAST)
    assert plain.exit_code == 0, plain.output
    assert plain.stdout.startswith("1 transcript, 2 pages fetched")
    other = run("fetch", url, "--raw-dir", tmp_path / "b", "--insecure-http", "scio", *FAST)
    assert other.exit_code == 1  # only scio was allowed plain http; gac stays on https and fails
    bad = run("fetch", url, "--raw-dir", tmp_path, "--insecure-http", "nowhere", *FAST)
    assert bad.exit_code == 2 and "'nowhere' is not one of" in bad.stderr


def test_a_url_of_no_known_site_is_one_failure_naming_the_option(tmp_path):
    result = run("fetch", "http://127.0.0.1:1/content_1.htm", "--raw-dir", tmp_path)
    assert result.exit_code == 1
    assert (
        result.stdout
        == "0 transcripts, 0 pages fetched, 0 unchanged, 0 already stored, 0 skipped, 1 failed\n"
    )
    assert result.stderr.splitlines()[0] == (
        "failed http://127.0.0.1:1/content_1.htm: cannot tell which site this URL belongs to; "
        "pass --source scio|chinaorg|gac|mfa"
    )
