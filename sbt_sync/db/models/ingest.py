"""Ingestion tables: raw records and their versions, cursors, the SFTP file manifest, batches,
quarantine and the staged canonical records.

Invariants enforced here: one cursor per source; one raw record per (source, key) with one row per
version; one staged record per (source, key, item) so that a register naming several ASN stages one
row per person; one manifest row per (source, path, sha256) so a re-delivered file with new content is
processed again and an unchanged one is not.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, column
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sbt_sync.db.base import Base, JsonType, utcnow

IMUT_SOURCE = "imut"
"""``schemas.feeds.imut.FEED.source``, written out: the database schema does not import the feeds."""


def _where_imut() -> dict[str, Any]:
    """A partial index's predicate, ``source = 'imut'``, on both backends."""
    return {f"{dialect}_where": column("source") == IMUT_SOURCE for dialect in ("postgresql", "sqlite")}


def _where_not_null(name: str) -> dict[str, Any]:
    """A partial index's predicate, ``name IS NOT NULL``, on both backends."""
    return {f"{dialect}_where": column(name).is_not(None) for dialect in ("postgresql", "sqlite")}


class IngestBatch(Base):
    """One fetch-and-land transaction of one source: what it fetched and how the cursor moved."""

    __tablename__ = "ingest_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64), index=True)
    run_id: Mapped[str | None] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    committed_at: Mapped[datetime | None]
    cursor_before: Mapped[str | None] = mapped_column(Text)
    cursor_after: Mapped[str | None] = mapped_column(Text)
    watermark_before: Mapped[datetime | None]
    watermark_after: Mapped[datetime | None]
    fetched: Mapped[int] = mapped_column(default=0)
    new: Mapped[int] = mapped_column(default=0)
    changed: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    quarantined: Mapped[int] = mapped_column(default=0)
    pages: Mapped[int] = mapped_column(default=0)
    retries: Mapped[int] = mapped_column(default=0)
    validation: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    """What validating the batch in its landing transaction found (``StagingResult.to_json``);
    None when the batch was landed unvalidated (``stage_pending`` validates it later)."""


class SourceCursor(Base):
    """Where a source's next increment starts; exactly one per source, never moved backwards."""

    __tablename__ = "source_cursors"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(Text)
    """Opaque position (a cursor token, an ``updated_since`` instant, a page number)."""
    watermark: Mapped[datetime | None]
    """Latest source timestamp landed; the check that the cursor never moves back compares it."""
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_batch_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_batches.id"))


class SourceHold(Base):
    """The blocking quarantine check's last verdict on a source (migration 0020).

    While ``held``, reconciliation leaves the source's changed staged rows waiting
    (:mod:`sbt_sync.source_holds`): the check's "nothing downstream acts on it" outlives the run that
    evaluated it. A later passing check or a steward's audited release lifts the hold.
    """

    __tablename__ = "source_holds"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    held: Mapped[bool] = mapped_column(default=False)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    held_since: Mapped[datetime | None]
    verdict: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    """The last check's figures (batch and overall ratios, threshold), as its metadata shows them."""
    released_at: Mapped[datetime | None]
    released_by: Mapped[str | None] = mapped_column(String(64))


class RawRecord(Base):
    """The latest landed version of one source record; the payload is kept verbatim."""

    __tablename__ = "raw_records"
    __table_args__ = (UniqueConstraint("source", "record_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    record_key: Mapped[str] = mapped_column(String(255))
    content_hash: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    """The record exactly as received (JSON text, or the CSV row as JSON of its raw cells)."""
    origin: Mapped[str | None] = mapped_column(Text)
    """Where it came from: a page URL or ``file name:row``."""
    version: Mapped[int] = mapped_column(default=1)
    validated_version: Mapped[int | None]
    source_updated_at: Mapped[datetime | None]
    """The source's own time of this version when the payload has none (an SFTP file's delivery time)."""
    """The version validation last looked at; behind ``version`` means validation is pending."""
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_batch_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_batches.id"))

    versions: Mapped[list[RawRecordVersion]] = relationship(
        back_populates="record", order_by="RawRecordVersion.version"
    )


class RawRecordVersion(Base):
    """The contents a source record had before its current one, in order: with ``raw_records``, which
    holds the current payload, every distinct content the record has had (migration 0004)."""

    __tablename__ = "raw_record_versions"
    __table_args__ = (UniqueConstraint("raw_record_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    raw_record_id: Mapped[int] = mapped_column(ForeignKey("raw_records.id", ondelete="CASCADE"))
    version: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_batches.id"))

    record: Mapped[RawRecord] = relationship(back_populates="versions")


class SftpFile(Base):
    """The SFTP file manifest: one row per distinct content of a remote file."""

    __tablename__ = "sftp_files"
    __table_args__ = (
        UniqueConstraint("source", "remote_path", "sha256"),
        CheckConstraint("status IN ('pending', 'processed', 'refused')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    remote_path: Mapped[str] = mapped_column(String(1024))
    size: Mapped[int]
    mtime: Mapped[datetime]
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    rows: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_batches.id"))


class QuarantinedRow(Base):
    """A row that failed validation, with the failing column, check and value, for stewards."""

    __tablename__ = "quarantine"
    __table_args__ = (
        Index(None, "source", "status"),
        CheckConstraint("status IN ('open', 'fixed_upstream', 'ignored', 'superseded')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    raw_record_id: Mapped[int | None] = mapped_column(ForeignKey("raw_records.id", ondelete="SET NULL"))
    raw_version: Mapped[int | None]
    record_key: Mapped[str | None] = mapped_column(String(255))
    file_name: Mapped[str | None] = mapped_column(String(1024))
    row_number: Mapped[int | None]
    column: Mapped[str | None] = mapped_column(String(128))
    check: Mapped[str] = mapped_column(String(255))
    value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_batches.id"))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]


class StagedRecord(Base):
    """A validated source record in the canonical shape reconciliation reads."""

    __tablename__ = "staged_records"
    __table_args__ = (
        # One row per (raw record, item): raw_records is unique on (source, key), so this is the
        # invariant "one staged row per (source, key, item)" on one narrow integer index, which also
        # serves the lookups by raw record (staging, the cascade from raw_records). Lookups by
        # (source, key) go through raw_records' own unique index (migration 0023).
        Index("uq_staged_records_raw_record_id_item_no", "raw_record_id", "item_no", unique=True),
        # Partial: only rows holding a value are indexed (every lookup names a value), so a row
        # staged without one (no resolved NIP before identity resolution, no register number in
        # most sources) costs no index entry.
        *(
            Index(f"ix_staged_records_{column}", column, **_where_not_null(column))
            for column in ("nip", "register_no", "recommendation_no", "resolved_nip", "name_normalised")
        ),
        Index(None, "needs_reconcile"),
        # I-MUT's rows by id (migration 0027): the I-MUT evaluation and report list every I-MUT row,
        # and no other index starts with source. Partial, so no other source's row costs an entry.
        Index("ix_staged_records_imut", "id", **_where_imut()),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    record_key: Mapped[str] = mapped_column(String(255))
    item_no: Mapped[int] = mapped_column(default=0)
    """Position within the source record (one Bawaslu register can name several ASN)."""
    raw_record_id: Mapped[int] = mapped_column(ForeignKey("raw_records.id", ondelete="CASCADE"))
    raw_version: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    nip: Mapped[str | None] = mapped_column(String(18))
    nip_raw: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(255))
    name_normalised: Mapped[str | None] = mapped_column(String(255))
    birth_date: Mapped[date | None]
    instansi: Mapped[str | None] = mapped_column(String(255))
    event_code: Mapped[str | None] = mapped_column(String(32))
    register_no: Mapped[str | None] = mapped_column(String(128))
    recommendation_no: Mapped[str | None] = mapped_column(String(128))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """The canonical record (schemas' staged model), values as JSON-compatible data. ``json``, not
    ``jsonb``, on PostgreSQL (migration 0023): stored as written, like SQLite, and not parsed into
    jsonb's binary form on every load; only ``->>`` reads into it (the steward search's SK number)."""
    source_updated_at: Mapped[datetime | None]
    staged_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn: Mapped[bool] = mapped_column(default=False)
    """The source no longer delivers this item (e.g. a corrected register dropped a name)."""
    needs_reconcile: Mapped[bool] = mapped_column(default=True)
    resolved_nip: Mapped[str | None] = mapped_column(String(18))
    """The registry ASN this row names, from identity resolution or a steward's decision."""
    identity_rule: Mapped[str | None] = mapped_column(String(32))
    """nip_exact, name_match, steward, name_mismatch, ambiguous_match, weak_match, no_candidate."""
    identity_score: Mapped[float | None]
    linked_register_no: Mapped[str | None] = mapped_column(String(128))
    linked_recommendation_no: Mapped[str | None] = mapped_column(String(128))
    linked_nip: Mapped[str | None] = mapped_column(String(18))
    """The register number, recommendation number and resolved NIP the last reconciliation linked this
    row by. When a source or a steward changes them, the records the row was linked with through the
    old values must be linked again too (``reconcile.golden.scope.closure``)."""

    raw_record: Mapped[RawRecord] = relationship()
