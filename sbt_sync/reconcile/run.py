"""One reconciliation run over the database: identities, linking, survivorship, conflicts, decisions.

:func:`reconcile_database` is what the ``golden/cases`` asset and ``sbt-sync reconcile run`` call. It
works on what changed since the last run: staged rows flagged ``needs_reconcile`` and steward decisions
not yet applied, widened to the closed part of the dataset they can affect
(:mod:`sbt_sync.reconcile.golden.scope`), which is re-linked; of the cases that gives, only those
holding a changed record, a new decision or a different crosswalk are recomputed and written.
``full=True`` recomputes everything. All of it happens in one transaction, so a crash leaves the
previous golden dataset and the flags that make the next run redo the work.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import bindparam, case, false, func, select, update
from sqlalchemy.orm import Session

from sbt_sync.db.engine import Database, lock_for_write, lock_product_writes
from sbt_sync.db.models import AsnRegistryEntry, Case, CaseLink, Conflict, StagedRecord, StewardDecision
from sbt_sync.db.models.golden import CASE_CONFLICT_KINDS
from sbt_sync.db.statistics import refresh_statistics
from sbt_sync.enforce.load import wib_day
from sbt_sync.ingest.registry import registry_doubts
from sbt_sync.reconcile.corrections import corrections_in_force, persons_assigned, unapplied_records
from sbt_sync.reconcile.golden.model import CaseDraft, GoldenCase, GoldenResult, SourceRecord
from sbt_sync.reconcile.golden.model import StewardDecision as DecisionDraft
from sbt_sync.reconcile.golden.reconcile import latest_decisions, reconcile
from sbt_sync.reconcile.golden.sanction_store import steward_entries, unapplied_cases, waiting_entries
from sbt_sync.reconcile.golden.scope import Scope, all_staged_ids, closure, identity_disputes, load_records
from sbt_sync.reconcile.golden.store import PersistStats, persist
from sbt_sync.reconcile.identity.resolve import IdentityThresholds
from sbt_sync.reconcile.identity.store import IdentityStats, chunks, pending_rows, resolve_identities
from sbt_sync.reconcile.identity.written import WRITTEN_KEY
from sbt_sync.reconcile.rules import REGISTRY_NAMES, RulesUpdate, bring_up_to_date, renormalise_registry
from sbt_sync.reconcile.rules import record as record_rules
from sbt_sync.settings import Settings
from sbt_sync.source_holds import held_sources
from sbt_sync.states.conflicts import ConflictStatus
from schemas.feeds import CASELESS_SOURCES
from schemas.reference import kedudukan

Progress = Callable[[str, int], None]
"""``progress(stage, rows)``: a stage of a reconciliation ended, having handled ``rows``."""


@dataclass
class ReconcileStats:
    full: bool = False
    staged_changed: int = 0
    """Staged rows flagged as changed since the last run (or every row, for a full run)."""
    decisions_new: int = 0
    corrections_applied: int = 0
    """Stewards' link corrections in force on the scope."""
    corrections_reopened: int = 0
    """Corrections whose records changed since: reopened, no longer applied."""
    scope_records: int = 0
    identity: IdentityStats = field(default_factory=IdentityStats)
    golden: PersistStats = field(default_factory=PersistStats)
    open_conflicts: dict[str, int] = field(default_factory=dict)
    held_rows: int = 0
    """Changed staged rows of sources held by their blocking quarantine check, left waiting."""
    steward_sanctions_waiting: int = 0
    """Stewards' sanction versions whose case was removed, waiting for their records to be linked again."""
    rules: RulesUpdate = field(default_factory=RulesUpdate)
    """Rules changed since the stored names and identities were computed (``sbt_sync.reconcile.rules``)."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _unapplied_decisions(session: Session) -> tuple[list[int], list[int]]:
    """Staged ids (identity conflicts) and case ids (case conflicts) with a decision not yet applied."""
    query = (
        select(Conflict.kind, Conflict.staged_record_id, Conflict.case_id)
        .join(StewardDecision, StewardDecision.conflict_id == Conflict.id)
        .where(StewardDecision.applied_at.is_(None))
    )
    staged: list[int] = []
    cases: list[int] = []
    for kind, staged_id, case_id in session.execute(query):
        if kind in CASE_CONFLICT_KINDS and case_id is not None:
            cases.append(case_id)
        elif staged_id is not None:
            staged.append(staged_id)
    return staged, cases


def left_service(session: Session, nips: set[str]) -> dict[str, date]:
    """NIP -> the day its holder left service (registry kedudukan that means leaving)."""
    leaving = sorted(row.id for row in kedudukan() if row.meninggalkan_dinas)
    found: dict[str, date] = {}
    # ``left_on``, not the row's latest ``updatedAt``: a later edit of a retired ASN's row does not
    # move their departure.
    columns = (AsnRegistryEntry.nip, AsnRegistryEntry.left_on, AsnRegistryEntry.refreshed_at)
    for chunk in chunks(sorted(nips)):
        query = select(*columns).where(
            AsnRegistryEntry.nip.in_(chunk), AsnRegistryEntry.status_id.in_(leaving)
        )
        for nip, updated, refreshed in session.execute(query):
            day = wib_day(updated or refreshed)  # the calendar day in Jakarta, as enforcement counts
            if day is not None:
                found[nip] = day
    return found


def _decisions(
    session: Session,
    case_ids: AbstractSet[int],
    keys: AbstractSet[str] = frozenset(),
    *,
    known: AbstractSet[int] = frozenset(),
) -> tuple[list[DecisionDraft], list[StewardDecision]]:
    """The stewards' decisions on the case conflicts of ``case_ids`` and on those keyed ``keys``
    (skipping decision ids in ``known``).

    By key too: a conflict whose case row was removed (its records merged into a case of another key)
    keeps no case id, yet is the same conflict, with the same decision, once a run raises its key again.
    """
    drafts: list[DecisionDraft] = []
    rows: list[StewardDecision] = []
    kinds = Conflict.kind.in_(CASE_CONFLICT_KINDS)
    wheres = [Conflict.case_id.in_(chunk) for chunk in chunks(sorted(case_ids))]
    wheres += [Conflict.conflict_key.in_(chunk) for chunk in chunks(sorted(keys))]
    seen = set(known)
    for where in wheres:
        query = (
            select(StewardDecision, Conflict.conflict_key)
            .join(Conflict, StewardDecision.conflict_id == Conflict.id)
            .where(where, kinds)
        )
        for decision, key in session.execute(query).tuples():
            if decision.id in seen:
                continue
            seen.add(decision.id)
            rows.append(decision)
            drafts.append(
                DecisionDraft(
                    key,
                    decision.basis_hash,
                    decision.decision.get("value"),
                    decision.decided_at,
                    decision.reason,
                    reopened=bool(decision.decision.get("reopened")),
                    written=decision.decision.get(WRITTEN_KEY),
                )
            )
    return drafts, rows


def open_conflict_counts(session: Session) -> dict[str, int]:
    query = (
        select(Conflict.kind, func.count())
        .where(Conflict.status == ConflictStatus.OPEN)
        .group_by(Conflict.kind)
    )
    return {kind: count for kind, count in session.execute(query).tuples()}


def reconcile_database(
    database: Database,
    settings: Settings,
    *,
    full: bool = False,
    as_of: date | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> ReconcileStats:
    """Bring the golden dataset up to date with the staged records and steward decisions;
    ``progress(stage, rows)`` hears each stage as it ends (the CLI prints them with rows/s).

    Tables whose planner statistics ingestion left behind are analyzed first (:func:`refresh_statistics`).
    """
    refresh_statistics(database)
    registry_renormalised = renormalise_registry(database, now)
    with database.session() as session:
        stats = reconcile_in_session(
            session, database, settings, full=full, as_of=as_of, now=now, progress=progress
        )
    if registry_renormalised is not None:
        stats.rules.stale.insert(0, REGISTRY_NAMES)
        stats.rules.registry_renormalised = registry_renormalised
    return stats


def reconcile_in_session(
    session: Session,
    database: Database,
    settings: Settings,
    *,
    full: bool = False,
    as_of: date | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> ReconcileStats:
    """:func:`reconcile_database` in the caller's transaction (a preview rolls it back).

    Registry candidates are searched through ``database`` on connections of their own; they read the
    registry only, which a reconciliation never writes.

    On SQLite the run takes the database's write lock before its first read (:func:`lock_for_write`):
    a console request or another writer committing between the run's reads and its first write would
    otherwise fail the run at that write ('database is locked', its snapshot stale); they wait for the
    run instead. A caller that holds the lock already (a steward's link confirmation) keeps it.
    """
    lock_product_writes(session)  # a run started beside the daemon's waits for it, then sees its rows
    lock_for_write(session, Case)
    started = datetime.now(UTC)
    now = now or started
    thresholds = IdentityThresholds.from_settings(settings.identity)
    # Stored names and identities computed under rules that have changed since (an upgrade, a
    # threshold in sbt.yaml): renormalised here, and a full run re-resolves every identity.
    rules = bring_up_to_date(session, thresholds)
    full = full or rules.full
    stats = ReconcileStats(full=full, rules=rules)
    decided_rows, decided_cases = _unapplied_decisions(session)
    corrected = sorted(unapplied_records(session))  # stewards' link corrections not yet applied
    revised_cases = unapplied_cases(session)  # stewards' sanction entries not yet taken into account
    stats.decisions_new = len(decided_rows) + len(decided_cases) + len(revised_cases)
    decided_cases += revised_cases
    # A source held by its blocking quarantine check: its changed rows wait, however this run started.
    held = held_sources(session)
    waiting = _held_rows(session, held)
    # Personnel actions (I-MUT) stage like every record but are no neutrality records: never linked
    # into cases. Their needs_reconcile flag is the I-MUT findings' own (sbt_sync.imut.store).
    pending = [
        p
        for p in pending_rows(session, full=full, extra_ids=[*decided_rows, *corrected])
        if p.source not in CASELESS_SOURCES and p.id not in waiting
    ]
    stats.staged_changed = len(pending)
    assigned = persons_assigned(session, [p.id for p in pending])
    stats.identity = resolve_identities(session, database, thresholds, pending, now, assigned)
    session.flush()
    say = progress or _silent
    say("identities resolved", len(pending))
    seeds = all_staged_ids(session) if full else {p.id for p in pending}
    if full:  # everything is in scope: no closure to compute
        scope = Scope(set(seeds), set(session.scalars(select(CaseLink.case_id).distinct())))
    else:
        scope = closure(session, seeds, decided_cases)
    # A waiting row never linked stays out even when another row's keys reach it. One already linked
    # (a held batch changed it) stays in its case: dropping it would unlink it, which acts on it too.
    scope.staged_ids -= waiting - _linked(session, waiting)
    stats.held_rows = len(waiting)
    stats.scope_records = len(scope.staged_ids)
    staged_ids = sorted(scope.staged_ids)
    records = load_records(session, staged_ids, identity_disputes(session, staged_ids))
    drafts, decision_rows = _decisions(session, scope.case_ids)
    corrections = corrections_in_force(session, staged_ids, now)
    stats.corrections_applied = len(corrections.overrides) + len(corrections.persons)
    stats.corrections_reopened = corrections.reopened
    departures = left_service(session, {r.nip for r in records if r.nip})
    doubts = registry_doubts(session, {r.nip for r in records if r.nip})
    current = _current_links(session, scope.case_ids)
    keys = {case_id: key for key, (case_id, _) in current.items()}
    entries = steward_entries(session, scope.case_ids, keys, scope.staged_ids)
    say("records in scope loaded", len(records))
    # The same pure function the property tests cover, over the whole closed scope; only the
    # cases whose records, decisions or crosswalk changed are written.

    def reconciled() -> GoldenResult:
        return reconcile(
            records,
            settings.survivorship,
            drafts,
            as_of=as_of,
            left_service=departures,
            registry_doubts=doubts,
            overrides=corrections.overrides,
            sanctions=entries,
        )

    result = reconciled()
    # A conflict raised under a key whose case row is gone (merged away, now back) has its decisions
    # found by key: reconcile again with them, so they apply as a full rerun would apply them.
    raised = {c.conflict_key for golden in result.cases for c in golden.conflicts}
    known = {row.id for row in decision_rows}
    more, more_rows = _decisions(session, set(), raised - {d.conflict_key for d in drafts}, known=known)
    if more:
        drafts += more
        decision_rows += more_rows
        result = reconciled()
    say("cases reconciled", len(result.cases))
    changed = set(seeds) | _records_of(session, decided_cases)
    # A released steward entry (its case was removed) placed on a case makes that case's write due.
    returning = {e.entry_id for e in entries if e.case_key is None}
    touched = [
        c
        for c in result.cases
        if full
        or _is_touched(c.draft, changed, current)
        or any(v.entry_id in returning for v in c.sanction_versions)
    ]
    recomputed = {c.case_key for c in touched}
    untouched = {
        current[c.case_key][0] for c in result.cases if c.case_key not in recomputed and c.case_key in current
    }
    stats.golden, _ = persist(session, touched, scope.case_ids - untouched, now)
    _mark_applied(decision_rows, drafts, _resolved(list(result.cases)), now)
    # A waiting row kept in its case keeps its flag: once released it is resolved and linked afresh.
    _clear_flags(session, records, sorted(scope.staged_ids - waiting), started)
    session.flush()
    say("cases written", len(touched))
    stats.open_conflicts = open_conflict_counts(session)
    stats.steward_sanctions_waiting = waiting_entries(session)
    record_rules(session, thresholds, now)
    return stats


def _held_rows(session: Session, sources: set[str]) -> set[int]:
    """The changed staged rows of ``sources`` (held): what this run must leave waiting."""
    if not sources:
        return set()
    query = select(StagedRecord.id).where(
        StagedRecord.source.in_(sorted(sources)), StagedRecord.needs_reconcile.is_(True)
    )
    return set(session.scalars(query))


def _linked(session: Session, ids: set[int]) -> set[int]:
    """Those of ``ids`` linked into a case now."""
    found: set[int] = set()
    for chunk in chunks(sorted(ids)):
        query = select(CaseLink.staged_record_id).where(
            CaseLink.staged_record_id.in_(chunk), CaseLink.unlinked_at.is_(None)
        )
        found.update(session.scalars(query))
    return found


def _silent(stage: str, rows: int) -> None:
    """No one is listening."""


def _resolved(cases: list[GoldenCase]) -> set[tuple[str, str]]:
    """(conflict key, basis hash) of every conflict a decision resolved in ``cases``."""
    return {
        (c.conflict_key, c.basis_hash)
        for case in cases
        for c in case.conflicts
        if c.status == ConflictStatus.RESOLVED
    }


def _current_links(session: Session, case_ids: set[int]) -> dict[str, tuple[int, frozenset[tuple[int, str]]]]:
    """Case key -> (case id, its active links as (staged id, rule)) for the scope's cases."""
    found: dict[int, set[tuple[int, str]]] = {}
    keys: dict[int, str] = {}
    for chunk in chunks(sorted(case_ids)):
        keys.update(session.execute(select(Case.id, Case.case_key).where(Case.id.in_(chunk))).tuples().all())
        query = select(CaseLink.case_id, CaseLink.staged_record_id, CaseLink.rule).where(
            CaseLink.case_id.in_(chunk), CaseLink.unlinked_at.is_(None)
        )
        for case_id, staged_id, rule in session.execute(query).tuples():
            found.setdefault(case_id, set()).add((staged_id, rule))
    return {key: (case_id, frozenset(found.get(case_id, ()))) for case_id, key in keys.items()}


def _records_of(session: Session, case_ids: list[int]) -> set[int]:
    found: set[int] = set()
    for chunk in chunks(sorted(set(case_ids))):
        query = select(CaseLink.staged_record_id).where(
            CaseLink.case_id.in_(chunk), CaseLink.unlinked_at.is_(None)
        )
        found.update(session.scalars(query))
    return found


def _is_touched(
    draft: CaseDraft, changed: set[int], current: Mapping[str, tuple[int, frozenset[tuple[int, str]]]]
) -> bool:
    """Whether ``draft`` must be recomputed: a record of it changed (or has a new decision), or its
    crosswalk differs from the stored one. Otherwise its stored golden values are already its own."""
    if any(r.staged_id in changed for r in draft.records):
        return True
    stored = current.get(draft.case_key)
    return stored is None or stored[1] != frozenset((link.staged_id, link.rule) for link in draft.links)


def _mark_applied(
    rows: list[StewardDecision], drafts: list[DecisionDraft], resolved: set[tuple[str, str]], now: datetime
) -> None:
    in_force: Mapping[str, DecisionDraft] = latest_decisions(drafts)
    for row, draft in zip(rows, drafts, strict=True):
        if row.applied_at is not None:
            continue
        current = in_force.get(draft.conflict_key)
        if current is draft and (draft.reopened or (draft.conflict_key, draft.basis_hash) in resolved):
            row.applied_at = now


def _clear_flags(session: Session, records: list[SourceRecord], ids: list[int], started: datetime) -> None:
    """Clear ``needs_reconcile`` on the scope's rows, except rows re-staged while this run worked, and
    remember the keys each row was linked by in this run (none for a withdrawn row: it links nothing)."""
    keys = {r.staged_id: (r.register_no, r.recommendation_no, r.nip) for r in records}
    statement = (
        update(StagedRecord)
        .where(StagedRecord.id == bindparam("row_id"))
        .values(
            needs_reconcile=case(
                (StagedRecord.staged_at <= bindparam("started"), false()),
                else_=StagedRecord.needs_reconcile,
            ),
            linked_register_no=bindparam("linked_register_no_value"),
            linked_recommendation_no=bindparam("linked_recommendation_no_value"),
            linked_nip=bindparam("linked_nip_value"),
        )
    )
    for chunk in chunks(ids):
        params = []
        for row_id in chunk:
            register_no, recommendation_no, nip = keys.get(row_id, (None, None, None))
            params.append(
                {
                    "row_id": row_id,
                    "started": started,
                    "linked_register_no_value": register_no,
                    "linked_recommendation_no_value": recommendation_no,
                    "linked_nip_value": nip,
                }
            )
        session.connection().execute(statement, params)
