"""``sbt-sync config``: validate and show the deployment's configuration."""

from __future__ import annotations

from typing import Annotated

import typer
import yaml

from sbt_sync.cli.common import emit_json, state
from sbt_sync.db.engine import redact_url

app = typer.Typer(help="Validate and show sbt.yaml.", no_args_is_help=True)


@app.command()
def check(
    ctx: typer.Context,
    secrets: Annotated[
        bool, typer.Option("--secrets/--no-secrets", help="Also require every referenced secret to be set.")
    ] = True,
) -> None:
    """Validate sbt.yaml (unknown keys, types) and that every secret it references is set."""
    settings = state(ctx).settings()
    if secrets:
        settings.check_secrets()
    typer.echo(f"{settings.config_path}: ok ({len(settings.sources)} sources)")


@app.command()
def show(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Print the effective configuration (secrets appear only as environment-variable names)."""
    settings = state(ctx).settings()
    data = settings.model_dump(mode="json", exclude={"config_path"})
    data["database"]["url"] = redact_url(settings.database_url)
    if as_json:
        emit_json(data)
        return
    typer.echo(f"# {settings.config_path}")
    typer.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True).rstrip())
