"""The audit log says in words what a steward's link correction did (both backends).

Before the fix an assignment ("Tetapkan ASN") showed on the audit page as the code
``link.assign_person``: its words were filed under ``link.assign``, an action nothing records, and
said "assigned to a case" where the steward said which ASN the record names.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from sbt_sync.db.models import AuditEntry
from sbt_sync.steward.links import CorrectionRequest, correct_link, undo_correction
from schemas.nip import mask_nip
from tests.console.test_link_pages import Desk, desk  # noqa: F401  (a fixture)
from tests.reconcile.test_database_property import (  # noqa: F401  (project_settings: a fixture)
    NIP_A,
    NIP_B,
    project_settings,
)

pytestmark = pytest.mark.integration


def test_every_link_correction_shows_in_words_on_the_audit_page(desk: Desk) -> None:  # noqa: F811
    requests = [
        CorrectionRequest("assign_person", desk.recommendation, target_nip=NIP_B),
        CorrectionRequest("split", desk.finding_a),
        CorrectionRequest("merge", desk.finding_b, desk.finding_a),
    ]
    for request in requests:
        correction = correct_link(desk.database, request, reason="uji", actor="steward")
        undo_correction(desk.database, correction, reason="uji", actor="steward")
    correct_link(
        desk.database,
        CorrectionRequest("move_record", desk.recommendation, desk.finding_b),
        reason="uji",
        actor="steward",
    )
    auditor = desk.login("auditor")
    page = auditor.get("/audit").text
    # Each action in words, its code beside it (small): never the code alone.
    assert "<td>link.assign_person" not in page and "<td>Tautan:" in page
    for words in (
        "Tautan: rekaman ditetapkan ke ASN",
        "Tautan: rekaman dipisahkan",
        "Tautan: kasus digabungkan",
        "Tautan: rekaman dipindahkan",
        "Tautan: koreksi dibatalkan",
    ):
        assert words in page, words
    assert "Link: record assigned to an ASN" in auditor.get("/audit?lang=en").text
    # What each entry changed, in words too: the kind and status of the correction, its fields.
    for code in ("<b>kind</b>", "<b>target_record</b>", "<b>target_nip</b>", "<ins>move_record</ins>",
                 "<ins>active</ins>", "<ins>revoked</ins>"):  # fmt: skip
        assert code not in page, code
    said = ("<b>Jenis</b>", "<ins>pindah ke kasus lain</ins>", "<ins>dibatalkan</ins>", "<ins>aktif</ins>")
    for words in said:
        assert words in page, words


def test_a_link_corrections_audit_entry_masks_the_nip_of_the_case_it_moved_a_record_from(
    desk: Desk,  # noqa: F811
) -> None:
    """The audit log masks every NIP a correction names (its ``after`` always did); before the fix its
    ``before`` held the case key with the ASN's full NIP, on the audit page and in the table."""
    request = CorrectionRequest("assign_person", desk.recommendation, target_nip=NIP_B)
    correct_link(desk.database, request, reason="uji", actor="steward")
    with desk.database.session() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "link.assign_person")).one()
        assert NIP_A not in json.dumps(entry.before) and NIP_B not in json.dumps(entry.after)
        assert entry.before is not None and mask_nip(NIP_A) in str(entry.before["case"])
    page = desk.login("auditor").get("/audit").text
    assert NIP_A not in page and NIP_B not in page
