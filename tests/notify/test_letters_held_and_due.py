"""Letters and the case's life after drafting: a held or ended case stops its letter, a held case's
step waits, no ASN is blocked without a letter to the PPK, and the texts keep the policy's day
(the peringatan falls due on the deadline day itself)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, update

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry, BlockState, Case, ControlAction
from sbt_sync.db.models.letters import Letter, NotificationOutboxEntry
from sbt_sync.enforce import run_enforcement
from sbt_sync.notify import Notifier, NotifyReport, SmtpConfig, SmtpSender
from sbt_sync.notify.admin import retry_mail
from sbt_sync.reports.compliance import build_compliance
from sbt_sync.settings import EnforcementSettings, LetterSettings, NotifySettings, Settings
from tests.notify.conftest import FAST
from tests.notify.helpers import add_pics, outbox
from tests.notify.mailserver import MailServer
from tests.notify.test_letters import REPO_TEMPLATES, add_people, enforce_and_draft

pytestmark = pytest.mark.integration

SETTINGS = Settings(notify=NotifySettings(letters=LetterSettings(templates_dir=str(REPO_TEMPLATES))))


def send(database: Database, config: SmtpConfig, notify: NotifySettings) -> NotifyReport:
    with SmtpSender(config) as sender:
        return Notifier(database, sender, notify, FAST, sleep=lambda _: None).run()


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"held": True, "hold_reason": "identity dispute"}, "kasus ditahan"),  # a dispute after drafting
        (  # the SK arrived after drafting: the letter would warn a PPK who did what it asked
            {"sanction_imposed": "22", "sanction_date": date(2024, 12, 12), "status": "dijatuhi_hukuman"},
            "telah selesai",
        ),
    ],
)
def test_a_letter_whose_only_case_became_held_or_ended_before_sending_is_parked_not_sent(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
    change: dict[str, Any],
    why: str,
) -> None:
    add_people(migrated_database, 1)
    add_pics(migrated_database, "ID-Sampang", "pic@sampang.go.id")
    drafted = enforce_and_draft(migrated_database, SETTINGS, date(2024, 12, 12))
    assert drafted["by_step"] == {"peringatan": 1}
    with migrated_database.session() as session:  # the next cycle: an identity dispute / the SK arrives
        session.execute(update(Case).values(**change))

    send(migrated_database, smtp_config, notify_settings)
    with migrated_database.session() as session:  # a steward's retry does not get it past the check
        assert retry_mail(session, reason="coba lagi", actor="steward") == 1
    send(migrated_database, smtp_config, notify_settings)

    assert mail_server.handler.received == []
    (row,) = outbox(migrated_database)
    assert row.state == "parked" and why in (row.server_answer or ""), row.server_answer
    with migrated_database.session() as session:  # a retry of "all" names the rows it changed
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "notify.retry")).one()
    assert entry.object_id == "all" and entry.after is not None and entry.after["ids"] == [row.id]


def test_a_step_recorded_before_its_case_became_held_waits_for_the_hold_to_end(
    migrated_database: Database,
) -> None:
    """The peringatan was recorded on 12 Dec but its letter waited (the letters step failed that day);
    on 13 Dec an identity dispute holds the case; on 16 Dec the hold ends."""
    from sbt_sync.letters.draft import draft_letters

    add_people(migrated_database, 1)
    with migrated_database.session() as session:
        run_enforcement(session, SETTINGS.enforcement, date(2024, 12, 12))
    with migrated_database.session() as session:
        session.execute(update(Case).values(held=True, hold_reason="identity dispute"))
    with migrated_database.session() as session:
        held = draft_letters(session, SETTINGS, date(2024, 12, 13)).as_dict()
    with migrated_database.session() as session:
        session.execute(update(Case).values(held=False, hold_reason=None))
    with migrated_database.session() as session:
        released = draft_letters(session, SETTINGS, date(2024, 12, 16)).as_dict()

    assert (held["letters"], held["skipped"]) == (0, 0), held  # waits: neither lettered nor skipped
    assert released["by_step"] == {"peringatan": 1}, released


def test_a_ppk_hears_of_a_case_before_its_asn_is_blocked_even_when_steps_fall_due_together(
    migrated_database: Database,
) -> None:
    """A recommendation (dated 2 Dec) first seen on 27 Dec (a late source delivery, a hold lifted):
    peringatan, teguran and pemblokiran are recorded together. The PPK gets the teguran, which does not
    claim a peringatan that never went and says the block has begun."""
    add_people(migrated_database, 1)
    add_pics(migrated_database, "ID-Sampang", "pic@sampang.go.id")

    drafted = enforce_and_draft(migrated_database, SETTINGS, date(2024, 12, 27))

    with migrated_database.session() as session:
        actions = sorted(session.scalars(select(ControlAction.action)))
        blocked = session.scalar(select(BlockState.blocked))
        content = session.scalar(select(Letter.content))
    assert actions == ["pemblokiran", "peringatan", "teguran"] and blocked and content is not None
    assert drafted["by_step"] == {"teguran": 1}, drafted
    assert drafted["skipped_reasons"] == {"later_step": 1}  # the peringatan: the teguran says more
    assert content["every_case_warned"] is False and content["peringatan_letters"] == []
    assert content["cases"][0]["next_step"].startswith("Pemblokiran di SIASN sejak ")


def test_a_teguran_names_the_peringatan_that_went_before_it(migrated_database: Database) -> None:
    add_people(migrated_database, 1)
    add_pics(migrated_database, "ID-Sampang", "pic@sampang.go.id")
    enforce_and_draft(migrated_database, SETTINGS, date(2024, 12, 12))  # recommended 2 Dec
    with migrated_database.session() as session:
        session.execute(update(NotificationOutboxEntry).values(state="sent"))
        peringatan = session.scalar(select(Letter.number))
    enforce_and_draft(migrated_database, SETTINGS, date(2024, 12, 19))
    with migrated_database.session() as session:
        content = session.scalar(select(Letter.content).where(Letter.step == "teguran"))
    assert content is not None
    assert content["every_case_warned"] is True
    assert content["peringatan_letters"] == [f"{peringatan} tanggal 12 Desember 2024"]


def test_the_early_warning_the_peringatan_and_the_report_agree_on_the_deadline_day(
    migrated_database: Database,
) -> None:
    """Recommendation of 2 Dec: deadline 12 Dec. The policy puts the peringatan on the deadline day;
    the early warning names that day, the peringatan goes out that day, and the report still gives the
    PPK that day (an SK dated 12 Dec is on time)."""
    settings = Settings(
        enforcement=EnforcementSettings(peringatan_dini_days_before=3),
        notify=NotifySettings(letters=LetterSettings(templates_dir=str(REPO_TEMPLATES))),
    )
    add_people(migrated_database, 1)  # recommended 2 Dec 2024
    with migrated_database.session() as session:
        session.execute(
            update(Case).values(instansi_id="ID-Sampang", golden={"verification_result": "terbukti"})
        )
    early = enforce_and_draft(migrated_database, settings, date(2024, 12, 9))
    with migrated_database.session() as session:
        early_letter = session.scalar(select(Letter.content))
    assert early_letter is not None
    promised = early_letter["cases"][0]["next_step"]
    on_deadline = enforce_and_draft(migrated_database, settings, date(2024, 12, 12))
    report = build_compliance(
        migrated_database, as_of=date(2024, 12, 12), follow_up_days=10, nip_display="middle"
    )

    assert early["by_step"] == {"peringatan_dini": 1}
    assert promised == "Peringatan pada 12 Desember 2024."
    assert on_deadline["by_step"] == {"peringatan": 1}
    assert report.rows[0].counts["pending"] == 1  # the deadline day is still the PPK's


@pytest.mark.parametrize(
    ("pattern", "accepted"),
    [
        ("{seq:04d}/B-AK.02.02/SD/F/{year}", True),
        ("{seq:04d}/B-AK.02.02/SD/F/{month:02d}/{year}", True),
        ("{seq:04d}/B-AK.02.02/SD/F", False),  # the sequence restarts each January: 0001 would repeat
        ("B-AK.02.02/{year}", False),  # no sequence at all
    ],
)
def test_a_letter_number_pattern_needs_the_sequence_and_the_year(pattern: str, accepted: bool) -> None:
    from pydantic import ValidationError

    if accepted:
        assert LetterSettings(number_pattern=pattern).number_pattern == pattern
    else:
        with pytest.raises(ValidationError):
            LetterSettings(number_pattern=pattern)
