"""Stay current: crawl each source from its last whole update to today, ingest what came,
and say what changed and what the watches found.

The day each source was last updated to is kept in the archive (`updates`),
and only a run that had every page it went for moves it on, so a page that
failed is asked for again next time. Transcripts listed in the RECHECK_DAYS
before that day are asked for again with conditional requests (an unchanged
page costs a 304 or its bytes, and is not written): that is how a transcript
the site corrects is seen (once a day: a second update on the same day asks
only for what is missing). Crawling, fetching and ingesting are the same
functions `briefings crawl` and `briefings ingest` call, called from one place
(`_crawl`, `_ingest`). A lock file beside the archive keeps two updates from
overlapping; it is an flock, which the system lets go when its process ends,
however it ends, so a killed update never blocks the next.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .store import Archive

if TYPE_CHECKING:
    from .ingest import IngestReport

DEFAULT_DAYS = 30  # a first update's window, unless --since
RECHECK_DAYS = 7  # corrections seen so far come within days of publication


class Busy(Exception):
    """Another update holds the lock."""


@dataclass
class SourceRun:
    source: str
    since: dt.date
    until: dt.date | None
    recheck_from: dt.date | None  # transcripts listed from this day on were asked for again
    reports: list = field(default_factory=list)  # fetch.FetchReport, one per crawl

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.reports)

    def pages(self):
        return [p for r in self.reports for p in r.pages]

    @property
    def fetched(self) -> int:
        return sum(r.fetched for r in self.reports)

    @property
    def failed(self) -> int:
        """Pages and listings that could not be had."""
        return sum(len(r.failed) + len(r.errors) for r in self.reports)

    def failures(self) -> list[str]:
        """Each page or listing that could not be had, as a line: what, and why."""
        out = []
        for r in self.reports:
            out += [f"failed {p.url}: {p.reason}" for p in r.failed]
            for gap in r.incomplete:
                pages = ", ".join(str(m.page) for m in gap.missing)
                out.append(f"incomplete {gap.url}: page(s) {pages} missing")
            out += [f"failed {line}" for line in r.errors]
        return out

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "since": self.since.isoformat(),
            "until": self.until.isoformat() if self.until else None,
            "recheck_from": self.recheck_from.isoformat() if self.recheck_from else None,
            "ok": self.ok,
            "fetched": self.fetched,
            "failed": self.failures(),
            "crawls": [r.to_dict() for r in self.reports],
        }


@dataclass
class UpdateReport:
    today: dt.date
    sources: list[SourceRun] = field(default_factory=list)
    ingest: IngestReport | None = None  # when there was anything to ingest
    added: list[dict] = field(default_factory=list)  # {"id", "date", "title"}
    updated: list[dict] = field(default_factory=list)  # {"id", "date", "title", "changes"}
    watches: list[dict] = field(default_factory=list)  # {"watch", "new", "changed"}
    hits: list[dict] = field(default_factory=list)  # the watches' hits in what this update brought

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.sources) and not (self.ingest and self.ingest.conflicts)

    def failures(self) -> list[str]:
        out = [line for s in self.sources for line in s.failures()]
        if self.ingest is not None:
            out += [f"rejected {p}: {r}" for p, r in self.ingest.rejected]
            out += [f"conflict {p}: {r}" for p, _i, r, _s in self.ingest.conflicts]
        return out

    def summary(self) -> str:
        """One line: the sources and the day, what was stored, what failed, what the watches found."""
        names = ", ".join(s.source for s in self.sources)
        fetched = sum(s.fetched for s in self.sources)
        failed = sum(s.failed for s in self.sources)
        if not self.added and not self.updated:
            what = "nothing new"
        else:
            what = ", ".join(
                part
                for part in (_some(self.added, "new briefing"), _some(self.updated, "updated", plural=False))
                if part
            )
        line = f"updated {names} to {self.today}: {what}; {fetched} page{'s' if fetched != 1 else ''} fetched"
        line += f", {failed} failed"
        found = [w for w in self.watches if w["new"] or w["changed"]]
        if found:
            line += "; watch " + ", ".join(
                f"{w['watch']}: {w['new']} new, {w['changed']} changed" for w in found
            )
            line += " (briefings watch run)"
        return line

    def to_dict(self) -> dict:
        return {
            "today": self.today.isoformat(),
            "ok": self.ok,
            "sources": [s.to_dict() for s in self.sources],
            "added": self.added,
            "updated": self.updated,
            "failed": self.failures(),
            "watches": self.watches,
            "ingest": self.ingest.to_dict() if self.ingest is not None else None,
        }


def _some(items: list[dict], noun: str, plural: bool = True) -> str:
    if not items:
        return ""
    ids = ", ".join(i["id"] for i in items[:5]) + (f" and {len(items) - 5} more" if len(items) > 5 else "")
    return f"{len(items)} {noun}{'s' if plural and len(items) != 1 else ''} ({ids})"


# -- the lock ----------------------------------------------------------------------------


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".update-lock")


@contextlib.contextmanager
def locked(db_path: Path) -> Iterator[None]:
    """Hold the archive's update lock, or raise Busy at once naming who holds it.

    The file stays when released: removing it would let a third update lock a
    new file while a second still holds the old one."""
    path = lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            who = f" (pid {holder})" if holder.isdigit() else ""
            raise Busy(f"another update of {db_path} is running{who}; this one did nothing") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # lets go of the lock


# -- what was last done --------------------------------------------------------------------


def last_days(archive: Archive) -> dict[str, dt.date]:
    """Per source, the day its last whole update ran to."""
    rows = archive.db.execute("SELECT source, last_day FROM updates").fetchall()
    return {source: dt.date.fromisoformat(day) for source, day in rows}


def _remember(archive: Archive, source: str, day: dt.date) -> None:
    with archive.transaction() as conn:
        conn.execute(
            "INSERT INTO updates (source, last_day, at) VALUES (?, ?, ?) "
            "ON CONFLICT(source) DO UPDATE SET last_day = excluded.last_day, at = excluded.at",
            (source, day.isoformat(), dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()),
        )


def window(
    last: dt.date | None, today: dt.date, since: dt.date | None, recheck: int
) -> list[tuple[dt.date, bool]]:
    """The crawls a source needs: (from which listing day, whether to ask again for what is stored).

    From the last update less `recheck` days, asking again, once a day: a second
    update on the day of the last one fetches only what is missing. An earlier
    --since (or a first update's window) adds the days before, fetching only what
    is missing."""
    if last is None:
        return [(since or today - dt.timedelta(days=DEFAULT_DAYS), False)]
    if last >= today:
        return [(since or last, False)]
    recheck_from = last - dt.timedelta(days=recheck)
    start = since or recheck_from
    if start < recheck_from:
        return [(start, False), (recheck_from, True)]
    return [(start, True)]


# -- the one place crawl and ingest are called ------------------------------------------------


def _crawl(source: str, since: dt.date, until: dt.date | None, refresh: bool, **options):
    from .crawl import crawl

    return crawl(source, since=since, until=until, refresh=refresh, **options)


def _ingest(paths: list[Path], archive: Archive, entities):
    from .ingest import ingest

    return ingest(paths, archive, entities)


def _files(run: SourceRun, raw_dir: Path) -> list[Path]:
    """The raw files of every transcript page the crawls met, fetched or already stored.

    All of them, not only those fetched now: a transcript fetched by an update
    that stopped before its ingest is stored by this one, and a transcript's
    pages go to ingest together (a page on its own is a partial copy, refused)."""
    from .raw import read_manifest

    folder = raw_dir / run.source
    manifest = None
    out: dict[Path, None] = {}
    for page in run.pages():
        name = page.file
        if name is None and page.outcome == "failed":  # a stored copy still stands for it
            manifest = manifest if manifest is not None else read_manifest(folder)
            name = next(
                (n for n, e in manifest.items() if e.get("url") == page.url and not e.get("error")), None
            )
        if name and (folder / name).is_file():
            out[folder / name] = None
    return list(out)


def update(
    archive: Archive,
    sources: Iterable[str],
    *,
    entities,
    raw_dir: str | Path = "data/raw",
    since: dt.date | None = None,
    today: dt.date | None = None,
    recheck: int = RECHECK_DAYS,
    base_urls: dict[str, str] | None = None,
    rate: float = 1.0,
    timeout: float = 30.0,
    insecure_http: Iterable[str] = (),
    client=None,
) -> UpdateReport:
    """Crawl each source's new listings, ingest what came, note what the watches found.

    `today` given bounds the listings to it (to replay a mirror of a past day);
    otherwise there is no upper bound, as a site's day may be ahead of ours."""
    from . import watch

    raw_dir = Path(raw_dir)
    until = today
    today = today or dt.datetime.now(dt.UTC).date()
    report = UpdateReport(today)
    last = last_days(archive)
    for source in dict.fromkeys(sources):
        crawls = window(last.get(source), today, since, recheck)
        rechecked = [start for start, refresh in crawls if refresh]
        run = SourceRun(source, crawls[0][0], until, rechecked[0] if rechecked else None)
        for i, (start, refresh) in enumerate(crawls):
            end = crawls[i + 1][0] - dt.timedelta(days=1) if i + 1 < len(crawls) else until
            run.reports.append(
                _crawl(
                    source,
                    start,
                    end,
                    refresh,
                    base_url=(base_urls or {}).get(source),
                    raw_dir=raw_dir,
                    rate=rate,
                    timeout=timeout,
                    insecure_http=frozenset(insecure_http),
                    client=client,
                )
            )
        report.sources.append(run)

    files = [f for run in report.sources for f in _files(run, raw_dir)]
    if files:
        before = archive.db.execute("SELECT coalesce(max(pk), 0) FROM briefings").fetchone()[0]
        started = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        report.ingest = _ingest(files, archive, entities)
        _what_was_stored(archive, report, before, started)
    for run in report.sources:
        if run.ok:
            _remember(archive, run.source, today)
    brought = {b["id"] for b in report.added + report.updated}
    if brought:
        report.hits = watch.run(archive, entities=entities, advance=False, only=brought)
    for w in watch.watches(archive.db):
        mine = [h for h in report.hits if h["watch"] == w.name]
        changed = sum(1 for h in mine if h["status"] == "changed")
        report.watches.append({"watch": w.name, "new": len(mine) - changed, "changed": changed})
    return report


def _what_was_stored(archive: Archive, report: UpdateReport, before: int, started: str) -> None:
    """Which of the briefings ingest stored are new and which it updated (its report gives
    their ids, not each one's outcome): a new one has a row past the last one there was,
    an updated one keeps its row and was written in this run."""
    ids = list(dict.fromkeys(report.ingest.ids if report.ingest else ()))
    for bid in ids:
        row = archive.db.execute(
            "SELECT pk, date, title, ingested_at, "
            "(SELECT count(*) FROM changes c WHERE c.briefing_pk = b.pk AND c.at >= ?) "
            "FROM briefings b WHERE id = ?",
            (started, bid),
        ).fetchone()
        if row is None:
            continue
        pk, day, title, at, changes = row
        if pk > before:
            report.added.append({"id": bid, "date": day, "title": title})
        elif at >= started and changes:
            report.updated.append({"id": bid, "date": day, "title": title, "changes": changes})
