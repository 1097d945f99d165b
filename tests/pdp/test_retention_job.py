"""The daily retention job runs the purge through Dagster (both backends): on a database with a settled
quarantine row past its time it removes it, audits the counts as ``sbt-sync``, and reports them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry, QuarantinedRow
from sbt_sync.definitions import build_definitions


def test_the_retention_job_purges_and_audits(project_dir: Path, migrated_database: Database) -> None:
    old = datetime.now(UTC) - timedelta(days=400)
    with migrated_database.session() as session:
        session.add_all(
            [
                QuarantinedRow(
                    source="kasn", check="row_shape", reason="x", status="ignored", created_at=old
                ),
                QuarantinedRow(source="kasn", check="row_shape", reason="x", status="open", created_at=old),
            ]
        )
    definitions = build_definitions(
        config_path=str(project_dir / "sbt.yaml"), database_url=migrated_database.url
    )
    with dg.DagsterInstance.ephemeral() as instance:
        result = definitions.resolve_job_def("retention_purge").execute_in_process(instance=instance)
    assert result.success
    (materialized,) = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    assert materialized.step_key == "retention_purge_op"
    with migrated_database.session() as session:
        statuses = list(session.scalars(select(QuarantinedRow.status)))
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "pdp.purge")).one()
        assert statuses == ["open"]
        assert (audit.actor_name, audit.channel) == ("sbt-sync", "dagster")
        assert audit.after is not None and audit.after["counts"]["quarantine"] == 1
    assert (project_dir / "var" / "downloads").exists() is False  # nothing made where nothing was
