"""Names that once linked the wrong ASN, end to end: staged rows without a NIP, reconciled against the
registry mirror and planned for enforcement ("a row naming Budi Santoso never blocks Santoso")."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, Case, Conflict, RawRecord, StagedRecord
from sbt_sync.enforce.load import load_cases
from sbt_sync.enforce.policy import plan_enforcement
from sbt_sync.ingest.registry import registry_row
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.settings import Settings, load_settings
from tests.conftest import REPO_ROOT
from tests.reconcile.test_database_property import AS_OF, NIP_A, RECS, REGS, T0, _reset
from tests.support.registry import registry_item

SANTOSO = "196501011990031001"
"""An ASN of Sampang called just SANTOSO (``_reset`` registers BUDI SANTOSO, ``NIP_A``, there too)."""
BUDI_MUHAMMAD = "198202022006011002"
BUDI_MULYADI = "198303032007011003"


@pytest.fixture
def settings() -> Settings:
    return load_settings(REPO_ROOT / "sbt.yaml", env={})


def _register(database: Database, *people: tuple[str, str]) -> None:
    with database.session() as session:
        session.execute(
            insert(AsnRegistryEntry), [registry_row(registry_item(nip, name)) for nip, name in people]
        )


def _stage_case(database: Database, name: str) -> None:
    """A forwarded Bawaslu finding and a proven recommendation naming ``name`` in Sampang, no NIP."""
    rows: list[tuple[str, dict[str, Any], str | None]] = [
        ("bawaslu", {"register_status": "diteruskan", "incident_at": "2024-10-01T10:00:00+07:00"}, None),
        (
            "bkn_wasdal",
            {
                "verification_result": "terbukti",
                "recommendation_date": "2024-11-01",
                "recommended_sanction": "21",
            },
            RECS[0],
        ),
    ]
    with database.session() as session:
        for source, fields, number in rows:
            kind = "finding" if source == "bawaslu" else "recommendation"
            raw = RawRecord(source=source, record_key=f"{source}-1", content_hash="r", payload="{}")
            session.add(raw)
            session.flush()
            session.add(
                StagedRecord(
                    raw_record_id=raw.id,
                    item_no=0,
                    source=source,
                    record_key=f"{source}-1",
                    raw_version=1,
                    content_hash=hashlib.sha256(f"{source}:{name}".encode()).hexdigest(),
                    nip_raw=None,
                    name=name,
                    instansi="Pemerintah Kabupaten Sampang",
                    event_code="PILKADA-2024",
                    register_no=REGS[0],
                    recommendation_no=number,
                    fields={"record_type": kind, **fields},
                    source_updated_at=datetime(2024, 11, 1, tzinfo=UTC),
                    needs_reconcile=True,
                    withdrawn=False,
                )
            )


def _reconcile(database: Database, settings: Settings) -> set[str]:
    """Reconcile, then the NIPs enforcement would block as of ``AS_OF``."""
    reconcile_database(database, settings, as_of=AS_OF, now=T0)
    with database.session() as session:
        plan = plan_enforcement(load_cases(session), settings.enforcement, AS_OF)
    return {nip for nip, decision in plan.blocks.items() if decision.blocked}


def _resolved(database: Database) -> set[str | None]:
    with database.session() as session:
        return set(session.scalars(select(StagedRecord.resolved_nip)))


def _identity_conflicts(database: Database) -> list[set[str]]:
    """The NIPs each open identity conflict offers."""
    with database.session() as session:
        conflicts = session.scalars(
            select(Conflict).where(Conflict.kind == "identity", Conflict.status == "open")
        )
        return [{c["nip"] for c in conflict.candidates} for conflict in conflicts]


@pytest.mark.parametrize("written", ["Santoso, Budi", "SANTOSO, Budi", "Santoso, Budi, S.Pd."])
def test_surname_comma_given_name_links_budi_santoso_not_santoso(
    migrated_database: Database, settings: Settings, written: str
) -> None:
    _reset(migrated_database)
    _register(migrated_database, (SANTOSO, "SANTOSO"))
    _stage_case(migrated_database, written)
    blocked = _reconcile(migrated_database, settings)
    # "Santoso, Budi" is Budi Santoso written surname first: the single best candidate by far.
    assert _resolved(migrated_database) == {NIP_A}
    assert blocked == {NIP_A}
    assert SANTOSO not in blocked


def test_middle_initial_m_fitting_two_namesakes_opens_a_conflict_and_blocks_nobody(
    migrated_database: Database, settings: Settings
) -> None:
    _reset(migrated_database)
    _register(
        migrated_database, (BUDI_MUHAMMAD, "BUDI MUHAMMAD SANTOSO"), (BUDI_MULYADI, "BUDI MULYADI SANTOSO")
    )
    _stage_case(migrated_database, "Budi M. Santoso")
    blocked = _reconcile(migrated_database, settings)
    assert blocked == set()
    assert _resolved(migrated_database) == {None}
    offered = _identity_conflicts(migrated_database)
    assert offered and all({BUDI_MUHAMMAD, BUDI_MULYADI} <= nips for nips in offered)
    with migrated_database.session() as session:
        held = [case.held for case in session.scalars(select(Case))]
    assert held and all(held)
