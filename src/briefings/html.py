"""HTML to paragraphs, the way a reader sees them.

Inline tags are joined with no separator: these sites split words and labels
across tags (`<b>Th</b>e following`, `<b>Reuters</b><b>: </b>`), so a paragraph's
text must be read whole before any label is matched. Block tags and <br> break
paragraphs. The walk is iterative so that absurdly deep markup cannot blow the
stack.

Transcript pages are parsed with lxml directly: on these 30-40 KB pages it is
over ten times faster than building a BeautifulSoup tree, and ingest spends
most of its time here. (The crawler's listing pages still use BeautifulSoup.)
"""

from __future__ import annotations

import functools
import re
from typing import TypeAlias, cast

from lxml import etree
from lxml import html as lxml_html

from .text import clean_line

BLOCK = frozenset(
    "p div li ul ol h1 h2 h3 h4 h5 h6 table tr td th tbody thead section article "
    "blockquote dd dt dl center pre header footer nav aside main figure figcaption "
    "form hr address".split()
)
SKIP = frozenset(
    "script style noscript select button input textarea iframe object embed svg "
    "img map area audio video canvas template head title".split()
)
_WS = re.compile(r"[ \t\n\r\f\v]+")
_ANY_SPACE = re.compile(r"\s")
_BOLD = frozenset(("b", "strong"))
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_PARSER = lxml_html.HTMLParser(huge_tree=True, remove_comments=False, recover=True)

Element: TypeAlias = lxml_html.HtmlElement


class Para(str):
    """A paragraph's text that remembers whether it was printed bold.

    The MFA prints questions in bold and answers in plain type; where a page
    drops the `A:` label, the change of type is the only sign of the answer.
    """

    bold: bool = False
    bold_start: bool | None = None  # did it open in bold type (askers' labels are bold)?

    def __new__(cls, text: str, bold: bool = False, bold_start: bool | None = None):
        obj = super().__new__(cls, text)
        obj.bold = bold
        obj.bold_start = bold_start
        return obj


def parse(text: str) -> Element:
    """The document's root element; an empty <html> for a page with no markup at all."""
    text = _XML_DECLARATION.sub("", text.replace("\x00", ""))
    try:
        root = lxml_html.document_fromstring(text, parser=_PARSER) if text.strip() else None
    except (etree.ParserError, ValueError):
        root = None
    return root if root is not None else lxml_html.document_fromstring("<html><body></body></html>")


def text_of(node: Element | None, sep: str = "") -> str:
    """All text under node, inline pieces joined by sep."""
    if node is None:
        return ""
    return sep.join(t for t in node.itertext() if isinstance(t, str))


def _tag(node) -> str | None:
    tag = node.tag
    return tag.lower() if isinstance(tag, str) else None  # comments and processing instructions have none


def paragraphs(node: Element | None) -> list[str]:
    """Text paragraphs under node, in document order."""
    if node is None:
        return []
    out: list[str] = []
    buf: list[str] = []
    bold_chars = [0]  # non-space characters inside <b>/<strong> in the current paragraph
    starts: list[bool | None] = [None]  # per line of the paragraph: did its first character sit in bold?

    def flush() -> None:
        if buf:
            text = "".join(buf)
            total = len(_ANY_SPACE.sub("", text))
            bold = total > 0 and bold_chars[0] >= 0.9 * total
            for line, start in zip(text.split("\n"), starts):
                line = clean_line(line)
                if line:
                    out.append(Para(line, bold, start))
            buf.clear()
        bold_chars[0] = 0
        starts[:] = [None]

    def add(text: str | None, in_bold: bool) -> None:
        if text:
            # Newlines and tabs in markup are spaces; runs of spaces are folded later, per line.
            piece = text if text.isprintable() else _WS.sub(" ", text)
            buf.append(piece)
            if starts[-1] is None and piece.strip():
                starts[-1] = in_bold
            if in_bold:
                bold_chars[0] += len(piece.replace(" ", ""))

    add(node.text, _tag(node) in _BOLD)
    # Entries: (element, closing?, inside <b>/<strong>?). A closing entry ends the
    # element's block and then adds its tail, which belongs to the parent.
    stack: list[tuple[Element, bool, bool]] = [(c, False, _tag(node) in _BOLD) for c in reversed(node)]
    while stack:
        item, closing, in_bold = stack.pop()
        name = _tag(item)
        if closing:
            if name in BLOCK:
                flush()
            add(item.tail, in_bold)
            continue
        if name is None or name in SKIP:
            add(item.tail, in_bold)
            continue
        if name == "br":
            buf.append("\n")
            starts.append(None)
            add(item.tail, in_bold)
            continue
        if name in BLOCK:
            flush()
        bold = in_bold or name in _BOLD
        add(item.text, bold)
        stack.append((item, True, in_bold))
        stack.extend((c, False, bold) for c in reversed(item))
    flush()
    return out


def between_comments(html_text: str, start: str, end: str) -> str | None:
    """The markup between two marker comments, e.g. <!--enpcontent-->."""
    i = html_text.find(start)
    j = html_text.find(end, i + len(start)) if i >= 0 else -1
    return html_text[i + len(start) : j] if i >= 0 and j >= 0 else None


_COMPOUND = re.compile(r"^(?P<tag>[a-zA-Z][\w-]*)?(?:#(?P<id>[\w-]+))?(?:\.(?P<cls>[\w-]+))?$")


def _xpath_step(compound: str) -> str:
    m = _COMPOUND.match(compound)
    if not m or not any(m.groups()):
        raise ValueError(f"unsupported selector step {compound!r}")
    step = m.group("tag") or "*"
    if m.group("id"):
        step += f"[@id='{m.group('id')}']"
    if m.group("cls"):
        step += f"[contains(concat(' ', normalize-space(@class), ' '), ' {m.group('cls')} ')]"
    return step


@functools.lru_cache(maxsize=256)
def _xpath(selector: str) -> etree.XPath:
    return etree.XPath(
        "".join(
            ".//" + _xpath_step(step) if i == 0 else "//" + _xpath_step(step)
            for i, step in enumerate(selector.split())
        )
    )


# A bare `#id` looked up from the top of a document: libxml2's table of ids
# answers at once (the first element with that id, as a scan would), where a
# scan of every element costs a fifth of a millisecond a page.
_BY_ID = etree.XPath("id($name)")
_BARE_ID = re.compile(r"#[\w-]+$")


def first(doc: Element, *selectors: str) -> Element | None:
    """The first element matching any selector, tried in order.

    Selectors are `tag#id.class` steps joined by spaces (descendants), the only
    CSS these page families need; each is compiled once.
    """
    top = doc.getparent() is None
    for sel in selectors:
        if top and _BARE_ID.match(sel):
            by_id = cast(list[Element], _BY_ID(doc, name=sel[1:]))
            if by_id and by_id[0] is not doc:
                return by_id[0]
            if not by_id:
                continue
        found = cast(list[Element], _xpath(sel)(doc))
        if found:
            return found[0]
    return None


def title(doc: Element) -> str:
    node = doc.find(".//title")
    return text_of(node)


def largest_text_block(doc: Element) -> Element | None:
    """The element whose own paragraphs hold the most text: a plain readability guess."""
    best, best_score = None, 0
    for tag in doc.iter("div", "article", "section", "td", "main", "body"):
        score = sum(len(text_of(p)) for p in tag if _tag(p) == "p")
        if score > best_score:
            best, best_score = tag, score
    if best is None:
        best = doc.find(".//body")
    return best if best is not None else doc
