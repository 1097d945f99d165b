"""On PostgreSQL a steward's decision in the console or the API while an enforcement or reconciliation
run holds the product-writes advisory lock waits at most ``console.write_wait_seconds`` (as on SQLite),
then answers that the database is busy (503, in words; JSON on the API) and records nothing; once the
run commits the same decision goes through. The daemon's writers and the CLI (no console scope) wait
for the lock as before, and the capped wait does not outlive the lock: the transaction's
``lock_timeout`` is its own again as soon as the lock is taken."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import create_engine, func, select, text

from sbt_sync.console.app import create_app
from sbt_sync.db.engine import (
    OUTBOX_LOCK_KEY,
    PRODUCT_WRITES_LOCK_KEY,
    Database,
    DatabaseBusy,
    lock_outbox,
    lock_product_writes,
    writes_wait_at_most,
)
from sbt_sync.db.models import AuditEntry, StewardDecision
from sbt_sync.settings import Settings
from tests.console.conftest import PASSWORD, World, csrf_of

pytestmark = pytest.mark.integration

CAP = 0.5
"""The console's write wait in these tests."""
GIVE_UP = 60.0
"""How long the test waits for a request before it lets the holder go (the old code waited for it)."""
BUSY_ID = "Basis data sedang sibuk"


def _postgres_only(database: Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("the advisory locks are PostgreSQL's (SQLite: tests/console/test_lock_console.py)")


@contextmanager
def _run_holding(database: Database, *keys: int) -> Iterator[None]:
    """Another connection (an enforcement run) holds the advisory locks ``keys`` until the block ends,
    then commits."""
    engine = create_engine(database.engine.url)
    try:
        with engine.connect() as connection, connection.begin():
            for key in keys:
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            yield
    finally:
        engine.dispose()


def _while_held(database: Database, request: Callable[[], Any], *keys: int) -> Any:
    """``request``'s answer (or its error), sent while another connection holds ``keys``. The holder
    keeps them until the request answers (or :data:`GIVE_UP`): an answer in between came within the
    request's own wait."""
    done = threading.Event()
    answers: list[Any] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            answers.append(request())
        except BaseException as exc:  # handed to the test's thread
            errors.append(exc)
        finally:
            done.set()

    with _run_holding(database, *keys):
        worker = threading.Thread(target=send, daemon=True)
        worker.start()
        answered_while_held = done.wait(GIVE_UP)
    worker.join(GIVE_UP)
    assert answered_while_held, "the request waited for the run's lock beyond the console's write wait"
    if errors:
        raise errors[0]
    return answers[0]


def _stored(database: Database) -> tuple[int, int]:
    with database.session() as session:
        decisions = session.scalar(select(func.count()).select_from(StewardDecision)) or 0
        audited = (
            session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "conflict.resolve")
            )
            or 0
        )
    return decisions, audited


def _capped(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"console": settings.console.model_copy(update={"write_wait_seconds": CAP})}
    )


def _console(world: World, database: Database) -> TestClient:
    return TestClient(create_app(_capped(world.settings), database), follow_redirects=False)


def test_a_console_decision_while_a_run_holds_the_lock_is_busy_in_words_and_records_nothing(
    world: World,
) -> None:
    _postgres_only(world.database)
    database = Database(world.database.url)
    try:
        client = _console(world, database)
        form = {"username": "steward", "password": PASSWORD, "csrf_token": csrf_of(client), "next": "/"}
        assert client.post("/login", data=form).status_code == 303
        decision = {"value": "H1", "reason": "sesuai SK PPK", "csrf_token": csrf_of(client, "/conflicts")}
        path = f"/conflicts/{world.ids['conflict_a']}/resolve"

        busy: Response = _while_held(
            database, lambda: client.post(path, data=decision), PRODUCT_WRITES_LOCK_KEY
        )
        stored_while_busy = _stored(world.database)
        again = client.post(path, data=decision)
    finally:
        database.dispose()

    assert busy.status_code == 503, busy.text
    assert BUSY_ID in busy.text and "Tidak ada yang diubah" in busy.text
    assert busy.headers.get("retry-after")
    assert stored_while_busy == (0, 0)
    assert again.status_code == 303, again.text
    assert again.headers["location"] == "/conflicts"
    assert _stored(world.database) == (1, 1)


def test_an_api_decision_while_a_run_holds_the_lock_is_a_busy_error_and_records_nothing(world: World) -> None:
    _postgres_only(world.database)
    database = Database(world.database.url)
    try:
        client = _console(world, database)
        auth = {"Authorization": f"Bearer {world.tokens['steward']}"}
        conflict = world.ids["conflict_a"]
        basis = client.get(f"/api/v1/conflicts/{conflict}", headers=auth).json()["basis_hash"]
        body = {"value": "H1", "reason": "sesuai SK PPK", "basis": basis}
        path = f"/api/v1/conflicts/{conflict}/resolve"

        busy: Response = _while_held(
            database, lambda: client.post(path, json=body, headers=auth), PRODUCT_WRITES_LOCK_KEY
        )
        stored_while_busy = _stored(world.database)
        again = client.post(path, json=body, headers=auth)
    finally:
        database.dispose()

    assert busy.status_code == 503, busy.text
    assert BUSY_ID in busy.json()["detail"]
    assert busy.headers.get("retry-after")
    assert stored_while_busy == (0, 0)
    assert again.status_code == 200, again.text
    assert again.json()["conflict_id"] == conflict
    assert _stored(world.database) == (1, 1)


@pytest.mark.parametrize("lock", [lock_product_writes, lock_outbox], ids=["product_writes", "outbox"])
def test_within_a_console_scope_either_advisory_lock_is_waited_for_at_most_the_scope(
    world: World, lock: Callable[[Any], None]
) -> None:
    _postgres_only(world.database)
    key = PRODUCT_WRITES_LOCK_KEY if lock is lock_product_writes else OUTBOX_LOCK_KEY

    def take() -> str:
        with writes_wait_at_most(CAP), world.database.session() as session:
            lock(session)
            return "taken"

    with pytest.raises(DatabaseBusy):
        _while_held(world.database, take, key)
    assert take() == "taken"  # free again: taken at once


def test_the_capped_wait_ends_with_the_lock_and_outside_a_scope_nothing_changes(world: World) -> None:
    _postgres_only(world.database)
    with world.database.session() as session:
        session.execute(text("SET LOCAL lock_timeout = '7s'"))
        with writes_wait_at_most(CAP):
            lock_product_writes(session)
            lock_outbox(session)
        after_scoped = session.scalar(text("SELECT current_setting('lock_timeout')"))
    with world.database.session() as session:
        lock_product_writes(session)
        after_unscoped = session.scalar(text("SELECT current_setting('lock_timeout')"))
    assert after_scoped == "7s"
    assert after_unscoped == "0"
