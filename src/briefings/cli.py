"""The `briefings` command line: parse options, call the library, render.

No SQL and no HTML parsing here. Errors become one line on stderr with a
non-zero exit: 1 for an operation that failed, 2 for a usage error.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from pathlib import Path

import click

from . import __version__, export, query, render
from .files import Refused, broken_link, new_file, not_a_regular_file, shown, write_new_file
from .models import TURN_KINDS
from .people import Entities
from .sites import FAMILIES, FETCHABLE, LANGUAGES  # the records only: .sources would load parsers
from .sqlite import sqlite3
from .store import Archive, ArchiveError

# Start-up time is part of every search: rich.progress, dateutil and the page
# parsers (bs4, lxml) are imported only by the commands that use them.

DEFAULT_DB = os.path.join("data", "archive.db")
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# -- shared options --------------------------------------------------------


def db_option(f):
    return click.option(
        "--db",
        "db_path",
        envvar="BRIEFINGS_DB",
        default=DEFAULT_DB,
        show_default=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="Archive file (environment: BRIEFINGS_DB).",
    )(f)


def json_option(f):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(f)


def _date_callback(end: bool):
    def convert(ctx, param, value):
        if value is None:
            return None
        from .dates import parse_user_date

        try:
            return parse_user_date(value, end=end)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None

    return convert


def date_options(f):
    f = click.option(
        "--until",
        callback=_date_callback(True),
        metavar="DATE",
        help="Only on or before this day (YYYY, YYYY-MM or YYYY-MM-DD).",
    )(f)
    f = click.option(
        "--since",
        callback=_date_callback(False),
        metavar="DATE",
        help="Only on or after this day (YYYY, YYYY-MM or YYYY-MM-DD).",
    )(f)
    return f


def source_option(f):
    return click.option("--source", type=click.Choice(FAMILIES), help="Only this page family.")(f)


def speaker_option(f):
    return click.option(
        "--speaker",
        metavar="NAME",
        help="Only this speaker: a person or an outlet, any spelling the archive knows.",
    )(f)


def handle_errors(f):
    """Library errors become one clear line and exit 1, never a traceback."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except Refused as exc:
            raise click.ClickException(str(exc)) from None
        except (ArchiveError, OSError) as exc:
            message = (
                str(exc)
                if isinstance(exc, ArchiveError)
                else f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")
            )
            raise click.ClickException(message) from None
        except query.QueryError as exc:
            raise click.UsageError(str(exc)) from None

    return wrapper


def open_archive(path: Path, write: bool = False) -> Archive:
    return Archive(path, write=write)


def load_entities(db_path: Path) -> Entities:
    try:
        return Entities.load(db_path.parent / "entities.json")
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


def emit(text: str) -> None:
    click.echo(text, nl=not text.endswith("\n"))


def printable(message: str) -> str:
    """A message that names a path whose bytes are not UTF-8 (a library's message, which
    cannot know): those bytes as \\xff escapes, which any stream can write."""
    return message.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class TextCommand(click.Command):
    """A command whose text options and arguments must be text.

    The shell passes bytes; one that is not UTF-8 reaches Python as a lone
    surrogate, which no query, SQLite parameter or output stream can take. It is a
    usage error naming the option and the bytes. Paths are not text: they may be
    any bytes, and are checked by the commands that open them."""

    def parse_args(self, ctx, args):
        rest = super().parse_args(ctx, args)
        for param in self.get_params(ctx):
            if not isinstance(param.type, click.types.StringParamType):
                continue
            value = ctx.params.get(param.name)
            for item in value if isinstance(value, (tuple, list)) else [value]:
                if isinstance(item, str) and shown(item) != item:
                    raise click.BadParameter(f"{shown(item)} is not UTF-8 text", ctx=ctx, param=param)
        return rest


class OneLineErrors(click.Group):
    """Usage errors as one line on stderr, like every other error, not Click's four."""

    command_class = TextCommand

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as exc:
            hint = ""
            if type(exc) is not click.UsageError and exc.ctx is not None:
                # Click's own parse errors (a bad option or value) say nothing of what to do next.
                where = " ".join(["briefings", *exc.ctx.command_path.split()[1:]])
                hint = f" (see '{where} -h')"
            click.echo(f"Error: {printable(exc.format_message())}{hint}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"Error: {printable(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


class InputPath(click.Path):
    """An existing file or folder to read. A symbolic link that leads nowhere, or
    round in a loop, is said to be that, not "does not exist"."""

    def __init__(self):
        super().__init__(exists=True, path_type=Path)

    def convert(self, value, param, ctx):
        link = broken_link(value) if isinstance(value, (str, os.PathLike)) else None
        if link and link[0] == "loop":
            self.fail(
                f"{os.fsdecode(value)!r} is a loop of symbolic links (it leads to {link[1]!r})", param, ctx
            )
        if link:
            self.fail(
                f"{os.fsdecode(value)!r} is a symbolic link to {link[1]!r}, which does not exist", param, ctx
            )
        return super().convert(value, param, ctx)


class OutputPath(click.Path):
    """A regular file to write: a name is needed, and a folder will not do. `-` is
    standard output (the value None, as when -o is not given)."""

    def __init__(self):
        super().__init__(dir_okay=False, path_type=Path)

    def convert(self, value, param, ctx):
        if value == "-":
            return None
        if isinstance(value, str) and not value.strip():
            self.fail("needs a file name, not an empty one", param, ctx)
        not_file = not_a_regular_file(value)
        if not_file:
            self.fail(not_file, param, ctx)
        return super().convert(value, param, ctx)


# -- commands --------------------------------------------------------------


@click.group(cls=OneLineErrors, context_settings=CONTEXT)
@click.version_option(__version__, "--version", prog_name="briefings")
def cli():
    """An archive of government press-briefing transcripts: who said what, when.

    \b
    Build it:   briefings ingest data/raw
    Ask it:     briefings search smuggling --speaker "Sun Meijun"
    Count it:   briefings who smuggling; briefings timeline smuggling --by month
    Read it:    briefings list; briefings show ID; briefings export ID
    """


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=InputPath())
@click.option("--source", type=click.Choice(FAMILIES), help="Treat every page as this family.")
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Also list the pages skipped as not transcripts, and identical copies of pages.",
)
@db_option
@json_option
@handle_errors
def ingest(paths, source, verbose, db_path, as_json):
    """Parse raw pages (files or folders; HTML or plain text) into the archive.

    Pages of one transcript are grouped and stored as one briefing. A page that
    cannot be parsed, or is too large or too marked up to be a transcript's, or
    whose text is not text, is reported with its reason and the run goes on.
    Running it again on the same pages changes nothing. A transcript already
    stored from other files is skipped as a duplicate; one whose id a stored,
    different transcript holds is stored under an id of its own and reported
    as a conflict (exit 1), as is a run that stored nothing and rejected
    something. If the archive cannot be written part way (a full disk), the
    error says what was stored.

    \b
    Example:
      briefings ingest data/raw ../shared/corpus/mfa/en
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .ingest import ingest as run
    from .ingest import plan

    entities = load_entities(db_path)
    # Planned before opening: a bad path leaves no archive behind.
    with plan(paths, source) as pages, open_archive(db_path, write=True) as archive:
        err = render.console(stderr=True)
        show_progress = err.is_terminal and not as_json
        if show_progress:
            with Progress(
                TextColumn("ingesting"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            ) as bar:
                task = bar.add_task("ingest", total=len(pages))
                report = run(
                    paths, archive, entities, source=source, plan=pages, on_group=lambda g: bar.advance(task)
                )
        else:
            report = run(paths, archive, entities, source=source, plan=pages)
    if as_json:
        emit(render.dumps(report.to_dict()))
    else:
        for path, reason in report.rejected:
            click.echo(f"rejected {path}: {reason}", err=True)
        for path, _bid, reason, _ in report.conflicts:
            click.echo(f"conflict {path}: {reason}", err=True)
        for path, reason, _, _ in report.duplicates:
            click.echo(f"skipped {path}: {reason}", err=True)
        if verbose:
            for path, reason in report.skipped:
                click.echo(f"skipped {path}: {reason}", err=True)
        for bid, missing in report.incomplete:
            click.echo(f"incomplete {bid}: page(s) {', '.join(map(str, missing))} missing", err=True)
        click.echo(report.summary())
    from .screen import NOT_A_TRANSCRIPT

    strangers = [p for p, reason in report.skipped if reason.startswith(NOT_A_TRANSCRIPT)]
    if report.briefings == 0 and (report.rejected or strangers):
        n = len(report.rejected) + len(strangers)
        if not strangers:
            what = "the one input was rejected" if n == 1 else f"all {n} inputs were rejected"
        elif not report.rejected:
            what = (
                "the one input is not a transcript" if n == 1 else f"none of the {n} inputs is a transcript"
            )
        else:
            what = f"all {n} inputs were rejected or are not transcripts"
        click.echo(f"Error: nothing stored: {what}{' (-v says why)' if strangers else ''}", err=True)
        sys.exit(1)
    if report.conflicts:
        sys.exit(1)  # each is on stderr (or in --json) above: a briefing not stored under its own id


@cli.command()
@click.argument("briefing_ids", nargs=-1, required=True, metavar="ID...")
@click.option("--dry-run", is_flag=True, help="Say what would be removed; change nothing.")
@db_option
@json_option
@handle_errors
def remove(briefing_ids, dry_run, db_path, as_json):
    """Delete briefings: their turns, search index rows, participants and change history.

    All in one transaction; an ID the archive does not hold removes nothing.
    Ingesting the briefing's pages again brings it back.

    \b
    Examples:
      briefings remove mfa-1646384 --dry-run
      briefings remove mfa-1646384 gac-29ac2c50a773
    """
    with open_archive(db_path, write=not dry_run) as archive:
        gone = archive.removal(list(briefing_ids)) if dry_run else archive.remove(list(briefing_ids))
    if as_json:
        emit(render.dumps({"dry_run": dry_run, "removed": gone}))
        return
    verb = "would remove" if dry_run else "removed"
    for b in gone:
        click.echo(
            f"{verb} {b['id']}: {b['date'] or 'no date'}, {b['turns']} turn{'s' if b['turns'] != 1 else ''}, "
            f"{b['title']}"
        )
    click.echo(f"{verb} {len(gone)} briefing{'s' if len(gone) != 1 else ''}", err=True)


# -- fetch and crawl: they write the raw store only, never the archive -----------

FETCH_SOURCES = FETCHABLE


def raw_dir_option(f):
    return click.option(
        "--raw-dir",
        default=os.path.join("data", "raw"),
        show_default=True,
        type=click.Path(file_okay=False, path_type=Path),
        help="Raw store: pages go to RAW_DIR/<source>/ with a manifest.jsonl.",
    )(f)


def rate_option(f):
    return click.option(
        "--rate",
        type=click.FloatRange(min=0, min_open=True),
        default=1.0,
        show_default=True,
        help="At most this many requests per second to any one host.",
    )(f)


def timeout_option(f):
    return click.option(
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=30.0,
        show_default=True,
        metavar="SECONDS",
        help="Give up on a request (then retry it) that has not fully arrived in this many "
        "seconds; also the limit for connecting and for each read.",
    )(f)


def insecure_option(f):
    def convert(ctx, param, value):
        return frozenset(value)  # the sources to fetch over plain http

    return click.option(
        "--insecure-http",
        multiple=True,
        metavar="SOURCE",
        type=click.Choice(FETCH_SOURCES),
        callback=convert,
        help="Fetch this source over plain http, for a site whose TLS certificate is broken "
        "(SCIO and GACC have been); repeat for more sources. Off by default.",
    )(f)


def unused_db_option(f):
    return click.option(
        "--db",
        "db_path",
        envvar="BRIEFINGS_DB",
        hidden=True,
        help="Accepted like every command; fetching writes only the raw store.",
    )(f)


def _run_with_progress(as_json: bool, label: str, work):
    """Run work(on_page) with a live page counter when stderr is a terminal."""
    err = render.console(stderr=True)
    if not err.is_terminal or as_json:
        return work(None)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn(label),
        BarColumn(),
        TextColumn("{task.completed} pages"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def on_page(result):
            bar.update(task, advance=1, description=result.url.rsplit("/", 1)[-1][:40])

        return work(on_page)


def _check_urls(urls, option: str = "") -> None:
    """A URL that cannot be fetched is a usage error, said in one line."""
    from .fetch import url_problem

    for url in urls:
        problem = url_problem(url)
        if problem:
            raise click.UsageError(f"{option}{url!r} cannot be fetched: {problem}")


def _report_fetch(report, as_json: bool) -> None:
    if as_json:
        emit(render.dumps(report.to_dict()))
    else:
        for page in report.pages:
            if page.outcome in ("failed", "skipped"):  # robots.txt says no, or the page could not be had
                click.echo(f"{page.outcome} {page.url}: {page.reason}", err=True)
        for gap in report.incomplete:
            pages = ", ".join(str(m.page) for m in gap.missing)
            click.echo(f"incomplete {gap.url}: page(s) {pages} missing", err=True)
        for line in report.errors:
            click.echo(f"failed {line}", err=True)
        click.echo(report.summary())
    if not report.ok:
        raise click.ClickException(
            "some pages could not be fetched (listed above); "
            "a rerun of the same command fetches only what is missing"
        )


@cli.command()
@click.argument("urls", nargs=-1, required=True, metavar="URL...")
@raw_dir_option
@click.option(
    "--source", type=click.Choice(FETCH_SOURCES), help="Page family, for a URL whose host does not tell."
)
@click.option(
    "--refresh",
    is_flag=True,
    help="Ask again for stored pages (conditional requests); keep old versions in .history/.",
)
@rate_option
@timeout_option
@insecure_option
@json_option
@unused_db_option
def fetch(urls, raw_dir, source, refresh, rate, timeout, insecure_http, as_json, db_path):
    """Download transcripts, every page of each, into the raw store.

    Pages already stored are not asked for again unless --refresh. Follows
    robots.txt and waits between requests to the same host.

    \b
    Examples:
      briefings fetch https://english.scio.gov.cn/pressroom/2025-12/16/content_118230968.html
      briefings fetch http://127.0.0.1:8000/x/t1558711.shtml --source mfa --json
    """
    from .fetch import fetch as run

    _check_urls(urls)
    try:
        report = _run_with_progress(
            as_json,
            "fetching",
            lambda on_page: run(
                urls,
                raw_dir=raw_dir,
                source=source,
                refresh=refresh,
                rate=rate,
                timeout=timeout,
                insecure_http=insecure_http,
                on_page=on_page,
            ),
        )
    except OSError as exc:
        raise click.ClickException(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")) from None
    _report_fetch(report, as_json)


@cli.command()
@click.argument("source", type=click.Choice(FETCH_SOURCES))
@date_options
@click.option("--limit", "-n", type=click.IntRange(1, None), help="At most this many transcripts.")
@click.option("--base-url", metavar="URL", help="Crawl a mirror at this address instead of the live site.")
@click.option(
    "--start", multiple=True, metavar="URL", help="Begin at this listing page instead of the default."
)
@click.option(
    "--lang",
    "languages",
    multiple=True,
    type=click.Choice(LANGUAGES),
    help="Walk this language's listings (repeat for both); default: those its parser reads.",
)
@raw_dir_option
@rate_option
@timeout_option
@insecure_option
@json_option
@unused_db_option
def crawl(
    source,
    since,
    until,
    limit,
    base_url,
    start,
    languages,
    raw_dir,
    rate,
    timeout,
    insecure_http,
    as_json,
    db_path,
):
    """Discover a source's transcripts on its listing pages and fetch them.

    Listings are read newest first; notices and news items are skipped with
    their reason. A rerun fetches only what is missing. --since and --until
    bound the dates the listings show, which are publication dates: SCIO
    transcripts appear weeks after the briefing, so to catch those held late in
    a span, extend --until (`list` and `search` then filter on the day held).
    With either bound, a link the listing shows no date for is skipped (fetch
    it by URL), and paging stops at a listing page with nothing dated on or
    after --since.

    \b
    Examples:
      briefings crawl mfa --since 2020-06 --until 2020-06
      briefings crawl scio --limit 5 --base-url http://127.0.0.1:8000
      briefings crawl mfa --lang zh --since 2020-06
    """
    from .crawl import crawl as run

    if since and until and since > until:
        raise click.UsageError("--since is after --until")
    _check_urls([base_url] if base_url else [], "--base-url ")
    _check_urls(start, "--start ")
    try:
        report = _run_with_progress(
            as_json,
            f"crawling {source}",
            lambda on_page: run(
                source,
                since=since,
                until=until,
                limit=limit,
                base_url=base_url,
                start=start or None,
                languages=languages or None,
                raw_dir=raw_dir,
                rate=rate,
                timeout=timeout,
                insecure_http=insecure_http,
                on_page=on_page,
            ),
        )
    except OSError as exc:
        raise click.ClickException(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")) from None
    _report_fetch(report, as_json)


lang_option = click.option(
    "--lang", type=click.Choice(["en", "zh"]), help="Only briefings in this language (English or Chinese)."
)


def query_options(f):
    """What every command that takes a QUERY accepts: filters, --all-kinds, --raw.

    The filter options reach the command as one `filters` argument.
    """

    @functools.wraps(f)
    def with_filters(*args, speaker, since, until, source, kind, outlet, all_kinds, lang, **kwargs):
        filters = query.Filters(
            speaker=speaker,
            since=since,
            until=until,
            source=source,
            kind=kind,
            outlet=outlet,
            all_kinds=all_kinds,
            lang=lang,
        )
        return f(*args, filters=filters, **kwargs)

    for option in reversed(
        [
            speaker_option,
            date_options,
            source_option,
            click.option("--kind", type=click.Choice(TURN_KINDS), help="Only turns of this kind."),
            click.option("--outlet", metavar="NAME", help="Only questions asked by this outlet."),
            lang_option,
            click.option(
                "--all-kinds",
                is_flag=True,
                help="Include the chair's procedural turns (left out by default).",
            ),
            click.option(
                "--raw",
                is_flag=True,
                help="Pass QUERY to SQLite FTS5 as a query (AND, OR, NOT, NEAR, prefix*).",
            ),
        ]
    ):
        with_filters = option(with_filters)
    return with_filters


class QueryCommand(TextCommand):
    """A command that takes a QUERY, which may start with '-' (-Taiwan).

    Click reads such a word as options; when that fails, the error says to
    put -- before the query.
    """

    def parse_args(self, ctx, args):
        typed = list(args)  # Click's parser consumes args
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            words = typed[: typed.index("--")] if "--" in typed else typed
            options = {name for p in self.get_params(ctx) for name in (*p.opts, *p.secondary_opts)}
            dashed = [a for a in words if a[:1] == "-" and a[:2] != "--" and len(a) > 1 and a not in options]
            if not dashed:
                raise
            import shlex  # only here: every search pays for what cli.py imports

            raise click.BadArgumentUsage(
                f"{exc.format_message().rstrip('.')}; a QUERY that starts with '-' goes after --, as in "
                f"briefings {ctx.info_name} -- {shlex.quote(dashed[0])}",
                ctx,
            ) from None


@contextlib.contextmanager
def reading(db_path: Path):
    """The archive, opened to read. A SQLite error while reading it (a damaged file, a
    lost index) is the archive's fault, not the query's: one line and exit 1."""
    with open_archive(db_path) as archive:
        try:
            yield archive
        except sqlite3.DatabaseError as exc:
            raise click.ClickException(
                f"cannot read {shown(db_path)}: {exc}; `briefings check` says what is wrong"
            ) from None
        except UnicodeDecodeError as exc:  # store.decode_text: damaged stored text
            raise click.ClickException(
                f"cannot read {shown(db_path)}: it holds text that is not UTF-8 ({exc}); "
                "`briefings check` names the briefings, and re-ingesting their pages or "
                "backup rewrites them"
            ) from None


def run_query(db_path: Path, fn, *args, **kwargs) -> list[dict]:
    """fn(db, *args, entities=..., notes=..., **kwargs) on the archive opened to read
    (see `reading`); what it notes for the user (a speaker that fits several
    names) goes to stderr, a line each."""
    notes: list[str] = []
    with reading(db_path) as archive:
        rows = fn(archive.db, *args, entities=load_entities(db_path), notes=notes, **kwargs)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    return rows


def paging_options(noun: str, default: int | None = None):
    """--limit (0 for all) and --offset, the same for every command that lists."""

    def decorate(f):
        shown = f"At most this many {noun}; 0 for all." + ("" if default else " [default: all]")
        f = click.option(
            "--offset",
            type=click.IntRange(0, None),
            default=0,
            metavar="N",
            help=f"Skip the first N {noun}, to page through them with --limit.",
        )(f)
        return click.option(
            "--limit",
            "-n",
            type=click.IntRange(0, None),
            default=default,
            show_default=default is not None,
            help=shown,
        )(f)

    return decorate


def tell_more(rows, offset: int, noun: str, fmt: str | None) -> None:
    """When more results exist than were printed, say how many and how to get them:
    a line under the table, or for machine output on stderr, so stdout stays pure."""
    line = render.more_line(len(rows), offset, rows.total, noun)
    if not line:
        return
    if fmt:
        click.echo(f"note: {line}", err=True)
    else:
        render.console().print(render.footer(line))


def output_options(f):
    """--json, --nl, --csv: one machine format at a time; a table otherwise."""
    f = click.option("--csv", "as_csv", is_flag=True, help="Print CSV with a header row.")(f)
    f = click.option("--nl", "as_nl", is_flag=True, help="Print newline-delimited JSON, one object a line.")(
        f
    )
    return json_option(f)


def _output_format(as_json: bool, as_nl: bool, as_csv: bool) -> str | None:
    chosen = [name for name, on in (("--json", as_json), ("--nl", as_nl), ("--csv", as_csv)) if on]
    if len(chosen) > 1:
        raise click.UsageError(f"choose one of {' and '.join(chosen)}")
    return chosen[0][2:] if chosen else None


def _print_rows(
    rows: list[dict],
    fmt: str | None,
    table,
    keys,
    *,
    records=None,
    empty: str = "No turns match.",
    offset: int = 0,
    noun: str = "turns",
) -> None:
    """Rows in the machine format asked for, else as a rich table (or one line when there are none),
    and what was left out (see tell_more).

    `keys` name the CSV columns, so that no rows still give the header row."""
    if fmt:
        _emit_records(records(rows) if records else rows, fmt, keys)
    elif rows:
        render.console().print(table(rows))
    elif not offset or not getattr(rows, "total", None):
        render.console().print(empty)
    tell_more(rows, offset, noun, fmt)


def _emit_records(records: list[dict], fmt: str, keys) -> None:
    if fmt == "json":
        emit(render.dumps(records))
    elif fmt == "nl":
        click.echo(render.ndjson(records), nl=False)
    else:
        click.echo(render.to_csv(records, keys), nl=False)


@cli.command(cls=QueryCommand)
@click.argument("text", metavar="QUERY")
@query_options
@click.option(
    "--sort",
    type=click.Choice(["rank", "date"]),
    default="rank",
    show_default=True,
    help="Best match first, or newest first.",
)
@click.option(
    "--context",
    "-C",
    "context",
    type=click.IntRange(0, 50),
    default=0,
    metavar="N",
    help="Show the N turns before and after each hit.",
)
@paging_options("turns", default=20)
@click.option(
    "--original",
    is_flag=True,
    help="With each hit, the turn of the other-language version it is linked to (`original`).",
)
@db_option
@output_options
@handle_errors
def search(text, filters, raw, sort, context, limit, offset, original, db_path, as_json, as_nl, as_csv):
    """Turns that say QUERY, best match first, with the matching words highlighted.

    Words are matched with stemming (smuggle finds smuggling); a "quoted
    phrase" (straight or curly quotes) matches exactly those words in that
    order, unstemmed ("trade war" does not find "trade wars"). Punctuation is
    safe: U.S., COVID-19 and a stray quote are searched as words. Ranking is
    BM25 over the turn's text. Filters can also be written into QUERY, outside
    quotes: speaker:"Zhao Lijian", outlet:Reuters, kind:question, source:mfa,
    since:2019, until:2020-03. A QUERY that starts with '-' goes after --.
    When more turns match than are printed, a line under the table (or on
    stderr, for --json, --nl and --csv) says how many, and how to get the rest.

    \b
    Examples:
      briefings search smuggling
      briefings search '"Belt and Road"' --since 2019 --json
      briefings search 'Taiwan outlet:Reuters kind:question' --context 1
      briefings search '臺灣 华为' --lang zh
      briefings search 'vaccin* NOT trial' --raw --csv > hits.csv
      briefings search Taiwan --limit 0 --csv > every-hit.csv
      briefings search Taiwan --offset 20
      briefings search --limit 5 -- -Taiwan
    """
    fmt = _output_format(as_json, as_nl, as_csv)
    rows = run_query(
        db_path,
        query.search,
        text,
        filters,
        limit=limit,
        offset=offset,
        raw=raw,
        sort=sort,
        context=context,
        count=True,
    )
    if not original:
        _print_rows(
            rows,
            fmt,
            render.search_table,
            render.search_keys(context),
            records=render.search_records,
            offset=offset,
        )
        return
    with reading(db_path) as archive:
        found = query.originals(archive.db, rows)
    if fmt:
        records = [dict(rec, original=o) for rec, o in zip(render.search_records(rows), found)]
        if fmt == "csv":  # one cell: where the original is, and its words
            for rec in records:
                o = rec["original"]
                rec["original"] = f"{o['briefing_id']}#{o['seq']}: {o['text']}" if o else ""
        _emit_records(records, fmt, render.search_keys(context) + ("original",))
    else:
        con = render.console()
        if rows:
            con.print(render.search_table(rows))
        elif not offset or not getattr(rows, "total", None):
            con.print("No turns match.")
        for row, o in zip(rows, found):
            if o:
                con.print(render.original_line(row, o))
    tell_more(rows, offset, "turns", fmt)


@cli.command(cls=QueryCommand)
@click.argument("text", metavar="QUERY")
@query_options
@paging_options("speakers")
@db_option
@output_options
@handle_errors
def who(text, filters, raw, limit, offset, db_path, as_json, as_nl, as_csv):
    """Who says QUERY: speakers ranked by their matching turns, with first and last dates.

    QUERY is read as by `briefings search`, filters and all. A question's
    speaker is the outlet that asked it.

    \b
    Examples:
      briefings who "Belt and Road"
      briefings who 'Huawei kind:question' --since 2019 --json
    """
    fmt = _output_format(as_json, as_nl, as_csv)
    rows = run_query(db_path, query.who, text, filters, raw=raw, limit=limit, offset=offset)
    _print_rows(rows, fmt, render.who_table, query.WHO_KEYS, offset=offset, noun="speakers")


@cli.command(cls=QueryCommand)
@click.argument("text", metavar="QUERY")
@query_options
@click.option(
    "--by",
    type=click.Choice(["year", "month"]),
    default="year",
    show_default=True,
    help="One bar per year or per month.",
)
@db_option
@output_options
@handle_errors
def timeline(text, filters, raw, by, db_path, as_json, as_nl, as_csv):
    """How often QUERY is said over time: matching turns per 1,000 turns of each period.

    Each period's count is divided by all the turns of that period that pass
    the same filters, so a busy year does not look like a trend. Every period
    from the first to the last is shown, one with no turns at all as 0 turns,
    so a gap in the archive shows. QUERY is read as by `briefings search`.

    \b
    Examples:
      briefings timeline COVID-19 --by month --since 2020
      briefings timeline 'Hong Kong speaker:"Hua Chunying"' --json
    """
    fmt = _output_format(as_json, as_nl, as_csv)
    rows = run_query(db_path, query.timeline, text, filters, by=by, raw=raw)
    if fmt:
        _emit_records(rows, fmt, query.TIMELINE_KEYS)
        return
    con = render.console()
    if not any(r["matches"] for r in rows):
        con.print("No turns match.")
        return
    con.print(render.timeline_chart(rows, by))


@cli.command(name="list")
@speaker_option
@date_options
@source_option
@lang_option
@paging_options("briefings")
@db_option
@json_option
@handle_errors
def list_(speaker, since, until, source, lang, limit, offset, db_path, as_json):
    """Briefings in the archive, newest first.

    With --speaker, the briefings that person or outlet spoke in or whose
    roster lists them.

    \b
    Examples:
      briefings list --since 2025
      briefings list --speaker "Geng Shuang" --json
    """
    if since and until and since > until:  # as for search: nothing can match, so the command line is wrong
        raise click.UsageError(f"--since {since} is after --until {until}; nothing can match")
    filters = query.Filters(speaker=speaker, since=since, until=until, source=source, lang=lang)
    rows = run_query(db_path, query.list_briefings, filters, limit=limit, offset=offset, count=True)
    _print_rows(
        rows,
        "json" if as_json else None,
        render.list_table,
        None,
        empty="No briefings match.",
        offset=offset,
        noun="briefings",
    )


@cli.command()
@paging_options("speakers")
@db_option
@json_option
@handle_errors
def speakers(limit, offset, db_path, as_json):
    """People and outlets with their roles, turn counts and first and last dates.

    Each is listed under its canonical name; --json adds the other spellings
    (aliases) the archive resolves to it. Roster participants count too: one
    listed but never heard is shown with 0 turns and the briefings listing them.

    \b
    Example:
      briefings speakers --limit 10
    """
    entities = load_entities(db_path)
    with reading(db_path) as archive:
        rows = query.speakers(archive.db, limit=limit, offset=offset)
    for row in rows:
        row["aliases"] = entities.aliases(row["name"])
    _print_rows(
        rows,
        "json" if as_json else None,
        render.speakers_table,
        None,
        empty="The archive has no speakers yet.",
        offset=offset,
        noun="speakers",
    )


def _get(db_path: Path, briefing_id: str) -> dict:
    with open_archive(db_path) as archive:
        b = query.get_briefing(archive.db, briefing_id)
        if b is None:
            near = query.similar_ids(archive.db, briefing_id)
            hint = f"; did you mean {', '.join(near)}?" if near else "; `briefings list` shows the ids"
            raise click.ClickException(f"no briefing with id {briefing_id!r}{hint}")
        query.add_counterparts(archive.db, b)
    return b


@cli.command()
@click.argument("briefing_id", metavar="ID")
@click.option(
    "--original",
    is_flag=True,
    help="Each turn beside the turn(s) of the other-language version it translates.",
)
@db_option
@json_option
@handle_errors
def show(briefing_id, db_path, as_json, original):
    """Read one briefing in the terminal.

    \b
    Example:
      briefings show scio-118230968
    """
    b = _get(db_path, briefing_id)
    if as_json:
        emit(export.to_json(b))
        return
    if original:
        with open_archive(db_path) as archive:
            query.with_originals(archive.db, b)
        render.show_bilingual(render.console(), b)
        return
    render.show_briefing(render.console(), b)


@cli.command(name="export")
@click.argument("briefing_id", metavar="[ID]", required=False)
@click.option(
    "--all",
    "export_all",
    is_flag=True,
    help="Every briefing, one per line (JSON Lines): a backup `briefings ingest FILE.jsonl` restores.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "json", "jsonl"]),
    default=None,
    help="Markdown to read and cite from, JSON for scripts, or JSON Lines (one line per briefing). "
    "[default: md; jsonl with --all]",
)
@click.option(
    "-o",
    "--output",
    type=OutputPath(),
    help="Write to this regular file instead of standard output (- for standard output); "
    "whole or not at all.",
)
@click.option("--force", is_flag=True, help="Replace the output file (or symbolic link) if it exists.")
@click.option(
    "--original",
    is_flag=True,
    help="Markdown: after each turn, the turn(s) of the other-language version it translates.",
)
@db_option
@handle_errors
def export_(briefing_id, export_all, fmt, output, force, original, db_path):
    """Export one briefing as Markdown or JSON, or the whole archive as JSON Lines.

    \b
    Examples:
      briefings export scio-118230968 > customs.md
      briefings export scio-118230968 --format json -o customs.json
      briefings export --all --format jsonl -o backup.jsonl
      briefings ingest backup.jsonl --db restored.db
    """
    if export_all:
        if original:
            raise click.UsageError("--original is for one briefing's Markdown, not --all")
        if briefing_id is not None:
            raise click.UsageError("give an ID or --all, not both")
        if fmt not in (None, "jsonl"):
            raise click.UsageError("--all writes JSON Lines; use --format jsonl (or leave --format out)")
        from . import jsonl

        unreadable: list[tuple[str, str]] = []  # a damaged briefing is named, the rest still saved
        with open_archive(db_path) as archive:
            if output is None:
                for record in jsonl.records(archive.db, unreadable):
                    click.echo(jsonl.line(record), nl=False)
            else:
                with new_file(output, force) as fh:
                    n, rejects = jsonl.write(archive.db, fh, unreadable)
        if output is not None:
            also = f" and {rejects} rejected page{'s' if rejects != 1 else ''}" if rejects else ""
            click.echo(f"wrote {n} briefing{'s' if n != 1 else ''}{also} to {shown(output)}", err=True)
        if unreadable:
            names = ", ".join(name for name, _ in unreadable)
            raise click.ClickException(
                f"{len(unreadable)} record{'s' if len(unreadable) != 1 else ''} could not be read and "
                f"{'were' if len(unreadable) != 1 else 'was'} not written: {names}; `briefings check` names the "
                "damage, and re-ingesting their pages or backup rewrites them"
            )
        return
    if briefing_id is None:
        raise click.UsageError("give the ID of a briefing (see `briefings list`), or --all for every one")
    if original and fmt not in (None, "md"):
        raise click.UsageError(
            "--original writes a bilingual Markdown document; the JSON export already "
            "gives each turn its counterpart"
        )
    b = _get(db_path, briefing_id)
    fmt = fmt or "md"
    if fmt == "jsonl":
        from .jsonl import line

        text = line(b)
    else:
        if original and fmt == "md":
            with open_archive(db_path) as archive:
                query.with_originals(archive.db, b)
            text = export.to_bilingual_markdown(b)
        else:
            text = export.to_markdown(b) if fmt == "md" else export.to_json(b)
    if output is None:
        emit(text)
        return
    write_new_file(output, text, force)
    click.echo(f"wrote {shown(output)}", err=True)


@cli.command()
@click.argument("paths", nargs=-1, type=InputPath())
@click.option("--source", type=click.Choice(FAMILIES), help="With PATHS: treat every page as this family.")
@click.option(
    "--limit",
    "-n",
    type=click.IntRange(1, None),
    default=10,
    show_default=True,
    help="Cases shown per check (--json shows all).",
)
@db_option
@json_option
@handle_errors
def quality(paths, source, limit, db_path, as_json):
    """Where attribution may be wrong or text lost: read this after each crawl.

    Over the archive, or with PATHS over raw pages without storing them:
    unknown speaker labels by frequency, turns with no speaker, briefings with
    no questions or no answers, question/answer breaks, incomplete
    transcripts, rejected pages with reasons, and paragraphs that still begin
    like a speaker label.

    \b
    Examples:
      briefings quality
      briefings quality data/raw/mfa --json
    """
    from . import quality as q

    entities = load_entities(db_path)
    if paths:
        report = q.from_pages(paths, entities, source)
    else:
        with open_archive(db_path) as archive:
            report = q.from_archive(archive.db, entities)
    if as_json:
        emit(render.dumps(report.to_dict()))
    else:
        for line in report.lines(limit):
            click.echo(line)
    if report.damaged:
        first = report.damaged[0][1]
        more = f" (and {len(report.damaged) - 1} more, listed above)" if len(report.damaged) > 1 else ""
        raise click.ClickException(f"{first}{more}")


@cli.command()
@click.option(
    "--repair",
    is_flag=True,
    help="Mend what can be mended in place (search indexes, the schema's indexes and triggers, rows "
    "whose briefing is gone, control characters), then check again.",
)
@db_option
@json_option
@handle_errors
def check(repair, db_path, as_json):
    """Check the archive is whole: exit 1 and one line per problem if not.

    Checks SQLite's own integrity; that every table, index and trigger the
    schema declares is there; that each search index matches the turns (FTS5
    integrity-check and a row-by-row comparison); that no turn, participant or
    change record has lost its briefing; that each briefing holds turns, as
    many as it says, numbered 1, 2, 3 ... without gaps; that each answer's
    question is there; that JSON columns hold JSON; and that no stored text
    holds control characters. Each problem names what mends it: `--repair`,
    re-ingesting the briefing's pages or backup, or a backup of the archive.
    Without --repair nothing is changed.

    \b
    Examples:
      briefings check
      briefings check --json --db backup.db
      briefings check --repair
    """
    from .check import check_archive

    repaired: list[str] = []
    with open_archive(db_path) as archive:  # refuses a missing or foreign file before anything is written
        if not repair:
            report = check_archive(archive.db.conn, archive.path)
    if repair:
        with open_archive(db_path, write=True) as archive:
            repaired = archive.repair()
            report = check_archive(archive.db.conn, archive.path)
    if as_json:
        emit(render.dumps({**report.to_dict(), **({"repaired": repaired} if repair else {})}))
    else:
        for line in repaired:
            click.echo(f"repaired: {line}")
        for p in report.problems:
            click.echo(f"{p.check}: {p.message}")
        skipped = f"; skipped: {'; '.join(report.skipped)}" if report.skipped else ""
        if report.ok:
            left = "no problems left" if repair else "no problems found"
            click.echo(f"ok: {report.briefings} briefings, {report.turns} turns, {left}{skipped}")
        else:
            for note in report.skipped:
                click.echo(f"skipped: {note}")
    if not report.ok:
        sys.exit(1)


@cli.command()
@click.argument("briefing_id", metavar="ID")
@db_option
@json_option
@handle_errors
def compare(briefing_id, db_path, as_json):
    """What one language version of a briefing left out that the other keeps.

    Lists the turns of ID with no counterpart in its other-language version
    (a question and answer the other version lacks), then the turns of the
    other version with none in ID, each with its text, and the turn links the
    aligner was unsure of.

    \b
    Examples:
      briefings compare mfa-1729013
      briefings compare mfa-1729013 --json
    """
    with reading(db_path) as archive:
        found = query.compare(archive.db, briefing_id)
        if found is None:
            near = query.similar_ids(archive.db, briefing_id)
            hint = f"; did you mean {', '.join(near)}?" if near else "; `briefings list` shows the ids"
            raise click.ClickException(f"no briefing with id {briefing_id!r}{hint}")
    if found["counterpart"] is None:
        raise click.ClickException(
            f"{briefing_id} has no counterpart in the archive: its other-language version is not stored "
            "(ingest it, and the two are paired)"
        )
    if as_json:
        emit(render.dumps(found))
        return
    here, there = found["id"], found["counterpart"]["id"]
    lang, other_lang = found["language"], found["counterpart"]["language"]
    click.echo(
        f"{here} ({lang}) and {there} ({other_lang}): {len(found['only_here'])} turn(s) only in {here}, "
        f"{len(found['only_there'])} only in {there}"
    )
    for title, turns in (
        (f"Only in {here} ({lang}), left out of {there}", found["only_here"]),
        (f"Only in {there} ({other_lang}), left out of {here}", found["only_there"]),
    ):
        if not turns:
            continue
        click.echo("")
        click.echo(f"{title}:")
        for t in turns:
            who = (
                t["outlet"]
                if t["kind"] == "question" and t["outlet"]
                else t["speaker"] or t["label"] or "unattributed"
            )
            click.echo(f"  #{t['seq']} {t['kind']}, {who}")
            for para in t["text"].split("\n\n"):
                click.echo(f"    {para}")
    if found["unsure"]:
        click.echo("")
        click.echo(f"Unsure links (score below {query.UNSURE}):")
        for u in found["unsure"]:
            click.echo(f"  #{u['seq']} -> {there}#{','.join(map(str, u['counterpart']))}: {u['score']:.2f}")


@cli.command(cls=QueryCommand)
@click.argument("quote", metavar="QUOTE")
@speaker_option
@date_options
@source_option
@lang_option
@click.option(
    "--limit",
    "-n",
    type=click.IntRange(1, 100),
    default=5,
    show_default=True,
    help="At most this many passages.",
)
@db_option
@json_option
@handle_errors
def verify(quote, speaker, since, until, source, lang, limit, db_path, as_json):
    """Did the spokesperson say QUOTE? The closest passages, best first, with what differs.

    QUOTE may be trimmed, joined with an ellipsis (...), reworded or
    translated from print; '-' reads it from standard input. Each passage
    gets a verdict: verbatim (the same words; case, punctuation and quote
    marks aside), close (a word dropped or changed, spelling, an ellipsis),
    paraphrase (the same passage reworded or reordered), or not found (exit
    status 1). In the official wording, [-words] are the record's words the
    quote leaves out and [+words] the quote's words the record does not have.
    Without --lang the quote is checked against briefings in its own language.
    A passage whose briefing has a version in the other language is followed
    by the turn it is linked to there.

    \b
    Examples:
      briefings verify "China firmly opposes"
      briefings verify 'We noted the reports ... China Customs found repeated violations'
      pbpaste | briefings verify - --speaker "Zhao Lijian" --since 2020 --json
    """
    from . import verify as checking

    if quote == "-":
        quote = sys.stdin.read()
    if not quote.strip():
        raise click.UsageError("empty quote: give the words to check")
    filters = query.Filters(speaker=speaker, since=since, until=until, source=source)
    notes: list[str] = []
    with reading(db_path) as archive:
        result = checking.verify(
            archive.db, quote, filters, lang=lang, limit=limit, entities=load_entities(db_path), notes=notes
        )
    for note in notes:
        click.echo(f"note: {note}", err=True)
    if as_json:
        emit(render.dumps(result))
    else:
        render.console().print(checking.render(result))
    if result["verdict"] == checking.NOT_FOUND:
        sys.exit(1)


# -- staying current: update and watch ------------------------------------------------------


def _base_urls(ctx, param, values):
    """--base-url SOURCE=URL, repeated: a mirror per source."""
    out = {}
    for value in values:
        source, sep, url = value.partition("=")
        if not sep or source not in FETCH_SOURCES:
            raise click.BadParameter(
                f"{value!r} is not SOURCE=URL with SOURCE one of {', '.join(FETCH_SOURCES)}"
            )
        _check_urls([url], f"--base-url {source}=")
        out[source] = url
    return out


@cli.command(name="update")
@click.argument("sources", nargs=-1, type=click.Choice(FETCH_SOURCES), metavar="[SOURCE]...")
@click.option(
    "--since",
    callback=_date_callback(False),
    metavar="DATE",
    help="Crawl listings from this day (default: the last update less --recheck days; "
    "on a first update, the last 30 days).",
)
@click.option(
    "--recheck",
    type=click.IntRange(0, 366),
    default=7,
    show_default=True,
    metavar="DAYS",
    help="Ask again for the transcripts listed this many days before the last update, "
    "to see corrections (conditional requests).",
)
@click.option(
    "--today",
    callback=_date_callback(False),
    metavar="DATE",
    help="Update as of this day: listings dated after it wait (to replay a mirror of a past day).",
)
@click.option(
    "--base-url",
    "base_urls",
    multiple=True,
    metavar="SOURCE=URL",
    callback=_base_urls,
    help="Crawl a mirror of SOURCE at URL instead of the live site; repeat for more sources.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing when every page was had.")
@raw_dir_option
@rate_option
@timeout_option
@insecure_option
@db_option
@json_option
@handle_errors
def update_(
    sources, since, recheck, today, base_urls, quiet, raw_dir, rate, timeout, insecure_http, db_path, as_json
):
    """Crawl, fetch and ingest what each source published since the last update.

    With no SOURCE, every source. Prints one line: the new briefings, the
    updated ones, the pages fetched and failed, and what the watches found
    in them (`briefings watch run` shows those). Each page that could not be
    had is a line on stderr, and the exit status is 1; the next update asks
    for it again. Two updates of one archive never overlap: a second one
    says so and exits 1.

    \b
    Examples:
      briefings update
      briefings update mfa --since 2020-06-01
      briefings update -q        # from cron: silent unless a page failed
      briefings update mfa --base-url mfa=http://127.0.0.1:8000 --json
    """
    import datetime as dt

    from . import update as updating

    sources = sources or FETCH_SOURCES
    since = dt.date.fromisoformat(since) if since else None
    today = dt.date.fromisoformat(today) if today else None
    if since and today and since > today:
        raise click.UsageError("--since is after --today")
    entities = load_entities(db_path)
    try:
        with updating.locked(db_path), open_archive(db_path, write=True) as archive:
            report = updating.update(
                archive,
                sources,
                entities=entities,
                raw_dir=raw_dir,
                since=since,
                today=today,
                recheck=recheck,
                base_urls=base_urls,
                rate=rate,
                timeout=timeout,
                insecure_http=insecure_http,
            )
    except updating.Busy as exc:
        raise click.ClickException(str(exc)) from None
    except ValueError as exc:  # a window crawl refuses (--today before the last update)
        raise click.UsageError(str(exc)) from None
    if as_json:
        emit(render.dumps(report.to_dict()))
    else:
        for line in report.failures():
            click.echo(printable(line), err=True)
        if not (quiet and report.ok):
            click.echo(report.summary())
    if not report.ok:
        sys.exit(1)


class WatchGroup(click.Group):
    command_class = TextCommand


@cli.group(cls=WatchGroup)
def watch():
    """Saved searches, and what is new for each since it last ran.

    \b
    Examples:
      briefings watch add hk '"Hong Kong"' --speaker "Zhao Lijian"
      briefings watch list
      briefings watch run --md
      briefings watch run hk --atom hk.xml
      briefings watch remove hk
    """


def _watch_errors(f):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        from .watch import WatchError

        try:
            return f(*args, **kwargs)
        except WatchError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


class WatchAddCommand(QueryCommand):
    """`watch add NAME QUERY`: the hint for a QUERY that starts with '-' names the whole command."""

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except click.BadArgumentUsage as exc:
            exc.message = exc.message.replace(
                f"briefings {ctx.info_name} -- ", "briefings watch add NAME -- "
            )
            raise


@watch.command(name="add", cls=WatchAddCommand)
@click.argument("name")
@click.argument("text", metavar="QUERY")
@query_options
@db_option
@json_option
@handle_errors
@_watch_errors
def watch_add(name, text, filters, raw, db_path, as_json):
    """Save QUERY, with its filters, as the watch NAME.

    The query and filters are those of `search`. What the archive holds now
    counts as seen: `watch run` shows what comes after.

    \b
    Examples:
      briefings watch add hk '"Hong Kong"'
      briefings watch add reuters-taiwan 'Taiwan outlet:Reuters kind:question'
      briefings watch add huawei 华为 --lang zh
    """
    from . import watch as watching

    notes: list[str] = []
    with open_archive(db_path, write=True) as archive:
        w, n = watching.add(
            archive, name, text, filters, raw=raw, entities=load_entities(db_path), notes=notes
        )
    for note in notes:
        click.echo(f"note: {note}", err=True)
    if as_json:
        emit(render.dumps({**w.to_dict(), "matching": n}))
    else:
        click.echo(
            f"watch {w.name} saved: {n} turn{'s' if n != 1 else ''} match now; "
            f"`briefings watch run {w.name}` shows what comes after"
        )


@watch.command(name="list")
@db_option
@json_option
@handle_errors
def watch_list(db_path, as_json):
    """The saved watches, with their queries and when each last ran.

    \b
    Example:
      briefings watch list --json
    """
    from . import watch as watching

    with reading(db_path) as archive:
        found = [(w, watching.seen_count(archive.db, w.name)) for w in watching.watches(archive.db)]
    if as_json:
        emit(render.dumps([{**w.to_dict(), "seen": n} for w, n in found]))
        return
    if not found:
        click.echo("No watches; add one with `briefings watch add NAME QUERY`.")
        return
    for w, n in found:
        click.echo(f"{w.name}\t{w.described()}\tlast run {w.last_run or 'never'}, {n} turns seen")


@watch.command(name="remove")
@click.argument("name")
@db_option
@json_option
@handle_errors
@_watch_errors
def watch_remove(name, db_path, as_json):
    """Delete the watch NAME and what it has seen.

    \b
    Example:
      briefings watch remove hk
    """
    from . import watch as watching

    with open_archive(db_path, write=True) as archive:
        w = watching.remove(archive, name)
    if as_json:
        emit(render.dumps({"removed": w.to_dict()}))
    else:
        click.echo(f"removed watch {w.name}")


@watch.command(name="run")
@click.argument("name", required=False)
@click.option("--md", "as_md", is_flag=True, help="Print a Markdown digest (nothing when nothing is new).")
@click.option("--nl", "as_nl", is_flag=True, help="Print newline-delimited JSON, one hit a line.")
@click.option(
    "--atom",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Add the hits to the Atom feed FILE (made if absent; earlier entries kept).",
)
@click.option("--dry-run", is_flag=True, help="Show the hits without remembering them as seen.")
@db_option
@json_option
@handle_errors
@_watch_errors
def watch_run(name, as_md, as_nl, atom, dry_run, db_path, as_json):
    """The hits of each watch (or NAME's) that are new since it last ran: new turns, and
    turns whose words changed, with the words they replaced. Then remembers them.

    \b
    Examples:
      briefings watch run
      briefings watch run hk --json
      briefings watch run --md | mail -s "briefings" me@example.org
      briefings watch run --atom watches.xml
    """
    from . import watch as watching

    chosen = [n for n, on in (("--json", as_json), ("--nl", as_nl), ("--md", as_md)) if on]
    if len(chosen) > 1:
        raise click.UsageError(f"choose one of {' and '.join(chosen)}")
    notes: list[str] = []
    with open_archive(db_path, write=True) as archive:
        names = [name] if name else None
        watched = watching.watches(archive.db, names)
        hits = watching.run(archive, names, entities=load_entities(db_path), advance=False, notes=notes)
        when = watching.now()
        if atom is not None:
            from . import atom as feeds

            if name:
                feed_id, title = watching.TAG + "watch/" + quote_tag(name), f"briefings: watch {name}"
            else:
                feed_id, title = watching.TAG + "watches", "briefings: watches"
            try:
                entries = feeds.write(atom, hits, when, title, feed_id)
            except feeds.FeedError as exc:
                raise click.ClickException(printable(str(exc))) from None
            if hits:
                n = len(hits)
                click.echo(
                    f"wrote {shown(atom)}: {n} hit{'s' if n != 1 else ''} added, {entries} entries in all",
                    err=True,
                )
        if as_json:
            emit(render.dumps(hits))
        elif as_nl:
            click.echo(render.ndjson(hits), nl=False)
        elif as_md:
            click.echo(watching.markdown(hits, watched, when), nl=False)
        elif atom is None:
            if hits:
                render.console().print(watching.table(hits))
            else:
                click.echo("No new hits.")
        if not dry_run:
            watching.remember(archive, [w.name for w in watched], hits)
    for note in notes:
        click.echo(f"note: {note}", err=True)


def quote_tag(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="-._~")


def main() -> None:  # pragma: no cover - the console script entry point
    cli(prog_name="briefings")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8001,
    show_default=True,
    help="Port; 0 lets the OS choose.",
)
@db_option
@handle_errors
def serve(host, port, db_path):
    """A read-only web interface on the archive: search, transcripts, quality.

    Pages: / (latest briefings), /search?q=... (the query language and filters
    of `briefings search`, with facets, who and timeline views),
    /search.json?q=... (what `search --json` prints), /briefing/ID (turns
    anchored #t<seq>, the other-language version beside), /quality.

    \b
    Example:
      briefings serve --db data/archive.db --port 8001
    """
    from . import web

    web.serve(
        db_path,
        host,
        port,
        on_ready=lambda url: click.echo(f"Serving {url} (read-only); Ctrl-C stops", err=True),
    )


if __name__ == "__main__":  # pragma: no cover
    main()
