"""The letter page's refusals and the steward's give-up: a release of a letter whose instansi nothing
names is refused in words (it would go out addressed without a name), and a parked letter is given up
for the PICs who do not have it (audited; the page says who was given up)."""

from __future__ import annotations

from sqlalchemy import select, update

from sbt_sync.db.models import AuditEntry
from sbt_sync.db.models.letters import Letter, NotificationOutboxEntry
from sbt_sync.letters.model import UNNAMED_INSTANSI
from tests.console.conftest import World, csrf_of
from tests.console.letters_world import add_pic_address, write_letter
from tests.enforce.rows import add_case

NOBODY = "Z9"
"""An instansi nothing names: no registry member, no name given with its PIC address."""


def _post(world: World, letter_id: int, action: str, reason: str) -> str:
    steward = world.login("steward")
    form = {"reason": reason, "csrf_token": csrf_of(steward, f"/letters/{letter_id}")}
    assert steward.post(f"/letters/{letter_id}/{action}", data=form).status_code == 303
    page: str = steward.get(f"/letters/{letter_id}").text
    return page


def test_a_release_of_a_letter_whose_instansi_is_unnamed_is_refused_in_words(world: World) -> None:
    with world.database.session() as session:
        case_id = add_case(session, "CASE-Z", None).id  # no source record names its instansi either
    add_pic_address(world.database, NOBODY, "pic@z9.go.id")
    letter_id, row_id = write_letter(world.database, case_id, seq=7, instansi_id=NOBODY)
    with world.database.session() as session:
        session.execute(update(Letter).where(Letter.id == letter_id).values(instansi_name=UNNAMED_INSTANSI))

    page = _post(world, letter_id, "release", "sudah diperiksa")

    assert "nama instansi Z9 belum tercatat" in page and "halaman PIC instansi" in page
    with world.database.session() as session:
        assert session.get(NotificationOutboxEntry, row_id).state == "held"  # type: ignore[union-attr]


def test_a_steward_gives_up_a_parked_letter_for_the_pic_who_refused_it(world: World) -> None:
    add_pic_address(world.database, "B2", "lama@b2.go.id")
    add_pic_address(world.database, "B2", "pic@b2.go.id")
    letter_id, row_id = write_letter(world.database, world.ids["case_a"], seq=8, instansi_id="B2")
    with world.database.session() as session:  # as a notifier leaves it: one PIC has it, one refused
        session.execute(
            update(NotificationOutboxEntry)
            .where(NotificationOutboxEntry.id == row_id)
            .values(
                state="parked",
                deliveries={
                    "pic@b2.go.id": {"state": "sent", "answer": "250 Ok", "at": "2026-10-12T03:00:00+00:00"},
                    "lama@b2.go.id": {"state": "refused", "answer": "550 5.1.1 No such user", "at": "x"},
                },
            )
        )
    shown = world.login("steward").get(f"/letters/{letter_id}").text
    assert f'action="/letters/{letter_id}/give-up"' in shown

    page = _post(world, letter_id, "give-up", "alamat lama tidak aktif")

    assert "PIC yang belum menerima surat ini tidak akan dikirimi." in page
    assert "lama@b2.go.id: tidak dikirimi: diserahkan steward" in page
    with world.database.session() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "notify.give_up")).one()
    assert (audit.actor_name, audit.channel, audit.after) == (
        "steward",
        "console",
        {"rows": 1, "ids": [row_id], "given_up": {str(row_id): ["lama@b2.go.id"]}},
    )
