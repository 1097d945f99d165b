"""Registry changes reaching cases and blocks, on both backends (the registry prober's repros)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from connectors.errors import ThrottledError
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry
from sbt_sync.ingest.registry import lookup_registry
from sbt_sync.settings import Settings
from tests.ingest.test_registry_namesakes import _blocked, _run, _stage
from tests.reconcile.test_database_property import NIP_A, NIP_B, _reset, project_settings  # noqa: F401
from tests.support.registry import registry_item

pytestmark = pytest.mark.integration

RETIRED = {"kedudukanPnsId": "99", "kedudukanPnsNama": "Pensiun"}


@pytest.fixture
def budi_blocked(migrated_database: Database, project_settings: Settings) -> None:  # noqa: F811
    """A finding and a proven recommendation written with Budi's NIP: he is blocked at AS_OF."""
    _reset(migrated_database)
    _stage(migrated_database, "f1", "finding", "Budi Santoso", nip_raw=NIP_A)
    _stage(migrated_database, "r1", "recommendation", "Budi Santoso", nip_raw=NIP_A)
    _run(migrated_database, project_settings, 0)
    assert _blocked(migrated_database, project_settings) == {NIP_A}


def _lookup(database: Database, *items: dict[str, Any]) -> Any:
    by_nip = {item["nipBaru"]: item for item in items}
    return lookup_registry(database, by_nip.get, sorted(by_nip))


def _status(database: Database, nip: str) -> str | None:
    with database.session() as session:
        return session.scalar(select(AsnRegistryEntry.status_id).where(AsnRegistryEntry.nip == nip))


def test_one_throttled_lookup_does_not_discard_the_others(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    budi_blocked: None,
) -> None:
    retired = registry_item(NIP_A, "BUDI SANTOSO") | RETIRED | {"updatedAt": "2025-01-19T10:00:00+07:00"}

    def lookup(nip: str) -> dict[str, Any] | None:
        if nip == NIP_B:
            raise ThrottledError("HTTP 429: 900803", method="GET", url="u", status=429)
        return retired

    result = lookup_registry(migrated_database, lookup, [NIP_A, NIP_B])
    assert _status(migrated_database, NIP_A) == "99"
    # The throttled NIP is reported, masked, and the pass is not complete.
    assert (result.failed, result.completed) == (1, False)
    assert NIP_B not in " ".join(result.failed_sample)
    assert NIP_B[-4:] in result.failed_sample[0]
    _run(migrated_database, project_settings, 1)
    assert _blocked(migrated_database, project_settings) == set()
