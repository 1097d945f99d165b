"""Linking phases 2 and 3: sanctions, follow-ups and complaints join the anchored cases.

Both phases read only the groups phase 1 (:mod:`link`) built, so the order records arrive in
does not matter; a record with several equally good candidates starts a case of its own and is noted
in ``LinkGroups.ambiguous``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sbt_sync.reconcile.golden.link_groups import RECOMMENDED, LinkGroups, instant
from sbt_sync.reconcile.golden.model import LinkRule, SourceRecord

COMPLAINT_WINDOW = (timedelta(days=7), timedelta(days=1))
"""A complaint precedes its register by at most 7 days (public reports are due within 7 days of the
event, DOMAIN.md) and follows it by at most 1 day."""
RECOMMENDATION_REACH = timedelta(days=90)
"""A case known only by its recommendation takes complaints up to 90 days before it (a complaint
precedes its register by days, a recommendation follows it within about 80)."""

_Target = tuple[int, datetime, datetime, datetime]
"""(group root, window start, window end, anchor instant)."""


def attach_sanctions(records: list[SourceRecord], groups: LinkGroups) -> None:
    """Join sanctions and follow-ups by recommendation number, else by NIP and time."""
    by_number: dict[tuple[str, str | None], int] = {}
    numbered: dict[str, set[int]] = defaultdict(set)
    by_nip: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for root in sorted(groups.members):
        for rec in groups.records(root, "recommendation"):
            by_number.setdefault((rec.recommendation_no or "", rec.nip), root)
            numbered[rec.recommendation_no or ""].add(root)
            day = rec.value("recommendation_date")
            if rec.nip and day and rec.value("verification_result") in RECOMMENDED:
                by_nip[rec.nip].append((root, str(day)[:10]))
    orphans: dict[tuple[str, str], list[SourceRecord]] = defaultdict(list)
    for r in records:
        joined: int | None = None
        if r.recommendation_no:
            only = numbered.get(r.recommendation_no, set())
            joined = by_number.get((r.recommendation_no, r.nip), min(only) if len(only) == 1 else None)
        if joined is not None:
            groups.members[joined].append((r, "recommendation_no"))
            continue
        day = str(r.value("sanction_date") or r.value("report_date") or "")[:10]
        roots = sorted({root for root, rec_day in by_nip.get(r.nip or "", []) if day and rec_day <= day})
        if len(roots) == 1:
            groups.members[roots[0]].append((r, "nip_time"))
        else:
            orphans[(r.recommendation_no or f"{r.source}:{r.record_key}", r.nip or "")].append(r)
            if roots:
                groups.ambiguous[r.staged_id] = tuple(roots)
    for _, members in sorted(orphans.items()):
        groups.new(members, "own_case")


def _complaint_targets(groups: LinkGroups) -> tuple[dict[str, list[_Target]], dict[str, list[_Target]]]:
    """Per NIP: cases with a register date, and cases known only by a recommendation date."""
    registered: dict[str, list[_Target]] = defaultdict(list)
    recommended: dict[str, list[_Target]] = defaultdict(list)
    for root in sorted(groups.members):
        nip = groups.anchor_nip(root)  # the case's ASN, whichever of its anchors names them
        found = groups.records(root, "finding")[:1]
        for f in found:
            at = instant(f.value("incident_at"))
            if nip and at is not None:
                registered[nip].append((root, at - COMPLAINT_WINDOW[0], at + COMPLAINT_WINDOW[1], at))
        recs = [] if found else groups.records(root, "recommendation")[:1]
        for rec in recs:
            at = instant(rec.value("recommendation_date"))
            if nip and at is not None:
                recommended[nip].append((root, at - RECOMMENDATION_REACH, at + timedelta(days=1), at))
    return registered, recommended


def attach_complaints(records: list[SourceRecord], groups: LinkGroups) -> None:
    """Join each complaint to the nearest case of its NIP registered within the window; failing
    that, to the nearest case of its NIP (known without a register) recommended within reach."""
    registered, recommended = _complaint_targets(groups)
    for r in records:
        at = instant(r.value("complaint_at"))
        near: list[tuple[timedelta, int]] = []
        rule: LinkRule = "complaint_window"
        indexes: tuple[tuple[dict[str, list[_Target]], LinkRule], ...] = (
            (registered, "complaint_window"),
            (recommended, "complaint_recommendation"),
        )
        for index, index_rule in indexes:
            near = sorted(
                (abs(anchor - at), root)
                for root, start, end, anchor in index.get(r.nip or "", [])
                if at is not None and start <= at <= end
            )
            if near:
                rule = index_rule
                break
        if near and (len(near) == 1 or near[0][0] < near[1][0]):
            groups.members[near[0][1]].append((r, rule))
            continue
        groups.new([r], "own_case")
        if near:
            groups.ambiguous[r.staged_id] = tuple(root for _, root in near)
