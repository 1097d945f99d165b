"""The derived lifecycle status of a case, in BKN's public status words (DOMAIN.md, "The case
lifecycle"), and what holds it: an open critical conflict, or an identity dispute on any record linked
to it (DESIGN.md, "Identity disputes hold").

Facts dated after ``as_of`` do not count yet: a recommendation dated later leaves the case waiting for
verification, a later sanction or departure from service leaves it waiting for the PPK.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date
from typing import Any, Literal

from sbt_sync.reconcile.golden.model import ConflictDraft, FieldValue, SourceRecord
from sbt_sync.states.conflicts import ConflictStatus

Status = Literal[
    "aduan",
    "menunggu_verifikasi",
    "menunggu_tindak_lanjut_ppk",
    "tidak_terbukti",
    "dibatalkan",
    "ditolak",
    "asn_berhenti",
    "dijatuhi_hukuman",
]
CLOSED_RESULTS: Mapping[str, Status] = {
    "dibatalkan": "dibatalkan",
    "tidak_terbukti": "tidak_terbukti",
    "ditolak": "ditolak",
}


def day_of(value: Any) -> date | None:
    """The date of an ISO date or instant string (its local calendar day), else None."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _known(golden: Mapping[str, FieldValue], name: str, as_of: date | None, dated_by: str) -> Any:
    """``golden[name]``'s value if the fact is dated on or before ``as_of`` (or undated), else None."""
    found = golden.get(name)
    if found is None or found.value is None:
        return None
    day = day_of(golden[dated_by].value) if dated_by in golden else None
    return found.value if as_of is None or day is None or day <= as_of else None


def lifecycle_status(
    golden: Mapping[str, FieldValue],
    as_of: date | None = None,
    *,
    left_service_on: date | None = None,
    complaint_only: bool = False,
) -> Status:
    """The case's status word at ``as_of`` (None: everything known counts).

    In order: an annulled, not-proven or rejected recommendation is final (``dibatalkan``,
    ``tidak_terbukti``, ``ditolak``); a recorded sanction gives ``dijatuhi_hukuman``; an ASN who left
    service on or before ``as_of`` gives ``asn_berhenti``; a proven recommendation waits for the PPK
    (``menunggu_tindak_lanjut_ppk``); a public complaint that no body has forwarded
    (``complaint_only``: the case holds complaints and nothing else) is an ``aduan``; anything else
    waits for verification.
    """
    result = _known(golden, "verification_result", as_of, "recommendation_date")
    if isinstance(result, str) and result in CLOSED_RESULTS:
        return CLOSED_RESULTS[result]
    if _known(golden, "sanction_code", as_of, "sanction_date") is not None:
        return "dijatuhi_hukuman"
    if left_service_on is not None and (as_of is None or left_service_on <= as_of):
        return "asn_berhenti"
    if result == "terbukti":
        return "menunggu_tindak_lanjut_ppk"
    return "aduan" if complaint_only else "menunggu_verifikasi"


def has_ended(
    golden: Mapping[str, FieldValue],
    as_of: date | None = None,
    *,
    left_service_on: date | None = None,
    disputed: Collection[int] = (),
) -> bool:
    """Whether an end event happened by ``as_of``: a sanction recorded, the recommendation annulled,
    or the ASN gone from service. Nothing is left to enforce on an ended case.

    A sanction or annulment stated by a record of ``disputed`` (staged ids whose identity is disputed,
    :func:`disputed_records`) does not count: it may be about someone else, so it must not end the
    case, and with it the hold that brings the dispute to a steward.
    """

    def stated(name: str) -> bool:
        found = golden.get(name)
        return found is not None and (found.staged_id is None or found.staged_id not in disputed)

    if stated("sanction_code") and _known(golden, "sanction_code", as_of, "sanction_date") is not None:
        return True
    annulled = _known(golden, "verification_result", as_of, "recommendation_date") == "dibatalkan"
    if annulled and stated("verification_result"):
        return True
    return left_service_on is not None and (as_of is None or left_service_on <= as_of)


def _disputed(record: SourceRecord, case_nip: str | None) -> str | None:
    """Why ``record`` (of a case whose ASN is ``case_nip``) is disputed, or None (see below)."""
    if record.identity_dispute is not None:
        return record.identity_dispute
    if case_nip is not None and record.names_person and record.nip != case_nip:
        return names_other_words(record.nip)
    return None


def names_other_words(named_nip: str | None) -> str:
    """Why a record that names a person other than the case's ASN (``named_nip``; None: nobody in the
    registry) is disputed, without naming anyone (:mod:`sbt_sync.console.holds` reads it back)."""
    who = "nobody in the registry" if named_nip is None else "another ASN"
    return f"names {who}, not the case's ASN"


def disputed_records(records: Iterable[SourceRecord], case_nip: str | None) -> set[int]:
    """The staged ids of ``records`` whose identity :func:`identity_disputes` disputes."""
    return {r.staged_id for r in records if _disputed(r, case_nip) is not None}


def identity_disputes(records: Iterable[SourceRecord], case_nip: str | None) -> list[str]:
    """Why the identity behind ``records`` (one case's) is in dispute, one line per record, sorted.

    A record is disputed while its own identity conflict is open, and when it names a person but
    resolved to someone other than the case's ASN (nobody included): it joined the case by a register
    or recommendation number, not by who it names, so its facts may be about another person.
    """
    found: list[str] = []
    for r in sorted(records, key=SourceRecord.sort_key):
        why = _disputed(r, case_nip)
        if why is not None:
            found.append(record_words(r.source, r.record_key, r.item_no) + f": {why}")
    return found


def record_words(source: str, record_key: str, item_no: int) -> str:
    """How a hold reason names a source record (``bkn_wasdal REC-1#0``): by its keys, never its person."""
    return f"{source} {record_key}#{item_no}"


def conflict_clause(kind: str, conflict_key: str) -> str:
    """A hold reason's clause for an open conflict on the case (:mod:`sbt_sync.console.holds` reads it)."""
    return f"open {kind} conflict {conflict_key}"


def disputed_clause(dispute: str) -> str:
    """A hold reason's clause for a record whose identity is disputed (``record: why``)."""
    return f"identity disputed: {dispute}"


def hold_reason(
    conflicts: Iterable[ConflictDraft],
    disputes: Iterable[str],
    *,
    proven_somewhere: bool,
    ended: bool,
    registry: Iterable[str] = (),
) -> str | None:
    """Why the case is held, or None when it is not.

    A case some source says is proven and that has not ended is held (never blocked, never escalated)
    while a critical conflict is open on it or the identity of any of its records is disputed: only
    such a case could otherwise block the wrong person. The reason names every conflict and record.
    It is held too while SIASN cannot vouch for the ASN's registry row (``registry``: a NIP SIASN no
    longer knows, an unknown kedudukan): who the ASN is, or whether they are still in service, is for a
    steward to settle, not for a guess.
    """
    if not proven_somewhere or ended:
        return None
    parts = [
        conflict_clause(c.kind, c.conflict_key)
        for c in conflicts
        if c.critical and c.status == ConflictStatus.OPEN
    ]
    parts += [disputed_clause(d) for d in disputes]
    parts += list(registry)
    return "; ".join(parts) or None
