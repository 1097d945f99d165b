"""An ASN's departure is dated by the version of their registry row that first said they left, not by
its latest ``updatedAt``: SIASN editing a retired ASN's row later (an address, a name) must not move
the departure past the PPK deadline and invent peringatan, teguran and pemblokiran for a case that
ended before them. Every refresh path (full pass, changed-since, per-NIP lookup), both backends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select, text

from connectors.http.paging import Page
from sbt_sync.db import migrate
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, SourceCursor
from sbt_sync.enforce.load import load_cases
from sbt_sync.enforce.model import EnforcementPlan
from sbt_sync.enforce.policy import plan_enforcement
from sbt_sync.ingest.registry import (
    CHANGES_SOURCE,
    lookup_registry,
    refresh_registry,
    refresh_registry_changes,
)
from sbt_sync.settings import Settings
from tests.ingest.test_registry_changes_reach_cases import budi_blocked  # noqa: F401  (a fixture)
from tests.ingest.test_registry_namesakes import _run
from tests.reconcile.test_database_property import AS_OF, NIP_A, project_settings  # noqa: F401
from tests.support.registry import registry_item

pytestmark = pytest.mark.integration

RETIRED_ON = "2024-11-05T10:00:00+07:00"
"""Before Budi's PPK deadline (recommended 2024-11-01, ten days to follow up): the case ended first."""
EDITED_ON = "2025-01-19T10:00:00+07:00"
"""SIASN edits the retired ASN's row (a new address) long after the deadline and every step's day."""

Apply = Callable[[Database, dict[str, Any]], None]


def _by_lookup(database: Database, item: dict[str, Any]) -> None:
    lookup_registry(database, {item["nipBaru"]: item}.get, [item["nipBaru"]])


def _by_changes(database: Database, item: dict[str, Any]) -> None:
    now = datetime(2025, 1, 20, 3, tzinfo=UTC)
    with (
        database.session() as session
    ):  # a changed-since pass has run before (the fixture's rows are undated)
        if session.get(SourceCursor, CHANGES_SOURCE) is None:
            session.add(
                SourceCursor(source=CHANGES_SOURCE, version=0, watermark=datetime(2024, 1, 1, tzinfo=UTC))
            )
    pages = lambda since, cursor: iter([Page([item], None, 1, True)])  # noqa: E731
    refresh_registry_changes(database, pages, now=lambda: now)


def _by_full_pass(database: Database, item: dict[str, Any]) -> None:
    refresh_registry(database, lambda cursor: iter([Page([item], None, 1, True)]))


PATHS = {"lookup": _by_lookup, "changes": _by_changes, "full": _by_full_pass}


def _retired(code: str = "99", name: str = "Pensiun", **more: str) -> dict[str, Any]:
    return registry_item(NIP_A, "BUDI SANTOSO") | {"kedudukanPnsId": code, "kedudukanPnsNama": name} | more


def _plan(database: Database, settings: Settings) -> EnforcementPlan:
    with database.session() as session:
        return plan_enforcement(load_cases(session), settings.enforcement, AS_OF)


def _budi(plan: EnforcementPlan) -> tuple[list[str], str, bool]:
    """(the steps of Budi's case, its stage, whether his NIP is to be blocked)."""
    [outcome] = [o for o in plan.outcomes if o.case.nip == NIP_A]
    blocked = plan.blocks[NIP_A].blocked if NIP_A in plan.blocks else False
    return [str(step.action) for step in outcome.steps], outcome.stage, blocked


@pytest.mark.parametrize("path", sorted(PATHS))
def test_a_later_edit_of_a_retired_asn_does_not_invent_steps(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    budi_blocked: None,  # noqa: F811
    path: str,
) -> None:
    apply = PATHS[path]
    apply(migrated_database, _retired(updatedAt=RETIRED_ON))
    _run(migrated_database, project_settings, 1)
    assert _budi(_plan(migrated_database, project_settings)) == ([], "meninggalkan_dinas", False)
    # SIASN edits the retired ASN's row (address, then the leaving code itself: pensiun to deceased).
    apply(migrated_database, _retired(updatedAt=EDITED_ON, alamat="Jl. Trunojoyo 2, Sampang"))
    _run(migrated_database, project_settings, 2)
    assert _budi(_plan(migrated_database, project_settings)) == ([], "meninggalkan_dinas", False)
    apply(migrated_database, _retired("77", "Meninggal Dunia", updatedAt="2025-01-19T11:00:00+07:00"))
    _run(migrated_database, project_settings, 3)
    assert _budi(_plan(migrated_database, project_settings)) == ([], "meninggalkan_dinas", False)


@pytest.mark.parametrize("path", sorted(PATHS))
def test_coming_back_to_service_clears_the_departure_and_a_new_one_is_dated_afresh(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    budi_blocked: None,  # noqa: F811
    path: str,
) -> None:
    apply = PATHS[path]
    apply(migrated_database, _retired(updatedAt=RETIRED_ON))
    # A wrong retirement corrected by SIASN: Budi is active again, his case escalates as before.
    apply(
        migrated_database, registry_item(NIP_A, "BUDI SANTOSO") | {"updatedAt": "2024-11-06T10:00:00+07:00"}
    )
    _run(migrated_database, project_settings, 1)
    steps, stage, blocked = _budi(_plan(migrated_database, project_settings))
    assert (stage, blocked) == ("diblokir", True)
    assert "pemblokiran" in steps
    # He leaves for good after the block: the block is lifted on that day, not on the retirement undone.
    apply(migrated_database, _retired(updatedAt="2025-01-10T10:00:00+07:00"))
    apply(migrated_database, _retired(updatedAt=EDITED_ON, alamat="Jl. Trunojoyo 2, Sampang"))
    _run(migrated_database, project_settings, 2)
    plan = _plan(migrated_database, project_settings)
    steps, stage, blocked = _budi(plan)
    assert (stage, blocked) == ("meninggalkan_dinas", False)
    [outcome] = [o for o in plan.outcomes if o.case.nip == NIP_A]
    assert [(str(s.action), s.due_on) for s in outcome.steps if str(s.action) == "buka_blokir"] == [
        ("buka_blokir", date(2025, 1, 10))
    ]


def _indexes(database: Database) -> set[str]:
    catalogue = (
        "SELECT indexname FROM pg_indexes WHERE tablename = 'asn_registry'"
        if database.dialect == "postgresql"
        else "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'asn_registry'"
    )
    with database.session() as session:
        return set(session.execute(text(catalogue)).scalars())


def test_0021_dates_the_departures_already_mirrored_and_goes_back(migrated_database: Database) -> None:
    indexes = _indexes(migrated_database)
    migrate.downgrade(migrated_database, "0020")
    retired_at = datetime(2024, 11, 5, 3, tzinfo=UTC)
    with migrated_database.session() as session:
        session.execute(text("DELETE FROM asn_registry"))
        for nip, code in ((NIP_A, "99"), ("199002022015022002", "01")):
            session.execute(
                text(
                    "INSERT INTO asn_registry (nip, siasn_id, name, name_normalised, birth_date, gender, "
                    "kind, instansi_id, instansi_name, kanreg_id, status_id, status_name, content_hash, "
                    "source_updated_at, refreshed_at) VALUES (:nip, :nip, 'X', 'x', :birth, 'M', 'PNS', "
                    "'i', 'I', 'II', :code, 'c', 'h', :at, :at)"
                ),
                {"nip": nip, "code": code, "birth": date(1980, 1, 1), "at": retired_at},
            )
    migrate.upgrade(migrated_database)
    with migrated_database.session() as session:
        found = dict(session.execute(select(AsnRegistryEntry.nip, AsnRegistryEntry.left_on)).tuples().all())
    assert found == {NIP_A: retired_at, "199002022015022002": None}
    migrate.downgrade(migrated_database, "0020")
    migrate.upgrade(migrated_database)
    assert _indexes(migrated_database) == indexes  # the NIP-tail expression index survives both ways


def test_a_nip_correction_of_a_retired_asn_keeps_the_departure(
    migrated_database: Database,
    budi_blocked: None,  # noqa: F811
) -> None:
    _by_full_pass(migrated_database, _retired(updatedAt=RETIRED_ON))
    corrected = "198001012005011009"
    # SIASN corrects the NIP (same SIASN id), stamping the row anew.
    _by_full_pass(migrated_database, _retired(updatedAt=EDITED_ON) | {"nipBaru": corrected})
    with migrated_database.session() as session:
        found = dict(session.execute(select(AsnRegistryEntry.nip, AsnRegistryEntry.left_on)).tuples().all())
    assert NIP_A not in found
    assert found[corrected] == datetime(2024, 11, 5, 3, tzinfo=UTC)  # 10:00 WIB, the retirement's
