"""Fixtures of the notification tests: a real SMTP server on loopback and the settings to reach it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sbt_sync.notify import NotifyOptions, SmtpConfig
from sbt_sync.settings import NotifySettings
from tests.notify.mailserver import PASSWORD, USERNAME, MailServer

FAST = NotifyOptions(
    max_attempts=4, tries_per_run=2, initial_backoff=0.001, max_backoff=0.01, defer_seconds=0
)


@pytest.fixture
def mail_server(tmp_path: Path) -> Iterator[MailServer]:
    server = MailServer(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def notify_settings(mail_server: MailServer) -> NotifySettings:
    return NotifySettings(host="127.0.0.1", port=mail_server.port, ca_bundle=str(mail_server.cert))


@pytest.fixture
def smtp_config(mail_server: MailServer) -> SmtpConfig:
    return SmtpConfig(
        host="127.0.0.1",
        port=mail_server.port,
        starttls=True,
        username=USERNAME,
        password=PASSWORD,
        ca_bundle=mail_server.cert,
        timeout=5,
    )
