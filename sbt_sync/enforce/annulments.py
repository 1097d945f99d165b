"""Annulments of a recommendation as enforcement saw them, and their withdrawal.

An annulled recommendation ends a case (:mod:`sbt_sync.enforce.policy`). When a source later withdraws
the annulment (the case is proven again), the policy restarts enforcement on the recommendation's own
schedule, so the PPK's next letter would come with no word of why a closed case is pursued again.
Each run records here the annulments it finds and the first run that finds one withdrawn; drafting
puts a notice in the PPK's next letter for the case and marks the row told (``letter_id``), so the PPK
is told once per withdrawal (:func:`sbt_sync.letters.draft.draft_letters`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sbt_sync.db.models import CaseAnnulment
from sbt_sync.enforce.model import EnforcementPlan


def note_annulments(session: Session, plan: EnforcementPlan, now: datetime) -> dict[str, int]:
    """Record the plan's annulled cases not yet on record, and the withdrawal of those on record whose
    case is proven (``terbukti``) again; in the caller's transaction. Returns the counts."""
    standing = {
        row.case_id: row
        for row in session.scalars(select(CaseAnnulment).where(CaseAnnulment.withdrawn_at.is_(None)))
    }
    counts = {"annulled": 0, "withdrawn": 0}
    for outcome in plan.outcomes:
        case = outcome.case
        row = standing.get(case.case_id)
        if outcome.stage == "dibatalkan" and row is None:
            session.add(CaseAnnulment(case_id=case.case_id, annulled_on=outcome.ended_on, seen_at=now))
            counts["annulled"] += 1
        elif row is not None and case.verification_result == "terbukti" and not case.annulled:
            row.withdrawn_at, row.withdrawn_on = now, plan.as_of
            counts["withdrawn"] += 1
    return counts
