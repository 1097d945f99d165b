"""The pusher against the real SIASN simulator: exactly once, faults, parking, recovery, readback."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from connectors.retry import RetryPolicy
from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import OutboxEntry, SiasnObservation
from sbt_sync.push import Pusher, PushReport, planned_pushes, readback, retry
from sbt_sync.push.queue import claim, mark_acked
from sbt_sync.sandbox.runtime import Sandbox
from tests.enforce.rows import nip
from tests.push.conftest import FAST_PUSH, FAST_RETRY, UNREGISTERED, ledger, pusher, siasn_client
from tests.push.helpers import (
    assert_siasn_matches,
    dead_holder_token,
    outbox_rows,
    queue_blocks,
    toggle_sanctions,
)

pytestmark = pytest.mark.integration

NIPS = [nip(i) for i in range(1, 13)]


def test_pusher_delivers_each_change_once_and_stores_siasn_reference(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    queue_blocks(migrated_database, NIPS)
    seen: list[int] = []
    report = pusher(migrated_database, siasn_sandbox).run(progress=lambda so_far: seen.append(so_far.acked))
    assert (report.sent, report.acked, report.parked, report.deferred) == (12, 12, 0, 0)
    assert seen == list(range(1, 13))  # told once per row as it ends (what `push run`'s bar draws)
    assert_siasn_matches(migrated_database, siasn_sandbox)
    again = pusher(migrated_database, siasn_sandbox).run()
    assert again.sent == 0
    toggle_sanctions(migrated_database, NIPS[:5], as_of=date(2025, 1, 22))
    assert pusher(migrated_database, siasn_sandbox).run().acked == 5
    assert_siasn_matches(migrated_database, siasn_sandbox)
    assert (
        sum(1 for n in NIPS if siasn_sandbox.ledger and siasn_sandbox.ledger.state(n).status == "DIBLOKIR")
        == 7
    )


@pytest.mark.parametrize(
    "inner_retry",
    [
        pytest.param(FAST_RETRY, id="client-retries-first"),
        pytest.param(RetryPolicy(max_attempts=1, max_retry_after=5), id="pusher-retries-alone"),
    ],
)
def test_every_siasn_fault_switched_on_still_applies_each_change_exactly_once(
    migrated_database: Database, siasn_sandbox: Sandbox, inner_retry: RetryPolicy
) -> None:
    siasn_sandbox.faults.set(
        "siasn",
        error_5xx_rate=0.3,
        throttle_rate=0.1,
        retry_after_seconds=1,
        latency_ms=15,
        token_ttl_seconds=1,
        truncate_rate=0.1,
        drop_after_apply_rate=0.3,
    )
    client = siasn_client(siasn_sandbox, retry=inner_retry)
    options = replace(FAST_PUSH, defer_seconds=0)

    def drain() -> list[PushReport]:
        """Runs until the outbox is empty, as the schedule would (a row may outlast one run's tries)."""
        reports = [Pusher(migrated_database, client, options).run()]
        while any(r.state == "pending" for r in outbox_rows(migrated_database)) and len(reports) < 5:
            reports.append(Pusher(migrated_database, client, options).run())
        return reports

    queue_blocks(migrated_database, NIPS)
    reports = drain()
    toggle_sanctions(migrated_database, NIPS[::2], as_of=date(2025, 1, 22))
    reports += drain()
    assert sum(r.acked for r in reports) == 18 and sum(r.parked for r in reports) == 0
    assert sum(r.replayed for r in reports) > 0  # dropped-after-apply answers came from SIASN's store
    if inner_retry.max_attempts == 1:
        assert sum(r.retries for r in reports) > 0  # tenacity in the pusher did the retrying
    else:
        assert sum(r.http_retries.get("server_error", 0) for r in reports) > 0
    assert_siasn_matches(migrated_database, siasn_sandbox)


def test_siasn_refusal_is_parked_with_its_message_and_retry_makes_it_due(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    queue_blocks(migrated_database, [NIPS[0], UNREGISTERED])
    report = pusher(migrated_database, siasn_sandbox).run()
    assert (report.acked, report.parked) == (1, 1)
    parked = [r for r in outbox_rows(migrated_database) if r.state == "parked"]
    assert [r.nip for r in parked] == [UNREGISTERED]
    assert parked[0].last_error is not None and "Data tidak ditemukan" in parked[0].last_error
    with migrated_database.session() as session:
        assert retry(session, reason="registry fixed", actor="tester") == 1
    assert [r.state for r in outbox_rows(migrated_database) if r.nip == UNREGISTERED] == ["pending"]


def test_row_left_in_flight_by_a_crash_is_resent_with_the_same_key_and_replayed(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    queue_blocks(migrated_database, NIPS[:3])
    with migrated_database.session() as session:  # a pusher claims, sends, and dies before recording
        claimed = claim(session, limit=10, now=utcnow(), lease=timedelta(minutes=15))
        session.execute(update(OutboxEntry).values(claimed_by=dead_holder_token()))
    client = siasn_client(siasn_sandbox)
    for row in claimed:
        client.blokir(row.nip, row.payload, row.idempotency_key)
    report = pusher(migrated_database, siasn_sandbox).run(recover=True)
    assert (report.recovered, report.acked, report.replayed) == (3, 3, 3)
    assert_siasn_matches(migrated_database, siasn_sandbox)


def test_recover_leaves_a_live_pushers_rows_to_it_and_an_unblock_waits_behind_them(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    """Two pushers at once (the daemon's and `sbt-sync push run`): the second, started with recover,
    must not take the first one's in-flight block; the sanction's unblock is sent after it lands."""
    queue_blocks(migrated_database, NIPS[:1])
    with migrated_database.session() as session:  # the first pusher (this live process) claims
        claimed = claim(session, limit=10, now=utcnow(), lease=timedelta(minutes=15))
    toggle_sanctions(migrated_database, NIPS[:1], as_of=date(2025, 1, 22))
    second = pusher(migrated_database, siasn_sandbox).run(recover=True)
    assert (second.recovered, second.sent) == (0, 0)  # the unblock waits behind the block in flight
    client = siasn_client(siasn_sandbox)
    answer = client.blokir(claimed[0].nip, claimed[0].payload, claimed[0].idempotency_key)
    with migrated_database.session() as session:  # the first pusher records its answer
        mark_acked(session, claimed[0], reference=answer.reference, now=utcnow())
    assert pusher(migrated_database, siasn_sandbox).run().acked == 1
    assert [(r.action, r.state) for r in outbox_rows(migrated_database)] == [
        ("blokir", "acked"),
        ("buka", "acked"),
    ]
    assert_siasn_matches(migrated_database, siasn_sandbox)


def test_a_block_whose_answers_went_missing_is_followed_by_the_unblock(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    """SIASN applies the block but every answer is lost (deferred, pending); the PPK then imposes the
    sanction. The block may be in force at SIASN (or still on its way there): it goes first under its
    key (a replay), and the unblock is written and sent after it."""
    queue_blocks(migrated_database, NIPS[:1])
    siasn_sandbox.faults.set("siasn", drop_after_apply_rate=1.0)
    client = siasn_client(siasn_sandbox, retry=RetryPolicy(max_attempts=1, max_retry_after=1))
    once = replace(FAST_PUSH, max_attempts=1, defer_seconds=600)  # the answer is lost: deferred
    report = Pusher(migrated_database, client, once).run()
    assert (report.acked, report.deferred) == (0, 1)
    assert siasn_sandbox.ledger is not None and siasn_sandbox.ledger.state(NIPS[0]).status == "DIBLOKIR"
    toggle_sanctions(migrated_database, NIPS[:1], as_of=date(2025, 1, 22))
    rows = outbox_rows(migrated_database)
    assert [(r.action, r.state, r.maybe_applied) for r in rows] == [
        ("blokir", "pending", True),
        ("buka", "pending", False),
    ]
    siasn_sandbox.faults.set("siasn", drop_after_apply_rate=0.0)
    with migrated_database.session() as session:  # the block's rest cut short
        retry(session, reason="SIASN is back", actor="tester")
    report = pusher(migrated_database, siasn_sandbox).run()
    assert (report.acked, report.replayed) == (2, 1)
    assert ledger(siasn_sandbox)["applied_per_nip"][NIPS[0]] == {"blokir": 1, "buka": 1}
    assert siasn_sandbox.ledger.state(NIPS[0]).status != "DIBLOKIR"


def test_a_parked_block_is_superseded_when_the_flag_flips_and_a_retry_sends_nothing(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    queue_blocks(migrated_database, [UNREGISTERED])
    assert pusher(migrated_database, siasn_sandbox).run().parked == 1
    toggle_sanctions(migrated_database, [UNREGISTERED], as_of=date(2025, 1, 22))
    assert [(r.action, r.state) for r in outbox_rows(migrated_database)] == [("blokir", "superseded")]
    with migrated_database.session() as session:
        assert retry(session, reason="registry fixed", actor="tester") == 0
    assert pusher(migrated_database, siasn_sandbox).run().sent == 0
    refused = outbox_rows(migrated_database)[0].idempotency_key
    assert list(ledger(siasn_sandbox)["keys"]) == [refused]  # SIASN saw the refused block, nothing since


def test_refused_credentials_stop_the_run_and_park_nothing(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    queue_blocks(migrated_database, NIPS[:4])
    report = pusher(migrated_database, siasn_sandbox, password="wrong").run()
    assert report.aborted is not None and report.acked == 0 and report.parked == 0
    assert {r.state for r in outbox_rows(migrated_database)} == {"pending"}
    assert ledger(siasn_sandbox)["keys"] == {}


def test_dry_run_lists_what_would_be_sent_and_sends_nothing(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    queue_blocks(migrated_database, NIPS[:2])
    with migrated_database.session() as session:
        planned = planned_pushes(session)
    assert [(p["action"], p["state"]) for p in planned] == [("blokir", "pending")] * 2
    assert all(p["nip"] != NIPS[0] for p in planned)  # masked
    assert ledger(siasn_sandbox)["keys"] == {}


def test_readback_reports_drift_and_can_queue_its_correction(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    queue_blocks(migrated_database, NIPS[:4])
    pusher(migrated_database, siasn_sandbox).run()
    client = siasn_client(siasn_sandbox)
    assert readback(migrated_database, client).in_sync == 4
    client.buka(NIPS[0], {"alasan": "someone else unblocked"}, "outside-change")  # SIASN drifts
    report = readback(migrated_database, client, queue_drift=True)
    assert (report.checked, report.in_sync, report.drift, report.queued) == (4, 3, 1, 1)
    with migrated_database.session() as session:
        drift = session.scalars(select(SiasnObservation).where(SiasnObservation.drift)).one()
        assert drift.nip == NIPS[0] and drift.blocked is False and drift.desired_blocked is True
    assert pusher(migrated_database, siasn_sandbox).run().acked == 1
    assert readback(migrated_database, client).in_sync == 4


def test_a_difference_with_a_row_still_on_its_way_is_pending_not_drift(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    queue_blocks(migrated_database, NIPS[:2])
    with migrated_database.session() as session:
        session.execute(update(OutboxEntry).values(next_attempt_at=utcnow()))
    report = readback(migrated_database, siasn_client(siasn_sandbox))
    assert (report.pending, report.drift) == (2, 0)
