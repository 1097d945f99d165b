"""Enforcement writes its flag changes in a few statements for the whole run, not a handful per flag:
on SQLite its transaction holds the database's write lock, and per-row flushes took 7-15 ms a flag
(seconds of every other writer waiting on a first load). The rows are the same as one flag at a time:
each flip's block-state version, its NIP's unsent rows superseded naming that version, and its outbox
row in the same transaction unless SIASN already holds the flag."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event, select, update

from sbt_sync.db.engine import Database
from sbt_sync.db.models import BlockState, Case, OutboxEntry
from sbt_sync.enforce import run_enforcement
from sbt_sync.settings import EnforcementSettings, GuardSettings
from tests.enforce.rows import BLOCKING_DAY, add_case, nip

UNGUARDED = EnforcementSettings(guard=GuardSettings(max_changes=10_000, max_percent=100))
ENDED = date(2025, 1, 21)


def _statements_of_a_run(db: Database, count: int, first: int) -> int:
    """SQL statements one enforcement run sends to block ``count`` new NIPs."""
    with db.session() as s:
        for number in range(first, first + count):
            add_case(s, f"CASE-{number}", nip(number))
    sent: list[str] = []

    def count_it(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", count_it)
    try:
        with db.session() as s:
            report = run_enforcement(s, UNGUARDED, BLOCKING_DAY)
    finally:
        event.remove(db.engine, "before_cursor_execute", count_it)
    assert len(report.changes) == count and all(c.outbox_id for c in report.changes)
    return len(sent)


def test_a_run_flipping_many_flags_sends_no_more_statements_than_one_flipping_a_few(
    migrated_database: Database,
) -> None:
    few = _statements_of_a_run(migrated_database, 5, first=1)
    many = _statements_of_a_run(migrated_database, 60, first=20)
    assert many <= few + 2, (few, many)  # per flag it would be about 4 statements more each


def test_one_run_supersedes_holds_and_queues_per_nip_as_one_flag_at_a_time_did(
    migrated_database: Database,
) -> None:
    """A: blocked and acknowledged (SIASN holds the block): its unblock is queued. B: its block never
    sent: superseded, nothing to unblock. C: its block sent without a definite answer (maybe applied):
    it stays, to go first under its key (its request may still be on its way inside SIASN), and the
    unblock is queued behind it. D: a new block."""
    db = migrated_database
    a, b, c, d = nip(1), nip(2), nip(3), nip(4)
    with db.session() as s:
        ids = [add_case(s, f"CASE-{n}", n).id for n in (a, b, c)]
        run_enforcement(s, UNGUARDED, BLOCKING_DAY)
    with db.session() as s:
        s.execute(update(OutboxEntry).where(OutboxEntry.nip == a).values(state="acked"))
        s.execute(update(OutboxEntry).where(OutboxEntry.nip == c).values(state="pending", maybe_applied=True))
        for case_id in ids:
            case = s.get(Case, case_id)
            assert case is not None
            case.status, case.sanction_imposed, case.sanction_date = "dijatuhi_hukuman", "22", ENDED
        add_case(s, "CASE-D", d)
    with db.session() as s:
        report = run_enforcement(s, UNGUARDED, date(2025, 1, 22))

    changes = {change.nip: change for change in report.changes}
    assert {n: (ch.action, ch.version, ch.outbox_id is not None) for n, ch in changes.items()} == {
        a: ("buka", 2, True),
        b: ("buka", 2, False),
        c: ("buka", 2, True),
        d: ("blokir", 1, True),
    }
    assert report.superseded == 1  # B's unsent block
    with db.session() as s:
        rows = s.scalars(select(OutboxEntry).order_by(OutboxEntry.id)).all()
        got = [(r.nip, r.action, r.state, r.block_version, r.last_error) for r in rows]
        states = {row.nip: (row.blocked, row.version) for row in s.scalars(select(BlockState))}
    note = "superseded by block_state version 2"
    assert got == [
        (a, "blokir", "acked", 1, None),
        (b, "blokir", "superseded", 1, note),
        (c, "blokir", "pending", 1, None),
        (a, "buka", "pending", 2, None),
        (c, "buka", "pending", 2, None),
        (d, "blokir", "pending", 1, None),
    ]
    assert [changes[n].outbox_id for n in (a, c, d)] == [r.id for r in rows[3:]]
    assert states == {a: (False, 2), b: (False, 2), c: (False, 2), d: (True, 1)}


@pytest.mark.parametrize("flips", [0, 1])
def test_a_run_with_nothing_or_one_thing_to_change_still_writes_what_it_must(
    migrated_database: Database, flips: int
) -> None:
    db = migrated_database
    with db.session() as s:
        for number in range(1, flips + 1):
            add_case(s, f"CASE-{number}", nip(number))
        report = run_enforcement(s, UNGUARDED, BLOCKING_DAY)
    assert len(report.changes) == flips
    with db.session() as s:
        assert len(s.scalars(select(OutboxEntry)).all()) == flips
