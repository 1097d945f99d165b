"""The readback: SIASN's block flag per NIP compared with the desired ``block_state``.

Every NIP with a block state is read (``GET /pemblokiran/{nip}``) and one ``siasn_observations`` row
is written per NIP. A difference is *pending* while an outbox row for the NIP is still undelivered,
and *drift* otherwise (SIASN changed, or a change was lost); with ``queue_drift`` each drift gets a
corrective outbox row under a new block-state version, in the same transaction as its observation.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.errors import ConnectorError
from connectors.redact import mask_nip
from connectors.siasn import BlockStatus, SiasnApi
from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import BlockState, Case, OutboxEntry, SiasnObservation
from sbt_sync.enforce.outbox import PushAction, idempotency_key, push_payload
from sbt_sync.push.ratelimit import RateLimiter

log = logging.getLogger(__name__)

UNDELIVERED = ("pending", "in_flight", "awaiting_approval")


@dataclass
class ReadbackReport:
    checked: int = 0
    in_sync: int = 0
    pending: int = 0
    """Differs from the desired flag while an outbox row is still on its way."""
    drift: int = 0
    unknown: int = 0
    """SIASN does not know the NIP."""
    failed: int = 0
    queued: int = 0
    drift_sample: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def readback(
    database: Database,
    siasn: SiasnApi,
    *,
    nips: Iterable[str] | None = None,
    concurrency: int = 4,
    rate_per_second: float = 10.0,
    queue_drift: bool = False,
    run_id: str | None = None,
) -> ReadbackReport:
    """Read SIASN's flag of ``nips`` (default: every NIP with a block state) and record the comparison."""
    with database.session() as session:
        query = select(BlockState.nip)
        if nips is not None:
            query = query.where(BlockState.nip.in_(list(nips)))
        wanted = sorted(session.scalars(query))
    limiter = RateLimiter(rate_per_second)

    def read(nip: str) -> tuple[str, BlockStatus | None, str | None]:
        limiter.acquire()
        try:
            return nip, siasn.status(nip), None
        except ConnectorError as exc:
            return nip, None, str(exc)

    with ThreadPoolExecutor(concurrency, thread_name_prefix="siasn-readback") as pool:
        answers = list(pool.map(read, wanted))
    report = ReadbackReport()
    with database.session() as session:
        states = {
            row.nip: row for row in session.scalars(select(BlockState).where(BlockState.nip.in_(wanted)))
        }
        undelivered = set(
            session.scalars(
                select(OutboxEntry.nip).where(OutboxEntry.state.in_(UNDELIVERED), OutboxEntry.nip.in_(wanted))
            )
        )
        now = utcnow()
        for nip, status, error in answers:
            if error is not None:
                report.failed += 1
                log.warning("readback of NIP %s failed: %s", mask_nip(nip), error)
                continue
            desired = states[nip].blocked
            observed = status.blocked if status is not None else None
            differs = (observed or False) != desired
            drift = differs and nip not in undelivered
            report.checked += 1
            report.unknown += int(status is None)
            report.in_sync += int(not differs)
            report.pending += int(differs and not drift)
            report.drift += int(drift)
            session.add(
                SiasnObservation(
                    nip=nip,
                    blocked=observed,
                    desired_blocked=desired,
                    drift=drift,
                    response=_response(status, pending=differs and not drift),
                    observed_at=now,
                    run_id=run_id,
                )
            )
            if drift:
                if len(report.drift_sample) < 10:
                    report.drift_sample.append(
                        f"{mask_nip(nip)}: SIASN {'blocked' if observed else 'not blocked'}, desired "
                        f"{'blocked' if desired else 'not blocked'}"
                    )
                if queue_drift:
                    _queue_correction(session, states[nip], run_id)
                    report.queued += 1
    return report


def _response(status: BlockStatus | None, *, pending: bool) -> dict[str, Any]:
    if status is None:
        return {"found": False, "pending": pending}
    return {"found": True, "status": status.status, "referensi": status.reference, "pending": pending}


def _queue_correction(session: Session, state: BlockState, run_id: str | None) -> None:
    """A new version of the NIP's unchanged desired flag, and the outbox row that re-sends it."""
    now = utcnow()
    state.version += 1
    state.updated_at = now
    action: PushAction = "blokir" if state.blocked else "buka"
    refs = sorted(session.scalars(select(Case.case_key).where(Case.id.in_(state.case_ids))))
    session.add(
        OutboxEntry(
            idempotency_key=idempotency_key(state.nip, action, state.version),
            nip=state.nip,
            action=action,
            case_refs=refs,
            payload=push_payload(state.nip, action, refs, []),
            state="pending",
            attempts=0,
            next_attempt_at=now,
            block_version=state.version,
            created_at=now,
            run_id=run_id,
        )
    )
