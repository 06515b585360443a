"""Paths as the archive meets them: shown in messages, checked before they are
read or written, and files written whole or not at all.

Below everything else (it imports nothing of the package): the raw store, ingest
and the command line's `-o` all ask here what a path is.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path


class Refused(Exception):
    """A file was not written, and why, in one line; what was there is as it was."""


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


def broken_link(path) -> tuple[str, str] | None:
    """("loop" or "dangling", where it leads) for a symbolic link that leads to no file; else None."""
    if not os.path.islink(path) or os.path.exists(path):
        return None
    target = os.readlink(path)
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "loop", target
    return "dangling", target


def file_kind(mode: int, other: str = "not a regular file") -> str:
    """What a path that is not a regular file is, in words, from its st_mode."""
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return other


def not_a_page(path: Path) -> str | None:
    """Why a path from the command line or a folder walk cannot be read as a page, if it cannot."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        link = broken_link(path)
        if link and link[0] == "loop":
            return f"cannot read: a loop of symbolic links ({link[1]})"
        if link:
            return f"cannot read: a symbolic link to {link[1]}, which does not exist"
        return f"cannot read: {exc.strerror or exc}"
    if stat.S_ISREG(mode):
        return None
    return f"not a regular file but {file_kind(mode, 'not a file')}; not read"


def not_a_regular_file(path) -> str | None:
    """Why an export may not go to this path, if something other than a file or a
    symbolic link is there. Renamed onto, a device (even /dev/null, as root), a named
    pipe or a socket would be replaced by a regular file; written through, a pipe
    would block and a device take what it should not. Neither is what was asked."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None  # nothing there (or nothing we may see): the write says what is wrong
    if stat.S_ISREG(mode) or stat.S_ISLNK(mode):
        return None
    kind = file_kind(mode)
    return (
        f"{shown(path)} is {kind}: -o writes regular files only, and nothing was changed "
        "(use -o - or leave -o out for standard output)"
    )


def write_new_file(path: Path, text: str, force: bool) -> None:
    """Write exactly this path, whole or not at all; refuse to replace a file unless forced."""
    with new_file(path, force) as fh:
        fh.write(text)


def _exists(path: Path) -> Refused:
    return Refused(f"{shown(path)} exists; use --force to overwrite it")


@contextlib.contextmanager
def new_file(path: Path, force: bool):
    """A file to write that appears at exactly this path whole, or not at all.

    The text goes to a hidden temporary file in the same folder, synced, and
    is then renamed onto the path: a full disk or a kill part way leaves the
    old file (or none) under the name, never part of the new one, and the
    temporary file is removed on any error. Without `force` nothing is
    replaced: the file is given its name by a hard link, which fails if the
    name is taken. A symbolic link at the path is replaced itself (with
    `force`), never written through."""
    not_file = not_a_regular_file(path)
    if not_file:
        raise Refused(not_file)
    if os.path.lexists(path) and not force:
        if path.is_symlink() and not path.exists():
            raise Refused(
                f"{shown(path)} is a symbolic link to {shown(os.readlink(path))}, which does "
                "not exist; use --force to replace the link, or give another name"
            )
        raise _exists(path)
    import tempfile  # here, not at the top: only a file written whole needs it, and start-up would pay

    folder = path.parent
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".part")
    except OSError as exc:
        reason = (
            f"its folder {shown(folder)} does not exist" if not folder.is_dir() else exc.strerror or str(exc)
        )
        raise Refused(f"cannot write {shown(path)}: {reason}") from None
    replaced = os.path.lexists(path)
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.fchmod(fd, 0o666 & ~mask)  # mkstemp's file is private; an export is an ordinary file
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if force:
            not_file = not_a_regular_file(path)  # made while the export was written
            if not_file:
                raise Refused(not_file)
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise _exists(path) from None
            except OSError:  # a file system without hard links
                if os.path.lexists(path):
                    raise _exists(path) from None
                os.rename(tmp, path)
    except OSError as exc:
        kept = "the file there is as it was" if replaced else "nothing was written there"
        raise Refused(f"cannot write {shown(path)}: {exc.strerror or exc}; {kept}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
