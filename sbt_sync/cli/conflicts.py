"""``sbt-sync conflicts``: the stewards' conflict queue from the command line."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from sbt_sync.cli.common import emit_json, state
from sbt_sync.db.engine import Database
from sbt_sync.steward.conflicts import list_conflicts, show_conflict
from sbt_sync.steward.decisions import resolve_conflict
from schemas.nip import mask_nip

app = typer.Typer(help="List, inspect and resolve reconciliation conflicts.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _database(ctx: typer.Context) -> Database:
    settings = state(ctx).settings()
    return Database(settings.database_url, echo=settings.database.echo)


@app.command("list")
def list_command(
    ctx: typer.Context,
    status: Annotated[str, typer.Option(help="open, resolved, auto_closed or all.")] = "open",
    kind: Annotated[str | None, typer.Option(help="identity, name_mismatch, critical_field, ...")] = None,
    agency: Annotated[str | None, typer.Option(help="Only conflicts raised on this source's rows.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonFlag = False,
) -> None:
    """The conflict queue, most urgent first."""
    database = _database(ctx)
    total, page = list_conflicts(
        database,
        status=None if status == "all" else status,
        kind=kind,
        agency=agency,
        limit=limit,
        offset=offset,
    )
    database.dispose()
    if as_json:
        emit_json({"total": total, "offset": offset, "conflicts": [vars(c) for c in page]})
        return
    typer.echo(f"{total} conflicts ({status}); showing {len(page)} from {offset}")
    for c in page:
        due = c.due_at.date().isoformat() if c.due_at else "-"
        subject = c.case_key or c.agency or "-"
        typer.echo(
            f"{c.id:>7}  P{c.priority}  {c.kind:<15} {c.field or '-':<22} due {due}  {c.status:<11} {subject}"
        )


@app.command()
def show(
    ctx: typer.Context, conflict_id: Annotated[int, typer.Argument()], as_json: JsonFlag = False
) -> None:
    """One conflict: its candidates, the record or case it is about, and its decisions."""
    database = _database(ctx)
    detail = show_conflict(database, conflict_id)
    database.dispose()
    if as_json:
        emit_json(detail.as_dict())
        return
    s = detail.summary
    typer.echo(f"conflict {s.id}: {s.kind} on {s.field or '-'} ({s.status}, priority {s.priority})")
    if s.reopened_reason:
        typer.echo(f"  reopened: {s.reopened_reason}")
    if detail.record:
        r = detail.record
        typer.echo(
            f"  record {r['source']} {r['record_key']} item {r['item_no']}: NIP as written "
            f"{mask_nip(r['nip_as_written']) if r['nip_as_written'] else '-'}, name {r['name']!r}, "
            f"instansi {r['instansi']!r}"
        )
    if detail.case:
        typer.echo(f"  case {detail.case['case_key']} ({detail.case['status']}, held {detail.case['held']})")
    typer.echo("  candidates:")
    for c in detail.candidates:
        if "nip" in c:
            typer.echo(
                f"    {c['nip']}  score {c.get('score')}  {c.get('name', '?')}  {c.get('instansi', '')}"
            )
        else:
            typer.echo(f"    {c.get('source')}: {c.get('value')!r} (record {c.get('staged_record_id')})")
    for d in detail.decisions:
        holds = "holds" if d["still_holds"] else "no longer holds"
        typer.echo(f"  decision {d['id']} at {d['decided_at']}: {d['decision']} ({holds}): {d['reason']}")


@app.command()
def resolve(
    ctx: typer.Context,
    conflict_id: Annotated[int, typer.Argument()],
    value: Annotated[
        str, typer.Option(help="A candidate NIP or 'none' (identity); a candidate value; 'keep'.")
    ],
    reason: Annotated[str, typer.Option(help="Why; kept in the audit log.")],
    by: Annotated[str | None, typer.Option(help="Who decides (default: the OS user).")] = None,
    other: Annotated[bool, typer.Option("--other", help="Allow a value no source offered.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Decide a conflict; the next reconciliation applies it, and every later one while it holds."""
    database = _database(ctx)
    actor = by or getpass.getuser()
    decision_id = resolve_conflict(
        database, conflict_id, value=value, reason=reason, actor=actor, allow_other=other
    )
    database.dispose()
    if as_json:
        emit_json({"conflict_id": conflict_id, "decision_id": decision_id, "by": actor})
    else:
        typer.echo(
            f"conflict {conflict_id} resolved by {actor} (decision {decision_id}); applied at the next run"
        )
