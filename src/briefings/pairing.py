"""Which stored briefing is the other language version of a briefing.

The rules, most certain first:

- the page's own link to its other version (a Chinese MFA page's `div.lan_btn`
  English link, an SCIO transcript's "Read in Chinese" `<a id="cn">`), kept
  as the briefing's `counterpart_url`, against the other's URL or pages, in
  either direction;
- for MFA regular press conferences: the same day and the same spokesperson,
  one in English ("Regular Press Conference", "Daily Briefing Online") and
  one in Chinese (例行记者会), and only when exactly one briefing fits.

Either version may be ingested first: the rule is asked again whenever one
of them is stored.
"""

from __future__ import annotations

import re

REGULAR = {
    "en": re.compile(r"Regular Press Conference|Daily Briefing Online|Press Conference Online", re.I),
    "zh": re.compile(r"例行记者会"),
}


def regular_conference(title: str, language: str) -> bool:
    pattern = REGULAR.get(language)
    return bool(pattern and pattern.search(title or ""))


def _spokespeople(conn, pk: int) -> set[str]:
    return {r[0] for r in conn.execute(
        "SELECT name FROM participants WHERE briefing_pk = ? AND kind = 'spokesperson'", (pk,))}


def _url_key(url: str | None) -> str | None:
    """http and https, www. and a trailing .shtml/.html, are one page for this purpose."""
    if not url:
        return None
    u = re.sub(r"^https?://(www\.)?", "", url.strip()).rstrip("/")
    return re.sub(r"\.s?html?$", "", u)


def find(conn, pk: int) -> tuple[int, str] | None:
    """(the counterpart's pk, the rule that found it), or None."""
    row = conn.execute("SELECT source, url, pages, title, date, language, counterpart_url FROM briefings WHERE pk = ?",
                       (pk,)).fetchone()
    if row is None:
        return None
    source, url, pages, title, date, language, declared = row
    import json

    mine = {_url_key(u) for u in [url, *json.loads(pages or "[]")]} - {None}
    others = conn.execute(
        "SELECT pk, url, pages, counterpart_url FROM briefings WHERE language != ? AND pk != ? AND "
        "(counterpart_url IS NOT NULL OR ? IS NOT NULL)", (language, pk, declared)).fetchall()
    want = _url_key(declared)
    for opk, ourl, opages, odeclared in others:
        theirs = {_url_key(u) for u in [ourl, *json.loads(opages or "[]")]} - {None}
        if (want and want in theirs) or (_url_key(odeclared) in mine):
            return opk, "link"
    if source == "mfa" and date and regular_conference(title, language):
        speakers = _spokespeople(conn, pk)
        if not speakers:
            return None
        fits = [
            opk for opk, otitle, olang in conn.execute(
                "SELECT pk, title, language FROM briefings WHERE source = 'mfa' AND date = ? AND language != ?",
                (date, language))
            if regular_conference(otitle, olang) and _spokespeople(conn, opk) & speakers
        ]
        if len(fits) == 1:
            return fits[0], "same day and spokesperson"
    return None
