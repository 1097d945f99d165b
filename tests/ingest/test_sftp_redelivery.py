"""SFTP deliveries as documents: two rows with one recommendation number are two rows; a corrected
re-delivery updates rows in place, withdraws rows it dropped, and re-stages a row brought back; a
correction reverted to the file's earlier bytes brings the earlier values back."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from connectors.sftp import SftpReader, SftpSettings
from sbt_sync.db.engine import Database
from sbt_sync.db.models import QuarantinedRow, RawRecord, SftpFile, StagedRecord
from sbt_sync.ingest.pull import pull_sftp
from sbt_sync.ingest.staging import stage_pending
from sbt_sync.settings_sources import SftpSource
from schemas.feeds import FEEDS
from tests.sandbox.helpers_sftp import T0, SftpEnv, sftp_env  # noqa: F401 - fixture

pytestmark = pytest.mark.integration

# The kemendagri feed's columns, in the order the agency writes them.
HEADER = ",".join(c for c in FEEDS["kemendagri"].model.to_schema().columns if c != "item_no")
GOOD_1 = "R-1/2024,198001012005011001,Ahmad,Kab. Bogor,dalam_proses,,,,01-12-2024"
SAME_REC_DONE = (
    "R-1/2024,198001012005011001,Ahmad,Kab. Bogor,sudah_dijatuhi_hukuman,22,SK-9,02-12-2024,02-12-2024"
)
BAD_DATE = "R-2/2024,199001012015012002,Siti,Kab. Bogor,sudah_dijatuhi_hukuman,22,SK-7,31-04-2024,02-12-2024"
NAME = "tindak_lanjut_20241202.csv"


def _csv(*rows: str) -> bytes:
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode()


def _settings(env: SftpEnv) -> SftpSource:
    return SftpSource(
        kind="sftp",
        host="127.0.0.1",
        port=env.server.port,
        username=env.server.username,
        private_key_path_env="UNUSED",
        known_hosts=str(env.server.known_hosts_path),
        directory="/kemendagri",
        pattern="tindak_lanjut_*.csv",
        format="csv",
    )


def _ingest(env: SftpEnv, database: Database, workdir: Path) -> None:
    reader = SftpReader(
        SftpSettings(
            host="127.0.0.1",
            port=env.server.port,
            username=env.server.username,
            private_key_path=env.server.client_key_path,
            known_hosts_path=env.server.known_hosts_path,
        )
    )
    with reader:
        pull_sftp(
            database,
            source="kemendagri",
            settings=_settings(env),
            feed=FEEDS["kemendagri"],
            reader=reader,
            workdir=workdir,
        )
    stage_pending(database, source="kemendagri", feed=FEEDS["kemendagri"])


def _live(database: Database) -> list[tuple[str, str]]:
    with database.session() as session:
        rows = session.scalars(select(StagedRecord).where(StagedRecord.withdrawn.is_(False))).all()
        return sorted((r.record_key, r.fields["follow_up_status"]) for r in rows)


def _open_quarantine(database: Database) -> list[tuple[str | None, int | None, str | None]]:
    with database.session() as session:
        rows = session.scalars(select(QuarantinedRow).where(QuarantinedRow.status == "open")).all()
        return sorted((r.file_name, r.row_number, r.column) for r in rows)


def test_file_rows_are_documents_and_corrections_replace_them(
    sftp_env: SftpEnv,  # noqa: F811 - the fixture imported above
    migrated_database: Database,
    tmp_path: Path,
) -> None:
    # Two reports on one recommendation in one file, plus a bad row: all three kept apart.
    sftp_env.deliveries.deliver("kemendagri", NAME, _csv(GOOD_1, SAME_REC_DONE, BAD_DATE), T0)
    sftp_env.clock.set(T0 + timedelta(hours=1))
    _ingest(sftp_env, migrated_database, tmp_path)
    assert _live(migrated_database) == [
        (f"{NAME}#1", "dalam_proses"),
        (f"{NAME}#2", "sudah_dijatuhi_hukuman"),
    ]
    assert _open_quarantine(migrated_database) == [(NAME, 3, "tanggal_sk")]

    # The agency re-delivers the file corrected: the bad date fixed, the first row dropped. Each row
    # keeps its key (file_keys): the unchanged report stays #2 though it is now first, the corrected
    # row is #3 again (same recommendation number), and #1 alone is withdrawn.
    fixed = BAD_DATE.replace("31-04-2024", "30-04-2024")
    sftp_env.deliveries.deliver("kemendagri", NAME, _csv(SAME_REC_DONE, fixed), T0 + timedelta(hours=2))
    sftp_env.clock.set(T0 + timedelta(hours=3))
    _ingest(sftp_env, migrated_database, tmp_path)
    assert _live(migrated_database) == [
        (f"{NAME}#2", "sudah_dijatuhi_hukuman"),
        (f"{NAME}#3", "sudah_dijatuhi_hukuman"),
    ]
    assert _open_quarantine(migrated_database) == []

    # A third delivery brings back the earlier three rows exactly: row 1 returns and is staged again.
    sftp_env.deliveries.deliver(
        "kemendagri", NAME, _csv(GOOD_1, SAME_REC_DONE, fixed), T0 + timedelta(hours=4)
    )
    sftp_env.clock.set(T0 + timedelta(hours=5))
    _ingest(sftp_env, migrated_database, tmp_path)
    assert [key for key, _ in _live(migrated_database)] == [f"{NAME}#1", f"{NAME}#2", f"{NAME}#3"]


def test_file_reverted_to_its_earlier_content_brings_the_earlier_values_back(
    sftp_env: SftpEnv,  # noqa: F811 - the fixture imported above
    migrated_database: Database,
    tmp_path: Path,
) -> None:
    original, correction = _csv(GOOD_1), _csv(SAME_REC_DONE)
    for hour, content in ((0, original), (2, correction)):
        sftp_env.deliveries.deliver("kemendagri", NAME, content, T0 + timedelta(hours=hour))
        sftp_env.clock.set(T0 + timedelta(hours=hour + 1))
        _ingest(sftp_env, migrated_database, tmp_path)
    assert _live(migrated_database) == [(f"{NAME}#1", "sudah_dijatuhi_hukuman")]
    with migrated_database.session() as session:  # reconciliation has taken the correction up
        session.execute(update(StagedRecord).values(needs_reconcile=False))

    # The agency withdraws its correction: the original bytes again, under the same name.
    sftp_env.deliveries.deliver("kemendagri", NAME, original, T0 + timedelta(hours=4))
    sftp_env.clock.set(T0 + timedelta(hours=5))
    _ingest(sftp_env, migrated_database, tmp_path)

    assert _live(migrated_database) == [(f"{NAME}#1", "dalam_proses")]
    with migrated_database.session() as session:
        staged = session.scalars(select(StagedRecord)).one()
        assert staged.needs_reconcile is True
        raw = session.scalars(select(RawRecord)).one()
        assert raw.version == 3  # original, correction, original again
        assert staged.raw_version == 3
        manifest = session.scalars(select(SftpFile).order_by(SftpFile.processed_at)).all()
        # One row per distinct content (the unique key); the original's row is the latest again.
        assert [(f.sha256 == manifest[-1].sha256, f.status) for f in manifest] == [
            (False, "processed"),
            (True, "processed"),
        ]
    # A fourth run with nothing new delivered changes nothing.
    sftp_env.clock.set(T0 + timedelta(hours=6))
    _ingest(sftp_env, migrated_database, tmp_path)
    with migrated_database.session() as session:
        assert session.scalars(select(RawRecord)).one().version == 3
