"""The site records: each site is named in one place, and every stage reads it from there."""

from __future__ import annotations

import ast
import importlib
import io
import json
import re
import tokenize
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefings import models, sites
from briefings.cli import cli
from briefings.crawl import crawl
from briefings.fetch import split_page
from briefings.http import PoliteClient
from briefings.raw import read_manifest
from site_server import CORPUS, FakeClock, FakeSite

SRC = Path(__file__).resolve().parents[1] / "src" / "briefings"
HOSTS = sorted({h for s in sites.SITES for h in (*s.hosts, *s.chinese_hosts)})


def _code_text(path: Path) -> str:
    """A module's comments and string literals other than docstrings: where a host name would be
    data. (A docstring may name a site to say what the module is for.)"""
    source = path.read_text(encoding="utf-8")
    docstrings = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(first.lineno)
    out = [
        tok.string
        for tok in tokenize.generate_tokens(io.StringIO(source).readline)
        if tok.type == tokenize.COMMENT or (tok.type == tokenize.STRING and tok.start[0] not in docstrings)
    ]
    return "\n".join(out).lower()


def test_each_host_is_named_in_sites_py_and_nowhere_else_in_src():
    assert HOSTS == sorted(
        ["china.org.cn", "customs.gov.cn", "fmprc.gov.cn", "mfa.gov.cn", "scio.gov.cn"]
        + ["www.scio.gov.cn", "m.scio.gov.cn", "www.customs.gov.cn"]
    )
    own = (SRC / "sites.py").read_text(encoding="utf-8")
    for host in HOSTS:
        assert own.count(f'"{host}"') == 1, host  # one record holds it, once
    for path in sorted(SRC.rglob("*")):
        if path.is_dir() or path.name == "sites.py" or "__pycache__" in path.parts:
            continue
        text = _code_text(path) if path.suffix == ".py" else path.read_text(encoding="utf-8").lower()
        for host in HOSTS:
            assert host not in text, f"{host} in {path.relative_to(SRC)}"


def test_the_check_would_see_a_host_written_into_code(tmp_path):
    """The test above reads what it must: a host in a literal or a comment is found, a docstring is not."""
    f = tmp_path / "m.py"
    f.write_text('"""Reads china.org.cn."""\n\ndef f():\n    """china.org.cn too."""\n    return "x"\n')
    assert "china.org.cn" not in _code_text(f)
    f.write_text('"""Doc."""\n\nHOSTS = ("china.org.cn",)\n')
    assert "china.org.cn" in _code_text(f)
    f.write_text('"""Doc."""\n\nx = 1  # on mfa.gov.cn\n')
    assert "mfa.gov.cn" in _code_text(f)


def test_every_record_names_a_parser_that_exists():
    for s in sites.SITES:
        module = importlib.import_module(f"briefings.sources.{s.parser}")
        assert callable(getattr(module, s.reader)), s.family
        assert s.builder is None or callable(getattr(module, s.builder)), s.family
        assert set(s.languages) <= set(sites.LANGUAGES)
        for start in s.start_pages:
            assert sites.on_site(s.family, start.url), start.url  # a start page is on its own site
            assert start.language in sites.LANGUAGES and start.evidence in ("seen", "reported", "guessed")


def test_the_families_are_the_records_everywhere():
    assert models.SOURCES == sites.FAMILIES == ("scio", "chinaorg", "gac", "mfa", "text")
    runner = CliRunner()
    crawl_help = runner.invoke(cli, ["crawl", "-h"]).output
    assert "{scio|chinaorg|gac|mfa}" in crawl_help  # what can be fetched: every record but "text"
    ingest_help = runner.invoke(cli, ["ingest", "-h"]).output
    assert "[scio|chinaorg|gac|mfa|text]" in ingest_help


def test_the_most_precise_host_wins():
    assert sites.family_of_url("http://www.scio.gov.cn/xwfbh/") == "scio"
    assert sites.family_of_url("https://english.customs.gov.cn/Statics/x.html") == "gac"
    assert sites.family_of_url("https://notmfa.gov.cn/x") is None  # a suffix of a name is no subdomain
    assert sites.family_of_url("http://[bad/x") is None


@pytest.mark.parametrize(
    ("family", "url", "first", "n"),
    [
        (
            "scio",
            "http://h/pressroom/2025-12/16/content_1182309_3.html",
            "http://h/pressroom/2025-12/16/content_1182309.html",
            3,
        ),
        (
            "chinaorg",
            "http://h/2025-11/03/content_1182_2.shtml",
            "http://h/2025-11/03/content_1182_1.shtml",
            2,
        ),
        (
            "chinaorg",
            "http://h/2025-11/03/content_1182_1.shtml",
            "http://h/2025-11/03/content_1182_1.shtml",
            1,
        ),
        (
            "chinaorg",
            "http://h/china/2024-08/21/content_1182_2.htm",
            "http://h/china/2024-08/21/content_1182.htm",
            2,
        ),
        (
            "gac",
            "http://h/Statics/3f1c2a9e-5b7d-4e21-9c0a-7d3b8e6f1a25_2.html",
            "http://h/Statics/3f1c2a9e-5b7d-4e21-9c0a-7d3b8e6f1a25.html",
            2,
        ),
        ("mfa", "https://www.mfa.gov.cn/eng/xw/fyrbt/lxjzh/202401/t20240105_11218830.html", None, 1),
        ("scio", "http://h/pressroom/node_8020819_2.html", None, 1),  # a listing page, not page 2 of a hub
    ],
)
def test_one_reading_of_page_numbers(family, url, first, n):
    assert split_page(url, family) == (first or url, n)
    assert sites.page_number(family, url) == n
    # fetch and ingest key a transcript's pages alike
    assert sites.transcript_key(family, url) == sites.transcript_key(family, first or url)


def test_a_transcript_key_is_the_same_for_every_copy():
    assert sites.transcript_key(
        "scio", "https://english.scio.gov.cn/m/pressroom/2025-12/16/content_9_2.html"
    ) == (sites.transcript_key("scio", "http://127.0.0.1:1/pressroom/2025-12/16/content_9.html"))
    assert sites.briefing_id_of_url("mfa", "https://www.fmprc.gov.cn/web/x/t1415586.shtml") == "mfa-1415586"
    assert sites.briefing_id_of_url("scio", "http://h/pressroom/node_8020819.html") == "scio-node-8020819"


# -- crawling the Chinese listings, against a local server ------------------------------------------------


@pytest.fixture(scope="module")
def server():
    with FakeSite() as s:
        yield s


@pytest.fixture
def site(server):
    server.reset()
    return server


def run_crawl(source, raw, **kw):
    with PoliteClient(clock=FakeClock(), rng=lambda: 0.5, timeout=2.0) as client:
        return crawl(source, raw_dir=raw, client=client, **kw)


def _zh_page(title: str, body: str) -> str:
    return f"<html><head><title>{title}</title></head><body><h1>{title}</h1><div>{body}</div></body></html>"


def test_crawl_reaches_the_mfa_chinese_listing_of_the_2020s(site, tmp_path):
    """The listing the 2020s pages link as 发言人表态, as the corpus shows its pages: TRS's pager
    (`countPage`, `currentPage`), `YYYYMM/tYYYYMMDD_<n>.shtml` links dated beside them."""
    manifest = CORPUS / "zh-2020s" / "manifest.jsonl"
    if not manifest.is_file():
        pytest.skip("recorded corpus not present")
    entries = [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines() if line.strip()]
    entries = [e for e in entries if "/202403/" in e["url"] or "/202404/" in e["url"]]
    assert len(entries) >= 3
    folder = "/web/wjdt_674879/fyrbt_674889/"
    items = []
    for e in entries:
        body = (CORPUS / "zh-2020s" / e["file"]).read_bytes()
        title = re.search(r'<meta name="ArticleTitle" content="([^"]+)"', body.decode("utf-8")).group(1)
        stamp = re.search(r"t(\d{4})(\d{2})(\d{2})_", e["url"]).groups()
        items.append(f'<li><a href="{e["url"]}" target="_blank">{title}</a>({"-".join(stamp)})</li>')
        site.add(e["url"].split("mfa.gov.cn", 1)[1], body, {"Content-Type": "text/html"})
    items.append(
        '<li><a href="./202403/t20240301_1.shtml">中国政府向吉布提、科特迪瓦派遣抗疫医疗专家组</a>(2024-03-01)</li>'
    )
    script = "<script>var countPage = 1;var currentPage = 0;</script>"
    site.add(
        folder, f"<html><body><div class='rebox_news'><ul>{''.join(items)}</ul></div>{script}</body></html>"
    )

    report = run_crawl("mfa", tmp_path, base_url=site.base, languages=["zh"], since="2024-03-01")
    fetched = sorted(p.url.rsplit("/", 1)[1] for p in report.pages if p.outcome == "fetched")
    assert fetched == sorted(e["file"] for e in entries)
    assert report.ok and report.listing_pages == 1
    assert [s.reason for s in report.skipped] == ["not a regular press conference (a statement or news item)"]
    assert not site.requests("/mfa_eng/xwfw_665399/s2510_665401/2511_665403/default.shtml")  # --lang zh only
    stored = read_manifest(tmp_path / "mfa")
    assert {e["source"] for e in stored.values()} == {"mfa"}


SCIO_ZH = "/xwfbh/xwbfbh/wqfbh/49421/50731/Document/1750123/1750123.htm"
GAC_ZH = "/customs/xwfb34/302425/5639046/index.html"


def test_crawl_reaches_the_scio_chinese_site(site, tmp_path):
    """The Chinese site's press conferences under /xwfbh/, as sites.md reports them."""
    site.add(
        "/xwfbh/",
        "<html><body><ul>"
        f'<li><a href="{SCIO_ZH}">国新办举行2024年上半年进出口情况新闻发布会</a><span>2024-07-12</span></li>'
        '<li><a href="/xwfbh/xwbfbh/yg/1.htm">新闻发布会预告</a><span>2024-07-10</span></li>'
        "</ul></body></html>",
    )
    site.add(SCIO_ZH, _zh_page("国新办举行2024年上半年进出口情况新闻发布会", "<p>主持人：寿小丽</p>"))
    report = run_crawl("scio", tmp_path, base_url=site.base, languages=["zh"], since="2024-07-01")
    assert [p.url for p in report.pages if p.outcome == "fetched"] == [site.url(SCIO_ZH)]
    assert report.ok and not site.requests("/pressroom/node_8020819.html")
    [entry] = read_manifest(tmp_path / "scio").values()
    assert entry["source"] == "scio" and entry["what"] == "transcript page 1 of 1"


def test_crawl_reaches_the_gac_chinese_site(site, tmp_path):
    site.add(
        "/customs/xwfb34/302425/index.html",
        "<html><body><ul>"
        f'<li><a href="{GAC_ZH}">海关总署2024年一季度进出口情况新闻发布会</a><span>2024-04-12</span></li>'
        '<li><a href="/customs/xwfb34/302425/5639001/index.html">海关总署署长会见来宾</a>'
        "<span>2024-04-11</span></li></ul></body></html>",
    )
    site.add(GAC_ZH, _zh_page("海关总署2024年一季度进出口情况新闻发布会", "<p>发布人：吕大良</p>"))
    report = run_crawl("gac", tmp_path, base_url=site.base, languages=["zh"])
    assert [p.url for p in report.pages if p.outcome == "fetched"] == [site.url(GAC_ZH)]
    assert [s.reason for s in report.skipped] == ["news item, not a briefing or speech"]
    assert report.ok and not site.requests("/News/")


def test_the_crawl_command_takes_a_language(site, tmp_path):
    site.add("/xwfbh/", f'<a href="{SCIO_ZH}">国新办新闻发布会</a> 2024-07-12')
    site.add(SCIO_ZH, _zh_page("国新办新闻发布会", "<p>主持人：寿小丽</p>"))
    result = CliRunner().invoke(
        cli,
        [
            "crawl",
            "scio",
            "--lang",
            "zh",
            "--base-url",
            site.base,
            "--raw-dir",
            str(tmp_path),
            "--rate",
            "1000",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("1 transcript, 1 page fetched")


def test_fetch_refuses_a_page_number_past_any_transcripts_length(site, tmp_path):
    from briefings.fetch import fetch

    url = site.url("/pressroom/2025-12/16/content_900001_201.html")
    with PoliteClient(clock=FakeClock(), rng=lambda: 0.5, timeout=2.0) as client:
        report = fetch([url], raw_dir=tmp_path, client=client)
    [failed] = report.failed
    assert failed.reason == "page number 201 is beyond any transcript's length (at most 200 pages)"
    assert not site.requests() and report.transcripts == 0
