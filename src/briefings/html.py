"""HTML to paragraphs, the way a reader sees them.

Inline tags are joined with no separator: these sites split words and labels
across tags (`<b>Th</b>e following`, `<b>Reuters</b><b>: </b>`), so a paragraph's
text must be read whole before any label is matched. Block tags and <br> break
paragraphs. The walk is iterative so that absurdly deep markup cannot blow the
stack.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from .text import clean_line

BLOCK = frozenset(
    "p div li ul ol h1 h2 h3 h4 h5 h6 table tr td th tbody thead section article "
    "blockquote dd dt dl center pre header footer nav aside main figure figcaption "
    "form hr address".split()
)
SKIP = frozenset(
    "script style noscript select button input textarea iframe object embed svg "
    "img map area audio video canvas template head".split()
)
_WS = re.compile(r"[ \t\n\r\f\v]+")
_BOLD = frozenset(("b", "strong"))


class Para(str):
    """A paragraph's text that remembers whether it was printed bold.

    The MFA prints questions in bold and answers in plain type; where a page
    drops the `A:` label, the change of type is the only sign of the answer.
    """

    bold: bool = False

    def __new__(cls, text: str, bold: bool = False):
        obj = super().__new__(cls, text)
        obj.bold = bold
        return obj


def soup(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "lxml")


def paragraphs(node: Tag | None) -> list[str]:
    """Text paragraphs under node, in document order."""
    if node is None:
        return []
    out: list[str] = []
    buf: list[str] = []
    bold_chars = [0]  # non-space characters inside <b>/<strong> in the current paragraph

    def flush() -> None:
        if buf:
            text = "".join(buf)
            total = len(re.sub(r"\s", "", text))
            bold = total > 0 and bold_chars[0] >= 0.9 * total
            for line in text.split("\n"):
                line = clean_line(line)
                if line:
                    out.append(Para(line, bold))
            buf.clear()
        bold_chars[0] = 0

    # (node, closing?, inside <b>/<strong>?)
    stack: list[tuple[object, bool, bool]] = [(c, False, False) for c in reversed(list(node.children))]
    while stack:
        item, closing, in_bold = stack.pop()
        if closing:
            flush()
            continue
        if isinstance(item, Comment):
            continue
        if isinstance(item, NavigableString):
            if type(item) is NavigableString:  # not CData, Doctype, ProcessingInstruction
                piece = _WS.sub(" ", str(item))
                buf.append(piece)
                if in_bold:
                    bold_chars[0] += len(piece.replace(" ", ""))
            continue
        if not isinstance(item, Tag):
            continue
        name = item.name
        if name in SKIP:
            continue
        if name == "br":
            buf.append("\n")
            continue
        children = list(item.children)
        if name in BLOCK:
            flush()
            stack.append((item, True, in_bold))
        bold = in_bold or name in _BOLD
        stack.extend((c, False, bold) for c in reversed(children))
    flush()
    return out


def between_comments(html_text: str, start: str, end: str) -> str | None:
    """The markup between two marker comments, e.g. <!--enpcontent-->."""
    i = html_text.find(start)
    j = html_text.find(end, i + len(start)) if i >= 0 else -1
    return html_text[i + len(start) : j] if i >= 0 and j >= 0 else None


_COMPOUND = re.compile(r"^(?P<tag>[a-zA-Z][\w-]*)?(?:#(?P<id>[\w-]+))?(?:\.(?P<cls>[\w-]+))?$")


def _find(node: Tag, compound: str) -> Tag | None:
    m = _COMPOUND.match(compound)
    if not m or not any(m.groups()):
        return node.select_one(compound)
    attrs = {}
    if m.group("id"):
        attrs["id"] = m.group("id")
    if m.group("cls"):
        attrs["class_"] = m.group("cls")
    return node.find(m.group("tag") or True, **attrs)


def first(doc: BeautifulSoup, *selectors: str) -> Tag | None:
    """The first element matching any selector, tried in order.

    Selectors made of `tag#id.class` steps joined by spaces are walked with
    find(), which is many times faster than a general CSS engine on these
    pages; anything else goes to soupsieve.
    """
    for sel in selectors:
        steps = sel.split()
        if ">" in sel or not all(_COMPOUND.match(s) for s in steps):
            found = doc.select_one(sel)
        else:
            found = doc
            for step in steps:
                found = _find(found, step)
                if found is None:
                    break
        if found is not None:
            return found
    return None


def largest_text_block(doc: BeautifulSoup) -> Tag | None:
    """The element whose own paragraphs hold the most text: a plain readability guess."""
    best, best_score = None, 0
    for tag in doc.find_all(["div", "article", "section", "td", "main", "body"]):
        ps = tag.find_all("p", recursive=False)
        score = sum(len(p.get_text()) for p in ps)
        if score > best_score:
            best, best_score = tag, score
    if best is None:
        best = doc.body
    return best
