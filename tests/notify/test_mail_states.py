"""The mail outbox's states and their moves (:mod:`sbt_sync.states.mail`)."""

from __future__ import annotations

import pytest

from sbt_sync.db.models.letters import MailState as ModelsMailState
from sbt_sync.states import IllegalTransition
from sbt_sync.states.mail import MAIL_MOVES, NEW_ROW_STATES, MailState, check_mail_move, moving_to

M = MailState


def test_the_letters_code_and_the_states_module_name_one_enum() -> None:
    assert ModelsMailState is MailState
    assert set(MAIL_MOVES) == set(MailState)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (M.HELD, M.PENDING),  # released by a steward
        (M.PENDING, M.SENDING),
        (M.SENDING, M.SENDING),  # claimed again after the lease ran out
        (M.SENDING, M.SENT),
        (M.SENDING, M.PARKED),
        (M.SENDING, M.PENDING),
        (M.PARKED, M.PENDING),  # a steward's retry, or a PIC address given to a letter that had none
        (M.PARKED, M.HELD),  # the same, in reviewed mode, for a letter queued parked (never reviewed)
    ],
)
def test_the_moves_the_notifier_and_stewards_make_are_allowed(old: MailState, new: MailState) -> None:
    assert check_mail_move(old.value, new) is new


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (M.HELD, M.SENDING),  # a held letter goes nowhere before a steward releases it
        (M.HELD, M.SENT),
        (M.SENT, M.PENDING),  # a sent letter is never sent again
        (M.PARKED, M.SENDING),
    ],
)
def test_a_move_outside_the_table_is_refused(old: MailState, new: MailState) -> None:
    with pytest.raises(IllegalTransition, match=f"mail outbox row cannot go from {old} to {new}"):
        check_mail_move(old, new)


def test_rows_start_held_pending_or_parked() -> None:
    assert {M.HELD, M.PENDING, M.PARKED} == NEW_ROW_STATES
    assert moving_to(M.PENDING, M.HELD) == (M.HELD,)
    with pytest.raises(IllegalTransition):
        moving_to(M.PENDING, M.SENT)
