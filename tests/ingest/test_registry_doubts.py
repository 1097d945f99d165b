"""What SIASN's registry cannot vouch for holds the ASN's cases for a steward, on both backends: a
watched NIP SIASN answers 404 for (a NIP correction or a removal), and a kedudukan code we do not know
(the ASN may have left service). Neither keeps a block silently nor lifts one on a guess; the mirror's
row is kept, and the hold ends when SIASN answers with a row we can read."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, Case
from sbt_sync.ingest.registry import lookup_registry
from sbt_sync.settings import Settings
from tests.ingest.test_registry_changes_reach_cases import budi_blocked  # noqa: F401  (a fixture)
from tests.ingest.test_registry_left_on import PATHS, RETIRED_ON, _budi, _plan, _retired
from tests.ingest.test_registry_namesakes import _run
from tests.reconcile.test_database_property import NIP_A, project_settings  # noqa: F401
from tests.support.registry import registry_item

pytestmark = pytest.mark.integration

BUDI = registry_item(NIP_A, "BUDI SANTOSO")
"""Budi's row as SIASN lists it and the mirror holds it (the fixture's)."""


def _case(database: Database) -> tuple[bool, str | None]:
    with database.session() as session:
        return session.execute(select(Case.held, Case.hold_reason).where(Case.nip == NIP_A)).one()._tuple()


def _mirrored(database: Database) -> str | None:
    with database.session() as session:
        return session.scalar(select(AsnRegistryEntry.status_id).where(AsnRegistryEntry.nip == NIP_A))


def _answers(database: Database, item: dict[str, Any] | None) -> Any:
    """SIASN's per-NIP lookup of Budi answers ``item`` (None: 404 "Data tidak ditemukan")."""
    return lookup_registry(database, lambda nip: item, [NIP_A])


def test_a_watched_nip_siasn_no_longer_knows_holds_its_cases_until_it_is_known_again(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    budi_blocked: None,  # noqa: F811
) -> None:
    result = _answers(migrated_database, None)
    assert result.not_found == 1 and result.staged_flagged > 0  # his cases are marked
    _run(migrated_database, project_settings, 1)
    held, reason = _case(migrated_database)
    assert held and reason is not None and "SIASN no longer knows the NIP" in reason
    assert NIP_A not in reason
    steps, stage, _ = _budi(_plan(migrated_database, project_settings))
    assert (steps, stage) == (["hold"], "ditahan")
    assert _mirrored(migrated_database) == "01"  # the row is kept, not deleted blindly
    # Asked again next cycle and still unknown: nothing new to reconcile.
    assert _answers(migrated_database, None).staged_flagged == 0
    # SIASN knows him again, unchanged: the hold ends and his case escalates as before.
    assert _answers(migrated_database, BUDI).staged_flagged > 0
    _run(migrated_database, project_settings, 2)
    assert _case(migrated_database) == (False, None)
    assert _budi(_plan(migrated_database, project_settings))[1:] == ("diblokir", True)


@pytest.mark.parametrize("path", sorted(PATHS))
def test_an_unknown_kedudukan_holds_the_cases_until_a_known_code_arrives(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    budi_blocked: None,  # noqa: F811
    path: str,
) -> None:
    apply = PATHS[path]
    apply(
        migrated_database, BUDI | {"kedudukanPnsId": "15", "kedudukanPnsNama": "?", "updatedAt": RETIRED_ON}
    )
    assert _mirrored(migrated_database) == "01"  # refused: the mirror keeps what it knew
    _run(migrated_database, project_settings, 1)
    held, reason = _case(migrated_database)
    assert held and reason is not None and "unknown kedudukan code '15'" in reason
    steps, stage, _ = _budi(_plan(migrated_database, project_settings))
    assert (steps, stage) == (["hold"], "ditahan")
    # A known code arrives: he retired before the PPK deadline, the case ends without a step.
    apply(migrated_database, _retired(updatedAt=RETIRED_ON))
    _run(migrated_database, project_settings, 2)
    assert _case(migrated_database) == (False, None)
    assert _budi(_plan(migrated_database, project_settings)) == ([], "meninggalkan_dinas", False)
