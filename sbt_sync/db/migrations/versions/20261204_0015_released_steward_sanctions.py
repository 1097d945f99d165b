"""A steward's sanction version whose case is removed keeps the records it followed.

When reconciliation removes a case (all its records withdrawn, or moved where no case continues it), a
steward's version on it stays with no case. Without the records that case held it could never find its
case again when they return; ``released_records`` keeps their staged ids until a reconciliation places
the version on the case that links one of them.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sanction_versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "released_records",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("sanction_versions", schema=None) as batch_op:
        batch_op.drop_column("released_records")
