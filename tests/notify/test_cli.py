"""``sbt-sync pic``, ``letters`` and ``notify`` from the command line, against a loopback SMTP server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from sbt_sync.cli import app
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry
from sbt_sync.settings import DATABASE_URL_ENV
from tests.notify.helpers import queue_letters
from tests.notify.mailserver import PASSWORD, USERNAME, MailServer

pytestmark = pytest.mark.integration


@pytest.fixture
def cli_env(migrated_database: Database, mail_server: MailServer, tmp_path: Path) -> dict[str, str]:
    config = {
        "enforcement": {"peringatan_dini_days_before": 3},
        "notify": {
            "host": "127.0.0.1",
            "port": mail_server.port,
            "username_env": "SBT_SMTP_USERNAME",
            "password_env": "SBT_SMTP_PASSWORD",
            "ca_bundle": str(mail_server.cert),
        },
    }
    path = tmp_path / "sbt.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return {
        "SBT_CONFIG": str(path),
        DATABASE_URL_ENV: migrated_database.engine.url.render_as_string(hide_password=False),
        "SBT_SMTP_USERNAME": USERNAME,
        "SBT_SMTP_PASSWORD": PASSWORD,
    }


def run(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.stdout


def test_admins_manage_pic_addresses_and_every_change_is_audited(
    migrated_database: Database, cli_env: dict[str, str]
) -> None:
    assert "added" in run(cli_env, "pic", "add", "A1", "PIC@Kab-A1.go.id")
    assert "already there" in run(cli_env, "pic", "add", "A1", "pic@kab-a1.go.id")
    listed = json.loads(run(cli_env, "pic", "list", "--json"))
    assert [(p["instansi_id"], p["email"]) for p in listed] == [("A1", "pic@kab-a1.go.id")]
    assert "removed" in run(cli_env, "pic", "remove", "A1", "pic@kab-a1.go.id")
    with migrated_database.session() as session:
        actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["pic.add", "pic.remove"]


def test_dry_run_prints_what_would_be_sent_and_sends_nothing_then_send_delivers(
    migrated_database: Database, mail_server: MailServer, cli_env: dict[str, str]
) -> None:
    run(cli_env, "pic", "add", "A1", "pic@kab-a1.go.id")
    queue_letters(migrated_database, 2)

    dry = run(cli_env, "notify", "send", "--dry-run")
    assert "dry run: 2 letter(s) would be sent (nothing sent)" in dry
    assert "0001/B-AK.02.02/SD/F/2026 peringatan to A1 (1 case(s)) -> pic@kab-a1.go.id" in dry
    assert mail_server.handler.received == []

    sent = json.loads(run(cli_env, "notify", "send", "--json"))
    status = json.loads(run(cli_env, "notify", "status", "--json"))
    assert (sent["sent"], status["outbox"]["sent"]) == (2, 2)
    assert len(mail_server.handler.counts()) == 2
    assert "0 letter(s) would be sent" in run(cli_env, "notify", "send", "--dry-run")
