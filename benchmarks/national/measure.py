"""CPU and memory of one stage, read from Linux ``/proc`` (psutil is not a dependency).

A stage is one child process (``dagster job execute``) and everything it starts (Dagster's step
processes), plus the PostgreSQL backends serving the benchmark's two databases. A thread samples
``/proc`` every :data:`SAMPLE_SECONDS`: per process its CPU (user + system) and its peak resident set
(``VmHWM``), and the resident sets of the tree added up. When the child exits, ``wait4`` gives the CPU
of the child and of every descendant that was reaped along the way; the tree's CPU is the larger of
that and the sampled sum (sampling misses a process's last fraction of an interval; ``wait4`` misses
descendants nobody reaped). ``ru_maxrss`` is not used: Linux carries it across ``execve``, so a child
would report the harness's own peak (the harness serves the sandbox and holds its data).
"""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.ingest.harness import postgres_cpu_seconds

SAMPLE_SECONDS = 0.5
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class _Proc:
    pid: int
    ppid: int
    name: str
    start: int
    """Start time in clock ticks since boot: with the pid, one process even when pids are reused."""
    cpu_ticks: int


def _read_proc(pid: int) -> _Proc | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
    # fields[0] is stat's third field (state): ppid is the 4th, utime/stime the 14th/15th, start the 22nd.
    return _Proc(pid, int(fields[1]), name, int(fields[19]), int(fields[11]) + int(fields[12]))


def _memory_kb(pid: int) -> tuple[int, int]:
    """``(VmRSS, VmHWM)`` in kB; zeros when the process is gone."""
    rss = hwm = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii", errors="replace").splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    except OSError:
        pass
    return rss, hwm


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _all_procs() -> list[_Proc]:
    found: list[_Proc] = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            proc = _read_proc(int(entry.name))
            if proc is not None:
                found.append(proc)
    return found


@dataclass
class StageUsage:
    """What one stage cost; seconds are CPU seconds unless named wall."""

    wall_seconds: float = 0.0
    tree_cpu_seconds: float = 0.0
    tree_cpu_sampled_seconds: float = 0.0
    tree_cpu_wait4_seconds: float = 0.0
    processes: int = 0
    postgres_cpu_seconds: float = 0.0
    """Backends connected to the benchmark's databases (sampled; their command line names the database)."""
    postgres_server_cpu_seconds: float = 0.0
    """Every ``postgres`` process of the server (others' work on a shared server counts too)."""
    harness_cpu_seconds: float = 0.0
    """The harness process: the sandbox's servers answering the stage, plus the sampler."""
    peak_rss_mb: float = 0.0
    """The larger of the biggest single process's ``VmHWM`` and the tree's summed RSS at any sample."""
    peak_process_rss_mb: float = 0.0
    peak_tree_rss_mb: float = 0.0
    peak_process: str = ""
    harness_rss_mb: float = 0.0
    exit_code: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in self.__dict__.items()}
        out.pop("extra")
        return {**out, **self.extra}


class _Sampler(threading.Thread):
    def __init__(self, root: int, databases: list[str]) -> None:
        super().__init__(name="national-sampler", daemon=True)
        self.root = root
        self.databases = databases
        self.stop_event = threading.Event()
        self.tree_cpu: dict[tuple[int, int], int] = {}
        self.tree_hwm: dict[tuple[int, int], tuple[int, str]] = {}
        self.backend_cpu: dict[tuple[int, int], int] = {}
        self.backend_ours: dict[tuple[int, int], bool] = {}
        self.backend_base: dict[tuple[int, int], int] = {}
        self.first = True
        self.peak_tree_kb = 0
        self.lock = threading.Lock()

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.sample()
            self.stop_event.wait(SAMPLE_SECONDS)

    def sample(self) -> None:
        procs = _all_procs()
        children: dict[int, list[_Proc]] = {}
        for proc in procs:
            children.setdefault(proc.ppid, []).append(proc)
        tree: list[_Proc] = [p for p in procs if p.pid == self.root]
        index = 0
        while index < len(tree):
            tree.extend(children.get(tree[index].pid, []))
            index += 1
        rss_total = 0
        with self.lock:
            for proc in tree:
                key = (proc.pid, proc.start)
                self.tree_cpu[key] = max(self.tree_cpu.get(key, 0), proc.cpu_ticks)
                rss, hwm = _memory_kb(proc.pid)
                rss_total += rss
                if hwm > self.tree_hwm.get(key, (0, ""))[0]:
                    label = self.tree_hwm.get(key, (0, ""))[1] or _cmdline(proc.pid)[:160]
                    self.tree_hwm[key] = (hwm, label)
            self.peak_tree_kb = max(self.peak_tree_kb, rss_total)
            for proc in procs:
                if proc.name != "postgres":
                    continue
                key = (proc.pid, proc.start)
                if key not in self.backend_ours:
                    command = _cmdline(proc.pid)
                    # A backend's title: "postgres: <user> <database> <client> <state>".
                    self.backend_ours[key] = any(f" {db} " in command for db in self.databases)
                    # A backend already open before the stage (a pooled connection): only its growth.
                    self.backend_base[key] = proc.cpu_ticks if self.first else 0
                if self.backend_ours[key]:
                    grown = proc.cpu_ticks - self.backend_base[key]
                    self.backend_cpu[key] = max(self.backend_cpu.get(key, 0), grown)
            self.first = False


def run_measured(
    command: list[str], *, cwd: Path, env: dict[str, str], log_path: Path, databases: list[str]
) -> StageUsage:
    """Run ``command`` to its end, measuring it, its descendants and the databases' backends."""
    usage = StageUsage()
    own_before = resource.getrusage(resource.RUSAGE_SELF)
    server_before = postgres_cpu_seconds()
    started = time.monotonic()
    with log_path.open("ab") as log:
        child = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        sampler = _Sampler(child.pid, databases)
        sampler.sample()
        sampler.start()
        _, status, rusage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    usage.wall_seconds = time.monotonic() - started
    sampler.stop_event.set()
    sampler.join()
    sampler.sample()  # backends still open (Dagster's storage pool has closed with the child)
    own_after = resource.getrusage(resource.RUSAGE_SELF)
    usage.exit_code = child.returncode
    usage.tree_cpu_wait4_seconds = rusage.ru_utime + rusage.ru_stime
    usage.tree_cpu_sampled_seconds = sum(sampler.tree_cpu.values()) / TICKS
    usage.tree_cpu_seconds = max(usage.tree_cpu_wait4_seconds, usage.tree_cpu_sampled_seconds)
    usage.processes = len(sampler.tree_cpu)
    usage.postgres_cpu_seconds = sum(sampler.backend_cpu.values()) / TICKS
    usage.postgres_server_cpu_seconds = postgres_cpu_seconds() - server_before
    usage.harness_cpu_seconds = (own_after.ru_utime + own_after.ru_stime) - (
        own_before.ru_utime + own_before.ru_stime
    )
    if sampler.tree_hwm:
        hwm, label = max(sampler.tree_hwm.values())
        usage.peak_process_rss_mb = hwm / 1024
        usage.peak_process = label
    usage.peak_tree_rss_mb = sampler.peak_tree_kb / 1024
    usage.peak_rss_mb = max(usage.peak_process_rss_mb, usage.peak_tree_rss_mb)
    usage.harness_rss_mb = _memory_kb(os.getpid())[0] / 1024
    return usage
