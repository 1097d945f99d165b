"""`sbt-sync sandbox up` as a real process: one JSON line when ready, serving, clean stop on SIGTERM."""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.sandbox.helpers_http import T0, write_data_dir

pytestmark = pytest.mark.integration

SBT_SYNC = Path(sys.executable).parent / "sbt-sync"
READY_TIMEOUT_SECONDS = 30


def _read_line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], READY_TIMEOUT_SECONDS)
    assert ready, "sandbox up printed nothing in time"
    return process.stdout.readline()


@pytest.fixture
def running_up(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any], Path]]:
    data = write_data_dir(tmp_path / "data")
    state_dir = tmp_path / "state"
    process = subprocess.Popen(
        [
            str(SBT_SYNC),
            "sandbox",
            "up",
            "--json",
            "--data",
            str(data),
            "--state-dir",
            str(state_dir),
            "--frozen",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,
    )
    try:
        line = _read_line(process)
        yield process, json.loads(line), state_dir
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_up_json_prints_one_line_with_every_endpoint_and_stops_on_sigterm(
    running_up: tuple[subprocess.Popen[str], dict[str, Any], Path],
) -> None:
    process, info, state_dir = running_up
    assert info["clock"] == {"now": T0.isoformat(), "frozen": True}  # manifest clock.start
    for source, fields in {
        "bawaslu": ["url", "api_key"],
        "bkn_wasdal": ["url", "token_url", "client_id", "client_secret"],
        "idis": ["url", "token_url", "sso_token_url", "consumer_key", "username", "password"],
        "siasn": ["base_url", "token_url", "sso_token_url", "consumer_key", "consumer_secret", "password"],
    }.items():
        assert all(info[source][field] for field in fields), source
    assert info["control_url"].startswith("http://127.0.0.1:")
    assert info["tls"]["enabled"] is True
    assert info["sftp"]["host_key_fingerprint"].startswith("SHA256:")
    assert Path(info["sftp"]["client_key_path"]).exists()
    assert json.loads((state_dir / "state.json").read_text()) == info

    with requests.Session() as session:
        session.trust_env = False
        response = session.get(
            info["bawaslu"]["url"],
            headers={"X-API-Key": info["bawaslu"]["api_key"]},
            verify=info["tls"]["ca_bundle"],
            timeout=5,
        )
    assert response.status_code == 200
    assert response.json()["page"]["total_items"] == 5

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    assert process.stdout is not None
    assert process.stdout.read() == ""  # nothing after the one JSON line
    assert not (state_dir / "state.json").exists()


def test_up_refuses_a_missing_data_directory(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(SBT_SYNC), "sandbox", "up", "--data", str(tmp_path / "nope"), "--no-sftp"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: sandbox data directory")
