"""Upgrading a database that holds data keeps every row of every table.

On SQLite, Alembic's batch mode changes a table by copying it to a new one, dropping the old and
renaming the copy. With foreign keys enforced, dropping the old table is an implicit ``DELETE``: every
``ON DELETE CASCADE`` child (a case's links, control actions and provenance) went with it, and a child
without a cascade (a steward's decision on a conflict) made the upgrade fail. Migration 0005 rebuilds
``cases`` and ``conflicts`` this way, so a deployment upgraded from before it with cases in it lost
their links. Migrations now run with foreign-key enforcement off on SQLite and check every reference
before they commit. Both backends: PostgreSQL alters tables in place, and must keep the rows too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import inspect, text

from sbt_sync.db import migrate
from sbt_sync.db.engine import Database

WHEN = dt.datetime(2024, 11, 27, 8, 0, 0, tzinfo=dt.UTC)

# One row per table as they were at 0004, parents first; ids are fixed so the references hold.
ROWS: list[tuple[str, dict[str, Any]]] = [
    (
        "ingest_batches",
        {
            "id": 1,
            "source": "bawaslu",
            "started_at": WHEN,
            "fetched": 1,
            "new": 1,
            "changed": 0,
            "unchanged": 0,
            "quarantined": 0,
            "pages": 1,
            "retries": 0,
        },
    ),
    (
        "raw_records",
        {
            "id": 1,
            "source": "bawaslu",
            "record_key": "R-1",
            "content_hash": "a" * 64,
            "payload": "{}",
            "version": 1,
            "first_seen_at": WHEN,
            "last_seen_at": WHEN,
            "last_batch_id": 1,
        },
    ),
    (
        "staged_records",
        {
            "id": 1,
            "source": "bawaslu",
            "record_key": "R-1",
            "item_no": 0,
            "raw_record_id": 1,
            "raw_version": 1,
            "content_hash": "b" * 64,
            "fields": "{}",
            "staged_at": WHEN,
            "withdrawn": False,
            "needs_reconcile": False,
        },
    ),
    (
        "cases",
        {
            "id": 1,
            "case_key": "CASE-1",
            "status": "menunggu_tindak_lanjut_ppk",
            "golden": "{}",
            "content_hash": "c" * 64,
            "held": False,
            "version": 1,
            "created_at": WHEN,
            "updated_at": WHEN,
        },
    ),
    (
        "case_links",
        {
            "id": 1,
            "case_id": 1,
            "staged_record_id": 1,
            "source": "bawaslu",
            "record_key": "R-1",
            "rule": "nip",
            "linked_by": "engine",
            "linked_at": WHEN,
        },
    ),
    (
        "conflicts",
        {
            "id": 1,
            "conflict_key": "K-1",
            "kind": "critical_field",
            "critical": True,
            "priority": 1,
            "status": "open",
            "candidates": "[]",
            "basis_hash": "d" * 64,
            "opened_at": WHEN,
            "case_id": 1,
            "staged_record_id": 1,
        },
    ),
]
CHILD_TABLES = ("case_links", "conflicts", "control_actions", "field_provenance", "steward_decisions")


def _filled(database: Database, table: str, given: dict[str, Any]) -> dict[str, Any]:
    """``given`` plus a plain value for every other NOT NULL column without a default at 0004."""
    row = dict(given)
    for column in inspect(database.engine).get_columns(table):
        name, kind = str(column["name"]), str(column["type"]).upper()
        if name in row or column["nullable"] or column.get("default") is not None:
            continue
        if (name.endswith("_id") and name != "run_id") or "INT" in kind:
            row[name] = 1
        elif "BOOL" in kind:
            row[name] = False
        elif "DATETIME" in kind or "TIMESTAMP" in kind:
            row[name] = WHEN
        elif "DATE" in kind:
            row[name] = WHEN.date()
        elif "JSON" in kind:
            row[name] = "{}"
        else:
            row[name] = "x"
    return row


def _insert(database: Database, table: str, row: dict[str, Any]) -> None:
    columns = ", ".join(row)
    values = ", ".join(f":{c}" for c in row)
    with database.engine.begin() as connection:
        connection.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({values})"), row)  # noqa: S608


def _counts(database: Database) -> dict[str, int]:
    with database.engine.connect() as connection:
        counted = {t: connection.execute(text(f"SELECT count(*) FROM {t}")) for t in CHILD_TABLES}  # noqa: S608
        return {t: int(result.scalar_one()) for t, result in counted.items()}


def test_upgrading_from_0004_keeps_the_links_actions_and_decisions_of_existing_cases(
    empty_database: Database,
) -> None:
    migrate.upgrade(empty_database, "0004")
    for table, given in ROWS:
        _insert(empty_database, table, _filled(empty_database, table, given))
    _insert(
        empty_database,
        "control_actions",
        _filled(empty_database, "control_actions", {"case_id": 1, "action": "peringatan"}),
    )
    _insert(empty_database, "field_provenance", _filled(empty_database, "field_provenance", {"case_id": 1}))
    _insert(
        empty_database, "steward_decisions", _filled(empty_database, "steward_decisions", {"conflict_id": 1})
    )
    before = _counts(empty_database)
    assert before == dict.fromkeys(CHILD_TABLES, 1)

    migrate.upgrade(empty_database)

    assert _counts(empty_database) == before
    with empty_database.engine.connect() as connection:
        link = connection.execute(text("SELECT case_id, staged_record_id FROM case_links")).one()
    assert tuple(link) == (1, 1)
    if empty_database.engine.dialect.name == "sqlite":
        with empty_database.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1, (
                "foreign keys are enforced again after the upgrade"
            )
