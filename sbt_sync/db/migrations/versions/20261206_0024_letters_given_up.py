"""Letters a steward gave up get a state of their own: ``notification_outbox.state`` ``given_up``.

Before, a letter given up (``sbt-sync notify give-up``, the console's form) stayed ``parked``: the
letters pages and reports could not tell "waiting for a steward" from "given up on purpose", and a
steward's "retry every parked letter" sent it again. Now it is ``given_up`` (final: nothing sends it
again), with who gave it up, when and why on the row (``given_up_by``, ``given_up_at``,
``given_up_reason``).

Existing given-up letters (parked, a PIC's fate ``given_up``, and a ``notify.give_up`` audit entry
naming the row) move to the new state, with who, when and why from their latest such audit entry.
The downgrade parks them again (their fates still say ``given_up``).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 02:00:00
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import sbt_sync.db.base

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out, not imported: a migration keeps meaning what it meant when it was written.
STATES_BEFORE = "('held', 'pending', 'sending', 'sent', 'parked')"
STATES_AFTER = "('held', 'pending', 'sending', 'sent', 'parked', 'given_up')"


def _fates(value: Any) -> dict[str, Any]:
    """``deliveries`` as read by a raw query: a dict (PostgreSQL's JSONB) or JSON text (SQLite)."""
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, dict) else {}


def upgrade() -> None:
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("given_up_by", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("given_up_at", sbt_sync.db.base.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("given_up_reason", sa.Text(), nullable=True))
        batch_op.drop_constraint(batch_op.f("ck_notification_outbox_state"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_notification_outbox_state"), f"state IN {STATES_AFTER}"
        )

    bind = op.get_bind()
    parked = {
        row_id: _fates(deliveries)
        for row_id, deliveries in bind.execute(
            sa.text("SELECT id, deliveries FROM notification_outbox WHERE state = 'parked'")
        )
    }
    given_up = {
        row_id
        for row_id, fates in parked.items()
        if any(f.get("state") == "given_up" for f in fates.values())
    }
    if not given_up:
        return
    audit = sa.table(
        "audit_log",
        sa.column("id", sa.Integer()),
        sa.column("at", sbt_sync.db.base.UtcDateTime(timezone=True)),
        sa.column("actor_name", sa.String()),
        sa.column("action", sa.String()),
        sa.column("object_id", sa.String()),
        sa.column("reason", sa.Text()),
    )
    latest: dict[int, tuple[Any, str, str | None]] = {}
    entries = bind.execute(
        sa.select(audit.c.at, audit.c.actor_name, audit.c.object_id, audit.c.reason)
        .where(audit.c.action == "notify.give_up")
        .order_by(audit.c.id)
    )
    for at, actor, object_id, reason in entries:
        for part in (object_id or "").split(","):
            if part.strip().isdigit() and int(part) in given_up:
                latest[int(part)] = (at, actor, reason)
    box = sa.table(
        "notification_outbox",
        sa.column("id", sa.Integer()),
        sa.column("state", sa.String()),
        sa.column("given_up_by", sa.String()),
        sa.column("given_up_at", sbt_sync.db.base.UtcDateTime(timezone=True)),
        sa.column("given_up_reason", sa.Text()),
    )
    for row_id, (at, actor, reason) in sorted(latest.items()):
        bind.execute(
            sa.update(box)
            .where(box.c.id == row_id, box.c.state == "parked")
            .values(state="given_up", given_up_by=actor, given_up_at=at, given_up_reason=reason)
        )


def downgrade() -> None:
    op.execute("UPDATE notification_outbox SET state = 'parked' WHERE state = 'given_up'")
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_notification_outbox_state"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_notification_outbox_state"), f"state IN {STATES_BEFORE}"
        )
        batch_op.drop_column("given_up_reason")
        batch_op.drop_column("given_up_at")
        batch_op.drop_column("given_up_by")
