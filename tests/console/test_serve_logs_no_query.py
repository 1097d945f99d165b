"""The console as production runs it (``sbt-sync steward serve``, uvicorn) writes no request line to
its log: a URL carrying a NIP (an old script's ``GET /api/v1/cases?q=<NIP>``, a hand-made link, a
404) never reaches the console's own log, nor does a searched term posted in a body (DESIGN.md: logs
never hold NIPs in clear). A real server on a loopback port, both backends."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.console.conftest import NIP_A, World

pytestmark = pytest.mark.integration

SBT_SYNC = Path(sys.executable).parent / "sbt-sync"
READY_WITHIN_SECONDS = 60.0
"""How long the server may take to migrate and start listening before the test gives up."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_serving(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "the console exited before serving"
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise AssertionError("the console did not start serving")


def test_the_served_console_logs_no_request_line_and_no_nip(
    world: World, project_dir: Path, tmp_path: Path
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "console.log"
    env = {**os.environ, "SBT_DATABASE_URL": world.database.url}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(SBT_SYNC), "--config", str(project_dir / "sbt.yaml"), "steward", "serve", "--port",
             str(port)],
            stdout=out, stderr=subprocess.STDOUT, cwd=project_dir, env=env,
        )  # fmt: skip
        try:
            _wait_until_serving(base, process)
            token = {"Authorization": f"Bearer {world.tokens['steward']}"}
            answers = [
                requests.get(f"{base}/api/v1/cases", params={"q": NIP_A}, headers=token, timeout=10),
                requests.get(f"{base}/api/v1/registry/search?nip={NIP_A}", headers=token, timeout=10),
                requests.get(f"{base}/cases", params={"q": NIP_A}, timeout=10, allow_redirects=False),
                requests.get(f"{base}/no-such-page", params={"nip": NIP_A}, timeout=10),
                requests.post(f"{base}/api/v1/cases/search", json={"q": NIP_A}, headers=token, timeout=10),
            ]
            assert [a.status_code for a in answers] == [400, 400, 303, 404, 200]
        finally:
            process.terminate()
            process.wait(timeout=30)
    written = log.read_text(errors="replace")
    assert "steward console on" in written  # the log was captured
    assert NIP_A not in written and NIP_A[-6:] not in written
    assert "GET /" not in written and "POST /" not in written  # no access log lines at all
