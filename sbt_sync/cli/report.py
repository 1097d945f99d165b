"""``sbt-sync report``: the national recap (table, CSV, XLSX, PNG) and the PPK compliance report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sbt_sync.cli.common import day_option, state
from sbt_sync.db.engine import Database
from sbt_sync.errors import SbtError
from sbt_sync.pdp.access import nips_in, record_cli_read
from sbt_sync.reports.recap import build_recap
from sbt_sync.reports.render import CSV_ENCODING, Format, as_of_now, render

app = typer.Typer(help="Reports from the golden dataset and the enforcement state.", no_args_is_help=True)


@app.command()
def recap(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, xlsx, png or json.")] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (xlsx, png: required).")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="YYYY-MM-DD: count sanctions and departures dated by then, holds begun by then, and the "
            "blocks and unblocks SIASN acknowledged of those decided by then; default: today.",
        ),
    ] = None,
) -> None:
    """The national recap per election event: reported, recommended, sanctioned, blocked and
    unblocked by Kanreg (the dashboard's, counted at the same day)."""
    if fmt not in ("table", "csv", "xlsx", "png", "json"):
        raise typer.BadParameter(f"unknown format {fmt!r}", param_hint="--format")
    settings = state(ctx).settings()
    database = Database(settings.database_url, echo=settings.database.echo)
    day = day_option(as_of, settings.schedule.timezone) if as_of else None
    result = build_recap(database, as_of=day)
    database.dispose()
    if fmt == "json":
        text = json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n"
        if output is not None:
            output.write_text(text, encoding="utf-8")
        else:
            typer.echo(text, nl=False)
        return
    fmt_checked: Format = fmt  # type: ignore[assignment]
    if fmt_checked in ("xlsx", "png") and output is None:
        raise SbtError(f"--format {fmt} writes a file: give --output PATH")
    text_out = render(result, fmt_checked, output, as_of=as_of_now(settings.schedule.timezone))
    if text_out is not None and output is None:
        typer.echo(text_out, nl=False)
    elif output is not None:
        typer.echo(f"recap written to {output}")


@app.command()
def compliance(
    ctx: typer.Context,
    event: Annotated[str | None, typer.Option("--event", help="Only this election event.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, xlsx or pdf.")] = "table",
    output: Annotated[
        Path | None, typer.Option("--out", "--output", "-o", help="File to write (xlsx, pdf: required).")
    ] = None,
    sort: Annotated[
        str | None,
        typer.Option(
            "--sort", help="Summary column key (not_followed_up, worst_overdue, ...): numbers largest first."
        ),
    ] = None,
    issuer: Annotated[
        str | None, typer.Option("--issuer", help="Only KASN's or BKN's recommendations.")
    ] = None,
    which: Annotated[
        str, typer.Option("--table", help="For table/csv: summary, kemendagri or dossier.")
    ] = "summary",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="YYYY-MM-DD; default: the day enforcement last ran for.")
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="id (Bahasa Indonesia) or en.")] = "id",
) -> None:
    """PPK compliance per election and instansi: followed up on time, late, not at all, days overdue,
    control steps and letters, blocked NIPs; the Kemendagri list and the KASN-era dossier."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from sbt_sync.reports import compliance_render as cr
    from sbt_sync.reports.compliance import build_compliance, enforcement_day

    if fmt not in ("table", "csv", "xlsx", "pdf"):
        raise typer.BadParameter(f"unknown format {fmt!r}", param_hint="--format")
    if lang not in ("id", "en"):
        raise typer.BadParameter("id or en", param_hint="--lang")
    if which not in cr.TABLES:
        raise typer.BadParameter(f"one of {', '.join(cr.TABLES)}", param_hint="--table")
    if sort is not None and sort not in cr.SORT_KEYS:
        raise typer.BadParameter(f"one of {', '.join(cr.SORT_KEYS)}", param_hint="--sort")
    if issuer is not None and issuer.upper() not in ("KASN", "BKN"):
        raise typer.BadParameter("KASN or BKN", param_hint="--issuer")
    if fmt in ("xlsx", "pdf") and output is None:
        raise SbtError(f"--format {fmt} writes a file: give --out PATH")
    settings = state(ctx).settings()
    database = Database(settings.database_url, echo=settings.database.echo)
    try:
        day = day_option(as_of, settings.schedule.timezone) if as_of else enforcement_day(database)
        if day is None:
            day = datetime.now(ZoneInfo(settings.schedule.timezone)).date()
        report = build_compliance(
            database,
            as_of=day,
            follow_up_days=settings.enforcement.follow_up_days,
            nip_display=settings.notify.letters.nip_display,
            event=event,
            issuer=issuer,
            timezone=settings.schedule.timezone,
        )
        record_cli_read(settings, database, "export", nips_in(report), target=ctx.command_path,
                        rows=len(report.rows) + len(report.escalation) + len(report.dossier),
                        filter={"what": "compliance", "event": event, "issuer": issuer, "format": fmt,
                                "table": which, "as_of": day.isoformat()})  # fmt: skip
    finally:
        database.dispose()
    language: cr.Lang = "en" if lang == "en" else "id"
    table_name: cr.Table = which
    if fmt == "xlsx" and output is not None:
        cr.write_xlsx(report, output, lang=language, sort=sort)
    elif fmt == "pdf" and output is not None:
        cr.write_pdf(report, output, lang=language, sort=sort)
    else:
        text = cr.as_csv(report, table_name, lang=language, sort=sort) if fmt == "csv" else None
        if text is None:
            text = cr.as_text(report, table_name, lang=language, sort=sort)
        if output is None:
            typer.echo(text, nl=False)
            return
        # A CSV file opens in Excel as UTF-8 only with its BOM (the recap CSV's encoding).
        output.write_text(text, encoding=CSV_ENCODING if fmt == "csv" else "utf-8")
    typer.echo(
        f"compliance report as of {day.isoformat()}: {len(report.rows)} instansi row(s), "
        f"{len(report.escalation)} for Kemendagri, {len(report.dossier)} dossier row(s); written to {output}"
    )
