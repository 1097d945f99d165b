"""``sbt-sync imut``: I-MUT findings for stewards from the command line (the queue and decisions), an
evaluation outside Dagster, and the report per election and region."""

from __future__ import annotations

import getpass
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from sbt_sync.cli.common import emit_json, state
from sbt_sync.db.engine import Database
from sbt_sync.imut.model import Rule
from sbt_sync.imut.review import FindingStatus, Review, StewardChoice
from sbt_sync.imut.run import calendars, evaluate_database
from sbt_sync.imut.steward import FindingFilter, decide_finding, list_findings
from sbt_sync.pdp.access import nips_in, record_cli_read
from schemas.nip import NipError, parse_nip

app = typer.Typer(help="I-MUT findings: personnel actions around elections.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
STATUS_CHOICES = (*(s.value for s in FindingStatus), "all")
REVIEW_CHOICES = tuple(r.value for r in Review)
RULE_CHOICES = tuple(r.value for r in Rule)


def _one_of(value: str | None, allowed: tuple[str, ...], option: str) -> None:
    """A filter value is one of ``allowed``: a typo must not read as "no findings" (exit 2)."""
    if value is not None and value not in allowed:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(allowed)}", param_hint=option)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date written YYYY-MM-DD", param_hint=option) from None


def _database(ctx: typer.Context) -> Database:
    settings = state(ctx).settings()
    return Database(settings.database_url, echo=settings.database.echo)


@app.command("findings")
def findings_command(
    ctx: typer.Context,
    status: Annotated[str, typer.Option(help=f"One of {', '.join(STATUS_CHOICES)}.")] = "open",
    review: Annotated[str | None, typer.Option(help=f"One of {', '.join(REVIEW_CHOICES)}.")] = None,
    rule: Annotated[str | None, typer.Option(help=f"One of {', '.join(RULE_CHOICES)}.")] = None,
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
    _one_of(status, STATUS_CHOICES, "--status")
    _one_of(review, REVIEW_CHOICES, "--review")
    _one_of(rule, RULE_CHOICES, "--rule")
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
    record_cli_read(state(ctx).settings(), database, "imut_finding", nips_in(page), target=ctx.command_path,
                    filter={**vars(filters), "limit": limit, "offset": offset})  # fmt: skip
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
    day = _day(as_of, "--as-of")
    settings = state(ctx).settings()
    database = Database(settings.database_url, echo=settings.database.echo)
    stats = evaluate_database(database, settings, as_of=day, full=full)
    database.dispose()
    if as_json:
        emit_json(stats.as_dict())
        return
    typer.echo(
        f"{stats.actions} actions evaluated ({stats.withdrawn} withdrawn at the source besides): "
        f"{stats.opened} findings opened, {stats.changed} changed, "
        f"{stats.closed} closed, {stats.reopened} reopened; {stats.duplicates} duplicate deliveries of a "
        f"decision set aside; open by rule {stats.open_by_rule}"
    )


@app.command("report")
def report_command(
    ctx: typer.Context,
    event: Annotated[str | None, typer.Option("--event", help="Only this election event id.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or xlsx.")] = "table",
    output: Annotated[Path | None, typer.Option("-o", "--out", help="Write to this file.")] = None,
    which: Annotated[
        str, typer.Option("--table", help="For csv: regions, instansi or officials.")
    ] = "regions",
    lang: Annotated[str, typer.Option("--lang", help="id (Bahasa Indonesia) or en.")] = "id",
) -> None:
    """Per election event and region: actions in the window, findings by rule, by instansi and by
    deciding official (undecided per rule; confirmed and dismissed counted apart)."""
    from sbt_sync.imut import report as ir

    if fmt not in ("table", "csv", "xlsx"):
        raise typer.BadParameter(f"unknown format {fmt!r}", param_hint="--format")
    if lang not in ("id", "en"):
        raise typer.BadParameter("id or en", param_hint="--lang")
    if which not in ir.TABLES:
        raise typer.BadParameter(f"one of {', '.join(ir.TABLES)}", param_hint="--table")
    if fmt == "xlsx" and output is None:
        raise typer.BadParameter("--format xlsx writes a file: give -o PATH", param_hint="--format")
    settings = state(ctx).settings()
    elections, _workdays = calendars(settings)
    if event is not None and event not in {e.event_id for e in elections.events}:
        raise typer.BadParameter(f"no election event {event!r} in the calendar", param_hint="--event")
    database = Database(settings.database_url, echo=settings.database.echo)
    try:
        now = datetime.now(ZoneInfo(settings.schedule.timezone))
        built = ir.build_report(database, elections, event=event, now=now)
        record_cli_read(settings, database, "export", nips_in(built), target=ctx.command_path,
                        filter={"what": "imut_report", "event": event, "format": fmt,
                                "table": which})  # fmt: skip
    finally:
        database.dispose()
    language: ir.Lang = "en" if lang == "en" else "id"
    table_name: ir.Table = which
    if fmt == "xlsx" and output is not None:
        ir.write_xlsx(built, output, lang=language)
    else:
        text = (
            ir.as_csv(built, table_name, lang=language) if fmt == "csv" else ir.as_text(built, lang=language)
        )
        if output is None:
            typer.echo(text, nl=False)
            return
        output.write_text(text, encoding="utf-8")
    typer.echo(
        f"I-MUT report: {len(built.regions)} event and region row(s), {len(built.instansi)} instansi, "
        f"{len(built.officials)} official(s); written to {output}"
    )
