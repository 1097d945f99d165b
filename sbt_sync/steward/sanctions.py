"""A case's sanction versions for stewards: list them, and enter a revision decided on objection
(keberatan) with its decision letter.

An entry is a ``sanction_versions`` row of source ``steward`` with the letter's number and date, the
new jenisHukuman code (``schemas/reference/sanction_codes.csv``) or the annulment of the sanction, and
the steward's reason; its audit entry (``sanction.revise``, on the case) is written in the same
transaction. It takes effect at the next reconciliation, which places it among the case's versions and
never deletes it (:mod:`sbt_sync.reconcile.golden.sanctions`): the version in force is the one with the latest
decision date.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry, Case, SanctionVersion, User
from sbt_sync.db.models.sanctions import STEWARD_SOURCE, SanctionKind
from sbt_sync.errors import SbtError
from sbt_sync.instants import wib_day
from schemas.reference import sanction_by_id

LETTER_MAX = 128
ANNUL = "annul"
"""The code a steward gives for a decision that annulled the sanction."""


class SanctionRefused(SbtError):
    """A revision that cannot be recorded (unknown case or code, no letter, no reason, ...)."""


@dataclass(frozen=True)
class VersionRow:
    """One version as stewards read it."""

    id: int
    seq: int
    kind: str
    code: str | None
    name: str | None
    """The sanction's name from the reference codes; None for an annulment or an unknown code."""
    letter_no: str | None
    decided_on: date | None
    source: str
    source_ref: str | None
    reported_by: list[str]
    in_force: bool
    recorded_at: datetime
    entered_by: str | None
    reason: str | None
    pending: bool
    """A steward's entry no reconciliation has placed yet (it takes effect at the next one)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "seq": self.seq, "kind": self.kind, "code": self.code, "name": self.name,
            "letter_no": self.letter_no,
            "decided_on": self.decided_on.isoformat() if self.decided_on else None,
            "source": self.source, "source_ref": self.source_ref, "reported_by": self.reported_by,
            "in_force": self.in_force, "recorded_at": self.recorded_at.isoformat(),
            "entered_by": self.entered_by, "reason": self.reason, "pending": self.pending,
        }  # fmt: skip


def sanction_name(code: str | None) -> str | None:
    """The reference name of a jenisHukuman code (None when unknown or no code)."""
    if code is None or not code.strip().isdigit():
        return None
    found = sanction_by_id().get(int(code))
    return found.nama if found else None


def list_versions(session: Session, case_id: int) -> list[VersionRow]:
    """The case's versions in decision order (entries not placed yet last, in entry order)."""
    rows = session.scalars(select(SanctionVersion).where(SanctionVersion.case_id == case_id))
    placed = sorted(rows, key=lambda r: (r.seq == 0, r.seq, r.id))
    return [
        VersionRow(
            id=r.id, seq=r.seq, kind=r.kind, code=r.code, name=sanction_name(r.code), letter_no=r.letter_no,
            decided_on=r.decided_on, source=r.source, source_ref=r.source_ref,
            reported_by=list(r.reported_by or []),
            in_force=r.in_force, recorded_at=r.recorded_at, entered_by=r.entered_by, reason=r.reason,
            pending=r.source == STEWARD_SOURCE and r.applied_at is None,
        )
        for r in placed
    ]  # fmt: skip


def waiting_versions(session: Session) -> list[tuple[VersionRow, list[int]]]:
    """Stewards' versions whose case reconciliation removed (every record withdrawn, or moved where no
    case continues it), each with the staged ids that case held: each returns to the first case that
    links one of them again."""
    query = select(SanctionVersion).where(
        SanctionVersion.case_id.is_(None), SanctionVersion.source == STEWARD_SOURCE
    )
    return [
        (
            VersionRow(
                id=r.id, seq=r.seq, kind=r.kind, code=r.code, name=sanction_name(r.code),
                letter_no=r.letter_no, decided_on=r.decided_on, source=r.source, source_ref=r.source_ref,
                reported_by=list(r.reported_by or []), in_force=False, recorded_at=r.recorded_at,
                entered_by=r.entered_by, reason=r.reason, pending=True,
            ),
            list(r.released_records or []),
        )
        for r in session.scalars(query.order_by(SanctionVersion.id))
    ]  # fmt: skip


def find_case(session: Session, ref: str) -> Case:
    """A case by its id or its key; raises :class:`SanctionRefused` (``case_not_found``)."""
    text = ref.strip()
    case = session.get(Case, int(text)) if text.isdigit() else None
    case = case or session.scalar(select(Case).where(Case.case_key == text))
    if case is None:
        raise SanctionRefused(f"no case {ref!r}", code="case_not_found", case=ref)
    return case


def _code(value: str) -> str | None:
    """The code entered (as text), None for an annulment; refuses a code not in the reference."""
    text = value.strip()
    if text.lower() == ANNUL:
        return None
    if not text.isdigit() or int(text) not in sanction_by_id():
        known = ", ".join(str(c) for c in sorted(sanction_by_id()))
        raise SanctionRefused(
            f"{value!r} is no jenisHukuman code (known: {known}; or '{ANNUL}')",
            code="sanction_unknown",
            value=value,
        )
    return str(int(text))


def revise_sanction(
    database: Database,
    case_ref: str,
    *,
    code: str,
    letter_no: str,
    letter_date: date,
    reason: str,
    actor: str,
    channel: str = "cli",
    client_address: str | None = None,
    now: datetime | None = None,
) -> int:
    """Record a sanction version decided on objection; returns its row id.

    ``code`` is a jenisHukuman code or ``annul`` (the decision annulled the sanction). Raises
    :class:`SanctionRefused` for an unknown case or code, an empty letter number or reason, a letter
    dated in the future, an annulment where no sanction is in force, or the same letter entered twice.
    """
    now = now or datetime.now(UTC)
    new_code = _code(code)
    number = letter_no.strip()
    if not number or len(number) > LETTER_MAX:
        raise SanctionRefused(
            f"a decision letter number of 1 to {LETTER_MAX} characters is needed", code="letter_required"
        )
    if not reason.strip():
        raise SanctionRefused("a revision needs a reason", code="reason_required")
    # A letter is dated where it was signed: before 07:00 WIB the UTC day is still yesterday.
    if letter_date > wib_day(now):
        raise SanctionRefused(f"the letter is dated in the future ({letter_date})", code="letter_in_future")
    with database.session() as session:
        case = find_case(session, case_ref)
        versions = list_versions(session, case.id)
        if any(
            v.letter_no == number and v.decided_on == letter_date
            for v in versions
            if v.source == STEWARD_SOURCE
        ):
            raise SanctionRefused(
                f"letter {number} of {letter_date} is already recorded on case {case.id}",
                code="letter_recorded",
                letter=number,
            )
        if new_code is None and case.sanction_imposed is None:
            raise SanctionRefused(
                f"case {case.id} has no sanction in force to annul", code="nothing_to_annul", case=case.id
            )
        user = session.scalar(select(User).where(User.username == actor))
        row = SanctionVersion(
            case_id=case.id, version_key=f"steward|{uuid.uuid4().hex}", seq=0,
            kind=(SanctionKind.SANCTION if new_code else SanctionKind.ANNULMENT).value, code=new_code,
            letter_no=number, decided_on=letter_date, source=STEWARD_SOURCE, reported_by=[], in_force=False,
            recorded_at=now, entered_by=actor, entered_by_id=user.id if user else None, reason=reason.strip(),
        )  # fmt: skip
        session.add(row)
        session.flush()
        session.add(
            AuditEntry(
                at=now,
                actor_id=user.id if user else None,
                actor_name=actor,
                action="sanction.revise",
                object_type="case",
                object_id=str(case.id),
                before={"sanction_in_force": case.sanction_imposed},
                after={
                    "version_id": row.id,
                    "kind": row.kind,
                    "code": new_code,
                    "letter_no": number,
                    "letter_date": letter_date.isoformat(),
                },
                reason=reason.strip(),
                channel=channel,
                client_address=client_address,
            )
        )
        return row.id
