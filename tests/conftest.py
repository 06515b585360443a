"""Shared fixtures: every test gets its own archive path; nothing touches data/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "mfa"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOLDEN = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite the expected JSON of golden tests from the current parser (review the diff).",
    )


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("BRIEFINGS_DB", str(tmp_path / "archive.db"))
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "archive.db"


@pytest.fixture
def corpus_en() -> Path:
    folder = CORPUS / "en"
    if not folder.is_dir():
        pytest.skip("../shared/corpus/mfa/en is not present")
    return folder


@pytest.fixture
def corpus_zh() -> Path:
    folder = CORPUS / "zh"
    if not folder.is_dir():
        pytest.skip("../shared/corpus/mfa/zh is not present")
    return folder


def recorded_transcripts(folder: Path) -> int:
    """How many transcripts a recorded corpus folder holds: its pages less the listing pages (default*)."""
    return sum(
        1 for p in folder.iterdir() if p.suffix in (".html", ".shtml") and not p.name.startswith("default")
    )


@pytest.fixture
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


def check_golden(actual: dict, path: Path, update: bool) -> None:
    """Compare with the expected JSON at path, or rewrite it when asked to."""
    text = json.dumps(actual, ensure_ascii=False, indent=2) + "\n"
    if update or not path.exists():
        if not update:
            pytest.fail(f"no golden file {path}; run pytest --update-golden and review it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert actual == expected, f"{path.name} differs from the golden file; if intended, run --update-golden"


@pytest.fixture(scope="module")
def server():
    """A local site on 127.0.0.1 that replays pages and misbehaves on cue; one per test module."""
    from site_server import FakeSite

    with FakeSite() as s:
        yield s


@pytest.fixture
def site(server):
    """The server with the constructed SCIO and GACC sites of tests/fixtures/fetch and no faults."""
    server.reset()
    server.add_fixtures()
    return server
