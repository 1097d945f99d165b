"""What the I-MUT rules read besides the actions, from the database: block intervals and neutrality
case references, per NIP, each with the records it rests on.

Block intervals come from one timeline per NIP of the product's own push ledger and SIASN's answers to
I-MUT lookups (:mod:`sbt_sync.imut.blocks`).

Neutrality case references are the golden cases the ASN is the person of: ``register`` when a Bawaslu
register names them, ``reported`` otherwise, known since the earliest date the case's sources give.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sbt_sync.db.models import Case, CaseLink, StagedRecord
from sbt_sync.enforce.load import wib_day
from sbt_sync.imut.blocks import intervals, ledger_events, observed_events
from sbt_sync.imut.model import BlockInterval, NeutralityCaseRef
from sbt_sync.reconcile.identity.store import chunks

CASE_DATE_FIELDS = ("incident_at", "forwarded_at", "verified_at", "recommendation_date")
"""Golden fields whose earliest value dates when a case became known (the register, its forwarding,
the verification, the recommendation)."""


@dataclass
class Context:
    """Per NIP: block intervals and case references, and the records each rests on."""

    blocks: dict[str, list[BlockInterval]] = field(default_factory=dict)
    cases: dict[str, list[NeutralityCaseRef]] = field(default_factory=dict)
    block_records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    case_records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def load_context(session: Session, nips: Collection[str], *, as_of: date) -> Context:
    """Block intervals and case references of ``nips``, for an evaluation as of ``as_of``: our pushes
    and SIASN's answers merged per NIP (a block SIASN showed before ours still counts)."""
    context = Context()
    ledger = ledger_events(session, nips, as_of, context.block_records)
    observed = observed_events(session, nips, as_of, context.block_records)
    for nip in sorted(set(ledger) | set(observed) | set(context.block_records)):
        context.blocks[nip] = intervals([*ledger.get(nip, []), *observed.get(nip, [])])
    _cases(session, nips, context)
    return context


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
