"""Acceptance probe: two follow-up early-warning letters (surat susulan) to one PPK on one day. Each
is numbered from the year's sequence without a gap or a repeat, names every letter it follows, reaches
the PIC once, and the compliance report counts each case's early warning once."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, update

from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case
from sbt_sync.db.models.letters import Letter
from sbt_sync.instants import wib_day
from sbt_sync.letters import draft
from sbt_sync.notify import Notifier, SmtpConfig, SmtpSender
from sbt_sync.reports.compliance import build_compliance
from sbt_sync.settings import NotifySettings
from tests.notify.conftest import FAST
from tests.notify.helpers import add_pics, outbox
from tests.notify.mailserver import MailServer
from tests.notify.test_early_warning_same_day import DAY, SETTINGS, add_person_and_case
from tests.notify.test_letters import enforce_and_draft

pytestmark = pytest.mark.integration


def test_two_follow_ups_on_one_day_are_numbered_in_sequence_and_each_case_warned_once(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    add_pics(migrated_database, "ID-Sampang", "pic@sampang.go.id", "sekretariat@sampang.go.id")
    add_person_and_case(migrated_database, 1, date(2024, 12, 3))
    enforce_and_draft(migrated_database, SETTINGS, DAY)
    add_person_and_case(migrated_database, 2, date(2024, 12, 1))  # deadline tomorrow: cannot wait
    enforce_and_draft(migrated_database, SETTINGS, DAY)
    add_person_and_case(migrated_database, 4, date(2024, 12, 1))  # another, recorded later still
    evening = enforce_and_draft(migrated_database, SETTINGS, DAY)
    again = enforce_and_draft(migrated_database, SETTINGS, DAY)

    assert evening["by_step"] == {"peringatan_dini": 1} and again["letters"] == 0
    with migrated_database.session() as session:
        stored = list(session.scalars(select(Letter).order_by(Letter.id)))
        letters = [(x.seq, x.part, x.number, x.content.get("follows")) for x in stored]
    first, second = "0001/B-AK.02.02/SD/F/2024", "0002/B-AK.02.02/SD/F/2024"
    assert letters == [
        (1, 1, first, None),
        (2, 2, second, first),
        (3, 3, "0003/B-AK.02.02/SD/F/2024", f"{first}, {second}"),
    ]

    with SmtpSender(smtp_config) as sender:
        Notifier(migrated_database, sender, notify_settings, FAST, sleep=lambda _: None).run()
    assert [r.state for r in outbox(migrated_database)] == ["sent"] * 3
    copies = Counter((r.message_id, rcpt) for r in mail_server.handler.received for rcpt in r.recipients)
    assert len(copies) == 6 and set(copies.values()) == {1}

    with migrated_database.session() as session:  # as reconciliation files them, from the registry
        session.execute(update(Case).values(instansi_id="ID-Sampang"))
    # The report of the day the letters were mailed (the test mails them now, not in 2024).
    report = build_compliance(
        migrated_database,
        as_of=wib_day(utcnow()),
        follow_up_days=10,
        nip_display="masked",
        timezone="Asia/Jakarta",
    )
    (row,) = report.rows
    assert row.steps["peringatan_dini"] == 3  # three cases, each warned once
    assert row.letters["peringatan_dini"] == {first, second, "0003/B-AK.02.02/SD/F/2024"}


class Killed(BaseException):
    """The drafting process dies here."""


def test_a_drafter_killed_while_numbering_a_follow_up_leaves_no_gap_and_the_next_run_writes_it(
    migrated_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_pics(migrated_database, "ID-Sampang", "pic@sampang.go.id")
    add_person_and_case(migrated_database, 1, date(2024, 12, 3))
    enforce_and_draft(migrated_database, SETTINGS, DAY)
    add_person_and_case(migrated_database, 2, date(2024, 12, 1))

    real = draft.html_to_pdf  # type: ignore[attr-defined]  # patched where drafting looks it up

    def dying(*args: Any, **kwargs: Any) -> bytes:
        raise Killed("rendering the follow-up, its number taken")

    monkeypatch.setattr(draft, "html_to_pdf", dying)
    with pytest.raises(Killed):
        enforce_and_draft(migrated_database, SETTINGS, DAY)
    monkeypatch.setattr(draft, "html_to_pdf", real)
    rerun = enforce_and_draft(migrated_database, SETTINGS, DAY)

    assert rerun["numbers"] == ["0002/B-AK.02.02/SD/F/2024"]
    with migrated_database.session() as session:
        stored = [(x.seq, x.part) for x in session.scalars(select(Letter).order_by(Letter.id))]
    assert stored == [(1, 1), (2, 2)]
