"""The ``sbt-sync`` command line.

Conventions for every command: ``--help``; ``--json`` where the output is data; exit code 0 on
success, 1 on failure, 2 on bad usage; a failure is one line on stderr (``error: ...``) unless the
global ``--debug`` flag asks for the traceback.
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer

import sbt_sync.cli.conflicts as conflict_commands
import sbt_sync.cli.db as db_commands
import sbt_sync.cli.demo as demo_commands
import sbt_sync.cli.doctor as doctor_commands
import sbt_sync.cli.enforce as enforce_commands
import sbt_sync.cli.imut as imut_commands
import sbt_sync.cli.links as link_commands
import sbt_sync.cli.notify as notify_commands
import sbt_sync.cli.pdp as pdp_commands
import sbt_sync.cli.push as push_commands
import sbt_sync.cli.reconcile as reconcile_commands
import sbt_sync.cli.registry as registry_commands
import sbt_sync.cli.report as report_commands
import sbt_sync.cli.sanctions as sanction_commands
import sbt_sync.cli.sandbox as sandbox_commands
import sbt_sync.cli.steward as steward_commands
import sbt_sync.cli.users as user_commands
from sbt_sync.cli.common import State, run_main
from sbt_sync.cli.config import app as config_app
from sbt_sync.logs import LogFormat, configure_logging

app = typer.Typer(
    name="sbt-sync",
    help="Sync neutrality-violation records from the agencies into one golden dataset and push "
    "block flags to SIASN.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db_commands.app, name="db")
app.add_typer(config_app, name="config")
app.add_typer(sandbox_commands.app, name="sandbox")
app.command("demo")(demo_commands.demo)
app.add_typer(reconcile_commands.app, name="reconcile")
app.command("quality")(reconcile_commands.quality)
app.add_typer(conflict_commands.app, name="conflicts")
app.add_typer(link_commands.app, name="links")
app.add_typer(sanction_commands.app, name="sanctions")
app.add_typer(report_commands.app, name="report")
app.add_typer(enforce_commands.app, name="enforce")
app.add_typer(push_commands.app, name="push")
app.add_typer(registry_commands.app, name="registry")
app.command("doctor")(doctor_commands.doctor)
app.add_typer(user_commands.app, name="users")
app.add_typer(steward_commands.app, name="steward")
app.add_typer(imut_commands.app, name="imut")
app.add_typer(notify_commands.pic_app, name="pic")
app.add_typer(notify_commands.letters_app, name="letters")
app.add_typer(notify_commands.app, name="notify")
app.add_typer(pdp_commands.app, name="pdp")


@app.callback()
def _root(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
    config: Annotated[
        str | None,
        typer.Option("--config", "-c", help="Path to sbt.yaml (default: $SBT_CONFIG, then ./sbt.yaml)."),
    ] = None,
    log_format: Annotated[
        LogFormat,
        typer.Option(
            "--log-format",
            envvar="SBT_LOG_FORMAT",
            help="Log lines as text or as JSON objects (NIPs masked either way).",
        ),
    ] = LogFormat.TEXT,
) -> None:
    ctx.obj = State(debug=debug, config_path=config)
    configure_logging(debug=debug, log_format=log_format)
    if not debug:
        # Migrations and Dagster narrate every step at INFO; commands print their own summary.
        for noisy in ("alembic", "dagster", "paramiko"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def main() -> None:
    """Console-script entry point."""
    run_main(app)
