"""Bytes to text, in the order a careful browser would trust the evidence.

A byte order mark (UTF-8, UTF-16 or UTF-32) settles it; otherwise the
header charset first, then the page's own <meta> declaration, then UTF-8,
then gb18030 (a superset of GBK/GB2312, which older Chinese pages use without
saying so). The recorded MFA pages send `text/html` with no charset and declare
UTF-8 in a <meta> tag: trusting the header default (Latin-1) garbles them.
"""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_:.\-]+)""", re.IGNORECASE)


def _known(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().lower()
    if name in ("gb2312", "gbk", "x-gbk"):
        name = "gb18030"  # the superset decodes everything the subsets do
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def header(headers: dict | None, name: str) -> str | None:
    """An HTTP header's value, its name in any case; None if absent (or no headers recorded)."""
    if isinstance(headers, dict):
        name = name.lower()
        for key, value in headers.items():
            if str(key).lower() == name:
                return value
    return None


def header_charset(headers: dict | None) -> str | None:
    m = _HEADER_CHARSET.search(str(header(headers, "content-type") or ""))
    return _known(m.group(1)) if m else None


def meta_charset(body: bytes) -> str | None:
    m = _META_CHARSET.search(body[:4096])
    return _known(m.group(1).decode("ascii", "replace")) if m else None


# Longest first: the UTF-32 little-endian mark begins with the UTF-16 one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def byte_order_mark(body: bytes) -> tuple[str, int] | None:
    """(encoding, length of the mark) when body starts with a Unicode byte order mark."""
    for mark, name in _BOMS:
        if body.startswith(mark):
            return name, len(mark)
    return None


def decode(body: bytes, headers: dict | None = None, charset: str | None = None) -> tuple[str, str]:
    """Return (text, charset used). Never raises: the last resort replaces bytes."""
    bom = byte_order_mark(body)
    if bom:
        marked, size = bom
        return body[size:].decode(marked, "replace"), marked
    candidates = [_known(charset), header_charset(headers), meta_charset(body), "utf-8", "gb18030"]
    seen = set()
    for name in candidates:
        if not name or name in seen:
            continue
        seen.add(name)
        try:
            return body.decode(name), name
        except (UnicodeDecodeError, LookupError):
            continue
    return body.decode("utf-8", "replace"), "utf-8"
