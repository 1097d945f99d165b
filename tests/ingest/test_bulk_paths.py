"""The fast paths of ingestion: COPY writes, the prefetching thread, batches of pages and the staged
rows that a changed record updates; each must behave exactly as the plain path."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from connectors.http.paging import Page
from sbt_sync.db.engine import Database
from sbt_sync.db.models import (
    IngestBatch,
    QuarantinedRow,
    RawRecord,
    RawRecordVersion,
    SourceCursor,
    StagedRecord,
)
from sbt_sync.ingest import checking
from sbt_sync.ingest.landing import FetchedRecord, land_batch
from sbt_sync.ingest.prefetch import prefetched
from sbt_sync.ingest.pull import pull_http
from sbt_sync.ingest.staging import StagingResult, stage_pending
from sbt_sync.ingest.tuning import IngestTuning
from schemas.feeds import FEEDS, FeedSpec

FEED = FEEDS["bkn_wasdal"]
T0 = datetime(2024, 11, 27, 8, 0, tzinfo=UTC)


def _record(n: int, **changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "id": f"BKN-{n:05d}",
        "nomor_rekomendasi": f"REK-{n:06d}/BKN/2024",
        "nomor_register_bawaslu": None,
        "pemilihan": "PILKADA-2024",
        "nip": "198001012005011001",
        "nama": "Dr. H. Ahmad Fauzi, S.Pd.",
        "instansi_id": "A5EB03E23B5AF6A0E040640A040252AD",
        "tanggal_verifikasi": "2024-12-01T10:00:00+07:00",
        "hasil": "terbukti",
        "rekomendasi_sanksi": None,
        "tanggal_rekomendasi": "2024-12-02",
        "batas_tindak_lanjut": "2024-12-12",
        "updated_at": "2024-12-02T09:00:00+07:00",
    }
    record.update(changes)
    return record


class _Pages:
    """A paginator over fixed pages; ``fail_after`` raises once that many pages were served."""

    def __init__(self, pages: list[list[dict[str, object]]], fail_after: int | None = None) -> None:
        self._pages, self._fail_after = pages, fail_after

    def pages(self, cursor: str | None = None) -> Iterator[Page]:
        start = int(cursor) if cursor else 0
        for number, index in enumerate(range(start, len(self._pages)), start=1):
            if self._fail_after is not None and index >= self._fail_after:
                raise ConnectionError(f"connection reset while reading page {index + 1}")
            yield Page(self._pages[index], str(index + 1), number, index == len(self._pages) - 1)


def test_copy_lands_text_that_copy_escapes_verbatim(migrated_database: Database) -> None:
    # Backslashes, tabs, newlines and carriage returns are COPY's own syntax; they must come back.
    awkward = "a\\b\tc\nd\re \\N \\\\ ünï"
    with migrated_database.session() as session:
        land_batch(
            session,
            source="bkn_wasdal",
            records=[FetchedRecord(f"K{awkward}", {"id": "1", "nama": awkward}, origin=awkward)],
            cursor=None,
        )
    with migrated_database.session() as session:
        raw = session.scalars(select(RawRecord)).one()
        assert raw.record_key == f"K{awkward}" and raw.origin == awkward
        assert json.loads(raw.payload)["nama"] == awkward
        assert raw.validated_version is None and raw.source_updated_at is None


def test_prefetch_raises_the_producers_error_after_the_items_before_it() -> None:
    def source() -> Iterator[int]:
        yield 1
        yield 2
        raise ConnectionError("boom")

    seen: list[int] = []
    with pytest.raises(ConnectionError, match="boom"), prefetched(source, depth=1, name="t") as items:
        seen.extend(items)
    assert seen == [1, 2]


def test_prefetch_stops_its_thread_when_the_consumer_leaves_early() -> None:
    def endless() -> Iterator[int]:
        n = 0
        while True:
            n += 1
            yield n

    with prefetched(endless, depth=2, name="endless-producer") as items:
        assert next(items) == 1
    assert not any(t.name == "endless-producer" for t in threading.enumerate())


def test_pages_already_fetched_land_together_with_the_cursor_after_the_last(
    migrated_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = [[_record(2 * p), _record(2 * p + 1)] for p in range(5)]
    result = pull_http(
        migrated_database,
        source="bkn_wasdal",
        feed=FEED,
        paginator=_Pages(pages),
        tuning=IngestTuning(batch_records=4),
    )
    assert (result.pages, result.new, result.cursor_after) == (5, 10, "5")
    with migrated_database.session() as session:
        batches = session.scalars(select(IngestBatch).order_by(IngestBatch.id)).all()
        assert sum(b.pages for b in batches) == 5 and all(b.fetched <= 4 for b in batches)
        assert [b.cursor_after for b in batches][-1] == "5"
        origins = session.scalars(select(RawRecord.origin).order_by(RawRecord.record_key)).all()
        assert origins == [f"page {p + 1}" for p in range(5) for _ in range(2)]


def test_a_fetch_error_keeps_the_pages_before_it_and_their_cursor(migrated_database: Database) -> None:
    pages = [[_record(2 * p), _record(2 * p + 1)] for p in range(4)]
    with pytest.raises(ConnectionError, match="page 3"):
        pull_http(migrated_database, source="bkn_wasdal", feed=FEED, paginator=_Pages(pages, fail_after=2))
    with migrated_database.session() as session:
        assert session.query(RawRecord).count() == 4
        cursor = session.get(SourceCursor, "bkn_wasdal")
        assert cursor is not None and cursor.cursor == "2"
    again = pull_http(migrated_database, source="bkn_wasdal", feed=FEED, paginator=_Pages(pages))
    assert (again.new, again.pages, again.cursor_after) == (4, 2, "4")


def _ingest(
    database: Database, pages: list[list[dict[str, object]]], *, while_landing: bool
) -> StagingResult:
    """Pull ``pages`` and validate them: in each batch's landing transaction, or afterwards by
    ``stage_pending``; either way nothing is left pending."""
    pulled = pull_http(
        database, source="bkn_wasdal", feed=FEED, paginator=_Pages(pages), validate=while_landing
    )
    later = stage_pending(database, source="bkn_wasdal", feed=FEED)
    if not while_landing:
        assert pulled.staging is None
        return later
    assert pulled.staging is not None and pulled.validation_error is None
    assert later.validated == 0
    return pulled.staging


@pytest.mark.parametrize("while_landing", [True, False], ids=["while-landing", "afterwards"])
def test_changed_content_restages_the_row_and_clears_its_resolved_identity(
    migrated_database: Database, while_landing: bool
) -> None:
    bad = _record(3, hasil="mungkin")
    first = [[_record(1), _record(2), bad]]
    staged = _ingest(migrated_database, first, while_landing=while_landing)
    assert (staged.staged_new, staged.quarantined_records) == (2, 1)
    with migrated_database.session() as session:
        session.execute(
            update(StagedRecord).values(
                resolved_nip="198001012005011001", identity_rule="nip_exact", identity_score=1.0
            )
        )
        session.execute(update(StagedRecord).values(needs_reconcile=False))
        session.execute(update(SourceCursor).values(cursor=None))

    second = [[_record(1), _record(2, hasil="tidak_terbukti"), _record(3)]]
    staged = _ingest(migrated_database, second, while_landing=while_landing)
    assert (staged.staged_new, staged.staged_changed, staged.staged_unchanged) == (1, 1, 0)
    with migrated_database.session() as session:
        rows = {r.record_key: r for r in session.scalars(select(StagedRecord)).all()}
        unchanged, changed, fixed = rows["BKN-00001"], rows["BKN-00002"], rows["BKN-00003"]
        assert (unchanged.identity_rule, unchanged.needs_reconcile) == ("nip_exact", False)
        assert (changed.resolved_nip, changed.identity_rule, changed.identity_score) == (None, None, None)
        assert changed.needs_reconcile and changed.fields["verification_result"] == "tidak_terbukti"
        assert fixed.needs_reconcile and fixed.resolved_nip is None
        statuses = session.scalars(select(QuarantinedRow.status)).all()
        assert statuses == ["superseded"]  # the fixed record's old entry


@pytest.fixture
def worker_pids(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[int]]:
    """The pids of the validation worker processes started while the test runs (each pool's
    processes, noted as they are started at a submission)."""
    seen: list[int] = []
    real_pool = checking.worker_pool

    def noting_pool(feed: FeedSpec) -> ProcessPoolExecutor:
        pool = real_pool(feed)
        real_submit = pool.submit

        def submit(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
            future = real_submit(fn, *args, **kwargs)
            seen.extend(pid for pid in (pool._processes or {}) if pid not in seen)
            return future

        monkeypatch.setattr(pool, "submit", submit)
        return pool

    monkeypatch.setattr(checking, "worker_pool", noting_pool)
    return lambda: list(seen)


def _staged_snapshot(database: Database) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with database.session() as session:
        staged = session.execute(
            select(
                StagedRecord.record_key,
                StagedRecord.item_no,
                StagedRecord.content_hash,
                StagedRecord.nip,
                StagedRecord.name_normalised,
                StagedRecord.birth_date,
                StagedRecord.source_updated_at,
                StagedRecord.fields,
            ).order_by(StagedRecord.record_key)
        ).all()
        quarantine = session.execute(
            select(
                QuarantinedRow.record_key,
                QuarantinedRow.column,
                QuarantinedRow.check,
                QuarantinedRow.value,
                QuarantinedRow.reason,
            ).order_by(QuarantinedRow.record_key, QuarantinedRow.column)
        ).all()
    return [tuple(row) for row in staged], [tuple(row) for row in quarantine]


def test_chunks_checked_in_a_worker_process_stage_what_checking_in_process_stages(
    migrated_database: Database, worker_pids: Callable[[], list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [_record(n) for n in range(1, 41)]
    records[3] = _record(4, hasil="mungkin")  # not an allowed result
    records[10] = _record(11, nip="1.98001012005011e+17")  # float-mangled NIP
    records[17] = _record(18, updated_at="2024-13-02T09:00:00+07:00")  # no 13th month
    records[25] = _record(26, nama="Siti Ñurhaliza", nip="198001012005012002")
    pull_http(migrated_database, source="bkn_wasdal", feed=FEED, paginator=_Pages([records]), validate=False)
    # Chunks of 7 records: six chunks, so the worker is started and results arrive out of step.
    in_worker = stage_pending(
        migrated_database, source="bkn_wasdal", feed=FEED, tuning=IngestTuning(stage_chunk=7)
    )
    assert worker_pids() and os.getpid() not in worker_pids()
    # Record 11's float-mangled NIP is rejected, the record staged without it (identity by name).
    assert (in_worker.validated, in_worker.staged_new, in_worker.quarantined_records) == (40, 38, 2)
    assert in_worker.nips_rejected == 1
    from_worker = _staged_snapshot(migrated_database)

    with migrated_database.session() as session:  # forget the staging, then do it again in-process
        session.execute(delete(QuarantinedRow))
        session.execute(delete(StagedRecord))
        session.execute(update(RawRecord).values(validated_version=None))
    in_process = stage_pending(
        migrated_database,
        source="bkn_wasdal",
        feed=FEED,
        tuning=IngestTuning(stage_chunk=7, stage_in_worker=False),
    )
    assert in_process == in_worker
    assert _staged_snapshot(migrated_database) == from_worker


def _awkward_pages() -> list[list[dict[str, object]]]:
    """Eight pages of five: bad rows, a record delivered again with new content in a later page and
    within one page (only its last content is current), and one delivered twice unchanged."""
    records = [_record(n) for n in range(1, 41)]
    records[3] = _record(4, hasil="mungkin")
    records[10] = _record(11, nip="1.98001012005011e+17")
    records[17] = _record(18, updated_at="2024-13-02T09:00:00+07:00")
    records[22] = _record(2, hasil="tidak_terbukti")  # record 2 again, changed, three pages later
    records[30] = _record(31, hasil="salah")
    records[31] = _record(31, hasil="ditolak")  # fixed within the same page
    records[36] = _record(5)  # record 5 again, unchanged
    return [records[i : i + 5] for i in range(0, 40, 5)]


@pytest.mark.parametrize("where", ["thread", "worker"])
def test_validating_while_landing_in_a_worker_stages_what_staging_afterwards_stages(
    where: str,
    migrated_database: Database,
    worker_pids: Callable[[], list[int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Batches of at most ten records: several batches, so the later ones go to the thread or worker.
    tuning = IngestTuning(batch_records=10, validate_in_worker=where == "worker")
    pulled = pull_http(
        migrated_database, source="bkn_wasdal", feed=FEED, paginator=_Pages(_awkward_pages()), tuning=tuning
    )
    if where == "worker":
        assert worker_pids() and os.getpid() not in worker_pids()
    else:
        assert not worker_pids()
    assert pulled.staging is not None and pulled.validation_error is None
    assert (pulled.new, pulled.changed, pulled.unchanged) == (37, 2, 1)
    assert (pulled.staging.quarantined_records, pulled.staging.staged_changed) == (2, 1)
    assert pulled.staging.nips_rejected == 1  # record 11: staged without its float-mangled NIP
    while_landing = _staged_snapshot(migrated_database)
    with migrated_database.session() as session:
        assert session.query(RawRecord).filter(RawRecord.validated_version.is_(None)).count() == 0
        stored = session.scalars(select(IngestBatch.validation)).all()
        assert all(entry is not None for entry in stored)
        assert sum(entry["quarantined_records"] for entry in stored if entry) == 2

    _reset(migrated_database)  # the same pages again, validated afterwards, in this process
    pull_http(
        migrated_database, source="bkn_wasdal", feed=FEED, paginator=_Pages(_awkward_pages()), validate=False
    )
    later = stage_pending(
        migrated_database, source="bkn_wasdal", feed=FEED, tuning=IngestTuning(stage_in_worker=False)
    )
    assert (later.quarantined_records, later.nips_rejected) == (2, 1)
    assert _staged_snapshot(migrated_database) == while_landing


def _reset(database: Database) -> None:
    with database.session() as session:
        for model in (QuarantinedRow, StagedRecord, RawRecordVersion, RawRecord, SourceCursor, IngestBatch):
            session.execute(delete(model))


def test_a_broken_validator_still_lands_every_record_for_staging_to_take_up(
    migrated_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(feed: FeedSpec, records: list[checking.Delivered]) -> checking.CheckedDelivery:
        raise RuntimeError("validator bug")

    monkeypatch.setattr(checking, "check_delivery", broken)
    pulled = pull_http(
        migrated_database,
        source="bkn_wasdal",
        feed=FEED,
        paginator=_Pages(_awkward_pages()),
        tuning=IngestTuning(batch_records=10),
    )
    assert pulled.validation_error == "RuntimeError"  # the type only: messages may quote values
    assert (pulled.new, pulled.pages, pulled.cursor_after) == (37, 8, "8")
    with migrated_database.session() as session:
        assert session.query(StagedRecord).count() == 0
        assert session.query(RawRecord).filter(RawRecord.validated_version.is_(None)).count() == 37
    monkeypatch.undo()
    later = stage_pending(migrated_database, source="bkn_wasdal", feed=FEED)
    assert (later.validated, later.quarantined_records, later.nips_rejected) == (37, 2, 1)
