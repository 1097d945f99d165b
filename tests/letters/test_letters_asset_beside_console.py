"""The ``enforcement/letters`` asset while the console writes: it read the day enforcement last
decided for, then took the write lock to draft (``lock_drafting``); a console request committing in
between left it a stale snapshot that can never take the lock: the run failed (before, after waiting
out the whole write wait). On SQLite the asset now takes the lock before its first read, and the
request waits for it; the letters and the console's write are both kept, on both backends."""

from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from sqlalchemy import func, insert, select

from assets.enforcement import block_state
from assets.letters import letters
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry
from sbt_sync.db.models.letters import Letter
from sbt_sync.ingest.registry import registry_row
from sbt_sync.resources import DatabaseResource, SbtSettingsResource
from tests.enforce.rows import add_case, nip
from tests.notify.helpers import add_pics
from tests.support.console_write import console_writes_meanwhile, recorded_reads
from tests.support.registry import registry_item

pytestmark = pytest.mark.integration

DECIDED = {"ops": {"enforcement__block_state": {"config": {"as_of": "2024-12-12"}}}}


def test_a_console_write_while_the_letters_asset_starts_waits_for_it_and_both_are_kept(
    migrated_database: Database, tmp_path: Path
) -> None:
    with migrated_database.session() as session:
        session.execute(insert(AsnRegistryEntry), [registry_row(registry_item(nip(1), "ASN NOMOR 1"))])
        add_case(session, "CASE-1", nip(1))  # recommended 2024-12-01: peringatan 12-11
    add_pics(migrated_database, "ID-Sampang", "pic@sampang.go.id")
    (tmp_path / "sbt.yaml").write_text("{}\n", encoding="utf-8")
    settings = SbtSettingsResource(config_path=str(tmp_path / "sbt.yaml"))
    url = migrated_database.engine.url.render_as_string(hide_password=False)
    resources: dict[str, Any] = {"settings": settings, "db": DatabaseResource(settings=settings, url=url)}
    assert dg.materialize([block_state], resources=resources, run_config=DECIDED).success

    with console_writes_meanwhile(migrated_database) as request:
        drafted = dg.materialize([letters], resources=resources, raise_on_error=False)

    assert drafted.success, [str(e.event_specific_data) for e in drafted.get_step_failure_events()]
    assert recorded_reads(migrated_database) == 1 and request.recorded is not None
    assert request.waited_for_the_writer == (migrated_database.dialect == "sqlite")
    with migrated_database.session() as session:
        assert session.scalar(select(func.count()).select_from(Letter)) == 1
