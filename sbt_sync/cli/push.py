"""``sbt-sync push ...``: deliver block flags to SIASN, watch the outbox, approve, reject and retry."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from typing import Annotated, Any

import typer

from sbt_sync.cli.common import emit_json, progress_bar, state
from sbt_sync.db.engine import Database
from sbt_sync.errors import SbtError
from sbt_sync.pdp.access import nips_in, record_cli_read
from sbt_sync.settings import Settings

app = typer.Typer(help="Deliver block flags to SIASN through the outbox.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (recorded in the audit log).")]


def _with_database(ctx: typer.Context, work: Callable[[Settings, Database], Any]) -> Any:
    settings = state(ctx).settings()
    database = Database(settings.database_url, echo=settings.database.echo)
    try:
        return work(settings, database)
    finally:
        database.dispose()


@app.command("run")
def run_push(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be sent; send nothing.")
    ] = False,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Send at most this many rows.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Send every due outbox row to SIASN (rows left in flight by a crash are re-sent, same keys)."""
    from sbt_sync.ingest.connections import siasn_client
    from sbt_sync.push import Pusher, PushOptions, planned_pushes

    def work(settings: Settings, database: Database) -> None:
        if dry_run:
            with database.session() as session:
                rows = planned_pushes(session)
            if as_json:
                emit_json({"dry_run": True, "rows": rows})
                return
            typer.echo(f"dry run: {len(rows)} row(s) would be sent (nothing sent)")
            for row in rows:
                extra = (
                    f" (waits for approval {row['approval_id']})"
                    if row["state"] == "awaiting_approval"
                    else ""
                )
                typer.echo(
                    f"  #{row['id']} {row['action']:<6} {row['nip']} cases {', '.join(row['cases'])}{extra}"
                )
            return
        with database.session() as session:
            due = sum(1 for row in planned_pushes(session) if row["state"] != "awaiting_approval")
        total = min(due, limit) if limit is not None else due
        client = siasn_client(settings)
        try:
            with progress_bar("push to SIASN", total, quiet=as_json) as advance_to:
                report = Pusher(database, client, PushOptions.from_settings(settings.push)).run(
                    recover=True,
                    limit=limit,
                    progress=lambda so_far: advance_to(so_far.acked + so_far.parked + so_far.deferred),
                )
        finally:
            client.close()
        if as_json:
            emit_json(report.as_dict())
        else:
            typer.echo(
                f"sent {report.sent}: acked {report.acked} (replayed {report.replayed}, already so "
                f"{report.unchanged}), parked {report.parked}, deferred {report.deferred}, "
                f"retries {report.retries}"
            )
            for line in report.parked_sample:
                typer.echo(f"  parked: {line}")
        if report.aborted:
            raise SbtError(f"push stopped: {report.aborted}")

    _with_database(ctx, work)


@app.command()
def status(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Outbox rows per state, pushes waiting for approval, parked rows and the last readback's drift."""
    from sbt_sync.push import outbox_status

    def work(settings: Settings, database: Database) -> None:
        with database.session() as session:
            st = outbox_status(session)
        record_cli_read(settings, database, "asn", nips_in(st["parked"]), target=ctx.command_path)
        if as_json:
            emit_json(st)
            return
        typer.echo("outbox  " + ", ".join(f"{k} {v}" for k, v in st["outbox"].items()))
        for a in st["approvals_waiting"]:
            typer.echo(
                f"approval {a['id']} waits: {a['change_count']} change(s), {a['summary'].get('reason', '')}"
                f" -> sbt-sync push approve {a['id']} --reason ..."
            )
        for row in st["parked"]:
            typer.echo(f"parked  #{row['id']} {row['action']} {row['nip']}: {row['last_error']}")
        rb = st["readback"]
        typer.echo(f"readback {rb['at'] or 'never'}" + (f": drift {rb['drift']}" if rb["at"] else ""))

    _with_database(ctx, work)


@app.command("retry")
def retry_rows(
    ctx: typer.Context,
    ids: Annotated[
        list[int] | None, typer.Argument(help="Outbox row ids (default: every parked row).")
    ] = None,
    reason: ReasonOpt = "retry requested",
    as_json: JsonOpt = False,
) -> None:
    """Make parked rows (and rows waiting out a backoff) due again; the next push run sends them."""
    from sbt_sync.push import retry

    def work(settings: Settings, database: Database) -> None:
        with database.session() as session:
            count = retry(session, ids or [], reason=reason, actor=getpass.getuser())
        if as_json:
            emit_json({"rows": count})
        else:
            typer.echo(f"{count} row(s) due again; run: sbt-sync push run")

    _with_database(ctx, work)


def _decide_approval(ctx: typer.Context, decide: Callable[..., dict[str, Any]], approval_id: int | None,
                     reason: str, *, as_json: bool, done: str) -> None:  # fmt: skip
    """Approve or reject a guarded push as the OS user (audited) and say what it moved."""

    def work(settings: Settings, database: Database) -> None:
        with database.session() as session:
            result = decide(session, approval_id, reason=reason, actor=getpass.getuser())
        if as_json:
            emit_json(result)
        else:
            typer.echo(done.format(**result))

    _with_database(ctx, work)


@app.command("approve")
def approve_push(
    ctx: typer.Context,
    approval_id: Annotated[
        int | None, typer.Argument(help="Approval id (default: the only waiting one).")
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why the changes are right (audited).")] = ...,  # type: ignore[assignment]
    as_json: JsonOpt = False,
) -> None:
    """Release block-flag changes the change guard held back."""
    from sbt_sync.push import approve

    done = "approval {id} approved: {released} row(s) released"
    _decide_approval(ctx, approve, approval_id, reason, as_json=as_json, done=done)


@app.command("reject")
def reject_push(
    ctx: typer.Context,
    approval_id: Annotated[int, typer.Argument(help="Approval id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the changes are wrong (audited).")] = ...,  # type: ignore[assignment]
    as_json: JsonOpt = False,
) -> None:
    """Withdraw block-flag changes the change guard held back (a later run decides afresh)."""
    from sbt_sync.push import reject

    done = "approval {id} rejected: {withdrawn} row(s) withdrawn"
    _decide_approval(ctx, reject, approval_id, reason, as_json=as_json, done=done)


@app.command("readback")
def readback_flags(
    ctx: typer.Context,
    queue_drift: Annotated[
        bool, typer.Option("--queue-drift", help="Queue a re-send for every drift.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Compare SIASN's block flags with the desired block state and record the drift."""
    from sbt_sync.ingest.connections import siasn_client
    from sbt_sync.push import readback

    def work(settings: Settings, database: Database) -> None:
        client = siasn_client(settings)
        try:
            report = readback(
                database,
                client,
                concurrency=settings.push.concurrency,
                rate_per_second=settings.push.rate_per_second,
                queue_drift=queue_drift,
            )
        finally:
            client.close()
        if as_json:
            emit_json(report.as_dict())
            return
        typer.echo(
            f"checked {report.checked}: in sync {report.in_sync}, pending {report.pending}, "
            f"drift {report.drift}, unknown {report.unknown}, failed {report.failed}, queued {report.queued}"
        )
        for line in report.drift_sample:
            typer.echo(f"  drift: {line}")

    _with_database(ctx, work)
