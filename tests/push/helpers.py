"""Feeding the outbox through the real enforcement engine, and checking SIASN against it (no tests)."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import event, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import BlockState, Case, OutboxEntry
from sbt_sync.enforce import run_enforcement
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.settings import EnforcementSettings, GuardSettings
from tests.enforce.rows import BLOCKING_DAY, add_case

UNGUARDED = EnforcementSettings(guard=GuardSettings(max_changes=10_000, max_percent=100))


def queue_blocks(database: Database, nips: list[str], *, as_of: date = BLOCKING_DAY) -> None:
    """One overdue case per NIP, then an enforcement run: one ``blokir`` row per NIP."""
    with database.session() as session:
        for number in nips:
            add_case(session, f"CASE-{number}", number)
        run_enforcement(session, UNGUARDED, as_of)


def toggle_sanctions(database: Database, nips: list[str], *, as_of: date) -> None:
    """Record a sanction on the NIPs' cases (or withdraw one already recorded) and enforce again."""
    with database.session() as session:
        for case in session.scalars(select(Case).where(Case.nip.in_(nips))):
            if case.sanction_date is None:
                case.status, case.sanction_imposed, case.sanction_date = "dijatuhi_hukuman", "22", as_of
            else:
                case.status, case.sanction_imposed, case.sanction_date = (
                    "menunggu_tindak_lanjut_ppk",
                    None,
                    None,
                )
        run_enforcement(session, UNGUARDED, as_of)


def dead_holder_token() -> str:
    """The holder token of a process of this host that has ended (a pusher that was killed)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return f"{socket.gethostname()[:64] or 'localhost'}:{child.pid}:0"


def outbox_rows(database: Database) -> list[OutboxEntry]:
    with database.session() as session:
        return list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.id)))


def assert_siasn_matches(database: Database, box: Sandbox) -> None:
    """Every intended change applied exactly once, none lost, and SIASN's flags equal block_state."""
    assert box.ledger is not None
    snapshot: dict[str, Any] = box.ledger.snapshot()
    rows = [r for r in outbox_rows(database) if r.state != "superseded"]
    assert [r.state for r in rows if r.state != "acked"] == []
    for row in rows:
        record = snapshot["keys"][row.idempotency_key]
        assert record["applied"] == 1 and record["referensi"] == row.siasn_reference
    intended = Counter((r.nip, r.action) for r in rows)
    applied = Counter(
        {
            (n, action): count
            for n, counts in snapshot["applied_per_nip"].items()
            for action, count in counts.items()
            if count
        }
    )
    assert applied == intended
    with database.session() as session:
        desired = {s.nip: s.blocked for s in session.scalars(select(BlockState))}
    for number, blocked in desired.items():
        assert (box.ledger.state(number).status == "DIBLOKIR") is blocked, number


@contextmanager
def meanwhile_before(database: Database, statement: str, action: Callable[[], None]) -> Iterator[None]:
    """Inside the block, the first time ``database`` is about to run a statement starting with
    ``statement``, ``action`` (another actor's work, on its own engine) starts on a thread: it gets two
    seconds to write first where it can, and is never waited on while it waits for a lock we hold.
    On leaving, the action is waited for and its error, if any, raised."""
    with _meanwhile(database, "before_cursor_execute", statement, action):
        yield


@contextmanager
def meanwhile_after(database: Database, statement: str, action: Callable[[], None]) -> Iterator[None]:
    """As :func:`meanwhile_before`, but right after ``database`` first runs the statement."""
    with _meanwhile(database, "after_cursor_execute", statement, action):
        yield


@contextmanager
def _meanwhile(database: Database, moment: str, statement: str, action: Callable[[], None]) -> Iterator[None]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as exc:  # handed to the test's thread
            errors.append(exc)

    thread = threading.Thread(target=run, name="meanwhile")

    def hook(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        if sql.startswith(statement) and thread.ident is None:
            thread.start()
            thread.join(timeout=2)

    event.listen(database.engine, moment, hook)
    try:
        yield
    finally:
        event.remove(database.engine, moment, hook)
        if thread.ident is not None:
            thread.join()
    assert thread.ident is not None, f"no statement starting with {statement!r} ran"
    if errors:
        raise errors[0]
