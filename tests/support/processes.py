"""Processes the tests start, found and stopped through /proc (Linux, where CI runs).

A test session marks its environment with ``SBT_TEST_SESSION``; every process a test starts inherits
it, including grandchildren that leave their parent's process group or session (Dagster's code server
started by ``dagster-daemon``, multiprocessing's resource tracker). At the end of the session any live
process still carrying the mark is a process a test failed to stop: the suite reports it, stops it and
fails (tests/conftest.py).

Under pytest-xdist each worker marks what its tests start with a token of its own,
``<session token>.<worker id>`` (:func:`worker_token`), and checks only those: the other worker and its
children are not its leftovers. The controller, which runs no test, checks for anything still carrying
the session's token or a worker's once the workers are done (a crashed worker's children), never
counting the workers themselves (:func:`left_by_workers`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

MARK = "SBT_TEST_SESSION"
PROC = Path("/proc")


@dataclass(frozen=True)
class Process:
    pid: int
    parent: int
    state: str
    command: str


def _read(pid: int) -> Process | None:
    try:
        stat = (PROC / str(pid) / "stat").read_text(encoding="utf-8", errors="replace")
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()  # the name in parentheses may hold spaces
    command = raw.replace(b"\0", b" ").decode("utf-8", errors="replace").strip()
    return Process(pid, int(fields[1]), fields[0], command)


def running() -> list[Process]:
    """Every process visible now, zombies excluded."""
    found = []
    for entry in PROC.iterdir() if PROC.is_dir() else ():
        if entry.name.isdigit() and (process := _read(int(entry.name))) and process.state != "Z":
            found.append(process)
    return found


def descendants(pid: int) -> list[Process]:
    """The live processes below ``pid`` (children, their children, ...), nearest first."""
    by_parent: dict[int, list[Process]] = {}
    for process in running():
        by_parent.setdefault(process.parent, []).append(process)
    found, frontier = [], [pid]
    while frontier:
        children = [c for parent in frontier for c in by_parent.get(parent, [])]
        found.extend(children)
        frontier = [c.pid for c in children]
    return found


_SERVES_THIS_PROCESS = (
    "from multiprocessing.forkserver import main",
    "from multiprocessing.resource_tracker import main",
)
"""Helpers multiprocessing starts for this process (the fork server the validation worker is forked
from, and its resource tracker): they exit when this process does, so they are not left behind."""


def _serves_this_process(process: Process) -> bool:
    return process.parent == os.getpid() and any(sign in process.command for sign in _SERVES_THIS_PROCESS)


def worker_token(session_token: str, worker: str) -> str:
    """The mark of the processes the tests of xdist worker ``worker`` (``gw0``, ...) start."""
    return f"{session_token}.{worker}"


def _mark_of(pid: int) -> str | None:
    """The value of ``MARK`` in the environment ``pid`` was started with; None when it has none."""
    try:
        environment = (PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return None
    prefix = f"{MARK}=".encode()
    for entry in environment.split(b"\0"):
        if entry.startswith(prefix):
            return entry[len(prefix) :].decode("utf-8", errors="replace")
    return None


def marked(token: str) -> list[Process]:
    """Live processes other than this one (and the multiprocessing helpers serving it) whose
    environment carries ``MARK=token``."""
    return [
        process
        for process in running()
        if process.pid != os.getpid() and not _serves_this_process(process) and _mark_of(process.pid) == token
    ]


def left_by_workers(token: str) -> list[Process]:
    """For the xdist controller, whose session token is ``token``: live processes carrying ``token`` or
    a worker's token (:func:`worker_token`), other than this process, the workers themselves (this
    process's children started with ``token``, as execnet starts them) and the multiprocessing helpers
    serving a worker (they exit with it)."""
    live = [process for process in running() if process.pid != os.getpid()]
    marks = {process.pid: _mark_of(process.pid) for process in live}
    workers = {p.pid for p in live if p.parent == os.getpid() and marks[p.pid] == token}

    def serves_a_worker(process: Process) -> bool:
        return process.parent in workers and any(sign in process.command for sign in _SERVES_THIS_PROCESS)

    return [
        process
        for process in live
        if (mark := marks[process.pid]) is not None
        and (mark == token or mark.startswith(f"{token}."))
        and process.pid not in workers
        and not serves_a_worker(process)
    ]


def _alive(pid: int) -> bool:
    process = _read(pid)
    return process is not None and process.state != "Z"


def stop(pids: list[int], *, grace: float = 10.0) -> list[int]:
    """SIGTERM each, SIGKILL what is still alive after ``grace`` seconds; the pids that needed SIGKILL."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.1)
    killed = []
    for pid in pids:
        if _alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            except ProcessLookupError:
                pass
    return killed
