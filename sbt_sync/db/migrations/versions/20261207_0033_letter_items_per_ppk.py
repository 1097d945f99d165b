"""A control step may be lettered to two PPKs: ``letter_items.control_action_id`` is no longer unique.

A letter one PIC of its PPK had received when one of its cases moved to another instansi (a transfer
the registry reported before the letter reached every PIC) stopped there: the old PPK had the step,
the new PPK never got it, because a step could have one letter only and its row stayed with the
letter the old PPK holds. Now the moved case's step gets a second ``letter_items`` row, for the new
PPK's letter, and the first stays: the case's timeline, the subject-access report and the compliance
report keep the letter the old PPK received. A letter never sent still gives its row up to the new
letter, as before (it reached nobody).

The unique key becomes a plain index (drafting still finds a step's letters by it). Downgrading
refuses while any step has two rows (the old schema cannot hold them).

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("letter_items", schema=None) as batch_op:
        batch_op.drop_constraint("uq_letter_items_control_action_id", type_="unique")
        batch_op.create_index(batch_op.f("ix_letter_items_control_action_id"), ["control_action_id"])


def downgrade() -> None:
    twice = op.get_bind().scalar(
        sa.text(
            "SELECT COUNT(*) FROM (SELECT control_action_id FROM letter_items "
            "GROUP BY control_action_id HAVING COUNT(*) > 1) AS steps"
        )
    )
    if twice:
        raise RuntimeError(
            f"{twice} control step(s) were lettered to two PPKs; the old schema cannot hold them"
        )
    with op.batch_alter_table("letter_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_letter_items_control_action_id"))
        batch_op.create_unique_constraint(
            batch_op.f("uq_letter_items_control_action_id"), ["control_action_id"]
        )
