"""Watch hits as an Atom feed (RFC 4287), kept across runs.

Each run adds its hits to the feed file and keeps the entries already in it
(up to KEEP, newest first), so a reader that polls less often than cron runs
still sees every hit. Entry ids are tag: URIs made from the briefing id, the
turn's number and its text's digest (watch.entry_id): a reader shows each hit
once, and a corrected turn, whose digest differs, as an entry of its own.
Written with xml.etree, which also reads the previous feed back.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

from .watch import TAG

NS = "http://www.w3.org/2005/Atom"
KEEP = 500  # entries a feed file keeps: weeks of hits for any sensible watch
ET.register_namespace("", NS)


class FeedError(Exception):
    """A feed file that cannot be read back or written, worded for the user."""


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, _q(tag), attrs)
    el.text = text
    return el


def entry(hit: dict, when: str) -> ET.Element:
    e = ET.Element(_q("entry"))
    _text(e, "id", hit["id"])
    who = hit["speaker"] or hit["label"] or "Unattributed"
    changed = hit["status"] == "changed"
    status = ("Changed: " if hit["matches"] else "Changed, no longer found: ") if changed else ""
    title = f"{status}{who} ({hit['kind']}), {hit['date'] or 'no date'}"
    _text(e, "title", title)
    _text(e, "updated", when)
    if hit["url"]:
        ET.SubElement(e, _q("link"), {"rel": "alternate", "href": hit["url"]})
    author = ET.SubElement(e, _q("author"))
    _text(author, "name", who)
    ET.SubElement(e, _q("category"), {"term": hit["watch"]})
    where = f"{hit['briefing_id']} #{hit['seq']}: {hit['title'] or '(no title)'}"
    body = [where, "", hit["text"]]
    if changed:
        body += ["", "Before:", "", hit["old_text"] or ""]
    _text(e, "summary", " ".join(hit["text"].split())[:300])
    _text(e, "content", "\n".join(body), type="text")
    return e


def _read(path: Path) -> list[ET.Element]:
    """The entries of a feed this module wrote before; FeedError for any other file."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise FeedError(f"{path} is not an Atom feed ({exc}); give another file, or remove it") from None
    ident = root.find(_q("id"))
    if root.tag != _q("feed") or ident is None or not (ident.text or "").startswith(TAG):
        raise FeedError(f"{path} is not an Atom feed of watches; give another file, or remove it")
    return root.findall(_q("entry"))


def write(path: str | Path, hits: list[dict], when: str, title: str, feed_id: str) -> int:
    """Add hits to the feed at path (made if absent), whole or not at all; returns its entries."""
    path = Path(path)
    old = _read(path) if path.exists() else []
    new = {h["id"]: h for h in hits}  # the same turn found by two watches is one entry
    feed = ET.Element(_q("feed"))
    _text(feed, "id", feed_id)
    _text(feed, "title", title)
    author = ET.SubElement(feed, _q("author"))
    _text(author, "name", "briefings")
    _text(feed, "generator", "briefings")
    entries: list[ET.Element] = []
    for hit in new.values():
        e = entry(hit, when)
        for other in hits:
            if other["id"] == hit["id"] and other["watch"] != hit["watch"]:
                ET.SubElement(e, _q("category"), {"term": other["watch"]})
        entries.append(e)
    entries += [e for e in old if (e.findtext(_q("id")) or "") not in new]
    entries = entries[:KEEP]
    stamps = [e.findtext(_q("updated")) or when for e in entries]
    _text(feed, "updated", max(stamps, default=when))
    feed.extend(entries)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        ET.ElementTree(feed).write(tmp, encoding="utf-8", xml_declaration=True)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise FeedError(f"cannot write {path}: {exc.strerror or exc}") from None
    return len(entries)
