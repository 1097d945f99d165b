"""The I-MUT rules: pure functions from one personnel action (and its context) to findings.

Each rule returns a :class:`~sbt_sync.imut.model.Finding` or ``None``; :func:`evaluate` runs them all
for the election events of the deciding official's region. Readings the law leaves open, and the
choice made here:

- "Replacement of an official" (penggantian pejabat) is any of the six I-MUT actions whose post before
  or after is of a covered class; the decider must be a regional head (definitive, Pj or Plt). It is in
  the Pasal 71(2) window when decided in it, and also when signed before the window but taking effect
  within it (the official is replaced within the window; a breach whose reason says both dates, for a
  steward to weigh). The approval must still predate the decision.
- An approval counts only if dated *before* the decision (MA 570 K/TUN/PILKADA/2016; Minahasa Utara
  2024). One dated the same day is not dated before it, so it does not count either: a breach, whose
  reason says the approval is dated the same day (a steward confirms or dismisses every finding). One
  dated after is a breach and is shown in the finding. One without a letter number cannot be verified,
  so it does not count whatever its date: a breach whose reason says the date I-MUT sent and that the
  number is missing. One with a number but no date cannot be shown to predate the decision: a breach
  whose reason says the number I-MUT sent and that the date is missing (not "without approval").
- Reporting: day 1 is the first working day after the decision; reported on the 7th is on time. It
  applies to every action a regional head decides within the election's watch window (the Pasal 71(2)
  window through the end of the Pasal 162(3) window), whatever the post class.
- Possible retaliation covers demotion, removal from post, transfer and rotation, decided by the head
  of the ASN's own instansi within the watch window, of an ASN in a neutrality case known on or before
  the decision. Always ``investigate``. A regional head whose instansi I-MUT left blank is taken as
  the head of the ASN's instansi (a regional head decides moves in their own government only).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date

from sbt_sync.imut.elections import ANY_REGION, ElectionCalendar, ElectionEvent
from sbt_sync.imut.model import (
    ActionKind,
    BlockInterval,
    DateWindow,
    Disposition,
    Finding,
    NeutralityCaseRef,
    PersonnelAction,
    Rule,
)
from sbt_sync.imut.reasons import REGION_ASSUMED_PARAM
from sbt_sync.imut.workdays import WorkingDayCalendar

REPORTING_WORKING_DAYS = 7
BLOCKED_KINDS = frozenset(ActionKind)
"""Any move of a blocked NIP is a block breach (DESIGN, Enforcement)."""
ADVERSE_KINDS = frozenset({ActionKind.DEMOSI, ActionKind.PEMBERHENTIAN})
"""Moves that may be the disciplinary sanction itself (jenisHukuman 27 demotion, 28 freed from post),
whose imposition is what lifts a block: flagged while blocked, for a steward to check against I'DIS,
never as a breach."""
RETALIATION_KINDS = frozenset(
    {ActionKind.DEMOSI, ActionKind.PEMBERHENTIAN, ActionKind.MUTASI, ActionKind.ROTASI}
)


def watch_window(event: ElectionEvent) -> DateWindow:
    """From the start of the Pasal 71(2) window to the end of the Pasal 162(3) one (or of the term)."""
    ban = event.ban_window
    after = event.post_inauguration_window
    return DateWindow(ban.first, max(ban.last, after.last) if after else ban.last)


def concerns_election(action: PersonnelAction, event: ElectionEvent) -> bool:
    """Whether the action falls in the event's watch window: decided in it, or signed before the ban
    and taking effect within it (what the report counts as the election's actions)."""
    return action.decision_date in watch_window(event) or _takes_effect_within(
        Rule.PASAL_71_2, action, event.ban_window
    )


def pasal_71_2(action: PersonnelAction, event: ElectionEvent) -> Finding | None:
    """A covered replacement by a regional head in the ban window without an approval dated before it."""
    return _approval_rule(Rule.PASAL_71_2, "imut.basis.pasal_71_2", action, event, event.ban_window)


def pasal_162_3(action: PersonnelAction, event: ElectionEvent) -> Finding | None:
    """The same within 6 months of inauguration (``None`` while the inauguration date is unknown)."""
    window = event.post_inauguration_window
    if window is None:
        return None
    return _approval_rule(Rule.PASAL_162_3, "imut.basis.pasal_162_3", action, event, window)


def late_reporting(
    action: PersonnelAction, event: ElectionEvent, *, workdays: WorkingDayCalendar, as_of: date
) -> Finding | None:
    """An action not reported to Kemendagri within 7 working days of its decision.

    Unreported and still within the deadline on ``as_of``: no finding yet. The finding is provisional
    when a year the deadline spans has no decreed cuti bersama yet (the deadline can only move later).
    """
    window = watch_window(event)
    if not action.decided_by.is_regional_head or action.decision_date not in window:
        return None
    deadline = workdays.add_working_days(action.decision_date, REPORTING_WORKING_DAYS)
    reported = action.reported_on
    if reported is not None and reported <= deadline:
        return None
    if reported is None and as_of <= deadline:
        return None
    params = {"decision_date": action.decision_date.isoformat(), "deadline": deadline.isoformat()}
    if reported is None:
        key = "imut.reason.reporting_missing"
        params["as_of"] = as_of.isoformat()
        horizon = as_of
    else:
        key = "imut.reason.reporting_late"
        params["reported_on"] = reported.isoformat()
        params["working_days"] = str(workdays.working_days_after(action.decision_date, reported))
        horizon = reported
    unconfirmed = [
        year for year in range(action.decision_date.year, horizon.year + 1) if not workdays.confirmed(year)
    ]
    evidence = {**_decision_evidence(action), "deadline": deadline.isoformat(), "as_of": as_of.isoformat()}
    if unconfirmed:
        evidence["unconfirmed_years"] = ",".join(map(str, unconfirmed))
    return Finding(
        rule=Rule.REPORTING_7_DAYS,
        action_id=action.action_id,
        disposition=Disposition.BREACH,
        basis_key="imut.basis.reporting",
        reason_key=key,
        reason_params=params,
        event_id=event.event_id,
        window=window,
        evidence=evidence,
        provisional=bool(unconfirmed),
    )


def block_breach(action: PersonnelAction, blocks: Sequence[BlockInterval]) -> Finding | None:
    """Any move decided or effective on a day SIASN held the NIP blocked. While blocked, personnel
    services stop (DOMAIN); signing the SK is the service, so an SK signed while blocked is a breach
    whatever its TMT (backdated, or after the unblock), and so is an SK signed before the block that
    takes effect while blocked. ``evidence["blocked_on"]`` says which date fell in a block:
    ``decision``, ``effective`` or ``decision,effective``; the block cited is the one the move took
    effect in, else the one it was decided in (a block lifted and placed again is two blocks).
    A demotion or removal from post may be the sanction that lifts the block: ``investigate``."""
    if action.kind not in BLOCKED_KINDS:
        return None
    dates = {"decision": action.decision_date, "effective": action.effective_date}
    hits = {
        name: sorted((b for b in blocks if b.covers(day)), key=lambda b: b.start)
        for name, day in dates.items()
    }
    if not hits["decision"] and not hits["effective"]:
        return None
    block = (hits["effective"] or hits["decision"])[0]
    blocked_on = [name for name, found in hits.items() if found]
    params = {
        "action": action.kind.value,
        "effective_date": action.effective_date.isoformat(),
        "block_start": block.start.isoformat(),
    }
    adverse = action.kind in ADVERSE_KINDS
    key = "imut.reason.block_adverse" if adverse else "imut.reason.block_breach"
    if adverse or not hits["effective"]:
        params["decision_date"] = action.decision_date.isoformat()
    if not adverse and not hits["effective"]:
        key = "imut.reason.block_breach_decided"
    return Finding(
        rule=Rule.BLOCK_BREACH,
        action_id=action.action_id,
        disposition=Disposition.INVESTIGATE if adverse else Disposition.BREACH,
        basis_key="imut.basis.block_breach",
        reason_key=key,
        reason_params=params,
        evidence={
            **_decision_evidence(action),
            "blocked_on": ",".join(blocked_on),
            "block_start": block.start.isoformat(),
            "block_end": block.end.isoformat() if block.end else "",
            "block_reference": block.reference,
        },
    )


def possible_retaliation(
    action: PersonnelAction, event: ElectionEvent, cases: Sequence[NeutralityCaseRef]
) -> Finding | None:
    """A demotion, removal or transfer of an ASN in a neutrality case, by their instansi's head, in
    the watch window: flagged for BKN's investigation, never a decision."""
    window = watch_window(event)
    if action.kind not in RETALIATION_KINDS or not _decided_by_own_head(action):
        return None
    if action.decision_date not in window:
        return None
    known = sorted(
        (c for c in cases if c.known_since <= action.decision_date), key=lambda c: (c.known_since, c.case_id)
    )
    if not known:
        return None
    case = known[0]
    return Finding(
        rule=Rule.POSSIBLE_RETALIATION,
        action_id=action.action_id,
        disposition=Disposition.INVESTIGATE,
        basis_key="imut.basis.possible_retaliation",
        reason_key="imut.reason.possible_retaliation",
        reason_params={
            "action": action.kind.value,
            "case_id": case.case_id,
            "known_since": case.known_since.isoformat(),
            "decision_date": action.decision_date.isoformat(),
            **_window_params(event, window),
        },
        event_id=event.event_id,
        window=window,
        evidence={**_decision_evidence(action), "case_ids": ",".join(c.case_id for c in known)},
    )


def _decided_by_own_head(action: PersonnelAction) -> bool:
    """Whether the decider heads the ASN's instansi: as I-MUT says, or, where it left the decider's
    instansi blank, a regional head (who decides moves in their own government only)."""
    head = action.decided_by.heads_instansi_id
    if head is None:
        return action.decided_by.is_regional_head and bool(action.instansi_id)
    return head == action.instansi_id


def evaluate(
    action: PersonnelAction,
    *,
    elections: ElectionCalendar,
    workdays: WorkingDayCalendar,
    blocks: Mapping[str, Sequence[BlockInterval]],
    cases: Mapping[str, Sequence[NeutralityCaseRef]],
    as_of: date,
) -> tuple[Finding, ...]:
    """Every finding on one action: the election rules per event of the decider's region, and the
    block rule. ``blocks`` and ``cases`` are keyed by NIP.

    A decider who governs no region (a minister, a head of a central agency) is held to the
    retaliation rule against every event's national (``*``) row: DESIGN puts no regional limit on
    moves against ASN in neutrality cases. The regional-head rules do not concern them.

    A regional head whose region I-MUT left blank is held to every rule against the events'
    national (``*``) rows, the rows of every region without its own; their findings say so
    (``evidence["region_assumed"]``), for a steward to check against the region's own dates."""
    found: list[Finding | None] = [block_breach(action, blocks.get(action.nip, ()))]
    region = action.decided_by.region_code
    own_cases = cases.get(action.nip, ())
    assumed = region is None and action.decided_by.is_regional_head
    if region is None and not assumed:
        found += [possible_retaliation(action, event, own_cases) for event in elections.national_events()]
    for event in election_events(action, elections):
        found += [
            _assumed(finding) if assumed and finding is not None else finding
            for finding in (
                pasal_71_2(action, event),
                pasal_162_3(action, event),
                late_reporting(action, event, workdays=workdays, as_of=as_of),
                possible_retaliation(action, event, own_cases),
            )
        ]
    return tuple(f for f in found if f is not None)


def election_events(action: PersonnelAction, elections: ElectionCalendar) -> tuple[ElectionEvent, ...]:
    """The events whose election rules judge the action: its decider's region's, or the national
    (``*``) rows for a regional head whose region I-MUT left blank; none for other deciders."""
    region = action.decided_by.region_code
    if region is None and action.decided_by.is_regional_head:
        return elections.national_events()
    return elections.events_for(region)


def _assumed(finding: Finding) -> Finding:
    """A finding judged by the national (``*``) row because I-MUT left the region blank."""
    return dataclasses.replace(
        finding,
        reason_params={**finding.reason_params, REGION_ASSUMED_PARAM: ANY_REGION},
        evidence={**finding.evidence, "region_assumed": ANY_REGION},
    )


def _takes_effect_within(rule: Rule, action: PersonnelAction, window: DateWindow) -> bool:
    """A replacement signed before the ban that takes effect within it: the official is replaced
    within the window (an SK dated just before the ban is also how the ban is dodged)."""
    return rule is Rule.PASAL_71_2 and action.decision_date < window.first and action.effective_date in window


def _approval_rule(
    rule: Rule, basis_key: str, action: PersonnelAction, event: ElectionEvent, window: DateWindow
) -> Finding | None:
    post = action.covered_post
    if post is None or not action.decided_by.is_regional_head:
        return None
    effective_only = _takes_effect_within(rule, action, window)
    if action.decision_date not in window and not effective_only:
        return None
    approval = action.approval
    if (
        approval is not None
        and approval.letter_no
        and approval.letter_date is not None
        and approval.letter_date < action.decision_date
    ):
        return None
    params = {
        "action": action.kind.value,
        "post_class": post.post_class.value,
        "role": action.decided_by.role.value,
        "decision_date": action.decision_date.isoformat(),
        **_window_params(event, window),
    }
    evidence = _decision_evidence(action)
    if effective_only:
        params["effective_date"] = action.effective_date.isoformat()
        evidence["in_window"] = "effective"
    if effective_only and approval is None:
        key, disposition = "imut.reason.window_effective_no_approval", Disposition.BREACH
    elif approval is None:
        key, disposition = "imut.reason.window_no_approval", Disposition.BREACH
    else:
        if effective_only:
            key = "imut.reason.window_effective_approval"
        elif approval.letter_date is None:
            key = "imut.reason.window_approval_undated"
        elif not approval.letter_no:
            key = "imut.reason.window_approval_unnumbered"
        elif approval.letter_date == action.decision_date:
            key = "imut.reason.window_approval_same_day"
        else:
            key = "imut.reason.window_approval_after"
        disposition = Disposition.BREACH
        letter_date = approval.letter_date.isoformat() if approval.letter_date else ""
        params |= {"letter_no": approval.letter_no, "letter_date": letter_date}
        if effective_only:  # the letter as sent, a missing part said as "-"
            params |= {"letter_no": approval.letter_no or "-", "letter_date": letter_date or "-"}
        evidence |= {"approval_letter_no": approval.letter_no, "approval_date": letter_date}
    return Finding(
        rule=rule,
        action_id=action.action_id,
        disposition=disposition,
        basis_key=basis_key,
        reason_key=key,
        reason_params=params,
        event_id=event.event_id,
        window=window,
        evidence=evidence,
    )


def _window_params(event: ElectionEvent, window: DateWindow) -> dict[str, str]:
    last = "?" if window.last == date.max else window.last.isoformat()
    return {"window_first": window.first.isoformat(), "window_last": last, "event": event.event_name}


def _decision_evidence(action: PersonnelAction) -> dict[str, str]:
    return {
        "decision_no": action.decision_no,
        "decision_date": action.decision_date.isoformat(),
        "effective_date": action.effective_date.isoformat(),
        "reported_on": action.reported_on.isoformat() if action.reported_on else "",
    }
