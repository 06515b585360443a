"""SCIO press conferences on the Chinese site (www.scio.gov.cn), from constructed pages
(tests/fixtures/constructed/scio_zh_*, see the README there): who says every turn, the roster's
roles, dates, pages, the link to the English version, and what is skipped."""

from __future__ import annotations

import shutil

from briefings import quality
from briefings.ingest import parse_paths
from briefings.models import Briefing, Rejected
from briefings.sources import family_from_markers
from conftest import FIXTURES, GOLDEN, check_golden
from helpers import entities, golden_dict, parse_one

OLD = FIXTURES / "constructed" / "scio_zh_2020"
NEW = FIXTURES / "constructed" / "scio_zh_2024"
CHAIR_ROLE = "国务院新闻办公室新闻局副局长、新闻发言人"


def results(folder):
    return [r for _, r in parse_paths([folder], entities())]


def briefing(folder) -> Briefing:
    [b] = [r for r in results(folder) if isinstance(r, Briefing)]
    return b


def who(b: Briefing) -> list[tuple]:
    return [(t.kind, t.speaker, t.outlet, t.label) for t in b.turns]


def test_the_2020_template_attributes_every_turn():
    b = briefing(OLD)
    assert (b.source, b.language) == ("scio", "zh")
    assert b.title == "国务院新闻办就稳外贸稳外资有关情况举行发布会"
    chair = ("moderator", "Shou Xiaoli", None, "寿小丽")  # 寿小丽 is the archive's Shou Xiaoli
    gao = ("answer", "高志远", None, "高志远")
    lin = ("answer", "林秋萍", None, "林秋萍")
    assert who(b) == [
        chair,
        ("statement", "高志远", None, "高志远"),
        chair,
        ("question", "China Daily", "China Daily", "中国日报记者"),
        gao,
        lin,  # handed over inside the answer ("下面请林秋萍司长补充")
        ("question", "Bloomberg", "Bloomberg", "彭博社记者"),
        gao,  # a label inline: "高志远：谢谢你的问题。……"
        ("question", "CCTV", "CCTV", "中央广播电视总台央视记者"),
        lin,
        ("question", "China Review News", "China Review News", "香港中评社记者"),
        gao,
        chair,
        ("question", "Economic Daily", "Economic Daily", "经济日报记者"),
        lin,
        chair,
    ]
    answers = [t for t in b.turns if t.kind == "answer"]
    assert all(b.turns[t.answers - 1].kind == "question" for t in answers)


def test_the_roster_gives_offices_and_the_chair():
    b = briefing(OLD)
    assert [(p.name, p.role, p.kind, p.label) for p in b.participants] == [
        ("高志远", "商务部副部长", "official", "高志远"),
        ("林秋萍", "商务部对外贸易司司长", "official", "林秋萍"),
        ("Shou Xiaoli", CHAIR_ROLE, "chair", "寿小丽"),
    ]
    roles = {t.speaker: t.role for t in b.turns}
    assert roles["高志远"] == "商务部副部长" and roles["Shou Xiaoli"] == CHAIR_ROLE


def test_dates_the_day_held_and_the_day_published():
    """Held on the day the opening sentence and 时间 give; published the next day (the 来源 line)."""
    b = briefing(OLD)
    assert (b.date, b.published) == ("2020-06-23", "2020-06-24")
    b = briefing(NEW)
    assert (b.date, b.published) == ("2024-07-12", "2024-07-15")  # 时间：2024年07月12日; PubDate


def test_no_header_line_nor_caption_is_anyones_words():
    text = "\n".join(t.text for t in briefing(OLD).turns)
    for chrome in (
        "发布人",
        "主持人：",
        "时间：",
        "图为发布会现场",
        "国务院新闻办公室于2020年6月23日",
        "责任编辑",
        "打印本页",
    ):
        assert chrome not in text, chrome


def test_a_transcript_over_three_pages_is_one_briefing_in_order():
    b = briefing(NEW)
    assert [p.rsplit("/", 1)[1] for p in b.pages] == [
        "t20240712_857321.html",
        "t20240712_857321_1.html",
        "t20240712_857321_2.html",
    ]
    assert (b.pages_declared, b.missing_pages) == (3, ())
    assert [t.page for t in b.turns] == [1] * 5 + [2] * 7 + [3] * 5
    # The answer the first page break cuts is one turn, and one paragraph, as the reader sees it.
    cut = b.turns[4]
    assert (cut.speaker, cut.kind, cut.answers) == ("周海川", "answer", 4)
    assert "正在加快形成实物工作量，我们也将加强对项目建设的调度" in cut.text and "\n" not in cut.text
    # Pages 2 and 3 repeat the title and the date: neither is anyone's words.
    assert not any(t.text.startswith(("国新办举行", "2024年7月12日")) for t in b.turns)


def test_the_2024_template_attributes_every_turn():
    b = briefing(NEW)
    chair = ("moderator", "Shou Xiaoli", None, "寿小丽")
    zhou, he = ("answer", "周海川", None, "周海川"), ("answer", "何雨桐", None, "何雨桐")
    assert who(b) == [
        chair,
        # The first label prints office and name together, as the roster does.
        ("statement", "周海川", None, "国家发展改革委副主任周海川"),
        chair,
        ("question", "CCTV", "CCTV", "中央广播电视总台央视记者"),
        zhou,
        ("question", "Bloomberg", "Bloomberg", "彭博社记者"),
        zhou,
        ("question", "Bloomberg", "Bloomberg", "彭博社记者追问"),
        zhou,
        he,
        ("question", "Yicai", "Yicai", "第一财经记者"),
        he,
        ("question", "Southern Metropolis Daily", "Southern Metropolis Daily", "南方都市报记者"),
        zhou,
        ("question", "China Economic Net", "China Economic Net", "中国经济网记者"),
        he,
        chair,
    ]
    assert b.turns[1].role == "国家发展改革委副主任"


def test_the_link_to_the_english_version_and_never_the_english_home_page():
    assert (
        briefing(NEW).counterpart_url
        == "http://english.scio.gov.cn/pressroom/2024-07/15/content_117310953.htm"
    )
    assert briefing(OLD).counterpart_url is None  # its header links only to http://english.scio.gov.cn/


def test_listings_hubs_and_notices_are_skipped_saying_why():
    skipped = {
        r.path.rsplit("/", 1)[1]: r.reason for r in results(OLD) + results(NEW) if isinstance(r, Rejected)
    }
    assert skipped == {
        "index.htm": "listing page, not a transcript",  # a conference's hub: links to 文字实录, 图片, 视频
        "1682153.htm": "notice of a press conference, not a transcript",  # 国务院新闻办公室将于……举行
        "index.html": "listing page, not a transcript",  # /xwfb/, the list of conferences
    }
    assert all(r.skip for r in results(OLD) + results(NEW) if isinstance(r, Rejected))


def test_a_page_without_its_address_is_placed_by_its_own_markers(tmp_path):
    """Saved with no manifest, the 2024 page gives its URL (<meta name="Url">) and names its site
    (SiteName); the 2020 one names neither, and is read as the Chinese site's page by its text."""
    page = tmp_path / "saved.html"
    page.write_bytes((NEW / "t20240712_857321.html").read_bytes())
    assert family_from_markers(page.read_bytes()) == "scio"
    b = parse_one(page)
    assert (b.source, b.language, b.date) == ("scio", "zh", "2024-07-12")
    assert b.url == "http://www.scio.gov.cn/live/2024/34712/tw/202407/t20240712_857321.html"
    assert who(b)[:2] == [
        ("moderator", "Shou Xiaoli", None, "寿小丽"),
        ("statement", "周海川", None, "国家发展改革委副主任周海川"),
    ]
    # Without <meta name="Url"> or SiteDomain, SiteName alone says whose page it is.
    body = (
        page.read_text("utf-8")
        .replace('<meta name="Url"', '<meta name="Other"')
        .replace("SiteDomain", "Other")
    )
    assert family_from_markers(body.encode()) == "scio"
    old = tmp_path / "old" / "1682290.htm"
    old.parent.mkdir()
    shutil.copy(OLD / "1682290.htm", old)
    b = parse_one(old)
    assert (b.source, b.language, b.title, b.date) == ("scio", "zh", briefing(OLD).title, "2020-06-23")
    assert who(b) == who(briefing(OLD))


def test_quality_finds_nothing_on_the_pages_and_flags_a_label_run_into_a_turn(tmp_path):
    report = quality.from_pages([OLD, NEW], entities())
    assert (report.label_like, report.unknown_labels, report.unattributed) == ([], {}, [])
    # Label forms the parser does not know run into the turn before them; quality shows each.
    for folder, printed, missed in (
        (NEW, "<strong>彭博社记者追问：</strong>", "彭博社记者再三追问："),
        (OLD, "<strong>高志远：</strong>谢谢你的问题", "商务部部长助理高志远：谢谢你的问题"),
    ):
        copy = tmp_path / folder.name
        shutil.copytree(folder, copy, dirs_exist_ok=True)
        for page in copy.glob("t*.html") if folder is NEW else [copy / "1682290.htm"]:
            page.write_text(page.read_text("utf-8").replace(printed, missed), "utf-8")
        (copy / "manifest.jsonl").unlink()  # its digests no longer hold
        report = quality.from_pages([copy], entities())
        assert [start[: len(missed)] for _, _, start in report.label_like] == [missed], folder.name


def test_golden(update_golden):
    for folder, name in ((OLD, "1682290"), (NEW, "t20240712_857321")):
        check_golden(golden_dict(briefing(folder)), GOLDEN / "scio_zh" / f"{name}.json", update_golden)
