"""A running SIASN simulator (the real sandbox, over TLS) whose registry knows :func:`tests.enforce.rows.nip`
1..99, and helpers to build pushers and read the simulator's ledger."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.http import HttpClient, HttpSettings, SiasnCredentials
from connectors.retry import RetryPolicy
from connectors.siasn import SiasnClient, SiasnConfig
from sbt_sync.db.engine import Database
from sbt_sync.push import Pusher, PushOptions
from sbt_sync.sandbox.clock import SandboxClock
from sbt_sync.sandbox.faults import FaultSwitches
from sbt_sync.sandbox.runtime import Sandbox
from tests.enforce.rows import nip

T0 = datetime(2025, 1, 20, 1, 0, tzinfo=UTC)
REGISTERED = [nip(i) for i in range(1, 100)]
UNREGISTERED = "197001011990031999"
FAST_RETRY = RetryPolicy(max_attempts=4, initial_backoff=0.001, max_backoff=0.01, max_retry_after=5)
FAST_PUSH = PushOptions(
    concurrency=4, rate_per_second=200, max_attempts=8, initial_backoff=0.005, max_backoff=0.05
)


def _registry(path: Path) -> None:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["id", "nipBaru", "nama", "tglLahir", "jenisKelamin", "instansiIndukId"])
    for number, value in enumerate(REGISTERED):
        writer.writerow([f"{number:032x}", value, f"ASN {number}", "01-01-1980", "M", "A1"])
    path.write_bytes(gzip.compress(text.getvalue().encode(), mtime=0))


@pytest.fixture(scope="session")
def push_sandbox_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("push-sandbox")
    (root / "http").mkdir()
    (root / "sftp").mkdir()
    _registry(root / "registry.csv.gz")
    for source in ("bawaslu", "bkn_wasdal", "idis"):
        (root / "http" / f"{source}.jsonl").write_text("", encoding="utf-8")
    return root


@pytest.fixture
def siasn_sandbox(push_sandbox_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A fresh simulator (empty ledger) per test; TLS material and registry cache are reused."""
    state = push_sandbox_data.parent / "push-sandbox-state"
    clock = SandboxClock(T0, frozen=True)
    with Sandbox(
        push_sandbox_data, state_dir=state, clock=clock, faults=FaultSwitches(seed=5), sftp=False
    ) as box:
        yield box


def credentials(box: Sandbox, *, password: str | None = None) -> SiasnCredentials:
    creds, ends = box.credentials, box.endpoints
    return SiasnCredentials(
        gateway_token_url=ends.siasn_token_url,
        sso_token_url=ends.siasn_sso_token_url,
        consumer_key=creds.siasn_consumer_key,
        consumer_secret=creds.siasn_consumer_secret,
        username=creds.siasn_username,
        password=password or creds.siasn_password,
        sso_client_id=creds.siasn_sso_client_id,
    )


def siasn_client(
    box: Sandbox, *, password: str | None = None, retry: RetryPolicy = FAST_RETRY
) -> SiasnClient:
    http = HttpClient(
        HttpSettings(connect_timeout=2, read_timeout=5, ca_bundle=box.endpoints.ca_bundle), retry=retry
    )
    return SiasnClient(
        SiasnConfig(box.endpoints.siasn_base_url, credentials(box, password=password)), http=http
    )


def pusher(database: Database, box: Sandbox, options: PushOptions = FAST_PUSH, **kwargs: Any) -> Pusher:
    return Pusher(database, siasn_client(box, **kwargs), options)


def ledger(box: Sandbox) -> dict[str, Any]:
    assert box.ledger is not None
    snapshot: dict[str, Any] = box.ledger.snapshot()
    return snapshot
