"""Staging: validate the raw records whose current version has not been validated, quarantine what
fails, and upsert what passes as canonical staged records.

Only new or changed raw versions are looked at, and a staged row whose canonical content is unchanged
is not touched, so reconciliation sees exactly what changed. A newer version that fails validation
quarantines its rows and keeps the earlier good staged row: nothing already stored is lost.

Two callers: ``pull_http`` stages each HTTP batch in its landing transaction (``stage_chunk`` on
the versions ``current_versions`` picks from a ``check_delivery``), and ``stage_pending`` validates
whatever is still pending afterwards: SFTP files, a batch landed while validation was broken, records
landed before an upgrade. Both write through ``stage_chunk``, so a record stages the same either way.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from connectors.redact import mask_nips
from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import IngestBatch, QuarantinedRow, RawRecord, StagedRecord
from sbt_sync.ingest.bulk import ensure_statistics, insert_columns, insert_rows, one_of
from sbt_sync.ingest.checking import (
    CheckedChunk,
    CheckedDelivery,
    RawInput,
    StagedValues,
    checked_chunks,
    same_staged,
)
from sbt_sync.ingest.collector import paused_gc
from sbt_sync.ingest.landing import LandedRecord
from sbt_sync.ingest.prefetch import prefetched
from sbt_sync.ingest.tuning import DEFAULT_TUNING, IngestTuning
from sbt_sync.ingest.validate import Failure, ValidationOutcome
from sbt_sync.instants import as_utc
from schemas.feeds import FeedSpec

PREFETCH_CHUNKS = 1
"""Validated chunks waiting for their write: one keeps the validator busy while a chunk is written."""
SAMPLE = 5
_PERSONAL_COLUMN = re.compile(r"nip|nama|name|lahir|birth", re.IGNORECASE)
_WORDS = re.compile(r"[^\W\d_]{2,}[\s,.'-]+[^\W\d_]{2,}")
"""Two words of letters in a row: free text that may name someone (:func:`_may_name`)."""
_QUARANTINE_TABLE = cast(Table, QuarantinedRow.__table__)
_STAGED_TABLE = cast(Table, StagedRecord.__table__)
_RAW_TABLE = cast(Table, RawRecord.__table__)


@dataclass
class StagingResult:
    validated: int = 0
    staged_new: int = 0
    staged_changed: int = 0
    staged_unchanged: int = 0
    stale: int = 0
    """Records whose new version the source dated before the one staged (``versions_by_updated_at``):
    kept raw, not staged."""
    withdrawn: int = 0
    quarantined_rows: int = 0
    quarantined_records: int = 0
    nips_rejected: int = 0
    """Rows staged without the NIP they were written with (float-mangled, impossible): their quarantine
    entry names the NIP, and identity resolution looks for the ASN by name."""
    unknown_columns: set[str] = field(default_factory=set)
    missing_columns: set[str] = field(default_factory=set)
    rows_checked: int = 0
    """Rows validated (a record may give several); with ``absent_rows``, whether a declared column was
    absent from every row (:mod:`sbt_sync.ingest.drift`)."""
    absent_rows: Counter[str] = field(default_factory=Counter)
    """Per declared column, the validated rows of the chunks that lacked it altogether."""
    failures_by_check: Counter[str] = field(default_factory=Counter)
    sample: list[dict[str, Any]] = field(default_factory=list)

    @property
    def quarantine_ratio(self) -> float:
        return self.quarantined_records / self.validated if self.validated else 0.0

    def merge(self, other: StagingResult) -> None:
        """Add ``other``'s counts, drift and failures to this result (the sample stays bounded)."""
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.unknown_columns |= other.unknown_columns
        self.missing_columns |= other.missing_columns
        self.absent_rows.update(other.absent_rows)
        self.failures_by_check.update(other.failures_by_check)
        self.sample.extend(other.sample[: max(SAMPLE - len(self.sample), 0)])

    def to_json(self) -> dict[str, Any]:
        """The result as JSON-compatible data (``ingest_batches.validation``)."""
        return {
            **{name: getattr(self, name) for name in _COUNTS},
            "unknown_columns": sorted(self.unknown_columns),
            "missing_columns": sorted(self.missing_columns),
            "absent_rows": dict(self.absent_rows),
            "failures_by_check": dict(self.failures_by_check),
            "sample": self.sample,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StagingResult:
        return cls(
            **{name: int(data.get(name, 0)) for name in _COUNTS},
            unknown_columns=set(data.get("unknown_columns", [])),
            missing_columns=set(data.get("missing_columns", [])),
            absent_rows=Counter(data.get("absent_rows", {})),
            failures_by_check=Counter(data.get("failures_by_check", {})),
            sample=list(data.get("sample", [])),
        )


_COUNTS = (
    "validated",
    "staged_new",
    "staged_changed",
    "staged_unchanged",
    "stale",
    "withdrawn",
    "quarantined_rows",
    "quarantined_records",
    "nips_rejected",
    "rows_checked",
)


def validated_in_run(database: Database, source: str, run_id: str) -> StagingResult:
    """What validation found in the batches of ``source`` that run ``run_id`` landed and validated in
    their landing transaction (``pull_http``), summed."""
    total = StagingResult()
    with database.session() as session:
        for data in session.scalars(
            select(IngestBatch.validation)
            .where(
                IngestBatch.source == source,
                IngestBatch.run_id == run_id,
                IngestBatch.validation.is_not(None),
            )
            .order_by(IngestBatch.id)
        ):
            if data is not None:
                total.merge(StagingResult.from_json(data))
    return total


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


def stage_pending(
    database: Database, *, source: str, feed: FeedSpec, tuning: IngestTuning = DEFAULT_TUNING
) -> StagingResult:
    """Validate and stage every raw record of ``source`` whose current version is unvalidated.

    Each chunk commits on its own, so a crash loses at most the chunk in progress, which the next run
    validates again (its raw versions are still marked pending). A background thread reads the next
    chunks while the current one is written, and hands them to a worker process to validate when
    there is more than one chunk (``checking.checked_chunks``); every write stays in this thread.
    """
    result = StagingResult()

    def checked() -> Iterator[tuple[list[RawInput], CheckedChunk]]:
        def worth_a_worker(first: list[RawInput]) -> bool:
            """A full first chunk means more may follow: worth a worker process. Less is all there is."""
            return tuning.stage_in_worker and len(first) >= tuning.stage_chunk

        return checked_chunks(
            feed, _raw_chunks(database, source, tuning.stage_chunk), parallel=worth_a_worker
        )

    with prefetched(checked, depth=PREFETCH_CHUNKS, name=f"validate-{source}") as chunks:
        for raws, chunk in chunks:
            first = not result.validated
            with paused_gc(), database.session() as session:
                stage_chunk(
                    session, source, raws, chunk, result, versions_by_updated_at=feed.versions_by_updated_at
                )
            if first:
                ensure_statistics(database, _RAW_TABLE, _STAGED_TABLE, _QUARANTINE_TABLE)
    return result


def _raw_chunks(database: Database, source: str, size: int) -> Iterator[list[RawInput]]:
    """Chunks of ``size`` pending raw records of ``source``, in id order."""
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
                .limit(size)
            ).all()
        if not raws:
            return
        last_id = raws[-1].id
        yield [RawInput(*raw) for raw in raws]


def stage_chunk(
    session: Session,
    source: str,
    raws: list[RawInput],
    chunk: CheckedChunk,
    result: StagingResult,
    *,
    mark_validated: bool = True,
    fresh_ids: Collection[int] = frozenset(),
    versions_by_updated_at: bool = False,
) -> None:
    """Stage one validated chunk of raw rows with set-based statements: one bulk INSERT of
    quarantine entries, one of new staged rows, and bulk UPDATEs by primary key of changed rows.

    ``mark_validated`` records the versions as validated (a caller that landed them as validated in
    this transaction says False); ``fresh_ids`` are records first landed in this transaction, which
    no quarantine entry or staged row can refer to yet, so they are not looked up.
    ``versions_by_updated_at`` (the feed's flag): a version the source dated before the staged one is
    stale and leaves the staged rows as they are (``_stale_versions``).
    """
    outcome = chunk.outcome
    by_id = {raw.id: raw for raw in raws}
    known = [raw_id for raw_id in by_id if raw_id not in fresh_ids]
    result.validated += len(raws)
    result.unknown_columns.update(outcome.unknown_columns)
    result.missing_columns.update(outcome.missing_columns)
    result.rows_checked += outcome.rows
    for column in outcome.missing_columns:
        result.absent_rows[column] += outcome.rows
    now = utcnow()

    # Open quarantine entries of earlier versions are superseded by this validation.
    if known:
        session.execute(
            update(QuarantinedRow)
            .where(one_of(session, QuarantinedRow.raw_record_id, known), QuarantinedRow.status == "open")
            .values(status="superseded", resolved_at=now)
            .execution_options(synchronize_session=False)
        )
    failed_items: dict[int, set[int | None]] = {}
    quarantine: list[dict[str, Any]] = []
    for failure in outcome.failures:
        raw = by_id[failure.ref]
        if failure.staged:
            result.nips_rejected += 1  # the row itself was staged (without its NIP)
        else:
            failed_items.setdefault(raw.id, set()).add(failure.item_no)
        quarantine.append(_quarantine_row(source, raw, failure))
        result.failures_by_check[failure.check] += 1
        if len(result.sample) < SAMPLE:
            result.sample.append(sample_entry(raw.key, failure))
    result.quarantined_rows += len({(f.ref, f.item_no) for f in outcome.failures if not f.staged})
    result.quarantined_records += len(failed_items)
    # COPY on PostgreSQL, Core INSERT elsewhere: the ORM's bulk path costs per-row bookkeeping and
    # splits the batch wherever a row has a None (it leaves those keys out); every column is given.
    insert_rows(session, _QUARANTINE_TABLE, quarantine)

    existing = {
        (row.raw_record_id, row.item_no): row
        for row in (
            session.execute(
                select(
                    StagedRecord.id,
                    StagedRecord.raw_record_id,
                    StagedRecord.item_no,
                    StagedRecord.raw_version,
                    StagedRecord.content_hash,
                    StagedRecord.withdrawn,
                    StagedRecord.source_updated_at,
                ).where(one_of(session, StagedRecord.raw_record_id, known))
            ).all()
            if known
            else ()
        )
    }
    stale = _stale_versions(existing, chunk.staged) if versions_by_updated_at and existing else set()
    result.stale += len(stale)
    produced: set[tuple[int, int]] = set()
    new_rows: list[tuple[RawInput, StagedValues]] = []
    changed_rows: list[dict[str, Any]] = []
    version_bumps: list[dict[str, Any]] = []
    for staged in chunk.staged:
        if staged.raw_id in stale:
            continue
        raw, digest, values = by_id[staged.raw_id], staged.content_hash, staged.values
        produced.add((raw.id, staged.item_no))
        row = existing.get((raw.id, staged.item_no))
        if row is not None and not row.withdrawn and same_staged(row.content_hash, staged.record, digest):
            if row.raw_version != raw.version:
                version_bumps.append({"id": row.id, "raw_version": raw.version})
            result.staged_unchanged += 1
            continue
        values["staged_at"] = now
        if row is None:
            new_rows.append((raw, staged))
            result.staged_new += 1
        else:
            # Changed content: identity must be resolved again (reconciliation fills these in).
            changed_rows.append({"id": row.id, **values, **_IDENTITY_CLEARED})
            result.staged_changed += 1

    # Items a new version no longer carries are withdrawn; items that failed keep their last good row.
    withdrawals: list[dict[str, Any]] = []
    for (raw_id, item_no), row in existing.items():
        if (raw_id, item_no) in produced or row.withdrawn or raw_id in stale:
            continue
        failed = failed_items.get(raw_id, set())
        if item_no in failed or None in failed:
            continue
        withdrawals.append({"id": row.id, "withdrawn": True, "needs_reconcile": True, "staged_at": now})
        result.withdrawn += 1
    if new_rows:
        insert_columns(session, _STAGED_TABLE, _new_staged_columns(source, new_rows))
    for params in (changed_rows, version_bumps, withdrawals):
        if params:
            session.execute(update(StagedRecord), params)
    if mark_validated:  # one set-based statement instead of one UPDATE per record
        session.execute(
            update(RawRecord)
            .where(one_of(session, RawRecord.id, by_id))
            .values(validated_version=RawRecord.version)
            .execution_options(synchronize_session=False)
        )


def _new_staged_columns(source: str, rows: list[tuple[RawInput, StagedValues]]) -> dict[str, list[Any]]:
    """New staged rows column-wise: the row's identity, then its values (the same keys in every
    row), transposed in C instead of a dict per row."""
    names = list(rows[0][1].values)
    columns: dict[str, list[Any]] = {
        "source": [source] * len(rows),
        "record_key": [raw.key for raw, _ in rows],
        "item_no": [staged.item_no for _, staged in rows],
        "raw_record_id": [raw.id for raw, _ in rows],
    }
    values = zip(*map(itemgetter(*names), (staged.values for _, staged in rows)), strict=True)
    columns.update(zip(names, map(list, values), strict=True))
    return columns


def _stale_versions(existing: dict[tuple[int, int], Any], staged: list[StagedValues]) -> set[int]:
    """Raw records whose validated version the source dated (``source_updated_at``) strictly before
    what their staged rows already hold: a lagging replica or a restored backup serving an old state.
    Such a version stays in the raw history but does not replace, add or withdraw a staged row. A
    version with no date, or a record with no dated staged row, is never stale."""
    held: dict[int, datetime] = {}
    for (raw_id, _), row in existing.items():
        at = _aware(row.source_updated_at)
        if at is not None and not row.withdrawn and (raw_id not in held or at > held[raw_id]):
            held[raw_id] = at
    offered: dict[int, list[datetime | None]] = defaultdict(list)
    for item in staged:
        offered[item.raw_id].append(_aware(item.values.get("source_updated_at")))
    stale: set[int] = set()
    for raw_id, dates in offered.items():
        known = [at for at in dates if at is not None]
        if raw_id in held and len(known) == len(dates) and max(known) < held[raw_id]:
            stale.add(raw_id)
    return stale


def _aware(value: Any) -> datetime | None:
    """An instant as an aware datetime (SQLite returns stored UTC instants naive)."""
    if not isinstance(value, datetime):
        return None
    return as_utc(value)


def current_versions(
    delivery: CheckedDelivery, landed: list[LandedRecord]
) -> tuple[list[RawInput], CheckedChunk]:
    """The part of a delivery's validation (``check_delivery``) that concerns the versions landing
    made current, mapped from delivery positions to the landed records: unchanged records and
    contents replaced within the same batch drop out."""
    current = {record.ref: record for record in landed if record.ref is not None}
    raws = [
        RawInput(r.id, r.key, r.payload, r.version, r.origin, r.source_updated_at) for r in current.values()
    ]
    outcome = delivery.checked.outcome
    failures = [replace(f, ref=current[f.ref].id) for f in outcome.failures if f.ref in current]
    staged = []
    for item in delivery.checked.staged:
        record = current.get(item.raw_id)
        if record is None:
            continue
        values = item.values
        values["raw_version"] = record.version
        if values["source_updated_at"] is None:
            values["source_updated_at"] = record.source_updated_at
        staged.append(StagedValues(record.id, item.item_no, item.content_hash, values, item.record))
    mapped = ValidationOutcome(
        failures=failures,
        unknown_columns=outcome.unknown_columns,
        missing_columns=outcome.missing_columns,
        rows=outcome.rows,
    )
    return raws, CheckedChunk(mapped, staged)


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


def sample_entry(key: str, failure: Failure) -> dict[str, Any]:
    """A quarantined row as the run's metadata and logs show it (UU 27/2022): NIPs masked, and no value
    of a column holding a NIP, a name or a birth date, nor any value that may name someone (free text,
    a structured value: :func:`_may_name`); the quarantine table keeps the whole reason."""
    column = failure.column or ""
    if _PERSONAL_COLUMN.search(column):
        reason = f"{column}: failed {failure.check} (value withheld: personal data)"
    elif _may_name(failure):
        value = failure.value or ""
        cut = failure.reason.find(" (value ")
        head = failure.reason[:cut] if cut >= 0 else ""
        if not head or value in head:  # a reason that repeats the value says only what failed
            head = f"{column or '(row)'}: failed {failure.check}"
        reason = f"{mask_nips(head)} (value withheld: may name a person)"
    else:
        reason = mask_nips(failure.reason)
    return {"key": mask_nips(key), "column": failure.column, "reason": reason}


def _may_name(failure: Failure) -> bool:
    """Whether a bad value may hold a person's name in clear: words (two in a row, as a name is
    written), or a structured value (an object or a list where one value was expected). Dates, codes,
    numbers and single words are shown: they name no one and tell the agency what to fix."""
    value = (failure.value or "").strip()
    if failure.check == "json_type" or value.startswith(("{", "[")):
        return True
    return _WORDS.search(value) is not None
