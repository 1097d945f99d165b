"""The groups of records :mod:`link` builds, phase by phase, before they become cases."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sbt_sync.instants import as_utc
from sbt_sync.reconcile.golden.model import LinkRule, SourceRecord

STOPPED = "dihentikan"
"""A Bawaslu register that was stopped, not forwarded: no recommendation follows it."""
RECOMMENDED = frozenset({"terbukti", "dibatalkan"})
"""Results after which a PPK imposes a sanction (an annulment comes after the sanction was asked for)."""

Group = list[tuple[SourceRecord, LinkRule]]


def instant(value: object) -> datetime | None:
    """An aware instant from an ISO string or datetime (a naive one read as UTC), else None."""
    if isinstance(value, str) and value:
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return as_utc(value)


class LinkGroups:
    """Groups of records in the making, each under a root id (its smallest staged id, at the end)."""

    def __init__(self) -> None:
        self.members: dict[int, Group] = {}
        self.ambiguous: dict[int, tuple[int, ...]] = {}
        """Record staged id -> the roots of the groups it could equally have joined."""

    def new(self, records: Iterable[SourceRecord], rule: LinkRule) -> int:
        """Start a group of ``records`` (at least one), all linked by ``rule``; its root."""
        group = [(r, rule) for r in records]
        root = min(r.staged_id for r, _ in group)
        self.members[root] = group
        return root

    def nip(self, root: int) -> str | None:
        """The group's NIP (the smallest, should its records disagree), None when none has one."""
        return min((r.nip for r, _ in self.members[root] if r.nip), default=None)

    def anchor_nip(self, root: int) -> str | None:
        """The NIP the group's case will carry: its findings' and recommendations' (the smallest)."""
        anchors = ("finding", "recommendation")
        return min((r.nip for r, _ in self.members[root] if r.nip and r.record_type in anchors), default=None)

    def records(self, root: int, record_type: str) -> list[SourceRecord]:
        """The group's records of ``record_type``, in the order they joined."""
        return [r for r, _ in self.members[root] if r.record_type == record_type]
