"""Identity disputes hold cases; unresolved identities and link corrections reach stewards.

- ``conflicts.kind`` admits ``unresolved``: a row that names an ASN whom the registry cannot offer
  opens a conflict instead of staying silently unidentified. ``conflicts.staged_record_id`` is
  indexed: every reconciliation looks up the open identity disputes of the records it links.
- ``cases.hold_reason`` names the conflict(s) that hold a case; ``cases.status`` admits ``aduan``
  (a public complaint that no body has forwarded).
- ``link_corrections``: a steward's sticky corrections of the crosswalk (move a record to another
  case or person, split, merge), reopened when a record they relied on changes, revocable.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sbt_sync.db.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_KINDS = "('identity', 'name_mismatch', 'critical_field', 'lifecycle', 'ambiguous_link')"
_NEW_KINDS = "('identity', 'name_mismatch', 'unresolved', 'critical_field', 'lifecycle', 'ambiguous_link')"
_OLD_STATUSES = (
    "('menunggu_verifikasi', 'menunggu_tindak_lanjut_ppk', 'tidak_terbukti', 'dibatalkan', 'ditolak', "
    "'asn_berhenti', 'dijatuhi_hukuman')"
)
_NEW_STATUSES = (
    "('aduan', 'menunggu_verifikasi', 'menunggu_tindak_lanjut_ppk', 'tidak_terbukti', 'dibatalkan', "
    "'ditolak', 'asn_berhenti', 'dijatuhi_hukuman')"
)


def upgrade() -> None:
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_conflicts_kind"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_conflicts_kind"), f"kind IN {_NEW_KINDS}")
        batch_op.create_index(batch_op.f("ix_conflicts_staged_record_id"), ["staged_record_id"], unique=False)
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hold_reason", sa.Text(), nullable=True))
        batch_op.drop_constraint(batch_op.f("ck_cases_status"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_cases_status"), f"status IN {_NEW_STATUSES}")

    op.create_table(
        "link_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("staged_record_id", sa.Integer(), nullable=False),
        sa.Column("target_staged_record_id", sa.Integer(), nullable=True),
        sa.Column("target_nip", sa.String(length=18), nullable=True),
        sa.Column("basis_hash", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reopened_reason", sa.Text(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sbt_sync.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sbt_sync.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sbt_sync.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=64), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('move_record', 'assign_person', 'split', 'merge')",
            name=op.f("ck_link_corrections_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'reopened', 'revoked')", name=op.f("ck_link_corrections_status")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_link_corrections_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["staged_record_id"],
            ["staged_records.id"],
            name=op.f("fk_link_corrections_staged_record_id_staged_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_staged_record_id"],
            ["staged_records.id"],
            name=op.f("fk_link_corrections_target_staged_record_id_staged_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_corrections")),
    )
    with op.batch_alter_table("link_corrections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_link_corrections_staged_record_id"), ["staged_record_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_link_corrections_target_staged_record_id"),
            ["target_staged_record_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_link_corrections_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("link_corrections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_corrections_status"))
        batch_op.drop_index(batch_op.f("ix_link_corrections_target_staged_record_id"))
        batch_op.drop_index(batch_op.f("ix_link_corrections_staged_record_id"))
    op.drop_table("link_corrections")
    op.execute("UPDATE cases SET status = 'menunggu_verifikasi' WHERE status = 'aduan'")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_cases_status"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_cases_status"), f"status IN {_OLD_STATUSES}")
        batch_op.drop_column("hold_reason")
    # An unresolved identity was no conflict before 0005: the rows stay unidentified, as they were.
    op.execute(
        "DELETE FROM steward_decisions WHERE conflict_id IN (SELECT id FROM conflicts WHERE kind = 'unresolved')"
    )
    op.execute("DELETE FROM conflicts WHERE kind = 'unresolved'")
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conflicts_staged_record_id"))
        batch_op.drop_constraint(batch_op.f("ck_conflicts_kind"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_conflicts_kind"), f"kind IN {_OLD_KINDS}")
