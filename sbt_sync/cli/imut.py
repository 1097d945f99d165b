"""``sbt-sync imut``: I-MUT findings for stewards from the command line (the queue and decisions), and
an evaluation outside Dagster."""

from __future__ import annotations

import getpass
from dataclasses import asdict
from datetime import date
from typing import Annotated

import typer

from sbt_sync.cli.common import emit_json, state
from sbt_sync.db.engine import Database
from sbt_sync.imut.review import StewardChoice
from sbt_sync.imut.run import evaluate_database
from sbt_sync.imut.steward import FindingFilter, decide_finding, list_findings
from schemas.nip import NipError, parse_nip

app = typer.Typer(help="I-MUT findings: personnel actions around elections.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _database(ctx: typer.Context) -> Database:
    settings = state(ctx).settings()
    return Database(settings.database_url, echo=settings.database.echo)


@app.command("findings")
def findings_command(
    ctx: typer.Context,
    status: Annotated[str, typer.Option(help="open, closed or all.")] = "open",
    review: Annotated[
        str | None, typer.Option(help="pending, investigating, confirmed or dismissed.")
    ] = None,
    rule: Annotated[str | None, typer.Option(help="pasal_71_2, pasal_162_3, block_breach, ...")] = None,
    instansi: Annotated[str | None, typer.Option(help="Only findings on this instansi id.")] = None,
    event: Annotated[str | None, typer.Option(help="Only findings of this election event id.")] = None,
    nip: Annotated[str | None, typer.Option(help="Only findings on this ASN (NIP).")] = None,
    language: Annotated[str, typer.Option(help="id or en.")] = "id",
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonFlag = False,
) -> None:
    """The findings queue: breaches first, then possible retaliation for investigation."""
    if language not in ("id", "en"):
        raise typer.BadParameter("language is id or en")
    try:
        parsed = parse_nip(nip) if nip else None
    except NipError as exc:
        raise typer.BadParameter(str(exc)) from None
    database = _database(ctx)
    filters = FindingFilter(
        status=None if status == "all" else status,
        review=review,
        rule=rule,
        instansi_id=instansi,
        event_id=event,
        nip=parsed.value if parsed else None,
    )
    total, page = list_findings(
        database, filters, limit=limit, offset=offset, language="id" if language == "id" else "en"
    )
    database.dispose()
    if as_json:
        emit_json({"total": total, "offset": offset, "findings": [asdict(f) for f in page]})
        return
    typer.echo(f"{total} I-MUT findings ({status}); showing {len(page)} from {offset}")
    for f in page:
        typer.echo(
            f"{f.id:>7}  {f.rule:<25} {f.disposition:<11} {f.review:<13} NIP {f.nip_masked} "
            f"instansi {f.instansi_id or '-'} SK {f.decision_no or '-'} ({f.decision_date or '-'})"
        )
        typer.echo(f"         {f.reason}")
        if f.reopened_reason:
            typer.echo(f"         {f.reopened_reason}")


@app.command("decide")
def decide_command(
    ctx: typer.Context,
    finding_id: Annotated[int, typer.Argument()],
    reason: Annotated[str, typer.Option(help="Why; kept in the audit log.")],
    confirm: Annotated[bool, typer.Option("--confirm", help="The breach is confirmed.")] = False,
    dismiss: Annotated[bool, typer.Option("--dismiss", help="Not a breach (say why).")] = False,
    investigate: Annotated[bool, typer.Option("--investigate", help="Under investigation.")] = False,
    by: Annotated[str | None, typer.Option(help="Who decides (default: the OS user).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Decide a finding; the decision holds while what the finding rests on is unchanged."""
    chosen = [c for c, on in ((StewardChoice.CONFIRM, confirm), (StewardChoice.DISMISS, dismiss),
                              (StewardChoice.INVESTIGATE, investigate)) if on]  # fmt: skip
    if len(chosen) != 1:
        raise typer.BadParameter("give exactly one of --confirm, --dismiss, --investigate")
    database = _database(ctx)
    actor = by or getpass.getuser()
    decision_id = decide_finding(database, finding_id, choice=chosen[0], reason=reason, actor=actor)
    database.dispose()
    if as_json:
        emit_json({"finding_id": finding_id, "decision_id": decision_id, "decision": chosen[0].value})
        return
    typer.echo(f"finding {finding_id}: {chosen[0].value} recorded (decision {decision_id})")


@app.command("evaluate")
def evaluate_command(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Day to evaluate for (YYYY-MM-DD).")] = None,
    full: Annotated[bool, typer.Option("--full", help="Every action, not only what changed.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Evaluate the staged I-MUT actions against the rules and update the findings (no SIASN lookups)."""
    settings = state(ctx).settings()
    database = Database(settings.database_url, echo=settings.database.echo)
    day = date.fromisoformat(as_of) if as_of else None
    stats = evaluate_database(database, settings, as_of=day, full=full)
    database.dispose()
    if as_json:
        emit_json(stats.as_dict())
        return
    typer.echo(
        f"{stats.actions} actions evaluated: {stats.opened} findings opened, {stats.changed} changed, "
        f"{stats.closed} closed, {stats.reopened} reopened; open by rule {stats.open_by_rule}"
    )
