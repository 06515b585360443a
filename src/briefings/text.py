"""Text clean-up shared by every page family: spaces, quotes, paragraphs.

Pages mix no-break spaces, en and ideographic spaces, non-breaking hyphens and
curly quotes; labels only match and phrases only search once these are folded.
Control characters (C0 and C1, but tab and newline) are dropped: a page cannot
carry a terminal escape (ESC, BEL, CSI) through the archive into `show`.
"""

from __future__ import annotations

import re

_FOLD = str.maketrans(
    {
        "\u00a0": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u2009": " ",
        "\u200a": " ",
        "\u202f": " ",
        "\u3000": " ",
        "\u2011": "-",
        "\u2010": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\ufeff": "",
        "\u200b": "",
        "\u200c": "",
        "\u200d": "",
        "\r": "\n",
    }
)
# C0 controls but tab and newline, DEL, and C1 controls. Vertical tab, form feed
# and NEL separate words, so they become spaces; the rest are removed.
_CONTROLS = {c: None for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)] if chr(c) not in "\t\n\r"}
_CONTROLS.update({0x0B: " ", 0x0C: " ", 0x85: " "})
_FOLD.update(_CONTROLS)
_STRIP = str.maketrans(_CONTROLS)
# Most text needs neither table: a regex search (in C) says so far faster than translate.
# Built from the tables, so they cannot drift apart; a carriage return is strip_controls' too.
_ANY_CONTROL = re.compile("[\r" + "".join(re.escape(chr(c)) for c in _CONTROLS) + "]")
_ANY_FOLD = re.compile("[" + "".join(re.escape(chr(c)) for c in _FOLD) + "]")
_SPACES = re.compile(r"[ \t\f\v]+")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def strip_controls(text: str) -> str:
    """The text without control characters: tab and newline kept, a carriage return made a newline."""
    if not _ANY_CONTROL.search(text):
        return text
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.translate(_STRIP)


def has_controls(text: str | None) -> bool:
    return text is not None and text != strip_controls(text)


def fold(text: str) -> str:
    """Normalise odd spaces, hyphens and quotes; collapse runs of spaces."""
    if _ANY_FOLD.search(text):
        text = text.translate(_FOLD)
    return _SPACES.sub(" ", text)


def clean_line(text: str) -> str:
    return fold(text).strip()


def text_paragraphs(text: str) -> list[str]:
    """Paragraphs of a plain-text dump: each non-empty line is one paragraph."""
    return [line for line in (clean_line(x) for x in fold(text).split("\n")) if line]


def looks_chinese(text: str) -> bool:
    sample = text[:5000]
    return len(_CJK.findall(sample)) > len(sample) * 0.1
