"""Acceptance probe: a link correction confirmed from a preview that no longer holds is refused (both
backends), and so is an undo (or a reopening) confirmed from a stale preview. The preview page shows
what the step would change (cases, block flags); if a reconciliation changed that consequence before
the steward confirmed (the source re-sent the record as not proven), the step would be recorded on a
consequence nobody saw: the console says the consequence changed, records nothing and shows the preview
again; confirming that one records it."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sbt_sync.console.app import create_app
from sbt_sync.console.users import add_user
from sbt_sync.db.engine import Database
from sbt_sync.db.models import CaseLink, LinkCorrection, StagedRecord
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.settings import Settings
from sbt_sync.steward.links import CorrectionRequest, correct_link, list_corrections
from tests.reconcile.test_database_property import AS_OF, NIP_B, T0, Spec, _reset, _write

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery staple"


def _hidden(html: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posting to ``action``, as a browser posts them back."""
    form = html[html.index(f'action="{action}"') :]
    form = form[: form.index("</form>")]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def test_confirming_a_correction_whose_consequence_changed_since_its_preview_is_refused(
    migrated_database: Database, console_settings: Settings
) -> None:
    database, settings = migrated_database, console_settings
    _reset(database)
    add_user(database, settings, username="ani", password=PASSWORD, role="steward", actor="test")
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a", 0, 0), 1)  # proven, overdue: Budi is blocked
    _write(database, 2, Spec("finding", "b", 1, 1), 1)
    reconcile_database(database, settings, as_of=AS_OF, now=T0)
    with database.session() as session:
        recommendation = session.scalars(
            select(StagedRecord.id).where(StagedRecord.record_key == "bkn_wasdal-1")
        ).one()
        case_id = session.scalar(select(CaseLink.case_id).where(CaseLink.staged_record_id == recommendation))

    client = TestClient(create_app(settings, database), follow_redirects=False)
    login = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert login is not None
    client.post("/login", data={"username": "ani", "password": PASSWORD, "csrf_token": login.group(1)})
    # The steward chooses Siti on the assign page (posted: her NIP never in a URL) and reads the preview.
    chooser = f"/cases/{case_id}/correct?{urlencode({'kind': 'assign_person', 'record': recommendation})}"
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(chooser).text)
    assert token is not None
    choice = {
        "kind": "assign_person",
        "record": recommendation,
        "target_nip": NIP_B,
        "csrf_token": token.group(1),
    }
    preview = client.post(f"/cases/{case_id}/correct/preview", data=choice).headers["location"]
    shown = client.get(preview).text
    assert "**************2002" in shown  # Siti would be blocked, Budi unblocked
    seen = _hidden(shown, f"/cases/{case_id}/correct")

    # Meanwhile BKN re-sends the recommendation as not proven: assigning it now blocks nobody.
    _write(database, 1, Spec("recommendation", "a", 0, 0, "tidak_terbukti"), 2)
    reconcile_database(database, settings, as_of=AS_OF, now=T0 + timedelta(minutes=1))

    stale = client.post(f"/cases/{case_id}/correct", data={**seen, "reason": "the letter names Siti"})
    assert stale.status_code == 303 and "/correct/preview?" in stale.headers["location"]
    again = client.get(stale.headers["location"]).text
    assert "Akibat koreksi berubah sejak pratinjau" in again
    with database.session() as session:
        assert session.scalars(select(LinkCorrection)).all() == []

    fresh = _hidden(again, f"/cases/{case_id}/correct")
    done = client.post(f"/cases/{case_id}/correct", data={**fresh, "reason": "the letter names Siti"})
    assert done.status_code == 303 and done.headers["location"] == f"/cases/{case_id}#corrections"
    with database.session() as session:
        assert len(session.scalars(select(LinkCorrection)).all()) == 1


def test_undoing_a_correction_whose_consequence_changed_since_its_preview_is_refused(
    migrated_database: Database, console_settings: Settings
) -> None:
    database, settings = migrated_database, console_settings
    _reset(database)
    add_user(database, settings, username="ani", password=PASSWORD, role="steward", actor="test")
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a", 0, 0), 1)
    _write(database, 2, Spec("finding", "b", 1, 1), 1)
    reconcile_database(database, settings, as_of=AS_OF, now=T0)
    with database.session() as session:
        recommendation = session.scalars(
            select(StagedRecord.id).where(StagedRecord.record_key == "bkn_wasdal-1")
        ).one()
    correction = correct_link(
        database, CorrectionRequest("assign_person", recommendation, target_nip=NIP_B), reason="x", actor="a"
    )
    reconcile_database(database, settings, as_of=AS_OF, now=T0 + timedelta(minutes=1))
    with database.session() as session:
        case_id = session.scalar(select(CaseLink.case_id).where(CaseLink.staged_record_id == recommendation))

    client = TestClient(create_app(settings, database), follow_redirects=False)
    login = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert login is not None
    client.post("/login", data={"username": "ani", "password": PASSWORD, "csrf_token": login.group(1)})
    action = f"/cases/{case_id}/corrections/{correction}/undo"
    seen = _hidden(client.get(action).text, action)  # undoing would block Budi again, unblock Siti

    _write(database, 1, Spec("recommendation", "a", 0, 0, "tidak_terbukti"), 2)  # now it blocks nobody
    reconcile_database(database, settings, as_of=AS_OF, now=T0 + timedelta(minutes=2))

    stale = client.post(action, data={**seen, "reason": "wrong person"})
    assert stale.status_code == 303 and stale.headers["location"] == action
    assert "Akibat koreksi berubah sejak pratinjau" in client.get(action).text
    [listed] = list_corrections(database)
    assert listed["status"] == "active"
    fresh = _hidden(client.get(action).text, action)
    assert client.post(action, data={**fresh, "reason": "wrong person"}).status_code == 303
    [listed] = list_corrections(database)
    assert listed["status"] == "revoked"
