"""Traps where a careless parser gives words to the wrong speaker or drops them.

Each page is small and realistic, built from the conventions in sites.md.
"""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import CORPUS, ROOT
from helpers import parse_all, parse_one

SEED_GAC = ROOT / "data" / "raw" / "seeds" / "gac_speech_2025-01-13.txt"


def scio_text(tmp_path, name, body, url_id="117000001", page=""):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    url = f"https://english.scio.gov.cn/pressroom/2025-03/08/content_{url_id}{page}.html"
    (tmp_path / (name + ".meta.json")).write_text(
        json.dumps({"url": url, "source": "scio"}), encoding="utf-8"
    )
    return path


HEADER = """Press RoomPress Conference Transcripts
SCIO press conference on customs work
China.org.cn | March 8, 2025
Speakers:
Ms. Sun Meijun, minister of the GAC
Mr. Wang Jun (via video link), vice minister of the GAC
Chairperson:
Ms. Shou Xiaoli, spokesperson of the SCIO
Date:
Aug. 25-26, 2025
"""


def facts(b):
    return [(t.label, t.speaker, t.kind) for t in b.turns]


def test_labels_with_brackets_reporter_words_and_numbers(tmp_path):
    page = scio_text(
        tmp_path,
        "p.txt",
        HEADER
        + """Shou Xiaoli:
Welcome.
Sun Meijun:
Exports rose.
China News Service (CNS):
What about smuggling?
Wang Jun (via video link):
We fought it.
CCTV reporter:
And ports?
Sun Meijun:
They grew.
France 24:
And tariffs?
Sun Meijun:
We will cut them.
""",
    )
    b = parse_one(page)
    assert b.date == "2025-08-25"  # a two-day briefing is dated by its first day
    assert [p.name for p in b.participants] == ["Sun Meijun", "Wang Jun", "Shou Xiaoli"]
    assert facts(b) == [
        ("Shou Xiaoli", "Shou Xiaoli", "moderator"),
        ("Sun Meijun", "Sun Meijun", "statement"),
        ("China News Service (CNS)", "CNS", "question"),
        ("Wang Jun (via video link)", "Wang Jun", "answer"),
        ("CCTV reporter", "CCTV", "question"),
        ("Sun Meijun", "Sun Meijun", "answer"),
        ("France 24", "France 24", "question"),
        ("Sun Meijun", "Sun Meijun", "answer"),
    ]


def test_more_from_in_speech_is_not_the_related_links_footer(tmp_path):
    page = scio_text(
        tmp_path,
        "p.txt",
        HEADER
        + """Sun Meijun:
Exports rose.
More from the customs side will be announced next month.
Bloomberg News:
What about tariffs?
Sun Meijun:
We will cut them.
MORE FROM China SCIO
Other briefing titles
""",
    )
    b = parse_one(page)
    assert b.turns[0].text == "Exports rose.\n\nMore from the customs side will be announced next month."
    assert facts(b)[-1] == ("Sun Meijun", "Sun Meijun", "answer")
    assert b.turns[-1].text == "We will cut them."


def test_a_roster_repeated_on_page_2_is_not_speech(tmp_path):
    one = scio_text(
        tmp_path,
        "content_117000003.txt",
        HEADER
        + """Sun Meijun:
First, we will cut them.
1  2  >
""",
        url_id="117000003",
    )
    scio_text(
        tmp_path,
        "content_117000003_2.txt",
        HEADER
        + """Second, we will raise efficiency at ports.
Shou Xiaoli:
That concludes the press conference.
""",
        url_id="117000003",
        page="_2",
    )
    [b] = parse_all(one.parent)
    assert facts(b) == [
        ("Sun Meijun", "Sun Meijun", "statement"),
        ("Shou Xiaoli", "Shou Xiaoli", "moderator"),
    ]
    assert b.turns[0].text == "First, we will cut them.\n\nSecond, we will raise efficiency at ports."
    assert not b.missing_pages


def test_a_speech_has_no_labels_but_its_speakers(tmp_path):
    folder = tmp_path / "gac"
    folder.mkdir()
    text = SEED_GAC.read_text(encoding="utf-8").replace("Friends from the media,", "Ladies and Gentlemen:")
    text = text.replace("Good morning! Thank you", "Key Measures: Good morning! Thank you")
    (folder / "speech.txt").write_text(text, encoding="utf-8")
    shutil.copy(SEED_GAC.with_name(SEED_GAC.name + ".meta.json"), folder / "speech.txt.meta.json")
    b = parse_one(folder / "speech.txt")
    assert facts(b) == [(None, "Wang Lingjun", "statement")]
    assert b.turns[0].text.startswith("Ladies and Gentlemen:\n\nKey Measures: Good morning!")


def mfa_page(tmp_path, body: str):
    folder = tmp_path / "mfa"
    folder.mkdir(exist_ok=True)
    page = folder / "t1558711.html"
    page.write_text(
        "<html><head><title>x</title></head><body><div class='content_mod'><h2 class='title'>"
        "Foreign Ministry Spokesperson Geng Shuang's Regular Press Conference on May 11, 2018</h2>"
        f"<div class='content'>{body}</div></div></body></html>",
        encoding="utf-8",
    )
    return page


def test_mfa_a_quoted_paragraph_inside_a_bold_question_stays_in_the_question(tmp_path):
    page = mfa_page(
        tmp_path,
        "<P><STRONG>Q: A US official said the following yesterday:</STRONG></P>"
        '<P>"China is stealing our technology and must be stopped."</P>'
        "<P><STRONG>What is your comment?</STRONG></P>"
        "<P>A: These accusations are groundless.</P>",
    )
    b = parse_one(page, source="mfa")
    assert facts(b) == [("Q", "Unidentified journalist", "question"), ("A", "Geng Shuang", "answer")]
    assert b.turns[0].text.split("\n\n") == [
        "A US official said the following yesterday:",
        '"China is stealing our technology and must be stopped."',
        "What is your comment?",
    ]


def test_mfa_a_plain_capitalised_phrase_in_an_answer_is_not_an_outlet(tmp_path):
    page = mfa_page(
        tmp_path,
        "<P><B>Reuters</B><B>: Any comment on Hong Kong?</B></P>"
        "<P>Geng Shuang: We have made our position clear.</P>"
        "<P>Hong Kong: the national security law protects the many.</P>"
        "<P>Fact: China has never interfered.</P>"
        "<P><B>Ocean Weekly Gazette</B><B>: Next question?</B></P>",
    )
    b = parse_one(page, source="mfa")
    assert facts(b) == [
        ("Reuters", "Reuters", "question"),
        ("Geng Shuang", "Geng Shuang", "answer"),
        ("Ocean Weekly Gazette", "Ocean Weekly Gazette", "question"),
    ]
    assert b.turns[1].text.endswith(
        "Hong Kong: the national security law protects the many.\n\nFact: China has never interfered."
    )


def test_an_unknown_outlet_in_a_real_page_opens_its_own_question(tmp_path):
    source = CORPUS / "en" / "t1791285.html"
    if not source.exists():
        pytest.skip("../shared/corpus/mfa/en is not present")
    page = tmp_path / "t1791285.html"
    page.write_text(
        source.read_text(encoding="utf-8").replace("Feature Story News:", "France 24:"), encoding="utf-8"
    )
    b = parse_one(page, source="mfa")
    asked = [t for t in b.turns if t.label == "France 24"]
    assert len(asked) == 2 and all(t.kind == "question" and t.outlet == "France 24" for t in asked)
    assert not any("France 24:" in t.text for t in b.turns)


def test_an_odd_roster_entry_does_not_end_the_roster(tmp_path):
    page = scio_text(
        tmp_path,
        "p.txt",
        HEADER.replace(
            "Mr. Wang Jun (via video link), vice minister of the GAC",
            "Mr. Wang Jun and his deputy, vice ministers of the GAC",
        )
        + """Shou Xiaoli:
Welcome.
Sun Meijun:
Exports rose.
""",
    )
    b = parse_one(page)
    assert b.date == "2025-08-25"
    assert [(p.name, p.kind) for p in b.participants] == [
        ("Sun Meijun", "official"),
        ("Wang Jun and his deputy", "official"),
        ("Shou Xiaoli", "chair"),
    ]
    assert facts(b) == [
        ("Shou Xiaoli", "Shou Xiaoli", "moderator"),
        ("Sun Meijun", "Sun Meijun", "statement"),
    ]


def scio_html(tmp_path, body: str, name: str = "content_118280001.html"):
    """An SCIO page whose labels are printed bold, as the site prints them."""
    page = tmp_path / name
    page.write_text(
        "<html><head><meta charset='utf-8'><title>SCIO press conference on industry_China SCIO</title></head>"
        "<body><h1 class='tit'>SCIO press conference on industry</h1>"
        "<div class='info'>China.org.cn | March 20, 2023</div><div class='content' id='content'><!--enpcontent-->"
        "<p><strong>Speakers:</strong></p><p>Mr. Zhang Baofeng, vice minister of industry</p>"
        "<p>Ms. Lin Yaqing, director of the planning department</p>"
        "<p><strong>Chairperson:</strong></p><p>Ms. Shou Xiaoli, spokesperson of the SCIO</p>"
        f"<p><strong>Date:</strong></p><p>March 2, 2023</p>{body}<!--/enpcontent--></div></body></html>",
        encoding="utf-8",
    )
    return page


def test_labels_with_titles_roles_and_other_spellings_find_the_roster_person(tmp_path):
    page = scio_html(
        tmp_path,
        "<p><strong>Chairperson Shou Xiaoli:</strong></p><p>Good morning.</p>"
        "<p><strong>Vice Minister Zhang Baofeng:</strong></p><p>Thank you.</p>"
        "<p><strong>CCTV:</strong></p><p>A question?</p>"
        "<p><strong>Zhang Baofeng, vice minister of industry:</strong></p><p>An answer.</p>"
        "<p><strong>CNR:</strong></p><p>Another?</p>"
        "<p><strong>Director Lin:</strong></p><p>Yes.</p>"
        "<p><strong>MS. LIN YAQING:</strong></p><p>More.</p>",
    )
    b = parse_one(page, source="scio")
    assert [(t.label, t.speaker, t.kind, t.answers) for t in b.turns] == [
        ("Chairperson Shou Xiaoli", "Shou Xiaoli", "moderator", None),
        ("Vice Minister Zhang Baofeng", "Zhang Baofeng", "statement", None),
        ("CCTV", "CCTV", "question", None),
        ("Zhang Baofeng, vice minister of industry", "Zhang Baofeng", "answer", 3),
        ("CNR", "CNR", "question", None),
        ("Director Lin", "Lin Yaqing", "answer", 5),
        ("MS. LIN YAQING", "Lin Yaqing", "answer", 5),
    ]
    assert [t.text for t in b.turns] == [
        "Good morning.",
        "Thank you.",
        "A question?",
        "An answer.",
        "Another?",
        "Yes.",
        "More.",
    ]


def test_a_roster_name_alone_on_its_line_is_a_label_without_its_colon(tmp_path):
    page = scio_html(
        tmp_path,
        "<p><strong>National Business Daily:</strong></p><p>What about chips?</p>"
        "<p><strong>Zhang Baofeng</strong></p><p>Chip supply has improved.</p>",
    )
    b = parse_one(page, source="scio")
    assert [(t.label, t.speaker, t.kind, t.answers, t.text) for t in b.turns] == [
        ("National Business Daily", "National Business Daily", "question", None, "What about chips?"),
        ("Zhang Baofeng", "Zhang Baofeng", "answer", 1, "Chip supply has improved."),
    ]


def test_an_unknown_asker_never_lets_the_reply_answer_an_older_question(tmp_path):
    page = scio_html(
        tmp_path,
        "<p><strong>CCTV:</strong></p><p>How fast did output grow?</p>"
        "<p><strong>Zhang Baofeng:</strong></p><p>By 6 percent.</p>"
        "<p><strong>Harbour Evening Courant:</strong></p><p>And charging piles?</p>"
        "<p><strong>Zhang Baofeng:</strong></p><p>We built 2 million.</p>",
    )
    b = parse_one(page, source="scio")
    assert [(t.speaker, t.kind, t.answers) for t in b.turns] == [
        ("CCTV", "question", None),
        ("Zhang Baofeng", "answer", 1),
        ("Harbour Evening Courant", "other", None),
        ("Zhang Baofeng", "statement", None),
    ]


def test_a_sentence_cut_by_the_page_break_is_one_paragraph(tmp_path):
    one = scio_html(
        tmp_path,
        "<p><strong>CCTV:</strong></p><p>What comes next?</p>"
        "<p><strong>Zhang Baofeng:</strong></p><p>First, we will</p>"
        "<div id='autopage'>1 2 &gt;</div>",
        name="content_118280002.html",
    )
    two = tmp_path / "content_118280002_2.html"
    two.write_text(
        one.read_text(encoding="utf-8").split("<p><strong>Speakers")[0]
        + "<p>improve the ports.</p><p>Second, we will cut fees.</p><!--/enpcontent--></div></body></html>",
        encoding="utf-8",
    )
    [b] = parse_all(tmp_path, source="scio")
    assert b.turns[-1].speaker == "Zhang Baofeng"
    assert b.turns[-1].text == "First, we will improve the ports.\n\nSecond, we will cut fees."
    assert not b.missing_pages


def test_generic_moderator_and_capitalised_surname_labels(tmp_path):
    page = tmp_path / "briefing.html"
    page.write_text(
        "<html><head><title>Port briefing | Example News</title></head><body><article><h1>Port briefing</h1>"
        "<p><time datetime='2024-06-03'>June 3, 2024</time></p>"
        "<p>The following is an edited transcript of the briefing given on May 30, 2024 by Ms. Amelia Hart,"
        " spokesperson for the harbour authority.</p>"
        "<p>MODERATOR: First question.</p><p>Q: When will the port reopen?</p><p>A: On Monday.</p>"
        "<p>Q: And the ferries?</p><p>MS. HART: Next week.</p><p>Moderator: Thank you all.</p>"
        "</article></body></html>",
        encoding="utf-8",
    )
    b = parse_one(page)
    assert b.date == "2024-05-30"
    assert [(t.label, t.speaker, t.kind) for t in b.turns] == [
        ("MODERATOR", None, "moderator"),
        ("Q", "Unidentified journalist", "question"),
        ("A", "Amelia Hart", "answer"),
        ("Q", "Unidentified journalist", "question"),
        ("MS. HART", "Amelia Hart", "answer"),
        ("Moderator", None, "moderator"),
    ]


@pytest.mark.parametrize(
    "asked",
    [
        "<P><B>{outlet}: {question}</B></P>",  # the whole question in bold, as in 2020
        "<P><B>{outlet}: </B>{question}</P>",  # only the label in bold
    ],
)
def test_mfa_a_bold_heading_inside_an_answer_is_not_an_asker(tmp_path, asked):
    page = mfa_page(
        tmp_path,
        asked.format(outlet="Reuters", question="Any comment on the report?")
        + "<P>Geng Shuang: Let me give you the facts.</P>"
        "<P><B>Fact 1: </B>China shared the data on day one.</P>"
        "<P><B>Fact 2: </B>China invited the experts.</P>"
        + asked.format(outlet="Bloomberg", question="Will the experts come?")
        + "<P>Geng Shuang: Yes.</P>",
    )
    b = parse_one(page, source="mfa")
    assert facts(b) == [
        ("Reuters", "Reuters", "question"),
        ("Geng Shuang", "Geng Shuang", "answer"),
        ("Bloomberg", "Bloomberg", "question"),
        ("Geng Shuang", "Geng Shuang", "answer"),
    ]
    assert b.turns[1].text.split("\n\n") == [
        "Let me give you the facts.",
        "Fact 1: China shared the data on day one.",
        "Fact 2: China invited the experts.",
    ]


def test_mfa_what_follows_a_row_of_asterisks_is_the_spokespersons_notice(tmp_path):
    page = mfa_page(
        tmp_path,
        "<P><B>Q: Any comment on the talks?</B></P><P>A: They went well.</P>"
        "<P>********</P><P>The press conference will be adjourned on Monday.</P>"
        "<P>See you on Tuesday.</P>",
    )
    b = parse_one(page, source="mfa")
    assert [(t.speaker, t.kind, t.answers) for t in b.turns] == [
        ("Unidentified journalist", "question", None),
        ("Geng Shuang", "answer", 1),
        ("Geng Shuang", "statement", None),
    ]
    assert b.turns[2].text == "The press conference will be adjourned on Monday.\n\nSee you on Tuesday."


def test_gac_interview_netizens_with_handles_and_a_semicolon_roster(tmp_path):
    page = tmp_path / "2b7d1f40-8c3a-4e55-b9d2-7a61c0e3f18e.html"
    page.write_text(
        "<html><head><title>Online interview</title></head><body><div class='content'>"
        "<h1>Online interview on quarantine</h1><p>2024/06/19</p>"
        "<p>Guests: Mr. Li Kuiwen, director of the news office; Ms. Wang Ling, deputy director</p>"
        "<p>[Host]: Welcome, netizens. 06/18/2024 10:00:01</p>"
        "<p>[Netizen abc123]: How long does quarantine take? 06/18/2024 10:01:00</p>"
        "<p>[Li Kuiwen]: Two days at most. 06/18/2024 10:02:00</p>"
        "<p>[网友]: 需要哪些文件？ 06/18/2024 10:03:00</p>"
        "<p>[Wang Ling]: A certificate. 06/18/2024 10:04:00</p>"
        "<p>[Visitor 7]: And on weekends? 06/18/2024 10:05:00</p>"
        "<p>[Li Kuiwen]: The same. 06/18/2024 10:06:00</p>"
        "<p>[Guest user]: Thank you. 06/18/2024 10:07:00</p>"
        "<p>[Wang Ling]: You are welcome. 06/18/2024 10:08:00</p></div></body></html>",
        encoding="utf-8",
    )
    b = parse_one(page, source="gac")
    assert [(p.name, p.role) for p in b.participants][:2] == [
        ("Li Kuiwen", "director of the news office"),
        ("Wang Ling", "deputy director"),
    ]
    assert [(t.label, t.speaker, t.kind, t.answers) for t in b.turns] == [
        ("Host", "Host", "moderator", None),
        ("Netizen abc123", "Netizen abc123", "question", None),
        ("Li Kuiwen", "Li Kuiwen", "answer", 2),
        ("网友", "网友", "question", None),
        ("Wang Ling", "Wang Ling", "answer", 4),
        ("Visitor 7", "Visitor 7", "question", None),
        ("Li Kuiwen", "Li Kuiwen", "answer", 6),
        ("Guest user", "Guest user", "question", None),
        ("Wang Ling", "Wang Ling", "answer", 8),
    ]


@pytest.mark.parametrize(
    "speaker_line",
    [
        "Mr. Wang Lingjun, Vice Minister of the General Administration of Customs of China",
        "Wang Lingjun, Vice Minister of the General Administration of Customs of China",
    ],
)
def test_gac_a_speech_under_its_own_headline_is_still_the_speakers(tmp_path, speaker_line):
    page = tmp_path / "5e5e5e5e-1234-4321-abcd-0123456789ab.html"
    page.write_text(
        "<html><head><meta charset='utf-8'><title>Speech at the Global AEO Conference</title></head><body>"
        "<div class='top'>Home|中文站</div><div class='detail'><h2>Speech at the Global AEO Conference</h2>"
        "<div class='date'>2025/01/10</div><div class='content'>"
        "<p>(The Chinese version shall prevail.)</p>"
        "<p>Speech by Vice Minister Wang Lingjun at the Global AEO Conference</p><p>January 13,2025</p>"
        f"<p>{speaker_line}</p><p>Distinguished guests:</p><p>Good morning! First: we will deepen mutual"
        " recognition.</p><p>Thank you.</p></div></div>"
        "<div class='footer'><p>STATEMENT</p><p>Address: No.6 Jianguomennei Avenue Postcode: 100730</p></div>"
        "</body></html>",
        encoding="utf-8",
    )
    b = parse_one(page, source="gac")
    assert (b.date, b.published) == ("2025-01-13", "2025-01-10")
    assert [(p.name, p.role) for p in b.participants] == [
        ("Wang Lingjun", "Vice Minister of the General Administration of Customs of China")
    ]
    assert facts(b) == [(None, "Wang Lingjun", "statement")]
    assert b.turns[0].text == (
        "Distinguished guests:\n\nGood morning! First: we will deepen mutual recognition.\n\nThank you."
    )
