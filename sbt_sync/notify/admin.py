"""People's side of the mail: PIC addresses per instansi (admins), the outbox's status, what a run
would send (dry run), and stewards' retry and release. Every change is audited in its transaction."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import lock_for_write
from sbt_sync.db.models import AuditEntry, User
from sbt_sync.db.models.letters import Letter, NotificationOutboxEntry, PicAddress
from sbt_sync.db.models.people import object_ids
from sbt_sync.errors import SbtError
from sbt_sync.letters.model import UNNAMED_INSTANSI
from sbt_sync.letters.refresh import UnnamedLetter, name_letter
from sbt_sync.letters.render import DEFAULT_TEMPLATES
from sbt_sync.notify.queue import (
    GIVEN_UP,
    REFUSED,
    REMOVED,
    SENT,
    addressed,
    pic_addresses,
    pic_instansi_name,
    readdress,
    waits_for_address,
)
from sbt_sync.notify.smtp import SmtpConfig
from sbt_sync.settings import Settings
from sbt_sync.states.mail import DONE, UNSENT, MailState, check_mail_move, moving_to

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def smtp_config(settings: Settings) -> SmtpConfig:
    """The SMTP connection ``sbt.yaml`` describes; secrets are read now. ``SbtError`` without a host."""
    notify = settings.notify
    if notify.host is None:
        raise SbtError(f"{settings.config_path}: notify.host is not set (no SMTP server configured)")
    return SmtpConfig(
        host=notify.host,
        port=notify.port,
        starttls=notify.starttls,
        username=settings.secret(notify.username_env) if notify.username_env else None,
        password=settings.secret(notify.password_env) if notify.password_env else None,
        ca_bundle=settings.resolve_path(notify.ca_bundle) if notify.ca_bundle else None,
        timeout=notify.timeout_seconds,
    )


def _audit(
    session: Session, *, actor: str, action: str, object_id: str | None, channel: str, **extra: Any
) -> None:
    session.add(
        AuditEntry(
            at=utcnow(),
            actor_id=session.scalar(select(User.id).where(User.username == actor)),
            actor_name=actor,
            action=action,
            object_type=extra.pop("object_type", "notification_outbox"),
            object_id=object_id,
            before=extra.pop("before", None),
            after=extra.pop("after", None),
            reason=extra.pop("reason", None),
            channel=channel,
            client_address=extra.pop("client_address", None),
        )
    )


def mail_address(email: str) -> str | None:
    """``email`` as SMTP without SMTPUTF8 can carry it: lower case, an internationalised domain in its
    IDNA (punycode) form; None when it cannot be sent (malformed, or a non-ASCII local part)."""
    email = email.strip().lower()
    if not _EMAIL.fullmatch(email):
        return None
    local, domain = email.rsplit("@", 1)
    if not local.isascii():
        return None
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return f"{local}@{domain}"


def add_pic(
    session: Session,
    instansi_id: str,
    email: str,
    *,
    actor: str,
    channel: str = "cli",
    instansi_name: str | None = None,
    reviewed: bool = False,
) -> bool:
    """Add a PIC address of ``instansi_id``; False when it was already there. ``SbtError`` if malformed
    or unsendable (a non-ASCII local part); an internationalised domain is stored in its IDNA form.
    ``instansi_name`` (optional) names the instansi in letters when the registry mirror cannot; given
    again with a known address, it is updated on every PIC address of the instansi.

    The instansi's letters parked only for want of a PIC address
    (:func:`sbt_sync.notify.queue.waits_for_address`) become due at once, addressed to it: ``pending``,
    or ``held`` for a steward's review when ``reviewed`` (``notify.mode: reviewed``) and the letter was
    never released (parked when it was queued). A letter a steward gave up stays given up."""
    instansi_id = instansi_id.strip()
    instansi_name = " ".join((instansi_name or "").split()) or None
    address = mail_address(email)
    if not instansi_id or address is None:
        raise SbtError(
            f"not an instansi id and a mail address: {instansi_id!r} {email.strip()!r}", code="pic_invalid"
        )
    email = address
    named = pic_instansi_name(session, instansi_id)
    if instansi_name is not None and instansi_name != named:
        session.execute(
            update(PicAddress)
            .where(PicAddress.instansi_id == instansi_id)
            .values(instansi_name=instansi_name)
        )
        _audit(
            session,
            actor=actor,
            action="pic.name",
            object_type="pic_address",
            object_id=instansi_id,
            before={"instansi_name": named},
            after={"instansi_name": instansi_name},
            channel=channel,
        )
    if email in pic_addresses(session, instansi_id):
        return False
    session.add(
        PicAddress(
            instansi_id=instansi_id,
            email=email,
            instansi_name=instansi_name or named,
            added_by=actor,
            added_at=utcnow(),
        )
    )
    session.flush()
    _audit(
        session,
        actor=actor,
        action="pic.add",
        object_type="pic_address",
        object_id=instansi_id,
        after={"email": email, **_readdress_instansi(session, instansi_id, reviewed=reviewed)},
        channel=channel,
    )
    return True


def remove_pic(session: Session, instansi_id: str, email: str, *, actor: str, channel: str = "cli") -> bool:
    """Remove a PIC address; False when it was not there. A letter not yet complete is never sent to it
    (:func:`sbt_sync.notify.queue.readdress`); who already received a letter keeps it on record."""
    email = email.strip().lower()
    instansi_id = instansi_id.strip()
    lock_for_write(session, NotificationOutboxEntry)
    gone = session.execute(
        delete(PicAddress).where(PicAddress.instansi_id == instansi_id, PicAddress.email == email)
    ).rowcount  # type: ignore[attr-defined]  # a CursorResult at runtime
    if gone:
        _audit(
            session,
            actor=actor,
            action="pic.remove",
            object_type="pic_address",
            object_id=instansi_id,
            before={"email": email},
            after=_readdress_instansi(session, instansi_id) or None,
            channel=channel,
        )
    return bool(gone)


def _readdress_instansi(session: Session, instansi_id: str, *, reviewed: bool = False) -> dict[str, Any]:
    """Address the instansi's letters not yet complete to its PIC addresses of now. A letter parked
    only for want of a PIC address becomes due (``pending``; ``held`` when ``reviewed`` and it was
    never released, see :func:`add_pic`); any other parked one stays parked: a steward's retry sends it
    to a PIC added since, or finds every PIC has it. Returns the changes, by outbox row, for the
    audit (``letters_due``: the rows made due, with their new state)."""
    pics = pic_addresses(session, instansi_id)
    now = utcnow()
    rows = session.scalars(
        select(NotificationOutboxEntry)
        .join(Letter, Letter.id == NotificationOutboxEntry.letter_id)
        .where(Letter.instansi_id == instansi_id, NotificationOutboxEntry.state.not_in(DONE))
        .order_by(NotificationOutboxEntry.id)
        .with_for_update(of=NotificationOutboxEntry)
    ).all()
    changes: dict[str, Any] = {}
    due: dict[str, str] = {}
    for row in rows:
        waiting = waits_for_address(row.state, row.server_answer, row.deliveries)
        change = readdress(row, pics, now)
        if change is not None:
            changes[str(row.id)] = change
        if waiting and row.recipients:
            # Queued parked, it was never reviewed; parked by a notifier, it had been released.
            review = reviewed and row.attempts == 0
            row.state = check_mail_move(row.state, MailState.HELD if review else MailState.PENDING)
            row.next_attempt_at, row.server_answer = now, None
            due[str(row.id)] = row.state
    return ({"letters_readdressed": changes} if changes else {}) | ({"letters_due": due} if due else {})


def list_pics(session: Session, instansi_id: str | None = None) -> list[dict[str, Any]]:
    query = select(PicAddress).order_by(PicAddress.instansi_id, PicAddress.email)
    if instansi_id is not None:
        query = query.where(PicAddress.instansi_id == instansi_id)
    return [
        {
            "instansi_id": p.instansi_id,
            "email": p.email,
            "instansi_name": p.instansi_name,
            "added_by": p.added_by,
            "added_at": p.added_at.isoformat(),
        }
        for p in session.scalars(query)
    ]


def planned_mail(session: Session) -> list[dict[str, Any]]:
    """Every letter a run would send now or after review (held, pending, sending), oldest first, with
    the PICs it would go to: its instansi's PIC addresses now (those whose server already accepted it,
    those refused permanently and former PICs it is no longer sent to are listed apart: none of them
    is sent it by the next run)."""
    rows = session.execute(
        select(NotificationOutboxEntry, Letter.number, Letter.step, Letter.instansi_id, Letter.case_count)
        .join(Letter, Letter.id == NotificationOutboxEntry.letter_id)
        .where(NotificationOutboxEntry.state.in_(UNSENT))
        .order_by(NotificationOutboxEntry.id)
    ).all()
    now, pics = utcnow(), _PicsOf(session)
    planned = []
    for row, number, step, instansi_id, cases in rows:
        recipients, fates, _ = addressed(list(row.recipients), row.deliveries, pics(instansi_id), now)

        def having(fate: str, fates: dict[str, dict[str, str]] = fates) -> list[str]:
            return sorted(a for a, f in fates.items() if f.get("state") == fate)

        planned.append(
            {
                "id": row.id,
                "state": row.state,
                "letter": number,
                "step": step,
                "instansi_id": instansi_id,
                "cases": cases,
                "recipients": [r for r in recipients if fates.get(r, {}).get("state") not in (SENT, REFUSED)],
                "already_delivered": [r for r in recipients if fates.get(r, {}).get("state") == SENT],
                # Refused permanently: not sent again until a steward's retry (the row parks once the
                # others have it).
                "refused": [r for r in recipients if fates.get(r, {}).get("state") == REFUSED],
                "removed": having(REMOVED),
                "message_id": row.message_id,
                "subject": row.subject,
                "attempts": row.attempts,
                "next_attempt_at": row.next_attempt_at.isoformat(),
            }
        )
    return planned


class _PicsOf:
    """An instansi's PIC addresses, read once per call."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._known: dict[str, list[str]] = {}

    def __call__(self, instansi_id: str) -> list[str]:
        if instansi_id not in self._known:
            self._known[instansi_id] = pic_addresses(self._session, instansi_id)
        return self._known[instansi_id]


def mail_status(session: Session) -> dict[str, Any]:
    """Outbox rows per state; the parked ones with the server's answer and who has the letter, who was
    refused and which former PICs it is not sent to; the ones a steward gave up (``given_up``: who,
    when, why, who has the letter and who will never be sent it); the letters still to send that
    former PICs will not get (``not_sent_to``: removed by an admin before they received it)."""
    states = Counter(session.scalars(select(NotificationOutboxEntry.state)))
    rows = session.execute(
        select(
            NotificationOutboxEntry.id,
            Letter.number,
            NotificationOutboxEntry.state,
            NotificationOutboxEntry.server_answer,
            NotificationOutboxEntry.deliveries,
        )
        .join(Letter, Letter.id == NotificationOutboxEntry.letter_id)
        .where(NotificationOutboxEntry.state.not_in(DONE))
        .order_by(NotificationOutboxEntry.id)
    ).all()
    given_up = session.execute(
        select(NotificationOutboxEntry, Letter.number)
        .join(Letter, Letter.id == NotificationOutboxEntry.letter_id)
        .where(NotificationOutboxEntry.state == MailState.GIVEN_UP)
        .order_by(NotificationOutboxEntry.id)
    ).all()

    def having(fates: dict[str, dict[str, str]] | None, fate: str) -> dict[str, str]:
        return {r: f.get("answer", "") for r, f in sorted((fates or {}).items()) if f.get("state") == fate}

    return {
        "outbox": {state.value: states.get(state.value, 0) for state in MailState},
        "parked": [
            {
                "id": i,
                "letter": n,
                "answer": a,
                # A row parked for one PIC while the others have the letter: who has it, who does not.
                "delivered": sorted(having(d, SENT)),
                "refused": having(d, REFUSED),
                "removed": having(d, REMOVED),
                "given_up": having(d, GIVEN_UP),
            }
            for i, n, state, a, d in rows
            if state == MailState.PARKED
        ],
        "given_up": [
            {
                "id": row.id,
                "letter": n,
                "by": row.given_up_by,
                "at": row.given_up_at.isoformat() if row.given_up_at else None,
                "reason": row.given_up_reason,
                "delivered": sorted(having(row.deliveries, SENT)),
                "not_sent_to": sorted(
                    r for r, f in (row.deliveries or {}).items() if f.get("state") in (GIVEN_UP, REMOVED)
                ),
            }
            for row, n in given_up
        ],
        "not_sent_to": [
            {"id": i, "letter": n, "state": state, "removed": having(d, REMOVED)}
            for i, n, state, _, d in rows
            if state != MailState.PARKED and having(d, REMOVED)
        ],
    }


def retry_mail(
    session: Session, row_ids: Sequence[int] = (), *, reason: str, actor: str, channel: str = "cli"
) -> int:
    """Make parked rows (and rows waiting out a backoff) due now, addressed to their instansi's current
    PIC addresses (an admin may have replaced a dead one since the letter was queued; each change of
    recipients is in the audit entry); every such row when no ids are given. Returns how many. A PIC
    that already has the letter is not sent it again; one refused before is tried again."""
    now = utcnow()
    query = select(NotificationOutboxEntry, Letter.instansi_id).join(
        Letter, Letter.id == NotificationOutboxEntry.letter_id
    )
    query = query.where(
        (NotificationOutboxEntry.state == MailState.PARKED)
        | (
            (NotificationOutboxEntry.state == MailState.PENDING)
            & (NotificationOutboxEntry.next_attempt_at > now)
        )
    )
    if row_ids:
        query = query.where(NotificationOutboxEntry.id.in_(list(row_ids)))
    touched: list[int] = []
    readdressed: dict[str, dict[str, list[str]]] = {}
    for row, instansi_id in session.execute(query.order_by(NotificationOutboxEntry.id)).all():
        change = readdress(row, pic_addresses(session, instansi_id), now)
        if change is not None:
            readdressed[str(row.id)] = change
        row.deliveries = {  # refused and deferred PICs are tried again
            address: fate
            for address, fate in (row.deliveries or {}).items()
            if fate.get("state") in (SENT, REMOVED)
        }
        row.state = check_mail_move(row.state, MailState.PENDING)
        row.next_attempt_at, row.attempts = now, 0
        touched.append(row.id)
    _audit(  # the rows named even for "all" of them: the log says which rows the retry changed
        session,
        actor=actor,
        action="notify.retry",
        object_id=object_ids(row_ids) if row_ids else "all",
        after={"rows": len(touched), "ids": touched, **({"recipients": readdressed} if readdressed else {})},
        reason=reason,
        channel=channel,
    )
    return len(touched)


def give_up_mail(
    session: Session, row_ids: Sequence[int], *, reason: str, actor: str, channel: str = "cli"
) -> int:
    """A steward gives up parked letters for the PICs who do not have them (refused, deferred, or never
    reached), or for whoever would have been their PIC when the instansi has no PIC address at all:
    the row moves to ``given_up`` (final: nothing sends it again, not a retry, not a PIC added later)
    with who, when and why, and the letter no longer keeps its cases' data past their retention
    (:func:`sbt_sync.notify.queue.settled`). Names the rows (no "all"); returns how many. ``SbtError``
    without a reason or when a row is not parked (nothing is changed then). The audit entry lists, per
    row, the PICs given up and (``no_pic_address``) the rows whose instansi had none."""
    if not reason.strip():
        raise SbtError("a reason is required", code="reason_required")
    if not row_ids:
        raise SbtError("name the parked letters' outbox rows to give up", code="give_up_ids")
    lock_for_write(session, NotificationOutboxEntry)
    rows = session.execute(
        select(NotificationOutboxEntry, Letter.instansi_id)
        .join(Letter, Letter.id == NotificationOutboxEntry.letter_id)
        .where(NotificationOutboxEntry.id.in_(list(row_ids)))
        .order_by(NotificationOutboxEntry.id)
        .with_for_update(of=NotificationOutboxEntry)
    ).all()
    found = {row.id: (row, instansi_id) for row, instansi_id in rows}
    for row_id in row_ids:
        row, instansi_id = found.get(row_id, (None, ""))
        if row is None or row.state != MailState.PARKED:
            raise SbtError(f"outbox row {row_id} is not a parked letter", code="mail_not_parked", id=row_id)
    now, given_up, no_pic = utcnow(), {}, []
    for row, instansi_id in rows:
        readdress(row, pic_addresses(session, instansi_id), now)
        if not row.recipients:
            no_pic.append(row.id)
        fates = dict(row.deliveries or {})
        gone = [r for r in row.recipients if fates.get(r, {}).get("state") != SENT]
        for address in gone:
            fates[address] = {"state": GIVEN_UP, "answer": reason.strip(), "at": now.isoformat()}
        row.deliveries = fates
        row.state = check_mail_move(row.state, MailState.GIVEN_UP)
        row.given_up_by, row.given_up_at, row.given_up_reason = actor, now, reason.strip()
        given_up[str(row.id)] = gone
    _audit(
        session,
        actor=actor,
        action="notify.give_up",
        object_id=object_ids(row_ids),
        after={
            "rows": len(rows),
            "ids": [entry.id for entry, _ in rows],
            "given_up": given_up,
            **({"no_pic_address": no_pic} if no_pic else {}),
        },
        reason=reason,
        channel=channel,
    )
    return len(rows)


def release_mail(
    session: Session,
    row_ids: Sequence[int] = (),
    *,
    reason: str,
    actor: str,
    channel: str = "cli",
    templates: Path | None = None,
) -> int:
    """Release held letters for sending; every held one when no ids are given. Returns how many.

    A letter held because its instansi's name was unknown is first re-rendered with the name known now
    (:func:`sbt_sync.letters.refresh.name_letter`, ``templates``: the letter templates folder, default
    the shipped ones; the audit entry gives each renamed letter's number, names and sha256s). One whose
    name is still unknown is not released: named by id, the release is refused (``SbtError``
    ``letter_unnamed``, nothing released); among "every held one" it stays held (``kept_unnamed`` in the
    audit entry)."""
    if not reason.strip():
        raise SbtError("a reason is required", code="reason_required")
    query = (
        select(NotificationOutboxEntry)
        .where(NotificationOutboxEntry.state.in_(moving_to(MailState.PENDING, MailState.HELD)))
        .order_by(NotificationOutboxEntry.id)
        .with_for_update()
    )
    if row_ids:
        query = query.where(NotificationOutboxEntry.id.in_(list(row_ids)))
    lock_for_write(session, NotificationOutboxEntry)
    now, released = utcnow(), []
    renamed: list[dict[str, Any]] = []
    kept: list[int] = []
    for row in session.scalars(query).all():
        try:  # a held row was never sent: its letter may still change
            done = name_letter(session, row.letter_id, templates or DEFAULT_TEMPLATES)
        except UnnamedLetter:
            if row_ids:
                raise
            kept.append(row.id)
            continue
        if done is not None:
            renamed.append(done.as_dict())
        row.state = check_mail_move(row.state, MailState.PENDING)
        row.next_attempt_at = now
        released.append(row.id)
    extra: dict[str, Any] = {"renamed": renamed} if renamed else {}
    _audit(  # the rows named even for "every held one": the log says which rows the release changed
        session,
        actor=actor,
        action="notify.release",
        object_id=object_ids(row_ids) if row_ids else "all",
        after={"rows": len(released), "ids": released, **extra, **({"kept_unnamed": kept} if kept else {})},
        reason=reason,
        channel=channel,
    )
    return len(released)


def held_unnamed(session: Session) -> list[dict[str, str]]:
    """Letters still held because nothing knows their instansi's name (number and instansi id)."""
    rows = session.execute(
        select(NotificationOutboxEntry.id, Letter.number, Letter.instansi_id)
        .join(Letter, Letter.id == NotificationOutboxEntry.letter_id)
        .where(NotificationOutboxEntry.state == MailState.HELD, Letter.instansi_name == UNNAMED_INSTANSI)
        .order_by(NotificationOutboxEntry.id)
    ).all()
    return [{"id": str(i), "letter": n, "instansi_id": inst} for i, n, inst in rows]
