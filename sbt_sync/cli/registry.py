"""``sbt-sync registry``: the SIASN registry mirror outside Dagster (what ``registry_refresh`` runs)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from sbt_sync.cli.common import emit_json, progress_bar, state
from sbt_sync.db.engine import Database
from sbt_sync.errors import SbtError

app = typer.Typer(help="Mirror SIASN's registry of ASN (the identity reference).", no_args_is_help=True)


@app.command("refresh")
def refresh_command(
    ctx: typer.Context,
    full: Annotated[
        bool,
        typer.Option("--full", help="Re-read the whole registry (the registry_refresh job's pass)."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Bring the mirror up to date: the whole listing with --full or while the mirror is empty (the
    first load, about 4.3 million rows nationally); otherwise the rows SIASN changed since the last
    pass and a lookup of the ASN in open, held or blocked cases, as every cycle does."""
    from sbt_sync.db.status import estimated_rows
    from sbt_sync.ingest.connections import siasn_client
    from sbt_sync.ingest.registry import mirror_is_empty, refresh_mirror

    settings = state(ctx).settings()
    siasn = settings.siasn
    if siasn is None:
        raise SbtError(f"{state(ctx).config_path}: no siasn section, so there is no registry to mirror")
    database = Database(settings.database_url, echo=settings.database.echo)
    client = siasn_client(settings)
    try:
        with database.session() as session:
            total = None if mirror_is_empty(session) else estimated_rows(session, "asn_registry")
        label = "registry (whole listing)" if full or total is None else "registry (changes, lookups)"
        with progress_bar(label, total if full else None, quiet=as_json) as advance_to:
            passes = refresh_mirror(
                database,
                client,
                full=full,
                changed_since=siasn.registry_changed_since,
                overlap=timedelta(minutes=siasn.registry_changes_overlap_minutes),
                lookup_concurrency=siasn.registry_lookup_concurrency,
                on_rows=advance_to,
            )
    finally:
        client.close()
        database.dispose()
    if as_json:
        emit_json({name: result.as_dict() for name, result in passes.items()})
        return
    for name, result in passes.items():
        rate = f", {result.fetched / result.seconds:,.0f} rows/s" if result.seconds else ""
        typer.echo(
            f"{name}: {result.fetched:,} read ({result.new:,} new, {result.changed:,} changed, "
            f"{result.rejected:,} rejected, {result.not_found:,} not found) in {result.seconds:.1f} s{rate}; "
            f"{result.staged_flagged:,} staged rows marked for reconciliation"
            + ("" if result.completed else " (pass not completed: the next one resumes)")
        )
