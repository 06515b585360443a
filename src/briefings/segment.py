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
from dataclasses import dataclass, field

from .models import Participant, Turn
from .people import Entities, Roster, strip_title

UNIDENTIFIED = "Unidentified journalist"

_STANDALONE = re.compile(r"^(?P<label>[^:：]{1,80}?)\s*[:：]$")
_INLINE = re.compile(r"^(?P<label>[^:：]{1,60}?)\s*[:：]\s*(?P<rest>\S.*)$", re.DOTALL)
_QUESTION_LABELS = {
    "q", "question", "questions", "journalist", "reporter", "follow-up", "follow up", "followup",
    "follow-up question", "问", "记者", "追问",
}
_ASKER = re.compile(r"^(?:netizen|网友|audience member)\b[\s\d#]*$")
_ANSWER_LABELS = {"a", "answer", "答"}
_CONNECTORS = {
    "of", "and", "the", "for", "de", "du", "des", "la", "le", "von", "van", "der", "da",
    "di", "al", "el", "bin", "on", "in", "&", "y", "e", "del",
}
# Forms of address that end with a colon and open a speech, not a turn.
_SALUTATIONS = {
    "ladies and gentlemen", "dear friends", "friends from the media", "friends from the press",
    "dear journalists", "distinguished guests", "dear colleagues", "good morning", "good afternoon",
}
# "China News Service (CNS)", "Wang Jun (via video link)": the name is what precedes the brackets.
_BRACKETED = re.compile(r"^(?P<name>.+?)\s*[（(](?P<inner>[^()（）]{1,40})[)）]$")
# "CCTV reporter", "Reuters correspondent": the outlet is what precedes the word.
_REPORTER = re.compile(r"^(?P<outlet>.+?)\s+(?:reporter|correspondent|journalist)s?$", re.IGNORECASE)
# Capitalised words that start sentences, not names: "However:", "Note:".
_NOT_NAMES = {
    "first", "second", "third", "fourth", "fifth", "finally", "note", "notes", "also",
    "however", "but", "and", "so", "now", "here", "today", "this", "that", "these",
    "those", "it", "we", "i", "he", "she", "they", "as", "at", "in", "on", "between",
    "from", "since", "after", "before", "when", "while", "if", "our", "my", "let",
    "please", "thank", "thanks", "next", "last", "what", "why", "how", "who", "where",
    "address", "postcode", "tel", "fax", "email", "source", "editor", "photo", "time",
    "date", "venue", "location", "title", "subject", "attachment", "links", "copyright",
    "speakers", "speaker", "chairperson", "chair", "moderator", "host", "update", "updated",
}
_OUTLET_WORDS = re.compile(
    r"\b(?:News|Agency|Daily|Times|TV|Television|Radio|Press|Post|Network|Media|Service|"
    r"Journal|Broadcasting|Herald|Magazine|Weekly|Monthly|Tribune|Telegraph|Gazette|"
    r"Channel|Newspaper|Review|Observer|Online|Net|Reporter|Correspondent|Shimbun|Ilbo)\b"
)
# Common Chinese surnames in pinyin: an unknown label shaped "Wang Yi" or
# "Liu Jianchao" is a person, never taken for an asking outlet.
_SURNAMES = frozenset("""
    bai cai cao chang chen cheng cui dai deng ding dong du duan fan fang feng fu gao geng gong gu guo
    han hao he hou hu hua huang jia jiang jin kang kong lai lei li liang liao lin liu long lu luo ma mao
    meng mo ni pan peng qi qian qiao qin qiu ren shao shen sheng shi shou song su sun tan tang tian wan
    wang wei wen wu xia xiao xie xiong xu xue yan yang yao ye yi yin yu yuan zeng zhai zhang zhao zheng
    zhong zhou zhu zou
""".split())
_SIMILAR = re.compile(
    r"\((?:A\s+)?similar\s+questions?\s+(?:was\s+|were\s+)?(?:raised\s+|asked\s+)?(?:from|by)\s+([^)]+)\)\s*$",
    re.IGNORECASE,
)
_ZH_REPORTER = re.compile(r"^(?P<outlet>.{1,15}?)记者$")
# Editorial notes are nobody's turn; when a note introduces a question
# ("The following question was raised after the press conference: ..."),
# the text after it is that question.
_NOTES = re.compile(
    r"^(?P<note>(?:The following questions? (?:was|were) (?P<asked>raised|asked)\b[^:：]*"
    r"|\(?The (?:press conference|briefing) (?:ended|concluded)\b[^:：]*)[:：.)]?)\s*(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass
class Context:
    """What a page family knows before reading the turns."""

    entities: Entities
    roster: Roster = field(default_factory=lambda: Roster([]))
    default: Participant | None = None  # answers `A:` and, if declared, the unlabelled opening
    opening_is_default: bool = False
    # What an unknown but name-shaped label is: "other" (a speaker to check),
    # "outlets" (MFA: everyone but the spokesperson asks), or "text" (a speech
    # or an interview, where only known names are labels).
    unknown_labels: str = "other"
    # Questions are printed bold and answers plain (MFA): a plain paragraph after
    # a bold question is the default answerer's, even where the `A:` label is missing.
    bold_questions: bool = False
    date: str | None = None


@dataclass
class _Who:
    label: str | None
    speaker: str | None
    role: str | None
    kind: str  # question | answer | person | other
    person_kind: str | None = None
    outlet: str | None = None


def looks_like_name(label: str) -> bool:
    """Could this be a speaker's or an outlet's name, and not a sentence?"""
    if re.search(r"[,;?!\"“”()\[\]]", label) or len(label) > 60:
        return False
    if re.fullmatch(r"[\u4e00-\u9fff·]{2,15}", label):
        return True  # Chinese names are judged by resolution, not by shape
    words = label.split()
    if not 1 <= len(words) <= 7:
        return False
    if strip_title(label).split()[:1] and strip_title(label).split()[0].casefold() in _NOT_NAMES:
        return False
    if label.casefold() in _SALUTATIONS:
        return False
    for i, w in enumerate(words):
        if w.casefold() in _CONNECTORS and not w[:1].isupper():
            continue
        if w.isdigit() and i > 0:
            continue  # "France 24", "Channel 4"
        if not w[:1].isupper():
            return False
    return True


def _resolve(label: str, ctx: Context, bold_start: bool | None = None) -> _Who | None:
    """Who a label names, or None when it is not a label at all.

    `bold_start` is whether the paragraph opened in bold type, where the page
    says so (None for plain text): on MFA pages askers' labels are bold.
    """
    bare = label.strip().rstrip(".")
    m = _BRACKETED.match(bare)
    if m:
        who = _known(label, m.group("name"), ctx) or _known(label, m.group("inner"), ctx)
        if who is not None:
            return who
        bare = m.group("name")
    m = _REPORTER.match(bare)
    if m and not _known(label, bare, ctx):
        name = ctx.entities.outlet(m.group("outlet")) or m.group("outlet")
        if ctx.entities.outlet(m.group("outlet")) or looks_like_name(m.group("outlet")):
            return _Who(label, name, None, "question", outlet=name)
    who = _known(label, bare, ctx)
    if who is not None:
        return who
    if not looks_like_name(bare) or ctx.unknown_labels == "text":
        return None
    if re.fullmatch(r"[\u4e00-\u9fff·]{2,15}", bare):
        return None  # an unknown Chinese phrase before a colon is prose, not a label
    if ctx.unknown_labels == "outlets" and not _chinese_name(bare):
        if bold_start is False:
            return None  # askers' labels are printed bold; a plain "Fact:" is the speaker's own words
        return _Who(label, bare, None, "question", outlet=bare)
    if _OUTLET_WORDS.search(bare):
        return _Who(label, bare, None, "question", outlet=bare)
    return _Who(label, strip_title(bare), None, "other")


def _known(label: str, bare: str, ctx: Context) -> _Who | None:
    """A label the briefing or the archive knows: generic, roster, person, outlet."""
    low = bare.casefold()
    if low in _QUESTION_LABELS:
        return _Who(label, UNIDENTIFIED, None, "question")
    if _ASKER.match(low):
        return _Who(label, bare, None, "question")
    if low in _ANSWER_LABELS:
        d = ctx.default
        return _Who(label, d.name if d else None, d.role if d else None, "answer", d.kind if d else None)
    hit = ctx.roster.match(bare)
    if hit is None and ctx.default is not None:
        hit = Roster([ctx.default]).match(bare)
    if hit is not None:
        return _Who(label, hit.name, hit.role, "person", hit.kind)
    person = ctx.entities.person(bare)
    if person is not None:
        return _Who(label, person.name, person.role_on(ctx.date), "person", "official")
    outlet = ctx.entities.outlet(bare)
    if outlet is not None:
        return _Who(label, outlet, None, "question", outlet=outlet)
    m = _ZH_REPORTER.match(bare)
    if m:
        name = ctx.entities.outlet(m.group("outlet")) or m.group("outlet")
        return _Who(label, name, None, "question", outlet=name)
    return None


def _chinese_name(label: str) -> bool:
    words = strip_title(label).split()
    return 2 <= len(words) <= 3 and words[0].casefold() in _SURNAMES and all(w.isalpha() for w in words)


def split_label(paragraph: str, ctx: Context) -> tuple[_Who | None, str]:
    """(who, rest of the paragraph) if it opens with a label, else (None, paragraph)."""
    bold_start = getattr(paragraph, "bold_start", None)
    m = _STANDALONE.match(paragraph)
    if m:
        who = _resolve(m.group("label"), ctx, bold_start)
        if who is not None:
            return who, ""
    m = _INLINE.match(paragraph)
    if m:
        who = _resolve(m.group("label"), ctx, bold_start)
        if who is not None:
            return who, m.group("rest").strip()
    return None, paragraph


def similar_outlets(text: str, entities: Entities) -> tuple[str, ...]:
    m = _SIMILAR.search(text)
    if not m:
        return ()
    names = re.split(r"\s*(?:,|\band\b|&|、)\s*", m.group(1))
    return tuple(entities.outlet(n) or n.strip() for n in names if n.strip())


@dataclass
class _Open:
    who: _Who
    kind: str
    page: int
    answers: int | None
    paragraphs: list[str] = field(default_factory=list)
    bold: bool = True  # every paragraph so far printed bold


def segment(paragraphs: list[tuple[int, str]], ctx: Context) -> list[Turn]:
    """Turn (page number, paragraph) pairs into speaker turns in reading order."""
    turns: list[Turn] = []
    current: _Open | None = None
    open_question: int | None = None

    def close() -> None:
        nonlocal current, open_question
        if current is None or not current.paragraphs:
            current = None
            return
        text = "\n\n".join(current.paragraphs)
        who = current.who
        seq = len(turns) + 1
        also = similar_outlets(text, ctx.entities) if current.kind == "question" else ()
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

    labels = [split_label(para, ctx)[0] for _, para in paragraphs]

    def answer_follows(i: int) -> bool:
        """Is the next labelled paragraph after i an answer (so i belongs to the question)?"""
        for who in labels[i + 1:]:
            if who is not None:
                return who.kind == "answer" or (who.kind == "person" and ctx.default is not None
                                                 and who.speaker == ctx.default.name)
        return False

    last_page = paragraphs[0][0] if paragraphs else 1
    for i, (page, para) in enumerate(paragraphs):
        if page > last_page + 1:
            # A page is missing: what follows cannot be joined to, or answer, anything before it.
            close()
            open_question = None
        last_page = page
        note = _NOTES.match(para)
        if note:
            close()
            current = _Open(_Who(None, None, None, "other"), "other", page, None, [note.group("note")])
            close()
            if not note.group("rest"):
                continue
            para = note.group("rest")
            if note.group("asked"):
                open_question = None
                current = _Open(_Who(None, UNIDENTIFIED, None, "question"), "question", page, None)
        who, rest = split_label(para, ctx)
        is_bold = getattr(para, "bold", False)
        if (who is None and ctx.bold_questions and ctx.default is not None and current is not None
                and current.kind == "question" and current.bold and current.paragraphs and not is_bold
                and not answer_follows(i)):
            close()
            d = ctx.default
            current = _Open(_Who(None, d.name, d.role, "person", d.kind), "answer", page, open_question)
        if who is None:
            if current is None:
                if ctx.opening_is_default and ctx.default is not None and not turns:
                    d = ctx.default
                    current = _Open(_Who(None, d.name, d.role, "person", d.kind), "statement", page, None)
                else:
                    current = _Open(_Who(None, None, None, "other"), "other", page, None)
            current.paragraphs.append(para)
            current.bold = current.bold and is_bold
            continue
        if current is not None and not current.paragraphs and current.who.speaker == who.speaker:
            current.who = who  # the same label printed twice in a row
        else:
            close()
            if who.kind == "question":
                kind, answers = "question", None
                open_question = None
            elif who.kind == "answer":
                kind, answers = "answer", open_question
            elif who.kind == "person" and who.person_kind == "chair":
                kind, answers = "moderator", None
            elif who.kind == "person":
                kind = "answer" if open_question is not None else "statement"
                answers = open_question
            else:
                kind, answers = "other", None
            current = _Open(who, kind, page, answers, bold=is_bold)
        if rest:
            current.paragraphs.append(rest)
    close()
    return turns
