"""Fixtures and builders for the sandbox SFTP server tests: a tiny data directory and pinned clients."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import paramiko
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sbt_sync.sandbox.clock import SandboxClock
from sbt_sync.sandbox.faults import FaultSwitches
from sbt_sync.sandbox.sftp_server import SandboxSftpServer

T0 = datetime(2024, 11, 27, 8, 0, tzinfo=UTC)
WIB = timezone(timedelta(hours=7))


@dataclass
class Deliveries:
    """Writes ``sftp/deliveries.jsonl`` and the delivered bytes the way DATA_FORMAT.md describes."""

    data_dir: Path
    _seq: int = field(default=0)

    def deliver(self, source: str, name: str, content: bytes, available_at: datetime) -> None:
        """Append one delivery of ``content`` as ``/<source>/<name>``, landing at ``available_at``."""
        self._seq += 1
        relative = f"sftp/files/{source}/{self._seq:04d}__{name}"
        target = self.data_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        row = {
            "source": source,
            "name": name,
            # WIB offsets, as the generator writes them: the server must not assume UTC.
            "available_at": available_at.astimezone(WIB).isoformat(),
            "content": relative,
            "sha256": "0" * 64,
            "replaces": None,
        }
        with (self.data_dir / "sftp" / "deliveries.jsonl").open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")


@dataclass
class SftpEnv:
    server: SandboxSftpServer
    clock: SandboxClock
    faults: FaultSwitches
    deliveries: Deliveries
    state_dir: Path


@pytest.fixture
def sftp_env(tmp_path: Path) -> Iterator[SftpEnv]:
    """A started server over an empty data directory, its clock frozen at :data:`T0`."""
    data_dir, state_dir = tmp_path / "data", tmp_path / "state"
    (data_dir / "sftp").mkdir(parents=True)
    clock = SandboxClock(T0, frozen=True)
    faults = FaultSwitches(seed=7)
    server = SandboxSftpServer(data_dir=data_dir, clock=clock, faults=faults, state_dir=state_dir)
    server.start()
    try:
        yield SftpEnv(server, clock, faults, Deliveries(data_dir), state_dir)
    finally:
        server.stop()


@contextmanager
def open_sftp(
    server: SandboxSftpServer, *, pkey: paramiko.PKey | None = None, password: str | None = None
) -> Iterator[paramiko.SFTPClient]:
    """An SFTP client that trusts only the pinned host key and logs in with the server's client key."""
    client = paramiko.SSHClient()
    client.load_host_keys(str(server.known_hosts_path))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        client.connect(
            "127.0.0.1",
            port=server.port,
            username=server.username,
            pkey=pkey,
            password=password,
            key_filename=None if pkey or password else str(server.client_key_path),
            look_for_keys=False,
            allow_agent=False,
            timeout=5,
            banner_timeout=5,
            auth_timeout=5,
        )
        sftp = client.open_sftp()
        yield sftp
        sftp.close()
    finally:
        client.close()


def stranger_key() -> paramiko.PKey:
    """A freshly generated Ed25519 key the server has never authorized."""
    pem = Ed25519PrivateKey.generate().private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.OpenSSH,
        encryption_algorithm=serialization.NoEncryption(),
    )
    return paramiko.Ed25519Key(file_obj=io.StringIO(pem.decode("ascii")))
