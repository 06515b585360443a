"""Saved searches, and what is new for each since it last ran.

A watch is a query with its filters, as `search` takes them, kept in the
archive. What it has shown is kept as (briefing id, digest of the turn's text
compared loosely): a turn renumbered by a correction elsewhere in its briefing
is not shown again, and a turn whose words changed is. A hit not shown before
is `changed` when the archive's change history (changes.py, written by each
re-ingest) holds the words it replaced, else `new`; a turn shown before that a
correction took out of the watch's reach is `changed` too, with `matches`
false. A watch starts from what the archive holds when it is added.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from . import query
from .query import Filters
from .store import Archive
from .text import has_controls, loose

DIGEST_CHARS = 16  # 64 bits of sha256: no two texts of one briefing meet by chance
# The tagging entity of every feed and entry id (RFC 4151); its date must never change,
# or every feed reader would show every hit again.
TAG = "tag:briefings,2026:"
MAX_NAME = 100


def now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


class WatchError(Exception):
    """A watch that cannot be added, found or removed, worded for the user."""


@dataclass(frozen=True)
class Watch:
    name: str
    query: str
    filters: Filters
    raw: bool = False
    created: str | None = None
    last_run: str | None = None

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "query": self.query,
            "filters": filters_dict(self.filters),
            "raw": self.raw,
            "created": self.created,
            "last_run": self.last_run,
        }

    def described(self) -> str:
        """The watch as the options that would make it again."""
        bits = [self.query]
        for key, value in filters_dict(self.filters).items():
            flag = "--" + key.replace("_", "-")
            bits.append(flag if value is True else f"{flag} {value}")
        if self.raw:
            bits.append("--raw")
        return " ".join(bits)


def digest(text: str) -> str:
    """What a turn's words are, compared loosely (a curly quote made straight is no change)."""
    return hashlib.sha256(loose(text).encode()).hexdigest()[:DIGEST_CHARS]


def entry_id(briefing_id: str, seq: int, text_digest: str) -> str:
    """A hit's stable id: the same turn with the same words is one entry to a feed reader."""
    from urllib.parse import quote

    return f"{TAG}{quote(briefing_id, safe='-._~')}/{seq}/{text_digest}"


def filters_dict(filters: query.Filters) -> dict:
    """The filters given, without those left at their defaults."""
    default = query.Filters()
    return {
        f.name: getattr(filters, f.name)
        for f in dataclasses.fields(filters)
        if getattr(filters, f.name) != getattr(default, f.name)
    }


def to_filters(value: object) -> query.Filters:
    """Filters as stored (or in a backup) -> query.Filters; ValueError for anything else."""
    if not isinstance(value, dict):
        raise ValueError("'filters' must be a JSON object")
    known = {f.name for f in dataclasses.fields(query.Filters)}
    unknown = sorted(set(value) - known)
    if unknown:
        raise ValueError(f"unknown filter {unknown[0]!r}")
    return query.Filters(**value)


def check_name(name: str) -> None:
    if not name.strip():
        raise WatchError("a watch needs a name that is not empty")
    if has_controls(name) or "\n" in name or "\t" in name:
        raise WatchError("a watch name cannot hold control characters or line breaks")
    if len(name) > MAX_NAME:
        raise WatchError(f"a watch name is at most {MAX_NAME} characters")


# -- reading and writing the watches ------------------------------------------------------


def _row_watch(row) -> Watch:
    name, text, filters, created, last_run = row
    stored = json.loads(filters)
    raw = bool(stored.pop("raw", False))
    return Watch(name, text, to_filters(stored), raw, created, last_run)


_COLUMNS = "name, query, filters, created, last_run"


def watches(db, names: Iterable[str] | None = None) -> list[Watch]:
    """The watches named (every one, by name, when None). Raises WatchError naming an unknown one."""
    rows = db.execute(f"SELECT {_COLUMNS} FROM watches ORDER BY name").fetchall()
    found = [_row_watch(r) for r in rows]
    if names is None:
        return found
    by_name = {w.name: w for w in found}
    wanted = list(dict.fromkeys(names))
    unknown = [n for n in wanted if n not in by_name]
    if unknown:
        raise WatchError(f"no watch named {', '.join(repr(n) for n in unknown)} (see `briefings watch list`)")
    return [by_name[n] for n in wanted]


def seen_count(db, name: str) -> int:
    return db.execute(
        "SELECT count(*) FROM watch_seen s JOIN watches w ON w.pk = s.watch_pk WHERE w.name = ?", (name,)
    ).fetchone()[0]


def _hits(db, w: Watch, entities, notes: list[str] | None) -> list[dict]:
    """Every turn the watch's search finds now, oldest first (`search` with no limit)."""
    return query.search(
        db, w.query, w.filters, limit=None, raw=w.raw, sort="date", entities=entities, notes=notes
    )


def add(
    archive: Archive,
    name: str,
    text: str,
    filters: query.Filters,
    *,
    raw: bool = False,
    entities=None,
    notes: list[str] | None = None,
) -> tuple[Watch, int]:
    """Save a watch; what it finds now counts as shown. Returns it and how many turns it finds.

    The query is run once here, so one that `search` would refuse (empty, or not
    understood) is refused now (query.QueryError), not at the next run."""
    check_name(name)
    if not text.strip():
        raise query.QueryError("empty query: give at least one word to search for")
    if has_controls(text):
        raise query.QueryError("a watch's query cannot hold control characters")
    db = archive.db
    if db.execute("SELECT 1 FROM watches WHERE name = ?", (name,)).fetchone():
        raise WatchError(
            f"a watch named {name!r} already exists; choose another name, or "
            f"`briefings watch remove {name}` first"
        )
    w = Watch(name, text, filters, raw, now(), None)
    hits = _hits(db, w, entities, notes)
    with archive.transaction() as conn:
        save_watch(conn, w, [(h["briefing_id"], digest(h["text"])) for h in hits])
    return w, len(hits)


def save_watch(conn, w: Watch, seen: Iterable[tuple[str, str]]) -> bool:
    """Write a watch and what it has shown, inside the caller's transaction. A watch of
    that name already stored is left as it is (False): a backup restored into the
    archive it came from must not wind a watch back."""
    stored = {**filters_dict(w.filters), **({"raw": True} if w.raw else {})}
    cur = conn.execute(
        "INSERT OR IGNORE INTO watches (name, query, filters, created, last_run) VALUES (?, ?, ?, ?, ?)",
        (w.name, w.query, json.dumps(stored, ensure_ascii=False), w.created or now(), w.last_run),
    )
    if not cur.rowcount:
        return False
    pk = conn.execute("SELECT pk FROM watches WHERE name = ?", (w.name,)).fetchone()[0]
    conn.executemany(
        "INSERT OR IGNORE INTO watch_seen (watch_pk, briefing_id, digest) VALUES (?, ?, ?)",
        [(pk, bid, d) for bid, d in seen],
    )
    return True


def remove(archive: Archive, name: str) -> Watch:
    (w,) = watches(archive.db, [name])
    with archive.transaction() as conn:
        conn.execute(
            "DELETE FROM watch_seen WHERE watch_pk = (SELECT pk FROM watches WHERE name = ?)", (name,)
        )
        conn.execute("DELETE FROM watches WHERE name = ?", (name,))
    return w


def backup_records(db) -> list[dict]:
    """Each watch with what it has shown, for `export --all` (see jsonl.py)."""
    out = []
    for w in watches(db):
        seen = db.execute(
            "SELECT briefing_id, digest FROM watch_seen s JOIN watches w ON w.pk = s.watch_pk "
            "WHERE w.name = ? ORDER BY briefing_id, digest",
            (w.name,),
        ).fetchall()
        out.append({"type": "watch", **w.to_dict(), "seen": [list(r) for r in seen]})
    return out


# -- running -------------------------------------------------------------------------------


def _old_words(db, briefing_id: str, seq: int, text: str) -> str | None:
    """The words this turn's text replaced, when the archive's change history says so."""
    rows = db.execute(
        "SELECT c.old, c.new FROM changes c JOIN briefings b ON b.pk = c.briefing_pk "
        "WHERE b.id = ? AND c.seq = ? AND c.change = 'changed' ORDER BY c.pk DESC",
        (briefing_id, seq),
    ).fetchall()
    now = loose(text)
    for old, new in rows:
        try:
            was, became = json.loads(old), json.loads(new)
        except (TypeError, ValueError):
            continue
        if isinstance(became, dict) and loose(became.get("text") or "") == now:
            return was.get("text") if isinstance(was, dict) else None
    return None


def word_changes(old: str, new: str) -> list[dict]:
    """The words that differ, in order: [{"old": "...", "new": "..."}], either side "" when none."""
    a, b = old.split(), new.split()
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op != "equal":
            out.append({"old": " ".join(a[i1:i2]), "new": " ".join(b[j1:j2])})
    return out


def run(
    archive: Archive,
    names: Iterable[str] | None = None,
    *,
    entities=None,
    advance: bool = True,
    only: set[str] | None = None,
    notes: list[str] | None = None,
) -> list[dict]:
    """The hits of each watch not shown before, newest first, then the turns it showed
    that a correction has since taken out of its reach (`matches` false); with
    `advance`, remembered as shown. `only` keeps to those briefings (what one
    update brought)."""
    db = archive.db
    out: list[dict] = []
    watched = watches(db, names)
    for w in watched:
        seen = {
            (bid, d)
            for bid, d in db.execute(
                "SELECT briefing_id, digest FROM watch_seen s JOIN watches w ON w.pk = s.watch_pk "
                "WHERE w.name = ?",
                (w.name,),
            )
        }
        fresh = []
        for h in _hits(db, w, entities, notes):
            d = digest(h["text"])
            if (h["briefing_id"], d) in seen or (only is not None and h["briefing_id"] not in only):
                continue
            seen.add((h["briefing_id"], d))  # one briefing's identical turns are one hit
            old = _old_words(db, h["briefing_id"], h["seq"], h["text"])
            fresh.append(_hit(w.name, h, d, old, matches=True))
        for h, d, old in _edited_away(db, seen, only):
            seen.add((h["briefing_id"], d))
            fresh.append(_hit(w.name, h, d, old, matches=False))
        out.extend(fresh)
    if advance:
        remember(archive, [w.name for w in watched], out)
    return out


def _hit(watch_name: str, h: dict, d: str, old: str | None, *, matches: bool) -> dict:
    return {
        "watch": watch_name,
        "briefing_id": h["briefing_id"],
        "seq": h["seq"],
        "date": h["date"],
        "title": h["title"],
        "speaker": h["speaker"],
        "label": h["label"],
        "kind": h["kind"],
        "outlet": h["outlet"],
        "text": h["text"],
        "url": h["url"],
        "status": "changed" if old is not None else "new",
        "matches": matches,
        "old_text": old,
        "changes": word_changes(old, h["text"]) if old is not None else [],
        "digest": d,
        "id": entry_id(h["briefing_id"], h["seq"], d),
    }


def _edited_away(db, seen: set[tuple[str, str]], only: set[str] | None):
    """Turns the watch showed whose words have since changed so that it no longer finds
    them (a correction took the words it looks for out): (turn, digest, old words)."""
    shown = {bid for bid, _ in seen}
    rows = db.execute(
        "SELECT b.id, c.seq, c.old, c.new FROM changes c JOIN briefings b ON b.pk = c.briefing_pk "
        "WHERE c.change = 'changed' ORDER BY c.pk"
    ).fetchall()
    for bid, seq, old, new in rows:
        if bid not in shown or (only is not None and bid not in only):
            continue
        try:
            was, became = json.loads(old)["text"], json.loads(new)["text"]
        except (TypeError, ValueError, KeyError):
            continue
        d = digest(became)
        if (bid, digest(was)) not in seen or (bid, d) in seen:
            continue
        turn = db.execute(
            "SELECT b.id AS briefing_id, t.seq, b.date, b.title, t.speaker, t.label, t.kind, t.outlet, "
            "t.text, b.url FROM turns t JOIN briefings b ON b.pk = t.briefing_pk WHERE b.id = ? AND t.seq = ?",
            (bid, seq),
        ).fetchone()
        if turn is None or digest(turn[8]) != d:
            continue  # changed again since: a later row says so
        keys = ("briefing_id", "seq", "date", "title", "speaker", "label", "kind", "outlet", "text", "url")
        yield dict(zip(keys, turn)), d, was


def remember(archive: Archive, names: list[str], hits: list[dict]) -> None:
    """Record these hits as shown and the watches named as run, in one transaction: a
    caller that writes the hits somewhere first loses none if that fails."""
    with archive.transaction() as conn:
        for name in names:
            pk = conn.execute("SELECT pk FROM watches WHERE name = ?", (name,)).fetchone()[0]
            conn.executemany(
                "INSERT OR IGNORE INTO watch_seen (watch_pk, briefing_id, digest) VALUES (?, ?, ?)",
                [(pk, h["briefing_id"], h["digest"]) for h in hits if h["watch"] == name],
            )
            conn.execute("UPDATE watches SET last_run = ? WHERE pk = ?", (now(), pk))


# -- output ------------------------------------------------------------------------------


def _status_words(h: dict) -> str:
    if h["status"] != "changed":
        return ""
    return "Changed: " if h["matches"] else "Changed, no longer found by this watch: "


def markdown(hits: list[dict], watched: list[Watch], when: str) -> str:
    """A digest a person can paste into an email: per watch, each hit under its date,
    speaker and place, its words quoted; a changed one with what it said before.
    Empty when there is nothing new, so that cron sends no mail."""
    if not hits:
        return ""
    from .export import md_escape, md_paragraphs

    new = sum(1 for h in hits if h["status"] == "new")
    lines = [f"# New in the briefings archive, {when[:10]}", ""]
    lines.append(f"{new} new and {len(hits) - new} changed turns.")
    for w in watched:
        mine = [h for h in hits if h["watch"] == w.name]
        if not mine:
            continue
        lines += ["", f"## {md_escape(w.name)}: {md_escape(w.described())}", ""]
        for h in mine:
            who = h["speaker"] or h["label"] or "Unattributed"
            head = f"{h['date'] or 'no date'}, {who} ({h['kind']}), {h['briefing_id']} #{h['seq']}"
            lines.append(f"### {_status_words(h)}{md_escape(head)}")
            lines.append("")
            lines.append(
                f"*{md_escape(h['title'] or '(no title)')}*" + (f" <{h['url']}>" if h["url"] else "")
            )
            lines.append("")
            if h["status"] == "changed":
                for c in h["changes"]:
                    was = md_escape(c["old"]) if c["old"] else "(nothing)"
                    now = md_escape(c["new"]) if c["new"] else "(nothing)"
                    lines.append(f"- was: {was}; now: {now}")
                lines += ["", "Now:", ""]
            lines += ["> " + p if p else ">" for p in md_paragraphs(h["text"]).split("\n")]
            if h["status"] == "changed":
                lines += ["", "Before:", ""]
                lines += ["> " + p if p else ">" for p in md_paragraphs(h["old_text"]).split("\n")]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def table(hits: list[dict]):
    from rich.table import Table
    from rich.text import Text

    t = Table(show_lines=True, expand=True)
    t.add_column("Watch", ratio=1)
    t.add_column("Date, turn", no_wrap=True)
    t.add_column("Speaker", ratio=1)
    t.add_column("Says", ratio=3, overflow="fold")
    for h in hits:
        where = Text(h["date"] or "")
        where.append(f"\n{h['briefing_id']}#{h['seq']}", style="dim")
        status = h["status"] if h["matches"] else "changed, no longer found"
        where.append(f"\n{status}", style="bold" if h["status"] == "changed" else "dim")
        says = Text(h["text"])
        if h["status"] == "changed":
            says = Text()
            for c in h["changes"]:
                says.append("was: ", style="dim").append(c["old"] or "(nothing)", style="red")
                says.append("  now: ", style="dim").append(c["new"] or "(nothing)", style="green")
                says.append("\n")
            says.append(h["text"])
        t.add_row(Text(h["watch"]), where, Text(h["speaker"] or h["label"] or "unattributed"), says)
    return t


__all__ = [
    "Watch",
    "WatchError",
    "add",
    "remove",
    "run",
    "remember",
    "watches",
    "digest",
    "entry_id",
    "markdown",
    "table",
    "backup_records",
    "save_watch",
]
