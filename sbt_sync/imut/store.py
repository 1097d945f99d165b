"""I-MUT findings in the database: evaluate every staged personnel action and bring ``imut_findings``
up to date, in the caller's transaction.

Each run evaluates every live action (the reporting rule depends on the day, so an unchanged action can
gain a finding; blocks and cases change without the action changing), then writes only differences:

- a new finding is inserted (``open``, review ``pending``);
- a finding whose basis (rule, disposition, reason and evidence, the day of evaluation aside) changed is
  updated and its version bumped; a steward's confirm or dismiss goes back to ``pending`` with the
  reason (:func:`sbt_sync.imut.review.review_on_basis_change`): a late approval keeps a finding and
  shows the approval, and the steward sees it;
- a finding the rules no longer give is ``closed`` with the reason, never deleted; one that holds again
  is ``open`` again.

Every insert, change, close and reopen writes an audit entry (NIPs masked). The I-MUT rows'
``needs_reconcile`` flag (case reconciliation skips them) is cleared here.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import case, false, select, update
from sqlalchemy.orm import Session

from connectors.siasn import SiasnApi
from sbt_sync.db.models import AuditEntry, ImutFinding, StagedRecord
from sbt_sync.imut.context import Context, load_context, observe_unpushed
from sbt_sync.imut.elections import ElectionCalendar
from sbt_sync.imut.model import Finding, PersonnelAction, Rule
from sbt_sync.imut.reasons import render
from sbt_sync.imut.review import FindingStatus, Review, review_on_basis_change
from sbt_sync.imut.rules import BLOCKED_KINDS, evaluate
from sbt_sync.imut.staged import UnreadableAction, personnel_action
from sbt_sync.imut.workdays import WorkingDayCalendar
from schemas.feeds.imut import FEED
from schemas.nip import mask_nip

log = logging.getLogger(__name__)

SOURCE = FEED.source
SYSTEM_ACTOR = "sbt-sync"
AUDIT_CHANNEL = "pipeline"
VOLATILE = frozenset({"as_of"})
"""Evidence and parameters that move with the day of evaluation, not with what a finding rests on."""


@dataclass
class FindingStats:
    actions: int = 0
    unreadable: int = 0
    siasn_lookups: int = 0
    opened: int = 0
    changed: int = 0
    closed: int = 0
    reopened: int = 0
    open_by_rule: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Staged:
    staged_id: int
    record_key: str
    raw_version: int
    action: PersonnelAction


def finding_key(action_id: str, rule: Rule | str) -> str:
    return f"{action_id}|{Rule(rule).value}"


def basis_hash(finding: Finding) -> str:
    """What a steward's decision on the finding rests on (the day of evaluation left out)."""
    body = {
        "rule": finding.rule.value,
        "disposition": finding.disposition.value,
        "reason_key": finding.reason_key,
        "params": {k: v for k, v in sorted(finding.reason_params.items()) if k not in VOLATILE},
        "evidence": {k: v for k, v in sorted(finding.evidence.items()) if k not in VOLATILE},
        "event_id": finding.event_id,
        "window": [finding.window.first.isoformat(), finding.window.last.isoformat()]
        if finding.window
        else None,
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _load_actions(session: Session, stats: FindingStats) -> tuple[list[Staged], set[str]]:
    """Live actions, and the ids of actions I-MUT no longer delivers (withdrawn)."""
    columns = (
        StagedRecord.id,
        StagedRecord.record_key,
        StagedRecord.raw_version,
        StagedRecord.nip,
        StagedRecord.fields,
        StagedRecord.withdrawn,
    )
    live: list[Staged] = []
    withdrawn: set[str] = set()
    for row in session.execute(
        select(*columns).where(StagedRecord.source == SOURCE).order_by(StagedRecord.id)
    ):
        if row.withdrawn:
            withdrawn.add(row.record_key)
            continue
        try:
            action = personnel_action(row.record_key, row.nip, dict(row.fields or {}))
        except (UnreadableAction, KeyError, ValueError) as exc:
            stats.unreadable += 1
            log.warning("I-MUT staged row %d cannot be evaluated: %s", row.id, exc)
            continue
        live.append(Staged(row.id, row.record_key, row.raw_version, action))
    return live, withdrawn


def _records(item: Staged, finding: Finding, context: Context) -> list[dict[str, Any]]:
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


def _values(item: Staged, finding: Finding, context: Context) -> dict[str, Any]:
    """The stored columns of a finding (all but review, status and timestamps)."""
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
        "instansi_id": action.instansi_id or None,
        "official_name": action.decided_by.name or None,
        "official_role": action.decided_by.role.value,
        "official_region": action.decided_by.region_code,
        "official_instansi_id": action.decided_by.heads_instansi_id,
        "decision_no": action.decision_no or None,
        "decision_date": action.decision_date,
    }


def evaluate_findings(
    session: Session,
    *,
    elections: ElectionCalendar,
    workdays: WorkingDayCalendar,
    as_of: date,
    siasn: SiasnApi | None = None,
    siasn_lookups: int = 0,
    now: datetime | None = None,
) -> FindingStats:
    """Evaluate every staged I-MUT action as of ``as_of`` and write the differences (module docstring).

    With ``siasn``, up to ``siasn_lookups`` NIPs of promotions, transfers, rotations and appointments
    that the product never pushed are asked their block state first (:func:`observe_unpushed`).
    """
    started = now or datetime.now(UTC)
    stats = FindingStats()
    actions, withdrawn = _load_actions(session, stats)
    stats.actions = len(actions)
    nips = {a.action.nip for a in actions if a.action.nip}
    if siasn is not None and siasn_lookups > 0:
        movable = {a.action.nip for a in actions if a.action.nip and a.action.kind in BLOCKED_KINDS}
        stats.siasn_lookups = observe_unpushed(session, siasn, movable, limit=siasn_lookups, now=started)
        session.flush()
    context = load_context(session, nips)
    wanted: dict[str, dict[str, Any]] = {}
    for item in actions:
        found = evaluate(
            item.action,
            elections=elections,
            workdays=workdays,
            blocks=context.blocks,
            cases=context.cases,
            as_of=as_of,
        )
        for finding in found:  # one per rule: the first event that finds it (calendar order)
            wanted.setdefault(
                finding_key(item.action.action_id, finding.rule), _values(item, finding, context)
            )
    existing = {row.finding_key: row for row in session.scalars(select(ImutFinding))}
    for key, values in wanted.items():
        row = existing.get(key)
        if row is None:
            _insert(session, key, values, started, stats)
        else:
            _update(session, row, values, started, stats)
    for key, row in existing.items():
        if key not in wanted and row.status == FindingStatus.OPEN:
            gone = row.action_id in withdrawn
            reason = (
                render("imut.closed.withdrawn", {"action_id": row.action_id}, "id")
                if gone
                else render("imut.closed.no_longer_holds", {"as_of": as_of.isoformat()}, "id")
            )
            _close(session, row, reason, started, stats)
    _clear_flags(session, started)
    session.flush()
    counts = Counter(
        rule
        for rule in session.scalars(select(ImutFinding.rule).where(ImutFinding.status == FindingStatus.OPEN))
    )
    stats.open_by_rule = dict(sorted(counts.items()))
    return stats


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


def _insert(session: Session, key: str, values: dict[str, Any], at: datetime, stats: FindingStats) -> None:
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


def _update(
    session: Session, row: ImutFinding, values: dict[str, Any], at: datetime, stats: FindingStats
) -> None:
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
    if basis_changed:
        review = review_on_basis_change(Review(row.review))
        if review.value != row.review:
            row.review = review.value
        if previous_review is not Review.PENDING:
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


def _close(session: Session, row: ImutFinding, reason: str, at: datetime, stats: FindingStats) -> None:
    before = {"status": row.status, "review": row.review, "version": row.version}
    row.status, row.closed_at, row.closed_reason = FindingStatus.CLOSED.value, at, reason
    row.evaluated_at, row.changed_at = at, at
    row.version += 1
    stats.closed += 1
    _audit(session, "imut_finding.close", row, before, at)


def _clear_flags(session: Session, started: datetime) -> None:
    """Clear the I-MUT rows' ``needs_reconcile`` (reconciliation leaves them), except rows re-staged
    while this run worked."""
    session.execute(
        update(StagedRecord)
        .where(StagedRecord.source == SOURCE, StagedRecord.needs_reconcile.is_(True))
        .values(
            needs_reconcile=case(
                (StagedRecord.staged_at <= started, false()), else_=StagedRecord.needs_reconcile
            )
        )
        .execution_options(synchronize_session=False)
    )
