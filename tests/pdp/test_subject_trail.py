"""A subject report's processing trail holds every audited human action on the person's data, also
one a steward took on several rows at once (one audit entry naming them ``3,5``): withdrawing parked
pushes to SIASN, giving up parked letters to PPKs. Both backends."""

from __future__ import annotations

from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import OutboxEntry
from sbt_sync.enforce.outbox import idempotency_key, push_payload
from sbt_sync.notify.admin import give_up_mail
from sbt_sync.pdp.subject import gather_subject
from sbt_sync.push.admin import withdraw
from sbt_sync.states.outbox import OutboxState, PushAction
from tests.console.letters_world import write_letter
from tests.enforce.rows import add_case, nip

NIP, OTHER = nip(1), nip(2)


def _parked_push(database: Database, person: str) -> int:
    key = f"PILKADA-2024|rec:R-{person[-2:]}|{person}"
    with database.session() as session:
        row = OutboxEntry(
            idempotency_key=idempotency_key(PushAction.BLOKIR, 1), nip=person,
            action=PushAction.BLOKIR,
            case_refs=[key], payload=push_payload(person, PushAction.BLOKIR, [key], [f"R-{person[-2:]}"]),
            block_version=1, state=OutboxState.PARKED, last_error="NIP tidak dikenal",
        )  # fmt: skip
        session.add(row)
        session.flush()
        return row.id


def test_actions_on_several_rows_at_once_are_in_each_persons_trail(migrated_database: Database) -> None:
    mail_rows = []
    for seq, person in enumerate((NIP, OTHER), start=1):
        with migrated_database.session() as session:
            case_id = add_case(session, f"CASE-{seq:02d}", person).id
        # an instansi with no PIC address: the letter is parked at once
        mail_rows.append(
            write_letter(migrated_database, case_id, seq=seq, instansi_id=f"A9{seq}", reviewed=False)[1]
        )
    pushes = [_parked_push(migrated_database, NIP), _parked_push(migrated_database, OTHER)]
    with migrated_database.session() as session:
        assert withdraw(session, pushes, reason="NIP sudah dikoreksi di SIASN", actor="steward") == 2
        assert give_up_mail(session, mail_rows, reason="instansi sudah digabung", actor="steward") == 2
    with migrated_database.session() as session:
        assert session.scalars(select(OutboxEntry.state)).all() == ["superseded", "superseded"]
        report = gather_subject(session, NIP)
    trail = {(a["object_type"], a["action"]) for a in report.sections["audit"]}
    assert ("outbox", "push.withdraw") in trail, trail
    assert any(kind == "notification_outbox" for kind, _ in trail), trail
