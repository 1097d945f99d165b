"""The letters' mail outbox (``notification_outbox.state``) and the moves between its states.

A row is written ``pending`` (``held`` in reviewed mode, until a steward releases it; ``parked`` when
the instansi has no PIC address, until an admin adds one). A notifier claims it (``sending``, with a
lease) and records the server's answer: ``sent``, ``parked`` (refused: a steward retries it) or back
to ``pending``. A steward may give a parked row up (``given_up``: the PICs who do not have the letter
will never be sent it; who, when and why are on the row); nothing sends a given-up row again.
"""

from __future__ import annotations

from enum import StrEnum

from sbt_sync.states import check_move, sources_of, sql_values


class MailState(StrEnum):
    HELD = "held"
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    PARKED = "parked"
    GIVEN_UP = "given_up"


NEW_ROW_STATES = frozenset({MailState.HELD, MailState.PENDING, MailState.PARKED})
"""The states a row is written in."""
UNSENT = (MailState.HELD, MailState.PENDING, MailState.SENDING)
"""Rows still to send: a dry run lists them."""
DONE = (MailState.SENT, MailState.GIVEN_UP)
"""Rows nothing will send again: never readdressed, and they keep no case's data past its retention."""

_M = MailState
MAIL_MOVES: dict[MailState, frozenset[MailState]] = {
    _M.HELD: frozenset({_M.PENDING}),
    _M.PENDING: frozenset({_M.SENDING, _M.PENDING, _M.SENT}),
    _M.SENDING: frozenset({_M.SENDING, _M.SENT, _M.PARKED, _M.PENDING}),
    _M.PARKED: frozenset({_M.PENDING, _M.HELD, _M.SENT, _M.GIVEN_UP}),
    _M.GIVEN_UP: frozenset({_M.SENT}),
    _M.SENT: frozenset({_M.SENT}),
}
"""State -> the states a row may move to. ``pending`` -> ``pending`` is a retry (due now, attempts
reset); ``parked`` -> ``pending`` or ``held`` a letter parked for want of a PIC address that an admin
gave one (``held`` in reviewed mode when it was never released); ``sending`` -> ``sending`` a claim
after the lease ran out; every ``-> sent`` but the first
records a server's late acceptance of a message sent before the row moved on (the server holds it).
``given_up`` is final: a retry does not take it back (its cases may be purged once it is given up)."""

MAIL_STATES_SQL = sql_values(MailState)


def check_mail_move(old: MailState | str, new: MailState) -> MailState:
    """``new``, when a mail outbox row may move there from ``old``; otherwise
    :class:`~sbt_sync.states.IllegalTransition`."""
    return check_move("mail outbox row", MAIL_MOVES, old, new)


def moving_to(new: MailState, *olds: MailState) -> tuple[MailState, ...]:
    """The ``state IN (...)`` of a bulk move to ``new``, each source state checked."""
    return sources_of("mail outbox row", MAIL_MOVES, new, *olds)
