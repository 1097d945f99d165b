"""A transfer only the registry reports (another instansi and Kanreg for the same ASN, no source record
changed) reaches the case within one cycle, incrementally and on a full rerun: the registry wins for
instansi and Kanreg (DESIGN.md, "The golden dataset"), and letters, the recap by Kanreg and the queue's
filters read them from the case."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, Case, RawRecord, StagedRecord
from sbt_sync.ingest.registry import lookup_registry, registry_row
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.settings import load_settings
from tests.conftest import REPO_ROOT
from tests.support.registry import registry_item

pytestmark = pytest.mark.integration

NIP = "198001012005011001"
REG = "0001/Reg/LP/PILKADA/2024"
REC = "B-0001/D.IV/WAS/11/2024"


def _stage(database: Database, source: str, key: str, **row: Any) -> None:
    with database.session() as session:
        raw = RawRecord(source=source, record_key=key, content_hash=key, payload="{}")
        session.add(raw)
        session.flush()
        session.add(
            StagedRecord(
                raw_record_id=raw.id, item_no=0, source=source, record_key=key, raw_version=1,
                content_hash=hashlib.sha256(key.encode()).hexdigest(), nip_raw=NIP, name="Budi Santoso",
                instansi="Pemerintah Kabupaten Sampang", needs_reconcile=True, withdrawn=False,
                event_code="PILKADA-2024", register_no=REG, **row,
            )
        )  # fmt: skip


def _case(database: Database) -> tuple[str | None, str | None, int]:
    with database.session() as session:
        case = session.scalars(select(Case)).one()
        return case.kanreg_id, case.instansi_id, case.version


def test_a_transfer_only_the_registry_reports_reaches_the_case_in_one_cycle(
    migrated_database: Database,
) -> None:
    database, settings = migrated_database, load_settings(REPO_ROOT / "sbt.yaml", env={})
    with database.session() as session:
        session.execute(insert(AsnRegistryEntry), [registry_row(registry_item(NIP, "BUDI SANTOSO"))])
    _stage(database, "bawaslu", REG, fields={"record_type": "finding", "register_status": "diteruskan"},
           source_updated_at=datetime(2024, 10, 2, tzinfo=UTC))  # fmt: skip
    _stage(database, "bkn_wasdal", REC, recommendation_no=REC,
           fields={"record_type": "recommendation", "verification_result": "terbukti",
                   "recommendation_date": "2024-11-01", "recommended_sanction": "25"},
           source_updated_at=datetime(2024, 11, 1, tzinfo=UTC))  # fmt: skip
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
