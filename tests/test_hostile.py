"""Hostile pages: every page family yields a faithful briefing or a rejection with a reason, fast.

Random bytes, mutated real pages, truncated HTML, wrong and mixed encodings,
labels everywhere or nowhere; and, for every family, heavy pages: 10 MB,
100,000 nested divs, 200,000 attributes on one tag, tens of thousands of
turns. Each goes through `ingest` into a real archive, which must stay whole
(no partial write) and hold the page's briefing only if it is faithful to the
page: every paragraph of every turn, every printed label and the title are
words of the page, and every speaker is a name the archive knows or one the
page prints. Parsing reports crashes as `cannot parse` rejections; none may
appear.
"""

from __future__ import annotations

import html as html_module
import json
import random
import re
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from briefings import chrome, query, screen
from briefings.check import check_archive
from briefings.cli import cli
from briefings.decode import decode
from briefings.html import SKIP
from briefings.html import parse as parse_html
from briefings.ingest import ingest, load_group, plan
from briefings.ingest import parse as parse_transcript
from briefings.models import Briefing, RawPage, Rejected
from briefings.people import Entities
from briefings.segment import UNIDENTIFIED
from briefings.sources import FAMILIES, parse_group
from briefings.sqlite import sqlite3
from briefings.store import Archive
from briefings.text import fold
from conftest import FIXTURES

ENTITIES = Entities.load()
REAL_PAGES = sorted(
    p for p in (FIXTURES / "constructed").rglob("*") if p.suffix in (".html", ".htm", ".shtml", ".txt")
)
URLS = [
    None,
    "https://english.scio.gov.cn/pressroom/2024-01/02/content_1234567.html",
    "https://www.fmprc.gov.cn/eng/xwfw_665399/s2510_665401/202401/t20240102_11215001.html",
    "http://www.china.org.cn/china/2024-01/02/content_7654321.htm",
    "https://english.customs.gov.cn/x/1",
]


def production(pages: list[RawPage], family: str, *, screened: bool = True) -> Briefing:
    """Pages through what `briefings ingest` runs: written to a folder (a URL or headers in a
    sidecar, as a hand-placed page carries them), grouped by ingest's plan, then read, screened and
    parsed by ingest's parse. Unscreened: the same group parsed without the gates around it."""
    with tempfile.TemporaryDirectory() as folder:
        for page in pages:
            path = Path(folder) / Path(page.path).name
            path.write_bytes(page.body)
            meta = {k: v for k, v in (("url", page.url), ("headers", page.headers)) if v}
            if meta:
                path.with_name(path.name + ".meta.json").write_text(json.dumps(meta), encoding="utf-8")
        with plan([folder], family) as p:
            (g,) = p.groups()
            if not screened:
                return parse_group(load_group(g, p.manifests), ENTITIES)
            return parse_transcript(g, ENTITIES, p.manifests)


def parse(
    body: bytes, family: str, url: str | None = None, name: str = "page.html", **kw
) -> Briefing | Rejected:
    """One page as the given family, through ingest's grouping and parsing; anything but Briefing
    or Rejected fails, and so does a parser's crash (`cannot parse`)."""
    page = RawPage(path=f"/hostile/{name}", body=body, url=url)
    try:
        b = production([page], family, **kw)
    except Rejected as exc:
        assert exc.reason and isinstance(exc.reason, str)
        assert not exc.reason.startswith("cannot parse"), exc.reason
        return exc
    assert isinstance(b, Briefing) and b.turns  # a page that prints no title has none
    assert [t.seq for t in b.turns] == list(range(1, len(b.turns) + 1))
    assert_faithful(b.to_dict(), [page])
    return b


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", fold(text))


def words_of(pages: list[RawPage]) -> str:
    """What the pages say, folded like stored text and without whitespace: the bytes decoded, and for
    HTML the text of the parsed document (entities resolved, words split across tags joined)."""
    out = []
    for page in pages:
        text = decode(page.body, page.headers, page.charset)[0]
        if page.is_html:
            root = parse_html(text)
            variants = [
                text,
                html_module.unescape(re.sub(r"<[^<>]*>", "", text)),  # the markup taken out
                "".join(t for t in root.itertext() if isinstance(t, str)),
                _visible(root),
            ]
            text = _APART.join(variants)
        text = fold(text)
        for _name, pattern, action in chrome.RULES:  # what chrome.py strips inside a line (an editor's token)
            if action == "strip":
                text = pattern.sub("", text)
        out.append(_squash(text))
        # GAC online interviews print a speaker as "[Name]:"; the reader takes it for "Name:".
        out.append(_squash(_INTERVIEW_LABEL.sub(r"\1:", text)))
    return _APART.join(out)


def _visible(root) -> str:
    """The text of a parsed page a reader sees: not inside scripts, the head or comments."""
    parts, hidden = [], 0
    for event, node in etree.iterwalk(root, events=("start", "end")):
        skip = not isinstance(node.tag, str) or node.tag.lower() in SKIP
        if event == "start":
            hidden += skip
            if not hidden and node.text:
                parts.append(node.text)
        else:
            hidden -= skip
            if not hidden and node.tail and node is not root:
                parts.append(node.tail)
    return "".join(parts)


_APART = "\u241e"  # between the versions of a page's text: a paragraph must lie within one
_INTERVIEW_LABEL = re.compile(r"\[([^\]]{1,80})\]\s*[:：]")


def assert_faithful(b: dict, pages: list[RawPage]) -> None:
    """A stored briefing says only what its pages say, and attributes it only to speakers that exist."""
    said = words_of(pages)
    assert b["turns"] and b["title"] == b["title"].strip()
    assert [t["seq"] for t in b["turns"]] == list(range(1, len(b["turns"]) + 1))
    assert _squash(b["title"]) in said, b["title"]  # empty, or what the page prints
    for t in b["turns"]:
        assert t["kind"] in ("statement", "question", "answer", "moderator", "other")
        for paragraph in t["text"].split("\n\n"):
            assert _squash(paragraph) in said, (t["seq"], paragraph[:200])
        if t["label"]:
            assert _squash(t["label"]) in said, t["label"]
        speaker = t["speaker"]
        assert (
            speaker is None
            or speaker == UNIDENTIFIED
            or ENTITIES.person(speaker)
            or ENTITIES.outlet(speaker)
            or _squash(speaker) in said
        ), speaker
        assert t["answers"] is None or 1 <= t["answers"] < t["seq"]


def through_ingest(folder: Path, body: bytes, family: str, url: str | None = None, name: str = "page.html"):
    """Ingest one page as `family` into a fresh archive in folder; return (report, stored briefing or None).

    The archive must be whole afterwards, hold the briefing only if the report says it was stored, and
    the outcome must be exactly one of stored, rejected with a reason, or skipped with a reason."""
    raw = folder / "raw"
    raw.mkdir()
    (raw / name).write_bytes(body)
    if url:
        (raw / f"{name}.meta.json").write_text(json.dumps({"url": url}))
    db = folder / "archive.db"
    with Archive(db, write=True) as archive:
        report = ingest([raw], archive, ENTITIES, source=family)
    outcomes = report.ids + [r for _, r in report.rejected] + [r for _, r in report.skipped]
    assert len(outcomes) == 1, report.to_dict()
    assert not [r for _, r in report.rejected if r.startswith("cannot parse")], (
        report.rejected
    )  # a parser crash
    assert all(r.strip() for _, r in report.rejected + report.skipped)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, isolation_level=None)
    try:
        check = check_archive(conn, db)
        assert check.ok, check.problems
        stored = [r[0] for r in conn.execute("SELECT id FROM briefings")]
        assert stored == report.ids
        rejects = [r[0] for r in conn.execute("SELECT reason FROM rejects")]
        assert rejects == [r for _, r in report.rejected]
    finally:
        conn.close()
    if not report.ids:
        return report, None
    with Archive(db) as archive:
        b = query.get_briefing(archive.db, report.ids[0])
    assert_faithful(b, [RawPage(path=str(raw / name), body=body, url=url)])
    return report, b


LABELS = [
    "Q:",
    "A:",
    "Reuters:",
    "Speakers:",
    "Chairperson:",
    "Date:",
    "Shou Xiaoli:",
    "Geng Shuang:",
    "问：",
    "答：",
    "[Wang Lingjun]:",
    "Journalist:",
    "Follow-up:",
    ":",
    "：",
    "Mr. Li, director of X",
    "Beijing | May 1, 2024",
    "(Similar question from Bloomberg)",
    "1 2 3 >",
    "Copyright ©",
    "MORE FROM",
]
TAGS = [
    "<p>",
    "</p>",
    "<div>",
    "</div>",
    "<br>",
    "<b>",
    "</b>",
    "<h1>",
    "</h1>",
    "<title>",
    "</title>",
    "<div class='content'>",
    "<div id='content'>",
    "<!--enpcontent-->",
    "<!--/enpcontent-->",
    "<script>",
    "<table><tr><td>",
    "<![CDATA[",
    "<!--",
    "-->",
    "<meta charset='gb2312'>",
    "<html>",
    "<body>",
    "&nbsp;",
    "&#0;",
]
ENCODINGS = ["utf-8", "gb18030", "utf-16", "latin-1", "shift_jis", "cp1252", "big5"]

fragments = st.one_of(
    st.sampled_from(LABELS),
    st.sampled_from(TAGS),
    st.text(max_size=20),
    st.sampled_from(["\n", "\r\n", " ", "\u3000", "\u00a0"]),
)
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
            body = body[:i] + draw(st.binary(min_size=1, max_size=16)) + body[i + 16 :]
        elif op == "splice":
            body = body[:i] + draw(st.sampled_from(TAGS + LABELS)).encode() + body[i:]
        elif op == "repeat":
            body = body[:i] + body[i : i + 200] * draw(st.integers(2, 20)) + body[i:]
        else:
            j = draw(st.integers(i, len(body)))
            body = body[:i] + body[j:]
    return body


pages = st.one_of(st.binary(max_size=3000), encoded(), mutated(), st.just(b""), st.just(b" \n\t"))
NAMES = st.sampled_from(["page.html", "content_1_2.htm", "t.txt", "x"])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=pages, url=st.sampled_from(URLS), name=NAMES)
@pytest.mark.timeout(300)
def test_every_family_survives_any_page(body, url, name):
    for family in FAMILIES:
        parse(body, family, url, name)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=pages, url=st.sampled_from(URLS), name=NAMES)
@pytest.mark.timeout(600)
def test_any_page_through_ingest_is_stored_faithfully_or_rejected(body, url, name):
    for family in FAMILIES:
        with tempfile.TemporaryDirectory() as folder:
            through_ingest(Path(folder), body, family, url, name)


@settings(max_examples=30, deadline=None)
@given(
    labels=st.lists(st.sampled_from(LABELS), min_size=1, max_size=200),
    tag=st.sampled_from(["p", "div", "br"]),
)
@pytest.mark.timeout(120)
def test_labels_everywhere_and_nowhere(labels, tag):
    everywhere = "".join(f"<{tag}>{label}" for label in labels)
    nowhere = "<p>" + " ".join("word" for _ in labels) + "</p>"
    for family in FAMILIES:
        parse(f"<html><title>T</title><body>{everywhere}</body></html>".encode(), family)
        parse(f"<html><title>T</title><body>{nowhere}</body></html>".encode(), family)


def _deep(n: int, closed: bool) -> bytes:
    return (
        b"<html><title>Deep</title><body>"
        + b"<div>" * n
        + b"<p>Q: deep?</p><p>A: yes.</p>"
        + (b"</div>" * n if closed else b"")
    )


def _page(inner: bytes) -> bytes:
    return (
        b"<html><head><title>Heavy briefing</title></head><body><div class='content'>"
        + inner
        + b"</div></body></html>"
    )


def _turns(n: int) -> bytes:
    return b"".join(
        b"<p>Q: Question %d about tariffs?</p><p>A: Answer %d on smuggling.</p>" % (i, i)
        for i in range(n // 2)
    )


# Heavy inputs, each met by every family, each through ingest: (name, page, file name, what must happen).
# "stored" must store; "rejected: ..." must reject with that in the reason; "either" may do either.
HEAVY = {
    "10 MB page": (
        lambda: _page(b"<p>Shou Xiaoli: " + b"word " * 2_000_000 + b"</p>"),
        "page.html",
        "rejected: over the 4.0 MB limit",
    ),
    "10 MB of random bytes": (
        lambda: random.Random(6).randbytes(10_000_000),
        "page.html",
        "rejected: over the 4.0 MB limit",
    ),
    "3 MB of random bytes": (lambda: random.Random(7).randbytes(3_000_000), "page.html", "rejected: "),
    "12 MB of 700,000 paragraphs": (
        lambda: _page(_turns(700_000)),
        "page.html",
        "rejected: over the 4.0 MB limit",
    ),
    "one big paragraph": (
        lambda: _page(b"<p>Shou Xiaoli: " + b"word " * 700_000 + b"</p>"),
        "page.html",
        "either",
    ),
    "100,000 nested divs": (lambda: _deep(100_000, closed=True), "page.html", "either"),
    "100,000 unclosed divs": (lambda: _deep(100_000, closed=False), "page.html", "either"),
    "200,000 attributes": (
        lambda: _page(b"<p " + b" ".join(b"a%d='1'" % i for i in range(200_000)) + b">Q: x</p>"),
        "page.html",
        "rejected: a tag with 200,000 attributes",
    ),
    "150,000 tags": (
        lambda: _page(b"<p>Q: " + b"<b>x</b> " * 150_000 + b"</p>"),
        "page.html",
        "rejected: tags, over the limit",
    ),
    "30,000 turns": (lambda: _page(_turns(30_000)), "page.html", "rejected: paragraph tags, over the limit"),
    "19,000 turns": (lambda: _page(_turns(19_000)), "page.html", "either"),
    "30,000 lines of labels": (
        lambda: b"\n".join(
            random.Random(6).choice([b"Q: why?", b"A: because.", b"Reuters:", b"some words here"])
            for _ in range(30_000)
        ),
        "dump.txt",
        "rejected: lines, over the limit",
    ),
    "19,000 lines of labels": (
        lambda: (
            b"Heavy briefing\n"
            + b"\n".join(
                random.Random(6).choice([b"Q: why?", b"A: because.", b"Reuters: and?", b"some words here"])
                for _ in range(19_000)
            )
        ),
        "dump.txt",
        "either",
    ),
}


@pytest.mark.parametrize("kind", HEAVY)
@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.timeout(120)
def test_heavy_page(family, kind, tmp_path):
    make, name, expect = HEAVY[kind]
    report, stored = through_ingest(tmp_path, make(), family, name=name)
    if expect == "stored":
        assert stored is not None
    elif expect.startswith("rejected: "):
        assert stored is None and report.rejected, report.to_dict()
        assert expect[len("rejected: ") :] in report.rejected[0][1], report.rejected


def test_real_transcripts_are_far_from_every_limit():
    """The limits leave wide headroom over every real page there is here."""
    real = [p for p in REAL_PAGES] + sorted((FIXTURES.parent.parent / "data" / "raw").rglob("*.txt"))
    corpus = FIXTURES.parents[2] / "shared" / "corpus" / "mfa"
    real += sorted(corpus.rglob("t*.html")) if corpus.is_dir() else []
    for path in real:
        body = path.read_bytes()
        assert len(body) * 20 < screen.MAX_PAGE_BYTES
        page = RawPage(path=str(path), body=body)
        screen.check_page(page)
        assert body.count(b"<") * 20 < screen.MAX_TAGS and body.count(b"\n") * 20 < screen.MAX_PARAGRAPHS


def test_hostile_pages_through_ingest_leave_a_whole_archive(tmp_path, db_path):
    """Through the real command: rejections recorded, the run goes on, the archive stays whole."""
    folder = tmp_path / "raw"
    folder.mkdir()
    rnd = random.Random(6)
    bodies = [
        b"",
        b"\xff\xfe\x00",
        _deep(5000, closed=False),
        rnd.randbytes(5000),
        "<p>问：中文</p>".encode("gb18030") + "<p>A: é</p>".encode(),
    ]
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

TEXT_DUMP = (
    "Press briefing on markup\nSpeakers: Mr. Ann Example, spokesperson\nDate: 2024-01-02\n"
    "Q: What does <div class='x'> do on a page?\nA: It opens a <p>block</p>, as <b>any</b> tag does.\n"
)


@pytest.mark.parametrize("headers", [{}, {"Content-Type": "text/plain; charset=utf-8"}])
def test_a_text_dump_quoting_markup_stays_text(tmp_path, headers):
    """A .txt file, or a page recorded as text/plain, is never sniffed into HTML."""
    name = "dump.txt" if not headers else "dump"
    page = RawPage(path=str(tmp_path / name), body=TEXT_DUMP.encode(), headers=headers)
    assert not page.is_html
    b = production([page], "text")
    assert [t.text for t in b.turns][-2:] == [
        "What does <div class='x'> do on a page?",
        "It opens a <p>block</p>, as <b>any</b> tag does.",
    ]
    assert RawPage(path=str(tmp_path / "page"), body=b"<p>x</p>").is_html  # no name or type to say: sniffed
    assert RawPage(path="x", body=b"<p>x</p>", headers={"content-type": "text/html"}).is_html


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-8-sig"])
def test_pages_with_a_byte_order_mark(encoding):
    html = (
        "<html><head><title>记者会</title></head><body><div class='content'><p>问：中文怎么样？</p>"
        "<p>答：很好，Kyōdo。</p></div></body></html>"
    )
    plain = parse(html.encode("utf-8"), "text")
    marked = parse(html.encode(encoding), "text")
    assert isinstance(marked, Briefing), marked
    assert [(t.label, t.text) for t in marked.turns] == [(t.label, t.text) for t in plain.turns]
    assert marked.title == "记者会"


CONTROLS = "".join(chr(c) for c in [*range(0, 9), *range(11, 32), 127, *range(0x80, 0xA0)])


def test_control_characters_never_reach_the_archive_or_the_terminal(tmp_path, db_path):
    """ESC, BEL, CSI and the rest are dropped when text is read: nothing stored or shown carries them."""
    page = tmp_path / "escape.txt"
    page.write_text(
        f"Title \x1b]0;owned\x07with escapes\nSpeakers: Mr. Ann Example, spokesperson\n"
        f"Date: 2024-01-02\nQ: Is this \x1b[31mred\x1b[0m?\x9b2J{CONTROLS}\n"
        f"A: No,\x0bit is\x0cplain\ttext.\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["ingest", str(page), "--db", str(db_path), "--json"])
    assert result.exit_code == 0, result.output
    (bid,) = json.loads(result.stdout)["ids"]
    conn = sqlite3.connect(db_path)
    stored = [v for row in conn.execute("SELECT title, pages FROM briefings") for v in row]
    stored += [
        v for row in conn.execute("SELECT label, speaker, role, outlet, text FROM turns") for v in row if v
    ]
    stored += [v for row in conn.execute("SELECT name, role, label FROM participants") for v in row if v]
    assert not [s for s in stored if set(s) & (set(CONTROLS) - {"\t"})], stored
    texts = [r[0] for r in conn.execute("SELECT text FROM turns ORDER BY seq")]
    assert texts[-2:] == ["Is this [31mred[0m?2J", "No, it is plain text."]
    for args in (["show", bid], ["search", "red"], ["list"], ["export", bid]):
        out = CliRunner().invoke(cli, [*args, "--db", str(db_path)]).stdout
        assert not set(out) & (set(CONTROLS) - {"\t"}), (args, out)


# -- bytes that decode as something but are not text ----------------------------------------------------------


def _gb18030_junk(n: int, seed: int) -> bytes:
    """Random two-byte GBK codes among ASCII: every byte valid gb18030, no sentence in it."""
    rnd = random.Random(seed)
    out = bytearray(b"<html><head><title>\xb8\xf1</title></head><body><div class='content'>")
    while len(out) < n:
        r = rnd.random()
        if r < 0.3:
            out += bytes([rnd.randrange(0x20, 0x7F)]).replace(b"<", b" ").replace(b"&", b" ")
        elif r < 0.33:
            out += b"</p><p>"
        else:
            out += bytes(
                [
                    rnd.randrange(0x81, 0xFF),
                    rnd.choice([rnd.randrange(0x40, 0x7F), rnd.randrange(0x80, 0xFF)]),
                ]
            )
    return bytes(out)


JUNK = {
    "200 KB of random bytes": (lambda: random.Random(5).randbytes(200_000), "not text: "),
    "random bytes with a label on each line": (
        lambda: b"\n".join(b"Q: " + random.Random(i).randbytes(60) for i in range(2000)),
        "not text: ",
    ),
    "GBK codes at random": (lambda: _gb18030_junk(200_000, 5), "not text: "),
    "random bytes declared Latin-1": (
        lambda: b"<meta charset='latin-1'><title>T</title><p>" + random.Random(5).randbytes(200_000),
        "not text: ",
    ),
}


@pytest.mark.parametrize("kind", JUNK)
@pytest.mark.parametrize("family", FAMILIES)
def test_bytes_that_are_not_text_are_rejected(family, kind, tmp_path):
    make, reason = JUNK[kind]
    report, stored = through_ingest(tmp_path, make(), family)
    assert stored is None, report.to_dict()
    assert report.rejected and report.rejected[0][1].strip()


@pytest.mark.parametrize("kind", JUNK)
def test_the_text_gate_is_the_reason(kind):
    """Parsed, junk becomes a briefing of garbage speakers; the gate after parsing is what rejects it."""
    make, reason = JUNK[kind]
    body = make()
    parsed = [parse(body, family, screened=False) for family in FAMILIES]
    briefings = [b for b in parsed if isinstance(b, Briefing)]
    assert briefings, [r.reason for r in parsed]
    for b in briefings:
        with pytest.raises(Rejected, match=reason):
            screen.check_text(b)
