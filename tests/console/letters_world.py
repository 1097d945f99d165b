"""Builders for the letters, compliance and PIC page tests: letters to PPKs written as the drafter
writes them (a control step, its letter with the step's item, the outbox row queued to the instansi's
PIC addresses), and the facts the compliance report reads (issuer, instansi, registry names)."""

from __future__ import annotations

import hashlib
from datetime import date

from sqlalchemy import update

from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, Case, ControlAction
from sbt_sync.db.models.letters import Letter, LetterItem
from sbt_sync.notify import queue
from sbt_sync.notify.admin import add_pic
from sbt_sync.notify.message import message_id, subject

FROM = "netralitas@bkn.go.id"
INSTANSI = "A1"
INSTANSI_NAME = "Pemerintah Kabupaten Contoh"
PIC = "pic.contoh@instansi.example.id"
SKIPPED = "later_step"
"""A reason code as drafting stores it (sbt_sync.letters.model.SKIP_REASONS)."""


def pdf_bytes(seq: int) -> bytes:
    return b"%PDF-1.4\n% stand-in letter " + str(seq).encode() + b"\n%%EOF\n"


def write_letter(
    database: Database,
    case_id: int,
    *,
    seq: int,
    step: str = "peringatan",
    instansi_id: str = INSTANSI,
    day: date = date(2026, 10, 12),
    reviewed: bool = True,
) -> tuple[int, int]:
    """A ``step`` letter to ``instansi_id`` listing ``case_id``; returns (letter id, outbox row id).
    Queued held (``reviewed``) or pending; parked at once when the instansi has no PIC address."""
    pdf = pdf_bytes(seq)
    with database.session() as session:
        action = ControlAction(case_id=case_id, action=step, due_on=day, reason="deadline passed", as_of=day)
        letter = Letter(
            number=f"{seq:04d}/B-AK.02.02/SD/F/2026",
            year=2026,
            seq=seq,
            step=step,
            instansi_id=instansi_id,
            instansi_name=INSTANSI_NAME,
            letter_date=day,
            case_count=1,
            content={},
            template="test",
            pdf=pdf,
            sha256=hashlib.sha256(pdf).hexdigest(),
            created_at=utcnow(),
        )
        session.add_all([action, letter])
        session.flush()
        session.add(LetterItem(control_action_id=action.id, case_id=case_id, letter_id=letter.id))
        row = queue.enqueue(
            session,
            letter,
            message_id=message_id(letter.id, letter.sha256, FROM),
            subject=subject(step, letter.number, letter.instansi_name),
            reviewed=reviewed,
            now=utcnow(),
        )
        return letter.id, row.id


def skip_step(database: Database, case_id: int, *, step: str, day: date, why: str = SKIPPED) -> None:
    """A recorded ``step`` of the case that got no letter, and why."""
    with database.session() as session:
        action = ControlAction(case_id=case_id, action=step, due_on=day, reason="deadline", as_of=day)
        session.add(action)
        session.flush()
        session.add(LetterItem(control_action_id=action.id, case_id=case_id, letter_id=None, skipped=why))


def add_pic_address(database: Database, instansi_id: str = INSTANSI, email: str = PIC) -> None:
    with database.session() as session:
        add_pic(session, instansi_id, email, actor="test")


def compliance_facts(database: Database, *, kasn_case: int, bkn_case: int, nip: str) -> None:
    """Case ``kasn_case`` (a KASN recommendation) and ``bkn_case`` (BKN's), both of instansi A1 (a
    regional government per the registry), not held, not followed up past their deadline."""
    with database.session() as session:
        for case_id, body in ((kasn_case, "KASN"), (bkn_case, "BKN")):
            session.execute(
                update(Case)
                .where(Case.id == case_id)
                .values(
                    golden={"verification_result": "terbukti", "recommending_body": body},
                    instansi_id=INSTANSI,
                    held=False,
                    recommendation_no=f"REK-{body}-1",
                )
            )
        session.add(
            AsnRegistryEntry(
                nip=nip,
                siasn_id="S1",
                name="ASN CONTOH",
                name_normalised="asn contoh",
                birth_date=date(1980, 1, 1),
                gender="M",
                kind="PNS",
                instansi_id=INSTANSI,
                instansi_name=INSTANSI_NAME,
                kanreg_id="I",
                status_id="1",
                status_name="Aktif",
                content_hash="x",
            )
        )
        session.add(
            ControlAction(
                case_id=kasn_case, action="pemblokiran", due_on=date(2026, 11, 1), reason="r",
                as_of=date(2026, 11, 20),
            )
        )  # fmt: skip
