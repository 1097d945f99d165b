"""The PPK compliance report counts the notice (``pemberitahuan``) a PPK got when a withdrawn annulment
brought a block back: its own column, its number in the letter numbers (named in words, never as a
code) and its delivery in the Kemendagri list's proof, in the CSV and the PDF as in the tables.

The scenario is the reblock test's (tests/letters/test_letters2_reblock_notice.py): recommended 2 Dec
2024, peringatan and teguran mailed, blocked 26 Dec, annulled 28 Dec (unblocked 30 Dec), the annulment
withdrawn and the block back on 6 Jan 2025, the notice mailed through a real SMTP server on loopback.
On SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case
from sbt_sync.db.models.letters import Letter, NotificationOutboxEntry
from sbt_sync.notify import SmtpConfig
from sbt_sync.reports.compliance import build_compliance
from sbt_sync.reports.compliance_render import as_csv, table, write_pdf
from sbt_sync.settings import NotifySettings
from tests.letters.annulments import withdraw_annulment
from tests.letters.test_letters2_reblock_notice import SETTINGS, blocked_then_annulled, drain
from tests.notify.mailserver import MailServer
from tests.notify.test_letters import enforce_and_draft

pytestmark = pytest.mark.integration

PERINGATAN, TEGURAN = "0001/B-AK.02.02/SD/F/2024", "0002/B-AK.02.02/SD/F/2024"
NOTICE = "0001/B-AK.02.02/SD/F/2025"


def _summary(rows: list[list[object]]) -> dict[str, object]:
    header, *body = rows
    (row,) = body
    return dict(zip((str(h) for h in header), row, strict=True))


def test_the_compliance_report_counts_and_shows_the_notice_of_a_block_brought_back(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
    tmp_path: Path,
) -> None:
    database = migrated_database
    blocked_then_annulled(database, smtp_config, notify_settings)
    withdraw_annulment(database)
    assert enforce_and_draft(database, SETTINGS, date(2025, 1, 6))["by_step"] == {"pemberitahuan": 1}
    assert drain(database, smtp_config, notify_settings).sent == 1
    with database.session() as session:
        # Reconciliation names the case's instansi from the registry (the letters' addressee); each
        # letter was mailed at 10:00 WIB on its day.
        session.execute(update(Case).values(instansi_id="ID-Sampang"))
        for outbox_id, day in session.execute(
            select(NotificationOutboxEntry.id, Letter.letter_date).join(Letter)
        ).tuples():
            sent = datetime.combine(day, time(3), UTC)
            session.execute(
                update(NotificationOutboxEntry)
                .where(NotificationOutboxEntry.id == outbox_id)
                .values(sent_at=sent)
            )

    def report(day: date):  # type: ignore[no-untyped-def]
        return build_compliance(database, as_of=day, follow_up_days=10, nip_display="masked")

    now = report(date(2025, 1, 8))
    summary = _summary(table(now, "summary"))
    assert summary["Pemberitahuan"] == 1
    # The block brought back was never pushed here: SIASN acknowledged none, so no NIP is blocked
    # (the recap's rule).
    assert (summary["Peringatan"], summary["Teguran"], summary["NIP diblokir"]) == (1, 1, 0)
    assert summary["Nomor surat"] == (
        f"Peringatan: {PERINGATAN}; Teguran: {TEGURAN}; Pemberitahuan: {NOTICE}"
    )
    english = _summary(table(now, "summary", "en"))
    assert english["Notices"] == 1
    assert english["Letter numbers"] == f"Warning: {PERINGATAN}; Reprimand: {TEGURAN}; Notice: {NOTICE}"
    header, row = table(now, "kemendagri")
    proof = dict(zip(header, row, strict=True))["Bukti penyampaian"]
    assert proof == f"{PERINGATAN} (2024-12-12); {TEGURAN} (2024-12-19); {NOTICE} (2025-01-06)"
    assert "Pemberitahuan: " + NOTICE in as_csv(now)

    path = tmp_path / "kepatuhan.pdf"
    write_pdf(now, path)
    text = " ".join(
        " ".join(page.extract_text() for page in PdfReader(io.BytesIO(path.read_bytes())).pages).split()
    )
    assert "Pemberitahuan" in text and NOTICE in text

    # A report for a day before the notice was written counts none.
    before = _summary(table(report(date(2025, 1, 5)), "summary"))
    assert before["Pemberitahuan"] == 0
    assert NOTICE not in str(before["Nomor surat"])
