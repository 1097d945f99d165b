"""Operators' metrics in Prometheus' text format, read from the product database at each scrape.

What an operator watches: the SIASN outbox by state (a growing ``pending`` or any ``parked`` needs a
person), the mail outbox by state, the drift found by the last SIASN readback, open conflicts by kind,
quarantined rows by source and status, the last committed batch of each source, and the last SIASN
readback and acknowledgement (a cycle that stops reaching SIASN shows as their age). Counts only,
never a NIP or a name. Served by the console at ``/api/v1/metrics`` (``sbt_sync.console.web_metrics``)
to a bearer token of a BKN role.

Every figure is computed when Prometheus asks (one small query each, on indexed columns), so a metric
is never stale and the product keeps no state for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sbt_sync.db.engine import Database
from sbt_sync.db.models import (
    Conflict,
    IngestBatch,
    OutboxEntry,
    QuarantinedRow,
    SiasnObservation,
    SyncRun,
)
from sbt_sync.db.models.letters import NotificationOutboxEntry
from sbt_sync.instants import as_utc
from sbt_sync.states.conflicts import ConflictStatus
from sbt_sync.states.outbox import OutboxState

OUTBOX_STATES = tuple(OutboxState)


@dataclass(frozen=True, slots=True)
class Gauge:
    """One metric family: a name, its help text, the label names and (labels, value) samples."""

    name: str
    help: str
    labels: tuple[str, ...] = ()
    samples: list[tuple[tuple[str, ...], float]] = field(default_factory=list)


def _seconds(moment: datetime) -> float:
    return as_utc(moment).timestamp()


def gather(session: Session) -> list[Gauge]:
    """Every metric, read now."""
    outbox = dict.fromkeys(OUTBOX_STATES, 0) | dict(
        session.execute(select(OutboxEntry.state, func.count()).group_by(OutboxEntry.state)).tuples().all()
    )
    mail = dict(
        session.execute(
            select(NotificationOutboxEntry.state, func.count()).group_by(NotificationOutboxEntry.state)
        )
        .tuples()
        .all()
    )
    conflicts = session.execute(
        select(Conflict.kind, func.count())
        .where(Conflict.status == ConflictStatus.OPEN)
        .group_by(Conflict.kind)
    ).all()
    quarantine = session.execute(
        select(QuarantinedRow.source, QuarantinedRow.status, func.count()).group_by(
            QuarantinedRow.source, QuarantinedRow.status
        )
    ).all()
    batches = session.execute(
        select(IngestBatch.source, func.max(IngestBatch.committed_at))
        .where(IngestBatch.committed_at.is_not(None))
        .group_by(IngestBatch.source)
    ).all()
    run_ends = session.execute(
        select(SyncRun.job, SyncRun.status, func.max(SyncRun.finished_at))
        .where(SyncRun.finished_at.is_not(None))
        .group_by(SyncRun.job, SyncRun.status)
    ).all()
    last_seen = session.scalar(select(func.max(SiasnObservation.observed_at)))
    last_ack = session.scalar(select(func.max(OutboxEntry.acked_at)))
    last_readback = session.scalar(
        select(SiasnObservation.run_id).order_by(SiasnObservation.observed_at.desc()).limit(1)
    )
    drift = 0
    if last_readback is not None:
        drift = (
            session.scalar(
                select(func.count()).where(SiasnObservation.run_id == last_readback, SiasnObservation.drift)
            )
            or 0
        )
    return [
        Gauge(
            "sbt_siasn_outbox_rows",
            "Rows of the SIASN block-flag outbox by state (parked rows wait for a steward).",
            ("state",),
            [((state,), float(n)) for state, n in sorted(outbox.items())],
        ),
        Gauge(
            "sbt_mail_outbox_rows",
            "Rows of the letters' mail outbox by state (parked rows wait for a steward).",
            ("state",),
            [((state,), float(n)) for state, n in sorted(mail.items())],
        ),
        Gauge(
            "sbt_siasn_drift_nips",
            "NIPs whose SIASN block flag differed from the desired one at the last readback.",
            (),
            [((), float(drift))],
        ),
        Gauge(
            "sbt_open_conflicts",
            "Open conflicts waiting for a steward, by kind.",
            ("kind",),
            [((kind,), float(n)) for kind, n in sorted(conflicts)],
        ),
        Gauge(
            "sbt_quarantine_rows",
            "Quarantined source rows by source and status.",
            ("source", "status"),
            [((source, status), float(n)) for source, status, n in sorted(quarantine)],
        ),
        Gauge(
            "sbt_source_last_batch_timestamp_seconds",
            "When each source's last fetch-and-land batch was committed (Unix time).",
            ("source",),
            [((source,), _seconds(at)) for source, at in sorted(batches)],
        ),
        Gauge(
            "sbt_siasn_last_readback_timestamp_seconds",
            "When SIASN's block flags were last read back (Unix time).",
            (),
            [((), _seconds(last_seen))] if last_seen else [],
        ),
        Gauge(
            "sbt_run_last_end_timestamp_seconds",
            "When each job's last run ended, by how it ended (the run ledger; Unix time).",
            ("job", "status"),
            [((job, status), _seconds(at)) for job, status, at in sorted(run_ends)],
        ),
        Gauge(
            "sbt_siasn_last_ack_timestamp_seconds",
            "When SIASN last acknowledged a pushed block-flag change (Unix time).",
            (),
            [((), _seconds(last_ack))] if last_ack else [],
        ),
    ]


class _DatabaseCollector(Collector):
    def __init__(self, database: Database) -> None:
        self.database = database

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self.database.session() as session:
            gauges = gather(session)
        for gauge in gauges:
            family = GaugeMetricFamily(gauge.name, gauge.help, labels=list(gauge.labels))
            for labels, value in gauge.samples:
                family.add_metric(list(labels), value)
            yield family


def exposition(database: Database) -> bytes:
    """The metrics in Prometheus' text exposition format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_DatabaseCollector(database))
    return generate_latest(registry)
