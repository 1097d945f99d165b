"""Scripts confirm only the link-correction consequence they read (both backends). Through the API a
correction, an undo or a reopening is previewed (its cases and block flags, and a fingerprint) and
confirmed with that fingerprint; when a reconciliation changed the consequence since (BKN re-sent the
recommendation as not proven), the confirmation is refused with the consequence as it is now and its
fingerprint, and nothing is recorded; a confirmation without a fingerprint is refused too. Before: the
API recorded whatever the consequence had become, with no preview needed at all."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sbt_sync.console.app import create_app
from sbt_sync.console.users import add_user, create_token
from sbt_sync.db.engine import Database
from sbt_sync.db.models import Conflict, LinkCorrection, StagedRecord, StewardDecision
from sbt_sync.settings import Settings
from sbt_sync.steward.decisions import resolve_conflict
from sbt_sync.steward.links import CorrectionRequest, correct_link, list_corrections
from tests.reconcile.corrections_world import blocked_nips, run_at
from tests.reconcile.test_database_property import NIP_A, NIP_B, Spec, _reset, _write

pytestmark = pytest.mark.integration

NOT_PROVEN = Spec("recommendation", "a", 0, 0, "tidak_terbukti")


def _api(database: Database, settings: Settings) -> tuple[TestClient, dict[str, str]]:
    add_user(database, settings, username="ani", password="correct horse battery", role="steward", actor="t")
    token, _ = create_token(database, "ani", name="script", days=1, actor="test")
    return TestClient(create_app(settings, database)), {"Authorization": f"Bearer {token}"}


def _budi_blocked(database: Database, settings: Settings) -> int:
    """Budi's finding and overdue recommendation (Budi blocked), Siti's finding; the recommendation."""
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a", 0, 0), 1)
    _write(database, 2, Spec("finding", "b", 1, 1), 1)
    run_at(database, settings, 0)
    assert blocked_nips(database, settings) == {NIP_A}
    with database.session() as session:
        return session.scalars(select(StagedRecord.id).where(StagedRecord.record_key == "bkn_wasdal-1")).one()


def _stale(response: Any, seen: str) -> dict[str, Any]:
    """The refusal of a stale confirmation: its consequence now, with a new fingerprint."""
    assert response.status_code == 422, response.text
    detail: dict[str, Any] = response.json()["detail"]
    assert detail["code"] == "consequence_changed" and "nothing was recorded" in detail["message"]
    assert detail["consequence"]["fingerprint"] not in ("", seen)
    now: dict[str, Any] = detail["consequence"]
    return now


def test_an_api_correction_is_recorded_only_on_the_consequence_its_preview_showed(
    migrated_database: Database, console_settings: Settings
) -> None:
    database, settings = migrated_database, console_settings
    recommendation = _budi_blocked(database, settings)
    client, headers = _api(database, settings)
    change = {"kind": "assign_person", "record": recommendation, "target_nip": NIP_B}
    shown = client.post("/api/v1/links/preview", json=change, headers=headers).json()
    assert {(f["blocked_before"], f["blocked_after"]) for f in shown["flag_changes"]} == {
        (True, False),
        (False, True),
    }  # Budi unblocked, Siti blocked
    decision = {**change, "reason": "the letter names Siti"}
    blind = client.post("/api/v1/links", json=decision, headers=headers)
    assert blind.status_code == 422 and "fingerprint" in blind.text

    _write(database, 1, NOT_PROVEN, 2)  # meanwhile: assigning it now blocks nobody
    run_at(database, settings, 1)
    stale = client.post(
        "/api/v1/links", json={**decision, "fingerprint": shown["fingerprint"]}, headers=headers
    )
    now = _stale(stale, shown["fingerprint"])
    assert now["flag_changes"] == []
    with database.session() as session:
        assert session.scalars(select(LinkCorrection)).all() == []

    fresh = client.post(
        "/api/v1/links", json={**decision, "fingerprint": now["fingerprint"]}, headers=headers
    )
    assert fresh.status_code == 200, fresh.text
    assert [c["id"] for c in list_corrections(database)] == [fresh.json()["correction_id"]]


def test_an_api_undo_is_recorded_only_on_the_consequence_its_preview_showed(
    migrated_database: Database, console_settings: Settings
) -> None:
    database, settings = migrated_database, console_settings
    recommendation = _budi_blocked(database, settings)
    correction = correct_link(
        database, CorrectionRequest("assign_person", recommendation, target_nip=NIP_B), reason="x", actor="a"
    )
    run_at(database, settings, 1)
    assert blocked_nips(database, settings) == {NIP_B}
    client, headers = _api(database, settings)
    url = f"/api/v1/links/{correction}/undo"
    shown = client.get(url, headers=headers).json()
    assert len(shown["flag_changes"]) == 2  # undoing blocks Budi again and unblocks Siti
    blind = client.post(url, json={"reason": "wrong person"}, headers=headers)
    assert blind.status_code == 422

    _write(database, 1, NOT_PROVEN, 2)
    run_at(database, settings, 2)
    stale = client.post(
        url, json={"reason": "wrong person", "fingerprint": shown["fingerprint"]}, headers=headers
    )
    now = _stale(stale, shown["fingerprint"])
    [listed] = list_corrections(database)
    assert listed["status"] == "active"
    fresh = client.post(
        url, json={"reason": "wrong person", "fingerprint": now["fingerprint"]}, headers=headers
    )
    assert fresh.status_code == 200, fresh.text
    [listed] = list_corrections(database)
    assert listed["status"] == "revoked"


def test_an_api_reopening_is_recorded_only_on_the_consequence_its_preview_showed(
    migrated_database: Database, console_settings: Settings
) -> None:
    database, settings = migrated_database, console_settings
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a_named_b", 0, 0), 1)  # Budi's NIP, Siti's name
    run_at(database, settings, 0)
    with database.session() as session:
        conflict = session.scalars(select(Conflict).where(Conflict.kind == "name_mismatch")).one()
    resolve_conflict(database, conflict.id, value=NIP_A, reason="typo in the name", actor="a")
    run_at(database, settings, 1)
    assert blocked_nips(database, settings) == {NIP_A}
    client, headers = _api(database, settings)
    url = f"/api/v1/conflicts/{conflict.id}/reopen"
    shown = client.get(url, headers=headers).json()
    assert [f["blocked_after"] for f in shown["flag_changes"]] == [False]  # reopened: Budi held again

    _write(database, 1, Spec("recommendation", "a_named_b", 0, 0, "tidak_terbukti"), 2)  # same names
    run_at(database, settings, 2)
    assert blocked_nips(database, settings) == set()
    reason = {"reason": "the KTP shows another person"}
    stale = client.post(url, json={**reason, "fingerprint": shown["fingerprint"]}, headers=headers)
    now = _stale(stale, shown["fingerprint"])
    assert now["flag_changes"] == []
    with database.session() as session:
        assert len(session.scalars(select(StewardDecision)).all()) == 1  # only the first decision
    fresh = client.post(url, json={**reason, "fingerprint": now["fingerprint"]}, headers=headers)
    assert fresh.status_code == 200, fresh.text
    with database.session() as session:
        reopened = session.get(Conflict, conflict.id)
        assert reopened is not None and reopened.status == "open"
