"""Ingest streams: what it holds does not grow with the number of pages.

The MFA corpus is copied under other ids into one folder with one manifest
(what `crawl` leaves: every page of a source beside one manifest.jsonl), 2,000
pages, and ingested in a child process that counts, after every 250th
transcript, the objects the garbage collector tracks: every list, dict,
tuple and record a page could leave behind. Streaming means the count stays
where it was at the 250th, no page body or parsed briefing outlives its
transcript, and the only container that grows with the pages is the report's
list of ids. Counts, not bytes: they do not depend on when the allocator
returns memory or on what else runs on the machine. The bytes (RSS and
tracemalloc's peak, 125 pages against 2,000) are measured by `make bench`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CORPUS, ROOT

CHILD = r"""
import gc, json, sys
sys.path.insert(0, sys.argv[1])
from briefings.ingest import ingest
from briefings.models import Briefing, RawPage
from briefings.people import Entities
from briefings.store import Archive
entities = Entities.load()
marks, seen = [], [0]
def on_group(group):
    seen[0] += 1
    if seen[0] % 250 == 0:
        gc.collect()
        objects = gc.get_objects()
        marks.append({"tracked": len(objects),
                      "briefings": sum(isinstance(o, Briefing) for o in objects),
                      "bodies": sum(isinstance(o, RawPage) and bool(o.body) for o in objects)})
with Archive(sys.argv[3], write=True) as archive:
    report = ingest([sys.argv[2]], archive, entities, on_group=on_group)
gc.collect()
own = {id(v) for v in vars(report).values()}
large = [type(o).__name__ for o in gc.get_objects()
         if isinstance(o, (list, dict, set, tuple)) and len(o) > 1000 and id(o) not in own]
print(json.dumps({"pages": report.pages, "briefings": report.briefings, "ids": len(report.ids),
                  "marks": marks, "large": large}))
"""


def copies(dest: Path, n: int) -> Path:
    """n transcript pages of the corpus, copied as often as it takes under new ids, each copy's text
    its own, one manifest for all."""
    source = CORPUS / "en"
    entries = {}
    for line in (source / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            entries[entry["file"]] = entry
    pages = sorted(source.glob("t*.html"))
    dest.mkdir()
    lines = []
    for i in range(n):
        page = pages[i % len(pages)]
        k = i // len(pages)
        name = re.sub(r"^t(\d+)", lambda m: f"t{k + 1}{m.group(1)}", page.name)
        body = page.read_bytes()
        if k:  # a line of its own: the same text under two ids would be one briefing and a duplicate
            body = body.replace(
                b'<div class="content">', f'<div class="content"><p>(Copy {k}.)</p>'.encode(), 1
            )
        (dest / name).write_bytes(body)
        entry = dict(entries.get(page.name, {}), file=name)
        for key in ("url", "final_url"):
            if entry.get(key):
                entry[key] = re.sub(r"/t(\d+)\.", lambda m: f"/t{k + 1}{m.group(1)}.", entry[key])
        lines.append(json.dumps(entry))
    (dest / "manifest.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dest


def counts(folder: Path, db: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT / "src"), str(folder), str(db)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.timeout(300)
def test_what_ingest_holds_does_not_grow_with_the_pages(tmp_path):
    if not (CORPUS / "en").is_dir():
        pytest.skip("../shared/corpus/mfa/en is not present")
    run = counts(copies(tmp_path / "large", 2000), tmp_path / "large.db")
    assert (run["pages"], run["briefings"], run["ids"]) == (2000, 2000, 2000)
    marks = run["marks"]
    assert len(marks) == 8
    print("objects tracked after every 250th transcript:", [m["tracked"] for m in marks])
    # Between transcripts nothing of the last one is alive: no page body, no parsed briefing.
    assert all(m["bodies"] == 0 and m["briefings"] == 0 for m in marks), marks
    # Holding one object a page would add 1,750 from the first mark to the last: the count stays
    # within a few hundred (caches filling, the report's lists growing in steps) of where it was.
    assert max(m["tracked"] for m in marks) - marks[0]["tracked"] < 500, marks
    # And the report's own lists (an id a transcript) are the only large containers left.
    assert run["large"] == [], run["large"]
