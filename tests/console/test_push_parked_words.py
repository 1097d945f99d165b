"""The push monitor says in Indonesian words why each parked row waits, whatever the pusher parked it
for: SIASN's refusal, an answer without an acknowledgement (it may have been applied), a 403 for this
NIP alone, a row that cannot be sent at all. SIASN's own message is shown as SIASN gave it; the
pusher's English framing ("not acknowledged", "not sendable"...) is never shown as stored."""

from __future__ import annotations

from html import unescape

import pytest

from sbt_sync.db.models import OutboxEntry
from sbt_sync.states.outbox import (
    PARKED_FORBIDDEN_NIP,
    PARKED_REFUSED,
    PARKED_UNACKNOWLEDGED,
    PARKED_UNSENDABLE,
    OutboxState,
    PushAction,
)
from tests.console.conftest import NIP_A, NIP_B, World

SIASN_SAYS = "nip tidak terdaftar pada instansi"

CASES = [
    # (the note the pusher stores, the words the page shows in Indonesian, and in English)
    (
        PARKED_REFUSED.format(status=422, message=SIASN_SAYS),
        "SIASN menolak perubahan ini (HTTP 422)",
        "SIASN refused this change (HTTP 422)",
    ),
    (
        PARKED_UNACKNOWLEDGED.format(status=200, message=SIASN_SAYS),
        "SIASN menjawab tanpa tanda terima (HTTP 200); perubahan ini mungkin sudah diterapkan",
        "SIASN answered without an acknowledgement (HTTP 200); this change may have been applied",
    ),
    (
        PARKED_FORBIDDEN_NIP.format(status=403, message=SIASN_SAYS),
        "SIASN menolak NIP ini (HTTP 403), sedangkan perubahan lain dalam pengiriman yang sama diterima",
        "SIASN refused this NIP (HTTP 403) while the same run's other changes were accepted",
    ),
]


@pytest.mark.parametrize(("note", "words", "english"), CASES)
def test_the_push_monitor_says_why_a_row_is_parked_in_indonesian(
    world: World, note: str, words: str, english: str
) -> None:
    with world.database.session() as session:
        session.add(_parked(NIP_A, "k-1", note))
    client = world.login("steward")
    page = unescape(client.get("/push").text)
    assert words in page
    assert SIASN_SAYS in page  # SIASN's own message, as SIASN gave it
    assert note not in page  # never the pusher's stored English
    english_page = unescape(client.get("/push", params={"lang": "en"}).text)
    assert english in english_page
    assert SIASN_SAYS in english_page


def test_a_row_that_cannot_be_sent_is_said_in_words(world: World) -> None:
    note = PARKED_UNSENDABLE.format(detail="Idempotency-Key must be 1-200 characters")
    with world.database.session() as session:
        session.add_all([_parked(NIP_A, "k-1", note), _parked(NIP_B, "k-2", "a server's own answer")])
    client = world.login("steward")
    page = unescape(client.get("/push").text)
    assert "Tidak dapat dikirim ke SIASN: NIP atau isi perubahan tidak sah" in page
    assert "not sendable" not in page
    assert "a server's own answer" in page  # a note the pusher did not write: shown as given
    english = unescape(client.get("/push", params={"lang": "en"}).text)
    assert "Cannot be sent to SIASN: the NIP or the change's body is not valid (Idempotency-Key" in english


def _parked(number: str, key: str, why: str) -> OutboxEntry:
    return OutboxEntry(
        idempotency_key=key,
        nip=number,
        action=PushAction.BLOKIR,
        payload={"nip": number},
        state=OutboxState.PARKED,
        block_version=1,
        last_error=why,
    )
