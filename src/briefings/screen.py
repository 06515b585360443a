"""What a page must be to be parsed, and what a parse must yield to be stored.

Every input must yield a briefing or a rejection with its reason, in bounded
time and memory. Before parsing, from the bytes and cheaply, a page is
rejected when it is larger or more marked up than any transcript: lxml
checks each attribute of a tag against the others (200,000 attributes on one
<p> take over a minute), and the segmenter, linear in paragraphs, still
needs 90 s and 900 MB for 700,000 of them. The limits leave wide headroom
over the real transcripts: the largest page of the recorded MFA corpus is
74 KB, with 608 tags, 146 paragraph tags, 512 lines and 25 attributes on one
tag; a page at every limit at once parses in a few seconds.

After parsing, a briefing whose text is not plausibly a transcript is
rejected, saying what is wrong with it: random bytes decode as something (as
gb18030, almost anything does), and become a briefing with garbage speakers.
Real transcripts, English or Chinese, are over 99% letters, digits, spaces
and common punctuation, with no replacement or private-use characters, next
to no Chinese characters outside GB2312 and Big5, and next to no accented
Latin letters; decoded junk is far from one of these at least.

Text that is text may still be no transcript: a password file, a licence, a
README or a changelog parses into "turns" too. A transcript shows at least one
of three marks: a dated title or date line (the MFA's "... Press Conference on
May 11, 2018", the SCIO's `Date:`), a speaker label the archive knows (`Q:`,
`A:`, `Moderator:`, a roster name, a known person or outlet), or a roster of
who speaks (`Speakers:`, a speech's "Mr. Wang Lingjun, Vice Minister ...", an
MFA title's spokesperson, a lede naming the briefer). A file with none of them
is skipped as not a transcript, saying which it lacks, as listing pages are.
A page with a URL from one of the archive's sites (its host, or the raw
store's record of where it was fetched) is that site's: there, listing pages
and notices are told apart by their markup, and a spokesperson's statement
(外交部发言人就...发表谈话) names no speaker and no day.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .dates import find_date
from .decode import byte_order_mark, decode
from .html import BLOCK
from .models import Briefing, RawPage, Rejected
from .text import HAN_CHAR

MAX_PAGE_BYTES = 4 * 1024 * 1024  # over 50 times the largest real page
MAX_TAGS = 100_000  # per page; the most in a real one is 608
MAX_PARAGRAPHS = 20_000  # paragraph-breaking tags, or lines of a text dump, per page; real: 146 and 512
MAX_ATTRIBUTES = 1_000  # on one tag; real: 25
MAX_PAGES = 200  # the highest page number of a transcript; SCIO's longest run to a dozen or so

_TAG = re.compile(rb"<[A-Za-z!/?]")
_BREAK = re.compile(
    rb"<(?:%s|br)\b" % b"|".join(t.encode() for t in sorted(BLOCK, key=len, reverse=True)), re.I
)
# A tag long enough to carry MAX_ATTRIBUTES attributes (each at least a name and a space).
_LONG_TAG = re.compile(rb"<[A-Za-z][^<>]{%d,}" % (2 * MAX_ATTRIBUTES))
_ATTRIBUTE = re.compile(rb"\s+[^\s=>/]")

# How a skip of something that is no transcript at all begins: an ingest that stored nothing
# and met one has failed, where one that met only listing pages has not.
NOT_A_TRANSCRIPT = "not a transcript"


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB"


def check_size(path: str, size: int) -> None:
    """Raise Rejected for a page file too large to be a transcript page, before it is read."""
    if size > MAX_PAGE_BYTES:
        raise Rejected(
            f"page is {_mb(size)}, over the {_mb(MAX_PAGE_BYTES)} limit for a transcript page "
            f"(the largest real one is under 0.1 MB)",
            path,
        )


def check_pages(pages: tuple[tuple[int, RawPage], ...]) -> None:
    """Raise Rejected for a transcript whose pages no parser should be given.

    How many pages it has is bounded before: no page is numbered past MAX_PAGES
    (see sources.page_slot)."""
    for _, page in pages:
        check_page(page)


def check_page(page: RawPage) -> None:
    body = page.body
    check_size(page.path, len(body))
    if byte_order_mark(body):  # UTF-16 or UTF-32: count in the text, not in bytes between NULs
        body = decode(body)[0].encode("utf-8", "replace")
    if not page.is_html:
        lines = body.count(b"\n")
        if lines > MAX_PARAGRAPHS:
            raise Rejected(
                f"{lines:,} lines, over the limit of {MAX_PARAGRAPHS:,} for a transcript page", page.path
            )
        return
    if body.count(b"<") <= min(MAX_TAGS, MAX_PARAGRAPHS):
        tags = 0  # no more tags than "<" signs: within both limits, nothing to count
    else:
        tags = len(_TAG.findall(body))
    if tags > MAX_TAGS:
        raise Rejected(f"{tags:,} tags, over the limit of {MAX_TAGS:,} for a transcript page", page.path)
    breaks = len(_BREAK.findall(body)) if tags else 0
    if breaks > MAX_PARAGRAPHS:
        raise Rejected(
            f"{breaks:,} paragraph tags, over the limit of {MAX_PARAGRAPHS:,} for a transcript page",
            page.path,
        )
    for m in _LONG_TAG.finditer(body):
        attributes = len(_ATTRIBUTE.findall(m.group()))
        if attributes > MAX_ATTRIBUTES:
            raise Rejected(
                f"a tag with {attributes:,} attributes, over the limit of {MAX_ATTRIBUTES:,}", page.path
            )


# -- is it text? ------------------------------------------------------------------------------------------------

SAMPLE = 100_000  # characters looked at per briefing, spread over all of it
MIN_PLAIN = 0.90  # real transcripts: 0.99 and more
MAX_ODD = 0.01  # real transcripts: none
MAX_RARE_HAN = 0.10  # of the Chinese characters; real transcripts: under 0.01
MIN_LABELLED = 2  # a question and its answer; a README's one "A:" is not an exchange
MAX_ACCENTED = 0.40  # of the Latin letters; real transcripts: under 0.01 (Vietnamese has 0.28; junk 0.55)
_COMMON = (
    " \t\n.,;:'\"!?()[]{}-–—/\\%&$@#*+=<>~^_`|…·•°§©®™×÷±€£¥、，。：；？！“”‘’（）《》〈〉「」『』【】〔〕～"
)
# Letters, digits, spaces and common punctuation are plain; the few other characters a page has are
# looked at one by one (unicodedata), so a real transcript costs a regular expression pass or two.
_NOT_PLAIN = re.compile(rf"[^\w\s{re.escape(_COMMON)}]")
_ODD_CATEGORIES = frozenset(("Cc", "Co", "Cn", "Cs"))
_LATIN = re.compile(r"[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")
_ACCENTED = re.compile(r"[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")


@lru_cache(maxsize=1)
def _common_han() -> frozenset[str]:
    """The Chinese characters of GB2312 and Big5: what simplified and traditional texts use."""
    chars: set[str] = set()
    for encoding, leads, trails in (
        ("gb2312", range(0xB0, 0xF8), range(0xA1, 0xFF)),
        ("big5", range(0xA4, 0xFA), [*range(0x40, 0x7F), *range(0xA1, 0xFF)]),
    ):
        # Every two-byte code, each on its own line, decoded in one call: a code the
        # encoding lacks becomes U+FFFD and the newline after it starts the next afresh.
        codes = b"\n".join(bytes((lead, trail)) for lead in leads for trail in trails)
        chars.update(c for c in codes.decode(encoding, errors="replace").split("\n") if len(c) == 1)
    chars.discard("\ufffd")
    return frozenset(chars)


def _sample(b: Briefing) -> str:
    text = "\n".join(
        [b.title, *(p.name for p in b.participants), *(f"{t.label or ''} {t.text}" for t in b.turns)]
    )
    if len(text) <= SAMPLE:
        return text
    step = len(text) // 100
    return "".join(text[i : i + SAMPLE // 100] for i in range(0, len(text), step))


def check_text(b: Briefing, path: str | None = None) -> None:
    """Raise Rejected when a parsed briefing's text is not plausibly a transcript's."""
    _check_characters(b, path)
    check_transcript(b, path)


def _check_characters(b: Briefing, path: str | None) -> None:
    text = _sample(b)
    n = len(text)
    if not n:
        return
    not_plain = _NOT_PLAIN.findall(text)
    odd = sum(1 for c in not_plain if c == "\ufffd" or unicodedata.category(c) in _ODD_CATEGORIES)
    if odd > max(5, MAX_ODD * n):
        raise Rejected(
            f"not text: {odd / n:.0%} of its characters are replacement, private-use, unassigned or "
            "control characters (binary data, or the wrong encoding?)",
            path,
        )
    han = HAN_CHAR.findall(text)
    if len(han) >= 50:
        common = _common_han()
        rare = len(han) - sum(map(common.__contains__, han))
        if rare > MAX_RARE_HAN * len(han):
            raise Rejected(
                f"not text: {rare / len(han):.0%} of its Chinese characters are rare ones no transcript "
                "uses (bytes that are not Chinese, decoded as Chinese?)",
                path,
            )
    accented = len(_ACCENTED.findall(text))
    latin = len(_LATIN.findall(text)) if accented > MAX_ACCENTED * 200 else 0  # few accents: nothing to weigh
    if latin >= 200:
        if accented > MAX_ACCENTED * latin:
            raise Rejected(
                f"not text: {accented / latin:.0%} of its Latin letters are accented ones (bytes "
                "that are not text, decoded as Latin-1?)",
                path,
            )
    if n >= 100 and len(not_plain) > (1 - MIN_PLAIN) * n:
        raise Rejected(
            f"not text: only {1 - len(not_plain) / n:.0%} of its characters are letters, digits, spaces "
            "or punctuation (binary data, or the wrong encoding?)",
            path,
        )


def check_transcript(b: Briefing, path: str | None = None) -> None:
    """Raise Rejected (skipped: nothing a transcript holds is lost) when the briefing
    shows none of a transcript's marks, naming those it lacks."""
    if b.url and b.source != "text":
        return  # a page fetched from one of the sites (an MFA statement names no one and no day)
    labelled = sum(1 for t in b.turns if t.label)
    known = sum(1 for t in b.turns if t.label and t.kind != "other")
    dated = bool(b.date or (b.title and find_date(b.title)))
    if b.participants or known >= MIN_LABELLED or (dated and labelled >= MIN_LABELLED):
        return
    lacks = [
        "no roster of speakers",
        f"{'one speaker label' if known == 1 else 'no speaker labels'} the archive knows (Q:, A:, a roster "
        f"name, a known person or outlet; at least {MIN_LABELLED} needed)",
    ]
    lacks.append(
        f"a date but {'only one labelled turn' if labelled == 1 else 'no labelled turns'}"
        if dated
        else "no dated title or date line"
    )
    raise Rejected(f"{NOT_A_TRANSCRIPT}: {', '.join(lacks)}", path, skip=True)
