"""Ingest streams: peak memory does not grow with the number of pages.

The MFA corpus is copied under other ids (each copy with a line of its own) into one folder with one manifest
(what `crawl` leaves: every page of a source beside one manifest.jsonl), 125
pages and then 2,000, and each is ingested in a child process under
tracemalloc. Only what one transcript needs may be held at once; what is
kept for every page (its id in the report) is a few dozen bytes. (Python
itself grows its table of interned strings once as many file names pass
through pathlib; that is a step, not a slope, so the slope is measured too.)
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
import gc, json, sys, tracemalloc
sys.path.insert(0, sys.argv[1])
from briefings.ingest import ingest
from briefings.people import Entities
from briefings.store import Archive
entities = Entities.load()
held, seen = [], [0]  # memory in use after every 250th transcript
def on_group(group):
    seen[0] += 1
    if seen[0] % 250 == 0:
        gc.collect()
        held.append(tracemalloc.get_traced_memory()[0])
with Archive(sys.argv[3], write=True) as archive:
    tracemalloc.start()
    report = ingest([sys.argv[2]], archive, entities, on_group=on_group)
    peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({"pages": report.pages, "briefings": report.briefings, "peak": peak, "held": held}))
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
            body = body.replace(b'<div class="content">', f'<div class="content"><p>(Copy {k}.)</p>'.encode(), 1)
        (dest / name).write_bytes(body)
        entry = dict(entries.get(page.name, {}), file=name)
        for key in ("url", "final_url"):
            if entry.get(key):
                entry[key] = re.sub(r"/t(\d+)\.", lambda m: f"/t{k + 1}{m.group(1)}.", entry[key])
        lines.append(json.dumps(entry))
    (dest / "manifest.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dest


def peak(folder: Path, db: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT / "src"), str(folder), str(db)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.mark.timeout(300)
def test_peak_memory_does_not_grow_with_the_pages(tmp_path):
    if not (CORPUS / "en").is_dir():
        pytest.skip("../shared/corpus/mfa/en is not present")
    small = peak(copies(tmp_path / "small", 125), tmp_path / "small.db")
    large = peak(copies(tmp_path / "large", 2000), tmp_path / "large.db")
    assert (small["briefings"], large["briefings"]) == (125, 2000)
    per_page = (large["peak"] - small["peak"]) / (2000 - 125)
    # Once running, what stays held per transcript: its id in the report, little else.
    steady = (large["held"][-1] - large["held"][0]) / (250 * (len(large["held"]) - 1))
    print(f"peak traced memory: {small['peak'] / 2**20:.2f} MB for 125 pages, {large['peak'] / 2**20:.2f} MB "
          f"for 2,000 ({per_page:.0f} bytes a page, one-off growth of Python's own tables included); "
          f"held from the 250th transcript to the 2,000th: {steady:.0f} bytes a page")
    assert steady < 150, steady
    assert per_page < 1500, per_page  # it was 5-7 KB a page when every page's ref and manifest entry was held
