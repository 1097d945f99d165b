"""Reading letters back: the letters that named a case (for its timeline) and why a step got none."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sbt_sync.db.models import CaseAnnulment, ControlAction
from sbt_sync.db.models.letters import Letter, LetterItem, LetterStep, NotificationOutboxEntry


def case_letters(session: Session, case_id: int) -> list[dict[str, Any]]:
    """Each control step of the case that is a letter step: its letter (number, day, sha256, mail state
    and when it was sent) or why it got none; in step order. Ready for the case timeline."""
    rows = session.execute(
        select(ControlAction, LetterItem, Letter, NotificationOutboxEntry)
        .join(LetterItem, LetterItem.control_action_id == ControlAction.id)
        .outerjoin(Letter, Letter.id == LetterItem.letter_id)
        .outerjoin(NotificationOutboxEntry, NotificationOutboxEntry.letter_id == Letter.id)
        .where(ControlAction.case_id == case_id)
        .order_by(ControlAction.due_on, ControlAction.id)
    ).all()
    found = []
    for action, item, letter, mail in rows:
        entry: dict[str, Any] = {"step": action.action, "due_on": action.due_on.isoformat()}
        if letter is None:
            entry["skipped"] = item.skipped
        else:
            entry |= {
                "number": letter.number,
                "letter_date": letter.letter_date.isoformat(),
                "sha256": letter.sha256,
                "mail": mail.state if mail is not None else None,
                "sent_at": mail.sent_at.isoformat() if mail is not None and mail.sent_at else None,
                "at": letter.created_at,
            }
        found.append(entry)
    # A notice answers for no control step: it is the letter that told the case's withdrawn annulment.
    notices = session.execute(
        select(CaseAnnulment.withdrawn_on, Letter, NotificationOutboxEntry)
        .join(Letter, Letter.id == CaseAnnulment.letter_id)
        .outerjoin(NotificationOutboxEntry, NotificationOutboxEntry.letter_id == Letter.id)
        .where(CaseAnnulment.case_id == case_id, Letter.step == LetterStep.PEMBERITAHUAN)
        .order_by(CaseAnnulment.id)
    ).all()
    for withdrawn_on, letter, mail in notices:
        found.append(
            {
                "step": letter.step,
                "due_on": (withdrawn_on or letter.letter_date).isoformat(),
                "number": letter.number,
                "letter_date": letter.letter_date.isoformat(),
                "sha256": letter.sha256,
                "mail": mail.state if mail is not None else None,
                "sent_at": mail.sent_at.isoformat() if mail is not None and mail.sent_at else None,
                "at": letter.created_at,
            }
        )
    return sorted(found, key=lambda entry: entry["due_on"])
