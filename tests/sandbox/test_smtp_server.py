"""The sandbox's mail server: STARTTLS with the sandbox CA, the sandbox's login, and a mailbox that
keeps every message, read in-process and over the control server; ``sbt.yaml`` wired to it."""

from __future__ import annotations

import smtplib
import ssl
from pathlib import Path
from typing import Any

import pytest
import yaml

from sbt_sync.notify.admin import smtp_config
from sbt_sync.notify.message import build_message
from sbt_sync.notify.smtp import MailConfigError, SmtpConfig, SmtpSender
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.sandbox.wiring import sandbox_config, sandbox_secrets, scoped_environment
from sbt_sync.settings import load_settings
from tests.sandbox.helpers_http import T0, control, data_dir, sandbox

pytestmark = pytest.mark.integration
__all__ = ["data_dir", "sandbox"]  # fixtures, used by name

SENDER = "netralitas@bkn.go.id"
TO = "pic.kabupaten-bogor@instansi.sandbox.test"


def _message(message_id: str) -> bytes:
    return build_message(
        message_id=message_id,
        from_name="BKN",
        from_address=SENDER,
        recipients=[TO],
        subject="Peringatan tindak lanjut rekomendasi netralitas ASN - 0001/X/2026 - Kabupaten Bogor",
        number="0001/X/2026",
        step="peringatan",
        instansi_name="Pemerintah Kabupaten Bogor",
        case_count=1,
        created_at=T0,
        pdf=b"%PDF-1.4\n%%EOF\n",
    )


def _config(sandbox: Sandbox, **changes: Any) -> SmtpConfig:
    smtp = sandbox.endpoints.smtp
    assert smtp is not None
    given: dict[str, Any] = {
        "host": smtp.host,
        "port": smtp.port,
        "username": sandbox.credentials.smtp_username,
        "password": sandbox.credentials.smtp_password,
        "ca_bundle": sandbox.endpoints.ca_bundle,
        "timeout": 10,
    }
    return SmtpConfig(**(given | changes))


def test_the_mail_server_takes_starttls_and_the_sandbox_login_and_keeps_each_message(
    sandbox: Sandbox,
) -> None:
    with SmtpSender(_config(sandbox)) as sender:
        answer = sender.send(sender=SENDER, recipients=[TO], data=_message("<m1@bkn.go.id>"))
        sender.send(sender=SENDER, recipients=[TO], data=_message("<m2@bkn.go.id>"))
    assert answer.accepted == (TO,) and answer.answer.startswith("250")
    kept = sandbox.mailbox.messages()
    assert [m.message_id for m in kept] == ["<m1@bkn.go.id>", "<m2@bkn.go.id>"]
    assert kept[0].recipients == (TO,) and kept[0].mail_from == SENDER
    assert kept[0].subject.startswith("Peringatan tindak lanjut")
    assert kept[0].content.rstrip() == _message("<m1@bkn.go.id>").rstrip()
    # the same view over the control server, without the bytes
    mail = control(sandbox, "GET", "mail")
    assert (mail["messages"], mail["message_ids"], mail["duplicates"]) == (2, 2, {})
    assert mail["received"][1]["message_id"] == "<m2@bkn.go.id>"
    assert mail["received"][1]["recipients"] == [TO] and mail["received"][1]["size"] > 0
    assert control(sandbox, "GET", "status")["mail"] == {"messages": 2}


def test_the_mail_server_counts_a_message_sent_again_as_a_duplicate(sandbox: Sandbox) -> None:
    with SmtpSender(_config(sandbox)) as sender:
        for _ in range(2):
            sender.send(sender=SENDER, recipients=[TO], data=_message("<again@bkn.go.id>"))
    assert sandbox.mailbox.counts() == {"<again@bkn.go.id>": 2}
    assert control(sandbox, "GET", "mail")["duplicates"] == {"<again@bkn.go.id>": 2}


@pytest.mark.parametrize(
    "changes",
    [
        {"password": "not-the-password"},  # a wrong login: 535, our configuration's fault
        {"ca_bundle": None},  # the system's CAs do not know the sandbox CA
    ],
)
def test_the_mail_server_refuses_a_wrong_login_or_an_untrusting_client(
    sandbox: Sandbox, changes: dict[str, Any]
) -> None:
    with SmtpSender(_config(sandbox, **changes)) as sender, pytest.raises(MailConfigError):
        sender.send(sender=SENDER, recipients=[TO], data=_message("<no@bkn.go.id>"))
    assert sandbox.mailbox.messages() == []


def test_the_mail_server_wants_starttls_before_login_or_mail(sandbox: Sandbox) -> None:
    smtp = sandbox.endpoints.smtp
    assert smtp is not None
    with smtplib.SMTP(smtp.host, smtp.port, timeout=10) as conn:
        conn.ehlo()
        assert conn.has_extn("starttls")
        code, _ = conn.mail(SENDER)
        assert code == 530  # "Must issue a STARTTLS command first"
        conn.starttls(context=ssl.create_default_context(cafile=str(sandbox.endpoints.ca_bundle)))
        conn.ehlo()
        code, _ = conn.mail(SENDER)
        assert code == 530  # authentication required
    assert sandbox.mailbox.messages() == []


def test_the_wired_configuration_reaches_the_mail_server_with_the_sandbox_secrets(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    config = sandbox_config({"notify": {"from_address": SENDER}}, sandbox.endpoints)
    assert config["notify"]["host"] == "127.0.0.1" and config["notify"]["starttls"] is True
    path = tmp_path / "sbt.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    env = sandbox_secrets(config, sandbox.credentials, sandbox.endpoints)
    assert env == {
        "SBT_SMTP_USERNAME": sandbox.credentials.smtp_username,
        "SBT_SMTP_PASSWORD": sandbox.credentials.smtp_password,
    }
    with scoped_environment(env):
        settings = load_settings(path)
        with SmtpSender(smtp_config(settings)) as sender:
            sender.send(sender=SENDER, recipients=[TO], data=_message("<wired@bkn.go.id>"))
    assert [m.message_id for m in sandbox.mailbox.messages()] == ["<wired@bkn.go.id>"]


def test_up_describes_the_mail_server_and_its_login_only_with_secrets(sandbox: Sandbox) -> None:
    described = sandbox.describe()["smtp"]
    smtp = sandbox.endpoints.smtp
    assert smtp is not None
    assert described == {
        "host": smtp.host,
        "port": smtp.port,
        "starttls": True,
        "username": sandbox.credentials.smtp_username,
        "password": sandbox.credentials.smtp_password,
    }
    assert "password" not in control(sandbox, "GET", "status")["smtp"]


def test_a_sandbox_without_tls_serves_mail_without_starttls_but_still_wants_the_login(
    data_dir: Path, tmp_path: Path
) -> None:
    with Sandbox(data_dir, state_dir=tmp_path / "plain", tls=False, sftp=False) as plain:
        smtp = plain.endpoints.smtp
        assert smtp is not None and smtp.starttls is False
        with SmtpSender(_config(plain, starttls=False, ca_bundle=None)) as sender:
            sender.send(sender=SENDER, recipients=[TO], data=_message("<plain@bkn.go.id>"))
        with (
            SmtpSender(_config(plain, starttls=False, password="wrong")) as sender,
            pytest.raises(MailConfigError),
        ):
            sender.send(sender=SENDER, recipients=[TO], data=_message("<refused@bkn.go.id>"))
    assert [m.message_id for m in plain.mailbox.messages()] == ["<plain@bkn.go.id>"]
