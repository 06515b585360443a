"""Paragraphs to speaker turns: the one place attribution is decided.

Every page family ends here with a list of paragraphs and what it knows about
the people on stage. A paragraph either opens a turn (it starts with, or is, a
speaker label) or continues the turn before it, across page breaks too.

Whose a label is, and its form, labels.py decides; this module decides what
that means for the turn, by the rules in `RULES`, tried in order on each
paragraph. Attribution, from the most to the least certain:
- a label naming a roster participant (or a known person) is that person;
- `Q:`, `Journalist:`, `Follow-up:` are questions from an unnamed journalist,
  and a label naming a known outlet is a question from that outlet;
- `A:` is the briefing's default answerer (the MFA spokesperson in the title);
- an unknown label that reads like a name is kept as printed: an asking outlet
  where the family's format makes every other label an outlet (MFA), otherwise
  a turn of kind "other" that the quality report lists for a person to check.
Nothing is ever attributed by guessing from position alone, except what a
family declares: unlabelled MFA opening announcements are the spokesperson's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from .labels import (
    ANSWERER,
    ASKER,
    PERSON,
    UNIDENTIFIED,
    UNKNOWN,
    Context,
    Who,
    is_follow_up,
    looks_like_name,
    page_style,
    split_label,
    zh_label_shaped,
)
from .models import Turn
from .people import Entities
from .text import fold

# Label resolution lives in labels.py; these names are read from here too.
__all__ = [
    "UNIDENTIFIED",
    "Context",
    "is_follow_up",
    "is_reported_question",
    "looks_like_name",
    "segment",
    "similar_outlets",
    "zh_label_shaped",
]

_SIMILAR = re.compile(
    r"\((?:A\s+)?similar\s+questions?\s+(?:was\s+|were\s+)?(?:raised\s+|asked\s+)?(?:from|by)\s+([^)]+)\)\s*$",
    re.IGNORECASE,
)
_ZH_SIMILAR = re.compile(
    r"[（(]\s*([^（）()]{1,60}?)(?:也|亦|还)(?:问到|问及|提出了?|问了)类似(?:的)?问题\s*[)）]\s*$"
)
# Editorial notes are nobody's turn; when a note introduces a question
# ("The following question was raised after the press conference: ..."),
# the text after it is that question.
_NOTES = re.compile(
    r"^(?P<note>(?:The following questions? (?:was|were) (?P<asked>raised|asked)\b[^:：]*"
    r"|\(?The (?:press conference|briefing) (?:ended|concluded)\b[^:：]*)[:：.)]?)\s*(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)


# A question reported rather than transcribed: "After the press conference, a
# journalist asked if ...", "会后，有记者问及：...". The whole paragraph is that question.
_REPORTED_QUESTION = re.compile(
    r"^(?:(?:After|Following) the (?:regular )?(?:press conference|briefing)s?,?\s+(?:a|one|some|several|another)\s+"
    r"(?:journalists?|reporters?|correspondents?)\s+(?:also\s+)?(?:asked|raised|inquired|wanted to know)\b"
    r"|(?:记者)?会后[，,]?\s*(?:还)?有记者(?:问及|问到|提问|问)[：:，,]?)",
    re.IGNORECASE,
)
# A row of asterisks or rules: the page's own break between the exchange and
# what follows it (notices, farewells). Nobody's words.
_SEPARATOR = re.compile(r"^\s*(?:[*＊※]\s*){3,}$|^\s*(?:[-—_=~]\s*){5,}$")
# The spokesperson's reply to a reported question, printed in the third person: "耿爽表示，".
_REPORTED_ANSWER = "(?:表示|说|指出|回答|答)[，,：:]"


def is_reported_question(para: str) -> bool:
    """A question reported after the conference ("会后，有记者问及："): a turn's own first words."""
    return bool(_REPORTED_QUESTION.match(para))


def similar_outlets(text: str, entities: Entities) -> tuple[str, ...]:
    """Outlets that asked the same question: "(Similar question from CNBC and AFP)", "（路透社记者也问到类似问题）"."""
    m = _SIMILAR.search(text) or _ZH_SIMILAR.search(text)
    if not m:
        return ()
    names = [re.sub(r"记者$", "", n.strip()) for n in re.split(r"\s*(?:,|，|\band\b|&|、|和)\s*", m.group(1))]
    return tuple(entities.outlet(n) or n for n in names if n)


@dataclass
class _Open:
    """The turn being read: who speaks, its kind, and its paragraphs so far."""

    who: Who
    kind: str  # the turn's kind: statement | question | answer | moderator | other
    page: int
    answers: int | None
    paragraphs: list[str] = field(default_factory=list)
    bold: bool = True  # every paragraph so far printed bold
    opened_bold: bool = False  # its label was printed bold


@dataclass
class Paragraph:
    """One paragraph as the rules see it: where it is, its label resolved, and the rest."""

    index: int
    page: int
    prev_page: int  # the page of the paragraph before it
    text: str  # html.Para (with bold and bold_start) or plain text
    who: Who | None  # whom its label names, None when it has no label
    rest: str  # its text after the label
    note: re.Match[str] | None  # an editorial note it opens with

    @property
    def bold(self) -> bool:
        return getattr(self.text, "bold", False)

    @property
    def bold_start(self) -> bool | None:
        return getattr(self.text, "bold_start", None)


@dataclass
class Reading:
    """The segmenter's state between paragraphs: turns made, the turn open, the exchange it is in."""

    ctx: Context
    paragraphs: list[Paragraph]
    turns: list[Turn] = field(default_factory=list)
    current: _Open | None = None
    open_question: int | None = None  # seq of the question an answer now answers
    asker: Who | None = None  # who asked the exchange's question: "追问", "记者澄清" are them again
    after_break: bool = (
        False  # a separator ended the exchange: unlabelled text is the default speaker's again
    )
    reported_answer: re.Pattern[str] | None = (
        None  # "耿爽表示，": the default speaker answering in the third person
    )
    applied: list[tuple[int, str]] = field(default_factory=list)  # (paragraph index, rule name), in order

    def close(self) -> None:
        """End the open turn; one with no paragraphs leaves no trace."""
        current = self.current
        self.current = None
        if current is None or not current.paragraphs:
            return
        text = "\n\n".join(current.paragraphs)
        who = current.who
        seq = len(self.turns) + 1
        also = similar_outlets(text, self.ctx.entities) if current.kind == "question" else ()
        also = tuple(dict.fromkeys(a for a in (*who.also, *also) if a != who.outlet))
        self.turns.append(
            Turn(
                seq=seq,
                label=who.label,
                speaker=who.speaker,
                role=who.role,
                kind=current.kind,
                outlet=who.outlet,
                text=text,
                answers=current.answers,
                also_asked=also,
                page=current.page,
            )
        )
        if current.kind == "question":
            self.open_question = seq

    def forget_exchange(self) -> None:
        """Close the turn; nothing after this answers, or follows up, anything before it."""
        self.close()
        self.open_question = None
        self.asker = None

    def default_turn(self, kind: str, page: int, answers: int | None = None) -> _Open:
        d = self.ctx.default
        assert d is not None  # every rule that opens one asks for a default speaker first
        return _Open(Who(None, d.name, d.role, PERSON, d.kind), kind, page, answers)

    def answer_follows(self, i: int) -> bool:
        """Is the next labelled paragraph after i an answer (so i belongs to the question)?

        A question reported after the conference, a note or a row of asterisks
        opens an exchange of its own: an answer after it answers that, not i."""
        d = self.ctx.default
        for p in self.paragraphs[i + 1 :]:
            if p.who is None and (
                _REPORTED_QUESTION.match(p.text) or _SEPARATOR.match(p.text) or p.note is not None
            ):
                return False
            if p.who is not None:
                return p.who.form == ANSWERER or (
                    p.who.form == PERSON and d is not None and p.who.speaker == d.name
                )
        return False


@dataclass(frozen=True)
class Rule:
    """One way of reading a paragraph: when it applies, what it does, and whether that uses it up.

    A rule that does not use the paragraph up (`final=False`) changes the state,
    or the paragraph, for the rules after it."""

    name: str
    applies: Callable[[Reading, Paragraph], bool]
    act: Callable[[Reading, Paragraph], None]
    final: bool = True


# The rules, in the order they are tried on each paragraph. --------------------------------------------


def _page_missing(r: Reading, p: Paragraph) -> bool:
    return p.page > p.prev_page + 1


def _separator(r: Reading, p: Paragraph) -> bool:
    return bool(_SEPARATOR.match(fold(p.text)))


def _end_exchange(r: Reading, p: Paragraph) -> None:
    r.forget_exchange()
    r.after_break = True


def _note_alone(r: Reading, p: Paragraph) -> bool:
    return p.note is not None and not p.note.group("rest")


def _note_then_text(r: Reading, p: Paragraph) -> bool:
    return p.note is not None and bool(p.note.group("rest"))


def _keep_note(r: Reading, p: Paragraph) -> None:
    """The note as a turn of nobody's."""
    assert p.note is not None
    r.close()
    r.current = _Open(Who(None, None, None, UNKNOWN), "other", p.page, None, [p.note.group("note")])
    r.close()


def _read_after_note(r: Reading, p: Paragraph) -> None:
    """The note kept; the text after it is read as a paragraph of its own (a question, if the note says so)."""
    assert p.note is not None
    _keep_note(r, p)
    p.text = p.note.group("rest")
    if p.note.group("asked"):
        r.open_question = None
        r.current = _Open(Who(None, UNIDENTIFIED, None, ASKER), "question", p.page, None)
    p.who, p.rest = split_label(p.text, r.ctx)


def _reported_question(r: Reading, p: Paragraph) -> bool:
    return p.who is None and bool(_REPORTED_QUESTION.match(p.text))


def _open_reported_question(r: Reading, p: Paragraph) -> None:
    r.forget_exchange()
    r.current = _Open(Who(None, UNIDENTIFIED, None, ASKER), "question", p.page, None, [p.text])


def _reported_answer(r: Reading, p: Paragraph) -> bool:
    return (
        p.who is None
        and r.reported_answer is not None
        and r.current is not None
        and r.current.kind == "question"
        and bool(r.reported_answer.match(p.text))
    )


def _open_default_answer(r: Reading, p: Paragraph) -> None:
    r.close()
    r.current = r.default_turn("answer", p.page, r.open_question)


def _plain_after_bold_question(r: Reading, p: Paragraph) -> bool:
    """Where questions print bold and answers plain, a plain paragraph after a bold
    question ("记者：好。（笑）" aside) is the default answerer's, its `A:` left off."""
    c = r.current
    return (
        p.who is None
        and r.ctx.bold_questions
        and r.ctx.default is not None
        and c is not None
        and c.kind == "question"
        and bool(c.paragraphs)
        and not p.bold
        and (c.bold or (r.ctx.questions_bold and c.opened_bold and p.bold_start is False))
        and not r.answer_follows(p.index)
    )


def _same_label_again(r: Reading, p: Paragraph) -> bool:
    c = r.current
    return p.who is not None and c is not None and not c.paragraphs and c.who.speaker == p.who.speaker


def _relabel(r: Reading, p: Paragraph) -> None:
    """The same label printed twice in a row: one turn, under the later label."""
    assert r.current is not None and p.who is not None
    r.after_break = False
    r.current.who = p.who
    _add_rest(r, p)


def _form(form: str) -> Callable[[Reading, Paragraph], bool]:
    def applies(r: Reading, p: Paragraph) -> bool:
        return p.who is not None and p.who.form == form

    return applies


def _chair(r: Reading, p: Paragraph) -> bool:
    return p.who is not None and p.who.form == PERSON and p.who.speaker_type == "chair"


def _labelled(r: Reading, p: Paragraph) -> bool:
    return p.who is not None


def _open_turn(r: Reading, p: Paragraph, who: Who, kind: str, answers: int | None) -> None:
    r.current = _Open(who, kind, p.page, answers, bold=p.bold, opened_bold=bool(p.bold_start))
    _add_rest(r, p)


def _add_rest(r: Reading, p: Paragraph) -> None:
    if p.rest:
        assert r.current is not None
        r.current.paragraphs.append(p.rest)


def _open_question(r: Reading, p: Paragraph) -> None:
    assert p.who is not None
    r.after_break = False
    r.close()
    r.open_question = None
    who = p.who
    if who.follow_up and who.outlet is None and r.asker is not None:
        # "追问" after "路透社记者": Reuters again; the label stays as printed.
        who = replace(who, speaker=r.asker.speaker, outlet=r.asker.outlet, also=r.asker.also)
    r.asker = who
    _open_turn(r, p, who, "question", None)


def _open_answer(r: Reading, p: Paragraph) -> None:
    assert p.who is not None
    r.after_break = False
    r.close()
    _open_turn(r, p, p.who, "answer", r.open_question)


def _open_moderator(r: Reading, p: Paragraph) -> None:
    assert p.who is not None
    r.after_break = False
    r.close()
    _open_turn(r, p, p.who, "moderator", None)


def _open_person(r: Reading, p: Paragraph) -> None:
    """A named person answers the question open, or else makes a statement."""
    assert p.who is not None
    r.after_break = False
    r.close()
    kind = "answer" if r.open_question is not None else "statement"
    _open_turn(r, p, p.who, kind, r.open_question)


def _open_unknown(r: Reading, p: Paragraph) -> None:
    """Someone the archive does not know: nothing after it can be said to answer a question before it."""
    assert p.who is not None
    r.after_break = False
    r.close()
    r.open_question = None
    r.asker = None
    _open_turn(r, p, p.who, "other", None)


def _opening_statement(r: Reading, p: Paragraph) -> bool:
    """Unlabelled text first on the page, or first after a separator, where the family
    declares such text the default speaker's (MFA's opening announcements)."""
    return (
        p.who is None
        and r.current is None
        and r.ctx.opening_is_default
        and r.ctx.default is not None
        and (not r.turns or r.after_break)
    )


def _open_statement(r: Reading, p: Paragraph) -> None:
    r.current = r.default_turn("statement", p.page)


def _unlabelled_opening(r: Reading, p: Paragraph) -> bool:
    return p.who is None and r.current is None


def _open_nobodys(r: Reading, p: Paragraph) -> None:
    r.current = _Open(Who(None, None, None, UNKNOWN), "other", p.page, None)


def _cut_by_page_break(r: Reading, p: Paragraph) -> bool:
    c = r.current
    return (
        p.who is None
        and c is not None
        and bool(c.paragraphs)
        and p.page == p.prev_page + 1
        and _continues(c.paragraphs[-1], p.text)
    )


def _join(r: Reading, p: Paragraph) -> None:
    """A sentence cut by the page break: one paragraph, as the reader sees it."""
    assert r.current is not None
    r.current.paragraphs[-1] = f"{r.current.paragraphs[-1]} {p.text}"


def _unlabelled(r: Reading, p: Paragraph) -> bool:
    return p.who is None


def _continue_turn(r: Reading, p: Paragraph) -> None:
    assert r.current is not None
    r.current.paragraphs.append(p.text)
    r.current.bold = r.current.bold and p.bold


RULES: tuple[Rule, ...] = (
    # The page's own breaks: a page missing, a row of asterisks, an editorial note.
    Rule("page missing", _page_missing, lambda r, p: r.forget_exchange(), final=False),
    Rule("separator", _separator, _end_exchange),
    Rule("note alone", _note_alone, _keep_note),
    Rule("note before text", _note_then_text, _read_after_note, final=False),
    # Questions and answers the page reports rather than transcribes.
    Rule("reported question", _reported_question, _open_reported_question),
    Rule("reported answer", _reported_answer, _open_default_answer, final=False),
    Rule("plain after bold question", _plain_after_bold_question, _open_default_answer, final=False),
    # A label opens a turn; its form decides the turn's kind.
    Rule("same label again", _same_label_again, _relabel),
    Rule("asker's label", _form(ASKER), _open_question),
    Rule("answerer's label", _form(ANSWERER), _open_answer),
    Rule("chair's label", _chair, _open_moderator),
    Rule("person's label", _form(PERSON), _open_person),
    Rule("unknown label", _labelled, _open_unknown),
    # No label: the turn before goes on, or the first turn opens.
    Rule("opening statement", _opening_statement, _open_statement, final=False),
    Rule("unlabelled opening", _unlabelled_opening, _open_nobodys, final=False),
    Rule("cut by a page break", _cut_by_page_break, _join),
    Rule("continuation", _unlabelled, _continue_turn),
)


def read(paragraphs: list[tuple[int, str]], ctx: Context, rules: tuple[Rule, ...] = RULES) -> Reading:
    """Apply the rules to each paragraph in turn, until one uses it up; the reading, with every rule applied."""
    ctx = page_style(paragraphs, ctx)
    d = ctx.default
    r = Reading(ctx, [])
    if d is not None:
        r.reported_answer = re.compile(
            rf"^(?:{re.escape(d.name)}|{re.escape(d.label or d.name)}){_REPORTED_ANSWER}"
        )
    last_page = paragraphs[0][0] if paragraphs else 1
    for i, (page, text) in enumerate(paragraphs):
        who, rest = split_label(text, ctx)  # every label first: a rule may look ahead
        r.paragraphs.append(Paragraph(i, page, last_page, text, who, rest, _NOTES.match(text)))
        last_page = page
    for p in r.paragraphs:
        for rule in rules:
            if rule.applies(r, p):
                rule.act(r, p)
                r.applied.append((p.index, rule.name))
                if rule.final:
                    break
    r.close()
    return r


def segment(paragraphs: list[tuple[int, str]], ctx: Context) -> list[Turn]:
    """Turn (page number, paragraph) pairs into speaker turns in reading order."""
    return read(paragraphs, ctx).turns


def _continues(before: str, after: str) -> bool:
    """Does `after` carry on the sentence `before` breaks off (no end punctuation, lower-case start)?"""
    return not re.search(r"[.!?。？！:：;；\"')\]]$", fold(before)) and bool(re.match(r"[a-z]", after))
