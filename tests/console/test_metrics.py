"""``/api/v1/metrics``: the operators' Prometheus metrics, read from the database at each scrape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families

from sbt_sync.db.models import IngestBatch, OutboxEntry, SiasnObservation, SyncRun
from tests.console.conftest import NIP_A, NIP_B, World

LAST_BATCH = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
LAST_CYCLE = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LAST_ACK = datetime(2026, 12, 1, 8, 45, tzinfo=UTC)


def _plant(world: World) -> None:
    """Beside the console world's rows (two open conflicts, two quarantined rows, one parked push):
    a pending and an acknowledged push, two committed batches and one still open, and two readbacks."""
    earlier = LAST_BATCH - timedelta(hours=1)
    with world.database.session() as session:
        session.add(
            OutboxEntry(
                idempotency_key="sbt-blokir-v1-b",
                nip=NIP_B,
                action="blokir",
                case_refs=["CASE-B"],
                payload={},
                state="pending",
                block_version=1,
            )
        )
        session.add(
            OutboxEntry(
                idempotency_key="sbt-blokir-v1-c",
                nip="198001012005011009",
                action="blokir",
                case_refs=["CASE-C"],
                payload={},
                state="acked",
                block_version=1,
                acked_at=LAST_ACK,
            )
        )
        session.add_all(
            [
                IngestBatch(source="bawaslu", started_at=earlier, committed_at=earlier),
                IngestBatch(source="bawaslu", started_at=LAST_BATCH, committed_at=LAST_BATCH),
                IngestBatch(source="idis", started_at=LAST_CYCLE, committed_at=None),  # never committed
            ]
        )
        session.add_all(
            [
                SyncRun(
                    run_id="c-1",
                    job="full_cycle",
                    status="succeeded",
                    finished_at=LAST_CYCLE - timedelta(hours=1),
                ),
                SyncRun(run_id="c-2", job="full_cycle", status="succeeded", finished_at=LAST_CYCLE),
                SyncRun(run_id="c-3", job="full_cycle", status="running"),
                SyncRun(run_id="i-1", job="idis_update", status="failed", finished_at=LAST_BATCH),
            ]
        )
        old, new = LAST_CYCLE - timedelta(days=1), LAST_CYCLE
        session.add_all(
            [
                SiasnObservation(nip=f"19800101200501100{i}", drift=True, observed_at=old, run_id="rb-1")
                for i in range(5)
            ]
            + [
                SiasnObservation(
                    nip=NIP_A, blocked=False, desired_blocked=True, drift=True, observed_at=new, run_id="rb-2"
                ),
                SiasnObservation(
                    nip=NIP_B, blocked=True, desired_blocked=False, drift=True, observed_at=new, run_id="rb-2"
                ),
                SiasnObservation(
                    nip="198001012005011009",
                    blocked=True,
                    desired_blocked=True,
                    drift=False,
                    observed_at=new,
                    run_id="rb-2",
                ),
            ]
        )


def _scrape(world: World, who: str | None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {world.tokens[who]}"} if who else {}
    response = world.client().get("/api/v1/metrics", headers=headers)
    return response.status_code, response.text


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_a_staff_token_scrapes_the_counts_and_nothing_personal(world: World) -> None:
    _plant(world)
    status, text = _scrape(world, "steward")
    assert status == 200
    samples = _samples(text)
    assert samples[("sbt_siasn_outbox_rows", (("state", "parked"),))] == 1
    assert samples[("sbt_siasn_outbox_rows", (("state", "pending"),))] == 1
    assert samples[("sbt_siasn_outbox_rows", (("state", "acked"),))] == 1
    assert samples[("sbt_siasn_outbox_rows", (("state", "in_flight"),))] == 0  # every state is listed
    assert samples[("sbt_siasn_drift_nips", ())] == 2  # the last readback only
    assert samples[("sbt_open_conflicts", (("kind", "critical_field"),))] == 1
    assert samples[("sbt_open_conflicts", (("kind", "identity"),))] == 1
    assert samples[("sbt_quarantine_rows", (("source", "bawaslu"), ("status", "open")))] == 1
    assert samples[("sbt_quarantine_rows", (("source", "kemendagri"), ("status", "open")))] == 1
    assert (
        samples[("sbt_source_last_batch_timestamp_seconds", (("source", "bawaslu"),))]
        == LAST_BATCH.timestamp()
    )
    assert ("sbt_source_last_batch_timestamp_seconds", (("source", "idis"),)) not in samples
    assert samples[("sbt_siasn_last_readback_timestamp_seconds", ())] == LAST_CYCLE.timestamp()
    assert samples[("sbt_siasn_last_ack_timestamp_seconds", ())] == LAST_ACK.timestamp()
    ended = ("sbt_run_last_end_timestamp_seconds", (("job", "full_cycle"), ("status", "succeeded")))
    assert samples[ended] == LAST_CYCLE.timestamp()
    failed = ("sbt_run_last_end_timestamp_seconds", (("job", "idis_update"), ("status", "failed")))
    assert samples[failed] == LAST_BATCH.timestamp()
    assert NIP_A not in text and NIP_B not in text


def test_only_bkn_roles_with_a_token_may_scrape(world: World) -> None:
    assert _scrape(world, "admin")[0] == 200
    assert _scrape(world, "auditor")[0] == 200
    assert _scrape(world, "viewer")[0] == 403  # the counts span every agency
    assert _scrape(world, None)[0] == 401
