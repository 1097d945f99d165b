"""``sbt-sync pic ...``, ``sbt-sync letters ...`` and ``sbt-sync notify ...``: PIC addresses per
instansi (admins), letters to PPKs, and their delivery by mail through the notification outbox."""

from __future__ import annotations

import getpass
from typing import Annotated, Any

import typer

from sbt_sync.cli.common import day_option, emit_json
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
from sbt_sync.pdp.access import access_key, letter_nips, nips_in, os_user, record_cli_read, record_read
from sbt_sync.settings import Settings
from sbt_sync.states.mail import MailState

pic_app = typer.Typer(
    help="PIC mail addresses per instansi (letters to its PPK go to them).", no_args_is_help=True
)
letters_app = typer.Typer(help="Letters to PPKs: peringatan dini, peringatan, teguran.", no_args_is_help=True)
app = typer.Typer(help="Deliver letters by mail through the notification outbox.", no_args_is_help=True)

IdsArg = Annotated[list[int] | None, typer.Argument(help="Outbox row ids (default: all of them).")]


@pic_app.command("add")
def pic_add(
    ctx: typer.Context,
    instansi: Annotated[str, typer.Argument(help="Instansi id (as SIASN names it).")],
    email: Annotated[str, typer.Argument(help="The PIC's mail address.")],
    instansi_name: Annotated[
        str | None,
        typer.Option(
            "--instansi-name",
            help="The instansi's name, for letters when the registry mirror has no member of it.",
        ),
    ] = None,
) -> None:
    """Add a PIC address of an instansi (audited, as the OS user); its letters parked for want of one go."""
    from sbt_sync.notify.admin import add_pic

    def work(settings: Settings, database: Database) -> None:
        with database.session() as session:
            added = add_pic(
                session,
                instansi,
                email,
                actor=getpass.getuser(),
                instansi_name=instansi_name,
                reviewed=settings.notify.mode == "reviewed",
            )
        typer.echo(f"{'added' if added else 'already there'}: {email.strip().lower()} for {instansi}")

    with_database(ctx, work)


@pic_app.command("remove")
def pic_remove(
    ctx: typer.Context,
    instansi: Annotated[str, typer.Argument(help="Instansi id.")],
    email: Annotated[str, typer.Argument(help="The address to remove.")],
) -> None:
    """Remove a PIC address (audited); a letter not yet delivered to every PIC is never sent to it."""
    from sbt_sync.notify.admin import remove_pic

    def work(settings: Settings, database: Database) -> None:
        with database.session() as session:
            if not remove_pic(session, instansi, email, actor=getpass.getuser()):
                raise SbtError(f"{email} is not a PIC address of {instansi}")
        typer.echo(f"removed: {email.strip().lower()} from {instansi}")

    with_database(ctx, work)


@pic_app.command("list")
def pic_list(
    ctx: typer.Context,
    instansi: Annotated[str | None, typer.Argument(help="Only this instansi.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List PIC addresses, per instansi."""
    from sbt_sync.notify.admin import list_pics

    def work(settings: Settings, database: Database) -> None:
        with database.session() as session:
            rows = list_pics(session, instansi)
        if as_json:
            emit_json(rows)
            return
        for row in rows:
            typer.echo(f"{row['instansi_id']:<12} {row['email']}  (added by {row['added_by']})")
        typer.echo(f"{len(rows)} address(es)")

    with_database(ctx, work)


@app.command("send")
def send(
    ctx: typer.Context,
    dry_run: DryRunOpt = False,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Send at most this many letters.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Send every due letter by SMTP (letters left mid-send by a crash go again, same Message-ID)."""
    from sbt_sync.letters.draft import letter_templates
    from sbt_sync.notify import Notifier, SmtpSender
    from sbt_sync.notify.admin import planned_mail, smtp_config

    def work(settings: Settings, database: Database) -> None:
        if dry_run:
            with database.session() as session:
                rows = planned_mail(session)
            show_planned(rows, noun="letter", json_key="letters", as_json=as_json, lines=_planned_lines)
            return
        with SmtpSender(smtp_config(settings)) as sender:
            notifier = Notifier(database, sender, settings.notify, templates=letter_templates(settings))
            report = notifier.run(recover=True, limit=limit)
        if as_json:
            emit_json(report.as_dict())
        else:
            typer.echo(
                f"claimed {report.claimed}: sent {report.sent}, parked {report.parked}, deferred "
                f"{report.deferred}, retries {report.retries}, recovered {report.recovered}"
            )
            for line in report.parked_sample:
                typer.echo(f"  parked: {line}")
        if report.aborted:
            raise SbtError(f"mail delivery stopped: {report.aborted}")

    with_database(ctx, work)


def _planned_lines(row: dict[str, Any]) -> list[str]:
    held = " (held for review)" if row["state"] == MailState.HELD else ""
    return [
        f"  #{row['id']} {row['letter']} {row['step']} to {row['instansi_id']} "
        f"({row['cases']} case(s)) -> {', '.join(row['recipients'])}{held}",
        f"      Message-ID {row['message_id']}; Subject: {row['subject']}",
        *(
            [f"      already has it: {', '.join(row['already_delivered'])}"]
            if row["already_delivered"]
            else []
        ),
        *([f"      refused (a steward retries): {', '.join(row['refused'])}"] if row["refused"] else []),
        *([f"      not sent to (no longer a PIC): {', '.join(row['removed'])}"] if row["removed"] else []),
    ]


@app.command("status")
def status(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Outbox rows per state, parked letters with the server's answer, and letters given up."""
    from sbt_sync.notify.admin import mail_status

    def work(settings: Settings, database: Database) -> None:
        with database.session() as session:
            st = mail_status(session)
        if as_json:
            emit_json(st)
            return
        echo_counts(st["outbox"])
        for row in st["parked"]:
            typer.echo(f"parked  #{row['id']} {row['letter']}: {row['answer']}")
            if row["delivered"]:  # parked for some PICs only: the PPK has the letter already
                typer.echo(f"        has the letter: {', '.join(row['delivered'])}")
                typer.echo(f"        does not: {', '.join(row['refused']) or '-'}")
            if row["removed"]:
                typer.echo(f"        not sent to (no longer a PIC): {', '.join(row['removed'])}")
            if row["given_up"]:
                typer.echo(f"        given up by a steward: {', '.join(row['given_up'])}")
        for row in st["given_up"]:  # given up on purpose: never sent again
            typer.echo(
                f"given up #{row['id']} {row['letter']} by {row['by']} at {row['at']}: {row['reason']}"
            )
            typer.echo(f"        has the letter: {', '.join(row['delivered']) or '-'}")
            typer.echo(f"        never sent it: {', '.join(row['not_sent_to']) or '-'}")
        for row in st["not_sent_to"]:  # a PIC removed while the letter waited: never sent it
            typer.echo(
                f"{row['state']:<7} #{row['id']} {row['letter']}: not sent to (no longer a PIC): "
                f"{', '.join(row['removed'])}"
            )

    with_database(ctx, work)


@app.command("retry")
def retry(ctx: typer.Context, ids: IdsArg = None, reason: ReasonOpt = "retry requested") -> None:
    """Make parked letters (and letters waiting out a backoff) due again (audited)."""
    from sbt_sync.notify.admin import retry_mail

    retry_parked(ctx, retry_mail, ids, reason, done="{count} letter(s) due again; run: sbt-sync notify send")


@app.command("give-up")
def give_up(
    ctx: typer.Context,
    ids: Annotated[list[int], typer.Argument(help="Outbox row ids of parked letters.")],
    reason: Annotated[str, typer.Option("--reason", help="Why they will not be sent it (audited).")] = ...,  # type: ignore[assignment]
) -> None:
    """Give up parked letters for the PICs who do not have them (audited; never sent again)."""
    from sbt_sync.notify.admin import give_up_mail

    def work(settings: Settings, database: Database) -> None:
        with database.session() as session:
            count = give_up_mail(session, ids, reason=reason, actor=getpass.getuser())
        typer.echo(f"{count} letter(s) given up for the PICs that do not have them")

    with_database(ctx, work)


@app.command("release")
def release(
    ctx: typer.Context,
    ids: IdsArg = None,
    reason: Annotated[str, typer.Option("--reason", help="Why they may go (audited).")] = ...,  # type: ignore[assignment]
) -> None:
    """Release letters held for review (``notify.mode: reviewed``) for sending (audited)."""
    from sbt_sync.letters.draft import letter_templates
    from sbt_sync.notify.admin import held_unnamed, release_mail

    def work(settings: Settings, database: Database) -> None:
        with database.session() as session:
            count = release_mail(
                session,
                ids or [],
                reason=reason,
                actor=getpass.getuser(),
                templates=letter_templates(settings),
            )
            unnamed = held_unnamed(session)
        typer.echo(f"{count} letter(s) released; run: sbt-sync notify send")
        for row in unnamed:  # never sent addressed without a name
            typer.echo(
                f"still held #{row['id']} {row['letter']}: the name of instansi {row['instansi_id']} is "
                f"unknown; give it: sbt-sync pic add {row['instansi_id']} <address> --instansi-name '<name>'"
            )

    with_database(ctx, work)


@letters_app.command("draft")
def letters_draft(
    ctx: typer.Context,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The letters' day (YYYY-MM-DD; default today).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List the letters; write nothing.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Draft the day's letters from the recorded control steps (numbered, PDF, queued for mail)."""
    from sbt_sync.letters.draft import draft_letters

    def work(settings: Settings, database: Database) -> None:
        day = day_option(as_of, settings.schedule.timezone, allow_future=dry_run)
        with database.session() as session:
            report = draft_letters(session, settings, day, dry_run=dry_run)
        if report.planned:  # a dry run lists each letter's case keys, which end in the ASN's NIP
            record_cli_read(settings, database, "letter", nips_in(report.planned), target=ctx.command_path)
        if as_json:
            emit_json(report.as_dict())
            return
        verb = "would draft" if dry_run else "drafted"
        typer.echo(f"{verb} {report.letters} letter(s) for {report.cases} case(s) on {report.letter_day}")
        for planned in report.planned:
            typer.echo(f"  {planned['step']} to {planned['instansi_id']}: {len(planned['cases'])} case(s)")
        for number in report.numbers:
            typer.echo(f"  {number}")
        for why, count in report.skipped_reasons.items():
            typer.echo(f"  no letter for {count} step(s): {why}")

    with_database(ctx, work)


@letters_app.command("list")
def letters_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=1, help="The latest this many.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """The latest letters with their delivery state."""
    from sqlalchemy import select

    from sbt_sync.db.models.letters import Letter, NotificationOutboxEntry

    def work(settings: Settings, database: Database) -> None:
        with database.session() as session:
            rows = session.execute(
                select(Letter, NotificationOutboxEntry.state)
                .outerjoin(NotificationOutboxEntry, NotificationOutboxEntry.letter_id == Letter.id)
                .order_by(Letter.id.desc())
                .limit(limit)
            ).all()
            data = [
                {
                    "id": letter.id,
                    "number": letter.number,
                    "step": letter.step,
                    "instansi_id": letter.instansi_id,
                    "date": letter.letter_date.isoformat(),
                    "cases": letter.case_count,
                    "sha256": letter.sha256,
                    "mail": mail_state,
                }
                for letter, mail_state in rows
            ]
        if as_json:
            emit_json(data)
            return
        for row in data:
            typer.echo(
                f"{row['number']:<28} {row['date']} {row['step']:<15} {row['instansi_id']:<12} "
                f"{row['cases']:>3} case(s)  mail {row['mail']}"
            )

    with_database(ctx, work)


@letters_app.command("pdf")
def letters_pdf(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="The letter's number.")],
    out: Annotated[str, typer.Option("--out", "-o", help="Where to write the PDF.")],
) -> None:
    """Write a letter's PDF (as sent) to a file."""
    from pathlib import Path

    from sqlalchemy import select

    from sbt_sync.db.models.letters import Letter

    def work(settings: Settings, database: Database) -> None:
        with database.session() as session:
            letter = session.scalar(select(Letter).where(Letter.number == number))
            if letter is None:
                raise SbtError(f"no letter numbered {number}")
            Path(out).write_bytes(letter.pdf)
            record_read(session, os_user(), "cli", "export", letter_nips(session, letter.id),
                        key=access_key(settings), target=ctx.command_path,
                        filter={"what": "letter_pdf", "letter": letter.id})  # fmt: skip
            typer.echo(f"{out}: {letter.number} ({len(letter.pdf)} bytes, sha256 {letter.sha256})")

    with_database(ctx, work)
