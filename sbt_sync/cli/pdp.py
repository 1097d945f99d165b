"""``sbt-sync pdp``: personal data protection (UU 27/2022): who read what, a person's own record,
retention and the impact-assessment annex."""

from __future__ import annotations

import getpass
from datetime import date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from sbt_sync.cli.common import emit_json, state
from sbt_sync.db import migrate
from sbt_sync.db.engine import Database
from sbt_sync.errors import SbtError
from sbt_sync.pdp.access import AccessFilter, access_key, list_reads, nip_hash, record_read

app = typer.Typer(
    help="Personal data (UU 27/2022): the access log, a person's own record, retention, the DPIA annex.",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


# -- access log (reads of personal data) -------------------------------------------------------------


def _since(value: str | None, timezone: str) -> datetime | None:
    """``--since``: a day (``2026-12-01``, from its midnight in ``schedule.timezone``) or an ISO time."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(0), tzinfo=ZoneInfo(timezone))
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise SbtError(f"--since {value!r} is not a date (YYYY-MM-DD) or an ISO timestamp") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))


@app.command("access")
def access(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option("--user", help="Only reads by this account or OS user.")] = None,
    nip: Annotated[
        str | None, typer.Option("--nip", help="Only reads that showed this ASN (looked up by its hash).")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="From this day (YYYY-MM-DD) or ISO timestamp on.")
    ] = None,
    channel: Annotated[str | None, typer.Option(help="console, api or cli.")] = None,
    kind: Annotated[str | None, typer.Option(help="case, conflict, export, search, access_log, ...")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 200,
    as_json: JsonFlag = False,
) -> None:
    """Reads of personal data, newest first (this listing is itself recorded as a read of the log)."""
    settings = state(ctx).settings()
    key = access_key(settings)
    timezone = settings.schedule.timezone
    where = AccessFilter(
        who=user,
        since=_since(since, timezone),
        channel=channel,
        kind=kind,
        nip_hash=nip_hash(key, nip) if nip else None,
        timezone=timezone,
    )
    database = Database(settings.database_url, echo=settings.database.echo)
    try:
        migrate.upgrade(database)
        with database.session() as session:
            rows = list_reads(session, where, limit=limit)
            record_read(
                session, getpass.getuser(), "cli", "access_log", [nip] if nip else [],
                rows=len(rows), filter=where.as_dict(), key=key, target="sbt-sync pdp access",
            )  # fmt: skip
    finally:
        database.dispose()
    if as_json:
        emit_json({"reads": [row.as_dict() for row in rows]})
        return
    typer.echo(f"{len(rows)} reads{' (limit reached)' if len(rows) == limit else ''}")
    for row in rows:
        when = row.accessed_at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M:%S")
        extra = []
        if row.rows is not None:
            extra.append(f"rows={row.rows}")
        if row.purpose:
            extra.append(f"purpose={row.purpose!r}")
        if row.token_name:
            extra.append(f"token={row.token_name}")
        typer.echo(
            f"{when}  {row.channel:<7}  {row.who:<20}  {row.kind:<14}  asn={row.nip_count:<5}  "
            f"{row.target or ''}  {' '.join(extra)}".rstrip()
        )
