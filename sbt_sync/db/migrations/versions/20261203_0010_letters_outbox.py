"""Letters to PPKs and their delivery by mail: ``pic_addresses``, ``letter_sequences``, ``letters``,
``letter_items`` and ``notification_outbox``; control actions may be a ``peringatan_dini``.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import sbt_sync.db.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
ACTIONS_BEFORE = "action IN ('peringatan', 'teguran', 'pemblokiran', 'buka_blokir', 'hold')"
ACTIONS_AFTER = "action IN ('peringatan_dini', 'peringatan', 'teguran', 'pemblokiran', 'buka_blokir', 'hold')"


def _when(name: str, *, nullable: bool) -> sa.Column[datetime]:
    return sa.Column(name, sbt_sync.db.base.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("control_actions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_control_actions_action"), type_="check")
        batch_op.create_check_constraint("action", ACTIONS_AFTER)
    op.create_table(
        "pic_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instansi_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        _when("added_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pic_addresses")),
        sa.UniqueConstraint("instansi_id", "email", name=op.f("uq_pic_addresses_instansi_id_email")),
    )
    op.create_table(
        "letter_sequences",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_letter_sequences")),
    )
    op.create_table(
        "letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=128), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("instansi_id", sa.String(length=64), nullable=False),
        sa.Column("instansi_name", sa.String(length=255), nullable=False),
        sa.Column("letter_date", sa.Date(), nullable=False),
        sa.Column("case_count", sa.Integer(), nullable=False),
        sa.Column("content", JSON, nullable=False),
        sa.Column("template", sa.String(length=255), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        _when("created_at", nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "step IN ('peringatan_dini', 'peringatan', 'teguran')", name=op.f("ck_letters_step")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letters")),
        sa.UniqueConstraint("number", name=op.f("uq_letters_number")),
        sa.UniqueConstraint(
            "instansi_id", "step", "letter_date", name=op.f("uq_letters_instansi_id_step_letter_date")
        ),
        sa.UniqueConstraint("year", "seq", name=op.f("uq_letters_year_seq")),
    )
    op.create_table(
        "letter_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("control_action_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=True),
        sa.Column("skipped", sa.Text(), nullable=True),
        _when("created_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_letter_items_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["control_action_id"],
            ["control_actions.id"],
            name=op.f("fk_letter_items_control_action_id_control_actions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["letter_id"], ["letters.id"], name=op.f("fk_letter_items_letter_id_letters"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_items")),
        sa.UniqueConstraint("control_action_id", name=op.f("uq_letter_items_control_action_id")),
    )
    with op.batch_alter_table("letter_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_letter_items_letter_id"), ["letter_id"], unique=False)
    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("recipients", JSON, nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("next_attempt_at", nullable=False),
        _when("data_sent_at", nullable=True),
        sa.Column("ambiguous_resends", sa.Integer(), nullable=False),
        sa.Column("server_answer", sa.Text(), nullable=True),
        _when("created_at", nullable=False),
        _when("sent_at", nullable=True),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "state IN ('held', 'pending', 'sending', 'sent', 'parked')",
            name=op.f("ck_notification_outbox_state"),
        ),
        sa.ForeignKeyConstraint(
            ["letter_id"],
            ["letters.id"],
            name=op.f("fk_notification_outbox_letter_id_letters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_outbox")),
        sa.UniqueConstraint("letter_id", name=op.f("uq_notification_outbox_letter_id")),
        sa.UniqueConstraint("message_id", name=op.f("uq_notification_outbox_message_id")),
    )
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_outbox_state_next_attempt_at"),
            ["state", "next_attempt_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_outbox_state_next_attempt_at"))
    op.drop_table("notification_outbox")
    with op.batch_alter_table("letter_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_letter_items_letter_id"))
    op.drop_table("letter_items")
    op.drop_table("letters")
    op.drop_table("letter_sequences")
    op.drop_table("pic_addresses")
    op.execute("DELETE FROM control_actions WHERE action = 'peringatan_dini'")
    with op.batch_alter_table("control_actions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_control_actions_action"), type_="check")
        batch_op.create_check_constraint("action", ACTIONS_BEFORE)
