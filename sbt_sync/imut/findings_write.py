"""Writing I-MUT findings: the stored values of a finding, its basis, and the insert, change, close and
reopen of a row, each with its audit entry (NIPs masked). Used by :mod:`sbt_sync.imut.store`."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from sbt_sync.db.models import AuditEntry, ImutFinding
from sbt_sync.imut.context import Context
from sbt_sync.imut.model import Finding, PersonnelAction, Rule
from sbt_sync.imut.reasons import WITHDRAWN_PARAM, render
from sbt_sync.imut.review import FindingStatus, Review, review_on_basis_change
from schemas.feeds.imut import FEED
from schemas.nip import mask_nip

SOURCE = FEED.source
SYSTEM_ACTOR = "sbt-sync"
AUDIT_CHANNEL = "pipeline"
VOLATILE = frozenset({"as_of", "duplicate_action_ids"})
"""Evidence and parameters that do not change what a finding rests on: the day of evaluation, and the
other I-MUT ids the same decision was delivered under."""
WITHDRAWN_EVIDENCE = "withdrawn_at_source"


@dataclass
class FindingStats:
    full: bool = False
    actions: int = 0
    unreadable: int = 0
    duplicates: int = 0
    withdrawn: int = 0
    """Actions in scope that I-MUT withdrew: still evaluated, on what it last delivered."""
    siasn_lookups: int = 0
    opened: int = 0
    changed: int = 0
    closed: int = 0
    reopened: int = 0
    open_by_rule: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StagedAction:
    """A staged I-MUT row and the action it describes."""

    staged_id: int
    record_key: str
    raw_version: int
    action: PersonnelAction
    staged_at: datetime | None = None


def finding_key(action_id: str, rule: Rule | str) -> str:
    return f"{action_id}|{Rule(rule).value}"


def withdrawn_at_source(finding: Finding, day: date) -> Finding:
    """``finding`` of an action I-MUT withdrew on ``day``. It stays: the product cannot tell a revoked
    decision (which revoking does not cure, DOMAIN: MA 570 K/TUN/PILKADA/2016) from a record entered by
    mistake, so it says so and a steward decides (dismissing a data error). The withdrawal is part of
    the basis: a confirmed or dismissed finding goes back to the queue."""
    return dataclasses.replace(
        finding,
        reason_params={**finding.reason_params, WITHDRAWN_PARAM: day.isoformat()},
        evidence={**finding.evidence, WITHDRAWN_EVIDENCE: day.isoformat()},
    )


def basis_hash(finding: Finding) -> str:
    """What a steward's decision on the finding rests on (the day of evaluation left out)."""
    window = finding.window
    body = {
        "rule": finding.rule.value,
        "disposition": finding.disposition.value,
        "reason_key": finding.reason_key,
        "params": {k: v for k, v in sorted(finding.reason_params.items()) if k not in VOLATILE},
        "evidence": {k: v for k, v in sorted(finding.evidence.items()) if k not in VOLATILE},
        "event_id": finding.event_id,
        "window": [window.first.isoformat(), window.last.isoformat()] if window else None,
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _records(item: StagedAction, finding: Finding, context: Context) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = [
        {
            "kind": "imut_action",
            "source": SOURCE,
            "record_key": item.record_key,
            "staged_record_id": item.staged_id,
            "raw_version": item.raw_version,
        }
    ]
    nip = item.action.nip
    if finding.rule is Rule.BLOCK_BREACH:
        records += context.block_records.get(nip, [])
    if finding.rule is Rule.POSSIBLE_RETALIATION:
        cited = set(finding.evidence.get("case_ids", "").split(","))
        records += [r for r in context.case_records.get(nip, []) if r["case_key"] in cited]
    return records


def _fitted(column: str, value: str | None) -> str | None:
    """``value`` cut to the width of ``imut_findings.<column>``: I-MUT's texts are unbounded (the
    staged record keeps them whole), and PostgreSQL refuses a longer one with the whole evaluation."""
    if not value:
        return None
    width: int = ImutFinding.__table__.c[column].type.length  # type: ignore[attr-defined]
    return value[:width]


def finding_values(item: StagedAction, finding: Finding, context: Context) -> dict[str, Any]:
    """The stored columns of a finding (all but review, status and timestamps); the texts I-MUT sent
    cut to their columns' widths."""
    action, window = item.action, finding.window
    return {
        "action_id": action.action_id,
        "rule": finding.rule.value,
        "disposition": finding.disposition.value,
        "basis_key": finding.basis_key,
        "reason_key": finding.reason_key,
        "reason_params": dict(finding.reason_params),
        "evidence": dict(finding.evidence),
        "records": _records(item, finding, context),
        "event_id": finding.event_id,
        "window_first": window.first if window else None,
        "window_last": window.last if window and window.last != date.max else None,
        "provisional": finding.provisional,
        "basis_hash": basis_hash(finding),
        "staged_record_id": item.staged_id,
        "nip": action.nip or None,
        "instansi_id": _fitted("instansi_id", action.instansi_id),
        "official_name": _fitted("official_name", action.decided_by.name),
        "official_role": action.decided_by.role.value,
        "official_region": action.decided_by.region_code,
        "official_instansi_id": _fitted("official_instansi_id", action.decided_by.heads_instansi_id),
        "decision_no": _fitted("decision_no", action.decision_no),
        "decision_date": action.decision_date,
    }


def _audit(
    session: Session, action: str, row: ImutFinding, before: dict[str, Any] | None, at: datetime
) -> None:
    after = {
        "finding_key": row.finding_key,
        "rule": row.rule,
        "disposition": row.disposition,
        "status": row.status,
        "review": row.review,
        "reason_key": row.reason_key,
        "nip": mask_nip(row.nip),
        "instansi_id": row.instansi_id,
        "version": row.version,
    }
    session.add(
        AuditEntry(
            at=at,
            actor_name=SYSTEM_ACTOR,
            action=action,
            object_type="imut_finding",
            object_id=str(row.id),
            before=before,
            after=after,
            reason=row.closed_reason if action == "imut_finding.close" else row.reopened_reason,
            channel=AUDIT_CHANNEL,
        )
    )


def insert_finding(
    session: Session, key: str, values: dict[str, Any], at: datetime, stats: FindingStats
) -> None:
    row = ImutFinding(
        finding_key=key,
        status=FindingStatus.OPEN.value,
        review=Review.PENDING.value,
        first_found_at=at,
        evaluated_at=at,
        changed_at=at,
        version=1,
        **values,
    )
    session.add(row)
    session.flush()
    stats.opened += 1
    _audit(session, "imut_finding.open", row, None, at)


def _changed_evidence(row: ImutFinding, values: dict[str, Any]) -> list[str]:
    before, after = dict(row.evidence or {}), dict(values["evidence"])
    names = sorted(k for k in set(before) | set(after) if k not in VOLATILE and before.get(k) != after.get(k))
    if row.reason_key != values["reason_key"]:
        names.insert(0, "reason")
    return names


def update_finding(
    session: Session, row: ImutFinding, values: dict[str, Any], at: datetime, stats: FindingStats
) -> None:
    """Bring a stored finding to ``values``: silently when only the day of evaluation moved; a new
    version (and audit entry) when its basis changed or it was closed; a decided review goes back to
    the queue, saying what changed, when the basis did."""
    before = {
        "status": row.status,
        "review": row.review,
        "basis_hash": row.basis_hash,
        "version": row.version,
    }
    previous_review = Review(row.review)
    basis_changed = row.basis_hash != values["basis_hash"]
    was_closed = row.status == FindingStatus.CLOSED
    changed_names = _changed_evidence(row, values) if basis_changed else []
    before_evidence = dict(row.evidence or {})
    current = {name: getattr(row, name) for name in values}
    row.evaluated_at = at
    if current == values and not was_closed:
        return
    for name, value in values.items():
        setattr(row, name, value)
    if not basis_changed and not was_closed:
        return  # only the day of evaluation moved (an unreported action's "as of")
    row.version += 1
    row.changed_at = at
    withdrawn_on = values["evidence"].get(WITHDRAWN_EVIDENCE)
    newly_withdrawn = withdrawn_on is not None and WITHDRAWN_EVIDENCE not in (before_evidence or {})
    if basis_changed:
        row.review = review_on_basis_change(previous_review).value
        if newly_withdrawn:
            # Said whatever the review was: the audit entry of a reopen carries it too.
            row.reopened_reason = render("imut.reopened.withdrawn", {WITHDRAWN_PARAM: withdrawn_on}, "id")
        elif previous_review is not Review.PENDING:
            row.reopened_reason = render(
                "imut.reopened.basis_changed", {"changed": ", ".join(changed_names) or "-"}, "id"
            )
    if was_closed:
        row.status, row.closed_at, row.closed_reason = FindingStatus.OPEN.value, None, None
        stats.reopened += 1
        _audit(session, "imut_finding.reopen", row, before, at)
    else:
        stats.changed += 1
        _audit(session, "imut_finding.change", row, before, at)


def close_finding(session: Session, row: ImutFinding, reason: str, at: datetime, stats: FindingStats) -> None:
    before = {"status": row.status, "review": row.review, "version": row.version}
    row.status, row.closed_at, row.closed_reason = FindingStatus.CLOSED.value, at, reason
    row.evaluated_at, row.changed_at = at, at
    row.version += 1
    stats.closed += 1
    _audit(session, "imut_finding.close", row, before, at)
