"""Raw and validated layers: one ``raw/<source>`` and ``validated/<source>`` pair per source in
sbt.yaml, made by one factory, and ``reference/asn_registry`` from SIASN."""

import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import dagster as dg

from assets.keys import ASN_REGISTRY, raw_key, validated_key
from sbt_sync import pending
from sbt_sync.ingest.pull import PullResult, pull_http, pull_sftp
from sbt_sync.ingest.registry import refresh_mirror
from sbt_sync.ingest.staging import StagingResult, stage_pending, validated_in_run
from sbt_sync.resources import ConnectorsResource, DatabaseResource, SbtSettingsResource
from sbt_sync.settings import Settings
from sbt_sync.settings_sources import HttpSource, SftpSource
from schemas.feeds import FEEDS

# One policy for every layer that writes the product database: a database blip (a failover, a
# restart) is ridden out the same way by raw/ and validated/.
DB_RETRY = dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL)


def _pull_metadata(result: PullResult) -> dict[str, Any]:
    return {
        "fetched": result.fetched,
        "new": result.new,
        "changed": result.changed,
        "unchanged": result.unchanged,
        "duplicates": result.duplicates,
        "pages": result.pages,
        "files": result.files,
        "refused_files": dg.MetadataValue.json(result.refused_files),
        "bad_rows": result.bad_rows,
        "withdrawn_rows": result.withdrawn_rows,
        "cursor_before": str(result.cursor_before),
        "cursor_after": str(result.cursor_after),
        "duration_seconds": round(result.seconds, 3),
        "rows_per_second": round(result.fetched / result.seconds) if result.seconds > 0 else 0,
        "validated_while_landing": result.staging.validated if result.staging is not None else 0,
        "page_ceiling_reached": result.page_ceiling_reached,
        **({"validation_error": result.validation_error} if result.validation_error else {}),
    }


def _cursor_check(db: DatabaseResource, source: str, key: dg.AssetKey) -> dg.AssetCheckResult:
    with db.session() as session:
        regressions = pending.cursor_regressions(session, source)
    return dg.AssetCheckResult(
        asset_key=key,
        check_name="cursor_never_moves_backwards",
        passed=not regressions,
        metadata={"batches_moving_backwards": regressions},
    )


def _raw_asset(name: str, source: HttpSource | SftpSource) -> dg.AssetsDefinition:
    key = raw_key(name)

    @dg.asset(
        key=key,
        group_name="raw",
        description=f"{source.description or name}: records landed verbatim, versioned, with the cursor.",
        kinds={source.kind},
        check_specs=[dg.AssetCheckSpec("cursor_never_moves_backwards", asset=key)],
        retry_policy=DB_RETRY,
    )
    def raw(
        context: dg.AssetExecutionContext,
        db: DatabaseResource,
        connectors: ConnectorsResource,
        settings: SbtSettingsResource,
    ) -> Iterator[dg.Output[None] | dg.AssetCheckResult]:
        feed = FEEDS[name]
        if isinstance(source, HttpSource):
            client, paginator = connectors.http(name)
            try:
                result = pull_http(
                    db.database,
                    source=name,
                    feed=feed,
                    paginator=paginator,
                    run_id=context.run.run_id,
                    max_pages=source.paging.max_pages,
                )
            finally:
                retries = client.stats.retries
                client.close()
        else:
            workdir = settings.get().resolve_path(f"var/downloads/{name}")
            with connectors.sftp(name) as reader:
                result = pull_sftp(
                    db.database,
                    source=name,
                    settings=source,
                    feed=feed,
                    reader=reader,
                    workdir=workdir,
                    run_id=context.run.run_id,
                )
                retries = reader.stats.retries
        context.log.info(
            "%s: fetched %d (new %d, changed %d, unchanged %d) in %d pages / %d files",
            name,
            result.fetched,
            result.new,
            result.changed,
            result.unchanged,
            result.pages,
            result.files,
        )
        yield dg.Output(None, metadata={**_pull_metadata(result), "retries": retries})
        yield _cursor_check(db, name, key)

    return raw


def rate(rows: int, seconds: float) -> dict[str, Any]:
    """Duration and rows per second, for an asset's metadata."""
    return {
        "duration_seconds": round(seconds, 3),
        "rows_per_second": round(rows / seconds, 1) if seconds > 0 else None,
    }


def _staging_metadata(result: StagingResult) -> dict[str, Any]:
    return {
        "validated": result.validated,
        "staged_new": result.staged_new,
        "staged_changed": result.staged_changed,
        "staged_unchanged": result.staged_unchanged,
        "withdrawn": result.withdrawn,
        "quarantined_rows": result.quarantined_rows,
        "quarantine_ratio": round(result.quarantine_ratio, 4),
        "quarantine_sample": dg.MetadataValue.json(result.sample),
        "failures_by_check": dg.MetadataValue.json(dict(result.failures_by_check)),
    }


def _quarantine_check(
    db: DatabaseResource, name: str, source: HttpSource | SftpSource, result: StagingResult
) -> dg.AssetCheckResult:
    """Fails when this batch (if large enough to judge) or the source overall is too often bad."""
    with db.session() as session:
        load = pending.quarantine_load(session, name)
    total, overall = load.records, load.ratio
    limit, minimum = source.quarantine_threshold, source.quarantine_min_records
    batch_bad = result.validated >= minimum and result.quarantine_ratio > limit
    overall_bad = total >= minimum and overall > limit
    return dg.AssetCheckResult(
        check_name="quarantine_ratio",
        passed=not (batch_bad or overall_bad),
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "batch_ratio": round(result.quarantine_ratio, 4),
            "batch_records": result.validated,
            "overall_ratio": round(overall, 4),
            "overall_records": total,
            "threshold": limit,
            "min_records": minimum,
        },
        description="Too much of this source is quarantined; nothing downstream acts on it until "
        "the source is fixed or a steward marks the rows.",
    )


def _validated_asset(name: str, source: HttpSource | SftpSource) -> dg.AssetsDefinition:
    key = validated_key(name)

    @dg.asset(
        key=key,
        group_name="validated",
        description=f"{name}: records checked against the feed contract; bad rows quarantined, "
        "good rows staged.",
        deps=[raw_key(name)],
        kinds={"pandera"},
        check_specs=[
            dg.AssetCheckSpec("quarantine_ratio", asset=key, blocking=True),
            dg.AssetCheckSpec("schema_drift", asset=key),
        ],
        retry_policy=DB_RETRY,
    )
    def validated(
        context: dg.AssetExecutionContext, db: DatabaseResource
    ) -> Iterator[dg.Output[None] | dg.AssetCheckResult]:
        # HTTP batches are validated in their landing transaction (pull_http); what they found is
        # stored with each batch. Anything still pending (SFTP files, a batch landed while validation
        # was broken, records landed by an older version) is validated here.
        started = time.monotonic()
        result = validated_in_run(db.database, name, context.run.run_id)
        result.merge(stage_pending(db.database, source=name, feed=FEEDS[name]))
        seconds = time.monotonic() - started
        context.log.info(
            "%s: validated %d records; staged %d new, %d changed; quarantined %d rows",
            name,
            result.validated,
            result.staged_new,
            result.staged_changed,
            result.quarantined_rows,
        )
        yield dg.Output(None, metadata=_staging_metadata(result) | rate(result.validated, seconds))
        yield _quarantine_check(db, name, source, result)
        drift = sorted(result.unknown_columns) + [f"missing:{c}" for c in sorted(result.missing_columns)]
        yield dg.AssetCheckResult(
            check_name="schema_drift",
            passed=not drift,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"columns": dg.MetadataValue.json(drift)},
        )

    return validated


class RegistryConfig(dg.Config):
    """Set under the registry asset's op name (``assets.keys.REGISTRY_OP``)."""

    full: bool = False
    """A full pass over the whole registry (the ``registry_refresh`` job). Otherwise, as in every cycle:
    the rows SIASN changed since the last pass (where it lists them) and a per-NIP lookup of the ASN
    who matter now; a full pass only while the mirror is still empty (the first load)."""


@dg.asset(
    key=ASN_REGISTRY,
    group_name="reference",
    kinds={"siasn"},
    retry_policy=DB_RETRY,
)
def asn_registry(
    context: dg.AssetExecutionContext,
    config: RegistryConfig,
    db: DatabaseResource,
    connectors: ConnectorsResource,
    settings: SbtSettingsResource,
) -> dg.MaterializeResult:
    """The ASN identity reference: SIASN's registry (NIP, name, birth date, instansi, Kanreg, status)."""
    siasn = settings.get().siasn
    assert siasn is not None  # the asset exists only with a siasn section
    client = connectors.siasn()
    try:
        passes = refresh_mirror(
            db.database,
            client,
            full=config.full,
            changed_since=siasn.registry_changed_since,
            overlap=timedelta(minutes=siasn.registry_changes_overlap_minutes),
            lookup_concurrency=siasn.registry_lookup_concurrency,
        )
    finally:
        client.close()
    metadata: dict[str, Any] = {"mode": "full" if "full" in passes else "incremental"}
    for name, result in passes.items():
        context.log.info(
            "registry %s: %d read (%d new, %d changed, %d rejected) in %d pages, %.0f rows/s; %d staged "
            "rows marked for reconciliation",
            name,
            result.fetched,
            result.new,
            result.changed,
            result.rejected,
            result.pages,
            result.fetched / result.seconds if result.seconds else 0.0,
            result.staged_flagged,
        )
        metadata[name] = dg.MetadataValue.json(result.as_dict())
    total = list(passes.values())
    metadata |= {
        "fetched": sum(r.fetched for r in total),
        "new": sum(r.new for r in total),
        "changed": sum(r.changed for r in total),
        "staged_flagged": sum(r.staged_flagged for r in total),
        "case_changes": dg.MetadataValue.json(
            dict(sorted(sum((r.case_changes for r in total), Counter()).items()))
        ),
        "pass_completed": all(r.completed for r in total),
    }
    return dg.MaterializeResult(metadata=metadata)


def build_ingestion_assets(settings: Settings) -> list[dg.AssetsDefinition]:
    """The raw/validated pair of every enabled source with a feed contract, and the registry."""
    built: list[dg.AssetsDefinition] = []
    for name, source in sorted(settings.sources.items()):
        if source.enabled and name in FEEDS:
            built += [_raw_asset(name, source), _validated_asset(name, source)]
    if settings.siasn is not None:
        built.append(asn_registry)
    return built
