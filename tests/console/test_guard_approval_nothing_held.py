"""A guard approval whose changes are all gone (a later run overtook them, or SIASN already held them)
has nothing to approve: the push monitor says so in words instead of offering approve and reject, and
a decision posted anyway is refused in words and recorded nowhere (no audit entry, no status change).

The console world's approval (:mod:`tests.console.conftest`) holds no outbox row: it is such a one.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sbt_sync.db.models import AuditEntry, PushApproval
from tests.console.conftest import World, csrf_of


def test_the_push_monitor_says_an_empty_approval_has_nothing_to_approve(world: World) -> None:
    steward, approval = world.login("steward"), world.ids["approval"]
    page = steward.get("/push").text
    assert "Tidak ada lagi perubahan yang menunggu persetujuan ini" in page
    assert f'action="/push/approvals/{approval}/approve"' not in page
    assert "no change waiting for approval any more" in steward.get("/push?lang=en").text


@pytest.mark.parametrize("verb", ["approve", "reject"])
def test_deciding_an_empty_approval_is_refused_in_words_and_recorded_nowhere(world: World, verb: str) -> None:
    steward, approval = world.login("steward"), world.ids["approval"]
    form = {"reason": "sudah diperiksa", "csrf_token": csrf_of(steward, "/push")}
    answer = steward.post(f"/push/approvals/{approval}/{verb}", data=form)
    assert answer.status_code == 303
    page = steward.get("/push").text
    assert f"Persetujuan #{approval} tidak lagi memuat perubahan" in page and "tidak ada yang" in page
    assert "dilepas untuk dikirim" not in page and "ditarik." not in page
    with world.database.session() as session:
        assert session.get(PushApproval, approval).status == "waiting"  # type: ignore[union-attr]
        assert not session.scalars(select(AuditEntry).where(AuditEntry.action.like("push.%"))).all()
