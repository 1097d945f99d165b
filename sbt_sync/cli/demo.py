"""``sbt-sync demo``: run the main job end to end on the embedded defaults."""

from __future__ import annotations

from typing import Annotated

import typer

from sbt_sync.cli.common import emit_json, state
from sbt_sync.db import migrate
from sbt_sync.db.engine import Database, redact_url
from sbt_sync.db.status import database_status
from sbt_sync.errors import SbtError


def demo(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False
) -> None:
    """Migrate the product database and run one full cycle through Dagster.

    The sandbox, ingestion, reconciliation, enforcement and push stages join this demo as they are
    built; today it runs what exists and says so.
    """
    from sbt_sync.definitions import FULL_CYCLE_JOB, run_full_cycle

    settings = state(ctx).settings()
    database = Database(settings.database_url)
    typer.echo(f"1/2 migrating the product database {redact_url(database.url)}", err=True)
    migrate.upgrade(database)
    typer.echo(
        f"2/2 running the Dagster job '{FULL_CYCLE_JOB}' (storage: {settings.project_dir / 'var/dagster'})",
        err=True,
    )
    result = run_full_cycle(config_path=settings.config_path, project_dir=settings.project_dir)
    if not result.success:
        raise SbtError(f"the Dagster run {result.run_id} failed; see `dagster dev` or the run's logs")
    status = database_status(database)
    database.dispose()
    materialized = sorted(
        "/".join(event.asset_key.path)
        for event in result.get_asset_materialization_events()
        if event.asset_key
    )
    summary = {
        "database": status.url,
        "schema_revision": status.revision,
        "dagster_run_id": result.run_id,
        "materialized": materialized,
        "row_counts": status.row_counts,
        "pipeline_stages_built": ["database", "dagster"],
        "pipeline_stages_pending": ["sandbox", "ingestion", "reconciliation", "enforcement", "push", "recap"],
    }
    if as_json:
        emit_json(summary)
        return
    typer.echo("")
    typer.echo("sbt-sync demo")
    typer.echo(f"  product database  {status.url} at schema {status.revision}")
    typer.echo(f"  Dagster run       {result.run_id} succeeded; materialized {', '.join(materialized)}")
    typer.echo(f"  tables            {len(status.row_counts)} ({sum(status.row_counts.values())} rows)")
    typer.echo("")
    typer.echo("Not built yet: the sandbox, ingestion, reconciliation, enforcement, SIASN push and recap.")
    typer.echo("This demo ran what exists: the database migration and one Dagster cycle.")
    typer.echo("Look next: `sbt-sync db status`, or the Dagster UI with `make dagster-dev`.")
