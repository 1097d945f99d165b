"""The notifier kill test's process factory (:mod:`tests.support.zygote`): each spawned child is a
complete notifier process (its own database engine and SMTP connection, made after the fork) that the
test may kill with SIGKILL. Usage: ``python -m tests.notify.notifier_zygote CONFIG.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sbt_sync.db.engine import Database
from sbt_sync.notify import Notifier, NotifyOptions, SmtpConfig, SmtpSender
from sbt_sync.settings import NotifySettings
from tests.support.zygote import serve


def _child(config: dict[str, Any]) -> int:
    database = Database(config["database_url"])
    smtp = SmtpConfig(
        host="127.0.0.1",
        port=config["port"],
        username=config["username"],
        password=config["password"],
        ca_bundle=Path(config["ca_bundle"]),
        timeout=5,
    )
    options = NotifyOptions(
        max_attempts=50, tries_per_run=5, initial_backoff=0.005, max_backoff=0.05, batch=3
    )
    with SmtpSender(smtp) as sender:
        report = Notifier(database, sender, NotifySettings(host="127.0.0.1"), options).run(recover=True)
    return 0 if report.aborted is None and report.parked == 0 else 3


if __name__ == "__main__":
    serve(_child)
