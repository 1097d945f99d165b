"""A notifier process factory for the kill test: imports once, then forks one notifier per ``spawn``.

Each forked child is a complete notifier process (its own database engine and SMTP connection, made
after the fork) that the test may kill with SIGKILL. Protocol on stdin/stdout, one line each:
``spawn`` -> ``<pid>``; ``wait <pid>`` -> ``<exit status>`` (negative: killed by that signal); ``quit``.
Usage: ``python -m tests.notify.notifier_zygote CONFIG.json``.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from sbt_sync.db.engine import Database
from sbt_sync.notify import Notifier, NotifyOptions, SmtpConfig, SmtpSender
from sbt_sync.settings import NotifySettings


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
