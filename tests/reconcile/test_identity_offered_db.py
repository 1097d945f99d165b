"""What an identity conflict stores of a name alone held nationally, on both backends: every namesake
tied at the top up to ``MAX_TIED_CANDIDATES``, and, when that cap cuts the tie, how many tied."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, Conflict, RawRecord, StagedRecord
from sbt_sync.ingest.registry import registry_row
from sbt_sync.reconcile.identity.resolve import MAX_TIED_CANDIDATES, IdentityThresholds
from sbt_sync.reconcile.identity.store import PendingRow, resolve_identities
from tests.support.registry import registry_item

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def _namesakes(database: Database, count: int) -> None:
    """``count`` ASN called Eka Rahman, one per instansi, born 1970-1989."""
    people = [
        registry_item(f"19{70 + n % 20}0101201001{1 + n % 2}{n + 1:03d}", "Eka Rahman", f"Kab{n:03d}")
        for n in range(count)
    ]
    with database.session() as session:
        session.execute(insert(AsnRegistryEntry), [registry_row(item) for item in people])


def _resolve_name_alone(database: Database) -> Conflict:
    with database.session() as session:
        raw = RawRecord(source="kasn", record_key="KASN-1", content_hash="r", payload="{}")
        session.add(raw)
        session.flush()
        staged = StagedRecord(
            source="kasn", record_key="KASN-1", raw_record_id=raw.id, raw_version=1, content_hash="s",
            name="Eka Rahman", instansi=None, fields={},
        )  # fmt: skip
        session.add(staged)
        session.flush()
        row = PendingRow(staged.id, "kasn", "KASN-1", 0, None, "Eka Rahman", None, False)
        resolve_identities(session, database, IdentityThresholds(), [row], NOW)
    with database.session() as session:
        return session.scalars(select(Conflict)).one()


def test_a_name_alone_held_by_sixty_offers_all_sixty(migrated_database: Database) -> None:
    _namesakes(migrated_database, 60)
    conflict = _resolve_name_alone(migrated_database)
    assert conflict.kind == "identity" and len(conflict.candidates) == 60
    assert not any("tied_total" in c for c in conflict.candidates)


def test_a_tie_beyond_the_cap_is_stored_with_how_many_tied(migrated_database: Database) -> None:
    _namesakes(migrated_database, MAX_TIED_CANDIDATES + 12)
    conflict = _resolve_name_alone(migrated_database)
    assert len(conflict.candidates) == MAX_TIED_CANDIDATES
    assert {c.get("tied_total") for c in conflict.candidates} == {MAX_TIED_CANDIDATES + 12}
