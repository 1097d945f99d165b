"""A tiny sandbox data directory and a running in-process :class:`Sandbox` over TLS, for connector tests."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.http import ApiKeyAuth, ClientCredentials, HttpClient, HttpSettings, SiasnCredentials
from connectors.retry import RetryPolicy
from sbt_sync.sandbox.clock import SandboxClock
from sbt_sync.sandbox.faults import FaultSwitches
from sbt_sync.sandbox.runtime import Sandbox
from tests.connectors.helpers_http import FAST_RETRY

T0 = datetime(2024, 11, 27, 8, 0, tzinfo=UTC)
NIPS = ("198001012005011001", "198502022010012002", "199003032015031003")
UNKNOWN_NIP = "197001011990031999"
RECORDS_PER_SOURCE = 5


def _write_registry(path: Path) -> None:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["id", "nipBaru", "nama", "tglLahir", "jenisKelamin", "instansiIndukId"])
    for number, nip in enumerate(NIPS):
        writer.writerow(
            [f"{number:032x}", nip, f"ASN {number}", nip[6:8] + "-" + nip[4:6] + "-" + nip[:4], "M", "A1"]
        )
    path.write_bytes(gzip.compress(text.getvalue().encode(), mtime=0))


def _record(source: str, number: int) -> tuple[str, dict[str, object]]:
    if source == "bawaslu":
        key = f"REG-{number:03d}"
        return key, {"nomor_register": key, "status": "diteruskan", "terlapor": []}
    key = f"{source}-{number:03d}"
    return key, {"id": key, "nip": NIPS[number % len(NIPS)]}


def build_data_dir(root: Path) -> Path:
    """Registry of :data:`NIPS` and :data:`RECORDS_PER_SOURCE` records per HTTP source, all before T0."""
    (root / "http").mkdir(parents=True)
    (root / "sftp").mkdir()
    _write_registry(root / "registry.csv.gz")
    for source in ("bawaslu", "bkn_wasdal", "idis"):
        lines = []
        for number in range(RECORDS_PER_SOURCE):
            key, record = _record(source, number)
            available = T0 - timedelta(hours=RECORDS_PER_SOURCE - number)
            lines.append(json.dumps({"available_at": available.isoformat(), "key": key, "record": record}))
        (root / "http" / f"{source}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """The HTTP simulators over TLS (no SFTP), clock frozen at :data:`T0`, faults off."""
    data_dir = build_data_dir(tmp_path / "data")
    clock = SandboxClock(T0, frozen=True)
    with Sandbox(
        data_dir, state_dir=tmp_path / "state", clock=clock, faults=FaultSwitches(seed=3), sftp=False
    ) as box:
        yield box


def http_client(box: Sandbox, retry: RetryPolicy = FAST_RETRY) -> HttpClient:
    """A client trusting the sandbox CA, with millisecond backoffs."""
    settings = HttpSettings(connect_timeout=2, read_timeout=5, ca_bundle=box.endpoints.ca_bundle)
    return HttpClient(settings, retry=retry)


def bawaslu_auth(box: Sandbox) -> ApiKeyAuth:
    return ApiKeyAuth(box.credentials.bawaslu_api_key)


def wasdal_credentials(box: Sandbox) -> ClientCredentials:
    creds = box.credentials
    return ClientCredentials(
        box.endpoints.bkn_wasdal_token_url, creds.bkn_wasdal_client_id, creds.bkn_wasdal_client_secret
    )


def siasn_credentials(box: Sandbox, *, idis: bool = False, password: str | None = None) -> SiasnCredentials:
    creds, ends = box.credentials, box.endpoints
    return SiasnCredentials(
        gateway_token_url=ends.idis_token_url if idis else ends.siasn_token_url,
        sso_token_url=ends.idis_sso_token_url if idis else ends.siasn_sso_token_url,
        consumer_key=creds.siasn_consumer_key,
        consumer_secret=creds.siasn_consumer_secret,
        username=creds.siasn_username,
        password=password or creds.siasn_password,
        sso_client_id=creds.siasn_sso_client_id,
    )
