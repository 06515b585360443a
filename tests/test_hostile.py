"""Hostile pages: every page family returns a Briefing or a Rejected with a reason, fast.

Random bytes, mutated real pages, truncated HTML, wrong and mixed encodings,
labels everywhere or nowhere; and, once per family, a 10 MB page or 100,000
nested divs. Parsed through `parse_group` directly (not ingest, which turns
some unexpected exceptions into rejections and would hide a parser crash).
"""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import timedelta

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefings.check import check_archive
from briefings.cli import cli
from briefings.models import Briefing, RawPage, Rejected
from briefings.people import Entities
from briefings.sources import FAMILIES, group, parse_group
from conftest import FIXTURES

ENTITIES = Entities.load()
REAL_PAGES = sorted(p for p in (FIXTURES / "constructed").rglob("*")
                    if p.suffix in (".html", ".htm", ".shtml", ".txt"))
URLS = [None, "https://english.scio.gov.cn/pressroom/2024-01/02/content_1234567.html",
        "https://www.fmprc.gov.cn/eng/xwfw_665399/s2510_665401/202401/t20240102_11215001.html",
        "http://www.china.org.cn/china/2024-01/02/content_7654321.htm", "https://english.customs.gov.cn/x/1"]


def parse(body: bytes, family: str, url: str | None = None, name: str = "page.html") -> Briefing | Rejected:
    """One page as the given family; anything but Briefing or Rejected propagates and fails the test."""
    (g,) = group([RawPage(path=f"/hostile/{name}", body=body, url=url)], family)
    try:
        b = parse_group(g, ENTITIES)
    except Rejected as exc:
        assert exc.reason and isinstance(exc.reason, str)
        return exc
    assert isinstance(b, Briefing) and b.turns and b.title
    assert [t.seq for t in b.turns] == list(range(1, len(b.turns) + 1))
    assert all(isinstance(t.text, str) for t in b.turns)
    return b


LABELS = ["Q:", "A:", "Reuters:", "Speakers:", "Chairperson:", "Date:", "Shou Xiaoli:", "Geng Shuang:", "问：", "答：",
          "[Wang Lingjun]:", "Journalist:", "Follow-up:", ":", "：", "Mr. Li, director of X", "Beijing | May 1, 2024",
          "(Similar question from Bloomberg)", "1 2 3 >", "Copyright ©", "MORE FROM"]
TAGS = ["<p>", "</p>", "<div>", "</div>", "<br>", "<b>", "</b>", "<h1>", "</h1>", "<title>", "</title>",
        "<div class='content'>", "<div id='content'>", "<!--enpcontent-->", "<!--/enpcontent-->", "<script>",
        "<table><tr><td>", "<![CDATA[", "<!--", "-->", "<meta charset='gb2312'>", "<html>", "<body>", "&nbsp;", "&#0;"]
ENCODINGS = ["utf-8", "gb18030", "utf-16", "latin-1", "shift_jis", "cp1252", "big5"]

fragments = st.one_of(st.sampled_from(LABELS), st.sampled_from(TAGS), st.text(max_size=20),
                      st.sampled_from(["\n", "\r\n", " ", "\u3000", "\u00a0"]))
markup = st.lists(fragments, max_size=60).map("".join)


@st.composite
def encoded(draw):
    text = draw(markup)
    parts = [text.encode(draw(st.sampled_from(ENCODINGS)), "replace")]
    if draw(st.booleans()):  # mixed: a second part in another encoding
        parts.append(draw(markup).encode(draw(st.sampled_from(ENCODINGS)), "replace"))
    return b"".join(parts)


@st.composite
def mutated(draw):
    """A real page, cut, spliced, flipped or repeated."""
    body = draw(st.sampled_from(REAL_PAGES)).read_bytes()
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["truncate", "flip", "splice", "repeat", "drop"]))
        i = draw(st.integers(0, max(len(body) - 1, 0)))
        if op == "truncate":
            body = body[:i]
        elif op == "flip":
            body = body[:i] + draw(st.binary(min_size=1, max_size=16)) + body[i + 16:]
        elif op == "splice":
            body = body[:i] + draw(st.sampled_from(TAGS + LABELS)).encode() + body[i:]
        elif op == "repeat":
            body = body[:i] + body[i:i + 200] * draw(st.integers(2, 20)) + body[i:]
        else:
            j = draw(st.integers(i, len(body)))
            body = body[:i] + body[j:]
    return body


pages = st.one_of(st.binary(max_size=3000), encoded(), mutated(), st.just(b""), st.just(b" \n\t"))


@settings(max_examples=80, deadline=timedelta(seconds=10), suppress_health_check=[HealthCheck.too_slow])
@given(body=pages, url=st.sampled_from(URLS), name=st.sampled_from(["page.html", "content_1_2.htm", "t.txt", "x"]))
@pytest.mark.timeout(300)
def test_every_family_survives_any_page(body, url, name):
    for family in FAMILIES:
        parse(body, family, url, name)


@settings(max_examples=30, deadline=timedelta(seconds=10))
@given(labels=st.lists(st.sampled_from(LABELS), min_size=1, max_size=200), tag=st.sampled_from(["p", "div", "br"]))
@pytest.mark.timeout(120)
def test_labels_everywhere_and_nowhere(labels, tag):
    everywhere = "".join(f"<{tag}>{label}" for label in labels)
    nowhere = "<p>" + " ".join("word" for _ in labels) + "</p>"
    for family in FAMILIES:
        parse(f"<html><title>T</title><body>{everywhere}</body></html>".encode(), family)
        parse(f"<html><title>T</title><body>{nowhere}</body></html>".encode(), family)


def _deep(n: int, closed: bool) -> bytes:
    return b"<html><title>Deep</title><body>" + b"<div>" * n + b"<p>Q: deep?</p><p>A: yes.</p>" + \
        (b"</div>" * n if closed else b"")


# One heavy page per family, each family a different kind, so every kind is met once
# without parsing five 10 MB pages five times.
HEAVY = {
    "scio": lambda: _deep(100_000, closed=True),
    "chinaorg": lambda: b"<html><title>Big</title><body><div id='content'><p>Shou Xiaoli: " + b"word " * 2_000_000 + b"</p>",
    "gac": lambda: random.Random(6).randbytes(10_000_000),
    "mfa": lambda: _deep(100_000, closed=False),
    "text": lambda: b"\n".join(random.Random(6).choice([b"Q:", b"A:", b"Reuters:", b"some words here"])
                               for _ in range(400_000)),
}


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.timeout(60)
def test_heavy_page(family):
    parse(HEAVY[family](), family)


def test_hostile_pages_through_ingest_leave_a_whole_archive(tmp_path, db_path):
    """Through the real command: rejections recorded, the run goes on, the archive stays whole."""
    folder = tmp_path / "raw"
    folder.mkdir()
    rnd = random.Random(6)
    bodies = [b"", b"\xff\xfe\x00", _deep(5000, closed=False), rnd.randbytes(5000),
              "<p>问：中文</p>".encode("gb18030") + "<p>A: é</p>".encode("utf-8")]
    bodies += [REAL_PAGES[i % len(REAL_PAGES)].read_bytes()[: rnd.randrange(50, 4000)] for i in range(10)]
    for i, body in enumerate(bodies):
        (folder / f"page{i:02}.html").write_bytes(body)
    for family in FAMILIES:
        result = CliRunner().invoke(cli, ["ingest", str(folder), "--source", family, "--db", str(db_path)])
        assert result.exit_code == 0, result.output
        assert "Traceback" not in result.output
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, isolation_level=None)
    report = check_archive(conn, db_path)
    assert report.ok, report.problems
    rejects = conn.execute("SELECT reason FROM rejects").fetchall()
    assert all(r[0] and not r[0].startswith("cannot parse") for r in rejects), rejects


# -- what a page's bytes are, and what they may carry ---------------------------------------------------------

TEXT_DUMP = ("Press briefing on markup\nSpeakers: Mr. Ann Example, spokesperson\nDate: 2024-01-02\n"
             "Q: What does <div class='x'> do on a page?\nA: It opens a <p>block</p>, as <b>any</b> tag does.\n")


@pytest.mark.parametrize("headers", [{}, {"Content-Type": "text/plain; charset=utf-8"}])
def test_a_text_dump_quoting_markup_stays_text(tmp_path, headers):
    """A .txt file, or a page recorded as text/plain, is never sniffed into HTML."""
    name = "dump.txt" if not headers else "dump"
    page = RawPage(path=str(tmp_path / name), body=TEXT_DUMP.encode(), headers=headers)
    assert not page.is_html
    (g,) = group([page], "text")
    b = parse_group(g, ENTITIES)
    assert [t.text for t in b.turns][-2:] == ["What does <div class='x'> do on a page?",
                                             "It opens a <p>block</p>, as <b>any</b> tag does."]
    assert RawPage(path=str(tmp_path / "page"), body=b"<p>x</p>").is_html  # no name or type to say: sniffed
    assert RawPage(path="x", body=b"<p>x</p>", headers={"content-type": "text/html"}).is_html


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-8-sig"])
def test_pages_with_a_byte_order_mark(encoding):
    html = ("<html><head><title>记者会</title></head><body><div class='content'><p>问：中文怎么样？</p>"
            "<p>答：很好，Kyōdo。</p></div></body></html>")
    plain = parse(html.encode("utf-8"), "text")
    marked = parse(html.encode(encoding), "text")
    assert isinstance(marked, Briefing), marked
    assert [(t.label, t.text) for t in marked.turns] == [(t.label, t.text) for t in plain.turns]
    assert marked.title == "记者会"


CONTROLS = "".join(chr(c) for c in [*range(0, 9), *range(11, 32), 127, *range(0x80, 0xA0)])


def test_control_characters_never_reach_the_archive_or_the_terminal(tmp_path, db_path):
    """ESC, BEL, CSI and the rest are dropped when text is read: nothing stored or shown carries them."""
    page = tmp_path / "escape.txt"
    page.write_text(f"Title \x1b]0;owned\x07with escapes\nSpeakers: Mr. Ann Example, spokesperson\n"
                    f"Date: 2024-01-02\nQ: Is this \x1b[31mred\x1b[0m?\x9b2J{CONTROLS}\n"
                    f"A: No,\x0bit is\x0cplain\ttext.\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["ingest", str(page), "--db", str(db_path), "--json"])
    assert result.exit_code == 0, result.output
    (bid,) = json.loads(result.stdout)["ids"]
    conn = sqlite3.connect(db_path)
    stored = [v for row in conn.execute("SELECT title, pages FROM briefings") for v in row]
    stored += [v for row in conn.execute("SELECT label, speaker, role, outlet, text FROM turns") for v in row if v]
    stored += [v for row in conn.execute("SELECT name, role, label FROM participants") for v in row if v]
    assert not [s for s in stored if set(s) & (set(CONTROLS) - {"\t"})], stored
    texts = [r[0] for r in conn.execute("SELECT text FROM turns ORDER BY seq")]
    assert texts[-2:] == ["Is this [31mred[0m?2J", "No, it is plain text."]
    for args in (["show", bid], ["search", "red"], ["list"], ["export", bid]):
        out = CliRunner().invoke(cli, [*args, "--db", str(db_path)]).stdout
        assert not set(out) & (set(CONTROLS) - {"\t"}), (args, out)
