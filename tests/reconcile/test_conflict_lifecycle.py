"""The conflict lifecycle both reconciliation stores and the stewards' actions share
(:mod:`sbt_sync.reconcile.conflict_lifecycle`), on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Conflict
from sbt_sync.reconcile.conflict_lifecycle import close, keep_raised, open_conflict, reopen, resolve
from sbt_sync.states import IllegalTransition
from sbt_sync.states.conflicts import CONFLICT_MOVES, ConflictKind, ConflictStatus, check_conflict_move

T0 = datetime(2025, 1, 6, 2, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=9)
OPEN, RESOLVED, AUTO_CLOSED = ConflictStatus.OPEN, ConflictStatus.RESOLVED, ConflictStatus.AUTO_CLOSED


def _open(database: Database, key: str, status: ConflictStatus = OPEN) -> None:
    with database.session() as session:
        open_conflict(
            session, key=key, kind=ConflictKind.CRITICAL_FIELD, status=status, now=T0,
            due_at=T0 + timedelta(days=3), field="verification_result", critical=True, priority=1,
            candidates=[], basis_hash="b-0",
        )  # fmt: skip


def _get(database: Database, key: str) -> Conflict:
    with database.session() as session:
        conflict = session.scalars(select(Conflict).where(Conflict.conflict_key == key)).one()
        session.expunge(conflict)
        return conflict


def test_a_conflict_opens_due_and_a_decided_one_opens_closed(migrated_database: Database) -> None:
    _open(migrated_database, "k-open")
    _open(migrated_database, "k-decided", RESOLVED)
    opened, decided = _get(migrated_database, "k-open"), _get(migrated_database, "k-decided")
    assert (opened.status, opened.opened_at, opened.due_at, opened.closed_at) == (
        OPEN, T0, T0 + timedelta(days=3), None,
    )  # fmt: skip
    assert (decided.status, decided.closed_at) == (RESOLVED, T0)


@pytest.mark.parametrize("closed_as", [RESOLVED, AUTO_CLOSED])
def test_a_closed_conflict_raised_again_reopens_due_from_now_with_its_reason(
    migrated_database: Database, closed_as: ConflictStatus
) -> None:
    _open(migrated_database, "k")
    with migrated_database.session() as session:
        conflict = session.scalars(select(Conflict)).one()
        assert close(conflict, closed_as, T0, closing=(OPEN,))
        assert keep_raised(conflict, OPEN, now=T1, due_at=T1 + timedelta(days=3), reopen_reason="again")
    after = _get(migrated_database, "k")
    assert (after.status, after.opened_at, after.due_at, after.closed_at, after.reopened_reason) == (
        OPEN, T1, T1 + timedelta(days=3), None, "again",
    )  # fmt: skip


def test_an_open_conflict_raised_again_keeps_its_due_date_and_takes_only_a_note(
    migrated_database: Database,
) -> None:
    _open(migrated_database, "k")
    with migrated_database.session() as session:
        conflict = session.scalars(select(Conflict)).one()
        assert not keep_raised(conflict, OPEN, now=T1, due_at=T1, reopen_reason="unused")
        assert conflict.reopened_reason is None
        assert not keep_raised(conflict, OPEN, now=T1, due_at=T1, reopen_reason="unused", note="changed")
    after = _get(migrated_database, "k")
    assert (after.opened_at, after.due_at, after.reopened_reason) == (T0, T0 + timedelta(days=3), "changed")


def test_a_resolved_conflict_kept_resolved_keeps_when_it_closed(migrated_database: Database) -> None:
    _open(migrated_database, "k", RESOLVED)
    with migrated_database.session() as session:
        conflict = session.scalars(select(Conflict)).one()
        assert not keep_raised(conflict, RESOLVED, now=T1, due_at=T1, reopen_reason=None)
        assert close(conflict, AUTO_CLOSED, T1, closing=(OPEN, RESOLVED))
        assert not keep_raised(conflict, RESOLVED, now=T1 + timedelta(days=1), due_at=T1, reopen_reason=None)
    after = _get(migrated_database, "k")
    assert (after.status, after.closed_at) == (RESOLVED, T1)  # the auto-close's time, kept


def test_close_moves_only_from_the_statuses_named(migrated_database: Database) -> None:
    _open(migrated_database, "k")
    with migrated_database.session() as session:
        conflict = session.scalars(select(Conflict)).one()
        assert not close(None, AUTO_CLOSED, T1, closing=(OPEN,))
        assert not close(conflict, AUTO_CLOSED, T1, closing=(RESOLVED,))
        assert close(conflict, AUTO_CLOSED, T1, closing=(OPEN,))
        assert not close(conflict, AUTO_CLOSED, T1, closing=(OPEN, RESOLVED))  # already closed
    assert (_get(migrated_database, "k").status, _get(migrated_database, "k").closed_at) == (AUTO_CLOSED, T1)


def test_a_steward_resolves_and_reopens(migrated_database: Database) -> None:
    _open(migrated_database, "k")
    with migrated_database.session() as session:
        conflict = session.scalars(select(Conflict)).one()
        conflict.reopened_reason = "raised again"
        resolve(conflict, T1)
        assert (conflict.status, conflict.closed_at) == (RESOLVED, T1)
        assert conflict.reopened_reason is None
        reopen(conflict, "reopened by steward-1: wrong NIP")
    after = _get(migrated_database, "k")
    assert (after.status, after.closed_at, after.opened_at) == (OPEN, None, T0)
    assert after.reopened_reason == "reopened by steward-1: wrong NIP"


def test_an_auto_closed_conflict_is_not_closed_again() -> None:
    assert set(CONFLICT_MOVES) == set(ConflictStatus)
    with pytest.raises(IllegalTransition, match="conflict cannot go from auto_closed to auto_closed"):
        check_conflict_move("auto_closed", AUTO_CLOSED)
    with pytest.raises(IllegalTransition, match="unknown state 'closed'"):
        check_conflict_move("closed", OPEN)
