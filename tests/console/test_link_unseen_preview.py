"""A correction, an undo or a reopening confirmed in the console without the fingerprint of the preview
it comes from is refused in words, and the preview is shown again (both backends).

The confirm forms carry the preview's fingerprint (``shown``). A steward's stale tab, or anyone posting
the form by hand, may leave it out: the console then skipped its own check and recorded the step on a
consequence nobody had read, where the service (:mod:`sbt_sync.steward.link_confirm`, which the API and
the CLI use) refuses. Now the console uses that one service check: nothing is recorded, the preview as
it is now is shown with a refusal in Indonesian (English when asked), and confirming from that page
records the step.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sbt_sync.console.users import add_user
from sbt_sync.db.engine import Database
from sbt_sync.db.models import Conflict, LinkCorrection
from sbt_sync.settings import Settings
from sbt_sync.steward.decisions import resolve_conflict
from sbt_sync.steward.links import CorrectionRequest, correct_link
from tests.console.conftest import PASSWORD, csrf_of
from tests.console.test_link_pages import REASON, Desk, desk  # noqa: F401  (a fixture)
from tests.reconcile.test_database_property import (
    NIP_A,
    NIP_B,
    Spec,
    _reset,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)

UNSEEN_ID = "Tidak ada yang dicatat: langkah ini hanya disimpan dari pratinjau akibatnya"
UNSEEN_EN = "Nothing was recorded: this step is recorded only from the preview of its consequence"
HOSTILE: tuple[dict[str, str], ...] = ({}, {"shown": ""}, {"shown": "   "})
"""What a form posted without the preview carries: no fingerprint, an empty one, blanks."""

pytestmark = pytest.mark.integration


def _hidden(html: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posting to ``action``, as a browser posts them back."""
    form = html[html.index(f'action="{action}"') :]
    form = form[: form.index("</form>")]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def _refused_then_shown(client: TestClient, action: str, form: dict[str, str]) -> tuple[str, str]:
    """Post ``form`` to ``action``: refused, back to a preview; that preview's page in Indonesian and
    in English."""
    answer = client.post(action, data=form)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert "#corrections" not in location and location.startswith(action.split("/correct")[0]), location
    page = client.get(location)
    english = client.post(f"{action}?lang=en", data=form)  # the refusal is worded when it is made
    joined = "&" if "?" in english.headers["location"] else "?"
    return page.text, client.get(english.headers["location"] + joined + "lang=en").text


def test_a_correction_posted_without_its_previews_fingerprint_is_refused_and_previewed_again(
    desk: Desk,  # noqa: F811
) -> None:
    steward = desk.login("steward")
    case = desk.case_of(desk.recommendation)
    action = f"/cases/{case}/correct"
    token = csrf_of(steward, f"/cases/{case}")
    form = {"kind": "assign_person", "record": str(desk.recommendation), "target_nip": NIP_B,
            "reason": REASON, "csrf_token": token}  # fmt: skip
    before = desk.stored()
    for hostile in HOSTILE:
        page, english = _refused_then_shown(steward, action, {**form, **hostile})
        assert UNSEEN_ID in page and UNSEEN_EN in english
        # the preview as it is now, with the fingerprint its form confirms
        assert "akan diblokir" in page and "akan dibuka blokirnya" in page
        assert _hidden(page, action)["shown"]
        assert desk.stored() == before, hostile

    fresh = _hidden(page, action)
    done = steward.post(action, data={**fresh, "reason": REASON})
    assert done.status_code == 303 and done.headers["location"] == f"/cases/{case}#corrections"
    with desk.database.session() as session:
        assert [c.target_nip for c in session.scalars(select(LinkCorrection))] == [NIP_B]


def test_an_undo_posted_without_its_previews_fingerprint_is_refused_and_previewed_again(
    desk: Desk,  # noqa: F811
) -> None:
    correction = correct_link(
        desk.database, CorrectionRequest("assign_person", desk.recommendation, target_nip=NIP_B),
        reason=REASON, actor="steward",
    )  # fmt: skip
    desk.reconcile(1)
    steward = desk.login("steward")
    case = desk.case_of(desk.finding_a)
    action = f"/cases/{case}/corrections/{correction}/undo"
    token = csrf_of(steward, action)
    for hostile in HOSTILE:
        page, english = _refused_then_shown(steward, action, {"reason": "salah pilih", "csrf_token": token,
                                                              **hostile})  # fmt: skip
        assert UNSEEN_ID in page and UNSEEN_EN in english
        assert "Pratinjau pembatalan koreksi" in page and _hidden(page, action)["shown"]
        with desk.database.session() as session:
            assert session.get(LinkCorrection, correction).status == "active"  # type: ignore[union-attr]
    fresh = _hidden(page, action)
    assert steward.post(action, data={**fresh, "reason": "salah pilih"}).status_code == 303
    with desk.database.session() as session:
        assert session.get(LinkCorrection, correction).status == "revoked"  # type: ignore[union-attr]


def test_a_reopening_posted_without_its_previews_fingerprint_is_refused_and_previewed_again(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    _reset(migrated_database)
    _write(migrated_database, 0, Spec("finding", "a", 0, 0), 1)
    _write(migrated_database, 1, Spec("recommendation", "a_named_b", 0, 0), 1)  # Budi's NIP, Siti's name
    add_user(migrated_database, project_settings, username="steward", password=PASSWORD, role="steward",
             actor="test")  # fmt: skip
    scene = Desk(project_settings, migrated_database, 0, 0, 0)
    scene.reconcile(0)
    with scene.database.session() as session:
        conflict = session.scalars(select(Conflict.id).where(Conflict.kind == "name_mismatch")).one()
    resolve_conflict(scene.database, conflict, value=NIP_A, reason="nama salah ketik", actor="ani")
    steward = scene.login("steward")
    action = f"/conflicts/{conflict}/reopen"
    token = csrf_of(steward, action)
    for hostile in HOSTILE:
        page, english = _refused_then_shown(steward, action, {"reason": "SK menyebut orang lain",
                                                              "csrf_token": token, **hostile})  # fmt: skip
        assert UNSEEN_ID in page and UNSEEN_EN in english
        assert f"Pratinjau membuka kembali konflik #{conflict}" in page and _hidden(page, action)["shown"]
        with scene.database.session() as session:
            assert session.get(Conflict, conflict).status == "resolved"  # type: ignore[union-attr]
    fresh = _hidden(page, action)
    assert steward.post(action, data={**fresh, "reason": "SK menyebut orang lain"}).status_code == 303
    with scene.database.session() as session:
        assert session.get(Conflict, conflict).status == "open"  # type: ignore[union-attr]
