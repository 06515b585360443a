"""Turn alignment: what a translation keeps (kinds, askers, numbers, length), and
how many English questions and answers of the real pairs find their Chinese turns."""

from __future__ import annotations

import pytest

from briefings import query
from briefings.align import align, numbers, side, similarity, zh_numeral
from briefings.ingest import ingest
from briefings.store import Archive
from conftest import CORPUS
from helpers import entities


def test_chinese_numerals_read_as_numbers():
    assert zh_numeral("二〇二〇") == 2020
    assert zh_numeral("十五") == 15
    assert zh_numeral("三百二十") == 320
    assert zh_numeral("一万五千") == 15000
    assert zh_numeral("第") is None


def test_numbers_agree_across_languages():
    zh = numbers("2020年5月11日，3.5亿人参加，第十五次会议，一个中国原则", "zh")
    en = numbers(
        "On May 11, 2020, 350 million people joined the fifteenth meeting under the one-China principle", "en"
    )
    assert zh == en == {"2020", "5", "11", "3.5e+08", "15"}
    assert numbers("1,200 tonnes", "en") == numbers("1200吨", "zh") == {"1200"}


def turn(seq, kind, text, speaker=None, outlet=None):
    return {"seq": seq, "kind": kind, "text": text, "speaker": speaker, "outlet": outlet}


ZH = [
    turn(1, "question", "据报道，美国将于6月12日举行会晤。中方对此有何评论？", "Reuters", "Reuters"),
    turn(2, "answer", "中方欢迎双方筹备会晤取得的积极进展，期待会晤取得积极成果。", "Geng Shuang"),
    turn(
        3,
        "question",
        "日本首相表示，中日两国就合作摄制电影达成新的共识，你能否介绍有关情况？",
        "Kyodo News",
        "Kyodo News",
    ),
    turn(
        4, "answer", "双方签署了关于合作摄制电影的协议。协议的签署将促进两国电影业交流合作。", "Geng Shuang"
    ),
    turn(5, "question", "据报道，伊朗外长将于本周日抵京，你能否证实？", "AFP", "AFP"),
    turn(6, "answer", "中国和伊朗之间一直保持着密切的沟通与交往。", "Geng Shuang"),
]
EN = [
    turn(
        1,
        "question",
        "It is reported that the summit will be held on June 12. What is your comment?",
        "Reuters",
        "Reuters",
    ),
    turn(
        2,
        "answer",
        "China welcomes the positive progress in preparing the summit and hopes it achieves positive "
        "outcomes.",
        "Geng Shuang",
    ),
    turn(
        3,
        "question",
        "Reports say the Iranian Foreign Minister will arrive in Beijing this Sunday. Can you confirm?",
        "AFP",
        "AFP",
    ),
    turn(
        4, "answer", "China and Iran have always maintained close communication and exchanges.", "Geng Shuang"
    ),
    turn(
        5,
        "question",
        "Will the Foreign Minister also meet Premier Li Keqiang during his visit in 2018?",
        "Bloomberg",
        "Bloomberg",
    ),
    turn(
        6,
        "answer",
        "We will release information on the Foreign Minister's programme in due course. As I said, "
        "China and Iran are in close communication on the Iranian nuclear issue, and we hope that "
        "all parties will keep to the path of dialogue and jointly uphold the comprehensive "
        "agreement.",
        "Geng Shuang",
    ),
]


def test_a_left_out_exchange_and_a_follow_up_only_one_version_keeps():
    links = {link.a: (link.b, link.score) for link in align(EN, "en", ZH, "zh")}
    assert links[(1,)][0] == (1,) and links[(2,)][0] == (2,)
    assert links[(3,)][0] == (5,) and links[(4,)][0] == (6,)  # the film question is not in the English
    linked_zh = {s for b, _ in links.values() for s in b}
    assert 3 not in linked_zh and 4 not in linked_zh
    assert (5,) not in links and (6,) not in links  # the follow-up is not in the Chinese
    assert all(0 < score <= 1 for _, score in links.values())


def test_an_answer_split_into_two_paragraphs_links_to_both():
    zh = [
        ZH[0],
        turn(2, "answer", "中方欢迎双方筹备会晤取得的积极进展。", "Geng Shuang"),
        turn(3, "answer", "我们期待会晤取得积极成果，为半岛和平稳定作出贡献。", "Geng Shuang"),
    ]
    en = [
        EN[0],
        turn(
            2,
            "answer",
            "China welcomes the positive progress in preparing the summit. We hope it "
            "achieves positive outcomes and contributes to peace and stability on the "
            "Peninsula.",
            "Geng Shuang",
        ),
    ]
    links = [(link.a, link.b) for link in align(en, "en", zh, "zh")]
    assert links == [((1,), (1,)), ((2,), (2, 3))]


def test_a_different_asker_or_other_figures_lower_the_score():
    same = similarity(side(EN[0], "en"), side(ZH[0], "zh"))
    other_outlet = similarity(side({**EN[0], "outlet": "AFP"}, "en"), side(ZH[0], "zh"))
    other_day = similarity(
        side({**EN[0], "text": EN[0]["text"].replace("12", "21")}, "en"), side(ZH[0], "zh")
    )
    unresolved = similarity(side(EN[0], "en"), side({**ZH[0], "outlet": "路透社"}, "zh"))
    assert same > unresolved > other_outlet
    assert same > other_day
    assert similarity(side(EN[0], "en"), side(ZH[1], "zh")) == 0  # a question never translates an answer


# -- the real pairs ------------------------------------------------------------

# Pairs whose pages do not show the same count of turns in the same order: what
# the two pages show, read side by side, for the stretches where they differ
# (the Chinese page printing a question and its answer, or the journalist's
# aside, as one paragraph; the English page's "The following question was
# raised after the press conference:" line). Each entry is (English turns,
# Chinese turns, {English seq: Chinese seqs}); an English seq not listed
# follows the one before it at the same offset. Made for the parser as it is;
# when it splits those paragraphs the pair's structure matches and the
# positional reading applies instead.
READ_SIDE_BY_SIDE = {
    "mfa-1729013": (19, 18, {}),
    "mfa-1682201": (36, 35, {34: [], 35: [34]}),
    "mfa-1677852": (14, 13, {13: [13], 14: [13]}),
    # The English prints the after-conference note as a line of its own; the Chinese adds a notice.
    "mfa-1630327": (24, 24, {22: [], 23: [22], 24: [23]}),
}


def expected(en: dict, zh: dict) -> dict[int, list[int]] | None:
    """English seq -> the Chinese seqs it translates, from what the pages show; None if not known."""
    kinds_en = [t["kind"] for t in en["turns"]]
    kinds_zh = [t["kind"] for t in zh["turns"]]
    if kinds_en == kinds_zh:
        return {t["seq"]: [t["seq"]] for t in en["turns"]}
    known = READ_SIDE_BY_SIDE.get(en["id"])
    if known is None or known[:2] != (len(kinds_en), len(kinds_zh)):
        return None
    out, offset = {}, 0
    for t in en["turns"]:
        seq = t["seq"]
        if seq in known[2]:
            out[seq] = known[2][seq]
            if out[seq]:
                offset = out[seq][-1] - seq
        else:
            out[seq] = [seq + offset]
    return out


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    if not (CORPUS / "en").is_dir() or not (CORPUS / "zh").is_dir():
        pytest.skip("../shared/corpus/mfa/en and zh are not present")
    path = tmp_path_factory.mktemp("pairs") / "archive.db"
    with Archive(path, write=True) as archive:
        ingest([CORPUS / "zh", CORPUS / "en"], archive, entities())
    with Archive(path) as archive:
        out = []
        for row in query.list_briefings(archive.db, query.Filters()):
            b = query.get_briefing(archive.db, row["id"])
            query.add_counterparts(archive.db, b)
            if b["language"] == "en" and b["counterpart"]:
                other = query.add_counterparts(
                    archive.db, query.get_briefing(archive.db, b["counterpart"]["id"])
                )
                out.append((b, other))
        return out


def test_every_english_regular_press_conference_with_a_chinese_original_is_paired(pairs):
    assert len(pairs) == 113
    for en, zh in pairs:
        assert en["date"] == zh["date"]
        assert zh["counterpart"]["id"] == en["id"]
        assert {p["name"] for p in en["participants"]} & {p["name"] for p in zh["participants"]}


PAGES_DIFFER = {("RIA Novosti", "RT"), ("CNR", "CRI"), ("CCTV", "CNR")}


def test_the_pages_agree_where_the_expected_reading_is_positional(pairs):
    """The reading the accuracy is measured against is itself checked on the pages:
    where both name the asking outlet, they name the same one, and figures match."""
    outlets = mismatched_outlets = with_numbers = sharing = 0
    for en, zh in pairs:
        truth = expected(en, zh)
        assert truth is not None, f"{en['id']}: no reading of the pages to measure against"
        for t in en["turns"]:
            for z in (zh["turns"][s - 1] for s in truth[t["seq"]] if s <= len(zh["turns"])):
                if t["kind"] == "question" and t["outlet"] and z["outlet"] and z["outlet"].isascii():
                    outlets += 1
                    if t["outlet"] != z["outlet"]:
                        # The two pages themselves name another outlet here, as read on them: RIA Novosti
                        # printed as 今日俄罗斯 (RT), and China Media Group's radio arms swapped (央广 CNR,
                        # 国广 CRI) against the English page's CCTV or CNR
                        assert (t["outlet"], z["outlet"]) in PAGES_DIFFER, (
                            en["id"],
                            t["seq"],
                            t["outlet"],
                            z["outlet"],
                        )
                        mismatched_outlets += 1
                a, b = numbers(t["text"], "en"), numbers(z["text"], "zh")
                if a and b:
                    with_numbers += 1
                    sharing += bool(a & b)
    assert outlets > 100 and mismatched_outlets <= 5
    assert sharing / with_numbers > 0.9


def test_at_least_99_percent_of_english_questions_and_answers_find_their_chinese_turns(pairs):
    total = right = 0
    wrong = []
    for en, zh in pairs:
        truth = expected(en, zh)
        for t in en["turns"]:
            if t["kind"] not in ("question", "answer"):
                continue
            total += 1
            if t["counterpart"] == truth[t["seq"]]:
                right += 1
            else:
                wrong.append((en["id"], t["seq"], t["counterpart"], truth[t["seq"]], t["counterpart_score"]))
    share = right / total
    print(f"\n{right} of {total} English questions and answers linked right: {share:.2%}; wrong: {wrong}")
    assert total > 1900
    assert share >= 0.99, wrong


def test_unsure_links_say_so(pairs):
    """Every link has a score; the ones below 0.5 are few, and a wrong link is never a sure one."""
    scores = [t["counterpart_score"] for en, _ in pairs for t in en["turns"] if t["counterpart"]]
    assert all(0 < s <= 1 for s in scores)
    assert sum(s < 0.5 for s in scores) / len(scores) < 0.05
    for en, zh in pairs:
        truth = expected(en, zh)
        for t in en["turns"]:
            if (
                t["kind"] in ("question", "answer")
                and t["counterpart"]
                and t["counterpart"] != truth[t["seq"]]
            ):
                assert t["counterpart_score"] < 0.9, (en["id"], t["seq"])
