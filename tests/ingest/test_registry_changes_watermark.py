"""The changed-since watermark against rows SIASN stamps in the future (the registry prober's repro)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from connectors.siasn import SiasnClient
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry
from sbt_sync.ingest.registry import refresh_registry, refresh_registry_changes
from sbt_sync.sandbox.http.control_client import ControlClient
from sbt_sync.sandbox.runtime import Sandbox
from tests.ingest.test_registry_mirror import NIPS, NOW, box, client  # noqa: F401  (fixtures)

pytestmark = pytest.mark.integration


def _status(database: Database, nip: str) -> str | None:
    with database.session() as session:
        return session.scalar(select(AsnRegistryEntry.status_id).where(AsnRegistryEntry.nip == nip))


def test_a_row_stamped_in_the_future_does_not_blind_the_changed_since_pass(
    migrated_database: Database,
    box: Sandbox,  # noqa: F811
    client: SiasnClient,  # noqa: F811
) -> None:
    control = ControlClient(box.endpoints.control_url)
    refresh_registry(migrated_database, client.registry_pages)
    refresh_registry_changes(migrated_database, client.registry_changes, now=box.clock.now)
    box.clock.set(NOW + timedelta(hours=1), frozen=True)
    odd = {"jabatanNama": "Kepala Seksi", "updatedAt": "2099-01-01T00:00:00+07:00"}
    control.post(f"/siasn/registry/{NIPS[1]}", {"set": odd})
    result = refresh_registry_changes(migrated_database, client.registry_changes, now=box.clock.now)
    assert result.future_stamped == 1
    box.clock.set(NOW + timedelta(days=1), frozen=True)
    retired = {"kedudukanPnsId": "99", "kedudukanPnsNama": "Pensiun"}
    control.post(f"/siasn/registry/{NIPS[2]}", {"set": retired})
    refresh_registry_changes(migrated_database, client.registry_changes, now=box.clock.now)
    assert _status(migrated_database, NIPS[2]) == "99"  # was: "01" (the pass asked from 2098-12-31)
