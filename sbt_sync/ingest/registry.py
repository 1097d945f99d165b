"""The ASN identity reference: SIASN's registry mirrored into ``asn_registry``, three ways.

- :func:`refresh_registry`, the full pass (the ``registry_refresh`` job, and a cycle's first load):
  the whole listing page by page; each page commits with the offset reached, so a killed pass resumes
  where it stopped, and a completed pass resets the position so the next refresh starts over.
- :func:`refresh_registry_changes`, every cycle where SIASN offers it: the rows changed since the
  latest ``updatedAt`` read (``/pns/list?updatedSince=``), resumable the same way.
- :func:`lookup_registry`, every cycle: the ASN who matter now (:func:`watched_nips`) looked up one by
  one, so a retirement reaches enforcement within one cycle whatever the full refresh's schedule.

All three apply a page the same way. Each item's raw hash (``content_hash``: SHA-256 of the item as
sent) is compared with the mirror's before anything is parsed, so an unchanged ASN costs a hash and
its share of one read, and an unchanged registry writes nothing. The page's new and changed rows go
into a temporary staging table (``COPY`` on PostgreSQL, an executemany elsewhere) and reach
``asn_registry`` in one ``INSERT ... ON CONFLICT DO UPDATE``. Pages are fetched and hashed on a worker
thread while the previous one is written.

A change that can alter a case (DESIGN.md, "The golden dataset": "a registry change marks that ASN's
cases for reconciliation, so an unblock never waits for a source to change") flags, in the page's
transaction, every staged row that names the ASN, by the identity resolved for it or by the NIP
written in it, for the next reconciliation (``needs_reconcile``). Those changes are: kedudukan (left
service, or the date of leaving), name or titles, birth date or sex, instansi or Kanreg, a NIP
correction (SIASN's ``id`` now carries another ``nipBaru``) and a NIP new to the mirror (a row that
wrote a well-formed NIP SIASN did not know may now be identified). A change of position only, or of
``updatedAt`` alone for an active ASN, flags nothing: no case reads them.

What SIASN cannot vouch for is marked on the mirror's row (``siasn_doubt``) and flags the ASN's
rows the same way, so the reconciliation holds their cases for a steward: a per-NIP lookup answered
404 (a NIP correction or a removal; the row is kept, not deleted blindly) and a version refused for a
kedudukan code we do not know (the row keeps the previous one; the ASN may have left). Any version
we can read clears the doubt, and flags the rows again.

A new ASN, or a change of an ASN's name, birth date or instansi, can also change who a row names that
was matched by name (:func:`flag_namesakes`): a namesake that arrives makes a name link ambiguous, one
that leaves or is renamed can settle a conflict, and an ASN who reaches the mirror identifies a row
that named them before SIASN listed them. The rows whose normalised name is the ASN's (before and
after the change) and whose identity neither their NIP nor a steward settled are flagged too.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from queue import Full, Queue
from typing import Any, Protocol

import orjson
from sqlalchemy import Column, MetaData, String, Table, delete, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from connectors.errors import ConnectorError
from connectors.http.jsonbody import UNREADABLE_KEY
from connectors.http.paging import Page
from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, BlockState, Case, SourceCursor, StagedRecord
from sbt_sync.reconcile.rules import record_registry_names
from schemas.checks import is_blank
from schemas.names import normalise_name
from schemas.nip import NipError, mask_nip, parse_nip
from schemas.reference import kedudukan

log = logging.getLogger(__name__)
_NIP = re.compile(r"\d{18}")
_GUID = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
"""SIASN entity ids are 32-hex GUIDs (DOMAIN.md), sometimes written with dashes."""

REGISTRY_SOURCE = "siasn_registry"
"""The full pass's position (an offset) in ``source_cursors``."""
CHANGES_SOURCE = "siasn_registry_changes"
"""The changed-since pass's position and the latest ``updatedAt`` it read (``watermark``)."""
STAGE_TABLE = "asn_registry_stage"
"""A temporary table per connection: a page's new and changed rows, applied in one upsert."""
PREFETCH_PAGES = 2
LOOKUP_CHUNK = 1000
DEFERRED_INDEXES: dict[str, str] = {
    "ix_asn_registry_birth_date_gender": "(birth_date, gender)",
    "ix_asn_registry_instansi_id": "(instansi_id)",
    "ix_asn_registry_name_normalised": "(name_normalised)",
    "ix_asn_registry_nip_tail": "(substr(nip, 9, 10))",
    "ix_asn_registry_instansi_name_head": "(instansi_id, name_normalised text_pattern_ops)",
    "ix_asn_registry_instansi_name_tail": "(instansi_id, reverse(name_normalised) text_pattern_ops)",
    "ix_asn_registry_name_head": "(name_normalised text_pattern_ops)",
    "ix_asn_registry_name_tail": "(reverse(name_normalised) text_pattern_ops)",
}
"""The mirror's secondary indexes (migrations 0001 and 0003), by name: what a first load on PostgreSQL
drops before its first page and builds once after its last (a test holds them equal to what the
migrations create). The primary key and the unique SIASN id stay: the upsert and the id checks read
them."""
FUTURE_SKEW = timedelta(minutes=5)
"""How far past our clock a SIASN ``updatedAt`` may lie and still move the changed-since watermark."""
FLAG_CHUNK = 1000
"""NIPs per flagging statement: two bounded IN lists (resolved and written NIP), both indexed."""
SETTLED_RULES = ("nip_exact", "steward", "withdrawn")
"""Identity rules a registry namesake cannot change: a registered NIP under its holder's name, a
steward's choice (it holds until the row changes), a withdrawn row. Every other rule (a name match,
a conflict, no candidate) came from a name search that a namesake's arrival or change can answer
differently."""
NAMESAKE_KINDS = frozenset({"name", "identity", "instansi"})
"""Changes of an ASN already mirrored that change which rows a name search offers them to, and how it
ranks them (:data:`CASE_FIELDS`): the name itself, the birth date and sex, the instansi."""

CASE_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("name", "name_normalised", "front_title", "back_title"),
    "identity": ("birth_date", "gender"),
    "instansi": ("instansi_id", "instansi_name", "kanreg_id"),
}
"""Registry columns a case or an identity decision reads, by the kind of change they make. Kedudukan
is compared apart (:func:`_kedudukan_changed`): its date matters only once the ASN has left."""
_OLD_COLUMNS = (
    AsnRegistryEntry.nip,
    AsnRegistryEntry.siasn_id,
    AsnRegistryEntry.status_id,
    AsnRegistryEntry.source_updated_at,
    AsnRegistryEntry.left_on,
    *(getattr(AsnRegistryEntry, name) for names in CASE_FIELDS.values() for name in names),
)
_COLUMN_NAMES = tuple(column.name for column in AsnRegistryEntry.__table__.columns)
_STAGE = Table(STAGE_TABLE, MetaData(), *(Column(c.name, c.type) for c in AsnRegistryEntry.__table__.columns))
"""The staging table as SQLAlchemy sees it (typed binds); created as a temporary table by ``_upsert``."""


@dataclass
class _Affected:
    """What a page changed that staged rows depend on."""

    nips: set[str] = field(default_factory=set)
    """ASN whose rows (by the NIP resolved or written) are flagged (:func:`flag_staged`)."""
    names: set[str] = field(default_factory=set)
    """Normalised names, before and after, of ASN new to the mirror or whose name, birth date or
    instansi changed: their name-matched namesakes are flagged (:func:`flag_namesakes`)."""


@dataclass
class RegistryResult:
    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0
    nip_corrected: int = 0
    """Registry rows whose SIASN ``id`` moved to another NIP: the old NIP's row is replaced."""
    not_found: int = 0
    """Per-NIP lookups SIASN answered with "not found" (the mirror's row is kept, marked
    ``siasn_doubt``, and the ASN's cases held)."""
    doubted: int = 0
    """Mirrored ASN newly in doubt (``siasn_doubt``: a 404, an unknown kedudukan): their cases are
    marked for reconciliation, which holds them for a steward."""
    cleared: int = 0
    """Mirrored ASN no longer in doubt (SIASN sent a row we can read): their cases are marked too."""
    failed: int = 0
    """Per-NIP lookups that failed (throttled, unreachable): those ASN were not verified this pass;
    every other answer is applied and the pass is not ``completed``."""
    failed_sample: list[str] = field(default_factory=list)
    """A few failed lookups: masked NIP and the error."""
    future_stamped: int = 0
    """Rows whose ``updatedAt`` lies beyond our clock (plus :data:`FUTURE_SKEW`): applied, but they do
    not move the changed-since watermark."""
    error: str | None = None
    """Why a listing pass stopped early (a transient SIASN failure); the next pass resumes."""
    staged_flagged: int = 0
    """Staged rows marked for reconciliation because the registry changed the ASN they name."""
    case_changes: Counter[str] = field(default_factory=Counter)
    """ASN by kind of change that marks their cases: kedudukan, name, identity, instansi, nip, new."""
    pages: int = 0
    completed: bool = False
    seconds: float = 0.0
    rejected_sample: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Asset metadata and ``sbt-sync registry refresh --json``."""
        return {
            "fetched": self.fetched,
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "not_found": self.not_found,
            "doubted": self.doubted,
            "cleared": self.cleared,
            "failed": self.failed,
            "failed_sample": self.failed_sample,
            "future_stamped": self.future_stamped,
            "error": self.error,
            "nip_corrected": self.nip_corrected,
            "staged_flagged": self.staged_flagged,
            "case_changes": dict(sorted(self.case_changes.items())),
            "rejected_sample": self.rejected_sample,
            "pages": self.pages,
            "pass_completed": self.completed,
            "duration_seconds": round(self.seconds, 3),
            "rows_per_second": round(self.fetched / self.seconds, 1) if self.seconds else None,
        }


def _readable(item: Mapping[str, Any], name: str) -> Any:
    """``item[name]`` (None when absent); ``ValueError`` naming it for a value the HTTP reader could
    not keep as sent (a name the item repeats, bytes that are not UTF-8, NaN: ``connectors.http.
    jsonbody`` leaves a marker in its place, whose text would otherwise be stored as the ASN's name
    or instansi) or that holds a NUL character (PostgreSQL refuses it in text: the batch would fail)."""
    value = item.get(name)
    if isinstance(value, dict) and isinstance(value.get(UNREADABLE_KEY), str):
        raise ValueError(f"{name}: {value[UNREADABLE_KEY]}")
    if isinstance(value, str) and "\x00" in value:
        raise ValueError(f"{name}: a NUL character (\\u0000)")
    return value


def _optional_text(item: Mapping[str, Any], name: str) -> str | None:
    value = _readable(item, name)
    return None if is_blank(value) else str(value)


def _gender(item: Mapping[str, Any], stated_by_nip: str) -> str:
    """SIASN's jenisKelamin as "M" or "F" in any case; when it says neither (absent, blank, another
    word), the sex the NIP itself states (its 15th digit), never a text the mirror's check refuses
    with the whole page."""
    written = str(_readable(item, "jenisKelamin") or "").strip().upper()
    return written if written in ("M", "F") else stated_by_nip


def _kind(item: Mapping[str, Any], stated_by_nip: str) -> str:
    """SIASN's jenisPegawai as "PNS" or "PPPK" in any case; any other wording ("CPNS", "PPPK Paruh
    Waktu") or none: the kind the NIP itself states (its 13th and 14th digits)."""
    written = str(_readable(item, "jenisPegawai") or "").strip().upper()
    return written if written in ("PNS", "PPPK") else stated_by_nip


def registry_row(item: dict[str, Any]) -> dict[str, Any]:
    """One SIASN registry item as an ``asn_registry`` row; raises ``ValueError`` naming the problem.

    Every field is read through :func:`_readable`, which refuses the item for an unreadable value;
    only ``updatedAt`` is read as it came: unreadable, the row is kept undated."""
    try:
        nip = parse_nip(_readable(item, "nipBaru"))
    except NipError as exc:
        raise ValueError(f"nipBaru: {exc.reason}") from None
    if nip is None:
        raise ValueError("nipBaru: missing")
    birth = _birth_date(_readable(item, "tglLahir"))
    name = str(_readable(item, "nama") or "").strip()
    if not name:
        raise ValueError("nama: missing")
    status = str(_readable(item, "kedudukanPnsId") or "").strip()
    if status not in _known_codes():
        # Taken as active it would silently keep a block on someone who may have left: refused,
        # counted and sampled in the pass's result for a steward to see.
        reason = f"unknown code {status[:10]!r}" if status else "missing"
        raise ValueError(f"kedudukanPnsId: {reason}")
    siasn_id = str(_readable(item, "id") or "").strip()
    if not _GUID.fullmatch(siasn_id):
        # An id-less row stored as "None" would claim the next id-less row's id as a NIP correction.
        raise ValueError("id: missing" if not siasn_id else "id: not a 32-hex GUID")
    updated = item.get("updatedAt")
    try:
        updated_at = source_instant(updated)
    except ValueError:
        # The row (a retirement, say) counts more than its timestamp: kept, dated by nothing.
        shown = str(updated)[:40]
        log.warning("registry: NIP %s: unreadable updatedAt %r, stored as empty", mask_nip(nip.value), shown)
        updated_at = None
    row: dict[str, Any] = {
        "nip": nip.value,
        "siasn_id": siasn_id,
        "name": name,
        "name_normalised": normalise_name(name),
        "front_title": _optional_text(item, "gelarDepan"),
        "back_title": _optional_text(item, "gelarBelakang"),
        "birth_date": birth,
        "gender": _gender(item, nip.gender),
        "kind": _kind(item, nip.kind),
        # Missing: empty, never the text "None"; the upsert then keeps what the mirror knew
        # (:data:`KEPT_WHEN_MISSING`), and reconciliation reads an empty instansi as unknown.
        "instansi_id": _optional_text(item, "instansiIndukId") or "",
        "instansi_name": _optional_text(item, "instansiIndukNama") or "",
        "kanreg_id": _optional_text(item, "kanregId") or "",
        "status_id": status,
        "status_name": _optional_text(item, "kedudukanPnsNama") or "",
        "position": _optional_text(item, "jabatanNama"),
        "source_updated_at": updated_at,
        # The departure's date if this version is the first to say so; the upsert keeps an earlier
        # one (:func:`_apply_stage`).
        "left_on": updated_at if status in _leaving_codes() else None,
        "siasn_doubt": None,  # SIASN vouches for a row it sends and we can read
    }
    for column, length in _TEXT_LENGTHS.items():
        value = row[column]
        if isinstance(value, str) and len(value) > length:
            # PostgreSQL would refuse the page's whole INSERT for it; the item alone is refused.
            raise ValueError(f"{column}: longer than {length} characters")
    row["content_hash"] = raw_hash(item)
    return row


_TEXT_LENGTHS = {
    column.name: column.type.length
    for column in AsnRegistryEntry.__table__.columns
    if isinstance(column.type, String) and column.type.length is not None and column.name != "content_hash"
}
"""The mirror's text columns and how much each keeps."""


_SIASN_INSTANTS = ("%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d-%m-%Y")
"""SIASN's own date-time layouts (DOMAIN.md: dates as dd-mm-yyyy), tried after ISO 8601."""


def source_instant(value: Any) -> datetime | None:
    """A SIASN ``updatedAt`` as an aware UTC instant: ISO 8601 or dd-mm-yyyy[ HH:MM[:SS]]; a time
    without offset is read as UTC, as the SIASN simulator orders ``updatedSince`` (so the mirror and
    the listing agree on one zone whatever the database server's). None when empty; raises
    ``ValueError`` when unreadable."""
    if value is None or is_blank(value):
        return None
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        for layout in _SIASN_INSTANTS:
            try:
                parsed = datetime.strptime(text, layout)  # noqa: DTZ007 - no offset: UTC below
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"updatedAt: not a date-time: {text[:40]!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _birth_date(value: Any) -> date:
    """``tglLahir`` as SIASN sends it (dd-mm-yyyy) or as ISO (yyyy-mm-dd); raises ``ValueError``."""
    text = str(value).strip()
    for layout in ("%d-%m-%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, layout).date()  # noqa: DTZ007 - a date
        except ValueError:
            continue
    # Never the value: a birth date, however written, is personal data, and this message reaches the
    # log, the asset's metadata and the CLI's output.
    raise ValueError("tglLahir: not a date (dd-mm-yyyy expected; the value is withheld: personal data)")


def raw_hash(item: Mapping[str, Any]) -> str:
    """SHA-256 of a SIASN item as sent (keys sorted): compared before parsing, so an unchanged ASN
    costs one hash and no parse. orjson serialises (six times faster than ``json``); an item it
    cannot (an integer beyond 64 bits) falls back to ``json``, the same way every time."""
    try:
        encoded = orjson.dumps(item, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        text = json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        encoded = text.encode()
    return hashlib.sha256(encoded).hexdigest()


def refresh_registry(database: Database, pager: Callable[[str | None], Iterable[Page]]) -> RegistryResult:
    """A full pass: upsert every page ``pager`` yields from the stored offset (None: from the start),
    flagging the staged rows of the ASN whose change can alter a case (module docstring). Pages are
    fetched and hashed on a worker thread while the previous page is written; while pages are mostly
    new (a first load), the worker parses them too.

    A first load on PostgreSQL (an empty mirror, or one whose load stopped before its end:
    :func:`first_load_unfinished`) writes without the secondary indexes and builds them once at the
    end, far cheaper than keeping eight indexes current row by row over 4.3 million rows; a pass
    killed before then leaves them missing, so the next pass continues the load and builds them."""
    started = time.monotonic()
    result = RegistryResult()
    with database.session() as session:
        stored = session.get(SourceCursor, REGISTRY_SOURCE)
        cursor = stored.cursor if stored else None
        eager = threading.Event()
        empty = mirror_is_empty(session)
        if empty:
            eager.set()
        bulk = session.get_bind().dialect.name == "postgresql" and (empty or bool(_missing_indexes(session)))
        if bulk and not empty and cursor is None:
            # Every page is in; only the index build was cut short.
            _build_indexes(session)
            bulk = False
        elif bulk:
            _drop_indexes(session)
    for prepared in _prefetched(pager(cursor), parse=eager):
        page = prepared.page
        target = None if page.last else page.cursor
        with database.session(write=True) as session:
            written = _written(result)
            if empty and result.pages == 0:
                # Every row of the mirror is now written by this code: its names follow its rules.
                record_registry_names(session)
            affected = _apply(session, prepared, result)
            # Parse the next pages ahead while most rows of this one were new.
            if 2 * (result.new - written[0]) > len(page.items):
                eager.set()
            else:
                eager.clear()
            # In the page's transaction: a crash after the upsert cannot lose the flags, since the
            # next pass would find the row unchanged and flag nothing.
            result.staged_flagged += flag_staged(session, affected.nips)
            result.staged_flagged += flag_namesakes(session, affected.names)
            # A page that wrote nothing leaves the position alone (an unchanged registry writes
            # nothing at all): a pass killed after it re-reads it, at the cost of its hashes.
            if _written(result) != written or (page.last and cursor is not None):
                _move_cursor(session, REGISTRY_SOURCE, target)
                cursor = target
        result.pages += 1
        result.completed = page.last
    if bulk and result.completed:
        with database.session() as session:
            _build_indexes(session)
    return _finish(result, started)


def first_load_unfinished(session: Session) -> bool:
    """Whether the mirror's first load stopped before it built the secondary indexes (PostgreSQL): the
    next refresh must be a full pass, which continues the load where it stopped."""
    return session.get_bind().dialect.name == "postgresql" and bool(_missing_indexes(session))


def _missing_indexes(session: Session) -> list[str]:
    present = set(
        session.scalars(
            text("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = :t"),
            {"t": AsnRegistryEntry.__tablename__},
        )
    )
    return [name for name in DEFERRED_INDEXES if name not in present]


def _drop_indexes(session: Session) -> None:
    for name in DEFERRED_INDEXES:
        session.execute(text(f"DROP INDEX IF EXISTS {name}"))  # names from the constant above
    log.info("registry first load: secondary indexes dropped, built once after the last page")


def _build_indexes(session: Session) -> None:
    """Build the missing secondary indexes (one sort each, several workers where PostgreSQL allows)
    and refresh the planner's statistics for the new rows."""
    started = time.monotonic()
    session.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    table = AsnRegistryEntry.__tablename__
    for name in _missing_indexes(session):
        session.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {DEFERRED_INDEXES[name]}"))
    session.execute(text(f"ANALYZE {table}"))
    log.info("registry: secondary indexes built in %.1f s", time.monotonic() - started)


def refresh_registry_changes(
    database: Database,
    changes: Callable[[datetime, str | None], Iterable[Page]],
    *,
    overlap: timedelta = timedelta(minutes=10),
    now: Callable[[], datetime] = utcnow,
    future_skew: timedelta = FUTURE_SKEW,
) -> RegistryResult:
    """An incremental pass: the rows SIASN changed since the last one (``updatedAt``), applied as a
    full pass applies them. ``changes(since, cursor)`` lists them from ``since`` (or resumes at
    ``cursor``); each page commits with its cursor, so a killed pass resumes where it stopped. A pass
    starts ``overlap`` before the latest ``updatedAt`` seen (a change committed late at SIASN is still
    read); rows read again are unchanged and cost a hash. With no pass yet, it starts from the mirror's
    latest ``updatedAt``; with an empty mirror there is nothing to start from (``completed`` False)."""
    started = time.monotonic()
    result = RegistryResult()
    with database.session() as session:
        stored = session.get(SourceCursor, CHANGES_SOURCE)
        cursor = stored.cursor if stored else None
        watermark = stored.watermark if stored else None
        if watermark is None:
            watermark = session.scalar(select(func.max(AsnRegistryEntry.source_updated_at)))
    if watermark is None:
        return _finish(result, started)
    # A row stamped in the future (a clock error at SIASN) must not move the watermark past what
    # has happened: every change after it would be missed until the next full pass. The ceiling is
    # our clock plus a small skew; a stored watermark beyond it (written before this cap) is pulled
    # back too.
    ceiling = now() + future_skew
    watermark = min(watermark, ceiling)
    since = watermark - overlap
    try:
        for prepared in _prefetched(changes(since, cursor)):
            page = prepared.page
            seen = [t for t in (_instant(item.get("updatedAt")) for item in page.items) if t is not None]
            ahead = sum(1 for t in seen if t > ceiling)
            if ahead:
                result.future_stamped += ahead
                seen = [t for t in seen if t <= ceiling]
            if seen:
                watermark = max(watermark, *seen)
            with database.session(write=True) as session:
                affected = _apply(session, prepared, result)
                result.staged_flagged += flag_staged(session, affected.nips)
                result.staged_flagged += flag_namesakes(session, affected.names)
                _move_cursor(session, CHANGES_SOURCE, None if page.last else page.cursor, watermark)
            result.pages += 1
            result.completed = page.last
    except ConnectorError as exc:
        # A throttled or unreachable SIASN: the pages read are committed with their cursor, the next
        # pass resumes there; the cycle goes on with the mirror as it stands (lookups still run).
        if not exc.retryable:
            raise
        result.error = f"{type(exc).__name__}: {exc}"
        result.completed = False
    return _finish(result, started)


def lookup_registry(
    database: Database,
    lookup: Callable[[str], dict[str, Any] | None],
    nips: Iterable[str],
    *,
    concurrency: int = 4,
) -> RegistryResult:
    """Look each of ``nips`` up in SIASN (``data-utama``, ``concurrency`` at a time) and apply the
    answers as a pass applies a page: the ASN who matter now (:func:`watched_nips`) reach enforcement
    within one cycle whatever the full refresh's schedule. A NIP SIASN no longer knows is counted
    (``not_found``), its row kept and marked (``siasn_doubt``), and its cases marked for
    reconciliation, which holds them for a steward until SIASN knows the NIP again."""
    started = time.monotonic()
    result = RegistryResult()
    ordered = sorted(set(nips))
    with ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="registry-lookup") as pool:
        for start in range(0, len(ordered), LOOKUP_CHUNK):
            chunk = ordered[start : start + LOOKUP_CHUNK]
            futures = [pool.submit(lookup, nip) for nip in chunk]
            found: list[dict[str, Any]] = []
            missing: list[str] = []
            unexpected: BaseException | None = None
            for nip, future in zip(chunk, futures, strict=True):
                try:
                    item = future.result()
                except ConnectorError as exc:
                    # One throttled NIP must not discard the chunk's other answers (retirements).
                    result.failed += 1
                    if len(result.failed_sample) < 5:
                        result.failed_sample.append(f"{mask_nip(nip)}: {type(exc).__name__}: {exc}")
                    continue
                except Exception as exc:  # a defect: the answers in hand are applied, then it is raised
                    unexpected = unexpected or exc
                    continue
                if item is None:
                    result.not_found += 1
                    missing.append(nip)
                else:
                    found.append(item)
            _apply_lookups(database, found, missing, start // LOOKUP_CHUNK + 1, result)
            if unexpected is not None:
                raise unexpected
    result.completed = not result.failed
    return _finish(result, started)


def _apply_lookups(
    database: Database, items: list[dict[str, Any]], missing: list[str], number: int, result: RegistryResult
) -> None:
    """Apply the answers found as a page; mark the NIPs SIASN answered 404 for (``missing``) as no
    longer known (a NIP correction or a removal): their rows are kept and their cases held."""
    prepared = _prepare(Page(items, None, number, False))
    with database.session(write=True) as session:
        affected = _apply(session, prepared, result)
        affected.nips |= set_doubts(session, dict.fromkeys(missing, DOUBT_NOT_FOUND), result)
        result.staged_flagged += flag_staged(session, affected.nips)
        result.staged_flagged += flag_namesakes(session, affected.names)
    result.pages += 1


class RegistrySource(Protocol):
    """What a mirror refresh reads from SIASN (``connectors.siasn.client.SiasnClient``)."""

    def registry_pages(self, cursor: str | None = None) -> Iterable[Page]: ...

    def registry_changes(self, since: datetime, cursor: str | None = None) -> Iterable[Page]: ...

    def data_utama(self, nip: str) -> dict[str, Any] | None: ...


def refresh_mirror(
    database: Database,
    source: RegistrySource,
    *,
    full: bool = False,
    changed_since: bool = True,
    overlap: timedelta = timedelta(minutes=10),
    lookup_concurrency: int = 4,
    on_rows: Callable[[int], None] | None = None,
) -> dict[str, RegistryResult]:
    """One refresh of the mirror, as the ``asn_registry`` asset and ``sbt-sync registry refresh`` run
    it: a full pass when asked or while the mirror is empty (the first load); otherwise the rows SIASN
    changed since the last pass (where ``changed_since``) and a lookup of the ASN who matter now.
    ``on_rows(n)`` hears the rows read so far (a progress bar). Returns the passes run, by name."""
    read = 0
    lock = threading.Lock()

    def tick(rows: int) -> None:
        nonlocal read
        with lock:  # lookups answer on several threads
            read += rows
            if on_rows is not None:
                on_rows(read)

    def counted(pages: Iterable[Page]) -> Iterator[Page]:
        for page in pages:
            tick(len(page.items))
            yield page

    def lookup(nip: str) -> dict[str, Any] | None:
        item = source.data_utama(nip)
        tick(1)
        return item

    with database.session() as session:
        first_load = mirror_is_empty(session) or first_load_unfinished(session)
    if full or first_load:
        return {"full": refresh_registry(database, lambda cursor: counted(source.registry_pages(cursor)))}
    passes: dict[str, RegistryResult] = {}
    if changed_since:
        passes["changes"] = refresh_registry_changes(
            database, lambda since, cursor: counted(source.registry_changes(since, cursor)), overlap=overlap
        )
    with database.session() as session:
        watched = watched_nips(session)
    passes["lookup"] = lookup_registry(database, lookup, watched, concurrency=lookup_concurrency)
    return passes


WATCHED_CASE_STATUSES = (
    "aduan",
    "menunggu_verifikasi",
    "menunggu_tindak_lanjut_ppk",
    "dijatuhi_hukuman",
    "asn_berhenti",
)
"""Case statuses whose ASN a registry change can still move: the open ones, a sanction imposed, and
a departure (SIASN correcting a departure it recorded reopens the case). Not proven, withdrawn and
refused cases are done with, whatever the registry says."""


def watched_nips(session: Session) -> list[str]:
    """The ASN who matter now: named by a case still open to a registry change
    (:data:`WATCHED_CASE_STATUSES`) or held, or blocked in SIASN by us."""
    cases = select(Case.nip).where(
        Case.nip.is_not(None), or_(Case.status.in_(WATCHED_CASE_STATUSES), Case.held.is_(True))
    )
    blocked = select(BlockState.nip).where(BlockState.blocked.is_(True))
    found = set(session.scalars(cases)) | set(session.scalars(blocked))
    return sorted(nip for nip in found if nip and _NIP.fullmatch(nip))


def mirror_is_empty(session: Session) -> bool:
    return session.scalar(select(AsnRegistryEntry.nip).limit(1)) is None


def _written(result: RegistryResult) -> tuple[int, int, int]:
    return result.new, result.changed, result.nip_corrected


def _finish(result: RegistryResult, started: float) -> RegistryResult:
    if result.failed:
        log.warning(
            "registry: %d lookups failed (not verified this pass), e.g. %s",
            result.failed,
            "; ".join(result.failed_sample),
        )
    if result.future_stamped:
        log.warning(
            "registry: %d rows stamped in the future; the changed-since watermark stays at our clock",
            result.future_stamped,
        )
    if result.error:
        log.warning("registry: pass stopped early (%s); the next pass resumes", result.error)
    if result.rejected:
        log.warning("registry: %d rows rejected, e.g. %s", result.rejected, "; ".join(result.rejected_sample))
    if result.doubted:
        log.warning(
            "registry: %d ASN SIASN cannot vouch for now (404 or unknown kedudukan): cases held",
            result.doubted,
        )
    if result.staged_flagged:
        log.info(
            "registry: %d staged rows marked for reconciliation (%s)",
            result.staged_flagged,
            ", ".join(f"{kind} {count}" for kind, count in sorted(result.case_changes.items())),
        )
    result.seconds = time.monotonic() - started
    return result


def _instant(value: Any) -> datetime | None:
    try:
        return source_instant(value)
    except ValueError:
        return None


def _move_cursor(
    session: Session, source: str, cursor: str | None, watermark: datetime | None = None
) -> None:
    row = session.get(SourceCursor, source) or SourceCursor(source=source, version=0)
    row.cursor = cursor
    if watermark is not None:
        row.watermark = watermark
    row.version += 1
    row.updated_at = utcnow()
    session.add(row)


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A page with each item's NIP as given and raw hash, computed off the writing thread."""

    page: Page
    digests: list[tuple[str, str]]
    parsed: list[dict[str, Any] | str] | None = None
    """Each item as :func:`registry_row` makes it, or why it is refused; None: not parsed ahead."""


def _prepare(page: Page, *, parse: bool = False) -> _Prepared:
    digests = [(str(item.get("nipBaru") or ""), raw_hash(item)) for item in page.items]
    return _Prepared(page, digests, [_row_or_reason(item) for item in page.items] if parse else None)


def _row_or_reason(item: dict[str, Any]) -> dict[str, Any] | str:
    try:
        return registry_row(item)
    except (ValueError, TypeError) as exc:
        return str(exc)


_DONE = object()


def _prefetched(pages: Iterable[Page], *, parse: threading.Event | None = None) -> Iterator[_Prepared]:
    """``pages`` fetched and hashed (and parsed while ``parse`` is set) ahead on a worker thread: the
    HTTP wait and that work overlap the database's writing. An error on the worker is raised here,
    in order."""
    queue: Queue[Any] = Queue(maxsize=PREFETCH_PAGES)
    stop = threading.Event()

    def put(value: Any) -> bool:
        while not stop.is_set():
            try:
                queue.put(value, timeout=0.2)
                return True
            except Full:
                continue
        return False

    def work() -> None:
        try:
            for page in pages:
                if not put(_prepare(page, parse=parse is not None and parse.is_set())):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put(exc)
            return
        put(_DONE)

    worker = threading.Thread(target=work, name="registry-prefetch", daemon=True)
    worker.start()
    try:
        while (value := queue.get()) is not _DONE:
            if isinstance(value, BaseException):
                raise value
            yield value
    finally:
        stop.set()
        worker.join(timeout=10)


def _parse(
    items: list[tuple[dict[str, Any], dict[str, Any] | str | None]],
    owner: dict[str, str],
    result: RegistryResult,
    doubts: dict[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """The valid rows among ``items`` by NIP; a row whose SIASN id another NIP of the page already
    carries (``owner``: id -> NIP, seeded with the page's unchanged rows) is rejected (``siasn_id``
    is unique: the page cannot say which NIP the id belongs to). Each item comes with its row (or
    the reason it was refused) when it was parsed ahead, else None. A row refused for its kedudukan
    code puts its NIP in ``doubts`` (:func:`_unknown_kedudukan`)."""
    rows: dict[str, dict[str, Any]] = {}
    for item, ahead in items:
        try:
            row = registry_row(item) if ahead is None else ahead
            if isinstance(row, str):
                raise ValueError(row)
            other = owner.get(row["siasn_id"])
            if other is not None and other != row["nip"]:
                raise ValueError(f"id: also given for NIP {mask_nip(other)}")
        except (ValueError, TypeError) as exc:
            result.rejected += 1
            if len(result.rejected_sample) < 5:
                result.rejected_sample.append(f"{mask_nip(str(item.get('nipBaru') or ''))}: {exc}")
            if doubts is not None and str(exc).startswith("kedudukanPnsId:"):
                doubts.update(_unknown_kedudukan(item))
            continue
        owner[row["siasn_id"]] = row["nip"]
        rows[row["nip"]] = row
    return rows


DOUBT_NOT_FOUND = "not_found"
DOUBT_KEDUDUKAN = "unknown_kedudukan:"


def doubt_words(doubt: str) -> str:
    """A ``siasn_doubt`` as the clause of a case's hold reason (English, as the other clauses; the
    NIP is never in it)."""
    if doubt == DOUBT_NOT_FOUND:
        return "registry: SIASN no longer knows the NIP (a NIP correction or a removal)"
    if doubt.startswith(DOUBT_KEDUDUKAN):
        code = doubt.removeprefix(DOUBT_KEDUDUKAN)
        return f"registry: unknown kedudukan code {code!r} from SIASN (the ASN may have left service)"
    return f"registry: {doubt}"


def registry_doubts(session: Session, nips: Iterable[str]) -> dict[str, str]:
    """NIP -> the hold clause (:func:`doubt_words`) of those of ``nips`` SIASN cannot vouch for now."""
    wanted = sorted(set(nips))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        query = select(AsnRegistryEntry.nip, AsnRegistryEntry.siasn_doubt).where(
            AsnRegistryEntry.nip.in_(wanted[start : start + LOOKUP_CHUNK]),
            AsnRegistryEntry.siasn_doubt.is_not(None),
        )
        found.update((nip, doubt_words(doubt)) for nip, doubt in session.execute(query).tuples() if doubt)
    return found


def _unknown_kedudukan(item: Mapping[str, Any]) -> dict[str, str]:
    """``{NIP: "unknown_kedudukan:<code>"}`` for an item refused for its kedudukan code, when its NIP
    is well formed (else nothing: no mirrored ASN to doubt). The code is cut to ten printable
    characters: it is shown to stewards."""
    try:
        nip = parse_nip(item.get("nipBaru"))
    except NipError:
        return {}
    if nip is None:
        return {}
    code = "".join(ch for ch in str(item.get("kedudukanPnsId") or "").strip() if ch.isprintable())[:10]
    return {nip.value: DOUBT_KEDUDUKAN + code}


def set_doubts(session: Session, doubts: Mapping[str, str], result: RegistryResult) -> set[str]:
    """Mark the mirrored rows of ``doubts`` (NIP -> why, :attr:`AsnRegistryEntry.siasn_doubt`) and
    return the NIPs whose doubt is new or another: their cases are to be reconciled (and held). A
    NIP the mirror does not hold has no row to mark. The row's values stay as they were."""
    if not doubts:
        return set()
    query = select(AsnRegistryEntry.nip, AsnRegistryEntry.siasn_doubt).where(
        AsnRegistryEntry.nip.in_(sorted(doubts))
    )
    current = dict(session.execute(query).tuples().all())
    new = {nip for nip, why in doubts.items() if nip in current and current[nip] != why}
    for why in sorted({doubts[nip] for nip in new}):
        statement = (
            update(AsnRegistryEntry)
            .where(AsnRegistryEntry.nip.in_(sorted(nip for nip in new if doubts[nip] == why)))
            .values(siasn_doubt=why)
            .execution_options(synchronize_session=False)
        )
        session.execute(statement)
    result.doubted += len(new)
    return new


def _clear_doubts(session: Session, nips: set[str]) -> None:
    if nips:
        statement = (
            update(AsnRegistryEntry)
            .where(AsnRegistryEntry.nip.in_(sorted(nips)))
            .values(siasn_doubt=None)
            .execution_options(synchronize_session=False)
        )
        session.execute(statement)


def _apply(session: Session, prepared: _Prepared, result: RegistryResult) -> _Affected:
    """Write the page's new and changed rows in one set-based upsert; return the NIPs and names whose
    staged rows must be flagged. A row whose raw hash the mirror already holds is neither parsed nor
    written."""
    items = prepared.page.items
    result.fetched += len(items)
    nips = sorted({nip for nip, _ in prepared.digests if nip})
    known: dict[str, str] = {}
    doubted: set[str] = set()
    if nips:
        query = select(
            AsnRegistryEntry.nip, AsnRegistryEntry.content_hash, AsnRegistryEntry.siasn_doubt
        ).where(AsnRegistryEntry.nip.in_(nips))
        for nip, digest, doubt in session.execute(query).tuples():
            known[nip] = digest
            if doubt is not None:
                doubted.add(nip)
    owner: dict[str, str] = {}
    todo: list[tuple[dict[str, Any], dict[str, Any] | str | None]] = []
    parsed: list[dict[str, Any] | str | None] = [None] * len(items)
    if prepared.parsed is not None:
        parsed = list(prepared.parsed)
    unchanged: set[str] = set()
    for item, (nip, digest), ahead in zip(items, prepared.digests, parsed, strict=True):
        if nip and known.get(nip) == digest:
            result.unchanged += 1
            owner[str(item.get("id"))] = nip
            unchanged.add(nip)
        else:
            todo.append((item, ahead))
    doubts: dict[str, str] = {}
    rows = _parse(todo, owner, result, doubts)
    # SIASN sent a row we can read for an ASN in doubt: the doubt ends (a changed row's upsert
    # writes it empty), and so does the hold on their cases.
    cleared = doubted & (unchanged | set(rows))
    _clear_doubts(session, cleared & unchanged)
    result.cleared += len(cleared)
    flagged = cleared | set_doubts(session, {n: why for n, why in doubts.items() if n not in rows}, result)
    if not rows:
        return _Affected(flagged)
    fresh = {nip for nip in rows if nip not in known}
    changed = set(rows) - fresh
    old: dict[str, dict[str, Any]] = {}
    if changed:
        query = select(*_OLD_COLUMNS).where(AsnRegistryEntry.nip.in_(sorted(changed)))
        old = {row.nip: dict(row._mapping) for row in session.execute(query)}
    affected: set[str] = set(flagged)
    names: set[str] = set()
    moved = _replace_moved_ids(session, rows, fresh, changed, old, result)
    for before, after in moved.items():
        affected.update((before, after))
        if before in changed:  # its row was deleted; this page writes it anew
            changed.discard(before)
            fresh.add(before)
    affected.update(fresh)
    names.update(rows[nip]["name_normalised"] for nip in fresh)
    result.case_changes.update(["new"] * len(fresh - set(moved) - set(moved.values())))
    for nip in changed:
        kinds = case_change_kinds(old[nip], rows[nip])
        result.case_changes.update(kinds)
        if kinds:
            affected.add(nip)
        if kinds & NAMESAKE_KINDS:
            names.update((old[nip]["name_normalised"], rows[nip]["name_normalised"]))
    now = utcnow()
    _upsert(session, [{**rows[nip], "refreshed_at": now} for nip in sorted(fresh | changed)])
    result.new += len(fresh)
    result.changed += len(changed)
    return _Affected(affected, names)


# Statements built from this module's constants and the model's column names only.
_COLUMN_LIST = ", ".join(_COLUMN_NAMES)
_PG_STAGE = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE_TABLE} "
    "(LIKE asn_registry INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
)
_PG_COPY = f"COPY {STAGE_TABLE} ({_COLUMN_LIST}) FROM STDIN"
_STAGE_ELSEWHERE = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE_TABLE} AS SELECT * FROM asn_registry WHERE 1 = 0"  # noqa: S608
)
_EMPTY_STAGE = f"DELETE FROM {STAGE_TABLE}"  # noqa: S608


KEPT_WHEN_MISSING = ("instansi_id", "instansi_name", "kanreg_id", "status_name")
"""Columns an item without the value (SIASN left it out) does not blank: the stored one stays."""


@cache
def _apply_stage() -> str:
    """The upsert from the staging table. Every column takes the new version's value but
    ``left_on``: while the stored and the new kedudukan both mean the ASN left, the stored departure
    stays (a later edit of a retired ASN's row, or pensiun becoming meninggal, does not move it); a
    leaving code after an active one takes the new version's instant; an active code clears it; and
    the columns of :data:`KEPT_WHEN_MISSING` keep their stored value when the new one is empty. One
    statement, so a lookup and a listing writing the same row cannot interleave between read and write.
    """
    leaving = ", ".join(f"'{code}'" for code in sorted(_leaving_codes()))  # reference codes: digits
    kept = (
        f"left_on = CASE WHEN excluded.status_id IN ({leaving}) THEN COALESCE(CASE WHEN "
        f"asn_registry.status_id IN ({leaving}) THEN asn_registry.left_on END, excluded.left_on) END"
    )
    updates = [
        f"{name} = COALESCE(NULLIF(excluded.{name}, ''), asn_registry.{name})"
        if name in KEPT_WHEN_MISSING
        else f"{name} = excluded.{name}"
        for name in _COLUMN_NAMES
        if name not in ("nip", "left_on")
    ]
    return (
        f"INSERT INTO asn_registry ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM {STAGE_TABLE} WHERE 1 = 1 "  # noqa: S608
        "ON CONFLICT (nip) DO UPDATE SET " + ", ".join([*updates, kept])
    )


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    """Load ``rows`` into the connection's temporary staging table (``COPY`` on PostgreSQL, one
    executemany elsewhere) and apply them to ``asn_registry`` in one ``INSERT ... ON CONFLICT``: the
    indexes are maintained by one statement, not per row."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg2":
        connection.exec_driver_sql(_PG_STAGE)
        connection.exec_driver_sql(_EMPTY_STAGE)
        buffer = io.StringIO("".join(_copy_line(row) for row in rows))
        dbapi = connection.connection.dbapi_connection
        assert dbapi is not None
        cursor: Any = dbapi.cursor()  # psycopg2's, with copy_expert
        try:
            cursor.copy_expert(_PG_COPY, buffer)
        finally:
            cursor.close()
    else:
        connection.exec_driver_sql(_STAGE_ELSEWHERE)
        connection.exec_driver_sql(_EMPTY_STAGE)
        connection.execute(insert(_STAGE), rows)
    connection.exec_driver_sql(_apply_stage())


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_line(row: Mapping[str, Any]) -> str:
    """One row in ``COPY``'s text format."""
    values = (row.get(name) for name in _COLUMN_NAMES)
    return "\t".join(v.translate(_COPY_ESCAPES) if type(v) is str else _copy_value(v) for v in values) + "\n"


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).translate(_COPY_ESCAPES)


def _replace_moved_ids(
    session: Session,
    rows: dict[str, dict[str, Any]],
    fresh: set[str],
    changed: set[str],
    old: dict[str, dict[str, Any]],
    result: RegistryResult,
) -> dict[str, str]:
    """Delete the stored rows whose SIASN id the page now gives another NIP (a NIP correction);
    return old NIP -> new NIP. Only new rows, and changed rows whose id changed, can take an id."""
    wanted = {rows[nip]["siasn_id"]: nip for nip in fresh}
    wanted |= {rows[nip]["siasn_id"]: nip for nip in changed if old[nip]["siasn_id"] != rows[nip]["siasn_id"]}
    if not wanted:
        return {}
    query = select(
        AsnRegistryEntry.nip, AsnRegistryEntry.siasn_id, AsnRegistryEntry.status_id, AsnRegistryEntry.left_on
    ).where(AsnRegistryEntry.siasn_id.in_(sorted(wanted)))
    moved: dict[str, str] = {}
    for held_by, siasn_id, status_id, left_on in session.execute(query).tuples():
        after = wanted[siasn_id]
        if held_by == after:
            continue
        moved[held_by] = after
        # The same ASN under a corrected NIP: a departure already dated keeps its date.
        rows[after]["left_on"] = departure({"status_id": status_id, "left_on": left_on}, rows[after])
    if moved:
        gone = delete(AsnRegistryEntry).where(AsnRegistryEntry.nip.in_(sorted(moved)))
        session.execute(gone.execution_options(synchronize_session=False))
        result.nip_corrected += len(moved)
        result.case_changes["nip"] += len(moved)
    return moved


def case_change_kinds(old: dict[str, Any], new: dict[str, Any]) -> set[str]:
    """The kinds of change between two versions of one ASN's registry row that can alter a case."""
    kinds = {kind for kind, names in CASE_FIELDS.items() if any(old[n] != new[n] for n in names)}
    if _kedudukan_changed(old, new):
        kinds.add("kedudukan")
    return kinds


def _kedudukan_changed(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """A new kedudukan, or a new departure date (:func:`departure`). A later ``updatedAt`` of an ASN
    who had already left does not date their departure, so it changes nothing."""
    return bool(old["status_id"] != new["status_id"] or old["left_on"] != departure(old, new))


def departure(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> datetime | None:
    """``left_on`` once ``new`` replaces ``old`` (None: a new ASN), as :func:`_apply_stage` writes it."""
    if new["status_id"] not in _leaving_codes():
        return None
    if old is not None and old["status_id"] in _leaving_codes() and old["left_on"] is not None:
        return old["left_on"]  # type: ignore[no-any-return]
    return new["left_on"]  # type: ignore[no-any-return]


@cache
def _known_codes() -> frozenset[str]:
    return frozenset(row.id for row in kedudukan())


@cache
def _leaving_codes() -> frozenset[str]:
    return frozenset(row.id for row in kedudukan() if row.meninggalkan_dinas)


def flag_staged(session: Session, nips: Iterable[str]) -> int:
    """Mark every staged row that names one of ``nips`` (the identity resolved for it, or the NIP it
    was written with) for the next reconciliation; return how many rows that marks.

    ``staged_at`` moves too: a reconciliation that started before this change clears only the flags
    of rows staged before it started, so it cannot clear these.
    """
    ordered: Sequence[str] = sorted(set(nips))
    flagged = 0
    now = utcnow()
    for start in range(0, len(ordered), FLAG_CHUNK):
        chunk = ordered[start : start + FLAG_CHUNK]
        statement = (
            update(StagedRecord)
            .where(or_(StagedRecord.resolved_nip.in_(chunk), StagedRecord.nip.in_(chunk)))
            .values(needs_reconcile=True, staged_at=now)
            .execution_options(synchronize_session=False)
        )
        flagged += int(session.execute(statement).rowcount)  # type: ignore[attr-defined]  # a CursorResult
    return flagged


def flag_namesakes(session: Session, names: Iterable[str]) -> int:
    """Mark for the next reconciliation every live staged row whose normalised name is one of
    ``names`` and whose identity came from a name search (any rule but :data:`SETTLED_RULES`, or
    none yet): an ASN of that name arrived in the mirror or changed, so the search may now answer
    differently. Return how many rows that marks (a row :func:`flag_staged` marked too counts twice).

    One bounded IN list per statement; ``staged_at`` moves as in :func:`flag_staged`.
    """
    ordered: Sequence[str] = sorted({name for name in names if name})
    flagged = 0
    now = utcnow()
    searched = or_(StagedRecord.identity_rule.is_(None), StagedRecord.identity_rule.not_in(SETTLED_RULES))
    for start in range(0, len(ordered), FLAG_CHUNK):
        chunk = ordered[start : start + FLAG_CHUNK]
        statement = (
            update(StagedRecord)
            .where(StagedRecord.name_normalised.in_(chunk), StagedRecord.withdrawn.is_(False), searched)
            .values(needs_reconcile=True, staged_at=now)
            .execution_options(synchronize_session=False)
        )
        flagged += int(session.execute(statement).rowcount)  # type: ignore[attr-defined]  # a CursorResult
    return flagged
