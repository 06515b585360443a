"""Every page family and era, on constructed pages whose expected facts were written by hand."""

from __future__ import annotations

import json
import re

import pytest

from briefings.models import Briefing
from conftest import FIXTURES
from helpers import parse_all

CONSTRUCTED = FIXTURES / "constructed"
FOLDERS = sorted(p.name for p in CONSTRUCTED.iterdir() if (p / "expected.json").exists())


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def expectations(folder: str) -> list[dict]:
    data = json.loads((CONSTRUCTED / folder / "expected.json").read_text(encoding="utf-8"))
    return data if isinstance(data, list) else [data]


def turn_facts(b: Briefing) -> list[dict]:
    return [{"speaker": t.speaker, "kind": t.kind, "outlet": t.outlet, "label": t.label} for t in b.turns]


@pytest.mark.parametrize("folder", FOLDERS)
def test_family(folder):
    parsed = {b.url: b for b in parse_all(CONSTRUCTED / folder)}
    for want in expectations(folder):
        b = parsed.get(want["url"])
        assert b is not None, f"no briefing for {want['url']}; got {list(parsed)}"
        assert (b.source, b.title, b.date, b.published) == (
            want["source"] or "text", want["title"], want["date"], want["published"])
        assert [(p.name, p.role, p.kind) for p in b.participants] == [
            (p["name"], p["role"], p["kind"]) for p in want["participants"]]
        assert list(b.missing_pages) == want["missing_pages"]
        expected_turns = [{k: t[k] for k in ("speaker", "kind", "outlet", "label")} for t in want["turns"]]
        assert turn_facts(b) == expected_turns
        for got, t in zip(b.turns, want["turns"]):
            text = squeeze(got.text)
            assert text.startswith(squeeze(t["starts"])), (got.seq, text[:80])
            assert text.endswith(squeeze(t["ends"])), (got.seq, text[-80:])


def test_an_unknown_sites_page_is_never_skipped_for_its_name(tmp_path):
    """`index.html` is a listing on the known sites; elsewhere it may be the transcript itself."""
    page = tmp_path / "index.html"
    page.write_bytes((CONSTRUCTED / "generic" / "harbour-authority-briefing.html").read_bytes())
    [b] = parse_all(page)
    assert b.source == "text" and len(b.turns) == 8
