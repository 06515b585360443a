"""How to index Chinese: the designs measured before turns_han was chosen.

    .venv/bin/python bench/han_index.py --turns 300000

Builds, from the real MFA Chinese pages' sentences (../shared/corpus/mfa/zh),
a seeded synthetic set of Chinese turns as long as real ones, and indexes it
in stock FTS5 five ways, each in its own file:

- unicode61: what turns_fts did with Chinese (a run of Han characters is one token);
- trigram: FTS5's trigram tokenizer over the folded text; a query of one or two
  characters cannot use the index and is a LIKE scan;
- bigrams: overlapping pairs only (as Zotero indexes CJK), a single character
  found by a prefix query on the pairs;
- bigrams + run ends: the pairs, each run's last character after them, a single
  character by a prefix query;
- unigrams + bigrams (turns_han): a column of characters and one of pairs.

For each: index bytes per Han character (dbstat), build seconds, recall
against a plain substring scan over terms of one to six characters sampled
from the turns, and the median time of a ranked top-20 query of one and two
characters, common and rare. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from briefings.sqlite import sqlite3  # noqa: E402
from briefings.text import HAN_RUN, fold_han, han_grams  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "mfa" / "zh"
SEED = 20240601
SENTENCE = re.compile(r"(?<=[。！？])")


def real_turns() -> list[str]:
    """The Chinese turns of the real pages, through the real parser."""
    from briefings.ingest import ingest
    from briefings.people import Entities
    from briefings.store import Archive

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "zh.db"
        with Archive(db, write=True) as archive:
            ingest([CORPUS], archive, Entities.load())
        conn = sqlite3.connect(db)
        texts = [r[0] for r in conn.execute("SELECT text FROM turns")]
        conn.close()
    return texts


def synthetic(texts: list[str], n: int, seed: int) -> list[str]:
    """n turns of real sentences, each as long (in characters) as a real turn."""
    rng = random.Random(seed)
    sentences = [s for t in texts for s in SENTENCE.split(t.replace("\n\n", "")) if s.strip()]
    lengths = [len(t) for t in texts]
    out = []
    for _ in range(n):
        want, parts, have = rng.choice(lengths), [], 0
        while have < want:
            s = rng.choice(sentences)
            parts.append(s)
            have += len(s)
        out.append("".join(parts))
    return out


def pairs_only(text: str) -> str:
    runs = HAN_RUN.findall(fold_han(text))
    return " ".join(r[i : i + 2] for r in runs for i in range(max(len(r) - 1, 1)))


DESIGNS = {
    "unicode61 (as before)": ("text", "unicode61", lambda t: (t,)),
    "trigram": ("text", "trigram", lambda t: (fold_han(t),)),
    "bigrams (pairs only)": ("bi", "unicode61", lambda t: (pairs_only(t),)),
    "bigrams + run ends": ("bi", "unicode61", lambda t: (han_grams(t)[1],)),
    "unigrams + bigrams (chosen)": ("uni, bi", "unicode61", han_grams),
}


def match_sql(design: str, term: str) -> tuple[str, str, bool]:
    """(WHERE clause, parameter, ranked) for a folded term."""
    pairs = " ".join(term[i : i + 2] for i in range(len(term) - 1))
    if design.startswith("unicode61"):
        return "t MATCH ?", f'"{term}"', True
    if design == "trigram":
        if len(term) < 3:
            return "text LIKE ?", f"%{term}%", False
        return "t MATCH ?", f'"{term}"', True
    if design.startswith("unigrams"):
        return "t MATCH ?", (f'uni:"{term}"' if len(term) == 1 else f'bi:"{pairs}"'), True
    return "t MATCH ?", (f'"{term}" *' if len(term) == 1 else f'"{pairs}"'), True


def build(path: Path, design: str, turns: list[str]) -> tuple[float, int, int]:
    """Build seconds, file bytes, and bytes of the derived text the table keeps as its content."""
    columns, tokenizer, derive = DESIGNS[design]
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"CREATE VIRTUAL TABLE t USING fts5({columns}, tokenize='{tokenizer}')")
    marks = ", ".join("?" for _ in columns.split(","))
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    stored = 0
    for i, text in enumerate(turns, 1):
        values = derive(text)
        stored += sum(len(v.encode()) for v in values)
        conn.execute(f"INSERT INTO t (rowid, {columns}) VALUES (?, {marks})", (i, *values))
    conn.execute("COMMIT")
    seconds = time.perf_counter() - t0
    conn.execute("VACUUM")
    size = conn.execute("PRAGMA page_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    return seconds, size, stored


def timed(conn, sql: str, param: str, runs: int) -> float:
    conn.execute(sql, (param,)).fetchall()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        conn.execute(sql, (param,)).fetchall()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300_000)
    parser.add_argument("--terms", type=int, default=300, help="terms sampled for recall")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}", file=sys.stderr)
        return 1
    turns = synthetic(real_turns(), args.turns, SEED)
    folded = [fold_han(t) for t in turns]
    han_chars = sum(len(r) for t in folded for r in HAN_RUN.findall(t))
    rng = random.Random(SEED)
    terms = []
    while len(terms) < args.terms:
        runs = HAN_RUN.findall(rng.choice(folded))
        if runs:
            run = rng.choice(runs)
            k = min(len(run), 1 + len(terms) % 6)
            i = rng.randrange(len(run) - k + 1)
            terms.append(run[i : i + k])
    truth = {t: {i for i, text in enumerate(folded, 1) if t in text} for t in dict.fromkeys(terms)}
    queries = {
        "1 char, common": "的",
        "1 char, rare": "莹",
        "2 chars, common": "中国",
        "2 chars, rare": "华为",
    }
    print(
        f"{args.turns:,} synthetic Chinese turns, {han_chars:,} Han characters; {len(truth)} terms for recall; "
        f"SQLite {sqlite3.sqlite_version}\n"
    )
    print(
        "| design | bytes per Han character (of which its text) | build s | recall | worst term | "
        + " | ".join(f"{k} `{v}` ms" for k, v in queries.items())
        + " |"
    )
    print("|---|---:|---:|---:|---|" + "---:|" * len(queries))
    with tempfile.TemporaryDirectory() as tmp:
        for n, design in enumerate(DESIGNS):
            path = Path(tmp) / f"{n}.db"
            seconds, size, stored = build(path, design, turns)
            conn = sqlite3.connect(path)
            found = total = 0
            worst = (1.0, "")
            for term, want in truth.items():
                where, param, _ = match_sql(design, term)
                got = {r[0] for r in conn.execute(f"SELECT rowid FROM t WHERE {where}", (param,))}
                hit = len(want & got)
                found, total = found + hit, total + len(want)
                if want and hit / len(want) < worst[0]:
                    worst = (hit / len(want), term)
            cells = []
            for term in queries.values():
                where, param, ranked = match_sql(design, term)
                order = " ORDER BY bm25(t) LIMIT 20" if ranked else " LIMIT 20"
                cells.append(
                    f"{timed(conn, f'SELECT rowid FROM t WHERE {where}{order}', param, args.runs):.1f}"
                )
            conn.close()
            print(
                f"| {design} | {size / han_chars:.1f} ({stored / han_chars:.1f}) | {seconds:.0f} | {100 * found / total:.1f}% | "
                f"{worst[1] or '-'} ({100 * worst[0]:.0f}%) | " + " | ".join(cells) + " |",
                flush=True,
            )
            path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
