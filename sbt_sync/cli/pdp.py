"""``sbt-sync pdp``: personal data protection (UU 27/2022): who read what, a person's own record,
retention and the impact-assessment annex."""

from __future__ import annotations

import getpass
import os
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from connectors.redact import mask_nip
from sbt_sync.cli.common import emit_json, state
from sbt_sync.db import migrate
from sbt_sync.db.engine import Database
from sbt_sync.errors import SbtError
from sbt_sync.pdp.access import AccessFilter, access_key, list_reads, nip_hash, os_user, record_read

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
            day = datetime.combine(date.fromisoformat(value), time(0), tzinfo=ZoneInfo(timezone))
            return day.astimezone(UTC)
        moment = datetime.fromisoformat(value)
        return (moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))).astimezone(UTC)
    except ValueError:
        raise SbtError(f"--since {value!r} is not a date (YYYY-MM-DD) or an ISO timestamp") from None
    except OverflowError:
        raise SbtError(f"--since {value!r} is outside the years 1 to 9999 in UTC") from None


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
                session, os_user(), "cli", "access_log", [nip] if nip else [],
                rows=len(rows), filter=where.as_dict(), key=key, target=ctx.command_path,
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


# -- a person's own record, retention, the DPIA annex ------------------------------------------------


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` readable by its owner only (it holds personal data)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
    path.chmod(0o600)


@app.command("subject")
def subject(
    ctx: typer.Context,
    nip: Annotated[str, typer.Argument(help="The ASN's NIP (18 digits).")],
    fmt: Annotated[str, typer.Option("--format", help="pdf or json.")] = "json",
    out: Annotated[
        Path | None, typer.Option("--out", help="Write here (created 0600); default: JSON on stdout.")
    ] = None,
    purpose: Annotated[
        str | None, typer.Option(help="Why the record is produced (kept in the access log).")
    ] = None,
) -> None:
    """Everything held about one ASN (UU 27/2022 subject access), in Indonesian, as JSON or PDF; the report
    is itself recorded as a read."""
    from sbt_sync.pdp.access import reads_of
    from sbt_sync.pdp.subject import gather_subject, valid_nip
    from sbt_sync.pdp.subject_render import to_json, to_pdf

    if fmt not in ("pdf", "json"):
        raise typer.BadParameter("choose pdf or json", param_hint="--format")
    if fmt == "pdf" and out is None:
        raise typer.BadParameter("a PDF needs --out PATH", param_hint="--out")
    number = valid_nip(nip)
    settings = state(ctx).settings()
    key = access_key(settings)
    who = getpass.getuser()
    database = Database(settings.database_url, echo=settings.database.echo)
    try:
        migrate.upgrade(database)
        with database.session() as session:
            record_read(
                session, who, "cli", "subject_report", [number], purpose=purpose, key=key,
                target="sbt-sync pdp subject",
            )  # fmt: skip
            report = gather_subject(session, number, reads_of=lambda s, n: reads_of(s, n, key=key))
    finally:
        database.dispose()
    data = to_pdf(report, requested_by=who, purpose=purpose) if fmt == "pdf" else to_json(report)
    if out is None:
        typer.echo(data.decode("utf-8"))
        return
    _write_private(out, data)
    counts = ", ".join(f"{name} {n}" for name, n in report.counts().items() if n)
    typer.echo(f"wrote {out} ({fmt}, NIP {mask_nip(number)}): {counts}")


@app.command("purge")
def purge(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would go (counts and ids), remove nothing.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Remove or anonymise what passed its time under ``retention`` in sbt.yaml, never what an open case or
    a standing block still needs; audited with the counts per kind."""
    from sbt_sync.pdp.access import purge_access_log
    from sbt_sync.pdp.retention import purge as run_purge
    from sbt_sync.pdp.retention import summary_lines

    settings = state(ctx).settings()
    database = Database(settings.database_url, echo=settings.database.echo)
    try:
        migrate.upgrade(database)
        plan = run_purge(
            database,
            settings.retention,
            actor=getpass.getuser(),
            channel="cli",
            downloads_dir=settings.resolve_path("var/downloads"),
            dry_run=dry_run,
            access_log=purge_access_log,
        )
    finally:
        database.dispose()
    if as_json:
        emit_json({"dry_run": dry_run, **plan.as_dict()})
        return
    for line in summary_lines(plan, dry_run=dry_run):
        typer.echo(line)


@app.command("dpia")
def dpia(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="md or pdf.")] = "md",
    out: Annotated[
        Path | None, typer.Option("--out", help="Write here; default: Markdown on stdout.")
    ] = None,
    truth: Annotated[
        Path | None,
        typer.Option("--truth", help="A sandbox's truth folder: adds `sbt-sync quality --truth`'s figures."),
    ] = None,
) -> None:
    """The facts a DPIA (UU 27/2022 Pasal 34) needs, from the live configuration and database, in
    Indonesian (Markdown or PDF)."""
    from sbt_sync.pdp.dpia import gather_dpia
    from sbt_sync.pdp.dpia_render import to_markdown
    from sbt_sync.pdp.dpia_render import to_pdf as dpia_pdf

    if fmt not in ("md", "pdf"):
        raise typer.BadParameter("choose md or pdf", param_hint="--format")
    if fmt == "pdf" and out is None:
        raise typer.BadParameter("a PDF needs --out PATH", param_hint="--out")
    settings = state(ctx).settings()
    database = Database(settings.database_url, echo=settings.database.echo)
    try:
        migrate.upgrade(database)
        facts = gather_dpia(settings, database, truth=truth)
    finally:
        database.dispose()
    if fmt == "pdf":
        assert out is not None
        out.write_bytes(dpia_pdf(facts))
        typer.echo(f"wrote {out} (pdf)")
        return
    text = to_markdown(facts)
    if out is None:
        typer.echo(text)
        return
    out.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {out} (md)")
