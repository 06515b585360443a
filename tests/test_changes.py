"""What re-ingesting changed: never one speaker's old words paired with another's new ones."""

from __future__ import annotations

import json

from briefings.changes import diff

META = {"title": "T", "date": "2025-01-01", "published": None, "missing_pages": []}


def turn(seq, speaker, text, kind="answer"):
    return {"seq": seq, "speaker": speaker, "kind": kind, "text": text}


def test_an_edited_turn_is_changed_in_place():
    old = [turn(1, "China Daily", "What next?", "question"), turn(2, "Lin", "We will act.")]
    new = [turn(1, "China Daily", "What next year?", "question"), turn(2, "Lin", "We will act.")]
    [row] = diff(META, old, META, new)
    assert (row["seq"], row["change"]) == (1, "changed")
    assert (
        json.loads(row["old"])["text"] == "What next?" and json.loads(row["new"])["text"] == "What next year?"
    )


def test_an_inserted_exchange_before_an_edited_one_is_not_paired_with_it():
    old = [
        turn(1, "He", "Welcome.", "moderator"),
        turn(2, "China Daily", "What measures next year?", "question"),
        turn(3, "Lin", "We will simplify."),
    ]
    new = [
        turn(1, "He", "Welcome.", "moderator"),
        turn(2, "Xinhua", "A new question?", "question"),
        turn(3, "Lin", "A new answer."),
        turn(4, "China Daily", "Which measures next year?", "question"),
        turn(5, "Lin", "We will simplify procedures."),
    ]
    rows = [
        (r["change"], r["seq"], json.loads(r["old"] or r["new"])["speaker"])
        for r in diff(META, old, META, new)
    ]
    assert ("changed", 2, "Xinhua") not in rows
    assert rows == [
        ("removed", 2, "China Daily"),
        ("removed", 3, "Lin"),
        ("added", 2, "Xinhua"),
        ("added", 3, "Lin"),
        ("added", 4, "China Daily"),
        ("added", 5, "Lin"),
    ]


def test_metadata_changes_are_named():
    rows = diff(META, [], dict(META, date="2025-01-02"), [])
    assert [(r["change"], r["field"], r["old"], r["new"]) for r in rows] == [
        ("metadata", "date", '"2025-01-01"', '"2025-01-02"')
    ]
