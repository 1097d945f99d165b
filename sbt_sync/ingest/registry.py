"""The ASN identity reference: SIASN's bulk registry listing upserted into ``asn_registry``.

A pass reads the whole listing page by page; each page commits with the offset reached, so a crashed
pass resumes where it stopped, and a completed pass resets the position so the next refresh starts
over. Rows are compared by content hash: an unchanged ASN costs one read, not a write.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from connectors.http.paging import Page
from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, SourceCursor
from schemas.checks import is_blank
from schemas.names import normalise_name
from schemas.nip import NipError, mask_nip, parse_nip

log = logging.getLogger(__name__)

REGISTRY_SOURCE = "siasn_registry"


@dataclass
class RegistryResult:
    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0
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
    """Upsert every page ``pager`` yields from the stored offset (None: from the start)."""
    started = time.monotonic()
    result = RegistryResult()
    with database.session() as session:
        stored = session.get(SourceCursor, REGISTRY_SOURCE)
        cursor = stored.cursor if stored else None
    for page in pager(cursor):
        with database.session() as session:
            _upsert(session, page.items, result)
            _move_cursor(session, None if page.last else page.cursor)
        result.pages += 1
        result.completed = page.last
    if result.rejected:
        log.warning("registry: %d rows rejected, e.g. %s", result.rejected, "; ".join(result.rejected_sample))
    result.seconds = time.monotonic() - started
    return result


def _move_cursor(session: Session, cursor: str | None) -> None:
    row = session.get(SourceCursor, REGISTRY_SOURCE) or SourceCursor(source=REGISTRY_SOURCE, version=0)
    row.cursor = cursor
    row.version += 1
    row.updated_at = utcnow()
    session.add(row)


def _upsert(session: Session, items: list[dict[str, Any]], result: RegistryResult) -> None:
    rows: dict[str, dict[str, Any]] = {}
    for item in items:
        result.fetched += 1
        try:
            row = registry_row(item)
        except (ValueError, TypeError) as exc:
            result.rejected += 1
            if len(result.rejected_sample) < 5:
                result.rejected_sample.append(f"{mask_nip(str(item.get('nipBaru') or ''))}: {exc}")
            continue
        rows[row["nip"]] = row
    if not rows:
        return
    known: dict[str, str] = {
        nip: digest
        for nip, digest in session.execute(
            select(AsnRegistryEntry.nip, AsnRegistryEntry.content_hash).where(AsnRegistryEntry.nip.in_(rows))
        ).tuples()
    }
    now = utcnow()
    fresh = [{**r, "refreshed_at": now} for nip, r in rows.items() if nip not in known]
    changed = [
        {**r, "refreshed_at": now}
        for nip, r in rows.items()
        if nip in known and known[nip] != r["content_hash"]
    ]
    if fresh:
        session.execute(insert(AsnRegistryEntry), fresh)
    if changed:
        session.execute(update(AsnRegistryEntry), changed)
    result.new += len(fresh)
    result.changed += len(changed)
    result.unchanged += len(rows) - len(fresh) - len(changed)
