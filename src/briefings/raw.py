"""The raw store on disk: page bodies exactly as received, plus where they came from.

Layout, shared by `fetch` (which writes it) and `ingest` (which reads it):

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

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from .models import RawPage

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


def shown(path) -> str:
    """A path as messages and the archive print it: as it is when its name is text, else
    the repr of its bytes (b'raw/\\xff.html'), which any terminal shows and which says
    what the bytes are. A name that is not UTF-8 reaches Python as lone surrogates,
    which neither SQLite nor an output stream takes."""
    text = os.fspath(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return repr(os.fsencode(text))
    return text


NOT_UTF8_NAME = "its name is not UTF-8; rename it to ingest it (the archive records each page by its path)"


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
