"""Human output through rich; machine output (JSON, NDJSON, CSV) never through rich.

Transcript text goes into rich as `Text`, never as markup, so a bracket in
what someone said is printed, not interpreted.
"""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING

from .query import MARK_END, MARK_START
from .text import strip_controls

if TYPE_CHECKING:  # rich is imported when a table is drawn, not for JSON
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

HIT_STYLE = "bold black on yellow"
CONTEXT_CHARS = 240  # a context turn on the terminal is cut to about this much
BAR_WIDTH = 40


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _safe(value):
    """Archive values as a terminal may receive them: no control characters.

    New text never holds them (the normaliser drops them), but an archive
    written by hand or by an older briefings could carry a terminal escape.
    Snippets keep their match markers and are cleaned piece by piece.
    """
    if isinstance(value, str):
        return strip_controls(value)
    if isinstance(value, list):
        return [_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: (v if k == "snippet" else _safe(v)) for k, v in value.items()}
    return value


def marked_snippet(snippet: str) -> str:
    """Snippet for JSON: matched words between <mark> and </mark>."""
    return snippet.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


def snippet_text(snippet: str) -> Text:
    from rich.text import Text

    out = Text()
    rest = snippet
    while MARK_START in rest:
        before, _, after = rest.partition(MARK_START)
        hit, _, rest = after.partition(MARK_END)
        out.append(strip_controls(before))
        out.append(strip_controls(hit), style=HIT_STYLE)
    out.append(strip_controls(rest))
    return out


SEARCH_KEYS = (
    "briefing_id",
    "date",
    "title",
    "seq",
    "speaker",
    "kind",
    "outlet",
    "role",
    "label",
    "answers",
    "answered_by",
    "snippet",
    "text",
    "url",
    "source",
    "score",
)
CONTEXT_KEYS = ("seq", "speaker", "kind", "outlet", "role", "label", "text")


def search_keys(context: int = 0) -> tuple[str, ...]:
    """The keys of a search record, as CSV columns: with `context`, the context too."""
    return SEARCH_KEYS + ("context",) if context else SEARCH_KEYS


def search_records(rows: list[dict]) -> list[dict]:
    """Search hits for JSON, NDJSON and CSV: snippets marked, context when asked."""
    out = []
    for r in rows:
        rec = {k: r.get(k) for k in SEARCH_KEYS}
        rec["snippet"] = marked_snippet(r["snippet"])
        if "context" in r:
            rec["context"] = [{k: c.get(k) for k in CONTEXT_KEYS} for c in r["context"]]
        out.append(rec)
    return out


def dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def ndjson(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def to_csv(records: list[dict], keys=None) -> str:
    """CSV with a header row: `keys` (else the first record's), even when there are no records."""
    fieldnames = list(keys) if keys else list(records[0]) if records else []
    if not fieldnames:
        return ""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fieldnames, lineterminator="\n")
    writer.writeheader()
    for r in records:
        writer.writerow({k: (json.dumps(v) if isinstance(v, (list, dict)) else v) for k, v in r.items()})
    return buf.getvalue()


def more_line(shown: int, offset: int, total: int | None, noun: str) -> str | None:
    """What a page leaves out and how to get it, as in "20 of 95 turns; --limit 0 for
    all, --offset 20 for the next"; None when every result was printed."""
    if not total or (offset == 0 and shown >= total):
        return None
    if not shown:
        return f"no {noun} past --offset {offset}: there are {total:,}; --offset 0 for the first"
    end = offset + shown
    where = f"{shown:,}" if offset == 0 else f"{offset + 1:,}-{end:,}"
    if end < total:
        return f"{where} of {total:,} {noun}; --limit 0 for all, --offset {end} for the next"
    return f"{where} of {total:,} {noun}; the first {offset:,} skipped (--offset {offset})"


def footer(line: str) -> Text:
    from rich.text import Text

    return Text(line, style="dim")


def _context_text(turn: dict) -> Text:
    from rich.text import Text

    text = " ".join(turn["text"].split())
    if len(text) > CONTEXT_CHARS:
        text = text[:CONTEXT_CHARS].rsplit(" ", 1)[0] + "…"
    out = Text(f"{turn['speaker'] or turn['label'] or 'Unattributed'}: ", style="dim bold")
    out.append(text, style="dim")
    return out


def search_table(rows: list[dict]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_lines=True, expand=True)
    table.add_column("Date, turn", no_wrap=True)
    table.add_column("Speaker", ratio=1)
    table.add_column("Kind", no_wrap=True)
    table.add_column("Says", ratio=3, overflow="fold")  # a run of Han characters is one long "word" to rich
    rows = _safe(rows)
    for r in rows:
        who = Text(r["speaker"] or r["label"] or "unattributed")
        says = snippet_text(r["snippet"])
        if "context" in r:
            before = [_context_text(c) for c in r["context"] if c["seq"] < r["seq"]]
            after = [_context_text(c) for c in r["context"] if c["seq"] > r["seq"]]
            says = Text("\n").join([*before, Text("» ").append_text(says), *after])
        if r.get("answered_by"):
            names = ", ".join(f"{a['speaker'] or 'unattributed'} (#{a['seq']})" for a in r["answered_by"])
            says.append(f"\nanswered by {names}", style="dim")
        where = Text(r["date"] or "")
        where.append(f"\n{r['briefing_id']}#{r['seq']}", style="dim")
        table.add_row(where, who, r["kind"], says)
    return table


def who_table(rows: list[dict]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(expand=True)
    table.add_column("Speaker", ratio=1)
    table.add_column("Turns", justify="right")
    table.add_column("Briefings", justify="right")
    table.add_column("First", no_wrap=True)
    table.add_column("Last", no_wrap=True)
    rows = _safe(rows)
    for r in rows:
        table.add_row(
            Text(r["name"]), str(r["turns"]), str(r["briefings"]), r["first"] or "", r["last"] or ""
        )
    return table


def timeline_chart(rows: list[dict], by: str) -> Table:
    """One bar per period, its length the matches per 1,000 turns."""
    from rich.bar import Bar
    from rich.table import Table

    top = max((r["per_1000"] for r in rows), default=0) or 1
    table = Table(expand=False, box=None, pad_edge=False)
    table.add_column(by.capitalize(), no_wrap=True)
    table.add_column("Per 1,000 turns", justify="right", no_wrap=True)
    table.add_column("", width=BAR_WIDTH, no_wrap=True)
    table.add_column("Matches", justify="right", no_wrap=True)
    table.add_column("Turns", justify="right", no_wrap=True)
    for r in rows:
        bar = Bar(size=top, begin=0, end=r["per_1000"], width=BAR_WIDTH, color="cyan")
        table.add_row(r["period"], f"{r['per_1000']:.2f}", bar, f"{r['matches']:,}", f"{r['turns']:,}")
    return table


# A page that prints no title is stored with an empty one, never a made-up one; readers are told so.
NO_TITLE = "(no title)"


def list_table(rows: list[dict]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(expand=True)
    table.add_column("Date", no_wrap=True)
    table.add_column("Id", no_wrap=True)
    table.add_column("Source", no_wrap=True)
    table.add_column("Title", ratio=1)
    table.add_column("Turns", justify="right")
    rows = _safe(rows)
    for r in rows:
        title = Text(r["title"]) if r["title"] else Text(NO_TITLE, style="dim")
        if r.get("incomplete"):
            title.append(" (incomplete)", style="yellow")
        table.add_row(r["date"] or "", r["id"], r["source"], title, str(r["turns"]))
    return table


def speakers_table(rows: list[dict]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(expand=True)
    table.add_column("Speaker (roles)", ratio=1)
    table.add_column("Kind", no_wrap=True)
    table.add_column("Turns", justify="right")
    table.add_column("Briefings", justify="right")
    table.add_column("First", no_wrap=True)
    table.add_column("Last", no_wrap=True)
    rows = _safe(rows)
    for r in rows:
        who = Text(r["name"])
        for role in r["roles"]:
            who.append("\n" + role, style="dim")
        table.add_row(who, r["kind"], str(r["turns"]), str(r["briefings"]), r["first"] or "", r["last"] or "")
    return table


def show_briefing(con: Console, b: dict) -> None:
    from rich.text import Text

    b = _safe(b)
    con.print(Text(b["title"], style="bold") if b["title"] else Text(NO_TITLE, style="dim"))
    meta = Text()
    meta.append(f"{b['date'] or 'date unknown'}")
    if b.get("published") and b["published"] != b["date"]:
        meta.append(f" (published {b['published']})")
    meta.append(f" · {b['source']} · {b['id']}")
    con.print(meta)
    if b.get("url"):
        con.print(Text(b["url"], style="dim"))
    if b.get("missing_pages"):
        con.print(
            Text(f"Incomplete: page(s) {', '.join(map(str, b['missing_pages']))} missing", style="yellow")
        )
    if b["participants"]:
        con.print()
        for p in b["participants"]:
            line = Text("  ")
            line.append(p["name"], style="bold")
            if p["kind"] == "chair":
                line.append(" (chairperson)")
            if p.get("role"):
                line.append(f", {p['role']}")
            con.print(line)
    for t in b["turns"]:
        con.print()
        head = Text(f"#{t['seq']} ", style="dim")
        who = t["speaker"] or t["label"] or "Unattributed"
        head.append(who, style="bold cyan")
        tags = [t["role"]] if t.get("role") else []
        tags.append(t["kind"] if t.get("answers") is None else f"{t['kind']} to #{t['answers']}")
        if t.get("label") and t["label"] != who:
            tags.append(f'printed as "{t["label"]}"')
        head.append(f"  ({'; '.join(tags)})", style="dim")
        con.print(head)
        con.print(Text(t["text"]))


# A terminal at least this wide shows a bilingual briefing in two columns.
SIDE_BY_SIDE_WIDTH = 120


def _turn_text(t: dict, other_id: str | None = None):
    from rich.text import Text

    who = (
        t["outlet"]
        if t["kind"] == "question" and t.get("outlet")
        else t["speaker"] or t["label"] or "Unattributed"
    )
    out = Text(f"{other_id}#{t['seq']} " if other_id else f"#{t['seq']} ", style="dim")
    out.append(who, style="bold cyan")
    out.append(f"  ({t['kind']})\n", style="dim")
    out.append(t["text"])
    return out


def show_bilingual(con: Console, b: dict) -> None:
    """Each turn beside the turn(s) of the other version it translates: in two columns
    where the terminal is wide enough, else each original under its turn."""
    from rich.table import Table
    from rich.text import Text

    b = _safe(b)
    con.print(Text(b["title"], style="bold"))
    con.print(Text(f"{b['date'] or 'date unknown'} · {b['source']} · {b['id']} ({b['language']})"))
    other = b.get("counterpart")
    if not other:
        con.print(Text("No other-language version of this briefing is in the archive.", style="yellow"))
        for t in b["turns"]:
            con.print()
            con.print(_turn_text(t))
        return
    con.print(Text(f"beside {other['id']} ({other['language']})", style="dim"))

    def originals(t):
        if not t["original"]:
            return Text("(not in the other version)", style="yellow")
        parts = Text()
        for i, o in enumerate(t["original"]):
            if i:
                parts.append("\n\n")
            parts.append(_turn_text(o, other["id"]))
        if t.get("counterpart_score") is not None and t["counterpart_score"] < 0.5:
            parts.append(f"\n(unsure link: {t['counterpart_score']:.2f})", style="yellow")
        return parts

    if con.width >= SIDE_BY_SIDE_WIDTH:
        table = Table(show_header=True, show_lines=True, expand=True)
        # fold: Chinese runs have no spaces to wrap at, and must be shown whole
        table.add_column(f"{b['id']} ({b['language']})", ratio=1, overflow="fold")
        table.add_column(f"{other['id']} ({other['language']})", ratio=1, overflow="fold")
        for t in b["turns"]:
            table.add_row(_turn_text(t), originals(t))
        for o in b["only_there"]:
            table.add_row(Text("(not in this version)", style="yellow"), _turn_text(o, other["id"]))
        con.print(table)
        return
    for t in b["turns"]:
        con.print()
        con.print(_turn_text(t))
        con.print(Text("  ▸ ", style="dim"), originals(t))
    if b["only_there"]:
        con.print()
        con.print(Text(f"Only in {other['id']}:", style="bold"))
        for o in b["only_there"]:
            con.print()
            con.print(_turn_text(o, other["id"]))


def original_line(row: dict, o: dict):
    """Under a search table: where a hit's original is, and its words."""
    from rich.text import Text

    line = Text(f"{row['briefing_id']}#{row['seq']} → {o['briefing_id']}#{o['seq']}: ", style="dim")
    line.append(strip_controls(o["text"]))
    return line
