"""Each paragraph rule of the segmenter on its own, on the kind of sequence that calls for it.

Every test names the rule it is about, checks that the rule read the paragraph
it is for, and what the turns then are; where a rule's work can be seen by its
absence, the same paragraphs read without it come out otherwise.
"""

from __future__ import annotations

from dataclasses import replace

from briefings.html import Para
from briefings.models import Participant
from briefings.people import Entities, Roster
from briefings.segment import RULES, UNIDENTIFIED, Context, read

ENTITIES = Entities.load()
SUN = Participant("Sun Meijun", "minister of the GAC", "official", "Ms. Sun Meijun")
SHOU = Participant("Shou Xiaoli", "spokesperson of the SCIO", "chair", "Ms. Shou Xiaoli")
GENG = Participant("Geng Shuang", "Foreign Ministry spokesperson", "spokesperson", "Geng Shuang")
GENG_ZH = Participant("Geng Shuang", "外交部发言人", "spokesperson", "耿爽")

TESTED: set[str] = set()


def rule(name):
    """Mark a test as the one for the rule `name` (see the last test)."""
    assert name in {r.name for r in RULES}, name

    def mark(test):
        TESTED.add(name)
        return test

    return mark


def scio():
    return Context(entities=ENTITIES, roster=Roster([SUN, SHOU]))


def mfa(default=GENG):
    return Context(
        entities=ENTITIES,
        roster=Roster([default]),
        default=default,
        opening_is_default=True,
        unknown_labels="outlets",
        bold_questions=True,
    )


def on_one_page(paragraphs):
    return [(1, p) for p in paragraphs]


def without(name):
    return tuple(r for r in RULES if r.name != name)


def facts(reading):
    return [(t.speaker, t.kind, t.outlet, t.answers) for t in reading.turns]


def applied(reading, name):
    """The indexes of the paragraphs the rule `name` read."""
    return [i for i, n in reading.applied if n == name]


@rule("page missing")
def test_a_missing_page_leaves_the_answer_after_it_answering_nothing():
    paragraphs = [(1, "Q: Will the talks resume next week?"), (3, "A: I have no information to offer.")]
    r = read(paragraphs, mfa())
    assert applied(r, "page missing") == [1]
    assert facts(r) == [(UNIDENTIFIED, "question", None, None), ("Geng Shuang", "answer", None, None)]
    assert facts(read(paragraphs, mfa(), without("page missing")))[1] == ("Geng Shuang", "answer", None, 1)


@rule("separator")
def test_text_after_a_row_of_asterisks_is_the_spokespersons_again():
    paragraphs = on_one_page(
        [
            "Q: Is there a date for the visit?",
            "A: We will release information in due course.",
            "* * * * *",
            "The Foreign Ministry will hold no press conference on Friday.",
        ]
    )
    r = read(paragraphs, mfa())
    assert applied(r, "separator") == [2]
    assert facts(r)[2] == ("Geng Shuang", "statement", None, None)
    assert "* * * * *" not in r.turns[1].text
    assert len(read(paragraphs, mfa(), without("separator")).turns) == 2  # the notice run into the answer


@rule("note alone")
def test_an_editorial_note_is_nobodys_turn():
    paragraphs = on_one_page(
        ["Q: One last question?", "A: Thank you.", "(The press conference concluded at 4 pm.)"]
    )
    r = read(paragraphs, mfa())
    assert applied(r, "note alone") == [2]
    assert facts(r)[2] == (None, "other", None, None)
    assert r.turns[2].text == "(The press conference concluded at 4 pm.)"


@rule("note before text")
def test_a_note_that_introduces_a_question_makes_its_text_that_question():
    paragraphs = on_one_page(
        [
            "The following question was raised after the press conference: Does China plan to send observers?",
            "A: China supports the talks and will stay in touch with all parties.",
        ]
    )
    r = read(paragraphs, mfa())
    assert applied(r, "note before text") == [0]
    assert [t.text for t in r.turns[:2]] == [
        "The following question was raised after the press conference:",
        "Does China plan to send observers?",
    ]
    assert facts(r) == [
        (None, "other", None, None),
        (UNIDENTIFIED, "question", None, None),
        ("Geng Shuang", "answer", None, 2),
    ]


@rule("reported question")
def test_a_question_reported_after_the_conference_opens_its_own_exchange():
    paragraphs = on_one_page(
        [
            "Q: What is your comment on the election?",
            "A: It is their internal affair.",
            "After the press conference, a journalist asked whether China would send observers.",
            "A: China will consider it.",
        ]
    )
    r = read(paragraphs, mfa())
    assert applied(r, "reported question") == [2]
    assert facts(r)[2:] == [(UNIDENTIFIED, "question", None, None), ("Geng Shuang", "answer", None, 3)]


@rule("reported answer")
def test_the_spokesperson_answering_in_the_third_person_answers_the_reported_question():
    paragraphs = on_one_page(
        ["会后，有记者问及：中方是否会派观察员？", "耿爽表示，中方一贯支持通过对话解决分歧。"]
    )
    plain = replace(mfa(GENG_ZH), bold_questions=False)  # a page that does not say what is bold
    r = read(paragraphs, plain)
    assert applied(r, "reported answer") == [1]
    assert facts(r) == [(UNIDENTIFIED, "question", None, None), ("Geng Shuang", "answer", None, 1)]
    assert len(read(paragraphs, plain, without("reported answer")).turns) == 1


@rule("plain after bold question")
def test_a_plain_paragraph_after_a_bold_question_is_the_answer_its_label_left_off():
    paragraphs = on_one_page(
        [
            Para("Q: What do you have in mind?", True),
            Para("As you may have noticed, some countries have said so.", False),
            Para("Q: And next?", True),
            Para("A: Nothing.", False),
        ]
    )
    r = read(paragraphs, mfa())
    assert applied(r, "plain after bold question") == [1]
    assert facts(r) == [
        (UNIDENTIFIED, "question", None, None),
        ("Geng Shuang", "answer", None, 1),
        (UNIDENTIFIED, "question", None, None),
        ("Geng Shuang", "answer", None, 3),
    ]
    assert [t.kind for t in read(paragraphs, mfa(), without("plain after bold question")).turns] == [
        "question",
        "question",
        "answer",
    ]


@rule("same label again")
def test_a_label_printed_twice_in_a_row_is_one_turn_under_the_later_label():
    r = read(on_one_page(["Sun Meijun:", "Ms. Sun Meijun:", "Customs did well this year."]), scio())
    assert applied(r, "same label again") == [1]
    assert [(t.label, t.speaker, t.kind, t.text) for t in r.turns] == [
        ("Ms. Sun Meijun", "Sun Meijun", "statement", "Customs did well this year.")
    ]


@rule("asker's label")
def test_an_askers_label_opens_a_question_and_a_follow_up_is_that_asker_again():
    paragraphs = on_one_page(
        [
            "路透社记者：中方对此有何评论？",
            "答：我们已多次表明立场。",
            "追问：中方是否会采取措施？",
            "答：请你关注后续消息。",
        ]
    )
    r = read(paragraphs, mfa(GENG_ZH))
    assert applied(r, "asker's label") == [0, 2]
    assert facts(r) == [
        ("Reuters", "question", "Reuters", None),
        ("Geng Shuang", "answer", None, 1),
        ("Reuters", "question", "Reuters", None),
        ("Geng Shuang", "answer", None, 3),
    ]
    assert r.turns[2].label == "追问"  # the label stays as printed


@rule("answerer's label")
def test_an_answerers_label_is_the_default_speaker_answering_the_open_question():
    r = read(
        on_one_page(["Bloomberg: Any update on the trade talks?", "A: The two teams are in touch."]), mfa()
    )
    assert applied(r, "answerer's label") == [1]
    assert facts(r) == [("Bloomberg", "question", "Bloomberg", None), ("Geng Shuang", "answer", None, 1)]


@rule("chair's label")
def test_the_chairs_label_is_the_rosters_chair_moderating():
    r = read(on_one_page(["Moderator: Questions, please.", "Bloomberg News: What about smuggling?"]), scio())
    assert applied(r, "chair's label") == [0]
    assert facts(r)[0] == ("Shou Xiaoli", "moderator", None, None)


@rule("person's label")
def test_a_named_person_answers_the_open_question_or_else_makes_a_statement():
    paragraphs = on_one_page(
        [
            "Sun Meijun: Customs did well.",
            "Bloomberg News: What about smuggling?",
            "Ms. Sun: We fought it hard.",
        ]
    )
    r = read(paragraphs, scio())
    assert applied(r, "person's label") == [0, 2]
    assert facts(r) == [
        ("Sun Meijun", "statement", None, None),
        ("Bloomberg", "question", "Bloomberg", None),
        ("Sun Meijun", "answer", None, 2),
    ]


@rule("unknown label")
def test_an_unknown_label_is_kept_as_printed_and_answers_nothing_before_it():
    paragraphs = on_one_page(
        [
            "Bloomberg News: What about smuggling?",
            "Tom Harkin: Before that, a word on ports.",
            "Sun Meijun: We fought it.",
        ]
    )
    r = read(paragraphs, scio())
    assert applied(r, "unknown label") == [1]
    assert facts(r) == [
        ("Bloomberg", "question", "Bloomberg", None),
        ("Tom Harkin", "other", None, None),
        ("Sun Meijun", "statement", None, None),
    ]


@rule("opening statement")
def test_unlabelled_opening_text_is_the_spokespersons_where_the_family_says_so():
    paragraphs = on_one_page(["Good afternoon. I have two announcements to make.", "Q: Thank you."])
    r = read(paragraphs, mfa())
    assert applied(r, "opening statement") == [0]
    assert facts(r)[0] == ("Geng Shuang", "statement", None, None)
    assert "opening statement" not in {n for _, n in read(paragraphs, scio()).applied}


@rule("unlabelled opening")
def test_unlabelled_opening_text_is_nobodys_elsewhere():
    r = read(on_one_page(["Good morning, friends from the media.", "Sun Meijun: Customs did well."]), scio())
    assert applied(r, "unlabelled opening") == [0]
    assert facts(r) == [(None, "other", None, None), ("Sun Meijun", "statement", None, None)]


@rule("cut by a page break")
def test_a_sentence_cut_by_a_page_break_is_one_paragraph():
    paragraphs = [
        (1, "Sun Meijun: Exports rose by ten percent in the"),
        (2, "first quarter, and imports fell."),
    ]
    r = read(paragraphs, scio())
    assert applied(r, "cut by a page break") == [1]
    assert r.turns[0].text == "Exports rose by ten percent in the first quarter, and imports fell."
    assert r.turns[0].page == 1
    unjoined = read(paragraphs, scio(), without("cut by a page break")).turns[0].text
    assert unjoined == "Exports rose by ten percent in the\n\nfirst quarter, and imports fell."


@rule("continuation")
def test_an_unlabelled_paragraph_goes_on_with_the_turn_before_it():
    r = read(on_one_page(["Sun Meijun: First, exports.", "Second, imports.", "Third, ports."]), scio())
    assert applied(r, "continuation") == [1, 2]
    assert [t.text for t in r.turns] == ["First, exports.\n\nSecond, imports.\n\nThird, ports."]


def test_every_rule_has_its_test_and_every_paragraph_is_used_up():
    assert TESTED == {r.name for r in RULES}
    paragraphs = on_one_page(
        ["Good afternoon.", "Q: Any comment?", Para("Well, we noted it.", False), "* * *", "Bye.", "Q:", "A:"]
    )
    r = read(paragraphs, mfa())
    final = {r.name for r in RULES if r.final}
    assert sorted(i for i, n in r.applied if n in final) == list(range(len(paragraphs)))
