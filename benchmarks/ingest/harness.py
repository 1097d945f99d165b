"""Running the contenders: the sandbox in this process, each run in its own child process and its
own throwaway PostgreSQL database on the same server."""

from __future__ import annotations

import logging
import os
import resource
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from benchmarks.ingest.data import SOURCE, SnapshotRecords, write_data_dir
from benchmarks.ingest.spec import Contender, Outcome, RunSpec
from sbt_sync.sandbox.clock import SandboxClock
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.sandbox.wiring import sandbox_config, sandbox_secrets

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_SECONDS = 900
# dlt phones home with anonymous usage data unless told not to; a benchmark must not.
CHILD_ENV = {"RUNTIME__DLTHUB_TELEMETRY": "false", "PYTHONHASHSEED": "0"}


@dataclass(frozen=True, slots=True)
class Target:
    """The running sandbox as the contenders see it."""

    records_url: str
    token_url: str
    ca_bundle: str
    client_id_env: str
    client_secret_env: str
    config_path: Path
    secrets: dict[str, str]


@contextmanager
def running_sandbox(workdir: Path, *, rows: int, page_size: int) -> Iterator[Target]:
    """The sandbox serving ``rows`` bkn_wasdal records, clock frozen after the last, on loopback."""
    data_dir = workdir / "data"
    end = write_data_dir(data_dir, rows=rows)
    sandbox = Sandbox(data_dir, state_dir=workdir / "state", clock=SandboxClock(end, frozen=True), sftp=False)
    sandbox.sources[SOURCE] = SnapshotRecords.load(SOURCE, data_dir / "http" / f"{SOURCE}.jsonl")
    with sandbox:
        base = yaml.safe_load((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"))
        config = sandbox_config(base, sandbox.endpoints)
        source = config["sources"][SOURCE]
        source["paging"]["page_size"] = page_size
        config_path = workdir / "sbt.yaml"
        config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
        endpoints = sandbox.endpoints
        assert endpoints.ca_bundle is not None  # TLS is on
        yield Target(
            records_url=endpoints.bkn_wasdal_url,
            token_url=endpoints.bkn_wasdal_token_url,
            ca_bundle=str(endpoints.ca_bundle),
            client_id_env=source["auth"]["client_id_env"],
            client_secret_env=source["auth"]["client_secret_env"],
            config_path=config_path,
            secrets=sandbox_secrets(config, sandbox.credentials, endpoints),
        )


def _server(server_url: str) -> URL:
    return make_url(server_url).set(drivername="postgresql+psycopg2")


@contextmanager
def throwaway_database(server_url: str, label: str) -> Iterator[str]:
    """A new empty database on ``server_url``'s server, dropped afterwards; yields its plain URL."""
    server = _server(server_url)
    name = f"sbt_bench_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    quoted = admin.dialect.identifier_preparer.quote(name)  # identifiers cannot be bound parameters
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {quoted}"))
        yield server.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        admin.dispose()


def run_once(
    contender: Contender,
    target: Target,
    *,
    server_url: str,
    page_size: int,
    workdir: Path,
    profile_path: Path | None = None,
) -> Outcome:
    """One run of ``contender`` in a child process; raises ``RuntimeError`` if it fails."""
    run_dir = workdir / f"{contender}-{uuid.uuid4().hex[:8]}"
    run_dir.mkdir()
    with throwaway_database(server_url, contender) as database_url:
        spec = RunSpec(
            contender=contender,
            database_url=database_url,
            records_url=target.records_url,
            token_url=target.token_url,
            ca_bundle=target.ca_bundle,
            client_id_env=target.client_id_env,
            client_secret_env=target.client_secret_env,
            page_size=page_size,
            config_path=str(target.config_path),
            workdir=str(run_dir),
            result_path=str(run_dir / "outcome.json"),
            profile_path=str(profile_path) if profile_path else None,
        )
        env = {**os.environ, **CHILD_ENV, **target.secrets}
        sandbox_before, postgres_before = _own_cpu_seconds(), postgres_cpu_seconds()
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.ingest.child"],
            input=spec.to_json(),
            text=True,
            capture_output=True,
            env=env,
            cwd=REPO_ROOT,
            timeout=RUN_TIMEOUT_SECONDS,
            check=False,
        )
        sandbox_cpu, postgres_cpu = (
            _own_cpu_seconds() - sandbox_before,
            postgres_cpu_seconds() - postgres_before,
        )
    if done.returncode != 0:
        raise RuntimeError(f"{contender} run failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    outcome = Outcome.read(Path(spec.result_path))
    outcome.sandbox_cpu_seconds, outcome.postgres_server_cpu_seconds = sandbox_cpu, postgres_cpu
    return outcome


def _own_cpu_seconds() -> float:
    """The harness's own CPU time (the sandbox's server threads; the harness itself only waits)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def postgres_cpu_seconds() -> float:
    """CPU time of the local PostgreSQL server so far: every live ``postgres`` process, plus what the
    postmaster has collected from backends that have exited (their connections closed).

    Linux ``/proc``; 0.0 where it cannot be read (another machine's server, another OS). Whatever
    else uses the server meanwhile is counted too: quote it from a quiet machine.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="ascii")
        except OSError:
            continue  # ended meanwhile
        name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
        if name != "postgres":
            continue
        # fields[0] is the state (stat's third field): utime, stime, cutime, cstime are 14-17.
        utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
        total += utime + stime + cutime + cstime
    return total / ticks


def postgres_version(server_url: str) -> dict[str, str]:
    """The server's version and the settings that move write throughput most."""
    engine = create_engine(_server(server_url))
    try:
        with engine.connect() as connection:
            return {
                name: str(connection.execute(text(f"SHOW {name}")).scalar())
                for name in ("server_version", "synchronous_commit", "shared_buffers", "max_wal_size")
            }
    finally:
        engine.dispose()
