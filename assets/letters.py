"""Letters to PPKs: ``enforcement/letters`` drafts the day's letters from the control steps (numbered,
PDF, queued), ``sync/letters_mail`` delivers the queued ones by SMTP exactly once (notification outbox).
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import dagster as dg
from pydantic import Field

from assets.keys import BLOCK_STATE, LETTERS, LETTERS_MAIL
from sbt_sync.db.statistics import refresh_statistics
from sbt_sync.letters.draft import draft_letters, letter_templates
from sbt_sync.notify import Notifier, SmtpSender
from sbt_sync.notify.admin import mail_status, smtp_config
from sbt_sync.pending import latest_enforcement_day
from sbt_sync.resources import DatabaseResource, SbtSettingsResource


class LettersConfig(dg.Config):
    as_of: str | None = Field(
        default=None,
        description="The letters' day (YYYY-MM-DD); default: the day enforcement last decided for, else "
        "today in sbt.yaml's schedule timezone.",
    )


@dg.asset(key=LETTERS, deps=[BLOCK_STATE], group_name="enforcement", kinds={"python"})
def letters(
    context: dg.AssetExecutionContext,
    config: LettersConfig,
    db: DatabaseResource,
    settings: SbtSettingsResource,
) -> dg.MaterializeResult:
    """The day's letters to PPKs (peringatan dini, peringatan, teguran): one per PPK, step and day,
    numbered, rendered to PDF with its sha256 and queued for mail in the same transaction."""
    cfg = settings.get()
    refresh_statistics(db.database)  # the control actions enforcement has just recorded
    # The write lock first (SQLite): the day is read before drafting takes it, and a write committed
    # in between would leave this transaction a snapshot that can never take it.
    with db.database.session(write=True) as session:
        if config.as_of:
            day = date.fromisoformat(config.as_of)
        else:
            latest = latest_enforcement_day(session)
            day = latest or datetime.now(ZoneInfo(cfg.schedule.timezone)).date()
        report = draft_letters(session, cfg, day, run_id=context.run.run_id)
    context.log.info(
        "letters of %s: %d letter(s) for %d case(s) %s, %d step(s) without a letter, queued %s",
        report.letter_day,
        report.letters,
        report.cases,
        report.by_step,
        report.skipped,
        report.queued,
    )
    return dg.MaterializeResult(
        metadata={
            "letter_day": report.letter_day,
            "letters": report.letters,
            "cases": report.cases,
            "by_step": dg.MetadataValue.json(report.by_step),
            "skipped": report.skipped,
            "skipped_reasons": dg.MetadataValue.json(report.skipped_reasons),
            "queued": dg.MetadataValue.json(report.queued),
            "numbers": dg.MetadataValue.json(report.numbers[:20]),
        }
    )


@dg.asset(key=LETTERS_MAIL, deps=[LETTERS], group_name="sync", kinds={"python"})
def letters_mail(
    context: dg.AssetExecutionContext, db: DatabaseResource, settings: SbtSettingsResource
) -> dg.MaterializeResult:
    """Queued letters delivered to each instansi's PIC addresses by SMTP, each exactly once (a crash
    re-sends with the same Message-ID; refusals parked for stewards with the server's answer)."""
    cfg = settings.get()
    if cfg.notify.host is None:
        with db.session() as session:
            waiting = mail_status(session)["outbox"]
        context.log.info("no SMTP server configured (notify.host): %s letter(s) wait", waiting["pending"])
        return dg.MaterializeResult(metadata={"configured": False, "outbox": dg.MetadataValue.json(waiting)})
    with SmtpSender(smtp_config(cfg)) as sender:
        notifier = Notifier(db.database, sender, cfg.notify, templates=letter_templates(cfg))
        report = notifier.run(recover=True)
    context.log.info(
        "mail: claimed %d, sent %d, parked %d, deferred %d, %d ambiguous re-send(s)",
        report.claimed,
        report.sent,
        report.parked,
        report.deferred,
        report.ambiguous_resends,
    )
    if report.aborted:
        raise dg.Failure(description=f"mail delivery stopped: {report.aborted}")
    return dg.MaterializeResult(
        metadata={
            "configured": True,
            "claimed": report.claimed,
            "sent": report.sent,
            "parked": report.parked,
            "deferred": report.deferred,
            "retries": report.retries,
            "recovered_sending": report.recovered,
            "lost_claims": report.lost_claims,
            "parked_sample": dg.MetadataValue.json(report.parked_sample),
        }
    )
