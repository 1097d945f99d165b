"""Reports layer: what the product database holds after a cycle."""

import dagster as dg

from sbt_sync.db.status import database_status, require_current_schema
from sbt_sync.resources import DatabaseResource


@dg.asset(key=["reports", "database_status"], group_name="reports", kinds={"sqlite", "postgres"})
def database_status_report(context: dg.AssetExecutionContext, db: DatabaseResource) -> dg.MaterializeResult:
    """Schema revision and row counts of every product table, checked to be at the latest migration."""
    require_current_schema(db.database)
    status = database_status(db.database)
    context.log.info(
        "product database %s at revision %s; %d rows in %d tables",
        status.url,
        status.revision,
        sum(status.row_counts.values()),
        len(status.row_counts),
    )
    return dg.MaterializeResult(
        metadata={
            "database": dg.MetadataValue.text(status.url),
            "dialect": dg.MetadataValue.text(status.dialect),
            "revision": dg.MetadataValue.text(status.revision or "none"),
            "row_counts": dg.MetadataValue.json(status.row_counts),
        }
    )
