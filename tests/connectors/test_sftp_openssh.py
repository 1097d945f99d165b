"""The SFTP reader against OpenSSH's real sshd and sftp server: the protocol as agencies run it."""

from __future__ import annotations

import gzip
import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.errors import HostKeyError, SftpError
from connectors.sftp import SftpReader, SftpSettings, open_payload
from tests.connectors.helpers_sftp import FAST_SFTP_RETRY, JSONL_GZ, OpenSsh, write_keypair

pytestmark = pytest.mark.integration


def settings(server: OpenSsh, *, known_hosts: Path | None = None, key: Path | None = None) -> SftpSettings:
    return SftpSettings(
        host="127.0.0.1",
        port=server.port,
        username=server.username,
        private_key_path=key or server.client_key,
        known_hosts_path=known_hosts or server.known_hosts,
        connect_timeout=5,
        read_timeout=5,
        retry=FAST_SFTP_RETRY,
    )


def test_lists_and_downloads_from_openssh(openssh: OpenSsh, tmp_path: Path) -> None:
    drop = openssh.root
    (drop / "tindak_lanjut_20241126.csv").write_bytes(b"nomor_rekomendasi,nip\r\nR-1,198001012005011001\r\n")
    (drop / "tindak_lanjut_20241127.csv.filepart").write_bytes(b"nomor_rek")  # WinSCP still uploading
    (drop / "pengaduan_20241127.jsonl.gz").write_bytes(JSONL_GZ)
    (drop / "archive").mkdir()
    os.utime(drop / "tindak_lanjut_20241126.csv", (1_700_000_000, 1_700_000_000))
    with SftpReader(settings(openssh)) as reader:
        files = reader.list_files(str(drop))
        assert sorted(f.name for f in files) == ["pengaduan_20241127.jsonl.gz", "tindak_lanjut_20241126.csv"]
        csv_file = next(f for f in files if f.name.endswith(".csv"))
        assert csv_file.mtime == datetime.fromtimestamp(1_700_000_000, UTC)
        got = [reader.download(f, tmp_path / "in") for f in files]
    for file in got:
        original = (drop / file.remote.name).read_bytes()
        assert file.local_path.read_bytes() == original
        assert file.sha256 == hashlib.sha256(original).hexdigest()
    gz = next(f for f in got if f.remote.name.endswith(".gz"))
    with open_payload(gz.local_path) as payload:
        assert payload.read() == gzip.decompress(JSONL_GZ)


def test_openssh_with_a_changed_host_key_is_refused(openssh: OpenSsh, tmp_path: Path) -> None:
    kind, blob = write_keypair(tmp_path / "old_host_key").split()[:2]
    known_hosts = tmp_path / "stale_known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{openssh.port} {kind} {blob}\n")
    with pytest.raises(
        HostKeyError, match=rf"127\.0\.0\.1:{openssh.port} presented ssh-ed25519 SHA256:.*CHANGED"
    ):
        SftpReader(settings(openssh, known_hosts=known_hosts)).list_files(str(openssh.root))


def test_openssh_refuses_a_key_it_does_not_authorize(openssh: OpenSsh, tmp_path: Path) -> None:
    write_keypair(tmp_path / "stranger")
    reader = SftpReader(settings(openssh, key=tmp_path / "stranger"))
    with pytest.raises(SftpError, match="login refused"):
        reader.list_files(str(openssh.root))
    assert reader.stats.retries == 0


def test_missing_remote_file_is_not_retried(openssh: OpenSsh, tmp_path: Path) -> None:
    (openssh.root / "a.csv").write_bytes(b"x")
    with SftpReader(settings(openssh)) as reader:
        (remote,) = reader.list_files(str(openssh.root))
        (openssh.root / "a.csv").unlink()  # renamed away between listing and download
        with pytest.raises(SftpError, match=r"a\.csv"):
            reader.download(remote, tmp_path / "in")
        assert reader.stats.retries == 0
