"""Outbox rows say who holds them and whether SIASN may have applied them.

``outbox.claimed_by`` and ``notification_outbox.claimed_by``: the token of the process that claimed the
row (:mod:`sbt_sync.holders`). A run started with ``recover`` takes a claimed row over at once only when
that process is gone; before, it took every claimed row, even one a live pusher was still sending, and
a later change could then overtake it.

``outbox.maybe_applied``: a row sent without a definite answer (a transient failure, a run that
stopped mid-request) may have been applied by SIASN. When the desired flag flips back, such a row is
not taken as never sent: the opposite change is written, so an unblock is never lost to a block whose
answer went missing.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=128), nullable=True))
        batch_op.add_column(
            sa.Column("maybe_applied", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # A row already sent and given back (attempts, not acked, not refused) may have been applied.
    op.execute(
        "UPDATE outbox SET maybe_applied = TRUE WHERE attempts > 0 AND state IN ('pending', 'superseded')"
    )
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.drop_column("claimed_by")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("maybe_applied")
        batch_op.drop_column("claimed_by")
