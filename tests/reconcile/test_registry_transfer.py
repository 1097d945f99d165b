"""A transfer only the registry reports (another instansi and Kanreg for the same ASN, no source record
changed) reaches the case within one cycle, incrementally and on a full rerun: the registry wins for
instansi and Kanreg (DESIGN.md, "The golden dataset"), and letters, the recap by Kanreg and the queue's
filters read them from the case."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case
from sbt_sync.ingest.registry import lookup_registry
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.settings import load_settings
from tests.conftest import REPO_ROOT
from tests.reconcile.test_sanction_revisions_db import NIP, _world
from tests.support.registry import registry_item

pytestmark = pytest.mark.integration


def _case(database: Database) -> tuple[str | None, str | None, int]:
    with database.session() as session:
        case = session.scalars(select(Case)).one()
        return case.kanreg_id, case.instansi_id, case.version


def test_a_transfer_only_the_registry_reports_reaches_the_case_in_one_cycle(
    migrated_database: Database,
) -> None:
    database, settings = migrated_database, load_settings(REPO_ROOT / "sbt.yaml", env={})
    _world(database)  # the ASN in the registry, a Bawaslu finding and a proven recommendation
    reconcile_database(database, settings)
    kanreg, instansi, version = _case(database)
    assert (kanreg, instansi) == ("II", "ID-Sampang")

    moved = registry_item(NIP, "BUDI SANTOSO", "Bangkalan") | {"kanregId": "X"}
    result = lookup_registry(database, lambda nip: moved if nip == NIP else None, [NIP])
    assert result.staged_flagged == 2  # the cycle's per-NIP lookup marks the ASN's records
    reconcile_database(database, settings)
    assert _case(database) == ("X", "ID-Bangkalan", version + 1)
    for full in (False, True):  # and it stays: nothing more to write
        reconcile_database(database, settings, full=full)
        assert _case(database) == ("X", "ID-Bangkalan", version + 1)
