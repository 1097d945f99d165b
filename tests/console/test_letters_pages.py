"""The console's letters pages (issue 18, item 7): letters per PPK with their mail state and filters, a
letter with its cases (NIPs masked) and its PDF as stored, a steward's release of a held letter and
retry of a parked one through the CLI's service functions (audited as the console user); the case
timeline's letters. BKN's roles only: an auditor reads but cannot act, an agency viewer gets 403 and
no menu link."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sbt_sync.console.i18n import MESSAGES
from sbt_sync.console.labels_problems import mail_note
from sbt_sync.db.models import AuditEntry
from sbt_sync.db.models.letters import LetterStep, MailState, NotificationOutboxEntry
from sbt_sync.notify import queue
from sbt_sync.notify.queue import NO_PIC
from sbt_sync.reports.compliance_render import TABLES
from tests.console.conftest import NIP_A, World, csrf_of
from tests.console.letters_world import (
    PIC,
    SKIPPED,
    add_pic_address,
    pdf_bytes,
    skip_step,
    write_letter,
)


@pytest.fixture
def letters(world: World) -> dict[str, int]:
    """Letter 1 (peringatan to A1, held for review), letter 2 (teguran to B2, which has no PIC: parked);
    case A's early warning of 5 Oct got no letter."""
    add_pic_address(world.database)
    held, held_row = write_letter(world.database, world.ids["case_a"], seq=1)
    parked, parked_row = write_letter(
        world.database, world.ids["case_a"], seq=2, step="teguran", instansi_id="B2", day=date(2026, 10, 19)
    )
    skip_step(world.database, world.ids["case_a"], step="peringatan_dini", day=date(2026, 10, 5))
    return {"held": held, "held_row": held_row, "parked": parked, "parked_row": parked_row}


def _post(client: TestClient, letter_id: int, action: str, reason: str) -> int:
    form = {"reason": reason, "csrf_token": csrf_of(client, f"/letters/{letter_id}")}
    status: int = client.post(f"/letters/{letter_id}/{action}", data=form).status_code
    return status


def _state(world: World, row_id: int) -> str:
    with world.database.session() as session:
        row = session.get(NotificationOutboxEntry, row_id)
        assert row is not None
        return row.state


def test_the_letters_page_lists_letters_per_ppk_with_mail_state_and_filters(
    world: World, letters: dict[str, int]
) -> None:
    steward = world.login("steward")
    page = steward.get("/letters")
    assert page.status_code == 200 and 'href="/letters"' in page.text
    assert "0001/B-AK.02.02/SD/F/2026" in page.text and "0002/B-AK.02.02/SD/F/2026" in page.text
    assert "ditahan untuk ditinjau" in page.text and PIC in page.text
    # The parked letter says in words that it waits for a PIC address (not the machine's English).
    assert "menunggu alamat PIC instansi" in page.text and NO_PIC.format(instansi="B2") not in page.text
    only_held = steward.get("/letters?state=held").text
    assert "0001/B-AK" in only_held and "0002/B-AK" not in only_held
    assert "0002/B-AK" in steward.get("/letters?step=teguran&instansi=b2").text
    assert "0001/B-AK" not in steward.get("/letters?day=2026-10-19").text
    assert "0001/B-AK" in steward.get("/letters?day=2026-10-12&lang=en").text
    for bad in ("state=nope", "step=pemblokiran", "day=12-10-2026"):
        assert steward.get(f"/letters?{bad}").status_code == 400, bad


def test_a_letter_page_shows_its_cases_masked_and_its_pdf_as_stored(
    world: World, letters: dict[str, int]
) -> None:
    auditor = world.login("auditor")
    page = auditor.get(f"/letters/{letters['held']}")
    assert page.status_code == 200
    assert f'href="/cases/{world.ids["case_a"]}" class="case-label">Pilkada' in page.text  # by its label
    assert NIP_A not in page.text and NIP_A[-4:] in page.text
    sha = hashlib.sha256(pdf_bytes(1)).hexdigest()
    assert sha in page.text
    assert 'action="/letters/' not in page.text  # an auditor reads, cannot release
    pdf = auditor.get(f"/letters/{letters['held']}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content == pdf_bytes(1) and pdf.headers["x-content-sha256"] == sha
    assert auditor.get("/letters/999999").status_code == 404
    assert auditor.get("/letters/999999/pdf").status_code == 404
    assert _post(auditor, letters["held"], "release", "looks right") == 403


def test_a_steward_releases_a_held_letter_and_the_audit_log_names_them(
    world: World, letters: dict[str, int]
) -> None:
    steward = world.login("steward")
    page = steward.get(f"/letters/{letters['held']}").text
    assert f'action="/letters/{letters["held"]}/release"' in page
    assert _post(steward, letters["held"], "release", " ") == 303  # no reason: refused, said
    assert _state(world, letters["held_row"]) == "held"
    assert _post(steward, letters["held"], "release", "Isi surat sudah diperiksa") == 303
    assert _state(world, letters["held_row"]) == "pending"
    assert "menunggu dikirim" in steward.get(f"/letters/{letters['held']}").text
    with world.database.session() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "notify.release")).one()
        assert (audit.actor_name, audit.channel, audit.reason, audit.object_id) == (
            "steward",
            "console",
            "Isi surat sudah diperiksa",
            str(letters["held_row"]),
        )
    # Released once: a second release changes nothing and says so.
    assert _post(steward, letters["held"], "release", "again") == 303
    assert "tidak sedang ditahan" in steward.get(f"/letters/{letters['held']}").text


def test_a_steward_retries_a_parked_letter_after_an_admin_adds_its_pic(
    world: World, letters: dict[str, int]
) -> None:
    steward = world.login("steward")
    page = steward.get(f"/letters/{letters['parked']}").text
    assert "menunggu alamat PIC instansi" in page and "/retry" in page
    add_pic_address(world.database, "B2", "pic.b2@instansi.example.id")
    assert _post(steward, letters["parked"], "retry", "PIC sudah ditambahkan") == 303
    assert _state(world, letters["parked_row"]) == "pending"
    with world.database.session() as session:
        row = session.get(NotificationOutboxEntry, letters["parked_row"])
        assert row is not None and row.recipients == ["pic.b2@instansi.example.id"]
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "notify.retry")).one()
        assert (audit.actor_name, audit.channel) == ("steward", "console")


def test_the_case_timeline_shows_its_letters_and_why_a_step_got_none(
    world: World, letters: dict[str, int]
) -> None:
    page = world.login("steward").get(f"/cases/{world.ids['case_a']}").text
    steps = page.split('id="case-letters"')[1].split("</ol>")[0]
    assert f'href="/letters/{letters["held"]}"' in steps and "0001/B-AK.02.02/SD/F/2026" in steps
    assert "ditahan untuk ditinjau" in steps and "Peringatan" in steps
    # The stored reason code in words: Indonesian by default, English on request.
    assert "tanpa surat: kasus sudah mencapai tahap surat berikutnya" in steps and SKIPPED not in steps
    english = world.login("auditor").get(f"/cases/{world.ids['case_a']}?lang=en").text
    assert "Letters to the PPK" in english and "no letter" in english
    assert "the case reached a later letter step before its letter" in english
    # BKN's letters are not an agency viewer's record: the viewer's case page lists none.
    viewer = world.login("viewer").get(f"/cases/{world.ids['case_a']}").text
    assert "case-letters" not in viewer and "0001/B-AK" not in viewer


def test_an_agency_viewer_gets_403_and_no_menu_link(world: World, letters: dict[str, int]) -> None:
    viewer = world.login("viewer")
    assert 'href="/letters"' not in viewer.get("/").text
    for path in ("/letters", f"/letters/{letters['held']}", f"/letters/{letters['held']}/pdf"):
        assert viewer.get(path).status_code == 403, path
    form = {"reason": "x", "csrf_token": csrf_of(viewer, "/")}
    assert viewer.post(f"/letters/{letters['parked']}/retry", data=form).status_code == 403


def test_every_mail_state_step_mode_and_report_table_has_both_languages() -> None:
    """The keys these pages build from values (test_i18n finds only literal keys)."""
    keys = [
        *(f"letters.state.{s}" for s in MailState),
        *(f"letters.step.{s}" for s in LetterStep),
        *(f"letters.mode.{m}" for m in ("automatic", "reviewed")),
        *(f"compliance.table.{t}" for t in TABLES),
        *(f"pic.{k}" for k in ("added", "exists", "removed", "missing")),
    ]
    assert [k for k in keys if k not in MESSAGES] == []


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("too_old:2024-01-05:30", "jatuh tempo 2024-01-05, lebih dari 30 hari sebelum surat"),
        ("ended", "kasus selesai sebelum suratnya dibuat"),
        # A reason stored before reasons were codes is shown as it was written.
        (
            "the case reached a later step before its letter",
            "the case reached a later step before its letter",
        ),
    ],
)
def test_the_case_timeline_says_in_indonesian_why_a_step_got_no_letter(
    world: World, stored: str, shown: str
) -> None:
    skip_step(world.database, world.ids["case_a"], step="peringatan", day=date(2026, 10, 5), why=stored)
    page = world.login("steward").get(f"/cases/{world.ids['case_a']}").text
    steps = page.split('id="case-letters"')[1].split("</ol>")[0]
    assert f"tanpa surat: {shown}" in steps, steps


@pytest.mark.parametrize(
    "answer",
    [
        queue.CASES_MOVED,
        queue.CASES_ENDED,
        queue.NAME_UNKNOWN.format(instansi="ID-Sampang"),
        queue.CASE_HELD.format(cases="CASE-01, CASE-02"),
    ],
)
def test_an_answer_sbt_sync_stores_itself_reads_as_stored_in_indonesian_and_in_english(answer: str) -> None:
    """The notifier's and drafter's own answers (stored in Indonesian) are said as stored on the
    Indonesian pages and in English on the English ones; a mail server's answer is not one of them."""
    assert mail_note(answer, "id") == answer
    english = mail_note(answer, "en") or ""
    assert english and english != answer
    assert mail_note("550 5.1.1 mailbox unavailable", "en") is None
