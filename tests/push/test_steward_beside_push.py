"""A steward's push action (console or CLI) while a pusher claims and records rows: on SQLite the action
waits its turn instead of failing 'database is locked', and both take effect."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from sbt_sync.db.engine import Database
from sbt_sync.push import retry, withdraw
from sbt_sync.sandbox.runtime import Sandbox
from tests.enforce.rows import nip
from tests.push.conftest import UNREGISTERED, pusher
from tests.push.helpers import meanwhile_before, outbox_rows, queue_blocks

pytestmark = pytest.mark.integration

Action = Callable[[Session, int], int]


def _retry(session: Session, row_id: int) -> int:
    return retry(session, [row_id], reason="registry fixed", actor="steward")


def _withdraw(session: Session, row_id: int) -> int:
    return withdraw(session, [row_id], reason="not an ASN", actor="steward")


@pytest.mark.parametrize(
    ("action", "parked_after"),
    [
        pytest.param(_retry, ("parked", 2), id="retry"),
        pytest.param(_withdraw, ("superseded", 1), id="withdraw"),
    ],
)
def test_a_steward_action_while_a_push_records_succeeds(
    migrated_database: Database, siasn_sandbox: Sandbox, action: Action, parked_after: tuple[str, int]
) -> None:
    queue_blocks(migrated_database, [UNREGISTERED])
    assert pusher(migrated_database, siasn_sandbox).run().parked == 1  # SIASN refused it: parked
    (parked,) = outbox_rows(migrated_database)
    queue_blocks(migrated_database, [nip(1)])  # a block the daemon's push delivers meanwhile
    other = Database(migrated_database.engine.url.render_as_string(hide_password=False))
    pushes: list[int] = []

    def push() -> None:
        pushes.append(pusher(other, siasn_sandbox).run().acked)

    try:
        with (
            meanwhile_before(migrated_database, "UPDATE outbox SET state", push),
            migrated_database.session() as session,
        ):
            changed = action(session, parked.id)
    finally:
        other.dispose()

    assert changed == 1
    assert pushes == [1]
    pusher(migrated_database, siasn_sandbox).run()  # sends a retried row unless the push above did
    rows = {r.nip: r for r in outbox_rows(migrated_database)}
    assert rows[nip(1)].state == "acked"
    assert (rows[UNREGISTERED].state, rows[UNREGISTERED].attempts) == parked_after
