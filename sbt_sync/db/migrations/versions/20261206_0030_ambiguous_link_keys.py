"""``ambiguous_link`` conflicts are keyed by their record's item, not its staged id.

The key of an ambiguous-link conflict ended in the staged id of the record it is about
(``...|link|<source>:<record key>#<staged id>``): the number the row got when it arrived, so the same
records ingested in another order raised the conflict under another key, against DESIGN.md ("the same
inputs, in any order, give the same golden dataset"). The key now ends in the record's item number, as a
``named_other`` conflict's does. Existing rows are re-keyed here (their record is the one their stored
candidate names), so an open conflict and a steward's decision on it carry over instead of being
closed and raised anew; the downgrade puts the staged ids back.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 12:20:00
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _staged_id(candidates: Any) -> int | None:
    """The staged record an ambiguous-link conflict's one candidate names (stored JSON, or its text)."""
    if isinstance(candidates, str):
        candidates = json.loads(candidates)
    if not candidates or not isinstance(candidates[0], dict):
        return None
    found = candidates[0].get("staged_record_id")
    return found if isinstance(found, int) else None


def _rekey(to_item: bool) -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT id, conflict_key, candidates FROM conflicts WHERE kind = 'ambiguous_link'")
    ).all()
    final: dict[int, str] = {}
    for conflict_id, key, candidates in rows:
        staged_id = _staged_id(candidates)
        head, hash_sign, _ = key.rpartition("#")
        if staged_id is None or not hash_sign:
            continue
        ending = staged_id
        if to_item:
            item_no = connection.execute(
                sa.text("SELECT item_no FROM staged_records WHERE id = :id"), {"id": staged_id}
            ).scalar()
            if item_no is None:
                continue
            ending = item_no
        final[conflict_id] = f"{head}#{ending}"
    # Two steps, so that one row's new key never meets another's old one under the unique constraint.
    update = sa.text("UPDATE conflicts SET conflict_key = :key WHERE id = :id")
    for conflict_id in sorted(final):
        connection.execute(update, {"key": f"rekey-0030|{conflict_id}", "id": conflict_id})
    for conflict_id, key in sorted(final.items()):
        connection.execute(update, {"key": key, "id": conflict_id})


def upgrade() -> None:
    _rekey(to_item=True)


def downgrade() -> None:
    _rekey(to_item=False)
