"""Golden layer: ``golden/cases``, the one agreed dataset of cases reconciled from every source."""

import time
from collections.abc import Iterator
from typing import Any

import dagster as dg

from assets.ingestion import rate
from assets.keys import ASN_REGISTRY, GOLDEN_CASES, validated_key
from sbt_sync.reconcile.integrity import integrity_violations
from sbt_sync.reconcile.run import ReconcileStats, reconcile_database
from sbt_sync.resources import DatabaseResource, SbtSettingsResource
from sbt_sync.settings import Settings
from schemas.feeds import CASELESS_SOURCES


def _metadata(stats: ReconcileStats) -> dict[str, Any]:
    golden, identity = stats.golden, stats.identity
    return {
        "full_run": stats.full,
        "staged_changed": stats.staged_changed,
        "decisions_new": stats.decisions_new,
        "records_in_scope": stats.scope_records,
        "cases_recomputed": golden.cases_recomputed,
        "cases_created": golden.cases_created,
        "cases_changed": golden.cases_changed,
        "cases_renamed": golden.cases_renamed,
        "cases_removed": golden.cases_removed,
        "links_added": golden.links_added,
        "links_removed": golden.links_removed,
        "identity_examined": identity.examined,
        "identity_linked": identity.linked,
        "identity_conflicts": identity.conflicts,
        "identity_unresolved": identity.unresolved,
        "identity_rules": dg.MetadataValue.json(identity.rules),
        "conflicts_opened": golden.conflicts_opened + identity.conflicts_opened,
        "conflicts_closed": golden.conflicts_closed + identity.conflicts_closed,
        "open_conflicts": dg.MetadataValue.json(stats.open_conflicts),
        "steward_sanctions_waiting": stats.steward_sanctions_waiting,
        # Kept values computed under rules that changed since (an upgrade, sbt.yaml): recomputed here.
        "rules_stale": dg.MetadataValue.json(stats.rules.stale),
        "names_renormalised": stats.rules.registry_renormalised + stats.rules.staged_renormalised,
    }


def build_golden_assets(settings: Settings) -> list[dg.AssetsDefinition]:
    """``golden/cases`` depending on every validated source of neutrality records and the registry
    (I-MUT's personnel actions feed ``golden/imut_findings``, not the cases: a change there does not
    reconcile again)."""
    deps = [
        validated_key(name)
        for name, source in sorted(settings.sources.items())
        if source.enabled and name not in CASELESS_SOURCES
    ]
    if settings.siasn is not None:
        deps.append(ASN_REGISTRY)

    @dg.asset(
        key=GOLDEN_CASES,
        group_name="golden",
        deps=deps,
        kinds={"sqlite", "postgres"},
        check_specs=[dg.AssetCheckSpec("integrity", asset=GOLDEN_CASES, blocking=True)],
    )
    def golden_cases(
        context: dg.AssetExecutionContext, db: DatabaseResource, settings: SbtSettingsResource
    ) -> Iterator[dg.Output[None] | dg.AssetCheckResult]:
        """The golden dataset: cases linked across sources, fields by survivorship, conflicts, status."""
        started = time.monotonic()
        stats = reconcile_database(db.database, settings.get())
        seconds = time.monotonic() - started
        context.log.info(
            "reconciled %d changed records (%d new decisions): %d cases recomputed, %d created, "
            "%d changed, %d removed; open conflicts %s",
            stats.staged_changed,
            stats.decisions_new,
            stats.golden.cases_recomputed,
            stats.golden.cases_created,
            stats.golden.cases_changed,
            stats.golden.cases_removed,
            stats.open_conflicts,
        )
        yield dg.Output(None, metadata=_metadata(stats) | rate(stats.scope_records, seconds))
        violations = integrity_violations(db.database)
        yield dg.AssetCheckResult(
            check_name="integrity",
            passed=not any(violations.values()),
            metadata={name: count for name, count in violations.items()},
            description="Key uniqueness and referential integrity of cases, links and NIPs.",
        )

    return [golden_cases]
