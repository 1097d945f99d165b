"""Landing a raw batch: records kept verbatim, versioned by content hash, and the source's cursor
advanced, all in one transaction (DESIGN.md, "Ingestion contract").

A crash before the commit lands nothing and moves no cursor; the next run fetches the same increment
again and, because unchanged content is recognised by its hash, lands each record once.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any, NamedTuple, cast

import orjson
from sqlalchemy import Table, func, insert, select, text, update
from sqlalchemy.orm import Session

from connectors.http import paging
from sbt_sync.db.base import utcnow
from sbt_sync.db.models import IngestBatch, RawRecord, RawRecordVersion, SourceCursor
from sbt_sync.errors import SbtError
from sbt_sync.ingest.bulk import copy_columns, copy_supported, insert_rows, next_ids, one_of
from sbt_sync.ingest.tuning import DEFAULT_TUNING

# Core inserts on the tables skip the ORM bulk path's per-row bookkeeping (every column is given).
_RAW_TABLE = cast(Table, RawRecord.__table__)
_VERSION_TABLE = cast(Table, RawRecordVersion.__table__)


class FetchedRecord(NamedTuple):
    """One record as a connector delivered it (a named tuple: built for every record of a batch,
    where a frozen dataclass's ``__init__`` costs a ``object.__setattr__`` per field)."""

    key: str
    payload: Any
    """JSON-compatible value kept verbatim (for CSV, the row's raw cells by column name)."""
    origin: str | None = None
    source_updated_at: datetime | None = None
    content: tuple[str, str] | None = None
    """``content_of(payload)`` when the caller computed it already (off the landing thread)."""
    ref: int | None = None
    """The caller's handle for this delivery (its position in a validated batch)."""


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
    landed: list[LandedRecord] = field(default_factory=list)
    """The records that are new or changed, at their current version: what validation and staging
    must look at."""
    fresh_ids: set[int] = field(default_factory=set)
    """The ids of ``landed`` records first landed in this batch (nothing can refer to them yet)."""

    @property
    def landed_ids(self) -> list[int]:
        return [record.id for record in self.landed]


class LandedRecord(NamedTuple):
    """A new or changed raw record as this batch left it."""

    id: int
    key: str
    version: int
    payload: str
    """The current payload (canonical JSON text)."""
    origin: str | None
    source_updated_at: datetime | None
    ref: int | None
    """The ``FetchedRecord.ref`` of the delivery that is now the current version."""


class CursorRegression(SbtError):
    """A batch tried to move a source's watermark backwards."""


# One encoder for every record: ``json.dumps`` with non-default options builds a new one per call.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


_ESCAPED = json.JSONEncoder(sort_keys=True, ensure_ascii=True, separators=(",", ":"), default=str)


def content_of(payload: Any) -> tuple[str, str]:
    """``(canonical JSON text, its SHA-256)``: what is stored and how versions are told apart.

    Text with a lone UTF-16 surrogate has no UTF-8 form (no database column takes it): such a payload
    is stored with every non-ASCII character escaped, the same JSON value, which validation then
    quarantines (``checking.unreadable_failures``) instead of the run crashing on it.
    """
    text = _CANONICAL.encode(payload)
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError:
        text = _ESCAPED.encode(payload)
        encoded = text.encode("ascii")
    return text, hashlib.sha256(encoded).hexdigest()


_ORJSON_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def _has_float(value: Any, *, nonfinite_only: bool = False) -> bool:
    """Whether a JSON value holds a float anywhere (``nonfinite_only``: a NaN or an infinity); a set of
    the value types per container, so the flat records sources send take one C pass."""
    items: Collection[Any]
    if value.__class__ is dict:
        items = value.values()
    elif value.__class__ is list:
        items = value
    else:
        return value.__class__ is float and not (nonfinite_only and math.isfinite(value))
    kinds = set(map(type, items))
    if float in kinds and (
        not nonfinite_only or not all(math.isfinite(item) for item in items if item.__class__ is float)
    ):
        return True
    if dict in kinds or list in kinds:
        nested = (item for item in items if item.__class__ in (dict, list))
        return any(_has_float(item, nonfinite_only=nonfinite_only) for item in nested)
    return False


def _refuse(value: Any) -> Any:
    raise TypeError(type(value).__name__)


def json_content_of(payload: Any) -> tuple[str, str]:
    """``content_of(payload)`` for a value ``json.loads`` produced, several times faster.

    orjson writes the same text as the canonical encoder for objects, arrays, strings (every
    character escaped alike), integers up to 64 bits, booleans and null. Everything else goes
    through ``content_of`` itself: floats (their shortest forms differ: ``1e+16`` and ``1e16``),
    larger integers and lone surrogates (which orjson refuses), and any value that is not plain
    JSON (``default=str`` would write it). So the text and hash are exactly ``content_of``'s.
    """
    try:
        encoded = orjson.dumps(payload, default=_refuse, option=_ORJSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return content_of(payload)
    if _has_float(payload):  # orjson refuses nesting deeper than 255, so this recursion is bounded
        return content_of(payload)
    return encoded.decode(), hashlib.sha256(encoded).hexdigest()


def page_digest(items: list[Any]) -> str | None:
    """``paging.page_digest`` for the records of a page (values ``json.loads`` produced), several
    times faster: two pages get the same digest exactly when they would get the same
    ``paging.page_digest`` (the same records).

    orjson's sorted text is, like the canonical encoder's, one text per JSON value. Its finite floats
    are the shortest text that reads back as the same float, as ``repr``'s are (``1e16`` where the
    encoder writes ``1e+16``): a different text, but one per value, so two pages still share a digest
    exactly when their records are the same (only ``content_of``, whose text is stored, needs the
    encoder's own). It writes NaN and infinities as null, so a page holding one of those, and any page
    orjson refuses (integers beyond 64 bits, lone surrogates, values that are not plain JSON), takes
    ``paging.page_digest`` itself. The two kinds of digest never meet: they are told apart by a prefix.
    """
    try:
        encoded = orjson.dumps(items, default=_refuse, option=_ORJSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return paging.page_digest(items)
    if any(_has_float(item, nonfinite_only=True) for item in items):  # bounded: orjson refuses depth > 255
        return paging.page_digest(items)
    return "orjson:" + hashlib.sha256(encoded).hexdigest()


def _chunks(records: Iterable[FetchedRecord], size: int) -> Iterator[list[FetchedRecord]]:
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk


def source_cursor(session: Session, source: str) -> str | None:
    """The cursor ``source``'s last landed batch stored, or None for a source never pulled."""
    row = session.get(SourceCursor, source)
    return row.cursor if row is not None else None


def land_batch(
    session: Session,
    *,
    source: str,
    records: Iterable[FetchedRecord],
    cursor: CursorMove | None,
    run_id: str | None = None,
    pages: int = 0,
    retries: int = 0,
    validated: bool = False,
    chunk: int = DEFAULT_TUNING.land_chunk,
) -> LandingResult:
    """Land ``records`` for ``source`` and move its cursor, inside the caller's transaction, comparing
    ``chunk`` records with the stored versions per statement.

    Raises :class:`CursorRegression` (and the caller's transaction rolls back) when the new watermark
    is older than the stored one. Within one batch a key delivered twice is landed once per distinct
    content, in delivery order. ``validated`` marks the landed versions as validated: the caller
    stages (or quarantines) them in the same transaction.
    """
    now = utcnow()
    if copy_supported(session):
        session.execute(text("SET LOCAL work_mem = '64MB'"))
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
    for part in _chunks(records, chunk):
        _land_chunk(session, source, part, batch.id, now, result, validated)
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
    ref: int | None = None

    @property
    def latest_hash(self) -> str | None:
        return self.versions[-1][0] if self.versions else self.stored_hash

    @property
    def version(self) -> int:
        return self.stored_version + len(self.versions)


def _land_chunk(
    session: Session,
    source: str,
    chunk: Sequence[FetchedRecord],
    batch_id: int,
    now: datetime,
    result: LandingResult,
    validated: bool,
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
        state.ref = record.ref

    fresh = [(key, st) for key, st in states.items() if st.raw_id is None and st.versions]
    if fresh:
        _insert_fresh(session, source, fresh, batch_id, now, validated)
        result.fresh_ids.update(st.raw_id for _, st in fresh if st.raw_id is not None)
    changed = [st for st in states.values() if st.stored_version and st.versions]
    if changed:
        # The version being replaced moves into the history first, then the record takes the new one.
        _archive_current(session, [st.raw_id for st in changed if st.raw_id is not None])
        session.execute(
            update(RawRecord),
            [
                {
                    "id": st.raw_id,
                    "content_hash": st.versions[-1][0],
                    "payload": st.versions[-1][1],
                    "origin": st.origin,
                    "source_updated_at": st.source_updated_at,
                    "version": st.version,
                    "last_seen_at": now,
                    "last_batch_id": batch_id,
                    **({"validated_version": st.version} if validated else {}),
                }
                for st in changed
            ],
        )
    # Contents delivered and replaced within this batch (all but each record's last) are history too.
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
            for i, (digest, payload) in enumerate(st.versions[:-1], start=1)
        ],
    )
    for key, st in states.items():
        if st.versions and st.raw_id is not None:
            result.landed.append(
                LandedRecord(
                    st.raw_id, key, st.version, st.versions[-1][1], st.origin, st.source_updated_at, st.ref
                )
            )
    if unchanged_ids:
        session.execute(
            update(RawRecord).where(one_of(session, RawRecord.id, unchanged_ids)).values(last_seen_at=now),
            execution_options={"synchronize_session": False},
        )


def _archive_current(session: Session, raw_ids: list[int]) -> None:
    """Copy the current version of each of ``raw_ids`` into the history, as of the batch that landed
    it, before it is replaced (server-side: the payloads do not travel)."""
    session.execute(
        insert(_VERSION_TABLE).from_select(
            ["raw_record_id", "version", "content_hash", "payload", "seen_at", "batch_id"],
            select(
                RawRecord.id,
                RawRecord.version,
                RawRecord.content_hash,
                RawRecord.payload,
                func.coalesce(IngestBatch.started_at, RawRecord.first_seen_at),
                RawRecord.last_batch_id,
            )
            .outerjoin(IngestBatch, IngestBatch.id == RawRecord.last_batch_id)
            .where(one_of(session, RawRecord.id, raw_ids)),
        )
    )


def _insert_fresh(
    session: Session,
    source: str,
    fresh: Sequence[tuple[str, _KeyState]],
    batch_id: int,
    now: datetime,
    validated: bool,
) -> None:
    """Insert never-seen keys and set their ``raw_id``: on PostgreSQL ids are drawn from the sequence
    and the rows copied; elsewhere one INSERT ... RETURNING in parameter order."""
    count = len(fresh)
    versions = [st.version for _, st in fresh]
    # Column-wise: COPY takes the columns as they are; no per-row dicts for thousands of rows there.
    columns: dict[str, list[Any]] = {
        "source": [source] * count,
        "record_key": [key for key, _ in fresh],
        "content_hash": [st.versions[-1][0] for _, st in fresh],
        "payload": [st.versions[-1][1] for _, st in fresh],
        "origin": [st.origin for _, st in fresh],
        "source_updated_at": [st.source_updated_at for _, st in fresh],
        "version": versions,
        "validated_version": versions if validated else [None] * count,
        "first_seen_at": [now] * count,
        "last_seen_at": [now] * count,
        "last_batch_id": [batch_id] * count,
    }
    if copy_supported(session):
        ids = next_ids(session, _RAW_TABLE, count)
        copy_columns(session, _RAW_TABLE, {"id": ids, **columns})
    else:
        rows = [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]
        ids = list(
            session.execute(
                insert(_RAW_TABLE).returning(_RAW_TABLE.c.id, sort_by_parameter_order=True), rows
            ).scalars()
        )
    for (_, st), raw_id in zip(fresh, ids, strict=True):
        st.raw_id = raw_id
