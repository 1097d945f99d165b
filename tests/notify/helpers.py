"""Builders for the notification tests: letters queued as the drafter queues them."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models.letters import Letter, NotificationOutboxEntry
from sbt_sync.notify import queue
from sbt_sync.notify.admin import add_pic
from sbt_sync.notify.message import message_id, subject
from sbt_sync.settings import EnforcementSettings, LetterSettings, NotifySettings, Settings

FROM = "netralitas@bkn.go.id"


def add_pics(database: Database, instansi_id: str, *emails: str) -> None:
    with database.session() as session:
        for email in emails:
            add_pic(session, instansi_id, email, actor="test")


def queue_letters(
    database: Database, count: int, *, instansi_id: str = "A1", start: int = 1, reviewed: bool = False
) -> list[int]:
    """``count`` letters (a small stand-in PDF each) queued to ``instansi_id``'s PIC addresses;
    returns their outbox row ids."""
    ids = []
    with database.session() as session:
        for seq in range(start, start + count):
            pdf = b"%PDF-1.4\n% stand-in letter " + str(seq).encode() + b"\n%%EOF\n"
            number = f"{seq:04d}/B-AK.02.02/SD/F/2026"
            letter = Letter(
                number=number,
                year=2026,
                seq=seq,
                step="peringatan",
                instansi_id=instansi_id,
                instansi_name=f"Pemerintah Kabupaten {instansi_id}",
                letter_date=date(2026, 1, 1) + timedelta(days=seq),
                case_count=1,
                content={},
                template="test",
                pdf=pdf,
                sha256=hashlib.sha256(pdf).hexdigest(),
                created_at=utcnow(),
            )
            session.add(letter)
            session.flush()
            row = queue.enqueue(
                session,
                letter,
                message_id=message_id(letter.id, letter.sha256, FROM),
                subject=subject(letter.step, number, letter.instansi_name),
                reviewed=reviewed,
                now=utcnow(),
            )
            ids.append(row.id)
    return ids


def outbox(database: Database) -> list[NotificationOutboxEntry]:
    with database.session() as session:
        rows = list(session.query(NotificationOutboxEntry).order_by(NotificationOutboxEntry.id))
        session.expunge_all()
    return rows


def settings_with_templates(folder: Path, **notify: Any) -> Settings:
    """Settings whose letters render from ``folder``, with the early warning 3 days before."""
    return Settings(
        enforcement=EnforcementSettings(peringatan_dini_days_before=3),
        notify=NotifySettings(letters=LetterSettings(templates_dir=str(folder)), **notify),
    )
