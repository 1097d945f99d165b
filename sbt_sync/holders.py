"""Who holds a claimed outbox row, and whether that holder is gone.

A pusher or notifier that claims a row writes its token (host, process id and the process's start
time) on the row. A run that starts with ``recover`` takes over a claimed row at once only when the
token's process is gone: on this host, no process with that id and start time runs any more (a run
that was killed, a machine that restarted). A row held by a live process, or by a process on another
host whose life this host cannot see, is left to its lease: taking it over while its request is still
out would let a later change overtake it (an unblock sent before the block it follows lands).
"""

from __future__ import annotations

import os
import socket
from functools import cache
from pathlib import Path

TOKEN_LENGTH = 128


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


def holder_gone(token: str | None) -> bool:
    """True when the process that wrote ``token`` is known to be gone. A row claimed before holders were
    recorded (no token) counts as gone, as every in-flight row did before."""
    if token is None:
        return True
    parts = token.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit() or parts[0] != _host():
        return False  # unreadable, or another host's process: its lease decides
    _, pid, start = parts
    now = _started(int(pid))
    return now is None or (start != "" and now != start)


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
