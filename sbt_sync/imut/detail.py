"""One I-MUT finding as a steward reads it: the decision, the window, the approval and the reporting
deadline side by side, the action as I-MUT sent it, the records the finding rests on, its basis and
reason in words, and the stewards' decisions so far. What the console's finding page shows.

A neutrality case a finding cites is named to a user only as :func:`sbt_sync.steward.scope
.imut_case_keys_seen` allows; a withheld key is replaced, in the records and in the reason, by
``withheld``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, ImutFinding, ImutFindingDecision, StagedRecord
from sbt_sync.imut.elections import ElectionCalendar
from sbt_sync.imut.reasons import Language, render, text
from sbt_sync.imut.regions import region_names
from sbt_sync.imut.rules import REPORTING_WORKING_DAYS
from sbt_sync.imut.workdays import WorkingDayCalendar
from sbt_sync.steward.scope import imut_case_keys_seen
from schemas.nip import mask_nip


@dataclass(frozen=True)
class Decision:
    decided_at: datetime
    decided_by: str
    decision: str
    reason: str


@dataclass(frozen=True)
class FindingDetail:
    id: int
    action_id: str
    rule: str
    disposition: str
    status: str
    review: str
    review_reason: str | None
    reviewed_by: str | None
    reopened_reason: str | None
    closed_reason: str | None
    provisional: bool
    nip: str | None
    nip_masked: str
    asn_name: str | None
    instansi_id: str | None
    instansi_name: str | None
    action: str
    post_before: str
    post_after: str
    reason_given: str
    decision_no: str | None
    decision_date: date | None
    effective_date: date | None
    official_name: str | None
    official_role: str
    official_region: str | None
    official_region_name: str | None
    """The region by name (:mod:`sbt_sync.imut.regions`), None when the registry does not know it."""
    event_id: str | None
    event_name: str | None
    window_first: date | None
    window_last: date | None
    approval_no: str | None
    approval_date: date | None
    approval_counts: bool
    """Dated before the decision: the only approval that counts (an approval after it is shown)."""
    reported_on: date | None
    deadline: date | None
    """The 7th working day after the decision."""
    reported_in_time: bool | None
    reason: str
    basis: str
    records: list[dict[str, Any]]
    decisions: list[Decision]


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _post(fields: dict[str, Any], side: str, language: Language) -> str:
    post_class = fields.get(f"post_{side}_class")
    label = text(f"post_class.{post_class}", language) if post_class else ""
    parts = [str(p) for p in (fields.get(f"post_{side}"), fields.get(f"unit_{side}")) if p]
    return " · ".join([*([label] if label else []), *parts]) or "-"


def _scoped_reason(row: ImutFinding, seen: set[int], language: Language) -> tuple[str, list[dict[str, Any]]]:
    """The reason and records of ``row`` with the key of every cited case not in ``seen`` withheld."""
    cases = {r["case_id"]: str(r.get("case_key")) for r in row.records or [] if r.get("kind") == "case"}
    withheld = {key for case_id, key in cases.items() if case_id not in seen}
    records = [
        {**r, "case_key": None, "withheld": True}
        if r.get("kind") == "case" and r.get("case_id") not in seen
        else dict(r)
        for r in row.records or []
    ]
    params = dict(row.reason_params or {})
    if params.get("case_id") in withheld:
        params["case_id"] = "-"
    return render(row.reason_key, params, language), records


def _cited(rows: Sequence[ImutFinding]) -> dict[int, str]:
    return {
        r["case_id"]: str(r.get("case_key"))
        for row in rows
        for r in row.records or []
        if r.get("kind") == "case"
    }


def scoped_reasons(
    database: Database,
    finding_ids: Sequence[int],
    *,
    sources: Sequence[str] | None,
    language: Language = "id",
) -> dict[int, str]:
    """The reasons of the findings that cite a neutrality case, as ``sources`` may read them (a list
    page replaces its reasons with these)."""
    if sources is None or not finding_ids:
        return {}
    with database.session() as session:
        rows = list(session.scalars(select(ImutFinding).where(ImutFinding.id.in_(list(finding_ids)))))
        cites = [row for row in rows if any(r.get("kind") == "case" for r in row.records or [])]
        seen = imut_case_keys_seen(session, _cited(cites), sources)
        return {row.id: _scoped_reason(row, seen, language)[0] for row in cites}


def finding_detail(
    database: Database,
    finding_id: int,
    *,
    elections: ElectionCalendar,
    workdays: WorkingDayCalendar,
    sources: Sequence[str] | None,
    language: Language = "id",
) -> FindingDetail | None:
    """The finding with that id as ``sources`` may see it (None: everything), or None if none has it."""
    with database.session() as session:
        row = session.get(ImutFinding, finding_id)
        if row is None:
            return None
        staged = session.get(StagedRecord, row.staged_record_id) if row.staged_record_id else None
        fields: dict[str, Any] = dict(staged.fields or {}) if staged is not None else {}
        registry = session.get(AsnRegistryEntry, row.nip) if row.nip else None
        instansi_name = registry.instansi_name if registry is not None else None
        if instansi_name is None and row.instansi_id:
            query = select(func.min(AsnRegistryEntry.instansi_name))
            instansi_name = session.scalar(query.where(AsnRegistryEntry.instansi_id == row.instansi_id))
        seen = imut_case_keys_seen(session, _cited([row]), sources)
        reason, records = _scoped_reason(row, seen, language)
        decisions = [
            Decision(d.decided_at, d.decided_by, d.decision, d.reason)
            for d in session.scalars(
                select(ImutFindingDecision)
                .where(ImutFindingDecision.finding_id == row.id)
                .order_by(ImutFindingDecision.decided_at, ImutFindingDecision.id)
            )
        ]
        decision_date = row.decision_date
        # The approval the finding rests on (another delivery of the same SK may have carried it),
        # else the one this delivery sent.
        evidence = dict(row.evidence or {})
        approval_no = str(evidence.get("approval_letter_no") or fields.get("approval_no") or "") or None
        approval_date = _day(evidence.get("approval_date")) or _day(fields.get("approval_date"))
        reported_on = _day(fields.get("reported_on"))
        deadline = workdays.add_working_days(decision_date, REPORTING_WORKING_DAYS) if decision_date else None
        events = {e.event_id: e.event_name for e in elections.events}
        government = fields.get("official_instansi_id")
        regions = (
            region_names(session, {row.official_region: str(government)})
            if row.official_region and government
            else {}
        )
        role = row.official_role
        return FindingDetail(
            id=row.id,
            action_id=row.action_id,
            rule=row.rule,
            disposition=row.disposition,
            status=row.status,
            review=row.review,
            review_reason=row.review_reason,
            reviewed_by=row.reviewed_by,
            reopened_reason=row.reopened_reason,
            closed_reason=row.closed_reason,
            provisional=row.provisional,
            nip=row.nip,
            nip_masked=mask_nip(row.nip),
            asn_name=registry.name if registry is not None else staged.name if staged is not None else None,
            instansi_id=row.instansi_id,
            instansi_name=instansi_name,
            action=text(f"action.{fields['action']}", language) if fields.get("action") else "-",
            post_before=_post(fields, "before", language),
            post_after=_post(fields, "after", language),
            reason_given=str(fields.get("reason_given") or ""),
            decision_no=row.decision_no,
            decision_date=decision_date,
            effective_date=_day(fields.get("effective_date")),
            official_name=row.official_name,
            official_role=text(f"role.{role}", language) if role else "-",
            official_region=row.official_region,
            official_region_name=regions.get(row.official_region or ""),
            event_id=row.event_id,
            event_name=events.get(row.event_id) if row.event_id else None,
            window_first=row.window_first,
            window_last=row.window_last,
            approval_no=approval_no,
            approval_date=approval_date,
            approval_counts=bool(
                approval_no and approval_date and decision_date and approval_date < decision_date
            ),
            reported_on=reported_on,
            deadline=deadline,
            reported_in_time=None if reported_on is None or deadline is None else reported_on <= deadline,
            reason=reason,
            basis=text(row.basis_key, language),
            records=records,
            decisions=decisions,
        )
