"""The records every stage agrees on: raw pages in, briefings and turns out.

They are frozen so that a parsed briefing can be compared, hashed and handed
from parser to store without anyone editing it on the way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import PurePath

from .decode import byte_order_mark, decode, header
from .sites import FAMILIES as SOURCES  # the page families, one record each in sites.py

TURN_KINDS = ("statement", "question", "answer", "moderator", "other")


@dataclass(frozen=True)
class RawPage:
    """One page as it sits in the raw store, with what is known of its origin."""

    path: str
    body: bytes
    url: str | None = None
    source: str | None = None
    headers: dict = field(default_factory=dict, hash=False, compare=False)
    charset: str | None = None
    transcript: str | None = None  # page 1's URL, as the fetcher recorded it
    page: int | None = None  # this page's number in its transcript, as recorded
    given_id: str | None = None  # the briefing id its metadata names (`"id"` in a sidecar or manifest line)

    @property
    def is_html(self) -> bool:
        """HTML, or a plain-text dump? A `.txt` name says text, then the recorded
        Content-Type says; only when neither tells are the first bytes sniffed.
        A dump that quotes `<div>` is text: parsed as HTML, its lines run together.
        (An `.html` name is sniffed too: a page saved from a text/plain URL keeps it.)"""
        if PurePath(self.path).suffix.lower() == ".txt":
            return False
        kind = str(header(self.headers, "content-type") or "").lower()
        if kind.startswith("text/plain"):
            return False
        if "html" in kind:
            return True
        head = self.body[:2048]
        bom = byte_order_mark(head)
        if bom and bom[0] != "utf-8":  # UTF-16 or UTF-32: sniff the text
            head = decode(self.body[:4096])[0][:2048].encode("utf-8", "replace")
        head = head.lower()
        return b"<html" in head or b"<!doctype" in head or b"<p" in head or b"<div" in head


@dataclass(frozen=True)
class Participant:
    name: str
    role: str | None = None
    kind: str = "official"  # official | chair | spokesperson
    label: str | None = None  # the name as printed in the roster


@dataclass(frozen=True)
class Turn:
    seq: int
    label: str | None
    speaker: str | None
    role: str | None
    kind: str
    outlet: str | None
    text: str
    answers: int | None = None  # seq of the question this turn answers
    also_asked: tuple[str, ...] = ()  # outlets from "(Similar question from X)"
    page: int = 1


@dataclass(frozen=True)
class Briefing:
    id: str
    source: str
    url: str | None
    title: str
    date: str | None
    published: str | None
    language: str
    participants: tuple[Participant, ...]
    turns: tuple[Turn, ...]
    pages: tuple[str, ...] = ()  # page URLs (or paths) in reading order
    missing_pages: tuple[int, ...] = ()
    fingerprint: str = ""  # sha256 over the raw pages: unchanged input, unchanged record
    pages_declared: int | None = None  # how many pages the site's pager says there are, if it says
    # What the id was made from: "url" (page 1's URL), "content:<sha256 of page 1's text>" (no URL
    # known), "given" (named by the page's metadata); None when unknown (a backup, a hand-made record).
    origin: str | None = None
    text_digest: str | None = None  # sha256 of page 1's normalised text: the id a page without a URL gets
    counterpart_url: str | None = None  # the page's own link to its version in the other language

    @property
    def incomplete(self) -> bool:
        return bool(self.missing_pages)

    def to_dict(self) -> dict:
        """The export shape promised in docs/interface.md, extended."""
        return {
            "id": self.id,
            "source": self.source,
            "url": self.url,
            "title": self.title,
            "date": self.date,
            "published": self.published,
            "language": self.language,
            "incomplete": self.incomplete,
            "missing_pages": list(self.missing_pages),
            "pages": list(self.pages),
            "participants": [{"name": p.name, "role": p.role, "kind": p.kind} for p in self.participants],
            "turns": [
                {
                    "seq": t.seq,
                    "label": t.label,
                    "speaker": t.speaker,
                    "role": t.role,
                    "kind": t.kind,
                    "outlet": t.outlet,
                    "answers": t.answers,
                    "also_asked": list(t.also_asked),
                    "page": t.page,
                    "text": t.text,
                }
                for t in self.turns
            ],
        }


class Rejected(Exception):
    """A page or transcript that cannot be turned into a briefing, and why."""

    def __init__(self, reason: str, path: str | None = None, *, skip: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.path = path
        self.skip = skip  # not a transcript at all (a listing, a notice): nothing is lost


__all__ = ["RawPage", "Participant", "Turn", "Briefing", "Rejected", "SOURCES", "TURN_KINDS", "asdict"]
