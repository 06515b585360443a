"""The segmenter on realistic paragraphs: where attribution is decided."""

from __future__ import annotations

from briefings.html import Para
from briefings.models import Participant
from briefings.people import Entities, Roster
from briefings.segment import UNIDENTIFIED, Context, looks_like_name, segment

ENTITIES = Entities.load()
SUN = Participant("Sun Meijun", "minister of the GAC", "official", "Ms. Sun Meijun")
ZHAO = Participant("Zhao Zenglian", "vice minister of the GAC", "official", "Mr. Zhao Zenglian")
SHOU = Participant("Shou Xiaoli", "spokesperson of the SCIO", "chair", "Ms. Shou Xiaoli")
GENG = Participant("Geng Shuang", "Foreign Ministry spokesperson", "spokesperson", "Geng Shuang")


def scio(paragraphs):
    ctx = Context(entities=ENTITIES, roster=Roster([SUN, ZHAO, SHOU]))
    return segment([(1, p) for p in paragraphs], ctx)


def mfa(paragraphs):
    ctx = Context(
        entities=ENTITIES,
        roster=Roster([GENG]),
        default=GENG,
        opening_is_default=True,
        unknown_labels="outlets",
        bold_questions=True,
    )
    return segment([(1, p) for p in paragraphs], ctx)


def facts(turns):
    return [(t.label, t.speaker, t.kind, t.outlet, t.answers) for t in turns]


def test_roster_people_outlets_and_the_chair():
    turns = scio(
        [
            "Shou Xiaoli:",
            "Good morning.",
            "Sun Meijun:",
            "Customs did well.",
            "Shou Xiaoli:",
            "Questions, please.",
            "Bloomberg News:",
            "What about smuggling?",
            "Ms. Sun:",
            "We fought it. I would like to invite Mr. Zhao to add.",
            "Zhao Zenglian:",
            "Indeed.",
            "China News Service: A question on ports?",
            "Sun Mei jun: Ports grew.",
        ]
    )
    assert facts(turns) == [
        ("Shou Xiaoli", "Shou Xiaoli", "moderator", None, None),
        ("Sun Meijun", "Sun Meijun", "statement", None, None),
        ("Shou Xiaoli", "Shou Xiaoli", "moderator", None, None),
        ("Bloomberg News", "Bloomberg", "question", "Bloomberg", None),
        ("Ms. Sun", "Sun Meijun", "answer", None, 4),
        ("Zhao Zenglian", "Zhao Zenglian", "answer", None, 4),
        ("China News Service", "CNS", "question", "CNS", None),
        ("Sun Mei jun", "Sun Meijun", "answer", None, 7),
    ]
    assert turns[4].text == "We fought it. I would like to invite Mr. Zhao to add."
    assert turns[6].text == "A question on ports?"


def test_sentences_ending_in_a_colon_are_not_labels():
    turns = scio(
        [
            "Sun Meijun:",
            "The main achievements are as follows:",
            "First, ports.",
            "As the minister said: we will act.",
            "Second: trade.",
        ]
    )
    assert len(turns) == 1
    assert turns[0].text.split("\n\n") == [
        "The main achievements are as follows:",
        "First, ports.",
        "As the minister said: we will act.",
        "Second: trade.",
    ]


def test_unlabelled_opening_is_nobodys_on_scio_and_the_spokespersons_on_mfa():
    assert facts(scio(["Welcome to the briefing.", "Sun Meijun:", "Thank you."]))[0] == (
        None,
        None,
        "other",
        None,
        None,
    )
    assert facts(mfa(["China will host a forum.", "Q: Any details?", "A: Not yet."])) == [
        (None, "Geng Shuang", "statement", None, None),
        ("Q", UNIDENTIFIED, "question", None, None),
        ("A", "Geng Shuang", "answer", None, 2),
    ]


def test_mfa_outlets_similar_questions_and_typos_in_names():
    turns = mfa(
        [
            "Reuters: Will talks resume? (Similar question from CNBC and Agence France-Presse)",
            "Hua chunying: They will.",
            "Follow-up: When?",
            "Geng Shuang: Soon.",
            "Macau Monthly: Next?",
        ]
    )
    assert facts(turns) == [
        ("Reuters", "Reuters", "question", "Reuters", None),
        ("Hua chunying", "Hua Chunying", "answer", None, 1),
        ("Follow-up", UNIDENTIFIED, "question", None, None),
        ("Geng Shuang", "Geng Shuang", "answer", None, 3),
        ("Macau Monthly", "Macau Monthly", "question", "Macau Monthly", None),
    ]
    assert turns[0].also_asked == ("CNBC", "AFP")
    assert turns[0].text.endswith("(Similar question from CNBC and Agence France-Presse)")


def test_a_plain_paragraph_after_a_bold_question_is_the_answer():
    turns = mfa(
        [
            Para("Q: What do you have in mind?", True),
            Para("As you may have noticed, some countries...", False),
            Para("Q: And next?", True),
            Para("A: Nothing.", False),
        ]
    )
    assert facts(turns) == [
        ("Q", UNIDENTIFIED, "question", None, None),
        (None, "Geng Shuang", "answer", None, 1),
        ("Q", UNIDENTIFIED, "question", None, None),
        ("A", "Geng Shuang", "answer", None, 3),
    ]


def test_a_bold_question_may_run_over_several_bold_paragraphs():
    turns = mfa(
        [Para("Q: A long question.", True), Para("It has a second paragraph?", True), Para("A: Yes.", False)]
    )
    assert [t.text for t in turns] == ["A long question.\n\nIt has a second paragraph?", "Yes."]


def test_a_missing_page_breaks_the_turn_and_the_question_link():
    ctx = Context(entities=ENTITIES, roster=Roster([SUN, SHOU]))
    turns = segment(
        [
            (1, "Reuters:"),
            (1, "How many?"),
            (1, "Sun Meijun:"),
            (1, "Ten"),
            (3, "and twenty more."),
            (3, "Sun Meijun:"),
            (3, "Also this."),
        ],
        ctx,
    )
    assert facts(turns) == [
        ("Reuters", "Reuters", "question", "Reuters", None),
        ("Sun Meijun", "Sun Meijun", "answer", None, 1),
        (None, None, "other", None, None),
        ("Sun Meijun", "Sun Meijun", "statement", None, None),
    ]


def test_label_shapes():
    for name in (
        "Reuters",
        "China News Service",
        "Mr. Zhang",
        "The Paper",
        "CCTV4",
        "Associated Press of Pakistan",
    ):
        assert looks_like_name(name), name
    for text in (
        "The main achievements are as follows",
        "As of 24",
        "Between 00",
        "However",
        "I want to stress this",
        "Our position is very clear",
        "First, some figures from the NHC. Between 00",
    ):
        assert not looks_like_name(text), text


def test_an_unknown_person_on_an_mfa_page_is_not_taken_for_an_outlet():
    turns = mfa(
        [
            "Wang Dawei: I will add a word.",
            "Sky Newsroom: A question?",
            "Hong Kong Commercial Daily: Another?",
        ]
    )
    assert facts(turns) == [
        ("Wang Dawei", "Wang Dawei", "other", None, None),
        ("Sky Newsroom", "Sky Newsroom", "question", "Sky Newsroom", None),
        (
            "Hong Kong Commercial Daily",
            "Hong Kong Commercial Daily",
            "question",
            "Hong Kong Commercial Daily",
            None,
        ),
    ]


def test_similar_questions_in_english_and_chinese():
    from briefings.segment import similar_outlets

    e = Entities.load()
    assert similar_outlets("Any comment? (Similar question from CNBC and Bloomberg News)", e) == (
        "CNBC",
        "Bloomberg",
    )
    assert similar_outlets("中方对此有何评论？（路透社记者、总台央视记者也问到类似问题）", e) == (
        "Reuters",
        "CCTV",
    )
    assert similar_outlets("We have answered similar questions before.", e) == ()
