"""Migration 0024 on both backends: the letters a steward gave up before it (parked, a PIC's fate
``given_up``, a ``notify.give_up`` audit entry naming the row) move to ``given_up`` with who, when and
why from their latest give-up; a parked letter still waiting for a steward stays parked (one retried
since its give-up too: a retry clears the given-up fates). The state's CHECK constraint admits the new
state after it and refuses it after the downgrade, which parks the given-up letters again."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError

from sbt_sync.db import migrate
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry

pytestmark = pytest.mark.integration

GAVE_UP_AT = datetime(2026, 11, 3, 4, 5, tzinfo=UTC)
SENT = {"state": "sent", "answer": "250 Ok", "at": "2026-11-01T03:00:00+00:00"}
GIVEN_UP = {"state": "given_up", "answer": "alamat mati", "at": "2026-11-03T04:05:00+00:00"}
REFUSED = {"state": "refused", "answer": "550 5.1.1 No such user", "at": "2026-11-01T03:00:00+00:00"}


def _letter_and_row(database: Database, seq: int, deliveries: dict[str, Any]) -> int:
    """A letter and its parked outbox row as revision 0022 stores them; returns the row's id."""
    with database.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO letters (id, number, year, seq, step, instansi_id, instansi_name, letter_date,"
                " part, case_count, content, template, pdf, sha256, created_at) VALUES (:id, :number, 2026,"
                " :id, 'peringatan', 'A1', 'Kab A1', :day, 1, 1, '{}', 't', :pdf, 'x', :at)"
            ),
            {
                "id": seq,
                "number": f"{seq:04d}/B-AK.02.02/SD/F/2026",
                "day": date(2026, 11, seq),
                "pdf": b"%PDF",
                "at": GAVE_UP_AT,
            },
        )
        conn.execute(
            text(
                "INSERT INTO notification_outbox (id, letter_id, message_id, recipients, deliveries, subject,"
                " state, attempts, next_attempt_at, ambiguous_resends, server_answer, created_at) VALUES"
                " (:id, :id, :mid, :recipients, :deliveries, 's', 'parked', 1, :at, 0, '550 refused', :at)"
            ),
            {
                "id": seq,
                "mid": f"<{seq}@bkn>",
                "recipients": json.dumps(sorted(deliveries)),
                "deliveries": json.dumps(deliveries),
                "at": GAVE_UP_AT,
            },
        )
    return seq


def _audit(database: Database, object_id: str, *, actor: str, at: datetime, reason: str) -> None:
    with database.engine.begin() as conn:
        conn.execute(
            insert(AuditEntry),
            {
                "at": at,
                "actor_name": actor,
                "action": "notify.give_up",
                "object_type": "notification_outbox",
                "object_id": object_id,
                "reason": reason,
                "channel": "cli",
            },
        )


def _rows(database: Database) -> dict[int, tuple[str, str | None, datetime | None, str | None]]:
    with database.engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT id, state, given_up_by, given_up_at, given_up_reason FROM notification_outbox"
                " ORDER BY id"
            )
        ).all()
    return {
        i: (state, by, at if at is None or isinstance(at, datetime) else datetime.fromisoformat(at), why)
        for i, state, by, at, why in found
    }


def test_0024_moves_letters_given_up_before_it_to_their_own_state_and_back(empty_database: Database) -> None:
    migrate.upgrade(empty_database, "0022")
    given_up = _letter_and_row(empty_database, 1, {"a@x.go.id": SENT, "b@x.go.id": GIVEN_UP})
    waiting = _letter_and_row(empty_database, 2, {"a@x.go.id": SENT, "b@x.go.id": REFUSED})
    retried = _letter_and_row(empty_database, 3, {"a@x.go.id": SENT, "b@x.go.id": REFUSED})
    earlier = datetime(2026, 11, 2, tzinfo=UTC)
    _audit(empty_database, f"{waiting},{given_up}", actor="budi", at=earlier, reason="pertama")
    _audit(empty_database, str(given_up), actor="sari", at=GAVE_UP_AT, reason="alamat PIC mati")
    _audit(empty_database, str(retried), actor="sari", at=earlier, reason="diserahkan lalu dikirim ulang")

    migrate.upgrade(empty_database, "0024")

    rows = _rows(empty_database)
    state, by, at, why = rows[given_up]
    assert (state, by, why) == ("given_up", "sari", "alamat PIC mati")
    assert at is not None and at.replace(tzinfo=at.tzinfo or UTC) == GAVE_UP_AT
    assert rows[waiting] == ("parked", None, None, None)
    assert rows[retried] == ("parked", None, None, None)
    with empty_database.engine.connect() as conn:  # the audit entries are read, never changed
        assert conn.scalar(select(AuditEntry.reason).where(AuditEntry.object_id == "1")) == "alamat PIC mati"
    with pytest.raises(IntegrityError), empty_database.engine.begin() as conn:
        conn.execute(text("UPDATE notification_outbox SET state = 'lost' WHERE id = 2"))

    migrate.downgrade(empty_database, "0022")

    with empty_database.engine.connect() as conn:
        states = dict(conn.execute(text("SELECT id, state FROM notification_outbox")).tuples().all())
    assert states == {given_up: "parked", waiting: "parked", retried: "parked"}
    with pytest.raises(IntegrityError), empty_database.engine.begin() as conn:
        conn.execute(text("UPDATE notification_outbox SET state = 'given_up' WHERE id = 2"))
