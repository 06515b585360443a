"""Chinese speaker labels, one form at a time: whose words each paragraph is."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from briefings.dates import find_date
from briefings.html import Para
from briefings.models import Participant
from briefings.people import Entities, Roster
from briefings.quality import Report, add_briefing
from briefings.segment import UNIDENTIFIED, Context, is_follow_up, segment

ENTITIES = Entities.load()
HUA = Participant("Hua Chunying", "Foreign Ministry spokesperson", "spokesperson", "华春莹")


def mfa(paragraphs):
    """The MFA's Chinese pages: questions bold, answers plain, every other label an asker."""
    ctx = Context(
        entities=ENTITIES,
        roster=Roster([HUA]),
        default=HUA,
        opening_is_default=True,
        unknown_labels="outlets",
        bold_questions=True,
    )
    return segment([(1, p) for p in paragraphs], ctx)


def q(text):
    return Para(text, True, True)


def a(text):
    return Para(text, False, False)


def facts(turns):
    return [(t.label, t.speaker, t.kind, t.outlet, t.answers) for t in turns]


@pytest.mark.parametrize(
    "label, outlet",
    [
        ("路透社记者", "Reuters"),
        ("路透社记者提问", "Reuters"),
        ("《环球时报》记者", "Global Times"),
        ("环球时报记者", "Global Times"),
        ("《中国日报》记者", "China Daily"),
        ("总台央视记者", "CCTV"),
        ("日本共同社记者", "Kyodo"),
        ("英国《金融时报》记者", "Financial Times"),
        ("香港中评社记者", "China Review News"),
        ("彭博社记者补充提问", "Bloomberg"),
    ],
)
def test_an_outlets_journalist_asks_and_the_spokesperson_answers(label, outlet):
    turns = mfa([q(f"{label}：中方对此有何评论？"), a("华春莹：我们注意到有关报道。")])
    assert facts(turns) == [
        (label, outlet, "question", outlet, None),
        ("华春莹", "Hua Chunying", "answer", None, 1),
    ]
    assert turns[0].text == "中方对此有何评论？"


@pytest.mark.parametrize("label", ["追问", "记者追问", "追问1", "追问（二）", "补充提问", "再问"])
def test_a_follow_up_is_the_outlet_that_asked_before(label):
    turns = mfa(
        [
            q("法新社记者：美方称将加征关税，中方是否会反制？"),
            a("华春莹：我们会坚决维护自身利益。"),
            q(f"{label}：具体会采取哪些措施？"),
            a("华春莹：请你保持关注。"),
        ]
    )
    assert facts(turns) == [
        ("法新社记者", "AFP", "question", "AFP", None),
        ("华春莹", "Hua Chunying", "answer", None, 1),
        (label, "AFP", "question", "AFP", None),
        ("华春莹", "Hua Chunying", "answer", None, 3),
    ]
    assert is_follow_up(label)


def test_a_follow_up_where_the_page_names_no_one_stays_unnamed():
    turns = mfa(
        [
            q("问：中方对此有何评论？"),
            a("答：我们注意到有关报道。"),
            q("追问：你能否证实？"),
            a("答：我没有更多信息。"),
        ]
    )
    assert [(t.label, t.speaker, t.kind, t.outlet) for t in turns] == [
        ("问", UNIDENTIFIED, "question", None),
        ("答", "Hua Chunying", "answer", None),
        ("追问", UNIDENTIFIED, "question", None),
        ("答", "Hua Chunying", "answer", None),
    ]


@pytest.mark.parametrize("label", ["记者澄清", "记者解释", "记者笑", "记者补充", "记者插话"])
def test_the_journalists_words_inside_an_exchange_are_never_the_answer(label):
    turns = mfa(
        [
            q("路透社记者：有报道称中方已经决定，你能否证实？"),
            a("华春莹：你说的是哪一份报道？"),
            q(f"{label}：有媒体这么报道。"),
            a("华春莹：我不掌握你说的情况。"),
        ]
    )
    assert facts(turns) == [
        ("路透社记者", "Reuters", "question", "Reuters", None),
        ("华春莹", "Hua Chunying", "answer", None, 1),
        (label, "Reuters", "question", "Reuters", None),
        ("华春莹", "Hua Chunying", "answer", None, 3),
    ]
    assert turns[1].text == "你说的是哪一份报道？"


def test_several_outlets_in_one_label():
    turns = mfa(
        [
            q("路透社、法新社记者：中方何时公布名单？"),
            a("华春莹：请你保持关注。"),
            q("新华社和中新社记者：峰会成果如何？"),
            a("华春莹：成果丰硕。"),
        ]
    )
    assert [(t.speaker, t.outlet, t.also_asked, t.kind) for t in turns] == [
        ("Reuters", "Reuters", ("AFP",), "question"),
        ("Hua Chunying", None, (), "answer"),
        ("Xinhua News Agency", "Xinhua News Agency", ("CNS",), "question"),
        ("Hua Chunying", None, (), "answer"),
    ]
    assert turns[0].label == "路透社、法新社记者"


def test_a_question_reported_after_the_conference_and_its_answer():
    turns = mfa(
        [
            q("问：中方对此有何评论？"),
            a("答：我们注意到有关报道。"),
            a("会后有记者问及：中方能否介绍有关情况？"),
            a("华春莹表示，中方愿同各方一道努力。"),
        ]
    )
    assert [(t.speaker, t.kind, t.answers) for t in turns][2:] == [
        (UNIDENTIFIED, "question", None),
        ("Hua Chunying", "answer", 3),
    ]


def test_a_plain_paragraph_after_a_journalists_bold_label_is_the_spokespersons():
    """A journalist's "好。（笑）" with its label in bold and the reply after it in plain type."""
    turns = mfa(
        [
            q("路透社记者：我有三个问题。"),
            a("华春莹：你这是问了几个问题？"),
            q("路透社记者：三个。"),
            q("新华社记者：峰会成果如何？"),
            a("华春莹：成果丰硕。"),
            q("塔斯社记者：会晤何时举行？"),
            a("华春莹：请你保持关注。"),
            Para("记者：好。（笑）", False, True),
            a("关于第一个问题，中方立场是明确的。"),
        ]
    )
    assert [(t.speaker, t.kind, t.text) for t in turns][-2:] == [
        (UNIDENTIFIED, "question", "好。（笑）"),
        ("Hua Chunying", "answer", "关于第一个问题，中方立场是明确的。"),
    ]


def test_prose_before_a_colon_is_never_a_label():
    turns = mfa(
        [
            q("路透社记者：你对此有何回应？"),
            a("华春莹：我刚才回答路透社记者提问时说：中方立场是一贯的。"),
            a("我只讲两句话：第一，中国不是吓大的。"),
        ]
    )
    assert [(t.speaker, t.kind) for t in turns] == [("Reuters", "question"), ("Hua Chunying", "answer")]
    assert turns[1].text.endswith("我只讲两句话：第一，中国不是吓大的。")


def test_an_unknown_chinese_outlet_is_kept_as_printed_and_listed_by_quality():
    turns = mfa([q("《海港晚报》记者：中方有何评论？"), a("华春莹：我们注意到有关报道。")])
    assert (turns[0].speaker, turns[0].outlet, turns[0].label) == ("海港晚报", "海港晚报", "《海港晚报》记者")
    report = Report()
    add_briefing(report, _briefing(turns), ENTITIES)
    assert dict(report.unknown_labels) == {"《海港晚报》记者": 1}


def test_quality_shows_a_label_form_the_parser_does_not_know():
    """A made-up form ("再三追问") is run into the answer before it; the report says where."""
    turns = mfa(
        [
            q("路透社记者：你对此有何回应？"),
            a("华春莹：中方立场是一贯的。"),
            q("路透社记者再三追问：那么中方是否会采取措施？"),
            a("华春莹：请你保持关注。"),
        ]
    )
    report = Report()
    add_briefing(report, _briefing(turns), ENTITIES)
    assert [(seq, start[:9]) for _, seq, start in report.label_like] == [(2, "路透社记者再三追问")]


def _briefing(turns):
    return {
        "id": "mfa-test",
        "date": "2020-06-23",
        "participants": [{"name": HUA.name, "role": HUA.role, "kind": HUA.kind}],
        "missing_pages": [],
        "turns": [asdict(t) for t in turns],
    }


# -- through the command line: a page as the ministry prints it ----------------------------------


def _page(tmp_path, body: str):
    title = "2020年6月23日外交部发言人华春莹主持例行记者会"
    page = tmp_path / "t1793001.html"
    page.write_text(
        f"<html><head><title>{title}</title></head><body><div class='content_mod'><h2 class='title'>{title}</h2>"
        f"<div class='content'>{body}</div></div></body></html>",
        encoding="utf-8",
    )
    return page


def _run(*args):
    from click.testing import CliRunner

    from briefings.cli import cli

    return CliRunner().invoke(cli, [str(a) for a in args])


def test_chinese_names_find_the_english_entities(tmp_path, db_path):
    # The search index reads a Latin word run into Chinese characters as part of them: "（WTO）" stands apart.
    page = _page(
        tmp_path,
        (
            "<p><strong><b>路透社记者</b>：美方称将退出世界贸易组织（WTO），中方有何评论？</strong></p>"
            "<p>华春莹：我们注意到有关报道。世贸组织（WTO）是多边贸易体制的核心。</p>"
            "<p><b>《环球时报》记者：</b><b>美方还称（WTO）规则过时，你如何看？</b></p><p>华春莹：这种说法站不住脚。</p>"
        ),
    )
    assert _run("ingest", page, "--source", "mfa", "--db", db_path).exit_code == 0
    rows = json.loads(_run("search", "WTO", "--outlet", "路透社", "--json", "--db", db_path).stdout)
    assert [(r["label"], r["speaker"], r["outlet"], r["kind"]) for r in rows] == [
        ("路透社记者", "Reuters", "Reuters", "question")
    ]
    rows = json.loads(_run("search", "WTO", "--outlet", "环球时报", "--json", "--db", db_path).stdout)
    assert [(r["label"], r["outlet"]) for r in rows] == [("《环球时报》记者", "Global Times")]
    rows = json.loads(_run("search", "WTO", "--speaker", "华春莹", "--json", "--db", db_path).stdout)
    assert [(r["label"], r["speaker"], r["kind"]) for r in rows] == [("华春莹", "Hua Chunying", "answer")]
    listed = json.loads(_run("list", "--speaker", "华春莹", "--json", "--db", db_path).stdout)
    assert [b["id"] for b in listed] == [
        b["id"] for b in json.loads(_run("list", "--json", "--db", db_path).stdout)
    ]
    assert len(listed) == 1


def test_quality_lists_a_made_up_label_form_and_an_unknown_outlet(tmp_path):
    page = _page(
        tmp_path,
        (
            "<p><b>路透社记者：中方有何评论？</b></p><p>华春莹：我们注意到有关报道。</p>"
            "<p><b>路透社记者再三追问：那么中方是否会采取措施？</b></p><p>华春莹：请你保持关注。</p>"
            "<p><b>《海港晚报》记者：峰会何时举行？</b></p><p>华春莹：我们会适时发布消息。</p>"
        ),
    )
    report = json.loads(_run("quality", page, "--source", "mfa", "--json").stdout)
    assert [(p["seq"], p["start"][:9]) for p in report["label_like_paragraphs"]] == [
        (2, "路透社记者再三追问")
    ]
    assert [(u["label"], u["count"]) for u in report["unknown_labels"]] == [("《海港晚报》记者", 1)]


@pytest.mark.parametrize(
    "text, iso",
    [
        ("2020年6月23日外交部发言人华春莹主持例行记者会", "2020-06-23"),
        ("2020 年 6 月 3 日", "2020-06-03"),
        ("２０２０年６月２３日", "2020-06-23"),
        ("2021年2月30日", None),
    ],
)
def test_chinese_dates(text, iso):
    assert find_date(text) == iso
