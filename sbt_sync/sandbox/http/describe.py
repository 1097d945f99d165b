"""Where a running sandbox answers and with which credentials, as values and as ``up``'s JSON line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sbt_sync.sandbox.http.bawaslu import API_KEY_HEADER
from sbt_sync.sandbox.http.credentials import SandboxCredentials


@dataclass(frozen=True, slots=True)
class SftpEndpoint:
    host: str
    port: int
    username: str
    client_key_path: Path
    known_hosts_path: Path
    host_key_fingerprint: str


@dataclass(frozen=True, slots=True)
class SmtpEndpoint:
    """The sandbox's mail server; STARTTLS with the sandbox CA when ``starttls``, a login always."""

    host: str
    port: int
    starttls: bool


@dataclass(frozen=True, slots=True)
class SandboxEndpoints:
    """Where each simulator answers. A source's ``*_url`` is its listing endpoint."""

    control_url: str
    bawaslu_url: str
    bkn_wasdal_url: str
    bkn_wasdal_token_url: str
    idis_url: str
    idis_token_url: str
    idis_sso_token_url: str
    imut_url: str
    imut_token_url: str
    imut_sso_token_url: str
    siasn_base_url: str
    siasn_token_url: str
    siasn_sso_token_url: str
    ca_bundle: Path | None
    sftp: SftpEndpoint | None
    smtp: SmtpEndpoint | None = None


def describe_sandbox(
    endpoints: SandboxEndpoints,
    credentials: SandboxCredentials | None,
    *,
    data_dir: Path,
    state_dir: Path,
    pid: int,
) -> dict[str, Any]:
    """The sandbox as one JSON-ready object; credentials are left out when ``credentials`` is None."""
    # Without credentials (the control server's status) every secret field is simply absent.
    bawaslu_secrets: dict[str, str] = {}
    wasdal_secrets: dict[str, str] = {}
    two_token: dict[str, str] = {}
    smtp_secrets: dict[str, str] = {}
    if credentials is not None:
        smtp_secrets = {"username": credentials.smtp_username, "password": credentials.smtp_password}
        bawaslu_secrets = {"api_key": credentials.bawaslu_api_key}
        wasdal_secrets = {
            "client_id": credentials.bkn_wasdal_client_id,
            "client_secret": credentials.bkn_wasdal_client_secret,
        }
        two_token = {
            "consumer_key": credentials.siasn_consumer_key,
            "consumer_secret": credentials.siasn_consumer_secret,
            "sso_client_id": credentials.siasn_sso_client_id,
            "username": credentials.siasn_username,
            "password": credentials.siasn_password,
        }
    sftp, smtp = endpoints.sftp, endpoints.smtp
    return {
        "pid": pid,
        "data_dir": str(data_dir.resolve()),
        "state_dir": str(state_dir.resolve()),
        "control_url": endpoints.control_url,
        "tls": {
            "enabled": endpoints.ca_bundle is not None,
            "ca_bundle": str(endpoints.ca_bundle.resolve()) if endpoints.ca_bundle else None,
        },
        "bawaslu": {"url": endpoints.bawaslu_url, "api_key_header": API_KEY_HEADER, **bawaslu_secrets},
        "bkn_wasdal": {
            "url": endpoints.bkn_wasdal_url,
            "token_url": endpoints.bkn_wasdal_token_url,
            **wasdal_secrets,
        },
        "idis": {
            "url": endpoints.idis_url,
            "token_url": endpoints.idis_token_url,
            "sso_token_url": endpoints.idis_sso_token_url,
            **two_token,
        },
        "imut": {
            "url": endpoints.imut_url,
            "token_url": endpoints.imut_token_url,
            "sso_token_url": endpoints.imut_sso_token_url,
            **two_token,
        },
        "siasn": {
            "base_url": endpoints.siasn_base_url,
            "token_url": endpoints.siasn_token_url,
            "sso_token_url": endpoints.siasn_sso_token_url,
            **two_token,
        },
        "sftp": None
        if sftp is None
        else {
            "host": sftp.host,
            "port": sftp.port,
            "username": sftp.username,
            "client_key_path": str(sftp.client_key_path.resolve()),
            "known_hosts_path": str(sftp.known_hosts_path.resolve()),
            "host_key_fingerprint": sftp.host_key_fingerprint,
        },
        "smtp": None
        if smtp is None
        else {"host": smtp.host, "port": smtp.port, "starttls": smtp.starttls, **smtp_secrets},
    }


def summary_lines(info: dict[str, Any]) -> list[str]:
    """A human-readable summary of :func:`describe_sandbox`'s output, without any secret."""
    lines = [
        "sandbox running (Ctrl-C to stop)",
        f"  control     {info['control_url']}",
        f"  bawaslu     {info['bawaslu']['url']}",
        f"  bkn_wasdal  {info['bkn_wasdal']['url']}  (token {info['bkn_wasdal']['token_url']})",
        f"  idis        {info['idis']['url']}",
        f"  imut        {info['imut']['url']}",
        f"  siasn       {info['siasn']['base_url']}",
        f"              gateway token {info['siasn']['token_url']}",
        f"              SSO token     {info['siasn']['sso_token_url']}",
    ]
    if sftp := info.get("sftp"):
        lines.append(
            f"  sftp        {sftp['username']}@{sftp['host']}:{sftp['port']} ({sftp['host_key_fingerprint']})"
        )
    if smtp := info.get("smtp"):
        mode = "STARTTLS" if smtp["starttls"] else "no TLS"
        lines.append(f"  smtp        {smtp['host']}:{smtp['port']} ({mode}, login required)")
    if info["tls"]["enabled"]:
        lines.append(f"  CA bundle   {info['tls']['ca_bundle']}")
    return lines
