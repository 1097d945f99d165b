"""I-MUT findings go to the stewards' queue and nowhere else: no finding, and no steward's decision on
one, blocks an ASN, writes a SIASN outbox row or a control step (DESIGN.md, Enforcement: moves
against ASN in neutrality cases are for investigation, never automatic). A demotion by the instansi's
head of an ASN named in a neutrality case (possible retaliation) and a replacement in the Pasal 71(2)
window without an approval are found, listed in the queue and confirmed by a steward; enforcement for
the same day still blocks no one. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import BlockState, Case, ControlAction, ImutFinding, OutboxEntry
from sbt_sync.enforce import run_enforcement
from sbt_sync.imut.review import StewardChoice
from sbt_sync.imut.steward import FindingFilter, decide_finding, list_findings
from sbt_sync.settings import Settings
from tests.imut.builders import NIP_A, NIP_B, ingest, payload
from tests.imut.test_findings_store import AS_OF, _evaluate

pytestmark = pytest.mark.integration


def _effects(database: Database) -> tuple[int, int, int]:
    """Outbox rows, blocked NIPs and control steps."""
    with database.session() as session:
        return (
            session.scalar(select(func.count()).select_from(OutboxEntry)) or 0,
            session.scalar(select(func.count()).where(BlockState.blocked.is_(True))) or 0,
            session.scalar(select(func.count()).select_from(ControlAction)) or 0,
        )


def test_findings_and_a_stewards_confirmation_never_block_anyone(migrated_database: Database) -> None:
    database = migrated_database
    demotion = payload(
        1, jenisTindakan="demosi", kelasJabatanBaru="pengawas", tanggalSk="15-10-2024", tmt="21-10-2024",
        tanggalLaporKemendagri="16-10-2024", persetujuanMendagriNomor="100/9",
        persetujuanMendagriTanggal="01-10-2024",
    )  # fmt: skip
    replacement = payload(2, nipBaru=NIP_B)  # 10 Jun 2024, inside the ban, no approval
    ingest(database, demotion, replacement)
    with database.session() as session:
        session.add(
            Case(
                case_key="reg|R-1|" + NIP_A,
                nip=NIP_A,
                status="menunggu_verifikasi",
                register_no="R-1",
                golden={"incident_at": "2024-09-30"},
                content_hash="x",
            )
        )
    before = _effects(database)

    stats = _evaluate(database)
    assert stats.open_by_rule == {"possible_retaliation": 1, "pasal_71_2": 1}
    total, queue = list_findings(database, FindingFilter(status="open"))
    assert total == 2
    assert {(f.rule, f.disposition) for f in queue} == {
        ("possible_retaliation", "investigate"),
        ("pasal_71_2", "breach"),
    }
    for finding in queue:
        decide_finding(database, finding.id, choice=StewardChoice.CONFIRM, reason="terbukti", actor="siti")
    with database.session() as session:
        assert set(session.scalars(select(ImutFinding.review))) == {"confirmed"}
    with database.session() as session:
        run_enforcement(session, Settings().enforcement, AS_OF)
    _evaluate(database, date(2024, 11, 28))

    assert _effects(database) == before == (0, 0, 0)
