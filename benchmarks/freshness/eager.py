"""The declarative-automation contender (``--automation eager``): the product's definitions with the
propagation downstream of a source moved from the sensors' jobs to ``AutomationCondition.eager()``.

What changes against ``sbt_sync.definitions``: a source's sensor requests only ``raw/<source>`` and
``validated/<source>``; every asset downstream of a validated source carries ``eager()``; one
automation-condition sensor (every 30 s, Dagster's default, runs tagged for the one-writer queue)
requests what eager selects, and runs execute in one process as the product's jobs do. The sensors for
external events (sources, steward decisions, due pushes) and the schedules stay as shipped.

A code location for the benchmark only (``dagster-daemon run -m benchmarks.freshness.eager``): it
measures what adopting eager would cost before the product adopts it.
"""

from __future__ import annotations

import dagster as dg

from assets.keys import DB_WRITE_TAGS, raw_key, source_job, validated_key
from assets.schedule import write_job
from sbt_sync.definitions import build_definitions
from sbt_sync.settings import load_settings

EAGER_SENSOR = "eager_downstream"
EAGER_SENSOR_SECONDS = 30


def eager_definitions(config_path: str | None = None) -> dg.Definitions:
    product = build_definitions(config_path=config_path)
    settings = load_settings(config_path)
    graph = product.resolve_asset_graph()
    keys = graph.get_all_asset_keys()
    sources = [name for name in sorted(settings.sources) if {raw_key(name), validated_key(name)} <= keys]
    landed = {k for name in sources for k in (raw_key(name), validated_key(name))}
    downstream = dg.AssetSelection.assets(*landed).downstream().resolve(graph) - landed
    eager = dg.AutomationCondition.eager()

    def mark(spec: dg.AssetSpec) -> dg.AssetSpec:
        return spec.replace_attributes(automation_condition=eager) if spec.key in downstream else spec

    assets = [a.map_asset_specs(mark) for a in product.assets or [] if isinstance(a, dg.AssetsDefinition)]
    landing_jobs = {
        source_job(name): write_job(
            source_job(name),
            dg.AssetSelection.assets(raw_key(name), validated_key(name)),
            f"Ingest {name}; what follows is eager.",
        )
        for name in sources
    }
    jobs = [landing_jobs.get(job.name, job) for job in product.jobs or []]
    sensor = dg.AutomationConditionSensorDefinition(
        EAGER_SENSOR,
        target=dg.AssetSelection.assets(*downstream),
        run_tags=DB_WRITE_TAGS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=EAGER_SENSOR_SECONDS,
    )
    return dg.Definitions(
        assets=assets,
        asset_checks=product.asset_checks,
        jobs=jobs,
        schedules=product.schedules,
        sensors=[*(product.sensors or []), sensor],
        resources=product.resources,
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    return eager_definitions()
