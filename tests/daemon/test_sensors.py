"""Sensors against the real sandbox and a real database: one run per new or changed SFTP file and
never two, HTTP sources polled for changes, and steward decisions and due pushes noticed."""

import pytest
from sqlalchemy import select

from assets.keys import SIASN_FLAGS
from sbt_sync.db.engine import Database
from sbt_sync.db.models import SftpFile
from tests.daemon.conftest import KEMENDAGRI_ROW, DaemonProject, kemendagri_csv, run_sensor_target, tick

pytestmark = pytest.mark.integration

KEMENDAGRI = "kemendagri_new_files"


def test_a_new_kemendagri_file_gives_one_run_and_a_second_tick_none(daemon_project: DaemonProject) -> None:
    definitions = daemon_project.definitions()
    first = tick(definitions, KEMENDAGRI)
    assert first.run_keys == []
    assert first.skip_reason and "none new or changed" in first.skip_reason

    daemon_project.deliver("kemendagri", "tindak_lanjut_20250301.csv", kemendagri_csv(KEMENDAGRI_ROW))
    second = tick(definitions, KEMENDAGRI, first.cursor)
    assert len(second.run_keys) == 1
    assert second.run_keys[0].startswith("kemendagri:/kemendagri/tindak_lanjut_20250301.csv:")

    # The run has not happened yet: the sensor ticks again and asks for nothing more.
    third = tick(definitions, KEMENDAGRI, second.cursor)
    assert third.run_keys == []
    assert third.skip_reason and "1 in progress" in third.skip_reason

    # The run processes the file; from then on the manifest alone keeps it from being requested,
    # even for a sensor that lost its cursor.
    assert run_sensor_target(definitions, KEMENDAGRI).success
    database = Database(daemon_project.database_url)
    with database.session() as session:
        files = session.scalars(select(SftpFile).where(SftpFile.source == "kemendagri")).all()
    database.dispose()
    assert [(f.remote_path, f.status) for f in files] == [
        ("/kemendagri/tindak_lanjut_20250301.csv", "processed")
    ]
    for cursor in (third.cursor, None):
        again = tick(definitions, KEMENDAGRI, cursor)
        assert again.run_keys == []

    # A corrected re-delivery under the same name is a new file identity: one more run.
    daemon_project.deliver(
        "kemendagri", "tindak_lanjut_20250301.csv", kemendagri_csv(KEMENDAGRI_ROW, KEMENDAGRI_ROW)
    )
    corrected = tick(definitions, KEMENDAGRI, third.cursor)
    assert len(corrected.run_keys) == 1 and corrected.run_keys != second.run_keys


def test_http_sensor_requests_a_run_for_a_source_never_pulled_and_none_once_it_is_current(
    daemon_project: DaemonProject,
) -> None:
    definitions = daemon_project.definitions()
    first = tick(definitions, "bawaslu_changes")
    assert len(first.run_keys) == 1
    assert run_sensor_target(definitions, "bawaslu_changes").success
    second = tick(definitions, "bawaslu_changes")
    assert second.run_keys == []
    assert second.skip_reason and "nothing changed since cursor" in second.skip_reason


def test_push_retry_sensor_is_absent_until_the_push_asset_is_in_the_graph(
    daemon_project: DaemonProject,
) -> None:
    definitions = daemon_project.definitions()
    names = {sensor.name for sensor in definitions.sensors or []}
    assert ("due_pushes" in names) == (SIASN_FLAGS in definitions.resolve_all_asset_keys())
