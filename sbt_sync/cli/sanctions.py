"""``sbt-sync sanctions``: a case's sanction versions, and a revision decided on objection (keberatan)
entered with its decision letter (audited; it takes effect at the next reconciliation).

Listing shows a person's discipline record: each listing is recorded in the personal-data access log
(:func:`sbt_sync.pdp.access.record_cli_read`) with the NIPs of the people it is about."""

from __future__ import annotations

import getpass
from datetime import date
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from sbt_sync.cli.common import emit_json, state
from sbt_sync.db.engine import Database
from sbt_sync.db.models import StagedRecord
from sbt_sync.pdp.access import nips_in, record_cli_read
from sbt_sync.steward.sanctions import (
    ANNUL,
    SanctionRefused,
    find_case,
    list_versions,
    revise_sanction,
    waiting_versions,
)

app = typer.Typer(
    help="A case's sanction versions (the first decision and each revision after an objection) and "
    "entering a revision with its decision letter.",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
CaseRef = Annotated[str, typer.Argument(help="The case: its id or its key.")]


def _database(ctx: typer.Context) -> Database:
    settings = state(ctx).settings()
    return Database(settings.database_url, echo=settings.database.echo)


@app.command("list")
def list_command(ctx: typer.Context, case: CaseRef, as_json: JsonFlag = False) -> None:
    """Every version of the case's sanction, in decision order; * marks the one in force."""
    database = _database(ctx)
    with database.session() as session:
        found = find_case(session, case)
        rows = list_versions(session, found.id)
    record_cli_read(state(ctx).settings(), database, "case", {found.nip, *nips_in(rows)},
                    target=ctx.command_path)  # fmt: skip
    if as_json:
        emit_json({"case_id": found.id, "versions": [r.as_dict() for r in rows]})
        return
    if not rows:
        typer.echo(f"case {found.id}: no sanction recorded")
        return
    for r in rows:
        mark = "*" if r.in_force else " "
        what = "ANNULLED on objection" if r.code is None else f"{r.code} {r.name or ''}".strip()
        where = r.source + (f" {r.source_ref}" if r.source_ref else "")
        pending = " (pending: takes effect at the next reconciliation)" if r.pending else ""
        letter = f"letter {r.letter_no or '-'}"
        typer.echo(f"{mark} {r.seq or '-'}. {r.decided_on or '?'}  {what}  {letter}  [{where}]{pending}")
        if r.reason:
            typer.echo(f"     {r.entered_by}: {r.reason}")


@app.command("waiting")
def waiting_command(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Stewards' versions whose case was removed (its records withdrawn or moved where no case continues
    it): each returns to the case that next links one of the records it followed."""
    database = _database(ctx)
    with database.session() as session:
        rows = waiting_versions(session)
        people = _nips_of(session, [i for _, records in rows for i in records])
    record_cli_read(state(ctx).settings(), database, "case", people | nips_in([r for r, _ in rows]),
                    target=ctx.command_path, rows=len(rows))  # fmt: skip
    if as_json:
        emit_json({"waiting": [r.as_dict() | {"records": records} for r, records in rows]})
        return
    if not rows:
        typer.echo("no sanction version is waiting for its case")
        return
    for r, records in rows:
        what = "ANNULLED on objection" if r.code is None else f"{r.code} {r.name or ''}".strip()
        typer.echo(
            f"version {r.id}: {r.decided_on or '?'}  {what}  letter {r.letter_no or '-'}  "
            f"entered by {r.entered_by}; waits for staged records {', '.join(map(str, records)) or '-'}"
        )


def _nips_of(session: Session, staged_ids: list[int]) -> set[str]:
    """The NIPs of the staged records a waiting version follows (the people whose sanction it is)."""
    found = session.execute(
        select(StagedRecord.nip, StagedRecord.resolved_nip, StagedRecord.linked_nip).where(
            StagedRecord.id.in_(sorted(set(staged_ids)))
        )
    )
    return {nip for row in found for nip in row if nip}


@app.command("revise")
def revise_command(
    ctx: typer.Context,
    case: CaseRef,
    code: Annotated[
        str, typer.Option("--code", help=f"The new jenisHukuman code (sanction_codes.csv), or '{ANNUL}'.")
    ],
    letter_no: Annotated[str, typer.Option("--letter-no", help="The decision letter's number.")],
    letter_date: Annotated[
        str, typer.Option("--letter-date", help="The decision letter's date, YYYY-MM-DD.")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")],
    by: Annotated[str | None, typer.Option("--by", help="Who enters it (default: the OS user).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Record a revision of the case's sanction decided on objection, with its decision letter."""
    try:
        day = date.fromisoformat(letter_date)
    except ValueError as exc:
        raise SanctionRefused(f"--letter-date {letter_date!r} is not YYYY-MM-DD", code="letter_date") from exc
    database = _database(ctx)
    version_id = revise_sanction(
        database, case, code=code, letter_no=letter_no, letter_date=day, reason=reason,
        actor=by or getpass.getuser(), channel="cli",
    )  # fmt: skip
    if as_json:
        emit_json({"version_id": version_id, "takes_effect": "next reconciliation"})
        return
    typer.echo(f"recorded sanction version {version_id}; it takes effect at the next reconciliation")
