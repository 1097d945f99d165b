"""What work is waiting (``sbt_sync.pending``), on both backends: each answer moves with the rows it
reads and ignores the rows it must not count."""

from datetime import UTC, date, datetime, timedelta

import pytest

from sbt_sync import pending
from sbt_sync.db.engine import Database
from sbt_sync.db.models import (
    Case,
    Conflict,
    ControlAction,
    IngestBatch,
    LinkCorrection,
    OutboxEntry,
    PushApproval,
    QuarantinedRow,
    RawRecord,
    SftpFile,
    SourceCursor,
    StagedRecord,
    StewardDecision,
)
from sbt_sync.db.models.sanctions import STEWARD_SOURCE, SanctionVersion
from sbt_sync.ingest.landing import source_cursor

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
NIP = "199001012015012002"


def _outbox(key: str, *, state: str, due: datetime, approval_id: int | None = None) -> OutboxEntry:
    return OutboxEntry(
        idempotency_key=key,
        nip=NIP,
        action="blokir",
        payload={"nip": NIP},
        state=state,
        next_attempt_at=due,
        block_version=1,
        approval_id=approval_id,
    )


def _case(session_key: str) -> Case:
    return Case(case_key=session_key, content_hash="0" * 64, status="menunggu_tindak_lanjut_ppk")


def _raw(source: str, key: str) -> RawRecord:
    return RawRecord(source=source, record_key=key, content_hash="0" * 64, payload="{}")


def test_settled_file_identities_are_the_processed_and_refused_files_of_that_source(
    migrated_database: Database,
) -> None:
    mtime = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
    with migrated_database.session() as session:
        for source, path, status in [
            ("kemendagri", "/k/a.csv", "processed"),
            ("kemendagri", "/k/b.csv", "refused"),
            ("kemendagri", "/k/c.csv", "pending"),  # not settled: a run still has to take it
            ("kasn", "/s/a.csv", "processed"),  # another source
        ]:
            session.add(
                SftpFile(
                    source=source, remote_path=path, size=10, mtime=mtime, sha256="0" * 64, status=status
                )
            )
    with migrated_database.session() as session:
        settled = pending.settled_file_identities(session, "kemendagri")
    assert settled == {
        pending.file_identity("kemendagri", "/k/a.csv", 10, mtime),
        pending.file_identity("kemendagri", "/k/b.csv", 10, mtime),
    }
    assert (
        pending.file_identity("kemendagri", "/k/a.csv", 10, mtime)
        == f"kemendagri:/k/a.csv:10:{int(mtime.timestamp())}"
    )


def test_source_cursor_is_none_until_a_pull_stores_one(migrated_database: Database) -> None:
    with migrated_database.session() as session:
        assert source_cursor(session, "idis") is None
        session.add(SourceCursor(source="idis", cursor="2025-03-01T00:00:00+07:00"))
    with migrated_database.session() as session:
        assert source_cursor(session, "idis") == "2025-03-01T00:00:00+07:00"
        assert source_cursor(session, "bawaslu") is None


def test_steward_work_names_the_newest_unapplied_item_of_each_kind(migrated_database: Database) -> None:
    with migrated_database.session() as session:
        assert not pending.steward_work(session).any
        case = _case("C-1")
        raw = _raw("bawaslu", "r-1")
        session.add_all([case, raw])
        session.flush()
        staged = StagedRecord(
            source="bawaslu", record_key="r-1", raw_record_id=raw.id, raw_version=1, content_hash="0" * 64
        )
        conflict = Conflict(conflict_key="k-1", kind="critical_field", basis_hash="0" * 64, case_id=case.id)
        waiting = PushApproval(change_count=1, blocked_before=0, percent=1.0, status="waiting")
        approved = PushApproval(change_count=1, blocked_before=0, percent=1.0, status="approved")
        drained = PushApproval(change_count=1, blocked_before=0, percent=1.0, status="approved")
        session.add_all([staged, conflict, waiting, approved, drained])
        session.flush()
        applied = StewardDecision(
            conflict_id=conflict.id, decision={}, reason="r", basis_hash="0", applied_at=NOW
        )
        unapplied = StewardDecision(conflict_id=conflict.id, decision={}, reason="r", basis_hash="0")
        corrections = [
            LinkCorrection(
                kind="move_record", staged_record_id=staged.id, basis_hash="0", reason="r", decided_by="ani"
            ),
            LinkCorrection(
                kind="move_record",
                staged_record_id=staged.id,
                basis_hash="0",
                reason="r",
                decided_by="ani",
                status="reopened",  # reopened: waits for a steward, not for a run
            ),
        ]
        session.add_all([applied, unapplied, *corrections])
        session.add_all(
            [
                _outbox("a", state="awaiting_approval", due=NOW, approval_id=waiting.id),
                _outbox("b", state="pending", due=NOW, approval_id=approved.id),
                _outbox("c", state="acked", due=NOW, approval_id=drained.id),  # already sent
            ]
        )
        by_ani = dict(letter_no="1/2025", decided_on=date(2025, 3, 1), entered_by="ani", reason="r")
        session.add_all(
            [
                SanctionVersion(
                    version_key="v-1", source=STEWARD_SOURCE, kind="sanction", code="1", **by_ani
                ),
                SanctionVersion(version_key="v-2", source="idis", kind="sanction", code="2"),  # a source's
            ]
        )
        session.flush()
        expected = pending.StewardWork(unapplied.id, approved.id, corrections[0].id, None)
    with migrated_database.session() as session:
        work = pending.steward_work(session)
        sanction = session.query(SanctionVersion).filter_by(version_key="v-1").one()
    assert work == pending.StewardWork(expected.decision, expected.approval, expected.correction, sanction.id)
    assert work.any


def test_due_pushes_counts_pending_rows_whose_time_has_come(migrated_database: Database) -> None:
    with migrated_database.session() as session:
        assert pending.due_pushes(session, NOW) == pending.DuePushes(0, None, None)
        session.add_all(
            [
                _outbox("due-1", state="pending", due=NOW - timedelta(minutes=5)),
                _outbox("due-2", state="pending", due=NOW - timedelta(minutes=1)),
                _outbox("later", state="pending", due=NOW + timedelta(minutes=5)),
                _outbox("parked", state="parked", due=NOW - timedelta(minutes=5)),
                _outbox("held", state="awaiting_approval", due=NOW - timedelta(minutes=5)),
            ]
        )
    with migrated_database.session() as session:
        due = pending.due_pushes(session, NOW)
        newest = session.query(OutboxEntry).filter_by(idempotency_key="due-2").one().id
        assert pending.awaiting_approval(session) == 1
    assert (due.count, due.newest) == (2, newest)
    assert due.latest_due is not None
    assert due.latest_due.replace(tzinfo=UTC) == NOW - timedelta(minutes=1)


def test_latest_enforcement_day_is_the_newest_control_action(migrated_database: Database) -> None:
    with migrated_database.session() as session:
        assert pending.latest_enforcement_day(session) is None
        case = _case("C-2")
        session.add(case)
        session.flush()
        for cycle, day in enumerate((date(2025, 2, 1), date(2025, 2, 20), date(2025, 2, 10)), start=1):
            session.add(
                ControlAction(
                    case_id=case.id, action="peringatan", cycle=cycle, due_on=day, reason="r", as_of=day
                )
            )
    with migrated_database.session() as session:
        assert pending.latest_enforcement_day(session) == date(2025, 2, 20)


def test_cursor_regressions_count_batches_whose_watermark_moved_backwards(
    migrated_database: Database,
) -> None:
    with migrated_database.session() as session:
        session.add_all(
            [
                IngestBatch(source="idis", watermark_before=NOW, watermark_after=NOW + timedelta(days=1)),
                IngestBatch(source="idis", watermark_before=NOW, watermark_after=NOW - timedelta(days=1)),
                IngestBatch(source="idis", watermark_before=None, watermark_after=NOW),  # a first pull
                IngestBatch(source="bawaslu", watermark_before=NOW, watermark_after=NOW - timedelta(days=2)),
            ]
        )
    with migrated_database.session() as session:
        assert pending.cursor_regressions(session, "idis") == 1
        assert pending.cursor_regressions(session, "kasn") == 0


@pytest.mark.parametrize("records", [0, 4])
def test_quarantine_load_counts_each_record_once_over_open_entries(
    migrated_database: Database, records: int
) -> None:
    with migrated_database.session() as session:
        raws = [_raw("kasn", f"r-{i}") for i in range(records)]
        session.add_all([*raws, _raw("idis", "other")])
        session.flush()
        for raw in raws[:1]:  # two open entries on one record count once
            session.add_all(
                [
                    QuarantinedRow(source="kasn", raw_record_id=raw.id, check="a", reason="r"),
                    QuarantinedRow(source="kasn", raw_record_id=raw.id, check="b", reason="r"),
                ]
            )
        for raw in raws[1:2]:  # a closed entry does not count
            session.add(
                QuarantinedRow(source="kasn", raw_record_id=raw.id, check="a", reason="r", status="ignored")
            )
    with migrated_database.session() as session:
        load = pending.quarantine_load(session, "kasn")
    assert (load.records, load.quarantined) == (records, min(records, 1))
    assert load.ratio == (0.25 if records else 0.0)
