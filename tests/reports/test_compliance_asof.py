"""The compliance report for an earlier day, and the letters a row may cite: only its own PPK's,
dated by their day in the schedule's timezone (WIB)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from sbt_sync.reports.compliance_model import StepFact, compile_report
from tests.reports.test_compliance import CASE, NAMES

PERINGATAN = StepFact(
    1, "peringatan", date(2024, 12, 11), "0001/B-AK.02.02/SD/F/2024", datetime(2024, 12, 11, 3, tzinfo=UTC),
    "SAMPANG", date(2024, 12, 11),
)  # fmt: skip
TEGURAN = StepFact(
    1, "teguran", date(2024, 12, 18), "0002/B-AK.02.02/SD/F/2024", datetime(2024, 12, 18, 3, tzinfo=UTC),
    "SAMPANG", date(2024, 12, 18),
)  # fmt: skip
BLOCK = StepFact(1, "pemblokiran", date(2024, 12, 25), None, None)


def test_a_report_for_an_earlier_day_counts_only_the_steps_and_letters_of_that_day() -> None:
    """`report compliance --as-of 2024-12-10`: the recommendation is still pending then (deadline
    11 Dec); the peringatan (11 Dec), teguran (18 Dec) and the block came later."""
    report = compile_report(
        [CASE], [PERINGATAN, TEGURAN, BLOCK], {CASE.nip or "": {1}}, instansi_names=NAMES, person_names={},
        as_of=date(2024, 12, 10), follow_up_days=10, nip_display="middle",
    )  # fmt: skip
    (row,) = report.rows
    assert row.counts["pending"] == 1
    assert (dict(row.steps), dict(row.letters), row.blocked_nips) == ({}, {}, set())


def test_a_report_for_a_day_between_steps_shows_the_block_as_it_was() -> None:
    """As of 20 Dec: peringatan and teguran went, the block (25 Dec) had not come; as of 27 Dec with
    an unblock on 30 Dec recorded since, the ASN was blocked then although not now."""
    unblock = StepFact(1, "buka_blokir", date(2024, 12, 30), None, None)
    on_20 = compile_report(
        [CASE], [PERINGATAN, TEGURAN, BLOCK], {CASE.nip or "": {1}}, instansi_names=NAMES, person_names={},
        as_of=date(2024, 12, 20), follow_up_days=10, nip_display="middle",
    )  # fmt: skip
    on_27 = compile_report(
        [CASE], [PERINGATAN, TEGURAN, BLOCK, unblock], {}, instansi_names=NAMES, person_names={},
        as_of=date(2024, 12, 27), follow_up_days=10, nip_display="middle",
    )  # fmt: skip
    assert dict(on_20.rows[0].steps) == {"peringatan": 1, "teguran": 1}
    assert on_20.rows[0].blocked_nips == set()
    assert on_27.rows[0].blocked_nips == {CASE.nip}


def test_the_dossier_never_cites_a_letter_to_another_ppk_as_proof_of_delivery() -> None:
    """The peringatan went to Sampang; the ASN has since moved to another instansi."""
    moved = replace(CASE, instansi_id="KEMENAG")
    report = compile_report(
        [moved], [PERINGATAN], {}, instansi_names=NAMES, person_names={},
        as_of=date(2024, 12, 14), follow_up_days=10, nip_display="middle",
    )  # fmt: skip
    (row,) = report.dossier
    assert (row.letters, row.delivery) == ("-", "-"), row
    assert dict(report.rows[0].letters) == {}


def test_the_dossier_dates_a_delivery_by_its_day_in_wib() -> None:
    """Mailed at 06:30 WIB on 12 Dec: 11 Dec 23:30 UTC."""
    early = replace(PERINGATAN, sent_at=datetime(2024, 12, 11, 23, 30, tzinfo=UTC))
    naive = replace(PERINGATAN, letter_no="0003/B-AK.02.02/SD/F/2024", sent_at=datetime(2024, 12, 11, 23, 30))  # noqa: DTZ001
    report = compile_report(
        [CASE], [early, naive], {}, instansi_names=NAMES, person_names={},
        as_of=date(2024, 12, 14), follow_up_days=10, nip_display="middle",
    )  # fmt: skip
    (row,) = report.dossier
    assert "0001/B-AK.02.02/SD/F/2024 (2024-12-12)" in row.delivery, row.delivery
    assert "0003/B-AK.02.02/SD/F/2024 (2024-12-12)" in row.delivery, row.delivery  # stored naive: UTC
