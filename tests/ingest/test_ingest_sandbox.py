"""Ingestion end to end against the sandbox: every protocol and paging style, quarantine equal to the
ground truth, increments, crashes between fetch and commit, and faults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from sqlalchemy import select

from connectors.errors import ConnectorError
from sbt_sync.db import migrate
from sbt_sync.db.engine import Database
from sbt_sync.db.models import QuarantinedRow, RawRecord, SourceCursor, StagedRecord
from sbt_sync.definitions import FULL_CYCLE_JOB, build_definitions
from sbt_sync.ingest import connections
from sbt_sync.ingest.landing import land_batch as real_land
from sbt_sync.ingest.pull import PullResult, pull_http, pull_sftp
from sbt_sync.ingest.staging import stage_pending
from sbt_sync.settings import Settings
from sbt_sync.settings_sources import SftpSource
from schemas.feeds import FEEDS
from tests.ingest.conftest import SandboxProject, truth_quarantine

pytestmark = pytest.mark.integration
SOURCES = ["bawaslu", "bkn_wasdal", "idis", "imut", "kasn", "kemendagri", "kemenpanrb"]
HTTP_SOURCES = ("bawaslu", "bkn_wasdal", "idis", "imut")


def _pull(settings: Settings, database: Database, name: str, workdir: Path) -> PullResult:
    source = settings.sources[name]
    if isinstance(source, SftpSource):
        with connections.sftp_reader(settings, name) as reader:
            return pull_sftp(
                database,
                source=name,
                settings=source,
                feed=FEEDS[name],
                reader=reader,
                workdir=workdir / name,
            )
    client, paginator = connections.http_source(settings, name)
    try:
        return pull_http(database, source=name, feed=FEEDS[name], paginator=paginator)
    finally:
        client.close()


def _pull_like_dagster(settings: Settings, database: Database, name: str, workdir: Path) -> PullResult:
    """A pull retried after a transient failure, as the raw asset's retry policy (2 retries) does;
    what an attempt landed stays landed, so a retry only continues."""
    for attempt in range(3):
        try:
            return _pull(settings, database, name, workdir)
        except ConnectorError as exc:
            if not exc.retryable or attempt == 2:
                raise
    raise AssertionError("unreachable")


def _ingest_all(settings: Settings, database: Database, workdir: Path) -> dict[str, PullResult]:
    results = {name: _pull_like_dagster(settings, database, name, workdir) for name in SOURCES}
    for name in SOURCES:
        stage_pending(database, source=name, feed=FEEDS[name])
    return results


def _quarantined(database: Database) -> set[tuple[str, str, int | None]]:
    """Open quarantine entries in the truth's terms: HTTP by record key, files by file name and row."""
    with database.session() as session:
        rows = session.scalars(select(QuarantinedRow).where(QuarantinedRow.status == "open")).all()
        return {(r.source, r.file_name or r.record_key or "", r.row_number) for r in rows}


def _staged_fingerprint(database: Database) -> set[tuple[str, str, int, str]]:
    with database.session() as session:
        return {
            (r.source, r.record_key, r.item_no, r.content_hash)
            for r in session.scalars(select(StagedRecord).where(StagedRecord.withdrawn.is_(False))).all()
        }


def test_a_source_op_selected_in_part_lands_without_validating_or_validates_what_is_pending(
    sandbox_project: SandboxProject, migrated_database: Database
) -> None:
    """``raw/<source>`` alone lands and leaves every record pending (the op that would report
    validation did not run it); ``validated/<source>`` alone then validates exactly those records, and
    reports them, for an HTTP and an SFTP source alike."""
    url = migrated_database.url
    definitions = build_definitions(config_path=str(sandbox_project.config_path), database_url=url)
    job = definitions.resolve_implicit_global_asset_job_def()
    for name in ("bawaslu", "kemendagri"):
        raw, validated = dg.AssetKey(["raw", name]), dg.AssetKey(["validated", name])
        landed_only = job.execute_in_process(asset_selection=[raw], raise_on_error=False)
        assert landed_only.success, name
        assert {e.asset_key for e in landed_only.get_asset_materialization_events()} == {raw}
        [pull] = landed_only.get_asset_materialization_events()
        assert pull.materialization.metadata["validated_while_landing"].value == 0, name
        with migrated_database.session() as session:
            landed = session.query(RawRecord).filter_by(source=name).count()
            waiting = (
                session.query(RawRecord)
                .filter(RawRecord.source == name, RawRecord.validated_version.is_(None))
                .count()
            )
            assert landed > 0 and waiting == landed, name
            assert session.query(StagedRecord).filter_by(source=name).count() == 0, name

        checked = job.execute_in_process(asset_selection=[validated], raise_on_error=False)
        assert checked.success, name
        [report] = checked.get_asset_materialization_events()
        assert report.asset_key == validated
        assert report.materialization.metadata["validated"].value == landed, name
        with migrated_database.session() as session:
            assert (
                session.query(RawRecord)
                .filter(RawRecord.source == name, RawRecord.validated_version.is_(None))
                .count()
                == 0
            ), name
            assert session.query(StagedRecord).filter_by(source=name).count() > 0, name


def test_full_cycle_through_dagster_quarantines_exactly_the_ground_truth(
    sandbox_project: SandboxProject, migrated_database: Database
) -> None:
    url = migrated_database.url
    definitions = build_definitions(config_path=str(sandbox_project.config_path), database_url=url)
    result = definitions.resolve_job_def(FULL_CYCLE_JOB).execute_in_process(raise_on_error=False)
    assert result.success, [str(e.event_specific_data) for e in result.get_step_failure_events()]
    assert _quarantined(migrated_database) == truth_quarantine(sandbox_project.data_dir)
    checks = {e.asset_check_key.name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["quarantine_ratio"] and checks["cursor_never_moves_backwards"]
    metadata: dict[tuple[str, ...], dict[str, Any]] = {
        tuple(e.asset_key.path): {k: v.value for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
        if e.asset_key is not None
    }
    with migrated_database.session() as session:
        for name in SOURCES:
            landed = session.query(RawRecord).filter_by(source=name).count()
            quarantined = (
                session.query(QuarantinedRow.raw_record_id).filter_by(source=name).distinct().count()
            )
            # HTTP sources are validated while landing, SFTP files afterwards; either way the
            # validated asset reports every record its run validated, and what it quarantined.
            validated = metadata[("validated", name)]
            assert validated["validated"] == landed, name
            # A rejected NIP costs its row nothing but the NIP: the row is staged without it.
            assert validated["quarantined_rows"] + validated["nips_rejected"] >= quarantined, name
            assert validated["duration_seconds"] >= 0 and validated["rows_per_second"] is not None, name
            while_landing = metadata[("raw", name)]["validated_while_landing"]
            assert while_landing == (landed if name in HTTP_SOURCES else 0), name
    golden = metadata[("golden", "cases")]
    assert golden["records_in_scope"] > 0 and golden["rows_per_second"] > 0
    with migrated_database.session() as session:
        for name in SOURCES:
            assert session.query(StagedRecord).filter_by(source=name).count() > 0, name
            assert session.get(SourceCursor, name) is not None, name
        # every validated raw record either staged or quarantined: no good row lost
        pending = session.query(RawRecord).filter(RawRecord.validated_version.is_(None)).count()
        assert pending == 0


def test_second_run_without_source_change_fetches_only_the_increment_and_stages_nothing(
    sandbox_project: SandboxProject, migrated_database: Database, tmp_path: Path
) -> None:
    settings = sandbox_project.settings()
    _ingest_all(settings, migrated_database, tmp_path)
    before = _staged_fingerprint(migrated_database)
    again = _ingest_all(settings, migrated_database, tmp_path)
    for name, result in again.items():
        assert (result.new, result.changed) == (0, 0), name
        assert result.files == 0, name  # no file downloaded again
    with migrated_database.session() as session:
        assert session.query(RawRecord).filter(RawRecord.validated_version.is_(None)).count() == 0
    assert _staged_fingerprint(migrated_database) == before


@pytest.mark.parametrize("source", ["bawaslu", "bkn_wasdal", "idis", "kemendagri"])
def test_crash_between_fetch_and_commit_lands_nothing_and_the_next_run_completes(
    sandbox_project: SandboxProject,
    migrated_database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
) -> None:
    settings = sandbox_project.settings()

    def land_then_crash(*args: Any, **kwargs: Any) -> Any:
        real_land(*args, **kwargs)  # records written inside the open transaction ...
        raise RuntimeError("killed before commit")  # ... and the process dies before COMMIT

    monkeypatch.setattr("sbt_sync.ingest.pull.land_batch", land_then_crash)
    with pytest.raises(RuntimeError, match="killed before commit"):
        _pull(settings, migrated_database, source, tmp_path)
    with migrated_database.session() as session:
        assert session.query(RawRecord).filter_by(source=source).count() == 0
        assert session.get(SourceCursor, source) is None
    monkeypatch.setattr("sbt_sync.ingest.pull.land_batch", real_land)
    result = _pull(settings, migrated_database, source, tmp_path)
    assert result.new > 0 and result.changed >= 0
    stage_pending(migrated_database, source=source, feed=FEEDS[source])
    with migrated_database.session() as session:
        assert session.query(StagedRecord).filter_by(source=source).count() > 0


def test_with_every_fault_switch_on_ingest_stages_the_same_rows(
    sandbox_project: SandboxProject, tmp_path: Path
) -> None:
    settings = sandbox_project.settings()
    clean = Database(f"sqlite:///{tmp_path / 'clean.db'}")
    faulty = Database(f"sqlite:///{tmp_path / 'faulty.db'}")
    for database in (clean, faulty):
        migrate.upgrade(database)
    _ingest_all(settings, clean, tmp_path / "clean")

    faults = sandbox_project.sandbox.faults
    for endpoint in ("bawaslu", "bkn_wasdal", "idis", "siasn"):
        faults.set(
            endpoint,
            error_5xx_rate=0.2,
            throttle_rate=0.1,
            retry_after_seconds=0,
            latency_ms=5,
            truncate_rate=0.1,
            token_ttl_seconds=2,
        )
    faults.set("sftp", disconnect_rate=0.2, latency_ms=2)
    try:
        _ingest_all(settings, faulty, tmp_path / "faulty")
    finally:
        faults.reset()
    assert _staged_fingerprint(faulty) == _staged_fingerprint(clean)
    assert _quarantined(faulty) == _quarantined(clean)
