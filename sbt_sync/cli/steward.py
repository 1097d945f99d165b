"""``sbt-sync steward serve``: the web console and the /api/v1 JSON API."""

from __future__ import annotations

from typing import Annotated

import typer

from sbt_sync.cli.common import state
from sbt_sync.db import migrate
from sbt_sync.db.engine import Database, redact_url

app = typer.Typer(help="The stewards' web console.", no_args_is_help=True)


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to listen on (default: console.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: console.port).")] = None,
) -> None:
    """Serve the console until interrupted (put TLS in front of it outside loopback)."""
    import uvicorn

    from sbt_sync.console.app import create_app

    settings = state(ctx).settings()
    database = Database(settings.database_url, echo=settings.database.echo)
    migrate.upgrade(database)
    app = create_app(settings, database)
    bind_host, bind_port = host or settings.console.host, port or settings.console.port
    typer.echo(
        f"steward console on http://{bind_host}:{bind_port}/ (database {redact_url(settings.database_url)})"
    )
    uvicorn.run(app, host=bind_host, port=bind_port, log_level="info", access_log=False, proxy_headers=False)
