"""Letters to PPKs and their delivery: PIC addresses per instansi, numbered letters, the cases each
letter lists, the per-year number sequence and the notification outbox (SMTP).

A letter, its items and its outbox row are written in one transaction; the outbox row's unique
``message_id`` is the letter's identity on the wire, so a re-sent letter is the same message.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sbt_sync.db.base import Base, JsonType, utcnow
from sbt_sync.states import sql_values
from sbt_sync.states.mail import MAIL_STATES_SQL as MAIL_STATES_SQL
from sbt_sync.states.mail import MailState as MailState  # where the letters code imports it from


class LetterStep(StrEnum):
    """The control steps that are letters to the PPK, and the notice (``pemberitahuan``) that tells a
    PPK enforcement resumed when no step letter is left to tell it (:mod:`sbt_sync.letters.notices`)."""

    PERINGATAN_DINI = "peringatan_dini"
    PERINGATAN = "peringatan"
    TEGURAN = "teguran"
    PEMBERITAHUAN = "pemberitahuan"


LETTER_STEPS_SQL = sql_values(LetterStep)


class PicAddress(Base):
    """One PIC (person in charge) mail address of an instansi; letters to its PPK go to all of them."""

    __tablename__ = "pic_addresses"
    __table_args__ = (UniqueConstraint("instansi_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instansi_id: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(254))
    instansi_name: Mapped[str | None] = mapped_column(String(255))
    """The instansi's name as the admin who added the PIC gave it: a letter's addressee when the
    registry mirror has no member of the instansi."""
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class LetterSequence(Base):
    """The last letter number issued in a year; only ever incremented, so a number is never reused."""

    __tablename__ = "letter_sequences"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(default=0)


class Letter(Base):
    """One numbered letter to one PPK for one control step on one day, with its rendered PDF; a
    further one that day (``part`` 2, 3, ...) is a follow-up for cases that could not wait."""

    __tablename__ = "letters"
    __table_args__ = (
        UniqueConstraint("instansi_id", "step", "letter_date", "part"),
        UniqueConstraint("year", "seq"),
        CheckConstraint(f"step IN {LETTER_STEPS_SQL}", name="step"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(128), unique=True)
    year: Mapped[int]
    seq: Mapped[int]
    step: Mapped[str] = mapped_column(String(16))
    instansi_id: Mapped[str] = mapped_column(String(64))
    instansi_name: Mapped[str] = mapped_column(String(255))
    letter_date: Mapped[date]
    part: Mapped[int] = mapped_column(default=1, server_default="1")
    """1 for the day's letter of its PPK and step; 2, 3, ... for follow-ups (surat susulan)."""
    case_count: Mapped[int]
    content: Mapped[dict[str, Any]] = mapped_column(JsonType)
    """What the template was given (cases with NIPs masked as the deployment chooses)."""
    nips: Mapped[list[str] | None] = mapped_column(JsonType)
    """The NIPs of the people the letter names, in clear, as drafted: a read of the letter is recorded
    under them (:func:`sbt_sync.pdp.access.letter_nips`); None for letters drafted before migration
    0032."""
    template: Mapped[str] = mapped_column(String(255))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    """Of ``pdf``: the document as sent."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    run_id: Mapped[str | None] = mapped_column(String(64))


class LetterItem(Base):
    """A control action's place in a letter, or why it got none (``skipped``). One per action, but for
    a step whose letter some PIC of the old PPK had received when the case moved to another instansi:
    its second row places it in the new PPK's letter (:func:`sbt_sync.letters.draft.load_candidates`)."""

    __tablename__ = "letter_items"
    __table_args__ = (Index(None, "letter_id"), Index(None, "control_action_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    control_action_id: Mapped[int] = mapped_column(ForeignKey("control_actions.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"))
    skipped: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationOutboxEntry(Base):
    """One letter to deliver by SMTP exactly once; ``message_id`` is stable across every attempt."""

    __tablename__ = "notification_outbox"
    __table_args__ = (
        Index(None, "state", "next_attempt_at"),
        CheckConstraint(f"state IN {MAIL_STATES_SQL}", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), unique=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    """The idempotency key: the ``Message-ID`` header every attempt carries."""
    recipients: Mapped[list[str]] = mapped_column(JsonType, default=list)
    deliveries: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JsonType, default=dict)
    """Recipient -> what its server last answered: ``{"state": "sent" | "refused" | "deferred",
    "answer": ..., "at": ...}``. A recipient ``sent`` is never sent the letter again; one ``refused``
    (5xx) waits for a steward; one deferred (4xx) or not yet tried is sent the letter next time."""
    subject: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(8), default=MailState.PENDING)
    """A :class:`~sbt_sync.states.mail.MailState`; its moves: ``MAIL_MOVES`` there."""
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    data_sent_at: Mapped[datetime | None]
    """Set just before the end of the message data goes to the server: a row found ``sending`` with
    it set may have been accepted (the ambiguous window); without it, it was not."""
    ambiguous_resends: Mapped[int] = mapped_column(default=0)
    """Re-sends of a message the server may already have accepted (same Message-ID each time)."""
    server_answer: Mapped[str | None] = mapped_column(Text)
    """The SMTP server's last reply: its queue id on success, its refusal when parked."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    """When the first PIC's server accepted the letter: from then on the PPK has it."""
    run_id: Mapped[str | None] = mapped_column(String(64))
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    """The token of the process that last claimed the row (:mod:`sbt_sync.holders`)."""
    given_up_by: Mapped[str | None] = mapped_column(String(64))
    """The steward who gave the letter up (``given_up``: never sent again), with when and why."""
    given_up_at: Mapped[datetime | None]
    given_up_reason: Mapped[str | None] = mapped_column(Text)
