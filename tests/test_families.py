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
            want["source"] or "text",
            want["title"],
            want["date"],
            want["published"],
        )
        assert [(p.name, p.role, p.kind) for p in b.participants] == [
            (p["name"], p["role"], p["kind"]) for p in want["participants"]
        ]
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


@pytest.mark.parametrize("number", ["201", "99999999999999999999"])
def test_a_page_number_past_any_transcripts_length_is_rejected_alone(tmp_path, number):
    """`content_<id>_201.htm` is not page 201 of anything (no transcript runs past 200):
    it is rejected with the reason, and the transcript's real pages are still read."""
    source = CONSTRUCTED / "scio_missing_page" / "content_78093456.htm"
    (tmp_path / "content_78093456.htm").write_bytes(source.read_bytes())
    (tmp_path / f"content_78093456_{number}.htm").write_bytes(source.read_bytes())
    from briefings.ingest import parse_paths
    from briefings.models import Rejected
    from helpers import entities

    results = [r for _, r in parse_paths([tmp_path], entities(), "scio")]
    [b] = [r for r in results if isinstance(r, Briefing)]
    [rejected] = [r for r in results if isinstance(r, Rejected)]
    # Saved without a URL, the transcript's id is made from its page 1's text, not its file name.
    assert b.origin == "content:" + b.text_digest and b.id == "scio-" + b.text_digest[:12]
    assert list(b.missing_pages) == [2, 3]
    assert rejected.reason == f"page number {number} is beyond any transcript's length (at most 200 pages)"


def test_gac_interview_stamps_of_impossible_days_date_nothing(tmp_path):
    page = tmp_path / "2b7d1f40-8c3a-4e55-b9d2-7a61c0e3f18f.html"
    page.write_text(
        "<html><body><div class='content'><h1>Online interview</h1>"
        "<p>[Host]: Welcome. 13/45/2024 10:00:01</p><p>[Netizen]: A question? 13/45/2024 10:01:00</p>"
        "<p>[Li Kuiwen]: An answer. 13/45/2024 10:02:00</p></div></body></html>",
        encoding="utf-8",
    )
    [b] = parse_all(page, source="gac")
    assert b.date is None
    assert [t.text for t in b.turns] == ["Welcome.", "A question?", "An answer."]


def test_gac_an_interview_name_with_nothing_after_it_labels_the_lines_below(tmp_path):
    page = tmp_path / "2b7d1f40-8c3a-4e55-b9d2-7a61c0e3f199.html"
    page.write_text(
        "<html><body><div class='content'><h1>Online interview</h1>"
        "<p>[Host]: Welcome. 06/18/2024 10:00:01</p><p>[Netizen]: A question? 06/18/2024 10:01:00</p>"
        "<p>[Zhou Min]: 06/18/2024 10:02:00</p><p>The answer comes on its own line.</p>"
        "</div></body></html>",
        encoding="utf-8",
    )
    [b] = parse_all(page, source="gac")
    assert [(t.speaker, t.kind, t.answers, t.text) for t in b.turns] == [
        ("Host", "moderator", None, "Welcome."),
        ("Netizen", "question", None, "A question?"),
        ("Zhou Min", "answer", 2, "The answer comes on its own line."),
    ]
