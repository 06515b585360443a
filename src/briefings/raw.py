"""The raw store on disk: page bodies exactly as received, plus where they came from.

The one module that reads and writes it: `RawStore` writes what `fetch`
downloads; `iter_page_files` and `load_page` read it back for `ingest`.
Layout:

    <raw-dir>/<source>/<file>          body bytes as received
    <raw-dir>/<source>/manifest.jsonl  one JSON object per fetched page
    <file>.meta.json                   optional sidecar for a hand-placed page (url, source, id)
    .history/                          superseded versions; never ingested

A manifest line (the same keys as the recorded corpus, extended):
    file, url, final_url, status, headers, fetched_at, sha256, bytes,
    charset, source, what
Later lines for the same file win, so a refetch simply appends.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .decode import decode
from .models import RawPage

if TYPE_CHECKING:
    from .http import Response

MANIFEST = "manifest.jsonl"
SIDECAR_SUFFIX = ".meta.json"
PAGE_SUFFIXES = {".html", ".htm", ".shtml", ".txt", ".xhtml", ""}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_manifest(folder: Path, unreadable: list[int] | None = None) -> dict[str, dict]:
    """Manifest entries of a folder keyed by file name; later lines win.

    Lines that are not an entry (a torn line from an interrupted fetch, stray
    bytes) are skipped; their numbers go to `unreadable` when it is given.
    """
    return {entry["file"]: entry for entry in iter_manifest(folder, unreadable)}


def iter_manifest(folder: Path, unreadable: list[int] | None = None) -> Iterator[dict]:
    """The entries of a folder's manifest one at a time, in file order (a later
    entry for the same file replaces an earlier one): memory does not grow with it."""
    path = folder / MANIFEST
    if not path.is_file():
        return
    with path.open(encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                entry = None
            if isinstance(entry, dict) and entry.get("file") and isinstance(entry["file"], str):
                yield entry
            elif unreadable is not None:
                unreadable.append(number)


def append_manifest(folder: Path, entry: dict) -> None:
    """Append one entry; a single write of one line, flushed and synced.

    A run killed mid-write can leave a torn last line with no newline: the new
    entry then starts a line of its own, so that only the torn one is lost (and
    its page fetched again), never the entries after it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MANIFEST
    line = json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n"
    if path.exists() and path.stat().st_size:
        with path.open("rb") as fh:
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) != b"\n":
                line = "\n" + line
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def _is_page_file(path: Path) -> bool:
    name = path.name
    if name.startswith((".", "_")) or name == MANIFEST or name.endswith(SIDECAR_SUFFIX):
        return False
    return path.suffix.lower() in PAGE_SUFFIXES


def _unreadable_folder(exc: OSError) -> None:
    """os.walk skips a folder it cannot list; say so instead of losing its pages unseen."""
    raise exc


def iter_page_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files named, and page files under folders named, in a stable order."""
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for root, dirs, files in os.walk(p, onerror=_unreadable_folder):
                dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
                for name in sorted(files):
                    f = Path(root) / name
                    if _is_page_file(f):
                        yield f
        elif p.suffix.lower() != ".jsonl":  # a named .jsonl is an archive export: jsonl.py reads it
            yield p


def load_page(
    path: Path, manifests: dict[Path, dict[str, dict]] | None = None, limit: int | None = None
) -> RawPage:
    """Read one page (or its first `limit` bytes) with its manifest entry or sidecar.

    Raises OSError."""
    manifests = {} if manifests is None else manifests
    folder = path.parent
    if folder not in manifests:
        manifests[folder] = read_manifest(folder)
    meta = dict(manifests[folder].get(path.name, {}))
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if sidecar.is_file():
        try:
            meta.update(json.loads(sidecar.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise OSError(f"unreadable metadata file {sidecar}: {exc}") from exc
    if limit is None:
        body = path.read_bytes()
    else:
        with path.open("rb") as fh:
            body = fh.read(limit)
    return RawPage(
        path=str(path),
        body=body,
        url=meta.get("final_url") or meta.get("url"),
        source=meta.get("source"),
        headers=meta.get("headers") or {},
        charset=meta.get("charset"),
        transcript=meta.get("transcript"),
        page=meta.get("page") if isinstance(meta.get("page"), int) else None,
        given_id=meta.get("id"),
    )


def failed_pages(manifest: dict[str, dict]) -> dict[tuple[str | None, str], set[int]]:
    """Pages the fetcher could not get, by (source, transcript URL): they make a briefing incomplete."""
    out: dict[tuple[str | None, str], set[int]] = {}
    for entry in manifest.values():
        if (
            entry.get("error")
            and not entry.get("sha256")
            and entry.get("transcript")
            and isinstance(entry.get("page"), int)
        ):
            out.setdefault((entry.get("source"), entry["transcript"]), set()).add(entry["page"])
    return out


# -- writing the store (the fetcher's side) ----------------------------------


def _stamp(epoch: float | None) -> str:
    when = datetime.fromtimestamp(epoch or 0, tz=UTC)
    return when.strftime("%Y%m%dT%H%M%SZ")


def _sweep_stale_temp_files(folder: Path) -> None:
    """Remove `.tmp-<pid>-<name>` bodies left by a fetch that was killed mid-write.

    A temp file belongs to a running fetch only while its process lives; one of
    another live process (a second fetch into the same store) is left alone.
    """
    if not folder.is_dir():
        return
    for path in folder.glob(".tmp-*-*"):
        pid = path.name.split("-", 2)[1]
        if not pid.isdigit():
            continue
        if int(pid) != os.getpid() and _process_alive(int(pid)):
            continue
        with contextlib.suppress(OSError):
            path.unlink()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # someone else's process, or a number we cannot ask about: leave its file be
    return True


class RawStore:
    """Writes `<raw-dir>/<source>/` in the layout `raw.py` reads."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._entries: dict[str, dict[str, dict]] = {}
        self._by_url: dict[str, dict[str, str]] = {}

    def folder(self, source: str) -> Path:
        return self.root / source

    def entries(self, source: str) -> dict[str, dict]:
        if source not in self._entries:
            _sweep_stale_temp_files(self.folder(source))
            self._entries[source] = read_manifest(self.folder(source))
            self._by_url[source] = {e["url"]: n for n, e in self._entries[source].items() if e.get("url")}
        return self._entries[source]

    def _remember(self, source: str, name: str, entry: dict) -> None:
        self.entries(source)[name] = entry
        self._by_url[source][entry["url"]] = name

    def lookup(self, source: str, url: str) -> tuple[str, dict] | None:
        """The latest manifest entry for a URL, and its file name."""
        entries = self.entries(source)
        name = self._by_url[source].get(url)
        if name is None or entries.get(name, {}).get("url") != url:
            return None
        return name, entries[name]

    def stored(self, source: str, url: str) -> tuple[str, dict] | None:
        """The entry of a URL whose file is on disk and matches its recorded hash."""
        found = self.lookup(source, url)
        if not found:
            return None
        name, entry = found
        path = self.folder(source) / name
        if not entry.get("sha256") or not path.is_file():
            return None
        if path.stat().st_size != entry.get("bytes") or sha256(path.read_bytes()) != entry["sha256"]:
            return None
        return found

    def file_for(self, source: str, url: str) -> str:
        """A file name that keeps the URL's last segment and is unique in the folder."""
        found = self.lookup(source, url)
        if found:
            return found[0]
        path = urlsplit(url).path
        name = path.rstrip("/").rsplit("/", 1)[-1] or "index.html"
        name = re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip("._") or "index.html"
        if "." not in name:
            name += ".html"
        taken = self.entries(source)
        folder = self.folder(source)
        if name in taken or (folder / (name + SIDECAR_SUFFIX)).exists() or name == MANIFEST:
            stem, _, ext = name.rpartition(".")
            name = f"{stem}--{sha256(url.encode())[:8]}.{ext}"
        return name

    def save(
        self, source: str, url: str, resp: Response, *, fetched_at: float, extra: dict
    ) -> tuple[dict, bool]:
        """Store a body atomically, then record it. Returns (entry, replaced an older version)."""
        folder = self.folder(source)
        folder.mkdir(parents=True, exist_ok=True)
        name = self.file_for(source, url)
        _, charset = decode(resp.body, resp.headers)
        entry = {
            "file": name,
            "url": url,
            "final_url": resp.final_url,
            "status": resp.status,
            "headers": resp.headers,
            "fetched_at": fetched_at,
            "sha256": sha256(resp.body),
            "bytes": len(resp.body),
            "charset": charset,
            "source": source,
            **extra,
        }
        tmp = folder / f".tmp-{os.getpid()}-{name}"
        with tmp.open("wb") as fh:
            fh.write(resp.body)
            fh.flush()
            os.fsync(fh.fileno())
        target = folder / name
        old = self.entries(source).get(name)
        replaced = False
        if target.is_file() and old and old.get("sha256") and old["sha256"] != entry["sha256"]:
            self._keep_history(folder, name, old)
            replaced = True
        os.replace(tmp, target)
        append_manifest(folder, entry)
        self._remember(source, name, entry)
        return entry, replaced

    def touch(self, source: str, name: str, old: dict, resp: Response, fetched_at: float) -> None:
        """Same bytes, new validators: record them so the next refresh can use them."""
        entry = dict(old, headers=resp.headers, fetched_at=fetched_at, final_url=resp.final_url)
        append_manifest(self.folder(source), entry)
        self._remember(source, name, entry)

    def record_failure(
        self, source: str, url: str, *, status: int | None, error: str, fetched_at: float, extra: dict
    ) -> dict:
        """An entry with status and error and no file: ingest reads it as a missing page."""
        folder = self.folder(source)
        name = self.file_for(source, url)
        entry = {
            "file": name,
            "url": url,
            "status": status,
            "error": error,
            "fetched_at": fetched_at,
            "source": source,
            **extra,
        }
        append_manifest(folder, entry)
        self._remember(source, name, entry)
        return entry

    def retire_beyond(self, source: str, transcript: str, total: int, fetched_at: float) -> list[str]:
        """Move a transcript's stored pages past its last page into .history/.

        When a site re-paginates a transcript into fewer pages, the old last
        pages would otherwise be read again after the new ones.
        """
        folder = self.folder(source)
        retired = []
        for name, entry in list(self.entries(source).items()):
            page = entry.get("page")
            if (
                entry.get("transcript") == transcript
                and isinstance(page, int)
                and page > total
                and entry.get("sha256")
                and (folder / name).is_file()
            ):
                self._keep_history(folder, name, entry)
                note = {k: v for k, v in entry.items() if k not in ("sha256", "bytes", "charset")}
                note.update(retired=f"the transcript has {total} page(s) now", fetched_at=fetched_at)
                append_manifest(folder, note)
                self._remember(source, name, note)
                retired.append(name)
        return retired

    def _keep_history(self, folder: Path, name: str, old: dict) -> None:
        """Move a superseded version into .history/ under a name no other version has.

        The name carries the version's fetch time and hash; two versions fetched
        within one second, or the same bytes superseded twice, get a counter, so
        no kept version is ever overwritten.
        """
        history = folder / ".history"
        history.mkdir(exist_ok=True)
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        base = f"{stem}.{_stamp(old.get('fetched_at'))}.{(old.get('sha256') or 'unknown')[:8]}"
        kept, n = f"{base}{dot}{ext}", 1
        recorded = read_manifest(history)
        while (history / kept).exists() or kept in recorded:
            n += 1
            kept = f"{base}-{n}{dot}{ext}"
        shutil.move(str(folder / name), str(history / kept))
        append_manifest(history, dict(old, file=kept))

    def read_text(self, source: str, name: str, entry: dict) -> str:
        body = (self.folder(source) / name).read_bytes()
        return decode(body, entry.get("headers"), entry.get("charset"))[0]
