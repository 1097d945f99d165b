"""A pusher process factory for the kill test: imports once, then forks one pusher per ``spawn``.

Importing sbt-sync takes seconds on a busy machine; forking a process that already imported it makes
twenty-odd restarts affordable. Each forked child is a complete pusher process (its own database
engine, HTTP session and threads, all created after the fork) that the test kills with SIGKILL.

Protocol on stdin/stdout, one line each: ``spawn`` -> ``<pid>``; ``wait <pid>`` -> ``<exit status>``
(negative: killed by that signal); ``quit``. Usage: ``python -m tests.push.pusher_zygote CONFIG.json``.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from connectors.http import HttpClient, HttpSettings, SiasnCredentials
from connectors.retry import RetryPolicy
from connectors.siasn import SiasnClient, SiasnConfig
from sbt_sync.db.engine import Database
from sbt_sync.push import Pusher, PushOptions


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


def main() -> None:
    config = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    for line in sys.stdin:
        command = line.split()
        if not command or command[0] == "quit":
            break
        if command[0] == "spawn":
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    code = _child(config)
                except BaseException:
                    traceback.print_exc()
                finally:
                    os._exit(code)
            print(pid, flush=True)
        elif command[0] == "wait":
            _, status = os.waitpid(int(command[1]), 0)
            print(os.waitstatus_to_exitcode(status), flush=True)


if __name__ == "__main__":
    main()
