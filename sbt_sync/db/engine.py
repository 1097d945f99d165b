"""Engines and sessions for the product database, with the SQLite settings the embedded default needs.

SQLite runs in WAL mode with foreign keys on and a busy timeout, and with pysqlite's own transaction
handling replaced by explicit ``BEGIN`` so that SQLAlchemy's transactions (and savepoints) are real.

Writers on SQLite (one write lock for the whole database): a transaction that will write takes the
lock before its first read, with :func:`lock_for_write` or ``Database.session(write=True)``, and waits
for another writer's transaction to end, however long an enforcement or reconciliation run holds it,
up to the write wait (:data:`WRITE_WAIT_SECONDS`, a console request's own shorter one with
:func:`writes_wait_at_most`); then :class:`DatabaseBusy`. A deferred transaction that reads and only
then writes cannot wait (SQLite refuses at once, 'database is locked': its snapshot may be stale), so
every writer declares itself first. ``Database.write`` also runs a unit of work again after such a
refusal.

On PostgreSQL a writer waits for the product-writes and outbox advisory locks (:func:`lock_product_writes`,
:func:`lock_outbox`) as long as their holder holds them, except inside :func:`writes_wait_at_most`
(a console request): at most its seconds, then :class:`DatabaseBusy` too.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from sbt_sync.db.models.enforcement import OutboxEntry

log = logging.getLogger(__name__)

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long one SQLite statement waits for the write lock (the busy timeout) before a writer that takes
it with :func:`lock_for_write` tries again, within its write wait."""
WRITE_WAIT_SECONDS = 900.0
"""How long a writer (the pusher, the notifier, the readback, a CLI command) waits for another writer
holding SQLite's write lock: an enforcement run holds it for its whole transaction, and a first load
of 3,000 changes held it 45 s on a loaded machine. A console request waits less
(``console.write_wait_seconds``, :func:`writes_wait_at_most`)."""
OUTBOX_LOCK_KEY = 0x5B7_0B0C
"""The PostgreSQL advisory lock every transaction holds from its first outbox write until it ends."""
PRODUCT_WRITES_LOCK_KEY = 0x5B7_C5E5
"""The PostgreSQL advisory lock a reconciliation or enforcement transaction holds until it ends."""


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from pysqlite; the "begin" hook below issues BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def owner_only(path: Path) -> None:
    """Create the SQLite file ``path`` (and a missing folder) readable by its owner only.

    The database holds names, NIPs and discipline records (UU 27/2022): 0600 for the file, 0700 for a
    folder this creates. SQLite gives its ``-wal`` and ``-shm`` files the database file's permissions.
    An existing file is narrowed to 0600 too.
    """
    missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    descriptor = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(descriptor)
    path.chmod(0o600)
    for suffix in ("-wal", "-shm"):
        sidecar = path.with_name(path.name + suffix)
        if sidecar.exists():
            sidecar.chmod(0o600)


def _sqlite_on_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


class DatabaseBusy(Exception):
    """Another writer held SQLite's write lock, or on PostgreSQL the product-writes or outbox advisory
    lock, for longer than this writer waits (its write wait)."""

    def __init__(self, waited: float) -> None:
        super().__init__(
            f"the database is busy: another writer (an enforcement or reconciliation run?) held it for "
            f"{waited:.0f} s; nothing was changed, try again when it is done"
        )
        self.waited = waited


@dataclass(frozen=True)
class _WriteScope:
    wait: float
    every_session_writes: bool


_SCOPE: ContextVar[_WriteScope | None] = ContextVar("sbt_write_scope", default=None)


@contextmanager
def writes_wait_at_most(seconds: float, *, every_session_writes: bool = False) -> Iterator[None]:
    """Within the block a writer waits at most ``seconds`` for SQLite's write lock, or PostgreSQL's
    product-writes and outbox advisory locks (then :class:`DatabaseBusy`). ``every_session_writes``:
    every session opened in the block takes SQLite's write lock when it begins, as a console
    request's do: nearly every request writes (the session's last-seen time, a recorded read) after
    reading. Not a session nested in one of this thread's that holds the lock, nor one opened on an
    event loop's thread (an async handler), which must not wait."""
    token = _SCOPE.set(_WriteScope(seconds, every_session_writes))
    try:
        yield
    finally:
        _SCOPE.reset(token)


_WRITER = "sbt_holds_write_lock"
_held_lock = threading.Lock()
_held: dict[int, tuple[int, str]] = {}
"""Raw SQLite connections (by ``id``) in a transaction holding the write lock: (thread, database)."""


def _raw(connection: Connection) -> Any:
    return connection.connection.driver_connection


def _held_by_this_thread_elsewhere(connection: Connection) -> bool:
    """This thread holds the write lock in another connection to the same database: waiting for it
    here would wait for ourselves."""
    me, raw = threading.get_ident(), id(_raw(connection))
    where = str(connection.engine.url.database)
    with _held_lock:
        return any(key != raw and held == (me, where) for key, held in _held.items())


def _mark_held(connection: Connection) -> None:
    connection.info[_WRITER] = True
    with _held_lock:
        _held[id(_raw(connection))] = (threading.get_ident(), str(connection.engine.url.database))


def _released(connection: Any, *_args: Any) -> None:
    """The transaction ended (commit, rollback): the lock is free again."""
    if connection.info.pop(_WRITER, None):
        with _held_lock:
            _held.pop(id(_raw(connection)), None)


def _checked_in(dbapi_connection: Any, record: Any) -> None:
    if record.info.pop(_WRITER, None):
        with _held_lock:
            _held.pop(id(dbapi_connection), None)


def _locked(exc: OperationalError) -> bool:
    """SQLite refused a statement because another connection holds the write lock."""
    return "database is locked" in str(exc.orig)


def _stale_snapshot(exc: OperationalError) -> bool:
    """SQLite refused because this transaction read before another connection committed a write
    (``SQLITE_BUSY_SNAPSHOT``): it can never take the write lock, however long it waits."""
    return getattr(exc.orig, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY_SNAPSHOT


def _on_event_loop() -> bool:
    """This thread runs an asyncio event loop: waiting for the lock here would stall every request."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _write_wait() -> float:
    """The write wait in force here: the scope's (:func:`writes_wait_at_most`), else the default."""
    scope = _SCOPE.get()
    return scope.wait if scope is not None else WRITE_WAIT_SECONDS


def _without_row_detail(context: ExceptionContext) -> None:
    """Drop PostgreSQL's ``DETAIL:`` lines from a refused statement's message: they quote the refused
    row or key ("Failing row contains (1980...)", "Key (nip)=(1980...) already exists"), and the
    message is what a traceback, a failed Dagster run and the CLI show. The driver's error keeps them
    in ``diag.message_detail`` for code that needs them."""
    for error in (context.original_exception, context.sqlalchemy_exception):
        if error is not None and error.args and isinstance(error.args[0], str) and "DETAIL:" in error.args[0]:
            kept = [line for line in error.args[0].splitlines() if not line.lstrip().startswith("DETAIL:")]
            error.args = ("\n".join(kept), *error.args[1:])


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url``; for a file-backed SQLite database the folder is created first.

    A refused statement's error never carries its bound values (``hide_parameters``) nor, on
    PostgreSQL, the server's quote of the row (:func:`_without_row_detail`): the product database holds
    NIPs, names and birth dates, and error texts end up in logs (UU 27/2022)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            owner_only(Path(database))
        engine = create_engine(
            url, echo=echo, hide_parameters=True, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        event.listen(engine, "commit", _released)
        event.listen(engine, "rollback", _released)
        event.listen(engine.pool, "checkin", _checked_in)
        return engine
    kwargs: dict[str, Any] = {}
    if parsed.get_driver_name() == "psycopg2":
        # Batch UPDATE/DELETE executemany too (INSERTs already use multi-row VALUES).
        kwargs["executemany_mode"] = "values_plus_batch"
    engine = create_engine(url, echo=echo, pool_pre_ping=True, hide_parameters=True, **kwargs)
    event.listen(engine, "handle_error", _without_row_detail)
    return engine


def _lock_not_available(exc: OperationalError) -> bool:
    """PostgreSQL gave up waiting for a lock (``lock_timeout``: SQLSTATE 55P03)."""
    return getattr(exc.orig, "pgcode", None) == "55P03"


def _advisory_xact_lock(session: Session, key: int) -> None:
    """Take PostgreSQL's transaction-scoped advisory lock ``key``.

    Outside a :func:`writes_wait_at_most` scope (the daemon's runs, the CLI) it waits as long as the
    holder holds it. Inside one (a console request) it waits at most the scope's seconds, as a SQLite
    writer does, then raises :class:`DatabaseBusy`: PostgreSQL aborts the transaction, which has
    written nothing that stays (the caller's session rolls back). The scope's ``lock_timeout`` holds
    for this one statement: the transaction's own value comes back as soon as the lock is taken, so
    its later statements (row locks) wait as before.
    """
    scope = _SCOPE.get()
    if scope is None:
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        return
    before = session.scalar(text("SELECT current_setting('lock_timeout')"))
    wait_ms = max(1, int(scope.wait * 1000))
    session.execute(text("SELECT set_config('lock_timeout', :wait, true)"), {"wait": f"{wait_ms}ms"})
    started = time.monotonic()
    try:
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    except OperationalError as exc:
        if not _lock_not_available(exc):
            raise
        raise DatabaseBusy(time.monotonic() - started) from exc
    session.execute(text("SELECT set_config('lock_timeout', :before, true)"), {"before": before})


def lock_outbox(session: Session) -> None:
    """Make outbox ids follow commit order: call before a transaction's first outbox write.

    SIASN's pull feed (``steward.feed``) pages by outbox id. On PostgreSQL a transaction that takes id
    N and commits after another took N+1 and committed would put row N behind a cursor already past
    N+1: a change no consumer ever sees. Holding one transaction-scoped advisory lock from the first
    outbox write to the commit serialises outbox writers, so ids commit in order. Call it before the
    transaction locks other rows the writer needs (``block_state``), so two writers never wait on
    each other in opposite orders. Every flush that inserts an outbox row takes it too (a safety net
    for a writer that forgot). SQLite serialises writers already.
    """
    if session.get_bind().dialect.name == "postgresql":
        _advisory_xact_lock(session, OUTBOX_LOCK_KEY)


def lock_product_writes(session: Session) -> None:
    """Let one reconciliation or enforcement run write at a time: call first in its transaction.

    The Dagster run queue keeps the daemon's own runs apart, but a run started beside it (``dagster job
    execute``, ``sbt-sync reconcile run`` or ``enforce run`` while the daemon's cycle runs) would
    insert the same conflicts and control actions and fail on their unique keys. On PostgreSQL the
    second transaction waits for the first to commit, then sees its rows. Taken before
    :func:`lock_outbox`, always in that order, so two writers never wait on each other. SQLite
    serialises writers already. Inside :func:`writes_wait_at_most` (a console request) the wait is
    capped, then :class:`DatabaseBusy` (:func:`_advisory_xact_lock`).
    """
    if session.get_bind().dialect.name == "postgresql":
        _advisory_xact_lock(session, PRODUCT_WRITES_LOCK_KEY)


def lock_for_write(session: Session, table: Any = OutboxEntry) -> None:
    """On SQLite, take the database's write lock now, before a read that a write of ``table`` follows.

    A deferred SQLite transaction that reads and then writes fails at once ('database is locked', no
    busy wait) when another connection wrote in between; taking the lock first makes it wait its turn
    instead. A claimer (two notifiers draining one outbox) calls it first in its transaction. On
    PostgreSQL row locks and conditional updates already serialise claimers.

    The wait is the write wait (:data:`WRITE_WAIT_SECONDS`, or the one :func:`writes_wait_at_most`
    sets), tried a busy timeout at a time; past it, :class:`DatabaseBusy` (the transaction has
    written nothing). A no-op when the transaction holds the lock already, and when this thread holds it
    in another transaction (waiting would wait for itself: the write then fails at once, as before).
    Called after the transaction read, when another connection has committed a write since (a stale
    snapshot), it raises SQLite's refusal ('database is locked') at once: no wait can help, and
    :meth:`Database.write` runs its work again from the start.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    connection = session.connection()
    if connection.info.get(_WRITER) or _held_by_this_thread_elsewhere(connection):
        return
    name = table.__tablename__ if hasattr(table, "__tablename__") else str(table)
    statement = text(f"UPDATE {name} SET id = id WHERE 0")  # noqa: S608 - a model's own table
    wait = _write_wait()
    started = time.monotonic()
    warned = False
    while True:
        left = wait - (time.monotonic() - started)
        # Each try waits at most what is left of the write wait, never past it.
        busy_ms = max(1, min(SQLITE_BUSY_TIMEOUT_MS, int(left * 1000)))
        _raw(connection).execute(f"PRAGMA busy_timeout={busy_ms}")
        tried = time.monotonic()
        try:
            session.execute(statement)
        except OperationalError as exc:
            if not _locked(exc) or _stale_snapshot(exc):
                raise
            if time.monotonic() - started >= wait:
                raise DatabaseBusy(time.monotonic() - started) from exc
            if not warned:
                log.warning("the database is locked by another writer (an enforcement run?): waiting for it")
                warned = True
            if time.monotonic() - tried < busy_ms / 2000:  # refused without waiting: do not spin
                time.sleep(min(0.05, max(0.0, wait - (time.monotonic() - started))))
            continue
        finally:
            _raw(connection).execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _mark_held(connection)
        return


def _lock_before_outbox_insert(session: Session, _context: Any, _instances: Any) -> None:
    if any(isinstance(row, OutboxEntry) for row in session.new):
        lock_outbox(session)


class Database:
    """The product database: one engine and a session factory."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self._sessions, "before_flush", _lock_before_outbox_insert)

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session inside one transaction: committed on success, rolled back on any error.

        ``write``: the transaction writes after it reads; on SQLite it takes the write lock first
        (:func:`lock_for_write`, with its wait and :class:`DatabaseBusy`). So does every session
        inside :func:`writes_wait_at_most` with ``every_session_writes``."""
        scope = _SCOPE.get()
        with self._sessions() as session, session.begin():
            if write or (scope is not None and scope.every_session_writes and not _on_event_loop()):
                lock_for_write(session)
            yield session

    def write(self, work: Callable[[Session], T]) -> T:
        """``work`` in a write session (``session(write=True)``), run again from the start while SQLite
        refuses one of its statements because another connection holds or held the write lock (a
        transaction that cannot take the lock first, a stale snapshot), within the write wait; then
        :class:`DatabaseBusy` or the refusal. ``work`` must be safe to run again: a refused try wrote
        nothing that stays."""
        started = time.monotonic()
        while True:
            try:
                with self.session(write=True) as session:
                    return work(session)
            except OperationalError as exc:
                if not _locked(exc) or self.dialect != "sqlite":
                    raise
                if (
                    time.monotonic() - started
                    >= (_SCOPE.get() or _WriteScope(WRITE_WAIT_SECONDS, False)).wait
                ):
                    raise DatabaseBusy(time.monotonic() - started) from exc
                log.warning("the database is locked by another writer: trying again")
                time.sleep(0.05)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()


_SECRET_QUERY_WORDS = ("password", "passfile", "secret", "token")
"""A query key holding any of these is hidden: libpq takes ``?password=`` and ``?sslpassword=``."""


def redact_url(url: str) -> str:
    """The URL with any password hidden, for logs and messages.

    Hides the userinfo password and the value of every query key that names a secret (``password``,
    ``sslpassword``, ``passfile``, any ``*secret*`` or ``*token*``). A URL that does not parse is not
    shown at all: its text could hold a password where the parser did not expect one.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # never echo what we cannot read
        return "<unparseable database URL>"
    hidden = {key: "***" for key in parsed.query if any(word in key.lower() for word in _SECRET_QUERY_WORDS)}
    if hidden:
        parsed = parsed.update_query_dict(hidden)
    return parsed.render_as_string(hide_password=True).replace("=%2A%2A%2A", "=***")
