"""A registry refresh (a full pass's page, a lookup of the ASN who matter) while the console writes: on
SQLite each page's transaction takes the database's write lock before its first read, so a console
request arriving between its reads and its first write waits for it instead of failing the refresh
'database is locked'. The mirror and the console's write are both kept, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from connectors.http.paging import Page
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry
from sbt_sync.ingest.registry import RegistryResult, lookup_registry, refresh_registry
from tests.support.console_write import console_writes_meanwhile, recorded_reads
from tests.support.registry import registry_item

KNOWN = "198001012005011001"
OTHER = "199002022015022002"
ITEMS = {KNOWN: registry_item(KNOWN, "BUDI SANTOSO"), OTHER: registry_item(OTHER, "SITI AMINAH")}


def _pages(_cursor: str | None) -> Iterator[Page]:
    yield Page(list(ITEMS.values()), None, 1, True)


def _full_pass(database: Database) -> RegistryResult:
    return refresh_registry(database, _pages)


def _lookup(database: Database) -> RegistryResult:
    def data_utama(nip: str) -> dict[str, Any] | None:
        return ITEMS.get(nip)

    return lookup_registry(database, data_utama, sorted(ITEMS), concurrency=1)


@pytest.mark.parametrize("refresh", [_full_pass, _lookup], ids=["full_pass", "lookup"])
def test_a_console_write_during_a_registry_refresh_waits_for_it_and_both_are_kept(
    migrated_database: Database, refresh: Any
) -> None:
    with console_writes_meanwhile(migrated_database) as request:
        result = refresh(migrated_database)

    assert result.new == 2
    assert recorded_reads(migrated_database) == 1 and request.recorded is not None
    assert request.waited_for_the_writer == (migrated_database.dialect == "sqlite")
    with migrated_database.session() as session:
        assert set(session.scalars(select(AsnRegistryEntry.nip))) == set(ITEMS)
