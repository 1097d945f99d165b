"""Indexes for the questions asked every cycle and every metrics scrape of two growing tables.

``siasn_observations`` gains a row per NIP read back in every cycle; ``outbox`` a row per flag change.
The metrics endpoint asks for the latest readback (``observed_at``) and its drift (``run_id``), and when
SIASN last acknowledged (``outbox.acked_at``); the readback and I-MUT ask which rows were created or
acknowledged since a moment (``outbox.created_at``, ``outbox.acked_at``). Without these each question
read the whole table.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 18:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("siasn_observations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_siasn_observations_observed_at"), ["observed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_siasn_observations_run_id"), ["run_id"], unique=False)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_acked_at"), ["acked_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_created_at"))
        batch_op.drop_index(batch_op.f("ix_outbox_acked_at"))
    with op.batch_alter_table("siasn_observations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_siasn_observations_run_id"))
        batch_op.drop_index(batch_op.f("ix_siasn_observations_observed_at"))
