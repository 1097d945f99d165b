"""Raw and validated layers: one ``raw/<source>`` and ``validated/<source>`` pair per source in
sbt.yaml, made by one op per source (``ingest_<source>``, a subsettable multi-asset), and
``reference/asn_registry`` from SIASN."""

import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import dagster as dg

from assets.keys import ASN_REGISTRY, ingest_op, raw_key, validated_key
from sbt_sync import pending, source_holds
from sbt_sync.ingest.drift import judge_run
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
        "withdrawals_deferred": result.withdrawals_deferred,
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
        "stale": result.stale,
        "withdrawn": result.withdrawn,
        "quarantined_rows": result.quarantined_rows,
        "nips_rejected": result.nips_rejected,
        "quarantine_ratio": round(result.quarantine_ratio, 4),
        "quarantine_sample": dg.MetadataValue.json(result.sample),
        "failures_by_check": dg.MetadataValue.json(dict(result.failures_by_check)),
    }


def _source_checks(
    context: dg.AssetExecutionContext,
    db: DatabaseResource,
    name: str,
    source: HttpSource | SftpSource,
    result: StagingResult,
    key: dg.AssetKey,
) -> tuple[dg.AssetCheckResult, dg.AssetCheckResult]:
    """The two blocking checks on what this run validated: the bad-row ratio (this batch, if large
    enough to judge, or the source overall too often bad) and schema drift (a column the source has
    been sending stopped arriving, :mod:`sbt_sync.ingest.drift`).

    Their joint verdict is kept in ``source_holds`` in the same transaction that judged it: while it
    stands, no later run reconciles the source's changed rows (:mod:`sbt_sync.source_holds`)."""
    limit, minimum = source.quarantine_threshold, source.quarantine_min_records
    # The write lock before the first read (SQLite): the verdict is written after the reads.
    with db.database.session(write=True) as session:
        load = pending.quarantine_load(session, name)
        total, overall = load.records, load.ratio
        batch_bad = result.validated >= minimum and result.quarantine_ratio > limit
        overall_bad = total >= minimum and overall > limit
        ratio_passed = not (batch_bad or overall_bad)
        metadata: dict[str, Any] = {
            "batch_ratio": round(result.quarantine_ratio, 4),
            "batch_records": result.validated,
            "overall_ratio": round(overall, 4),
            "overall_records": total,
            "threshold": limit,
            "min_records": minimum,
        }
        drift = judge_run(
            session,
            FEEDS[name],
            name,
            context.run.run_id,
            result,
            min_rows=source.schema_drift_min_rows,
            chance=source.schema_drift_chance,
        )
        held = source_holds.record_verdict(
            session,
            name,
            passed=ratio_passed and drift.passed,
            verdict=metadata | {"quarantine_passed": ratio_passed, "schema_drift": drift.metadata()},
        )
    if not drift.passed:
        context.log.warning(
            "%s: columns the source has been sending are missing from every row of this run: %s; "
            "nothing downstream acts on the source until it sends them or a steward releases it",
            name,
            ", ".join(d.column for d in drift.blocking),
        )
    ratio = dg.AssetCheckResult(
        asset_key=key,
        check_name="quarantine_ratio",
        passed=ratio_passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata | {"source_held": held},
        description="Too much of this source is quarantined; nothing downstream acts on it until "
        "the source is fixed or a steward marks the rows.",
    )
    drifted = dg.AssetCheckResult(
        asset_key=key,
        check_name="schema_drift",
        passed=drift.passed,
        severity=dg.AssetCheckSeverity.ERROR if not drift.passed else dg.AssetCheckSeverity.WARN,
        metadata={
            "columns": dg.MetadataValue.json(
                sorted(result.unknown_columns) + [f"missing:{c}" for c in drift.absent]
            ),
            "drift": dg.MetadataValue.json(drift.metadata()),
            "source_held": held,
        },
        description="Columns the source has been sending are missing from every row of this run; nothing "
        "downstream acts on the source until it sends them again or a steward releases it.",
    )
    return ratio, drifted


def _pull(
    context: dg.AssetExecutionContext,
    name: str,
    source: HttpSource | SftpSource,
    *,
    validate: bool,
    db: DatabaseResource,
    connectors: ConnectorsResource,
    settings: SbtSettingsResource,
) -> tuple[PullResult, int]:
    """Land ``name``'s new records (an HTTP source's batches validated in their landing transaction
    when ``validate``); the result and the connector's retries."""
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
                validate=validate,
                max_pages=source.paging.max_pages,
            )
        finally:
            retries = client.stats.retries
            client.close()
        return result, retries
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
        return result, reader.stats.retries


def _validate(
    context: dg.AssetExecutionContext, name: str, db: DatabaseResource
) -> tuple[StagingResult, float]:
    """What this run validated: the batches it validated while landing (HTTP), and everything still
    pending (SFTP files, a batch landed while validation was broken, records an older version landed)."""
    started = time.monotonic()
    result = validated_in_run(db.database, name, context.run.run_id)
    result.merge(stage_pending(db.database, source=name, feed=FEEDS[name]))
    return result, time.monotonic() - started


def _source_assets(name: str, source: HttpSource | SftpSource) -> dg.AssetsDefinition:
    """``raw/<name>`` and ``validated/<name>``, made by one op: the op that validates is the one that
    reports it, for both protocols.

    An HTTP source's batches are validated in their landing transaction (records, cursor, staged rows
    and quarantine commit together); an SFTP source's files are validated after they land. Either way
    ``validated/<name>`` reports every record this run validated and carries the blocking quarantine
    check. Selected alone, ``raw/<name>`` lands without validating (the records stay pending) and
    ``validated/<name>`` validates whatever is pending.
    """
    raw, validated = raw_key(name), validated_key(name)

    @dg.multi_asset(
        name=ingest_op(name),
        specs=[
            dg.AssetSpec(
                raw,
                group_name="raw",
                description=f"{source.description or name}: records landed verbatim, versioned, "
                "with the cursor.",
                kinds={source.kind},
            ),
            dg.AssetSpec(
                validated,
                group_name="validated",
                description=f"{name}: records checked against the feed contract; bad rows quarantined, "
                "good rows staged.",
                deps=[raw],
                kinds={"pandera"},
            ),
        ],
        check_specs=[
            dg.AssetCheckSpec("cursor_never_moves_backwards", asset=raw),
            dg.AssetCheckSpec("quarantine_ratio", asset=validated, blocking=True),
            dg.AssetCheckSpec("schema_drift", asset=validated, blocking=True),
        ],
        can_subset=True,
        retry_policy=DB_RETRY,
    )
    def ingest(
        context: dg.AssetExecutionContext,
        db: DatabaseResource,
        connectors: ConnectorsResource,
        settings: SbtSettingsResource,
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        selected = context.selected_asset_keys
        if raw in selected:
            pulled, retries = _pull(
                context,
                name,
                source,
                validate=validated in selected,
                db=db,
                connectors=connectors,
                settings=settings,
            )
            context.log.info(
                "%s: fetched %d (new %d, changed %d, unchanged %d) in %d pages / %d files",
                name,
                pulled.fetched,
                pulled.new,
                pulled.changed,
                pulled.unchanged,
                pulled.pages,
                pulled.files,
            )
            yield dg.MaterializeResult(asset_key=raw, metadata={**_pull_metadata(pulled), "retries": retries})
            yield _cursor_check(db, name, raw)
        if validated in selected:
            staged, seconds = _validate(context, name, db)
            context.log.info(
                "%s: validated %d records; staged %d new, %d changed; quarantined %d rows",
                name,
                staged.validated,
                staged.staged_new,
                staged.staged_changed,
                staged.quarantined_rows,
            )
            yield dg.MaterializeResult(
                asset_key=validated, metadata=_staging_metadata(staged) | rate(staged.validated, seconds)
            )
            yield from _source_checks(context, db, name, source, staged, validated)

    return ingest


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
        if result.failed or result.error:
            # The mirror is applied as far as SIASN answered; the cycle goes on from it.
            context.log.warning(
                "registry %s not completed: %d lookups failed (e.g. %s)%s",
                name,
                result.failed,
                "; ".join(result.failed_sample) or "-",
                f"; stopped early: {result.error}" if result.error else "",
            )
        metadata[name] = dg.MetadataValue.json(result.as_dict())
    total = list(passes.values())
    metadata |= {
        "fetched": sum(r.fetched for r in total),
        "new": sum(r.new for r in total),
        "changed": sum(r.changed for r in total),
        "staged_flagged": sum(r.staged_flagged for r in total),
        "lookups_failed": sum(r.failed for r in total),
        "case_changes": dg.MetadataValue.json(
            dict(sorted(sum((r.case_changes for r in total), Counter()).items()))
        ),
        "pass_completed": all(r.completed for r in total),
    }
    return dg.MaterializeResult(metadata=metadata)


def build_ingestion_assets(settings: Settings) -> list[dg.AssetsDefinition]:
    """The raw/validated op of every enabled source with a feed contract, and the registry."""
    built: list[dg.AssetsDefinition] = []
    for name, source in sorted(settings.sources.items()):
        if source.enabled and name in FEEDS:
            built.append(_source_assets(name, source))
    if settings.siasn is not None:
        built.append(asn_registry)
    return built
