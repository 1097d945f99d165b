"""The enforcement policy as a pure function of the golden cases, the policy in ``sbt.yaml`` and a day.

For a recommended case (result ``terbukti``, or ``dibatalkan`` later) with R the recommendation date:
the PPK deadline is R + ``follow_up_days``; ``peringatan`` falls ``peringatan_after_days`` after the
deadline, ``teguran`` ``teguran_after_days`` after the peringatan and ``pemblokiran``
``pemblokiran_after_days`` after the teguran. The early warning, ``peringatan_dini``, falls
``peringatan_dini_days_before`` the deadline and fires only while the deadline is still ahead (a
recommendation first seen after it gets the peringatan instead). A step fires when its day is on or
before ``as_of`` and no end event (sanction recorded, recommendation annulled, ASN left service) is
dated on or before it. An end event known without its date ends the case as of ``as_of`` and fires
no step: it may predate every step, so nothing not sent before it became known is sent now (no
letter to a PPK who may have acted long ago, no block with its unblock on the same run); steps an
earlier run recorded stay in the history, and a block it recorded is lifted on ``as_of``. After a
fired pemblokiran, an end event gives ``buka_blokir`` on its date; an
end event dated before the block day of a case an earlier run blocked (``block_recorded``: the event
was reported late) gives ``buka_blokir`` on ``as_of``, the run that lifts the block; so does a case an
earlier run blocked whose recommendation the sources no longer state as proven.

The sanction is the one in force (the reconciliation's: the latest decision, a revision after an
objection included). A revision does not move the follow-up: the end event is the day since which a
sanction has been in force without a break (``sanction_on``), so a sanction reduced on objection never
makes a PPK late nor re-blocks anyone. A sanction annulled on objection leaves no sanction in force:
the reconciliation holds a proven case (never blocked, never escalated) until a steward decides whether
the recommendation still binds the PPK; a wrong block and a lost one weigh the same, so neither is
guessed. When the steward says it binds, the case escalates from its recommendation as one never
followed up (the steps fallen due fire, a block included); when they close it, it ends annulled. A case
that is held (an open critical conflict, or a disputed identity on any of its records: the input says
which and why) and has not ended takes no step but ``hold`` and is never blocked. A case that ended
after being held through its block day gets no ``pemblokiran`` and so no ``buka_blokir``: it was never
blocked, and the steps dated while it was held never went out (the input says since when
enforcement held it and whether it ever blocked it). An NIP is blocked
while any of its cases requires it. This is the rule the sandbox's ground truth applies
(``truth/README.md``, "enforcement.json").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from datetime import date, timedelta

from sbt_sync.enforce.model import (
    ESCALATING_RESULTS,
    BlockDecision,
    CaseOutcome,
    ControlStep,
    EnforcementCase,
    EnforcementPlan,
    Stage,
)
from sbt_sync.settings import EnforcementSettings
from sbt_sync.states.control import ControlAction

_QUIET_RESULTS: dict[str | None, Stage] = {"tidak_terbukti": "tidak_terbukti", "ditolak": "ditolak"}


def plan_enforcement(
    cases: Iterable[EnforcementCase], policy: EnforcementSettings, as_of: date
) -> EnforcementPlan:
    """Control steps per case and the desired block flag per NIP at ``as_of``.

    Deterministic: the same cases in any order give the same plan (outcomes sorted by case key).
    """
    outcomes = tuple(
        decide_case(case, policy, as_of) for case in sorted(cases, key=lambda c: (c.case_key, c.case_id))
    )
    return EnforcementPlan(as_of=as_of, outcomes=outcomes, blocks=_blocks(outcomes))


def decide_case(case: EnforcementCase, policy: EnforcementSettings, as_of: date) -> CaseOutcome:
    """One case's stage, hold, block requirement and control steps at ``as_of``."""
    result = case.verification_result
    if result not in ESCALATING_RESULTS:
        stage = _QUIET_RESULTS.get(result, "menunggu_verifikasi")
        if not case.block_recorded:
            return CaseOutcome(case, stage, False, False, (), None)
        # An earlier run blocked the case on a proven recommendation the sources no longer state
        # (corrected to not proven, rejected, withdrawn): the block is lifted by this run, say so.
        why = f"recommendation no longer proven (result now {result or 'unknown'})"
        return CaseOutcome(
            case, stage, False, False, (_step(case, ControlAction.BUKA_BLOKIR, as_of, why),), None
        )
    ended_on, why_ended, undated = _end(case, as_of)
    if case.held and ended_on is None:
        why = case.hold_reason or "open critical conflict"
        # A case blocked before it was held is blocked on no more (SIASN is unblocked unless another
        # case of the NIP blocks it): its hold says so instead of "never blocked".
        held = "held (its block lifted)" if case.block_recorded else "held (never blocked)"
        hold = _step(case, ControlAction.HOLD, as_of, f"{held} until a steward decides: {why}")
        return CaseOutcome(case, "ditahan", True, False, (hold,), None)
    # An end whose date is unknown may predate every step: none fires now (recorded ones stay).
    steps = [] if undated else list(_escalation(case, policy, as_of, ended_on))
    fired = {step.action for step in steps}
    blocking = ControlAction.PEMBLOKIRAN in fired and ended_on is None
    if ControlAction.PEMBLOKIRAN in fired and ended_on is not None:
        steps.append(_step(case, ControlAction.BUKA_BLOKIR, ended_on, why_ended))
    elif undated and case.block_recorded:
        # An earlier run blocked the case; when it ended is unknown, so it is unblocked by this run.
        steps.append(_step(case, ControlAction.BUKA_BLOKIR, as_of, why_ended))
    elif ended_on is not None and case.block_recorded:
        # An earlier run blocked the case; the end event, dated before the block day, became known
        # only since (a sanction uploaded late). SIASN is unblocked now, by this run: say so.
        late = f"{why_ended}, known only after the block: reported after it was applied"
        steps.append(_step(case, ControlAction.BUKA_BLOKIR, as_of, late))
    return CaseOutcome(case, _stage(case, fired, ended_on, blocking), False, blocking, tuple(steps), ended_on)


def _end(case: EnforcementCase, as_of: date) -> tuple[date | None, str, bool]:
    """The earliest end event on or before ``as_of``, its explanation, and whether an end event is
    known without its date; (None, "", False) when none.

    An end event known to have happened but without a date counts as of ``as_of``: nothing is left to
    enforce, and the unblock is not postponed for want of a date. Being undated, it may also predate
    every step, so the caller fires none (module docstring).
    """
    events: list[tuple[date, str]] = []
    undated: list[str] = []
    for known, day, what in (
        (case.sanction_recorded, case.sanction_on, _sanction_words(case)),
        (
            case.annulled or case.verification_result == "dibatalkan",
            case.annulled_on,
            "recommendation annulled",
        ),
        (case.left_service, case.left_service_on, "ASN left service"),
    ):
        if not known:
            continue
        if day is None:
            undated.append(f"{what} (date unknown, counted as of {as_of.isoformat()})")
        elif day <= as_of:
            events.append((day, f"{what} on {day.isoformat()}"))
    if undated:
        # Its day is unknown, perhaps earlier than a dated one's: the undated event is the one named.
        return as_of if not events else min(events)[0], undated[0], True
    if not events:
        return None, "", False
    ended_on, why = min(events)
    return ended_on, why, False


def _sanction_words(case: EnforcementCase) -> str:
    """How a recorded sanction is named in a step's reason: the one in force, and its revision."""
    if case.sanction_revised_on is None:
        return "sanction recorded"
    return (
        f"sanction recorded (in force: {case.sanction_code or '?'}, revised after objection on "
        f"{case.sanction_revised_on.isoformat()})"
    )


def _deadline(case: EnforcementCase, policy: EnforcementSettings) -> date | None:
    if case.recommendation_date is not None:
        return case.recommendation_date + timedelta(days=policy.follow_up_days)
    return case.follow_up_deadline


def _escalation(
    case: EnforcementCase, policy: EnforcementSettings, as_of: date, ended_on: date | None
) -> Iterable[ControlStep]:
    deadline = _deadline(case, policy)
    if deadline is None:
        return
    recommendation = case.recommendation_no or case.case_key
    early = early_warning_day(deadline, policy)
    if early is not None and early <= as_of < deadline and ended_on is None:
        nears = f"PPK follow-up deadline {deadline} of {recommendation} nears"
        yield _step(case, ControlAction.PERINGATAN_DINI, early, nears)
    peringatan = deadline + timedelta(days=policy.peringatan_after_days)
    teguran = peringatan + timedelta(days=policy.teguran_after_days)
    pemblokiran = teguran + timedelta(days=policy.pemblokiran_after_days)
    schedule: tuple[tuple[ControlAction, date, str], ...] = (
        (
            ControlAction.PERINGATAN,
            peringatan,
            f"PPK follow-up deadline {deadline} of {recommendation} passed",
        ),
        (
            ControlAction.TEGURAN,
            teguran,
            f"no sanction recorded {policy.teguran_after_days} days after the peringatan",
        ),
        (
            ControlAction.PEMBLOKIRAN,
            pemblokiran,
            f"no sanction recorded {policy.pemblokiran_after_days} days after the teguran",
        ),
    )
    for action, day, reason in schedule:
        if ended_on is not None and _held_through(case, day):
            continue  # held on the step's day, ended since: the step never went out (no block to undo)
        if day <= as_of and (ended_on is None or ended_on > day):
            yield _step(case, action, day, reason)


def _held_through(case: EnforcementCase, day: date) -> bool:
    """The case was held on ``day`` and enforcement never blocked it: a hold recorded on or before
    that day and no ``pemblokiran`` recorded. (Steps a run recorded while the hold was lifted stay in
    the history whatever this says: recorded actions are never deleted.)"""
    return case.held_since is not None and case.held_since <= day and not case.block_recorded


def early_warning_day(deadline: date, policy: EnforcementSettings) -> date | None:
    """The day of the early warning before ``deadline``; None when the policy sends none."""
    if policy.peringatan_dini_days_before is None:
        return None
    return deadline - timedelta(days=policy.peringatan_dini_days_before)


def _stage(
    case: EnforcementCase, fired: AbstractSet[ControlAction], ended_on: date | None, blocking: bool
) -> Stage:
    if blocking:
        return "diblokir"
    if ended_on is not None:
        if case.sanction_recorded:
            return "dijatuhi_hukuman"
        return (
            "dibatalkan"
            if case.annulled or case.verification_result == "dibatalkan"
            else "meninggalkan_dinas"
        )
    if ControlAction.TEGURAN in fired:
        return "teguran"
    return "peringatan" if ControlAction.PERINGATAN in fired else "menunggu_tindak_lanjut"


def _step(case: EnforcementCase, action: ControlAction, due_on: date, reason: str) -> ControlStep:
    return ControlStep(case.case_id, case.case_key, case.nip, action, due_on, reason)


def _blocks(outcomes: Iterable[CaseOutcome]) -> dict[str, BlockDecision]:
    by_nip: dict[str, list[CaseOutcome]] = defaultdict(list)
    for outcome in outcomes:
        if outcome.case.nip is not None:  # an unidentified ASN cannot be flagged in SIASN
            by_nip[outcome.case.nip].append(outcome)
    decisions: dict[str, BlockDecision] = {}
    for nip, group in sorted(by_nip.items()):
        blocking = sorted((o.case.case_key, o.case.case_id) for o in group if o.blocking)
        held = tuple(sorted(o.case.case_id for o in group if o.held))
        if blocking:
            reason = "PPK did not follow up the recommendation(s) of " + ", ".join(k for k, _ in blocking)
        elif held:
            reason = f"no case requires a block; {len(held)} case(s) held by conflicts or identity disputes"
        else:
            reason = "no case requires a block"
        decisions[nip] = BlockDecision(
            nip=nip,
            blocked=bool(blocking),
            blocking_case_ids=tuple(i for _, i in blocking),
            blocking_case_keys=tuple(k for k, _ in blocking),
            case_ids=tuple(sorted(o.case.case_id for o in group)),
            held_case_ids=held,
            reason=reason,
        )
    return decisions
