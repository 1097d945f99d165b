"""A process factory for kill tests: a process that imports sbt-sync once, then forks one worker per
``spawn``, and the test's handle on it.

Importing sbt-sync takes seconds on a busy machine; forking a process that already imported it makes
twenty-odd restarts affordable. Each forked child is a complete worker process (its own database
engine, connections and threads, all created after the fork) that the test may kill with SIGKILL.

Protocol on stdin/stdout, one line each: ``spawn`` -> ``<pid>``; ``wait <pid>`` -> ``<exit status>``
(negative: killed by that signal); ``quit`` or end of input ends the factory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


def serve(child: Callable[[dict[str, Any]], int]) -> None:
    """The factory's loop (``python -m <module> CONFIG.json``): each spawned child runs ``child`` with
    the JSON config and exits with its code (1 after an exception, printed)."""
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
                    code = child(config)
                except BaseException:
                    traceback.print_exc()
                finally:
                    os._exit(code)
            print(pid, flush=True)
        elif command[0] == "wait":
            _, status = os.waitpid(int(command[1]), 0)
            print(os.waitstatus_to_exitcode(status), flush=True)


class Zygote:
    """The test's side: starts ``module`` (which calls :func:`serve`) with ``config``."""

    def __init__(self, module: str, config: Path) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", module, str(config)],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        )

    def _ask(self, line: str) -> str:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(line + "\n")
        self._proc.stdin.flush()
        return self._proc.stdout.readline().strip()

    def spawn(self) -> int:
        return int(self._ask("spawn"))

    def wait(self, pid: int) -> int:
        return int(self._ask(f"wait {pid}"))

    def close(self) -> None:
        if self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()  # end of input: the factory exits
            self._proc.wait(timeout=10)
