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

import functools
import re
import unicodedata

_SPACING: dict[int, str | None] = {
    ord(c): to
    for c, to in {
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
    }.items()
}
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
_CONTROLS: dict[int, str | None] = {
    c: None for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)] if chr(c) not in "\t\n\r"
}
_CONTROLS.update({0x0B: " ", 0x0C: " ", 0x85: " "})
_SPACING.update(_CONTROLS)
_STRIP = str.maketrans(_CONTROLS)
# Most text needs neither table: a regex search (in C) says so far faster than translate.
# Built from the tables, so they cannot drift apart; a carriage return is strip_controls' too.
_ANY_CONTROL = re.compile("[\r" + "".join(re.escape(chr(c)) for c in _CONTROLS) + "]")
_ANY_SPACING = re.compile("[" + "".join(re.escape(chr(c)) for c in _SPACING) + "]")
_ANY_MARK = re.compile("[" + "".join(re.escape(chr(c)) for c in _MARKS) + "]")
_SPACES = re.compile(r"[ \t\f\v]+")
# Han ideographs, the one definition of a Chinese character here: the unified
# blocks, extension A, the compatibility block, and the supplementary planes'
# extensions (B and on).
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
HAN_CHAR = re.compile(f"[{_HAN}]")
HAN_RUN = re.compile(f"[{_HAN}]+")


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


def loose(text: str) -> str:
    """The form two copies of a text are taken for the same in (a page saved again by a browser,
    another encoding, CRLF): compatibility forms (NFKC), spacing and marks folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", fold(text)).split())


def clean_line(text: str) -> str:
    """A line as stored: the page's characters, its spacing tidied and trimmed."""
    return tidy(text).strip()


def text_paragraphs(text: str) -> list[str]:
    """Paragraphs of a plain-text dump: each non-empty line is one paragraph."""
    return [line for line in (clean_line(x) for x in tidy(text).split("\n")) if line]


def looks_chinese(text: str) -> bool:
    sample = text[:5000]
    return len(HAN_CHAR.findall(sample)) > len(sample) * 0.1


# -- Chinese search: folding and character n-grams, for the index and queries only --

# Where a character can fold to a Han one through NFKC: Kangxi radicals and
# their supplement, the enclosed ideographs, compatibility ideographs.
_COMPATIBLE = [(0x2E80, 0x2FDF), (0x3200, 0x33FF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)]


def has_han(text: str) -> bool:
    return HAN_CHAR.search(text) is not None


@functools.lru_cache(maxsize=1)
def _han_table() -> dict[int, str]:
    """One character to one character: NFKC, then traditional to simplified.

    zhconv's simplified table (MediaWiki's zh-hans and zh-cn conversions),
    its one-character entries only: a fold that never changes a text's length
    keeps every substring of a text a substring of its folded form, so a
    folded query finds every turn a plain substring scan would. (Measured on
    the MFA Chinese pages written out in traditional by OpenCC: 169 of 325,346
    converted characters fold differently, against 804 for OpenCC's own
    one-character table and 9,880 for hanziconv's.)
    """
    t2s = {k: v for k, v in _zhconv_tables("zh2Hans", "zh2CN").items() if len(k) == 1 and len(v) == 1}
    table = {ord(k): v for k, v in t2s.items() if k != v}
    for lo, hi in _COMPATIBLE:  # unified ideographs are their own NFKC form: only these blocks change
        for code in range(lo, hi + 1):
            n = unicodedata.normalize("NFKC", chr(code))
            if len(n) == 1 and (s := t2s.get(n, n)) != chr(code):
                table[code] = s
    return table


def _zhconv_tables(*names: str) -> dict[str, str]:
    """zhconv's conversion tables, merged in order, read from its data file.

    Importing zhconv itself costs a search 70 ms (it imports pkg_resources),
    so its folder is found without running it."""
    import importlib.util
    import json
    from pathlib import Path

    spec = importlib.util.find_spec("zhconv")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "zhconv is not installed; `pip install zhconv` (Chinese search folds with its tables)"
        )
    data = json.loads((Path(next(iter(spec.submodule_search_locations))) / "zhcdict.json").read_text("utf-8"))
    merged: dict[str, str] = {}
    for name in names:
        merged.update(data[name])
    return merged


def fold_han(text: str) -> str:
    """The text with each Han character folded (see _han_table); the same length."""
    return text.translate(_han_table())


def han_grams(text: str) -> tuple[str, str]:
    """The Chinese index's two derived columns for a text: its folded Han
    characters one by one, and its overlapping pairs within each run of Han
    characters, each run's last character closing it (so that no pair query
    reads across two runs: "中国，人民" never holds "国人"). Space-separated,
    which stock FTS5's unicode61 tokenizer reads as one token each; empty when
    the text has no Han characters."""
    if not HAN_CHAR.search(text):
        return "", ""
    uni: list[str] = []
    bi: list[str] = []
    for run in HAN_RUN.findall(fold_han(text)):
        uni.extend(run)
        bi.extend(run[i : i + 2] for i in range(len(run) - 1))
        bi.append(run[-1])
    return " ".join(uni), " ".join(bi)


def han_marks(text: str, needles: list[str]) -> list[tuple[int, int]]:
    """(start, end) in `text` of every occurrence of each folded needle in the
    folded text, merged where they overlap: the spans a snippet highlights."""
    folded = fold_han(text)
    spans = []
    for needle in needles:
        i = folded.find(needle)
        while i >= 0:
            spans.append((i, i + len(needle)))
            i = folded.find(needle, i + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged
