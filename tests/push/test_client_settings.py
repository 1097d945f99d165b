"""One SIASN client, one set of settings: the daemon's push (the ``sync/siasn_flags`` asset through the
Dagster resources) and ``sbt-sync push run`` both give up on a silent SIASN after ``push.timeout_seconds``
and retry it exactly as :data:`sbt_sync.ingest.connections.SIASN_RETRY` says, against a real loopback
HTTP server whose push endpoint stalls (tokens are answered at once)."""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from assets.sync import siasn_flags
from sbt_sync.cli import app
from sbt_sync.db.engine import Database
from sbt_sync.db.models import OutboxEntry
from sbt_sync.ingest import connections
from sbt_sync.resources import ConnectorsResource, DatabaseResource, SbtSettingsResource
from sbt_sync.settings import DATABASE_URL_ENV, load_settings
from tests.conftest import REPO_ROOT
from tests.enforce.rows import nip
from tests.push.helpers import queue_blocks

pytestmark = pytest.mark.integration

TIMEOUT = 0.5
"""``push.timeout_seconds`` of these tests: far below the stall, far below the default of 30 s."""
STALL = 20.0
"""How long the push endpoint stays silent (released at teardown)."""
SECRETS = {
    "SBT_SIASN_CONSUMER_KEY": "key",
    "SBT_SIASN_CONSUMER_SECRET": "secret",
    "SBT_SIASN_USERNAME": "operator",
    "SBT_SIASN_PASSWORD": "password",
}


class StallingSiasn:
    """SIASN's token endpoints answering at once and a ``blokir``/``buka`` that never answers in time;
    each push attempt is recorded as ``(Idempotency-Key, arrival on the monotonic clock)``."""

    def __init__(self) -> None:
        self.attempts: list[tuple[str, float]] = []
        self.release = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                if self.path.endswith("/token"):
                    self._json(200, {"access_token": "t-" + self.path, "expires_in": 3600})
                    return
                owner.attempts.append((self.headers.get("Idempotency-Key", ""), time.monotonic()))
                owner.release.wait(STALL)
                with contextlib.suppress(OSError):  # the client hung up long ago
                    self._json(503, {"message": "too late"})

            def do_GET(self) -> None:
                self._json(404, {"message": "Data tidak ditemukan"})

            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def tries_of(self, key: str) -> list[float]:
        return [at for k, at in self.attempts if k == key]


@pytest.fixture
def stalling_siasn() -> Iterator[StallingSiasn]:
    server = StallingSiasn()
    yield server
    server.close()


@pytest.fixture
def config_path(stalling_siasn: StallingSiasn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = yaml.safe_load((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"))
    config["siasn"].update(
        base_url=f"{stalling_siasn.base}/apisiasn/1.0",
        gateway_token_url=f"{stalling_siasn.base}/oauth2/token",
        sso_token_url=f"{stalling_siasn.base}/sso/token",
        ca_bundle=None,
    )
    # One try per row in a run: what is left to see is the client's own retries of a silent SIASN.
    config["push"].update(timeout_seconds=TIMEOUT, max_attempts=1)
    path = tmp_path / "sbt.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    return path


def _key(database: Database, number: str) -> str:
    with database.session() as session:
        row = session.scalars(select(OutboxEntry).where(OutboxEntry.nip == number)).one()
        assert row.state == "pending" and "ReadTimeout" in (row.last_error or ""), row.last_error
        return row.idempotency_key


def _assert_timed_out_per_policy(tries: list[float]) -> None:
    """As many tries as SIASN_RETRY allows, each given up after about ``push.timeout_seconds``."""
    policy = connections.SIASN_RETRY
    assert len(tries) == policy.max_attempts
    gaps = [later - earlier for earlier, later in itertools.pairwise(tries)]
    for attempt, gap in enumerate(gaps, start=1):
        backoff = min(policy.max_backoff, policy.initial_backoff * policy.multiplier ** (attempt - 1))
        assert TIMEOUT * 0.9 <= gap <= TIMEOUT + backoff + 2.0, gaps


@pytest.mark.xdist_group("serial")  # bounds a wait in seconds: runs alone (tests/support/scheduling.py)
def test_the_daemon_and_push_run_share_the_timeout_and_retries_of_one_siasn_client(
    migrated_database: Database, stalling_siasn: StallingSiasn, config_path: Path
) -> None:
    settings = SbtSettingsResource(config_path=str(config_path))
    url = migrated_database.engine.url.render_as_string(hide_password=False)
    resources = {
        "settings": settings,
        "db": DatabaseResource(settings=settings, url=url),
        "connectors": ConnectorsResource(settings=settings),
    }

    # The daemon's path: the asset, with the resources the definitions give it.
    queue_blocks(migrated_database, [nip(1)])
    started = time.monotonic()
    result = dg.materialize([siasn_flags], resources=resources)
    daemon_seconds = time.monotonic() - started
    assert result.success
    metadata = result.asset_materializations_for_node("sync__siasn_flags")[0].metadata
    assert metadata["deferred"] == dg.IntMetadataValue(1)
    daemon_tries = stalling_siasn.tries_of(_key(migrated_database, nip(1)))
    _assert_timed_out_per_policy(daemon_tries)
    assert daemon_seconds < STALL  # the timeout ended the wait, not the server

    # `sbt-sync push run`: another row (the first one now waits out its deferral).
    queue_blocks(migrated_database, [nip(2)])
    env = {**SECRETS, "SBT_CONFIG": str(config_path), DATABASE_URL_ENV: url}
    started = time.monotonic()
    cli = CliRunner().invoke(app, ["push", "run", "--json"], env=env)
    cli_seconds = time.monotonic() - started
    assert cli.exit_code == 0, (cli.output, cli.exception)
    assert json.loads(cli.stdout)["deferred"] == 1
    cli_tries = stalling_siasn.tries_of(_key(migrated_database, nip(2)))
    _assert_timed_out_per_policy(cli_tries)
    assert cli_seconds < STALL
    assert len(stalling_siasn.attempts) == len(daemon_tries) + len(cli_tries)


def test_every_siasn_client_is_built_from_the_same_settings(config_path: Path) -> None:
    """The resource the assets and sensors use and the push client of the CLI, demo and benchmarks."""
    settings = load_settings(config_path)
    from sbt_sync.push import siasn_push_client

    resource = ConnectorsResource(settings=SbtSettingsResource(config_path=str(config_path)))
    for client in (resource.siasn(), siasn_push_client(settings), connections.siasn_client(settings)):
        try:
            http = client._http
            assert http.settings == connections.siasn_http_settings(settings)
            assert http.settings.read_timeout == TIMEOUT
            assert http.retry == connections.SIASN_RETRY
        finally:
            client.close()
