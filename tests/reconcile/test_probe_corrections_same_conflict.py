"""Acceptance probe: two stewards deciding one conflict at once (the console and the CLI) record one
decision (PostgreSQL; SQLite serialises writers).

Ani's decision is being committed (her transaction holds the conflict row) when Budi, whose screen
showed the conflict open, decides it the other way. Before the fix Budi's transaction read the
conflict as still open, waited only to write it, then recorded his decision on top of Ani's: two
decisions and two audit entries on one conflict, the later one silently in force. Now Budi's waits for
Ani's to commit, reads the conflict as resolved and is refused."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry, Conflict, StewardDecision
from sbt_sync.errors import SbtError
from sbt_sync.reconcile.conflict_lifecycle import resolve
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.settings import Settings
from sbt_sync.steward.decisions import resolve_conflict
from tests.reconcile.test_database_property import (
    AS_OF,
    NIP_A,
    T0,
    Spec,
    _reset,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)

pytestmark = pytest.mark.integration


def _someone_waits_for_a_lock(database: Database) -> bool:
    with database.session() as session:
        waiting = session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
        )
    return bool(waiting)


def test_a_second_steward_deciding_a_conflict_being_decided_is_refused(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    database = migrated_database
    if database.dialect != "postgresql":
        pytest.skip("SQLite serialises writers: a second decision cannot start writing beside the first")
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a_named_b", 0, 0), 1)
    reconcile_database(database, project_settings, as_of=AS_OF, now=T0)
    with database.session() as session:
        conflict_id = session.scalars(select(Conflict.id).where(Conflict.kind == "name_mismatch")).one()

    outcome: list[object] = []

    def budi() -> None:
        try:
            outcome.append(
                resolve_conflict(database, conflict_id, value="none", reason="not an ASN", actor="budi")
            )
        except SbtError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=budi, daemon=True)
    with database.session() as ani:  # Ani's decision, as resolve_conflict writes it, not yet committed
        conflict = ani.get(Conflict, conflict_id, with_for_update=True)
        assert conflict is not None
        ani.add(
            StewardDecision(
                conflict_id=conflict_id,
                decided_at=datetime.now(UTC),
                decision={"nip": NIP_A},
                reason="the name is misspelt",
                basis_hash=conflict.basis_hash,
            )
        )
        resolve(conflict, datetime.now(UTC))
        ani.flush()
        worker.start()
        while worker.is_alive() and not _someone_waits_for_a_lock(database):
            worker.join(0.05)
    worker.join()

    assert len(outcome) == 1 and isinstance(outcome[0], SbtError), outcome
    assert outcome[0].code in ("conflict_not_open", "conflict_changed")
    with database.session() as session:
        decisions = session.scalars(select(StewardDecision.decision)).all()
        assert decisions == [{"nip": NIP_A}]
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "conflict.resolve")).all() == []
