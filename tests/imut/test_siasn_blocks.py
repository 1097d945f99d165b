"""Blocks the product never pushed: SIASN's own state, asked over real HTTP (the sandbox's SIASN
simulator) for a bounded number of NIPs, once each, and read as a block interval."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from connectors.siasn import SiasnClient, SiasnConfig
from sbt_sync.db.engine import Database
from sbt_sync.db.models import ImutFinding, SiasnObservation
from sbt_sync.imut.elections import load_election_calendar
from sbt_sync.imut.findings_write import FindingStats
from sbt_sync.imut.store import evaluate_findings
from sbt_sync.imut.workdays import load_working_days
from sbt_sync.sandbox.runtime import Sandbox
from tests.connectors.helpers_sandbox import NIPS, http_client, sandbox, siasn_credentials
from tests.imut.builders import action_id, ingest, payload

pytestmark = pytest.mark.integration
__all__ = ["sandbox"]  # the fixture, used by name


def _promotion(n: int, nip: str) -> dict[str, object]:
    return payload(
        n,
        nipBaru=nip,
        jenisTindakan="promosi",
        kelasJabatanLama="lainnya",
        kelasJabatanBaru="lainnya",
        pejabatPenetapPeran="pimpinan_instansi",
        pejabatPenetapWilayah=None,
        tanggalSk="25-11-2024",
        tmt="01-12-2024",
    )


def _evaluate(database: Database, client: SiasnClient, lookups: int) -> FindingStats:
    with database.session() as session:
        return evaluate_findings(
            session,
            elections=load_election_calendar(),
            workdays=load_working_days(),
            as_of=date(2024, 11, 27),
            siasn=client,
            siasn_lookups=lookups,
        )


def test_a_nip_blocked_by_someone_else_is_read_from_siasn_once_and_its_promotion_flagged(
    migrated_database: Database, sandbox: Sandbox
) -> None:
    config = SiasnConfig(sandbox.endpoints.siasn_base_url, siasn_credentials(sandbox))
    client = SiasnClient(config, http=http_client(sandbox))
    # Blocked in SIASN by another party on the sandbox's day (27 Nov 2024): no push of ours.
    client.blokir(NIPS[1], {"alasan": "blokir oleh pihak lain", "nomorReferensi": "X-1"}, "other-1")
    ingest(migrated_database, _promotion(1, NIPS[1]), _promotion(2, NIPS[2]), _promotion(3, NIPS[0]))
    first = _evaluate(migrated_database, client, lookups=2)
    assert first.siasn_lookups == 2  # bounded: the third NIP waits for the next run
    second = _evaluate(migrated_database, client, lookups=2)
    assert second.siasn_lookups == 1  # each NIP asked once
    assert _evaluate(migrated_database, client, lookups=2).siasn_lookups == 0
    client.close()
    with migrated_database.session() as session:
        observed = {o.nip: o.blocked for o in session.scalars(select(SiasnObservation))}
        findings = session.scalars(select(ImutFinding)).all()
    assert observed == {NIPS[0]: False, NIPS[1]: True, NIPS[2]: False}
    assert [(f.action_id, f.rule) for f in findings] == [(action_id(1), "block_breach")]
    assert findings[0].evidence["block_start"] == "2024-11-27"
    assert [r["kind"] for r in findings[0].records] == ["imut_action", "siasn_observation"]
