"""A column the source has been sending stops arriving: the blocking schema-drift check holds the source.

DESIGN.md: "a source whose bad-row ratio or schema drift passes a threshold fails its blocking asset
check, so nothing downstream acts on it". Here Kemendagri renames ``jenis_hukuman_id`` (the sanction
imposed) to ``kode_hukuman``: every row still validates (the column is nullable), so without the check
the sanctions would silently vanish and the cases they end would escalate to a block.
"""

import dagster as dg

from assets.keys import GOLDEN_CASES, validated_key
from sbt_sync.db.engine import Database
from sbt_sync.db.models import SourceHold
from sbt_sync.source_holds import release
from tests.daemon.conftest import KEMENDAGRI_HEADER, DaemonProject, run_job, waiting_and_linked


def _rows(first: int, count: int) -> list[str]:
    return [
        f"R-{i}/2025,19800101200501{1000 + i:04d},Pegawai {i},Kab. Bogor,dalam_proses,,,,01-12-2024"
        for i in range(first, first + count)
    ]


def _csv(header: str, rows: list[str]) -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode()


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {
        e.asset_check_key.name: e.passed
        for e in result.get_asset_check_evaluations()
        if e.asset_check_key.asset_key == validated_key("kemendagri")
    }


RENAMED = KEMENDAGRI_HEADER.replace("jenis_hukuman_id", "kode_hukuman")


def test_a_renamed_column_holds_the_source_until_a_steward_accepts_it(daemon_project: DaemonProject) -> None:
    assert RENAMED != KEMENDAGRI_HEADER
    daemon_project.only("kemendagri")
    definitions = daemon_project.definitions()
    daemon_project.deliver("kemendagri", "tindak_lanjut_20250301.csv", _csv(KEMENDAGRI_HEADER, _rows(1, 120)))
    first = run_job(definitions, "kemendagri_update")
    assert _checks(first) == {"quarantine_ratio": True, "schema_drift": True}

    daemon_project.deliver("kemendagri", "tindak_lanjut_20250302.csv", _csv(RENAMED, _rows(200, 30)))
    renamed = run_job(definitions, "kemendagri_update")
    assert _checks(renamed) == {"quarantine_ratio": True, "schema_drift": False}
    assert GOLDEN_CASES not in {e.asset_key for e in renamed.get_asset_materialization_events()}

    database = Database(daemon_project.database_url)
    try:
        with database.session() as session:
            hold = session.get(SourceHold, "kemendagri")
            assert hold is not None and hold.held and hold.verdict is not None
            drift = hold.verdict["schema_drift"]
            assert drift["blocking_columns"] == ["jenis_hukuman_id"]
            assert drift["unknown_columns"] == ["kode_hukuman"]
            assert drift["blocking"][0]["earlier_share"] == 1.0
        waiting, _ = waiting_and_linked(database, "kemendagri")
        assert waiting >= 30  # the renamed file's rows wait; nothing reconciles them

        # Another run of the source with the same header is held again, as long as nobody decided.
        daemon_project.deliver("kemendagri", "tindak_lanjut_20250303.csv", _csv(RENAMED, _rows(300, 25)))
        assert _checks(run_job(definitions, "kemendagri_update"))["schema_drift"] is False

        # The steward checks with Kemendagri and accepts that the column is gone: the next run of that
        # header passes, and the held rows are reconciled.
        assert release(database, "kemendagri", actor="steward1", reason="kolom diganti, sudah dikonfirmasi")
        daemon_project.deliver("kemendagri", "tindak_lanjut_20250304.csv", _csv(RENAMED, _rows(400, 25)))
        accepted = run_job(definitions, "kemendagri_update")
        assert _checks(accepted) == {"quarantine_ratio": True, "schema_drift": True}
        with database.session() as session:
            hold = session.get(SourceHold, "kemendagri")
            assert hold is not None and not hold.held
            assert hold.verdict is not None
            assert hold.verdict["schema_drift"]["accepted"] == ["jenis_hukuman_id"]
        assert waiting_and_linked(database, "kemendagri")[0] == 0
    finally:
        database.dispose()
