"""``asn_registry.left_on``: when the ASN left service, kept apart from the row's latest ``updatedAt``;
``asn_registry.siasn_doubt``: why SIASN cannot vouch for a row now (its cases are held meanwhile).

The departure was read from ``source_updated_at``, which any later SIASN edit of a retired ASN's row
moves. Rows already mirrored with a leaving kedudukan (66, 77, 88, 99: ``schemas/reference/
kedudukan.csv`` when this was written) are dated by the ``updatedAt`` they carry now, the best the
mirror knows.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sbt_sync.db.base

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEAVING = ("66", "77", "88", "99")


def upgrade() -> None:
    # Plain ALTER TABLE on both backends (SQLite >= 3.35 drops a column too): a batch copy of the
    # table would lose SQLite's expression index on the NIP's tail.
    op.add_column(
        "asn_registry", sa.Column("left_on", sbt_sync.db.base.UtcDateTime(timezone=True), nullable=True)
    )
    op.add_column("asn_registry", sa.Column("siasn_doubt", sa.String(length=64), nullable=True))
    registry = sa.table(
        "asn_registry", sa.column("status_id"), sa.column("left_on"), sa.column("source_updated_at")
    )
    op.execute(
        registry.update()
        .where(registry.c.status_id.in_(LEAVING))
        .values(left_on=registry.c.source_updated_at)
    )


def downgrade() -> None:
    op.drop_column("asn_registry", "siasn_doubt")
    op.drop_column("asn_registry", "left_on")
