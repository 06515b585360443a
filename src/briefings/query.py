"""Reading the archive: search, listings, speakers, one briefing. SQL lives here.

Every query is parameterised. User text never reaches FTS5 as syntax unless
the user asks for it (`raw=True`): by default each word and each "quoted
phrase" becomes an FTS5 string, so `U.S.`, `COVID-19` or a stray quote are
just words to find. Words are matched stemmed, in turns_fts; a quoted phrase
must also be in turns_exact, the unstemmed index, so it matches exactly its
words in order. Han characters are searched in turns_han, the Chinese index
(see store.HAN_INDEX): each run of them, folded as the index folds it, is
found wherever a turn's text holds it, quoted or not; the rest of the query
is searched as above.

No plan rests on statistics: briefings never runs ANALYZE, and SQLite without
them can pick an index that turns a query of milliseconds into minutes at a
million turns. Where the order of a join decides that, the SQL says it (CROSS
JOIN, a unary + on a column whose index must not be used), and
tests/test_search.py checks the plans.
"""

from __future__ import annotations

import json
import os
import re
import threading
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from .models import SOURCES, TURN_KINDS
from .people import name_key, strip_title
from .sqlite import sqlite3
from .store import EXACT_TOKENIZE, FTS_TOKENIZE, HAN_INDEX, damaged_briefing
from .text import HAN_RUN, fold_han, han_marks, has_han

if TYPE_CHECKING:
    import sqlite_utils

# Ranking: Okapi BM25 as FTS5 computes it, over the one indexed column (turn
# text), with FTS5's fixed k1 = 1.2 (repeats of a word add less and less) and
# b = 0.75 (a long turn is discounted against a short one, so a one-line
# answer that names the topic beats a long statement that mentions it once).
# RANK_WEIGHTS names the column weights bm25() is given; with one column the
# weight only scales every score alike, and it is written out so a second
# indexed column (say, speaker) would have to say how much it counts.
# FTS5 returns lower (more negative) scores for better matches, so ranking is
# ascending; ties go to the newer briefing, then reading order. A query made
# only of "quoted phrases" is ranked by bm25 over the exact index, which
# counts just the exact occurrences; any other over the stemmed one.
RANK_WEIGHTS = {"text": 1.0}
# The Chinese index has two columns, and a query's term reads one of them
# (one character: uni; more: bi), so the weights only scale every score alike.
HAN_WEIGHTS = {"uni": 1.0, "bi": 1.0}
HAN_SNIPPET = 80  # characters of a Chinese turn a snippet shows
STEMMED, EXACT = "turns_fts", "turns_exact"
MARK_START, MARK_END = "\x02", "\x03"
SNIPPET_TOKENS = 24
# Ranked search first takes this many best-scoring turns from the index
# before joining and filtering (see _ranked): joining every match of a common
# word costs as much as scoring it. A filter of the user's (a speaker, dates,
# a source, a kind, an outlet) can leave few of them, so it takes
# FILTERED_WIDENING times as many: taking more of the best costs little beside
# scoring them all, and far less than joining every match. An exact phrase
# does not widen it: a turn that holds the phrase stemmed nearly always holds
# it exactly, and each check is an index lookup.
RANK_WINDOW = 200
FILTERED_WIDENING = 10
# Scoring every match is one statement in one thread, and on a large archive
# nearly all of a search's time. So on an archive of at least
# PARALLEL_MIN_TURNS turns it is split into one range of turns per core (at
# most PARALLEL_PARTS), each ranked in its own read-only connection and thread
# (SQLite runs without Python's lock), and the best of all ranges kept: the
# same rows and the same scores, since bm25() takes its statistics from the
# whole index whatever range it scores. Below that size a second connection
# costs more than it saves. See _best.
PARALLEL_MIN_TURNS = 200_000
PARALLEL_PARTS = 4
# FTS5 reads a query of n words in time that grows with n squared, whatever
# the archive holds (half a second at 10,000, eight at 40,000). Words given
# more than once count once (see terms); a passage of 10,000 words of prose
# has some 2,500 different ones, and no turn in the archive as many as 2,000.
MAX_QUERY_TERMS = 5_000
# A raw FTS5 query cannot be cut down to its distinct words as a query of words
# is (see terms): an OR of n words costs FTS5 about n times their occurrences
# in every turn that matches any of them, which grows with the square of n.
# Raw syntax is for short expressions; this is far above any written by hand.
MAX_RAW_WORDS = 100
_RAW_WORD = re.compile(r"\w+")
# A snippet highlights at most this many of a query's words and phrases (the
# first ones): FTS5 builds it in time that grows with the square of the
# phrases it marks, and a turn that matches a pasted passage does not need
# every word of it marked to be read.
SNIPPET_TERMS = 32
NOT_THE_CHAIR = "t.kind != 'moderator'"  # the filter every query has unless --all-kinds or --kind
TIMELINE_PERIODS = {"year": 4, "month": 7}


def rank(index: str = STEMMED) -> str:
    weights = HAN_WEIGHTS if index == HAN_INDEX else RANK_WEIGHTS
    return f"bm25({index}, {', '.join(str(w) for w in weights.values())})"


class QueryError(ValueError):
    """A query or filter the user must change; the message says how."""


FILTER_KEYS = ("speaker", "outlet", "kind", "source", "since", "until")
# key: at the start of a word; other colons are text.
_FILTER = re.compile(r"(" + "|".join(FILTER_KEYS) + r"):", re.IGNORECASE)
_WORD = re.compile(r'[^\s"]+')
_VALUE = re.compile(r'[^\s"]*')
_NOT_SPACE = re.compile(r"\S*")
# Double quotes as typed or pasted (curly, low, full-width) open and close phrases like ".
_QUOTES = str.maketrans({q: '"' for q in "\u201c\u201d\u201e\u201f\u301d\u301e\uff02"})


@dataclass(frozen=True)
class Term:
    text: str
    phrase: bool  # typed in quotes: matched exactly, in order


def _scan(text: str, filters: bool):
    """What the user typed, in order, each item with where it starts and ends:
    Terms, and (key, value) filters when `filters`.

    Quotes pair up left to right into phrases. With an odd number, one is left
    unmatched and is punctuation: the last that stands alone between spaces,
    else the last. Nothing inside a phrase is a filter.
    """
    quotes = [i for i, c in enumerate(text) if c == '"']
    if len(quotes) % 2:
        alone = [i for i in quotes if not text[i - 1 : i].strip() and not text[i + 1 : i + 2].strip()]
        quotes.remove((alone or quotes)[-1])
    closing = {a: b for a, b in zip(quotes[::2], quotes[1::2])}
    i, n = 0, len(text)
    while i < n:
        start = i
        if text[i].isspace():
            i += 1
        elif text[i] == '"':
            if i not in closing:
                i += 1  # the unmatched quote
            else:
                i = closing[start] + 1
                yield start, i, Term(text[start + 1 : i - 1], True)
        elif filters and (m := _FILTER.match(text, i)):
            key, i = m.group(1).lower(), m.end()
            if text.startswith('"', i):
                if i not in closing:
                    value = _NOT_SPACE.match(text, i).group()
                    raise QueryError(f'{key}:{value} has no closing quote; write {key}:{value}"')
                value, i = text[i + 1 : closing[i]], closing[i] + 1
            else:
                value = _VALUE.match(text, i).group()
                i += len(value)
            yield start, i, (key, value.strip())
        else:
            i = _WORD.match(text, i).end()
            yield start, i, Term(text[start:i], False)


def terms(text: str) -> list[Term]:
    """The words and phrases of a query that holds no filters (see parse_query), each once,
    its Han characters taken out (see han_terms).

    A word given again, in any spelling the index reads as the same tokens
    (Taiwan and TAIWAN, or tariff and tariffs, stemmed alike), adds nothing to what must match,
    but FTS5 would track it as one more phrase in every matching turn: its
    work on a turn grows with the number of phrases times their occurrences,
    so a pasted passage of 4,000 words, most of them repeats, took a minute.
    Kept once each, a query has no more phrases than a turn it matches has
    distinct words, and its cost grows with its length only linearly.
    """
    found = []
    for _, _, t in _scan(text.translate(_QUOTES), filters=False):
        rest = HAN_RUN.sub(" ", unicodedata.normalize("NFKC", t.text)) if has_han(t.text) else t.text
        if re.search(r"\w", rest):
            found.append(Term(" ".join(rest.split()) if rest is not t.text else rest, t.phrase))
    words = [t for t in found if not t.phrase]
    phrases = [t for t in found if t.phrase]
    keys = dict(zip(map(id, words), _tokens([t.text for t in words], FTS_TOKENIZE)))
    keys.update(zip(map(id, phrases), _tokens([t.text for t in phrases], EXACT_TOKENIZE)))
    seen: set = set()
    out = []
    for t in found:
        key = (t.phrase, keys[id(t)])
        if key not in seen:
            seen.add(key)
            out.append(t)
    if len(out) > MAX_QUERY_TERMS:
        raise QueryError(
            f"a query may hold at most {MAX_QUERY_TERMS:,} different words and phrases, and this one "
            f"has {len(out):,}; search for a shorter part of the text"
        )
    return out


def _tokens(texts: list[str], tokenize: str) -> list[tuple[str, ...]]:
    """Each text as the tokens an index with this tokenizer makes of it: SQLite's own
    tokenizer, so that two spellings are taken for one only when FTS5 would."""
    if not texts:
        return []
    conn = _tokenizer(tokenize)
    try:
        conn.executemany("INSERT INTO words (rowid, text) VALUES (?, ?)", enumerate(texts))
        tokens: list[list[str]] = [[] for _ in texts]
        for doc, term in conn.execute("SELECT doc, term FROM words_instance ORDER BY doc, offset"):
            tokens[doc].append(term)
    finally:
        conn.rollback()
    return [tuple(t) for t in tokens]


_TOKENIZERS = threading.local()


def _tokenizer(tokenize: str) -> sqlite3.Connection:
    """An empty FTS5 table with this tokenizer, one per thread (a new one costs more than a short search)."""
    made = _TOKENIZERS.__dict__.setdefault("made", {})
    if tokenize not in made:
        conn = sqlite3.connect(":memory:")
        conn.execute(f"CREATE VIRTUAL TABLE words USING fts5(text, tokenize='{tokenize}')")
        conn.execute("CREATE VIRTUAL TABLE words_instance USING fts5vocab(words, 'instance')")
        conn.commit()
        made[tokenize] = conn
    return made[tokenize]


def han_terms(text: str) -> list[str]:
    """The runs of Han characters in a query that holds no filters, folded as the
    Chinese index folds them (full-width forms, traditional characters)."""
    folded = fold_han(unicodedata.normalize("NFKC", text))
    return list(dict.fromkeys(HAN_RUN.findall(folded)))


def han_query(runs: list[str]) -> str | None:
    """The MATCH expression for turns_han: a character in `uni`, a longer run as
    the phrase of its overlapping pairs in `bi`; every run must be there."""
    parts = [
        f'uni:"{r}"' if len(r) == 1 else 'bi:"' + " ".join(r[i : i + 2] for i in range(len(r) - 1)) + '"'
        for r in runs
    ]
    return " ".join(parts) or None


def _fts_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def fts_query(text: str, raw: bool = False) -> str:
    """The MATCH expression for the stemmed index (turns_fts) for what the user typed."""
    if raw:
        if not text.strip():
            raise QueryError("empty query: give at least one word to search for")
        words = len(_RAW_WORD.findall(text))
        if words > MAX_RAW_WORDS:
            raise QueryError(
                f"a --raw query may hold at most {MAX_RAW_WORDS} words, and this one has {words:,}; "
                "drop --raw to search for every word of a longer text"
            )
        return text
    found = terms(text)
    if not found and han_terms(text):
        return ""  # Han characters alone: searched in the Chinese index only
    return _joined(found)


def _joined(found: list[Term]) -> str:
    if not found:
        raise QueryError("empty query: give at least one word to search for")
    return " ".join(_fts_string(t.text) for t in found)


def exact_query(text: str, raw: bool = False) -> str | None:
    """The MATCH expression for the exact index (turns_exact): the quoted phrases, all
    of them; None when there are none, or with raw FTS5 syntax (matched stemmed)."""
    if raw:
        return None
    return _exact(terms(text))


def _exact(found: list[Term]) -> str | None:
    return " ".join(_fts_string(t.text) for t in found if t.phrase) or None


@lru_cache(maxsize=1)
def _probe() -> sqlite3.Connection:
    """An empty FTS5 table with the archive's column and tokenizer, to try raw queries on."""
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.execute(f"CREATE VIRTUAL TABLE {STEMMED} USING fts5(text, tokenize='{FTS_TOKENIZE}')")
    return conn


def check_raw(text: str) -> None:
    """A raw query FTS5 cannot parse is the user's to change: a QueryError, whatever
    FTS5 calls it. Tried on an empty table, so that an error from the archive
    itself is never blamed on the query (nor the other way round)."""
    try:
        _probe().execute(f"SELECT rowid FROM {STEMMED} WHERE {STEMMED} MATCH ?", (text,)).fetchall()
    except sqlite3.Error as exc:
        raise QueryError(
            f"cannot understand the query {text!r} ({exc}); drop --raw to search the words as typed, "
            "or see https://www.sqlite.org/fts5.html#full_text_query_syntax"
        ) from None


@dataclass
class Filters:
    speaker: str | None = None
    since: str | None = None
    until: str | None = None
    source: str | None = None
    kind: str | None = None
    outlet: str | None = None
    all_kinds: bool = False
    lang: str | None = None  # a briefing's language: en or zh


def parse_query(text: str, filters: Filters | None = None) -> tuple[str, Filters]:
    """Split `speaker:"Zhao Lijian" outlet:Reuters trade war` into words and filters.

    Inline filters are the options by another spelling; giving one both ways
    with different values is an error, not a silent choice. The words come
    back as typed with the filters taken out (so --raw syntax survives).
    """
    filters = replace(filters) if filters is not None else Filters()
    text = text.translate(_QUOTES)
    inline: dict[str, str] = {}
    kept, done = [], 0  # the text around the filters, which stays as typed (for --raw)
    for start, end, item in _scan(text, filters=True):
        if isinstance(item, Term):
            continue
        kept += [text[done:start], " "]
        done = end
        key, value = item
        if not value:
            raise QueryError(f"{key}: needs a value, as in {key}:{_EXAMPLE[key]}")
        if key in inline and inline[key] != value:
            raise QueryError(f"{key}: is given twice ({inline[key]!r} and {value!r}); keep one")
        inline[key] = value
    for key, value in inline.items():
        if key == "kind":
            value = value.lower()
            if value not in TURN_KINDS:
                raise QueryError(f"kind:{value} is not a kind of turn; use one of {', '.join(TURN_KINDS)}")
        elif key == "source":
            value = value.lower()
            if value not in SOURCES:
                raise QueryError(f"source:{value} is not a source; use one of {', '.join(SOURCES)}")
        elif key in ("since", "until"):
            from .dates import parse_user_date

            try:
                value = parse_user_date(value, end=key == "until")
            except ValueError as exc:
                raise QueryError(f"{key}: {exc}") from None
        current = getattr(filters, key)
        if current is not None and current != value:
            raise QueryError(
                f"{key} is given both as an option ({current!r}) and in the query ({value!r}); keep one"
            )
        setattr(filters, key, value)
    if filters.since and filters.until and filters.since > filters.until:
        raise QueryError(f"since {filters.since} is after until {filters.until}; nothing can match")
    return " ".join("".join(kept + [text[done:]]).split()), filters


_EXAMPLE = {
    "speaker": '"Zhao Lijian"',
    "outlet": "Reuters",
    "kind": "question",
    "source": "mfa",
    "since": "2019",
    "until": "2020-03",
}


def _where(db: sqlite_utils.Database, f: Filters, params: dict, entities=None, notes=None) -> list[str]:
    clauses = []
    if f.speaker:
        names = speaker_names(db, f.speaker, entities, notes)
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
    if f.lang:
        params["lang"] = f.lang
        clauses.append("b.language = :lang")
    if f.kind:
        params["kind"] = f.kind
        clauses.append("t.kind = :kind")
    elif not f.all_kinds:
        clauses.append(NOT_THE_CHAIR)
    return clauses


def speaker_names(
    db: sqlite_utils.Database, value: str, entities=None, notes: list[str] | None = None
) -> list[str]:
    """The speakers a --speaker value means.

    In this order: the person or outlet the entities file knows by that
    spelling (titles, case, spaces and dots aside); a name in the archive, a
    speaker's or a roster participant's, spelt the same; else every name in
    the archive, or known spelling of one, that holds the value's words as
    whole words, so "Hua" is Hua Chunying, not Xinhua News Agency nor Geng
    Shuang. When that fits several people all are used, and `notes` says so;
    it also says when nothing fits.
    """
    wanted = value.strip()
    if entities is not None:
        person = entities.person(wanted)
        known = person.name if person else entities.outlet(wanted)
        if known:
            return [known]
    # The exact name first: turns answer it from the turns_speaker index.
    for sql in (
        "SELECT 1 FROM turns WHERE speaker = ? LIMIT 1",
        "SELECT 1 FROM participants WHERE name = ? LIMIT 1",
    ):
        if db.execute(sql, (wanted,)).fetchone():
            return [wanted]
    names = [
        r[0]
        for r in db.execute(
            "SELECT speaker FROM turns WHERE speaker IS NOT NULL GROUP BY speaker UNION SELECT name FROM participants"
        )
    ]
    key = name_key(wanted)
    found = sorted({n for n in names if name_key(n) == key})
    if not found:
        words = _name_words(wanted)
        spellings = [(n, n) for n in names]
        if entities is not None:
            spellings += [(alias, n) for n in names for alias in entities.aliases(n)]
        found = sorted({n for spelling, n in spellings if words and _holds(_name_words(spelling), words)})
    if notes is not None and len(found) != 1:
        if found:
            shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
            notes.append(
                f"speaker {wanted!r} fits {len(found)} names: {shown}; all are included "
                "(give a full name for one)"
            )
        else:
            notes.append(f"no speaker in the archive is called {wanted!r}; `briefings speakers` lists them")
    return found


def _name_words(name: str) -> list[str]:
    """A name's words, without titles, case or accents."""
    folded = unicodedata.normalize("NFKD", strip_title(name).casefold())
    return re.findall(r"\w+", "".join(c for c in folded if not unicodedata.combining(c)))


def _holds(words: list[str], part: list[str]) -> bool:
    return any(words[i : i + len(part)] == part for i in range(len(words) - len(part) + 1))


@dataclass(frozen=True)
class Match:
    """Where the matching turns come from: an FTS5 index and its MATCH expression
    (:q), and the phrases (:exact) the exact index must also hold, if any."""

    index: str  # STEMMED, EXACT or HAN_INDEX
    q: str
    exact: str | None = None
    marked: str | None = None  # what snippets mark, when not all of q (SNIPPET_TERMS)
    han: str | None = None  # what turns_han must also hold, when it is not the index read
    marks: tuple[str, ...] = ()  # the folded Han runs a snippet highlights
    words: str = ""  # the query's other words, for the same snippet

    @property
    def tables(self) -> str:
        """The index, then each match's turn and briefing, in that order (CROSS JOIN):
        started from a filter's index, SQLite would search the full-text index once per
        turn of the speaker (50 s for a filtered search at a million turns, not 30 ms)."""
        return (
            f"{self.index} CROSS JOIN turns t ON t.pk = {self.index}.rowid "
            "CROSS JOIN briefings b ON b.pk = t.briefing_pk"
        )

    def _also(self) -> list[tuple[str, str]]:
        return [(i, p) for i, p in ((EXACT, "exact"), (HAN_INDEX, "han")) if getattr(self, p)]

    @property
    def condition(self) -> str:
        """The WHERE clause for every match: the other indexes' are listed once."""
        return " AND ".join(
            [f"{self.index} MATCH :q"]
            + [f"t.pk IN (SELECT rowid FROM {i} WHERE {i} MATCH :{p})" for i, p in self._also()]
        )

    @property
    def exact_check(self) -> str:
        """The same test of the other indexes for a few turns: one lookup each."""
        return (
            " AND ".join(
                [f"EXISTS (SELECT 1 FROM {i} WHERE {i} MATCH :{p} AND rowid = t.pk)" for i, p in self._also()]
            )
            or "1"
        )


def _prepare(
    db, query: str, filters: Filters, raw: bool, entities, notes: list[str] | None = None
) -> tuple[Match, dict, list[str]]:
    """The index to read, the parameters and the WHERE clauses for a query.

    Only quoted phrases: the exact index finds and ranks them. Words too: the
    stemmed index does, and each phrase must also be in the exact index.
    """
    words, filters = parse_query(query, filters)
    if raw:
        match = Match(STEMMED, fts_query(words, raw=True))
        check_raw(match.q)
    else:
        found = terms(words)
        exact, marked = _exact(found), found[:SNIPPET_TERMS]
        runs = han_terms(words)
        han = han_query(runs)
        plain = " ".join(t.text for t in found)
        if not found and han:
            match = Match(HAN_INDEX, han, marks=tuple(runs))
        elif exact and all(t.phrase for t in found):
            match = Match(EXACT, exact, han=han, marks=tuple(runs), words=plain, marked=_exact(marked))
        else:
            match = Match(
                STEMMED,
                _joined(found),
                exact,
                han=han,
                marks=tuple(runs),
                words=plain,
                marked=_joined(marked),
            )
    params = {"q": match.q, "exact": match.exact, "han": match.han}
    return match, params, _where(db, filters, params, entities, notes) or ["1"]


_ROW = """b.id AS briefing_id, b.date, b.title, b.source, b.url, t.pk, t.briefing_pk, t.seq, t.label,
          t.speaker, t.role, t.kind, t.outlet, t.answers, t.text"""
_ORDER = "b.date DESC, t.briefing_pk DESC, t.seq"


class Rows(list):
    """A page of results, as a list; `total` is how many there are in all, None
    when that was not asked for and the page does not tell."""

    total: int | None = None


def _page(rows: list, total: int | None) -> Rows:
    out = Rows(rows)
    out.total = total
    return out


def _slice(rows: list, limit: int | None, offset: int) -> Rows:
    """A page of rows all computed anyway, and so their number."""
    return _page(rows[offset : offset + limit] if limit else rows[offset:], len(rows))


def search(
    db: sqlite_utils.Database,
    query: str,
    filters: Filters,
    *,
    limit: int | None = 20,
    offset: int = 0,
    raw: bool = False,
    sort: str = "rank",
    entities=None,
    context: int = 0,
    notes: list[str] | None = None,
    count: bool = False,
) -> Rows:
    """Matching turns, best first (or newest first), each with a marked snippet.

    `query` may hold inline filters (see parse_query). With `context`, each hit
    carries the `context` turns before and after it in its briefing. Notes
    for the user (a speaker that fits several names) are added to `notes`.
    `limit` None (or 0) is every match; `offset` skips as many. With `count`,
    `total` says how many match in all: told by the page when it is not full
    or when the ranked window held every match, else counted.
    """
    match, params, clauses = _prepare(db, query, filters, raw, entities, notes)
    limit = limit or None
    total = None
    if sort == "rank":
        rows, total = _ranked(db, match, params, clauses, limit, offset)
    else:
        sql = f"""SELECT {_ROW}, NULL AS score FROM {match.tables}
                  WHERE {match.condition} AND {" AND ".join(clauses)}
                  ORDER BY {_ORDER} LIMIT :limit OFFSET :offset"""
        rows = _dicts(db.execute(sql, {**params, "limit": limit or -1, "offset": offset}))
    if total is None and (limit is None or len(rows) < limit) and (rows or not offset):
        total = offset + len(rows)  # the last page
    if total is None and count:
        total = _count(db, match, params, clauses)
    _add_snippets(db, rows, match)
    if context:
        _add_context(db, rows, context)
    _add_answered_by(db, rows)
    for r in rows:
        del r["pk"], r["briefing_pk"]
    return _page(rows, total)


def _add_answered_by(db, rows: list[dict]) -> None:
    """For each question, the turns that answer it: who answered, and where."""
    sql = "SELECT seq, speaker FROM turns WHERE briefing_pk = :b AND answers = :seq ORDER BY seq"
    for r in rows:
        if r["kind"] == "question":
            r["answered_by"] = _dicts(db.execute(sql, {"b": r["briefing_pk"], "seq": r["seq"]}))


def _dicts(cursor) -> list[dict]:
    cols = [c[0] for c in cursor.description]
    return [dict(zip(cols, row)) for row in cursor.fetchall()]


def _ranked(
    db, match: Match, params: dict, clauses: list[str], limit: int | None, offset: int = 0
) -> tuple[list[dict], int | None]:
    """Best `limit` turns by rank after the first `offset` that pass the filters (every
    one when `limit` is None), and how many pass in all when that came for free.

    Scoring a match in the index is cheap; joining it to its turn and its
    briefing costs as much again. So first take the best RANK_WINDOW matches
    from the index alone and join and filter only those: with no filter but
    the default one (no chair's turns) that is nearly always enough, and with
    a filter of the user's the window is FILTERED_WIDENING times wider. When
    the filters still leave fewer than `limit` of them, and the index has
    more, score and filter every match in one pass. A window that holds every
    match of the index also gives how many pass the filters.
    """
    where = " AND ".join(clauses)
    score = rank(match.index)
    everything = f"""SELECT {_ROW}, {score} AS score FROM {match.tables}
                     WHERE {match.condition} AND {where}
                     ORDER BY score, {_ORDER} LIMIT :limit OFFSET :offset"""
    if limit is None:
        rows = _dicts(db.execute(everything, {**params, "limit": -1, "offset": offset}))
        return rows, None
    filtered = any(c not in (NOT_THE_CHAIR, "1") for c in clauses)
    window = max(RANK_WINDOW * (FILTERED_WIDENING if filtered else 1), 4 * (limit + offset))
    best = _best(db, match, window)
    if not best:
        return [], 0
    # The window first, each of its turns by primary key (as in Match.tables).
    sql = f"""SELECT {_ROW}, json_extract(best.value, '$[1]') AS score, COUNT(*) OVER () AS passed
              FROM json_each(:best) AS best CROSS JOIN turns t ON t.pk = json_extract(best.value, '$[0]')
              CROSS JOIN briefings b ON b.pk = t.briefing_pk
              WHERE {where} AND {match.exact_check}
              ORDER BY score, {_ORDER} LIMIT :limit OFFSET :offset"""
    rows = _dicts(db.execute(sql, {**params, "best": json.dumps(best), "limit": limit, "offset": offset}))
    passed = rows[0]["passed"] if rows else None
    for r in rows:
        del r["passed"]
    if len(best) < window:
        return rows, passed if rows else None
    # Every match scoring better than the window's worst is in the window, but of those
    # that tie with it only some: the page holds the right turns, in the order of a
    # full ranking (ties by date), only if its last scores better than that.
    if len(rows) >= limit and rows[-1]["score"] < best[-1][1]:
        return rows, None
    return _dicts(db.execute(everything, {**params, "limit": limit, "offset": offset})), None


def _best(db, match: Match, window: int) -> list[tuple[int, float]]:
    """(rowid, score) of the best `window` matches in the index, best first."""
    sql = (
        f"SELECT rowid, {rank(match.index)} AS score FROM {match.index} WHERE {match.index} MATCH :q"
        " {range} ORDER BY score LIMIT :window"
    )
    params = {"q": match.q, "window": window}
    parts = _parts(db)
    if parts:
        found = _best_in_parts(db, sql.format(range="AND rowid BETWEEN :lo AND :hi"), params, parts, window)
        if found is not None:
            return found
    return db.execute(sql.format(range=""), params).fetchall()


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may use, not all the machine has
    except AttributeError:  # pragma: no cover - platforms without it
        return os.cpu_count() or 1


def _parts(db) -> list[tuple[int, int]]:
    """The ranges of turn pks to rank side by side; none when one piece is better."""
    n = min(_cores(), PARALLEL_PARTS)
    if n < 2 or not hasattr(db, "sibling") or db.conn.in_transaction:
        return []
    # Each on its own, min() and max() of the primary key are one step down the b-tree; together, a scan.
    lo, hi = db.execute("SELECT (SELECT min(pk) FROM turns), (SELECT max(pk) FROM turns)").fetchone()
    if lo is None or hi - lo + 1 < PARALLEL_MIN_TURNS:
        return []
    step = (hi - lo) // n + 1
    return [(lo + i * step, min(hi, lo + (i + 1) * step - 1)) for i in range(n)]


def _best_in_parts(
    db, sql: str, params: dict, parts: list[tuple[int, int]], window: int
) -> list[tuple[int, float]] | None:
    """Rank each range in its own thread and connection; None to rank in one piece instead."""
    import heapq

    found = _in_parts(db, sql, params, parts)
    if found is None:
        return None
    return heapq.nsmallest(window, (row for rows in found for row in rows), key=lambda row: row[1])


def _in_parts(db, sql: str, params: dict, parts: list[tuple[int, int]]) -> list[list] | None:
    """Each range's rows (:lo and :hi its bounds), read in its own thread and connection.

    The ranges must be read from one state of the archive: if another
    connection committed while they were read (PRAGMA data_version tells),
    or a connection could not be opened, None: the caller reads in one piece.
    """
    import threading

    found: list[list | None] = [None] * len(parts)

    def read_part(i: int) -> None:
        try:
            conn = db.conn if i == 0 else db.sibling(i)
            if conn is not None:
                found[i] = conn.execute(sql, {**params, "lo": parts[i][0], "hi": parts[i][1]}).fetchall()
        except sqlite3.Error:
            pass  # left None: read again in one piece, where a real error is raised

    version = db.execute("PRAGMA data_version").fetchone()[0]
    threads = [threading.Thread(target=read_part, args=(i,)) for i in range(1, len(parts))]
    for t in threads:
        t.start()
    read_part(0)
    for t in threads:
        t.join()
    if any(f is None for f in found) or db.execute("PRAGMA data_version").fetchone()[0] != version:
        return None
    return found


def _add_snippets(db, rows: list[dict], match: Match) -> None:
    if match.marks:
        _add_han_snippets(db, rows, match)
        return
    sql = (
        f"SELECT snippet({match.index}, 0, '{MARK_START}', '{MARK_END}', '…', {SNIPPET_TOKENS}) "
        f"FROM {match.index} WHERE {match.index} MATCH :q AND rowid = :pk"
    )
    for r in rows:  # each row matches q, so it matches the part of q that is marked
        found = db.execute(sql, {"q": match.marked or match.q, "pk": r["pk"]}).fetchone()
        r["snippet"] = found[0] if found else r["text"][:200]


def _add_han_snippets(db, rows: list[dict], match: Match) -> None:
    """Snippets of the turn's own text around its first Han match, with every
    match of the Han runs marked, and the query's other words where they begin
    a word (the Chinese index holds only derived text: no snippet of its own)."""
    words = [re.compile(r"(?<!\w)" + re.escape(w), re.IGNORECASE) for w in re.findall(r"\w+", match.words)]
    for r in rows:
        text = r["text"]
        spans = han_marks(text, list(match.marks))
        if not spans:
            r["snippet"] = text[:200]
            continue
        start = max(0, spans[0][0] - HAN_SNIPPET // 4)
        end = min(len(text), start + HAN_SNIPPET)
        spans += [m.span() for w in words for m in w.finditer(text, start, end)]
        out, at = ["…" if start else ""], start
        for s, e in sorted(spans):
            if e <= at or s >= end:
                continue
            s, e = max(s, at), min(e, end)
            out += [text[at:s], MARK_START, text[s:e], MARK_END]
            at = e
        out += [text[at:end], "…" if end < len(text) else ""]
        r["snippet"] = "".join(out)


def _add_context(db, rows: list[dict], n: int) -> None:
    sql = (
        "SELECT seq, label, speaker, role, kind, outlet, text FROM turns "
        "WHERE briefing_pk = :b AND seq BETWEEN :lo AND :hi AND seq != :seq ORDER BY seq"
    )
    for r in rows:
        cursor = db.execute(
            sql, {"b": r["briefing_pk"], "lo": r["seq"] - n, "hi": r["seq"] + n, "seq": r["seq"]}
        )
        r["context"] = _dicts(cursor)


def count_matches(
    db: sqlite_utils.Database, query: str, filters: Filters, *, raw: bool = False, entities=None
) -> int:
    """How many turns match, filters applied."""
    return _count(db, *_prepare(db, query, filters, raw, entities))


def _count(db, match: Match, params: dict, clauses: list[str]) -> int:
    """Counting joins every match to its turn and briefing, which costs more than ranking
    them: on a large archive it is split across cores as ranking is (see _best)."""
    sql = f"SELECT COUNT(*) FROM {match.tables} WHERE {match.condition} AND {' AND '.join(clauses)} {{range}}"
    parts = _parts(db)
    if parts:
        found = _in_parts(db, sql.format(range=f"AND {match.index}.rowid BETWEEN :lo AND :hi"), params, parts)
        if found is not None:
            return sum(rows[0][0] for rows in found)
    return db.execute(sql.format(range=""), params).fetchone()[0]


WHO_KEYS = ("name", "turns", "briefings", "first", "last")


def who(
    db: sqlite_utils.Database,
    query: str,
    filters: Filters,
    *,
    raw: bool = False,
    limit: int | None = None,
    offset: int = 0,
    entities=None,
    notes: list[str] | None = None,
) -> Rows:
    """Speakers ranked by how many of their turns match, with first and last dates.

    Every speaker's count is made to rank them anyway, so `total` is always known."""
    match, params, clauses = _prepare(db, query, filters, raw, entities, notes)
    sql = f"""SELECT t.speaker AS name, COUNT(*) AS turns, COUNT(DISTINCT t.briefing_pk) AS briefings,
                     MIN(b.date) AS first, MAX(b.date) AS last
              FROM {match.tables}
              WHERE {match.condition} AND t.speaker IS NOT NULL AND {" AND ".join(clauses)}
              GROUP BY t.speaker
              ORDER BY turns DESC, last DESC, name"""
    return _slice(_dicts(db.execute(sql, params)), limit, offset)


TIMELINE_KEYS = ("period", "matches", "turns", "per_1000")


def timeline(
    db: sqlite_utils.Database,
    query: str,
    filters: Filters,
    *,
    by: str = "year",
    raw: bool = False,
    entities=None,
    notes: list[str] | None = None,
) -> list[dict]:
    """Matching turns per year or month, and per 1,000 turns of that period.

    The denominator is every turn of the period that passes the same filters,
    so `speaker:X` gives how often X's turns say it. Every period from the
    first to the last with such turns is listed, those with no match at 0 and
    those with no turns at all too (turns 0), so that a gap in the archive
    shows as one; turns of undated briefings are left out. The denominator
    counts only turns in the languages searched: --lang's, else those of the
    query's words (Han characters Chinese, other words English), so Chinese
    turns do not dilute an English word's rate.
    """
    if by not in TIMELINE_PERIODS:
        raise QueryError(f"cannot group by {by!r}; use one of {', '.join(TIMELINE_PERIODS)}")
    width = TIMELINE_PERIODS[by]
    match, params, clauses = _prepare(db, query, filters, raw, entities, notes)
    where = " AND ".join(clauses + ["b.date IS NOT NULL"])
    languages = searched_languages(parse_query(query, filters)[0], filters)
    volume_where = where + (
        f" AND b.language IN ({', '.join(repr(x) for x in languages)})" if languages else ""
    )
    period = f"substr(b.date, 1, {width})"
    sql = f"""WITH hits AS (
                  SELECT {period} AS period, COUNT(*) AS matches FROM {match.tables}
                  WHERE {match.condition} AND {where} GROUP BY period),
              volume AS (
                  SELECT {period} AS period, COUNT(*) AS turns
                  FROM turns t JOIN briefings b ON b.pk = t.briefing_pk
                  WHERE {volume_where} GROUP BY period)
              SELECT volume.period, COALESCE(hits.matches, 0) AS matches, volume.turns
              FROM volume LEFT JOIN hits ON hits.period = volume.period
              ORDER BY volume.period"""
    found = {r["period"]: r for r in _dicts(db.execute(sql, params))}
    rows = [found.get(p) or {"period": p, "matches": 0, "turns": 0} for p in _periods(found, by)]
    for r in rows:
        r["per_1000"] = round(1000 * r["matches"] / r["turns"], 2) if r["turns"] else 0.0
    return rows


def searched_languages(words: str, filters: Filters) -> list[str]:
    """The briefing languages a query searches: --lang's, else Chinese for Han
    characters and English for other words; [] for both (no restriction)."""
    if filters.lang:
        return [filters.lang]
    found = (["en"] if re.search(r"\w", HAN_RUN.sub(" ", words)) else []) + (["zh"] if has_han(words) else [])
    return found if len(found) == 1 else []


def _periods(found, by: str) -> list[str]:
    """Every year (YYYY) or month (YYYY-MM) from the first in `found` to the last."""
    if not found:
        return []
    first, last = min(found), max(found)
    if by == "year":
        return [f"{y:04d}" for y in range(int(first), int(last) + 1)]
    (y, m), end = map(int, first.split("-")), tuple(map(int, last.split("-")))
    out = []
    while (y, m) <= end:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def list_briefings(
    db: sqlite_utils.Database,
    filters: Filters,
    *,
    limit: int | None = None,
    offset: int = 0,
    entities=None,
    notes: list[str] | None = None,
    count: bool = False,
) -> Rows:
    """Briefings, newest first; with a speaker, those they spoke in or whose roster lists them.

    With `count`, `total` says how many there are in all (counted only when the page is full)."""
    params: dict = {}
    clauses = []
    if filters.speaker:
        names = speaker_names(db, filters.speaker, entities, notes) or [None]
        keys = [f"s{i}" for i in range(len(names))]
        params.update(dict(zip(keys, names)))
        inlist = ", ".join(":" + k for k in keys)
        # Each list's briefings found once: checked briefing by briefing, SQLite read all
        # of the speaker's turns for each (minutes at a million turns).
        clauses.append(
            f"(b.pk IN (SELECT t.briefing_pk FROM turns t WHERE t.speaker IN ({inlist}))"
            f" OR b.pk IN (SELECT p.briefing_pk FROM participants p WHERE p.name IN ({inlist})))"
        )
    for key, clause in (
        ("since", "b.date >= :since"),
        ("until", "b.date <= :until"),
        ("source", "b.source = :source"),
        ("lang", "b.language = :lang"),
    ):
        value = getattr(filters, key)
        if value:
            params[key] = value
            clauses.append(clause)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    cursor = db.execute(
        f"""SELECT b.id, b.date, b.title, b.source, b.url, b.turn_count AS turns, b.published,
                   b.language, json(b.missing_pages) AS missing_pages,
                   (SELECT o.id FROM counterparts c JOIN briefings o ON o.pk = c.other_pk
                    WHERE c.briefing_pk = b.pk) AS counterpart
            FROM briefings b {where}
            ORDER BY b.date DESC, b.id DESC LIMIT :limit OFFSET :offset""",
        {**params, "limit": limit or -1, "offset": offset},
    )
    cols = [c[0] for c in cursor.description]
    out = []
    for row in cursor.fetchall():
        d = dict(zip(cols, row))
        d["missing_pages"] = json.loads(d["missing_pages"] or "[]")
        d["incomplete"] = bool(d["missing_pages"])
        out.append(d)
    total = None
    if (not limit or len(out) < limit) and (out or not offset):
        total = offset + len(out)  # the last page
    elif count:
        total = db.execute(f"SELECT COUNT(*) FROM briefings b {where}", params).fetchone()[0]
    return _page(out, total)


def speakers(db: sqlite_utils.Database, *, limit: int | None = None, offset: int = 0) -> Rows:
    """People and outlets with their roles, turn counts and first/last dates.

    A roster participant counts too: `briefings` and the dates cover the
    briefings someone spoke in or was listed in, so a minister on the roster
    who never took the floor is listed with 0 turns.
    """
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
    """
    rows = {}
    for d in _dicts(db.execute(sql)):
        d["roles"] = json.loads(d["roles"] or "[]")
        rows[d["name"]] = d
    # Roster entries of briefings the participant did not speak in, each checked against
    # its briefing's few turns: the unary + keeps the speaker index out, which read every
    # turn of the speaker per entry (three minutes at a million turns, not 0.1 s).
    listed = db.execute(
        """SELECT p.name, p.briefing_pk, b.date, p.role FROM participants p JOIN briefings b ON b.pk = p.briefing_pk
           WHERE NOT EXISTS (SELECT 1 FROM turns t WHERE t.briefing_pk = p.briefing_pk AND +t.speaker = p.name)
           ORDER BY p.briefing_pk, p.position"""
    )
    seen = set()
    for name, briefing, date, role in listed:
        d = rows.setdefault(
            name,
            {
                "name": name,
                "kind": "person",
                "turns": 0,
                "briefings": 0,
                "first": None,
                "last": None,
                "roles": [],
            },
        )
        if (name, briefing) not in seen:
            seen.add((name, briefing))
            d["briefings"] += 1
        if date:
            d["first"] = min(d["first"] or date, date)
            d["last"] = max(d["last"] or date, date)
        if role and role not in d["roles"]:
            d["roles"].append(role)
    return _slice(sorted(rows.values(), key=lambda d: (-d["turns"], d["name"])), limit, offset)


def get_briefing(db: sqlite_utils.Database, briefing_id: str) -> dict | None:
    """One briefing in the export shape of docs/interface.md; None if there is none.

    A JSON column that does not hold JSON raises ArchiveError naming the briefing
    (store.damaged_briefing), for every reader alike."""
    try:
        return _briefing(db, briefing_id)
    except ValueError as exc:  # json.JSONDecodeError
        raise damaged_briefing(briefing_id, exc) from None


def _briefing(db, briefing_id: str) -> dict | None:
    row = db.execute(
        "SELECT pk, id, source, url, title, date, published, language, pages, missing_pages "
        "FROM briefings WHERE id = ?",
        (briefing_id,),
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
        {
            "seq": s,
            "label": lb,
            "speaker": sp,
            "role": ro,
            "kind": k,
            "outlet": o,
            "answers": a,
            "also_asked": json.loads(aa or "[]"),
            "page": pg,
            "text": tx,
        }
        for s, lb, sp, ro, k, o, a, aa, pg, tx in db.execute(
            "SELECT seq, label, speaker, role, kind, outlet, answers, also_asked, page, text "
            "FROM turns WHERE briefing_pk = ? ORDER BY seq",
            (pk,),
        ).fetchall()
    ]
    missing_pages = json.loads(missing or "[]")
    return {
        "id": bid,
        "source": source,
        "url": url,
        "title": title,
        "date": date,
        "published": published,
        "language": language,
        "incomplete": bool(missing_pages),
        "missing_pages": missing_pages,
        "pages": json.loads(pages or "[]"),
        "participants": participants,
        "turns": turns,
    }


def similar_ids(db: sqlite_utils.Database, briefing_id: str, limit: int = 3) -> list[str]:
    """Ids holding the document number asked for, as the next step after a slip
    ("118230968" or "scio-11823096" for scio-118230968)."""
    key = briefing_id.strip().rsplit("-", 1)[-1]
    if len(key) < 4:
        return []
    pattern = "%" + re.sub(r"([%_\\])", r"\\\1", key) + "%"
    rows = db.execute(
        "SELECT id FROM briefings WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT ?", (pattern, limit)
    ).fetchall()
    return [r[0] for r in rows]


def all_briefing_ids(db: sqlite_utils.Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT id FROM briefings ORDER BY date, id").fetchall()]


def rejects(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    """Pages the last ingest of them could not parse, with the reason."""
    return [(p, r) for p, r in db.execute("SELECT path, reason FROM rejects ORDER BY path").fetchall()]


def changes(db: sqlite_utils.Database) -> list[dict]:
    """What re-ingesting changed, newest first, turn by turn."""
    cursor = db.execute(
        "SELECT b.id, c.at, c.seq, c.change, c.field, c.old, c.new FROM changes c "
        "JOIN briefings b ON b.pk = c.briefing_pk ORDER BY c.at DESC, b.id, c.pk"
    )
    cols = [c[0] for c in cursor.description]
    return [dict(zip(cols, row)) for row in cursor.fetchall()]


def counterpart_of(db, briefing_id: str) -> dict | None:
    """The other language version a briefing is paired with: {"id", "language", "url"}, or None."""
    row = db.execute(
        "SELECT o.id, o.language, o.url FROM briefings b JOIN counterparts c ON c.briefing_pk = b.pk "
        "JOIN briefings o ON o.pk = c.other_pk WHERE b.id = ?",
        (briefing_id,),
    ).fetchone()
    return dict(zip(("id", "language", "url"), row)) if row else None


def turn_links(db, briefing_id: str) -> dict[int, tuple[list[int], float]]:
    """seq -> (the counterpart's seqs it is linked to, the link's score)."""
    out: dict[int, tuple[list[int], float]] = {}
    for seq, other_seq, score in db.execute(
        "SELECT l.seq, l.other_seq, l.score FROM turn_links l JOIN briefings b ON b.pk = l.briefing_pk "
        "WHERE b.id = ? ORDER BY l.seq, l.other_seq",
        (briefing_id,),
    ):
        seqs, _ = out.setdefault(seq, ([], score))
        seqs.append(other_seq)
    return out


def add_counterparts(db, b: dict) -> dict:
    """The export shape's bilingual fields: the briefing's `counterpart`, each turn's
    `counterpart` (seqs in the other version, [] when none) and `counterpart_score`."""
    b["counterpart"] = counterpart_of(db, b["id"])
    links = turn_links(db, b["id"]) if b["counterpart"] else {}
    for t in b["turns"]:
        seqs, score = links.get(t["seq"], ([], None))
        t["counterpart"] = seqs
        t["counterpart_score"] = score
    return b


UNSURE = 0.5  # a turn link scored below this is listed by `quality` as unsure (see align.LOW)


def _unlinked(db, pk: int) -> list[dict]:
    cursor = db.execute(
        "SELECT t.seq, t.kind, t.label, t.speaker, t.outlet, t.text FROM turns t WHERE t.briefing_pk = ? AND NOT "
        "EXISTS (SELECT 1 FROM turn_links l WHERE l.briefing_pk = t.briefing_pk AND l.seq = t.seq) ORDER BY t.seq",
        (pk,),
    )
    cols = [c[0] for c in cursor.description]
    return [dict(zip(cols, row)) for row in cursor.fetchall()]


def compare(db, briefing_id: str) -> dict | None:
    """A pair's turns that have no counterpart in the other version, both ways; None if
    the briefing is not stored, {"counterpart": None} if it has no counterpart."""
    row = db.execute("SELECT pk, id, language, url FROM briefings WHERE id = ?", (briefing_id,)).fetchone()
    if row is None:
        return None
    pk, bid, language, url = row
    other = db.execute(
        "SELECT o.pk, o.id, o.language, o.url FROM counterparts c JOIN briefings o ON o.pk = c.other_pk "
        "WHERE c.briefing_pk = ?",
        (pk,),
    ).fetchone()
    if other is None:
        return {"id": bid, "language": language, "url": url, "counterpart": None}
    unsure = [
        {"seq": s, "counterpart": sorted(json.loads(o)), "score": sc}
        for s, o, sc in db.execute(
            "SELECT seq, json_group_array(other_seq), min(score) FROM turn_links WHERE briefing_pk = ? "
            "GROUP BY seq HAVING min(score) < ? ORDER BY seq",
            (pk, UNSURE),
        )
    ]
    return {
        "id": bid,
        "language": language,
        "url": url,
        "counterpart": {"id": other[1], "language": other[2], "url": other[3]},
        "only_here": _unlinked(db, pk),  # turns of this version the other one left out
        "only_there": _unlinked(db, other[0]),  # turns of the other version this one left out
        "unsure": unsure,
    }


def pairs_report(db) -> dict:
    """For `quality`: every pair, those where a version lacks turns the other has, and unsure
    links; each pair and link once, from its English side where it has one."""
    pairs = db.execute(
        "SELECT b.pk, b.id, o.pk, o.id FROM counterparts c JOIN briefings b ON b.pk = c.briefing_pk "
        "JOIN briefings o ON o.pk = c.other_pk "
        "WHERE b.language = 'en' OR (o.language != 'en' AND b.pk < o.pk) ORDER BY b.date, b.id"
    ).fetchall()
    with_omissions = []
    for pk, bid, opk, oid in pairs:
        here, there = _unlinked(db, pk), _unlinked(db, opk)
        if here or there:
            with_omissions.append(
                {
                    "id": bid,
                    "counterpart": oid,
                    "only_here": [t["seq"] for t in here],
                    "only_there": [t["seq"] for t in there],
                }
            )
    unsure = [
        {"id": bid, "seq": s, "counterpart_id": oid, "counterpart": sorted(json.loads(o)), "score": sc}
        for bid, s, oid, o, sc in db.execute(
            "SELECT b.id, l.seq, o.id, json_group_array(l.other_seq), min(l.score) FROM turn_links l "
            "JOIN briefings b ON b.pk = l.briefing_pk JOIN briefings o ON o.pk = l.other_pk "
            "WHERE b.language = 'en' OR (o.language != 'en' AND b.pk < o.pk) "
            "GROUP BY l.briefing_pk, l.seq HAVING min(l.score) < ? ORDER BY b.date, b.id, l.seq",
            (UNSURE,),
        )
    ]
    return {"pairs": len(pairs), "with_omissions": with_omissions, "unsure": unsure}


def originals(db, hits: list[dict]) -> list[dict | None]:
    """For each hit (`briefing_id`, `seq`), the turn(s) of the other-language version it is
    linked to: {"briefing_id", "seq" (the first), "text" (all of them, in order)}, or None."""
    out = []
    for hit in hits:
        rows = db.execute(
            "SELECT o.id, t.seq, t.text FROM briefings b JOIN turn_links l ON l.briefing_pk = b.pk "
            "JOIN briefings o ON o.pk = l.other_pk JOIN turns t ON t.briefing_pk = o.pk AND t.seq = l.other_seq "
            "WHERE b.id = ? AND l.seq = ? ORDER BY t.seq",
            (hit["briefing_id"], hit["seq"]),
        ).fetchall()
        out.append(
            {"briefing_id": rows[0][0], "seq": rows[0][1], "text": "\n\n".join(r[2] for r in rows)}
            if rows
            else None
        )
    return out


def with_originals(db, b: dict) -> dict:
    """A briefing in the export shape (with its counterpart fields), each turn given
    `original`: the linked turns of the other version, and the briefing `only_there`:
    the other version's turns linked to none of these."""
    other = get_briefing(db, b["counterpart"]["id"]) if b.get("counterpart") else None
    by_seq = {t["seq"]: t for t in other["turns"]} if other else {}
    linked = set()
    for t in b["turns"]:
        t["original"] = [by_seq[s] for s in t.get("counterpart", []) if s in by_seq]
        linked.update(t.get("counterpart", []))
    b["only_there"] = [t for t in (other["turns"] if other else []) if t["seq"] not in linked]
    return b
