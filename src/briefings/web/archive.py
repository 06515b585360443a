"""Every call the web interface makes into the archive, in one place.

The pages only read: each worker thread holds one archive opened read-only
(store.Archive's `mode=ro`, immutable on read-only media) with `query_only`
set, so no statement can write whatever reaches SQLite. Results come from the
same functions the command line calls, so a page shows what `briefings
search` prints.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import astuple, dataclass
from pathlib import Path

from .. import export, query, render
from ..models import SOURCES, TURN_KINDS
from ..people import Entities
from ..store import Archive, ArchiveError

__all__ = ["ArchiveError", "QueryError", "Source", "SOURCES", "TURN_KINDS"]

QueryError = query.QueryError
Filters = query.Filters
FACET_SIZE = 8
FACETS_KEPT = 256  # queries whose facets are kept, so paging through hits does not count them again


@dataclass
class Found:
    hits: list[dict]
    total: int | None
    notes: list[str]


class Source:
    """The archive behind the web interface: one read-only connection per thread."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()
        self._facets: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        try:
            self.entities = Entities.load(self.path.parent / "entities.json")
        except ValueError as exc:  # a damaged entities file: named, as the command line names it
            raise ArchiveError(str(exc)) from None
        _ = self.db  # opened now, so a missing or foreign file is reported before serving

    @property
    def db(self):
        archive = getattr(self._local, "archive", None)
        if archive is None:
            archive = Archive(self.path)
            archive.db.execute("PRAGMA query_only = ON")
            self._local.archive = archive
        return archive.db

    # -- search ---------------------------------------------------------------

    def search(self, text: str, filters: Filters, *, raw: bool, sort: str, limit: int, offset: int) -> Found:
        notes: list[str] = []
        rows = query.search(
            self.db,
            text,
            filters,
            limit=limit,
            offset=offset,
            raw=raw,
            sort=sort,
            entities=self.entities,
            notes=notes,
            count=True,
        )
        return Found(list(rows), rows.total, notes)

    def search_json(
        self, text: str, filters: Filters, *, raw: bool, sort: str, limit: int, offset: int
    ) -> str:
        """What `briefings search --json` prints, built by the same code."""
        rows = self.search(text, filters, raw=raw, sort=sort, limit=limit, offset=offset).hits
        return render.dumps(render.search_records(rows))

    def who(self, text: str, filters: Filters, *, raw: bool, limit: int | None = None) -> list[dict]:
        return list(query.who(self.db, text, filters, raw=raw, limit=limit, entities=self.entities))

    def timeline(self, text: str, filters: Filters, *, raw: bool, by: str = "year") -> list[dict]:
        return query.timeline(self.db, text, filters, by=by, raw=raw, entities=self.entities)

    def _stamp(self) -> tuple:
        """Changes whenever the archive does (an ingest writes the file or its WAL)."""
        out: tuple = ()
        for path in (self.path, Path(f"{self.path}-wal")):
            try:
                st = path.stat()
                out += (st.st_mtime_ns, st.st_size)
            except OSError:
                out += (None,)
        return out

    def facets(self, text: str, filters: Filters, *, raw: bool) -> dict[str, list[tuple[str, int]]]:
        """Counts of the matching turns by speaker, asking outlet, kind and year; kept for
        the same query until the archive changes."""
        key = (text, astuple(filters), raw, self._stamp())
        with self._lock:
            if key in self._facets:
                self._facets.move_to_end(key)
                return self._facets[key]
        out = self._count_facets(text, filters, raw=raw)
        with self._lock:
            self._facets[key] = out
            while len(self._facets) > FACETS_KEPT:
                self._facets.popitem(last=False)
        return out

    def _count_facets(self, text: str, filters: Filters, *, raw: bool) -> dict[str, list[tuple[str, int]]]:
        out: dict[str, list[tuple[str, int]]] = {}
        out["speaker"] = [(r["name"], r["turns"]) for r in self.who(text, filters, raw=raw, limit=FACET_SIZE)]
        if filters.kind in (None, "question"):
            asked = Filters(**{**vars(filters), "kind": "question"})
            out["outlet"] = [
                (r["name"], r["turns"]) for r in self.who(text, asked, raw=raw, limit=FACET_SIZE)
            ]
        kinds = []
        for kind in TURN_KINDS if filters.kind is None else (filters.kind,):
            if kind == "moderator" and not filters.all_kinds and filters.kind is None:
                continue
            one = Filters(**{**vars(filters), "kind": kind})
            n = query.count_matches(self.db, text, one, raw=raw, entities=self.entities)
            if n:
                kinds.append((kind, n))
        out["kind"] = sorted(kinds, key=lambda kv: -kv[1])
        years = self.timeline(text, filters, raw=raw)
        out["year"] = [(r["period"], r["matches"]) for r in reversed(years) if r["matches"]]
        return out

    def originals(self, hits: list[dict]) -> list[dict | None]:
        return query.originals(self.db, hits)

    # -- briefings ------------------------------------------------------------

    def recent(self, limit: int = 20) -> list[dict]:
        return list(query.list_briefings(self.db, Filters(), limit=limit, entities=self.entities))

    def briefing(self, briefing_id: str, *, originals: bool = False) -> dict | None:
        """A briefing in the export shape with its bilingual fields; with `originals`,
        each turn's linked turns of the other version (as `show --original`)."""
        b = query.get_briefing(self.db, briefing_id)
        if b is None:
            return None
        query.add_counterparts(self.db, b)
        if originals:
            query.with_originals(self.db, b)
        return b

    def similar(self, briefing_id: str) -> list[str]:
        return query.similar_ids(self.db, briefing_id)

    def export(self, briefing_id: str, fmt: str) -> str | None:
        b = self.briefing(briefing_id)
        if b is None:
            return None
        return export.to_markdown(b) if fmt == "md" else export.to_json(b)

    def quality(self):
        from .. import quality

        return quality.from_archive(self.db, self.entities)


def user_date(value: str, *, end: bool) -> str:
    """A since/until value as the command line reads it; ValueError when it is not a date."""
    from ..dates import parse_user_date

    return parse_user_date(value, end=end)


def check_raw(text: str) -> None:
    query.check_raw(text)


def no_title() -> str:
    return render.NO_TITLE


def marks() -> tuple[str, str]:
    return query.MARK_START, query.MARK_END
