"""Staged rows remember the keys they were last linked by: ``linked_register_no``,
``linked_recommendation_no`` and ``linked_nip``.

An incremental reconciliation re-links the records reachable from the changed ones through the
register number, the recommendation number and the resolved NIP. It read only a changed row's new
values, so the records it had been linked with through its old values kept links a full run would not
give them (a recommendation left beside a case it now joins, an ambiguity that no longer exists).
Existing rows take their current values: the last reconciliation linked them by those, unless they
are waiting for one, which is what the reconciliation did before this revision too.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staged_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("linked_register_no", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("linked_recommendation_no", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("linked_nip", sa.String(length=18), nullable=True))
    op.execute(
        "UPDATE staged_records SET linked_register_no = register_no, "
        "linked_recommendation_no = recommendation_no, linked_nip = resolved_nip"
    )


def downgrade() -> None:
    with op.batch_alter_table("staged_records", schema=None) as batch_op:
        batch_op.drop_column("linked_nip")
        batch_op.drop_column("linked_recommendation_no")
        batch_op.drop_column("linked_register_no")
