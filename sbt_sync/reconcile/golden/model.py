"""Plain data in and out of the golden reconciliation: no database, no Dagster.

The reconciliation reads :class:`SourceRecord` (a staged record whose identity is already resolved),
links records into :class:`CaseDraft` (the crosswalk), chooses each golden field
(:class:`FieldValue`, with provenance), raises :class:`ConflictDraft` and applies
:class:`StewardDecision`; :class:`GoldenResult` is the whole golden dataset of one run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sbt_sync.instants import as_utc
from sbt_sync.states.conflicts import ConflictKind, ConflictStatus

LinkRule = Literal[
    "register",
    "register_no",
    "recommendation_no",
    "nip_event",
    "nip_event_form",
    "nip_time",
    "complaint_window",
    "complaint_recommendation",
    "own_case",
    "steward_move",
    "steward_split",
    "steward_merge",
]
OverrideKind = Literal["move_record", "split", "merge"]
SurvivalRule = Literal["source_rank", "recency", "only_source", "steward_decision", "sanction_in_force"]

INCIDENT_FIELDS = (
    "event_code",
    "register_no",
    "register_type",
    "register_status",
    "violation_form",
    "incident_at",
    "forwarded_at",
    "province",
    "regency",
    "position",
    "position_category",
)
RECOMMENDATION_FIELDS = (
    "recommendation_no",
    "recommending_body",
    "verification_result",
    "verified_at",
    "recommended_sanction",
    "recommendation_date",
    "follow_up_deadline",
    "instansi_id",
)
SANCTION_FIELDS = (
    "sanction_code",
    "sanction_sk_no",
    "sanction_date",
    "sanction_effective",
    "follow_up_status",
)
RECORD_ATTRIBUTES = frozenset({"event_code", "register_no", "recommendation_no"})
"""Golden fields read from the staged record's own columns rather than from its ``fields``."""
CODE_FIELDS = frozenset({"recommended_sanction", "sanction_code"})
"""jenisHukuman codes: compared as text, whatever type a feed delivered them in."""


@dataclass(frozen=True)
class SourceRecord:
    """One staged source record with its identity resolved (``nip`` None when it could not be)."""

    staged_id: int
    source: str
    record_key: str
    item_no: int
    record_type: str
    """finding, recommendation, sanction, follow_up or complaint."""
    nip: str | None
    event_code: str | None
    register_no: str | None
    recommendation_no: str | None
    source_updated_at: datetime | None
    fields: Mapping[str, Any] = field(default_factory=dict)
    names_person: bool = False
    """Whether the row names a person at all (a NIP or a name written), whoever it resolved to."""
    identity_dispute: str | None = None
    """Why the row's identity is disputed, naming its open identity conflict; None when it is not."""
    written: Mapping[str, str] = field(default_factory=dict)
    """Fingerprints of the NIP, name and instansi the row writes
    (:func:`~sbt_sync.reconcile.identity.written.written_fingerprints`): a ``keep`` on the row
    rests on them."""

    def value(self, name: str) -> Any:
        """The record's value for golden field ``name`` (None when it has none); codes as text."""
        raw = getattr(self, name) if name in RECORD_ATTRIBUTES else self.fields.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if name in CODE_FIELDS:
            text = str(raw).strip()
            return text[:-2] if text.endswith(".0") else text
        return raw

    def sort_key(self) -> tuple[str, str, int, int]:
        """The canonical order, so that no result depends on the order records arrive in."""
        return (self.source, self.record_key, self.item_no, self.staged_id)

    def recency(self) -> tuple[float, int]:
        """Newer sorts higher: the source's own update instant, then the staging order."""
        at = self.source_updated_at
        if at is None:
            return (float("-inf"), self.staged_id)
        return (as_utc(at).timestamp(), self.staged_id)


@dataclass(frozen=True)
class LinkOverride:
    """A steward's correction of the crosswalk, applied after the machine's linking.

    ``move_record``: record ``staged_id`` joins the case of record ``target_id``; ``split``: it leaves
    its case for one of its own; ``merge``: every record of its case joins the case of ``target_id``.
    """

    order: int
    """Corrections apply in this order (the order stewards made them), so a later one wins."""
    kind: OverrideKind
    staged_id: int
    target_id: int | None = None


@dataclass(frozen=True)
class CaseLinkDraft:
    """One crosswalk row: which record joined the case, and by which rule."""

    staged_id: int
    source: str
    record_key: str
    item_no: int
    rule: LinkRule


@dataclass(frozen=True)
class AmbiguousLink:
    """A record that matched several cases equally well; it was left in a case of its own."""

    staged_id: int
    source: str
    record_key: str
    candidates: tuple[str, ...]
    """The case keys it could have joined, sorted."""
    item_no: int = 0
    """The record's item within its source record (its conflict is keyed by source, key and item, never by
    the staged id, which only says when the row arrived)."""


@dataclass(frozen=True)
class CaseDraft:
    """A linked case: its deterministic key, its records (canonical order) and their crosswalk."""

    case_key: str
    nip: str | None
    event_code: str | None
    records: tuple[SourceRecord, ...]
    links: tuple[CaseLinkDraft, ...]
    ambiguous: tuple[AmbiguousLink, ...] = ()


@dataclass(frozen=True)
class FieldValue:
    """A golden field's value and its provenance."""

    value: Any
    source: str | None
    staged_id: int | None
    rule: SurvivalRule


@dataclass(frozen=True)
class Candidate:
    """One side of a conflict: a source's value and the record that carries it."""

    source: str
    value: Any
    staged_id: int


@dataclass(frozen=True)
class ConflictDraft:
    """Something the machine cannot decide; the database layer auto-closes keys no longer raised."""

    conflict_key: str
    kind: ConflictKind
    case_key: str
    field: str
    candidates: tuple[Candidate, ...]
    priority: int
    """1 (highest) to 4."""
    due_days: int
    """The steward's deadline, counted from when the conflict was first opened."""
    basis_hash: str
    critical: bool
    reason: str | None = None
    status: ConflictStatus = ConflictStatus.OPEN
    reopened_reason: str | None = None

    def due_at(self, opened_at: datetime) -> datetime:
        """When a conflict opened at ``opened_at`` is due."""
        return opened_at + timedelta(days=self.due_days)


@dataclass(frozen=True)
class StewardDecision:
    """A steward's choice for a conflict, valid while the conflict's basis hash is unchanged."""

    conflict_key: str
    basis_hash: str
    value: Any
    decided_at: datetime
    reason: str = ""
    reopened: bool = False
    """A steward reopened the conflict: no decision is in force until the next one."""
    written: Mapping[str, str] | None = None
    """For a ``named_other`` keep: the fingerprints of what the record wrote about its person when the
    steward decided (None: an older decision, which kept none)."""


@dataclass(frozen=True)
class SanctionVersion:
    """One version of a case's sanction."""

    seq: int
    version_key: str
    code: str | None
    """None: the sanction was annulled on objection."""
    letter_no: str | None
    decided_on: date | None
    source: str
    source_ref: str | None
    staged_id: int | None
    reported_by: tuple[str, ...]
    in_force: bool = False
    source_updated_at: datetime | None = None
    entry_id: int | None = None
    """The steward entry's row id; None for a version the sources state."""

    @property
    def annulment(self) -> bool:
        return self.code is None


@dataclass(frozen=True)
class GoldenCase:
    """One golden case: fields with provenance, its conflicts, derived status and hold."""

    draft: CaseDraft
    fields: Mapping[str, FieldValue]
    conflicts: tuple[ConflictDraft, ...]
    status: str
    held: bool
    hold_reason: str | None = None
    """What holds the case (the open conflicts and identity disputes, named); None when not held."""
    sanction_versions: tuple[SanctionVersion, ...] = ()
    """Every version of its sanction, in decision order (:mod:`sbt_sync.reconcile.golden.sanctions`)."""

    @property
    def case_key(self) -> str:
        return self.draft.case_key


@dataclass(frozen=True)
class GoldenResult:
    """The golden dataset of one run, cases sorted by key; ``unlinked`` records joined no case."""

    cases: tuple[GoldenCase, ...]
    unlinked: tuple[SourceRecord, ...]
    as_of: date | None = None
