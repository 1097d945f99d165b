"""A console request that commits a write in the middle of a daemon writer's transaction.

Inside :func:`console_writes_meanwhile`, the first time this thread's transaction on the database,
having read, is about to write for the first time (its first INSERT, UPDATE or DELETE after a SELECT
in the same transaction, or its first try to take the write lock after one: ``lock_for_write`` called
too late),
a console request runs on a thread and engine of its own, the way the console serves one: inside
``writes_wait_at_most(..., every_session_writes=True)`` it reads, then records a read of personal data
(``record_read``) and commits. The writer's statement waits for the request only when the request can
commit at once (the database's write lock is free: the writer has only read); when the writer holds
the lock, the request waits for the writer's commit, as a request does, and the block waits for it on
leaving. No sleeps: on SQLite whether the lock is free is asked of SQLite itself (``BEGIN
IMMEDIATE`` with no busy wait, rolled back); PostgreSQL has no database-wide write lock and the
request's insert waits for nothing a writer holds.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine, event, func, select
from sqlalchemy.engine import Connection

from sbt_sync.db.engine import Database, writes_wait_at_most
from sbt_sync.db.models.access import PersonalDataAccess
from sbt_sync.pdp.access import record_read

KEY = b"k" * 32
"""The access log's NIP-hash key in these tests."""
READER = "console-meanwhile"
"""Who the request's recorded read names: how a test finds it."""
CONSOLE_WAIT_SECONDS = 300.0
"""The request's write wait: far longer than any writer in these tests holds the lock."""
HANG_GUARD_SECONDS = 300.0
"""How long the block waits for the request on leaving before calling it hung (a failure, never a
measure of speed)."""
_WRITES = ("INSERT", "UPDATE", "DELETE")


@dataclass
class ConsoleRequest:
    statement: str | None = None
    """The writer's statement the request ran before (its first words), once it ran."""
    recorded: int | None = None
    """The id of the read the request recorded, once it committed."""
    waited_for_the_writer: bool = False
    """The writer held the write lock when the request came: the request waited for its commit."""
    errors: list[BaseException] = field(default_factory=list)


def _lock_is_free(database: Database) -> bool:
    """No connection holds SQLite's write lock now (always True on PostgreSQL)."""
    if database.dialect != "sqlite":
        return True
    path = database.engine.url.database
    assert path and path != ":memory:", "a file-backed database is needed to write from two connections"
    probe = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc):
            raise
        return False
    else:
        probe.execute("ROLLBACK")
        return True
    finally:
        probe.close()


def recorded_reads(database: Database) -> int:
    """How many reads the console requests of these tests recorded."""
    with database.session() as session:
        query = select(func.count()).select_from(PersonalDataAccess).where(PersonalDataAccess.who == READER)
        return int(session.scalar(query) or 0)


def _lock_probe(words: str) -> bool:
    """``lock_for_write``'s statement, which takes the lock and writes nothing."""
    return words.rstrip().endswith("WHERE 0")


@contextmanager
def console_writes_meanwhile(database: Database, *, armed_by: str | None = None) -> Iterator[ConsoleRequest]:
    """Within the block, a console request commits (or, if the writer holds the lock, waits to
    commit) between this thread's first read and first write in one transaction on ``database``;
    with ``armed_by``, in the first transaction that runs a statement containing it (and writes after).
    On leaving, the request is waited for and its error, if any, raised; the block fails if no
    transaction read and then wrote."""
    request = ConsoleRequest()
    url = database.engine.url.render_as_string(hide_password=False)
    console = Database(url)
    writer_thread = threading.get_ident()
    have_read: set[int] = set()
    have_written: set[int] = set()
    armed = [armed_by is None]

    def serve() -> None:
        try:
            with writes_wait_at_most(CONSOLE_WAIT_SECONDS, every_session_writes=True), console.session() as s:
                s.scalar(select(func.count()).select_from(PersonalDataAccess))  # the session lookup
                request.recorded = record_read(s, READER, "console", "case", ["198001012005011001"], key=KEY)
        except BaseException as exc:  # handed to the test's thread
            request.errors.append(exc)

    thread = threading.Thread(target=serve, name="console-request")

    def ours(connection: Connection) -> bool:
        """A connection to ``database``, through its engine or another the writer made (a Dagster
        resource's)."""
        return connection.engine.url.render_as_string(hide_password=False) == url

    def began(connection: Connection) -> None:
        if not ours(connection):
            return
        have_read.discard(id(connection))
        have_written.discard(id(connection))

    def before(connection: Connection, _cursor: object, sql: str, *_args: object) -> None:
        if threading.get_ident() != writer_thread or thread.ident is not None or not ours(connection):
            return
        if not armed[0]:
            if armed_by is None or armed_by not in sql:
                return
            armed[0] = True
            have_written.discard(id(connection))
        words = sql.lstrip().upper()
        if words.startswith("BEGIN"):
            began(connection)
        elif words.startswith("SELECT") and "PG_ADVISORY" not in words:
            have_read.add(id(connection))
        elif words.startswith(_WRITES) and id(connection) not in have_written:
            if _lock_probe(words) and id(connection) not in have_read:
                return  # the lock taken before any read: the transaction's first write comes later
            have_written.add(id(connection))  # only a transaction's first write can find a stale snapshot
            if id(connection) not in have_read:
                return
            request.statement = " ".join(sql.split()[:3])
            free = _lock_is_free(database)
            request.waited_for_the_writer = not free
            thread.start()
            if free:  # it commits now; the writer then writes on a snapshot older than that commit
                thread.join(HANG_GUARD_SECONDS)

    # On every engine: a Dagster asset reaches the database through its resource's own engine.
    event.listen(Engine, "begin", began)
    event.listen(Engine, "before_cursor_execute", before)
    try:
        yield request
    finally:
        event.remove(Engine, "before_cursor_execute", before)
        event.remove(Engine, "begin", began)
        if thread.ident is not None:
            thread.join(HANG_GUARD_SECONDS)
        console.dispose()
    assert thread.ident is not None, "no transaction read and then wrote"
    assert not thread.is_alive(), "the console request never finished"
    if request.errors:
        raise request.errors[0]
