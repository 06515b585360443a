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


def soup(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "lxml")


def paragraphs(node: Tag | None) -> list[str]:
    """Text paragraphs under node, in document order."""
    if node is None:
        return []
    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            for line in "".join(buf).split("\n"):
                line = clean_line(line)
                if line:
                    out.append(line)
            buf.clear()

    stack: list[tuple[object, bool]] = [(c, False) for c in reversed(list(node.children))]
    while stack:
        item, closing = stack.pop()
        if closing:
            flush()
            continue
        if isinstance(item, Comment):
            continue
        if isinstance(item, NavigableString):
            if type(item) is NavigableString:  # not CData, Doctype, ProcessingInstruction
                buf.append(_WS.sub(" ", str(item)))
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
            stack.append((item, True))
        stack.extend((c, False) for c in reversed(children))
    flush()
    return out


def between_comments(html_text: str, start: str, end: str) -> str | None:
    """The markup between two marker comments, e.g. <!--enpcontent-->."""
    i = html_text.find(start)
    if i < 0:
        return None
    j = html_text.find(end, i + len(start))
    if j < 0:
        return None
    return html_text[i + len(start) : j]


def first(doc: BeautifulSoup, *selectors: str) -> Tag | None:
    for sel in selectors:
        found = doc.select_one(sel)
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
