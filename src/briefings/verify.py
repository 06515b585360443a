"""Quote checking: the passages of the archive closest to a quote, and what differs.

A quote reaches print trimmed, joined with an ellipsis, lightly reworded or
with a character changed, so it is looked for by its pieces, not as one
string. Two steps, both measured (README, "verify"):

1. Candidates: the turns most likely to hold it. English: the quote's word
   trigrams (the rarest of each stretch of the quote), each looked up in the
   unstemmed index (turns_exact), turns scored by the idf of the trigrams they
   hold, so a dropped or changed word costs only the trigrams it is in. Chinese: the
   quote's 4-character chunks, OR'd, ranked by BM25 over the Chinese index
   (turns_han), so a changed character costs only the chunks it is in.
2. Alignment: each piece of the quote (pieces are what an ellipsis joins) is
   aligned on tokens (words; a Chinese character each) against each
   candidate with rapidfuzz: partial_ratio finds the window, Levenshtein
   opcodes give the diff, Indel similarity the score.

Folding (case, accents, punctuation, quote marks) is for comparing only:
every span and diff piece is cut from the stored text.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel, Levenshtein

from . import query
from .store import HAN_INDEX
from .text import HAN_CHAR, strip_controls

VERBATIM, CLOSE, PARAPHRASE, NOT_FOUND = "verbatim", "close", "paraphrase", "not found"
VERDICT_ORDER = {VERBATIM: 0, CLOSE: 1, PARAPHRASE: 2, NOT_FOUND: 3}

HAN = HAN_CHAR  # one Chinese character, as the Chinese index reads them
# A token is one Chinese character or a run of other letters and digits.
TOKEN = re.compile(rf"{HAN.pattern}|(?:(?!{HAN.pattern})[^\W_])+")
# "...", ". . .", "…", "……", "[...]" join pieces cut from one passage.
ELLIPSIS = re.compile(r"\[?\s*(?:\.\s*\.\s*\.|…+|⋯+)\s*\]?")

CANDIDATES = 40  # turns aligned per quote: the right turn is in the first 5 for every test quote
TRIGRAMS = 10  # at most this many trigram phrases are asked of the index (the rarest, spread)
# The words in most English turns of the archive: a trigram made only of these is slow to find.
COMMON = frozenset(
    "the and of to a in is that on for we china chinese with as this it be has have are by will "
    "not at from its our an or us also which all been their they more other was what side".split()
)
CHUNK = 4  # Chinese chunk length: a changed character spoils at most two of them
CHUNKS = 16
# A paraphrase shares at least this share of the quote's words with the passage.
PARAPHRASE_SCORE = 0.6
# A close quote differs from the record by at most max(CLOSE_MIN_EDITS, words / CLOSE_EDIT_SHARE) tokens.
CLOSE_MIN_EDITS = 2
CLOSE_EDIT_SHARE = 8
# Words whose loss or change turns a statement round: never a small edit.
NEGATIONS = frozenset(
    "not no never nor neither none nothing nobody cannot can't won't don't doesn't didn't "
    "isn't aren't wasn't weren't without against 不 没 无 非 未 别 勿 否".split()
)
# Chinese characters that change only the grammar of a sentence (particles, conjunctions): a
# change of one of these is a small edit; any other changed character may be a name (美国/英国).
ZH_LIGHT = frozenset("的地得了着过也和与及并在于对把被将就都还又所之其")


class VerifyError(query.QueryError):
    """A quote that cannot be checked as given (empty); the message says why."""


@dataclass(frozen=True)
class Tokens:
    text: str
    spans: list[tuple[int, int]]
    keys: list[str]  # folded, for comparing


def tokenize(text: str) -> Tokens:
    spans, keys = [], []
    for m in TOKEN.finditer(text):
        spans.append(m.span())
        keys.append(fold(m.group()))
    return Tokens(text, spans, keys)


def fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def language(text: str) -> str:
    """zh when Chinese characters are at least a third of the quote's letters."""
    letters = [c for c in text if c.isalnum()]
    cjk = sum(1 for c in letters if HAN.match(c))
    return "zh" if letters and cjk * 3 >= len(letters) else "en"


def pieces(quote: str) -> list[Tokens]:
    return [t for t in (tokenize(p) for p in ELLIPSIS.split(quote)) if t.keys]


@dataclass
class Piece:
    """One piece of the quote aligned on a turn: token ranges, ops, score."""

    q: Tokens
    start: int  # official token range [start, end)
    end: int
    ops: list  # (tag, q_start, q_end, o_start, o_end), token indexes
    score: float


@dataclass
class Found:
    turn: dict
    tokens: Tokens
    parts: list[Piece]
    score: float
    verdict: str = NOT_FOUND
    extra: dict = field(default_factory=dict)


# -- candidates --------------------------------------------------------------


_COLUMNS = "t.pk, b.id AS briefing_id, b.date, b.title, t.seq, t.speaker, t.kind, t.text"


def english_candidates(db, parts: list[Tokens], clauses: list[str], params: dict, limit: int) -> list[dict]:
    """Turns that hold the most (and rarest) of the quote's word trigrams."""
    grams = []
    for p in parts:
        words = [p.text[a:b] for a, b in p.spans]
        grams += [words[i : i + 3] for i in range(max(1, len(words) - 2))]
    grams = list({" ".join(g): g for g in grams}.values())
    if len(grams) > TRIGRAMS:
        grams = _rarest_spread(grams, TRIGRAMS)
    # Each trigram is looked up on its own and the turns scored here, by the idf of the
    # trigrams they hold: FTS5's bm25() over the trigrams OR'd evaluates every phrase
    # twice (once more for its idf) and took 200 ms at a million turns, this 60.
    total = db.execute("SELECT max(pk) FROM turns").fetchone()[0] or 0
    scores: dict[int, float] = {}
    for g in grams:
        phrase = '"' + " ".join(g).replace('"', '""') + '"'
        pks = [r[0] for r in db.execute("SELECT rowid FROM turns_exact WHERE turns_exact MATCH ?", (phrase,))]
        idf = math.log((total - len(pks) + 0.5) / (len(pks) + 0.5) + 1)
        for pk in pks:
            scores[pk] = scores.get(pk, 0.0) + idf
    ranked = sorted(scores, key=lambda pk: (-scores[pk], pk))
    return _turns(db, ranked, clauses, params, limit)


def _turns(db, pks: list[int], clauses: list[str], params: dict, limit: int) -> list[dict]:
    """The first `limit` of these turns, in this order, that pass the filters."""
    out: list[dict] = []
    for at in range(0, len(pks), 200):
        batch = pks[at : at + 200]
        marks = ", ".join(f":k{i}" for i in range(len(batch)))
        rows = query._dicts(
            db.execute(
                f"""SELECT {_COLUMNS} FROM turns t CROSS JOIN briefings b ON b.pk = t.briefing_pk
                WHERE t.pk IN ({marks}) AND {" AND ".join(clauses)}""",
                {**params, **{f"k{i}": pk for i, pk in enumerate(batch)}},
            )
        )
        order = {pk: i for i, pk in enumerate(batch)}
        out += sorted(rows, key=lambda r: order[r["pk"]])
        if len(out) >= limit:
            break
    return out[:limit]


def _rarity(gram: list[str]) -> int:
    """How rare a trigram is likely to be: the letters of its longest word that is not a
    common one. A phrase of common words ("and China has") makes FTS5 read their long
    position lists, up to 40 ms each at a million turns, and finds the turn no better."""
    return max((len(w) for w in gram if fold(w) not in COMMON), default=0)


def _rarest_spread(grams: list[list[str]], n: int) -> list[list[str]]:
    """The rarest trigram of each of n stretches of the quote: spread out, so that an edit,
    which spoils the three trigrams it is in, leaves the others to find the turn."""
    out = []
    for i in range(n):
        stretch = grams[i * len(grams) // n : (i + 1) * len(grams) // n]
        if stretch:
            out.append(max(stretch, key=_rarity))
    return out


def chinese_candidates(db, parts: list[Tokens], clauses: list[str], params: dict, limit: int) -> list[dict]:
    """Turns that hold the most (and rarest) of the quote's 4-character chunks, by BM25 over
    the Chinese index: a changed character spoils the chunks it is in, the others still find
    the turn. Chunks are folded as the index is (traditional characters, full-width forms)."""
    chunks = []
    for p in parts:
        for run in query.han_terms(p.text):
            if len(run) <= CHUNK:
                chunks.append(run)
            else:
                chunks += [run[i : i + CHUNK] for i in range(0, len(run) - CHUNK + 1, CHUNK - 1)]
    chunks = list(dict.fromkeys(chunks))
    if not chunks:
        return []
    if len(chunks) > CHUNKS:
        chunks = [chunks[round(i * (len(chunks) - 1) / (CHUNKS - 1))] for i in range(CHUNKS)]
    q = " OR ".join(query.han_query([c]) or "" for c in chunks)
    sql = f"""SELECT {_COLUMNS} FROM {HAN_INDEX} CROSS JOIN turns t ON t.pk = {HAN_INDEX}.rowid
              CROSS JOIN briefings b ON b.pk = t.briefing_pk
              WHERE {HAN_INDEX} MATCH :q AND {" AND ".join(clauses)}
              ORDER BY {query.rank(HAN_INDEX)} LIMIT :limit"""
    return query._dicts(db.execute(sql, {**params, "q": q, "limit": limit}))


# -- alignment ---------------------------------------------------------------


class _Codes(dict):
    """Each distinct token as one character, so rapidfuzz aligns tokens as strings."""

    def encode(self, keys: list[str]) -> str:
        return "".join(chr(0x10000 + self.setdefault(k, len(self))) for k in keys)


def _align(piece: Tokens, qs: str, ts: str) -> Piece:
    m = len(qs)
    at = ts.find(qs)
    if at >= 0:  # the quote's words in the turn's order, as they stand: nothing to align
        return Piece(piece, at, at + m, [("equal", 0, m, at, at + m)], 1.0)
    window = fuzz.partial_ratio_alignment(qs, ts)
    margin = max(3, m // 3)
    # Aligned on the best window widened by a margin, the quote's first words can be matched to an
    # earlier occurrence of the same words with the rest inserted; the window as found is tried too.
    tried = [
        _aligned(piece, qs, ts, max(0, window.dest_start - margin), min(len(ts), window.dest_end + margin)),
        _aligned(piece, qs, ts, window.dest_start, window.dest_end),
    ]
    return max(tried, key=lambda p: (p.score, -sum(1 for o in p.ops if o[0] != "equal")))


def _aligned(piece: Tokens, qs: str, ts: str, lo: int, hi: int) -> Piece:
    m = len(qs)
    window_start = lo
    ops = [
        (o.tag, o.src_start, o.src_end, o.dest_start + lo, o.dest_end + lo)
        for o in Levenshtein.opcodes(qs, ts[lo:hi])
    ]
    # Official words before the quote's first word and after its last are not part of the span.
    while ops and ops[0][0] == "insert":
        ops.pop(0)
    while ops and ops[-1][0] == "insert":
        ops.pop()
    while ops and ops[0][0] == "replace" and ops[0][2] - ops[0][1] < ops[0][4] - ops[0][3]:
        tag, a, b, c, d = ops[0]  # keep the replaced word, not the official words before it
        ops[0] = (tag, a, b, d - (b - a), d)
        break
    if not ops:
        return Piece(piece, window_start, window_start, [("delete", 0, m, window_start, window_start)], 0.0)
    start, end = ops[0][3], ops[-1][4]
    span = ts[start:end]
    score = Indel.normalized_similarity(qs, span)
    # A reordered passage keeps its words: what share of the quote's words the span holds.
    near = Counter(ts[max(0, start - m) : end + m])
    shared = sum(min(n, near[c]) for c, n in Counter(qs).items()) / m
    score = max(score, 0.9 * shared) if shared > score else score
    return Piece(piece, start, end, ops, score)


def _sensitive(word: str) -> bool:
    """A word whose change is never a small edit: a number, a negation."""
    return any(c.isdigit() for c in word) or fold(word) in NEGATIONS


def _edits(found: Found) -> tuple[int, bool]:
    """How many tokens differ, and whether any of them is a name, a number or a negation.

    Any capitalised word counts as a name, at the start of a sentence too: a real sentence
    with China put for France ("France attaches high importance...") is not a small edit."""
    count, heavy = 0, False
    turn = found.tokens
    for part in found.parts:
        q = part.q
        for tag, a, b, c, d in part.ops:
            if tag == "equal":
                continue
            count += max(b - a, d - c)
            quoted = [q.text[x:y] for x, y in q.spans[a:b]]
            official = [turn.text[x:y] for x, y in turn.spans[c:d]]
            words = quoted + official
            if any(_sensitive(w) or w[:1].isupper() for w in words):
                heavy = True
            chinese = [w for w in words if HAN.match(w)]
            if tag in ("replace", "delete") and chinese and not all(w in ZH_LIGHT for w in chinese):
                heavy = True
    return count, heavy


def _judge(found: Found) -> str:
    parts = found.parts
    in_order = all(x.end <= y.start for x, y in zip(parts, parts[1:]))
    if len(parts) == 1 and all(op[0] == "equal" for op in parts[0].ops) and parts[0].ops:
        return VERBATIM
    words = sum(len(p.q.keys) for p in parts)
    count, heavy = _edits(found)
    if in_order and not heavy and count <= max(CLOSE_MIN_EDITS, words // CLOSE_EDIT_SHARE):
        return CLOSE
    if found.score >= PARAPHRASE_SCORE:
        return PARAPHRASE
    return NOT_FOUND


def _score_turn(parts: list[Tokens], codes: _Codes, row: dict) -> Found:
    tokens = tokenize(row["text"])
    ts = codes.encode(tokens.keys)
    aligned = [_align(p, codes.encode(p.keys), ts) for p in parts]
    total = sum(len(p.keys) for p in parts)
    score = sum(a.score * len(a.q.keys) for a in aligned) / total
    found = Found(row, tokens, aligned, score)
    found.verdict = _judge(found)
    return found


# -- output ------------------------------------------------------------------


def _cut(tokens: Tokens, i: int, j: int, nxt: int | None) -> str:
    """Tokens i..j of a text with what follows them up to token `nxt` (None: nothing)."""
    if i >= j:
        return ""
    a = tokens.spans[i][0]
    b = tokens.spans[nxt][0] if nxt is not None and nxt < len(tokens.spans) else tokens.spans[j - 1][1]
    return tokens.text[a:b]


def diff(found: Found) -> list[dict]:
    """The span as pieces that turn the quote into the record: equal, insert (the
    record's words the quote lacks), delete (the quote's words the record lacks),
    replace; an ellipsis' gap is an insert whose quote is "…". Each piece carries
    the text after it up to the next, so the official sides join into the span."""
    out = []
    turn = found.tokens
    for n, part in enumerate(found.parts):
        ops = part.ops
        for k, (tag, a, b, c, d) in enumerate(ops):
            later = ops[k + 1 :]
            next_o = next((o[3] for o in later if o[4] > o[3]), None)
            next_q = next((o[1] for o in later if o[2] > o[1]), None)
            out.append({"op": tag, "quote": _cut(part.q, a, b, next_q), "official": _cut(turn, c, d, next_o)})
        if n + 1 < len(found.parts):
            nxt = found.parts[n + 1]
            if out and out[-1]["official"] and nxt.start >= part.end:
                # what follows this part's last words, up to the next part (or the gap), joins the span
                out[-1]["official"] = _cut(turn, *_last_official(ops), part.end)
            if nxt.start > part.end:
                out.append(
                    {"op": "insert", "quote": "…", "official": _cut(turn, part.end, nxt.start, nxt.start)}
                )
    return out


def _last_official(ops) -> tuple[int, int]:
    tag, a, b, c, d = ops[-1]
    return c, d


def span_text(found: Found) -> str:
    turn = found.tokens
    start, end = found.parts[0].start, max(p.end for p in found.parts)
    if end <= start:
        return ""
    return turn.text[turn.spans[start][0] : turn.spans[end - 1][1]]


def record(found: Found) -> dict:
    t = found.turn
    return {
        "briefing_id": t["briefing_id"],
        "seq": t["seq"],
        "date": t["date"],
        "speaker": t["speaker"],
        "title": t["title"],
        "kind": t["kind"],
        "verdict": found.verdict,
        "score": round(found.score, 3),
        "span": span_text(found),
        "diff": diff(found),
        # Filled in by verify(): the linked turn(s) of the briefing's other-language version.
        "original": None,
    }


# -- the check ---------------------------------------------------------------


def same_wording(db, span: str, lang: str, clauses: list[str], params: dict) -> dict | None:
    """How many briefings hold exactly this wording, and the first and last of them."""
    if not span.strip():
        return None
    where = " AND ".join(clauses)
    if lang == "zh":  # the index finds the turns holding its characters; instr the exact wording
        source = (
            f"{HAN_INDEX} CROSS JOIN turns t ON t.pk = {HAN_INDEX}.rowid "
            "CROSS JOIN briefings b ON b.pk = t.briefing_pk"
        )
        cond = f"{HAN_INDEX} MATCH :han AND instr(t.text, :span) > 0"
        han = query.han_query(query.han_terms(span))
        if han is None:
            return None
        args = {**params, "han": han, "span": span}
    else:
        source = (
            "turns_exact CROSS JOIN turns t ON t.pk = turns_exact.rowid "
            "CROSS JOIN briefings b ON b.pk = t.briefing_pk"
        )
        cond = "turns_exact MATCH :span"
        words = [span[a:b] for a, b in tokenize(span).spans]
        args = {**params, "span": '"' + " ".join(words).replace('"', '""') + '"'}
    rows = query._dicts(
        db.execute(
            f"""SELECT b.id AS briefing_id, t.seq, b.date, t.pk FROM {source} WHERE {cond} AND {where}
            AND b.date IS NOT NULL ORDER BY b.date, t.pk""",
            args,
        )
    )
    if not rows:
        return None
    return {
        "briefings": len({r["briefing_id"] for r in rows}),
        "turns": len(rows),
        "first": {k: rows[0][k] for k in ("briefing_id", "seq", "date")},
        "last": {k: rows[-1][k] for k in ("briefing_id", "seq", "date")},
        "_pks": [rows[0]["pk"], rows[-1]["pk"]],
    }


def verify(
    db,
    quote: str,
    filters: query.Filters,
    *,
    lang: str | None = None,
    limit: int = 5,
    entities=None,
    notes: list[str] | None = None,
) -> dict:
    """{"verdict", "matches", "same_wording"}: the turns closest to `quote`, best first."""
    parts = pieces(quote)
    if not parts:
        raise VerifyError("empty quote: give the words to check")
    lang = lang or language(quote)
    filters = replace(filters, all_kinds=True, lang=lang)
    params: dict = {}
    clauses = query._where(db, filters, params, entities, notes)
    find = chinese_candidates if lang == "zh" else english_candidates
    rows = find(db, parts, clauses, params, CANDIDATES)
    codes = _Codes()
    found = [_score_turn(parts, codes, r) for r in rows]
    found = [f for f in found if f.verdict != NOT_FOUND]
    found.sort(key=lambda f: (VERDICT_ORDER[f.verdict], -f.score, f.turn["date"] or "", f.turn["seq"]))
    stock = None
    if found and found[0].verdict == VERBATIM:
        stock = same_wording(db, span_text(found[0]), lang, clauses, params)
        if stock and stock["briefings"] > 1:
            # The first and last day it was said lead, the rest of the same wording after them.
            pks = stock.pop("_pks")
            have = {f.turn["pk"] for f in found}
            missing = [pk for pk in pks if pk not in have]
            if missing:
                marks = ", ".join(f":p{i}" for i in range(len(missing)))
                more = query._dicts(
                    db.execute(
                        f"SELECT {_COLUMNS} FROM turns t JOIN briefings b ON b.pk = t.briefing_pk WHERE t.pk IN ({marks})",
                        {f"p{i}": pk for i, pk in enumerate(missing)},
                    )
                )
                found += [_score_turn(parts, codes, r) for r in more]
            lead = {pk: i for i, pk in enumerate(pks)}
            found.sort(
                key=lambda f: (
                    VERDICT_ORDER[f.verdict],
                    -round(f.score, 6),
                    lead.get(f.turn["pk"], 2),
                    f.turn["date"] or "",
                )
            )
        elif stock:
            stock.pop("_pks")
            stock = None
    verdict = found[0].verdict if found else NOT_FOUND
    matches = [record(f) for f in found[:limit]]
    # The other version's turn, as `show --original` finds it: a quote checked in English
    # shows the Chinese it translates (the text that prevails), and the other way round.
    for m, original in zip(matches, query.originals(db, matches)):
        m["original"] = original
    return {
        "verdict": verdict,
        "language": lang,
        "matches": matches,
        "same_wording": stock,
    }


# -- the terminal -------------------------------------------------------------

STYLES = {"insert": "bold red", "delete": "bold green", "replace": "bold yellow"}
VERDICT_STYLES = {
    VERBATIM: "bold green",
    CLOSE: "bold cyan",
    PARAPHRASE: "bold yellow",
    NOT_FOUND: "bold red",
}


def render(result: dict):
    """The verdict, then each passage: where, who, when, and the official wording with
    [-the record's words the quote leaves out] and [+the quote's own words]."""
    from rich.console import Group
    from rich.text import Text

    from .render import original_line

    lines = [Text(f"{result['verdict']}", style=VERDICT_STYLES[result["verdict"]])]
    if not result["matches"]:
        lines[0].append(": no passage of the archive is close to this quote", style="")
    stock = result.get("same_wording")
    if stock:
        lines.append(
            Text(
                f"the same wording in {stock['briefings']} briefings ({stock['turns']} turns), first "
                f"{stock['first']['date']} {stock['first']['briefing_id']}#{stock['first']['seq']}, last "
                f"{stock['last']['date']} {stock['last']['briefing_id']}#{stock['last']['seq']}"
            )
        )
    for m in result["matches"]:
        lines.append(Text(""))
        head = Text(f"{m['verdict']}", style=VERDICT_STYLES[m["verdict"]])
        head.append(f"  {m['date'] or 'undated'}  {m['briefing_id']}#{m['seq']}  ")
        head.append(strip_controls(m["speaker"] or "unattributed"), style="bold")
        head.append(f"  score {m['score']:.2f}")
        lines.append(head)
        lines.append(Text(strip_controls(m["title"]), style="dim"))
        lines.append(wording(m["diff"]))
        if m.get("original"):
            lines.append(original_line(m, m["original"]))
    return Group(*lines)


def wording(pieces: list[dict]):
    from rich.text import Text

    out = Text()
    for d in pieces:
        official, quoted = strip_controls(d["official"]), strip_controls(d["quote"])
        if d["op"] == "equal":
            out.append(official)
        elif d["op"] == "insert" and quoted == "…":
            words = len(TOKEN.findall(official))
            out.append(f"[… {words} word{'' if words == 1 else 's'} left out …]", style="dim")
            out.append(official[len(official.rstrip()) :])
        elif d["op"] == "insert":
            out.append(f"[-{official.rstrip()}]", style=STYLES["insert"])
            out.append(official[len(official.rstrip()) :])
        elif d["op"] == "delete":
            out.append(f"[+{quoted.rstrip()}]", style=STYLES["delete"])
            out.append(quoted[len(quoted.rstrip()) :])
        else:
            out.append(f"[-{official.rstrip()}]", style=STYLES["insert"])
            out.append(f"[+{quoted.rstrip()}]", style=STYLES["delete"])
            out.append(official[len(official.rstrip()) :])
    return out
