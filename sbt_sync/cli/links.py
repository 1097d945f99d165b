"""``sbt-sync links``: correct the crosswalk (move, assign, split, merge), undo a correction, reopen a
resolved decision. Every step first prints its consequence (the cases that change and every NIP whose
block flag would change) and that preview's fingerprint; it is recorded only with ``--yes`` and that
``--fingerprint``, and only while the consequence is still the one previewed
(:mod:`sbt_sync.steward.link_confirm`): a script never acts on a state it did not read."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, NoReturn

import typer

from sbt_sync.cli.common import emit_json, state
from sbt_sync.db.engine import Database
from sbt_sync.pdp.access import nips_in, record_cli_read
from sbt_sync.settings import Settings
from sbt_sync.steward.link_confirm import (
    ConsequenceChanged,
    confirm_correction,
    confirm_reopen,
    confirm_undo,
)
from sbt_sync.steward.links import (
    Consequence,
    CorrectionRequest,
    list_corrections,
    parse_person,
    preview_correction,
    preview_reopen,
    preview_undo,
)

app = typer.Typer(
    help="Correct the crosswalk: move a record to another case or ASN, split, merge, undo; reopen "
    "a resolved decision. Each step shows its consequence and a fingerprint first; --yes "
    "--fingerprint records it while the consequence is still that one.",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
Reason = Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")]
By = Annotated[str | None, typer.Option("--by", help="Who decides (default: the OS user).")]
Yes = Annotated[
    bool,
    typer.Option("--yes", help="Record it; needs --fingerprint, the fingerprint of the preview you read."),
]
Fingerprint = Annotated[
    str | None,
    typer.Option(
        "--fingerprint",
        help="The fingerprint the preview printed (its --json 'fingerprint'). With --yes the step is "
        "recorded only while its consequence is still that one; else refused (exit 1) with the "
        "consequence now and its new fingerprint.",
    ),
]
AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Day the consequence is judged at (default today).")
]


def _database(ctx: typer.Context) -> Database:
    settings = state(ctx).settings()
    return Database(settings.database_url, echo=settings.database.echo)


def _fingerprint(yes: bool, fingerprint: str | None) -> str:
    """The fingerprint ``--yes`` confirms; a usage error (exit 2) when there is none."""
    if yes and not (fingerprint or "").strip():
        raise typer.BadParameter(
            "--yes records only a consequence you read: run the command without --yes first, then "
            "add --yes --fingerprint with the fingerprint it printed",
            param_hint="--fingerprint",
        )
    return (fingerprint or "").strip()


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
        waits = (
            " (waits for a steward on the push monitor: SIASN held this block before ours, so SIASN "
            "keeps it until one sends the unblock)"
            if change.waits_for_steward
            else ""
        )
        typer.echo(f"block flag: NIP {change.nip} would be {verb}{waits}")
    typer.echo(f"fingerprint: {consequence.digest}")


def _run(
    ctx: typer.Context,
    *,
    preview: Callable[[Database], Consequence],
    confirm: Callable[[Database, str], tuple[Consequence, dict[str, Any]]],
    yes: bool,
    fingerprint: str | None,
    as_json: bool,
    done: Callable[[dict[str, Any]], str],
    ids: dict[str, Any],
    read: str | None = None,
) -> None:
    """Preview the step, or (``--yes``) confirm it with ``--fingerprint``; print what happened."""
    seen = _fingerprint(yes, fingerprint)
    settings, database = state(ctx).settings(), _database(ctx)
    try:
        if yes:
            consequence, recorded = confirm(database, seen)
        else:
            consequence, recorded = preview(database), {}
    except ConsequenceChanged as exc:
        _read(ctx, settings, database, exc.consequence, read)
        _refused(exc, as_json, ids)
    _read(ctx, settings, database, consequence, read)
    ids = {**ids, **recorded}
    if as_json:
        emit_json({"consequence": consequence.as_dict(), "fingerprint": consequence.digest, "recorded": yes,
                   **ids})  # fmt: skip
        return
    _echo_consequence(consequence)
    if yes:
        typer.echo(f"{done(ids)}; applied at the next reconciliation")
    else:
        typer.echo(f"nothing recorded: to record it, add --yes --fingerprint {consequence.digest}")


def _read(
    ctx: typer.Context, settings: Settings, database: Database, consequence: Consequence, read: str | None
) -> None:
    """The consequence names ASN (by name and masked NIP): the person running the command read them."""
    record_cli_read(settings, database, "source_record", nips_in(consequence, read), target=ctx.command_path,
                    filter={"what": "link_consequence"})  # fmt: skip


def _refused(exc: ConsequenceChanged, as_json: bool, ids: dict[str, Any]) -> NoReturn:
    """A stale fingerprint: the consequence now and its fingerprint, then exit 1."""
    now = exc.consequence
    if as_json:
        emit_json({"consequence": now.as_dict(), "fingerprint": now.digest, "recorded": False,
                   "refused": exc.code, "error": str(exc), **ids})  # fmt: skip
    else:
        _echo_consequence(now)
        typer.echo(f"to record it as it is now: add --yes --fingerprint {now.digest}")
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(1)


def _correct(
    ctx: typer.Context,
    request: CorrectionRequest,
    *,
    reason: str,
    by: str | None,
    yes: bool,
    fingerprint: str | None,
    as_of: str | None,
    as_json: bool,
) -> None:
    day = date.fromisoformat(as_of) if as_of else None

    def confirm(database: Database, seen: str) -> tuple[Consequence, dict[str, Any]]:
        correction, consequence = confirm_correction(
            database, state(ctx).settings(), request, shown=seen, reason=reason,
            actor=by or getpass.getuser(), channel="cli", as_of=day,
        )  # fmt: skip
        return consequence, {"correction_id": correction}

    _run(
        ctx, preview=lambda db: preview_correction(db, state(ctx).settings(), request, as_of=day),
        confirm=confirm, yes=yes, fingerprint=fingerprint, as_json=as_json,
        done=lambda ids: f"correction {ids['correction_id']} recorded", ids={"correction_id": None},
        read=request.target_nip,
    )  # fmt: skip


@app.command("move")
def move(
    ctx: typer.Context,
    record: Annotated[int, typer.Argument(help="The staged record to move.")],
    to_record: Annotated[int, typer.Option("--to-record", help="A record of the case it belongs to.")],
    reason: Reason,
    by: By = None,
    yes: Yes = False,
    fingerprint: Fingerprint = None,
    as_of: AsOf = None,
    as_json: JsonFlag = False,
) -> None:
    """Move a record into the case that holds another record."""
    request = CorrectionRequest("move_record", record, target_staged_record_id=to_record)
    _correct(
        ctx, request, reason=reason, by=by, yes=yes, fingerprint=fingerprint, as_of=as_of, as_json=as_json
    )


@app.command("assign")
def assign(
    ctx: typer.Context,
    record: Annotated[int, typer.Argument(help="The staged record whose person is wrong.")],
    nip: Annotated[str, typer.Option("--nip", help="The ASN it names, or 'none' (no ASN).")],
    reason: Reason,
    by: By = None,
    yes: Yes = False,
    fingerprint: Fingerprint = None,
    as_of: AsOf = None,
    as_json: JsonFlag = False,
) -> None:
    """Say which ASN a record names (or that it names no ASN): it moves to that person's case."""
    request = CorrectionRequest("assign_person", record, target_nip=parse_person(nip))
    _correct(
        ctx, request, reason=reason, by=by, yes=yes, fingerprint=fingerprint, as_of=as_of, as_json=as_json
    )


@app.command("split")
def split(
    ctx: typer.Context,
    record: Annotated[int, typer.Argument(help="The staged record to take out of its case.")],
    reason: Reason,
    by: By = None,
    yes: Yes = False,
    fingerprint: Fingerprint = None,
    as_of: AsOf = None,
    as_json: JsonFlag = False,
) -> None:
    """Take a record out of its case into a case of its own."""
    request = CorrectionRequest("split", record)
    _correct(
        ctx, request, reason=reason, by=by, yes=yes, fingerprint=fingerprint, as_of=as_of, as_json=as_json
    )


@app.command("merge")
def merge(
    ctx: typer.Context,
    record: Annotated[int, typer.Argument(help="A record of the case to merge away.")],
    into_record: Annotated[int, typer.Option("--into-record", help="A record of the case to keep.")],
    reason: Reason,
    by: By = None,
    yes: Yes = False,
    fingerprint: Fingerprint = None,
    as_of: AsOf = None,
    as_json: JsonFlag = False,
) -> None:
    """Merge two cases: every record of the first joins the second."""
    request = CorrectionRequest("merge", record, target_staged_record_id=into_record)
    _correct(
        ctx, request, reason=reason, by=by, yes=yes, fingerprint=fingerprint, as_of=as_of, as_json=as_json
    )


@app.command("undo")
def undo(
    ctx: typer.Context,
    correction: Annotated[int, typer.Argument(help="The correction's id (see `links list`).")],
    reason: Reason,
    by: By = None,
    yes: Yes = False,
    fingerprint: Fingerprint = None,
    as_of: AsOf = None,
    as_json: JsonFlag = False,
) -> None:
    """Undo a correction: the next reconciliation links its records as the machine would. Shows the
    consequence and its fingerprint first; records the undoing only with --yes --fingerprint."""
    day = date.fromisoformat(as_of) if as_of else None

    def confirm(database: Database, seen: str) -> tuple[Consequence, dict[str, Any]]:
        consequence = confirm_undo(
            database, state(ctx).settings(), correction, shown=seen, reason=reason,
            actor=by or getpass.getuser(), channel="cli", as_of=day,
        )  # fmt: skip
        return consequence, {}

    _run(
        ctx, preview=lambda db: preview_undo(db, state(ctx).settings(), correction, as_of=day),
        confirm=confirm, yes=yes, fingerprint=fingerprint, as_json=as_json,
        done=lambda _: f"correction {correction} undone", ids={"correction_id": correction},
    )  # fmt: skip


@app.command("reopen")
def reopen(
    ctx: typer.Context,
    conflict: Annotated[int, typer.Argument(help="A resolved conflict's id.")],
    reason: Reason,
    by: By = None,
    yes: Yes = False,
    fingerprint: Fingerprint = None,
    as_of: AsOf = None,
    as_json: JsonFlag = False,
) -> None:
    """Reopen a resolved conflict: its decision stops applying and it waits in the queue again. Shows
    the consequence and its fingerprint first; records the reopening only with --yes --fingerprint."""
    day = date.fromisoformat(as_of) if as_of else None

    def confirm(database: Database, seen: str) -> tuple[Consequence, dict[str, Any]]:
        decision, consequence = confirm_reopen(
            database, state(ctx).settings(), conflict, shown=seen, reason=reason,
            actor=by or getpass.getuser(), channel="cli", as_of=day,
        )  # fmt: skip
        return consequence, {"decision_id": decision}

    _run(
        ctx, preview=lambda db: preview_reopen(db, state(ctx).settings(), conflict, as_of=day),
        confirm=confirm, yes=yes, fingerprint=fingerprint, as_json=as_json,
        done=lambda ids: f"conflict {conflict} reopened (decision {ids['decision_id']})",
        ids={"conflict_id": conflict, "decision_id": None},
    )  # fmt: skip


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
