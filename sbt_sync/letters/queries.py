"""Reading letters for the console: the list per PPK with each letter's mail state, one letter with
its cases and outbox row, and its PDF as sent. Read-only; NIPs come back masked as every console
list masks them (:func:`schemas.nip.mask_nip`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from sbt_sync.db.models import Case
from sbt_sync.db.models.letters import Letter, LetterItem, NotificationOutboxEntry
from sbt_sync.letters.query import case_letters
from sbt_sync.notify.queue import NO_PIC_PREFIX, REMOVED, SENT, waits_for_address
from schemas.nip import mask_nip


@dataclass(frozen=True)
class LetterFilter:
    """What the letters page filters by; None means any."""

    state: str | None = None
    step: str | None = None
    instansi_id: str | None = None
    day: date | None = None


@dataclass(frozen=True)
class LetterRow:
    """One letter as a list shows it."""

    id: int
    number: str
    step: str
    instansi_id: str
    instansi_name: str
    letter_date: date
    case_count: int
    sha256: str
    created_at: datetime
    mail_id: int | None
    state: str | None
    """The outbox row's state (held, pending, sending, sent, parked, given_up); None when not queued."""
    recipients: tuple[str, ...]
    attempts: int
    server_answer: str | None
    sent_at: datetime | None
    given_up_by: str | None = None
    """Who gave the letter up (``given_up``: never sent again), when and why."""
    given_up_at: datetime | None = None
    given_up_reason: str | None = None
    no_pic_answer: bool = False
    """``server_answer`` only says the instansi had no PIC address (the machine's words, in English):
    the console says it in words instead (the state, the recipients)."""
    waits_for_pic: bool = False
    """Parked only because the instansi has no PIC address: the first one an admin adds sends it
    (:func:`sbt_sync.notify.queue.waits_for_address`)."""
    fates: tuple[tuple[str, str, str], ...] = ()
    """Per PIC (address, fate, the server's words): ``sent`` (has the letter), ``refused``,
    ``deferred`` (tried again later), ``waiting`` (not sent yet) or ``removed`` (no longer a PIC when
    the letter was to go to him: never sent it); a PIC removed since it received the letter is listed
    too."""


def _base() -> Select[tuple[Letter, NotificationOutboxEntry]]:
    return select(Letter, NotificationOutboxEntry).outerjoin(
        NotificationOutboxEntry, NotificationOutboxEntry.letter_id == Letter.id
    )


def _row(letter: Letter, mail: NotificationOutboxEntry | None) -> LetterRow:
    return LetterRow(
        id=letter.id,
        number=letter.number,
        step=letter.step,
        instansi_id=letter.instansi_id,
        instansi_name=letter.instansi_name,
        letter_date=letter.letter_date,
        case_count=letter.case_count,
        sha256=letter.sha256,
        created_at=letter.created_at,
        mail_id=mail.id if mail is not None else None,
        state=mail.state if mail is not None else None,
        recipients=tuple(mail.recipients or ()) if mail is not None else (),
        attempts=mail.attempts if mail is not None else 0,
        server_answer=mail.server_answer if mail is not None else None,
        sent_at=mail.sent_at if mail is not None else None,
        fates=_fates(mail) if mail is not None else (),
        given_up_by=mail.given_up_by if mail is not None else None,
        given_up_at=mail.given_up_at if mail is not None else None,
        given_up_reason=mail.given_up_reason if mail is not None else None,
        no_pic_answer=mail is not None and (mail.server_answer or "").startswith(NO_PIC_PREFIX),
        waits_for_pic=mail is not None and waits_for_address(mail.state, mail.server_answer, mail.deliveries),
    )


def _fates(mail: NotificationOutboxEntry) -> tuple[tuple[str, str, str], ...]:
    """What became of the letter for each PIC (see :attr:`LetterRow.fates`)."""
    known = mail.deliveries or {}
    addresses = list(mail.recipients or ())
    addresses += [
        a for a, fate in known.items() if a not in addresses and fate.get("state") in (SENT, REMOVED)
    ]
    return tuple(
        (a, known.get(a, {}).get("state") or "waiting", known.get(a, {}).get("answer") or "")
        for a in addresses
    )


def list_letters(
    session: Session, filters: LetterFilter, *, limit: int = 50, offset: int = 0
) -> tuple[int, list[LetterRow]]:
    """Letters matching ``filters``, newest day first then by PPK, and how many match in all.
    ``instansi_id`` matches an instansi id exactly or a part of its name (case-insensitive)."""
    where: list[ColumnElement[bool]] = []
    if filters.state is not None:
        where.append(NotificationOutboxEntry.state == filters.state)
    if filters.step is not None:
        where.append(Letter.step == filters.step)
    if filters.instansi_id is not None:
        wanted = filters.instansi_id.lower()
        where.append(
            (func.lower(Letter.instansi_id) == wanted)
            | func.lower(Letter.instansi_name).contains(wanted, autoescape=True)
        )
    if filters.day is not None:
        where.append(Letter.letter_date == filters.day)
    counted = (
        select(func.count(Letter.id))
        .outerjoin(NotificationOutboxEntry, NotificationOutboxEntry.letter_id == Letter.id)
        .where(*where)
    )
    total = session.scalar(counted) or 0
    ordered = (
        _base().where(*where).order_by(Letter.letter_date.desc(), Letter.instansi_name, Letter.id.desc())
    )
    rows = session.execute(ordered.limit(limit).offset(offset)).tuples().all()
    return total, [_row(letter, mail) for letter, mail in rows]


def letter_detail(session: Session, letter_id: int) -> dict[str, Any] | None:
    """One letter with its outbox row and the cases it lists (NIPs masked), or None."""
    found = session.execute(_base().where(Letter.id == letter_id)).tuples().first()
    if found is None:
        return None
    letter, mail = found
    cases = session.execute(
        select(Case.id, Case.case_key, Case.nip, Case.recommendation_no, Case.status)
        .join(LetterItem, LetterItem.case_id == Case.id)
        .where(LetterItem.letter_id == letter_id)
        .order_by(Case.case_key)
        .distinct()
    ).all()
    return {
        "letter": _row(letter, mail),
        "template": letter.template,
        "message_id": mail.message_id if mail is not None else None,
        "subject": mail.subject if mail is not None else None,
        "next_attempt_at": mail.next_attempt_at if mail is not None else None,
        "cases": [
            {
                "id": c.id,
                "case_key": c.case_key,
                "nip": mask_nip(c.nip),
                "recommendation_no": c.recommendation_no,
                "status": c.status,
            }
            for c in cases
        ],
    }


def letter_pdf(session: Session, letter_id: int) -> tuple[str, bytes, str] | None:
    """The letter's number, its PDF exactly as stored (as sent) and that PDF's stored sha256."""
    found = session.execute(
        select(Letter.number, Letter.pdf, Letter.sha256).where(Letter.id == letter_id)
    ).first()
    return None if found is None else (found.number, bytes(found.pdf), found.sha256)


def mail_row_of(session: Session, letter_id: int) -> int | None:
    """The outbox row id of a letter (the id the notify service functions take)."""
    return session.scalar(
        select(NotificationOutboxEntry.id).where(NotificationOutboxEntry.letter_id == letter_id)
    )


def case_letter_steps(session: Session, case_id: int) -> list[dict[str, Any]]:
    """:func:`sbt_sync.letters.query.case_letters` with each letter's id (for a link to its page)."""
    steps = case_letters(session, case_id)
    numbers = [s["number"] for s in steps if s.get("number")]
    ids = (
        dict(
            session.execute(select(Letter.number, Letter.id).where(Letter.number.in_(numbers))).tuples().all()
        )
        if numbers
        else {}
    )
    return [s | {"letter_id": ids.get(s["number"])} if s.get("number") else s for s in steps]
