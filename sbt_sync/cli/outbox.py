"""What ``sbt-sync push`` and ``sbt-sync notify`` share: both drain an outbox (SIASN block flags,
letters by mail) and offer the same steward commands over it: a dry run, the status per state, and an
audited retry of parked rows."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any, Protocol

import typer
from sqlalchemy.orm import Session

from sbt_sync.cli.common import emit_json, state
from sbt_sync.db.engine import Database
from sbt_sync.settings import Settings

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (recorded in the audit log).")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="List what would be sent; send nothing.")]


class Retry(Protocol):
    """``push.admin.retry`` and ``notify.admin.retry_mail``: make parked rows due again (audited)."""

    def __call__(self, session: Session, row_ids: Sequence[int] = (), *, reason: str, actor: str) -> int: ...


def with_database(ctx: typer.Context, work: Callable[[Settings, Database], Any]) -> Any:
    """Run ``work`` with the settings and a database that is disposed of afterwards."""
    settings = state(ctx).settings()
    database = Database(settings.database_url, echo=settings.database.echo)
    try:
        return work(settings, database)
    finally:
        database.dispose()


def show_planned(
    rows: Sequence[dict[str, Any]],
    *,
    noun: str,
    json_key: str,
    as_json: bool,
    lines: Callable[[dict[str, Any]], Iterable[str]],
) -> None:
    """A dry run's answer: ``{"dry_run": true, json_key: rows}``, or a count and each row's ``lines``."""
    if as_json:
        emit_json({"dry_run": True, json_key: list(rows)})
        return
    typer.echo(f"dry run: {len(rows)} {noun}(s) would be sent (nothing sent)")
    for row in rows:
        for line in lines(row):
            typer.echo(line)


def echo_counts(counts: Mapping[str, int]) -> None:
    """The status's first line: outbox rows per state."""
    typer.echo("outbox  " + ", ".join(f"{k} {v}" for k, v in counts.items()))


def retry_parked(
    ctx: typer.Context,
    retry: Retry,
    ids: Sequence[int] | None,
    reason: str,
    *,
    done: str,
    as_json: bool = False,
) -> None:
    """Make parked rows (all of them without ``ids``) due again as the OS user (audited); ``done``
    is formatted with ``count``."""

    def work(settings: Settings, database: Database) -> None:
        with database.session() as session:
            count = retry(session, ids or [], reason=reason, actor=getpass.getuser())
        if as_json:
            emit_json({"rows": count})
        else:
            typer.echo(done.format(count=count))

    with_database(ctx, work)
