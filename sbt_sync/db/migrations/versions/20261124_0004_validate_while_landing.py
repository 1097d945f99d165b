"""Validation while landing; each payload stored once.

- ``raw_record_versions`` now keeps the contents a record *had*: the current version's payload lives
  in ``raw_records`` only, and a version moves into the history when a newer one replaces it. Until
  now every landed payload was written twice (about a quarter of landing's database time). The rows
  that duplicate a record's current version are deleted; nothing is lost, ``raw_records`` holds them.
- ``ingest_batches.validation``: what validating the batch found (staged, quarantined, drift, a
  sample), when the batch was validated in its landing transaction. The ``validated/<source>`` asset
  reports these for the batches of its run, with whatever it validated itself.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.execute(
        "DELETE FROM raw_record_versions WHERE EXISTS (SELECT 1 FROM raw_records r "
        "WHERE r.id = raw_record_versions.raw_record_id AND r.version = raw_record_versions.version)"
    )
    with op.batch_alter_table("ingest_batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("validation", _JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ingest_batches", schema=None) as batch_op:
        batch_op.drop_column("validation")
    # Give every record its current version back as a history row, as before 0004.
    op.execute(
        "INSERT INTO raw_record_versions (raw_record_id, version, content_hash, payload, seen_at, batch_id) "
        "SELECT id, version, content_hash, payload, last_seen_at, last_batch_id FROM raw_records"
    )
