"""The push monitor says in words which drift the readback will not correct: a block in SIASN that
someone else placed."""

from __future__ import annotations

from datetime import UTC, datetime

from sbt_sync.db.models import SiasnObservation
from sbt_sync.push.readback import BLOCKED_BY_OTHER
from tests.console.conftest import NIP_A, NIP_B, World

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_the_push_monitor_names_a_block_placed_by_someone_else_in_words(world: World) -> None:
    with world.database.session() as session:
        session.add_all(
            [
                SiasnObservation(
                    nip=NIP_A,
                    blocked=True,
                    desired_blocked=False,
                    drift=True,
                    response={"found": True, "status": "DIBLOKIR", "kind": BLOCKED_BY_OTHER},
                    observed_at=AT,
                ),
                SiasnObservation(
                    nip=NIP_B, blocked=False, desired_blocked=True, drift=True, response={}, observed_at=AT
                ),
            ]
        )
    client = world.login("steward")
    page = client.get("/push").text
    assert page.count("Diblokir di SIASN oleh pihak lain, bukan oleh sbt-sync") == 1
    assert "Blocked in SIASN by someone else" in client.get("/push", params={"lang": "en"}).text
