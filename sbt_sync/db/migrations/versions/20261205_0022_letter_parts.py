"""Letters: a follow-up letter the same day, each PIC's delivery of a letter, the instansi's name.

``letters.part``: 1 for the day's letter of a PPK and step, 2, 3, ... for a follow-up (surat susulan)
that day. Before, the unique (instansi, step, day) made an early warning recorded after the PPK's
letter of the day wait for tomorrow's, which on the deadline day no longer goes: the early warning was
lost. The unique key now includes ``part``.

``notification_outbox.deliveries``: per recipient (PIC address), what its server answered. Before, one
PIC's server deferring (4xx at RCPT TO) deferred the letter for every PIC, and one refusing (5xx) was
only noted on a row marked sent. Now each PIC receives the letter once: a deferring one is retried
alone, a refused one is parked for a steward while the others are delivered. Rows already sent count
every recipient as delivered.

``pic_addresses.instansi_name``: the instansi's name as the admin gives it with a PIC address, so a
letter names its PPK in words when the registry mirror has no member of the instansi (it printed the
bare SIASN code before).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pic_addresses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("instansi_name", sa.String(length=255), nullable=True))
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "deliveries",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("part", sa.Integer(), server_default="1", nullable=False))
        batch_op.drop_constraint("uq_letters_instansi_id_step_letter_date", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_letters_instansi_id_step_letter_date_part"),
            ["instansi_id", "step", "letter_date", "part"],
        )


def downgrade() -> None:
    # A follow-up letter (part > 1) cannot be kept under the old key: refuse rather than lose it.
    follow_ups = op.get_bind().scalar(sa.text("SELECT COUNT(*) FROM letters WHERE part > 1"))
    if follow_ups:
        raise RuntimeError(f"{follow_ups} follow-up letter(s) exist; the old schema cannot hold them")
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.drop_constraint("uq_letters_instansi_id_step_letter_date_part", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_letters_instansi_id_step_letter_date"), ["instansi_id", "step", "letter_date"]
        )
        batch_op.drop_column("part")
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.drop_column("deliveries")
    with op.batch_alter_table("pic_addresses", schema=None) as batch_op:
        batch_op.drop_column("instansi_name")
