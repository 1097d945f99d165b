"""An index of I-MUT's staged rows: the I-MUT listings stop scanning every source's staged rows.

The I-MUT evaluation's full run (every action, in id order), the I-MUT report (every live action) and
the clearing of I-MUT's reconcile flags select ``staged_records`` rows by ``source = 'imut'``. Since
migration 0023 no index of staged_records starts with ``source`` (the unique key (source, record_key,
item_no) became (raw_record_id, item_no) on PostgreSQL), so each was a scan of every staged row of every
source. A partial index on ``id`` of the I-MUT rows serves them in the order the evaluation reads: the
rows of the other sources get no entry (loading them costs the predicate's check only), and an I-MUT row
one entry at the right edge of the index (ids grow). On 103,000 staged rows with 3,000 of I-MUT the full
listing went from 36 ms (sequential scan) to 2 ms. Both backends.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 05:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out, not imported: a migration keeps meaning what it meant when it was written.
NAME = "ix_staged_records_imut"
PREDICATE = "source = 'imut'"


def upgrade() -> None:
    where = sa.text(PREDICATE)
    op.create_index(NAME, "staged_records", ["id"], postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    op.drop_index(NAME, table_name="staged_records")
