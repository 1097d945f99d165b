"""A guard approval whose changes are all gone (a later run overtook them, or SIASN already held them)
has nothing to approve: the push monitor says so in words and offers only to close it (a rejection,
recorded, withdrawing no row); an approval posted anyway is refused in words and recorded nowhere.

The console world's approval (:mod:`tests.console.conftest`) holds no outbox row: it is such a one.
"""

from __future__ import annotations

from sqlalchemy import select

from sbt_sync.db.models import AuditEntry, PushApproval
from tests.console.conftest import World, csrf_of


def test_the_push_monitor_says_an_empty_approval_has_nothing_to_approve_and_offers_to_close_it(
    world: World,
) -> None:
    steward, approval = world.login("steward"), world.ids["approval"]
    page = steward.get("/push").text
    assert "Tidak ada lagi perubahan yang menunggu persetujuan ini" in page
    assert f'action="/push/approvals/{approval}/approve"' not in page
    assert f'action="/push/approvals/{approval}/reject"' in page and ">Tutup</button>" in page
    assert "no change waiting for approval any more" in steward.get("/push?lang=en").text


def test_approving_an_empty_approval_is_refused_in_words_and_recorded_nowhere(world: World) -> None:
    steward, approval = world.login("steward"), world.ids["approval"]
    form = {"reason": "sudah diperiksa", "csrf_token": csrf_of(steward, "/push")}
    answer = steward.post(f"/push/approvals/{approval}/approve", data=form)
    assert answer.status_code == 303
    page = steward.get("/push").text
    assert (
        f"Persetujuan #{approval} tidak lagi memuat perubahan" in page and "Tutup dengan menolaknya" in page
    )
    assert "dilepas untuk dikirim" not in page
    with world.database.session() as session:
        assert session.get(PushApproval, approval).status == "waiting"  # type: ignore[union-attr]
        assert not session.scalars(select(AuditEntry).where(AuditEntry.action.like("push.%"))).all()


def test_closing_an_empty_approval_is_a_recorded_rejection_that_withdraws_nothing(world: World) -> None:
    steward, approval = world.login("steward"), world.ids["approval"]
    form = {"reason": "tidak ada yang tersisa", "csrf_token": csrf_of(steward, "/push")}
    assert steward.post(f"/push/approvals/{approval}/reject", data=form).status_code == 303
    with world.database.session() as session:
        assert session.get(PushApproval, approval).status == "rejected"  # type: ignore[union-attr]
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "push.reject")).one()
    assert entry.after == {"status": "rejected", "rows": 0, "ids": []}
    assert f"/push/approvals/{approval}/" not in steward.get("/push").text
