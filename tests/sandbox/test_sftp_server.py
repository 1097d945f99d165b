"""The sandbox SFTP server, driven by real clients (paramiko and OpenSSH's sftp) over loopback."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import paramiko
import pytest

from sbt_sync.sandbox.clock import SandboxClock
from sbt_sync.sandbox.faults import FaultSwitches
from sbt_sync.sandbox.sftp_server import SandboxSftpServer
from tests.sandbox.helpers_sftp import T0, SftpEnv, open_sftp, sftp_env, stranger_key

pytestmark = pytest.mark.integration
__all__ = ["sftp_env"]  # the fixture is used by name

KASN_CSV = "\ufeffNo;Nomor Rekomendasi;NIP\r\n1;R-001/KASN/2020;199001012015031001\r\n".encode()


def test_client_lists_and_reads_files_with_pinned_host_key(sftp_env: SftpEnv) -> None:
    sftp_env.deliveries.deliver("kasn", "rekomendasi_2020.csv", KASN_CSV, T0 - timedelta(days=1))
    with open_sftp(sftp_env.server) as sftp:
        assert sorted(sftp.listdir("/")) == ["kasn", "kemendagri", "kemenpanrb"]
        assert sftp.listdir("/kasn") == ["rekomendasi_2020.csv"]
        assert sftp.normalize(".") == "/"
        attrs = sftp.stat("/kasn/rekomendasi_2020.csv")
        assert attrs.st_size == len(KASN_CSV)
        assert attrs.st_mtime == int((T0 - timedelta(days=1)).timestamp())
        assert attrs.st_mode is not None and stat.S_ISREG(attrs.st_mode)
        with sftp.open("/kasn/rekomendasi_2020.csv") as handle:
            assert handle.read() == KASN_CSV


def test_host_key_fingerprint_matches_openssh_format_and_survives_restart(sftp_env: SftpEnv) -> None:
    first = sftp_env.server.host_key_fingerprint
    assert first.startswith("SHA256:") and not first.endswith("=")
    again = SandboxSftpServer(
        data_dir=sftp_env.deliveries.data_dir,
        clock=sftp_env.clock,
        faults=sftp_env.faults,
        state_dir=sftp_env.state_dir,
    )
    assert again.host_key_fingerprint == first
    assert again.client_key_path.read_bytes() == sftp_env.server.client_key_path.read_bytes()
    assert stat.S_IMODE(again.client_key_path.stat().st_mode) == 0o600


def test_file_is_invisible_until_its_available_at(sftp_env: SftpEnv) -> None:
    name = "pengaduan_20241128.jsonl.gz"
    sftp_env.deliveries.deliver("kemenpanrb", name, b"\x1f\x8b", T0 + timedelta(hours=2))
    with open_sftp(sftp_env.server) as sftp:
        assert sftp.listdir("/kemenpanrb") == []
        with pytest.raises(FileNotFoundError):
            sftp.stat(f"/kemenpanrb/{name}")
        sftp_env.clock.set(T0 + timedelta(hours=2))
        assert sftp.listdir("/kemenpanrb") == [name]


def test_redelivery_replaces_content_size_and_mtime_under_same_name(sftp_env: SftpEnv) -> None:
    corrected = KASN_CSV + b"2;R-002/KASN/2020;199202022016041002\r\n"
    sftp_env.deliveries.deliver("kasn", "rekomendasi_2020.csv", KASN_CSV, T0)
    sftp_env.deliveries.deliver("kasn", "rekomendasi_2020.csv", corrected, T0 + timedelta(days=3))
    with open_sftp(sftp_env.server) as sftp:
        with sftp.open("/kasn/rekomendasi_2020.csv") as handle:
            assert handle.read() == KASN_CSV
        sftp_env.clock.set(T0 + timedelta(days=3, seconds=1))
        assert sftp.listdir("/kasn") == ["rekomendasi_2020.csv"]
        attrs = sftp.stat("/kasn/rekomendasi_2020.csv")
        assert (attrs.st_size, attrs.st_mtime) == (len(corrected), int((T0 + timedelta(days=3)).timestamp()))
        with sftp.open("/kasn/rekomendasi_2020.csv") as handle:
            assert handle.read() == corrected


def test_kemendagri_drop_shows_part_name_then_final_name(sftp_env: SftpEnv) -> None:
    drop = b"nomor_rekomendasi,nip\r\n" + b"R-1,199001012015031001\r\n" * 20
    sftp_env.deliveries.deliver("kemendagri", "tindak_lanjut_20241127.csv", drop, T0)
    with open_sftp(sftp_env.server) as sftp:
        # Inside the upload window: only the temporary name, holding part of the bytes.
        assert sftp.listdir("/kemendagri") == ["tindak_lanjut_20241127.csv.part"]
        with sftp.open("/kemendagri/tindak_lanjut_20241127.csv.part") as handle:
            partial = handle.read()
        assert 0 < len(partial) < len(drop) and drop.startswith(partial)
        sftp_env.clock.set(T0 + timedelta(minutes=5))
        assert sftp.listdir("/kemendagri") == ["tindak_lanjut_20241127.csv"]
        with sftp.open("/kemendagri/tindak_lanjut_20241127.csv") as handle:
            assert handle.read() == drop


def test_kemendagri_correction_uploads_beside_the_earlier_version(sftp_env: SftpEnv) -> None:
    name = "tindak_lanjut_20241127.csv"
    sftp_env.deliveries.deliver("kemendagri", name, b"v1\r\n", T0)
    sftp_env.deliveries.deliver("kemendagri", name, b"v2 corrected\r\n", T0 + timedelta(days=1))
    sftp_env.clock.set(T0 + timedelta(days=1, minutes=1))
    with open_sftp(sftp_env.server) as sftp:
        # The correction is still uploading: the earlier version keeps the final name meanwhile.
        assert sorted(sftp.listdir("/kemendagri")) == [name, f"{name}.part"]
        with sftp.open(f"/kemendagri/{name}") as handle:
            assert handle.read() == b"v1\r\n"


def test_malformed_delivery_lines_are_skipped_and_the_rest_served(sftp_env: SftpEnv) -> None:
    sftp_env.deliveries.deliver("kasn", "rekomendasi_2020.csv", KASN_CSV, T0)
    log = sftp_env.deliveries.data_dir / "sftp" / "deliveries.jsonl"
    # A content path outside the data directory must never be served.
    escape = {"source": "kasn", "name": "passwd", "available_at": T0.isoformat(), "content": "../../x"}
    with log.open("a", encoding="utf-8") as handle:
        handle.write("{not json\n" + json.dumps(escape) + "\n")
    with open_sftp(sftp_env.server) as sftp:
        assert sftp.listdir("/kasn") == ["rekomendasi_2020.csv"]


def test_password_login_is_refused(sftp_env: SftpEnv) -> None:
    with pytest.raises(paramiko.AuthenticationException), open_sftp(sftp_env.server, password="sbt"):
        pass


def test_unknown_client_key_is_refused(sftp_env: SftpEnv) -> None:
    with pytest.raises(paramiko.AuthenticationException), open_sftp(sftp_env.server, pkey=stranger_key()):
        pass


def test_writes_renames_and_deletes_are_refused(sftp_env: SftpEnv, tmp_path: Path) -> None:
    sftp_env.deliveries.deliver("kasn", "rekomendasi_2020.csv", KASN_CSV, T0)
    local = tmp_path / "upload.csv"
    local.write_bytes(b"x")
    with open_sftp(sftp_env.server) as sftp:
        refusals: list[Callable[[], object]] = [
            lambda: sftp.put(str(local), "/kasn/upload.csv"),
            lambda: sftp.open("/kasn/rekomendasi_2020.csv", "r+"),
            lambda: sftp.remove("/kasn/rekomendasi_2020.csv"),
            lambda: sftp.rename("/kasn/rekomendasi_2020.csv", "/kasn/x.csv"),
            lambda: sftp.mkdir("/kasn/arsip"),
        ]
        for refuse in refusals:
            with pytest.raises(PermissionError):
                refuse()
        assert sftp.listdir("/kasn") == ["rekomendasi_2020.csv"]


def test_disconnect_fault_breaks_transfer_midway_and_a_clean_retry_succeeds(sftp_env: SftpEnv) -> None:
    payload = bytes(range(256)) * 800  # 200 KiB: several read requests
    sftp_env.deliveries.deliver("kasn", "besar.csv", payload, T0)
    sftp_env.faults.set("sftp", disconnect_rate=1.0)
    received = bytearray()
    with (
        pytest.raises((paramiko.SSHException, EOFError, OSError)),
        open_sftp(sftp_env.server) as sftp,
        sftp.open("/kasn/besar.csv") as handle,
    ):
        while chunk := handle.read(32768):
            received += chunk
    assert 0 < len(received) < len(payload)
    sftp_env.faults.set("sftp", disconnect_rate=0.0)
    with open_sftp(sftp_env.server) as sftp, sftp.open("/kasn/besar.csv") as handle:
        assert handle.read() == payload


def test_latency_fault_delays_each_request(sftp_env: SftpEnv) -> None:
    with open_sftp(sftp_env.server) as sftp:
        sftp_env.faults.set("sftp", latency_ms=300)
        started = time.monotonic()
        sftp.listdir("/kasn")
        assert time.monotonic() - started >= 0.3


def test_concurrent_sessions_are_served_independently(sftp_env: SftpEnv) -> None:
    sftp_env.deliveries.deliver("kasn", "rekomendasi_2020.csv", KASN_CSV, T0)
    results: list[bytes] = []

    def download() -> None:
        with open_sftp(sftp_env.server) as sftp, sftp.open("/kasn/rekomendasi_2020.csv") as handle:
            results.append(handle.read())

    workers = [threading.Thread(target=download) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)
    assert results == [KASN_CSV] * 4


def test_openssh_sftp_client_lists_and_downloads_byte_identically(sftp_env: SftpEnv, tmp_path: Path) -> None:
    sftp_binary = shutil.which("sftp") or "/usr/bin/sftp"
    if not Path(sftp_binary).exists():
        pytest.skip("OpenSSH's sftp client is not installed (apt-get install openssh-client)")
    sftp_env.deliveries.deliver("kasn", "rekomendasi_2020.csv", KASN_CSV, T0)
    server, target = sftp_env.server, tmp_path / "downloaded.csv"
    result = subprocess.run(
        [
            sftp_binary,
            "-b",
            "-",
            "-F",
            "/dev/null",  # no user ssh_config can change what is tested
            "-i",
            str(server.client_key_path),
            "-P",
            str(server.port),
            "-o",
            f"UserKnownHostsFile={server.known_hosts_path}",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            f"{server.username}@127.0.0.1",
        ],
        input=f"ls -l /kasn\nget /kasn/rekomendasi_2020.csv {target}\n",
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "rekomendasi_2020.csv" in result.stdout
    assert target.read_bytes() == KASN_CSV


def test_stop_closes_open_sessions(tmp_path: Path) -> None:
    (tmp_path / "data" / "sftp").mkdir(parents=True)
    server = SandboxSftpServer(
        data_dir=tmp_path / "data",
        clock=SandboxClock(T0),
        faults=FaultSwitches(),
        state_dir=tmp_path / "state",
    )
    server.start()
    with open_sftp(server) as sftp:
        sftp.listdir("/")
        server.stop()
        with pytest.raises((paramiko.SSHException, EOFError, OSError)):
            sftp.listdir("/")
