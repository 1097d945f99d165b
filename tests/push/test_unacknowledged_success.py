"""A write SIASN answered 200 without a readable acknowledgement may have been applied.

``{"success": true}`` without ``mapData.referensi`` (or an answer repeating a name) is parked, since
nothing in it can be stored as SIASN's reference. But SIASN said it applied the change: the row was
parked as if refused, so when the flag flipped back the unblock was never queued (SIASN was taken to
be unblocked and kept the NIP blocked), and a steward's retry went out under a fresh key, applying the
change a second time. Only a refusal (a 4xx, ``success: false``) proves nothing was applied.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from connectors.http import HttpClient, HttpSettings, SiasnCredentials
from connectors.siasn import SiasnClient, SiasnConfig
from sbt_sync.db.engine import Database
from sbt_sync.push import Pusher, retry
from tests.connectors.helpers_http import FAST_RETRY, Reply, ScriptedServer
from tests.connectors.helpers_http import scripted as scripted  # the fixture
from tests.enforce.rows import nip
from tests.push.conftest import FAST_PUSH
from tests.push.helpers import outbox_rows, queue_blocks, toggle_sanctions

pytestmark = pytest.mark.integration

TOKEN = {"access_token": "tok", "expires_in": 3600}
APPLIED = {"success": True, "message": "Data PNS berhasil diblokir", "mapData": None}
REFUSED = {"success": False, "message": "Data PNS sedang dalam proses mutasi", "mapData": None}


def _pusher(database: Database, server: ScriptedServer) -> Pusher:
    credentials = SiasnCredentials(
        gateway_token_url=f"{server.url}/oauth2/token",
        sso_token_url=f"{server.url}/sso/token",
        consumer_key="key",
        consumer_secret="secret",
        username="operator",
        password="password",
    )
    server.script("/oauth2/token", Reply(body=TOKEN))
    server.script("/sso/token", Reply(body=TOKEN))
    http = HttpClient(HttpSettings(connect_timeout=2, read_timeout=5), retry=FAST_RETRY)
    return Pusher(database, SiasnClient(SiasnConfig(f"{server.url}/api", credentials), http=http), FAST_PUSH)


def _keys_sent(server: ScriptedServer) -> list[str]:
    return [s.headers["Idempotency-Key"] for s in server.seen if s.path.startswith("/api/pemblokiran/")]


@pytest.mark.parametrize(
    ("answer", "unblock_queued"),
    [
        pytest.param(APPLIED, True, id="success-without-reference"),
        pytest.param(REFUSED, False, id="success-false"),
    ],
)
def test_a_parked_block_siasn_said_it_applied_is_followed_by_the_unblock(
    migrated_database: Database, scripted: ScriptedServer, answer: dict[str, Any], unblock_queued: bool
) -> None:
    db = migrated_database
    queue_blocks(db, [nip(1)])
    scripted.script("/api/pemblokiran/blokir", Reply(200, answer))
    assert _pusher(db, scripted).run().parked == 1
    toggle_sanctions(db, [nip(1)], as_of=date(2025, 1, 22))
    expected = [("blokir", "superseded")] + ([("buka", "pending")] if unblock_queued else [])
    assert [(r.action, r.state) for r in outbox_rows(db)] == expected


def test_a_retry_of_a_block_siasn_said_it_applied_keeps_its_key(
    migrated_database: Database, scripted: ScriptedServer
) -> None:
    db = migrated_database
    queue_blocks(db, [nip(1)])
    scripted.script("/api/pemblokiran/blokir", Reply(200, APPLIED))
    assert _pusher(db, scripted).run().parked == 1
    (parked,) = outbox_rows(db)
    with db.session() as session:
        assert retry(session, reason="SIASN memperbaiki jawabannya", actor="steward") == 1
    acknowledged = {**APPLIED, "mapData": {"referensi": "R-1", "status": "DIBLOKIR", "berubah": False}}
    scripted.script("/api/pemblokiran/blokir", Reply(200, acknowledged, {"Idempotent-Replayed": "true"}))
    assert _pusher(db, scripted).run().acked == 1
    assert _keys_sent(scripted) == [parked.idempotency_key] * 2
