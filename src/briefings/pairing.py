"""Which stored briefing is the other language version of a briefing.

The rules, most certain first:

- the page's own link to its other version (a Chinese MFA page's `div.lan_btn`
  English link, an SCIO transcript's "Read in Chinese" `<a id="cn">`), kept
  as the briefing's `counterpart_url`, against the other's URL (however http,
  www. and .shtml are spelled), in either direction;
- for MFA regular press conferences: the same day and the same spokesperson,
  one in English ("Regular Press Conference", "Daily Briefing Online") and
  one in Chinese (例行记者会), and only when exactly one briefing fits.

Either version may be ingested first: the rule is asked again whenever one
of them is stored.
"""

from __future__ import annotations

import json
import re

REGULAR = {
    "en": re.compile(r"Regular Press Conference|Daily Briefing Online|Press Conference Online", re.I),
    "zh": re.compile(r"例行记者会"),
}


def regular_conference(title: str, language: str) -> bool:
    pattern = REGULAR.get(language)
    return bool(pattern and pattern.search(title or ""))


def _spokespeople(conn, pk: int) -> set[str]:
    return {
        r[0]
        for r in conn.execute(
            "SELECT name FROM participants WHERE briefing_pk = ? AND kind = 'spokesperson'", (pk,)
        )
    }


def spellings(url: str | None) -> list[str]:
    """The ways one page's URL is written: http or https, with www. or not, .shtml or .html."""
    m = re.match(r"^https?://(?:www\.)?(?P<rest>.+?)(?P<ext>\.s?html?)?/?$", (url or "").strip())
    if not m:
        return []
    rest, ext = m.group("rest"), m.group("ext")
    exts = [".shtml", ".html", ".htm"] if ext else [""]
    return [
        f"{scheme}://{www}{rest}{e}" for scheme in ("http", "https") for www in ("", "www.") for e in exts
    ]


def find(conn, pk: int) -> tuple[int, str] | None:
    """(the counterpart's pk, the rule that found it), or None."""
    row = conn.execute(
        "SELECT source, url, pages, title, date, language, counterpart_url FROM briefings WHERE pk = ?", (pk,)
    ).fetchone()
    if row is None:
        return None
    source, url, pages, title, date, language, declared = row
    mine = [v for u in [url, *json.loads(pages or "[]")] for v in spellings(u)]
    for column, values in (("url", spellings(declared)), ("counterpart_url", mine)):
        if not values:
            continue
        marks = ", ".join("?" * len(values))
        found = conn.execute(
            f"SELECT pk FROM briefings WHERE {column} IN ({marks}) AND language != ? AND pk != ? "
            "ORDER BY pk LIMIT 1",
            (*values, language, pk),
        ).fetchone()
        if found:
            return found[0], "link"
    if source == "mfa" and date and regular_conference(title, language):
        speakers = _spokespeople(conn, pk)
        if not speakers:
            return None
        fits = [
            opk
            for opk, otitle, olang in conn.execute(
                "SELECT pk, title, language FROM briefings WHERE source = 'mfa' AND date = ? AND language != ?",
                (date, language),
            )
            if regular_conference(otitle, olang) and _spokespeople(conn, opk) & speakers
        ]
        if len(fits) == 1:
            return fits[0], "same day and spokesperson"
    return None
