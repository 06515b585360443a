"""SCIO press conferences on the Chinese site, www.scio.gov.cn.

No real page has been recorded yet: the templates follow what public scrapers
of the site rely on. Until 2022 a transcript is a `Document/<id>/<id>.htm`
page (title `div.A_title`, source and date line `div.A_t1`, body `#content`);
from 2023 a conference lives under `/live/<year>/<id>/`, its transcript a
`t<date>_<n>.html` document of the site's CMS, which names page k+1 of a long
one `t<date>_<n>_<k>.html` and prints `var countPage = N` in its pager.
Either way the text opens with a sentence saying when the conference was held
and a roster (发布人, 主持人, 时间), then the turns: the roster's people under
their bare names, journalists as "……记者：".
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import PurePosixPath
from urllib.parse import urlparse

from .. import sites
from ..dates import find_date, is_date_line
from ..html import first, text_of
from ..labels import Context
from ..models import Participant, RawPage, Rejected
from ..people import Entities
from ..segment import segment
from ..text import clean_line
from . import zh
from .base import PageText, decoded, html_lines, link, make_briefing, page_text

BODY = ("#content", "div.TRS_Editor", "div.content", "div.article-content")
TITLE = ("div.A_title", "div.article-title h1", "div.title h1", "h1")
_INFO = ("div.A_t1", "div.article-info", "div.info")
# The sentence a transcript opens with: "国务院新闻办公室于2020年6月23日（星期二）上午10时举行新闻发布会，……",
# from 2023 "2024年9月24日上午9时，国务院新闻办公室举行新闻发布会，……".
_OPENING = re.compile(r"^(?:[^，。：:]{4,30}[，,]\s*)?国务院新闻办(?:公室)?[^。：:]{0,60}?举行")
# A notice of a conference to come: "国务院新闻办公室将于6月23日举行新闻发布会".
NOTICE = re.compile(r"国务院新闻办(?:公室)?(?:将于|定于|拟于)|发布会预告|^预告[:：]")
# A photo's caption printed in the body: "（图为发布会现场。中国网 张三 摄）".
_CAPTION = re.compile(r"^[（(\[【]?\s*图为.{0,200}?(?:摄|供图)\s*[）)\]】]?$")
_COUNT_PAGE = re.compile(r"var\s+countPage\s*=\s*(\d{1,3})")
_PUB_DATE = re.compile(r"<meta\s+name=[\"']?PubDate[\"']?\s+content=[\"']([^\"']+)", re.I)
# A later page of a CMS document: t20240712_857321_1.html is its page 2.
_TRS_PAGE = re.compile(r"^(?P<doc>t\d{8}_\d+)(?:_(?P<k>\d{1,3}))?\.s?html?$", re.I)


def is_chinese_site(url: str | None) -> bool:
    return sites.on_chinese_site("scio", url)


def page_slot(family: str, url: str | None, path: str) -> tuple[str, int] | None:
    """(transcript key, page number) of a CMS document page of the Chinese site, else None."""
    if family != "scio" or (url and not is_chinese_site(url)):
        return None
    name = PurePosixPath(urlparse(url).path if url else path).name
    m = _TRS_PAGE.match(name)
    if not m:
        return None
    where = url[: url.rfind(name)] if url else f"{PurePosixPath(path).parent}/"
    return f"scio:{where}{m.group('doc')}", int(m.group("k") or 0) + 1


def read(page: RawPage, number: int) -> PageText:
    text = decoded(page)
    lines, title, doc = html_lines(text, BODY, TITLE)
    if not title:
        meta = re.search(
            r"<meta\s+name=[\"']?ArticleTitle[\"']?\s+content=[\"']([^\"']+)", text[:50_000], re.I
        )
        title = clean_line(meta.group(1)) if meta else None
    if title and NOTICE.search(title):
        raise Rejected("notice of a press conference, not a transcript", page.path, skip=True)
    info = first(doc, *_INFO)
    published = find_date(text_of(info, " ")) if info is not None else None
    if published is None:
        meta = _PUB_DATE.search(text[:50_000])
        published = find_date(meta.group(1)) if meta else None
    lines = [line for line in lines if not _CAPTION.match(line)]
    pt = page_text(
        page,
        number,
        lines,
        title=title,
        published=published,
        doc=doc,
        other_language=english_version(doc, page.url),
    )
    count = _COUNT_PAGE.search(text)
    if count and int(count.group(1)) > 1:
        pt = replace(pt, pager_total=max(pt.pager_total or 0, int(count.group(1))))
    return pt


_ENGLISH_TRANSCRIPT = re.compile(r"//english\.scio\.gov\.cn/.*(?:content_\d+|node_\d+)", re.I)


def english_version(doc, base: str | None) -> str | None:
    """The page's link to the English transcript (`<a id="en">`, or a link saying English or 英文
    to a transcript of english.scio.gov.cn); never the header's link to the English home page."""
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        words = text_of(a).strip()
        if _ENGLISH_TRANSCRIPT.search(href) and (
            a.get("id") == "en" or re.search(r"English|英文", words, re.I)
        ):
            return link(base, href)
    return None


def _header(lines: list[str], title: str | None) -> tuple[list[Participant], str | None, int]:
    """The roster and the day held, read from the top of page 1; and where the turns begin."""
    people: list[Participant] = []
    held = None
    key: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        m = zh.ROSTER_KEY.match(line)
        if m:
            kind = zh.ROSTER_KINDS[m.group("key")]
            value = m.group("value").strip()
            if kind in ("official", "chair"):
                found = zh.entries(value, kind) if value else []
                if value and not found:
                    break  # "主持人：现在开始提问。" is the chair speaking: the turns have begun
                if not value and not (i + 1 < len(lines) and zh.entry(lines[i + 1], kind)):
                    break  # "主持人：" alone, and speech after it
                people += found
            elif kind == "date" and value:
                held = held or find_date(value)
            key = kind if not value else None
            i += 1
            continue
        if key in ("official", "chair"):
            p = zh.entry(line, key) if not re.search(r"[:：]$", line) else None
            if p is not None:
                people.append(p)
                i += 1
                continue
        if key == "date" and find_date(line):
            held = held or find_date(line)
            key = None
            i += 1
            continue
        key = None
        if _OPENING.match(line) and not people:
            held = held or find_date(line)
            i += 1
            continue
        if (title and _same(line, title)) or (i < 6 and is_date_line(line)):
            i += 1
            continue
        break
    unique: dict[str, Participant] = {}
    for p in people:
        unique.setdefault(p.name, p)
    return list(unique.values()), held, i


def _same(a: str, b: str) -> bool:
    return re.sub(r"\W+", "", a) == re.sub(r"\W+", "", b)


def _later(page: PageText, title: str | None) -> list[str]:
    """Pages 2..n repeat the title and the date: the rest is the transcript going on."""
    lines = page.lines
    i = 0
    while i < min(len(lines), 4) and ((title and _same(lines[i], title)) or is_date_line(lines[i])):
        i += 1
    return lines[i:]


def _cut(before: str, after: str) -> bool:
    """Does `after`, unlabelled, carry on a Chinese sentence that `before` breaks off?"""
    return bool(re.search(r"[\u4e00-\u9fff，、；,]$", before)) and not re.match(r"^[^：:]{1,25}[：:]", after)


def build(id: str, pages: list[PageText], entities: Entities):
    pages = sorted(pages, key=lambda p: p.number)
    head = pages[0]
    people, held, start = _header(head.lines, head.title)
    held = held or find_date(head.title or "")
    paras = [(head.number, line) for line in head.lines[start:]]
    for p in pages[1:]:
        rest = _later(p, head.title)
        if rest and paras and p.number == paras[-1][0] + 1 and _cut(paras[-1][1], rest[0]):
            # A sentence the page break cut ("……实物工作量，" | "我们也将……"): one paragraph again.
            paras[-1] = (paras[-1][0], paras[-1][1] + rest.pop(0))
        paras.extend((p.number, line) for line in rest)
    ctx = Context(entities=entities, roster=zh.label_roster(people), date=held or head.published)
    turns = segment(paras, ctx)
    people, turns = zh.canonical(people, turns, entities)
    return make_briefing(
        id=id,
        source="scio",
        pages=pages,
        title=head.title,
        date=held,
        published=head.published,
        participants=people,
        turns=turns,
        text_sample=(head.title or "") + " ".join(t.text for t in turns[:3]),
    )
