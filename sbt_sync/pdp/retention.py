"""Retention (UU 27/2022): what passed its time under ``retention`` in sbt.yaml, and the purge.

:func:`plan_purge` finds, per kind of data, what the policy lets go, and what it keeps although its
time passed because an open case or a standing block still needs it; :func:`purge` removes it in one
transaction and writes one audit entry with the counts (never the contents). A plan names rows by id
and files by their path under the downloads folder: no NIP, name or birth date.

Kinds and what "remove" means for each:

- ``raw_versions``: earlier contents of a source record (``raw_record_versions``) seen before the
  cutoff, except for records behind a case that is not removed;
- ``orphan_payloads``: the payload of a source record no staged row uses (refused by validation) last
  seen before the cutoff is replaced by :data:`PURGED_PAYLOAD`, unless an open quarantine row needs it;
- ``quarantine``: settled quarantine rows (not ``open``) quarantined before the cutoff;
- ``cases``: closed cases unchanged since the cutoff, with their staged rows, links, provenance,
  control steps, letter items, conflicts and steward decisions; their source records keep their row
  and content hash (so an unchanged re-delivery stays a no-op) with the payload replaced. A case is
  kept while it is held, has an open conflict (its own or on one of its records), is listed by a
  block, its ASN has a push to SIASN not acknowledged or an open I-MUT finding, one of its letters is
  not settled (delivered to every PIC it still goes to, or given up by a steward:
  :func:`sbt_sync.notify.queue.settled`), an open quarantine row names its records, or a source record
  it shares with a kept case;
- ``access_log``: reads of personal data recorded before the cutoff (the access log's own purge);
- ``downloads``: files under ``var/downloads`` last modified before the cutoff.

Push ledger rows (outbox, block state, SIASN observations) and letters as sent are kept: they are the
record of what was done with legal effect, and the outbox's idempotency keys must never be reused.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from sbt_sync.db.engine import Database
from sbt_sync.db.models import (
    AuditEntry,
    BlockState,
    Case,
    CaseLink,
    Conflict,
    ImutFinding,
    OutboxEntry,
    QuarantinedRow,
    RawRecord,
    RawRecordVersion,
    StagedRecord,
    StewardDecision,
)
from sbt_sync.db.models.letters import Letter, LetterItem, MailState, NotificationOutboxEntry
from sbt_sync.notify.queue import (
    CASES_ENDED,
    CASES_MOVED_PARTLY,
    letter_stopper,
    moved_and_relettered,
    pic_addresses,
    settled,
)
from sbt_sync.settings import RetentionSettings
from sbt_sync.states.conflicts import ConflictStatus
from sbt_sync.states.outbox import OutboxState

CLOSED_STATUSES = ("tidak_terbukti", "dibatalkan", "ditolak", "asn_berhenti", "dijatuhi_hukuman")
"""Case statuses after which nothing more is expected (DOMAIN.md, "The case lifecycle")."""
SETTLED_PUSH_STATES = (OutboxState.ACKED, OutboxState.SUPERSEDED)
PURGED_PAYLOAD = '{"_dihapus":"retensi"}'
"""What a purged source record's payload becomes (its row and content hash stay)."""
KINDS = ("raw_versions", "orphan_payloads", "quarantine", "cases", "access_log", "downloads")
CHUNK = 500

AccessLogPurge = Callable[[Session, datetime, bool], int]
"""``(session, cutoff, dry_run) -> rows``: the access log's own purge (it owns its append-only rule)."""


@dataclass
class PurgePlan:
    """What a purge removes, per kind, by id; and what it keeps past its time, per reason."""

    as_of: datetime
    cutoffs: dict[str, datetime]
    raw_versions: list[int] = field(default_factory=list)
    orphan_payloads: list[int] = field(default_factory=list)
    quarantine: list[int] = field(default_factory=list)
    cases: list[int] = field(default_factory=list)
    case_staged_records: list[int] = field(default_factory=list)
    case_raw_records: list[int] = field(default_factory=list)
    case_conflicts: list[int] = field(default_factory=list)
    access_log: int = 0
    downloads: list[str] = field(default_factory=list)
    kept: dict[str, int] = field(default_factory=dict)
    """Closed cases past their time that stay, per reason (``held``, ``open_conflict``, ...)."""

    def counts(self) -> dict[str, int]:
        return {
            "raw_versions": len(self.raw_versions),
            "orphan_payloads": len(self.orphan_payloads),
            "quarantine": len(self.quarantine),
            "cases": len(self.cases),
            "case_staged_records": len(self.case_staged_records),
            "case_raw_records": len(self.case_raw_records),
            "case_conflicts": len(self.case_conflicts),
            "access_log": self.access_log,
            "downloads": len(self.downloads),
        }

    def as_dict(self) -> dict[str, Any]:
        """Counts, ids and reasons: fit for a terminal or a log (ids, never contents)."""
        return {
            "as_of": self.as_of.isoformat(),
            "cutoffs": {k: v.isoformat() for k, v in self.cutoffs.items()},
            "counts": self.counts(),
            "ids": {
                "raw_versions": self.raw_versions,
                "orphan_payloads": self.orphan_payloads,
                "quarantine": self.quarantine,
                "cases": self.cases,
                "case_staged_records": self.case_staged_records,
                "case_raw_records": self.case_raw_records,
                "case_conflicts": self.case_conflicts,
                "downloads": self.downloads,
            },
            "kept": dict(sorted(self.kept.items())),
        }


def cutoffs(policy: RetentionSettings, as_of: datetime) -> dict[str, datetime]:
    """The instant before which each kind has passed its time."""
    days = {
        "raw_versions": policy.raw_payload_days,
        "orphan_payloads": policy.raw_payload_days,
        "quarantine": policy.quarantine_days,
        "cases": policy.closed_case_days,
        "access_log": policy.access_log_days,
        "downloads": policy.downloads_days,
    }
    return {kind: as_of - timedelta(days=n) for kind, n in days.items()}


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


def plan_purge(
    session: Session,
    policy: RetentionSettings,
    *,
    downloads_dir: Path | None = None,
    as_of: datetime | None = None,
    access_log: AccessLogPurge | None = None,
) -> PurgePlan:
    """What the policy lets go at ``as_of`` (default: now); reads only."""
    now = as_of or datetime.now(UTC)
    plan = PurgePlan(as_of=now, cutoffs=cutoffs(policy, now))
    _plan_cases(session, plan)
    _plan_raw(session, plan)
    plan.quarantine = list(
        session.scalars(
            select(QuarantinedRow.id)
            .where(QuarantinedRow.status != "open", QuarantinedRow.created_at < plan.cutoffs["quarantine"])
            .order_by(QuarantinedRow.id)
        )
    )
    if access_log is not None:
        plan.access_log = access_log(session, plan.cutoffs["access_log"], True)
    if downloads_dir is not None:
        plan.downloads = _old_downloads(downloads_dir, plan.cutoffs["downloads"])
    return plan


def _plan_cases(session: Session, plan: PurgePlan) -> None:
    cutoff = plan.cutoffs["cases"]
    candidates = dict(
        session.execute(
            select(Case.id, Case.nip).where(Case.status.in_(CLOSED_STATUSES), Case.updated_at < cutoff)
        )
        .tuples()
        .all()
    )
    if not candidates:
        return
    keep: dict[int, str] = {}

    def hold(case_id: int, reason: str) -> None:
        keep.setdefault(case_id, reason)

    for case_id in session.scalars(select(Case.id).where(Case.id.in_(list(candidates)), Case.held.is_(True))):
        hold(case_id, "held")
    staged_of: dict[int, set[int]] = {}
    case_of_staged: dict[int, int] = {}
    for case_id, staged_id in session.execute(
        select(CaseLink.case_id, CaseLink.staged_record_id).where(
            CaseLink.case_id.in_(list(candidates)), CaseLink.unlinked_at.is_(None)
        )
    ).tuples():
        staged_of.setdefault(case_id, set()).add(staged_id)
        case_of_staged[staged_id] = case_id
    open_conflicts = session.execute(
        select(Conflict.case_id, Conflict.staged_record_id).where(
            Conflict.status == ConflictStatus.OPEN,
            or_(Conflict.case_id.in_(list(candidates)), Conflict.staged_record_id.in_(list(case_of_staged))),
        )
    ).tuples()
    for conflict_case, conflict_row in open_conflicts:
        target: int | None = conflict_case
        if target not in candidates:
            target = case_of_staged.get(conflict_row or -1)
        if target is not None:
            hold(target, "open_conflict")
    for case_ids in session.scalars(select(BlockState.case_ids).where(BlockState.blocked.is_(True))):
        for case_id in case_ids or ():
            if case_id in candidates:
                hold(case_id, "block")
    nips = {nip for nip in candidates.values() if nip}
    unsettled = set(
        session.scalars(
            select(OutboxEntry.nip).where(
                OutboxEntry.nip.in_(list(nips)), OutboxEntry.state.not_in(SETTLED_PUSH_STATES)
            )
        )
    )
    findings = set(
        session.scalars(
            select(ImutFinding.nip).where(ImutFinding.nip.in_(list(nips)), ImutFinding.status == "open")
        )
    )
    for case_id, nip in candidates.items():
        if nip in unsettled:
            hold(case_id, "push_not_acknowledged")
        if nip in findings:
            hold(case_id, "open_imut_finding")
    for case_id in _letters_unsettled(session, list(candidates)):
        hold(case_id, "letter_not_delivered")
    _hold_shared_records(session, plan, candidates, staged_of, case_of_staged, keep)
    plan.cases = sorted(set(candidates) - set(keep))
    for reason in keep.values():
        plan.kept[reason] = plan.kept.get(reason, 0) + 1


def _letters_unsettled(session: Session, case_ids: list[int]) -> set[int]:
    """The cases one of whose letters is not settled (:func:`sbt_sync.notify.queue.settled`): a letter
    parked for a PIC the admin removed since, or one a steward gave up, while every other PIC has it,
    no longer keeps its cases; nor does one the notifier will never send because every case it lists
    has ended (:func:`sbt_sync.notify.queue.letter_stopper`), nor one a PIC has whose moved case's
    step was lettered again for the new PPK (:data:`sbt_sync.notify.queue.CASES_MOVED_PARTLY`: it
    goes to no other PIC)."""
    rows = session.execute(
        select(
            LetterItem.case_id,
            NotificationOutboxEntry.state,
            NotificationOutboxEntry.recipients,
            NotificationOutboxEntry.deliveries,
            Letter.instansi_id,
            Letter.id,
        )
        .join(NotificationOutboxEntry, NotificationOutboxEntry.letter_id == LetterItem.letter_id)
        .join(Letter, Letter.id == LetterItem.letter_id)
        .where(LetterItem.case_id.in_(case_ids), NotificationOutboxEntry.state != MailState.SENT.value)
    ).all()
    pics: dict[str, list[str]] = {}
    moot: dict[int, bool] = {}
    unsettled = set()
    for case_id, state, recipients, deliveries, instansi_id, letter_id in rows:
        if instansi_id not in pics:
            pics[instansi_id] = pic_addresses(session, instansi_id)
        if settled(state, list(recipients or ()), deliveries, pics[instansi_id]):
            continue
        if letter_id not in moot:
            stopper = letter_stopper(session, letter_id)
            moot[letter_id] = stopper == CASES_ENDED or (
                stopper == CASES_MOVED_PARTLY and moved_and_relettered(session, letter_id)
            )
        if not moot[letter_id]:
            unsettled.add(case_id)
    return unsettled


def _hold_shared_records(
    session: Session,
    plan: PurgePlan,
    candidates: dict[int, str | None],
    staged_of: dict[int, set[int]],
    case_of_staged: dict[int, int],
    keep: dict[int, str],
) -> None:
    """Keep a case whose source record also backs a kept case (or an open quarantine row); fill the
    plan's staged rows, raw records and conflicts for the cases that go."""
    raw_of_staged = dict(
        session.execute(
            select(StagedRecord.id, StagedRecord.raw_record_id).where(
                StagedRecord.id.in_(list(case_of_staged))
            )
        )
        .tuples()
        .all()
    )
    raw_ids = set(raw_of_staged.values())
    rows_of_raw: dict[int, set[int]] = {}
    for staged_id, raw_id in session.execute(
        select(StagedRecord.id, StagedRecord.raw_record_id).where(
            StagedRecord.raw_record_id.in_(list(raw_ids))
        )
    ).tuples():
        rows_of_raw.setdefault(raw_id, set()).add(staged_id)
    owner = dict(
        session.execute(
            select(CaseLink.staged_record_id, CaseLink.case_id).where(
                CaseLink.staged_record_id.in_([s for rows in rows_of_raw.values() for s in rows]),
                CaseLink.unlinked_at.is_(None),
            )
        )
        .tuples()
        .all()
    )
    quarantined = set(
        session.scalars(
            select(QuarantinedRow.raw_record_id).where(
                QuarantinedRow.raw_record_id.in_(list(raw_ids)), QuarantinedRow.status == "open"
            )
        )
    )
    for quarantined_raw in quarantined:
        for staged_id in rows_of_raw.get(quarantined_raw or -1, ()):
            if staged_id in case_of_staged:
                keep.setdefault(case_of_staged[staged_id], "open_quarantine")
    changed = True
    while changed:  # a kept case keeps every case it shares a source record with, transitively
        changed = False
        for rows in rows_of_raw.values():
            cases = {owner[s] for s in rows if s in owner}
            if cases & set(keep) or not cases <= set(candidates):
                for case_id in cases & set(candidates):
                    if case_id not in keep:
                        keep[case_id] = "shared_source_record"
                        changed = True
    going = set(candidates) - set(keep)
    staged = sorted(s for case_id in going for s in staged_of.get(case_id, ()))
    raws = sorted({raw_of_staged[s] for s in staged})
    plan.case_raw_records = raws
    plan.case_staged_records = sorted({s for raw_id in raws for s in rows_of_raw.get(raw_id, ())})
    conflicts: set[int] = set()
    for chunk in _chunks(sorted(going)):
        conflicts.update(session.scalars(select(Conflict.id).where(Conflict.case_id.in_(chunk))))
    for chunk in _chunks(plan.case_staged_records):
        conflicts.update(session.scalars(select(Conflict.id).where(Conflict.staged_record_id.in_(chunk))))
    plan.case_conflicts = sorted(conflicts)


def _plan_raw(session: Session, plan: PurgePlan) -> None:
    """Earlier versions and unused payloads past their time, except behind a case that stays."""
    cutoff = plan.cutoffs["raw_versions"]
    going = set(plan.case_raw_records)
    in_kept_case = (
        select(StagedRecord.raw_record_id)
        .join(CaseLink, CaseLink.staged_record_id == StagedRecord.id)
        .where(CaseLink.unlinked_at.is_(None))
    )
    versions = session.execute(
        select(RawRecordVersion.id, RawRecordVersion.raw_record_id)
        .where(RawRecordVersion.seen_at < cutoff, RawRecordVersion.raw_record_id.not_in(in_kept_case))
        .order_by(RawRecordVersion.id)
    ).tuples()
    # A removed case's records lose every version anyway (counted with the case).
    plan.raw_versions = [version_id for version_id, raw_id in versions if raw_id not in going]
    open_quarantine = select(QuarantinedRow.raw_record_id).where(
        QuarantinedRow.status == "open", QuarantinedRow.raw_record_id.is_not(None)
    )
    orphans = session.scalars(
        select(RawRecord.id)
        .where(
            RawRecord.last_seen_at < plan.cutoffs["orphan_payloads"],
            RawRecord.payload != PURGED_PAYLOAD,
            RawRecord.id.not_in(select(StagedRecord.raw_record_id)),
            RawRecord.id.not_in(open_quarantine),
        )
        .order_by(RawRecord.id)
    )
    plan.orphan_payloads = [raw_id for raw_id in orphans if raw_id not in going]


def _old_downloads(folder: Path, cutoff: datetime) -> list[str]:
    if not folder.is_dir():
        return []
    limit = cutoff.timestamp()
    return sorted(
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and not path.is_symlink() and path.stat().st_mtime < limit
    )


def purge(
    database: Database,
    policy: RetentionSettings,
    *,
    actor: str,
    channel: str = "cli",
    downloads_dir: Path | None = None,
    as_of: datetime | None = None,
    dry_run: bool = False,
    access_log: AccessLogPurge | None = None,
) -> PurgePlan:
    """Plan and (unless ``dry_run``) carry out the purge in one transaction, audited with the counts.

    The plan is made inside the same transaction that removes, so nothing that became needed between
    planning and removing is removed. Downloaded files go after the commit. On SQLite that transaction
    takes the write lock before planning (``write``): a console write between the plan's reads and the
    first removal would otherwise refuse the removal (a deferred transaction that has read cannot wait).
    """
    with database.session(write=not dry_run) as session:
        plan = plan_purge(session, policy, downloads_dir=downloads_dir, as_of=as_of, access_log=access_log)
        if dry_run:
            return plan
        _remove(session, plan)
        if access_log is not None and plan.access_log:
            plan.access_log = access_log(session, plan.cutoffs["access_log"], False)
        session.add(
            AuditEntry(
                actor_name=actor,
                action="pdp.purge",
                object_type="retention",
                object_id=None,
                after={"counts": plan.counts(), "kept": plan.kept, "policy": policy.model_dump()},
                reason="retensi data pribadi (UU 27/2022)",
                channel=channel,
            )
        )
    if downloads_dir is not None:
        for name in plan.downloads:
            (downloads_dir / name).unlink(missing_ok=True)
    return plan


def _remove(session: Session, plan: PurgePlan) -> None:
    for chunk in _chunks(plan.case_conflicts):
        session.execute(delete(StewardDecision).where(StewardDecision.conflict_id.in_(chunk)))
        session.execute(delete(Conflict).where(Conflict.id.in_(chunk)))
    for chunk in _chunks(plan.cases):
        session.execute(delete(Case).where(Case.id.in_(chunk)))
    for chunk in _chunks(plan.case_staged_records):
        session.execute(delete(StagedRecord).where(StagedRecord.id.in_(chunk)))
    for chunk in _chunks(plan.case_raw_records):
        session.execute(delete(RawRecordVersion).where(RawRecordVersion.raw_record_id.in_(chunk)))
        session.execute(delete(QuarantinedRow).where(QuarantinedRow.raw_record_id.in_(chunk)))
    for chunk in _chunks(plan.case_raw_records + plan.orphan_payloads):
        session.execute(
            update(RawRecord).where(RawRecord.id.in_(chunk)).values(payload=PURGED_PAYLOAD, origin=None)
        )
    for chunk in _chunks(plan.raw_versions):
        session.execute(delete(RawRecordVersion).where(RawRecordVersion.id.in_(chunk)))
    for chunk in _chunks(plan.quarantine):
        session.execute(delete(QuarantinedRow).where(QuarantinedRow.id.in_(chunk)))
    session.flush()


def summary_lines(plan: PurgePlan, *, dry_run: bool) -> list[str]:
    """The plan in Indonesian lines (counts, then ids), as the CLI prints it."""
    verb = "akan dihapus" if dry_run else "dihapus"
    names = {
        "raw_versions": "versi lama rekaman sumber",
        "orphan_payloads": "muatan rekaman sumber tanpa baris staging",
        "quarantine": "baris karantina yang sudah selesai",
        "cases": "kasus tertutup",
        "case_staged_records": "  baris staging kasus tersebut",
        "case_raw_records": "  rekaman sumber kasus tersebut (muatan dikosongkan)",
        "case_conflicts": "  konflik kasus tersebut (dengan keputusannya)",
        "access_log": "catatan akses data pribadi",
        "downloads": "berkas unduhan",
    }
    lines = [f"{names[kind]}: {count} {verb}" for kind, count in plan.counts().items()]
    for reason, count in sorted(plan.kept.items()):
        lines.append(f"kasus tertutup yang lewat waktu tetapi dipertahankan ({reason}): {count}")
    if dry_run:
        ids = plan.as_dict()["ids"]
        lines.extend(f"id {kind}: {json.dumps(values)}" for kind, values in ids.items() if values)
    return lines
