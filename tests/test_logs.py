"""The CLI's log lines: text or JSON, NIPs masked in any logger's message and in tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT

NIP = "198001012005011001"
SCRIPT = f"""
import logging
from sbt_sync.logs import LogFormat, configure_logging
import sys
configure_logging(debug=False, log_format=LogFormat(sys.argv[1]))
logging.getLogger("urllib3.connectionpool").info("GET /pns/data-utama/{NIP} 200")
try:
    raise ValueError("no row for {NIP}")
except ValueError:
    logging.getLogger("sbt_sync.push.pusher").exception("parked a change")
logging.getLogger("sbt_sync.x").debug("not shown at INFO")
"""


def _run(log_format: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, log_format],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stderr


def test_json_lines_carry_time_level_logger_message_and_a_masked_traceback() -> None:
    lines = [json.loads(line) for line in _run("json").splitlines()]
    assert [(e["level"], e["logger"]) for e in lines] == [
        ("INFO", "urllib3.connectionpool"),
        ("ERROR", "sbt_sync.push.pusher"),
    ]
    assert lines[0]["message"].startswith("GET /pns/data-utama/") and NIP not in lines[0]["message"]
    assert lines[0]["time"].endswith("+00:00")
    assert "ValueError: no row for" in lines[1]["exception"]
    assert NIP not in json.dumps(lines)


def test_text_lines_are_masked_too() -> None:
    text = _run("text")
    assert "INFO urllib3.connectionpool: GET /pns/data-utama/" in text
    assert "parked a change" in text and "not shown" not in text
    assert NIP not in text


def test_the_cli_takes_the_format_from_its_option_or_the_environment() -> None:
    cli = str(Path(sys.executable).parent / "sbt-sync")

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [cli, *args],
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=REPO_ROOT,
        )

    refused = run("--log-format", "yaml", "db", "status")
    assert refused.returncode == 2 and "'yaml' is not one of 'text', 'json'" in refused.stderr
    from_env = run("db", "status", env={"SBT_LOG_FORMAT": "yaml"})
    assert from_env.returncode == 2 and "SBT_LOG_FORMAT" in from_env.stderr
    assert run("config", "show", env={"SBT_LOG_FORMAT": "json"}).returncode == 0
