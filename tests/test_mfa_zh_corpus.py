"""Invariants over every real Chinese foreign-ministry page (../shared/corpus/mfa/zh, 2016-2020, and
zh-2020s, the site's two later templates), plus a golden file per template."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from briefings.dates import find_date
from briefings.html import Para
from briefings.ingest import parse_paths
from briefings.models import Briefing, Rejected
from briefings.segment import UNIDENTIFIED, zh_label_shaped
from briefings.sources import family_from_markers, mfa
from conftest import CORPUS, GOLDEN, ROOT, check_golden
from helpers import entities, golden_dict, parse_one

FOLDERS = {"zh": 253, "zh-2020s": 132}
SPOKESPEOPLE = {
    "耿爽": "Geng Shuang",
    "华春莹": "Hua Chunying",
    "陆慷": "Lu Kang",
    "赵立坚": "Zhao Lijian",
    "汪文斌": "Wang Wenbin",
    "毛宁": "Mao Ning",
    "林剑": "Lin Jian",
}
TITLE_SPOKESPERSON = re.compile(r"发言人(" + "|".join(SPOKESPEOPLE) + ")")
CANONICAL = {
    o["name"] for o in json.loads((ROOT / "src/briefings/data/entities.json").read_text("utf-8"))["outlets"]
}


@pytest.fixture(scope="module")
def parsed():
    """(briefing, the paragraphs the segmenter was given) for every page of both folders."""
    if not all((CORPUS / f).is_dir() for f in FOLDERS):
        pytest.skip("../shared/corpus/mfa/zh and zh-2020s are not present")
    given = []
    original = mfa.segment

    def spy(paras, ctx):
        given.append(paras)
        return original(paras, ctx)

    mfa.segment = spy
    try:
        out = {}
        for folder in FOLDERS:
            out[folder] = []
            for _, r in parse_paths([CORPUS / folder], entities()):
                out[folder].append((r, given[-1] if isinstance(r, Briefing) else None))
        return out
    finally:
        mfa.segment = original


def briefings(parsed):
    return [(b, paras) for folder in parsed.values() for b, paras in folder if isinstance(b, Briefing)]


def test_every_transcript_parses_as_chinese_and_listings_are_skipped(parsed):
    for folder, expected in FOLDERS.items():
        results = [r for r, _ in parsed[folder]]
        assert all(r.skip and "listing" in r.reason for r in results if isinstance(r, Rejected)), folder
        bs = [r for r in results if isinstance(r, Briefing)]
        assert len(bs) == expected, folder
        for b in bs:
            assert (b.source, b.language) == ("mfa", "zh"), b.id
            assert b.title and b.turns, b.id


def test_date_is_the_titles_or_else_the_day_published(parsed):
    for b, _ in briefings(parsed):
        assert b.date == (find_date(b.title) or b.published), b.id
        assert b.date, b.id


def test_no_turn_begins_with_a_label(parsed):
    """A label left inside a turn means a journalist's words given to the speaker before them."""
    for b, _ in briefings(parsed):
        for t in b.turns:
            for para in t.text.split("\n\n"):
                m = re.match(r"^([^：:]{1,25})[：:]", para)
                if (
                    m and t.label is not None
                ):  # a reported question ("会后有记者问及：") is its own first words
                    assert not zh_label_shaped(m.group(1)), (b.id, t.seq, para[:30])
                    assert m.group(1) not in SPOKESPEOPLE and m.group(1) not in ("问", "答"), (b.id, t.seq)


def _turn_of_each_paragraph(b, paras):
    """The turn each of the page's paragraphs ended up in, in order."""
    k = 0
    for t in b.turns:
        for text in t.text.split("\n\n"):
            while not paras[k].endswith(text[-30:]):
                k += 1
            yield paras[k], t
            k += 1


def test_every_question_the_page_prints_in_bold_is_a_question(parsed):
    for b, paras in briefings(parsed):
        for para, t in _turn_of_each_paragraph(b, [p for _, p in paras]):
            label = re.match(r"^([^：:]{1,25})[：:]", para)
            answerer = label is not None and label.group(1) in ("答", *SPOKESPEOPLE)
            if (
                isinstance(para, Para)
                and para.bold_start
                and label
                and zh_label_shaped(label.group(1))
                and not answerer
            ):
                assert t.kind == "question", (b.id, t.seq, para[:30])
            if isinstance(para, Para) and para.bold and t.kind == "answer":
                # Only the answerer's own label printed bold ("答：") is an answer in bold type.
                assert answerer, (b.id, t.seq, para[:30])


def test_an_answer_is_never_a_journalists(parsed):
    for b, _ in briefings(parsed):
        m = TITLE_SPOKESPERSON.search(b.title)
        for t in b.turns:
            if t.kind == "answer":
                assert t.outlet is None and t.speaker != UNIDENTIFIED, (b.id, t.seq)
                assert t.speaker in SPOKESPEOPLE.values() or t.speaker is None, (b.id, t.seq)
                if m and t.label == "答":
                    assert t.speaker == SPOKESPEOPLE[m.group(1)], (b.id, t.seq)
            if t.kind == "question":
                assert t.speaker is not None and t.speaker not in SPOKESPEOPLE.values(), (b.id, t.seq)


def test_every_asking_outlet_is_a_known_entity(parsed):
    """《环球时报》 and 环球时报 are Global Times, as the English pages have it."""
    seen = set()
    for b, _ in briefings(parsed):
        for t in b.turns:
            if t.kind == "question" and t.outlet is not None:
                assert t.outlet in CANONICAL, (b.id, t.seq, t.label, t.outlet)
                assert set(t.also_asked) <= CANONICAL, (b.id, t.seq)
                seen.add(t.outlet)
    assert {"Global Times", "China Daily", "CCTV", "Reuters"} <= seen


def test_a_page_without_its_address_is_placed_by_its_own_markers(parsed, tmp_path):
    """The later template names itself (<meta name="Url">, SiteName, <title>), though its
    header and footer link to every other government site."""
    for name in ("t20240403_11276141.shtml", "list-609.shtml"):
        body = (CORPUS / "zh-2020s" / name).read_bytes()
        assert family_from_markers(body) == "mfa", name
        shutil.copy(CORPUS / "zh-2020s" / name, tmp_path / name)  # no manifest beside it: no URL
        b = parse_one(tmp_path / name)
        assert (b.source, b.language) == ("mfa", "zh") and b.date == find_date(b.title), name


GOLDEN_PAGES = ["zh/t1762517.html", "zh-2020s/t20210630_9177386.shtml", "zh-2020s/t20240403_11276141.shtml"]


@pytest.mark.parametrize("name", GOLDEN_PAGES)
def test_golden(name, update_golden):
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"{path} is not present")
    check_golden(golden_dict(parse_one(path)), GOLDEN / "mfa" / (path.stem + ".json"), update_golden)
