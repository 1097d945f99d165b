"""One run of the benchmark: a served sandbox at its as-of instant, scratch PostgreSQL databases for the
product and for Dagster's storage, a project folder, and the stages, each a ``dagster job execute``
child measured by :mod:`benchmarks.national.measure`."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg
import yaml
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import URL, make_url

from benchmarks.national.measure import StageUsage, run_measured
from sbt_sync.db import migrate
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, BlockState, Case, PushApproval
from sbt_sync.definitions import FULL_CYCLE_JOB, REGISTRY_REFRESH_JOB, project_instance
from sbt_sync.ingest.connections import siasn_client
from sbt_sync.push import Pusher, PushOptions
from sbt_sync.push.admin import approve
from sbt_sync.sandbox.http.control_client import ControlClient
from sbt_sync.sandbox.http.siasn_blocks import BLOCKED
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.sandbox.wiring import sandbox_config, sandbox_secrets, scoped_environment
from sbt_sync.settings import load_settings
from schemas.reference import sanction_codes

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
STEPS_SHOWN = 10
STAGES = ("registry_refresh", "full", "approve_and_push", "unchanged", "one_change")
"""In order. ``approve_and_push`` is the steward releasing what the change guard held on the first
load, in the harness's process; it is recorded, not a target."""


@contextmanager
def scratch_database(server_url: str, label: str) -> Iterator[URL]:
    """An empty database on ``server_url``'s server, as a ``postgresql+psycopg2`` URL, dropped afterwards.

    The scheme is explicit: with SQLAlchemy 2.1 a bare ``postgresql://`` picks psycopg 3, on which
    dagster-postgres' LISTEN/NOTIFY watcher fails (deploy/dagster.postgres.yaml)."""
    server = make_url(server_url).set(drivername="postgresql+psycopg2")
    name = f"sbt_nat_{label}_{uuid.uuid4().hex[:8]}"
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


@dataclass
class Project:
    home: Path
    config_path: Path
    env: dict[str, str]
    """The children's whole environment: this process's, the sandbox's secrets, Dagster's storage."""
    databases: list[str]
    database: Database
    sandbox: Sandbox
    as_of: datetime
    day: str
    """The day enforcement decides for: the as-of instant in the project's timezone."""


def _dagster_env(url: URL, home: Path) -> dict[str, str]:
    return {
        "DAGSTER_HOME": str(home),
        "SBT_DAGSTER_PG_HOST": url.host or "127.0.0.1",
        "SBT_DAGSTER_PG_PORT": str(url.port or 5432),
        "SBT_DAGSTER_PG_DB": url.database or "",
        "SBT_DAGSTER_PG_USER": url.username or "postgres",
        "SBT_DAGSTER_PG_PASSWORD": url.password or "",
    }


@contextmanager
def project(workdir: Path, data_dir: Path, *, server_url: str) -> Iterator[Project]:
    """The sandbox served with its clock frozen at the as-of instant; scratch databases (product
    migrated); a project folder with a derived sbt.yaml and the production dagster.yaml."""
    manifest: dict[str, Any] = json.loads((data_dir / "manifest.json").read_text(encoding="utf-8"))
    as_of = datetime.fromisoformat(manifest["clock"]["as_of"])
    home = workdir / "project"
    home.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "deploy" / "dagster.postgres.yaml", home / "dagster.yaml")
    with (
        scratch_database(server_url, "product") as product_url,
        scratch_database(server_url, "dagster") as dagster_url,
        Sandbox(data_dir, state_dir=workdir / "sandbox-state") as sandbox,
    ):
        sandbox.clock.set(as_of, frozen=True)
        product = product_url.render_as_string(hide_password=False)
        database = Database(product)
        try:
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
            zone = ZoneInfo(load_settings(config_path).schedule.timezone)
            with scoped_environment(env):
                yield Project(
                    home=home,
                    config_path=config_path,
                    env=dict(os.environ),
                    databases=[product_url.database or "", dagster_url.database or ""],
                    database=database,
                    sandbox=sandbox,
                    as_of=as_of,
                    day=as_of.astimezone(zone).date().isoformat(),
                )
        finally:
            database.dispose()


def run_job(target: Project, job: str, stage: str) -> StageUsage:
    """``dagster job execute`` of ``job`` on the project's instance, with the job's own executor (in
    process for both jobs, as the daemon's run worker runs them)."""
    command = [str(Path(sys.executable).parent / "dagster"), "job", "execute"]
    command += ["-m", "sbt_sync.definitions", "-j", job]
    if job == FULL_CYCLE_JOB:
        run_config = {
            "loggers": {"console": {"config": {"log_level": "WARNING"}}},
            "ops": {"enforcement__block_state": {"config": {"as_of": target.day}}},
        }
        config_file = target.home / f"run-{stage}.yaml"
        config_file.write_text(yaml.safe_dump(run_config), encoding="utf-8")
        command += ["-c", str(config_file)]
    log.info("stage %s: %s ...", stage, job)
    usage = run_measured(
        command,
        cwd=target.home,
        env=target.env,
        log_path=target.home / f"{stage}.log",
        databases=target.databases,
    )
    run, steps = _last_run(target.home, job)
    usage.extra["job"] = job
    usage.extra["run_id"] = run.run_id if run else None
    usage.extra["run_status"] = run.status.value if run else None
    usage.extra["steps"] = len(steps)
    usage.extra["slowest_steps_seconds"] = dict(sorted(steps.items(), key=lambda kv: -kv[1])[:STEPS_SHOWN])
    usage.extra["steps_seconds_total"] = round(sum(steps.values()), 2)
    if usage.exit_code != 0 or run is None or run.status != dg.DagsterRunStatus.SUCCESS:
        tail = (target.home / f"{stage}.log").read_text(encoding="utf-8", errors="replace")[-4000:]
        raise RuntimeError(f"stage {stage}: {job} did not succeed (exit {usage.exit_code}):\n{tail}")
    log.info(
        "stage %s: %.1f s wall, %.1f s CPU (tree) + %.1f s (PostgreSQL), peak RSS %.0f MB",
        stage,
        usage.wall_seconds,
        usage.tree_cpu_seconds,
        usage.postgres_cpu_seconds,
        usage.peak_rss_mb,
    )
    return usage


def _last_run(home: Path, job: str) -> tuple[dg.DagsterRun | None, dict[str, float]]:
    """The job's latest run and, per step, seconds from its start to its end (Dagster's event log:
    in the full cycle each step also pays its own process's start and imports)."""
    with project_instance(home) as instance:
        runs = instance.get_runs(filters=dg.RunsFilter(job_name=job), limit=1)
        if not runs:
            return None, {}
        steps = {
            stats.step_key: round(stats.end_time - stats.start_time, 2)
            for stats in instance.get_run_step_stats(runs[0].run_id)
            if stats.start_time is not None and stats.end_time is not None
        }
    return runs[0], steps


def approve_and_push(target: Project) -> StageUsage:
    """Release what the change guard held on the first load (as a steward would) and push it."""
    usage = StageUsage()
    started = time.monotonic()
    with target.database.session() as session:
        waiting = session.scalars(select(PushApproval.id).where(PushApproval.status == "waiting")).all()
    released = 0
    for approval_id in waiting:
        with target.database.session() as session:
            result = approve(session, approval_id, reason="benchmark: initial load", actor="benchmark")
        released += int(result.get("released", 0))
    if waiting:
        settings = load_settings(target.config_path)
        client = siasn_client(settings)
        try:
            Pusher(target.database, client, PushOptions.from_settings(settings.push)).run(recover=True)
        finally:
            client.close()
    usage.wall_seconds = time.monotonic() - started
    usage.extra.update({"approvals": len(waiting), "changes_released": released})
    return usage


@dataclass(frozen=True)
class Sanction:
    nip: str
    case_id: int
    published_at: str


def _mask(nip: str) -> str:
    return nip[:8] + "*" * (len(nip) - 12) + nip[-4:]


def publish_sanction(target: Project) -> Sanction:
    """An I'DIS sanction for the recommendation of a case that alone blocks an NIP in SIASN, published
    through the sandbox's control server a minute after the as-of instant (the clock moves there,
    still frozen, so the record is newer than any cursor; enforcement's day is unchanged)."""
    ledger = target.sandbox.ledger
    assert ledger is not None
    in_siasn = {nip for nip, state in ledger.snapshot()["blocks"].items() if state["status"] == BLOCKED}
    with target.database.session() as session:
        rows = session.execute(
            select(BlockState.nip, BlockState.case_ids)
            .where(BlockState.blocked.is_(True))
            .order_by(BlockState.nip)
        ).tuples()
        for nip, case_ids in rows:
            if nip not in in_siasn or len(case_ids) != 1:
                continue
            case = session.get(Case, case_ids[0])
            entry = session.get(AsnRegistryEntry, nip)
            if case is None or entry is None or not case.recommendation_no:
                continue
            break
        else:
            raise RuntimeError("no NIP is blocked in SIASN by exactly one case with a recommendation")
        sanction = case.recommended_sanction or "2"
        record = {"name": entry.name, "recommendation": case.recommendation_no, "instansi": case.instansi_id}
    now = target.as_of + timedelta(minutes=1)
    target.sandbox.clock.set(now, frozen=True)
    names = {str(code.id): code.nama for code in sanction_codes()}
    day = now.strftime("%d-%m-%Y")
    payload = {
        "id": uuid.uuid4().hex,
        "nipBaru": nip,
        "nama": record["name"],
        "nomorSk": f"800/BENCH-NATIONAL/{now:%Y}",
        "tanggalSk": day,
        "jenisHukumanId": sanction,
        "jenisHukumanNama": names.get(sanction),
        "tmtHukuman": day,
        "nomorRekomendasi": record["recommendation"],
        "instansiId": record["instansi"],
        "updatedAt": now.isoformat(),
    }
    ControlClient(target.sandbox.endpoints.control_url).post("idis/records", {"record": payload})
    log.info("published an I'DIS sanction for %s (case %d)", _mask(nip), case_ids[0])
    return Sanction(nip, case_ids[0], now.isoformat())


def unblocked_in_siasn(target: Project, nip: str) -> bool:
    ledger = target.sandbox.ledger
    assert ledger is not None
    state = ledger.snapshot()["blocks"].get(nip)
    return state is not None and state["status"] != BLOCKED


def run_stages(target: Project) -> dict[str, dict[str, Any]]:
    """Every stage once, in order; per stage its measurements (``StageUsage.as_dict``)."""
    out: dict[str, dict[str, Any]] = {}
    out["registry_refresh"] = run_job(target, REGISTRY_REFRESH_JOB, "registry_refresh").as_dict()
    out["full"] = run_job(target, FULL_CYCLE_JOB, "full").as_dict()
    out["approve_and_push"] = approve_and_push(target).as_dict()
    out["unchanged"] = run_job(target, FULL_CYCLE_JOB, "unchanged").as_dict()
    sanction = publish_sanction(target)
    one_change = run_job(target, FULL_CYCLE_JOB, "one_change")
    one_change.extra["sanction"] = {
        "nip": _mask(sanction.nip),
        "case_id": sanction.case_id,
        "published_at": sanction.published_at,
        "unblocked_in_siasn_after": unblocked_in_siasn(target, sanction.nip),
    }
    out["one_change"] = one_change.as_dict()
    return out
