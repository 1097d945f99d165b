"""The PPK compliance report: per election event and instansi (its PPK), how the recommendations it
received were followed up, and the two lists BKN escalates with (DOMAIN.md, "The case lifecycle").

A recommendation received is a case whose golden result is ``terbukti`` or ``dibatalkan`` (the recap's
"recommended") dated on or before ``as_of``. Its PPK deadline is the recommendation date plus
``enforcement.follow_up_days``, else the deadline a source wrote (the enforcement policy's rule).
At ``as_of`` each one is exactly one of, in this order:

- ``annulled``: the recommendation was annulled, nothing is left for the PPK to do;
- ``on_time``: a sanction SK dated on or before the deadline (and not after ``as_of``); ``late``: an
  SK dated after the deadline (an SK with no date counts as followed up, neither on time nor late);
- ``left_service``: the ASN left service with no SK recorded: the case's status says so, or the
  registry mirror knows the ASN left service on or before ``as_of`` (undated: known), as the recap
  and enforcement count it;
- ``held``: an open conflict or identity dispute holds the case, so no control step rests on it. The
  database keeps a hold's start (enforcement's first ``hold`` step) but not its end: a case held now
  counts as held for a day on or after that start (or, with no hold step recorded yet, for any day);
  a report for a day before today says its holds are those in force now (``holds_as_now``);
- ``not_followed_up``: no SK and the deadline has passed (``as_of`` after it); ``pending``: not yet,
  or no deadline is known.

A step due after ``as_of``, a letter dated after it and a mailing after it (a day in the schedule's
timezone) are not counted; a row counts only the letters addressed to its own instansi, so a case that
moved never shows its former PPK's letters as delivered to the new one. The peringatan goes out on the
deadline day, the PPK's last day: the report still counts that day as ``pending``.

The sanction is the version in force at ``as_of`` (a revision after an objection included; one
annulled on objection no longer counts from the annulment's day), dated from the day since which a
sanction had been in force without a break: a reduction never makes a PPK late, and a report for a
day before an annulment still shows the follow-up the PPK had then made.

Days overdue are the SK date (late) or ``as_of`` (not followed up) minus the deadline. The report is
read in one pass of set-based queries (cases, control steps with their letters, the blocks SIASN
acknowledged (the recap's rule), registry departures and names) and built by
:func:`compile_report`, a pure function of those facts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sbt_sync.db.engine import Database
from sbt_sync.db.models import (
    AsnRegistryEntry,
    Case,
    CaseAnnulment,
    ControlAction,
    SanctionVersion,
)
from sbt_sync.db.models.letters import Letter, LetterItem, NotificationOutboxEntry
from sbt_sync.enforce.load import left_service_dates
from sbt_sync.letters.model import NOTICE_STEP
from sbt_sync.reports.compliance_model import CaseFacts, ComplianceReport, StepFact, compile_report
from sbt_sync.reports.recap import acknowledged_blocks, held_since_days

RECOMMENDED = ("terbukti", "dibatalkan")
UNKNOWN = "?"
NO_EVENT = "Tanpa pemilihan"
CHUNK = 1000


def build_compliance(
    database: Database,
    *,
    as_of: date,
    follow_up_days: int,
    nip_display: str,
    event: str | None = None,
    issuer: str | None = None,
    timezone: str = "Asia/Jakarta",
) -> ComplianceReport:
    """The report from the database as it is now; ``event`` and ``issuer`` (``KASN``/``BKN``) select
    the recommendations counted."""
    with database.session() as session:
        cases = _cases(session, as_of=as_of, follow_up_days=follow_up_days, event=event, issuer=issuer)
        held_since = held_since_days(session)
        cases = [
            replace(c, held=False) if c.held and held_since.get(c.case_id, as_of) > as_of else c
            for c in cases
        ]
        wanted = {c.case_id for c in cases}
        versions = _versions(session, wanted)
        cases = [replace(c, versions=versions[c.case_id]) if c.case_id in versions else c for c in cases]
        steps = [s for s in _steps(session, event) if s.case_id in wanted]
        # The recap's rule: a block counts once SIASN acknowledged it (and while it stands), not
        # while it waits for the change guard or the pusher.
        id_of = {c.case_key: c.case_id for c in cases}
        blocked: dict[str, set[int]] = {}
        for nip, case_ids in acknowledged_blocks(session, id_of, as_of).items():
            if ids := case_ids & wanted:
                blocked[nip] = ids
        instansi_names = _instansi_names(session, {c.instansi_id for c in cases})
        dossier_nips = {c.nip for c in cases if c.nip and c.issuer == "KASN"}
        person_names = _person_names(session, dossier_nips)
    report = compile_report(
        cases,
        steps,
        blocked,
        instansi_names=instansi_names,
        person_names=person_names,
        as_of=as_of,
        follow_up_days=follow_up_days,
        nip_display=nip_display,
        timezone=timezone,
    )
    report.holds_as_now = as_of < datetime.now(ZoneInfo(timezone)).date()
    return report


def _cases(
    session: Session, *, as_of: date, follow_up_days: int, event: str | None, issuer: str | None
) -> list[CaseFacts]:
    query = select(
        Case.id,
        Case.case_key,
        Case.nip,
        Case.event_code,
        Case.instansi_id,
        Case.status,
        Case.held,
        Case.recommendation_no,
        Case.recommendation_date,
        Case.follow_up_deadline,
        Case.sanction_imposed,
        Case.sanction_date,
        Case.golden,
    )
    if event is not None:
        query = query.where(Case.event_code == event)
    window = timedelta(days=follow_up_days)
    found = []
    rows = session.execute(query).all()
    departures = left_service_dates(session, {row.nip for row in rows if row.nip})
    for row in rows:
        golden = row.golden or {}
        result = golden.get("verification_result")
        if result not in RECOMMENDED:
            continue
        body = str(golden.get("recommending_body") or UNKNOWN).upper()
        if issuer is not None and body != issuer.upper():
            continue
        # The enforcement policy's deadline: the recommendation date plus the window, else the
        # deadline a source wrote (sbt_sync.enforce.policy).
        deadline = row.recommendation_date + window if row.recommendation_date else row.follow_up_deadline
        found.append(
            CaseFacts(
                case_id=row.id,
                case_key=row.case_key,
                nip=row.nip,
                event=row.event_code or NO_EVENT,
                instansi_id=row.instansi_id or UNKNOWN,
                issuer=body,
                result=result,
                recommendation_no=row.recommendation_no,
                recommendation_date=row.recommendation_date,
                deadline=deadline,
                sanction=row.sanction_imposed,
                sanction_date=row.sanction_date,
                # The recap's and enforcement's rule: the case's status or the registry mirror,
                # from the day of departure (undated: known).
                left_service=(row.nip in departures or row.status == "asn_berhenti")
                and ((left_on := departures.get(row.nip)) is None or left_on <= as_of),
                held=bool(row.held),
            )
        )
    return found


def _versions(session: Session, case_ids: set[int]) -> dict[int, tuple[tuple[date | None, str | None], ...]]:
    """Case id -> its sanction versions in decision order (date, code; None for an annulment), for a
    report as of any day (:func:`sbt_sync.reports.compliance_model.sanction_at`). Versions a
    reconciliation has not placed yet (``seq`` 0) wait for it, as the golden case does."""
    found: dict[int, list[tuple[date | None, str | None]]] = defaultdict(list)
    wanted = sorted(case_ids)
    for start in range(0, len(wanted), CHUNK):
        query = (
            select(SanctionVersion.case_id, SanctionVersion.decided_on, SanctionVersion.code)
            .where(SanctionVersion.case_id.in_(wanted[start : start + CHUNK]), SanctionVersion.seq > 0)
            .order_by(SanctionVersion.case_id, SanctionVersion.seq, SanctionVersion.id)
        )
        for case_id, decided_on, code in session.execute(query).tuples():
            if case_id is not None:
                found[case_id].append((decided_on, code))
    return {case_id: tuple(rows) for case_id, rows in found.items()}


def _steps(session: Session, event: str | None) -> list[StepFact]:
    """Every control step (holds aside) with its letter's number and when it was mailed, if any, and
    every notice (:func:`_notices`). A step lettered to two PPKs (its case moved while its first
    letter was being delivered) counts once, with its latest letter: the PPK the case went to."""
    query = (
        select(
            ControlAction.id,
            Letter.id,
            ControlAction.case_id,
            ControlAction.action,
            ControlAction.due_on,
            Letter.number,
            NotificationOutboxEntry.sent_at,
            Letter.instansi_id,
            Letter.letter_date,
        )
        .join(Case, Case.id == ControlAction.case_id)
        .outerjoin(LetterItem, LetterItem.control_action_id == ControlAction.id)
        .outerjoin(Letter, Letter.id == LetterItem.letter_id)
        .outerjoin(NotificationOutboxEntry, NotificationOutboxEntry.letter_id == Letter.id)
        .where(ControlAction.action != "hold")
    )
    if event is not None:
        query = query.where(Case.event_code == event)
    latest: dict[int, tuple[int, StepFact]] = {}
    for action_id, letter_id, case_id, action, due_on, number, sent_at, instansi_id, day in session.execute(
        query
    ).tuples():
        if action_id not in latest or (letter_id or 0) > latest[action_id][0]:
            fact = StepFact(case_id, action, due_on, number, sent_at, instansi_id, day)
            latest[action_id] = (letter_id or 0, fact)
    return [fact for _, fact in latest.values()] + _notices(session, event)


def _notices(session: Session, event: str | None) -> list[StepFact]:
    """Each notice (``pemberitahuan``: a withdrawn annulment brought the block back) as a step of every
    case it told, on the day it is dated: it answers for no control action, the annulment it told
    names it (``case_annulments.letter_id``)."""
    query = (
        select(
            CaseAnnulment.case_id,
            Letter.step,
            Letter.letter_date,
            Letter.number,
            NotificationOutboxEntry.sent_at,
            Letter.instansi_id,
            Letter.letter_date,
        )
        .join(Letter, Letter.id == CaseAnnulment.letter_id)
        .join(Case, Case.id == CaseAnnulment.case_id)
        .outerjoin(NotificationOutboxEntry, NotificationOutboxEntry.letter_id == Letter.id)
        .where(Letter.step == NOTICE_STEP)
    )
    if event is not None:
        query = query.where(Case.event_code == event)
    return [StepFact(*row) for row in session.execute(query).tuples()]


def _instansi_names(session: Session, instansi_ids: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(instansi_ids))
    names: dict[str, str] = {}
    for start in range(0, len(wanted), CHUNK):
        query = (
            select(AsnRegistryEntry.instansi_id, AsnRegistryEntry.instansi_name)
            .where(AsnRegistryEntry.instansi_id.in_(wanted[start : start + CHUNK]))
            .distinct()
        )
        for instansi_id, name in session.execute(query).tuples():
            # One name per instansi, the same on every run even if the registry spells it two ways.
            names[instansi_id] = min(name, names.get(instansi_id, name))
    return names


def _person_names(session: Session, nips: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(nips))
    names: dict[str, str] = {}
    for start in range(0, len(wanted), CHUNK):
        query = select(AsnRegistryEntry.nip, AsnRegistryEntry.name).where(
            AsnRegistryEntry.nip.in_(wanted[start : start + CHUNK])
        )
        for nip, name in session.execute(query).tuples():
            names[nip] = name
    return names


def enforcement_day(database: Database) -> date | None:
    """The day enforcement last decided for (the report's default as-of), None before any run."""
    with database.session() as session:
        return session.scalar(select(func.max(ControlAction.as_of)))
