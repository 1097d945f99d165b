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
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import QuarantinedRow, RawRecord, StagedRecord
from sbt_sync.ingest.validate import Failure, RecordInput, validate
from schemas.feeds import FeedSpec, Staged

CHUNK = 2000
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


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def _staged_hash(staged: Staged) -> str:
    # A shallow view: dataclasses.asdict deep-copies every record, which showed in the profile.
    data = {name: _jsonable(getattr(staged, name)) for name in _field_names(type(staged))}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


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
    validates again (its raw versions are still marked pending).
    """
    result = StagingResult()
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
                return result
            last_id = raws[-1].id
            _stage_chunk(session, source, feed, raws, result)


def _stage_chunk(
    session: Session, source: str, feed: FeedSpec, raws: Sequence[Any], result: StagingResult
) -> None:
    """Stage one chunk of raw rows (``_RAW_COLUMNS``) with set-based statements: one bulk INSERT of
    quarantine entries, one of new staged rows, and bulk UPDATEs by primary key of changed rows."""
    by_id = {raw.id: raw for raw in raws}
    outcome = validate(feed, [RecordInput(raw.id, raw.record_key, json.loads(raw.payload)) for raw in raws])
    result.validated += len(raws)
    result.unknown_columns.update(outcome.unknown_columns)
    result.missing_columns.update(outcome.missing_columns)
    now = utcnow()

    # Open quarantine entries of earlier versions are superseded by this validation.
    session.execute(
        update(QuarantinedRow)
        .where(QuarantinedRow.raw_record_id.in_(by_id), QuarantinedRow.status == "open")
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
    if quarantine:
        # Core inserts on the tables: the ORM's bulk path costs per-row bookkeeping and splits the
        # batch wherever a row has a None (it leaves those keys out); every column is given here.
        session.execute(insert(_QUARANTINE_TABLE), quarantine)

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
            ).where(StagedRecord.raw_record_id.in_(by_id))
        ).all()
    }
    produced: set[tuple[int, int]] = set()
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    version_bumps: list[dict[str, Any]] = []
    for ref, staged in outcome.staged:
        raw = by_id[ref]
        produced.add((raw.id, staged.item_no))
        digest = _staged_hash(staged)
        row = existing.get((raw.id, staged.item_no))
        if row is not None and row.content_hash == digest and not row.withdrawn:
            if row.raw_version != raw.version:
                version_bumps.append({"id": row.id, "raw_version": raw.version})
            result.staged_unchanged += 1
            continue
        values = _fill(staged, raw.version, digest, now, raw.source_updated_at)
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
            changed_rows.append({"id": row.id, **values})
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
    if new_rows:
        session.execute(insert(_STAGED_TABLE), new_rows)
    for params in (changed_rows, version_bumps, withdrawals):
        if params:
            session.execute(update(StagedRecord), params)
    # One set-based statement instead of one UPDATE per record.
    session.execute(
        update(RawRecord)
        .where(RawRecord.id.in_(by_id))
        .values(validated_version=RawRecord.version)
        .execution_options(synchronize_session=False)
    )


def _fill(
    staged: Staged,
    raw_version: int,
    digest: str,
    now: datetime,
    delivered: datetime | None,
) -> dict[str, Any]:
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
        "staged_at": now,
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
