"""The sandbox's SFTP server: kasn, kemendagri and kemenpanrb deliveries over real SSH, on loopback.

It serves ``data_dir/sftp/deliveries.jsonl`` (``DATA_FORMAT.md``) as a read-only tree, one directory per
agency, as of the sandbox clock's current instant: files appear when they land, corrected re-deliveries
replace the content under the same name, and kemendagri's drops first show under ``<name>.part``
(see :mod:`sbt_sync.sandbox.sftp.tree`). Login is by the generated client key only; the host key is
pinned through :attr:`SandboxSftpServer.known_hosts_path`. The ``sftp`` fault switches add latency per
request and drop connections mid-transfer.
"""

from __future__ import annotations

import logging
import socket
import threading
from datetime import timedelta
from pathlib import Path

from sbt_sync.sandbox.clock import SandboxClock
from sbt_sync.sandbox.faults import FaultSwitches
from sbt_sync.sandbox.sftp.keys import SftpKeys, fingerprint
from sbt_sync.sandbox.sftp.session import Connection, KeyOnlyAuth
from sbt_sync.sandbox.sftp.tree import DEFAULT_TEMP_NAME_WINDOW, DeliveryLog

logger = logging.getLogger(__name__)

USERNAME = "sbt"
# How often the accept loop wakes to notice stop(); closing a listening socket does not reliably
# interrupt an accept() blocked in another thread.
_ACCEPT_POLL_SECONDS = 0.2


class SandboxSftpServer:
    """A multi-session, key-authenticated, read-only SFTP server over the sandbox's delivery log."""

    def __init__(
        self,
        *,
        data_dir: Path,
        clock: SandboxClock,
        faults: FaultSwitches,
        state_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        temp_name_window: timedelta = DEFAULT_TEMP_NAME_WINDOW,
    ) -> None:
        """Load or create the keys in ``state_dir/sftp`` (``OSError`` if it cannot); binds nothing yet."""
        self.username = USERNAME
        self._keys = SftpKeys.load_or_create(state_dir)
        self._log = DeliveryLog(data_dir)
        self._clock, self._faults = clock, faults
        self._host, self._requested_port = host, port
        self._temp_window = temp_name_window
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._connections: list[Connection] = []

    @property
    def port(self) -> int:
        """The bound TCP port; ``RuntimeError`` before :meth:`start`."""
        if self._listener is None:
            raise RuntimeError("SandboxSftpServer is not started")
        port: int = self._listener.getsockname()[1]
        return port

    @property
    def host_key_fingerprint(self) -> str:
        """The host key's fingerprint as OpenSSH prints it, e.g. ``SHA256:Zm9v...``."""
        return fingerprint(self._keys.host_key)

    @property
    def client_key_path(self) -> Path:
        """The private key (OpenSSH format, no passphrase) that logs in as :attr:`username`."""
        return self._keys.client_key_path

    @property
    def known_hosts_path(self) -> Path:
        """A known_hosts file pinning the host key for ``[host]:port``; written by :meth:`start`."""
        return self._keys.known_hosts_path

    def start(self) -> None:
        """Bind and listen, then serve in background threads; ``OSError`` if the port is taken."""
        if self._listener is not None:
            raise RuntimeError("SandboxSftpServer is already started")
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self._host, self._requested_port))
            listener.listen(64)
            listener.settimeout(_ACCEPT_POLL_SECONDS)
        except OSError:
            listener.close()
            raise
        self._listener = listener
        self._keys.write_known_hosts(self._host, self.port)
        self._stopping.clear()
        self._accept_thread = threading.Thread(target=self._accept_loop, name="sftp-accept", daemon=True)
        self._accept_thread.start()
        logger.info(
            "sandbox SFTP server on %s:%d (host key %s)", self._host, self.port, self.host_key_fingerprint
        )

    def stop(self) -> None:
        """Stop listening, drop every session and wait for their threads; a no-op when not started."""
        if self._listener is None:
            return
        self._stopping.set()
        if self._accept_thread is not None:
            self._accept_thread.join()
        self._listener.close()
        self._listener = None
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()
        for connection in connections:
            connection.join()
        logger.info("sandbox SFTP server stopped (%d connections closed)", len(connections))

    def _accept_loop(self) -> None:
        listener = self._listener
        assert listener is not None  # set by start() before this thread runs
        while not self._stopping.is_set():
            try:
                sock, address = listener.accept()
            except TimeoutError:
                continue
            except OSError as exc:
                logger.error("sftp accept failed: %s", exc)
                return
            self._serve(sock, f"{address[0]}:{address[1]}")

    def _serve(self, sock: socket.socket, peer: str) -> None:
        sock.settimeout(None)
        auth = KeyOnlyAuth(username=self.username, authorized_key=self._keys.client_public_key, peer=peer)
        connection = Connection(
            sock,
            peer,
            host_key=self._keys.host_key,
            auth=auth,
            log=self._log,
            clock=self._clock,
            faults=self._faults,
            temp_window=self._temp_window,
        )
        with self._lock:
            # Forget finished connections so a long-running sandbox does not accumulate them.
            self._connections = [c for c in self._connections if c.alive]
            self._connections.append(connection)
        connection.start()
