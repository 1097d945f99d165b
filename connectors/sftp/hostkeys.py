"""Host-key pinning: the server must present a key listed in our known_hosts file, nothing else.

Keys are never added automatically (trust on first use would let a spoofed server collect agency
files). An unknown or changed key is refused with both fingerprints, so an operator can check them
with the agency before editing known_hosts.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import NoReturn

import paramiko

from connectors.errors import HostKeyError, SftpError


def fingerprint(key: paramiko.PKey) -> str:
    """The key's fingerprint as OpenSSH prints it: ``SHA256:`` and unpadded base64 of its hash."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def load_known_hosts(path: Path) -> paramiko.HostKeys:
    """The pinned keys in ``path``; :class:`SftpError` if it is missing, unreadable or pins nothing."""
    try:
        keys = paramiko.HostKeys(str(path))
    except OSError as exc:
        raise SftpError(f"cannot read known_hosts file {path}: {exc.strerror or exc}") from exc
    if not keys.keys():
        raise SftpError(f"known_hosts file {path} pins no host key")
    return keys


def pinned_fingerprints(keys: paramiko.HostKeys, host_pattern: str) -> list[str]:
    """Fingerprints pinned for ``host_pattern`` (``host`` or ``[host]:port``), in file order."""
    entry = keys.lookup(host_pattern)
    return [] if entry is None else [f"{name} {fingerprint(entry[name])}" for name in entry]


class PinnedHostKeyPolicy(paramiko.RejectPolicy):
    """Refuses a server whose key type is not pinned for it, naming what it presented and what is."""

    def __init__(self, known_hosts: Path) -> None:
        self._known_hosts = known_hosts

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> NoReturn:
        pinned = pinned_fingerprints(client.get_host_keys(), hostname)
        raise HostKeyError(
            f"SFTP host {hostname} presented {key.get_name()} {fingerprint(key)}, which is not pinned "
            f"in {self._known_hosts} (pinned: {', '.join(pinned) or 'nothing for this host'}); "
            "refusing to connect"
        )


def changed_key_error(exc: paramiko.BadHostKeyException, host: str, known_hosts: Path) -> HostKeyError:
    """The error for a server presenting another key of a pinned type (possible impersonation)."""
    return HostKeyError(
        f"SFTP host {host} presented {exc.key.get_name()} {fingerprint(exc.key)} but {known_hosts} pins "
        f"{fingerprint(exc.expected_key)}: the host key CHANGED; refusing to connect"
    )
