"""``sbt-sync enforce run``: apply the enforcement policy to the golden cases at a day."""

from __future__ import annotations

from typing import Annotated

import typer

from sbt_sync.cli.common import day_option, emit_json, state
from sbt_sync.db.engine import Database

app = typer.Typer(help="Decide control actions and block flags from the golden cases.", no_args_is_help=True)


@app.command("run")
def run_enforce(
    ctx: typer.Context,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The day to decide for, YYYY-MM-DD (default: today).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Record new control actions, update the desired block state and queue the SIASN changes."""
    from sbt_sync.enforce import run_enforcement

    settings = state(ctx).settings()
    # Deadlines are calendar days where the agencies work.
    day = day_option(as_of, settings.schedule.timezone, allow_future=False)
    database = Database(settings.database_url, echo=settings.database.echo)
    try:
        with database.session() as session:
            report = run_enforcement(session, settings.enforcement, day)
    finally:
        database.dispose()
    data = report.as_dict()
    if as_json:
        emit_json(data)
        return
    actions = ", ".join(f"{k} {v}" for k, v in data["new_actions"].items()) or "none"
    typer.echo(f"as of {day}: {data['cases']} case(s); new control actions: {actions}; holds {data['holds']}")
    if data["held_cases"]:
        typer.echo("held (open critical conflicts, never blocked): " + ", ".join(data["held_cases"]))
    changes = data["changes"]
    typer.echo(
        f"blocked NIPs {data['blocked_nips']}; changes: blokir {changes['blokir']}, buka {changes['buka']} "
        f"({data['outbox_rows']} outbox row(s))"
    )
    if report.approval_id is not None and report.guard is not None:
        typer.echo(
            f"change guard: {report.guard.reason}; the push waits -> "
            f"sbt-sync push approve {report.approval_id} --reason ..."
        )
