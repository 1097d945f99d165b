"""The ASN identity reference: SIASN's bulk registry listing upserted into ``asn_registry``.

A pass reads the whole listing page by page; each page commits with the offset reached, so a crashed
pass resumes where it stopped, and a completed pass resets the position so the next refresh starts
over. Rows are compared by content hash: an unchanged ASN costs one read, not a write.

A change that can alter a case (DESIGN.md, "The golden dataset": "a registry change marks that ASN's
cases for reconciliation, so an unblock never waits for a source to change") flags, in the page's
transaction, every staged row that names the ASN, by the identity resolved for it or by the NIP
written in it, for the next reconciliation (``needs_reconcile``). Those changes are: kedudukan (left
service, or the date of leaving), name or titles, birth date or sex, instansi or Kanreg, a NIP
correction (SIASN's ``id`` now carries another ``nipBaru``) and a NIP new to the mirror (a row that
wrote a well-formed NIP SIASN did not know may now be identified). A change of position only, or of
``updatedAt`` alone for an active ASN, flags nothing: no case reads them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session

from connectors.http.paging import Page
from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, SourceCursor, StagedRecord
from schemas.checks import is_blank
from schemas.names import normalise_name
from schemas.nip import NipError, mask_nip, parse_nip
from schemas.reference import kedudukan

log = logging.getLogger(__name__)

REGISTRY_SOURCE = "siasn_registry"
FLAG_CHUNK = 1000
"""NIPs per flagging statement: two bounded IN lists (resolved and written NIP), both indexed."""

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
    *(getattr(AsnRegistryEntry, name) for names in CASE_FIELDS.values() for name in names),
)


@dataclass
class RegistryResult:
    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0
    nip_corrected: int = 0
    """Registry rows whose SIASN ``id`` moved to another NIP: the old NIP's row is replaced."""
    staged_flagged: int = 0
    """Staged rows marked for reconciliation because the registry changed the ASN they name."""
    case_changes: Counter[str] = field(default_factory=Counter)
    """ASN by kind of change that marks their cases: kedudukan, name, identity, instansi, nip, new."""
    pages: int = 0
    completed: bool = False
    seconds: float = 0.0
    rejected_sample: list[str] = field(default_factory=list)


def registry_row(item: dict[str, Any]) -> dict[str, Any]:
    """One SIASN registry item as an ``asn_registry`` row; raises ``ValueError`` naming the problem."""
    try:
        nip = parse_nip(item.get("nipBaru"))
    except NipError as exc:
        raise ValueError(f"nipBaru: {exc.reason}") from None
    if nip is None:
        raise ValueError("nipBaru: missing")
    birth = datetime.strptime(str(item.get("tglLahir")), "%d-%m-%Y").date()  # noqa: DTZ007 - a date
    name = str(item.get("nama") or "").strip()
    if not name:
        raise ValueError("nama: missing")
    updated = item.get("updatedAt")
    row: dict[str, Any] = {
        "nip": nip.value,
        "siasn_id": str(item.get("id")),
        "name": name,
        "name_normalised": normalise_name(name),
        "front_title": None if is_blank(item.get("gelarDepan")) else str(item["gelarDepan"]),
        "back_title": None if is_blank(item.get("gelarBelakang")) else str(item["gelarBelakang"]),
        "birth_date": birth,
        "gender": str(item.get("jenisKelamin")),
        "kind": str(item.get("jenisPegawai") or nip.kind),
        "instansi_id": str(item.get("instansiIndukId")),
        "instansi_name": str(item.get("instansiIndukNama")),
        "kanreg_id": str(item.get("kanregId")),
        "status_id": str(item.get("kedudukanPnsId")),
        "status_name": str(item.get("kedudukanPnsNama")),
        "position": None if is_blank(item.get("jabatanNama")) else str(item["jabatanNama"]),
        "source_updated_at": datetime.fromisoformat(str(updated)) if updated else None,
    }
    row["content_hash"] = hashlib.sha256(
        json.dumps(
            {k: v.isoformat() if isinstance(v, date) else v for k, v in row.items()},
            sort_keys=True,
            default=str,
        ).encode()
    ).hexdigest()
    return row


def refresh_registry(database: Database, pager: Callable[[str | None], Iterable[Page]]) -> RegistryResult:
    """Upsert every page ``pager`` yields from the stored offset (None: from the start), flagging
    the staged rows of the ASN whose change can alter a case (module docstring)."""
    started = time.monotonic()
    result = RegistryResult()
    with database.session() as session:
        stored = session.get(SourceCursor, REGISTRY_SOURCE)
        cursor = stored.cursor if stored else None
    for page in pager(cursor):
        with database.session() as session:
            affected = _upsert(session, page.items, result)
            # In the page's transaction: a crash after the upsert cannot lose the flags, since the
            # next pass would find the row unchanged and flag nothing.
            result.staged_flagged += flag_staged(session, affected)
            _move_cursor(session, None if page.last else page.cursor)
        result.pages += 1
        result.completed = page.last
    if result.rejected:
        log.warning("registry: %d rows rejected, e.g. %s", result.rejected, "; ".join(result.rejected_sample))
    if result.staged_flagged:
        log.info(
            "registry: %d staged rows marked for reconciliation (%s)",
            result.staged_flagged,
            ", ".join(f"{kind} {count}" for kind, count in sorted(result.case_changes.items())),
        )
    result.seconds = time.monotonic() - started
    return result


def _move_cursor(session: Session, cursor: str | None) -> None:
    row = session.get(SourceCursor, REGISTRY_SOURCE) or SourceCursor(source=REGISTRY_SOURCE, version=0)
    row.cursor = cursor
    row.version += 1
    row.updated_at = utcnow()
    session.add(row)


def _parse(items: list[dict[str, Any]], result: RegistryResult) -> dict[str, dict[str, Any]]:
    """The page's valid rows by NIP; a row whose SIASN id another NIP of the page already carries is
    rejected (``siasn_id`` is unique: the page cannot say which NIP the id belongs to)."""
    rows: dict[str, dict[str, Any]] = {}
    owner: dict[str, str] = {}
    for item in items:
        result.fetched += 1
        try:
            row = registry_row(item)
            other = owner.get(row["siasn_id"])
            if other is not None and other != row["nip"]:
                raise ValueError(f"id: also given for NIP {mask_nip(other)}")
        except (ValueError, TypeError) as exc:
            result.rejected += 1
            if len(result.rejected_sample) < 5:
                result.rejected_sample.append(f"{mask_nip(str(item.get('nipBaru') or ''))}: {exc}")
            continue
        owner[row["siasn_id"]] = row["nip"]
        rows[row["nip"]] = row
    return rows


def _upsert(session: Session, items: list[dict[str, Any]], result: RegistryResult) -> set[str]:
    """Write the page's new and changed rows; return the NIPs whose staged rows must be flagged."""
    rows = _parse(items, result)
    if not rows:
        return set()
    known: dict[str, str] = {
        nip: digest
        for nip, digest in session.execute(
            select(AsnRegistryEntry.nip, AsnRegistryEntry.content_hash).where(AsnRegistryEntry.nip.in_(rows))
        ).tuples()
    }
    fresh = {nip for nip in rows if nip not in known}
    changed = {nip for nip in rows if nip in known and known[nip] != rows[nip]["content_hash"]}
    # Only the changed rows' old values are read: an unchanged page costs the one query above.
    old: dict[str, dict[str, Any]] = {}
    if changed:
        query = select(*_OLD_COLUMNS).where(AsnRegistryEntry.nip.in_(sorted(changed)))
        old = {row.nip: dict(row._mapping) for row in session.execute(query)}
    affected: set[str] = set()
    moved = _replace_moved_ids(session, rows, fresh, changed, old, result)
    for before, after in moved.items():
        affected.update((before, after))
        if before in changed:  # its row was deleted; this page writes it anew
            changed.discard(before)
            fresh.add(before)
    affected.update(fresh)
    result.case_changes.update(["new"] * len(fresh - set(moved) - set(moved.values())))
    for nip in changed:
        kinds = case_change_kinds(old[nip], rows[nip])
        result.case_changes.update(kinds)
        if kinds:
            affected.add(nip)
    now = utcnow()
    if fresh:
        session.execute(
            insert(AsnRegistryEntry), [{**rows[nip], "refreshed_at": now} for nip in sorted(fresh)]
        )
    if changed:
        session.execute(
            update(AsnRegistryEntry), [{**rows[nip], "refreshed_at": now} for nip in sorted(changed)]
        )
    result.new += len(fresh)
    result.changed += len(changed)
    result.unchanged += len(rows) - len(fresh) - len(changed)
    return affected


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
    query = select(AsnRegistryEntry.nip, AsnRegistryEntry.siasn_id).where(
        AsnRegistryEntry.siasn_id.in_(sorted(wanted))
    )
    moved = {held_by: wanted[siasn_id] for held_by, siasn_id in session.execute(query).tuples()}
    moved = {before: after for before, after in moved.items() if before != after}
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
    """A new kedudukan, or a new ``updatedAt`` for an ASN who left: it dates the departure."""
    if old["status_id"] != new["status_id"]:
        return True
    return new["status_id"] in _leaving_codes() and old["source_updated_at"] != new["source_updated_at"]


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
