"""The deployment under test: a sandbox, a product database and Dagster storage on PostgreSQL, a
project folder with a derived sbt.yaml and dagster.yaml, one full cycle, then ``dagster-daemon``."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import yaml
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import URL, make_url

from sbt_sync.db import migrate
from sbt_sync.db.engine import Database
from sbt_sync.db.models import PushApproval
from sbt_sync.definitions import project_instance, run_full_cycle
from sbt_sync.ingest.connections import siasn_client
from sbt_sync.push import Pusher, PushOptions
from sbt_sync.push.admin import approve
from sbt_sync.sandbox.generate import generate_sandbox
from sbt_sync.sandbox.generate.config import Scale
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.sandbox.wiring import sandbox_config, sandbox_secrets, scoped_environment
from sbt_sync.settings import load_settings

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
DAEMON_READY_SECONDS = 300
WATCHED_SENSORS = ("idis_changes", "kemendagri_new_files")
ACTIVE = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


@dataclass
class Deployment:
    """What the probes need: the sandbox, the product database, the Dagster instance, the project."""

    sandbox: Sandbox
    database: Database
    instance: dg.DagsterInstance
    home: Path
    data_dir: Path
    manifest: dict[str, Any]
    initial_cycle_seconds: float
    approvals: list[str]
    started: datetime
    """When the daemon was ready: runs failing after it fail the benchmark."""
    deliveries: int = 0


def _admin(server_url: str) -> URL:
    return make_url(server_url).set(drivername="postgresql+psycopg2")


@contextmanager
def scratch_database(server_url: str, label: str) -> Iterator[URL]:
    """An empty database on ``server_url``'s server (psycopg2 URL), dropped afterwards."""
    server = _admin(server_url)
    name = f"sbt_fresh_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    quoted = admin.dialect.identifier_preparer.quote(name)  # identifiers cannot be bound parameters
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {quoted}"))
        yield server.set(database=name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        admin.dispose()


def _dagster_env(url: URL, home: Path) -> dict[str, str]:
    return {
        "DAGSTER_HOME": str(home),
        "SBT_DAGSTER_PG_HOST": url.host or "127.0.0.1",
        "SBT_DAGSTER_PG_PORT": str(url.port or 5432),
        "SBT_DAGSTER_PG_DB": url.database or "",
        "SBT_DAGSTER_PG_USER": url.username or "postgres",
        "SBT_DAGSTER_PG_PASSWORD": url.password or "",
    }


def _approve_and_push(database: Database, config_path: Path) -> list[str]:
    """Release what the change guard held back on the first load (as a steward would) and push it."""
    with database.session() as session:
        waiting = session.scalars(select(PushApproval.id).where(PushApproval.status == "waiting")).all()
    released: list[str] = []
    for approval_id in waiting:
        with database.session() as session:
            result = approve(session, approval_id, reason="benchmark: initial load", actor="benchmark")
        released.append(f"approval {approval_id}: {result.get('released', 0)} changes released")
    if waiting:
        settings = load_settings(config_path)
        client = siasn_client(settings)
        try:
            Pusher(database, client, PushOptions.from_settings(settings.push)).run(recover=True)
        finally:
            client.close()
    return released


def _sensor_ticks(instance: dg.DagsterInstance, name: str) -> int:
    states = [s for s in instance.all_instigator_state() if s.instigator_name == name]
    return sum(len(instance.get_ticks(s.instigator_origin_id, s.selector_id)) for s in states)


def active_runs(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    return list(instance.get_runs(filters=dg.RunsFilter(statuses=ACTIVE)))


CODE_LOCATIONS = {"sensors": "sbt_sync.definitions", "eager": "benchmarks.freshness.eager"}
"""The daemon's code location per ``--automation``: the product as shipped, or the eager contender."""


@contextmanager
def _daemon(home: Path, env: dict[str, str], module: str) -> Iterator[subprocess.Popen[bytes]]:
    """``dagster-daemon run`` on ``module``'s code location, in its own session, stopped afterwards."""
    with (home / "daemon.log").open("wb") as daemon_log:
        daemon = subprocess.Popen(
            [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-m", module],
            cwd=home,
            env=env,
            stdout=daemon_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield daemon
        finally:
            # The daemon's code server (``dagster api grpc``) leaves the daemon's process group: list
            # it while the daemon still holds it, then stop it with the group.
            below = _descendants(daemon.pid)
            os.killpg(daemon.pid, signal.SIGTERM)
            for pid in below:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
            try:
                daemon.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(daemon.pid, signal.SIGKILL)
                daemon.wait()
            for pid in below:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def _descendants(pid: int) -> list[int]:
    """The live processes below ``pid`` (children, their children, ...), read from /proc (Linux)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        parents.setdefault(int(stat[stat.rfind(")") + 2 :].split()[1]), []).append(int(entry.name))
    found, frontier = [], [pid]
    while frontier:
        frontier = [child for parent in frontier for child in parents.get(parent, [])]
        found.extend(frontier)
    return found


def tail(path: Path, size: int = 3000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-size:]
    except OSError:
        return ""


@contextmanager
def deployment(
    workdir: Path, *, server_url: str, scale: Scale, seed: int, automation: str = "sensors"
) -> Iterator[Deployment]:
    """Everything up, the first full cycle done and pushed, the daemon running with its sensors on."""
    data_dir = workdir / "data"
    generate_sandbox(seed=seed, scale=scale, out=data_dir)
    manifest: dict[str, Any] = json.loads((data_dir / "manifest.json").read_text(encoding="utf-8"))
    home = workdir / "project"
    home.mkdir()
    shutil.copy(REPO_ROOT / "deploy" / "dagster.postgres.yaml", home / "dagster.yaml")
    # Past every delivery, and running: records published later are newer than any cursor.
    end = datetime.fromisoformat(manifest["clock"]["end"]) + timedelta(hours=1)
    with (
        scratch_database(server_url, "product") as product_url,
        scratch_database(server_url, "dagster") as dagster_url,
        Sandbox(data_dir, state_dir=workdir / "sandbox-state") as sandbox,
    ):
        sandbox.clock.set(end, frozen=False)
        product = product_url.render_as_string(hide_password=False)
        database = Database(product)
        migrate.upgrade(database)
        base: dict[str, Any] = yaml.safe_load((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"))
        config = sandbox_config(base, sandbox.endpoints)
        config["database"] = {"url": product}
        config_path = home / "sbt.yaml"
        config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        env = {
            **sandbox_secrets(config, sandbox.credentials, sandbox.endpoints),
            **_dagster_env(dagster_url, home),
            "SBT_CONFIG": str(config_path),
        }
        try:
            with scoped_environment(env):
                log.info("initial full cycle (enforcement as of today, as the daemon's runs decide) ...")
                started = time.monotonic()
                result = run_full_cycle(config_path=config_path, project_dir=home)
                if not result.success:
                    raise RuntimeError(f"the initial full cycle {result.run_id} failed")
                approvals = _approve_and_push(database, config_path)
                cycle_seconds = time.monotonic() - started
                log.info(
                    "initial cycle done in %.0f s; %s", cycle_seconds, "; ".join(approvals) or "no approval"
                )
                with (
                    _daemon(home, {**os.environ, **env}, CODE_LOCATIONS[automation]) as daemon,
                    project_instance(home) as instance,
                ):
                    _wait_ready(instance, daemon, home)
                    ready = datetime.now(UTC)
                    yield Deployment(
                        sandbox, database, instance, home, data_dir, manifest, cycle_seconds, approvals, ready
                    )
        finally:
            database.dispose()


def _wait_ready(instance: dg.DagsterInstance, daemon: subprocess.Popen[bytes], home: Path) -> None:
    """Until each watched sensor has ticked once and no run is queued or running."""
    deadline = time.monotonic() + DAEMON_READY_SECONDS
    log.info("waiting for the daemon's first sensor ticks ...")
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            raise RuntimeError("dagster-daemon exited: " + tail(home / "daemon.log"))
        ticked = all(_sensor_ticks(instance, name) for name in WATCHED_SENSORS)
        if ticked and not active_runs(instance):
            return
        time.sleep(2)
    raise RuntimeError(
        f"the sensors did not tick within {DAEMON_READY_SECONDS} s: " + tail(home / "daemon.log")
    )
