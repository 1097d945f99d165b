"""Files whose names make their rows' keys ambiguous, delivered over a real OpenSSH server.

A file's rows are keyed ``<file>#<row>`` (``ingest/file_keys.py``). A delivery must only ever see,
take over or withdraw the rows of that same file: another file whose name starts with this one's and
a ``#`` (``laporan.csv#koreksi.csv``) is a different document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import RawRecord, StagedRecord
from sbt_sync.ingest.staging import stage_pending
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


def _cycle(database: Database, server: OpenSsh, workdir: Path) -> None:
    pull(database, source(str(server.root), pattern="*.csv"), openssh_reader(server), workdir)
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
