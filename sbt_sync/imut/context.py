"""What the I-MUT rules read besides the actions, from the database: block intervals and neutrality
case references, per NIP, each with the records it rests on.

Block intervals (a NIP held blocked in SIASN from the day a block was acknowledged to the day an unblock
was) come from the product's own push ledger (acknowledged ``blokir``/``buka`` outbox rows, dated by
their acknowledgement in WIB). For a NIP the product never pushed, SIASN's own state is what there is:
:func:`observe_unpushed` asks ``GET /pemblokiran/{nip}`` for a bounded number of such NIPs per run and
keeps the answer as a ``siasn_observations`` row (no desired state: not ours to compare), which
:func:`block_intervals` reads as an interval from SIASN's ``tanggal``.

Neutrality case references are the golden cases the ASN is the person of: ``register`` when a Bawaslu
register names them, ``reported`` otherwise, known since the earliest date the case's sources give.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.errors import ConnectorError
from connectors.siasn import SiasnApi
from sbt_sync.db.base import utcnow
from sbt_sync.db.models import Case, CaseLink, OutboxEntry, SiasnObservation, StagedRecord
from sbt_sync.enforce.load import wib_day
from sbt_sync.imut.model import BlockInterval, NeutralityCaseRef
from sbt_sync.reconcile.identity.store import chunks
from sbt_sync.states.outbox import OutboxState
from schemas.nip import mask_nip

log = logging.getLogger(__name__)

CASE_DATE_FIELDS = ("incident_at", "forwarded_at", "verified_at", "recommendation_date")
"""Golden fields whose earliest value dates when a case became known (the register, its forwarding,
the verification, the recommendation)."""
IMUT_OBSERVATION = "imut"
"""``siasn_observations.response["purpose"]`` of a lookup made for the I-MUT rules."""


@dataclass
class Context:
    """Per NIP: block intervals and case references, and the records each rests on."""

    blocks: dict[str, list[BlockInterval]] = field(default_factory=dict)
    cases: dict[str, list[NeutralityCaseRef]] = field(default_factory=dict)
    block_records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    case_records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def load_context(session: Session, nips: Collection[str], *, as_of: date) -> Context:
    """Block intervals and case references of ``nips``, for an evaluation as of ``as_of``."""
    context = Context()
    _ledger_blocks(session, nips, context, as_of)
    _observed_blocks(session, [n for n in nips if n not in context.blocks], context)
    _cases(session, nips, context)
    return context


def _ledger_blocks(session: Session, nips: Collection[str], context: Context, as_of: date) -> None:
    """Intervals from acknowledged pushes. An acknowledgement stamped after ``as_of`` (an evaluation
    for a day the wall clock has passed: the sandbox at its frozen instant, whose SIASN acknowledged
    at that instant) counts from ``as_of``, the product's day; in production ``as_of`` is today and
    nothing is moved."""
    columns = (
        OutboxEntry.id,
        OutboxEntry.nip,
        OutboxEntry.action,
        OutboxEntry.acked_at,
        OutboxEntry.siasn_reference,
    )
    rows: list[Any] = []
    for chunk in chunks(sorted(nips)):
        query = select(*columns).where(
            OutboxEntry.nip.in_(chunk),
            OutboxEntry.state == OutboxState.ACKED,
            OutboxEntry.acked_at.is_not(None),
        )
        rows.extend(session.execute(query))
    rows.sort(key=lambda r: (r.nip, r.acked_at, r.id))
    open_since: dict[str, tuple[date, str]] = {}
    for row in rows:
        acknowledged = wib_day(row.acked_at)
        assert acknowledged is not None
        day = min(acknowledged, as_of)
        reference = f"outbox:{row.id}" + (f" ({row.siasn_reference})" if row.siasn_reference else "")
        context.block_records.setdefault(row.nip, []).append(
            {
                "kind": "push_ledger",
                "outbox_id": row.id,
                "action": row.action,
                "acknowledged_on": acknowledged.isoformat(),
                "counts_from": day.isoformat(),
            }
        )
        if row.action == "blokir":
            open_since.setdefault(row.nip, (day, reference))
        elif row.nip in open_since:
            start, ref = open_since.pop(row.nip)
            context.blocks.setdefault(row.nip, []).append(BlockInterval(start, day, ref))
    for nip, (start, ref) in open_since.items():
        context.blocks.setdefault(nip, []).append(BlockInterval(start, None, ref))
    for nip in context.block_records:
        context.blocks.setdefault(nip, [])


def _observed_blocks(session: Session, nips: Collection[str], context: Context) -> None:
    """Intervals from SIASN's answers to I-MUT lookups (NIPs the product never pushed)."""
    columns = (
        SiasnObservation.id,
        SiasnObservation.nip,
        SiasnObservation.blocked,
        SiasnObservation.observed_at,
    )
    rows: list[Any] = []
    for chunk in chunks(sorted(nips)):
        query = select(*columns, SiasnObservation.response).where(
            SiasnObservation.nip.in_(chunk), SiasnObservation.desired_blocked.is_(None)
        )
        rows.extend(
            r for r in session.execute(query) if (r.response or {}).get("purpose") == IMUT_OBSERVATION
        )
    latest: dict[str, Any] = {}
    for row in sorted(rows, key=lambda r: (r.observed_at, r.id)):
        latest[row.nip] = row
    for nip, row in latest.items():
        response = row.response or {}
        context.block_records.setdefault(nip, []).append(
            {"kind": "siasn_observation", "observation_id": row.id, "status": response.get("status")}
        )
        if row.blocked:
            start = wib_day(response.get("tanggal")) or wib_day(row.observed_at)
            assert start is not None
            reference = f"siasn:{response.get('referensi') or row.id}"
            context.blocks.setdefault(nip, []).append(BlockInterval(start, None, reference))


def _known_since(golden: dict[str, Any], first_delivered: datetime | None, created_at: datetime) -> date:
    """The earliest day the case's sources date it (register, forwarding, verification,
    recommendation) or first delivered one of its records; the case's creation if none does."""
    days = [wib_day(golden.get(name)) for name in CASE_DATE_FIELDS] + [wib_day(first_delivered)]
    found = [d for d in days if d is not None]
    fallback = wib_day(created_at)
    assert fallback is not None
    return min(found) if found else fallback


def _cases(session: Session, nips: Collection[str], context: Context) -> None:
    columns = (Case.id, Case.case_key, Case.nip, Case.register_no, Case.golden, Case.created_at)
    for chunk in chunks(sorted(nips)):
        rows = list(session.execute(select(*columns).where(Case.nip.in_(chunk))))
        first = _first_delivered(session, [row.id for row in rows])
        for row in rows:
            how = "register" if row.register_no else "reported"
            since = _known_since(dict(row.golden or {}), first.get(row.id), row.created_at)
            context.cases.setdefault(row.nip, []).append(NeutralityCaseRef(row.case_key, since, how))
            context.case_records.setdefault(row.nip, []).append(
                {"kind": "case", "case_id": row.id, "case_key": row.case_key, "how": how}
            )


def _first_delivered(session: Session, case_ids: list[int]) -> dict[int, datetime]:
    """Case id -> the earliest source instant of its linked records."""
    found: dict[int, datetime] = {}
    for chunk in chunks(sorted(case_ids)):
        query = (
            select(CaseLink.case_id, func.min(StagedRecord.source_updated_at))
            .join(StagedRecord, StagedRecord.id == CaseLink.staged_record_id)
            .where(CaseLink.case_id.in_(chunk), CaseLink.unlinked_at.is_(None))
            .group_by(CaseLink.case_id)
        )
        found.update((case_id, at) for case_id, at in session.execute(query) if at is not None)
    return found


def observe_unpushed(
    session: Session, siasn: SiasnApi, nips: Iterable[str], *, limit: int, now: datetime | None = None
) -> tuple[int, set[str]]:
    """Ask SIASN the block state of up to ``limit`` of ``nips`` that have no acknowledged push of ours
    and no I-MUT lookup yet; keep each answer. Returns how many were asked and the NIPs still waiting
    (beyond ``limit``, or whose lookup failed: logged, NIP masked), which a later run asks."""
    wanted = sorted(set(nips))
    pushed: set[str] = set()
    asked: set[str] = set()
    for chunk in chunks(wanted):
        pushed.update(
            session.scalars(
                select(OutboxEntry.nip).where(
                    OutboxEntry.nip.in_(chunk), OutboxEntry.state == OutboxState.ACKED
                )
            )
        )
        query = select(SiasnObservation.nip, SiasnObservation.response).where(
            SiasnObservation.nip.in_(chunk), SiasnObservation.desired_blocked.is_(None)
        )
        asked.update(
            nip
            for nip, response in session.execute(query)
            if (response or {}).get("purpose") == IMUT_OBSERVATION
        )
    unknown = [nip for nip in wanted if nip not in pushed and nip not in asked]
    todo, waiting = unknown[:limit], set(unknown[limit:])
    at = now or utcnow()
    for nip in todo:
        try:
            status = siasn.status(nip)
        except ConnectorError as exc:
            log.warning("SIASN block state of NIP %s for I-MUT failed: %s", mask_nip(nip), exc)
            waiting.add(nip)
            continue
        response: dict[str, Any] = {"purpose": IMUT_OBSERVATION, "found": status is not None}
        if status is not None:
            response |= {"status": status.status, "referensi": status.reference, "tanggal": status.date}
        session.add(
            SiasnObservation(
                nip=nip,
                blocked=status.blocked if status is not None else None,
                desired_blocked=None,
                drift=False,
                response=response,
                observed_at=at,
            )
        )
    return len(todo), waiting
