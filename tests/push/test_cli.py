"""``sbt-sync enforce run`` and ``sbt-sync push ...`` end to end, against the SIASN simulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from sbt_sync.cli import app
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry, OutboxEntry, PushApproval
from sbt_sync.errors import SbtError
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.sandbox.wiring import sandbox_config, sandbox_secrets
from sbt_sync.settings import DATABASE_URL_ENV
from tests.conftest import REPO_ROOT
from tests.enforce.rows import add_case, nip

pytestmark = pytest.mark.integration


@pytest.fixture
def cli_env(migrated_database: Database, siasn_sandbox: Sandbox, tmp_path: Path) -> dict[str, str]:
    base = yaml.safe_load((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"))
    base["enforcement"]["guard"] = {"max_changes": 2, "max_percent": 10}
    config = sandbox_config(base, siasn_sandbox.endpoints)
    path = tmp_path / "sbt.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    env = sandbox_secrets(config, siasn_sandbox.credentials, siasn_sandbox.endpoints)
    env[DATABASE_URL_ENV] = migrated_database.engine.url.render_as_string(hide_password=False)
    env["SBT_CONFIG"] = str(path)
    return env


def invoke(env: dict[str, str], *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, (args, result.output, result.exception)
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_enforce_guard_approve_and_push_from_the_command_line(
    migrated_database: Database, siasn_sandbox: Sandbox, cli_env: dict[str, str]
) -> None:
    with migrated_database.session() as session:
        for i in range(1, 4):
            add_case(session, f"CASE-{i}", nip(i))
    enforced = invoke(cli_env, "enforce", "run", "--as-of", "2025-01-20", "--json")
    assert enforced["blocked_nips"] == 3 and enforced["approval_id"] == 1  # 3 changes > max_changes 2
    dry = invoke(cli_env, "push", "run", "--dry-run", "--json")
    assert [r["state"] for r in dry["rows"]] == ["awaiting_approval"] * 3
    assert invoke(cli_env, "push", "run", "--json")["sent"] == 0
    status = invoke(cli_env, "push", "status", "--json")
    assert [a["id"] for a in status["approvals_waiting"]] == [1]
    approved = invoke(cli_env, "push", "approve", "--reason", "first election run", "--json")
    assert approved["released"] == 3
    with migrated_database.session() as session:  # the decision names each row it released
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "push.approve")).one()
        held = sorted(session.scalars(select(OutboxEntry.id)))
    assert entry.after == {"status": "approved", "rows": 3, "ids": held}
    pushed = invoke(cli_env, "push", "run", "--json")
    assert pushed["acked"] == 3
    read = invoke(cli_env, "push", "readback", "--json")
    assert read["in_sync"] == 3 and read["drift"] == 0


def test_push_errors_are_one_line(cli_env: dict[str, str]) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "sbt-sync"), "push", "approve", "--reason", "x"],
        env={**os.environ, **cli_env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "error: no push waits for approval"


def test_a_parked_row_stalls_the_feed_until_a_steward_withdraws_it(
    migrated_database: Database, siasn_sandbox: Sandbox, cli_env: dict[str, str]
) -> None:
    """SIASN refuses a block for a NIP it does not know (parked for good); the pull feed waits on it
    until a steward withdraws it (audited), and a later block of another NIP then shows."""
    from sqlalchemy import select

    from sbt_sync.db.models import AuditEntry, OutboxEntry
    from sbt_sync.steward.feed import block_change_feed
    from tests.push.conftest import UNREGISTERED

    with migrated_database.session() as session:
        add_case(session, "CASE-X", UNREGISTERED)
        add_case(session, "CASE-1", nip(1))
    invoke(cli_env, "enforce", "run", "--as-of", "2025-01-20", "--json")
    pushed = invoke(cli_env, "push", "run", "--json")
    assert (pushed["acked"], pushed["parked"]) == (1, 1)
    with migrated_database.session() as session:
        parked = session.scalars(select(OutboxEntry).where(OutboxEntry.state == "parked")).one()
        acked = session.scalars(select(OutboxEntry).where(OutboxEntry.state == "acked")).one()
    stalled = block_change_feed(migrated_database, after=0)
    assert stalled.waiting_at == parked.id
    assert [i.seq for i in stalled.items] == [i for i in [acked.id] if i < parked.id]
    later = block_change_feed(migrated_database, after=stalled.next_cursor)
    assert later.items == [] and later.waiting_at == parked.id  # it would wait forever
    refused = CliRunner().invoke(app, ["push", "withdraw", str(acked.id), "--reason", "x"], env=cli_env)
    assert refused.exit_code != 0 and "not parked" in str(refused.exception)
    done = invoke(cli_env, "push", "withdraw", str(parked.id), "--reason", "NIP tidak ada di SIASN", "--json")
    assert done == {"rows": 1}
    page = block_change_feed(migrated_database, after=0)
    assert page.waiting_at is None
    assert [(i.seq, i.superseded) for i in page.items] == sorted([(parked.id, True), (acked.id, False)])
    assert invoke(cli_env, "push", "run", "--json")["sent"] == 0  # withdrawn: never sent
    with migrated_database.session() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "push.withdraw")).one()
        assert audit.reason == "NIP tidak ada di SIASN" and audit.object_id == str(parked.id)
        assert UNREGISTERED not in json.dumps(audit.after)  # masked


def test_a_guard_approval_with_no_change_left_cannot_be_approved_and_is_closed_by_rejecting_it(
    migrated_database: Database, cli_env: dict[str, str]
) -> None:
    """The guard stopped a run, then a later run overtook every change it held (or SIASN already had
    them): approving it would release nothing, so the CLI refuses in words and writes no audit entry
    claiming a release; ``push status`` says there is nothing to approve and how to close it; rejecting
    closes it, recorded, withdrawing no row."""
    with migrated_database.session() as session:
        approval = PushApproval(run_id="r", change_count=5, blocked_before=0, percent=100.0, summary={})
        session.add(approval)
        session.flush()
        approval_id = approval.id
    result = CliRunner().invoke(app, ["push", "approve", str(approval_id), "--reason", "ok"], env=cli_env)
    refused = result.exception  # the entry point prints it as one line (test_push_errors_are_one_line)
    assert isinstance(refused, SbtError) and refused.code == "approval_empty", result.output
    assert "holds no change waiting for approval any more (a later run replaced them" in str(refused)
    assert str(refused).endswith("nothing to approve; reject it to close it")
    with migrated_database.session() as session:
        assert session.get(PushApproval, approval_id).status == "waiting"  # type: ignore[union-attr]
        assert not session.scalars(select(AuditEntry).where(AuditEntry.action.like("push.%"))).all()
    status = CliRunner().invoke(app, ["push", "status"], env=cli_env)
    assert f"approval {approval_id}" in status.stdout and "nothing to approve" in status.stdout
    assert f"sbt-sync push approve {approval_id}" not in status.stdout
    assert f"sbt-sync push reject {approval_id}" in status.stdout
    closed = CliRunner().invoke(app, ["push", "reject", str(approval_id), "--reason", "kosong"], env=cli_env)
    assert closed.exit_code == 0, closed.output
    with migrated_database.session() as session:
        assert session.get(PushApproval, approval_id).status == "rejected"  # type: ignore[union-attr]
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "push.reject")).one()
        assert entry.reason == "kosong" and entry.after == {"status": "rejected", "rows": 0, "ids": []}
