"""What the fetcher remembers about each host between runs, kept in the raw store.

Politeness that stopped at the process let a shell loop of `briefings fetch`
hit a host every fraction of a second and ask for robots.txt each time. The
time of the last request to each host and the robots.txt last read from it
live in `<raw-dir>/.hosts.json`, so the next command waits its turn and reuses
the rules for as long as RFC 9309 allows (24 hours).

Only answers that settle the rules are kept: a robots.txt body (2xx) or "no
rules" (4xx). A server error or no answer is asked about again next time. The
file is advisory: one that cannot be read or written is worked without, and
never stops a fetch.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from pathlib import Path

HOSTS_FILE = ".hosts.json"
ROBOTS_TTL = 24 * 3600.0  # RFC 9309, section 2.4: a cached robots.txt is good for 24 hours at most


class HostMemory:
    """Last request times (wall clock, epoch seconds) and robots.txt answers, per host."""

    def __init__(self, folder: str | Path):
        self.path = Path(folder) / HOSTS_FILE

    def last_request(self, host: str) -> float | None:
        value = self._read().get(host, {}).get("last")
        return float(value) if isinstance(value, (int, float)) else None

    def robots(self, host: str, now: float) -> tuple[int, str] | None:
        """(status, body) of the robots.txt read from host within the last 24 hours, else None."""
        kept = self._read().get(host, {}).get("robots")
        if not isinstance(kept, dict):
            return None
        at, status, text = kept.get("fetched_at"), kept.get("status"), kept.get("text")
        if not isinstance(at, (int, float)) or not isinstance(status, int) or not isinstance(text, str):
            return None
        if not 0 <= now - at < ROBOTS_TTL:
            return None  # too old, or read "in the future" by a clock that has since been set back
        return status, text

    def booked(self, host: str, when: float) -> None:
        self._update(host, "last", when)

    def keep_robots(self, host: str, status: int, text: str, when: float) -> None:
        self._update(host, "robots", {"fetched_at": when, "status": status, "text": text})

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _update(self, host: str, key: str, value) -> None:
        """Read, change and replace the file under a lock, so two fetches running at once both count."""
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path.with_name(HOSTS_FILE + ".lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                data = self._read()
                entry = data.get(host)
                if not isinstance(entry, dict):
                    entry = data[host] = {}
                entry[key] = value
                temp = self.path.with_name(f".tmp-{os.getpid()}-{HOSTS_FILE}")
                temp.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), encoding="utf-8")
                os.replace(temp, self.path)
