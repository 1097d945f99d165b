"""Registry changes reaching cases and blocks, on both backends (the registry prober's repros)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from connectors.errors import ThrottledError
from connectors.http.paging import Page
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry
from sbt_sync.ingest.registry import lookup_registry, refresh_registry
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


def test_a_naive_updated_at_does_not_stop_the_refresh(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    budi_blocked: None,
) -> None:
    odd = registry_item(NIP_B, "SITI AMINAH", back="S.Pd.") | {
        "jabatanNama": "Guru",
        "updatedAt": "2025-01-19T10:00:00",
    }
    retired = registry_item(NIP_A, "BUDI SANTOSO") | RETIRED | {"updatedAt": "2025-01-19T10:00:00+07:00"}
    _lookup(migrated_database, retired, odd)  # was: SQLite ValueError, the whole pass failed
    assert _status(migrated_database, NIP_A) == "99"
    with migrated_database.session() as session:
        stamp = session.scalar(
            select(AsnRegistryEntry.source_updated_at).where(AsnRegistryEntry.nip == NIP_B)
        )
    assert stamp is not None
    aware = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    assert aware == datetime(2025, 1, 19, 10, tzinfo=UTC)  # read as UTC


@pytest.mark.parametrize(
    ("stamp", "birth"),
    [
        ("19-01-2025 10:00:00", None),  # SIASN's dd-mm-yyyy HH:MM:SS
        ("19-01-2025 10:00", None),
        ("19-01-2025", None),
        ("kemarin", None),  # unreadable: kept, dated by nothing
        ("2025-01-19T10:00:00+07:00", "1980-01-01"),  # an ISO birth date
    ],
)
def test_a_retirement_stamped_dd_mm_yyyy_still_unblocks(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    budi_blocked: None,
    stamp: str,
    birth: str | None,
) -> None:
    retired = registry_item(NIP_A, "BUDI SANTOSO") | RETIRED | {"updatedAt": stamp}
    if birth:
        retired["tglLahir"] = birth
    result = _lookup(migrated_database, retired)  # was: rejected whole ("Invalid isoformat string")
    assert result.rejected == 0
    _run(migrated_database, project_settings, 1)
    assert _blocked(migrated_database, project_settings) == set()


@pytest.mark.parametrize("bad_id", [None, "", "None", "12345"])
def test_rows_without_a_siasn_id_do_not_delete_each_other(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    budi_blocked: None,
    bad_id: str | None,
) -> None:
    a = registry_item(NIP_A, "BUDI SANTOSO") | {"id": bad_id}
    b = registry_item(NIP_B, "SITI AMINAH", back="S.Pd.") | {"id": bad_id}
    pages = [Page([a], "1", 1, False), Page([b], None, 2, True)]
    result = refresh_registry(migrated_database, lambda cursor: iter(pages))
    # Both refused, visibly; neither deletes the other as a "NIP correction".
    assert (result.rejected, result.nip_corrected) == (2, 0)
    assert all("id:" in sample for sample in result.rejected_sample)
    _run(migrated_database, project_settings, 1)
    assert _blocked(migrated_database, project_settings) == {NIP_A}


@pytest.mark.parametrize("code", ["15", None, ""])
def test_an_unknown_kedudukan_is_not_silently_taken_as_active(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    budi_blocked: None,
    code: str | None,
) -> None:
    odd = registry_item(NIP_A, "BUDI SANTOSO") | {
        "kedudukanPnsId": code,
        "kedudukanPnsNama": "?",
        "updatedAt": "2025-01-19T10:00:00+07:00",
    }
    result = _lookup(migrated_database, odd)
    # Refused and surfaced (counted, sampled), never stored as an active ASN.
    assert result.rejected == 1
    assert "kedudukanPnsId" in result.rejected_sample[0]
    assert NIP_A not in result.rejected_sample[0]
