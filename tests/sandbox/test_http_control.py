"""The control server and the `sbt-sync sandbox status|clock|faults` commands that drive it."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sbt_sync.cli.sandbox import app
from sbt_sync.sandbox.http.records import parse_instant
from sbt_sync.sandbox.runtime import Sandbox
from tests.sandbox.helpers_http import T0, control, data_dir, sandbox

pytestmark = pytest.mark.integration
__all__ = ["data_dir", "sandbox"]  # fixtures, used by name

runner = CliRunner()


def _cli(sandbox: Sandbox, *args: str) -> str:
    result = runner.invoke(app, [*args, "--control", sandbox.endpoints.control_url])
    assert result.exit_code == 0, result.output
    return result.output


def test_control_clock_sets_advances_and_freezes(sandbox: Sandbox) -> None:
    assert control(sandbox, "GET", "clock") == {"now": T0.isoformat(), "frozen": True}
    moved = control(sandbox, "POST", "clock", {"now": "2024-12-01T07:00:00+07:00"})
    assert parse_instant(moved["now"]) == parse_instant("2024-12-01T00:00:00+00:00")
    advanced = control(sandbox, "POST", "clock", {"advance_days": 2, "advance_hours": 1})
    assert parse_instant(advanced["now"]) == parse_instant("2024-12-03T01:00:00+00:00")
    assert control(sandbox, "POST", "clock", {"frozen": False})["frozen"] is False
    assert sandbox.clock.frozen is False


def test_control_status_reports_counts_without_secrets(sandbox: Sandbox) -> None:
    status = control(sandbox, "GET", "status")
    assert status["records"]["bawaslu"] == {"versions": 7, "keys": 6, "visible": 5}
    assert status["siasn"]["base_url"] == sandbox.endpoints.siasn_base_url
    text = json.dumps(status)
    assert sandbox.credentials.siasn_password not in text
    assert sandbox.credentials.bawaslu_api_key not in text


def test_control_injects_a_record_at_a_given_instant(sandbox: Sandbox) -> None:
    later = (T0 + timedelta(hours=1)).isoformat()
    added = control(
        sandbox, "POST", "bawaslu/records", {"record": {"nomor_register": "REG-100"}, "available_at": later}
    )
    assert added["key"] == "REG-100"
    assert control(sandbox, "GET", "status")["records"]["bawaslu"]["visible"] == 5  # not yet
    control(sandbox, "POST", "clock", {"advance_hours": 1})
    assert control(sandbox, "GET", "status")["records"]["bawaslu"]["visible"] == 6


def test_cli_clock_commands_move_the_running_clock(sandbox: Sandbox) -> None:
    assert _cli(sandbox, "clock", "show").strip() == f"{T0.isoformat()} (frozen)"
    _cli(sandbox, "clock", "advance", "--days", "3")
    assert sandbox.clock.now() == T0 + timedelta(days=3)
    _cli(sandbox, "clock", "set", "2025-01-01T00:00:00+07:00", "--running")
    assert sandbox.clock.frozen is False
    assert sandbox.clock.now() >= parse_instant("2025-01-01T00:00:00+07:00")


def test_cli_faults_set_show_and_reset(sandbox: Sandbox) -> None:
    _cli(sandbox, "faults", "set", "siasn.error_5xx_rate=0.25", "*.latency_ms=5", "idis.token_ttl_seconds=30")
    faults = sandbox.faults
    assert faults.get("siasn").error_5xx_rate == 0.25
    assert faults.get("bawaslu").latency_ms == 5
    assert faults.get("idis").token_ttl_seconds == 30
    shown = json.loads(_cli(sandbox, "faults", "show", "--json"))
    assert shown["siasn"]["error_5xx_rate"] == 0.25
    _cli(sandbox, "faults", "reset")
    assert faults.get("siasn").error_5xx_rate == 0.0


def test_cli_status_prints_clock_and_counts(sandbox: Sandbox) -> None:
    output = _cli(sandbox, "status")
    assert "(frozen)" in output
    assert "bawaslu    5 visible of 6 keys" in output
    assert "mail       0 messages received" in output


@pytest.mark.parametrize(
    "args",
    [
        ["faults", "set", "siasn.no_such_switch=1"],
        ["faults", "set", "kpu.latency_ms=1"],
        ["faults", "set", "siasn.error_5xx_rate=1.5"],
        ["clock", "set", "2024-12-01T00:00:00"],
    ],
)
def test_cli_rejects_bad_values_as_usage_errors(sandbox: Sandbox, args: list[str]) -> None:
    result = runner.invoke(app, [*args, "--control", sandbox.endpoints.control_url])
    assert result.exit_code == 2, result.output


def test_cli_without_a_running_sandbox_says_so(tmp_path: Path) -> None:
    result = runner.invoke(app, ["status", "--state-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "no running sandbox" in str(result.exception)
