"""Dates as these sites print them, to ISO `YYYY-MM-DD`.

AP style (`Aug. 25, 2025`, `Sept. 12`), a missing space (`January 13,2025`),
`2024/05/08`, the Chinese `2018年5月11日` (also `2018年05月11日`, in full-width
digits, or in Chinese numerals: `二〇一八年五月十一日`), and dates inside URL paths.
Month-name parsing is left to python-dateutil; finding the date in a line is
done here, with patterns narrow enough that a number in prose is never taken
for a date.
"""

from __future__ import annotations

import datetime as dt
import re

from .text import fold_marks

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
# "Aug. 25, 2025", and a two-day briefing "Aug. 25-26, 2025" (its first day).
MONTH_DAY_YEAR = re.compile(
    rf"\b({_MONTH})\.?\s*(\d{{1,2}})(?:\s*[-–]\s*\d{{1,2}})?\s*,\s*(\d{{4}})\b", re.IGNORECASE
)
DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})\s+({_MONTH})\.?\s*,?\s*(\d{{4}})\b", re.IGNORECASE)
NUMERIC = re.compile(r"(?<!\d)(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})(?!\d)")
# `\d` is any decimal digit, full-width `２０２０` too, and int() reads them all.
CHINESE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
# Chinese numerals, as headers of speeches print a day: 二〇二〇年六月二十三日 (〇 also as ○ or 零).
_ZH_DIGITS = "〇○零一二三四五六七八九"
_ZH_NUMBER = rf"[{_ZH_DIGITS}十]{{1,3}}"
CHINESE_NUMERALS = re.compile(rf"([{_ZH_DIGITS}]{{4}})\s*年\s*({_ZH_NUMBER})\s*月\s*({_ZH_NUMBER})\s*[日号]")
URL_DATE = re.compile(r"/(\d{4})-?(\d{2})/(\d{2})/")
URL_COMPACT = re.compile(r"/t(\d{4})(\d{2})(\d{2})_")


def iso_date(y: int, m: int, d: int) -> str | None:
    """YYYY-MM-DD for a day that exists; None for one that does not (Feb. 30, month 13)."""
    try:
        return dt.date(y, m, d).isoformat()
    except ValueError:
        return None


def _month_number(name: str) -> int | None:
    # Imported here: dateutil takes longer to import than a search takes to run, and
    # `--since`/`--until` (parse_user_date) need none of it.
    from dateutil import parser as dateparser

    try:
        return dateparser.parse(f"{name} 1 2000").month
    except (ValueError, OverflowError):
        return None


def _zh_number(numerals: str) -> int | None:
    """一 .. 三十一, and a year digit by digit (二〇二〇): the value, or None for a malformed one."""
    digit = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0}
    if "十" not in numerals:
        return int("".join(str(digit[c]) for c in numerals))
    tens, _, units = numerals.partition("十")
    if len(tens) > 1 or len(units) > 1 or "十" in units:
        return None
    return (digit[tens] if tens else 1) * 10 + (digit[units] if units else 0)


def find_date(text: str) -> str | None:
    """The first date written in text, or None."""
    text = fold_marks(text)  # "2020\u201109\u201102" is a date too
    best: tuple[int, str] | None = None
    for pattern, order in (
        (MONTH_DAY_YEAR, "mdy"),
        (DAY_MONTH_YEAR, "dmy"),
        (NUMERIC, "ymd"),
        (CHINESE, "ymd"),
        (CHINESE_NUMERALS, "zh"),
    ):
        m = pattern.search(text)
        if not m:
            continue
        a, b, c = m.groups()
        if order == "zh":
            year, month, day = (_zh_number(x) for x in (a, b, c))
            iso = iso_date(year, month, day) if year and month and day else None
        elif order == "mdy":
            month = _month_number(a)
            iso = iso_date(int(c), month, int(b)) if month else None
        elif order == "dmy":
            month = _month_number(b)
            iso = iso_date(int(c), month, int(a)) if month else None
        else:
            iso = iso_date(int(a), int(b), int(c))
        if iso and (best is None or m.start() < best[0]):
            best = (m.start(), iso)
    return best[1] if best else None


MONTH_DAY = re.compile(rf"\b({_MONTH})\.?\s*(\d{{1,2}})\b(?!\s*,?\s*\d{{4}})", re.IGNORECASE)


def date_before(text: str, latest: str | None) -> str | None:
    """A month and day written without a year ("... on September 10"), dated to
    the last such day on or before `latest` (the page's own publication): a
    conference is published after it is held, never before."""
    m = MONTH_DAY.search(text)
    if not m or not latest:
        return None
    month = _month_number(m.group(1))
    if not month:
        return None
    year = int(latest[:4])
    for y in (year, year - 1):
        iso = iso_date(y, month, int(m.group(2)))
        if iso and iso <= latest:
            return iso
    return None


def date_in_url(url: str | None) -> str | None:
    if not url:
        return None
    m = URL_DATE.search(url) or URL_COMPACT.search(url)
    return iso_date(*(int(x) for x in m.groups())) if m else None


# What a Chinese date line may carry around its date: "（2024年3月7日）", "2020年6月23日（星期二）".
_ZH_BRACKETS = re.compile(r"^[（(]\s*(.+?)\s*[)）]$")
_ZH_WEEKDAY = re.compile(r"\s*[（(]\s*(?:星期|周)[一二三四五六日天]\s*[)）]$")


def is_date_line(line: str) -> bool:
    """A line that is a date and nothing more (page headers, repeated date lines)."""
    stripped = re.sub(
        r"^(?:Date|Time|Updated|时间|日期)\s*[:：]\s*", "", fold_marks(line).strip(), flags=re.IGNORECASE
    )
    if "年" in stripped:
        stripped = _ZH_WEEKDAY.sub("", _ZH_BRACKETS.sub(r"\1", stripped))
    for pattern in (MONTH_DAY_YEAR, DAY_MONTH_YEAR, NUMERIC, CHINESE, CHINESE_NUMERALS):
        m = pattern.fullmatch(stripped.rstrip(". "))
        if m:
            return True
    return False


def parse_user_date(value: str, *, end: bool = False) -> str:
    """`--since`/`--until` values: YYYY, YYYY-MM or YYYY-MM-DD. Raises ValueError.

    A partial date covers its whole period: `--until 2019` means to Dec. 31.
    """
    value = value.strip()
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", value)
    if not m:
        raise ValueError(f"{value!r} is not a date; use YYYY, YYYY-MM or YYYY-MM-DD")
    y = int(m.group(1))
    if m.group(3):
        iso = iso_date(y, int(m.group(2)), int(m.group(3)))
    elif m.group(2):
        month = int(m.group(2))
        if not 1 <= month <= 12:
            iso = None
        elif end:
            nxt = dt.date(y + (month == 12), month % 12 + 1, 1)
            iso = (nxt - dt.timedelta(days=1)).isoformat()
        else:
            iso = dt.date(y, month, 1).isoformat()
    else:
        iso = f"{y:04d}-12-31" if end else f"{y:04d}-01-01"
    if iso is None:
        raise ValueError(f"{value!r} is not a real date")
    return iso
