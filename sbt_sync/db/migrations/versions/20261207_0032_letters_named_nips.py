"""Letters keep the NIPs they name (``letters.nips``), for the access log of their reads.

A read of a letter (its page, its PDF) was recorded under the NIPs its cases hold *now*: a case whose
NIP was corrected after drafting, a step lettered again for another PPK (its ``letter_items`` row moved
to the new letter) or a notice (no ``letter_items`` at all) left the person the letter names without
that read in his subject-access trail (UU 27/2022). Drafting now stores the NIPs in clear beside the
letter (the PDF prints them masked as the deployment chooses); a read is recorded under them.

Letters drafted before this migration have no such list (NULL): their reads fall back to their cases'
NIPs of now, as before (nothing better is known of them).

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "nips",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.drop_column("nips")
