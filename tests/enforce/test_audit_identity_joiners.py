"""Acceptance probe (DESIGN.md, "Identity disputes hold"), end to end to the SIASN simulator on both
backends: a record that joins a blocked case by its recommendation number (a second recommendation, a
sanction) while its identity is disputed holds the case, and SIASN ends with the ASN unblocked,
whatever shape the dispute takes in another agency's data:

- a valid NIP under a name that disagrees with the registry's (``name_mismatch``);
- a well-formed NIP the registry does not know;
- no NIP and a name two registered ASN share;
- no NIP and a name nobody in the registry has (``unresolved``).

Then a steward settles the record as Budi's: the block resumes (the schedule says it is due), and a
reopened decision holds the case again and SIASN unblocks him once more; settled before the block
day, nothing is blocked until that day. Siti, whose case nobody disputes, stays blocked throughout.

(A Bawaslu finding naming someone else under Budi's register is not his: a register names several
ASN, so it opens a case of its own and Budi's block does not rest on it. Checked, not asserted here.)
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select, update

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, Case, Conflict, StagedRecord
from sbt_sync.enforce import run_enforcement
from sbt_sync.ingest.registry import registry_row
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.settings import Settings
from sbt_sync.states.conflicts import IDENTITY_KINDS, ConflictStatus
from sbt_sync.steward.decisions import resolve_conflict
from sbt_sync.steward.links import reopen_decision
from schemas.names import normalise_name
from tests.push.conftest import pusher
from tests.push.helpers import UNGUARDED, assert_siasn_matches
from tests.reconcile.test_database_property import (
    AS_OF,
    NIP_A,
    NIP_B,
    T0,
    UNKNOWN,
    Spec,
    _reset,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)
from tests.reconcile.test_probe_corrections_siasn import _siasn_blocked, siasn  # noqa: F401
from tests.support.registry import registry_item

pytestmark = pytest.mark.integration

NAMESAKE_1 = "197703032003121004"
NAMESAKE_2 = "198404042009011005"
"""Two registered ASN both called Rudi Hartono, of the same instansi."""

JOINERS = {
    "valid_nip_other_name": (NIP_A, "Rudi Hartono"),
    "unknown_nip": (UNKNOWN, "Budi Santoso"),
    "no_nip_two_namesakes": (None, "Rudi Hartono"),
    "no_nip_nobody": (None, "Joko Prasetyo"),
}


def _cycle(database: Database, settings: Settings, box: Sandbox, minutes: int, as_of: date = AS_OF) -> None:
    now = T0 + timedelta(minutes=minutes)
    reconcile_database(database, settings, as_of=as_of, now=now)
    with database.session() as session:
        run_enforcement(session, UNGUARDED, as_of, now=now)
    pusher(database, box).run()
    assert_siasn_matches(database, box)


def _world(database: Database) -> None:
    """Budi's and Siti's proven cases (recommended 2024-11-01); two Rudi Hartono in the registry."""
    _reset(database)
    with database.session() as session:
        session.execute(
            insert(AsnRegistryEntry),
            [
                registry_row(registry_item(NAMESAKE_1, "RUDI HARTONO")),
                registry_row(registry_item(NAMESAKE_2, "RUDI HARTONO")),
            ],
        )
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a", 0, 0), 1)
    _write(database, 2, Spec("finding", "b", 1, 1), 1)
    _write(database, 3, Spec("recommendation", "b", 1, 1), 1)


def _join(database: Database, kind: str, nip_raw: str | None, name: str) -> int:
    """A record of ``kind`` joining Budi's case by its recommendation number (a recommendation, or a
    sanction not yet in force), written with ``nip_raw`` and ``name``; its staged id."""
    _write(database, 4, Spec(kind, "a", 0, 0), 2)
    with database.session() as session:
        session.execute(
            update(StagedRecord)
            .where(StagedRecord.record_key.like("%-4"))
            .values(nip_raw=nip_raw, name=name, name_normalised=normalise_name(name))
        )
        return session.scalars(select(StagedRecord.id).where(StagedRecord.record_key.like("%-4"))).one()


def _budi_held(database: Database) -> bool:
    with database.session() as session:
        held = session.scalars(select(Case.held).where(Case.nip == NIP_A)).one()
        return bool(held)


def _open_identity_conflict(database: Database, staged_id: int) -> int:
    with database.session() as session:
        query = select(Conflict.id).where(
            Conflict.staged_record_id == staged_id,
            Conflict.kind.in_(IDENTITY_KINDS),
            Conflict.status == ConflictStatus.OPEN,
        )
        return session.scalars(query).one()


@pytest.mark.parametrize("kind", ["recommendation", "sanction"])
@pytest.mark.parametrize("joiner", sorted(JOINERS))
def test_a_disputed_record_joining_a_blocked_case_by_number_unblocks_in_siasn(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    siasn: Sandbox,  # noqa: F811
    kind: str,
    joiner: str,
) -> None:
    database = migrated_database
    _world(database)
    _cycle(database, project_settings, siasn, 0)
    assert _siasn_blocked(siasn) == {NIP_A, NIP_B}

    _join(database, kind, *JOINERS[joiner])
    _cycle(database, project_settings, siasn, 1)
    assert _budi_held(database)
    assert _siasn_blocked(siasn) == {NIP_B}


@pytest.mark.parametrize("joiner", ["valid_nip_other_name", "unknown_nip", "no_nip_two_namesakes"])
def test_a_steward_settling_the_record_resumes_the_block_and_reopening_lifts_it_again(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    siasn: Sandbox,  # noqa: F811
    joiner: str,
) -> None:
    database = migrated_database
    _world(database)
    staged_id = _join(database, "sanction", *JOINERS[joiner])
    _cycle(database, project_settings, siasn, 0)
    assert _siasn_blocked(siasn) == {NIP_B}
    conflict_id = _open_identity_conflict(database, staged_id)

    resolve_conflict(
        database, conflict_id, value=NIP_A, reason="SK ini milik Budi", actor="ani", allow_other=True
    )
    _cycle(database, project_settings, siasn, 1)
    assert not _budi_held(database)
    assert _siasn_blocked(siasn) == {NIP_A, NIP_B}  # overdue: the schedule says block

    reopen_decision(database, conflict_id, reason="salah baca SK", actor="ani")
    _cycle(database, project_settings, siasn, 2)
    assert _budi_held(database)
    assert _siasn_blocked(siasn) == {NIP_B}


def test_settling_a_dispute_before_the_block_day_blocks_nobody_until_the_schedule_says_so(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    siasn: Sandbox,  # noqa: F811
) -> None:
    database = migrated_database
    _world(database)
    staged_id = _join(database, "sanction", *JOINERS["valid_nip_other_name"])
    early = date(2024, 11, 20)  # after the peringatan (11-11), before the pemblokiran (11-25)
    _cycle(database, project_settings, siasn, 0, early)
    resolve_conflict(
        database,
        _open_identity_conflict(database, staged_id),
        value=NIP_A,
        reason="SK ini milik Budi",
        actor="ani",
        allow_other=True,
    )
    _cycle(database, project_settings, siasn, 1, early)
    assert not _budi_held(database)
    assert _siasn_blocked(siasn) == set()
    _cycle(database, project_settings, siasn, 2, date(2024, 11, 25))
    assert _siasn_blocked(siasn) == {NIP_A, NIP_B}
