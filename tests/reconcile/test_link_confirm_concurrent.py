"""Two stewards confirm conflicting corrections of one record at the same moment (both backends).

Budi (NIP A) is blocked on his Bawaslu finding and an overdue BKN Wasdal recommendation; Siti (NIP B)
has a finding only. Ani previews assigning the recommendation to Siti (Budi unblocked, Siti blocked);
Dewi previews splitting it into a case of its own (Budi unblocked). Both read their preview on the same
state and confirm with its fingerprint. Ani's confirmation passes its fingerprint check and, just before
it writes, Dewi's confirmation starts. Exactly one of them may land: Dewi's, checked after Ani's
correction is recorded, is refused with the consequence as it is now, and nothing of hers is recorded.

Before: the check (a preview in a transaction of its own) and the write (another transaction) were
apart, so Dewi's confirmation, checked while Ani's was between the two, found the state it previewed
and recorded too: two corrections of one record, landing on a state neither steward had read.

No sleep decides who goes first: Ani's write waits (an ORM event) until Dewi's confirmation has
either finished or is waiting for a lock Ani's holds (PostgreSQL: ``pg_locks`` says so; SQLite: it
is about to write, which needs the database's write lock Ani's transaction may hold).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry, LinkCorrection, StagedRecord
from sbt_sync.settings import Settings
from sbt_sync.steward.link_confirm import ConsequenceChanged, confirm_correction
from sbt_sync.steward.links import CorrectionRequest, preview_correction
from tests.reconcile.corrections_world import blocked_nips, run_at
from tests.reconcile.test_database_property import (
    NIP_A,
    NIP_B,
    Spec,
    _reset,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)

pytestmark = pytest.mark.integration

WRITES = ("INSERT", "UPDATE", "DELETE")


class Other:
    """Another steward's confirmation on a thread and an engine of its own; :meth:`reached` returns
    once it has finished or is waiting for a lock (module docstring)."""

    def __init__(self, url: str, action: Any) -> None:
        self.database = Database(url)
        self.action = action
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self.writing = threading.Event()
        self.pids: list[int] = []
        self.thread = threading.Thread(target=self._run, name="dewi")
        engine = self.database.engine
        if self.database.dialect == "postgresql":
            event.listen(engine, "connect", self._remember_pid)
        else:
            event.listen(engine, "before_cursor_execute", self._before)

    def _remember_pid(self, dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT pg_backend_pid()")
        self.pids.append(int(cursor.fetchone()[0]))
        cursor.close()

    def _before(self, _conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if sql.lstrip().upper().startswith(WRITES):
            self.writing.set()

    def _run(self) -> None:
        try:
            self.result = self.action(self.database)
        except BaseException as exc:  # handed to the test's thread
            self.error = exc
        finally:
            self.done.set()

    def _waiting_on_postgresql(self, watcher: Database) -> bool:
        with watcher.engine.connect() as connection:
            waiting = connection.execute(
                text("SELECT count(*) FROM pg_locks WHERE NOT granted AND pid = ANY(:pids)"),
                {"pids": list(self.pids)},
            ).scalar_one()
        return bool(waiting)

    def reached(self, watcher: Database) -> None:
        """Start, then return once the confirmation finished or waits for a lock held by the caller."""
        self.thread.start()
        if self.database.dialect == "postgresql":
            # wait on the thread's end, looking at pg_locks between waits: a condition, not a delay
            while not self.done.wait(0.01):
                if self.pids and self._waiting_on_postgresql(watcher):
                    return
            return
        while not (self.done.is_set() or self.writing.is_set()):
            self.done.wait(0.01)

    def close(self) -> None:
        self.thread.join()
        self.database.dispose()


@contextmanager
def meanwhile_before_the_write(database: Database, other: Other) -> Iterator[None]:
    """Run ``other`` when this thread's confirmation is about to write its correction (not a
    preview's row), after its fingerprint check."""
    main = threading.current_thread()

    def hook(_mapper: Any, _connection: Any, target: LinkCorrection) -> None:
        if target.reason != "preview" and threading.current_thread() is main and other.thread.ident is None:
            other.reached(database)

    event.listen(LinkCorrection, "before_insert", hook)
    try:
        yield
    finally:
        event.remove(LinkCorrection, "before_insert", hook)
        other.close()
    assert other.thread.ident is not None, "the first confirmation never wrote its correction"


def test_two_conflicting_confirmations_at_once_land_one_and_refuse_the_other_with_the_state_now(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    database, settings = migrated_database, project_settings
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a", 0, 0), 1)  # proven and overdue: Budi is blocked
    _write(database, 2, Spec("finding", "b", 1, 1), 1)
    run_at(database, settings, 0)
    assert blocked_nips(database, settings) == {NIP_A}
    with database.session() as session:
        recommendation = session.scalars(
            select(StagedRecord.id).where(StagedRecord.record_key == "bkn_wasdal-1")
        ).one()

    assign = CorrectionRequest("assign_person", recommendation, target_nip=NIP_B)
    split = CorrectionRequest("split", recommendation)
    anis = preview_correction(database, settings, assign)  # both read the same state
    dewis = preview_correction(database, settings, split)
    assert {c.nip[-4:] for c in anis.flag_changes} == {NIP_A[-4:], NIP_B[-4:]}

    def dewi_confirms(own: Database) -> int:
        correction, _ = confirm_correction(
            own, settings, split, shown=dewis.digest, reason="the SK concerns another incident",
            actor="dewi", channel="web",
        )  # fmt: skip
        return correction

    dewi = Other(database.url, dewi_confirms)
    with meanwhile_before_the_write(database, dewi):
        ani, seen = confirm_correction(
            database, settings, assign, shown=anis.digest, reason="the SK PPK names Siti", actor="ani",
            channel="web",
        )  # fmt: skip
    assert seen.digest == anis.digest

    # Dewi's confirmation was checked on the state after Ani's correction: refused, with that state.
    assert isinstance(dewi.error, ConsequenceChanged), (dewi.error, dewi.result)
    assert dewi.error.consequence.digest != dewis.digest
    assert dewi.error.consequence.digest == preview_correction(database, settings, split).digest
    with database.session() as session:
        rows = session.execute(
            select(LinkCorrection.id, LinkCorrection.kind, LinkCorrection.decided_by)
        ).all()
        audits = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("link.%"))
        )
    assert [tuple(r) for r in rows] == [(ani, "assign_person", "ani")]
    assert audits == 1

    run_at(database, settings, 1)  # Ani's correction applies, as she read it
    assert blocked_nips(database, settings) == {NIP_B}
