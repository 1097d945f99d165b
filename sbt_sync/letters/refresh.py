"""A letter held because nothing knew its instansi's name, named once something does.

Drafting addresses such a letter ``(nama instansi belum tercatat)`` and holds it
(:data:`sbt_sync.letters.model.UNNAMED_INSTANSI`). When an admin gives the name (``pic add
--instansi-name``, the console's PIC page) or the registry learns it, the letter is re-rendered on its
release and before any send, while no PIC can hold it yet: the same number, day and content, addressed
by name, with a new PDF, sha256, subject and Message-ID (nothing was ever sent under the old ones). The
stored PDF stays the one that is mailed. A letter some PIC may already hold is never changed: what a
PPK holds must stay what BKN holds. A letter whose name is still unknown is never sent
(:class:`UnnamedLetter`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sbt_sync.db.base import utcnow
from sbt_sync.db.models import AuditEntry
from sbt_sync.db.models.letters import Letter, NotificationOutboxEntry
from sbt_sync.errors import SbtError
from sbt_sync.letters.model import UNNAMED_INSTANSI
from sbt_sync.letters.render import template_environment


class UnnamedLetter(SbtError):
    """A letter that would go out addressed without its instansi's name."""

    def __init__(self, letter: Letter) -> None:
        super().__init__(
            f"letter {letter.number}: the name of instansi {letter.instansi_id} is still unknown; give it "
            f"(sbt-sync pic add {letter.instansi_id} <address> --instansi-name '<name>') before releasing",
            code="letter_unnamed",
            number=letter.number,
            instansi=letter.instansi_id,
        )


@dataclass(frozen=True)
class Renamed:
    """A letter re-rendered with its instansi's name (for the audit: numbers and hashes, no personal
    data)."""

    letter_id: int
    number: str
    before: str
    after: str
    sha256_before: str
    sha256_after: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "letter": self.number,
            "instansi_name": {"before": self.before, "after": self.after},
            "sha256": {"before": self.sha256_before, "after": self.sha256_after},
        }


def name_letter(session: Session, letter_id: int, templates: Path) -> Renamed | None:
    """Re-render an unnamed letter with its instansi's name as known now, in the caller's transaction;
    None when the letter is named already. The caller makes sure no PIC can hold the letter yet (a held
    row, or :attr:`sbt_sync.notify.queue.ClaimedMail.untouched`). ``UnnamedLetter`` when nothing knows
    the name yet."""
    if session.scalar(select(Letter.instansi_name).where(Letter.id == letter_id)) != UNNAMED_INSTANSI:
        return None  # named already (the common case: read without loading the PDF)
    # Drafting and the mail's headers live beside the notifier, which imports this module.
    from sbt_sync.letters.draft import letter_instansi_name, letter_pdf
    from sbt_sync.notify.message import rekey, subject

    letter = session.get(Letter, letter_id)
    if letter is None:
        return None
    name = letter_instansi_name(session, letter.id, letter.instansi_id)
    if not name:
        raise UnnamedLetter(letter)
    context = dict(letter.content) | {"instansi_name": name}
    pdf = letter_pdf(template_environment(templates), letter.step, letter.number, letter.letter_date, context)
    renamed = Renamed(
        letter.id,
        letter.number,
        letter.instansi_name,
        name,
        letter.sha256,
        hashlib.sha256(pdf).hexdigest(),
    )
    letter.instansi_name, letter.content, letter.pdf = name, context, pdf
    letter.sha256 = renamed.sha256_after
    mail = session.scalar(
        select(NotificationOutboxEntry).where(NotificationOutboxEntry.letter_id == letter.id)
    )
    if mail is not None:
        mail.subject = subject(letter.step, letter.number, name)
        mail.message_id = rekey(mail.message_id, letter.id, letter.sha256)
    session.flush()
    return renamed


def audit_renamed(session: Session, renamed: Renamed, *, actor: str, channel: str) -> None:
    """The audit entry of a letter named by the notifier just before it went out."""
    session.add(
        AuditEntry(
            at=utcnow(),
            actor_id=None,
            actor_name=actor,
            action="letter.rename",
            object_type="letter",
            object_id=str(renamed.letter_id),
            before={"instansi_name": renamed.before, "sha256": renamed.sha256_before},
            after={"instansi_name": renamed.after, "sha256": renamed.sha256_after},
            reason="nama instansi diketahui sebelum surat dikirim",
            channel=channel,
        )
    )
