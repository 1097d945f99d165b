"""Shared plumbing for the CLI: global state, settings loading, JSON output and error handling."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NoReturn
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import InterfaceError, OperationalError

from connectors.redact import mask_nips
from sbt_sync.errors import SbtError

if TYPE_CHECKING:
    from sbt_sync.settings import Settings


@dataclass
class State:
    """What the root callback learned from the global options."""

    debug: bool = False
    config_path: str | None = None
    _settings: Settings | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        """The deployment's settings, loaded once per command (secrets are checked by the caller)."""
        if self._settings is None:
            from sbt_sync.settings import load_settings

            self._settings = load_settings(self.config_path)
            _loaded.append(self._settings)
        return self._settings


_loaded: list[Settings] = []
"""Settings the running command loaded: an error message names its database from them."""


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    if not isinstance(obj, State):  # invoked without the root callback (tests calling a sub-app)
        obj = State()
        ctx.find_root().obj = obj
    return obj


def emit_json(data: Any) -> None:
    """Print one JSON document on stdout (dates and paths as strings)."""
    typer.echo(json.dumps(data, default=str, ensure_ascii=False, indent=2))


def run_main(app: typer.Typer) -> None:
    """Run ``app`` with the CLI's exit-code and error conventions.

    Typer's standalone mode already answers ``--help`` (0), bad usage (2) and aborts (1) and exits;
    what reaches this function is a failure of the command itself.
    """
    debug = "--debug" in sys.argv[1:]
    try:
        app()
    except SbtError as exc:
        if debug:
            raise
        _fail(f"error: {exc}")
    except (OperationalError, InterfaceError) as exc:
        if debug:
            raise
        _fail(f"error: {database_error(exc, _loaded[-1].database_url if _loaded else None)}")
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        _fail(f"error: {type(exc).__name__}: {exc} (run with --debug for the traceback)")


def _fail(line: str) -> NoReturn:
    """The failure's line on stderr with every NIP masked (a message may repeat a case key or a NIP
    the user typed; stderr ends up in cron mail and job logs), then exit 1."""
    typer.echo(mask_nips(line), err=True)
    sys.exit(1)


def database_error(exc: OperationalError | InterfaceError, url: str | None) -> str:
    """One line for a failure to reach or use the product database: which database (password
    hidden), the driver's first line (not SQLAlchemy's four with a link), and what to do."""
    from sbt_sync.db.engine import redact_url

    where = f"the product database {redact_url(url)}" if url else "the product database"
    lines = str(exc.orig if exc.orig is not None else exc).strip().splitlines() or [type(exc).__name__]
    detail = lines[0].strip()
    if exc.statement is None:  # failed while connecting: the server is down, unreachable or refusing us
        return (
            f"cannot connect to {where}: {detail}; start the database, or point SBT_DATABASE_URL "
            "(or database.url in sbt.yaml) at a running one"
        )
    return f"{where} failed: {detail} (is its schema current? sbt-sync db upgrade; --debug shows more)"


@contextmanager
def progress_bar(
    description: str, total: int | None, *, quiet: bool = False
) -> Iterator[Callable[[int], None]]:
    """A progress bar with rows per second on standard error; yields ``advance_to(done)``.

    Drawn only on a terminal (rich leaves a pipe or a log file alone); ``quiet`` (e.g. ``--json``) draws
    nothing.
    """
    if quiet:
        yield lambda done: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
    )
    console = Console(stderr=True)
    with Progress(*columns, console=console, transient=False, disable=not console.is_terminal) as bar:
        task = bar.add_task(description, total=total, rate="")
        started = time.monotonic()

        def advance_to(done: int) -> None:
            elapsed = time.monotonic() - started
            rate = f"{done / elapsed:,.0f} rows/s" if elapsed > 0 else ""
            bar.update(task, completed=done, rate=rate)

        yield advance_to


@contextmanager
def stage_lines(description: str, *, quiet: bool = False) -> Iterator[Callable[[str, int], None]]:
    """Work in stages on standard error: a spinner with the elapsed time while a stage runs, and a
    line per stage as it ends with its rows and rows/s; yields ``ended(stage, rows)``."""
    if quiet:
        yield lambda stage, rows: None
        return
    console = Console(stderr=True)
    with console.status(description):
        last = time.monotonic()

        def ended(stage: str, rows: int) -> None:
            nonlocal last
            now = time.monotonic()
            seconds, last = now - last, now
            rate = f", {rows / seconds:,.0f} rows/s" if seconds > 0 and rows else ""
            console.print(f"  {stage}: {rows:,} in {seconds:.1f} s{rate}", highlight=False)

        yield ended


def day_option(value: str | None, timezone: str, *, hint: str = "--as-of", allow_future: bool = True) -> date:
    """The day an ``--as-of`` option names (YYYY-MM-DD), or today in ``timezone`` when not given.

    ``allow_future`` False: a day after today is refused. Control steps and letters recorded for a
    day that has not come (a year typed wrong) would go out as if it had.
    """
    today = datetime.now(ZoneInfo(timezone)).date()
    if value is None:
        return today
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"expected a day as YYYY-MM-DD, got {value!r}", param_hint=hint) from None
    if not allow_future and day > today:
        raise typer.BadParameter(
            f"{day.isoformat()} is after today ({today.isoformat()} in {timezone}): steps and letters are "
            "recorded only for days that have come",
            param_hint=hint,
        )
    return day
