"""What changed when a briefing was parsed again from new or refetched pages.

Sites edit transcripts after publication (a corrected name, a paragraph
added). The archive keeps the newest text and records, turn by turn, what it
replaced, so that a quote checked last month can be checked again.
"""

from __future__ import annotations

import difflib
import json

from .text import fold

META_FIELDS = ("title", "date", "published", "missing_pages")


def _key(turn: dict) -> tuple:
    """What a reader sees change: a straight quote for a curly one, or a no-break space
    for a space, is the same word (an archive stored before text kept its marks)."""
    return (turn.get("speaker"), turn.get("kind"), _folded(turn.get("text")))


def _folded(value):
    return fold(value) if isinstance(value, str) else value


def _show(turn: dict) -> str:
    return json.dumps(
        {"speaker": turn.get("speaker"), "kind": turn.get("kind"), "text": turn.get("text")},
        ensure_ascii=False,
    )


def diff(old_meta: dict, old_turns: list[dict], new_meta: dict, new_turns: list[dict]) -> list[dict]:
    """Rows for the changes table: {seq, change, field, old, new}; empty when nothing a reader sees changed.

    `seq` is the turn's number in the new version, or in the old one for a removed turn.
    """
    rows = []
    for field in META_FIELDS:
        if _folded(old_meta.get(field)) != _folded(new_meta.get(field)):
            rows.append(
                {
                    "seq": None,
                    "change": "metadata",
                    "field": field,
                    "old": json.dumps(old_meta.get(field)),
                    "new": json.dumps(new_meta.get(field)),
                }
            )
    matcher = difflib.SequenceMatcher(
        a=[_key(t) for t in old_turns], b=[_key(t) for t in new_turns], autojunk=False
    )
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        olds, news = old_turns[i1:i2], new_turns[j1:j2]
        if [(t.get("speaker"), t.get("kind")) for t in olds] == [
            (t.get("speaker"), t.get("kind")) for t in news
        ]:
            # The same speakers in the same order: each turn's words were edited.
            for o, n in zip(olds, news):
                rows.append(
                    {"seq": n["seq"], "change": "changed", "field": None, "old": _show(o), "new": _show(n)}
                )
            continue
        # Otherwise never pair one speaker's old words with another's new ones.
        for o in olds:
            rows.append({"seq": o["seq"], "change": "removed", "field": None, "old": _show(o), "new": None})
        for n in news:
            rows.append({"seq": n["seq"], "change": "added", "field": None, "old": None, "new": _show(n)})
    return rows
