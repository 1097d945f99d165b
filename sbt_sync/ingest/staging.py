"""Staging: validate the raw records whose current version has not been validated, quarantine what
fails, and upsert what passes as canonical staged records.

Only new or changed raw versions are looked at, and a staged row whose canonical content is unchanged
is not touched, so reconciliation sees exactly what changed. A newer version that fails validation
quarantines its rows and keeps the earlier good staged row: nothing already stored is lost.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import QuarantinedRow, RawRecord, StagedRecord
from sbt_sync.ingest.bulk import ensure_statistics, insert_rows, one_of
from sbt_sync.ingest.checking import CheckedChunk, RawInput, checked_chunks
from sbt_sync.ingest.prefetch import prefetched
from sbt_sync.ingest.validate import Failure
from schemas.feeds import FeedSpec

CHUNK = 5000
PARALLEL = True
"""Check chunks in a worker process when there is more than one (``checking.checked_chunks``)."""
PREFETCH_CHUNKS = 1
"""Validated chunks waiting for their write: one keeps the validator busy while a chunk is written."""
SAMPLE = 5
_QUARANTINE_TABLE = cast(Table, QuarantinedRow.__table__)
_STAGED_TABLE = cast(Table, StagedRecord.__table__)
_RAW_TABLE = cast(Table, RawRecord.__table__)


@dataclass
class StagingResult:
    validated: int = 0
    staged_new: int = 0
    staged_changed: int = 0
    staged_unchanged: int = 0
    withdrawn: int = 0
    quarantined_rows: int = 0
    quarantined_records: int = 0
    unknown_columns: set[str] = field(default_factory=set)
    missing_columns: set[str] = field(default_factory=set)
    failures_by_check: Counter[str] = field(default_factory=Counter)
    sample: list[dict[str, Any]] = field(default_factory=list)

    @property
    def quarantine_ratio(self) -> float:
        return self.quarantined_records / self.validated if self.validated else 0.0


def _origin_location(origin: str | None) -> tuple[str | None, int | None]:
    """``(file name, row)`` from a file record's origin ``"name:row"``; HTTP origins (``"page N"``)
    give no file."""
    if not origin or origin.startswith(("page ", "http")):
        return None, None
    name, _, row = origin.rpartition(":")
    return (name, int(row)) if row.isdigit() else (origin, None)


_RAW_COLUMNS = (  # RawInput's fields, in order
    RawRecord.id,
    RawRecord.record_key,
    RawRecord.payload,
    RawRecord.version,
    RawRecord.origin,
    RawRecord.source_updated_at,
)


def stage_pending(database: Database, *, source: str, feed: FeedSpec) -> StagingResult:
    """Validate and stage every raw record of ``source`` whose current version is unvalidated.

    Each chunk commits on its own, so a crash loses at most the chunk in progress, which the next run
    validates again (its raw versions are still marked pending). A background thread reads the next
    chunks while the current one is written, and hands them to a worker process to validate when
    there is more than one chunk (``checking.checked_chunks``); every write stays in this thread.
    """
    result = StagingResult()

    def checked() -> Iterator[tuple[list[RawInput], CheckedChunk]]:
        return checked_chunks(feed, _raw_chunks(database, source), parallel=_worth_a_worker)

    with prefetched(checked, depth=PREFETCH_CHUNKS, name=f"validate-{source}") as chunks:
        for raws, chunk in chunks:
            first = not result.validated
            with database.session() as session:
                _stage_chunk(session, source, raws, chunk, result)
            if first:
                ensure_statistics(database, _RAW_TABLE, _STAGED_TABLE, _QUARANTINE_TABLE)
    return result


def _raw_chunks(database: Database, source: str) -> Iterator[list[RawInput]]:
    """Chunks of the pending raw records of ``source``, in id order."""
    last_id = 0
    while True:
        with database.session() as session:
            # Plain column rows, not ORM objects: nothing here is modified through the identity map.
            raws = session.execute(
                select(*_RAW_COLUMNS)
                .where(
                    RawRecord.source == source,
                    RawRecord.id > last_id,
                    (RawRecord.validated_version.is_(None))
                    | (RawRecord.validated_version < RawRecord.version),
                )
                .order_by(RawRecord.id)
                .limit(CHUNK)
            ).all()
        if not raws:
            return
        last_id = raws[-1].id
        yield [RawInput(*raw) for raw in raws]


def _worth_a_worker(first: list[RawInput]) -> bool:
    """A full first chunk means more may follow: worth a worker process. Less is one chunk in all."""
    return PARALLEL and len(first) >= CHUNK


def _stage_chunk(
    session: Session, source: str, raws: list[RawInput], chunk: CheckedChunk, result: StagingResult
) -> None:
    """Stage one validated chunk of raw rows with set-based statements: one bulk INSERT of
    quarantine entries, one of new staged rows, and bulk UPDATEs by primary key of changed rows."""
    outcome = chunk.outcome
    by_id = {raw.id: raw for raw in raws}
    result.validated += len(raws)
    result.unknown_columns.update(outcome.unknown_columns)
    result.missing_columns.update(outcome.missing_columns)
    now = utcnow()

    # Open quarantine entries of earlier versions are superseded by this validation.
    session.execute(
        update(QuarantinedRow)
        .where(one_of(session, QuarantinedRow.raw_record_id, by_id), QuarantinedRow.status == "open")
        .values(status="superseded", resolved_at=now)
        .execution_options(synchronize_session=False)
    )
    failed_items: dict[int, set[int | None]] = {}
    quarantine: list[dict[str, Any]] = []
    for failure in outcome.failures:
        raw = by_id[failure.ref]
        failed_items.setdefault(raw.id, set()).add(failure.item_no)
        quarantine.append(_quarantine_row(source, raw, failure))
        result.failures_by_check[failure.check] += 1
        if len(result.sample) < SAMPLE:
            result.sample.append({"key": raw.key, "column": failure.column, "reason": failure.reason})
    result.quarantined_rows += len({(f.ref, f.item_no) for f in outcome.failures})
    result.quarantined_records += len(failed_items)
    # COPY on PostgreSQL, Core INSERT elsewhere: the ORM's bulk path costs per-row bookkeeping and
    # splits the batch wherever a row has a None (it leaves those keys out); every column is given.
    insert_rows(session, _QUARANTINE_TABLE, quarantine)

    existing = {
        (row.raw_record_id, row.item_no): row
        for row in session.execute(
            select(
                StagedRecord.id,
                StagedRecord.raw_record_id,
                StagedRecord.item_no,
                StagedRecord.raw_version,
                StagedRecord.content_hash,
                StagedRecord.withdrawn,
            ).where(one_of(session, StagedRecord.raw_record_id, by_id))
        ).all()
    }
    produced: set[tuple[int, int]] = set()
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    version_bumps: list[dict[str, Any]] = []
    for staged in chunk.staged:
        raw, digest, values = by_id[staged.raw_id], staged.content_hash, staged.values
        produced.add((raw.id, staged.item_no))
        row = existing.get((raw.id, staged.item_no))
        if row is not None and row.content_hash == digest and not row.withdrawn:
            if row.raw_version != raw.version:
                version_bumps.append({"id": row.id, "raw_version": raw.version})
            result.staged_unchanged += 1
            continue
        values["staged_at"] = now
        if row is None:
            new_rows.append(
                {
                    "source": source,
                    "record_key": raw.key,
                    "item_no": staged.item_no,
                    "raw_record_id": raw.id,
                    **values,
                }
            )
            result.staged_new += 1
        else:
            # Changed content: identity must be resolved again (reconciliation fills these in).
            changed_rows.append({"id": row.id, **values, **_IDENTITY_CLEARED})
            result.staged_changed += 1

    # Items a new version no longer carries are withdrawn; items that failed keep their last good row.
    withdrawals: list[dict[str, Any]] = []
    for (raw_id, item_no), row in existing.items():
        if (raw_id, item_no) in produced or row.withdrawn:
            continue
        failed = failed_items.get(raw_id, set())
        if item_no in failed or None in failed:
            continue
        withdrawals.append({"id": row.id, "withdrawn": True, "needs_reconcile": True, "staged_at": now})
        result.withdrawn += 1
    insert_rows(session, _STAGED_TABLE, new_rows)
    for params in (changed_rows, version_bumps, withdrawals):
        if params:
            session.execute(update(StagedRecord), params)
    # One set-based statement instead of one UPDATE per record.
    session.execute(
        update(RawRecord)
        .where(one_of(session, RawRecord.id, by_id))
        .values(validated_version=RawRecord.version)
        .execution_options(synchronize_session=False)
    )


_IDENTITY_CLEARED: dict[str, Any] = {"resolved_nip": None, "identity_rule": None, "identity_score": None}


def _quarantine_row(source: str, raw: RawInput, failure: Failure) -> dict[str, Any]:
    file_name, file_row = _origin_location(raw.origin)
    row_number = file_row if file_name else (None if failure.item_no is None else failure.item_no + 1)
    return {
        "source": source,
        "raw_record_id": raw.id,
        "raw_version": raw.version,
        "record_key": raw.key,
        "file_name": file_name,
        "row_number": row_number,
        "column": failure.column,
        "check": failure.check[:255],
        "value": failure.value,
        "reason": f"{file_name} row {row_number}: {failure.reason}" if file_name else failure.reason,
    }
