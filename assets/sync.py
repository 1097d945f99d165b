"""Sync layer: ``sync/siasn_flags`` drains the outbox to SIASN; ``sync/siasn_readback`` compares
SIASN's flags with the desired block state and records the drift.

Neither starts a SIASN call (nor a retry) after ``push.cycle_budget_seconds``, and their client retries
only blips (:data:`sbt_sync.push.client.CYCLE_RETRY`); both then honour SIASN's ``Retry-After`` within
the budget. A throttling or failing SIASN leaves rows pending (same keys) and NIPs not checked (read
again next cycle, never counted as drift) and the run goes on to letters and reports."""

from collections.abc import Iterator
from datetime import timedelta

import dagster as dg
from pydantic import Field

from assets.keys import BLOCK_STATE, SIASN_FLAGS, SIASN_READBACK
from sbt_sync.pending import awaiting_approval
from sbt_sync.push import Pusher, PushOptions, readback
from sbt_sync.push.client import CYCLE_RETRY
from sbt_sync.push.readback import DEFAULT_SWEEP
from sbt_sync.resources import ConnectorsResource, DatabaseResource, SbtSettingsResource


@dg.asset(
    key=SIASN_FLAGS,
    deps=[BLOCK_STATE],
    group_name="sync",
    kinds={"python"},
)
def siasn_flags(
    context: dg.AssetExecutionContext,
    db: DatabaseResource,
    connectors: ConnectorsResource,
    settings: SbtSettingsResource,
) -> dg.MaterializeResult:
    """Block and unblock flags delivered to SIASN exactly once (outbox drain, idempotency keys), within
    the cycle's push budget; rows left stay pending for the next run."""
    cfg = settings.get()
    client = connectors.siasn(retry=CYCLE_RETRY)
    try:
        # recover: rows a killed run left in flight go out again now, with their keys (SIASN replays).
        pusher = Pusher(db.database, client, PushOptions.from_settings(cfg.push))
        report = pusher.run(recover=True, budget=cfg.push.cycle_budget_seconds)
    finally:
        client.close()
    with db.session() as session:
        waiting = awaiting_approval(session)
    context.log.info(
        "SIASN push: sent %d, acked %d (replayed %d), parked %d, deferred %d, %d left pending, "
        "%d awaiting approval",
        report.sent,
        report.acked,
        report.replayed,
        report.parked,
        report.deferred,
        report.left_pending,
        waiting,
    )
    if report.budget_exhausted:
        context.log.warning(
            "SIASN push stopped after its budget of %.0f s: %d row(s) left pending for the next cycle (%s)",
            cfg.push.cycle_budget_seconds,
            report.left_pending,
            report.left_because,
        )
    if report.aborted:
        raise dg.Failure(description=f"SIASN push stopped: {report.aborted}")
    return dg.MaterializeResult(
        metadata={
            "sent": report.sent,
            "acked": report.acked,
            "replayed": report.replayed,
            "already_in_state": report.unchanged,
            "parked": report.parked,
            "deferred": report.deferred,
            "retries": report.retries,
            "recovered_in_flight": report.recovered,
            "left_pending": report.left_pending,
            "lost_claims": report.lost_claims,
            "budget_exhausted": report.budget_exhausted,
            "budget_seconds": cfg.push.cycle_budget_seconds,
            "left_because": report.left_because,
            "failure_reasons": dg.MetadataValue.json(report.failure_reasons),
            "awaiting_approval": waiting,
            "http_retries": dg.MetadataValue.json(report.http_retries),
            "parked_sample": dg.MetadataValue.json(report.parked_sample),
        }
    )


class ReadbackConfig(dg.Config):
    queue_drift: bool = Field(default=False, description="Queue a re-send for every NIP that drifted.")
    sweep_hours: float = Field(
        default=DEFAULT_SWEEP.total_seconds() / 3600,
        gt=0,
        description="Every NIP with a block state is read at least this often; a cycle reads the NIPs "
        "whose flag or push changed, those that differed, and its share of a rotation over the rest.",
    )
    full: bool = Field(default=False, description="Read every NIP with a block state this time.")


@dg.asset(
    key=SIASN_READBACK,
    deps=[SIASN_FLAGS],
    group_name="sync",
    kinds={"python"},
    check_specs=[dg.AssetCheckSpec("no_drift", asset=SIASN_READBACK)],
)
def siasn_readback(
    context: dg.AssetExecutionContext,
    config: ReadbackConfig,
    db: DatabaseResource,
    connectors: ConnectorsResource,
    settings: SbtSettingsResource,
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """SIASN's block flag of the NIPs due (changed, differing, or this cycle's share of a rotation that
    reads every NIP with a block state within ``sweep_hours``), compared with the desired one."""
    cfg = settings.get()
    client = connectors.siasn(retry=CYCLE_RETRY)
    try:
        report = readback(
            db.database,
            client,
            concurrency=cfg.push.concurrency,
            rate_per_second=cfg.push.rate_per_second,
            queue_drift=config.queue_drift,
            run_id=context.run.run_id,
            sweep=None if config.full else timedelta(hours=config.sweep_hours),
            budget=cfg.push.cycle_budget_seconds,
            retry=PushOptions.from_settings(cfg.push).retry_policy(),
        )
    finally:
        client.close()
    context.log.info(
        "SIASN readback of %d of %d NIPs (%d changed, %d rotating): %d checked, %d in sync, %d pending, "
        "%d drift, %d not checked (%s), read next cycle",
        report.changed + report.rotating,
        report.total,
        report.changed,
        report.rotating,
        report.checked,
        report.in_sync,
        report.pending,
        report.drift,
        report.not_checked,
        _because(report.not_checked_because) or "none",
    )
    yield dg.MaterializeResult(
        metadata={
            "checked": report.checked,
            "total": report.total,
            "changed": report.changed,
            "rotating": report.rotating,
            "full": config.full,
            "sweep_hours": config.sweep_hours,
            "in_sync": report.in_sync,
            "pending": report.pending,
            "drift": report.drift,
            "unknown": report.unknown,
            "failed": report.failed,
            "skipped": report.skipped,
            "not_checked": report.not_checked,
            "not_checked_because": dg.MetadataValue.json(report.not_checked_because),
            "queued": report.queued,
            "blocked_by_others": report.blocked_by_others,
            "settled": report.settled,
            "drift_sample": dg.MetadataValue.json(report.drift_sample),
        }
    )
    # A NIP SIASN could not be asked about (throttled, failing, the budget spent) is not drift: it is
    # read again next cycle, and the metadata says how many and why.
    yield dg.AssetCheckResult(
        check_name="no_drift",
        passed=report.drift == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "drift": report.drift,
            "not_checked": report.not_checked,
            "not_checked_because": dg.MetadataValue.json(report.not_checked_because),
        },
        description=(
            f"{report.not_checked} NIP(s) not checked this time ({_because(report.not_checked_because)}); "
            "read again next cycle"
            if report.not_checked
            else None
        ),
    )


def _because(reasons: dict[str, int]) -> str:
    """``throttled: 3, time budget spent: 2``: commonest first."""
    ordered = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{reason}: {count}" for reason, count in ordered)
