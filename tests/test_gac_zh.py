"""The customs site's Chinese pages (www.customs.gov.cn), from constructed pages
(tests/fixtures/constructed/gac_zh_*, see the README there): the speech and the online
interview that gac_speech and gac_interview hold in English, and a list that is skipped."""

from __future__ import annotations

import shutil

from briefings import quality
from briefings.ingest import parse_paths
from briefings.models import Briefing, Rejected
from briefings.sources import family_from_markers
from conftest import FIXTURES, GOLDEN, check_golden
from helpers import entities, golden_dict, parse_one

CONSTRUCTED = FIXTURES / "constructed"
SPEECH, INTERVIEW, LISTING = (CONSTRUCTED / f"gac_zh_{k}" for k in ("speech", "interview", "listing"))


def briefing(folder) -> Briefing:
    [(_, b)] = list(parse_paths([folder], entities()))
    assert isinstance(b, Briefing), b
    return b


def test_a_speech_is_one_statement_of_the_speaker_its_header_names():
    b = briefing(SPEECH)
    assert (b.source, b.language, b.title) == ("gac", "zh", "坚持高效监管 推动跨境电商高质量发展")
    assert [(p.name, p.role, p.kind) for p in b.participants] == [("陈厚明", "海关总署副署长", "official")]
    [t] = b.turns
    assert (t.kind, t.speaker, t.role, t.label, t.outlet) == (
        "statement",
        "陈厚明",
        "海关总署副署长",
        None,
        None,
    )
    # The salutation is the speech's own first words, no label; the occasion and the day are header.
    assert t.text.startswith("同志们：\n\n这次会议的主要任务是") and t.text.endswith(
        "推动跨境电商高质量发展。"
    )
    assert "讲话" not in t.text and "2024年3月7日" not in t.text


def test_a_speech_is_dated_by_the_day_given_under_its_title_not_the_page():
    """As on the English page: the page (2024-03-01) is dated before the speech (（2024年3月7日）)."""
    b = briefing(SPEECH)
    assert (b.date, b.published) == ("2024-03-07", "2024-03-01")


def test_an_interview_gives_every_turn_to_host_guest_or_netizen():
    b = briefing(INTERVIEW)
    assert (b.source, b.language, b.date, b.published) == ("gac", "zh", "2024-06-18", "2024-06-19")
    assert [(p.name, p.role, p.kind) for p in b.participants] == [
        ("周敏", "海关总署口岸监管司司长", "official"),
        ("徐岚", "主持人", "chair"),
    ]
    host, guest = ("moderator", "徐岚", "徐岚"), ("answer", "周敏", "周敏")
    netizen = ("question", "网友", "网友")
    assert [(t.kind, t.speaker, t.label) for t in b.turns] == [
        host,
        ("statement", "周敏", "周敏"),
        host,
        netizen,
        guest,
        host,
        netizen,
        guest,
        host,
    ]
    # The turn's time stamp is no part of what was said.
    assert not any("2024-06-18" in t.text or "10:" in t.text for t in b.turns)


def test_the_list_of_press_conferences_is_skipped():
    [(_, r)] = list(parse_paths([LISTING], entities()))
    assert isinstance(r, Rejected) and r.skip and r.reason == "listing page, not a transcript"


def test_a_page_without_its_address_is_placed_by_its_own_markers(tmp_path):
    """Saved alone, a page names its site (SiteDomain, SiteName), though its footer links to
    www.scio.gov.cn and www.mfa.gov.cn."""
    page = tmp_path / "speech.html"
    shutil.copy(SPEECH / "index.html", page)
    assert family_from_markers(page.read_bytes()) == "gac"
    without_domain = page.read_text("utf-8").replace("SiteDomain", "Other").encode()
    assert b"www.scio.gov.cn" in without_domain and family_from_markers(without_domain) == "gac"
    page.write_bytes(without_domain)
    b = parse_one(page)
    assert (b.source, b.language, b.date, b.published) == ("gac", "zh", "2024-03-07", "2024-03-01")
    assert [(t.kind, t.speaker) for t in b.turns] == [("statement", "陈厚明")]


def test_quality_finds_nothing_on_these_pages():
    report = quality.from_pages([SPEECH, INTERVIEW], entities())
    assert (report.label_like, report.unknown_labels, report.unattributed, report.undated) == ([], {}, [], [])


def test_the_english_pages_read_as_before():
    """The Chinese site's reader takes only the Chinese site's pages."""
    for folder in ("gac_speech", "gac_interview"):
        b = briefing(CONSTRUCTED / folder)
        assert b.language == "en" and b.turns[0].speaker in ("Chen Houming", "Xu Lan")


def test_golden(update_golden):
    for folder in (SPEECH, INTERVIEW):
        check_golden(golden_dict(briefing(folder)), GOLDEN / "gac_zh" / f"{folder.name}.json", update_golden)
