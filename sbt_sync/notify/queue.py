"""The notification outbox as a work queue: enqueue a letter, claim due rows, record what the server
answered.

States (``notification_outbox.state``): ``held`` (waits for a steward's release, reviewed mode),
``pending`` (due at ``next_attempt_at``), ``sending`` (claimed: a notifier owns it until its lease,
``next_attempt_at``, ends), ``sent`` and ``parked`` (refused, or undeliverable: stewards decide).
A ``sending`` row whose ``data_sent_at`` is set may have been accepted by the server: taking it over
counts an ambiguous re-send (see :mod:`sbt_sync.notify.notifier` for why it is re-sent).

Each recipient's fate is kept on the row (``deliveries``): a PIC whose server accepted the letter is
never sent it again, one refused permanently waits for a steward, the others are sent it next time.
A row is ``sent`` once every PIC has it, ``parked`` when a PIC was refused (the others have it).

Until a row is complete its recipients are the instansi's PIC addresses *now* (:func:`readdress`, at
every claim, just before every send and whenever an admin changes the PICs): a PIC removed before he
received the letter is never sent it (his fate says so, ``removed``: the letter carries ASN personal
data and he no longer holds the post), a PIC added meanwhile receives it once. A complete (``sent``)
row is never readdressed: a PIC added later does not get an old letter.

Every write of a claimed row's outcome is conditional on the claim the writer holds (:func:`_held`:
still ``sending`` under its holder token and its lease's end, which no later claim shares; :func:`retake`
renews the lease and hands back the claim as renewed). A notifier that stalled past its lease may find
the row taken over: its write then changes nothing but the attempt count (the SMTP transactions it did
make) and says so, for the notifier to log and count. Only the server's acceptance is recorded whatever
became of the row (:func:`mark_sent`, :func:`record_recipients`): the PIC has the letter.

``attempts`` counts SMTP transactions (``notify.max_attempts`` parks a row after that many): a claim
counts its first up front, the outcome adds those beyond it, and a claim given back unsent
(:func:`release`) gives its count back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.orm import Session, aliased

from sbt_sync.db.engine import lock_for_write
from sbt_sync.db.models import AsnRegistryEntry, Case
from sbt_sync.db.models.letters import Letter, LetterItem, NotificationOutboxEntry, PicAddress
from sbt_sync.holders import holder_alive, holder_gone
from sbt_sync.letters.model import ENDED_STATUSES, NOTICE_STEP
from sbt_sync.states.mail import DONE, MailState, moving_to

NO_PIC = "no PIC address for instansi {instansi}: add one (sbt-sync pic add) and it is sent"
NO_PIC_PREFIX = NO_PIC.split("{", 1)[0]
"""How the answer of a row parked for want of a PIC address starts (queued so, or parked by a notifier
that found every PIC removed): :func:`waits_for_address`."""
SOME_REFUSED = "refused: {answers}"
"""A parked row's answer when the server refused some PICs for good (the others have the letter)."""
GAVE_UP = "gave up after {attempts} attempts: {answer}"
"""A parked row's answer when transient failures outlasted ``max_attempts`` (``answer``: the last)."""
ALREADY_DELIVERED = "every recipient already had the letter"
"""A sent row's answer when every PIC had the letter before this claim (nothing was offered again)."""
CASE_HELD = (
    "kasus ditahan (sengketa identitas atau konflik terbuka): {cases}; kirim ulang setelah penahanan selesai"
)
NAME_UNKNOWN = (
    "ditahan: nama instansi {instansi} tidak diketahui dari sumber mana pun (registri, data kasus); "
    "surat dialamatkan tanpa nama. Periksa penerimanya sebelum melepas surat ini"
)
CASES_ENDED = "tidak dikirim: semua kasus surat ini telah selesai (sanksi, pembatalan atau ASN berhenti)"
CASES_MOVED = (
    "tidak dikirim: ASN pada kasus surat ini kini tercatat pada instansi lain; "
    "kasus-kasusnya disampaikan dalam surat berikutnya kepada PPK instansinya masing-masing"
)
"""A letter one of whose open cases is not its instansi's any more (a transfer the registry reported
after drafting): never sent; its steps are drafted again for each case's PPK (:func:`moved_letter_ids`).
One a PIC of its PPK had already received goes to none of its other PICs: the PPK has the steps of
the cases that stayed, and each moved case's step is drafted again for its new PPK
(:func:`partly_delivered_letters`)."""
CASES_MOVED_PARTLY = (
    "sebagian PIC sudah menerima surat ini; ASN pada salah satu kasusnya kini tercatat pada instansi "
    "lain, jadi surat ini tidak dikirim lagi kepada PIC lainnya; kasus yang pindah disampaikan dalam "
    "surat berikutnya kepada PPK instansinya"
)
"""A letter some PIC of its PPK already has (``sent_at``) when one of its open cases moved to another
instansi: it goes to none of its other PICs, and its moved steps are lettered again for the new PPK
(:func:`partly_delivered_letters`). Once they are, nothing more will be done with it
(:func:`moved_and_relettered`)."""


SENT, REFUSED, DEFERRED, REMOVED, GIVEN_UP = "sent", "refused", "deferred", "removed", "given_up"
"""A recipient's fate in ``notification_outbox.deliveries``; ``removed``: no longer a PIC of the
instansi when the letter was to go to him, so never sent it; ``given_up``: a steward decided he will
not be sent it (his answer is the steward's reason)."""
REMOVED_ANSWER = "bukan PIC instansi lagi (alamat dihapus admin sebelum menerima surat); tidak dikirimi"


@dataclass(frozen=True)
class ClaimedMail:
    """One row this notifier now owns, with what the message is built from."""

    id: int
    letter_id: int
    message_id: str
    recipients: tuple[str, ...]
    subject: str
    attempts: int
    """Attempts so far, this claim included."""
    holder: str
    """The holder token the claim wrote (``claimed_by``)."""
    lease_until: datetime
    """The end of the claim's lease as last written (``next_attempt_at``): with ``holder``, what tells
    this claim from any later one of the same row."""
    delivered: frozenset[str] = frozenset()
    """Recipients whose server already accepted the letter: never sent it again."""
    refused: dict[str, str] | None = None
    """Recipients refused permanently (5xx) by an earlier attempt, with the server's words."""
    untouched: bool = False
    """No PIC can hold the letter yet (none accepted it, no end of data was ever in doubt): the
    letter may still be re-rendered with what is known now (:mod:`sbt_sync.letters.refresh`)."""

    def pending_recipients(self) -> tuple[str, ...]:
        """The recipients still to send the letter to (neither delivered nor refused)."""
        refused = self.refused or {}
        return tuple(r for r in self.recipients if r not in self.delivered and r not in refused)


def _held(claim: ClaimedMail) -> ColumnElement[bool]:
    """The row is still held under ``claim``: nobody recovered, claimed or recorded it since."""
    box = NotificationOutboxEntry
    return and_(
        box.id == claim.id,
        box.state == MailState.SENDING,
        box.claimed_by == claim.holder,
        box.next_attempt_at == claim.lease_until,
    )


def _landed(result: object) -> bool:
    return cast(int, result.rowcount) == 1  # type: ignore[attr-defined]  # a CursorResult at runtime


def _count_tries(session: Session, row_id: int, tries: int) -> None:
    """Count ``tries`` made under a claim that was lost meanwhile: they were made all the same."""
    if tries:
        box = NotificationOutboxEntry
        session.execute(update(box).where(box.id == row_id).values(attempts=box.attempts + tries))


def addressed(
    recipients: list[str], deliveries: dict[str, dict[str, str]] | None, pics: list[str], now: datetime
) -> tuple[list[str], dict[str, dict[str, str]], list[str]]:
    """A row not yet complete addressed to ``pics`` (its instansi's PIC addresses now): its recipients,
    its fates and who was removed. A former recipient who has not received the letter gets the fate
    ``removed`` with :data:`REMOVED_ANSWER` (an acceptance is never undone: who has the letter keeps
    ``sent``); a PIC added back loses that fate and is sent the letter."""
    fates = {a: f for a, f in (deliveries or {}).items() if not (f.get("state") == REMOVED and a in pics)}
    removed = []
    for address in recipients:
        if address not in pics and fates.get(address, {}).get("state") != SENT:
            fates[address] = {"state": REMOVED, "answer": REMOVED_ANSWER, "at": now.isoformat()}
            removed.append(address)
    return list(pics), fates, removed


def readdress(row: NotificationOutboxEntry, pics: list[str], now: datetime) -> dict[str, list[str]] | None:
    """Address ``row`` to ``pics`` (:func:`addressed`) unless it is complete (``sent``) or given up: such
    a letter is never sent to a PIC added later. Returns the change (``before``, ``after``,
    ``removed``) for an audit entry, or None when nothing changed."""
    if row.state in DONE:
        return None
    before, known = list(row.recipients or ()), dict(row.deliveries or {})
    after, fates, removed = addressed(before, known, pics, now)
    if before == after and fates == known:
        return None
    row.recipients, row.deliveries = after, fates
    return {"before": before, "after": after, "removed": removed}


def settled(
    state: str, recipients: list[str], deliveries: dict[str, dict[str, str]] | None, pics: list[str]
) -> bool:
    """Whether nothing more will be done with a letter: ``sent`` or ``given_up``, or delivered to every
    PIC it still goes to (``pics``, the instansi's PIC addresses now: a PIC removed is not waited for)
    except those a steward gave up. A letter no PIC has, with no PIC to send it to, is not settled: it
    waits for an address (or a steward giving it up)."""
    if state in DONE:
        return True
    after, fates, _ = addressed(recipients, deliveries, pics, datetime.now(UTC))
    done = [fates.get(r, {}).get("state") in (SENT, GIVEN_UP) for r in after]
    if after:
        return all(done)
    return any(f.get("state") in (SENT, GIVEN_UP) for f in fates.values())


def waits_for_address(
    state: str, server_answer: str | None, deliveries: dict[str, dict[str, str]] | None
) -> bool:
    """Whether a row is parked only because its instansi had no PIC address (:data:`NO_PIC`) and no PIC
    has the letter: the first PIC an admin adds makes it due (:func:`sbt_sync.notify.admin.add_pic`),
    unless a steward gave it up first. A row parked for a refusal, or that a PIC already received,
    stays with the stewards."""
    if state != MailState.PARKED or not (server_answer or "").startswith(NO_PIC_PREFIX):
        return False
    return all(fate.get("state") == REMOVED for fate in (deliveries or {}).values())


def pic_addresses(session: Session, instansi_id: str) -> list[str]:
    return list(
        session.scalars(
            select(PicAddress.email).where(PicAddress.instansi_id == instansi_id).order_by(PicAddress.email)
        )
    )


def pic_instansi_name(session: Session, instansi_id: str) -> str | None:
    """The instansi's name as an admin gave it with its PIC addresses, if any."""
    return session.scalar(
        select(PicAddress.instansi_name)
        .where(PicAddress.instansi_id == instansi_id, PicAddress.instansi_name.is_not(None))
        .order_by(PicAddress.id.desc())
        .limit(1)
    )


def enqueue(
    session: Session,
    letter: Letter,
    *,
    message_id: str,
    subject: str,
    reviewed: bool,
    now: datetime,
    run_id: str | None = None,
    hold_reason: str | None = None,
) -> NotificationOutboxEntry:
    """Queue ``letter`` to its instansi's PIC addresses in the caller's transaction.

    Without any PIC address the row is parked at once, saying so (:func:`waits_for_address`: the
    first PIC address added makes it due); ``reviewed`` holds it for a steward, and so does a
    ``hold_reason`` (kept as the row's answer, for the steward to read).
    """
    recipients = pic_addresses(session, letter.instansi_id)
    state = MailState.HELD if reviewed or hold_reason else MailState.PENDING
    answer = hold_reason
    if not recipients:
        state, answer = MailState.PARKED, NO_PIC.format(instansi=letter.instansi_id)
    row = NotificationOutboxEntry(
        letter_id=letter.id,
        message_id=message_id,
        recipients=recipients,
        subject=subject,
        state=state,
        attempts=0,
        next_attempt_at=now,
        ambiguous_resends=0,
        server_answer=answer,
        created_at=now,
        run_id=run_id,
    )
    session.add(row)
    session.flush()
    return row


def letter_stopper(session: Session, letter_id: int) -> str | None:
    """Why the letter must not go out now, in words (:func:`_stopper`), or None; a letter some PIC
    already has whose case moved says so (:data:`CASES_MOVED_PARTLY`), not that it was not sent."""
    answer = _stopper(session, letter_id)
    if answer == CASES_MOVED and _delivered_to_some(session, letter_id):
        return CASES_MOVED_PARTLY
    return answer


def _stopper(session: Session, letter_id: int) -> str | None:
    """Why the letter must not go out now, in words (case keys only, no personal data), or None.

    A letter one of whose open cases is now of another instansi (a transfer the registry reported
    after drafting) is never sent: it would tell its PPK of an ASN no longer its own, and a letter is
    never amended; its steps are lettered again for each case's PPK of now (:data:`CASES_MOVED`), and
    once some are, it stays stopped. A case of the letter held since drafting (an identity dispute, an
    open conflict) stops it: no step is taken on a held case. A letter all of whose cases ended
    (sanction recorded, recommendation annulled, ASN gone) is not sent either: it would warn a PPK who
    has done what it asked."""
    rows = session.execute(
        select(Case.case_key, Case.held, Case.sanction_imposed, Case.status)
        .join(LetterItem, LetterItem.case_id == Case.id)
        .where(LetterItem.letter_id == letter_id)
        .order_by(Case.case_key)
    ).all()
    letter = session.execute(
        select(Letter.step, Letter.instansi_id, Letter.content).where(Letter.id == letter_id)
    ).one()
    listed = (letter.content or {}).get("cases") or []
    if letter.step != NOTICE_STEP and listed and len(rows) < len(listed):
        return CASES_MOVED  # some of the cases it lists have gone into other letters since
    if letter.step != NOTICE_STEP and lettered_elsewhere(session, letter_id):
        return CASES_MOVED  # a step of it went to another PPK since (a part-delivered letter's case moved)
    held = [key for key, is_held, _, _ in rows if is_held]
    if held:
        return CASE_HELD.format(cases=", ".join(held))
    if rows and all(sanction is not None or status in ENDED_STATUSES for _, _, sanction, status in rows):
        return CASES_ENDED
    # an open case known to be of another instansi now (one that nothing places now stays)
    if (
        rows
        and letter.step != NOTICE_STEP
        and _open_instansi(session, letter_id) - {letter.instansi_id, None}
    ):
        return CASES_MOVED
    return None


def _open_instansi(session: Session, letter_id: int) -> set[str | None]:
    """The instansi the letter's open cases are of now, as drafting resolves it: the case's own, else
    its ASN's in the registry mirror."""
    rows = session.execute(
        select(Case.instansi_id, AsnRegistryEntry.instansi_id)
        .join(LetterItem, LetterItem.case_id == Case.id)
        .outerjoin(AsnRegistryEntry, AsnRegistryEntry.nip == Case.nip)
        .where(
            LetterItem.letter_id == letter_id,
            Case.sanction_imposed.is_(None),
            Case.status.not_in(ENDED_STATUSES),
        )
    ).all()
    return {own or registered for own, registered in rows}


def _delivered_to_some(session: Session, letter_id: int) -> bool:
    """Whether some PIC has the letter (its outbox row's ``sent_at``)."""
    box = NotificationOutboxEntry
    found = select(box.id).where(box.letter_id == letter_id, box.sent_at.is_not(None)).limit(1)
    return session.scalar(found) is not None


def moved_and_relettered(session: Session, letter_id: int) -> bool:
    """Whether nothing more will be done with a partly delivered letter whose case moved
    (:data:`CASES_MOVED_PARTLY`): some PIC has it and its moved steps are lettered again for the new
    PPK, so it goes to no other PIC (the retention purge need not wait for it)."""
    return _delivered_to_some(session, letter_id) and lettered_elsewhere(session, letter_id)


def lettered_elsewhere(session: Session, letter_id: int) -> bool:
    """Whether a step of the letter has a place in a later letter too (:func:`partly_delivered_letters`)."""
    mine = aliased(LetterItem)
    other = aliased(LetterItem)
    return (
        session.scalar(
            select(other.id)
            .join(mine, mine.control_action_id == other.control_action_id)
            .where(mine.letter_id == letter_id, other.letter_id.is_not(None), other.letter_id > letter_id)
            .limit(1)
        )
        is not None
    )


def partly_delivered_letters(session: Session) -> dict[int, str]:
    """Letter id -> instansi, of the letters some PIC received (``sent_at``) that are not complete
    (neither ``sent`` nor given up): their PPK has them, but their delivery is still under way, so a
    case of theirs that moved to another instansi meanwhile has its step lettered again for its new
    PPK (:func:`sbt_sync.letters.draft.load_candidates`), and the letter goes to no other PIC of the
    old one (:func:`letter_stopper`)."""
    box = NotificationOutboxEntry
    query = (
        select(Letter.id, Letter.instansi_id)
        .join(box, box.letter_id == Letter.id)
        .where(box.sent_at.is_not(None), box.state.not_in(DONE), Letter.step != NOTICE_STEP)
    )
    return dict(session.execute(query).tuples().all())


def moved_letter_ids(session: Session) -> list[int]:
    """Letters parked unsent because their cases moved to another instansi (:data:`CASES_MOVED`): the
    drafter letters their steps again, for the PPK the cases are of now."""
    box = NotificationOutboxEntry
    return list(
        session.scalars(
            select(box.letter_id).where(
                box.state == MailState.PARKED, box.sent_at.is_(None), box.server_answer == CASES_MOVED
            )
        )
    )


def retake(session: Session, row: ClaimedMail, *, now: datetime, lease: timedelta) -> ClaimedMail | None:
    """Confirm, just before sending, that this notifier still holds ``row`` (:func:`_held`: nobody
    claimed or recovered it since) and renew its lease; None when another notifier took it over, which
    then owns its delivery. Returns the claim as renewed (record the outcome under it) with the row as
    it stands now, addressed to the instansi's current PICs (:func:`readdress`: an admin may have
    changed them since the claim)."""
    box = NotificationOutboxEntry
    won = session.execute(
        update(box)
        .where(_held(row))
        .values(next_attempt_at=now + lease)
        .execution_options(synchronize_session=False)
    )
    if not _landed(won):
        return None
    entry = session.get(box, row.id, populate_existing=True, with_for_update=True)
    if entry is None:
        return None
    _readdress_to_current(session, entry, now)
    return _claimed(entry)


def _readdress_to_current(session: Session, entry: NotificationOutboxEntry, now: datetime) -> None:
    instansi_id = session.scalar(select(Letter.instansi_id).where(Letter.id == entry.letter_id))
    if instansi_id is not None:
        readdress(entry, pic_addresses(session, instansi_id), now)


def _claimed(entry: NotificationOutboxEntry) -> ClaimedMail:
    """What a notifier needs of a row it holds (its ``attempts`` as they stand, this claim's included)."""
    fates = entry.deliveries or {}
    delivered = frozenset(r for r, fate in fates.items() if fate.get("state") == SENT)
    return ClaimedMail(
        entry.id,
        entry.letter_id,
        entry.message_id,
        tuple(entry.recipients or ()),
        entry.subject,
        entry.attempts,
        entry.claimed_by or "",
        entry.next_attempt_at,
        delivered,
        {r: fate.get("answer", "") for r, fate in fates.items() if fate.get("state") == REFUSED},
        untouched=not delivered and entry.sent_at is None and not entry.ambiguous_resends,
    )


def recover_sending(session: Session, now: datetime) -> int:
    """Make due now the ``sending`` rows whose holder is gone (:func:`sbt_sync.holders.holder_gone`)
    or whose lease ran out: a notifier taking over a dead one's rows at once. A letter a live notifier
    is still sending is left to it, even past its lease (a slow server): taking it over would send the
    PPK a second copy. Only a holder this host cannot see (another host's) is judged by its lease."""
    box = NotificationOutboxEntry
    lock_for_write(session, NotificationOutboxEntry)
    rows = session.execute(
        select(box.id, box.claimed_by, box.next_attempt_at).where(
            box.state.in_(moving_to(MailState.PENDING, MailState.SENDING))
        )
    ).all()
    gone = [
        row_id
        for row_id, holder, until in rows
        if holder_gone(holder) or (until <= now and not holder_alive(holder))
    ]
    if not gone:
        return 0
    session.execute(
        update(box)
        .where(box.id.in_(gone), box.state == MailState.SENDING, box.data_sent_at.is_not(None))
        .values(ambiguous_resends=box.ambiguous_resends + 1, data_sent_at=None)
    )
    plain = session.execute(
        update(box)
        .where(box.id.in_(gone), box.state == MailState.SENDING)
        .values(state=MailState.PENDING, next_attempt_at=now)
    )
    return cast(int, plain.rowcount)  # type: ignore[attr-defined]  # a CursorResult at runtime


def claim(
    session: Session,
    *,
    holder: str,
    limit: int,
    now: datetime,
    lease: timedelta,
    due_by: datetime | None = None,
) -> list[ClaimedMail]:
    """Claim up to ``limit`` rows due by ``due_by`` (default ``now``) for ``holder`` (the claimer's token,
    :func:`sbt_sync.holders.holding`): pending, or sending with an expired lease; oldest first. Each is
    leased until ``now + lease``. A row whose lease ran out while another live claimer on this host (in
    another process or in this one) still holds it is left to it (it may be sending it now, to a slow
    server); :func:`retake` keeps a holder from sending a row claimed from it."""
    due_by = due_by or now
    lock_for_write(session, NotificationOutboxEntry)
    box = NotificationOutboxEntry
    claimable = moving_to(MailState.SENDING, MailState.PENDING, MailState.SENDING)
    due = and_(box.state.in_(claimable), box.next_attempt_at <= due_by)
    expired = session.execute(
        select(box.id, box.claimed_by).where(box.state == MailState.SENDING, box.next_attempt_at <= due_by)
    ).all()
    busy = [row_id for row_id, other in expired if other != holder and holder_alive(other)]
    if busy:
        due = and_(due, box.id.not_in(busy))
    candidates = session.scalars(
        select(NotificationOutboxEntry).where(due).order_by(NotificationOutboxEntry.id).limit(limit)
    ).all()
    claimed: list[ClaimedMail] = []
    for row in candidates:
        ambiguous = int(row.state == MailState.SENDING and row.data_sent_at is not None)
        won = session.execute(
            update(NotificationOutboxEntry)
            .where(
                NotificationOutboxEntry.id == row.id,
                NotificationOutboxEntry.state == row.state,
                NotificationOutboxEntry.attempts == row.attempts,
            )
            .values(
                state=MailState.SENDING,
                next_attempt_at=now + lease,
                attempts=row.attempts + 1,
                data_sent_at=None,
                ambiguous_resends=row.ambiguous_resends + ambiguous,
                claimed_by=holder,
            )
            .execution_options(synchronize_session=False)
        )
        if won.rowcount == 1:  # type: ignore[attr-defined]  # another notifier may have been faster
            # The ORM row still holds what was read; bring it to what the update wrote, then address
            # it to the PICs of now (its recipients and fates are written back at commit).
            row.state, row.attempts, row.claimed_by = MailState.SENDING, row.attempts + 1, holder
            row.ambiguous_resends += ambiguous
            row.data_sent_at, row.next_attempt_at = None, now + lease
            _readdress_to_current(session, row, now)
            claimed.append(_claimed(row))
    return claimed


def record_recipients(
    session: Session, row_id: int, fates: dict[str, tuple[str, str]], now: datetime
) -> None:
    """Keep what the server answered for each recipient (``fates``: address -> (fate, answer)), at
    once: a PIC whose server accepted the letter is never sent it again, even after a crash. The
    first acceptance is the moment the PPK has the letter (``sent_at``)."""
    lock_for_write(session, NotificationOutboxEntry)
    row = session.get(NotificationOutboxEntry, row_id, with_for_update=True)
    if row is None or not fates:
        return
    known = dict(row.deliveries or {})
    for address, (fate, answer) in fates.items():
        if known.get(address, {}).get("state") != SENT:  # an acceptance is never undone
            known[address] = {"state": fate, "answer": answer, "at": now.isoformat()}
    row.deliveries = known
    # The server's answer to the transaction is on record: a run taking the row over later re-sends
    # nothing it holds, so the end of this data is no longer in doubt.
    row.data_sent_at = None
    if row.sent_at is None and any(fate == SENT for fate, _ in fates.values()):
        row.sent_at = now


def mark_data_sent(session: Session, row_id: int, now: datetime) -> None:
    """The end of the message is about to go out: from now on the server may hold it."""
    session.execute(
        update(NotificationOutboxEntry)
        .where(NotificationOutboxEntry.id == row_id, NotificationOutboxEntry.state == MailState.SENDING)
        .values(data_sent_at=now)
    )


def count_ambiguous(session: Session, row_id: int, count: int) -> None:
    """``count`` attempts lost the connection after the end of the data: the row is (or will be) sent
    again although the server may hold it. Counted at once, so the count survives a crash after the
    retry's answer is recorded; that end of data is then accounted for (``data_sent_at`` cleared)."""
    session.execute(
        update(NotificationOutboxEntry)
        .where(NotificationOutboxEntry.id == row_id)
        .values(ambiguous_resends=NotificationOutboxEntry.ambiguous_resends + count, data_sent_at=None)
    )


def mark_sent(
    session: Session, claim: ClaimedMail, *, answer: str, now: datetime, extra_attempts: int = 0
) -> bool:
    """Record the server's acceptance whatever became of the row since it was claimed (a late
    acceptance: :data:`sbt_sync.states.mail.MAIL_MOVES` allows ``-> sent`` from every state a claimed
    row can be in): the PICs have the letter. A row already ``sent`` keeps its first answer (only the
    transactions are counted). Returns whether the claim was still held."""
    box = NotificationOutboxEntry
    values = {"state": MailState.SENT, "server_answer": answer, "attempts": box.attempts + extra_attempts}
    held = _landed(session.execute(update(box).where(_held(claim)).values(**values)))
    if not held:
        late = session.execute(
            update(box)
            .where(
                box.id == claim.id,
                box.state.in_(moving_to(MailState.SENT, *_CLAIMED_SINCE)),
            )
            .values(**values)
        )
        if not _landed(late):
            _count_tries(session, claim.id, extra_attempts)
    session.execute(  # the first PIC's acceptance may have come in an earlier attempt
        update(box).where(box.id == claim.id, box.sent_at.is_(None)).values(sent_at=now)
    )
    return held


def mark_parked(session: Session, claim: ClaimedMail, *, answer: str, extra_attempts: int = 0) -> bool:
    """Park a row for stewards with the server's own words (or why it cannot be sent). Only under the
    claim the caller holds; False (nothing parked, the transactions counted) when it was lost."""
    box = NotificationOutboxEntry
    held = _landed(
        session.execute(
            update(box)
            .where(_held(claim), box.state.in_(_from_sending(MailState.PARKED)))
            .values(
                state=MailState.PARKED,
                server_answer=answer,
                data_sent_at=None,
                attempts=box.attempts + extra_attempts,
            )
        )
    )
    if not held:
        _count_tries(session, claim.id, extra_attempts)
    return held


def mark_deferred(
    session: Session, claim: ClaimedMail, *, error: str, retry_at: datetime, extra_attempts: int = 0
) -> bool:
    """Give a row back as ``pending`` until ``retry_at`` (transient failures outlasted this run). Only
    under the claim the caller holds; False (nothing changed, the transactions counted) when it was
    lost."""
    box = NotificationOutboxEntry
    held = _landed(
        session.execute(
            update(box)
            .where(_held(claim), box.state.in_(_from_sending(MailState.PENDING)))
            .values(
                state=MailState.PENDING,
                server_answer=error,
                next_attempt_at=retry_at,
                data_sent_at=None,
                attempts=box.attempts + extra_attempts,
            )
        )
    )
    if not held:
        _count_tries(session, claim.id, extra_attempts)
    return held


def release(session: Session, claims: Iterable[ClaimedMail], now: datetime, *, tries: int = 0) -> list[int]:
    """Give claimed rows back, due at once (the run stops before sending them, or the server refused
    our credentials or TLS: ``tries`` transactions were made). The attempt count keeps exactly the
    ``tries`` made: a row never sent gives back the one its claim counted. Only the rows still held
    under the caller's claim are given back; returns the ids of the others (claims lost)."""
    box = NotificationOutboxEntry
    lost: list[int] = []
    for claim in claims:
        result = session.execute(
            update(box)
            .where(_held(claim), box.state.in_(_from_sending(MailState.PENDING)))
            .values(
                state=MailState.PENDING,
                next_attempt_at=now,
                data_sent_at=None,
                attempts=box.attempts + tries - 1,
            )
        )
        if not _landed(result):
            lost.append(claim.id)
            _count_tries(session, claim.id, max(0, tries - 1))
    return lost


_CLAIMED_SINCE = (MailState.PENDING, MailState.SENDING, MailState.PARKED, MailState.GIVEN_UP)
"""What a claimed row may have become while its claim's request was out (``sent`` aside)."""


def _from_sending(new: MailState) -> tuple[MailState, ...]:
    """``(sending,)``, checked to move to ``new``: a notifier records only rows it holds."""
    return moving_to(new, MailState.SENDING)
