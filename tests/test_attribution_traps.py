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
    (tmp_path / (name + ".meta.json")).write_text(json.dumps({"url": url, "source": "scio"}), encoding="utf-8")
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
    page = scio_text(tmp_path, "p.txt", HEADER + """Shou Xiaoli:
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
""")
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
    page = scio_text(tmp_path, "p.txt", HEADER + """Sun Meijun:
Exports rose.
More from the customs side will be announced next month.
Bloomberg News:
What about tariffs?
Sun Meijun:
We will cut them.
MORE FROM China SCIO
Other briefing titles
""")
    b = parse_one(page)
    assert b.turns[0].text == "Exports rose.\n\nMore from the customs side will be announced next month."
    assert facts(b)[-1] == ("Sun Meijun", "Sun Meijun", "answer")
    assert b.turns[-1].text == "We will cut them."


def test_a_roster_repeated_on_page_2_is_not_speech(tmp_path):
    one = scio_text(tmp_path, "content_117000003.txt", HEADER + """Sun Meijun:
First, we will cut them.
1  2  >
""", url_id="117000003")
    two = scio_text(tmp_path, "content_117000003_2.txt", HEADER + """Second, we will raise efficiency at ports.
Shou Xiaoli:
That concludes the press conference.
""", url_id="117000003", page="_2")
    [b] = parse_all(one.parent)
    assert facts(b) == [("Sun Meijun", "Sun Meijun", "statement"), ("Shou Xiaoli", "Shou Xiaoli", "moderator")]
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
        f"<div class='content'>{body}</div></div></body></html>", encoding="utf-8")
    return page


def test_mfa_a_quoted_paragraph_inside_a_bold_question_stays_in_the_question(tmp_path):
    page = mfa_page(tmp_path, "<P><STRONG>Q: A US official said the following yesterday:</STRONG></P>"
                              "<P>\"China is stealing our technology and must be stopped.\"</P>"
                              "<P><STRONG>What is your comment?</STRONG></P>"
                              "<P>A: These accusations are groundless.</P>")
    b = parse_one(page, source="mfa")
    assert facts(b) == [("Q", "Unidentified journalist", "question"), ("A", "Geng Shuang", "answer")]
    assert b.turns[0].text.split("\n\n") == [
        "A US official said the following yesterday:",
        "\"China is stealing our technology and must be stopped.\"", "What is your comment?"]


def test_mfa_a_plain_capitalised_phrase_in_an_answer_is_not_an_outlet(tmp_path):
    page = mfa_page(tmp_path, "<P><B>Reuters</B><B>: Any comment on Hong Kong?</B></P>"
                              "<P>Geng Shuang: We have made our position clear.</P>"
                              "<P>Hong Kong: the national security law protects the many.</P>"
                              "<P>Fact: China has never interfered.</P>"
                              "<P><B>Ocean Weekly Gazette</B><B>: Next question?</B></P>")
    b = parse_one(page, source="mfa")
    assert facts(b) == [
        ("Reuters", "Reuters", "question"),
        ("Geng Shuang", "Geng Shuang", "answer"),
        ("Ocean Weekly Gazette", "Ocean Weekly Gazette", "question"),
    ]
    assert b.turns[1].text.endswith("Hong Kong: the national security law protects the many.\n\n"
                                    "Fact: China has never interfered.")


def test_an_unknown_outlet_in_a_real_page_opens_its_own_question(tmp_path):
    source = CORPUS / "en" / "t1791285.html"
    if not source.exists():
        pytest.skip("../shared/corpus/mfa/en is not present")
    page = tmp_path / "t1791285.html"
    page.write_text(source.read_text(encoding="utf-8").replace("Feature Story News:", "France 24:"), encoding="utf-8")
    b = parse_one(page, source="mfa")
    asked = [t for t in b.turns if t.label == "France 24"]
    assert len(asked) == 2 and all(t.kind == "question" and t.outlet == "France 24" for t in asked)
    assert not any("France 24:" in t.text for t in b.turns)


def test_an_odd_roster_entry_does_not_end_the_roster(tmp_path):
    page = scio_text(tmp_path, "p.txt", HEADER.replace("Mr. Wang Jun (via video link), vice minister of the GAC",
                                                       "Mr. Wang Jun and his deputy, vice ministers of the GAC") + """Shou Xiaoli:
Welcome.
Sun Meijun:
Exports rose.
""")
    b = parse_one(page)
    assert b.date == "2025-08-25"
    assert [(p.name, p.kind) for p in b.participants] == [
        ("Sun Meijun", "official"), ("Wang Jun and his deputy", "official"), ("Shou Xiaoli", "chair")]
    assert facts(b) == [("Shou Xiaoli", "Shou Xiaoli", "moderator"), ("Sun Meijun", "Sun Meijun", "statement")]
