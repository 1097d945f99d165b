"""Killing a child process at a moment that matters: while it holds work it claimed."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from sbt_sync.db.engine import Database
from sbt_sync.holders import holder_token

POLL = 0.005
"""Seconds between two looks at the database while waiting for the child's claim."""

Claimed = Callable[[Session, str], bool]
"""Whether the session sees a row claimed by the holder whose token starts with the given prefix."""


def running(pid: int) -> bool:
    """Whether the child ``pid`` still runs: an ended child the factory has not reaped yet (a zombie)
    does not."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: the process id alone
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def holder_prefix(pid: int) -> str:
    """The start of the holder token (:func:`sbt_sync.holders.holder_token`) the child ``pid`` writes on
    the rows it claims."""
    host = holder_token().rsplit(":", 2)[0]
    return f"{host}:{pid}:"


def holding_a_claim(database: Database, pid: int, *, claimed: Claimed) -> bool:
    """Wait until the child ``pid`` is seen holding a row it claimed itself (not one a killed
    predecessor left in flight, which it may not have taken over yet); False when it ended first.

    No time bound but the child's own life: on a loaded machine the child may take long to reach its
    first claim, and a kill before it would prove nothing."""
    holder = holder_prefix(pid)
    while running(pid):
        with database.session() as session:
            if claimed(session, holder):
                return True
        time.sleep(POLL)
    return False
