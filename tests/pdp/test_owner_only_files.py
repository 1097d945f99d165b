"""Deliveries hold names, NIPs and birth dates (UU 27/2022): the downloads folder and every file in it
are created readable by their owner only, whatever the process's umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from connectors.sftp import SftpReader
from sbt_sync.ingest.pull import _owner_only_folder
from tests.connectors.helpers_sftp import sandbox_settings
from tests.sandbox.helpers_sftp import T0, SftpEnv

pytestmark = pytest.mark.integration


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that would leave files world-readable (0644) and folders 0755."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_downloaded_delivery_and_its_folder_are_owner_only(
    sftp_env: SftpEnv, tmp_path: Path, open_umask: None
) -> None:
    sftp_env.deliveries.deliver("kasn", "rekomendasi_2020.csv", b"nip;nama\n", T0 - timedelta(hours=1))
    downloads = tmp_path / "var" / "downloads"
    _owner_only_folder(downloads / "kasn")
    with SftpReader(sandbox_settings(sftp_env)) as reader:
        (remote,) = reader.list_files("/kasn")
        got = reader.download(remote, downloads / "kasn")
    assert got.local_path.read_bytes() == b"nip;nama\n"
    assert _mode(got.local_path) == 0o600
    assert _mode(downloads / "kasn") == 0o700
    assert _mode(downloads) == 0o700


def test_an_existing_too_open_downloads_folder_is_narrowed(tmp_path: Path, open_umask: None) -> None:
    folder = tmp_path / "var" / "downloads" / "kemendagri"
    folder.mkdir(parents=True)
    assert _mode(folder) == 0o755
    _owner_only_folder(folder)
    assert _mode(folder) == 0o700 and _mode(folder.parent) == 0o700
