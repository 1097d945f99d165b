"""Sanction versions after objections (keberatan) and revisions: ``sanction_versions``.

Cases reconciled before this revision have no versions until a reconciliation recomputes them: run
``sbt-sync reconcile run --full`` once after upgrading.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import sbt_sync.db.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _when(name: str, *, nullable: bool) -> sa.Column[datetime]:
    return sa.Column(name, sbt_sync.db.base.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "sanction_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("version_key", sa.String(length=160), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=True),
        sa.Column("letter_no", sa.String(length=128), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_ref", sa.String(length=255), nullable=True),
        sa.Column("staged_record_id", sa.Integer(), nullable=True),
        sa.Column("reported_by", JSON, nullable=False),
        sa.Column("in_force", sa.Boolean(), nullable=False),
        _when("source_updated_at", nullable=True),
        _when("recorded_at", nullable=False),
        sa.Column("entered_by", sa.String(length=64), nullable=True),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        _when("applied_at", nullable=True),
        sa.CheckConstraint("kind IN ('sanction', 'annulment')", name=op.f("ck_sanction_versions_kind")),
        sa.CheckConstraint(
            "(kind = 'annulment' AND code IS NULL) OR (kind = 'sanction' AND code IS NOT NULL)",
            name=op.f("ck_sanction_versions_code_of_kind"),
        ),
        sa.CheckConstraint(
            "source <> 'steward' OR (letter_no IS NOT NULL AND decided_on IS NOT NULL "
            "AND entered_by IS NOT NULL AND reason IS NOT NULL)",
            name=op.f("ck_sanction_versions_steward_letter"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_sanction_versions_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["staged_record_id"],
            ["staged_records.id"],
            name=op.f("fk_sanction_versions_staged_record_id_staged_records"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["users.id"],
            name=op.f("fk_sanction_versions_entered_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanction_versions")),
        sa.UniqueConstraint("case_id", "version_key", name=op.f("uq_sanction_versions_case_id_version_key")),
    )
    with op.batch_alter_table("sanction_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sanction_versions_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sanction_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sanction_versions_case_id"))
    op.drop_table("sanction_versions")
