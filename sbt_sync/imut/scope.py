"""Which I-MUT actions an incremental evaluation looks at: those whose staged record changed, and those
of ASN whose blocks or neutrality cases changed since the previous evaluation.

The rules read an action, the blocks of its NIP and the cases of its NIP, and the day (the reporting
deadline). A run for the same day with the same calendars as the previous one therefore only needs:

- actions whose staged row is flagged (``needs_reconcile``: new, changed, withdrawn, or a NIP the
  registry changed), which case reconciliation leaves to the I-MUT evaluation;
- actions of NIPs with a push acknowledged, a SIASN lookup or a readback made since;
- actions of NIPs with a golden case created or changed since;
- actions whose open retaliation finding cites a case that is gone or names someone else now;
- the other actions of those actions' NIPs (a decision delivered twice is recognised across ids).

A new day, or another calendar, is a full evaluation (:mod:`sbt_sync.imut.store`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sbt_sync.db.models import Case, ImutFinding, OutboxEntry, RawRecord, SiasnObservation, StagedRecord
from sbt_sync.imut.blocks import IMUT_OBSERVATION
from sbt_sync.imut.model import Rule
from sbt_sync.imut.review import FindingStatus
from sbt_sync.reconcile.identity.store import chunks
from sbt_sync.states.outbox import OutboxState
from schemas.feeds.imut import FEED


@dataclass
class Changed:
    action_ids: set[str] = field(default_factory=set)
    nips: set[str] = field(default_factory=set)


def changed_since(session: Session, since: datetime) -> Changed:
    """The action ids and NIPs to evaluate again (module docstring)."""
    changed = Changed()
    changed.action_ids.update(
        session.scalars(
            select(StagedRecord.record_key).where(
                StagedRecord.source == FEED.source, StagedRecord.needs_reconcile.is_(True)
            )
        )
    )
    changed.nips.update(
        session.scalars(
            select(OutboxEntry.nip).where(
                OutboxEntry.state == OutboxState.ACKED, OutboxEntry.acked_at >= since
            )
        )
    )
    # SIASN's answers, to I-MUT lookups and to the push readback (both read as block events).
    answer = (SiasnObservation.nip, SiasnObservation.desired_blocked, SiasnObservation.response)
    observed = select(*answer).where(SiasnObservation.observed_at >= since)
    changed.nips.update(
        nip
        for nip, desired, response in session.execute(observed)
        if desired is not None or (response or {}).get("purpose") == IMUT_OBSERVATION
    )
    cases = select(Case.nip).where(
        Case.nip.is_not(None), or_(Case.updated_at >= since, Case.created_at >= since)
    )
    changed.nips.update(nip for nip in session.scalars(cases) if nip)
    changed.action_ids |= _retaliation_gone(session)
    # The other actions of a changed action's NIP: one decision delivered under two ids is recognised
    # only with both in view (:func:`sbt_sync.imut.staged.same_decision_key`).
    for chunk in chunks(sorted(changed.action_ids)):
        raw_ids = select(RawRecord.id).where(RawRecord.source == FEED.source, RawRecord.record_key.in_(chunk))
        nips = select(StagedRecord.nip).where(StagedRecord.raw_record_id.in_(raw_ids))
        changed.nips.update(nip for nip in session.scalars(nips) if nip)
    return changed


def _retaliation_gone(session: Session) -> set[str]:
    """Actions whose open retaliation finding cites a case that no longer exists or names another ASN."""
    query = select(ImutFinding.action_id, ImutFinding.nip, ImutFinding.records).where(
        ImutFinding.rule == Rule.POSSIBLE_RETALIATION, ImutFinding.status == FindingStatus.OPEN
    )
    cited: dict[str, tuple[str | None, set[str]]] = {}
    for action_id, nip, records in session.execute(query):
        keys = {str(r["case_key"]) for r in records or [] if r.get("kind") == "case"}
        cited[action_id] = (nip, keys)
    wanted = sorted({key for _, keys in cited.values() for key in keys})
    holder: dict[str, str | None] = {}
    for chunk in chunks(wanted):
        holders = select(Case.case_key, Case.nip).where(Case.case_key.in_(chunk))
        holder.update(session.execute(holders).tuples().all())
    return {
        action_id
        for action_id, (nip, keys) in cited.items()
        if any(key not in holder or holder[key] != nip for key in keys)
    }
