"""The run ledger (``sync_runs``): one row per Dagster run that touched the product database, with its
job, when it started and ended, how each step ended, and why it failed.

It is what a data subject's processing trail (:mod:`sbt_sync.pdp.subject`) and the DPIA's recent runs
(:mod:`sbt_sync.pdp.dpia`) name beside the Dagster run ids that the data rows carry, and what an
operator reads without Dagster's event log. The job's hooks record each step as it ends
(:mod:`assets.run_ledger`); Dagster's report that a run ended (a run-status sensor in the daemon, or
the caller of an in-process run) records its end. Writes are idempotent: recording the same step or
end twice changes nothing. Failure messages are kept without NIPs.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.redact import mask_nips
from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import SyncRun
from sbt_sync.states.runs import RunStatus, check_run_move

ERROR_CHARS = 500
"""The most of a failure's message kept (the event log has the whole of it)."""


ORPHANS_CHECKED = 50
"""How many runs still called running a run's first step asks Dagster about, newest first, so that
runs Dagster never knew (another instance, a wiped one), which stay running, are not asked about at
every run start forever."""


def _row(session: Session, run_id: str, job: str, now: datetime) -> tuple[SyncRun, bool]:
    """The run's row, and whether this made it."""
    row = session.scalar(select(SyncRun).where(SyncRun.run_id == run_id))
    if row is not None:
        return row, False
    row = SyncRun(run_id=run_id, job=job, status=RunStatus.RUNNING, started_at=now, counts={})
    session.add(row)
    return row, True


def failure_text(error: BaseException | str | None) -> str | None:
    """``error`` as the ledger keeps it: type and message, NIPs masked, at most :data:`ERROR_CHARS`."""
    if error is None:
        return None
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return mask_nips(text)[:ERROR_CHARS]


def record_step(
    database: Database,
    *,
    run_id: str,
    job: str,
    step: str,
    failed: bool = False,
    error: BaseException | str | None = None,
    now: datetime | None = None,
) -> bool:
    """Record that ``step`` of run ``run_id`` ended (the run's row is made on its first step); a
    failed step fails the run. True when this made the run's row."""
    now = now or utcnow()
    for attempt in range(2):
        try:
            # write=True: SQLite's write lock before the read, so a console write in between waits
            # instead of failing this update (a deferred transaction that has read cannot wait).
            with database.session(write=True) as session:
                row, made = _row(session, run_id, job, now)
                steps = dict((row.counts or {}).get("steps", {}))
                steps[step] = RunStatus.FAILED.value if failed else RunStatus.SUCCEEDED.value
                row.counts = {**(row.counts or {}), "steps": steps}
                if failed:
                    row.status = check_run_move(row.status, RunStatus.FAILED)
                    row.error = row.error or failure_text(error)
                    row.finished_at = now
            return made
        except IntegrityError:  # another step of the run made the row first: update it instead
            if attempt:
                raise
    raise AssertionError("unreachable")


def unfinished(database: Database, *, other_than: str) -> list[tuple[str, str]]:
    """``(run_id, job)`` of the latest :data:`ORPHANS_CHECKED` runs the ledger still calls running,
    but ``other_than``."""
    with database.session() as session:
        rows = session.execute(
            select(SyncRun.run_id, SyncRun.job)
            .where(
                SyncRun.status == RunStatus.RUNNING, SyncRun.run_id.is_not(None), SyncRun.run_id != other_than
            )
            .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
            .limit(ORPHANS_CHECKED)
        )
        return [(run_id, job) for run_id, job in rows.tuples() if run_id is not None]


def record_end(
    database: Database,
    *,
    run_id: str,
    job: str,
    succeeded: bool,
    error: BaseException | str | None = None,
    as_of: date | None = None,
    now: datetime | None = None,
) -> None:
    """Record that run ``run_id`` ended, as Dagster reports it. A run one of whose steps failed stays
    ``failed`` even if Dagster calls it a success (a step's failure it tolerated)."""
    now = now or utcnow()
    with database.session(write=True) as session:  # reads, then writes: as record_step
        row, _ = _row(session, run_id, job, now)
        failed_steps = [s for s, how in (row.counts or {}).get("steps", {}).items() if how == "failed"]
        status = RunStatus.SUCCEEDED if succeeded and not failed_steps else RunStatus.FAILED
        if row.status == RunStatus.RUNNING:
            row.status = check_run_move(row.status, status)
            row.finished_at = now
        if status == RunStatus.FAILED and row.error is None:
            steps = f"failed steps: {', '.join(sorted(failed_steps))}" if failed_steps else None
            row.error = failure_text(error) or steps
        if as_of is not None:
            row.as_of = as_of


@dataclass(frozen=True)
class LedgerRun:
    """One run as the ledger has it (no personal data)."""

    run_id: str | None
    job: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    as_of: date | None
    steps: dict[str, str]
    """Step -> ``succeeded`` or ``failed``, in the order they ended."""
    error: str | None

    @property
    def failed_steps(self) -> list[str]:
        return sorted(step for step, how in self.steps.items() if how == RunStatus.FAILED)

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "as_of": self.as_of.isoformat() if self.as_of else None,
        }


def recent(database: Database, *, limit: int = 20) -> list[LedgerRun]:
    """The latest ``limit`` runs of the ledger, newest first."""
    with database.session() as session:
        rows = session.scalars(
            select(SyncRun).order_by(SyncRun.started_at.desc(), SyncRun.id.desc()).limit(limit)
        )
        return [
            LedgerRun(
                row.run_id,
                row.job,
                row.status,
                row.started_at,
                row.finished_at,
                row.as_of,
                dict((row.counts or {}).get("steps", {})),
                row.error,
            )
            for row in rows
        ]


def worker_gone(pid: int, *, started_by: float) -> bool:
    """True when the run worker that was process ``pid`` of this host, running at ``started_by`` (epoch
    seconds), is known to be gone: the host booted since, no such process runs, it is a zombie, or the
    process of that id started well after ``started_by`` (the id went to another process). Unknown (no
    ``/proc``, and a process of that id runs, or it is not ours to signal) counts as alive: run
    monitoring's longest runtime decides."""
    stat = Path(f"/proc/{pid}/stat")
    if not Path("/proc/self/stat").exists():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    boot = _boot_time()
    if boot is not None and boot > started_by + _CLOCK_SLACK:
        return True  # the machine restarted after the worker ran: every process of then is gone
    try:
        fields = stat.read_text(encoding="ascii").rsplit(")", 1)[1].split()
        state, ticks = fields[0], int(fields[19])
    except (OSError, IndexError, ValueError):
        return not stat.exists()
    if state in {"Z", "X"}:  # ended, not yet reaped by its parent
        return True
    if boot is None:
        return False
    started = boot + ticks / os.sysconf("SC_CLK_TCK")
    return started > started_by + _CLOCK_SLACK


_CLOCK_SLACK = 60.0
"""Seconds by which a start time computed from ``/proc`` (boot time in whole seconds, moved by any step
of the wall clock since boot) may differ from the event log's clock before it counts as later: a live
worker is never taken for a gone one, and a restart or a reused id lies far beyond it."""


def _boot_time() -> float | None:
    """When this host booted (epoch seconds), from ``/proc/stat``."""
    try:
        for line in Path("/proc/stat").read_text(encoding="ascii").splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except (OSError, ValueError):
        return None
    return None
