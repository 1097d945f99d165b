"""The append-only logs refuse TRUNCATE on PostgreSQL.

Migrations 0001 and 0013 guard ``audit_log`` and the personal-data access log with ``FOR EACH ROW``
triggers on UPDATE and DELETE; PostgreSQL never fires row triggers for TRUNCATE, so one statement could
empty them. A ``BEFORE TRUNCATE ... FOR EACH STATEMENT`` trigger on each table refuses it (a ``TRUNCATE
... CASCADE`` naming or reaching one of them fails as a whole). The retention purge of the access log
deletes row by row under ``sbt.access_log_purge`` (:func:`sbt_sync.pdp.access.purge_access_log`), which
these triggers do not touch. SQLite has no TRUNCATE (its ``DELETE FROM t`` fires the existing triggers).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 21:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("audit_log", "personal_data_access", "personal_data_access_nips")
_FUNCTION = """
CREATE OR REPLACE FUNCTION sbt_append_only_refuse_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_FUNCTION)
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION sbt_append_only_refuse_truncate()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.execute("DROP FUNCTION IF EXISTS sbt_append_only_refuse_truncate()")
