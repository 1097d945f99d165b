"""The quarantine sample a staging run reports (asset metadata, logs) withholds a bad row's value
wherever it may be free text naming someone: a code column a source filled with words, a structured
value where one value was expected. The quarantine table keeps the value for the stewards; a value
that cannot name anyone (a malformed date) is still shown, so the sample stays useful."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sbt_sync.db.engine import Database
from sbt_sync.ingest.landing import CursorMove, FetchedRecord, land_batch
from sbt_sync.ingest.staging import stage_pending
from schemas.feeds import FEEDS
from tests.schemas.test_date_reasons import _register


def test_a_quarantine_sample_withholds_free_text_that_may_name_someone(migrated_database: Database) -> None:
    records = [
        # a code column filled with words naming a person (fails the allowed-values check)
        FetchedRecord(
            "REG-001", _register(nomor_register="REG-001", bentuk_pelanggaran="foto dengan Rahmat Hidayat")
        ),
        # one value expected, an object naming a person came (json_type)
        FetchedRecord("REG-002", _register(nomor_register="REG-002", status={"oleh": "Sri Wahyuni"})),
        # an impossible date: nothing personal, shown as before
        FetchedRecord(
            "REG-003", _register(nomor_register="REG-003", tanggal_register="2024-02-30T10:00:00+07:00")
        ),
    ]
    with migrated_database.session() as session:
        land_batch(
            session,
            source="bawaslu",
            records=records,
            cursor=CursorMove("1", datetime(2024, 11, 21, 3, 0, tzinfo=UTC)),
        )
    result = stage_pending(migrated_database, source="bawaslu", feed=FEEDS["bawaslu"])
    shown = json.dumps(result.sample)
    assert {entry["key"] for entry in result.sample} == {"REG-001", "REG-002", "REG-003"}, shown
    for word in ("Rahmat", "Hidayat", "Sri", "Wahyuni"):
        assert word not in shown, shown
    assert "2024-02-30T10:00:00+07:00" in shown  # a value that names no one still helps the steward
