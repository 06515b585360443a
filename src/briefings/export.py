"""A briefing as a document to cite from: Markdown, or JSON for scripts.

Transcript text is escaped so that a CommonMark renderer shows the words as
published and never turns them into markup: `*`, `_`, backticks, brackets,
angle brackets (so no raw HTML passes through), `&` (so no entities), `|`,
and the characters that make a line a heading, list item or quote.
"""

from __future__ import annotations

import json
import re

from .render import NO_TITLE

_INLINE = re.compile(r"([\\`*_\[\]<>&|~{}#])")  # '#' too: a trailing " #" closes a heading
_LINE_START = re.compile(r"^(\s*)([#+\-=>])")
_ORDERED = re.compile(r"^(\s*\d{1,9})([.)])")


_BREAKS = re.compile(r"[\r\n]+")


def md_escape(text: str) -> str:
    """Escape one line of plain text for CommonMark.

    Line breaks become spaces: a second line could start a heading ("# ...",
    "===" under the first) or a list, and would end a heading or list item."""
    text = _BREAKS.sub(" ", text).strip()
    text = _INLINE.sub(r"\\\1", text)
    text = _LINE_START.sub(r"\1\\\2", text)
    text = _ORDERED.sub(r"\1\\\2", text)
    return text


def md_paragraphs(text: str) -> str:
    return "\n\n".join(md_escape(p.strip()) for p in text.split("\n\n") if p.strip())


def _url(url: str) -> str:
    if re.fullmatch(r"https?://[^\s<>\x00-\x1f\x7f]+", url):  # what CommonMark takes as an autolink
        return f"<{url}>"
    return md_escape(url)


KIND_WORDS = {
    "question": "question",
    "answer": "answer",
    "statement": "statement",
    "moderator": "moderator",
    "other": None,
}


def turn_heading(t: dict) -> str:
    who = next((w for w in (t["speaker"], t["label"]) if w and w.strip()), "Unattributed")
    bits = []
    if t["kind"] == "question" and t.get("outlet") and t["outlet"] != who:
        bits.append(t["outlet"])
    if t.get("role"):
        bits.append(t["role"])
    if KIND_WORDS.get(t["kind"]):
        bits.append(KIND_WORDS[t["kind"]])
    if t.get("label") and t["label"] != who and t["label"] not in ("Q", "A"):
        bits.append(f'printed as "{t["label"]}"')
    extra = f" ({md_escape('; '.join(bits))})" if bits else ""
    return f"**{md_escape(who)}**{extra}"


def to_markdown(b: dict) -> str:
    out = [f"# {md_escape(b['title']) if b['title'] else NO_TITLE}", ""]
    facts = [("Date", md_escape(b["date"] or "unknown"))]
    if b.get("published") and b["published"] != b["date"]:
        facts.append(("Published", md_escape(b["published"])))
    if b.get("url"):
        facts.append(("Source", _url(b["url"])))
    facts.append(("Archive id", md_escape(b["id"])))
    if b.get("missing_pages"):
        pages = ", ".join(str(n) for n in b["missing_pages"])
        facts.append(
            (
                "Incomplete",
                f"page{'s' if len(b['missing_pages']) > 1 else ''} {pages} missing from the archive",
            )
        )
    out += [f"- **{k}:** {v}" for k, v in facts]
    if b["participants"]:
        out += ["", "## Participants", ""]
        for p in b["participants"]:
            role = f", {md_escape(p['role'])}" if p.get("role") else ""
            chair = " (chairperson)" if p["kind"] == "chair" else ""
            out.append(f"- {md_escape(p['name'])}{chair}{role}")
    out += ["", "## Transcript", ""]
    for t in b["turns"]:
        out += [turn_heading(t), "", md_paragraphs(t["text"]), ""]
    return "\n".join(out).rstrip() + "\n"


def to_json(b: dict) -> str:
    return json.dumps(b, ensure_ascii=False, indent=2) + "\n"


def to_bilingual_markdown(b: dict) -> str:
    """The Markdown document with, after each turn, the turn(s) of the other-language
    version it translates, and at the end the other version's turns this one lacks."""
    other = b.get("counterpart")
    out = to_markdown({**b, "turns": []}).rstrip().splitlines()
    if out and out[-1] == "## Transcript":
        out.pop()
    if other:
        at = next(i for i, line in enumerate(out) if line.startswith("- **Archive id:**")) + 1
        out.insert(
            at,
            f"- **Other version:** {md_escape(other['id'])} ({md_escape(other['language'])})"
            + (f", {_url(other['url'])}" if other.get("url") else ""),
        )
    while out and not out[-1]:
        out.pop()
    out += ["", "## Transcript", ""]
    for t in b["turns"]:
        out += [turn_heading(t), "", md_paragraphs(t["text"]), ""]
        if not other:
            continue
        if not t.get("original"):
            out += [f"> *Not in {md_escape(other['id'])}.*", ""]
            continue
        seqs = ", ".join(f"#{o['seq']}" for o in t["original"])
        score = t.get("counterpart_score")
        unsure = f"; unsure link, score {score:.2f}" if score is not None and score < 0.5 else ""
        out += [f"> *{md_escape(other['id'])} {seqs}{unsure}:*", ">"]
        for o in t["original"]:
            for para in md_paragraphs(o["text"]).split("\n\n"):
                out += [f"> {para}", ">"]
        out[-1] = ""
    if other and b.get("only_there"):
        out += [f"## Only in {md_escape(other['id'])}", ""]
        for o in b["only_there"]:
            out += [f"{turn_heading(o)} (#{o['seq']})", "", md_paragraphs(o["text"]), ""]
    return "\n".join(out).rstrip() + "\n"
