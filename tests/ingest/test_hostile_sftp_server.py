"""An SFTP server that misbehaves after login: it goes silent, serves a file that never ends, or lists
a file it will not let us read. Every wait is bounded; a silent server fails the run naming it with
nothing landed and no cursor moved; a bad file is left for a later run and never stops the others.

The server here is a real paramiko SSH server on loopback that accepts the login and then misbehaves:
silent before the SFTP version handshake (the session is half open, which no socket timeout of the
SSH connection covers) or on the first read of a file's content, trickling one byte per read just
within the read timeout, endless past a file's announced size, or refusing to open one file.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from connectors.errors import LocalStorageError, SftpTransferError
from connectors.retry import RetryPolicy
from connectors.sftp import SftpReader, SftpSettings
from connectors.sftp.transfer import CHUNK_BYTES
from sbt_sync.db.engine import Database
from sbt_sync.db.models import RawRecord, SftpFile, SourceCursor
from sbt_sync.ingest.pull import PullResult
from tests.ingest.helpers_hostile_sftp import HostileServer, Stall, hostile_sftp
from tests.ingest.test_hostile_sftp import csv_bytes, landed_keys, pull, row, source

pytestmark = pytest.mark.integration
TIMEOUT = 1.0
ATTEMPTS = 2


def impatient_reader(server: HostileServer) -> SftpReader:
    """A reader of ``server`` with second-long timeouts and two attempts."""
    return SftpReader(
        SftpSettings(
            host="127.0.0.1",
            port=server.port,
            username="agency",
            private_key_path=server.client_key,
            known_hosts_path=server.known_hosts,
            connect_timeout=TIMEOUT,
            read_timeout=TIMEOUT,
            list_timeout=2 * TIMEOUT,
            retry=RetryPolicy(max_attempts=ATTEMPTS, initial_backoff=0.001, max_backoff=0.01),
        )
    )


@pytest.mark.timeout(60)
@pytest.mark.parametrize("stall", ["sftp_init", "read", "trickle", "listing"])
def test_a_server_that_goes_silent_fails_the_run_within_its_timeouts_and_lands_nothing(
    stall: Stall, migrated_database: Database, tmp_path: Path
) -> None:
    with hostile_sftp(tmp_path / "server", {"tl_1.csv": csv_bytes(row(1))}, stall=stall) as server:
        reader = impatient_reader(server)
        outcome: list[BaseException | None] = []

        def run() -> None:
            try:
                pull(migrated_database, source(server.directory), reader, tmp_path / "work")
                outcome.append(None)
            except BaseException as exc:  # reported to the test thread below
                outcome.append(exc)

        started = time.monotonic()
        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        worker.join(20)  # a few timeouts per attempt at most; far less than this
        assert not worker.is_alive(), f"the pull still waits on the silent server after 20 s ({stall})"
        elapsed = time.monotonic() - started
    assert len(outcome) == 1 and isinstance(outcome[0], SftpTransferError), outcome
    assert f"127.0.0.1:{server.port}" in str(outcome[0])
    if stall == "listing":
        assert "listing took longer than 2 s" in str(outcome[0]), outcome[0]
    assert elapsed < 20
    with migrated_database.session() as session:
        assert session.scalar(select(func.count()).select_from(RawRecord)) == 0
        assert session.scalar(select(func.count()).select_from(SftpFile)) == 0
        assert session.get(SourceCursor, "src") is None


@pytest.mark.timeout(60)
@pytest.mark.parametrize("open_size_factor", [1, 100_000], ids=["as_listed", "opened_as_larger"])
def test_a_file_that_never_ends_is_not_read_past_its_listed_size(
    open_size_factor: int, migrated_database: Database, tmp_path: Path
) -> None:
    # The server lists 1 file of a few hundred bytes, then answers every read past its end with
    # more bytes: a reader going on to the end of file fills the local disk and never finishes. Once
    # opened, the file may even announce itself 100,000 times larger than the listing said (the size
    # the file-size ceiling and the transfer deadline were judged on).
    content = csv_bytes(row(1))
    with hostile_sftp(
        tmp_path / "server", {"tl_1.csv": content}, endless=True, open_size_factor=open_size_factor
    ) as server:
        reader = impatient_reader(server)
        workdir = tmp_path / "work"
        largest = [0]
        done = threading.Event()

        def watch() -> None:  # the largest file the download ever held locally
            while not done.is_set():
                sizes = [p.stat().st_size for p in workdir.glob(".*")] if workdir.exists() else []
                largest[0] = max([largest[0], *sizes])
                time.sleep(0.01)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        outcome: list[object] = []
        worker = threading.Thread(
            target=lambda: outcome.append(pull(migrated_database, source(server.directory), reader, workdir)),
            daemon=True,
        )
        worker.start()
        worker.join(20)
        done.set()
        assert not worker.is_alive(), "the download of a file that never ends is still running after 20 s"
    (result,) = outcome
    assert isinstance(result, PullResult)
    assert result.files == 0 and len(result.deferred_files) == 1, result
    assert "tl_1.csv" in result.deferred_files[0]
    assert largest[0] <= len(content) + CHUNK_BYTES, largest[0]
    assert list(workdir.iterdir()) == []
    with migrated_database.session() as session:
        assert session.scalar(select(func.count()).select_from(RawRecord)) == 0


@pytest.mark.timeout(60)
def test_a_file_the_server_will_not_let_us_read_is_left_for_later_and_the_files_after_it_land(
    migrated_database: Database, tmp_path: Path
) -> None:
    # An agency uploads one file with permissions our account cannot read (another account's umask).
    # Fixing that (chmod) changes neither its size nor its mtime, so it must not be settled either.
    files = {"tl_1.csv": csv_bytes(row(1)), "tl_2.csv": csv_bytes(row(2)), "tl_3.csv": csv_bytes(row(3))}
    with hostile_sftp(tmp_path / "server", files, unreadable=frozenset({"tl_2.csv"})) as server:
        reader = impatient_reader(server)
        for _ in range(2):  # and the next run the same, until the agency fixes it
            result = pull(migrated_database, source(server.directory), reader, tmp_path / "work")
            assert result.files == 0 or landed_keys(migrated_database) == {"tl_1.csv#1", "tl_3.csv#1"}
            assert len(result.deferred_files) == 1, result
            assert "tl_2.csv" in result.deferred_files[0]
            assert "ermission denied" in result.deferred_files[0]
        assert landed_keys(migrated_database) == {"tl_1.csv#1", "tl_3.csv#1"}
    with migrated_database.session() as session:
        paths = set(session.scalars(select(SftpFile.remote_path)))
    assert paths == {"/drop/tl_1.csv", "/drop/tl_3.csv"}  # nothing settled about tl_2.csv


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on its own 64 KiB filesystem (tmpfs), so a larger download meets a real ENOSPC;
    skipped where this process may not mount one."""
    folder = tmp_path / "small_disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        yield folder
    finally:
        with contextlib.suppress(OSError):
            subprocess.run(["umount", str(folder)], check=True, capture_output=True)


@pytest.mark.timeout(60)
def test_a_full_local_disk_is_reported_as_local_storage_with_nothing_landed_and_no_partial_file(
    migrated_database: Database, tmp_path: Path, full_disk: Path
) -> None:
    # The download folder's disk fills while a 300 KB delivery is written: the server did nothing
    # wrong, so the run must not say "connection failed" (nor retry the transfer as one).
    big = csv_bytes(*(row(n) for n in range(1, 4000)))
    assert len(big) > 4 * 64 * 1024
    files = {"tl_1.csv": csv_bytes(row(1)), "tl_2.csv": big}
    workdir = full_disk / "kasn"
    with hostile_sftp(tmp_path / "server", files) as server:
        reader = impatient_reader(server)
        with pytest.raises(LocalStorageError) as info:
            pull(migrated_database, source(server.directory), reader, workdir)
    message = str(info.value)
    assert "No space left on device" in message and "local" in message, message
    assert str(workdir) in message and "tl_2.csv" in message
    assert "connection failed" not in message
    assert reader.stats.retries == 0
    assert [p.name for p in workdir.iterdir()] == []  # no partial file left behind
    # tl_1.csv fit and landed in its own transaction before; tl_2.csv landed nothing
    assert landed_keys(migrated_database) == {"tl_1.csv#1"}
    with migrated_database.session() as session:
        paths = set(session.scalars(select(SftpFile.remote_path)))
    assert paths == {"/drop/tl_1.csv"}
