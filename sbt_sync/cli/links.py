"""``sbt-sync links``: correct the crosswalk (move, assign, split, merge), undo a correction, reopen a
resolved decision. Every correction first prints its consequence (the cases that change and every NIP
whose block flag would change); it is recorded only with ``--yes``."""

from __future__ import annotations

import getpass
from datetime import date
from typing import Annotated, Any

import typer

from sbt_sync.cli.common import emit_json, state
from sbt_sync.db.engine import Database
from sbt_sync.pdp.access import nips_in, record_cli_read
from sbt_sync.steward.links import (
    Consequence,
    CorrectionRequest,
    correct_link,
    list_corrections,
    parse_person,
    preview_correction,
    preview_reopen,
    preview_undo,
    reopen_decision,
    undo_correction,
)

app = typer.Typer(
    help="Correct the crosswalk: move a record to another case or ASN, split, merge, undo; reopen "
    "a resolved decision. Each correction shows its consequence first.",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
Reason = Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")]
By = Annotated[str | None, typer.Option("--by", help="Who decides (default: the OS user).")]
Yes = Annotated[bool, typer.Option("--yes", help="Record the correction after showing its consequence.")]
AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Day the consequence is judged at (default today).")
]


def _database(ctx: typer.Context) -> Database:
    settings = state(ctx).settings()
    return Database(settings.database_url, echo=settings.database.echo)


def _echo_consequence(consequence: Consequence) -> None:
    typer.echo("cases now:")
    for key, members in sorted(consequence.cases_before.items()):
        typer.echo(f"  {key}: records {', '.join(map(str, members))}")
    typer.echo("cases after the correction:")
    for key, members in sorted(consequence.cases_after.items()):
        held = " (held)" if key in consequence.held_after else ""
        typer.echo(f"  {key}{held}: records {', '.join(map(str, members))}")
    if not consequence.flag_changes:
        typer.echo("block flags: no NIP changes")
    for change in consequence.flag_changes:
        verb = "blocked" if change.blocked_after else "unblocked"
        typer.echo(f"block flag: NIP {change.nip} would be {verb}")


def _correct(
    ctx: typer.Context,
    request: CorrectionRequest,
    *,
    reason: str,
    by: str | None,
    yes: bool,
    as_of: str | None,
    as_json: bool,
) -> None:
    settings = state(ctx).settings()
    database = _database(ctx)
    day = date.fromisoformat(as_of) if as_of else None
    consequence = preview_correction(database, settings, request, as_of=day)
    correction_id = None
    if yes:
        correction_id = correct_link(database, request, reason=reason, actor=by or getpass.getuser())
    if as_json:
        emit_json({"consequence": consequence.as_dict(), "correction_id": correction_id})
        return
    _echo_consequence(consequence)
    if correction_id is None:
        typer.echo("nothing recorded: add --yes to record this correction")
    else:
        typer.echo(f"correction {correction_id} recorded; applied at the next reconciliation")


@app.command("move")
def move(
    ctx: typer.Context,
    record: Annotated[int, typer.Argument(help="The staged record to move.")],
    to_record: Annotated[int, typer.Option("--to-record", help="A record of the case it belongs to.")],
    reason: Reason,
    by: By = None,
    yes: Yes = False,
    as_of: AsOf = None,
    as_json: JsonFlag = False,
) -> None:
    """Move a record into the case that holds another record."""
    request = CorrectionRequest("move_record", record, target_staged_record_id=to_record)
    _correct(ctx, request, reason=reason, by=by, yes=yes, as_of=as_of, as_json=as_json)


@app.command("assign")
def assign(
    ctx: typer.Context,
    record: Annotated[int, typer.Argument(help="The staged record whose person is wrong.")],
    nip: Annotated[str, typer.Option("--nip", help="The ASN it names, or 'none' (no ASN).")],
    reason: Reason,
    by: By = None,
    yes: Yes = False,
    as_of: AsOf = None,
    as_json: JsonFlag = False,
) -> None:
    """Say which ASN a record names (or that it names no ASN): it moves to that person's case."""
    request = CorrectionRequest("assign_person", record, target_nip=parse_person(nip))
    _correct(ctx, request, reason=reason, by=by, yes=yes, as_of=as_of, as_json=as_json)


@app.command("split")
def split(
    ctx: typer.Context,
    record: Annotated[int, typer.Argument(help="The staged record to take out of its case.")],
    reason: Reason,
    by: By = None,
    yes: Yes = False,
    as_of: AsOf = None,
    as_json: JsonFlag = False,
) -> None:
    """Take a record out of its case into a case of its own."""
    request = CorrectionRequest("split", record)
    _correct(ctx, request, reason=reason, by=by, yes=yes, as_of=as_of, as_json=as_json)


@app.command("merge")
def merge(
    ctx: typer.Context,
    record: Annotated[int, typer.Argument(help="A record of the case to merge away.")],
    into_record: Annotated[int, typer.Option("--into-record", help="A record of the case to keep.")],
    reason: Reason,
    by: By = None,
    yes: Yes = False,
    as_of: AsOf = None,
    as_json: JsonFlag = False,
) -> None:
    """Merge two cases: every record of the first joins the second."""
    request = CorrectionRequest("merge", record, target_staged_record_id=into_record)
    _correct(ctx, request, reason=reason, by=by, yes=yes, as_of=as_of, as_json=as_json)


@app.command("undo")
def undo(
    ctx: typer.Context,
    correction: Annotated[int, typer.Argument(help="The correction's id (see `links list`).")],
    reason: Reason,
    by: By = None,
    yes: Yes = False,
    as_of: AsOf = None,
    as_json: JsonFlag = False,
) -> None:
    """Undo a correction: the next reconciliation links its records as the machine would. Shows the
    consequence first; records the undoing only with --yes."""
    database = _database(ctx)
    day = date.fromisoformat(as_of) if as_of else None
    consequence = preview_undo(database, state(ctx).settings(), correction, as_of=day)
    if yes:
        undo_correction(database, correction, reason=reason, actor=by or getpass.getuser())
    _decided(
        consequence, yes, as_json, done=f"correction {correction} undone", ids={"correction_id": correction}
    )


@app.command("reopen")
def reopen(
    ctx: typer.Context,
    conflict: Annotated[int, typer.Argument(help="A resolved conflict's id.")],
    reason: Reason,
    by: By = None,
    yes: Yes = False,
    as_of: AsOf = None,
    as_json: JsonFlag = False,
) -> None:
    """Reopen a resolved conflict: its decision stops applying and it waits in the queue again. Shows
    the consequence first; records the reopening only with --yes."""
    database = _database(ctx)
    day = date.fromisoformat(as_of) if as_of else None
    consequence = preview_reopen(database, state(ctx).settings(), conflict, as_of=day)
    decision = None
    if yes:
        decision = reopen_decision(database, conflict, reason=reason, actor=by or getpass.getuser())
    _decided(
        consequence, yes, as_json, done=f"conflict {conflict} reopened (decision {decision})",
        ids={"conflict_id": conflict, "decision_id": decision},
    )  # fmt: skip


def _decided(consequence: Consequence, yes: bool, as_json: bool, *, done: str, ids: dict[str, Any]) -> None:
    if as_json:
        emit_json({"consequence": consequence.as_dict(), "recorded": yes, **ids})
        return
    _echo_consequence(consequence)
    if yes:
        typer.echo(f"{done}; applied at the next reconciliation")
    else:
        typer.echo("nothing recorded: add --yes to record it")


@app.command("list")
def list_command(
    ctx: typer.Context,
    record: Annotated[int | None, typer.Option("--record", help="Only corrections involving it.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Every link correction, newest first, with who made, undid or reopened it and why."""
    database = _database(ctx)
    rows = list_corrections(database, staged_record_id=record)
    record_cli_read(state(ctx).settings(), database, "source_record", nips_in(rows), target=ctx.command_path,
                    filter={"what": "link_corrections", "record": record})  # fmt: skip
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        target = row["target_record"] or row["target_nip"] or "-"
        typer.echo(
            f"{row['id']}: {row['kind']} record {row['record']} -> {target} [{row['status']}] "
            f"by {row['decided_by']}: {row['reason']}"
        )
        if row["superseded_by"]:
            typer.echo(f"    superseded by correction {row['superseded_by']}, made later: that one applies")
        if row["reopened_reason"]:
            typer.echo(f"    reopened: {row['reopened_reason']}")
        if row["revoked_by"]:
            typer.echo(f"    undone by {row['revoked_by']}: {row['revoke_reason']}")
