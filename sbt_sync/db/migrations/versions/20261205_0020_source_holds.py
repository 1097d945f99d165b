"""The blocking quarantine check's verdict per source, kept past the run that evaluated it.

``source_holds``: one row per source the ``quarantine_ratio`` check has judged. While ``held``, the
source's changed staged rows wait: no reconciliation (another source's run, a steward re-run, the next
cycle) links them, until a later check passes or a steward releases the source
(``sbt-sync reconcile release``, audited).

0019 is reserved for another change; when it lands, this revision's ``down_revision`` becomes "0019".

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-05 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import sbt_sync.db.base

revision: str = "0020"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "source_holds",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("checked_at", sbt_sync.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("held_since", sbt_sync.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "verdict",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("released_at", sbt_sync.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_source_holds")),
    )


def downgrade() -> None:
    op.drop_table("source_holds")
