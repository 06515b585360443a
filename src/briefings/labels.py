"""Speaker labels: is this paragraph's start a label, whose, and of what form.

A label is printed many ways: "Q:", "Reuters:", "Ms. Hua Chunying:", "CCTV
reporter:", "路透社记者提问：", "追问：". This module splits a paragraph into its
label and the rest, and resolves the label to a person on the briefing's
roster, a person or outlet the archive knows (people.py), an unnamed
journalist, or an unknown name kept as printed. What a label means for the
turns around it is segment.py's business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from .models import Participant
from .people import Entities, Roster, strip_title
from .text import fold

UNIDENTIFIED = "Unidentified journalist"

# A label's form: what it says its speaker is. segment.py turns a form into a
# turn's kind ("question", "answer", "moderator"...), which depends on the turns around it.
ASKER = "asker"  # a journalist or a member of the public, named or not: "Q:", "Reuters:", "路透社记者："
ANSWERER = "answerer"  # "A:", "答：": the briefing's default answerer, whoever that is
PERSON = "person"  # a person the roster, the default speaker or the archive's list names
UNKNOWN = "unknown"  # a name-shaped label nobody knows, kept as printed for a person to check

_STANDALONE = re.compile(r"^(?P<label>[^:：]{1,80}?)\s*[:：]$")
_INLINE = re.compile(r"^(?P<label>[^:：]{1,60}?)\s*[:：]\s*(?P<rest>\S.*)$", re.DOTALL)
_QUESTION_LABELS = {
    "q",
    "question",
    "questions",
    "journalist",
    "reporter",
    "follow-up",
    "follow up",
    "followup",
    "follow-up question",
    "问",
    "记者",
    "追问",
}
# "Netizen", "Netizen 3", "Visitor abc123", "Guest user", "Audience member", "网友": askers who
# are not journalists (online interviews, public events), each by the label as printed.
_ASKER = re.compile(
    r"^(?:netizen|guest user|user|visitor|audience(?: member)?|网友)(?![a-z])[\s\w#@.\-]{0,30}$",
    re.IGNORECASE,
)


def is_asker(label: str) -> bool:
    """Is this label a member of the public asking (see _ASKER)?"""
    return bool(_ASKER.match(label.strip()))


# "Journalist explains:", "The journalist clarified:": the unnamed asker again, mid-exchange.
_JOURNALIST_SAYS = re.compile(
    r"^(?:the\s+)?(?:journalist|reporter|correspondent)\s+(?:explains?|explained|clarif(?:y|ies|ied)|adds?|added|"
    r"asks?|asked|continues|continued|follows? up|followed up|says|said)$"
)
_ANSWER_LABELS = {"a", "answer", "答"}
# Labels that name a role on stage, not a person: the chair, or the briefing's spokesperson.
_CHAIR_LABELS = {"moderator", "host", "chair", "chairperson", "chairman", "chairwoman", "presenter", "主持人"}
_SPOKESPERSON_LABELS = {"spokesperson", "spokesman", "spokeswoman", "发言人"}
# Words that are labels on any page, whoever stands behind them.
GENERIC_LABELS = frozenset(_QUESTION_LABELS | _ANSWER_LABELS | _CHAIR_LABELS | _SPOKESPERSON_LABELS)
_CONNECTORS = {
    "of",
    "and",
    "the",
    "for",
    "de",
    "du",
    "des",
    "la",
    "le",
    "von",
    "van",
    "der",
    "da",
    "di",
    "al",
    "el",
    "bin",
    "on",
    "in",
    "&",
    "y",
    "e",
    "del",
}
# Forms of address that end with a colon and open a speech, not a turn.
_SALUTATIONS = {
    "ladies and gentlemen",
    "dear friends",
    "friends from the media",
    "friends from the press",
    "dear journalists",
    "distinguished guests",
    "dear colleagues",
    "good morning",
    "good afternoon",
}
# "China News Service (CNS)", "Wang Jun (via video link)": the name is what precedes the brackets.
_BRACKETED = re.compile(r"^(?P<name>.+?)\s*[（(](?P<inner>[^()（）]{1,40})[)）]$")
# "CCTV reporter", "Reuters correspondent": the outlet is what precedes the word.
_REPORTER = re.compile(r"^(?P<outlet>.+?)\s+(?:reporter|correspondent|journalist)s?$", re.IGNORECASE)
# Capitalised words that start sentences, not names: "However:", "Note:".
_NOT_NAMES = {
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "finally",
    "note",
    "notes",
    "also",
    "however",
    "but",
    "and",
    "so",
    "now",
    "here",
    "today",
    "this",
    "that",
    "these",
    "those",
    "it",
    "we",
    "i",
    "he",
    "she",
    "they",
    "as",
    "at",
    "in",
    "on",
    "between",
    "from",
    "since",
    "after",
    "before",
    "when",
    "while",
    "if",
    "our",
    "my",
    "let",
    "please",
    "thank",
    "thanks",
    "next",
    "last",
    "what",
    "why",
    "how",
    "who",
    "where",
    "address",
    "postcode",
    "tel",
    "fax",
    "email",
    "source",
    "editor",
    "photo",
    "time",
    "date",
    "venue",
    "location",
    "title",
    "subject",
    "attachment",
    "links",
    "copyright",
    "speakers",
    "speaker",
    "chairperson",
    "chair",
    "moderator",
    "host",
    "update",
    "updated",
    # Headings inside an answer: "Fact 1:", "Lie:", "Truth:", "Point 2:", "Background:".
    "fact",
    "facts",
    "lie",
    "lies",
    "truth",
    "myth",
    "reality",
    "point",
    "points",
    "step",
    "part",
    "item",
    "example",
    "case",
    "section",
    "chapter",
    "article",
    "annex",
    "background",
    "context",
    "summary",
    "conclusion",
    "key",
    "question",
}
_OUTLET_WORDS = re.compile(
    r"\b(?:News|Agency|Daily|Times|TV|Television|Radio|Press|Post|Network|Media|Service|"
    r"Journal|Broadcasting|Herald|Magazine|Weekly|Monthly|Tribune|Telegraph|Gazette|"
    r"Channel|Newspaper|Review|Observer|Online|Net|Reporter|Correspondent|Shimbun|Ilbo)\b"
)
# Common Chinese surnames in pinyin: an unknown label shaped "Wang Yi" or
# "Liu Jianchao" is a person, never taken for an asking outlet.
_SURNAMES = frozenset(
    """
    bai cai cao chang chen cheng cui dai deng ding dong du duan fan fang feng fu gao geng gong gu guo
    han hao he hou hu hua huang jia jiang jin kang kong lai lei li liang liao lin liu long lu luo ma mao
    meng mo ni pan peng qi qian qiao qin qiu ren shao shen sheng shi shou song su sun tan tang tian wan
    wang wei wen wu xia xiao xie xiong xu xue yan yang yao ye yi yin yu yuan zeng zhai zhang zhao zheng
    zhong zhou zhu zou
""".split()
)

# Chinese labels name the asker by outlet and say what the journalist does:
# "路透社记者", "《环球时报》记者提问", "路透社、法新社记者", "记者追问", "追问2",
# "记者澄清". Every such label is the journalist's, never the spokesperson's.
_ZH_ASKS = r"提问|提问题|发问|问|问道|询问|补充提问|补充问|补问|补充|追问|再问|又问|继续问|继续追问|接着问|进一步问|进一步追问"
_ZH_SAYS = (
    r"澄清|解释|说明|插话|插问|笑|笑称|表示|回应|确认|纠正|更正|强调|重申|回答|答|说|称|指出|接话|打断|"
    r"感谢|致谢|道谢|附和|反问|点评|评论"
)
# A follow-up: the asker of the question before, where the page says who that was.
_ZH_FOLLOWS = re.compile(
    r"^(?:补充提问|补充问|补问|补充|追问|再问|又问|继续问|继续追问|接着问|进一步问|进一步追问)$"
)
_ZH_NUMBER = r"\s*(?:第?[（(]?[0-9０-９一二三四五六七八九十]{1,3}[)）]?)?"
_ZH_JOURNALIST = re.compile(
    rf"^(?P<who>[^，。？！：:；;]{{0,40}}?)记者(?:们)?(?P<verb>{_ZH_ASKS}|{_ZH_SAYS})?{_ZH_NUMBER}$"
)
_ZH_FOLLOW_UP = re.compile(
    rf"^(?:第?[一二三四五六七八九十0-9０-９]+个)?(?P<verb>{_ZH_FOLLOWS.pattern[4:-2]}){_ZH_NUMBER}$"
)
# "有记者", "一位记者", "另一位记者": a journalist the page does not name.
_ZH_SOMEONE = re.compile(
    r"^(?:(?:会后|随后|此后)?[，,]?(?:还|又|另)?有|一位|另一位|另外一位|另有|其他|多位|几位|一名|某)$"
)
# What only prose puts before 记者: "我刚才回答路透社记者提问时" is a sentence, not a label.
_ZH_PROSE = re.compile(r"[我你他她它们的是了就在对把被给向跟从据称]")
_ZH_OUTLETS_JOIN = re.compile(r"\s*[、,，/／]\s*")
_ZH_OUTLETS_AND = re.compile(r"\s*(?:和|与|及|以及)\s*")
_CJK = re.compile(r"[\u4e00-\u9fff]")


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
    # How this page prints the labels it knows (worked out by `segment`): when
    # its known labels open in bold, an unknown label in plain type is prose
    # ("Guangdong Province: exports rose"), not a new speaker; when its known
    # askers' questions are bold throughout, so must an unknown asker's be.
    labels_bold: bool = False
    questions_bold: bool = False


@dataclass
class Who:
    """Whom a label names: the label as printed, the speaker it resolves to, and its form."""

    label: str | None
    speaker: str | None
    role: str | None
    form: str  # ASKER | ANSWERER | PERSON | UNKNOWN: what the label says, not the turn's kind
    speaker_type: str | None = None  # Participant.kind: official | chair | spokesperson
    outlet: str | None = None
    also: tuple[str, ...] = ()  # the other outlets one label names ("路透社、法新社记者")
    follow_up: bool = False  # the asker before, where the label does not name one ("追问", "记者澄清")
    unknown: tuple[str, ...] = ()  # outlets named as printed, that the entities file does not know


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


def resolve(label: str, ctx: Context, para: str | None = None) -> Who | None:
    """Who a label names, or None when it is not a label at all.

    `para` is the paragraph the label opens; where the page says how it was
    printed (`Para.bold_start`, `Para.bold`), type decides what an unknown
    label is (see `Context.labels_bold`).
    """
    bold_start = getattr(para, "bold_start", None)
    bare = fold(label).strip().rstrip(".")
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
            return Who(label, name, None, ASKER, outlet=name)
    who = _known(label, bare, ctx) or _titled(label, bare, ctx)
    if who is not None:
        return who
    if not looks_like_name(bare) or ctx.unknown_labels == "text":
        return None
    if re.fullmatch(r"[\u4e00-\u9fff·]{2,15}", bare):
        return None  # an unknown Chinese phrase before a colon is prose, not a label
    person_shaped = _chinese_name(bare)
    if bold_start is False and not person_shaped and (ctx.labels_bold or ctx.unknown_labels == "outlets"):
        # This page prints labels in bold: a plain "Guangdong Province:" is the speaker's own words.
        # A name like "Wang Wenbin:" stays a label of its own, for the quality report to show.
        return None
    if ctx.unknown_labels == "outlets" and not person_shaped:
        if ctx.questions_bold and getattr(para, "bold", None) is False:
            return None  # askers' questions are bold throughout here; a bold "Fact 1:" heading is not one
        return Who(label, bare, None, ASKER, outlet=bare)
    if _OUTLET_WORDS.search(bare):
        return Who(label, bare, None, ASKER, outlet=bare)
    return Who(label, strip_title(bare), None, UNKNOWN)


def _known(label: str, bare: str, ctx: Context) -> Who | None:
    """A label the briefing or the archive knows: generic, roster, person, outlet."""
    low = bare.casefold()
    if _CJK.search(bare):
        who = zh_label(label, bare, ctx.entities)
        if who is not None:
            return who
    if low in _QUESTION_LABELS or _JOURNALIST_SAYS.match(low):
        return Who(label, UNIDENTIFIED, None, ASKER)
    if _ASKER.match(low):
        return Who(label, bare, None, ASKER)
    if low in _ANSWER_LABELS:
        d = ctx.default
        return Who(label, d.name if d else None, d.role if d else None, ANSWERER, d.kind if d else None)
    if low in _CHAIR_LABELS:
        chairs = [p for p in ctx.roster.participants if p.kind == "chair"]
        if len(chairs) == 1:
            return Who(label, chairs[0].name, chairs[0].role, PERSON, "chair")
        return Who(label, None, None, PERSON, "chair")  # the chair, but the page does not say who
    if low in _SPOKESPERSON_LABELS and ctx.default is not None:
        d = ctx.default
        return Who(label, d.name, d.role, PERSON, d.kind)
    who = _person(label, bare, ctx)
    if who is not None:
        return who
    outlet = ctx.entities.outlet(bare)
    if outlet is not None:
        return Who(label, outlet, None, ASKER, outlet=outlet)
    return None


def zh_label(label: str, bare: str, entities: Entities) -> Who | None:
    """A Chinese journalist's label (see _ZH_JOURNALIST), or None.

    The outlets are resolved to their canonical names; one the entities file
    does not know is kept as printed, without book-title marks, and listed in
    `unknown` for the quality report.
    """
    bare = bare.strip()
    m = _ZH_FOLLOW_UP.match(bare)
    if m:
        return Who(label, UNIDENTIFIED, None, ASKER, follow_up=True)
    m = _ZH_JOURNALIST.match(bare)
    if not m:
        return None
    printed, verb = m.group("who").strip(), m.group("verb") or ""
    if not printed or _ZH_SOMEONE.match(printed):
        # "记者追问", "记者澄清": the journalist of the exchange; a bare "记者" names no one.
        return Who(label, UNIDENTIFIED, None, ASKER, follow_up=bool(verb))
    if entities.person(printed) is not None or _ZH_PROSE.search(printed) or "记者" in printed:
        return None
    names = _zh_outlets(printed, entities)
    if names is None:
        return None
    known = [entities.outlet(n) or n for n in names]
    unknown = tuple(n for n in names if entities.outlet(n) is None)
    first, *rest = known
    return Who(label, first, None, ASKER, outlet=first, also=tuple(rest), unknown=unknown)


def _zh_outlets(printed: str, entities: Entities) -> list[str] | None:
    """The outlets one label names: "路透社、法新社" is two, "总台央视和CGTN" two where both are known."""
    if entities.outlet(printed):
        return [printed]
    parts = [p for p in _ZH_OUTLETS_JOIN.split(printed) if p]
    if not parts:
        return None
    out: list[str] = []
    for part in parts:
        if entities.outlet(part):
            out.append(part)
            continue
        pieces = [p for p in _ZH_OUTLETS_AND.split(part) if p]
        if len(pieces) > 1 and all(entities.outlet(p) for p in pieces):
            out.extend(pieces)
        else:
            out.append(part)
    names = [re.sub(r"[《》〈〉「」『』]", "", n).strip() for n in out]
    if any(not n or len(n) > 20 for n in names):
        return None
    return names


def _person(label: str, bare: str, ctx: Context) -> Who | None:
    """A person on the briefing's roster, its default speaker, or the archive's list of people."""
    hit = ctx.roster.match(bare)
    if hit is None and ctx.default is not None:
        hit = Roster([ctx.default]).match(bare)
    if hit is not None:
        return Who(label, hit.name, hit.role, PERSON, hit.kind)
    person = ctx.entities.person(bare)
    if person is not None:
        return Who(label, person.name, person.role_on(ctx.date), PERSON, "official")
    return None


def _titled(label: str, bare: str, ctx: Context) -> Who | None:
    """A known person under a title or a role: "Vice Minister Zhang Baofeng",
    "Chairperson Shou Xiaoli", "Zhang Baofeng, vice minister of industry".

    Only a name the briefing or the archive knows is taken out of such a label;
    an unknown one stays prose.
    """
    if "," in bare:
        head = bare.split(",", 1)[0].strip()
        who = _known(label, head, ctx) or _titled(label, head, ctx)
        return who if who is not None and who.form in (PERSON, ASKER) else None
    words = strip_title(bare).split()
    if not 2 <= len(words) <= 8:
        return None
    for k in range(1, len(words)):
        if not words[k - 1][:1].isupper():
            return None  # role words are capitalised ("Vice Minister"); a sentence is not
        who = _person(label, " ".join(words[k:]), ctx)
        if who is not None:
            return who
    return None


def known_label(label: str, ctx: Context) -> bool:
    """Does this label name someone the briefing or the archive knows? (What the quality report asks.)"""
    bare = fold(label).strip().rstrip(".")
    candidates = [bare]
    m = _BRACKETED.match(bare)
    if m:
        candidates += [m.group("name"), m.group("inner")]
    m = _REPORTER.match(bare)
    if m and ctx.entities.outlet(m.group("outlet")):
        return True
    for c in candidates:
        who = _known(label, c, ctx) or _titled(label, c, ctx)
        if who is not None and not who.unknown:
            return True
    return False


def zh_label_shaped(label: str) -> bool:
    """Does this Chinese text before a colon read like a label, known to the parser or not?

    Wider than what `zh_label` accepts, so that a form it does not know
    ("路透社记者再三追问") is shown to a person rather than run into a turn unseen.
    """
    bare = label.strip()
    if not bare or len(bare) > 25 or re.search(r"[，。？！；：“”\"]", bare):
        return False
    if _ZH_FOLLOW_UP.match(bare) or re.match(r"^(?:追问|补问|再问|又问|补充提问|问|答)(?:\s*\S{0,3})$", bare):
        return True
    return "记者" in bare and "记者会" not in bare and not _ZH_PROSE.search(bare)


def is_follow_up(label: str | None) -> bool:
    """Is this label a follow-up of the question before ("Follow-up", "追问", "记者追问", "追问2")?"""
    if not label:
        return False
    bare = label.strip().rstrip(".:：")
    if bare.casefold() in ("follow-up", "follow up", "followup", "follow-up question"):
        return True
    if _ZH_FOLLOW_UP.match(bare):
        return True
    m = _ZH_JOURNALIST.match(bare)
    return bool(m and _ZH_FOLLOWS.match(m.group("verb") or ""))


def _chinese_name(label: str) -> bool:
    words = strip_title(label).split()
    return 2 <= len(words) <= 3 and words[0].casefold() in _SURNAMES and all(w.isalpha() for w in words)


def split_label(paragraph: str, ctx: Context) -> tuple[Who | None, str]:
    """(who, rest of the paragraph) if it opens with a label, else (None, paragraph)."""
    m = _STANDALONE.match(paragraph)
    if m:
        who = resolve(m.group("label"), ctx, paragraph)
        if who is not None:
            return who, ""
    m = _INLINE.match(paragraph)
    if m:
        who = resolve(m.group("label"), ctx, paragraph)
        if who is not None:
            return who, m.group("rest").strip()
    if len(paragraph) <= 60 and len(paragraph.split()) >= 2:
        # A roster name alone on its line, its colon left off: "Zhang Baofeng".
        hit = ctx.roster.exact(fold(paragraph))
        if hit is not None:
            return Who(paragraph, hit.name, hit.role, PERSON, hit.kind), ""
    return None, paragraph


def page_style(paragraphs: list[tuple[int, str]], ctx: Context) -> Context:
    """How this page prints the labels it knows, so that unknown ones are judged alike."""
    starts: list[bool] = []
    questions: list[bool] = []
    for _, para in paragraphs:
        bold_start = getattr(para, "bold_start", None)
        if bold_start is None:
            continue
        m = _STANDALONE.match(para) or _INLINE.match(para)
        who = _known(m.group("label"), fold(m.group("label")).strip().rstrip("."), ctx) if m else None
        if who is None:
            continue
        starts.append(bool(bold_start))
        if who.form == ASKER and not _STANDALONE.match(para):
            questions.append(bool(getattr(para, "bold", False)))
    mostly = lambda xs: len(xs) >= 2 and sum(xs) >= 0.8 * len(xs)  # noqa: E731
    return replace(ctx, labels_bold=mostly(starts), questions_bold=mostly(questions))
