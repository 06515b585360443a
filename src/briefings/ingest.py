"""Raw pages in, briefings stored: the parse -> store step, one transcript at a time.

Pages are first only peeked at (a few kilobytes each) to group the pages of
each transcript; full bodies are read one transcript at a time, so memory does
not grow with the size of the raw store. A transcript that cannot be parsed is
recorded with its reason and the run goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable

from .jsonl import StoredReject, is_jsonl, read as read_jsonl
from .models import Rejected
from .people import Entities
from .raw import MANIFEST, failed_pages, iter_page_files, load_page, read_manifest
from .sources import Group, family_of, group, parse_group, transcript_key
from .store import Archive

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
    incomplete: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)

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
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
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
            "incomplete": [{"id": i, "missing_pages": list(m)} for i, m in self.incomplete],
            "ids": self.ids,
        }


def plan(paths: Iterable[str | Path], source: str | None = None) -> tuple[list[Group], list[tuple[str, str]]]:
    """Group the page files under paths into transcripts, reading only their heads."""
    manifests: dict = {}
    refs = []
    unreadable = []
    for path in iter_page_files(paths):
        try:
            peek = load_page(path, manifests, limit=PEEK)
        except OSError as exc:
            unreadable.append((str(path), f"cannot read: {exc.strerror or exc}"))
            continue
        # Keep what grouping needs, not the bytes: memory must not grow with the raw store.
        refs.append(replace(peek, body=b"", source=family_of(peek, source)))
    groups = group(refs, source)
    for folder in manifests:
        torn: list[int] = []
        read_manifest(folder, torn)
        if torn:
            unreadable.append((str(folder / MANIFEST), f"line(s) {', '.join(map(str, torn))} unreadable "
                               "(an interrupted fetch?); their pages are read without their URLs"))
    failed: dict[str, set[int]] = {}
    for manifest in manifests.values():
        for (family, transcript), numbers in failed_pages(manifest).items():
            failed.setdefault(transcript_key(source or family or "text", transcript), set()).update(numbers)
    if failed:
        groups = [replace(g, missing=tuple(sorted(failed[g.key] - {n for n, _ in g.pages})))
                  if g.key in failed else g for g in groups]
    return groups, unreadable


def load_group(g: Group, manifests: dict | None = None) -> Group:
    """The same group with full page bodies."""
    manifests = {} if manifests is None else manifests
    return replace(g, pages=tuple((n, load_page(Path(p.path), manifests)) for n, p in g.pages))


def parse_paths(paths: Iterable[str | Path], entities: Entities, source: str | None = None):
    """Yield (group, Briefing or Rejected) for every transcript under paths, storing nothing."""
    groups, unreadable = plan(paths, source)
    for path, reason in unreadable:
        yield None, Rejected(reason, path)
    manifests: dict = {}
    for g in groups:
        try:
            yield g, parse_group(load_group(g, manifests), entities)
        except Rejected as exc:
            yield g, exc


def ingest(
    paths: Iterable[str | Path],
    archive: Archive,
    entities: Entities,
    *,
    source: str | None = None,
    on_group: Callable[[Group], None] | None = None,
    groups: list[Group] | None = None,
) -> IngestReport:
    report = IngestReport()
    paths = list(paths)  # read twice: pages, then .jsonl exports
    if groups is None:
        groups, unreadable = plan(paths, source)
        for path, reason in unreadable:
            report.rejected.append((path, reason))
    manifests: dict = {}
    stored_from: dict[str, str] = {}  # briefing id -> the page it came from in this run
    for g in groups:
        page_paths = tuple(p.path for _, p in g.pages)
        report.pages += len(page_paths)
        try:
            briefing = parse_group(load_group(g, manifests), entities)
            if briefing.id in stored_from:
                # Two copies of one transcript, or two transcripts the sites number alike:
                # never let the second silently replace the first.
                raise Rejected(f"same briefing id {briefing.id} as {stored_from[briefing.id]}; "
                               "kept that one", page_paths[0])
            stored_from[briefing.id] = page_paths[0]
            outcome = archive.save(briefing, page_paths)
        except Rejected as exc:
            reason = exc.reason
            path = exc.path or page_paths[0]
            if exc.skip:
                report.skipped.append((path, reason))
            else:
                report.rejected.append((path, reason))
                archive.record_reject(path, reason)
        except OSError as exc:
            report.rejected.append((page_paths[0], f"cannot read: {exc.strerror or exc}"))
        except (RecursionError, MemoryError, ValueError, LookupError, TypeError, AttributeError) as exc:
            # A page shaped like nothing the parsers expect: report it, keep going.
            reason = f"cannot parse: {type(exc).__name__}: {exc}"[:300]
            report.rejected.append((page_paths[0], reason))
            archive.record_reject(page_paths[0], reason)
        else:
            setattr(report, outcome, getattr(report, outcome) + 1)
            report.ids.append(briefing.id)
            if briefing.missing_pages:
                report.incomplete.append((briefing.id, briefing.missing_pages))
        if on_group is not None:
            on_group(g)
    for path in (Path(p) for p in paths):
        if is_jsonl(path) and not path.is_dir():
            _ingest_jsonl(path, archive, report)
    return report


def _ingest_jsonl(path: Path, archive: Archive, report: IngestReport) -> None:
    """A backup written by `export --all`: each briefing saved like a parsed page, with
    its change history; the rejections it lists recorded again."""
    try:
        for item in read_jsonl(path):
            if isinstance(item, StoredReject):
                archive.record_reject(item.path, item.reason, item.at)
                continue
            report.pages += 1
            if isinstance(item, Rejected):
                report.rejected.append((item.path, item.reason))
                archive.record_reject(item.path, item.reason)
                continue
            b = item.briefing
            outcome = archive.save(b, (), item.history)
            setattr(report, outcome, getattr(report, outcome) + 1)
            report.ids.append(b.id)
            if b.missing_pages:
                report.incomplete.append((b.id, b.missing_pages))
    except OSError as exc:
        report.rejected.append((str(path), f"cannot read: {exc.strerror or exc}"))
