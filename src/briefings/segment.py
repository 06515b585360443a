"""Paragraphs to speaker turns: the one place attribution is decided.

Every page family ends here with a list of paragraphs and what it knows about
the people on stage. A paragraph either opens a turn (it starts with, or is, a
speaker label) or continues the turn before it, across page breaks too.

Attribution rules, from the most to the least certain:
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
    who: Who
    kind: str
    page: int
    answers: int | None
    paragraphs: list[str] = field(default_factory=list)
    bold: bool = True  # every paragraph so far printed bold
    opened_bold: bool = False  # its label was printed bold


def segment(paragraphs: list[tuple[int, str]], ctx: Context) -> list[Turn]:
    """Turn (page number, paragraph) pairs into speaker turns in reading order."""
    ctx = page_style(paragraphs, ctx)
    turns: list[Turn] = []
    current: _Open | None = None
    open_question: int | None = None
    asker: Who | None = None  # who asked the exchange's question: "追问", "记者澄清" are them again
    after_break = False  # a separator ended the exchange: unlabelled text is the default speaker's again
    d = ctx.default
    reported_answer = (
        re.compile(rf"^(?:{re.escape(d.name)}|{re.escape(d.label or d.name)}){_REPORTED_ANSWER}")
        if d
        else None
    )

    def close() -> None:
        nonlocal current, open_question
        if current is None or not current.paragraphs:
            current = None
            return
        text = "\n\n".join(current.paragraphs)
        who = current.who
        seq = len(turns) + 1
        also = similar_outlets(text, ctx.entities) if current.kind == "question" else ()
        also = tuple(dict.fromkeys(a for a in (*who.also, *also) if a != who.outlet))
        turns.append(
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
            open_question = seq
        current = None

    def default_turn(kind: str, page: int, answers: int | None = None) -> _Open:
        return _Open(Who(None, d.name, d.role, PERSON, d.kind), kind, page, answers)

    splits = [split_label(para, ctx) for _, para in paragraphs]  # once each: answer_follows looks ahead
    labels = [who for who, _ in splits]

    def answer_follows(i: int) -> bool:
        """Is the next labelled paragraph after i an answer (so i belongs to the question)?

        A question reported after the conference, a note or a row of asterisks
        opens an exchange of its own: an answer after it answers that, not i."""
        for j, who in enumerate(labels[i + 1 :], i + 1):
            text = paragraphs[j][1]
            if who is None and (
                _REPORTED_QUESTION.match(text) or _SEPARATOR.match(text) or _NOTES.match(text)
            ):
                return False
            if who is not None:
                return who.form == ANSWERER or (
                    who.form == PERSON and d is not None and who.speaker == d.name
                )
        return False

    last_page = paragraphs[0][0] if paragraphs else 1
    for i, (page, para) in enumerate(paragraphs):
        prev_page, last_page = last_page, page
        if page > prev_page + 1:
            # A page is missing: what follows cannot be joined to, or answer, anything before it.
            close()
            open_question = None
            asker = None
        if _SEPARATOR.match(fold(para)):
            close()
            open_question = None
            asker = None
            after_break = True
            continue
        note = _NOTES.match(para)
        if note:
            close()
            current = _Open(Who(None, None, None, UNKNOWN), "other", page, None, [note.group("note")])
            close()
            if not note.group("rest"):
                continue
            para = note.group("rest")
            if note.group("asked"):
                open_question = None
                current = _Open(Who(None, UNIDENTIFIED, None, ASKER), "question", page, None)
        who, rest = split_label(para, ctx) if note else splits[i]  # a note's rest is a paragraph of its own
        if who is None and _REPORTED_QUESTION.match(para):
            close()
            open_question = None
            asker = None
            current = _Open(Who(None, UNIDENTIFIED, None, ASKER), "question", page, None, [para])
            continue
        if (
            who is None
            and reported_answer is not None
            and current is not None
            and current.kind == "question"
            and reported_answer.match(para)
        ):
            close()
            current = default_turn("answer", page, open_question)
        is_bold = getattr(para, "bold", False)
        if (
            who is None
            and ctx.bold_questions
            and d is not None
            and current is not None
            and current.kind == "question"
            and current.paragraphs
            and not is_bold
            and (
                current.bold
                or (ctx.questions_bold and current.opened_bold and getattr(para, "bold_start", None) is False)
            )
            and not answer_follows(i)
        ):
            # Where askers' questions print bold throughout, a plain paragraph after a
            # journalist's bold label ("记者：好。（笑）") is the spokesperson's again.
            close()
            current = default_turn("answer", page, open_question)
        if who is None:
            if current is None:
                if ctx.opening_is_default and d is not None and (not turns or after_break):
                    current = default_turn("statement", page)
                else:
                    current = _Open(Who(None, None, None, UNKNOWN), "other", page, None)
            elif current.paragraphs and page == prev_page + 1 and _continues(current.paragraphs[-1], para):
                # A sentence cut by the page break: one paragraph, as the reader sees it.
                current.paragraphs[-1] = f"{current.paragraphs[-1]} {para}"
                continue
            current.paragraphs.append(para)
            current.bold = current.bold and is_bold
            continue
        after_break = False
        if current is not None and not current.paragraphs and current.who.speaker == who.speaker:
            current.who = who  # the same label printed twice in a row
        else:
            close()
            if who.form == ASKER:
                kind, answers = "question", None
                open_question = None
                if who.follow_up and who.outlet is None and asker is not None:
                    # "追问" after "路透社记者": Reuters again; the label stays as printed.
                    who = replace(who, speaker=asker.speaker, outlet=asker.outlet, also=asker.also)
                asker = who
            elif who.form == ANSWERER:
                kind, answers = "answer", open_question
            elif who.form == PERSON and who.speaker_type == "chair":
                kind, answers = "moderator", None
            elif who.form == PERSON:
                kind = "answer" if open_question is not None else "statement"
                answers = open_question
            else:
                # Someone the archive does not know: nothing after it can be said to answer
                # a question asked before it.
                kind, answers = "other", None
                open_question = None
                asker = None
            current = _Open(
                who, kind, page, answers, bold=is_bold, opened_bold=bool(getattr(para, "bold_start", False))
            )
        if rest:
            current.paragraphs.append(rest)
    close()
    return turns


def _continues(before: str, after: str) -> bool:
    """Does `after` carry on the sentence `before` breaks off (no end punctuation, lower-case start)?"""
    return not re.search(r"[.!?。？！:：;；\"')\]]$", fold(before)) and bool(re.match(r"[a-z]", after))
