"""Reading the golden ``cases`` (and the registry's departures) into the policy's plain dataclasses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sbt_sync.db.models import AsnRegistryEntry, Case, ControlAction, FieldProvenance, StagedRecord
from sbt_sync.enforce.disputes import open_disputes, with_disputes
from sbt_sync.enforce.model import EnforcementCase
from sbt_sync.states.control import ControlAction as ControlActionKind
from schemas.reference import kedudukan

WIB = timezone(timedelta(hours=7))
"""Deadlines are calendar days in Jakarta time, as the agencies count them."""

_RESULT_OF_STATUS = {
    "menunggu_tindak_lanjut_ppk": "terbukti",
    "dibatalkan": "dibatalkan",
    "tidak_terbukti": "tidak_terbukti",
    "ditolak": "ditolak",
}
"""The verification result a status word implies, when the golden record does not carry it."""


def load_cases(session: Session) -> list[EnforcementCase]:
    """Every golden case as an :class:`EnforcementCase`, with annulment and departure dates and the
    sanction in force (its code, since when it is in force, a revision's or an annulment's day).

    Departures come from the registry (``kedudukanPnsId`` meaning the ASN left service, dated by the
    ``updatedAt`` of the version that first said so, ``left_on``: a later edit of the row does not
    move it); an annulment is dated by the golden record's ``annulled_on`` when it carries one,
    else by the update instant of the source record that won ``verification_result``.

    A case with an open dispute (an identity conflict on one of its records, a record naming someone
    else, a critical conflict: :func:`~sbt_sync.enforce.disputes.open_disputes`) is handed over held,
    whatever its stored ``held`` says: the flag is only as fresh as the case's last reconciliation.
    """
    rows = session.execute(
        select(
            Case.id,
            Case.case_key,
            Case.nip,
            Case.status,
            Case.held,
            Case.hold_reason,
            Case.recommendation_no,
            Case.recommendation_date,
            Case.follow_up_deadline,
            Case.sanction_imposed,
            Case.sanction_date,
            Case.kanreg_id,
            Case.golden,
        )
    ).all()
    nips = {row.nip for row in rows if row.nip}
    departures = left_service_dates(session, nips)
    held_since, blocked = _recorded_holds_and_blocks(session)
    annulled_ids = [row.id for row in rows if _result(row.status, row.golden) == "dibatalkan"]
    annulments = _annulment_dates(session, annulled_ids)
    cases = []
    for row in rows:
        golden = row.golden or {}
        result = _result(row.status, golden)
        annulled_on = wib_day(_golden(golden, "annulled_on")) or annulments.get(row.id)
        left = row.nip in departures or row.status == "asn_berhenti"
        cases.append(
            EnforcementCase(
                case_id=row.id,
                case_key=row.case_key,
                nip=row.nip,
                status=row.status,
                verification_result=result,
                recommendation_date=row.recommendation_date,
                follow_up_deadline=row.follow_up_deadline,
                held=row.held,
                hold_reason=row.hold_reason,
                sanction_recorded=row.sanction_imposed is not None or row.status == "dijatuhi_hukuman",
                sanction_on=row.sanction_date,
                annulled=result == "dibatalkan",
                annulled_on=annulled_on,
                left_service=left,
                left_service_on=departures.get(row.nip) if row.nip else None,
                recommendation_no=row.recommendation_no,
                kanreg_id=row.kanreg_id,
                sanction_code=row.sanction_imposed,
                sanction_revised_on=_revised_on(golden),
                sanction_annulled_on=wib_day(_golden(golden, "sanction_annulled_on")),
                held_since=held_since.get(row.id),
                block_recorded=row.id in blocked,
            )
        )
    return with_disputes(cases, open_disputes(session))


def _recorded_holds_and_blocks(session: Session) -> tuple[dict[int, date], set[int]]:
    """Case id -> the day its first ``hold`` was recorded, and the cases with a recorded ``pemblokiran``."""
    query = select(ControlAction.case_id, ControlAction.action, ControlAction.due_on).where(
        ControlAction.action.in_([ControlActionKind.HOLD, ControlActionKind.PEMBLOKIRAN])
    )
    held: dict[int, date] = {}
    blocked: set[int] = set()
    for case_id, action, due_on in session.execute(query).tuples():
        if action == ControlActionKind.PEMBLOKIRAN:
            blocked.add(case_id)
        elif case_id not in held or due_on < held[case_id]:
            held[case_id] = due_on
    return held, blocked


def _revised_on(golden: Mapping[str, Any]) -> date | None:
    """The version in force's date when it revised an earlier sanction (the golden case then says
    since when a sanction is in force, ``sanction_since``)."""
    return wib_day(_golden(golden, "sanction_date")) if _golden(golden, "sanction_since") else None


def left_service_dates(session: Session, nips: Iterable[str]) -> dict[str, date | None]:
    """NIP -> the day its holder left service (None when the registry has no date), for those who did."""
    codes = [k.id for k in kedudukan() if k.meninggalkan_dinas]
    wanted = sorted(set(nips))
    found: dict[str, date | None] = {}
    for start in range(0, len(wanted), 1000):  # bounded IN lists
        chunk = wanted[start : start + 1000]
        query = select(AsnRegistryEntry.nip, AsnRegistryEntry.left_on).where(
            AsnRegistryEntry.nip.in_(chunk), AsnRegistryEntry.status_id.in_(codes)
        )
        for nip, left_on in session.execute(query):
            found[nip] = wib_day(left_on)
    return found


def _annulment_dates(session: Session, case_ids: list[int]) -> dict[int, date]:
    dates: dict[int, date] = {}
    for start in range(0, len(case_ids), 1000):
        chunk = case_ids[start : start + 1000]
        query = (
            select(FieldProvenance.case_id, StagedRecord.source_updated_at)
            .join(StagedRecord, StagedRecord.id == FieldProvenance.staged_record_id)
            .where(FieldProvenance.case_id.in_(chunk), FieldProvenance.field == "verification_result")
        )
        for case_id, updated in session.execute(query):
            day = wib_day(updated)
            if day is not None:
                dates[case_id] = day
    return dates


def _result(status: str, golden: Mapping[str, Any] | None) -> str | None:
    value = _golden(golden or {}, "verification_result")
    return str(value) if value else _RESULT_OF_STATUS.get(status)


def _golden(golden: Mapping[str, Any], name: str) -> Any:
    """A golden field's value, whether stored bare or with its provenance (``{"value": ...}``)."""
    value = golden.get(name)
    return value.get("value") if isinstance(value, Mapping) else value


def wib_day(value: Any) -> date | None:
    """The WIB calendar day of an instant, date or ISO string; None when there is none."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=WIB)).astimezone(WIB).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return wib_day(datetime.fromisoformat(value)) if len(value) > 10 else date.fromisoformat(value)
        except ValueError:
            return None
    return None
