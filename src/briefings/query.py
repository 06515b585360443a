"""Reading the archive: search, listings, speakers, one briefing. SQL lives here.

Every query is parameterised. User text never reaches FTS5 as syntax unless
the user asks for it (`raw=True`): by default each word and each "quoted
phrase" becomes an FTS5 string, so `U.S.`, `COVID-19` or a stray quote are
just words to find.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import sqlite_utils

# bm25() scores the single indexed column, turn text; FTS5 returns lower
# (more negative) scores for better matches, so ranking is ascending.
RANK = "bm25(turns_fts)"
MARK_START, MARK_END = "\x02", "\x03"
SNIPPET_TOKENS = 24


class QueryError(ValueError):
    """A query or filter the user must change; the message says how."""


_TOKEN = re.compile(r'"([^"]*)"|(\S+)')


def fts_query(text: str, raw: bool = False) -> str:
    """The FTS5 MATCH expression for what the user typed."""
    if raw:
        if not text.strip():
            raise QueryError("empty query: give at least one word to search for")
        return text
    terms = []
    if text.count('"') % 2:
        text = text.replace('"', " ")  # a stray quote is punctuation, not syntax
    for phrase, word in _TOKEN.findall(text):
        term = phrase if phrase else word
        if not re.search(r"\w", term):
            continue
        terms.append('"' + term.replace('"', '""') + '"')
    if not terms:
        raise QueryError("empty query: give at least one word to search for")
    return " ".join(terms)


@dataclass
class Filters:
    speaker: str | None = None
    since: str | None = None
    until: str | None = None
    source: str | None = None
    kind: str | None = None
    outlet: str | None = None
    all_kinds: bool = False


def _where(db: sqlite_utils.Database, f: Filters, params: dict, entities=None) -> list[str]:
    clauses = []
    if f.speaker:
        names = speaker_names(db, f.speaker, entities)
        keys = [f"speaker{i}" for i in range(len(names))] or ["speaker_none"]
        params.update({k: n for k, n in zip(keys, names)} or {"speaker_none": None})
        clauses.append(f"t.speaker IN ({', '.join(':' + k for k in keys)})")
    if f.outlet:
        canonical = entities.outlet(f.outlet) if entities else None
        params["outlet"] = canonical or f.outlet
        clauses.append(
            "(t.outlet = :outlet COLLATE NOCASE OR EXISTS (SELECT 1 FROM json_each(t.also_asked) "
            "WHERE json_each.value = :outlet COLLATE NOCASE))"
        )
    if f.since:
        params["since"] = f.since
        clauses.append("b.date >= :since")
    if f.until:
        params["until"] = f.until
        clauses.append("b.date <= :until")
    if f.source:
        params["source"] = f.source
        clauses.append("b.source = :source")
    if f.kind:
        params["kind"] = f.kind
        clauses.append("t.kind = :kind")
    elif not f.all_kinds:
        clauses.append("t.kind != 'moderator'")
    return clauses


def speaker_names(db: sqlite_utils.Database, value: str, entities=None) -> list[str]:
    """Speakers a --speaker value means: the canonical name, else every name containing it."""
    wanted = value.strip()
    if entities is not None:
        person = entities.person(wanted)
        wanted = person.name if person else (entities.outlet(wanted) or wanted)
    rows = db.execute(
        "SELECT DISTINCT speaker FROM turns WHERE speaker = ? COLLATE NOCASE", (wanted,)
    ).fetchall()
    if not rows:
        rows = db.execute(
            "SELECT DISTINCT speaker FROM turns WHERE speaker LIKE ? ESCAPE '\\' ORDER BY speaker",
            ("%" + re.sub(r"([%_\\])", r"\\\1", wanted) + "%",),
        ).fetchall()
    return [r[0] for r in rows]


def search(db: sqlite_utils.Database, query: str, filters: Filters, *, limit: int = 20,
           raw: bool = False, sort: str = "rank", entities=None) -> list[dict]:
    params: dict = {"q": fts_query(query, raw), "limit": limit}
    clauses = ["turns_fts MATCH :q", *_where(db, filters, params, entities)]
    order = f"{RANK}, b.date DESC" if sort == "rank" else "b.date DESC, t.briefing_pk DESC, t.seq"
    sql = f"""
        SELECT b.id AS briefing_id, b.date, b.title, b.source, b.url, t.seq, t.label, t.speaker,
               t.role, t.kind, t.outlet, t.answers, t.text,
               snippet(turns_fts, 0, '{MARK_START}', '{MARK_END}', '…', {SNIPPET_TOKENS}) AS snippet,
               {RANK} AS score
        FROM turns_fts
        JOIN turns t ON t.pk = turns_fts.rowid
        JOIN briefings b ON b.pk = t.briefing_pk
        WHERE {' AND '.join(clauses)}
        ORDER BY {order}
        LIMIT :limit
    """
    try:
        cursor = db.execute(sql, params)
    except Exception as exc:  # sqlite3.OperationalError: FTS5 syntax
        if "fts5" in str(exc) or "syntax error" in str(exc) or "no such column" in str(exc):
            raise QueryError(
                f"cannot understand the query {query!r} ({exc}); drop --raw to search the words as typed, "
                "or see https://www.sqlite.org/fts5.html#full_text_query_syntax"
            ) from exc
        raise
    cols = [c[0] for c in cursor.description]
    return [dict(zip(cols, row)) for row in cursor.fetchall()]


def list_briefings(db: sqlite_utils.Database, filters: Filters, *, limit: int | None = None,
                   entities=None) -> list[dict]:
    params: dict = {}
    clauses = []
    if filters.speaker:
        names = speaker_names(db, filters.speaker, entities) or [None]
        keys = [f"s{i}" for i in range(len(names))]
        params.update(dict(zip(keys, names)))
        inlist = ", ".join(":" + k for k in keys)
        clauses.append(
            f"(EXISTS (SELECT 1 FROM turns t WHERE t.briefing_pk = b.pk AND t.speaker IN ({inlist}))"
            f" OR EXISTS (SELECT 1 FROM participants p WHERE p.briefing_pk = b.pk AND p.name IN ({inlist})))"
        )
    for key, clause in (("since", "b.date >= :since"), ("until", "b.date <= :until"), ("source", "b.source = :source")):
        value = getattr(filters, key)
        if value:
            params[key] = value
            clauses.append(clause)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    lim = "LIMIT :limit" if limit else ""
    if limit:
        params["limit"] = limit
    cursor = db.execute(
        f"""SELECT b.id, b.date, b.title, b.source, b.url, b.turn_count AS turns, b.published,
                   b.language, json(b.missing_pages) AS missing_pages
            FROM briefings b {where}
            ORDER BY b.date DESC, b.id DESC {lim}""",
        params,
    )
    cols = [c[0] for c in cursor.description]
    out = []
    for row in cursor.fetchall():
        d = dict(zip(cols, row))
        d["missing_pages"] = json.loads(d["missing_pages"] or "[]")
        d["incomplete"] = bool(d["missing_pages"])
        out.append(d)
    return out


def speakers(db: sqlite_utils.Database, *, limit: int | None = None) -> list[dict]:
    """People and outlets with their roles, turn counts and first/last dates."""
    sql = """
        SELECT t.speaker AS name,
               CASE WHEN MAX(t.kind = 'question') = 1 AND MAX(t.kind != 'question') = 0
                    THEN (CASE WHEN MAX(t.outlet IS NOT NULL) = 1 THEN 'outlet' ELSE 'journalist' END)
                    ELSE 'person' END AS kind,
               COUNT(*) AS turns,
               COUNT(DISTINCT t.briefing_pk) AS briefings,
               MIN(b.date) AS first,
               MAX(b.date) AS last,
               json_group_array(DISTINCT t.role) FILTER (WHERE t.role IS NOT NULL) AS roles
        FROM turns t JOIN briefings b ON b.pk = t.briefing_pk
        WHERE t.speaker IS NOT NULL
        GROUP BY t.speaker
        ORDER BY turns DESC, name
    """
    if limit:
        sql += f" LIMIT {int(limit)}"
    cursor = db.execute(sql)
    cols = [c[0] for c in cursor.description]
    out = []
    for row in cursor.fetchall():
        d = dict(zip(cols, row))
        d["roles"] = json.loads(d["roles"] or "[]")
        out.append(d)
    return out


def get_briefing(db: sqlite_utils.Database, briefing_id: str) -> dict | None:
    """One briefing in the export shape of docs/interface.md."""
    row = db.execute(
        "SELECT pk, id, source, url, title, date, published, language, pages, missing_pages "
        "FROM briefings WHERE id = ?", (briefing_id,)
    ).fetchone()
    if row is None:
        return None
    pk, bid, source, url, title, date, published, language, pages, missing = row
    participants = [
        {"name": n, "role": r, "kind": k}
        for n, r, k in db.execute(
            "SELECT name, role, kind FROM participants WHERE briefing_pk = ? ORDER BY position", (pk,)
        ).fetchall()
    ]
    turns = [
        {"seq": s, "label": lb, "speaker": sp, "role": ro, "kind": k, "outlet": o, "answers": a,
         "also_asked": json.loads(aa or "[]"), "page": pg, "text": tx}
        for s, lb, sp, ro, k, o, a, aa, pg, tx in db.execute(
            "SELECT seq, label, speaker, role, kind, outlet, answers, also_asked, page, text "
            "FROM turns WHERE briefing_pk = ? ORDER BY seq", (pk,)
        ).fetchall()
    ]
    missing_pages = json.loads(missing or "[]")
    return {
        "id": bid, "source": source, "url": url, "title": title, "date": date, "published": published,
        "language": language, "incomplete": bool(missing_pages), "missing_pages": missing_pages,
        "pages": json.loads(pages or "[]"), "participants": participants, "turns": turns,
    }


def similar_ids(db: sqlite_utils.Database, briefing_id: str, limit: int = 3) -> list[str]:
    """Ids that start like the one asked for: the next step after a typo."""
    rows = db.execute(
        "SELECT id FROM briefings WHERE id LIKE ? ORDER BY id LIMIT ?",
        (briefing_id.split("-")[0] + "-%" + briefing_id[-3:] + "%" if "-" in briefing_id else f"%{briefing_id}%", limit),
    ).fetchall()
    return [r[0] for r in rows]


def all_briefing_ids(db: sqlite_utils.Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT id FROM briefings ORDER BY date, id").fetchall()]


def rejects(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    """Pages the last ingest of them could not parse, with the reason."""
    return [(p, r) for p, r in db.execute("SELECT path, reason FROM rejects ORDER BY path").fetchall()]
