"""``sbt-sync report``: the national recap as a table, CSV, XLSX or PNG."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sbt_sync.cli.common import state
from sbt_sync.db.engine import Database
from sbt_sync.errors import SbtError
from sbt_sync.reports.recap import build_recap
from sbt_sync.reports.render import Format, render

app = typer.Typer(help="Reports from the golden dataset and the enforcement state.", no_args_is_help=True)


@app.command()
def recap(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, xlsx, png or json.")] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (xlsx, png: required).")
    ] = None,
) -> None:
    """The national recap per election event: reported, recommended, sanctioned, blocked by Kanreg."""
    if fmt not in ("table", "csv", "xlsx", "png", "json"):
        raise typer.BadParameter(f"unknown format {fmt!r}", param_hint="--format")
    settings = state(ctx).settings()
    database = Database(settings.database_url, echo=settings.database.echo)
    result = build_recap(database)
    database.dispose()
    if fmt == "json":
        text = json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n"
        if output is not None:
            output.write_text(text, encoding="utf-8")
        else:
            typer.echo(text, nl=False)
        return
    fmt_checked: Format = fmt  # type: ignore[assignment]
    if fmt_checked in ("xlsx", "png") and output is None:
        raise SbtError(f"--format {fmt} writes a file: give --output PATH")
    text_out = render(result, fmt_checked, output)
    if text_out is not None and output is None:
        typer.echo(text_out, nl=False)
    elif output is not None:
        typer.echo(f"recap written to {output}")
