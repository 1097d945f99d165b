"""Engines and sessions for the product database, with the SQLite settings the embedded default needs.

SQLite runs in WAL mode with foreign keys on and a busy timeout, and with pysqlite's own transaction
handling replaced by explicit ``BEGIN`` so that SQLAlchemy's transactions (and savepoints) are real.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from sbt_sync.db.models.enforcement import OutboxEntry

SQLITE_BUSY_TIMEOUT_MS = 30_000
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
        return engine
    kwargs: dict[str, Any] = {}
    if parsed.get_driver_name() == "psycopg2":
        # Batch UPDATE/DELETE executemany too (INSERTs already use multi-row VALUES).
        kwargs["executemany_mode"] = "values_plus_batch"
    engine = create_engine(url, echo=echo, pool_pre_ping=True, hide_parameters=True, **kwargs)
    event.listen(engine, "handle_error", _without_row_detail)
    return engine


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
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": OUTBOX_LOCK_KEY})


def lock_product_writes(session: Session) -> None:
    """Let one reconciliation or enforcement run write at a time: call first in its transaction.

    The Dagster run queue keeps the daemon's own runs apart, but a run started beside it (``dagster job
    execute``, ``sbt-sync reconcile run`` or ``enforce run`` while the daemon's cycle runs) would
    insert the same conflicts and control actions and fail on their unique keys. On PostgreSQL the
    second transaction waits for the first to commit, then sees its rows. Taken before
    :func:`lock_outbox`, always in that order, so two writers never wait on each other. SQLite
    serialises writers already.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PRODUCT_WRITES_LOCK_KEY})


def lock_for_write(session: Session, table: Any) -> None:
    """On SQLite, take the database's write lock now, before a read that a write of ``table`` follows.

    A deferred SQLite transaction that reads and then writes fails at once ('database is locked', no
    busy wait) when another connection wrote in between; taking the lock first makes it wait its turn
    (the busy timeout) instead. A claimer (two notifiers draining one outbox) calls it first in its
    transaction. On PostgreSQL row locks and conditional updates already serialise claimers.
    """
    if session.get_bind().dialect.name == "sqlite":
        name = table.__tablename__ if hasattr(table, "__tablename__") else str(table)
        session.execute(text(f"UPDATE {name} SET id = id WHERE 0"))  # noqa: S608 - a model's own table


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
    def session(self) -> Iterator[Session]:
        """A session inside one transaction: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

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
