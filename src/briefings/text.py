"""Text clean-up shared by every page family: spaces, quotes, paragraphs.

Pages mix no-break spaces, en and ideographic spaces, non-breaking hyphens and
curly quotes; labels only match and phrases only search once these are folded.
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
_SPACES = re.compile(r"[ \t\f\v]+")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def fold(text: str) -> str:
    """Normalise odd spaces, hyphens and quotes; collapse runs of spaces."""
    return _SPACES.sub(" ", text.translate(_FOLD))


def clean_line(text: str) -> str:
    return fold(text).strip()


def text_paragraphs(text: str) -> list[str]:
    """Paragraphs of a plain-text dump: each non-empty line is one paragraph."""
    return [line for line in (clean_line(x) for x in fold(text).split("\n")) if line]


def looks_chinese(text: str) -> bool:
    sample = text[:5000]
    return len(_CJK.findall(sample)) > len(sample) * 0.1
