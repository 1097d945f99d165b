"""The golden reconciliation as one pure function: records in, golden dataset out.

:func:`reconcile` links records into cases (:mod:`link`), chooses every golden field
(:mod:`survive`), raises conflicts (:mod:`conflicts`), applies the stewards' decisions
and derives each case's status and hold (:mod:`status`). It is deterministic: the same records
and decisions, in any order, give an equal :class:`GoldenResult`.

Steward decisions are sticky: the latest decision on a conflict key is applied on every run while the
conflict's basis hash equals the decision's; its value then becomes the golden value of the conflict's
field (rule ``steward_decision``) and the conflict is ``resolved``. When the basis has changed the
conflict stays open and its ``reopened_reason`` says why. A decision on a conflict that is no longer
raised (the sources came to agree) has nothing to apply to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date

from sbt_sync.reconcile.golden.conflicts import (
    critical_conflicts,
    lifecycle_conflicts,
    link_conflicts,
    named_other_conflicts,
    stated,
)
from sbt_sync.reconcile.golden.link import link
from sbt_sync.reconcile.golden.model import (
    SANCTION_FIELDS,
    CaseDraft,
    ConflictDraft,
    FieldValue,
    GoldenCase,
    GoldenResult,
    LinkOverride,
    SanctionVersion,
    SourceRecord,
    StewardDecision,
)
from sbt_sync.reconcile.golden.sanctions import (
    SanctionHistory,
    StewardSanction,
    apply_in_force,
    attach_entries,
    sanction_history,
)
from sbt_sync.reconcile.golden.status import (
    disputed_records,
    has_ended,
    hold_reason,
    identity_disputes,
    lifecycle_status,
)
from sbt_sync.reconcile.golden.survive import latest_by_source, same_instant_rivals, survive
from sbt_sync.reconcile.identity.written import changed_parts, changed_reason
from sbt_sync.settings import SurvivorshipSettings
from sbt_sync.states.conflicts import ConflictKind, ConflictStatus

__all__ = ["latest_decisions", "reconcile", "reconcile_case"]

PROVEN = "terbukti"
SANCTION_TYPES = frozenset({"sanction", "follow_up"})
"""Records that state a sanction (I'DIS decisions, Kemendagri follow-ups)."""
SANCTION_NAMES = frozenset({*SANCTION_FIELDS, "sanction_since", "sanction_annulled_on"})
"""Golden fields that say the case's sanction."""


def latest_decisions(decisions: Iterable[StewardDecision]) -> dict[str, StewardDecision]:
    """The decision in force per conflict key: the latest, ties broken by the value's text."""
    latest: dict[str, StewardDecision] = {}
    for d in sorted(decisions, key=lambda d: (d.decided_at, repr(d.value), d.basis_hash)):
        latest[d.conflict_key] = d
    return latest


def _apply(
    found: list[ConflictDraft],
    golden: dict[str, FieldValue],
    decisions: Mapping[str, StewardDecision],
    written: Mapping[int | None, Mapping[str, str]] | None = None,
) -> list[ConflictDraft]:
    """Resolve the conflicts whose decision still holds (updating ``golden``); flag the others.

    A ``named_other`` keep rests on the name its record wrote too (``written``: staged id -> what the
    record writes now, :mod:`~sbt_sync.reconcile.identity.written`): a new name reopens it, saying so.
    """
    applied: list[ConflictDraft] = []
    for conflict in found:
        decision = decisions.get(conflict.conflict_key)
        renamed = _renamed(conflict, decision, written or {})
        if decision is None:
            applied.append(conflict)
        elif decision.reopened:
            reason = f"reopened by a steward on {decision.decided_at.isoformat()}: {decision.reason}"
            applied.append(replace(conflict, reopened_reason=reason))
        elif decision.basis_hash == conflict.basis_hash and renamed:
            applied.append(replace(conflict, reopened_reason=changed_reason(decision.decided_at, renamed)))
        elif decision.basis_hash == conflict.basis_hash:
            if conflict.kind not in (ConflictKind.AMBIGUOUS_LINK, ConflictKind.NAMED_OTHER):
                golden[conflict.field] = FieldValue(decision.value, "steward", None, "steward_decision")
            applied.append(replace(conflict, status=ConflictStatus.RESOLVED))
        else:
            reason = f"the sources changed since the decision of {decision.decided_at.isoformat()}: now "
            reason += stated(conflict)
            applied.append(replace(conflict, reopened_reason=reason))
    return applied


def _renamed(
    conflict: ConflictDraft,
    decision: StewardDecision | None,
    written: Mapping[int | None, Mapping[str, str]],
) -> list[str] | None:
    """``["name"]`` when ``conflict`` is a ``named_other`` whose keep kept the fingerprints of what its
    record wrote, and the record's name differs now; None otherwise. (Whom the record names, by NIP,
    is in the conflict's basis already; how the NIP is laid out or the instansi is not what a keep
    rests on.)"""
    if decision is None or conflict.kind != ConflictKind.NAMED_OTHER or not conflict.candidates:
        return None
    now = written.get(conflict.candidates[0].staged_id)
    if now is None:
        return None
    return changed_parts(decision.written, now, ("name",)) or None


def reconcile_case(
    case: CaseDraft,
    survivorship: SurvivorshipSettings,
    decisions: Mapping[str, StewardDecision],
    *,
    as_of: date | None = None,
    left_service_on: date | None = None,
    registry_doubt: str | None = None,
    sanctions: Sequence[StewardSanction] = (),
) -> GoldenCase:
    """One case's golden fields, conflicts (decisions applied), status at ``as_of`` and hold.

    Its sanction is the version in force among what the sources state and the stewards' entries
    ``sanctions`` (:mod:`sbt_sync.reconcile.golden.sanctions`).

    Critical-field decisions are applied before the lifecycle check, so a steward who settles a
    disputed result also settles whether a sanction contradicts it. The case is held while a critical
    conflict is open or a record's identity is disputed, some source says the case is proven and no
    end event has happened (:func:`~sbt_sync.reconcile.golden.status.hold_reason`); a sanction or
    annulment stated only by a disputed record is no end event here, so it cannot release the hold,
    and a sanction a disputed record states is not the case's sanction (its golden fields, versions and
    status come from the other records) until a steward keeps the record in the case.
    """
    golden = survive(case, survivorship)
    history = sanction_history(case.records, sanctions, survivorship.sanction, as_of)
    apply_in_force(golden, history)
    settled = _apply(critical_conflicts(case, history.dispute), golden, decisions)
    settled += _apply(lifecycle_conflicts(case, golden), golden, decisions)
    settled += _apply(link_conflicts(case), golden, decisions)
    written: dict[int | None, Mapping[str, str]] = {r.staged_id: r.written for r in case.records}
    named = _apply(named_other_conflicts(case), golden, decisions, written)
    settled += named
    # A record a steward kept in the case although it names another ASN (``keep``: the source's NIP and
    # name are its mistake) is no longer disputed: it counts for the case, and no longer holds it.
    kept = {c.candidates[0].staged_id for c in named if c.status == ConflictStatus.RESOLVED}
    undisputed = [r for r in case.records if r.staged_id not in kept]
    ordered = tuple(sorted(settled, key=lambda c: c.conflict_key))
    disputed = disputed_records(undisputed, case.nip)
    if disputed & {r.staged_id for r in case.records if r.record_type in SANCTION_TYPES}:
        # A sanction stated by a record whose identity is disputed (it may be another person's) is not
        # the case's: the case's sanction, its versions and its status come from the other records,
        # until a steward settles whose it is (``keep`` makes it count).
        clean = replace(case, records=tuple(r for r in case.records if r.staged_id not in disputed))
        history = sanction_history(clean.records, sanctions, survivorship.sanction, as_of)
        golden = _with_sanction_of(golden, survive(clean, survivorship), history)
    complaint_only = all(r.record_type == "complaint" for r in case.records)
    status = lifecycle_status(golden, as_of, left_service_on=left_service_on, complaint_only=complaint_only)
    latest = latest_by_source(case.records, "verification_result")
    results = [*latest.values(), *same_instant_rivals(case.records, "verification_result", latest)]
    reason = hold_reason(
        ordered,
        identity_disputes(undisputed, case.nip),
        proven_somewhere=any(r.value("verification_result") == PROVEN for r in results),
        ended=has_ended(golden, as_of, left_service_on=left_service_on, disputed=disputed),
        registry=() if registry_doubt is None else (registry_doubt,),
    )
    return GoldenCase(
        draft=case,
        fields=golden,
        conflicts=ordered,
        status=status,
        held=reason is not None,
        hold_reason=reason,
        sanction_versions=_decided(history.versions, golden),
    )


def _with_sanction_of(
    golden: dict[str, FieldValue], survived: Mapping[str, FieldValue], history: SanctionHistory
) -> dict[str, FieldValue]:
    """``golden`` with its sanction fields (and annulment on objection) taken from ``survived`` and
    the version in force of ``history`` instead (a steward's decision on a sanction conflict kept)."""
    decided = {
        name: fv for name, fv in golden.items() if name in SANCTION_NAMES and fv.rule == "steward_decision"
    }
    out = {name: fv for name, fv in golden.items() if name not in SANCTION_NAMES}
    out.update((name, fv) for name, fv in survived.items() if name in SANCTION_NAMES)
    apply_in_force(out, history)
    out.update(decided)
    return out


def _decided(
    versions: tuple[SanctionVersion, ...], golden: Mapping[str, FieldValue]
) -> tuple[SanctionVersion, ...]:
    """``versions`` with the version in force carrying a steward's decision on a sanction conflict."""
    chosen = golden.get("sanction_code")
    if chosen is None or chosen.rule != "steward_decision":
        return versions
    return tuple(replace(v, code=str(chosen.value)) if v.in_force and v.code else v for v in versions)


def reconcile(
    records: Iterable[SourceRecord],
    survivorship: SurvivorshipSettings,
    decisions: Iterable[StewardDecision] = (),
    *,
    as_of: date | None = None,
    left_service: Mapping[str, date] | None = None,
    registry_doubts: Mapping[str, str] | None = None,
    overrides: Iterable[LinkOverride] = (),
    sanctions: Iterable[StewardSanction] = (),
) -> GoldenResult:
    """The golden dataset of ``records`` (identities already resolved), with the stewards' link
    corrections ``overrides`` applied (:func:`~sbt_sync.reconcile.golden.link.link`).

    ``left_service`` maps a NIP to the date its holder left service (registry kedudukan 66/77/88/99);
    ``registry_doubts`` maps a NIP SIASN cannot vouch for now (a 404, an unknown kedudukan) to the
    clause that holds its proven cases;
    ``as_of`` is the day statuses are derived for (None: everything known counts); ``sanctions`` are
    the stewards' sanction entries, each applied to the case it follows
    (:func:`~sbt_sync.reconcile.golden.sanctions.attach_entries`).
    """
    records = list(records)
    in_force = latest_decisions(decisions)
    departures = left_service or {}
    drafts = link(records, overrides)
    entries = attach_entries(
        list(sanctions), {d.case_key: frozenset(r.staged_id for r in d.records) for d in drafts}
    )
    cases = tuple(
        reconcile_case(
            draft,
            survivorship,
            in_force,
            as_of=as_of,
            left_service_on=departures.get(draft.nip) if draft.nip else None,
            registry_doubt=(registry_doubts or {}).get(draft.nip) if draft.nip else None,
            sanctions=entries.get(draft.case_key, ()),
        )
        for draft in drafts
    )
    linked = {r.staged_id for case in cases for r in case.draft.records}
    unlinked = tuple(sorted((r for r in records if r.staged_id not in linked), key=SourceRecord.sort_key))
    return GoldenResult(cases=cases, unlinked=unlinked, as_of=as_of)
