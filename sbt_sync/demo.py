"""The demo: generate an election's worth of sandbox data, serve it on loopback, and run full cycles
through Dagster while the sandbox clock moves from the start of the scenario to its end.

Everything stays under the project folder: the sandbox data and state in ``var/sandbox``, a derived
configuration pointing at the running sandbox in ``var/demo/sbt.yaml``, the product database and
Dagster's storage as ``sbt.yaml`` and ``dagster.yaml`` say.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from sqlalchemy import func, select

from sbt_sync.db import migrate
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, QuarantinedRow, RawRecord, StagedRecord
from sbt_sync.errors import SbtError
from sbt_sync.sandbox.generate import generate_sandbox
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.sandbox.wiring import sandbox_config, sandbox_secrets
from sbt_sync.settings import Settings

log = logging.getLogger(__name__)

Scale = Literal["small", "election", "national"]


@dataclass
class CycleReport:
    clock: str
    run_id: str
    success: bool
    materialized: int


@dataclass
class DemoReport:
    data_dir: Path
    config_path: Path
    database: str
    cycles: list[CycleReport] = field(default_factory=list)
    per_source: dict[str, dict[str, int]] = field(default_factory=dict)
    registry: int = 0
    truth_quarantine: int = 0


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Secrets for this process only, restored afterwards (never written to disk or logged)."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def prepare_data(settings: Settings, *, seed: int, scale: Scale) -> Path:
    """Sandbox data for ``(seed, scale)`` under var/sandbox, generated once and reused."""
    data_dir = settings.resolve_path(f"var/sandbox/data-{scale}-{seed}")
    if not (data_dir / "manifest.json").exists():
        generate_sandbox(seed=seed, scale=scale, out=data_dir)
    return data_dir


def run_demo(
    settings: Settings,
    *,
    seed: int,
    scale: Scale,
    run_cycle: Callable[[Path], tuple[str, bool, int]],
    progress: Callable[[str], None],
) -> DemoReport:
    """Serve the sandbox and run a cycle at the scenario's start, at its as-of date and at its end.

    ``run_cycle(config_path)`` runs one full Dagster cycle and returns ``(run id, success, number of
    materializations)``. Raises :class:`SbtError` when a cycle fails.
    """
    data_dir = prepare_data(settings, seed=seed, scale=scale)
    manifest = json.loads((data_dir / "manifest.json").read_text(encoding="utf-8"))
    database = Database(settings.database_url)
    migrate.upgrade(database)
    demo_dir = settings.resolve_path("var/demo")
    demo_dir.mkdir(parents=True, exist_ok=True)
    config_path = demo_dir / "sbt.yaml"
    report = DemoReport(data_dir=data_dir, config_path=config_path, database=settings.database_url)
    base: dict[str, Any] = yaml.safe_load(settings.config_path.read_text(encoding="utf-8"))
    base.setdefault("database", {})["url"] = settings.database_url
    with Sandbox(data_dir, state_dir=settings.resolve_path("var/sandbox/state")) as sandbox:
        config = sandbox_config(base, sandbox.endpoints)
        config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        with _environment(sandbox_secrets(config, sandbox.credentials, sandbox.endpoints)):
            for label in ("start", "as_of", "end"):
                instant = datetime.fromisoformat(manifest["clock"][label])
                sandbox.clock.set(instant, frozen=True)
                progress(f"cycle at sandbox clock {instant.isoformat()} ({label})")
                run_id, success, count = run_cycle(config_path)
                report.cycles.append(CycleReport(instant.isoformat(), run_id, success, count))
                if not success:
                    raise SbtError(f"the Dagster run {run_id} failed at {label}; see `make dagster-dev`")
    _summarise(database, report, data_dir)
    database.dispose()
    return report


def _summarise(database: Database, report: DemoReport, data_dir: Path) -> None:
    with database.session() as session:
        for model, column in ((RawRecord, "raw"), (StagedRecord, "staged")):
            for source, count in session.execute(select(model.source, func.count()).group_by(model.source)):
                report.per_source.setdefault(source, {})[column] = count
        open_rows = select(QuarantinedRow.source, func.count()).where(QuarantinedRow.status == "open")
        for source, count in session.execute(open_rows.group_by(QuarantinedRow.source)):
            report.per_source.setdefault(source, {})["quarantined"] = count
        report.registry = session.scalar(select(func.count()).select_from(AsnRegistryEntry)) or 0
    truth = data_dir / "truth" / "quarantine.jsonl"
    report.truth_quarantine = len(truth.read_text(encoding="utf-8").splitlines()) if truth.exists() else 0
