"""``sbt-sync push ...``: deliver block flags to SIASN, watch the outbox, approve, reject and retry."""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sbt_sync.cli.common import emit_json, progress_bar
from sbt_sync.cli.outbox import (
    DryRunOpt,
    JsonOpt,
    ReasonOpt,
    echo_counts,
    retry_parked,
    show_planned,
    with_database,
)
from sbt_sync.db.engine import Database
from sbt_sync.errors import SbtError
from sbt_sync.pdp.access import nips_in, record_cli_read
from sbt_sync.settings import Settings
from sbt_sync.states.outbox import OutboxState

if TYPE_CHECKING:
    from sbt_sync.push.admin import Verdict

app = typer.Typer(help="Deliver block flags to SIASN through the outbox.", no_args_is_help=True)


@app.command("run")
def run_push(
    ctx: typer.Context,
    dry_run: DryRunOpt = False,
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
            # Each row's case keys end in the ASN's NIP: listing them is a read of personal data.
            record_cli_read(settings, database, "asn", nips_in(rows), target=ctx.command_path)
            show_planned(rows, noun="row", json_key="rows", as_json=as_json, lines=_planned_line)
            return
        with database.session() as session:
            due = sum(1 for row in planned_pushes(session) if row["state"] != OutboxState.AWAITING_APPROVAL)
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

    with_database(ctx, work)


def _planned_line(row: dict[str, Any]) -> list[str]:
    waits = row["state"] == OutboxState.AWAITING_APPROVAL
    extra = f" (waits for approval {row['approval_id']})" if waits else ""
    return [f"  #{row['id']} {row['action']:<6} {row['nip']} cases {', '.join(row['cases'])}{extra}"]


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
        echo_counts(st["outbox"])
        for a in st["approvals_waiting"]:
            if not a["held"]:  # a later run replaced every change it held
                typer.echo(
                    f"approval {a['id']}: no change waits for it any more, nothing to approve"
                    f" -> close it: sbt-sync push reject {a['id']} --reason ..."
                )
                continue
            typer.echo(
                f"approval {a['id']} waits: {a['change_count']} change(s), {a['summary'].get('reason', '')}"
                f" -> sbt-sync push approve {a['id']} --reason ..."
            )
        for row in st["parked"]:
            typer.echo(f"parked  #{row['id']} {row['action']} {row['nip']}: {row['last_error']}")
        rb = st["readback"]
        typer.echo(f"readback {rb['at'] or 'never'}" + (f": drift {rb['drift']}" if rb["at"] else ""))

    with_database(ctx, work)


@app.command("retry")
def retry_rows(
    ctx: typer.Context,
    ids: Annotated[
        list[int] | None, typer.Argument(help="Outbox row ids (default: every parked row).")
    ] = None,
    reason: ReasonOpt = "retry requested",
    as_json: JsonOpt = False,
) -> None:
    """Make parked rows (and rows waiting out a backoff) due again; the next push run sends them.

    A parked row SIASN refused goes out under a fresh idempotency key (nothing was applied, and SIASN
    would replay its refusal for the old key); a row waiting out a backoff, or parked on an answer that
    was no acknowledgement but no refusal either, keeps its key (SIASN may have applied it)."""
    from sbt_sync.push import retry

    done = "{count} row(s) due again; run: sbt-sync push run"
    retry_parked(ctx, retry, ids, reason, done=done, as_json=as_json)


@app.command("withdraw")
def withdraw_rows(
    ctx: typer.Context,
    ids: Annotated[list[int], typer.Argument(help="The parked outbox row ids SIASN will never take.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")],
    as_json: JsonOpt = False,
) -> None:
    """Withdraw parked rows SIASN will never take (audited): they are never sent, and the block-change
    feed moves past them. The desired flag stays; the readback keeps reporting the drift."""
    from sbt_sync.push import withdraw

    def work(settings: Settings, database: Database) -> None:
        with database.session() as session:
            count = withdraw(session, ids, reason=reason, actor=getpass.getuser())
        if as_json:
            emit_json({"rows": count})
        else:
            typer.echo(f"{count} parked row(s) withdrawn; they will not be sent")

    with_database(ctx, work)


def _decide_approval(
    ctx: typer.Context, approval_id: int | None, reason: str, verdict: Verdict, *, as_json: bool
) -> None:
    """Approve or reject a guarded push as the OS user (audited) and say what it moved: the same
    :func:`~sbt_sync.push.admin.decide_approval` as the console."""
    from sbt_sync.push.admin import decide_approval

    def work(settings: Settings, database: Database) -> None:
        with database.session() as session:
            result = decide_approval(session, approval_id, verdict, reason=reason, actor=getpass.getuser())
        if as_json:
            emit_json(result)
        else:
            typer.echo(verdict.done.format(**result))

    with_database(ctx, work)


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
    from sbt_sync.push.admin import APPROVE

    _decide_approval(ctx, approval_id, reason, APPROVE, as_json=as_json)


@app.command("reject")
def reject_push(
    ctx: typer.Context,
    approval_id: Annotated[int, typer.Argument(help="Approval id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the changes are wrong (audited).")] = ...,  # type: ignore[assignment]
    as_json: JsonOpt = False,
) -> None:
    """Withdraw block-flag changes the change guard held back (a later run decides afresh)."""
    from sbt_sync.push.admin import REJECT

    _decide_approval(ctx, approval_id, reason, REJECT, as_json=as_json)


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
            + (
                f", blocked in SIASN by someone else (not unblocked) {report.blocked_by_others}"
                if report.blocked_by_others
                else ""
            )
            + (f", settled as observed in SIASN {report.settled}" if report.settled else "")
        )
        for line in report.drift_sample:
            typer.echo(f"  drift: {line}")

    with_database(ctx, work)
