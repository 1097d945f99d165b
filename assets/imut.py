"""I-MUT findings: ``golden/imut_findings``, the personnel actions I-MUT delivered, evaluated against the
election calendar, the blocks SIASN holds and the neutrality cases (issue 17)."""

from datetime import date

import dagster as dg
from pydantic import Field

from assets.keys import GOLDEN_CASES, IMUT_FINDINGS, SIASN_FLAGS, validated_key
from connectors.siasn import SiasnClient
from sbt_sync.imut.run import evaluate_database, today
from sbt_sync.resources import ConnectorsResource, DatabaseResource, SbtSettingsResource
from sbt_sync.settings import Settings
from schemas.feeds.imut import FEED


class ImutConfig(dg.Config):
    as_of: str | None = Field(
        default=None,
        description="The day to evaluate for (YYYY-MM-DD); default: today in sbt.yaml's schedule timezone. "
        "The demo passes the sandbox clock's day.",
    )


def build_imut_assets(settings: Settings) -> list[dg.AssetsDefinition]:
    """``golden/imut_findings`` after the I-MUT source, the golden cases and the SIASN push (a block
    the cycle just delivered is a block the cycle's findings see)."""
    deps = [GOLDEN_CASES, SIASN_FLAGS]
    source = settings.sources.get(FEED.source)
    if source is not None and source.enabled:
        deps.append(validated_key(FEED.source))

    @dg.asset(key=IMUT_FINDINGS, group_name="golden", deps=deps, kinds={"python"})
    def imut_findings(
        context: dg.AssetExecutionContext,
        config: ImutConfig,
        db: DatabaseResource,
        settings: SbtSettingsResource,
        connectors: ConnectorsResource,
    ) -> dg.MaterializeResult:
        """I-MUT findings per personnel action and rule, re-evaluated every cycle, for the stewards."""
        cfg = settings.get()
        as_of = date.fromisoformat(config.as_of) if config.as_of else today(cfg)
        client: SiasnClient | None = connectors.siasn() if cfg.siasn is not None else None
        try:
            stats = evaluate_database(db.database, cfg, as_of=as_of, siasn=client)
        finally:
            if client is not None:
                client.close()
        context.log.info(
            "I-MUT as of %s: %d actions (%d withdrawn at the source, %d duplicate deliveries set aside), "
            "%d findings opened, %d changed, %d closed, %d reopened; open %s",
            as_of,
            stats.actions,
            stats.withdrawn,
            stats.duplicates,
            stats.opened,
            stats.changed,
            stats.closed,
            stats.reopened,
            stats.open_by_rule,
        )
        return dg.MaterializeResult(
            metadata={
                "as_of": as_of.isoformat(),
                "actions": stats.actions,
                "withdrawn": stats.withdrawn,
                "duplicates": stats.duplicates,
                "unreadable": stats.unreadable,
                "siasn_lookups": stats.siasn_lookups,
                "findings_opened": stats.opened,
                "findings_changed": stats.changed,
                "findings_closed": stats.closed,
                "findings_reopened": stats.reopened,
                "open_by_rule": dg.MetadataValue.json(stats.open_by_rule),
            }
        )

    return [imut_findings]
