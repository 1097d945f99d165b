"""The list BKN sends Kemendagri cites BKN's letters as the ground for escalating a regional head: it
says which of them reached the PPK and when (proof of delivery, as the Presidential-recommendation
dossier does), so a letter no PIC ever received (refused, then given up by a steward) is never
presented as delivered. Real letters, a real SMTP server on loopback, the report from the database."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, Case
from sbt_sync.notify import Notifier, SmtpConfig, SmtpSender
from sbt_sync.notify.admin import give_up_mail
from sbt_sync.reports.compliance import build_compliance
from sbt_sync.reports.compliance_render import table
from sbt_sync.settings import NotifySettings
from tests.console.letters_world import write_letter
from tests.enforce.rows import add_case, nip
from tests.notify.conftest import FAST
from tests.notify.helpers import add_pics, outbox
from tests.notify.mailserver import MailServer

pytestmark = pytest.mark.integration

RECOMMENDED = date(2026, 10, 1)
"""Deadline 11 October; the peringatan letters are dated 12 October."""
PPKS = {"SAMPANG": "Pemerintah Kabupaten Sampang", "BANGKALAN": "Pemerintah Kabupaten Bangkalan"}


def _regional_cases_not_followed_up(database: Database) -> dict[str, int]:
    """A KASN-era case at each regency, not followed up, its ASN in the registry mirror."""
    ids = {}
    with database.session() as session:
        for i, (instansi, name) in enumerate(PPKS.items(), start=1):
            case = add_case(
                session, f"CASE-{instansi}", nip(i), recommended=RECOMMENDED, recommending_body="KASN"
            )
            session.execute(update(Case).where(Case.id == case.id).values(instansi_id=instansi))
            session.add(
                AsnRegistryEntry(
                    nip=nip(i), siasn_id=f"S{i}", name=f"ASN {i}", name_normalised=f"asn {i}",
                    birth_date=date(1980, 1, 1), gender="M", kind="PNS", instansi_id=instansi,
                    instansi_name=name, kanreg_id="II", status_id="1", status_name="Aktif", content_hash="x",
                )
            )  # fmt: skip
            ids[instansi] = case.id
    return ids


def test_the_kemendagri_list_shows_which_letters_reached_the_ppk_and_never_a_given_up_one(
    migrated_database: Database,
    mail_server: MailServer,
    smtp_config: SmtpConfig,
    notify_settings: NotifySettings,
) -> None:
    cases = _regional_cases_not_followed_up(migrated_database)
    add_pics(migrated_database, "SAMPANG", "pic@sampangkab.go.id")
    add_pics(migrated_database, "BANGKALAN", "lama@bangkalankab.go.id")
    write_letter(migrated_database, cases["SAMPANG"], seq=1, instansi_id="SAMPANG", reviewed=False)
    write_letter(migrated_database, cases["BANGKALAN"], seq=2, instansi_id="BANGKALAN", reviewed=False)
    mail_server.handler.refuse_rcpt = {"lama@bangkalankab.go.id": "550 5.1.1 No such user"}
    with SmtpSender(smtp_config) as sender:
        Notifier(migrated_database, sender, notify_settings, FAST, sleep=lambda _: None).run()
    sampang, bangkalan = outbox(migrated_database)
    assert (sampang.state, bangkalan.state) == ("sent", "parked")
    with migrated_database.session() as session:
        give_up_mail(session, [bangkalan.id], reason="alamat PIC tidak aktif", actor="steward")
    assert sampang.sent_at is not None
    mailed_on = sampang.sent_at.astimezone(ZoneInfo("Asia/Jakarta")).date()

    report = build_compliance(
        migrated_database, as_of=utcnow().date() + timedelta(days=1), follow_up_days=10, nip_display="last4"
    )

    assert sorted(r.instansi_id for r in report.escalation) == ["BANGKALAN", "SAMPANG"]
    header, *rows = table(report, "kemendagri", "id")
    by_instansi = {row[header.index("Instansi")]: dict(zip(header, row, strict=True)) for row in rows}
    proof = {name: row["Bukti penyampaian"] for name, row in by_instansi.items()}
    assert proof == {
        "Pemerintah Kabupaten Sampang": f"0001/B-AK.02.02/SD/F/2026 ({mailed_on.isoformat()})",
        "Pemerintah Kabupaten Bangkalan": "-",
    }
    # The letter itself is still cited (it was issued), only not as delivered.
    assert (
        by_instansi["Pemerintah Kabupaten Bangkalan"]["Nomor surat"]
        == "Peringatan: 0002/B-AK.02.02/SD/F/2026"
    )
    assert table(report, "kemendagri", "en")[0][-1] == "Proof of delivery"
