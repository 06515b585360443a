"""Benchmark: checking quotes (`briefings verify`) and the Chinese goals, at a million turns.

    .venv/bin/python bench/verify.py                  # standalone: archive cached under /tmp
    .venv/bin/python bench/verify.py --methods-only   # only the method comparison (a minute)
    make bench                                        # bench/run.py calls bench() at the end

What it measures:

1. The matching method, chosen by measuring it: on the real MFA pages (en and
   zh, in one archive), the seeded quotes of tests/test_verify.py (cut from
   the pages outside data/raw/demo-mfa and edited as quotes reach print) and
   its invented sentences, through three designs:
   - `fts+align` (what verify does): candidates from the full-text indexes
     (English word trigrams over turns_exact, Chinese 4-character runs over
     turns_han, BM25), each aligned on tokens with rapidfuzz;
   - `fts words+partial_ratio`: the quote's words (Chinese: character pairs)
     OR'd, BM25 top 40, the best by rapidfuzz's partial_ratio on the text;
   - `shingle index`: an inverted index of every turn's word 3-shingles
     (Chinese: 4-character shingles) held in memory, the turn sharing most of
     the quote's shingles first: the exact containment a MinHash index
     estimates, so an upper bound on what MinHash LSH over these shingles finds.
   For each: the share of quotes whose own turn comes first, per edit; time
   per quote; and how many invented sentences score as high as 97% of the
   real quotes' right matches (what a verdict drawn from that score would
   call found).
2. At --turns (default 1,000,000) synthetic turns, half Chinese (bench/run.py's
   generator and cache): a 30-word English quote and a 40-character Chinese
   one checked end to end, `briefings verify --json` as a process.
3. The Chinese search goals (bench/run.py's queries): a character pair ranked
   top 20 in process and as `briefings search`, a single character in
   process, and the Chinese index's bytes per character beside the English
   indexes'.
4. Ingest over every real page: en, zh, zh-2020s and data/raw.

Each figure prints beside its goal with PASS or FAIL, as bench/run.py prints.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT / "src"), str(BENCH), str(ROOT / "tests")]

from rapidfuzz import fuzz  # noqa: E402

import run  # noqa: E402  bench/run.py: the synthetic archive, its cache, timing helpers
from briefings import query  # noqa: E402
from briefings import verify as checking  # noqa: E402
from briefings.sqlite import sqlite3  # noqa: E402
from briefings.store import HAN_INDEX, Archive  # noqa: E402

TARGETS = {
    "verify_end_to_end_ms": 300.0,
    "zh_pair_in_process_ms": run.TARGETS["zh_pair_in_process_ms"],
    "zh_char_in_process_ms": run.TARGETS["zh_char_in_process_ms"],
    "end_to_end_ms": run.TARGETS["end_to_end_ms"],
    "ingest_pages_per_s": run.TARGETS["ingest_pages_per_s"],
    "accuracy": 0.97,
}
DEFAULT_OUT = Path(os.environ.get("BRIEFINGS_BENCH_OUT", "/tmp/briefings-bench"))
REAL_DIRS = [run.REAL / "mfa" / d for d in ("en", "zh", "zh-2020s")] + [run.SEEDS]
TOP_K = 40


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- 1. the method, measured on the real pages ------------------------------------


def corpus_archive(out: Path) -> Path:
    db = out / "verify-corpus.db"
    if not db.exists():
        run.ingest_child([run.REAL / "mfa" / "en", run.REAL / "mfa" / "zh"], db)
    return db


def seeded(db: Path):
    """The quotes and invented sentences the tests check, from the same generators."""
    import test_verify as tv

    conn = sqlite3.connect(db)
    turns = conn.execute(
        "SELECT b.id, t.seq, b.language, t.text FROM turns t JOIN briefings b ON b.pk = t.briefing_pk "
        "WHERE t.kind IN ('answer', 'statement') ORDER BY b.id, t.seq"
    ).fetchall()
    conn.close()
    kept = tv.held_out(db, turns)
    return tv.real_quotes(kept), tv.invented_quotes(kept), tv.folded


def method_align(arch, quote: str):
    found = checking.verify(arch.db, quote, query.Filters(), limit=1)
    top = found["matches"][0] if found["matches"] else None
    return (top["briefing_id"], top["seq"], top["span"], top["score"]) if top else None


def method_partial(arch, quote: str):
    lang = checking.language(quote)
    keys = [k for p in checking.pieces(quote) for k in p.keys]
    if lang == "zh":
        runs = query.han_terms(quote)
        pairs = list(dict.fromkeys(r[i : i + 2] for r in runs for i in range(max(1, len(r) - 1))))
        q = " OR ".join(query.han_query([p]) or "" for p in pairs)
        index = HAN_INDEX
    else:
        q = " OR ".join('"' + k.replace('"', '""') + '"' for k in dict.fromkeys(keys))
        index = "turns_fts"
    if not q:
        return None
    rows = arch.db.execute(
        f"SELECT b.id, t.seq, t.text FROM {index} JOIN turns t ON t.pk = {index}.rowid "
        f"JOIN briefings b ON b.pk = t.briefing_pk WHERE {index} MATCH ? AND b.language = ? "
        f"ORDER BY {query.rank(index)} LIMIT {TOP_K}",
        (q, lang),
    ).fetchall()
    joiner = "" if lang == "zh" else " "
    needle = joiner.join(keys)
    best = None
    for bid, seq, text in rows:
        score = fuzz.partial_ratio(needle, joiner.join(checking.tokenize(text).keys)) / 100
        if best is None or score > best[3]:
            best = (bid, seq, text, score)
    return best


class Shingles:
    """Every turn's shingles in an inverted index: word 3-grams, Chinese 4-character runs."""

    def __init__(self, db: Path):
        self.postings: dict[str, list[int]] = defaultdict(list)
        self.turns: list[tuple[str, int, str]] = []
        conn = sqlite3.connect(db)
        for bid, seq, text in conn.execute(
            "SELECT b.id, t.seq, t.text FROM turns t JOIN briefings b ON b.pk = t.briefing_pk ORDER BY t.pk"
        ):
            n = len(self.turns)
            self.turns.append((bid, seq, text))
            for s in set(self.shingles(checking.tokenize(text).keys)):
                self.postings[s].append(n)
        conn.close()

    @staticmethod
    def shingles(keys: list[str]) -> list[str]:
        size = 4 if keys and checking.HAN.match(keys[0]) else 3
        if len(keys) <= size:
            return [" ".join(keys)] if keys else []
        return [" ".join(keys[i : i + size]) for i in range(len(keys) - size + 1)]

    def __call__(self, _arch, quote: str):
        wanted = {s for p in checking.pieces(quote) for s in self.shingles(p.keys)}
        counts: Counter = Counter()
        for s in wanted:
            counts.update(self.postings.get(s, ()))
        if not counts:
            return None
        n, shared = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        bid, seq, text = self.turns[n]
        return bid, seq, text, shared / max(1, len(wanted))


def bench_methods(out: Path) -> dict:
    db = corpus_archive(out)
    quotes, invented, folded = seeded(db)
    t0 = time.perf_counter()
    shingles = Shingles(db)
    shingle_build = time.perf_counter() - t0
    methods = {
        "fts+align": method_align,
        "fts words+partial_ratio": method_partial,
        "shingle index": shingles,
    }
    arch = Archive(db)
    figures = {}
    for name, fn in methods.items():
        by_edit: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        times, right_scores = [], []
        for quote, lang, how, bid, seq, cut in quotes:
            t0 = time.perf_counter()
            top = fn(arch, quote)
            times.append((time.perf_counter() - t0) * 1000)
            ok = bool(top) and (
                (top[0], top[1]) == (bid, seq) or (how == "verbatim" and folded(cut) in folded(top[2]))
            )
            cell = by_edit[f"{lang} {how}"]
            cell[0] += ok
            cell[1] += 1
            if ok:
                right_scores.append(top[3])
        # The score that keeps 97% of the right matches: invented sentences scoring as high
        # would be called found by any verdict drawn from this score.
        floor = sorted(right_scores)[int(len(right_scores) * (1 - TARGETS["accuracy"]))]
        above = sum(1 for q, *_ in invented if (top := fn(arch, q)) and top[3] >= floor)
        figures[name] = {
            "right": sum(c[0] for c in by_edit.values()),
            "quotes": len(quotes),
            "by_edit": dict(by_edit),
            "ms_median": statistics.median(times),
            "ms_p95": sorted(times)[int(len(times) * 0.95)],
            "invented": len(invented),
            "invented_above": above,
            "floor": floor,
        }
        log(f"  {name}: {figures[name]}")
    # The design in use also gives verdicts: how many invented sentences it calls verbatim or close.
    figures["fts+align"]["invented_close"] = sum(
        1
        for q, *_ in invented
        if checking.verify(arch.db, q, query.Filters(), limit=1)["verdict"] in ("verbatim", "close")
    )
    figures["shingle index"]["build_s"] = shingle_build
    figures["shingle index"]["postings"] = sum(map(len, shingles.postings.values()))
    arch.close()
    return figures


# -- 2. verify at a million turns ------------------------------------------------


def synthetic_quotes(db: Path) -> dict[str, str]:
    """A 30-word English cut and a 40-character Chinese one from the archive's own turns,
    one word and one character changed: the quote still finds its turn, and the check
    aligns rather than stopping at an exact hit."""
    rng = random.Random(run.SEED)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    out = {}
    for lang, pk in (("en", 4000), ("zh", 6000)):
        for (text,) in conn.execute(
            "SELECT t.text FROM turns t JOIN briefings b ON b.pk = t.briefing_pk "
            "WHERE b.language = ? AND t.kind = 'answer' AND t.pk > ? ORDER BY t.pk LIMIT 200",
            (lang, pk * 100),
        ):
            if lang == "en" and len(text.split()) > 60:
                words = text.split()
                i = rng.randrange(0, len(words) - 30)
                cut = words[i : i + 30]
                j = next(k for k in range(10, 20) if cut[k].isalpha() and cut[k].islower())
                cut[j] = "certain" if cut[j] != "certain" else "such"
                out[lang] = " ".join(cut)
                break
            runs = re.findall(f"(?:{checking.HAN.pattern}|[，、]){{40,}}", text) if lang == "zh" else []
            if runs:
                r = rng.choice(runs)
                i = rng.randrange(0, len(r) - 40 + 1)
                cut = list(r[i : i + 40])
                cut[20] = "的" if cut[20] != "的" else "了"
                out[lang] = "".join(cut)
                break
    conn.close()
    return out


def bench_verify_at_size(db: Path, runs: int) -> dict:
    env = run.process_env()
    rows = []
    for lang, quote in synthetic_quotes(db).items():
        cmd = [str(run.BIN / "briefings"), "verify", quote, "--json", "--db", str(db)]
        found = json.loads(run.subprocess.run(cmd, env=env, capture_output=True, text=True).stdout)
        arch = Archive(db)
        in_process = run.median_time(lambda: checking.verify(arch.db, quote, query.Filters()), runs)
        arch.close()
        rows.append(
            {
                "lang": lang,
                "quote": quote,
                "verdict": found["verdict"],
                "in_process_ms": in_process,
                "end_to_end_ms": run.median_time(lambda: run.run_process(cmd, env), runs),
            }
        )
        log(f"  {rows[-1]}")
    return {"rows": rows}


# -- 4. ingest over every real page -------------------------------------------------


def bench_ingest(out: Path, runs: int) -> dict:
    dirs = [d for d in REAL_DIRS if d.is_dir()]
    results = [run.ingest_child(dirs, out / "real-all.db") for _ in range(max(1, min(runs, 3)))]
    seconds = statistics.median(r["seconds"] for r in results)
    return {
        "dirs": [os.path.relpath(d, ROOT) for d in dirs],
        "pages": results[0]["pages"],
        "briefings": results[0]["briefings"],
        "seconds": seconds,
        "pages_per_s": results[0]["pages"] / seconds,
    }


# -- report -----------------------------------------------------------------------------


def verdicts(figures: dict) -> list[tuple[str, str, str, bool | None]]:
    out = []
    for r in figures.get("verify", {}).get("rows", []):
        words = (
            f"{len(r['quote'].split())}-word English"
            if r["lang"] == "en"
            else f"{len(r['quote'])}-character Chinese"
        )
        out.append(
            (
                f"`briefings verify --json` end to end, a {words} quote ({r['verdict']})",
                f"{r['end_to_end_ms']:.0f} ms",
                f"<= {TARGETS['verify_end_to_end_ms']:.0f} ms",
                r["end_to_end_ms"] <= TARGETS["verify_end_to_end_ms"],
            )
        )
    for r in figures.get("chinese", {}).get("rows", []):
        goal = TARGETS.get(r["target"]) if r["target"] else None
        out.append(
            (
                f"in-process ranked top-20, Chinese, {r['name']} `{r['text']}`",
                f"{r['in_process_ms']:.1f} ms",
                f"<= {goal:.0f} ms" if goal else "reported",
                r["in_process_ms"] <= goal if goal else None,
            )
        )
        if r["target"] == "zh_pair_in_process_ms":
            out.append(
                (
                    f"`briefings search` end to end, `--json`, Chinese, {r['name']} `{r['text']}`",
                    f"{r['json_ms']:.0f} ms",
                    f"<= {TARGETS['end_to_end_ms']:.0f} ms",
                    r["json_ms"] <= TARGETS["end_to_end_ms"],
                )
            )
    sizes = figures.get("chinese", {}).get("sizes")
    if sizes:
        han = sizes["han_bytes"] / max(sizes["han_chars"], 1)
        en = sizes["en_bytes"] / max(sizes["en_chars"], 1)
        out.append(
            (
                "index size per character: turns_han per Chinese character, beside turns_fts + turns_exact "
                "per character of English",
                f"{han:.1f} B vs {en:.1f} B",
                "reported",
                None,
            )
        )
    if "ingest" in figures:
        i = figures["ingest"]
        out.append(
            (
                f"ingest throughput, every real page ({i['pages']} pages: {', '.join(i['dirs'])})",
                f"{i['pages_per_s']:.1f} pages/s",
                f">= {TARGETS['ingest_pages_per_s']:.0f} pages/s",
                i["pages_per_s"] >= TARGETS["ingest_pages_per_s"],
            )
        )
    m = figures.get("methods", {}).get("fts+align")
    if m:
        out.append(
            (
                f"seeded real quotes whose own turn comes first (fts+align, {m['quotes']} quotes)",
                f"{100 * m['right'] / m['quotes']:.1f}%",
                f">= {100 * TARGETS['accuracy']:.0f}%",
                m["right"] / m["quotes"] >= TARGETS["accuracy"],
            )
        )
        out.append(
            (
                f"invented sentences called verbatim or close (of {m['invented']})",
                f"{m['invented_close']}",
                "0",
                m["invented_close"] == 0,
            )
        )
    return out


def report(figures: dict) -> str:
    lines = []
    methods = figures.get("methods")
    if methods:
        edits = sorted({k for m in methods.values() for k in m["by_edit"]})
        lines += [
            "",
            "Quote matching, three designs, on the real MFA pages (the seeded quotes and invented "
            "sentences of tests/test_verify.py; own turn first, per edit):",
            "",
            "| design | " + " | ".join(edits) + " | all | ms per quote (median / p95) "
            "| invented scoring as high as 97% of right matches |",
            "|---|" + "---:|" * (len(edits) + 3),
        ]
        for name, m in methods.items():
            cells = [f"{m['by_edit'][e][0]}/{m['by_edit'][e][1]}" for e in edits]
            lines.append(
                f"| {name} | " + " | ".join(cells) + f" | {100 * m['right'] / m['quotes']:.1f}% | "
                f"{m['ms_median']:.1f} / {m['ms_p95']:.1f} | {m['invented_above']} of {m['invented']} |"
            )
        s = methods["shingle index"]
        lines += [
            "",
            f"The shingle index took {s['build_s']:.1f} s to build in memory ({s['postings']:,} postings) "
            "for this corpus; it is not stored in the archive.",
        ]
    v = figures.get("verify")
    if v:
        lines += [
            "",
            f"`briefings verify` on the {figures['turns']:,}-turn synthetic archive:",
            "",
            "| quote | verdict | in process | `briefings verify --json` |",
            "|---|---|---:|---:|",
        ]
        for r in v["rows"]:
            lines.append(
                f"| `{r['quote']}` | {r['verdict']} | {r['in_process_ms']:.0f} | {r['end_to_end_ms']:.0f} |"
            )
    lines += ["", "| target | figure | goal | verdict |", "|---|---:|---|---|"]
    for name, figure, goal, ok in verdicts(figures):
        lines.append(f"| {name} | {figure} | {goal} | {run.VERDICT[ok]} |")
    return "\n".join(lines) + "\n"


def bench(
    db: Path | None, runs: int, out: Path, turns: int, methods: bool = True, chinese: dict | None = None
) -> tuple[str, bool]:
    """All of it: the report's text and whether every goal was met. bench/run.py passes its
    own archive and the Chinese figures it measured; standalone, the archive is built (or
    found) under `out`."""
    out.mkdir(parents=True, exist_ok=True)
    figures: dict = {"turns": turns}
    if methods and all((run.REAL / "mfa" / d).is_dir() for d in ("en", "zh")):
        log("verify: three matching designs on the real pages")
        figures["methods"] = bench_methods(out)
    log("ingest: every real page, zh-2020s included")
    figures["ingest"] = bench_ingest(out, runs)
    if db is None:
        run.OUT, run.PYCACHE = out, out / "pycache"
        if not (out / "sample.db").exists():
            run.ingest_child(run.sample_page_dirs(), out / "sample.db")
            run.ingest_child([run.ZH_CORPUS], out / "sample-zh.db")
        db, _, _ = run.build_archive(turns, False, 0.5)
    log(f"verify and Chinese search on {db}")
    figures["verify"] = bench_verify_at_size(db, runs)
    figures["chinese"] = chinese or run.bench_chinese(db, runs)
    text = report(figures)
    return text, all(ok is not False for *_, ok in verdicts(figures))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the archives are cached")
    parser.add_argument("--db", type=Path, help="an archive already built (default: build or find one)")
    parser.add_argument("--methods-only", action="store_true")
    args = parser.parse_args()
    if args.methods_only:
        args.out.mkdir(parents=True, exist_ok=True)
        print(report({"methods": bench_methods(args.out)}))
        return 0
    text, ok = bench(args.db, args.runs, args.out, args.turns)
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
