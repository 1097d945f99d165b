"""What a steward compares on an identity conflict, and when a candidate may be taken without a look.

The side by side (DESIGN.md, "Steward console and CLI"): for the source row and each registry
candidate, the name (the registry's with its gelar), birth date, sex, position, instansi, Kanreg and
status (kedudukan), and for each field whether the candidate agrees with the row (None where the row
does not say). A row states a birth date and sex only through its NIP (``make_query``: a valid NIP
gives both, a partial one may still give the birth date).

Safety (issue 14, "Safe identity decisions"): candidates within ``TIE_MARGIN`` of the best score are a
tie and none of them is pre-selected; the bulk "top candidate" answer refuses a tie and a top candidate
whose name, birth date, sex, position or instansi disagree with the row, and says which.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sbt_sync.db.models import StagedRecord
from sbt_sync.reconcile.identity.resolve import (
    IdentityThresholds,
    instansi_agrees,
    make_query,
    name_similarity,
)
from sbt_sync.steward.registry_search import RegistryHit

TIE_MARGIN = 0.02
PROFILE_FIELDS = ("name", "birth_date", "gender", "position", "instansi", "kanreg", "status")
"""The rows of the side by side, in the order a steward reads them."""
BULK_CHECKED = ("name", "birth_date", "gender", "position", "instansi")
"""Fields on which a top candidate must not disagree with the row to be taken in bulk."""
_WORDS = re.compile(r"[^A-Z0-9]+")

RefusalCode = Literal["no_candidate", "tie", "disagrees"]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a conflict's top candidate may not be taken in bulk."""

    code: RefusalCode
    fields: tuple[str, ...] = ()
    """``disagrees``: the fields on which the top candidate and the row differ."""
    tied: int = 0
    """``tie``: how many candidates share the top score (within ``TIE_MARGIN``)."""

    def message(self, conflict_id: int) -> str:
        """The refusal in one English line (the console words it through its translations)."""
        if self.code == "tie":
            return f"conflict {conflict_id}: {self.tied} candidates tie on the top score; choose one by hand"
        if self.code == "disagrees":
            return (
                f"conflict {conflict_id}: the top candidate differs from the row on {', '.join(self.fields)}"
            )
        return f"conflict {conflict_id}: no candidate to take; search the registry or record 'none'"


def source_profile(record: StagedRecord) -> dict[str, Any]:
    """What the row says of its person, field by field (None where it says nothing)."""
    written_instansi = record.instansi or (record.fields or {}).get("instansi_id")
    query = make_query(nip_raw=record.nip_raw, name=record.name, instansi=written_instansi)
    birth = query.birth_date or record.birth_date
    return {
        "name": record.name,
        "birth_date": birth,
        "birth_date_from_nip": query.birth_date is not None,
        "gender": query.gender,
        "position": (record.fields or {}).get("position"),
        "instansi": written_instansi,
        "kanreg": None,
        "status": None,
    }


def candidate_profile(hit: RegistryHit) -> dict[str, Any]:
    """A registry ASN in the side by side's fields (names kept as the earlier conflict view had them)."""
    return {
        "nip": hit.nip,
        "name": hit.name,
        "birth_date": hit.birth_date,
        "gender": hit.gender,
        "position": hit.position,
        "instansi": hit.instansi_name,
        "instansi_id": hit.instansi_id,
        "kanreg": hit.kanreg_id,
        "status": hit.status_name,
        "status_id": hit.status_id,
    }


def compare(
    source: Mapping[str, Any], hit: RegistryHit, thresholds: IdentityThresholds | None = None
) -> dict[str, bool | None]:
    """Per field, whether ``hit`` agrees with the row (None: the row does not say, or the registry)."""
    limits = thresholds or IdentityThresholds()
    name = source.get("name")
    return {
        "name": None if not name else name_similarity(name, hit.name_normalised) >= limits.name_mismatch,
        "birth_date": _same(source.get("birth_date"), hit.birth_date),
        "gender": _same(source.get("gender"), hit.gender),
        "position": _position_agrees(source.get("position"), hit.position),
        "instansi": instansi_agrees(source.get("instansi"), hit.candidate),
        "kanreg": None,
        "status": None,
    }


def mark_ties(candidates: Sequence[dict[str, Any]]) -> int:
    """Mark ``tie`` on every candidate within ``TIE_MARGIN`` of the best score; returns how many tie
    (0 when the best stands alone)."""
    scores = [c["score"] for c in candidates if isinstance(c.get("score"), int | float)]
    top = max(scores, default=None)
    tied = [c for c in candidates if top is not None and _within(c.get("score"), top)]
    count = len(tied) if len(tied) > 1 else 0
    for candidate in candidates:
        candidate["tie"] = count > 0 and candidate in tied
    return count


def top_refusal(candidates: Sequence[Mapping[str, Any]]) -> Refusal | None:
    """Why the best candidate of an identity conflict may not be taken without a look; None if it may.

    ``candidates`` as :func:`sbt_sync.steward.conflict_detail.show_conflict` gives them (with ``tie`` and
    ``matches``). A name mismatch's first candidate is the holder of the written NIP, whose name the
    row contradicts, so it is refused on the name like any other disagreement.
    """
    if not candidates:
        return Refusal("no_candidate")
    tied = sum(1 for c in candidates if c.get("tie"))
    if tied:
        return Refusal("tie", tied=tied)
    matches = candidates[0].get("matches") or {}  # stored best first (a name mismatch: the holder)
    differs = tuple(f for f in BULK_CHECKED if matches.get(f) is False)
    return Refusal("disagrees", fields=differs) if differs else None


def _within(score: Any, top: float) -> bool:
    return isinstance(score, int | float) and top - float(score) <= TIE_MARGIN + 1e-9


def _same(left: date | str | None, right: date | str | None) -> bool | None:
    return None if left is None or right is None else left == right


def _position_agrees(written: str | None, registered: str | None) -> bool | None:
    """Positions agree when the words of one are all in the other ("Camat" and "Camat Sreseh")."""
    a, b = _words(written), _words(registered)
    if not a or not b:
        return None
    return a <= b or b <= a


def _words(text: str | None) -> frozenset[str]:
    return frozenset(_WORDS.split((text or "").upper())) - {""}
