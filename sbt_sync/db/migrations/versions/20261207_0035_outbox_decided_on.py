"""The day each SIASN change was decided for: ``outbox.decided_on``.

The recap and the compliance report count a block once SIASN acknowledged it. A report for an earlier
day (``--as-of``) counted every block acknowledged so far, those decided after that day included, and
no unblock decided since: the day's "Diblokir" showed today's blocks. Enforcement now writes the day it
decided for (its ``as_of``) on each outbox row; a readback's re-send carries the NIP's latest one. A
report for a day counts the acknowledged rows decided on or before it.

Rows written before this migration keep NULL, which every report counts as known (as before). The
downgrade drops the column.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07 04:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE on both backends (SQLite >= 3.35 drops a column too): a batch copy of the table
    # would drop and recreate it, with its triggers and the foreign keys that name it.
    op.add_column("outbox", sa.Column("decided_on", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox", "decided_on")
