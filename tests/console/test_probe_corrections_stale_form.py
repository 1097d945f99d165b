"""Acceptance probe: a steward's decision posted from a conflict page that is out of date is refused
(both backends). The page shows what the conflict was about when it was opened; if a reconciliation
changed that before the form came back (the source re-sent the row under another name, the sources
now disagree on other values), the decision would be recorded against data the steward never saw, and
applied: the console says the conflict changed and records nothing, and the form of the page as it is
now decides."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sbt_sync.console.app import create_app
from sbt_sync.console.users import add_user, create_token
from sbt_sync.db.engine import Database
from sbt_sync.db.models import Conflict, StagedRecord, StewardDecision
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.settings import Settings
from tests.reconcile.corrections_world import blocked_nips
from tests.reconcile.test_database_property import AS_OF, NIP_A, T0, Spec, _reset, _write

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery staple"


def _form(client: TestClient, conflict_id: int) -> dict[str, str]:
    """The hidden fields of the conflict page's decision form, as a browser would post them back."""
    html = client.get(f"/conflicts/{conflict_id}").text
    form = html[html.index(f'action="/conflicts/{conflict_id}/resolve"') :]
    form = form[: form.index("</form>")]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def test_a_decision_posted_from_a_page_the_sources_changed_since_is_refused(
    migrated_database: Database, console_settings: Settings
) -> None:
    database, settings = migrated_database, console_settings
    _reset(database)
    add_user(database, settings, username="ani", password=PASSWORD, role="steward", actor="test")
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a_named_b", 0, 0), 1)  # Budi's NIP, Siti's name
    reconcile_database(database, settings, as_of=AS_OF, now=T0)
    with database.session() as session:
        conflict = session.scalars(select(Conflict).where(Conflict.kind == "name_mismatch")).one()
        recommendation = conflict.staged_record_id
    assert blocked_nips(database, settings) == set()  # held while the name disputes the NIP

    client = TestClient(create_app(settings, database), follow_redirects=False)
    login = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert login is not None
    client.post("/login", data={"username": "ani", "password": PASSWORD, "csrf_token": login.group(1)})
    seen = _form(client, conflict.id)  # the steward reads the page: Siti's name under Budi's NIP
    assert "csrf_token" in seen and "basis" in seen

    # Meanwhile BKN re-sends the recommendation under a third name; the next cycle reconciles it and
    # the conflict, still open, is now about "Joko Prasetyo".
    with database.session() as session:
        row = session.get(StagedRecord, recommendation)
        assert row is not None
        row.name, row.content_hash, row.needs_reconcile = "Joko Prasetyo", "changed", True
    reconcile_database(database, settings, as_of=AS_OF, now=T0 + timedelta(minutes=1))

    decision = {"value": NIP_A, "reason": "the name is a typo, the NIP is Budi's"}
    stale = client.post(f"/conflicts/{conflict.id}/resolve", data={**seen, **decision})
    assert stale.status_code == 303 and stale.headers["location"] == f"/conflicts/{conflict.id}"
    page = client.get(f"/conflicts/{conflict.id}").text
    assert f"Konflik #{conflict.id} berubah selagi Anda memutuskan" in page
    # A script on the API that read the conflict before the change is refused the same way.
    token, _ = create_token(database, "ani", name="script", days=1, actor="test")
    api = client.post(
        f"/api/v1/conflicts/{conflict.id}/resolve",
        json={**decision, "basis": seen["basis"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 422 and "changed since it was shown" in api.text
    with database.session() as session:
        assert session.scalars(select(StewardDecision)).all() == []
    reconcile_database(database, settings, as_of=AS_OF, now=T0 + timedelta(minutes=2))
    assert blocked_nips(database, settings) == set()  # before the fix: Budi blocked on a name nobody read

    fresh = _form(client, conflict.id)
    current = client.post(f"/conflicts/{conflict.id}/resolve", data={**fresh, **decision})
    assert current.status_code == 303 and current.headers["location"] == "/conflicts"
    reconcile_database(database, settings, as_of=AS_OF, now=T0 + timedelta(minutes=3))
    assert blocked_nips(database, settings) == {NIP_A}  # decided on what the page showed: it applies
