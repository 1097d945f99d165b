"""What the harness hands a contender's process, and what the process hands back.

The spec travels as JSON on the child's stdin and the outcome as a JSON file; secrets never travel in
either: the child reads the OAuth2 client id and secret from the environment variables the spec names.
"""

from __future__ import annotations

import json
import resource
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Contender = Literal["ours", "dlt", "raw"]
CONTENDERS: tuple[Contender, ...] = ("ours", "dlt", "raw")
SOURCE = "bkn_wasdal"


@dataclass(frozen=True, slots=True)
class RunSpec:
    contender: Contender
    database_url: str
    """``postgresql://`` URL of this run's own, empty database."""
    records_url: str
    token_url: str
    ca_bundle: str
    client_id_env: str
    client_secret_env: str
    page_size: int
    config_path: str
    """sbt.yaml pointing at the sandbox (our path reads its source settings from it)."""
    workdir: str
    result_path: str
    profile_path: str | None = None
    """Where to write cProfile stats of the run (None: no profiling, the timed runs)."""

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> RunSpec:
        return cls(**json.loads(text))


@dataclass(slots=True)
class Outcome:
    """One timed run: ``seconds`` covers fetch, processing and the committed load, nothing else."""

    rows: int
    seconds: float
    rss_before_mb: float
    """Resident memory after imports and setup, just before the timed part."""
    phases: dict[str, float] = field(default_factory=dict)
    checks: dict[str, Any] = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    client_cpu_seconds: float = 0.0
    """CPU time of the contender's timed part: its process, threads and any worker processes (once
    reaped), less the PostgreSQL meter's sampling thread."""
    sandbox_cpu_seconds: float = 0.0
    """CPU time of the sandbox serving the pages (the harness process) while the contender ran."""
    postgres_cpu_seconds: float = 0.0
    """CPU time of the PostgreSQL processes serving the run's own database during the timed part
    (``pgcpu.PostgresMeter``)."""
    postgres_background_cpu_seconds: float = 0.0
    """CPU time of the server's shared background processes (WAL writer, checkpointer, background
    writer) during the timed part: caused by this run's writes and by anything else writing."""
    postgres_server_cpu_seconds: float = 0.0
    """CPU time of every ``postgres`` process while the child ran, setup included and whatever else
    used the server meanwhile (the measure before ``PostgresMeter``; kept for comparison)."""

    @property
    def total_cpu_seconds(self) -> float:
        """Everything the run cost: the contender (its workers included), the sandbox serving it, and
        PostgreSQL (its own backends and the shared background processes)."""
        return (
            self.client_cpu_seconds
            + self.sandbox_cpu_seconds
            + self.postgres_cpu_seconds
            + self.postgres_background_cpu_seconds
        )

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Outcome:
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def cpu_seconds() -> float:
    """User and system CPU time of this process and of its children that have ended and been waited
    for (a worker process, once its pool is shut down)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_mb() -> float:
    """This process's resident set now (Linux ``/proc``), in MiB."""
    return _status_mb("VmRSS")


def peak_rss_mb() -> float:
    """This process's peak resident set since it started, in MiB.

    ``VmHWM`` rather than ``getrusage``: Linux carries ``ru_maxrss`` across ``execve``, so a child
    spawned (vfork, exec) from the harness would report the harness's own peak, sandbox included.
    """
    return _status_mb("VmHWM")
