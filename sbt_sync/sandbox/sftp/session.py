"""One client connection to the sandbox SFTP server: key-only authentication and its SFTP sessions.

Each accepted socket gets a :class:`Connection`: a paramiko ``Transport`` plus one thread that runs the
handshake and then drains opened channels. paramiko runs each SFTP subsystem in its own thread; those
are tracked here so the server can join them on shutdown.
"""

from __future__ import annotations

import hmac
import logging
import socket
import threading
from datetime import timedelta
from typing import Any

import paramiko
from paramiko.common import (
    AUTH_FAILED,
    AUTH_SUCCESSFUL,
    OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED,
    OPEN_SUCCEEDED,
)

from sbt_sync.sandbox.clock import SandboxClock
from sbt_sync.sandbox.faults import FaultSwitches
from sbt_sync.sandbox.sftp.handlers import SessionContext, VirtualSftp
from sbt_sync.sandbox.sftp.tree import DeliveryLog

logger = logging.getLogger(__name__)

_JOIN_SECONDS = 5.0


class KeyOnlyAuth(paramiko.ServerInterface):
    """Accepts exactly one user with exactly one public key; passwords are always refused."""

    def __init__(self, *, username: str, authorized_key: paramiko.PKey, peer: str) -> None:
        self._username = username
        self._key_blob = authorized_key.asbytes()
        self._peer = peer

    def get_allowed_auths(self, username: str) -> str:
        return "publickey"

    def check_auth_password(self, username: str, password: str) -> int:
        logger.info("sftp password login refused for %r from %s", username, self._peer)
        return AUTH_FAILED

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        # compare_digest: the check takes the same time however much of the key matches.
        if username == self._username and hmac.compare_digest(key.asbytes(), self._key_blob):
            return AUTH_SUCCESSFUL
        logger.info("sftp %s key refused for %r from %s", key.get_name(), username, self._peer)
        return AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return OPEN_SUCCEEDED
        return OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


class _TrackedSftpServer(paramiko.SFTPServer):
    """paramiko's SFTP subsystem, as a daemon thread the connection can join."""

    def __init__(
        self,
        channel: paramiko.Channel,
        name: str,
        server: paramiko.ServerInterface,
        sftp_si: type[paramiko.SFTPServerInterface],
        *args: Any,
        context: SessionContext,
        threads: list[threading.Thread],
    ) -> None:
        super().__init__(channel, name, server, sftp_si, *args, context=context)
        # A stuck session must never keep the sandbox process alive.
        self.daemon = True
        threads.append(self)


class Connection:
    """Serves one accepted socket until the client leaves or :meth:`close` is called."""

    def __init__(
        self,
        sock: socket.socket,
        peer: str,
        *,
        host_key: paramiko.PKey,
        auth: KeyOnlyAuth,
        log: DeliveryLog,
        clock: SandboxClock,
        faults: FaultSwitches,
        temp_window: timedelta,
    ) -> None:
        self.peer = peer
        self._sock = sock
        self.transport = paramiko.Transport(sock)
        self.transport.add_server_key(host_key)
        # The disconnect fault drops this whole SSH connection, as a broken network link would.
        context = SessionContext(log, clock, faults, temp_window, drop=self.transport.close)
        self._sessions: list[threading.Thread] = []
        self.transport.set_subsystem_handler(
            "sftp", _TrackedSftpServer, VirtualSftp, context=context, threads=self._sessions
        )
        self._auth = auth
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sftp-conn-{peer}", daemon=True)

    def start(self) -> None:
        """Start the handshake in the connection's own thread; returns at once."""
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def close(self) -> None:
        """Drop the connection; its threads wind down (see :meth:`join`)."""
        self._closing.set()
        self.transport.close()
        # Transport.close() is a no-op before the handshake has begun; closing the socket still ends it.
        self._sock.close()

    def join(self) -> None:
        """Wait (bounded) for the connection thread and its SFTP session threads to end."""
        self._thread.join(_JOIN_SECONDS)
        for session in list(self._sessions):
            session.join(_JOIN_SECONDS)

    def _run(self) -> None:
        try:
            self.transport.start_server(server=self._auth)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            # Port probes and clients that give up mid-handshake end here; nothing to serve.
            logger.info("sftp handshake with %s failed: %s", self.peer, exc)
            self.transport.close()
            return
        logger.info("sftp connection from %s", self.peer)
        channels: list[paramiko.Channel] = []
        while self.transport.is_active() and not self._closing.is_set():
            # SFTP runs in the subsystem thread; accepting keeps opened channels from piling up, and
            # holding them matters: paramiko closes a channel when its last reference goes away.
            channel = self.transport.accept(timeout=0.5)
            channels = [c for c in channels if not c.closed]
            if channel is not None:
                channels.append(channel)
        self.transport.close()
        logger.info("sftp connection from %s closed", self.peer)
