"""Markdown export shows the words, never markup: checked with a real CommonMark parser.

Whatever a transcript says (`<script>`, `# heading`, `*stars*`, `| pipes |`,
backticks, `[x](y)`, a line that starts with `1.` or `>`), markdown-it renders
it as plain text with the same words. And `-o` writes exactly the path given.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from briefings import export
from briefings.cli import cli
from briefings.sqlite import sqlite3
from conftest import CORPUS, ROOT

SEEDS = ROOT / "data" / "raw" / "seeds"
MD = MarkdownIt("commonmark")

# Text a transcript might hold, weighted towards what Markdown and HTML treat as syntax.
# NUL is left out: CommonMark replaces it with U+FFFD by design, which is not markup.
SYNTAX = [
    "<script>alert(1)</script>",
    "#",
    "# ",
    "*",
    "**",
    "_",
    "|",
    "`",
    "```",
    "[x](y)",
    "![i](u)",
    "<b>",
    "&amp;",
    "&#65;",
    "\\",
    "\n",
    "\n\n",
    "  \n",
    "1. ",
    "1) ",
    "- ",
    "+ ",
    "> ",
    "=",
    "---",
    "***",
    "    ",
    "\t",
    "~~~",
    "<http://x.y>",
    "http://x.y/*a*",
    "<!-- c -->",
    "[a]: /u",
    "{",
    "}",
    "\r",
    "\r\n",
    "\u2028",
]
chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
pieces = st.one_of(st.sampled_from(SYNTAX), st.text(chars, max_size=8))
hostile = st.lists(pieces, max_size=25).map("".join)

ALLOWED_BLOCKS = {
    "paragraph_open",
    "paragraph_close",
    "inline",
    "heading_open",
    "heading_close",
    "bullet_list_open",
    "bullet_list_close",
    "list_item_open",
    "list_item_close",
}
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
        "id": draw(hostile),
        "source": "text",
        "url": draw(st.one_of(st.none(), hostile, hostile.map("http://a.b/".__add__))),
        "title": draw(hostile),
        "date": draw(st.one_of(st.none(), st.just("2024-01-02"))),
        "published": draw(fields),
        "language": "en",
        "incomplete": False,
        "missing_pages": draw(st.lists(st.integers(1, 9), max_size=2)),
        "pages": [],
        "participants": [
            {
                "name": draw(hostile),
                "role": draw(fields),
                "kind": draw(st.sampled_from(["official", "chair"])),
            }
            for _ in range(draw(st.integers(0, 3)))
        ],
        "turns": [
            {
                "seq": i,
                "label": draw(fields),
                "speaker": draw(fields),
                "role": draw(fields),
                "kind": draw(st.sampled_from(["statement", "question", "answer", "moderator", "other"])),
                "outlet": draw(fields),
                "answers": None,
                "also_asked": [],
                "page": 1,
                "text": draw(hostile),
            }
            for i in range(1, n + 1)
        ],
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
    facts = (
        2 + bool(b["published"] and b["published"] != b["date"]) + bool(b["url"]) + bool(b["missing_pages"])
    )
    assert strong == facts + len(b["turns"])
    needles = [b["title"], b["id"]]
    needles += [p["name"] for p in b["participants"]]
    for t in b["turns"]:
        needles += [
            next((w for w in (t["speaker"], t["label"]) if w and w.strip()), "Unattributed"),
            t["text"],
        ]
    in_order(needles, seen)


def test_the_classic_attacks(tmp_path):
    b = {
        "id": "text-1",
        "source": "text",
        "url": "javascript:alert(1)",
        "title": "<script>alert('x')</script> # Title",
        "date": "2024-01-02",
        "published": None,
        "language": "en",
        "missing_pages": [],
        "pages": [],
        "participants": [{"name": "[Ann](http://evil)", "role": "`rm -rf`", "kind": "official"}],
        "turns": [
            {
                "seq": 1,
                "label": "Q",
                "speaker": "**Bold** | Pipe",
                "role": None,
                "kind": "question",
                "outlet": "<img src=x onerror=alert(1)>",
                "answers": None,
                "also_asked": [],
                "page": 1,
                "text": "# Not a heading\n\n| a | b |\n|---|---|\n\n1. not a list\n\n> not a quote",
            }
        ],
    }
    md = export.to_markdown(b)
    assert_plain(md)
    html = MD.render(md)
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
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
        assert (
            result.exit_code == 1 and result.stderr == f"Error: {out} exists; use --force to overwrite it\n"
        )
    assert out.read_text() == "mine\n"
    link = tmp_path / "link.md"
    link.symlink_to(tmp_path / "elsewhere.md")
    result = run(
        "export", bid, "-o", link, "--db", db_path
    )  # a dangling link is not followed to create a file
    assert result.exit_code == 1 and not (tmp_path / "elsewhere.md").exists()


def test_output_names_that_are_not_files(tmp_path, db_path, monkeypatch):
    assert run("ingest", SEEDS, "--db", db_path).exit_code == 0
    bid = json.loads(run("list", "--json", "--db", db_path).stdout)[0]["id"]
    monkeypatch.chdir(tmp_path)
    for args in ([bid], ["--all"]):
        result = run("export", *args, "-o", "", "--db", db_path)
        assert result.exit_code == 2
        assert (
            result.stderr
            == "Error: Invalid value for '-o' / '--output': needs a file name, not an empty one "
            "(see 'briefings export -h')\n"
        )
    dangling = tmp_path / "link.md"
    dangling.symlink_to(tmp_path / "gone" / "target.md")
    result = run("export", bid, "-o", dangling, "--db", db_path)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {dangling} is a symbolic link to {tmp_path / 'gone' / 'target.md'}, which does "
        "not exist; use --force to replace the link, or give another name\n"
    )
    # --force replaces the link itself: nothing is written where it pointed.
    target = tmp_path / "target.md"
    target.write_text("keep\n")
    link = tmp_path / "to-target.md"
    link.symlink_to(target)
    assert run("export", bid, "-o", link, "--force", "--db", db_path).exit_code == 0
    assert target.read_text() == "keep\n" and not link.is_symlink() and link.read_text().startswith("# ")
    assert run("export", bid, "-o", dangling, "--force", "--db", db_path).exit_code == 0
    assert not dangling.is_symlink() and not (tmp_path / "gone").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_an_export_is_an_ordinary_file(tmp_path, db_path):
    assert run("ingest", SEEDS, "--db", db_path).exit_code == 0
    out = tmp_path / "all.jsonl"
    old = os.umask(0o022)
    try:
        assert run("export", "--all", "-o", out, "--db", db_path).exit_code == 0
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644


# -- an export that cannot finish leaves the old file, or none -------------------------------------------------

BIN = Path(sys.executable).parent / "briefings"


@pytest.fixture(scope="module")
def big_archive(tmp_path_factory) -> Path:
    """An archive whose export takes a couple of seconds: the pages there are, their briefings copied in SQL."""
    from test_crash import generated_pages

    folder = tmp_path_factory.mktemp("big")
    pages = CORPUS / "en" if (CORPUS / "en").is_dir() else generated_pages(folder / "pages", n=120)
    db = folder / "archive.db"
    assert run("ingest", pages, SEEDS, "--db", db).exit_code == 0
    conn = sqlite3.connect(db, isolation_level=None)
    cols = "source, url, title, date, published, language, pages, missing_pages, turn_count, fingerprint, ingested_at"
    conn.execute("BEGIN")
    for k in range(1, 16):
        conn.execute(
            f"INSERT INTO briefings (id, {cols}) SELECT id || '-copy{k}', {cols} FROM briefings "
            "WHERE id NOT LIKE '%-copy%'"
        )
        conn.execute(
            "INSERT INTO turns (briefing_pk, seq, label, speaker, role, kind, outlet, answers, also_asked, "
            "page, text) SELECT nb.pk, t.seq, t.label, t.speaker, t.role, t.kind, t.outlet, t.answers, "
            "t.also_asked, t.page, t.text FROM turns t JOIN briefings ob ON ob.pk = t.briefing_pk "
            f"JOIN briefings nb ON nb.id = ob.id || '-copy{k}'"
        )
    conn.execute("COMMIT")
    conn.close()
    return db


def _visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


@pytest.mark.timeout(300)
def test_an_export_killed_part_way_leaves_the_old_file_or_none(big_archive, tmp_path):
    """SIGKILL while `export --all -o` writes: the name holds the old file, or nothing, or the whole export."""
    whole = tmp_path / "whole.jsonl"
    assert (
        subprocess.run(
            [str(BIN), "export", "--all", "-o", str(whole), "--db", str(big_archive)], capture_output=True
        ).returncode
        == 0
    )
    size = whole.stat().st_size
    mid_write = 0
    for k in range(8):
        folder = tmp_path / f"run{k}"
        folder.mkdir()
        out = folder / "backup.jsonl"
        force = k % 2 == 1
        if force:
            out.write_text("the old backup\n")
        proc = subprocess.Popen(
            [
                str(BIN),
                "export",
                "--all",
                "-o",
                str(out),
                "--db",
                str(big_archive),
                *(["--force"] if force else []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        goal = size * (k + 1) // 9  # kill once the hidden file holds this much of the export
        while proc.poll() is None:
            parts = [p for p in folder.iterdir() if p.name.startswith(".")]
            if parts and parts[0].stat().st_size >= goal:
                break
            time.sleep(0.001)
        running = proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        if running:
            mid_write += 1
            assert _visible(folder) == (["backup.jsonl"] if force else [])
            if force:
                assert out.read_text() == "the old backup\n"
        else:
            assert out.read_bytes() == whole.read_bytes()
    assert mid_write >= 6, mid_write


def test_a_full_disk_keeps_the_old_file(big_archive, tmp_path):
    """export --force onto a small real file system: the write fails, the old file is intact, nothing is left."""
    from test_bad_input import ROOT_USER

    if not ROOT_USER or not shutil.which("mount"):
        pytest.skip("mounting a small file system needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(disk)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        out = disk / "backup.jsonl"
        out.write_text("the old backup\n")
        for args in (["--all"], ["--all", "--force"]):
            result = run("export", *args, "-o", out, "--db", big_archive)
            assert result.exit_code == 1 and "Traceback" not in result.output
        assert (
            result.stderr
            == f"Error: cannot write {out}: No space left on device; the file there is as it was\n"
        )
        assert out.read_text() == "the old backup\n"
        assert [p.name for p in disk.iterdir()] == ["backup.jsonl"]
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_file_size_limit_keeps_the_old_file(big_archive, tmp_path):
    """The same where nothing can be mounted: the kernel refuses to let the file grow (RLIMIT_FSIZE)."""
    out = tmp_path / "backup.jsonl"
    out.write_text("the old backup\n")

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

    done = subprocess.run(
        [str(BIN), "export", "--all", "-o", str(out), "--force", "--db", str(big_archive)],
        capture_output=True,
        text=True,
        preexec_fn=limit,
    )
    assert done.returncode == 1
    assert done.stderr == f"Error: cannot write {out}: File too large; the file there is as it was\n"
    assert out.read_text() == "the old backup\n"
    assert _visible(tmp_path) == ["backup.jsonl"] and not [
        p for p in tmp_path.iterdir() if p.suffix == ".part"
    ]
