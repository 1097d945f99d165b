"""Whether a run's worker process is gone (:func:`sbt_sync.runs.worker_gone`), with real processes."""

from __future__ import annotations

import subprocess
import sys
import time

from sbt_sync.runs import worker_gone
from tests.support.kills import running


def test_a_running_worker_is_alive_and_an_ended_one_is_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert not worker_gone(child.pid, started_by=time.time())
        child.kill()
        while running(child.pid):  # until the kill has taken effect (a fixed sleep may be too short)
            time.sleep(0.01)
        assert worker_gone(child.pid, started_by=time.time())  # killed, not yet reaped: a zombie
        child.wait()
        assert worker_gone(child.pid, started_by=time.time())  # reaped: no such process
    finally:
        child.kill()
        child.wait()


def test_a_process_id_taken_by_a_later_process_is_not_the_worker() -> None:
    """The dead worker's id may belong to a process started after the worker was (a reused id, or a
    restart: then every process is newer than the worker)."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert not worker_gone(child.pid, started_by=time.time())
        assert worker_gone(child.pid, started_by=time.time() - 600)  # the worker ran ten minutes ago
        assert worker_gone(child.pid, started_by=time.time() - 10 * 365 * 86400)  # before the boot
    finally:
        child.kill()
        child.wait()
