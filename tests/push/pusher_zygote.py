"""The pusher kill test's process factory (:mod:`tests.support.zygote`): each spawned child is a
complete pusher process (its own database engine, HTTP session and threads, all created after the
fork) that the test kills with SIGKILL. Usage: ``python -m tests.push.pusher_zygote CONFIG.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connectors.http import HttpClient, HttpSettings, SiasnCredentials
from connectors.retry import RetryPolicy
from connectors.siasn import SiasnClient, SiasnConfig
from sbt_sync.db.engine import Database
from sbt_sync.push import Pusher, PushOptions
from tests.support.zygote import serve


def _child(config: dict[str, Any]) -> int:
    database = Database(config["database_url"])
    http = HttpClient(
        HttpSettings(connect_timeout=2, read_timeout=5, ca_bundle=Path(config["ca_bundle"])),
        retry=RetryPolicy(max_attempts=4, initial_backoff=0.001, max_backoff=0.01, max_retry_after=5),
    )
    client = SiasnClient(
        SiasnConfig(config["base_url"], SiasnCredentials(**config["credentials"])), http=http
    )
    options = PushOptions(concurrency=4, rate_per_second=500, initial_backoff=0.005, max_backoff=0.05)
    report = Pusher(database, client, options).run(recover=True)
    return 0 if report.aborted is None and report.parked == 0 else 3


if __name__ == "__main__":
    serve(_child)
