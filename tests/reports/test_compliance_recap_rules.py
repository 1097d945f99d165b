"""The compliance report counts by the recap's rules, on both backends: a blocked NIP is one whose
block SIASN acknowledged (a block queued behind the change guard, or not pushed yet, has stopped
nobody's promotion), and an ASN the registry mirror knows left service left service, whatever the
case's status says (enforcement and the recap use both)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import insert

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry
from sbt_sync.enforce import run_enforcement
from sbt_sync.ingest.registry import registry_row
from sbt_sync.reports.compliance import build_compliance
from sbt_sync.reports.compliance_model import ComplianceRow
from sbt_sync.reports.recap import TOTAL, build_recap
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.settings import EnforcementSettings
from tests.enforce.rows import add_case, nip
from tests.push.conftest import pusher
from tests.reconcile.test_probe_corrections_siasn import siasn  # noqa: F401
from tests.support.registry import registry_item

AS_OF = date(2025, 1, 20)


def _row(database: Database) -> ComplianceRow:
    report = build_compliance(database, as_of=AS_OF, follow_up_days=10, nip_display="middle")
    (row,) = report.rows
    return row


@pytest.mark.integration
def test_blocked_nips_are_the_blocks_siasn_acknowledged(
    migrated_database: Database,
    siasn: Sandbox,  # noqa: F811
) -> None:
    database = migrated_database
    with database.session() as session:
        add_case(session, "CASE-A", nip(1))
        run_enforcement(session, EnforcementSettings(), date(2024, 12, 25))  # the block is queued

    assert _row(database).blocked_nips == set()

    pusher(database, siasn).run()

    assert _row(database).blocked_nips == {nip(1)}
    assert build_recap(database).events[TOTAL].counts["blocked_nips"] == 1


def test_an_asn_the_registry_knows_left_service_counts_as_left_service(migrated_database: Database) -> None:
    with migrated_database.session() as session:
        item = {**registry_item(nip(4), "ASN 4"), "kedudukanPnsId": "99"}  # pensiun (registry)
        session.execute(insert(AsnRegistryEntry), [registry_row(item)])
        add_case(session, "RETIRED", nip(4))

    row = _row(migrated_database)

    assert (row.counts["left_service"], row.counts["not_followed_up"]) == (1, 0)
    assert build_recap(migrated_database, as_of=AS_OF).events[TOTAL].counts["left_service"] == 1
