"""Identity on staged records, complaint-only cases, and the registry's trigram search.

- ``staged_records`` gains the resolved identity (``resolved_nip``, ``identity_rule``,
  ``identity_score``) and indexes on ``raw_record_id`` (staging looks rows up by it) and
  ``resolved_nip``.
- ``cases.event_code`` becomes nullable: a complaint no other source names has no election event.
- On PostgreSQL, ``pg_trgm`` and a GIN trigram index on ``asn_registry.name_normalised`` for the fuzzy
  candidate search. pg_trgm is a trusted extension (PostgreSQL 13+), so the database owner may create
  it; where that is refused the migration still succeeds and the search falls back to instansi
  blocking (``sbt_sync.reconcile.identity.candidates``), which logs why.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGRAM_INDEX = "ix_asn_registry_name_normalised_trgm"


def upgrade() -> None:
    with op.batch_alter_table("staged_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolved_nip", sa.String(length=18), nullable=True))
        batch_op.add_column(sa.Column("identity_rule", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("identity_score", sa.Float(), nullable=True))
        batch_op.create_index(batch_op.f("ix_staged_records_raw_record_id"), ["raw_record_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_staged_records_resolved_nip"), ["resolved_nip"], unique=False)

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.alter_column("event_code", existing_type=sa.String(length=32), nullable=True)

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # A savepoint, so that a refused CREATE EXTENSION does not abort the migration's transaction.
        nested = bind.begin_nested()
        try:
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            bind.exec_driver_sql(
                f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON asn_registry "
                "USING gin (name_normalised gin_trgm_ops)"
            )
        except sa.exc.DBAPIError:
            nested.rollback()
        else:
            nested.commit()


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.alter_column("event_code", existing_type=sa.String(length=32), nullable=False)
    with op.batch_alter_table("staged_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staged_records_resolved_nip"))
        batch_op.drop_index(batch_op.f("ix_staged_records_raw_record_id"))
        batch_op.drop_column("identity_score")
        batch_op.drop_column("identity_rule")
        batch_op.drop_column("resolved_nip")
