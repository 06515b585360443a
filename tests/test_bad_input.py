"""Bad command-line input: one clear line, a non-zero exit, no traceback, nothing changed.

test_cli.py covers the first case of several of these (an unknown id for
`show`, one impossible date, one empty query, one FTS syntax error, a text
file as --db); these are the rest. Permission tests need a user the kernel
holds to permissions: as root they run the command as `nobody` (setpriv), and
a read-only archive is made immutable (chattr +i), which binds root too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefings.cli import cli
from briefings.sqlite import sqlite3
from briefings.store import Archive
from conftest import FIXTURES, ROOT
from helpers import dump

SEEDS = ROOT / "data" / "raw" / "seeds"
ROOT_USER = os.geteuid() == 0


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def one_error_line(result, code: int = 1) -> str:
    """The result failed with exactly one `Error:` line and no traceback; return that line."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    assert result.stderr == errors[0] + "\n"
    return errors[0]


@pytest.fixture
def seeded(db_path):
    assert run("ingest", SEEDS, "--db", db_path).exit_code == 0
    return db_path


# -- ids, dates, queries ---------------------------------------------------------


def test_since_after_until_is_a_usage_error_everywhere(seeded):
    for command in (["list"], ["search", "customs"]):
        line = one_error_line(
            run(*command, "--since", "2020-06", "--until", "2019-01", "--db", seeded), code=2
        )
        assert "is after" in line and "nothing can match" in line


@pytest.mark.parametrize(
    "args",
    [
        ["export", "nope-1"],
        ["export", "nope-1", "--format", "json"],
        ["export", "nope-1", "--format", "jsonl"],
        ["show", "nope-1", "--json"],
    ],
)
def test_unknown_id(seeded, args, tmp_path):
    out = tmp_path / "out.md"
    result = run(*args, "-o", out, "--db", seeded) if args[0] == "export" else run(*args, "--db", seeded)
    line = one_error_line(result)
    assert line.startswith("Error: no briefing with id 'nope-1'")
    assert not out.exists()


@pytest.mark.parametrize(
    "value",
    [
        "2025-13",
        "2025-02-29",
        "2023-02-29",
        "2025-04-31",
        "2025-00",
        "yesterday",
        "",
        "99999",
        "2025/01/01",
        "2025-01-01T00:00",
    ],
)
@pytest.mark.parametrize("command", [["list", "--since"], ["search", "customs", "--until"]])
def test_impossible_dates(seeded, command, value):
    line = one_error_line(run(*command, value, "--db", seeded), code=2)
    assert f"'{value}' is not a" in line


@pytest.mark.parametrize("query", ["", "   ", "...", '""', "* ^ ,", "\t\n"])
def test_empty_queries(seeded, query):
    line = one_error_line(run("search", query, "--db", seeded), code=2)
    assert "empty query" in line


def test_empty_raw_query(seeded):
    assert "empty query" in one_error_line(run("search", "  ", "--raw", "--db", seeded), code=2)


@pytest.mark.parametrize(
    "query",
    ['"unbalanced', "NEAR(", "*", "a AND", "a NOT", "nope:x", "^", "(a OR", "a:b:c", "NEAR(a b, -1)", "AND"],
)
def test_fts_syntax_errors(seeded, query):
    line = one_error_line(run("search", query, "--raw", "--db", seeded), code=2)
    assert line.startswith(f"Error: cannot understand the query {query!r}")


@pytest.mark.parametrize(
    "query",
    ['"unbalanced', "NEAR(", "*", "a AND", "nope:x", "^x", "x -y", "AND OR NOT", "{text}: x", "'", "\\"],
)
def test_the_same_text_without_raw_is_just_words(seeded, query):
    result = run("search", query, "--json", "--db", seeded)
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert "empty query" in one_error_line(result, code=2)
    else:
        assert isinstance(json.loads(result.stdout), list)


# -- files that are not archives -------------------------------------------------


@pytest.mark.parametrize("content", [b"\x00\xff" * 5000, b"SQLite format 3\x00" + b"\x00" * 100, b"x"])
@pytest.mark.parametrize("command", [["list"], ["check"], ["ingest", SEEDS], ["export", "--all"]])
def test_not_an_archive(tmp_path, content, command):
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(content)
    line = one_error_line(run(*command, "--db", bogus))
    assert line.startswith(f"Error: {bogus} is ")
    assert "not a briefings archive" in line or "damaged" in line
    assert bogus.read_bytes() == content


@pytest.mark.parametrize("kind", ["no bytes", "no tables"])
@pytest.mark.parametrize(
    "command", [["list"], ["check"], ["export", "--all"], ["show", "x"], ["search", "x"]]
)
def test_an_empty_file_is_an_archive_not_built_yet(tmp_path, kind, command):
    """What a kill during the first ingest could leave, or a file made by hand: reads say to run ingest."""
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    if kind == "no tables":
        sqlite3.connect(empty).execute("PRAGMA user_version = 0").fetchall()
        sqlite3.connect(empty).execute("VACUUM")
    before = empty.read_bytes()
    assert one_error_line(run(*command, "--db", empty)) == (
        f"Error: {empty} is an empty archive, not built yet; build it with `briefings ingest PATH --db {empty}`"
    )
    assert empty.read_bytes() == before
    assert run("ingest", SEEDS, "--db", empty).exit_code == 0
    assert run(*command, "--db", empty).exit_code in (0, 1)  # built: x is simply not found


@pytest.mark.parametrize("command", [["list"], ["ingest", SEEDS]])
def test_a_truncated_archive(seeded, tmp_path, command):
    sqlite3.connect(seeded).execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    cut = tmp_path / "cut.db"
    cut.write_bytes(seeded.read_bytes()[: 3 * 4096])
    before = cut.read_bytes()
    line = one_error_line(run(*command, "--db", cut))
    assert line.startswith(
        f"Error: {cut} is damaged (database disk image is malformed); restore it from a backup"
    )
    assert cut.read_bytes() == before


def test_db_is_a_directory(tmp_path):
    line = one_error_line(run("list", "--db", tmp_path), code=2)
    assert "is a directory" in line


def test_db_under_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    line = one_error_line(run("ingest", SEEDS, "--db", tmp_path / "file" / "archive.db"))
    assert line.startswith(f"Error: cannot open archive {tmp_path / 'file' / 'archive.db'}")


# -- permissions -----------------------------------------------------------------


OTHER_UID = 65534  # nobody
AS_OTHER = ["setpriv", f"--reuid={OTHER_UID}", f"--regid={OTHER_UID}", "--clear-groups"] if ROOT_USER else []

# What a `briefings` process imports, to be copied where the other user can read it.
_IMPORTS = (
    "briefings.cli",
    "briefings.ingest",
    "briefings.check",
    "briefings.jsonl",
    "briefings.quality",
    "briefings.sources",
    "sqlite_utils",
    "rich.progress",
    "dateutil.parser",
)


def _link_or_copy(src, dst):
    try:
        os.link(src, dst)  # reachable by its new path alone; free on the same file system
    except OSError:
        shutil.copy2(src, dst)
    os.chmod(dst, 0o755 if os.access(src, os.X_OK) else 0o644)


def _copy_tree(src: Path, dst: Path) -> None:
    if src.is_dir():
        shutil.copytree(src, dst, copy_function=_link_or_copy, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        _link_or_copy(src, dst)


@pytest.fixture(scope="session")
def other_user_cli(tmp_path_factory):
    """argv and environment that run the real CLI as the other user, or a skip saying why not.

    The checkout, its .venv and the interpreter may all sit in folders the other
    user cannot enter (a clone in `mktemp -d`, a Python under /root): what the
    process needs is set up in a world-readable folder instead. That is the
    package and every library it imports outside the standard library, copied
    (hard links where they can be), with their shared objects (*.libs); and an
    interpreter of this Python's version that the other user can run, with its
    standard library."""
    if ROOT_USER and not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: permissions cannot be tested")
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys\n"
            f"for name in {_IMPORTS!r}: __import__(name)\n"
            "print(json.dumps(sorted({(m.split('.')[0], getattr(v, '__file__', None) or '') for m, v in "
            "list(sys.modules.items())})))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    stdlib = {Path(p).resolve() for p in (sysconfig_path("stdlib"), sysconfig_path("platstdlib"))}
    lib = Path(tempfile.mkdtemp(prefix="briefings-lib-"))
    lib.chmod(0o755)
    copied: set[str] = set()
    for top, file in json.loads(found.stdout):
        if not file or top in copied or top == "_distutils_hack":
            continue
        path = Path(file).resolve()
        if any(path.is_relative_to(d) and "site-packages" not in path.parts for d in stdlib):
            continue  # the standard library: the interpreter's own
        root = path.parent if path.name.startswith("__init__.") else path
        while (
            root.name != top and root.stem.split(".")[0] != top and root != root.parent
        ):  # up to the top package
            root = root.parent
        _copy_tree(root, lib / root.name)
        for libs in root.parent.glob("*.libs"):  # the shared objects that compiled modules load
            if not (lib / libs.name).exists():
                _copy_tree(libs, lib / libs.name)
        copied.add(top)
    env = {
        **os.environ,
        "PYTHONPATH": str(lib),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "COLUMNS": "120",
        "NO_COLOR": "1",
    }
    tried = []
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [
        sys.executable,
        os.path.realpath(sys.executable),
        getattr(sys, "_base_executable", None),
        shutil.which(f"python{version}"),
        shutil.which("python3"),
    ]
    for python in dict.fromkeys(c for c in candidates if c):
        probe = subprocess.run(
            [
                *AS_OTHER,
                python,
                "-c",
                "import sys, briefings.cli, sqlite_utils, lxml.etree\n"
                f"assert '%d.%d' % sys.version_info[:2] == {version!r}, sys.version",
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=lib,
            timeout=120,
        )
        if probe.returncode == 0:
            yield [*AS_OTHER, python, "-c", "from briefings.cli import main; main()"], env
            break
        tried.append(
            f"{python}: {(probe.stderr.strip().splitlines() or ['exit ' + str(probe.returncode)])[-1]}"
        )
    else:
        shutil.rmtree(lib)
        pytest.skip(
            f"no Python {version} that uid {OTHER_UID} can run with the copied libraries in {lib}: "
            + "; ".join(tried)
        )
    shutil.rmtree(lib)


def sysconfig_path(name: str) -> str:
    import sysconfig

    return sysconfig.get_paths()[name]


@pytest.fixture
def other_user(other_user_cli):
    """(run, folder, seed): run the real CLI as a user that permissions bind, in a folder it can use."""
    argv, env = other_user_cli
    folder = Path(tempfile.mkdtemp(prefix="briefings-perm-"))
    folder.chmod(0o777)

    def run_as(*args):
        return subprocess.run(
            [*argv, *map(str, args)], capture_output=True, text=True, env=env, cwd=folder, timeout=120
        )

    def seed(path):
        done = run_as("ingest", path / "raw", "--db", path / "archive.db")
        assert done.returncode == 0, done.stderr

    shutil.copytree(SEEDS, folder / "raw")
    for p in [folder / "raw", *(folder / "raw").iterdir()]:
        p.chmod(0o777 if p.is_dir() else 0o666)
    yield run_as, folder, seed
    for p in folder.rglob("*"):
        p.chmod(0o777)
    shutil.rmtree(folder)


def test_unreadable_page_is_rejected_and_the_rest_go_on(other_user):
    run_as, folder, _ = other_user
    page = next((folder / "raw").glob("*.txt"))
    page.chmod(0)
    result = run_as("ingest", folder / "raw", "--db", folder / "archive.db")
    assert result.returncode == 0, result.stderr
    assert f"rejected {page}: cannot read: Permission denied" in result.stderr.splitlines()
    assert "1 added" in result.stdout and "Traceback" not in result.stderr


def test_unreadable_folder_stops_before_writing(other_user):
    run_as, folder, seed = other_user
    seed(folder)
    before = dump(folder / "archive.db")
    locked = folder / "raw" / "locked"
    locked.mkdir()
    locked.chmod(0)
    result = run_as("ingest", folder / "raw", "--db", folder / "archive.db")
    assert result.returncode == 1
    assert result.stderr == f"Error: Permission denied: {locked}\n"
    assert dump(folder / "archive.db") == before


def test_unreadable_archive(other_user):
    run_as, folder, seed = other_user
    seed(folder)
    (folder / "archive.db").chmod(0)
    for args in (["list"], ["ingest", folder / "raw"], ["check"]):
        result = run_as(*args, "--db", folder / "archive.db")
        assert result.returncode == 2
        assert result.stderr == (
            f"Error: Invalid value for '--db': File '{folder / 'archive.db'}' is not readable."
            f" (see 'briefings {args[0]} -h')\n"
        )


@pytest.fixture
def read_only(seeded):
    """Make a path read-only even to root (chattr +i), or by mode when not root."""
    made = []

    def make(path: Path) -> None:
        if ROOT_USER:
            if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
                pytest.skip("chattr +i is not available here")
        else:
            path.chmod(0o555 if path.is_dir() else 0o444)
        made.append(path)

    yield make
    for path in reversed(made):
        if ROOT_USER:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        else:
            path.chmod(0o755 if path.is_dir() else 0o644)


def test_read_only_archive(seeded, read_only):
    sqlite3.connect(seeded).execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    before = dump(seeded)
    read_only(seeded)
    line = one_error_line(run("ingest", FIXTURES / "constructed", "--db", seeded))
    assert line == f"Error: {seeded} is read-only; cannot write to the archive"
    assert dump(seeded) == before
    assert run("list", "--db", seeded).exit_code == 0
    result = run("check", "--db", seeded)
    assert result.exit_code == 0
    n = len(dump(seeded)) and json.loads(run("check", "--json", "--db", seeded).stdout)
    assert result.stdout == (
        f"ok: {n['briefings']} briefings, {n['turns']} turns, no problems found; "
        f"skipped: FTS5 integrity-check ({seeded} is read-only)\n"
    )
    assert n["skipped"] == [f"FTS5 integrity-check ({seeded} is read-only)"]


def test_archive_in_a_read_only_folder(seeded, read_only):
    """Copied to read-only media: reads work (no -shm can be made there), writes say why not."""
    sqlite3.connect(seeded).execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    folder = seeded.parent / "media"
    folder.mkdir()
    archive = folder / "archive.db"
    shutil.copy(seeded, archive)
    before = dump(seeded)
    assert [p.name for p in folder.iterdir()] == ["archive.db"]  # no -wal or -shm to write through
    read_only(folder)
    assert [r["id"] for r in json.loads(run("list", "--json", "--db", archive).stdout)]
    assert json.loads(run("search", "customs", "--json", "--db", archive).stdout)
    assert run("check", "--db", archive).exit_code == 0
    line = one_error_line(run("ingest", FIXTURES / "constructed", "--db", archive))
    assert line == (
        f"Error: cannot open archive {archive}: its folder {folder} is read-only "
        "(SQLite keeps -wal and -shm files beside the archive)"
    )
    assert sorted(p.name for p in folder.iterdir()) == ["archive.db"]
    assert dump(archive.as_uri() + "?mode=ro&immutable=1", uri=True) == before


# -- files that are not ours, or are damaged ------------------------------------------

FOREIGN_META = {
    "another application": "INSERT INTO meta VALUES ('application', 'recipes'), ('schema_version', '4')",
    "no application": "INSERT INTO meta VALUES ('schema_version', '1')",
    "an empty meta table": None,
    "a meta table of another shape": "ALTER TABLE meta RENAME COLUMN key TO name",
}


@pytest.mark.parametrize("meta", FOREIGN_META)
@pytest.mark.parametrize(
    "command",
    [["list"], ["check"], ["check", "--repair"], ["ingest", SEEDS], ["export", "--all"], ["search", "soup"]],
)
def test_another_programs_database_with_a_meta_table_is_left_byte_identical(tmp_path, meta, command):
    """Its meta table does not say it is a briefings archive: refused before anything (WAL mode, a migration)."""
    foreign = tmp_path / "other.db"
    conn = sqlite3.connect(foreign, isolation_level=None)
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.execute("CREATE TABLE recipes (name TEXT)")
    if FOREIGN_META[meta]:
        conn.execute(FOREIGN_META[meta])
    conn.close()
    before = foreign.read_bytes()
    line = one_error_line(run(*command, "--db", foreign))
    assert line == f"Error: {foreign} is a SQLite database but not a briefings archive"
    assert foreign.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]


@pytest.mark.parametrize("value", ["abc", "", "4.0", " 4", "-1", "\u0664", None])
@pytest.mark.parametrize(
    "command",
    [["list"], ["check"], ["ingest", SEEDS], ["export", "--all"], ["search", "customs"], ["show", "x"]],
)
def test_a_schema_version_that_is_not_a_number(seeded, value, command):
    conn = sqlite3.connect(seeded, isolation_level=None)
    if value is None:
        conn.execute("DELETE FROM meta WHERE key = 'schema_version'")
    else:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (value,))
    conn.close()
    before = dump(seeded)
    what = (
        "it records no schema version"
        if value is None
        else f"its schema version is {value!r}, not a whole number"
    )
    assert one_error_line(run(*command, "--db", seeded)) == (
        f"Error: {seeded} is damaged: {what}; restore it from a backup (`briefings ingest backup.jsonl --db NEW.db`) "
        "or rebuild it from the raw pages"
    )
    assert dump(seeded) == before


@pytest.mark.parametrize(
    "command",
    [
        ["show", "{id}"],
        ["show", "{id}", "--json"],
        ["export", "{id}"],
        ["export", "{id}", "--format", "json"],
        ["export", "{id}", "-o", "{out}"],
    ],
)
@pytest.mark.parametrize(
    "damage",
    [
        "UPDATE briefings SET pages = 'not json'",
        "UPDATE briefings SET missing_pages = '[1,'",
        "UPDATE turns SET also_asked = '{'",
    ],
)
def test_a_damaged_json_column_is_one_line(seeded, tmp_path, command, damage):
    bid = "gac-29ac2c50a773"
    conn = sqlite3.connect(seeded, isolation_level=None)
    conn.execute(damage)
    conn.close()
    out = tmp_path / "out.txt"
    line = one_error_line(run(*(a.format(id=bid, out=out) for a in command), "--db", seeded))
    assert (
        line.startswith("Error: briefing ")
        and " is damaged in the archive (a JSON column does not hold JSON" in line
    )
    assert line.endswith("`briefings check` names it, and re-ingesting its pages or backup rewrites it")
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    check = json.loads(run("check", "--json", "--db", seeded).stdout)
    assert not check["ok"] and {p["check"] for p in check["problems"]} == {"json"}


def damage_text(db: Path, sql: str) -> None:
    """Write bytes that are not UTF-8 where text belongs, as a damaged page of the file would.

    The search index's triggers are dropped for it and made again after: damage does
    not pass through them."""
    conn = sqlite3.connect(db, isolation_level=None)
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for name, _ in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute(sql)
    for _, made in triggers:
        conn.execute(made)
    conn.close()


DAMAGE = {
    "json": (
        "UPDATE briefings SET pages = 'not json' WHERE id = 'gac-29ac2c50a773'",
        "a JSON column does not hold JSON: Expecting value: line 1 column 1 (char 0)",
    ),
    "title": (
        "UPDATE briefings SET title = CAST(X'537065656368ff' AS TEXT) WHERE id = 'gac-29ac2c50a773'",
        "stored text that is not UTF-8: b'Speech\\xff' at byte 6",
    ),
    "turn": (
        "UPDATE turns SET text = CAST(X'4f6e6520c3' AS TEXT) WHERE briefing_pk = "
        "(SELECT pk FROM briefings WHERE id = 'gac-29ac2c50a773')",
        "stored text that is not UTF-8: b'One \\xc3' at byte 4",
    ),
}
DAMAGED, WHOLE = "gac-29ac2c50a773", "scio-118230968"


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_briefing_is_named_and_the_rest_are_still_backed_up(seeded, tmp_path, damage):
    """export --all writes every briefing it can read, names the rest and exits 1; quality judges
    the rest and reports the damage; the damaged one's own commands say what mends it."""
    sql, what = DAMAGE[damage]
    if damage == "json":
        sqlite3.connect(seeded, isolation_level=None).execute(sql)
    else:
        damage_text(seeded, sql)
    mend = "`briefings check` names it, and re-ingesting its pages or backup rewrites it"
    for command in (["show", DAMAGED], ["export", DAMAGED], ["export", DAMAGED, "--format", "json"]):
        assert one_error_line(run(*command, "--db", seeded)) == (
            f"Error: briefing {DAMAGED} is damaged in the archive ({what}); {mend}"
        )
    assert run("show", WHOLE, "--db", seeded).exit_code == 0
    names = (
        f"Error: 1 record could not be read and was not written: {DAMAGED}; `briefings check` names the damage, "
        "and re-ingesting their pages or backup rewrites them"
    )
    backup = tmp_path / "backup.jsonl"
    result = run("export", "--all", "-o", backup, "--db", seeded)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.splitlines() == [f"wrote 1 briefing to {backup}", names]
    assert [json.loads(line)["id"] for line in backup.read_text(encoding="utf-8").splitlines()] == [WHOLE]
    result = run("export", "--all", "--db", seeded)
    assert result.exit_code == 1 and result.stderr == names + "\n"
    assert result.stdout == backup.read_text(encoding="utf-8")
    result = run("quality", "--db", seeded)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stdout.startswith("1 briefings, ")  # the rest were judged
    assert f"damaged in the archive, not read: 1\n  {DAMAGED}: briefing {DAMAGED} is damaged" in result.stdout
    assert result.stderr == f"Error: briefing {DAMAGED} is damaged in the archive ({what}); {mend}\n"
    report = json.loads(run("quality", "--json", "--db", seeded).stdout)
    assert [d["id"] for d in report["damaged"]] == [DAMAGED] and report["briefings"] == 1
    # check finds it and says what mends it; re-ingesting the pages does mend it.
    check = json.loads(run("check", "--json", "--db", seeded).stdout)
    kind = "json" if damage == "json" else "encoding"
    [problem] = [p for p in check["problems"] if p["check"] == kind]
    assert problem["fix"] == "reingest"
    # The changed turn no longer matches the search index, which FTS5's own check sees too.
    assert {p["check"] for p in check["problems"]} == ({kind, "fts"} if damage == "turn" else {kind})
    assert DAMAGED in problem["message"] and "re-ingest its pages or backup" in problem["message"]
    if damage != "json":
        column = {"title": "briefings.title", "turn": "turns.text"}[damage]
        assert problem["message"].startswith(
            f"{column} holds text that is not UTF-8 in 1 briefing: {DAMAGED};"
        )
        result = (
            run("list", "--db", seeded)
            if damage == "title"
            else run("search", "long-term care", "--db", seeded)
        )
        line = one_error_line(result)
        assert line.startswith(f"Error: cannot read {seeded}: it holds text that is not UTF-8")
    ingested = json.loads(run("ingest", SEEDS, "--json", "--db", seeded).stdout)
    assert ingested["repaired"] == 1
    if damage == "turn":  # and what check said of the search index, --repair mends
        assert run("check", "--repair", "--db", seeded).exit_code == 0
    assert run("check", "--db", seeded).stdout.startswith("ok: 2 briefings")
    assert run("export", "--all", "-o", tmp_path / "again.jsonl", "--db", seeded).exit_code == 0


# -- paths that are not pages ---------------------------------------------------------


@pytest.mark.timeout(60)
def test_a_named_pipe_is_skipped_not_waited_on(tmp_path, db_path):
    """A FIFO named like a page would block a reader for ever: it is not a regular file, so it is not read."""
    folder = tmp_path / "raw"
    shutil.copytree(SEEDS, folder)
    fifo = folder / "x.html"
    os.mkfifo(fifo)
    backup_fifo = tmp_path / "backup.jsonl"
    os.mkfifo(backup_fifo)
    for args in ([folder], [fifo], [folder, fifo], [backup_fifo]):
        result = run("ingest", *args, "--db", db_path)
        # A run that stored nothing and rejected something failed.
        assert result.exit_code == (1 if args in ([fifo], [backup_fifo]) else 0), result.output
        named = backup_fifo if args == [backup_fifo] else fifo
        assert (
            f"rejected {named}: not a regular file but a named pipe (FIFO); not read"
            in result.stderr.splitlines()
        )
    assert json.loads(run("list", "--json", "--db", db_path).stdout)


def test_symbolic_links_that_lead_nowhere(tmp_path, db_path):
    loop, other = tmp_path / "loop.html", tmp_path / "other.html"
    loop.symlink_to(other)
    other.symlink_to(loop)
    dangling = tmp_path / "gone.html"
    dangling.symlink_to(tmp_path / "nowhere.html")
    line = one_error_line(run("ingest", loop, "--db", db_path), code=2)
    assert line == (
        f"Error: Invalid value for 'PATHS...': '{loop}' is a loop of symbolic links "
        f"(it leads to '{other}') (see 'briefings ingest -h')"
    )
    line = one_error_line(run("ingest", dangling, "--db", db_path), code=2)
    assert line == (
        f"Error: Invalid value for 'PATHS...': '{dangling}' is a symbolic link to "
        f"'{tmp_path / 'nowhere.html'}', which does not exist (see 'briefings ingest -h')"
    )
    line = one_error_line(run("quality", loop, "--db", db_path), code=2)
    assert line == (
        f"Error: Invalid value for '[PATHS]...': '{loop}' is a loop of symbolic links "
        f"(it leads to '{other}') (see 'briefings quality -h')"
    )
    assert not db_path.exists()
    # Met inside a folder, each is one rejection with its reason, and the run goes on.
    shutil.copytree(SEEDS, tmp_path / "seeds")
    result = run("ingest", tmp_path, "--db", db_path)
    assert result.exit_code == 0, result.output
    assert (
        f"rejected {dangling}: cannot read: a symbolic link to {tmp_path / 'nowhere.html'}, which does not exist"
        in result.stderr.splitlines()
    )
    assert f"rejected {loop}: cannot read: a loop of symbolic links ({other})" in result.stderr.splitlines()
    assert "2 added" in result.stdout


# -- a full disk -----------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """make(size) -> a folder on a real file system of that size (tmpfs), when this process may mount one.

    A real full disk: SQLite's own SQLITE_FULL from the write that does not fit,
    with the WAL and -shm files it needs beside the archive. Skips when mounting
    is not permitted (not root, or a container without the capability)."""
    mounted: list[Path] = []

    def make(size: str) -> Path:
        if not ROOT_USER or not shutil.which("mount"):
            pytest.skip("mounting a small file system needs root")
        folder = tmp_path / f"disk{len(mounted)}"
        folder.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(folder)
        return folder

    yield make
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_real_full_disk_says_what_was_stored(small_disk, tmp_path):
    """Ingest onto a small tmpfs: the run stops at the briefing that does not fit, saying how many were
    stored (each whole) and that the rest were not; the archive is whole; with room, a rerun completes it."""
    from test_crash import generated_pages

    pages = generated_pages(tmp_path / "pages", n=60)
    disk = small_disk("1m")
    archive = disk / "archive.db"
    result = run("ingest", pages, "--db", archive)
    line = one_error_line(result)
    m = re.fullmatch(
        rf"Error: no space left to write {re.escape(str(archive))} \(after (\d+) of 60 transcripts: "
        r"(\d+) briefings stored, each whole \((\d+) added, 0 updated\), 0 unchanged; the other (\d+) "
        r"not stored: run the same ingest again to finish\)",
        line,
    )
    assert m, line
    done, stored, added, left = map(int, m.groups())
    assert 0 < stored == added == done < 60 and done + left == 60
    conn = sqlite3.connect(archive)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("SELECT count(*), sum(turn_count) FROM briefings").fetchone() == (stored, stored * 80)
    conn.close()
    assert run("check", "--db", archive).exit_code == 0
    subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
    result = run("ingest", pages, "--db", archive, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == 60 - stored
    assert run("check", "--db", archive).exit_code == 0


def test_a_disk_too_full_to_build_an_archive_leaves_no_file(small_disk):
    """The schema itself does not fit: nothing under the archive's name, not even an empty file."""
    disk = small_disk("40k")
    archive = disk / "archive.db"
    line = one_error_line(run("ingest", SEEDS, "--db", archive))
    assert line == f"Error: no space left to write {archive}; nothing was changed"
    assert list(disk.iterdir()) == []


# Where no file system can be mounted, SQLite is told the file may not grow (max_page_count):
# the same SQLITE_FULL, from the same statements.


def limit_growth(monkeypatch, pages: int) -> None:
    """Every archive opened for writing may grow by this many pages only."""
    opened = Archive.__init__

    def tight(self, path, *, write=False):
        opened(self, path, write=write)
        if write:
            now = self.db.execute("PRAGMA page_count").fetchone()[0]
            self.db.execute(f"PRAGMA max_page_count = {now + pages}")

    monkeypatch.setattr(Archive, "__init__", tight)


@pytest.fixture
def full_disk(monkeypatch):
    """Every archive opened for writing may not grow by a single page: SQLite's own SQLITE_FULL."""
    limit_growth(monkeypatch, 0)


def test_full_disk_changes_nothing(seeded, full_disk):
    before = dump(seeded)
    line = one_error_line(run("ingest", FIXTURES / "constructed", "--db", seeded))
    assert line == f"Error: no space left to write {seeded}; nothing was changed"
    assert dump(seeded) == before
    assert run("check", "--db", seeded).exit_code == 0


def test_full_disk_reported_from_save(seeded, monkeypatch):
    """The same error raised inside save's transaction, after some rows went in: all rolled back."""
    before = dump(seeded)
    original = Archive.save

    def failing_save(self, b, paths=(), *args, **kwargs):
        with self.transaction() as conn:
            conn.execute("DELETE FROM turns")
            raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Archive, "save", failing_save)
    line = one_error_line(run("ingest", FIXTURES / "constructed", "--db", seeded))
    assert line == f"Error: no space left to write {seeded}; nothing was changed"
    assert dump(seeded) == before
    assert original is not failing_save


def test_a_disk_filling_part_way_says_what_was_stored(seeded, monkeypatch, tmp_path):
    from test_crash import generated_pages

    limit_growth(monkeypatch, 12)
    pages = generated_pages(tmp_path / "pages", n=30)
    line = one_error_line(run("ingest", pages, "--db", seeded))
    m = re.search(r"\(after (\d+) of 30 transcripts: (\d+) briefings stored, each whole", line)
    assert line.startswith(f"Error: no space left to write {seeded} (after ") and m, line
    assert 0 < int(m.group(2)) < 30
    assert run("check", "--db", seeded).exit_code == 0


def test_two_different_copies_of_a_page_in_one_run_are_reported(tmp_path, db_path):
    """group() keeps the first copy of a page; the other is never dropped in silence."""
    seed = SEEDS / "scio_content_118230968.txt"
    first, second, same = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for folder in (first, second, same):
        folder.mkdir()
        shutil.copy(seed, folder / seed.name)
        shutil.copy(f"{seed}.meta.json", folder / f"{seed.name}.meta.json")
    (second / seed.name).write_text(
        seed.read_text(encoding="utf-8").replace("smuggling", "smugglers"), encoding="utf-8"
    )
    result = run("ingest", first, second, same, first / seed.name, "-v", "--db", db_path)
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert (
        f"skipped {second / seed.name}: another copy of briefing scio-118230968 (page 1) in this run, which "
        f"differs: {first / seed.name} was read, not this one; ingest it on its own to store it" in lines
    )
    assert (
        f"skipped {same / seed.name}: the same bytes as {first / seed.name}, already read in this run"
        in lines
    )
    assert not [
        line for line in lines if str(first / seed.name) in line.split(":")[0]
    ]  # the file named twice
    assert result.stdout.startswith("1 briefing from 1 page, 1 added") and ", 2 skipped" in result.stdout
    data = json.loads(run("ingest", first, second, "--json", "--db", db_path).stdout)
    assert [d["path"] for d in data["duplicates"]] == [str(second / seed.name)]
    # Without -v the differing copy is still reported; the identical one is not.
    lines = run("ingest", first, second, same, "--db", db_path).stderr.splitlines()
    assert [line.split(":")[0] for line in lines if line.startswith("skipped")] == [
        f"skipped {second / seed.name}"
    ]


# -- bytes that are not UTF-8: in arguments, file names ------------------------------------

CLI = [sys.executable, "-c", "from briefings.cli import main; main()"]


def run_bytes(*args, cwd=None):
    """The real CLI in a process, its arguments given as bytes, as a shell passes them."""
    return subprocess.run(
        [*CLI, *(a if isinstance(a, bytes) else os.fsencode(str(a)) for a in args)],
        capture_output=True,
        env={**os.environ, "COLUMNS": "120", "NO_COLOR": "1"},
        cwd=cwd,
        timeout=120,
    )


@pytest.mark.parametrize(
    "args, option",
    [
        (["list", "--speaker", b"\xff"], "--speaker"),
        (["search", "customs", "--speaker", b"Sun\xff"], "--speaker"),
        (["search", "customs", "--outlet", b"\xff"], "--outlet"),
        (["search", b"\xff", "--raw"], "QUERY"),
        (["search", b"customs \xc3"], "QUERY"),
        (["who", b"\xff"], "QUERY"),
        (["who", "customs", "--outlet", b"\xfe"], "--outlet"),
        (["timeline", b"x\xff"], "QUERY"),
        (["show", b"\xff"], "ID"),
        (["export", b"gac-\xff"], "[ID]"),
    ],
)
def test_text_arguments_that_are_not_utf8_are_a_usage_error(seeded, args, option):
    result = run_bytes(*args, "--db", seeded)
    assert result.returncode == 2 and b"Traceback" not in result.stderr
    bad = next(a for a in args if isinstance(a, bytes))
    assert result.stderr.decode() == (
        f"Error: Invalid value for '{option}': {bad!r} is not UTF-8 text (see 'briefings {args[0]} -h')\n"
    )


def test_a_file_name_that_is_not_utf8_is_rejected_on_its_own_and_the_rest_are_stored(tmp_path, db_path):
    folder = tmp_path / "raw"
    shutil.copytree(SEEDS, folder)
    scio = SEEDS / "scio_content_118230968.txt"
    odd_file = os.fsencode(folder) + b"/\xff.txt"
    odd_folder = os.fsencode(folder) + b"/d\xe9j\xe0"
    with open(odd_file, "wb") as fh:
        fh.write(scio.read_bytes().replace(b"118230968", b"118230969"))
    os.mkdir(odd_folder)
    with open(odd_folder + b"/page.txt", "wb") as fh:
        fh.write(scio.read_bytes())
    result = run_bytes("ingest", folder, "--db", db_path)
    assert result.returncode == 0, result.stderr
    reason = "its name is not UTF-8; rename it to ingest it (the archive records each page by its path)"
    assert result.stderr.decode().splitlines()[:2] == [
        f"rejected {odd_file!r}: {reason}",
        f"rejected {odd_folder + b'/page.txt'!r}: {reason}",
    ]
    assert result.stdout.decode().startswith("2 briefings from 2 pages, 2 added")
    assert [r["id"] for r in json.loads(run("list", "--json", "--db", db_path).stdout)] == [
        "scio-118230968",
        "gac-29ac2c50a773",
    ]
    # Named on the command line, the same, in every output format; the archive can still be backed up.
    result = run_bytes("ingest", odd_file, "--json", "--db", db_path)
    # It was all there was to ingest, and nothing was stored: that is a failure
    assert result.returncode == 1 and result.stderr == b"Error: nothing stored: the one input was rejected\n"
    assert json.loads(result.stdout)["rejected"] == [{"path": repr(odd_file), "reason": reason}]
    result = run_bytes("export", "--all", "-o", tmp_path / "backup.jsonl", "--db", db_path)
    assert result.returncode == 0, result.stderr
    assert (
        run_bytes("quality", odd_folder, "--db", db_path).stdout.decode().count("its name is not UTF-8") == 1
    )


def test_an_output_name_that_is_not_utf8(seeded, tmp_path):
    out = os.fsencode(tmp_path) + b"/\xff.md"
    result = run_bytes("export", "gac-29ac2c50a773", "-o", out, "--db", seeded)
    assert result.returncode == 0 and result.stderr.decode() == f"wrote {out!r}\n"
    with open(out, "rb") as fh:
        assert fh.read().startswith(b"# Speech at the State Council")
    result = run_bytes("export", "gac-29ac2c50a773", "-o", out, "--db", seeded)
    assert (
        result.returncode == 1
        and result.stderr.decode() == f"Error: {out!r} exists; use --force to overwrite it\n"
    )


# -- entities.json, which users edit ---------------------------------------------------------


@pytest.mark.parametrize(
    "doc, problem",
    [
        ({"people": "x"}, "\"people\" is 'x', not a list"),
        ([], 'not a JSON object with "people" and "outlets" lists but a list'),
        (
            {"people": [{"name": "Ann Example"}, {"name": "Bo"}, {"name": "Cy"}, {"aliases": ["Dee"]}]},
            'people[3]: no "name"',
        ),
        ({"people": [3]}, "people[0]: 3, not an object"),
        ({"people": [{"name": ""}]}, "people[0]: \"name\" is '', not a name"),
        ({"people": [{"name": "\udcff"}]}, "people[0]: \"name\" is '\\udcff', not a name"),
        (
            {"people": [{"name": "Ann", "aliases": "Annie"}]},
            "people[0] (Ann): \"aliases\" is 'Annie', not a list",
        ),
        ({"people": [{"name": "Ann", "aliases": [None]}]}, "people[0] (Ann): aliases[0] is null, not a name"),
        (
            {"people": [{"name": "Ann", "roles": [{"from": "2020-01-01"}]}]},
            'people[0] (Ann): roles[0]: no "role"',
        ),
        (
            {"people": [{"name": "Ann", "roles": [{"role": "x", "from": 2020}]}]},
            'people[0] (Ann): roles[0]: "from" is 2020, not a date (YYYY-MM-DD)',
        ),
        ({"outlets": {"name": "Reuters"}}, '"outlets" is an object, not a list'),
        ({"outlets": [{"aliases": ["R"]}]}, 'outlets[0]: no "name"'),
    ],
)
@pytest.mark.parametrize(
    "command",
    [
        ["list", "--speaker", "Ann"],
        ["search", "customs"],
        ["speakers"],
        ["ingest", SEEDS],
        ["quality"],
        ["who", "customs"],
    ],
)
def test_an_entities_file_of_the_wrong_shape_is_named_where_it_is_wrong(seeded, doc, problem, command):
    entities = seeded.parent / "entities.json"
    entities.write_text(json.dumps(doc), encoding="utf-8")
    before = dump(seeded)
    assert one_error_line(run(*command, "--db", seeded)) == f"Error: {entities}: {problem}"
    assert dump(seeded) == before


def test_an_entities_file_that_is_not_utf8(seeded):
    entities = seeded.parent / "entities.json"
    entities.write_bytes(b'{"people": [{"name": "\xff"}]}')
    line = one_error_line(run("list", "--db", seeded))
    assert line.startswith(
        f"Error: cannot read entities file {entities}: 'utf-8' codec can't decode byte 0xff"
    )


def test_a_well_formed_entities_file_still_adds_to_the_list(seeded):
    (seeded.parent / "entities.json").write_text(
        json.dumps(
            {
                "people": [
                    {
                        "name": "Sun Meijun",
                        "aliases": ["Madam Sun Customs"],
                        "roles": [{"role": "Vice minister", "from": "2025"}],
                    }
                ],
                "outlets": [],
            }
        ),
        encoding="utf-8",
    )
    rows = json.loads(run("speakers", "--json", "--db", seeded).stdout)
    assert "Madam Sun Customs" in next(r for r in rows if r["name"] == "Sun Meijun")["aliases"]


# -- export writes regular files only --------------------------------------------------------


@pytest.fixture
def special_files(tmp_path, monkeypatch):
    """A named pipe and a socket in tmp_path, by short relative names (a socket's path is short)."""
    import socket

    monkeypatch.chdir(tmp_path)
    os.mkfifo("pipe")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind("sock")
    yield {
        "pipe": ("a named pipe (FIFO)", stat_kind(tmp_path / "pipe")),
        "sock": ("a socket", stat_kind(tmp_path / "sock")),
    }
    sock.close()


def stat_kind(path: Path) -> int:
    import stat

    return stat.S_IFMT(os.lstat(path).st_mode)


@pytest.mark.parametrize("name", ["pipe", "sock"])
@pytest.mark.parametrize("force", [[], ["--force"]])
@pytest.mark.parametrize("what", [["gac-29ac2c50a773"], ["gac-29ac2c50a773", "--format", "json"], ["--all"]])
def test_export_refuses_what_is_not_a_regular_file(seeded, special_files, tmp_path, name, force, what):
    kind, mode = special_files[name]
    before = sorted(p.name for p in tmp_path.iterdir())
    line = one_error_line(run("export", *what, "-o", name, *force, "--db", seeded), code=2)
    assert line == (
        f"Error: Invalid value for '-o' / '--output': {name} is {kind}: -o writes regular files only, "
        "and nothing was changed (use -o - or leave -o out for standard output) (see 'briefings export -h')"
    )
    assert stat_kind(tmp_path / name) == mode
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no temporary file left either


def test_export_refuses_dev_null_without_touching_it(seeded, monkeypatch):
    """As root a rename onto /dev/null would replace the device: every call that could is made to fail."""

    def never(*args, **kwargs):
        raise AssertionError(f"export tried to write {args}")

    for name in ("replace", "rename", "link", "unlink"):
        monkeypatch.setattr(os, name, never)
    for force in ([], ["--force"]):
        line = one_error_line(
            run("export", "gac-29ac2c50a773", "-o", "/dev/null", *force, "--db", seeded), code=2
        )
        assert "/dev/null is a device: -o writes regular files only, and nothing was changed" in line


def test_dash_is_standard_output(seeded, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for what in (["gac-29ac2c50a773"], ["gac-29ac2c50a773", "--format", "json"], ["--all"]):
        plain = run("export", *what, "--db", seeded)
        dashed = run("export", *what, "-o", "-", "--db", seeded)
        assert dashed.exit_code == 0 and dashed.stdout == plain.stdout and dashed.stdout
        assert dashed.stderr == ""
    assert not (tmp_path / "-").exists()


def test_an_archive_path_that_is_not_utf8(tmp_path):
    """Named in a library's message, its bytes are escaped; it is an archive like any other."""
    db = os.fsencode(tmp_path) + b"/\xff.db"
    result = run_bytes("list", "--db", db)
    assert result.returncode == 1
    assert (
        result.stderr.decode()
        == f"Error: no archive at {tmp_path}/\\xff.db; build one with `briefings ingest PATH`\n"
    )
    assert run_bytes("ingest", SEEDS, "--db", db).returncode == 0
    result = run_bytes("check", "--db", db)
    assert result.returncode == 0 and result.stdout.decode().startswith("ok: 2 briefings")
