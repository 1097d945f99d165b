"""Migration 0030 on both backends: an ``ambiguous_link`` conflict stored under the staged id of its
record is re-keyed by the record's item (the key the reconciliation now raises, whatever order the
records arrived in), keeping its id and so any steward's decision on it; other conflicts are untouched;
the downgrade puts the staged id back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from sbt_sync.db import migrate
from sbt_sync.db.engine import Database
from sbt_sync.db.models import Conflict, RawRecord, StagedRecord

pytestmark = pytest.mark.integration

AT = datetime(2025, 1, 20, 3, tzinfo=UTC)
CASE_KEY = "PILKADA-2024|rec:B-0001/D.IV/WAS/11/2024|-"


def _keys(database: Database) -> dict[int, str]:
    with database.session() as session:
        return dict(session.execute(select(Conflict.id, Conflict.conflict_key)).tuples().all())


def test_0030_keys_ambiguous_links_by_item_and_back(empty_database: Database) -> None:
    database = empty_database
    migrate.upgrade(database, "0029")
    with database.session() as session:
        raw = RawRecord(source="idis", record_key="SK-9", content_hash="r", payload="{}")
        session.add(raw)
        session.flush()
        staged = [
            StagedRecord(
                raw_record_id=raw.id,
                item_no=item,
                source="idis",
                record_key="SK-9",
                raw_version=1,
                content_hash=f"h{item}",
                fields={},
                needs_reconcile=False,
                withdrawn=False,
            )
            for item in (0, 1, 2)
        ]
        session.add_all(staged)
        session.flush()
        # Item 2's new key (#2) is item 1's old one (its staged id is 2): the re-keying must not trip
        # over the unique key half-way.
        _, second, third = staged
        assert (second.id, third.item_no) == (2, 2)
        rows = [
            Conflict(
                conflict_key=f"ambiguous_link|{CASE_KEY}|link|idis:SK-9#{row.id}",
                kind="ambiguous_link",
                field="link",
                critical=False,
                priority=3,
                basis_hash="b" * 64,
                opened_at=AT,
                candidates=[{"source": "idis", "value": ["k1", "k2"], "staged_record_id": row.id}],
            )
            for row in (second, third)
        ]
        other = Conflict(
            conflict_key=f"critical_field|{CASE_KEY}|verification_result", kind="critical_field",
            field="verification_result", basis_hash="c" * 64, opened_at=AT,
            candidates=[{"source": "idis", "value": "x", "staged_record_id": third.id}],
        )  # fmt: skip
        session.add_all([*rows, other])
        session.flush()
        ids = {row.id: row for row in rows}
        before = {conflict_id: row.conflict_key for conflict_id, row in ids.items()}
        items = {row.id: staged_row.item_no for row, staged_row in zip(rows, (second, third), strict=True)}
        other_id, other_key = other.id, other.conflict_key

    migrate.upgrade(database, "0030")
    after = _keys(database)
    for conflict_id, item in items.items():
        assert after[conflict_id] == f"ambiguous_link|{CASE_KEY}|link|idis:SK-9#{item}"
    assert after[other_id] == other_key

    migrate.downgrade(database, "0029")
    assert _keys(database) == {**before, other_id: other_key}
