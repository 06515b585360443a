"""Markdown export shows the words, never markup: checked with a real CommonMark parser.

Whatever a transcript says (`<script>`, `# heading`, `*stars*`, `| pipes |`,
backticks, `[x](y)`, a line that starts with `1.` or `>`), markdown-it renders
it as plain text with the same words. And `-o` writes exactly the path given.
"""

from __future__ import annotations

import json
import os
from urllib.parse import unquote

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from briefings import export
from briefings.cli import cli
from conftest import ROOT

SEEDS = ROOT / "data" / "raw" / "seeds"
MD = MarkdownIt("commonmark")

# Text a transcript might hold, weighted towards what Markdown and HTML treat as syntax.
# NUL is left out: CommonMark replaces it with U+FFFD by design, which is not markup.
SYNTAX = ["<script>alert(1)</script>", "#", "# ", "*", "**", "_", "|", "`", "```", "[x](y)", "![i](u)", "<b>",
          "&amp;", "&#65;", "\\", "\n", "\n\n", "  \n", "1. ", "1) ", "- ", "+ ", "> ", "=", "---", "***", "    ",
          "\t", "~~~", "<http://x.y>", "http://x.y/*a*", "<!-- c -->", "[a]: /u", "{", "}", "\r", "\r\n", "\u2028"]
chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
pieces = st.one_of(st.sampled_from(SYNTAX), st.text(chars, max_size=8))
hostile = st.lists(pieces, max_size=25).map("".join)

ALLOWED_BLOCKS = {"paragraph_open", "paragraph_close", "inline", "heading_open", "heading_close",
                  "bullet_list_open", "bullet_list_close", "list_item_open", "list_item_close"}
ALLOWED_INLINE = {"text", "softbreak", "strong_open", "strong_close", "link_open", "link_close"}


def words(text: str) -> list[str]:
    return text.split()


def rendered(md: str) -> tuple[list, str]:
    """(block tokens, the text a reader sees) of a Markdown document."""
    tokens = MD.parse(md)
    seen = []
    for t in tokens:
        for child in t.children or []:
            if child.type == "text":
                seen.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                seen.append(" ")
        if t.type.endswith("_close"):
            seen.append(" ")
    return tokens, "".join(seen)


def assert_plain(md: str) -> None:
    tokens, _ = rendered(md)
    assert {t.type for t in tokens} <= ALLOWED_BLOCKS, md
    inline = {c.type for t in tokens for c in t.children or []}
    assert inline <= ALLOWED_INLINE, md


@settings(max_examples=200, deadline=None)
@given(hostile)
def test_md_escape_renders_the_same_words(text):
    md = export.md_escape(text)
    tokens, seen = rendered(md)
    assert [t.type for t in tokens] in ([], ["paragraph_open", "inline", "paragraph_close"]), md
    assert {c.type for c in tokens[1].children} <= {"text", "softbreak"} if tokens else True
    assert words(seen) == words(text)


@settings(max_examples=200, deadline=None)
@given(hostile)
def test_md_paragraphs_renders_the_same_words(text):
    md = export.md_paragraphs(text)
    tokens, seen = rendered(md)
    assert {t.type for t in tokens} <= {"paragraph_open", "inline", "paragraph_close"}, md
    assert words(seen) == words(text)


fields = st.one_of(st.none(), hostile)


@st.composite
def briefings(draw):
    n = draw(st.integers(0, 4))
    return {
        "id": draw(hostile), "source": "text", "url": draw(st.one_of(st.none(), hostile, hostile.map("http://a.b/".__add__))),
        "title": draw(hostile), "date": draw(st.one_of(st.none(), st.just("2024-01-02"))), "published": draw(fields),
        "language": "en", "incomplete": False, "missing_pages": draw(st.lists(st.integers(1, 9), max_size=2)),
        "pages": [],
        "participants": [{"name": draw(hostile), "role": draw(fields), "kind": draw(st.sampled_from(["official", "chair"]))}
                         for _ in range(draw(st.integers(0, 3)))],
        "turns": [{"seq": i, "label": draw(fields), "speaker": draw(fields), "role": draw(fields),
                   "kind": draw(st.sampled_from(["statement", "question", "answer", "moderator", "other"])),
                   "outlet": draw(fields), "answers": None, "also_asked": [], "page": 1, "text": draw(hostile)}
                  for i in range(1, n + 1)],
    }


def in_order(needles: list[str], haystack: str) -> None:
    """Each needle's words appear in the rendered text, in this order."""
    flat = " ".join(haystack.split())
    at = 0
    for needle in needles:
        want = " ".join(needle.split())
        if not want:
            continue
        found = flat.find(want, at)
        assert found >= 0, f"{want!r} not found after position {at} in {flat!r}"
        at = found + len(want)


@settings(max_examples=100, deadline=None)
@given(briefings())
def test_a_whole_briefing_exports_as_text(b):
    md = export.to_markdown(b)
    assert_plain(md)
    tokens, seen = rendered(md)
    headings = [t.tag for t in tokens if t.type == "heading_open"]
    assert headings == ["h1"] + (["h2"] if b["participants"] else []) + ["h2"]
    # The only links are the source URL, when it is one.
    links = [c for t in tokens for c in t.children or [] if c.type == "link_open"]
    assert len(links) <= 1 and all(unquote(c.attrs["href"]) == unquote(b["url"]) for c in links)
    # Strong text only where the exporter puts it: fact names and who spoke.
    strong = sum(1 for t in tokens for c in t.children or [] if c.type == "strong_open")
    facts = 2 + bool(b["published"] and b["published"] != b["date"]) + bool(b["url"]) + bool(b["missing_pages"])
    assert strong == facts + len(b["turns"])
    needles = [b["title"], b["id"]]
    needles += [p["name"] for p in b["participants"]]
    for t in b["turns"]:
        needles += [next((w for w in (t["speaker"], t["label"]) if w and w.strip()), "Unattributed"), t["text"]]
    in_order(needles, seen)


def test_the_classic_attacks(tmp_path):
    b = {"id": "text-1", "source": "text", "url": "javascript:alert(1)", "title": "<script>alert('x')</script> # Title",
         "date": "2024-01-02", "published": None, "language": "en", "missing_pages": [], "pages": [],
         "participants": [{"name": "[Ann](http://evil)", "role": "`rm -rf`", "kind": "official"}],
         "turns": [{"seq": 1, "label": "Q", "speaker": "**Bold** | Pipe", "role": None, "kind": "question",
                    "outlet": "<img src=x onerror=alert(1)>", "answers": None, "also_asked": [], "page": 1,
                    "text": "# Not a heading\n\n| a | b |\n|---|---|\n\n1. not a list\n\n> not a quote"}]}
    md = export.to_markdown(b)
    assert_plain(md)
    html = MD.render(md)
    assert "<script" not in html and "<img" not in html and "href=\"javascript" not in html
    assert "<table" not in html and "<ol" not in html and "<blockquote" not in html and "<code" not in html
    assert "&lt;script&gt;alert('x')&lt;/script&gt; # Title" in html


# -- output paths ----------------------------------------------------------------------


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_output_is_written_exactly_where_asked_and_nowhere_else(tmp_path, db_path, monkeypatch):
    assert run("ingest", SEEDS, "--db", db_path).exit_code == 0
    bid = json.loads(run("list", "--json", "--db", db_path).stdout)[0]["id"]
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    odd = "#1 [x](y) *.md"
    assert run("export", bid, "-o", odd, "--db", db_path).exit_code == 0
    assert run("export", "--all", "-o", "sub/../all.jsonl", "--db", db_path).exit_code == 1  # no such folder
    (work / "sub").mkdir()
    assert run("export", "--all", "-o", "sub/../all.jsonl", "--db", db_path).exit_code == 0
    assert sorted(os.listdir(work)) == sorted([odd, "all.jsonl", "sub"])
    assert os.listdir(work / "sub") == []


def test_refusing_to_overwrite_leaves_the_file_alone(tmp_path, db_path):
    assert run("ingest", SEEDS, "--db", db_path).exit_code == 0
    bid = json.loads(run("list", "--json", "--db", db_path).stdout)[0]["id"]
    out = tmp_path / "keep.md"
    out.write_text("mine\n")
    for fmt in ("md", "json", "jsonl"):
        result = run("export", bid, "--format", fmt, "-o", out, "--db", db_path)
        assert result.exit_code == 1 and result.stderr == f"Error: {out} exists; use --force to overwrite it\n"
    assert out.read_text() == "mine\n"
    link = tmp_path / "link.md"
    link.symlink_to(tmp_path / "elsewhere.md")
    result = run("export", bid, "-o", link, "--db", db_path)  # a dangling link is not followed to create a file
    assert result.exit_code == 1 and not (tmp_path / "elsewhere.md").exists()
