"""The demo's letters: PIC addresses loaded from the sandbox data, and what was sent, counted twice.

Letters to PPKs leave through the notification outbox (:mod:`sbt_sync.notify`) to the sandbox's mail
server. :func:`check_mail` counts them from both ends: the outbox rows the demo saw sent, and the
messages the server's mailbox received, by Message-ID, so "each letter delivered once" is measured at
the receiving end rather than believed from our own bookkeeping.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models.letters import Letter, MailState, NotificationOutboxEntry
from sbt_sync.notify.admin import add_pic
from sbt_sync.notify.message import STEP_TITLES
from sbt_sync.sandbox.generate.config import PIC_FILE
from sbt_sync.sandbox.smtp_server import ReceivedMail

ACTOR = "demo"


def read_pic_file(data_dir: Path) -> dict[str, str]:
    """``email -> instansi_id`` from the sandbox data's PIC file (empty when the data has none)."""
    path = data_dir / PIC_FILE
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["email"]: row["instansi_id"] for row in csv.DictReader(handle)}


def load_pic_addresses(database: Database, pics: Mapping[str, str]) -> int:
    """Add every ``email -> instansi_id`` as a PIC address, as ``sbt-sync pic add`` does (audited, as
    the demo); returns how many were new."""
    added = 0
    with database.session() as session:
        for email, instansi_id in sorted(pics.items()):
            added += add_pic(session, instansi_id, email, actor=ACTOR)
    return added


def sent_message_ids(database: Database) -> set[str]:
    """Message-IDs of every outbox row in state ``sent``."""
    with database.session() as session:
        query = select(NotificationOutboxEntry.message_id).where(
            NotificationOutboxEntry.state == MailState.SENT
        )
        return set(session.scalars(query))


def outbox_size(database: Database) -> int:
    with database.session() as session:
        return len(session.scalars(select(NotificationOutboxEntry.id)).all())


def _step_of(subject: str) -> str:
    """The letter step a subject names (the longest title first: "Peringatan Dini" before "Peringatan")."""
    for step, title in sorted(STEP_TITLES.items(), key=lambda item: -len(item[1])):
        if subject.startswith(title + " "):
            return step
    return "other"


@dataclass
class MailCheck:
    """The demo's letters, from the outbox and at the sandbox's mail server."""

    outbox: dict[str, int] = field(default_factory=dict)
    """Every outbox row by state (drafted letters: held, pending, sending, sent, parked)."""
    sent: int = 0
    """Outbox rows sent during this demo."""
    ppks: int = 0
    """Instansi (one PPK each) those letters went to."""
    by_step: dict[str, int] = field(default_factory=dict)
    server_messages: int = 0
    """Messages the sandbox's mail server received."""
    server_message_ids: int = 0
    server_ppks: int = 0
    """Instansi whose PIC addresses received mail, by the sandbox data's PIC file."""
    server_by_step: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    """Message-IDs the server received more than once."""
    unmatched: int = 0
    """Message-IDs sent by the outbox but not received, or received but not sent by the outbox."""
    repeat_sent: int = 0
    """Messages the server received during the repeated last cycle (nothing new: 0)."""
    repeat_new_letters: int = 0
    """Outbox rows the repeated last cycle added (0)."""

    @property
    def equal(self) -> bool:
        """Every letter the outbox sent arrived exactly once, and the repeat sent nothing."""
        return (
            self.server_messages == self.server_message_ids == self.sent
            and self.duplicates == 0
            and self.unmatched == 0
            and self.repeat_sent == 0
            and self.repeat_new_letters == 0
        )

    def as_dict(self) -> dict[str, Any]:
        return {**vars(self), "each_sent_once": self.equal}


def check_mail(
    database: Database,
    received: Sequence[ReceivedMail],
    *,
    sent_before: Collection[str],
    pics: Mapping[str, str],
) -> MailCheck:
    """Compare the outbox's rows sent since ``sent_before`` with what the server ``received``."""
    with database.session() as session:
        states = Counter(session.scalars(select(NotificationOutboxEntry.state)))
        rows = session.execute(
            select(NotificationOutboxEntry.message_id, Letter.instansi_id, Letter.step)
            .join(Letter, Letter.id == NotificationOutboxEntry.letter_id)
            .where(NotificationOutboxEntry.state == MailState.SENT)
        ).all()
    sent = [(mid, instansi, step) for mid, instansi, step in rows if mid not in sent_before]
    counts = Counter(mail.message_id for mail in received)
    distinct = {mail.message_id: mail for mail in received}.values()
    return MailCheck(
        outbox={state.value: states.get(state.value, 0) for state in MailState},
        sent=len(sent),
        ppks=len({instansi for _, instansi, _ in sent}),
        by_step=dict(sorted(Counter(step for _, _, step in sent).items())),
        server_messages=len(received),
        server_message_ids=len(counts),
        server_ppks=len({pics.get(r, r) for mail in received for r in mail.recipients}),
        server_by_step=dict(sorted(Counter(_step_of(mail.subject) for mail in distinct).items())),
        duplicates=sum(1 for n in counts.values() if n > 1),
        unmatched=len({mid for mid, _, _ in sent} ^ set(counts)),
    )
