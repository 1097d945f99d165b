"""The states rows move through, as ``StrEnum``s, each module with its allowed transitions.

- :mod:`~sbt_sync.states.outbox`: the SIASN push outbox (``outbox.state``, ``outbox.action``) and the
  change guard's approvals (``push_approvals.status``);
- :mod:`~sbt_sync.states.mail`: the letters' mail outbox (``notification_outbox.state``);
- :mod:`~sbt_sync.states.conflicts`: conflict kinds and statuses (``conflicts.kind``, ``.status``);
- :mod:`~sbt_sync.states.control`: the BKN control actions (``control_actions.action``).

A member equals its string (``OutboxState.PARKED == "parked"``), so rows, JSON, templates and
translation keys read the same as before. The database refuses any other value (named CHECK
constraints, built from these enums in :mod:`sbt_sync.db.models`). Moving a row between states goes
through the module's ``check_*`` function, which refuses a move its table does not allow.

This package imports nothing of ours: the models, the stores and the console all import it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import TypeVar

S = TypeVar("S", bound=StrEnum)


class IllegalTransition(ValueError):
    """A row was about to move between two states its transition table does not connect: a bug."""


def sql_values(values: Iterable[StrEnum]) -> str:
    """``('a', 'b')``: the SQL list a CHECK constraint admits (the order of the enum)."""
    return "(" + ", ".join(f"'{v.value}'" for v in values) + ")"


def check_move(what: str, table: Mapping[S, frozenset[S]], old: S | str, new: S) -> S:
    """Return ``new`` when ``table`` allows ``old`` -> ``new``; raise :class:`IllegalTransition`
    naming ``what`` (``outbox row``, ``conflict`` ...) and both states otherwise."""
    enum = type(new)
    try:
        current = enum(old)
    except ValueError:
        known = sql_values(enum)
        raise IllegalTransition(f"{what}: unknown state {old!r} (expected one of {known})") from None
    allowed = table.get(current, frozenset())
    if new not in allowed:
        names = ", ".join(sorted(allowed)) or "nothing"
        raise IllegalTransition(f"{what} cannot go from {current} to {new} (from {current}: {names})")
    return new


def sources_of(what: str, table: Mapping[S, frozenset[S]], new: S, *olds: S) -> tuple[S, ...]:
    """``olds`` after checking that each may move to ``new``: the ``state IN (...)`` of a bulk move."""
    for old in olds:
        check_move(what, table, old, new)
    return olds
