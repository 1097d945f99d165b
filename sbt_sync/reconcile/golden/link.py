"""Linking: which source records make up one case (one alleged violation by one ASN in one event).

Three phases, each reading only the outcome of the one before, so no input order matters:

1. Anchors. A Bawaslu finding is one (register, named ASN); a register naming several ASN gives
   several. Recommendations (bkn_wasdal, kasn) sharing a number and NIP are one; they join the finding
   of their register number and NIP (``register_no``; failing that, the register's one finding whose
   person is unidentified), else the one finding of their event and NIP
   (``nip_event``, narrowed by violation form when there are several: ``nip_event_form``).
   A finding of a stopped register (``dihentikan``) that nothing joins is no case.
2. Sanctions (idis) and follow-ups (kemendagri) join by recommendation number and NIP
   (``recommendation_no``), else the one case of their NIP recommended on or before the sanction
   (``nip_time``).
3. Complaints (kemenpanrb) join the case of their NIP whose register date lies within
   ``COMPLAINT_WINDOW`` of the complaint (and whose violation form matches, when the complaint names
   one); the nearest wins (``complaint_window``). A case known without its register (the Bawaslu
   row is missing or quarantined) takes a complaint of its NIP made within ``RECOMMENDATION_REACH``
   before its recommendation (``complaint_recommendation``).

A record with several equally good candidates is an :class:`AmbiguousLink` and starts a case of its own
(``own_case``), as does a record with none. Last, the stewards' corrections (:class:`LinkOverride`) move
a record to another record's case (``steward_move``), split it out into a case of its own
(``steward_split``) or merge two cases (``steward_merge``); a record a steward placed is no longer
ambiguous. Case keys come from the strongest anchor present
(``event|reg:register|nip``, ``event|rec:number|nip``, ``-|complaint:key``): see :func:`case_key`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sbt_sync.db.base import fitted_key
from sbt_sync.reconcile.golden.link_attach import attach_complaints, attach_sanctions
from sbt_sync.reconcile.golden.link_groups import STOPPED, Group, LinkGroups
from sbt_sync.reconcile.golden.model import (
    AmbiguousLink,
    CaseDraft,
    CaseLinkDraft,
    LinkOverride,
    LinkRule,
    SourceRecord,
)

LINK_FIELDS = (
    "record_type",
    "register_status",
    "violation_form",
    "verification_result",
    "recommendation_date",
    "sanction_date",
    "report_date",
    "incident_at",
    "complaint_at",
)
"""The fields of a record that linking reads (here and in :mod:`link_attach`), beside its keys (event,
register and recommendation numbers) and whom it names: what a steward's move, split or merge relies
on (:mod:`sbt_sync.reconcile.corrections`). A field linking starts to read belongs here."""


def _findings(records: list[SourceRecord], groups: LinkGroups) -> None:
    """One group per (register, NIP); a finding without NIP stands alone under its item number."""
    by_person: dict[tuple[str, str], list[SourceRecord]] = defaultdict(list)
    for r in records:
        who = r.nip or f"item{r.item_no}"
        by_person[(r.register_no or f"{r.source}:{r.record_key}", who)].append(r)
    for _, members in sorted(by_person.items()):
        groups.new(members, "register")


def _recommendations(records: list[SourceRecord], groups: LinkGroups) -> None:
    """Join recommendation groups to findings, or let them anchor cases of their own."""
    findings = {root: groups.records(root, "finding") for root in groups.members}
    by_register: dict[str, list[int]] = defaultdict(list)
    by_person: dict[tuple[str | None, str], list[int]] = defaultdict(list)
    for root, found in sorted(findings.items()):
        for f in found[:1]:
            by_register[f.register_no or ""].append(root)
            if f.nip and f.value("register_status") != STOPPED:
                by_person[(f.event_code, f.nip)].append(root)
    by_number: dict[tuple[str, str | None], list[SourceRecord]] = defaultdict(list)
    for r in records:
        by_number[(r.recommendation_no or f"{r.source}:{r.record_key}", r.nip)].append(r)
    for (_, nip), recs in sorted(by_number.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        register = min((r.register_no for r in recs if r.register_no), default=None)
        target: int | None = None
        rule: LinkRule = "recommendation_no"
        roots: list[int] = []
        if register is not None:
            on_register = by_register.get(register, [])
            roots = [root for root in on_register if groups.nip(root) == nip] if nip else on_register
            if nip and not roots:
                # No finding of the register carries this NIP: its one finding whose person is not
                # identified (a disputed or unknown NIP, a name only) is the same incident; joining
                # it lets that dispute hold the case instead of leaving it beside a blockable one.
                roots = [root for root in on_register if groups.nip(root) is None]
            if len(roots) == 1:
                target, rule = roots[0], "register_no"
        if target is None and nip:
            roots = by_person.get((recs[0].event_code, nip), [])
            forms = {r.value("violation_form") for r in recs}
            narrowed = [root for root in roots if findings[root][0].value("violation_form") in forms]
            if len(roots) == 1:
                target, rule = roots[0], "nip_event"
            elif len(narrowed) == 1:
                target, rule = narrowed[0], "nip_event_form"
            elif narrowed:
                roots = narrowed
        if target is not None:
            groups.members[target].extend((r, rule) for r in recs)
        else:
            groups.new(recs, "recommendation_no")
            if len(roots) > 1:
                # Named by its canonical first record, not the first to arrive: the conflict's key
                # follows from it, and the same records in another order must raise the same one.
                groups.ambiguous[min(recs, key=SourceRecord.sort_key).staged_id] = tuple(roots)


CASE_KEY_CHARS = 128
"""The width of ``cases.case_key``."""


def case_key(records: Iterable[SourceRecord], nip: str | None) -> str:
    """The deterministic key of a case from its strongest anchor: a finding's register, else a
    recommendation number, else a sanction's recommendation number, else the record's own key; one
    too long for its column ends in the SHA-256 of the whole (:func:`fitted_key`)."""
    return fitted_key(_anchor_key(records, nip), CASE_KEY_CHARS)


def _anchor_key(records: Iterable[SourceRecord], nip: str | None) -> str:
    ordered = sorted(records, key=SourceRecord.sort_key)
    who = nip or "-"
    for r in ordered:
        if r.record_type == "finding":
            return f"{r.event_code or '-'}|reg:{r.register_no}|{r.nip or f'item{r.item_no}'}"
    numbered = [r for r in ordered if r.recommendation_no]
    for kind in ("recommendation", "sanction", "follow_up"):
        for r in sorted(numbered, key=lambda r: (r.recommendation_no or "", r.staged_id)):
            if r.record_type == kind:
                return f"{r.event_code or '-'}|rec:{r.recommendation_no}|{who}"
    first = ordered[0]
    return f"-|{first.record_type}:{first.source}:{first.record_key}#{first.item_no}"


def _draft(group: Group, ambiguous: tuple[AmbiguousLink, ...], key: str) -> CaseDraft:
    ordered = sorted(group, key=lambda item: item[0].sort_key())
    records = tuple(r for r, _ in ordered)
    anchors = [r for r in records if r.record_type in ("finding", "recommendation")] or list(records)
    return CaseDraft(
        case_key=key,
        nip=min((r.nip for r in anchors if r.nip), default=None),
        event_code=min((r.event_code for r in records if r.event_code), default=None),
        records=records,
        links=tuple(
            CaseLinkDraft(r.staged_id, r.source, r.record_key, r.item_no, rule) for r, rule in ordered
        ),
        ambiguous=ambiguous,
    )


def _override(groups: LinkGroups, overrides: Iterable[LinkOverride]) -> None:
    """Apply the stewards' corrections in the order they were made; one whose records are not all
    there (withdrawn, or outside the records given) changes nothing."""
    for o in sorted(overrides, key=lambda o: o.order):
        owner = {r.staged_id: root for root, group in groups.members.items() for r, _ in group}
        source, target = owner.get(o.staged_id), owner.get(o.target_id) if o.target_id is not None else None
        if source is None or (o.kind != "split" and (target is None or target == source)):
            continue
        if o.kind == "merge":
            assert target is not None
            moved = groups.members.pop(source)
            groups.members[target].extend((r, "steward_merge") for r, _ in moved)
            for r, _ in moved:
                groups.ambiguous.pop(r.staged_id, None)
            continue
        group = groups.members[source]
        record = next(r for r, _ in group if r.staged_id == o.staged_id)
        group[:] = [(r, rule) for r, rule in group if r.staged_id != o.staged_id]
        groups.ambiguous.pop(o.staged_id, None)
        if o.kind == "split":
            groups.members[-o.order - 1] = [(record, "steward_split")]  # re-rooted below
        else:
            assert target is not None
            groups.members[target].append((record, "steward_move"))
        if not group:
            del groups.members[source]
    _reroot(groups)


def _reroot(groups: LinkGroups) -> None:
    """Key every group by its smallest staged id again, and point ambiguity at the groups that now
    hold the records that rooted its candidates."""
    owner: dict[int, int] = {}
    rerooted: dict[int, list[tuple[SourceRecord, LinkRule]]] = {}
    for group in groups.members.values():
        root = min(r.staged_id for r, _ in group)
        rerooted[root] = group
        owner.update((r.staged_id, root) for r, _ in group)
    groups.members = rerooted
    groups.ambiguous = {
        staged_id: tuple(sorted({owner[root] for root in roots if root in owner}))
        for staged_id, roots in groups.ambiguous.items()
        if staged_id in owner
    }


def link(records: Iterable[SourceRecord], overrides: Iterable[LinkOverride] = ()) -> list[CaseDraft]:
    """Link ``records`` into cases sorted by key; the same records in any order give the same cases.

    Every record is in at most one case; a record in none is a finding of a stopped register that
    nothing else joined. Duplicate keys (two anchors naming the same register and person cannot occur,
    since they share a group) are made unique by the smallest staged id.
    """
    ordered = sorted(records, key=SourceRecord.sort_key)
    kinds: dict[str, list[SourceRecord]] = defaultdict(list)
    for r in ordered:
        kinds[r.record_type].append(r)
    groups = LinkGroups()
    _findings(kinds["finding"], groups)
    _recommendations(kinds["recommendation"], groups)
    attach_sanctions(kinds["sanction"] + kinds["follow_up"], groups)
    attach_complaints(kinds["complaint"], groups)
    overrides = list(overrides)
    if overrides:
        _override(groups, overrides)
    live = {
        root: group
        for root, group in groups.members.items()
        if any(r.record_type != "finding" or r.value("register_status") != STOPPED for r, _ in group)
    }
    keys: dict[int, str] = {}
    for root in sorted(live):
        nip = min((r.nip for r, _ in live[root] if r.nip), default=None)
        key = case_key((r for r, _ in live[root]), nip)
        keys[root] = key if key not in keys.values() else f"{key}#{root}"
    owner = {r.staged_id: root for root, group in live.items() for r, _ in group}
    found: dict[int, list[AmbiguousLink]] = defaultdict(list)
    for staged_id, roots in sorted(groups.ambiguous.items()):
        r = next(r for r, _ in groups.members[owner[staged_id]] if r.staged_id == staged_id)
        candidates = tuple(sorted(keys[root] for root in roots if root in keys))
        found[owner[staged_id]].append(
            AmbiguousLink(staged_id, r.source, r.record_key, candidates, r.item_no)
        )
    drafts = [_draft(live[root], tuple(found[root]), keys[root]) for root in live]
    return sorted(drafts, key=lambda d: d.case_key)
