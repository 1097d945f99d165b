"""``push retry <ids>`` refuses ids it cannot act on, as ``push withdraw`` does, and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry, OutboxEntry
from sbt_sync.errors import SbtError
from sbt_sync.push.admin import retry
from tests.enforce.rows import nip


def _rows(database: Database) -> dict[str, int]:
    now = utcnow()
    states = {
        "parked": ("parked", now),
        "backing_off": ("pending", now + timedelta(minutes=5)),
        "due": ("pending", now - timedelta(minutes=1)),
        "acked": ("acked", now),
    }
    with database.session() as session:
        made = {}
        for n, (name, (state, when)) in enumerate(states.items(), start=1):
            key = f"sbt-blokir-v1-{n}"
            row = OutboxEntry(idempotency_key=key, nip=nip(n), action="blokir", case_refs=["K"], payload={},
                              state=state, next_attempt_at=when, block_version=1)  # fmt: skip
            session.add(row)
            session.flush()
            made[name] = row.id
    return made


@pytest.mark.parametrize(
    ("names", "code"),
    [
        (("parked", "missing"), "outbox_missing"),
        (("parked", "due"), "retry_not_waiting"),
        (("acked",), "retry_not_waiting"),
    ],
)
def test_retrying_a_row_that_is_missing_or_not_waiting_is_refused(
    migrated_database: Database, names: tuple[str, ...], code: str
) -> None:
    ids = {**_rows(migrated_database), "missing": 999_999}
    with pytest.raises(SbtError) as refused, migrated_database.session() as session:
        retry(session, [ids[n] for n in names], reason="test", actor="test")
    assert refused.value.code == code
    with migrated_database.session() as session:
        assert session.get(OutboxEntry, ids["parked"]).state == "parked"  # type: ignore[union-attr]
        assert not session.scalars(select(AuditEntry).where(AuditEntry.action == "push.retry")).all()


def test_retrying_parked_and_backing_off_rows_makes_them_due(migrated_database: Database) -> None:
    ids = _rows(migrated_database)
    with migrated_database.session() as session:
        retry(session, [ids["parked"], ids["backing_off"]], reason="test", actor="test")
    with migrated_database.session() as session:
        backing_off = session.get(OutboxEntry, ids["backing_off"])
        assert backing_off is not None and backing_off.next_attempt_at <= utcnow()
        parked = session.get(OutboxEntry, ids["parked"])  # due again, or superseded if overtaken
        assert parked is not None and parked.state != "parked"


def test_retrying_every_waiting_row_names_each_row_it_changed_in_the_audit_log(
    migrated_database: Database,
) -> None:
    """Without ids a retry takes every parked and backing-off row: the audit entry lists the rows it
    made due and those it superseded (a parked block whose NIP no longer needs one: no block state
    here), so the log says which rows the steward's action changed, not just "all"."""
    ids = _rows(migrated_database)
    with migrated_database.session() as session:
        assert retry(session, reason="SIASN is back", actor="test") == 1
    with migrated_database.session() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "push.retry")).one()
        parked = session.get(OutboxEntry, ids["parked"])
    assert parked is not None and parked.state == "superseded"
    assert entry.object_id == "all" and entry.after is not None
    assert entry.after["rows"] == 1 and entry.after["ids"] == [ids["backing_off"]]
    assert entry.after["superseded"] == [ids["parked"]]
