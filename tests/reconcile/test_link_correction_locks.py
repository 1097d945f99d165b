"""A link correction and its undoing (``correct_link``, ``undo_correction``) take the locks every other
steward writer takes, in the same order: PostgreSQL's product-writes lock, then SQLite's write lock
before their first read. On SQLite another writer committing between their read and their write then
has to wait for them, instead of making them fail at once ('database is locked': a deferred
transaction whose snapshot went stale cannot wait); on PostgreSQL they wait for a reconciliation or
enforcement run holding the product-writes lock (in a console request at most its write wait)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import create_engine, event, select, text

from sbt_sync.db.engine import PRODUCT_WRITES_LOCK_KEY, Database, DatabaseBusy, writes_wait_at_most
from sbt_sync.db.models import LinkCorrection
from sbt_sync.settings import Settings
from sbt_sync.steward.links import CorrectionRequest, correct_link, undo_correction
from tests.reconcile.test_database_property import NIP_B, project_settings  # noqa: F401  (a fixture)
from tests.reconcile.test_link_corrections import _ids, two_cases  # noqa: F401  (a fixture)

pytestmark = pytest.mark.integration


@contextmanager
def _another_writer_before_the_first_write(database: Database) -> Iterator[list[str]]:
    """Just before this process's first write (after its reads), another connection
    (a plain ``sqlite3`` one, as a second console worker or the CLI would be) tries to write and commit
    at once. What it managed is listed: 'committed', or 'kept out' when this transaction held the
    write lock already (it would have waited its turn)."""
    outcomes: list[str] = []

    def interleave(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        writes = sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        if outcomes or not writes or "WHERE 0" in sql:  # not the write lock's own probe
            return
        path = database.engine.url.database
        assert path
        other = sqlite3.connect(path, isolation_level=None, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("UPDATE raw_records SET id = id")  # rewrites its pages: a real commit
            other.execute("COMMIT")
            outcomes.append("committed")
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc), exc
            outcomes.append("kept out")
        finally:
            other.close()

    event.listen(database.engine, "before_cursor_execute", interleave)
    try:
        yield outcomes
    finally:
        event.remove(database.engine, "before_cursor_execute", interleave)


def _status(database: Database, correction: int) -> str:
    with database.session() as session:
        status = session.scalar(select(LinkCorrection.status).where(LinkCorrection.id == correction))
    assert status is not None
    return status


def test_another_writer_between_the_read_and_the_write_waits_for_a_correction_and_its_undoing(
    two_cases: Database,  # noqa: F811
) -> None:
    if two_cases.dialect != "sqlite":
        pytest.skip("SQLite's write lock (PostgreSQL: the next test)")
    _, recommendation, _ = _ids(two_cases)
    request = CorrectionRequest("assign_person", recommendation, target_nip=NIP_B)

    with _another_writer_before_the_first_write(two_cases) as corrected:
        correction = correct_link(two_cases, request, reason="SK names Siti, NIP typo", actor="ani")
    with _another_writer_before_the_first_write(two_cases) as undone:
        undo_correction(two_cases, correction, reason="the SK was withdrawn", actor="budi")

    assert corrected == ["kept out"] and undone == ["kept out"]
    assert _status(two_cases, correction) == "revoked"


@contextmanager
def _run_holding_the_product_writes_lock(database: Database) -> Iterator[None]:
    engine = create_engine(database.engine.url)
    try:
        with engine.connect() as connection, connection.begin():
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PRODUCT_WRITES_LOCK_KEY})
            yield
    finally:
        engine.dispose()


def test_a_correction_and_its_undoing_wait_for_a_run_holding_the_product_writes_lock(
    two_cases: Database,  # noqa: F811
    project_settings: Settings,  # noqa: F811
) -> None:
    if two_cases.dialect != "postgresql":
        pytest.skip("PostgreSQL's product-writes lock (SQLite: the test above)")
    _, recommendation, _ = _ids(two_cases)
    request = CorrectionRequest("assign_person", recommendation, target_nip=NIP_B)
    correct: Callable[[], int] = lambda: correct_link(  # noqa: E731
        two_cases, request, reason="SK names Siti, NIP typo", actor="ani"
    )

    held = _run_holding_the_product_writes_lock
    with held(two_cases), writes_wait_at_most(0.3), pytest.raises(DatabaseBusy):
        correct()
    correction = correct()
    with held(two_cases), writes_wait_at_most(0.3), pytest.raises(DatabaseBusy):
        undo_correction(two_cases, correction, reason="the SK was withdrawn", actor="budi")
    assert _status(two_cases, correction) == "active"
    undo_correction(two_cases, correction, reason="the SK was withdrawn", actor="budi")
    assert _status(two_cases, correction) == "revoked"
