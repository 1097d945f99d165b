"""An index on ``staged_records.name_normalised``.

A registry page that brings a new ASN or a changed name flags the staged rows whose identity came from
a name search under that name (old and new), so the next reconciliation resolves them again: a new
namesake makes a name link ambiguous, an ASN reaching the mirror resolves an unresolved row. Without an
index that question scans the staged records once per page, thousands of times in a first load.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 21:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staged_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staged_records_name_normalised"), ["name_normalised"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("staged_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staged_records_name_normalised"))
