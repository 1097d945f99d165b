"""The SIASN push outbox: a row's state and action, the change guard's approval status, and the
moves between states the code makes (DESIGN.md, "Pushing to SIASN").

A row is written ``pending`` (or ``awaiting_approval`` behind a tripped change guard, or ``parked``: an
unblock of a block SIASN held before ours, :data:`HELD_BEFORE_OURS`); a pusher claims
it (``in_flight``, with a lease) and records SIASN's answer: ``acked``, ``parked`` (refused: a steward
retries or withdraws it) or back to ``pending`` (a transient failure, or the run stopped). A waiting or
parked row of a NIP whose desired flag changed again is ``superseded``, as is a parked row a steward
withdraws. SIASN's acknowledgement is the truth: it is recorded whatever became of the row while its
request was out (a lease that ran out let another pusher take it back), except a row that never left for
SIASN (``awaiting_approval``).
"""

from __future__ import annotations

from enum import StrEnum

from sbt_sync.states import check_move, sources_of, sql_values


class OutboxState(StrEnum):
    PENDING = "pending"
    AWAITING_APPROVAL = "awaiting_approval"
    IN_FLIGHT = "in_flight"
    ACKED = "acked"
    PARKED = "parked"
    SUPERSEDED = "superseded"


class PushAction(StrEnum):
    """What a row asks SIASN to do with the NIP's block flag."""

    BLOKIR = "blokir"
    BUKA = "buka"

    @classmethod
    def setting(cls, blocked: bool) -> PushAction:
        """The action that makes SIASN's flag ``blocked``."""
        return cls.BLOKIR if blocked else cls.BUKA


class ApprovalStatus(StrEnum):
    """A change-guard approval (``push_approvals.status``)."""

    WAITING = "waiting"
    APPROVED = "approved"
    REJECTED = "rejected"


HELD_BEFORE_OURS = (
    "not sent: SIASN already held a block on this NIP before ours (our blokir was answered "
    "'already in that state'), so lifting it would lift a block someone else placed (a Kanreg's); "
    "the unblock waits for a steward's decision (retry sends it, withdraw keeps the block)"
)
"""Why a ``buka`` is written ``parked`` (``outbox.last_error`` starts with it; the console says it in
words): enforcement never lifts by itself a block SIASN held before ours (:mod:`sbt_sync.enforce.store`)."""
PARKED_REFUSED = "SIASN {status}: {message}"
"""A parked row's ``last_error`` when SIASN refused the change (``message``: SIASN's own words)."""
PARKED_UNACKNOWLEDGED = "SIASN {status}, not acknowledged (may have been applied): {message}"
"""... when SIASN answered without an acknowledgement we can store (the change may have been applied)."""
PARKED_FORBIDDEN_NIP = (
    "SIASN {status}, refused for this NIP while this run's other changes were accepted: {message}"
)
"""... when SIASN answered 403 for this NIP alone (our credentials demonstrably work)."""
PARKED_UNSENDABLE = "not sendable: {detail}"
"""... when the row cannot be sent at all (a malformed NIP or body): no retry can fix it."""
PARKED_NOTES = (PARKED_UNACKNOWLEDGED, PARKED_FORBIDDEN_NIP, PARKED_REFUSED, PARKED_UNSENDABLE)
"""Every way the pusher words a parked row (the console says each in words), most specific first."""
ALREADY_HELD = "SIASN already in that state"
"""How an acknowledgement that changed nothing in SIASN starts its note (``outbox.last_error``)."""

NEW_ROW_STATES = frozenset({OutboxState.PENDING, OutboxState.AWAITING_APPROVAL, OutboxState.PARKED})
"""The states a row is written in."""
UNSENT = (OutboxState.PENDING, OutboxState.AWAITING_APPROVAL)
"""Rows still waiting to be sent: a newer change of the NIP supersedes them, except a pending row sent
before without a definite answer (``maybe_applied``), which is delivered first
(:func:`sbt_sync.enforce.store._supersede`)."""
STALE_ON_FLIP = (*UNSENT, OutboxState.PARKED)
"""Rows a newer change of the NIP supersedes: the waiting ones, and the ones SIASN refused (a retry must
never send a change that has since been overtaken)."""
SENT = (OutboxState.IN_FLIGHT, OutboxState.ACKED)
"""Rows SIASN has (or may have) applied: with the ``maybe_applied`` ones, they tell what SIASN's flag
may be."""
OPEN = (OutboxState.PENDING, OutboxState.IN_FLIGHT, OutboxState.AWAITING_APPROVAL)
"""Rows still to deliver: a NIP's oldest open row goes first; a push's dry run lists them."""
FINAL = (OutboxState.ACKED, OutboxState.SUPERSEDED)
"""Rows whose fate will not change (the block-change feed shows only these)."""

_O = OutboxState
OUTBOX_MOVES: dict[OutboxState, frozenset[OutboxState]] = {
    _O.PENDING: frozenset({_O.IN_FLIGHT, _O.PENDING, _O.SUPERSEDED, _O.ACKED}),
    _O.AWAITING_APPROVAL: frozenset({_O.PENDING, _O.SUPERSEDED}),
    _O.IN_FLIGHT: frozenset({_O.IN_FLIGHT, _O.PENDING, _O.ACKED, _O.PARKED}),
    _O.PARKED: frozenset({_O.PENDING, _O.ACKED, _O.SUPERSEDED}),
    _O.ACKED: frozenset({_O.ACKED}),
    _O.SUPERSEDED: frozenset({_O.ACKED}),
}
"""State -> the states a row may move to. ``pending`` -> ``pending`` is a retry (due now);
``in_flight`` -> ``in_flight`` a claim after the lease ran out; every ``-> acked`` but the first comes
from a late answer to a request sent before the row moved on."""

APPROVAL_MOVES: dict[ApprovalStatus, frozenset[ApprovalStatus]] = {
    ApprovalStatus.WAITING: frozenset({ApprovalStatus.APPROVED, ApprovalStatus.REJECTED}),
    ApprovalStatus.APPROVED: frozenset(),
    ApprovalStatus.REJECTED: frozenset(),
}
"""A steward decides a waiting approval once."""

APPROVAL_ROW_STATE = {
    ApprovalStatus.APPROVED: OutboxState.PENDING,
    ApprovalStatus.REJECTED: OutboxState.SUPERSEDED,
}
"""Where a decision sends the rows its approval held back."""

OUTBOX_STATES_SQL = sql_values(OutboxState)
PUSH_ACTIONS_SQL = sql_values(PushAction)
APPROVAL_STATUSES_SQL = sql_values(ApprovalStatus)


def check_outbox_move(old: OutboxState | str, new: OutboxState) -> OutboxState:
    """``new``, when an outbox row may move there from ``old``; otherwise
    :class:`~sbt_sync.states.IllegalTransition`."""
    return check_move("outbox row", OUTBOX_MOVES, old, new)


def moving_to(new: OutboxState, *olds: OutboxState) -> tuple[OutboxState, ...]:
    """The ``state IN (...)`` of a bulk move to ``new``, each source state checked."""
    return sources_of("outbox row", OUTBOX_MOVES, new, *olds)


def check_approval_move(old: ApprovalStatus | str, new: ApprovalStatus) -> ApprovalStatus:
    return check_move("push approval", APPROVAL_MOVES, old, new)
