"""Hostile entries inside a record's list of people, served for real on loopback: a Bawaslu register
whose ``terlapor`` list holds something other than an object (a bare name, null, a number, a list).

Reading such an entry crashed validation ('str' object has no attribute 'items'): the page landed
unvalidated, and staging failed on it on every later run, so no register of the batch was staged.
What must hold: the entry is read as the name it is, or set aside naming its field; the register's
other people and the other registers stage.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from connectors.http.paging_since import PageNumberPaginator
from sbt_sync.db.engine import Database
from sbt_sync.db.models import QuarantinedRow, StagedRecord
from sbt_sync.ingest.pull import pull_http
from sbt_sync.ingest.staging import stage_pending
from schemas.feeds import FEEDS
from tests.ingest.test_hostile_http import SERVER_TIME, Answer, Handler, Loopback, client, serve

__all__ = ["serve"]  # the loopback fixture, shared with test_hostile_http

FEED = FEEDS["bawaslu"]


def register(n: int, *people: object) -> dict[str, object]:
    return {
        "nomor_register": f"REG-{n:03d}",
        "jenis": "temuan",
        "pemilihan": "PILKADA-2024",
        "tanggal_register": "2024-11-20T10:00:00+07:00",
        "tanggal_diteruskan": "2024-11-21T10:00:00+07:00",
        "bentuk_pelanggaran": "MEDSOS",
        "status": "diteruskan",
        "updated_at": "2024-11-21T10:00:00+07:00",
        "terlapor": list(people) or [{"nip": None, "nama": "Budi Santoso"}],
    }


@pytest.mark.timeout(30)
@pytest.mark.parametrize("validate", [True, False], ids=["while-landing", "staged-later"])
def test_a_person_entry_that_is_not_an_object_costs_only_itself(
    validate: bool, serve: Callable[[Answer], Loopback], migrated_database: Database
) -> None:
    siti = {"nip": None, "nama": "Siti Aminah"}
    items = [
        register(1),
        register(2, siti, "Ahmad Fauzi", None, 5, ["x"], {"nama": ["a", "b"]}),
        register(3),
    ]

    def answer(h: Handler, q: dict[str, str]) -> None:
        page = int(q["page"])
        h.send_json(
            {"items": items if page == 1 else [], "page": {"total_pages": 1}, "server_time": SERVER_TIME}
        )

    server = serve(answer)
    for _run in range(2):
        with client() as http:
            result = pull_http(
                migrated_database,
                source="bawaslu",
                feed=FEED,
                paginator=PageNumberPaginator(http, server.url, page_size=10),
                validate=validate,
            )
        assert result.validation_error is None
        stage_pending(migrated_database, source="bawaslu", feed=FEED)
    with migrated_database.session() as session:
        staged = {
            (key, item): name
            for key, item, name in session.execute(
                select(StagedRecord.record_key, StagedRecord.item_no, StagedRecord.name)
            )
        }
        quarantined = sorted(
            (q.record_key, q.row_number, q.column)
            for q in session.scalars(select(QuarantinedRow).where(QuarantinedRow.status == "open"))
        )
    assert staged == {
        ("REG-001", 0): "Budi Santoso",
        ("REG-002", 0): "Siti Aminah",
        ("REG-002", 1): "Ahmad Fauzi",  # a bare name is the name
        ("REG-002", 3): "5",
        ("REG-003", 0): "Budi Santoso",
    }
    assert quarantined == [  # the row is the person's place in the register, counted from 1
        ("REG-002", 3, "terlapor_nama"),  # null: no name
        ("REG-002", 5, "terlapor_nama"),  # a list where a name belongs
        ("REG-002", 6, "terlapor_nama"),
    ]
