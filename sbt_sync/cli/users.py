"""``sbt-sync users``: console accounts and API tokens (each change is audited as the OS user)."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from sbt_sync.cli.common import emit_json, state
from sbt_sync.console import users as service
from sbt_sync.db import migrate
from sbt_sync.db.engine import Database
from sbt_sync.errors import SbtError

app = typer.Typer(
    help="Console accounts (admin, steward, agency_viewer, auditor) and API tokens.", no_args_is_help=True
)

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input (for scripts).")
]


def _database(ctx: typer.Context) -> Database:
    settings = state(ctx).settings()
    database = Database(settings.database_url, echo=settings.database.echo)
    migrate.upgrade(database)
    return database


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("New password: ")
    if first != getpass.getpass("Repeat it: "):
        raise SbtError("the two passwords differ")
    return first


@app.command("add")
def add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name (at most 64 characters).")],
    role: Annotated[str, typer.Option(help="admin, steward, agency_viewer or auditor.")],
    agency: Annotated[
        str | None, typer.Option(help="The agency an agency_viewer belongs to (bkn, bawaslu, ...).")
    ] = None,
    display_name: Annotated[
        str | None, typer.Option(help="Name shown in the console and the audit log.")
    ] = None,
    password_stdin: PasswordStdin = False,
    sso_only: Annotated[
        bool, typer.Option("--sso-only", help="No password: the account logs in through console.oidc only.")
    ] = False,
) -> None:
    """Create an account."""
    if len(username) > 64:
        raise SbtError("a username has at most 64 characters")
    view = service.add_user(
        _database(ctx), state(ctx).settings(), username=username,
        password=None if sso_only else _password(password_stdin),
        role=role, display_name=display_name, agency=agency, actor=getpass.getuser(),
    )  # fmt: skip
    typer.echo(f"added {view.username} ({view.role}{', ' + view.agency if view.agency else ''})")


@app.command("disable")
def disable(ctx: typer.Context, username: str) -> None:
    """Disable an account: its sessions end and its API tokens are revoked for good, at once."""
    change = service.set_active(_database(ctx), username, active=False, actor=getpass.getuser())
    typer.echo(
        f"disabled {username}: {change.sessions_ended} console session(s) ended, "
        f"{change.tokens_revoked} API token(s) revoked for good (enabling the account again does not "
        "revive them)"
    )


@app.command("enable")
def enable(ctx: typer.Context, username: str) -> None:
    """Enable a disabled account again (its API tokens stay revoked: make new ones)."""
    service.set_active(_database(ctx), username, active=True, actor=getpass.getuser())
    typer.echo(
        f"enabled {username}; API tokens revoked when it was disabled stay revoked: make a new one with "
        f"'sbt-sync users token {username} --name ...'"
    )


@app.command("reset")
def reset(ctx: typer.Context, username: str, password_stdin: PasswordStdin = False) -> None:
    """Set a new password (ends the account's sessions and clears a login lock)."""
    service.reset_password(
        _database(ctx), username, password=_password(password_stdin), actor=getpass.getuser()
    )
    typer.echo(f"password of {username} reset")


@app.command("end-sessions")
def end_sessions(
    ctx: typer.Context,
    username: Annotated[str | None, typer.Argument(help="The account whose sessions end.")] = None,
    everyone: Annotated[bool, typer.Option("--all", help="End every account's sessions.")] = False,
) -> None:
    """Log an account (or, with --all, everyone) out of the console at once; they log in again."""
    if (username is None) == (not everyone):
        raise SbtError("name one account or give --all, not both")
    ended = service.end_sessions(_database(ctx), None if everyone else username, actor=getpass.getuser())
    total = sum(ended.values())
    typer.echo(
        f"ended {total} session(s) of {len(ended)} account(s)"
        if everyone
        else f"ended {total} session(s) of {username}"
    )


@app.command("list")
def list_command(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """Every account with its role, agency and state."""
    rows = service.list_users(_database(ctx))
    if as_json:
        emit_json([vars(r) for r in rows])
        return
    for r in rows:
        agency = f" ({r.agency})" if r.agency else ""
        typer.echo(f"{r.username:<24} {r.role}{agency}{'' if r.active else '  [disabled]'}")


@app.command("token")
def token(
    ctx: typer.Context,
    username: str,
    name: Annotated[str, typer.Option(help="What the token is for, e.g. 'siasn-feed'.")],
    days: Annotated[
        int | None, typer.Option(min=1, max=366, help="Expire after this many days (default 90).")
    ] = None,
    revoke: Annotated[
        bool, typer.Option("--revoke", help="Revoke the account's tokens with this name.")
    ] = False,
) -> None:
    """Make an API token for the account (printed once) or revoke tokens by name."""
    database = _database(ctx)
    if revoke:
        count = service.revoke_tokens(database, username, name=name, actor=getpass.getuser())
        typer.echo(f"revoked {count} token(s)")
        return
    secret, expires = service.create_token(database, username, name=name, days=days, actor=getpass.getuser())
    typer.echo(secret)
    typer.echo(
        f"# {name} for {username}; expires {expires:%Y-%m-%d %H:%M} UTC; shown once, store it now", err=True
    )
