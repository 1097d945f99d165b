"""Conflicts (``conflicts.kind``, ``conflicts.status``) and the moves between their statuses.

A conflict is ``open`` until a steward decides it (``resolved``) or the reconciliation stops raising
it (``auto_closed``). A resolved one reopens when what it was decided on changes or a steward reopens
it; an auto-closed one reopens when it is raised again. The lifecycle both reconciliation stores
share is :mod:`sbt_sync.reconcile.conflict_lifecycle`.
"""

from __future__ import annotations

from enum import StrEnum

from sbt_sync.states import check_move, sql_values


class ConflictKind(StrEnum):
    # About which ASN one staged row names (``staged_record_id`` set, ``field`` "nip"):
    IDENTITY = "identity"
    """Candidates, none sure."""
    NAME_MISMATCH = "name_mismatch"
    """A registered NIP naming someone else."""
    UNRESOLVED = "unresolved"
    """The row names an ASN but the registry offers nobody."""
    # About a case's values or its links (``case_id`` set):
    CRITICAL_FIELD = "critical_field"
    LIFECYCLE = "lifecycle"
    AMBIGUOUS_LINK = "ambiguous_link"
    NAMED_OTHER = "named_other"
    """A record that joined the case by a register or recommendation number while naming another ASN
    (``staged_record_id`` set too): the case is held until a steward moves the record to the case of
    the ASN it names, or decides ``keep`` (it belongs here: its NIP and name are the source's mistake),
    or the source corrects it."""


IDENTITY_KINDS = (ConflictKind.IDENTITY, ConflictKind.NAME_MISMATCH, ConflictKind.UNRESOLVED)
CASE_KINDS = (
    ConflictKind.CRITICAL_FIELD,
    ConflictKind.LIFECYCLE,
    ConflictKind.AMBIGUOUS_LINK,
    ConflictKind.NAMED_OTHER,
)


class ConflictStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    AUTO_CLOSED = "auto_closed"


CLOSED = (ConflictStatus.RESOLVED, ConflictStatus.AUTO_CLOSED)

_C = ConflictStatus
CONFLICT_MOVES: dict[ConflictStatus, frozenset[ConflictStatus]] = {
    _C.OPEN: frozenset({_C.OPEN, _C.RESOLVED, _C.AUTO_CLOSED}),
    _C.RESOLVED: frozenset({_C.OPEN, _C.RESOLVED, _C.AUTO_CLOSED}),
    _C.AUTO_CLOSED: frozenset({_C.OPEN, _C.RESOLVED}),
}
"""Status -> the statuses a conflict may move to. ``open`` -> ``open`` and ``resolved`` ->
``resolved`` keep a raised conflict current; ``auto_closed`` -> ``resolved``: a steward's decision
that still holds is applied again; ``resolved`` -> ``auto_closed``: the machine now settles the row
(or no longer raises the conflict) after what the steward decided on changed."""

CONFLICT_KINDS_SQL = sql_values(ConflictKind)

CONFLICT_KEY_CHARS = 255
"""The width of ``conflicts.conflict_key``: keys built from source keys are fitted to it
(:func:`sbt_sync.db.base.fitted_key`)."""
CONFLICT_STATUSES_SQL = sql_values(ConflictStatus)


def check_conflict_move(old: ConflictStatus | str, new: ConflictStatus) -> ConflictStatus:
    """``new``, when a conflict may move there from ``old``; otherwise
    :class:`~sbt_sync.states.IllegalTransition`."""
    return check_move("conflict", CONFLICT_MOVES, old, new)
