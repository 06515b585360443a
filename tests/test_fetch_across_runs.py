"""Politeness that outlives the process, and the china.org.cn scheme whose page 1 is `_1`.

Each run gets its own virtual clock, as each `briefings fetch` gets its own
process; the raw store is what they share.
"""

from __future__ import annotations

import json

import pytest

from briefings.fetch import Fetcher, fetch
from briefings.hosts import HOSTS_FILE, ROBOTS_TTL
from briefings.http import PoliteClient
from briefings.ingest import ingest
from briefings.people import Entities
from briefings.query import get_briefing
from briefings.store import Archive
from conftest import FIXTURES
from site_server import FakeClock, FakeSite

T1 = "/pressroom/2025-12/16/content_900001.html"  # four pages
T2 = "/pressroom/2025-12/10/content_900002.html"


@pytest.fixture(scope="module")
def server():
    with FakeSite() as site:
        yield site


@pytest.fixture
def site(server):
    server.reset()
    server.add_fixtures()
    return server


def run(urls, raw, clock, **kw):
    with PoliteClient(clock=clock, rng=lambda: 0.5, timeout=2.0, **kw) as client:
        return fetch(urls, raw_dir=raw, client=client)


def test_the_next_run_waits_out_the_last_runs_turn(site, tmp_path):
    first = FakeClock()
    run([site.url(T1)], tmp_path, first, rate=1.0)
    # The next command starts 0.3 s after the last request of the one before.
    second = FakeClock(wall=first.time() + 0.3)
    run([site.url(T2)], tmp_path, second, rate=1.0)
    assert second.sleeps[0] == pytest.approx(0.7)
    assert all(s == pytest.approx(1.0) for s in second.sleeps[1:])


def test_a_run_long_after_the_last_does_not_wait(site, tmp_path):
    first = FakeClock()
    run([site.url(T1)], tmp_path, first, rate=1.0)
    later = FakeClock(wall=first.time() + 60)
    run([site.url(T2)], tmp_path, later, rate=1.0)
    assert later.sleeps == [] or later.sleeps[0] <= 0


def test_a_clock_set_back_never_waits_more_than_the_interval(site, tmp_path):
    first = FakeClock(wall=1_767_225_600.0 + 3600)
    run([site.url(T1)], tmp_path, first, rate=1.0)
    earlier = FakeClock(wall=1_767_225_600.0)
    run([site.url(T2)], tmp_path, earlier, rate=1.0)
    assert max(earlier.sleeps) == pytest.approx(1.0)


def test_robots_txt_is_read_once_a_day_across_runs(site, tmp_path):
    site.robots("User-agent: *\nDisallow: /pressroom/2025-12/10/\n")
    first = FakeClock()
    run([site.url(T1)], tmp_path, first)
    minute_later = FakeClock(wall=first.time() + 60)
    report = run([site.url(T2)], tmp_path, minute_later)
    assert len(site.requests("/robots.txt")) == 1
    # The remembered rules still apply: the closed path is not asked for.
    assert not site.requests(T2) and report.pages[0].reason == "disallowed by robots.txt"
    next_day = FakeClock(wall=first.time() + ROBOTS_TTL + 1)
    run([site.url(T2)], tmp_path, next_day)
    assert len(site.requests("/robots.txt")) == 2


def test_no_robots_txt_is_remembered_too(site, tmp_path):
    first = FakeClock()
    run([site.url(T1)], tmp_path, first)  # the fixture site has none: 404
    run([site.url(T2)], tmp_path, FakeClock(wall=first.time() + 60))
    assert len(site.requests("/robots.txt")) == 1


def test_a_robots_server_error_is_asked_again(site, tmp_path):
    site.fault("/robots.txt", 500, 500, 500, 500)
    first = FakeClock()
    report = run([site.url(T1)], tmp_path, first, retries=3)
    assert not report.ok
    run([site.url(T1)], tmp_path, FakeClock(wall=first.time() + 60))
    assert len(site.requests("/robots.txt")) == 5
    assert site.requests(T1)


def test_a_damaged_memory_file_is_worked_without(site, tmp_path):
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / HOSTS_FILE).write_text("{not json", encoding="utf-8")
    report = run([site.url(T1)], tmp_path, FakeClock())
    assert report.ok and report.fetched == 4
    host = site.base.split("//", 1)[1]
    assert host in json.loads((tmp_path / HOSTS_FILE).read_text(encoding="utf-8"))


def test_ingest_reads_no_memory_file_as_a_page(site, tmp_path, db_path):
    run([site.url(T1)], tmp_path / "raw", FakeClock())
    assert (tmp_path / "raw" / HOSTS_FILE).is_file()
    with Archive(db_path, write=True) as archive:
        report = ingest([tmp_path / "raw"], archive, Entities.load())
    assert (report.added, report.rejected) == (1, [])


# -- china.org.cn from late 2025: page 1 is content_<id>_1.shtml -----------------------------

SHTML = FIXTURES / "constructed" / "chinaorg_shtml"
FOLDER = "/2025-12/02/"


@pytest.fixture
def numbered(server):
    """The constructed two-page transcript, served as the late-2025 scheme names it."""
    server.reset()
    for name, served in (
        ("content_118201547.shtml", "content_118201547_1.shtml"),
        ("content_118201547_2.shtml", "content_118201547_2.shtml"),
    ):
        body = (SHTML / name).read_text(encoding="utf-8")
        body = body.replace('href="content_118201547.shtml"', 'href="content_118201547_1.shtml"')
        server.add(FOLDER + served, body, {"Content-Type": "text/html; charset=utf-8"})
    return server


@pytest.mark.parametrize("given", ["content_118201547_1.shtml", "content_118201547_2.shtml"])
def test_page_1_with_its_suffix_fetches_every_page(numbered, tmp_path, db_path, given):
    report = run([numbered.url(FOLDER + given)], tmp_path / "raw", FakeClock())
    assert report.ok and not report.incomplete
    assert sorted(p.url.rsplit("/", 1)[1] for p in report.pages if p.outcome == "fetched") == [
        "content_118201547_1.shtml",
        "content_118201547_2.shtml",
    ]
    assert not numbered.requests(FOLDER + "content_118201547.shtml")
    assert not numbered.requests(FOLDER + "content_118201547_1_2.shtml")

    for paths, path in (([tmp_path / "raw"], db_path), ([SHTML], tmp_path / "fixture.db")):
        with Archive(path, write=True) as archive:
            ingest(paths, archive, Entities.load())
    with Archive(db_path) as got, Archive(tmp_path / "fixture.db") as want:
        fetched = get_briefing(got.db, "chinaorg-118201547")
        constructed = get_briefing(want.db, "chinaorg-118201547")
    assert fetched and constructed and fetched["missing_pages"] == []
    assert [(t["speaker"], t["text"]) for t in fetched["turns"]] == [
        (t["speaker"], t["text"]) for t in constructed["turns"]
    ]


def test_the_fetcher_takes_the_raw_stores_memory(tmp_path):
    with PoliteClient(clock=FakeClock()) as client:
        Fetcher(client, tmp_path)
        assert client.memory is not None and client.memory.path == tmp_path / HOSTS_FILE
