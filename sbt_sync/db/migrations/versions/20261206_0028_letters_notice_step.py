"""Letters gain a kind that is no control step: ``letters.step`` ``pemberitahuan`` (a notice).

A withdrawn annulment that brings back a block (or restarts enforcement after the case's teguran went)
leaves no letter step to carry the news, so the PPK was never told. Such a PPK now gets a letter of its
own, a notice (:mod:`sbt_sync.letters.notices`). Existing letters are untouched; the downgrade deletes
the notices (their annulments become untold again) and restores the old check.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out, not imported: a migration keeps meaning what it meant when it was written.
STEPS_BEFORE = "('peringatan_dini', 'peringatan', 'teguran')"
STEPS_AFTER = "('peringatan_dini', 'peringatan', 'teguran', 'pemberitahuan')"


def upgrade() -> None:
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_letters_step"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_letters_step"), f"step IN {STEPS_AFTER}")


def downgrade() -> None:
    op.execute(
        "UPDATE case_annulments SET letter_id = NULL WHERE letter_id IN "
        "(SELECT id FROM letters WHERE step = 'pemberitahuan')"
    )
    op.execute(
        "DELETE FROM notification_outbox WHERE letter_id IN (SELECT id FROM letters WHERE step = 'pemberitahuan')"
    )
    op.execute("DELETE FROM letters WHERE step = 'pemberitahuan'")
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_letters_step"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_letters_step"), f"step IN {STEPS_BEFORE}")
