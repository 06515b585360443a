"""Raw pages in, briefings stored: the parse -> store step, one transcript at a time.

Ingest streams: memory holds one transcript's pages, however large the raw
store. A first pass (`Plan`) reads only the head of each page file (a few
kilobytes) to learn its page family and which transcript it is a page of,
and keeps one row per page (transcript, page number, path) in a temporary
SQLite file, with the folders' manifest entries; a transcript's pages can
lie anywhere under the paths given. Transcripts are then read back one at a
time, parsed, screened (`screen.py`) and stored, each in its own
transaction. A transcript that cannot be parsed is recorded with its reason
and the run goes on; nothing is ever dropped in silence: a second, different
copy of a page in the same run is reported, as is any file that is not a
regular file (a named pipe would block the run forever).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import screen
from .files import NOT_UTF8_NAME, not_a_page, shown
from .jsonl import StoredReject, StoredWatch, is_jsonl
from .jsonl import read as read_jsonl
from .models import Briefing, RawPage, Rejected
from .people import Entities
from .raw import (
    MANIFEST,
    failed_pages,
    iter_manifest,
    iter_page_files,
    load_page,
)
from .sources import Group, family_of, page_slot, parse_group, transcript_key, with_own_url
from .sqlite import sqlite3
from .store import Archive, ArchiveError, Duplicate

PEEK = 64 * 1024


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    repaired: int = 0  # stored from the same pages, rewritten because its stored rows were damaged
    pages: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # other, different copies of a page in this run, and transcripts stored already from other files:
    # (path, reason, the file read or stored instead, the briefing id it is)
    duplicates: list[tuple[str, str, str | None, str | None]] = field(default_factory=list)
    conflicts: list[tuple[str, str, str, str]] = field(default_factory=list)  # (path, id, reason, stored as)
    incomplete: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    rejects_recorded: int = 0

    @property
    def briefings(self) -> int:
        return self.added + self.updated + self.unchanged + self.repaired

    def summary(self) -> str:
        parts = [
            f"{self.briefings} briefing{'s' if self.briefings != 1 else ''} from {self.pages} page{'s' if self.pages != 1 else ''}",
            f"{self.added} added",
            f"{self.updated} updated",
            f"{self.unchanged} unchanged",
        ]
        if self.repaired:
            parts.append(f"{self.repaired} repaired")
        parts.append(f"{len(self.rejected)} rejected")
        if self.conflicts:
            parts.append(f"{len(self.conflicts)} conflict{'s' if len(self.conflicts) != 1 else ''}")
        if self.skipped or self.duplicates:
            parts.append(f"{len(self.skipped) + len(self.duplicates)} skipped")
        if self.incomplete:
            parts.append(f"{len(self.incomplete)} incomplete")
        return ", ".join(parts)

    def to_dict(self) -> dict:
        return {
            "briefings": self.briefings,
            "pages": self.pages,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "repaired": self.repaired,
            "rejected": [{"path": p, "reason": r} for p, r in self.rejected],
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            "duplicates": [{"path": p, "reason": r, "first": f, "id": i} for p, r, f, i in self.duplicates],
            "conflicts": [{"path": p, "id": i, "reason": r, "stored_as": s} for p, i, r, s in self.conflicts],
            "incomplete": [{"id": i, "missing_pages": list(m)} for i, m in self.incomplete],
            "ids": self.ids,
        }


# -- the first pass: which page is which transcript's ------------------------------------------------------------

_PLAN_SCHEMA = """
CREATE TABLE pages (
    seq INTEGER PRIMARY KEY, key TEXT NOT NULL, n TEXT NOT NULL, path TEXT NOT NULL, family TEXT NOT NULL,
    url TEXT, transcript TEXT, page TEXT, UNIQUE (key, n));
CREATE INDEX pages_key ON pages(key, n);
CREATE TABLE copies (key TEXT NOT NULL, n TEXT NOT NULL, path TEXT NOT NULL, first TEXT NOT NULL,
    differs INTEGER NOT NULL);
CREATE INDEX copies_key ON copies(key);
CREATE TABLE manifest (folder TEXT NOT NULL, file TEXT NOT NULL, entry TEXT NOT NULL, PRIMARY KEY (folder, file));
CREATE TABLE failed (key TEXT NOT NULL, n TEXT NOT NULL, PRIMARY KEY (key, n));
CREATE TABLE ids (id TEXT PRIMARY KEY, path TEXT NOT NULL);
"""


class _Entries:
    """One folder's manifest entries, looked up by file name in the plan's database."""

    def __init__(self, db: sqlite3.Connection, folder: str):
        self.db, self.folder = db, folder

    def get(self, name: str, default=None):
        row = self.db.execute(
            "SELECT entry FROM manifest WHERE folder = ? AND file = ?", (self.folder, name)
        ).fetchone()
        return json.loads(row[0]) if row else default


class _Manifests:
    """`load_page`'s manifests argument (folder -> entries by file name), kept in the
    plan's database: a manifest is read into it once, a line at a time, when the
    first page of its folder is met, and is never held in memory."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.loaded: set[Path] = set()

    def __contains__(self, folder) -> bool:
        return True

    def __getitem__(self, folder: Path) -> _Entries:
        if folder not in self.loaded:
            self.loaded.add(folder)
            self.plan._read_manifest(folder)
        return _Entries(self.plan.db, str(folder))


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def _sane(page: RawPage) -> RawPage:
    """A hand-edited manifest or metadata file may hold anything: only text is a URL. With
    none recorded, the URL the page gives for itself (`<link rel="canonical">`, `<meta name="Url">`)."""
    return with_own_url(
        replace(
            page,
            url=_text(page.url),
            transcript=_text(page.transcript),
            source=_text(page.source),
            charset=_text(page.charset),
            headers=page.headers if isinstance(page.headers, dict) else {},
        )
    )


def _sha256(path: str) -> str | None:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


class Plan:
    """The page files under some paths, grouped into transcripts without holding them.

    `problems` lists the files that could not be read, with why; `len()` is the
    number of transcripts; `groups()` yields them one at a time, first seen first.
    Use it as a context manager, or close() it: it owns a temporary file.
    """

    def __init__(self, paths: Iterable[str | Path], source: str | None = None):
        self.source = source
        self.problems: list[tuple[str, str]] = []
        self.db = sqlite3.connect("", isolation_level=None)  # a private temporary file, gone when closed
        self.manifests = _Manifests(self)
        try:
            self.db.executescript(_PLAN_SCHEMA)
            self.db.execute("BEGIN")
            self._scan(paths)
            self.db.execute("COMMIT")
            self.count = self.db.execute("SELECT count(DISTINCT key) FROM pages").fetchone()[0]
        except BaseException:
            self.close()
            raise

    def _scan(self, paths: Iterable[str | Path]) -> None:
        for path in iter_page_files(paths):
            why = NOT_UTF8_NAME if shown(path) != str(path) else not_a_page(path)
            if why:
                self.problems.append((shown(path), why))
                continue
            try:
                peek = load_page(path, self.manifests, limit=PEEK)
            except OSError as exc:
                self.problems.append((str(path), f"cannot read: {exc.strerror or exc}"))
                continue
            peek = _sane(peek)
            family = family_of(peek, self.source)
            ref = replace(peek, body=b"", source=family)  # what grouping needs, not the bytes
            key, n = page_slot(ref, family)
            try:
                self.db.execute(
                    "INSERT INTO pages (key, n, path, family, url, transcript, page) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        key,
                        str(n),
                        str(path),
                        family,
                        ref.url,
                        ref.transcript,
                        None if ref.page is None else str(ref.page),
                    ),
                )
            except sqlite3.IntegrityError:  # a second copy of this page of this transcript
                (first,) = self.db.execute(
                    "SELECT path FROM pages WHERE key = ? AND n = ?", (key, str(n))
                ).fetchone()
                if os.path.realpath(first) == os.path.realpath(path):
                    continue  # the same file named twice (a folder and a file in it)
                differs = _sha256(first) != _sha256(str(path))
                self.db.execute(
                    "INSERT INTO copies (key, n, path, first, differs) VALUES (?, ?, ?, ?, ?)",
                    (key, str(n), str(path), first, int(differs)),
                )

    def _read_manifest(self, folder: Path) -> None:
        torn: list[int] = []
        self.db.executemany(
            "INSERT OR REPLACE INTO manifest (folder, file, entry) VALUES (?, ?, ?)",
            ((str(folder), e["file"], json.dumps(e)) for e in iter_manifest(folder, torn)),
        )
        if torn:
            self.problems.append(
                (
                    str(folder / MANIFEST),
                    f"line(s) {', '.join(map(str, torn))} unreadable "
                    "(an interrupted fetch?); their pages are read without their URLs",
                )
            )
        errors = {
            row[0]: json.loads(row[1])
            for row in self.db.execute(
                "SELECT file, entry FROM manifest WHERE folder = ? AND json_extract(entry, '$.error') IS NOT NULL",
                (str(folder),),
            )
        }
        for (family, transcript), numbers in failed_pages(errors).items():
            key = transcript_key(self.source or family or "text", transcript)
            self.db.executemany(
                "INSERT OR IGNORE INTO failed (key, n) VALUES (?, ?)", ((key, str(n)) for n in numbers)
            )

    def __len__(self) -> int:
        return self.count

    def groups(self) -> Iterator[Group]:
        """Each transcript as the scan keyed it (family and page number already settled), in
        the order first seen, its pages in reading order."""
        keys = self.db.execute("SELECT key FROM pages GROUP BY key ORDER BY min(seq)")
        for (key,) in iter(keys.fetchone, None):
            rows = self.db.execute(
                "SELECT n, path, family, url, transcript, page FROM pages WHERE key = ?", (key,)
            ).fetchall()
            pages = [
                (
                    int(n),
                    RawPage(
                        path=path,
                        body=b"",
                        url=url,
                        source=family,
                        transcript=transcript,
                        page=None if page is None else int(page),
                    ),
                )
                for n, path, family, url, transcript, page in rows
            ]
            pages.sort(key=lambda numbered: numbered[0])
            failed = {int(r[0]) for r in self.db.execute("SELECT n FROM failed WHERE key = ?", (key,))}
            missing = tuple(sorted(failed - {n for n, _ in pages}))
            yield Group(key, rows[0][2], tuple(pages), missing)

    def copies(self, key: str) -> list[tuple[str, int, str, bool]]:
        """(path, page number, the copy read instead, whether they differ) of the pages of
        transcript `key` that another file in this run also is."""
        return [
            (p, int(n), first, bool(d))
            for p, n, first, d in self.db.execute(
                "SELECT path, n, first, differs FROM copies WHERE key = ? ORDER BY rowid", (key,)
            )
        ]

    def claimed(self, briefing_id: str) -> str | None:
        """The path this run stored briefing_id from, if it did."""
        row = self.db.execute("SELECT path FROM ids WHERE id = ?", (briefing_id,)).fetchone()
        return row[0] if row else None

    def claim(self, briefing_id: str, path: str) -> None:
        """Note that this run stored briefing_id from path."""
        self.db.execute("INSERT OR IGNORE INTO ids (id, path) VALUES (?, ?)", (briefing_id, path))

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Plan:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def plan(paths: Iterable[str | Path], source: str | None = None) -> Plan:
    """Group the page files under paths into transcripts, reading only their heads."""
    return Plan(paths, source)


# -- the second pass: one transcript at a time ------------------------------------------------------------------


def load_group(g: Group, manifests=None) -> Group:
    """The same group with full page bodies. A page too large to be a transcript's is
    rejected before it is read."""
    manifests = {} if manifests is None else manifests
    pages = []
    for n, p in g.pages:
        path = Path(p.path)
        screen.check_size(p.path, path.stat().st_size)
        pages.append((n, _sane(load_page(path, manifests))))
    return replace(g, pages=tuple(pages))


# Exceptions a page shaped like nothing the parsers expect may raise: reported, and the run goes on.
_PARSE_ERRORS = (RecursionError, MemoryError, ValueError, LookupError, TypeError, AttributeError)


def parse(g: Group, entities: Entities, manifests=None) -> Briefing:
    """Read, screen and parse one transcript. Raises Rejected, saying why, for whatever
    stops it: a page that cannot be read, fails the screen, or trips the parser."""
    first = g.pages[0][1].path
    try:
        full = load_group(g, manifests)
        screen.check_pages(full.pages)
        b = parse_group(full, entities)
        screen.check_text(b, first)
    except OSError as exc:
        raise Rejected(f"cannot read: {exc.strerror or exc}", first) from None
    except _PARSE_ERRORS as exc:
        raise Rejected(f"cannot parse: {type(exc).__name__}: {exc}"[:300], first) from None
    return b


def parse_paths(paths: Iterable[str | Path], entities: Entities, source: str | None = None):
    """Yield (group, Briefing or Rejected) for every transcript under paths, storing nothing."""
    with Plan(paths, source) as p:
        for path, reason in p.problems:
            yield None, Rejected(reason, path)
        for g in p.groups():
            try:
                yield g, parse(g, entities, p.manifests)
            except Rejected as exc:
                yield g, exc


def ingest(
    paths: Iterable[str | Path],
    archive: Archive,
    entities: Entities,
    *,
    source: str | None = None,
    on_group: Callable[[Group], None] | None = None,
    plan: Plan | None = None,
) -> IngestReport:
    """Store every transcript under paths (and every briefing of a .jsonl backup named).

    Raises ArchiveError when the archive cannot be written (a full disk, another
    writer holding it too long): its message says what was stored before."""
    report = IngestReport()
    paths = list(paths)  # read twice: pages, then .jsonl exports
    own = plan is None
    if own:
        plan = Plan(paths, source)
    try:
        report.rejected.extend(plan.problems)
        total, done = len(plan), 0
        for g in plan.groups():
            try:
                _ingest_group(g, plan, archive, entities, report)
            except ArchiveError as exc:
                raise _stopped(exc, report, f"{done} of {total} transcripts", total - done) from exc
            done += 1
            if on_group is not None:
                on_group(g)
        for path in (Path(p) for p in paths):
            if is_jsonl(path) and not path.is_dir():
                _ingest_jsonl(path, archive, report)
    finally:
        if own:
            plan.close()
    return report


def _ingest_group(g: Group, plan: Plan, archive: Archive, entities: Entities, report: IngestReport) -> None:
    page_paths = tuple(p.path for _, p in g.pages)
    report.pages += len(page_paths)
    briefing = None
    try:
        briefing = parse(g, entities, plan.manifests)
        # What this run stored under an id is never replaced by a later copy in the same run.
        saved = archive.save(briefing, page_paths, kept=plan.claimed(briefing.id))
        _pair(archive, saved.id, saved.outcome)
    except Duplicate as exc:
        report.duplicates.append((page_paths[0], exc.reason, exc.first, exc.of))
    except Rejected as exc:
        _rejected(report, archive, exc.path or page_paths[0], exc.reason, skip=exc.skip)
    else:
        if saved.conflict is not None:
            c = saved.conflict
            report.conflicts.append(
                (page_paths[0], c.id, f"{c.reason}; this one stored as {c.stored_as}", c.stored_as)
            )
            plan.claim(c.id, page_paths[0])  # a later copy in this run is held to the same
        briefing = replace(briefing, id=saved.id)
        plan.claim(saved.id, page_paths[0])
        _stored(report, briefing, saved.outcome)
    for path, n, first, differs in plan.copies(g.key):
        what = f"briefing {briefing.id}" if briefing is not None else "this transcript"
        if differs:
            report.duplicates.append(
                (
                    path,
                    f"another copy of {what} (page {n}) in this run, which differs: "
                    f"{first} was read, not this one; ingest it on its own to store it",
                    first,
                    briefing.id if briefing is not None else None,
                )
            )
        else:
            report.skipped.append((path, f"the same bytes as {first}, already read in this run"))


def _pair(archive: Archive, briefing_id: str, outcome: str) -> None:
    """Link a stored briefing with its other-language version (a new or changed
    one, or one not paired yet, as in an archive from before pairing)."""
    if outcome != "unchanged" or not archive.has_counterpart(briefing_id):
        archive.link(briefing_id)


def _rejected(
    report: IngestReport,
    archive: Archive,
    path: str,
    reason: str,
    *,
    skip: bool = False,
    at: str | None = None,
) -> None:
    if skip:
        report.skipped.append((path, reason))
        return
    report.rejected.append((path, reason))
    archive.record_reject(path, reason, at)
    report.rejects_recorded += 1


def _stored(report: IngestReport, b: Briefing, outcome: str) -> None:
    setattr(report, outcome, getattr(report, outcome) + 1)
    report.ids.append(b.id)
    if b.missing_pages:
        report.incomplete.append((b.id, b.missing_pages))


def _stopped(exc: ArchiveError, report: IngestReport, done: str, left: int | None) -> ArchiveError:
    """The error that stops an ingest part way, saying what it stored and what it did not."""
    written = report.added + report.updated + report.repaired
    if not written and not report.rejects_recorded:
        return ArchiveError(str(exc), exc.reason)  # nothing was changed
    stored = (
        f"{written} briefing{'s' if written != 1 else ''} stored, each whole ({report.added} added, "
        f"{report.updated} updated{f', {report.repaired} repaired' if report.repaired else ''}), "
        f"{report.unchanged} unchanged"
    )
    if report.rejected:
        stored += f", {len(report.rejected)} rejected"
    if report.skipped or report.duplicates:
        stored += f", {len(report.skipped) + len(report.duplicates)} skipped"
    rest = f"the other {left} not stored" if left is not None else "the rest not stored"
    return ArchiveError(
        f"{exc.reason} (after {done}: {stored}; {rest}: run the same ingest again to finish)", exc.reason
    )


def _ingest_jsonl(path: Path, archive: Archive, report: IngestReport) -> None:
    """A backup written by `export --all`: each briefing saved like a parsed page, with
    its change history; the rejections it lists recorded again."""
    why = not_a_page(path)
    if why:
        report.rejected.append((str(path), why))
        return
    lines = 0
    try:
        for item in read_jsonl(path):
            try:
                if isinstance(item, Rejected):
                    report.pages += 1
                    _rejected(report, archive, item.path, item.reason)
                elif isinstance(item, StoredWatch):
                    item.restore(archive)
                elif isinstance(item, StoredReject):
                    archive.record_reject(item.path, item.reason, item.at)
                    report.rejects_recorded += 1  # written: a stop after it must not say nothing changed
                else:
                    report.pages += 1
                    outcome = archive.save(item.briefing, (), item.history)
                    if not (item.links and archive.restore_links(item.briefing.id, *item.links)):
                        _pair(archive, item.briefing.id, outcome)
                    _stored(report, item.briefing, outcome)
            except ArchiveError as exc:
                raise _stopped(exc, report, f"{lines} lines of {path}", None) from exc
            lines += 1
    except OSError as exc:
        report.rejected.append((str(path), f"cannot read: {exc.strerror or exc}"))


__all__ = ["IngestReport", "Plan", "ingest", "load_group", "parse", "parse_paths", "plan"]
