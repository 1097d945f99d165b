"""Who holds a claimed outbox row, and whether that holder is gone.

A pusher or notifier that claims a row writes its token (host, process id and the process's start
time) on the row. A run that starts with ``recover`` takes over a claimed row at once only when the
token's process is gone: on this host, no process with that id and start time runs any more (a run
that was killed, a machine that restarted). A row held by a live process, or by a process on another
host whose life this host cannot see, is left to its lease: taking it over while its request is still
out would let a later change overtake it (an unblock sent before the block it follows lands).

One process may hold several claimers at once (a notifier run in a daemon thread and ``notify send`` from
another, or two test threads): a claimer that must tell its own rows from a live neighbour's takes a
token of its own for the time it runs (:func:`holding`), the process's token with a run mark. Such a
token is alive while its block runs and gone once it has ended, even though its process lives on.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

TOKEN_LENGTH = 128
RUN_MARK = "/"
"""Separates a claimer's run mark from its process's token (no host name, id or start time holds it)."""
_RUN_LENGTH = 12

_running: set[str] = set()
"""The run-marked tokens of this process's claimers that are running now."""
_running_lock = threading.Lock()


@cache
def _host() -> str:
    return socket.gethostname()[:64] or "localhost"


def _started(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (``/proc``), '' where /proc is not there,
    None when no such process runs."""
    stat = Path(f"/proc/{pid}/stat")
    if Path("/proc/self/stat").exists():
        try:
            return stat.read_text(encoding="ascii").rsplit(")", 1)[1].split()[19]
        except (OSError, IndexError):
            return None
    try:  # no /proc: the process id alone
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return ""
    return ""


def holder_token() -> str:
    """This process's token (``host:pid:start``)."""
    pid = os.getpid()
    return f"{_host()}:{pid}:{_started(pid) or ''}"[:TOKEN_LENGTH]


@contextmanager
def holding() -> Iterator[str]:
    """A token for one claimer in this process, alive (:func:`holder_alive`) while the block runs and
    gone (:func:`holder_gone`) once it ends: the process's token and a run mark."""
    process = holder_token()[: TOKEN_LENGTH - len(RUN_MARK) - _RUN_LENGTH]
    token = f"{process}{RUN_MARK}{secrets.token_hex(_RUN_LENGTH // 2)}"
    with _running_lock:
        _running.add(token)
    try:
        yield token
    finally:
        with _running_lock:
            _running.discard(token)


def holder_gone(token: str | None) -> bool:
    """True when the claimer that wrote ``token`` is known to be gone: its process (a run-marked token
    of this very process: its run has ended). A row claimed before holders were recorded (no token)
    counts as gone, as every in-flight row did before."""
    if token is None:
        return True
    process, marked, _ = token.partition(RUN_MARK)
    parts = process.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit() or parts[0] != _host():
        return False  # unreadable, or another host's process: its lease decides
    _, pid, start = parts
    now = _started(int(pid))
    if now is None or (start != "" and now != start):
        return True
    if marked and int(pid) == os.getpid():
        with _running_lock:
            return token not in _running
    return False


def holder_alive(token: str | None) -> bool:
    """True when the process that wrote ``token`` is known to run still: on this host, a process with
    that id and start time. Another host's process (whose life this host cannot see) is not known to be
    alive: its lease decides."""
    if token is None:
        return False
    parts = token.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit() or parts[0] != _host():
        return False
    return not holder_gone(token)
