"""Killing a child process at a moment that matters: while it holds work it claimed."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from sqlalchemy.orm import Session

from sbt_sync.db.engine import Database


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def alive_mid_send(
    database: Database, pid: int, window: float, after: float, *, in_flight: Callable[[Session], bool]
) -> bool:
    """Whether the child still runs ``after`` seconds past the moment ``in_flight`` sees it holding a
    claimed row (waiting at most ``window`` for one; then whether it runs at all). A kill then lands
    mid-send, so the next child takes a claimed row over, on a loaded machine too."""
    deadline = time.monotonic() + window
    while time.monotonic() < deadline:
        if not _running(pid):
            return False
        with database.session() as session:
            if in_flight(session):
                time.sleep(after)
                break
        time.sleep(0.02)
    return _running(pid)
