"""The push outbox's states and their moves (:mod:`sbt_sync.states.outbox`)."""

from __future__ import annotations

import json

import pytest

from sbt_sync.states import IllegalTransition
from sbt_sync.states.outbox import (
    APPROVAL_ROW_STATE,
    NEW_ROW_STATES,
    OUTBOX_MOVES,
    ApprovalStatus,
    OutboxState,
    PushAction,
    check_approval_move,
    check_outbox_move,
    moving_to,
)

S = OutboxState


def test_members_are_the_stored_words() -> None:
    assert [s.value for s in OutboxState] == [
        "pending", "awaiting_approval", "in_flight", "acked", "parked", "superseded",
    ]  # fmt: skip
    # Rows, JSON, f-strings and templates read the words they read before the enum.
    assert json.dumps({S.PARKED: [S.IN_FLIGHT]}) == '{"parked": ["in_flight"]}'
    assert f"{S.IN_FLIGHT} {PushAction.setting(True)} {PushAction.setting(False)}" == "in_flight blokir buka"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (S.PENDING, S.IN_FLIGHT),  # claimed
        (S.IN_FLIGHT, S.IN_FLIGHT),  # claimed again after the lease ran out
        (S.IN_FLIGHT, S.ACKED),
        (S.IN_FLIGHT, S.PARKED),
        (S.IN_FLIGHT, S.PENDING),  # deferred, released, or recovered after a crash
        (S.PARKED, S.PENDING),  # a steward's retry
        (S.AWAITING_APPROVAL, S.PENDING),  # approved
        (S.AWAITING_APPROVAL, S.SUPERSEDED),  # rejected, or a newer change of the NIP
        (S.PENDING, S.SUPERSEDED),
    ],
)
def test_the_moves_the_pusher_and_stewards_make_are_allowed(old: OutboxState, new: OutboxState) -> None:
    assert check_outbox_move(old, new) is new
    assert check_outbox_move(old.value, new) is new  # as read from a row


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (S.ACKED, S.PENDING),  # SIASN applied it: never sent again
        (S.ACKED, S.PARKED),
        (S.SUPERSEDED, S.PENDING),  # a withdrawn change never comes back
        (S.AWAITING_APPROVAL, S.IN_FLIGHT),  # only an approval releases a held row
        (S.AWAITING_APPROVAL, S.ACKED),
        (S.PARKED, S.IN_FLIGHT),  # a parked row waits for a steward
        (S.PENDING, S.PARKED),  # only SIASN's answer to a sent row parks it (or it is written parked)
    ],
)
def test_a_move_outside_the_table_is_refused_naming_both_states(old: OutboxState, new: OutboxState) -> None:
    with pytest.raises(IllegalTransition, match=f"outbox row cannot go from {old} to {new}"):
        check_outbox_move(old, new)


def test_a_bulk_move_checks_each_source_state() -> None:
    assert moving_to(S.PENDING, S.PARKED, S.IN_FLIGHT) == (S.PARKED, S.IN_FLIGHT)
    with pytest.raises(IllegalTransition, match="from acked to pending"):
        moving_to(S.PENDING, S.PARKED, S.ACKED)


def test_an_unknown_stored_state_is_refused() -> None:
    with pytest.raises(IllegalTransition, match="unknown state 'sent'"):
        check_outbox_move("sent", S.PENDING)


def test_every_state_is_in_the_table_and_rows_start_unsent() -> None:
    assert set(OUTBOX_MOVES) == set(OutboxState)
    assert {S.PENDING, S.AWAITING_APPROVAL, S.PARKED} == NEW_ROW_STATES  # parked: HELD_BEFORE_OURS
    assert not any(S.AWAITING_APPROVAL in targets for targets in OUTBOX_MOVES.values())  # only written so


def test_an_approval_is_decided_once() -> None:
    for verdict in (ApprovalStatus.APPROVED, ApprovalStatus.REJECTED):
        assert check_approval_move(ApprovalStatus.WAITING, verdict) is verdict
        check_outbox_move(S.AWAITING_APPROVAL, APPROVAL_ROW_STATE[verdict])  # its rows may follow
    with pytest.raises(IllegalTransition, match="push approval cannot go from approved to rejected"):
        check_approval_move("approved", ApprovalStatus.REJECTED)
