"""The registry's identity search at national scale: token anchors and the NIP tail.

- On PostgreSQL, four ``text_pattern_ops`` indexes let the candidate search find misspelt names by
  the tokens they still share, as byte ranges: names of an instansi starting with a token
  (``instansi_id, name_normalised``) or ending with one (``instansi_id, reverse(name_normalised)``),
  and names nationally starting or ending with several tokens (``name_normalised``,
  ``reverse(name_normalised)``). 0002's GIN trigram index goes: its ``%`` search cost 0.4 to 0.6 s a
  query at 4.3 million rows, and nothing uses it now (pg_trgm stays, for ``similarity``).
- On every dialect, an expression index on ``substr(nip, 9, 10)``: the digits after the birth date
  (appointment, gender, serial), so a NIP whose birth date is impossible still finds its holder.

None of these is in the models (expression and operator-class indexes); all are in
``sbt_sync.db.migrate.DIALECT_ONLY_INDEXES`` so schema comparison leaves them alone.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GIN_INDEX = "ix_asn_registry_name_normalised_trgm"
TAIL_INDEX = "ix_asn_registry_nip_tail"
ANCHOR_INDEXES = {
    "ix_asn_registry_instansi_name_head": "instansi_id, name_normalised text_pattern_ops",
    "ix_asn_registry_instansi_name_tail": "instansi_id, reverse(name_normalised) text_pattern_ops",
    "ix_asn_registry_name_head": "name_normalised text_pattern_ops",
    "ix_asn_registry_name_tail": "reverse(name_normalised) text_pattern_ops",
}


def upgrade() -> None:
    op.create_index(TAIL_INDEX, "asn_registry", [sa.text("substr(nip, 9, 10)")], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for name, columns in ANCHOR_INDEXES.items():
            bind.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON asn_registry ({columns})")
        bind.exec_driver_sql(f"DROP INDEX IF EXISTS {GIN_INDEX}")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # As 0002 made it: inside a savepoint, since pg_trgm may be missing where it was refused.
        nested = bind.begin_nested()
        try:
            bind.exec_driver_sql(
                f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON asn_registry "
                "USING gin (name_normalised gin_trgm_ops)"
            )
        except sa.exc.DBAPIError:
            nested.rollback()
        else:
            nested.commit()
        for name in ANCHOR_INDEXES:
            bind.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    op.drop_index(TAIL_INDEX, table_name="asn_registry")
