"""Conflicts: what the machine must not decide alone (DESIGN.md, "The golden dataset").

- ``critical_field``: sources disagree on the recommendation result, the recommended sanction or the
  sanction imposed (each source's latest value counts; a sanction disagreement is not raised while the
  result itself is disputed, since it follows from it).
- ``lifecycle``: a sanction is recorded on a case whose golden result is ``tidak_terbukti``; or the
  sanction of a proven case was annulled on objection (a steward says whether the recommendation
  still binds the PPK).
- ``ambiguous_link``: a record matched several cases equally well (see :mod:`link`).
- ``named_other``: a record joined the case by a register or recommendation number while naming
  another registered ASN, or nobody in the registry (DESIGN.md, "Identity disputes hold"); it holds
  the case while open.

A conflict is raised only while its cause holds: when the sources come to agree it is no longer
returned, and the database layer closes it (``auto_closed``). Its basis hash covers the disagreeing
sources and values, so a steward decision knows when what it decided on has changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from sbt_sync.db.base import fitted_key
from sbt_sync.reconcile.golden.model import (
    Candidate,
    CaseDraft,
    ConflictDraft,
    FieldValue,
    SourceRecord,
)
from sbt_sync.reconcile.golden.survive import latest_by_source, same_instant_rivals
from sbt_sync.states.conflicts import CONFLICT_KEY_CHARS, ConflictKind
from schemas.nip import mask_nip

CRITICAL_FIELDS = ("verification_result", "recommended_sanction", "sanction_code")
"""In order: a disputed result suppresses the disputes that follow from it."""
SAME_RESULT = {"dibatalkan": "terbukti"}
"""An annulment revokes a proven recommendation; it does not dispute that it was proven."""
PRIORITY = {
    (ConflictKind.CRITICAL_FIELD, "verification_result"): (1, 3),
    (ConflictKind.CRITICAL_FIELD, "recommended_sanction"): (2, 5),
    (ConflictKind.CRITICAL_FIELD, "sanction_code"): (2, 5),
    (ConflictKind.LIFECYCLE, "verification_result"): (1, 3),
    (ConflictKind.AMBIGUOUS_LINK, "link"): (3, 10),
    (ConflictKind.NAMED_OTHER, "link"): (1, 3),
}
"""(priority 1-4, days until due) per kind and field: a disputed result can wrongly block an ASN."""
DEFAULT_PRIORITY = (4, 20)
NOT_PROVEN = "tidak_terbukti"
PROVEN = "terbukti"


def basis_hash(candidates: Iterable[Candidate]) -> str:
    """A hash of the (source, value) pairs a conflict is about, independent of their order."""
    pairs = sorted([c.source, json.dumps(c.value, sort_keys=True, default=str)] for c in candidates)
    return hashlib.sha256(json.dumps(pairs).encode()).hexdigest()


def _conflict(
    kind: ConflictKind,
    case_key: str,
    field: str,
    candidates: Iterable[Candidate],
    *,
    reason: str | None = None,
    subject: str = "",
) -> ConflictDraft:
    ordered = tuple(sorted(candidates, key=lambda c: (c.source, c.staged_id)))
    priority, due_days = PRIORITY.get((kind, field), DEFAULT_PRIORITY)
    return ConflictDraft(
        conflict_key=fitted_key(f"{kind}|{case_key}|{field}{subject}", CONFLICT_KEY_CHARS),
        kind=kind,
        case_key=case_key,
        field=field,
        candidates=ordered,
        priority=priority,
        due_days=due_days,
        basis_hash=basis_hash(ordered),
        # A record naming another ASN holds its case as an identity dispute (``status.hold_reason``
        # names the record), not as a critical field.
        critical=kind not in (ConflictKind.AMBIGUOUS_LINK, ConflictKind.NAMED_OTHER),
        reason=reason,
    )


def _comparable(name: str, value: Any) -> Any:
    return SAME_RESULT.get(value, value) if name == "verification_result" else value


def critical_conflicts(
    case: CaseDraft, sanction_dispute: Sequence[Candidate] | None = None
) -> list[ConflictDraft]:
    """The critical fields on which the latest values of two or more sources disagree, or on which one
    source states two values at one instant of its own clock (two rows of one file, say: only the order
    they were staged in could choose between them).

    ``sanction_dispute``, when given, replaces the comparison for ``sanction_code``: the sources
    disagreeing about the sanction in force on one decision date (:mod:`sbt_sync.reconcile.golden.sanctions`),
    so a later decision with another code (a revision after an objection) is no conflict.
    """
    raised: list[ConflictDraft] = []
    for name in CRITICAL_FIELDS:
        if name == "recommended_sanction" and raised:
            break
        if name == "sanction_code" and sanction_dispute is not None:
            if sanction_dispute:
                raised.append(_conflict(ConflictKind.CRITICAL_FIELD, case.case_key, name, sanction_dispute))
            continue
        latest: Mapping[str, SourceRecord] = latest_by_source(case.records, name)
        rivals = same_instant_rivals(case.records, name, latest, partial(_comparable, name))
        stated = [*latest.values(), *rivals]
        if len({_comparable(name, r.value(name)) for r in stated}) > 1:
            candidates = [Candidate(r.source, r.value(name), r.staged_id) for r in stated]
            raised.append(_conflict(ConflictKind.CRITICAL_FIELD, case.case_key, name, candidates))
    return raised


def lifecycle_conflicts(case: CaseDraft, golden: Mapping[str, FieldValue]) -> list[ConflictDraft]:
    """A sanction recorded although the golden result says the case was not proven."""
    result, sanction = golden.get("verification_result"), golden.get("sanction_code")
    annulled = golden.get("sanction_annulled_on")
    if result is not None and annulled is not None and result.value == PROVEN:
        # The sanction of a proven case was annulled on objection: whether the recommendation still
        # binds the PPK (escalation resumes: keep "terbukti") or the matter is closed ("dibatalkan") is
        # a steward's call. Held meanwhile: neither a block nor a lost one rests on a guess.
        candidates = [
            Candidate(result.source or "steward", result.value, result.staged_id or 0),
            Candidate(annulled.source or "steward", "dibatalkan", annulled.staged_id or 0),
        ]
        return [
            _conflict(
                ConflictKind.LIFECYCLE, case.case_key, "verification_result", candidates,
                reason="sanction_annulled_on_objection", subject="|sanction_annulled",
            )
        ]  # fmt: skip
    if result is None or sanction is None or result.value != NOT_PROVEN:
        return []
    candidates = [Candidate(fv.source or "steward", fv.value, fv.staged_id or 0) for fv in (result, sanction)]
    return [
        _conflict(
            ConflictKind.LIFECYCLE,
            case.case_key,
            "verification_result",
            candidates,
            reason="sanction_on_not_proven",
        )
    ]


def link_conflicts(case: CaseDraft) -> list[ConflictDraft]:
    """One conflict per record of ``case`` that could equally have joined other cases."""
    return [
        _conflict(
            ConflictKind.AMBIGUOUS_LINK,
            case.case_key,
            "link",
            [Candidate(amb.source, list(amb.candidates), amb.staged_id)],
            reason=f"{amb.source} record {amb.record_key} matches {len(amb.candidates)} cases",
            subject=f"|{amb.source}:{amb.record_key}#{amb.item_no}",  # never the staged id (arrival order)
        )
        for amb in case.ambiguous
    ]


def named_other_conflicts(case: CaseDraft) -> list[ConflictDraft]:
    """One conflict per record of ``case`` that joined it (by a register or recommendation number)
    while naming someone other than the case's ASN, its identity not otherwise disputed: another
    registered ASN, or nobody in the registry (a steward decided the person it names is no ASN, on its
    identity conflict or by a link correction). Either way the record holds the case
    (:func:`~sbt_sync.reconcile.golden.status.identity_disputes`), and this conflict is the reason a
    steward sees and acts on: "keep" (the record belongs to the case) or a link correction moving or
    splitting it out.

    Its one candidate's value says the number the record joined by, the case's ASN and the ASN the
    record names (None: nobody), so a steward's decision reopens when the source names someone else
    again; when the source corrects the record to the case's ASN, or a steward moves it out, it is no
    longer raised and closes by itself.
    """
    if case.nip is None:
        return []
    rules = {link.staged_id: link.rule for link in case.links}
    raised: list[ConflictDraft] = []
    for r in sorted(case.records, key=SourceRecord.sort_key):
        if r.identity_dispute is not None or not r.names_person or r.nip == case.nip:
            continue
        rule = rules.get(r.staged_id)
        by_register = rule in ("register", "register_no")
        number = r.value("register_no") if by_register else r.value("recommendation_no")
        value = {"joined_by": rule, "number": number, "case_nip": case.nip, "named_nip": r.nip}
        raised.append(
            _conflict(
                ConflictKind.NAMED_OTHER, case.case_key, "link", [Candidate(r.source, value, r.staged_id)],
                reason=f"{r.source} record {r.record_key}#{r.item_no} names "
                + ("nobody in the registry" if r.nip is None else "another ASN than the case's"),
                subject=f"|{r.source}:{r.record_key}#{r.item_no}",
            )
        )  # fmt: skip
    return raised


def stated(conflict: ConflictDraft) -> str:
    """What the sources state now on ``conflict``, as its reopening reason says it: ``source=value``
    pairs; for ``named_other``, the ASN the record now names, its NIP masked (the reason shows on the
    queue, which names no one), or None for nobody."""
    if conflict.kind == ConflictKind.NAMED_OTHER:
        named = [c.value.get("named_nip") if isinstance(c.value, dict) else None for c in conflict.candidates]
        shown = [None if nip is None else mask_nip(str(nip)) for nip in named]
        return ", ".join(f"{c.source}={v!r}" for c, v in zip(conflict.candidates, shown, strict=True))
    return ", ".join(f"{c.source}={c.value!r}" for c in conflict.candidates)


def conflicts(case: CaseDraft, golden: Mapping[str, FieldValue]) -> list[ConflictDraft]:
    """Every conflict ``case`` raises with golden fields ``golden``, sorted by conflict key."""
    found = critical_conflicts(case) + lifecycle_conflicts(case, golden) + link_conflicts(case)
    found += named_other_conflicts(case)
    return sorted(found, key=lambda c: c.conflict_key)
