"""Key material of the sandbox SFTP server: one host key and one client key pair, made once and kept.

Keys live in ``<state_dir>/sftp/`` so a restarted sandbox presents the same host key (a client that
pinned it keeps trusting it) and accepts the same client key. Both are Ed25519, written in the OpenSSH
private-key format without a passphrase, which paramiko and the OpenSSH ``sftp`` client both read.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

logger = logging.getLogger(__name__)

HOST_KEY_FILE = "host_ed25519_key"
CLIENT_KEY_FILE = "client_ed25519_key"
KNOWN_HOSTS_FILE = "known_hosts"


@dataclass(frozen=True, slots=True)
class SftpKeys:
    """The server's host key, the one authorized client key, and where the files are."""

    host_key: paramiko.PKey
    client_public_key: paramiko.PKey
    client_key_path: Path
    known_hosts_path: Path

    @classmethod
    def load_or_create(cls, state_dir: Path) -> SftpKeys:
        """Load the key pairs from ``state_dir/sftp``, generating any that are missing.

        Raises ``OSError`` when the directory cannot be written and ``paramiko.SSHException`` when a
        stored key file is corrupt (delete it to get a fresh one).
        """
        key_dir = state_dir / "sftp"
        key_dir.mkdir(parents=True, exist_ok=True)
        host_path = key_dir / HOST_KEY_FILE
        client_path = key_dir / CLIENT_KEY_FILE
        for path in (host_path, client_path):
            if not path.exists():
                _write_new_key(path)
                logger.info("generated SFTP key pair %s", path.name)
        host_key = paramiko.Ed25519Key(filename=str(host_path))
        client_key = paramiko.Ed25519Key(filename=str(client_path))
        return cls(
            host_key=host_key,
            # Only the public half is needed to authorize; keeping the private half out of the server
            # object means nothing can log or leak it from there.
            client_public_key=paramiko.Ed25519Key(data=client_key.asbytes()),
            client_key_path=client_path,
            known_hosts_path=key_dir / KNOWN_HOSTS_FILE,
        )

    def write_known_hosts(self, host: str, port: int) -> None:
        """Write a one-line known_hosts file pinning the host key for ``host:port``."""
        # A wildcard bind is reached through loopback; a known_hosts entry for 0.0.0.0 would never match.
        if host in ("", "0.0.0.0", "::"):  # noqa: S104 - comparing, not binding
            host = "127.0.0.1"
        pattern = host if port == 22 else f"[{host}]:{port}"
        line = f"{pattern} {self.host_key.get_name()} {self.host_key.get_base64()}\n"
        _atomic_write(self.known_hosts_path, line.encode("ascii"), mode=0o644)


def fingerprint(key: paramiko.PKey) -> str:
    """The key's fingerprint as OpenSSH prints it: ``SHA256:`` and unpadded base64 of the blob's hash."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def _write_new_key(private_path: Path) -> None:
    """Generate an Ed25519 pair: the private key (mode 0600, as ssh demands) and ``<name>.pub``."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.OpenSSH,
        encryption_algorithm=serialization.NoEncryption(),
    )
    public = private.public_key().public_bytes(
        encoding=serialization.Encoding.OpenSSH, format=serialization.PublicFormat.OpenSSH
    )
    _atomic_write(private_path, pem, mode=0o600)
    _atomic_write(private_path.with_name(private_path.name + ".pub"), public + b" sbt-sandbox\n", mode=0o644)


def _atomic_write(path: Path, data: bytes, *, mode: int) -> None:
    """Write ``data`` to ``path`` via a temporary file, so a crash never leaves half a key behind."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    # os.open sets the mode at creation: the private key is never readable by others, not even briefly.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    tmp.replace(path)
