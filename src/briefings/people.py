"""People and outlets: canonical names, aliases, and roles as of a date.

Labels are printed many ways ("Bloomberg News", "Bloomberg", "Hua chunying",
"Mr. Zhang"); the archive keeps the label as printed and resolves it here to
one canonical name, so that a search by speaker or outlet finds every turn.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

from .models import Participant

PACKAGED = Path(__file__).parent / "data" / "entities.json"  # installed beside the code

TITLES = re.compile(
    r"^(?:(?:Mr|Mrs|Ms|Miss|Madam|Mme|Dr|Prof|Professor|H\.E|Ambassador)\.?\s+)+", re.IGNORECASE
)


def strip_title(name: str) -> str:
    return TITLES.sub("", name.strip()).strip()


def name_key(name: str) -> str:
    """A comparison key: no titles, case, spaces, dots, hyphens or book-title marks
    (《环球时报》 is 环球时报, as Global Times is The Global Times)."""
    return re.sub(r"[\s.\-'’·《》〈〉「」『』]", "", strip_title(name)).casefold()


# Where Chinese pages print an outlet's country or region before its name
# ("日本共同社", "英国《金融时报》", "香港中评社"): tried off when the whole name is unknown.
_ZH_PLACES = re.compile(
    r"^(?:中国香港|中国澳门|中国台湾|香港|澳门|台湾|美国|英国|日本|韩国|朝鲜|德国|法国|俄罗斯|加拿大|澳大利亚|新西兰|印度|"
    r"巴基斯坦|土耳其|西班牙|意大利|芬兰|瑞典|挪威|丹麦|荷兰|比利时|瑞士|奥地利|波兰|伊拉克|伊朗|以色列|埃及|卡塔尔|"
    r"阿联酋|沙特|新加坡|马来西亚|印度尼西亚|印尼|越南|泰国|菲律宾|孟加拉国|斯里兰卡|尼泊尔|哈萨克斯坦|蒙古|巴西|"
    r"阿根廷|墨西哥|古巴|南非|尼日利亚|肯尼亚)(?=.)"
)


@dataclass(frozen=True)
class Role:
    role: str
    start: str | None = None
    end: str | None = None

    def holds_on(self, date: str | None) -> bool:
        if date is None:
            return self.end is None
        return (self.start is None or self.start <= date) and (self.end is None or date <= self.end)


@dataclass
class Person:
    name: str
    aliases: list[str] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)

    def role_on(self, date: str | None) -> str | None:
        held = [r for r in self.roles if r.holds_on(date)]
        if held:
            return held[-1].role
        return None


class Entities:
    """The known people and outlets, from the packaged list plus a user file."""

    def __init__(self, data: list[dict]):
        self.people: dict[str, Person] = {}
        self._person_keys: dict[str, str] = {}
        self._outlet_keys: dict[str, str] = {}
        self._outlet_aliases: dict[str, list[str]] = {}
        self._data = data
        for doc in data:
            # A later file adds to an earlier one: more spellings, more roles (a later role wins
            # where two hold on the same day), never fewer.
            for p in doc.get("people", []):
                person = self.people.setdefault(p["name"], Person(name=p["name"]))
                person.aliases += [a for a in p.get("aliases", []) if a not in person.aliases]
                person.roles += [Role(r["role"], r.get("from"), r.get("to")) for r in p.get("roles", [])]
                for n in [person.name, *person.aliases]:
                    self._person_keys[name_key(n)] = person.name
            for o in doc.get("outlets", []):
                aliases = self._outlet_aliases.setdefault(o["name"], [])
                aliases += [a for a in o.get("aliases", []) if a not in aliases]
                for n in [o["name"], *aliases]:
                    self._outlet_keys[name_key(n)] = o["name"]

    @cached_property
    def digest(self) -> str:
        """What the lists say, as one value: a briefing parsed with other lists is parsed anew.

        Only ingest needs it, so a search does not pay for hashing the lists.
        """
        import hashlib

        return hashlib.sha256(json.dumps(self._data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    @classmethod
    def load(cls, extra: Path | None = None) -> Entities:
        docs = [_packaged()]
        if extra is not None and extra.is_file():
            try:
                doc = json.loads(extra.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ValueError(f"cannot read entities file {extra}: {exc}") from exc
            problem = shape_problem(doc)
            if problem:
                raise ValueError(f"{extra}: {problem}")
            docs.append(doc)
        return cls(docs)

    def outlet(self, label: str) -> str | None:
        key = name_key(label)
        hit = self._outlet_keys.get(key)
        if hit is None and _ZH_PLACES.match(key):
            hit = self._outlet_keys.get(_ZH_PLACES.sub("", key, count=1))
        return hit

    def person(self, label: str) -> Person | None:
        name = self._person_keys.get(name_key(label))
        return self.people.get(name) if name else None

    def aliases(self, name: str) -> list[str]:
        """Other spellings of a known person or outlet, as written in the entities file."""
        person = self.people.get(name)
        if person is not None:
            return list(person.aliases)
        return list(self._outlet_aliases.get(name, []))


_DAY = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")


def shape_problem(doc) -> str | None:
    """What keeps a hand-edited entities document from being the packaged list's shape, if anything.

    The README invites users to edit the file: a wrong shape must be named where it
    is (`people[3]: no "name"`), not surface later as a failure to resolve a label."""
    if not isinstance(doc, dict):
        return f'not a JSON object with "people" and "outlets" lists but {_kind(doc)}'
    for section in ("people", "outlets"):
        entries = doc.get(section, [])
        if not isinstance(entries, list):
            return f'"{section}" is {_kind(entries)}, not a list'
        for i, entry in enumerate(entries):
            where = f"{section}[{i}]"
            if not isinstance(entry, dict):
                return f"{where}: {_kind(entry)}, not an object"
            if "name" not in entry:
                return f'{where}: no "name"'
            if not _is_name(entry["name"]):
                return f'{where}: "name" is {_kind(entry["name"])}, not a name'
            aliases = entry.get("aliases", [])
            if not isinstance(aliases, list):
                return f'{where} ({entry["name"]}): "aliases" is {_kind(aliases)}, not a list'
            for j, alias in enumerate(aliases):
                if not _is_name(alias):
                    return f"{where} ({entry['name']}): aliases[{j}] is {_kind(alias)}, not a name"
            if section == "outlets":
                continue
            roles = entry.get("roles", [])
            if not isinstance(roles, list):
                return f'{where} ({entry["name"]}): "roles" is {_kind(roles)}, not a list'
            for j, role in enumerate(roles):
                at = f"{where} ({entry['name']}): roles[{j}]"
                if not isinstance(role, dict):
                    return f"{at}: {_kind(role)}, not an object"
                if not isinstance(role.get("role"), str) or not role["role"].strip():
                    return (
                        f'{at}: no "role"' if "role" not in role else f'{at}: "role" is {_kind(role["role"])}'
                    )
                for end in ("from", "to"):
                    value = role.get(end)
                    if value is not None and not (isinstance(value, str) and _DAY.fullmatch(value)):
                        return f'{at}: "{end}" is {_kind(value)}, not a date (YYYY-MM-DD)'
    return None


def _is_name(value) -> bool:
    """Text with a letter or digit in it, and text at all: a lone surrogate (JSON's "\\udcff") is not."""
    if not isinstance(value, str) or not name_key(value):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _kind(value) -> str:
    """A value as a message names it: short strings and numbers shown, the rest by their JSON type."""
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else "a long string"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return repr(value)
    return "a list" if isinstance(value, list) else "an object"


@lru_cache(maxsize=1)
def _packaged() -> dict:
    return json.loads(PACKAGED.read_text(encoding="utf-8"))


class Roster:
    """The briefing's own participants, matched against turn labels.

    A roster prints "Ms. Sun Meijun, minister of ..." and turns print
    "Sun Meijun:", "Ms. Sun:" or "Sun Mei jun:"; all are one person. A short
    form resolves only when exactly one participant fits, never by guessing.
    """

    def __init__(self, participants: list[Participant]):
        self.participants = list(participants)
        self._by_key: dict[str, Participant] = {}
        for p in self.participants:
            self._by_key.setdefault(name_key(p.name), p)  # the first listed, as a scan would find

    def exact(self, label: str) -> Participant | None:
        """The participant this label names in full (titles, case, spaces and dots aside)."""
        key = name_key(label)
        return self._by_key.get(key) if key else None

    def match(self, label: str) -> Participant | None:
        """The participant this label names, in full or by a surname only one of them has."""
        if not name_key(label):
            return None
        hit = self.exact(label)
        if hit is not None:
            return hit
        bare = strip_title(label)
        words = bare.split()
        if len(words) == 1 and words[0][:1].isupper():
            # A surname alone: first in Chinese names ("Mr. Zhang"), last in others ("Ms. Hart").
            surname = words[0].casefold()
            for at in (0, -1):
                hits = [p for p in self.participants if p.name.split()[at].casefold() == surname]
                if len(hits) == 1:
                    return hits[0]
                if hits:
                    return None  # two people fit: never guess
        return None
