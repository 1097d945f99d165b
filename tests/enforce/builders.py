"""Builders of enforcement cases for the policy tests (no tests here)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from sbt_sync.enforce.model import EnforcementCase

NIP_A = "198001012005011001"
NIP_B = "199002022015022002"
R = date(2024, 12, 1)
"""Recommendation date: deadline (peringatan) R+10 = 12-11, teguran 12-18, pemblokiran 12-25."""


def case(case_id: int = 1, *, nip: str | None = NIP_A, **changes: Any) -> EnforcementCase:
    """A proven case recommended on :data:`R`, waiting for the PPK, unless told otherwise."""
    base = EnforcementCase(
        case_id=case_id,
        case_key=f"CASE-{case_id:03d}",
        nip=nip,
        status="menunggu_tindak_lanjut_ppk",
        verification_result="terbukti",
        recommendation_date=R,
        recommendation_no=f"REK-{case_id:03d}",
    )
    return replace(base, **changes)
