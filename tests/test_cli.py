"""The sbt-sync command line: help everywhere, exit codes 0/1/2, one-line errors, JSON output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from alembic.script import ScriptDirectory
from typer.testing import CliRunner

from sbt_sync.cli import app
from sbt_sync.db import migrate
from sbt_sync.db.engine import Database

SBT_SYNC = str(Path(sys.executable).parent / "sbt-sync")


def _run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SBT_SYNC, *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _command_paths(command: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        yield from _command_paths(sub, (*prefix, name))


def test_every_command_has_help() -> None:
    root = typer.main.get_command(app)
    paths = list(_command_paths(root))
    assert ("db", "upgrade") in paths and ("demo",) in paths and ("config", "check") in paths
    runner = CliRunner()
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output


def test_bad_usage_exits_2() -> None:
    result = _run("db", "no-such-command")
    assert result.returncode == 2
    assert "No such command" in result.stderr


def test_failure_is_one_line_without_traceback_and_exits_1(tmp_path: Path) -> None:
    result = _run("--config", str(tmp_path / "missing.yaml"), "db", "status")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'missing.yaml'}: configuration file not found (set SBT_CONFIG or --config)"
    ]
    assert "Traceback" not in result.stderr


def test_debug_flag_shows_the_traceback(tmp_path: Path) -> None:
    result = _run("--debug", "--config", str(tmp_path / "missing.yaml"), "db", "status")
    assert result.returncode == 1
    assert "Traceback" in result.stderr


def test_bad_config_key_fails_at_start_naming_the_key(project_dir: Path) -> None:
    config = project_dir / "sbt.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "\npush_mode: fast\n", encoding="utf-8")
    result = _run("db", "status", env={"SBT_CONFIG": str(config)})
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {config}: push_mode: unknown key"


def test_config_check_reports_a_missing_secret_in_one_line(project_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SBT_")}
    result = subprocess.run(
        [SBT_SYNC, "config", "check"], cwd=project_dir, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "error: sbt.yaml: sources.bawaslu.auth.key_env: environment variable SBT_BAWASLU_API_KEY"
    )


def test_db_upgrade_and_status_as_json(project_dir: Path) -> None:
    env = {"SBT_CONFIG": str(project_dir / "sbt.yaml")}
    upgraded = _run("db", "upgrade", "--json", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    head = ScriptDirectory.from_config(migrate.alembic_config(Database("sqlite://"))).get_current_head()
    assert json.loads(upgraded.stdout)["to"] == head
    again = _run("db", "upgrade", "--json", env=env)
    assert json.loads(again.stdout) == {**json.loads(upgraded.stdout), "from": head}
    status = json.loads(_run("db", "status", "--json", env=env).stdout)
    assert status["current"] is True
    assert status["row_counts"]["outbox"] == 0
    assert (project_dir / "var" / "sbt.db").exists()


EXACT_RECAP = (
    *("recommended", "sanctioned", "not_followed_up", "left_service", "not_proven", "rejected", "annulled"),
    "held",
    *("blocked", "blocked_nips", "unblocked"),
)


@pytest.mark.integration
def test_demo_runs_the_whole_chain_and_ends_with_siasn_equal_to_the_ground_truth(project_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SBT_", "DAGSTER_"))}
    result = subprocess.run(
        [SBT_SYNC, "demo", "--scale", "small", "--seed", "3", "--json"],
        cwd=project_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert [c["success"] for c in summary["cycles"]] == [True, True, True]
    assert set(summary["sources"]) == {
        "bawaslu", "bkn_wasdal", "idis", "imut", "kasn", "kemendagri", "kemenpanrb",
    }  # fmt: skip
    quarantined = sum(s.get("quarantined", 0) for s in summary["sources"].values())
    assert quarantined == summary["quarantine_expected_by_ground_truth"] > 0
    assert summary["registry_rows"] == 5000
    # the golden dataset, SIASN's final flags and the recap against the scenario's ground truth
    assert summary["quality"]["conflicts_missed"] == 0
    assert summary["quality"]["identity_precision"] >= 0.99
    imut = summary["quality"]["imut"]  # I-MUT findings against the planted truth
    assert (imut["precision"], imut["recall"]) == (1.0, 1.0) and imut["expected"] > 0
    assert summary["siasn"]["equals_ground_truth"] is True and summary["siasn"]["blocked"] > 0
    truth = json.loads((Path(summary["sandbox_data"]) / "truth" / "recap.json").read_text(encoding="utf-8"))
    ours = summary["recap"]["events"]
    for event, expected in truth["events"].items():
        assert {c: ours[event][c] for c in EXACT_RECAP} == {c: expected[c] for c in EXACT_RECAP}, event
        # "Reported" differs slightly: a Bawaslu entry the truth rejects may be the only row naming a
        # register, and a register a recommendation names may not be published yet. At most 2%.
        assert abs(expected["reported"] - ours[event]["reported"]) <= max(1, expected["reported"] // 50)
        assert ours[event]["blocks_by_kanreg"] == expected["blocks_by_kanreg"], event
        assert ours[event]["unblocks_by_kanreg"] == expected["unblocks_by_kanreg"], event
    # issue 18: the control steps' letters reach the PPKs' PIC addresses at the sandbox's mail server,
    # each Message-ID once and every one the outbox sent; the last cycle run again sends nothing new
    letters = summary["letters"]
    assert letters["sent"] > 0 and letters["ppks"] > 0 and summary["pic_addresses_added"] > 0
    assert letters["server_messages"] == letters["server_message_ids"] == letters["sent"]
    assert (letters["duplicates"], letters["unmatched"]) == (0, 0) and letters["each_sent_once"] is True
    assert letters["server_ppks"] == letters["ppks"]
    assert letters["server_by_step"] == letters["by_step"] and sum(letters["by_step"].values()) > 0
    assert letters["outbox"]["sent"] == letters["sent"]
    assert {s: n for s, n in letters["outbox"].items() if s != "sent"} == {
        "held": 0, "pending": 0, "sending": 0, "parked": 0, "given_up": 0,
    }  # fmt: skip
    assert sum(c["mail_sent"] for c in summary["cycles"]) == letters["server_messages"]
    repeat = summary["repeat_cycle"]
    assert repeat["success"] is True and repeat["clock"] == summary["cycles"][-1]["clock"]
    assert repeat["mail_sent"] == letters["repeat_sent"] == letters["repeat_new_letters"] == 0
    assert (project_dir / "var" / "sbt.db").exists()
    assert (project_dir / "var" / "dagster" / "history" / "runs.db").exists()
    # each stage is said as it ends, between the lines that announce each cycle
    lines = result.stderr.splitlines()
    cycles = [i for i, line in enumerate(lines) if line.startswith("cycle at sandbox clock")]
    assert len(cycles) == 3
    first = lines[cycles[0] + 1 : cycles[1]]
    landed = [line for line in first if line.startswith("  raw/bawaslu + validated/bawaslu: done in ")]
    assert len(landed) == 1 and "fetched" in landed[0] and "validated" in landed[0], first
    assert any(line.startswith("  golden/cases: done in ") for line in first), first


def test_a_progress_bar_leaves_a_pipe_alone(capsys: pytest.CaptureFixture[str]) -> None:
    """Long commands draw a bar with rows/s on a terminal only: a pipe or a log file gets no bar."""
    from sbt_sync.cli.common import progress_bar

    with progress_bar("rows", 10) as advance_to:
        for done in range(1, 11):
            advance_to(done)
    assert capsys.readouterr().err == ""
