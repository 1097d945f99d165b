"""A steward's action over many outbox rows at once is recorded in the audit log whatever their number.

The entry's ``object_id`` (128 characters) held the ids comma-joined: some twenty ids or more did not
fit, and PostgreSQL refused the whole action ("value too long"), so a bulk retry or withdrawal of many
parked rows could not be done at all. The ids now go to the entry's ``after["ids"]``, and
``object_id`` names them only while they fit.
"""

from __future__ import annotations

from sqlalchemy import select, update

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry, OutboxEntry
from sbt_sync.db.models.people import object_ids
from sbt_sync.push.admin import retry, withdraw
from sbt_sync.states.outbox import OutboxState
from tests.enforce.rows import nip
from tests.push.helpers import outbox_rows, queue_blocks

MANY = 60


def _parked(database: Database) -> list[int]:
    queue_blocks(database, [nip(i) for i in range(1, MANY + 1)])
    with database.session() as session:
        session.execute(update(OutboxEntry).values(state=OutboxState.PARKED, last_error="SIASN 422: ditolak"))
    return [row.id for row in outbox_rows(database)]


def _entry(database: Database, action: str) -> AuditEntry:
    with database.session() as session:
        return session.scalars(select(AuditEntry).where(AuditEntry.action == action)).one()


def test_retrying_sixty_parked_rows_by_id_is_done_and_recorded_with_every_id(
    migrated_database: Database,
) -> None:
    ids = _parked(migrated_database)
    with migrated_database.session() as session:
        assert retry(session, ids, reason="SIASN sudah diperbaiki", actor="steward") == MANY
    entry = _entry(migrated_database, "push.retry")
    assert entry.after is not None and entry.after["ids"] == ids
    assert entry.object_id == f"{MANY} rows"
    assert {row.state for row in outbox_rows(migrated_database)} == {OutboxState.PENDING}


def test_withdrawing_sixty_parked_rows_is_done_and_recorded_with_every_id(
    migrated_database: Database,
) -> None:
    ids = _parked(migrated_database)
    with migrated_database.session() as session:
        assert withdraw(session, ids, reason="NIP tidak ada di SIASN", actor="steward") == MANY
    entry = _entry(migrated_database, "push.withdraw")
    assert entry.after is not None and entry.after["ids"] == ids and entry.after["rows"] == MANY
    assert {row.state for row in outbox_rows(migrated_database)} == {OutboxState.SUPERSEDED}


def test_object_ids_names_the_rows_while_they_fit() -> None:
    assert object_ids([3, 1, 2]) == "3,1,2"
    assert object_ids([]) is None
    assert object_ids(range(1000, 1100)) == "100 rows"
    assert len(object_ids(range(10**6, 10**6 + 18)) or "") <= 128
