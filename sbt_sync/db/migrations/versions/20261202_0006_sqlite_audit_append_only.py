"""The audit log is append-only on SQLite too: triggers refuse UPDATE and DELETE, as PostgreSQL's does.

Until now only PostgreSQL enforced it (0001); on the embedded default an UPDATE or DELETE on
``audit_log`` succeeded, so the log of human actions could be edited behind the service layer.
(A later migration that rebuilds ``audit_log`` with ``batch_alter_table`` on SQLite drops these
triggers and must create them again.)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 16:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPERATIONS = ("UPDATE", "DELETE")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for operation in _OPERATIONS:
        op.execute(
            f"CREATE TRIGGER audit_log_append_only_{operation.lower()} BEFORE {operation} ON audit_log "
            f"BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: {operation} refused'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for operation in _OPERATIONS:
        op.execute(f"DROP TRIGGER IF EXISTS audit_log_append_only_{operation.lower()}")
