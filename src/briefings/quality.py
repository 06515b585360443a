"""What a maintainer reads after a crawl: where attribution may be wrong or text lost.

Works on briefings in the export shape, from the archive or straight from raw
pages, so the same report can judge a crawl before it is ingested.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field

from .labels import GENERIC_LABELS, Context, is_follow_up, known_label, looks_like_name, zh_label_shaped
from .models import Participant
from .people import Entities
from .segment import is_reported_question
from .sources.zh import label_roster
from .text import HAN_CHAR

# A paragraph that opens like a speaker label: "Reuters:", "Zhao Lijian:", "Q:", or is one: "Geng Shuang:".
_LABEL_START = re.compile(r"^(?P<label>[^:：\n]{1,40}?)\s*(?::(?:\s|$)|：)")
_SHOWN = 10


@dataclass
class Report:
    briefings: int = 0
    turns: int = 0
    unknown_labels: Counter = field(default_factory=Counter)
    unknown_examples: dict = field(default_factory=dict)
    no_questions: list[str] = field(default_factory=list)
    no_answers: list[str] = field(default_factory=list)
    alternation: list[tuple[str, int, str]] = field(default_factory=list)
    incomplete: list[tuple[str, list[int]]] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    label_like: list[tuple[str, int, str]] = field(default_factory=list)
    unattributed: list[tuple[str, int]] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)
    undated: list[str] = field(default_factory=list)
    damaged: list[tuple[str, str]] = field(default_factory=list)  # (what, why): in the archive, unreadable
    # Bilingual pairs (over the archive only): how many, those where one version
    # lacks turns the other has, and turn links the aligner was unsure of.
    pairs: int = 0
    omissions: list[dict] = field(default_factory=list)
    unsure_links: list[dict] = field(default_factory=list)

    @property
    def problems(self) -> int:
        return (
            sum(self.unknown_labels.values())
            + len(self.alternation)
            + len(self.incomplete)
            + len(self.rejected)
            + len(self.label_like)
            + len(self.unattributed)
            + len(self.undated)
        )

    def to_dict(self) -> dict:
        return {
            "briefings": self.briefings,
            "turns": self.turns,
            "unknown_labels": [
                {"label": label, "count": n, "example": self.unknown_examples[label]}
                for label, n in self.unknown_labels.most_common()
            ],
            "unattributed_turns": [{"id": i, "seq": s} for i, s in self.unattributed],
            "no_questions": self.no_questions,
            "no_answers": self.no_answers,
            "alternation_breaks": [{"id": i, "seq": s, "reason": r} for i, s, r in self.alternation],
            "incomplete": [{"id": i, "missing_pages": m} for i, m in self.incomplete],
            "undated": self.undated,
            "rejected": [{"path": p, "reason": r} for p, r in self.rejected],
            "label_like_paragraphs": [{"id": i, "seq": s, "start": t} for i, s, t in self.label_like],
            "changed": self.changed,
            "damaged": [{"id": i, "reason": r} for i, r in self.damaged],
            "pairs": self.pairs,
            "pairs_with_omissions": self.omissions,
            "unsure_links": self.unsure_links,
        }

    def lines(self, shown: int = _SHOWN) -> list[str]:
        """The report as short lines: a count per check, then the first few cases."""
        out = [f"{self.briefings} briefings, {self.turns} turns"]

        def section(title: str, items: list[str]) -> None:
            out.append(f"{title}: {len(items)}")
            out.extend(f"  {item}" for item in items[:shown])
            if len(items) > shown:
                out.append(f"  ... and {len(items) - shown} more (--json for all)")

        section(
            "unknown speaker labels",
            [
                f"{n} × {label!r} (e.g. {self.unknown_examples[label]})"
                for label, n in self.unknown_labels.most_common()
            ],
        )
        section("turns with no speaker", [f"{i}#{s}" for i, s in self.unattributed])
        section("briefings with no questions", self.no_questions)
        section("briefings with no answers", self.no_answers)
        section("question/answer breaks", [f"{i}#{s}: {r}" for i, s, r in self.alternation])
        section(
            "incomplete transcripts",
            [f"{i}: page(s) {', '.join(map(str, m))} missing" for i, m in self.incomplete],
        )
        section("briefings with no date of their own", self.undated)
        section("rejected pages", [f"{p}: {r}" for p, r in self.rejected])
        section("paragraphs that begin like a label", [f"{i}#{s}: {t!r}" for i, s, t in self.label_like])
        section("changed when ingested again", [_describe(c) for c in self.changed])
        if self.damaged:  # only an archive damaged since it was written has any
            section("damaged in the archive, not read", [f"{i}: {r}" for i, r in self.damaged])
        if self.pairs:
            out.append(f"bilingual pairs: {self.pairs}")
            section(
                "pairs where one version lacks turns the other has",
                [
                    f"{o['id']} / {o['counterpart']}: {len(o['only_here'])} turn(s) only in {o['id']}, "
                    f"{len(o['only_there'])} only in {o['counterpart']} (`briefings compare {o['id']}`)"
                    for o in self.omissions
                ],
            )
            section(
                "unsure turn links (score below 0.5)",
                [
                    f"{u['id']}#{u['seq']} -> {u['counterpart_id']}#{','.join(map(str, u['counterpart']))}: {u['score']:.2f}"
                    for u in self.unsure_links
                ],
            )
        return out


def _describe(c: dict) -> str:
    """One line per change: where, what, and the words before and after."""

    def words(value):
        if value is None:
            return None
        data = json.loads(value)
        if isinstance(data, dict):
            return f"{data['speaker'] or 'nobody'} ({data['kind']}): {data['text'][:60]!r}"
        return repr(data)

    where = f"{c['id']}#{c['seq']}" if c["seq"] is not None else f"{c['id']} {c['field']}"
    if c["change"] == "added":
        return f"{where} added: {words(c['new'])}"
    if c["change"] == "removed":
        return f"{where} removed: {words(c['old'])}"
    return f"{where} changed: {words(c['old'])} -> {words(c['new'])}"


def _label_like(label: str, ctx: Context) -> bool:
    """Would a reader take this for a speaker label? Chinese text only by the labels the pages use."""
    if label.casefold() in GENERIC_LABELS or known_label(label, ctx):
        return True
    if HAN_CHAR.search(label):
        return zh_label_shaped(label) or _ends_in_a_name(label, ctx)
    return looks_like_name(label) or bool(
        re.match(r"(?i)(?:the\s+)?(?:journalist|reporter|moderator|chairperson)\b", label)
    )


def _ends_in_a_name(label: str, ctx: Context) -> bool:
    """A Chinese label naming someone under an office ("商务部部长助理高志远"): it ends in the name
    of one of the briefing's people, or of a person the archive knows."""
    tails = (label[-k:] for k in (2, 3, 4) if len(label) > k)
    return any(ctx.roster.exact(tail) or ctx.entities.person(tail) for tail in tails)


def add_briefing(report: Report, b: dict, entities: Entities) -> None:
    report.briefings += 1
    report.turns += len(b["turns"])
    people = [Participant(p["name"], p.get("role"), p["kind"]) for p in b["participants"]]
    spokesperson = next((p for p in people if p.kind == "spokesperson"), None)
    # Chinese labels may print a roster entry whole, office and name ("国家发展改革委副主任周海川").
    ctx = Context(entities=entities, roster=label_roster(people), default=spokesperson, date=b.get("date"))
    if not b.get("date"):
        report.undated.append(b["id"])
    kinds = Counter(t["kind"] for t in b["turns"])
    has_qa = kinds["question"] or kinds["answer"]
    if has_qa and not kinds["question"]:
        report.no_questions.append(b["id"])
    if kinds["question"] and not kinds["answer"]:
        report.no_answers.append(b["id"])
    if not has_qa and len(b["turns"]) > 3:
        report.no_questions.append(b["id"])
    if b.get("missing_pages"):
        report.incomplete.append((b["id"], list(b["missing_pages"])))
    previous = None
    for t in b["turns"]:
        ref = f"{b['id']}#{t['seq']}"
        label = t.get("label")
        if label and not known_label(label, ctx):
            report.unknown_labels[label] += 1
            report.unknown_examples.setdefault(label, ref)
        if t["speaker"] is None:
            report.unattributed.append((b["id"], t["seq"]))
        if t["kind"] == "answer" and t.get("answers") is None:
            report.alternation.append((b["id"], t["seq"], "an answer with no question before it"))
        if (
            t["kind"] == "question"
            and previous is not None
            and previous["kind"] == "question"
            and not is_follow_up(t.get("label"))
        ):
            report.alternation.append((b["id"], t["seq"], "a question right after an unanswered question"))
        for para in t["text"].split("\n\n"):
            m = _LABEL_START.match(para)
            if m and _label_like(m.group("label").strip(), ctx) and not is_reported_question(para):
                report.label_like.append((b["id"], t["seq"], para[:50]))
        if t["kind"] != "moderator":
            previous = t


def from_archive(db, entities: Entities) -> Report:
    from .query import changes, get_briefing, pairs_report, rejects
    from .store import ArchiveError, damaged_briefing

    report = Report()
    for raw_id in [r[0] for r in db.execute("SELECT CAST(id AS BLOB) FROM briefings ORDER BY date, id")]:
        # A briefing that cannot be read back is reported, and the rest are still judged.
        try:
            bid = raw_id.decode("utf-8")
        except UnicodeDecodeError as exc:
            report.damaged.append((repr(raw_id), str(damaged_briefing(repr(raw_id), exc))))
            continue
        try:
            b = get_briefing(db, bid)
            if b is not None:  # None when it was removed while the report ran
                add_briefing(report, b, entities)
        except ArchiveError as exc:
            report.damaged.append((bid, str(exc)))
    for name, read, into in (("rejected pages", rejects, "rejected"), ("change records", changes, "changed")):
        try:
            setattr(report, into, read(db))
        except UnicodeDecodeError as exc:
            report.damaged.append(
                (
                    name,
                    f"the archive's {name} hold text that is not UTF-8 ({exc}); "
                    "`briefings check` names the rows",
                )
            )
    pairs = pairs_report(db)
    report.pairs, report.omissions, report.unsure_links = (
        pairs["pairs"],
        pairs["with_omissions"],
        pairs["unsure"],
    )
    return report


def from_pages(paths, entities: Entities, source: str | None = None) -> Report:
    from .ingest import parse_paths
    from .models import Rejected

    report = Report()
    for group, result in parse_paths(paths, entities, source):
        if isinstance(result, Rejected):
            if not result.skip:
                report.rejected.append((result.path or group.pages[0][1].path, result.reason))
        else:
            add_briefing(report, result.to_dict(), entities)
    return report
