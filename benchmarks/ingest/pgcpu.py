"""CPU time that the local PostgreSQL server spends on one database, sampled from ``/proc``.

The whole server's CPU (every ``postgres`` process plus what the postmaster collected from exited
backends) counts whatever else uses the server: on a shared machine another benchmark's queries
landed in ours. Here only the backends (and autovacuum or parallel workers) connected to the run's
own database are counted, plus, separately, the server's background processes (WAL writer,
checkpointer, background writer), whose work is caused by every database's writes.

A sampler thread reads each process's ``utime + stime`` every ``interval`` seconds: a backend that
exits is counted up to its last sample (at most one interval of its CPU is lost). The sampler's own
CPU is reported so that the caller can take it out of its process's CPU.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

_BACKGROUND = (
    "checkpointer",
    "background writer",
    "walwriter",
    "autovacuum launcher",
    "logical replication launcher",
    "stats collector",
    "archiver",
)
INTERVAL_SECONDS = 0.02


@dataclass(frozen=True, slots=True)
class PostgresCpu:
    backends: float
    """CPU seconds of the processes serving the database (its connections, autovacuum, parallel)."""
    background: float
    """CPU seconds of the server's shared background processes over the same time."""
    sampler: float
    """CPU seconds the sampling thread cost the calling process while it ran."""


def database_of(url: str) -> str:
    """The database a ``postgresql://`` URL names (without importing SQLAlchemy into a contender
    that does not use it: its peak memory is measured)."""
    name = unquote(urlsplit(url).path.lstrip("/"))
    if not name:
        raise ValueError("the database URL names no database")
    return name


def _cpu_ticks(pid: str) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (stat's 14th and 15th fields)


_NOT_POSTGRES = ""


def _activity(pid: str) -> str | None:
    """A postgres process's ps display after the cluster name (``"postgres db 127.0.0.1(5) idle"``);
    ``_NOT_POSTGRES`` for any other process; None for the postmaster or a backend not identified
    yet (a just-forked backend shows the postmaster's command line until it has read its startup
    packet), to be looked at again."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace")
        if not cmdline.startswith("postgres: "):
            stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
            return None if stat[stat.index("(") + 1 : stat.rindex(")")] == "postgres" else _NOT_POSTGRES
    except (OSError, ValueError):
        return _NOT_POSTGRES  # ended meanwhile
    rest = cmdline[len("postgres: ") :].rstrip("\0 ")
    _, colon, activity = rest.partition(": ")  # "15/main: ..." when cluster_name is set
    return activity if colon else rest


class PostgresMeter:
    """``with PostgresMeter("db") as meter: ...`` then ``meter.result`` (or ``start()``, ``stop()``)."""

    def __init__(self, database: str, *, interval: float = INTERVAL_SECONDS) -> None:
        self._database = database
        self._interval = interval
        self._ticks = os.sysconf("SC_CLK_TCK")
        self._own: dict[str, int] = {}
        self._background: dict[str, int] = {}
        self._baseline: dict[str, int] = {}
        self._ignored: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="postgres-meter", daemon=True)
        self._sampler_cpu = 0.0
        self.result = PostgresCpu(0.0, 0.0, 0.0)

    def _classify(self, pid: str) -> None:
        activity = _activity(pid)
        if activity is None:
            return  # the postmaster, or a backend not yet identified: looked at again next time
        words = activity.split()
        if not words:
            self._ignored.add(pid)
            return
        if activity.startswith(_BACKGROUND):
            self._background[pid] = self._baseline.setdefault(pid, _cpu_ticks(pid) or 0)
        elif self._database in words or (
            activity.startswith("parallel worker for PID") and words[-1] in self._own
        ):
            self._own[pid] = self._baseline.setdefault(pid, 0)
        else:
            self._ignored.add(pid)  # another database's backend, or the postmaster's other children

    def _sample(self, *, first: bool = False) -> None:
        for entry in os.scandir("/proc"):
            pid = entry.name
            if not pid.isdigit() or pid in self._ignored or pid in self._own or pid in self._background:
                continue
            if first:  # processes already running: only CPU from now on counts
                ticks = _cpu_ticks(pid)
                if ticks is not None:
                    self._baseline[pid] = ticks
            self._classify(pid)
        for table in (self._own, self._background):
            for pid in table:
                ticks = _cpu_ticks(pid)
                if ticks is not None:  # else exited: its last sample stands
                    table[pid] = ticks

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._sample()
        self._sample()
        self._sampler_cpu = time.thread_time()

    def __enter__(self) -> PostgresMeter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> PostgresMeter:
        self._sample(first=True)  # before the caller starts its clocks
        self._thread.start()
        return self

    def stop(self) -> PostgresCpu:
        """Stop sampling; returns (and keeps in ``result``) what was measured."""
        self._stop.set()
        self._thread.join()
        own = sum(ticks - self._baseline.get(pid, 0) for pid, ticks in self._own.items())
        background = sum(ticks - self._baseline.get(pid, 0) for pid, ticks in self._background.items())
        self.result = PostgresCpu(
            backends=own / self._ticks,
            background=background / self._ticks,
            sampler=self._sampler_cpu,
        )
        return self.result
