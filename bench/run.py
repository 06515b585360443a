"""Benchmark: search at a million turns, ingest throughput, ingest memory.

    make bench                      # or: .venv/bin/python bench/run.py
    .venv/bin/python bench/run.py --turns 100000 --runs 5

What it does, all in one run (targets are medians on the 2-core dev machine):

1. Ingests every real page (../shared/corpus/mfa/en and zh, and data/raw)
   into a fresh archive: pages/second; and peak memory of an ingest of the
   125 English transcript pages and of 16 copies of them under other ids
   (2,000 pages), each in its own process, with the bytes each extra page
   costs.
2. Builds, through the real store (`Archive.save`), a synthetic archive of
   --turns turns from a seeded RNG: briefings shaped like real ones (turn
   count, kinds, speakers, outlets) with turn texts made of real sentences,
   as many words as a real turn. It is cached under bench/out/ and rebuilt
   only when the sample, the seed or the size changes. It is left as ingest
   leaves an archive: no ANALYZE, the FTS5 indexes not merged (see finish).
3. Times ranked top-20 search with snippets, in process and as a
   `briefings search` process (`--json`, and the default terminal table), for
   a rare word, a common word, a phrase and a filtered query; and, on the same
   text and queries, ripgrep over a plain text export, and sqlite-utils on the
   same database (`Table.search` in process; `sqlite-utils search` as a
   process, or for the filtered query `sqlite-utils query` with the SQL
   `Table.search` runs for it). Ratios per query and tool.
4. Explains the two slow figures: the start-up of a process (Python, click,
   the package, rich) and what a phrase costs (finding it, ranking it).
5. Chinese search (with --zh-share, default 0.5, of the synthetic briefings
   Chinese, made of the real MFA Chinese pages' sentences): ranked top-20
   in process and as a process for pairs and single characters, common and
   rare, and the size of the Chinese index per Han character beside the
   English indexes' per character of English text.
6. Times the other reading commands (who, timeline, list, speakers) at the
   same size, with no targets: a query plan gone wrong shows as seconds.

Figures go to stdout as a table with PASS/FAIL per target, and to
bench/RESULTS.md, with the load average before and after.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "RESULTS.md"
BIN = Path(sys.executable).parent
REAL = ROOT.parent / "shared" / "corpus"
CORPUS = REAL / "mfa" / "en"
ZH_CORPUS = REAL / "mfa" / "zh"
SEEDS = ROOT / "data" / "raw"
MEMORY_COPIES = 16  # 125 pages against 2,000: growth of a few KB a page shows
SEED = 20240601
BUILD_VERSION = 3  # bump when the generator or finish() changes, so cached archives are rebuilt
# Processes are timed as an installed program runs: with its bytecode cached
# (here under bench/out/, the source tree stays clean). This machine's
# environment sets PYTHONDONTWRITEBYTECODE, which makes every start compile
# the package from source; that cost is measured and reported on its own.
PYCACHE = OUT / "pycache"

sys.path.insert(0, str(ROOT / "src"))

from briefings import query  # noqa: E402
from briefings.models import Briefing, Participant, Turn  # noqa: E402
from briefings.people import Entities  # noqa: E402
from briefings.sqlite import sqlite3  # noqa: E402
from briefings.store import SCHEMA_VERSION, Archive  # noqa: E402

TARGETS = {
    "common_in_process_ms": 50.0,
    "zh_pair_in_process_ms": 50.0,
    "zh_char_in_process_ms": 200.0,
    "end_to_end_ms": 200.0,
    "vs_ripgrep": 3.0,
    "vs_sqlite_utils": 1.0,
    "ingest_pages_per_s": 100.0,
    "memory_growth": 1.25,
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


SLOW_SECONDS = 5.0  # a call slower than this (another tool's bad plan) is timed once, not `runs` times


def median_time(fn, runs: int) -> float:
    """Median wall time of fn() in milliseconds, after one warm-up call."""
    t0 = time.perf_counter()
    fn()
    if time.perf_counter() - t0 > SLOW_SECONDS:
        runs = 1
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


# -- ingest: throughput and memory, each in a child process -------------------

CHILD = r"""
import json, resource, sys, time, tracemalloc
sys.path.insert(0, sys.argv[1])
from briefings.ingest import ingest
from briefings.people import Entities
from briefings.store import Archive
paths, db, trace = sys.argv[2].split(","), sys.argv[3], sys.argv[4] == "1"
entities = Entities.load()
archive = Archive(db, write=True)
if trace:
    tracemalloc.start()
t0 = time.perf_counter()
report = ingest(paths, archive, entities)
elapsed = time.perf_counter() - t0
peak = tracemalloc.get_traced_memory()[1] if trace else None
archive.close()
print(json.dumps({"pages": report.pages, "briefings": report.briefings, "seconds": elapsed,
                  "traced_peak": peak,
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def ingest_child(paths: list[Path], db: Path, trace: bool = False) -> dict:
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            str(ROOT / "src"),
            ",".join(map(str, paths)),
            str(db),
            "1" if trace else "0",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def real_page_dirs() -> list[Path]:
    """Every folder of real pages: what ingest throughput is measured on."""
    return [p for p in (REAL / "mfa" / "en", REAL / "mfa" / "zh", SEEDS) if p.is_dir()]


def sample_page_dirs() -> list[Path]:
    """The English pages the synthetic archive copies its briefings and sentences from."""
    return [p for p in (CORPUS, SEEDS) if p.is_dir()]


def replicate_corpus(dest: Path, copies: int) -> list[Path]:
    """The MFA corpus `copies` times over, each copy's pages under other ids."""
    folders = []
    manifest = {}
    with (CORPUS / "manifest.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                entry = json.loads(line)
                manifest[entry["file"]] = entry
    for k in range(copies):
        folder = dest / f"copy{k}"
        folder.mkdir(parents=True)
        lines = []
        for page in sorted(CORPUS.glob("t*.html")):
            new_name = re.sub(r"^t(\d+)", lambda m: f"t{k + 1}{m.group(1)}", page.name)
            shutil.copyfile(page, folder / new_name)
            entry = dict(manifest.get(page.name, {}))
            entry["file"] = new_name
            for key in ("url", "final_url"):
                if entry.get(key):
                    entry[key] = re.sub(r"/t(\d+)\.", lambda m: f"/t{k + 1}{m.group(1)}.", entry[key])
            lines.append(json.dumps(entry))
        (folder / "manifest.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        folders.append(folder)
    return folders


def bench_ingest(runs: int) -> dict:
    OUT.mkdir(parents=True, exist_ok=True)
    dirs = real_page_dirs()
    results = [ingest_child(dirs, OUT / "real.db") for _ in range(max(1, min(runs, 3)))]
    seconds = statistics.median(r["seconds"] for r in results)
    figures = {
        "ingest_dirs": [os.path.relpath(d, ROOT) for d in dirs],
        "ingest_pages": results[0]["pages"],
        "ingest_briefings": results[0]["briefings"],
        "ingest_seconds": seconds,
        "ingest_pages_per_s": results[0]["pages"] / seconds,
    }
    ingest_child(sample_page_dirs(), OUT / "sample.db")
    if ZH_CORPUS.is_dir():
        ingest_child([ZH_CORPUS], OUT / "sample-zh.db")
    if CORPUS.is_dir():
        with tempfile.TemporaryDirectory(dir=OUT) as tmp:
            tmp = Path(tmp)
            copies = replicate_corpus(tmp / "pages", MEMORY_COPIES)
            small = ingest_child(copies[:1], tmp / "small.db", trace=True)
            large = ingest_child(copies, tmp / "large.db", trace=True)
            small_rss = ingest_child(copies[:1], tmp / "small.db")
            large_rss = ingest_child(copies, tmp / "large.db")
        extra = max(1, large["pages"] - small["pages"])
        figures.update(
            {
                "memory_pages": (small["pages"], large["pages"]),
                "memory_traced_mb": (small["traced_peak"] / 2**20, large["traced_peak"] / 2**20),
                "memory_rss_mb": (small_rss["maxrss_kb"] / 1024, large_rss["maxrss_kb"] / 1024),
                "memory_growth": large_rss["maxrss_kb"] / small_rss["maxrss_kb"],
                "memory_traced_bytes_per_page": (large["traced_peak"] - small["traced_peak"]) / extra,
                "memory_rss_bytes_per_page": (large_rss["maxrss_kb"] - small_rss["maxrss_kb"]) * 1024 / extra,
                "page_bytes": statistics.mean(p.stat().st_size for p in CORPUS.glob("t*.html")),
            }
        )
    return figures


# -- the synthetic archive ------------------------------------------------------

SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
ZH_SENTENCE_END = re.compile(r"(?<=[。！？])")


def load_sample(db: Path, chinese: bool = False) -> dict:
    conn = sqlite3.connect(db)
    briefings = []
    sentences = []
    for pk, source in conn.execute("SELECT pk, source FROM briefings ORDER BY pk"):
        turns = conn.execute(
            "SELECT label, speaker, role, kind, outlet, text FROM turns WHERE briefing_pk = ? ORDER BY seq",
            (pk,),
        ).fetchall()
        participants = conn.execute(
            "SELECT name, role, kind, label FROM participants WHERE briefing_pk = ? ORDER BY position", (pk,)
        ).fetchall()
        shape = []
        for label, speaker, role, kind, outlet, text in turns:
            if chinese:  # lengths in characters, sentences split at 。！？
                shape.append((label, speaker, role, kind, outlet, len(text)))
                sentences.extend(s for s in ZH_SENTENCE_END.split(text.replace("\n\n", "")) if s.strip())
                continue
            words = len(text.split())
            shape.append((label, speaker, role, kind, outlet, words))
            sentences.extend(s for s in SENTENCE_END.split(text.replace("\n\n", " ")) if s.strip())
        if shape:
            briefings.append({"source": source, "turns": shape, "participants": participants})
    conn.close()
    return {"briefings": briefings, "sentences": sentences, "chinese": chinese}


def synthetic_briefings(
    sample: dict, n_turns: int, seed: int, zh_sample: dict | None = None, zh_share: float = 0.0
):
    """Briefings shaped like the sample's, until n_turns turns; deterministic for a seed.

    With a Chinese sample, about zh_share of the briefings are Chinese: shaped
    like its briefings, of its real sentences, as many characters a turn as a
    real Chinese turn.
    """
    rng = random.Random(seed)
    samples = [sample] + ([zh_sample] if zh_sample else [])
    for one in samples:
        size = len if one["chinese"] else (lambda s: len(s.split()))
        one["lengths"] = [size(s) for s in one["sentences"]]
    start = 730120  # 2000-01-01 as a proleptic ordinal
    span = 9496  # days to 2025-12-31
    import datetime as dt

    made = 0
    i = 0
    while made < n_turns:
        one = zh_sample if zh_sample and rng.random() < zh_share else sample
        sentences, lengths, joiner = one["sentences"], one["lengths"], "" if one["chinese"] else " "
        template = rng.choice(one["briefings"])
        shape = template["turns"][: n_turns - made]
        date = dt.date.fromordinal(start + rng.randrange(span)).isoformat()
        turns = []
        for seq, (label, speaker, role, kind, outlet, words) in enumerate(shape, 1):
            parts, count = [], 0
            while count < max(words, 1):
                j = rng.randrange(len(sentences))
                parts.append(sentences[j])
                count += lengths[j]
            turns.append(
                Turn(
                    seq=seq,
                    label=label,
                    speaker=speaker,
                    role=role,
                    kind=kind,
                    outlet=outlet,
                    text=joiner.join(parts),
                )
            )
        participants = tuple(
            Participant(name=n, role=r, kind=k, label=lb) for n, r, k, lb in template["participants"]
        )
        bid = f"bench-{i:07d}"
        yield Briefing(
            id=bid,
            source=template["source"],
            url=None,
            title=f"Synthetic briefing {i} on {date}",
            date=date,
            published=None,
            language="zh" if one["chinese"] else "en",
            participants=participants,
            turns=tuple(turns),
            fingerprint=f"{seed}-{bid}",
        )
        made += len(turns)
        i += 1


def sample_digest(db: Path) -> str:
    conn = sqlite3.connect(db)
    h = hashlib.sha256()
    for row in conn.execute(
        "SELECT b.id, t.seq, t.text FROM turns t JOIN briefings b ON b.pk = t.briefing_pk ORDER BY b.id, t.seq"
    ):
        h.update(repr(row).encode())
    conn.close()
    return h.hexdigest()[:12]


def build_archive(n_turns: int, rebuild: bool, zh_share: float = 0.0) -> tuple[Path, Path, float | None]:
    """The cached synthetic archive and its plain-text export; build seconds if built now."""
    sample_db = OUT / "sample.db"
    zh_db = OUT / "sample-zh.db"
    zh_share = zh_share if zh_db.exists() else 0.0
    key = f"{n_turns}-{SEED}-{BUILD_VERSION}-{sample_digest(sample_db)}"
    if zh_share:
        key += f"-zh{zh_share:g}-{sample_digest(zh_db)}"
    db = OUT / f"archive-{key}.db"
    text = OUT / f"turns-{key}.txt"
    if db.exists() and text.exists() and not rebuild:
        migrate_cache(db)
        return db, text, None
    for old in OUT.glob("archive-*.db*"):
        old.unlink()
    for old in OUT.glob("turns-*.txt"):
        old.unlink()
    log(f"building a synthetic archive of {n_turns:,} turns in {db} (cached for later runs)")
    sample = load_sample(sample_db)
    zh_sample = load_sample(zh_db, chinese=True) if zh_share else None
    t0 = time.perf_counter()
    partial = db.with_suffix(".partial")
    for suffix in ("", "-wal", "-shm"):
        Path(str(partial) + suffix).unlink(missing_ok=True)
    archive = Archive(partial, write=True)
    # Bench-only: a crash here loses only the cache, so skip the per-commit fsync.
    archive.db.execute("PRAGMA synchronous = OFF")
    made = 0
    for b in synthetic_briefings(sample, n_turns, SEED, zh_sample, zh_share):
        archive.save(b)
        made += len(b.turns)
        if made % 100_000 < len(b.turns):
            log(f"  {made:,} turns, {time.perf_counter() - t0:.0f} s")
    archive.close()
    finish(partial)
    built = time.perf_counter() - t0
    export_text(partial, text)
    partial.rename(db)
    return db, text, built


def finish(db: Path) -> None:
    """Fold the WAL into the file, and nothing more: search is timed on the archive as
    `briefings ingest` leaves it, its FTS5 indexes in the segments automerge keeps,
    not merged into one (which makes queries up to 40% faster than users see)."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def migrate_cache(db: Path) -> None:
    """A cache built by an older schema is migrated in place (a new index is built
    from its turns), then finished like a new build; a current one is left as it is."""
    conn = sqlite3.connect(db)
    before = int(conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
    conn.close()
    if before == SCHEMA_VERSION:
        return
    log(f"migrating the cached archive from schema {before} to {SCHEMA_VERSION}")
    t0 = time.perf_counter()
    Archive(db, write=True).close()
    finish(db)
    log(f"  migrated in {time.perf_counter() - t0:.0f} s")


def export_text(db: Path, path: Path) -> None:
    """One line per turn: id, seq, date, speaker and the text, for ripgrep."""
    conn = sqlite3.connect(db)
    with path.open("w", encoding="utf-8") as fh:
        for bid, seq, date, speaker, text in conn.execute(
            "SELECT b.id, t.seq, b.date, t.speaker, t.text FROM turns t JOIN briefings b ON b.pk = t.briefing_pk "
            "ORDER BY t.pk"
        ):
            fh.write(f"{bid}\t{seq}\t{date}\t{speaker or ''}\t{text.replace(chr(10), ' ')}\n")
    conn.close()


# -- queries ---------------------------------------------------------------------


def pick_queries(db: Path) -> list[dict]:
    """The queries, chosen from the data by how many turns they match.

    Counted over the English turns: rare: a word in about 1 turn in 5,000;
    common: the word closest to 1 turn in 20 (as often as "Taiwan" is); very common: the word of six letters or
    more in the most turns (reported, with no target: see RESULTS.md);
    a phrase; and a common word with a speaker and a date filter.
    """
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    total = conn.execute("SELECT COUNT(*) FROM turns").fetchone()[0]
    sample = 20000
    counts: Counter = Counter()
    for (text,) in conn.execute(
        "SELECT t.text FROM turns t JOIN briefings b ON b.pk = t.briefing_pk "
        "WHERE b.language = 'en' ORDER BY t.pk LIMIT ?",
        (sample,),
    ):
        counts.update(set(re.findall(r"[A-Za-z]{6,}", text)))
    speaker = conn.execute(
        "SELECT speaker, COUNT(*) c FROM turns WHERE kind = 'answer' AND speaker IS NOT NULL "
        "GROUP BY speaker ORDER BY c DESC LIMIT 1"
    ).fetchone()[0]
    conn.close()

    def closest(share: float) -> str:
        return min(sorted(counts), key=lambda w: abs(counts[w] / sample - share))

    rare, common, very = closest(1 / 5000), closest(1 / 20), counts.most_common(1)[0][0]
    phrase = '"Belt and Road"'

    def rg(word):
        return ["-i", "-w", word]

    return [
        {"name": "rare word", "text": rare, "args": [], "rg": rg(rare)},
        {"name": "common word", "text": common, "args": [], "rg": rg(common)},
        {"name": "phrase", "text": phrase, "args": [], "rg": ["-i", "-w", "-F", "Belt and Road"]},
        {
            "name": "filtered",
            "text": common,
            "args": ["--speaker", speaker, "--since", "2015"],
            "filters": {"speaker": speaker, "since": "2015-01-01"},
            "rg": ["-i", "-e", rf"\t20(1[5-9]|2\d)-\d\d-\d\d\t{rust_escape(speaker)}\t.*\b{common}\b"],
        },
        {"name": "very common word", "text": very, "args": [], "rg": rg(very), "no_target": True},
        {"name": "_total", "turns": total},
    ]


def pick_chinese_queries(db: Path) -> list[dict]:
    """Chinese queries chosen as the English ones are, over the Chinese turns: a pair
    of characters in about 1 turn in 20 and one in about 1 in 5,000; a character in
    about 1 in 20, and the character in the most turns (reported, no target)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    sample = 20000
    pairs: Counter = Counter()
    chars: Counter = Counter()
    from briefings.text import HAN_RUN

    for (text,) in conn.execute(
        "SELECT t.text FROM turns t JOIN briefings b ON b.pk = t.briefing_pk "
        "WHERE b.language = 'zh' ORDER BY t.pk LIMIT ?",
        (sample,),
    ):
        runs = HAN_RUN.findall(text)
        chars.update(set("".join(runs)))
        pairs.update({r[i : i + 2] for r in runs for i in range(len(r) - 1)})
    conn.close()
    if not chars:
        return []

    def closest(counts: Counter, share: float) -> str:
        return min(sorted(counts), key=lambda w: abs(counts[w] / sample - share))

    return [
        {"name": "2 characters, common", "text": closest(pairs, 1 / 20), "target": "zh_pair_in_process_ms"},
        {"name": "2 characters, rare", "text": closest(pairs, 1 / 5000), "target": "zh_pair_in_process_ms"},
        {"name": "1 character, common", "text": closest(chars, 1 / 20), "target": "zh_char_in_process_ms"},
        {"name": "1 character, most common", "text": chars.most_common(1)[0][0], "target": None},
    ]


def index_sizes(db: Path) -> dict:
    """Bytes per character of each index's tables: the Chinese index per Han character
    of the Chinese turns, the English ones (stemmed and exact) per character of the
    English turns. dbstat is read through the standard library's SQLite, which has it."""
    import sqlite3 as stdlib_sqlite3

    from briefings.text import HAN_RUN

    conn = stdlib_sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    sizes = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
    han = en = 0
    for lang, text in conn.execute(
        "SELECT b.language, t.text FROM turns t JOIN briefings b ON b.pk = t.briefing_pk"
    ):
        if lang == "zh":
            han += sum(map(len, HAN_RUN.findall(text)))
        else:
            en += len(text)
    conn.close()

    def of(prefix):
        return sum(v for k, v in sizes.items() if k.startswith(prefix + "_"))

    return {
        "han_chars": han,
        "en_chars": en,
        "han_bytes": of("turns_han"),
        "en_bytes": of("turns_fts") + of("turns_exact"),
        "han_content_bytes": sizes.get("turns_han_content", 0),
        "turns_bytes": sizes.get("turns", 0),
    }


def bench_chinese(db: Path, runs: int) -> dict:
    """Chinese queries ranked top-20 in process and as `briefings search` processes."""
    queries = pick_chinese_queries(db)
    if not queries:
        return {}
    archive = Archive(db)
    env = process_env()
    rows = []
    for q in queries:
        filters = query.Filters()
        row = {
            **q,
            "matches": query.count_matches(archive.db, q["text"], filters),
            "in_process_ms": median_time(
                lambda: query.search(archive.db, q["text"], filters, limit=20), runs
            ),
        }
        cmd = [str(BIN / "briefings"), "search", q["text"], "--db", str(db)]
        row["json_ms"] = median_time(lambda: run_process(cmd + ["--json"], env), runs)
        row["table_ms"] = median_time(lambda: run_process(cmd, env), runs)
        rows.append(row)
        log(f"  {row}")
    zh_turns = archive.db.execute(
        "SELECT count(*) FROM turns t JOIN briefings b ON b.pk = t.briefing_pk WHERE b.language = 'zh'"
    ).fetchone()[0]
    archive.close()
    return {"rows": rows, "zh_turns": zh_turns, "sizes": index_sizes(db)}


def rust_escape(text: str) -> str:
    """Escape regex syntax for ripgrep (which, unlike Python's re.escape, refuses an escaped space)."""
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", text)


def find_ripgrep() -> str | None:
    """rg on PATH; else, as root on Debian, `apt-get install ripgrep` (no PyPI wheel builds offline)."""
    found = shutil.which("rg")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    log("ripgrep is missing: apt-get install -y ripgrep")
    subprocess.run(["apt-get", "install", "-y", "-qq", "ripgrep"], capture_output=True)
    return shutil.which("rg")


def process_env(bytecode: bool = True) -> dict:
    env = dict(os.environ, NO_COLOR="1", COLUMNS="120")
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    return env


def run_process(cmd: list[str], env: dict) -> None:
    subprocess.run(cmd, env=env, check=True, capture_output=True)


# What `sqlite-utils` is asked for the filtered query: the SQL `Table.search()`
# runs, with the speaker and date as its `where` (the date lives on briefings).
SU_WHERE = "speaker = :speaker and briefing_pk in (select pk from briefings where date >= :since)"


def sqlite_utils_search(su_db, q: dict) -> list:
    where = q.get("filters")
    if not where:
        return list(su_db["turns"].search(q["text"], limit=20))
    return list(
        su_db["turns"].search(
            q["text"],
            limit=20,
            where=SU_WHERE,
            where_args={"speaker": where["speaker"], "since": where["since"]},
        )
    )


def sqlite_utils_cmd(su_db, db: Path, q: dict) -> list[str]:
    exe = str(BIN / "sqlite-utils")
    if not q.get("filters"):
        return [exe, "search", str(db), "turns", q["text"], "--limit", "20"]
    sql = su_db["turns"].search_sql(where=SU_WHERE, limit=20)
    f = q["filters"]
    return [
        exe,
        "query",
        str(db),
        sql,
        "-p",
        "query",
        q["text"],
        "-p",
        "speaker",
        f["speaker"],
        "-p",
        "since",
        f["since"],
    ]


def bench_search(db: Path, text_export: Path, runs: int) -> dict:
    import sqlite_utils

    queries = pick_queries(db)
    total = queries.pop()["turns"]
    entities = Entities.load()
    archive = Archive(db)
    su_db = sqlite_utils.Database(sqlite3.connect(f"file:{db}?mode=ro", uri=True))
    env = process_env()
    rg = find_ripgrep()
    rows = []
    for q in queries:
        filters = query.Filters(**q.get("filters", {}))
        hits = query.search(archive.db, q["text"], filters, limit=20, entities=entities)
        matched = query.count_matches(archive.db, q["text"], filters, entities=entities)
        row = {
            "query": q["name"],
            "target": not q.get("no_target"),
            "text": q["text"] + ("" if not q["args"] else " " + " ".join(q["args"])),
            "matches": matched,
            "hits": len(hits),
        }
        row["in_process_ms"] = median_time(
            lambda: query.search(archive.db, q["text"], filters, limit=20, entities=entities), runs
        )
        cmd = [str(BIN / "briefings"), "search", q["text"], *q["args"], "--db", str(db)]
        row["json_ms"] = median_time(lambda: run_process(cmd + ["--json"], env), runs)
        row["table_ms"] = median_time(lambda: run_process(cmd, env), runs)
        if rg:
            rg_cmd = [rg, "--count", "--no-filename", *q["rg"], str(text_export)]
            row["ripgrep_ms"] = median_time(lambda: run_process(rg_cmd, env), runs)
        row["su_in_process_ms"] = median_time(lambda: sqlite_utils_search(su_db, q), runs)
        su_cmd = sqlite_utils_cmd(su_db, db, q)
        row["su_ms"] = median_time(lambda: run_process(su_cmd, env), runs)
        rows.append(row)
        log(f"  {row}")
    common = next(q for q in queries if q["name"] == "common word")
    filtered = next(q for q in queries if q["name"] == "filtered")
    cmd = [str(BIN / "briefings"), "search", common["text"], "--json", "--db", str(db)]
    no_cache_ms = median_time(lambda: run_process(cmd, process_env(bytecode=False)), runs)
    su_db.conn.close()
    archive.close()
    return {
        "turns": total,
        "rows": rows,
        "ripgrep": bool(rg),
        "no_bytecode_cache_ms": no_cache_ms,
        "chinese": bench_chinese(db, runs),
        "startup": bench_startup(runs),
        "phrase": bench_phrase(db, runs),
        "commands": bench_commands(db, common["text"], filtered["filters"]["speaker"], runs),
    }


def bench_commands(db: Path, word: str, speaker: str, runs: int) -> dict:
    """The other reading commands at this size, as processes: no targets, but a plan
    that goes wrong (SQLite has no statistics for an archive) shows here as seconds."""
    exe = str(BIN / "briefings")
    env = process_env()
    commands = {
        f"who {word}": ["who", word],
        f"who {word} --since 2015": ["who", word, "--since", "2015"],
        f"timeline {word} --by month": ["timeline", word, "--by", "month"],
        f"timeline {word} --speaker '{speaker}'": ["timeline", word, "--speaker", speaker],
        f"list --speaker '{speaker}' --since 2019": ["list", "--speaker", speaker, "--since", "2019"],
        "speakers": ["speakers"],
        f"search {word} --sort date --speaker '{speaker}'": [
            "search",
            word,
            "--sort",
            "date",
            "--speaker",
            speaker,
        ],
        "search (a passage of 10,000 words)": ["search", long_query(db, LONG_QUERY_WORDS)],
    }
    return {
        name: median_time(lambda: run_process([exe, *args, "--json", "--db", str(db)], env), runs)
        for name, args in commands.items()
    }


LONG_QUERY_WORDS = 10_000


def long_query(db: Path, words: int) -> str:
    """The longest of the first 1,000 turns, repeated to `words` words: a passage pasted
    whole, which finds its turn. A query's cost must grow with its length only linearly."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    text = (
        conn.execute(
            "SELECT text FROM (SELECT text FROM turns ORDER BY pk LIMIT 1000) "
            "ORDER BY length(text) DESC LIMIT 1"
        )
        .fetchone()[0]
        .split()
    )
    conn.close()
    return " ".join((text * (words // len(text) + 1))[:words])


def bench_startup(runs: int) -> dict:
    """What a process pays before it searches: Python, click, the package, rich."""
    py = str(BIN / "python")
    env = process_env()
    steps = {
        "python": [py, "-c", "pass"],
        "python + click": [py, "-c", "import click"],
        "python + briefings.cli": [py, "-c", "import briefings.cli"],
        "python + briefings.cli + rich table": [py, "-c", "import briefings.cli, rich.console, rich.table"],
        "briefings --version": [str(BIN / "briefings"), "--version"],
    }
    return {name: median_time(lambda: run_process(cmd, env), runs) for name, cmd in steps.items()}


def bench_phrase(db: Path, runs: int) -> dict:
    """What ranking a phrase costs, step by step, on the phrase's own index.

    FTS5 has no top-k: bm25() scores every matching turn, and for a phrase it
    also runs the phrase once more over the whole index to count the turns
    that hold it (its idf). For comparison: ranking the phrase's words
    instead, and a single word in as many turns.
    """
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    phrase = '"Belt and Road"'
    words = '"belt" "and" "road"'

    def timed(sql, q):
        return median_time(lambda: conn.execute(sql, (q,)).fetchall(), runs)

    top = "SELECT rowid, bm25({i}) AS s FROM {i} WHERE {i} MATCH ? ORDER BY s LIMIT 200"
    out = {
        "find the phrase (turns_exact, no ranking)": timed(
            "SELECT count(*) FROM turns_exact WHERE turns_exact MATCH ?", phrase
        ),
        "rank the phrase, best 200 (turns_exact)": timed(top.format(i="turns_exact"), phrase),
        "rank the phrase, best 200 (turns_fts, stemmed)": timed(top.format(i="turns_fts"), phrase),
        "rank its words instead, best 200 (turns_fts)": timed(top.format(i="turns_fts"), words),
    }
    conn.close()
    return out


# -- report ----------------------------------------------------------------------


def ratios(r: dict) -> dict:
    """How many times faster briefings is than each tool on this query (above 1: briefings wins)."""
    out = {}
    if "ripgrep_ms" in r:
        out["rg_in_process"] = r["ripgrep_ms"] / r["in_process_ms"]
        out["rg_end_to_end"] = r["ripgrep_ms"] / r["json_ms"]
    out["su_in_process"] = r["su_in_process_ms"] / r["in_process_ms"]
    out["su_end_to_end"] = r["su_ms"] / r["json_ms"]
    return out


def verdicts(ingest: dict, search: dict) -> list[tuple[str, str, str, bool | None]]:
    """(target, figure, goal, met); met is None for a figure reported beside a target, not judged."""
    by = {r["query"]: r for r in search["rows"]}
    rows = [r for r in search["rows"] if r["target"]]
    out = []
    common = by["common word"]
    out.append(
        (
            "in-process ranked top-20, common word",
            f"{common['in_process_ms']:.1f} ms",
            f"<= {TARGETS['common_in_process_ms']:.0f} ms",
            common["in_process_ms"] <= TARGETS["common_in_process_ms"],
        )
    )
    for key, label in (("json_ms", "`--json`"), ("table_ms", "terminal table")):
        worst = max(r[key] for r in rows)
        out.append(
            (
                f"`briefings search` end to end, {label}, slowest of the four",
                f"{worst:.0f} ms",
                f"<= {TARGETS['end_to_end_ms']:.0f} ms",
                worst <= TARGETS["end_to_end_ms"],
            )
        )
    # The ripgrep target is the search over the same text: query.search against the rg
    # process. End to end the figure is reported, not judged: a briefings process first
    # spends what Python and click take to start (see the start-up table), which no
    # search over the text can win back. `sqlite-utils search` is a command, so it is
    # judged process against process.
    for key, label, tool, target, judged in (
        (
            "rg_in_process",
            "over the same text, the search (in process) vs the rg process",
            "ripgrep",
            "vs_ripgrep",
            True,
        ),
        (
            "rg_end_to_end",
            "over the same text, end to end, process vs process",
            "ripgrep",
            "vs_ripgrep",
            False,
        ),
        (
            "su_end_to_end",
            "on the same file, end to end, process vs process",
            "sqlite-utils",
            "vs_sqlite_utils",
            True,
        ),
    ):
        found = [(ratios(r)[key], r["query"]) for r in rows if key in ratios(r)]
        if found:
            ratio, which = min(found)
            goal = f">= {TARGETS[target]:.0f}x" if TARGETS[target] > 1 else ">= 1.0x"
            if not judged:
                goal = f"reported ({goal} is judged on the search)"
            out.append(
                (
                    f"faster than {tool} {label} (worst of the four: {which})",
                    f"{ratio:.1f}x",
                    goal,
                    ratio >= TARGETS[target] if judged else None,
                )
            )
    for r in search.get("chinese", {}).get("rows", []):
        if r["target"]:
            goal = TARGETS[r["target"]]
            out.append(
                (
                    f"in-process ranked top-20, Chinese, {r['name']} `{r['text']}`",
                    f"{r['in_process_ms']:.1f} ms",
                    f"<= {goal:.0f} ms",
                    r["in_process_ms"] <= goal,
                )
            )
    if search.get("chinese", {}).get("rows"):
        worst = max(r["json_ms"] for r in search["chinese"]["rows"] if r["target"])
        out.append(
            (
                "`briefings search` end to end, `--json`, slowest Chinese query with a target",
                f"{worst:.0f} ms",
                f"<= {TARGETS['end_to_end_ms']:.0f} ms",
                worst <= TARGETS["end_to_end_ms"],
            )
        )
    out.append(
        (
            "ingest throughput, every real page",
            f"{ingest['ingest_pages_per_s']:.1f} pages/s",
            f">= {TARGETS['ingest_pages_per_s']:.0f} pages/s",
            ingest["ingest_pages_per_s"] >= TARGETS["ingest_pages_per_s"],
        )
    )
    if "memory_growth" in ingest:
        n, n_large = ingest["memory_pages"]
        out.append(
            (
                f"peak ingest memory (RSS), {n_large:,} pages vs {n}",
                f"{ingest['memory_growth']:.2f}x",
                f"<= {TARGETS['memory_growth']:.2f}x",
                ingest["memory_growth"] <= TARGETS["memory_growth"],
            )
        )
    return out


VERDICT = {True: "PASS", False: "FAIL", None: "-"}


def report(ingest: dict, search: dict, build_seconds: float | None, load: tuple[float, float]) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Latest `make bench` on {platform.node() or 'this machine'}: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{time.strftime('%Y-%m-%d %H:%M')}; load average {load[0]:.2f} before and {load[1]:.2f} after "
        "(other work on the machine slows every figure). Medians of "
        f"{search.get('runs', 7)} runs; times in milliseconds.",
        "",
        f"Synthetic archive: {search['turns']:,} turns (seed {SEED})"
        + (f", built in {build_seconds:.0f} s" if build_seconds else ", cached")
        + ".",
        "",
        "| query | text | matching turns | in process | `briefings search --json` | `briefings search` (table) "
        "| ripgrep | sqlite-utils in process | sqlite-utils process |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in search["rows"]:
        rg = f"{r['ripgrep_ms']:.0f}" if "ripgrep_ms" in r else "-"
        share = f" ({100 * r['matches'] / search['turns']:.2g}%)"
        lines.append(
            f"| {r['query']} | `{r['text']}` | {r['matches']:,}{share} | {r['in_process_ms']:.1f} | "
            f"{r['json_ms']:.0f} | {r['table_ms']:.0f} | {rg} | {r['su_in_process_ms']:.1f} | {r['su_ms']:.0f} |"
        )
    lines += [
        "",
        "How many times faster briefings is (above 1: briefings wins; ripgrep is always a process, "
        "so in process means the rg process against `query.search`; sqlite-utils in process is "
        "`Table.search()`, 20 rows with no snippets, no context and no joins):",
        "",
        "| query | vs ripgrep, in process | vs ripgrep, end to end | vs sqlite-utils, in process "
        "| vs sqlite-utils, end to end |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in search["rows"]:
        x = ratios(r)
        cell = lambda k: f"{x[k]:.1f}x" if k in x else "-"  # noqa: E731
        lines.append(
            f"| {r['query']} | {cell('rg_in_process')} | {cell('rg_end_to_end')} | "
            f"{cell('su_in_process')} | {cell('su_end_to_end')} |"
        )
    lines += [
        "",
        "Start-up of a process (what every `briefings search` pays before it searches):",
        "",
        "| process | ms |",
        "|---|---:|",
    ]
    lines += [f"| `{name}` | {ms:.0f} |" for name, ms in search["startup"].items()]
    lines += [
        "",
        f"With PYTHONDONTWRITEBYTECODE set, as this machine's environment does, each start compiles "
        f"the package from source: `briefings search` for the common word then takes "
        f"{search['no_bytecode_cache_ms']:.0f} ms instead of "
        f"{next(r['json_ms'] for r in search['rows'] if r['query'] == 'common word'):.0f}.",
        "",
        f'What the phrase `"Belt and Road"` costs, on the {search["turns"]:,} turns:',
        "",
        "| step | ms |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {ms:.1f} |" for name, ms in search["phrase"].items()]
    zh = search.get("chinese") or {}
    if zh:
        z = zh["sizes"]
        lines += [
            "",
            f"Chinese search on the {zh['zh_turns']:,} Chinese turns of the {search['turns']:,} "
            "(turns_han; ranked top 20 with snippets):",
            "",
            "| query | text | matching turns | in process | `briefings search --json` | `briefings search` (table) |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for r in zh["rows"]:
            lines.append(
                f"| {r['name']} | `{r['text']}` | {r['matches']:,} "
                f"({100 * r['matches'] / max(zh['zh_turns'], 1):.2g}%) | {r['in_process_ms']:.1f} | "
                f"{r['json_ms']:.0f} | {r['table_ms']:.0f} |"
            )
        lines += [
            "",
            f"Index size: turns_han {z['han_bytes'] / 2**20:,.0f} MiB for {z['han_chars']:,} Han characters "
            f"= {z['han_bytes'] / max(z['han_chars'], 1):.1f} bytes per character "
            f"({z['han_content_bytes'] / max(z['han_chars'], 1):.1f} of them its derived text); "
            f"turns_fts + turns_exact {z['en_bytes'] / 2**20:,.0f} MiB for {z['en_chars']:,} characters of "
            f"English turns = {z['en_bytes'] / max(z['en_chars'], 1):.1f} bytes per character; "
            f"the turns table itself {z['turns_bytes'] / 2**20:,.0f} MiB.",
        ]
    lines += [
        "",
        f"The other reading commands on the {search['turns']:,} turns, as processes with `--json` "
        "(no targets):",
        "",
        "| command | ms |",
        "|---|---:|",
    ]
    lines += [f"| `briefings {name}` | {ms:.0f} |" for name, ms in search["commands"].items()]
    lines += [
        "",
        f"Ingest: {ingest['ingest_pages']} real pages ({', '.join(ingest['ingest_dirs'])}; "
        f"{ingest['ingest_briefings']} briefings) in {ingest['ingest_seconds']:.2f} s "
        f"= {ingest['ingest_pages_per_s']:.1f} pages/s.",
    ]
    if "memory_growth" in ingest:
        (n, n_large), (t1, t2), (r1, r2) = (
            ingest["memory_pages"],
            ingest["memory_traced_mb"],
            ingest["memory_rss_mb"],
        )
        lines.append(
            f"Peak ingest memory: {n} pages {t1:.1f} MB traced / {r1:.0f} MB RSS; "
            f"{n_large:,} pages {t2:.1f} MB traced / {r2:.0f} MB RSS: "
            f"{ingest['memory_traced_bytes_per_page'] / 1024:.1f} KB traced and "
            f"{ingest['memory_rss_bytes_per_page'] / 1024:.1f} KB RSS more per extra page, "
            f"against {ingest['page_bytes'] / 1024:.0f} KB of page."
        )
    lines += ["", "| target | figure | goal | verdict |", "|---|---:|---|---|"]
    for name, figure, goal, ok in verdicts(ingest, search):
        lines.append(f"| {name} | {figure} | {goal} | {VERDICT[ok]} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=1_000_000, help="size of the synthetic archive")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per figure (median)")
    parser.add_argument(
        "--zh-share",
        type=float,
        default=0.5,
        help="share of the synthetic briefings that are Chinese (0 for none)",
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached archive")
    parser.add_argument("--no-results", action="store_true", help="do not write bench/RESULTS.md")
    parser.add_argument("--build-only", action="store_true", help="only build (or find) the cached archive")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    log(f"load average {load_before:.2f}")
    log("ingest: throughput on every real page; memory at 125 and 2,000 pages")
    ingest = bench_ingest(args.runs)
    db, text_export, built = build_archive(args.turns, args.rebuild, args.zh_share)
    if args.build_only:
        log(f"archive: {db}; text export: {text_export}")
        return 0
    log(f"search: {db.name}")
    search = bench_search(db, text_export, args.runs)
    search["runs"] = args.runs
    # bench/verify.py: quote checks at this size, the Chinese goals, ingest with zh-2020s.
    import verify as verify_bench

    more, more_met = verify_bench.bench(db, args.runs, OUT, search["turns"], chinese=search.get("chinese"))
    text = report(ingest, search, built, (load_before, os.getloadavg()[0])) + more
    print(text)
    if not args.no_results:
        RESULTS.write_text(text, encoding="utf-8")
    return 0 if more_met and all(ok is not False for *_, ok in verdicts(ingest, search)) else 1


if __name__ == "__main__":
    sys.exit(main())
