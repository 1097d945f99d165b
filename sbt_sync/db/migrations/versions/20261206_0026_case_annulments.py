"""Annulments of a recommendation as enforcement saw them, and their withdrawal: ``case_annulments``.

When an annulment was withdrawn (the case proven again), enforcement restarted with nothing to tell the
PPK why: the next letter was a teguran out of nowhere. Enforcement now records each annulment it finds
and the run that finds it withdrawn; the PPK's next letter for the case says that enforcement resumed
and why, once (``letter_id``). A new table: existing data is untouched; the downgrade drops it.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sbt_sync.db.base

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("withdrawn_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "case_annulments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("annulled_on", sa.Date(), nullable=True),
        sa.Column("seen_at", sbt_sync.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sbt_sync.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("letter_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_annulments_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["letter_id"],
            ["letters.id"],
            name=op.f("fk_case_annulments_letter_id_letters"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_annulments")),
    )
    op.create_index(
        "uq_case_annulments_open_case_id",
        "case_annulments",
        ["case_id"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("uq_case_annulments_open_case_id", table_name="case_annulments", sqlite_where=OPEN,
                  postgresql_where=OPEN)  # fmt: skip
    op.drop_table("case_annulments")
