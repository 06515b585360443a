"""Text clean-up shared by every page family: spaces, paragraphs, and the folding comparisons need.

Stored text keeps the page's characters: curly quotes, apostrophes, dashes and
hyphens as published. What is tidied is spacing, which is layout, not words: a
run of spaces of any kind (no-break, en, em, thin, ideographic, tabs) inside a
paragraph becomes one space, and zero-width spaces and stray byte order marks
are dropped. Control characters (C0 and C1, but tab and newline) are dropped
too: a page cannot carry a terminal escape (ESC, BEL, CSI) through the archive
into `show`.

Labels only match, and two copies of a text only compare equal, once quotes
and hyphens are folded as well (`fold`); the search index needs no folding, as
FTS5's tokenizer takes every quote mark and dash for a word break.
"""

from __future__ import annotations

import re

_SPACING = str.maketrans(
    {
        "\u00a0": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u2009": " ",
        "\u200a": " ",
        "\u202f": " ",
        "\u3000": " ",
        "\ufeff": "",
        "\u200b": "",
        "\u200c": "",
        "\u200d": "",
        "\r": "\n",
    }
)
# For comparisons only, one character for one, so that a match in the folded
# text is at the same place in the text as published.
_MARKS = str.maketrans(
    {
        "\u2010": "-",
        "\u2011": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
    }
)
# C0 controls but tab and newline, DEL, and C1 controls. Vertical tab, form feed
# and NEL separate words, so they become spaces; the rest are removed.
_CONTROLS = {c: None for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)] if chr(c) not in "\t\n\r"}
_CONTROLS.update({0x0B: " ", 0x0C: " ", 0x85: " "})
_SPACING.update(_CONTROLS)
_STRIP = str.maketrans(_CONTROLS)
# Most text needs neither table: a regex search (in C) says so far faster than translate.
# Built from the tables, so they cannot drift apart; a carriage return is strip_controls' too.
_ANY_CONTROL = re.compile("[\r" + "".join(re.escape(chr(c)) for c in _CONTROLS) + "]")
_ANY_SPACING = re.compile("[" + "".join(re.escape(chr(c)) for c in _SPACING) + "]")
_ANY_MARK = re.compile("[" + "".join(re.escape(chr(c)) for c in _MARKS) + "]")
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


def tidy(text: str) -> str:
    """The text as published, its spacing tidied: odd spaces made spaces, runs collapsed."""
    if _ANY_SPACING.search(text):
        text = text.translate(_SPACING)
    return _SPACES.sub(" ", text)


def fold_marks(text: str) -> str:
    """Curly quotes and apostrophes made straight, hyphens made '-': one character for one."""
    return text.translate(_MARKS) if _ANY_MARK.search(text) else text


def fold(text: str) -> str:
    """The form two texts, or a label and a name, are compared in: spacing tidied, marks folded."""
    return fold_marks(tidy(text))


def clean_line(text: str) -> str:
    """A line as stored: the page's characters, its spacing tidied and trimmed."""
    return tidy(text).strip()


def text_paragraphs(text: str) -> list[str]:
    """Paragraphs of a plain-text dump: each non-empty line is one paragraph."""
    return [line for line in (clean_line(x) for x in tidy(text).split("\n")) if line]


def looks_chinese(text: str) -> bool:
    sample = text[:5000]
    return len(_CJK.findall(sample)) > len(sample) * 0.1
