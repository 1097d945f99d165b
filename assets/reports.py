"""Reports layer: what the product database holds after a cycle."""

import dagster as dg

from assets.keys import BLOCK_STATE, DATABASE_STATUS, GOLDEN_CASES, RECAP
from sbt_sync.db.status import ESTIMATE_ABOVE, database_status, require_current_schema
from sbt_sync.reports.recap import TOTAL, build_recap
from sbt_sync.reports.render import as_text
from sbt_sync.resources import DatabaseResource


@dg.asset(key=DATABASE_STATUS, group_name="reports", kinds={"sqlite", "postgres"})
def database_status_report(context: dg.AssetExecutionContext, db: DatabaseResource) -> dg.MaterializeResult:
    """Schema revision and row counts of every product table, checked to be at the latest migration;
    on PostgreSQL tables of 100,000 rows or more are reported from the planner's estimate (no scan)."""
    require_current_schema(db.database)
    status = database_status(db.database, estimate_above=ESTIMATE_ABOVE)
    context.log.info(
        "product database %s at revision %s; %d rows in %d tables (%d estimated)",
        status.url,
        status.revision,
        sum(status.row_counts.values()),
        len(status.row_counts),
        len(status.estimated),
    )
    return dg.MaterializeResult(
        metadata={
            "database": dg.MetadataValue.text(status.url),
            "dialect": dg.MetadataValue.text(status.dialect),
            "revision": dg.MetadataValue.text(status.revision or "none"),
            "row_counts": dg.MetadataValue.json(status.row_counts),
            "estimated_tables": dg.MetadataValue.json(list(status.estimated)),
        }
    )


@dg.asset(
    key=RECAP,
    group_name="reports",
    deps=[GOLDEN_CASES, BLOCK_STATE],
    kinds={"sqlite", "postgres"},
)
def recap_report(context: dg.AssetExecutionContext, db: DatabaseResource) -> dg.MaterializeResult:
    """The national recap per election event, as BKN publishes it (reported ... blocks by Kanreg)."""
    recap = build_recap(db.database)
    total = recap.events[TOTAL].counts
    context.log.info(
        "recap: %d reported, %d recommended, %d sanctioned, %d not followed up, %d blocked NIPs",
        total["reported"],
        total["recommended"],
        total["sanctioned"],
        total["not_followed_up"],
        total["blocked_nips"],
    )
    return dg.MaterializeResult(
        metadata={
            "recap": dg.MetadataValue.md("```\n" + as_text(recap) + "```"),
            **{name: int(total[name]) for name in ("reported", "recommended", "sanctioned", "blocked_nips")},
            "json": dg.MetadataValue.json(recap.as_dict()),
        }
    )
