"""``sbt-sync doctor`` against the real sandbox: a healthy deployment passes, and a wrong SIASN secret
or an SFTP server whose host key is not pinned is reported, each in one line."""

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sbt_sync.cli import app
from tests.daemon.conftest import DaemonProject

pytestmark = pytest.mark.integration


def _doctor(config: Path, *args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(app, ["--config", str(config), "doctor", *args])
    return result.exit_code, result.stdout.splitlines()


def _failures(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("FAIL")]


def test_a_healthy_sandbox_deployment_passes_every_check(daemon_project: DaemonProject) -> None:
    sftp = daemon_project.sandbox.endpoints.sftp
    assert sftp is not None
    code, lines = _doctor(daemon_project.config_path)
    assert code == 0, lines
    assert [line.split(": ")[0] for line in lines[:-1]] == [
        "OK   database",
        *[f"OK   source {s}" for s in ("bawaslu", "bkn_wasdal", "idis", "imut")],
        f"OK   sftp host key 127.0.0.1:{sftp.port}",
        *[f"OK   source {s}" for s in ("kasn", "kemendagri", "kemenpanrb")],
        "OK   siasn",
        "OK   letter templates",
    ]
    assert lines[-1] == "all checks passed"


def test_a_wrong_siasn_secret_is_one_line_naming_siasn(
    daemon_project: DaemonProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SBT_SIASN_CONSUMER_SECRET", "not-the-secret")
    code, lines = _doctor(daemon_project.config_path)
    assert code == 1
    siasn = [line for line in _failures(lines) if line.startswith("FAIL siasn:")]
    assert len(siasn) == 1
    assert "SIASN gateway" in siasn[0] and "not-the-secret" not in "\n".join(lines)
    # The I'DIS and I-MUT feeds log in with the same SIASN credentials, so they fail too; nothing else.
    failed = {line.split(":")[0] for line in _failures(lines)}
    assert failed == {"FAIL siasn", "FAIL source idis", "FAIL source imut"}
    assert lines[-1] == "3 problem(s)"


def test_an_unpinned_sftp_host_key_is_one_line_and_its_sources_are_not_tried(
    daemon_project: DaemonProject, tmp_path: Path
) -> None:
    endpoints = daemon_project.sandbox.endpoints
    assert endpoints.sftp is not None
    other = tmp_path / "known_hosts"
    # A known_hosts that pins the same key for another server only.
    pinned = endpoints.sftp.known_hosts_path.read_text(encoding="utf-8").split(maxsplit=1)[1]
    other.write_text(f"[sftp.elsewhere.example]:22 {pinned}", encoding="utf-8")
    config = yaml.safe_load(daemon_project.config_path.read_text(encoding="utf-8"))
    for source in config["sources"].values():
        if source["kind"] == "sftp":
            source["known_hosts"] = str(other)
    daemon_project.config_path.write_text(yaml.safe_dump(config), encoding="utf-8")

    code, lines = _doctor(daemon_project.config_path)
    assert code == 1
    (failure,) = _failures(lines)
    assert failure.startswith(f"FAIL sftp host key 127.0.0.1:{endpoints.sftp.port}: no host key pinned")
    assert "sources kasn, kemendagri, kemenpanrb not tried" in failure

    code, out = _doctor(daemon_project.config_path, "--json")
    report = json.loads("\n".join(out))
    assert code == 1 and report["ok"] is False
    assert [f["check"] for f in report["findings"] if not f["ok"]] == [
        f"sftp host key 127.0.0.1:{endpoints.sftp.port}"
    ]
