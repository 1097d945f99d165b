"""A steward's "keep" on a record naming another ASN is sticky until the source changes whom the record
names; then the decision reopens and says why, the case is held again and SIASN follows (both backends).

I'DIS files a sanction naming Siti under the number of Budi's proven, overdue recommendation (not in
force yet, so it ends nothing). Budi's case is held, so SIASN unblocks him; a steward decides the record
belongs to Budi's case (``keep``): Budi is blocked again. I'DIS then re-sends the record naming a third
ASN, Andi: the keep no longer holds, the conflict is open again with the reason (Andi's NIP masked:
the reason shows on the queue), Budi's case is held and SIASN unblocks him; a new keep blocks him again.
When the re-sent record names nobody in the registry instead, its identity conflict holds the case
first, and once a steward records "no ASN" the same conflict reopens, saying the record now names
nobody.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import insert, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, Case, Conflict, StagedRecord
from sbt_sync.ingest.registry import registry_row
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.settings import Settings
from sbt_sync.states.conflicts import ConflictKind
from sbt_sync.steward.conflicts import ConflictFilter, list_conflicts
from sbt_sync.steward.decisions import resolve_conflict
from schemas.nip import mask_nip
from tests.reconcile.corrections_world import blocked_nips, run_at
from tests.reconcile.test_database_property import (
    NIP_A,
    NIP_B,
    UNKNOWN,
    Spec,
    _reset,
    _snapshot,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)
from tests.reconcile.test_probe_corrections_siasn import _cycle, _siasn_blocked, siasn  # noqa: F401
from tests.support.registry import registry_item

pytestmark = pytest.mark.integration

NIP_C = "198707072012011007"
"""Andi Wijaya, a third registered ASN."""


def _world(database: Database) -> int:
    """Budi's and Siti's proven, overdue cases and I'DIS's sanction of Siti under Budi's number (dated
    after AS_OF: not in force), Andi in the registry too; the sanction's row."""
    _reset(database)
    with database.session() as session:
        session.execute(insert(AsnRegistryEntry), [registry_row(registry_item(NIP_C, "ANDI WIJAYA"))])
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a", 0, 0), 1)
    _write(database, 2, Spec("finding", "b", 1, 1), 1)
    _write(database, 3, Spec("recommendation", "b", 1, 1), 1)
    _write(database, 4, Spec("sanction", "b", 0, 0), 1)
    with database.session() as session:
        return session.scalars(select(StagedRecord.id).where(StagedRecord.record_key == "idis-4")).one()


def _resend(database: Database, version: int, nip_raw: str, name: str) -> None:
    """I'DIS re-sends the sanction (the same number, not in force) naming ``nip_raw`` / ``name``."""
    _write(database, 4, Spec("sanction", "b", 0, 0), version)
    with database.session() as session:
        row = session.scalars(select(StagedRecord).where(StagedRecord.record_key == "idis-4")).one()
        row.nip_raw, row.name = nip_raw, name


def _named_other(database: Database, sanction_id: int) -> Conflict:
    with database.session() as session:
        query = select(Conflict).where(
            Conflict.kind == ConflictKind.NAMED_OTHER, Conflict.staged_record_id == sanction_id
        )
        conflict = session.scalars(query).one()
        session.expunge(conflict)
        return conflict


def _budi(database: Database) -> Case:
    with database.session() as session:
        case = session.scalars(select(Case).where(Case.nip == NIP_A)).one()
        session.expunge(case)
        return case


def _keep(database: Database, conflict_id: int) -> None:
    resolve_conflict(
        database, conflict_id, value="keep", reason="the SK is Budi's; I'DIS mistyped", actor="ani"
    )


def test_a_kept_record_the_source_re_sends_naming_another_asn_reopens_and_siasn_follows(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    siasn: Sandbox,  # noqa: F811
) -> None:
    database = migrated_database
    sanction_id = _world(database)
    _cycle(database, project_settings, siasn, 0)
    assert _siasn_blocked(siasn) == {NIP_B}  # Budi's case is held from the start
    conflict = _named_other(database, sanction_id)
    assert conflict.status == "open" and _budi(database).held

    _keep(database, conflict.id)
    _cycle(database, project_settings, siasn, 1)
    assert _named_other(database, sanction_id).status == "resolved"
    assert not _budi(database).held
    assert _siasn_blocked(siasn) == {NIP_A, NIP_B}  # Budi's own overdue recommendation, nothing ended it

    _resend(database, 2, NIP_C, "Andi Wijaya")  # I'DIS now names Andi
    _cycle(database, project_settings, siasn, 2)
    reopened = _named_other(database, sanction_id)
    assert (reopened.id, reopened.status) == (conflict.id, "open")
    why = reopened.reopened_reason or ""
    assert "the sources changed since the decision of" in why and mask_nip(NIP_C) in why, why
    assert NIP_C not in why and NIP_A not in why  # the reason shows on the queue: NIPs masked
    value: dict[str, Any] = reopened.candidates[0]["value"]
    assert value["named_nip"] == NIP_C
    _, queue = list_conflicts(database, filters=ConflictFilter(status="open"), limit=50)
    assert [q.id for q in queue] == [conflict.id]
    budi = _budi(database)
    assert budi.held and budi.hold_reason is not None and "names another ASN" in budi.hold_reason
    assert _siasn_blocked(siasn) == {NIP_B}  # SIASN unblocks Budi: his case is held again

    _keep(database, conflict.id)  # the steward looks again: still Budi's
    _cycle(database, project_settings, siasn, 3)
    assert _named_other(database, sanction_id).status == "resolved"
    assert _siasn_blocked(siasn) == {NIP_A, NIP_B}
    incremental = _snapshot(database)
    run_at(database, project_settings, 4, full=True)
    assert _snapshot(database) == incremental


def test_a_kept_record_re_sent_naming_nobody_is_held_by_its_identity_then_its_conflict_reopens(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    database = migrated_database
    sanction_id = _world(database)
    run_at(database, project_settings, 0)
    conflict = _named_other(database, sanction_id)
    _keep(database, conflict.id)
    run_at(database, project_settings, 1)
    assert blocked_nips(database, project_settings) == {NIP_A, NIP_B}

    _resend(database, 2, UNKNOWN, "Joko Prasetyo")  # a NIP nobody holds
    run_at(database, project_settings, 2)
    with database.session() as session:
        identity = session.scalars(
            select(Conflict).where(Conflict.staged_record_id == sanction_id, Conflict.kind == "unresolved")
        ).one()
        session.expunge(identity)
    assert identity.status == "open" and _budi(database).held  # its identity holds the case first
    assert blocked_nips(database, project_settings) == {NIP_B}

    resolve_conflict(database, identity.id, value="none", reason="Joko is no ASN", actor="ani")
    run_at(database, project_settings, 3)
    reopened = _named_other(database, sanction_id)
    assert (reopened.id, reopened.status) == (conflict.id, "open")
    why = reopened.reopened_reason or ""
    assert "the sources changed since the decision of" in why and "idis=None" in why, why
    assert reopened.candidates[0]["value"]["named_nip"] is None
    assert _budi(database).held and blocked_nips(database, project_settings) == {NIP_B}
    incremental = _snapshot(database)
    run_at(database, project_settings, 4, full=True)
    assert _snapshot(database) == incremental
