"""The composition root: every asset, job and resource of sbt-sync, wired in one place.

``dagster dev -m sbt_sync.definitions`` and ``dagster definitions validate -m sbt_sync.definitions``
load this module, and ``dg check defs`` / ``dg list defs`` (``[tool.dg]`` in pyproject.toml). Importing
it reads nothing: :func:`defs` is lazy (``@dg.definitions``), so ``sbt.yaml`` (or ``SBT_CONFIG``) is read
when a Dagster tool loads the definitions; resources resolve the database URL and secrets only when a
run sets them up.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg

import assets.enforcement
import assets.letters
import assets.pdp
import assets.reports
import assets.sync
from assets.automation import build_automation
from assets.freshness import with_freshness
from assets.golden import build_golden_assets
from assets.imut import build_imut_assets
from assets.ingestion import build_ingestion_assets
from assets.keys import FULL_CYCLE_JOB, REGISTRY_REFRESH_JOB
from assets.run_ledger import LEDGER_SENSORS
from sbt_sync import runs
from sbt_sync.db.engine import Database
from sbt_sync.resources import ConnectorsResource, DatabaseResource, SbtSettingsResource
from sbt_sync.settings import load_settings

__all__ = [
    "FULL_CYCLE_JOB",
    "REGISTRY_REFRESH_JOB",
    "StageProgress",
    "build_definitions",
    "defs",
    "project_instance",
    "run_full_cycle",
]


def build_definitions(*, config_path: str | None = None, database_url: str | None = None) -> dg.Definitions:
    """All definitions; tests pass a config file and a throwaway database URL."""
    # The asset graph follows sbt.yaml's sources; reading the file here reads no secret.
    config = load_settings(config_path)
    settings = SbtSettingsResource(config_path=str(config.config_path))
    built = [
        *build_ingestion_assets(config),
        *build_golden_assets(config),
        *build_imut_assets(config),
        *dg.load_assets_from_modules([assets.enforcement, assets.letters, assets.sync, assets.reports]),
    ]
    all_assets = with_freshness([a for a in built if isinstance(a, dg.AssetsDefinition)], config)
    asset_keys = {key for a in all_assets for key in a.keys}
    automation = build_automation(config, asset_keys=asset_keys)
    return dg.Definitions(
        assets=all_assets,
        asset_checks=dg.load_asset_checks_from_modules([assets.enforcement]),
        jobs=[*automation.jobs, assets.pdp.retention_purge_job],
        schedules=[*automation.schedules, assets.pdp.retention_schedule(config)],
        sensors=[*automation.sensors, *LEDGER_SENSORS],
        resources={
            "settings": settings,
            "db": DatabaseResource(settings=settings, url=database_url),
            "connectors": ConnectorsResource(settings=settings),
        },
    )


@dg.definitions
def defs() -> dg.Definitions:
    """The code location's definitions, built when a Dagster tool loads them (``dagster dev``,
    ``dagster-daemon``, ``dg check defs``), not when this module is imported: importing it reads no
    settings file (tests/test_definitions.py imports it with no ``sbt.yaml`` present)."""
    return build_definitions()


@contextmanager
def project_instance(project_dir: Path) -> Iterator[dg.DagsterInstance]:
    """The project's persistent Dagster instance (``dagster.yaml`` in ``project_dir``).

    Dagster resolves the storage folder of ``dagster.yaml`` against the working directory, so the
    instance is opened from the project folder and the previous directory restored afterwards.
    """
    previous_home = os.environ.get("DAGSTER_HOME")
    previous_cwd = Path.cwd()
    os.environ["DAGSTER_HOME"] = str(project_dir)
    os.chdir(project_dir)
    try:
        with dg.DagsterInstance.get() as instance:
            yield instance
    finally:
        os.chdir(previous_cwd)
        if previous_home is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = previous_home


def run_full_cycle(
    *,
    config_path: Path,
    project_dir: Path,
    as_of: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> dg.ExecuteInProcessResult:
    """Run the full-cycle job in this process on the project's Dagster instance.

    ``as_of`` is the day enforcement decides for (default: today); the demo passes the sandbox's day.
    ``progress`` is told of each stage as it ends (:class:`StageProgress`).
    """
    definitions = build_definitions(config_path=str(config_path.resolve()))
    job = definitions.resolve_job_def(FULL_CYCLE_JOB)
    # Dagster's console logger defaults to DEBUG; the demo reports its own summary.
    run_config: dict[str, Any] = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    if as_of is not None:
        day = {"config": {"as_of": as_of.isoformat()}}
        run_config["ops"] = {"enforcement__block_state": day, "golden__imut_findings": day}
    run_id = str(uuid.uuid4())  # Dagster run ids are UUID4 strings
    with project_instance(project_dir) as instance:
        if progress is not None:
            instance.add_event_listener(run_id, StageProgress(progress))
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, run_config=run_config, run_id=run_id
        )
    # No daemon watches an in-process run: its end goes to the run ledger from here.
    settings = load_settings(config_path)
    database = Database(settings.database_url)
    try:
        failure = next(iter(result.get_step_failure_events()), None)
        runs.record_end(
            database,
            run_id=run_id,
            job=FULL_CYCLE_JOB,
            succeeded=result.success,
            error=failure.message if failure is not None else None,
            as_of=as_of,
        )
    finally:
        database.dispose()
    return result


class StageProgress:
    """Says each stage (asset step) of a run as it ends, with its seconds and the rows it reports.

    A listener of Dagster's event stream (``DagsterInstance.add_event_listener``): the demo prints the
    stages of a cycle while it runs instead of one line per cycle.
    """

    SHOWN = (
        "fetched",
        "rows_per_second",
        "validated",
        "quarantined_rows",
        "staged_changed",
        "records_in_scope",
    )
    """Metadata worth a glance, said when an asset reports it (at most four per stage, each once)."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.started: dict[str, float] = {}
        self.rows: dict[str, str] = {}
        self.assets: dict[str, list[str]] = {}
        self.said: dict[str, set[str]] = {}

    def __call__(self, entry: Any) -> None:
        event = getattr(entry, "dagster_event", None)
        if event is None or event.step_key is None:
            return
        kind, step = event.event_type_value, event.step_key
        if kind == "STEP_START":
            self.started[step] = entry.timestamp
        elif kind == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            self.assets.setdefault(step, []).append(materialization.asset_key.to_user_string())
            metadata = materialization.metadata
            # A source's step lands and validates: what each asset reported, in turn, each key once.
            said = self.said.setdefault(step, set())
            fresh = [key for key in self.SHOWN if key in metadata and key not in said][: 4 - len(said)]
            said.update(fresh)
            shown = ", ".join(f"{key} {metadata[key].value}" for key in fresh)
            if shown:
                self.rows[step] = ", ".join(filter(None, [self.rows.get(step), shown]))
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            seconds = entry.timestamp - self.started.pop(step, entry.timestamp)
            outcome = "done" if kind == "STEP_SUCCESS" else "FAILED"
            rows = self.rows.pop(step, None)
            detail = f", {rows}" if rows else ""
            # Named by what the step made ("raw/bawaslu + validated/bawaslu"), else by the step.
            made = " + ".join(self.assets.pop(step, [])) or step.replace("__", "/")
            self.said.pop(step, None)
            self.say(f"  {made}: {outcome} in {seconds:.1f} s{detail}")
