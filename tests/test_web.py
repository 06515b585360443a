"""`briefings serve`: the web interface over HTTP on 127.0.0.1 with an OS-chosen port.

The archive is the default corpus (three MFA press conferences with their
Chinese originals, and the seeds) plus a transcript whose words are HTML.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from briefings import web
from briefings.cli import cli
from conftest import ROOT

PAIR_EN = "mfa-1793427"  # Zhao Lijian, June 30, 2020: linked to its Chinese original

HOSTILE = """Foreign Ministry Spokesperson Hua Chunying's Regular Press Conference on March 3, 2019

Hua Chunying: Good afternoon. <script>alert("x")</script> is what the <b>page</b> said & more.

Q: Does the ministry comment on <img src=x onerror=alert(1)> tariffs?

Hua Chunying: On tariffs, our position is clear: "</p><script>document.title='pwned'</script>".
"""


def run(*args) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.stdout


def build_archive(folder: Path) -> Path:
    db = folder / "archive.db"
    hostile = folder / "hostile"
    hostile.mkdir()
    (hostile / "evil.txt").write_text(HOSTILE, encoding="utf-8")
    run("ingest", ROOT / "data" / "raw", hostile, "--db", db)
    return db


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    return build_archive(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def site(archive):
    running = web.start(archive)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def get(site):
    with httpx.Client(base_url=site.url, timeout=60) as client:
        yield client.get


def hostile_id(db: Path) -> str:
    rows = json.loads(run("list", "--db", db, "--json", "--since", "2019-03-03", "--until", "2019-03-03"))
    return rows[0]["id"]


def test_search_page_hits_facets_and_links(get):
    r = get("/search", params={"q": "Hong Kong"})
    assert r.status_code == 200
    html = r.text
    hits = re.search(r'<ol class="hits" start="1">(.*?)</ol>', html, re.S).group(1)
    items = re.findall(r'<li class="hit">', hits)
    assert items, "hits are list items of an <ol>"
    assert "<mark>Hong</mark> <mark>Kong</mark>" in hits
    links = re.findall(r'href="/briefing/([\w-]+)#t(\d+)"', hits)
    assert links and all(bid.startswith("mfa-") for bid, _ in links)
    # the facets count what the search counts
    total = int(re.search(r'<h2 id="hits-heading">(\d+) turns?</h2>', html).group(1))
    kinds = dict(re.findall(r"kind=(\w+)\">\w+</a> <span class=\"count\">(\d+)</span>", html))
    assert sum(map(int, kinds.values())) == total
    assert re.search(rf"since=2020&amp;until=2020\">2020</a> <span class=\"count\">{total}</span>", html)
    assert 'for="q"' in html and 'id="q"' in html  # the query box is labelled


def test_search_json_is_what_the_command_prints(get, archive):
    for params, args in (
        ({"q": "Hong Kong", "kind": "answer"}, ["Hong Kong", "--kind", "answer"]),
        ({"q": "security", "limit": "3", "offset": "2"}, ["security", "--limit", "3", "--offset", "2"]),
        ({"q": '"national security" speaker:"Zhao Lijian"'}, ['"national security" speaker:"Zhao Lijian"']),
        ({"q": "香港", "lang": "zh"}, ["香港", "--lang", "zh"]),
    ):
        r = get("/search.json", params=params)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/json")
        expected = run("search", *args, "--json", "--db", archive)
        assert json.loads(r.text) == json.loads(expected)
        assert json.loads(r.text), params


def test_paging_walks_every_hit_once(get, archive):
    everything = json.loads(run("search", "the", "--limit", "0", "--json", "--db", archive))
    assert len(everything) > 20
    seen, page = [], 1
    while True:
        html = get("/search", params={"q": "the", "page": str(page)}).text
        seen += re.findall(r'<a class="turn-link" href="/briefing/([\w-]+)#t(\d+)"', html)
        if 'rel="next"' not in html:
            break
        page += 1
    assert seen == [(h["briefing_id"], str(h["seq"])) for h in everything]


def test_who_and_timeline_views_are_a_table_and_a_chart(get, archive):
    who = get("/search", params={"q": "Hong Kong", "view": "who"}).text
    expected = json.loads(run("who", "Hong Kong", "--json", "--db", archive))
    rows = re.findall(r'<tr><th scope="row"><a [^>]*>([^<]+)</a></th><td>(\d+)</td>', who)
    assert rows == [(r["name"], str(r["turns"])) for r in expected]
    assert "<svg" in who and "<rect" in who
    when = get("/search", params={"q": "Hong Kong", "view": "timeline", "by": "month"}).text
    expected = json.loads(run("timeline", "Hong Kong", "--by", "month", "--json", "--db", archive))
    periods = re.findall(r'<tr><th scope="row">([\d-]+)</th><td>[\d.]+</td><td>(\d+)</td>', when)
    assert periods == [(r["period"], str(r["matches"])) for r in expected]
    assert "<svg" in when


def test_transcript_page_turns_anchors_answers_and_the_chinese_beside(get, archive):
    r = get(f"/briefing/{PAIR_EN}")
    assert r.status_code == 200
    html = r.text
    b = json.loads(run("export", PAIR_EN, "--format", "json", "--db", archive))
    for t in b["turns"]:
        assert f'id="t{t["seq"]}"' in html
    answer = next(t for t in b["turns"] if t["kind"] == "answer" and t.get("answers"))
    turn = re.search(rf'<li id="t{answer["seq"]}".*?</li>\n<li', html, re.S).group(0)
    assert f'href="#t{answer["answers"]}"' in turn
    # the Chinese version beside, from the turn links
    linked = next(t for t in b["turns"] if t["counterpart"])
    other = json.loads(run("export", b["counterpart"]["id"], "--format", "json", "--db", archive))
    zh = next(o for o in other["turns"] if o["seq"] == linked["counterpart"][0])
    turn = re.search(rf'<li id="t{linked["seq"]}".*?</li>\n<li', html, re.S).group(0)
    assert 'class="counterpart" lang="zh"' in turn
    first_paragraph = zh["text"].split("\n\n")[0]
    assert first_paragraph[:20] in turn
    # a citation names speaker, date, title, source URL and archive id
    cite = re.search(r'data-citation="([^"]+)"', turn).group(1)
    for part in (linked["speaker"], b["date"], b["url"], f"{PAIR_EN}#t{linked['seq']}"):
        assert part in cite.replace("&#39;", "'")


def test_exports_are_the_commands(get, archive):
    assert get(f"/briefing/{PAIR_EN}.md").text == run("export", PAIR_EN, "--db", archive)
    r = get(f"/briefing/{PAIR_EN}.json")
    assert r.headers["content-type"].startswith("application/json")
    assert json.loads(r.text) == json.loads(run("export", PAIR_EN, "--format", "json", "--db", archive))


def test_quality_page_is_the_report(get, archive):
    html = get("/quality").text
    lines = run("quality", "--db", archive).splitlines()
    assert lines
    for line in lines[:5]:
        assert (
            line.replace("&", "&amp;").replace("<", "&lt;").replace("'", "&#39;").replace('"', "&#34;")
            in html
        )


def test_every_text_is_escaped(get, archive):
    bid = hostile_id(archive)
    html = get(f"/briefing/{bid}").text
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>page" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    hits = get("/search", params={"q": "tariffs"}).text
    assert "<img src=x" not in hits and "&lt;img src=x onerror=alert(1)&gt; <mark>tariffs</mark>" in hits
    # nor does the query itself get in as markup
    echoed = get("/search", params={"q": '"><script>alert(2)</script>'}).text
    assert "<script>alert(2)" not in echoed


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/search?q=Taiwan",
        f"/briefing/{PAIR_EN}",
        "/quality",
        "/static/style.css",
        "/search?page=x",
        "/nope",
    ],
)
def test_a_content_security_policy_on_every_response(get, path):
    r = get(path)
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("params", "said"),
    [
        ({"q": "Taiwan", "since": "2019-13"}, "since"),
        ({"q": "Taiwan", "until": "last week"}, "is not a date"),
        ({"q": "Taiwan", "kind": "speech"}, "is not a kind of turn"),
        ({"q": "Taiwan", "source": "bbc"}, "is not a source"),
        ({"q": "Taiwan", "lang": "fr"}, "is not a language"),
        ({"q": "Taiwan", "page": "abc"}, "is not a whole number"),
        ({"q": "Taiwan", "page": "0"}, "out of range"),
        ({"q": "Taiwan", "page": "-1"}, "is not a whole number"),
        ({"q": '"trade war', "raw": "1"}, "cannot understand the query"),
        ({"q": "kind:speech Taiwan"}, "is not a kind of turn"),
        ({"q": "Taiwan", "since": "2020", "until": "2019"}, "nothing can match"),
        ({"q": "Taiwan", "raw": "maybe"}, "is not on or off"),
    ],
)
def test_bad_parameters_are_400_with_a_message(get, params, said):
    for path in ("/search", "/search.json"):
        r = get(path, params=params)
        assert r.status_code == 400, (path, params)
        assert said in r.text.replace("&#39;", "'").replace("&#34;", '"')
        assert "Traceback" not in r.text and 'File "' not in r.text


@pytest.mark.parametrize(
    "q", ["COVID-19", '"trade war', "NEAR(security law)", "Hong OR Kong", "U.S.", "a*", "China's"]
)
def test_the_query_is_words_unless_raw(get, archive, q):
    r = get("/search.json", params={"q": q})
    assert r.status_code == 200, r.text
    assert json.loads(r.text) == json.loads(run("search", "--json", "--db", archive, "--", q))


def test_nothing_is_written(archive, tmp_path):
    """The pages only read: the file is byte for byte as it was, and a write cannot pass."""
    before = digest(archive)
    running = web.start(archive)
    try:
        with httpx.Client(base_url=running.url) as client:
            for path in ("/", "/search?q=Taiwan", f"/briefing/{PAIR_EN}", "/quality", "/search?q=x&view=who"):
                assert client.get(path).status_code == 200
            assert client.post("/search?q=x").status_code == 405
    finally:
        running.stop()
    assert digest(archive) == before
    from briefings.sqlite import sqlite3
    from briefings.web.archive import Source

    with pytest.raises(sqlite3.OperationalError, match="readonly|read-only|query_only"):
        Source(archive).db.execute("DELETE FROM turns")
    assert digest(archive) == before


def test_briefings_serve_command(archive):
    """The command listens where asked (port 0: the OS chooses) and says where."""
    proc = subprocess.Popen(
        [
            shutil.which("briefings") or os.path.join(os.path.dirname(sys.executable), "briefings"),
            "serve",
            "--db",
            str(archive),
            "--port",
            "0",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stderr.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
        r = httpx.get(url + "search", params={"q": "Hong Kong"}, timeout=60)
        assert r.status_code == 200 and "<mark>Hong</mark>" in r.text
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)


def test_serve_on_a_missing_archive_is_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["serve", "--db", str(tmp_path / "none.db"), "--port", "0"])
    assert result.exit_code == 1
    assert "no archive at" in result.output and "Traceback" not in result.output


def test_an_ingest_while_serving_shows_at_once(tmp_path):
    """Facets are kept per query, but only until the archive changes."""
    db = build_archive(tmp_path)
    running = web.start(db)
    try:
        with httpx.Client(base_url=running.url, timeout=60) as client:

            def year_2018() -> str | None:
                html = client.get("/search", params={"q": "tariffs"}).text
                found = re.search(r'until=2018">2018</a> <span class="count">(\d+)</span>', html)
                return found.group(1) if found else None

            assert year_2018() is None
            more = tmp_path / "more"
            more.mkdir()
            (more / "later.txt").write_text(
                HOSTILE.replace("March 3, 2019", "May 8, 2018").replace("Good afternoon.", "Good morning."),
                encoding="utf-8",
            )
            run("ingest", more, "--db", db)
            assert year_2018() == "2"
    finally:
        running.stop()
