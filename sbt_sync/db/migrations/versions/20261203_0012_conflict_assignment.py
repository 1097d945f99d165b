"""Conflict assignment to a steward (the queue as a team's task list).

``conflicts.claimed_by_id`` stays the one holder of a conflict (its assignee); ``assigned_by_id`` says
who gave it to them (the holder themself for a claim). ``claimed_by_id`` is indexed: "tugas saya" (my
tasks) and the assignee filter look conflicts up by holder.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assigned_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_conflicts_assigned_by_id_users"), "users", ["assigned_by_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_conflicts_claimed_by_id"), ["claimed_by_id"], unique=False)
    # A claim made before this revision was its holder's own.
    op.execute("UPDATE conflicts SET assigned_by_id = claimed_by_id WHERE claimed_by_id IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conflicts_claimed_by_id"))
        batch_op.drop_constraint(batch_op.f("fk_conflicts_assigned_by_id_users"), type_="foreignkey")
        batch_op.drop_column("assigned_by_id")
