"""Shared plumbing for the CLI: global state, settings loading, JSON output and error handling."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import typer

from sbt_sync.errors import SbtError

if TYPE_CHECKING:
    from sbt_sync.settings import Settings


@dataclass
class State:
    """What the root callback learned from the global options."""

    debug: bool = False
    config_path: str | None = None
    _settings: Settings | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        """The deployment's settings, loaded once per command (secrets are checked by the caller)."""
        if self._settings is None:
            from sbt_sync.settings import load_settings

            self._settings = load_settings(self.config_path)
        return self._settings


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    if not isinstance(obj, State):  # invoked without the root callback (tests calling a sub-app)
        obj = State()
        ctx.find_root().obj = obj
    return obj


def emit_json(data: Any) -> None:
    """Print one JSON document on stdout (dates and paths as strings)."""
    typer.echo(json.dumps(data, default=str, ensure_ascii=False, indent=2))


def run_main(app: typer.Typer) -> None:
    """Run ``app`` with the CLI's exit-code and error conventions.

    Typer's standalone mode already answers ``--help`` (0), bad usage (2) and aborts (1) and exits;
    what reaches this function is a failure of the command itself.
    """
    debug = "--debug" in sys.argv[1:]
    try:
        app()
    except SbtError as exc:
        if debug:
            raise
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        typer.echo(f"error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", err=True)
        sys.exit(1)
