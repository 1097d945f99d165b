"""``sbt-sync db``: migrate and inspect the product database."""

from __future__ import annotations

from typing import Annotated

import typer

from sbt_sync.cli.common import emit_json, state
from sbt_sync.db import migrate
from sbt_sync.db.engine import Database, redact_url
from sbt_sync.db.status import database_status

app = typer.Typer(help="Migrate and inspect the product database.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _database(ctx: typer.Context) -> Database:
    settings = state(ctx).settings()
    return Database(settings.database_url, echo=settings.database.echo)


@app.command()
def upgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    as_json: JsonFlag = False,
) -> None:
    """Migrate the database up to the latest schema (safe to run again)."""
    database = _database(ctx)
    before = migrate.current_revision(database)
    migrate.upgrade(database, revision)
    after = migrate.current_revision(database)
    if as_json:
        emit_json({"database": redact_url(database.url), "from": before, "to": after})
    else:
        typer.echo(f"{redact_url(database.url)}: schema {before or 'empty'} -> {after}")
    database.dispose()


@app.command()
def downgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision; 'base' drops every table.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Migrate the database down to REVISION (destroys the data of the tables it drops)."""
    database = _database(ctx)
    if not yes:
        typer.confirm(f"Downgrade {redact_url(database.url)} to {revision}? Data may be lost", abort=True)
    migrate.downgrade(database, revision)
    typer.echo(f"{redact_url(database.url)}: schema now {migrate.current_revision(database) or 'empty'}")
    database.dispose()


@app.command()
def status(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Show the schema revision and the row count of every table."""
    database = _database(ctx)
    st = database_status(database)
    database.dispose()
    if as_json:
        emit_json(
            {
                "database": st.url,
                "dialect": st.dialect,
                "revision": st.revision,
                "head": st.head,
                "current": st.current,
                "row_counts": st.row_counts,
            }
        )
        return
    typer.echo(f"database  {st.url} ({st.dialect})")
    hint = "" if st.current else "  -> run: sbt-sync db upgrade"
    typer.echo(f"revision  {st.revision or 'none'} (head {st.head}){hint}")
    for table, count in st.row_counts.items():
        typer.echo(f"  {table:<22} {count:>10,}")


@app.command()
def runs(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most this many runs.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Show the latest runs of the run ledger: job, status, when, failed steps and why."""
    from sbt_sync.runs import recent

    database = _database(ctx)
    rows = recent(database, limit=limit)
    database.dispose()
    if as_json:
        emit_json({"runs": [row.as_dict() for row in rows]})
        return
    if not rows:
        typer.echo("no run recorded yet")
    for row in rows:
        failed = f"  failed: {', '.join(row.failed_steps)}" if row.failed_steps else ""
        typer.echo(
            f"{row.started_at.isoformat(timespec='seconds')}  {row.job:<18} {row.status:<9} "
            f"{len(row.steps):>3} steps{failed}  run {row.run_id}"
        )
        if row.error:
            typer.echo(f"    {row.error}")
