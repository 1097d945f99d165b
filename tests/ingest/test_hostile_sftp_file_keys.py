"""Files whose names make their rows' keys ambiguous, delivered over a real OpenSSH server.

A file's rows are keyed ``<file>#<row>`` (``ingest/file_keys.py``). A delivery must only ever see,
take over or withdraw the rows of that same file: another file whose name starts with this one's and
a ``#`` (``laporan.csv#koreksi.csv``) is a different document.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import RawRecord, SourceCursor, StagedRecord
from sbt_sync.ingest.staging import stage_pending
from sbt_sync.instants import as_utc
from schemas.feeds import FEEDS
from tests.connectors.helpers_sftp import OpenSsh, openssh  # noqa: F401 - a fixture
from tests.ingest.test_hostile_sftp import (
    HOUR,
    csv_bytes,
    deliver,
    landed_keys,
    open_quarantine,
    openssh_reader,
    pull,
    row,
    source,
)

pytestmark = pytest.mark.integration


def _live_keys(database: Database) -> set[str]:
    with database.session() as session:
        return set(
            session.scalars(
                select(StagedRecord.record_key).where(
                    StagedRecord.source == "src", StagedRecord.withdrawn.is_(False)
                )
            )
        )


def _cycle(database: Database, server: OpenSsh, workdir: Path, *, settle_seconds: float = 60) -> None:
    settings = source(str(server.root), pattern="*.csv", settle_seconds=settle_seconds)
    pull(database, settings, openssh_reader(server), workdir)
    stage_pending(database, source="src", feed=FEEDS["kemendagri"])


@pytest.mark.timeout(60)
def test_a_corrected_file_never_withdraws_or_takes_the_rows_of_a_file_named_after_it(
    openssh: OpenSsh,  # noqa: F811 - the fixture imported above
    migrated_database: Database,
    tmp_path: Path,
) -> None:
    workdir = tmp_path / "downloads"
    deliver(openssh, "laporan.csv", csv_bytes(row(1), row(2)), age_seconds=3 * HOUR)
    deliver(openssh, "laporan.csv#koreksi.csv", csv_bytes(row(7), row(2)), age_seconds=2 * HOUR)
    _cycle(migrated_database, openssh, workdir)
    both = {"laporan.csv#1", "laporan.csv#2", "laporan.csv#koreksi.csv#1", "laporan.csv#koreksi.csv#2"}
    assert _live_keys(migrated_database) == both
    # laporan.csv is corrected: row 1 changes, row 2 (the same bytes as the other file's row 2) stays.
    deliver(openssh, "laporan.csv", csv_bytes(row(1, "Ahmad Fauzi"), row(2)), age_seconds=HOUR)
    _cycle(migrated_database, openssh, workdir)
    assert _live_keys(migrated_database) == both
    assert landed_keys(migrated_database) == both
    with migrated_database.session() as session:
        other = session.scalars(
            select(RawRecord).where(RawRecord.record_key == "laporan.csv#koreksi.csv#1")
        ).one()
        assert other.version == 1 and "R-7/2024" in other.payload
    assert open_quarantine(migrated_database) == []


@pytest.mark.timeout(60)
def test_a_name_too_long_for_the_download_and_its_row_keys_is_refused_and_the_next_file_lands(
    openssh: OpenSsh,  # noqa: F811 - the fixture imported above
    migrated_database: Database,
    tmp_path: Path,
) -> None:
    # 254 bytes: a valid name on the agency's filesystem, but its temporary download name
    # (".<name>.<8 hex>.partial") is not, and its row keys would be cut to the 255-character column.
    long_name = "tindak_lanjut_" + "x" * 236 + ".csv"
    deliver(openssh, long_name, csv_bytes(*[row(n, f"Nama {n}") for n in range(1, 13)]), age_seconds=2 * HOUR)
    deliver(openssh, "tindak_lanjut_baik.csv", csv_bytes(row(1)), age_seconds=HOUR)
    for _ in range(2):  # the run does not fail, now or on the next run
        _cycle(migrated_database, openssh, tmp_path / "downloads")
        assert landed_keys(migrated_database) == {"tindak_lanjut_baik.csv#1"}
        refused = [(file, reason) for file, number, reason in open_quarantine(migrated_database)]
        assert len(refused) == 1, refused
        assert refused[0][0] == long_name
        assert refused[0][1].startswith(f"remote file name {long_name!r} refused: the name is longer than")
    assert list((tmp_path / "downloads").iterdir()) == []


@pytest.mark.timeout(60)
def test_a_file_dated_in_the_future_does_not_outrank_the_files_delivered_after_it(
    openssh: OpenSsh,  # noqa: F811 - the fixture imported above
    migrated_database: Database,
    tmp_path: Path,
) -> None:
    # kasn and kemendagri rows carry no update time of their own: their file's mtime is the source's
    # instant that survivorship's recency tie-break compares. An agency server whose clock is a year
    # ahead must not make that file's rows newer than every report delivered after it.
    workdir = tmp_path / "downloads"
    deliver(openssh, "tl_a.csv", csv_bytes(row(1, "Ahmad")), age_seconds=-365 * 24 * HOUR)
    _cycle(migrated_database, openssh, workdir, settle_seconds=0)
    time.sleep(1.1)  # mtimes are whole seconds: the next file is written a second later
    deliver(openssh, "tl_b.csv", csv_bytes(row(1, "Ahmad Fauzi")), age_seconds=0)
    _cycle(migrated_database, openssh, workdir, settle_seconds=0)
    with migrated_database.session() as session:
        instants = dict(
            session.execute(select(StagedRecord.record_key, StagedRecord.source_updated_at)).tuples().all()
        )
        cursor = session.get(SourceCursor, "src")
    first_at, later_at = instants["tl_a.csv#1"], instants["tl_b.csv#1"]
    assert first_at is not None and later_at is not None
    first, later = as_utc(first_at), as_utc(later_at)
    assert first < later, (first, later)
    assert first <= datetime.now(UTC)
    assert cursor is not None and cursor.watermark is not None
    assert as_utc(cursor.watermark) <= datetime.now(UTC)
    assert open_quarantine(migrated_database) == []


@pytest.mark.timeout(60)
def test_a_plain_file_larger_than_the_ceiling_is_refused_unread_and_the_next_file_lands(
    openssh: OpenSsh,  # noqa: F811 - the fixture imported above
    migrated_database: Database,
    tmp_path: Path,
) -> None:
    # A CSV is read whole into memory and decoded (several bytes of memory per byte of file): the
    # ceiling a .gz's content has must hold for a plain file too, or one oversized drop kills the run.
    big = csv_bytes(*[row(n, f"Nama {n}") for n in range(1, 60)])
    ceiling = len(big) - 1
    deliver(openssh, "tl_besar.csv", big, age_seconds=2 * HOUR)
    deliver(openssh, "tl_kecil.csv", csv_bytes(row(1)), age_seconds=HOUR)
    workdir = tmp_path / "downloads"
    settings = source(str(openssh.root), pattern="*.csv", max_decompressed_bytes=ceiling)
    for _ in range(2):
        result = pull(migrated_database, settings, openssh_reader(openssh), workdir)
        assert landed_keys(migrated_database) == {"tl_kecil.csv#1"}
        [(file, number, reason)] = open_quarantine(migrated_database)
        assert (file, number) == ("tl_besar.csv", None)
        assert f"{len(big)} bytes" in reason and f"{ceiling}" in reason and "tl_besar.csv" in reason
    assert result.files == 0  # the second run: nothing new
    assert list(workdir.iterdir()) == []
