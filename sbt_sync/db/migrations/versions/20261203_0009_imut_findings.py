"""I-MUT findings: ``imut_findings`` (one row per personnel action and rule, never deleted: closed when
it no longer holds), ``imut_finding_decisions`` (the stewards' append-only decisions on them) and
``imut_evaluations`` (one row per evaluation run: what the next run compares with).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import sbt_sync.db.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RULES = "('pasal_71_2', 'pasal_162_3', 'reporting_7_working_days', 'block_breach', 'possible_retaliation')"
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _when(name: str, *, nullable: bool) -> sa.Column[datetime]:
    return sa.Column(name, sbt_sync.db.base.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "imut_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_key", sa.String(length=160), nullable=False),
        sa.Column("action_id", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("disposition", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("basis_key", sa.String(length=64), nullable=False),
        sa.Column("reason_key", sa.String(length=64), nullable=False),
        sa.Column("reason_params", JSON, nullable=False),
        sa.Column("evidence", JSON, nullable=False),
        sa.Column("records", JSON, nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=True),
        sa.Column("window_first", sa.Date(), nullable=True),
        sa.Column("window_last", sa.Date(), nullable=True),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("basis_hash", sa.String(length=64), nullable=False),
        sa.Column("staged_record_id", sa.Integer(), nullable=True),
        sa.Column("nip", sa.String(length=18), nullable=True),
        sa.Column("instansi_id", sa.String(length=64), nullable=True),
        sa.Column("official_name", sa.String(length=255), nullable=True),
        sa.Column("official_role", sa.String(length=32), nullable=True),
        sa.Column("official_region", sa.String(length=16), nullable=True),
        sa.Column("official_instansi_id", sa.String(length=64), nullable=True),
        sa.Column("decision_no", sa.String(length=128), nullable=True),
        sa.Column("decision_date", sa.Date(), nullable=True),
        sa.Column("review", sa.String(length=16), nullable=False),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=64), nullable=True),
        _when("reviewed_at", nullable=True),
        sa.Column("reopened_reason", sa.Text(), nullable=True),
        sa.Column("closed_reason", sa.Text(), nullable=True),
        _when("first_found_at", nullable=False),
        _when("evaluated_at", nullable=False),
        _when("changed_at", nullable=False),
        _when("closed_at", nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(f"rule IN {RULES}", name=op.f("ck_imut_findings_rule")),
        sa.CheckConstraint(
            "disposition IN ('breach', 'investigate')", name=op.f("ck_imut_findings_disposition")
        ),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_imut_findings_status")),
        sa.CheckConstraint(
            "review IN ('pending', 'investigating', 'confirmed', 'dismissed')",
            name=op.f("ck_imut_findings_review"),
        ),
        sa.ForeignKeyConstraint(
            ["staged_record_id"],
            ["staged_records.id"],
            name=op.f("fk_imut_findings_staged_record_id_staged_records"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imut_findings")),
        sa.UniqueConstraint("finding_key", name=op.f("uq_imut_findings_finding_key")),
    )
    with op.batch_alter_table("imut_findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_imut_findings_action_id"), ["action_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_imut_findings_nip"), ["nip"], unique=False)
        batch_op.create_index(batch_op.f("ix_imut_findings_instansi_id"), ["instansi_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_imut_findings_status_review"), ["status", "review"], unique=False
        )
    op.create_table(
        "imut_finding_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("basis_hash", sa.String(length=64), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        _when("decided_at", nullable=False),
        sa.CheckConstraint(
            "decision IN ('investigate', 'confirm', 'dismiss')",
            name=op.f("ck_imut_finding_decisions_decision"),
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["imut_findings.id"],
            name=op.f("fk_imut_finding_decisions_finding_id_imut_findings"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_imut_finding_decisions_decided_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imut_finding_decisions")),
    )
    with op.batch_alter_table("imut_finding_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_imut_finding_decisions_finding_id_decided_at"),
            ["finding_id", "decided_at"],
            unique=False,
        )

    op.create_table(
        "imut_evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        _when("started_at", nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("calendar_hash", sa.String(length=64), nullable=False),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("actions", sa.Integer(), nullable=False),
        sa.Column("opened", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imut_evaluations")),
    )


def downgrade() -> None:
    op.drop_table("imut_evaluations")
    with op.batch_alter_table("imut_finding_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_imut_finding_decisions_finding_id_decided_at"))
    op.drop_table("imut_finding_decisions")
    with op.batch_alter_table("imut_findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_imut_findings_status_review"))
        batch_op.drop_index(batch_op.f("ix_imut_findings_instansi_id"))
        batch_op.drop_index(batch_op.f("ix_imut_findings_nip"))
        batch_op.drop_index(batch_op.f("ix_imut_findings_action_id"))
    op.drop_table("imut_findings")
