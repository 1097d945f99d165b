"""I-MUT findings in the database: evaluate the staged personnel actions and bring ``imut_findings`` up
to date, in the caller's transaction.

A run evaluates every live action when it is the first, when the day (``as_of``: the reporting
deadlines move with it) or the calendars differ from the previous run's, or when asked (``full``);
otherwise only the actions whose record, blocks or cases changed since (:mod:`sbt_sync.imut.scope`).
Then it writes only differences (:mod:`sbt_sync.imut.findings_write`):

- a new finding is inserted (``open``, review ``pending``);
- a finding whose basis (rule, disposition, reason and evidence, the day of evaluation aside) changed is
  updated and its version bumped; a steward's confirm or dismiss goes back to ``pending`` with the
  reason: a late approval keeps a finding and shows the approval, and the steward sees it;
- a finding of an evaluated action that the rules no longer give is ``closed`` with the reason, never
  deleted; one that holds again is ``open`` again.

An action I-MUT withdrew is still evaluated, on what I-MUT last delivered, and its findings stay open
(one closed for the withdrawal by an earlier version opens again) saying it was withdrawn at the source
(:func:`~sbt_sync.imut.findings_write.withdrawn_at_source`): revoking a decision does not cure it, and
only a steward can tell a revocation from a record entered by mistake.

One decision delivered under several I-MUT ids (same NIP, SK number and decision date) is evaluated
once, as the id delivered first (a live id before a withdrawn one); its findings list the other ids
(``duplicate_action_ids``, not part of the basis), and findings the other ids had are closed saying
whose duplicates they are; a Mendagri approval only a later live delivery carries is read as the
decision's. A withdrawn id whose SK (NIP and number) a live id still delivers with
another decision date is that SK entered again with its date corrected: its findings close the same
way, saying so.

Every insert, change, close and reopen writes an audit entry (NIPs masked). The I-MUT rows'
``needs_reconcile`` flag (case reconciliation skips them) is cleared here, except for rows whose NIP
still waits for a SIASN lookup. Each run leaves an ``imut_evaluations`` row.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections import Counter
from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import case, false, select, update
from sqlalchemy.orm import Session

from connectors.siasn import SiasnApi
from sbt_sync.db.models import ImutEvaluation, ImutFinding, RawRecord, StagedRecord
from sbt_sync.imut.blocks import observe_unpushed
from sbt_sync.imut.context import load_context
from sbt_sync.imut.elections import ElectionCalendar
from sbt_sync.imut.findings_write import (
    SOURCE,
    FindingStats,
    StagedAction,
    close_finding,
    finding_key,
    finding_values,
    insert_finding,
    update_finding,
    withdrawn_at_source,
)
from sbt_sync.imut.reasons import render
from sbt_sync.imut.review import FindingStatus
from sbt_sync.imut.rules import BLOCKED_KINDS, evaluate
from sbt_sync.imut.scope import Changed, changed_since
from sbt_sync.imut.staged import UnreadableAction, personnel_action, same_decision_key
from sbt_sync.imut.workdays import WorkingDayCalendar
from sbt_sync.instants import wib_day
from sbt_sync.reconcile.identity.store import chunks

log = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=10)
"""Changes are looked for from this long before the previous run started: a push acknowledged while
it ran, committed after it read, is still seen."""


def calendar_hash(elections: ElectionCalendar, workdays: WorkingDayCalendar) -> str:
    return hashlib.sha256(f"{elections!r}|{workdays.fingerprint()}".encode()).hexdigest()


def _staged_rows(session: Session, changed: Changed | None) -> list[Any]:
    columns = (
        StagedRecord.id,
        StagedRecord.record_key,
        StagedRecord.raw_version,
        StagedRecord.nip,
        StagedRecord.fields,
        StagedRecord.withdrawn,
        StagedRecord.staged_at,
    )
    base = select(*columns).where(StagedRecord.source == SOURCE)
    if changed is None:
        return list(session.execute(base.order_by(StagedRecord.id)))
    found: dict[int, Any] = {}
    for chunk in chunks(sorted(changed.action_ids)):
        # By raw record: staged rows are keyed by (raw record, item), raw records by (source, key).
        raw_ids = select(RawRecord.id).where(RawRecord.source == SOURCE, RawRecord.record_key.in_(chunk))
        found.update((r.id, r) for r in session.execute(base.where(StagedRecord.raw_record_id.in_(raw_ids))))
    for chunk in chunks(sorted(changed.nips)):
        found.update((r.id, r) for r in session.execute(base.where(StagedRecord.nip.in_(chunk))))
    return [found[i] for i in sorted(found)]


def _wib_day(at: datetime | None) -> date:
    """The day in WIB (the rules' calendar) of a stored instant (naive: UTC, as SQLite returns it)."""
    moment = at or datetime.now(UTC)
    return wib_day(moment)


def _load_actions(
    session: Session, changed: Changed | None, stats: FindingStats
) -> tuple[list[StagedAction], dict[str, date]]:
    """The actions in scope, withdrawn ones included (on the fields I-MUT last delivered), and the day
    each id in scope that I-MUT no longer delivers was withdrawn."""
    live: list[StagedAction] = []
    withdrawn: dict[str, date] = {}
    for row in _staged_rows(session, changed):
        if row.withdrawn:
            withdrawn[row.record_key] = _wib_day(row.staged_at)
        try:
            action = personnel_action(row.record_key, row.nip, dict(row.fields or {}))
        except (UnreadableAction, KeyError, ValueError) as exc:
            stats.unreadable += 1
            log.warning("I-MUT staged row %d cannot be evaluated: %s", row.id, exc)
            continue
        live.append(StagedAction(row.id, row.record_key, row.raw_version, action, row.staged_at))
    return live, withdrawn


def _one_per_decision(
    loaded: list[StagedAction], withdrawn: Collection[str]
) -> tuple[list[StagedAction], dict[str, str], set[str]]:
    """One action per decision (:func:`same_decision_key`): the one delivered first (lowest staged
    row) stands for the others, a live one before a withdrawn one (the decision is still delivered),
    and each duplicate id maps to it; it takes the Mendagri approval a live duplicate carries when
    it has none. A withdrawn id whose SK (NIP and number) is still delivered
    under a live id with another decision date is that SK entered again with its date corrected: it
    maps to the live id too, and is returned in the set of corrected ids."""
    first: dict[tuple[str, str, str], StagedAction] = {}
    kept: list[StagedAction] = []
    duplicate_of: dict[str, str] = {}
    for item in sorted(loaded, key=lambda a: (a.action.action_id in withdrawn, a.staged_id)):
        key = same_decision_key(item.action)
        if key is None:
            kept.append(item)
        elif key in first:
            duplicate_of[item.action.action_id] = first[key].action.action_id
            standing = first[key]
            if (
                standing.action.approval is None
                and item.action.approval is not None
                and item.action.action_id not in withdrawn
            ):
                # The same SK delivered again with its Mendagri approval filled in: one decision has
                # one approval, and the rules judge it (dated before the decision or not).
                action = dataclasses.replace(standing.action, approval=item.action.approval)
                first[key] = dataclasses.replace(standing, action=action)
                kept[kept.index(standing)] = first[key]
        else:
            first[key] = item
            kept.append(item)
    live_sk: dict[tuple[str, str], str] = {}
    for key, item in first.items():
        if item.action.action_id not in withdrawn:
            live_sk.setdefault(key[:2], item.action.action_id)
    corrected: set[str] = set()
    for key, item in first.items():
        action_id = item.action.action_id
        if action_id in withdrawn and key[:2] in live_sk:
            duplicate_of[action_id] = live_sk[key[:2]]
            corrected.add(action_id)
    return [a for a in kept if a.action.action_id not in corrected], duplicate_of, corrected


def _existing(session: Session, action_ids: Collection[str] | None) -> dict[str, ImutFinding]:
    if action_ids is None:
        return {row.finding_key: row for row in session.scalars(select(ImutFinding))}
    found: dict[str, ImutFinding] = {}
    for chunk in chunks(sorted(action_ids)):
        query = select(ImutFinding).where(ImutFinding.action_id.in_(chunk))
        found.update((row.finding_key, row) for row in session.scalars(query))
    return found


def evaluate_findings(
    session: Session,
    *,
    elections: ElectionCalendar,
    workdays: WorkingDayCalendar,
    as_of: date,
    siasn: SiasnApi | None = None,
    siasn_lookups: int = 0,
    full: bool = False,
    now: datetime | None = None,
) -> FindingStats:
    """Evaluate the staged I-MUT actions as of ``as_of`` and write the differences (module docstring).

    With ``siasn``, up to ``siasn_lookups`` NIPs of moves (any kind: :data:`BLOCKED_KINDS`)
    in scope that the product never pushed are asked their block state first (:func:`observe_unpushed`:
    never asked, an action staged since the last answer, or an answer grown old).
    """
    started = now or datetime.now(UTC)
    fingerprint = calendar_hash(elections, workdays)
    last = session.scalars(select(ImutEvaluation).order_by(ImutEvaluation.id.desc()).limit(1)).first()
    stats = FindingStats()
    stats.full = full or last is None or last.as_of != as_of or last.calendar_hash != fingerprint
    changed = None if stats.full or last is None else changed_since(session, last.started_at - OVERLAP)
    loaded, withdrawn = _load_actions(session, changed, stats)
    actions, duplicate_of, corrected = _one_per_decision(loaded, withdrawn)
    stats.withdrawn = sum(a.action.action_id in withdrawn for a in actions)
    stats.actions = len(actions) - stats.withdrawn
    stats.duplicates = len(duplicate_of)
    also_delivered: dict[str, list[str]] = {}
    for duplicate, original in sorted(duplicate_of.items()):
        also_delivered.setdefault(original, []).append(duplicate)
    waiting: set[str] = set()
    if siasn is not None and siasn_lookups > 0:
        movable: dict[str, datetime | None] = {}
        for a in actions:
            if a.action.nip and a.action.kind in BLOCKED_KINDS and a.action.action_id not in withdrawn:
                known = movable.get(a.action.nip)
                movable[a.action.nip] = (
                    a.staged_at if known is None or a.staged_at is None else max(known, a.staged_at)
                )
        stats.siasn_lookups, waiting = observe_unpushed(
            session, siasn, movable, limit=siasn_lookups, now=started
        )
        session.flush()
    context = load_context(session, {a.action.nip for a in actions if a.action.nip}, as_of=as_of)
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
        duplicates = also_delivered.get(item.action.action_id)
        withdrawn_on = withdrawn.get(item.action.action_id)
        for finding in found:  # one per rule: the first event that finds it (calendar order)
            key = finding_key(item.action.action_id, finding.rule)
            told = finding
            if duplicates:
                evidence = {**finding.evidence, "duplicate_action_ids": ",".join(duplicates)}
                told = dataclasses.replace(finding, evidence=evidence)
            if withdrawn_on is not None:
                told = withdrawn_at_source(told, withdrawn_on)
            wanted.setdefault(key, finding_values(item, told, context))
    in_scope = None if changed is None else {a.action.action_id for a in loaded} | set(withdrawn)
    existing = _existing(session, in_scope)
    for key, values in wanted.items():
        row = existing.get(key)
        if row is None:
            insert_finding(session, key, values, started, stats)
        else:
            update_finding(session, row, values, started, stats)
    for key, row in existing.items():
        if key not in wanted and row.status == FindingStatus.OPEN:
            if row.action_id in duplicate_of:
                params = {"action_id": row.action_id, "original": duplicate_of[row.action_id]}
                said = "imut.closed.corrected" if row.action_id in corrected else "imut.closed.duplicate"
                reason = render(said, params, "id")
            else:
                reason = render("imut.closed.no_longer_holds", {"as_of": as_of.isoformat()}, "id")
            close_finding(session, row, reason, started, stats)
    _clear_flags(session, started, waiting)
    session.add(_evaluation_row(stats, started, as_of, fingerprint))
    session.flush()
    open_rules = select(ImutFinding.rule).where(ImutFinding.status == FindingStatus.OPEN)
    stats.open_by_rule = dict(sorted(Counter(session.scalars(open_rules)).items()))
    return stats


def _evaluation_row(stats: FindingStats, started: datetime, as_of: date, fingerprint: str) -> ImutEvaluation:
    return ImutEvaluation(
        started_at=started,
        as_of=as_of,
        calendar_hash=fingerprint,
        full=stats.full,
        actions=stats.actions,
        opened=stats.opened,
        changed=stats.changed,
        closed=stats.closed,
        reopened=stats.reopened,
    )


def _clear_flags(session: Session, started: datetime, waiting: set[str]) -> None:
    """Clear the I-MUT rows' ``needs_reconcile`` (reconciliation leaves them), except rows re-staged
    while this run worked and rows whose NIP still waits for a SIASN lookup."""
    query = (
        update(StagedRecord)
        .where(StagedRecord.source == SOURCE, StagedRecord.needs_reconcile.is_(True))
        .values(
            needs_reconcile=case(
                (StagedRecord.staged_at <= started, false()), else_=StagedRecord.needs_reconcile
            )
        )
        .execution_options(synchronize_session=False)
    )
    if waiting:
        query = query.where(StagedRecord.nip.is_(None) | StagedRecord.nip.not_in(sorted(waiting)))
    session.execute(query)
