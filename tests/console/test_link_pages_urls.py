"""The link-correction pages never put a name, a NIP or a birth date in a URL (both backends).

A URL lands in the browser's history and in the access log of the reverse proxy in front of the
console, and DESIGN.md keeps NIPs, names and birth dates out of logs. The correction pages searched the
registry with ``/cases/{id}/correct?q_name=...&q_nip=...&q_birth=...``, searched cases by NIP or case key
with ``?q=...``, and went to the preview with ``?target_nip=<NIP>``; a refused confirmation sent the
browser back to that preview URL. Now the searches and the choice of a person post (CSRF-protected), the
terms and the NIP stay on the server under a search id bound to the session
(:mod:`sbt_sync.console.searches`), and the URLs carry only that id and record ids. Reload and "back"
still show the same page, every read of personal data is still recorded, and a page whose id the
console no longer knows says so instead of showing another search.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sbt_sync.db.models import LinkCorrection, PersonalDataAccess, PersonalDataAccessNip
from sbt_sync.pdp.access import access_key, nip_hash
from tests.console.conftest import csrf_of
from tests.console.test_link_pages import REASON, Desk, desk  # noqa: F401  (a fixture)
from tests.reconcile.test_database_property import (
    NIP_B,
    REGS,
    Spec,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)

pytestmark = pytest.mark.integration

DIGITS = re.compile(r"\d{8,}")
"""A NIP, a birth date written as digits, or any part of one long enough to name someone."""
BIRTH_B = "1990-02-02"
"""Siti's birth date (NIP B begins with it)."""


def _clean(url: str, *terms: str) -> str:
    """``url`` after checking that it carries none of ``terms`` and no run of digits a NIP could be."""
    assert not DIGITS.search(re.sub(r"[?&]s=[A-Za-z0-9_-]+", "", url)), url
    for term in filter(None, terms):
        assert term not in url and term.replace(" ", "+") not in url, (term, url)
    return url


def _post(client: TestClient, action: str, form: dict[str, str], *, page: str) -> str:
    """Post ``form`` with the CSRF token of ``page``; where the console sends the browser."""
    answer = client.post(action, data={**form, "csrf_token": csrf_of(client, page)})
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def _reads_of(at: Desk, after: int, nip: str) -> int:
    """Reads recorded since access ``after`` that name ``nip``."""
    with at.database.session() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(PersonalDataAccessNip)
                .join(PersonalDataAccess, PersonalDataAccess.id == PersonalDataAccessNip.access_id)
                .where(
                    PersonalDataAccess.id > after,
                    PersonalDataAccessNip.nip_hash == nip_hash(access_key(at.settings), nip),
                )
            )
            or 0
        )


def _last_read(at: Desk) -> int:
    with at.database.session() as session:
        return session.scalar(select(func.max(PersonalDataAccess.id))) or 0


def test_a_steward_assigns_an_asn_with_no_name_nip_or_birth_date_in_any_url(desk: Desk) -> None:  # noqa: F811
    steward = desk.login("steward")
    case = desk.case_of(desk.recommendation)
    chooser = f"/cases/{case}/correct?kind=assign_person&record={desk.recommendation}"
    page = steward.get(chooser).text
    assert 'method="get"' not in page  # no form here sends what it holds through a URL

    # The registry search posts; the results' URL carries a search id only.
    terms = {"q_name": "Siti Aminah", "q_nip": NIP_B[:8], "q_birth": BIRTH_B, "q_instansi": ""}
    form = {"kind": "assign_person", "record": str(desk.recommendation), **terms}
    found_at = _clean(_post(steward, f"/cases/{case}/correct/search", form, page=chooser), *terms.values())
    assert "s=" in found_at
    before = _last_read(desk)
    found = steward.get(found_at)
    assert found.status_code == 200 and f'value="{NIP_B}"' in found.text
    assert 'value="Siti Aminah"' in found.text and f'value="{BIRTH_B}"' in found.text  # the form keeps them
    assert _reads_of(desk, before, NIP_B) >= 1  # the hits shown are recorded as read
    assert steward.get(found_at).text.count(f'value="{NIP_B}"') == found.text.count(f'value="{NIP_B}"')

    # Terms in a URL (an old bookmark, a hand-made link) are not searched.
    typed = steward.get(f"{chooser}&q_name=Siti+Aminah")
    assert typed.status_code == 200 and f'value="{NIP_B}"' not in typed.text

    # Choosing Siti posts her NIP; the preview's URL carries a search id and record ids only.
    choice = {"kind": "assign_person", "record": str(desk.recommendation), "target_nip": NIP_B}
    preview_at = _clean(_post(steward, f"/cases/{case}/correct/preview", choice, page=found_at), NIP_B)
    before = _last_read(desk)
    preview = steward.get(preview_at)
    assert preview.status_code == 200 and "akan diblokir" in preview.text
    assert _reads_of(desk, before, NIP_B) == 1  # the preview names Siti (masked): recorded as read
    assert steward.get(preview_at).text.count("akan diblokir") == preview.text.count("akan diblokir")

    # A stale confirmation goes back to the preview, again by id.
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', preview.text))
    assert hidden["target_nip"] == NIP_B  # in the form's body, not in a URL
    _write(desk.database, 1, Spec("recommendation", "a", 0, 0, "tidak_terbukti"), 2)
    desk.reconcile(1)
    stale = steward.post(f"/cases/{case}/correct", data={**hidden, "reason": REASON})
    assert stale.status_code == 303
    again = steward.get(_clean(stale.headers["location"], NIP_B))
    assert again.status_code == 200 and "Akibat koreksi berubah sejak pratinjau" in again.text
    with desk.database.session() as session:
        assert session.scalars(select(LinkCorrection)).all() == []

    # Another session cannot use the ids: the search is this browser's.
    other = desk.login("steward")
    assert f'value="{NIP_B}"' not in other.get(found_at).text
    assert other.get(preview_at).status_code == 303


def test_a_steward_moves_a_record_to_a_case_searched_by_register_without_it_in_the_url(
    desk: Desk,  # noqa: F811
) -> None:
    steward = desk.login("steward")
    case, target = desk.case_of(desk.recommendation), desk.case_of(desk.finding_b)
    chooser = f"/cases/{case}/correct?kind=move_record&record={desk.recommendation}"
    form = {"kind": "move_record", "record": str(desk.recommendation), "q": REGS[1]}
    found_at = _clean(_post(steward, f"/cases/{case}/correct/search", form, page=chooser), REGS[1])
    found = steward.get(found_at)
    assert f'name="target_case" value="{target}"' in found.text and f'value="{REGS[1]}"' in found.text
    choice = {"kind": "move_record", "record": str(desk.recommendation), "target_case": str(target)}
    preview_at = _post(steward, f"/cases/{case}/correct/preview", choice, page=found_at)
    preview = steward.get(preview_at)
    assert preview.status_code == 200 and "akan dibuka blokirnya" in preview.text
    # An empty search shows the empty form again.
    empty = {"kind": "move_record", "record": str(desk.recommendation), "q": "  "}
    assert _post(steward, f"/cases/{case}/correct/search", empty, page=chooser) == f"{chooser}#search"
