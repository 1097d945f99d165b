"""The push monitor says in words why an unblock waits parked when SIASN held the NIP's block before
ours (a Kanreg's), beside a parked row that shows SIASN's own message."""

from __future__ import annotations

from sbt_sync.db.models import OutboxEntry
from sbt_sync.states.outbox import HELD_BEFORE_OURS, OutboxState, PushAction
from tests.console.conftest import NIP_A, NIP_B, World

SIASN_SAYS = "nip tidak valid"
REFUSED = f"SIASN 422: {SIASN_SAYS}"


def _parked(number: str, key: str, why: str) -> OutboxEntry:
    return OutboxEntry(
        idempotency_key=key,
        nip=number,
        action=PushAction.BUKA,
        payload={"nip": number},
        state=OutboxState.PARKED,
        block_version=2,
        last_error=why,
    )


def test_the_push_monitor_says_why_an_unblock_of_a_prior_block_waits(world: World) -> None:
    with world.database.session() as session:
        session.add_all([_parked(NIP_A, "k-held", HELD_BEFORE_OURS), _parked(NIP_B, "k-refused", REFUSED)])
    client = world.login("steward")
    page = client.get("/push").text
    assert (
        page.count("SIASN sudah memblokir NIP ini sebelum blokir kita: buka blokir menunggu keputusan") == 1
    )
    assert HELD_BEFORE_OURS not in page  # said in words, not the log's English
    assert SIASN_SAYS in page  # SIASN's own message as before, its framing in words
    english = client.get("/push", params={"lang": "en"}).text
    assert "SIASN already blocked this NIP before our block" in english
