"""`briefings update` end to end, against a local replay of the foreign ministry's site:
a first day of press conferences, then a second day with new ones and a corrected page."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefings import update as updating
from briefings.cli import cli
from site_server import CORPUS
from test_crawl import listing_page

EN = "/mfa_eng/xwfw_665399/s2510_665401/2511_665403/"
ZH = "/web/wjdt_674879/fyrbt_674889/"
FAST = ("--rate", "1000")  # the real clock runs here: keep the polite waits to a millisecond
TITLE = "Foreign Ministry Spokesperson Zhao Lijian's Regular Press Conference on {}, 2020"
# (document number, the day in its title); the day a conference appears in the listing
DAY_1 = [("1778378", "May 12"), ("1780283", "May 18"), ("1781773", "May 22")]
DAY_2 = [("1784166", "May 29"), ("1785898", "June 4")] + DAY_1
CORRECTED = "1781773"
WAS, NOW = "No country in the world would tolerate", "No country anywhere would tolerate"


def run(*args, db=None):
    extra = ["--db", str(db)] if db else []
    return CliRunner().invoke(cli, [str(a) for a in args] + extra)


def page(number: str) -> bytes:
    path = CORPUS / "en" / f"t{number}.html"
    if not path.is_file():
        pytest.skip("../shared/corpus/mfa/en is not present")
    return path.read_bytes()


def serve_day(site, items, corrected: bool = False) -> None:
    """The site as it stood one day: its English listing (newest first), an empty
    Chinese one, and each listed conference's recorded page."""
    site.reset()
    links = [(f"t{n}.shtml", TITLE.format(day)) for n, day in items]
    links.append(
        ("t1784000.shtml", "Foreign Ministry Spokesperson's Statement on a Visit")
    )  # not a conference
    listing_page(site, EN + "default.shtml", links)
    listing_page(site, ZH + "default.shtml", [])
    for n, _ in items:
        body = page(n)
        if corrected and n == CORRECTED:
            assert body.count(WAS.encode()) == 1
            body = body.replace(WAS.encode(), NOW.encode())
        site.add(f"{EN}t{n}.shtml", body, {"Content-Type": "text/html"})


def transcript_requests(site) -> list[str]:
    return [s.path for s in site.log if s.path.endswith(".shtml") and "/t" in s.path]


@pytest.fixture
def replay(server, tmp_path):
    """Run `update mfa` against the local site as of a day."""

    def update(today: str, *more):
        return run(
            "update",
            "mfa",
            "--base-url",
            f"mfa={server.base}",
            "--raw-dir",
            tmp_path / "raw",
            "--today",
            today,
            *more,
            *FAST,
            db=tmp_path / "archive.db",
        )

    return update


def test_two_days_of_updates_and_a_watch_that_sees_each_hit_once(server, replay, tmp_path):
    db = tmp_path / "archive.db"
    serve_day(server, DAY_1)
    first = replay("2020-05-22", "--since", "2020-05-15", "--json")
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert sorted(b["id"] for b in report["added"]) == ["mfa-1780283", "mfa-1781773"]  # May 12 is older
    assert report["updated"] == [] and report["failed"] == [] and report["ok"]
    assert report["sources"][0]["since"] == "2020-05-15"

    # Right after: nothing fetched, nothing new said, not a transcript page asked for.
    server.log.clear()
    again = replay("2020-05-22")
    assert again.exit_code == 0, again.output
    assert again.stdout == "updated mfa to 2020-05-22: nothing new; 0 pages fetched, 0 failed\n"
    assert transcript_requests(server) == []

    added = run("watch", "add", "hk", '"Hong Kong"', db=db)
    assert added.exit_code == 0, added.output

    # The second day: two new conferences, and the site corrected the one of May 22.
    serve_day(server, DAY_2, corrected=True)
    second = replay("2020-06-04", "--json")
    assert second.exit_code == 0, second.output
    report = json.loads(second.stdout)
    assert sorted(b["id"] for b in report["added"]) == ["mfa-1784166", "mfa-1785898"]
    assert [b["id"] for b in report["updated"]] == [f"mfa-{CORRECTED}"]
    assert report["sources"][0]["recheck_from"] == "2020-05-15"
    fetched = {
        p["url"].rsplit("/", 1)[1]: p["outcome"] for c in report["sources"][0]["crawls"] for p in c["pages"]
    }
    assert fetched == {
        "t1784166.shtml": "fetched",
        "t1785898.shtml": "fetched",
        f"t{CORRECTED}.shtml": "changed",
        "t1780283.shtml": "unchanged",
    }

    # What the watch must show: every turn search finds in the new conferences, and the corrected turn.
    found = json.loads(run("search", '"Hong Kong"', "--limit", "0", "--json", db=db).stdout)
    expected_new = {
        (h["briefing_id"], h["seq"]) for h in found if h["briefing_id"] in ("mfa-1784166", "mfa-1785898")
    }
    corrected = [h for h in found if NOW in h["text"]]
    assert expected_new and len(corrected) == 1
    assert report["watches"] == [{"watch": "hk", "new": len(expected_new), "changed": 1}]

    server.log.clear()
    third = replay("2020-06-04")
    assert third.exit_code == 0, third.output
    assert third.stdout == "updated mfa to 2020-06-04: nothing new; 0 pages fetched, 0 failed\n"
    assert transcript_requests(server) == []

    shown = run("watch", "run", "--json", db=db)
    assert shown.exit_code == 0, shown.output
    hits = json.loads(shown.stdout)
    assert {(h["briefing_id"], h["seq"]) for h in hits if h["status"] == "new"} == expected_new
    changed = [h for h in hits if h["status"] == "changed"]
    assert [(h["briefing_id"], h["seq"]) for h in changed] == [
        (corrected[0]["briefing_id"], corrected[0]["seq"])
    ]
    assert WAS in changed[0]["old_text"] and NOW in changed[0]["text"]
    assert changed[0]["changes"] == [{"old": "in the world", "new": "anywhere"}]
    assert len(hits) == len(expected_new) + 1  # each hit once

    assert json.loads(run("watch", "run", "--json", db=db).stdout) == []


def test_one_summary_line_quiet_on_success_and_the_window_of_a_first_update(server, replay):
    serve_day(server, DAY_1)
    quiet = replay("2020-05-22", "--since", "2020-05-20", "-q")
    assert quiet.exit_code == 0, quiet.output
    assert quiet.output == ""
    serve_day(server, DAY_2)
    line = replay("2020-06-04")
    assert line.exit_code == 0, line.output
    assert line.stdout.count("\n") == 1
    assert line.stdout.startswith("updated mfa to 2020-06-04: 3 new briefings (")
    assert "mfa-1780283" in line.stdout  # within the recheck week before the last update, not fetched before


def test_a_first_update_covers_the_default_window(server, tmp_path):
    serve_day(server, DAY_1)
    result = run(
        "update", "mfa", "--base-url", f"mfa={server.base}", "--raw-dir", tmp_path / "raw",
        "--today", "2020-05-22", "--json", *FAST, db=tmp_path / "archive.db",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["sources"][0]["since"] == "2020-04-22"  # DEFAULT_DAYS before
    assert len(report["added"]) == 3


def test_a_page_that_could_not_be_had_exits_1_and_is_asked_for_next_time(server, replay, tmp_path):
    serve_day(server, DAY_1)
    del server.routes[f"{EN}t1780283.shtml"]  # listed, but the page is not there
    result = replay("2020-05-22", "--since", "2020-05-15")
    assert result.exit_code == 1
    assert f"failed {server.base}{EN}t1780283.shtml: HTTP 404" in result.stderr.splitlines()
    assert "1 failed" in result.stdout
    with updating.Archive(tmp_path / "archive.db") as archive:
        assert updating.last_days(archive) == {}  # not a whole update: the window stays

    serve_day(server, DAY_1)
    result = replay("2020-05-22", "--since", "2020-05-15", "--json")
    assert result.exit_code == 0, result.output
    assert [b["id"] for b in json.loads(result.stdout)["added"]] == ["mfa-1780283"]


def test_a_second_update_while_one_runs_says_so_and_exits(tmp_path):
    db = tmp_path / "archive.db"
    with updating.locked(db):
        result = run("update", "mfa", "--base-url", "mfa=http://127.0.0.1:9", db=db)
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"Error: another update of {db} is running (pid {os.getpid()}); this one did nothing\n"
    )
    assert not db.exists()


def test_a_lock_left_by_a_killed_update_does_not_block(tmp_path):
    db = tmp_path / "archive.db"
    src = Path(updating.__file__).resolve().parents[1]
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from briefings.update import locked\n"
         "with locked(__import__('pathlib').Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(600)",
         str(db)],
        stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(src)}, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(updating.Busy), updating.locked(db):
            pass
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    finally:
        if holder.poll() is None:
            holder.kill()
    assert updating.lock_path(db).read_text().strip() == str(holder.pid)  # the file stays, stale
    with updating.locked(db):
        assert updating.lock_path(db).read_text().strip() == str(os.getpid())


@pytest.mark.parametrize(
    "args",
    [
        ("--base-url", "mfa"),
        ("--base-url", "nosuch=http://127.0.0.1:9"),
        ("--base-url", "mfa=ftp://127.0.0.1/x"),
        ("--since", "2020-06-05", "--today", "2020-06-04"),
        ("nosuch",),
    ],
)
def test_usage_errors_exit_2(args, tmp_path):
    result = run("update", *args, db=tmp_path / "archive.db")
    assert result.exit_code == 2, result.output
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("Error: ")


def test_the_windows_a_source_is_crawled_in():
    d = updating.dt.date
    today = d(2020, 6, 4)
    assert updating.window(None, today, None, 7) == [(d(2020, 5, 5), False)]
    assert updating.window(d(2020, 6, 1), today, None, 7) == [(d(2020, 5, 25), True)]
    assert updating.window(d(2020, 6, 4), today, None, 7) == [(d(2020, 6, 4), False)]
    assert updating.window(d(2020, 6, 1), today, d(2020, 1, 1), 7) == [
        (d(2020, 1, 1), False),
        (d(2020, 5, 25), True),
    ]
