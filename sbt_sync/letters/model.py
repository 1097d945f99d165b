"""Which control steps become which letters: a pure function of the recorded steps and a day.

One letter per PPK (instansi), per step (peringatan dini, peringatan, teguran) and per day lists every
case of that PPK the step concerns. A recorded step gets no letter (it is ``skipped``, with a
reason code, :data:`SKIP_REASONS`) when its case has since reached a later letter step (that letter says
more; pemblokiran is no letter, so it never silences the last letter before it), when the case has ended
(a sanction recorded, the recommendation annulled or the ASN gone), when it is older than
``backfill_days`` (a first run over years of history), or when an early warning's deadline has already
come. A held case's steps wait, neither lettered nor skipped, until the hold ends: no step is taken on a
held case. A PPK that already has today's letter for a step gets the new cases in tomorrow's: letters are
never amended. An early warning that cannot wait (tomorrow is its deadline, when no early warning may go)
goes today in a follow-up letter (surat susulan) instead: it is never lost to the wait.

The policy puts the peringatan on the deadline day itself (DESIGN.md, Enforcement): the deadline is the
PPK's last day, so the early warning names that day and the peringatan says the deadline has come.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, timedelta

from sbt_sync.settings import EnforcementSettings, LetterSettings

STEP_ORDER = ("peringatan_dini", "peringatan", "teguran", "pemblokiran")
LETTER_STEPS = STEP_ORDER[:3]
NOTICE_STEP = "pemberitahuan"
"""A letter that answers for no control step: it tells a PPK enforcement resumed when no step letter
is left to tell it (:mod:`sbt_sync.letters.notices`)."""
ENDED_STATUSES = ("dijatuhi_hukuman", "dibatalkan", "tidak_terbukti", "ditolak", "asn_berhenti")
"""Case statuses after which no letter goes out for it (with a recorded sanction)."""
UNNAMED_INSTANSI = "(nama instansi belum tercatat)"
"""The addressee of a letter whose instansi no source names: words, never the bare SIASN code; such a
letter waits for a steward (held) before it goes."""
SKIP_REASONS = ("ended", "later_step", "too_old", "deadline_passed", "no_instansi")
"""Why a step got no letter, as ``letter_items.skipped`` stores it: a code, and for ``too_old``
``too_old:<due day>:<backfill days>``; the console words them (``letters.skip.<code>``)."""


@dataclass(frozen=True)
class StepCandidate:
    """A recorded control step that has no letter yet, with what its letter would say."""

    action_id: int
    action: str
    due_on: date
    case_id: int
    case_key: str
    nip: str | None
    name: str | None
    instansi_id: str | None
    instansi_name: str | None
    recommendation_no: str | None
    recommendation_date: date | None
    deadline: date | None
    sanction: str | None
    """The recommended sanction in words."""
    later_steps: frozenset[str]
    """Every other step recorded for the case."""
    ended: bool
    held: bool = False
    """An open conflict or identity dispute holds the case: its steps wait for the hold to end."""
    warned_by: str | None = None
    """For a teguran: the peringatan letter that reached the PPK for this case (number and day)."""
    inherited: tuple[str, ...] = ()
    """The letter steps the case went through while its ASN was of another instansi (a transfer), in
    words: what the new PPK inherits, told in its first letter for the case."""
    issuer: str | None = None
    """The body that issued the recommendation (``KASN`` before its dissolution, ``BKN`` since), as
    the golden case records it; the letter prints it beside the recommendation's number."""
    resumed: str | None = None
    """The recommendation's annulment was withdrawn and the PPK not told yet: why enforcement resumed,
    in the letter's words (:func:`resumed_words`); the letter tells it once."""
    reblocked_on: date | None = None
    """With ``resumed``: the day enforcement blocked the ASN again for this case (it had been blocked,
    then unblocked by the annulment); None when the case's block is not back."""


@dataclass(frozen=True)
class LetterCase:
    """One row of a letter's table."""

    case_key: str
    nip: str
    name: str
    recommendation_no: str
    recommendation_date: date | None
    sanction: str
    deadline: date | None
    next_step: str
    warned_by: str | None = None
    """For a teguran: the peringatan letter sent for this case, None when none went."""
    inherited: tuple[str, ...] = ()
    """Steps taken with another PPK before the ASN moved to this one (:class:`StepCandidate`)."""
    issuer: str | None = None
    """Who issued the recommendation (:attr:`StepCandidate.issuer`)."""
    resumed: str | None = None
    """Why enforcement of this case resumed (:attr:`StepCandidate.resumed`)."""


@dataclass(frozen=True)
class LetterPlan:
    """One letter to write: its PPK, step, day, cases and the control actions it answers for."""

    instansi_id: str
    instansi_name: str
    step: str
    letter_day: date
    cases: tuple[LetterCase, ...]
    action_ids: tuple[int, ...]
    follow_up: bool = False
    """A further letter of the same PPK, step and day (surat susulan): its cases could not wait."""
    notice_case_ids: tuple[int, ...] = ()
    """A notice (:data:`NOTICE_STEP`): the cases whose resumed enforcement it tells (no control action)."""


def mask_nip(nip: str | None, display: str) -> str:
    """A NIP as a letter shows it: ``full``, ``middle`` (first and last four digits) or ``last4``."""
    if not nip:
        return "(NIP tidak tercatat)"
    if display == "full" or len(nip) < 8:
        return nip
    if display == "last4":
        return "*" * (len(nip) - 4) + nip[-4:]
    return nip[:4] + "*" * (len(nip) - 8) + nip[-4:]


def next_step(
    step: str, deadline: date | None, policy: EnforcementSettings, letter_day: date | None = None
) -> str:
    """What happens if the PPK does nothing, in the letter's words (Bahasa Indonesia); a step whose day
    is already past at ``letter_day`` (a catch-up letter) is said to have begun."""
    if deadline is None:
        return "BKN akan melanjutkan pengendalian sesuai ketentuan."
    peringatan = deadline + timedelta(days=policy.peringatan_after_days)
    teguran = peringatan + timedelta(days=policy.teguran_after_days)
    blokir = teguran + timedelta(days=policy.pemblokiran_after_days)
    if step == "peringatan_dini":
        return f"Peringatan pada {_day(peringatan)}."
    if step == "peringatan":
        return f"Teguran pada {_day(teguran)}."
    if letter_day is not None and blokir <= letter_day:
        return f"Pemblokiran di SIASN sejak {_day(blokir)}."
    return f"Pemblokiran di SIASN pada {_day(blokir)}."


MONTHS = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]


def _day(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def tanggal(day: date | None) -> str:
    """A date as Indonesian letters write it (``3 Desember 2026``); a dash when unknown."""
    return _day(day) if day is not None else "-"


def resumed_words(annulled_on: date | None, withdrawn_on: date | None, *, reblocked: bool = False) -> str:
    """Why a closed case is pursued again, as a letter says it: the annulment of its recommendation
    (dated when known) was withdrawn, as enforcement recorded on ``withdrawn_on``; ``reblocked``: so
    the block the annulment had lifted is in force again."""
    annulled = f"dibatalkan pada {_day(annulled_on)}" if annulled_on else "sempat dibatalkan"
    withdrawn = f", tercatat {_day(withdrawn_on)}" if withdrawn_on else ""
    block = ", sehingga pemblokiran data kepegawaian ASN tersebut di SIASN diberlakukan kembali"
    return f"rekomendasi {annulled}; pembatalan tersebut telah ditarik{withdrawn}{block if reblocked else ''}"


def letter_case(c: StepCandidate, next_words: str, letters: LetterSettings) -> LetterCase:
    """``c`` as a row of its letter's table; ``next_words``: what happens next, in words."""
    return LetterCase(
        case_key=c.case_key,
        nip=mask_nip(c.nip, letters.nip_display),
        name=c.name or "(nama tidak tercatat)",
        recommendation_no=c.recommendation_no or "-",
        recommendation_date=c.recommendation_date,
        sanction=c.sanction or "-",
        deadline=c.deadline,
        next_step=next_words,
        warned_by=c.warned_by,
        inherited=c.inherited,
        issuer=c.issuer,
        resumed=c.resumed,
    )


def skip_reason(candidate: StepCandidate, letter_day: date, letters: LetterSettings) -> str | None:
    """Why ``candidate`` gets no letter (a code of :data:`SKIP_REASONS`), or None when it belongs in
    one. Only a later *letter* step supersedes a letter: a pemblokiran recorded with it leaves the
    PPK's last letter standing, so no ASN is blocked without a letter to the PPK."""
    later = LETTER_STEPS[LETTER_STEPS.index(candidate.action) + 1 :]
    if candidate.ended:
        return "ended"
    if any(step in candidate.later_steps for step in later):
        return "later_step"
    if candidate.due_on < letter_day - timedelta(days=letters.backfill_days):
        return f"too_old:{candidate.due_on.isoformat()}:{letters.backfill_days}"
    if (
        candidate.action == "peringatan_dini"
        and candidate.deadline is not None
        and candidate.deadline <= letter_day
    ):
        return "deadline_passed"
    if not candidate.instansi_id:
        return "no_instansi"
    return None


def cannot_wait(candidate: StepCandidate, letter_day: date) -> bool:
    """Whether a step due today would be lost by waiting for tomorrow's letter: an early warning whose
    deadline is tomorrow (on the deadline day it is skipped, ``deadline_passed``)."""
    return (
        candidate.action == "peringatan_dini"
        and candidate.deadline is not None
        and candidate.deadline <= letter_day + timedelta(days=1)
    )


def plan_letters(
    candidates: Iterable[StepCandidate],
    *,
    letter_day: date,
    policy: EnforcementSettings,
    letters: LetterSettings,
    lettered_today: AbstractSet[tuple[str, str]] = frozenset(),
) -> tuple[list[LetterPlan], dict[int, str]]:
    """The letters to write on ``letter_day`` and the control actions that get none (id -> why).

    ``lettered_today``: (instansi, step) pairs that already have this day's letter; their cases wait
    (neither planned nor skipped), but those that :func:`cannot_wait` go in a follow-up letter today.
    Deterministic: letters sorted by instansi then step, cases by key.
    """
    groups: dict[tuple[str, str, bool], list[StepCandidate]] = defaultdict(list)
    skipped: dict[int, str] = {}
    for candidate in candidates:
        if candidate.action not in LETTER_STEPS:
            continue
        if candidate.held and not candidate.ended:
            continue  # waits: no step is taken on a held case, and its letter may still be due after
        why = skip_reason(candidate, letter_day, letters)
        if why is not None:
            skipped[candidate.action_id] = why
        elif candidate.instansi_id is not None:
            follow_up = (candidate.instansi_id, candidate.action) in lettered_today
            if not follow_up or cannot_wait(candidate, letter_day):
                groups[(candidate.instansi_id, candidate.action, follow_up)].append(candidate)
    plans = []
    for (instansi_id, step, follow_up), members in sorted(
        groups.items(), key=lambda kv: (kv[0][0], LETTER_STEPS.index(kv[0][1]))
    ):
        members.sort(key=lambda c: c.case_key)
        names = sorted({c.instansi_name for c in members if c.instansi_name})
        cases = tuple(
            letter_case(c, next_step(step, c.deadline, policy, letter_day), letters) for c in members
        )
        plans.append(
            LetterPlan(
                instansi_id=instansi_id,
                instansi_name=names[0] if names else UNNAMED_INSTANSI,
                step=step,
                letter_day=letter_day,
                cases=cases,
                action_ids=tuple(c.action_id for c in members),
                follow_up=follow_up,
            )
        )
    return plans, skipped
