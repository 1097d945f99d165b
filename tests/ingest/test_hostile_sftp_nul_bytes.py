"""Raw NUL bytes in files delivered over SFTP (a real paramiko SFTP server on loopback).

A NUL byte (not the ``\\u0000`` escape) makes a JSON Lines line invalid JSON, and inside an unclosed CSV
quote it lands in the unread tail: both are bad rows, whose quarantine entry shows the line as sent.
PostgreSQL refuses a NUL in any text column, so that entry must show it escaped; otherwise the file's
whole transaction fails on every run and its good rows never land.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import QuarantinedRow
from tests.ingest.helpers_hostile_sftp import hostile_sftp
from tests.ingest.test_hostile_sftp import csv_bytes, jsonl_gz, landed_keys, pull, row, source
from tests.ingest.test_hostile_sftp_server import impatient_reader

pytestmark = pytest.mark.integration

CASES = {
    "json lines": (
        "jsonl_gz",
        "p.jsonl.gz",
        jsonl_gz(
            b'{"id_pengaduan": "P-1"}',
            b'{"id_pengaduan": "P-2", "isi": "Bu\x00di"}',
            b'\x00{"id_pengaduan": "P-3"}',
            b'{"id_pengaduan": "P-4"}',
        ),
        {"p.jsonl.gz#1", "p.jsonl.gz#4"},
        {2: '{"id_pengaduan": "P-2", "isi": "Bu\\x00di"}', 3: '\\x00{"id_pengaduan": "P-3"}'},
    ),
    "csv tail after an unclosed quote": (
        "csv",
        "t.csv",
        csv_bytes(row(1), '"R-2\x00/2024', row(3)),
        {"t.csv#1"},
        {2: '"R-2\\x00/2024\r\n' + row(3) + "\r\n"},
    ),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("fmt", "name", "content", "landed", "bad"), CASES.values(), ids=CASES.keys())
def test_a_nul_byte_in_a_bad_row_sets_only_that_row_aside_and_the_file_lands(
    fmt: str,
    name: str,
    content: bytes,
    landed: set[str],
    bad: dict[int, str],
    migrated_database: Database,
    tmp_path: Path,
) -> None:
    with hostile_sftp(tmp_path / "server", {name: content}) as server:
        for _run in range(2):  # the next run neither fails nor sets the rows aside again
            result = pull(
                migrated_database, source(server.directory, fmt=fmt), impatient_reader(server), tmp_path / "w"
            )
            assert result.refused_files == []
    assert landed_keys(migrated_database) == landed
    with migrated_database.session() as session:
        entries = session.scalars(
            select(QuarantinedRow)
            .where(QuarantinedRow.check == "row_shape")
            .order_by(QuarantinedRow.row_number)
        ).all()
    assert {entry.row_number: entry.value for entry in entries} == bad
    assert all(entry.file_name == name and entry.reason.startswith(f"{name} ") for entry in entries)
