"""A file an SFTP run leaves for later because of the agency (the server will not let us read it, or
it is still being written and changes while it is read) is shown to stewards and the agency in the
quarantine of its source, in words, once per file, and leaves it when the file lands.

A real paramiko SFTP server on loopback (:mod:`tests.ingest.helpers_hostile_sftp`), the steward
service and the console on both database backends.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from connectors.sftp import SftpReader
from sbt_sync.console.app import create_app
from sbt_sync.console.users import add_user
from sbt_sync.db.engine import Database
from sbt_sync.ingest.pull import PullResult, pull_sftp
from sbt_sync.settings import load_settings
from sbt_sync.steward.quarantine import list_quarantine
from schemas.feeds import FEEDS
from tests.conftest import REPO_ROOT
from tests.console.conftest import csrf_of
from tests.ingest.helpers_hostile_sftp import hostile_sftp
from tests.ingest.test_hostile_sftp import csv_bytes, row, source
from tests.ingest.test_hostile_sftp_server import impatient_reader

pytestmark = pytest.mark.integration
SOURCE = "kemendagri"
PASSWORD = "correct horse battery staple"
# (how the server misbehaves, the check shown, the problem in Indonesian, the problem in English)
KINDS = {
    "unreadable": ("file_access_denied", "Server sumber menolak", "server refuses to let us read"),
    "changing": ("file_still_written", "masih ditulis", "still being written"),
}


def _pull(database: Database, reader: SftpReader, workdir: Path) -> PullResult:
    with reader:
        return pull_sftp(
            database,
            source=SOURCE,
            settings=source("/drop"),
            feed=FEEDS[SOURCE],
            reader=reader,
            workdir=workdir,
        )


def console_steward(database: Database) -> TestClient:
    """The console, logged in as a steward (an account made here)."""
    settings = load_settings(REPO_ROOT / "sbt.yaml", env={"SBT_DATABASE_URL": database.url})
    add_user(database, settings, username="steward", password=PASSWORD, role="steward", actor="test")
    client = TestClient(create_app(settings, database), follow_redirects=False)
    response = client.post(
        "/login",
        data={"username": "steward", "password": PASSWORD, "csrf_token": csrf_of(client), "next": "/"},
    )
    assert response.status_code == 303, response.text
    return client


@pytest.mark.timeout(90)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_file_left_for_later_is_in_its_sources_quarantine_in_words_until_it_lands(
    kind: str, migrated_database: Database, tmp_path: Path
) -> None:
    check, words_id, words_en = KINDS[kind]
    files = {"tl_1.csv": csv_bytes(row(1)), "tl_2.csv": csv_bytes(row(2)), "tl_3.csv": csv_bytes(row(3))}
    misbehaving: dict[str, object] = (
        {"unreadable": frozenset({"tl_2.csv"})} if kind == "unreadable" else {"open_size_factor": 2}
    )
    with hostile_sftp(tmp_path / "bad", files, **misbehaving) as server:  # type: ignore[arg-type]
        for _ in range(2):  # a second run shows the same file once, not twice
            result = _pull(migrated_database, impatient_reader(server), tmp_path / "work")
            assert len(result.deferred_files) == (1 if kind == "unreadable" else 3), result
    total, rows, per_source = list_quarantine(migrated_database, source=SOURCE)
    expected = ["tl_2.csv"] if kind == "unreadable" else ["tl_1.csv", "tl_2.csv", "tl_3.csv"]
    assert sorted(r.file_name or "" for r in rows) == expected and total == len(expected)
    assert {r.check for r in rows} == {check}
    assert all(r.value is None and r.row_number is None and r.record_key is None for r in rows)
    assert per_source == {SOURCE: len(expected)}

    steward = console_steward(migrated_database)
    page_id = steward.get(f"/quarantine?source={SOURCE}").text
    page_en = steward.get(f"/quarantine?source={SOURCE}&lang=en").text
    assert "tl_2.csv" in page_id and words_id in page_id and check not in page_id
    assert "tl_2.csv" in page_en and words_en in page_en

    with hostile_sftp(tmp_path / "good", files) as server:  # the agency fixed it
        _pull(migrated_database, impatient_reader(server), tmp_path / "work")
    assert list_quarantine(migrated_database, source=SOURCE)[0] == 0
    assert {r.status for r in list_quarantine(migrated_database, source=SOURCE, status=None)[1]} == {
        "superseded"
    }
