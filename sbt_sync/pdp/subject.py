"""A person's own record (UU 27/2022, subject access): everything the product holds about one ASN.

:func:`gather_subject` reads, for one NIP: the registry row, the source records that name the person or
sit in their cases (as received: the current payload and every earlier one), their staged rows with the
identity rule that linked them, the cases with their links (and the rules that made them), golden values
with provenance, the sanction versions (each decision and revision after an objection), conflicts with
the stewards' decisions and link corrections, control steps and the letters that carried them, the
desired block and every push to SIASN (attempts, state, SIASN's reference, acknowledgement) and SIASN
readbacks, I-MUT findings and their decisions, quarantine rows, and the processing trail: the runs that
touched the data and the audit entries of people's actions on it. Who viewed the data comes from the
access log (:mod:`sbt_sync.pdp.access`) when given.

Only the subject's own data goes out: a register naming several ASN keeps only the subject's own
item(s) (the other people are counted, not shown), an identity conflict keeps only the subject among
its candidates, and any other 18-digit NIP left in a value is replaced by :data:`OTHER_NIP`.

Rendering (PDF, JSON) is :mod:`sbt_sync.pdp.subject_render`; this module only reads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Text, cast, or_, select
from sqlalchemy.orm import Session

from sbt_sync.db.models import (
    AsnRegistryEntry,
    AuditEntry,
    BlockState,
    Case,
    CaseAnnulment,
    CaseLink,
    Conflict,
    ControlAction,
    FieldProvenance,
    ImutFinding,
    ImutFindingDecision,
    IngestBatch,
    LinkCorrection,
    OutboxEntry,
    QuarantinedRow,
    RawRecord,
    RawRecordVersion,
    SanctionVersion,
    SiasnObservation,
    StagedRecord,
    StewardDecision,
    SyncRun,
)
from sbt_sync.db.models.letters import Letter, LetterItem, NotificationOutboxEntry
from sbt_sync.errors import SbtError
from schemas.feeds import FEEDS
from schemas.nip import NipError, clean_nip, without_layout

SECTIONS = (
    "registry",
    "source_records",
    "staged_records",
    "cases",
    "links",
    "provenance",
    "conflicts",
    "decisions",
    "link_corrections",
    "control_actions",
    "annulments",
    "sanction_versions",
    "letters",
    "block_state",
    "pushes",
    "siasn_readbacks",
    "imut_findings",
    "imut_decisions",
    "quarantine",
    "runs",
    "audit",
    "reads",
)
"""The report's sections, in the order they are rendered."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "provenance": ("case_id", "field", "value", "source", "staged_record_id", "rule", "decided_at"),
    "decisions": ("id", "conflict_id", "decided_by_id", "decided_at", "decision", "reason", "applied_at"),
    "link_corrections": ("id", "kind", "staged_record_id", "target_staged_record_id", "target_nip", "reason",
                         "status", "reopened_reason", "decided_by", "decided_at", "applied_at", "revoked_at",
                         "revoked_by", "revoke_reason"),
    "control_actions": ("id", "case_id", "action", "cycle", "due_on", "reason", "as_of", "decided_at",
                        "run_id"),
    "annulments": ("id", "case_id", "annulled_on", "seen_at", "withdrawn_at", "withdrawn_on", "letter_id"),
    "sanction_versions": ("id", "case_id", "seq", "kind", "code", "letter_no", "decided_on", "source",
                          "source_ref", "reported_by", "in_force", "recorded_at", "entered_by", "reason",
                          "applied_at", "released_records"),
    "block_state": ("nip", "blocked", "case_ids", "reason", "version", "since", "updated_at"),
    "pushes": ("id", "action", "idempotency_key", "case_refs", "payload", "state", "attempts", "last_error",
               "siasn_reference", "approval_id", "block_version", "created_at", "next_attempt_at", "acked_at",
               "run_id"),
    "siasn_readbacks": ("id", "blocked", "desired_blocked", "drift", "response", "observed_at", "run_id"),
    "imut_findings": ("id", "finding_key", "rule", "disposition", "status", "reason_key", "reason_params",
                      "evidence", "records", "decision_no", "decision_date", "review", "review_reason",
                      "reviewed_by", "reviewed_at", "first_found_at", "closed_at"),
    "imut_decisions": ("id", "finding_id", "decision", "reason", "decided_by", "decided_at"),
    "quarantine": ("id", "source", "raw_record_id", "raw_version", "column", "check", "value", "reason",
                   "status", "created_at", "resolved_at"),
    "audit": ("id", "at", "actor_name", "action", "object_type", "object_id", "reason", "channel"),
}  # fmt: skip
"""The columns each section shows of its table."""

OTHER_NIP = "[NIP orang lain]"
"""What stands in the report for a NIP that is not the subject's (someone else's personal data)."""
_NIP_RUN = re.compile(r"(?<!\d)\d{18}(?!\d)")
_GAP = r"[\s.\-_/]?"
_NIP_PRINTED = re.compile(rf"(?<!\d)\d{{8}}{_GAP}\d{{6}}{_GAP}\d{_GAP}\d{{3}}(?!\d)")
"""A NIP whole or printed in its groups (``19800101 200501 1 001``), as free text names someone."""

ReadsOf = Callable[[Session, str], list[dict[str, Any]]]
"""``(session, nip) -> rows``: who viewed this person's data (the access log's own query)."""


@dataclass
class SubjectReport:
    """What the product holds about one ASN, section by section (rows of plain values)."""

    nip: str
    generated_at: datetime
    sections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {name: len(self.sections.get(name, [])) for name in SECTIONS}

    def as_dict(self) -> dict[str, Any]:
        return {
            "nip": self.nip,
            "generated_at": self.generated_at.isoformat(),
            "counts": self.counts(),
            **{name: self.sections.get(name, []) for name in SECTIONS},
        }


def valid_nip(raw: str) -> str:
    """The 18-digit NIP of ``raw``; :class:`SbtError` (never echoing the value) when it is not one."""
    try:
        nip = clean_nip(raw)
    except NipError:
        nip = None
    if nip is None:
        raise SbtError("not a valid NIP (18 digits expected)")
    return nip


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | bytes):
        return value.isoformat() if isinstance(value, datetime) else None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _row(obj: Any, names: Sequence[str]) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in names}


def _payload(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _ids(rows: Iterable[Any]) -> list[int]:
    return sorted({row.id for row in rows})


def gather_subject(
    session: Session, nip: str, *, reads_of: ReadsOf | None = None, now: datetime | None = None
) -> SubjectReport:
    """Everything held about ``nip`` (already validated by :func:`valid_nip`)."""
    report = SubjectReport(nip=nip, generated_at=now or datetime.now(UTC))
    put = report.sections.__setitem__
    registry = session.get(AsnRegistryEntry, nip)
    put("registry", [_registry_row(registry)] if registry else [])

    direct = list(
        session.scalars(
            select(StagedRecord).where(
                or_(StagedRecord.nip == nip, StagedRecord.resolved_nip == nip, StagedRecord.linked_nip == nip)
            )
        )
    )
    cases = {
        c.id: c
        for c in session.scalars(
            select(Case).where(
                or_(
                    Case.nip == nip,
                    Case.id.in_(select(CaseLink.case_id).where(CaseLink.staged_record_id.in_(_ids(direct)))),
                )
            )
        )
    }
    case_ids = sorted(cases)
    links = list(
        session.scalars(select(CaseLink).where(CaseLink.case_id.in_(case_ids)).order_by(CaseLink.id))
    )
    # The records in the person's cases name them too (a register naming several ASN: only its rows
    # linked to the person's case are theirs, not the other people's rows).
    staged_ids = sorted({s.id for s in direct} | {link.staged_record_id for link in links})
    staged = list(session.scalars(select(StagedRecord).where(StagedRecord.id.in_(staged_ids))))
    put("staged_records", [_staged_row(s) for s in sorted(staged, key=lambda s: s.id)])
    # A source row validation refused (quarantined, so never staged) still names the person.
    raw_ids = sorted({s.raw_record_id for s in staged} | _quarantined_naming(session, nip))
    raws = list(session.scalars(select(RawRecord).where(RawRecord.id.in_(raw_ids)).order_by(RawRecord.id)))
    versions = list(
        session.scalars(
            select(RawRecordVersion)
            .where(RawRecordVersion.raw_record_id.in_(raw_ids))
            .order_by(RawRecordVersion.raw_record_id, RawRecordVersion.version)
        )
    )
    own_items: dict[tuple[int, int], set[int]] = {}
    for row in staged:
        own_items.setdefault((row.raw_record_id, row.raw_version), set()).add(row.item_no)
    put("source_records", _source_rows(raws, versions, own_items, nip))
    put("cases", [_case_row(cases[i]) for i in case_ids])
    put("links", [_link_row(link) for link in links])
    provenance = session.scalars(
        select(FieldProvenance)
        .where(FieldProvenance.case_id.in_(case_ids))
        .order_by(FieldProvenance.case_id, FieldProvenance.field)
    )
    put("provenance", [_row(p, COLUMNS["provenance"]) for p in provenance])
    conflicts = list(
        session.scalars(
            select(Conflict)
            .where(
                or_(
                    Conflict.case_id.in_(case_ids),
                    Conflict.staged_record_id.in_(staged_ids),
                    # an identity conflict elsewhere that offered this person as a candidate
                    cast(Conflict.candidates, Text).contains(f'"{nip}"'),
                )
            )
            .order_by(Conflict.id)
        )
    )
    put("conflicts", [_conflict_row(c, nip) for c in conflicts])
    conflict_ids = _ids(conflicts)
    decisions = session.scalars(
        select(StewardDecision)
        .where(StewardDecision.conflict_id.in_(conflict_ids))
        .order_by(StewardDecision.id)
    )
    put("decisions", [_row(d, COLUMNS["decisions"]) for d in decisions])
    corrections = list(
        session.scalars(
            select(LinkCorrection)
            .where(
                or_(
                    LinkCorrection.staged_record_id.in_(staged_ids),
                    LinkCorrection.target_staged_record_id.in_(staged_ids),
                    LinkCorrection.target_nip == nip,
                )
            )
            .order_by(LinkCorrection.id)
        )
    )
    put("link_corrections", [_row(c, COLUMNS["link_corrections"]) for c in corrections])
    actions = list(
        session.scalars(
            select(ControlAction).where(ControlAction.case_id.in_(case_ids)).order_by(ControlAction.id)
        )
    )
    put("control_actions", [_row(a, COLUMNS["control_actions"]) for a in actions])
    annulments = session.scalars(
        select(CaseAnnulment).where(CaseAnnulment.case_id.in_(case_ids)).order_by(CaseAnnulment.id)
    )
    put("annulments", [_row(a, COLUMNS["annulments"]) for a in annulments])
    put("sanction_versions", _sanction_rows(session, case_ids, staged_ids))
    put("letters", _letter_rows(session, case_ids))
    letter_ids = sorted(
        {
            i
            for i in session.scalars(select(LetterItem.letter_id).where(LetterItem.case_id.in_(case_ids)))
            if i
        }
    )
    mail_ids = sorted(
        session.scalars(
            select(NotificationOutboxEntry.id).where(NotificationOutboxEntry.letter_id.in_(letter_ids))
        )
    )
    block = session.get(BlockState, nip)
    put("block_state", [_row(block, COLUMNS["block_state"])] if block else [])
    pushes = list(session.scalars(select(OutboxEntry).where(OutboxEntry.nip == nip).order_by(OutboxEntry.id)))
    put("pushes", [_row(o, COLUMNS["pushes"]) for o in pushes])
    readbacks = list(
        session.scalars(
            select(SiasnObservation).where(SiasnObservation.nip == nip).order_by(SiasnObservation.id)
        )
    )
    put("siasn_readbacks", [_row(o, COLUMNS["siasn_readbacks"]) for o in readbacks])
    findings = list(
        session.scalars(select(ImutFinding).where(ImutFinding.nip == nip).order_by(ImutFinding.id))
    )
    put("imut_findings", [_row(f, COLUMNS["imut_findings"]) for f in findings])
    imut_decisions = session.scalars(
        select(ImutFindingDecision)
        .where(ImutFindingDecision.finding_id.in_(_ids(findings)))
        .order_by(ImutFindingDecision.id)
    )
    put("imut_decisions", [_row(d, COLUMNS["imut_decisions"]) for d in imut_decisions])
    quarantine = list(
        session.scalars(
            select(QuarantinedRow)
            .where(QuarantinedRow.raw_record_id.in_(raw_ids))
            .order_by(QuarantinedRow.id)
        )
    )
    shared = {r.id for r in raws if len(_items(r.source, _payload(r.payload))[1]) > 1}
    put("quarantine", [_quarantine_row(q, shared, nip) for q in quarantine])
    put("runs", _runs(session, raws, versions, actions, pushes, readbacks))
    objects = {
        "case": case_ids,
        "conflict": conflict_ids,
        "link_correction": _ids(corrections),
        "outbox": _ids(pushes),
        "imut_finding": _ids(findings),
        "quarantine": _ids(quarantine),
        "letter": letter_ids,
        "notification_outbox": mail_ids,
    }
    put("audit", _audit_rows(session, objects))
    for name, rows in report.sections.items():
        report.sections[name] = _others_masked(rows, nip)
    put("reads", reads_of(session, nip) if reads_of is not None else [])
    return report


def _others_masked(value: Any, nip: str) -> Any:
    """``value`` with every NIP other than ``nip`` in its strings (whole or printed in its groups)
    replaced by :data:`OTHER_NIP` (a reason, a decision, a header or free text naming someone else)."""
    if isinstance(value, str):
        return _NIP_PRINTED.sub(
            lambda m: m.group(0) if without_layout(m.group(0)) == nip else OTHER_NIP, value
        )
    if isinstance(value, dict):
        return {k: _others_masked(v, nip) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_others_masked(v, nip) for v in value]
    return value


def _quarantined_naming(session: Session, nip: str) -> set[int]:
    """The raw records with a quarantined cell whose payload (now or in an earlier version) names
    ``nip``: prefiltered in SQL on the NIP's first eight digits (its birth date, unbroken in the
    usual written forms), then confirmed by :func:`nips_in_text`."""
    behind = select(QuarantinedRow.raw_record_id)
    pattern = f"%{nip[:8]}%"
    found: set[int] = set()
    current = select(RawRecord.id, RawRecord.payload).where(
        RawRecord.id.in_(behind), RawRecord.payload.like(pattern)
    )
    earlier = select(RawRecordVersion.raw_record_id, RawRecordVersion.payload).where(
        RawRecordVersion.raw_record_id.in_(behind), RawRecordVersion.payload.like(pattern)
    )
    for query in (current, earlier):
        for raw_id, text in session.execute(query).tuples():
            if raw_id not in found and nip in nips_in_text(_payload(text)):
                found.add(raw_id)
    return found


def _items(source: str, payload: Any) -> tuple[str | None, list[Any]]:
    """The key of the list of people in a payload of ``source`` (``terlapor``: one item per person, the
    staged row's ``item_no``) and that list; ``(None, [])`` for a feed with one person per record."""
    spec = FEEDS.get(source)
    if spec is None or spec.item_prefix is None or not isinstance(payload, dict):
        return None, []
    key = spec.item_prefix.rstrip("_")
    people = payload.get(key)
    return key, people if isinstance(people, list) else []


def _own_payload(source: str, payload: Any, positions: set[int], nip: str) -> tuple[Any, int]:
    """``payload`` with only the subject's own items (at ``positions``, the staged rows' ``item_no`` in
    this version, or naming ``nip``) and how many other people's items were left out."""
    key, people = _items(source, payload)
    if key is None:
        return payload, 0
    own = [p for i, p in enumerate(people) if i in positions or nip in nips_in_text(p)]
    return {**payload, key: own}, len(people) - len(own)


def nips_in_text(value: Any) -> set[str]:
    """The NIPs in the strings of ``value`` (walked through dicts and lists): 18-digit runs once the
    layout :func:`~schemas.nip.clean_nip` ignores is removed, so a NIP written as a source wrote it."""
    if isinstance(value, str):
        return set(_NIP_RUN.findall(without_layout(value)))
    if isinstance(value, dict):
        return set().union(*(nips_in_text(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(nips_in_text(v) for v in value)) if value else set()
    return set()


def _registry_row(r: AsnRegistryEntry) -> dict[str, Any]:
    return _row(r, ("nip", "siasn_id", "name", "front_title", "back_title", "birth_date", "gender", "kind",
                    "instansi_id", "instansi_name", "kanreg_id", "status_id", "status_name", "position",
                    "source_updated_at", "left_on", "siasn_doubt", "refreshed_at"))  # fmt: skip


def _staged_row(s: StagedRecord) -> dict[str, Any]:
    return _row(s, ("id", "source", "record_key", "item_no", "raw_record_id", "raw_version", "nip", "nip_raw",
                    "name", "birth_date", "instansi", "event_code", "register_no", "recommendation_no",
                    "fields", "resolved_nip", "identity_rule", "identity_score", "withdrawn",
                    "source_updated_at", "staged_at"))  # fmt: skip


def _source_rows(
    raws: list[RawRecord],
    versions: list[RawRecordVersion],
    own_items: dict[tuple[int, int], set[int]],
    nip: str,
) -> list[dict[str, Any]]:
    """The source records as received, each payload cut to the subject's own items; ``other_people``
    counts the people the current payload names besides the subject (not shown)."""
    source_of = {r.id: r.source for r in raws}
    earlier: dict[int, list[dict[str, Any]]] = {}
    for v in versions:
        payload, _ = _own_payload(
            source_of[v.raw_record_id],
            _payload(v.payload),
            own_items.get((v.raw_record_id, v.version), set()),
            nip,
        )
        earlier.setdefault(v.raw_record_id, []).append(
            {"version": v.version, "seen_at": _plain(v.seen_at), "payload": payload}
        )
    rows = []
    for r in raws:
        payload, others = _own_payload(
            r.source, _payload(r.payload), own_items.get((r.id, r.version), set()), nip
        )
        rows.append(
            {
                **_row(
                    r, ("id", "source", "record_key", "origin", "version", "first_seen_at", "last_seen_at")
                ),
                "payload": payload,
                "other_people": others,
                "earlier_versions": earlier.get(r.id, []),
            }
        )
    return rows


def _case_row(c: Case) -> dict[str, Any]:
    return _row(c, ("id", "case_key", "nip", "event_code", "status", "violation_form", "register_no",
                    "recommendation_no", "recommendation_date", "follow_up_deadline", "recommended_sanction",
                    "sanction_imposed", "sanction_date", "kanreg_id", "instansi_id", "held", "hold_reason",
                    "golden", "created_at", "updated_at"))  # fmt: skip


def _link_row(link: CaseLink) -> dict[str, Any]:
    return _row(link, ("id", "case_id", "staged_record_id", "source", "record_key", "rule", "score",
                       "linked_by", "linked_at", "unlinked_at", "unlink_reason"))  # fmt: skip


def _conflict_row(c: Conflict, nip: str) -> dict[str, Any]:
    """The conflict; of an identity conflict's candidates (people) only the subject is kept, with their
    place in the list (``rank``, 1 first) and how many others were offered (``other_candidates``)."""
    row = _row(c, ("id", "kind", "case_id", "staged_record_id", "field", "priority", "status", "candidates",
                   "opened_at", "due_at", "closed_at", "reopened_reason"))  # fmt: skip
    candidates = row["candidates"] if isinstance(row["candidates"], list) else []
    people = [(i, cand) for i, cand in enumerate(candidates) if isinstance(cand, dict) and "nip" in cand]
    if people:
        own = [{**cand, "rank": i + 1} for i, cand in people if str(cand.get("nip")) == nip]
        row["candidates"] = own + [
            cand for cand in candidates if not (isinstance(cand, dict) and "nip" in cand)
        ]
        row["other_candidates"] = len(people) - len(own)
    return row


def _quarantine_row(q: QuarantinedRow, shared: set[int], nip: str) -> dict[str, Any]:
    """The quarantined cell; on a register naming several people a cell of one person's columns (which
    person the row does not say) keeps its value and reason only when they name the subject."""
    row = _row(q, COLUMNS["quarantine"])
    spec = FEEDS.get(q.source)
    per_person = (
        spec is not None and spec.item_prefix is not None and (q.column or "").startswith(spec.item_prefix)
    )
    if per_person and q.raw_record_id in shared and nip not in nips_in_text([q.value, q.reason]):
        row["value"] = None
        row["reason"] = "(sel milik salah satu orang lain dalam register yang sama; tidak ditampilkan)"
    return row


def _sanction_rows(session: Session, case_ids: list[int], staged_ids: list[int]) -> list[dict[str, Any]]:
    """The sanction versions of the person's cases (every decision and revision after an objection),
    and a steward's version waiting for its removed case to come back that follows their records."""
    versions = session.scalars(
        select(SanctionVersion)
        .where(or_(SanctionVersion.case_id.in_(case_ids), SanctionVersion.case_id.is_(None)))
        .order_by(SanctionVersion.id)
    )
    own = set(staged_ids)
    return [
        _row(v, COLUMNS["sanction_versions"])
        for v in versions
        if v.case_id is not None or own.intersection(v.released_records or [])
    ]


def _letter_rows(session: Session, case_ids: list[int]) -> list[dict[str, Any]]:
    rows = session.execute(
        select(LetterItem, Letter, NotificationOutboxEntry)
        .join(Letter, Letter.id == LetterItem.letter_id, isouter=True)
        .join(NotificationOutboxEntry, NotificationOutboxEntry.letter_id == Letter.id, isouter=True)
        .where(LetterItem.case_id.in_(case_ids))
        .order_by(LetterItem.id)
    ).tuples()
    out = []
    for item, letter, mail in rows:
        out.append(
            {
                "case_id": item.case_id,
                "control_action_id": item.control_action_id,
                "skipped": item.skipped,
                "letter_number": letter.number if letter else None,
                "step": letter.step if letter else None,
                "instansi_id": letter.instansi_id if letter else None,
                "letter_date": _plain(letter.letter_date) if letter else None,
                "sha256": letter.sha256 if letter else None,
                "mail_state": mail.state if mail else None,
                "mail_attempts": mail.attempts if mail else None,
                "sent_at": _plain(mail.sent_at) if mail else None,
                "server_answer": mail.server_answer if mail else None,
            }
        )
    return out


def _runs(
    session: Session,
    raws: list[RawRecord],
    versions: list[RawRecordVersion],
    actions: list[ControlAction],
    pushes: list[OutboxEntry],
    readbacks: list[SiasnObservation],
) -> list[dict[str, Any]]:
    """The runs (Dagster run ids) that touched the data: what each did with it and when, first first."""
    steps: dict[str, dict[str, Any]] = {}

    def saw(run_id: str | None, step: str, at: datetime | None) -> None:
        if not run_id:
            return
        entry = steps.setdefault(run_id, {"run_id": run_id, "first_at": at, "steps": set()})
        entry["steps"].add(step)
        if at is not None and (entry["first_at"] is None or at < entry["first_at"]):
            entry["first_at"] = at

    batch_ids = sorted({b for b in [*(r.last_batch_id for r in raws), *(v.batch_id for v in versions)] if b})
    for batch in session.scalars(select(IngestBatch).where(IngestBatch.id.in_(batch_ids))):
        saw(batch.run_id, f"pengambilan data {batch.source}", batch.started_at)
    for action in actions:
        saw(action.run_id, "langkah pengendalian", action.decided_at)
    for push in pushes:
        saw(push.run_id, "pengiriman ke SIASN", push.created_at)
    for observation in readbacks:
        saw(observation.run_id, "pembacaan ulang SIASN", observation.observed_at)
    known = {r.run_id: r for r in session.scalars(select(SyncRun).where(SyncRun.run_id.in_(sorted(steps))))}
    rows = []
    for run_id, entry in steps.items():
        run = known.get(run_id)
        rows.append(
            {
                "run_id": run_id,
                "first_at": _plain(entry["first_at"]),
                "steps": sorted(entry["steps"]),
                "job": run.job if run else None,
                "status": run.status if run else None,
            }
        )
    return sorted(rows, key=lambda r: (r["first_at"] or "", r["run_id"]))


def _audit_rows(session: Session, objects: dict[str, list[int]]) -> list[dict[str, Any]]:
    """The audit entries on ``objects`` (type -> ids): an entry on one object, and an entry on several
    at once (a steward withdrawing parked pushes, giving up letters: ``object_id`` ``3,5``) naming one."""
    wanted = {(kind, str(i)) for kind, ids in objects.items() for i in ids}
    if not wanted:
        return []
    clauses = [
        (AuditEntry.object_type == kind) & AuditEntry.object_id.in_([str(i) for i in ids])
        for kind, ids in objects.items()
        if ids
    ]
    several = AuditEntry.object_type.in_(
        sorted({kind for kind, _ in wanted})
    ) & AuditEntry.object_id.contains(",")
    entries = session.scalars(select(AuditEntry).where(or_(*clauses, several)).order_by(AuditEntry.id))
    return [
        _row(e, COLUMNS["audit"])
        for e in entries
        if any((e.object_type, part.strip()) in wanted for part in (e.object_id or "").split(","))
    ]
