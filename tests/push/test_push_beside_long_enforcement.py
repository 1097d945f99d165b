"""On SQLite, enforcement holds the database's write lock for its whole run: a first load of a few
thousand changes held it 45 s on a loaded machine, past the 30 s busy timeout a pusher's claim waits.
A pusher started beside it must wait for it, not fail 'database is locked'. Here the busy timeout is
cut short and enforcement holds its lock until the pusher has been refused it once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import event, select

from sbt_sync.db import engine as db_engine
from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case
from sbt_sync.enforce import run_enforcement
from sbt_sync.push import PushReport
from sbt_sync.sandbox.runtime import Sandbox
from tests.enforce.rows import nip
from tests.push.conftest import pusher
from tests.push.helpers import UNGUARDED, assert_siasn_matches, queue_blocks

pytestmark = pytest.mark.integration

SANCTIONED = date(2025, 1, 21)
PATIENCE = 60.0
"""Seconds enforcement waits for the pusher to be refused the lock (a bound against a hang only)."""


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(db_engine, "SQLITE_BUSY_TIMEOUT_MS", 200)
    yield


def test_a_pusher_beside_an_enforcement_run_holding_the_lock_past_the_busy_timeout_waits_for_it(
    migrated_database: Database, siasn_sandbox: Sandbox, short_busy_timeout: None
) -> None:
    db = migrated_database
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock: PostgreSQL's writers wait on row locks, not a busy timeout")
    queue_blocks(db, [nip(1), nip(2)])
    with db.session() as session:  # reconciliation records a sanction on the first one's case
        case = session.scalars(select(Case).where(Case.nip == nip(1))).one()
        case.status, case.sanction_imposed, case.sanction_date = "dijatuhi_hukuman", "22", SANCTIONED

    other = Database(db.engine.url.render_as_string(hide_password=False))
    refused = threading.Event()
    event.listen(other.engine, "handle_error", lambda _context: refused.set())
    reports: list[PushReport] = []
    errors: list[BaseException] = []

    def push() -> None:
        try:
            reports.append(pusher(other, siasn_sandbox).run())
        except BaseException as exc:  # handed to the test's thread
            errors.append(exc)
            refused.set()

    started = threading.Thread(target=push, name="pusher")

    def hold(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        if sql.startswith("UPDATE outbox SET id = id WHERE 0") and started.ident is None:
            started.start()  # enforcement holds the write lock: the pusher starts and is refused it
            assert refused.wait(PATIENCE), "the pusher never asked for the lock"

    event.listen(db.engine, "after_cursor_execute", hold)
    try:
        with db.session() as session:
            report = run_enforcement(session, UNGUARDED, date(2025, 1, 22))
    finally:
        event.remove(db.engine, "after_cursor_execute", hold)
        started.join()
        other.dispose()

    assert errors == []
    assert [c.action for c in report.changes] == ["buka"]
    assert len(reports) == 1
    pusher(db, siasn_sandbox).run()  # whatever that drain left (the unblock, if it came after)
    assert_siasn_matches(db, siasn_sandbox)
