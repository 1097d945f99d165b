"""Which rules stored derived values were computed with: ``rule_digests``.

Normalised names (the registry mirror's and the staged rows') and identity results are computed once
and kept. When the rules behind them change (a title added to the lists, a threshold in ``sbt.yaml``),
the stored values kept the old rules: an ASN's registered name no longer compared equal to the same
name written in a report, and a needless ``name_mismatch`` hold lifted a block until someone ran
``reconcile run --full`` by hand. Reconciliation now records the rules' digests and recomputes what is
stale when they move (``sbt_sync.reconcile.rules``).

A new, empty table: the first reconciliation after this upgrade finds no digest, so it renormalises the
stored names and re-resolves every identity once (session 21 changed the name rules). The downgrade
drops the table.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sbt_sync.db.base

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rule_digests",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("applied_at", sbt_sync.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_rule_digests")),
    )


def downgrade() -> None:
    op.drop_table("rule_digests")
