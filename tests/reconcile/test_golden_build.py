"""Builders of source records for the golden reconciliation tests (no tests here)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sbt_sync.reconcile.golden.model import SourceRecord

NIP_A = "198001012005011001"
NIP_B = "199002022015022002"
EVENT = "PILKADA-2024"
TYPES = {
    "bawaslu": "finding",
    "kemenpanrb": "complaint",
    "bkn_wasdal": "recommendation",
    "kasn": "recommendation",
    "idis": "sanction",
    "kemendagri": "follow_up",
}


def record(
    staged_id: int,
    source: str,
    *,
    nip: str | None = NIP_A,
    event: str | None = EVENT,
    register: str | None = None,
    number: str | None = None,
    item_no: int = 0,
    at: str | None = None,
    **fields: Any,
) -> SourceRecord:
    """A record of ``source`` (its record type follows); ``at`` is its ISO update instant."""
    record_type = TYPES[source]
    return SourceRecord(
        staged_id=staged_id,
        source=source,
        record_key=f"{source}-{register or number or staged_id}",
        item_no=item_no,
        record_type=record_type,
        nip=nip,
        event_code=event if record_type in ("finding", "recommendation") else None,
        register_no=register if record_type in ("finding", "recommendation") else None,
        recommendation_no=number if record_type != "finding" else None,
        source_updated_at=datetime.fromisoformat(at) if at else None,
        fields=fields,
    )


def finding(staged_id: int, register: str, *, nip: str | None = NIP_A, **fields: Any) -> SourceRecord:
    """A forwarded Bawaslu finding registered on 2024-10-01 unless told otherwise."""
    defaults: dict[str, Any] = {
        "register_status": "diteruskan",
        "violation_form": "MEDSOS",
        "incident_at": "2024-10-01T10:00:00+07:00",
    }
    return record(staged_id, "bawaslu", nip=nip, register=register, **(defaults | fields))


def recommendation(
    staged_id: int,
    number: str,
    result: str,
    *,
    source: str = "bkn_wasdal",
    sanction: str | None = "21",
    **kw: Any,
) -> SourceRecord:
    """A recommendation dated 2024-11-01 unless told otherwise."""
    fields: dict[str, Any] = {"verification_result": result, "recommendation_date": "2024-11-01"}
    if result == "terbukti":
        fields["recommended_sanction"] = sanction
    return record(staged_id, source, number=number, **(fields | kw))


def sanction(
    staged_id: int, number: str | None, code: str, *, source: str = "idis", **kw: Any
) -> SourceRecord:
    """A sanction imposed on 2024-11-20 unless told otherwise."""
    return record(
        staged_id, source, number=number, sanction_code=code, **({"sanction_date": "2024-11-20"} | kw)
    )


WHEN = datetime(2025, 1, 20, tzinfo=UTC)
