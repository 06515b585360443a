"""What the Chinese pages of the SCIO and customs sites share: their roster and who it names.

A Chinese roster prints the office before the name, as one entry a line or
several to a line ("发布人：商务部副部长　高志远；商务部对外贸易司司长　林秋萍"), and
turn labels print the bare name ("高志远："). The roster is kept as printed;
a name the entities file knows is shown under its canonical name.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..models import Participant, Turn
from ..people import Entities, Roster
from ..text import clean_line

# Header keys of a Chinese roster, and what each names.
ROSTER_KEY = re.compile(
    r"^(?P<key>发布人员?|发布嘉宾|嘉宾|访谈嘉宾|出席人员?|主持人|主持|时间|访谈时间|日期|地点|主题|访谈主题)"
    r"\s*[:：]\s*(?P<value>.*)$"
)
ROSTER_KINDS = {
    "发布人": "official",
    "发布人员": "official",
    "发布嘉宾": "official",
    "嘉宾": "official",
    "访谈嘉宾": "official",
    "出席人": "official",
    "出席人员": "official",
    "主持人": "chair",
    "主持": "chair",
    "时间": "date",
    "访谈时间": "date",
    "日期": "date",
    "地点": "skip",
    "主题": "skip",
    "访谈主题": "skip",
}
_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,5}$")
_SPACES = re.compile(r"[\s\u3000\u00a0\u2002]+")


def entry(value: str, kind: str) -> Participant | None:
    """ "商务部副部长　高志远" (or "高志远　商务部副部长") -> 高志远, role 商务部副部长; None if no name stands apart."""
    value = clean_line(value).strip("；; ")
    parts = [p for p in _SPACES.split(value) if p]
    if len(parts) == 1 and _NAME.match(parts[0]) and len(parts[0]) <= 4:
        return Participant(name=parts[0], role=None, kind=kind, label=parts[0])
    if len(parts) < 2:
        return None
    if _NAME.match(parts[-1]) and len(parts[-1]) <= 4:
        name, role = parts[-1], " ".join(parts[:-1])
    elif _NAME.match(parts[0]) and len(parts[0]) <= 4:
        name, role = parts[0], " ".join(parts[1:])
    else:
        return None
    return Participant(name=name, role=role, kind=kind, label=name)


def entries(value: str, kind: str) -> list[Participant]:
    """The entries on a roster key's own line, split at "；"."""
    found = [entry(part, kind) for part in re.split(r"\s*[；;]\s*", value) if part.strip()]
    return [p for p in found if p is not None]


def label_roster(participants: list[Participant]) -> Roster:
    """The roster turn labels are matched against: each name as printed, and its office and name
    together ("商务部副部长高志远：", the form a first label sometimes takes)."""
    forms = list(participants)
    forms += [replace(p, name=f"{p.role}{p.name}") for p in participants if p.role]
    return Roster(forms)


def canonical(
    participants: list[Participant], turns: list[Turn], entities: Entities
) -> tuple[list[Participant], list[Turn]]:
    """Participants and turns under the names the archive knows them by (寿小丽 -> Shou Xiaoli);
    a name it does not know stays as printed. Labels and roles stay as the page prints them."""
    names: dict[str, str] = {}
    for p in participants:
        known = entities.person(p.name)
        names[p.name] = known.name if known else p.name
        if p.role:
            names[f"{p.role}{p.name}"] = names[p.name]
    people = [replace(p, name=names[p.name]) for p in participants]
    return people, [replace(t, speaker=names.get(t.speaker or "", t.speaker)) for t in turns]
