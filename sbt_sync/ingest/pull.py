"""Pulling a source into raw batches: one transaction per batch of HTTP pages or per SFTP file.

A batch's records and the cursor after its last page commit together, so a crash resumes after the
last landed batch. Each SFTP file's rows and its manifest entry commit together, so a file is processed
exactly once per distinct content and a crash mid-file processes it again from scratch.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections import deque
from collections.abc import Collection, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, select, update
from sqlalchemy.orm import Session

from connectors.errors import TransientHttpError
from connectors.http.paging import Page, PageGuard, Paginator
from connectors.sftp import SftpReader, printable, shown
from connectors.sftp.manifest import Deferral, Delivery, ManifestEntry, Refusal, new_deliveries
from sbt_sync.db.base import fitted_key, utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import (
    IngestBatch,
    QuarantinedRow,
    RawRecord,
    RawRecordVersion,
    SftpFile,
    SourceCursor,
    StagedRecord,
)
from sbt_sync.ingest.bulk import ensure_statistics, one_of
from sbt_sync.ingest.checking import CheckedDelivery, Delivered, DeliveryChecker
from sbt_sync.ingest.collector import paused_gc
from sbt_sync.ingest.file_keys import KeyedRow, assign_row_keys, is_row_key_of
from sbt_sync.ingest.files import FileRefused, ParsedFile, read_csv, read_jsonl_gz
from sbt_sync.ingest.landing import (
    CursorMove,
    FetchedRecord,
    content_of,
    land_batch,
    page_digest,
    source_cursor,
)
from sbt_sync.ingest.prefetch import Ahead, prefetched
from sbt_sync.ingest.staging import StagingResult, current_versions, stage_chunk
from sbt_sync.ingest.tuning import DEFAULT_TUNING, IngestTuning
from sbt_sync.instants import as_utc
from sbt_sync.settings_sources import SftpSource
from schemas.checks import is_blank, parse_instant
from schemas.feeds import FeedSpec

_RAW_TABLE = cast(Table, RawRecord.__table__)
_VERSION_TABLE = cast(Table, RawRecordVersion.__table__)
_STAGED_TABLE = cast(Table, StagedRecord.__table__)
_QUARANTINE_TABLE = cast(Table, QuarantinedRow.__table__)
log = logging.getLogger(__name__)
_DEFERRAL_CHECKS = {"unreadable": "file_access_denied", "changing": "file_still_written"}
"""Quarantine checks of a file left for a later run because of the agency, by kind of deferral: one
row per file while it waits, superseded once a delivery of it lands or is refused."""
_FILE_CHECKS = ("row_shape", "file_readable")
"""Quarantine checks of a delivered file as a whole or of a row that could not be read as a row."""
LOOKAHEAD = 2
"""Batches handed to validation before the oldest is landed: the worker always has the next one."""
MAX_PAGES = 10_000
"""Pages one ``pull_http`` fetches at most unless told (``sbt.yaml``: ``paging.max_pages``)."""


@dataclass
class PullResult:
    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    duplicates: int = 0
    pages: int = 0
    files: int = 0
    refused_files: list[str] = field(default_factory=list)
    deferred_files: list[str] = field(default_factory=list)
    """SFTP files left for a later run because they were still being written, with why."""
    bad_rows: int = 0
    withdrawn_rows: int = 0
    withdrawals_deferred: int = 0
    """Rows of earlier deliveries a re-delivery lacks but kept, because it has rows it could not read."""
    cursor_before: str | None = None
    cursor_after: str | None = None
    seconds: float = 0.0
    staging: StagingResult | None = None
    """What validating while landing found (``pull_http(validate=True)``); None when not validated."""
    validation_error: str | None = None
    """The type of the error that stopped validating while landing, when one did (the rest landed
    unvalidated)."""
    page_ceiling_reached: bool = False
    """The run stopped at its page ceiling; the next run continues from the kept cursor."""

    def add(self, new: int, changed: int, unchanged: int, duplicates: int, fetched: int) -> None:
        self.new += new
        self.changed += changed
        self.unchanged += unchanged
        self.duplicates += duplicates
        self.fetched += fetched


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_KEY_CHARS = 255
"""The width of ``record_key`` columns."""


def _http_key(feed: FeedSpec, item: dict[str, Any]) -> str:
    """The record's own key; a record without one, or whose key is not a plain string or integer
    (a list, or a value the reader could not keep) or holds a control character, is keyed by its
    content (and quarantined when validated, if its value cannot be stored)."""
    value = item.get(feed.key_column)
    if value.__class__ is str:  # the common case, stripped once
        key = value.strip()
        if key and _CONTROL.search(key) is None:  # a NUL no text column stores, a line break forging logs
            return fitted_key(key, _KEY_CHARS)
    elif isinstance(value, str | int) and not isinstance(value, bool) and not is_blank(value):
        return fitted_key(str(value).strip(), _KEY_CHARS)
    return "sha256:" + content_of(item)[1]


def _watermark(cursor: str | None) -> datetime | None:
    """A since-style cursor is an ISO instant; opaque cursors carry no comparable position."""
    if not cursor or cursor.startswith("{"):
        return None
    try:
        instant = datetime.fromisoformat(cursor.replace("Z", "+00:00"))
    except ValueError:
        return None
    return as_utc(instant)


def stored_cursor(database: Database, source: str) -> str | None:
    with database.session() as session:
        return source_cursor(session, source)


def pull_http(
    database: Database,
    *,
    source: str,
    feed: FeedSpec,
    paginator: Paginator,
    run_id: str | None = None,
    validate: bool = True,
    max_pages: int = MAX_PAGES,
    tuning: IngestTuning = DEFAULT_TUNING,
) -> PullResult:
    """Fetch pages from the stored cursor on and land them with the cursor after them, one
    transaction per batch of pages; with ``validate``, each batch is also validated, and its good
    rows staged and bad rows quarantined, in its landing transaction.

    At most ``max_pages`` pages are fetched (``page_ceiling_reached``; the next run goes on from the
    kept cursor). A page served twice in one run raises ``PagingLoopError`` after the pages before
    it have landed. A page whose body is not JSON even after retries is quarantined (naming the page
    and the request) before its error is raised, so the stewards see why the source stopped there.

    A background thread fetches up to ``tuning.prefetch_pages`` pages ahead while earlier batches are
    validated and written; a batch is the next page plus whatever further pages have already arrived
    (up to ``tuning.batch_records`` records), so a fast source lands in fewer, larger transactions and a
    slow one page by page. Validation (Pandera) of a batch runs in a thread while the batch before it
    is written (``checking.DeliveryChecker``). A fetch error is raised after every page
    fetched before it has landed. If validation itself fails (a bug, not bad data: bad rows are
    quarantined), the rest of the pull lands unvalidated and ``stage_pending`` takes it up.
    """
    started = time.monotonic()
    result = PullResult(cursor_before=stored_cursor(database, source))
    result.cursor_after = result.cursor_before
    checker = (
        DeliveryChecker(feed, parallel=tuning.validate_in_worker, threaded=tuning.validate_in_thread)
        if validate
        else None
    )
    if checker is not None:
        result.staging = StagingResult()

    # The loop check's digest of each page by orjson: json.dumps of every page cost about as much
    # CPU as parsing it (benchmarks/README.md).
    guard = PageGuard(max_pages=max_pages, where=f"source {source}", digest=page_digest)

    def fetched() -> Iterator[Page]:
        yield from guard.pages(paginator.pages(result.cursor_before))

    def land(batch: _Batch) -> None:
        with paused_gc():
            _land(batch)

    def _land(batch: _Batch) -> None:
        delivery: CheckedDelivery | None = None
        if batch.checking is not None:
            try:
                delivery = batch.checking.result()
            except Exception as exc:
                _validation_failed(result, checker, exc)
        records = [
            FetchedRecord(
                item.key,
                item.payload,
                item.origin,
                content=delivery.contents[position] if delivery is not None else None,
                ref=position,
            )
            for position, item in enumerate(batch.records)
        ]
        cursor = batch.pages[-1].cursor
        with database.session(write=True) as session:
            landed = land_batch(
                session,
                source=source,
                records=records,
                cursor=CursorMove(cursor, _watermark(cursor)),
                run_id=run_id,
                pages=len(batch.pages),
                validated=delivery is not None,
                chunk=tuning.land_chunk,
            )
            if delivery is not None and result.staging is not None:
                staged = StagingResult()
                raws, chunk = current_versions(delivery, landed.landed)
                stage_chunk(
                    session,
                    source,
                    raws,
                    chunk,
                    staged,
                    mark_validated=False,
                    fresh_ids=landed.fresh_ids,
                    versions_by_updated_at=feed.versions_by_updated_at,
                )
                entry = session.get(IngestBatch, landed.batch_id)
                if entry is not None:
                    entry.validation = staged.to_json()
                result.staging.merge(staged)
        if not result.pages:
            tables = (_RAW_TABLE, _VERSION_TABLE, _STAGED_TABLE, _QUARANTINE_TABLE)
            ensure_statistics(database, *tables)
        result.add(landed.new, landed.changed, landed.unchanged, landed.duplicates, landed.fetched)
        result.pages += len(batch.pages)
        result.cursor_after = cursor

    inflight: deque[_Batch] = deque()
    try:
        with prefetched(fetched, depth=tuning.prefetch_pages, name=f"fetch-{source}") as pages:
            batches = _batches(feed, pages, tuning.batch_records)
            while True:
                try:
                    with paused_gc():  # building a batch allocates a record per item
                        batch = next(batches, None)
                except Exception as exc:  # the fetch failed: land every page fetched before it, then raise
                    while inflight:
                        land(inflight.popleft())
                    if isinstance(exc, TransientHttpError) and exc.reason == "invalid_body":
                        _quarantine_unreadable_page(database, source, result, exc)
                    raise
                if batch is None:
                    break
                if checker is not None and result.validation_error is None:
                    batch.checking = checker.submit(batch.records)
                inflight.append(batch)
                if len(inflight) > LOOKAHEAD:  # the batches just submitted are checked while this one lands
                    land(inflight.popleft())
            while inflight:
                land(inflight.popleft())
    finally:
        if checker is not None:
            checker.close()
    result.page_ceiling_reached = guard.ceiling_reached
    result.seconds = time.monotonic() - started
    return result


def _quarantine_unreadable_page(
    database: Database, source: str, result: PullResult, exc: TransientHttpError
) -> None:
    """One open quarantine entry per unreadable page: a source stuck on it shows why, once, however
    many runs stop there. The page is named by the kept cursor it follows (page numbers count from
    each run's start)."""
    after = f"after cursor {result.cursor_after}" if result.cursor_after else "first"
    where = f"page {after}: {exc.method} {exc.url}"[:1024]
    with database.session(write=True) as session:
        known = session.scalar(
            select(QuarantinedRow.id).where(
                QuarantinedRow.source == source,
                QuarantinedRow.file_name == where,
                QuarantinedRow.check == "page_readable",
                QuarantinedRow.status == "open",
            )
        )
        if known is None:
            reason = (
                f"{where} (page {result.pages + 1} of the run): the answer is not JSON after "
                f"{exc.attempts} attempts ({exc})"
            )
            session.add(QuarantinedRow(source=source, file_name=where, check="page_readable", reason=reason))
    log.warning("%s: %s is unreadable; quarantined", source, where)


@dataclass
class _Batch:
    pages: list[Page]
    records: list[Delivered]
    checking: Future[CheckedDelivery] | None = None


def _batches(feed: FeedSpec, pages: Ahead[Page], most: int) -> Iterator[_Batch]:
    """The next page plus the pages that have already arrived, up to ``most`` records."""
    for first in pages:
        batch = _Batch([first], [])
        size = len(first.items)
        while size < most and pages.ready():
            batch.pages.append(next(pages))
            size += len(batch.pages[-1].items)
        batch.records = [
            Delivered(_http_key(feed, item), item, origin)
            for page in batch.pages
            for origin in (f"page {page.number}",)  # one text per page, not per record
            for item in page.items
        ]
        if feed.updated_at_key is not None:
            batch.records = _oldest_first(batch.records, feed.updated_at_key)
        yield batch


def _oldest_first(records: list[Delivered], updated_at_key: str) -> list[Delivered]:
    """``records`` with the versions of each record that repeats in them in the order the source dated
    them (``updated_at_key``; undated first), each in a place one of them held: the batch lands them in
    order, so the newest becomes the current version, whichever the pages sent last. Nearly every
    batch repeats no record and is returned as it is."""
    places: dict[str, list[int]] = {}
    for place, record in enumerate(records):
        places.setdefault(record.key, []).append(place)
    if len(places) == len(records):
        return records
    ordered = list(records)
    for held in places.values():
        if len(held) > 1:
            versions = sorted((records[p] for p in held), key=lambda r: _dated(r.payload, updated_at_key))
            for place, record in zip(held, versions, strict=True):
                ordered[place] = record
    return ordered


def _dated(payload: Any, key: str) -> datetime:
    """When the source says ``payload`` last changed, as UTC; the earliest instant when it says nothing
    readable (such a version never outranks a dated one)."""
    value = payload.get(key) if isinstance(payload, dict) else None
    try:
        instant = parse_instant(value) if isinstance(value, str) else None
    except ValueError:  # validation names it; here it only orders nothing
        instant = None
    return as_utc(instant) if instant is not None else _UNDATED


_UNDATED = datetime.min.replace(tzinfo=UTC)


def _validation_failed(result: PullResult, checker: DeliveryChecker | None, exc: Exception) -> None:
    """Validation broke (a bug or a lost worker, not bad data): land the rest unvalidated."""
    if result.validation_error is None:
        # The type only: a validator's message may quote a record's values (personal data). The
        # validated asset runs the same validation again and fails with the whole error.
        result.validation_error = type(exc).__name__
        log.warning(
            "validation failed while landing (%s); the records land unvalidated and are validated by "
            "the validated asset",
            type(exc).__name__,
        )
    if checker is not None:
        checker.close()


class DatabaseManifest:
    """The SFTP file manifest over ``sftp_files`` (connectors.sftp.FileManifest).

    Only the latest delivery of a path counts: the entry settled last (``processed_at``; an entry
    never settled counts from when it was first seen). A file reverted to content an earlier delivery
    had is therefore new again, and ``_manifest_entry`` makes that earlier row the latest when the
    content is processed once more.
    """

    def __init__(self, database: Database) -> None:
        self._database = database

    def _entry(self, row: SftpFile | None) -> ManifestEntry | None:
        if row is None:
            return None
        return ManifestEntry(row.source, row.remote_path, row.size, row.mtime, row.sha256, row.status)  # type: ignore[arg-type]

    def _latest(self, session: Session, source: str, path: str) -> SftpFile | None:
        when = func.coalesce(SftpFile.processed_at, SftpFile.first_seen_at)
        query = select(SftpFile).filter_by(source=source, remote_path=path)
        return session.scalars(query.order_by(when.desc(), SftpFile.id.desc()).limit(1)).first()

    def find_by_content(self, source: str, path: str, sha256: str) -> ManifestEntry | None:
        """The latest delivery of ``path`` if it had this content, else None."""
        with self._database.session() as s:
            latest = self._latest(s, source, path)
            return self._entry(latest) if latest is not None and latest.sha256 == sha256 else None

    def find_by_stat(self, source: str, path: str, size: int, mtime: datetime) -> ManifestEntry | None:
        """The latest delivery of ``path`` if it had this size and mtime, else None: an earlier
        delivery's stat says nothing (a re-delivery may preserve an old mtime)."""
        with self._database.session() as s:
            latest = self._latest(s, source, path)
            if latest is None or latest.size != size or as_utc(latest.mtime) != as_utc(mtime):
                return None
            return self._entry(latest)


def parse_file(settings: SftpSource, name: str, data: bytes) -> ParsedFile:
    if settings.format == "jsonl_gz":
        return read_jsonl_gz(name, data, max_bytes=settings.max_decompressed_bytes)
    return read_csv(name, data, delimiter=settings.csv.delimiter, encodings=settings.csv.encodings)


def pull_sftp(
    database: Database,
    *,
    source: str,
    settings: SftpSource,
    feed: FeedSpec,
    reader: SftpReader,
    workdir: Path,
    run_id: str | None = None,
) -> PullResult:
    """Download each new or changed file and land its rows with its manifest entry, file by file.

    A file refused (its name, its gzip, or its content as a whole) is recorded as refused in the
    manifest with a quarantine entry giving the reason, and the files after it are still taken; a
    file still being written is left for a later run (``deferred_files``). Nothing is written or
    removed outside ``workdir``.
    """
    started = time.monotonic()
    result = PullResult(cursor_before=stored_cursor(database, source))
    _owner_only_folder(workdir)
    manifest = DatabaseManifest(database)
    for outcome in new_deliveries(
        reader,
        manifest,
        source=source,
        directory=settings.directory,
        pattern=settings.pattern,
        dest_dir=workdir,
        settle_seconds=settings.settle_seconds,
        max_decompressed_bytes=settings.max_decompressed_bytes,
    ):
        if isinstance(outcome, Deferral):
            log.info("%s %s: %s", source, shown(outcome.remote.path), outcome.reason)
            result.deferred_files.append(outcome.reason)
            if outcome.kind in _DEFERRAL_CHECKS:
                _record_deferral(database, source, outcome)
            continue
        if isinstance(outcome, Refusal):
            _record_refusal(database, source, outcome, run_id, result)
            continue
        _land_file(database, source, settings, feed, outcome, run_id, result)
    result.seconds = time.monotonic() - started
    return result


def _owner_only_folder(folder: Path) -> None:
    """Create ``folder`` (and its missing parents) readable by its owner only, and narrow it and its
    parent (``var/downloads``) to 0700: deliveries hold names, NIPs and birth dates (UU 27/2022)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for path in (folder, folder.parent):
        if path.stat().st_uid == os.getuid():
            path.chmod(0o700)


def _land_file(
    database: Database,
    source: str,
    settings: SftpSource,
    feed: FeedSpec,
    delivery: Delivery,
    run_id: str | None,
    result: PullResult,
) -> None:
    """Land one downloaded file's rows, bad rows and manifest entry in one transaction."""
    remote, local = delivery.file.remote, delivery.file.local_path
    name, path = printable(remote.name), printable(remote.path)
    data = local.read_bytes()
    refused: str | None = None
    try:
        parsed = parse_file(settings, name, data)
    except FileRefused as exc:
        refused, parsed = str(exc), ParsedFile(name=name)
    del data
    with database.session(write=True) as session:
        entry = _manifest_entry(session, source, path, delivery.file.sha256)
        entry.size, entry.mtime = remote.size, remote.mtime
        delivered = _delivered_at(remote.mtime)
        records = _file_records(session, source, feed, name, delivered, parsed)
        landed = land_batch(
            session,
            source=source,
            records=records,
            cursor=_sftp_cursor(session, source, delivered, path),
            run_id=run_id,
        )
        if not refused:
            # This delivery replaces the file: what was wrong with the earlier one no longer is.
            _supersede_file_quarantine(session, source, name)
            present = {record.key for record in records}
            # A row that an earlier delivery withdrew and this one brings back must be staged again.
            _restage_returning(session, source, present)
            missing = _missing_rows(session, source, name, present)
            if parsed.bad_rows and missing:
                # A row it could not read may be one an earlier delivery had: withdraw nothing until
                # a delivery reads whole (a bad row never costs the good row it was).
                result.withdrawals_deferred += len(missing)
                log.warning(
                    "%s %s: %d earlier rows not in this delivery kept: it has %d rows it could not read",
                    source, shown(name), len(missing), len(parsed.bad_rows),
                )  # fmt: skip
            elif missing:
                result.withdrawn_rows += _withdraw_rows(session, missing)
        for bad in parsed.bad_rows:
            session.add(
                _file_quarantine(source, name, bad.row, "row_shape", bad.value, bad.reason, column=bad.column)
            )
        _supersede_deferrals(session, source, name)
        if refused:
            session.add(_file_quarantine(source, name, None, "file_readable", None, refused))
        entry.status = "refused" if refused else "processed"
        entry.rows = len(parsed.rows)
        entry.error = refused
        entry.processed_at = utcnow()
        entry.batch_id = landed.batch_id
    result.add(landed.new, landed.changed, landed.unchanged, landed.duplicates, landed.fetched)
    result.files += 1
    result.bad_rows += len(parsed.bad_rows)
    if refused:
        result.refused_files.append(refused)
    result.cursor_after = stored_cursor(database, source)
    local.unlink(missing_ok=True)


def _record_refusal(
    database: Database, source: str, refusal: Refusal, run_id: str | None, result: PullResult
) -> None:
    """Record a file refused before parsing (its name or its gzip) as refused, with the reason in the
    quarantine; its earlier delivery's rows and quarantine stay as they were (nothing stored is lost)."""
    remote = refusal.remote
    name, path = printable(remote.name), printable(remote.path)
    with database.session(write=True) as session:
        entry = _manifest_entry(session, source, path, refusal.sha256)
        entry.size, entry.mtime = remote.size, remote.mtime
        landed = land_batch(
            session,
            source=source,
            records=(),
            cursor=_sftp_cursor(session, source, _delivered_at(remote.mtime), path),
            run_id=run_id,
        )
        _supersede_deferrals(session, source, name)
        session.add(_file_quarantine(source, name, None, "file_readable", None, refusal.reason))
        entry.status, entry.rows, entry.error = "refused", 0, refusal.reason
        entry.processed_at, entry.batch_id = utcnow(), landed.batch_id
    log.warning("%s: file refused: %s", source, refusal.reason)
    result.files += 1
    result.refused_files.append(refusal.reason)
    result.cursor_after = stored_cursor(database, source)


def _record_deferral(database: Database, source: str, deferral: Deferral) -> None:
    """Show a file left for later because of the agency in its source's quarantine: one row per file
    and kind while it waits (a later run refreshes the open row's reason; a row a steward marked
    keeps that mark), superseded when a delivery of the file lands or is refused. The row holds the
    file's name and the reason only, never its content."""
    check = _DEFERRAL_CHECKS[deferral.kind]
    name = printable(deferral.remote.name)
    with database.session(write=True) as session:
        current = session.scalars(
            select(QuarantinedRow).where(
                QuarantinedRow.source == source,
                QuarantinedRow.file_name == name,
                QuarantinedRow.raw_record_id.is_(None),
                QuarantinedRow.check == check,
                QuarantinedRow.status != "superseded",
            )
        ).first()
        if current is None:
            session.add(_file_quarantine(source, name, None, check, None, deferral.reason))
        elif current.status == "open":
            current.reason = deferral.reason


def _supersede_deferrals(session: Session, source: str, name: str) -> None:
    """A delivery of ``name`` was taken (landed or refused): it no longer waits (a steward's mark on
    its entry included)."""
    _supersede_file_entries(
        session, source, name, list(_DEFERRAL_CHECKS.values()), QuarantinedRow.status != "superseded"
    )


def _supersede_file_entries(
    session: Session, source: str, name: str, checks: Collection[str], which: ColumnElement[bool]
) -> None:
    """Supersede the file-level quarantine entries of file ``name`` (no raw record) with one of
    ``checks`` whose status is ``which``."""
    session.execute(
        update(QuarantinedRow)
        .where(
            QuarantinedRow.source == source,
            QuarantinedRow.file_name == name,
            QuarantinedRow.raw_record_id.is_(None),
            QuarantinedRow.check.in_(list(checks)),
            which,
        )
        .values(status="superseded", resolved_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def _manifest_entry(session: Session, source: str, path: str, sha256: str) -> SftpFile:
    """The manifest row of this content of ``path`` (one per distinct content), created when new. A
    content delivered before (a correction reverted) reuses its row; the caller's ``processed_at``
    makes it the path's latest delivery again (``DatabaseManifest``)."""
    entry = session.scalars(
        select(SftpFile).filter_by(source=source, remote_path=path, sha256=sha256)
    ).first()
    if entry is None:
        entry = SftpFile(source=source, remote_path=path, sha256=sha256)
        session.add(entry)
    return entry


def _delivered_at(mtime: datetime) -> datetime:
    """The instant a delivered file's rows are dated (and its cursor moves to): its mtime, or now
    when the agency's clock put that in the future. kasn and kemendagri rows carry no update time of
    their own, so this is the instant survivorship's recency tie-break compares: a file stamped a
    year ahead must not outrank every report delivered after it. (The manifest keeps the real mtime.)"""
    return min(as_utc(mtime), utcnow().replace(microsecond=0))


def _sftp_cursor(session: Session, source: str, mtime: datetime, path: str) -> CursorMove | None:
    """The cursor after a file: its mtime, unless an earlier file's is later.

    The SFTP cursor only reports progress; the manifest decides what is new. A file uploaded with a
    preserved older mtime (sftp -p, rsync -t) is a legitimate new delivery, so it leaves the cursor
    where it is instead of moving it backwards (which ``land_batch`` refuses, stopping the source).
    """
    current = session.get(SourceCursor, source)
    if current is not None and current.watermark is not None and mtime < as_utc(current.watermark):
        return None
    return CursorMove(f"{mtime.isoformat()} {path}", mtime)


def _supersede_file_quarantine(session: Session, source: str, name: str) -> None:
    """Supersede the open file-level entries (row shape, unreadable file) an earlier delivery of file
    ``name`` left: they have no raw record, so record-level superseding never reaches them."""
    _supersede_file_entries(session, source, name, _FILE_CHECKS, QuarantinedRow.status == "open")


def _file_records(
    session: Session, source: str, feed: FeedSpec, name: str, delivered: datetime, parsed: ParsedFile
) -> list[FetchedRecord]:
    """Rows keyed by file and row, the keys kept across re-deliveries (``file_keys``): a delivered file
    is one document whose rows may repeat a natural key (two reports on one recommendation), so the
    natural key alone cannot identify a row. A corrected re-delivery updates its rows in place, a
    row moved keeps its key, and rows it no longer has are withdrawn."""
    contents = [content_of(row.payload) for row in parsed.rows]
    rows = [
        KeyedRow(row.row, digest, _natural(row.payload, feed.key_column))
        for row, (_, digest) in zip(parsed.rows, contents, strict=True)
    ]
    earlier = [
        KeyedRow(0, digest, _natural(_loads(payload), feed.key_column), key)
        for key, digest, payload in session.execute(
            select(RawRecord.record_key, RawRecord.content_hash, RawRecord.payload).where(
                RawRecord.source == source, RawRecord.record_key.startswith(f"{name}#", autoescape=True)
            )
        ).tuples()
        if is_row_key_of(name, key)  # not the rows of a file named "<name>#..."
    ]
    keys = assign_row_keys(name, rows, earlier)
    return [
        FetchedRecord(
            key=key,
            payload=row.payload,
            origin=f"{name}:{row.row}",
            source_updated_at=delivered,
            content=content,
        )
        for row, key, content in zip(parsed.rows, keys, contents, strict=True)
    ]


def _natural(payload: Any, column: str) -> str | None:
    value = payload.get(column) if isinstance(payload, dict) else None
    return None if is_blank(value) else str(value).strip()


def _loads(payload: str) -> Any:
    try:
        return json.loads(payload)
    except ValueError:
        return None


def _restage_returning(session: Session, source: str, present: set[str]) -> None:
    """Stage again the rows an earlier delivery withdrew and this one brings back unchanged."""
    session.execute(
        update(RawRecord)
        .where(
            RawRecord.source == source,
            one_of(session, RawRecord.record_key, present),
            RawRecord.id.in_(select(StagedRecord.raw_record_id).where(StagedRecord.withdrawn.is_(True))),
        )
        .values(validated_version=None)
        .execution_options(synchronize_session=False)
    )


def _missing_rows(session: Session, source: str, name: str, present: set[str]) -> list[int]:
    """Raw ids of the rows an earlier delivery of file ``name`` had and this one does not."""
    return [
        raw_id
        for raw_id, key in session.execute(
            select(RawRecord.id, RawRecord.record_key).where(
                RawRecord.source == source, RawRecord.record_key.startswith(f"{name}#", autoescape=True)
            )
        ).tuples()
        if key not in present and is_row_key_of(name, key)
    ]


def _withdraw_rows(session: Session, stale_ids: list[int]) -> int:
    """Withdraw the staged rows (and supersede the open quarantine) of raw records ``stale_ids``, rows
    an earlier delivery of a file had and this one does not; returns how many rows were withdrawn."""
    now = utcnow()
    session.execute(
        update(StagedRecord)
        .where(StagedRecord.raw_record_id.in_(stale_ids), StagedRecord.withdrawn.is_(False))
        .values(withdrawn=True, needs_reconcile=True, staged_at=now)
    )
    session.execute(
        update(QuarantinedRow)
        .where(QuarantinedRow.raw_record_id.in_(stale_ids), QuarantinedRow.status == "open")
        .values(status="superseded", resolved_at=now)
    )
    return len(stale_ids)


def _file_quarantine(
    source: str,
    name: str,
    row: int | None,
    check: str,
    value: str | None,
    reason: str,
    *,
    column: str | None = None,
) -> QuarantinedRow:
    """The quarantine entry of a file or one of its rows. The value is the row as sent, which may hold
    a raw NUL byte (invalid JSON, or an unclosed quote's tail): shown as ``\\x00``, since PostgreSQL
    stores no NUL in text and would refuse the whole file's transaction on every run."""
    return QuarantinedRow(
        source=source,
        file_name=name,
        row_number=row,
        column=None if column is None else printable(column)[:128],
        check=check,
        value=None if value is None else value.replace("\x00", "\\x00"),
        reason=reason.replace("\x00", "\\x00"),
    )
