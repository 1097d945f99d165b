"""Migration 0004: the version history keeps replaced contents only, and nothing is lost either way."""

from __future__ import annotations

from sqlalchemy import text

from sbt_sync.db import migrate
from sbt_sync.db.engine import Database

_RAW = (
    "INSERT INTO raw_records (id, source, record_key, content_hash, payload, version, first_seen_at, "
    "last_seen_at) VALUES (:id, 'idis', :key, :hash, :payload, :version, :at, :at)"
)
_VERSION = (
    "INSERT INTO raw_record_versions (raw_record_id, version, content_hash, payload, seen_at) "
    "VALUES (:id, :version, :hash, :payload, :at)"
)
AT = "2024-11-27 08:00:00+00:00"


def _history(database: Database) -> list[tuple[int, int, str]]:
    with database.session() as session:
        rows = session.execute(
            text("SELECT raw_record_id, version, payload FROM raw_record_versions ORDER BY 1, 2")
        )
        return [(int(a), int(b), str(c)) for a, b, c in rows]


def test_0004_drops_the_copies_of_current_payloads_and_its_downgrade_restores_them(
    empty_database: Database,
) -> None:
    migrate.upgrade(empty_database, "0003")
    with empty_database.session() as session:  # as 0003's landing wrote them: every version, current too
        session.execute(
            text(_RAW), {"id": 1, "key": "A", "hash": "a2", "payload": '{"v":2}', "version": 2, "at": AT}
        )
        session.execute(
            text(_RAW), {"id": 2, "key": "B", "hash": "b1", "payload": '{"v":1}', "version": 1, "at": AT}
        )
        for raw_id, version, payload in ((1, 1, '{"v":1}'), (1, 2, '{"v":2}'), (2, 1, '{"v":1}')):
            session.execute(
                text(_VERSION), {"id": raw_id, "version": version, "hash": "h", "payload": payload, "at": AT}
            )

    migrate.upgrade(empty_database)
    assert _history(empty_database) == [
        (1, 1, '{"v":1}')
    ]  # A's replaced content; the current ones are in raw_records

    migrate.downgrade(empty_database, "0003")
    assert _history(empty_database) == [(1, 1, '{"v":1}'), (1, 2, '{"v":2}'), (2, 1, '{"v":1}')]
