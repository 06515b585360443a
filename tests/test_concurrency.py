"""Concurrency with real processes: reads during a write, two writers at once.

The archive is in WAL mode, so readers see the last committed briefing and
never wait for a writer; writers take turns per briefing (BEGIN IMMEDIATE with
a busy timeout), so two ingests at once both finish, or the second says the
archive is busy, in one line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from briefings.sqlite import sqlite3
from conftest import CORPUS, ROOT
from test_crash import assert_whole, content, generated_pages

BIN = Path(sys.executable).parent / "briefings"
SEEDS = ROOT / "data" / "raw" / "seeds"


def start(*args) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "120", "NO_COLOR": "1"},
    )


def finish(proc: subprocess.Popen, timeout: float = 90) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> list[Path]:
    """Enough pages for an ingest to take a couple of seconds."""
    generated = generated_pages(tmp_path_factory.mktemp("concurrency") / "pages", n=150)
    return [CORPUS / "en", generated] if (CORPUS / "en").is_dir() else [generated]


def test_writes_use_wal(db_path):
    assert finish(start("ingest", SEEDS, "--db", db_path))[0] == 0
    assert sqlite3.connect(db_path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.timeout(120)
def test_searches_while_an_ingest_writes(db_path, pages):
    assert finish(start("ingest", SEEDS, "--db", db_path))[0] == 0
    writer = start("ingest", *pages, "--db", db_path)
    during, counts = 0, []
    while writer.poll() is None:
        searches = [
            start("search", "customs", "--json", "--db", db_path),
            start("list", "--json", "--db", db_path),
            start("check", "--json", "--db", db_path),
        ]
        (rc_s, out_s, err_s), (rc_l, out_l, err_l), (rc_c, out_c, err_c) = map(finish, searches)
        for rc, err in ((rc_s, err_s), (rc_l, err_l), (rc_c, err_c)):
            assert rc == 0 and "locked" not in err and "busy" not in err, (err, out_c)
        assert json.loads(out_s)
        assert json.loads(out_c)["ok"], out_c
        counts.append(len(json.loads(out_l)))
        if writer.poll() is None:
            during += 1
    rc, _, err = finish(writer)
    assert rc == 0, err
    assert during >= 2, "the ingest finished before searches could overlap it"
    assert counts == sorted(counts), "a reader saw briefings disappear"
    assert assert_whole(db_path) >= counts[-1]


@pytest.mark.timeout(180)
def test_two_ingests_at_once(tmp_path, pages):
    reference = tmp_path / "reference.db"
    assert finish(start("ingest", *pages, "--db", reference))[0] == 0
    shared = tmp_path / "shared.db"
    first, second = start("ingest", *pages, "--db", shared), start("ingest", *pages, "--db", shared)
    results = [finish(first), finish(second)]
    for rc, _out, err in results:
        assert "Traceback" not in err
        if rc != 0:  # the only acceptable failure: one clear line saying the archive is busy
            assert (
                rc == 1
                and err
                == f"Error: {shared} is busy: another briefings process is writing; "
                "try again when it finishes\n"
            )
    assert any(rc == 0 for rc, _, _ in results)
    # Both built the new archive under a hidden name; one gave it its name, the other used that one.
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".shared.db.")]
    assert assert_whole(shared) == assert_whole(reference)
    assert content(shared) == content(reference)  # every briefing once: ids are UNIQUE, turns compared
