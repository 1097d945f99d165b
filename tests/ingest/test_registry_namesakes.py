"""A registry change that adds, renames or moves a namesake re-resolves the rows matched by name, end
to end in the database (both backends): the refresh flags them, the next incremental reconciliation
answers as a full rerun does, and a row settled by its NIP is left alone."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Conflict, RawRecord, StagedRecord
from sbt_sync.enforce.load import load_cases
from sbt_sync.enforce.policy import plan_enforcement
from sbt_sync.ingest.registry import lookup_registry
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.settings import Settings
from schemas.names import normalise_name
from tests.reconcile.test_database_property import (
    AS_OF,
    NIP_A,
    NIP_B,
    T0,
    _reset,
    _snapshot,
    project_settings,  # noqa: F401  (a fixture)
)
from tests.support.registry import registry_item

pytestmark = pytest.mark.integration

NIP_C = "197505052000031003"
"""Citra Lestari, whom SIASN lists only after the recommendation naming her arrived."""
NIP_D = "198203032008011004"
"""A second Budi Santoso of Sampang."""
REGISTER = "0001/Reg/LP/PILKADA/2024"
NUMBER = "B-0001/D.IV/WAS/11/2024"


def _stage(database: Database, key: str, kind: str, name: str, *, nip_raw: str | None = None) -> int:
    """Stage a Bawaslu finding or a proven recommendation of register 0 naming ``name`` as the feeds'
    staging writes it (``name_normalised`` included), flagged for reconciliation."""
    fields: dict[str, Any] = {"record_type": kind}
    if kind == "finding":
        fields |= {"register_status": "diteruskan", "incident_at": "2024-10-01T10:00:00+07:00"}
    else:
        fields |= {"verification_result": "terbukti", "recommendation_date": "2024-11-01"}
        fields["recommended_sanction"] = "21"
    source = "bawaslu" if kind == "finding" else "bkn_wasdal"
    with database.session() as session:
        raw = RawRecord(source=source, record_key=key, content_hash="r", payload="{}")
        session.add(raw)
        session.flush()
        row = StagedRecord(
            raw_record_id=raw.id, item_no=0, source=source, record_key=key, raw_version=1,
            content_hash=hashlib.sha256(f"{key}:{name}:{nip_raw}".encode()).hexdigest(),
            nip_raw=nip_raw, name=name, name_normalised=normalise_name(name),
            instansi="Pemerintah Kabupaten Sampang", event_code="PILKADA-2024", register_no=REGISTER,
            recommendation_no=None if kind == "finding" else NUMBER, fields=fields,
            source_updated_at=datetime(2024, 11, 1, tzinfo=UTC), needs_reconcile=True, withdrawn=False,
        )  # fmt: skip
        session.add(row)
        session.flush()
        return row.id


def _run(database: Database, settings: Settings, minutes: int, *, full: bool = False) -> None:
    reconcile_database(database, settings, as_of=AS_OF, now=T0 + timedelta(minutes=minutes), full=full)


def _blocked(database: Database, settings: Settings) -> set[str]:
    with database.session() as session:
        plan = plan_enforcement(load_cases(session), settings.enforcement, AS_OF)
    return {nip for nip, decision in plan.blocks.items() if decision.blocked}


def _siasn_lists(database: Database, *items: dict[str, Any]) -> int:
    """SIASN's per-NIP lookup answers ``items``; returns how many staged rows the refresh flagged."""
    by_nip = {item["nipBaru"]: item for item in items}
    return lookup_registry(database, by_nip.get, sorted(by_nip)).staged_flagged


def _identity(database: Database, staged_id: int) -> tuple[str | None, str | None, str | None]:
    """(resolved NIP, rule, status of its identity conflict or None)."""
    with database.session() as session:
        row = session.get(StagedRecord, staged_id)
        assert row is not None
        query = select(Conflict).where(Conflict.staged_record_id == staged_id)
        conflict = session.scalars(query).one_or_none()
        return row.resolved_nip, row.identity_rule, None if conflict is None else conflict.status


def _flags(database: Database) -> set[int]:
    with database.session() as session:
        return set(session.scalars(select(StagedRecord.id).where(StagedRecord.needs_reconcile.is_(True))))


def _equals_a_full_rerun(database: Database, settings: Settings, minutes: int) -> None:
    incremental = _snapshot(database), _blocked(database, settings)
    _run(database, settings, minutes, full=True)
    assert (_snapshot(database), _blocked(database, settings)) == incremental


@pytest.fixture
def budi_by_name(migrated_database: Database, project_settings: Settings) -> tuple[int, int, int]:  # noqa: F811
    """A finding and a proven recommendation naming Budi Santoso without a NIP, linked to Budi (NIP A)
    by name and blocking him; and a finding of Siti's, written with her NIP. Returns their ids."""
    _reset(migrated_database)
    finding = _stage(migrated_database, "f1", "finding", "Budi Santoso")
    recommendation = _stage(migrated_database, "r1", "recommendation", "Budi Santoso")
    siti = _stage(migrated_database, "f2", "finding", "Siti Aminah", nip_raw=NIP_B)
    _run(migrated_database, project_settings, 0)
    assert _identity(migrated_database, recommendation) == (NIP_A, "name_match", None)
    assert _blocked(migrated_database, project_settings) == {NIP_A}
    return finding, recommendation, siti


def test_a_namesake_reaching_the_mirror_reopens_a_name_link_and_unblocks_as_a_full_run_does(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    budi_by_name: tuple[int, int, int],
) -> None:
    finding, recommendation, siti = budi_by_name
    # Siti (nip_exact) changes name too: her row stays settled by her NIP and is not flagged for it.
    flagged = _siasn_lists(
        migrated_database,
        registry_item(NIP_D, "BUDI SANTOSO"),
        registry_item(NIP_B, "SITI AMINAH PUTRI", back="S.Pd."),
    )
    assert _flags(migrated_database) == {finding, recommendation, siti}  # Siti's by her NIP only
    assert flagged == 3
    _run(migrated_database, project_settings, 1)
    assert _identity(migrated_database, recommendation) == (None, "ambiguous_match", "open")
    assert NIP_A not in _blocked(migrated_database, project_settings)
    _equals_a_full_rerun(migrated_database, project_settings, 2)


def test_a_namesake_renamed_away_settles_the_ambiguity_as_a_full_run_does(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    budi_by_name: tuple[int, int, int],
) -> None:
    _, recommendation, _ = budi_by_name
    _siasn_lists(migrated_database, registry_item(NIP_D, "BUDI SANTOSO"))
    _run(migrated_database, project_settings, 1)
    assert _identity(migrated_database, recommendation)[2] == "open"
    # SIASN corrects the second Budi's name: the rows named Budi Santoso are flagged by the old name.
    _siasn_lists(migrated_database, registry_item(NIP_D, "AHMAD FAUZI"))
    assert recommendation in _flags(migrated_database)
    _run(migrated_database, project_settings, 2)
    assert _identity(migrated_database, recommendation) == (NIP_A, "name_match", "auto_closed")
    _equals_a_full_rerun(migrated_database, project_settings, 3)


def test_a_row_naming_an_asn_siasn_lists_later_is_identified_as_a_full_run_does(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    _reset(migrated_database)
    recommendation = _stage(migrated_database, "r1", "recommendation", "Dra. Citra Lestari, M.Si.")
    _run(migrated_database, project_settings, 0)
    assert _identity(migrated_database, recommendation) == (None, "no_candidate", "open")
    with migrated_database.session() as session:  # the reconciliation cleared the flag
        session.execute(update(StagedRecord).values(needs_reconcile=False))
    assert _siasn_lists(migrated_database, registry_item(NIP_C, "CITRA LESTARI")) == 1
    _run(migrated_database, project_settings, 1)
    assert _identity(migrated_database, recommendation) == (NIP_C, "name_match", "auto_closed")
    _equals_a_full_rerun(migrated_database, project_settings, 2)
