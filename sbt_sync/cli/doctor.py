"""``sbt-sync doctor``: is this deployment able to run? One line per check, exit 1 on any problem."""

from __future__ import annotations

from typing import Annotated

import typer

from sbt_sync.cli.common import emit_json, state
from sbt_sync.doctor import run_doctor


def doctor(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
) -> None:
    """Check the database (reachable, migrated), every source with its credentials, the SFTP host-key
    pins and SIASN's tokens; print one line per check and exit 1 if anything is wrong."""
    findings = run_doctor(state(ctx).settings())
    problems = [f for f in findings if not f.ok]
    if as_json:
        emit_json({"ok": not problems, "findings": [f.as_dict() for f in findings]})
    else:
        for finding in findings:
            typer.echo(finding.line())
        typer.echo(f"{len(problems)} problem(s)" if problems else "all checks passed")
    if problems:
        raise typer.Exit(1)
