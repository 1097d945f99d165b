"""The whole sandbox in one process: agency simulators, SIASN, SFTP, mail and the control server.

``Sandbox`` is what ``sbt-sync sandbox up`` runs and what tests and the demo use in-process::

    with Sandbox(data_dir, tls=True) as sandbox:
        requests.get(sandbox.endpoints.bawaslu_url, headers={"X-API-Key": ...},
                     verify=sandbox.endpoints.ca_bundle)

Every server binds its own loopback port (ephemeral unless fixed in ``ports``) and serves from daemon
threads; :meth:`Sandbox.stop` shuts them all down. ``sandbox.mailbox`` holds every message the mail
server accepted (also at the control server's ``GET /_sandbox/mail``).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import ssl
import tempfile
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from sbt_sync.errors import SbtError
from sbt_sync.sandbox.clock import SandboxClock
from sbt_sync.sandbox.faults import FaultSwitches
from sbt_sync.sandbox.http import bawaslu, bkn_wasdal, idis, imut, siasn, siasn_auth
from sbt_sync.sandbox.http.base import Simulator, SimulatorServer
from sbt_sync.sandbox.http.control import ControlSimulator
from sbt_sync.sandbox.http.credentials import SandboxCredentials
from sbt_sync.sandbox.http.describe import (
    SandboxEndpoints,
    SftpEndpoint,
    SmtpEndpoint,
    describe_sandbox,
)
from sbt_sync.sandbox.http.records import VersionedRecords, parse_instant
from sbt_sync.sandbox.http.siasn_blocks import BlockLedger
from sbt_sync.sandbox.http.siasn_registry import Registry
from sbt_sync.sandbox.http.tls import ensure_tls
from sbt_sync.sandbox.smtp_server import Mailbox, SandboxSmtpServer

log = logging.getLogger(__name__)

SERVER_NAMES = ("bawaslu", "bkn_wasdal", "idis", "imut", "siasn", "control", "sftp", "smtp")
HTTP_SOURCES = ("bawaslu", "bkn_wasdal", "idis", "imut")


class _SftpServer(Protocol):
    """The interface of ``sbt_sync.sandbox.sftp_server.SandboxSftpServer`` (written separately)."""

    @property
    def port(self) -> int: ...
    @property
    def host_key_fingerprint(self) -> str: ...
    @property
    def username(self) -> str: ...
    @property
    def client_key_path(self) -> Path: ...
    @property
    def known_hosts_path(self) -> Path: ...

    def start(self) -> None: ...
    def stop(self) -> None: ...


def manifest_clock_start(data_dir: Path) -> datetime | None:
    """``clock.start`` from ``data_dir/manifest.json``, or None if absent; bad values are an SbtError."""
    path = data_dir / "manifest.json"
    if not path.exists():
        return None
    try:
        start = json.loads(path.read_text(encoding="utf-8")).get("clock", {}).get("start")
        return None if start is None else parse_instant(str(start))
    except (ValueError, AttributeError) as exc:
        raise SbtError(f"{path}: unreadable clock.start ({exc})") from exc


class Sandbox:
    """Starts and stops every sandbox server; a context manager. Not restartable once stopped."""

    def __init__(
        self,
        data_dir: Path,
        *,
        state_dir: Path | None = None,
        clock: SandboxClock | None = None,
        faults: FaultSwitches | None = None,
        credentials: SandboxCredentials | None = None,
        host: str = "127.0.0.1",
        ports: Mapping[str, int] | None = None,
        tls: bool = True,
        sftp: bool = True,
        smtp: bool = True,
    ) -> None:
        if not data_dir.is_dir():
            raise SbtError(f"sandbox data directory {data_dir} does not exist")
        unknown = set(ports or {}) - set(SERVER_NAMES)
        if unknown:
            raise SbtError(f"unknown server(s) in ports: {', '.join(sorted(unknown))}")
        self.data_dir = data_dir
        self._own_state_dir = state_dir is None
        self.state_dir = state_dir or Path(tempfile.mkdtemp(prefix="sbt-sandbox-"))
        self.clock = clock or SandboxClock(manifest_clock_start(data_dir))
        self.faults = faults or FaultSwitches()
        self.credentials = credentials or SandboxCredentials.generate()
        self.host = host
        self.ports = dict(ports or {})
        self.tls = tls
        self.sftp_enabled = sftp
        self.smtp_enabled = smtp
        self.mailbox = Mailbox()
        """Every message the mail server accepted; kept after :meth:`stop`."""
        self.sources = {
            name: VersionedRecords.load(name, data_dir / "http" / f"{name}.jsonl") for name in HTTP_SOURCES
        }
        self.registry: Registry | None = None
        self.ledger: BlockLedger | None = None
        self._servers: dict[str, SimulatorServer] = {}
        self._sftp: _SftpServer | None = None
        self._smtp: SandboxSmtpServer | None = None
        self._endpoints: SandboxEndpoints | None = None

    @property
    def endpoints(self) -> SandboxEndpoints:
        if self._endpoints is None:
            raise SbtError("the sandbox is not running")
        return self._endpoints

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> SandboxEndpoints:
        """Load the data, bind every port and serve; raises ``SbtError`` (nothing left running)."""
        try:
            return self._start()
        except OSError as exc:
            self.stop()
            raise SbtError(f"cannot start the sandbox: {exc}") from exc
        except BaseException:
            self.stop()
            raise

    def _start(self) -> SandboxEndpoints:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        registry = self.registry = Registry.open(self.data_dir / "registry.csv.gz", self.state_dir)
        ledger = self.ledger = BlockLedger(lambda nip: registry.get(nip) is not None)
        material = ensure_tls(self.state_dir / "tls", hosts=[self.host]) if self.tls else None
        context = material.server_context() if material else None
        auth = siasn_auth.TwoTokenAuth(self.credentials)
        creds, clock, faults = self.credentials, self.clock, self.faults
        simulators: dict[str, Simulator] = {
            "bawaslu": bawaslu.BawasluSimulator(
                clock=clock, faults=faults, records=self.sources["bawaslu"], api_key=creds.bawaslu_api_key
            ),
            "bkn_wasdal": bkn_wasdal.BknWasdalSimulator(
                clock=clock,
                faults=faults,
                records=self.sources["bkn_wasdal"],
                client_id=creds.bkn_wasdal_client_id,
                client_secret=creds.bkn_wasdal_client_secret,
            ),
            "idis": idis.IdisSimulator(clock=clock, faults=faults, records=self.sources["idis"], auth=auth),
            "imut": imut.ImutSimulator(clock=clock, faults=faults, records=self.sources["imut"], auth=auth),
            "siasn": siasn.SiasnSimulator(
                clock=clock, faults=faults, registry=registry, ledger=ledger, auth=auth
            ),
            "control": ControlSimulator(
                clock=clock,
                faults=faults,
                sources=self.sources,
                ledger=ledger,
                describe=self._public_description,
                registry=registry,
                mailbox=self.mailbox,
            ),
        }
        for name, simulator in simulators.items():
            server = SimulatorServer(
                simulator,
                name=name,
                host=self.host,
                port=self.ports.get(name, 0),
                ssl_context=None if name == "control" else context,
            )
            self._servers[name] = server
            simulator.base_url = server.url
        sftp_endpoint = self._start_sftp() if self.sftp_enabled else None
        smtp_endpoint = self._start_smtp(context) if self.smtp_enabled else None
        for server in self._servers.values():
            server.start()
        url = {name: server.url for name, server in self._servers.items()}
        self._endpoints = SandboxEndpoints(
            control_url=url["control"],
            bawaslu_url=url["bawaslu"] + bawaslu.REGISTER_PATH,
            bkn_wasdal_url=url["bkn_wasdal"] + bkn_wasdal.RECORDS_PATH,
            bkn_wasdal_token_url=url["bkn_wasdal"] + bkn_wasdal.TOKEN_PATH,
            idis_url=url["idis"] + idis.RECORDS_PATH,
            idis_token_url=url["idis"] + siasn_auth.GATEWAY_TOKEN_PATH,
            idis_sso_token_url=url["idis"] + siasn_auth.SSO_TOKEN_PATH,
            imut_url=url["imut"] + imut.RECORDS_PATH,
            imut_token_url=url["imut"] + siasn_auth.GATEWAY_TOKEN_PATH,
            imut_sso_token_url=url["imut"] + siasn_auth.SSO_TOKEN_PATH,
            siasn_base_url=url["siasn"] + siasn.BASE_PATH,
            siasn_token_url=url["siasn"] + siasn_auth.GATEWAY_TOKEN_PATH,
            siasn_sso_token_url=url["siasn"] + siasn_auth.SSO_TOKEN_PATH,
            ca_bundle=material.ca_bundle if material else None,
            sftp=sftp_endpoint,
            smtp=smtp_endpoint,
        )
        return self._endpoints

    def _start_sftp(self) -> SftpEndpoint:
        try:
            from sbt_sync.sandbox.sftp_server import SandboxSftpServer
        except ImportError as exc:
            raise SbtError(f"the sandbox SFTP server is not available ({exc}); start with --no-sftp") from exc
        server: _SftpServer = SandboxSftpServer(
            data_dir=self.data_dir,
            clock=self.clock,
            faults=self.faults,
            state_dir=self.state_dir,  # the server keeps its keys in state_dir/sftp
            host=self.host,
            port=self.ports.get("sftp", 0),
        )
        server.start()
        self._sftp = server
        return SftpEndpoint(
            host=self.host,
            port=server.port,
            username=server.username,
            client_key_path=server.client_key_path,
            known_hosts_path=server.known_hosts_path,
            host_key_fingerprint=server.host_key_fingerprint,
        )

    def _start_smtp(self, context: ssl.SSLContext | None) -> SmtpEndpoint:
        server = self._smtp = SandboxSmtpServer(
            username=self.credentials.smtp_username,
            password=self.credentials.smtp_password,
            tls_context=context,
            mailbox=self.mailbox,
            host=self.host,
            port=self.ports.get("smtp", 0),
        )
        server.start()
        return SmtpEndpoint(host=self.host, port=server.port, starttls=server.starttls)

    def stop(self) -> None:
        """Stop every server that runs (idempotent); removes a state directory this object made."""
        # In parallel: each server only notices the stop at its next poll.
        stoppers = [
            threading.Thread(target=self._stop_server, args=(name, server), name=f"stop-{name}")
            for name, server in self._servers.items()
        ]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()
        self._servers = {}
        if self._sftp is not None:
            self._sftp.stop()
            self._sftp = None
        if self._smtp is not None:
            self._smtp.stop()
            self._smtp = None
        if self.registry is not None:
            self.registry.close()
            self.registry = None
        self._endpoints = None
        if self._own_state_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    @staticmethod
    def _stop_server(name: str, server: SimulatorServer) -> None:
        try:
            server.stop()
        except OSError:
            log.warning("sandbox %s did not stop cleanly", name, exc_info=True)

    def _public_description(self) -> dict[str, Any]:
        return self.describe(secrets=False)

    def describe(self, *, secrets: bool = True) -> dict[str, Any]:
        """Every endpoint (and, with ``secrets``, every credential) as the JSON ``up`` prints."""
        info = describe_sandbox(
            self.endpoints,
            self.credentials if secrets else None,
            data_dir=self.data_dir,
            state_dir=self.state_dir,
            pid=os.getpid(),
        )
        info["clock"] = {"now": self.clock.now().isoformat(), "frozen": self.clock.frozen}
        return info
