"""Label resolution on its own: is a paragraph's start a label, whose, and of what form."""

from __future__ import annotations

from briefings.html import Para
from briefings.labels import (
    ANSWERER,
    ASKER,
    PERSON,
    UNIDENTIFIED,
    UNKNOWN,
    Context,
    page_style,
    resolve,
    split_label,
)
from briefings.models import Participant
from briefings.people import Entities, Roster

ENTITIES = Entities.load()
SUN = Participant("Sun Meijun", "minister of the GAC", "official", "Ms. Sun Meijun")
ZHAO = Participant("Zhao Zenglian", "vice minister of the GAC", "official", "Mr. Zhao Zenglian")
SHOU = Participant("Shou Xiaoli", "spokesperson of the SCIO", "chair", "Ms. Shou Xiaoli")
GENG = Participant("Geng Shuang", "外交部发言人", "spokesperson", "耿爽")

SCIO = Context(entities=ENTITIES, roster=Roster([SUN, ZHAO, SHOU]))
MFA = Context(entities=ENTITIES, roster=Roster([GENG]), default=GENG, unknown_labels="outlets")


def who(paragraph, ctx=SCIO):
    found, rest = split_label(paragraph, ctx)
    return (found.label, found.speaker, found.form, found.speaker_type, found.outlet, rest) if found else rest


def test_a_label_inline_standalone_or_a_roster_name_alone():
    assert who("Ms. Sun: Customs did well.") == (
        "Ms. Sun",
        "Sun Meijun",
        PERSON,
        "official",
        None,
        "Customs did well.",
    )
    assert who("Zhao Zenglian:") == ("Zhao Zenglian", "Zhao Zenglian", PERSON, "official", None, "")
    assert who("Zhao Zenglian") == (
        "Zhao Zenglian",
        "Zhao Zenglian",
        PERSON,
        "official",
        None,
        "",
    )  # colon left off
    assert who("Exports rose: by ten percent.") == "Exports rose: by ten percent."  # a sentence, not a label
    assert who("Ladies and gentlemen: welcome.") == "Ladies and gentlemen: welcome."


def test_english_forms_each_resolve_to_their_form_and_speaker():
    assert who("Q: Any comment?")[1:3] == (UNIDENTIFIED, ASKER)
    assert who("Follow-up: And then?")[1:3] == (UNIDENTIFIED, ASKER)
    assert who("The journalist clarified: I meant the port.")[1:3] == (UNIDENTIFIED, ASKER)
    assert who("Netizen 3: Will prices rise?")[1:5] == ("Netizen 3", ASKER, None, None)
    assert who("CCTV reporter: A question on ports.")[1:5] == ("CCTV", ASKER, None, "CCTV")
    assert who("Bloomberg News: What about smuggling?")[1:5] == ("Bloomberg", ASKER, None, "Bloomberg")
    assert who("Moderator: Questions, please.")[1:4] == ("Shou Xiaoli", PERSON, "chair")
    assert who("Vice Minister Zhao Zenglian: Indeed.")[1:3] == ("Zhao Zenglian", PERSON)
    assert who("Hua Chunying: We noted it.")[1:4] == (
        "Hua Chunying",
        PERSON,
        "official",
    )  # the archive's list
    assert who("Tom Harkin: A word on ports.")[1:3] == ("Tom Harkin", UNKNOWN)
    assert who("A: No.")[1:3] == (None, ANSWERER)  # no default answerer on this page


def test_chinese_forms_name_the_outlets_and_the_follow_up():
    assert who("答：我们已多次表明立场。", MFA)[1:4] == ("Geng Shuang", ANSWERER, "spokesperson")
    assert who("发言人：请你关注。", MFA)[1:4] == ("Geng Shuang", PERSON, "spokesperson")
    found, rest = split_label("《环球时报》记者提问：中方有何回应？", MFA)
    assert (found.speaker, found.form, found.outlet, rest) == (
        "Global Times",
        ASKER,
        "Global Times",
        "中方有何回应？",
    )
    found, _ = split_label("路透社、法新社记者：双方何时会谈？", MFA)
    assert (found.outlet, found.also) == ("Reuters", ("AFP",))
    found, _ = split_label("追问：中方是否会采取措施？", MFA)
    assert (found.speaker, found.form, found.follow_up) == (UNIDENTIFIED, ASKER, True)
    found, _ = split_label("记者：好。", MFA)
    assert (found.speaker, found.follow_up) == (UNIDENTIFIED, False)
    assert split_label("我刚才回答路透社记者提问时说：我们反对。", MFA) == (
        None,
        "我刚才回答路透社记者提问时说：我们反对。",
    )


def test_unknown_name_shaped_labels_follow_the_familys_policy():
    assert resolve("Kyodo News Agency", SCIO).form == ASKER  # reads like an outlet
    assert (
        resolve("Global Radio Network", MFA).outlet == "Global Radio Network"
    )  # MFA: every other label asks
    assert resolve("Wang Xiaoming", MFA).form == UNKNOWN  # a Chinese name is a person, never an outlet
    assert resolve("Tom Harkin", Context(entities=ENTITIES, unknown_labels="text")) is None


def test_where_known_labels_print_bold_a_plain_unknown_one_is_prose():
    paragraphs = [
        (1, Para("Q: Any comment?", True, True)),
        (1, Para("A: No comment.", False, True)),
        (1, Para("Q: Next?", True, True)),
        (1, Para("Guangdong Province: exports rose.", False, False)),
    ]
    styled = page_style(paragraphs, SCIO)
    assert (styled.labels_bold, styled.questions_bold) == (True, True)
    assert resolve("Guangdong Province", styled, paragraphs[3][1]) is None
    assert (
        resolve("Guangdong Province", SCIO, paragraphs[3][1]).form == UNKNOWN
    )  # how this page prints, unknown
