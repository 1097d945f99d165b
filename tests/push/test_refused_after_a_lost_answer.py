"""A row whose first try SIASN applied with the answer lost, and whose retry met refused credentials
(the password was changed meanwhile): the run stops and gives the row back, but SIASN may hold its
change, so a later change of the NIP (the PPK's sanction) must still be sent."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from connectors.http import Page
from connectors.retry import RetryPolicy
from connectors.siasn import BlockStatus, PushResult, SiasnClient
from sbt_sync.db.engine import Database
from sbt_sync.push import Pusher
from sbt_sync.sandbox.runtime import Sandbox
from tests.enforce.rows import nip
from tests.push.conftest import FAST_PUSH, ledger, pusher, siasn_client
from tests.push.helpers import outbox_rows, queue_blocks, toggle_sanctions

pytestmark = pytest.mark.integration

ONCE = RetryPolicy(max_attempts=1, max_retry_after=1)


class PasswordChangedAfterFirstCall:
    """The real SIASN client for the first block call; the later ones go out with a password SIASN no
    longer accepts (a real 401 from its token endpoint)."""

    def __init__(self, good: SiasnClient, stale: SiasnClient) -> None:
        self._good, self._stale = good, stale
        self._calls = 0
        self.stats = good.stats

    def blokir(self, nip: str, body: Mapping[str, Any], idempotency_key: str) -> PushResult:
        client = self._good if self._calls == 0 else self._stale
        self._calls += 1
        return client.blokir(nip, body, idempotency_key)

    def buka(self, nip: str, body: Mapping[str, Any], idempotency_key: str) -> PushResult:
        return self._good.buka(nip, body, idempotency_key)

    def data_utama(self, nip: str) -> dict[str, Any] | None:
        return self._good.data_utama(nip)

    def registry_pages(self, cursor: str | None = None) -> Iterator[Page]:
        return self._good.registry_pages(cursor)

    def status(self, nip: str) -> BlockStatus | None:
        return self._good.status(nip)


def test_a_block_applied_with_its_answer_lost_then_refused_credentials_is_followed_by_the_unblock(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    db = migrated_database
    queue_blocks(db, [nip(1)])
    siasn_sandbox.faults.set("siasn", drop_after_apply_rate=1.0)
    client = PasswordChangedAfterFirstCall(
        siasn_client(siasn_sandbox, retry=ONCE), siasn_client(siasn_sandbox, password="old", retry=ONCE)
    )
    report = Pusher(db, client, replace(FAST_PUSH, concurrency=1, max_attempts=2)).run()

    assert report.aborted is not None and report.acked == 0
    assert siasn_sandbox.ledger is not None and siasn_sandbox.ledger.state(nip(1)).status == "DIBLOKIR"
    (row,) = outbox_rows(db)
    assert (row.state, row.attempts, row.maybe_applied) == ("pending", 2, True)

    siasn_sandbox.faults.reset()
    toggle_sanctions(db, [nip(1)], as_of=date(2025, 1, 22))  # the PPK's sanction: unblock
    assert pusher(db, siasn_sandbox).run().acked == 2  # the block first, under its key: a replay
    assert [(r.action, r.state) for r in outbox_rows(db)] == [("blokir", "acked"), ("buka", "acked")]
    assert ledger(siasn_sandbox)["applied_per_nip"][nip(1)] == {"blokir": 1, "buka": 1}
    assert siasn_sandbox.ledger.state(nip(1)).status != "DIBLOKIR"
