"""A source failing its blocking quarantine check stays held past the run that judged it."""

from sqlalchemy import select

from assets.keys import GOLDEN_CASES, validated_key
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry, SourceHold
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.settings import load_settings
from sbt_sync.source_holds import release
from tests.daemon.conftest import KEMENDAGRI_ROW, DaemonProject, kemendagri_csv, run_job, waiting_and_linked

BAD_ROW = "R-9/2025,198001012005011001,Ahmad,Kab. Bogor,NOT_A_STATUS,,,,01-12-2024"


def test_held_source_rows_wait_through_other_runs_until_a_steward_releases_it(
    daemon_project: DaemonProject,
) -> None:
    daemon_project.only("kemendagri")
    daemon_project.deliver(
        "kemendagri", "tindak_lanjut_20250301.csv", kemendagri_csv(KEMENDAGRI_ROW, *[BAD_ROW] * 80)
    )
    definitions = daemon_project.definitions()

    source_run = run_job(definitions, "kemendagri_update")
    checks = {
        (e.asset_check_key.asset_key, e.asset_check_key.name): e.passed
        for e in source_run.get_asset_check_evaluations()
    }
    assert checks[(validated_key("kemendagri"), "quarantine_ratio")] is False
    assert GOLDEN_CASES not in {e.asset_key for e in source_run.get_asset_materialization_events()}

    database = Database(daemon_project.database_url)
    try:
        with database.session() as session:
            hold = session.get(SourceHold, "kemendagri")
            assert hold is not None and hold.held and hold.verdict is not None
        waiting, linked = waiting_and_linked(database, "kemendagri")
        assert waiting > 0 and linked == 0

        # What the steward_decisions sensor runs after any steward decision: golden/cases materialises,
        # but the held source's good row is not reconciled.
        rerun = run_job(definitions, "steward_rerun")
        assert GOLDEN_CASES in {e.asset_key for e in rerun.get_asset_materialization_events()}
        assert waiting_and_linked(database, "kemendagri") == (waiting, 0)
        # Nor by the CLI's reconciliation, full or not.
        settings = load_settings(daemon_project.config_path, env=daemon_project.env)
        stats = reconcile_database(database, settings, full=True)
        assert stats.held_rows == waiting
        assert waiting_and_linked(database, "kemendagri") == (waiting, 0)

        assert release(database, "kemendagri", actor="steward1", reason="bad rows reported upstream")
        assert not release(database, "kemendagri", actor="steward1", reason="again")
        reconcile_database(database, settings)
        assert waiting_and_linked(database, "kemendagri") == (0, 1)
        with database.session() as session:
            entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "source.release")).one()
            assert (entry.object_id, entry.actor_name) == ("kemendagri", "steward1")
    finally:
        database.dispose()
