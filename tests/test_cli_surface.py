"""The CLI at its edges: secrets in a database URL, a malformed URL, out-of-range dates, unknown ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_cli import _run

SECRET = "hunter2xyz"


@pytest.mark.parametrize("command", [("config", "show"), ("db", "status")])
def test_a_password_in_the_database_urls_query_is_never_printed(
    project_dir: Path, command: tuple[str, ...]
) -> None:
    # libpq (and psycopg2) take the password as a query parameter too: postgresql://u@h/db?password=...
    url = f"postgresql+psycopg2://sbt@127.0.0.1:1/sbt?password={SECRET}"
    result = _run(*command, env={"SBT_CONFIG": str(project_dir / "sbt.yaml"), "SBT_DATABASE_URL": url})
    assert SECRET not in result.stdout + result.stderr
    assert "127.0.0.1" in result.stdout + result.stderr


def test_a_malformed_database_url_is_a_config_error_naming_the_key(project_dir: Path) -> None:
    config = project_dir / "sbt.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("url: sqlite:///var/sbt.db", 'url: "postgresql://sbt@db:notaport/sbt"'))
    checked = _run("config", "check", "--no-secrets", env={"SBT_CONFIG": str(config)})
    assert checked.returncode == 1, checked.stdout
    assert "database.url" in checked.stderr


@pytest.mark.parametrize("since", ["9999-12-31T23:59:59-23:59", "0001-01-01"])
def test_an_out_of_range_since_is_a_one_line_error_naming_the_option(project_dir: Path, since: str) -> None:
    env = {"SBT_CONFIG": str(project_dir / "sbt.yaml")}
    assert _run("db", "upgrade", env=env).returncode == 0
    result = _run("pdp", "access", "--since", since, env=env)
    assert result.returncode == 1
    assert "--since" in result.stderr and "SELECT" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_retrying_an_outbox_row_that_does_not_exist_fails(project_dir: Path) -> None:
    env = {"SBT_CONFIG": str(project_dir / "sbt.yaml")}
    assert _run("db", "upgrade", env=env).returncode == 0
    result = _run("push", "retry", "999", env=env)  # as `push withdraw 999`: "no outbox row 999"
    assert result.returncode == 1 and "999" in result.stderr, (result.returncode, result.stdout)


def test_a_day_that_has_not_come_records_no_steps_and_no_letters(project_dir: Path) -> None:
    """A year typed wrong (2062 for 2026) would record peringatan, teguran and pemblokiran, and draft
    letters dated then: refused, naming the option. Looking ahead with letters' --dry-run is allowed."""
    from datetime import UTC, datetime, timedelta

    env = {"SBT_CONFIG": str(project_dir / "sbt.yaml")}
    assert _run("db", "upgrade", env=env).returncode == 0
    ahead = (datetime.now(UTC) + timedelta(days=400)).date().isoformat()
    for command in (("enforce", "run"), ("letters", "draft")):
        result = _run(*command, "--as-of", ahead, env=env)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "--as-of" in result.stderr and "after today" in result.stderr, result.stderr
    assert _run("letters", "draft", "--as-of", ahead, "--dry-run", env=env).returncode == 0
    assert _run("enforce", "run", "--as-of", "2025-01-20", env=env).returncode == 0


def test_an_impossible_as_of_names_the_option(project_dir: Path) -> None:
    env = {"SBT_CONFIG": str(project_dir / "sbt.yaml")}
    assert _run("db", "upgrade", env=env).returncode == 0
    result = _run("report", "compliance", "--as-of", "2026-13-40", env=env)
    assert result.returncode == 2 and "--as-of" in result.stderr, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "typed",
    ["PILKADA2024|rec:R-1/KASN/2024|198001012005011001", "19800101 200501 1 001", "198001012005011001"],
)
def test_an_error_repeating_what_was_typed_masks_the_nip_in_it(project_dir: Path, typed: str) -> None:
    """stderr ends up in cron mail, CI logs and journald: a case key or NIP the user typed comes back
    masked (UU 27/2022), and the line still says what was not found."""
    env = {"SBT_CONFIG": str(project_dir / "sbt.yaml")}
    assert _run("db", "upgrade", env=env).returncode == 0
    for command in (("sanctions", "list", typed), ("sanctions", "list", typed, "--json")):
        result = _run(*command, env=env)
        assert result.returncode == 1 and result.stdout == "", (result.returncode, result.stdout)
        assert "no case" in result.stderr and "1001" in result.stderr, result.stderr
        assert "19800101" not in result.stderr, result.stderr
