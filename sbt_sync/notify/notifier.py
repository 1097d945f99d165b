"""The notifier: drains the notification outbox by SMTP, each letter delivered once.

Exactly once across crashes. A row is claimed (``sending``, with a lease) and committed before any byte
goes to the server; just before the line that ends the message data, ``data_sent_at`` is committed;
the server's 250 is committed as ``sent``. A notifier killed at any point leaves the row ``sending``;
the next one (at once with ``recover`` when that notifier is gone, else after the lease) sends it again:

- killed before ``data_sent_at``: the server never received the end of the data, so it discarded the
  transaction (RFC 5321 section 4.1.1.4: a message counts once the final ``.`` is answered): the re-send
  is the first delivery;
- killed after it (between the final ``.`` and our commit of the 250, a window of one round trip and
  one commit): the server may have accepted it. SMTP offers no way to ask, so the design re-sends the
  very same message (same bytes, same ``Message-ID``), counting ``ambiguous_resends`` on the row so
  stewards see it. Receivers deduplicate by Message-ID, and the kill tests count deliveries at the
  server by Message-ID. Parking instead would trade a possible duplicate for a possibly lost letter, and
  a PPK's deadline letter must not be lost. A connection lost while waiting for that answer is the
  same window seen from inside a run: the retry re-sends the same message and counts it likewise.

Each PIC the letter still goes to receives it once. Until every PIC has it, a letter goes to its
instansi's PIC addresses as they are at each claim and just before each send
(:func:`sbt_sync.notify.queue.readdress`): a PIC an admin removed meanwhile is never sent it, one added
is. A letter held because nothing knew its instansi's name is named just before it goes, while no PIC
can hold it yet (:mod:`sbt_sync.letters.refresh`); still unnamed, it is parked, never sent.

Each PIC receives the letter once. The server's answer is kept per recipient (``deliveries``) as soon
as it comes: a PIC whose server accepted the letter is never sent it again; a PIC whose server defers
(4xx at RCPT TO) does not hold back the others, and is sent the letter alone on the retry; a PIC refused
permanently (5xx) parks the row for a steward with the server's words once the others have the letter.

Transient failures (4xx, lost connections) are retried by the shared retry factory
(``connectors.retry``: exponential backoff, jitter), then deferred with a growing pause; after
``max_attempts`` over all runs the row is parked with the last answer. A 5xx parks the row at once
with the server's answer. A refusal of our credentials or TLS stops the run without parking anything.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session

from connectors.redact import mask_nips
from connectors.retry import RetryPolicy, retrying
from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models.letters import Letter, NotificationOutboxEntry
from sbt_sync.drain import Delivery, Outcome, drain
from sbt_sync.holders import holding
from sbt_sync.letters.refresh import UnnamedLetter, audit_renamed, name_letter
from sbt_sync.letters.render import DEFAULT_TEMPLATES
from sbt_sync.notify import queue
from sbt_sync.notify.message import build_message
from sbt_sync.notify.queue import ClaimedMail
from sbt_sync.notify.smtp import (
    SOME_DEFERRED,
    MailConfigError,
    PermanentMailError,
    SentAnswer,
    TransientMailError,
)
from sbt_sync.settings import NotifySettings

log = logging.getLogger(__name__)


class MailSender(Protocol):
    def send(
        self, *, sender: str, recipients: tuple[str, ...], data: bytes, before_end: Callable[[], None]
    ) -> SentAnswer: ...


@dataclass(frozen=True)
class NotifyOptions:
    """How hard to try (``sbt.yaml``'s ``notify`` section plus timings tests shorten)."""

    max_attempts: int = 8
    """SMTP transactions per letter over all runs before it is parked."""
    tries_per_run: int = 3
    initial_backoff: float = 1.0
    max_backoff: float = 30.0
    defer_seconds: float = 60.0
    """The pause before a later run tries a deferred letter again, doubled per attempt (to 24 h)."""
    lease_seconds: float = 600.0
    batch: int = 10

    @classmethod
    def from_settings(cls, notify: NotifySettings, **overrides: Any) -> NotifyOptions:
        return cls(**{"max_attempts": notify.max_attempts, **overrides})


@dataclass
class NotifyReport:
    """What one drain did (letter numbers and server answers; no personal data)."""

    recovered: int = 0
    claimed: int = 0
    sent: int = 0
    parked: int = 0
    deferred: int = 0
    retries: int = 0
    ambiguous_resends: int = 0
    lost_claims: int = 0
    """Letters whose claim ran out before their outcome was recorded and that another notifier had taken
    over (or recovered) meanwhile: their outcome was not written over that notifier's."""
    aborted: str | None = None
    sent_sample: list[str] = field(default_factory=list)
    parked_sample: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Notifier:
    """Drains the notification outbox of ``database`` through ``sender``; one :meth:`run` per drain."""

    def __init__(
        self,
        database: Database,
        sender: MailSender,
        notify: NotifySettings,
        options: NotifyOptions | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        templates: Path | None = None,
    ) -> None:
        """``templates``: the letter templates folder, to name a letter held for its unknown instansi
        name before it goes (:mod:`sbt_sync.letters.refresh`); default ``notify.letters.templates_dir``
        as given, else the shipped templates."""
        self._db = database
        folder = notify.letters.templates_dir
        self._templates = templates or (Path(folder) if folder else DEFAULT_TEMPLATES)
        self._sender = sender
        self._notify = notify
        self._opt = options or NotifyOptions.from_settings(notify)
        self._sleep = sleep
        self._lost: set[int] = set()
        """Rows another notifier claimed from this one before it sent them: theirs to record."""
        self._renewed: dict[int, ClaimedMail] = {}
        """The claims :func:`queue.retake` renewed before sending: their outcomes are recorded under
        them."""

    def run(self, *, recover: bool = False, limit: int | None = None) -> NotifyReport:
        """Send every due letter (at most ``limit``); ``recover`` first takes over rows left ``sending``.

        Use ``recover`` when no other notifier runs (a restart). ``aborted`` in the report says why a
        run stopped early (the server refused our credentials or TLS).
        """
        report = NotifyReport()
        if recover:
            with self._db.session(write=True) as session:
                report.recovered = queue.recover_sending(session, utcnow())
            if report.recovered:
                log.info("re-sending %d letter(s) left in flight by an interrupted run", report.recovered)
        with holding() as holder:
            return self._drain(holder, limit, report)

    def _drain(self, holder: str, limit: int | None, report: NotifyReport) -> NotifyReport:
        """Send the due letters as ``holder`` (this run's token: another notifier, even in this process,
        leaves alone what it holds while it runs)."""
        lease = timedelta(seconds=self._opt.lease_seconds)
        # Rows deferred by this run wait for a later one, even with no pause: one run, one pass.
        started = utcnow()

        def claim(room: int) -> list[ClaimedMail]:
            with self._db.session(write=True) as session:
                return queue.claim(
                    session, holder=holder, limit=room, now=utcnow(), lease=lease, due_by=started
                )

        def release(rows: Sequence[ClaimedMail]) -> None:
            with self._db.session(write=True) as session:
                lost = queue.release(session, rows, utcnow())
            for row in rows:
                if row.id in lost:
                    self._claim_lost(row, "not given back (never sent)", report)

        # One SMTP connection: one letter at a time, each recorded before the next is sent (a send
        # commits ``data_sent_at`` while it runs).
        report.claimed, report.aborted = drain(
            claim=claim,
            deliver=self._deliver,
            record=lambda row, delivery: self._record(row, delivery, report),
            release=release,
            workers=1,
            window=self._opt.batch,
            limit=limit,
        )
        return report

    def _message(self, row: ClaimedMail) -> bytes:
        with self._db.session() as session:
            letter = session.get(Letter, row.letter_id)
            if letter is None:
                raise LookupError(f"letter {row.letter_id} of outbox row {row.id} does not exist")
            return build_message(
                message_id=row.message_id,
                from_name=self._notify.from_name,
                from_address=self._notify.from_address,
                recipients=row.recipients,
                subject=row.subject,
                number=letter.number,
                step=letter.step,
                instansi_name=letter.instansi_name,
                case_count=letter.case_count,
                created_at=letter.created_at,
                pdf=letter.pdf,
            )

    def _record_recipients(self, row_id: int, fates: dict[str, tuple[str, str]]) -> None:
        with self._db.session(write=True) as session:
            queue.record_recipients(session, row_id, fates, utcnow())

    def _count_ambiguous(self, row_id: int) -> None:
        with self._db.session(write=True) as session:
            queue.count_ambiguous(session, row_id, 1)

    def _mark_data_sent(self, row_id: int) -> None:
        with self._db.session(write=True) as session:
            queue.mark_data_sent(session, row_id, utcnow())

    def _deliver(self, row: ClaimedMail) -> Delivery[str]:
        with self._db.session(write=True) as session:
            lease = timedelta(seconds=self._opt.lease_seconds)
            held = queue.retake(session, row, now=utcnow(), lease=lease)
            if held is None:
                self._lost.add(row.id)
                return Delivery(Outcome.PARKED, 0, message="taken over by another notifier")
            row = self._renewed[row.id] = held  # addressed to the instansi's PICs of now
            stopper = queue.letter_stopper(session, row.letter_id)
            if stopper is None and row.untouched:
                row, stopper = self._named(session, row)
        if stopper is not None:
            return Delivery(Outcome.PARKED, 0, message=stopper)
        if not row.recipients:
            return Delivery(
                Outcome.PARKED, 0, message=queue.NO_PIC.format(instansi=f"of letter {row.letter_id}")
            )
        data = self._message(row)
        budget = max(1, min(self._opt.tries_per_run, self._opt.max_attempts - row.attempts + 1))
        policy = RetryPolicy(
            max_attempts=budget, initial_backoff=self._opt.initial_backoff, max_backoff=self._opt.max_backoff
        )
        loop = retrying(policy, retry_on=TransientMailError, sleep=self._sleep)
        tries = ambiguous = 0
        pending = row.pending_recipients()
        refused = dict(row.refused or {})
        answers: list[str] = []

        def attempt() -> None:
            """One SMTP transaction to the recipients still without the letter; a deferred one is
            raised as transient, so the retry goes to it alone."""
            nonlocal tries, ambiguous, pending
            tries += 1
            try:
                sent = self._sender.send(
                    sender=self._notify.from_address,
                    recipients=pending,
                    data=data,
                    before_end=lambda: self._mark_data_sent(row.id),
                )
            except (TransientMailError, PermanentMailError) as exc:
                if getattr(exc, "ambiguous", False):
                    ambiguous += 1
                    self._count_ambiguous(row.id)
                # Every recipient refused or deferred at RCPT TO: the steward sees each one's answer.
                fates = {r: (queue.DEFERRED, a) for r, a in getattr(exc, "deferred", {}).items()}
                fates |= {r: (queue.REFUSED, a) for r, a in exc.refused.items()}
                if fates:
                    self._record_recipients(row.id, fates)
                if exc.refused:
                    refused.update(exc.refused)
                    pending = tuple(r for r in pending if r not in exc.refused)
                raise
            fates = {r: (queue.SENT, sent.answer) for r in sent.accepted}
            fates |= {r: (queue.REFUSED, a) for r, a in sent.refused.items()}
            fates |= {r: (queue.DEFERRED, a) for r, a in sent.deferred.items()}
            self._record_recipients(row.id, fates)
            answers.append(sent.answer)
            refused.update(sent.refused)
            pending = tuple(sent.deferred)
            if pending:
                deferred = "; ".join(f"{r}: {a}" for r, a in sent.deferred.items())
                raise TransientMailError(SOME_DEFERRED.format(answers=deferred))

        try:
            if pending:
                loop(attempt)
        except PermanentMailError as exc:
            return Delivery(Outcome.PARKED, tries, message=exc.answer, ambiguous=ambiguous)
        except MailConfigError as exc:
            return Delivery(Outcome.ABORTED, tries, message=str(exc), ambiguous=ambiguous)
        except TransientMailError as exc:
            return Delivery(Outcome.DEFERRED, tries, message=str(exc), ambiguous=ambiguous)
        if refused:  # the others have the letter; a steward decides about these
            message = queue.SOME_REFUSED.format(
                answers="; ".join(f"{r}: {a}" for r, a in sorted(refused.items()))
            )
            return Delivery(Outcome.PARKED, tries, message=message, ambiguous=ambiguous)
        answer = "; ".join(answers) or queue.ALREADY_DELIVERED
        return Delivery(Outcome.DONE, tries, answer=answer, ambiguous=ambiguous)

    def _named(self, session: Session, row: ClaimedMail) -> tuple[ClaimedMail, str | None]:
        """``row`` with its letter named if it was held for its unknown instansi name and a name is
        known now (no PIC holds it yet: it may still change); or why it must not go: the name is still
        unknown."""
        try:
            renamed = name_letter(session, row.letter_id, self._templates)
        except UnnamedLetter as exc:
            return row, queue.NAME_UNKNOWN.format(instansi=exc.params["instansi"])
        if renamed is None:
            return row, None
        audit_renamed(session, renamed, actor="sbt-sync", channel="notifier")
        mail = session.get(NotificationOutboxEntry, row.id)
        assert mail is not None
        log.info(
            "letter %s named before it went: a new PDF (sha256 %s)", renamed.number, renamed.sha256_after
        )
        return replace(row, message_id=mail.message_id, subject=mail.subject), None

    @staticmethod
    def _claim_lost(row: ClaimedMail, outcome: str, report: NotifyReport) -> None:
        """The claim on ``row`` ran out and another notifier has the row now: nothing was written over
        it."""
        report.lost_claims += 1
        log.warning(
            "mail outbox %d (letter %d): claim lost (its lease ran out and the row was taken over): %s",
            row.id,
            row.letter_id,
            outcome,
        )

    def _record(self, claimed: ClaimedMail, outcome: Delivery[str], report: NotifyReport) -> None:
        row = self._renewed.pop(claimed.id, claimed)
        if row.id in self._lost:
            self._lost.discard(row.id)
            log.info("outbox %d was taken over by another notifier; left to it", row.id)
            return
        extra = outcome.extra_attempts
        report.retries += extra
        label = f"outbox {row.id} (letter {row.letter_id}, {row.message_id})"
        report.ambiguous_resends += outcome.ambiguous
        now = utcnow()
        with self._db.session(write=True) as session:  # ambiguous re-sends are on the row already
            if outcome.outcome == Outcome.DONE:
                answer = outcome.answer or ""
                if not queue.mark_sent(session, row, answer=answer, now=now, extra_attempts=extra):
                    self._claim_lost(row, "the server's acceptance recorded all the same", report)
                report.sent += 1
                if len(report.sent_sample) < 10:
                    report.sent_sample.append(f"{label}: {answer}")
            elif outcome.outcome == Outcome.DEFERRED and row.attempts + extra < self._opt.max_attempts:
                pause = min(self._opt.defer_seconds * 2 ** (row.attempts - 1), 86400.0)
                retry_at = now + timedelta(seconds=pause)
                if not queue.mark_deferred(
                    session, row, error=outcome.message, retry_at=retry_at, extra_attempts=extra
                ):
                    self._claim_lost(row, "transient failure not recorded (left to its holder)", report)
                    return
                report.deferred += 1
                log.warning(
                    "deferred %s until %s: %s", label, retry_at.isoformat(), mask_nips(outcome.message)
                )
            elif outcome.outcome in (Outcome.PARKED, Outcome.DEFERRED):
                answer = outcome.message
                if outcome.outcome == Outcome.DEFERRED:
                    answer = queue.GAVE_UP.format(attempts=row.attempts + extra, answer=answer)
                if not queue.mark_parked(session, row, answer=answer, extra_attempts=extra):
                    self._claim_lost(row, "not parked (left to its holder)", report)
                    return
                report.parked += 1
                log.warning("parked %s: %s", label, mask_nips(answer))
                if len(report.parked_sample) < 10:
                    report.parked_sample.append(f"{label}: {mask_nips(answer)}")
            else:
                if queue.release(session, [row], now, tries=outcome.tries):
                    self._claim_lost(row, "not given back (delivery stopped)", report)
                log.error("mail delivery stopped: %s", mask_nips(outcome.message))
