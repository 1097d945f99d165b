"""Why a steward's link correction stopped applying, on the case page in words (both backends).

A steward assigned Budi's recommendation to Siti; the source then changed whom the record names, so
the next run reopened the correction (DESIGN.md, "The golden dataset": a sticky decision reopens when
a source value it was based on changes, and says why). Before the fix the case page's corrections
table showed the core's English sentence ("the records it relied on changed since ... the machine's
link applies until a steward decides again") to a steward reading Bahasa Indonesia; the other two
reasons (a later identity decision overruled it; SIASN dropped the NIP it assigned) were English too.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from sbt_sync.db.models import Conflict
from sbt_sync.steward.decisions import resolve_conflict
from sbt_sync.steward.links import CorrectionRequest, correct_link, reopen_decision
from tests.console.test_link_pages import Desk, desk  # noqa: F401  (a fixture)
from tests.reconcile.test_assigned_nip_corrected import _correct_siti_nip
from tests.reconcile.test_database_property import (  # noqa: F401  (project_settings: a fixture)
    NIP_B,
    Spec,
    _write,
    project_settings,
)

pytestmark = pytest.mark.integration


def _corrections_table(page: str) -> str:
    start = page.index('id="corrections"')
    return page[start : page.index("</section>", start)]


def test_a_correction_reopened_by_a_source_change_says_why_in_words(desk: Desk) -> None:  # noqa: F811
    request = CorrectionRequest("assign_person", desk.recommendation, target_nip=NIP_B)
    correct_link(desk.database, request, reason="SK menyebut Siti", actor="steward")
    desk.reconcile(1)
    _write(desk.database, 1, Spec("recommendation", "a_named_b", 0, 0), 2)  # the source renames it
    desk.reconcile(2)
    steward = desk.login("steward")
    case = desk.case_of(desk.recommendation)

    table = _corrections_table(steward.get(f"/cases/{case}").text)
    assert "dibuka kembali" in table
    assert "relied on" not in table and "the machine" not in table, table
    assert "Rekaman yang menjadi dasar koreksi ini berubah sejak" in table, table
    english = _corrections_table(steward.get(f"/cases/{case}?lang=en").text)
    assert "The records this correction relied on changed since" in english, english


def test_a_correction_whose_nip_left_the_registry_says_why_in_words(desk: Desk) -> None:  # noqa: F811
    request = CorrectionRequest("assign_person", desk.recommendation, target_nip=NIP_B)
    correct_link(desk.database, request, reason="SK menyebut Siti", actor="steward")
    desk.reconcile(1)
    _correct_siti_nip(desk.database)  # SIASN corrects Siti's NIP: the one assigned is gone
    desk.reconcile(2)
    steward = desk.login("steward")
    case = desk.case_of(desk.recommendation)

    table = _corrections_table(steward.get(f"/cases/{case}").text)
    assert "no longer in the SIASN registry" not in table, table
    assert "tidak ada lagi di registri SIASN" in table, table
    assert NIP_B not in table  # masked, as everywhere outside the case's own record rows
    english = _corrections_table(steward.get(f"/cases/{case}?lang=en").text)
    assert "is no longer in the SIASN registry" in english, english


def test_a_correction_overruled_by_a_later_identity_decision_says_why_in_words(desk: Desk) -> None:  # noqa: F811
    _write(desk.database, 1, Spec("recommendation", "a_named_b", 0, 0), 2)  # Budi's NIP, Siti's name
    desk.reconcile(1)
    request = CorrectionRequest("assign_person", desk.recommendation, target_nip=NIP_B)
    correct_link(desk.database, request, reason="SK menyebut Siti", actor="steward")
    desk.reconcile(2)
    with desk.database.session() as session:
        conflict = session.scalars(
            select(Conflict).where(Conflict.staged_record_id == desk.recommendation)
        ).first()
        assert conflict is not None
        conflict_id = conflict.id
    reopen_decision(desk.database, conflict_id, reason="SK dibaca ulang", actor="steward")
    desk.reconcile(3)
    steward = desk.login("steward")
    case = desk.case_of(desk.recommendation)

    table = _corrections_table(steward.get(f"/cases/{case}").text)
    assert "after this correction" not in table, table
    assert "setelah koreksi ini" in table, table


def _identity_conflict(desk: Desk) -> int:  # noqa: F811
    with desk.database.session() as session:
        conflict = session.scalars(
            select(Conflict).where(Conflict.staged_record_id == desk.recommendation).order_by(Conflict.id)
        ).first()
        assert conflict is not None
        return conflict.id


def _reopened_fact(page: str) -> str:
    """The "Dibuka kembali" fact of a conflict page."""
    found = re.search(r"<dt>(?:Dibuka kembali|Reopened)</dt><dd>(.*?)</dd>", page, re.S)
    assert found, page
    return found.group(1)


def test_the_identity_conflict_of_a_record_whose_assigned_nip_left_the_registry_says_why_in_words(
    desk: Desk,  # noqa: F811
) -> None:
    request = CorrectionRequest("assign_person", desk.recommendation, target_nip=NIP_B)
    correct_link(desk.database, request, reason="SK menyebut Siti", actor="steward")
    desk.reconcile(1)
    _correct_siti_nip(desk.database)
    desk.reconcile(2)
    steward = desk.login("steward")
    conflict = _identity_conflict(desk)

    said = _reopened_fact(steward.get(f"/conflicts/{conflict}").text)
    assert "no longer in the registry" not in said and "the machine" not in said, said
    assert "tidak ada lagi di registri SIASN" in said, said
    english = _reopened_fact(steward.get(f"/conflicts/{conflict}?lang=en").text)
    assert "is no longer in the SIASN registry" in english, english


def test_an_identity_decision_whose_nip_left_the_registry_reopens_saying_why_in_words(
    desk: Desk,  # noqa: F811
) -> None:
    _write(desk.database, 1, Spec("recommendation", "a_named_b", 0, 0), 2)  # Budi's NIP, Siti's name
    desk.reconcile(1)
    conflict = _identity_conflict(desk)
    resolve_conflict(desk.database, conflict, value=NIP_B, reason="SK menyebut Siti", actor="steward")
    desk.reconcile(2)
    _correct_siti_nip(desk.database)
    desk.reconcile(3)
    steward = desk.login("steward")

    page = steward.get(f"/conflicts/{conflict}").text
    said = _reopened_fact(page)
    assert "no longer in the registry" not in said, said
    assert "tidak ada lagi di registri SIASN" in said, said


def test_an_identity_conflict_raised_again_by_its_source_says_why_in_words(desk: Desk) -> None:  # noqa: F811
    """The source fixes the name (the conflict closes by itself), then writes it wrong again: the
    conflict is raised again, saying so in words with what the machine found (before: "raised again:
    the registered holder's name scores 0.35 < 0.80")."""
    _write(desk.database, 1, Spec("recommendation", "a_named_b", 0, 0), 2)
    desk.reconcile(1)
    _write(desk.database, 1, Spec("recommendation", "a", 0, 0), 3)
    desk.reconcile(2)
    _write(desk.database, 1, Spec("recommendation", "a_named_b", 0, 0), 4)
    desk.reconcile(3)
    conflict = _identity_conflict(desk)
    steward = desk.login("steward")

    said = _reopened_fact(steward.get(f"/conflicts/{conflict}").text)
    assert "raised again" not in said and "scores" not in said, said
    assert "Muncul lagi" in said and "nama pemegang NIP terdaftar hanya cocok" in said, said
