"""Staging: validate the raw records whose current version has not been validated, quarantine what
fails, and upsert what passes as canonical staged records.

Only new or changed raw versions are looked at, and a staged row whose canonical content is unchanged
is not touched, so reconciliation sees exactly what changed. A newer version that fails validation
quarantines its rows and keeps the earlier good staged row: nothing already stored is lost.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import QuarantinedRow, RawRecord, StagedRecord
from sbt_sync.ingest.bulk import insert_rows, one_of
from sbt_sync.ingest.prefetch import prefetched
from sbt_sync.ingest.validate import Failure, RecordInput, ValidationOutcome, validate
from schemas.feeds import FeedSpec, Staged

CHUNK = 5000
PREFETCH_CHUNKS = 1
"""Validated chunks waiting for their write: one keeps the validator busy while a chunk is written."""
SAMPLE = 5
_QUARANTINE_TABLE = cast(Table, QuarantinedRow.__table__)
_STAGED_TABLE = cast(Table, StagedRecord.__table__)


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


# ``json.dumps(data, sort_keys=True, default=str)`` without building an encoder per record.
_HASH_ENCODER = json.JSONEncoder(sort_keys=True, default=str)


def _staged_hash(staged: Staged) -> str:
    """The staged record's content hash. Its text must not change: a stored hash that no longer
    matches re-stages the row and sends it back to identity resolution."""
    # A shallow view (``vars``, not dataclasses.asdict, which deep-copies every record); top-level
    # dates and instants as ISO text, nested values through ``default=str``.
    data = {
        name: value.isoformat() if isinstance(value, date) else value for name, value in vars(staged).items()
    }
    return hashlib.sha256(_HASH_ENCODER.encode(data).encode()).hexdigest()


def _origin_location(origin: str | None) -> tuple[str | None, int | None]:
    """``(file name, row)`` from a file record's origin ``"name:row"``; HTTP origins (``"page N"``)
    give no file."""
    if not origin or origin.startswith(("page ", "http")):
        return None, None
    name, _, row = origin.rpartition(":")
    return (name, int(row)) if row.isdigit() else (origin, None)


_RAW_COLUMNS = (
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
    validates again (its raw versions are still marked pending). A background thread reads and
    validates the next chunk while the current one is written.
    """
    result = StagingResult()
    with prefetched(
        lambda: _validated_chunks(database, source, feed), depth=PREFETCH_CHUNKS, name=f"validate-{source}"
    ) as chunks:
        for chunk in chunks:
            with database.session() as session:
                _stage_chunk(session, source, chunk, result)
    return result


@dataclass
class _Chunk:
    """A validated chunk, with what its staged rows would be written as (computed off the writer's
    thread: none of it depends on the database)."""

    raws: Sequence[Any]
    outcome: ValidationOutcome
    staged: list[tuple[Any, Staged, str, dict[str, Any]]]
    """``(raw row, staged record, content hash, column values)`` per staged record."""


def _validated_chunks(database: Database, source: str, feed: FeedSpec) -> Iterator[_Chunk]:
    """Chunks of pending raw rows (``_RAW_COLUMNS``) in id order, validated."""
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
        loads = json.loads
        outcome = validate(feed, [RecordInput(raw.id, raw.record_key, loads(raw.payload)) for raw in raws])
        by_id = {raw.id: raw for raw in raws}
        staged = []
        for ref, record in outcome.staged:
            raw = by_id[ref]
            digest = _staged_hash(record)
            staged.append((raw, record, digest, _fill(record, raw.version, digest, raw.source_updated_at)))
        yield _Chunk(raws, outcome, staged)


def _stage_chunk(session: Session, source: str, chunk: _Chunk, result: StagingResult) -> None:
    """Stage one validated chunk of raw rows with set-based statements: one bulk INSERT of
    quarantine entries, one of new staged rows, and bulk UPDATEs by primary key of changed rows."""
    raws, outcome = chunk.raws, chunk.outcome
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
            result.sample.append({"key": raw.record_key, "column": failure.column, "reason": failure.reason})
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
    for raw, staged, digest, values in chunk.staged:
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
                    "record_key": raw.record_key,
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


def _fill(staged: Staged, raw_version: int, digest: str, delivered: datetime | None) -> dict[str, Any]:
    """The staged row's column values (``staged_at`` is set when it is written)."""
    return {
        "raw_version": raw_version,
        "content_hash": digest,
        "nip": staged.nip,
        "nip_raw": staged.nip_raw[:64] if staged.nip_raw else None,
        "name": staged.name,
        "name_normalised": staged.name_normalised,
        "birth_date": staged.birth_date,
        "instansi": staged.instansi,
        "event_code": staged.event_code,
        "register_no": staged.register_no,
        "recommendation_no": staged.recommendation_no,
        "source_updated_at": staged.source_updated_at or delivered,
        "fields": {"record_type": staged.record_type, **staged.fields},
        "withdrawn": False,
        "needs_reconcile": True,
    }


def _quarantine_row(source: str, raw: Any, failure: Failure) -> dict[str, Any]:
    file_name, file_row = _origin_location(raw.origin)
    row_number = file_row if file_name else (None if failure.item_no is None else failure.item_no + 1)
    return {
        "source": source,
        "raw_record_id": raw.id,
        "raw_version": raw.version,
        "record_key": raw.record_key,
        "file_name": file_name,
        "row_number": row_number,
        "column": failure.column,
        "check": failure.check[:255],
        "value": failure.value,
        "reason": f"{file_name} row {row_number}: {failure.reason}" if file_name else failure.reason,
    }
