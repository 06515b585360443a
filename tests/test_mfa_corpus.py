"""Invariants over every real foreign-ministry page in ../shared/corpus/mfa/en, plus goldens."""

from __future__ import annotations

import re

import pytest

from briefings.dates import find_date
from briefings.ingest import parse_paths
from briefings.models import Briefing, Rejected
from briefings.segment import UNIDENTIFIED
from conftest import CORPUS, GOLDEN, check_golden, recorded_transcripts
from helpers import entities, golden_dict, parse_one

# A label as a reader would recognise one: Q, A, or a capitalised name of up to six words.
LABEL_START = re.compile(
    r"^(?:Q|A|Follow-up|Journalist|[A-Z][\w.&'-]*(?: (?:[A-Z][\w.&'-]*|of|and|the|de)){0,5})\s*[:：]\s"
)
CHROME_TEXT = ("Copyright", "Suggest to a friend", "Please enter", "Appendix:", "Regular Press Conference")
CHROME_PARAGRAPHS = {"Print", "Close", "Print Close", "Share", "Top"}
TITLE_SPOKESPERSON = re.compile(r"Spokesperson (.+?)'s")


@pytest.fixture(scope="module")
def parsed():
    folder = CORPUS / "en"
    if not folder.is_dir():
        pytest.skip("../shared/corpus/mfa/en is not present")
    return list(parse_paths([folder], entities()))


def briefings(parsed) -> list[Briefing]:
    return [r for _, r in parsed if isinstance(r, Briefing)]


def test_every_transcript_parses(parsed):
    rejected = [(g.pages[0][1].path, r.reason) for g, r in parsed if isinstance(r, Rejected)]
    # The only pages left out are the recorded listing pages.
    assert all("default" in path and "listing" in reason for path, reason in rejected), rejected
    assert len(briefings(parsed)) == 125


# Titles that print no year ("... Press Conference on September 10"): the year
# comes from the page's own upload stamps (W020180910...), never left out.
YEARLESS = {
    "mfa-1593756": "2018-09-10",
    "mfa-1595274": "2018-09-14",
    "mfa-1597236": "2018-09-20",
    "mfa-1599752": "2018-09-27",
}


def test_date_is_the_titles_date(parsed):
    for b in briefings(parsed):
        assert b.date == (find_date(b.title) or YEARLESS.get(b.id)), b.id
        assert b.date, b.id


def test_answers_belong_to_the_titled_spokesperson(parsed):
    for b in briefings(parsed):
        name = TITLE_SPOKESPERSON.search(b.title).group(1)
        for t in b.turns:
            if t.label == "A":
                assert t.speaker == name, (b.id, t.seq)
                assert t.kind == "answer"


def test_unlabelled_opening_is_the_spokesperson(parsed):
    for b in briefings(parsed):
        first = b.turns[0]
        if first.label is None:
            assert first.speaker == TITLE_SPOKESPERSON.search(b.title).group(1), b.id
            assert first.kind == "statement"


def test_questions_have_an_asker(parsed):
    for b in briefings(parsed):
        for t in b.turns:
            if t.kind == "question":
                if t.label in ("Q", "Follow-up", "Journalist", None):
                    assert (t.speaker, t.outlet) == (UNIDENTIFIED, None), (b.id, t.seq)
                elif t.speaker == UNIDENTIFIED:  # "Journalist explains:", "The journalist clarified:"
                    assert t.outlet is None and re.search(r"(?i)journalist", t.label), (b.id, t.seq)
                else:
                    assert t.outlet == t.speaker and t.speaker, (b.id, t.seq)


def test_no_paragraph_of_a_turn_begins_with_a_label(parsed):
    """A label left inside a turn means words given to the speaker before it."""
    for b in briefings(parsed):
        for t in b.turns:
            for para in t.text.split("\n\n"):
                assert not LABEL_START.match(para), (b.id, t.seq, para[:60])


def test_no_page_chrome_inside_turns(parsed):
    for b in briefings(parsed):
        for t in b.turns:
            for bit in CHROME_TEXT:
                assert bit not in t.text, (b.id, t.seq, bit)
            for para in t.text.split("\n\n"):
                assert para not in CHROME_PARAGRAPHS, (b.id, t.seq, para)


def test_every_paragraph_is_kept(parsed):
    """Labels and turn text, in order, spell out the page body: nothing dropped, nothing added."""
    from briefings.decode import decode
    from briefings.html import first, paragraphs, parse

    for g, b in parsed:
        if not isinstance(b, Briefing):
            continue
        page = g.pages[0][1]
        doc = parse(decode(open(page.path, "rb").read())[0])
        # Rows of asterisks separate the exchange from the notices after it: typography, not words.
        body = [
            p
            for p in paragraphs(first(doc, "div.content_mod div.content"))
            if not re.fullmatch(r"[*＊\s]+", p)
        ]
        squeeze = lambda s: re.sub(r"[\s:：]", "", s)  # noqa: E731
        page_text = squeeze("".join(body))
        turns_text = squeeze("".join((t.label or "") + t.text for t in b.turns))
        assert turns_text == page_text, b.id


def turn_at(bs: list[Briefing], bid: str, seq: int):
    [b] = [b for b in bs if b.id == bid]
    t = b.turns[seq - 1]
    return t.label, t.speaker, t.kind, t.answers, t.text[:40]


def test_the_journalists_words_inside_an_exchange_are_the_journalists(parsed):
    """A clarification printed bold between two answers, and a question reported after the
    conference, are the journalist's turns; the answers after them answer them."""
    bs = briefings(parsed)
    assert turn_at(bs, "mfa-1634038", 3) == (
        "Journalist explains",
        UNIDENTIFIED,
        "question",
        None,
        "Some media reported in this way.",
    )
    assert turn_at(bs, "mfa-1634038", 4)[1:4] == ("Geng Shuang", "answer", 3)
    assert turn_at(bs, "mfa-1664099", 5) == (
        "The journalist clarified",
        UNIDENTIFIED,
        "question",
        None,
        "yes.",
    )
    assert turn_at(bs, "mfa-1664099", 6)[1:4] == ("Lu Kang", "answer", 5)
    assert turn_at(bs, "mfa-1651487", 15) == (
        None,
        UNIDENTIFIED,
        "question",
        None,
        "After the Press Conference, a journalist",
    )
    assert turn_at(bs, "mfa-1651487", 16)[1:4] == ("Geng Shuang", "answer", 15)
    # What follows the row of asterisks is the spokesperson's notice, answering nothing.
    assert turn_at(bs, "mfa-1651487", 17) == (
        None,
        "Geng Shuang",
        "statement",
        None,
        "The regular press conference of the Mini",
    )


def test_zh_a_question_reported_after_the_conference_and_its_answer(parsed_zh):
    bs = briefings(parsed_zh)
    assert turn_at(bs, "mfa-1423456", 32) == (
        None,
        UNIDENTIFIED,
        "question",
        None,
        "会后，有记者问及：据媒体了解，杨洁篪国务委员日前在纽约会见了联合国秘书长潘基文。",
    )
    assert turn_at(bs, "mfa-1423456", 33) == (
        None,
        "Geng Shuang",
        "answer",
        32,
        "耿爽表示，杨洁篪国务委员日前在出访拉美途径纽约期间，会见了联合国秘书长潘基文先生",
    )
    assert turn_at(bs, "mfa-1473513", 22)[:4] == (None, UNIDENTIFIED, "question", None)
    assert turn_at(bs, "mfa-1473513", 23)[:4] == ("答", "Lu Kang", "answer", 22)


GOLDEN_PAGES = ["t1558711", "t1625726", "t1677852", "t1762834", "t1789220", "t1793427"]


@pytest.mark.parametrize("name", GOLDEN_PAGES)
def test_golden(name, update_golden):
    path = CORPUS / "en" / f"{name}.html"
    if not path.exists():
        pytest.skip(f"{path} is not present")
    check_golden(golden_dict(parse_one(path)), GOLDEN / "mfa" / f"{name}.json", update_golden)


# -- the Chinese pages ------------------------------------------------------------

ZH_TITLE_SPOKESPERSON = re.compile(r"发言人([\u4e00-\u9fff]{2,4}?)(?:主持|答记者问)")
ZH_LABEL_START = re.compile(r"^(?:问|答|[\u4e00-\u9fff]{1,12}记者|耿爽|华春莹|陆慷|赵立坚)[:：]")


@pytest.fixture(scope="module")
def parsed_zh():
    folder = CORPUS / "zh"
    if not folder.is_dir():
        pytest.skip("../shared/corpus/mfa/zh is not present")
    return list(parse_paths([folder], entities()))


def test_zh_every_transcript_parses_and_listings_are_skipped(parsed_zh):
    results = [r for _, r in parsed_zh]
    skipped = [r for r in results if isinstance(r, Rejected)]
    assert all(r.skip and "listing" in r.reason for r in skipped)
    assert len([r for r in results if isinstance(r, Briefing)]) == recorded_transcripts(CORPUS / "zh")


def test_zh_attribution_invariants(parsed_zh):
    known = {"耿爽": "Geng Shuang", "华春莹": "Hua Chunying", "陆慷": "Lu Kang", "赵立坚": "Zhao Lijian"}
    for b in briefings(parsed_zh):
        assert b.language == "zh", b.id
        assert b.date, b.id
        m = ZH_TITLE_SPOKESPERSON.search(b.title)
        if m:
            assert find_date(b.title) in (b.date, None), b.id
            for t in b.turns:
                if t.label == "答":
                    assert (t.speaker, t.kind) == (known[m.group(1)], "answer"), (b.id, t.seq)
        for t in b.turns:
            if t.label == "问":
                assert (t.speaker, t.kind) == (UNIDENTIFIED, "question"), (b.id, t.seq)
            assert not ZH_LABEL_START.match(t.text), (b.id, t.seq, t.text[:30])
            # The ministry's own statements name no spokesperson: nobody's turn, for a person to see.
            assert t.kind != "other" or not b.participants, (b.id, t.seq, t.text[:30])
