"""A record that joined a case by number while naming another ASN opens a conflict: ``named_other``.

DESIGN.md, "Identity disputes hold": a case is held while any record linked to it has an open identity
dispute, including a record that joined it by register or recommendation number while naming someone
else. Such a record held its case before, but no conflict was opened, so the stewards' queue never
showed the dispute. ``conflicts.kind`` now admits ``named_other``; the downgrade deletes those
conflicts and the decisions on them (the cases stay held by the dispute itself, as before).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 03:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out, not imported: a migration keeps meaning what it meant when it was written.
KINDS_BEFORE = "('identity', 'name_mismatch', 'unresolved', 'critical_field', 'lifecycle', 'ambiguous_link')"
KINDS_AFTER = (
    "('identity', 'name_mismatch', 'unresolved', 'critical_field', 'lifecycle', 'ambiguous_link', "
    "'named_other')"
)


def upgrade() -> None:
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_conflicts_kind"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_conflicts_kind"), f"kind IN {KINDS_AFTER}")


def downgrade() -> None:
    op.execute(
        "DELETE FROM steward_decisions WHERE conflict_id IN (SELECT id FROM conflicts WHERE kind = 'named_other')"
    )
    op.execute("DELETE FROM conflicts WHERE kind = 'named_other'")
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_conflicts_kind"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_conflicts_kind"), f"kind IN {KINDS_BEFORE}")
