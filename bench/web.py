"""Benchmark of `briefings serve` on a synthetic archive of a million turns.

    make bench                                   # runs this after bench/run.py
    .venv/bin/python bench/web.py --turns 100000

The archive is bench/run.py's synthetic one (briefings shaped like the real
MFA pages, made of their sentences, half of them Chinese), built by its own
code and cached under /tmp/briefings-bench-web for later runs. A server is
started in this process on 127.0.0.1 with a port the OS picks, and:

1. the search page (/search?q=..., hits, facets and all) is timed end to end
   over HTTP for a rare word, a common word, a phrase and a filtered query:
   the median of --runs requests each (goal: at most 300 ms);
2. a load test sends 200 requests at once (search pages, search.json,
   transcript pages), at most 200 connections, to 127.0.0.1 only, and counts
   the answers that are not 200.

Nothing here is asserted by the tests; figures vary with the machine's load.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as base  # noqa: E402  bench/run.py: the synthetic archive and its samples
from briefings import web  # noqa: E402  (bench/run.py puts src/ first on the path)

GOAL_MS = 300.0
CONCURRENT = 200
base.OUT = Path(tempfile.gettempdir()) / "briefings-bench-web"


def archive(turns: int, rebuild: bool, zh_share: float) -> Path:
    """bench/run.py's synthetic archive, its samples ingested first when missing."""
    base.OUT.mkdir(parents=True, exist_ok=True)
    if not (base.OUT / "sample.db").exists():
        base.ingest_child(base.sample_page_dirs(), base.OUT / "sample.db")
    if zh_share and base.ZH_CORPUS.is_dir() and not (base.OUT / "sample-zh.db").exists():
        base.ingest_child([base.ZH_CORPUS], base.OUT / "sample-zh.db")
    db, _, built = base.build_archive(turns, rebuild, zh_share)
    if built is not None:
        base.log(f"built in {built:.0f} s")
    return db


def queries(db: Path) -> dict[str, dict]:
    """bench/run.py's queries (a rare word, a common word, a phrase, a filtered one), as page parameters."""
    out = {}
    for q in base.pick_queries(db):
        if q["name"].startswith("_"):
            continue
        params = {"q": q["text"]}
        for key, value in q.get("filters", {}).items():
            params[key] = value
        out[q["name"]] = params
    return out


def time_page(client: httpx.Client, params: dict, runs: int) -> tuple[float, int]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        r = client.get("/search", params=params)
        times.append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()
    return statistics.median(times), len(r.content)


async def load(url: str, paths: list[str]) -> dict:
    limits = httpx.Limits(max_connections=CONCURRENT, max_keepalive_connections=CONCURRENT)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=600) as client:

        async def one(path: str):
            t0 = time.perf_counter()
            try:
                r = await client.get(path)
                return r.status_code, time.perf_counter() - t0
            except httpx.HTTPError as exc:
                return repr(exc), time.perf_counter() - t0

        t0 = time.perf_counter()
        results = await asyncio.gather(*(one(paths[i % len(paths)]) for i in range(CONCURRENT)))
        wall = time.perf_counter() - t0
    latencies = sorted(s for _, s in results)
    errors = [code for code, _ in results if code != 200]
    return {
        "requests": len(results),
        "errors": len(errors),
        "first_errors": errors[:3],
        "wall_s": wall,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p95_ms": 1000 * latencies[int(len(latencies) * 0.95) - 1],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=1_000_000, help="size of the synthetic archive")
    parser.add_argument("--runs", type=int, default=7, help="timed requests per query (median)")
    parser.add_argument("--zh-share", type=float, default=0.5, help="share of Chinese briefings")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached archive")
    args = parser.parse_args()
    db = archive(args.turns, args.rebuild, args.zh_share)
    base.log(f"web: {db} ({args.turns:,} turns), load average {base.os.getloadavg()[0]:.2f}")
    running = web.start(db)
    ok = True
    try:
        with httpx.Client(base_url=running.url, timeout=600) as client:
            client.get("/search", params={"q": "warm"})  # each worker's first open is not the page's cost
            found = queries(db)
            print(f"Search page, median of {args.runs} over HTTP (goal <= {GOAL_MS:.0f} ms):")
            for name, params in found.items():
                ms, size = time_page(client, params, args.runs)
                verdict = "PASS" if ms <= GOAL_MS else "FAIL"
                ok &= ms <= GOAL_MS
                shown = " ".join(f"{k}={v}" for k, v in params.items())
                print(f"  {name:16} {ms:8.1f} ms  {size / 1024:6.1f} KB  {verdict}  ({shown})")
            hits = client.get("/search.json", params={"q": found["common word"]["q"], "limit": "50"}).json()
        pages = [f"/search?q={p['q']}&page={i % 3 + 1}" for i, p in enumerate(found.values())]
        pages += ["/search.json?q=" + found["rare word"]["q"]]
        pages += [f"/briefing/{h['briefing_id']}#t{h['seq']}" for h in hits[:20]]
        figures = asyncio.run(load(running.url, pages))
        verdict = "PASS" if figures["errors"] == 0 else "FAIL"
        ok &= figures["errors"] == 0
        print(
            f"Load: {figures['requests']} requests at once over {len(pages)} pages: {figures['errors']} errors "
            f"{figures['first_errors'] or ''}, all done in {figures['wall_s']:.1f} s, "
            f"p50 {figures['p50_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms  {verdict}"
        )
    finally:
        running.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
