"""One conflict lifecycle for both reconciliation stores: open, keep current, reopen, close.

The identity store (:mod:`~sbt_sync.reconcile.identity.store`, one conflict per staged row) and the
golden store (:mod:`~sbt_sync.reconcile.golden.store`, conflicts about a case) decide *whether* a
conflict is raised and what it says; this module is how a raised or settled conflict's row changes, so
both stamp ``opened_at``, ``due_at``, ``closed_at`` and ``reopened_reason`` the same way and every
status move is one :data:`~sbt_sync.states.conflicts.CONFLICT_MOVES` allows.

An open identity dispute or critical conflict holds its case (never blocked while held): a conflict
this module reopens is open again in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sbt_sync.db.models import Conflict
from sbt_sync.states.conflicts import ConflictKind, ConflictStatus, check_conflict_move


def open_conflict(
    session: Session,
    *,
    key: str,
    kind: ConflictKind | str,
    status: ConflictStatus,
    now: datetime,
    due_at: datetime,
    **fields: Any,
) -> Conflict:
    """Add a new conflict row raised ``now``: ``open`` (due at ``due_at``), or ``resolved`` at once
    when a steward's decision on it already holds. ``fields``: the other columns (``case_id`` or
    ``staged_record_id``, ``field``, ``candidates``, ``basis_hash`` ...)."""
    conflict = Conflict(
        conflict_key=key,
        kind=ConflictKind(kind),
        status=status,
        opened_at=now,
        due_at=due_at,
        closed_at=now if status == ConflictStatus.RESOLVED else None,
        **fields,
    )
    session.add(conflict)
    return conflict


def keep_raised(
    conflict: Conflict,
    status: ConflictStatus,
    *,
    now: datetime,
    due_at: datetime,
    reopen_reason: str | None,
    note: str | None = None,
) -> bool:
    """Bring an existing conflict that is raised again to ``status`` (``open``, or ``resolved`` while
    a decision holds). Returns whether it reopened.

    A conflict that was not open and is raised open reopens: it is due again from ``now`` (``due_at``)
    and ``reopen_reason`` says why. Otherwise ``note``, when given, replaces ``reopened_reason`` (the
    reason an earlier decision stopped holding, said while the conflict stays open). ``closed_at`` is
    kept while resolved (stamped now if it had none) and cleared while open.
    """
    reopens = conflict.status != ConflictStatus.OPEN and status == ConflictStatus.OPEN
    check_conflict_move(conflict.status, status)
    if reopens:
        conflict.opened_at, conflict.due_at = now, due_at
        conflict.reopened_reason = reopen_reason
    elif note:
        conflict.reopened_reason = note
    conflict.status = status
    conflict.closed_at = (conflict.closed_at or now) if status == ConflictStatus.RESOLVED else None
    return reopens


def close(
    conflict: Conflict | None,
    status: ConflictStatus,
    now: datetime,
    *,
    closing: Collection[ConflictStatus],
) -> bool:
    """Close ``conflict`` as ``status`` (``resolved``: a steward's decision applies; ``auto_closed``:
    it is no longer raised) when its status is one of ``closing``, stamping ``closed_at``. Returns
    whether it moved; a missing conflict or one in another status is left alone."""
    if conflict is None or conflict.status not in closing:
        return False
    conflict.status = check_conflict_move(conflict.status, status)
    conflict.closed_at = now
    return True


def resolve(conflict: Conflict, now: datetime) -> None:
    """A steward decided ``conflict`` (:mod:`sbt_sync.steward.decisions`): ``resolved`` now; the
    decision applies while its basis holds, and no reopening reason stands any more."""
    conflict.status = check_conflict_move(conflict.status, ConflictStatus.RESOLVED)
    conflict.closed_at, conflict.reopened_reason = now, None


def reopen(conflict: Conflict, reason: str) -> None:
    """A steward reopened a decided ``conflict`` (:mod:`sbt_sync.steward.links`): ``open`` again
    with ``reason``; it keeps its opening time and due date."""
    conflict.status = check_conflict_move(conflict.status, ConflictStatus.OPEN)
    conflict.closed_at, conflict.reopened_reason = None, reason
