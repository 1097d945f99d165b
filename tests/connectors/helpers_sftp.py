"""SFTP fixtures: the sandbox's SFTP server over a tiny delivery log, and OpenSSH's real sshd."""

from __future__ import annotations

import contextlib
import gzip
import os
import pwd
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from connectors.retry import RetryPolicy
from connectors.sftp import ManifestEntry, SftpSettings
from tests.sandbox.helpers_sftp import SftpEnv

SSHD = Path("/usr/sbin/sshd")
FAST_SFTP_RETRY = RetryPolicy(max_attempts=4, initial_backoff=0.001, max_backoff=0.01)
JSONL_GZ = gzip.compress(b'{"id_pengaduan": "P-1"}\n{"id_pengaduan": "P-2"}\n', mtime=0)


def write_keypair(private_path: Path) -> str:
    """Write an Ed25519 private key (OpenSSH format, 0600); return the public key line."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    private_path.write_bytes(pem)
    private_path.chmod(0o600)
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return public.decode("ascii")


def sandbox_settings(env: SftpEnv, *, known_hosts_path: Path | None = None) -> SftpSettings:
    server = env.server
    return SftpSettings(
        host="127.0.0.1",
        port=server.port,
        username=server.username,
        private_key_path=server.client_key_path,
        known_hosts_path=known_hosts_path or server.known_hosts_path,
        connect_timeout=5,
        read_timeout=5,
        retry=FAST_SFTP_RETRY,
    )


class MemoryManifest:
    """The manifest protocol over a list, recording what the caller processed (the last entry of a
    path is its latest delivery)."""

    def __init__(self) -> None:
        self.entries: list[ManifestEntry] = []

    def _latest(self, source: str, path: str) -> ManifestEntry | None:
        found = [e for e in self.entries if (e.source, e.path) == (source, path)]
        return found[-1] if found else None

    def find_by_content(self, source: str, path: str, sha256: str) -> ManifestEntry | None:
        latest = self._latest(source, path)
        return latest if latest is not None and latest.sha256 == sha256 else None

    def find_by_stat(self, source: str, path: str, size: int, mtime: datetime) -> ManifestEntry | None:
        latest = self._latest(source, path)
        return latest if latest is not None and (latest.size, latest.mtime) == (size, mtime) else None


@dataclass(frozen=True)
class OpenSsh:
    port: int
    username: str
    client_key: Path
    known_hosts: Path
    root: Path
    """A directory served at its own absolute path (no chroot)."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_banner(port: int, process: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sshd exited with {process.returncode}; see its log next to sshd_config")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            if sock.recv(64).startswith(b"SSH-"):
                return
        time.sleep(0.05)
    raise RuntimeError("sshd did not answer in time")


@pytest.fixture
def openssh(tmp_path: Path) -> Iterator[OpenSsh]:
    """OpenSSH's sshd on a free loopback port with a throwaway host key, serving ``tmp_path/drop``."""
    if not SSHD.exists():
        pytest.skip("OpenSSH server not installed (apt-get install openssh-server)")
    try:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation directory
    except OSError:
        pytest.skip("cannot create /run/sshd for sshd")
    conf = tmp_path / "sshd"
    conf.mkdir()
    host_public = write_keypair(conf / "host_ed25519_key")
    (conf / "authorized_keys").write_text(write_keypair(conf / "client_key") + "\n")
    port, username = _free_port(), pwd.getpwuid(os.getuid()).pw_name
    config = conf / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"ListenAddress 127.0.0.1:{port}",
                f"HostKey {conf / 'host_ed25519_key'}",
                f"AuthorizedKeysFile {conf / 'authorized_keys'}",
                f"PidFile {conf / 'sshd.pid'}",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PubkeyAuthentication yes",
                "PermitRootLogin prohibit-password",
                "StrictModes no",  # tmp_path's parents are not root-owned 0755 in every environment
                "UsePAM no",
                "Subsystem sftp internal-sftp",
                "",
            ]
        )
    )
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {host_public}\n")
    root = tmp_path / "drop"
    root.mkdir()
    log = (conf / "sshd.log").open("wb")  # a file, not a pipe: a full pipe would block sshd
    process = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(config)], stderr=log)
    try:
        _wait_for_banner(port, process, time.monotonic() + 10)
        yield OpenSsh(port, username, conf / "client_key", known_hosts, root)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
