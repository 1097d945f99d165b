"""Values longer than the columns that hold them, served for real on loopback, through staging and
reconciliation on both backends.

A source record's payload is kept verbatim, but its name, instansi and numbers are also written to
columns of fixed width (``staged_records``), and the golden case and conflict keys are built from them.
SQLite stores any length; PostgreSQL refuses the whole statement ("value too long"), so one such
record failed its whole page, or the whole reconciliation, on every run. The record must be set aside
naming the field, every other record must land, and reconciliation must run.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from connectors.http.paging import CursorPaginator
from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case, Conflict, QuarantinedRow, StagedRecord
from sbt_sync.ingest.pull import pull_http
from sbt_sync.ingest.staging import stage_pending
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.settings import load_settings
from tests.conftest import REPO_ROOT
from tests.ingest.test_hostile_http import FEED, Answer, Handler, Loopback, client, record, serve

__all__ = ["serve"]  # the loopback fixture, shared with test_hostile_http

NIP = "198501012010011002"
LONG_NUMBER = "REK-" + "1" * 106 + "/BKN/2024"
"""119 characters: fits the staged column (128), not with the event and NIP around it in a case key."""
LONG_ID = "BKN-" + "9" * 246
"""250 characters: fits the record key column (255), not inside an identity conflict's key."""


def _records() -> list[dict[str, object]]:
    return [
        record(1),
        record(2, nama="Ahmad " * 50),  # 300 characters
        record(3, nomor_rekomendasi="REK-" + "2" * 200),
        record(4, instansi_id="A" * 300),
        record(5, nomor_register_bawaslu="REG-" + "3" * 200),
        record(6, nama="Siti \ufb03" * 60),  # 360 when normalised (U+FB03 is "ffi"), 360 as sent too
        record(7, nama="\ufb03" * 100, nip=None),  # 100 as sent, 300 normalised
        record(8, nomor_rekomendasi=LONG_NUMBER, nip=NIP),
        record(9, id=LONG_ID, nip=None, nama="Seseorang Tanpa Nomor"),
    ]


@pytest.mark.timeout(120)
def test_a_value_too_long_for_its_column_sets_its_record_aside_naming_the_field_and_the_rest_reconciles(
    serve: Callable[[Answer], Loopback], migrated_database: Database
) -> None:
    def answer(h: Handler, q: dict[str, str]) -> None:
        h.send_json({"items": _records(), "next_cursor": None})

    server = serve(answer)
    for while_landing in (True, False):  # the second run finds nothing new and stages nothing again
        with client() as http:
            pull_http(
                migrated_database,
                source="bkn_wasdal",
                feed=FEED,
                paginator=CursorPaginator(http, server.url, page_size=10),
                validate=while_landing,
            )
        stage_pending(migrated_database, source="bkn_wasdal", feed=FEED)
    with migrated_database.session() as session:
        staged = set(session.scalars(select(StagedRecord.record_key)))
        quarantined = {
            (q.record_key, q.column, q.reason)
            for q in session.scalars(select(QuarantinedRow).where(QuarantinedRow.status == "open"))
        }
    assert staged == {"BKN-00001", "BKN-00007", "BKN-00008", LONG_ID}
    assert {(key, column) for key, column, _reason in quarantined} == {
        ("BKN-00002", "nama"),
        ("BKN-00003", "nomor_rekomendasi"),
        ("BKN-00004", "instansi_id"),
        ("BKN-00005", "nomor_register_bawaslu"),
        ("BKN-00006", "nama"),
    }
    reasons = {key: reason for key, _column, reason in quarantined}
    assert reasons["BKN-00002"].startswith("nama: 300 characters, longer than the 255 this field may have")
    assert reasons["BKN-00003"].startswith("nomor_rekomendasi: 204 characters, longer than the 128")

    settings = load_settings(REPO_ROOT / "sbt.yaml", env={})
    reconcile_database(migrated_database, settings, full=True)
    reconcile_database(migrated_database, settings)  # and again: the same keys, nothing new
    with migrated_database.session() as session:
        case_keys = list(session.scalars(select(Case.case_key)))
        conflict_keys = list(session.scalars(select(Conflict.conflict_key)))
    assert len(case_keys) == 4 and len(set(case_keys)) == 4
    assert all(len(key) <= 128 for key in case_keys)
    assert any(key.startswith("PILKADA-2024|rec:REK-111") for key in case_keys)
    assert all(len(key) <= 255 for key in conflict_keys)
    assert any(key.startswith(f"identity|bkn_wasdal|{LONG_ID[:100]}") for key in conflict_keys)
