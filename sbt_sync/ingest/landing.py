"""Landing a raw batch: records kept verbatim, versioned by content hash, and the source's cursor
advanced, all in one transaction (DESIGN.md, "Ingestion contract").

A crash before the commit lands nothing and moves no cursor; the next run fetches the same increment
again and, because unchanged content is recognised by its hash, lands each record once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from sbt_sync.db.base import utcnow
from sbt_sync.db.models import IngestBatch, RawRecord, RawRecordVersion, SourceCursor
from sbt_sync.errors import SbtError
from sbt_sync.ingest.bulk import copy_supported, insert_rows, next_ids, one_of

CHUNK = 5000
# Core inserts on the tables skip the ORM bulk path's per-row bookkeeping (every column is given).
_RAW_TABLE = cast(Table, RawRecord.__table__)
_VERSION_TABLE = cast(Table, RawRecordVersion.__table__)


@dataclass(frozen=True, slots=True)
class FetchedRecord:
    """One record as a connector delivered it."""

    key: str
    payload: Any
    """JSON-compatible value kept verbatim (for CSV, the row's raw cells by column name)."""
    origin: str | None = None
    source_updated_at: datetime | None = None
    content: tuple[str, str] | None = None
    """``content_of(payload)`` when the caller computed it already (off the landing thread)."""


@dataclass(frozen=True, slots=True)
class CursorMove:
    cursor: str | None
    watermark: datetime | None = None


@dataclass
class LandingResult:
    batch_id: int
    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    duplicates: int = 0
    """Records delivered more than once with the same content in this batch."""
    landed_ids: list[int] = field(default_factory=list)
    """Raw record ids that are new or changed: what validation and staging must look at."""


class CursorRegression(SbtError):
    """A batch tried to move a source's watermark backwards."""


# One encoder for every record: ``json.dumps`` with non-default options builds a new one per call.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def content_of(payload: Any) -> tuple[str, str]:
    """``(canonical JSON text, its SHA-256)``: what is stored and how versions are told apart."""
    text = _CANONICAL.encode(payload)
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


def _chunks(records: Iterable[FetchedRecord], size: int) -> Iterator[list[FetchedRecord]]:
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk


def land_batch(
    session: Session,
    *,
    source: str,
    records: Iterable[FetchedRecord],
    cursor: CursorMove | None,
    run_id: str | None = None,
    pages: int = 0,
    retries: int = 0,
) -> LandingResult:
    """Land ``records`` for ``source`` and move its cursor, inside the caller's transaction.

    Raises :class:`CursorRegression` (and the caller's transaction rolls back) when the new watermark
    is older than the stored one. Within one batch a key delivered twice is landed once per distinct
    content, in delivery order.
    """
    now = utcnow()
    current = session.get(SourceCursor, source)
    if cursor is not None and current is not None:
        _refuse_regression(source, current.watermark, cursor.watermark)
    batch = IngestBatch(
        source=source,
        run_id=run_id,
        started_at=now,
        cursor_before=current.cursor if current else None,
        watermark_before=current.watermark if current else None,
    )
    session.add(batch)
    session.flush()
    result = LandingResult(batch_id=batch.id)
    for chunk in _chunks(records, CHUNK):
        _land_chunk(session, source, chunk, batch.id, now, result)
    batch.fetched, batch.new, batch.changed, batch.unchanged = (
        result.fetched,
        result.new,
        result.changed,
        result.unchanged,
    )
    batch.pages, batch.retries = pages, retries
    if cursor is not None:
        if current is None:
            current = SourceCursor(source=source, version=0)
            session.add(current)
        current.cursor = cursor.cursor
        if cursor.watermark is not None:
            current.watermark = cursor.watermark
        current.version += 1
        current.last_batch_id = batch.id
        current.updated_at = now
    batch.cursor_after = current.cursor if current else None
    batch.watermark_after = current.watermark if current else None
    batch.committed_at = now
    session.flush()
    return result


def _refuse_regression(source: str, stored: datetime | None, proposed: datetime | None) -> None:
    if stored is not None and proposed is not None and proposed < stored:
        raise CursorRegression(
            f"source {source}: cursor would move backwards "
            f"from {stored.isoformat()} to {proposed.isoformat()}"
        )


@dataclass
class _KeyState:
    raw_id: int | None
    stored_hash: str | None
    stored_version: int
    versions: list[tuple[str, str]] = field(default_factory=list)
    """Distinct new contents ``(hash, payload)`` in delivery order."""
    origin: str | None = None
    source_updated_at: datetime | None = None

    @property
    def latest_hash(self) -> str | None:
        return self.versions[-1][0] if self.versions else self.stored_hash


def _land_chunk(
    session: Session,
    source: str,
    chunk: Sequence[FetchedRecord],
    batch_id: int,
    now: datetime,
    result: LandingResult,
) -> None:
    """Classify each record against the stored and earlier-in-batch content, then write in bulk."""
    rows = session.execute(
        select(RawRecord.id, RawRecord.record_key, RawRecord.content_hash, RawRecord.version).where(
            RawRecord.source == source, one_of(session, RawRecord.record_key, {r.key for r in chunk})
        )
    ).all()
    states: dict[str, _KeyState] = {r.record_key: _KeyState(r.id, r.content_hash, r.version) for r in rows}
    unchanged_ids: set[int] = set()
    for record in chunk:
        result.fetched += 1
        payload_text, digest = record.content or content_of(record.payload)
        state = states.get(record.key)
        if state is None:
            state = states[record.key] = _KeyState(None, None, 0)
            result.new += 1
        elif digest == state.latest_hash:
            if state.versions:
                result.duplicates += 1
            else:
                result.unchanged += 1
                assert state.raw_id is not None
                unchanged_ids.add(state.raw_id)
            continue
        elif digest in {h for h, _ in state.versions}:
            result.duplicates += 1
            continue
        elif state.raw_id is not None or state.versions:
            result.changed += 1
        state.versions.append((digest, payload_text))
        state.origin = record.origin
        state.source_updated_at = record.source_updated_at

    fresh = [(key, st) for key, st in states.items() if st.raw_id is None and st.versions]
    if fresh:
        _insert_fresh(session, source, fresh, batch_id, now)
    changed = [st for st in states.values() if st.stored_version and st.versions]
    if changed:
        session.execute(
            update(RawRecord),
            [
                {
                    "id": st.raw_id,
                    "content_hash": st.versions[-1][0],
                    "payload": st.versions[-1][1],
                    "origin": st.origin,
                    "source_updated_at": st.source_updated_at,
                    "version": st.stored_version + len(st.versions),
                    "last_seen_at": now,
                    "last_batch_id": batch_id,
                }
                for st in changed
            ],
        )
    insert_rows(
        session,
        _VERSION_TABLE,
        [
            {
                "raw_record_id": st.raw_id,
                "version": st.stored_version + i,
                "content_hash": digest,
                "payload": payload,
                "seen_at": now,
                "batch_id": batch_id,
            }
            for st in states.values()
            for i, (digest, payload) in enumerate(st.versions, start=1)
        ],
    )
    result.landed_ids.extend(st.raw_id for st in states.values() if st.versions and st.raw_id is not None)
    if unchanged_ids:
        session.execute(
            update(RawRecord).where(one_of(session, RawRecord.id, unchanged_ids)).values(last_seen_at=now),
            execution_options={"synchronize_session": False},
        )


def _insert_fresh(
    session: Session, source: str, fresh: Sequence[tuple[str, _KeyState]], batch_id: int, now: datetime
) -> None:
    """Insert never-seen keys and set their ``raw_id``: on PostgreSQL ids are drawn from the sequence
    and the rows copied; elsewhere one INSERT ... RETURNING in parameter order."""
    rows = [
        {
            "source": source,
            "record_key": key,
            "content_hash": st.versions[-1][0],
            "payload": st.versions[-1][1],
            "origin": st.origin,
            "source_updated_at": st.source_updated_at,
            "version": len(st.versions),
            "first_seen_at": now,
            "last_seen_at": now,
            "last_batch_id": batch_id,
        }
        for key, st in fresh
    ]
    if copy_supported(session):
        ids = next_ids(session, _RAW_TABLE, len(rows))
        for row, raw_id in zip(rows, ids, strict=True):
            row["id"] = raw_id
        insert_rows(session, _RAW_TABLE, rows)
    else:
        ids = list(
            session.execute(
                insert(_RAW_TABLE).returning(_RAW_TABLE.c.id, sort_by_parameter_order=True), rows
            ).scalars()
        )
    for (_, st), raw_id in zip(fresh, ids, strict=True):
        st.raw_id = raw_id
