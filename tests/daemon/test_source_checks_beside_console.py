"""A source's blocking checks (the quarantine ratio, schema drift) judged while the console writes:
the checks' transaction reads how much of the source is quarantined, then records the verdict
(``source_holds``). On SQLite it now takes the write lock before that read, so a console request
arriving in between waits for it instead of failing the source's op 'database is locked' (its retry
policy then ran the whole op again). The verdict and the console's write are both kept."""

from sbt_sync.db.engine import Database
from sbt_sync.db.models import SourceHold
from tests.daemon.conftest import KEMENDAGRI_ROW, DaemonProject, kemendagri_csv, run_job
from tests.support.console_write import console_writes_meanwhile, recorded_reads

QUARANTINE_LOAD = "count(distinct(quarantine.raw_record_id))"
"""The checks' read of the source's quarantine (``pending.quarantine_load``)."""


def test_a_console_write_while_a_source_is_judged_waits_for_it_and_both_are_kept(
    daemon_project: DaemonProject,
) -> None:
    daemon_project.only("kemendagri")
    daemon_project.deliver("kemendagri", "tindak_lanjut_20250301.csv", kemendagri_csv(KEMENDAGRI_ROW))
    definitions = daemon_project.definitions()
    database = Database(daemon_project.database_url)
    try:
        with console_writes_meanwhile(database, armed_by=QUARANTINE_LOAD) as request:
            run = run_job(definitions, "kemendagri_update")

        assert run.success, [str(e.event_specific_data) for e in run.get_step_failure_events()]
        # Not by the op's retry policy either (which lands the source again, seconds later).
        retried = [e.step_key for e in run.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
        assert retried == []
        assert recorded_reads(database) == 1 and request.recorded is not None
        assert request.waited_for_the_writer == (database.dialect == "sqlite")
        with database.session() as session:
            hold = session.get(SourceHold, "kemendagri")
            assert hold is not None and not hold.held and hold.verdict is not None
    finally:
        database.dispose()
