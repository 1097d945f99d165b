"""Cheaper staged rows to load, the same invariants (issue 16 item 6: PostgreSQL's share of ingest).

- One staged row per (source, key, item) is now the unique index (raw_record_id, item_no): raw_records
  is unique on (source, key) and a staged row's source and key are its raw record's, so the two say
  the same. One narrow integer index replaces the wide text key plus the separate raw_record_id
  index (which the new key's leading column serves: staging's lookups, the cascade from raw_records).
  Readers that look staged rows up by (source, key) go through raw_records' unique index. SQLite
  keeps the old table-level key as well (dropping it means recreating the table: see ``upgrade``).
- The indexes on nip, register_no, recommendation_no, resolved_nip and name_normalised are partial
  (``IS NOT NULL``): every reader looks a value up, so a row without one needs no entry (resolved_nip
  is empty on every row ingestion stages; most sources carry no register number).
- ``fields`` is ``json`` on PostgreSQL, not ``jsonb``: no reader uses a jsonb operator or compares
  it (one ``->>``, which ``json`` has), and jsonb's parse into its binary form was a third of the
  staged COPY's cost. The text is kept as written, as SQLite keeps it. SQLite: unchanged type.

Every row is kept; no value changes (``jsonb -> json`` casts the same document).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTIAL = ("nip", "register_no", "recommendation_no", "resolved_nip", "name_normalised")


def _partial_index(column: str) -> None:
    where = sa.text(f"{column} IS NOT NULL")
    op.create_index(
        f"ix_staged_records_{column}", "staged_records", [column], postgresql_where=where, sqlite_where=where
    )


def upgrade() -> None:
    # No batch mode: on SQLite, recreating staged_records would drop the old table with foreign keys
    # on, and that implicit DELETE cascades to case_links and link_corrections (and empties the
    # staged ids of conflicts and provenance). Nothing here needs a recreate except dropping the old
    # table-level unique key, which SQLite keeps (an equivalent key; SQLite is not the load target).
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.drop_constraint("uq_staged_records_source_record_key_item_no", "staged_records", type_="unique")
    op.create_index(
        "uq_staged_records_raw_record_id_item_no", "staged_records", ["raw_record_id", "item_no"], unique=True
    )
    op.drop_index("ix_staged_records_raw_record_id", table_name="staged_records")
    for column in PARTIAL:
        op.drop_index(f"ix_staged_records_{column}", table_name="staged_records")
        _partial_index(column)
    if postgres:
        op.alter_column(
            "staged_records",
            "fields",
            type_=sa.JSON(),
            existing_type=postgresql.JSONB(astext_type=sa.Text()),
            existing_nullable=False,
            postgresql_using="fields::json",
        )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.alter_column(
            "staged_records",
            "fields",
            type_=postgresql.JSONB(astext_type=sa.Text()),
            existing_type=sa.JSON(),
            existing_nullable=False,
            postgresql_using="fields::jsonb",
        )
    for column in PARTIAL:
        op.drop_index(f"ix_staged_records_{column}", table_name="staged_records")
        op.create_index(f"ix_staged_records_{column}", "staged_records", [column])
    op.create_index("ix_staged_records_raw_record_id", "staged_records", ["raw_record_id"])
    op.drop_index("uq_staged_records_raw_record_id_item_no", table_name="staged_records")
    if postgres:
        op.create_unique_constraint(
            "uq_staged_records_source_record_key_item_no",
            "staged_records",
            ["source", "record_key", "item_no"],
        )
