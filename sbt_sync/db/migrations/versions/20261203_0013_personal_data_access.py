"""Personal data access log (UU 27/2022): who read which ASN's personal data, append-only on both backends.

``personal_data_access`` holds one row per read (who, when, channel, what, why, an export's row count
and filter); ``personal_data_access_nips`` one row per ASN the read showed, as the HMAC-SHA256 of the
NIP under the deployment's key, never the NIP.

Both tables refuse UPDATE and DELETE: on PostgreSQL a row trigger raises, unless a DELETE runs in a
transaction that set ``sbt.access_log_purge`` to ``on`` (``set_config(..., true)``: that transaction
only), which only :func:`sbt_sync.pdp.access.purge_access_log` does; on SQLite (no session settings)
triggers raise as 0006 does for the audit log, and the purge drops the DELETE triggers and creates them
again inside its own transaction, so no other connection ever sees them missing. (A later migration
that rebuilds either table with ``batch_alter_table`` on SQLite drops these triggers and must create
them again.)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import sbt_sync.db.base

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TABLES = ("personal_data_access", "personal_data_access_nips")
_OPERATIONS = ("UPDATE", "DELETE")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION sbt_personal_data_access_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('sbt.access_log_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def _when(name: str, *, nullable: bool) -> sa.Column[datetime]:
    return sa.Column(name, sbt_sync.db.base.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "personal_data_access",
        sa.Column("id", sa.Integer(), nullable=False),
        _when("accessed_at", nullable=False),
        sa.Column("who", sa.String(length=128), nullable=False),
        sa.Column("who_kind", sa.String(length=16), nullable=False),
        sa.Column("token_name", sa.String(length=128), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=True),
        sa.Column("nip_count", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("filter", JSON, nullable=True),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "channel IN ('console', 'api', 'cli')", name=op.f("ck_personal_data_access_channel")
        ),
        sa.CheckConstraint(
            "who_kind IN ('user', 'token', 'os_user')", name=op.f("ck_personal_data_access_who_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_data_access")),
    )
    op.create_index(op.f("ix_personal_data_access_accessed_at"), "personal_data_access", ["accessed_at"])
    op.create_index(op.f("ix_personal_data_access_channel"), "personal_data_access", ["channel"])
    op.create_index(op.f("ix_personal_data_access_kind"), "personal_data_access", ["kind"])
    op.create_index("ix_personal_data_access_who_accessed_at", "personal_data_access", ["who", "accessed_at"])

    op.create_table(
        "personal_data_access_nips",
        sa.Column("access_id", sa.Integer(), nullable=False),
        sa.Column("nip_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["access_id"],
            ["personal_data_access.id"],
            name=op.f("fk_personal_data_access_nips_access_id_personal_data_access"),
        ),
        sa.PrimaryKeyConstraint("access_id", "nip_hash", name=op.f("pk_personal_data_access_nips")),
    )
    op.create_index(op.f("ix_personal_data_access_nips_nip_hash"), "personal_data_access_nips", ["nip_hash"])

    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION sbt_personal_data_access_append_only()"
            )
    elif op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            for operation in _OPERATIONS:
                op.execute(
                    f"CREATE TRIGGER {table}_append_only_{operation.lower()} BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
                )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in TABLES:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        elif dialect == "sqlite":
            for operation in _OPERATIONS:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only_{operation.lower()}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS sbt_personal_data_access_append_only()")
    op.drop_index(op.f("ix_personal_data_access_nips_nip_hash"), table_name="personal_data_access_nips")
    op.drop_table("personal_data_access_nips")
    for index in ("who_accessed_at", "kind", "channel", "accessed_at"):
        op.drop_index(f"ix_personal_data_access_{index}", table_name="personal_data_access")
    op.drop_table("personal_data_access")
