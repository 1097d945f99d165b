"""Drafting letters from the recorded control steps: numbered, rendered to PDF, stored with the PDF's
sha256 and queued in the notification outbox, all in the caller's transaction.

The choice of letters is :func:`sbt_sync.letters.model.plan_letters` (pure); this module reads its
inputs from the database and writes its result. Every control action gets one ``letter_items`` row
(its letter, or why none), so a re-run finds nothing new and drafts nothing.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased

from sbt_sync.db.base import utcnow
from sbt_sync.db.models import (
    AsnRegistryEntry,
    Case,
    CaseAnnulment,
    CaseLink,
    ControlAction,
    StagedRecord,
)
from sbt_sync.db.models.letters import (
    Letter,
    LetterItem,
    LetterStep,
    MailState,
    NotificationOutboxEntry,
    PicAddress,
)
from sbt_sync.letters.context import HAL, letter_context
from sbt_sync.letters.facts import check_templates
from sbt_sync.letters.model import (
    ENDED_STATUSES,
    LETTER_STEPS,
    NOTICE_STEP,
    UNNAMED_INSTANSI,
    LetterPlan,
    StepCandidate,
    plan_letters,
    tanggal,
)
from sbt_sync.letters.notices import plan_notices
from sbt_sync.letters.numbering import format_number, lock_drafting, next_seq
from sbt_sync.letters.render import DEFAULT_TEMPLATES, html_to_pdf, render_html, template_environment
from sbt_sync.letters.resumed import untold_withdrawals
from sbt_sync.notify.message import STEP_TITLES, message_id, subject
from sbt_sync.notify.queue import NAME_UNKNOWN, enqueue, moved_letter_ids, partly_delivered_letters
from sbt_sync.settings import Settings
from schemas.reference import sanction_by_id

NAMED_BY_SOURCE = ("bawaslu", "kasn", "kemenpanrb", "kemendagri")
"""Feeds whose records write the ASN's instansi by name (the others by its SIASN id)."""


@dataclass
class DraftReport:
    """What one drafting run wrote (letter numbers and counts; no personal data)."""

    letter_day: str
    dry_run: bool = False
    letters: int = 0
    cases: int = 0
    by_step: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    skipped_reasons: dict[str, int] = field(default_factory=dict)
    queued: dict[str, int] = field(default_factory=dict)
    """Outbox rows by state: pending, held (reviewed mode), parked (no PIC address)."""
    numbers: list[str] = field(default_factory=list)
    planned: list[dict[str, Any]] = field(default_factory=list)
    """In a dry run: each letter that would be written (instansi, step, cases)."""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def load_candidates(session: Session, settings: Settings) -> list[StepCandidate]:
    """Every letter step recorded in ``control_actions`` without a ``letter_items`` row yet, or whose
    letter was parked unsent because its cases moved to another instansi before it went
    (:data:`sbt_sync.notify.queue.CASES_MOVED`): the step is lettered again, for the PPK of now.

    A step whose letter some PIC of its PPK had received before its case moved to another instansi
    (the letter's delivery still under way, :func:`sbt_sync.notify.queue.partly_delivered_letters`)
    is lettered again for the case's PPK of now, once (while it has no place in another letter): the
    old PPK has it, the new one must get it too. Its place in the old letter stays, as a record of
    what the old PPK received; the steps of the cases that stayed are not lettered again."""
    moved = moved_letter_ids(session)
    unlettered = LetterItem.id.is_(None)
    rows = session.execute(
        select(ControlAction, Case)
        .join(Case, Case.id == ControlAction.case_id)
        .outerjoin(LetterItem, LetterItem.control_action_id == ControlAction.id)
        .where(
            ControlAction.action.in_(LETTER_STEPS),
            (unlettered | LetterItem.letter_id.in_(moved)) if moved else unlettered,
        )
        .order_by(ControlAction.id)
    ).all()
    steps = [(_Step(a.id, a.action, a.due_on), c) for a, c in rows]
    partly = partly_delivered_letters(session)
    if not partly:
        return _candidates(session, settings, steps)
    other = aliased(LetterItem)
    again = session.execute(
        select(ControlAction, Case, LetterItem.letter_id)
        .join(Case, Case.id == ControlAction.case_id)
        .join(LetterItem, LetterItem.control_action_id == ControlAction.id)
        .where(
            ControlAction.action.in_(LETTER_STEPS),
            LetterItem.letter_id.in_(list(partly)),
            ~select(other.id)
            .where(other.control_action_id == ControlAction.id, other.id != LetterItem.id)
            .exists(),
        )
        .order_by(ControlAction.id)
    ).all()
    old_ppk = {a.id: partly[letter_id] for a, _, letter_id in again}
    candidates = _candidates(
        session, settings, steps + [(_Step(a.id, a.action, a.due_on), c) for a, c, _ in again]
    )
    # only the cases now of another instansi (one nothing places now stays with the letter it is in)
    return [
        c
        for c in candidates
        if c.action_id not in old_ppk or c.instansi_id not in (None, old_ppk[c.action_id])
    ]


def load_notice_candidates(
    session: Session, settings: Settings, letter_day: date, pending: AbstractSet[int]
) -> list[StepCandidate]:
    """The cases whose withdrawn annulment no letter has told yet and no letter step is left to tell:
    their teguran is recorded (pemblokiran is no letter) and none of their steps waits for a letter
    (``pending``: case ids of :func:`load_candidates`). Each becomes a ``pemberitahuan`` candidate
    dated the day enforcement found the withdrawal (:mod:`sbt_sync.letters.notices`)."""
    teguran = select(ControlAction.case_id).where(ControlAction.action == LetterStep.TEGURAN)
    rows = session.execute(
        select(CaseAnnulment.withdrawn_on, Case)
        .join(Case, Case.id == CaseAnnulment.case_id)
        .where(
            CaseAnnulment.withdrawn_at.is_not(None),
            CaseAnnulment.letter_id.is_(None),
            Case.id.in_(teguran),
        )
        .order_by(CaseAnnulment.id)
    ).all()
    steps = {
        case.id: (_Step(0, NOTICE_STEP, withdrawn_on or letter_day), case)
        for withdrawn_on, case in rows
        if case.id not in pending
    }
    return _candidates(session, settings, list(steps.values()))


@dataclass(frozen=True)
class _Step:
    """What a candidate needs of its control action (a notice has none: id 0)."""

    id: int
    action: str
    due_on: date


def _candidates(session: Session, settings: Settings, rows: list[tuple[_Step, Case]]) -> list[StepCandidate]:
    if not rows:
        return []
    case_ids = sorted({case.id for _, case in rows})
    steps: dict[int, set[str]] = defaultdict(set)
    for start in range(0, len(case_ids), 1000):
        query = select(ControlAction.case_id, ControlAction.action).where(
            ControlAction.case_id.in_(case_ids[start : start + 1000])
        )
        for case_id, action in session.execute(query):
            steps[case_id].add(action)
    people = _registry(session, {case.nip for _, case in rows if case.nip})
    instansi_ids = {case.instansi_id for _, case in rows if case.instansi_id}
    instansi_ids |= {person[1] for person in people.values()}
    named = _instansi_names(session, instansi_ids)
    written = _written_instansi(session, case_ids)
    earlier = _letters_sent(session, case_ids)
    resumed = untold_withdrawals(session, [(case.id, case.nip) for _, case in rows])
    sanctions = {str(code.id): code.nama.capitalize() for code in sanction_by_id().values()}
    follow_up = timedelta(days=settings.enforcement.follow_up_days)
    candidates = []
    for action, case in rows:
        person = people.get(case.nip or "")
        instansi_id = case.instansi_id or (person[1] if person else None)
        # The registry's name of the PPK's instansi (the ASN's own entry, another member's), else the
        # name an admin gave with its PIC addresses, else the name the case's source records wrote: a
        # letter never names its PPK by a bare code.
        instansi_name = (
            (person[2] if person and person[1] == instansi_id else None)
            or named.get(instansi_id or "")
            or written.get(case.id)
        )
        deadline = (
            case.recommendation_date + follow_up if case.recommendation_date else case.follow_up_deadline
        )
        # a notice follows every letter step: what went to another PPK before a transfer is inherited
        inherited_upto = LetterStep.TEGURAN if action.action == NOTICE_STEP else action.action
        candidates.append(
            StepCandidate(
                action_id=action.id,
                action=action.action,
                due_on=action.due_on,
                case_id=case.id,
                case_key=case.case_key,
                nip=case.nip,
                name=person[0] if person else None,
                instansi_id=instansi_id,
                instansi_name=instansi_name,
                recommendation_no=case.recommendation_no,
                recommendation_date=case.recommendation_date,
                deadline=deadline,
                sanction=sanctions.get(case.recommended_sanction or "", case.recommended_sanction),
                later_steps=frozenset(steps[case.id] - {action.action}),
                ended=case.sanction_imposed is not None or case.status in ENDED_STATUSES,
                held=bool(case.held),
                warned_by=_warned_by(earlier.get(case.id, []), instansi_id)
                if action.action == "teguran"
                else None,
                inherited=_inherited(earlier.get(case.id, []), instansi_id, inherited_upto),
                issuer=_issuer(case.golden),
                resumed=resumed[case.id][0] if case.id in resumed else None,
                reblocked_on=resumed[case.id][1] if case.id in resumed else None,
            )
        )
    return candidates


def _issuer(golden: dict[str, Any] | None) -> str | None:
    """The recommending body the golden case records (``KASN``, ``BKN``), upper case; None if none."""
    body = str((golden or {}).get("recommending_body") or "").strip()
    return body.upper() or None


@dataclass(frozen=True)
class SentLetter:
    """A letter step that reached a PPK for a case."""

    step: str
    instansi_id: str
    instansi_name: str
    number: str
    day: date


def _warned_by(sent: list[SentLetter], instansi_id: str | None) -> str | None:
    """The last peringatan mailed for the case to this PPK (``nomor ... tanggal ...``): what its
    teguran may say went before it. One mailed to another PPK (before a transfer) is not: this PPK was
    never warned by it."""
    own = [x for x in sent if x.step == "peringatan" and x.instansi_id == instansi_id]
    return f"{own[-1].number} tanggal {tanggal(own[-1].day)}" if own else None


def _inherited(sent: list[SentLetter], instansi_id: str | None, step: str) -> tuple[str, ...]:
    """The steps mailed for the case to other PPKs (the ASN moved since), in the words the new PPK's
    letter tells them; empty when every step went to this PPK."""
    if instansi_id is None:
        return ()
    return tuple(
        f"{STEP_TITLES[x.step]} dengan surat nomor {x.number} tanggal {tanggal(x.day)} kepada "
        f"Pejabat Pembina Kepegawaian {x.instansi_name}"
        for x in sent
        if x.instansi_id != instansi_id and LETTER_STEPS.index(x.step) <= LETTER_STEPS.index(step)
    )


def _letters_sent(session: Session, case_ids: list[int]) -> dict[int, list[SentLetter]]:
    """Case id -> the letters mailed for it, oldest first. A letter drafted but never sent does not
    count; one that a PIC received counts, even while another PIC's refusal is parked."""
    found: dict[int, list[SentLetter]] = defaultdict(list)
    for start in range(0, len(case_ids), 1000):
        query = (
            select(
                LetterItem.case_id,
                Letter.step,
                Letter.instansi_id,
                Letter.instansi_name,
                Letter.number,
                Letter.letter_date,
            )
            .join(Letter, Letter.id == LetterItem.letter_id)
            .join(NotificationOutboxEntry, NotificationOutboxEntry.letter_id == Letter.id)
            .where(
                LetterItem.case_id.in_(case_ids[start : start + 1000]),
                # sent, or a PIC has it while another PIC's refusal is parked
                (NotificationOutboxEntry.state == MailState.SENT)
                | NotificationOutboxEntry.sent_at.is_not(None),
            )
            .order_by(Letter.letter_date, Letter.id)
        )
        for case_id, step, instansi_id, instansi_name, number, day in session.execute(query).tuples():
            found[case_id].append(SentLetter(step, instansi_id, instansi_name, number, day))
    return found


def _instansi_names(session: Session, ids: set[str]) -> dict[str, str]:
    """Instansi id -> its name in the registry mirror (any member's entry), else as an admin gave it
    with the instansi's PIC addresses."""
    wanted = sorted(ids)
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        configured = (
            select(PicAddress.instansi_id, func.max(PicAddress.instansi_name))
            .where(PicAddress.instansi_id.in_(chunk))
            .group_by(PicAddress.instansi_id)
        )
        registry = (
            select(AsnRegistryEntry.instansi_id, func.min(AsnRegistryEntry.instansi_name))
            .where(AsnRegistryEntry.instansi_id.in_(chunk))
            .group_by(AsnRegistryEntry.instansi_id)
        )
        for query in (configured, registry):  # the registry's name wins
            found.update({i: n for i, n in session.execute(query).tuples() if n and n.strip() and n != i})
    return found


def _written_instansi(session: Session, case_ids: list[int]) -> dict[int, str]:
    """Case id -> the instansi as its linked source records wrote it by name (the most frequent)."""
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for start in range(0, len(case_ids), 1000):
        query = (
            select(CaseLink.case_id, StagedRecord.instansi)
            .join(StagedRecord, StagedRecord.id == CaseLink.staged_record_id)
            .where(
                CaseLink.case_id.in_(case_ids[start : start + 1000]),
                CaseLink.unlinked_at.is_(None),
                StagedRecord.source.in_(NAMED_BY_SOURCE),
                StagedRecord.instansi.is_not(None),
            )
        )
        for case_id, written in session.execute(query).tuples():
            if written and written.strip():
                counts[case_id][" ".join(written.split())] += 1
    return {case_id: c.most_common(1)[0][0] for case_id, c in counts.items()}


def _registry(session: Session, nips: set[str]) -> dict[str, tuple[str, str, str]]:
    """NIP -> (name with titles, instansi id, instansi name) from the registry mirror."""
    wanted = sorted(nips)
    found: dict[str, tuple[str, str, str]] = {}
    for start in range(0, len(wanted), 1000):
        query = select(
            AsnRegistryEntry.nip,
            AsnRegistryEntry.name,
            AsnRegistryEntry.front_title,
            AsnRegistryEntry.back_title,
            AsnRegistryEntry.instansi_id,
            AsnRegistryEntry.instansi_name,
        ).where(AsnRegistryEntry.nip.in_(wanted[start : start + 1000]))
        for nip, name, front, back, instansi_id, instansi_name in session.execute(query):
            full = " ".join(part for part in (front, name) if part) + (f", {back}" if back else "")
            found[nip] = (full, instansi_id, instansi_name)
    return found


def draft_letters(
    session: Session,
    settings: Settings,
    letter_day: date,
    *,
    run_id: str | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
) -> DraftReport:
    """Write (or, ``dry_run``, only list) the letters of ``letter_day`` in the caller's transaction."""
    now = now or utcnow()
    letters_cfg = settings.notify.letters
    report = DraftReport(letter_day=letter_day.isoformat(), dry_run=dry_run)
    if not dry_run:
        lock_drafting(session)  # before reading: a drafter racing this one would plan the same letters
    earlier: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    query = select(Letter.instansi_id, Letter.step, Letter.part, Letter.number).where(
        Letter.letter_date == letter_day
    )
    for instansi_id, step, part, number in session.execute(query.order_by(Letter.part)).tuples():
        earlier[(instansi_id, step)].append((part, number))
    lettered_today = set(earlier)
    candidates = load_candidates(session, settings)
    plans, skipped = plan_letters(
        candidates,
        letter_day=letter_day,
        policy=settings.enforcement,
        letters=letters_cfg,
        lettered_today=lettered_today,
    )
    pending = {c.case_id for c in candidates}
    plans += plan_notices(
        load_notice_candidates(session, settings, letter_day, pending),
        letter_day=letter_day,
        policy=settings.enforcement,
        letters=letters_cfg,
        lettered_today=lettered_today,
    )
    report.skipped = len(skipped)
    for why in skipped.values():
        report.skipped_reasons[why] = report.skipped_reasons.get(why, 0) + 1
    for plan in plans:
        report.letters += 1
        report.cases += len(plan.cases)
        report.by_step[plan.step] = report.by_step.get(plan.step, 0) + 1
    if dry_run:
        report.planned = [
            {"instansi_id": p.instansi_id, "step": p.step, "cases": [c.case_key for c in p.cases]}
            for p in plans
        ]
        return report
    moved = moved_letter_ids(session)
    relettered = (
        {
            i.control_action_id: i
            for i in session.scalars(select(LetterItem).where(LetterItem.letter_id.in_(moved)))
        }
        if moved
        else {}
    )
    cases_of_action = (
        dict(
            session.execute(
                select(ControlAction.id, ControlAction.case_id).where(ControlAction.id.in_(list(skipped)))
            )
            .tuples()
            .all()
        )
        if skipped
        else {}
    )
    for action_id, why in skipped.items():
        _place(
            session, relettered, action_id, cases_of_action[action_id], letter_id=None, skipped=why, now=now
        )
    if not plans:
        return report
    folder = letter_templates(settings)
    environment = template_environment(folder)
    check_templates(environment, [plan.step for plan in plans], folder)  # a fact left out: refuse
    for plan in plans:
        before = earlier[(plan.instansi_id, plan.step)] if plan.follow_up else []
        row = _write_letter(
            session,
            settings,
            environment,
            plan,
            relettered,
            part=max((part for part, _ in before), default=0) + 1,
            follows=", ".join(number for _, number in before) or None,
            run_id=run_id,
            now=now,
        )
        report.numbers.append(row[0])
        report.queued[row[1]] = report.queued.get(row[1], 0) + 1
    return report


def letter_pdf(environment: Any, step: str, number: str, day: date, context: dict[str, Any]) -> bytes:
    """The letter's PDF from its template context (:func:`letter_context`). Its creation date is the
    letter's day (noon UTC), so re-rendering the same context gives the same bytes."""
    html = render_html(environment, step, context)
    return html_to_pdf(html, title=f"{HAL[step]} {number}", created=datetime.combine(day, time(12), UTC))


def letter_instansi_name(session: Session, letter_id: int, instansi_id: str) -> str | None:
    """The name of the letter's instansi as drafting would choose it now, from its cases (the ASN's
    registry entry, another member's, the name an admin gave with the PIC addresses, the cases' source
    records), the first in order; None when nothing names it."""
    cases = session.execute(
        select(Case.id, Case.nip)
        .join(LetterItem, LetterItem.case_id == Case.id)
        .where(LetterItem.letter_id == letter_id)
    ).all()
    people = _registry(session, {nip for _, nip in cases if nip})
    named = _instansi_names(session, {instansi_id})
    written = _written_instansi(session, sorted(case_id for case_id, _ in cases))
    names = set()
    for case_id, nip in cases:
        person = people.get(nip or "")
        name = (
            (person[2] if person and person[1] == instansi_id else None)
            or named.get(instansi_id)
            or written.get(case_id)
        )
        if name:
            names.add(name)
    return min(names) if names else named.get(instansi_id)


def letter_templates(settings: Settings) -> Path:
    """The folder the letters render from (``notify.letters.templates_dir``, else the defaults)."""
    folder = settings.notify.letters.templates_dir
    return settings.resolve_path(folder) if folder else DEFAULT_TEMPLATES


def _write_letter(
    session: Session,
    settings: Settings,
    environment: Any,
    plan: LetterPlan,
    relettered: dict[int, LetterItem],
    *,
    part: int,
    follows: str | None,
    run_id: str | None,
    now: datetime,
) -> tuple[str, str]:
    seq = next_seq(session, plan.letter_day.year)
    number = format_number(settings.notify.letters.number_pattern, seq, plan.letter_day)
    context = letter_context(settings, plan, number, follows)
    pdf = letter_pdf(environment, plan.step, number, plan.letter_day, context)
    letter = Letter(
        number=number,
        year=plan.letter_day.year,
        seq=seq,
        step=plan.step,
        instansi_id=plan.instansi_id,
        instansi_name=plan.instansi_name,
        letter_date=plan.letter_day,
        part=part,
        case_count=len(plan.cases),
        content=context,
        template=f"{plan.step}.html",
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        created_at=now,
        run_id=run_id,
    )
    session.add(letter)
    session.flush()
    case_ids = dict(
        session.execute(
            select(ControlAction.id, ControlAction.case_id).where(ControlAction.id.in_(plan.action_ids))
        )
        .tuples()
        .all()
    )
    for action_id in plan.action_ids:
        _place(
            session, relettered, action_id, case_ids[action_id], letter_id=letter.id, skipped=None, now=now
        )
    named = sorted(set(case_ids.values()) | set(plan.notice_case_ids))
    # Whom the letter names, whole (it prints them masked): its reads are recorded under them, whatever
    # becomes of the cases' NIPs later (pdp.access.letter_nips).
    letter.nips = sorted({n for n in session.scalars(select(Case.nip).where(Case.id.in_(named))) if n})
    if context["resumed"]:  # the PPK is told once that enforcement resumed: this letter tells it
        session.execute(
            update(CaseAnnulment)
            .where(
                CaseAnnulment.case_id.in_(sorted(set(case_ids.values()) | set(plan.notice_case_ids))),
                CaseAnnulment.withdrawn_at.is_not(None),
                CaseAnnulment.letter_id.is_(None),
            )
            .values(letter_id=letter.id)
        )
    row = enqueue(
        session,
        letter,
        message_id=message_id(letter.id, letter.sha256, settings.notify.from_address),
        subject=subject(plan.step, number, plan.instansi_name),
        reviewed=settings.notify.mode == "reviewed",
        now=now,
        run_id=run_id,
        hold_reason=NAME_UNKNOWN.format(instansi=plan.instansi_id)
        if plan.instansi_name == UNNAMED_INSTANSI
        else None,
    )
    return number, MailState(row.state).value


def _place(
    session: Session,
    relettered: dict[int, LetterItem],
    action_id: int,
    case_id: int,
    *,
    letter_id: int | None,
    skipped: str | None,
    now: datetime,
) -> None:
    """Record the action's letter (or why none): a new ``letter_items`` row, or, for a step whose
    letter was parked because its cases moved (:func:`load_candidates`), that row moved to its new
    letter, so the parked letter is left with no case and never goes."""
    item = relettered.get(action_id)
    if item is None:
        session.add(
            LetterItem(
                control_action_id=action_id,
                case_id=case_id,
                letter_id=letter_id,
                skipped=skipped,
                created_at=now,
            )
        )
        return
    item.letter_id, item.skipped, item.created_at = letter_id, skipped, now
