"""Inserting golden ``cases`` rows directly, to feed the enforcement engine (no tests here)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from sbt_sync.db.models import Case, Conflict

RECOMMENDED = date(2024, 12, 1)
"""Blocked (pemblokiran due 2024-12-25) at any as_of from :data:`BLOCKING_DAY` on."""
BLOCKING_DAY = date(2025, 1, 20)


def add_case(
    session: Session,
    key: str,
    nip: str | None,
    *,
    status: str = "menunggu_tindak_lanjut_ppk",
    result: str | None = "terbukti",
    recommended: date | None = RECOMMENDED,
    sanction_date: date | None = None,
    held: bool = False,
    **golden: Any,
) -> Case:
    """A proven case waiting for the PPK unless told otherwise; ``golden`` adds golden fields."""
    case = Case(
        case_key=key,
        nip=nip,
        event_code="PILKADA-2024",
        status="dijatuhi_hukuman" if sanction_date else status,
        recommendation_no=f"REK/{key}",
        recommendation_date=recommended,
        sanction_imposed="22" if sanction_date else None,
        sanction_date=sanction_date,
        golden={"verification_result": result, **golden},
        content_hash=key,
        held=held,
    )
    session.add(case)
    session.flush()
    return case


def open_conflict(session: Session, case: Case, *, critical: bool = True) -> Conflict:
    conflict = Conflict(
        conflict_key=f"critical:{case.case_key}",
        kind="critical_field",
        case_id=case.id,
        field="verification_result",
        critical=critical,
        basis_hash="x",
    )
    session.add(conflict)
    session.flush()
    return conflict


def nip(number: int) -> str:
    """A plausible 18-digit NIP, distinct per ``number``."""
    return f"1980010120050110{number:02d}"
